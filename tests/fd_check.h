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

#endif
