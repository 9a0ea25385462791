/* safetensors documents: building, atomic writing, and validating reads.
 *
 * Layout (https://github.com/huggingface/safetensors, "Format"): an 8-byte
 * little-endian u64 N, N bytes of UTF-8 JSON (padded with spaces to a
 * multiple of 8, as Python's safetensors writes it), then the byte buffer.
 * Each tensor's data_offsets are relative to the start of the buffer; the
 * tensors tile the buffer exactly (no holes, no overlaps).  Data are
 * little-endian; tensors are kept here in host order, each in its own
 * allocation so that tsf_st_get's pointer is suitably aligned. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
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
    size_t begin, end; /* byte offsets in the buffer (reading/writing) */
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

static const char *const dtype_names[] = {"F64", "F32", "I64"};
static const size_t dtype_sizes[] = {8, 4, 8};

static const char *doc_name(const tsf_st *doc)
{
    return doc && doc->name ? doc->name : "model file";
}

/* TSF_EPARSE: "FILE: bad model file: WHAT; re-create it with tsf fit -o". */
static tsf_status bad(const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static tsf_status bad(const char *file, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tsf_set_error(TSF_EPARSE, "%s: bad model file: %s; re-create it with tsf fit -o",
                         file, what);
}

static tsf_status nomem(void)
{
    return tsf_set_error(TSF_ENOMEM, "out of memory handling a model file");
}

tsf_status tsf_st_new(tsf_st **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TSF_OK : nomem();
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
    if (!v) return nomem();
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
            return nomem();
        }
        doc->meta = m;
        doc->capmeta = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return nomem();
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

/* Element count of a shape, 0 on overflow of size_t bytes (*ok cleared). */
static size_t shape_count(size_t ndim, const size_t *shape, size_t elsize, int *ok)
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

/* Appends a tensor taking ownership of name and data (freed on failure). */
static tsf_status push_tensor(tsf_st *doc, st_tensor *t)
{
    if (doc->ntensors == doc->captensors) {
        size_t cap = doc->captensors ? 2 * doc->captensors : 8;
        st_tensor *n = realloc(doc->tensors, cap * sizeof *n);
        if (!n) {
            free(t->name);
            free(t->data);
            return nomem();
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
    size_t es = dtype_sizes[dtype];
    st_tensor t = {0};
    t.count = shape_count(ndim, shape, es, &ok);
    if (!ok) return tsf_set_error(TSF_EINVAL, "tensor '%s' is too large", name);
    if (t.count && !data) return tsf_set_error(TSF_EINVAL, "tensor '%s' has no data", name);
    t.dtype = dtype;
    t.ndim = ndim;
    for (size_t d = 0; d < ndim; d++) t.shape[d] = shape[d];
    t.name = strdup(name);
    if (!t.name) return nomem();
    if (t.count) {
        t.data = malloc(t.count * es);
        if (!t.data) {
            free(t.name);
            return nomem();
        }
        memcpy(t.data, data, t.count * es);
    }
    return push_tensor(doc, &t);
}

tsf_status tsf_st_get(const tsf_st *doc, const char *name, tsf_st_dtype dtype, size_t *ndim,
                      const size_t **shape, const void **data, size_t *count)
{
    const st_tensor *t = find_tensor(doc, name);
    if (!t) return bad(doc_name(doc), "tensor '%s' is missing", name);
    if (t->dtype != dtype)
        return bad(doc_name(doc), "tensor '%s' has dtype %s, expected %s", name,
                   dtype_names[t->dtype], dtype_names[(unsigned)dtype <= TSF_ST_I64 ? dtype : 0]);
    if (ndim) *ndim = t->ndim;
    if (shape) *shape = t->shape;
    if (data) *data = t->data;
    if (count) *count = t->count;
    return TSF_OK;
}

/* ---- little-endian encoding (portable: no assumption on host order) ---- */

static void put_le(unsigned char *p, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Element i of t's host-order data as raw bits. */
static uint64_t elem_bits(const st_tensor *t, size_t i)
{
    if (dtype_sizes[t->dtype] == 4) {
        uint32_t u;
        memcpy(&u, (const unsigned char *)t->data + 4 * i, 4);
        return u;
    }
    uint64_t u;
    memcpy(&u, (const unsigned char *)t->data + 8 * i, 8);
    return u;
}

static void set_elem_bits(st_tensor *t, size_t i, uint64_t v)
{
    if (dtype_sizes[t->dtype] == 4) {
        uint32_t u = (uint32_t)v;
        memcpy((unsigned char *)t->data + 4 * i, &u, 4);
    } else {
        memcpy((unsigned char *)t->data + 8 * i, &v, 8);
    }
}

/* ---- writing ---- */

static int add_int(json_t *arr, size_t v)
{
    return v <= (size_t)LLONG_MAX ? json_array_append_new(arr, json_integer((json_int_t)v))
                                         : -1;
}

/* Lays the buffer out: 8-byte dtypes first, then 4-byte ones, each group in
 * insertion order, so that every tensor is aligned to its element size
 * (the buffer starts at a multiple of 8) as Python's safetensors does.
 * Fills order[] and each tensor's begin/end; returns the buffer length. */
static size_t layout(const tsf_st *doc, size_t *order)
{
    size_t k = 0, off = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < doc->ntensors; i++) {
            st_tensor *t = &doc->tensors[i];
            size_t es = dtype_sizes[t->dtype];
            if ((pass == 0) != (es == 8)) continue;
            order[k++] = i;
            t->begin = off;
            off += t->count * es;
            t->end = off;
        }
    return off;
}

/* The JSON header text (compact, unpadded) or NULL. */
static char *header_json(const tsf_st *doc, const size_t *order)
{
    json_t *root = json_object();
    if (!root) return NULL;
    int err = 0;
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
        json_t *o = json_object(), *shape = json_array(), *offs = json_array();
        for (size_t d = 0; d < t->ndim; d++) err |= add_int(shape, t->shape[d]);
        err |= add_int(offs, t->begin) | add_int(offs, t->end);
        /* jansson's _new setters take the reference even on failure (NULL
         * object or value included), so nothing leaks on error. */
        err |= json_object_set_new(o, "dtype", json_string(dtype_names[t->dtype]));
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
    put_le(len8, padded, 8);
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(hdr, 1, hlen, f) != hlen) return TSF_EIO;
    for (size_t i = hlen; i < padded; i++)
        if (fputc(' ', f) == EOF) return TSF_EIO;
    for (size_t k = 0; k < doc->ntensors; k++) {
        const st_tensor *t = &doc->tensors[order[k]];
        size_t es = dtype_sizes[t->dtype], used = 0;
        for (size_t i = 0; i < t->count; i++) {
            put_le(buf + used, elem_bits(t, i), es);
            used += es;
            if (used == sizeof buf || i + 1 == t->count) {
                if (fwrite(buf, 1, used, f) != used) return TSF_EIO;
                used = 0;
            }
        }
    }
    return TSF_OK;
}

/* fsync of the directory so that the rename itself is durable; best effort. */
static void sync_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return;
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash) {
        slash[slash == dir ? 1 : 0] = '\0';
        d = dir;
    }
    int fd = open(d, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

tsf_status tsf_st_write(const tsf_st *doc, const char *path)
{
    if (!doc || !path) return tsf_set_error(TSF_EINVAL, "tsf_st_write: NULL argument");
    size_t *order = malloc((doc->ntensors ? doc->ntensors : 1) * sizeof *order);
    if (!order) return nomem();
    layout(doc, order);
    char *hdr = header_json(doc, order);
    if (!hdr) {
        free(order);
        return tsf_set_error(TSF_EINVAL, "%s: cannot encode the model header (names and "
                             "metadata must be UTF-8 text)", path);
    }
    size_t hlen = strlen(hdr), padded = (hlen + 7) / 8 * 8;

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(hdr);
        free(order);
        return nomem();
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmpXXXXXX", 11);
    tsf_status st = TSF_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = tsf_set_error(TSF_EIO, "%s: cannot create a temporary file next to it (%s); "
                           "check that the directory exists and is writable",
                           path, strerror(errno));
        goto out;
    }
    /* mkstemp makes the file 0600; keep the mode of a file we replace,
     * else the usual mode of a data file. */
    struct stat sb;
    (void)fchmod(fd, stat(path, &sb) == 0 ? (sb.st_mode & 07777) : 0644);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        st = TSF_EIO;
    } else {
        st = write_all(f, doc, order, hdr, hlen, padded);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0) st = TSF_EIO;
        if (fclose(f) != 0) st = TSF_EIO;
    }
    if (!st && rename(tmp, path) != 0) st = TSF_EIO;
    if (st) {
        int e = errno;
        unlink(tmp);
        st = tsf_set_error(TSF_EIO, "%s: cannot write the model file (%s); nothing was "
                           "written", path, strerror(e));
    } else {
        sync_dir(path);
    }
out:
    free(tmp);
    free(hdr);
    free(order);
    return st;
}

/* ---- reading ---- */

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
    if (!json_is_object(meta)) return bad(doc->name, "__metadata__ is not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)meta, key, v) {
        if (!json_is_string(v))
            return bad(doc->name, "metadata '%.64s' is not a string", key);
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
    if (!json_is_object(o)) return bad(f, "entry '%.64s' is not a JSON object", name);
    const json_t *jd = json_object_get(o, "dtype"), *js = json_object_get(o, "shape"),
                 *jo = json_object_get(o, "data_offsets");
    if (!jd || !js || !jo || json_object_size(o) != 3)
        return bad(f, "tensor '%.64s' needs exactly dtype, shape and data_offsets", name);
    if (!json_is_string(jd)) return bad(f, "tensor '%.64s': dtype is not a string", name);
    st_tensor t = {0};
    const char *dt = json_string_value(jd);
    size_t k = 0;
    while (k < 3 && strcmp(dt, dtype_names[k]) != 0) k++;
    if (k == 3)
        return bad(f, "tensor '%.64s' has unknown dtype '%.16s' (tsf reads F64, F32, I64)",
                   name, dt);
    t.dtype = (tsf_st_dtype)k;
    if (!json_is_array(js) || json_array_size(js) > ST_MAX_DIMS)
        return bad(f, "tensor '%.64s': shape is not a list of at most %d sizes", name,
                   ST_MAX_DIMS);
    t.ndim = json_array_size(js);
    for (size_t d = 0; d < t.ndim; d++)
        if (get_size(json_array_get(js, d), &t.shape[d]))
            return bad(f, "tensor '%.64s': shape holds something other than a size", name);
    if (!json_is_array(jo) || json_array_size(jo) != 2 ||
        get_size(json_array_get(jo, 0), &t.begin) || get_size(json_array_get(jo, 1), &t.end) ||
        t.begin > t.end)
        return bad(f, "tensor '%.64s': data_offsets is not [begin, end] with begin <= end",
                   name);
    if (t.end > buflen)
        return bad(f, "tensor '%.64s': data_offsets end %zu is past the data (%zu bytes)",
                   name, t.end, buflen);
    int ok;
    size_t es = dtype_sizes[t.dtype];
    t.count = shape_count(t.ndim, t.shape, es, &ok);
    if (!ok || t.count * es != t.end - t.begin)
        return bad(f, "tensor '%.64s': shape and dtype need %s bytes but data_offsets span %zu",
                   name, ok ? "a different number of" : "too many", t.end - t.begin);
    t.name = strdup(name);
    if (!t.name) return nomem();
    if (t.count) {
        t.data = malloc(t.count * es);
        if (!t.data) {
            free(t.name);
            return nomem();
        }
        for (size_t i = 0; i < t.count; i++)
            set_elem_bits(&t, i, get_le(buf + t.begin + i * es, es));
    }
    return push_tensor(doc, &t);
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
    if (!idx) return nomem();
    for (size_t i = 0; i < doc->ntensors; i++) idx[i] = &doc->tensors[i];
    qsort(idx, doc->ntensors, sizeof *idx, by_offset);
    size_t pos = 0;
    tsf_status st = TSF_OK;
    for (size_t i = 0; i < doc->ntensors && !st; i++) {
        if (idx[i]->begin < pos)
            st = bad(doc->name, "tensor '%.64s' overlaps another tensor's data", idx[i]->name);
        else if (idx[i]->begin > pos)
            st = bad(doc->name, "hole in the data before tensor '%.64s' (bytes %zu..%zu "
                     "belong to no tensor)", idx[i]->name, pos, idx[i]->begin);
        else
            pos = idx[i]->end;
    }
    if (!st && pos != buflen)
        st = bad(doc->name, "%zu bytes at the end of the data belong to no tensor", buflen - pos);
    free(idx);
    return st;
}

static tsf_status parse_doc(tsf_st *doc, const unsigned char *buf, size_t len)
{
    const char *f = doc->name;
    if (len < 8) return bad(f, "the file is %zu bytes, too short for a safetensors header", len);
    uint64_t n = get_le(buf, 8);
    if (n > ST_MAX_HEADER) return bad(f, "header length %llu is over the limit of %zu bytes",
                                      (unsigned long long)n, ST_MAX_HEADER);
    if (n > len - 8)
        return bad(f, "header length %llu is larger than the file (%zu bytes; truncated?)",
                   (unsigned long long)n, len);
    if (n == 0 || buf[8] != '{') return bad(f, "the header does not start with '{'");
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return bad(f, "the header is not valid JSON (column %d: %.100s)", jerr.column, jerr.text);
    tsf_status st = TSF_OK;
    if (!json_is_object(root)) st = bad(f, "the header is not a JSON object");
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
        return nomem();
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
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    tsf_status st = buf ? TSF_OK : nomem();
    while (!st) {
        if (len == cap) {
            if (cap >= ST_MAX_FILE) {
                st = bad(path, "the file is larger than %zu bytes", ST_MAX_FILE);
                break;
            }
            unsigned char *nb = realloc(buf, 2 * cap);
            if (!nb) {
                st = nomem();
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
