/* The net code's device plumbing, on the host: an emulated device backend
 * whose memory is mmap'ed and kept PROT_NONE except inside its own ops and
 * memory functions (the CPU reference ops do the arithmetic).  Any direct
 * host access of "device" memory by src/neural/net*.c -- a memcpy, a
 * memset, reading a loss -- is a segmentation fault here.  The passes on
 * it must then equal the CPU backend's bit for bit: training forward and
 * backward of all three architectures, outputs, gradients, AdamW steps,
 * and the incremental steps with broadcast and clone.  Runs everywhere. */
#include "testutil.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "neural/cpu_ops.h"
#include "neural/net.h"

/* ---- the emulated device: a registry of mappings, locked between ops ---- */
#define MAXMAP 64
static struct { void *p; size_t len; } maps[MAXMAP];
static size_t page;

static void set_all(int prot)
{
    for (int i = 0; i < MAXMAP; i++)
        if (maps[i].p && mprotect(maps[i].p, maps[i].len, prot)) abort();
}
#define OPEN() set_all(PROT_READ | PROT_WRITE)
#define SHUT() set_all(PROT_NONE)

static float *e_alloc(size_t n)
{
    size_t len = ((n ? n : 1) * sizeof(float) + page - 1) / page * page;
    for (int i = 0; i < MAXMAP; i++)
        if (!maps[i].p) {
            void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) return NULL;
            maps[i].p = p;
            maps[i].len = len;
            return p;
        }
    return NULL;
}

static void e_free(float *p)
{
    for (int i = 0; p && i < MAXMAP; i++)
        if (maps[i].p == p) {
            munmap(p, maps[i].len);
            maps[i].p = NULL;
        }
}

static void e_copy(float *d, const float *s, size_t n) { OPEN(); memmove(d, s, n * sizeof *d); SHUT(); }
static void e_zero(float *p, size_t n) { OPEN(); memset(p, 0, n * sizeof *p); SHUT(); }
static void e_copy2d(float *d, size_t dp, const float *s, size_t sp, size_t w, size_t rows)
{
    OPEN();
    for (size_t i = 0; i < rows; i++) memcpy(d + i * dp, s + i * sp, w * sizeof *d);
    SHUT();
}
static int e_sync(char *msg, size_t len)
{
    if (msg && len) msg[0] = '\0';
    return 0;
}

/* each op: unlock, the CPU reference, lock */
#define W0(name, params, args) \
    static void e_##name params { OPEN(); tsf_cpu_##name args; SHUT(); }
W0(matmul_forward, (float *o, const float *i, const float *w, const float *b, size_t BT, size_t C,
                    size_t OC), (o, i, w, b, BT, C, OC))
W0(matmul_backward, (float *di, float *dw, float *db, const float *d, const float *i,
                     const float *w, size_t BT, size_t C, size_t OC), (di, dw, db, d, i, w, BT, C, OC))
W0(layernorm_forward, (float *o, float *m, float *r, const float *i, const float *w, const float *b,
                       size_t BT, size_t C), (o, m, r, i, w, b, BT, C))
W0(layernorm_backward, (float *di, float *dw, float *db, const float *d, const float *i,
                        const float *w, const float *m, const float *r, size_t BT, size_t C),
   (di, dw, db, d, i, w, m, r, BT, C))
W0(gelu_forward, (float *o, const float *i, size_t N), (o, i, N))
W0(gelu_backward, (float *di, const float *i, const float *d, size_t N), (di, i, d, N))
W0(residual_forward, (float *o, const float *a, const float *b, size_t N), (o, a, b, N))
W0(gru_forward, (float *h, float *g, const float *x, const float *hg, const float *hp, size_t B,
                 size_t H), (h, g, x, hg, hp, B, H))
W0(gru_backward, (float *dx, float *dg, float *dhp, const float *dh, const float *g,
                  const float *hg, const float *hp, size_t B, size_t H),
   (dx, dg, dhp, dh, g, hg, hp, B, H))
W0(lstm_forward, (float *h, float *c, float *g, const float *p, const float *cp, size_t B,
                  size_t H), (h, c, g, p, cp, B, H))
W0(lstm_backward, (float *dp, float *dcp, const float *dh, const float *dc, const float *g,
                   const float *c, const float *cp, size_t B, size_t H),
   (dp, dcp, dh, dc, g, c, cp, B, H))
W0(attention_forward, (float *o, float *a, const float *qkv, size_t B, size_t T, size_t C,
                       size_t NH, size_t W), (o, a, qkv, B, T, C, NH, W))
W0(attention_backward, (float *dq, float *da, const float *d, const float *qkv, const float *a,
                        size_t B, size_t T, size_t C, size_t NH, size_t W),
   (dq, da, d, qkv, a, B, T, C, NH, W))
W0(attention_step, (float *o, const float *q, const float *k, const float *v, size_t B, size_t C,
                    size_t NH, size_t W, size_t pos, float *s), (o, q, k, v, B, C, NH, W, pos, s))
W0(head_params, (float *mu, float *s, float *nu, const float *o, size_t BT, tsf_nn_head h),
   (mu, s, nu, o, BT, h))
W0(scale, (float *x, float a, size_t N), (x, a, N))
W0(adamw_update, (float *p, const float *g, float *m, float *v, size_t N, float lr, float b1,
                  float b2, float eps, float wd, int t), (p, g, m, v, N, lr, b1, b2, eps, wd, t))

static double e_head_loss(float *nll, float *d, const float *o, const float *y, size_t BT,
                          tsf_nn_head h, float w)
{
    OPEN();
    double r = tsf_cpu_head_loss(nll, d, o, y, BT, h, w);
    SHUT();
    return r;
}

static double e_sumsq(const float *g, size_t N)
{
    OPEN();
    double r = tsf_cpu_sumsq(g, N);
    SHUT();
    return r;
}

static const tsf_nn_backend emu = {
    .name = "emulated-device",
    .matmul_forward = e_matmul_forward, .matmul_backward = e_matmul_backward,
    .layernorm_forward = e_layernorm_forward, .layernorm_backward = e_layernorm_backward,
    .gelu_forward = e_gelu_forward, .gelu_backward = e_gelu_backward,
    .residual_forward = e_residual_forward, .gru_forward = e_gru_forward,
    .gru_backward = e_gru_backward, .lstm_forward = e_lstm_forward,
    .lstm_backward = e_lstm_backward, .attention_forward = e_attention_forward,
    .attention_backward = e_attention_backward, .attention_step = e_attention_step,
    .head_loss = e_head_loss, .head_params = e_head_params, .sumsq = e_sumsq,
    .scale = e_scale, .adamw_update = e_adamw_update,
    .on_device = 1, .alloc = e_alloc, .free = e_free, .upload = e_copy, .download = e_copy,
    .copy = e_copy, .copy2d = e_copy2d, .zero = e_zero, .sync = e_sync,
};

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
    size_t np = nc->nparams, F = nc->nin, K = tsf_nn_head_k(cfg.head);
    float *pe = host_of(ne->params, np);
    assert_memory_equal(pe, nc->params, np * sizeof(float));
    free(pe);
    float *x = malloc(B * T * F * sizeof *x), *y = malloc(B * T * sizeof *y);
    float *oc = malloc(B * T * K * sizeof *oc), *oe = malloc(B * T * K * sizeof *oe);
    assert_true(x && y && oc && oe);
    for (size_t i = 0; i < B * T; i++) {
        tsf_nn_input(nc, gsl_ran_gaussian(rng, 1), i % 7 ? 0.5 : NAN, x + i * F);
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
    float o1[3], o2[3], o4c[12], o4e[12], x4[16];
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
    tsf_nn_run_free(rc); tsf_nn_run_free(re); tsf_nn_run_free(rc4); tsf_nn_run_free(re4);
    tsf_nn_run_free(rcc); tsf_nn_run_free(rec);
    tsf_nn_acts_free(ac);
    tsf_nn_acts_free(ae);
    emu.free(ge); emu.free(me); emu.free(ve);
    free(gc); free(mc); free(vc);
    tsf_nn_free(nc);
    tsf_nn_free(ne);
    for (int i = 0; i < MAXMAP; i++) assert_null(maps[i].p); /* everything freed */
    free(x); free(y); free(oc); free(oe);
}

static void test_gru(void **state)
{
    (void)state;
    same_net((tsf_nn_config){TSF_NN_GRU, TSF_NN_HEAD_GAUSSIAN, 8, 2, 0, 6, 1});
}

static void test_lstm(void **state)
{
    (void)state;
    same_net((tsf_nn_config){TSF_NN_LSTM, TSF_NN_HEAD_STUDENT_T, 8, 2, 0, 6, 12});
}

static void test_transformer(void **state)
{
    (void)state;
    same_net((tsf_nn_config){TSF_NN_TRANSFORMER, TSF_NN_HEAD_STUDENT_T, 16, 2, 2, 5, 1});
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

int main(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulation_traps), cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),            cmocka_unit_test(test_transformer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
