/* Box-Cox transforms and Guerrero's choice of lambda. */
#include <math.h>
#include <stdlib.h>
#include "internal.h"
#include "transform.h"

double tsf_boxcox(double y, double lambda)
{
    if (lambda == 0.0) return log(y);
    return (pow(y, lambda) - 1.0) / lambda;
}

double tsf_boxcox_inv(double z, double lambda)
{
    if (lambda == 0.0) return exp(z);
    double b = lambda * z + 1.0;
    /* Outside g's range: for lambda > 0 continue the inverse with its sign
     * (as forecast's InvBoxCox), for lambda < 0 the preimage is unbounded. */
    if (b <= 0.0) return lambda > 0.0 ? -pow(-b, 1.0 / lambda) : INFINITY;
    return pow(b, 1.0 / lambda);
}

double tsf_boxcox_logjac(double y, double lambda) { return (lambda - 1.0) * log(y); }

double tsf_boxcox_inv_biasadj(double m, double v, double lambda)
{
    double x = tsf_boxcox_inv(m, lambda);
    if (lambda == 0.0) return x * (1.0 + 0.5 * v);
    double b = lambda * m + 1.0;
    return x * (1.0 + 0.5 * v * (1.0 - lambda) / (b * b));
}

tsf_status tsf_boxcox_apply(const double *y, size_t n, double lambda, double *out)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i])) { out[i] = NAN; continue; }
        if (!(y[i] > 0.0))
            return tsf_set_error(TSF_EDOMAIN,
                                 "observation %zu is %g: a log or Box-Cox transform needs "
                                 "positive data; drop --transform or shift the series",
                                 i + 1, y[i]);
        out[i] = tsf_boxcox(y[i], lambda);
    }
    return TSF_OK;
}

/* Coefficient of variation of sd_i / mean_i^(1-lambda) over subseries. */
static double guerrero_cv(const double *mu, const double *sd, size_t k, double lambda)
{
    double s = 0.0, ss = 0.0;
    for (size_t i = 0; i < k; i++) {
        double r = sd[i] / pow(mu[i], 1.0 - lambda);
        s += r;
        ss += r * r;
    }
    double m = s / (double)k;
    double var = (ss - (double)k * m * m) / (double)(k - 1);
    return sqrt(var > 0 ? var : 0) / m;
}

tsf_status tsf_boxcox_guerrero(const double *y, size_t n, int period, double *lambda)
{
    size_t len = period > 1 ? (size_t)period : 2;
    size_t k = n / len;
    if (k < 2)
        return tsf_set_error(TSF_EDOMAIN,
                             "boxcox(auto) needs at least %zu observations (two periods); "
                             "give lambda explicitly, e.g. --transform boxcox(0.5)",
                             2 * len);
    double *mu = malloc(k * sizeof *mu), *sd = malloc(k * sizeof *sd);
    if (!mu || !sd) {
        free(mu); free(sd);
        return tsf_set_error(TSF_ENOMEM, "out of memory in boxcox(auto)");
    }
    /* forecast uses the last complete periods: drop the first n mod len. */
    size_t off = n - k * len, kk = 0;
    for (size_t i = 0; i < k; i++) {
        double s = 0, ss = 0;
        size_t c = 0;
        for (size_t j = 0; j < len; j++) {
            double v = y[off + i * len + j];
            if (isnan(v)) continue;
            if (!(v > 0)) {
                free(mu); free(sd);
                return tsf_set_error(TSF_EDOMAIN, "boxcox(auto) needs positive data "
                                     "(observation %zu is %g)", off + i * len + j + 1, v);
            }
            s += v; ss += v * v; c++;
        }
        if (c < 2) continue;
        double m = s / (double)c, var = (ss - (double)c * m * m) / (double)(c - 1);
        mu[kk] = m;
        sd[kk] = sqrt(var > 0 ? var : 0);
        kk++;
    }
    if (kk < 2) {
        free(mu); free(sd);
        return tsf_set_error(TSF_EDOMAIN, "boxcox(auto): too few observed values");
    }
    /* Golden-section search on [-1, 2] (the function is smooth and, in
     * practice, unimodal there; forecast uses optimize() on the same
     * interval). */
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double a = -1.0, b = 2.0;
    double c = b - gr * (b - a), d = a + gr * (b - a);
    double fc = guerrero_cv(mu, sd, kk, c), fd = guerrero_cv(mu, sd, kk, d);
    while (b - a > 1e-7) {
        if (fc < fd) { b = d; d = c; fd = fc; c = b - gr * (b - a); fc = guerrero_cv(mu, sd, kk, c); }
        else { a = c; c = d; fc = fd; d = a + gr * (b - a); fd = guerrero_cv(mu, sd, kk, d); }
    }
    *lambda = 0.5 * (a + b);
    free(mu); free(sd);
    return TSF_OK;
}

/* Maps a forecast on the transformed scale back to y's units: quantiles
 * map exactly (g is monotone), the mean becomes the median g^{-1}(mean) or
 * the bias-adjusted mean, the se by the delta method. */
void tsf_boxcox_forecast_inv(tsf_forecast_result *fc, double lambda, int biasadj)
{
    fc->normal = 0;
    for (size_t i = 0; i < fc->h; i++) {
        double mu = fc->mean[i], se = fc->se[i];
        double med = tsf_boxcox_inv(mu, lambda);
        /* d g^{-1}/dz = g^{-1}(z)^(1 - lambda) */
        fc->se[i] = isnan(se) ? NAN : se * pow(med, 1.0 - lambda);
        fc->mean[i] = biasadj && !isnan(se) ? tsf_boxcox_inv_biasadj(mu, se * se, lambda) : med;
        for (size_t k = 0; k < fc->nlevels; k++) {
            fc->lower[k * fc->h + i] = tsf_boxcox_inv(fc->lower[k * fc->h + i], lambda);
            fc->upper[k * fc->h + i] = tsf_boxcox_inv(fc->upper[k * fc->h + i], lambda);
        }
    }
}
