/* GARCH estimation: GSL's BFGS2 on an unconstrained reparametrisation that
 * keeps every variance coefficient positive and the process covariance
 * stationary, a few Newton steps to polish, then standard errors from the
 * Hessian and the Bollerslev & Wooldridge (1992) sandwich.
 *
 * Reparametrisation (u unconstrained):
 *   omega = exp(u_omega),  nu = 2 + exp(u_nu),  mean parameters as they are,
 *   v_k = exp(u_k) for the alpha, gamma and beta blocks, D = 1 + sum v_k,
 *   alpha_i = v/D, beta_j = v/D, gamma_i = 2 v/D,
 * so that persistence = sum alpha + sum beta + sum gamma / 2 = sum v / D < 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include "stats/garch.h"
#include "stats/roots.h"

typedef struct {
    const tsf_garch_layout *L;
    const double *r;
    size_t n;
    tsf_garch_ws *w;
    double *theta, *g; /* npar scratch */
    /* BFGS runs in w with u = u0 + P w (P = I when NULL) */
    const double *u0, *P;
    double *ub, *gb;   /* npar scratch */
} fit_ctx;

static int is_vol(const tsf_garch_layout *L, int k)
{
    return k >= L->alpha && k < L->beta + L->q;
}

static double vol_scale(const tsf_garch_layout *L, int k)
{
    return L->gjr && k >= L->gamma && k < L->gamma + L->p ? 2.0 : 1.0;
}

static void to_theta(const tsf_garch_layout *L, const double *u, double *th)
{
    double D = 1.0;
    for (int k = 0; k < L->npar; k++)
        if (is_vol(L, k)) D += exp(u[k]);
    for (int k = 0; k < L->npar; k++) {
        if (k < L->nmean) th[k] = u[k];
        else if (k == L->omega) th[k] = exp(u[k]);
        else if (k == L->shape) th[k] = 2.0 + exp(u[k]);
        else th[k] = vol_scale(L, k) * exp(u[k]) / D;
    }
}

static void to_u(const tsf_garch_layout *L, const double *th, double *u)
{
    double pers = tsf_garch_persistence(L, th), D = 1.0 / (1.0 - pers);
    for (int k = 0; k < L->npar; k++) {
        if (k < L->nmean) u[k] = th[k];
        else if (k == L->omega) u[k] = log(th[k]);
        else if (k == L->shape) u[k] = log(th[k] - 2.0);
        else u[k] = log(fmax(th[k], 1e-12) * D / vol_scale(L, k));
    }
}

/* g (d/d theta) into d/d u, in place. */
static void chain(const tsf_garch_layout *L, const double *u, const double *th, double *g)
{
    double D = 1.0, s = 0.0;
    for (int k = 0; k < L->npar; k++)
        if (is_vol(L, k)) {
            D += exp(u[k]);
            s += g[k] * vol_scale(L, k) * exp(u[k]);
        }
    s /= D;
    for (int k = 0; k < L->npar; k++) {
        if (k == L->omega) g[k] *= th[k];
        else if (k == L->shape) g[k] *= th[k] - 2.0;
        else if (is_vol(L, k)) g[k] = exp(u[k]) / D * (vol_scale(L, k) * g[k] - s);
    }
}

/* f = -loglik / n at u; grad (may be NULL) d f / d u. */
static int eval(fit_ctx *c, const double *u, double *f, double *grad)
{
    to_theta(c->L, u, c->theta);
    double ll;
    tsf_status st = tsf_garch_lik(c->L, c->theta, c->r, c->n, c->w, &ll, grad ? c->g : NULL,
                                  NULL, NULL);
    if (st) {
        *f = GSL_POSINF;
        return 1;
    }
    *f = -ll / (double)c->n;
    if (grad) {
        chain(c->L, u, c->theta, c->g);
        for (int k = 0; k < c->L->npar; k++) grad[k] = -c->g[k] / (double)c->n;
    }
    return 0;
}

/* f and d f / d w at w, u = u0 + P w. */
static int eval_w(fit_ctx *c, const double *w, double *f, double *gw)
{
    int n = c->L->npar;
    if (!c->P) return eval(c, w, f, gw);
    for (int i = 0; i < n; i++) {
        double s = c->u0[i];
        for (int j = 0; j < n; j++) s += c->P[i * n + j] * w[j];
        c->ub[i] = s;
    }
    int bad = eval(c, c->ub, f, gw ? c->gb : NULL);
    if (gw)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int i = 0; i < n; i++) s += c->P[i * n + j] * c->gb[i];
            gw[j] = s;
        }
    return bad;
}

static double mm_f(const gsl_vector *x, void *p)
{
    double f;
    eval_w(p, x->data, &f, NULL);
    return f;
}

static void mm_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    if (eval_w(p, x->data, f, g->data))
        for (size_t k = 0; k < g->size; k++) gsl_vector_set(g, k, 0.0);
}

static void mm_df(const gsl_vector *x, void *p, gsl_vector *g)
{
    double f;
    mm_fdf(x, p, &f, g);
}

/* Starting values as fGarch's: alpha 0.1, beta 0.8 (spread over the lags),
 * gamma 0.1, omega = 0.1 var(r), nu = 6, mu = mean(r), ARMA 0. */
static void start_values(const tsf_garch_layout *L, const double *r, size_t n, double *th)
{
    double m = 0.0, v = 0.0;
    for (size_t t = 0; t < n; t++) m += r[t];
    m /= (double)n;
    for (size_t t = 0; t < n; t++) v += (r[t] - m) * (r[t] - m);
    v /= (double)n;
    for (int k = 0; k < L->npar; k++) th[k] = 0.0;
    if (L->has_mu) th[L->mu] = m;
    th[L->omega] = 0.1 * v;
    for (int i = 0; i < L->p; i++) {
        th[L->alpha + i] = (L->gjr ? 0.05 : 0.1) / L->p;
        if (L->gjr) th[L->gamma + i] = 0.1 / L->p;
    }
    for (int j = 0; j < L->q; j++) th[L->beta + j] = 0.8 / L->q;
    if (L->t) th[L->shape] = 6.0;
}

/* Preconditioner: with B the outer product of the per-observation scores
 * in u at u0 (BHHH's approximation of the information, always positive
 * semi-definite) and B / n = L L', P = L^-T makes the objective's Hessian in
 * w close to the identity, which is where BFGS starts.  0 on success. */
static int precondition(fit_ctx *c, const double *u0, double *P)
{
    size_t np = (size_t)c->L->npar;
    double *S = malloc(c->n * np * sizeof *S), ll;
    if (!S) return -1;
    to_theta(c->L, u0, c->theta);
    int bad = tsf_garch_lik(c->L, c->theta, c->r, c->n, c->w, &ll, NULL, S, NULL) != TSF_OK;
    for (size_t t = 0; !bad && t < c->n; t++) chain(c->L, u0, c->theta, S + t * np);
    gsl_matrix_view Sm = gsl_matrix_view_array(S, c->n, np);
    gsl_matrix *B = gsl_matrix_alloc(np, np);
    gsl_matrix_view Pm = gsl_matrix_view_array(P, np, np);
    if (!B) bad = 1;
    if (!bad) {
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0 / (double)c->n, &Sm.matrix, 0.0, B);
        gsl_matrix_set_identity(&Pm.matrix);
        bad = gsl_linalg_cholesky_decomp1(B) ||
              gsl_blas_dtrsm(CblasLeft, CblasLower, CblasTrans, CblasNonUnit, 1.0, B,
                             &Pm.matrix);
    }
    gsl_matrix_free(B);
    free(S);
    return bad;
}

/* GSL's BFGS2 from u in the preconditioned coordinates; u receives the
 * minimiser.  1 when the gradient test passed, 0 if not, -1 out of memory. */
static int bfgs(fit_ctx *c, double *u, double *fbest, double tol)
{
    size_t np = (size_t)c->L->npar;
    gsl_multimin_function_fdf fn = {mm_f, mm_df, mm_fdf, np, c};
    gsl_multimin_fdfminimizer *mm =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
    double *buf = malloc((np * np + 2 * np) * sizeof *buf);
    gsl_vector *x = gsl_vector_calloc(np);
    if (!mm || !buf || !x) {
        gsl_multimin_fdfminimizer_free(mm);
        gsl_vector_free(x);
        free(buf);
        return -1;
    }
    double *P = buf, *u0 = P + np * np;
    memcpy(u0, u, np * sizeof *u0);
    c->u0 = u0;
    c->P = precondition(c, u0, P) ? NULL : P;
    if (!c->P) memcpy(x->data, u, np * sizeof *u);
    int conv = 0;
    for (int restart = 0; restart < 2 && !conv; restart++) {
        if (gsl_multimin_fdfminimizer_set(mm, &fn, x, 0.3, 0.1)) break;
        for (int it = 0; it < 500; it++) {
            int s = gsl_multimin_fdfminimizer_iterate(mm);
            if (s) break;
            if (gsl_multimin_test_gradient(mm->gradient, tol) == GSL_SUCCESS) {
                conv = 1;
                break;
            }
        }
        gsl_vector_memcpy(x, mm->x);
    }
    *fbest = mm->f;
    if (c->P) {
        for (size_t i = 0; i < np; i++) {
            double s = u0[i];
            for (size_t j = 0; j < np; j++) s += P[i * np + j] * x->data[j];
            u[i] = s;
        }
    } else {
        memcpy(u, x->data, np * sizeof *u);
    }
    c->P = NULL;
    gsl_multimin_fdfminimizer_free(mm);
    gsl_vector_free(x);
    free(buf);
    return conv;
}

/* Hessian of a function (n parameters) by differences of its gradient,
 * symmetrised: central differences, or forward ones from g0 (the gradient
 * at x0) when g0 is given, at half the cost, for Newton directions.
 * grad(x, g) returns nonzero on failure. */
typedef int (*grad_fn)(void *ctx, const double *x, double *g);

static int fd_hessian(grad_fn grad, void *ctx, const double *x0, const double *g0, int n,
                      double *H)
{
    double *x = malloc(3 * (size_t)n * sizeof *x);
    if (!x) return -1;
    double *gp = x + n, *gm = gp + n;
    memcpy(x, x0, (size_t)n * sizeof *x);
    int bad = 0;
    for (int j = 0; j < n && !bad; j++) {
        double d = (g0 ? 1e-6 : 1e-5) * fmax(fabs(x0[j]), 1e-2);
        x[j] = x0[j] + d;
        bad |= grad(ctx, x, gp);
        if (g0) {
            memcpy(gm, g0, (size_t)n * sizeof *gm);
        } else {
            x[j] = x0[j] - d;
            bad |= grad(ctx, x, gm);
        }
        x[j] = x0[j];
        for (int i = 0; i < n; i++) H[i * n + j] = (gp[i] - gm[i]) / ((g0 ? 1.0 : 2.0) * d);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) H[i * n + j] = H[j * n + i] = 0.5 * (H[i * n + j] + H[j * n + i]);
    free(x);
    return bad;
}

static int grad_u(void *p, const double *u, double *g)
{
    double f;
    return eval(p, u, &f, g);
}

/* d loglik / d theta (natural parameters). */
static int grad_theta(void *p, const double *th, double *g)
{
    fit_ctx *c = p;
    double ll;
    return tsf_garch_lik(c->L, th, c->r, c->n, c->w, &ll, g, NULL, NULL) != TSF_OK;
}

/* Newton steps in u with backtracking: BFGS, stopped early, is a little
 * short of the optimum, and the certified values need the last digits; a
 * few Newton steps (forward-difference Hessian of the analytic gradient)
 * converge quadratically from there. */
static int polish(fit_ctx *c, double *u, double *f)
{
    int n = c->L->npar;
    double *H = malloc(((size_t)n * n + 4 * (size_t)n) * sizeof *H);
    if (!H) return 0;
    double *g = H + n * n, *step = g + n, *ut = step + n, *gt = ut + n;
    gsl_matrix_view Hm = gsl_matrix_view_array(H, (size_t)n, (size_t)n);
    gsl_vector_view gv = gsl_vector_view_array(g, (size_t)n);
    gsl_vector_view sv = gsl_vector_view_array(step, (size_t)n);
    /* The Hessian is computed at the first point and reused (a chord
     * method: each further step costs one gradient), and again only where
     * a step fails to descend.  The line search evaluates the gradient
     * with the value, so an accepted point needs no second pass. */
    int done = 0, have = 0;
    double f0;
    if (eval(c, u, &f0, g)) {
        free(H);
        return 0;
    }
    for (int it = 0; it < 30; it++) {
        int fresh = !have;
        if (fresh && (fd_hessian(grad_u, c, u, g, n, H) || gsl_linalg_cholesky_decomp1(&Hm.matrix)))
            break;
        have = 1;
        if (gsl_linalg_cholesky_solve(&Hm.matrix, &gv.vector, &sv.vector)) break;
        /* Newton decrement: the step's predicted gain, here in log-likelihood
         * units; below 1e-10 there is nothing left to gain */
        double dec = 0.0;
        for (int k = 0; k < n; k++) dec += g[k] * step[k];
        dec *= 0.5 * (double)c->n;
        if (dec < 1e-10) {
            done = 1;
            break;
        }
        double lam = 1.0, ft = f0;
        for (; lam > 1e-3; lam *= 0.5) {
            for (int k = 0; k < n; k++) ut[k] = u[k] - lam * step[k];
            if (!eval(c, ut, &ft, gt) && ft <= f0) break;
        }
        if (lam <= 1e-3) {
            if (fresh) { /* no descent along a fresh Newton step: rounding */
                done = dec < 1e-6;
                break;
            }
            have = 0;
            continue;
        }
        memcpy(u, ut, (size_t)n * sizeof *u);
        memcpy(g, gt, (size_t)n * sizeof *g);
        double gain = f0 - ft;
        *f = f0 = ft;
        /* after a step that gained less than 1e-8 the next gains about nothing */
        if (gain * (double)c->n < 1e-8) {
            done = 1;
            break;
        }
    }
    free(H);
    return done;
}

/* At the optimum u: one pass gives the log-likelihood, the pre-sample
 * variance, the gradient (the convergence check, in u as the optimiser
 * saw it) and the per-observation scores; then the standard errors:
 * inverse of minus the Hessian of the log-likelihood in theta, and the
 * sandwich A^-1 B A^-1 with B the outer product of the scores; NaN when
 * -H is not positive definite. */
static tsf_status finish(fit_ctx *c, tsf_garch *g, const double *u)
{
    size_t n = (size_t)c->L->npar;
    for (size_t k = 0; k < n; k++) g->se[k] = g->rse[k] = NAN;
    double *A = malloc((3 * n * n + c->n * n + 2 * n) * sizeof *A);
    if (!A) return tsf_set_error(TSF_ENOMEM, "out of memory for a GARCH fit");
    double *B = A + n * n, *T = B + n * n, *S = T + n * n, *g0 = S + c->n * n, *gu = g0 + n;
    double ll;
    to_theta(c->L, u, g->coef);
    if (tsf_garch_lik(c->L, g->coef, c->r, c->n, c->w, &ll, g0, S, &g->h0)) {
        free(A);
        return tsf_set_error(TSF_ENOCONV, "garch: the optimiser found no finite likelihood");
    }
    g->loglik = ll;
    memcpy(gu, g0, n * sizeof *gu);
    chain(c->L, u, g->coef, gu);
    double gmax = 0.0;
    for (size_t k = 0; k < n; k++) gmax = fmax(gmax, fabs(gu[k]) / (double)c->n);
    g->converged = gmax < 1e-5;
    if (fd_hessian(grad_theta, c, g->coef, g0, (int)n, A)) {
        free(A);
        return TSF_OK;
    }
    for (size_t k = 0; k < n * n; k++) A[k] = -A[k];
    gsl_matrix_view Am = gsl_matrix_view_array(A, n, n);
    if (gsl_linalg_cholesky_decomp1(&Am.matrix) || gsl_linalg_cholesky_invert(&Am.matrix)) {
        free(A);
        return TSF_OK;
    }
    /* B = S'S (the scores' outer product), T = A^-1 B; the sandwich's
     * diagonal (A^-1 B A^-1)_kk = sum_j T_kj A^-1_jk */
    gsl_matrix_view Sm = gsl_matrix_view_array(S, c->n, n), Bm = gsl_matrix_view_array(B, n, n),
                    Tm = gsl_matrix_view_array(T, n, n);
    gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Sm.matrix, 0.0, &Bm.matrix);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) B[i * n + j] = B[j * n + i];
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &Am.matrix, &Bm.matrix, 0.0, &Tm.matrix);
    for (size_t k = 0; k < n; k++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++) s += T[k * n + j] * A[j * n + k];
        g->se[k] = A[k * n + k] > 0.0 ? sqrt(A[k * n + k]) : NAN;
        g->rse[k] = s > 0.0 ? sqrt(s) : NAN;
    }
    free(A);
    return TSF_OK;
}

tsf_status tsf_garch_estimate(tsf_garch *g, const double *r, size_t n)
{
    const tsf_garch_layout *L = &g->L;
    size_t np = (size_t)L->npar;
    fit_ctx c = {L, r, n, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    double *u = malloc(5 * np * sizeof *u);
    tsf_status st = u ? tsf_garch_ws_new(L, n, &c.w)
                      : tsf_set_error(TSF_ENOMEM, "out of memory for a GARCH fit");
    if (st) {
        free(u);
        return st;
    }
    c.theta = u + np;
    c.g = c.theta + np;
    c.ub = c.g + np;
    c.gb = c.ub + np;
    start_values(L, r, n, g->coef);
    to_u(L, g->coef, u);
    double f;
    if (eval(&c, u, &f, NULL)) {
        st = tsf_set_error(TSF_ENOCONV, "garch: the likelihood cannot be evaluated at the "
                           "starting values; check the returns for extreme values");
        goto done;
    }
    /* BFGS to a loose tolerance (gradient 1e-2 in the preconditioned
     * coordinates, where Newton's quadratic convergence takes over), then
     * Newton; where Newton cannot finish (the Hessian is not positive
     * definite there), BFGS again, tightly */
    int conv = bfgs(&c, u, &f, 1e-2);
    to_theta(L, u, c.theta);
    /* heading for persistence 1 (prices given as returns, an integrated
     * variance): the fit fails there anyway, without a long polish */
    int boundary = tsf_garch_persistence(L, c.theta) > 1.0 - 1e-6;
    if (conv >= 0 && !boundary && !polish(&c, u, &f) && (conv = bfgs(&c, u, &f, 1e-8)) >= 0)
        polish(&c, u, &f);
    if (conv < 0) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory for the optimiser");
        goto done;
    }
    st = finish(&c, g, u);
done:
    tsf_garch_ws_free(c.w);
    free(u);
    return st;
}
