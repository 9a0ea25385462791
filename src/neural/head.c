/* The distributional heads (net.h's tsf_nn_head_ops): for each, the
 * number of raw outputs, the initial biases, the loss on a backend (the
 * backend's op), and on the host one draw and the mean and variance of a
 * position's distribution.  Densities are of the scaled value z = y /
 * scale; stream.c turns them into the data's units. */
#include <math.h>
#include <stddef.h>
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

static double sample_param(const tsf_nn_config *c, const float *o, gsl_rng *r)
{
    float mu, sg, nu;
    int t = c->head == TSF_NN_HEAD_STUDENT_T;
    tsf_cpu_head_params(&mu, &sg, t ? &nu : NULL, o, 1, c->head);
    double e = t ? gsl_ran_tdist(r, nu) : gsl_ran_gaussian_ziggurat(r, 1.0);
    return (double)mu + (double)sg * e;
}

static void moments_param(const tsf_nn_config *c, const float *o, double *mean, double *var)
{
    float mu, sg, nu;
    tsf_cpu_head_params(&mu, &sg, &nu, o, 1, c->head);
    *mean = mu;
    double v = (double)sg * sg;
    *var = c->head == TSF_NN_HEAD_STUDENT_T ? v * nu / (nu - 2.0) : v;
}

static const tsf_nn_head_ops heads[] = {
    {.name = "gaussian", .k = k_param, .init_bias = bias_param, .loss = loss_param,
     .sample = sample_param, .moments = moments_param},
    {.name = "student-t", .k = k_param, .init_bias = bias_param, .loss = loss_param,
     .sample = sample_param, .moments = moments_param},
};

const char *const tsf_nn_head_names[] = {"gaussian", "student-t", NULL};

const tsf_nn_head_ops *tsf_nn_head_get(tsf_nn_head h)
{
    return (size_t)h < sizeof heads / sizeof *heads ? &heads[h] : NULL;
}
