/* Polynomials, regression matrix and coefficient bookkeeping of an ARIMA
 * with regression effects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/arima_impl.h"

void tsf_arima_delta(const tsf_arima_order *o, double *delta)
{
    /* (1-B)^d (1-B^s)^D = 1 + c_1 B + ...; x_t = sum delta_i x_{t-i} + w_t
     * with delta_i = -c_i. */
    size_t nd = (size_t)o->d + (size_t)o->s * (size_t)o->D;
    double *c = calloc(nd + 1, sizeof *c);
    if (!c) return; /* callers size nd small; see tsf_arima_new */
    c[0] = 1.0;
    size_t deg = 0;
    for (int k = 0; k < o->d; k++) {
        for (size_t j = deg + 1; j >= 1; j--) c[j] -= c[j - 1];
        deg++;
    }
    for (int k = 0; k < o->D; k++) {
        size_t s = (size_t)o->s;
        for (size_t j = deg + s; j >= s; j--) c[j] -= c[j - s];
        deg += s;
    }
    for (size_t i = 0; i < nd; i++) delta[i] = -c[i + 1];
    free(c);
}

void tsf_arima_expand(const tsf_arima_order *o, const double *arma, double *phi, double *theta)
{
    /* (1 - a(B))(1 - A(B^s)) = 1 - [a + A - aA](B);
     * (1 + b(B))(1 + Bs(B^s)) = 1 + [b + Bs + b Bs](B). */
    size_t p = (size_t)o->p, q = (size_t)o->q, P = (size_t)o->P, Q = (size_t)o->Q, s = (size_t)o->s;
    const double *a = arma, *b = arma + p, *A = arma + p + q, *B = arma + p + q + P;
    size_t pf = p + s * P, qf = q + s * Q;
    memset(phi, 0, pf * sizeof *phi);
    memset(theta, 0, qf * sizeof *theta);
    for (size_t i = 0; i < p; i++) phi[i] = a[i];
    for (size_t j = 1; j <= P; j++) {
        phi[s * j - 1] += A[j - 1];
        for (size_t i = 1; i <= p; i++) phi[s * j + i - 1] -= a[i - 1] * A[j - 1];
    }
    for (size_t i = 0; i < q; i++) theta[i] = b[i];
    for (size_t j = 1; j <= Q; j++) {
        theta[s * j - 1] += B[j - 1];
        for (size_t i = 1; i <= q; i++) theta[s * j + i - 1] += b[i - 1] * B[j - 1];
    }
}

tsf_status tsf_arima_regmatrix(const tsf_arima *a, size_t n, size_t t0, const tsf_xreg *xreg,
                               double *X)
{
    size_t j = 0;
    if (a->regflags & TSF_REG_MEAN) {
        for (size_t t = 0; t < n; t++) X[j * n + t] = 1.0;
        j++;
    }
    for (int f = TSF_REG_DRIFT; f <= TSF_REG_TREND; f <<= 1) {
        if (!(a->regflags & f)) continue;
        for (size_t t = 0; t < n; t++) X[j * n + t] = (double)(t0 + t + 1);
        j++;
    }
    if (a->kuser) {
        if (!xreg || xreg->k != a->kuser || !xreg->x)
            return tsf_set_error(TSF_EINVAL, "the model was fitted with %zu regressors; give "
                                 "the same %zu columns (got %zu)", a->kuser, a->kuser,
                                 xreg ? xreg->k : 0);
        if (xreg->ld < n)
            return tsf_set_error(TSF_EINVAL, "regressors have %zu rows, need %zu", xreg->ld, n);
        for (size_t c = 0; c < a->kuser; c++, j++)
            for (size_t t = 0; t < n; t++) {
                double v = xreg->x[c * xreg->ld + t];
                if (isinf(v))
                    return tsf_set_error(TSF_EINVAL, "regressor %zu is infinite at row %zu",
                                         c + 1, t + 1);
                X[j * n + t] = v;
            }
    }
    return TSF_OK;
}

void tsf_arima_xresid(const tsf_arima *a, const double *y, size_t n, const double *X, double *x)
{
    const double *beta = a->coef + a->narma;
    for (size_t t = 0; t < n; t++) x[t] = y[t];
    for (size_t j = 0; j < a->nreg; j++)
        for (size_t t = 0; t < n; t++) x[t] -= beta[j] * X[j * n + t];
}

void tsf_arima_ssview(const tsf_arima *a, tsf_arima_ss *m)
{
    m->p = a->pf;
    m->q = a->qf;
    m->nd = a->nd;
    m->phi = a->phi;
    m->theta = a->theta;
    m->delta = a->delta;
    m->sigma2 = a->sigma2;
}

static char *dupname(const char *fmt, const char *s, size_t k)
{
    char buf[256];
    if (s) snprintf(buf, sizeof buf, "%s", s);
    else snprintf(buf, sizeof buf, fmt, k);
    return strdup(buf);
}

tsf_status tsf_arima_alloc_coef(tsf_arima *a, const char *const *unames)
{
    const tsf_arima_order *o = &a->ord;
    for (size_t i = 0; a->names && i < a->ncoef; i++) free(a->names[i]);
    free(a->names);
    free(a->coef);
    free(a->se);
    free(a->phi);
    free(a->theta);
    free(a->delta);
    a->narma = (size_t)(o->p + o->q + o->P + o->Q);
    a->nreg = (size_t)!!(a->regflags & TSF_REG_MEAN) + (size_t)!!(a->regflags & TSF_REG_DRIFT) +
              (size_t)!!(a->regflags & TSF_REG_TREND) + a->kuser;
    a->ncoef = a->narma + a->nreg;
    a->pf = (size_t)o->p + (size_t)o->s * (size_t)o->P;
    a->qf = (size_t)o->q + (size_t)o->s * (size_t)o->Q;
    a->nd = (size_t)o->d + (size_t)o->s * (size_t)o->D;
    size_t nc = a->ncoef ? a->ncoef : 1;
    a->names = calloc(nc, sizeof *a->names);
    a->coef = calloc(nc, sizeof *a->coef);
    a->se = calloc(nc, sizeof *a->se);
    a->phi = calloc(a->pf + 1, sizeof *a->phi);
    a->theta = calloc(a->qf + 1, sizeof *a->theta);
    a->delta = calloc(a->nd + 1, sizeof *a->delta);
    if (!a->names || !a->coef || !a->se || !a->phi || !a->theta || !a->delta)
        return tsf_set_error(TSF_ENOMEM, "out of memory for ARIMA coefficients");
    size_t k = 0;
    static const char *const pre[4] = {"ar%zu", "ma%zu", "sar%zu", "sma%zu"};
    int cnt[4] = {o->p, o->q, o->P, o->Q};
    for (int b = 0; b < 4; b++)
        for (int i = 1; i <= cnt[b]; i++) a->names[k++] = dupname(pre[b], NULL, (size_t)i);
    if (a->regflags & TSF_REG_MEAN) a->names[k++] = strdup("intercept");
    if (a->regflags & TSF_REG_DRIFT) a->names[k++] = strdup("drift");
    /* R names a lone unnamed regressor passed as xreg = 1:n "xreg". */
    if (a->regflags & TSF_REG_TREND) a->names[k++] = strdup(a->kuser ? "trend" : "xreg");
    for (size_t i = 0; i < a->kuser; i++)
        a->names[k++] = dupname("xreg%zu", unames ? unames[i] : NULL, i + 1);
    for (size_t i = 0; i < a->ncoef; i++)
        if (!a->names[i]) return tsf_set_error(TSF_ENOMEM, "out of memory for ARIMA names");
    tsf_arima_delta(o, a->delta);
    return TSF_OK;
}

tsf_status tsf_arima_finish(tsf_arima *a)
{
    const tsf_arima_order *o = &a->ord;
    tsf_info_criteria(a->loglik, (double)a->ncoef + 1.0, (double)a->nobs, &a->aic, &a->aicc,
                      &a->bic);
    char core[64];
    if (o->P || o->D || o->Q)
        snprintf(core, sizeof core, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]", o->p, o->d, o->q, o->P,
                 o->D, o->Q, o->s);
    else
        snprintf(core, sizeof core, "ARIMA(%d,%d,%d)", o->p, o->d, o->q);
    if (a->kuser || (a->regflags & TSF_REG_TREND))
        snprintf(a->model_str, sizeof a->model_str, "Regression with %s errors", core);
    else if (a->regflags & TSF_REG_DRIFT)
        snprintf(a->model_str, sizeof a->model_str, "%s with drift", core);
    else if (a->regflags & TSF_REG_MEAN)
        snprintf(a->model_str, sizeof a->model_str, "%s with non-zero mean", core);
    else
        snprintf(a->model_str, sizeof a->model_str, "%s", core);
    tsf_arima_expand(o, a->coef, a->phi, a->theta);
    return TSF_OK;
}

size_t tsf_arima_reg_rows(const tsf_arima *a, const double *y, size_t n, const double *X,
                          size_t k, int diff, double *A, size_t lda, double *b)
{
    size_t m = 0, nd = diff ? a->nd : 0;
    for (size_t t = nd; t < n; t++) {
        double v = y[t];
        for (size_t i = 0; i < nd; i++) v -= a->delta[i] * y[t - 1 - i];
        int ok = !isnan(v);
        for (size_t j = 0; j < k && ok; j++) {
            double xv = X[j * n + t];
            for (size_t i = 0; i < nd; i++) xv -= a->delta[i] * X[j * n + t - 1 - i];
            ok = !isnan(xv);
            A[j * lda + m] = xv;
        }
        if (!ok) continue;
        if (b) b[m] = v;
        m++;
    }
    return m;
}

size_t tsf_arima_aliased(const tsf_arima *a, const double *y, size_t n, const double *X,
                         int *drop)
{
    size_t k = a->nreg, base = a->nreg - a->kuser, nd = a->nd, m = 0, ndrop = 0;
    for (size_t c = 0; c < a->kuser; c++) drop[c] = 0;
    if (!k || n <= nd) return 0;
    /* the differenced columns over the rows the fit can use */
    double *Z = malloc(k * (n - nd) * sizeof *Z);
    if (!Z) return (size_t)-1;
    size_t ld = n - nd;
    m = tsf_arima_reg_rows(a, y, n, X, k, 1, Z, ld, NULL);
    /* modified Gram-Schmidt, twice per column, in order: a column whose
     * remainder is below 1e-7 of its norm (R's qr tolerance in lm) is a
     * combination of the columns before it; kept columns stay as the
     * orthonormal basis in place */
    int *kept = calloc(k, sizeof *kept);
    if (!kept) {
        free(Z);
        return (size_t)-1;
    }
    for (size_t j = 0; j < k; j++) {
        double *z = Z + j * ld, n0 = 0.0, n1 = 0.0;
        for (size_t t = 0; t < m; t++) n0 += z[t] * z[t];
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < j; i++) {
                if (!kept[i]) continue;
                const double *q = Z + i * ld;
                double d = 0.0;
                for (size_t t = 0; t < m; t++) d += q[t] * z[t];
                for (size_t t = 0; t < m; t++) z[t] -= d * q[t];
            }
        for (size_t t = 0; t < m; t++) n1 += z[t] * z[t];
        if (n0 > 0.0 && sqrt(n1) > 1e-7 * sqrt(n0)) {
            kept[j] = 1;
            double s = 1.0 / sqrt(n1);
            for (size_t t = 0; t < m; t++) z[t] *= s;
        } else if (j >= base) {
            drop[j - base] = 1;
            ndrop++;
        }
    }
    free(kept);
    free(Z);
    return ndrop;
}
