/* The "garch" family: spec, fit driver, summary and type table.
 *
 *   garch              GARCH(1,1), constant mean, Gaussian innovations
 *   garch(p,q, mean=constant|zero|arma(P,Q), dist=normal|t, type=garch|gjr)
 *
 * p ARCH terms and q GARCH terms as fGarch's garch(p,q). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/garch.h"
#include "stats/roots.h"

static const char *const mean_choices[] = {"zero", "constant", NULL};
static const char *const dist_choices[] = {"normal", "t", NULL};
static const char *const type_choices[] = {"garch", "gjr", NULL};

tsf_garch *tsf_garch_alloc(const tsf_garch_layout *L, tsf_garch_mean mean, tsf_garch_dist dist)
{
    tsf_garch *g = calloc(1, sizeof *g);
    size_t np = (size_t)L->npar;
    if (!g) return NULL;
    g->L = *L;
    g->mean = mean;
    g->dist = dist;
    g->coef = calloc(3 * np, sizeof *g->coef);
    g->namebuf = calloc(np, sizeof *g->namebuf);
    g->names = calloc(np, sizeof *g->names);
    if (!g->coef || !g->namebuf || !g->names) {
        tsf_garch_free(g);
        return NULL;
    }
    g->se = g->coef + np;
    g->rse = g->se + np;
    return g;
}

void tsf_garch_free(void *impl)
{
    tsf_garch *g = impl;
    if (!g) return;
    free(g->coef);
    free(g->namebuf);
    free(g->names);
    free(g);
}

/* mean=arma(P,Q): the nested value, read here with columns into the spec. */
static tsf_status parse_arma(const tsf_spec *s, tsf_spec_arg *a, int *P, int *Q)
{
    const char *vp = strstr(s->text + a->pos, a->value);
    size_t col = vp ? (size_t)(vp - s->text) : a->pos;
    const char *v = a->value;
    a->used = 1;
    if (strncmp(v, "arma(", 5) != 0)
        return tsf_spec_error(s, col, TSF_EPARSE, "mean=%s is not one of constant|zero|"
                              "arma(P,Q)", v);
    long x[2];
    const char *c = v + 5;
    for (int k = 0; k < 2; k++) {
        while (*c == ' ') c++;
        char *end;
        x[k] = strtol(c, &end, 10);
        if (end == c || x[k] < 0 || x[k] > TSF_GARCH_MAX_ORDER)
            return tsf_spec_error(s, col + (size_t)(c - v), TSF_EPARSE, "arma(P,Q) takes two "
                                  "whole numbers from 0 to %d", TSF_GARCH_MAX_ORDER);
        c = end;
        while (*c == ' ') c++;
        if (*c != (k ? ')' : ','))
            return tsf_spec_error(s, col + (size_t)(c - v), TSF_EPARSE, "expected '%c' in "
                                  "arma(P,Q)", k ? ')' : ',');
        c++;
    }
    if (*c)
        return tsf_spec_error(s, col + (size_t)(c - v), TSF_EPARSE, "unexpected text after "
                              "arma(P,Q)");
    *P = (int)x[0];
    *Q = (int)x[1];
    return TSF_OK;
}

static tsf_status garch_parse(const tsf_spec *s, void **impl)
{
    *impl = NULL;
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "garch() takes one argument "
                              "list, e.g. garch(1,1, dist=t)");
    if (s->period)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "garch() takes no period [s]");
    long pq[2] = {1, 1};
    int npos = 0, mean = TSF_GARCH_MEAN_CONSTANT, dist = 0, type = 0, P = 0, Q = 0;
    tsf_status st;
    if (s->ngroups == 1) {
        const tsf_spec_group *g = &s->groups[0];
        for (size_t i = 0; i < g->nargs && npos < 2; i++)
            if (!g->args[i].key) {
                if ((st = tsf_spec_arg_int(s, &g->args[i], npos ? 0 : 1, TSF_GARCH_MAX_ORDER,
                                           &pq[npos])))
                    return st;
                npos++;
            }
        if (npos == 1)
            return tsf_spec_error(s, g->pos, TSF_EPARSE, "give both orders: garch(p,q), p ARCH "
                                  "and q GARCH terms");
        tsf_spec_arg *ma = tsf_spec_find(s, 0, "mean");
        if (ma && strchr(ma->value, '(')) {
            if ((st = parse_arma(s, ma, &P, &Q))) return st;
            mean = TSF_GARCH_MEAN_ARMA;
        } else {
            int m = 1;
            if ((st = tsf_spec_get_choice(s, 0, "mean", mean_choices, &m))) return st;
            mean = m;
        }
        if ((st = tsf_spec_get_choice(s, 0, "dist", dist_choices, &dist)) ||
            (st = tsf_spec_get_choice(s, 0, "type", type_choices, &type)) ||
            (st = tsf_spec_check_unused(s, "p, q (the orders), mean, dist, type")))
            return st;
    }
    tsf_garch_layout L;
    tsf_garch_layout_init(&L, (int)pq[0], (int)pq[1], P, Q, mean != TSF_GARCH_MEAN_ZERO, type,
                          dist);
    tsf_garch *g = tsf_garch_alloc(&L, (tsf_garch_mean)mean, (tsf_garch_dist)dist);
    if (!g) return tsf_set_error(TSF_ENOMEM, "out of memory creating a garch model");
    *impl = g;
    return TSF_OK;
}

tsf_status tsf_garch_finish(tsf_garch *g)
{
    const tsf_garch_layout *L = &g->L;
    int k = 0;
    if (L->has_mu) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "mu");
    for (int i = 0; i < L->P; i++) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "ar%d", i + 1);
    for (int i = 0; i < L->Q; i++) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "ma%d", i + 1);
    snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "omega");
    for (int i = 0; i < L->p; i++) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "alpha%d", i + 1);
    for (int i = 0; L->gjr && i < L->p; i++)
        snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "gamma%d", i + 1);
    for (int i = 0; i < L->q; i++) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "beta%d", i + 1);
    if (L->t) snprintf(g->namebuf[k++], TSF_GARCH_NAME_LEN, "shape");
    for (int i = 0; i < L->npar; i++) g->names[i] = g->namebuf[i];
    char arma[32] = "";
    if (g->mean == TSF_GARCH_MEAN_ARMA) snprintf(arma, sizeof arma, "ARMA(%d,%d)-", L->P, L->Q);
    snprintf(g->model, sizeof g->model, "%s%sGARCH(%d,%d)%s, %s innovations", arma,
             L->gjr ? "GJR-" : "", L->p, L->q, g->mean == TSF_GARCH_MEAN_ZERO ? ", zero mean" : "",
             L->t ? "Student-t" : "normal");
    g->persistence = tsf_garch_persistence(L, g->coef);
    g->uncond = g->persistence < 1.0 ? g->coef[L->omega] / (1.0 - g->persistence) : INFINITY;
    tsf_info_criteria(g->loglik, (double)L->npar, (double)g->nobs, &g->aic, &g->aicc, &g->bic);
    return TSF_OK;
}

static tsf_status check_returns(const tsf_garch *g, const double *y, size_t n)
{
    size_t need = (size_t)(10 * g->L.npar);
    if (need < 50) need = 50;
    for (size_t t = 0; t < n; t++)
        if (isnan(y[t]))
            return tsf_set_error(TSF_EINVAL, "garch: return %zu is missing; GARCH filters need "
                                 "complete returns (drop or fill the gap first)", t + 1);
    if (n < need)
        return tsf_set_error(TSF_EINVAL, "garch: %zu returns are too few to estimate %d "
                             "parameters; give at least %zu", n, g->L.npar, need);
    double lo = y[0], hi = y[0];
    for (size_t t = 1; t < n; t++) {
        lo = fmin(lo, y[t]);
        hi = fmax(hi, y[t]);
    }
    if (!(hi > lo))
        return tsf_set_error(TSF_EINVAL, "garch: the returns are constant (all %g); there is "
                             "no volatility to model", lo);
    return TSF_OK;
}

static tsf_status garch_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            int period, const tsf_fit_opts *opts)
{
    tsf_garch *g = impl;
    (void)period;
    g->fitted = 0;
    if (xreg && xreg->k)
        return tsf_no_regressors("garch");
    if (opts && opts->include_mean < 0 && g->mean == TSF_GARCH_MEAN_CONSTANT) {
        /* --no-mean: the zero-mean model */
        tsf_garch_layout L;
        tsf_garch_layout_init(&L, g->L.p, g->L.q, 0, 0, 0, g->L.gjr, g->L.t);
        tsf_garch *z = tsf_garch_alloc(&L, TSF_GARCH_MEAN_ZERO, g->dist);
        if (!z) return tsf_set_error(TSF_ENOMEM, "out of memory");
        tsf_garch tmp = *g;
        *g = *z;
        *z = tmp;
        tsf_garch_free(z);
    }
    tsf_status st = check_returns(g, y, n);
    if (st) return st;
    if ((st = tsf_garch_estimate(g, y, n))) return st;
    g->nobs = n;
    tsf_garch_finish(g);
    const tsf_garch_layout *L = &g->L;
    if (g->persistence > 1.0 - 1e-6)
        return tsf_set_error(TSF_EDEGENERATE, "garch: the estimate is on the boundary of "
                             "covariance stationarity (persistence %.8f): the variance has no "
                             "finite long-run level under this model; try %sa shorter recent "
                             "sample, or check that the series is returns", g->persistence,
                             L->t ? (L->gjr ? "" : "type=gjr, ") :
                                    (L->gjr ? "dist=t, " : "dist=t, type=gjr, "));
    if (L->P) {
        double c[TSF_GARCH_MAX_ORDER];
        for (int i = 0; i < L->P; i++) c[i] = -g->coef[L->ar + i];
        double mr = tsf_poly_min_root(c, (size_t)L->P);
        if (!(mr > 1.0))
            return tsf_set_error(TSF_EDEGENERATE, "garch: the estimated AR part of the mean "
                                 "equation is not stationary; try mean=constant or fewer AR "
                                 "terms");
    }
    g->fitted = 1;
    return TSF_OK;
}

static tsf_status garch_info(const void *impl, tsf_fit_info *info)
{
    const tsf_garch *g = impl;
    if (!g->fitted) return tsf_set_error(TSF_EINVAL, "the garch model has not been fitted");
    info->model = g->model;
    info->order[0] = g->L.P;
    info->order[1] = 0;
    info->order[2] = g->L.Q;
    info->period = 1;
    info->ncoef = (size_t)g->L.npar;
    info->coef_names = g->names;
    info->coef = g->coef;
    info->se = g->se;
    info->se_robust = g->rse;
    info->sigma2 = g->uncond;
    info->loglik = g->loglik;
    info->aic = g->aic;
    info->aicc = g->aicc;
    info->bic = g->bic;
    info->nobs = g->nobs;
    info->converged = g->converged;
    info->persistence = g->persistence;
    return TSF_OK;
}

const tsf_model_type tsf_garch_type = {
    .name = "garch",
    .neural = 0,
    .reads = TSF_READS_MEAN,
    .parse = garch_parse,
    .fit = garch_fit,
    .info = garch_info,
    .loglik = tsf_garch_loglik,
    .forecast = tsf_garch_forecast,
    .risk = tsf_garch_risk,
    .simulate = tsf_garch_simulate,
    .residuals = tsf_garch_residuals,
    .state_new = tsf_garch_state_new,
    .state_update = tsf_garch_state_update,
    .state_forecast = tsf_garch_state_forecast,
    .state_free = tsf_garch_state_free,
    .state_save = tsf_garch_state_save,
    .state_load = tsf_garch_state_load,
    .save = tsf_garch_save,
    .load = tsf_garch_load,
    .free = tsf_garch_free,
};
