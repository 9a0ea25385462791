/* The CPU backend with its GEMM ops on oneDNN (Intel's Deep Neural Network
 * Library, Debian's libdnnl 2.x): every other op is the reference's
 * (cpu_*.c), so the two tables differ only in matmul_forward and
 * matmul_backward, and the reference stays the twin they are tested
 * against (tests/test_onednn_ops.c).
 *
 *  - fp32: dnnl_sgemm, oneDNN's BLAS-style single-precision GEMM.  It
 *    uses the AVX-512 kernels the CPU has (the environment pins OpenBLAS
 *    to its AVX2 ones) and threads through OpenMP, so the thread count is
 *    the fit's (omp_set_num_threads), not OpenBLAS's process-wide one.
 *  - bf16: the matmul primitive on bfloat16 operands (1 sign, 8 exponent,
 *    7 stored significand bits) with fp32 accumulation and an fp32
 *    result.  Operands are rounded to nearest even from the fp32
 *    activations and master weights; bias and the += of the backward
 *    pass are fp32 (a sum post-op).  A training pass of the GRU, LSTM and
 *    transformer runs its products through a workspace (the ws_* ops
 *    below: primitives, packed bf16 weights and buffers kept between
 *    calls, the weights converted once per optimiser step); the plain ops
 *    (wavenet, and anything without a workspace) convert every operand
 *    at each call and create the primitive, engine and stream per call.
 *    Products too small for the conversion to pay (use_bf16, ws_fwd_bf16,
 *    ws_dinp_bf16, ws_dw_bf16) run in fp32 as in the fp32 table.
 *
 * oneDNN is built with the OpenMP runtime in Debian (dnnl_config.h:
 * DNNL_CPU_THREADING_RUNTIME = OMP). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "core/internal.h"
#include "cpu_ops.h"
#include "onednn.h"

/* fp32 -> bf16, round to nearest even (the 16 low bits of the fp32
 * pattern decide; inputs are finite here: the trainer stops on a
 * non-finite gradient norm before they could reach a GEMM). */
TSF_SIMD_CLONES
static void to_bf16(uint16_t *dst, const float *src, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, src + i, sizeof u);
        u += 0x7fffu + ((u >> 16) & 1u);
        dst[i] = (uint16_t)(u >> 16);
    }
}

/* src (R,C) fp32 -> dst (C,R) bf16, transposed in tiles of 32 x 32 (the
 * weight-gradient GEMM reads dout^T: oneDNN 2.6's brgemm runs a
 * transposed source with a long reduction (K = B T) 30-50 times slower
 * than a plain one, ONEDNN_VERBOSE shows, so it gets a plain copy). */
static void to_bf16_t(uint16_t *dst, const float *src, size_t R, size_t C)
{
    for (size_t r0 = 0; r0 < R; r0 += 32)
        for (size_t c0 = 0; c0 < C; c0 += 32) {
            size_t r1 = r0 + 32 < R ? r0 + 32 : R, c1 = c0 + 32 < C ? c0 + 32 : C;
            for (size_t c = c0; c < c1; c++)
                for (size_t r = r0; r < r1; r++) {
                    uint32_t u;
                    memcpy(&u, src + r * C + c, sizeof u);
                    u += 0x7fffu + ((u >> 16) & 1u);
                    dst[c * R + r] = (uint16_t)(u >> 16);
                }
        }
}

/* Threads for a product of M N K multiply-adds: one per 2^20 of them, at
 * most the caller's OpenMP thread count.  oneDNN forks an OpenMP team for
 * every call; below ~1M multiply-adds (10-20 us of work) the fork and
 * join cost more than the second thread gives, and on a loaded machine a
 * team of spinning threads for a 10 us product was measured 30x slower
 * than one thread (tests/test_neural_model: 109 s against 3.4 s).  The
 * count is set with omp_set_num_threads, which changes the calling
 * thread's own ICV only (OpenMP 5.2, sec. 2.4.1), and restored after. */
static int gemm_threads(size_t M, size_t N, size_t K)
{
#ifdef _OPENMP
    int max = omp_get_max_threads();
    double want = 1.0 + (double)M * (double)N * (double)K / 1048576.0;
    int n = want < (double)max ? (int)want : max;
    if (n != max) omp_set_num_threads(n);
    return max;
#else
    (void)M, (void)N, (void)K;
    return 1;
#endif
}

static void threads_restore(int max)
{
#ifdef _OPENMP
    if (omp_get_max_threads() != max) omp_set_num_threads(max);
#else
    (void)max;
#endif
}

/* Products below this many multiply-adds stay on OpenBLAS: dnnl_sgemm
 * costs about 6-15 us a call whatever the size, OpenBLAS 1-3 us on the
 * tiny products of small networks. */
#define SGEMM_MIN_WORK 32768.0

static int tiny(size_t M, size_t N, size_t K)
{
    return (double)M * (double)N * (double)K < SGEMM_MIN_WORK;
}

/* ---- fp32 ---- */

// inp (BT,C) @ weight (OC,C)^T + bias (OC) -> out (BT,OC)
static void sgemm_forward(float *out, const float *inp, const float *weight, const float *bias,
                          size_t BT, size_t C, size_t OC)
{
    /* one row (streaming): OpenBLAS's sgemv takes 1/10 of dnnl_sgemm's time */
    if (BT == 1 || tiny(BT, OC, C)) {
        tsf_cpu_matmul_forward(out, inp, weight, bias, BT, C, OC);
        return;
    }
    if (bias)
        for (size_t i = 0; i < BT; i++) memcpy(out + i * OC, bias, OC * sizeof *out);
    int nt = gemm_threads(BT, OC, C);
    dnnl_sgemm('N', 'T', (dnnl_dim_t)BT, (dnnl_dim_t)OC, (dnnl_dim_t)C, 1.0f, inp,
               (dnnl_dim_t)C, weight, (dnnl_dim_t)C, bias ? 1.0f : 0.0f, out, (dnnl_dim_t)OC);
    threads_restore(nt);
}

// dout (BT,OC) -> dinp (BT,C) +=, dweight (OC,C) +=, dbias (OC) +=
static void sgemm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    if (tiny(BT, C, OC)) {
        tsf_cpu_matmul_backward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
        return;
    }
    int nt = gemm_threads(BT, C, OC);
    if (dinp)
        dnnl_sgemm('N', 'N', (dnnl_dim_t)BT, (dnnl_dim_t)C, (dnnl_dim_t)OC, 1.0f, dout,
                   (dnnl_dim_t)OC, weight, (dnnl_dim_t)C, 1.0f, dinp, (dnnl_dim_t)C);
    if (dweight)
        dnnl_sgemm('T', 'N', (dnnl_dim_t)OC, (dnnl_dim_t)C, (dnnl_dim_t)BT, 1.0f, dout,
                   (dnnl_dim_t)OC, inp, (dnnl_dim_t)C, 1.0f, dweight, (dnnl_dim_t)C);
    threads_restore(nt);
    if (dbias) tsf_cpu_matmul_backward(NULL, NULL, dbias, dout, NULL, NULL, BT, C, OC);
}

/* ---- bf16 ---- */

/* A 2-D operand: dims (rows, cols) with element strides (rs, cs). */
typedef struct {
    dnnl_dim_t r, c, rs, cs;
} mat;

/* dst (M,N) f32 (+= when acc) = a (M,K) @ b (K,N) [+ bias (1,N)], a and b
 * bf16.  Returns 0, or -1 when oneDNN failed (out of memory; the shapes
 * and types are always supported where the table is offered); dst is
 * then untouched (oneDNN fails before it executes). */
static int bf16_matmul(float *dst, mat dm, const uint16_t *a, mat am, const uint16_t *b, mat bm,
                       const float *bias, int acc)
{
    int nt = gemm_threads((size_t)dm.r, (size_t)dm.c, (size_t)am.c);
    dnnl_engine_t eng = NULL;
    dnnl_stream_t str = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t mem[4] = {NULL, NULL, NULL, NULL};
    dnnl_memory_desc_t ad, bd, dd, biasd;
    int ok = dnnl_engine_create(&eng, dnnl_cpu, 0) == dnnl_success &&
             dnnl_stream_create(&str, eng, dnnl_stream_default_flags) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok) {
        dnnl_dims_t adim = {am.r, am.c}, ast = {am.rs, am.cs}, bdim = {bm.r, bm.c},
                    bst = {bm.rs, bm.cs}, ddim = {dm.r, dm.c}, dst_ = {dm.rs, dm.cs},
                    bidim = {1, dm.c}, bist = {dm.c, 1};
        ok = dnnl_memory_desc_init_by_strides(&ad, 2, adim, dnnl_bf16, ast) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&bd, 2, bdim, dnnl_bf16, bst) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&dd, 2, ddim, dnnl_f32, dst_) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&biasd, 2, bidim, dnnl_f32, bist) == dnnl_success;
    }
    if (ok && acc)
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    dnnl_matmul_desc_t md;
    if (ok)
        ok = dnnl_matmul_desc_init(&md, &ad, &bd, bias ? &biasd : NULL, &dd) == dnnl_success &&
             dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL) == dnnl_success &&
             dnnl_primitive_create(&prim, pd) == dnnl_success;
    if (ok)
        ok = dnnl_memory_create(&mem[0], &ad, eng, (void *)a) == dnnl_success &&
             dnnl_memory_create(&mem[1], &bd, eng, (void *)b) == dnnl_success &&
             dnnl_memory_create(&mem[2], &dd, eng, dst) == dnnl_success &&
             (!bias || dnnl_memory_create(&mem[3], &biasd, eng, (void *)bias) == dnnl_success);
    if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mem[0]}, {DNNL_ARG_WEIGHTS, mem[1]},
                                   {DNNL_ARG_DST, mem[2]}, {DNNL_ARG_BIAS, mem[3]}};
        ok = dnnl_primitive_execute(prim, str, bias ? 4 : 3, args) == dnnl_success &&
             dnnl_stream_wait(str) == dnnl_success;
    }
    for (int i = 0; i < 4; i++) dnnl_memory_destroy(mem[i]);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    dnnl_stream_destroy(str);
    dnnl_engine_destroy(eng);
    threads_restore(nt);
    return ok ? 0 : -1;
}

/* Which products run in bf16.  The operands are converted at every call
 * (the activations come from fp32 ops), one pass over the M K + K N
 * input elements, so a product of output (M,N) does 2 M N / (M + N)
 * multiply-adds per converted element.  Measured on an EPYC with
 * AVX512_BF16 (docs/neural.md, "Precision on the CPU"), the conversion
 * costs more than the bf16 kernel saves below about 256 of them (wavenet's
 * 8192 x 64 products: 127; the recurrent (32, 384): 59), and those
 * products run in fp32 through dnnl_sgemm: no slower and more accurate. */
#define BF16_MIN_WORK 256.0

static int use_bf16(size_t M, size_t N)
{
    return 2.0 * (double)M * (double)N / (double)(M + N) >= BF16_MIN_WORK;
}

/* The backend ops cannot return an error (backend.h): when a buffer or a
 * primitive cannot be made (out of memory), the op is computed by the
 * fp32 reference instead, which allocates nothing. */

// inp (BT,C) @ weight (OC,C)^T + bias (OC) -> out (BT,OC)
static void bf16_forward(float *out, const float *inp, const float *weight, const float *bias,
                         size_t BT, size_t C, size_t OC)
{
    if (!use_bf16(BT, OC)) {
        sgemm_forward(out, inp, weight, bias, BT, C, OC);
        return;
    }
    uint16_t *a = malloc(BT * C * sizeof *a), *w = malloc(OC * C * sizeof *w);
    int rc = -1;
    if (a && w) {
        to_bf16(a, inp, BT * C);
        to_bf16(w, weight, OC * C);
        /* weight (OC,C) row-major read as (C,OC): strides (1, C) */
        rc = bf16_matmul(out, (mat){(dnnl_dim_t)BT, (dnnl_dim_t)OC, (dnnl_dim_t)OC, 1}, a,
                         (mat){(dnnl_dim_t)BT, (dnnl_dim_t)C, (dnnl_dim_t)C, 1}, w,
                         (mat){(dnnl_dim_t)C, (dnnl_dim_t)OC, 1, (dnnl_dim_t)C}, bias, 0);
    }
    if (rc) tsf_cpu_matmul_forward(out, inp, weight, bias, BT, C, OC);
    free(a);
    free(w);
}

// dout (BT,OC) -> dinp (BT,C) +=, dweight (OC,C) +=, dbias (OC) +=
static void bf16_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    if (dbias) tsf_cpu_matmul_backward(NULL, NULL, dbias, dout, NULL, NULL, BT, C, OC);
    if (dinp && !use_bf16(BT, C)) { /* fp32 (see use_bf16) */
        sgemm_backward(dinp, NULL, NULL, dout, inp, weight, BT, C, OC);
        dinp = NULL;
    }
    if (dweight && !use_bf16(OC, C)) {
        sgemm_backward(NULL, dweight, NULL, dout, inp, weight, BT, C, OC);
        dweight = NULL;
    }
    if (!dinp && !dweight) return;
    uint16_t *d = malloc(BT * OC * sizeof *d);
    if (d) to_bf16(d, dout, BT * OC);
    if (dinp) { /* dinp (BT,C) += dout (BT,OC) @ weight (OC,C) */
        uint16_t *w = d ? malloc(OC * C * sizeof *w) : NULL;
        if (w) to_bf16(w, weight, OC * C);
        if (!w || bf16_matmul(dinp, (mat){(dnnl_dim_t)BT, (dnnl_dim_t)C, (dnnl_dim_t)C, 1}, d,
                              (mat){(dnnl_dim_t)BT, (dnnl_dim_t)OC, (dnnl_dim_t)OC, 1}, w,
                              (mat){(dnnl_dim_t)OC, (dnnl_dim_t)C, (dnnl_dim_t)C, 1}, NULL, 1))
            tsf_cpu_matmul_backward(dinp, NULL, NULL, dout, inp, weight, BT, C, OC);
        free(w);
    }
    if (dweight) { /* dweight (OC,C) += dout^T (OC,BT) @ inp (BT,C) */
        uint16_t *x = d ? malloc(BT * C * sizeof *x) : NULL;
        if (x) {
            to_bf16(x, inp, BT * C);
            to_bf16_t(d, dout, BT, OC); /* d is dout^T from here on */
        }
        if (!x || bf16_matmul(dweight, (mat){(dnnl_dim_t)OC, (dnnl_dim_t)C, (dnnl_dim_t)C, 1}, d,
                              (mat){(dnnl_dim_t)OC, (dnnl_dim_t)BT, (dnnl_dim_t)BT, 1}, x,
                              (mat){(dnnl_dim_t)BT, (dnnl_dim_t)C, (dnnl_dim_t)C, 1}, NULL, 1))
            tsf_cpu_matmul_backward(NULL, dweight, NULL, dout, inp, weight, BT, C, OC);
        free(x);
    }
    free(d);
}

/* ---- bf16 with a workspace (backend.h, workspace_create) ----
 *
 * A training pass's products through the workspace made with its
 * activation arena.  It keeps, between calls and time steps:
 *  - per product shape, the oneDNN matmul primitive (created once, not
 *    with an engine and a stream at every call), its memory objects and
 *    a user-mode scratchpad;
 *  - per weight and use (forward: W^T; backward data: W), the weight in
 *    bf16 in the blocked layout the primitive asks for (format "any"),
 *    reordered from the fp32 master weight at its first use after each
 *    workspace_update (one per optimiser step), not at every call and
 *    every time step;
 *  - the activations' conversion buffers, grown and never freed per call.
 * So a call converts only its activation operand(s) to bf16. */

typedef struct {
    /* key */
    dnnl_dim_t M, N, K;
    int kind;        /* 0: b = W^T of a weight (forward); 1: b = W (backward data);
                      * 2: a and b both activations (weight gradient) */
    int bias, acc, nt;
    const float *w;  /* the fp32 weight (kinds 0, 1) */
    /* state */
    dnnl_primitive_t prim, reorder;
    dnnl_memory_t src, wei, dst, bia, scr, wf32;
    /* kind 2: dout^T's fp32 -> bf16 reorder (af32: dout read as (OC,BT)) */
    dnnl_primitive_t reorder_a;
    dnnl_memory_t af32;
    void *packed;    /* kinds 0, 1: the weight, bf16, the primitive's layout */
    unsigned gen;    /* workspace generation the packed weight is from */
} ws_prim;

typedef struct {
    dnnl_engine_t eng;
    dnnl_stream_t str;
    const float *params; /* the network's weights, n floats */
    size_t n;
    unsigned gen;        /* bumped by workspace_update */
    ws_prim *p;
    size_t np, cap;
    uint16_t *buf[3];    /* conversion buffers: a, dout, inp */
    size_t bufn[3];
    void *scr;           /* the primitives' scratchpad, the largest they need */
    size_t scrn;
} onednn_ws;

static void prim_clear(ws_prim *e)
{
    dnnl_primitive_destroy(e->prim);
    dnnl_primitive_destroy(e->reorder);
    dnnl_primitive_destroy(e->reorder_a);
    dnnl_memory_t *m[] = {&e->src, &e->wei, &e->dst, &e->bia, &e->scr, &e->wf32, &e->af32};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) dnnl_memory_destroy(*m[i]);
    free(e->packed);
}

static void ws_free(void *wsp)
{
    onednn_ws *w = wsp;
    if (!w) return;
    for (size_t i = 0; i < w->np; i++) prim_clear(&w->p[i]);
    free(w->p);
    for (int i = 0; i < 3; i++) free(w->buf[i]);
    free(w->scr);
    dnnl_stream_destroy(w->str);
    dnnl_engine_destroy(w->eng);
    free(w);
}

static void *ws_create(const float *params, size_t n)
{
    onednn_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->params = params;
    w->n = n;
    if (dnnl_engine_create(&w->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&w->str, w->eng, dnnl_stream_default_flags) != dnnl_success) {
        ws_free(w);
        return NULL;
    }
    return w;
}

static void ws_update(void *wsp)
{
    onednn_ws *w = wsp;
    if (w) w->gen++;
}

/* Conversion buffer i of at least n elements (NULL: out of memory). */
static uint16_t *ws_buf(onednn_ws *w, int i, size_t n)
{
    if (n > w->bufn[i]) {
        uint16_t *b = realloc(w->buf[i], n * sizeof *b);
        if (!b) return NULL;
        w->buf[i] = b;
        w->bufn[i] = n;
    }
    return w->buf[i];
}

static int in_params(const onednn_ws *w, const float *x, size_t len)
{
    uintptr_t a = (uintptr_t)w->params, b = a + w->n * sizeof(float), p = (uintptr_t)x;
    return p >= a && p + len * sizeof(float) <= b;
}

static int md_plain(dnnl_memory_desc_t *md, dnnl_dim_t r, dnnl_dim_t c, dnnl_dim_t rs,
                    dnnl_dim_t cs, dnnl_data_type_t t)
{
    dnnl_dims_t d = {r, c}, s = {rs, cs};
    return dnnl_memory_desc_init_by_strides(md, 2, d, t, s) == dnnl_success;
}

/* The primitive of a product: dst (M,N) f32 (+= when acc) = a (M,K) @ b
 * (K,N) [+ bias], a row-major bf16; b per kind (ws_prim).  Created at the
 * first call with the key, under the thread count nt (part of the key:
 * oneDNN fixes its split at creation).  NULL: out of memory. */
static ws_prim *ws_get(onednn_ws *w, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, int kind,
                       int bias, int acc, const float *wt)
{
#ifdef _OPENMP
    int nt = omp_get_max_threads();
#else
    int nt = 1;
#endif
    for (size_t i = 0; i < w->np; i++) {
        ws_prim *e = &w->p[i];
        if (e->M == M && e->N == N && e->K == K && e->kind == kind && e->bias == bias &&
            e->acc == acc && e->nt == nt && e->w == wt)
            return e;
    }
    if (w->np == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        ws_prim *p = realloc(w->p, cap * sizeof *p);
        if (!p) return NULL;
        w->p = p;
        w->cap = cap;
    }
    ws_prim *e = &w->p[w->np];
    memset(e, 0, sizeof *e);
    *e = (ws_prim){.M = M, .N = N, .K = K, .kind = kind, .bias = bias, .acc = acc, .nt = nt,
                   .w = wt};
    dnnl_memory_desc_t ad, bd, dd, biasd, bplain;
    dnnl_dims_t bdim = {K, N};
    int ok = md_plain(&ad, M, K, K, 1, dnnl_bf16) && md_plain(&dd, M, N, N, 1, dnnl_f32) &&
             md_plain(&biasd, 1, N, N, 1, dnnl_f32);
    if (ok && kind == 2) ok = md_plain(&bd, K, N, N, 1, dnnl_bf16);
    if (ok && kind != 2)
        ok = dnnl_memory_desc_init_by_tag(&bd, 2, bdim, dnnl_bf16, dnnl_format_tag_any) ==
             dnnl_success;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL, rapd = NULL;
    ok = ok && dnnl_primitive_attr_create(&attr) == dnnl_success &&
         dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success;
    if (ok && acc)
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    dnnl_matmul_desc_t md;
    ok = ok && dnnl_matmul_desc_init(&md, &ad, &bd, bias ? &biasd : NULL, &dd) == dnnl_success &&
         dnnl_primitive_desc_create(&pd, &md, attr, w->eng, NULL) == dnnl_success &&
         dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    const dnnl_memory_desc_t *wmd = NULL, *smd = NULL;
    if (ok) {
        wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    }
    ok = ok && wmd && smd;
    size_t sn = ok ? dnnl_memory_desc_get_size(smd) : 0;
    if (ok && sn > w->scrn) {
        void *s = realloc(w->scr, sn);
        ok = s != NULL;
        if (ok) {
            w->scr = s;
            w->scrn = sn;
        }
    }
    ok = ok && dnnl_memory_create(&e->src, &ad, w->eng, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->wei, wmd, w->eng, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->dst, &dd, w->eng, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->scr, smd, w->eng, DNNL_MEMORY_NONE) == dnnl_success &&
         (!bias || dnnl_memory_create(&e->bia, &biasd, w->eng, DNNL_MEMORY_NONE) == dnnl_success);
    if (ok && kind != 2) { /* the weight's fp32 -> packed bf16 reorder */
        /* weight (OC,C) row-major: W^T (C,OC) has strides (1, C) (kind 0:
         * K = C, N = OC); W (OC,C) itself strides (C, 1) (kind 1: K = OC,
         * N = C) */
        ok = (kind == 0 ? md_plain(&bplain, K, N, 1, K, dnnl_f32)
                        : md_plain(&bplain, K, N, N, 1, dnnl_f32)) &&
             (e->packed = malloc(dnnl_memory_desc_get_size(wmd))) != NULL &&
             dnnl_memory_create(&e->wf32, &bplain, w->eng, (void *)wt) == dnnl_success &&
             dnnl_memory_set_data_handle(e->wei, e->packed) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&rpd, &bplain, w->eng, wmd, w->eng, NULL) ==
                 dnnl_success &&
             dnnl_primitive_create(&e->reorder, rpd) == dnnl_success;
        e->gen = w->gen - 1; /* packed at the first call */
    }
    if (ok && kind == 2) { /* dout^T's transposing fp32 -> bf16 reorder: dout (BT,OC)
                            * row-major read as (M = OC, K = BT), strides (1, OC) */
        dnnl_memory_desc_t at;
        ok = md_plain(&at, M, K, 1, M, dnnl_f32) &&
             dnnl_memory_create(&e->af32, &at, w->eng, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&rapd, &at, w->eng, &ad, w->eng, NULL) ==
                 dnnl_success &&
             dnnl_primitive_create(&e->reorder_a, rapd) == dnnl_success;
    }
    dnnl_primitive_desc_destroy(rapd);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        prim_clear(e);
        return NULL;
    }
    w->np++;
    return e;
}

static int run(onednn_ws *w, dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args)
{
    return dnnl_primitive_execute(p, w->str, n, args) == dnnl_success ? 0 : -1;
}

/* Runs e: dst = a @ b (+ bias); b is the packed weight (kinds 0, 1, packed
 * again first when the weights changed).  Kind 2 (the weight gradient, a
 * NULL): a = dout^T, converted and transposed from the fp32 dout by
 * oneDNN's reorder into abuf (its jit transposes at 0.6 ns an element,
 * where the tiled scalar to_bf16_t took 1-2 ns: 15% of a GRU-128 step
 * with every product in bf16, perf), b = inp converted plain (to_bf16).
 * 0, or -1 when oneDNN failed (dst untouched). */
static int ws_exec(onednn_ws *w, ws_prim *e, float *dst, const uint16_t *a, const float *bias,
                   const float *dout, const float *inp, uint16_t *abuf)
{
    if (e->kind == 2) {
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->af32}, {DNNL_ARG_TO, e->src}};
        uint16_t *x = ws_buf(w, 2, (size_t)(e->K * e->N));
        if (!x) return -1;
        to_bf16(x, inp, (size_t)(e->K * e->N));
        if (dnnl_memory_set_data_handle(e->af32, (void *)dout) != dnnl_success ||
            dnnl_memory_set_data_handle(e->src, abuf) != dnnl_success ||
            dnnl_memory_set_data_handle(e->wei, x) != dnnl_success ||
            run(w, e->reorder_a, 2, ra))
            return -1;
        a = abuf;
    } else if (e->gen != w->gen) {
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->wf32}, {DNNL_ARG_TO, e->wei}};
        if (dnnl_primitive_execute(e->reorder, w->str, 2, ra) != dnnl_success) return -1;
        e->gen = w->gen;
    }
    if (dnnl_memory_set_data_handle(e->src, (void *)a) != dnnl_success ||
        dnnl_memory_set_data_handle(e->dst, dst) != dnnl_success ||
        dnnl_memory_set_data_handle(e->scr, w->scr) != dnnl_success ||
        (bias && dnnl_memory_set_data_handle(e->bia, (void *)bias) != dnnl_success))
        return -1;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, e->wei},
                               {DNNL_ARG_DST, e->dst}, {DNNL_ARG_SCRATCHPAD, e->scr},
                               {DNNL_ARG_BIAS, e->bia}};
    return dnnl_primitive_execute(e->prim, w->str, bias ? 5 : 4, args) == dnnl_success &&
                   dnnl_stream_wait(w->str) == dnnl_success
               ? 0
               : -1;
}

/* Which products run in bf16 with a workspace.  The weights are bf16
 * already (converted once per optimiser step), so a call converts only
 * its activation operand: the forward (BT,C) @ (C,OC) product does OC
 * multiply-adds per converted element, the backward data product
 * (BT,OC) @ (OC,C) C of them; the weight gradient (OC,BT) @ (BT,C)
 * converts both its operands (dout^T and inp) and reads a plain, not a
 * pre-packed, right operand.  Measured on the EPYC with AVX512_BF16, one
 * thread, per call, against dnnl_sgemm (bench/onednn_rule.sh; docs/neural.md,
 * "Precision on the CPU"):
 *  - forward: 1.4-2.2x faster from OC = 32 up ((32,128) -> 384: 19.5 ->
 *    9.0 us; (8192,64) -> 64: 415 -> 217 us), even at 1.0x at OC = 48,
 *    C = 16: bf16 from OC >= 32;
 *  - backward data: 1.2-1.6x when the reduction OC >= 64 and the output
 *    is no wider than it (C <= OC); 0.86x for (8192,64) -> 256, 0.85-0.88x
 *    for OC = 2: bf16 when OC >= 64 and C <= OC;
 *  - weight gradient: converts both operands, dout^T transposed (oneDNN's
 *    reorder, see ws_exec) and inp plain (oneDNN then copies it into its
 *    blocked layout); the kernel alone is 2.3x the fp32 one on the
 *    GRU-128's (384,4064) @ (4064,128) (ONEDNN_VERBOSE: 1.06 against
 *    2.4 ms), the whole call 1.19-1.23x on it, 1.10-1.19x for
 *    (8192,256) -> 64, 0.97-1.03x when C = 64 ((8192,64) -> 192, 256),
 *    0.88x for (8192,64) -> 64, 0.35-0.41x when C or OC is 2: bf16 when
 *    C >= 128 and OC >= 64.
 * Products below tiny() and one-row products stay on OpenBLAS. */
#define WS_BF16_MIN_N 32
/* bench/onednn_rule.sh compiles this file with -DTSF_WS_ALL_BF16 to time
 * every product in bf16 against the fp32 table */
#ifdef TSF_WS_ALL_BF16
#define WS_ALL 1
#else
#define WS_ALL 0
#endif

static int ws_fwd_bf16(size_t BT, size_t C, size_t OC)
{
    return BT > 1 && !tiny(BT, OC, C) && (WS_ALL || OC >= WS_BF16_MIN_N);
}

static int ws_dinp_bf16(size_t BT, size_t C, size_t OC)
{
    return BT > 1 && !tiny(BT, C, OC) && (WS_ALL || (OC >= 2 * WS_BF16_MIN_N && C <= OC));
}

/* dweight (OC,C) += dout^T (OC,BT) @ inp (BT,C) */
static int ws_dw_bf16(size_t BT, size_t C, size_t OC)
{
    return !tiny(OC, C, BT) && (WS_ALL || (C >= 4 * WS_BF16_MIN_N && OC >= 2 * WS_BF16_MIN_N));
}

// inp (BT,C) @ weight (OC,C)^T + bias (OC) -> out (BT,OC)
static void ws_forward(void *wsp, float *out, const float *inp, const float *weight,
                       const float *bias, size_t BT, size_t C, size_t OC)
{
    onednn_ws *w = wsp;
    if (!ws_fwd_bf16(BT, C, OC)) {
        sgemm_forward(out, inp, weight, bias, BT, C, OC);
        return;
    }
    if (!w || !in_params(w, weight, OC * C)) {
        bf16_forward(out, inp, weight, bias, BT, C, OC);
        return;
    }
    int nt = gemm_threads(BT, OC, C);
    uint16_t *a = ws_buf(w, 0, BT * C);
    ws_prim *e = a ? ws_get(w, (dnnl_dim_t)BT, (dnnl_dim_t)OC, (dnnl_dim_t)C, 0, bias != NULL, 0,
                            weight)
                   : NULL;
    if (e) to_bf16(a, inp, BT * C);
    int rc = e ? ws_exec(w, e, out, a, bias, NULL, NULL, NULL) : -1;
    threads_restore(nt);
    if (rc) tsf_cpu_matmul_forward(out, inp, weight, bias, BT, C, OC);
}

// dout (BT,OC) -> dinp (BT,C) +=, dweight (OC,C) +=, dbias (OC) +=
static void ws_backward(void *wsp, float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    onednn_ws *w = wsp;
    if (dbias) tsf_cpu_matmul_backward(NULL, NULL, dbias, dout, NULL, NULL, BT, C, OC);
    if (dinp && (!ws_dinp_bf16(BT, C, OC) || !w || !in_params(w, weight, OC * C))) {
        if (ws_dinp_bf16(BT, C, OC))
            bf16_backward(dinp, NULL, NULL, dout, inp, weight, BT, C, OC);
        else
            sgemm_backward(dinp, NULL, NULL, dout, inp, weight, BT, C, OC);
        dinp = NULL;
    }
    if (dweight && (!ws_dw_bf16(BT, C, OC) || !w)) {
        sgemm_backward(NULL, dweight, NULL, dout, inp, weight, BT, C, OC);
        dweight = NULL;
    }
    if (dinp) { /* dinp (BT,C) += dout (BT,OC) @ weight (OC,C) */
        int nt = gemm_threads(BT, C, OC);
        uint16_t *d = ws_buf(w, 1, BT * OC);
        ws_prim *e = d ? ws_get(w, (dnnl_dim_t)BT, (dnnl_dim_t)C, (dnnl_dim_t)OC, 1, 0, 1, weight)
                       : NULL;
        if (e) to_bf16(d, dout, BT * OC);
        int rc = e ? ws_exec(w, e, dinp, d, NULL, NULL, NULL, NULL) : -1;
        threads_restore(nt);
        if (rc) tsf_cpu_matmul_backward(dinp, NULL, NULL, dout, inp, weight, BT, C, OC);
    }
    if (dweight) { /* dweight (OC,C) += dout^T (OC,BT) @ inp (BT,C) */
        int nt = gemm_threads(OC, C, BT);
        uint16_t *d = ws_buf(w, 1, BT * OC);
        ws_prim *e = d ? ws_get(w, (dnnl_dim_t)OC, (dnnl_dim_t)C, (dnnl_dim_t)BT, 2, 0, 1, NULL)
                       : NULL;
        int rc = e ? ws_exec(w, e, dweight, NULL, NULL, dout, inp, d) : -1;
        threads_restore(nt);
        if (rc) tsf_cpu_matmul_backward(NULL, dweight, NULL, dout, inp, weight, BT, C, OC);
    }
}

/* oneDNN's products take the calling thread's OpenMP count; the ones left
 * to OpenBLAS (tiny() above) are below OpenBLAS's own threshold for a
 * second thread (backend.h, team_products). */
static int on_caller(void) { return 1; }

static const tsf_nn_backend onednn_fp32 = TSF_CPU_TABLE("cpu-onednn", sgemm_forward,
                                                         sgemm_backward, on_caller);
static const tsf_nn_backend onednn_bf16 = {
    TSF_CPU_OPS("cpu-onednn-bf16", bf16_forward, bf16_backward, on_caller),
    .workspace_create = ws_create, .workspace_free = ws_free, .workspace_update = ws_update,
    .matmul_forward_ws = ws_forward, .matmul_backward_ws = ws_backward,
};

/* oneDNN's ISA bits (dnnl_types.h): each ISA value includes the bits of
 * the ones it extends. */
static int has_isa(dnnl_cpu_isa_t want)
{
    return ((unsigned)dnnl_get_effective_cpu_isa() & (unsigned)want) == (unsigned)want;
}

const char *tsf_onednn_isa(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    static const struct {
        dnnl_cpu_isa_t isa;
        const char *name;
    } names[] = {
        {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"},
        {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
        {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"},
        {dnnl_cpu_isa_avx512_core, "avx512_core"},
        {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"},
        {dnnl_cpu_isa_avx2, "avx2"},
        {dnnl_cpu_isa_avx, "avx"},
        {dnnl_cpu_isa_sse41, "sse41"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (((unsigned)isa & (unsigned)names[i].isa) == (unsigned)names[i].isa) return names[i].name;
    return "none";
}

tsf_status tsf_nn_backend_onednn(tsf_precision precision, const tsf_nn_backend **out)
{
    *out = NULL;
    if (precision == TSF_PRECISION_BF16) {
        if (!has_isa(dnnl_cpu_isa_avx512_core_bf16))
            return tsf_set_error(TSF_EUNSUP, "--precision bf16 on the CPU needs AVX512_BF16 "
                                 "instructions, which this CPU lacks (oneDNN's ISA: %s); use "
                                 "--precision fp32", tsf_onednn_isa());
        *out = &onednn_bf16;
        return TSF_OK;
    }
    /* fp32: oneDNN's AVX-512 GEMM beats the AVX2 OpenBLAS kernels
     * (docs/neural.md, "Precision on the CPU"); below AVX-512 the
     * reference is as fast, and stays. */
    if (!has_isa(dnnl_cpu_isa_avx512_core))
        return tsf_set_error(TSF_EUNSUP, "oneDNN's fp32 GEMM is used from AVX-512 on (this "
                             "CPU: %s)", tsf_onednn_isa());
    *out = &onednn_fp32;
    return TSF_OK;
}
