/* Built without oneDNN (meson -Donednn=disabled, or libdnnl-dev absent):
 * the CPU runs the OpenBLAS reference, and bf16 is refused. */
#include "core/internal.h"
#include "onednn.h"

tsf_status tsf_nn_backend_onednn(tsf_precision precision, const tsf_nn_backend **out)
{
    *out = NULL;
    return tsf_set_error(TSF_EUNSUP, "%sthis build of tsf has no oneDNN (install libdnnl-dev "
                         "and rebuild)%s",
                         precision == TSF_PRECISION_BF16 ? "--precision bf16 on the CPU needs "
                                                           "oneDNN, but " : "",
                         precision == TSF_PRECISION_BF16 ? "; use --precision fp32" : "");
}

const char *tsf_onednn_isa(void) { return "none"; }
