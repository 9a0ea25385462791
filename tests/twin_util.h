/* Helpers of the host twins of the CUDA kernels (test_kernel_math.c,
 * test_kernel_attention.c): arrays, normalised errors, and the warp's
 * xor-butterfly reductions (tk_warp_sum / tk_warp_max in gpu/cuda_ctx.cuh). */
#ifndef TSF_TESTS_TWIN_UTIL_H
#define TSF_TESTS_TWIN_UTIL_H

#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static gsl_rng *rng;

/* The group fixtures of every twin test file: rng seeded with the file's
 * TWIN_SEED (defined before this header is included). */
#ifdef TWIN_SEED
static int setup(void **state)
{
    (void)state;
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng) gsl_rng_set(rng, TWIN_SEED);
    return rng ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gsl_rng_free(rng);
    return 0;
}
#endif

static inline float *fa(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static inline void randn(float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)gsl_ran_gaussian(rng, sd);
}

/* ||a - b|| / ||b|| (b == 0: ||a - b||) */
static inline double nerr(const float *a, const float *b, size_t n)
{
    double e = 0.0, r = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        e += d * d;
        r += (double)b[i] * b[i];
    }
    return r > 0.0 ? sqrt(e / r) : sqrt(e);
}

#define assert_nerr(a, b, n, tol)                                                            \
    do {                                                                                     \
        double e_ = nerr(a, b, n);                                                           \
        if (!(e_ <= (tol))) fail_msg("%s vs %s: normalised error %.3g > %.3g", #a, #b, e_,   \
                                     (double)(tol));                                         \
    } while (0)

/* ---- warp emulation: tk_warp_sum / tk_warp_max's xor butterfly ---- */
static inline float warp_sum(float v[32])
{
    for (int o = 16; o > 0; o >>= 1) {
        float n[32];
        for (int l = 0; l < 32; l++) n[l] = v[l] + v[l ^ o];
        memcpy(v, n, sizeof n);
    }
    return v[0];
}

static inline float warp_max(float v[32])
{
    for (int o = 16; o > 0; o >>= 1) {
        float n[32];
        for (int l = 0; l < 32; l++) n[l] = fmaxf(v[l], v[l ^ o]);
        memcpy(v, n, sizeof n);
    }
    return v[0];
}

#endif
