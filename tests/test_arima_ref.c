/* Every `arima` case of tests/reference/r_reference.json (R 4.2.2
 * stats::arima and predict.Arima) against tsf's fit through the public
 * API, within the tolerances of the reference README: loglik at least R's
 * minus 1e-3, coefficients 1% or 1e-3 (when the logliks tie), sigma2 1%,
 * forecast means within 2% of R's se, forecast se within 2%. */
#include "testutil.h"
#include <jansson.h>
#include "core/internal.h"

/* Reads column `col` of a CSV file written by R (quoted header, empty
 * field or NA = missing).  Returns the number of rows. */
static size_t read_csv(const char *path, const char *col, int logt, double **out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    int idx = -1, k = 0;
    for (char *tok = line, *end; tok; tok = end ? end + 1 : NULL, k++) {
        end = strchr(tok, ',');
        if (end) *end = 0;
        char name[256];
        size_t m = 0;
        for (char *c = tok; *c && m + 1 < sizeof name; c++)
            if (*c != '"' && *c != '\n' && *c != '\r') name[m++] = *c;
        name[m] = 0;
        if (strcmp(name, col) == 0) idx = k;
    }
    assert_true(idx >= 0);
    size_t n = 0, cap = 64;
    double *y = malloc(cap * sizeof *y);
    while (fgets(line, sizeof line, f)) {
        char *tok = line;
        for (int i = 0; i < idx && tok; i++) {
            tok = strchr(tok, ',');
            if (tok) tok++;
        }
        double v = NAN;
        if (tok) {
            while (*tok == '"' || *tok == ' ') tok++;
            char *e;
            double d = strtod(tok, &e);
            if (e != tok) v = logt ? log(d) : d;
        }
        if (n == cap) y = realloc(y, (cap *= 2) * sizeof *y);
        y[n++] = v;
    }
    fclose(f);
    *out = y;
    return n;
}

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf("  FAIL %s: ", id);                                                     \
            printf(__VA_ARGS__);                                                           \
            printf("\n");                                                                  \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static void run_case(json_t *c)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *data = json_string_value(json_object_get(c, "data"));
    const char *col = json_string_value(json_object_get(c, "column"));
    const char *tr = json_string_value(json_object_get(c, "transform"));
    const char *method = json_string_value(json_object_get(c, "method"));
    json_t *xr = json_object_get(c, "xreg");
    int order[3], seas[3];
    for (int i = 0; i < 3; i++) {
        order[i] = (int)json_integer_value(json_array_get(json_object_get(c, "order"), (size_t)i));
        seas[i] = (int)json_integer_value(json_array_get(json_object_get(c, "seasonal"), (size_t)i));
    }
    int period = (int)json_integer_value(json_object_get(c, "period"));
    char spec[128], rel[256], path[512];
    if (seas[0] || seas[1] || seas[2])
        snprintf(spec, sizeof spec, "arima(%d,%d,%d)(%d,%d,%d)[%d]", order[0], order[1], order[2],
                 seas[0], seas[1], seas[2], period);
    else
        snprintf(spec, sizeof spec, "arima(%d,%d,%d)", order[0], order[1], order[2]);
    snprintf(rel, sizeof rel, "../datasets/%s.csv", data);
    double *y;
    size_t n = read_csv(test_path(rel, path, sizeof path), col, tr && strcmp(tr, "log") == 0, &y);

    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o;
    memset(&o, 0, sizeof o);
    o.method = strcmp(method, "ML") == 0 ? TSF_METHOD_ML
               : strcmp(method, "CSS") == 0 ? TSF_METHOD_CSS : TSF_METHOD_CSS_ML;
    if (!json_is_true(json_object_get(c, "include_mean"))) o.include_mean = -1;
    if (json_is_string(xr) && strcmp(json_string_value(xr), "trend") == 0) o.trend = 1;
    double t0 = tsf_now();
    tsf_status st = tsf_fit(m, y, n, NULL, period, &o);
    double dt = tsf_now() - t0;
    if (st) {
        printf("  FAIL %s: fit failed: %s\n", id, tsf_errmsg());
        failures++;
        tsf_model_free(m);
        free(y);
        return;
    }
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    double rll = json_real_value(json_object_get(c, "loglik"));
    printf("%-26s %-28s loglik %.6f (R %.6f, diff %+.2e) sigma2 %.6g (R %.6g) %.1f ms\n", id, spec,
           info.loglik, rll, info.loglik - rll, info.sigma2,
           json_real_value(json_object_get(c, "sigma2")), dt * 1e3);
    CHECK(info.loglik >= rll - 1e-3, "loglik %.6f < R's %.6f - 1e-3", info.loglik, rll);
    int ties = fabs(info.loglik - rll) <= 1e-3;
    CHECK(info.nobs == (size_t)json_integer_value(json_object_get(c, "nobs")), "nobs %zu", info.nobs);
    json_t *coef = json_object_get(c, "coef"), *se = json_object_get(c, "se");
    CHECK(info.ncoef == json_object_size(coef), "ncoef %zu vs %zu", info.ncoef, json_object_size(coef));
    for (size_t i = 0; i < info.ncoef; i++) {
        json_t *rv = json_object_get(coef, info.coef_names[i]);
        CHECK(rv != NULL, "coefficient %s not in R's", info.coef_names[i]);
        if (!rv) continue;
        double r = json_real_value(rv), v = info.coef[i];
        if (ties)
            CHECK(fabs(v - r) <= 0.01 * fabs(r) || fabs(v - r) <= 1e-3, "%s = %.6f, R %.6f",
                  info.coef_names[i], v, r);
        double rs = json_real_value(json_object_get(se, info.coef_names[i]));
        /* standard errors come from numerical Hessians on both sides */
        if (ties)
            CHECK(fabs(info.se[i] - rs) <= 0.05 * rs, "se(%s) = %.6f, R %.6f", info.coef_names[i],
                  info.se[i], rs);
    }
    double rs2 = json_real_value(json_object_get(c, "sigma2"));
    CHECK(fabs(info.sigma2 - rs2) <= 0.01 * rs2 || !ties, "sigma2 %.6g, R %.6g", info.sigma2, rs2);
    CHECK(fabs(info.aic - json_real_value(json_object_get(c, "aic"))) <= 2e-3 || !ties, "aic %.6f",
          info.aic);

    size_t h = (size_t)json_integer_value(json_object_get(c, "horizon"));
    json_t *fm = json_object_get(c, "forecast_mean"), *fs = json_object_get(c, "forecast_se");
    double lv = 95.0;
    tsf_forecast_result *fc;
    assert_int_equal(tsf_forecast(m, y, n, NULL, h, &lv, 1, NULL, &fc), TSF_OK);
    for (size_t i = 0; i < h; i++) {
        double rm = json_real_value(json_array_get(fm, i)), rse = json_real_value(json_array_get(fs, i));
        CHECK(fabs(fc->mean[i] - rm) <= 0.02 * rse, "forecast %zu: %.6f, R %.6f (se %.4g)", i + 1,
              fc->mean[i], rm, rse);
        CHECK(fabs(fc->se[i] - rse) <= 0.02 * rse, "forecast se %zu: %.6f, R %.6f", i + 1,
              fc->se[i], rse);
    }
    tsf_forecast_free(fc);
    tsf_model_free(m);
    free(y);
}

static void test_reference(void **state)
{
    (void)state;
    char path[512];
    json_error_t err;
    json_t *root = json_load_file(test_path("reference/r_reference.json", path, sizeof path), 0, &err);
    assert_non_null(root);
    size_t i, ncase = 0;
    json_t *c;
    json_array_foreach(root, i, c)
    {
        const char *kind = json_string_value(json_object_get(c, "kind"));
        if (!kind || strcmp(kind, "arima") != 0) continue;
        run_case(c);
        ncase++;
    }
    json_decref(root);
    printf("%zu arima reference cases, %d failed checks\n", ncase, failures);
    assert_true(ncase >= 15);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
