/* The batch-invariant product (src/neural/cpu_invariant.c) against the
 * OpenBLAS one the CPU backend trains with (tsf_cpu_matmul_forward: sgemm,
 * sgemv for one row), for bench/sampler.sh.  Usage: invariant_bench
 * Prints one JSON line per shape (OC outputs, C inputs) and row count M:
 * the CPU seconds per call of each and blas_s / invariant_s (above 1:
 * the invariant product is faster).  The shapes are the step's: d = 32
 * transformer (qkv 96x32, proj 32x32, fc 128x32, mlp proj 32x128), the
 * default wavenet (conv 64x64, 32x32), d = 256 (768x256, 1024x256,
 * 256x1024); M = 1 (streaming, the history), 200 (one step of 200 paths),
 * 6400 (the parallel pass: 200 paths x 32 positions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "neural/cpu_ops.h"
#include "bench_util.h"

typedef void (*mm_fn)(float *, const float *, const float *, const float *, size_t, size_t,
                      size_t);

static double per_call(mm_fn f, float *o, const float *x, const float *w, const float *b,
                       size_t M, size_t C, size_t OC)
{
    /* about 2e8 multiply-adds per timing, best of 3 */
    size_t reps = (size_t)(2e8 / ((double)M * (double)C * (double)OC)) + 1;
    double best = INFINITY;
    for (int k = 0; k < 3; k++) {
        double t0 = bench_cpu_now();
        for (size_t r = 0; r < reps; r++) f(o, x, w, b, M, C, OC);
        best = fmin(best, (bench_cpu_now() - t0) / (double)reps);
    }
    return best;
}

int main(void)
{
    static const size_t shapes[][2] = {{96, 32},  {32, 32},   {128, 32},  {32, 128}, {64, 64},
                                       {768, 256}, {1024, 256}, {256, 1024}};
    static const size_t rows[] = {1, 200, 6400};
    unsigned seed = 1;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        size_t OC = shapes[si][0], C = shapes[si][1];
        float *w = malloc(OC * C * sizeof *w), *b = malloc(OC * sizeof *b);
        float *x = malloc(6400 * C * sizeof *x), *o = malloc(6400 * OC * sizeof *o);
        if (!w || !b || !x || !o) return 1;
        for (size_t i = 0; i < OC * C; i++) w[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
        for (size_t i = 0; i < OC; i++) b[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
        for (size_t i = 0; i < 6400 * C; i++) x[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
        for (size_t ri = 0; ri < 3; ri++) {
            size_t M = rows[ri];
            if (M == 6400 && C >= 256) continue; /* d = 256 samples ancestrally */
            double tb = per_call(tsf_cpu_matmul_forward, o, x, w, b, M, C, OC);
            double ti = per_call(tsf_cpu_matmul_inv, o, x, w, b, M, C, OC);
            printf("{\"OC\": %zu, \"C\": %zu, \"M\": %zu, \"blas_s\": %.3e, \"invariant_s\": "
                   "%.3e, \"blas_over_invariant\": %.2f, \"fma\": %d}\n",
                   OC, C, M, tb, ti, tb / ti, tsf_cpu_fma());
            fflush(stdout);
        }
        free(w); free(b); free(x); free(o);
    }
    return 0;
}
