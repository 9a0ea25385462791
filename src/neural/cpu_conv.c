/* CPU reference: the ops of dilated causal convolution networks (WaveNet,
 * van den Oord et al. 2016): dilated im2col and its adjoint, the gated
 * activation unit tanh(f) * sigmoid(g) and ReLU. */
#include <string.h>
#include "cpu_ops.h"

// inp (B,T,C) -> col (B,T,KW*C): tap j of position t is position t - j*dil
void tsf_cpu_dilated_im2col(float *col, const float *inp, size_t B, size_t T, size_t C,
                            size_t KW, size_t dil)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            float *dst = col + (b * T + t) * KW * C;
            for (size_t j = 0; j < KW; j++) {
                if (t >= j * dil)
                    memcpy(dst + j * C, inp + (b * T + t - j * dil) * C, C * sizeof *dst);
                else
                    memset(dst + j * C, 0, C * sizeof *dst);
            }
        }
}

// dcol (B,T,KW*C) -> dinp (B,T,C) (+=)
void tsf_cpu_dilated_col2im(float *dinp, const float *dcol, size_t B, size_t T, size_t C,
                            size_t KW, size_t dil)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            const float *src = dcol + (b * T + t) * KW * C;
            for (size_t j = 0; j < KW && t >= j * dil; j++) {
                float *d = dinp + (b * T + t - j * dil) * C;
                for (size_t c = 0; c < C; c++) d[c] += src[j * C + c];
            }
        }
}

// z (N,2C) = [f | g] -> out (N,C) = tanh(f) sigmoid(g)
TSF_SIMD_CLONES
void tsf_cpu_gated_forward(float *out, const float *z, size_t N, size_t C)
{
    for (size_t i = 0; i < N; i++) {
        const float *f = z + i * 2 * C, *g = f + C;
        float *o = out + i * C;
#pragma omp simd
        for (size_t c = 0; c < C; c++) o[c] = tsf_tanhf(f[c]) * tsf_sigmoidf(g[c]);
    }
}

// dout (N,C) -> dz (N,2C) (overwritten)
TSF_SIMD_CLONES
void tsf_cpu_gated_backward(float *dz, const float *z, const float *dout, size_t N, size_t C)
{
    for (size_t i = 0; i < N; i++) {
        const float *f = z + i * 2 * C, *g = f + C, *d = dout + i * C;
        float *df = dz + i * 2 * C, *dg = df + C;
#pragma omp simd
        for (size_t c = 0; c < C; c++) {
            float th = tsf_tanhf(f[c]), sg = tsf_sigmoidf(g[c]);
            df[c] = d[c] * sg * (1.0f - th * th);
            dg[c] = d[c] * th * sg * (1.0f - sg);
        }
    }
}

void tsf_cpu_relu_forward(float *out, const float *inp, size_t N)
{
    for (size_t i = 0; i < N; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void tsf_cpu_relu_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
    for (size_t i = 0; i < N; i++)
        if (inp[i] > 0.0f) dinp[i] += dout[i];
}
