/* The GARCH recursion one observation at a time (O(p + q + P + Q) each):
 * the streaming state, and through it the likelihood of new data,
 * residuals, forecasts (variance recursion in closed form, intervals
 * beyond one step by simulation), value-at-risk and simulation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "stats/garch.h"

static size_t ne_of(const tsf_garch_layout *L)
{
    return (size_t)(L->p > L->Q ? L->p : L->Q);
}

static tsf_status rec_alloc(const tsf_garch_layout *L, tsf_garch_rec **out)
{
    *out = NULL;
    tsf_garch_rec *s = calloc(1, sizeof *s);
    size_t len = (size_t)L->npar + (size_t)L->P + ne_of(L) + (size_t)L->q + 1;
    if (!s || !(s->buf = calloc(len, sizeof *s->buf))) {
        free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory for a garch state");
    }
    s->L = *L;
    s->theta = s->buf;
    s->r = s->theta + L->npar;
    s->e = s->r + L->P;
    s->h = s->e + ne_of(L);
    *out = s;
    return TSF_OK;
}

tsf_status tsf_garch_rec_new(const tsf_garch *g, tsf_garch_rec **out)
{
    if (!g->fitted) {
        *out = NULL;
        return tsf_set_error(TSF_EINVAL, "the garch model has not been fitted");
    }
    tsf_status st = rec_alloc(&g->L, out);
    if (st) return st;
    memcpy((*out)->theta, g->coef, (size_t)g->L.npar * sizeof *g->coef);
    (*out)->h0 = (*out)->hnext = g->h0;
    (*out)->logc = tsf_garch_logc(&g->L, g->coef);
    return TSF_OK;
}

void tsf_garch_rec_free(tsf_garch_rec *s)
{
    if (!s) return;
    free(s->buf);
    free(s);
}

static size_t rec_len(const tsf_garch_rec *s)
{
    return (size_t)s->L.npar + (size_t)s->L.P + ne_of(&s->L) + (size_t)s->L.q + 1;
}

static void rec_assign(tsf_garch_rec *dst, const tsf_garch_rec *src)
{
    memcpy(dst->buf, src->buf, rec_len(src) * sizeof *src->buf);
    dst->h0 = src->h0;
    dst->t = src->t;
    dst->hnext = src->hnext;
    dst->logc = src->logc;
}

tsf_status tsf_garch_rec_copy(const tsf_garch_rec *s, tsf_garch_rec **out)
{
    tsf_status st = rec_alloc(&s->L, out);
    if (!st) rec_assign(*out, s);
    return st;
}

static double cond_mean(const tsf_garch_rec *s)
{
    const tsf_garch_layout *L = &s->L;
    double m = L->has_mu ? s->theta[L->mu] : 0.0;
    for (int i = 0; i < L->P; i++) m += s->theta[L->ar + i] * s->r[i];
    for (int j = 0; j < L->Q; j++) m += s->theta[L->ma + j] * s->e[j];
    return m;
}

static void shift_in(double *a, size_t n, double v)
{
    if (!n) return;
    memmove(a + 1, a, (n - 1) * sizeof *a);
    a[0] = v;
}

/* Records observation t (return y, residual eps, variance h) and computes
 * the variance of observation t + 1. */
static void push(tsf_garch_rec *s, double y, double eps, double h)
{
    const tsf_garch_layout *L = &s->L;
    shift_in(s->r, (size_t)L->P, y);
    shift_in(s->e, ne_of(L), eps);
    shift_in(s->h, (size_t)L->q, h);
    s->t++;
    if (s->t < (size_t)(L->p > L->q ? L->p : L->q)) {
        s->hnext = s->h0;
        return;
    }
    double v = s->theta[L->omega];
    for (int i = 0; i < L->p; i++) {
        double a = s->theta[L->alpha + i];
        if (L->gjr && s->e[i] < 0.0) a += s->theta[L->gamma + i];
        v += a * s->e[i] * s->e[i];
    }
    for (int j = 0; j < L->q; j++) v += s->theta[L->beta + j] * s->h[j];
    s->hnext = v;
}

void tsf_garch_rec_update(tsf_garch_rec *s, double y, double *logp, double *epsp, double *mup)
{
    double mu = cond_mean(s), h = s->hnext;
    /* fGarch's start: residuals before the mean equation can start are 0 */
    double eps = s->t < (size_t)s->L.zstart ? 0.0 : y - mu;
    if (logp) {
        double z2 = eps * eps / h, lf;
        if (s->L.t) {
            double nu = s->theta[s->L.shape];
            lf = s->logc - 0.5 * (nu + 1.0) * log1p(z2 / (nu - 2.0));
        } else {
            lf = s->logc - 0.5 * z2;
        }
        *logp = lf - 0.5 * log(h);
    }
    if (epsp) *epsp = eps;
    if (mup) *mup = y - eps;
    push(s, y, eps, h);
}

/* Runs a fresh state over y[0..n). */
static tsf_status run(const tsf_garch *g, const double *y, size_t n, size_t start, double *ll,
                      double *fitted, tsf_garch_rec **out)
{
    tsf_garch_rec *s;
    tsf_status st = tsf_garch_rec_new(g, &s);
    if (st) return st;
    double sum = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (isnan(y[t])) {
            tsf_garch_rec_free(s);
            return tsf_set_error(TSF_EINVAL, "garch: return %zu is missing; GARCH filters need "
                                 "complete returns", t + 1);
        }
        double lp, mu;
        tsf_garch_rec_update(s, y[t], &lp, NULL, &mu);
        if (t >= start) sum += lp;
        if (fitted) fitted[t] = mu;
    }
    if (ll) *ll = sum;
    if (out) *out = s;
    else tsf_garch_rec_free(s);
    return TSF_OK;
}

tsf_status tsf_garch_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t start, double *ll)
{
    if (xreg && xreg->k) return tsf_no_regressors("garch");
    return run(impl, y, n, start, ll, NULL, NULL);
}

tsf_status tsf_garch_residuals(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, double *fitted, double *resid)
{
    if (xreg && xreg->k) return tsf_no_regressors("garch");
    double *f = fitted ? fitted : malloc((n ? n : 1) * sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "out of memory");
    tsf_status st = run(impl, y, n, 0, NULL, f, NULL);
    for (size_t t = 0; !st && resid && t < n; t++) resid[t] = y[t] - f[t];
    if (f != fitted) free(f);
    return st;
}

/* Quantile p of the standardised innovation. */
static double zquant(const tsf_garch_rec *s, double p)
{
    if (!s->L.t) return gsl_cdf_ugaussian_Pinv(p);
    double nu = s->theta[s->L.shape];
    return sqrt((nu - 2.0) / nu) * gsl_cdf_tdist_Pinv(p, nu);
}

static double zdraw(const tsf_garch_rec *s, gsl_rng *rng)
{
    if (!s->L.t) return gsl_ran_ugaussian(rng);
    double nu = s->theta[s->L.shape];
    return sqrt((nu - 2.0) / nu) * gsl_ran_tdist(rng, nu);
}

/* Mean and standard deviation of r_{t+1..t+h}: the ARMA mean with future
 * residuals 0, E h_{t+k} from the variance recursion with E eps^2 = E h and
 * E[1(eps < 0) eps^2] = E h / 2 (symmetric innovations), and
 * Var r_{t+k} = sum_j psi_j^2 E h_{t+k-j}. */
static tsf_status closed_form(const tsf_garch_rec *s, size_t h, double *mean, double *se)
{
    const tsf_garch_layout *L = &s->L;
    const double *th = s->theta;
    double *Eh = malloc(2 * h * sizeof *Eh);
    tsf_garch_rec *c = NULL;
    tsf_status st = Eh ? tsf_garch_rec_copy(s, &c) : tsf_set_error(TSF_ENOMEM, "out of memory");
    if (st) {
        free(Eh);
        return st;
    }
    double *psi = Eh + h;
    size_t m = (size_t)(L->p > L->q ? L->p : L->q);
    for (size_t k = 0; k < h; k++) {
        mean[k] = cond_mean(c);
        shift_in(c->r, (size_t)L->P, mean[k]);
        shift_in(c->e, ne_of(L), 0.0);
        size_t obs = s->t + k;
        if (k == 0) Eh[0] = s->hnext;
        else if (obs < m) Eh[k] = s->h0;
        else {
            double v = th[L->omega];
            for (size_t i = 0; i < (size_t)L->p; i++) {
                double a = th[L->alpha + (int)i], g = L->gjr ? th[L->gamma + (int)i] : 0.0;
                if (i < k) /* lag t+k-1-i is in the future */
                    v += (a + 0.5 * g) * Eh[k - 1 - i];
                else {
                    double e = s->e[i - k];
                    v += (a + (e < 0.0 ? g : 0.0)) * e * e;
                }
            }
            for (size_t j = 0; j < (size_t)L->q; j++)
                v += th[L->beta + (int)j] * (j < k ? Eh[k - 1 - j] : s->h[j - k]);
            Eh[k] = v;
        }
        psi[k] = k == 0 ? 1.0 : (k <= (size_t)L->Q ? th[L->ma + (int)k - 1] : 0.0);
        for (size_t i = 1; i <= k && i <= (size_t)L->P; i++) psi[k] += th[L->ar + (int)i - 1] * psi[k - i];
        double var = 0.0;
        for (size_t j = 0; j <= k; j++) var += psi[j] * psi[j] * Eh[k - j];
        se[k] = sqrt(var);
    }
    tsf_garch_rec_free(c);
    free(Eh);
    return TSF_OK;
}

/* npaths simulated continuations of h returns after s: path i at out + i*h. */
static tsf_status sim_paths(const tsf_garch_rec *s, size_t h, size_t npaths, uint64_t seed,
                            double *out)
{
    tsf_garch_rec *c = NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    tsf_status st = rng ? tsf_garch_rec_copy(s, &c) : tsf_set_error(TSF_ENOMEM, "out of memory");
    if (st) {
        gsl_rng_free(rng);
        return st;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (size_t i = 0; i < npaths; i++) {
        rec_assign(c, s);
        for (size_t k = 0; k < h; k++) {
            double hk = c->hnext, eps = sqrt(hk) * zdraw(c, rng), y = cond_mean(c) + eps;
            out[i * h + k] = y;
            push(c, y, eps, hk);
        }
    }
    tsf_garch_rec_free(c);
    gsl_rng_free(rng);
    return TSF_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile p of sorted x[0..n) (R's type 7). */
static double quantile(const double *x, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n) return x[n - 1];
    return x[lo] + (pos - (double)lo) * (x[lo + 1] - x[lo]);
}

static size_t npaths_of(const tsf_forecast_opts *opts)
{
    return opts && opts->samples ? opts->samples : 10000;
}

/* Forecast from a state: closed-form mean and s.e.; intervals from the
 * one-step distribution at step 1 and from simulated paths beyond. */
static tsf_status rec_forecast(const tsf_garch_rec *s, size_t h, const tsf_forecast_opts *opts,
                               tsf_forecast_result *fc)
{
    if (opts && opts->xreg_future && opts->xreg_future->k)
        return tsf_no_regressors("garch");
    tsf_status st = closed_form(s, h, fc->mean, fc->se);
    if (st) return st;
    for (size_t l = 0; l < fc->nlevels; l++) {
        double z = zquant(s, 0.5 + fc->levels[l] / 200.0), sd1 = sqrt(s->hnext);
        fc->lower[l * h] = fc->mean[0] - z * sd1;
        fc->upper[l * h] = fc->mean[0] + z * sd1;
    }
    if (h == 1 || !fc->nlevels) return TSF_OK;
    size_t np = npaths_of(opts);
    double *paths = malloc(np * h * sizeof *paths), *col = malloc(np * sizeof *col);
    if (!paths || !col) st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu paths", np);
    if (!st) st = sim_paths(s, h, np, opts ? opts->seed : 0, paths);
    for (size_t k = 1; !st && k < h; k++) {
        for (size_t i = 0; i < np; i++) col[i] = paths[i * h + k];
        qsort(col, np, sizeof *col, cmp_double);
        for (size_t l = 0; l < fc->nlevels; l++) {
            double a = 0.5 - fc->levels[l] / 200.0;
            fc->lower[l * h + k] = quantile(col, np, a);
            fc->upper[l * h + k] = quantile(col, np, 1.0 - a);
        }
    }
    free(paths);
    free(col);
    return st;
}

tsf_status tsf_garch_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                              size_t h, const double *levels, size_t nlevels,
                              const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    (void)levels;
    (void)nlevels;
    if (xreg && xreg->k) return tsf_no_regressors("garch");
    tsf_garch_rec *s;
    tsf_status st = run(impl, y, n, 0, NULL, NULL, &s);
    if (st) return st;
    st = rec_forecast(s, h, opts, fc);
    tsf_garch_rec_free(s);
    return st;
}

/* One-step VaR and ES in closed form: r = m + sigma z.  Gaussian:
 * ES = -m + sigma phi(q)/p; standardised t (McNeil, Frey & Embrechts 2005,
 * ex. 2.19): with T ~ t_nu, E[T | T < t_p] = -g(t_p)(nu + t_p^2)/((nu-1)p). */
static void one_step_risk(const tsf_garch_rec *s, double m, double sigma, double p, double *var,
                          double *es)
{
    if (!s->L.t) {
        double q = gsl_cdf_ugaussian_Pinv(p);
        *var = -(m + sigma * q);
        *es = -(m - sigma * gsl_ran_ugaussian_pdf(q) / p);
        return;
    }
    double nu = s->theta[s->L.shape], sc = sqrt((nu - 2.0) / nu);
    double tq = gsl_cdf_tdist_Pinv(p, nu);
    *var = -(m + sigma * sc * tq);
    *es = -(m - sigma * sc * gsl_ran_tdist_pdf(tq, nu) * (nu + tq * tq) / ((nu - 1.0) * p));
}

tsf_status tsf_garch_risk(const void *impl, const double *y, size_t n, size_t h,
                          const double *levels, size_t nlevels, const tsf_forecast_opts *opts,
                          tsf_risk_result *rk)
{
    tsf_garch_rec *s;
    tsf_status st = run(impl, y, n, 0, NULL, NULL, &s);
    if (st) return st;
    double mean1 = cond_mean(s);
    for (size_t l = 0; l < nlevels; l++)
        one_step_risk(s, mean1, sqrt(s->hnext), 1.0 - levels[l] / 100.0, &rk->var[l * h],
                      &rk->es[l * h]);
    size_t np = npaths_of(opts);
    double *paths = h > 1 ? malloc(np * h * sizeof *paths) : NULL;
    double *col = h > 1 ? malloc(np * sizeof *col) : NULL;
    if (h > 1 && (!paths || !col)) st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu paths", np);
    if (!st && h > 1) st = sim_paths(s, h, np, opts ? opts->seed : 0, paths);
    /* aggregates r_1 + ... + r_k: cumulative sums along each path */
    for (size_t i = 0; !st && i < np && h > 1; i++)
        for (size_t k = 1; k < h; k++) paths[i * h + k] += paths[i * h + k - 1];
    for (size_t k = 1; !st && k < h; k++) {
        for (size_t i = 0; i < np; i++) col[i] = paths[i * h + k];
        qsort(col, np, sizeof *col, cmp_double);
        for (size_t l = 0; l < nlevels; l++) {
            double p = 1.0 - levels[l] / 100.0, q = quantile(col, np, p), sum = 0.0;
            size_t cnt = 0;
            for (size_t i = 0; i < np && col[i] <= q; i++, cnt++) sum += col[i];
            rk->var[l * h + k] = -q;
            rk->es[l * h + k] = cnt ? -sum / (double)cnt : -q;
        }
    }
    free(paths);
    free(col);
    tsf_garch_rec_free(s);
    return st;
}

/* Stationary start: the unconditional variance and the process mean, then
 * a burn-in long enough for the start to be forgotten. */
tsf_status tsf_garch_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                              const tsf_xreg *xreg, double *out)
{
    const tsf_garch *g = impl;
    if (xreg) return tsf_no_regressors("garch");
    const tsf_garch_layout *L = &g->L;
    tsf_garch_rec *s;
    tsf_status st = tsf_garch_rec_new(g, &s);
    if (st) return st;
    double arsum = 0.0;
    for (int i = 0; i < L->P; i++) arsum += g->coef[L->ar + i];
    double pm = L->has_mu ? g->coef[L->mu] / (1.0 - arsum) : 0.0;
    s->t = (size_t)(L->p + L->q + L->P + L->Q);
    s->hnext = g->uncond;
    for (int i = 0; i < L->P; i++) s->r[i] = pm;
    for (int j = 0; j < L->q; j++) s->h[j] = g->uncond;
    const size_t burn = 1000;
    double *tmp = malloc((burn + n) * sizeof *tmp);
    if (!tmp) {
        tsf_garch_rec_free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < npaths && !st; k++) {
        st = sim_paths(s, burn + n, 1, seed + k * 0x9E3779B97F4A7C15ULL, tmp);
        if (!st) memcpy(out + k * n, tmp + burn, n * sizeof *out);
    }
    free(tmp);
    tsf_garch_rec_free(s);
    return st;
}

/* ---- the streaming state of tsf/state.h ---- */

tsf_status tsf_garch_state_new(const void *impl, void **st)
{
    tsf_garch_rec *s;
    tsf_status r = tsf_garch_rec_new(impl, &s);
    *st = r ? NULL : s;
    return r;
}

void tsf_garch_state_free(void *st)
{
    tsf_garch_rec_free(st);
}

tsf_status tsf_garch_state_update(void *st, double y, const double *x, size_t k, double *logp)
{
    tsf_garch_rec *s = st;
    if (x || k) return tsf_no_regressors("garch");
    if (!isfinite(y))
        return tsf_set_error(TSF_EINVAL, "garch state: return %zu is %s; GARCH filters need "
                             "every return", s->t + 1, isnan(y) ? "missing" : "infinite");
    tsf_garch_rec_update(s, y, logp, NULL, NULL);
    return TSF_OK;
}

tsf_status tsf_garch_state_forecast(void *st, size_t h, const double *levels,
                                    size_t nlevels, const tsf_forecast_opts *opts,
                                    tsf_forecast_result *fc)
{
    (void)levels;
    (void)nlevels;
    return rec_forecast(st, h, opts, fc);
}
