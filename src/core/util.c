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

double tsf_qnorm(double p)
{
    if (!(p > 0.0 && p < 1.0)) return NAN;
    return gsl_cdf_ugaussian_Pinv(p);
}

double tsf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
