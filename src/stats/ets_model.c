/* The "ets" model family: spec parsing ("ets", "ets(MAdN)", "ets(ZZZ)[12]"),
 * fitting (ets_fit.c), and what a fitted model answers through the common
 * interface: log-likelihoods, forecasts, simulation, residuals, streaming
 * states and model files. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ets.h"

#define ETS_NCOEF (4 + 2 + TSF_ETS_MAXM)

typedef struct {
    tsf_ets_choice choice;
    char spec[48];   /* for messages */
    int fitted;
    tsf_ets_par par;
    tsf_ets_trace trace;
    char label[32];
    size_t ncoef;
    char names[ETS_NCOEF][8];
    const char *name_ptr[ETS_NCOEF];
    double coef[ETS_NCOEF], se[ETS_NCOEF];
    const char *trace_ptr[32];
} tsf_ets;

static void ets_free(void *impl) { free(impl); }

/* One component letter at text[*i]: the index of c in allowed ("NAMZ"
 * subset), Z meaning any. */
static tsf_status letter(const tsf_spec *s, const tsf_spec_arg *a, size_t i, const char *what,
                         const char *allowed, const char *say, unsigned all, unsigned *bits)
{
    char c = (char)toupper((unsigned char)a->value[i]);
    if (!c)
        return tsf_spec_error(s, a->pos + i, TSF_EPARSE,
                              "the model code lacks its %s letter; write three letters "
                              "(error, trend, season), e.g. ets(ANN), ets(AAdN), ets(MAM)", what);
    if (c == 'Z') {
        *bits = all;
        return TSF_OK;
    }
    const char *p = strchr(allowed, c);
    if (!p) {
        if (what[0] == 't' && c == 'M')
            return tsf_spec_error(s, a->pos + i, TSF_EPARSE,
                                  "multiplicative trend is not supported (forecast::ets "
                                  "excludes it by default); use N, A or Ad");
        return tsf_spec_error(s, a->pos + i, TSF_EPARSE,
                              "'%c' is not a%s %s type; use %s, or Z to choose",
                              c, what[0] == 'e' ? "n" : "", what, say);
    }
    static const char comp[] = "NAM";
    *bits = 1u << (strchr(comp, c) - comp);
    return TSF_OK;
}

static tsf_status ets_parse(const tsf_spec *s, void **impl)
{
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE,
                              "ets takes one model code: ets(ANN), ets(MAdM), ets(ZZZ)");
    tsf_ets_choice c = {(1u << ETS_A) | (1u << ETS_M), (1u << ETS_N) | (1u << ETS_A),
                        (1u << ETS_N) | (1u << ETS_A) | (1u << ETS_M), -1};
    if (s->ngroups == 1) {
        const tsf_spec_group *g = &s->groups[0];
        if (g->nargs != 1 || g->args[0].key)
            return tsf_spec_error(s, g->nargs > 1 ? g->args[1].pos : g->pos, TSF_EPARSE,
                                  "ets takes one model code of three letters (error, trend, "
                                  "season), e.g. ets(ANN), ets(AAdN), ets(MAM)");
        tsf_spec_arg *a = &g->args[0];
        a->used = 1;
        size_t len = strlen(a->value), i = 0;
        tsf_status st;
        if ((st = letter(s, a, i++, "error", "AM", "A or M", c.errors, &c.errors))) return st;
        if ((st = letter(s, a, i++, "trend", "NA", "N, A or Ad", c.trends, &c.trends))) return st;
        if (i < len && (a->value[i] == 'd' || a->value[i] == 'D') && len == 4) {
            if (c.trends != (1u << ETS_A))
                return tsf_spec_error(s, a->pos + i, TSF_EPARSE,
                                      "damping ('d') applies to an additive trend: Ad");
            c.damped = 1;
            i++;
        } else if (c.trends == (1u << ETS_A)) {
            c.damped = 0;
        }
        if ((st = letter(s, a, i++, "season", "NAM", "N, A or M", c.seasons, &c.seasons))) return st;
        if (i < len)
            return tsf_spec_error(s, a->pos + i, TSF_EPARSE,
                                  "unexpected '%s' after the model code; write e.g. ets(AAdN)",
                                  a->value + i);
    }
    if (s->period < 0 || s->period > 1000000)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "period %ld is out of range",
                              s->period);
    tsf_ets *e = calloc(1, sizeof *e);
    if (!e) return tsf_set_error(TSF_ENOMEM, "out of memory for model '%s'", s->text);
    e->choice = c;
    snprintf(e->spec, sizeof e->spec, "%s", s->text);
    *impl = e;
    return TSF_OK;
}

/* Names and values of the coefficients R prints: smoothing parameters,
 * then the initial states l, b, s0 .. s(m-1). */
static void fill_coef(tsf_ets *e)
{
    const tsf_ets_par *p = &e->par;
    const tsf_ets_form *f = &p->f;
    size_t k = 0;
#define PUT(nm, v) do { snprintf(e->names[k], sizeof e->names[k], "%s", nm); e->coef[k++] = (v); } while (0)
    PUT("alpha", p->alpha);
    if (f->trend != ETS_N) PUT("beta", p->beta);
    if (f->season != ETS_N) PUT("gamma", p->gamma);
    if (f->damped) PUT("phi", p->phi);
    int j = 0;
    PUT("l", p->x0[j++]);
    if (f->trend != ETS_N) PUT("b", p->x0[j++]);
    for (int i = 0; f->season != ETS_N && i < f->m; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "s%d", i % 100); /* i < m <= TSF_ETS_MAXM */
        PUT(nm, p->x0[j++]);
    }
#undef PUT
    e->ncoef = k;
    for (size_t i = 0; i < k; i++) {
        e->name_ptr[i] = e->names[i];
        e->se[i] = NAN;
    }
    for (size_t i = 0; i < e->trace.n; i++) e->trace_ptr[i] = e->trace.labels[i];
    tsf_ets_label(f, e->label, sizeof e->label);
}

static tsf_status ets_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                          int period, const tsf_fit_opts *opts)
{
    tsf_ets *e = impl;
    (void)opts; /* the period is resolved by the core (tsf_fit_period) */
    if (xreg && xreg->k)
        return tsf_no_regressors("ets");
    tsf_ets_par p;
    tsf_ets_trace tr;
    tsf_status st = tsf_ets_select(&e->choice, e->spec[0] ? e->spec : "ets", y, n, period, &p,
                                   &tr);
    if (st) return st;
    e->par = p;
    e->trace = tr;
    e->fitted = 1;
    fill_coef(e);
    return TSF_OK;
}

static tsf_status need_fit(const tsf_ets *e)
{
    return e->fitted ? TSF_OK : tsf_set_error(TSF_EINVAL, "ets: the model has not been fitted");
}

static tsf_status ets_info(const void *impl, tsf_fit_info *info)
{
    const tsf_ets *e = impl;
    tsf_status st = need_fit(e);
    if (st) return st;
    const tsf_ets_par *p = &e->par;
    info->model = e->label;
    info->period = p->f.m;
    info->ncoef = e->ncoef;
    info->coef_names = e->name_ptr;
    info->coef = e->coef;
    info->se = e->se;
    info->sigma2 = p->sigma2;
    info->loglik = p->loglik;
    tsf_ets_ic(p, &info->aic, &info->aicc, &info->bic);
    info->nobs = p->nobs;
    info->converged = p->converged;
    info->ntrace = e->trace.n;
    info->trace_labels = e->trace.n ? e->trace_ptr : NULL;
    info->trace_values = e->trace.n ? e->trace.aicc : NULL;
    return TSF_OK;
}

/* Runs the fitted model over y[0..n): the state after it, and (when ll is
 * given) sum of log p(y_t | y_<t) for t >= start, fitted values into mu. */
static tsf_status run_over(const tsf_ets_par *p, const double *y, size_t n, size_t start,
                           tsf_ets_run *r, double *ll, double *mu)
{
    tsf_ets_run_start(p, r);
    double s = 0.0;
    for (size_t t = 0; t < n; t++) {
        double f = tsf_ets_mu(p, r);
        if (!tsf_ets_mu_valid(p, f))
            return tsf_set_error(TSF_EDOMAIN, "ets: the one-step forecast at observation %zu is "
                                 "%g, where a multiplicative model divides by it; use an "
                                 "additive model", t + 1, f);
        if (mu) mu[t] = f;
        if (t >= start && !isnan(y[t])) s += tsf_ets_logdens(p, y[t], f, p->sigma2ml);
        tsf_ets_advance(p, r, y[t], f);
    }
    if (ll) *ll = s;
    return TSF_OK;
}

static tsf_status ets_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                             size_t start, double *ll)
{
    const tsf_ets *e = impl;
    (void)xreg;
    tsf_status st = need_fit(e);
    if (st) return st;
    tsf_ets_run r;
    return run_over(&e->par, y, n, start, &r, ll, NULL);
}

static tsf_status ets_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                               size_t h, const double *levels, size_t nlevels,
                               const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    const tsf_ets *e = impl;
    (void)xreg;
    tsf_status st = need_fit(e);
    if (st) return st;
    tsf_ets_run r;
    if ((st = run_over(&e->par, y, n, n, &r, NULL, NULL))) return st;
    return tsf_ets_forecast_run(&e->par, &r, h, levels, nlevels, opts, fc);
}

/* Paths from the fitted initial states (R's simulate(fit, future = FALSE)
 * starts from a random point of the data; tsf starts at the beginning). */
static tsf_status ets_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                               const tsf_xreg *xreg, double *out)
{
    const tsf_ets *e = impl;
    if (xreg) return tsf_no_regressors("ets");
    tsf_status st = need_fit(e);
    if (st) return st;
    tsf_ets_run r;
    tsf_ets_run_start(&e->par, &r);
    return tsf_ets_sample(&e->par, &r, n, npaths, seed, out);
}

static tsf_status ets_residuals(const void *impl, const double *y, size_t n,
                                const tsf_xreg *xreg, double *fitted, double *resid)
{
    const tsf_ets *e = impl;
    (void)xreg;
    tsf_status st = need_fit(e);
    if (st) return st;
    tsf_ets_run r;
    if ((st = run_over(&e->par, y, n, n, &r, NULL, fitted))) return st;
    for (size_t t = 0; resid && t < n; t++) resid[t] = y[t] - fitted[t];
    return TSF_OK;
}

/* Streaming state: the parameters (copied) and the running state. */
typedef struct {
    tsf_ets_par par;
    tsf_ets_run run;
    size_t t;
} ets_state;

static tsf_status ets_state_new(const void *impl, void **out)
{
    const tsf_ets *e = impl;
    *out = NULL;
    tsf_status st = need_fit(e);
    if (st) return st;
    ets_state *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "ets: out of memory for a state");
    s->par = e->par;
    tsf_ets_run_start(&s->par, &s->run);
    *out = s;
    return TSF_OK;
}

static tsf_status ets_state_update(void *st, double y, const double *x, size_t k, double *logp)
{
    ets_state *s = st;
    if (x || k) return tsf_no_regressors("ets");
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "observation %zu is infinite", s->t + 1);
    const tsf_ets_par *p = &s->par;
    double mu = tsf_ets_mu(p, &s->run);
    if (!tsf_ets_mu_valid(p, mu))
        return tsf_set_error(TSF_EDOMAIN, "ets: the one-step forecast at observation %zu is %g, "
                             "where a multiplicative model divides by it", s->t + 1, mu);
    if (logp) *logp = isnan(y) ? 0.0 : tsf_ets_logdens(p, y, mu, p->sigma2ml);
    tsf_ets_advance(p, &s->run, y, mu);
    s->t++;
    return TSF_OK;
}

static tsf_status ets_state_forecast(void *st, size_t h, const double *levels,
                                     size_t nlevels, const tsf_forecast_opts *opts,
                                     tsf_forecast_result *fc)
{
    const ets_state *s = st;
    return tsf_ets_forecast_run(&s->par, &s->run, h, levels, nlevels, opts, fc);
}

static void ets_state_free(void *st) { free(st); }

/* state.x: l, b, the seasonal ring; state.jt: ring position and count. */
static tsf_status ets_state_save(const void *st, tsf_st *doc)
{
    const ets_state *s = st;
    double x[2 + TSF_ETS_MAXM], jt[2] = {(double)s->run.j, (double)s->t};
    size_t m = s->par.f.season != ETS_N ? (size_t)s->par.f.m : 0;
    x[0] = s->run.l;
    x[1] = s->run.b;
    memcpy(x + 2, s->run.ring, m * sizeof *x);
    size_t nx[1] = {2 + m}, two[1] = {2};
    tsf_status r = tsf_st_add(doc, "state.x", TSF_ST_F64, 1, nx, x);
    return r ? r : tsf_st_add(doc, "state.jt", TSF_ST_F64, 1, two, jt);
}

static tsf_status ets_state_load(const void *impl, const tsf_st *doc, void **out)
{
    void *p;
    *out = NULL;
    tsf_status st = ets_state_new(impl, &p);
    if (st) return st;
    ets_state *s = p;
    size_t m = s->par.f.season != ETS_N ? (size_t)s->par.f.m : 0;
    const double *x, *jt;
    if (!(st = tsf_st_get_vec(doc, "ets", "state.x", 2 + m, &x)) &&
        !(st = tsf_st_get_vec(doc, "ets", "state.jt", 2, &jt))) {
        int ok = jt[0] >= 0.0 && jt[0] < (double)(m ? m : 1) && jt[0] == floor(jt[0]) &&
                 jt[1] >= 0.0 && jt[1] <= 9007199254740992.0 && jt[1] == floor(jt[1]);
        for (size_t i = 0; i < 2 + m; i++) ok = ok && isfinite(x[i]);
        if (!ok) st = tsf_set_error(TSF_EPARSE, "ets state: bad state values or counters");
    }
    if (st) {
        free(s);
        return st;
    }
    s->run.l = x[0];
    s->run.b = x[1];
    memcpy(s->run.ring, x + 2, m * sizeof *x);
    s->run.j = (size_t)jt[0];
    s->t = (size_t)jt[1];
    *out = s;
    return TSF_OK;
}

/* Model file: metadata ets.form "E T S damped m" (0 N, 1 A, 2 M),
 * ets.fit "nobs converged", ets.sigma2, ets.sigma2ml, ets.loglik; tensors
 * "par" (alpha, beta, gamma, phi) and "init" (x0 in R's order). */
static tsf_status ets_save(const void *impl, tsf_st *doc)
{
    const tsf_ets *e = impl;
    tsf_status st = need_fit(e);
    if (st) return st;
    const tsf_ets_par *p = &e->par;
    char buf[64];
    snprintf(buf, sizeof buf, "%d %d %d %d %d", p->f.error, p->f.trend, p->f.season,
             p->f.damped, p->f.m);
    if ((st = tsf_st_set_meta(doc, "ets.form", buf))) return st;
    snprintf(buf, sizeof buf, "%zu %d", p->nobs, p->converged);
    if ((st = tsf_st_set_meta(doc, "ets.fit", buf)) ||
        (st = tsf_st_set_meta_num(doc, "ets.sigma2", p->sigma2)) ||
        (st = tsf_st_set_meta_num(doc, "ets.sigma2ml", p->sigma2ml)) ||
        (st = tsf_st_set_meta_num(doc, "ets.loglik", p->loglik)))
        return st;
    double par[4] = {p->alpha, p->beta, p->gamma, p->phi};
    size_t four[1] = {4}, ns[1] = {(size_t)tsf_ets_nstate(&p->f)};
    if ((st = tsf_st_add(doc, "par", TSF_ST_F64, 1, four, par))) return st;
    return tsf_st_add(doc, "init", TSF_ST_F64, 1, ns, p->x0);
}

static tsf_status bad(const char *what)
{
    return tsf_set_error(TSF_EPARSE, "bad ets model file: %s; re-create it with tsf fit -o",
                         what);
}

static tsf_status ets_load(const tsf_st *doc, void **impl)
{
    tsf_ets *e = *impl;
    const char *form = tsf_st_meta(doc, "ets.form"), *fit = tsf_st_meta(doc, "ets.fit");
    if (!e) { /* the load contract: what parse() made of the stored spec, or NULL */
        if (!(e = calloc(1, sizeof *e)))
            return tsf_set_error(TSF_ENOMEM, "ets: out of memory loading a model");
        *impl = e;
    }
    if (!form || !fit) return bad("ets.* metadata missing");
    tsf_ets_par p;
    memset(&p, 0, sizeof p);
    tsf_ets_form *f = &p.f;
    char extra;
    if (sscanf(form, "%d %d %d %d %d %c", &f->error, &f->trend, &f->season, &f->damped, &f->m,
               &extra) != 5 || f->error < ETS_A || f->error > ETS_M || f->trend < ETS_N ||
        f->trend > ETS_A || f->season < ETS_N || f->season > ETS_M || f->damped < 0 ||
        f->damped > (f->trend == ETS_A) || f->m < 1 || f->m > TSF_ETS_MAXM ||
        (f->season != ETS_N) != (f->m > 1))
        return bad("ets.form out of range");
    size_t nobs;
    if (sscanf(fit, "%zu %d %c", &nobs, &p.converged, &extra) != 2 || nobs > ((size_t)1 << 40))
        return bad("ets.fit out of range");
    p.nobs = nobs;
    const double *par, *init;
    size_t ns = (size_t)tsf_ets_nstate(f);
    tsf_status st;
    if ((st = tsf_st_meta_num(doc, "ets", "ets.sigma2", 1e-300, 1e300, &p.sigma2)) ||
        (st = tsf_st_meta_num(doc, "ets", "ets.sigma2ml", 1e-300, 1e300, &p.sigma2ml)) ||
        (st = tsf_st_meta_num(doc, "ets", "ets.loglik", -1e300, 1e300, &p.loglik)) ||
        (st = tsf_st_get_vec(doc, "ets", "par", 4, &par)) ||
        (st = tsf_st_get_vec(doc, "ets", "init", ns, &init)))
        return st;
    p.alpha = par[0];
    p.beta = par[1];
    p.gamma = par[2];
    p.phi = par[3];
    if ((f->trend == ETS_N && p.beta != 0.0) || (f->season == ETS_N && p.gamma != 0.0) ||
        (!f->damped && p.phi != 1.0) || !tsf_ets_params_ok(f, p.alpha, p.beta, p.gamma, p.phi))
        return bad("smoothing parameters outside the model's parameter space");
    for (size_t i = 0; i < ns; i++) {
        if (!isfinite(init[i])) return bad("an initial state is not finite");
        if (f->season == ETS_M && i >= ns - (size_t)f->m && !(init[i] > 0.0))
            return bad("a multiplicative seasonal state is not positive");
        p.x0[i] = init[i];
    }
    e->par = p;
    e->trace.n = 0;
    e->fitted = 1;
    fill_coef(e);
    return TSF_OK;
}

const tsf_model_type tsf_ets_type = {
    .name = "ets",
    .neural = 0,
    .parse = ets_parse,
    .fit = ets_fit,
    .fit_many = NULL,
    .info = ets_info,
    .loglik = ets_loglik,
    .forecast = ets_forecast,
    .simulate = ets_simulate,
    .residuals = ets_residuals,
    .state_new = ets_state_new,
    .state_update = ets_state_update,
    .state_forecast = ets_state_forecast,
    .state_free = ets_state_free,
    .state_save = ets_state_save,
    .state_load = ets_state_load,
    .save = ets_save,
    .load = ets_load,
    .free = ets_free,
};
