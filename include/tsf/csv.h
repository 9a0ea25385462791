/* tsf — CSV input (RFC 4180, via libcsv). */
#ifndef TSF_CSV_H
#define TSF_CSV_H

#include "series.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a CSV file with a header row into a frame.  The file is read as a
 * stream (never slurped whole).  A column is the time column when it is
 * named time/date/month/year/period/index (case-insensitive) or when it is
 * the first column and its cells are not numbers; every other column must be
 * numeric.  Time stamps are placed on their grid as tsf_csv_read_time
 * says.  Missing values: an empty field or NA.  On error the message
 * names file, line, column and the offending text (TSF_EIO, TSF_EPARSE,
 * TSF_EINVAL). */
tsf_status tsf_csv_read(const char *path, tsf_frame **out);

/* As tsf_csv_read, with the time column's grid found as topts says (NULL:
 * inferred; tsf_time_grid).  A time column of stamps must be in one form,
 * sorted, without repeats and on a regular grid; rows for stamps missing
 * from the grid are inserted with NaN values (f->axis.nfilled counts them;
 * the library prints nothing, the caller reports them).  Errors as
 * tsf_time_grid's, "FILE:LINE:COL: ..." (TSF_EPARSE). */
tsf_status tsf_csv_read_time(const char *path, const tsf_time_opts *topts, tsf_frame **out);

#ifdef __cplusplus
}
#endif
#endif
