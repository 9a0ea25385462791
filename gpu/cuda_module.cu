/* libtsf_cuda.so: the CUDA implementation of the op table of
 * src/neural/backend.h, loaded by src/neural/device.c with dlopen.  This
 * file holds the per-thread context, the memory ops, the three tables (one
 * per GEMM precision) and the one exported entry point. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cuda_ctx.cuh"
#include "neural/cuda_abi.h"

static thread_local tk_ctx ctx;

void tk_fail(const char *fmt, ...)
{
    if (ctx.failed) return;
    ctx.failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx.msg, sizeof ctx.msg, fmt, ap);
    va_end(ap);
}

int tk_check(cudaError_t e, const char *what)
{
    if (e == cudaSuccess) return 1;
    tk_fail("%s: %s", what, cudaGetErrorString(e));
    return 0;
}

int tk_check_blas(cublasStatus_t s, const char *what)
{
    if (s == CUBLAS_STATUS_SUCCESS) return 1;
    tk_fail("%s: %s", what, cublasGetStatusString(s));
    return 0;
}

tk_ctx *tk_get(void)
{
    if (ctx.ready) return &ctx;
    if (ctx.failed) return NULL;
    if (!tk_check_blas(cublasCreate(&ctx.blas), "cuBLAS initialisation")) return NULL;
    if (!tk_check_blas(cublasSetStream(ctx.blas, cudaStreamPerThread), "cublasSetStream"))
        return NULL;
    if (!tk_check(cudaMalloc(&ctx.dsum, sizeof(double)), "cudaMalloc (reduction scalar)"))
        return NULL;
    ctx.ready = 1;
    return &ctx;
}

/* ---- memory ---- */
static float *m_alloc(size_t n)
{
    void *p = NULL;
    if (cudaMalloc(&p, (n ? n : 1) * sizeof(float)) != cudaSuccess) {
        (void)cudaGetLastError(); /* out of memory is reported by the NULL, not sticky */
        return NULL;
    }
    if (!tk_check(cudaMemsetAsync(p, 0, (n ? n : 1) * sizeof(float), cudaStreamPerThread),
                  "cudaMemset")) {
        cudaFree(p);
        return NULL;
    }
    return (float *)p;
}

static void m_free(float *p)
{
    if (p) tk_check(cudaFree(p), "cudaFree");
}

static void m_upload(float *dst, const float *src, size_t n)
{
    if (n)
        tk_check(cudaMemcpyAsync(dst, src, n * sizeof *dst, cudaMemcpyHostToDevice,
                                 cudaStreamPerThread), "upload");
}

static void m_download(float *dst, const float *src, size_t n)
{
    if (!n) return;
    if (tk_check(cudaMemcpyAsync(dst, src, n * sizeof *dst, cudaMemcpyDeviceToHost,
                                 cudaStreamPerThread), "download"))
        tk_check(cudaStreamSynchronize(cudaStreamPerThread), "download");
}

static void m_copy(float *dst, const float *src, size_t n)
{
    if (n && dst != src)
        tk_check(cudaMemcpyAsync(dst, src, n * sizeof *dst, cudaMemcpyDeviceToDevice,
                                 cudaStreamPerThread), "device copy");
}

static void m_copy2d(float *dst, size_t dpitch, const float *src, size_t spitch, size_t width,
                     size_t rows)
{
    if (width && rows)
        tk_check(cudaMemcpy2DAsync(dst, dpitch * sizeof *dst, src, spitch * sizeof *src,
                                   width * sizeof *dst, rows, cudaMemcpyDeviceToDevice,
                                   cudaStreamPerThread), "device copy (2D)");
}

static void m_zero(float *p, size_t n)
{
    if (n) tk_check(cudaMemsetAsync(p, 0, n * sizeof *p, cudaStreamPerThread), "cudaMemset");
}

static int m_sync(char *msg, size_t len)
{
    tk_check(cudaStreamSynchronize(cudaStreamPerThread), "kernel execution");
    if (msg && len) snprintf(msg, len, "%s", ctx.failed ? ctx.msg : "");
    int failed = ctx.failed;
    ctx.failed = 0; /* reported once; a broken CUDA context fails again on its next call */
    return failed;
}

/* ---- the tables ---- */
static tsf_nn_backend make_table(int precision)
{
    tsf_nn_backend t;
    memset(&t, 0, sizeof t);
    static const char *names[3] = {"cuda-fp32", "cuda-tf32", "cuda-bf16"};
    t.name = names[precision];
    t.matmul_forward = precision == 2   ? tk_matmul_forward_bf16
                       : precision == 1 ? tk_matmul_forward_tf32
                                        : tk_matmul_forward_fp32;
    t.matmul_backward = precision == 2   ? tk_matmul_backward_bf16
                        : precision == 1 ? tk_matmul_backward_tf32
                                         : tk_matmul_backward_fp32;
    t.layernorm_forward = tk_layernorm_forward;
    t.layernorm_backward = tk_layernorm_backward;
    t.gelu_forward = tk_gelu_forward;
    t.gelu_backward = tk_gelu_backward;
    t.residual_forward = tk_residual_forward;
    t.gru_forward = tk_gru_forward;
    t.gru_backward = tk_gru_backward;
    t.lstm_forward = tk_lstm_forward;
    t.lstm_backward = tk_lstm_backward;
    t.attention_forward = tk_attention_forward;
    t.attention_backward = tk_attention_backward;
    t.attention_step = tk_attention_step;
    t.head_loss = tk_head_loss;
    t.head_params = tk_head_params;
    t.sumsq = tk_sumsq;
    t.scale = tk_scale;
    t.adamw_update = tk_adamw_update;
    t.on_device = 1;
    t.alloc = m_alloc;
    t.free = m_free;
    t.upload = m_upload;
    t.download = m_download;
    t.copy = m_copy;
    t.copy2d = m_copy2d;
    t.zero = m_zero;
    t.sync = m_sync;
    /* ABI 2 */
    t.dilated_im2col = tk_dilated_im2col;
    t.dilated_col2im = tk_dilated_col2im;
    t.gated_forward = tk_gated_forward;
    t.gated_backward = tk_gated_backward;
    t.relu_forward = tk_relu_forward;
    t.relu_backward = tk_relu_backward;
    t.mixture_loss = tk_mixture_loss;
    t.binned_loss = tk_binned_loss;
    /* ABI 3 */
    t.additive_forward = tk_additive_forward;
    t.additive_backward = tk_additive_backward;
    t.additive_step = tk_additive_step;
    t.head_draw = tk_head_draw_op;
    t.sparse_attention_forward = tk_sparse_attention_forward;
    t.sparse_attention_backward = tk_sparse_attention_backward;
    t.sparse_attention_step = tk_sparse_attention_step;
    /* ABI 4 */
    t.attention_step_shared = tk_attention_step_shared;
    /* ABI 4: workspace_create/free/update and matmul_*_ws stay NULL (the
     * memset above): the module keeps its own state in its context
     * (cuda_ctx.cuh: cuBLAS handle, grow-only bf16 staging buffer), so
     * the networks call matmul_forward/backward on it as before */
    return t;
}

static const tsf_nn_backend tables[3] = {make_table(0), make_table(1), make_table(2)};

extern "C" __attribute__((visibility("default"))) int
tsf_cuda_module_open(int abi, size_t table_size, int precision, const tsf_nn_backend **out,
                     char *msg, size_t len)
{
    *out = NULL;
    if (abi != TSF_CUDA_ABI || table_size != sizeof(tsf_nn_backend)) {
        snprintf(msg, len, "module ABI %d (table %zu bytes), library ABI %d (table %zu bytes)",
                 TSF_CUDA_ABI, sizeof(tsf_nn_backend), abi, table_size);
        return TSF_CUDA_ABI_MISMATCH;
    }
    if (precision < 0 || precision > 2) {
        snprintf(msg, len, "unknown precision %d", precision);
        return TSF_CUDA_NODEV;
    }
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(msg, len, "the CUDA runtime reports: %s (is the NVIDIA driver installed?)",
                 cudaGetErrorString(e));
        return TSF_CUDA_NODEV;
    }
    if (n == 0) {
        snprintf(msg, len, "no CUDA device is present");
        return TSF_CUDA_NODEV;
    }
    int dev = 0, major = 0;
    cudaGetDevice(&dev);
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    if (major < 8) {
        snprintf(msg, len, "GPU %d has compute capability %d.x; tsf's kernels need 8.0 or newer "
                 "(Ampere, Hopper)", dev, major);
        return TSF_CUDA_NODEV;
    }
    if (!tk_get()) {
        int oom = strstr(ctx.msg, "memory") || strstr(ctx.msg, "ALLOC");
        snprintf(msg, len, "%s", ctx.msg);
        ctx.failed = 0; /* a later call may succeed once memory is free */
        return oom ? TSF_CUDA_NOMEM : TSF_CUDA_NODEV;
    }
    *out = &tables[precision];
    return TSF_CUDA_OK;
}
