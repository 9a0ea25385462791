/* ARIMA state-space engine against closed forms and the exact Gaussian
 * density computed from the full covariance matrix. */
#include "testutil.h"
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_kf.h"
#include "stats/arima_ss.h"

/* Deterministic pseudo-random normals (Box-Muller on an LCG): test data
 * only, independent of the library's RNG. */
static double unif(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(uint64_t *s)
{
    double u = unif(s), v = unif(s);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* x_t = phi x_{t-1} + e_t + theta e_{t-1} ... (general ARMA, burn-in). */
static void gen_arma(const double *phi, size_t p, const double *th, size_t q, size_t n,
                     uint64_t seed, double *x)
{
    size_t burn = 500, N = n + burn;
    double *e = malloc(N * sizeof *e), *z = malloc(N * sizeof *z);
    uint64_t s = seed;
    for (size_t t = 0; t < N; t++) {
        e[t] = gauss(&s);
        double v = e[t];
        for (size_t i = 1; i <= p && i <= t; i++) v += phi[i - 1] * z[t - i];
        for (size_t i = 1; i <= q && i <= t; i++) v += th[i - 1] * e[t - i];
        z[t] = v;
    }
    memcpy(x, z + burn, n * sizeof *x);
    free(e);
    free(z);
}

/* Exact log N(x; 0, Sigma) with Sigma_ij = gamma(|i-j|), via Cholesky. */
static double gauss_ll_toeplitz(const double *gam, const double *x, size_t n)
{
    double *S = malloc(n * n * sizeof *S), *b = malloc(n * sizeof *b);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) S[i * n + j] = gam[i > j ? i - j : j - i];
    assert_int_equal(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, S, (lapack_int)n), 0);
    memcpy(b, x, n * sizeof *b);
    assert_int_equal(LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'L', 'N', 'N', (lapack_int)n, 1, S,
                                    (lapack_int)n, b, 1), 0);
    double ll = -0.5 * (double)n * log(2.0 * M_PI);
    for (size_t i = 0; i < n; i++) ll -= log(S[i * n + i]) + 0.5 * b[i] * b[i];
    free(S);
    free(b);
    return ll;
}

/* Autocovariances of an ARMA from its psi weights (truncated MA(inf)):
 * independent of the engine's linear-system method. */
static void arma_acvf(const double *phi, size_t p, const double *th, size_t q, double s2,
                      size_t nlag, double *gam)
{
    size_t K = 20000;
    double *psi = calloc(K, sizeof *psi);
    for (size_t j = 0; j < K; j++) {
        double v = j == 0 ? 1.0 : (j <= q ? th[j - 1] : 0.0);
        for (size_t i = 1; i <= p && i <= j; i++) v += phi[i - 1] * psi[j - i];
        psi[j] = v;
    }
    for (size_t k = 0; k < nlag; k++) {
        double s = 0.0;
        for (size_t j = 0; j + k < K; j++) s += psi[j] * psi[j + k];
        gam[k] = s2 * s;
    }
    free(psi);
}

static void test_ar1_closed_form(void **state)
{
    (void)state;
    double phi = 0.7, s2 = 2.5, x[200];
    gen_arma(&phi, 1, NULL, 0, 200, 1, x);
    tsf_arima_ss m = {.p = 1, .phi = &phi, .sigma2 = s2};
    double ll;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 200, 0, &ll), TSF_OK);
    double v0 = s2 / (1 - phi * phi);
    double ref = -0.5 * (log(2 * M_PI * v0) + x[0] * x[0] / v0);
    for (size_t t = 1; t < 200; t++) {
        double e = x[t] - phi * x[t - 1];
        ref += -0.5 * (log(2 * M_PI * s2) + e * e / s2);
    }
    assert_close(ll, ref, 1e-9 * fabs(ref));

    /* conditional: log p(x[50..) | x[0..50)) */
    double llc;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 200, 50, &llc), TSF_OK);
    double refc = 0.0;
    for (size_t t = 50; t < 200; t++) {
        double e = x[t] - phi * x[t - 1];
        refc += -0.5 * (log(2 * M_PI * s2) + e * e / s2);
    }
    assert_close(llc, refc, 1e-9 * fabs(refc));

    /* fitted values are phi x_{t-1} */
    double pred[200];
    assert_int_equal(tsf_arima_ss_fitted(&m, x, 200, pred), TSF_OK);
    assert_close(pred[0], 0.0, 1e-12);
    for (size_t t = 1; t < 200; t++) assert_close(pred[t], phi * x[t - 1], 1e-10);
}

static void check_vs_cholesky(const double *phi, size_t p, const double *th, size_t q, size_t n)
{
    double *x = malloc(n * sizeof *x), gam[1024];
    assert_true(n <= 1024);
    gen_arma(phi, p, th, q, n, 7 + p + 10 * q, x);
    double s2 = 0.8;
    arma_acvf(phi, p, th, q, s2, n, gam);
    tsf_arima_ss m = {.p = p, .q = q, .phi = phi, .theta = th, .sigma2 = s2};
    double ll;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, n, 0, &ll), TSF_OK);
    double ref = gauss_ll_toeplitz(gam, x, n);
    assert_close(ll, ref, 1e-7 * fabs(ref));
    free(x);
}

static void test_ma1_exact(void **state)
{
    (void)state;
    double th = 0.6;
    check_vs_cholesky(NULL, 0, &th, 1, 150);
    th = -0.95; /* near non-invertible: slow Riccati convergence */
    check_vs_cholesky(NULL, 0, &th, 1, 400);
    th = 1.6; /* non-invertible MA is still a valid Gaussian model */
    check_vs_cholesky(NULL, 0, &th, 1, 100);
}

static void test_arma_exact(void **state)
{
    (void)state;
    double phi[2] = {1.2, -0.5}, th[3] = {0.4, -0.2, 0.3};
    check_vs_cholesky(phi, 2, th, 3, 300);
    double phi1 = 0.98, th1 = -0.5; /* near the unit circle */
    check_vs_cholesky(&phi1, 1, &th1, 1, 300);
    double phi3[3] = {0.2, 0.1, 0.5};
    check_vs_cholesky(phi3, 3, NULL, 0, 200);
}

/* Differencing inside the state: the likelihood of x equals the ARMA
 * likelihood of its differences (the first nd observations are diffuse). */
static void test_differenced(void **state)
{
    (void)state;
    size_t n = 240;
    double w[240], x[240], gam[240];
    double phi = 0.5, th = -0.3, s2 = 1.3;
    gen_arma(&phi, 1, &th, 1, n, 3, w);
    /* d = 1 */
    x[0] = 10.0;
    for (size_t t = 1; t < n; t++) x[t] = x[t - 1] + w[t];
    double d1 = 1.0;
    tsf_arima_ss m = {.p = 1, .q = 1, .phi = &phi, .theta = &th, .nd = 1, .delta = &d1, .sigma2 = s2};
    double ll;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, n, 0, &ll), TSF_OK);
    arma_acvf(&phi, 1, &th, 1, s2, n, gam);
    double ref = gauss_ll_toeplitz(gam, w + 1, n - 1);
    assert_close(ll, ref, 1e-5 * fabs(ref));
    /* (1-B)(1-B^4): delta = 1,0,0,1,-1 */
    double dl[5] = {1, 0, 0, 1, -1};
    for (size_t t = 0; t < n; t++) x[t] = t < 5 ? (double)t * 0.3 + 1.0 : 0.0;
    for (size_t t = 5; t < n; t++) x[t] = x[t - 1] + x[t - 4] - x[t - 5] + w[t];
    m.nd = 5;
    m.delta = dl;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, n, 0, &ll), TSF_OK);
    ref = gauss_ll_toeplitz(gam, w + 5, n - 5);
    assert_close(ll, ref, 1e-5 * fabs(ref));
    /* the count of contributing observations is n - nd */
    tsf_arima_sums s;
    assert_int_equal(tsf_arima_ss_sums(&m, x, n, 0, &s), TSF_OK);
    assert_int_equal(s.nu, n - 5);
}

/* log N(v_{k..n} | v_{0..k}; 0, S) for an n x n covariance S (row-major,
 * overwritten): the terms of rows k.. of one Cholesky factorisation, so the
 * conditioning on the first k values cancels nothing numerically. */
static double gauss_ll_cond(double *S, const double *v, size_t n, size_t k)
{
    double *b = malloc(n * sizeof *b);
    assert_int_equal(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, S, (lapack_int)n), 0);
    memcpy(b, v, n * sizeof *b);
    assert_int_equal(LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'L', 'N', 'N', (lapack_int)n, 1, S,
                                    (lapack_int)n, b, 1), 0);
    double ll = -0.5 * (double)(n - k) * log(2.0 * M_PI);
    for (size_t i = k; i < n; i++) ll -= log(S[i * n + i]) + 0.5 * b[i] * b[i];
    free(b);
    return ll;
}

/* With the initial lags x_0..x_{1-nd} ~ N(0, kappa I) (R's prior), the
 * likelihood the filter reports is log p(x_{nd+1..n} | x_{1..nd}), here
 * from a dense Gaussian.  The fast path (closed-form start) and the
 * step-by-step filter must both give it; a series with a missing value at
 * the end takes the step path. */
static void test_kappa_start(void **state)
{
    (void)state;
    enum { N = 70, ND = 5 };
    double phi[2] = {0.4, -0.2}, th[5] = {0.3, 0, 0, -0.5, -0.15}, s2 = 1.0;
    double dl[ND] = {1, 0, 0, 1, -1}; /* (1 - B)(1 - B^4) */
    double u[N], x[N + 1], gam[N];
    gen_arma(phi, 2, th, 5, N, 21, u);
    arma_acvf(phi, 2, th, 5, s2, N, gam);
    /* x from u with initial lags x_{1-i} = 50 + i: levels far from 0 */
    for (size_t t = 0; t < N; t++) {
        double v = u[t];
        for (size_t j = 1; j <= ND; j++)
            v += dl[j - 1] * (t >= j ? x[t - j] : 50.0 + (double)(j - t));
        x[t] = v;
    }
    /* The unit lower-triangular map x -> (wt_1..wt_N), wt_t = x_t - sum_{j<t}
     * delta_j x_{t-j} (observed lags only) keeps densities and the
     * conditioning on the first ND; wt = u + D L, D_ti = delta_{t+i-1} on the
     * first ND rows (L_i = x_{1-i}), so Cov(wt) = Cov(u) + kappa D D' there.
     * Entries stay O(kappa), not O(kappa t^2) as x's own would. */
    double wt[N], *C = malloc(N * N * sizeof *C);
    for (size_t t = 0; t < N; t++) {
        double v = x[t];
        for (size_t j = 1; j <= ND && j <= t; j++) v -= dl[j - 1] * x[t - j];
        wt[t] = v;
        for (size_t c = 0; c < N; c++) C[t * N + c] = gam[t > c ? t - c : c - t];
    }
    for (size_t t = 0; t < ND; t++)
        for (size_t c = 0; c < ND; c++) {
            double dd = 0.0;
            for (size_t i = 0; t + i < ND && c + i < ND; i++) dd += dl[t + i] * dl[c + i];
            C[t * N + c] += TSF_ARIMA_KAPPA * dd;
        }
    double ref = gauss_ll_cond(C, wt, N, ND);
    tsf_arima_ss mod = {.p = 2, .q = 5, .phi = phi, .theta = th, .nd = ND, .delta = dl,
                        .sigma2 = s2};
    double ll, llstep;
    assert_int_equal(tsf_arima_ss_loglik(&mod, x, N, 0, &ll), TSF_OK);
    x[N] = NAN;
    assert_int_equal(tsf_arima_ss_loglik(&mod, x, N + 1, 0, &llstep), TSF_OK);
    assert_close(ll, ref, 1e-8);
    assert_close(llstep, ref, 1e-8);
    /* kappa's information is visible at this precision: the exact diffuse
     * likelihood (of the differenced series alone) differs */
    double ll_diffuse = gauss_ll_toeplitz(gam, u + ND, N - ND);
    assert_true(fabs(ll_diffuse - ref) > 1e-5);
    /* which the Chandrasekhar path gives on request (an optimiser's
     * objective): the exact diffuse likelihood, to rounding */
    tsf_arima_kf *kf;
    tsf_arima_sums sm;
    assert_int_equal(tsf_arima_kf_new(2, 5, ND, &kf), TSF_OK);
    assert_int_equal(tsf_arima_kf_set(kf, &mod), TSF_OK);
    kf->exact_diffuse = 1;
    tsf_arima_kf_run(kf, x, N, 0, &sm);
    assert_int_equal(sm.nu, N - ND);
    assert_close(-0.5 * ((double)sm.nu * log(2.0 * M_PI) + sm.sumlog + sm.ssq), ll_diffuse, 1e-8);
    tsf_arima_kf_free(kf);
    assert_close(ll, llstep, 1e-9 * fabs(ll));
    free(C);
}

static void test_forecast_closed_forms(void **state)
{
    (void)state;
    double phi = 0.6, s2 = 2.0, x[100], mean[6], se[6];
    gen_arma(&phi, 1, NULL, 0, 100, 11, x);
    tsf_arima_ss m = {.p = 1, .phi = &phi, .sigma2 = s2};
    assert_int_equal(tsf_arima_ss_forecast(&m, x, 100, 6, mean, se), TSF_OK);
    for (size_t h = 1; h <= 6; h++) {
        double ph = pow(phi, (double)h);
        assert_close(mean[h - 1], ph * x[99], 1e-10);
        assert_close(se[h - 1], sqrt(s2 * (1 - ph * ph) / (1 - phi * phi)), 1e-10);
    }
    /* random walk */
    double d1 = 1.0;
    tsf_arima_ss rw = {.nd = 1, .delta = &d1, .sigma2 = s2};
    assert_int_equal(tsf_arima_ss_forecast(&rw, x, 100, 6, mean, se), TSF_OK);
    for (size_t h = 1; h <= 6; h++) {
        assert_close(mean[h - 1], x[99], 1e-6);
        assert_close(se[h - 1], sqrt(s2 * (double)h), 1e-6);
    }
}

static void test_missing(void **state)
{
    (void)state;
    double phi = 0.8, s2 = 1.5, x[60];
    gen_arma(&phi, 1, NULL, 0, 60, 5, x);
    x[10] = NAN;
    x[11] = NAN;
    x[40] = NAN;
    tsf_arima_ss m = {.p = 1, .phi = &phi, .sigma2 = s2};
    double ll;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 60, 0, &ll), TSF_OK);
    double v0 = s2 / (1 - phi * phi);
    double ref = -0.5 * (log(2 * M_PI * v0) + x[0] * x[0] / v0);
    size_t last = 0;
    for (size_t t = 1; t < 60; t++) {
        if (isnan(x[t])) continue;
        double k = (double)(t - last), pk = pow(phi, k);
        double v = s2 * (1 - pk * pk) / (1 - phi * phi), e = x[t] - pk * x[last];
        ref += -0.5 * (log(2 * M_PI * v) + e * e / v);
        last = t;
    }
    assert_close(ll, ref, 1e-9 * fabs(ref));
    tsf_arima_sums s;
    assert_int_equal(tsf_arima_ss_sums(&m, x, 60, 0, &s), TSF_OK);
    assert_int_equal(s.nu, 57);
    /* missing value at the end: the forecast is two steps out */
    x[59] = NAN;
    double mean[1], se[1];
    assert_int_equal(tsf_arima_ss_forecast(&m, x, 60, 1, mean, se), TSF_OK);
    assert_close(mean[0], phi * phi * x[58], 1e-10);
    assert_close(se[0], sqrt(s2 * (1 + phi * phi)), 1e-10);
}

/* The steady-state switch must not change long-series likelihoods, also
 * when missing values come after the switch. */
static void test_long_with_late_missing(void **state)
{
    (void)state;
    size_t n = 900;
    double phi[2] = {0.5, 0.2}, th = 0.4, s2 = 1.0, gam[900];
    double *x = malloc(n * sizeof *x), *xo = malloc(n * sizeof *xo);
    gen_arma(phi, 2, &th, 1, n, 9, x);
    tsf_arima_ss m = {.p = 2, .q = 1, .phi = phi, .theta = &th, .sigma2 = s2};
    double ll;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, n, 0, &ll), TSF_OK);
    arma_acvf(phi, 2, &th, 1, s2, n, gam);
    assert_close(ll, gauss_ll_toeplitz(gam, x, n), 1e-8 * fabs(ll));
    /* drop observation 700: compare with the Gaussian density of the rest */
    x[700] = NAN;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, n, 0, &ll), TSF_OK);
    size_t k = 0;
    double *S = malloc((n - 1) * (n - 1) * sizeof *S);
    for (size_t i = 0; i < n; i++) {
        if (i == 700) continue;
        xo[k++] = x[i];
    }
    size_t idx[900], nn = 0;
    for (size_t i = 0; i < n; i++)
        if (i != 700) idx[nn++] = i;
    for (size_t i = 0; i < nn; i++)
        for (size_t j = 0; j < nn; j++)
            S[i * nn + j] = gam[idx[i] > idx[j] ? idx[i] - idx[j] : idx[j] - idx[i]];
    assert_int_equal(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)nn, S, (lapack_int)nn), 0);
    assert_int_equal(LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'L', 'N', 'N', (lapack_int)nn, 1, S,
                                    (lapack_int)nn, xo, 1), 0);
    double ref = -0.5 * (double)nn * log(2.0 * M_PI);
    for (size_t i = 0; i < nn; i++) ref -= log(S[i * nn + i]) + 0.5 * xo[i] * xo[i];
    assert_close(ll, ref, 1e-8 * fabs(ref));
    free(S);
    free(x);
    free(xo);
}

static void test_simulate(void **state)
{
    (void)state;
    double phi = 0.7, s2 = 0.5;
    size_t n = 3, np = 20000;
    double *out = malloc(n * np * sizeof *out), *out2 = malloc(n * np * sizeof *out2);
    tsf_arima_ss m = {.p = 1, .phi = &phi, .sigma2 = s2};
    assert_int_equal(tsf_arima_ss_simulate(&m, n, np, 42, out), TSF_OK);
    assert_int_equal(tsf_arima_ss_simulate(&m, n, np, 42, out2), TSF_OK);
    assert_memory_equal(out, out2, n * np * sizeof *out);
    double v0 = 0, c01 = 0, v2 = 0;
    for (size_t k = 0; k < np; k++) {
        v0 += out[k * n] * out[k * n];
        c01 += out[k * n] * out[k * n + 1];
        v2 += out[k * n + 2] * out[k * n + 2];
    }
    v0 /= (double)np;
    c01 /= (double)np;
    v2 /= (double)np;
    double g0 = s2 / (1 - phi * phi);
    /* Monte Carlo tolerance: about 5 standard errors */
    assert_close(v0, g0, 5 * g0 * sqrt(2.0 / (double)np));
    assert_close(v2, g0, 5 * g0 * sqrt(2.0 / (double)np));
    assert_close(c01, phi * g0, 5 * g0 * sqrt(2.0 / (double)np));
    /* random walk from zero: Var x_t = (t+1) s2 when x_0 = e_0... the
     * integrated part starts at zero, so x_0 is the stationary (here
     * white) part alone */
    double d1 = 1.0;
    tsf_arima_ss rw = {.nd = 1, .delta = &d1, .sigma2 = s2};
    assert_int_equal(tsf_arima_ss_simulate(&rw, n, np, 1, out), TSF_OK);
    double vv = 0;
    for (size_t k = 0; k < np; k++) vv += out[k * n + 2] * out[k * n + 2];
    vv /= (double)np;
    assert_close(vv, 3 * s2, 5 * 3 * s2 * sqrt(2.0 / (double)np));
    free(out);
    free(out2);
}

static void test_errors(void **state)
{
    (void)state;
    double phi = 1.0, x[5] = {1, 2, 3, 4, 5}, ll;
    tsf_arima_ss m = {.p = 1, .phi = &phi, .sigma2 = 1.0};
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 5, 0, &ll), TSF_EDOMAIN);
    assert_errmsg_has("not stationary");
    phi = 0.5;
    m.sigma2 = 0.0;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 5, 0, &ll), TSF_EINVAL);
    m.sigma2 = 1.0;
    phi = NAN;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 5, 0, &ll), TSF_EINVAL);
    double ph2[2] = {0.5, 0.6}; /* 1 - .5z - .6z^2 has a root inside */
    m.p = 2;
    m.phi = ph2;
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 5, 0, &ll), TSF_EDOMAIN);
    assert_int_equal(tsf_arima_ss_loglik(&m, x, 5, 6, &ll), TSF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar1_closed_form),
        cmocka_unit_test(test_ma1_exact),
        cmocka_unit_test(test_arma_exact),
        cmocka_unit_test(test_differenced),
        cmocka_unit_test(test_kappa_start),
        cmocka_unit_test(test_forecast_closed_forms),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_long_with_late_missing),
        cmocka_unit_test(test_simulate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
