/* CSV reader entry points that are not public: reading from memory (used by
 * the fuzz target and tests). */
#ifndef TSF_CORE_CSV_INTERNAL_H
#define TSF_CORE_CSV_INTERNAL_H

#include <stddef.h>
#include "tsf/csv.h"

/* As tsf_csv_read, from len bytes at data; name stands for the file name in
 * messages and frame->path.  data need not be NUL-terminated. */
tsf_status tsf_csv_read_mem(const char *name, const void *data, size_t len, tsf_frame **out);

/* As tsf_csv_read_mem, handing the parser at most chunk bytes at a time
 * (0: the normal 64 KiB), so that tests and the fuzzer can check that
 * results do not depend on where the reads fall. */
tsf_status tsf_csv_read_mem_chunked(const char *name, const void *data, size_t len,
                                    size_t chunk, tsf_frame **out);

#endif
