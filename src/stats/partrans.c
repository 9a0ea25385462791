/* Reparameterisations of ARMA coefficients: the stationarity transform of
 * Jones (1980) and Monahan (1984), and MA root reflection for
 * invertibility. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_impl.h"

void tsf_arima_partrans(const double *raw, size_t p, double *phi, double *work)
{
    /* Durbin-Levinson: phi^(k)_k = pacf_k,
     * phi^(k)_j = phi^(k-1)_j - pacf_k phi^(k-1)_{k-j}. */
    for (size_t k = 0; k < p; k++) {
        double pk = tanh(raw[k]);
        memcpy(work, phi, k * sizeof *work);
        for (size_t j = 0; j < k; j++) phi[j] = work[j] - pk * work[k - 1 - j];
        phi[k] = pk;
    }
}

tsf_status tsf_arima_partrans_inv(const double *phi, size_t p, double *raw, double *work)
{
    /* Step-down recursion to the partial autocorrelations, then atanh. */
    double *a = work, *b = work + p;
    memcpy(a, phi, p * sizeof *a);
    for (size_t k = p; k >= 1; k--) {
        double pk = a[k - 1];
        if (!(fabs(pk) < 1.0))
            return tsf_set_error(TSF_EDOMAIN, "AR coefficients are not stationary");
        raw[k - 1] = atanh(pk);
        double den = 1.0 - pk * pk;
        for (size_t j = 1; j < k; j++) b[j - 1] = (a[j - 1] + pk * a[k - j - 1]) / den;
        memcpy(a, b, (k - 1) * sizeof *a);
    }
    return TSF_OK;
}

tsf_status tsf_arima_partrans_jac(const double *raw, size_t p, double *jac)
{
    /* Forward-mode differentiation of the Durbin-Levinson recursion. */
    double *phi = calloc(p ? p : 1, sizeof *phi), *old = calloc(p ? p : 1, sizeof *old);
    double *J0 = calloc(p > 0 ? p * p : 1, sizeof *J0);
    if (!phi || !old || !J0) {
        free(phi);
        free(old);
        free(J0);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    memset(jac, 0, p * p * sizeof *jac);
    for (size_t k = 0; k < p; k++) {
        double pk = tanh(raw[k]), dk = 1.0 - pk * pk;
        memcpy(old, phi, k * sizeof *old);
        memcpy(J0, jac, p * p * sizeof *J0);
        for (size_t j = 0; j < k; j++) {
            phi[j] = old[j] - pk * old[k - 1 - j];
            for (size_t m = 0; m < p; m++)
                jac[j * p + m] = J0[j * p + m] - pk * J0[(k - 1 - j) * p + m];
            jac[j * p + k] -= dk * old[k - 1 - j];
        }
        phi[k] = pk;
        for (size_t m = 0; m < p; m++) jac[k * p + m] = 0.0;
        jac[k * p + k] = dk;
    }
    free(phi);
    free(old);
    free(J0);
    return TSF_OK;
}

int tsf_arima_ma_invertible(const double *theta, size_t q)
{
    double t[TSF_ARIMA_MAX_PQ + 1];
    if (q > TSF_ARIMA_MAX_PQ) return 0;
    memcpy(t, theta, q * sizeof *t);
    /* invertible iff reflecting changes nothing (and the roots are found) */
    return tsf_arima_ma_invert(t, q) == 0;
}

int tsf_arima_ma_invert(double *theta, size_t q)
{
    size_t qq = q;
    while (qq > 0 && theta[qq - 1] == 0.0) qq--;
    if (qq == 0) return 0;
    for (size_t i = 0; i < qq; i++)
        if (!isfinite(theta[i])) return 0;
    /* The inverse roots lambda_k of 1 + theta_1 z + ... + theta_q z^q are
     * the eigenvalues of the companion matrix of z^q + theta_1 z^{q-1} +
     * ... + theta_q; invertible iff all |lambda_k| < 1.  LAPACK (not
     * gsl_poly_complex_solve) so that a failure returns instead of calling
     * GSL's error handler. */
    double *C = calloc(qq * qq, sizeof *C), *wr = malloc(qq * sizeof *wr), *wi = malloc(qq * sizeof *wi);
    double complex *c = calloc(qq + 1, sizeof *c);
    int changed = 0;
    if (!C || !wr || !wi || !c) goto done;
    for (size_t j = 0; j < qq; j++) C[j] = -theta[j];
    for (size_t i = 1; i < qq; i++) C[i * qq + i - 1] = 1.0;
    lapack_int info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)qq, C, (lapack_int)qq,
                                    wr, wi, NULL, 1, NULL, 1);
    if (info != 0) goto done;
    for (size_t k = 0; k < qq; k++)
        if (hypot(wr[k], wi[k]) > 1.0) changed = 1;
    if (!changed) goto done;
    /* prod_k (1 - lambda_k z) with lambda_k -> 1/lambda_k outside the circle */
    c[0] = 1.0;
    for (size_t k = 0; k < qq; k++) {
        double complex l = wr[k] + I * wi[k];
        if (cabs(l) > 1.0) l = 1.0 / l;
        for (size_t j = k + 1; j >= 1; j--) c[j] -= l * c[j - 1];
    }
    for (size_t j = 0; j < qq; j++) theta[j] = creal(c[j + 1]);
done:
    free(C);
    free(wr);
    free(wi);
    free(c);
    return changed;
}
