/* The "theta" family (theta.h): spec, fit, summary, the filter that gives
 * likelihood, forecasts, simulation and streaming states, and model files.
 *
 *   theta               the standard Theta method (forecast::thetaf)
 *   theta(optimized)    the dynamic optimised Theta model (Fiorucci et al. 2016)
 *   theta[s]            with period s instead of the series' own */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "stats/theta.h"

static const char *const coef_names[3] = {"alpha", "l0", "drift"};
static const char *const dotm_names[3] = {"alpha", "l0", "theta"};

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
    int optimized = 0;
    if (s->ngroups > 0 && s->groups[0].nargs > 0) {
        const tsf_spec_arg *a = &s->groups[0].args[0];
        if (s->groups[0].nargs > 1 || a->key || strcmp(a->value, "optimized") != 0)
            return tsf_spec_error(s, s->groups[0].nargs > 1 ? s->groups[0].args[1].pos : a->pos,
                                  TSF_EPARSE, "theta takes nothing or 'optimized': write theta "
                                  "or theta(optimized) (the period comes from the series, "
                                  "--period or theta[s])");
        optimized = 1;
    }
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "theta takes one argument "
                              "group: theta(optimized)");
    tsf_theta *th = calloc(1, sizeof *th);
    if (!th) return tsf_set_error(TSF_ENOMEM, "out of memory creating a theta model");
    th->optimized = optimized;
    *impl = th;
    return TSF_OK;
}

/* ---- the filter (theta.h) ---- */

void tsf_theta_filter_init(tsf_theta_filter *f, const tsf_theta *th)
{
    memset(f, 0, sizeof *f);
    f->th = th;
    f->level = th->coef[1];
    f->q = 1.0;
}

double tsf_theta_dotm_bracket(double alpha, double q, double A, double B, double h1)
{
    return q * A + (h1 + (1.0 - q * (1.0 - alpha)) / alpha) * B;
}

/* Least-squares line of x_1..x_t on 1..t updated in O(1) (Fiorucci et al.
 * 2016, eqs. for A_t, B_t and the mean). */
void tsf_theta_dotm_ols(tsf_theta_filter *f, double x)
{
    double t = (double)(f->t + 1);
    if (f->t == 0) {
        f->xbar = f->A = x;
        f->B = 0.0;
        return;
    }
    f->B = (t - 2.0) / (t + 1.0) * f->B + 6.0 / (t * (t + 1.0)) * (x - f->xbar);
    f->xbar = ((t - 1.0) * f->xbar + x) / t;
    f->A = f->xbar - 0.5 * (t + 1.0) * f->B;
}

/* 1 - 1/theta of the DOTM */
static double dotm_w(const tsf_theta *th) { return 1.0 - 1.0 / th->coef[2]; }

static double season_at(const tsf_theta *th, size_t t)
{
    return th->seasonal ? th->season[t % (size_t)th->period] : 1.0;
}

/* The h-step mean (h1 = h - 1) of the adjusted series x. */
static double adjusted_mean(const tsf_theta_filter *f, double h1)
{
    const tsf_theta *th = f->th;
    if (th->optimized)
        return f->level + dotm_w(th) * tsf_theta_dotm_bracket(th->coef[0], f->q, f->A, f->B, h1);
    return f->level + th->coef[2] * (h1 + f->c);
}

double tsf_theta_filter_pred(const tsf_theta_filter *f)
{
    return season_at(f->th, f->t) * adjusted_mean(f, 0.0);
}

/* One-step sd in y's units: the DOTM's errors are those of x (scaled by
 * the index); thetaf's are in y's units. */
static double pred_sd(const tsf_theta_filter *f)
{
    double s = sqrt(f->th->sigma2);
    return f->th->optimized ? s * season_at(f->th, f->t) : s;
}

void tsf_theta_filter_update(tsf_theta_filter *f, double y, double *logp)
{
    const tsf_theta *th = f->th;
    double alpha = th->coef[0], s = season_at(th, f->t), x = y / s;
    if (logp) *logp = 0.0;
    if (!isnan(y) && logp) {
        double sd = pred_sd(f), e = (y - tsf_theta_filter_pred(f)) / sd;
        *logp = tsf_gauss_logpdf(e, 1.0) - log(sd);
    }
    if (th->optimized) {
        /* a missing value is replaced by its one-step mean in the level
         * and the regression line */
        if (isnan(x)) x = adjusted_mean(f, 0.0);
        f->level = alpha * x + (1.0 - alpha) * f->level;
        tsf_theta_dotm_ols(f, x);
        f->q *= 1.0 - alpha;
    } else {
        if (!isnan(x)) f->level += alpha * (x - f->level);
        f->c = 1.0 + (1.0 - alpha) * f->c;
    }
    f->t++;
}

void tsf_theta_filter_forecast(const tsf_theta_filter *f, tsf_forecast_result *fc)
{
    const tsf_theta *th = f->th;
    double alpha = th->coef[0];
    for (size_t i = 0; i < fc->h; i++) {
        double s = season_at(th, f->t + i);
        fc->mean[i] = s * adjusted_mean(f, (double)i);
        fc->se[i] = (th->optimized ? s : 1.0) * sqrt(th->sigma2 * (1.0 + (double)i * alpha * alpha));
    }
    tsf_forecast_normal(fc);
}

static tsf_status run_filter(const tsf_theta *th, const double *y, size_t n, size_t start,
                             const tsf_xreg *xreg, tsf_theta_filter *f, double *ll)
{
    if (xreg && xreg->k) return tsf_no_regressors("theta");
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
    if (xreg) return tsf_no_regressors("theta");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "theta: out of memory for the random generator");
    gsl_rng_set(r, (unsigned long)seed);
    for (size_t k = 0; k < npaths; k++) {
        tsf_theta_filter f;
        tsf_theta_filter_init(&f, th);
        for (size_t t = 0; t < n; t++) {
            double v = tsf_theta_filter_pred(&f) + gsl_ran_gaussian_ziggurat(r, pred_sd(&f));
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
    tsf_info_criteria(th->loglik, k, nn, &th->aic, &th->aicc, &th->bic);
    const char *name = th->optimized ? "DOTM" : "Theta";
    if (th->seasonal) snprintf(th->model, sizeof th->model, "%s[%d]", name, th->period);
    else snprintf(th->model, sizeof th->model, "%s", name);
    th->fitted = 1;
}

static tsf_status theta_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            int period, const tsf_fit_opts *opts)
{
    tsf_theta *th = impl;
    th->fitted = 0;
    (void)opts; /* the period is resolved by the core (tsf_fit_period) */
    if (xreg && xreg->k) return tsf_no_regressors("theta");
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
    info->coef_names = th->optimized ? dotm_names : coef_names;
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
    if (x || k) return tsf_no_regressors("theta");
    tsf_theta_filter_update(st, y, logp);
    return TSF_OK;
}

static tsf_status theta_state_forecast(void *st, size_t h, const double *levels,
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
    double v[TSF_THETA_FILTER_VALUES] = {f->level, f->c, (double)f->t, f->q, f->xbar, f->A, f->B};
    size_t nv = TSF_THETA_FILTER_VALUES;
    return tsf_st_add(doc, "state.theta", TSF_ST_F64, 1, &nv, v);
}

static tsf_status theta_state_load(const void *impl, const tsf_st *doc, void **out)
{
    const double *v;
    tsf_status st = tsf_st_get_vec(doc, "theta", "state.theta", TSF_THETA_FILTER_VALUES, &v);
    if (st) return st;
    if (!isfinite(v[0]) || !(v[1] >= 0.0 && v[1] <= 1e4) || !(v[2] >= 0.0 && v[2] <= 1e15) ||
        v[2] != floor(v[2]) || !(v[3] >= 0.0 && v[3] <= 1.0) || !isfinite(v[4]) ||
        !isfinite(v[5]) || !isfinite(v[6]))
        return tsf_set_error(TSF_EPARSE, "theta state file: tensor 'state.theta' holds "
                             "impossible values (finite level, mean, line; c >= 0; whole "
                             "t >= 0; (1-alpha)^t in [0, 1] expected)");
    if ((st = theta_state_new(impl, out))) return st;
    tsf_theta_filter *f = *out;
    f->level = v[0];
    f->c = v[1];
    f->t = (size_t)v[2];
    f->q = v[3];
    f->xbar = v[4];
    f->A = v[5];
    f->B = v[6];
    return TSF_OK;
}

/* ---- model files: tensors "coef" (alpha, l0, drift) and "season";
 * metadata sigma2, period, seasonal, loglik, nobs ---- */

static tsf_status theta_save(const void *impl, tsf_st *doc)
{
    const tsf_theta *th = impl;
    if (!th->fitted) return tsf_set_error(TSF_EINVAL, "the theta model has not been fitted");
    size_t three = 3, m = th->seasonal ? (size_t)th->period : 0;
    tsf_status st;
    if ((st = tsf_st_add(doc, "coef", TSF_ST_F64, 1, &three, th->coef)) ||
        (st = tsf_st_add(doc, "season", TSF_ST_F64, 1, &m, th->season)) ||
        (st = tsf_st_set_meta_num(doc, "sigma2", th->sigma2)) ||
        (st = tsf_st_set_meta_num(doc, "period", th->period)) ||
        (st = tsf_st_set_meta_num(doc, "seasonal", th->seasonal)) ||
        (st = tsf_st_set_meta_num(doc, "loglik", th->loglik)) || (st = tsf_st_set_meta_num(doc, "nobs", (double)th->nobs)))
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
    if (!(coef[0] >= 1e-4 && coef[0] <= 0.9999) || !isfinite(coef[1]) || !isfinite(coef[2]) ||
        (th->optimized && !(coef[2] >= 1.0)))
        return tsf_set_error(TSF_EPARSE, "theta model file: alpha must be in [1e-4, 0.9999], "
                             "l0 and drift finite, theta >= 1");
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
