/* The "combo" family (combo.h): members, fit, likelihood, forecasts,
 * simulation, residuals, streaming and model files.  Members are models
 * of the public interface, so any family (neural too) can be one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "combo.h"
#include "model_impl.h"

static void combo_free(void *impl)
{
    tsf_combo *c = impl;
    if (!c) return;
    for (size_t j = 0; j < c->k; j++) tsf_model_free(c->m[j]);
    free(c->model);
    free(c);
}

static tsf_status combo_parse(const tsf_spec *s, void **impl)
{
    *impl = NULL;
    if (s->ngroups != 1)
        return tsf_spec_error(s, s->ngroups ? s->groups[1].pos : strlen(s->text), TSF_EPARSE,
                              "write combo(SPEC, SPEC, ..., combine=mean|median)");
    if (s->period)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "combo takes no period [s]; give "
                              "it to the members or with --period");
    tsf_combo *c = calloc(1, sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory creating a combo model");
    const tsf_spec_group *g = &s->groups[0];
    const char *outer = s->outer ? s->outer : s->text;
    tsf_status st = TSF_OK;
    for (size_t i = 0; i < g->nargs && !st; i++) {
        tsf_spec_arg *a = &g->args[i];
        if (a->key) continue;
        a->used = 1;
        if (c->k == TSF_COMBO_MAX) {
            st = tsf_spec_error(s, a->pos, TSF_EPARSE, "combo takes at most %d members",
                                TSF_COMBO_MAX);
            break;
        }
        st = tsf_model_new_in(a->value, outer, s->offset + a->pos, tsf_registry_find,
                              &c->m[c->k]);
        if (!st) c->k++;
    }
    static const char *const how[] = {"mean", "median", NULL};
    if (!st) st = tsf_spec_get_choice(s, 0, "combine", how, &c->median);
    if (!st) st = tsf_spec_check_unused(s, "member specs and combine=mean|median");
    if (!st && c->k == 0)
        st = tsf_spec_error(s, g->pos, TSF_EPARSE, "combo() needs at least one member spec, "
                            "e.g. combo(auto, theta)");
    if (st) {
        combo_free(c);
        return st;
    }
    *impl = c;
    return TSF_OK;
}

tsf_status tsf_combo_repeat(const char *member, size_t k, void **impl)
{
    *impl = NULL;
    tsf_combo *c = calloc(1, sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory creating an ensemble");
    c->ensemble = 1;
    tsf_status st = TSF_OK;
    while (c->k < k && c->k < TSF_COMBO_MAX && !st)
        if (!(st = tsf_model_new(member, &c->m[c->k]))) c->k++;
    if (st) {
        combo_free(c);
        return st;
    }
    *impl = c;
    return TSF_OK;
}

/* The member's error with its number (states do not know the spec). */
static tsf_status state_error(size_t j, tsf_status st)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", tsf_errmsg());
    return tsf_set_error(st, "combo member %zu: %s", j + 1, *msg ? msg : tsf_strerror(st));
}

/* The member's error with its position, e.g. "combo member 2 (theta): ...". */
static tsf_status member_error(const tsf_combo *c, size_t j, tsf_status st)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", tsf_errmsg());
    return tsf_set_error(st, "combo member %zu (%s): %s", j + 1, tsf_model_spec(c->m[j]),
                         *msg ? msg : tsf_strerror(st));
}

static tsf_status combo_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                               size_t start, double *ll)
{
    const tsf_combo *c = impl;
    double v[TSF_COMBO_MAX];
    for (size_t j = 0; j < c->k; j++) {
        tsf_status st = tsf_loglik(c->m[j], y, n, xreg, start, &v[j]);
        if (st) return member_error(c, j, st);
    }
    *ll = tsf_combo_logmeanexp(v, c->k);
    return TSF_OK;
}

/* "Combo(mean: ARIMA(0,1,1), Theta)" from the members' own names. */
static tsf_status make_name(tsf_combo *c)
{
    size_t cap = 32;
    tsf_fit_info info[TSF_COMBO_MAX];
    for (size_t j = 0; j < c->k; j++) {
        memset(&info[j], 0, sizeof info[j]);
        if (tsf_model_info(c->m[j], &info[j]) || !info[j].model) info[j].model = c->m[j]->spec;
        cap += strlen(info[j].model) + 2;
    }
    tsf_clear_error();
    char *s = malloc(cap);
    if (!s) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    if (c->ensemble) /* "Ensemble(3 x GRU(...))": the members differ only in their seeds */
        snprintf(s, cap, "Ensemble(%zu x %s)", c->k, info[0].model);
    else {
        snprintf(s, cap, "Combo(%s: ", c->median ? "median" : "mean");
        for (size_t j = 0; j < c->k; j++) {
            strcat(s, info[j].model);
            strcat(s, j + 1 < c->k ? ", " : ")");
        }
    }
    free(c->model);
    c->model = s;
    /* AIC-type criteria with the members' parameter counts added (each
     * recovered from its own AIC and log-likelihood). */
    double npar = 0.0;
    for (size_t j = 0; j < c->k; j++) npar += 0.5 * (info[j].aic + 2.0 * info[j].loglik);
    double nn = (double)c->nobs;
    tsf_info_criteria(c->loglik, npar, nn, &c->aic, &c->aicc, &c->bic);
    return TSF_OK;
}

static tsf_status finish(tsf_combo *c, const double *y, size_t n, const tsf_xreg *xreg)
{
    c->nobs = 0;
    for (size_t t = 0; t < n; t++) c->nobs += !isnan(y[t]);
    tsf_status st = combo_loglik(c, y, n, xreg, 0, &c->loglik);
    if (st) return st;
    return make_name(c);
}

/* The training seed of member j: opts' seed plus the number of networks
 * of earlier members with the same spec, so that combo(gru(), gru(),
 * gru()) is an ensemble of networks from different initialisations while
 * a spec that appears once trains as it would alone.  A member that is
 * itself a seed ensemble of K networks uses K seeds (ensemble.c), so
 * combo(gru(ensemble=2), gru(ensemble=2)) trains the seeds s .. s+3, as
 * gru(ensemble=4) does, and the members of a global combination (whose
 * networks become ensembles of 3) share no network. */
typedef struct {
    void (*fn)(void *ctx, const char *line);
    void *ctx;
    size_t j, k;
} member_progress;

/* A member's progress line, "member 2/3: epoch ...". */
static void member_line(void *vp, const char *line)
{
    const member_progress *p = vp;
    char buf[640];
    snprintf(buf, sizeof buf, "member %zu/%zu: %s", p->j + 1, p->k, line);
    p->fn(p->ctx, buf);
}

/* The options of member j: the seed above, and progress lines that name
 * the member (through *mp, which must outlive the member's fit). */
static tsf_fit_opts member_opts(const tsf_combo *c, size_t j, const tsf_fit_opts *o,
                                member_progress *mp)
{
    tsf_fit_opts r = *o;
    for (size_t i = 0; i < j; i++)
        if (!strcmp(c->m[i]->spec, c->m[j]->spec))
            r.seed += c->m[i]->ensemble > 1 ? (uint64_t)c->m[i]->ensemble : 1;
    if (o->progress && c->k > 1) {
        *mp = (member_progress){o->progress, o->progress_ctx, j, c->k};
        r.progress = member_line;
        r.progress_ctx = mp;
    }
    return r;
}

static tsf_status combo_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            int period, const tsf_fit_opts *opts)
{
    tsf_combo *c = impl;
    c->fitted = 0;
    c->global = 0;
    /* y is already on the transformed scale: members must not transform again */
    tsf_fit_opts o;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    o.transform = TSF_TRANSFORM_NONE;
    for (size_t j = 0; j < c->k; j++) {
        member_progress mp;
        tsf_fit_opts oj = member_opts(c, j, &o, &mp);
        tsf_status st = tsf_fit(c->m[j], y, n, xreg, period, &oj);
        if (st) return member_error(c, j, st);
    }
    c->period = period;
    tsf_status st = finish(c, y, n, xreg);
    if (!st) c->fitted = 1;
    return st;
}

unsigned tsf_combo_reads(const void *impl)
{
    const tsf_combo *c = impl;
    unsigned r = 0;
    for (size_t j = 0; j < c->k; j++) r |= tsf_model_reads(c->m[j]);
    return r;
}

const tsf_model *tsf_combo_ensemble_member(const tsf_model *m)
{
    if (!m || m->type != &tsf_combo_type) return NULL;
    const tsf_combo *c = m->impl;
    return c->ensemble && c->k ? c->m[0] : NULL;
}

/* A seed ensemble's regressors are its networks' (all the same list);
 * other combinations have none of their own. */
static tsf_status combo_regressors(const void *impl, size_t *k, const char *const **names)
{
    const tsf_combo *c = impl;
    if (!c->ensemble || !c->k)
        return tsf_set_error(TSF_EUNSUP, "a combination has no list of regressors of its own");
    return tsf_model_regressors(c->m[0], k, names);
}

int tsf_combo_has_global(const void *impl)
{
    const tsf_combo *c = impl;
    for (size_t j = 0; j < c->k; j++)
        if (tsf_model_can_fit_global(c->m[j])) return 1;
    return 0;
}

/* A global combination (tsf_fit_global): the members that can be trained
 * on all series at once (the neural ones) are; the others are fitted to
 * each series when it is forecast (model_member_fc), as a combo without
 * --global would. */
static tsf_status combo_fit_global(void *impl, const double *const *ys, const size_t *ns,
                                   const tsf_xreg *const *xregs, const char *const *ids,
                                   size_t nseries, int period, const tsf_fit_opts *opts)
{
    tsf_combo *c = impl;
    c->fitted = 0;
    c->global = 0;
    for (size_t j = 0; xregs && j < c->k; j++)
        if (!tsf_model_can_fit_global(c->m[j]))
            return tsf_set_error(TSF_EUNSUP, "a global combination with a member fitted per "
                                 "series (%s) takes no regressors (that member would need them "
                                 "at every forecast); train the neural member alone",
                                 c->m[j]->spec);
    tsf_fit_opts o;
    if (opts) o = *opts;
    else tsf_fit_opts_init(&o);
    /* the seeds from the specs as given: a member's global fit may make it
     * an ensemble (tsf_ensemble_global_default) and rewrite its spec */
    tsf_fit_opts oj[TSF_COMBO_MAX];
    member_progress mp[TSF_COMBO_MAX];
    for (size_t j = 0; j < c->k; j++) oj[j] = member_opts(c, j, &o, &mp[j]);
    int any = 0;
    for (size_t j = 0; j < c->k; j++) {
        if (!c->m[j]->type->fit_global) continue;
        any = 1;
        tsf_status st = tsf_fit_global_x(c->m[j], ys, ns, xregs, ids, nseries, period, &oj[j]);
        if (st) return member_error(c, j, st);
    }
    if (!any)
        return tsf_set_error(TSF_EUNSUP, "this combo has no neural member to train on all "
                             "series at once");
    c->period = period;
    c->global = 1;
    c->loglik = c->aic = c->aicc = c->bic = NAN;
    c->nobs = 0;
    for (size_t k = 0; k < nseries; k++)
        for (size_t t = 0; t < ns[k]; t++) c->nobs += !isnan(ys[k][t]);
    tsf_status st = make_name(c);
    c->loglik = c->aic = c->aicc = c->bic = NAN; /* not per series */
    if (!st) c->fitted = 1;
    return st;
}

static tsf_status combo_info(const void *impl, tsf_fit_info *info)
{
    const tsf_combo *c = impl;
    if (!c->fitted) return tsf_set_error(TSF_EINVAL, "the combo model has not been fitted");
    info->model = c->model;
    info->period = c->period;
    info->sigma2 = NAN;
    info->loglik = c->loglik;
    info->aic = c->aic;
    info->aicc = c->aicc;
    info->bic = c->bic;
    info->nobs = c->nobs;
    info->converged = 1;
    return TSF_OK;
}

/* One member's forecast at the given levels: from the model (ctx: the
 * series) or from a streaming state. */
typedef tsf_status (*member_fc)(const void *ctx, size_t j, size_t h, const double *lv,
                                size_t nlv, const tsf_forecast_opts *opts,
                                tsf_forecast_result **out);

/* The K members' forecasts at tsf_combo_levels(), combined into fc. */
static tsf_status forecast_members(size_t k, int median, member_fc get, const void *ctx,
                                   size_t h, const double *levels, size_t nlevels,
                                   const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    tsf_forecast_result *mem[TSF_COMBO_MAX] = {0};
    double *grid;
    size_t ng;
    tsf_status st = tsf_combo_levels(levels, nlevels, &grid, &ng);
    for (size_t j = 0; !st && j < k; j++) {
        if ((st = get(ctx, j, h, grid, ng, opts, &mem[j]))) st = state_error(j, st);
    }
    if (!st) st = tsf_combo_combine(k, median, mem, fc);
    for (size_t j = 0; j < k; j++) tsf_forecast_free(mem[j]);
    free(grid);
    return st;
}

typedef struct {
    const tsf_combo *c;
    const double *y;
    size_t n;
    const tsf_xreg *xreg;
} series_ctx;

static tsf_status model_member_fc(const void *vctx, size_t j, size_t h, const double *lv,
                                  size_t nlv, const tsf_forecast_opts *opts,
                                  tsf_forecast_result **out)
{
    const series_ctx *x = vctx;
    const tsf_model *m = x->c->m[j];
    if (!x->c->global || m->fitted)
        return tsf_forecast(m, x->y, x->n, x->xreg, h, lv, nlv, opts, out);
    /* a global combination's classical member: fitted to this series now */
    tsf_model *t = NULL;
    tsf_status st = tsf_model_new_find(m->spec, tsf_registry_find, &t);
    if (!st) st = tsf_fit(t, x->y, x->n, x->xreg, x->c->period, NULL);
    if (!st) st = tsf_forecast(t, x->y, x->n, x->xreg, h, lv, nlv, opts, out);
    tsf_model_free(t);
    return st;
}

static tsf_status combo_forecast(const void *impl, const double *y, size_t n,
                                 const tsf_xreg *xreg, size_t h, const double *levels,
                                 size_t nlevels, const tsf_forecast_opts *opts,
                                 tsf_forecast_result *fc)
{
    const tsf_combo *c = impl;
    series_ctx x = {c, y, n, xreg};
    return forecast_members(c->k, c->median, model_member_fc, &x, h, levels, nlevels, opts, fc);
}

/* Each path comes whole from one member drawn uniformly: a draw from the
 * mixture of the members' joint distributions (the likelihood's model). */
static tsf_status combo_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                                 const tsf_xreg *xreg, double *out)
{
    const tsf_combo *c = impl;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    gsl_rng_set(r, (unsigned long)seed);
    tsf_status st = TSF_OK;
    for (size_t p = 0; p < npaths && !st; p++) {
        size_t j = (size_t)gsl_rng_uniform_int(r, (unsigned long)c->k);
        uint64_t s = gsl_rng_get(r);
        if ((st = tsf_simulate_x(c->m[j], n, 1, s, xreg, out + p * n)))
            st = member_error(c, j, st);
    }
    gsl_rng_free(r);
    return st;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fitted values: the mean (median) of the members' fitted values. */
static tsf_status combo_residuals(const void *impl, const double *y, size_t n,
                                  const tsf_xreg *xreg, double *fitted, double *resid)
{
    const tsf_combo *c = impl;
    double *f = malloc((n ? n : 1) * c->k * sizeof *f);
    if (!f) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    tsf_status st = TSF_OK;
    for (size_t j = 0; j < c->k && !st; j++)
        if ((st = tsf_residuals(c->m[j], y, n, xreg, f + j * n, NULL)))
            st = member_error(c, j, st);
    for (size_t t = 0; !st && t < n; t++) {
        double v[TSF_COMBO_MAX], s = 0.0;
        for (size_t j = 0; j < c->k; j++) s += (v[j] = f[j * n + t]) / (double)c->k;
        if (c->median) {
            qsort(v, c->k, sizeof *v, by_value);
            s = c->k % 2 ? v[c->k / 2] : 0.5 * (v[c->k / 2 - 1] + v[c->k / 2]);
        }
        if (fitted) fitted[t] = s;
        if (resid) resid[t] = y[t] - s;
    }
    free(f);
    return st;
}

/* ---- streaming: the members' own states and their running log
 * likelihoods; the state keeps no pointer into the model ---- */

typedef struct {
    size_t k;
    int median;
    tsf_state *st[TSF_COMBO_MAX];
    double w[TSF_COMBO_MAX];   /* log p_k(y_0..y_{t-1}) */
} combo_state;

static void combo_state_free(void *vst)
{
    combo_state *s = vst;
    if (!s) return;
    for (size_t j = 0; j < s->k; j++) tsf_state_free(s->st[j]);
    free(s);
}

static tsf_status combo_state_new(const void *impl, void **out)
{
    const tsf_combo *c = impl;
    *out = NULL;
    combo_state *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "combo: out of memory");
    s->median = c->median;
    for (size_t j = 0; j < c->k; j++, s->k++) {
        tsf_status st = tsf_state_new(c->m[j], &s->st[j]);
        if (st) {
            st = member_error(c, j, st);
            combo_state_free(s);
            return st;
        }
    }
    *out = s;
    return TSF_OK;
}

static tsf_status combo_state_update(void *vst, double y, const double *x, size_t k,
                                     double *logp)
{
    combo_state *s = vst;
    double lp[TSF_COMBO_MAX], a[TSF_COMBO_MAX];
    for (size_t j = 0; j < s->k; j++) {
        tsf_status st = tsf_state_update_x(s->st[j], y, x, k, &lp[j]);
        if (st) return state_error(j, st);
    }
    for (size_t j = 0; j < s->k; j++) a[j] = s->w[j] + lp[j];
    double before = tsf_combo_logmeanexp(s->w, s->k), after = tsf_combo_logmeanexp(a, s->k);
    memcpy(s->w, a, s->k * sizeof *a);
    if (logp) *logp = after - before;
    return TSF_OK;
}

static tsf_status state_member_fc(const void *ctx, size_t j, size_t h, const double *lv,
                                  size_t nlv, const tsf_forecast_opts *opts,
                                  tsf_forecast_result **out)
{
    const combo_state *s = ctx;
    return tsf_state_forecast(s->st[j], h, lv, nlv, opts, out);
}

static tsf_status combo_state_forecast(void *vst, size_t h, const double *levels,
                                       size_t nlevels, const tsf_forecast_opts *opts,
                                       tsf_forecast_result *fc)
{
    const combo_state *s = vst;
    return forecast_members(s->k, s->median, state_member_fc, s, h, levels, nlevels, opts, fc);
}

/* ---- model files: member j's whole document (the core's metadata and
 * its family's tensors) under the prefix "mJ." ---- */

static tsf_status combo_save(const void *impl, tsf_st *doc)
{
    const tsf_combo *c = impl;
    tsf_status st = TSF_OK;
    char pre[24];
    for (size_t j = 0; c->global && j < c->k; j++)
        if (!c->m[j]->fitted)
            return tsf_set_error(TSF_EUNSUP, "a global combination with a member fitted to "
                                 "each series when it is forecast (%s) is not saved as a "
                                 "global model: save its neural member alone",
                                 c->m[j]->spec);
    for (size_t j = 0; j < c->k && !st; j++) {
        tsf_st *sub;
        if ((st = tsf_st_new(&sub))) break;
        snprintf(pre, sizeof pre, "m%zu.", j);
        if ((st = tsf_model_to_doc(c->m[j], sub))) st = member_error(c, j, st);
        else st = tsf_st_copy_prefixed(doc, sub, "", pre);
        tsf_st_free(sub);
    }
    if (!st) {
        snprintf(pre, sizeof pre, "%zu", c->k);
        st = tsf_st_set_meta(doc, "members", pre);
    }
    return st;
}

static tsf_status combo_load(const tsf_st *doc, void **impl)
{
    tsf_combo *c = *impl;
    if (!c) return tsf_set_error(TSF_EPARSE, "combo model file: the stored spec has no members");
    double k;
    tsf_status st = tsf_st_meta_num(doc, "combo", "members", 1, TSF_COMBO_MAX, &k);
    if (st) return st;
    if ((size_t)k != c->k || k != floor(k))
        return tsf_set_error(TSF_EPARSE, "combo model file: %g members stored, the spec has %zu",
                             k, c->k);
    /* a global combination (every member global, trained on the same
     * series): loglik "none", and the members must hold the same series */
    const char *gl = tsf_st_meta(doc, "global");
    if (gl && strcmp(gl, "0") && strcmp(gl, "1"))
        return tsf_set_error(TSF_EPARSE, "combo model file: global = '%.32s' must be 0 or 1",
                             gl);
    c->global = gl && !strcmp(gl, "1");
    char pre[24], name[48];
    char *ids0 = NULL;
    for (size_t j = 0; j < c->k && !st; j++) {
        tsf_st *sub;
        if ((st = tsf_st_new(&sub))) break;
        snprintf(pre, sizeof pre, "m%zu.", j);
        snprintf(name, sizeof name, "combo member %zu", j + 1);
        tsf_model *m = NULL;
        if (!(st = tsf_st_copy_prefixed(sub, doc, pre, "")) && c->global) {
            const char *ids = tsf_st_meta(sub, "neural.series_ids");
            if (!ids || (ids0 && strcmp(ids, ids0)))
                st = tsf_set_error(TSF_EPARSE, "combo model file: global, but member %zu %s",
                                   j + 1, ids ? "holds other series than member 1"
                                              : "is not a global model");
            else if (!ids0 && !(ids0 = strdup(ids)))
                st = tsf_set_error(TSF_ENOMEM, "combo model file: out of memory");
        }
        if (!st && !(st = tsf_load_doc(sub, name, tsf_registry_find, &m))) {
            if (strcmp(m->spec, c->m[j]->spec) != 0) {
                st = tsf_set_error(TSF_EPARSE, "combo model file: member %zu is '%s', the spec "
                                   "says '%s'", j + 1, m->spec, c->m[j]->spec);
                tsf_model_free(m);
            } else {
                tsf_model_free(c->m[j]);
                c->m[j] = m;
            }
        }
        tsf_st_free(sub);
    }
    free(ids0);
    if (st) return st;
    double per;
    c->loglik = NAN;
    if ((st = tsf_st_meta_num(doc, "combo", "period", 1, 1e6, &per)) ||
        (!c->global &&
         (st = tsf_st_meta_num(doc, "combo", "loglik", -HUGE_VAL, HUGE_VAL, &c->loglik))) ||
        (st = tsf_st_meta_num(doc, "combo", "nobs", 0, 1e15, &k)))
        return st;
    c->nobs = (size_t)k;
    c->period = (int)per;
    if ((st = make_name(c))) return st;
    if (c->global) c->aic = c->aicc = c->bic = NAN; /* not per series */
    c->fitted = 1;
    return TSF_OK;
}

static tsf_status combo_save_all(const void *impl, tsf_st *doc)
{
    const tsf_combo *c = impl;
    char buf[40];
    tsf_status st = combo_save(impl, doc);
    if (st) return st;
    if ((st = tsf_st_set_meta(doc, "global", c->global ? "1" : "0"))) return st;
    if ((st = c->global ? tsf_st_set_meta(doc, "loglik", "none")
                        : tsf_st_set_meta_num(doc, "loglik", c->loglik)))
        return st;
    snprintf(buf, sizeof buf, "%zu", c->nobs);
    if ((st = tsf_st_set_meta(doc, "nobs", buf))) return st;
    snprintf(buf, sizeof buf, "%d", c->period);
    return tsf_st_set_meta(doc, "period", buf);
}

const tsf_model_type tsf_combo_type = {
    .name = "combo",
    .neural = 0,
    .parse = combo_parse,
    .fit = combo_fit,
    .fit_global = combo_fit_global,
    .info = combo_info,
    .loglik = combo_loglik,
    .forecast = combo_forecast,
    .simulate = combo_simulate,
    .residuals = combo_residuals,
    .regressors = combo_regressors,
    .state_new = combo_state_new,
    .state_update = combo_state_update,
    .state_forecast = combo_state_forecast,
    .state_free = combo_state_free,
    .save = combo_save_all,
    .load = combo_load,
    .free = combo_free,
};
