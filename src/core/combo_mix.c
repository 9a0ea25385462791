/* The predictive distribution of a combination (combo.h): the equal-weight
 * mixture of the members' distributions, its quantiles by root-finding on
 * the mixture CDF (GSL Brent), and the log-mean-exp of log densities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include "combo.h"

/* Levels 2, 4, ..., 98 and 99, 99.8: quantiles 0.001, 0.005, 0.01, 0.02,
 * ..., 0.99, 0.995, 0.999 of a member known only through its quantiles. */
#define GRID_STEPS 49

tsf_status tsf_combo_levels(const double *levels, size_t nlevels, double **out, size_t *nout)
{
    size_t n = nlevels + GRID_STEPS + 2;
    double *v = malloc(n * sizeof *v);
    if (!v) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    if (nlevels) memcpy(v, levels, nlevels * sizeof *v);
    for (size_t i = 0; i < GRID_STEPS; i++) v[nlevels + i] = 2.0 * (double)(i + 1);
    v[nlevels + GRID_STEPS] = 99.0;
    v[nlevels + GRID_STEPS + 1] = 99.8;
    *out = v;
    *nout = n;
    return TSF_OK;
}

double tsf_combo_logmeanexp(const double *v, size_t k)
{
    double mx = -INFINITY, s = 0.0;
    for (size_t i = 0; i < k; i++) mx = fmax(mx, v[i]);
    if (!isfinite(mx)) return mx;
    for (size_t i = 0; i < k; i++) s += exp(v[i] - mx);
    return mx + log(s / (double)k);
}

/* A member's CDF at step i known through its quantiles: the points
 * (q, p) sorted by p, joined linearly, continued linearly beyond the
 * outermost ones and clamped to [0, 1]. */
static double quantile_cdf(const tsf_forecast_result *f, size_t i, double x)
{
    size_t h = f->h, nl = f->nlevels;
    /* The lower quantiles in decreasing level order, then the upper ones
     * in increasing level order, are increasing in p; levels are not
     * sorted, so search over all pairs for the neighbours of x. */
    double qlo = -INFINITY, plo = 0.0, qhi = INFINITY, phi = 1.0;
    double qmin = INFINITY, pmin = 0, qmin2 = INFINITY, pmin2 = 0;
    double qmax = -INFINITY, pmax = 1, qmax2 = -INFINITY, pmax2 = 1;
    for (size_t k = 0; k < 2 * nl; k++) {
        double L = f->levels[k % nl] / 100.0;
        double q = k < nl ? f->lower[k * h + i] : f->upper[(k - nl) * h + i];
        double p = k < nl ? 0.5 * (1.0 - L) : 0.5 * (1.0 + L);
        if (q <= x && q > qlo) { qlo = q; plo = p; }
        if (q > x && q < qhi) { qhi = q; phi = p; }
        if (q < qmin) { qmin2 = qmin; pmin2 = pmin; qmin = q; pmin = p; }
        else if (q < qmin2 && q > qmin) { qmin2 = q; pmin2 = p; }
        if (q > qmax) { qmax2 = qmax; pmax2 = pmax; qmax = q; pmax = p; }
        else if (q > qmax2 && q < qmax) { qmax2 = q; pmax2 = p; }
    }
    double p;
    if (isfinite(qlo) && isfinite(qhi)) {
        p = plo + (phi - plo) * (x - qlo) / (qhi - qlo);
    } else if (!isfinite(qlo)) { /* below every quantile */
        p = isfinite(qmin2) ? pmin + (pmin2 - pmin) * (x - qmin) / (qmin2 - qmin) : 0.0;
    } else {                     /* at or above every quantile */
        p = isfinite(qmax2) ? pmax + (pmax - pmax2) * (x - qmax) / (qmax - qmax2) : 1.0;
    }
    return fmin(1.0, fmax(0.0, p));
}

static double member_cdf(const tsf_forecast_result *f, size_t i, double x)
{
    if (f->normal) {
        double s = f->se[i];
        if (!(s > 0.0)) return x >= f->mean[i] ? 1.0 : 0.0;
        return gsl_cdf_ugaussian_P((x - f->mean[i]) / s);
    }
    return quantile_cdf(f, i, x);
}

typedef struct {
    tsf_forecast_result *const *mem;
    size_t k, i;
    double p;
} mix_point;

static double mix_root(double x, void *vp)
{
    const mix_point *m = vp;
    double F = 0.0;
    for (size_t j = 0; j < m->k; j++) F += member_cdf(m->mem[j], m->i, x);
    return F / (double)m->k - m->p;
}

/* The mixture quantile at p lies between the smallest and the largest
 * member quantile at p (the mixture CDF is below p at the first and above
 * at the second), which the member forecasts give at this level. */
static double mix_quantile(tsf_forecast_result *const *mem, size_t k, size_t i, size_t lev,
                           int upper, gsl_root_fsolver *s)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t j = 0; j < k; j++) {
        const tsf_forecast_result *f = mem[j];
        double q = (upper ? f->upper : f->lower)[lev * f->h + i];
        a = fmin(a, q);
        b = fmax(b, q);
    }
    double L = mem[0]->levels[lev] / 100.0;
    mix_point mp = {mem, k, i, upper ? 0.5 * (1.0 + L) : 0.5 * (1.0 - L)};
    if (!(b > a)) return a;
    gsl_function F = {mix_root, &mp};
    double fa = mix_root(a, &mp), fb = mix_root(b, &mp);
    if (fa >= 0.0) return a;
    if (fb <= 0.0) return b;
    if (gsl_root_fsolver_set(s, &F, a, b) != GSL_SUCCESS) return 0.5 * (a + b);
    double x = 0.5 * (a + b);
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) break;
        x = gsl_root_fsolver_root(s);
        double lo = gsl_root_fsolver_x_lower(s), hi = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(lo, hi, 0.0, 1e-12) == GSL_SUCCESS) break;
    }
    return x;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

tsf_status tsf_combo_combine(size_t k, int median, tsf_forecast_result *const *mem,
                             tsf_forecast_result *fc)
{
    size_t h = fc->h;
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    for (size_t i = 0; i < h; i++) {
        double means[TSF_COMBO_MAX], m1 = 0.0, m2 = 0.0;
        for (size_t j = 0; j < k; j++) {
            double mu = mem[j]->mean[i], se = mem[j]->se[i];
            means[j] = mu;
            m1 += mu / (double)k;
            m2 += (se * se + mu * mu) / (double)k;
        }
        if (median) {
            qsort(means, k, sizeof *means, by_value);
            fc->mean[i] = k % 2 ? means[k / 2] : 0.5 * (means[k / 2 - 1] + means[k / 2]);
        } else {
            fc->mean[i] = m1;
        }
        /* the mixture's standard deviation (NaN when a member has none) */
        fc->se[i] = sqrt(fmax(m2 - m1 * m1, 0.0));
        for (size_t l = 0; l < fc->nlevels; l++) {
            fc->lower[l * h + i] = mix_quantile(mem, k, i, l, 0, s);
            fc->upper[l * h + i] = mix_quantile(mem, k, i, l, 1, s);
        }
    }
    gsl_root_fsolver_free(s);
    fc->normal = 0;
    return TSF_OK;
}
