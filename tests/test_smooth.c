/* Kalman smoother and simulation smoother against dense Gaussian
 * conditioning of the joint distribution of the series, and against R's
 * KalmanSmooth (tests/data/smooth_ref.txt, made by tests/smooth_ref.R).
 *
 * The dense reference is built without the state-space form: the
 * stationary ARMA part u_t has autocovariances sigma2 sum_j psi_j
 * psi_{j+k} (the MA(infinity) weights, Brockwell & Davis 1991, eq.
 * 3.2.5), the integrated series is y_t = u_t + sum_i delta_i y_{t-i} with
 * the nd values before the start independent N(0, kappa sigma2) (the
 * filter's start, R's makeARIMA kappa), so y = C_u u + C_L L and
 * Cov(y) = C_u Gamma C_u' + kappa sigma2 C_L C_L'.  Missing values given
 * the observed ones: mu_m + S_mo S_oo^-1 (y_o - mu_o),
 * S_mm - S_mo S_oo^-1 S_om, in long double (kappa = 1e6 makes S_oo
 * ill-conditioned in double). */
#include "testutil.h"
#include "core/internal.h"
#include "core/model_impl.h"
#include "stats/arima_kf.h"
#include "stats/arima_ss.h"

typedef long double ld;

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

/* Covariance (n x n) of y under the model (mean zero). */
static ld *dense_cov(const double *phi, size_t p, const double *th, size_t q,
                     const double *delta, size_t nd, double sigma2, size_t n)
{
    size_t J = 20000;
    ld *psi = calloc(J, sizeof *psi), *gam = calloc(n, sizeof *gam);
    for (size_t j = 0; j < J; j++) {
        ld v = j == 0 ? 1.0L : (j <= q ? th[j - 1] : 0.0L);
        for (size_t i = 1; i <= p && i <= j; i++) v += phi[i - 1] * psi[j - i];
        psi[j] = v;
    }
    for (size_t k = 0; k < n; k++) {
        ld s = 0.0L;
        for (size_t j = 0; j + k < J; j++) s += psi[j] * psi[j + k];
        gam[k] = s * sigma2;
    }
    /* C_u (n x n) and C_L (n x nd): y_t = sum_s Cu[t][s] u_s + sum_i CL[t][i] L_i,
     * L_i = y_{-i} (i = 0..nd-1: y_0, y_{-1}, ... in 1-based time) */
    ld *Cu = calloc(n * n, sizeof *Cu), *CL = calloc(n * (nd ? nd : 1), sizeof *CL);
    for (size_t t = 0; t < n; t++) {
        Cu[t * n + t] = 1.0L;
        for (size_t i = 1; i <= nd; i++) {
            double d = delta[i - 1];
            if (t >= i) {
                for (size_t s = 0; s < n; s++) Cu[t * n + s] += d * Cu[(t - i) * n + s];
                for (size_t l = 0; l < nd; l++) CL[t * nd + l] += d * CL[(t - i) * nd + l];
            } else {
                CL[t * nd + (i - 1 - t)] += d; /* y_{t-i} before the start */
            }
        }
    }
    ld *S = calloc(n * n, sizeof *S), *W = calloc(n * n, sizeof *W);
    for (size_t t = 0; t < n; t++) /* W = Cu Gamma */
        for (size_t s = 0; s < n; s++) {
            ld v = 0.0L;
            for (size_t k = 0; k <= t; k++) v += Cu[t * n + k] * gam[k > s ? k - s : s - k];
            W[t * n + s] = v;
        }
    for (size_t t = 0; t < n; t++)
        for (size_t s = 0; s <= t; s++) {
            ld v = 0.0L;
            for (size_t k = 0; k <= s; k++) v += W[t * n + k] * Cu[s * n + k];
            for (size_t l = 0; l < nd; l++) v += 1e6L * sigma2 * CL[t * nd + l] * CL[s * nd + l];
            S[t * n + s] = S[s * n + t] = v;
        }
    free(psi);
    free(gam);
    free(Cu);
    free(CL);
    free(W);
    return S;
}

/* Conditional mean and variance of every y_t given the observed ones
 * (mu: the mean of y); observed: mean y_t, variance 0. */
static void dense_condition(const ld *S, const double *mu, const double *y, size_t n,
                            double *cm, double *cv)
{
    size_t *o = malloc(n * sizeof *o), no = 0;
    for (size_t t = 0; t < n; t++)
        if (!isnan(y[t])) o[no++] = t;
    ld *L = calloc(no * no, sizeof *L), *b = calloc(no, sizeof *b), *c = calloc(no, sizeof *c);
    for (size_t i = 0; i < no; i++)
        for (size_t j = 0; j <= i; j++) L[i * no + j] = S[o[i] * n + o[j]];
    for (size_t j = 0; j < no; j++) { /* Cholesky, lower */
        ld d = L[j * no + j];
        for (size_t k = 0; k < j; k++) d -= L[j * no + k] * L[j * no + k];
        assert_true(d > 0.0L);
        d = sqrtl(d);
        L[j * no + j] = d;
        for (size_t i = j + 1; i < no; i++) {
            ld v = L[i * no + j];
            for (size_t k = 0; k < j; k++) v -= L[i * no + k] * L[j * no + k];
            L[i * no + j] = v / d;
        }
    }
    for (size_t i = 0; i < no; i++) { /* b = L^-1 (y_o - mu_o) */
        ld v = (ld)y[o[i]] - mu[o[i]];
        for (size_t k = 0; k < i; k++) v -= L[i * no + k] * b[k];
        b[i] = v / L[i * no + i];
    }
    for (size_t t = 0; t < n; t++) {
        if (!isnan(y[t])) {
            cm[t] = y[t];
            cv[t] = 0.0;
            continue;
        }
        ld m = mu[t], v = S[t * n + t];
        for (size_t i = 0; i < no; i++) { /* c = L^-1 S_o,t */
            ld w = S[o[i] * n + t];
            for (size_t k = 0; k < i; k++) w -= L[i * no + k] * c[k];
            c[i] = w / L[i * no + i];
            m += c[i] * b[i];
            v -= c[i] * c[i];
        }
        cm[t] = (double)m;
        cv[t] = (double)v;
    }
    free(o);
    free(L);
    free(b);
    free(c);
}

/* Series of n values from the model with gaps at the start, middle and end. */
/* gaps at the start, the middle and the end, and a fraction pmiss at
 * random */
static void make_series(const tsf_arima_ss *m, size_t n, uint64_t seed, double pmiss, double *x)
{
    tsf_arima_ss_simulate(m, n, 1, seed, x);
    uint64_t s = seed;
    for (size_t t = 0; t < n; t++)
        if (t < 2 || (t >= n / 2 && t < n / 2 + 5) || t + 2 >= n || unif(&s) < pmiss) x[t] = NAN;
}

static void check_model_p(const tsf_arima_ss *m, size_t n, uint64_t seed, double pmiss)
{
    double *x = malloc(n * sizeof *x), *cm = malloc(n * sizeof *cm), *cv = malloc(n * sizeof *cv);
    double *ym = malloc(n * sizeof *ym), *yv = malloc(n * sizeof *yv), *mu = calloc(n, sizeof *mu);
    size_t dim = tsf_arima_ss_dim(m);
    double *sm = malloc(n * dim * sizeof *sm), *sv = malloc(n * dim * sizeof *sv);
    make_series(m, n, seed, pmiss, x);
    ld *S = dense_cov(m->phi, m->p, m->theta, m->q, m->delta, m->nd, m->sigma2, n);
    dense_condition(S, mu, x, n, cm, cv);
    assert_int_equal(tsf_arima_ss_smooth(m, x, n, ym, yv, sm, sv), TSF_OK);
    double scale = 0.0;
    for (size_t t = 0; t < n; t++) scale = fmax(scale, fabs(cm[t]));
    for (size_t t = 0; t < n; t++) {
        assert_rel(ym[t], cm[t], 1e-8, 1e-8 * scale);
        assert_rel(yv[t], cv[t], 1e-8, 1e-8 * m->sigma2);
        /* the state's first element plus the lags' loading is y_t */
        if (!isnan(x[t])) assert_true(yv[t] == 0.0 && ym[t] == x[t]);
    }
    /* state element 0 of an undifferenced model is y_t itself */
    if (m->nd == 0)
        for (size_t t = 0; t < n; t++) {
            assert_rel(sm[t * dim], cm[t], 1e-8, 1e-8 * scale);
            assert_rel(sv[t * dim], cv[t], 1e-8, 1e-8 * m->sigma2);
        }
    free(S);
    free(x);
    free(cm);
    free(cv);
    free(ym);
    free(yv);
    free(mu);
    free(sm);
    free(sv);
}

static void check_model(const tsf_arima_ss *m, size_t n, uint64_t seed)
{
    check_model_p(m, n, seed, 0.1);
}

static void test_ar(void **state)
{
    (void)state;
    double phi[2] = {0.5, 0.3};
    tsf_arima_ss m = {2, 0, 0, phi, NULL, NULL, 2.0};
    check_model(&m, 80, 11);
}

static void test_arma(void **state)
{
    (void)state;
    double phi[1] = {0.7}, th[2] = {0.4, -0.3};
    tsf_arima_ss m = {1, 2, 0, phi, th, NULL, 0.5};
    check_model(&m, 90, 12);
}

static void test_arima_d(void **state)
{
    (void)state;
    double phi[2] = {0.4, 0.2}, th[1] = {-0.3}, delta[1] = {1.0};
    tsf_arima_ss m = {2, 1, 1, phi, th, delta, 1.5};
    check_model(&m, 80, 13);
    double delta2[2] = {2.0, -1.0}; /* d = 2 */
    tsf_arima_ss m2 = {1, 1, 2, phi, th, delta2, 1.0};
    check_model(&m2, 60, 14);
}

static void test_arima_seasonal(void **state)
{
    (void)state;
    /* (0,1,1)(0,1,1)[4]: delta of (1-B)(1-B^4), theta of (1+.4B)(1-.5B^4) */
    double delta[5] = {1, 0, 0, 1, -1}, th[5] = {0.4, 0, 0, -0.5, -0.2};
    tsf_arima_ss m = {0, 5, 5, NULL, th, delta, 1.0};
    check_model(&m, 60, 15);
}

/* The public API: a regression with ARIMA errors fitted by tsf, smoothed,
 * against the dense conditioning with its fitted coefficients. */
static void test_regression(void **state)
{
    (void)state;
    size_t n = 90;
    double *y = malloc(n * sizeof *y), *xr = malloc(n * sizeof *xr);
    uint64_t s = 99;
    double u = 0.0;
    for (size_t t = 0; t < n; t++) {
        xr[t] = sin(0.3 * (double)t) + 0.1 * (double)(t % 7);
        u = 0.6 * u + gauss(&s);
        y[t] = 10.0 + 3.0 * xr[t] + u;
    }
    y[0] = y[1] = y[40] = y[41] = y[42] = y[n - 1] = NAN;
    const char *names[1] = {"x1"};
    tsf_xreg X = {1, xr, n, names};
    tsf_model *mod;
    assert_int_equal(tsf_model_new("arima(1,0,1)", &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, n, &X, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(mod, &info), TSF_OK);
    assert_int_equal(info.ncoef, 4); /* ar1 ma1 intercept x1 */
    double phi[1] = {info.coef[0]}, th[1] = {info.coef[1]};
    double *mu = malloc(n * sizeof *mu), *cm = malloc(n * sizeof *cm), *cv = malloc(n * sizeof *cv);
    for (size_t t = 0; t < n; t++) mu[t] = info.coef[2] + info.coef[3] * xr[t];
    ld *S = dense_cov(phi, 1, th, 1, NULL, 0, info.sigma2, n);
    dense_condition(S, mu, y, n, cm, cv);
    tsf_smooth_result *res;
    assert_int_equal(tsf_smooth(mod, y, n, &X, &res), TSF_OK);
    assert_int_equal(res->n, n);
    assert_int_equal(res->dim, 2);
    for (size_t t = 0; t < n; t++) {
        assert_rel(res->mean[t], cm[t], 1e-8, 1e-8);
        assert_rel(res->se[t] * res->se[t], cv[t], 1e-8, 1e-10);
    }
    /* without its regressors: an error, no result */
    tsf_smooth_result *bad = (tsf_smooth_result *)&bad;
    assert_int_equal(tsf_smooth(mod, y, n, NULL, &bad), TSF_EINVAL);
    assert_null(bad);
    tsf_smooth_free(res);
    tsf_smooth_free(NULL);
    tsf_model_free(mod);
    free(S);
    free(y);
    free(xr);
    free(mu);
    free(cm);
    free(cv);
}

/* ar() through the public API (its own family, same engine). */
static void test_ar_family(void **state)
{
    (void)state;
    size_t n = 100;
    double *y = malloc(n * sizeof *y);
    uint64_t s = 5;
    double u1 = 0.0, u2 = 0.0;
    for (size_t t = 0; t < n; t++) {
        double u = 0.6 * u1 - 0.2 * u2 + gauss(&s);
        u2 = u1;
        u1 = u;
        y[t] = 50.0 + u;
    }
    tsf_model *mod;
    assert_int_equal(tsf_model_new("ar(2, method=burg)", &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, n, NULL, 1, NULL), TSF_OK);
    y[0] = y[50] = y[51] = y[n - 1] = NAN;
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(mod, &info), TSF_OK);
    double *mu = malloc(n * sizeof *mu), *cm = malloc(n * sizeof *cm), *cv = malloc(n * sizeof *cv);
    for (size_t t = 0; t < n; t++) mu[t] = info.mean;
    ld *S = dense_cov(info.coef, 2, NULL, 0, NULL, 0, info.sigma2, n);
    dense_condition(S, mu, y, n, cm, cv);
    tsf_smooth_result *res;
    assert_int_equal(tsf_smooth(mod, y, n, NULL, &res), TSF_OK);
    for (size_t t = 0; t < n; t++) {
        assert_rel(res->mean[t], cm[t], 1e-8, 1e-8);
        assert_rel(res->se[t] * res->se[t], cv[t], 1e-8, 1e-10);
    }
    tsf_smooth_free(res);
    tsf_model_free(mod);
    free(S);
    free(y);
    free(mu);
    free(cm);
    free(cv);
}

/* Simulation smoother: mean and covariance of 20000 draws against the
 * exact conditional moments (dense), within Monte Carlo error. */
static void test_draws(void **state)
{
    (void)state;
    double phi[1] = {0.5}, th[1] = {0.3}, delta[1] = {1.0};
    tsf_arima_ss m = {1, 1, 1, phi, th, delta, 2.0};
    size_t n = 40, K = 20000;
    double *x = malloc(n * sizeof *x), *cm = malloc(n * sizeof *cm), *cv = malloc(n * sizeof *cv);
    double *mu = calloc(n, sizeof *mu), *d = malloc(K * n * sizeof *d);
    make_series(&m, n, 21, 0.1, x);
    ld *S = dense_cov(phi, 1, th, 1, delta, 1, 2.0, n);
    dense_condition(S, mu, x, n, cm, cv);
    assert_int_equal(tsf_arima_ss_smooth_draws(&m, x, n, K, 7, d), TSF_OK);
    size_t nm = 0;
    for (size_t t = 0; t < n; t++) {
        if (!isnan(x[t])) {
            for (size_t k = 0; k < K; k++) assert_true(d[k * n + t] == x[t]);
            continue;
        }
        nm++;
        double s1 = 0.0, s2 = 0.0;
        for (size_t k = 0; k < K; k++) s1 += d[k * n + t];
        double mean = s1 / (double)K;
        for (size_t k = 0; k < K; k++) s2 += (d[k * n + t] - mean) * (d[k * n + t] - mean);
        double var = s2 / (double)(K - 1);
        /* mean within 4 s.e.; variance within 4 s.e. of a normal sample variance */
        assert_close(mean, cm[t], 4.0 * sqrt(cv[t] / (double)K));
        assert_close(var, cv[t], 4.0 * cv[t] * sqrt(2.0 / (double)(K - 1)));
    }
    assert_true(nm >= 5);
    /* covariance of two neighbouring missing values (the gap in the middle) */
    size_t a = n / 2, b = n / 2 + 1;
    double sab = 0.0, ma = 0.0, mb = 0.0;
    for (size_t k = 0; k < K; k++) {
        ma += d[k * n + a];
        mb += d[k * n + b];
    }
    ma /= (double)K;
    mb /= (double)K;
    for (size_t k = 0; k < K; k++) sab += (d[k * n + a] - ma) * (d[k * n + b] - mb);
    sab /= (double)(K - 1);
    /* exact conditional covariance: condition y_b on y_a too */
    double cab;
    {
        double *x2 = malloc(n * sizeof *x2), *cm2 = malloc(n * sizeof *cm2), *cv2 = malloc(n * sizeof *cv2);
        memcpy(x2, x, n * sizeof *x2);
        x2[a] = cm[a] + 1.0; /* Var(b | a, obs) = cv_b - cab^2 / cv_a; E shifts by cab / cv_a */
        dense_condition(S, mu, x2, n, cm2, cv2);
        cab = (cm2[b] - cm[b]) * cv[a];
        free(x2);
        free(cm2);
        free(cv2);
    }
    double sd = sqrt(cv[a] * cv[b] + cab * cab) / sqrt((double)K);
    assert_close(sab, cab, 4.0 * sd);
    /* the same seed gives the same draws */
    double *d2 = malloc(2 * n * sizeof *d2);
    assert_int_equal(tsf_arima_ss_smooth_draws(&m, x, n, 2, 7, d2), TSF_OK);
    for (size_t i = 0; i < 2 * n; i++) assert_true(d2[i] == d[i]);
    free(d2);
    free(S);
    free(x);
    free(cm);
    free(cv);
    free(mu);
    free(d);
}

/* R's KalmanSmooth(y, makeARIMA(phi, theta, Delta, kappa = 1e6)) on
 * real series with gaps (tests/smooth_ref.R writes the file). */
static void test_r_reference(void **state)
{
    (void)state;
    char path[512];
    FILE *f = fopen(test_path("data/smooth_ref.txt", path, sizeof path), "r");
    assert_non_null(f);
    char name[64];
    size_t ncase = 0;
    while (fscanf(f, "%63s", name) == 1) {
        size_t p, q, nd, n;
        double sigma2;
        assert_int_equal(fscanf(f, "%zu %zu %zu %zu %lf", &p, &q, &nd, &n, &sigma2), 5);
        double phi[40], th[40], delta[40];
        for (size_t i = 0; i < p; i++) assert_int_equal(fscanf(f, "%lf", &phi[i]), 1);
        for (size_t i = 0; i < q; i++) assert_int_equal(fscanf(f, "%lf", &th[i]), 1);
        for (size_t i = 0; i < nd; i++) assert_int_equal(fscanf(f, "%lf", &delta[i]), 1);
        double *x = malloc(n * sizeof *x), *rm = malloc(n * sizeof *rm), *rv = malloc(n * sizeof *rv);
        char tok[64];
        for (size_t t = 0; t < n; t++) {
            assert_int_equal(fscanf(f, "%63s", tok), 1);
            x[t] = strcmp(tok, "NA") ? strtod(tok, NULL) : NAN;
            assert_int_equal(fscanf(f, "%lf %lf", &rm[t], &rv[t]), 2);
        }
        tsf_arima_ss m = {p, q, nd, phi, th, delta, sigma2};
        double *ym = malloc(n * sizeof *ym), *yv = malloc(n * sizeof *yv);
        assert_int_equal(tsf_arima_ss_smooth(&m, x, n, ym, yv, NULL, NULL), TSF_OK);
        double scale = 0.0;
        for (size_t t = 0; t < n; t++) scale = fmax(scale, fabs(rm[t]));
        for (size_t t = 0; t < n; t++) {
            if (!isnan(x[t])) continue; /* R's var of observed y is rounding noise */
            assert_rel(ym[t], rm[t], 1e-7, 1e-9 * scale);
            assert_rel(yv[t], rv[t] * sigma2, 1e-6, 1e-9 * sigma2);
        }
        free(x);
        free(rm);
        free(rv);
        free(ym);
        free(yv);
        ncase++;
    }
    fclose(f);
    assert_true(ncase >= 3);
}

/* Scenario forecasts: tsf_forecast with given future values against the
 * dense conditioning of the joint distribution of history and future. */
static void check_given(const char *spec, int with_x)
{
    size_t n = 70, h = 10, N = n + h;
    double *y = malloc(N * sizeof *y), *xr = malloc(N * sizeof *xr);
    uint64_t s = 123;
    double u = 0.0, lvl = 0.0;
    for (size_t t = 0; t < N; t++) {
        xr[t] = cos(0.4 * (double)t);
        u = 0.5 * u + gauss(&s);
        lvl += u;
        y[t] = 100.0 + lvl + (with_x ? 4.0 * xr[t] : 0.0);
    }
    y[10] = y[11] = NAN;
    const char *names[1] = {"x1"};
    tsf_xreg X = {1, xr, n, names}, Xf = {1, xr + n, h, names};
    tsf_model *mod;
    assert_int_equal(tsf_model_new(spec, &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, n, with_x ? &X : NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(mod, &info), TSF_OK);
    size_t steps[2] = {3, 7};
    double vals[2] = {y[n + 2] + 5.0, y[n + 6] - 3.0};
    tsf_forecast_opts o;
    tsf_forecast_opts_init(&o); /* size set: the given fields are read */
    o.ngiven = 2;
    o.given_step = steps;
    o.given_value = vals;
    o.xreg_future = with_x ? &Xf : NULL;
    double lev[1] = {95};
    tsf_forecast_result *fc;
    assert_int_equal(tsf_forecast(mod, y, n, with_x ? &X : NULL, h, lev, 1, &o, &fc), TSF_OK);
    /* dense: ARIMA(1,1,1) without regression, or ARIMA(1,0,1) + intercept + x */
    double phi[1] = {info.coef[0]}, th[1] = {info.coef[1]}, delta[1] = {1.0};
    double *ye = malloc(N * sizeof *ye), *mu = calloc(N, sizeof *mu);
    double *cm = malloc(N * sizeof *cm), *cv = malloc(N * sizeof *cv);
    memcpy(ye, y, n * sizeof *ye);
    for (size_t i = 0; i < h; i++) ye[n + i] = NAN;
    ye[n + 2] = vals[0];
    ye[n + 6] = vals[1];
    if (with_x)
        for (size_t t = 0; t < N; t++) mu[t] = info.coef[2] + info.coef[3] * xr[t];
    ld *S = dense_cov(phi, 1, th, 1, delta, with_x ? 0 : 1, info.sigma2, N);
    dense_condition(S, mu, ye, N, cm, cv);
    double z = 1.959963984540054;
    for (size_t i = 0; i < h; i++) {
        assert_rel(fc->mean[i], cm[n + i], 1e-8, 1e-8);
        assert_rel(fc->se[i] * fc->se[i], cv[n + i], 1e-8, 1e-10);
        assert_rel(fc->upper[i], cm[n + i] + z * sqrt(cv[n + i]), 1e-8, 1e-8);
    }
    assert_true(fc->mean[2] == vals[0] && fc->se[2] == 0.0 && fc->lower[2] == vals[0]);
    tsf_forecast_free(fc);
    /* bad given values: outside the horizon, twice, not finite */
    steps[1] = 11;
    assert_int_equal(tsf_forecast(mod, y, n, with_x ? &X : NULL, h, lev, 1, &o, &fc), TSF_EINVAL);
    steps[1] = 3;
    assert_int_equal(tsf_forecast(mod, y, n, with_x ? &X : NULL, h, lev, 1, &o, &fc), TSF_EINVAL);
    assert_errmsg_has("twice");
    steps[1] = 7;
    vals[1] = NAN;
    assert_int_equal(tsf_forecast(mod, y, n, with_x ? &X : NULL, h, lev, 1, &o, &fc), TSF_EINVAL);
    vals[1] = y[n + 6] - 3.0;
    /* sequential Monte Carlo against the exact answer: means within 3
     * Monte Carlo standard errors (sd / sqrt(ESS)) with 2000 particles */
    o.conditioning = TSF_CONDITIONING_SMC;
    o.samples = 2000;
    o.seed = 42;
    assert_int_equal(tsf_forecast(mod, y, n, with_x ? &X : NULL, h, lev, 1, &o, &fc), TSF_OK);
    assert_non_null(fc->ess);
    double ess = fmin(fc->ess[2], fc->ess[6]);
    assert_true(ess > 20.0 && ess <= 2000.0 && isnan(fc->ess[0]));
    for (size_t i = 0; i < h; i++) {
        if (i == 2 || i == 6) {
            assert_true(fc->mean[i] == vals[i == 2 ? 0 : 1] && fc->se[i] == 0.0);
            continue;
        }
        double sd = sqrt(cv[n + i]);
        assert_close(fc->mean[i], cm[n + i], 3.0 * sd / sqrt(ess));
        assert_rel(fc->se[i], sd, 0.2, 0.0);
    }
    tsf_forecast_free(fc);
    tsf_model_free(mod);
    free(S);
    free(y);
    free(xr);
    free(ye);
    free(mu);
    free(cm);
    free(cv);
}

static void test_given(void **state)
{
    (void)state;
    check_given("arima(1,1,1)", 0);
    check_given("arima(1,0,1)", 1);
}

/* The particle smoother (what families without a Kalman smoother use)
 * against the exact smoother on an ARIMA: means within 3 Monte Carlo
 * standard errors, sd / sqrt(distinct surviving values) at each gap. */
static void test_particle_smoother(void **state)
{
    (void)state;
    size_t n = 60, N = 2000;
    double phi[1] = {0.7};
    tsf_arima_ss gen = {1, 0, 0, phi, NULL, NULL, 1.0};
    double *y = malloc(n * sizeof *y);
    tsf_arima_ss_simulate(&gen, n, 1, 8, y);
    for (size_t t = 0; t < n; t++) y[t] += 10.0;
    tsf_model *mod;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, n, NULL, 1, NULL), TSF_OK);
    y[30] = y[31] = y[32] = y[55] = NAN;
    tsf_smooth_result *res;
    assert_int_equal(tsf_smooth(mod, y, n, NULL, &res), TSF_OK);
    double *mu = malloc(n * sizeof *mu), *sd = malloc(n * sizeof *sd), *dr = malloc(N * n * sizeof *dr);
    assert_int_equal(tsf_smc_smooth(mod, y, n, NULL, N, 3, mu, sd, N, dr), TSF_OK);
    size_t gaps[4] = {30, 31, 32, 55};
    for (size_t g = 0; g < 4; g++) {
        size_t t = gaps[g], distinct = 0;
        /* distinct values among the weighted draws */
        for (size_t i = 0; i < N; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) seen = dr[j * n + t] == dr[i * n + t];
            distinct += !seen;
        }
        assert_true(distinct >= 20);
        assert_close(mu[t], res->mean[t], 3.0 * res->se[t] / sqrt((double)distinct));
        assert_rel(sd[t], res->se[t], 0.25, 0.0);
    }
    for (size_t t = 0; t < n; t++)
        if (!isnan(y[t])) assert_true(mu[t] == y[t] && sd[t] == 0.0);
    tsf_smooth_free(res);
    tsf_model_free(mod);
    free(y);
    free(mu);
    free(sd);
    free(dr);
}

/* Particle hooks of the neural families: a clone evolves exactly as its
 * original and independently of it; sampling draws by the head's inverse
 * CDF (u = 0.5 is the median, the mean of a symmetric head). */
static void test_neural_clone(void **state)
{
    (void)state;
    const char *specs[2] = {"gru(hidden=4, context=8)", "transformer(d=8, heads=2, layers=1, "
                                                        "context=16, head=student-t)"};
    size_t n = 60;
    double y[60];
    uint64_t sd = 4;
    for (size_t t = 0; t < n; t++) y[t] = 10.0 + sin(0.5 * (double)t) + 0.1 * gauss(&sd);
    for (size_t k = 0; k < 2; k++) {
        tsf_model *mod;
        tsf_fit_opts o = {0};
        o.epochs = 2;
        o.seed = 1;
        assert_int_equal(tsf_model_new(specs[k], &mod), TSF_OK);
        assert_int_equal(tsf_fit(mod, y, n, NULL, 1, &o), TSF_OK);
        tsf_state *a, *b, *c;
        assert_int_equal(tsf_state_new(mod, &a), TSF_OK);
        for (size_t t = 0; t < 40; t++) assert_int_equal(tsf_state_update(a, y[t], NULL), TSF_OK);
        assert_int_equal(tsf_state_clone(a, &b), TSF_OK);
        assert_int_equal(tsf_state_clone(a, &c), TSF_OK);
        for (size_t t = 40; t < 45; t++) {
            double la, lb;
            assert_int_equal(tsf_state_update(a, y[t], &la), TSF_OK);
            assert_int_equal(tsf_state_update(b, y[t], &lb), TSF_OK);
            assert_true(la == lb);
        }
        /* c diverges: a and b stay equal */
        assert_int_equal(tsf_state_update(c, 99.0, NULL), TSF_OK);
        tsf_forecast_result *fa, *fb;
        double lev[1] = {80};
        assert_int_equal(tsf_state_forecast(a, 1, lev, 1, NULL, &fa), TSF_OK);
        assert_int_equal(tsf_state_forecast(b, 1, lev, 1, NULL, &fb), TSF_OK);
        assert_true(fa->mean[0] == fb->mean[0] && fa->upper[0] == fb->upper[0]);
        tsf_forecast_free(fa);
        tsf_forecast_free(fb);
        double va, vb;
        assert_int_equal(tsf_state_sample(a, NULL, 0, 0.5, &va), TSF_OK);
        assert_int_equal(tsf_state_sample(b, NULL, 0, 0.9, &vb), TSF_OK);
        assert_true(vb > va && isfinite(va));
        tsf_state_free(a);
        tsf_state_free(b);
        tsf_state_free(c);
        tsf_model_free(mod);
    }
}

/* The steady-state path (fixed points of P and N, each step's matrices
 * computed once and looked up) against the same recursions run at every
 * step (tsf_arima_ss_smooth_full), all outputs and the y-only mode, to
 * tol relative and 0.01 tol of the largest value absolute (compare_paths:
 * 1e-10). */
static void compare_paths_tol(const tsf_arima_ss *m, size_t n, uint64_t seed, double pmiss,
                              double tol)
{
    size_t dim = tsf_arima_ss_dim(m), len[4] = {n, n, n * dim, n * dim};
    double *x = malloc(n * sizeof *x), *o[2][4], *ym = malloc(n * sizeof *ym);
    double *yv = malloc(n * sizeof *yv);
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 4; a++) o[k][a] = malloc(len[a] * sizeof(double));
    tsf_arima_ss_simulate(m, n, 1, seed, x);
    uint64_t s = seed;
    for (size_t t = 0; t < n; t++)
        if (t < 3 || (t >= n / 2 && t < n / 2 + 7) || t + 4 >= n || unif(&s) < pmiss) x[t] = NAN;
    assert_int_equal(tsf_arima_ss_smooth(m, x, n, o[0][0], o[0][1], o[0][2], o[0][3]), TSF_OK);
    assert_int_equal(tsf_arima_ss_smooth_full(m, x, n, o[1][0], o[1][1], o[1][2], o[1][3]),
                     TSF_OK);
    assert_int_equal(tsf_arima_ss_smooth(m, x, n, ym, yv, NULL, NULL), TSF_OK);
    for (int a = 0; a < 4; a++) {
        double scale = 0.0;
        for (size_t i = 0; i < len[a]; i++) scale = fmax(scale, fabs(o[1][a][i]));
        for (size_t i = 0; i < len[a]; i++)
            assert_rel(o[0][a][i], o[1][a][i], tol, 1e-2 * tol * scale);
        if (a < 2)
            for (size_t i = 0; i < n; i++)
                assert_rel(a ? yv[i] : ym[i], o[1][a][i], tol, 1e-2 * tol * scale);
    }
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 4; a++) free(o[k][a]);
    free(x);
    free(ym);
    free(yv);
}

static void compare_paths(const tsf_arima_ss *m, size_t n, uint64_t seed, double pmiss)
{
    compare_paths_tol(m, n, seed, pmiss, 1e-10);
}

static void test_steady_vs_full(void **state)
{
    (void)state;
    /* long, gaps at the start, the middle, the end and 2% at random: the
     * filter and the backward recursion reach their fixed points between
     * gaps (the bench's model; the shape-specialised loops) */
    double phi[2] = {0.5, -0.3}, th[1] = {0.4}, delta[1] = {1.0};
    tsf_arima_ss m = {2, 1, 1, phi, th, delta, 2.0};
    compare_paths(&m, 4000, 31, 0.02);
    /* ARIMA(5,1,0): state dimension 6, general loops with the one-product
     * observed step */
    double phi5[5] = {0.3, -0.2, 0.1, 0.15, -0.1};
    tsf_arima_ss m5 = {5, 0, 1, phi5, NULL, delta, 1.0};
    compare_paths(&m5, 1500, 34, 0.03);
    /* seasonal, state dimension 11 (the general loops) */
    double phi4[1] = {0.5}, th4[5] = {0.4, 0, 0, -0.6, -0.24}, d4[5] = {1, 0, 0, 1, -1};
    tsf_arima_ss m4 = {1, 5, 5, phi4, th4, d4, 0.7};
    compare_paths(&m4, 2000, 32, 0.05);
    /* short monthly airline model with MA roots near 1: the recursions
     * never converge in 48 steps, every step is its own */
    double th12[13] = {-0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.9, 0.81};
    double d12[13] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1};
    tsf_arima_ss m12 = {0, 13, 13, NULL, th12, d12, 1.3};
    compare_paths(&m12, 48, 33, 0.1);
}

/* Long observed runs between the gaps: the filter reaches its fixed point
 * and, the model being invertible, the filtered variance there is zero,
 * so those times are decoupled (the smoothed state is the filtered one,
 * N_t = 0, only r_t runs back; arima_smooth.c, Decoupling).  Against
 * dense conditioning, and the fast path against the recursions at every
 * step to 1e-10. */
static void test_decoupled(void **state)
{
    (void)state;
    double phi[2] = {0.5, -0.3}, th[1] = {0.4}, delta[1] = {1.0};
    tsf_arima_ss m = {2, 1, 1, phi, th, delta, 2.0};
    check_model_p(&m, 300, 41, 0.0);
    check_model_p(&m, 300, 42, 0.01);
    double phi1[1] = {0.6}, th1[1] = {-0.5};
    tsf_arima_ss m1 = {1, 1, 0, phi1, th1, NULL, 1.5};
    check_model_p(&m1, 250, 43, 0.0);
    compare_paths(&m, 5000, 44, 0.01);
    compare_paths(&m1, 3000, 45, 0.005);
    /* an MA root near 1: P converges slowly, its fixed point keeps a
     * filtered variance above the decoupling tolerance (the observed-run
     * path without decoupling); a change below 1e-13 per step of a
     * recursion that contracts by only 0.98 a step leaves P ~5e-12 from
     * its limit: 3e-11 absolute differences (the same before decoupling
     * existed), hence 1e-8 */
    double th9[1] = {-0.99};
    tsf_arima_ss m9 = {1, 1, 1, phi1, th9, delta, 1.0};
    compare_paths_tol(&m9, 6000, 46, 0.0005, 1e-8);
}

static void test_bad(void **state)
{
    (void)state;
    tsf_model *mod;
    tsf_smooth_result *res;
    double y[5] = {1, 2, NAN, 4, 5};
    assert_int_equal(tsf_model_new("arima(1,0,0)", &mod), TSF_OK);
    assert_int_equal(tsf_smooth(mod, y, 5, NULL, &res), TSF_EINVAL); /* not fitted */
    assert_null(res);
    tsf_model_free(mod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar),
        cmocka_unit_test(test_arma),
        cmocka_unit_test(test_arima_d),
        cmocka_unit_test(test_arima_seasonal),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_ar_family),
        cmocka_unit_test(test_draws),
        cmocka_unit_test(test_r_reference),
        cmocka_unit_test(test_given),
        cmocka_unit_test(test_particle_smoother),
        cmocka_unit_test(test_neural_clone),
        cmocka_unit_test(test_steady_vs_full),
        cmocka_unit_test(test_decoupled),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
