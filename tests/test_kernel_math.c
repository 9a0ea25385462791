/* The CUDA kernels' arithmetic, on the host: gpu/kernel_math.h compiled by
 * the C compiler, driven by host twins that walk the data exactly as the
 * kernels of gpu/cuda_*.cu do (thread per element, warp per row with
 * xor-butterfly sums, 32-key tiles with the online softmax, the three
 * backward passes of the attention), compared with the CPU reference ops
 * (src/neural/cpu_*.c) and closed forms.  Runs everywhere; no GPU needed.
 *
 * Tolerances: the twins reorder fp32 sums (warp trees, tiles), so results
 * agree with the reference to a few fp32 ulps times the reduction length:
 * normalised errors <= 1e-6 for elementwise ops (the same formulae, but the
 * CPU takes tanh through expf, tsf_tanhf, the GPU its own tanhf),
 * <= 1e-5 for reductions over <= 200 terms. */
#include "testutil.h"
#include <float.h>
#include <gsl/gsl_cblas.h> /* cblas_sgemm (OpenBLAS provides it) */
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_psi.h>
#include "neural/cpu_ops.h"
#include "../gpu/kernel_math.h"

static gsl_rng *rng;

static float *fa(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static void randn(float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)gsl_ran_gaussian(rng, sd);
}

/* ||a - b|| / ||b|| (b == 0: ||a - b||) */
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

#define assert_nerr(a, b, n, tol)                                                            \
    do {                                                                                     \
        double e_ = nerr(a, b, n);                                                           \
        if (!(e_ <= (tol))) fail_msg("%s vs %s: normalised error %.3g > %.3g", #a, #b, e_,   \
                                     (double)(tol));                                         \
    } while (0)

/* ---- warp emulation: tk_warp_sum / tk_warp_max's xor butterfly ---- */
static float warp_sum(float v[32])
{
    for (int o = 16; o > 0; o >>= 1) {
        float n[32];
        for (int l = 0; l < 32; l++) n[l] = v[l] + v[l ^ o];
        memcpy(v, n, sizeof n);
    }
    return v[0];
}

static float warp_max(float v[32])
{
    for (int o = 16; o > 0; o >>= 1) {
        float n[32];
        for (int l = 0; l < 32; l++) n[l] = fmaxf(v[l], v[l ^ o]);
        memcpy(v, n, sizeof n);
    }
    return v[0];
}

/* ---- GELU ---- */
static double gelu_d(double x)
{
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void test_gelu(void **state)
{
    (void)state;
    enum { N = 1201 };
    float x[N], ref[N], dref[N] = {0}, one[N], got[N], dgot[N];
    for (int i = 0; i < N; i++) {
        x[i] = -6.0f + 0.01f * (float)i;
        one[i] = 1.0f;
    }
    tsf_cpu_gelu_forward(ref, x, N);
    tsf_cpu_gelu_backward(dref, x, one, N);
    for (int i = 0; i < N; i++) {
        got[i] = tk_gelu(x[i]);     /* k_gelu_fwd */
        dgot[i] = tk_gelu_grad(x[i]); /* k_gelu_bwd with dout = 1 */
        /* closed form in double and its central difference */
        assert_close(got[i], gelu_d(x[i]), 2e-6 * (1.0 + fabs(x[i])));
        double h = 1e-5, fd = (gelu_d(x[i] + h) - gelu_d(x[i] - h)) / (2 * h);
        assert_close(dgot[i], fd, 2e-6);
    }
    assert_nerr(got, ref, N, 1e-6);
    assert_nerr(dgot, dref, N, 1e-6);
}

/* ---- GRU / LSTM: twins of k_gru_fwd/bwd, k_lstm_fwd/bwd ---- */
static void test_gru(void **state)
{
    (void)state;
    size_t B = 3, H = 7, G = 3 * H;
    float *xg = fa(B * G), *hg = fa(B * G), *hp = fa(B * H), *dh = fa(B * H);
    randn(xg, B * G, 1.0);
    randn(hg, B * G, 1.0);
    randn(hp, B * H, 0.7);
    randn(dh, B * H, 1.0);
    float *h_r = fa(B * H), *g_r = fa(B * G), *h_t = fa(B * H), *g_t = fa(B * G);
    tsf_cpu_gru_forward(h_r, g_r, xg, hg, hp, B, H);
    for (size_t i = 0; i < B * H; i++) {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        h_t[i] = tk_gru_fwd(xg[g], xg[g + H], xg[g + 2 * H], hg[g], hg[g + H], hg[g + 2 * H],
                            hp[i], &g_t[g], &g_t[g + H], &g_t[g + 2 * H]);
    }
    assert_nerr(h_t, h_r, B * H, 1e-6);
    assert_nerr(g_t, g_r, B * G, 1e-6);
    float *dx_r = fa(B * G), *dg_r = fa(B * G), *dp_r = fa(B * H);
    float *dx_t = fa(B * G), *dg_t = fa(B * G), *dp_t = fa(B * H);
    for (size_t i = 0; i < B * H; i++) dp_r[i] = dp_t[i] = 0.25f; /* += semantics */
    tsf_cpu_gru_backward(dx_r, dg_r, dp_r, dh, g_r, hg, hp, B, H);
    for (size_t i = 0; i < B * H; i++) {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        float r = g_t[g], dpr, dpz, dpn;
        dp_t[i] += tk_gru_bwd(dh[i], r, g_t[g + H], g_t[g + 2 * H], hg[g + 2 * H], hp[i], &dpr,
                              &dpz, &dpn);
        dx_t[g] = dg_t[g] = dpr;
        dx_t[g + H] = dg_t[g + H] = dpz;
        dx_t[g + 2 * H] = dpn;
        dg_t[g + 2 * H] = dpn * r;
    }
    assert_nerr(dx_t, dx_r, B * G, 1e-6);
    assert_nerr(dg_t, dg_r, B * G, 1e-6);
    assert_nerr(dp_t, dp_r, B * H, 1e-6);
    free(xg); free(hg); free(hp); free(dh); free(h_r); free(g_r); free(h_t); free(g_t);
    free(dx_r); free(dg_r); free(dp_r); free(dx_t); free(dg_t); free(dp_t);
}

static void test_lstm(void **state)
{
    (void)state;
    size_t B = 4, H = 5, G = 4 * H;
    float *pre = fa(B * G), *cp = fa(B * H), *dh = fa(B * H), *dc = fa(B * H);
    randn(pre, B * G, 1.2);
    randn(cp, B * H, 0.8);
    randn(dh, B * H, 1.0);
    randn(dc, B * H, 0.5);
    float *h_r = fa(B * H), *c_r = fa(B * H), *g_r = fa(B * G);
    float *h_t = fa(B * H), *c_t = fa(B * H), *g_t = fa(B * G);
    tsf_cpu_lstm_forward(h_r, c_r, g_r, pre, cp, B, H);
    for (size_t k = 0; k < B * H; k++) {
        size_t b = k / H, j = k % H, g = b * 4 * H + j;
        h_t[k] = tk_lstm_fwd(pre[g], pre[g + H], pre[g + 2 * H], pre[g + 3 * H], cp[k], &g_t[g],
                             &g_t[g + H], &g_t[g + 2 * H], &g_t[g + 3 * H], &c_t[k]);
    }
    assert_nerr(h_t, h_r, B * H, 1e-6);
    assert_nerr(c_t, c_r, B * H, 1e-6);
    assert_nerr(g_t, g_r, B * G, 1e-6);
    float *zero = fa(B * H); /* no gradient from the next step: zeros (never NULL) */
    for (int withdc = 0; withdc < 2; withdc++) {
        float *dp_r = fa(B * G), *dcp_r = fa(B * H), *dp_t = fa(B * G), *dcp_t = fa(B * H);
        tsf_cpu_lstm_backward(dp_r, dcp_r, dh, withdc ? dc : zero, g_r, c_r, cp, B, H);
        for (size_t k = 0; k < B * H; k++) {
            size_t b = k / H, j = k % H, g = b * 4 * H + j;
            dcp_t[k] = tk_lstm_bwd(dh[k], withdc ? dc[k] : 0.0f, g_t[g], g_t[g + H],
                                   g_t[g + 2 * H], g_t[g + 3 * H], c_t[k], cp[k], &dp_t[g],
                                   &dp_t[g + H], &dp_t[g + 2 * H], &dp_t[g + 3 * H]);
        }
        assert_nerr(dp_t, dp_r, B * G, 1e-6);
        assert_nerr(dcp_t, dcp_r, B * H, 1e-6);
        free(dp_r); free(dcp_r); free(dp_t); free(dcp_t);
    }
    free(zero); free(pre); free(cp); free(dh); free(dc); free(h_r); free(c_r); free(g_r);
    free(h_t); free(c_t); free(g_t);
}

/* ---- LayerNorm: twin of k_ln_fwd / k_ln_bwd_dx / k_ln_bwd_dw ---- */
static void ln_twin_fwd(float *out, float *mean, float *rstd, const float *inp, const float *w,
                        const float *b, size_t BT, size_t C)
{
    for (size_t row = 0; row < BT; row++) {
        const float *x = inp + row * C;
        float v[32];
        for (int lane = 0; lane < 32; lane++) {
            v[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) v[lane] += x[c];
        }
        float m = warp_sum(v) / (float)C;
        for (int lane = 0; lane < 32; lane++) {
            v[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) v[lane] += (x[c] - m) * (x[c] - m);
        }
        float r = tk_ln_rstd(warp_sum(v), (float)C);
        for (size_t c = 0; c < C; c++) out[row * C + c] = tk_ln_out(x[c], m, r, w[c], b[c]);
        mean[row] = m;
        rstd[row] = r;
    }
}

static void ln_twin_bwd(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, size_t BT,
                        size_t C)
{
    for (size_t row = 0; row < BT; row++) {
        const float *d = dout + row * C, *x = inp + row * C;
        float m = mean[row], r = rstd[row], a[32], bs[32];
        for (int lane = 0; lane < 32; lane++) {
            a[lane] = bs[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) {
                float dxh = w[c] * d[c];
                a[lane] += dxh;
                bs[lane] += dxh * (x[c] - m) * r;
            }
        }
        float md = warp_sum(a) / (float)C, mdx = warp_sum(bs) / (float)C;
        for (size_t c = 0; c < C; c++)
            dinp[row * C + c] += tk_ln_dx(w[c] * d[c], (x[c] - m) * r, r, md, mdx);
    }
    /* k_ln_bwd_dw: 8 row lanes per column, then a sum over the lanes */
    for (size_t c = 0; c < C; c++) {
        float sw = 0.0f, sb = 0.0f;
        for (size_t ty = 0; ty < 8; ty++) {
            float pw = 0.0f, pb = 0.0f;
            for (size_t r = ty; r < BT; r += 8) {
                pw += (inp[r * C + c] - mean[r]) * rstd[r] * dout[r * C + c];
                pb += dout[r * C + c];
            }
            sw += pw;
            sb += pb;
        }
        dw[c] += sw;
        db[c] += sb;
    }
}

static void test_layernorm(void **state)
{
    (void)state;
    size_t BT = 9, C = 100;
    float *x = fa(BT * C), *w = fa(C), *b = fa(C), *d = fa(BT * C);
    randn(x, BT * C, 2.0);
    for (size_t i = 0; i < BT * C; i++) x[i] += 3.0f; /* offset: the two-pass variance matters */
    randn(w, C, 1.0);
    randn(b, C, 1.0);
    randn(d, BT * C, 1.0);
    float *o_r = fa(BT * C), *m_r = fa(BT), *r_r = fa(BT), *o_t = fa(BT * C), *m_t = fa(BT),
          *r_t = fa(BT);
    tsf_cpu_layernorm_forward(o_r, m_r, r_r, x, w, b, BT, C);
    ln_twin_fwd(o_t, m_t, r_t, x, w, b, BT, C);
    assert_nerr(o_t, o_r, BT * C, 1e-5);
    assert_nerr(m_t, m_r, BT, 1e-6);
    assert_nerr(r_t, r_r, BT, 1e-5);
    float *dx_r = fa(BT * C), *dw_r = fa(C), *db_r = fa(C);
    float *dx_t = fa(BT * C), *dw_t = fa(C), *db_t = fa(C);
    tsf_cpu_layernorm_backward(dx_r, dw_r, db_r, d, x, w, m_r, r_r, BT, C);
    ln_twin_bwd(dx_t, dw_t, db_t, d, x, w, m_t, r_t, BT, C);
    assert_nerr(dx_t, dx_r, BT * C, 1e-5);
    assert_nerr(dw_t, dw_r, C, 1e-5);
    assert_nerr(db_t, db_r, C, 1e-6);
    free(x); free(w); free(b); free(d); free(o_r); free(m_r); free(r_r); free(o_t); free(m_t);
    free(r_t); free(dx_r); free(dw_r); free(db_r); free(dx_t); free(dw_t); free(db_t);
}

/* ---- attention: twins of k_attn_fwd, k_attn_dot/dq/dkv, k_attn_step ---- */
#define AT_ROWS 4
#define Q_(b, t) (qkv + ((b) * T + (t)) * 3 * C + h * hs)
#define K_(b, t) (Q_(b, t) + C)
#define V_(b, t) (Q_(b, t) + 2 * C)

static float dotf(const float *x, const float *y, size_t n)
{
    float s = 0.0f;
    for (size_t d = 0; d < n; d++) s += x[d] * y[d];
    return s;
}

static void att_twin_fwd(float *out, float *att, const float *qkv, size_t B, size_t T,
                         size_t C, size_t NH, size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs), acc[256];
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++)
            for (size_t t0 = 0; t0 < T; t0 += AT_ROWS)
                for (size_t t = t0; t < t0 + AT_ROWS && t < T; t++) {
                    float slope = tk_alibi_slope((int)h, (int)NH);
                    size_t lo = t + 1 > W ? t + 1 - W : 0, jlo = t0 + 1 > W ? t0 + 1 - W : 0;
                    size_t jhi = t0 + AT_ROWS - 1 < T - 1 ? t0 + AT_ROWS - 1 : T - 1;
                    float m = -INFINITY, l = 0.0f;
                    memset(acc, 0, sizeof acc);
                    for (size_t j0 = jlo; j0 <= jhi; j0 += 32) {
                        float s[32], p[32], v[32];
                        int valid[32];
                        for (int lane = 0; lane < 32; lane++) {
                            size_t j = j0 + lane;
                            valid[lane] = j >= lo && j <= t;
                            s[lane] = valid[lane] ? tk_attn_score(dotf(Q_(b, t), K_(b, j), hs),
                                                                  sc, slope, (int)(t - j))
                                                  : -INFINITY;
                            v[lane] = s[lane];
                        }
                        float tmax = warp_max(v);
                        if (tmax == -INFINITY) continue;
                        float f = tk_online_rescale(&m, tmax);
                        for (int lane = 0; lane < 32; lane++)
                            v[lane] = p[lane] = valid[lane] ? expf(s[lane] - m) : 0.0f;
                        l = l * f + warp_sum(v);
                        for (size_t d = 0; d < hs; d++) acc[d] *= f;
                        for (int jj = 0; jj < 32; jj++)
                            if (p[jj] != 0.0f)
                                for (size_t d = 0; d < hs; d++) acc[d] += p[jj] * V_(b, j0 + jj)[d];
                    }
                    float inv = 1.0f / l;
                    for (size_t d = 0; d < hs; d++) out[(b * T + t) * C + h * hs + d] = acc[d] * inv;
                    float *a = att + ((b * NH + h) * T + t) * T;
                    for (size_t j = 0; j < T; j++)
                        a[j] = j >= lo && j <= t
                                   ? expf(tk_attn_score(dotf(Q_(b, t), K_(b, j), hs), sc, slope,
                                                        (int)(t - j)) - m) * inv
                                   : 0.0f;
                }
}

#define ATT_(i, j) att[((b * NH + h) * T + (i)) * T + (j)]
#define D_(i) (dout + (b * T + (i)) * C + h * hs)
#define DOT_(i) datt[((b * NH + h) * T + (i)) * T]

static void att_twin_bwd(float *dqkv, float *datt, const float *dout, const float *qkv,
                         const float *att, size_t B, size_t T, size_t C, size_t NH, size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs), acc[256], acc2[256];
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            for (size_t i = 0; i < T; i++) { /* k_attn_dot */
                size_t lo = i + 1 > W ? i + 1 - W : 0;
                float v[32];
                for (size_t lane = 0; lane < 32; lane++) {
                    v[lane] = 0.0f;
                    for (size_t j = lo + lane; j <= i; j += 32)
                        v[lane] += ATT_(i, j) * dotf(D_(i), V_(b, j), hs);
                }
                DOT_(i) = warp_sum(v);
            }
            for (size_t i = 0; i < T; i++) { /* k_attn_dq */
                size_t lo = i + 1 > W ? i + 1 - W : 0;
                memset(acc, 0, sizeof acc);
                for (size_t j = lo; j <= i; j++) {
                    float c = sc * tk_softmax_dscore(ATT_(i, j), dotf(D_(i), V_(b, j), hs), DOT_(i));
                    for (size_t d = 0; d < hs; d++) acc[d] += c * K_(b, j)[d];
                }
                for (size_t d = 0; d < hs; d++) dqkv[(b * T + i) * 3 * C + h * hs + d] += acc[d];
            }
            for (size_t j = 0; j < T; j++) { /* k_attn_dkv */
                size_t hi = j + W - 1 < T - 1 ? j + W - 1 : T - 1;
                memset(acc, 0, sizeof acc);
                memset(acc2, 0, sizeof acc2);
                for (size_t i = j; i <= hi; i++) {
                    float cv = ATT_(i, j);
                    float ck = sc * tk_softmax_dscore(cv, dotf(D_(i), V_(b, j), hs), DOT_(i));
                    for (size_t d = 0; d < hs; d++) {
                        acc[d] += ck * Q_(b, i)[d];
                        acc2[d] += cv * D_(i)[d];
                    }
                }
                float *dk = dqkv + (b * T + j) * 3 * C + C + h * hs;
                for (size_t d = 0; d < hs; d++) {
                    dk[d] += acc[d];
                    dk[C + d] += acc2[d];
                }
            }
        }
}

/* k_attn_step: 128 threads, strided partial max/sum, warp trees, warps in order */
static void att_twin_step(float *out, const float *q, const float *kc, const float *vc, size_t B,
                          size_t C, size_t NH, size_t W, size_t pos)
{
    size_t hs = C / NH, lo = pos + 1 > W ? pos + 1 - W : 0, n = pos - lo + 1;
    float sc = 1.0f / sqrtf((float)hs), *p = fa(n);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            float slope = tk_alibi_slope((int)h, (int)NH), part[128], red[4];
            for (size_t jj = 0; jj < n; jj++) {
                size_t j = lo + jj;
                p[jj] = tk_attn_score(dotf(q + b * C + h * hs, kc + (b * W + j % W) * C + h * hs, hs),
                                      sc, slope, (int)(pos - j));
            }
            for (int tid = 0; tid < 128; tid++) {
                part[tid] = -INFINITY;
                for (size_t jj = tid; jj < n; jj += 128) part[tid] = fmaxf(part[tid], p[jj]);
            }
            for (int w = 0; w < 4; w++) red[w] = warp_max(part + 32 * w);
            float mx = fmaxf(fmaxf(red[0], red[1]), fmaxf(red[2], red[3]));
            for (int tid = 0; tid < 128; tid++) {
                part[tid] = 0.0f;
                for (size_t jj = tid; jj < n; jj += 128) {
                    p[jj] = expf(p[jj] - mx);
                    part[tid] += p[jj];
                }
            }
            float s = 0.0f;
            for (int w = 0; w < 4; w++) s += warp_sum(part + 32 * w);
            for (size_t d = 0; d < hs; d++) {
                float acc = 0.0f;
                for (size_t jj = 0; jj < n; jj++)
                    acc += p[jj] * vc[(b * W + (lo + jj) % W) * C + h * hs + d];
                out[b * C + h * hs + d] = acc * (1.0f / s);
            }
        }
    free(p);
}

static void test_online_softmax(void **state)
{
    (void)state;
    enum { N = 100 };
    float s[N];
    randn(s, N, 4.0);
    double mx = -INFINITY, sum = 0.0;
    for (int i = 0; i < N; i++) mx = fmax(mx, s[i]);
    for (int i = 0; i < N; i++) sum += exp(s[i] - mx);
    float m = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 < N; j0 += 32) {
        float tmax = -INFINITY, ts = 0.0f;
        for (int j = j0; j < j0 + 32 && j < N; j++) tmax = fmaxf(tmax, s[j]);
        float f = tk_online_rescale(&m, tmax);
        if (j0 == 0) assert_true(f == 0.0f);
        for (int j = j0; j < j0 + 32 && j < N; j++) ts += expf(s[j] - m);
        l = l * f + ts;
    }
    assert_true(m == (float)mx);
    assert_rel(l, sum, 1e-6, 0);
}

static const size_t att_shapes[][5] = { /* B, T, C, NH, W */
    {2, 45, 16, 2, 1}, {2, 45, 16, 2, 7}, {1, 45, 16, 2, 40}, {2, 45, 16, 2, 45},
    {1, 70, 80, 2, 100}, {1, 33, 96, 1, 33},
};

static void test_attention_forward(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof att_shapes / sizeof *att_shapes; s++) {
        size_t B = att_shapes[s][0], T = att_shapes[s][1], C = att_shapes[s][2];
        size_t NH = att_shapes[s][3], W = att_shapes[s][4];
        float *qkv = fa(B * T * 3 * C), *o_r = fa(B * T * C), *a_r = fa(B * NH * T * T);
        float *o_t = fa(B * T * C), *a_t = fa(B * NH * T * T);
        randn(qkv, B * T * 3 * C, 1.0);
        tsf_cpu_attention_forward(o_r, a_r, qkv, B, T, C, NH, W);
        att_twin_fwd(o_t, a_t, qkv, B, T, C, NH, W);
        assert_nerr(o_t, o_r, B * T * C, 1e-5);
        assert_nerr(a_t, a_r, B * NH * T * T, 1e-5);
        free(qkv); free(o_r); free(a_r); free(o_t); free(a_t);
    }
}

static void test_attention_backward(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof att_shapes / sizeof *att_shapes; s++) {
        size_t B = att_shapes[s][0], T = att_shapes[s][1], C = att_shapes[s][2];
        size_t NH = att_shapes[s][3], W = att_shapes[s][4];
        float *qkv = fa(B * T * 3 * C), *o = fa(B * T * C), *a = fa(B * NH * T * T);
        float *d = fa(B * T * C), *g_r = fa(B * T * 3 * C), *g_t = fa(B * T * 3 * C);
        float *da = fa(B * NH * T * T);
        randn(qkv, B * T * 3 * C, 1.0);
        randn(d, B * T * C, 1.0);
        randn(g_r, B * T * 3 * C, 0.1); /* += semantics */
        memcpy(g_t, g_r, B * T * 3 * C * sizeof(float));
        tsf_cpu_attention_forward(o, a, qkv, B, T, C, NH, W);
        tsf_cpu_attention_backward(g_r, da, d, qkv, a, B, T, C, NH, W);
        att_twin_bwd(g_t, da, d, qkv, a, B, T, C, NH, W);
        assert_nerr(g_t, g_r, B * T * 3 * C, 1e-5);
        free(qkv); free(o); free(a); free(d); free(g_r); free(g_t); free(da);
    }
}

static void test_attention_step(void **state)
{
    (void)state;
    size_t B = 2, C = 24, NH = 3;
    for (size_t W = 1; W <= 300; W = W * 3 + 1)
        for (size_t pos = 0; pos < 2 * W + 3; pos += W / 2 + 1) {
            float *q = fa(B * C), *kc = fa(B * W * C), *vc = fa(B * W * C), *o_r = fa(B * C),
                  *o_t = fa(B * C), *scr = fa(NH * W);
            randn(q, B * C, 1.0);
            randn(kc, B * W * C, 1.0);
            randn(vc, B * W * C, 1.0);
            tsf_cpu_attention_step(o_r, q, kc, vc, B, C, NH, W, pos, scr);
            att_twin_step(o_t, q, kc, vc, B, C, NH, W, pos);
            assert_nerr(o_t, o_r, B * C, 1e-5);
            free(q); free(kc); free(vc); free(o_r); free(o_t); free(scr);
        }
}

/* ---- heads: twin of k_head_loss / k_head_params ---- */
static void test_heads(void **state)
{
    (void)state;
    size_t BT = 57;
    for (int student = 0; student < 2; student++) {
        tsf_nn_head head = student ? TSF_NN_HEAD_STUDENT_T : TSF_NN_HEAD_GAUSSIAN;
        size_t K = tsf_nn_head_k(head);
        float *o = fa(BT * K), *y = fa(BT), *nll_r = fa(BT), *d_r = fa(BT * K), *nll_t = fa(BT),
              *d_t = fa(BT * K);
        randn(o, BT * K, 1.5);
        randn(y, BT, 2.0);
        y[3] = y[17] = NAN;
        double tot_r = tsf_cpu_head_loss(nll_r, d_r, o, y, BT, head, 0.37f), tot_t = 0.0;
        for (size_t i = 0; i < BT; i++) {
            const float *p = o + i * K;
            float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f;
            double l = 0.0;
            if (!isnan(y[i]))
                l = tk_head_nll(student, p[0], p[1], student ? p[2] : 0.0f, y[i], 0.37f, &d0,
                                &d1, &d2);
            tot_t += l;
            nll_t[i] = (float)l;
            d_t[i * K] = d0;
            d_t[i * K + 1] = d1;
            if (student) d_t[i * K + 2] = d2;
        }
        assert_rel(tot_t, tot_r, 1e-12, 1e-12);
        assert_nerr(nll_t, nll_r, BT, 1e-7);
        /* dnu: the asymptotic digamma agrees with GSL's to ~1e-12 */
        assert_nerr(d_t, d_r, BT * K, 1e-7);
        float *mu_r = fa(BT), *s_r = fa(BT), *nu_r = fa(BT);
        tsf_cpu_head_params(mu_r, s_r, nu_r, o, BT, head);
        for (size_t i = 0; i < BT; i++) {
            assert_true(o[i * K] == mu_r[i]);
            assert_rel(tk_head_sigma(o[i * K + 1]), s_r[i], 1e-7, 0);
            if (student) assert_rel(tk_head_nu(o[i * K + 2]), nu_r[i], 1e-7, 0);
            else assert_true(isinf(nu_r[i]));
        }
        free(o); free(y); free(nll_r); free(d_r); free(nll_t); free(d_t);
        free(mu_r); free(s_r); free(nu_r);
    }
}

static void test_digamma(void **state)
{
    (void)state;
    for (double x = 0.05; x < 60.0; x *= 1.07)
        assert_close(tk_digamma(x), gsl_sf_psi(x), 1e-11 * (1.0 + fabs(gsl_sf_psi(x))));
    /* closed forms: psi(1) = -Euler-Mascheroni, psi(1/2) = -gamma - 2 ln 2 */
    assert_close(tk_digamma(1.0), -0.57721566490153286, 1e-12);
    assert_close(tk_digamma(0.5), -0.57721566490153286 - 2.0 * log(2.0), 1e-12);
}

/* ---- AdamW: twin of k_adamw over 5 steps ---- */
static void test_adamw(void **state)
{
    (void)state;
    enum { N = 40 };
    float p_r[N], m_r[N] = {0}, v_r[N] = {0}, p_t[N], m_t[N] = {0}, v_t[N] = {0}, g[N];
    randn(p_r, N, 1.0);
    memcpy(p_t, p_r, sizeof p_r);
    for (int t = 1; t <= 5; t++) {
        randn(g, N, 0.3);
        tsf_cpu_adamw_update(p_r, g, m_r, v_r, N, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, t);
        float c1 = 1.0f - powf(0.9f, (float)t), c2 = 1.0f - powf(0.999f, (float)t);
        for (int i = 0; i < N; i++)
            p_t[i] = tk_adamw(p_t[i], g[i], &m_t[i], &v_t[i], 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f,
                              c1, c2);
    }
    assert_nerr(p_t, p_r, N, 1e-7);
    assert_nerr(m_t, m_r, N, 1e-7);
    assert_nerr(v_t, v_r, N, 1e-7);
    /* closed form of the first step: p - lr (g/|g| (1 - tiny) + wd p) */
    float p = 0.5f, m = 0.0f, v = 0.0f;
    float p1 = tk_adamw(p, -2.0f, &m, &v, 0.1f, 0.9f, 0.999f, 0.0f, 0.0f, 0.1f, 0.001f);
    assert_close(p1, 0.6, 1e-6);
}

/* ---- bf16 rounding (what __float2bfloat16_rn does on the GPU) ---- */
static double bf16_nearest(float x)
{
    /* candidates: x truncated to 8 mantissa bits and the next bf16 value
     * away from zero; the nearer one, ties to the even mantissa */
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
    float flo, fhi;
    memcpy(&flo, &lo, 4);
    memcpy(&fhi, &hi, 4);
    double dl = fabs((double)x - flo), dh = fabs((double)fhi - x);
    if (dl < dh) return flo;
    if (dh < dl) return fhi;
    return ((lo >> 16) & 1u) ? fhi : flo;
}

/* unit roundoff of an 8-bit significand: |round(x) - x| <= 2^-8 |x| */
static void test_bf16(void **state)
{
    (void)state;
    const float exact[] = {0.0f, 1.0f, -2.5f, 3.140625f, 65536.0f, -0.0078125f};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        assert_true(tk_bf16_round(exact[i]) == exact[i]);
    assert_true(tk_bf16_round(1.0f + 0x1p-8f) == 1.0f);                 /* tie -> even */
    assert_true(tk_bf16_round(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f);   /* tie -> even */
    assert_true(tk_bf16_round(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f);
    assert_true(isnan(tk_bf16_round(NAN)));
    assert_true(isinf(tk_bf16_round(INFINITY)) && tk_bf16_round(-INFINITY) < 0);
    assert_true(isinf(tk_bf16_round(FLT_MAX))); /* rounds past the largest bf16 */
    for (int i = 0; i < 20000; i++) {
        float x = (float)(gsl_ran_gaussian(rng, 1.0) * exp(gsl_ran_flat(rng, -30, 30)));
        float r = tk_bf16_round(x);
        assert_true((double)r == bf16_nearest(x));
        assert_true(fabs((double)r - x) <= 0x1p-8 * fabs((double)x));
    }
}

/* ---- the cuBLAS plans of cuda_gemm.cu, run through column-major CBLAS
 * (cuBLAS's convention) against the row-major CPU reference ---- */
static void run_plan_host(tk_gemm_plan p, const float *const mats[3], float *C)
{
    cblas_sgemm(CblasColMajor, p.ta ? CblasTrans : CblasNoTrans, p.tb ? CblasTrans : CblasNoTrans,
                p.m, p.n, p.k, 1.0f, mats[p.a], p.lda, mats[p.b], p.ldb, p.beta, C, p.ldc);
}

static void test_gemm_plans(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{1, 5, 3}, {7, 4, 9}, {300, 70, 130}, {64, 256, 768}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t BT = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *inp = fa(BT * C), *w = fa(OC * C), *b = fa(OC), *d = fa(BT * OC);
        randn(inp, BT * C, 1.0);
        randn(w, OC * C, 1.0);
        randn(b, OC, 1.0);
        randn(d, BT * OC, 1.0);
        const float *mats[3] = {inp, w, d};
        float *o_r = fa(BT * OC), *o_t = fa(BT * OC);
        for (int bias = 0; bias < 2; bias++) {
            tsf_cpu_matmul_forward(o_r, inp, w, bias ? b : NULL, BT, C, OC);
            for (size_t i = 0; i < BT * OC; i++) o_t[i] = bias ? b[i % OC] : 12345.0f; /* k_bias_rows */
            run_plan_host(tk_plan_forward(BT, C, OC, bias), mats, o_t);
            assert_nerr(o_t, o_r, BT * OC, 1e-6);
        }
        float *di_r = fa(BT * C), *di_t = fa(BT * C), *dw_r = fa(OC * C), *dw_t = fa(OC * C);
        randn(di_r, BT * C, 1.0); /* += semantics */
        memcpy(di_t, di_r, BT * C * sizeof(float));
        randn(dw_r, OC * C, 1.0);
        memcpy(dw_t, dw_r, OC * C * sizeof(float));
        tsf_cpu_matmul_backward(di_r, dw_r, NULL, d, inp, w, BT, C, OC);
        run_plan_host(tk_plan_dinp(BT, C, OC), mats, di_t);
        run_plan_host(tk_plan_dweight(BT, C, OC), mats, dw_t);
        assert_nerr(di_t, di_r, BT * C, 1e-6);
        assert_nerr(dw_t, dw_r, OC * C, 1e-6);
        free(inp); free(w); free(b); free(d); free(o_r); free(o_t);
        free(di_r); free(di_t); free(dw_r); free(dw_t);
    }
}

/* k_colsum: 32 columns x 8 row lanes per block, rows split over grid.y */
static void test_colsum(void **state)
{
    (void)state;
    size_t BT = 1000, OC = 37;
    float *d = fa(BT * OC), *r = fa(OC), *t = fa(OC), *w = fa(OC * 1), *inp = fa(BT);
    randn(d, BT * OC, 1.0);
    tsf_cpu_matmul_backward(NULL, NULL, r, d, inp, w, BT, 1, OC);
    size_t gy = (BT + 255) / 256;
    for (size_t c = 0; c < OC; c++)
        for (size_t by = 0; by < gy; by++) {
            float part[8];
            for (size_t ty = 0; ty < 8; ty++) {
                part[ty] = 0.0f;
                for (size_t row = by * 8 + ty; row < BT; row += gy * 8) part[ty] += d[row * OC + c];
            }
            float s = part[0];
            for (int k = 1; k < 8; k++) s += part[k];
            t[c] += s; /* atomicAdd */
        }
    assert_nerr(t, r, OC, 1e-6);
    free(d); free(r); free(t); free(w); free(inp);
}

static int setup(void **state)
{
    (void)state;
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261123);
    return rng ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gsl_rng_free(rng);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gelu),        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_online_softmax), cmocka_unit_test(test_attention_forward),
        cmocka_unit_test(test_attention_backward), cmocka_unit_test(test_attention_step),
        cmocka_unit_test(test_heads),       cmocka_unit_test(test_digamma),
        cmocka_unit_test(test_adamw),       cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_gemm_plans),  cmocka_unit_test(test_colsum),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
