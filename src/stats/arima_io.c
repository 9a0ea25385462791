/* Model files of the arima family: tensors "coef" and "se" (f64, one per
 * coefficient, R's order and names) and metadata arima.* holding the full
 * order, method, regression terms, names and fit statistics.  Loading
 * treats every value as untrusted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/arima_impl.h"

tsf_status tsf_arima_save(const void *impl, tsf_st *doc)
{
    const tsf_arima *a = impl;
    if (!a->fitted) return tsf_set_error(TSF_EINVAL, "the ARIMA model is not fitted");
    char buf[160];
    const tsf_arima_order *o = &a->ord;
    snprintf(buf, sizeof buf, "%d %d %d %d %d %d %d", o->p, o->d, o->q, o->P, o->D, o->Q, o->s);
    tsf_status st;
    if ((st = tsf_st_set_meta(doc, "arima.order", buf))) return st;
    snprintf(buf, sizeof buf, "%d %d %zu %d %zu", (int)a->method, a->regflags, a->kuser,
             a->converged, a->nobs);
    if ((st = tsf_st_set_meta(doc, "arima.flags", buf))) return st;
    if ((st = tsf_st_set_meta_num(doc, "arima.sigma2", a->sigma2)) ||
        (st = tsf_st_set_meta_num(doc, "arima.loglik", a->loglik)))
        return st;
    size_t len = 1;
    for (size_t i = 0; i < a->ncoef; i++) len += strlen(a->names[i]) + 1;
    char *names = malloc(len);
    if (!names) return tsf_set_error(TSF_ENOMEM, "out of memory saving the model");
    names[0] = 0;
    for (size_t i = 0; i < a->ncoef; i++) {
        if (i) strcat(names, "\n");
        strcat(names, a->names[i]);
    }
    st = tsf_st_set_meta(doc, "arima.names", names);
    free(names);
    if (st) return st;
    if (a->ncoef) {
        size_t shape[1] = {a->ncoef};
        if ((st = tsf_st_add(doc, "coef", TSF_ST_F64, 1, shape, a->coef)) ||
            (st = tsf_st_add(doc, "se", TSF_ST_F64, 1, shape, a->se)))
            return st;
    }
    return TSF_OK;
}

static tsf_status bad(const char *what)
{
    return tsf_set_error(TSF_EPARSE, "bad arima model file: %s; re-create it with tsf fit -o", what);
}


tsf_status tsf_arima_load(const tsf_st *doc, void **impl)
{
    const char *ord = tsf_st_meta(doc, "arima.order"), *fl = tsf_st_meta(doc, "arima.flags");
    const char *s2 = tsf_st_meta(doc, "arima.sigma2"), *ll = tsf_st_meta(doc, "arima.loglik");
    const char *nm = tsf_st_meta(doc, "arima.names");
    if (!ord || !fl || !s2 || !ll || !nm) return bad("arima.* metadata missing");
    tsf_arima_order o;
    char extra;
    if (sscanf(ord, "%d %d %d %d %d %d %d %c", &o.p, &o.d, &o.q, &o.P, &o.D, &o.Q, &o.s, &extra) != 7)
        return bad("arima.order is not seven integers");
    if (o.s < 1) return bad("period below 1");
    tsf_arima *a;
    tsf_status st = tsf_arima_new(&o, &a);
    if (st) return bad(tsf_errmsg());
    int method, regflags, conv;
    size_t kuser, nobs;
    if (sscanf(fl, "%d %d %zu %d %zu %c", &method, &regflags, &kuser, &conv, &nobs, &extra) != 5 ||
        method < TSF_METHOD_CSS_ML || method > TSF_METHOD_CSS || regflags < 0 || regflags > 7 ||
        kuser > TSF_ARIMA_MAXPAR || nobs > ((size_t)1 << 40)) {
        tsf_arima_free(a);
        return bad("arima.flags out of range");
    }
    a->method = (tsf_method)method;
    a->regflags = regflags;
    a->kuser = kuser;
    a->converged = conv != 0;
    a->nobs = nobs;
    char *e1, *e2;
    a->sigma2 = strtod(s2, &e1);
    a->loglik = strtod(ll, &e2);
    if (*e1 || *e2 || !(a->sigma2 > 0.0) || !isfinite(a->sigma2) || !isfinite(a->loglik)) {
        tsf_arima_free(a);
        return bad("sigma2 or loglik is not a finite number (sigma2 > 0)");
    }
    /* names: ncoef lines; the user regressors' names are the last kuser */
    size_t narma = (size_t)(o.p + o.q + o.P + o.Q);
    size_t nreg = (size_t)!!(regflags & TSF_REG_MEAN) + (size_t)!!(regflags & TSF_REG_DRIFT) +
                  (size_t)!!(regflags & TSF_REG_TREND) + kuser;
    size_t ncoef = narma + nreg, nlines = *nm ? 1 : 0;
    for (const char *c = nm; *c; c++) nlines += *c == '\n';
    char *copy = strdup(nm);
    char **un = calloc(kuser + 1, sizeof *un);
    if (!copy || !un || nlines != ncoef || ncoef > TSF_ARIMA_MAXPAR) {
        free(copy);
        free(un);
        tsf_arima_free(a);
        return copy && un ? bad("arima.names does not match the orders") :
                            tsf_set_error(TSF_ENOMEM, "out of memory");
    }
    char *tok = copy;
    for (size_t i = 0; i < ncoef; i++) {
        char *nl = strchr(tok, '\n');
        if (nl) *nl = 0;
        if (i >= ncoef - kuser) un[i - (ncoef - kuser)] = tok;
        tok = nl ? nl + 1 : tok + strlen(tok);
    }
    st = tsf_arima_alloc_coef(a, (const char *const *)un);
    free(copy);
    free(un);
    const double *coef = NULL, *se = NULL;
    if (!st && a->ncoef != ncoef) st = bad("coefficient count");
    if (!st && ncoef && !(st = tsf_st_get_vec(doc, "arima", "coef", ncoef, &coef)))
        st = tsf_st_get_vec(doc, "arima", "se", ncoef, &se);
    for (size_t i = 0; !st && i < ncoef; i++) {
        if (!isfinite(coef[i]) || isinf(se[i])) st = bad("a coefficient is not finite");
        else {
            a->coef[i] = coef[i];
            a->se[i] = se[i];
        }
    }
    if (!st) st = tsf_arima_finish(a);
    if (!st) {
        double *w = malloc(2 * (a->pf + 1) * sizeof *w);
        if (!w) st = tsf_set_error(TSF_ENOMEM, "out of memory");
        else if (!tsf_arima_ar_stationary(a->phi, a->pf, w))
            st = bad("the stored AR coefficients are not stationary");
        free(w);
    }
    if (st) {
        tsf_arima_free(a);
        return st;
    }
    a->fitted = 1;
    tsf_arima_free(*impl);
    *impl = a;
    return TSF_OK;
}
