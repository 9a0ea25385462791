/* A stand-in for libtsf_cuda.so in host tests: the same entry point and
 * ABI checks, returning the emulated device backend (tests/emu_backend.c),
 * so the loader and the training loop's device branch run without a GPU. */
#include <stdio.h>
#include "neural/cuda_abi.h"
#include "emu_backend.h"

__attribute__((visibility("default"))) int
tsf_cuda_module_open(int abi, size_t table_size, int precision, const tsf_nn_backend **out,
                     char *msg, size_t len)
{
    *out = NULL;
    if (abi != TSF_CUDA_ABI || table_size != sizeof(tsf_nn_backend)) {
        snprintf(msg, len, "fake module ABI %d, library ABI %d", TSF_CUDA_ABI, abi);
        return TSF_CUDA_ABI_MISMATCH;
    }
    (void)precision;
    *out = &tsf_emu_backend;
    return TSF_CUDA_OK;
}
