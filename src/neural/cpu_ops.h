/* The CPU reference backend's ops (see backend.h for the contracts). */
#ifndef TSF_NEURAL_CPU_OPS_H
#define TSF_NEURAL_CPU_OPS_H

#include <math.h>
#include "backend.h"

/* tanh through expf (glibc's tanhf goes through the much slower expm1f):
 * tanh(x) = 2 / (1 + exp(-2x)) - 1, exact in real arithmetic, within a
 * few 1e-8 absolutely in fp32; overflow of expf gives the right limits. */
static inline float tsf_tanhf(float x) { return 2.0f / (1.0f + expf(-2.0f * x)) - 1.0f; }

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
double tsf_cpu_sumsq(const float *g, size_t N);
void tsf_cpu_scale(float *x, float a, size_t N);
void tsf_cpu_adamw_update(float *params, const float *grads, float *m, float *v, size_t N,
                          float lr, float beta1, float beta2, float eps, float weight_decay,
                          int t);

#endif
