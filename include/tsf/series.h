/** @file
 * Tables of series (frames) as read from CSV. */
#ifndef TSF_SERIES_H
#define TSF_SERIES_H

#include <stddef.h>
#include "error.h"
#include "time.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A table read from a CSV file by tsf_csv_read().  Numeric columns hold
 * doubles with NaN for a missing value; at most one time column is kept as
 * text labels.  When they are time stamps (tsf/time.h) the rows lie on a
 * regular grid: rows for stamps missing from the file have been inserted
 * (values NaN, labels written in the file's form), and axis says how.  The
 * library allocates frames (so the struct may gain fields at its end); free
 * them with tsf_frame_free(). */
typedef struct tsf_frame {
    size_t nrows;          /**< rows of data (the header not counted) */
    size_t ncols;          /**< numeric columns */
    char **names;          /**< ncols column names */
    double **cols;         /**< ncols arrays of nrows values, NaN = missing */
    char *time_name;       /**< name of the time column, NULL when none */
    char **time;           /**< nrows labels, NULL when no time column */
    int period;            /**< inferred from the time labels, 1 when unknown */
    tsf_time_axis axis;    /**< the grid of the time labels; form.kind
                            * ::TSF_TIME_TEXT when there are none or they are
                            * not stamps */
    double *stamps;        /**< nrows stamps as numbers (tsf/time.h: seconds
                            * since the epoch, month or quarter counts...) of
                            * the grid steps; NULL when the labels are not
                            * stamps */
    char *path;            /**< file it came from (for messages) */
} tsf_frame;

/** Frees a frame and everything it points to.  NULL is harmless.
 * @par Thread safety
 * The frame must not be in use by another thread. */
TSF_API void tsf_frame_free(tsf_frame *f);

/** Index of the numeric column called name.
 * @return ::TSF_OK with *idx set; ::TSF_EINVAL when absent (the message
 * lists the columns there are) or when an argument is NULL.
 * @par Thread safety
 * Reads f only: safe from many threads at once. */
TSF_API tsf_status tsf_frame_column(const tsf_frame *f, const char *name, size_t *idx);

/** Period implied by time labels (tsf_time_grid(), tsf_interval_period()):
 * "1949-01" monthly gives 12, "1945-Q1" quarterly 4, hourly stamps 24, ...
 * @param labels n labels (NULL gives 1); n may be 0.
 * @return the period, at least 1; 1 when the labels are not stamps on a grid.
 * @par Thread safety
 * Pure function. */
TSF_API int tsf_infer_period(char *const *labels, size_t n);

/** Time label of step h (1-based) after the last of n labels, written to
 * buf (bufsize bytes, NUL-terminated) in the labels' form.  A frame's own
 * axis gives the same with tsf_time_label(&f->axis, f->nrows - 1 + h, ...).
 * @param period unused: the labels' own form decides the step.
 * @return 1 when written; 0 when the labels do not allow it, an argument is
 * NULL or h is 0 (buf then holds "" when it exists).
 * @par Thread safety
 * Pure function. */
TSF_API int tsf_future_label(char *const *labels, size_t n, int period, size_t h,
                             char *buf, size_t bufsize);

#ifdef __cplusplus
}
#endif
#endif
