/* ensemble=K on neural specs (src/core/ensemble.c, docs/neural.md "Global
 * models", docs/models.md "combo"): the ensemble against its K members
 * fitted alone with the seeds seed, seed+1, ... (point forecast = the mean
 * of theirs; log-likelihood = log of the mean of their likelihoods, the
 * log-sum-exp written out here), the spec errors, the default of global
 * fits (3 networks; ensemble=1 one) and the global model file round trip
 * (the same forecasts after reloading, an unknown series, members holding
 * other series refused). */
#include <unistd.h>
#include "testutil.h"
#include "series_reader.h"
#include "core/safetensors.h"
#include "tsf/tsf.h"

#define G1 "gru(hidden=4, layers=1, context=16"

static tsf_fit_opts opts(uint64_t seed)
{
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 1;
    o.threads = 1;
    o.seed = seed;
    return o;
}

static tsf_forecast_opts fc_opts(void)
{
    tsf_forecast_opts fo;
    tsf_forecast_opts_init(&fo);
    fo.samples = 20;
    fo.seed = 11;
    fo.sampler = TSF_SAMPLER_ANCESTRAL;
    return fo;
}

static void test_ensemble_vs_members(void **state)
{
    (void)state;
    size_t n, h = 3, start = 80;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    tsf_forecast_opts fo = fc_opts();
    /* the members alone: one network each, seeds 7, 8, 9 */
    tsf_forecast_result *f[3];
    double ll[3];
    for (int k = 0; k < 3; k++) {
        tsf_model *m;
        assert_int_equal(tsf_model_new(G1 ")", &m), TSF_OK);
        tsf_fit_opts o = opts(7 + (uint64_t)k);
        assert_int_equal(tsf_fit(m, y, n, NULL, 1, &o), TSF_OK);
        assert_int_equal(tsf_forecast(m, y, n, NULL, h, NULL, 0, &fo, &f[k]), TSF_OK);
        assert_int_equal(tsf_loglik(m, y, n, NULL, start, &ll[k]), TSF_OK);
        tsf_model_free(m);
    }
    tsf_model *e, *one;
    assert_int_equal(tsf_model_new(G1 ", ensemble=3)", &e), TSF_OK);
    assert_string_equal(tsf_model_family(e), "combo");
    assert_int_equal(tsf_model_new(G1 ", ensemble=1)", &one), TSF_OK);
    assert_string_equal(tsf_model_family(one), "gru");
    tsf_fit_opts o = opts(7);
    assert_int_equal(tsf_fit(e, y, n, NULL, 1, &o), TSF_OK);
    assert_int_equal(tsf_fit(one, y, n, NULL, 1, &o), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(e, &info), TSF_OK);
    assert_non_null(strstr(info.model, "Ensemble(3 x GRU(hidden=4"));
    tsf_forecast_result *fe, *f1;
    assert_int_equal(tsf_forecast(e, y, n, NULL, h, NULL, 0, &fo, &fe), TSF_OK);
    assert_int_equal(tsf_forecast(one, y, n, NULL, h, NULL, 0, &fo, &f1), TSF_OK);
    for (size_t i = 0; i < h; i++) {
        assert_true(fabs(f[0]->mean[i] - f[1]->mean[i]) > 1e-9); /* different networks */
        assert_rel(fe->mean[i], (f[0]->mean[i] + f[1]->mean[i] + f[2]->mean[i]) / 3.0, 1e-12,
                   1e-12);
        assert_true(f1->mean[i] == f[0]->mean[i]); /* ensemble=1: the network of seed 7 */
    }
    /* log (1/3) sum_k exp(ll_k), shifted by the largest */
    double mx = fmax(ll[0], fmax(ll[1], ll[2]));
    double ref = mx + log((exp(ll[0] - mx) + exp(ll[1] - mx) + exp(ll[2] - mx)) / 3.0), le;
    assert_int_equal(tsf_loglik(e, y, n, NULL, start, &le), TSF_OK);
    print_message("members %.4f %.4f %.4f, ensemble %.6f, log mean exp %.6f\n", ll[0], ll[1],
                  ll[2], le, ref);
    assert_rel(le, ref, 1e-12, 1e-9);
    for (int k = 0; k < 3; k++) tsf_forecast_free(f[k]);
    tsf_forecast_free(fe);
    tsf_forecast_free(f1);
    tsf_model_free(e);
    tsf_model_free(one);
    free(y);
}

/* An ensemble with regressors: it is neural (tsf_model_is_neural), has its
 * networks' precision and regressor list, and its fit's log-likelihood is
 * the log mean of its members' fitted alone with the same regressors (the
 * fit used to compute it without them and failed). */
static void test_ensemble_xreg(void **state)
{
    (void)state;
    enum { N = 90 };
    double y[N], xv[N];
    for (size_t t = 0; t < N; t++) {
        xv[t] = (double)(t % 5);
        y[t] = 10.0 + sin((double)t / 3.0) + 0.5 * xv[t];
    }
    const char *names[] = {"x"};
    tsf_xreg x = {1, xv, N, names};
    double ll[2];
    for (int k = 0; k < 2; k++) {
        tsf_model *m;
        assert_int_equal(tsf_model_new(G1 ")", &m), TSF_OK);
        tsf_fit_opts o = opts(3 + (uint64_t)k);
        assert_int_equal(tsf_fit(m, y, N, &x, 1, &o), TSF_OK);
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        ll[k] = info.loglik;
        tsf_model_free(m);
    }
    tsf_model *e;
    assert_int_equal(tsf_model_new(G1 ", ensemble=2)", &e), TSF_OK);
    assert_true(tsf_model_is_neural(e));
    tsf_fit_opts o = opts(3);
    assert_int_equal(tsf_fit(e, y, N, &x, 1, &o), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(e, &info), TSF_OK);
    double mx = fmax(ll[0], ll[1]);
    double ref = mx + log((exp(ll[0] - mx) + exp(ll[1] - mx)) / 2.0);
    assert_rel(info.loglik, ref, 1e-12, 1e-9);
    size_t k;
    const char *const *rn;
    assert_int_equal(tsf_model_regressors(e, &k, &rn), TSF_OK);
    assert_int_equal(k, 1);
    assert_string_equal(rn[0], "x");
    tsf_precision p;
    assert_int_equal(tsf_model_precision(e, &p), TSF_OK);
    assert_int_equal(p, TSF_PRECISION_FP32);
    tsf_model_free(e);
    /* other combinations are not neural and have no regressor list */
    assert_int_equal(tsf_model_new("combo(ar(1), " G1 "))", &e), TSF_OK);
    assert_false(tsf_model_is_neural(e));
    assert_int_equal(tsf_fit(e, y, N, NULL, 1, &o), TSF_OK);
    assert_int_equal(tsf_model_regressors(e, &k, &rn), TSF_EUNSUP);
    assert_int_equal(tsf_model_precision(e, &p), TSF_EINVAL);
    tsf_model_free(e);
}

/* Members that are ensembles use as many seeds as they hold networks:
 * combo(2 networks, 2 networks) of one spec is the 4 networks of
 * ensemble=4 (seeds s .. s+3), the same mixture of the same networks, so
 * the same likelihood (it used to share a network between the members). */
static void test_ensemble_in_combo(void **state)
{
    (void)state;
    size_t n, start = 80;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    tsf_model *c, *e;
    assert_int_equal(tsf_model_new("combo(" G1 ", ensemble=2), " G1 ", ensemble=2))", &c),
                     TSF_OK);
    assert_int_equal(tsf_model_new(G1 ", ensemble=4)", &e), TSF_OK);
    tsf_fit_opts o = opts(5);
    assert_int_equal(tsf_fit(c, y, n, NULL, 1, &o), TSF_OK);
    assert_int_equal(tsf_fit(e, y, n, NULL, 1, &o), TSF_OK);
    double lc, le;
    assert_int_equal(tsf_loglik(c, y, n, NULL, start, &lc), TSF_OK);
    assert_int_equal(tsf_loglik(e, y, n, NULL, start, &le), TSF_OK);
    print_message("combo of two ensembles %.9f, ensemble of four %.9f\n", lc, le);
    assert_rel(lc, le, 1e-12, 1e-9);
    tsf_model_free(c);
    tsf_model_free(e);
    free(y);
}

static void test_ensemble_bad_keys(void **state)
{
    (void)state;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("gru(ensemble=0)", &m), TSF_EPARSE);
    assert_errmsg_has("spec \"gru(ensemble=0)\" at column 5: ensemble=0 is out of range: use 1 "
                      "to 16");
    assert_int_equal(tsf_model_new("wavenet(channels=4, ensemble=17)", &m), TSF_EPARSE);
    assert_errmsg_has("at column 21: ensemble=17 is out of range");
    assert_int_equal(tsf_model_new("lstm(ensemble=x)", &m), TSF_EPARSE);
    assert_errmsg_has("at column 6: 'x' is not a whole number");
    /* the rest of the spec is still checked, columns in the whole spec */
    assert_int_equal(tsf_model_new("gru(ensemble=2, hidden=0)", &m), TSF_EPARSE);
    assert_errmsg_has("at column 17: hidden=0 is out of range");
    assert_int_equal(tsf_model_new("combo(theta, transformer(ensemble=0))", &m), TSF_EPARSE);
    assert_errmsg_has("spec \"combo(theta, transformer(ensemble=0))\" at column 26");
    /* a classical family has no such key */
    assert_int_equal(tsf_model_new("auto(ensemble=2)", &m), TSF_EPARSE);
    assert_errmsg_has("unknown key 'ensemble'");
    assert_null(m);
}

/* Two short series; *m fitted globally (epochs 2, seed) from spec. */
static tsf_model *global_fit(const char *spec, const double *const *ys, const size_t *ns,
                             uint64_t seed)
{
    static const char *const ids[2] = {"a", "b"};
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o = opts(seed);
    o.epochs = 2;
    if (tsf_fit_global(m, ys, ns, ids, 2, 4, &o)) fail_msg("%s: %s", spec, tsf_errmsg());
    return m;
}

static tsf_forecast_result *series_fc(const tsf_model *m, const char *id, const double *y,
                                      size_t n)
{
    tsf_forecast_opts fo = fc_opts();
    fo.series = id;
    tsf_forecast_result *f = NULL;
    if (tsf_forecast(m, y, n, NULL, 4, NULL, 0, &fo, &f)) fail_msg("%s", tsf_errmsg());
    return f;
}

static void test_ensemble_global(void **state)
{
    (void)state;
    enum { N = 40 };
    double a[N], b[N];
    for (size_t t = 0; t < N; t++) {
        a[t] = 10.0 + (double)(t % 4) + 0.1 * (double)t;
        b[t] = 500.0 + 30.0 * sin((double)t) + (double)t;
    }
    const double *ys[2] = {a, b};
    size_t ns[2] = {N, N};
    /* no key: 3 networks, the spec saying so */
    tsf_model *e = global_fit("wavenet(channels=4, skip=4)", ys, ns, 5);
    assert_string_equal(tsf_model_family(e), "combo");
    assert_string_equal(tsf_model_spec(e), "wavenet(channels=4, skip=4, ensemble=3)");
    /* ensemble=1: one network, as each member alone with seeds 5, 6, 7 */
    tsf_forecast_result *f[3], *fe = series_fc(e, "b", b, N);
    for (int k = 0; k < 3; k++) {
        tsf_model *m = global_fit("wavenet(channels=4, skip=4, ensemble=1)", ys, ns,
                                  5 + (uint64_t)k);
        assert_string_equal(tsf_model_family(m), "wavenet");
        f[k] = series_fc(m, "b", b, N);
        tsf_model_free(m);
    }
    for (size_t i = 0; i < 4; i++)
        assert_rel(fe->mean[i], (f[0]->mean[i] + f[1]->mean[i] + f[2]->mean[i]) / 3.0, 1e-12,
                   1e-12);
    /* an explicit K and a spec with no group */
    tsf_model *e2 = global_fit("gru[4]", ys, ns, 5);
    assert_string_equal(tsf_model_spec(e2), "gru(ensemble=3)[4]");
    tsf_model_free(e2);
    e2 = global_fit("gru(hidden=4, layers=1, ensemble=2)", ys, ns, 5);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(e2, &info), TSF_OK);
    assert_non_null(strstr(info.model, "Ensemble(2 x GRU(hidden=4"));
    tsf_model_free(e2);

    /* the model file: the same forecasts after reloading */
    char path[] = "/tmp/tsf_ensemble_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tsf_save(e, path), TSF_OK);
    tsf_model *back = NULL;
    assert_int_equal(tsf_load(path, &back), TSF_OK);
    assert_string_equal(tsf_model_spec(back), tsf_model_spec(e));
    tsf_forecast_result *fb = series_fc(back, "b", b, N), *fa = series_fc(e, "a", a, N),
                        *fab = series_fc(back, "a", a, N);
    for (size_t i = 0; i < 4; i++) {
        assert_true(fb->mean[i] == fe->mean[i] && fb->se[i] == fe->se[i]);
        assert_true(fab->mean[i] == fa->mean[i]);
    }
    tsf_forecast_opts fo = fc_opts();
    fo.series = "c";
    tsf_forecast_result *bad = NULL;
    assert_int_equal(tsf_forecast(back, b, N, NULL, 4, NULL, 0, &fo, &bad), TSF_EINVAL);
    assert_errmsg_has("series 'c' is not one of the 2 series");
    tsf_model_free(back);
    /* a member holding other series than the first: refused */
    tsf_st *doc;
    assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "m2.neural.series_ids", "[\"a\",\"x\"]"), TSF_OK);
    assert_int_equal(tsf_st_write(doc, path), TSF_OK);
    tsf_st_free(doc);
    back = NULL;
    assert_int_equal(tsf_load(path, &back), TSF_EPARSE);
    assert_errmsg_has("member 3 holds other series than member 1");
    assert_null(back);
    unlink(path);
    for (int k = 0; k < 3; k++) tsf_forecast_free(f[k]);
    tsf_forecast_free(fe);
    tsf_forecast_free(fb);
    tsf_forecast_free(fa);
    tsf_forecast_free(fab);
    tsf_model_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ensemble_vs_members),
        cmocka_unit_test(test_ensemble_xreg),
        cmocka_unit_test(test_ensemble_in_combo),
        cmocka_unit_test(test_ensemble_bad_keys),
        cmocka_unit_test(test_ensemble_global),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
