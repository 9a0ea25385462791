/* Where a training step's time goes, per backend op and per GEMM kind
 * (issue #19: the accounting of tsf bf16 against tsf fp32).  Usage:
 *   neural_profile ARCH HIDDEN LAYERS HEADS CONTEXT BATCH STEPS PRECISION
 * (ARCH as bench/neural_bench.c's; PRECISION fp32 or bf16).  Runs the same
 * step as bench/neural_bench.c (bench_nn_step: forward, backward, gradient
 * norm, AdamW)
 * on a copy of the backend table whose ops are wrapped by a timer (the
 * thread's CPU clock, ~0.1-0.2 us a read: the machine is shared, so
 * wall time would count other programs' turns; run it at one thread, with
 * OMP_NUM_THREADS=1; its cost, measured first, is taken out); a backward product is split into its
 * parts (data, weight, bias: independent sums, so the bits are those of
 * one call).  Products are classed as forward / backward data of the
 * recurrence (BT = B rows: one time step) or of the batched maps (BT = B T),
 * and weight gradients.  Prints one line per class: ms per step, share of
 * the step, calls per step; then the step's thread CPU time, the
 * process's (user, system) and its minor page faults per step; then the
 * same as one JSON line (prefix "JSON ") for the script.
 * bench/neural_profile.sh builds it twice: against the library, and with
 * cpu_onednn.c compiled with -DTSF_WS_ALL_BF16 (every product in bf16) for
 * the bound "every GEMM at its bf16 speed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "neural/device.h"
#include "neural/neural.h"
#include "bench_util.h"
#include "neural_bench.h"

enum {
    K_FWD, K_FWD_REC, K_DINP, K_DINP_REC, K_DW, K_DB,
    K_GATE_F, K_GATE_B, K_RESID, K_ZERO, K_COPY, K_LN, K_GELU, K_ATT, K_HEAD, K_OPT, K_NK
};
static const char *const kname[K_NK] = {
    "GEMM forward (B T rows)", "GEMM forward recurrent (B rows)", "GEMM backward data (B T)",
    "GEMM backward data recurrent (B)", "GEMM weight gradient", "bias gradient (column sums)",
    "gate math forward", "gate math backward", "residual add", "zero", "copy/copy2d",
    "layernorm", "gelu", "attention", "head loss", "grad norm + AdamW"};
static double acc[K_NK + 1];
static long ncall[K_NK + 1];
static size_t Bwin; /* windows per batch: a product of B rows is a time step's */
static tsf_nn_backend orig, wrapped;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define TIMED(k, call)                                                                        \
    do {                                                                                      \
        double t0_ = now();                                                                   \
        call;                                                                                 \
        acc[k] += now() - t0_;                                                                \
        ncall[k]++;                                                                           \
    } while (0)

static void mmf_ws(void *ws, float *out, const float *inp, const float *w, const float *b,
                   size_t BT, size_t C, size_t OC)
{
    TIMED(BT == Bwin ? K_FWD_REC : K_FWD, orig.matmul_forward_ws(ws, out, inp, w, b, BT, C, OC));
}
static void mmb_ws(void *ws, float *dinp, float *dw, float *db, const float *dout,
                   const float *inp, const float *w, size_t BT, size_t C, size_t OC)
{
    if (db) TIMED(K_DB, orig.matmul_backward_ws(ws, NULL, NULL, db, dout, inp, w, BT, C, OC));
    if (dinp)
        TIMED(BT == Bwin ? K_DINP_REC : K_DINP,
              orig.matmul_backward_ws(ws, dinp, NULL, NULL, dout, inp, w, BT, C, OC));
    if (dw) TIMED(K_DW, orig.matmul_backward_ws(ws, NULL, dw, NULL, dout, inp, w, BT, C, OC));
}
static void mmf(float *out, const float *inp, const float *w, const float *b, size_t BT,
                size_t C, size_t OC)
{
    TIMED(BT == Bwin ? K_FWD_REC : K_FWD, orig.matmul_forward(out, inp, w, b, BT, C, OC));
}
static void mmb(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                const float *w, size_t BT, size_t C, size_t OC)
{
    if (db) TIMED(K_DB, orig.matmul_backward(NULL, NULL, db, dout, inp, w, BT, C, OC));
    if (dinp)
        TIMED(BT == Bwin ? K_DINP_REC : K_DINP,
              orig.matmul_backward(dinp, NULL, NULL, dout, inp, w, BT, C, OC));
    if (dw) TIMED(K_DW, orig.matmul_backward(NULL, dw, NULL, dout, inp, w, BT, C, OC));
}
static void gruf(float *h, float *g, const float *xg, const float *hg, const float *hp, size_t B,
                 size_t H)
{
    TIMED(K_GATE_F, orig.gru_forward(h, g, xg, hg, hp, B, H));
}
static void grub(float *dxg, float *dhg, float *dhp, const float *dh, const float *g,
                 const float *hg, const float *hp, size_t B, size_t H)
{
    TIMED(K_GATE_B, orig.gru_backward(dxg, dhg, dhp, dh, g, hg, hp, B, H));
}
static void lstmf(float *h, float *c, float *g, const float *pre, const float *cp, size_t B,
                  size_t H)
{
    TIMED(K_GATE_F, orig.lstm_forward(h, c, g, pre, cp, B, H));
}
static void lstmb(float *dpre, float *dcp, const float *dh, const float *dc, const float *g,
                  const float *c, const float *cp, size_t B, size_t H)
{
    TIMED(K_GATE_B, orig.lstm_backward(dpre, dcp, dh, dc, g, c, cp, B, H));
}
static void resid(float *out, const float *a, const float *b, size_t N)
{
    TIMED(K_RESID, orig.residual_forward(out, a, b, N));
}
static void zero(float *p, size_t n) { TIMED(K_ZERO, orig.zero(p, n)); }
static void copy(float *d, const float *s, size_t n) { TIMED(K_COPY, orig.copy(d, s, n)); }
static void copy2d(float *d, size_t dp, const float *s, size_t sp, size_t w, size_t h)
{
    TIMED(K_COPY, orig.copy2d(d, dp, s, sp, w, h));
}
static void lnf(float *out, float *mean, float *rstd, const float *inp, const float *w,
                const float *b, size_t BT, size_t C)
{
    TIMED(K_LN, orig.layernorm_forward(out, mean, rstd, inp, w, b, BT, C));
}
static void lnb(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                const float *w, const float *mean, const float *rstd, size_t BT, size_t C)
{
    TIMED(K_LN, orig.layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, BT, C));
}
static void geluf(float *out, const float *inp, size_t N) { TIMED(K_GELU, orig.gelu_forward(out, inp, N)); }
static void gelub(float *dinp, const float *inp, const float *dout, size_t N)
{
    TIMED(K_GELU, orig.gelu_backward(dinp, inp, dout, N));
}
static void attf(float *out, float *att, const float *qkv, size_t B, size_t T, size_t C, size_t NH,
                 size_t W)
{
    TIMED(K_ATT, orig.attention_forward(out, att, qkv, B, T, C, NH, W));
}
static void attb(float *dqkv, float *datt, const float *dout, const float *qkv, const float *att,
                 size_t B, size_t T, size_t C, size_t NH, size_t W)
{
    TIMED(K_ATT, orig.attention_backward(dqkv, datt, dout, qkv, att, B, T, C, NH, W));
}
static double sumsq(const float *g, size_t N)
{
    double r;
    TIMED(K_OPT, r = orig.sumsq(g, N));
    return r;
}
static void scale(float *x, float a, size_t N) { TIMED(K_OPT, orig.scale(x, a, N)); }
static void adamw(float *p, const float *g, float *m, float *v, size_t N, float lr, float b1,
                  float b2, float eps, float wd, int t)
{
    TIMED(K_OPT, orig.adamw_update(p, g, m, v, N, lr, b1, b2, eps, wd, t));
}
static double headl(float *nll, float *dout, const float *o, const float *y, size_t BT,
                    tsf_nn_head head, float weight)
{
    double r;
    TIMED(K_HEAD, r = orig.head_loss(nll, dout, o, y, BT, head, weight));
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 9) {
        fprintf(stderr, "usage: %s ARCH HIDDEN LAYERS HEADS CONTEXT BATCH STEPS PRECISION\n",
                argv[0]);
        return 1;
    }
    tsf_nn_config cfg;
    bench_nn_config(argv, &cfg);
    size_t B = (size_t)atoi(argv[6]), T = (size_t)cfg.context;
    int steps = atoi(argv[7]);
    tsf_precision prec = !strcmp(argv[8], "bf16") ? TSF_PRECISION_BF16 : TSF_PRECISION_FP32;
    Bwin = B;
    const tsf_nn_backend *be;
    tsf_nn *tn;
    tsf_nn_acts *acts;
    if (tsf_nn_backend_get(TSF_DEVICE_CPU, prec, &be)) {
        fprintf(stderr, "%s\n", tsf_errmsg());
        return 1;
    }
    orig = *be;
    wrapped = *be;
    wrapped.matmul_forward = mmf;
    wrapped.matmul_backward = mmb;
    if (be->matmul_forward_ws) {
        wrapped.matmul_forward_ws = mmf_ws;
        wrapped.matmul_backward_ws = mmb_ws;
    }
    wrapped.gru_forward = gruf;
    wrapped.gru_backward = grub;
    wrapped.lstm_forward = lstmf;
    wrapped.lstm_backward = lstmb;
    wrapped.residual_forward = resid;
    wrapped.zero = zero;
    wrapped.copy = copy;
    wrapped.copy2d = copy2d;
    wrapped.layernorm_forward = lnf;
    wrapped.layernorm_backward = lnb;
    wrapped.gelu_forward = geluf;
    wrapped.gelu_backward = gelub;
    wrapped.attention_forward = attf;
    wrapped.attention_backward = attb;
    wrapped.head_loss = headl;
    wrapped.sumsq = sumsq;
    wrapped.scale = scale;
    wrapped.adamw_update = adamw;
    be = &wrapped;
    if (tsf_nn_new_on(&cfg, be, &tn) || tsf_nn_acts_new(tn, B, T, &acts)) {
        fprintf(stderr, "%s\n", tsf_errmsg());
        return 1;
    }
    tsf_nn_init(tn, 1);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    float *x, *y;
    double *z = bench_nn_windows(tn, B, T, r, &x, &y);
    size_t np = tn->nparams;
    float *g = calloc(np, sizeof *g), *m = calloc(np, sizeof *m), *v = calloc(np, sizeof *v);
    /* the timer's own cost: inside a timed interval (subtracted from each
     * op) and per pair of reads (subtracted from the step) */
    double tc = now();
    for (int i = 0; i < 20000; i++) TIMED(K_NK, (void)0);
    double outer = (now() - tc) / 20000.0, inner = acc[K_NK] / 20000.0;
    double t0 = 0.0, c0 = 0.0, u0 = 0.0, s0 = 0.0;
    long f0 = 0;
    struct rusage ru;
    for (int s = -2; s < steps; s++) { /* two warm-up steps */
        if (s == 0) {
            memset(acc, 0, sizeof acc);
            memset(ncall, 0, sizeof ncall);
            getrusage(RUSAGE_SELF, &ru);
            u0 = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
            s0 = (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
            f0 = ru.ru_minflt;
            t0 = now();
            c0 = bench_cpu_now();
        }
        bench_nn_step(be, tn, acts, x, y, B, T, g, m, v, s);
    }
    double dt = now() - t0, dc = bench_cpu_now() - c0;
    getrusage(RUSAGE_SELF, &ru);
    double us = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec - u0;
    double ss = (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec - s0;
    long calls = 0;
    for (int k = 0; k < K_NK; k++) {
        acc[k] -= (double)ncall[k] * inner;
        calls += ncall[k];
    }
    dt -= (double)calls * outer;
    double sum = 0.0, gemm = 0.0;
    printf("%s h=%s L=%s B=%zu T=%zu %s (%s), %d steps\n", argv[1], argv[2], argv[3], B, T,
           argv[8], orig.name, steps);
    for (int k = 0; k < K_NK; k++) {
        sum += acc[k];
        if (k <= K_DW) gemm += acc[k];
        if (!ncall[k]) continue;
        printf("  %-34s %8.3f ms %5.1f%% %7.0f calls\n", kname[k], 1e3 * acc[k] / steps,
               100.0 * acc[k] / dt, (double)ncall[k] / steps);
    }
    printf("  %-34s %8.3f ms %5.1f%%\n", "other (unwrapped: layout, transposes)",
           1e3 * (dt - sum) / steps, 100.0 * (dt - sum) / dt);
    printf("  GEMMs %.3f ms %.1f%%; step %.3f ms (thread CPU, timer out), process CPU %.3f ms (user %.3f, system %.3f); "
           "minor faults %.1f/step\n",
           1e3 * gemm / steps, 100.0 * gemm / dt, 1e3 * dt / steps, 1e3 * dc / steps,
           1e3 * us / steps, 1e3 * ss / steps, (double)(ru.ru_minflt - f0) / steps);
    printf("  (timer: %.2f us a call, %.1f%% of the measured step, taken out above)\n",
           1e6 * outer, 100.0 * (double)calls * outer / (dt + (double)calls * outer));
    /* for bench/neural_profile.sh: ms per step of each class, GEMM classes first */
    printf("JSON {\"step\": %.4f, \"ms\": [", 1e3 * dt / steps);
    for (int k = 0; k < K_NK; k++) printf("%s%.4f", k ? ", " : "", 1e3 * acc[k] / steps);
    printf("], \"ngemm\": %d}\n", K_DW + 1);
    tsf_nn_acts_free(acts);
    tsf_nn_free(tn);
    gsl_rng_free(r);
    free(z); free(x); free(y); free(g); free(m); free(v);
    return 0;
}
