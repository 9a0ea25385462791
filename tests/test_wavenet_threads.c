/* wavenet's training pass split over OpenMP threads (net_wavenet.c: the
 * windows over the team, per-thread gradient buffers added in thread
 * order), on the CPU reference:
 *  - 2 and 3 threads (3: an uneven split of 5 windows) against 1 thread:
 *    outputs and loss to 1e-5, gradients (accumulated onto a non-zero
 *    buffer, as the pass's += promises) and the input gradient of global
 *    models to 1e-5 of their largest entry;
 *  - the same thread count twice: bit-identical outputs and gradients;
 *  - central finite differences of the loss at 2 threads;
 *  - a whole fit with threads = 2, twice: bit-identical weights.
 * Skipped (77) without OpenMP. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "core/model_impl.h"
#include "neural/device.h"
#include "neural/net.h"
#include "neural/neural.h"
#include "fd_check.h"

#ifdef _OPENMP
enum { B = 5, T = 40 };

typedef struct {
    tsf_nn *nn;
    tsf_nn_acts *a;
    float *x, *y;
} net_ctx;

static float *fa(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static tsf_nn *make_net(gsl_rng *r, const tsf_nn_backend *be)
{
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_GAUSSIAN,
                         .hidden = 8, .layers = 3, .context = T, .period = 3,
                         .hp = {6, 2, 1, 0}};
    tsf_nn *nn;
    if (be) { /* a CPU backend other than the reference */
        assert_int_equal(tsf_nn_new_on(&cfg, be, &nn), TSF_OK);
        tsf_nn *ref;
        assert_int_equal(tsf_nn_new(&cfg, &ref), TSF_OK);
        tsf_nn_init(ref, 7);
        memcpy(nn->params, ref->params, nn->nparams * sizeof *nn->params);
        tsf_nn_free(ref);
    } else {
        assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
        tsf_nn_init(nn, 7);
    }
    for (size_t i = 0; i < nn->nparams; i++) nn->params[i] += (float)gsl_ran_gaussian(r, 0.1);
    /* keep the values entering the ReLUs away from the kink (finite
     * differences) */
    for (size_t k = 0; k < nn->ntens; k++)
        if (strstr(nn->tens[k].name, "skip.bias") || !strcmp(nn->tens[k].name, "out.bias"))
            for (size_t i = 0; i < nn->tens[k].shape[0]; i++)
                nn->params[nn->tens[k].off + i] += 1.0f;
    return nn;
}

/* One pass at `threads` threads with activations made for that count:
 * o (B T K), g (nparams, starting from g0), dx (B T nin); returns the
 * loss, the activations' size in *size. */
static double pass(tsf_nn *nn, int threads, const float *x, const float *y, float *o,
                   const float *g0, float *g, float *dx, size_t *size)
{
    omp_set_num_threads(threads);
    tsf_nn_acts *a;
    assert_int_equal(tsf_nn_acts_new(nn, B, T, &a), TSF_OK);
    a->dx = nn->be->alloc(B * T * nn->nin);
    assert_non_null(a->dx);
    memcpy(g, g0, nn->nparams * sizeof *g);
    double loss = tsf_nn_forward_backward(nn, a, x, y, B, T, o, g, 0.5f);
    memcpy(dx, a->dx, B * T * nn->nin * sizeof *dx);
    *size = a->size;
    tsf_nn_acts_free(a);
    omp_set_num_threads(1);
    return loss;
}

static double maxabs(const float *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(v[i]) > m ? fabs(v[i]) : m;
    return m;
}

static void close_to(const char *what, const float *a, const float *b, size_t n, double tol)
{
    double scale = maxabs(b, n);
    assert_true(scale > 0.0);
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i] - b[i]) > tol * scale)
            fail_msg("%s[%zu]: %.9g against %.9g at one thread", what, i, (double)a[i],
                     (double)b[i]);
}

/* be: NULL, the reference (OpenBLAS, one thread in the test suite), or
 * oneDNN's table */
static void pass_threads(const tsf_nn_backend *be)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    tsf_nn *nn = make_net(r, be);
    print_message("backend %s\n", nn->be->name);
    size_t F = nn->nin, K = nn->K, np = nn->nparams;
    float *x = fa(B * T * F), *y = fa(B * T), *g0 = fa(np);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            double prev = gsl_ran_gaussian(r, 1), lag = t % 4 == 1 ? NAN : gsl_ran_gaussian(r, 1);
            tsf_nn_input(nn, prev, lag, NULL, x + (b * T + t) * F);
            y[b * T + t] = (float)gsl_ran_gaussian(r, 1);
        }
    y[3] = NAN;
    for (size_t i = 0; i < np; i++) g0[i] = (float)gsl_ran_gaussian(r, 0.01);
    float *o1 = fa(B * T * K), *g1 = fa(np), *d1 = fa(B * T * F);
    size_t s1, s, sb;
    double l1 = pass(nn, 1, x, y, o1, g0, g1, d1, &s1);
    for (int threads = 2; threads <= 3; threads++) {
        float *o = fa(B * T * K), *g = fa(np), *d = fa(B * T * F);
        float *ob = fa(B * T * K), *gb = fa(np), *db = fa(B * T * F);
        double l = pass(nn, threads, x, y, o, g0, g, d, &s);
        double lb = pass(nn, threads, x, y, ob, g0, gb, db, &sb);
        /* the team's gradient buffers: the split did run */
        if (nn->be->team_products())
            assert_int_equal(s, s1 + (size_t)(threads - 1) * np);
        print_message("%d threads: loss %.9g (1 thread %.9g)\n", threads, l, l1);
        assert_true(fabs(l - l1) <= 1e-5 * fabs(l1));
        close_to("output", o, o1, B * T * K, 1e-5);
        /* the gradient without g0: what the pass added */
        for (size_t i = 0; i < np; i++) {
            g[i] -= g0[i];
            gb[i] -= g0[i];
        }
        float *add1 = fa(np);
        for (size_t i = 0; i < np; i++) add1[i] = g1[i] - g0[i];
        close_to("gradient", g, add1, np, 1e-5);
        close_to("input gradient", d, d1, B * T * F, 1e-5);
        assert_true(l == lb);
        assert_memory_equal(o, ob, B * T * K * sizeof *o);
        assert_memory_equal(g, gb, np * sizeof *g);
        assert_memory_equal(d, db, B * T * F * sizeof *d);
        free(add1);
        free(o), free(g), free(d), free(ob), free(gb), free(db);
    }
    free(o1), free(g1), free(d1), free(x), free(y), free(g0);
    tsf_nn_free(nn);
    gsl_rng_free(r);
}

static void test_pass_threads(void **state)
{
    (void)state;
    pass_threads(NULL);
    const tsf_nn_backend *be;
    if (tsf_nn_backend_get(TSF_DEVICE_CPU, TSF_PRECISION_FP32, &be) == TSF_OK &&
        be != tsf_nn_backend_cpu())
        pass_threads(be);
}

static double net_loss(void *v)
{
    net_ctx *c = v;
    return tsf_nn_forward_backward(c->nn, c->a, c->x, c->y, B, T, NULL, NULL, 1.0f);
}

static void test_fd_two_threads(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    tsf_nn *nn = make_net(r, NULL);
    size_t F = nn->nin;
    omp_set_num_threads(2);
    net_ctx c = {nn, NULL, fa(B * T * F), fa(B * T)};
    assert_int_equal(tsf_nn_acts_new(nn, B, T, &c.a), TSF_OK);
    for (size_t i = 0; i < B * T; i++) {
        tsf_nn_input(nn, gsl_ran_gaussian(r, 1), gsl_ran_gaussian(r, 1), NULL, c.x + i * F);
        c.y[i] = (float)gsl_ran_gaussian(r, 1);
    }
    float *g = fa(nn->nparams);
    tsf_nn_forward_backward(nn, c.a, c.x, c.y, B, T, NULL, g, 1.0f);
    check_net("2 threads", net_loss, &c, nn, g, 1e-2);
    omp_set_num_threads(1);
    tsf_nn_acts_free(c.a);
    free(c.x), free(c.y), free(g);
    tsf_nn_free(nn);
    gsl_rng_free(r);
}

static tsf_model *fit(const double *y, size_t n, int threads)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new("wavenet(channels=8, skip=8, layers=3, context=32)", &m),
                     TSF_OK);
    tsf_fit_opts o = {0};
    o.epochs = 2;
    o.batch = 6;
    o.seed = 11;
    o.threads = threads;
    if (tsf_fit(m, y, n, NULL, 1, &o)) fail_msg("fit: %s", tsf_errmsg());
    return m;
}

static void test_fit_two_threads(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t n = 200;
    double *y = malloc(n * sizeof *y), a = 0.0;
    assert_non_null(y);
    for (size_t t = 0; t < n; t++) y[t] = a = 0.6 * a + gsl_ran_gaussian(r, 1.0);
    tsf_model *m1 = fit(y, n, 2), *m2 = fit(y, n, 2);
    const tsf_nn *n1 = ((tsf_neural *)m1->impl)->nn, *n2 = ((tsf_neural *)m2->impl)->nn;
    for (size_t i = 0; i < n1->nparams; i++) assert_true(isfinite(n1->params[i]));
    assert_memory_equal(n1->params, n2->params, n1->nparams * sizeof(float));
    tsf_model_free(m1);
    tsf_model_free(m2);
    free(y);
    gsl_rng_free(r);
}
#endif

int main(void)
{
#ifdef _OPENMP
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_threads),
        cmocka_unit_test(test_fd_two_threads),
        cmocka_unit_test(test_fit_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#else
    return 77;
#endif
}
