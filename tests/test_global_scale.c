/* Local scaling of global models of positive series (src/neural/global.c,
 * docs/neural.md "Global models"): every position t of series k is divided
 * by s_k nu_t, nu_t = max(mean |y_j / s_k| over the L values before t, 0.1)
 * (1 before any value), L = whole periods, at least 4.  A global model
 * with a value <= 0 keeps the series' scale.
 *  - tsf_neural_local_scale and tsf_neural_local_len against their
 *    closed forms;
 *  - dense reference: the streaming log-likelihood of a global model
 *    (one position at a time, the local scale from the stream's ring of
 *    recent values) equals the training pass over the whole series as one
 *    window whose inputs, targets and log-scale feature are built here
 *    from the definition above: sum_t [ -nll_t(z_t / nu_t) - log(s_k nu_t) ]. */
#include <unistd.h>
#include "testutil.h"
#include "core/model_impl.h"
#include "neural/neural.h"

static void test_local_scale_closed_form(void **s)
{
    (void)s;
    const double a[] = {1.0, -3.0, NAN, 2.0};
    assert_close(tsf_neural_local_scale(a, 4), 2.0, 1e-15);     /* (1 + 3 + 2) / 3 */
    assert_close(tsf_neural_local_scale(a + 1, 1), 3.0, 1e-15);
    const double small[] = {0.01, -0.03};
    assert_close(tsf_neural_local_scale(small, 2), TSF_NN_LSCALE_FLOOR, 0.0);
    const double none[] = {NAN, NAN};
    assert_close(tsf_neural_local_scale(none, 2), 1.0, 0.0);
    assert_close(tsf_neural_local_scale(NULL, 0), 1.0, 0.0);
    assert_int_equal(tsf_neural_local_len(1), 4);
    assert_int_equal(tsf_neural_local_len(3), 6);
    assert_int_equal(tsf_neural_local_len(4), 4);
    assert_int_equal(tsf_neural_local_len(12), 12);
    assert_int_equal(tsf_neural_local_len(52), 52);
}

#define N 40

/* Two series with a pattern of 4 (quarterly; also fitted as yearly): a
 * trend x 10 with a missing value, and a flat one near 1000. */
static void make_series(double *y0, double *y1)
{
    static const double season[4] = {1.0, 1.3, 0.8, 0.9};
    for (size_t t = 0; t < N; t++) {
        y0[t] = (10.0 + 2.0 * (double)t) * season[t % 4] + 0.5 * sin(1.7 * (double)t);
        y1[t] = 1000.0 + 30.0 * season[t % 4] + 5.0 * cos(0.9 * (double)t);
    }
    y0[13] = NAN;
}

static double dense_loglik(const tsf_neural *m, size_t k, const double *y, size_t P)
{
    const tsf_nn *nn = m->nn;
    size_t F = nn->nin, L = tsf_neural_local_len(P);
    double sk = m->sscale[k], logs = 0.0;
    float *x = calloc(N * F, sizeof *x), *z = malloc(N * sizeof *z);
    assert_non_null(x);
    assert_non_null(z);
    for (size_t t = 0; t < N; t++) {
        double sa = 0.0;
        size_t c = 0;
        for (size_t j = t >= L ? t - L : 0; j < t; j++)
            if (!isnan(y[j])) {
                sa += fabs(y[j] / sk);
                c++;
            }
        double nu = c ? fmax(sa / (double)c, 0.1) : 1.0;
        float *r = x + t * F;
        r[0] = t >= 1 && !isnan(y[t - 1]) ? (float)(y[t - 1] / sk / nu) : 0.0f;
        r[1] = t >= 1 && !isnan(y[t - 1]) ? 0.0f : 1.0f;
        if (P > 1) {
            r[2] = t >= P && !isnan(y[t - P]) ? (float)(y[t - P] / sk / nu) : 0.0f;
            r[3] = t >= P && !isnan(y[t - P]) ? 0.0f : 1.0f;
        }
        assert_int_equal(nn->xser, P > 1 ? 4 : 2);
        r[nn->xser] = (float)((log(sk * nu) - m->ls_mu) / m->ls_sd);
        z[t] = isnan(y[t]) ? NAN : (float)(y[t] / sk / nu);
        if (!isnan(y[t])) logs += log(sk * nu);
    }
    tsf_nn_acts *a;
    assert_int_equal(tsf_nn_acts_new(nn, 1, N, &a), TSF_OK);
    double nll = tsf_nn_forward_backward(nn, a, x, z, 1, N, NULL, NULL, 1.0f);
    tsf_nn_acts_free(a);
    free(x);
    free(z);
    return -nll - logs;
}

static void test_stream_equals_dense(void **s)
{
    (void)s;
    double y[2][N];
    make_series(y[0], y[1]);
    const double *ys[2] = {y[0], y[1]};
    size_t ns[2] = {N, N};
    const char *ids[2] = {"trend", "flat"};
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 2;
    o.threads = 1;
    const char *specs[] = {"gru(hidden=8, layers=1, ensemble=1)",
                           "wavenet(channels=4, skip=4, ensemble=1)"}; /* one network each */
    for (size_t i = 0; i < 4; i++) {
        size_t P = i < 2 ? 1 : 4;
        tsf_model *mod;
        assert_int_equal(tsf_model_new(specs[i % 2], &mod), TSF_OK);
        if (tsf_fit_global(mod, ys, ns, ids, 2, (int)P, &o))
            fail_msg("%s: %s", specs[i % 2], tsf_errmsg());
        const tsf_neural *m = mod->impl;
        assert_int_equal(m->cfg.lscale, 1);
        for (size_t k = 0; k < 2; k++) {
            double ll;
            assert_int_equal(tsf_neural_series_loglik_x(m, k, y[k], N, NULL, 0, &ll, NULL),
                             TSF_OK);
            double ref = dense_loglik(m, k, y[k], P);
            print_message("%s, period %zu, series %s: stream %.6f, dense %.6f\n", specs[i % 2], P,
                          ids[k], ll, ref);
            /* float32 passes of two orders: 1e-5 relative */
            assert_rel(ll, ref, 1e-5, 1e-3);
        }
        /* the model file keeps the local scaling (neural.local_scale) */
        char path[] = "/tmp/tsf_global_scale_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        tsf_model *back;
        assert_int_equal(tsf_save(mod, path), TSF_OK);
        assert_int_equal(tsf_load(path, &back), TSF_OK);
        unlink(path);
        const tsf_neural *mb = back->impl;
        assert_int_equal(mb->cfg.lscale, 1);
        double l0, l1;
        assert_int_equal(tsf_neural_series_loglik_x(m, 0, y[0], N, NULL, 0, &l0, NULL), TSF_OK);
        assert_int_equal(tsf_neural_series_loglik_x(mb, 0, y[0], N, NULL, 0, &l1, NULL), TSF_OK);
        assert_rel(l1, l0, 1e-12, 0);
        tsf_model_free(back);
        tsf_model_free(mod);
    }
    /* a value <= 0 in any series: the series' scale only */
    y[1][5] = -1.0;
    tsf_model *mod;
    assert_int_equal(tsf_model_new(specs[0], &mod), TSF_OK);
    assert_int_equal(tsf_fit_global(mod, ys, ns, ids, 2, 4, &o), TSF_OK);
    assert_int_equal(((const tsf_neural *)mod->impl)->cfg.lscale, 0);
    tsf_model_free(mod);
}

/* The point forecast of a global model is the paths' median, of others
 * their mean (tsf_nn_summarise): 5 paths of 2 steps, closed forms. */
static void test_summarise_median(void **s)
{
    (void)s;
    const double paths[10] = {1, 10, 2, 30, 9, 20, 4, 50, 3, 40}; /* path b at 2b */
    double mean[2], se[2], lv[1] = {80}, lo[2], hi[2];
    tsf_forecast_result fc = {.h = 2, .nlevels = 1, .mean = mean, .se = se, .levels = lv,
                              .lower = lo, .upper = hi};
    assert_int_equal(tsf_nn_summarise(paths, 5, 2, 0, &fc), TSF_OK);
    assert_close(mean[0], 19.0 / 5.0, 1e-15);
    assert_close(mean[1], 150.0 / 5.0, 1e-15);
    assert_int_equal(tsf_nn_summarise(paths, 5, 2, 1, &fc), TSF_OK);
    assert_close(mean[0], 3.0, 0.0);
    assert_close(mean[1], 30.0, 0.0);
    assert_close(se[0], sqrt((2.8 * 2.8 + 1.8 * 1.8 + 5.2 * 5.2 + 0.2 * 0.2 + 0.8 * 0.8) / 4.0),
                 1e-12); /* still the paths' sd about their mean */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_scale_closed_form),
        cmocka_unit_test(test_stream_equals_dense),
        cmocka_unit_test(test_summarise_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
