/* Persistence stand-in compiled while src/core/safetensors.c is absent
 * (the meson build picks io.c as soon as it exists). */
#include "neural.h"

tsf_status tsf_neural_save(const void *impl, tsf_st *doc)
{
    (void)impl; (void)doc;
    return tsf_set_error(TSF_EUNSUP, "this build has no safetensors support to save models");
}

tsf_status tsf_neural_load(const tsf_st *doc, void **impl)
{
    (void)doc;
    *impl = NULL;
    return tsf_set_error(TSF_EUNSUP, "this build has no safetensors support to load models");
}
