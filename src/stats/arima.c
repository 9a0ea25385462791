/* The "arima" model family: spec parsing, fitting entry point, summaries,
 * likelihoods, forecasts, simulation and residuals through the
 * state-space engine, with regression effects handled around it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/arima_impl.h"

static tsf_status check_order(const tsf_arima_order *o)
{
    int v[4] = {o->p, o->q, o->P, o->Q};
    for (int i = 0; i < 4; i++)
        if (v[i] < 0 || v[i] > TSF_ARIMA_MAX_PQ)
            return tsf_set_error(TSF_EINVAL, "ARIMA orders must lie in 0..%d", TSF_ARIMA_MAX_PQ);
    if (o->d < 0 || o->d > TSF_ARIMA_MAX_D || o->D < 0 || o->D > TSF_ARIMA_MAX_D)
        return tsf_set_error(TSF_EINVAL, "differencing orders must lie in 0..%d", TSF_ARIMA_MAX_D);
    if (o->s < 0 || o->s > 10000)
        return tsf_set_error(TSF_EINVAL, "period %d out of range 1..10000", o->s);
    return TSF_OK;
}

tsf_status tsf_arima_new(const tsf_arima_order *ord, tsf_arima **out)
{
    *out = NULL;
    tsf_status st = check_order(ord);
    if (st) return st;
    tsf_arima *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory");
    a->ord = *ord;
    *out = a;
    return TSF_OK;
}

void tsf_arima_free(tsf_arima *a)
{
    if (!a) return;
    for (size_t i = 0; a->names && i < a->ncoef; i++) free(a->names[i]);
    free(a->names);
    free(a->coef);
    free(a->se);
    free(a->phi);
    free(a->theta);
    free(a->delta);
    free(a);
}

static tsf_status arima_parse(const tsf_spec *s, void **impl)
{
    *impl = NULL;
    tsf_arima_order o = {0, 0, 0, 0, 0, 0, 0};
    int *dst[2][3] = {{&o.p, &o.d, &o.q}, {&o.P, &o.D, &o.Q}};
    if (s->ngroups < 1)
        return tsf_spec_error(s, 0, TSF_EPARSE, "arima needs orders: arima(p,d,q) or "
                              "arima(p,d,q)(P,D,Q)[s]");
    for (size_t g = 0; g < s->ngroups; g++) {
        const tsf_spec_group *gr = &s->groups[g];
        if (gr->nargs != 3)
            return tsf_spec_error(s, gr->pos, TSF_EPARSE, "expected three orders (%s), got %zu",
                                  g ? "P,D,Q" : "p,d,q", gr->nargs);
        for (size_t i = 0; i < 3; i++) {
            tsf_spec_arg *arg = &gr->args[i];
            if (arg->key)
                return tsf_spec_error(s, arg->pos, TSF_EPARSE, "unknown key '%s': arima takes "
                                      "three orders (p,d,q)(P,D,Q)[s]", arg->key);
            long v;
            long hi = i == 1 ? TSF_ARIMA_MAX_D : TSF_ARIMA_MAX_PQ;
            tsf_status st = tsf_spec_arg_int(s, arg, 0, hi, &v);
            if (st) return st;
            *dst[g][i] = (int)v;
        }
    }
    if (s->period < 0 || s->period > 10000)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "period must lie in 1..10000");
    o.s = (int)s->period;
    if (s->period > 0 && s->ngroups < 2)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "a period [s] needs a seasonal "
                              "part: arima(p,d,q)(P,D,Q)[s]");
    return tsf_arima_new(&o, (tsf_arima **)impl);
}

static tsf_status count_used(const tsf_arima *a, const double *y, size_t n, const double *X,
                             size_t *nobs)
{
    size_t used = 0;
    for (size_t t = 0; t < n; t++) {
        int ok = !isnan(y[t]);
        for (size_t j = 0; j < a->nreg && ok; j++) ok = !isnan(X[j * n + t]);
        used += (size_t)ok;
    }
    size_t need = a->nd + a->ncoef + 3;
    if (used < need)
        return tsf_set_error(TSF_EDOMAIN, "this ARIMA needs at least %zu non-missing observations "
                             "(%zu differencing + %zu coefficients + 3), got %zu; use a smaller "
                             "order", need, a->nd, a->ncoef, used);
    *nobs = used - a->nd;
    return TSF_OK;
}

/* The name of user regressor c (xreg's, or R's default xreg1, ...). */
static const char *uname(const tsf_xreg *xreg, size_t c, char *buf, size_t len)
{
    if (xreg->names && xreg->names[c]) return xreg->names[c];
    snprintf(buf, len, "xreg%zu", c + 1);
    return buf;
}

/* Regressors that tsf_arima_aliased() marked are left out of the fit, as
 * R's lm leaves out aliased columns: X keeps the other columns (first
 * ones in place) and the coefficients are those of the smaller model. */
static tsf_status drop_columns(tsf_arima *a, size_t n, double *X, const tsf_xreg *xreg,
                               const int *drop)
{
    size_t base = a->nreg - a->kuser, j = base, kk = 0;
    char (*buf)[32] = malloc(a->kuser * sizeof *buf);
    const char **names = malloc(a->kuser * sizeof *names);
    if (!buf || !names) {
        free(buf);
        free(names);
        return tsf_set_error(TSF_ENOMEM, "out of memory for the regressors");
    }
    for (size_t c = 0; c < a->kuser; c++) {
        if (drop[c]) continue;
        if (j != base + c) memmove(X + j * n, X + (base + c) * n, n * sizeof *X);
        names[kk++] = uname(xreg, c, buf[c], sizeof buf[c]);
        j++;
    }
    a->kuser = kk;
    tsf_status st = tsf_arima_alloc_coef(a, names);
    free(names);
    free(buf);
    return st;
}

/* After the fit without them: the model takes all kfull regressors again,
 * a dropped one with coefficient 0 and standard error NaN (R's lm: NA),
 * so forecasts take the same columns as the fit.  The likelihood and
 * criteria stay those of the fitted (smaller) model. */
static tsf_status restore_columns(tsf_arima *a, size_t kfull, const tsf_xreg *xreg,
                                  const int *drop)
{
    size_t nc = a->ncoef, pf = a->pf, qf = a->qf, nd = a->nd;
    size_t bytes = (2 * nc + pf + qf + nd + 3) * sizeof(double);
    double *keep = malloc(bytes);
    if (!keep) return tsf_set_error(TSF_ENOMEM, "out of memory for the regressors");
    double *coef = keep, *se = coef + nc, *phi = se + nc, *theta = phi + pf + 1,
           *delta = theta + qf + 1;
    memcpy(coef, a->coef, nc * sizeof *coef);
    memcpy(se, a->se, nc * sizeof *se);
    memcpy(phi, a->phi, (pf + 1) * sizeof *phi);
    memcpy(theta, a->theta, (qf + 1) * sizeof *theta);
    memcpy(delta, a->delta, (nd + 1) * sizeof *delta);
    a->kuser = kfull;
    tsf_status st = tsf_arima_alloc_coef(a, xreg->names);
    if (!st) {
        size_t fixed = a->ncoef - kfull, r = fixed;
        memcpy(a->coef, coef, fixed * sizeof *coef);
        memcpy(a->se, se, fixed * sizeof *se);
        for (size_t c = 0; c < kfull; c++) {
            a->coef[fixed + c] = drop[c] ? 0.0 : coef[r];
            a->se[fixed + c] = drop[c] ? NAN : se[r];
            r += !drop[c];
        }
        memcpy(a->phi, phi, (pf + 1) * sizeof *phi);
        memcpy(a->theta, theta, (qf + 1) * sizeof *theta);
        memcpy(a->delta, delta, (nd + 1) * sizeof *delta);
    }
    free(keep);
    return st;
}

tsf_status tsf_arima_fit(tsf_arima *a, const double *y, size_t n, const tsf_xreg *xreg,
                         const tsf_fit_opts *opts)
{
    tsf_fit_opts def;
    if (!opts) {
        memset(&def, 0, sizeof def);
        opts = &def;
    }
    if (!y && n) return tsf_set_error(TSF_EINVAL, "no data given");
    a->fitted = 0;
    tsf_arima_order *o = &a->ord;
    if (o->s <= 0) o->s = 1;
    if (o->s == 1 && (o->P || o->D || o->Q))
        return tsf_set_error(TSF_EINVAL, "a seasonal ARIMA (P,D,Q) = (%d,%d,%d) needs a period "
                             "> 1: give [s] in the spec or --period", o->P, o->D, o->Q);
    if (o->s == 1) o->P = o->D = o->Q = 0;
    switch (opts->method) {
    case TSF_METHOD_DEFAULT: a->method = TSF_METHOD_CSS_ML; break;
    case TSF_METHOD_CSS_ML: case TSF_METHOD_ML: case TSF_METHOD_CSS: a->method = opts->method; break;
    default: return tsf_set_error(TSF_EINVAL, "unknown fitting method %d", (int)opts->method);
    }
    int nd = o->d + o->D;
    a->regflags = 0;
    if (nd == 0 && opts->include_mean != -1) a->regflags |= TSF_REG_MEAN;
    if (opts->include_drift) {
        if (nd > 1)
            return tsf_set_error(TSF_EINVAL, "drift needs d + D <= 1 (here %d): a drift in a "
                                 "twice-differenced model is not identifiable", nd);
        a->regflags |= TSF_REG_DRIFT;
    }
    if (opts->trend) a->regflags |= TSF_REG_TREND;
    a->kuser = xreg ? xreg->k : 0;
    if (a->kuser > 1000) return tsf_set_error(TSF_EINVAL, "too many regressors (%zu)", a->kuser);
    tsf_status st = tsf_arima_alloc_coef(a, xreg ? xreg->names : NULL);
    if (st) return st;
    if (a->ncoef > TSF_ARIMA_MAXPAR)
        return tsf_set_error(TSF_EINVAL, "%zu coefficients to estimate; at most %d (use smaller "
                             "orders or fewer regressors)", a->ncoef, TSF_ARIMA_MAXPAR);
    double *X = malloc((a->nreg * n > 0 ? a->nreg * n : 1) * sizeof *X);
    if (!X) return tsf_set_error(TSF_ENOMEM, "out of memory for the regressors");
    int *drop = NULL;
    size_t ndrop = 0, kfull = a->kuser;
    if (!(st = tsf_arima_regmatrix(a, n, 0, xreg, X)) && kfull) {
        if (!(drop = malloc(kfull * sizeof *drop)) ||
            (ndrop = tsf_arima_aliased(a, y, n, X, drop)) == (size_t)-1)
            st = tsf_set_error(TSF_ENOMEM, "out of memory for the regressors");
        else if (ndrop)
            st = drop_columns(a, n, X, xreg, drop);
    }
    if (!st && !(st = count_used(a, y, n, X, &a->nobs)))
        st = tsf_arima_fit_run(a, y, n, X);
    if (!st && ndrop) st = restore_columns(a, kfull, xreg, drop);
    free(drop);
    free(X);
    if (!st) a->fitted = 1;
    return st;
}

tsf_status tsf_arima_fit_order(const tsf_arima_order *ord, const double *y, size_t n,
                               const tsf_xreg *xreg, const tsf_fit_opts *opts, tsf_arima **out)
{
    tsf_status st = tsf_arima_new(ord, out);
    if (st) return st;
    if ((st = tsf_arima_fit(*out, y, n, xreg, opts))) {
        tsf_arima_free(*out);
        *out = NULL;
    }
    return st;
}

static tsf_status arima_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg, int period,
                            const tsf_fit_opts *opts)
{
    tsf_arima *a = impl;
    a->ord.s = period; /* resolved by the core (tsf_fit_period) */
    return tsf_arima_fit(a, y, n, xreg, opts);
}

tsf_status tsf_arima_info(const tsf_arima *a, tsf_fit_info *info)
{
    if (!a || !a->fitted) return tsf_set_error(TSF_EINVAL, "the ARIMA model is not fitted");
    info->model = a->model_str;
    info->order[0] = a->ord.p;
    info->order[1] = a->ord.d;
    info->order[2] = a->ord.q;
    info->seasonal[0] = a->ord.P;
    info->seasonal[1] = a->ord.D;
    info->seasonal[2] = a->ord.Q;
    info->period = a->ord.s;
    info->ncoef = a->ncoef;
    info->coef_names = (const char *const *)a->names;
    info->coef = a->coef;
    info->se = a->se;
    info->sigma2 = a->sigma2;
    info->mean = NAN;
    info->loglik = a->loglik;
    info->aic = a->aic;
    info->aicc = a->aicc;
    info->bic = a->bic;
    info->nobs = a->nobs;
    info->converged = a->converged;
    info->ntrace = 0;
    return TSF_OK;
}

static tsf_status arima_info(const void *impl, tsf_fit_info *info)
{
    return tsf_arima_info(impl, info);
}

/* Kalman-filter based answers need a stationary AR part; only the css
 * method can end without one (R's CSS does not constrain it either). */
static tsf_status check_usable(const tsf_arima *a)
{
    if (!a->fitted) return tsf_set_error(TSF_EINVAL, "the ARIMA model is not fitted");
    double *w = malloc(2 * (a->pf + 1) * sizeof *w);
    if (!w) return tsf_set_error(TSF_ENOMEM, "out of memory");
    int ok = tsf_arima_ar_stationary(a->phi, a->pf, w);
    free(w);
    if (!ok)
        return tsf_set_error(TSF_EDEGENERATE, "the %s estimates have a non-stationary AR part, which "
                             "has no likelihood or forecasts; refit with method=css-ml or ml",
                             a->method == TSF_METHOD_CSS ? "CSS" : "model's");
    return TSF_OK;
}

/* x = y - X beta over n rows (a fresh array). */
static tsf_status reg_adjusted(const tsf_arima *a, const double *y, size_t n, const tsf_xreg *xreg,
                               double **xout)
{
    *xout = NULL;
    tsf_status cs = check_usable(a);
    if (cs) return cs;
    double *x = malloc((n ? n : 1) * sizeof *x), *X = malloc((a->nreg * n > 0 ? a->nreg * n : 1) * sizeof *X);
    if (!x || !X) {
        free(x);
        free(X);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    tsf_status st = tsf_arima_regmatrix(a, n, 0, xreg, X);
    if (!st) tsf_arima_xresid(a, y, n, X, x);
    free(X);
    if (st) free(x);
    else *xout = x;
    return st;
}

static tsf_status arima_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                               size_t start, double *ll)
{
    const tsf_arima *a = impl;
    double *x;
    tsf_status st = reg_adjusted(a, y, n, xreg, &x);
    if (st) return st;
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    st = tsf_arima_ss_loglik(&m, x, n, start, ll);
    free(x);
    return st;
}

/* Scenario forecast: the given values less their regression part enter
 * the smoother as observations. */
static tsf_status forecast_given(const tsf_arima *a, const tsf_arima_ss *m, const double *x,
                                 size_t n, size_t h, const double *Xf,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    double *gv = malloc(opts->ngiven * sizeof *gv);
    if (!gv) return tsf_set_error(TSF_ENOMEM, "out of memory");
    for (size_t i = 0; i < opts->ngiven; i++) {
        size_t k = opts->given_step[i] - 1;
        gv[i] = opts->given_value[i];
        for (size_t j = 0; j < a->nreg; j++) gv[i] -= a->coef[a->narma + j] * Xf[j * h + k];
    }
    tsf_status st = tsf_arima_ss_forecast_given(m, x, n, h, opts->given_step, gv, opts->ngiven,
                                                fc->mean, fc->se);
    free(gv);
    return st;
}

static tsf_status arima_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                                 size_t h, const double *levels, size_t nlevels,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const tsf_arima *a = impl;
    (void)levels; /* fc->levels: the intervals come from tsf_forecast_normal */
    (void)nlevels;
    const tsf_xreg *xf = opts ? opts->xreg_future : NULL;
    if (a->kuser && !xf)
        return tsf_set_error(TSF_EINVAL, "the model has %zu regressors: give their %zu future "
                             "rows (xreg_future) to forecast", a->kuser, h);
    double *x;
    tsf_status st = reg_adjusted(a, y, n, xreg, &x);
    if (st) return st;
    double *Xf = malloc((a->nreg * h > 0 ? a->nreg * h : 1) * sizeof *Xf);
    if (!Xf) {
        free(x);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    if (!(st = tsf_arima_regmatrix(a, h, n, xf, Xf))) {
        tsf_arima_ss m;
        tsf_arima_ssview(a, &m);
        if (opts && opts->ngiven) st = forecast_given(a, &m, x, n, h, Xf, opts, fc);
        else st = tsf_arima_ss_forecast(&m, x, n, h, fc->mean, fc->se);
    }
    if (!st) {
        const double *beta = a->coef + a->narma;
        for (size_t j = 0; j < a->nreg; j++)
            for (size_t i = 0; i < h; i++) {
                double v = Xf[j * h + i];
                if (isnan(v)) {
                    st = tsf_set_error(TSF_EINVAL, "future regressor %zu is missing at step %zu",
                                       j + 1, i + 1);
                    break;
                }
                fc->mean[i] += beta[j] * v;
            }
        if (!st) tsf_forecast_normal(fc);
    }
    free(x);
    free(Xf);
    return st;
}

static tsf_status arima_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                                 const tsf_xreg *xreg, double *out)
{
    const tsf_arima *a = impl;
    tsf_status cs = check_usable(a);
    if (cs) return cs;
    if (a->kuser != (xreg ? xreg->k : 0))
        return tsf_set_error(TSF_EINVAL, "the model has %zu regressor%s, %zu given: a regression "
                             "with ARIMA errors is simulated along given regressor paths "
                             "(tsf_simulate_x, --xreg-future)", a->kuser,
                             a->kuser == 1 ? "" : "s", xreg ? xreg->k : 0);
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    tsf_status st = tsf_arima_ss_simulate(&m, n, npaths, seed, out);
    if (st) return st;
    double *X = malloc((a->nreg * n > 0 ? a->nreg * n : 1) * sizeof *X);
    if (!X) return tsf_set_error(TSF_ENOMEM, "out of memory");
    if ((st = tsf_arima_regmatrix(a, n, 0, xreg, X)) == TSF_OK) {
        const double *beta = a->coef + a->narma;
        for (size_t k = 0; k < npaths; k++)
            for (size_t j = 0; j < a->nreg; j++)
                for (size_t t = 0; t < n; t++) out[k * n + t] += beta[j] * X[j * n + t];
    }
    free(X);
    return st;
}

static tsf_status arima_residuals(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                                  double *fitted, double *resid)
{
    const tsf_arima *a = impl;
    double *x;
    tsf_status st = reg_adjusted(a, y, n, xreg, &x);
    if (st) return st;
    double *pred = malloc((n ? n : 1) * sizeof *pred);
    if (!pred) {
        free(x);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    /* R's residuals: innovations standardised by their relative variance
     * (= the innovations once the filter has converged, near zero during
     * the diffuse start); fitted = y - residual as forecast's fitted(). */
    if (!(st = tsf_arima_ss_resid(&m, x, n, pred))) {
        for (size_t t = 0; t < n; t++) {
            double r = isnan(y[t]) ? NAN : pred[t];
            if (fitted) fitted[t] = isnan(r) ? NAN : y[t] - r;
            if (resid) resid[t] = r;
        }
    }
    free(pred);
    free(x);
    return st;
}

/* The regression part X beta of n rows into a fresh array and x = y - X
 * beta into another: the series the state-space engine smooths.  Without
 * a regression part both are NULL (x is y itself: no copies of the
 * series). */
static tsf_status smooth_inputs(const tsf_arima *a, const double *y, size_t n,
                                const tsf_xreg *xreg, double **xb, double **x)
{
    *xb = NULL;
    *x = NULL;
    if (!a->nreg) return check_usable(a);
    tsf_status st = reg_adjusted(a, y, n, xreg, x);
    if (st) return st;
    double *X = malloc((a->nreg * n > 0 ? a->nreg * n : 1) * sizeof *X);
    double *b = malloc((n ? n : 1) * sizeof *b);
    if (!X || !b) st = tsf_set_error(TSF_ENOMEM, "out of memory");
    if (!st) st = tsf_arima_regmatrix(a, n, 0, xreg, X);
    for (size_t t = 0; !st && t < n; t++) {
        b[t] = 0.0;
        for (size_t j = 0; j < a->nreg; j++) b[t] += a->coef[a->narma + j] * X[j * n + t];
        if (isnan(b[t]))
            st = tsf_set_error(TSF_EINVAL, "a regressor is missing at row %zu: smoothing needs "
                               "every regressor value", t + 1);
    }
    free(X);
    if (st) {
        free(b);
        free(*x);
        *x = NULL;
        return st;
    }
    *xb = b;
    return TSF_OK;
}

static tsf_status arima_smooth(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, tsf_smooth_result *res)
{
    const tsf_arima *a = impl;
    double *xb, *x;
    tsf_status st = smooth_inputs(a, y, n, xreg, &xb, &x);
    if (st) return st;
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    st = tsf_arima_ss_smooth_into(&m, x ? x : y, n, xb, res);
    free(x);
    free(xb);
    return st;
}

static tsf_status arima_smooth_draws(const void *impl, const double *y, size_t n,
                                     const tsf_xreg *xreg, size_t npaths, uint64_t seed,
                                     double *out)
{
    const tsf_arima *a = impl;
    double *xb, *x;
    tsf_status st = smooth_inputs(a, y, n, xreg, &xb, &x);
    if (st) return st;
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    st = tsf_arima_ss_smooth_draws(&m, x ? x : y, n, npaths, seed, out);
    for (size_t k = 0; !st && xb && k < npaths; k++)
        for (size_t t = 0; t < n; t++) out[k * n + t] += xb[t];
    free(x);
    free(xb);
    return st;
}

static void arima_free(void *impl) { tsf_arima_free(impl); }

/* streaming state: arima_state.c */
tsf_status tsf_arima_state_new(const void *impl, void **st);
tsf_status tsf_arima_state_update(void *st, double y, const double *x, size_t k, double *logp);
tsf_status tsf_arima_state_forecast(void *st, size_t h, const double *levels,
                                    size_t nlevels, const tsf_forecast_opts *opts,
                                    tsf_forecast_result *fc);
void tsf_arima_state_free(void *st);
tsf_status tsf_arima_state_clone(const void *st, void **out);
tsf_status tsf_arima_state_save(const void *st, tsf_st *doc);
tsf_status tsf_arima_state_load(const void *impl, const tsf_st *doc, void **st);

const tsf_model_type tsf_arima_type = {
    .name = "arima",
    .neural = 0,
    .reads = TSF_READS_METHOD | TSF_READS_MEAN | TSF_READS_DRIFT,
    .parse = arima_parse,
    .fit = arima_fit,
    .fit_many = NULL,
    .info = arima_info,
    .loglik = arima_loglik,
    .forecast = arima_forecast,
    .simulate = arima_simulate,
    .residuals = arima_residuals,
    .state_new = tsf_arima_state_new,
    .state_update = tsf_arima_state_update,
    .state_forecast = tsf_arima_state_forecast,
    .state_free = tsf_arima_state_free,
    .state_save = tsf_arima_state_save,
    .state_load = tsf_arima_state_load,
    .save = tsf_arima_save,
    .load = tsf_arima_load,
    .free = arima_free,
    .state_clone = tsf_arima_state_clone,
    .smooth = arima_smooth,
    .smooth_draws = arima_smooth_draws,
};
