/* The oneDNN GEMM variants of the CPU backend (src/neural/cpu_onednn.c)
 * against the OpenBLAS reference from the same inputs, then 20 training
 * steps of a GRU, an LSTM, a transformer and a wavenet on each with their
 * loss curves compared, and the precision's way through the public API.
 *
 * Errors are normalised, ||variant - reference|| / ||reference||:
 *   fp32 GEMMs: 1e-5 (reordered fp32 sums over at most a few thousand terms);
 *   bf16 GEMMs (those with 2 M N / (M + N) >= 256 for an (M,N) output;
 *   the others are the fp32 table's, checked bit for bit):
 *     tol(K) = 3 sqrt(2/3) u + K 2^-24, u = 2^-8, K the length of
 *     the reduction.  Each bf16 operand carries a relative rounding error
 *     of at most u (8 significant bits, round to nearest), about uniform,
 *     sd u/sqrt(3); a product a_i b_i then has relative error of sd
 *     sqrt(2/3) u.  The errors of the K products are independent, so for
 *     zero-mean operands (these tests) the error of the sum has sd
 *     sqrt(2/3) u sqrt(sum (a_i b_i)^2) and E (sum a_i b_i)^2 =
 *     sum E (a_i b_i)^2: the normalised error is about sqrt(2/3) u =
 *     3.2e-3 whatever K; three times that, plus the worst case of the fp32
 *     accumulation (K 2^-24), is the tolerance.
 * Training (20 AdamW steps at the architecture's default lr): per-step
 * loss relative difference <= 1e-4 (fp32) and u = 2^-8 = 3.9e-3 (bf16):
 * a GEMM output's error is about u (above), and the loss, a mean over
 * B T terms, averages those errors out, so that the curves stay well
 * inside u unless the steps compound them (measured: 3e-5 to 1.1e-3 after
 * 20 steps; the GPU's bf16 test, tests/test_backend_ops.c, allows 3e-2).
 *
 * Without oneDNN, or on a CPU without AVX-512 (or with ONEDNN_MAX_CPU_ISA
 * below it), the fp32 variant is not offered and its tests are skipped;
 * without AVX512_BF16 the bf16 tests instead check that --precision bf16
 * is refused with a message that says what to do (the no-BF16 path:
 * meson runs this test a second time with ONEDNN_MAX_CPU_ISA=AVX512_CORE). */
#include <unistd.h>
#include "twin_util.h"
#include "core/internal.h"
#include "neural/device.h"
#include "neural/net.h"
#include "neural/onednn.h"

static const tsf_nn_backend *ref, *var[2]; /* fp32, bf16 variants (NULL: not offered) */
static const char *const pname[2] = {"fp32", "bf16"};

static double tol_of(int p, size_t K)
{
    return p ? 3.0 * sqrt(2.0 / 3.0) * ldexp(1.0, -8) + (double)K * ldexp(1.0, -24) : 1e-5;
}

static float *rnd(size_t n, double sd)
{
    float *p = fa(n);
    randn(p, n, sd);
    return p;
}

static float *fdup(const float *x, size_t n)
{
    float *p = fa(n);
    memcpy(p, x, n * sizeof *p);
    return p;
}

static void cmp(const char *what, const float *v, const float *r, size_t n, double tol)
{
    double e = nerr(v, r, n);
    print_message("%-36s normalised error %.2e (tolerance %.1e)\n", what, e, tol);
    if (!(e <= tol)) fail_msg("%s: normalised error %.3g > %.3g", what, e, tol);
}

/* One shape: forward with and without bias, backward with every output
 * and with each alone (NULL pointers), += semantics checked by starting
 * the gradients from random values. */
static void matmul_case(int p, size_t BT, size_t C, size_t OC)
{
    float *inp = rnd(BT * C, 1), *w = rnd(OC * C, 0.2), *b = rnd(OC, 1), *dout = rnd(BT * OC, 1);
    float *o1 = fa(BT * OC), *o2 = fa(BT * OC);
    float *di0 = rnd(BT * C, 1), *dw0 = rnd(OC * C, 1), *db0 = rnd(OC, 1);
    char what[96];
    print_message("-- %s BT=%zu C=%zu OC=%zu\n", var[p]->name, BT, C, OC);
    for (int bias = 0; bias < 2; bias++) {
        ref->matmul_forward(o1, inp, w, bias ? b : NULL, BT, C, OC);
        var[p]->matmul_forward(o2, inp, w, bias ? b : NULL, BT, C, OC);
        snprintf(what, sizeof what, "matmul_forward%s", bias ? "" : " (no bias)");
        cmp(what, o2, o1, BT * OC, tol_of(p, C));
        if (p && var[0]) { /* bf16 exactly where 2 M N / (M + N) >= 256, else the fp32 table's */
            var[0]->matmul_forward(o1, inp, w, bias ? b : NULL, BT, C, OC);
            int same = !memcmp(o1, o2, BT * OC * sizeof *o1);
            assert_int_equal(same, 2.0 * BT * OC / (double)(BT + OC) < 256.0);
        }
    }
    for (int mask = 1; mask < 8; mask++) { /* which of dinp, dweight, dbias */
        float *ri = fdup(di0, BT * C), *rw = fdup(dw0, OC * C), *rb = fdup(db0, OC);
        float *vi = fdup(di0, BT * C), *vw = fdup(dw0, OC * C), *vb = fdup(db0, OC);
        ref->matmul_backward(mask & 1 ? ri : NULL, mask & 2 ? rw : NULL, mask & 4 ? rb : NULL,
                             dout, inp, w, BT, C, OC);
        var[p]->matmul_backward(mask & 1 ? vi : NULL, mask & 2 ? vw : NULL, mask & 4 ? vb : NULL,
                                dout, inp, w, BT, C, OC);
        if (mask == 7) {
            cmp("matmul_backward dinp", vi, ri, BT * C, tol_of(p, OC));
            cmp("matmul_backward dweight", vw, rw, OC * C, tol_of(p, BT));
            cmp("matmul_backward dbias", vb, rb, OC, 1e-6);
        } else { /* the others as alone: untouched where NULL */
            if (!(mask & 1)) assert_memory_equal(vi, di0, BT * C * sizeof(float));
            if (!(mask & 2)) assert_memory_equal(vw, dw0, OC * C * sizeof(float));
            if (!(mask & 4)) assert_memory_equal(vb, db0, OC * sizeof(float));
            if (mask & 1) assert_true(nerr(vi, ri, BT * C) <= tol_of(p, OC));
            if (mask & 2) assert_true(nerr(vw, rw, OC * C) <= tol_of(p, BT));
        }
        free(ri); free(rw); free(rb); free(vi); free(vw); free(vb);
    }
    free(inp); free(w); free(b); free(dout); free(o1); free(o2);
    free(di0); free(dw0); free(db0);
}

/* The shapes the networks use: odd sizes, one row (streaming), the
 * recurrent product (B, H) x (3H, H), wavenet's B T rows over 2C inputs. */
static void test_matmul(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{300, 70, 130}, {1, 64, 192}, {7, 3, 2},
                                       {32, 128, 384}, {2048, 64, 64}, {256, 256, 64},
                                       {1024, 96, 512}, {600, 384, 384}};
    int any = 0;
    for (int p = 0; p < 2; p++) {
        if (!var[p]) continue;
        any = 1;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            matmul_case(p, shapes[s][0], shapes[s][1], shapes[s][2]);
    }
    if (!any) skip();
}

/* The bf16 table's workspace (backend.h, workspace_create): the products
 * of a training pass with the weight inside the network's parameter
 * buffer, whose bf16 pre-packed copy the workspace keeps.  Against the
 * reference to the tolerances above; bit for bit the fp32 table's where
 * the workspace's size rule (cpu_onednn.c, ws_fwd_bf16, ws_dinp_bf16,
 * ws_dw_bf16, restated here) leaves the product in fp32; after the weights change and
 * workspace_update, the new weights' products (not the stale packed
 * copy); a weight outside the buffer (converted per call, so under the
 * per-call rule too) likewise. */
static int tiny_work(size_t M, size_t N, size_t K) { return (double)M * N * K < 32768.0; }
static int per_call16(size_t M, size_t N) { return 2.0 * M * N / (double)(M + N) >= 256.0; }

static void matmul_ws_case(size_t BT, size_t C, size_t OC)
{
    const tsf_nn_backend *v = var[1];
    size_t np = 5 + OC * C + OC; /* the weight at an offset, then the bias */
    float *P = rnd(np, 0.2), *w = P + 5, *b = w + OC * C, *wout = fdup(w, OC * C);
    float *inp = rnd(BT * C, 1), *dout = rnd(BT * OC, 1), *o1 = fa(BT * OC), *o2 = fa(BT * OC);
    float *di0 = rnd(BT * C, 1), *dw0 = rnd(OC * C, 1), *db0 = rnd(OC, 1);
    void *ws = v->workspace_create(P, np);
    assert_non_null(ws);
    int fwd16 = BT > 1 && !tiny_work(BT, OC, C) && OC >= 32;
    int dinp16 = BT > 1 && !tiny_work(BT, C, OC) && OC >= 64 && C <= OC;
    int dw16 = !tiny_work(OC, C, BT) && C >= 128 && OC >= 64;
    print_message("-- workspace BT=%zu C=%zu OC=%zu (bf16: forward %d, dinp %d, dweight %d)\n", BT,
                  C, OC, fwd16, dinp16, dw16);
    for (int round = 0; round < 2; round++) {
        if (round) /* an optimiser step: new weights, the workspace told */
            for (size_t i = 0; i < OC * C; i++) w[i] = wout[i] = -0.5f * w[i] + 0.01f;
        v->workspace_update(ws);
        for (int outside = 0; outside < 2; outside++) {
            const float *wt = outside ? wout : w;
            ref->matmul_forward(o1, inp, wt, b, BT, C, OC);
            v->matmul_forward_ws(ws, o2, inp, wt, b, BT, C, OC);
            cmp(outside ? "forward_ws (weight outside)" : "forward_ws", o2, o1, BT * OC,
                tol_of(1, C));
            var[0]->matmul_forward(o1, inp, wt, b, BT, C, OC);
            /* outside the buffer: converted per call, so also the per-call rule */
            assert_int_equal(!memcmp(o1, o2, BT * OC * sizeof *o1),
                             !(fwd16 && (!outside || per_call16(BT, OC))));
            float *ri = fdup(di0, BT * C), *rw = fdup(dw0, OC * C), *rb = fdup(db0, OC);
            float *vi = fdup(di0, BT * C), *vw = fdup(dw0, OC * C), *vb = fdup(db0, OC);
            ref->matmul_backward(ri, rw, rb, dout, inp, wt, BT, C, OC);
            v->matmul_backward_ws(ws, vi, vw, vb, dout, inp, wt, BT, C, OC);
            cmp("backward_ws dinp", vi, ri, BT * C, tol_of(1, OC));
            cmp("backward_ws dweight", vw, rw, OC * C, tol_of(1, BT));
            cmp("backward_ws dbias", vb, rb, OC, 1e-6);
            memcpy(ri, di0, BT * C * sizeof *ri);
            memcpy(rw, dw0, OC * C * sizeof *rw);
            var[0]->matmul_backward(ri, rw, NULL, dout, inp, wt, BT, C, OC);
            assert_int_equal(!memcmp(ri, vi, BT * C * sizeof *ri),
                             !(dinp16 && (!outside || per_call16(BT, C))));
            assert_int_equal(!memcmp(rw, vw, OC * C * sizeof *rw), !dw16);
            /* each gradient alone: the others untouched */
            memcpy(vi, di0, BT * C * sizeof *vi);
            memcpy(vw, dw0, OC * C * sizeof *vw);
            v->matmul_backward_ws(ws, NULL, vw, NULL, dout, inp, wt, BT, C, OC);
            assert_memory_equal(vi, di0, BT * C * sizeof(float));
            v->matmul_backward_ws(ws, vi, NULL, NULL, dout, inp, wt, BT, C, OC);
            assert_true(nerr(vi, ri, BT * C) <= tol_of(1, OC));
            free(ri); free(rw); free(rb); free(vi); free(vw); free(vb);
        }
    }
    v->workspace_free(ws);
    v->workspace_free(NULL);
    free(P); free(wout); free(inp); free(dout); free(o1); free(o2);
    free(di0); free(dw0); free(db0);
}

static void test_matmul_ws(void **state)
{
    (void)state;
    if (!var[1] || !var[0]) skip();
    assert_non_null(var[1]->workspace_create);
    assert_null(var[0]->workspace_create); /* fp32: no workspace, the same code as before */
    assert_null(ref->workspace_create);
    static const size_t shapes[][3] = {{300, 70, 130}, {1, 64, 192}, {7, 3, 2},
                                       {32, 16, 48},   {32, 128, 384}, {32, 64, 256},
                                       {2048, 64, 64}, {256, 256, 64}, {1024, 96, 512},
                                       {600, 384, 384}};
    /* a generator of its own, so that the tests after it draw the data
     * they drew before it was added (on other draws, the fp32 wavenet
     * curve at one thread came to 1.2e-4 of the reference's at step 15:
     * the 1e-4 of train20 is tight for 20 steps of a chaotic fit) */
    gsl_rng *saved = rng;
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(rng);
    gsl_rng_set(rng, 19);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        matmul_ws_case(shapes[s][0], shapes[s][1], shapes[s][2]);
    gsl_rng_free(rng);
    rng = saved;
}

/* The other entries of the variants are the reference's own functions. */
static void test_same_other_ops(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        if (!var[p]) continue;
        assert_ptr_equal(var[p]->gru_forward, ref->gru_forward);
        assert_ptr_equal(var[p]->attention_forward, ref->attention_forward);
        assert_ptr_equal(var[p]->adamw_update, ref->adamw_update);
        assert_ptr_equal(var[p]->binned_loss, ref->binned_loss);
        assert_int_equal(var[p]->on_device, 0);
        assert_ptr_not_equal(var[p]->matmul_forward, ref->matmul_forward);
    }
}

/* 20 AdamW steps of the same network from the same weights and batches on
 * the reference and on each variant: the loss curves match.  The networks
 * are large enough for some of their products to run in bf16 (GRU h=128:
 * the second layer's input map, (384, 384); LSTM h=64: (384, 256);
 * transformer: (256, 192) and up; wavenet 128 channels: (1024, 256)). */
static void train20(const tsf_nn_config *cfg, size_t B)
{
    size_t T = (size_t)cfg->context;
    tsf_nn *nr;
    assert_int_equal(tsf_nn_new(cfg, &nr), TSF_OK);
    tsf_nn_init(nr, 7);
    size_t np = nr->nparams, F = nr->nin;
    float *x = fa(B * T * F), *y = fa(B * T), *p0 = fdup(nr->params, np);
    double z1 = 0.0, z2 = 0.0, lc[3][20];
    for (size_t i = 0; i < B * T; i++) {
        double z = 0.6 * z1 + 0.25 * z2 + gsl_ran_gaussian(rng, 1.0);
        tsf_nn_input(nr, z1, NAN, NULL, x + i * F);
        y[i] = (float)z;
        z2 = z1;
        z1 = z;
    }
    for (int p = -1; p < 2; p++) {
        const tsf_nn_backend *be = p < 0 ? ref : var[p];
        if (!be) continue;
        tsf_nn *n;
        tsf_nn_acts *a;
        assert_int_equal(tsf_nn_new_on(cfg, be, &n), TSF_OK);
        memcpy(n->params, p0, np * sizeof(float));
        assert_int_equal(tsf_nn_acts_new(n, B, T, &a), TSF_OK);
        float *g = fa(np), *m = fa(np), *v = fa(np);
        double *l = lc[p + 1], worst = 0.0;
        for (int s = 0; s < 20; s++) {
            memset(g, 0, np * sizeof(float));
            l[s] = tsf_nn_forward_backward(n, a, x, y, B, T, NULL, g, 1.0f / (float)(B * T));
            be->adamw_update(n->params, g, m, v, np, (float)cfg->arch->lr, 0.9f, 0.999f, 1e-8f, 1e-4f, s + 1);
            double e = fabs(l[s] - lc[0][s]) / fabs(lc[0][s]);
            if (e > worst) worst = e;
            if (p >= 0 && !(e <= (p ? ldexp(1.0, -8) : 1e-4)))
                fail_msg("%s step %d: loss %.8g, reference %.8g", be->name, s, l[s], lc[0][s]);
        }
        print_message("%-16s %-11s 20 steps, loss %.5f -> %.5f, worst relative difference "
                      "%.2e\n", be->name, cfg->arch->name, l[0], l[19], worst);
        /* the sizes are chosen so that some products are bf16 (use_bf16):
         * the curve must then differ from the reference's */
        if (p == 1) assert_true(worst > 0.0);
        assert_true(l[19] < l[0]); /* the training does train */
        free(g); free(m); free(v);
        tsf_nn_acts_free(a);
        tsf_nn_free(n);
    }
    tsf_nn_free(nr);
    free(x); free(y); free(p0);
}

static void need_variant(void)
{
    if (!var[0] && !var[1]) skip();
}

static void test_train_gru(void **state)
{
    (void)state;
    need_variant();
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 128,
                         .layers = 2, .context = 24, .period = 1};
    train20(&cfg, 16);
}

static void test_train_lstm(void **state)
{
    (void)state;
    need_variant();
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_lstm, .head = TSF_NN_HEAD_STUDENT_T, .hidden = 64,
                         .layers = 2, .context = 24, .period = 1};
    train20(&cfg, 16);
}

static void test_train_transformer(void **state)
{
    (void)state;
    need_variant();
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_transformer, .head = TSF_NN_HEAD_STUDENT_T,
                         .hidden = 64, .layers = 2, .heads = 4, .context = 32, .period = 1};
    train20(&cfg, 8);
}

static void test_train_wavenet(void **state)
{
    (void)state;
    need_variant();
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_MIXTURE,
                         .hidden = 128, .layers = 3, .context = 64, .period = 1,
                         .hp = {128, 2, 1}, .head_n = 3};
    train20(&cfg, 16);
}

/* The public side: a bf16 fit records bf16 (tsf_model_precision, the
 * model file), its likelihood is the fp32 network's; or, where bf16 is
 * not offered, the fit fails with TSF_EUNSUP and the advice. */
static void test_fit_precision(void **state)
{
    (void)state;
    double y[300];
    for (int i = 0; i < 300; i++) y[i] = sin(0.3 * i) + 0.2 * gsl_ran_gaussian(rng, 1.0);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 2;
    o.precision = TSF_PRECISION_BF16;
    o.device = TSF_DEVICE_CPU;
    tsf_model *m;
    tsf_precision pr;
    assert_int_equal(tsf_model_new("gru(hidden=8, layers=1)", &m), TSF_OK);
    assert_int_equal(tsf_model_precision(m, &pr), TSF_EINVAL); /* not fitted */
    tsf_status st = tsf_fit(m, y, 300, NULL, 1, &o);
    if (!var[1]) {
        assert_int_equal(st, TSF_EUNSUP);
        assert_errmsg_has("--precision fp32");
        print_message("bf16 not offered: %s\n", tsf_errmsg());
        tsf_model_free(m);
        return;
    }
    assert_int_equal(st, TSF_OK);
    assert_int_equal(tsf_model_precision(m, &pr), TSF_OK);
    assert_int_equal(pr, TSF_PRECISION_BF16);
    assert_string_equal(tsf_precision_name(pr), "bf16");
    char path[] = "/tmp/tsf_onednn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tsf_save(m, path), TSF_OK);
    tsf_model *l;
    assert_int_equal(tsf_load(path, &l), TSF_OK);
    unlink(path);
    assert_int_equal(tsf_model_precision(l, &pr), TSF_OK);
    assert_int_equal(pr, TSF_PRECISION_BF16);
    double a, b;
    assert_int_equal(tsf_loglik(m, y, 300, NULL, 0, &a), TSF_OK);
    assert_int_equal(tsf_loglik(l, y, 300, NULL, 0, &b), TSF_OK);
    assert_true(a == b); /* fp32 weights and fp32 inference: the same bits */
    tsf_model_free(l);
    tsf_model_free(m);
}

static void test_precision_api(void **state)
{
    (void)state;
    assert_string_equal(tsf_precision_name(TSF_PRECISION_FP32), "fp32");
    assert_null(tsf_precision_name((tsf_precision)9));
    tsf_model *m;
    tsf_precision pr;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    assert_int_equal(tsf_model_precision(m, &pr), TSF_EINVAL);
    assert_errmsg_has("not a neural model");
    assert_int_equal(tsf_model_precision(NULL, &pr), TSF_EINVAL);
    tsf_model_free(m);
    const tsf_nn_backend *be;
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CPU, TSF_PRECISION_TF32, &be), TSF_EUNSUP);
    assert_errmsg_has("GPU");
}

int main(void)
{
    ref = tsf_nn_backend_cpu();
    for (int p = 0; p < 2; p++) {
        tsf_precision pr = p ? TSF_PRECISION_BF16 : TSF_PRECISION_FP32;
        if (tsf_nn_backend_onednn(pr, &var[p]) != TSF_OK)
            printf("oneDNN %s variant not offered: %s\n", pname[p], tsf_errmsg());
    }
    printf("oneDNN ISA: %s\n", tsf_onednn_isa());
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 1;
    gsl_rng_set(rng, 11);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul),          cmocka_unit_test(test_matmul_ws),
        cmocka_unit_test(test_same_other_ops),
        cmocka_unit_test(test_train_gru),       cmocka_unit_test(test_train_lstm),
        cmocka_unit_test(test_train_transformer), cmocka_unit_test(test_train_wavenet),
        cmocka_unit_test(test_fit_precision),   cmocka_unit_test(test_precision_api),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
