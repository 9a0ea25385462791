/* Small shared helpers: forecast results, normal quantiles, clock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_cdf.h>
#include "internal.h"

const char *tsf_version(void) { return TSF_VERSION_STRING; }

void tsf_forecast_free(tsf_forecast_result *fc)
{
    if (!fc) return;
    free(fc->mean);
    free(fc->se);
    free(fc->levels);
    free(fc->lower);
    free(fc->upper);
    free(fc->ess);
    free(fc);
}

tsf_status tsf_forecast_alloc(tsf_forecast_result *fc, size_t h, const double *levels,
                              size_t nlevels)
{
    memset(fc, 0, sizeof *fc);
    fc->h = h;
    fc->nlevels = nlevels;
    size_t hh = h ? h : 1, nl = nlevels ? nlevels : 1;
    fc->mean = calloc(hh, sizeof(double));
    fc->se = calloc(hh, sizeof(double));
    fc->levels = calloc(nl, sizeof(double));
    fc->lower = calloc(nl * hh, sizeof(double));
    fc->upper = calloc(nl * hh, sizeof(double));
    if (!fc->mean || !fc->se || !fc->levels || !fc->lower || !fc->upper) {
        free(fc->mean); free(fc->se); free(fc->levels); free(fc->lower); free(fc->upper);
        memset(fc, 0, sizeof *fc);
        return tsf_set_error(TSF_ENOMEM, "out of memory allocating a %zu-step forecast", h);
    }
    if (nlevels) memcpy(fc->levels, levels, nlevels * sizeof(double));
    return TSF_OK;
}

void tsf_forecast_normal(tsf_forecast_result *fc)
{
    tsf_normal_intervals(fc);
    fc->normal = 1;
}

double tsf_qnorm(double p)
{
    if (!(p > 0.0 && p < 1.0)) return NAN;
    return gsl_cdf_ugaussian_Pinv(p);
}

void tsf_normal_intervals(tsf_forecast_result *fc)
{
    size_t h = fc->h;
    for (size_t k = 0; k < fc->nlevels; k++) {
        double z = tsf_qnorm(0.5 + fc->levels[k] / 200.0);
        for (size_t i = 0; i < h; i++) {
            fc->lower[k * h + i] = fc->mean[i] - z * fc->se[i];
            fc->upper[k * h + i] = fc->mean[i] + z * fc->se[i];
        }
    }
}

tsf_status tsf_no_regressors(const char *family)
{
    return tsf_set_error(TSF_EUNSUP, "%s models take no regressors (--xreg); a regression with "
                         "ARIMA errors is arima(p,d,q) with --xreg", family);
}

double tsf_gauss_logpdf(double e, double var)
{
    return -0.5 * (log(2.0 * M_PI * var) + e * e / var);
}

void tsf_info_criteria(double loglik, double k, double n, double *aic, double *aicc,
                       double *bic)
{
    *aic = -2.0 * loglik + 2.0 * k;
    *bic = -2.0 * loglik + k * log(n > 0.0 ? n : 1.0);
    *aicc = n - k - 1.0 > 0.0 ? *aic + 2.0 * k * (k + 1.0) / (n - k - 1.0) : INFINITY;
}

double tsf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
