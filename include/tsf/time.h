/** @file
 * Time stamps: parsing, formatting, the regular grid of a series.
 *
 * docs/file-formats.md is the user-facing description (forms, grid rules,
 * period table, messages).  Every function here is pure: no global state,
 * no printing; safe from any thread on distinct output buffers.  Errors go
 * through the thread-local detail message (tsf_errmsg()).  Pointer
 * arguments must not be NULL unless a function says otherwise (NULL gives
 * ::TSF_EINVAL).  Nothing here allocates except tsf_time_spread_labels(). */
#ifndef TSF_TIME_H
#define TSF_TIME_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The form a time column is written in. */
typedef enum {
    TSF_TIME_TEXT = 0, /**< labels that are not interpreted (kept as written) */
    TSF_TIME_INDEX,    /**< integers: plain years (1871) or indices (1, 2, 3) */
    TSF_TIME_QUARTER,  /**< 1945-Q1 */
    TSF_TIME_MONTH,    /**< 1949-01 */
    TSF_TIME_WEEK,     /**< 2024-W05 (ISO 8601 week, Monday to Sunday) */
    TSF_TIME_DATE,     /**< 2024-01-05 */
    TSF_TIME_DATETIME  /**< 2024-01-05T13:00, 2024-01-05 13:00:00.250+01:00 */
} tsf_time_kind;

/** How one stamp is written.  Only kind matters for forms other than
 * ::TSF_TIME_DATETIME. */
typedef struct {
    tsf_time_kind kind; /**< the form */
    char sep;    /**< 'T' or ' ' between date and time */
    int seconds; /**< 1 when seconds are written (hh:mm:ss) */
    int frac;    /**< digits of fractional seconds, 0..6 */
    int zone;    /**< 0: no zone (local time, taken as UTC); 1: 'Z'; 2: +hh:mm offset */
    int offset;  /**< zone 2: minutes east of UTC, as written */
} tsf_time_form;

/** Units of a sampling interval. */
typedef enum {
    TSF_UNIT_NONE = 0, /**< not known (text labels) or, in options, "infer it" */
    TSF_UNIT_STEP,     /**< index steps (::TSF_TIME_INDEX) */
    TSF_UNIT_YEAR,     /**< years of plain-year labels (::TSF_TIME_INDEX, 4 digits) */
    TSF_UNIT_MONTH,    /**< calendar months (months, quarters = 3, years = 12) */
    TSF_UNIT_DAY,      /**< calendar days (weeks = 7) */
    TSF_UNIT_BDAY,     /**< business days: Monday to Friday (pandas 'B') */
    TSF_UNIT_MICRO     /**< microseconds (date-times) */
} tsf_time_unit;

/** A sampling interval: count units. */
typedef struct {
    tsf_time_unit unit; /**< the unit */
    int64_t count;      /**< units per step, > 0 */
} tsf_interval;

/* Stamps as numbers ("stamp" below): TSF_TIME_INDEX the integer itself;
 * TSF_TIME_MONTH months and TSF_TIME_QUARTER quarters since year 0
 * (year * 12 + month - 1, year * 4 + quarter - 1); TSF_TIME_WEEK (its
 * Monday), TSF_TIME_DATE and TSF_TIME_DATETIME seconds since
 * 1970-01-01T00:00Z (an offset is subtracted: computing is in UTC).  As
 * doubles, seconds keep microseconds exactly only within about 285 years
 * of 1970; the library itself computes in exact integer microseconds. */

/** Parses one stamp into its form and number ("stamp": see the note on
 * stamps as numbers in this header).
 * @return ::TSF_OK; ::TSF_EPARSE (message quotes the text and says what was
 * wrong) when text is none of the forms other than ::TSF_TIME_TEXT;
 * ::TSF_EINVAL for a NULL argument.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_parse(const char *text, tsf_time_form *form, double *stamp);

/** Writes stamp in form (a ::TSF_TIME_DATETIME with an offset is written in
 * that offset) to buf, NUL-terminated.
 * @return ::TSF_OK; ::TSF_EINVAL when buf is too small or NULL, form is NULL
 * or ::TSF_TIME_TEXT, or the date falls outside years 0000..9999.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_format(double stamp, const tsf_time_form *form, char *buf, size_t size);

/** Reads an interval written as "N UNIT" (N a positive integer, the space
 * optional, UNIT singular or plural): microsecond, millisecond, second,
 * minute, hour, day, business day, week, month, quarter, year, step.
 * @return ::TSF_OK; ::TSF_EPARSE with a message that lists the units;
 * ::TSF_EINVAL for a NULL argument.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_interval_parse(const char *text, tsf_interval *iv);

/** Writes iv in words ("1 hour", "30 minutes", "1 business day", "3 months"
 * is written "1 quarter"), the form fit --json reports.
 * @return 1 when written; 0 when buf is too small, an argument is NULL or
 * iv is unknown (buf then holds "" when it exists).
 * @par Thread safety
 * Pure function. */
TSF_API int tsf_interval_format(const tsf_interval *iv, char *buf, size_t size);

/** The default seasonal period of the interval (docs/file-formats.md has
 * the table): monthly 12, quarterly 4, weekly 52, daily 7, business daily 5,
 * hourly 24, half-hourly 48, 15-minute 96, minutely 60, secondly 60.
 * @return the period; 1 when none applies or iv is NULL.
 * @par Thread safety
 * Pure function. */
TSF_API int tsf_interval_period(const tsf_interval *iv);

/** The regular grid a column of stamps lies on. */
typedef struct {
    tsf_time_form form;    /**< form of the stamps (offset: that of the last row) */
    tsf_interval interval; /**< unit ::TSF_UNIT_NONE for ::TSF_TIME_TEXT */
    int anchor;            /**< DATE stamps a month or more apart: the day of month
                            * (1..28), or -1 for month ends; 0 otherwise */
    double first;          /**< stamp of grid step 0 (the first row) */
    int64_t origin;        /**< the same exactly, in the library's internal unit
                            * (microseconds for weeks, dates, date-times); the
                            * grid is computed from it */
    size_t n;              /**< grid steps from the first row to the last */
    size_t nfilled;        /**< of them, steps no row had (gaps) */
    size_t first_gap;      /**< step of the first gap, when nfilled > 0 */
    int period;            /**< tsf_interval_period(), 1 for text labels */
} tsf_time_axis;

/** Options of tsf_time_grid(); NULL means all zero. */
typedef struct {
    tsf_interval interval; /**< unit ::TSF_UNIT_NONE: inferred (the most common difference) */
    int round;             /**< date-times: move each stamp to the nearest grid step
                            * instead of refusing stamps off the grid */
} tsf_time_opts;

/** Where labels came from, for messages ("FILE:LINE:COL: ..."). NULL: the
 * file is called "data", label i is on line i + 2, column 1. */
typedef struct {
    const char *path;           /**< file named in messages */
    const unsigned long *lines; /**< line of each label, or NULL */
    size_t column;              /**< 1-based */
} tsf_time_source;

/** Finds the grid of n labels (the rows of one series, in file order): the
 * form (from the first label; TSF_TIME_TEXT when it is not a stamp, and
 * then nothing is checked and pos[i] = i), the interval (opts, or the most
 * common difference, calendar months for months, quarters, years and
 * dates on one day of the month; business days for dates with no Saturday
 * or Sunday that span a weekend), and pos[i], the grid step of row i.
 * TSF_EPARSE "FILE:LINE:COL: ..." when a label is empty or of another
 * form, stamps go backwards or repeat, a stamp is off the grid, or filling
 * the gaps would take more steps than there are rows.  pos has room for n.
 * Stamps n == 0 give a TEXT axis.
 * @param opts NULL: all options zero (interval inferred).
 * @param src NULL: messages name "data" (see ::tsf_time_source).
 * @return ::TSF_OK; ::TSF_EPARSE as above; ::TSF_EINVAL for a NULL labels
 * (with n > 0), axis or pos; ::TSF_ENOMEM.
 * @par Ownership
 * Nothing is kept; labels are only read.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_grid(char *const *labels, size_t n, const tsf_time_opts *opts,
                         const tsf_time_source *src, tsf_time_axis *axis, size_t *pos);

/** The label of grid step k (k >= axis->n: a future step; n - 1 + h is h
 * steps after the last row), in the axis's form, written to buf.
 * @return ::TSF_OK; ::TSF_EINVAL for a NULL argument, a TEXT axis, a too
 * small buf or a date beyond year 9999.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_label(const tsf_time_axis *axis, int64_t k, char *buf, size_t size);

/** The stamp (as a number, see the note in this header) of grid step k.
 * @return ::TSF_OK; ::TSF_EINVAL for a NULL argument, a TEXT axis or a
 * step too far from the first.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_stamp(const tsf_time_axis *axis, int64_t k, double *stamp);

/** The grid step of a stamp written in the axis's form (negative before the
 * first row).
 * @return ::TSF_OK; ::TSF_EPARSE when text is not a stamp of that form, lies
 * off the grid or the axis is a TEXT one; ::TSF_EINVAL for a NULL argument.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_time_locate(const tsf_time_axis *axis, const char *text, int64_t *k);

/** Moves n values, row i to step pos[i] (ascending, as tsf_time_grid()
 * gives), inside vals, which has room for ngrid; steps without a row get
 * NaN.  In place; NULL pos or vals does nothing.
 * @par Thread safety
 * Touches vals only. */
TSF_API void tsf_time_spread(const size_t *pos, size_t n, size_t ngrid, double *vals);

/** The same for labels: moves the n strings of labels (room for axis->n
 * pointers) to their steps and gives the gap steps new labels (each
 * written in the offset of the row before it).
 * @return ::TSF_OK; ::TSF_ENOMEM (the labels are then all in place, gap
 * entries NULL); ::TSF_EINVAL for a NULL argument.
 * @par Ownership
 * The new labels are malloc'd and belong to the labels array's owner (who
 * frees each with free()).
 * @par Thread safety
 * Touches labels only. */
TSF_API tsf_status tsf_time_spread_labels(const tsf_time_axis *axis, const size_t *pos, size_t n,
                                  char **labels);

#ifdef __cplusplus
}
#endif
#endif
