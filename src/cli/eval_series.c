/* tsf evaluate: every model at every origin of one series, scored on the
 * held-out values (eval.h; measures in metrics.h, docs/evaluate.md).
 * Runs inside an OpenMP worker: all state is per call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "metrics.h"

size_t eval_min_length(const eval_cfg *cfg)
{
    /* the earliest origin keeps at least 3 observations to fit on */
    return cfg->h + (cfg->origins - 1) * cfg->step + 3;
}

void eval_result_free(eval_result *r)
{
    if (!r) return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

char *eval_header(const eval_cfg *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs("id,model,origin,train_n,smape,mase,rmsse,crps,log_score", f);
    for (size_t k = 0; k < cfg->nlevels; k++)
        fprintf(f, ",coverage%g,width%g", cfg->levels[k], cfg->levels[k]);
    fputs(",seconds,error\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The measures of one forecast fc made from y[0..T) against y[T..T+h):
 * v[EM_*] and per level (coverage, width); NaN where undefined. */
static void score(const eval_cfg *cfg, const double *y, size_t T, int period,
                  const tsf_forecast_result *fc, double logp, double *v)
{
    size_t h = cfg->h, nl = cfg->nlevels, c = 0;
    double sm = 0, ae = 0, se = 0, crps = 0, cov[MAX_LEVELS] = {0}, wid[MAX_LEVELS] = {0};
    for (size_t i = 0; i < h; i++) {
        double x = y[T + i], f = fc->mean[i];
        if (isnan(x)) continue;
        c++;
        double d = fabs(x) + fabs(f);
        sm += d > 0 ? fabs(x - f) / d : 0.0;
        ae += fabs(x - f);
        se += (x - f) * (x - f);
        crps += fc->normal ? metric_crps_normal(f, fc->se[i], x)
                           : metric_crps_quantiles(fc, nl, i, x);
        for (size_t k = 0; k < nl; k++) {
            double lo = fc->lower[k * h + i], hi = fc->upper[k * h + i];
            cov[k] += x >= lo && x <= hi;
            wid[k] += hi - lo;
        }
    }
    double s1 = metric_naive_scale(y, T, period, 1), s2 = metric_naive_scale(y, T, period, 2);
    double nc = (double)c;
    v[EM_SMAPE] = c ? 200.0 * sm / nc : NAN;
    v[EM_MASE] = c && s1 > 0 ? ae / nc / s1 : NAN;
    v[EM_RMSSE] = c && s2 > 0 ? sqrt(se / nc / s2) : NAN;
    v[EM_CRPS] = c ? crps / nc : NAN;
    v[EM_LOGS] = c ? logp / nc : NAN;
    for (size_t k = 0; k < nl; k++) {
        v[EM_FIXED + 2 * k] = c ? cov[k] / nc : NAN;
        v[EM_FIXED + 2 * k + 1] = c ? wid[k] / nc : NAN;
    }
}

/* Fits spec on y[0..T) (with the regressors x of all s->n rows, NULL
 * without) and scores it; reason gets the failure, if any. */
static void run_one(const eval_cfg *cfg, const char *spec, const tsf_model *gm,
                    const batch_series *s, const cli_xbuild *x, size_t T, int period,
                    const double *levels, size_t nlev, double *v, double *secs, char *reason,
                    size_t rlen)
{
    tsf_model *m = NULL;
    tsf_forecast_result *fc = NULL;
    double ll = NAN, t0 = batch_now();
    tsf_status st;
    tsf_forecast_opts fo = cfg->fc;
    fo.series = s->id; /* a global model forecasts the series it names */
    tsf_fit_opts fit = cfg->fit;
    /* regressors: the fit reads rows [0, T), the forecast takes rows
     * [T, T + h) as known future values (a backtest knows them), the log
     * score reads rows [0, T + h); all share one column-major matrix */
    tsf_xreg xr = {0, NULL, 0, NULL}, xf = xr;
    const tsf_xreg *xp = NULL;
    if (x) {
        fit.trend = x->trend;
        if (x->k) {
            xr = (tsf_xreg){x->k, x->x, s->n, (const char *const *)x->names};
            xf = (tsf_xreg){x->k, x->x + T, s->n, NULL};
            xp = &xr;
            fo.xreg_future = &xf;
        }
    }
    tsf_clear_error();
    if (gm ? (st = tsf_forecast(gm, s->y, T, xp, cfg->h, levels, nlev, &fo, &fc))
           : (st = tsf_model_new(spec, &m)) ||
                 (st = tsf_fit(m, s->y, T, xp, s->period, &fit)) ||
                 (st = tsf_forecast(m, s->y, T, xp, cfg->h, levels, nlev, &fo, &fc))) {
        *secs = batch_now() - t0;
        const char *msg = tsf_errmsg();
        snprintf(reason, rlen, "%s", *msg ? msg : tsf_strerror(st));
    } else if (gm) { /* no log score: the likelihood of a global model is not per series */
        *secs = batch_now() - t0;
        if (!batch_forecast_finite(fc))
            snprintf(reason, rlen, "the forecast is not finite (numerical failure)");
        else
            score(cfg, s->y, T, period, fc, NAN, v);
    } else {
        *secs = batch_now() - t0;
        if ((st = tsf_loglik(m, s->y, T + cfg->h, xp, T, &ll))) {
            const char *msg = tsf_errmsg();
            snprintf(reason, rlen, "log score: %s", *msg ? msg : tsf_strerror(st));
        } else if (!batch_forecast_finite(fc) || !isfinite(ll)) {
            snprintf(reason, rlen, "the forecast is not finite (numerical failure)");
        } else {
            score(cfg, s->y, T, period, fc, ll, v);
        }
    }
    tsf_forecast_free(fc);
    tsf_model_free(m);
}

static void put_row(FILE *f, const eval_cfg *cfg, const batch_series *s, size_t j, size_t o,
                    size_t T, const double *v, double secs, const char *reason)
{
    batch_csv_field(f, s->id);
    fputc(',', f);
    batch_csv_field(f, cfg->specs[j]);
    fprintf(f, ",%zu,%zu", o + 1, T);
    size_t nm = EM_FIXED + 2 * cfg->nlevels;
    for (size_t k = 0; k < nm; k++) {
        fputc(',', f);
        if (!reason[0] && isfinite(v[k])) fprintf(f, "%.10g", v[k]);
    }
    fprintf(f, ",%.6f,", secs);
    batch_csv_field(f, reason);
    fputc('\n', f);
}

int eval_run_series(const eval_cfg *cfg, const batch_series *s, eval_result *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = open_memstream(&r->rows, &r->rows_len);
    if (!f) return -1;
    /* the user's levels, then the quantile grid of CRPS for forecasts that
     * are not Gaussian */
    double levels[MAX_LEVELS + METRIC_QGRID / 2];
    size_t nlev = cfg->nlevels + METRIC_QGRID / 2;
    memcpy(levels, cfg->levels, cfg->nlevels * sizeof *levels);
    metric_quantile_levels(levels + cfg->nlevels);
    int period = cfg->fit.period > 0 ? cfg->fit.period : s->period;
    size_t need = eval_min_length(cfg);
    char reason[1024], xwhy[1024] = "";
    r->too_short = s->n < need;
    cli_xbuild xb;
    memset(&xb, 0, sizeof xb);
    if (!r->too_short && cfg->xreg &&
        batch_series_xreg(cfg->xreg, cfg->file, NULL, s, 0, &xb, NULL, xwhy, sizeof xwhy) &&
        !xwhy[0])
        snprintf(xwhy, sizeof xwhy, "the regressors could not be built");
    for (size_t o = 0; o < cfg->origins; o++) {
        size_t T = r->too_short ? 0 : s->n - cfg->h - (cfg->origins - 1 - o) * cfg->step;
        for (size_t j = 0; j < cfg->nspecs; j++) {
            double v[EVAL_MAX_MEASURES], secs = 0.0;
            reason[0] = '\0';
            if (r->too_short)
                snprintf(reason, sizeof reason, "the series has %zu observations; -h %zu "
                         "--origins %zu --step %zu need at least %zu", s->n, cfg->h,
                         cfg->origins, cfg->step, need);
            else if (xwhy[0])
                snprintf(reason, sizeof reason, "%s", xwhy);
            else
                run_one(cfg, cfg->specs[j],
                        cfg->global ? cfg->global[j * cfg->origins + o] : NULL, s,
                        cfg->xreg ? &xb : NULL, T, period, levels, nlev, v, &secs, reason,
                        sizeof reason);
            put_row(f, cfg, s, j, o, T, v, secs, reason);
            eval_acc *a = &r->acc[j];
            a->rows++;
            a->seconds += secs;
            if (reason[0]) {
                a->failed++;
                continue;
            }
            for (size_t k = 0; k < EM_FIXED + 2 * cfg->nlevels; k++)
                if (isfinite(v[k])) {
                    a->sum[k] += v[k];
                    a->count[k]++;
                }
        }
    }
    cli_xbuild_free(&xb);
    int bad = fclose(f) != 0 || !r->rows;
    if (bad) eval_result_free(r);
    return bad ? -1 : 0;
}
