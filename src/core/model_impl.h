/* The model handle (private to src/core). */
#ifndef TSF_CORE_MODEL_IMPL_H
#define TSF_CORE_MODEL_IMPL_H

#include "internal.h"

struct tsf_model {
    const tsf_model_type *type;
    char *spec;
    void *impl;          /* family data */
    int fitted;
    double lambda;       /* Box-Cox lambda of the transform, NaN when none */
    double jacobian;     /* sum of log|g'(y_t)| over the fitting data */
    double fit_seconds;
};

#endif
