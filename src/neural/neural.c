/* What the neural families' type objects (TSF_NEURAL_TYPE, neural.h)
 * share: spec validation from the architecture's hyperparameter list, fit
 * (one or several series),
 * the exact autoregressive log-likelihood, forecasts by ancestral
 * sampling, simulation, residuals and streaming state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/combo.h"
#include "core/model_impl.h"
#include "neural.h"
#include "prune.h"

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
    tsf_neural_global_free(m);
    tsf_neural_set_x(m, 0);
    free(m);
}

void tsf_neural_set_x(tsf_neural *m, size_t k)
{
    free(m->xcenter);
    if (m->xnames)
        for (int j = 0; j < m->cfg.nextra; j++) free(m->xnames[j]);
    free(m->xnames);
    m->xcenter = m->xscale = NULL;
    m->xnames = NULL;
    m->cfg.nextra = 0;
    if (!k) return;
    m->xcenter = calloc(2 * k, sizeof *m->xcenter);
    m->xnames = calloc(k, sizeof *m->xnames);
    if (!m->xcenter || !m->xnames) {
        free(m->xcenter);
        free(m->xnames);
        m->xcenter = NULL;
        m->xnames = NULL;
        return;
    }
    m->xscale = m->xcenter + k;
    m->cfg.nextra = (int)k;
}

tsf_status tsf_neural_check_x(const tsf_neural *m, const tsf_xreg *x, size_t n, const char *what)
{
    size_t k = (size_t)m->cfg.nextra, got = x ? x->k : 0;
    if (got != k && !k)
        return tsf_set_error(TSF_EINVAL, "the %s model was fitted without regressors; fit it "
                             "with them (--xreg) to use them", m->name);
    if (got != k)
        return tsf_set_error(TSF_EINVAL, "the model has %zu regressors: give their %zu %s "
                             "(%zu columns given)", k, n, what, got);
    if (!k) return TSF_OK;
    if (!x->x || x->ld < n)
        return tsf_set_error(TSF_EINVAL, "%zu rows of regressors (%s) but %zu needed",
                             x->x ? x->ld : 0, what, n);
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(x->x[j * x->ld + i]))
                return tsf_set_error(TSF_EINVAL, "regressor %zu (%s) is %s at row %zu of the "
                                     "%s; regressors must be finite numbers", j + 1,
                                     m->xnames && m->xnames[j] ? m->xnames[j] : "?",
                                     isnan(x->x[j * x->ld + i]) ? "missing" : "infinite", i + 1,
                                     what);
    return TSF_OK;
}

tsf_status tsf_neural_stream(const tsf_neural *m, const tsf_nn *nn, size_t k, size_t B,
                             tsf_nn_stream **out)
{
    tsf_status st = tsf_nn_stream_new(nn, tsf_neural_series_scale(m, k), B, out);
    if (st) return st;
    if ((*out)->sfeat) tsf_neural_series_feat(m, nn->params + nn->emb, k, (*out)->sfeat);
    (*out)->lsd = m->cfg.nseries > 0 ? 1.0 / m->ls_sd : 1.0;
    if (m->cfg.nextra) {
        memcpy((*out)->xcenter, m->xcenter, (size_t)m->cfg.nextra * sizeof(double));
        memcpy((*out)->xscale, m->xscale, (size_t)m->cfg.nextra * sizeof(double));
    }
    return TSF_OK;
}

/* "Title(key=value, ..., head=NAME[, components=M])" from the
 * architecture's hyperparameter list ("auto" for values not yet chosen). */
void tsf_neural_set_name(tsf_neural *m)
{
    tsf_nn_config *c = &m->cfg;
    const tsf_nn_head_ops *hd = tsf_nn_head_get(c->head);
    size_t used = 0, n = sizeof m->name;
    int w = snprintf(m->name, n, "%s(", c->arch->title);
    for (const tsf_nn_hparam *h = c->arch->hp; h->key && w >= 0 && (used += (size_t)w) < n;
         h++) {
        int v = *tsf_nn_hp(c, h);
        w = v || !h->autoval ? snprintf(m->name + used, n - used, "%s=%d, ", h->key, v)
                             : snprintf(m->name + used, n - used, "%s=auto, ", h->key);
    }
    for (const tsf_nn_opt *o = c->arch->opts; o && o->key && w >= 0 && (used += (size_t)w) < n;
         o++) {
        int v = *tsf_nn_opt_val(c, o);
        w = v == o->def ? 0
            : o->names  ? snprintf(m->name + used, n - used, "%s=%s, ", o->key, o->names[v])
                        : snprintf(m->name + used, n - used, "%s=%d, ", o->key, v);
    }
    if (c->sparsity > 0.0 && w >= 0 && (used += (size_t)w) < n)
        w = snprintf(m->name + used, n - used, "sparsity=%g, ", c->sparsity);
    if (w >= 0 && (used += (size_t)w) < n) {
        if (hd->nkey && c->head_n)
            snprintf(m->name + used, n - used, "head=%s, %s=%d)", hd->name, hd->nkey, c->head_n);
        else if (hd->nkey)
            snprintf(m->name + used, n - used, "head=%s, %s=auto)", hd->name, hd->nkey);
        else
            snprintf(m->name + used, n - used, "head=%s)", hd->name);
    }
}

/* sparsity=S, common to every architecture: 0 <= S < 1 (prune.h). */
static tsf_status parse_sparsity(const tsf_spec *s, double *out)
{
    *out = 0.0;
    tsf_status st = tsf_spec_get_real(s, 0, "sparsity", 0.0, 1.0, out);
    if (st) return st;
    if (*out >= 1.0)
        return tsf_spec_error(s, tsf_spec_find(s, 0, "sparsity")->pos, TSF_EPARSE,
                              "sparsity=%g prunes every weight: give a fraction below 1, e.g. "
                              "sparsity=0.9", *out);
    return TSF_OK;
}

tsf_status tsf_neural_parse(const tsf_spec *s, const tsf_nn_arch_ops *arch, void **impl)
{
    *impl = NULL;
    tsf_nn_config c;
    memset(&c, 0, sizeof c);
    c.arch = arch;
    c.head = TSF_NN_HEAD_GAUSSIAN;
    c.period = 1;
    int head = 0;
    tsf_status st;
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "%s() takes one argument list",
                              s->name);
    char known[256] = "";
    size_t used = 0;
    for (const tsf_nn_hparam *h = arch->hp; h->key; h++) {
        long v = h->def;
        if ((st = tsf_spec_get_int(s, 0, h->key, h->lo, h->hi, &v))) return st;
        *tsf_nn_hp(&c, h) = (int)v;
        int w = snprintf(known + used, sizeof known - used, "%s, ", h->key);
        if (w > 0 && (size_t)w < sizeof known - used) used += (size_t)w;
    }
    for (const tsf_nn_opt *o = arch->opts; o && o->key; o++) {
        long v = o->def;
        int ci = (int)o->def;
        if ((st = o->names ? tsf_spec_get_choice(s, 0, o->key, o->names, &ci)
                           : tsf_spec_get_int(s, 0, o->key, o->lo, o->hi, &v)))
            return st;
        *tsf_nn_opt_val(&c, o) = o->names ? ci : (int)v;
        int w = snprintf(known + used, sizeof known - used, "%s, ", o->key);
        if (w > 0 && (size_t)w < sizeof known - used) used += (size_t)w;
    }
    snprintf(known + used, sizeof known - used, "sparsity, embed, ensemble, head, components "
             "(head=mixture), bins (head=binned)");
    if ((st = parse_sparsity(s, &c.sparsity))) return st;
    long emb = 0;
    if ((st = tsf_spec_get_int(s, 0, "embed", 0, 256, &emb))) return st;
    c.embed = (int)emb;
    if ((st = tsf_spec_get_choice(s, 0, "head", tsf_nn_head_names, &head))) return st;
    c.head = (tsf_nn_head)head;
    /* the size keys of the heads: only the chosen head's is allowed */
    for (int k = 0; tsf_nn_head_names[k]; k++) {
        const tsf_nn_head_ops *hd = tsf_nn_head_get((tsf_nn_head)k);
        if (!hd->nkey) continue;
        tsf_spec_arg *a = tsf_spec_find(s, 0, hd->nkey);
        if (k != head && a)
            return tsf_spec_error(s, a->pos, TSF_EPARSE, "%s= goes with head=%s", hd->nkey,
                                  hd->name);
        if (k == head) {
            long v = hd->ndef;
            if ((st = tsf_spec_get_int(s, 0, hd->nkey, hd->nlo, hd->nhi, &v))) return st;
            c.head_n = (int)v;
        }
    }
    char why[160] = "";
    const char *key = NULL;
    if (arch->check && arch->check(&c, why, sizeof why, &key)) {
        tsf_spec_arg *a = key ? tsf_spec_find(s, 0, key) : NULL;
        return tsf_spec_error(s, a ? a->pos : 0, TSF_EPARSE, "%s", why);
    }
    if ((st = tsf_spec_check_unused(s, known))) return st;
    tsf_neural *m = tsf_neural_alloc(&c);
    if (!m) return tsf_set_error(TSF_ENOMEM, "out of memory creating '%s'", s->text);
    *impl = m;
    return TSF_OK;
}

tsf_status tsf_neural_fit_many(void *impl, const double *const *ys, const size_t *ns,
                               size_t nseries, int period, const tsf_fit_opts *opts)
{
    if (nseries == 0) return tsf_set_error(TSF_EINVAL, "no series given");
    for (size_t k = 0; k < nseries; k++)
        if (!ys[k] && ns[k]) return tsf_set_error(TSF_EINVAL, "series %zu has no data", k + 1);
    tsf_neural *m = impl;
    const char *why = m->cfg.arch->needs_x ? m->cfg.arch->needs_x(&m->cfg) : NULL;
    if (why) return tsf_set_error(TSF_EINVAL, "%s", why);
    tsf_neural_set_x(impl, 0);
    return tsf_neural_train(impl, ys, ns, NULL, nseries, period, opts);
}

/* Each regressor's centre and scale: its mean and standard deviation
 * over the fitting rows of every series (xs[s] with ns[s] rows; a global
 * model pools them), 1 for a constant column.  Names from series 0. */
tsf_status tsf_neural_fit_x(tsf_neural *m, const tsf_xreg *const *xs, const size_t *ns,
                            size_t nseries)
{
    size_t k = xs[0]->k, n = 0;
    tsf_neural_set_x(m, k);
    if (!m->xcenter) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu regressors", k);
    for (size_t s = 0; s < nseries; s++) {
        tsf_status st = tsf_neural_check_x(m, xs[s], ns[s], "fitting rows");
        if (st) return st;
        n += ns[s];
    }
    if (n < 2) return tsf_set_error(TSF_EDOMAIN, "too few rows (%zu) for regressors", n);
    for (size_t j = 0; j < k; j++) {
        double mu = 0.0, ss = 0.0;
        for (size_t s = 0; s < nseries; s++)
            for (size_t i = 0; i < ns[s]; i++) mu += xs[s]->x[j * xs[s]->ld + i];
        mu /= (double)n;
        for (size_t s = 0; s < nseries; s++)
            for (size_t i = 0; i < ns[s]; i++) {
                double d = xs[s]->x[j * xs[s]->ld + i] - mu;
                ss += d * d;
            }
        double sd = sqrt(ss / (double)(n - 1));
        m->xcenter[j] = mu;
        m->xscale[j] = sd > 1e-12 * (fabs(mu) + 1.0) ? sd : 1.0;
        char nm[32];
        snprintf(nm, sizeof nm, "xreg%zu", j + 1);
        const char *src = xs[0]->names && xs[0]->names[j] ? xs[0]->names[j] : nm;
        if (!(m->xnames[j] = strdup(src))) return tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    return TSF_OK;
}

tsf_status tsf_neural_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg, int period,
                          const tsf_fit_opts *opts)
{
    tsf_neural *m = impl;
    if (opts && opts->trend)
        return tsf_set_error(TSF_EUNSUP, "neural models take no trend term (it would "
                             "extrapolate the network's inputs beyond anything seen); give "
                             "regressor columns or fourier/calendar terms instead");
    if (!xreg || !xreg->k) return tsf_neural_fit_many(impl, &y, &n, 1, period, opts);
    tsf_status st = tsf_neural_fit_x(m, &xreg, &n, 1);
    if (!st) st = tsf_neural_train(m, &y, &n, &xreg, 1, period, opts);
    if (st) tsf_neural_set_x(m, 0);
    return st;
}

static tsf_status need_nn(const tsf_neural *m)
{
    if (!m->nn) return tsf_set_error(TSF_EINVAL, "the %s model has not been fitted", m->name);
    return TSF_OK;
}

/* What a global model cannot do without knowing the series. */
static tsf_status not_global(const tsf_neural *m, const char *what)
{
    if (m->cfg.nseries > 0)
        return tsf_set_error(TSF_EUNSUP, "%s of a global model (one network over %d series) "
                             "is not supported; forecast a series of it instead", what,
                             m->cfg.nseries);
    return TSF_OK;
}

tsf_status tsf_neural_regressors(const void *impl, size_t *k, const char *const **names)
{
    const tsf_neural *m = impl;
    *k = (size_t)m->cfg.nextra;
    *names = (const char *const *)m->xnames;
    return TSF_OK;
}

tsf_status tsf_neural_info(const void *impl, tsf_fit_info *fi)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    fi->model = m->name;
    fi->period = m->cfg.period;
    fi->sigma2 = NAN;
    fi->mean = NAN;
    fi->loglik = m->loglik;
    tsf_info_criteria(m->loglik, (double)tsf_nn_free_params(m->nn), (double)m->nobs, &fi->aic, &fi->aicc,
                      &fi->bic);
    fi->nobs = m->nobs;
    fi->converged = 1;
    fi->lambda = NAN;
    return TSF_OK;
}

tsf_status tsf_model_precision(const tsf_model *m, tsf_precision *out)
{
    if (!m || !out || !tsf_model_is_neural(m))
        return tsf_set_error(TSF_EINVAL, "tsf_model_precision: %s", !m || !out
                             ? "NULL argument" : "not a neural model");
    const tsf_model *net = tsf_combo_ensemble_member(m);
    if (net) return tsf_model_precision(net, out); /* the ensemble's networks' */
    const tsf_neural *nm = m->impl;
    tsf_status st = need_nn(nm);
    if (st) return st;
    *out = nm->precision;
    return TSF_OK;
}

const char *tsf_precision_name(tsf_precision p)
{
    switch (p) {
    case TSF_PRECISION_FP32: return "fp32";
    case TSF_PRECISION_TF32: return "tf32";
    case TSF_PRECISION_BF16: return "bf16";
    }
    return NULL;
}

tsf_status tsf_neural_series_loglik(const tsf_neural *m, const double *y, size_t n, size_t start,
                                    double *ll, double *fitted)
{
    return tsf_neural_series_loglik_x(m, 0, y, n, NULL, start, ll, fitted);
}

tsf_status tsf_neural_series_loglik_x(const tsf_neural *m, size_t k, const double *y, size_t n,
                                      const tsf_xreg *xreg, size_t start, double *ll,
                                      double *fitted)
{
    tsf_nn_stream *s;
    tsf_status st = tsf_neural_check_x(m, xreg, n, "rows of the series");
    if (st || (st = tsf_neural_stream(m, m->nn, k, 1, &s))) return st;
    double sum = 0.0;
    for (size_t t = 0; t < n; t++) {
        double lp, mu;
        if (m->cfg.nextra) tsf_nn_stream_set_x(s, xreg->x + t, xreg->ld);
        tsf_nn_stream_update(s, y[t], t >= start ? &lp : NULL, fitted ? &mu : NULL);
        if (t >= start) sum += lp;
        if (fitted) fitted[t] = isnan(y[t]) ? NAN : mu;
    }
    tsf_nn_stream_free(s);
    *ll = sum;
    return TSF_OK;
}

tsf_status tsf_neural_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                             size_t start, double *ll)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st || (st = not_global(m, "the likelihood"))) return st;
    return tsf_neural_series_loglik_x(m, 0, y, n, xreg, start, ll, NULL);
}

tsf_status tsf_neural_residuals(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                                double *fitted, double *resid)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st || (st = not_global(m, "residuals"))) return st;
    double ll;
    double *f = fitted ? fitted : malloc((n ? n : 1) * sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "out of memory");
    st = tsf_neural_series_loglik_x(m, 0, y, n, xreg, n, &ll, f);
    if (!st && resid)
        for (size_t i = 0; i < n; i++) resid[i] = y[i] - f[i];
    if (f != fitted) free(f);
    return st;
}

static size_t n_samples(const tsf_forecast_opts *o)
{
    return o && o->samples ? o->samples : TSF_NN_DEFAULT_SAMPLES;
}

/* Samples N paths of h steps into fc: from a (one-sequence) stream s1
 * ancestrally, or (s1 NULL) from the series y by the parallel sampler. */
static tsf_status sample_forecast(const tsf_neural *m, const tsf_nn_stream *s1, const double *y,
                                  size_t n, size_t h, const tsf_forecast_opts *o,
                                  tsf_forecast_result *fc)
{
    size_t N = n_samples(o);
    tsf_nn_stream *s = NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *paths = malloc(N * h * sizeof *paths);
    tsf_status st = TSF_OK;
    if (!r || !paths) st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu sample paths", N);
    if (!st) gsl_rng_set(r, (unsigned long)(o ? o->seed : 0));
    if (!st && !s1) st = tsf_nn_sample_parallel(m->nn, m->scale, y, n, h, N, r, 0, paths, NULL);
    if (!st && s1) st = tsf_nn_stream_fork_paths(s1, N, h, &s);
    if (!st && s1) st = tsf_nn_stream_sample_x(s, h, o ? o->xreg_future : NULL, r, paths);
    /* global models: the median of the paths (docs/neural.md, "Accuracy on M1") */
    if (!st) st = tsf_nn_summarise(paths, N, h, (m ? m->nn : s1->nn)->cfg.nseries > 0, fc);
    tsf_nn_stream_free(s);
    gsl_rng_free(r);
    free(paths);
    return st;
}

/* The sampler asked for: parallel is refused where it cannot run. */
static tsf_status check_sampler(const tsf_neural *m, tsf_sampler smp)
{
    if (smp != TSF_SAMPLER_AUTO && smp != TSF_SAMPLER_ANCESTRAL && smp != TSF_SAMPLER_PARALLEL)
        return tsf_set_error(TSF_EINVAL, "unknown sampler %d; use auto, ancestral or parallel",
                             (int)smp);
    if (smp == TSF_SAMPLER_PARALLEL && m->cfg.nextra)
        return tsf_set_error(TSF_EUNSUP, "parallel sampling does not take regressors yet: use "
                             "--sampler ancestral");
    if (smp == TSF_SAMPLER_PARALLEL && m->cfg.arch->reach(&m->cfg) == SIZE_MAX)
        return tsf_set_error(TSF_EUNSUP, "the %s model samples ancestrally only (parallel "
                             "sampling is for transformer and wavenet): use --sampler "
                             "ancestral", m->cfg.arch->name);
    return TSF_OK;
}

static int use_parallel(const tsf_neural *m, size_t n, size_t h, size_t N, tsf_sampler smp)
{
    if (smp == TSF_SAMPLER_PARALLEL) return 1;
    return smp == TSF_SAMPLER_AUTO && !m->cfg.nextra && m->cfg.arch->reach(&m->cfg) != SIZE_MAX &&
           tsf_nn_parallel_pays(m->nn, n, h, N);
}

tsf_status tsf_neural_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                               size_t h, const double *levels, size_t nlevels,
                               const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    if (st) return st;
    (void)levels; (void)nlevels;
    tsf_sampler smp = opts ? opts->sampler : TSF_SAMPLER_AUTO;
    size_t k = 0;
    if ((st = check_sampler(m, smp)) ||
        (st = tsf_neural_series_index(m, opts ? opts->series : NULL, &k)) ||
        (st = tsf_neural_check_x(m, xreg, n, "rows of the series")) ||
        (st = tsf_neural_check_x(m, m->cfg.nextra ? (opts ? opts->xreg_future : NULL) : NULL, h,
                                 "future rows (xreg_future) to forecast")))
        return st;
    /* a global model's series inputs go through its stream: ancestral */
    if (m->cfg.nseries > 0 && smp == TSF_SAMPLER_PARALLEL)
        return tsf_set_error(TSF_EUNSUP, "a global model samples ancestrally: use --sampler "
                             "ancestral or auto");
    if (use_parallel(m, n, h, n_samples(opts), smp) && m->cfg.nseries == 0)
        return sample_forecast(m, NULL, y, n, h, opts, fc);
    tsf_nn_stream *s;
    if ((st = tsf_neural_stream(m, m->nn, k, 1, &s))) return st;
    for (size_t t = 0; t < n; t++) {
        if (m->cfg.nextra) tsf_nn_stream_set_x(s, xreg->x + t, xreg->ld);
        tsf_nn_stream_update(s, y[t], NULL, NULL);
    }
    st = sample_forecast(m, s, NULL, 0, h, opts, fc);
    tsf_nn_stream_free(s);
    return st;
}

tsf_status tsf_neural_simulate_opts(const void *impl, size_t n, size_t npaths,
                                    const tsf_forecast_opts *opts, const tsf_xreg *xreg,
                                    double *out)
{
    const tsf_neural *m = impl;
    tsf_status st = need_nn(m);
    tsf_sampler smp = opts ? opts->sampler : TSF_SAMPLER_AUTO;
    if (st || (st = not_global(m, "simulation")) || (st = check_sampler(m, smp)) ||
        (st = tsf_neural_check_x(m, xreg, n, "rows of regressor paths to simulate")) || n == 0 ||
        npaths == 0)
        return st;
    tsf_nn_stream *s;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory");
    gsl_rng_set(r, (unsigned long)(opts ? opts->seed : 0));
    if (use_parallel(m, 0, n, npaths, smp)) {
        st = tsf_nn_sample_parallel(m->nn, m->scale, NULL, 0, n, npaths, r, 0, out, NULL);
    } else if (!(st = tsf_neural_stream(m, m->nn, 0, npaths, &s))) {
        st = tsf_nn_stream_sample_x(s, n, m->cfg.nextra ? xreg : NULL, r, out);
        tsf_nn_stream_free(s);
    }
    gsl_rng_free(r);
    return st;
}

tsf_status tsf_neural_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                               const tsf_xreg *xreg, double *out)
{
    tsf_forecast_opts o = {.seed = seed};
    return tsf_neural_simulate_opts(impl, n, npaths, &o, xreg, out);
}

/* Streaming state (tsf_neural_state, neural.h). */
typedef tsf_neural_state neural_state;

void tsf_neural_state_free(void *p)
{
    neural_state *ns = p;
    if (!ns) return;
    tsf_nn_stream_free(ns->s);
    tsf_nn_free(ns->nn);
    free(ns);
}

tsf_status tsf_neural_state_new(const void *impl, void **out)
{
    const tsf_neural *m = impl;
    *out = NULL;
    tsf_status st = need_nn(m);
    if (st || (st = not_global(m, "a streaming state"))) return st;
    neural_state *ns = calloc(1, sizeof *ns);
    if (!ns) return tsf_set_error(TSF_ENOMEM, "out of memory for a state");
    if (!(st = tsf_nn_new(&m->cfg, &ns->nn))) {
        memcpy(ns->nn->params, m->nn->params, m->nn->nparams * sizeof(float));
        if (!(st = tsf_nn_sparsify(ns->nn))) st = tsf_neural_stream(m, ns->nn, 0, 1, &ns->s);
    }
    if (st) {
        tsf_neural_state_free(ns);
        return st;
    }
    *out = ns;
    return TSF_OK;
}

tsf_status tsf_neural_state_update(void *p, double y, const double *x, size_t k, double *logp)
{
    neural_state *ns = p;
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "observation %g is infinite", y);
    size_t nx = (size_t)ns->nn->cfg.nextra;
    if (k != nx || (k && !x))
        return tsf_set_error(TSF_EINVAL, nx ? "the model has %zu regressors: give each "
                             "observation's values with tsf_state_update_x (%zu given)"
                             : "the model has %zu regressors (%zu values given)", nx, k);
    for (size_t j = 0; j < k; j++)
        if (!isfinite(x[j]))
            return tsf_set_error(TSF_EINVAL, "regressor %zu is %g; regressors must be finite",
                                 j + 1, x[j]);
    if (k) tsf_nn_stream_set_x(ns->s, x, 1);
    double lp;
    tsf_nn_stream_update(ns->s, y, &lp, NULL);
    if (logp) *logp = lp;
    return TSF_OK;
}

tsf_status tsf_neural_state_forecast(void *p, size_t h, const double *levels, size_t nlevels,
                                     const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const neural_state *ns = p;
    size_t nx = (size_t)ns->nn->cfg.nextra;
    const tsf_xreg *xf = opts ? opts->xreg_future : NULL;
    size_t got = xf ? xf->k : 0;
    if (got != nx)
        return tsf_set_error(nx ? TSF_EINVAL : TSF_EUNSUP, "the model has %zu regressors: give "
                             "their %zu future rows (xreg_future) to forecast (%zu given)", nx, h,
                             got);
    if (nx && (!xf->x || xf->ld < h))
        return tsf_set_error(TSF_EINVAL, "%zu future rows of regressors, %zu needed",
                             xf->x ? xf->ld : 0, h);
    (void)levels; (void)nlevels;
    if (opts && opts->sampler == TSF_SAMPLER_PARALLEL)
        return tsf_set_error(TSF_EUNSUP, "a streaming state samples ancestrally (it keeps no "
                             "series to iterate over): use --sampler ancestral or auto");
    return sample_forecast(NULL, ns->s, NULL, 0, h, opts, fc);
}

/* Saved: the run's state proper (the span its architecture describes:
 * RNN h and c, the transformer's KV caches, wavenet's queues), the ring
 * of scaled past values and the two position counters. */
static size_t run_state_floats(const tsf_nn_run *r) { return r->nstate; }

tsf_status tsf_neural_state_save(const void *p, tsf_st *doc)
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

tsf_status tsf_neural_state_load(const void *impl, const tsf_st *doc, void **out)
{
    *out = NULL;
    void *p;
    tsf_status st = tsf_neural_state_new(impl, &p);
    if (st) return st;
    neural_state *ns = p;
    tsf_nn_stream *s = ns->s;
    const char *fam = ns->nn->cfg.arch->name;
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
        tsf_neural_state_free(ns);
        return st;
    }
    memcpy(s->run->mem, data, nr * sizeof(float));
    memcpy(s->hist, hist, s->P * sizeof *hist);
    s->count = (size_t)c[0];
    s->run->pos = (size_t)c[1];
    *out = ns;
    return TSF_OK;
}

