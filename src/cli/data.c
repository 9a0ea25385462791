/* Loading the data a command works on and fitting the model it names. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void cli_data_free(cli_data *d)
{
    if (!d) return;
    tsf_frame_free(d->frame);
    free(d->ybuf);
    free(d->rows);
    free(d->xbuf);
    free(d->xnames);
    memset(d, 0, sizeof *d);
}

static void list_columns(const tsf_frame *f, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t j = 0; j < f->ncols; j++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", j ? ", " : "", f->names[j]);
    }
}

void cli_note_gaps(const char *path, const char *id, const tsf_time_axis *ax,
                   char *const *labels)
{
    if (!ax->nfilled) return;
    fprintf(stderr, "%s: %s%s%s%zu missing time stamp%s filled as %smissing value%s, first %s\n",
            path, id ? "series '" : "", id ? id : "", id ? "': " : "", ax->nfilled,
            ax->nfilled == 1 ? "" : "s", ax->nfilled == 1 ? "a " : "", ax->nfilled == 1 ? "" : "s",
            labels && labels[ax->first_gap] ? labels[ax->first_gap] : "?");
}

int cli_read_csv(const cli_args *a, const char *path, tsf_frame **out)
{
    tsf_status st = tsf_csv_read_time(path, &a->time, out);
    if (st) return cli_fail(st);
    cli_note_gaps(path, NULL, &(*out)->axis, (*out)->time);
    return 0;
}

size_t cli_returns(const double *p, size_t n, int kind, double *r, size_t *rows, size_t *m)
{
    *m = 0;
    for (size_t t = 0; t < n; t++)
        if (!isnan(p[t]) && !(p[t] > 0.0)) return t + 1;
    size_t prev = n; /* the last observed price so far */
    for (size_t t = 0; t < n; t++) {
        if (isnan(p[t])) continue;
        if (prev < n) {
            r[*m] = kind == RETURNS_LOG ? 100.0 * log(p[t] / p[prev])
                                        : 100.0 * (p[t] - p[prev]) / p[prev];
            if (rows) rows[*m] = t;
            (*m)++;
        }
        prev = t;
    }
    return 0;
}

size_t cli_row(const cli_data *d, size_t i) { return d->rows ? d->rows[i] : i; }

/* --returns on the chosen column: returns between consecutive observed
 * prices (cli_returns), each at the row of its closing price. */
static int make_returns(const cli_args *a, cli_data *d)
{
    const char *name = d->frame->names[d->col];
    if (a->xreg) return cli_usage("%s: --returns cannot be combined with --xreg", a->file);
    double *r = malloc((d->n ? d->n : 1) * sizeof *r);
    size_t *rows = malloc((d->n ? d->n : 1) * sizeof *rows), m;
    if (!r || !rows) {
        free(r);
        free(rows);
        return cli_usage("out of memory");
    }
    size_t bad = cli_returns(d->y, d->n, a->returns, r, rows, &m);
    int e = 0;
    if (bad)
        e = cli_usage("%s: data row %zu, column %s: price %g is not positive; --returns "
                      "needs prices above 0 (are these returns already? then drop "
                      "--returns)", a->file, bad, name, d->y[bad - 1]);
    else if (m == 0)
        e = cli_usage("%s: --returns needs at least two prices in %s", a->file, name);
    if (e) {
        free(r);
        free(rows);
        return e;
    }
    d->ybuf = r;
    d->y = r;
    d->n = m;
    d->rows = rows;
    return 0;
}

/* A volatility model given prices by mistake: every value positive and
 * the series strongly persistent (lag-1 autocorrelation above 0.9, which
 * returns essentially never have). */
static void warn_if_prices(const cli_args *a, const cli_data *d, size_t n)
{
    double m = 0.0, c0 = 0.0, c1 = 0.0;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        if (isnan(d->y[t])) continue;
        if (!(d->y[t] > 0.0)) return;
        m += d->y[t];
        k++;
    }
    if (k < 10) return;
    m /= (double)k;
    for (size_t t = 0; t < n; t++)
        if (!isnan(d->y[t])) c0 += (d->y[t] - m) * (d->y[t] - m);
    for (size_t t = 1; t < n; t++)
        if (!isnan(d->y[t]) && !isnan(d->y[t - 1])) c1 += (d->y[t] - m) * (d->y[t - 1] - m);
    if (c0 > 0.0 && c1 / c0 > 0.9)
        fprintf(stderr, "tsf: warning: %s, column %s looks like prices (all positive, lag-1 "
                "autocorrelation %.3f); volatility models take returns: add --returns log\n",
                a->file, d->frame->names[d->col], c1 / c0);
}

int cli_load(const cli_args *a, cli_data *d)
{
    memset(d, 0, sizeof *d);
    if (!a->file) return cli_usage("%s: no input file; usage: see 'tsf help %s'", a->cmd, a->cmd);
    int rc = cli_read_csv(a, a->file, &d->frame);
    if (rc) return rc;
    tsf_status st;
    tsf_frame *f = d->frame;
    if (f->ncols == 0) return cli_usage("%s: no numeric column", a->file);
    if (a->xreg && (rc = cli_xreg_check(a->xreg))) return rc;
    if (a->column) {
        if ((st = tsf_frame_column(f, a->column, &d->col))) return cli_fail(st);
    } else {
        /* The only numeric column that is not a regressor. */
        size_t cand = 0, ncand = 0;
        for (size_t j = 0; j < f->ncols; j++) {
            if (!cli_xreg_names_column(a->xreg, f->names[j])) {
                cand = j;
                ncand++;
            }
        }
        if (ncand != 1) {
            char cols[1024];
            list_columns(f, cols, sizeof cols);
            return cli_usage("%s: %zu numeric columns (%s); choose one with -c NAME", a->file,
                             f->ncols, cols);
        }
        d->col = cand;
    }
    d->y = f->cols[d->col];
    d->n = f->nrows;
    if (a->returns) return make_returns(a, d);
    if (a->xreg) {
        cli_xbuild b;
        int r = cli_xreg_build(a->xreg, f, a->file, d->col, &f->axis, 0, f->nrows, &b);
        if (r) return r;
        d->trend = b.trend;
        d->xbuf = b.x;
        d->xnames = b.names;
        if (b.k) {
            d->xreg = (tsf_xreg){b.k, d->xbuf, f->nrows, (const char *const *)d->xnames};
            d->xp = &d->xreg;
        }
    }
    return 0;
}

/* A file of future values whose stamps are of the series' form must start
 * at the step after the series' last stamp. */
static int check_future_start(const char *path, const tsf_frame *series, const tsf_frame *fut)
{
    const tsf_time_axis *ax = &series->axis;
    if (ax->form.kind == TSF_TIME_TEXT || fut->axis.form.kind != ax->form.kind || !fut->nrows)
        return 0;
    int64_t k = -1;
    char want[80] = "";
    tsf_time_label(ax, (int64_t)ax->n, want, sizeof want);
    if (tsf_time_locate(ax, fut->time[0], &k) != TSF_OK || k != (int64_t)ax->n)
        return cli_usage("%s: the future values start at '%s', but the step after the last "
                         "stamp of %s is '%s'; start the file there", path, fut->time[0],
                         series->path, want);
    return 0;
}

int cli_load_xreg_future(const cli_args *a, const cli_data *d, size_t h, double **buf,
                         tsf_xreg *xf)
{
    *buf = NULL;
    if (!d->xp) return 0;
    cli_xbuild b;
    int rc;
    tsf_frame *ff = NULL;
    if (!a->xreg_future) {
        /* generated terms need no file; a column is an error saying so */
        if ((rc = cli_xreg_build(a->xreg, NULL, a->file, (size_t)-1, &d->frame->axis,
                                 d->frame->nrows, h, &b)) == 0) {
            free(b.names);
            *buf = b.x;
            *xf = (tsf_xreg){b.k, b.x, h, NULL};
        }
        return rc;
    }
    rc = cli_read_csv(a, a->xreg_future, &ff);
    if (rc) return rc;
    if ((rc = check_future_start(a->xreg_future, d->frame, ff))) {
        tsf_frame_free(ff);
        return rc;
    }
    if (ff->nrows < h) {
        int r = cli_usage("%s: %zu rows of future regressors, but the horizon is %zu",
                          a->xreg_future, ff->nrows, h);
        tsf_frame_free(ff);
        return r;
    }
    int r = cli_xreg_build(a->xreg, ff, a->xreg_future, (size_t)-1, &d->frame->axis,
                           d->frame->nrows, h, &b);
    if (!r) {
        free(b.names);
        *buf = b.x;
        *xf = (tsf_xreg){b.k, b.x, h, NULL};
    }
    tsf_frame_free(ff);
    return r;
}

void cli_note_dropped(const tsf_model *m, const cli_data *d, const char *spec, size_t n)
{
    tsf_fit_info info;
    if (!d->xp || tsf_model_info(m, &info) || !info.coef_names || !info.se) return;
    for (size_t i = 0; i < info.ncoef; i++) {
        if (info.coef[i] != 0.0 || !isnan(info.se[i])) continue;
        for (size_t j = 0; j < d->xreg.k; j++)
            if (!strcmp(info.coef_names[i], d->xnames[j]))
                fprintf(stderr, "tsf: note: %s: regressor '%s' is constant or a linear "
                        "combination of the other regressors (and the intercept) in the %zu "
                        "rows fitted; it was left out (coefficient 0, no standard error), as "
                        "R's lm reports NA\n", spec ? spec : "the model", d->xnames[j], n);
    }
}

int cli_fit_model(const cli_args *a, const char *spec, const cli_data *d, size_t n,
                  tsf_model **m)
{
    *m = NULL;
    tsf_status st;
    if (a->model_path) {
        if ((st = tsf_load(a->model_path, m))) return cli_fail(st);
        int r = cli_check_reads(a, tsf_model_reads(*m), 1);
        if (r) {
            tsf_model_free(*m);
            *m = NULL;
        }
        return r;
    }
    if (!spec) return cli_usage("%s: give a model with -m SPEC (e.g. -m \"arima(1,1,1)\") or "
                                "--model FILE", a->cmd);
    if ((st = tsf_model_new(spec, m))) return cli_fail(st);
    if (!a->returns && !strcmp(tsf_model_family(*m), "garch")) warn_if_prices(a, d, n);
    tsf_fit_opts o = a->fit;
    o.trend = d->trend;
    /* One series: the other numeric columns are regressors (cli_load
     * refuses several candidate columns without -c); a model of several
     * series is `batch --global`. */
    st = tsf_fit(*m, d->y, n, d->xp, d->frame->period, &o);
    if (st) {
        tsf_model_free(*m);
        *m = NULL;
        return cli_fail(st);
    }
    cli_note_dropped(*m, d, spec, n);
    return 0;
}
