/* The oneDNN variant of the CPU backend (cpu_onednn.c; cpu_onednn_stub.c
 * when tsf is built without libdnnl). */
#ifndef TSF_NEURAL_ONEDNN_H
#define TSF_NEURAL_ONEDNN_H

#include "tsf/model.h"
#include "backend.h"

/* The CPU table with oneDNN GEMMs in the precision: TSF_PRECISION_FP32
 * (dnnl_sgemm, offered on CPUs with AVX-512) or TSF_PRECISION_BF16
 * (bfloat16 operands, fp32 accumulation; needs AVX512_BF16).  Returns
 * TSF_OK, or TSF_EUNSUP with a message saying why when oneDNN is absent
 * or the CPU lacks the instructions (*out NULL).  Thread-safe; the tables
 * are constant. */
tsf_status tsf_nn_backend_onednn(tsf_precision precision, const tsf_nn_backend **out);

/* The instruction set oneDNN uses on this CPU ("avx512_core_bf16", ...;
 * honours ONEDNN_MAX_CPU_ISA), "none" without oneDNN.  A static string. */
const char *tsf_onednn_isa(void);

#endif
