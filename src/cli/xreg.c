/* The --xreg list: columns of the file, `trend`, `fourier(P,K)` and
 * `calendar`, in any mix.  Columns come from the data file (and, for a
 * forecast, from --xreg-future); Fourier and calendar terms are functions
 * of the time index (tsf_fourier, tsf_calendar), generated for the
 * series' rows and again for the future ones; `trend` is the library's
 * fit option (R's xreg = 1:n), which extrapolates itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef enum { XT_COLUMN, XT_TREND, XT_FOURIER, XT_CALENDAR } xt_kind;

typedef struct {
    xt_kind kind;
    char name[256];   /* XT_COLUMN */
    double period;    /* XT_FOURIER */
    int K;
} xterm;

#define XT_MAX 64

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* A syntax error: printed as cli_usage does unless quiet. */
static int perr(int quiet, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int perr(int quiet, const char *fmt, ...)
{
    if (quiet) return EXIT_INPUT;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cli_usage("%s", msg);
}

/* "fourier(P,K)" with P > 1 a number, K a whole number; the library checks
 * the ranges. */
static int parse_fourier(const char *spec, const char *s, size_t len, xterm *t, int quiet)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)len, s);
    char *p = buf + 8, *end; /* after "fourier(" */
    errno = 0;
    double P = strtod(p, &end);
    if (end == p || *end != ',')
        return perr(quiet, "--xreg '%s': in '%s' the period is not a number; write fourier(P,K), "
                         "e.g. fourier(12,2)", spec, buf);
    p = end + 1;
    long K = strtol(p, &end, 10);
    if (end == p || strcmp(end, ")") || errno)
        return perr(quiet, "--xreg '%s': in '%s' K is not a whole number followed by ')'; write "
                         "fourier(P,K), e.g. fourier(12,2)", spec, buf);
    if (K < 1 || K > 100000 || tsf_fourier(P, (int)K, 0, 0, NULL, 0, NULL, NULL))
        return perr(quiet, "--xreg '%s': %s", spec, K < 1 || K > 100000
                         ? "fourier(P,K) needs K >= 1" : tsf_errmsg());
    t->kind = XT_FOURIER;
    t->period = P;
    t->K = (int)K;
    return 0;
}

/* Splits the list at the commas outside parentheses. */
static int parse_terms(const char *spec, xterm *t, size_t *nt, int quiet)
{
    *nt = 0;
    const char *s = spec;
    while (1) {
        const char *e = s;
        int depth = 0;
        while (*e && (depth || *e != ',')) {
            depth += (*e == '(') - (*e == ')');
            e++;
        }
        const char *a = s, *b = e;
        while (a < b && is_blank(*a)) a++;
        while (b > a && is_blank(b[-1])) b--;
        size_t len = (size_t)(b - a);
        if (!len)
            return perr(quiet, "--xreg '%s': an empty item at column %zu; separate the "
                             "regressors with single commas", spec, (size_t)(a - spec) + 1);
        if (*nt == XT_MAX) return perr(quiet, "--xreg '%s': more than %d items", spec, XT_MAX);
        xterm *x = &t[(*nt)++];
        memset(x, 0, sizeof *x);
        if (len == 5 && !strncmp(a, "trend", 5)) {
            x->kind = XT_TREND;
        } else if (len == 8 && !strncmp(a, "calendar", 8)) {
            x->kind = XT_CALENDAR;
        } else if (len > 8 && !strncmp(a, "fourier(", 8)) {
            int r = parse_fourier(spec, a, len, x, quiet);
            if (r) return r;
        } else {
            if (len >= sizeof x->name)
                return perr(quiet, "--xreg '%s': column name too long", spec);
            x->kind = XT_COLUMN;
            memcpy(x->name, a, len);
            x->name[len] = '\0';
        }
        if (!*e) break;
        s = e + 1;
    }
    return 0;
}

int cli_xreg_check(const char *spec)
{
    xterm t[XT_MAX];
    size_t nt;
    return parse_terms(spec, t, &nt, 0);
}

int cli_xreg_names_column(const char *spec, const char *col)
{
    xterm t[XT_MAX];
    size_t nt;
    if (!spec || parse_terms(spec, t, &nt, 1)) return 0;
    for (size_t i = 0; i < nt; i++)
        if (t[i].kind == XT_COLUMN && !strcmp(t[i].name, col)) return 1;
    return 0;
}

int cli_xreg_columns(const char *spec, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    xterm t[XT_MAX];
    size_t nt, k = 0, bytes = 0;
    int r = parse_terms(spec, t, &nt, 0);
    if (r) return r;
    for (size_t i = 0; i < nt; i++)
        if (t[i].kind == XT_COLUMN) {
            k++;
            bytes += strlen(t[i].name) + 1;
        }
    if (!k) return 0;
    char **v = malloc(k * sizeof *v + bytes);
    if (!v) return cli_usage("out of memory");
    char *p = (char *)(v + k);
    for (size_t i = 0, j = 0; i < nt; i++)
        if (t[i].kind == XT_COLUMN) {
            v[j++] = strcpy(p, t[i].name);
            p += strlen(p) + 1;
        }
    *names = v;
    *n = k;
    return 0;
}

/* A build error: printed as cli_usage does, or into err when err is not
 * NULL (a series of tsf batch, whose reason goes into its output row). */
static int berr(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int berr(char *err, size_t errlen, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err ? err : msg, err ? errlen : sizeof msg, fmt, ap);
    va_end(ap);
    return err ? EXIT_INPUT : cli_usage("%s", msg);
}

/* Columns one term gives (0 for trend); calendar needs the axis. */
static int term_cols(const xterm *t, const tsf_time_axis *ax, const char *file, size_t *nc,
                     char *err, size_t errlen)
{
    *nc = 0;
    if (t->kind == XT_COLUMN) *nc = 1;
    if (t->kind == XT_FOURIER) tsf_fourier(t->period, t->K, 0, 0, NULL, 0, NULL, nc);
    if (t->kind == XT_CALENDAR && tsf_calendar(ax, 0, 0, NULL, 0, NULL, nc))
        return berr(err, errlen, "%s: --xreg calendar: %s", file, tsf_errmsg());
    return 0;
}

/* The line of frame row i in its file, when the grid filled no gaps (the
 * reader refuses blank lines, so row i is line i + 2); 0 when unknown. */
static size_t row_line(const tsf_frame *f, size_t i)
{
    return f->axis.nfilled ? 0 : i + 2;
}

int cli_xreg_build_msg(const char *spec, const tsf_frame *cols, const char *file, size_t skip,
                       const tsf_time_axis *ax, size_t t0, size_t nrows, cli_xbuild *out,
                       char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    xterm t[XT_MAX];
    size_t nt, k = 0, namebytes = 0;
    int r = parse_terms(spec, t, &nt, err != NULL);
    if (r) return r;
    for (size_t i = 0; i < nt; i++) {
        size_t nc;
        if ((r = term_cols(&t[i], ax, file, &nc, err, errlen))) return r;
        k += nc;
        namebytes += t[i].kind == XT_COLUMN ? strlen(t[i].name) + 1 : nc * 24;
        if (t[i].kind == XT_TREND) out->trend = 1;
        if (t[i].kind == XT_COLUMN) out->has_columns = 1;
    }
    out->k = k;
    if (!k) return 0;
    out->x = malloc(k * (nrows ? nrows : 1) * sizeof *out->x);
    out->names = malloc(k * sizeof *out->names + namebytes);
    if (!out->x || !out->names) {
        cli_xbuild_free(out);
        return berr(err, errlen, "out of memory for %zu regressors", k);
    }
    char *nb = (char *)(out->names + k);
    size_t j = 0;
    for (size_t i = 0; i < nt; i++) {
        const xterm *u = &t[i];
        double *x = out->x + j * nrows;
        if (u->kind == XT_COLUMN) {
            size_t idx;
            if (!cols)
                return cli_xbuild_free(out),
                       berr(err, errlen, "%s: the model uses regressors (%s): give the future values of "
                                 "'%s' with --xreg-future FILE.csv", file, spec, u->name);
            if (tsf_frame_column(cols, u->name, &idx))
                return cli_xbuild_free(out), berr(err, errlen, "%s", tsf_errmsg());
            if (idx == skip)
                return cli_xbuild_free(out), berr(err, errlen, "%s: --xreg column '%s' is the series "
                                                       "itself", file, u->name);
            if (cols->nrows < nrows)
                return cli_xbuild_free(out), berr(err, errlen, "%s: %zu rows of regressors, %zu needed",
                                                       file, cols->nrows, nrows);
            for (size_t i2 = 0; i2 < nrows; i2++) {
                double v = cols->cols[idx][i2];
                if (!isnan(v)) {
                    x[i2] = v;
                    continue;
                }
                size_t line = row_line(cols, i2);
                const char *lab = cols->time ? cols->time[i2] : NULL;
                cli_xbuild_free(out);
                if (line)
                    return berr(err, errlen, "%s:%zu: column '%s': the regressor value is missing "
                                     "(empty or NA); regressors are not modelled, so every "
                                     "row needs one: fill it in", file, line, u->name);
                return berr(err, errlen, "%s: column '%s' at %s (data row %zu, a row filled for a "
                                 "missing time stamp or an empty cell): the regressor value is "
                                 "missing; regressors are not modelled, so every time step "
                                 "needs one: add the row or fill the value in", file, u->name,
                                 lab ? lab : "?", i2 + 1);
            }
            out->names[j] = nb;
            strcpy(nb, u->name);
            nb += strlen(nb) + 1;
            j++;
        } else if (u->kind == XT_FOURIER || u->kind == XT_CALENDAR) {
            size_t nc;
            char (*nm)[24] = (char (*)[24])nb;
            tsf_status st = u->kind == XT_FOURIER
                ? tsf_fourier(u->period, u->K, t0, nrows, x, nrows, nm, &nc)
                : tsf_calendar(ax, (int64_t)t0, nrows, x, nrows, nm, &nc);
            if (st) {
                cli_xbuild_free(out);
                return berr(err, errlen, "%s: --xreg %s: %s", file,
                                 u->kind == XT_FOURIER ? "fourier" : "calendar", tsf_errmsg());
            }
            for (size_t c = 0; c < nc; c++) out->names[j + c] = nm[c];
            nb += nc * 24;
            j += nc;
        }
    }
    return 0;
}

int cli_xreg_build(const char *spec, const tsf_frame *cols, const char *file, size_t skip,
                   const tsf_time_axis *ax, size_t t0, size_t nrows, cli_xbuild *out)
{
    return cli_xreg_build_msg(spec, cols, file, skip, ax, t0, nrows, out, NULL, 0);
}

void cli_xbuild_free(cli_xbuild *b)
{
    free(b->x);
    free(b->names);
    b->x = NULL;
    b->names = NULL;
}
