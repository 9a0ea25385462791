/* CPU reference: causal multi-head attention with ALiBi position biases
 * (Press, Smith & Lewis 2022) over a sliding window of W positions.  The
 * bias depends only on the distance i - j, so a KV cache that keeps the
 * last W keys/values reproduces the full pass exactly (attention_step). */
#include <math.h>
#include <string.h>
#include "cpu_ops.h"

/* Head h's slope: 2^(-8(h+1)/NH), the geometric sequence of the paper. */
static float alibi_slope(size_t h, size_t NH)
{
    return exp2f(-8.0f * (float)(h + 1) / (float)NH);
}

// qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,T)
void tsf_cpu_attention_forward(float *out, float *att, const float *qkv, size_t B, size_t T,
                               size_t C, size_t NH, size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs);
#pragma omp parallel for collapse(2) schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            float m = alibi_slope(h, NH);
            for (size_t t = 0; t < T; t++) {
                const float *q = qkv + (b * T + t) * 3 * C + h * hs;
                float *a = att + ((b * NH + h) * T + t) * T;
                size_t lo = t + 1 > W ? t + 1 - W : 0;
                float mx = -INFINITY;
                for (size_t j = lo; j <= t; j++) {
                    const float *k = qkv + (b * T + j) * 3 * C + C + h * hs;
                    float s = 0.0f;
                    for (size_t i = 0; i < hs; i++) s += q[i] * k[i];
                    s = s * sc - m * (float)(t - j);
                    a[j] = s;
                    if (s > mx) mx = s;
                }
                float sum = 0.0f;
                for (size_t j = lo; j <= t; j++) {
                    a[j] = expf(a[j] - mx);
                    sum += a[j];
                }
                float inv = 1.0f / sum;
                memset(a, 0, lo * sizeof *a);
                for (size_t j = lo; j <= t; j++) a[j] *= inv;
                memset(a + t + 1, 0, (T - t - 1) * sizeof *a);
                float *o = out + (b * T + t) * C + h * hs;
                memset(o, 0, hs * sizeof *o);
                for (size_t j = lo; j <= t; j++) {
                    const float *v = qkv + (b * T + j) * 3 * C + 2 * C + h * hs;
                    for (size_t i = 0; i < hs; i++) o[i] += a[j] * v[i];
                }
            }
        }
}

// dout (B,T,C) -> dqkv (B,T,3C) +=; datt (B,NH,T,T) scratch
void tsf_cpu_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                                const float *att, size_t B, size_t T, size_t C, size_t NH,
                                size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs);
#pragma omp parallel for collapse(2) schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++)
            for (size_t t = 0; t < T; t++) {
                const float *a = att + ((b * NH + h) * T + t) * T;
                float *da = datt + ((b * NH + h) * T + t) * T;
                const float *d = dout + (b * T + t) * C + h * hs;
                const float *q = qkv + (b * T + t) * 3 * C + h * hs;
                float *dq = dqkv + (b * T + t) * 3 * C + h * hs;
                size_t lo = t + 1 > W ? t + 1 - W : 0;
                /* out = sum_j a_j v_j */
                float dot = 0.0f;
                for (size_t j = lo; j <= t; j++) {
                    const float *v = qkv + (b * T + j) * 3 * C + 2 * C + h * hs;
                    float *dv = dqkv + (b * T + j) * 3 * C + 2 * C + h * hs;
                    float s = 0.0f;
                    for (size_t i = 0; i < hs; i++) {
                        s += d[i] * v[i];
                        dv[i] += a[j] * d[i];
                    }
                    da[j] = s;
                    dot += a[j] * s;
                }
                /* softmax backward, then the scaled dot product */
                for (size_t j = lo; j <= t; j++) {
                    float dp = a[j] * (da[j] - dot) * sc;
                    const float *k = qkv + (b * T + j) * 3 * C + C + h * hs;
                    float *dk = dqkv + (b * T + j) * 3 * C + C + h * hs;
                    for (size_t i = 0; i < hs; i++) {
                        dq[i] += dp * k[i];
                        dk[i] += dp * q[i];
                    }
                }
            }
}

// q (B,C) at position pos, kc/vc (B,W,C) rings -> out (B,C); scratch (W)
void tsf_cpu_attention_step(float *out, const float *q, const float *kc, const float *vc,
                            size_t B, size_t C, size_t NH, size_t W, size_t pos, float *scratch)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs);
    size_t lo = pos + 1 > W ? pos + 1 - W : 0;
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            float m = alibi_slope(h, NH);
            const float *qq = q + b * C + h * hs;
            float mx = -INFINITY;
            for (size_t j = lo; j <= pos; j++) {
                const float *k = kc + (b * W + j % W) * C + h * hs;
                float s = 0.0f;
                for (size_t i = 0; i < hs; i++) s += qq[i] * k[i];
                s = s * sc - m * (float)(pos - j);
                scratch[j - lo] = s;
                if (s > mx) mx = s;
            }
            float sum = 0.0f;
            for (size_t j = lo; j <= pos; j++) {
                scratch[j - lo] = expf(scratch[j - lo] - mx);
                sum += scratch[j - lo];
            }
            float inv = 1.0f / sum;
            for (size_t j = lo; j <= pos; j++) scratch[j - lo] *= inv;
            float *o = out + b * C + h * hs;
            memset(o, 0, hs * sizeof *o);
            for (size_t j = lo; j <= pos; j++) {
                const float *v = vc + (b * W + j % W) * C + h * hs;
                for (size_t i = 0; i < hs; i++) o[i] += scratch[j - lo] * v[i];
            }
        }
}
