/* tsf batch: long-format input (one row per observation: id, time, value)
 * read as a stream with libcsv, so memory is bounded by the series being
 * assembled, not by the file.
 *
 * Rows of one series must be contiguous (the file sorted by id).  An id that
 * comes back after another id started is an error naming the line: grouping
 * an unsorted file would need the whole file in memory, which is what this
 * reader exists to avoid.  To tell a reappearing id from a new one every id
 * seen is kept (in a hash set: the id's length plus 8-16 bytes per series). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <csv.h>
#include "batch.h"
#include "cli.h"

/* ---- set of ids seen ----
 * Open addressing (FNV-1a, load <= 1/2) over offsets into one arena of
 * NUL-terminated ids: about (length of the id + 1) + 8..16 bytes per series,
 * with no malloc per id. */
typedef struct {
    uint64_t *slot;        /* offset + 1 into arena; 0 = empty */
    size_t cap, n;
    char *arena;
    size_t alen, acap;
} idset;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int idset_grow(idset *set)
{
    size_t cap = set->cap ? 2 * set->cap : 1024;
    uint64_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slot[i]) continue;
        size_t j = fnv1a(set->arena + set->slot[i] - 1) & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = set->slot[i];
    }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
    return 0;
}

/* 1 when id was there already, 0 when added, -1 out of memory. */
static int idset_add(idset *set, const char *id)
{
    if (2 * (set->n + 1) > set->cap && idset_grow(set)) return -1;
    size_t j = fnv1a(id) & (set->cap - 1);
    for (; set->slot[j]; j = (j + 1) & (set->cap - 1))
        if (!strcmp(set->arena + set->slot[j] - 1, id)) return 1;
    size_t len = strlen(id) + 1;
    if (set->alen + len > set->acap) {
        size_t cap = set->acap ? set->acap : 4096;
        while (cap < set->alen + len) cap *= 2;
        char *a = realloc(set->arena, cap);
        if (!a) return -1;
        set->arena = a;
        set->acap = cap;
    }
    memcpy(set->arena + set->alen, id, len);
    set->slot[j] = (uint64_t)set->alen + 1;
    set->alen += len;
    set->n++;
    return 0;
}

static void idset_free(idset *set)
{
    free(set->slot);
    free(set->arena);
}

/* ---- the reader ---- */
struct batch_long {
    FILE *fp;
    const char *path;
    struct csv_parser csv;
    long long fsize, fread_bytes;
    int eof, err;
    char errmsg[1024];
    /* header */
    int header_done;
    size_t ncols_hdr;
    const char *want[3];   /* id, time, value names asked for (NULL: defaults) */
    long col[3];           /* their indices; -1 when absent (time; value with no_value) */
    char hdr[512];         /* the header's names, for messages */
    /* regressor columns (--xreg) */
    const char *const *xnames;
    size_t nx;
    long *xcol;            /* their indices */
    double *xval;          /* the values of the record being parsed */
    int *xhave;
    int no_value;
    int csv_ok;            /* csv initialised */
    /* the record being parsed */
    size_t field, line;
    char *cell[3];
    int have[3];
    /* the series being assembled */
    batch_series cur;
    unsigned long *lines;  /* line of each of its rows */
    size_t cap;
    const tsf_time_opts *topts;
    int notes;
    int has_cur;
    /* finished series waiting to be handed out */
    batch_series *queue;
    size_t qn, qcap;
    idset ids;
};

static const char *const default_names[3][4] = {
    {"id", "unique_id", "series", NULL},
    {"time", "ds", "date", NULL},
    {"value", "y", NULL, NULL},
};
static const char *const role[3] = {"id", "time", "value"};

static void fail(batch_long *r, const char *fmt, const char *a, const char *b)
{
    if (r->err) return;
    r->err = 1;
    char msg[768];
    snprintf(msg, sizeof msg, fmt, a, b);
    snprintf(r->errmsg, sizeof r->errmsg, "%s: line %zu: %s", r->path, r->line, msg);
}

static int header_field(batch_long *r, const char *name)
{
    size_t j = r->ncols_hdr++, hl = strlen(r->hdr);
    snprintf(r->hdr + hl, sizeof r->hdr - hl, "%s%s", j ? ", " : "", name);
    for (size_t k = 0; k < r->nx; k++)
        if (r->xcol[k] < 0 && !strcmp(name, r->xnames[k])) {
            r->xcol[k] = (long)j;
            return 0;
        }
    for (int k = 0; k < 3; k++) {
        if (r->col[k] >= 0) continue;
        int match = 0;
        if (r->want[k]) match = !strcmp(name, r->want[k]);
        else
            for (int d = 0; default_names[k][d]; d++)
                match |= !strcasecmp(name, default_names[k][d]);
        if (match) {
            r->col[k] = (long)j;
            return 0;
        }
    }
    return 0;
}

static void header_end(batch_long *r)
{
    r->header_done = 1;
    for (size_t k = 0; k < r->nx; k++) {
        if (r->xcol[k] >= 0) continue;
        fail(r, "--xreg column '%s' is not in the header (its columns: %s)", r->xnames[k],
             r->hdr);
        return;
    }
    for (int k = 0; k < 3; k++) {
        if (r->col[k] >= 0 || (k == 1 && !r->want[1]) || (k == 2 && r->no_value)) continue;
        char names[64];
        if (r->want[k]) snprintf(names, sizeof names, "'%s'", r->want[k]);
        else snprintf(names, sizeof names, "%s", k == 0 ? "id, unique_id or series"
                                                            : "value or y");
        char msg[256];
        snprintf(msg, sizeof msg, "long format needs %s %s column (%s); name it with --%s COL",
                 k == 0 ? "an" : "a", role[k], names, role[k]);
        fail(r, "%s%s", msg, "");
        return;
    }
}

/* A regressor cell of the record being parsed (on line r->line + 1):
 * covariates are not modelled, so a missing value is an error too. */
static void parse_x(batch_long *r, size_t k, const char *txt)
{
    char *end;
    double v = strtod(txt, &end);
    while (*end == ' ') end++;
    if (*txt && strcmp(txt, "NA") && end != txt && !*end && isfinite(v)) {
        r->xval[k] = v;
        return;
    }
    if (r->err) return;
    r->err = 1;
    int missing = !*txt || !strcmp(txt, "NA");
    snprintf(r->errmsg, sizeof r->errmsg, "%s:%zu: column %ld ('%s'): %s%s%s; regressors are "
             "not modelled, so every row needs a finite number: fill it in", r->path,
             r->line + 1, r->xcol[k] + 1, r->xnames[k],
             missing ? "the regressor value is missing (empty or NA)" : "'",
             missing ? "" : txt, missing ? "" : "' is not a finite number");
}

static void on_field(void *s, size_t len, void *data)
{
    batch_long *r = data;
    if (r->err) return;
    const char *txt = s ? s : "";
    (void)len;
    if (!r->header_done) {
        header_field(r, txt);
        return;
    }
    for (int k = 0; k < 3; k++) {
        if (r->col[k] != (long)r->field) continue;
        free(r->cell[k]);
        if (!(r->cell[k] = strdup(txt))) fail(r, "out of memory%s%s", "", "");
        r->have[k] = 1;
    }
    for (size_t k = 0; k < r->nx; k++)
        if (r->xcol[k] == (long)r->field) {
            parse_x(r, k, txt);
            r->xhave[k] = 1;
        }
    r->field++;
}

static int parse_value(batch_long *r, const char *txt, double *v)
{
    if (!*txt || !strcmp(txt, "NA")) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(txt, &end);
    while (*end == ' ') end++;
    if (end == txt || *end || !isfinite(*v)) {
        char c[32];
        snprintf(c, sizeof c, "%ld", r->col[2] + 1);
        fail(r, "column %s (value): '%s' is not a number (missing values: empty or NA)", c, txt);
        return -1;
    }
    return 0;
}

static int queue_push(batch_long *r, batch_series *s)
{
    if (r->qn == r->qcap) {
        size_t cap = r->qcap ? 2 * r->qcap : 64;
        batch_series *q = realloc(r->queue, cap * sizeof *q);
        if (!q) return -1;
        r->queue = q;
        r->qcap = cap;
    }
    r->queue[r->qn++] = *s;
    memset(s, 0, sizeof *s);
    return 0;
}

/* Puts the current series on its time grid, rows for missing stamps
 * filled with NaN; a series whose stamps break the rules keeps the reason
 * (its error row) and the file goes on. */
static void place_on_grid(batch_long *r, batch_series *s)
{
    size_t n = s->n, *pos = malloc((n ? n : 1) * sizeof *pos);
    if (!pos) {
        fail(r, "out of memory%s%s", "", "");
        return;
    }
    tsf_time_source src = {r->path, r->lines, (size_t)r->col[1] + 1};
    if (tsf_time_grid(s->labels, n, r->topts, &src, &s->axis, pos)) {
        if (!(s->error = strdup(tsf_errmsg()))) fail(r, "out of memory%s%s", "", "");
        free(pos);
        return;
    }
    size_t ng = s->axis.n;
    if (ng > n) {
        double *y = realloc(s->y, ng * sizeof *y);
        if (y) s->y = y;
        char **l = y ? realloc(s->labels, ng * sizeof *l) : NULL;
        if (l) s->labels = l;
        if (!l) {
            fail(r, "out of memory%s%s", "", "");
        } else {
            tsf_time_spread(pos, n, ng, s->y);
            for (size_t k = 0; k < s->nxc; k++) {
                double *x = realloc(s->xc[k], ng * sizeof *x);
                if (!x) {
                    fail(r, "out of memory%s%s", "", "");
                    break;
                }
                s->xc[k] = x;
                tsf_time_spread(pos, n, ng, x);
            }
            if (tsf_time_spread_labels(&s->axis, pos, n, s->labels))
                fail(r, "out of memory%s%s", "", "");
            s->n = ng;
            if (r->notes) cli_note_gaps(r->path, s->id, &s->axis, s->labels);
        }
    }
    s->period = s->axis.period;
    free(pos);
}

static void finish_current(batch_long *r)
{
    if (!r->has_cur) return;
    r->cur.period = 1;
    if (r->cur.labels && !r->no_value) place_on_grid(r, &r->cur);
    if (queue_push(r, &r->cur)) fail(r, "out of memory%s%s", "", "");
    r->has_cur = 0;
    r->cap = 0;
}

static void append(batch_long *r, double v)
{
    batch_series *s = &r->cur;
    if (s->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        double *y = realloc(s->y, cap * sizeof *y);
        if (y) s->y = y;
        char **l = r->col[1] >= 0 ? realloc(s->labels, cap * sizeof *l) : NULL;
        if (l) s->labels = l;
        unsigned long *ln = l ? realloc(r->lines, cap * sizeof *ln) : NULL;
        if (ln) r->lines = ln;
        for (size_t k = 0; y && k < s->nxc; k++) {
            double *x = realloc(s->xc[k], cap * sizeof *x);
            if (x) s->xc[k] = x;
            else y = NULL;
        }
        if (!y || (r->col[1] >= 0 && (!l || !ln))) {
            fail(r, "out of memory%s%s", "", "");
            return;
        }
        r->cap = cap;
    }
    for (size_t k = 0; k < s->nxc; k++) s->xc[k][s->n] = r->xval[k];
    if (r->col[1] >= 0) {
        s->labels[s->n] = r->cell[1];
        r->lines[s->n] = (unsigned long)r->line;
        r->cell[1] = NULL;
    }
    s->y[s->n++] = v;
}

static void on_record(int c, void *data)
{
    batch_long *r = data;
    (void)c;
    r->line++;
    if (r->err) return;
    if (!r->header_done) {
        header_end(r);
        return;
    }
    int short_row = 0;
    for (int k = 0; k < 3; k++) short_row |= r->col[k] >= 0 && !r->have[k];
    for (size_t k = 0; k < r->nx; k++) short_row |= !r->xhave[k];
    if (short_row) {
        char cnt[32];
        snprintf(cnt, sizeof cnt, "%zu", r->field);
        fail(r, "%s fields, but the header has more; every row needs %s", cnt,
             r->nx ? "id, time, value and the --xreg columns" : "id, time and value");
        return;
    }
    double v = NAN;
    if (!r->no_value && parse_value(r, r->cell[2], &v)) return;
    const char *id = r->cell[0];
    if (!*id) {
        fail(r, "the id is empty%s%s", "", "");
        return;
    }
    if (!r->has_cur || strcmp(id, r->cur.id)) {
        finish_current(r);
        int seen = idset_add(&r->ids, id);
        if (seen < 0) {
            fail(r, "out of memory%s%s", "", "");
            return;
        }
        if (seen) {
            fail(r, "id '%s' appears again after other ids started; rows of one series must be "
                 "contiguous: sort the file by id first (e.g. keep the header and run "
                 "sort -t, -k1,1 -s on the rest)%s", id, "");
            return;
        }
        memset(&r->cur, 0, sizeof r->cur);
        r->cur.owned = 1;
        if (r->nx) {
            if (!(r->cur.xc = calloc(r->nx, sizeof *r->cur.xc))) {
                fail(r, "out of memory%s%s", "", "");
                return;
            }
            r->cur.nxc = r->nx;
            r->cur.xnames = r->xnames;
        }
        r->cur.id = r->cell[0];
        r->cell[0] = NULL;
        r->has_cur = 1;
    }
    append(r, v);
    r->field = 0;
    memset(r->have, 0, sizeof r->have);
    for (size_t k = 0; k < r->nx; k++) r->xhave[k] = 0;
}

int batch_long_open(const char *path, const char *idc, const char *timec, const char *valc,
                    const char *const *xnames, size_t nx, int no_value,
                    const tsf_time_opts *topts, int notes, batch_long **out)
{
    *out = NULL;
    batch_long *r = calloc(1, sizeof *r);
    if (!r) return cli_usage("out of memory");
    r->xnames = xnames;
    r->nx = nx;
    r->no_value = no_value;
    r->xcol = malloc((nx ? nx : 1) * sizeof *r->xcol);
    r->xval = malloc((nx ? nx : 1) * sizeof *r->xval);
    r->xhave = calloc(nx ? nx : 1, sizeof *r->xhave);
    if (!r->xcol || !r->xval || !r->xhave) {
        free(r->xcol);
        free(r->xval);
        free(r->xhave);
        free(r);
        return cli_usage("out of memory");
    }
    for (size_t k = 0; k < nx; k++) r->xcol[k] = -1;
    r->path = path;
    r->topts = topts;
    r->notes = notes;
    r->want[0] = idc;
    r->want[1] = timec;
    r->want[2] = valc;
    r->col[0] = r->col[1] = r->col[2] = -1;
    r->line = 0;
    if (csv_init(&r->csv, CSV_APPEND_NULL) != 0) {
        batch_long_close(r);
        return cli_usage("out of memory");
    }
    r->csv_ok = 1;
    if (!(r->fp = fopen(path, "rb"))) {
        int e = errno;
        batch_long_close(r);
        return cli_usage("%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    r->fsize = fstat(fileno(r->fp), &sb) == 0 ? (long long)sb.st_size : 0;
    *out = r;
    /* Read until the header is complete so has_time is known. */
    char buf[4096];
    while (!r->header_done && !r->err) {
        size_t got = fread(buf, 1, sizeof buf, r->fp);
        r->fread_bytes += (long long)got;
        if (got == 0) {
            csv_fini(&r->csv, on_field, on_record, r);
            r->eof = 1;
            if (!r->header_done) {
                r->err = 1;
                snprintf(r->errmsg, sizeof r->errmsg, "%s: the file is empty (a header such as "
                         "id,time,value is needed)", r->path);
            }
            break;
        }
        size_t used = csv_parse(&r->csv, buf, got, on_field, on_record, r);
        if (used != got) fail(r, "CSV syntax error: %s%s", csv_strerror(csv_error(&r->csv)), "");
    }
    if (r->err) {
        int rc = cli_usage("%s", r->errmsg);
        batch_long_close(r);
        *out = NULL;
        return rc;
    }
    return 0;
}

int batch_long_has_time(const batch_long *r)
{
    return r->col[1] >= 0;
}

double batch_long_fraction(const batch_long *r)
{
    if (r->fsize <= 0) return 0.0;
    double f = (double)r->fread_bytes / (double)r->fsize;
    return f > 1.0 ? 1.0 : f;
}

int batch_long_next(batch_long *r, batch_series *out, size_t max, size_t *n, int *eof)
{
    char buf[65536];
    while (r->qn < max && !r->eof && !r->err) {
        size_t got = fread(buf, 1, sizeof buf, r->fp);
        r->fread_bytes += (long long)got;
        if (got == 0) {
            if (ferror(r->fp)) fail(r, "read error%s%s", "", "");
            if (csv_fini(&r->csv, on_field, on_record, r) != 0)
                fail(r, "CSV syntax error at the end of the file%s%s", "", "");
            finish_current(r);
            r->eof = 1;
            break;
        }
        if (csv_parse(&r->csv, buf, got, on_field, on_record, r) != got)
            fail(r, "CSV syntax error: %s%s", csv_strerror(csv_error(&r->csv)), "");
    }
    if (r->err) return cli_usage("%s", r->errmsg);
    size_t k = r->qn < max ? r->qn : max;
    memcpy(out, r->queue, k * sizeof *out);
    memmove(r->queue, r->queue + k, (r->qn - k) * sizeof *r->queue);
    r->qn -= k;
    *n = k;
    *eof = r->eof && r->qn == 0;
    return 0;
}

void batch_long_close(batch_long *r)
{
    if (!r) return;
    if (r->fp) fclose(r->fp);
    if (r->csv_ok) csv_free(&r->csv);
    for (size_t i = 0; i < r->qn; i++) batch_series_free(&r->queue[i]);
    free(r->queue);
    if (r->has_cur) batch_series_free(&r->cur);
    else free(r->cur.y);
    for (int k = 0; k < 3; k++) free(r->cell[k]);
    free(r->lines);
    free(r->xcol);
    free(r->xval);
    free(r->xhave);
    idset_free(&r->ids);
    free(r);
}
