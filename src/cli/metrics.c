/* Forecast accuracy measures (metrics.h). */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "metrics.h"

double metric_crps_normal(double mu, double s, double x)
{
    if (!(s > 0)) return fabs(x - mu);
    double z = (x - mu) / s;
    return s * (z * (2.0 * gsl_cdf_ugaussian_P(z) - 1.0) + 2.0 * gsl_ran_ugaussian_pdf(z) -
                1.0 / sqrt(M_PI));
}

double metric_naive_scale(const double *y, size_t n, int period, int power)
{
    size_t m = period > 1 && n > (size_t)period ? (size_t)period : 1, c = 0;
    double s = 0.0;
    for (size_t i = m; i < n; i++)
        if (!isnan(y[i]) && !isnan(y[i - m])) {
            double d = fabs(y[i] - y[i - m]);
            s += power == 2 ? d * d : d;
            c++;
        }
    return c ? s / (double)c : NAN;
}

void metric_quantile_levels(double *levels)
{
    /* tau_j = (j + 0.5) / 50 for j < 25 pairs with 1 - tau_j: level 100 (1 - 2 tau_j) */
    for (int j = 0; j < METRIC_QGRID / 2; j++)
        levels[j] = 100.0 * (1.0 - 2.0 * (j + 0.5) / METRIC_QGRID);
}

double metric_crps_quantiles(const tsf_forecast_result *fc, size_t first, size_t i, double x)
{
    double s = 0.0;
    size_t h = fc->h;
    for (int j = 0; j < METRIC_QGRID / 2; j++) {
        double tau = (j + 0.5) / METRIC_QGRID;
        double lo = fc->lower[(first + (size_t)j) * h + i], hi = fc->upper[(first + (size_t)j) * h + i];
        s += ((x < lo) - tau) * (lo - x);
        s += ((x < hi) - (1.0 - tau)) * (hi - x);
    }
    return 2.0 * s / METRIC_QGRID;
}
