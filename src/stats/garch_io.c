/* Model and state files of the garch family.  Model: tensors "coef", "se",
 * "se_robust" (fGarch's order and names) and metadata garch.h0,
 * garch.loglik, garch.nobs, garch.converged; the orders, mean and
 * distribution come from the stored spec (parse() made *impl from it).
 * State: state.t, state.r, state.e, state.h, state.hnext.  Every value is
 * untrusted: lengths, finiteness and the constraints of the fit are checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/garch.h"

tsf_status tsf_garch_save(const void *impl, tsf_st *doc)
{
    const tsf_garch *g = impl;
    if (!g->fitted) return tsf_set_error(TSF_EINVAL, "the garch model has not been fitted");
    size_t np = (size_t)g->L.npar;
    tsf_status st;
    if ((st = tsf_st_add(doc, "coef", TSF_ST_F64, 1, &np, g->coef)) ||
        (st = tsf_st_add(doc, "se", TSF_ST_F64, 1, &np, g->se)) ||
        (st = tsf_st_add(doc, "se_robust", TSF_ST_F64, 1, &np, g->rse)) ||
        (st = tsf_st_set_meta_num(doc, "garch.h0", g->h0)) || (st = tsf_st_set_meta_num(doc, "garch.loglik", g->loglik)) ||
        (st = tsf_st_set_meta_num(doc, "garch.nobs", (double)g->nobs)) ||
        (st = tsf_st_set_meta_num(doc, "garch.converged", g->converged)) ||
        (st = tsf_st_set_meta(doc, "garch.mean", g->mean == TSF_GARCH_MEAN_ZERO ? "zero" :
                              g->mean == TSF_GARCH_MEAN_CONSTANT ? "constant" : "arma")))
        return st;
    return TSF_OK;
}

static tsf_status bad(const char *what)
{
    return tsf_set_error(TSF_EPARSE, "bad garch model file: %s; re-create it with tsf fit -o",
                         what);
}

/* The constraints every fitted parameter vector satisfies. */
static int valid_theta(const tsf_garch_layout *L, const double *th)
{
    for (int k = 0; k < L->npar; k++)
        if (!isfinite(th[k])) return 0;
    if (!(th[L->omega] > 0.0)) return 0;
    for (int k = L->alpha; k < L->beta + L->q; k++)
        if (th[k] < 0.0) return 0;
    if (L->t && !(th[L->shape] > 2.0)) return 0;
    return tsf_garch_persistence(L, th) < 1.0;
}

tsf_status tsf_garch_load(const tsf_st *doc, void **impl)
{
    tsf_garch *g = *impl;
    if (!g) return bad("no stored spec");
    const tsf_garch_layout *L = &g->L;
    size_t np = (size_t)L->npar;
    const double *coef, *se, *rse;
    double nobs, conv;
    tsf_status st;
    const char *mean = tsf_st_meta(doc, "garch.mean");
    const char *want = g->mean == TSF_GARCH_MEAN_ZERO ? "zero" :
                       g->mean == TSF_GARCH_MEAN_CONSTANT ? "constant" : "arma";
    if (!mean) return bad("metadata garch.mean missing");
    if (strcmp(mean, want)) {
        /* a model fitted with --no-mean: the zero-mean layout */
        if (strcmp(mean, "zero") || g->mean != TSF_GARCH_MEAN_CONSTANT)
            return bad("garch.mean disagrees with the stored spec");
        tsf_garch_layout Z;
        tsf_garch_layout_init(&Z, L->p, L->q, 0, 0, 0, L->gjr, L->t);
        tsf_garch *z = tsf_garch_alloc(&Z, TSF_GARCH_MEAN_ZERO, g->dist);
        if (!z) return tsf_set_error(TSF_ENOMEM, "out of memory");
        tsf_garch_free(g);
        *impl = g = z;
        L = &g->L;
        np = (size_t)L->npar;
    }
    if ((st = tsf_st_get_vec(doc, "garch", "coef", np, &coef)) ||
        (st = tsf_st_get_vec(doc, "garch", "se", np, &se)) ||
        (st = tsf_st_get_vec(doc, "garch", "se_robust", np, &rse)) ||
        (st = tsf_st_meta_num(doc, "garch", "garch.h0", 0.0, HUGE_VAL, &g->h0)) ||
        (st = tsf_st_meta_num(doc, "garch", "garch.loglik", -HUGE_VAL, HUGE_VAL, &g->loglik)) ||
        (st = tsf_st_meta_num(doc, "garch", "garch.nobs", 1, 1e15, &nobs)) ||
        (st = tsf_st_meta_num(doc, "garch", "garch.converged", 0, 1, &conv)))
        return st;
    if (!(g->h0 > 0.0) || nobs != floor(nobs)) return bad("garch.h0 or garch.nobs out of range");
    if (!valid_theta(L, coef))
        return bad("the coefficients break the model's constraints (omega > 0, alpha, beta >= "
                   "0, persistence < 1, shape > 2)");
    for (size_t k = 0; k < np; k++)
        if (isinf(se[k]) || isinf(rse[k])) return bad("a standard error is infinite");
    memcpy(g->coef, coef, np * sizeof *coef);
    memcpy(g->se, se, np * sizeof *se);
    memcpy(g->rse, rse, np * sizeof *rse);
    g->nobs = (size_t)nobs;
    g->converged = conv != 0.0;
    tsf_garch_finish(g);
    g->fitted = 1;
    return TSF_OK;
}

tsf_status tsf_garch_state_save(const void *st, tsf_st *doc)
{
    const tsf_garch_rec *s = st;
    size_t one = 1, P = (size_t)s->L.P, ne = (size_t)(s->L.p > s->L.Q ? s->L.p : s->L.Q),
           q = (size_t)s->L.q;
    double t = (double)s->t;
    tsf_status r;
    if ((r = tsf_st_add(doc, "state.t", TSF_ST_F64, 1, &one, &t)) ||
        (r = tsf_st_add(doc, "state.hnext", TSF_ST_F64, 1, &one, &s->hnext)) ||
        (r = tsf_st_add(doc, "state.r", TSF_ST_F64, 1, &P, s->r)) ||
        (r = tsf_st_add(doc, "state.e", TSF_ST_F64, 1, &ne, s->e)) ||
        (r = tsf_st_add(doc, "state.h", TSF_ST_F64, 1, &q, s->h)))
        return r;
    return TSF_OK;
}

tsf_status tsf_garch_state_load(const void *impl, const tsf_st *doc, void **out)
{
    *out = NULL;
    tsf_garch_rec *s;
    tsf_status st = tsf_garch_rec_new(impl, &s);
    if (st) return st;
    size_t P = (size_t)s->L.P, ne = (size_t)(s->L.p > s->L.Q ? s->L.p : s->L.Q),
           q = (size_t)s->L.q;
    const double *t, *hn, *r, *e, *h;
    if ((st = tsf_st_get_vec(doc, "garch", "state.t", 1, &t)) ||
        (st = tsf_st_get_vec(doc, "garch", "state.hnext", 1, &hn)) ||
        (st = tsf_st_get_vec(doc, "garch", "state.r", P, &r)) ||
        (st = tsf_st_get_vec(doc, "garch", "state.e", ne, &e)) ||
        (st = tsf_st_get_vec(doc, "garch", "state.h", q, &h))) {
        tsf_garch_rec_free(s);
        return st;
    }
    int ok = t[0] >= 0.0 && t[0] <= 9007199254740992.0 && t[0] == floor(t[0]) &&
             hn[0] > 0.0 && isfinite(hn[0]);
    for (size_t i = 0; ok && i < P; i++) ok = isfinite(r[i]);
    for (size_t i = 0; ok && i < ne; i++) ok = isfinite(e[i]);
    for (size_t i = 0; ok && i < q; i++) ok = h[i] >= 0.0 && isfinite(h[i]);
    if (!ok) {
        tsf_garch_rec_free(s);
        return tsf_set_error(TSF_EPARSE, "garch state file: a value is out of range (count, "
                             "returns, residuals or variances)");
    }
    s->t = (size_t)t[0];
    s->hnext = hn[0];
    if (P) memcpy(s->r, r, P * sizeof *r);
    if (ne) memcpy(s->e, e, ne * sizeof *e);
    if (q) memcpy(s->h, h, q * sizeof *h);
    *out = s;
    return TSF_OK;
}
