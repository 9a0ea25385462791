/* tsf batch: fit and forecast one series, formatted as output rows.
 *
 * Runs inside an OpenMP worker: everything here is per call, and the
 * library's error detail is thread-local, so it is read right after the
 * failing call in this same thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <jansson.h>
#include "batch.h"
#include "cli.h"

void batch_series_free(batch_series *s)
{
    if (!s) return;
    if (s->owned) {
        free(s->id);
        free(s->y);
        if (s->labels)
            for (size_t i = 0; i < s->n; i++) free(s->labels[i]);
        free(s->labels);
        free(s->error);
        for (size_t k = 0; s->xc && k < s->nxc; k++) free(s->xc[k]);
        free(s->xc);
    }
    memset(s, 0, sizeof *s);
}

batch_series *batch_wide_series(const tsf_frame *fr)
{
    batch_series *s = calloc(fr->ncols ? fr->ncols : 1, sizeof *s);
    for (size_t j = 0; s && j < fr->ncols; j++) {
        s[j].id = fr->names[j];
        s[j].y = fr->cols[j];
        s[j].n = fr->nrows;
        s[j].labels = fr->time;
        s[j].period = fr->period > 0 ? fr->period : 1;
        s[j].axis = fr->axis;
    }
    return s;
}

void batch_result_free(batch_result *r)
{
    if (!r) return;
    free(r->rows);
    free(r->summary);
    memset(r, 0, sizeof *r);
}

void batch_csv_field(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

char *batch_header(const batch_cfg *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs(cfg->has_time ? "id,step,time,mean" : "id,step,mean", f);
    for (size_t k = 0; k < cfg->nlevels; k++)
        fprintf(f, ",lo%g,hi%g", cfg->levels[k], cfg->levels[k]);
    fputs(",error\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void put_num(FILE *f, double v)
{
    /* %.10g as the other subcommands print; the same bits give the same
     * text on every thread and rank. */
    fprintf(f, ",%.10g", v);
}

/* The one row of a failed series: numeric fields empty, reason in error. */
static void fail_row(const batch_cfg *cfg, const batch_series *s, const char *reason, FILE *f)
{
    batch_csv_field(f, s->id);
    fputs(cfg->has_time ? ",," : ",", f);
    fputc(',', f);
    for (size_t k = 0; k < 2 * cfg->nlevels; k++) fputc(',', f);
    fputc(',', f);
    batch_csv_field(f, reason);
    fputc('\n', f);
}

static char *summary_entry(const batch_series *s, const tsf_fit_info *info, const char *reason)
{
    json_t *j = json_object();
    if (!j) return NULL;
    json_object_set_new(j, "id", json_string(s->id));
    if (info) {
        json_object_set_new(j, "model", json_string(info->model ? info->model : ""));
        json_object_set_new(j, "loglik", isfinite(info->loglik) ? json_real(info->loglik)
                                                                 : json_null());
        json_object_set_new(j, "aicc", isfinite(info->aicc) ? json_real(info->aicc) : json_null());
        json_object_set_new(j, "fit_seconds", json_real(info->fit_seconds));
    } else {
        json_object_set_new(j, "error", json_string(reason));
    }
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(j);
    return txt;
}

int batch_forecast_finite(const tsf_forecast_result *fc)
{
    for (size_t i = 0; i < fc->h; i++) {
        if (!isfinite(fc->mean[i])) return 0;
        for (size_t k = 0; k < fc->nlevels; k++)
            if (!isfinite(fc->lower[k * fc->h + i]) || !isfinite(fc->upper[k * fc->h + i]))
                return 0;
    }
    return 1;
}

static void good_rows(const batch_cfg *cfg, const batch_series *s, const tsf_forecast_result *fc,
                      FILE *f)
{
    for (size_t i = 0; i < fc->h; i++) {
        batch_csv_field(f, s->id);
        fprintf(f, ",%zu", i + 1);
        if (cfg->has_time) {
            char lab[80];
            fputc(',', f);
            /* the axis is the input's: with --returns s is one row shorter,
             * the future still starts after the input's last row */
            if (s->axis.form.kind != TSF_TIME_TEXT &&
                tsf_time_label(&s->axis, (int64_t)(s->axis.n + i), lab, sizeof lab) == TSF_OK)
                batch_csv_field(f, lab);
        }
        put_num(f, fc->mean[i]);
        for (size_t k = 0; k < fc->nlevels; k++) {
            put_num(f, fc->lower[k * fc->h + i]);
            put_num(f, fc->upper[k * fc->h + i]);
        }
        fputs(",\n", f);
    }
}

/* Why the series cannot be used before the library is asked, or NULL. */
static const char *precheck(const batch_series *s)
{
    if (s->error) return s->error;
    size_t obs = 0;
    for (size_t i = 0; i < s->n; i++) obs += !isnan(s->y[i]);
    if (s->n == 0 || obs == 0) return "no observed values (every value is missing)";
    return NULL;
}

int batch_run_series(const batch_cfg *cfg, const batch_series *s0, batch_result *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = open_memstream(&r->rows, &r->rows_len);
    if (!f) return -1;
    char reason[1024] = "";
    tsf_model *m = NULL;
    tsf_forecast_result *fc = NULL;
    tsf_fit_info info;
    /* --returns: the series of returns, one shorter, labelled from row 2 */
    batch_series rs = *s0;
    const batch_series *s = s0;
    double *ret = NULL;
    if (cfg->returns && s0->n >= 2) {
        size_t bad, m = 0;
        if (!(ret = malloc(s0->n * sizeof *ret))) {
            fclose(f);
            batch_result_free(r);
            return -1;
        }
        if ((bad = cli_returns(s0->y, s0->n, cfg->returns, ret, NULL, &m)))
            snprintf(reason, sizeof reason, "--returns: price %g at row %zu is not positive",
                     s0->y[bad - 1], bad);
        rs.y = ret;
        rs.n = m;
        rs.labels = NULL; /* rows of returns are not rows of the input; the
                           * output's future stamps come from rs.axis */
        s = &rs;
    }
    const char *pre = reason[0] ? reason : precheck(s);
    tsf_forecast_opts fco = cfg->fc; /* --global: the series forecast is named */
    fco.series = s->id;
    tsf_fit_opts fo = cfg->fit;
    /* --xreg: the series' regressors and their future values */
    cli_xbuild xb, xfb;
    memset(&xb, 0, sizeof xb);
    memset(&xfb, 0, sizeof xfb);
    tsf_xreg xr, xfr;
    const tsf_xreg *xp = NULL;
    if (!pre && cfg->xreg) {
        if (batch_series_xreg(cfg->xreg, cfg->file, cfg->fut, s, cfg->h, &xb, &xfb, reason,
                              sizeof reason)) {
            pre = reason;
        } else {
            fo.trend = xb.trend;
            if (xb.k) {
                xr = (tsf_xreg){xb.k, xb.x, s->n, (const char *const *)xb.names};
                xfr = (tsf_xreg){xfb.k, xfb.x, cfg->h, NULL};
                xp = &xr;
                fco.xreg_future = &xfr;
            }
        }
    }
    tsf_status st = TSF_OK;
    tsf_clear_error();
    if (pre) {
        if (pre != reason) snprintf(reason, sizeof reason, "%s", pre);
    } else if (cfg->global ? (st = tsf_model_info(cfg->global, &info)) ||
                                 (st = tsf_forecast(cfg->global, s->y, s->n, xp, cfg->h,
                                                    cfg->levels, cfg->nlevels, &fco, &fc))
                           : (st = tsf_model_new(cfg->spec, &m)) ||
                                 (st = tsf_fit(m, s->y, s->n, xp, s->period, &fo)) ||
                                 (st = tsf_model_info(m, &info)) ||
                                 (st = tsf_forecast(m, s->y, s->n, xp, cfg->h, cfg->levels,
                                                    cfg->nlevels, &fco, &fc))) {
        /* Same thread, right after the failing call: the detail is ours. */
        const char *msg = tsf_errmsg();
        snprintf(reason, sizeof reason, "%s", *msg ? msg : tsf_strerror(st));
    } else if (!batch_forecast_finite(fc)) {
        snprintf(reason, sizeof reason, "the forecast is not finite (numerical failure)");
    }
    if (reason[0]) {
        r->failed = 1;
        fail_row(cfg, s, reason, f);
        r->summary = summary_entry(s, NULL, reason);
    } else {
        good_rows(cfg, s, fc, f);
        r->summary = summary_entry(s, &info, NULL);
    }
    tsf_forecast_free(fc);
    tsf_model_free(m);
    cli_xbuild_free(&xb);
    cli_xbuild_free(&xfb);
    free(ret);
    int bad = fclose(f) != 0 || !r->rows || !r->summary;
    if (bad) batch_result_free(r);
    else r->summary_len = strlen(r->summary);
    return bad ? -1 : 0;
}

int batch_blas_serial(void)
{
    int saved = openblas_get_num_threads();
    if (saved != 1) openblas_set_num_threads(1);
    return saved;
}

void batch_blas_restore(int saved)
{
    if (saved != openblas_get_num_threads()) openblas_set_num_threads(saved);
}
