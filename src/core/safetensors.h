/* safetensors files: an 8-byte little-endian header length, a JSON header
 * {"__metadata__": {str: str}, NAME: {"dtype", "shape", "data_offsets"}},
 * then the raw little-endian tensor bytes.  Readable by Python's
 * safetensors.  Reading treats the file as untrusted: every length, offset,
 * shape and dtype is checked before use. */
#ifndef TSF_CORE_SAFETENSORS_H
#define TSF_CORE_SAFETENSORS_H

#include <stddef.h>
#include "tsf/error.h"

typedef struct tsf_st tsf_st;

typedef enum { TSF_ST_F64 = 0, TSF_ST_F32 = 1, TSF_ST_I64 = 2 } tsf_st_dtype;

tsf_status tsf_st_new(tsf_st **out);
void tsf_st_free(tsf_st *doc);

tsf_status tsf_st_set_meta(tsf_st *doc, const char *key, const char *value);
/* NULL when absent. */
const char *tsf_st_meta(const tsf_st *doc, const char *key);

/* Adds a tensor (data copied). ndim <= 4. */
tsf_status tsf_st_add(tsf_st *doc, const char *name, tsf_st_dtype dtype, size_t ndim,
                      const size_t *shape, const void *data);

/* Looks a tensor up: TSF_EPARSE (message names the file and tensor) when
 * absent or of another dtype.  *data points into doc. */
tsf_status tsf_st_get(const tsf_st *doc, const char *name, tsf_st_dtype dtype, size_t *ndim,
                      const size_t **shape, const void **data, size_t *count);

/* A 1-D F64 tensor of exactly n values (TSF_EPARSE naming the family and
 * tensor otherwise). */
tsf_status tsf_st_get_vec(const tsf_st *doc, const char *family, const char *name, size_t n,
                          const double **data);
/* Sets metadata key to v written with %.17g (strtod reads back the same
 * double). */
tsf_status tsf_st_set_meta_num(tsf_st *doc, const char *key, double v);
/* Metadata key as a finite number in [lo, hi] (TSF_EPARSE otherwise). */
tsf_status tsf_st_meta_num(const tsf_st *doc, const char *family, const char *key, double lo,
                           double hi, double *v);

/* Copies every metadata entry and tensor of src whose name begins with
 * from into dst, with that prefix replaced by to ("" for either: all /
 * none).  Used to nest the documents of a combination's members. */
tsf_status tsf_st_copy_prefixed(tsf_st *dst, const tsf_st *src, const char *from,
                                const char *to);

/* Writes atomically (temp file in the same directory + rename). */
tsf_status tsf_st_write(const tsf_st *doc, const char *path);
/* Reads and validates. */
tsf_status tsf_st_read(const char *path, tsf_st **out);
/* Same from memory (for the fuzz target); name is used in messages. */
tsf_status tsf_st_parse(const unsigned char *buf, size_t len, const char *name, tsf_st **out);

#endif
