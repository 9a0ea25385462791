/* Streaming state: dispatch to the family's state_* functions with the
 * model's transform applied around them, as src/core/model.c does for whole
 * series: the family sees z_t = g(y_t), logp gains log|g'(y_t)| so that the
 * sum over a series equals tsf_loglik in y's units, and forecasts are
 * mapped back with tsf_boxcox_forecast_inv. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "model_impl.h"
#include "transform.h"
#include "safetensors_impl.h"

struct tsf_state {
    const tsf_model_type *type;
    void *fam;     /* the family's state */
    double lambda; /* copied: the state must not need m after tsf_state_new */
    uint64_t fp;   /* fingerprint of the model, for tsf_state_load */
};

/* FNV-1a (64 bits) of the model's identity: family, spec, transform and
 * what it reports of its fit (coefficients, sigma2, loglik, nobs: for a
 * neural network the exact loglik of its training data stands for its
 * weights).  A state saved under one model is refused under another. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t model_fingerprint(const tsf_model *m)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, m->type->name, strlen(m->type->name) + 1);
    h = fnv(h, m->spec, strlen(m->spec) + 1);
    h = fnv(h, &m->lambda, sizeof m->lambda);
    tsf_fit_info info;
    memset(&info, 0, sizeof info);
    if (tsf_model_info(m, &info) == TSF_OK) {
        h = fnv(h, &info.ncoef, sizeof info.ncoef);
        if (info.coef) h = fnv(h, info.coef, info.ncoef * sizeof *info.coef);
        h = fnv(h, &info.sigma2, sizeof info.sigma2);
        h = fnv(h, &info.loglik, sizeof info.loglik);
        h = fnv(h, &info.nobs, sizeof info.nobs);
    }
    tsf_clear_error();
    return h;
}

/* What a state needs of its model: fitted, and a family with the state
 * operations. */
static tsf_status check_model(const tsf_model *m)
{
    if (!m) return tsf_set_error(TSF_EINVAL, "no model given");
    if (!m->fitted)
        return tsf_set_error(TSF_EINVAL, "the model '%s' has not been fitted", m->spec);
    const tsf_model_type *t = m->type;
    if (!t->state_new || !t->state_update || !t->state_forecast || !t->state_free)
        return tsf_set_error(TSF_EUNSUP, "model '%s' does not support streaming updates "
                             "(tsf_state); use tsf_loglik and tsf_forecast on the series",
                             m->spec);
    return TSF_OK;
}

/* A state of m (fingerprint fp): the family's fresh state, or with doc
 * the one restored from a state file. */
static tsf_status make_state(const tsf_model *m, uint64_t fp, const tsf_st *doc,
                             tsf_state **out)
{
    const tsf_model_type *t = m->type;
    tsf_state *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "out of memory creating a streaming state");
    s->type = t;
    s->lambda = m->lambda;
    s->fp = fp;
    tsf_status st = doc ? t->state_load(m->impl, doc, &s->fam) : t->state_new(m->impl, &s->fam);
    if (st) {
        if (s->fam) t->state_free(s->fam);
        free(s);
        return st;
    }
    *out = s;
    return TSF_OK;
}

tsf_status tsf_state_new(const tsf_model *m, tsf_state **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_new: no output pointer");
    *out = NULL;
    tsf_status st = check_model(m);
    return st ? st : make_state(m, model_fingerprint(m), NULL, out);
}

tsf_status tsf_state_clone(const tsf_state *st, tsf_state **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_clone: no output pointer");
    *out = NULL;
    if (!st) return tsf_set_error(TSF_EINVAL, "no streaming state given");
    if (!st->type->state_clone)
        return tsf_set_error(TSF_EUNSUP, "states of the %s family cannot be copied",
                             st->type->name);
    tsf_state *c = malloc(sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory copying a streaming state");
    *c = *st;
    tsf_status s = st->type->state_clone(st->fam, &c->fam);
    if (s) {
        free(c);
        return s;
    }
    *out = c;
    return TSF_OK;
}

tsf_status tsf_state_sample(tsf_state *st, const double *x, size_t k, double u, double *y)
{
    const tsf_model_type *t = st->type;
    double z = NAN;
    tsf_status s;
    if (t->state_sample) {
        /* draws and feeds the value */
        if ((s = t->state_sample(st->fam, x, k, u, &z))) return s;
        *y = isnan(st->lambda) ? z : tsf_boxcox_inv(z, st->lambda);
        return TSF_OK;
    }
    if (t->neural)
        return tsf_set_error(TSF_EUNSUP, "states of the %s family cannot be sampled one step "
                             "at a time yet", t->name);
    /* the one-step predictive of a Kalman state is Gaussian */
    tsf_forecast_result *fc = calloc(1, sizeof *fc);
    tsf_xreg xr = {k, x, 1, NULL};
    tsf_forecast_opts o = {0};
    o.xreg_future = k ? &xr : NULL;
    if (!fc) return tsf_set_error(TSF_ENOMEM, "out of memory");
    if (!(s = tsf_forecast_alloc(fc, 1, NULL, 0)) &&
        !(s = t->state_forecast(st->fam, 1, NULL, 0, &o, fc)))
        z = fc->mean[0] + fc->se[0] * tsf_qnorm(u);
    tsf_forecast_free(fc);
    if (s) return s;
    *y = isnan(st->lambda) ? z : tsf_boxcox_inv(z, st->lambda);
    return tsf_state_update_x(st, *y, x, k, NULL);
}

void tsf_state_free(tsf_state *st)
{
    if (!st) return;
    if (st->fam) st->type->state_free(st->fam);
    free(st);
}

tsf_status tsf_state_update(tsf_state *st, double y, double *logp)
{
    return tsf_state_update_x(st, y, NULL, 0, logp);
}

tsf_status tsf_state_update_x(tsf_state *st, double y, const double *x, size_t k, double *logp)
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
    if (k && !x) return tsf_set_error(TSF_EINVAL, "%zu regressors announced, none given", k);
    tsf_status s = st->type->state_update(st->fam, z, x, k, &lp);
    if (s) return s;
    if (logp) *logp = lp + jac;
    return TSF_OK;
}

tsf_status tsf_state_forecast(tsf_state *st, size_t h, const double *levels,
                              size_t nlevels, const tsf_forecast_opts *opts,
                              tsf_forecast_result **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_forecast: no output pointer");
    *out = NULL;
    if (!st) return tsf_set_error(TSF_EINVAL, "no streaming state given");
    tsf_forecast_opts o;
    tsf_forecast_result *fc;
    tsf_status s = tsf_forecast_begin(h, levels, nlevels, opts, &o, &fc);
    if (s) return s;
    opts = &o;
    if ((s = st->type->state_forecast(st->fam, h, levels, nlevels, opts, fc))) {
        tsf_forecast_free(fc);
        return s;
    }
    if (!isnan(st->lambda)) tsf_boxcox_forecast_inv(fc, st->lambda, opts->biasadj);
    *out = fc;
    return TSF_OK;
}

tsf_status tsf_state_save(const tsf_state *st, const char *path)
{
    if (!st || !path) return tsf_set_error(TSF_EINVAL, "tsf_state_save: no state or no path");
    if (!st->type->state_save || !st->type->state_load)
        return tsf_set_error(TSF_EUNSUP, "the %s family cannot save streaming states",
                             st->type->name);
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->fp);
    tsf_st *doc;
    tsf_status s = tsf_st_new(&doc);
    if (s) return s;
    if (!(s = tsf_st_set_meta(doc, "format", "tsf-state")) &&
        !(s = tsf_st_set_meta(doc, "tsf_version", tsf_version())) &&
        !(s = tsf_st_set_meta(doc, "family", st->type->name)) &&
        !(s = tsf_st_set_meta(doc, "model", fp)) && !(s = st->type->state_save(st->fam, doc)))
        s = tsf_st_write(doc, path);
    tsf_st_free(doc);
    return s;
}

tsf_status tsf_state_load(const tsf_model *m, const char *path, tsf_state **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_state_load: no output pointer");
    *out = NULL;
    if (!path) return tsf_set_error(TSF_EINVAL, "tsf_state_load: no path given");
    tsf_status s = check_model(m);
    if (s) return s;
    if (!m->type->state_load)
        return tsf_set_error(TSF_EUNSUP, "the %s family cannot load streaming states",
                             m->type->name);
    tsf_st *doc;
    if ((s = tsf_st_read(path, &doc))) return s;
    const char *format = tsf_st_meta(doc, "format"), *family = tsf_st_meta(doc, "family");
    const char *fp = tsf_st_meta(doc, "model");
    char want[32], a[80];
    uint64_t fpm = model_fingerprint(m);
    snprintf(want, sizeof want, "%016llx", (unsigned long long)fpm);
    if (!format || strcmp(format, "tsf-state") != 0)
        s = tsf_set_error(TSF_EPARSE, "%s: not a tsf state file (metadata 'format' is not "
                          "\"tsf-state\"); save one with tsf_state_save", path);
    else if (!family || strcmp(family, m->type->name) != 0)
        s = tsf_set_error(TSF_EINVAL, "%s: a state of the '%s' family, not of this %s model",
                          path, family ? tsf_st_clean(family, a, sizeof a) : "?", m->type->name);
    else if (!fp || strcmp(fp, want) != 0)
        s = tsf_set_error(TSF_EINVAL, "%s: the state was saved under another model (fingerprint "
                          "%s, this model's %s); load it with the model it was made from",
                          path, fp ? tsf_st_clean(fp, a, sizeof a) : "none", want);
    else
        s = make_state(m, fpm, doc, out);
    tsf_st_free(doc);
    return s;
}
