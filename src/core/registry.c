/* The one table of model families. */
#include <stdio.h>
#include <string.h>
#include "internal.h"

extern const tsf_model_type tsf_ar_type;
extern const tsf_model_type tsf_arima_type;
extern const tsf_model_type tsf_auto_type;
extern const tsf_model_type tsf_ets_type;
extern const tsf_model_type tsf_garch_type;
extern const tsf_model_type tsf_theta_type;
extern const tsf_model_type tsf_combo_type;
extern const tsf_model_type tsf_gru_type;
extern const tsf_model_type tsf_lstm_type;
extern const tsf_model_type tsf_transformer_type;
extern const tsf_model_type tsf_wavenet_type;

static const tsf_model_type *const types[] = {
    &tsf_ar_type,
    &tsf_arima_type,
    &tsf_auto_type,
    &tsf_ets_type,
    &tsf_garch_type,
    &tsf_theta_type,
    &tsf_combo_type,
    &tsf_gru_type,
    &tsf_lstm_type,
    &tsf_transformer_type,
    &tsf_wavenet_type,
    NULL
};

const tsf_model_type *tsf_registry_find(const char *name)
{
    for (size_t i = 0; types[i]; i++)
        if (strcmp(types[i]->name, name) == 0) return types[i];
    return NULL;
}

void tsf_registry_names(char *buf, size_t n)
{
    size_t used = 0;
    if (n) buf[0] = '\0';
    for (size_t i = 0; types[i] && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", types[i]->name);
        if (w < 0) break;
        used += (size_t)w;
    }
}
