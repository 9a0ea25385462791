/* Residual diagnostics: the Ljung-Box test. */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include "core/internal.h"

tsf_status tsf_ljung_box(const double *x, size_t n, size_t lag, size_t fitdf, double *q,
                         double *pvalue)
{
    if (!x || !q || !pvalue) return tsf_set_error(TSF_EINVAL, "tsf_ljung_box: NULL argument");
    if (lag <= fitdf || lag >= n)
        return tsf_set_error(TSF_EINVAL, "Ljung-Box test: lag %zu must exceed the %zu fitted "
                             "parameters and be below n = %zu", lag, fitdf, n);
    double mean = 0.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) { mean += x[i]; m++; }
    if (m < 2) return tsf_set_error(TSF_EDOMAIN, "Ljung-Box test: too few observed residuals");
    mean /= (double)m;
    /* Autocovariances over the available pairs, as R's acf(na.action =
     * na.pass) computes them: the lag-k sum over the nu_k complete pairs is
     * divided by nu_k + k (n for complete data). */
    double c0 = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) c0 += (x[i] - mean) * (x[i] - mean);
    c0 /= (double)m;
    if (!(c0 > 0.0)) return tsf_set_error(TSF_EDEGENERATE, "Ljung-Box test: constant residuals");
    double s = 0.0;
    for (size_t k = 1; k <= lag; k++) {
        double ck = 0.0;
        size_t nu = 0;
        for (size_t i = k; i < n; i++)
            if (!isnan(x[i]) && !isnan(x[i - k])) {
                ck += (x[i] - mean) * (x[i - k] - mean);
                nu++;
            }
        double r = nu ? ck / (double)(nu + k) / c0 : 0.0;
        s += r * r / (double)(m - k);
    }
    *q = (double)m * ((double)m + 2.0) * s;
    *pvalue = gsl_cdf_chisq_Q(*q, (double)(lag - fitdf));
    return TSF_OK;
}
