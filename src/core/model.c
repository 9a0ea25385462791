/* The common model interface: argument checks, the --transform wrapper
 * (fit on g(y), likelihood in y's units via the Jacobian, back-transformed
 * forecasts) and dispatch to the family's type object. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "combo.h"
#include "model_impl.h"
#include "transform.h"

tsf_status tsf_model_new(const char *spec_text, tsf_model **out)
{
    return tsf_model_new_find(spec_text, tsf_registry_find, out);
}

tsf_status tsf_model_new_find(const char *spec_text, tsf_type_finder find, tsf_model **out)
{
    return tsf_model_new_in(spec_text, NULL, 0, find, out);
}

tsf_status tsf_model_new_in(const char *spec_text, const char *outer, size_t offset,
                            tsf_type_finder find, tsf_model **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_model_new: no output pointer");
    *out = NULL;
    if (!spec_text) return tsf_set_error(TSF_EINVAL, "no model spec given");
    tsf_spec *spec = NULL;
    tsf_status st = tsf_spec_parse_in(spec_text, outer, offset, &spec);
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
    /* ensemble=K of a neural spec (ensemble.c): read before the family's
     * parse, which then validates the rest of the spec */
    long ens = 0;
    if (type->neural) st = tsf_ensemble_key(spec, &ens);
    if (!st) st = type->parse(spec, &m->impl);
    /* the family's parse has checked [s]'s range (or refused it) */
    m->spec_period = st == TSF_OK && spec->period > 0 && spec->period <= INT32_MAX
                         ? (int)spec->period : 0;
    m->ensemble = (int)ens;
    if (!st && ens >= 2) st = tsf_ensemble_make(m, spec, ens);
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

const char *tsf_model_spec(const tsf_model *m) { return m ? m->spec : ""; }
const char *tsf_model_family(const tsf_model *m) { return m ? m->type->name : ""; }
int tsf_model_is_neural(const tsf_model *m)
{
    return m ? m->type->neural || tsf_combo_ensemble_member(m) != NULL : 0;
}

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

/* The one rule for the period a fit uses: the caller's option (--period),
 * else the spec's [s], else the data's (the time labels' frequency), else
 * 1.  Families receive the result and apply no rule of their own. */
int tsf_fit_period(int opt_period, int spec_period, int series_period)
{
    if (opt_period > 0) return opt_period;
    if (spec_period > 0) return spec_period;
    return series_period > 0 ? series_period : 1;
}

tsf_status tsf_fit(tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                   int series_period, const tsf_fit_opts *opts)
{
    if (!m) return tsf_set_error(TSF_EINVAL, "tsf_fit: no model given");
    tsf_fit_opts o;
    tsf_status st = tsf_fit_opts_read(opts, &o);
    if (st) return st;
    opts = &o;
    int period = tsf_fit_period(opts->period, m->spec_period, series_period);
    st = fit_prepare(m, &y, &n, 1, period, opts);
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
    if (!m) return tsf_set_error(TSF_EINVAL, "tsf_fit_many: no model given");
    if (nseries == 0 || !ys || !ns)
        return tsf_set_error(TSF_EINVAL, "tsf_fit_many: no series given");
    if (nseries == 1) return tsf_fit(m, ys[0], ns[0], NULL, series_period, opts);
    if (!m->type->fit_many)
        return tsf_set_error(TSF_EUNSUP, "model '%s' fits one series at a time; choose a "
                             "column with -c", m->type->name);
    tsf_fit_opts o;
    tsf_status st = tsf_fit_opts_read(opts, &o);
    if (st) return st;
    opts = &o;
    int period = tsf_fit_period(opts->period, m->spec_period, series_period);
    st = fit_prepare(m, ys, ns, nseries, period, opts);
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

tsf_status tsf_fit_global(tsf_model *m, const double *const *ys, const size_t *ns,
                          const char *const *ids, size_t nseries, int series_period,
                          const tsf_fit_opts *opts)
{
    return tsf_fit_global_x(m, ys, ns, NULL, ids, nseries, series_period, opts);
}

tsf_status tsf_fit_global_x(tsf_model *m, const double *const *ys, const size_t *ns,
                            const tsf_xreg *const *xregs, const char *const *ids,
                            size_t nseries, int series_period, const tsf_fit_opts *opts)
{
    if (!m) return tsf_set_error(TSF_EINVAL, "tsf_fit_global: no model given");
    if (nseries == 0 || !ys || !ns || !ids)
        return tsf_set_error(TSF_EINVAL, "tsf_fit_global: no series given");
    for (size_t k = 0; xregs && k < nseries; k++)
        if (!xregs[k] || xregs[k]->k != xregs[0]->k || !xregs[k]->k)
            return tsf_set_error(TSF_EINVAL, "tsf_fit_global_x: series %zu has %zu regressors, "
                                 "series 1 %zu; every series needs the same (at least one)",
                                 k + 1, xregs[k] ? xregs[k]->k : 0, xregs[0] ? xregs[0]->k : 0);
    if (!m->type->fit_global)
        return tsf_set_error(TSF_EUNSUP, "model '%s' is not a neural network: a global model "
                             "is one network trained on all series (gru(), lstm(), "
                             "transformer(), wavenet())", m->spec);
    tsf_fit_opts o;
    tsf_status st = tsf_fit_opts_read(opts, &o);
    if (st) return st;
    /* a global neural spec without ensemble=K trains an ensemble */
    if ((st = tsf_ensemble_global_default(m))) return st;
    int period = tsf_fit_period(o.period, m->spec_period, series_period);
    if ((st = fit_prepare(m, ys, ns, nseries, period, &o))) return st;
    if (has_transform(m))
        return tsf_set_error(TSF_EUNSUP, "a global model takes no transform (each series is "
                             "divided by its own scale)");
    double t0 = tsf_now();
    st = m->type->fit_global(m->impl, ys, ns, xregs, ids, nseries, period, &o);
    m->fit_seconds = tsf_now() - t0;
    if (!st) {
        m->fitted = 1;
        m->jacobian = 0.0;
    }
    return st;
}

unsigned tsf_model_reads(const tsf_model *m)
{
    if (!m) return 0;
    return m->type == &tsf_combo_type ? tsf_combo_reads(m->impl) : m->type->reads;
}

int tsf_model_can_fit_global(const tsf_model *m)
{
    if (!m || !m->type->fit_global) return 0;
    return m->type->neural || (m->type == &tsf_combo_type && tsf_combo_has_global(m->impl));
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

tsf_status tsf_model_regressors(const tsf_model *m, size_t *k, const char *const **names)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!k || !names) return tsf_set_error(TSF_EINVAL, "tsf_model_regressors: NULL argument");
    if (!m->type->regressors) return unsupported(m, "a list of regressors apart from its coefficients");
    return m->type->regressors(m->impl, k, names);
}

tsf_status tsf_model_info(const tsf_model *m, tsf_fit_info *info)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!info) return tsf_set_error(TSF_EINVAL, "tsf_model_info: no output struct");
    memset(info, 0, sizeof *info);
    info->mean = NAN;
    info->persistence = NAN;
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
    if (!ll) return tsf_set_error(TSF_EINVAL, "tsf_loglik: no output pointer");
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

tsf_status tsf_forecast_begin(size_t h, const double *levels, size_t nlevels,
                              const tsf_forecast_opts *opts, tsf_forecast_opts *o,
                              tsf_forecast_result **fc)
{
    *fc = NULL;
    if (h == 0) return tsf_set_error(TSF_EINVAL, "the horizon must be at least 1 (-h N)");
    if (nlevels && !levels) return tsf_set_error(TSF_EINVAL, "no levels given");
    tsf_status st = tsf_check_levels(levels, nlevels);
    if (st || (st = tsf_forecast_opts_read(opts, o))) return st;
    tsf_forecast_result *r = calloc(1, sizeof *r);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory");
    if ((st = tsf_forecast_alloc(r, h, levels, nlevels))) {
        free(r);
        return st;
    }
    *fc = r;
    return TSF_OK;
}

/* Given future values (scenario forecasts): steps in 1..h, distinct,
 * finite values, a family that answers exactly. */
static tsf_status check_given(const tsf_model *m, size_t h, const tsf_forecast_opts *o)
{
    if (!o->given_step || !o->given_value)
        return tsf_set_error(TSF_EINVAL, "given values without their steps or values");
    for (size_t i = 0; i < o->ngiven; i++) {
        size_t k = o->given_step[i];
        if (k < 1 || k > h)
            return tsf_set_error(TSF_EINVAL, "given value %zu is at step %zu, outside the "
                                 "horizon 1..%zu", i + 1, k, h);
        if (!isfinite(o->given_value[i]))
            return tsf_set_error(TSF_EINVAL, "given value %zu (step %zu) is not a finite number",
                                 i + 1, k);
        for (size_t j = 0; j < i; j++)
            if (o->given_step[j] == k)
                return tsf_set_error(TSF_EINVAL, "step %zu is given twice", k);
    }
    if (o->conditioning == TSF_CONDITIONING_EXACT && !m->type->smooth)
        return tsf_set_error(TSF_EUNSUP, "model '%s' has no exact conditioning on given future "
                             "values (ar, arima, auto have); use sequential Monte Carlo",
                             m->spec);
    if (o->conditioning != TSF_CONDITIONING_EXACT && o->conditioning != TSF_CONDITIONING_SMC &&
        o->conditioning != TSF_CONDITIONING_DEFAULT)
        return tsf_set_error(TSF_EINVAL, "unknown conditioning %d", (int)o->conditioning);
    return TSF_OK;
}

tsf_status tsf_forecast(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                        size_t h, const double *levels, size_t nlevels,
                        const tsf_forecast_opts *opts, tsf_forecast_result **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_forecast: no output pointer");
    *out = NULL;
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->forecast) return unsupported(m, "forecasts");
    if ((st = check_series(y, n))) return st;
    tsf_forecast_opts o;
    tsf_forecast_result *fc;
    if ((st = tsf_forecast_begin(h, levels, nlevels, opts, &o, &fc))) return st;
    opts = &o;
    double *gbuf = NULL;
    const tsf_forecast_opts *uopts = opts;
    tsf_forecast_opts gopts;
    int smc = opts->ngiven && (opts->conditioning == TSF_CONDITIONING_SMC ||
                               (opts->conditioning == TSF_CONDITIONING_DEFAULT &&
                                !m->type->smooth));
    if (opts->ngiven) {
        if ((st = check_given(m, h, opts))) {
            tsf_forecast_free(fc);
            return st;
        }
        if (has_transform(m) && !smc) {
            /* the family sees given values on its scale */
            gopts = *opts;
            if ((st = transformed(m, opts->given_value, opts->ngiven, &gbuf,
                                  &gopts.given_value))) {
                tsf_forecast_free(fc);
                return st;
            }
            opts = &gopts;
        }
    }
    double *buf;
    const double *use;
    if (smc) {
        /* the streaming state applies the transform itself */
        if ((st = tsf_smc_forecast(m, y, n, xreg, h, opts, fc))) {
            tsf_forecast_free(fc);
            return st;
        }
    } else {
        if ((st = transformed(m, y, n, &buf, &use))) {
            tsf_forecast_free(fc);
            free(gbuf);
            return st;
        }
        st = m->type->forecast(m->impl, use, n, xreg, h, levels, nlevels, opts, fc);
        free(buf);
        free(gbuf);
        if (st) {
            tsf_forecast_free(fc);
            return st;
        }
        if (has_transform(m)) tsf_boxcox_forecast_inv(fc, m->lambda, opts->biasadj);
    }
    for (size_t i = 0; i < uopts->ngiven; i++) {
        /* given steps echoed exactly, in y's units */
        size_t k = uopts->given_step[i] - 1;
        double v = uopts->given_value[i];
        fc->mean[k] = v;
        fc->se[k] = 0.0;
        for (size_t l = 0; l < nlevels; l++) fc->lower[l * h + k] = fc->upper[l * h + k] = v;
    }
    *out = fc;
    return TSF_OK;
}

void tsf_risk_free(tsf_risk_result *rk)
{
    if (!rk) return;
    free(rk->levels);
    free(rk->var);
    free(rk->es);
    free(rk);
}

tsf_status tsf_risk(const tsf_model *m, const double *y, size_t n, size_t h,
                    const double *levels, size_t nlevels, const tsf_forecast_opts *opts,
                    tsf_risk_result **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_risk: no output pointer");
    *out = NULL;
    tsf_status st = need_fitted(m);
    if (st) return st;
    if (!m->type->risk) return unsupported(m, "value-at-risk (use a volatility model: garch)");
    if (nlevels && !levels) return tsf_set_error(TSF_EINVAL, "tsf_risk: no levels array");
    if (h == 0) return tsf_set_error(TSF_EINVAL, "the horizon must be at least 1 (-h N)");
    if (has_transform(m))
        return tsf_set_error(TSF_EUNSUP, "value-at-risk is for returns: fit without --transform");
    for (size_t k = 0; k < nlevels; k++)
        if (!(levels[k] > 50.0 && levels[k] < 100.0))
            return tsf_set_error(TSF_EINVAL, "risk level %g is not a percentage in (50, 100); "
                                 "use e.g. --risk 99,97.5", levels[k]);
    if ((st = check_series(y, n))) return st;
    tsf_forecast_opts o;
    if ((st = tsf_forecast_opts_read(opts, &o))) return st;
    opts = &o;
    tsf_risk_result *rk = calloc(1, sizeof *rk);
    size_t cells = (nlevels ? nlevels : 1) * h;
    if (!rk || !(rk->levels = calloc(nlevels ? nlevels : 1, sizeof *rk->levels)) ||
        !(rk->var = calloc(cells, sizeof *rk->var)) || !(rk->es = calloc(cells, sizeof *rk->es))) {
        tsf_risk_free(rk);
        return tsf_set_error(TSF_ENOMEM, "out of memory for a %zu-step risk forecast", h);
    }
    rk->h = h;
    rk->nlevels = nlevels;
    if (nlevels) memcpy(rk->levels, levels, nlevels * sizeof *levels);
    if ((st = m->type->risk(m->impl, y, n, h, levels, nlevels, opts, rk))) {
        tsf_risk_free(rk);
        return st;
    }
    *out = rk;
    return TSF_OK;
}

tsf_status tsf_simulate(const tsf_model *m, size_t n, size_t npaths, uint64_t seed, double *out)
{
    return tsf_simulate_x(m, n, npaths, seed, NULL, out);
}

tsf_status tsf_simulate_x(const tsf_model *m, size_t n, size_t npaths, uint64_t seed,
                          const tsf_xreg *xreg, double *out)
{
    tsf_forecast_opts o;
    tsf_forecast_opts_init(&o);
    o.seed = seed;
    return tsf_simulate_opts(m, n, npaths, xreg, &o, out);
}

tsf_status tsf_simulate_opts(const tsf_model *m, size_t n, size_t npaths, const tsf_xreg *xreg,
                             const tsf_forecast_opts *opts, double *out)
{
    tsf_forecast_opts o;
    tsf_status st = tsf_forecast_opts_read(opts, &o);
    if (st || (st = need_fitted(m))) return st;
    if (!m->type->simulate) return unsupported(m, "simulation");
    if (!out && n && npaths) return tsf_set_error(TSF_EINVAL, "tsf_simulate: no output array");
    if (xreg && xreg->k == 0) xreg = NULL;
    if (xreg && (!xreg->x || xreg->ld < n))
        return tsf_set_error(TSF_EINVAL, "the regressors have %zu rows, the simulation needs %zu",
                             xreg->x ? xreg->ld : 0, n);
    st = m->type->simulate_opts ? m->type->simulate_opts(m->impl, n, npaths, &o, xreg, out)
                                : m->type->simulate(m->impl, n, npaths, o.seed, xreg, out);
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
    if ((st = check_series(y, n))) return st;
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

/* Checks shared by tsf_smooth and tsf_smooth_draws. */
static tsf_status smooth_check(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg)
{
    tsf_status st = need_fitted(m);
    if (st) return st;
    if ((!m->type->smooth || !m->type->smooth_draws) && !m->type->state_clone)
        return unsupported(m, "smoothing (it has no Kalman smoother and its states cannot be "
                           "copied for particles)");
    if (has_transform(m) && m->type->smooth)
        return tsf_set_error(TSF_EUNSUP, "smoothing a model fitted with a transform is not "
                             "supported; fit without --transform");
    if (xreg && xreg->k && (!xreg->x || xreg->ld < n))
        return tsf_set_error(TSF_EINVAL, "the regressors have %zu rows, the series %zu",
                             xreg->x ? xreg->ld : 0, n);
    return check_series(y, n);
}

tsf_status tsf_smooth(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                      tsf_smooth_result **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_smooth: no output pointer");
    *out = NULL;
    tsf_status st = smooth_check(m, y, n, xreg);
    if (st) return st;
    tsf_smooth_result *res = calloc(1, sizeof *res);
    if (!res) return tsf_set_error(TSF_ENOMEM, "out of memory");
    res->n = n;
    res->mean = malloc((n ? n : 1) * sizeof *res->mean);
    res->se = malloc((n ? n : 1) * sizeof *res->se);
    if (!res->mean || !res->se) st = tsf_set_error(TSF_ENOMEM, "out of memory smoothing");
    if (!st) st = m->type->smooth ? m->type->smooth(m->impl, y, n, xreg, res)
                                  : tsf_smc_smooth(m, y, n, xreg, 0, 0, res->mean, res->se, 0,
                                                   NULL);
    if (st) {
        tsf_smooth_free(res);
        return st;
    }
    *out = res;
    return TSF_OK;
}

void tsf_smooth_free(tsf_smooth_result *res)
{
    if (!res) return;
    free(res->mean);
    free(res->se);
    free(res->state_mean);
    free(res->state_var);
    free(res);
}

tsf_status tsf_smooth_draws(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t npaths, uint64_t seed, double *out)
{
    tsf_status st = smooth_check(m, y, n, xreg);
    if (st) return st;
    if (n && npaths && !out) return tsf_set_error(TSF_EINVAL, "no output buffer for the draws");
    if (!m->type->smooth_draws) {
        /* particles: the means are computed and dropped */
        double *mu = malloc(2 * (n ? n : 1) * sizeof *mu);
        if (!mu) return tsf_set_error(TSF_ENOMEM, "out of memory");
        st = tsf_smc_smooth(m, y, n, xreg, 0, seed, mu, mu + n, npaths, out);
        free(mu);
        return st;
    }
    return m->type->smooth_draws(m->impl, y, n, xreg, npaths, seed, out);
}
