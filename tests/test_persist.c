/* tsf_save / tsf_load and the streaming state, through a tiny model family
 * that exists only in this test: y_t iid N(mu, s2).  Its log densities and
 * forecasts have closed forms, so the core's work (metadata, transform,
 * Jacobian, back-transform, dispatch, error paths) is checked against
 * numbers computed here independently. */
#include <dirent.h>
#include <unistd.h>
#include "testutil.h"
#include "core/internal.h"
#include "core/model_impl.h"

#define LOG_2PI 1.8378770664093454836

/* ---- the test family "fake" (and "plain", the same without save/state) ---- */

typedef struct {
    long tag;       /* a spec option, to check the spec is re-parsed on load */
    double mu, s2;  /* fitted */
} fake;

typedef struct {
    double mu, s2;
} fake_state;

static tsf_status fake_parse(const tsf_spec *spec, void **impl)
{
    fake *f = calloc(1, sizeof *f);
    if (!f) return TSF_ENOMEM;
    tsf_status st = tsf_spec_get_int(spec, 0, "tag", 0, 100, &f->tag);
    if (!st) st = tsf_spec_check_unused(spec, "tag");
    if (st) {
        free(f);
        return st;
    }
    *impl = f;
    return TSF_OK;
}

static tsf_status fake_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           int period, const tsf_fit_opts *opts)
{
    (void)xreg; (void)period; (void)opts;
    fake *f = impl;
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(y[i])) { s += y[i]; k++; }
    if (k < 2) return tsf_set_error(TSF_EDOMAIN, "fake: too few values");
    f->mu = s / (double)k;
    for (size_t i = 0; i < n; i++)
        if (!isnan(y[i])) ss += (y[i] - f->mu) * (y[i] - f->mu);
    f->s2 = ss / (double)k;
    return TSF_OK;
}

static double lnorm(double y, double mu, double s2)
{
    return -0.5 * (LOG_2PI + log(s2) + (y - mu) * (y - mu) / s2);
}

static tsf_status fake_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                              size_t start, double *ll)
{
    (void)xreg;
    const fake *f = impl;
    *ll = 0;
    for (size_t i = start; i < n; i++)
        if (!isnan(y[i])) *ll += lnorm(y[i], f->mu, f->s2);
    return TSF_OK;
}

static void normal_fc(double mu, double s2, size_t h, const double *levels, size_t nlevels,
                      tsf_forecast_result *fc)
{
    for (size_t i = 0; i < h; i++) {
        fc->mean[i] = mu;
        fc->se[i] = sqrt(s2);
        for (size_t k = 0; k < nlevels; k++) {
            double z = tsf_qnorm(0.5 + levels[k] / 200.0);
            fc->lower[k * h + i] = mu - z * sqrt(s2);
            fc->upper[k * h + i] = mu + z * sqrt(s2);
        }
    }
}

static tsf_status fake_forecast(const void *impl, const double *y, size_t n,
                                const tsf_xreg *xreg, size_t h, const double *levels,
                                size_t nlevels, const tsf_forecast_opts *opts,
                                tsf_forecast_result *fc)
{
    (void)y; (void)n; (void)xreg; (void)opts;
    const fake *f = impl;
    normal_fc(f->mu, f->s2, h, levels, nlevels, fc);
    return TSF_OK;
}

static tsf_status fake_state_new(const void *impl, void **st)
{
    const fake *f = impl;
    fake_state *s = malloc(sizeof *s);
    if (!s) return TSF_ENOMEM;
    s->mu = f->mu;
    s->s2 = f->s2;
    *st = s;
    return TSF_OK;
}

static tsf_status fake_state_update(void *st, double y, const double *x, size_t k, double *logp)
{
    const fake_state *s = st;
    (void)x;
    (void)k;
    *logp = isnan(y) ? 0.0 : lnorm(y, s->mu, s->s2);
    return TSF_OK;
}

static tsf_status fake_state_forecast(void *st, size_t h, const double *levels,
                                      size_t nlevels, const tsf_forecast_opts *opts,
                                      tsf_forecast_result *fc)
{
    (void)opts;
    const fake_state *s = st;
    normal_fc(s->mu, s->s2, h, levels, nlevels, fc);
    return TSF_OK;
}

static tsf_status fake_save(const void *impl, tsf_st *doc)
{
    const fake *f = impl;
    const size_t one[1] = {1};
    char tag[24];
    snprintf(tag, sizeof tag, "%ld", f->tag);
    tsf_status st;
    if ((st = tsf_st_add(doc, "mu", TSF_ST_F64, 1, one, &f->mu)) ||
        (st = tsf_st_add(doc, "sigma2", TSF_ST_F64, 1, one, &f->s2)) ||
        (st = tsf_st_set_meta(doc, "fake_tag", tag)) ||
        (st = tsf_st_set_meta(doc, "format", "shadowed"))) /* the core must win */
        return st;
    return TSF_OK;
}

static tsf_status get1(const tsf_st *doc, const char *name, double *v)
{
    const void *p;
    size_t cnt;
    tsf_status st = tsf_st_get(doc, name, TSF_ST_F64, NULL, NULL, &p, &cnt);
    if (st) return st;
    if (cnt != 1) return tsf_set_error(TSF_EPARSE, "fake: tensor '%s' has %zu values", name, cnt);
    *v = *(const double *)p;
    return TSF_OK;
}

static tsf_status fake_load(const tsf_st *doc, void **impl)
{
    fake *f = *impl;
    tsf_status st;
    if ((st = get1(doc, "mu", &f->mu)) || (st = get1(doc, "sigma2", &f->s2))) return st;
    if (!(f->s2 > 0 && isfinite(f->mu)))
        return tsf_set_error(TSF_EPARSE, "fake: bad parameters");
    return TSF_OK;
}

static void fake_free(void *impl) { free(impl); }

static const tsf_model_type fake_type = {
    .name = "fake", .parse = fake_parse, .fit = fake_fit, .loglik = fake_loglik,
    .forecast = fake_forecast, .state_new = fake_state_new,
    .state_update = fake_state_update, .state_forecast = fake_state_forecast,
    .state_free = free, .save = fake_save, .load = fake_load, .free = fake_free,
};

static const tsf_model_type plain_type = {
    .name = "plain", .parse = fake_parse, .fit = fake_fit, .loglik = fake_loglik,
    .free = fake_free,
};

static const tsf_model_type *find(const char *name)
{
    if (!strcmp(name, "fake")) return &fake_type;
    if (!strcmp(name, "plain")) return &plain_type;
    return NULL;
}

/* ---- helpers ---- */

static const double Y[8] = {3.2, 4.1, NAN, 2.7, 5.9, 3.3, 4.4, 3.8};
#define NY 8

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tsf-persist-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[sizeof dir + 260];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(dir);
    return 0;
}

static const char *file(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static tsf_model *fitted(const char *spec, tsf_transform tr, double lambda)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new_find(spec, find, &m), TSF_OK);
    tsf_fit_opts o = {0};
    o.transform = tr;
    o.lambda = lambda;
    assert_int_equal(tsf_fit(m, Y, NY, NULL, 0, &o), TSF_OK);
    return m;
}

/* Closed forms for the fitted N(mu, s2) on g(y), g Box-Cox with lambda
 * (NaN: identity): the fitted moments and sum log p(y) in y's units. */
static double g(double y, double lam)
{
    if (isnan(lam)) return y;
    return lam == 0 ? log(y) : (pow(y, lam) - 1) / lam;
}

static void moments(double lam, double *mu, double *s2)
{
    double s = 0, ss = 0;
    int k = 0;
    for (int i = 0; i < NY; i++)
        if (!isnan(Y[i])) { s += g(Y[i], lam); k++; }
    *mu = s / k;
    for (int i = 0; i < NY; i++)
        if (!isnan(Y[i])) ss += pow(g(Y[i], lam) - *mu, 2);
    *s2 = ss / k;
}

static double expected_loglik(double lam)
{
    double mu, s2, ll = 0;
    moments(lam, &mu, &s2);
    for (int i = 0; i < NY; i++) {
        if (isnan(Y[i])) continue;
        double z = g(Y[i], lam);
        ll += -0.5 * log(2 * M_PI * s2) - (z - mu) * (z - mu) / (2 * s2);
        if (!isnan(lam)) ll += (lam - 1) * log(Y[i]); /* log g'(y) */
    }
    return ll;
}

/* ---- tests ---- */

static void test_save_load(void **state)
{
    (void)state;
    tsf_model *m = fitted("fake(tag=7)", TSF_TRANSFORM_NONE, 0), *back;
    const char *path = file("fake.safetensors");
    assert_int_equal(tsf_save(m, path), TSF_OK);

    tsf_st *doc;
    assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
    assert_string_equal(tsf_st_meta(doc, "format"), "tsf");
    assert_string_equal(tsf_st_meta(doc, "tsf_version"), TSF_VERSION_STRING);
    assert_string_equal(tsf_st_meta(doc, "family"), "fake");
    assert_string_equal(tsf_st_meta(doc, "spec"), "fake(tag=7)");
    assert_string_equal(tsf_st_meta(doc, "lambda"), "none");
    assert_string_equal(tsf_st_meta(doc, "jacobian"), "0");
    assert_string_equal(tsf_st_meta(doc, "fake_tag"), "7");
    assert_true(strtod(tsf_st_meta(doc, "fit_seconds"), NULL) >= 0);
    tsf_st_free(doc);

    assert_int_equal(tsf_load_find(path, find, &back), TSF_OK);
    assert_string_equal(tsf_model_family(back), "fake");
    assert_string_equal(tsf_model_spec(back), "fake(tag=7)");
    assert_int_equal(((fake *)back->impl)->tag, 7);
    assert_true(back->fitted);
    assert_true(isnan(back->lambda));
    double ll0, ll1;
    assert_int_equal(tsf_loglik(m, Y, NY, NULL, 0, &ll0), TSF_OK);
    assert_int_equal(tsf_loglik(back, Y, NY, NULL, 0, &ll1), TSF_OK);
    assert_true(ll0 == ll1); /* parameters stored bit-exactly */
    assert_close(ll1, expected_loglik(NAN), 1e-12);
    tsf_model_free(m);
    tsf_model_free(back);
}

static void test_transform_persisted(void **state)
{
    (void)state;
    const double lams[2] = {0.0, 0.5};
    const tsf_transform trs[2] = {TSF_TRANSFORM_LOG, TSF_TRANSFORM_BOXCOX};
    const char *strs[2] = {"0", "0.5"};
    for (int k = 0; k < 2; k++) {
        tsf_model *m = fitted("fake", trs[k], lams[k]), *back;
        const char *path = file("t.safetensors");
        assert_int_equal(tsf_save(m, path), TSF_OK);
        tsf_st *doc;
        assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
        assert_string_equal(tsf_st_meta(doc, "lambda"), strs[k]);
        double jac = 0;
        for (int i = 0; i < NY; i++)
            if (!isnan(Y[i])) jac += (lams[k] - 1) * log(Y[i]);
        assert_close(strtod(tsf_st_meta(doc, "jacobian"), NULL), jac, 1e-12);
        tsf_st_free(doc);

        assert_int_equal(tsf_load_find(path, find, &back), TSF_OK);
        assert_true(back->lambda == lams[k]);
        assert_true(back->jacobian == m->jacobian); /* %.17g round-trips */
        double ll;
        assert_int_equal(tsf_loglik(back, Y, NY, NULL, 0, &ll), TSF_OK);
        assert_close(ll, expected_loglik(lams[k]), 1e-10);
        tsf_model_free(m);
        tsf_model_free(back);
    }
}

static void test_state(void **state)
{
    (void)state;
    const double lam = 0.0;
    tsf_model *m = fitted("fake", TSF_TRANSFORM_LOG, lam), *back;
    assert_int_equal(tsf_save(m, file("s.safetensors")), TSF_OK);
    assert_int_equal(tsf_load_find(file("s.safetensors"), find, &back), TSF_OK);
    tsf_model_free(m);

    tsf_state *st;
    assert_int_equal(tsf_state_new(back, &st), TSF_OK);
    double mu, s2, sum = 0, lp;
    moments(lam, &mu, &s2);
    for (int i = 0; i < NY; i++) {
        assert_int_equal(tsf_state_update(st, Y[i], &lp), TSF_OK);
        double want = isnan(Y[i]) ? 0.0
                                  : -0.5 * log(2 * M_PI * s2) -
                                        pow(log(Y[i]) - mu, 2) / (2 * s2) - log(Y[i]);
        assert_close(lp, want, 1e-12);
        sum += lp;
    }
    double ll;
    assert_int_equal(tsf_loglik(back, Y, NY, NULL, 0, &ll), TSF_OK);
    assert_close(sum, ll, 1e-10);
    assert_close(sum, expected_loglik(lam), 1e-10);

    /* bad observations leave the state usable */
    lp = 99;
    assert_int_equal(tsf_state_update(st, -1.0, &lp), TSF_EDOMAIN);
    assert_errmsg_has("needs positive data");
    assert_close(lp, 0.0, 0);
    assert_int_equal(tsf_state_update(st, INFINITY, &lp), TSF_EINVAL);
    assert_int_equal(tsf_state_update(st, 2.0, NULL), TSF_OK);

    /* forecast: the log-normal median and quantiles exp(mu +- z sd) */
    const double levels[2] = {80, 95}, z[2] = {1.2815515655446004, 1.959963984540054};
    tsf_forecast_result *fc, *fc2;
    assert_int_equal(tsf_state_forecast(st, 3, levels, 2, NULL, &fc), TSF_OK);
    assert_int_equal(fc->h, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_close(fc->mean[i], exp(mu), 1e-12);
        assert_close(fc->se[i], sqrt(s2) * exp(mu), 1e-12); /* delta method */
        for (size_t k = 0; k < 2; k++) {
            assert_close(fc->lower[k * 3 + i], exp(mu - z[k] * sqrt(s2)), 1e-9);
            assert_close(fc->upper[k * 3 + i], exp(mu + z[k] * sqrt(s2)), 1e-9);
        }
    }
    /* the same as the whole-series path, and biasadj gives the mean */
    assert_int_equal(tsf_forecast(back, Y, NY, NULL, 3, levels, 2, NULL, &fc2), TSF_OK);
    assert_memory_equal(fc->upper, fc2->upper, 6 * sizeof(double));
    tsf_forecast_free(fc2);
    tsf_forecast_opts o = {0};
    o.biasadj = 1;
    assert_int_equal(tsf_state_forecast(st, 1, levels, 2, &o, &fc2), TSF_OK);
    assert_close(fc2->mean[0], exp(mu) * (1 + s2 / 2), 1e-12);
    tsf_forecast_free(fc2);
    tsf_forecast_free(fc);

    assert_int_equal(tsf_state_forecast(st, 0, levels, 2, NULL, &fc), TSF_EINVAL);
    assert_null(fc);
    const double badlev[1] = {100};
    assert_int_equal(tsf_state_forecast(st, 2, badlev, 1, NULL, &fc), TSF_EINVAL);
    assert_int_equal(tsf_state_update(NULL, 1.0, &lp), TSF_EINVAL);
    tsf_state_free(st);
    tsf_state_free(NULL);

    /* the state keeps its own copy: it outlives the model */
    assert_int_equal(tsf_state_new(back, &st), TSF_OK);
    tsf_model_free(back);
    assert_int_equal(tsf_state_update(st, 3.0, &lp), TSF_OK);
    assert_close(lp, -0.5 * log(2 * M_PI * s2) - pow(log(3.0) - mu, 2) / (2 * s2) - log(3.0),
                 1e-12);
    tsf_state_free(st);
}

static void test_unsupported(void **state)
{
    (void)state;
    tsf_model *m = fitted("plain", TSF_TRANSFORM_NONE, 0), *u;
    assert_int_equal(tsf_save(m, file("p.safetensors")), TSF_EUNSUP);
    assert_errmsg_has("model 'plain' cannot be saved");
    assert_int_equal(access(file("p.safetensors"), F_OK), -1);
    tsf_state *st = (tsf_state *)1;
    assert_int_equal(tsf_state_new(m, &st), TSF_EUNSUP);
    assert_null(st);
    assert_errmsg_has("does not support streaming updates");
    tsf_model_free(m);

    assert_int_equal(tsf_model_new_find("fake", find, &u), TSF_OK);
    assert_int_equal(tsf_save(u, file("u.safetensors")), TSF_EINVAL);
    assert_errmsg_has("has not been fitted");
    assert_int_equal(tsf_state_new(u, &st), TSF_EINVAL);
    tsf_model_free(u);
}

/* A saved fake model, re-written with one metadata key changed (or a
 * tensor dropped when key is NULL), must fail to load with needle. */
static void expect_load_fails(const char *key, const char *value, tsf_status code,
                              const char *needle)
{
    tsf_st *doc, *out;
    assert_int_equal(tsf_st_read(file("good.safetensors"), &doc), TSF_OK);
    assert_int_equal(tsf_st_new(&out), TSF_OK);
    const char *keys[] = {"format", "tsf_version", "family", "spec", "lambda", "fit_seconds",
                          "jacobian"};
    for (size_t i = 0; i < 7; i++)
        if (!key || strcmp(keys[i], key))
            assert_int_equal(tsf_st_set_meta(out, keys[i], tsf_st_meta(doc, keys[i])), TSF_OK);
    if (key && value) assert_int_equal(tsf_st_set_meta(out, key, value), TSF_OK);
    const void *p;
    const size_t one[1] = {1};
    assert_int_equal(tsf_st_get(doc, "mu", TSF_ST_F64, NULL, NULL, &p, NULL), TSF_OK);
    assert_int_equal(tsf_st_add(out, "mu", TSF_ST_F64, 1, one, p), TSF_OK);
    if (key) {
        assert_int_equal(tsf_st_get(doc, "sigma2", TSF_ST_F64, NULL, NULL, &p, NULL), TSF_OK);
        assert_int_equal(tsf_st_add(out, "sigma2", TSF_ST_F64, 1, one, p), TSF_OK);
    }
    assert_int_equal(tsf_st_write(out, file("bad.safetensors")), TSF_OK);
    tsf_st_free(doc);
    tsf_st_free(out);
    tsf_model *m = (tsf_model *)1;
    tsf_status st = tsf_load_find(file("bad.safetensors"), find, &m);
    if (st != code) fail_msg("%s=%s: status %d (%s)", key, value, (int)st, tsf_errmsg());
    if (code == TSF_OK) {
        assert_non_null(m);
        tsf_model_free(m);
        return;
    }
    assert_null(m);
    assert_errmsg_has(needle);
}

static void test_bad_model_files(void **state)
{
    (void)state;
    tsf_model *m = fitted("fake(tag=3)", TSF_TRANSFORM_NONE, 0);
    assert_int_equal(tsf_save(m, file("good.safetensors")), TSF_OK);
    tsf_model_free(m);
    expect_load_fails("lambda", "0.5", TSF_OK, ""); /* the harness itself loads */

    expect_load_fails("format", NULL, TSF_EPARSE, "bad model file: metadata 'format' is not");
    expect_load_fails("format", "pt", TSF_EPARSE, "not a tsf model file");
    expect_load_fails("family", "nonesuch", TSF_EPARSE,
                      "bad model file: unknown model family 'nonesuch'");
    expect_load_fails("family", "plain", TSF_EUNSUP, "the plain family cannot load");
    expect_load_fails("spec", "fake(", TSF_EPARSE,
                      "metadata 'spec' is not a valid model spec: spec \"fake(\"");
    expect_load_fails("spec", "fake(tag=1000)", TSF_EPARSE, "not a valid model spec");
    expect_load_fails("spec", "plain", TSF_EPARSE, "names another model family");
    expect_load_fails("spec", NULL, TSF_EPARSE, "metadata 'spec' is missing");
    expect_load_fails("lambda", "abc", TSF_EPARSE, "metadata 'lambda' is 'abc', not a number");
    expect_load_fails("lambda", "1\n2", TSF_EPARSE, "metadata 'lambda' is '1?2'");
    assert_null(strchr(tsf_errmsg(), '\n'));
    expect_load_fails("spec", "fake(\n", TSF_EPARSE, "spec \"fake(?\"");
    assert_null(strchr(tsf_errmsg(), '\n'));
    expect_load_fails("lambda", "nan", TSF_EPARSE, "metadata 'lambda' is 'nan'");
    expect_load_fails("lambda", "9", TSF_EPARSE, "not a number in [-5, 5]");
    expect_load_fails("fit_seconds", "-1", TSF_EPARSE, "metadata 'fit_seconds'");
    expect_load_fails("jacobian", "1e999", TSF_EPARSE, "metadata 'jacobian'");
    expect_load_fails("jacobian", "1 ", TSF_EPARSE, "metadata 'jacobian'");
    expect_load_fails(NULL, NULL, TSF_EPARSE, "bad model file: tensor 'sigma2' is missing");

    /* the public tsf_load: no family of that name in the registry */
    tsf_model *l = (tsf_model *)1;
    assert_int_equal(tsf_load(file("good.safetensors"), &l), TSF_EPARSE);
    assert_null(l);
    assert_errmsg_has("unknown model family 'fake'");
    assert_int_equal(tsf_load(file("absent.safetensors"), &l), TSF_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_transform_persisted),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_bad_model_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
