/* Central finite differences against analytic gradients, for the neural
 * tests (test_neural_grad.c, test_neural_additive.c).  Tests only. */
#ifndef TSF_TESTS_FD_CHECK_H
#define TSF_TESTS_FD_CHECK_H

#include "testutil.h"

typedef double (*lossfn)(void *ctx);

/* Compares grad[i] with a central difference of f w.r.t. x[i] for every
 * index (n small) or a sample of them; returns the worst relative error. */
static double check(const char *what, lossfn f, void *ctx, float *x, const float *grad, size_t n,
                    float h, double tol)
{
    double worst = 0.0;
    size_t step = n > 60 ? n / 60 : 1;
    for (size_t i = 0; i < n; i += step) {
        float x0 = x[i];
        x[i] = x0 + h;
        double lp = f(ctx);
        x[i] = x0 - h;
        double lm = f(ctx);
        x[i] = x0;
        double fd = (lp - lm) / (2.0 * ((double)(x0 + h) - (double)(x0 - h)) / 2.0);
        double err = fabs(fd - grad[i]) / (fabs(fd) + fabs(grad[i]) + 1e-2);
        if (err > worst) worst = err;
        if (err > tol)
            fail_msg("%s: d/dx[%zu] analytic %.7g, finite difference %.7g", what, i,
                     (double)grad[i], fd);
    }
    print_message("%-28s worst relative error %.2e over %zu entries\n", what, worst,
                  (n + step - 1) / step);
    return worst;
}

#ifdef TSF_NEURAL_NET_H
/* A whole network's loss f against its analytic gradient g: up to 12
 * entries of every tensor of nn, reported as "NAME TENSOR" (for files
 * that include neural/net.h before this header). */
static inline void check_net(const char *name, lossfn f, void *ctx, tsf_nn *nn, const float *g,
                             double tol)
{
    for (size_t k = 0; k < nn->ntens; k++) {
        const tsf_nn_tensor *t = &nn->tens[k];
        size_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
        char what[80];
        snprintf(what, sizeof what, "%s %s", name, t->name);
        check(what, f, ctx, nn->params + t->off, g + t->off, n < 12 ? n : 12, 1e-2f, tol);
    }
}
#endif

#endif
