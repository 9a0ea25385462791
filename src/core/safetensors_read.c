/* Reading safetensors files as untrusted input: every length, offset,
 * shape and dtype is checked before use, and every failure is TSF_EPARSE
 * with "FILE: bad model file: WHAT; re-create it with tsf fit -o". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "safetensors_impl.h"

static void set_elem_bits(st_tensor *t, size_t i, uint64_t v)
{
    if (tsf_st_dtype_sizes[t->dtype] == 4) {
        uint32_t u = (uint32_t)v;
        memcpy((unsigned char *)t->data + 4 * i, &u, 4);
    } else {
        memcpy((unsigned char *)t->data + 8 * i, &v, 8);
    }
}

/* A non-negative JSON integer as size_t, or -1. */
static int get_size(const json_t *v, size_t *out)
{
    if (!json_is_integer(v)) return -1;
    json_int_t i = json_integer_value(v);
    if (i < 0 || (unsigned long long)i > SIZE_MAX) return -1;
    *out = (size_t)i;
    return 0;
}

static tsf_status parse_meta(tsf_st *doc, const json_t *meta)
{
    if (!json_is_object(meta)) return tsf_st_bad(doc->name, "__metadata__ is not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)meta, key, v) {
        if (!json_is_string(v))
            return tsf_st_bad(doc->name, "metadata '%.64s' is not a string", key);
        tsf_status st = tsf_st_set_meta(doc, key, json_string_value(v));
        if (st) return st;
    }
    return TSF_OK;
}

/* One tensor entry: dtype, shape and offsets checked against the buffer. */
static tsf_status parse_tensor(tsf_st *doc, const char *name, const json_t *o,
                               const unsigned char *buf, size_t buflen)
{
    const char *f = doc->name;
    if (!json_is_object(o)) return tsf_st_bad(f, "entry '%.64s' is not a JSON object", name);
    const json_t *jd = json_object_get(o, "dtype"), *js = json_object_get(o, "shape"),
                 *jo = json_object_get(o, "data_offsets");
    if (!jd || !js || !jo || json_object_size(o) != 3)
        return tsf_st_bad(f, "tensor '%.64s' needs exactly dtype, shape and data_offsets", name);
    if (!json_is_string(jd)) return tsf_st_bad(f, "tensor '%.64s': dtype is not a string", name);
    st_tensor t = {0};
    const char *dt = json_string_value(jd);
    size_t k = 0;
    while (k < 3 && strcmp(dt, tsf_st_dtype_names[k]) != 0) k++;
    if (k == 3)
        return tsf_st_bad(f, "tensor '%.64s' has unknown dtype '%.16s' (tsf reads F64, F32, "
                          "I64)", name, dt);
    t.dtype = (tsf_st_dtype)k;
    if (!json_is_array(js) || json_array_size(js) > ST_MAX_DIMS)
        return tsf_st_bad(f, "tensor '%.64s': shape is not a list of at most %d sizes", name,
                          ST_MAX_DIMS);
    t.ndim = json_array_size(js);
    for (size_t d = 0; d < t.ndim; d++)
        if (get_size(json_array_get(js, d), &t.shape[d]))
            return tsf_st_bad(f, "tensor '%.64s': shape holds something other than a size",
                              name);
    if (!json_is_array(jo) || json_array_size(jo) != 2 ||
        get_size(json_array_get(jo, 0), &t.begin) || get_size(json_array_get(jo, 1), &t.end) ||
        t.begin > t.end)
        return tsf_st_bad(f, "tensor '%.64s': data_offsets is not [begin, end] with "
                          "begin <= end", name);
    if (t.end > buflen)
        return tsf_st_bad(f, "tensor '%.64s': data_offsets end %zu is past the data (%zu "
                          "bytes)", name, t.end, buflen);
    int ok;
    size_t es = tsf_st_dtype_sizes[t.dtype];
    t.count = tsf_st_count(t.ndim, t.shape, es, &ok);
    if (!ok || t.count * es != t.end - t.begin)
        return tsf_st_bad(f, "tensor '%.64s': shape and dtype need %s bytes but data_offsets "
                          "span %zu", name, ok ? "a different number of" : "too many",
                          t.end - t.begin);
    t.name = strdup(name);
    if (!t.name) return tsf_st_nomem();
    if (t.count) {
        t.data = malloc(t.count * es);
        if (!t.data) {
            free(t.name);
            return tsf_st_nomem();
        }
        for (size_t i = 0; i < t.count; i++)
            set_elem_bits(&t, i, tsf_st_get_le(buf + t.begin + i * es, es));
    }
    return tsf_st_push(doc, &t);
}

static int by_offset(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* The tensors must tile [0, buflen) exactly, as safetensors requires. */
static tsf_status check_tiling(const tsf_st *doc, size_t buflen)
{
    const st_tensor **idx = malloc((doc->ntensors ? doc->ntensors : 1) * sizeof *idx);
    if (!idx) return tsf_st_nomem();
    for (size_t i = 0; i < doc->ntensors; i++) idx[i] = &doc->tensors[i];
    qsort(idx, doc->ntensors, sizeof *idx, by_offset);
    size_t pos = 0;
    tsf_status st = TSF_OK;
    for (size_t i = 0; i < doc->ntensors && !st; i++) {
        if (idx[i]->begin < pos)
            st = tsf_st_bad(doc->name, "tensor '%.64s' overlaps another tensor's data",
                            idx[i]->name);
        else if (idx[i]->begin > pos)
            st = tsf_st_bad(doc->name, "hole in the data before tensor '%.64s' (bytes "
                            "%zu..%zu belong to no tensor)", idx[i]->name, pos, idx[i]->begin);
        else
            pos = idx[i]->end;
    }
    if (!st && pos != buflen)
        st = tsf_st_bad(doc->name, "%zu bytes at the end of the data belong to no tensor",
                        buflen - pos);
    free(idx);
    return st;
}

static tsf_status parse_doc(tsf_st *doc, const unsigned char *buf, size_t len)
{
    const char *f = doc->name;
    if (len < 8)
        return tsf_st_bad(f, "the file is %zu bytes, too short for a safetensors header", len);
    uint64_t n = tsf_st_get_le(buf, 8);
    if (n > ST_MAX_HEADER)
        return tsf_st_bad(f, "header length %llu is over the limit of %zu bytes",
                          (unsigned long long)n, ST_MAX_HEADER);
    if (n > len - 8)
        return tsf_st_bad(f, "header length %llu is larger than the file (%zu bytes; "
                          "truncated?)", (unsigned long long)n, len);
    if (n == 0 || buf[8] != '{') return tsf_st_bad(f, "the header does not start with '{'");
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tsf_st_bad(f, "the header is not valid JSON (column %d: %.100s)", jerr.column,
                          jerr.text);
    tsf_status st = TSF_OK;
    if (!json_is_object(root)) st = tsf_st_bad(f, "the header is not a JSON object");
    const unsigned char *data = buf + 8 + n;
    size_t buflen = len - 8 - (size_t)n;
    const char *key;
    json_t *v;
    if (!st) {
        json_object_foreach(root, key, v) {
            st = strcmp(key, "__metadata__") == 0 ? parse_meta(doc, v)
                                                  : parse_tensor(doc, key, v, data, buflen);
            if (st) break;
        }
    }
    json_decref(root);
    return st ? st : check_tiling(doc, buflen);
}

tsf_status tsf_st_parse(const unsigned char *buf, size_t len, const char *name, tsf_st **out)
{
    *out = NULL;
    if (!buf && len) return tsf_set_error(TSF_EINVAL, "tsf_st_parse: NULL buffer");
    tsf_st *doc;
    tsf_status st = tsf_st_new(&doc);
    if (st) return st;
    doc->name = strdup(name ? name : "model file");
    if (!doc->name) {
        tsf_st_free(doc);
        return tsf_st_nomem();
    }
    if ((st = parse_doc(doc, buf, len))) {
        tsf_st_free(doc);
        return st;
    }
    *out = doc;
    return TSF_OK;
}

tsf_status tsf_st_read(const char *path, tsf_st **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return tsf_set_error(TSF_EIO, "%s: cannot open the model file (%s)", path,
                                 strerror(errno));
    /* A regular file too large is refused before reading it; other files
     * (pipes) are bounded by the same limit while reading. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (unsigned long long)sb.st_size > ST_MAX_FILE) {
        fclose(f);
        return tsf_st_bad(path, "the file is larger than %zu bytes", ST_MAX_FILE);
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    tsf_status st = buf ? TSF_OK : tsf_st_nomem();
    while (!st) {
        if (len == cap) {
            if (cap >= ST_MAX_FILE) {
                st = tsf_st_bad(path, "the file is larger than %zu bytes", ST_MAX_FILE);
                break;
            }
            unsigned char *nb = realloc(buf, 2 * cap);
            if (!nb) {
                st = tsf_st_nomem();
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = tsf_set_error(TSF_EIO, "%s: cannot read the model file (%s)", path,
                                   strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!st) st = tsf_st_parse(buf, len, path, out);
    free(buf);
    return st;
}
