/* The "auto" model family: spec parsing, fitting by automatic order
 * selection (auto_arima.c), and delegation of everything a fitted model
 * answers to the chosen ARIMA (tsf_arima_type). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "auto_arima.h"

typedef struct {
    tsf_auto_opts opts;
    tsf_arima *chosen;      /* fitted or loaded model; NULL before */
    tsf_auto_trace trace;   /* empty after load */
    char **labels;          /* trace labels (info) */
} tsf_auto;

#define AUTO_KEYS \
    "max_p, max_q, max_sp, max_sq, max_d, max_sd, d, sd, ic, approximation, stepwise, max_order"

static void clear_fit(tsf_auto *a)
{
    if (a->labels)
        for (size_t i = 0; i < a->trace.n; i++) free(a->labels[i]);
    free(a->labels);
    a->labels = NULL;
    tsf_auto_trace_free(&a->trace);
    tsf_arima_free(a->chosen);
    a->chosen = NULL;
}

static void auto_free(void *impl)
{
    tsf_auto *a = impl;
    if (!a) return;
    clear_fit(a);
    free(a);
}

static tsf_status get_int(const tsf_spec *s, const char *key, long lo, long hi, int *out)
{
    long v = *out;
    tsf_status st = tsf_spec_get_int(s, 0, key, lo, hi, &v);
    if (st == TSF_OK) *out = (int)v;
    return st;
}

static tsf_status auto_parse(const tsf_spec *s, void **impl)
{
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE,
                              "auto takes one group of options: auto(%s)", AUTO_KEYS);
    tsf_auto *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory for model '%s'", s->text);
    tsf_auto_opts_default(&a->opts);
    tsf_auto_opts *o = &a->opts;
    static const char *const ics[] = {"aicc", "aic", "bic", NULL};
    static const char *const approx[] = {"auto", "no", "yes", NULL};
    static const char *const yesno[] = {"no", "yes", NULL};
    int ic = 0, ap = 0;
    tsf_status st;
    if ((st = get_int(s, "max_p", 0, TSF_ARIMA_MAX_PQ, &o->max_p)) ||
        (st = get_int(s, "max_q", 0, TSF_ARIMA_MAX_PQ, &o->max_q)) ||
        (st = get_int(s, "max_sp", 0, TSF_ARIMA_MAX_PQ, &o->max_P)) ||
        (st = get_int(s, "max_sq", 0, TSF_ARIMA_MAX_PQ, &o->max_Q)) ||
        (st = get_int(s, "max_d", 0, 2, &o->max_d)) ||
        (st = get_int(s, "max_sd", 0, 1, &o->max_D)) ||
        (st = get_int(s, "d", 0, 2, &o->d)) ||
        (st = get_int(s, "sd", 0, 1, &o->D)) ||
        (st = tsf_spec_get_choice(s, 0, "ic", ics, &ic)) ||
        (st = tsf_spec_get_choice(s, 0, "approximation", approx, &ap)) ||
        (st = tsf_spec_get_choice(s, 0, "stepwise", yesno, &o->stepwise)) ||
        (st = get_int(s, "max_order", 0, 4 * TSF_ARIMA_MAX_PQ, &o->max_order)) ||
        (st = tsf_spec_check_unused(s, AUTO_KEYS))) {
        free(a);
        return st;
    }
    if (s->period < 0 || s->period > 1000000) {
        free(a);
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "period %ld is out of range",
                              s->period);
    }
    o->ic = (tsf_ic)ic;
    o->approximation = ap == 0 ? -1 : ap == 2;
    *impl = a;
    return TSF_OK;
}

static tsf_status auto_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           int period, const tsf_fit_opts *opts)
{
    tsf_auto *a = impl;
    tsf_auto_result r;
    tsf_status st = tsf_auto_arima(&a->opts, y, n, period, xreg, opts, &r);
    if (st != TSF_OK) return st;
    char **labels = calloc(r.trace.n ? r.trace.n : 1, sizeof *labels);
    for (size_t i = 0; labels && i < r.trace.n; i++) {
        char buf[96];
        tsf_auto_label(&r.trace.orders[i], period, buf, sizeof buf);
        if (!(labels[i] = strdup(buf))) {
            for (size_t j = 0; j < i; j++) free(labels[j]);
            free(labels);
            labels = NULL;
        }
    }
    if (!labels) {
        tsf_auto_result_free(&r);
        return tsf_set_error(TSF_ENOMEM, "auto: out of memory for the trace");
    }
    clear_fit(a);
    a->chosen = r.model;
    a->trace = r.trace;
    a->labels = labels;
    return TSF_OK;
}

static tsf_status auto_info(const void *impl, tsf_fit_info *info)
{
    const tsf_auto *a = impl;
    if (!a->chosen) return tsf_set_error(TSF_EINVAL, "auto: the model has not been fitted");
    tsf_status st = tsf_arima_info(a->chosen, info);
    if (st != TSF_OK) return st;
    info->ntrace = a->trace.n;
    info->trace_labels = (const char *const *)a->labels;
    info->trace_values = a->trace.ic;
    return TSF_OK;
}

static tsf_status unsup(const char *what)
{
    return tsf_set_error(TSF_EUNSUP, "auto: the arima family does not provide %s", what);
}

static tsf_status auto_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                              size_t start, double *ll)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.loglik) return unsup("log-likelihoods");
    return tsf_arima_type.loglik(a->chosen, y, n, xreg, start, ll);
}

static tsf_status auto_forecast(const void *impl, const double *y, size_t n,
                                const tsf_xreg *xreg, size_t h, const double *levels,
                                size_t nlevels, const tsf_forecast_opts *opts,
                                tsf_forecast_result *fc)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.forecast) return unsup("forecasts");
    return tsf_arima_type.forecast(a->chosen, y, n, xreg, h, levels, nlevels, opts, fc);
}

static tsf_status auto_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                                const tsf_xreg *xreg, double *out)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.simulate) return unsup("simulation");
    return tsf_arima_type.simulate(a->chosen, n, npaths, seed, xreg, out);
}

static tsf_status auto_residuals(const void *impl, const double *y, size_t n,
                                 const tsf_xreg *xreg, double *fitted, double *resid)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.residuals) return unsup("residuals");
    return tsf_arima_type.residuals(a->chosen, y, n, xreg, fitted, resid);
}

/* Streaming states are the chosen ARIMA's own states. */
static tsf_status auto_state_new(const void *impl, void **st)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.state_new) return unsup("streaming states");
    return tsf_arima_type.state_new(a->chosen, st);
}

static tsf_status auto_state_update(void *st, double y, const double *x, size_t k,
                                    double *logp)
{
    if (!tsf_arima_type.state_update) return unsup("streaming states");
    return tsf_arima_type.state_update(st, y, x, k, logp);
}

static tsf_status auto_state_save(const void *st, tsf_st *doc)
{
    if (!tsf_arima_type.state_save) return unsup("saving streaming states");
    return tsf_arima_type.state_save(st, doc);
}

static tsf_status auto_state_load(const void *impl, const tsf_st *doc, void **st)
{
    const tsf_auto *a = impl;
    *st = NULL;
    if (!a->chosen) return tsf_set_error(TSF_EINVAL, "auto: the model has not been fitted");
    if (!tsf_arima_type.state_load) return unsup("loading streaming states");
    return tsf_arima_type.state_load(a->chosen, doc, st);
}

static tsf_status auto_state_forecast(void *st, size_t h, const double *levels,
                                      size_t nlevels, const tsf_forecast_opts *opts,
                                      tsf_forecast_result *fc)
{
    if (!tsf_arima_type.state_forecast) return unsup("streaming forecasts");
    return tsf_arima_type.state_forecast(st, h, levels, nlevels, opts, fc);
}

static void auto_state_free(void *st)
{
    if (st && tsf_arima_type.state_free) tsf_arima_type.state_free(st);
}

/* The file holds the chosen ARIMA exactly as the arima family writes it
 * (orders, coefficients, sigma2): loading gives that ARIMA back.  The
 * search trace is not kept. */
static tsf_status auto_save(const void *impl, tsf_st *doc)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.save) return unsup("saving");
    return tsf_arima_type.save(a->chosen, doc);
}

static tsf_status auto_load(const tsf_st *doc, void **impl)
{
    if (!tsf_arima_type.load) return unsup("loading");
    /* the load contract: *impl is what parse() made of the stored spec
     * (its options kept), or NULL */
    tsf_auto *a = *impl;
    if (!a) {
        if (!(a = calloc(1, sizeof *a)))
            return tsf_set_error(TSF_ENOMEM, "auto: out of memory loading a model");
        tsf_auto_opts_default(&a->opts);
        *impl = a;
    }
    void *m = NULL;
    tsf_status st = tsf_arima_type.load(doc, &m);
    if (st != TSF_OK) return st;
    clear_fit(a);
    a->chosen = m;
    return TSF_OK;
}

static tsf_status auto_state_clone(const void *st, void **out)
{
    if (!tsf_arima_type.state_clone) return unsup("state copies");
    return tsf_arima_type.state_clone(st, out);
}

static tsf_status auto_smooth(const void *impl, const double *y, size_t n,
                              const tsf_xreg *xreg, tsf_smooth_result *res)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.smooth) return unsup("smoothing");
    return tsf_arima_type.smooth(a->chosen, y, n, xreg, res);
}

static tsf_status auto_smooth_draws(const void *impl, const double *y, size_t n,
                                    const tsf_xreg *xreg, size_t npaths, uint64_t seed,
                                    double *out)
{
    const tsf_auto *a = impl;
    if (!tsf_arima_type.smooth_draws) return unsup("smoothing");
    return tsf_arima_type.smooth_draws(a->chosen, y, n, xreg, npaths, seed, out);
}

const tsf_model_type tsf_auto_type = {
    .name = "auto",
    .neural = 0,
    .reads = TSF_READS_METHOD | TSF_READS_MEAN,
    .parse = auto_parse,
    .fit = auto_fit,
    .fit_many = NULL,
    .info = auto_info,
    .loglik = auto_loglik,
    .forecast = auto_forecast,
    .simulate = auto_simulate,
    .residuals = auto_residuals,
    .state_new = auto_state_new,
    .state_update = auto_state_update,
    .state_forecast = auto_state_forecast,
    .state_free = auto_state_free,
    .state_save = auto_state_save,
    .state_load = auto_state_load,
    .save = auto_save,
    .load = auto_load,
    .free = auto_free,
    .state_clone = auto_state_clone,
    .smooth = auto_smooth,
    .smooth_draws = auto_smooth_draws,
};
