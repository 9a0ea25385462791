/* Kernels of dilated causal convolution networks (wavenet): dilated
 * im2col and its adjoint, the gated unit, ReLU.  The convolutions
 * themselves are im2col + the GEMMs of cuda_gemm.cu.  Per-element math in
 * kernel_math.h (tested on the host by tests/test_kernel_math.c). */
#include "cuda_ctx.cuh"
#include "kernel_math.h"


/* one thread per col element (b, t, j, c): col = inp[b, t - j dil, c] or 0 */
__global__ void k_im2col(float *col, const float *inp, size_t B, size_t T, size_t C, size_t KW,
                         size_t dil)
{
    GRID_STRIDE(i, B * T * KW * C)
    {
        size_t c = i % C, j = (i / C) % KW, bt = i / (C * KW), t = bt % T;
        col[i] = t >= j * dil ? inp[(bt - j * dil) * C + c] : 0.0f;
    }
}

/* one thread per inp element (b, t, c), gathering its KW uses: no atomics */
__global__ void k_col2im(float *dinp, const float *dcol, size_t B, size_t T, size_t C, size_t KW,
                         size_t dil)
{
    GRID_STRIDE(i, B * T * C)
    {
        size_t c = i % C, bt = i / C, t = bt % T;
        float acc = 0.0f;
        for (size_t j = 0; j < KW && t + j * dil < T; j++)
            acc += dcol[((bt + j * dil) * KW + j) * C + c];
        dinp[i] += acc;
    }
}

__global__ void k_gated_fwd(float *out, const float *z, size_t N, size_t C)
{
    GRID_STRIDE(i, N * C)
    {
        size_t r = i / C, c = i % C;
        out[i] = tk_gated_fwd(z[r * 2 * C + c], z[r * 2 * C + C + c]);
    }
}

__global__ void k_gated_bwd(float *dz, const float *z, const float *dout, size_t N, size_t C)
{
    GRID_STRIDE(i, N * C)
    {
        size_t r = i / C, c = i % C;
        tk_gated_bwd(z[r * 2 * C + c], z[r * 2 * C + C + c], dout[i], &dz[r * 2 * C + c],
                     &dz[r * 2 * C + C + c]);
    }
}

__global__ void k_relu_fwd(float *out, const float *inp, size_t n)
{
    GRID_STRIDE(i, n) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

__global__ void k_relu_bwd(float *dinp, const float *inp, const float *dout, size_t n)
{
    GRID_STRIDE(i, n) if (inp[i] > 0.0f) dinp[i] += dout[i];
}

void tk_dilated_im2col(float *col, const float *inp, size_t B, size_t T, size_t C, size_t KW,
                       size_t dil)
{
    LAUNCH(k_im2col, B * T * KW * C, "dilated_im2col", col, inp, B, T, C, KW, dil);
}
void tk_dilated_col2im(float *dinp, const float *dcol, size_t B, size_t T, size_t C, size_t KW,
                       size_t dil)
{
    LAUNCH(k_col2im, B * T * C, "dilated_col2im", dinp, dcol, B, T, C, KW, dil);
}
void tk_gated_forward(float *out, const float *z, size_t N, size_t C)
{
    LAUNCH(k_gated_fwd, N * C, "gated_forward", out, z, N, C);
}
void tk_gated_backward(float *dz, const float *z, const float *dout, size_t N, size_t C)
{
    LAUNCH(k_gated_bwd, N * C, "gated_backward", dz, z, dout, N, C);
}
void tk_relu_forward(float *out, const float *inp, size_t N)
{
    LAUNCH(k_relu_fwd, N, "relu_forward", out, inp, N);
}
void tk_relu_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
    LAUNCH(k_relu_bwd, N, "relu_backward", dinp, inp, dout, N);
}
