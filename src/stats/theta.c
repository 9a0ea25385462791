/* The "theta" family (theta.h): spec, fit, summary, the filter that gives
 * likelihood, forecasts, simulation and streaming states, and model files.
 *
 *   theta               the standard Theta method (forecast::thetaf)
 *   theta[s]            with period s instead of the series' own */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "stats/theta.h"

static const char *const coef_names[3] = {"alpha", "l0", "drift"};

static void theta_free(void *impl)
{
    tsf_theta *th = impl;
    if (!th) return;
    free(th->season);
    free(th);
}

static tsf_status theta_parse(const tsf_spec *s, void **impl)
{
    *impl = NULL;
    if (s->ngroups > 0 && s->groups[0].nargs > 0) {
        const tsf_spec_arg *a = &s->groups[0].args[0];
        if (!a->key && strcmp(a->value, "optimized") == 0)
            return tsf_spec_error(s, a->pos, TSF_EUNSUP, "theta(optimized), the dynamic "
                                  "optimised Theta model, is not available in this version; "
                                  "use theta");
        return tsf_spec_error(s, a->pos, TSF_EPARSE, "theta takes no arguments; write theta "
                              "(the period comes from the series, --period or theta[s])");
    }
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "theta takes no arguments");
    tsf_theta *th = calloc(1, sizeof *th);
    if (!th) return tsf_set_error(TSF_ENOMEM, "out of memory creating a theta model");
    th->spec_period = (int)s->period;
    *impl = th;
    return TSF_OK;
}

/* ---- the filter (theta.h) ---- */

void tsf_theta_filter_init(tsf_theta_filter *f, const tsf_theta *th)
{
    f->th = th;
    f->level = th->coef[1];
    f->c = 0.0;
    f->t = 0;
}

static double season_at(const tsf_theta *th, size_t t)
{
    return th->seasonal ? th->season[t % (size_t)th->period] : 1.0;
}

double tsf_theta_filter_pred(const tsf_theta_filter *f)
{
    return season_at(f->th, f->t) * (f->level + f->th->coef[2] * f->c);
}

void tsf_theta_filter_update(tsf_theta_filter *f, double y, double *logp)
{
    const tsf_theta *th = f->th;
    double alpha = th->coef[0];
    if (logp) *logp = 0.0;
    if (!isnan(y)) {
        double e = y - tsf_theta_filter_pred(f);
        if (logp) *logp = -0.5 * (log(2.0 * M_PI * th->sigma2) + e * e / th->sigma2);
        f->level += alpha * (y / season_at(th, f->t) - f->level);
    }
    f->c = 1.0 + (1.0 - alpha) * f->c;
    f->t++;
}

void tsf_theta_filter_forecast(const tsf_theta_filter *f, tsf_forecast_result *fc)
{
    const tsf_theta *th = f->th;
    double alpha = th->coef[0], b = th->coef[2];
    for (size_t i = 0; i < fc->h; i++) {
        fc->mean[i] = season_at(th, f->t + i) * (f->level + b * ((double)i + f->c));
        fc->se[i] = sqrt(th->sigma2 * (1.0 + (double)i * alpha * alpha));
    }
    tsf_forecast_normal(fc);
}

static tsf_status run_filter(const tsf_theta *th, const double *y, size_t n, size_t start,
                             const tsf_xreg *xreg, tsf_theta_filter *f, double *ll)
{
    if (xreg && xreg->k) return tsf_set_error(TSF_EUNSUP, "theta takes no regressors");
    if (!th->fitted) return tsf_set_error(TSF_EINVAL, "the theta model has not been fitted");
    double s = 0.0, lp;
    tsf_theta_filter_init(f, th);
    for (size_t t = 0; t < n; t++) {
        tsf_theta_filter_update(f, y[t], &lp);
        if (t >= start) s += lp;
    }
    if (ll) *ll = s;
    return TSF_OK;
}

static tsf_status theta_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                               size_t start, double *ll)
{
    tsf_theta_filter f;
    return run_filter(impl, y, n, start, xreg, &f, ll);
}

static tsf_status theta_forecast(const void *impl, const double *y, size_t n,
                                 const tsf_xreg *xreg, size_t h, const double *levels,
                                 size_t nlevels, const tsf_forecast_opts *opts,
                                 tsf_forecast_result *fc)
{
    (void)h, (void)levels, (void)nlevels, (void)opts;
    tsf_theta_filter f;
    tsf_status st = run_filter(impl, y, n, 0, xreg, &f, NULL);
    if (!st) tsf_theta_filter_forecast(&f, fc);
    return st;
}

static tsf_status theta_residuals(const void *impl, const double *y, size_t n,
                                  const tsf_xreg *xreg, double *fitted, double *resid)
{
    tsf_theta_filter f;
    tsf_status st = run_filter(impl, y, 0, 0, xreg, &f, NULL);
    for (size_t t = 0; !st && t < n; t++) {
        double p = isnan(y[t]) ? NAN : tsf_theta_filter_pred(&f);
        if (fitted) fitted[t] = p;
        if (resid) resid[t] = y[t] - p;
        tsf_theta_filter_update(&f, y[t], NULL);
    }
    return st;
}

/* Paths drawn from the one-step conditionals, started at L_0 = l0. */
static tsf_status theta_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                                 const tsf_xreg *xreg, double *out)
{
    const tsf_theta *th = impl;
    if (xreg) return tsf_set_error(TSF_EINVAL, "theta takes no regressors");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "theta: out of memory for the random generator");
    gsl_rng_set(r, (unsigned long)seed);
    double sd = sqrt(th->sigma2);
    for (size_t k = 0; k < npaths; k++) {
        tsf_theta_filter f;
        tsf_theta_filter_init(&f, th);
        for (size_t t = 0; t < n; t++) {
            double v = tsf_theta_filter_pred(&f) + gsl_ran_gaussian_ziggurat(r, sd);
            out[k * n + t] = v;
            tsf_theta_filter_update(&f, v, NULL);
        }
    }
    gsl_rng_free(r);
    return TSF_OK;
}

/* ---- fit and summary ---- */

static void finish(tsf_theta *th, size_t nobs)
{
    /* parameters: alpha, l0, drift, sigma2, and m - 1 free seasonal indices */
    double k = 4.0 + (th->seasonal ? (double)th->period - 1.0 : 0.0), nn = (double)nobs;
    th->nobs = nobs;
    th->aic = -2.0 * th->loglik + 2.0 * k;
    th->bic = -2.0 * th->loglik + k * log(nn);
    th->aicc = nn - k - 1.0 > 0.0 ? th->aic + 2.0 * k * (k + 1.0) / (nn - k - 1.0) : INFINITY;
    if (th->seasonal) snprintf(th->model, sizeof th->model, "Theta[%d]", th->period);
    else snprintf(th->model, sizeof th->model, "Theta");
    th->fitted = 1;
}

static tsf_status theta_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            int period, const tsf_fit_opts *opts)
{
    tsf_theta *th = impl;
    th->fitted = 0;
    if (xreg && xreg->k) return tsf_set_error(TSF_EUNSUP, "theta takes no regressors");
    if ((!opts || opts->period == 0) && th->spec_period > 0) period = th->spec_period;
    tsf_status st = tsf_theta_fit(th, y, n, period);
    if (st) return st;
    th->fitted = 1;
    if ((st = theta_loglik(th, y, n, NULL, 0, &th->loglik))) return st;
    finish(th, n);
    return TSF_OK;
}

static tsf_status theta_info(const void *impl, tsf_fit_info *info)
{
    const tsf_theta *th = impl;
    if (!th->fitted) return tsf_set_error(TSF_EINVAL, "the theta model has not been fitted");
    info->model = th->model;
    info->period = th->period;
    info->ncoef = 3;
    info->coef_names = coef_names;
    info->coef = th->coef;
    static const double no_se[3] = {NAN, NAN, NAN};
    info->se = no_se;
    info->sigma2 = th->sigma2;
    info->loglik = th->loglik;
    info->aic = th->aic;
    info->aicc = th->aicc;
    info->bic = th->bic;
    info->nobs = th->nobs;
    info->converged = 1;
    return TSF_OK;
}

/* ---- streaming ---- */

static tsf_status theta_state_new(const void *impl, void **out)
{
    const tsf_theta *th = impl;
    *out = NULL;
    if (!th->fitted) return tsf_set_error(TSF_EINVAL, "the theta model has not been fitted");
    tsf_theta_filter *f = malloc(sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "out of memory creating a theta state");
    tsf_theta_filter_init(f, th);
    *out = f;
    return TSF_OK;
}

static tsf_status theta_state_update(void *st, double y, const double *x, size_t k, double *logp)
{
    if (x || k) return tsf_set_error(TSF_EINVAL, "theta takes no regressors");
    tsf_theta_filter_update(st, y, logp);
    return TSF_OK;
}

static tsf_status theta_state_forecast(const void *st, size_t h, const double *levels,
                                       size_t nlevels, const tsf_forecast_opts *opts,
                                       tsf_forecast_result *fc)
{
    (void)h, (void)levels, (void)nlevels, (void)opts;
    tsf_theta_filter_forecast(st, fc);
    return TSF_OK;
}

static void theta_state_free(void *st) { free(st); }

static tsf_status theta_state_save(const void *vst, tsf_st *doc)
{
    const tsf_theta_filter *f = vst;
    double v[3] = {f->level, f->c, (double)f->t};
    size_t three = 3;
    return tsf_st_add(doc, "state.theta", TSF_ST_F64, 1, &three, v);
}

static tsf_status theta_state_load(const void *impl, const tsf_st *doc, void **out)
{
    const double *v;
    tsf_status st = tsf_st_get_vec(doc, "theta", "state.theta", 3, &v);
    if (st) return st;
    if (!isfinite(v[0]) || !(v[1] >= 0.0 && v[1] <= 1e4) || !(v[2] >= 0.0 && v[2] <= 1e15) ||
        v[2] != floor(v[2]))
        return tsf_set_error(TSF_EPARSE, "theta state file: tensor 'state.theta' holds "
                             "impossible values (level, c >= 0, whole t >= 0 expected)");
    if ((st = theta_state_new(impl, out))) return st;
    tsf_theta_filter *f = *out;
    f->level = v[0];
    f->c = v[1];
    f->t = (size_t)v[2];
    return TSF_OK;
}

/* ---- model files: tensors "coef" (alpha, l0, drift) and "season";
 * metadata sigma2, period, seasonal, loglik, nobs ---- */

static tsf_status put_num(tsf_st *doc, const char *key, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return tsf_st_set_meta(doc, key, buf);
}

static tsf_status theta_save(const void *impl, tsf_st *doc)
{
    const tsf_theta *th = impl;
    if (!th->fitted) return tsf_set_error(TSF_EINVAL, "the theta model has not been fitted");
    size_t three = 3, m = th->seasonal ? (size_t)th->period : 0;
    tsf_status st;
    if ((st = tsf_st_add(doc, "coef", TSF_ST_F64, 1, &three, th->coef)) ||
        (st = tsf_st_add(doc, "season", TSF_ST_F64, 1, &m, th->season)) ||
        (st = put_num(doc, "sigma2", th->sigma2)) ||
        (st = put_num(doc, "period", th->period)) ||
        (st = put_num(doc, "seasonal", th->seasonal)) ||
        (st = put_num(doc, "loglik", th->loglik)) || (st = put_num(doc, "nobs", (double)th->nobs)))
        return st;
    return TSF_OK;
}

static tsf_status theta_load(const tsf_st *doc, void **impl)
{
    tsf_theta *th = *impl;
    if (!th) {
        if (!(th = calloc(1, sizeof *th)))
            return tsf_set_error(TSF_ENOMEM, "out of memory loading a theta model");
        *impl = th;
    }
    double period, seasonal, nobs;
    const double *coef, *season;
    tsf_status st;
    if ((st = tsf_st_meta_num(doc, "theta", "period", 1, TSF_THETA_MAX_PERIOD, &period)) ||
        (st = tsf_st_meta_num(doc, "theta", "seasonal", 0, 1, &seasonal)) ||
        (st = tsf_st_meta_num(doc, "theta", "nobs", 1, 1e15, &nobs)) ||
        (st = tsf_st_meta_num(doc, "theta", "sigma2", 1e-300, HUGE_VAL, &th->sigma2)) ||
        (st = tsf_st_meta_num(doc, "theta", "loglik", -HUGE_VAL, HUGE_VAL, &th->loglik)) ||
        (st = tsf_st_get_vec(doc, "theta", "coef", 3, &coef)))
        return st;
    if (period != floor(period) || nobs != floor(nobs) || (seasonal != 0 && seasonal != 1) ||
        (seasonal == 0 && period != 1) || (seasonal == 1 && period < 2))
        return tsf_set_error(TSF_EPARSE, "theta model file: period, seasonal and nobs are "
                             "inconsistent");
    if (!(coef[0] >= 1e-4 && coef[0] <= 0.9999) || !isfinite(coef[1]) || !isfinite(coef[2]))
        return tsf_set_error(TSF_EPARSE, "theta model file: alpha must be in [1e-4, 0.9999] "
                             "and l0, drift finite");
    size_t m = seasonal ? (size_t)period : 0;
    if ((st = tsf_st_get_vec(doc, "theta", "season", m, &season))) return st;
    for (size_t i = 0; i < m; i++)
        if (!(fabs(season[i]) >= 1e-4) || !isfinite(season[i]))
            return tsf_set_error(TSF_EPARSE, "theta model file: seasonal index %zu is %g",
                                 i + 1, season[i]);
    free(th->season);
    th->season = NULL;
    if (m) {
        if (!(th->season = malloc(m * sizeof *th->season)))
            return tsf_set_error(TSF_ENOMEM, "out of memory loading a theta model");
        memcpy(th->season, season, m * sizeof *season);
    }
    memcpy(th->coef, coef, sizeof th->coef);
    th->period = (int)period;
    th->seasonal = (int)seasonal;
    finish(th, (size_t)nobs);
    return TSF_OK;
}

const tsf_model_type tsf_theta_type = {
    .name = "theta",
    .neural = 0,
    .parse = theta_parse,
    .fit = theta_fit,
    .info = theta_info,
    .loglik = theta_loglik,
    .forecast = theta_forecast,
    .simulate = theta_simulate,
    .residuals = theta_residuals,
    .state_new = theta_state_new,
    .state_update = theta_state_update,
    .state_forecast = theta_state_forecast,
    .state_free = theta_state_free,
    .state_save = theta_state_save,
    .state_load = theta_state_load,
    .save = theta_save,
    .load = theta_load,
    .free = theta_free,
};
