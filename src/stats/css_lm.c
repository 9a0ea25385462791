/* Conditional-sum-of-squares fit by Levenberg-Marquardt (Marquardt 1963)
 * with the analytic residual derivatives of tsf_arima_css_jac: a handful
 * of iterations where a quasi-Newton method on finite differences needs
 * hundreds of objective evaluations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "stats/arima_impl.h"

typedef struct {
    const tsf_arima *a;
    const double *y, *X, *beta0, *L;
    size_t n, k, ncond;
    double *x, *e, *J, *work;
} lmctx;

/* residuals (and J in [arma, u] coordinates when want_j) at par */
/* sum a_t b_t with four accumulators: the additions of one running sum
 * form a latency-bound chain; four independent ones let them overlap. */
static double dot(const double *a, const double *b, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t t = 0;
    for (; t + 4 <= n; t += 4) {
        s0 += a[t] * b[t];
        s1 += a[t + 1] * b[t + 1];
        s2 += a[t + 2] * b[t + 2];
        s3 += a[t + 3] * b[t + 3];
    }
    for (; t < n; t++) s0 += a[t] * b[t];
    return (s0 + s1) + (s2 + s3);
}

/* A = J'J (np x np, symmetric, column-major = row-major) and g = J'e.
 * Plain loops: np is small and a threaded BLAS would only add overhead. */
static void normal_eq(const double *J, const double *e, size_t n, size_t np, double *A, double *g)
{
    for (size_t i = 0; i < np; i++) {
        const double *ji = J + i * n;
        for (size_t j = i; j < np; j++) A[i * np + j] = A[j * np + i] = dot(ji, J + j * n, n);
        if (g) g[i] = dot(ji, e, n);
    }
}

/* Gain in log-likelihood units (nu/2) log(ssq/ssq_min) ~ nu g'A^-1 g /
 * (2 ssq) that a full Gauss-Newton step promises from here.  M: np x np
 * scratch. */
static double promised_gain(const double *A, const double *g, size_t np, double ssq, size_t nu,
                            double *M)
{
    double d[TSF_ARIMA_MAXPAR];
    memcpy(M, A, np * np * sizeof *M);
    for (size_t i = 0; i < np; i++) {
        M[i * np + i] += 1e-12 * fmax(A[i * np + i], 1e-300);
        d[i] = g[i];
    }
    if (LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)np, 1, M, (lapack_int)np, d,
                      (lapack_int)np))
        return INFINITY;
    double v = 0.0;
    for (size_t i = 0; i < np; i++) v += g[i] * d[i];
    return 0.5 * (double)nu * v / ssq;
}

static tsf_status resid(lmctx *c, const double *par, int want_j, double *ssq, size_t *nu)
{
    const tsf_arima *a = c->a;
    size_t n = c->n, k = c->k, na = a->narma;
    double beta[TSF_ARIMA_MAXPAR];
    for (size_t i = 0; i < k; i++) {
        double s = c->beta0[i];
        for (size_t j = 0; j <= i; j++) s += c->L[j * k + i] * par[na + j];
        beta[i] = s;
    }
    for (size_t t = 0; t < n; t++) c->x[t] = c->y[t];
    for (size_t j = 0; j < k; j++)
        for (size_t t = 0; t < n; t++) c->x[t] -= beta[j] * c->X[j * n + t];
    tsf_status st = tsf_arima_css_jac(&a->ord, par, c->x, n, c->X, k, a->delta, a->nd, c->ncond,
                                      c->work, c->e, want_j ? c->J : NULL, ssq, nu);
    if (st || !want_j || !k) return st;
    /* d e / d u = (d e / d beta) L, in place column by column (L lower) */
    double *Jb = c->J + na * n;
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j < k; j++) {
            double s = 0.0;
            for (size_t i = j; i < k; i++) s += Jb[i * n + t] * c->L[j * k + i];
            Jb[j * n + t] = s;
        }
    return TSF_OK;
}

tsf_status tsf_arima_css_lm(const tsf_arima *a, const double *y, size_t n, const double *X,
                            const double *beta0, const double *L, size_t ncond, double tol_ll,
                            double *par, double *H, int *converged)
{
    size_t np = a->ncoef;
    *converged = 0;
    if (np == 0) {
        *converged = 1;
        return TSF_OK;
    }
    lmctx c = {a, y, X, beta0, L, n, a->nreg, ncond, NULL, NULL, NULL, NULL};
    c.work = malloc(TSF_ARIMA_CSS_WORK(n, a->pf, a->qf) * sizeof *c.work);
    c.x = malloc(n * sizeof *c.x);
    c.e = malloc(n * sizeof *c.e);
    c.J = malloc(n * np * sizeof *c.J);
    /* the np x np matrices on the heap (fits may run on small stacks) */
    double *A = malloc(3 * np * np * sizeof *A), *M = A ? A + np * np : NULL;
    double *M2 = A ? M + np * np : NULL;
    double g[TSF_ARIMA_MAXPAR], d[TSF_ARIMA_MAXPAR], trial[TSF_ARIMA_MAXPAR];
    tsf_status st = TSF_OK;
    if (!c.x || !c.e || !c.J || !c.work || !A) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory in the CSS fit");
        goto done;
    }
    double ssq, lambda = 1e-3;
    size_t nu;
    int need_j = 1, jpar = 0; /* jpar: c.J and A hold the derivatives at par */
    for (int iter = 0; iter < 500; iter++) {
        if (need_j) {
            if ((st = resid(&c, par, 1, &ssq, &nu))) goto done;
            if (!(ssq > 0.0) || !isfinite(ssq) || nu == 0) break;
            normal_eq(c.J, c.e, n, np, A, g);
            need_j = 0;
            jpar = 1;
            if (promised_gain(A, g, np, ssq, nu, M2) < tol_ll) {
                *converged = 1;
                break;
            }
        }
        /* (A + lambda diag A) d = -g */
        memcpy(M, A, np * np * sizeof *M);
        for (size_t i = 0; i < np; i++) {
            M[i * np + i] += lambda * fmax(A[i * np + i], 1e-12);
            d[i] = -g[i];
        }
        if (LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)np, 1, M, (lapack_int)np, d,
                          (lapack_int)np)) {
            lambda *= 10.0;
            if (lambda > 1e12) break;
            continue;
        }
        for (size_t i = 0; i < np; i++) trial[i] = par[i] + d[i];
        /* Steps into non-invertible MA polynomials count as failures: the
         * search stays in the invertible region it starts in, as R's
         * BFGS on the CSS does in practice (the residual recursion
         * explodes beyond the unit circle), and auto-ARIMA rejects
         * non-invertible fits anyway. */
        const tsf_arima_order *o = &a->ord;
        if ((o->q && !tsf_arima_ma_invertible(trial + o->p, (size_t)o->q)) ||
            (o->Q && !tsf_arima_ma_invertible(trial + o->p + o->q + o->P, (size_t)o->Q))) {
            jpar = 0;
            lambda *= 10.0;
            if (lambda > 1e12) {
                *converged = 1;
                break;
            }
            continue;
        }
        double s2;
        size_t nu2;
        /* residuals and derivatives at the trial point together: steps
         * are accepted far more often than not */
        if ((st = resid(&c, trial, 1, &s2, &nu2))) goto done;
        if (isfinite(s2) && nu2 == nu && s2 < ssq) {
            memcpy(par, trial, np * sizeof *par);
            lambda = fmax(lambda * 0.1, 1e-10);
            ssq = s2;
            normal_eq(c.J, c.e, n, np, A, g);
            jpar = 1;
            /* converged when a full Gauss-Newton step promises less than
             * tol_ll log-likelihood units (a one-step decrease would stop
             * early on the ridges of nearly cancelling AR and MA roots) */
            if (promised_gain(A, g, np, ssq, nu, M2) < tol_ll) {
                *converged = 1;
                break;
            }
        } else {
            jpar = 0;
            /* no decrease even along a tiny step: at the minimum */
            double dn = 0.0;
            for (size_t i = 0; i < np; i++) dn = fmax(dn, fabs(d[i]));
            if (dn < 1e-10) {
                *converged = 1;
                break;
            }
            lambda *= 10.0;
            if (lambda > 1e12) {
                *converged = 1;
                break;
            }
        }
    }
    /* Gauss-Newton Hessian of 0.5 log(ssq / nu) at the solution */
    if (H) {
        if (!jpar) {
            if ((st = resid(&c, par, 1, &ssq, &nu))) goto done;
            normal_eq(c.J, c.e, n, np, A, NULL);
        }
        for (size_t i = 0; i < np * np; i++) H[i] = A[i] / ssq;
    }
done:
    free(c.x);
    free(c.e);
    free(c.J);
    free(c.work);
    free(A);
    return st;
}
