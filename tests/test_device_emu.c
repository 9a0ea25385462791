/* The net code's device plumbing, on the host: an emulated device backend
 * whose memory is mmap'ed and kept PROT_NONE except inside its own ops and
 * memory functions (the CPU reference ops do the arithmetic).  Any direct
 * host access of "device" memory by src/neural/net*.c -- a memcpy, a
 * memset, reading a loss -- is a segmentation fault here.  The passes on
 * it must then equal the CPU backend's bit for bit: training forward and
 * backward of all three architectures, outputs, gradients, AdamW steps,
 * and the incremental steps with broadcast and clone, and the fixed-point
 * sampler's passes (transformer, wavenet).  Runs everywhere. */
#include "testutil.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "neural/cpu_ops.h"
#include "neural/net.h"
#include "neural/neural.h"
#include "emu_backend.h"

#define emu tsf_emu_backend

static gsl_rng *rng;

static float *host_of(const float *d, size_t n)
{
    float *h = malloc(n * sizeof *h);
    assert_non_null(h);
    emu.download(h, d, n);
    return h;
}

static void same_net(tsf_nn_config cfg)
{
    size_t B = 3, T = (size_t)cfg.context;
    tsf_nn *nc, *ne;
    assert_int_equal(tsf_nn_new(&cfg, &nc), TSF_OK);
    assert_int_equal(tsf_nn_new_on(&cfg, &emu, &ne), TSF_OK);
    tsf_nn_init(nc, 3);
    tsf_nn_init(ne, 3); /* initialised on the host, uploaded */
    size_t np = nc->nparams, F = nc->nin, K = nc->K;
    float *pe = host_of(ne->params, np);
    assert_memory_equal(pe, nc->params, np * sizeof(float));
    free(pe);
    float *x = malloc(B * T * F * sizeof *x), *y = malloc(B * T * sizeof *y);
    float *oc = malloc(B * T * K * sizeof *oc), *oe = malloc(B * T * K * sizeof *oe);
    assert_true(x && y && oc && oe);
    for (size_t i = 0; i < B * T; i++) {
        tsf_nn_input(nc, gsl_ran_gaussian(rng, 1), i % 7 ? 0.5 : NAN, NULL, x + i * F);
        y[i] = i % 11 ? (float)gsl_ran_gaussian(rng, 1) : NAN;
    }
    tsf_nn_acts *ac, *ae;
    assert_int_equal(tsf_nn_acts_new(nc, B, T, &ac), TSF_OK);
    assert_int_equal(tsf_nn_acts_new(ne, B, T, &ae), TSF_OK);
    float *gc = calloc(np, sizeof *gc), *mc = calloc(np, sizeof *mc), *vc = calloc(np, sizeof *vc);
    float *ge = emu.alloc(np), *me = emu.alloc(np), *ve = emu.alloc(np);
    assert_true(gc && mc && vc && ge && me && ve);
    for (int s = 1; s <= 3; s++) {
        memset(gc, 0, np * sizeof *gc);
        emu.zero(ge, np);
        double lc = tsf_nn_forward_backward(nc, ac, x, y, B, T, oc, gc, 0.1f);
        double le = tsf_nn_forward_backward(ne, ae, x, y, B, T, oe, ge, 0.1f);
        assert_true(lc == le);
        assert_memory_equal(oc, oe, B * T * K * sizeof(float));
        float *g = host_of(ge, np);
        assert_memory_equal(g, gc, np * sizeof(float));
        free(g);
        assert_true(emu.sumsq(ge, np) == tsf_cpu_sumsq(gc, np));
        tsf_cpu_adamw_update(nc->params, gc, mc, vc, np, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, s);
        emu.adamw_update(ne->params, ge, me, ve, np, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, s);
    }
    /* forward only, no gradients */
    assert_true(tsf_nn_forward_backward(nc, ac, x, y, B, T, NULL, NULL, 1.0f) ==
                tsf_nn_forward_backward(ne, ae, x, y, B, T, NULL, NULL, 1.0f));
    /* incremental steps, then a broadcast to 4 sequences and a clone */
    tsf_nn_run *rc, *re, *rc4, *re4, *rcc, *rec;
    assert_int_equal(tsf_nn_run_new(nc, 1, &rc), TSF_OK);
    assert_int_equal(tsf_nn_run_new(ne, 1, &re), TSF_OK);
    float o1[64], o2[64], o4c[256], o4e[256], x4[16];
    for (size_t t = 0; t < T + 3; t++) { /* past the window: the KV ring wraps */
        tsf_nn_run_step(nc, rc, x + (t % T) * F, o1);
        tsf_nn_run_step(ne, re, x + (t % T) * F, o2);
        assert_memory_equal(o1, o2, K * sizeof(float));
    }
    assert_int_equal(tsf_nn_run_new(nc, 4, &rc4), TSF_OK);
    assert_int_equal(tsf_nn_run_new(ne, 4, &re4), TSF_OK);
    tsf_nn_run_broadcast(nc, rc4, rc);
    tsf_nn_run_broadcast(ne, re4, re);
    for (size_t i = 0; i < 4 * F; i++) x4[i] = (float)gsl_ran_gaussian(rng, 1);
    tsf_nn_run_step(nc, rc4, x4, o4c);
    tsf_nn_run_step(ne, re4, x4, o4e);
    assert_memory_equal(o4c, o4e, 4 * K * sizeof(float));
    assert_int_equal(tsf_nn_run_clone(nc, rc4, &rcc), TSF_OK);
    assert_int_equal(tsf_nn_run_clone(ne, re4, &rec), TSF_OK);
    tsf_nn_run_step(nc, rcc, x4, o4c);
    tsf_nn_run_step(ne, rec, x4, o4e);
    assert_memory_equal(o4c, o4e, 4 * K * sizeof(float));
    /* ancestral sampling: on the device the draws are made there
     * (head_draw) and only they come back; the same paths as the host's */
    {
        tsf_nn_stream *sc, *se;
        double pc[5 * 9], pd[5 * 9];
        gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
        assert_true(r1 && r2);
        gsl_rng_set(r1, 5);
        gsl_rng_set(r2, 5);
        assert_int_equal(tsf_nn_stream_new(nc, 2.5, 5, &sc), TSF_OK);
        assert_int_equal(tsf_nn_stream_new(ne, 2.5, 5, &se), TSF_OK);
        assert_non_null(se->run->dnoise);
        assert_null(sc->run->dnoise);
        assert_int_equal(tsf_nn_stream_sample(sc, 9, r1, pc), TSF_OK);
        assert_int_equal(tsf_nn_stream_sample(se, 9, r2, pd), TSF_OK);
        assert_memory_equal(pc, pd, sizeof pc);
        for (size_t i = 0; i < 5 * 9; i++) assert_true(isfinite(pc[i]));
        tsf_nn_stream_free(sc);
        tsf_nn_stream_free(se);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
    }
    /* sampling paths that continue one streamed history: the dense
     * transformer's shared-prefix run (prefix_run.c) copies the history's
     * keys and values within the device's memory */
    {
        tsf_nn_stream *s1c, *s1e, *sc, *se;
        double pc[5 * 9], pd[5 * 9];
        gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
        assert_true(r1 && r2);
        gsl_rng_set(r1, 6);
        gsl_rng_set(r2, 6);
        assert_int_equal(tsf_nn_stream_new(nc, 2.5, 1, &s1c), TSF_OK);
        assert_int_equal(tsf_nn_stream_new(ne, 2.5, 1, &s1e), TSF_OK);
        for (size_t t = 0; t < T + 3; t++) {
            double v = sin(0.4 * (double)t);
            tsf_nn_stream_update(s1c, v, NULL, NULL);
            tsf_nn_stream_update(s1e, v, NULL, NULL);
        }
        assert_int_equal(tsf_nn_stream_fork_paths(s1c, 5, 9, &sc), TSF_OK);
        assert_int_equal(tsf_nn_stream_fork_paths(s1e, 5, 9, &se), TSF_OK);
        assert_true(sc->run->R == se->run->R);
        if (cfg.arch == &tsf_nn_arch_transformer && tsf_nn_transformer_shares_prefix(&cfg))
            assert_true(se->run->R > 0);
        assert_int_equal(tsf_nn_stream_sample(sc, 9, r1, pc), TSF_OK);
        assert_int_equal(tsf_nn_stream_sample(se, 9, r2, pd), TSF_OK);
        assert_memory_equal(pc, pd, sizeof pc);
        tsf_nn_stream_free(sc);
        tsf_nn_stream_free(se);
        tsf_nn_stream_free(s1c);
        tsf_nn_stream_free(s1e);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
    }
    /* the fixed-point sampler (transformer, wavenet): its passes on the device */
    if (cfg.arch->reach(&cfg) != SIZE_MAX) {
        double yh[9] = {0.3, -0.2, NAN, 0.8, 0.1, -0.5, 0.4, 0.0, 0.2}, pc[21], pd[21];
        size_t ic = 0, ie = 0;
        gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
        assert_true(r1 && r2);
        gsl_rng_set(r1, 8);
        gsl_rng_set(r2, 8);
        assert_int_equal(tsf_nn_sample_parallel(nc, 1.0, yh, 9, 7, 3, r1, 0, pc, &ic), TSF_OK);
        assert_int_equal(tsf_nn_sample_parallel(ne, 1.0, yh, 9, 7, 3, r2, 0, pd, &ie), TSF_OK);
        assert_true(ic == ie && ic >= 1 && ic <= 7);
        assert_memory_equal(pc, pd, sizeof pc);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
    }
    tsf_nn_run_free(rc); tsf_nn_run_free(re); tsf_nn_run_free(rc4); tsf_nn_run_free(re4);
    tsf_nn_run_free(rcc); tsf_nn_run_free(rec);
    tsf_nn_acts_free(ac);
    tsf_nn_acts_free(ae);
    emu.free(ge); emu.free(me); emu.free(ve);
    free(gc); free(mc); free(vc);
    tsf_nn_free(nc);
    tsf_nn_free(ne);
    assert_int_equal(tsf_emu_live(), 0); /* everything freed */
    free(x); free(y); free(oc); free(oe);
}

static void test_gru(void **state)
{
    (void)state;
    same_net((tsf_nn_config){.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 8,
                             .layers = 2, .heads = 0, .context = 6, .period = 1});
}

static void test_lstm(void **state)
{
    (void)state;
    same_net((tsf_nn_config){.arch = &tsf_nn_arch_lstm, .head = TSF_NN_HEAD_STUDENT_T, .hidden = 8,
                             .layers = 2, .heads = 0, .context = 6, .period = 12});
}

static void test_transformer(void **state)
{
    (void)state;
    same_net((tsf_nn_config){.arch = &tsf_nn_arch_transformer, .head = TSF_NN_HEAD_STUDENT_T, .hidden = 16,
                             .layers = 2, .heads = 2, .context = 5, .period = 1});
}

/* the emulation itself: host access between ops faults (checked in a child) */
static void test_emulation_traps(void **state)
{
    (void)state;
    float *p = emu.alloc(4);
    assert_non_null(p);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* not cmocka's handler */
        volatile float v = p[0]; /* must fault */
        (void)v;
        _exit(0);
    }
    int status = 0;
    assert_true(pid > 0 && waitpid(pid, &status, 0) == pid);
    assert_true(WIFSIGNALED(status));
    emu.free(p);
}


/* wavenet with the mixture and binned heads: queues wrap past T */
static void test_wavenet(void **state)
{
    (void)state;
    same_net((tsf_nn_config){.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_MIXTURE,
                             .hidden = 8, .layers = 2, .context = 6, .period = 1,
                             .hp = {5, 2, 1}, .head_n = 3});
    same_net((tsf_nn_config){.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_BINNED,
                             .hidden = 8, .layers = 2, .context = 6, .period = 3,
                             .hp = {6, 3, 1}, .head_n = 16, .head_lo = -2.0, .head_hi = 2.0});
}

/* A backend without an op a network needs (ggml's supports_op): refused
 * with one line naming the op and the device, never called. */
static void test_missing_op(void **state)
{
    (void)state;
    tsf_nn_backend dev = *tsf_nn_backend_cpu();
    dev.name = "test-device";
    dev.gated_backward = NULL;
    dev.binned_loss = NULL;
    tsf_nn_config w = {.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 8,
                       .layers = 2, .context = 6, .period = 1, .hp = {5, 2, 1}};
    tsf_nn *nn = NULL;
    assert_int_equal(tsf_nn_new_on(&w, &dev, &nn), TSF_EUNSUP);
    assert_null(nn);
    assert_non_null(strstr(tsf_errmsg(), "test-device backend has no op gated_backward"));
    assert_non_null(strstr(tsf_errmsg(), "wavenet"));
    assert_null(strchr(tsf_errmsg(), '\n'));
    tsf_nn_config g = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_BINNED, .hidden = 8,
                       .layers = 1, .context = 6, .period = 1, .head_n = 16, .head_lo = -1.0,
                       .head_hi = 1.0};
    assert_int_equal(tsf_nn_new_on(&g, &dev, &nn), TSF_EUNSUP);
    assert_non_null(strstr(tsf_errmsg(), "no op binned_loss, which binned needs"));
    g.head = TSF_NN_HEAD_GAUSSIAN; /* the ops it needs are there */
    assert_int_equal(tsf_nn_new_on(&g, &dev, &nn), TSF_OK);
    tsf_nn_free(nn);
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulation_traps), cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),            cmocka_unit_test(test_transformer),
        cmocka_unit_test(test_wavenet),         cmocka_unit_test(test_missing_op),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
