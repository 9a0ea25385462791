/* The ARIMA state-space engine: exact likelihood, forecasts, one-step
 * predictions and simulation through the Kalman filter of arima_kf.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_kf.h"

#define MAX_ORDER 10000

static tsf_status check_model(const tsf_arima_ss *m)
{
    if (!m) return tsf_set_error(TSF_EINVAL, "no ARIMA model given");
    if (m->p > MAX_ORDER || m->q > MAX_ORDER || m->nd > MAX_ORDER)
        return tsf_set_error(TSF_EINVAL, "ARIMA orders too large (p=%zu, q=%zu, differencing "
                             "%zu); at most %d", m->p, m->q, m->nd, MAX_ORDER);
    if ((m->p && !m->phi) || (m->q && !m->theta) || (m->nd && !m->delta))
        return tsf_set_error(TSF_EINVAL, "ARIMA model lacks its coefficient arrays");
    if (!(m->sigma2 > 0.0) || !isfinite(m->sigma2))
        return tsf_set_error(TSF_EINVAL, "innovation variance %g is not positive and finite",
                             m->sigma2);
    return TSF_OK;
}

static tsf_status check_x(const double *x, size_t n)
{
    if (n && !x) return tsf_set_error(TSF_EINVAL, "no data given");
    for (size_t t = 0; t < n; t++)
        if (isinf(x[t])) return tsf_set_error(TSF_EINVAL, "observation %zu is infinite", t + 1);
    return TSF_OK;
}

static tsf_status open_filter(const tsf_arima_ss *m, tsf_arima_kf **kf)
{
    tsf_status st = tsf_arima_kf_new(m->p, m->q, m->nd, kf);
    if (st) return st;
    if ((st = tsf_arima_kf_set(*kf, m))) {
        tsf_arima_kf_free(*kf);
        *kf = NULL;
    }
    return st;
}

tsf_status tsf_arima_ss_loglik(const tsf_arima_ss *m, const double *x, size_t n, size_t start,
                               double *ll)
{
    tsf_status st;
    if ((st = check_model(m)) || (st = check_x(x, n))) return st;
    if (start > n) return tsf_set_error(TSF_EINVAL, "start %zu is beyond the %zu observations", start, n);
    tsf_arima_sums s;
    if ((st = tsf_arima_ss_sums(m, x, n, start, &s))) return st;
    *ll = -0.5 * ((double)s.nu * log(2.0 * M_PI * m->sigma2) + s.sumlog + s.ssq / m->sigma2);
    return TSF_OK;
}

tsf_status tsf_arima_ss_forecast(const tsf_arima_ss *m, const double *x, size_t n, size_t h,
                                 double *mean, double *se)
{
    tsf_status st;
    if ((st = check_model(m)) || (st = check_x(x, n))) return st;
    tsf_arima_kf *kf;
    if ((st = open_filter(m, &kf))) return st;
    for (size_t t = 0; t < n; t++) {
        double pred, F;
        tsf_arima_kf_step(kf, x[t], &pred, &F);
    }
    tsf_arima_kf_predict(kf, h, mean, se);
    tsf_arima_kf_free(kf);
    for (size_t j = 0; j < h; j++) se[j] = sqrt(fmax(se[j], 0.0) * m->sigma2);
    return TSF_OK;
}

tsf_status tsf_arima_ss_fitted(const tsf_arima_ss *m, const double *x, size_t n, double *pred)
{
    tsf_status st;
    if ((st = check_model(m)) || (st = check_x(x, n))) return st;
    tsf_arima_kf *kf;
    if ((st = open_filter(m, &kf))) return st;
    for (size_t t = 0; t < n; t++) {
        double pr, F;
        int c = tsf_arima_kf_step(kf, x[t], &pr, &F);
        pred[t] = c ? pr : NAN;
    }
    tsf_arima_kf_free(kf);
    return TSF_OK;
}

tsf_status tsf_arima_ss_resid(const tsf_arima_ss *m, const double *x, size_t n, double *resid)
{
    tsf_status st;
    if ((st = check_model(m)) || (st = check_x(x, n))) return st;
    tsf_arima_kf *kf;
    if ((st = open_filter(m, &kf))) return st;
    for (size_t t = 0; t < n; t++) {
        double pr, F;
        tsf_arima_kf_step(kf, x[t], &pr, &F);
        resid[t] = isnan(x[t]) || !(F > 0.0) ? NAN : (x[t] - pr) / sqrt(F);
    }
    tsf_arima_kf_free(kf);
    return TSF_OK;
}

/* A square root L of the r x r stationary covariance (L L' = P0), by its
 * eigen-decomposition: P0 is only positive semi-definite when r > p + q
 * directions are degenerate, where a Cholesky factorisation would fail. */
static tsf_status cov_sqrt(const double *P0, size_t r, double *L)
{
    double *V = malloc(r * r * sizeof *V), *w = malloc(r * sizeof *w);
    if (!V || !w) {
        free(V);
        free(w);
        return tsf_set_error(TSF_ENOMEM, "out of memory simulating");
    }
    memcpy(V, P0, r * r * sizeof *V);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)r, V, (lapack_int)r, w);
    if (info != 0) {
        free(V);
        free(w);
        return tsf_set_error(TSF_EDEGENERATE, "eigen-decomposition of the stationary covariance failed");
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) L[i * r + j] = V[i * r + j] * sqrt(fmax(w[j], 0.0));
    free(V);
    free(w);
    return TSF_OK;
}

tsf_status tsf_arima_ss_simulate(const tsf_arima_ss *m, size_t n, size_t npaths, uint64_t seed,
                                 double *out)
{
    tsf_status st;
    if ((st = check_model(m))) return st;
    if ((n || npaths) && !out) return tsf_set_error(TSF_EINVAL, "no output buffer for the simulation");
    tsf_arima_kf *kf;
    if ((st = open_filter(m, &kf))) return st;
    size_t r = kf->r, nd = m->nd;
    double *L = malloc(r * r * sizeof *L), *a = malloc(r * sizeof *a), *z = malloc(r * sizeof *z);
    double *lag = malloc((nd ? nd : 1) * sizeof *lag);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!L || !a || !z || !lag || !rng) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory simulating");
        goto done;
    }
    if ((st = cov_sqrt(kf->P0, r, L))) goto done;
    gsl_rng_set(rng, (unsigned long)seed);
    double sd = sqrt(m->sigma2);
    for (size_t k = 0; k < npaths; k++) {
        double *o = out + k * n;
        for (size_t i = 0; i < r; i++) z[i] = gsl_ran_gaussian_ziggurat(rng, sd);
        for (size_t i = 0; i < r; i++) {
            double s = 0.0;
            for (size_t j = 0; j < r; j++) s += L[i * r + j] * z[j];
            a[i] = s;
        }
        for (size_t j = 0; j < nd; j++) lag[j] = 0.0;
        for (size_t t = 0; t < n; t++) {
            if (t > 0) {
                /* a_t = T a_{t-1} + R e_t (Harvey form). */
                double e = gsl_ran_gaussian_ziggurat(rng, sd), a0 = a[0];
                for (size_t i = 0; i + 1 < r; i++) a[i] = kf->phi[i] * a0 + a[i + 1] + kf->theta[i] * e;
                a[r - 1] = kf->phi[r - 1] * a0 + kf->theta[r - 1] * e;
            }
            double xt = a[0];
            for (size_t j = 0; j < nd; j++) xt += m->delta[j] * lag[j];
            for (size_t j = nd; j-- > 1;) lag[j] = lag[j - 1];
            if (nd) lag[0] = xt;
            o[t] = xt;
        }
    }
done:
    gsl_rng_free(rng);
    free(L);
    free(a);
    free(z);
    free(lag);
    tsf_arima_kf_free(kf);
    return st;
}
