/* The CPU reference backend's table. */
#include <stdlib.h>
#include <string.h>
#include "cpu_ops.h"

/* Memory: host memory, so these are the C library's. */
static float *cpu_alloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
static void cpu_free(float *p) { free(p); }
static void cpu_copy2d(float *dst, size_t dpitch, const float *src, size_t spitch, size_t width,
                       size_t rows)
{
    for (size_t i = 0; i < rows; i++) memcpy(dst + i * dpitch, src + i * spitch, width * sizeof *dst);
}
static int cpu_sync(char *msg, size_t len)
{
    if (msg && len) msg[0] = '\0';
    return 0;
}

static const tsf_nn_backend cpu = {
    .name = "cpu",
    .matmul_forward = tsf_cpu_matmul_forward,
    .matmul_backward = tsf_cpu_matmul_backward,
    .layernorm_forward = tsf_cpu_layernorm_forward,
    .layernorm_backward = tsf_cpu_layernorm_backward,
    .gelu_forward = tsf_cpu_gelu_forward,
    .gelu_backward = tsf_cpu_gelu_backward,
    .residual_forward = tsf_cpu_residual_forward,
    .gru_forward = tsf_cpu_gru_forward,
    .gru_backward = tsf_cpu_gru_backward,
    .lstm_forward = tsf_cpu_lstm_forward,
    .lstm_backward = tsf_cpu_lstm_backward,
    .attention_forward = tsf_cpu_attention_forward,
    .attention_backward = tsf_cpu_attention_backward,
    .attention_step = tsf_cpu_attention_step,
    .head_loss = tsf_cpu_head_loss,
    .head_params = tsf_cpu_head_params,
    .sumsq = tsf_cpu_sumsq,
    .scale = tsf_cpu_scale,
    .adamw_update = tsf_cpu_adamw_update,
    .on_device = 0,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = tsf_cpu_copy,
    .download = tsf_cpu_copy,
    .copy = tsf_cpu_copy,
    .copy2d = cpu_copy2d,
    .zero = tsf_cpu_zero,
    .sync = cpu_sync,
    .dilated_im2col = tsf_cpu_dilated_im2col,
    .dilated_col2im = tsf_cpu_dilated_col2im,
    .gated_forward = tsf_cpu_gated_forward,
    .gated_backward = tsf_cpu_gated_backward,
    .relu_forward = tsf_cpu_relu_forward,
    .relu_backward = tsf_cpu_relu_backward,
    .mixture_loss = tsf_cpu_mixture_loss,
    .binned_loss = tsf_cpu_binned_loss,
    .additive_forward = tsf_cpu_additive_forward,
    .additive_backward = tsf_cpu_additive_backward,
    .additive_step = tsf_cpu_additive_step,
    .head_draw = tsf_cpu_head_draw,
    .sparse_attention_forward = tsf_cpu_sparse_attention_forward,
    .sparse_attention_backward = tsf_cpu_sparse_attention_backward,
    .sparse_attention_step = tsf_cpu_sparse_attention_step,
};

const tsf_nn_backend *tsf_nn_backend_cpu(void) { return &cpu; }
