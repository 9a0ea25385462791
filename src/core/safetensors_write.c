/* Writing safetensors files, atomically (src/core/atomic.h): on failure
 * the target is left as it was. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "safetensors_impl.h"
#include "atomic.h"

/* Element i of t's host-order data as raw bits. */
static uint64_t elem_bits(const st_tensor *t, size_t i)
{
    if (tsf_st_dtype_sizes[t->dtype] == 4) {
        uint32_t u;
        memcpy(&u, (const unsigned char *)t->data + 4 * i, 4);
        return u;
    }
    uint64_t u;
    memcpy(&u, (const unsigned char *)t->data + 8 * i, 8);
    return u;
}

static int add_int(json_t *arr, size_t v)
{
    if (v > (size_t)LLONG_MAX) return -1;
    return json_array_append_new(arr, json_integer((json_int_t)v));
}

/* Lays the buffer out: 8-byte dtypes first, then 4-byte ones, each group in
 * insertion order, so that every tensor is aligned to its element size
 * (the buffer starts at a multiple of 8) as Python's safetensors does.
 * Fills order[] with the tensors' indices in buffer order. */
static void layout(const tsf_st *doc, size_t *order)
{
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < doc->ntensors; i++) {
            size_t es = tsf_st_dtype_sizes[doc->tensors[i].dtype];
            if ((pass == 0) != (es == 8)) continue;
            order[k++] = i;
        }
}

/* The JSON header text (compact, unpadded) or NULL. */
static char *header_json(const tsf_st *doc, const size_t *order)
{
    json_t *root = json_object();
    if (!root) return NULL;
    int err = 0;
    size_t off = 0; /* running byte offset in the buffer */
    if (doc->nmeta) {
        json_t *meta = json_object();
        err |= json_object_set_new(root, "__metadata__", meta);
        for (size_t i = 0; !err && i < doc->nmeta; i++) {
            json_t *v = json_string(doc->meta[i].value);
            err |= !v || json_object_set_new(meta, doc->meta[i].key, v);
        }
    }
    for (size_t k = 0; !err && k < doc->ntensors; k++) {
        const st_tensor *t = &doc->tensors[order[k]];
        size_t begin = off;
        off += t->count * tsf_st_dtype_sizes[t->dtype];
        json_t *o = json_object(), *shape = json_array(), *offs = json_array();
        for (size_t d = 0; d < t->ndim; d++) err |= add_int(shape, t->shape[d]);
        err |= add_int(offs, begin) | add_int(offs, off);
        /* jansson's _new setters take the reference even on failure (NULL
         * object or value included), so nothing leaks on error. */
        err |= json_object_set_new(o, "dtype", json_string(tsf_st_dtype_names[t->dtype]));
        err |= json_object_set_new(o, "shape", shape);
        err |= json_object_set_new(o, "data_offsets", offs);
        err |= json_object_set_new(root, t->name, o);
    }
    char *text = err ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

static tsf_status write_all(FILE *f, const tsf_st *doc, const size_t *order, const char *hdr,
                            size_t hlen, size_t padded)
{
    unsigned char len8[8], buf[4096];
    tsf_st_put_le(len8, padded, 8);
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(hdr, 1, hlen, f) != hlen) return TSF_EIO;
    for (size_t i = hlen; i < padded; i++)
        if (fputc(' ', f) == EOF) return TSF_EIO;
    for (size_t k = 0; k < doc->ntensors; k++) {
        const st_tensor *t = &doc->tensors[order[k]];
        size_t es = tsf_st_dtype_sizes[t->dtype], used = 0;
        for (size_t i = 0; i < t->count; i++) {
            tsf_st_put_le(buf + used, elem_bits(t, i), es);
            used += es;
            if (used == sizeof buf || i + 1 == t->count) {
                if (fwrite(buf, 1, used, f) != used) return TSF_EIO;
                used = 0;
            }
        }
    }
    return TSF_OK;
}

tsf_status tsf_st_write(const tsf_st *doc, const char *path)
{
    if (!doc || !path) return tsf_set_error(TSF_EINVAL, "tsf_st_write: NULL argument");
    size_t *order = malloc((doc->ntensors ? doc->ntensors : 1) * sizeof *order);
    if (!order) return tsf_st_nomem();
    layout(doc, order);
    char *hdr = header_json(doc, order);
    if (!hdr) {
        free(order);
        return tsf_set_error(TSF_EINVAL, "%s: cannot encode the model header (names and "
                             "metadata must be UTF-8 text)", path);
    }
    size_t hlen = strlen(hdr), padded = (hlen + 7) / 8 * 8;

    tsf_atomic_file *af;
    tsf_status st = tsf_atomic_open(path, &af);
    if (st) goto out;
    if ((st = write_all(tsf_atomic_stream(af), doc, order, hdr, hlen, padded))) {
        int e = errno;
        tsf_atomic_discard(af);
        st = tsf_set_error(TSF_EIO, "%s: cannot write the model file (%s); nothing was "
                           "written", path, strerror(e));
        goto out;
    }
    st = tsf_atomic_commit(af);
out:
    free(hdr);
    free(order);
    return st;
}
