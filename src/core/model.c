/* The common model interface: argument checks, the --transform wrapper
 * (fit on g(y), likelihood in y's units via the Jacobian, back-transformed
 * forecasts) and dispatch to the family's type object. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "model_impl.h"
#include "transform.h"

tsf_status tsf_model_new(const char *spec_text, tsf_model **out)
{
    return tsf_model_new_find(spec_text, tsf_registry_find, out);
}

tsf_status tsf_model_new_find(const char *spec_text, tsf_type_finder find, tsf_model **out)
{
    *out = NULL;
    if (!spec_text) return tsf_set_error(TSF_EINVAL, "no model spec given");
    tsf_spec *spec = NULL;
    tsf_status st = tsf_spec_parse(spec_text, &spec);
    if (st) return st;
    const tsf_model_type *type = find(spec->name);
    if (!type) {
        char names[256];
        tsf_registry_names(names, sizeof names);
        st = tsf_spec_error(spec, 0, TSF_EPARSE, "unknown model '%s'; known models: %s",
                            spec->name, names);
        tsf_spec_free(spec);
        return st;
    }
    tsf_model *m = calloc(1, sizeof *m);
    if (!m) {
        tsf_spec_free(spec);
        return tsf_set_error(TSF_ENOMEM, "out of memory creating a model");
    }
    m->type = type;
    m->lambda = NAN;
    m->spec = strdup(spec_text);
    if (!m->spec) {
        tsf_spec_free(spec);
        free(m);
        return tsf_set_error(TSF_ENOMEM, "out of memory creating a model");
    }
    st = type->parse(spec, &m->impl);
    tsf_spec_free(spec);
    if (st) {
        tsf_model_free(m);
        return st;
    }
    *out = m;
    return TSF_OK;
}

void tsf_model_free(tsf_model *m)
{
    if (!m) return;
    if (m->impl) m->type->free(m->impl);
    free(m->spec);
    free(m);
}

const char *tsf_model_spec(const tsf_model *m) { return m->spec; }
const char *tsf_model_family(const tsf_model *m) { return m->type->name; }
int tsf_model_is_neural(const tsf_model *m) { return m->type->neural; }

static int has_transform(const tsf_model *m) { return !isnan(m->lambda); }

/* g(y) into a fresh array when the model is transformed, else y itself. */
static tsf_status transformed(const tsf_model *m, const double *y, size_t n, double **buf,
                              const double **use)
{
    *buf = NULL;
    *use = y;
    if (!has_transform(m)) return TSF_OK;
    double *t = malloc((n ? n : 1) * sizeof *t);
    if (!t) return tsf_set_error(TSF_ENOMEM, "out of memory transforming %zu values", n);
    tsf_status st = tsf_boxcox_apply(y, n, m->lambda, t);
    if (st) {
        free(t);
        return st;
    }
    *buf = t;
    *use = t;
    return TSF_OK;
}

static double jacobian(const tsf_model *m, const double *y, size_t n, size_t start)
{
    double s = 0.0;
    if (!has_transform(m)) return 0.0;
    for (size_t i = start; i < n; i++)
        if (!isnan(y[i])) s += tsf_boxcox_logjac(y[i], m->lambda);
    return s;
}

static tsf_status check_series(const double *y, size_t n)
{
    if (!y && n) return tsf_set_error(TSF_EINVAL, "no data given");
    for (size_t i = 0; i < n; i++)
        if (isinf(y[i]))
            return tsf_set_error(TSF_EINVAL, "observation %zu is infinite", i + 1);
    return TSF_OK;
}

static tsf_status fit_prepare(tsf_model *m, const double *const *ys, const size_t *ns,
                              size_t nseries, int period, const tsf_fit_opts *opts)
{
    m->fitted = 0;
    m->lambda = NAN;
    for (size_t k = 0; k < nseries; k++) {
        tsf_status st = check_series(ys[k], ns[k]);
        if (st) return st;
    }
    switch (opts->transform) {
    case TSF_TRANSFORM_NONE: return TSF_OK;
    case TSF_TRANSFORM_LOG: m->lambda = 0.0; return TSF_OK;
    case TSF_TRANSFORM_BOXCOX:
        if (!(opts->lambda >= -5.0 && opts->lambda <= 5.0))
            return tsf_set_error(TSF_EINVAL, "Box-Cox lambda %g is outside [-5, 5]", opts->lambda);
        m->lambda = opts->lambda;
        return TSF_OK;
    case TSF_TRANSFORM_BOXCOX_AUTO:
        if (nseries != 1)
            return tsf_set_error(TSF_EUNSUP, "boxcox(auto) needs a single series; give lambda");
        return tsf_boxcox_guerrero(ys[0], ns[0], period, &m->lambda);
    }
    return tsf_set_error(TSF_EINVAL, "unknown transform %d", (int)opts->transform);
}

static int resolve_period(const tsf_fit_opts *opts, int series_period)
{
    if (opts->period > 0) return opts->period;
    return series_period > 0 ? series_period : 1;
}

tsf_status tsf_fit(tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                   int series_period, const tsf_fit_opts *opts)
{
    tsf_fit_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    int period = resolve_period(opts, series_period);
    tsf_status st = fit_prepare(m, &y, &n, 1, period, opts);
    if (st) return st;
    double *buf;
    const double *use;
    if ((st = transformed(m, y, n, &buf, &use))) return st;
    double t0 = tsf_now();
    st = m->type->fit(m->impl, use, n, xreg, period, opts);
    m->fit_seconds = tsf_now() - t0;
    if (!st) {
        m->fitted = 1;
        m->jacobian = jacobian(m, y, n, 0);
    }
    free(buf);
    return st;
}

tsf_status tsf_fit_many(tsf_model *m, const double *const *ys, const size_t *ns,
                        size_t nseries, int series_period, const tsf_fit_opts *opts)
{
    if (nseries == 1) return tsf_fit(m, ys[0], ns[0], NULL, series_period, opts);
    if (!m->type->fit_many)
        return tsf_set_error(TSF_EUNSUP, "model '%s' fits one series at a time; choose a "
                             "column with -c", m->type->name);
    tsf_fit_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    int period = resolve_period(opts, series_period);
    tsf_status st = fit_prepare(m, ys, ns, nseries, period, opts);
    if (st) return st;
    if (has_transform(m))
        return tsf_set_error(TSF_EUNSUP, "--transform with several series is not supported");
    double t0 = tsf_now();
    st = m->type->fit_many(m->impl, ys, ns, nseries, period, opts);
    m->fit_seconds = tsf_now() - t0;
    if (!st) {
        m->fitted = 1;
        m->jacobian = 0.0;
    }
    return st;
}

static tsf_status need_fitted(const tsf_model *m)
{
    if (!m) return tsf_set_error(TSF_EINVAL, "no model given");
    if (!m->fitted) return tsf_set_error(TSF_EINVAL, "the model '%s' has not been fitted", m->spec);
    return TSF_OK;
}

static tsf_status unsupported(const tsf_model *m, const char *what)
{
    return tsf_set_error(TSF_EUNSUP, "model '%s' does not support %s", m->spec, what);
}

tsf_status tsf_model_info(const tsf_model *m, tsf_fit_info *info)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    memset(info, 0, sizeof *info);
    info->mean = NAN;
    if (!m->type->info) return unsupported(m, "a summary");
    if ((st = m->type->info(m->impl, info))) return st;
    info->fit_seconds = m->fit_seconds;
    info->lambda = m->lambda;
    /* Likelihood in the data's own units: log p(y) = log p(g(y)) + sum log|g'(y)|. */
    if (has_transform(m)) {
        info->loglik += m->jacobian;
        info->aic -= 2.0 * m->jacobian;
        info->aicc -= 2.0 * m->jacobian;
        info->bic -= 2.0 * m->jacobian;
    }
    return TSF_OK;
}

tsf_status tsf_loglik(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                      size_t start, double *ll)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->loglik) return unsupported(m, "log-likelihoods");
    if (start > n) return tsf_set_error(TSF_EINVAL, "start %zu is past the end (%zu)", start, n);
    if ((st = check_series(y, n))) return st;
    double *buf;
    const double *use;
    if ((st = transformed(m, y, n, &buf, &use))) return st;
    st = m->type->loglik(m->impl, use, n, xreg, start, ll);
    if (!st) *ll += jacobian(m, y, n, start);
    free(buf);
    return st;
}

tsf_status tsf_check_levels(const double *levels, size_t nlevels)
{
    for (size_t k = 0; k < nlevels; k++)
        if (!(levels[k] > 0.0 && levels[k] < 100.0))
            return tsf_set_error(TSF_EINVAL, "level %g is not a percentage in (0, 100); "
                                 "use e.g. --level 80,95", levels[k]);
    return TSF_OK;
}

tsf_status tsf_forecast(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                        size_t h, const double *levels, size_t nlevels,
                        const tsf_forecast_opts *opts, tsf_forecast_result **out)
{
    *out = NULL;
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->forecast) return unsupported(m, "forecasts");
    if (h == 0) return tsf_set_error(TSF_EINVAL, "the horizon must be at least 1 (-h N)");
    if ((st = tsf_check_levels(levels, nlevels)) || (st = check_series(y, n))) return st;
    tsf_forecast_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    tsf_forecast_result *fc = calloc(1, sizeof *fc);
    if (!fc) return tsf_set_error(TSF_ENOMEM, "out of memory");
    if ((st = tsf_forecast_alloc(fc, h, levels, nlevels))) {
        free(fc);
        return st;
    }
    double *buf;
    const double *use;
    if ((st = transformed(m, y, n, &buf, &use))) {
        tsf_forecast_free(fc);
        return st;
    }
    st = m->type->forecast(m->impl, use, n, xreg, h, levels, nlevels, opts, fc);
    free(buf);
    if (st) {
        tsf_forecast_free(fc);
        return st;
    }
    if (has_transform(m)) tsf_boxcox_forecast_inv(fc, m->lambda, opts->biasadj);
    *out = fc;
    return TSF_OK;
}

tsf_status tsf_simulate(const tsf_model *m, size_t n, size_t npaths, uint64_t seed, double *out)
{
    return tsf_simulate_x(m, n, npaths, seed, NULL, out);
}

tsf_status tsf_simulate_x(const tsf_model *m, size_t n, size_t npaths, uint64_t seed,
                          const tsf_xreg *xreg, double *out)
{
    tsf_forecast_opts o = {.seed = seed};
    return tsf_simulate_opts(m, n, npaths, xreg, &o, out);
}

tsf_status tsf_simulate_opts(const tsf_model *m, size_t n, size_t npaths, const tsf_xreg *xreg,
                             const tsf_forecast_opts *opts, double *out)
{
    uint64_t seed = opts ? opts->seed : 0;
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->simulate) return unsupported(m, "simulation");
    if (xreg && xreg->k == 0) xreg = NULL;
    if (xreg && (!xreg->x || xreg->ld < n))
        return tsf_set_error(TSF_EINVAL, "the regressors have %zu rows, the simulation needs %zu",
                             xreg->x ? xreg->ld : 0, n);
    st = m->type->simulate_opts ? m->type->simulate_opts(m->impl, n, npaths, opts, xreg, out)
                                : m->type->simulate(m->impl, n, npaths, seed, xreg, out);
    if (st) return st;
    if (has_transform(m))
        for (size_t i = 0; i < n * npaths; i++) out[i] = tsf_boxcox_inv(out[i], m->lambda);
    return TSF_OK;
}

tsf_status tsf_residuals(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                         double *fitted, double *resid)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->residuals) return unsupported(m, "residuals");
    double *buf, *f = fitted;
    const double *use;
    if ((st = transformed(m, y, n, &buf, &use))) return st;
    if (!f && (f = malloc((n ? n : 1) * sizeof *f)) == NULL) {
        free(buf);
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    st = m->type->residuals(m->impl, use, n, xreg, f, NULL);
    if (!st) {
        /* Residuals are innovation residuals on the model's (transformed)
         * scale, as forecast's residuals(type = "innovation") — what the
         * Ljung-Box test needs; fitted values are in y's units. */
        for (size_t i = 0; i < n; i++) {
            if (resid) resid[i] = use[i] - f[i];
            if (has_transform(m)) f[i] = tsf_boxcox_inv(f[i], m->lambda);
        }
    }
    if (f != fitted) free(f);
    free(buf);
    return st;
}
