/* Likelihood, forecasts, simulation, residuals and streaming state of a
 * fitted AR model, all through the shared Kalman engine (arima_ss.h,
 * arima_kf.h) applied to x = y - mu with phi = ar, no MA part, no
 * differencing and sigma2 = var.pred.  For t >= p the engine's one-step
 * prediction is the AR recursion itself, so forecasts equal R's
 * predict.ar: mean mu + the AR recursion, se sqrt(var.pred sum psi_j^2). */
#include <math.h>
#include "core/safetensors.h"
#include <stdlib.h>
#include <string.h>
#include "stats/ar_model.h"
#include "stats/arima_kf.h"

/* y - mu in a fresh array (NaN stays NaN). */
static tsf_status centred(const tsf_ar_impl *a, const double *y, size_t n, double **x)
{
    *x = malloc((n ? n : 1) * sizeof **x);
    if (!*x) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu values", n);
    for (size_t t = 0; t < n; t++) (*x)[t] = y[t] - a->mu;
    return TSF_OK;
}

static tsf_status no_xreg(const tsf_xreg *xreg)
{
    if (xreg && xreg->k) return tsf_no_regressors("ar");
    return TSF_OK;
}

tsf_status tsf_ar_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         size_t start, double *ll)
{
    const tsf_ar_impl *a = impl;
    double *x;
    tsf_status st = no_xreg(xreg);
    if (st || (st = centred(a, y, n, &x))) return st;
    tsf_arima_ss m = tsf_ar_ss(a);
    st = tsf_arima_ss_loglik(&m, x, n, start, ll);
    free(x);
    return st;
}

tsf_status tsf_ar_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           size_t h, const double *levels, size_t nlevels,
                           const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const tsf_ar_impl *a = impl;
    (void)levels;
    (void)nlevels;
    double *x;
    tsf_status st = no_xreg(xreg);
    if (st || (st = centred(a, y, n, &x))) return st;
    tsf_arima_ss m = tsf_ar_ss(a);
    if (opts && opts->ngiven) {
        double *gv = malloc(opts->ngiven * sizeof *gv);
        if (!gv) st = tsf_set_error(TSF_ENOMEM, "out of memory");
        for (size_t i = 0; gv && i < opts->ngiven; i++) gv[i] = opts->given_value[i] - a->mu;
        if (gv) st = tsf_arima_ss_forecast_given(&m, x, n, h, opts->given_step, gv, opts->ngiven,
                                                 fc->mean, fc->se);
        free(gv);
    } else {
        st = tsf_arima_ss_forecast(&m, x, n, h, fc->mean, fc->se);
    }
    free(x);
    if (st) return st;
    for (size_t i = 0; i < h; i++) fc->mean[i] += a->mu;
    tsf_forecast_normal(fc);
    return TSF_OK;
}

tsf_status tsf_ar_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                           const tsf_xreg *xreg, double *out)
{
    const tsf_ar_impl *a = impl;
    if (xreg) return tsf_no_regressors("ar");
    tsf_arima_ss m = tsf_ar_ss(a);
    tsf_status st = tsf_arima_ss_simulate(&m, n, npaths, seed, out);
    if (st) return st;
    for (size_t i = 0; i < n * npaths; i++) out[i] += a->mu;
    return TSF_OK;
}

tsf_status tsf_ar_residuals(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            double *fitted, double *resid)
{
    const tsf_ar_impl *a = impl;
    double *x, *pred = malloc((n ? n : 1) * sizeof *pred);
    tsf_status st = no_xreg(xreg);
    if (!pred) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu values", n);
    if (st || (st = centred(a, y, n, &x))) {
        free(pred);
        return st;
    }
    tsf_arima_ss m = tsf_ar_ss(a);
    st = tsf_arima_ss_fitted(&m, x, n, pred);
    if (!st)
        for (size_t t = 0; t < n; t++) {
            /* The engine leaves NaN where y is missing. */
            double f = pred[t] + a->mu;
            if (fitted) fitted[t] = f;
            if (resid) resid[t] = y[t] - f;
        }
    free(x);
    free(pred);
    return st;
}

/* ---- streaming: a Kalman state of dimension p, O(p^2) per update (O(p)
 * once the filter has reached its steady state, which for an AR(p)
 * happens after p observations: then the predictive density is exactly
 * N(mu + sum ar_j x_{t-j}, var.pred)). ---- */

typedef struct {
    tsf_arima_kf *kf;
    double mu, sigma2;
} ar_state;

void tsf_ar_state_free(void *vst)
{
    ar_state *st = vst;
    if (!st) return;
    tsf_arima_kf_free(st->kf);
    free(st);
}

tsf_status tsf_ar_state_clone(const void *vst, void **out)
{
    const ar_state *st = vst;
    *out = NULL;
    ar_state *c = calloc(1, sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory");
    *c = *st;
    tsf_status s = tsf_arima_kf_clone(st->kf, &c->kf);
    if (s) {
        free(c);
        return s;
    }
    *out = c;
    return TSF_OK;
}

tsf_status tsf_ar_state_new(const void *impl, void **out)
{
    const tsf_ar_impl *a = impl;
    *out = NULL;
    ar_state *st = calloc(1, sizeof *st);
    if (!st) return tsf_set_error(TSF_ENOMEM, "out of memory creating an ar state");
    tsf_arima_ss m = tsf_ar_ss(a);
    tsf_status s = tsf_arima_kf_new(m.p, 0, 0, &st->kf);
    if (!s) s = tsf_arima_kf_set(st->kf, &m);
    if (s) {
        tsf_ar_state_free(st);
        return s;
    }
    st->mu = a->mu;
    st->sigma2 = a->est.var_pred;
    *out = st;
    return TSF_OK;
}

tsf_status tsf_ar_state_update(void *vst, double y, const double *x, size_t k, double *logp)
{
    ar_state *st = vst;
    if (x || k) return tsf_no_regressors("ar");
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "observation %g is infinite", y);
    double pred, F;
    int contributes = tsf_arima_kf_step(st->kf, y - st->mu, &pred, &F);
    double lp = 0.0;
    if (contributes) {
        double v = st->sigma2 * F, e = y - st->mu - pred;
        lp = tsf_gauss_logpdf(e, v);
    }
    if (logp) *logp = lp;
    return TSF_OK;
}

tsf_status tsf_ar_state_forecast(void *vst, size_t h, const double *levels, size_t nlevels,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    ar_state *st = vst;
    (void)levels;
    (void)nlevels;
    (void)opts;
    if (opts && opts->xreg_future && opts->xreg_future->k)
        return tsf_no_regressors("ar");
    /* kf_predict only writes the workspace's scratch arrays, never the
     * filter state; a state is used by one thread at a time. */
    tsf_arima_kf_predict(st->kf, h, fc->mean, fc->se);
    for (size_t i = 0; i < h; i++) {
        fc->mean[i] += st->mu;
        fc->se[i] = sqrt(fmax(fc->se[i], 0.0) * st->sigma2);
    }
    tsf_forecast_normal(fc);
    return TSF_OK;
}

tsf_status tsf_ar_state_save(const void *vst, tsf_st *doc)
{
    const ar_state *st = vst;
    return tsf_arima_kf_save(st->kf, doc, "state.kf");
}

tsf_status tsf_ar_state_load(const void *impl, const tsf_st *doc, void **out)
{
    *out = NULL;
    void *p;
    tsf_status s = tsf_ar_state_new(impl, &p);
    if (s) return s;
    ar_state *st = p;
    if ((s = tsf_arima_kf_load(st->kf, doc, "state.kf", "ar"))) {
        tsf_ar_state_free(st);
        return s;
    }
    *out = st;
    return TSF_OK;
}

tsf_status tsf_ar_smooth(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         tsf_smooth_result *res)
{
    const tsf_ar_impl *a = impl;
    double *x;
    tsf_status st = no_xreg(xreg);
    if (st || (st = centred(a, y, n, &x))) return st;
    tsf_arima_ss m = tsf_ar_ss(a);
    st = tsf_arima_ss_smooth_into(&m, x, n, NULL, res);
    for (size_t t = 0; !st && t < n; t++) res->mean[t] += a->mu;
    free(x);
    return st;
}

tsf_status tsf_ar_smooth_draws(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, size_t npaths, uint64_t seed, double *out)
{
    const tsf_ar_impl *a = impl;
    double *x;
    tsf_status st = no_xreg(xreg);
    if (st || (st = centred(a, y, n, &x))) return st;
    tsf_arima_ss m = tsf_ar_ss(a);
    st = tsf_arima_ss_smooth_draws(&m, x, n, npaths, seed, out);
    for (size_t i = 0; !st && i < n * npaths; i++) out[i] += a->mu;
    free(x);
    return st;
}
