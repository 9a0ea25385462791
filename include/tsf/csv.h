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
 * numbers; every other column must be numeric.  Missing values: an empty
 * field or NA.
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

#ifdef __cplusplus
}
#endif
#endif
