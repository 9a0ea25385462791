/* The ABI between libtsf and the dlopen'ed CUDA module libtsf_cuda.so.
 * The library looks up TSF_CUDA_ENTRY and calls it; a mismatch of the ABI
 * version or of sizeof(tsf_nn_backend) (a module from another build) is
 * refused rather than called through a wrong table. */
#ifndef TSF_NEURAL_CUDA_ABI_H
#define TSF_NEURAL_CUDA_ABI_H

#include <stddef.h>
#include "backend.h"

/* 2: ops appended for wavenet and the mixture/binned heads (backend.h);
 * 3: additive attention, head_draw (sampling on the device), the sparse
 *    attention ops;
 * 4: attention_step_shared (shared-prefix sampling); the training pass's
 *    workspace (workspace_*, matmul_*_ws) */
#define TSF_CUDA_ABI 4
#define TSF_CUDA_ENTRY "tsf_cuda_module_open"
#define TSF_CUDA_MODULE_NAME "libtsf_cuda.so"

/* Return codes of the entry point. */
enum { TSF_CUDA_OK = 0, TSF_CUDA_NODEV = 1, TSF_CUDA_NOMEM = 2, TSF_CUDA_ABI_MISMATCH = 3 };

/* precision: 0 fp32, 1 tf32, 2 bf16 (tsf_precision's values).  On failure
 * msg (len bytes) says why. */
typedef int (*tsf_cuda_open_fn)(int abi, size_t table_size, int precision,
                                const tsf_nn_backend **out, char *msg, size_t len);

#endif
