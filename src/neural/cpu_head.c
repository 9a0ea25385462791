/* CPU reference: the distributional heads and their negative log
 * densities, computed in double per position (Salinas et al. 2020, sec.
 * 3.1: Gaussian; Student-t as in GluonTS's StudentTOutput). */
#include <math.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "cpu_ops.h"
#include "../../gpu/kernel_math.h"

static double softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

// o (BT,K) -> mu, sigma, nu (BT)
void tsf_cpu_head_params(float *mu, float *sigma, float *nu, const float *o, size_t BT,
                         tsf_nn_head head)
{
    size_t K = tsf_nn_head_k(head);
    for (size_t i = 0; i < BT; i++) {
        const float *p = o + i * K;
        mu[i] = p[0];
        sigma[i] = (float)(softplus(p[1]) + TSF_NN_SIGMA_MIN);
        if (nu) nu[i] = head == TSF_NN_HEAD_STUDENT_T ? (float)(2.0 + softplus(p[2])) : INFINITY;
    }
}

// o (BT,K), y (BT) -> nll (BT), dout (BT,K); returns sum nll
double tsf_cpu_head_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                         tsf_nn_head head, float weight)
{
    size_t K = tsf_nn_head_k(head);
    double total = 0.0;
    for (size_t i = 0; i < BT; i++) {
        const float *p = o + i * K;
        float *d = dout ? dout + i * K : NULL;
        if (isnan(y[i])) {
            if (nll) nll[i] = 0.0f;
            if (d)
                for (size_t k = 0; k < K; k++) d[k] = 0.0f;
            continue;
        }
        double mu = p[0], s = softplus(p[1]) + TSF_NN_SIGMA_MIN, z = (y[i] - mu) / s;
        double l, dmu, ds, dnu = 0.0;
        if (head == TSF_NN_HEAD_GAUSSIAN) {
            l = 0.5 * log(2.0 * M_PI) + log(s) + 0.5 * z * z;
            dmu = -z / s;
            ds = (1.0 - z * z) / s;
        } else {
            double nu = 2.0 + softplus(p[2]), q = nu + z * z;
            l = -gsl_sf_lngamma(0.5 * (nu + 1.0)) + gsl_sf_lngamma(0.5 * nu) +
                0.5 * log(nu * M_PI) + log(s) + 0.5 * (nu + 1.0) * log1p(z * z / nu);
            dmu = -(nu + 1.0) * z / (q * s);
            ds = (1.0 - (nu + 1.0) * z * z / q) / s;
            dnu = -0.5 * gsl_sf_psi(0.5 * (nu + 1.0)) + 0.5 * gsl_sf_psi(0.5 * nu) +
                  0.5 / nu + 0.5 * log1p(z * z / nu) - 0.5 * (nu + 1.0) * z * z / (nu * q);
            if (d) d[2] = (float)(weight * dnu * sigmoid(p[2]));
        }
        if (nll) nll[i] = (float)l;
        total += l;
        if (d) {
            d[0] = (float)(weight * dmu);
            d[1] = (float)(weight * ds * sigmoid(p[1]));
        }
    }
    return total;
}

/* log sum exp of x (n) */
static double lse(const double *x, size_t n)
{
    double mx = x[0], s = 0.0;
    for (size_t k = 1; k < n; k++)
        if (x[k] > mx) mx = x[k];
    for (size_t k = 0; k < n; k++) s += exp(x[k] - mx);
    return mx + log(s);
}

#define MIX_MAX 16

// o (BT,3M), y (BT) -> nll (BT), dout (BT,3M); returns sum nll
double tsf_cpu_mixture_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                            size_t M, float weight)
{
    double total = 0.0;
    for (size_t i = 0; i < BT; i++) {
        const float *p = o + i * 3 * M;
        float *d = dout ? dout + i * 3 * M : NULL;
        if (isnan(y[i]) || M > MIX_MAX) {
            if (nll) nll[i] = 0.0f;
            if (d)
                for (size_t k = 0; k < 3 * M; k++) d[k] = 0.0f;
            continue;
        }
        double lg[MIX_MAX] = {0}, lc[MIX_MAX] = {0}, s[MIX_MAX], u[MIX_MAX]; /* M >= 1: {0} only quiets -O3 */
        for (size_t k = 0; k < M; k++) lg[k] = p[k];
        double Z = lse(lg, M);
        for (size_t k = 0; k < M; k++) {
            s[k] = softplus(p[2 * M + k]) + TSF_NN_SIGMA_MIN;
            u[k] = (y[i] - (double)p[M + k]) / s[k];
            /* log weight + log N(y; mu_k, s_k^2) */
            lc[k] = lg[k] - Z - 0.5 * log(2.0 * M_PI) - log(s[k]) - 0.5 * u[k] * u[k];
        }
        double L = lse(lc, M);
        if (nll) nll[i] = (float)-L;
        total -= L;
        if (d)
            for (size_t k = 0; k < M; k++) {
                double r = exp(lc[k] - L), pi = exp(lg[k] - Z); /* posterior, prior weight */
                d[k] = (float)(weight * (pi - r));
                d[M + k] = (float)(weight * (-r * u[k] / s[k]));
                d[2 * M + k] = (float)(weight * r * (1.0 - u[k] * u[k]) / s[k] *
                                       sigmoid(p[2 * M + k]));
            }
    }
    return total;
}

size_t tsf_cpu_binned_index(double z, size_t N, double lo, double hi)
{
    if (z < lo) return 0;
    if (z > hi) return N - 1;
    double b = floor((z - lo) / ((hi - lo) / (double)(N - 2)));
    return 1 + (b > (double)(N - 3) ? N - 3 : (size_t)b);
}

double tsf_cpu_binned_logdens(size_t j, double z, size_t N, double lo, double hi)
{
    double tau = TSF_NN_TAIL_FRAC * (hi - lo);
    if (j == 0) return -log(tau) - (lo - z) / tau;
    if (j == N - 1) return -log(tau) - (z - hi) / tau;
    return -log((hi - lo) / (double)(N - 2));
}

// o (BT,N), y (BT) -> nll (BT), dout (BT,N); returns sum nll
double tsf_cpu_binned_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                           size_t N, float lo, float hi, float weight)
{
    double total = 0.0;
    for (size_t i = 0; i < BT; i++) {
        const float *p = o + i * N;
        float *d = dout ? dout + i * N : NULL;
        if (isnan(y[i])) {
            if (nll) nll[i] = 0.0f;
            if (d)
                for (size_t k = 0; k < N; k++) d[k] = 0.0f;
            continue;
        }
        double mx = p[0], Z = 0.0;
        for (size_t k = 1; k < N; k++)
            if (p[k] > mx) mx = p[k];
        for (size_t k = 0; k < N; k++) Z += exp((double)p[k] - mx);
        Z = mx + log(Z);
        size_t j = tsf_cpu_binned_index(y[i], N, lo, hi);
        double l = -((double)p[j] - Z + tsf_cpu_binned_logdens(j, y[i], N, lo, hi));
        if (nll) nll[i] = (float)l;
        total += l;
        if (d)
            for (size_t k = 0; k < N; k++)
                d[k] = (float)(weight * (exp((double)p[k] - Z) - (k == j ? 1.0 : 0.0)));
    }
    return total;
}

/* e (B) noise, o (B,K) -> z (B): one row at a time through the device
 * kernel's arithmetic (gpu/kernel_math.h, tk_head_draw), so that the host
 * and the device draw the same paths from the same noise.  Its Student-t
 * quantile is written out because the device has no GSL; it agrees with
 * R's qt to 1e-12 where GSL's is 1e-10 off (tests/test_kernel_math.c). */
void tsf_cpu_head_draw(double *z, const double *e, const float *o, size_t B, tsf_nn_head head,
                       size_t n, float lo, float hi)
{
    size_t K = head == TSF_NN_HEAD_MIXTURE  ? 3 * n
               : head == TSF_NN_HEAD_BINNED ? n
                                            : tsf_nn_head_k(head);
    for (size_t b = 0; b < B; b++) z[b] = tk_head_draw((int)head, o + b * K, n, lo, hi, e[b]);
}
