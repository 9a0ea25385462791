/* Neural models: the incremental paths (RNN state, transformer KV cache
 * with a sliding window) give the full training pass's conditionals;
 * streaming log densities sum to the exact log-likelihood; seeds make
 * fits and forecasts repeatable; missing values are masked; specs are
 * validated; save -> load round trip (when safetensors is built). */
#include "testutil.h"
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/neural.h"
#include "state_resume.h"

static double *ar_series(size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *y = malloc(n * sizeof *y), a = 0.0, b = 0.0;
    assert_non_null(y);
    for (size_t t = 0; t < n; t++) {
        double v = 5.0 + 0.5 * (a - 5.0) + 0.2 * (b - 5.0) + gsl_ran_gaussian(r, 1.0);
        y[t] = v;
        b = a ? a : 5.0;
        a = v;
    }
    gsl_rng_free(r);
    return y;
}

/* Full pass over B windows vs one-position steps through the stream. */

/* hp: the architecture's hyperparameters (wavenet's skip, kernel, stacks;
 * attention=additive: transformer hp[3] = 1, RNN hp[0] = 1, window hp[1];
 * the transformer's pattern hp[0], band hp[1]) */
static void run_incremental_hp(const tsf_nn_arch_ops *arch, int context, const int *hp)
{
    tsf_nn_config cfg = {.arch = arch, .head = TSF_NN_HEAD_STUDENT_T, .hidden = 16, .layers = 2,
                         .heads = 4, .context = context, .period = 3};
    memcpy(cfg.hp, hp, sizeof cfg.hp);
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    tsf_nn_init(nn, 11);
    size_t B = 2, T = 13, F = nn->nin, K = nn->K;
    double *z = ar_series(B * T, 3);
    for (size_t i = 0; i < B * T; i++) z[i] -= 5.0;
    z[4] = NAN;
    z[T + 7] = NAN;
    float *x = calloc(B * T * F, sizeof *x), *y = calloc(B * T, sizeof *y);
    float *o = calloc(B * T * K, sizeof *o);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            const double *s = z + b * T;
            tsf_nn_input(nn, t >= 1 ? s[t - 1] : NAN, t >= 3 ? s[t - 3] : NAN, NULL,
                         x + (b * T + t) * F);
            y[b * T + t] = (float)s[t];
        }
    tsf_nn_acts *a;
    assert_int_equal(tsf_nn_acts_new(nn, B, T, &a), TSF_OK);
    tsf_nn_forward_backward(nn, a, x, y, B, T, o, NULL, 1.0f);
    double worst = 0.0;
    for (size_t b = 0; b < B; b++) {
        tsf_nn_stream *s;
        assert_int_equal(tsf_nn_stream_new(nn, 1.0, 1, &s), TSF_OK);
        for (size_t t = 0; t < T; t++) {
            tsf_nn_stream_predict(s);
            for (size_t k = 0; k < K; k++) {
                double d = fabs(s->o[k] - o[(b * T + t) * K + k]);
                if (d > worst) worst = d;
                assert_close(s->o[k], o[(b * T + t) * K + k], 2e-5);
            }
            tsf_nn_stream_push(s, &z[b * T + t]);
        }
        tsf_nn_stream_free(s);
    }
    print_message("%s (hp %d %d %d %d): largest |full pass - incremental| = %.2e\n",
                  arch->name, hp[0], hp[1], hp[2], hp[3], worst);
    tsf_nn_acts_free(a);
    tsf_nn_free(nn);
    free(z); free(x); free(y); free(o);
}

static void run_incremental(const tsf_nn_arch_ops *arch)
{
    static const int wn[4] = {6, 3, 2, 0}, tf[4] = {0, 8, 0, 0}; /* wavenet: skip 6, kernel 3, 2 stacks */
    run_incremental_hp(arch, 5, arch == &tsf_nn_arch_transformer ? tf : wn);
}

/* attention=additive: the KV cache, and the RNNs' state rings, which wrap
 * (window 4 < T) */
static void test_incremental_additive(void **s)
{
    (void)s;
    static const int tf[4] = {0, 0, 0, 1}, rnn[4] = {1, 4, 0, 0};
    run_incremental_hp(&tsf_nn_arch_transformer, 5, tf);
    run_incremental_hp(&tsf_nn_arch_gru, 5, rnn);
    run_incremental_hp(&tsf_nn_arch_lstm, 5, rnn);
}

/* The sparse patterns' KV caches (rings of the pattern's span, smaller
 * than the window; T = 13 wraps them) give the full pass's conditionals. */
static void test_kv_cache_patterns(void **s)
{
    (void)s;
    static const int hp[][4] = {{1, 3, 0, 0}, {2, 1, 0, 0}, {2, 2, 0, 0}, {3, 8, 0, 0}};
    for (size_t i = 0; i < sizeof hp / sizeof *hp; i++)
        run_incremental_hp(&tsf_nn_arch_transformer, 10, hp[i]);
}

static void test_incremental_gru(void **s) { (void)s; run_incremental(&tsf_nn_arch_gru); }
static void test_incremental_lstm(void **s) { (void)s; run_incremental(&tsf_nn_arch_lstm); }
static void test_kv_cache_transformer(void **s) { (void)s; run_incremental(&tsf_nn_arch_transformer); }
/* receptive field 1 + 2 x 2 x (1 + 2) = 13 = T: the queues wrap */
static void test_queues_wavenet(void **s) { (void)s; run_incremental(&tsf_nn_arch_wavenet); }

static tsf_model *fit_small(const char *spec, const double *y, size_t n, uint64_t seed)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o = {0};
    o.epochs = 2;
    o.batch = 4;
    o.seed = seed;
    if (tsf_fit(m, y, n, NULL, 4, &o)) fail_msg("fit %s: %s", spec, tsf_errmsg());
    return m;
}

static const char *const small_specs[] = {
    "gru(hidden=8, layers=2, context=16)",
    "lstm(hidden=8, layers=1, context=16, head=student-t)",
    "transformer(d=8, heads=2, layers=2, context=6, head=student-t)",
    "wavenet(channels=8, skip=8, layers=3, context=16)",
    "wavenet(channels=8, skip=6, kernel=3, layers=2, stacks=2, context=16, head=student-t)",
    "wavenet(channels=8, skip=8, layers=3, context=16, head=mixture, components=2)",
    "wavenet(channels=8, skip=8, layers=3, context=16, head=binned, bins=16)",
    "gru(hidden=8, layers=1, context=16, head=mixture)",
    "lstm(hidden=8, layers=1, context=16, head=binned)",
    "transformer(d=8, heads=2, layers=2, context=6, attention=additive, head=student-t)",
    "gru(hidden=8, layers=2, context=16, attention=additive, window=5)",
    "lstm(hidden=8, layers=1, context=16, attention=additive, window=4, head=mixture)",
    "transformer(d=8, heads=2, layers=2, context=12, pattern=local, band=3)",
    "transformer(d=8, heads=2, layers=2, context=12, pattern=logsparse, band=2, head=student-t)",
    "transformer(d=8, heads=2, layers=2, context=12, pattern=strided)",
};
#define NSMALL (sizeof small_specs / sizeof *small_specs)

static void test_streaming_equals_loglik(void **state)
{
    (void)state;
    size_t n = 80;
    double *y = ar_series(n, 5);
    y[10] = NAN;
    y[41] = NAN;
    for (size_t i = 0; i < NSMALL; i++) {
        tsf_model *m = fit_small(small_specs[i], y, n, 1);
        double ll, ll20, sum = 0.0, sum20 = 0.0;
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
        assert_int_equal(tsf_loglik(m, y, n, NULL, 20, &ll20), TSF_OK);
        void *st;
        assert_int_equal(m->type->state_new(m->impl, &st), TSF_OK);
        for (size_t t = 0; t < n; t++) {
            double lp;
            assert_int_equal(m->type->state_update(st, y[t], NULL, 0, &lp), TSF_OK);
            if (isnan(y[t])) assert_true(lp == 0.0);
            sum += lp;
            if (t >= 20) sum20 += lp;
        }
        assert_true(isfinite(ll));
        assert_rel(sum, ll, 1e-5, 0.0);
        assert_rel(sum20, ll20, 1e-5, 0.0);
        if (i == 2) {
            /* the transformer's receptive field is layers (context - 1) + period
             * positions: starting the stream there gives the same terms */
            const tsf_neural *nm = m->impl;
            size_t s0 = 60 - (2 * (6 - 1) + 4 + 1);
            double lls;
            assert_int_equal(tsf_neural_series_loglik(nm, y + s0, n - s0, 60 - s0, &lls, NULL),
                             TSF_OK);
            double ll60;
            assert_int_equal(tsf_loglik(m, y, n, NULL, 60, &ll60), TSF_OK);
            assert_rel(lls, ll60, 1e-12, 0.0);
            /* (s0 keeps one spare position); two fewer change them */
            assert_int_equal(tsf_neural_series_loglik(nm, y + s0 + 2, n - s0 - 2, 58 - s0, &lls,
                                                      NULL), TSF_OK);
            print_message("transformer: loglik from a shorter history differs by %.3g\n", lls - ll60);
            assert_true(lls != ll60);
        }
        /* the state's forecast equals the model's forecast from the same data */
        tsf_forecast_opts fo = {0};
        fo.seed = 9;
        fo.samples = 50;
        double lv[] = {80.0};
        tsf_forecast_result *a, *b = calloc(1, sizeof *b);
        assert_int_equal(tsf_forecast(m, y, n, NULL, 4, lv, 1, &fo, &a), TSF_OK);
        assert_int_equal(tsf_forecast_alloc(b, 4, lv, 1), TSF_OK);
        assert_int_equal(m->type->state_forecast(st, 4, lv, 1, &fo, b), TSF_OK);
        for (size_t k = 0; k < 4; k++) {
            assert_rel(b->mean[k], a->mean[k], 1e-6, 0.0);
            assert_true(a->lower[k] < a->mean[k] && a->mean[k] < a->upper[k]);
            assert_true(a->se[k] > 0.0);
        }
        tsf_forecast_free(a);
        tsf_forecast_free(b);
        m->type->state_free(st);
        tsf_model_free(m);
    }
    free(y);
}

static void test_deterministic(void **state)
{
    (void)state;
    size_t n = 90;
    double *y = ar_series(n, 7);
    for (size_t i = 0; i < NSMALL; i++) {
        tsf_model *a = fit_small(small_specs[i], y, n, 42), *b = fit_small(small_specs[i], y, n, 42);
        tsf_model *c = fit_small(small_specs[i], y, n, 43);
        const tsf_nn *na = ((tsf_neural *)a->impl)->nn, *nb = ((tsf_neural *)b->impl)->nn,
                     *nc = ((tsf_neural *)c->impl)->nn;
        assert_int_equal(na->nparams, nb->nparams);
        assert_memory_equal(na->params, nb->params, na->nparams * sizeof(float));
        assert_true(memcmp(na->params, nc->params, na->nparams * sizeof(float)) != 0);
        tsf_forecast_opts fo = {0};
        fo.seed = 3;
        double lv[] = {95.0};
        tsf_forecast_result *fa, *fb, *fc;
        assert_int_equal(tsf_forecast(a, y, n, NULL, 5, lv, 1, &fo, &fa), TSF_OK);
        assert_int_equal(tsf_forecast(b, y, n, NULL, 5, lv, 1, &fo, &fb), TSF_OK);
        fo.seed = 4;
        assert_int_equal(tsf_forecast(a, y, n, NULL, 5, lv, 1, &fo, &fc), TSF_OK);
        assert_memory_equal(fa->mean, fb->mean, 5 * sizeof(double));
        assert_memory_equal(fa->upper, fb->upper, 5 * sizeof(double));
        assert_true(memcmp(fa->mean, fc->mean, 5 * sizeof(double)) != 0);
        double *s1 = malloc(3 * 20 * sizeof *s1), *s2 = malloc(3 * 20 * sizeof *s2);
        assert_int_equal(tsf_simulate(a, 20, 3, 8, s1), TSF_OK);
        assert_int_equal(tsf_simulate(b, 20, 3, 8, s2), TSF_OK);
        assert_memory_equal(s1, s2, 60 * sizeof(double));
        for (size_t k = 0; k < 60; k++) assert_true(isfinite(s1[k]));
        free(s1); free(s2);
        tsf_forecast_free(fa); tsf_forecast_free(fb); tsf_forecast_free(fc);
        tsf_model_free(a); tsf_model_free(b); tsf_model_free(c);
    }
    free(y);
}

/* A masked target leaves the loss short of exactly its own term and
 * changes no output; a series with gaps fits to finite weights. */
static void test_nan_masked(void **state)
{
    (void)state;
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 8,
                         .layers = 1, .heads = 1, .context = 8, .period = 1};
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    tsf_nn_init(nn, 2);
    size_t T = 8;
    float x[16], y[8], o[16], o2[16], nll[8];
    for (size_t t = 0; t < T; t++) {
        tsf_nn_input(nn, t ? 0.3 * (double)t : NAN, NAN, NULL, x + 2 * t);
        y[t] = 0.1f * (float)t;
    }
    tsf_nn_acts *a;
    assert_int_equal(tsf_nn_acts_new(nn, 1, T, &a), TSF_OK);
    double full = tsf_nn_forward_backward(nn, a, x, y, 1, T, o, NULL, 1.0f);
    nn->be->head_loss(nll, NULL, o, y, T, cfg.head, 1.0f);
    y[5] = NAN;
    double masked = tsf_nn_forward_backward(nn, a, x, y, 1, T, o2, NULL, 1.0f);
    assert_rel(masked, full - nll[5], 1e-6, 1e-6);
    assert_memory_equal(o, o2, sizeof o);
    tsf_nn_acts_free(a);
    tsf_nn_free(nn);

    size_t n = 120;
    double *yy = ar_series(n, 9);
    for (size_t i = 0; i < n; i += 7) yy[i] = NAN;
    for (size_t i = 0; i < NSMALL; i++) {
        tsf_model *m = fit_small(small_specs[i], yy, n, 1);
        const tsf_nn *w = ((tsf_neural *)m->impl)->nn;
        for (size_t k = 0; k < w->nparams; k++) assert_true(isfinite(w->params[k]));
        double ll;
        assert_int_equal(tsf_loglik(m, yy, n, NULL, 0, &ll), TSF_OK);
        assert_true(isfinite(ll));
        double *f = malloc(n * sizeof *f), *r = malloc(n * sizeof *r);
        assert_int_equal(tsf_residuals(m, yy, n, NULL, f, r), TSF_OK);
        for (size_t k = 0; k < n; k++) {
            assert_true(isnan(yy[k]) ? isnan(r[k]) : isfinite(r[k]));
            if (!isnan(yy[k])) assert_close(r[k], yy[k] - f[k], 1e-12);
        }
        free(f); free(r);
        tsf_model_free(m);
    }
    free(yy);
}


static void count_lines(void *ctx, const char *line)
{
    (*(int *)ctx)++;
    assert_true(strlen(line) > 0);
}

/* One global model on several series; the summary's loglik is the sum of
 * the series' exact log-likelihoods; progress lines only when verbose. */
static void test_fit_many_and_info(void **state)
{
    (void)state;
    double *a = ar_series(90, 21), *b = ar_series(60, 22);
    b[5] = NAN;
    const double *ys[2] = {a, b};
    size_t ns[2] = {90, 60};
    tsf_model *m;
    assert_int_equal(tsf_model_new("lstm(hidden=8, layers=1, context=16)[4]", &m), TSF_OK);
    tsf_fit_opts o = {0};
    o.epochs = 2;
    o.batch = 4;
    int lines = 0;
    o.progress = count_lines;
    o.progress_ctx = &lines;
    assert_int_equal(tsf_fit_many(m, ys, ns, 2, 1, &o), TSF_OK);
    assert_int_equal(lines, 0); /* not verbose */
    const tsf_neural *nm = m->impl;
    assert_int_equal(nm->cfg.period, 4); /* from the spec's [4] */
    assert_int_equal(nm->nn->nin, 4);
    double la, lb;
    assert_int_equal(tsf_loglik(m, a, 90, NULL, 0, &la), TSF_OK);
    assert_int_equal(tsf_loglik(m, b, 60, NULL, 0, &lb), TSF_OK);
    tsf_fit_info fi;
    assert_int_equal(tsf_model_info(m, &fi), TSF_OK);
    assert_rel(fi.loglik, la + lb, 1e-9, 0.0);
    assert_int_equal(fi.nobs, 149);
    assert_non_null(strstr(fi.model, "LSTM(hidden=8"));
    o.verbose = 1;
    assert_int_equal(tsf_fit_many(m, ys, ns, 2, 1, &o), TSF_OK);
    assert_true(lines >= 2);
    /* the pooled scale: mean |y| over both series */
    double s = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < 90; i++, k++) s += fabs(a[i]);
    for (size_t i = 0; i < 60; i++)
        if (!isnan(b[i])) {
            s += fabs(b[i]);
            k++;
        }
    assert_rel(nm->scale, s / (double)k, 1e-12, 0.0);
    tsf_model_free(m);
    free(a);
    free(b);
}

static void test_specs(void **state)
{
    (void)state;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("gru(hidden=0)", &m), TSF_EPARSE);
    assert_errmsg_has("gru(hidden=0)");
    assert_errmsg_has("hidden=0");
    assert_int_equal(tsf_model_new("lstm(hiden=3)", &m), TSF_EPARSE);
    assert_errmsg_has("hiden");
    assert_int_equal(tsf_model_new("transformer(d=30, heads=4)", &m), TSF_EPARSE);
    assert_errmsg_has("transformer(d=30, heads=4)");
    assert_errmsg_has("multiple");
    assert_int_equal(tsf_model_new("gru(head=cauchy)", &m), TSF_EPARSE);
    assert_errmsg_has("gaussian|student-t|mixture|binned");
    assert_int_equal(tsf_model_new("transformer(hidden=8)", &m), TSF_EPARSE);
    assert_errmsg_has("unknown key 'hidden'");
    /* wavenet and the new heads: each error quotes the spec */
    static const char *const bad[][2] = {
        {"wavenet(kernel=0)", "kernel=0 is out of range"},
        {"wavenet(layers=40)", "layers=40 is out of range"},
        {"wavenet(layers=16, stacks=2)", "more than 24 layers"},
        {"gru(head=mixture, components=0)", "components=0 is out of range"},
        {"gru(head=binned, bins=1)", "bins=1 is out of range"},
        {"gru(components=3)", "components= goes with head=mixture"},
        {"wavenet(hidden=8)", "unknown key 'hidden'"},
        {"gru(channels=8)", "unknown key 'channels'"},
        {"transformer(kernel=2)", "unknown key 'kernel'"},
        {"transformer(pattern=foo)", "dense|local|logsparse|strided"},
        {"transformer(pattern=local, band=0)", "band=0 is out of range"},
        {"transformer(heads=3, d=12, pattern=strided)", "heads=3 is odd"},
        {"gru(pattern=logsparse)", "unknown key 'pattern'"},
        {"lstm(band=4)", "unknown key 'band'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tsf_model_new(bad[i][0], &m), TSF_EPARSE);
        assert_errmsg_has(bad[i][0]);
        assert_errmsg_has(bad[i][1]);
        assert_null(strchr(tsf_errmsg(), '\n'));
    }
    assert_int_equal(tsf_model_new("wavenet(head=mixture)", &m), TSF_OK);
    assert_int_equal(((const tsf_neural *)m->impl)->cfg.head_n, 3);
    assert_int_equal(((const tsf_neural *)m->impl)->cfg.hidden, 32);
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("transformer", &m), TSF_OK);
    assert_true(tsf_model_is_neural(m));
    const tsf_neural *nm = m->impl;
    assert_int_equal(nm->cfg.hidden, 64);
    assert_int_equal(nm->cfg.heads, 4);
    assert_int_equal(nm->cfg.context, 256);
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("gru(hidden=32, layers=3, context=64, head=student-t)", &m),
                     TSF_OK);
    nm = m->impl;
    assert_int_equal(nm->cfg.hidden, 32);
    assert_int_equal(nm->cfg.layers, 3);
    assert_int_equal(nm->cfg.head, TSF_NN_HEAD_STUDENT_T);
    double y[3] = {1.0, NAN, NAN};
    assert_int_equal(tsf_fit(m, y, 3, NULL, 1, NULL), TSF_EDOMAIN);
    tsf_model_free(m);
}

static void test_save_load(void **state)
{
    (void)state;
    size_t n = 80;
    double *y = ar_series(n, 13);
    char path[] = "/tmp/tsf_neural_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < NSMALL; i++) {
        tsf_model *m = fit_small(small_specs[i], y, n, 5);
        tsf_st *doc;
        assert_int_equal(tsf_st_new(&doc), TSF_OK);
        assert_int_equal(m->type->save(m->impl, doc), TSF_OK);
        assert_int_equal(tsf_st_write(doc, path), TSF_OK);
        tsf_st_free(doc);
        assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
        void *impl = NULL; /* load() contract: *impl is what parse() made, or NULL */
        assert_int_equal(m->type->load(doc, &impl), TSF_OK);
        tsf_st_free(doc);
        double l1, l2;
        assert_int_equal(m->type->loglik(m->impl, y, n, NULL, 0, &l1), TSF_OK);
        assert_int_equal(m->type->loglik(impl, y, n, NULL, 0, &l2), TSF_OK);
        assert_true(l1 == l2);
        tsf_forecast_opts fo = {0};
        double lv[] = {90.0};
        tsf_forecast_result *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        tsf_forecast_alloc(a, 3, lv, 1);
        tsf_forecast_alloc(b, 3, lv, 1);
        assert_int_equal(m->type->forecast(m->impl, y, n, NULL, 3, lv, 1, &fo, a), TSF_OK);
        assert_int_equal(m->type->forecast(impl, y, n, NULL, 3, lv, 1, &fo, b), TSF_OK);
        assert_memory_equal(a->mean, b->mean, 3 * sizeof(double));
        assert_memory_equal(a->lower, b->lower, 3 * sizeof(double));
        tsf_forecast_free(a);
        tsf_forecast_free(b);
        m->type->free(impl);
        tsf_model_free(m);
    }
    remove(path);
    free(y);
}

/* Streaming states of the networks resume where they stopped: RNN hidden
 * states, the transformer's KV cache (cut before and after its window
 * fills), under the model and under its copy from a model file. */
static void test_state_resume(void **state)
{
    (void)state;
    size_t n = 80;
    double *y = ar_series(n, 17);
    y[41] = NAN; /* a missing value after the cut */
    char path[] = "/tmp/tsf_neural_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < NSMALL; i++) {
        tsf_model *m = fit_small(small_specs[i], y, n, 5), *m2 = NULL;
        check_resume(m, m, y, n, 7);
        check_resume(m, m, y, n, 37);
        assert_int_equal(tsf_save(m, path), TSF_OK);
        assert_int_equal(tsf_load(path, &m2), TSF_OK);
        check_resume(m, m2, y, n, 50);
        tsf_model_free(m2);
        tsf_model_free(m);
    }
    remove(path);
    free(y);
}

/* Fast generation (Paine et al. 2016): sampling through wavenet's queues
 * draws exactly the paths that recomputing the receptive field at every
 * step (a fresh state fed the last RF inputs) draws with the same seed. */
static void run_fastgen(tsf_nn_head head, int hn)
{
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_wavenet, .head = head, .hidden = 8, .layers = 3,
                         .context = 16, .period = 4, .hp = {6, 2, 2}, .head_n = hn,
                         .head_lo = -3.0, .head_hi = 3.0};
    size_t RF = 1 + 2 * (2 - 1) * 7, B = 5, h = 30, n0 = 11, P = 4;
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    tsf_nn_init(nn, 3);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < nn->nparams; i++) nn->params[i] += (float)gsl_ran_gaussian(r, 0.2);
    double *hist = ar_series(n0, 2), *paths = malloc(B * h * sizeof *paths);
    for (size_t i = 0; i < n0; i++) hist[i] -= 5.0;
    /* queues: B copies of a stream over the history (B rows in every
     * product, as the recomputation's: a one-row product is a GEMV,
     * whose rounding differs) */
    tsf_nn_stream *s;
    assert_int_equal(tsf_nn_stream_new(nn, 1.0, B, &s), TSF_OK);
    for (size_t t = 0; t < n0; t++) {
        double yb[5] = {hist[t], hist[t], hist[t], hist[t], hist[t]};
        tsf_nn_stream_predict(s);
        tsf_nn_stream_push(s, yb);
    }
    gsl_rng_set(r, 77);
    assert_int_equal(tsf_nn_stream_sample(s, h, r, paths), TSF_OK);
    /* recompute: every step a fresh state over the last RF positions */
    size_t n = n0 + h, F = nn->nin, K = nn->K;
    double *y = malloc(B * n * sizeof *y);
    float *x = malloc(B * F * sizeof *x), *o = malloc(B * K * sizeof *o);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < n0; t++) y[b * n + t] = hist[t];
    gsl_rng_set(r, 77);
    const tsf_nn_head_ops *hd = tsf_nn_head_get(head);
    for (size_t p = n0; p < n; p++) {
        tsf_nn_run *run;
        assert_int_equal(tsf_nn_run_new(nn, B, &run), TSF_OK);
        for (size_t q = p + 1 > RF ? p + 1 - RF : 0; q <= p; q++) {
            for (size_t b = 0; b < B; b++)
                tsf_nn_input(nn, q >= 1 ? y[b * n + q - 1] : NAN, q >= P ? y[b * n + q - P] : NAN,
                             NULL, x + b * F);
            tsf_nn_run_step(nn, run, x, o);
        }
        tsf_nn_run_free(run);
        for (size_t b = 0; b < B; b++) {
            y[b * n + p] = hd->draw(&cfg, o + b * K, tsf_nn_noise(hd, r));
            if (y[b * n + p] != paths[b * h + p - n0])
                fail_msg("%s head, path %zu, step %zu: queues %.17g, recomputed %.17g", hd->name,
                         b, p - n0, paths[b * h + p - n0], y[b * n + p]);
        }
    }
    print_message("wavenet+%s: %zu paths x %zu steps identical (queues, recompute)\n",
                  hd->name, B, h);
    tsf_nn_stream_free(s);
    tsf_nn_free(nn);
    gsl_rng_free(r);
    free(hist); free(paths); free(y); free(x); free(o);
}

static void test_fastgen_wavenet(void **state)
{
    (void)state;
    run_fastgen(TSF_NN_HEAD_GAUSSIAN, 0);
    run_fastgen(TSF_NN_HEAD_STUDENT_T, 0);
    run_fastgen(TSF_NN_HEAD_MIXTURE, 3);
    run_fastgen(TSF_NN_HEAD_BINNED, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_gru),
        cmocka_unit_test(test_incremental_lstm),
        cmocka_unit_test(test_kv_cache_transformer), cmocka_unit_test(test_kv_cache_patterns),
        cmocka_unit_test(test_incremental_additive),
        cmocka_unit_test(test_queues_wavenet),
        cmocka_unit_test(test_fastgen_wavenet),
        cmocka_unit_test(test_streaming_equals_loglik),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_nan_masked),
        cmocka_unit_test(test_fit_many_and_info),
        cmocka_unit_test(test_specs),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_state_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
