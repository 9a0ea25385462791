/* CPU reference: the distributional heads and their negative log
 * densities, computed in double per position (Salinas et al. 2020, sec.
 * 3.1: Gaussian; Student-t as in GluonTS's StudentTOutput). */
#include <math.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "cpu_ops.h"

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
