/* arima family: CSS, parameter transforms, optimality of the fit, methods
 * and regressors against R, streaming state, errors. */
#include "testutil.h"
#include "series_reader.h"
#include "core/internal.h"
#include "tsf/stats.h"
#include "stats/arima_impl.h"

/* R's lh series (datasets::lh) */
static const double lh[48] = {
    2.4, 2.4, 2.4, 2.2, 2.1, 1.5, 2.3, 2.3, 2.5, 2.0, 1.9, 1.7, 2.2, 1.8, 3.2, 3.2,
    2.7, 2.2, 2.2, 1.9, 1.9, 1.8, 2.7, 3.0, 2.3, 2.0, 2.0, 2.9, 2.9, 2.7, 2.7, 2.3,
    2.6, 2.4, 1.8, 1.7, 1.5, 1.4, 2.1, 3.3, 3.5, 3.5, 3.1, 2.6, 2.1, 3.4, 3.0, 2.9};

static size_t read_col(const char *file, double *y, size_t cap)
{
    size_t n = read_dataset_into(file, y, cap);
    assert_true(n > 0); /* datasets/<file>.csv is shipped with the project */
    return n;
}

static tsf_model *fit_spec(const char *spec, const double *y, size_t n, const tsf_fit_opts *o)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_status st = tsf_fit(m, y, n, NULL, 1, o);
    if (st) fail_msg("fit %s: %s", spec, tsf_errmsg());
    return m;
}

static void test_css_closed_form(void **state)
{
    (void)state;
    /* AR(1) without mean by CSS is least squares through the origin */
    tsf_fit_opts o = {0};
    o.method = TSF_METHOD_CSS;
    o.include_mean = -1;
    tsf_model *m = fit_spec("arima(1,0,0)", lh, 48, &o);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    double sxy = 0, sxx = 0;
    for (int t = 1; t < 48; t++) {
        sxy += lh[t] * lh[t - 1];
        sxx += lh[t - 1] * lh[t - 1];
    }
    double phi = sxy / sxx, ssq = 0;
    for (int t = 1; t < 48; t++) ssq += (lh[t] - phi * lh[t - 1]) * (lh[t] - phi * lh[t - 1]);
    assert_close(info.coef[0], phi, 1e-6);
    assert_close(info.sigma2, ssq / 47.0, 1e-8);
    tsf_model_free(m);

    /* the CSS sum itself on MA(1): e_t = x_t - theta e_{t-1}, e_{-1} = 0 */
    double th = 0.4, w[48], e[48], s, ref = 0, prev = 0;
    size_t nu;
    tsf_arima_css(lh, 48, NULL, 0, NULL, 0, &th, 1, 0, w, e, &s, &nu);
    for (int t = 0; t < 48; t++) {
        prev = lh[t] - th * prev;
        ref += prev * prev;
    }
    assert_int_equal(nu, 48);
    assert_close(s, ref, 1e-10);
}

static void test_css_vs_r(void **state)
{
    (void)state;
    /* R 4.2.2: arima(lh, order = c(1,0,1), method = "CSS") */
    tsf_fit_opts o = {0};
    o.method = TSF_METHOD_CSS;
    tsf_model *m = fit_spec("arima(1,0,1)", lh, 48, &o);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_rel(info.coef[0], 0.4631391619, 1e-3, 1e-4);
    assert_rel(info.coef[1], 0.2003612956, 1e-3, 1e-4);
    assert_rel(info.coef[2], 2.4109463961, 1e-4, 0);
    assert_rel(info.sigma2, 0.1963639896, 1e-4, 0);
    assert_close(info.loglik, -29.0422035371, 1e-4);
    tsf_model_free(m);
    /* arima(WWWusage, order = c(1,1,1), method = "CSS") */
    double y[200];
    size_t n = read_col("WWWusage", y, 200);
    m = fit_spec("arima(1,1,1)", y, n, &o);
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_rel(info.coef[0], 0.6478107425, 1e-3, 1e-4);
    assert_rel(info.coef[1], 0.5293180165, 1e-3, 1e-4);
    assert_rel(info.sigma2, 9.826981417, 1e-4, 0);
    assert_close(info.loglik, -253.588939300, 1e-3);
    tsf_model_free(m);
}

/* The analytic CSS residual derivatives (seasonal factors and a
 * regressor included) against central differences. */
static void test_css_jacobian(void **state)
{
    (void)state;
    double y[300];
    size_t n = read_col("AirPassengers", y, 300);
    assert_int_equal(n, 144);
    for (size_t t = 0; t < n; t++) y[t] = log(y[t]);
    y[40] = NAN; /* a missing value inside */
    /* seasonal with every factor, then nonseasonal (another code path) */
    tsf_arima_order orders[2] = {{1, 1, 1, 1, 1, 1, 12}, {2, 1, 2, 0, 0, 0, 1}};
    double pars[2][5] = {{0.3, -0.4, 0.2, -0.5, 0.01}, {0.3, -0.2, 0.4, 0.1, 0.01}};
    double *work = malloc(TSF_ARIMA_CSS_WORK(144, 13, 13) * sizeof *work);
    for (int oi = 0; oi < 2; oi++) {
        tsf_arima_order o = orders[oi];
        double delta[13] = {0}, X[144];
        tsf_arima_delta(&o, delta);
        for (size_t t = 0; t < n; t++) X[t] = sin((double)t);
        double *par = pars[oi]; /* ARMA coefficients, then beta */
        size_t nd = (size_t)(o.d + o.s * o.D), ncond = nd + (size_t)(o.p + o.s * o.P), np = 5;
        double e[144], J[5 * 144], ep[144], em[144], x[144], ssq;
        size_t nu;
        for (size_t t = 0; t < n; t++) x[t] = y[t] - par[4] * X[t];
        assert_int_equal(tsf_arima_css_jac(&o, par, x, n, X, 1, delta, nd, ncond, work, e, J, &ssq, &nu),
                         TSF_OK);
        assert_true(nu > 50 && nu < n - ncond);
        for (size_t c = 0; c < np; c++) {
            double pp[5], pm[5], h = 1e-6, s1, s2;
            memcpy(pp, par, sizeof pp);
            memcpy(pm, par, sizeof pm);
            pp[c] += h;
            pm[c] -= h;
            for (size_t t = 0; t < n; t++) x[t] = y[t] - pp[4] * X[t];
            tsf_arima_css_jac(&o, pp, x, n, X, 1, delta, nd, ncond, work, ep, NULL, &s1, &nu);
            for (size_t t = 0; t < n; t++) x[t] = y[t] - pm[4] * X[t];
            tsf_arima_css_jac(&o, pm, x, n, X, 1, delta, nd, ncond, work, em, NULL, &s2, &nu);
            for (size_t t = 0; t < n; t++) assert_close(J[c * n + t], (ep[t] - em[t]) / (2 * h), 1e-6);
        }
    }
    free(work);
}

static void test_partrans(void **state)
{
    (void)state;
    double raw[4] = {0.3, -1.2, 0.8, 2.5}, phi[4], back[4], work[8];
    tsf_arima_partrans(raw, 4, phi, work);
    assert_true(tsf_arima_ar_stationary(phi, 4, work));
    assert_int_equal(tsf_arima_partrans_inv(phi, 4, back, work), TSF_OK);
    for (int i = 0; i < 4; i++) assert_close(back[i], raw[i], 1e-10);
    /* p = 1: phi = tanh(raw) */
    tsf_arima_partrans(raw, 1, phi, work);
    assert_close(phi[0], tanh(0.3), 1e-15);
    /* Jacobian against central differences */
    double J[16], h = 1e-6;
    assert_int_equal(tsf_arima_partrans_jac(raw, 4, J), TSF_OK);
    for (int j = 0; j < 4; j++) {
        double rp[4], rm[4], fp[4], fm[4];
        memcpy(rp, raw, sizeof rp);
        memcpy(rm, raw, sizeof rm);
        rp[j] += h;
        rm[j] -= h;
        tsf_arima_partrans(rp, 4, fp, work);
        tsf_arima_partrans(rm, 4, fm, work);
        for (int i = 0; i < 4; i++) assert_close(J[i * 4 + j], (fp[i] - fm[i]) / (2 * h), 1e-7);
    }
    /* non-stationary input is refused */
    double bad[2] = {0.5, 0.6};
    assert_int_equal(tsf_arima_partrans_inv(bad, 2, back, work), TSF_EDOMAIN);
}

static void test_ma_invert(void **state)
{
    (void)state;
    /* 1 + 2.5 z: root -0.4 -> reflected: 1 + 0.4 z */
    double th[1] = {2.5};
    assert_int_equal(tsf_arima_ma_invert(th, 1), 1);
    assert_close(th[0], 0.4, 1e-12);
    /* (1 + 0.5 z)(1 + 2 z) = 1 + 2.5 z + z^2 -> (1 + 0.5 z)^2 */
    double t2[2] = {2.5, 1.0};
    assert_int_equal(tsf_arima_ma_invert(t2, 2), 1);
    assert_close(t2[0], 1.0, 1e-12);
    assert_close(t2[1], 0.25, 1e-12);
    double t3[2] = {0.3, -0.2};
    assert_int_equal(tsf_arima_ma_invert(t3, 2), 0);
    assert_close(t3[0], 0.3, 0);
}

/* Concentrated exact log-likelihood of ARMA(p,q) coefficients + mean. */
static double conc_ll(const double *y, size_t n, const double *phi, size_t p, const double *th,
                      size_t q, double mu)
{
    double x[512];
    for (size_t t = 0; t < n; t++) x[t] = y[t] - mu;
    tsf_arima_ss m = {p, q, 0, phi, th, NULL, 1.0};
    tsf_arima_sums s;
    if (tsf_arima_ss_sums(&m, x, n, 0, &s)) return -INFINITY;
    double s2 = s.ssq / (double)s.nu;
    return -0.5 * ((double)s.nu * (log(2 * M_PI * s2) + 1) + s.sumlog);
}

/* The ML fit is a maximum: every coordinate perturbation lowers the
 * likelihood, and the likelihood there equals the reported one. */
static void test_ml_is_maximum(void **state)
{
    (void)state;
    tsf_fit_opts o = {0};
    o.method = TSF_METHOD_ML;
    tsf_model *m = fit_spec("arima(2,0,1)", lh, 48, &o);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    double c[4];
    memcpy(c, info.coef, sizeof c);
    double ll0 = conc_ll(lh, 48, c, 2, c + 2, 1, c[3]);
    assert_close(ll0, info.loglik, 1e-8);
    for (int i = 0; i < 4; i++) {
        for (int sg = -1; sg <= 1; sg += 2) {
            double d[4];
            memcpy(d, c, sizeof d);
            d[i] += sg * 1e-3;
            double ll = conc_ll(lh, 48, d, 2, d + 2, 1, d[3]);
            assert_true(ll <= ll0 + 1e-9);
        }
        /* first-order condition by central differences (in loglik units) */
        double dp[4], dm[4], hh = 1e-5;
        memcpy(dp, c, sizeof dp);
        memcpy(dm, c, sizeof dm);
        dp[i] += hh;
        dm[i] -= hh;
        double g = (conc_ll(lh, 48, dp, 2, dp + 2, 1, dp[3]) - conc_ll(lh, 48, dm, 2, dm + 2, 1, dm[3])) / (2 * hh);
        assert_close(g, 0.0, 2e-2);
    }
    tsf_model_free(m);
}

static void test_trend_d1_vs_r(void **state)
{
    (void)state;
    /* R: arima(Nile, order = c(1,1,1), xreg = 1:length(Nile)) */
    double y[100];
    size_t n = read_col("Nile", y, 100);
    assert_int_equal(n, 100);
    tsf_fit_opts o = {0};
    o.trend = 1;
    tsf_model *m = fit_spec("arima(1,1,1)", y, n, &o);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_true(info.loglik >= -629.8185242 - 1e-3);
    assert_int_equal(info.ncoef, 3);
    assert_string_equal(info.coef_names[2], "xreg");
    assert_rel(info.coef[0], 0.2706826926, 0.01, 1e-3);
    assert_rel(info.coef[1], -0.9054325783, 0.01, 1e-3);
    assert_rel(info.coef[2], -2.8827029888, 0.01, 1e-3);
    tsf_forecast_result *fc;
    double lv = 80;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 3, &lv, 1, NULL, &fc), TSF_OK);
    double rm[3] = {799.1887590, 813.1077264, 814.7729448}, rs[3] = {139.3049091, 148.3062625, 150.7343796};
    for (int i = 0; i < 3; i++) {
        assert_close(fc->mean[i], rm[i], 0.02 * rs[i]);
        assert_rel(fc->se[i], rs[i], 0.02, 0);
        assert_close(fc->upper[i] - fc->mean[i], tsf_qnorm(0.9) * fc->se[i], 1e-9);
    }
    tsf_forecast_free(fc);
    /* drift is the same model under another name */
    tsf_model_free(m);
    o.trend = 0;
    o.include_drift = 1;
    m = fit_spec("arima(1,1,1)", y, n, &o);
    tsf_fit_info i2;
    assert_int_equal(tsf_model_info(m, &i2), TSF_OK);
    assert_string_equal(i2.coef_names[2], "drift");
    assert_close(i2.loglik, info.loglik, 1e-4);
    assert_non_null(strstr(i2.model, "with drift"));
    tsf_model_free(m);
}

static void test_user_xreg(void **state)
{
    (void)state;
    /* y = 3 + 2 u_t + AR(1) noise: the regression coefficient is found and
     * forecasts need the future regressor. */
    size_t n = 200;
    double y[200], u[200], fu[5] = {1, 2, 3, 4, 5}, e = 0;
    uint64_t s = 99;
    for (size_t t = 0; t < n; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double z = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 2;
        e = 0.5 * e + z;
        u[t] = sin((double)t / 7.0) * 3;
        y[t] = 3 + 2 * u[t] + e;
    }
    const char *names[1] = {"temp"};
    tsf_xreg xr = {1, u, n, names};
    tsf_model *m;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, &xr, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.ncoef, 3);
    assert_string_equal(info.coef_names[1], "intercept");
    assert_string_equal(info.coef_names[2], "temp");
    assert_close(info.coef[2], 2.0, 0.1);
    assert_true(info.se[2] > 0 && info.se[2] < 0.1);
    tsf_forecast_result *fc;
    assert_int_equal(tsf_forecast(m, y, n, &xr, 5, NULL, 0, NULL, &fc), TSF_EINVAL);
    assert_errmsg_has("xreg_future");
    tsf_xreg fx = {1, fu, 5, names};
    tsf_forecast_opts fo = {0};
    fo.xreg_future = &fx;
    assert_int_equal(tsf_forecast(m, y, n, &xr, 5, NULL, 0, &fo, &fc), TSF_OK);
    /* far ahead the AR part dies out: mean -> intercept + beta u */
    assert_close(fc->mean[4], info.coef[1] + info.coef[2] * 5, 0.5);
    tsf_forecast_free(fc);
    tsf_model_free(m);
}

static void test_state_matches_loglik(void **state)
{
    (void)state;
    double y[200];
    size_t n = read_col("presidents", y, 200); /* has missing values */
    tsf_model *m = fit_spec("arima(1,0,0)", y, n, NULL);
    double ll;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_close(ll, info.loglik, 1e-6);
    /* the family's streaming state, fed one observation at a time */
    tsf_model *mm;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &mm), TSF_OK);
    tsf_model_free(mm);
    tsf_arima_order ord = {1, 0, 0, 0, 0, 0, 1};
    tsf_arima *a;
    assert_int_equal(tsf_arima_fit_order(&ord, y, n, NULL, NULL, &a), TSF_OK);
    void *st;
    assert_int_equal(tsf_arima_type.state_new(a, &st), TSF_OK);
    double sum = 0, lp;
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(tsf_arima_type.state_update(st, y[t], NULL, 0, &lp), TSF_OK);
        if (isnan(y[t])) assert_close(lp, 0.0, 0);
        sum += lp;
    }
    assert_close(sum, ll, 1e-8);
    tsf_forecast_result fc = {0}, fc2;
    double lv = 95;
    assert_int_equal(tsf_forecast_alloc(&fc, 4, &lv, 1), TSF_OK);
    assert_int_equal(tsf_arima_type.state_forecast(st, 4, &lv, 1, NULL, &fc), TSF_OK);
    tsf_forecast_result *pf;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 4, &lv, 1, NULL, &pf), TSF_OK);
    fc2 = *pf;
    for (int i = 0; i < 4; i++) {
        assert_close(fc.mean[i], fc2.mean[i], 1e-9);
        assert_close(fc.se[i], fc2.se[i], 1e-9);
    }
    tsf_forecast_free(pf);
    free(fc.mean);
    free(fc.se);
    free(fc.levels);
    free(fc.lower);
    free(fc.upper);
    tsf_arima_type.state_free(st);
    tsf_arima_type.state_free(NULL);
    /* auto-ARIMA's view of the same fit */
    tsf_fit_info ai;
    assert_int_equal(tsf_arima_info(a, &ai), TSF_OK);
    assert_close(ai.loglik, info.loglik, 1e-6);
    assert_close(ai.aicc, ai.aic + 2.0 * 3 * 4 / ((double)ai.nobs - 4), 1e-9);
    tsf_arima_free(a);
    tsf_arima_free(NULL);
    tsf_model_free(m);
}

static void test_simulate_and_residuals(void **state)
{
    (void)state;
    tsf_model *m = fit_spec("arima(1,0,0)", lh, 48, NULL);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    double out[2000], out2[2000];
    assert_int_equal(tsf_simulate(m, 100, 20, 7, out), TSF_OK);
    assert_int_equal(tsf_simulate(m, 100, 20, 7, out2), TSF_OK);
    assert_memory_equal(out, out2, sizeof out);
    double mean = 0;
    for (int i = 0; i < 2000; i++) mean += out[i] / 2000;
    assert_close(mean, info.coef[1], 0.3); /* around the intercept */
    double fit[48], res[48];
    assert_int_equal(tsf_residuals(m, lh, 48, NULL, fit, res), TSF_OK);
    double mu = info.coef[1], phi = info.coef[0];
    for (int t = 1; t < 48; t++) assert_close(fit[t], mu + phi * (lh[t - 1] - mu), 1e-9);
    tsf_model_free(m);
}

/* Residuals as R's residuals.Arima: innovations standardised by their
 * relative variance, near zero (not missing) during the diffuse start, so
 * that the Ljung-Box statistic is forecast::checkresiduals' (R 4.2,
 * forecast 8.20: Arima(AirPassengers, c(0,1,1), c(0,1,1), lambda = 0),
 * residuals on the log scale; Box.test(r, 24, "Ljung-Box", fitdf = 2)). */
static void test_residuals_as_r(void **state)
{
    (void)state;
    double y[200], r[200];
    size_t n = read_col("AirPassengers", y, 200);
    assert_int_equal(n, 144);
    tsf_model *m;
    assert_int_equal(tsf_model_new("arima(0,1,1)(0,1,1)[12]", &m), TSF_OK);
    tsf_fit_opts o = {0};
    o.transform = TSF_TRANSFORM_LOG;
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, &o), TSF_OK);
    assert_int_equal(tsf_residuals(m, y, n, NULL, NULL, r), TSF_OK);
    static const size_t at[6] = {0, 1, 12, 13, 19, 143};
    static const double rr[6] = {0.002724225903, 0.001258733598, -0.01678779675,
                                 0.03171796086, 0.02225799912, -0.01496920107};
    for (int i = 0; i < 6; i++) assert_close(r[at[i]], rr[i], 2e-5);
    double q, p;
    assert_int_equal(tsf_ljung_box(r, n, 24, 2, &q, &p), TSF_OK);
    assert_close(q, 26.44584693, 5e-3);
    tsf_model_free(m);
}

static void test_errors(void **state)
{
    (void)state;
    tsf_model *m;
    assert_int_equal(tsf_model_new("arima(1,1)", &m), TSF_EPARSE);
    assert_errmsg_has("arima(1,1)");
    assert_int_equal(tsf_model_new("arima(1,0,0)(1,0,0,1)[12]", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("arima(1,9,0)", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("arima(1,0,x)", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("arima(1,0,0)[12]", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("arima(p=1,0,0)", &m), TSF_EPARSE);
    /* too short */
    assert_int_equal(tsf_model_new("arima(2,1,2)", &m), TSF_OK);
    double y[6] = {1, 3, 2, 5, 4, 6};
    assert_int_equal(tsf_fit(m, y, 6, NULL, 1, NULL), TSF_EDOMAIN);
    assert_errmsg_has("at least 8 non-missing observations");
    /* constant */
    double c[30];
    for (int i = 0; i < 30; i++) c[i] = 4.2;
    assert_int_equal(tsf_fit(m, c, 30, NULL, 1, NULL), TSF_EDEGENERATE);
    assert_errmsg_has("constant");
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, c, 30, NULL, 1, NULL), TSF_EDEGENERATE);
    tsf_model_free(m);
    /* seasonal without a period */
    assert_int_equal(tsf_model_new("arima(0,1,1)(0,1,1)", &m), TSF_OK);
    double z[60];
    for (int i = 0; i < 60; i++) z[i] = sin(i * 0.5) + i * 0.1;
    assert_int_equal(tsf_fit(m, z, 60, NULL, 1, NULL), TSF_EINVAL);
    assert_errmsg_has("period");
    tsf_model_free(m);
    /* drift with d = 2 */
    tsf_fit_opts o = {0};
    o.include_drift = 1;
    assert_int_equal(tsf_model_new("arima(0,2,1)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, z, 60, NULL, 1, &o), TSF_EINVAL);
    assert_errmsg_has("drift");
    tsf_model_free(m);
}

/* Two of every three values missing: no pair of consecutive observations
 * for the CSS, so css-ml goes straight to ML; css alone is refused. */
static void test_gappy(void **state)
{
    (void)state;
    double y[60];
    for (int i = 0; i < 60; i++) y[i] = i % 3 ? NAN : sin((double)i) + 2;
    tsf_model *m = fit_spec("arima(1,0,0)", y, 60, NULL);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.nobs, 20);
    assert_true(isfinite(info.loglik) && fabs(info.coef[0]) < 1);
    double ll;
    assert_int_equal(tsf_loglik(m, y, 60, NULL, 0, &ll), TSF_OK);
    assert_close(ll, info.loglik, 1e-6);
    tsf_model_free(m);
    tsf_fit_opts o = {0};
    o.method = TSF_METHOD_CSS;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 60, NULL, 1, &o), TSF_EDOMAIN);
    assert_errmsg_has("consecutive");
    tsf_model_free(m);
}

/* A near-unit-root AR and a near-non-invertible MA still fit cleanly. */
static void test_boundaries(void **state)
{
    (void)state;
    double y[400];
    size_t n = 400;
    uint64_t s = 5;
    double x = 0, e0 = 0;
    for (size_t t = 0; t < n; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double e = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 3.4;
        x = 0.995 * x + e;
        y[t] = x;
        (void)e0;
    }
    tsf_model *m = fit_spec("arima(1,0,0)", y, n, NULL);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_true(isfinite(info.loglik) && info.coef[0] > 0.95 && info.coef[0] < 1.0);
    tsf_model_free(m);
    /* over-differenced white noise: MA(1) near -1 */
    for (size_t t = 0; t < n; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        y[t] = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 3.4;
    }
    m = fit_spec("arima(0,1,1)", y, n, NULL);
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_true(isfinite(info.loglik) && info.coef[0] < -0.9 && info.coef[0] >= -1.0);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_css_closed_form),
        cmocka_unit_test(test_css_vs_r),
        cmocka_unit_test(test_css_jacobian),
        cmocka_unit_test(test_partrans),
        cmocka_unit_test(test_ma_invert),
        cmocka_unit_test(test_ml_is_maximum),
        cmocka_unit_test(test_trend_d1_vs_r),
        cmocka_unit_test(test_user_xreg),
        cmocka_unit_test(test_state_matches_loglik),
        cmocka_unit_test(test_simulate_and_residuals),
        cmocka_unit_test(test_residuals_as_r),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_gappy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
