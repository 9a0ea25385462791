/* CSV reader (RFC 4180) on libcsv's push parser.
 *
 * The file is read in fixed chunks and each chunk is handed to libcsv one
 * physical line at a time, so that when libcsv calls back for a field or a
 * row we know the line we are on; the line where a field *began* is carried
 * from the previous callback (a field starts right after the delimiter or
 * row end that preceded it).  CSV_REPALL_NL makes libcsv report every line
 * end, including empty lines, which in a one-column file are missing values
 * (R writes NA that way) and must not be skipped; the LF of a CRLF pair then
 * arrives as an extra empty row right after the CR row, and is dropped.
 * CSV_STRICT makes stray quotes an error whose byte position csv_parse
 * returns; CSV_STRICT_FINI does the same for an unterminated quote at EOF. */
#include <csv.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "csv_internal.h"
#include "internal.h"

enum { FIRST_UNDECIDED, FIRST_NUMERIC, FIRST_TIME };
enum { CELL_OK, CELL_MISSING, CELL_NOTNUM, CELL_RANGE, CELL_NONFINITE };

typedef struct {
    const char *path;
    struct csv_parser p;
    tsf_status st;
    unsigned long line;       /* physical line being fed to libcsv, 1-based */
    unsigned long field_line; /* line where the current field began */
    unsigned long row_line;   /* line where the current row began */
    unsigned long hdr_line;
    unsigned long blank_line; /* first pending empty line (wide files) */
    size_t nfield;            /* fields seen so far in the current row */
    int prev_cr;              /* the last row ended at a CR */
    int header_done;
    size_t nhdr, hdr_cap;
    char **hdr;
    long time_col; /* -1: none (yet) */
    int first;     /* FIRST_*: is column 0 a time column? */
    size_t nrows, cap;
    double **vals; /* nhdr columns; NULL for the time column */
    char **labels; /* time labels (column time_col, or column 0 while undecided) */
    unsigned long *lines; /* line of each row, kept with the labels (messages) */
    const tsf_time_opts *topts; /* how the time column's grid is found (NULL: inferred) */
    char *scratch; /* NUL-terminated copy of a cell for strtod */
    size_t scratch_cap;
} reader;

/* Names one byte for a message: 'x' or byte 0xHH. */
static const char *describe(char *buf, size_t n, unsigned char c)
{
    if (c >= 0x20 && c < 0x7f) snprintf(buf, n, "'%c'", c);
    else snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

/* Records the first error as  FILE:LINE:COL: message. */
static void fail_at(reader *r, tsf_status code, unsigned long line, size_t col, const char *fmt,
                    ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void fail_at(reader *r, tsf_status code, unsigned long line, size_t col, const char *fmt,
                    ...)
{
    if (r->st != TSF_OK) return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->st = tsf_set_error(code, "%s:%lu:%zu: %s", r->path, line, col, msg);
}

static void fail_nomem(reader *r)
{
    if (r->st != TSF_OK) return;
    r->st = tsf_set_error(TSF_ENOMEM, "%s: out of memory reading the file", r->path);
}

static int is_time_name(const char *s)
{
    static const char *const names[] = {"time", "date", "month", "year", "period", "index"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i]) == 0) return 1;
    return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Classifies a trimmed cell and parses it into *v (C locale is in force). */
static int parse_cell(reader *r, const char *text, size_t len, double *v)
{
    *v = NAN;
    if (len == 0 || (len == 2 && text[0] == 'N' && text[1] == 'A')) return CELL_MISSING;
    if (len + 1 > r->scratch_cap) {
        char *s = realloc(r->scratch, len + 1);
        if (!s) {
            fail_nomem(r);
            return CELL_MISSING;
        }
        r->scratch = s;
        r->scratch_cap = len + 1;
    }
    memcpy(r->scratch, text, len);
    r->scratch[len] = '\0';
    char *end;
    errno = 0;
    double x = strtod(r->scratch, &end);
    if (end == r->scratch || *end != '\0') return CELL_NOTNUM;
    /* strtod reads "nan", "inf" and "infinity" itself; an overflow is the
     * only other way to a non-finite value (ERANGE; underflow to 0 is fine). */
    if (errno == ERANGE && isinf(x)) return CELL_RANGE;
    if (!isfinite(x)) return CELL_NONFINITE;
    *v = x;
    return CELL_OK;
}

static void cell_error(reader *r, int kind, size_t j, const char *text, size_t len)
{
    char s[200], name[200];
    tsf_show_text(s, sizeof s, text, len);
    tsf_show_text(name, sizeof name, r->hdr[j], strlen(r->hdr[j]));
    if (kind == CELL_NOTNUM)
        fail_at(r, TSF_EPARSE, r->field_line, j + 1,
                "column '%s': '%s' is not a number; write numbers like 12.5 (with a '.' "
                "for decimals) and leave the cell empty or write NA for a missing value",
                name, s);
    else if (kind == CELL_RANGE)
        fail_at(r, TSF_EPARSE, r->field_line, j + 1,
                "column '%s': '%s' is out of the range of a double (about 1.8e308); "
                "rescale the data",
                name, s);
    else
        fail_at(r, TSF_EPARSE, r->field_line, j + 1,
                "column '%s': '%s' is not allowed (NaN and infinity are not data); "
                "leave the cell empty or write NA for a missing value",
                name, s);
}

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* Makes room for row r->nrows in every column. */
static int grow_rows(reader *r)
{
    if (r->nrows < r->cap) return 1;
    /* Start small when there are many columns: memory stays proportional
     * to the input however wide the header is. */
    size_t cap = r->cap ? r->cap * 2 : r->nhdr > 256 ? 1 : 64;
    if (cap < r->cap || cap > SIZE_MAX / sizeof(double)) return 0;
    for (size_t j = 0; j < r->nhdr; j++) {
        if ((long)j == r->time_col) continue;
        double *v = realloc(r->vals[j], cap * sizeof(double));
        if (!v) return 0;
        r->vals[j] = v;
    }
    if (r->time_col >= 0 || r->first == FIRST_UNDECIDED) {
        char **l = realloc(r->labels, cap * sizeof(char *));
        if (!l) return 0;
        for (size_t i = r->cap; i < cap; i++) l[i] = NULL; /* a failed row may leave one */
        r->labels = l;
        unsigned long *ln = realloc(r->lines, cap * sizeof *ln);
        if (!ln) return 0;
        r->lines = ln;
    }
    r->cap = cap;
    return 1;
}

static void store_label(reader *r, const char *text, size_t len)
{
    if (len == 2 && text[0] == 'N' && text[1] == 'A') len = 0; /* missing label */
    char *l = dup_text(text, len);
    if (!l) {
        fail_nomem(r);
        return;
    }
    r->labels[r->nrows] = l;
}

/* Column 0 turned out to hold numbers: its labels are not needed. */
static void drop_labels(reader *r)
{
    for (size_t i = 0; i < r->cap; i++) free(r->labels[i]);
    free(r->labels);
    r->labels = NULL;
    free(r->lines);
    r->lines = NULL;
    r->first = FIRST_NUMERIC;
}

static void data_cell(reader *r, size_t j, const char *text, size_t len)
{
    while (len && is_blank(text[0])) text++, len--;
    while (len && is_blank(text[len - 1])) len--;
    if (j == 0 && r->lines) r->lines[r->nrows] = r->row_line;
    if ((long)j == r->time_col) {
        store_label(r, text, len);
        return;
    }
    double v;
    int kind = parse_cell(r, text, len, &v);
    if (r->st != TSF_OK) return;
    if (j == 0 && r->first == FIRST_UNDECIDED) {
        /* The first column is the time column when its first non-missing
         * cell is not a number (and there is another column for values). */
        if (kind == CELL_NOTNUM && r->nhdr > 1) {
            r->first = FIRST_TIME;
            r->time_col = 0;
            free(r->vals[0]);
            r->vals[0] = NULL;
            store_label(r, text, len);
            return;
        }
        if (kind == CELL_MISSING) {
            store_label(r, text, len);
            r->vals[0][r->nrows] = v;
            return;
        }
        drop_labels(r);
    }
    if (kind != CELL_OK && kind != CELL_MISSING) {
        cell_error(r, kind, j, text, len);
        return;
    }
    r->vals[j][r->nrows] = v;
}

static void on_field(void *data, size_t len, void *ctx)
{
    reader *r = ctx;
    if (r->st != TSF_OK) return;
    const char *text = data ? data : "";
    if (r->nfield == 0) r->row_line = r->field_line;
    size_t j = r->nfield++;
    if (!r->header_done) {
        if (r->nhdr == r->hdr_cap) {
            size_t cap = r->hdr_cap ? r->hdr_cap * 2 : 8;
            char **h = cap > SIZE_MAX / sizeof(char *) ? NULL : realloc(r->hdr, cap * sizeof(char *));
            if (!h) {
                fail_nomem(r);
                return;
            }
            r->hdr = h;
            r->hdr_cap = cap;
        }
        while (len && is_blank(text[0])) text++, len--;
        while (len && is_blank(text[len - 1])) len--;
        if (!(r->hdr[r->nhdr] = dup_text(text, len))) {
            fail_nomem(r);
            return;
        }
        r->nhdr++;
    } else if (j < r->nhdr) {
        if (j == 0 && r->blank_line) { /* a row after an empty line */
            fail_at(r, TSF_EPARSE, r->blank_line, 1,
                    "empty line in a file with %zu columns; write a missing value as an "
                    "empty field between commas, e.g. '2001-03,'",
                    r->nhdr);
            return;
        }
        if (j == 0 && !grow_rows(r)) {
            fail_nomem(r);
            return;
        }
        data_cell(r, j, text, len);
    }
    r->field_line = r->line; /* the next field starts after this delimiter */
}

typedef struct {
    const char *name;
    size_t idx;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* First repeated column name: *j is the column that repeats the earlier
 * column *k, with *j as small as possible; 0 when the names are distinct.
 * Sorting keeps this O(n log n) for headers of any width. */
static int find_duplicate(reader *r, size_t *j, size_t *k)
{
    name_ref *refs = malloc(r->nhdr * sizeof *refs);
    if (!refs) {
        fail_nomem(r);
        return 0;
    }
    for (size_t i = 0; i < r->nhdr; i++) refs[i] = (name_ref){r->hdr[i], i};
    qsort(refs, r->nhdr, sizeof *refs, cmp_name_ref);
    /* Within a run of equal names the columns ascend, so the run's second
     * entry repeats its first. */
    int found = 0;
    for (size_t i = 1; i < r->nhdr; i++)
        if (strcmp(refs[i].name, refs[i - 1].name) == 0 &&
            (i == 1 || strcmp(refs[i - 1].name, refs[i - 2].name) != 0) &&
            (!found || refs[i].idx < *j)) {
            *j = refs[i].idx;
            *k = refs[i - 1].idx;
            found = 1;
        }
    free(refs);
    return found;
}

static void finish_header(reader *r)
{
    r->hdr_line = r->row_line;
    size_t empty = r->nhdr, dj = r->nhdr, dk = 0;
    for (size_t j = 0; j < r->nhdr && empty == r->nhdr; j++)
        if (r->hdr[j][0] == '\0') empty = j;
    if (!find_duplicate(r, &dj, &dk)) dj = r->nhdr;
    if (r->st != TSF_OK) return;
    if (empty < dj) {
        fail_at(r, TSF_EPARSE, r->row_line, empty + 1,
                "column %zu of the header has an empty name; give every column a name "
                "(R's write.csv writes an empty one for row names: use row.names = FALSE)",
                empty + 1);
        return;
    }
    if (dj < r->nhdr) {
        char s[200];
        fail_at(r, TSF_EPARSE, r->row_line, dj + 1,
                "column name '%s' is used twice (columns %zu and %zu); "
                "give every column its own name",
                tsf_show_text(s, sizeof s, r->hdr[dj], strlen(r->hdr[dj])), dk + 1, dj + 1);
        return;
    }
    for (size_t j = 0; j < r->nhdr && r->time_col < 0; j++)
        if (is_time_name(r->hdr[j])) r->time_col = (long)j;
    if (r->time_col >= 0) r->first = FIRST_NUMERIC; /* column 0 need not be guessed */
    r->vals = calloc(r->nhdr, sizeof(double *));
    if (!r->vals) fail_nomem(r);
    r->header_done = 1;
}

static void on_row(int c, void *ctx)
{
    reader *r = ctx;
    if (r->st != TSF_OK) return;
    if (c == '\n' && r->prev_cr && r->nfield == 0) { /* the LF of a CRLF */
        r->prev_cr = 0;
        r->field_line = r->line + 1;
        return;
    }
    r->prev_cr = c == '\r';
    if (r->nfield == 0) r->row_line = r->field_line;
    if (!r->header_done) {
        if (r->nfield > 0) finish_header(r); /* empty lines before the header are skipped */
    } else if (r->nfield == 0 && r->nhdr > 1) {
        /* An empty line in a wide file is a row of nothing: an error unless
         * only empty lines follow (a trailing newline or two). */
        if (!r->blank_line) r->blank_line = r->row_line;
    } else {
        if (r->nfield == 0) { /* one-column file: an empty line is a missing value */
            if (!grow_rows(r)) fail_nomem(r);
            else data_cell(r, 0, "", 0);
        } else if (r->nfield != r->nhdr) {
            size_t col = r->nfield < r->nhdr ? r->nfield + 1 : r->nhdr + 1;
            fail_at(r, TSF_EPARSE, r->row_line, col,
                    "row has %zu field%s but the header has %zu; every row needs one field "
                    "per column (leave a field empty for a missing value, and quote fields "
                    "that contain commas)",
                    r->nfield, r->nfield == 1 ? "" : "s", r->nhdr);
        }
        if (r->st == TSF_OK) r->nrows++;
    }
    r->nfield = 0;
    r->field_line = c == '\n' ? r->line + 1 : r->line;
}

/* Hands one chunk to libcsv line by line (see the top of the file). */
static void feed(reader *r, const unsigned char *p, size_t n)
{
    while (n > 0 && r->st == TSF_OK) {
        const unsigned char *nl = memchr(p, '\n', n);
        size_t len = nl ? (size_t)(nl - p) + 1 : n;
        const unsigned char *z = memchr(p, '\0', len);
        size_t plen = z ? (size_t)(z - p) : len;
        size_t done = csv_parse(&r->p, p, plen, on_field, on_row, r);
        if (r->st != TSF_OK) return;
        if (done < plen) {
            if (csv_error(&r->p) == CSV_ENOMEM || csv_error(&r->p) == CSV_ETOOBIG) {
                fail_nomem(r);
                return;
            }
            /* Quote what libcsv holds of the field so far: the message
             * must not depend on where the reads fall. */
            char s[200], b[16];
            const char *eb = (const char *)r->p.entry_buf;
            size_t elen = r->p.entry_pos;
            if (p[done] != '"') { /* libcsv holds the closing quote (and blanks) */
                while (elen && is_blank(eb[elen - 1])) elen--;
                if (elen && eb[elen - 1] == '"') elen--;
            }
            tsf_show_text(s, sizeof s, eb, elen);
            if (p[done] == '"')
                fail_at(r, TSF_EPARSE, r->line, r->nfield + 1,
                        "stray '\"' after '%s' in an unquoted field; a field that contains "
                        "'\"' must be enclosed in quotes with each inner '\"' doubled, as in "
                        "\"say \"\"hi\"\"\"",
                        s);
            else
                fail_at(r, TSF_EPARSE, r->line, r->nfield + 1,
                        "unexpected %s after the closing quote of '\"%s\"'; put the whole "
                        "field inside the quotes and double any '\"' in it",
                        describe(b, sizeof b, p[done]), s);
            return;
        }
        if (z) {
            fail_at(r, TSF_EPARSE, r->line, r->nfield + 1,
                    "NUL byte: this is a binary file, not CSV text; export the data as CSV");
            return;
        }
        if (nl) r->line++;
        p += len;
        n -= len;
    }
}

typedef struct {
    FILE *fp;
    const unsigned char *mem;
    size_t len, pos;
    size_t chunk; /* largest read, 0 for no limit (small chunks: tests, fuzzing) */
} source;

static size_t source_read(source *s, unsigned char *buf, size_t n)
{
    if (s->chunk && n > s->chunk) n = s->chunk;
    if (s->fp) return fread(buf, 1, n, s->fp);
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    if (k) memcpy(buf, s->mem + s->pos, k);
    s->pos += k;
    return k;
}

static void parse_source(reader *r, source *src)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    unsigned char buf[65536];
    int first = 1;
    for (;;) {
        size_t n = source_read(src, buf, sizeof buf);
        /* The byte order mark must be seen whole, however the reads fall. */
        for (size_t k = 1; first && n > 0 && n < 3 && k > 0; n += k)
            k = source_read(src, buf + n, 3 - n);
        if (n == 0) {
            if (src->fp && ferror(src->fp)) {
                r->st = tsf_set_error(TSF_EIO, "%s: cannot read the file (%s)", r->path,
                                      strerror(errno));
                return;
            }
            break;
        }
        const unsigned char *p = buf;
        if (first && n >= 3 && memcmp(p, bom, 3) == 0) { /* UTF-8 byte order mark */
            p += 3;
            n -= 3;
        }
        first = 0;
        feed(r, p, n);
        if (r->st != TSF_OK) return;
    }
    if (csv_fini(&r->p, on_field, on_row, r) != 0 && r->st == TSF_OK) {
        char s[200];
        fail_at(r, TSF_EPARSE, r->field_line, r->nfield + 1,
                "unterminated quoted field starting '\"%s'; close it with '\"' (and double "
                "any '\"' inside it)",
                tsf_show_text(s, sizeof s, (const char *)r->p.entry_buf, r->p.entry_pos));
    }
}

/* Finds the grid of the time column and inserts rows (NaN values) for the
 * stamps missing from it, so that lags stay aligned. */
static tsf_status place_on_grid(reader *r, tsf_frame *f)
{
    size_t n = f->nrows;
    size_t *pos = malloc(n * sizeof *pos);
    if (!pos) return tsf_set_error(TSF_ENOMEM, "%s: out of memory", r->path);
    tsf_time_source src = {r->path, r->lines, (size_t)r->time_col + 1};
    tsf_status st = tsf_time_grid(f->time, n, r->topts, &src, &f->axis, pos);
    size_t ng = f->axis.n;
    if (!st && ng > n) {
        char **l = realloc(f->time, ng * sizeof *l);
        if (l) f->time = l;
        for (size_t j = 0; l && j < f->ncols; j++) {
            double *v = realloc(f->cols[j], ng * sizeof *v);
            if (!v) {
                l = NULL;
                break;
            }
            f->cols[j] = v;
            tsf_time_spread(pos, n, ng, v);
        }
        if (!l) st = tsf_set_error(TSF_ENOMEM, "%s: out of memory filling the time gaps", r->path);
        else st = tsf_time_spread_labels(&f->axis, pos, n, f->time);
        if (l) f->nrows = ng; /* every label is in place (NULL where memory ran out) */
    }
    free(pos);
    if (!st && f->axis.form.kind != TSF_TIME_TEXT) {
        if (!(f->stamps = malloc(f->nrows * sizeof *f->stamps)))
            st = tsf_set_error(TSF_ENOMEM, "%s: out of memory", r->path);
        for (size_t i = 0; !st && i < f->nrows; i++)
            st = tsf_time_stamp(&f->axis, (int64_t)i, &f->stamps[i]);
    }
    f->period = st ? 1 : f->axis.period;
    return st;
}

/* Moves the parsed columns into a frame. */
static tsf_status build_frame(reader *r, tsf_frame **out)
{
    if (!r->header_done)
        return tsf_set_error(TSF_EPARSE,
                             "%s:1:1: empty file; expected a header row such as 'time,value' "
                             "followed by rows of values",
                             r->path);
    if (r->nrows == 0)
        return tsf_set_error(TSF_EPARSE,
                             "%s:%lu:1: the file has a header but no data rows; add rows of "
                             "values below the header",
                             r->path, r->hdr_line);
    size_t nnum = r->nhdr - (r->time_col >= 0);
    if (nnum == 0)
        return tsf_set_error(TSF_EPARSE,
                             "%s:%lu:1: the only column, '%s', holds time labels; add a column "
                             "of values",
                             r->path, r->hdr_line, r->hdr[0]);
    tsf_frame *f = calloc(1, sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "%s: out of memory", r->path);
    f->names = calloc(nnum, sizeof(char *));
    f->cols = calloc(nnum, sizeof(double *));
    f->path = dup_text(r->path, strlen(r->path));
    if (!f->names || !f->cols || !f->path) {
        tsf_frame_free(f);
        return tsf_set_error(TSF_ENOMEM, "%s: out of memory", r->path);
    }
    f->nrows = r->nrows;
    f->ncols = nnum;
    for (size_t j = 0, k = 0; j < r->nhdr; j++) {
        if ((long)j == r->time_col) {
            f->time_name = r->hdr[j];
        } else {
            f->names[k] = r->hdr[j];
            f->cols[k++] = r->vals[j];
            r->vals[j] = NULL;
        }
        r->hdr[j] = NULL;
    }
    f->period = 1;
    f->axis.n = f->nrows;
    f->axis.period = 1;
    if (r->time_col >= 0) {
        f->time = r->labels;
        r->labels = NULL;
        tsf_status st = place_on_grid(r, f);
        if (st) {
            tsf_frame_free(f);
            return st;
        }
    }
    *out = f;
    return TSF_OK;
}

static void reader_free(reader *r)
{
    for (size_t j = 0; j < r->nhdr; j++) {
        free(r->hdr[j]);
        if (r->vals) free(r->vals[j]);
    }
    free(r->hdr);
    free(r->vals);
    if (r->labels)
        for (size_t i = 0; i < r->cap; i++) free(r->labels[i]);
    free(r->labels);
    free(r->lines);
    free(r->scratch);
    csv_free(&r->p);
}

static tsf_status read_source(const char *path, source *src, const tsf_time_opts *topts,
                              tsf_frame **out)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.topts = topts;
    r.line = r.field_line = r.row_line = 1;
    r.time_col = -1;
    if (csv_init(&r.p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0)
        return tsf_set_error(TSF_ENOMEM, "%s: out of memory", path);
    /* strtod must read '.' decimals whatever locale the program set: switch
     * this thread (only) to the C locale while parsing. */
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_loc == (locale_t)0) {
        csv_free(&r.p);
        return tsf_set_error(TSF_ENOMEM, "%s: cannot create the C locale", path);
    }
    locale_t old = uselocale(c_loc);
    parse_source(&r, src);
    uselocale(old);
    freelocale(c_loc);
    tsf_status st = r.st == TSF_OK ? build_frame(&r, out) : r.st;
    reader_free(&r);
    return st;
}

tsf_status tsf_csv_read(const char *path, tsf_frame **out)
{
    return tsf_csv_read_time(path, NULL, out);
}

tsf_status tsf_csv_read_time(const char *path, const tsf_time_opts *topts, tsf_frame **out)
{
    if (!path || !out) return tsf_set_error(TSF_EINVAL, "tsf_csv_read: NULL argument");
    *out = NULL;
    source src = {0};
    src.fp = fopen(path, "rb");
    if (!src.fp)
        return tsf_set_error(TSF_EIO, "%s: cannot open the file (%s); check the path", path,
                             strerror(errno));
    tsf_status st = read_source(path, &src, topts, out);
    fclose(src.fp);
    return st;
}

tsf_status tsf_csv_read_mem_chunked(const char *name, const void *data, size_t len,
                                    size_t chunk, tsf_frame **out)
{
    if (!name || !out || (!data && len))
        return tsf_set_error(TSF_EINVAL, "tsf_csv_read_mem: NULL argument");
    *out = NULL;
    source src = {0};
    src.mem = data;
    src.len = len;
    src.chunk = chunk;
    return read_source(name, &src, NULL, out);
}

tsf_status tsf_csv_read_mem(const char *name, const void *data, size_t len, tsf_frame **out)
{
    return tsf_csv_read_mem_chunked(name, data, len, 0, out);
}
