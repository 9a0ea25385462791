/* The CPU reference backend's table. */
#include "cpu_ops.h"

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
    .copy = tsf_cpu_copy,
    .zero = tsf_cpu_zero,
    .sumsq = tsf_cpu_sumsq,
    .scale = tsf_cpu_scale,
    .adamw_update = tsf_cpu_adamw_update,
};

const tsf_nn_backend *tsf_nn_backend_cpu(void) { return &cpu; }
