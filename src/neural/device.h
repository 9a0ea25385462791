/* Backend selection: the CPU reference or the CUDA backend, which lives in
 * a separate module (libtsf_cuda.so) loaded with dlopen on first use so
 * that programs that never touch a GPU never pay for cudart/cuBLAS. */
#ifndef TSF_NEURAL_DEVICE_H
#define TSF_NEURAL_DEVICE_H

#include "tsf/model.h"
#include "backend.h"

/* TSF_DEVICE_CPU: the CPU backend for the precision: fp32 through
 * oneDNN's GEMMs where offered (onednn.h), else the OpenBLAS reference;
 * bf16 through oneDNN, or TSF_EUNSUP (no oneDNN, no AVX512_BF16); tf32 is
 * TSF_EUNSUP (a GPU format).  TSF_DEVICE_CUDA: the CUDA backend for the
 * precision, or TSF_ENODEV with a message when the module, the driver or
 * a GPU is missing.  TSF_DEVICE_AUTO: the CPU's answer for now (see
 * device.c). */
tsf_status tsf_nn_backend_get(tsf_device device, tsf_precision precision,
                              const tsf_nn_backend **out);

#endif
