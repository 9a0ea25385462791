/* Streaming state: dispatch to the family's state_* functions with the
 * model's transform applied around them, as src/core/model.c does for whole
 * series: the family sees z_t = g(y_t), logp gains log|g'(y_t)| so that the
 * sum over a series equals tsf_loglik in y's units, and forecasts are
 * mapped back with tsf_boxcox_forecast_inv. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "model_impl.h"
#include "transform.h"

struct tsf_state {
    const tsf_model_type *type;
    void *fam;     /* the family's state */
    double lambda; /* copied: the state must not need m after tsf_state_new */
};

tsf_status tsf_state_new(const tsf_model *m, tsf_state **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_new: no output pointer");
    *out = NULL;
    if (!m) return tsf_set_error(TSF_EINVAL, "no model given");
    if (!m->fitted)
        return tsf_set_error(TSF_EINVAL, "the model '%s' has not been fitted", m->spec);
    const tsf_model_type *t = m->type;
    if (!t->state_new || !t->state_update || !t->state_forecast || !t->state_free)
        return tsf_set_error(TSF_EUNSUP, "model '%s' does not support streaming updates "
                             "(tsf_state); use tsf_loglik and tsf_forecast on the series",
                             m->spec);
    tsf_state *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "out of memory creating a streaming state");
    s->type = t;
    s->lambda = m->lambda;
    tsf_status st = t->state_new(m->impl, &s->fam);
    if (st) {
        if (s->fam) t->state_free(s->fam);
        free(s);
        return st;
    }
    *out = s;
    return TSF_OK;
}

void tsf_state_free(tsf_state *st)
{
    if (!st) return;
    if (st->fam) st->type->state_free(st->fam);
    free(st);
}

tsf_status tsf_state_update(tsf_state *st, double y, double *logp)
{
    double lp = 0.0;
    if (logp) *logp = 0.0;
    if (!st) return tsf_set_error(TSF_EINVAL, "no streaming state given");
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "the observation is infinite");
    double z = y, jac = 0.0;
    if (!isnan(st->lambda) && !isnan(y)) {
        if (!(y > 0.0))
            return tsf_set_error(TSF_EDOMAIN, "the observation is %g: a log or Box-Cox "
                                 "transform needs positive data", y);
        z = tsf_boxcox(y, st->lambda);
        jac = tsf_boxcox_logjac(y, st->lambda);
    }
    tsf_status s = st->type->state_update(st->fam, z, &lp);
    if (s) return s;
    if (logp) *logp = lp + jac;
    return TSF_OK;
}

tsf_status tsf_state_forecast(const tsf_state *st, size_t h, const double *levels,
                              size_t nlevels, const tsf_forecast_opts *opts,
                              tsf_forecast_result **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_forecast: no output pointer");
    *out = NULL;
    if (!st) return tsf_set_error(TSF_EINVAL, "no streaming state given");
    if (h == 0) return tsf_set_error(TSF_EINVAL, "the horizon must be at least 1 (-h N)");
    if (nlevels && !levels) return tsf_set_error(TSF_EINVAL, "no levels given");
    tsf_status s = tsf_check_levels(levels, nlevels);
    if (s) return s;
    tsf_forecast_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    tsf_forecast_result *fc = calloc(1, sizeof *fc);
    if (!fc) return tsf_set_error(TSF_ENOMEM, "out of memory");
    if ((s = tsf_forecast_alloc(fc, h, levels, nlevels))) {
        free(fc);
        return s;
    }
    if ((s = st->type->state_forecast(st->fam, h, levels, nlevels, opts, fc))) {
        tsf_forecast_free(fc);
        return s;
    }
    if (!isnan(st->lambda)) tsf_boxcox_forecast_inv(fc, st->lambda, opts->biasadj);
    *out = fc;
    return TSF_OK;
}
