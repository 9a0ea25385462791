/* The neural families' type objects: gru(...), lstm(...) and
 * transformer(...) — spec validation, fit (one or several series),
 * the exact autoregressive log-likelihood, forecasts by ancestral
 * sampling, simulation, residuals and streaming state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neural.h"

static const char *const head_names[] = {"gaussian", "student-t", NULL};

tsf_neural *tsf_neural_alloc(const tsf_nn_config *cfg)
{
    tsf_neural *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cfg = *cfg;
    m->scale = 1.0;
    m->valid_nll = NAN;
    tsf_neural_set_name(m);
    return m;
}

void tsf_neural_free(void *impl)
{
    tsf_neural *m = impl;
    if (!m) return;
    tsf_nn_free(m->nn);
    free(m);
}

void tsf_neural_set_name(tsf_neural *m)
{
    const tsf_nn_config *c = &m->cfg;
    if (c->arch == TSF_NN_TRANSFORMER)
        snprintf(m->name, sizeof m->name, "Transformer(d=%d, heads=%d, layers=%d, context=%d, "
                 "head=%s)", c->hidden, c->heads, c->layers, c->context, head_names[c->head]);
    else
        snprintf(m->name, sizeof m->name, "%s(hidden=%d, layers=%d, context=%d, head=%s)",
                 c->arch == TSF_NN_GRU ? "GRU" : "LSTM", c->hidden, c->layers, c->context,
                 head_names[c->head]);
}

/* Defaults (docs/neural.md): gru/lstm(hidden=64, layers=2, context=128),
 * transformer(d=64, heads=4, layers=2, context=256), head=gaussian. */
static tsf_status parse(const tsf_spec *s, tsf_nn_arch arch, void **impl)
{
    *impl = NULL;
    tsf_nn_config c = {arch, TSF_NN_HEAD_GAUSSIAN, 64, 2, 4, arch == TSF_NN_TRANSFORMER ? 256 : 128,
                       1};
    long hidden = c.hidden, layers = c.layers, heads = c.heads, context = c.context;
    int head = 0;
    tsf_status st;
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "%s() takes one argument list",
                              s->name);
    const char *hk = arch == TSF_NN_TRANSFORMER ? "d" : "hidden";
    if ((st = tsf_spec_get_int(s, 0, hk, 1, 1024, &hidden)) ||
        (st = tsf_spec_get_int(s, 0, "layers", 1, TSF_NN_MAX_LAYERS, &layers)) ||
        (st = tsf_spec_get_int(s, 0, "context", 2, 4096, &context)) ||
        (st = tsf_spec_get_choice(s, 0, "head", head_names, &head)))
        return st;
    if (arch == TSF_NN_TRANSFORMER) {
        if ((st = tsf_spec_get_int(s, 0, "heads", 1, 64, &heads))) return st;
        if (hidden % heads) {
            tsf_spec_arg *a = tsf_spec_find(s, 0, "heads");
            if (!a) a = tsf_spec_find(s, 0, "d");
            return tsf_spec_error(s, a ? a->pos : 0, TSF_EPARSE,
                                  "d=%ld is not a multiple of heads=%ld", hidden, heads);
        }
        st = tsf_spec_check_unused(s, "d, heads, layers, context, head");
    } else {
        st = tsf_spec_check_unused(s, "hidden, layers, context, head");
    }
    if (st) return st;
    c.hidden = (int)hidden;
    c.layers = (int)layers;
    c.heads = (int)heads;
    c.context = (int)context;
    c.head = (tsf_nn_head)head;
    tsf_neural *m = tsf_neural_alloc(&c);
    if (!m) return tsf_set_error(TSF_ENOMEM, "out of memory creating '%s'", s->text);
    m->spec_period = s->period;
    *impl = m;
    return TSF_OK;
}

static tsf_status parse_gru(const tsf_spec *s, void **impl) { return parse(s, TSF_NN_GRU, impl); }
static tsf_status parse_lstm(const tsf_spec *s, void **impl) { return parse(s, TSF_NN_LSTM, impl); }
static tsf_status parse_transformer(const tsf_spec *s, void **impl)
{
    return parse(s, TSF_NN_TRANSFORMER, impl);
}

static tsf_status fit_many(void *impl, const double *const *ys, const size_t *ns, size_t nseries,
                           int period, const tsf_fit_opts *opts)
{
    if (nseries == 0) return tsf_set_error(TSF_EINVAL, "no series given");
    for (size_t k = 0; k < nseries; k++)
        if (!ys[k] && ns[k]) return tsf_set_error(TSF_EINVAL, "series %zu has no data", k + 1);
    return tsf_neural_train(impl, ys, ns, nseries, period, opts);
}

static tsf_status fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg, int period,
                      const tsf_fit_opts *opts)
{
    if (xreg && xreg->k)
        return tsf_set_error(TSF_EUNSUP, "neural models take no regressors (--xreg)");
    return fit_many(impl, &y, &n, 1, period, opts);
}

static tsf_status need_nn(const tsf_neural *m)
{
    if (!m->nn) return tsf_set_error(TSF_EINVAL, "the %s model has not been fitted", m->name);
    return TSF_OK;
}

static tsf_status info(const void *impl, tsf_fit_info *fi)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    fi->model = m->name;
    fi->period = m->cfg.period;
    fi->sigma2 = NAN;
    fi->mean = NAN;
    fi->loglik = m->loglik;
    double k = (double)m->nn->nparams, n = (double)m->nobs;
    fi->aic = -2.0 * m->loglik + 2.0 * k;
    fi->aicc = n - k - 1.0 > 0.0 ? fi->aic + 2.0 * k * (k + 1.0) / (n - k - 1.0) : NAN;
    fi->bic = -2.0 * m->loglik + k * log(n);
    fi->nobs = m->nobs;
    fi->converged = 1;
    fi->lambda = NAN;
    return TSF_OK;
}

tsf_status tsf_neural_series_loglik(const tsf_neural *m, const double *y, size_t n, size_t start,
                                    double *ll, double *fitted)
{
    tsf_nn_stream *s;
    tsf_status st = tsf_nn_stream_new(m->nn, m->scale, 1, &s);
    if (st) return st;
    double sum = 0.0;
    for (size_t t = 0; t < n; t++) {
        double lp, mu;
        tsf_nn_stream_update(s, y[t], t >= start ? &lp : NULL, fitted ? &mu : NULL);
        if (t >= start) sum += lp;
        if (fitted) fitted[t] = isnan(y[t]) ? NAN : mu;
    }
    tsf_nn_stream_free(s);
    *ll = sum;
    return TSF_OK;
}

static tsf_status loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         size_t start, double *ll)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    if (xreg && xreg->k) return tsf_set_error(TSF_EUNSUP, "neural models take no regressors");
    return tsf_neural_series_loglik(m, y, n, start, ll, NULL);
}

static tsf_status residuals(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            double *fitted, double *resid)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    (void)xreg;
    double ll;
    double *f = fitted ? fitted : malloc((n ? n : 1) * sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "out of memory");
    st = tsf_neural_series_loglik(m, y, n, n, &ll, f);
    if (!st && resid)
        for (size_t i = 0; i < n; i++) resid[i] = y[i] - f[i];
    if (f != fitted) free(f);
    return st;
}

/* Samples N paths of h steps from a (one-sequence) stream into fc. */
static tsf_status sample_forecast(const tsf_nn_stream *s1, size_t h, const tsf_forecast_opts *o,
                                  tsf_forecast_result *fc)
{
    size_t N = o && o->samples ? o->samples : TSF_NN_DEFAULT_SAMPLES;
    tsf_nn_stream *s = NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *paths = malloc(N * h * sizeof *paths);
    tsf_status st = TSF_OK;
    if (!r || !paths) st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu sample paths", N);
    if (!st) st = tsf_nn_stream_fork(s1, N, &s);
    if (!st) {
        gsl_rng_set(r, (unsigned long)(o ? o->seed : 0));
        st = tsf_nn_stream_sample(s, h, r, paths);
    }
    if (!st) st = tsf_nn_summarise(paths, N, h, fc);
    tsf_nn_stream_free(s);
    gsl_rng_free(r);
    free(paths);
    return st;
}

static tsf_status forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           size_t h, const double *levels, size_t nlevels,
                           const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    (void)xreg; (void)levels; (void)nlevels;
    tsf_nn_stream *s;
    if ((st = tsf_nn_stream_new(m->nn, m->scale, 1, &s))) return st;
    for (size_t t = 0; t < n; t++) tsf_nn_stream_update(s, y[t], NULL, NULL);
    st = sample_forecast(s, h, opts, fc);
    tsf_nn_stream_free(s);
    return st;
}

static tsf_status simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                           const tsf_xreg *xreg, double *out)
{
    if (xreg) return tsf_set_error(TSF_EINVAL, "neural models take no regressors");
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st || n == 0 || npaths == 0) return st;
    tsf_nn_stream *s;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory");
    gsl_rng_set(r, (unsigned long)seed);
    if (!(st = tsf_nn_stream_new(m->nn, m->scale, npaths, &s))) {
        st = tsf_nn_stream_sample(s, n, r, out);
        tsf_nn_stream_free(s);
    }
    gsl_rng_free(r);
    return st;
}

/* Streaming state (tsf_neural_state, neural.h). */
typedef tsf_neural_state neural_state;

static void state_free(void *p)
{
    neural_state *ns = p;
    if (!ns) return;
    tsf_nn_stream_free(ns->s);
    tsf_nn_free(ns->nn);
    free(ns);
}

static tsf_status state_new(const void *impl, void **out)
{
    const tsf_neural *m = impl;
    *out = NULL;
    tsf_status st = need_nn(m);
    if (st) return st;
    neural_state *ns = calloc(1, sizeof *ns);
    if (!ns) return tsf_set_error(TSF_ENOMEM, "out of memory for a state");
    if (!(st = tsf_nn_new(&m->cfg, &ns->nn))) {
        memcpy(ns->nn->params, m->nn->params, m->nn->nparams * sizeof(float));
        st = tsf_nn_stream_new(ns->nn, m->scale, 1, &ns->s);
    }
    if (st) {
        state_free(ns);
        return st;
    }
    *out = ns;
    return TSF_OK;
}

static tsf_status state_update(void *p, double y, const double *x, size_t k, double *logp)
{
    neural_state *ns = p;
    if (x || k) return tsf_set_error(TSF_EINVAL, "neural models take no regressors");
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "observation %g is infinite", y);
    double lp;
    tsf_nn_stream_update(ns->s, y, &lp, NULL);
    if (logp) *logp = lp;
    return TSF_OK;
}

static tsf_status state_forecast(const void *p, size_t h, const double *levels, size_t nlevels,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const neural_state *ns = p;
    if (opts && opts->xreg_future && opts->xreg_future->k)
        return tsf_set_error(TSF_EINVAL, "neural models take no regressors");
    (void)levels; (void)nlevels;
    return sample_forecast(ns->s, h, opts, fc);
}

/* Saved: the run's recurrent part (RNN h and c, or the transformer's KV
 * caches: everything before its scratch), the ring of scaled past values
 * and the two position counters. */
static size_t run_state_floats(const tsf_nn_run *r)
{
    return (size_t)(r->scratch - r->mem);
}

static tsf_status state_save(const void *p, tsf_st *doc)
{
    const neural_state *ns = p;
    const tsf_nn_stream *s = ns->s;
    size_t nr[1] = {run_state_floats(s->run)}, nh[1] = {s->P}, two[1] = {2};
    double cnt[2] = {(double)s->count, (double)s->run->pos};
    tsf_status st;
    if ((st = tsf_st_add(doc, "state.run", TSF_ST_F32, 1, nr, s->run->mem)) ||
        (st = tsf_st_add(doc, "state.hist", TSF_ST_F64, 1, nh, s->hist)))
        return st;
    return tsf_st_add(doc, "state.count", TSF_ST_F64, 1, two, cnt);
}

static int count_ok(double v)
{
    return v >= 0.0 && v <= 9007199254740992.0 && v == floor(v);
}

static tsf_status state_load(const void *impl, const tsf_st *doc, void **out)
{
    *out = NULL;
    void *p;
    tsf_status st = state_new(impl, &p);
    if (st) return st;
    neural_state *ns = p;
    tsf_nn_stream *s = ns->s;
    const char *fam = ns->nn->cfg.arch == TSF_NN_TRANSFORMER ? "transformer" : "rnn";
    size_t nr = run_state_floats(s->run), ndim, cnt = 0;
    const size_t *shape;
    const void *data;
    const double *hist, *c;
    if (!(st = tsf_st_get(doc, "state.run", TSF_ST_F32, &ndim, &shape, &data, &cnt)) &&
        (ndim != 1 || cnt != nr))
        st = tsf_set_error(TSF_EPARSE, "%s state: tensor state.run holds %zu values, the "
                           "network's state has %zu", fam, cnt, nr);
    if (!st) st = tsf_st_get_vec(doc, fam, "state.hist", s->P, &hist);
    if (!st) st = tsf_st_get_vec(doc, fam, "state.count", 2, &c);
    if (!st) {
        const float *f = data;
        for (size_t i = 0; i < nr && !st; i++)
            if (!isfinite(f[i])) st = tsf_set_error(TSF_EPARSE, "%s state: a non-finite value "
                                                    "in state.run", fam);
        for (size_t i = 0; i < s->P && !st; i++)
            if (isinf(hist[i])) st = tsf_set_error(TSF_EPARSE, "%s state: an infinite value "
                                                   "in state.hist", fam);
        if (!st && (!count_ok(c[0]) || !count_ok(c[1])))
            st = tsf_set_error(TSF_EPARSE, "%s state: bad position counters", fam);
    }
    if (st) {
        state_free(ns);
        return st;
    }
    memcpy(s->run->mem, data, nr * sizeof(float));
    memcpy(s->hist, hist, s->P * sizeof *hist);
    s->count = (size_t)c[0];
    s->run->pos = (size_t)c[1];
    *out = ns;
    return TSF_OK;
}

#define NEURAL_TYPE(var, nm, parsefn)                                                          \
    const tsf_model_type var = {                                                               \
        .name = nm, .neural = 1, .parse = parsefn, .fit = fit, .fit_many = fit_many,           \
        .info = info, .loglik = loglik, .forecast = forecast, .simulate = simulate,            \
        .residuals = residuals, .state_new = state_new, .state_update = state_update,          \
        .state_forecast = state_forecast, .state_free = state_free, .state_save = state_save, \
        .state_load = state_load, .save = tsf_neural_save,                                      \
        .load = tsf_neural_load, .free = tsf_neural_free,                                      \
        .state_clone = tsf_neural_state_clone, .state_sample = tsf_neural_state_sample}

NEURAL_TYPE(tsf_gru_type, "gru", parse_gru);
NEURAL_TYPE(tsf_lstm_type, "lstm", parse_lstm);
NEURAL_TYPE(tsf_transformer_type, "transformer", parse_transformer);
