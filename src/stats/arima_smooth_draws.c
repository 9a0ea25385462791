/* The simulation smoother of Durbin & Koopman (2002) on the smoother's
 * zero-start filter and the posterior of the initial lags (arima_smooth.c):
 * joint draws of the missing values given the observed ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include "stats/arima_smooth.h"

/* E0[u_t | observed u] of the zero-start model into hat (u NaN where x
 * is): the mean recursions alone with the gains of the P nodes.  v, pr:
 * n scratch each; rv: 2 rd. */
static void mean_pass(const smoother *s, const double *u, double *v, double *pr, double *hat,
                      double *rv)
{
    size_t n = s->n, rd = s->rd, r = s->r, nd = s->nd;
    double *a = rv, *w = rv + rd, *tmp;
    memset(a, 0, rd * sizeof *a);
    for (size_t t = 0; t < n; t++) {
        const double *M = pnode(s, s->pid[t]) + rd * rd;
        pr[t] = zdot(s, a);
        if (!isnan(s->x[t])) {
            double k = (v[t] = u[t] - pr[t]) * M[rd + 1];
            for (size_t i = 0; i < rd; i++) a[i] += M[i] * k;
        }
        t_vec(s, a, w);
        tmp = a;
        a = w;
        w = tmp;
    }
    memset(a, 0, rd * sizeof *a);
    for (size_t t = n; t-- > 0;) {
        const double *M = pnode(s, s->pid[t]) + rd * rd;
        tt_vec(s, a, w);
        if (!isnan(s->x[t])) {
            double mw = 0.0;
            for (size_t i = 0; i < rd; i++) mw += M[i] * w[i];
            double c = (v[t] - mw) * M[rd + 1];
            w[0] += c;
            for (size_t i = 0; i < nd; i++) w[r + i] += s->kf->delta[i] * c;
        }
        tmp = a;
        a = w;
        w = tmp;
        double q = pr[t];
        for (size_t i = 0; i < rd; i++) q += M[i] * a[i];
        hat[t] = q;
    }
}

tsf_status tsf_arima_ss_smooth_draws(const tsf_arima_ss *m, const double *x, size_t n,
                                     size_t npaths, uint64_t seed, double *out)
{
    smoother s;
    tsf_status st = tsf_sm_setup(m, x, n, 1, &s);
    size_t rd = s.rd, r = s.r, nd = s.nd, nn = n ? n : 1;
    double *y0 = malloc(5 * nn * sizeof *y0), *hat = y0 + nn, *v = hat + nn, *u = v + nn;
    double *pr = u + nn;
    double *L = malloc(r * r * sizeof *L), *z = malloc(2 * rd * sizeof *z);
    double *Ld = malloc((nd ? nd : 1) * sizeof *Ld), *a = malloc(rd * sizeof *a);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (st || (st = tsf_sm_forward(&s, NULL))) goto done;
    if (!y0 || !L || !z || !Ld || !a || !rng) {
        st = tsf_sm_oom();
        goto done;
    }
    /* L L' = P0 by its eigen-decomposition (P0 may be singular) */
    memcpy(L, s.kf->P0, r * r * sizeof *L);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)r, L, (lapack_int)r, z)) {
        st = tsf_set_error(TSF_EDEGENERATE, "eigen-decomposition of the stationary covariance "
                           "failed");
        goto done;
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) L[i * r + j] *= sqrt(fmax(z[j], 0.0));
    gsl_rng_set(rng, (unsigned long)seed);
    double sd = sqrt(m->sigma2);
    const double *th = s.kf->theta;
    for (size_t k = 0; k < npaths; k++) {
        /* the start L from its posterior: Lhat + sd Q^-T/2 z */
        for (size_t i = 0; i < nd; i++) Ld[i] = gsl_ran_gaussian_ziggurat(rng, sd);
        for (size_t i = nd; i-- > 0;) {
            double q = Ld[i];
            for (size_t j = i + 1; j < nd; j++) q -= s.Q[i * nd + j] * Ld[j];
            Ld[i] = q / s.Q[i * nd + i];
        }
        for (size_t i = 0; i < nd; i++) Ld[i] += s.Lhat[i];
        /* Durbin & Koopman (2002): an unconditional draw y0 of the
         * zero-start model; then E0[w | w_obs] + y0 with w = x - C L - y0
         * has the distribution of the zero-start series given
         * x_obs - C L */
        for (size_t i = 0; i < r; i++) z[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t i = 0; i < r; i++) {
            double q = 0.0;
            for (size_t j = 0; j < r; j++) q += L[i * r + j] * z[j];
            a[i] = q * sd;
        }
        for (size_t i = r; i < rd; i++) a[i] = 0.0;
        for (size_t t = 0; t < n; t++) {
            y0[t] = zdot(&s, a);
            double e = gsl_ran_gaussian_ziggurat(rng, sd);
            t_vec(&s, a, z);
            for (size_t i = 0; i < r; i++) z[i] += th[i] * e;
            memcpy(a, z, rd * sizeof *a);
        }
        for (size_t t = 0; t < n; t++) {
            double q = x[t] - y0[t];
            for (size_t l = 0; l < nd; l++) q -= s.C[t * nd + l] * Ld[l];
            u[t] = q;
        }
        mean_pass(&s, u, v, pr, hat, z);
        double *o = out + k * n;
        for (size_t t = 0; t < n; t++) {
            if (!isnan(x[t])) {
                o[t] = x[t];
                continue;
            }
            double c = 0.0;
            for (size_t l = 0; l < nd; l++) c += s.C[t * nd + l] * Ld[l];
            o[t] = hat[t] + y0[t] + c;
        }
    }
done:
    gsl_rng_free(rng);
    free(y0);
    free(L);
    free(z);
    free(Ld);
    free(a);
    tsf_sm_free(&s);
    return st;
}
