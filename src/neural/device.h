/* Backend selection: the CPU reference or the CUDA backend, which lives in
 * a separate module (libtsf_cuda.so) loaded with dlopen on first use so
 * that programs that never touch a GPU never pay for cudart/cuBLAS. */
#ifndef TSF_NEURAL_DEVICE_H
#define TSF_NEURAL_DEVICE_H

#include "tsf/model.h"
#include "backend.h"

/* TSF_DEVICE_CPU: the CPU backend (fp32 whatever the precision: TF32 and
 * BF16 are GPU tensor-core formats).  TSF_DEVICE_CUDA: the CUDA backend
 * for the precision, or TSF_ENODEV with a message when the module, the
 * driver or a GPU is missing.  TSF_DEVICE_AUTO: CUDA when usable, else
 * the CPU (never fails). */
tsf_status tsf_nn_backend_get(tsf_device device, tsf_precision precision,
                              const tsf_nn_backend **out);

#endif
