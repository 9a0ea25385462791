/* Elementwise and row-wise kernels: GELU, residual add, GRU/LSTM gate math,
 * LayerNorm, the distributional heads, the optimiser's vector ops.  All
 * per-element arithmetic is in kernel_math.h (tested on the host by
 * tests/test_kernel_math.c); these kernels only map threads to elements. */
#include "cuda_ctx.cuh"
#include "kernel_math.h"


/* ---- GELU, residual ---- */
__global__ void k_gelu_fwd(float *out, const float *inp, size_t n)
{
    GRID_STRIDE(i, n) out[i] = tk_gelu(inp[i]);
}
__global__ void k_gelu_bwd(float *dinp, const float *inp, const float *dout, size_t n)
{
    GRID_STRIDE(i, n) dinp[i] += tk_gelu_grad(inp[i]) * dout[i];
}
__global__ void k_add(float *out, const float *a, const float *b, size_t n)
{
    GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

void tk_gelu_forward(float *out, const float *inp, size_t N)
{
    LAUNCH(k_gelu_fwd, N, "gelu_forward", out, inp, N);
}
void tk_gelu_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
    LAUNCH(k_gelu_bwd, N, "gelu_backward", dinp, inp, dout, N);
}
void tk_residual_forward(float *out, const float *a, const float *b, size_t N)
{
    LAUNCH(k_add, N, "residual_forward", out, a, b, N);
}

/* ---- GRU / LSTM: one thread per (b, j) ---- */
__global__ void k_gru_fwd(float *h, float *gates, const float *xg, const float *hg,
                          const float *h_prev, size_t B, size_t H)
{
    GRID_STRIDE(i, B * H)
    {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        float r, z, n;
        h[i] = tk_gru_fwd(xg[g], xg[g + H], xg[g + 2 * H], hg[g], hg[g + H], hg[g + 2 * H],
                          h_prev ? h_prev[i] : 0.0f, &r, &z, &n);
        gates[g] = r;
        gates[g + H] = z;
        gates[g + 2 * H] = n;
    }
}

__global__ void k_gru_bwd(float *dxg, float *dhg, float *dh_prev, const float *dh,
                          const float *gates, const float *hg, const float *h_prev, size_t B,
                          size_t H)
{
    GRID_STRIDE(i, B * H)
    {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        float r = gates[g], dpr, dpz, dpn;
        float dhp = tk_gru_bwd(dh[i], r, gates[g + H], gates[g + 2 * H], hg[g + 2 * H],
                               h_prev ? h_prev[i] : 0.0f, &dpr, &dpz, &dpn);
        if (dh_prev) dh_prev[i] += dhp;
        dxg[g] = dpr;
        dhg[g] = dpr;
        dxg[g + H] = dpz;
        dhg[g + H] = dpz;
        dxg[g + 2 * H] = dpn;
        dhg[g + 2 * H] = dpn * r;
    }
}

__global__ void k_lstm_fwd(float *h, float *c, float *gates, const float *pre,
                           const float *c_prev, size_t B, size_t H)
{
    GRID_STRIDE(k, B * H)
    {
        size_t b = k / H, j = k % H, g = b * 4 * H + j;
        float i, f, gg, o, cn;
        h[k] = tk_lstm_fwd(pre[g], pre[g + H], pre[g + 2 * H], pre[g + 3 * H],
                           c_prev ? c_prev[k] : 0.0f, &i, &f, &gg, &o, &cn);
        c[k] = cn;
        gates[g] = i;
        gates[g + H] = f;
        gates[g + 2 * H] = gg;
        gates[g + 3 * H] = o;
    }
}

__global__ void k_lstm_bwd(float *dpre, float *dc_prev, const float *dh, const float *dc,
                           const float *gates, const float *c, const float *c_prev, size_t B,
                           size_t H)
{
    GRID_STRIDE(k, B * H)
    {
        size_t b = k / H, j = k % H, g = b * 4 * H + j;
        float dpi, dpf, dpg, dpo;
        float dcp = tk_lstm_bwd(dh[k], dc ? dc[k] : 0.0f, gates[g], gates[g + H],
                                gates[g + 2 * H], gates[g + 3 * H], c[k],
                                c_prev ? c_prev[k] : 0.0f, &dpi, &dpf, &dpg, &dpo);
        dpre[g] = dpi;
        dpre[g + H] = dpf;
        dpre[g + 2 * H] = dpg;
        dpre[g + 3 * H] = dpo;
        if (dc_prev) dc_prev[k] = dcp;
    }
}

void tk_gru_forward(float *h, float *gates, const float *xg, const float *hg,
                    const float *h_prev, size_t B, size_t H)
{
    LAUNCH(k_gru_fwd, B * H, "gru_forward", h, gates, xg, hg, h_prev, B, H);
}
void tk_gru_backward(float *dxg, float *dhg, float *dh_prev, const float *dh, const float *gates,
                     const float *hg, const float *h_prev, size_t B, size_t H)
{
    LAUNCH(k_gru_bwd, B * H, "gru_backward", dxg, dhg, dh_prev, dh, gates, hg, h_prev, B, H);
}
void tk_lstm_forward(float *h, float *c, float *gates, const float *pre, const float *c_prev,
                     size_t B, size_t H)
{
    LAUNCH(k_lstm_fwd, B * H, "lstm_forward", h, c, gates, pre, c_prev, B, H);
}
void tk_lstm_backward(float *dpre, float *dc_prev, const float *dh, const float *dc,
                      const float *gates, const float *c, const float *c_prev, size_t B,
                      size_t H)
{
    LAUNCH(k_lstm_bwd, B * H, "lstm_backward", dpre, dc_prev, dh, dc, gates, c, c_prev, B, H);
}

/* ---- LayerNorm: one warp per row (two-pass statistics: the sum, then
 * the sum of squared deviations, as the CPU reference) ---- */
__global__ void k_ln_fwd(float *out, float *mean, float *rstd, const float *inp, const float *w,
                         const float *b, size_t BT, size_t C)
{
    size_t row = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= BT) return;
    const float *x = inp + row * C;
    float s = 0.0f;
    for (size_t c = lane; c < C; c += 32) s += x[c];
    float m = tk_warp_sum(s) / (float)C;
    s = 0.0f;
    for (size_t c = lane; c < C; c += 32) s += (x[c] - m) * (x[c] - m);
    float r = tk_ln_rstd(tk_warp_sum(s), (float)C);
    float *o = out + row * C;
    for (size_t c = lane; c < C; c += 32) o[c] = tk_ln_out(x[c], m, r, w[c], b[c]);
    if (lane == 0) {
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = r;
    }
}

__global__ void k_ln_bwd_dx(float *dinp, const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, size_t BT, size_t C)
{
    size_t row = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= BT) return;
    const float *d = dout + row * C, *x = inp + row * C;
    float m = mean[row], r = rstd[row], a = 0.0f, bsum = 0.0f;
    for (size_t c = lane; c < C; c += 32) {
        float dxh = w[c] * d[c];
        a += dxh;
        bsum += dxh * (x[c] - m) * r;
    }
    float md = tk_warp_sum(a) / (float)C, mdx = tk_warp_sum(bsum) / (float)C;
    for (size_t c = lane; c < C; c += 32)
        dinp[row * C + c] += tk_ln_dx(w[c] * d[c], (x[c] - m) * r, r, md, mdx);
}

/* dweight (C) += sum_rows xhat * dout, dbias (C) += sum_rows dout: as k_colsum */
__global__ void k_ln_bwd_dw(float *dw, float *db, const float *dout, const float *inp,
                            const float *mean, const float *rstd, size_t BT, size_t C)
{
    __shared__ float pw[8][33], pb[8][33];
    size_t c = blockIdx.x * 32 + threadIdx.x;
    float sw = 0.0f, sb = 0.0f;
    if (c < C)
        for (size_t r = blockIdx.y * 8 + threadIdx.y; r < BT; r += (size_t)gridDim.y * 8) {
            float d = dout[r * C + c];
            sw += (inp[r * C + c] - mean[r]) * rstd[r] * d;
            sb += d;
        }
    pw[threadIdx.y][threadIdx.x] = sw;
    pb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        for (int k = 1; k < 8; k++) {
            sw += pw[k][threadIdx.x];
            sb += pb[k][threadIdx.x];
        }
        if (dw) atomicAdd(dw + c, sw);
        if (db) atomicAdd(db + c, sb);
    }
}

void tk_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, size_t BT, size_t C)
{
    if (!BT) return;
    k_ln_fwd<<<tk_blocks(BT * 32, 256), 256, 0, cudaStreamPerThread>>>(out, mean, rstd, inp,
                                                                       weight, bias, BT, C);
    TK_LAUNCHED("layernorm_forward");
}

void tk_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, size_t BT, size_t C)
{
    if (!BT) return;
    if (dinp) {
        k_ln_bwd_dx<<<tk_blocks(BT * 32, 256), 256, 0, cudaStreamPerThread>>>(
            dinp, dout, inp, weight, mean, rstd, BT, C);
        TK_LAUNCHED("layernorm_backward (dx)");
    }
    if (dweight || dbias) {
        unsigned gy = (unsigned)((BT + 255) / 256);
        if (gy > 1024) gy = 1024;
        dim3 grid((unsigned)((C + 31) / 32), gy), block(32, 8);
        k_ln_bwd_dw<<<grid, block, 0, cudaStreamPerThread>>>(dweight, dbias, dout, inp, mean,
                                                             rstd, BT, C);
        TK_LAUNCHED("layernorm_backward (dw)");
    }
}

/* ---- heads: one thread per position, loss summed in double ---- */
__device__ __forceinline__ void block_sum_to(double *dst, double v)
{
    __shared__ double part[8];
    v = tk_warp_sumd(v);
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        double s = 0.0;
        for (unsigned k = 0; k < blockDim.x / 32; k++) s += part[k];
        atomicAdd(dst, s);
    }
}

__global__ void __launch_bounds__(256) k_head_loss(double *total, float *nll, float *dout,
                                                   const float *o, const float *y, size_t BT,
                                                   int student, float weight)
{
    size_t K = student ? 3 : 2;
    double acc = 0.0;
    GRID_STRIDE(i, BT)
    {
        const float *p = o + i * K;
        float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f;
        double l = 0.0;
        if (!isnan(y[i])) l = tk_head_nll(student, p[0], p[1], student ? p[2] : 0.0f, y[i],
                                          weight, &d0, &d1, &d2);
        acc += l;
        if (nll) nll[i] = (float)l;
        if (dout) {
            dout[i * K] = d0;
            dout[i * K + 1] = d1;
            if (student) dout[i * K + 2] = d2;
        }
    }
    block_sum_to(total, acc);
}

__global__ void k_head_params(float *mu, float *sigma, float *nu, const float *o, size_t BT,
                              int student)
{
    size_t K = student ? 3 : 2;
    GRID_STRIDE(i, BT)
    {
        mu[i] = o[i * K];
        sigma[i] = tk_head_sigma(o[i * K + 1]);
        if (nu) nu[i] = student ? tk_head_nu(o[i * K + 2]) : INFINITY;
    }
}

__global__ void __launch_bounds__(256) k_sumsq(double *total, const float *g, size_t n)
{
    double acc = 0.0;
    GRID_STRIDE(i, n) acc += (double)g[i] * g[i];
    block_sum_to(total, acc);
}

/* Launches a reduction into ctx->dsum and reads it back (one sync). */
static double reduce_result(tk_ctx *c)
{
    double r = 0.0;
    if (tk_check(cudaMemcpyAsync(&r, c->dsum, sizeof r, cudaMemcpyDeviceToHost,
                                 cudaStreamPerThread), "reduction readback"))
        tk_check(cudaStreamSynchronize(cudaStreamPerThread), "reduction readback");
    return r;
}

double tk_head_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                    tsf_nn_head head, float weight)
{
    tk_ctx *c = tk_get();
    if (!c || !BT) return 0.0;
    if (!tk_check(cudaMemsetAsync(c->dsum, 0, sizeof(double), cudaStreamPerThread), "memset"))
        return NAN;
    k_head_loss<<<tk_blocks(BT, 256), 256, 0, cudaStreamPerThread>>>(
        c->dsum, nll, dout, o, y, BT, head == TSF_NN_HEAD_STUDENT_T, weight);
    if (!TK_LAUNCHED("head_loss")) return NAN;
    return reduce_result(c);
}

void tk_head_params(float *mu, float *sigma, float *nu, const float *o, size_t BT,
                    tsf_nn_head head)
{
    LAUNCH(k_head_params, BT, "head_params", mu, sigma, nu, o, BT,
           head == TSF_NN_HEAD_STUDENT_T);
}

double tk_sumsq(const float *g, size_t N)
{
    tk_ctx *c = tk_get();
    if (!c || !N) return 0.0;
    if (!tk_check(cudaMemsetAsync(c->dsum, 0, sizeof(double), cudaStreamPerThread), "memset"))
        return NAN;
    k_sumsq<<<tk_blocks(N, 256), 256, 0, cudaStreamPerThread>>>(c->dsum, g, N);
    if (!TK_LAUNCHED("sumsq")) return NAN;
    return reduce_result(c);
}

/* ---- mixture and binned heads: one thread per position ---- */
__global__ void __launch_bounds__(256) k_mixture_loss(double *total, float *nll, float *dout,
                                                      const float *o, const float *y, size_t BT,
                                                      size_t M, float weight)
{
    double acc = 0.0;
    GRID_STRIDE(i, BT)
    {
        float *d = dout ? dout + i * 3 * M : NULL;
        double l = 0.0;
        if (!isnan(y[i]) && M <= 16) l = tk_mixture_nll(o + i * 3 * M, M, y[i], weight, d);
        else if (d)
            for (size_t k = 0; k < 3 * M; k++) d[k] = 0.0f;
        acc += l;
        if (nll) nll[i] = (float)l;
    }
    block_sum_to(total, acc);
}

__global__ void __launch_bounds__(256) k_binned_loss(double *total, float *nll, float *dout,
                                                     const float *o, const float *y, size_t BT,
                                                     size_t N, float lo, float hi, float weight)
{
    double acc = 0.0;
    GRID_STRIDE(i, BT)
    {
        float *d = dout ? dout + i * N : NULL;
        double l = 0.0;
        if (!isnan(y[i])) l = tk_binned_nll(o + i * N, N, y[i], lo, hi, weight, d);
        else if (d)
            for (size_t k = 0; k < N; k++) d[k] = 0.0f;
        acc += l;
        if (nll) nll[i] = (float)l;
    }
    block_sum_to(total, acc);
}

double tk_mixture_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                       size_t M, float weight)
{
    tk_ctx *c = tk_get();
    if (!c || !BT) return 0.0;
    if (!tk_check(cudaMemsetAsync(c->dsum, 0, sizeof(double), cudaStreamPerThread), "memset"))
        return NAN;
    k_mixture_loss<<<tk_blocks(BT, 256), 256, 0, cudaStreamPerThread>>>(c->dsum, nll, dout, o, y,
                                                                         BT, M, weight);
    if (!TK_LAUNCHED("mixture_loss")) return NAN;
    return reduce_result(c);
}

double tk_binned_loss(float *nll, float *dout, const float *o, const float *y, size_t BT,
                      size_t N, float lo, float hi, float weight)
{
    tk_ctx *c = tk_get();
    if (!c || !BT) return 0.0;
    if (!tk_check(cudaMemsetAsync(c->dsum, 0, sizeof(double), cudaStreamPerThread), "memset"))
        return NAN;
    k_binned_loss<<<tk_blocks(BT, 256), 256, 0, cudaStreamPerThread>>>(c->dsum, nll, dout, o, y,
                                                                        BT, N, lo, hi, weight);
    if (!TK_LAUNCHED("binned_loss")) return NAN;
    return reduce_result(c);
}

/* ---- sampling: one thread per row draws from its head (tk_head_draw,
 * the arithmetic tsf_cpu_head_draw runs on the host) ---- */
__global__ void __launch_bounds__(256) k_head_draw(double *z, const double *e, const float *o,
                                                   size_t B, size_t K, int head, size_t n,
                                                   float lo, float hi)
{
    GRID_STRIDE(b, B) z[b] = tk_head_draw(head, o + b * K, n, lo, hi, e[b]);
}

void tk_head_draw_op(double *z, const double *e, const float *o, size_t B, tsf_nn_head head,
                     size_t n, float lo, float hi)
{
    size_t K = head == TSF_NN_HEAD_MIXTURE  ? 3 * n
               : head == TSF_NN_HEAD_BINNED ? n
                                            : tsf_nn_head_k(head);
    LAUNCH(k_head_draw, B, "head_draw", z, e, o, B, K, (int)head, n, lo, hi);
}

/* ---- optimiser ---- */
__global__ void k_scale(float *x, float a, size_t n)
{
    GRID_STRIDE(i, n) x[i] *= a;
}

__global__ void k_adamw(float *p, const float *g, float *m, float *v, size_t n, float lr,
                        float b1, float b2, float eps, float wd, float c1, float c2)
{
    GRID_STRIDE(i, n)
    {
        float mi = m[i], vi = v[i];
        p[i] = tk_adamw(p[i], g[i], &mi, &vi, lr, b1, b2, eps, wd, c1, c2);
        m[i] = mi;
        v[i] = vi;
    }
}

void tk_scale(float *x, float a, size_t N) { LAUNCH(k_scale, N, "scale", x, a, N); }

void tk_adamw_update(float *params, const float *grads, float *m, float *v, size_t N, float lr,
                     float beta1, float beta2, float eps, float weight_decay, int t)
{
    /* bias corrections on the host in fp32, as tsf_cpu_adamw_update */
    float c1 = 1.0f - powf(beta1, (float)t), c2 = 1.0f - powf(beta2, (float)t);
    LAUNCH(k_adamw, N, "adamw_update", params, grads, m, v, N, lr, beta1, beta2, eps,
           weight_decay, c1, c2);
}
