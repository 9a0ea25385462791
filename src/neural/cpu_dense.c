/* CPU reference: dense ops (linear maps through CBLAS sgemm, LayerNorm,
 * GELU, residual add) and the optimiser's vector ops. */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "cpu_ops.h"

// inp (BT,C) @ weight (OC,C)^T + bias (OC) -> out (BT,OC)
void tsf_cpu_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                            size_t BT, size_t C, size_t OC)
{
    if (bias)
        for (size_t i = 0; i < BT; i++) memcpy(out + i * OC, bias, OC * sizeof *out);
    if (BT == 1) { /* one row (streaming, B = 1): a matrix-vector product */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)OC, (int)C, 1.0f, weight, (int)C, inp, 1,
                    bias ? 1.0f : 0.0f, out, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)BT, (int)OC, (int)C, 1.0f, inp,
                (int)C, weight, (int)C, bias ? 1.0f : 0.0f, out, (int)OC);
}

// dout (BT,OC) -> dinp (BT,C) +=, dweight (OC,C) +=, dbias (OC) +=
void tsf_cpu_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, size_t BT, size_t C,
                             size_t OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)BT, (int)C, (int)OC, 1.0f,
                    dout, (int)OC, weight, (int)C, 1.0f, dinp, (int)C);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)BT, 1.0f,
                    dout, (int)OC, inp, (int)C, 1.0f, dweight, (int)C);
    if (dbias)
        for (size_t i = 0; i < BT; i++) {
            const float *d = dout + i * OC;
#pragma omp simd
            for (size_t o = 0; o < OC; o++) dbias[o] += d[o];
        }
}

// inp (BT,C) -> out (BT,C), mean (BT), rstd (BT)   (Ba, Kiros & Hinton 2016)
void tsf_cpu_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                               const float *weight, const float *bias, size_t BT, size_t C)
{
    const float eps = 1e-5f;
    for (size_t i = 0; i < BT; i++) {
        const float *x = inp + i * C;
        float m = 0.0f, v = 0.0f;
#pragma omp simd reduction(+ : m)
        for (size_t c = 0; c < C; c++) m += x[c];
        m /= (float)C;
#pragma omp simd reduction(+ : v)
        for (size_t c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
        v /= (float)C;
        float s = 1.0f / sqrtf(v + eps);
        float *o = out + i * C;
#pragma omp simd
        for (size_t c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        if (mean) mean[i] = m;
        if (rstd) rstd[i] = s;
    }
}

// dout (BT,C) -> dinp (BT,C) +=, dweight (C) +=, dbias (C) +=
void tsf_cpu_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                const float *inp, const float *weight, const float *mean,
                                const float *rstd, size_t BT, size_t C)
{
    for (size_t i = 0; i < BT; i++) {
        const float *d = dout + i * C, *x = inp + i * C;
        float m = mean[i], s = rstd[i];
        /* d xhat = dout * w;  dx = s * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
        float dmean = 0.0f, dnx = 0.0f;
#pragma omp simd reduction(+ : dmean, dnx)
        for (size_t c = 0; c < C; c++) {
            float xh = (x[c] - m) * s, dxh = weight[c] * d[c];
            dmean += dxh;
            dnx += dxh * xh;
        }
        dmean /= (float)C;
        dnx /= (float)C;
        /* one loop per output, so that each vectorises (same bits) */
        if (dbias)
#pragma omp simd
            for (size_t c = 0; c < C; c++) dbias[c] += d[c];
        if (dweight)
#pragma omp simd
            for (size_t c = 0; c < C; c++) dweight[c] += (x[c] - m) * s * d[c];
        if (dinp) {
            float *di = dinp + i * C;
#pragma omp simd
            for (size_t c = 0; c < C; c++)
                di[c] += s * (weight[c] * d[c] - dmean - (x[c] - m) * s * dnx);
        }
    }
}

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

// inp (N) -> out (N)
TSF_SIMD_CLONES
void tsf_cpu_gelu_forward(float *out, const float *inp, size_t N)
{
#pragma omp simd
    for (size_t i = 0; i < N; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tsf_tanhf(GELU_K * (x + 0.044715f * x * x * x)));
    }
}

// dout (N) -> dinp (N) +=
TSF_SIMD_CLONES
void tsf_cpu_gelu_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
#pragma omp simd
    for (size_t i = 0; i < N; i++) {
        float x = inp[i];
        float u = GELU_K * (x + 0.044715f * x * x * x);
        float t = tsf_tanhf(u);
        float sech2 = 1.0f - t * t;
        float g = 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += g * dout[i];
    }
}

// a (N) + b (N) -> out (N)
void tsf_cpu_residual_forward(float *out, const float *a, const float *b, size_t N)
{
#pragma omp simd
    for (size_t i = 0; i < N; i++) out[i] = a[i] + b[i];
}

double tsf_cpu_sumsq(const float *g, size_t N)
{
    double s = 0.0;
    for (size_t i = 0; i < N; i++) s += (double)g[i] * g[i];
    return s;
}

void tsf_cpu_scale(float *x, float a, size_t N)
{
    for (size_t i = 0; i < N; i++) x[i] *= a;
}

// params, grads, m, v (N): AdamW, Loshchilov & Hutter 2019, Algorithm 2
TSF_SIMD_CLONES
void tsf_cpu_adamw_update(float *params, const float *grads, float *m, float *v, size_t N,
                          float lr, float beta1, float beta2, float eps, float weight_decay, int t)
{
    float c1 = 1.0f - powf(beta1, (float)t), c2 = 1.0f - powf(beta2, (float)t);
#pragma omp simd
    for (size_t i = 0; i < N; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float mh = m[i] / c1, vh = v[i] / c2;
        params[i] -= lr * (mh / (sqrtf(vh) + eps) + weight_decay * params[i]);
    }
}

void tsf_cpu_copy(float *dst, const float *src, size_t N) { memmove(dst, src, N * sizeof *dst); }

void tsf_cpu_zero(float *x, size_t N) { memset(x, 0, N * sizeof *x); }
