/* The adjoint CSS gradient (src/stats/css_grad.c) against central
 * differences of the sum of squares from tsf_arima_css, on a seasonal
 * ARIMA with differencing, two regressors and missing values. */
#include "testutil.h"
#include "stats/arima_impl.h"

#define N 200

/* S(arma, beta) from tsf_arima_css on x = y - X beta */
static double ssq_at(const tsf_arima_order *o, const double *arma, const double *beta,
                     const double *y, const double *X, size_t k, const double *delta, size_t nd,
                     size_t ncond, double *w, double *e, double *phi, double *theta)
{
    double x[N], s;
    size_t nu, pf = (size_t)(o->p + o->s * o->P), qf = (size_t)(o->q + o->s * o->Q);
    for (size_t t = 0; t < N; t++) {
        x[t] = y[t];
        for (size_t j = 0; j < k; j++) x[t] -= beta[j] * X[j * N + t];
    }
    tsf_arima_expand(o, arma, phi, theta);
    tsf_arima_css(x, N, delta, nd, phi, pf, theta, qf, ncond, w, e, &s, &nu);
    return s;
}

static void check(const tsf_arima_order *o, const double *delta, size_t nd, int gaps)
{
    double y[N], X[2 * N], w[N], e[N], work[2 * N], phi[64], theta[64];
    size_t k = 2, narma = (size_t)(o->p + o->q + o->P + o->Q);
    size_t pf = (size_t)(o->p + o->s * o->P), qf = (size_t)(o->q + o->s * o->Q);
    size_t ncond = nd + pf;
    double arma[8] = {0.4, -0.2, 0.3, 0.25, -0.5, 0.1, 0.2, 0.1}, beta[2] = {0.7, -0.02};
    unsigned u = 12345;
    double prev = 0.0;
    for (size_t t = 0; t < N; t++) {
        u = u * 1103515245u + 12345u;
        prev = 0.6 * prev + ((double)(u >> 8) / 16777216.0 - 0.5);
        X[t] = 1.0;
        X[N + t] = (double)t;
        y[t] = prev + 2.0 + 0.05 * (double)t + 3.0 * sin((double)t * 0.5236);
    }
    if (gaps) y[57] = y[130] = NAN;
    double s0 = ssq_at(o, arma, beta, y, X, k, delta, nd, ncond, w, e, phi, theta);
    double g[16];
    assert_int_equal(tsf_arima_css_grad(o, arma, phi, pf, theta, qf, w, e, N, ncond, X, k,
                                        delta, nd, work, g), 1);
    for (size_t i = 0; i < narma + k; i++) {
        double h = 1e-6, ap[8], bp[2], fp, fm;
        memcpy(ap, arma, sizeof ap);
        memcpy(bp, beta, sizeof bp);
        double *v = i < narma ? &ap[i] : &bp[i - narma];
        double v0 = *v;
        *v = v0 + h;
        fp = ssq_at(o, ap, bp, y, X, k, delta, nd, ncond, w, e, phi, theta);
        *v = v0 - h;
        fm = ssq_at(o, ap, bp, y, X, k, delta, nd, ncond, w, e, phi, theta);
        double fd = (fp - fm) / (2.0 * h);
        assert_rel(g[i], fd, 1e-5, 1e-7 * s0);
    }
}

static void test_nonseasonal(void **state)
{
    (void)state;
    tsf_arima_order o = {2, 1, 2, 0, 0, 0, 1};
    double delta[1] = {1.0};
    check(&o, delta, 1, 0);
}

static void test_seasonal_gaps(void **state)
{
    (void)state;
    /* (2,0,1)(1,1,2)[12]: delta = B^12 */
    tsf_arima_order o = {2, 0, 1, 1, 1, 2, 12};
    double delta[12] = {0};
    delta[11] = 1.0;
    check(&o, delta, 12, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonseasonal),
        cmocka_unit_test(test_seasonal_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
