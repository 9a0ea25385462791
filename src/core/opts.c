/* Caller-allocated option structs that can grow (tsf/model.h): a struct
 * begins with its size as the caller's header knew it; the library reads
 * that many bytes over its own defaults.  Fields are only appended, so the
 * prefix a caller knows has the same layout in every version. */
#include <stddef.h>
#include <string.h>
#include "internal.h"

/* The 1.0 layouts end after these fields: what size 0 stands for. */
#define FIT_OPTS_V1 (offsetof(tsf_fit_opts, progress_ctx) + sizeof(void *))
#define FORECAST_OPTS_V1 (offsetof(tsf_forecast_opts, biasadj) + sizeof(int))

void tsf_fit_opts_init(tsf_fit_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

void tsf_forecast_opts_init(tsf_forecast_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* The caller's struct in (its first size bytes, v1 bytes when size is 0)
 * over the zeroed out (cur bytes).  A larger struct than this library
 * knows is accepted when the fields it does not know are all zero (the
 * defaults), refused otherwise: silently ignoring an option the caller set
 * would give results other than those asked for. */
static tsf_status read_sized(const void *in, size_t v1, size_t cur, void *out,
                             const char *what)
{
    memset(out, 0, cur);
    if (!in) {
        *(size_t *)out = cur;
        return TSF_OK;
    }
    size_t size = *(const size_t *)in;
    if (size == 0) size = v1;
    if (size < v1)
        return tsf_set_error(TSF_EINVAL, "%s.size is %zu, less than the smallest layout "
                             "(%zu bytes): initialise it with %s_init()", what, size, v1, what);
    if (size > cur) {
        const unsigned char *extra = (const unsigned char *)in + cur;
        for (size_t i = 0; i < size - cur; i++)
            if (extra[i])
                return tsf_set_error(TSF_EUNSUP, "%s sets options this library (tsf %s, "
                                     "%zu-byte %s) does not know: the program was built "
                                     "against a newer tsf; install that one", what,
                                     tsf_version(), cur, what);
        size = cur;
    }
    memcpy(out, in, size);
    *(size_t *)out = cur;
    return TSF_OK;
}

tsf_status tsf_fit_opts_read(const tsf_fit_opts *in, tsf_fit_opts *out)
{
    return read_sized(in, FIT_OPTS_V1, sizeof *out, out, "tsf_fit_opts");
}

tsf_status tsf_forecast_opts_read(const tsf_forecast_opts *in, tsf_forecast_opts *out)
{
    return read_sized(in, FORECAST_OPTS_V1, sizeof *out, out, "tsf_forecast_opts");
}
