/* The one table of model families. */
#include <string.h>
#include "internal.h"

extern const tsf_model_type tsf_gru_type;
extern const tsf_model_type tsf_lstm_type;
extern const tsf_model_type tsf_transformer_type;

static const tsf_model_type *const types[] = {
    &tsf_gru_type,
    &tsf_lstm_type,
    &tsf_transformer_type,
    NULL
};

const tsf_model_type *tsf_registry_find(const char *name)
{
    for (size_t i = 0; types[i]; i++)
        if (strcmp(types[i]->name, name) == 0) return types[i];
    return NULL;
}

const char *tsf_registry_names(void)
{
    return "ar, arima, auto, gru, lstm, transformer";
}
