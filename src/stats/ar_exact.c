/* Exact AR(p) likelihood terms by the Durbin-Levinson innovations
 * (Brockwell & Davis 1991, Prop. 5.2.1 and eq. 8.7.4). */
#include <math.h>
#include "ar_exact.h"
#include "levinson.h"

void tsf_ar_exact_terms(const double *kappa, size_t p, const double *x, size_t n,
                        double *table, double *ssq, double *sumlogr)
{
    if (p) tsf_pacf_to_ar(kappa, p, table + p * p, table);
    /* log r_k = -sum_{j>k} log(1 - kappa_j^2): accumulate from the top. */
    double S = 0.0, L = 0.0;
    for (size_t t = 0; t < n; t++) {
        size_t k = t < p ? t : p;
        double logr = 0.0;
        for (size_t j = k; j < p; j++) logr -= log1p(-kappa[j] * kappa[j]);
        double pred = 0.0;
        if (k) {
            const double *c = table + (k - 1) * p;
            for (size_t j = 1; j <= k; j++) pred += c[j - 1] * x[t - j];
        }
        double e = x[t] - pred;
        S += e * e * exp(-logr);
        L += logr;
    }
    *ssq = S;
    *sumlogr = L;
}
