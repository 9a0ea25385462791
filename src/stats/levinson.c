/* Durbin-Levinson (Brockwell & Davis 1991, Prop. 5.2.1):
 *   phi_kk = (gamma_k - sum_j phi_{k-1,j} gamma_{k-j}) / v_{k-1}
 *   phi_kj = phi_{k-1,j} - phi_kk phi_{k-1,k-j}
 *   v_k    = v_{k-1} (1 - phi_kk^2).
 * The same update maps partial autocorrelations to AR coefficients
 * (Barndorff-Nielsen & Schou 1973; Monahan 1984), which is how the ML fit
 * keeps its parameters stationary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "levinson.h"
#include "core/internal.h"

/* One step of the recursion: cur[0..k) from prev[0..k-1) and kappa. */
static void step_up(const double *prev, size_t k, double kappa, double *cur)
{
    for (size_t j = 0; j + 1 < k; j++) cur[j] = prev[j] - kappa * prev[k - 2 - j];
    cur[k - 1] = kappa;
}

tsf_status tsf_levinson(const double *gamma, size_t K, double *phi, double *pacf, double *v)
{
    if (!(gamma[0] > 0.0))
        return tsf_set_error(TSF_EDEGENERATE, "the series has zero variance: an AR model needs "
                             "a series that varies");
    double *prev = calloc(2 * (K ? K : 1), sizeof *prev);
    if (!prev) return tsf_set_error(TSF_ENOMEM, "out of memory in the Levinson recursion");
    double *cur = prev + (K ? K : 1);
    v[0] = gamma[0];
    for (size_t k = 1; k <= K; k++) {
        double num = gamma[k];
        for (size_t j = 1; j < k; j++) num -= prev[j - 1] * gamma[k - j];
        double kap = num / v[k - 1];
        step_up(prev, k, kap, cur);
        pacf[k - 1] = kap;
        v[k] = v[k - 1] * (1.0 - kap * kap);
        if (!(v[k] > 0.0) || !(fabs(kap) < 1.0)) {
            free(prev);
            return tsf_set_error(TSF_EDEGENERATE, "the series is perfectly predictable at AR order "
                                 "%zu (prediction variance %g): use a lower order", k, v[k]);
        }
        if (phi) {
            memset(phi + (k - 1) * K, 0, K * sizeof *phi);
            memcpy(phi + (k - 1) * K, cur, k * sizeof *phi);
        }
        memcpy(prev, cur, k * sizeof *prev);
    }
    free(prev);
    return TSF_OK;
}

void tsf_pacf_to_ar(const double *kappa, size_t p, double *phi, double *table)
{
    /* phi doubles as "prev": rebuild in place through a small stack copy. */
    for (size_t k = 1; k <= p; k++) {
        double kap = kappa[k - 1];
        /* symmetric in-place update of the first k-1 entries */
        for (size_t j = 0, l = k - 2; k >= 2 && j <= l; j++, l--) {
            double a = phi[j], b = phi[l];
            phi[j] = a - kap * b;
            if (j != l) phi[l] = b - kap * a;
            if (l == 0) break;
        }
        phi[k - 1] = kap;
        if (table) {
            memset(table + (k - 1) * p, 0, p * sizeof *table);
            memcpy(table + (k - 1) * p, phi, k * sizeof *table);
        }
    }
}

int tsf_ar_to_pacf(const double *phi, size_t p, double *kappa, double *work)
{
    memcpy(work, phi, p * sizeof *work);
    for (size_t k = p; k >= 1; k--) {
        double kap = work[k - 1];
        kappa[k - 1] = kap;
        if (!(fabs(kap) < 1.0)) return 0;
        double d = 1.0 - kap * kap;
        /* invert phi_kj = a_j - kap a_{k-j}: a_j = (phi_kj + kap phi_{k,k-j}) / d */
        for (size_t j = 0, l = k - 2; k >= 2 && j <= l; j++, l--) {
            double a = work[j], b = work[l];
            work[j] = (a + kap * b) / d;
            if (j != l) work[l] = (b + kap * a) / d;
            if (l == 0) break;
        }
    }
    return 1;
}
