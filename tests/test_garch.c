/* The garch family against certified values (Fiorentini, Calzolari &
 * Panattoni 1996 / McCullough & Renfro 1999), R's fGarch
 * (tests/garch_reference.R -> tests/data/garch_fgarch.txt), finite
 * differences, closed forms and its own streaming and file round trips. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <unistd.h>
#include "state_resume.h"
#include "stats/garch.h"
#include "tsf/tsf.h"

/* Column col of datasets/NAME.csv (the library's reader). */
static double *load_col(const char *name, const char *col, size_t *n)
{
    char path[256];
    snprintf(path, sizeof path, "datasets/%s.csv", name);
    tsf_frame *f = NULL;
    if (tsf_csv_read(path, &f) != TSF_OK) fail_msg("%s", tsf_errmsg());
    size_t j;
    assert_int_equal(tsf_frame_column(f, col, &j), TSF_OK);
    double *y = malloc(f->nrows * sizeof *y);
    assert_non_null(y);
    memcpy(y, f->cols[j], f->nrows * sizeof *y);
    *n = f->nrows;
    tsf_frame_free(f);
    return y;
}

/* DAX percent log returns, as tests/garch_reference.R makes them. */
static double *dax_returns(size_t *n)
{
    size_t m;
    double *p = load_col("EuStockMarkets", "DAX", &m);
    for (size_t t = 1; t < m; t++) p[t - 1] = 100.0 * log(p[t] / p[t - 1]);
    *n = m - 1;
    return p;
}

static tsf_model *fit(const char *spec, const double *y, size_t n)
{
    tsf_model *m = NULL;
    if (tsf_model_new(spec, &m) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    if (tsf_fit(m, y, n, NULL, 0, NULL) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    return m;
}

static double coef_of(const tsf_fit_info *in, const char *name, double *se)
{
    for (size_t i = 0; i < in->ncoef; i++)
        if (!strcmp(in->coef_names[i], name)) {
            if (se) *se = in->se[i];
            return in->coef[i];
        }
    fail_msg("no coefficient %s", name);
    return NAN;
}

/* FCP benchmark: certified GARCH(1,1) estimates on the Bollerslev-Ghysels
 * DEM/GBP returns (McCullough & Renfro 1999, Table 2). */
static void test_fcp_benchmark(void **state)
{
    (void)state;
    size_t n;
    double *y = load_col("dem2gbp", "DEM2GBP", &n);
    assert_int_equal(n, 1974);
    tsf_model *m = fit("garch(1,1)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    assert_rel(coef_of(&in, "mu", NULL), -0.00619041, 1e-4, 0);
    assert_rel(coef_of(&in, "omega", NULL), 0.0107613, 1e-4, 0);
    assert_rel(coef_of(&in, "alpha1", NULL), 0.153134, 1e-4, 0);
    assert_rel(coef_of(&in, "beta1", NULL), 0.805974, 1e-4, 0);
    /* published to 5 decimals: agreement to their rounding (1e-8 relative) */
    assert_close(in.loglik, -1106.60788, 1e-5);
    assert_true(in.converged);
    assert_rel(in.persistence, 0.153134 + 0.805974, 1e-4, 0);
    tsf_model_free(m);
    free(y);
}

/* ---- fGarch references ---- */

typedef struct {
    char name[64], spec[96];
    size_t ncoef;
    char cname[8][16];
    double coef[8], se[8];
    double loglik, merr[10];
} ref_case;

static size_t read_refs(ref_case *rc, size_t max)
{
    char path[512], line[1024];
    FILE *f = fopen(test_path("data/garch_fgarch.txt", path, sizeof path), "r");
    assert_non_null(f);
    size_t k = 0;
    ref_case *c = NULL;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "case ", 5)) {
            assert_true(k < max);
            c = &rc[k++];
            memset(c, 0, sizeof *c);
            assert_int_equal(sscanf(line, "case %63s %95s", c->name, c->spec), 2);
        } else if (c && !strncmp(line, "coef ", 5)) {
            assert_true(c->ncoef < 8);
            char se[64];
            assert_int_equal(sscanf(line, "coef %15s %lf %63s", c->cname[c->ncoef],
                                    &c->coef[c->ncoef], se), 3);
            c->se[c->ncoef++] = strtod(se, NULL); /* "NaN" -> NaN */
        } else if (c && !strncmp(line, "loglik ", 7)) {
            assert_int_equal(sscanf(line, "loglik %lf", &c->loglik), 1);
        } else if (c && !strncmp(line, "meanError ", 10)) {
            char *p = line + 10;
            for (int i = 0; i < 10; i++) c->merr[i] = strtod(p, &p);
        }
    }
    fclose(f);
    return k;
}

static void test_fgarch_reference(void **state)
{
    (void)state;
    ref_case rc[16];
    size_t nc = read_refs(rc, 16), ndax, ndem;
    assert_true(nc >= 9);
    double *dax = dax_returns(&ndax), *dem = load_col("dem2gbp", "DEM2GBP", &ndem);
    for (size_t k = 0; k < nc; k++) {
        const ref_case *c = &rc[k];
        int is_dem = !strncmp(c->name, "dem", 3);
        const double *y = is_dem ? dem : dax;
        size_t n = is_dem ? ndem : ndax;
        tsf_model *m = fit(c->spec, y, n);
        tsf_fit_info in;
        assert_int_equal(tsf_model_info(m, &in), TSF_OK);
        if (!(in.loglik >= c->loglik - 1e-3))
            fail_msg("%s: loglik %.8f below fGarch's %.8f", c->name, in.loglik, c->loglik);
        /* GJR: fGarch's APARCH parameters differ; only the likelihood is compared */
        for (size_t i = 0; !strstr(c->spec, "gjr") && i < c->ncoef; i++) {
            double v = coef_of(&in, c->cname[i], NULL), d = fabs(v - c->coef[i]);
            /* fGarch stops at its bound 1e-8, where the standard error is NaN */
            double tol = isnan(c->se[i]) ? fmax(0.01 * fabs(c->coef[i]), 1e-6)
                                         : fmax(0.01 * fabs(c->coef[i]), 0.02 * c->se[i]);
            if (!(d <= tol))
                fail_msg("%s: %s = %.8g, fGarch %.8g (tolerance %.3g)", c->name, c->cname[i], v,
                         c->coef[i], tol);
        }
        tsf_forecast_result *fc = NULL;
        const double lv[1] = {95};
        assert_int_equal(tsf_forecast(m, y, n, NULL, 10, lv, 1, NULL, &fc), TSF_OK);
        for (int h = 0; h < 10; h++)
            if (!(fabs(fc->se[h] - c->merr[h]) <= 0.01 * c->merr[h]))
                fail_msg("%s: predictive sd at h=%d %.6g, fGarch %.6g", c->name, h + 1,
                         fc->se[h], c->merr[h]);
        tsf_forecast_free(fc);
        tsf_model_free(m);
    }
    free(dax);
    free(dem);
}

/* ---- analytic gradient against central differences ---- */

static void check_gradient(const tsf_garch_layout *L, const double *th0, const double *r,
                           size_t n)
{
    size_t np = (size_t)L->npar;
    double g[16], th[16], ll, lp, lm;
    tsf_garch_ws *w;
    assert_int_equal(tsf_garch_ws_new(L, n, &w), TSF_OK);
    assert_int_equal(tsf_garch_lik(L, th0, r, n, w, &ll, g, NULL, NULL), TSF_OK);
    /* the per-observation scores add up to the gradient */
    double *S = malloc(n * np * sizeof *S);
    assert_non_null(S);
    assert_int_equal(tsf_garch_lik(L, th0, r, n, w, &ll, NULL, S, NULL), TSF_OK);
    for (size_t k = 0; k < np; k++) {
        double s = 0.0;
        for (size_t t = 0; t < n; t++) s += S[t * np + k];
        assert_rel(s, g[k], 1e-10, 1e-10);
        memcpy(th, th0, np * sizeof *th);
        double d = 1e-6 * fmax(fabs(th0[k]), 1e-2);
        th[k] = th0[k] + d;
        assert_int_equal(tsf_garch_lik(L, th, r, n, w, &lp, NULL, NULL, NULL), TSF_OK);
        th[k] = th0[k] - d;
        assert_int_equal(tsf_garch_lik(L, th, r, n, w, &lm, NULL, NULL, NULL), TSF_OK);
        double fd = (lp - lm) / (2.0 * d);
        if (!(fabs(fd - g[k]) <= 1e-5 * fabs(g[k]) + 1e-4))
            fail_msg("parameter %zu: analytic %.10g, finite difference %.10g", k, g[k], fd);
    }
    free(S);
    tsf_garch_ws_free(w);
}

static void test_gradient(void **state)
{
    (void)state;
    size_t n;
    double *r = dax_returns(&n);
    tsf_garch_layout L;
    /* away from the optimum, so the gradient is not ~0 */
    tsf_garch_layout_init(&L, 1, 1, 0, 0, 1, 0, 0);
    check_gradient(&L, (double[]){0.03, 0.06, 0.1, 0.8}, r, n);
    tsf_garch_layout_init(&L, 1, 1, 0, 0, 1, 0, 1);
    check_gradient(&L, (double[]){0.03, 0.06, 0.1, 0.8, 5.0}, r, n);
    tsf_garch_layout_init(&L, 1, 1, 0, 0, 1, 1, 1);
    check_gradient(&L, (double[]){0.03, 0.06, 0.05, 0.1, 0.8, 7.0}, r, n);
    /* ARMA(1,1) mean, GARCH(2,1): mean-parameter paths through h0 and eps */
    tsf_garch_layout_init(&L, 2, 1, 1, 1, 1, 0, 0);
    check_gradient(&L, (double[]){0.05, 0.3, -0.25, 0.05, 0.05, 0.04, 0.8}, r, n);
    tsf_garch_layout_init(&L, 1, 2, 2, 0, 0, 1, 0);
    check_gradient(&L, (double[]){0.1, -0.05, 0.05, 0.04, 0.06, 0.5, 0.3}, r, n);
    free(r);
}

/* ---- value-at-risk and expected shortfall against closed forms ---- */

typedef struct {
    double nu; /* 0: Gaussian */
} zdist;

static double zpdf(double z, void *p)
{
    const zdist *d = p;
    if (d->nu == 0.0) return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    double s = sqrt((d->nu - 2.0) / d->nu);
    return gsl_ran_tdist_pdf(z / s, d->nu) / s;
}

static double zpdf_x(double z, void *p)
{
    return z * zpdf(z, p);
}

/* The p-quantile and E[z | z <= q] of the standardised innovation by
 * numerical integration (independent of the library's closed forms). */
static void tail_of(const zdist *d, double p, double *q, double *es)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    gsl_function F = {zpdf, (void *)d}, X = {zpdf_x, (void *)d};
    double lo = -50.0, hi = 0.0, v, err;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        gsl_integration_qagil(&F, mid, 1e-13, 1e-11, 200, w, &v, &err);
        if (v < p) lo = mid;
        else hi = mid;
    }
    *q = 0.5 * (lo + hi);
    gsl_integration_qagil(&X, *q, 1e-13, 1e-11, 200, w, &v, &err);
    *es = v / p;
    gsl_integration_workspace_free(w);
}

static void check_risk(const char *spec, const double *r, size_t n)
{
    tsf_model *m = fit(spec, r, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    zdist d = {strstr(spec, "dist=t") ? coef_of(&in, "shape", NULL) : 0.0};
    const double lv[2] = {99, 97.5};
    tsf_forecast_result *fc = NULL;
    tsf_risk_result *rk = NULL;
    tsf_forecast_opts o = {.seed = 7, .samples = 20000};
    assert_int_equal(tsf_forecast(m, r, n, NULL, 3, lv, 2, &o, &fc), TSF_OK);
    assert_int_equal(tsf_risk(m, r, n, 3, lv, 2, &o, &rk), TSF_OK);
    for (int l = 0; l < 2; l++) {
        double p = 1.0 - lv[l] / 100.0, q, es;
        tail_of(&d, p, &q, &es);
        double var1 = -(fc->mean[0] + fc->se[0] * q), es1 = -(fc->mean[0] + fc->se[0] * es);
        assert_rel(rk->var[l * 3], var1, 1e-7, 1e-9);
        assert_rel(rk->es[l * 3], es1, 1e-7, 1e-9);
        /* the one-step interval: the same distribution's (1 - L)/2 quantile */
        double q2, es2;
        tail_of(&d, p / 2.0, &q2, &es2);
        assert_rel(fc->lower[l * 3], fc->mean[0] + fc->se[0] * q2, 1e-7, 1e-9);
        /* aggregates of 2 and 3 returns lose more; ES beyond VaR */
        for (int k = 0; k < 3; k++) assert_true(rk->es[l * 3 + k] > rk->var[l * 3 + k]);
        assert_true(rk->var[l * 3 + 1] > rk->var[l * 3]);
        assert_true(rk->var[l * 3 + 2] > rk->var[l * 3 + 1]);
    }
    /* the same seed gives the same simulated aggregates */
    tsf_risk_result *rk2 = NULL;
    assert_int_equal(tsf_risk(m, r, n, 3, lv, 2, &o, &rk2), TSF_OK);
    assert_true(!memcmp(rk->var, rk2->var, 6 * sizeof *rk->var));
    tsf_risk_free(rk2);
    tsf_risk_free(rk);
    tsf_forecast_free(fc);
    /* a level of 50% or below is not a tail */
    assert_int_equal(tsf_risk(m, r, n, 1, (double[]){40}, 1, NULL, &rk), TSF_EINVAL);
    tsf_model_free(m);
}

static void test_risk(void **state)
{
    (void)state;
    size_t n;
    double *r = dax_returns(&n);
    check_risk("garch(1,1)", r, n);
    check_risk("garch(1,1, dist=t)", r, n);
    free(r);
}

/* Two-step aggregate of a Gaussian GARCH(1,1) with zero mean: r1 + r2 with
 * r1 = s1 z1, r2 = sqrt(omega + alpha r1^2 + beta s1^2) z2.  Its tail
 * probability P(r1 + r2 <= x) = E[Phi((x - r1) / s2(r1))] by quadrature. */
typedef struct {
    double s1, omega, alpha, beta, x;
} agg2;

static double agg2_f(double z, void *p)
{
    const agg2 *a = p;
    double r1 = a->s1 * z, s2 = sqrt(a->omega + a->alpha * r1 * r1 + a->beta * a->s1 * a->s1);
    return gsl_ran_ugaussian_pdf(z) * gsl_cdf_ugaussian_P((a->x - r1) / s2);
}

static void test_risk_aggregate(void **state)
{
    (void)state;
    size_t n;
    double *r = dax_returns(&n);
    tsf_model *m = fit("garch(1,1, mean=zero)", r, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    tsf_forecast_result *fc = NULL;
    tsf_risk_result *rk = NULL;
    tsf_forecast_opts o = {.seed = 3, .samples = 200000};
    const double lv[1] = {99};
    assert_int_equal(tsf_forecast(m, r, n, NULL, 1, lv, 1, NULL, &fc), TSF_OK);
    assert_int_equal(tsf_risk(m, r, n, 2, lv, 1, &o, &rk), TSF_OK);
    agg2 a = {fc->se[0], coef_of(&in, "omega", NULL), coef_of(&in, "alpha1", NULL),
              coef_of(&in, "beta1", NULL), -rk->var[1]};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    gsl_function F = {agg2_f, &a};
    double prob, err;
    gsl_integration_qagi(&F, 1e-12, 1e-10, 200, w, &prob, &err);
    gsl_integration_workspace_free(w);
    /* the simulated 1% quantile has that tail probability (sampling error
     * of a 1% quantile from 200000 paths: sd ~ 0.00022) */
    assert_close(prob, 0.01, 0.001);
    tsf_risk_free(rk);
    tsf_forecast_free(fc);
    tsf_model_free(m);
    free(r);
}

/* ---- streaming, files, simulation ---- */

static void test_streaming(void **state)
{
    (void)state;
    size_t n;
    double *r = dax_returns(&n);
    const char *specs[] = {"garch(1,1, dist=t)", "garch(1,1, mean=arma(1,0))",
                           "garch(1,2, type=gjr, mean=arma(0,1))"};
    for (size_t s = 0; s < 3; s++) {
        tsf_model *m = fit(specs[s], r, n);
        tsf_fit_info in;
        assert_int_equal(tsf_model_info(m, &in), TSF_OK);
        tsf_state *st = NULL;
        assert_int_equal(tsf_state_new(m, &st), TSF_OK);
        double sum = 0.0, lp;
        for (size_t t = 0; t < n; t++) {
            assert_int_equal(tsf_state_update(st, r[t], &lp), TSF_OK);
            sum += lp;
        }
        /* the streaming sum is the fit's likelihood (another code path) */
        assert_rel(sum, in.loglik, 1e-11, 1e-9);
        double ll;
        assert_int_equal(tsf_loglik(m, r, n, NULL, 0, &ll), TSF_OK);
        assert_rel(ll, in.loglik, 1e-11, 1e-9);
        /* state forecast = model forecast after the same data */
        tsf_forecast_result *a = NULL, *b = NULL;
        const double lv[1] = {95};
        assert_int_equal(tsf_state_forecast(st, 5, lv, 1, NULL, &a), TSF_OK);
        assert_int_equal(tsf_forecast(m, r, n, NULL, 5, lv, 1, NULL, &b), TSF_OK);
        for (int h = 0; h < 5; h++) {
            assert_true(a->mean[h] == b->mean[h]);
            assert_true(a->se[h] == b->se[h]);
            assert_true(a->lower[h] == b->lower[h]);
        }
        tsf_forecast_free(a);
        tsf_forecast_free(b);
        assert_int_equal(tsf_state_update(st, NAN, &lp), TSF_EINVAL);
        tsf_state_free(st);
        /* save/resume of the state, also under the model loaded from a file */
        tsf_model *m2 = saved_and_loaded(m);
        tsf_fit_info in2;
        assert_int_equal(tsf_model_info(m2, &in2), TSF_OK);
        for (size_t i = 0; i < in.ncoef; i++) assert_true(in.coef[i] == in2.coef[i]);
        assert_int_equal(tsf_loglik(m2, r, n, NULL, 0, &ll), TSF_OK);
        assert_true(ll == in.loglik || fabs(ll - in.loglik) < 1e-9);
        check_resume(m, m, r, n, n / 2);
        check_resume(m, m2, r, n, 7);
        tsf_model_free(m2);
        tsf_model_free(m);
    }
    free(r);
}

/* Long simulated paths have the model's unconditional variance, and a
 * GARCH fitted to them recovers the coefficients. */
static void test_simulate(void **state)
{
    (void)state;
    size_t n;
    double *r = dax_returns(&n);
    tsf_model *m = fit("garch(1,1, dist=t)", r, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    const size_t N = 200000;
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    assert_int_equal(tsf_simulate(m, N, 1, 11, x), TSF_OK);
    double mu = 0.0, v = 0.0;
    for (size_t t = 0; t < N; t++) mu += x[t];
    mu /= (double)N;
    for (size_t t = 0; t < N; t++) v += (x[t] - mu) * (x[t] - mu);
    v /= (double)N;
    assert_rel(mu, coef_of(&in, "mu", NULL), 0.0, 0.01);
    assert_rel(v, in.sigma2, 0.05, 0.0);
    tsf_model *m2 = fit("garch(1,1, dist=t)", x, 20000);
    tsf_fit_info in2;
    assert_int_equal(tsf_model_info(m2, &in2), TSF_OK);
    for (size_t i = 0; i < in.ncoef; i++) {
        double se = NAN; /* set by coef_of; NAN fails the check if not */
        double c = coef_of(&in2, in.coef_names[i], &se);
        if (!(fabs(c - in.coef[i]) <= 4.0 * se))
            fail_msg("%s: %.5g from the simulation, true %.5g (se %.3g)", in.coef_names[i], c,
                     in.coef[i], se);
    }
    tsf_model_free(m2);
    tsf_model_free(m);
    free(x);
    free(r);
}

/* ---- bad input ---- */

static void test_bad_input(void **state)
{
    (void)state;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("garch(1,1, foo=2)", &m), TSF_EPARSE);
    assert_errmsg_has("unknown key 'foo'");
    assert_int_equal(tsf_model_new("garch(1,1, dist=cauchy)", &m), TSF_EPARSE);
    assert_errmsg_has("dist=cauchy");
    assert_int_equal(tsf_model_new("garch(1,1, mean=arma(1,0)", &m), TSF_EPARSE);
    assert_errmsg_has("missing ')'");
    assert_int_equal(tsf_model_new("garch(1,1, mean=arma(1,0])", &m), TSF_EPARSE);
    assert_errmsg_has("column 25: expected ')' to close the '(' at column 21, found ']'");
    assert_int_equal(tsf_model_new("garch(1,1, mean=arma(1))", &m), TSF_EPARSE);
    assert_errmsg_has("expected ','");
    assert_int_equal(tsf_model_new("garch(1,1, mean=ar(1,0))", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("garch(0,1)", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("garch(1)", &m), TSF_EPARSE);
    assert_int_equal(tsf_model_new("garch(1,1)[5]", &m), TSF_EPARSE);
    assert_null(m);
    size_t n;
    double *r = dax_returns(&n);
    assert_int_equal(tsf_model_new("garch(1,1)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, r, 30, NULL, 0, NULL), TSF_EINVAL);
    assert_errmsg_has("too few");
    double c[100];
    for (int i = 0; i < 100; i++) c[i] = 0.25;
    assert_int_equal(tsf_fit(m, c, 100, NULL, 0, NULL), TSF_EINVAL);
    assert_errmsg_has("constant");
    double keep = r[10];
    r[10] = NAN;
    assert_int_equal(tsf_fit(m, r, n, NULL, 0, NULL), TSF_EINVAL);
    assert_errmsg_has("return 11 is missing");
    r[10] = keep;
    /* prices are not returns: an integrated series has no stationary
     * variance, and the estimate says so (exit 2 in the CLI) */
    size_t np;
    double *p = load_col("EuStockMarkets", "DAX", &np);
    for (size_t t = 0; t < np; t++) p[t] = (p[t] - p[0]) / 100.0;
    tsf_status st = tsf_fit(m, p, np, NULL, 0, NULL);
    assert_int_equal(st, TSF_EDEGENERATE);
    assert_errmsg_has("stationar");
    tsf_model_free(m);
    /* real returns whose t-GARCH(1,1) estimate is not stationary: fGarch's
     * is alpha1 + beta1 = 0.1244 + 0.8847 = 1.009 on dem2gbp */
    size_t nd;
    double *dem = load_col("dem2gbp", "DEM2GBP", &nd);
    assert_int_equal(tsf_model_new("garch(1,1, dist=t)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, dem, nd, NULL, 0, NULL), TSF_EDEGENERATE);
    assert_errmsg_has("type=gjr");
    tsf_model_free(m);
    free(dem);
    free(p);
    free(r);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fcp_benchmark),
        cmocka_unit_test(test_fgarch_reference),
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_risk),
        cmocka_unit_test(test_risk_aggregate),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_simulate),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
