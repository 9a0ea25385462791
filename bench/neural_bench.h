/* What bench/neural_bench.c and bench/neural_profile.c share: a bench
 * row's network from its arguments, its training windows and the
 * trainer's step.  Header-only, for the bench executables alone. */
#ifndef TSF_BENCH_NEURAL_BENCH_H
#define TSF_BENCH_NEURAL_BENCH_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "neural/neural.h"

/* The network of ARCH HIDDEN LAYERS HEADS CONTEXT (argv[1] .. argv[5]):
 * ARCH gru, lstm, transformer, transformer-additive (attention=additive),
 * transformer-cross (cross=true with two regressors) or wavenet (HIDDEN
 * = channels = skip channels, kernel 2, one stack).  Returns 1 for
 * wavenet, else 0. */
static inline int bench_nn_config(char **argv, tsf_nn_config *cfg)
{
    *cfg = (tsf_nn_config){.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN,
                           .hidden = atoi(argv[2]), .layers = atoi(argv[3]),
                           .heads = atoi(argv[4]), .context = atoi(argv[5]), .period = 1};
    if (!strcmp(argv[1], "lstm")) cfg->arch = &tsf_nn_arch_lstm;
    if (!strncmp(argv[1], "transformer", 11)) cfg->arch = &tsf_nn_arch_transformer;
    if (!strcmp(argv[1], "transformer-additive")) cfg->hp[3] = 1; /* attention=additive */
    if (!strcmp(argv[1], "transformer-cross")) {
        cfg->hp[2] = 1;
        cfg->nextra = 2;
    }
    /* bench/sparse.sh: the transformer's attention pattern (attn_pattern.h's
     * kind: 0 dense, 1 local, 2 logsparse, 3 strided) and band */
    if (cfg->arch == &tsf_nn_arch_transformer && getenv("TSF_BENCH_PATTERN")) {
        cfg->hp[0] = atoi(getenv("TSF_BENCH_PATTERN"));
        cfg->hp[1] = getenv("TSF_BENCH_BAND") ? atoi(getenv("TSF_BENCH_BAND")) : 8;
    }
    if (strcmp(argv[1], "wavenet")) return 0;
    cfg->arch = &tsf_nn_arch_wavenet;
    cfg->hp[0] = cfg->hidden;
    cfg->hp[1] = 2;
    cfg->hp[2] = 1;
    return 1;
}

/* B windows of T positions of a simulated AR(2) series (scaled), as
 * training sees them, with two regressors (an AR(1) and a dummy) for the
 * networks that read them: inputs *x (B T nin) and targets *y (B T), and
 * the series itself, B T + 2 values, returned (all malloc'ed). */
static inline double *bench_nn_windows(const tsf_nn *nn, size_t B, size_t T, gsl_rng *r,
                                       float **x, float **y)
{
    size_t n = B * T + 2;
    double *z = malloc(n * sizeof *z);
    z[0] = z[1] = 0.0;
    for (size_t t = 2; t < n; t++) z[t] = 0.6 * z[t - 1] + 0.25 * z[t - 2] + gsl_ran_gaussian(r, 1);
    *x = malloc(B * T * nn->nin * sizeof **x);
    *y = malloc(B * T * sizeof **y);
    double xa = 0.0;
    for (size_t i = 0; i < B * T; i++) {
        xa = 0.8 * xa + gsl_ran_gaussian(r, 1);
        double ex[2] = {xa, i % 7 ? 0.0 : 1.0};
        tsf_nn_input(nn, z[i + 1], NAN, ex, *x + i * nn->nin);
        (*y)[i] = (float)z[i + 2];
    }
    return z;
}

/* The trainer's step s (>= -2; the bench runs two warm-up steps, -2 and
 * -1): forward, backward, gradient norm, clipping at 5, AdamW; g, m, v
 * (nparams each) are the gradient and the moments. */
static inline void bench_nn_step(const tsf_nn_backend *be, tsf_nn *tn, tsf_nn_acts *acts,
                                 const float *x, const float *y, size_t B, size_t T, float *g,
                                 float *m, float *v, int s)
{
    size_t np = tn->nparams;
    memset(g, 0, np * sizeof *g);
    tsf_nn_forward_backward(tn, acts, x, y, B, T, NULL, g, 1.0f / (float)(B * T));
    double gn = sqrt(be->sumsq(g, np));
    if (gn > 5.0) be->scale(g, (float)(5.0 / gn), np);
    be->adamw_update(tn->params, g, m, v, np, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, s + 3);
}

#endif
