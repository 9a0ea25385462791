/* Every op of the CUDA backend against the CPU reference from the same
 * inputs, gradients included, then 20 training steps of a GRU, a
 * transformer and a wavenet on both with their loss curves compared.  Needs a GPU:
 * exits 77 (skipped) when the CUDA module does not load or no device is
 * present (tsf_nn_backend_get(TSF_DEVICE_CUDA) fails).
 *
 * Errors are normalised, ||gpu - cpu|| / ||cpu||, with these tolerances:
 *   fp32 (all non-GEMM kernels, FP32 GEMMs):    TOL_FP32 = 1e-5
 *       reordered fp32 sums (warp trees, atomics, cuBLAS blocking) over
 *       <= a few hundred terms;
 *   TF32 GEMMs:                                 TOL_TF32 = 3e-3
 *       operands rounded to 10-bit mantissas, unit roundoff 2^-11 ~ 4.9e-4,
 *       a few of those over a dot product;
 *   BF16 GEMMs:                                 TOL_BF16 = 2e-2
 *       8-bit significands, unit roundoff 2^-8 ~ 3.9e-3, fp32 accumulation.
 * Training (20 AdamW steps): per-step loss relative difference <= 1e-4
 * (fp32), 1e-2 (tf32) and 3e-2 (bf16): the nets are small and the
 * differences compound over the steps. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "neural/device.h"
#include "neural/net.h"

#define TOL_FP32 1e-5
#define TOL_TF32 3e-3
#define TOL_BF16 2e-2

static gsl_rng *rng;
static const tsf_nn_backend *cpu, *gpu[3]; /* fp32, tf32, bf16 */
static const double gemm_tol[3] = {TOL_FP32, TOL_TF32, TOL_BF16};
static const double train_tol[3] = {1e-4, 1e-2, 3e-2};

static float *fa(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static float *rnd(size_t n, double sd)
{
    float *p = fa(n);
    for (size_t i = 0; i < n; i++) p[i] = (float)gsl_ran_gaussian(rng, sd);
    return p;
}

/* device copy of a host array */
static float *up(const float *h, size_t n)
{
    float *d = gpu[0]->alloc(n);
    assert_non_null(d);
    gpu[0]->upload(d, h, n);
    return d;
}

/* host copy of a device array (freed by the caller) */
static float *down(const float *d, size_t n)
{
    float *h = fa(n);
    gpu[0]->download(h, d, n);
    char msg[256];
    if (gpu[0]->sync(msg, sizeof msg)) fail_msg("CUDA error: %s", msg);
    return h;
}

static double nerr(const float *a, const float *b, size_t n)
{
    double e = 0.0, r = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        e += d * d;
        r += (double)b[i] * b[i];
    }
    return r > 0.0 ? sqrt(e / r) : sqrt(e);
}

/* compares device array d with host reference h */
static void cmp(const char *what, const float *d, const float *h, size_t n, double tol)
{
    float *g = down(d, n);
    double e = nerr(g, h, n);
    print_message("%-34s normalised error %.2e (tolerance %.0e)\n", what, e, tol);
    if (!(e <= tol)) fail_msg("%s: normalised error %.3g > %.3g", what, e, tol);
    free(g);
}

static void test_matmul(void **state)
{
    (void)state;
    size_t BT = 300, C = 70, OC = 130;
    float *inp = rnd(BT * C, 1), *w = rnd(OC * C, 0.2), *b = rnd(OC, 1), *dout = rnd(BT * OC, 1);
    float *out = fa(BT * OC), *dinp = rnd(BT * C, 1), *dw = rnd(OC * C, 1), *db = rnd(OC, 1);
    float *Dinp = up(inp, BT * C), *Dw = up(w, OC * C), *Db = up(b, OC), *Ddout = up(dout, BT * OC);
    for (int p = 0; p < 3; p++) {
        float *Dout = gpu[0]->alloc(BT * OC), *Ddinp = up(dinp, BT * C), *Ddw = up(dw, OC * C),
              *Ddb = up(db, OC);
        float *rdinp = fa(BT * C), *rdw = fa(OC * C), *rdb = fa(OC);
        memcpy(rdinp, dinp, BT * C * sizeof(float)); /* += semantics */
        memcpy(rdw, dw, OC * C * sizeof(float));
        memcpy(rdb, db, OC * sizeof(float));
        cpu->matmul_forward(out, inp, w, b, BT, C, OC);
        gpu[p]->matmul_forward(Dout, Dinp, Dw, Db, BT, C, OC);
        print_message("-- %s\n", gpu[p]->name);
        cmp("matmul_forward", Dout, out, BT * OC, gemm_tol[p]);
        cpu->matmul_forward(out, inp, w, NULL, BT, C, OC);
        gpu[p]->matmul_forward(Dout, Dinp, Dw, NULL, BT, C, OC);
        cmp("matmul_forward (no bias)", Dout, out, BT * OC, gemm_tol[p]);
        cpu->matmul_backward(rdinp, rdw, rdb, dout, inp, w, BT, C, OC);
        gpu[p]->matmul_backward(Ddinp, Ddw, Ddb, Ddout, Dinp, Dw, BT, C, OC);
        cmp("matmul_backward dinp", Ddinp, rdinp, BT * C, gemm_tol[p]);
        cmp("matmul_backward dweight", Ddw, rdw, OC * C, gemm_tol[p]);
        cmp("matmul_backward dbias", Ddb, rdb, OC, TOL_FP32);
        gpu[0]->free(Dout); gpu[0]->free(Ddinp); gpu[0]->free(Ddw); gpu[0]->free(Ddb);
        free(rdinp); free(rdw); free(rdb);
    }
    gpu[0]->free(Dinp); gpu[0]->free(Dw); gpu[0]->free(Db); gpu[0]->free(Ddout);
    free(inp); free(w); free(b); free(dout); free(out); free(dinp); free(dw); free(db);
}

static void test_layernorm_gelu(void **state)
{
    (void)state;
    size_t BT = 77, C = 96, N = BT * C;
    float *x = rnd(N, 2), *w = rnd(C, 1), *b = rnd(C, 1), *d = rnd(N, 1);
    float *out = fa(N), *m = fa(BT), *r = fa(BT), *dx = rnd(N, 1), *dw = rnd(C, 1), *db = rnd(C, 1);
    float *Dx = up(x, N), *Dw = up(w, C), *Db = up(b, C), *Dd = up(d, N), *Dout = up(out, N);
    float *Dm = up(m, BT), *Dr = up(r, BT), *Ddx = up(dx, N), *Ddw = up(dw, C), *Ddb = up(db, C);
    cpu->layernorm_forward(out, m, r, x, w, b, BT, C);
    gpu[0]->layernorm_forward(Dout, Dm, Dr, Dx, Dw, Db, BT, C);
    cmp("layernorm_forward out", Dout, out, N, TOL_FP32);
    cmp("layernorm_forward mean", Dm, m, BT, TOL_FP32);
    cmp("layernorm_forward rstd", Dr, r, BT, TOL_FP32);
    cpu->layernorm_backward(dx, dw, db, d, x, w, m, r, BT, C);
    gpu[0]->layernorm_backward(Ddx, Ddw, Ddb, Dd, Dx, Dw, Dm, Dr, BT, C);
    cmp("layernorm_backward dinp", Ddx, dx, N, TOL_FP32);
    cmp("layernorm_backward dweight", Ddw, dw, C, TOL_FP32);
    cmp("layernorm_backward dbias", Ddb, db, C, TOL_FP32);
    cpu->gelu_forward(out, x, N);
    gpu[0]->gelu_forward(Dout, Dx, N);
    cmp("gelu_forward", Dout, out, N, TOL_FP32);
    cpu->gelu_backward(dx, x, d, N);
    gpu[0]->gelu_backward(Ddx, Dx, Dd, N);
    cmp("gelu_backward", Ddx, dx, N, TOL_FP32);
    cpu->residual_forward(out, x, d, N);
    gpu[0]->residual_forward(Dout, Dx, Dd, N);
    cmp("residual_forward", Dout, out, N, TOL_FP32);
    float *T_[] = {Dx, Dw, Db, Dd, Dout, Dm, Dr, Ddx, Ddw, Ddb};
    for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
    free(x); free(w); free(b); free(d); free(out); free(m); free(r); free(dx); free(dw); free(db);
}

static void test_rnn_cells(void **state)
{
    (void)state;
    size_t B = 33, H = 50;
    for (int lstm = 0; lstm < 2; lstm++) {
        size_t G = (lstm ? 4 : 3) * H;
        float *xg = rnd(B * G, 1), *hg = rnd(B * G, 1), *hp = rnd(B * H, 1), *dh = rnd(B * H, 1);
        float *dc = rnd(B * H, 1), *h = fa(B * H), *c = fa(B * H), *gt = fa(B * G);
        float *dx = fa(B * G), *dg = fa(B * G), *dhp = rnd(B * H, 1);
        float *Dxg = up(xg, B * G), *Dhg = up(hg, B * G), *Dhp = up(hp, B * H), *Ddh = up(dh, B * H);
        float *Ddc = up(dc, B * H), *Dh = up(h, B * H), *Dc = up(c, B * H), *Dgt = up(gt, B * G);
        float *Ddx = up(dx, B * G), *Ddg = up(dg, B * G), *Ddhp = up(dhp, B * H);
        if (!lstm) {
            cpu->gru_forward(h, gt, xg, hg, hp, B, H);
            gpu[0]->gru_forward(Dh, Dgt, Dxg, Dhg, Dhp, B, H);
            cmp("gru_forward h", Dh, h, B * H, TOL_FP32);
            cmp("gru_forward gates", Dgt, gt, B * G, TOL_FP32);
            cpu->gru_backward(dx, dg, dhp, dh, gt, hg, hp, B, H);
            gpu[0]->gru_backward(Ddx, Ddg, Ddhp, Ddh, Dgt, Dhg, Dhp, B, H);
            cmp("gru_backward dxg", Ddx, dx, B * G, TOL_FP32);
            cmp("gru_backward dhg", Ddg, dg, B * G, TOL_FP32);
            cmp("gru_backward dh_prev", Ddhp, dhp, B * H, TOL_FP32);
        } else {
            cpu->lstm_forward(h, c, gt, xg, hp, B, H);
            gpu[0]->lstm_forward(Dh, Dc, Dgt, Dxg, Dhp, B, H);
            cmp("lstm_forward h", Dh, h, B * H, TOL_FP32);
            cmp("lstm_forward c", Dc, c, B * H, TOL_FP32);
            cmp("lstm_forward gates", Dgt, gt, B * G, TOL_FP32);
            cpu->lstm_backward(dx, dhp, dh, dc, gt, c, hp, B, H);
            gpu[0]->lstm_backward(Ddx, Ddhp, Ddh, Ddc, Dgt, Dc, Dhp, B, H);
            cmp("lstm_backward dpre", Ddx, dx, B * G, TOL_FP32);
            cmp("lstm_backward dc_prev", Ddhp, dhp, B * H, TOL_FP32);
        }
        float *T_[] = {Dxg, Dhg, Dhp, Ddh, Ddc, Dh, Dc, Dgt, Ddx, Ddg, Ddhp};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(xg); free(hg); free(hp); free(dh); free(dc); free(h); free(c); free(gt);
        free(dx); free(dg); free(dhp);
    }
}

/* The KV-cache step's inputs at position pos from a full pass's qkv
 * (B,T,3C): q rows (B,C) and rings kc, vc (B,R,C) of the last R positions. */
static void fill_rings(float *q, float *kc, float *vc, const float *qkv, size_t B, size_t T,
                       size_t C, size_t R, size_t pos)
{
    for (size_t b = 0; b < B; b++) {
        memcpy(q + b * C, qkv + (b * T + pos) * 3 * C, C * sizeof(float));
        for (size_t j = pos + 1 > R ? pos + 1 - R : 0; j <= pos; j++) {
            memcpy(kc + (b * R + j % R) * C, qkv + (b * T + j) * 3 * C + C, C * sizeof(float));
            memcpy(vc + (b * R + j % R) * C, qkv + (b * T + j) * 3 * C + 2 * C, C * sizeof(float));
        }
    }
}

static void test_attention(void **state)
{
    (void)state;
    static const size_t shapes[][5] = {{2, 70, 64, 4, 70}, {2, 70, 64, 4, 17}, {1, 600, 256, 4, 512},
                                       {3, 40, 128, 1, 40}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = shapes[s][3];
        size_t W = shapes[s][4], A = B * NH * T * T;
        float *qkv = rnd(B * T * 3 * C, 1), *out = fa(B * T * C), *att = fa(A), *datt = fa(A);
        float *dout = rnd(B * T * C, 1), *dqkv = rnd(B * T * 3 * C, 0.1);
        float *Dqkv = up(qkv, B * T * 3 * C), *Dout = up(out, B * T * C), *Datt = up(att, A);
        float *Ddatt = up(datt, A), *Ddout = up(dout, B * T * C), *Ddqkv = up(dqkv, B * T * 3 * C);
        cpu->attention_forward(out, att, qkv, B, T, C, NH, W);
        gpu[0]->attention_forward(Dout, Datt, Dqkv, B, T, C, NH, W);
        cmp("attention_forward out", Dout, out, B * T * C, TOL_FP32);
        cmp("attention_forward att", Datt, att, A, TOL_FP32);
        gpu[0]->attention_forward(Dout, NULL, Dqkv, B, T, C, NH, W); /* flash path, no att */
        cmp("attention_forward out (att NULL)", Dout, out, B * T * C, TOL_FP32);
        cpu->attention_backward(dqkv, datt, dout, qkv, att, B, T, C, NH, W);
        gpu[0]->attention_backward(Ddqkv, Ddatt, Ddout, Dqkv, Datt, B, T, C, NH, W);
        cmp("attention_backward dqkv", Ddqkv, dqkv, B * T * 3 * C, TOL_FP32);
        /* step: the cache of the last W positions reproduces row T-1 */
        size_t pos = T - 1;
        float *q = fa(B * C), *kc = fa(B * W * C), *vc = fa(B * W * C), *o1 = fa(B * C),
              *scr = fa(NH * W);
        fill_rings(q, kc, vc, qkv, B, T, C, W, pos);
        float *Dq = up(q, B * C), *Dkc = up(kc, B * W * C), *Dvc = up(vc, B * W * C),
              *Do1 = up(o1, B * C), *Dscr = up(scr, NH * W);
        cpu->attention_step(o1, q, kc, vc, B, C, NH, W, pos, scr);
        gpu[0]->attention_step(Do1, Dq, Dkc, Dvc, B, C, NH, W, pos, Dscr);
        cmp("attention_step", Do1, o1, B * C, TOL_FP32);
        float *T_[] = {Dqkv, Dout, Datt, Ddatt, Ddout, Ddqkv, Dq, Dkc, Dvc, Do1, Dscr};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(qkv); free(out); free(att); free(datt); free(dout); free(dqkv);
        free(q); free(kc); free(vc); free(o1); free(scr);
    }
}

/* shared-prefix step (ABI 4): B paths after a shared history of P
 * positions (p0 = 7 here), at positions inside and past the prefix's
 * window, in (R,B,C) rings of the paths' own positions */
static void test_attention_shared(void **state)
{
    (void)state;
    static const size_t shapes[][6] = {/* B, C, NH, W, P, R */
                                       {200, 256, 4, 256, 255, 24}, {3, 64, 4, 17, 16, 17},
                                       {5, 128, 1, 40, 0, 8}, {2, 64, 2, 9, 3, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t B = shapes[s][0], C = shapes[s][1], NH = shapes[s][2], W = shapes[s][3];
        size_t P = shapes[s][4], R = shapes[s][5], p0 = 7;
        float *q = rnd(B * C, 1), *kp = rnd(P * C, 1), *vp = rnd(P * C, 1);
        float *ks = rnd(R * B * C, 1), *vs = rnd(R * B * C, 1), *o = fa(B * C);
        float *scr = fa(NH * B * W);
        float *Dq = up(q, B * C), *Dkp = up(kp, P * C), *Dvp = up(vp, P * C);
        float *Dks = up(ks, R * B * C), *Dvs = up(vs, R * B * C), *Do = up(o, B * C);
        float *Dscr = up(scr, NH * B * W);
        /* the first own position, one inside the ring, and (R = W) one
         * that slid past the prefix */
        size_t steps[3] = {p0 + P, p0 + P + R / 2, p0 + P + R - 1};
        for (size_t k = 0; k < 3; k++) {
            cpu->attention_step_shared(o, q, kp, vp, P, p0, ks, vs, R, B, C, NH, W, steps[k], scr);
            gpu[0]->attention_step_shared(Do, Dq, Dkp, Dvp, P, p0, Dks, Dvs, R, B, C, NH, W,
                                          steps[k], Dscr);
            cmp("attention_step_shared", Do, o, B * C, TOL_FP32);
        }
        float *T_[] = {Dq, Dkp, Dvp, Dks, Dvs, Do, Dscr};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(q); free(kp); free(vp); free(ks); free(vs); free(o); free(scr);
    }
}

/* additive attention (ABI 3) in both geometries: the transformer's packed
 * qkv with ALiBi, and time-major RNN states with the output in the second
 * half of (T,B,2H) rows */
static void test_additive(void **state)
{
    (void)state;
    static const size_t shapes[][6] = {{1, 2, 70, 4, 16, 70}, {1, 2, 70, 4, 16, 17},
                                       {0, 32, 40, 1, 64, 16}, {0, 3, 20, 1, 33, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int packed = (int)shapes[s][0];
        size_t B = shapes[s][1], T = shapes[s][2], NH = shapes[s][3], hs = shapes[s][4];
        size_t W = shapes[s][5], C = NH * hs, A = B * NH * T * W, nin = 3 * B * T * C;
        size_t nout = packed ? B * T * C : 2 * B * T * C, oo = packed ? 0 : C;
        tsf_nn_add_geom g = packed ? (tsf_nn_add_geom){B, T, NH, hs, W, T * 3 * C, 3 * C, T * C,
                                                       C, 1}
                                   : (tsf_nn_add_geom){B, T, NH, hs, W, C, B * C, 2 * C,
                                                       B * 2 * C, 0};
        size_t dk = packed ? C : B * T * C, dv = 2 * dk;
        float *in = rnd(nin, 1), *va = rnd(C, 1), *out = fa(nout), *att = fa(A);
        float *dout = rnd(nout, 1), *din = rnd(nin, 0.1), *dva = rnd(C, 0.1);
        float *scr = fa(W + hs);
        float *Din = up(in, nin), *Dva = up(va, C), *Dout = up(out, nout), *Datt = up(att, A);
        float *Ddout = up(dout, nout), *Ddin = up(din, nin), *Ddva = up(dva, C);
        cpu->additive_forward(out + oo, att, in, in + dk, in + dv, va, &g);
        gpu[0]->additive_forward(Dout + oo, Datt, Din, Din + dk, Din + dv, Dva, &g);
        cmp("additive_forward out", Dout, out, nout, TOL_FP32);
        cmp("additive_forward att", Datt, att, A, TOL_FP32);
        cpu->additive_backward(din, din + dk, din + dv, dva, dout + oo, in, in + dk, in + dv, va,
                               att, &g, scr);
        gpu[0]->additive_backward(Ddin, Ddin + dk, Ddin + dv, Ddva, Ddout + oo, Din, Din + dk,
                                  Din + dv, Dva, Datt, &g, NULL);
        cmp("additive_backward dq, dk, dv", Ddin, din, nin, TOL_FP32);
        cmp("additive_backward dva", Ddva, dva, C, TOL_FP32);
        /* step: rings of the last W positions reproduce row T-1 */
        size_t pos = T - 1;
        float *q = fa(B * C), *kc = fa(B * W * C), *vc = fa(B * W * C), *o1 = fa(B * C),
              *sc = fa(NH * W);
        for (size_t b = 0; b < B; b++) {
            size_t r = b * g.sb + pos * g.st;
            memcpy(q + b * C, in + r, C * sizeof(float));
            for (size_t j = pos + 1 > W ? pos + 1 - W : 0; j <= pos; j++) {
                r = b * g.sb + j * g.st;
                memcpy(kc + (b * W + j % W) * C, in + dk + r, C * sizeof(float));
                memcpy(vc + (b * W + j % W) * C, in + dv + r, C * sizeof(float));
            }
        }
        float *Dq = up(q, B * C), *Dkc = up(kc, B * W * C), *Dvc = up(vc, B * W * C),
              *Do1 = up(o1, B * C);
        cpu->additive_step(o1, q, kc, vc, va, B, NH, hs, W, pos, g.alibi, sc);
        gpu[0]->additive_step(Do1, Dq, Dkc, Dvc, Dva, B, NH, hs, W, pos, g.alibi, NULL);
        cmp("additive_step", Do1, o1, B * C, TOL_FP32);
        float *T_[] = {Din, Dva, Dout, Datt, Ddout, Ddin, Ddva, Dq, Dkc, Dvc, Do1};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(in); free(va); free(out); free(att); free(dout); free(din); free(dva); free(scr);
        free(q); free(kc); free(vc); free(o1); free(sc);
    }
}

/* The sparse attention patterns (ABI 3): forward, backward and the step
 * over rings of the pattern's span, every pattern, against the CPU's. */
static void test_sparse_attention(void **state)
{
    (void)state;
    static const int pats[][3] = {{TSF_NN_PAT_LOCAL, 64, 9},      {TSF_NN_PAT_LOGSPARSE, 256, 8},
                                  {TSF_NN_PAT_LOGSPARSE, 1024, 2}, {TSF_NN_PAT_STRIDED, 300, 8},
                                  {TSF_NN_PAT_DENSE, 40, 8}};
    size_t B = 2, T = 600, C = 64, NH = 4;
    for (size_t s = 0; s < sizeof pats / sizeof *pats; s++) {
        tsf_nn_pattern p = {pats[s][0], pats[s][1], pats[s][2]};
        size_t N = (size_t)tsf_pat_width(&p, (int)NH), R = (size_t)tsf_pat_span(&p, (int)NH);
        size_t A = B * NH * T * N, nq = B * T * 3 * C;
        float *qkv = rnd(nq, 1), *out = fa(B * T * C), *att = fa(A), *datt = fa(A);
        float *dout = rnd(B * T * C, 1), *dqkv = rnd(nq, 0.1);
        float *Dqkv = up(qkv, nq), *Dout = up(out, B * T * C), *Datt = up(att, A);
        float *Ddatt = up(datt, A), *Ddout = up(dout, B * T * C), *Ddqkv = up(dqkv, nq);
        print_message("pattern %d, window %d, band %d: %zu keys per query\n", p.kind, p.window,
                      p.band, N);
        cpu->sparse_attention_forward(out, att, qkv, B, T, C, NH, p);
        gpu[0]->sparse_attention_forward(Dout, Datt, Dqkv, B, T, C, NH, p);
        cmp("sparse_attention_forward out", Dout, out, B * T * C, TOL_FP32);
        cmp("sparse_attention_forward att", Datt, att, A, TOL_FP32);
        cpu->sparse_attention_backward(dqkv, datt, dout, qkv, att, B, T, C, NH, p);
        gpu[0]->sparse_attention_backward(Ddqkv, Ddatt, Ddout, Dqkv, Datt, B, T, C, NH, p);
        cmp("sparse_attention_backward dqkv", Ddqkv, dqkv, nq, TOL_FP32);
        /* step: rings of the last R positions reproduce row T-1 */
        size_t pos = T - 1;
        float *q = fa(B * C), *kc = fa(B * R * C), *vc = fa(B * R * C), *o1 = fa(B * C),
              *scr = fa(NH * N);
        fill_rings(q, kc, vc, qkv, B, T, C, R, pos);
        float *Dq = up(q, B * C), *Dkc = up(kc, B * R * C), *Dvc = up(vc, B * R * C),
              *Do1 = up(o1, B * C), *Dscr = up(scr, NH * N);
        cpu->sparse_attention_step(o1, q, kc, vc, B, C, NH, pos, p, scr);
        gpu[0]->sparse_attention_step(Do1, Dq, Dkc, Dvc, B, C, NH, pos, p, Dscr);
        cmp("sparse_attention_step", Do1, o1, B * C, TOL_FP32);
        float *T_[] = {Dqkv, Dout, Datt, Ddatt, Ddout, Ddqkv, Dq, Dkc, Dvc, Do1, Dscr};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(qkv); free(out); free(att); free(datt); free(dout); free(dqkv);
        free(q); free(kc); free(vc); free(o1); free(scr);
    }
}

static void test_heads_optimiser(void **state)
{
    (void)state;
    size_t BT = 1000, N = 5000;
    for (int st = 0; st < 2; st++) {
        tsf_nn_head head = st ? TSF_NN_HEAD_STUDENT_T : TSF_NN_HEAD_GAUSSIAN;
        size_t K = tsf_nn_head_k(head);
        float *o = rnd(BT * K, 1), *y = rnd(BT, 2), *nll = fa(BT), *d = fa(BT * K);
        float *mu = fa(BT), *sg = fa(BT), *nu = fa(BT);
        for (size_t i = 0; i < BT; i += 37) y[i] = NAN;
        float *Do = up(o, BT * K), *Dy = up(y, BT), *Dnll = up(nll, BT), *Dd = up(d, BT * K);
        float *Dmu = up(mu, BT), *Dsg = up(sg, BT), *Dnu = up(nu, BT);
        double lc = cpu->head_loss(nll, d, o, y, BT, head, 0.01f);
        double lg = gpu[0]->head_loss(Dnll, Dd, Do, Dy, BT, head, 0.01f);
        assert_rel(lg, lc, 1e-9, 0);
        cmp("head_loss nll", Dnll, nll, BT, 1e-6);
        cmp("head_loss dout", Dd, d, BT * K, 1e-6);
        cpu->head_params(mu, sg, st ? nu : NULL, o, BT, head);
        gpu[0]->head_params(Dmu, Dsg, st ? Dnu : NULL, Do, BT, head);
        cmp("head_params mu", Dmu, mu, BT, 0);
        cmp("head_params sigma", Dsg, sg, BT, 1e-6);
        if (st) cmp("head_params nu", Dnu, nu, BT, 1e-6);
        float *T_[] = {Do, Dy, Dnll, Dd, Dmu, Dsg, Dnu};
        for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
        free(o); free(y); free(nll); free(d); free(mu); free(sg); free(nu);
    }
    float *p = rnd(N, 1), *g = rnd(N, 1), *m = fa(N), *v = fa(N);
    float *Dp = up(p, N), *Dg = up(g, N), *Dm = up(m, N), *Dv = up(v, N);
    assert_rel(gpu[0]->sumsq(Dg, N), cpu->sumsq(g, N), 1e-12, 0);
    cpu->scale(g, 0.3f, N);
    gpu[0]->scale(Dg, 0.3f, N);
    cmp("scale", Dg, g, N, 0);
    for (int t = 1; t <= 3; t++) {
        cpu->adamw_update(p, g, m, v, N, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
        gpu[0]->adamw_update(Dp, Dg, Dm, Dv, N, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
    }
    cmp("adamw params", Dp, p, N, 1e-6);
    cmp("adamw m", Dm, m, N, 1e-6);
    cmp("adamw v", Dv, v, N, 1e-6);
    gpu[0]->free(Dp); gpu[0]->free(Dg); gpu[0]->free(Dm); gpu[0]->free(Dv);
    free(p); free(g); free(m); free(v);
}

/* wavenet's ops and the mixture / binned heads (ABI 2) */
static void test_conv_heads(void **state)
{
    (void)state;
    size_t B = 4, T = 70, C = 16, KW = 3, dil = 8, n = B * T * C, nc = n * KW;
    float *inp = rnd(n, 1), *col = fa(nc), *dcol = rnd(nc, 1), *di = rnd(n, 1);
    float *Dinp = up(inp, n), *Dcol = up(col, nc), *Ddcol = up(dcol, nc), *Ddi = up(di, n);
    cpu->dilated_im2col(col, inp, B, T, C, KW, dil);
    gpu[0]->dilated_im2col(Dcol, Dinp, B, T, C, KW, dil);
    cmp("dilated_im2col", Dcol, col, nc, 0);
    cpu->dilated_col2im(di, dcol, B, T, C, KW, dil);
    gpu[0]->dilated_col2im(Ddi, Ddcol, B, T, C, KW, dil);
    cmp("dilated_col2im", Ddi, di, n, TOL_FP32);
    size_t N = B * T;
    float *z = rnd(N * 2 * C, 2), *a = fa(N * C), *da = rnd(N * C, 1), *dz = fa(N * 2 * C);
    float *Dz = up(z, N * 2 * C), *Da = up(a, N * C), *Dda = up(da, N * C), *Ddz = up(dz, N * 2 * C);
    cpu->gated_forward(a, z, N, C);
    gpu[0]->gated_forward(Da, Dz, N, C);
    cmp("gated_forward", Da, a, N * C, TOL_FP32);
    cpu->gated_backward(dz, z, da, N, C);
    gpu[0]->gated_backward(Ddz, Dz, Dda, N, C);
    cmp("gated_backward", Ddz, dz, N * 2 * C, TOL_FP32);
    float *r = fa(N * C), *Dr = up(r, N * C);
    cpu->relu_forward(r, z, N * C);
    gpu[0]->relu_forward(Dr, Dz, N * C);
    cmp("relu_forward", Dr, r, N * C, 0);
    cpu->relu_backward(da, z, r, N * C);
    gpu[0]->relu_backward(Dda, Dz, Dr, N * C);
    cmp("relu_backward", Dda, da, N * C, 0);
    float *T_[] = {Dinp, Dcol, Ddcol, Ddi, Dz, Da, Dda, Ddz, Dr};
    for (size_t i = 0; i < sizeof T_ / sizeof *T_; i++) gpu[0]->free(T_[i]);
    free(inp); free(col); free(dcol); free(di); free(z); free(a); free(da); free(dz); free(r);
    size_t BT = 1000;
    for (int binned = 0; binned < 2; binned++) {
        size_t K = binned ? 256 : 3 * 5;
        float *o = rnd(BT * K, 1), *y = rnd(BT, 2), *nll = fa(BT), *d = fa(BT * K);
        for (size_t i = 0; i < BT; i += 37) y[i] = NAN;
        float *Do = up(o, BT * K), *Dy = up(y, BT), *Dnll = up(nll, BT), *Dd = up(d, BT * K);
        double lc = binned ? cpu->binned_loss(nll, d, o, y, BT, K, -2.5f, 3.0f, 0.01f)
                           : cpu->mixture_loss(nll, d, o, y, BT, K / 3, 0.01f);
        double lg = binned ? gpu[0]->binned_loss(Dnll, Dd, Do, Dy, BT, K, -2.5f, 3.0f, 0.01f)
                           : gpu[0]->mixture_loss(Dnll, Dd, Do, Dy, BT, K / 3, 0.01f);
        assert_rel(lg, lc, 1e-9, 0);
        cmp(binned ? "binned_loss nll" : "mixture_loss nll", Dnll, nll, BT, 1e-6);
        cmp(binned ? "binned_loss dout" : "mixture_loss dout", Dd, d, BT * K, 1e-6);
        gpu[0]->free(Do); gpu[0]->free(Dy); gpu[0]->free(Dnll); gpu[0]->free(Dd);
        free(o); free(y); free(nll); free(d);
    }
    /* head_draw: every head, the extreme uniforms included; the device's
     * libm (erfc, log, lgamma) differs from glibc's in the last bits */
    for (int h = 0; h < 4; h++) {
        size_t n = h == 2 ? 5 : h == 3 ? 128 : 0, K = h < 2 ? (size_t)(2 + h) : h == 2 ? 15 : n;
        float *o = rnd(BT * K, 1.5), *Do = up(o, BT * K);
        double *e = malloc(2 * BT * sizeof *e), *z = e + BT, *zg = malloc(BT * sizeof *zg);
        assert_true(e && zg);
        float *De = up((const float *)(const void *)e, 2 * BT), *Dz = gpu[0]->alloc(2 * BT);
        for (size_t i = 0; i < BT; i++) {
            double u = gsl_ran_gaussian(rng, 1.0);
            e[i] = h == 0 ? u : 0.5 + 0.4999 * tanh(u);
        }
        if (h) {
            e[0] = 2.3283064365386963e-10;
            e[1] = 1.0 - 2.3283064365386963e-10;
        }
        gpu[0]->upload(De, (const float *)(const void *)e, 2 * BT);
        cpu->head_draw(z, e, o, BT, (tsf_nn_head)h, n, -2.5f, 3.0f);
        gpu[0]->head_draw((double *)(void *)Dz, (const double *)(const void *)De, Do, BT,
                          (tsf_nn_head)h, n, -2.5f, 3.0f);
        gpu[0]->download((float *)(void *)zg, Dz, 2 * BT);
        for (size_t i = 0; i < BT; i++) assert_rel(zg[i], z[i], 1e-10, 1e-12);
        gpu[0]->free(Do); gpu[0]->free(De); gpu[0]->free(Dz);
        free(o); free(e); free(zg);
    }
}

/* 20 AdamW steps of the same network from the same weights and batches on
 * the CPU and on the GPU in each precision: the loss curves match. */
static void train20(const tsf_nn_config *cfg, size_t B)
{
    size_t T = (size_t)cfg->context;
    tsf_nn *nc;
    assert_int_equal(tsf_nn_new(cfg, &nc), TSF_OK);
    tsf_nn_init(nc, 7);
    size_t np = nc->nparams, F = nc->nin;
    float *x = fa(B * T * F), *y = fa(B * T);
    double z1 = 0.0, z2 = 0.0;
    for (size_t i = 0; i < B * T; i++) {
        double z = 0.6 * z1 + 0.25 * z2 + gsl_ran_gaussian(rng, 1.0);
        tsf_nn_input(nc, z1, NAN, NULL, x + i * F);
        y[i] = (float)z;
        z2 = z1;
        z1 = z;
    }
    double lc[20];
    float *p0 = fa(np);
    memcpy(p0, nc->params, np * sizeof(float));
    {
        tsf_nn_acts *a;
        assert_int_equal(tsf_nn_acts_new(nc, B, T, &a), TSF_OK);
        float *g = fa(np), *m = fa(np), *v = fa(np);
        for (int s = 0; s < 20; s++) {
            memset(g, 0, np * sizeof(float));
            lc[s] = tsf_nn_forward_backward(nc, a, x, y, B, T, NULL, g, 1.0f / (float)(B * T));
            cpu->adamw_update(nc->params, g, m, v, np, 3e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, s + 1);
        }
        tsf_nn_acts_free(a);
        free(g); free(m); free(v);
    }
    for (int p = 0; p < 3; p++) {
        tsf_nn *ng;
        tsf_nn_acts *a;
        assert_int_equal(tsf_nn_new_on(cfg, gpu[p], &ng), TSF_OK);
        gpu[p]->upload(ng->params, p0, np);
        assert_int_equal(tsf_nn_acts_new(ng, B, T, &a), TSF_OK);
        float *g = gpu[p]->alloc(np), *m = gpu[p]->alloc(np), *v = gpu[p]->alloc(np);
        double worst = 0.0;
        for (int s = 0; s < 20; s++) {
            gpu[p]->zero(g, np);
            double l = tsf_nn_forward_backward(ng, a, x, y, B, T, NULL, g, 1.0f / (float)(B * T));
            gpu[p]->adamw_update(ng->params, g, m, v, np, 3e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, s + 1);
            double e = fabs(l - lc[s]) / fabs(lc[s]);
            if (e > worst) worst = e;
            if (!(e <= train_tol[p]))
                fail_msg("%s step %d: loss %.8g, CPU %.8g", gpu[p]->name, s, l, lc[s]);
        }
        char msg[256];
        if (gpu[p]->sync(msg, sizeof msg)) fail_msg("CUDA error: %s", msg);
        print_message("%-10s arch %s: 20 steps, loss %.5g -> %.5g, worst relative difference "
                      "%.2e\n", gpu[p]->name, cfg->arch->name, lc[0], lc[19], worst);
        gpu[p]->free(g); gpu[p]->free(m); gpu[p]->free(v);
        tsf_nn_acts_free(a);
        tsf_nn_free(ng);
    }
    assert_true(lc[19] < lc[0]); /* the training does train */
    tsf_nn_free(nc);
    free(x); free(y); free(p0);
}

static void test_train_gru(void **state)
{
    (void)state;
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 32,
                         .layers = 2, .heads = 0, .context = 24, .period = 1};
    train20(&cfg, 16);
}

static void test_train_transformer(void **state)
{
    (void)state;
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_transformer, .head = TSF_NN_HEAD_STUDENT_T, .hidden = 64,
                         .layers = 2, .heads = 4, .context = 32, .period = 1};
    train20(&cfg, 8);
    cfg.context = 64; /* logsparse: 6 + 4 keys of 64 per query */
    cfg.hp[0] = TSF_NN_PAT_LOGSPARSE;
    cfg.hp[1] = 5;
    train20(&cfg, 8);
}


static void test_train_wavenet(void **state)
{
    (void)state;
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_wavenet, .head = TSF_NN_HEAD_MIXTURE,
                         .hidden = 32, .layers = 5, .context = 64, .period = 1,
                         .hp = {32, 2, 1}, .head_n = 3};
    train20(&cfg, 16);
}

/* attention=additive (transformer hp[3], RNN hp[0] and window hp[1]) */
static void test_train_additive(void **state)
{
    (void)state;
    tsf_nn_config tf = {.arch = &tsf_nn_arch_transformer, .head = TSF_NN_HEAD_GAUSSIAN,
                        .hidden = 32, .layers = 2, .heads = 4, .context = 32, .period = 1,
                        .hp = {0, 0, 0, 1}};
    train20(&tf, 8);
    tsf_nn_config gru = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 32,
                         .layers = 2, .context = 24, .period = 1, .hp = {1, 8}};
    train20(&gru, 16);
}

/* argv[1] "ops": the op tests only, without the 20-step trainings (for
 * compute-sanitizer, under which the trainings are slow). */
int main(int argc, char **argv)
{
    cpu = tsf_nn_backend_cpu();
    for (int p = 0; p < 3; p++)
        if (tsf_nn_backend_get(TSF_DEVICE_CUDA, (tsf_precision)p, &gpu[p]) != TSF_OK) {
            printf("skipped: %s\n", tsf_errmsg());
            return 77;
        }
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 1;
    gsl_rng_set(rng, 5);
    const struct CMUnitTest ops[] = {
        cmocka_unit_test(test_matmul),        cmocka_unit_test(test_layernorm_gelu),
        cmocka_unit_test(test_rnn_cells),     cmocka_unit_test(test_attention),
        cmocka_unit_test(test_heads_optimiser), cmocka_unit_test(test_conv_heads),
        cmocka_unit_test(test_additive),
        cmocka_unit_test(test_sparse_attention),
        cmocka_unit_test(test_attention_shared),
    };
    const struct CMUnitTest train[] = {
        cmocka_unit_test(test_train_gru), cmocka_unit_test(test_train_transformer),
        cmocka_unit_test(test_train_wavenet), cmocka_unit_test(test_train_additive),
    };
    int rc = cmocka_run_group_tests(ops, NULL, NULL);
    if (argc < 2 || strcmp(argv[1], "ops")) rc |= cmocka_run_group_tests(train, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
