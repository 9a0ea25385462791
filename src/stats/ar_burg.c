/* Burg's method (Burg 1968; Brockwell & Davis 1996, sec. 5.1.2): each
 * partial autocorrelation minimises the summed squares of the forward and
 * backward prediction errors of the mean-removed series,
 *   kappa_k = 2 sum_t f_t b_{t-1} / sum_t (f_t^2 + b_{t-1}^2),
 *   f_t <- f_t - kappa_k b_{t-1},  b_t <- b_{t-1} - kappa_k f_t,
 * and the coefficients follow by the Durbin-Levinson step-up.  The
 * innovations variance is R's var.method = 1: the Levinson update
 * v_k = v_{k-1} (1 - kappa_k^2) from v_0 = the sample variance (divisor n);
 * AIC_k = n log v_k + 2 k.  Unlike ar.yw, R's ar.burg reports var.pred = v_p
 * itself, without the factor n / (n - (p + 1)) (checked against R 4.2.2 on
 * lh and sunspot.year: var.pred 0.178646 for lh, AR(3)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "acf.h"
#include "ar_est.h"
#include "levinson.h"
#include "core/internal.h"

tsf_status tsf_ar_burg(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e)
{
    size_t K = order_max;
    tsf_status st = tsf_ar_check_complete(TSF_AR_BURG, y, n);
    if (st) return st;
    if (n < tsf_ar_min_obs(TSF_AR_BURG, K)) return tsf_ar_too_short(TSF_AR_BURG, K, n);
    double *f = malloc(n * sizeof *f), *b = malloc(n * sizeof *b);
    double *kappa = malloc((K ? K : 1) * sizeof *kappa);
    double *v = malloc((K + 1) * sizeof *v);
    double *gamma = malloc((K + 1) * sizeof *gamma);
    if (!f || !b || !kappa || !v || !gamma) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory fitting an AR(%zu) by Burg's method", K);
        goto done;
    }
    /* The sample autocovariances give x.mean, v_0 and R's asy.var.coef. */
    if ((st = tsf_acvf(y, n, K, 1, &e->x_mean, gamma, NULL))) goto done;
    if (!(gamma[0] > 0.0)) {
        st = tsf_set_error(TSF_EDEGENERATE, "the series has zero variance: an AR model needs a "
                           "series that varies");
        goto done;
    }
    for (size_t t = 0; t < n; t++) f[t] = b[t] = y[t] - e->x_mean;
    v[0] = gamma[0];
    for (size_t k = 1; k <= K; k++) {
        double num = 0.0, den = 0.0;
        for (size_t t = k; t < n; t++) {
            num += f[t] * b[t - 1];
            den += f[t] * f[t] + b[t - 1] * b[t - 1];
        }
        if (!(den > 0.0)) {
            st = tsf_set_error(TSF_EDEGENERATE, "Burg's method: the prediction errors vanish at "
                               "order %zu (perfectly predictable series): use a lower order", k);
            goto done;
        }
        double kap = 2.0 * num / den;
        kappa[k - 1] = kap;
        v[k] = v[k - 1] * (1.0 - kap * kap);
        /* Errors of order k, in place from the top so b[t-1] is still of order k-1. */
        for (size_t t = n - 1; t >= k; t--) {
            double ft = f[t], bt = b[t - 1];
            f[t] = ft - kap * bt;
            b[t] = bt - kap * ft;
        }
        if (!(v[k] > 0.0)) {
            st = tsf_set_error(TSF_EDEGENERATE, "Burg's method: the series is perfectly predictable "
                               "at order %zu: use a lower order", k);
            goto done;
        }
    }
    e->n_used = e->n_obs = n;
    if ((st = tsf_ar_est_alloc_aic(e, 0, K))) goto done;
    for (size_t k = 0; k <= K; k++) e->aic[k] = (double)n * log(v[k]) + 2.0 * (double)k;
    size_t p = tsf_ar_est_select(e);
    if (!aic) p = K;
    if ((st = tsf_ar_est_alloc_coef(e, p))) goto done;
    tsf_pacf_to_ar(kappa, p, e->ar, NULL);
    e->var_pred = v[p];
    e->x_intercept = 0.0;
    e->converged = 1;
    st = tsf_ar_toeplitz_se(gamma, p, e->var_pred, n, e->se);
done:
    free(f);
    free(b);
    free(kappa);
    free(v);
    free(gamma);
    return st;
}
