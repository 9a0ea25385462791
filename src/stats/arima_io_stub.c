/* Persistence of ARIMA models when the safetensors module is not part of
 * the build (compiled instead of arima_io.c). */
#include "stats/arima_impl.h"

tsf_status tsf_arima_save(const void *impl, tsf_st *doc)
{
    (void)impl;
    (void)doc;
    return tsf_set_error(TSF_EUNSUP, "this build has no model files (safetensors missing)");
}

tsf_status tsf_arima_load(const tsf_st *doc, void **impl)
{
    (void)doc;
    *impl = NULL;
    return tsf_set_error(TSF_EUNSUP, "this build has no model files (safetensors missing)");
}
