/* ETS recursions, likelihood, forecasts and simulation.
 *
 * Written with the one-step error e_t = y_t - mu_t, the state equations of
 * the additive- and multiplicative-error versions of a model are the same
 * (HKOS Table 2.3): with T = l + phi*b and S = s_{t-m},
 *   season N or A:  l = T + alpha*e,    b = phi*b + beta*e,    s = S + gamma*e
 *   season M:       l = T + alpha*e/S,  b = phi*b + beta*e/S,  s = S + gamma*e/T
 * and mu = T, T + S or T*S.  The error types differ in the noise: additive
 * e ~ N(0, sigma^2), multiplicative e/mu ~ N(0, sigma^2), so the exact
 * log-likelihood of the multiplicative-error model carries -sum log|mu_t|
 * (HKOS sec. 5.2). */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "ets.h"

void tsf_ets_label(const tsf_ets_form *f, char *buf, size_t n)
{
    static const char c[] = "NAM";
    snprintf(buf, n, "ETS(%c,%c%s,%c)", c[f->error], c[f->trend], f->damped ? "d" : "",
             c[f->season]);
}

int tsf_ets_nstate(const tsf_ets_form *f)
{
    return 1 + (f->trend != ETS_N) + (f->season != ETS_N ? f->m : 0);
}

int tsf_ets_npar(const tsf_ets_form *f)
{
    int k = 1 + 1; /* alpha, l0 */
    if (f->trend != ETS_N) k += 2 + f->damped;
    if (f->season != ETS_N) k += 1 + f->m - 1;
    return k + 1; /* sigma^2 */
}

void tsf_ets_run_start(const tsf_ets_par *p, tsf_ets_run *r)
{
    const tsf_ets_form *f = &p->f;
    int k = 0;
    r->l = p->x0[k++];
    r->b = f->trend != ETS_N ? p->x0[k++] : 0.0;
    /* ring[0] = s_{1-m} (R's s(m-1)), .., ring[m-1] = s_0 (R's s0) */
    if (f->season != ETS_N)
        for (int i = 0; i < f->m; i++) r->ring[i] = p->x0[k + f->m - 1 - i];
    r->j = 0;
}

static inline double trend_part(const tsf_ets_par *p, const tsf_ets_run *r)
{
    return p->f.trend != ETS_N ? r->l + p->phi * r->b : r->l;
}

static inline double mu_of(const tsf_ets_par *p, const tsf_ets_run *r)
{
    double T = trend_part(p, r);
    switch (p->f.season) {
    case ETS_A: return T + r->ring[r->j];
    case ETS_M: return T * r->ring[r->j];
    default: return T;
    }
}

double tsf_ets_mu(const tsf_ets_par *p, const tsf_ets_run *r) { return mu_of(p, r); }

static inline void advance(const tsf_ets_par *p, tsf_ets_run *r, double y, double mu)
{
    const tsf_ets_form *f = &p->f;
    double T = trend_part(p, r), e = isnan(y) ? 0.0 : y - mu;
    double S = f->season != ETS_N ? r->ring[r->j] : 0.0;
    double ea = e, es = e;
    if (f->season == ETS_M) {
        ea = e / S;
        es = e / T;
    }
    r->l = T + p->alpha * ea;
    if (f->trend != ETS_N) r->b = p->phi * r->b + p->beta * ea;
    if (f->season != ETS_N) {
        r->ring[r->j] = S + p->gamma * es;
        if (++r->j == (size_t)f->m) r->j = 0;
    }
}

void tsf_ets_advance(const tsf_ets_par *p, tsf_ets_run *r, double y, double mu)
{
    advance(p, r, y, mu);
}

/* A fitted model run over data (likelihood, states, held-out scores):
 * the multiplicative parts divide by mu (error) or by its trend and
 * seasonal factors (season), so mu must be finite and non-zero; a
 * negative one-step forecast is a proper density (y ~ N(mu, sigma^2 mu^2)
 * for multiplicative errors: the |mu| of Hyndman et al. 2008's likelihood). */
static inline int mu_valid(const tsf_ets_par *p, double mu)
{
    return isfinite(mu) && (p->f.error != ETS_M && p->f.season != ETS_M ? 1 : mu != 0.0);
}

int tsf_ets_mu_valid(const tsf_ets_par *p, double mu) { return mu_valid(p, mu); }

/* In the estimation, as R's ets: mu positive where the model multiplies by
 * it or divides by it, and the parts of a multiplicative season too. */
static int mu_ok(const tsf_ets_par *p, double mu, const tsf_ets_run *r)
{
    if (!isfinite(mu)) return 0;
    if ((p->f.error == ETS_M || p->f.season == ETS_M) && !(mu > 0.0)) return 0;
    if (p->f.season == ETS_M && !(trend_part(p, r) > 0.0 && r->ring[r->j] > 0.0)) return 0;
    return 1;
}

int tsf_ets_filter(const tsf_ets_par *p, const double *y, size_t n, double *sse,
                   double *slogmu, size_t *nobs)
{
    tsf_ets_run r;
    tsf_ets_run_start(p, &r);
    double s = 0.0, lm = 0.0, prod = 1.0;
    size_t k = 0;
    int mult = p->f.error == ETS_M, np = 0;
    for (size_t t = 0; t < n; t++) {
        double mu = mu_of(p, &r);
        if (!mu_ok(p, mu, &r)) return -1;
        if (!isnan(y[t])) {
            double e = y[t] - mu;
            if (mult) {
                e /= mu;
                /* sum log mu as the log of products of 8 (a log is the
                 * costliest step of the filter) */
                prod *= mu;
                if (++np == 8 || !(prod > 1e-100 && prod < 1e100)) {
                    lm += log(prod);
                    prod = 1.0;
                    np = 0;
                }
            }
            s += e * e;
            k++;
        }
        advance(p, &r, y[t], mu);
    }
    *sse = s;
    *slogmu = lm + log(prod);
    *nobs = k;
    return isfinite(*slogmu) ? 0 : -1;
}

double tsf_ets_logdens(const tsf_ets_par *p, double y, double mu, double sigma2)
{
    double e = y - mu, lj = 0.0;
    if (p->f.error == ETS_M) {
        e /= mu;
        lj = log(fabs(mu));
    }
    return tsf_gauss_logpdf(e, sigma2) - lj;
}

/* Point forecasts: the recursions with e = 0.  tm receives the trend part
 * l + phi_h b and sh the seasonal state of each step (either may be NULL). */
static void point_forecasts(const tsf_ets_par *p, const tsf_ets_run *r, size_t h, double *mean,
                            double *tm, double *sh)
{
    double ph = 0.0, pw = 1.0;
    for (size_t i = 0; i < h; i++) {
        pw *= p->phi;
        ph += pw;
        double T = p->f.trend != ETS_N ? r->l + ph * r->b : r->l;
        double S = p->f.season != ETS_N ? r->ring[(r->j + i) % (size_t)p->f.m] : 0.0;
        mean[i] = p->f.season == ETS_A ? T + S : p->f.season == ETS_M ? T * S : T;
        if (tm) tm[i] = T;
        if (sh) sh[i] = S;
    }
}

/* c_j = w' F^{j-1} g = alpha + beta*phi_j + gamma*[j = 0 mod m]
 * (HKOS sec. 6.2), j = 1..h-1 into c[j]. */
static void psi_weights(const tsf_ets_par *p, size_t h, int with_season, double *c)
{
    double ph = 0.0, pw = 1.0;
    for (size_t j = 1; j < h; j++) {
        pw *= p->phi;
        ph += pw;
        c[j] = p->alpha + (p->f.trend != ETS_N ? p->beta * ph : 0.0);
        if (with_season && p->f.season != ETS_N && j % (size_t)p->f.m == 0) c[j] += p->gamma;
    }
}

/* theta_h = mu_h^2 + sigma^2 sum_{j<h} c_j^2 theta_{h-j} (HKOS ch. 6, class 2). */
static void class2_theta(const double *mu, const double *c, size_t h, double s2, double *th)
{
    for (size_t i = 0; i < h; i++) {
        double a = mu[i] * mu[i];
        for (size_t j = 1; j <= i; j++) a += s2 * c[j] * c[j] * th[i - j];
        th[i] = a;
    }
}

/* Class 3 (multiplicative error and season; HKOS ch. 6) exactly.  The
 * trend part z_t = (l_t, b_t) evolves on its own as z_t = (M + eps_t N) z_{t-1}
 * with M = [1 phi; 0 phi], N = g w', g = (alpha, beta), w = (1, phi), and
 * y_{n+h} = w'z_{n+h-1} S_h (1 + eps_{n+h}), where the seasonal factor
 * S_h = s* prod_{j in J} (1 + gamma eps_j) over the k earlier times J of the
 * same season.  With m_t = E[z_t prod (1 + gamma eps_j)] and
 * P_t = E[z_t z_t' prod (1 + gamma eps_j)^2] (j in J, j <= t), independence
 * of the eps gives, for t in J,
 *   m_t = (M + gamma s2 N) m_{t-1}
 *   P_t = (1 + gamma^2 s2) M P M' + 2 gamma s2 (N P M' + M P N') + (s2 + 3 gamma^2 s2^2) N P N'
 * and otherwise m_t = M m_{t-1}, P_t = M P M' + s2 N P N'; then
 * var y_{n+h} = s*^2 [(1 + s2) w'P w - (w'm)^2].  HKOS's printed formula
 * drops the trend/season covariance (the cross terms) beyond one period. */
static void mat2_mul(const double *A, const double *B, double *C)
{
    double c0 = A[0] * B[0] + A[1] * B[2], c1 = A[0] * B[1] + A[1] * B[3];
    double c2 = A[2] * B[0] + A[3] * B[2], c3 = A[2] * B[1] + A[3] * B[3];
    C[0] = c0; C[1] = c1; C[2] = c2; C[3] = c3;
}

/* A X B' for 2 x 2 row-major matrices */
static void sandwich(const double *A, const double *X, const double *B, double *out)
{
    double t[4], bt[4] = {B[0], B[2], B[1], B[3]};
    mat2_mul(A, X, t);
    mat2_mul(t, bt, out);
}

static void class3_se(const tsf_ets_par *p, const tsf_ets_run *r, size_t h, double *se)
{
    int tr = p->f.trend != ETS_N;
    double phi = tr ? p->phi : 0.0, beta = tr ? p->beta : 0.0, s2 = p->sigma2, g = p->gamma;
    double w[2] = {1.0, phi}, M[4] = {1.0, phi, 0.0, phi};
    double N[4] = {p->alpha * w[0], p->alpha * w[1], beta * w[0], beta * w[1]};
    size_t m = (size_t)p->f.m;
    for (size_t i = 0; i < h; i++) {
        /* steps n+1 .. n+i; J = times n+j with j = i+1 - m, i+1 - 2m, ... > 0 */
        double mv[2] = {r->l, tr ? r->b : 0.0};
        double P[4] = {mv[0] * mv[0], mv[0] * mv[1], mv[1] * mv[0], mv[1] * mv[1]};
        for (size_t j = 1; j <= i; j++) {
            int inJ = (i + 1 - j) % m == 0;
            double A[4], a, t1[4], t2[4], t3[4], t4[4];
            for (int q = 0; q < 4; q++) A[q] = M[q] + (inJ ? g * s2 * N[q] : 0.0);
            a = A[0] * mv[0] + A[1] * mv[1];
            mv[1] = A[2] * mv[0] + A[3] * mv[1];
            mv[0] = a;
            sandwich(M, P, M, t1);
            sandwich(N, P, N, t2);
            if (inJ) {
                sandwich(N, P, M, t3);
                sandwich(M, P, N, t4);
                for (int q = 0; q < 4; q++)
                    P[q] = (1.0 + g * g * s2) * t1[q] + 2.0 * g * s2 * (t3[q] + t4[q]) +
                           (s2 + 3.0 * g * g * s2 * s2) * t2[q];
            } else {
                for (int q = 0; q < 4; q++) P[q] = t1[q] + s2 * t2[q];
            }
        }
        double S = r->ring[(r->j + i) % m];
        double ez = w[0] * mv[0] + w[1] * mv[1];
        double ezz = w[0] * (P[0] * w[0] + P[1] * w[1]) + w[1] * (P[2] * w[0] + P[3] * w[1]);
        se[i] = fabs(S) * sqrt(fmax((1.0 + s2) * ezz - ez * ez, 0.0));
    }
}

int tsf_ets_forecast_analytic(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                              double *mean, double *se)
{
    const tsf_ets_form *f = &p->f;
    if (f->error == ETS_A && f->season == ETS_M) return 0;
    double *c = malloc(3 * (h + 1) * sizeof *c);
    if (!c) return -1;
    double *tm = c + h + 1, *th = tm + h + 1, s2 = p->sigma2;
    point_forecasts(p, r, h, mean, tm, se);
    if (f->error == ETS_A) { /* class 1: linear homoscedastic */
        psi_weights(p, h, 1, c);
        double v = 1.0;
        for (size_t i = 0; i < h; i++) {
            if (i) v += c[i] * c[i];
            se[i] = sqrt(s2 * v);
        }
    } else if (f->season != ETS_M) { /* class 2 */
        psi_weights(p, h, 1, c);
        class2_theta(mean, c, h, s2, th);
        for (size_t i = 0; i < h; i++)
            se[i] = sqrt(fmax((1.0 + s2) * th[i] - mean[i] * mean[i], 0.0));
    } else {
        class3_se(p, r, h, se);
    }
    free(c);
    return 1;
}

tsf_status tsf_ets_sample(const tsf_ets_par *p, const tsf_ets_run *r, size_t h, size_t npaths,
                          uint64_t seed, double *out)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return tsf_set_error(TSF_ENOMEM, "ets: out of memory for the random generator");
    gsl_rng_set(rng, (unsigned long)seed);
    double sd = sqrt(p->sigma2);
    for (size_t k = 0; k < npaths; k++) {
        tsf_ets_run w = *r;
        for (size_t i = 0; i < h; i++) {
            double mu = tsf_ets_mu(p, &w), z = gsl_ran_gaussian_ziggurat(rng, sd);
            double y = p->f.error == ETS_M ? mu * (1.0 + z) : mu + z;
            out[k * h + i] = y;
            tsf_ets_advance(p, &w, y, mu);
        }
    }
    gsl_rng_free(rng);
    return TSF_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of sorted v[0..n) (R's type 7). */
static double quantile(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static tsf_status forecast_sim(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                               const double *levels, size_t nlevels,
                               const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    size_t np = opts && opts->samples ? opts->samples : 5000;
    if (np < 2) np = 2;
    if (h > SIZE_MAX / sizeof(double) / np)
        return tsf_set_error(TSF_EINVAL, "ets: %zu sample paths of %zu steps do not fit in "
                             "memory; use a shorter horizon or fewer --samples", np, h);
    double *paths = malloc(np * h * sizeof *paths), *col = malloc(np * sizeof *col);
    tsf_status st = paths && col ? TSF_OK
                                 : tsf_set_error(TSF_ENOMEM, "ets: out of memory for %zu sample "
                                                 "paths", np);
    if (!st) st = tsf_ets_sample(p, r, h, np, opts ? opts->seed : 0, paths);
    for (size_t i = 0; !st && i < h; i++) {
        double s = 0.0, s2 = 0.0;
        for (size_t k = 0; k < np; k++) {
            col[k] = paths[k * h + i];
            s += col[k];
        }
        double m = s / (double)np;
        for (size_t k = 0; k < np; k++) s2 += (col[k] - m) * (col[k] - m);
        fc->se[i] = sqrt(s2 / (double)(np - 1));
        qsort(col, np, sizeof *col, cmp_double);
        for (size_t l = 0; l < nlevels; l++) {
            double a = 0.5 - levels[l] / 200.0;
            fc->lower[l * h + i] = quantile(col, np, a);
            fc->upper[l * h + i] = quantile(col, np, 1.0 - a);
        }
    }
    free(paths);
    free(col);
    return st;
}

tsf_status tsf_ets_forecast_run(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                                const double *levels, size_t nlevels,
                                const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    int a = tsf_ets_forecast_analytic(p, r, h, fc->mean, fc->se);
    if (a < 0) return tsf_set_error(TSF_ENOMEM, "ets: out of memory for a forecast");
    if (a == 0) {
        point_forecasts(p, r, h, fc->mean, NULL, NULL);
        tsf_status st = forecast_sim(p, r, h, levels, nlevels, opts, fc);
        if (st) return st;
    } else if (p->f.season != ETS_M) {
        /* classes 1 and 2 (HKOS ch. 6): reported as N(mean, se^2), so
         * combos and evaluate use the normal CDF for them */
        tsf_forecast_normal(fc);
    } else {
        /* class 3: exact mean and variance, intervals as R's normal ones,
         * but the distribution is not Gaussian */
        tsf_normal_intervals(fc);
    }
    for (size_t i = 0; i < h; i++)
        if (!isfinite(fc->mean[i]) || !isfinite(fc->se[i]))
            return tsf_set_error(TSF_EDOMAIN, "ets: the forecast at step %zu is not finite "
                                 "(the state left the model's range); try an additive model",
                                 i + 1);
    return TSF_OK;
}
