/* The CPU reference backend's ops (see backend.h for the contracts). */
#ifndef TSF_NEURAL_CPU_OPS_H
#define TSF_NEURAL_CPU_OPS_H

#include <math.h>
#include "backend.h"

#include <stdint.h>

/* exp for the elementwise ops, written so that `omp simd` loops vectorise
 * it (a libm call stops vectorisation; glibc's vector expf needs
 * -ffast-math): x is clamped to [-87, 87] through its bits (a float
 * comparison may trap and so blocks if-conversion), x = n ln2 + r by
 * Cody-Waite reduction with n rounded by the 1.5 * 2^23 trick, exp(r) by
 * its degree-6 Taylor polynomial on |r| <= ln2/2 (relative error < 2e-7),
 * and 2^n from the exponent bits. */
/* Elementwise kernels are also compiled for AVX-512 and AVX2 and picked at
 * load time (GCC's function multiversioning through an ifunc; clang 14's
 * target_clones leaves undefined symbols in some links, so clang builds
 * and sanitizer builds get the portable code only): 16 or 8 lanes instead
 * of SSE2's 4 on the machines that have them, the portable code elsewhere
 * (GELU on 16K floats, one core of the EPYC here: 0.89 ns per value with
 * AVX2, 0.46 with AVX-512).
 * The loops have no reductions and -std=c11 keeps contraction off, so
 * all versions give the same bits. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define TSF_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TSF_SIMD_CLONES
#endif

static inline float tsf_expf(float x)
{
    union { float f; int32_t i; } u = {x};
    int32_t a = u.i & 0x7fffffff;
    a = a > 0x42AE0000 ? 0x42AE0000 : a; /* 87.0f */
    u.i = (int32_t)((uint32_t)u.i & 0x80000000u) | a;
    x = u.f;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f +
                                                 r * (8.3333338e-3f + r * 1.3888889e-3f)))));
    union { int32_t i; float f; } e;
    e.i = ((int32_t)n + 127) * (1 << 23);
    return p * e.f;
}

static inline float tsf_sigmoidf(float x) { return 1.0f / (1.0f + tsf_expf(-x)); }

/* tanh(x) = 2 s(2x) - 1: exact in real arithmetic, within ~1e-7 absolutely;
 * glibc's tanhf goes through the much slower (and scalar) expm1f. */
static inline float tsf_tanhf(float x) { return 2.0f / (1.0f + tsf_expf(-2.0f * x)) - 1.0f; }

/* p (n >= 1) := softmax(p), the maximum subtracted first (the attention
 * kernels' rows: dense step, additive, sparse patterns). */
static inline void tsf_softmaxf(float *p, size_t n)
{
    float mx = -INFINITY, sum = 0.0f;
    for (size_t j = 0; j < n; j++) mx = p[j] > mx ? p[j] : mx;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < n; j++) {
        p[j] = tsf_expf(p[j] - mx);
        sum += p[j];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (size_t j = 0; j < n; j++) p[j] *= inv;
}

void tsf_cpu_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                            size_t BT, size_t C, size_t OC);
void tsf_cpu_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, size_t BT, size_t C,
                             size_t OC);
void tsf_cpu_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                               const float *weight, const float *bias, size_t BT, size_t C);
void tsf_cpu_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                const float *inp, const float *weight, const float *mean,
                                const float *rstd, size_t BT, size_t C);
void tsf_cpu_gelu_forward(float *out, const float *inp, size_t N);
void tsf_cpu_gelu_backward(float *dinp, const float *inp, const float *dout, size_t N);
void tsf_cpu_residual_forward(float *out, const float *a, const float *b, size_t N);
void tsf_cpu_gru_forward(float *h, float *gates, const float *xg, const float *hg,
                         const float *h_prev, size_t B, size_t H);
void tsf_cpu_gru_backward(float *dxg, float *dhg, float *dh_prev, const float *dh,
                          const float *gates, const float *hg, const float *h_prev, size_t B,
                          size_t H);
void tsf_cpu_lstm_forward(float *h, float *c, float *gates, const float *pre, const float *c_prev,
                          size_t B, size_t H);
void tsf_cpu_lstm_backward(float *dpre, float *dc_prev, const float *dh, const float *dc,
                           const float *gates, const float *c, const float *c_prev, size_t B,
                           size_t H);
/* ALiBi slope of head h of NH (Press et al. 2022): 2^(-8(h+1)/NH). */
float tsf_cpu_alibi_slope(size_t h, size_t NH);
void tsf_cpu_attention_forward(float *out, float *att, const float *qkv, size_t B, size_t T,
                               size_t C, size_t NH, size_t W);
void tsf_cpu_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                                const float *att, size_t B, size_t T, size_t C, size_t NH,
                                size_t W);
void tsf_cpu_attention_step(float *out, const float *q, const float *kc, const float *vc,
                            size_t B, size_t C, size_t NH, size_t W, size_t pos, float *scratch);
double tsf_cpu_head_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                         tsf_nn_head head, float weight);
void tsf_cpu_head_params(float *mu, float *sigma, float *nu, const float *o, size_t BT,
                         tsf_nn_head head);
void tsf_cpu_dilated_im2col(float *col, const float *inp, size_t B, size_t T, size_t C,
                            size_t KW, size_t dil);
void tsf_cpu_dilated_col2im(float *dinp, const float *dcol, size_t B, size_t T, size_t C,
                            size_t KW, size_t dil);
void tsf_cpu_gated_forward(float *out, const float *z, size_t N, size_t C);
void tsf_cpu_gated_backward(float *dz, const float *z, const float *dout, size_t N, size_t C);
void tsf_cpu_relu_forward(float *out, const float *inp, size_t N);
void tsf_cpu_relu_backward(float *dinp, const float *inp, const float *dout, size_t N);
double tsf_cpu_mixture_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                            size_t M, float weight);
void tsf_cpu_head_draw(double *z, const double *e, const float *o, size_t B, tsf_nn_head head,
                       size_t n, float lo, float hi);
double tsf_cpu_binned_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                           size_t N, float lo, float hi, float weight);
/* The binned head's bin of z (0 and N-1: the tails) and the log density
 * of z within bin j (per unit probability of the bin). */
size_t tsf_cpu_binned_index(double z, size_t N, double lo, double hi);
double tsf_cpu_binned_logdens(size_t j, double z, size_t N, double lo, double hi);
void tsf_cpu_additive_forward(float *out, float *att, const float *q, const float *k,
                              const float *v, const float *va, const tsf_nn_add_geom *g);
void tsf_cpu_additive_backward(float *dq, float *dk, float *dv, float *dva, const float *dout,
                               const float *q, const float *k, const float *v, const float *va,
                               const float *att, const tsf_nn_add_geom *g, float *scratch);
void tsf_cpu_additive_step(float *out, const float *q, const float *kc, const float *vc,
                           const float *va, size_t B, size_t NH, size_t hs, size_t W, size_t pos,
                           int alibi, float *scratch);
void tsf_cpu_sparse_attention_forward(float *out, float *att, const float *qkv, size_t B,
                                      size_t T, size_t C, size_t NH, tsf_nn_pattern p);
void tsf_cpu_sparse_attention_backward(float *dqkv, float *datt, const float *dout,
                                       const float *qkv, const float *att, size_t B, size_t T,
                                       size_t C, size_t NH, tsf_nn_pattern p);
/* The training forms of the two above (cpu_sparse_panel.c): the same
 * contract, computed over transposed (hs, T) panels; the tables' ops. */
void tsf_cpu_sparse_attention_forward_panel(float *out, float *att, const float *qkv, size_t B,
                                            size_t T, size_t C, size_t NH, tsf_nn_pattern p);
void tsf_cpu_sparse_attention_backward_panel(float *dqkv, float *datt, const float *dout,
                                             const float *qkv, const float *att, size_t B,
                                             size_t T, size_t C, size_t NH, tsf_nn_pattern p);
void tsf_cpu_sparse_attention_step(float *out, const float *q, const float *kc, const float *vc,
                                   size_t B, size_t C, size_t NH, size_t pos, tsf_nn_pattern p,
                                   float *scratch);
void tsf_cpu_attention_step_shared(float *out, const float *q, const float *kp,
                                   const float *vp, size_t P, size_t p0, const float *ks,
                                   const float *vs, size_t R, size_t B, size_t C, size_t NH,
                                   size_t W, size_t pos, float *scratch);
void tsf_cpu_copy(float *dst, const float *src, size_t N);
float *tsf_cpu_alloc(size_t n);
void tsf_cpu_free(float *p);
void tsf_cpu_copy2d(float *dst, size_t dpitch, const float *src, size_t spitch, size_t width,
                    size_t rows);
int tsf_cpu_sync(char *msg, size_t len);
void tsf_cpu_zero(float *x, size_t N);
double tsf_cpu_sumsq(const float *g, size_t N);
void tsf_cpu_scale(float *x, float a, size_t N);
void tsf_cpu_adamw_update(float *params, const float *grads, float *m, float *v, size_t N,
                          float lr, float beta1, float beta2, float eps, float weight_decay,
                          int t);

/* Batch-invariant inference (cpu_invariant.c): the product whose every
 * output row is computed alone, whatever the number of rows, and whether
 * it (and the block-sparse kernel, cpu_sparse.c) fuses its multiply-adds
 * (1: AVX2+FMA, chosen once for the process). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define TSF_CPU_X86_FMA 1
#else
#define TSF_CPU_X86_FMA 0
#endif
int tsf_cpu_fma(void);
void tsf_cpu_matmul_inv(float *out, const float *inp, const float *weight, const float *bias,
                        size_t M, size_t C, size_t OC);
/* The same product from the weight's panels packed once beforehand
 * (tsf_cpu_matmul_inv_pack into tsf_cpu_matmul_inv_packed_size(C, OC)
 * floats): the same bits, without packing at every call (the one-row
 * streaming step). */
size_t tsf_cpu_matmul_inv_packed_size(size_t C, size_t OC);
void tsf_cpu_matmul_inv_pack(float *packed, const float *weight, size_t C, size_t OC);
void tsf_cpu_matmul_inv_packed(float *out, const float *inp, const float *packed,
                               const float *bias, size_t M, size_t C, size_t OC);
/* One query of the dense attention, the routine of attention_step and of
 * the inference pass (cpu_attention.c): q (C) against n keys in position
 * order, key j in row (first + j) % wrap of k and v (rows ks floats apart,
 * wrap 0: no ring) -> out (C); head h's probabilities at p + h ps;
 * slope (NH) the ALiBi slopes. */
void tsf_cpu_attn_query(float *out, const float *q, const float *k, const float *v, size_t ks,
                        size_t n, size_t first, size_t wrap, size_t C, size_t NH,
                        const float *slope, float *p, size_t ps);
/* G queries at once (cpu_attn_query.c, which defines each output's
 * arithmetic; the same bits as G calls of one query): query g in row g of
 * q (C floats apart) -> row g of out; n0 keys shared by all (key j < n0 in
 * row j of k0 and v0, rows C floats apart; NULL when n0 = 0), then n keys
 * of each path's own as for tsf_cpu_attn_query, path g's rows gs floats
 * after path 0's; path g's probabilities of head h at p + g pg + h ps. */
void tsf_cpu_attn_queries(float *out, const float *q, size_t G, const float *k0, const float *v0,
                          size_t n0, const float *k, const float *v, size_t ks, size_t gs,
                          size_t n, size_t first, size_t wrap, size_t C, size_t NH,
                          const float *slope, float *p, size_t ps, size_t pg);
/* The same through one implementation (tests): 0 portable, 1 AVX2+FMA, 2
 * AVX-512 (the bits of 1); tsf_cpu_attn_queries takes the highest the CPU
 * has, 0 where tsf_cpu_fma() is 0. */
void tsf_cpu_attn_queries_at(int level, float *out, const float *q, size_t G, const float *k0,
                             const float *v0, size_t n0, const float *k, const float *v,
                             size_t ks, size_t gs, size_t n, size_t first, size_t wrap, size_t C,
                             size_t NH, const float *slope, float *p, size_t ps, size_t pg);
/* attention_forward computed query by query through tsf_cpu_attn_query */
void tsf_cpu_attention_forward_q(float *out, float *att, const float *qkv, size_t B, size_t T,
                                 size_t C, size_t NH, size_t W);

/* A CPU backend table: the reference ops with the GEMMs MMF, MMB
 * (cpu_backend.c: the OpenBLAS reference; cpu_onednn.c: oneDNN's) and
 * their team_products TEAM, so that the variants share every other entry
 * by construction; the _X form also takes the dense and sparse attention
 * forwards ATTF, SATTF (training: GEMMs and panels; inference: query by
 * query as the steps) and the inference table INFER (cpu_invariant.c's:
 * its own ATTF and SATTF, INFER NULL).  TSF_CPU_OPS is the list of
 * initialisers of TSF_CPU_TABLE, for a table that adds entries of its own
 * (the bf16 table's workspace). */
/* the inference table of the CPU backends (cpu_invariant.c) */
extern const tsf_nn_backend tsf_cpu_infer;
#define TSF_CPU_TABLE(NAME, MMF, MMB, TEAM) {TSF_CPU_OPS(NAME, MMF, MMB, TEAM)}
#define TSF_CPU_OPS(NAME, MMF, MMB, TEAM)                                                      \
    TSF_CPU_OPS_X(NAME, MMF, MMB, TEAM, tsf_cpu_attention_forward,                             \
                  tsf_cpu_sparse_attention_forward_panel, &tsf_cpu_infer)
#define TSF_CPU_TABLE_X(NAME, MMF, MMB, TEAM, ATTF, SATTF, INFER)                              \
    {TSF_CPU_OPS_X(NAME, MMF, MMB, TEAM, ATTF, SATTF, INFER)}
#define TSF_CPU_OPS_X(NAME, MMF, MMB, TEAM, ATTF, SATTF, INFER)                                \
        .infer = INFER,                                                                        \
        .name = NAME, .matmul_forward = MMF, .matmul_backward = MMB, .team_products = TEAM,    \
        .layernorm_forward = tsf_cpu_layernorm_forward,                                        \
        .layernorm_backward = tsf_cpu_layernorm_backward, .gelu_forward = tsf_cpu_gelu_forward, \
        .gelu_backward = tsf_cpu_gelu_backward, .residual_forward = tsf_cpu_residual_forward,  \
        .gru_forward = tsf_cpu_gru_forward, .gru_backward = tsf_cpu_gru_backward,              \
        .lstm_forward = tsf_cpu_lstm_forward, .lstm_backward = tsf_cpu_lstm_backward,          \
        .attention_forward = ATTF,                                                             \
        .attention_backward = tsf_cpu_attention_backward,                                      \
        .attention_step = tsf_cpu_attention_step, .head_loss = tsf_cpu_head_loss,              \
        .head_params = tsf_cpu_head_params, .sumsq = tsf_cpu_sumsq, .scale = tsf_cpu_scale,    \
        .adamw_update = tsf_cpu_adamw_update, .on_device = 0, .alloc = tsf_cpu_alloc,          \
        .free = tsf_cpu_free, .upload = tsf_cpu_copy, .download = tsf_cpu_copy,                \
        .copy = tsf_cpu_copy, .copy2d = tsf_cpu_copy2d, .zero = tsf_cpu_zero,                  \
        .sync = tsf_cpu_sync, .dilated_im2col = tsf_cpu_dilated_im2col,                        \
        .dilated_col2im = tsf_cpu_dilated_col2im, .gated_forward = tsf_cpu_gated_forward,      \
        .gated_backward = tsf_cpu_gated_backward, .relu_forward = tsf_cpu_relu_forward,        \
        .relu_backward = tsf_cpu_relu_backward, .mixture_loss = tsf_cpu_mixture_loss,          \
        .binned_loss = tsf_cpu_binned_loss, .additive_forward = tsf_cpu_additive_forward,      \
        .additive_backward = tsf_cpu_additive_backward,                                        \
        .additive_step = tsf_cpu_additive_step, .head_draw = tsf_cpu_head_draw,                \
        .sparse_attention_forward = SATTF,                                                     \
        .sparse_attention_backward = tsf_cpu_sparse_attention_backward_panel,                  \
        .sparse_attention_step = tsf_cpu_sparse_attention_step,                                \
        .attention_step_shared = tsf_cpu_attention_step_shared

#endif
