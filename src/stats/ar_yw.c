/* Yule-Walker AR fit (Brockwell & Davis 1991, sec. 8.1): the sample
 * autocovariances (mean removed, divisor n) solved by Durbin-Levinson for
 * every order 0..K at once.  As R's ar.yw:
 *   var.pred = v_p * n / (n - (p + 1)),  v_p = gamma_0 prod (1 - pacf_k^2)
 *   AIC_k    = n log v_k + 2 k  (+ a constant for the mean),
 * with n the number of observed values.  Missing values follow R's
 * na.action = na.pass: autocovariances over the observed pairs (acf.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "acf.h"
#include "ar_est.h"
#include "levinson.h"
#include "core/internal.h"

tsf_status tsf_ar_yw(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e)
{
    size_t K = order_max, nobs = 0;
    for (size_t t = 0; t < n; t++) nobs += !isnan(y[t]);
    if (nobs < tsf_ar_min_obs(TSF_AR_YW, K)) return tsf_ar_too_short(TSF_AR_YW, K, nobs);
    double *gamma = malloc((K + 1) * sizeof *gamma);
    double *v = malloc((K + 1) * sizeof *v);
    double *pacf = malloc((K ? K : 1) * sizeof *pacf);
    double *phi = malloc((K ? K * K : 1) * sizeof *phi);
    tsf_status st = TSF_OK;
    if (!gamma || !v || !pacf || !phi) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory fitting an AR(%zu) by Yule-Walker", K);
        goto done;
    }
    if ((st = tsf_acvf(y, n, K, 1, &e->x_mean, gamma, &nobs))) goto done;
    if ((st = tsf_levinson(gamma, K, phi, pacf, v))) goto done;
    e->n_used = n;
    e->n_obs = nobs;
    if ((st = tsf_ar_est_alloc_aic(e, 0, K))) goto done;
    for (size_t k = 0; k <= K; k++) e->aic[k] = (double)nobs * log(v[k]) + 2.0 * (double)k;
    size_t p = tsf_ar_est_select(e);
    if (!aic) p = K;
    if ((st = tsf_ar_est_alloc_coef(e, p))) goto done;
    if (p) memcpy(e->ar, phi + (p - 1) * K, p * sizeof *e->ar);
    e->var_pred = v[p] * (double)nobs / (double)(nobs - (p + 1));
    e->x_intercept = 0.0;
    e->converged = 1;
    st = tsf_ar_toeplitz_se(gamma, p, e->var_pred, nobs, e->se);
done:
    free(gamma);
    free(v);
    free(pacf);
    free(phi);
    return st;
}
