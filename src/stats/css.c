/* Conditional sum of squares of an ARIMA (Box & Jenkins 1976, sec. 7.1):
 * the starting values of R's default CSS-ML method and the CSS method. */
#include <math.h>
#include "stats/arima_impl.h"

void tsf_arima_css(const double *x, size_t n, const double *delta, size_t nd,
                   const double *phi, size_t pf, const double *theta, size_t qf,
                   size_t ncond, double *w, double *e, double *ssq, size_t *nu)
{
    /* w_t = x_t - sum_i delta_i x_{t-i}: the differenced series. */
    for (size_t t = 0; t < n; t++) {
        double v = x[t];
        if (t < nd) {
            w[t] = NAN;
            continue;
        }
        for (size_t i = 0; i < nd; i++) v -= delta[i] * x[t - 1 - i];
        w[t] = v;
    }
    double s = 0.0;
    size_t cnt = 0;
    for (size_t t = 0; t < n; t++) {
        if (t < ncond) {
            e[t] = 0.0;
            continue;
        }
        double v = w[t];
        for (size_t i = 0; i < pf; i++) v -= phi[i] * w[t - 1 - i];
        size_t qm = t - ncond < qf ? t - ncond : qf;
        for (size_t j = 0; j < qm; j++) v -= theta[j] * e[t - 1 - j];
        /* A missing value leaves its innovation unknown: it does not count
         * and enters later MA terms as its expectation, zero. */
        if (isnan(v)) {
            e[t] = 0.0;
            continue;
        }
        e[t] = v;
        s += v * v;
        cnt++;
    }
    *ssq = s;
    *nu = cnt;
}
