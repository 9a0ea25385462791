/** @file
 * CSV input (RFC 4180, via libcsv). */
#ifndef TSF_CSV_H
#define TSF_CSV_H

#include "series.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Reads a CSV file with a header row into a frame.
 *
 * The file is read as a stream (never slurped whole).  A column is the time
 * column when it is named time/date/month/year/period/index
 * (case-insensitive) or when it is the first column and its cells are not
 * numbers; every other column must be numeric.  Time stamps are placed on
 * their grid as tsf_csv_read_time() says (grid inferred).  Missing values:
 * an empty field or NA.
 * @param path the file to read (not NULL).
 * @param out receives the frame (NULL on failure; not NULL itself).
 * @return ::TSF_OK; ::TSF_EIO (cannot open or read), ::TSF_EPARSE (the
 * message names file, line, column and the offending text), ::TSF_EINVAL
 * (a NULL argument, a non-numeric cell), ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_frame_free().
 * @par Thread safety
 * Safe from any thread. */
TSF_API tsf_status tsf_csv_read(const char *path, tsf_frame **out);

/** As tsf_csv_read(), with the time column's grid found as topts says.
 *
 * A time column of stamps must be in one form, sorted, without repeats and
 * on a regular grid; rows for stamps missing from the grid are inserted with
 * NaN values (f->axis.nfilled counts them; the library prints nothing, the
 * caller reports them).
 * @param path the file to read (not NULL).
 * @param topts interval and rounding options; NULL: the grid is inferred
 * (tsf_time_grid()).
 * @param out receives the frame (NULL on failure; not NULL itself).
 * @return as tsf_csv_read(); grid errors are ::TSF_EPARSE with
 * "FILE:LINE:COL: ..." messages as tsf_time_grid()'s.
 * @par Ownership
 * The caller frees *out with tsf_frame_free(); topts is only read.
 * @par Thread safety
 * Safe from any thread. */
TSF_API tsf_status tsf_csv_read_time(const char *path, const tsf_time_opts *topts, tsf_frame **out);

#ifdef __cplusplus
}
#endif
#endif
