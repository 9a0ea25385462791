/* The CPU reference backend's table. */
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "cpu_ops.h"

/* Memory: host memory, so these are the C library's. */
float *tsf_cpu_alloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
void tsf_cpu_free(float *p) { free(p); }
void tsf_cpu_copy2d(float *dst, size_t dpitch, const float *src, size_t spitch, size_t width,
                    size_t rows)
{
    for (size_t i = 0; i < rows; i++) memcpy(dst + i * dpitch, src + i * spitch, width * sizeof *dst);
}
int tsf_cpu_sync(char *msg, size_t len)
{
    if (msg && len) msg[0] = '\0';
    return 0;
}

/* OpenBLAS's products run on the caller's thread when it has one thread
 * (backend.h, team_products). */
static int blas_on_caller(void) { return openblas_get_num_threads() == 1; }

static const tsf_nn_backend cpu = TSF_CPU_TABLE("cpu", tsf_cpu_matmul_forward,
                                                tsf_cpu_matmul_backward, blas_on_caller);

const tsf_nn_backend *tsf_nn_backend_cpu(void) { return &cpu; }
