/* CPU reference: GRU and LSTM cell gate math.  The input and recurrent
 * linear maps are separate matmul ops (batched over time for the input
 * side), so only the elementwise gate math lives here. */
#include <math.h>
#include "cpu_ops.h"


/* GRU, Cho et al. 2014 eqs. 5-8 in PyTorch's form (the reset gate scales
 * W_hn h + b_hn):  r = s(xr+hr), z = s(xz+hz), n = tanh(xn + r*hn),
 * h = (1-z)*n + z*h_prev. */
// xg (B,3H), hg (B,3H), h_prev (B,H) -> h (B,H), gates (B,3H)
TSF_SIMD_CLONES
void tsf_cpu_gru_forward(float *h, float *gates, const float *xg, const float *hg,
                         const float *h_prev, size_t B, size_t H)
{
    for (size_t b = 0; b < B; b++) {
        const float *x = xg + b * 3 * H, *g = hg + b * 3 * H;
        float *gt = gates + b * 3 * H, *hb = h + b * H;
        const float *hp = h_prev + b * H;
#pragma omp simd
        for (size_t j = 0; j < H; j++) {
            float r = tsf_sigmoidf(x[j] + g[j]);
            float z = tsf_sigmoidf(x[H + j] + g[H + j]);
            float n = tsf_tanhf(x[2 * H + j] + r * g[2 * H + j]);
            gt[j] = r;
            gt[H + j] = z;
            gt[2 * H + j] = n;
            hb[j] = (1.0f - z) * n + z * hp[j];
        }
    }
}

// dh (B,H) -> dxg (B,3H), dhg (B,3H), dh_prev (B,H) +=
TSF_SIMD_CLONES
void tsf_cpu_gru_backward(float *dxg, float *dhg, float *dh_prev, const float *dh,
                          const float *gates, const float *hg, const float *h_prev, size_t B,
                          size_t H)
{
    for (size_t b = 0; b < B; b++) {
        const float *gt = gates + b * 3 * H, *g = hg + b * 3 * H, *d = dh + b * H;
        float *dx = dxg + b * 3 * H, *dg = dhg + b * 3 * H, *dp = dh_prev + b * H;
        const float *hpb = h_prev + b * H;
#pragma omp simd
        for (size_t j = 0; j < H; j++) {
            float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
            float hp = hpb[j];
            float dn = d[j] * (1.0f - z), dz = d[j] * (hp - n);
            dp[j] += d[j] * z;
            float dpn = dn * (1.0f - n * n);
            float dpr = dpn * g[2 * H + j] * r * (1.0f - r);
            float dpz = dz * z * (1.0f - z);
            dx[j] = dpr;
            dg[j] = dpr;
            dx[H + j] = dpz;
            dg[H + j] = dpz;
            dx[2 * H + j] = dpn;
            dg[2 * H + j] = dpn * r;
        }
    }
}

/* LSTM with a forget gate (Gers, Schmidhuber & Cummins 2000):
 * c = f*c_prev + i*g, h = o*tanh(c). */
// pre (B,4H), c_prev (B,H) -> h (B,H), c (B,H), gates (B,4H)
TSF_SIMD_CLONES
void tsf_cpu_lstm_forward(float *h, float *c, float *gates, const float *pre, const float *c_prev,
                          size_t B, size_t H)
{
    for (size_t b = 0; b < B; b++) {
        const float *p = pre + b * 4 * H;
        float *gt = gates + b * 4 * H;
#pragma omp simd
        for (size_t j = 0; j < H; j++) {
            float i = tsf_sigmoidf(p[j]), f = tsf_sigmoidf(p[H + j]), g = tsf_tanhf(p[2 * H + j]),
                  o = tsf_sigmoidf(p[3 * H + j]);
            float cp = c_prev[b * H + j];
            float cn = f * cp + i * g;
            gt[j] = i;
            gt[H + j] = f;
            gt[2 * H + j] = g;
            gt[3 * H + j] = o;
            c[b * H + j] = cn;
            h[b * H + j] = o * tsf_tanhf(cn);
        }
    }
}

// dh, dc (B,H) -> dpre (B,4H), dc_prev (B,H)
TSF_SIMD_CLONES
void tsf_cpu_lstm_backward(float *dpre, float *dc_prev, const float *dh, const float *dc,
                           const float *gates, const float *c, const float *c_prev, size_t B,
                           size_t H)
{
    for (size_t b = 0; b < B; b++) {
        const float *gt = gates + b * 4 * H;
        float *dp = dpre + b * 4 * H;
#pragma omp simd
        for (size_t j = 0; j < H; j++) {
            size_t k = b * H + j;
            float i = gt[j], f = gt[H + j], g = gt[2 * H + j], o = gt[3 * H + j];
            float tc = tsf_tanhf(c[k]);
            float cp = c_prev[k];
            float dct = dc[k] + dh[k] * o * (1.0f - tc * tc);
            dp[j] = dct * g * i * (1.0f - i);
            dp[H + j] = dct * cp * f * (1.0f - f);
            dp[2 * H + j] = dct * i * (1.0f - g * g);
            dp[3 * H + j] = dh[k] * tc * o * (1.0f - o);
            dc_prev[k] = dct * f;
        }
    }
}
