/* Sample autocovariances, divisor n (Brockwell & Davis 1991, eq. 7.2.1):
 * the biased estimator keeps the Toeplitz matrix positive semi-definite,
 * which Yule-Walker needs for a stationary fit. */
#include <math.h>
#include "acf.h"
#include "core/internal.h"

tsf_status tsf_acvf(const double *y, size_t n, size_t maxlag, int demean, double *mean,
                    double *gamma, size_t *nobs)
{
    size_t m = 0;
    double s = 0.0;
    for (size_t t = 0; t < n; t++)
        if (!isnan(y[t])) {
            s += y[t];
            m++;
        }
    if (nobs) *nobs = m;
    if (m < 2)
        return tsf_set_error(TSF_EDOMAIN, "autocovariances need at least 2 observed values, "
                             "got %zu", m);
    if (maxlag >= n)
        return tsf_set_error(TSF_EDOMAIN, "autocovariance at lag %zu needs more than %zu "
                             "observations", maxlag, n);
    double mu = demean ? s / (double)m : 0.0;
    if (mean) *mean = mu;
    for (size_t k = 0; k <= maxlag; k++) {
        double acc = 0.0;
        size_t pairs = 0;
        for (size_t t = k; t < n; t++) {
            if (isnan(y[t]) || isnan(y[t - k])) continue;
            acc += (y[t] - mu) * (y[t - k] - mu);
            pairs++;
        }
        if (pairs == 0)
            return tsf_set_error(TSF_EDOMAIN, "no pair of observed values %zu apart: too many "
                                 "missing values for the autocovariance at lag %zu", k, k);
        /* R's na.pass convention: (pairs + k) is n without missing values. */
        gamma[k] = acc / (double)(pairs + k);
    }
    return TSF_OK;
}
