/* Host twins of the attention kernels of gpu/cuda_attention.cu: the
 * flash-style forward (blocks of AT_ROWS query rows, 32-key tiles, one
 * lane per key, online softmax), the three backward passes (D_i, dq per
 * query row, dk/dv per key row) and the KV-cache step (128 threads,
 * strided partial max/sum, warp trees), with kernel_math.h's arithmetic,
 * against src/neural/cpu_attention.c.  Normalised tolerance 1e-5: the
 * twins reorder fp32 sums over <= 100 keys. */
#define TWIN_SEED 20261124
#include "twin_util.h"
#include "neural/cpu_ops.h"
#include "../gpu/kernel_math.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online_softmax), cmocka_unit_test(test_attention_forward),
        cmocka_unit_test(test_attention_backward), cmocka_unit_test(test_attention_step),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
