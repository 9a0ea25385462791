/* The distributional heads (net.h's tsf_nn_head_ops): for each, the
 * number of raw outputs, the initial biases, the loss on a backend (the
 * backend's op), and on the host one draw and the mean and variance of a
 * position's distribution.  Densities are of the scaled value z = y /
 * scale; stream.c turns them into the data's units. */
#include <math.h>
#include <stddef.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "cpu_ops.h"
#include "net.h"

/* ---- gaussian and student-t: mu, sigma (, nu) through head_loss ---- */

static size_t k_param(const tsf_nn_config *c) { return tsf_nn_head_k(c->head); }

/* sigma starts at 1 (softplus(0.5413) = 1), nu at 5 */
static void bias_param(const tsf_nn_config *c, float *b)
{
    b[1] = 0.5413f;
    if (c->head == TSF_NN_HEAD_STUDENT_T) b[2] = 2.9489f;
}

static double loss_param(const tsf_nn_backend *be, const tsf_nn_config *c, float *nll,
                         float *dout, const float *o, const float *y, size_t BT, float weight)
{
    return be->head_loss(nll, dout, o, y, BT, c->head, weight);
}

static size_t mix_m(const tsf_nn_config *c);

size_t tsf_nn_head_n(const tsf_nn_config *c)
{
    return c->head == TSF_NN_HEAD_MIXTURE  ? mix_m(c)
           : c->head == TSF_NN_HEAD_BINNED ? (size_t)c->head_n
                                           : 0;
}

/* One draw of one position from its pre-drawn noise e, through the
 * backend op's CPU implementation (the device runs the same arithmetic:
 * tsf_cpu_head_draw, gpu/kernel_math.h). */
static double draw_one(const tsf_nn_config *c, const float *o, double e)
{
    double z;
    tsf_cpu_head_draw(&z, &e, o, 1, c->head, tsf_nn_head_n(c), (float)c->head_lo,
                      (float)c->head_hi);
    return z;
}

/* The u-quantile: the Gaussian head draws from a normal, the others from
 * the uniform itself. */
static double quantile_any(const tsf_nn_config *c, const float *o, double u)
{
    return draw_one(c, o, c->head == TSF_NN_HEAD_GAUSSIAN ? gsl_cdf_ugaussian_Pinv(u) : u);
}

static void moments_param(const tsf_nn_config *c, const float *o, double *mean, double *var)
{
    float mu, sg, nu;
    tsf_cpu_head_params(&mu, &sg, &nu, o, 1, c->head);
    *mean = mu;
    double v = (double)sg * sg;
    *var = c->head == TSF_NN_HEAD_STUDENT_T ? v * nu / (nu - 2.0) : v;
}

/* ---- mixture of M Gaussians: [logits | means | raw sigmas] ---- */

static size_t mix_m(const tsf_nn_config *c) { return c->head_n > 0 ? (size_t)c->head_n : 3; }
static size_t k_mix(const tsf_nn_config *c) { return 3 * mix_m(c); }

/* equal weights, sigmas 1, means spread evenly over [-1, 1] (scaled
 * units) so that the components start apart */
static void bias_mix(const tsf_nn_config *c, float *b)
{
    size_t M = mix_m(c);
    for (size_t k = 0; k < M; k++) {
        b[M + k] = M > 1 ? (float)(-1.0 + 2.0 * (double)k / (double)(M - 1)) : 0.0f;
        b[2 * M + k] = 0.5413f;
    }
}

static double loss_mix(const tsf_nn_backend *be, const tsf_nn_config *c, float *nll,
                       float *dout, const float *o, const float *y, size_t BT, float weight)
{
    return be->mixture_loss(nll, dout, o, y, BT, mix_m(c), weight);
}

/* softmax of n logits into w (double) */
static void softmax(const float *o, size_t n, double *w)
{
    double mx = o[0], s = 0.0;
    for (size_t k = 1; k < n; k++)
        if (o[k] > mx) mx = o[k];
    for (size_t k = 0; k < n; k++) s += (w[k] = exp((double)o[k] - mx));
    for (size_t k = 0; k < n; k++) w[k] /= s;
}

static double mix_sigma(const float *raw)
{
    double x = *raw;
    return (x > 20.0 ? x : log1p(exp(x))) + TSF_NN_SIGMA_MIN;
}

static void moments_mix(const tsf_nn_config *c, const float *o, double *mean, double *var)
{
    size_t M = mix_m(c);
    double w[16], m = 0.0, m2 = 0.0;
    softmax(o, M, w);
    for (size_t k = 0; k < M; k++) {
        double mu = o[M + k], s = mix_sigma(o + 2 * M + k);
        m += w[k] * mu;
        m2 += w[k] * (s * s + mu * mu);
    }
    *mean = m;
    *var = m2 - m * m;
}

static const tsf_nn_need mix_needs[] = {TSF_NN_NEED(mixture_loss), {NULL, 0}};

/* ---- binned: N logits; interior bins on [lo, hi], exponential tails ---- */

static size_t k_bin(const tsf_nn_config *c) { return (size_t)c->head_n; }

static void bias_bin(const tsf_nn_config *c, float *b)
{
    (void)c;
    (void)b; /* all bins equally likely */
}

static double loss_bin(const tsf_nn_backend *be, const tsf_nn_config *c, float *nll,
                       float *dout, const float *o, const float *y, size_t BT, float weight)
{
    return be->binned_loss(nll, dout, o, y, BT, (size_t)c->head_n, (float)c->head_lo,
                           (float)c->head_hi, weight);
}

/* The default bin count: about 2 sqrt(n) rounded to a power of two, in
 * [16, 1024] (n training values; 3000 values -> 128 bins), so that a bin
 * holds enough values to estimate its probability; the interior range:
 * the training values' range widened by 5% on each side. */
static void prepare_bin(tsf_nn_config *c, const double *const *z, const size_t *n,
                        size_t nseries)
{
    double zmin = INFINITY, zmax = -INFINITY;
    size_t nobs = 0;
    for (size_t k = 0; k < nseries; k++)
        for (size_t i = 0; i < n[k]; i++)
            if (!isnan(z[k][i])) {
                nobs++;
                if (z[k][i] < zmin) zmin = z[k][i];
                if (z[k][i] > zmax) zmax = z[k][i];
            }
    if (!c->head_n) {
        double b = exp2(round(log2(2.0 * sqrt((double)nobs))));
        c->head_n = b < 16.0 ? 16 : b > 1024.0 ? 1024 : (int)b;
    }
    if (!(zmin <= zmax)) zmin = zmax = 0.0;
    double r = zmax - zmin;
    if (!(r > 0.0)) r = fabs(zmax) > 0.0 ? fabs(zmax) : 1.0;
    c->head_lo = zmin - 0.05 * r;
    c->head_hi = zmax + 0.05 * r;
}

/* the float range the loss uses, as doubles */
static void bin_range(const tsf_nn_config *c, double *lo, double *hi, double *w, double *tau)
{
    *lo = (float)c->head_lo;
    *hi = (float)c->head_hi;
    *w = (*hi - *lo) / (double)(c->head_n - 2);
    *tau = TSF_NN_TAIL_FRAC * (*hi - *lo);
}

static void moments_bin(const tsf_nn_config *c, const float *o, double *mean, double *var)
{
    size_t N = (size_t)c->head_n;
    double lo, hi, w, tau, p[4096], m = 0.0, m2 = 0.0;
    bin_range(c, &lo, &hi, &w, &tau);
    softmax(o, N, p);
    for (size_t j = 0; j < N; j++) {
        /* each bin's mean and variance: uniform, or exponential tail */
        double mu = j == 0 ? lo - tau : j == N - 1 ? hi + tau : lo + ((double)j - 0.5) * w;
        double v = j == 0 || j == N - 1 ? tau * tau : w * w / 12.0;
        m += p[j] * mu;
        m2 += p[j] * (v + mu * mu);
    }
    *mean = m;
    *var = m2 - m * m;
}

static const tsf_nn_need bin_needs[] = {TSF_NN_NEED(binned_loss), {NULL, 0}};

static const tsf_nn_head_ops heads[] = {
    {.name = "gaussian", .k = k_param, .init_bias = bias_param, .loss = loss_param,
     .normal_noise = 1, .draw = draw_one, .moments = moments_param,
     .quantile = quantile_any},
    {.name = "student-t", .k = k_param, .init_bias = bias_param, .loss = loss_param,
     .draw = draw_one, .moments = moments_param, .quantile = quantile_any},
    {.name = "mixture", .nkey = "components", .nlo = 1, .nhi = 16, .ndef = 3, .k = k_mix,
     .init_bias = bias_mix, .loss = loss_mix, .draw = draw_one, .moments = moments_mix,
     .quantile = quantile_any, .needs = mix_needs},
    {.name = "binned", .nkey = "bins", .nlo = 16, .nhi = 4096, .ranged = 1, .k = k_bin,
     .prepare = prepare_bin, .init_bias = bias_bin, .loss = loss_bin, .draw = draw_one,
     .moments = moments_bin, .quantile = quantile_any, .needs = bin_needs},
};

const char *const tsf_nn_head_names[] = {"gaussian", "student-t", "mixture", "binned", NULL};

const tsf_nn_head_ops *tsf_nn_head_get(tsf_nn_head h)
{
    return (size_t)h < sizeof heads / sizeof *heads ? &heads[h] : NULL;
}
