/* safetensors documents: metadata and tensors in memory (the reader is
 * safetensors_read.c, the writer safetensors_write.c).
 *
 * Layout (https://github.com/huggingface/safetensors, "Format"): an 8-byte
 * little-endian u64 N, N bytes of UTF-8 JSON (padded with spaces to a
 * multiple of 8, as Python's safetensors writes it), then the byte buffer.
 * Each tensor's data_offsets are relative to the start of the buffer; the
 * tensors tile the buffer exactly (no holes, no overlaps).  Data are
 * little-endian; tensors are kept here in host order, each in its own
 * allocation so that tsf_st_get's pointer is suitably aligned. */
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "safetensors_impl.h"

const char *const tsf_st_dtype_names[3] = {"F64", "F32", "I64"};
const size_t tsf_st_dtype_sizes[3] = {8, 4, 8};

static const char *doc_name(const tsf_st *doc)
{
    return doc && doc->name ? doc->name : "model file";
}

tsf_status tsf_st_bad(const char *file, const char *fmt, ...)
{
    /* what may quote the file's text: cleaned so that the message stays one line */
    char what[512], clean[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tsf_set_error(TSF_EPARSE, "%s: bad model file: %s; re-create it with tsf fit -o",
                         file, tsf_st_clean(what, clean, sizeof clean));
}

const char *tsf_st_clean(const char *s, char *buf, size_t n)
{
    size_t len = strlen(s), i;
    int cut = len > n - 1;
    size_t keep = cut ? n - 4 : len;
    /* do not split a UTF-8 sequence: back up over continuation bytes */
    while (cut && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) keep--;
    for (i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (cut) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

tsf_status tsf_st_nomem(void)
{
    return tsf_set_error(TSF_ENOMEM, "out of memory handling a model file");
}

tsf_status tsf_st_new(tsf_st **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TSF_OK : tsf_st_nomem();
}

void tsf_st_free(tsf_st *doc)
{
    if (!doc) return;
    for (size_t i = 0; i < doc->nmeta; i++) {
        free(doc->meta[i].key);
        free(doc->meta[i].value);
    }
    for (size_t i = 0; i < doc->ntensors; i++) {
        free(doc->tensors[i].name);
        free(doc->tensors[i].data);
    }
    free(doc->meta);
    free(doc->tensors);
    free(doc->name);
    free(doc);
}

tsf_status tsf_st_set_meta(tsf_st *doc, const char *key, const char *value)
{
    if (!doc || !key || !value) return tsf_set_error(TSF_EINVAL, "tsf_st_set_meta: NULL argument");
    char *v = strdup(value);
    if (!v) return tsf_st_nomem();
    for (size_t i = 0; i < doc->nmeta; i++)
        if (strcmp(doc->meta[i].key, key) == 0) {
            free(doc->meta[i].value);
            doc->meta[i].value = v;
            return TSF_OK;
        }
    if (doc->nmeta == doc->capmeta) {
        size_t cap = doc->capmeta ? 2 * doc->capmeta : 8;
        st_meta *m = realloc(doc->meta, cap * sizeof *m);
        if (!m) {
            free(v);
            return tsf_st_nomem();
        }
        doc->meta = m;
        doc->capmeta = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return tsf_st_nomem();
    }
    doc->meta[doc->nmeta].key = k;
    doc->meta[doc->nmeta].value = v;
    doc->nmeta++;
    return TSF_OK;
}

const char *tsf_st_meta(const tsf_st *doc, const char *key)
{
    for (size_t i = 0; i < doc->nmeta; i++)
        if (strcmp(doc->meta[i].key, key) == 0) return doc->meta[i].value;
    return NULL;
}

static st_tensor *find_tensor(const tsf_st *doc, const char *name)
{
    for (size_t i = 0; i < doc->ntensors; i++)
        if (strcmp(doc->tensors[i].name, name) == 0) return &doc->tensors[i];
    return NULL;
}

size_t tsf_st_count(size_t ndim, const size_t *shape, size_t elsize, int *ok)
{
    size_t count = 1;
    *ok = 1;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] && count > SIZE_MAX / shape[d]) {
            *ok = 0;
            return 0;
        }
        count *= shape[d];
    }
    if (count > SIZE_MAX / elsize) *ok = 0;
    return count;
}

tsf_status tsf_st_push(tsf_st *doc, st_tensor *t)
{
    if (doc->ntensors == doc->captensors) {
        size_t cap = doc->captensors ? 2 * doc->captensors : 8;
        st_tensor *n = realloc(doc->tensors, cap * sizeof *n);
        if (!n) {
            free(t->name);
            free(t->data);
            return tsf_st_nomem();
        }
        doc->tensors = n;
        doc->captensors = cap;
    }
    doc->tensors[doc->ntensors++] = *t;
    return TSF_OK;
}

tsf_status tsf_st_add(tsf_st *doc, const char *name, tsf_st_dtype dtype, size_t ndim,
                      const size_t *shape, const void *data)
{
    if (!doc || !name) return tsf_set_error(TSF_EINVAL, "tsf_st_add: NULL argument");
    if ((unsigned)dtype > TSF_ST_I64)
        return tsf_set_error(TSF_EINVAL, "tensor '%s': unknown dtype %d", name, (int)dtype);
    if (ndim > ST_MAX_DIMS || (ndim && !shape))
        return tsf_set_error(TSF_EINVAL, "tensor '%s': at most %d dimensions", name,
                             ST_MAX_DIMS);
    if (strcmp(name, "__metadata__") == 0 || find_tensor(doc, name))
        return tsf_set_error(TSF_EINVAL, "tensor name '%s' is reserved or used twice", name);
    int ok;
    size_t es = tsf_st_dtype_sizes[dtype];
    st_tensor t = {0};
    t.count = tsf_st_count(ndim, shape, es, &ok);
    if (!ok) return tsf_set_error(TSF_EINVAL, "tensor '%s' is too large", name);
    if (t.count && !data) return tsf_set_error(TSF_EINVAL, "tensor '%s' has no data", name);
    t.dtype = dtype;
    t.ndim = ndim;
    for (size_t d = 0; d < ndim; d++) t.shape[d] = shape[d];
    t.name = strdup(name);
    if (!t.name) return tsf_st_nomem();
    if (t.count) {
        t.data = malloc(t.count * es);
        if (!t.data) {
            free(t.name);
            return tsf_st_nomem();
        }
        memcpy(t.data, data, t.count * es);
    }
    return tsf_st_push(doc, &t);
}

tsf_status tsf_st_get(const tsf_st *doc, const char *name, tsf_st_dtype dtype, size_t *ndim,
                      const size_t **shape, const void **data, size_t *count)
{
    const st_tensor *t = find_tensor(doc, name);
    if (!t) return tsf_st_bad(doc_name(doc), "tensor '%s' is missing", name);
    if (t->dtype != dtype)
        return tsf_st_bad(doc_name(doc), "tensor '%s' has dtype %s, expected %s", name,
                          tsf_st_dtype_names[t->dtype],
                          tsf_st_dtype_names[(unsigned)dtype <= TSF_ST_I64 ? dtype : 0]);
    if (ndim) *ndim = t->ndim;
    if (shape) *shape = t->shape;
    if (data) *data = t->data;
    if (count) *count = t->count;
    return TSF_OK;
}

tsf_status tsf_st_get_vec(const tsf_st *doc, const char *family, const char *name, size_t n,
                          const double **data)
{
    size_t ndim, count;
    const size_t *shape;
    const void *d;
    tsf_status st = tsf_st_get(doc, name, TSF_ST_F64, &ndim, &shape, &d, &count);
    if (st) return st;
    int state = strncmp(name, "state.", 6) == 0;
    const char *kind = state ? "state" : "model";
    const char *fix = state ? "save the state again with tsf_state_save"
                            : "re-create it with tsf fit -o";
    if (ndim != 1)
        return tsf_set_error(TSF_EPARSE, "%s %s file: tensor '%s' has %zu dimensions, "
                             "expected 1; %s", family, kind, name, ndim, fix);
    if (count != n)
        return tsf_set_error(TSF_EPARSE, "%s %s file: tensor '%s' has %zu values, expected "
                             "%zu; %s", family, kind, name, count, n, fix);
    *data = d;
    return TSF_OK;
}

tsf_status tsf_st_set_meta_num(tsf_st *doc, const char *key, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return tsf_st_set_meta(doc, key, buf);
}

tsf_status tsf_st_meta_num(const tsf_st *doc, const char *family, const char *key, double lo,
                           double hi, double *v)
{
    const char *s = tsf_st_meta(doc, key);
    char *end;
    if (!s) return tsf_set_error(TSF_EPARSE, "%s model file: metadata '%s' is missing", family, key);
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v) || *v < lo || *v > hi)
        return tsf_set_error(TSF_EPARSE, "%s model file: metadata %s=\"%.40s\" is not a number "
                             "in [%g, %g]", family, key, s, lo, hi);
    return TSF_OK;
}

/* name with the prefix from replaced by to (malloc'd), or NULL when name
 * does not begin with from; *nomem set when memory ran out. */
static char *reprefix(const char *name, const char *from, const char *to, int *nomem)
{
    size_t lf = strlen(from);
    if (strncmp(name, from, lf) != 0) return NULL;
    char *k = malloc(strlen(to) + strlen(name + lf) + 1);
    if (!k) {
        *nomem = 1;
        return NULL;
    }
    strcpy(k, to);
    strcat(k, name + lf);
    return k;
}

tsf_status tsf_st_copy_prefixed(tsf_st *dst, const tsf_st *src, const char *from,
                                const char *to)
{
    int nomem = 0;
    tsf_status st = TSF_OK;
    for (size_t i = 0; i < src->nmeta && !st && !nomem; i++) {
        char *k = reprefix(src->meta[i].key, from, to, &nomem);
        if (k) st = tsf_st_set_meta(dst, k, src->meta[i].value);
        free(k);
    }
    for (size_t i = 0; i < src->ntensors && !st && !nomem; i++) {
        const st_tensor *t = &src->tensors[i];
        char *k = reprefix(t->name, from, to, &nomem);
        if (k) st = tsf_st_add(dst, k, t->dtype, t->ndim, t->shape, t->data);
        free(k);
    }
    return nomem ? tsf_st_nomem() : st;
}
