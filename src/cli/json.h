/* JSON building helpers for the CLI (jansson); NaN and Inf become null. */
#ifndef TSF_CLI_JSON_H
#define TSF_CLI_JSON_H

#include <jansson.h>
#include <math.h>

static inline json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static inline json_t *jarray(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, jnum(v[i]));
    return a;
}

#endif
