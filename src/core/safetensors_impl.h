/* Private to the safetensors reader/writer (src/core/safetensors*.c):
 * the document, the dtype tables and the little-endian helpers. */
#ifndef TSF_CORE_SAFETENSORS_IMPL_H
#define TSF_CORE_SAFETENSORS_IMPL_H

#include <stdint.h>
#include <string.h>
#include "internal.h"

#define ST_MAX_DIMS 4
/* Headers of real models are a few kB; a cap bounds what an untrusted
 * length field can make us allocate. */
#define ST_MAX_HEADER ((size_t)100 * 1000 * 1000)
/* Largest file tsf_st_read accepts (models are small). */
#define ST_MAX_FILE ((size_t)1 << 30)

typedef struct {
    char *name;
    tsf_st_dtype dtype;
    size_t ndim;
    size_t shape[ST_MAX_DIMS];
    size_t count;
    void *data; /* count elements in host order; NULL when count == 0 */
    size_t begin, end; /* byte offsets in the buffer (reading) */
} st_tensor;

typedef struct {
    char *key, *value;
} st_meta;

struct tsf_st {
    char *name; /* file name for messages */
    size_t nmeta, capmeta;
    st_meta *meta;
    size_t ntensors, captensors;
    st_tensor *tensors;
};

extern const char *const tsf_st_dtype_names[3];
extern const size_t tsf_st_dtype_sizes[3];

/* TSF_EPARSE: "FILE: bad model file: WHAT; re-create it with tsf fit -o". */
tsf_status tsf_st_bad(const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
tsf_status tsf_st_nomem(void);
/* A printable copy of untrusted text for a one-line message: control
 * characters become '?', long text is cut (at a UTF-8 boundary) with "...".
 * Returns buf. */
const char *tsf_st_clean(const char *s, char *buf, size_t n);
/* Element count of a shape; *ok cleared when count * elsize overflows. */
size_t tsf_st_count(size_t ndim, const size_t *shape, size_t elsize, int *ok);
/* Appends a tensor taking ownership of its name and data (freed on failure). */
tsf_status tsf_st_push(tsf_st *doc, st_tensor *t);

/* Little-endian encoding without assumptions on the host's byte order. */
static inline void tsf_st_put_le(unsigned char *p, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t tsf_st_get_le(const unsigned char *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
