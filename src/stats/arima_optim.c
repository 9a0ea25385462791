/* The objective of the ARIMA fit and its optimiser: preconditioned BFGS
 * (GSL's vector_bfgs2) on forward-difference gradients, numerical
 * Hessians, standard errors.  See arima_fit.h for the parameterisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_multimin.h>
#include <lapacke.h>
#include "stats/arima_fit.h"

/* parameters -> ARMA coefficients (transformed AR blocks) */
void tsf_arima_par_arma(const fctx *c, const double *par, double *arma)
{
    const tsf_arima_order *o = &c->a->ord;
    memcpy(arma, par, c->a->narma * sizeof *arma);
    if (!c->transform) return;
    if (o->p) tsf_arima_partrans(par, (size_t)o->p, arma, c->tw);
    if (o->P) tsf_arima_partrans(par + o->p + o->q, (size_t)o->P, arma + o->p + o->q, c->tw);
}

/* par -> beta (into c->beta) */
void tsf_arima_par_beta(const fctx *c, const double *u)
{
    for (size_t i = 0; i < c->k; i++) {
        double s = c->beta0[i];
        for (size_t j = 0; j <= i; j++) s += c->L[j * c->k + i] * u[j];
        c->beta[i] = s;
    }
}

/* Objective at par; 0 when it cannot be evaluated (non-stationary AR
 * outside the transform, degenerate residuals). */
int tsf_arima_eval(fctx *c, const double *par, double *val)
{
    tsf_arima *a = c->a;
    tsf_arima_par_arma(c, par, c->arma);
    tsf_arima_expand(&a->ord, c->arma, c->phi, c->theta);
    const double *x = c->y;
    int same = c->k == 0 && c->xvalid;
    if (c->k) {
        tsf_arima_par_beta(c, par + a->narma);
        same = c->xvalid && memcmp(c->beta, c->beta_last, c->k * sizeof *c->beta) == 0;
    }
    c->xvalid = 1;
    if (c->k && same) {
        x = c->x;
    } else if (c->k) {
        memcpy(c->beta_last, c->beta, c->k * sizeof *c->beta);
        c->wvalid = 0;
        for (size_t t = 0; t < c->n; t++) c->x[t] = c->y[t];
        for (size_t j = 0; j < c->k; j++) {
            double b = c->beta[j];
            const double *col = c->X + j * c->n;
            for (size_t t = 0; t < c->n; t++) c->x[t] -= b * col[t];
        }
        x = c->x;
    }
    if (c->ml) {
        tsf_arima_ss m = {a->pf, a->qf, a->nd, c->phi, c->theta, a->delta, 1.0};
        if (tsf_arima_kf_set(c->kf, &m)) return 0;
        tsf_arima_kf_run_same(c->kf, x, c->n, 0, &c->sums, same);
        if (c->sums.nu == 0 || !(c->sums.ssq > 0.0) || !isfinite(c->sums.ssq + c->sums.sumlog))
            return 0;
        double nu = (double)c->sums.nu;
        *val = 0.5 * log(c->sums.ssq / nu) + 0.5 * c->sums.sumlog / nu;
    } else {
        tsf_arima_css_w(x, c->n, a->delta, a->nd, c->phi, a->pf, c->theta, a->qf, c->ncond,
                        c->w, same && c->wvalid, c->e, &c->css_ssq, &c->css_nu);
        c->wvalid = 1;
        if (c->css_nu == 0 || !(c->css_ssq > 0.0) || !isfinite(c->css_ssq)) return 0;
        *val = 0.5 * log(c->css_ssq / (double)c->css_nu);
    }
    return isfinite(*val);
}

int tsf_arima_css_objgrad(fctx *c, double *g)
{
    tsf_arima *a = c->a;
    double gs[TSF_ARIMA_MAXPAR];
    if (c->ml || c->transform || !(c->css_ssq > 0.0)) return 0;
    if (!tsf_arima_css_grad(&a->ord, c->arma, c->phi, a->pf, c->theta, a->qf, c->w, c->e, c->n,
                            c->ncond, c->X, c->k, a->delta, a->nd, c->gw, gs))
        return 0;
    /* d 0.5 log(S / nu) = 0.5 dS / S; beta = beta0 + L u */
    double sc = 0.5 / c->css_ssq;
    for (size_t i = 0; i < a->narma; i++) g[i] = sc * gs[i];
    for (size_t j = 0; j < c->k; j++) {
        double v = 0.0;
        for (size_t i = j; i < c->k; i++) v += gs[a->narma + i] * c->L[j * c->k + i];
        g[a->narma + j] = sc * v;
    }
    return 1;
}

/* Consecutive iterations without progress that end a BFGS run. */
#define STALL_ITERS 3

/* A value far above any attainable objective, for failed evaluations. */
#define PENALTY 1e10

/* Hessian of the objective at par by second differences with steps h,
 * O(h^2) accurate from np^2 + np + 1 evaluations:
 *   H_ii = (f(x+h_i) - 2 f(x) + f(x-h_i)) / h_i^2,
 *   H_ij = (f(x+h_i+h_j) + f(x-h_i-h_j) - f(x+h_i) - f(x-h_i) - f(x+h_j)
 *           - f(x-h_j) + 2 f(x)) / (2 h_i h_j). */
static int num_hessian(fctx *c, const double *par, size_t np, const double *h, double *H)
{
    double f0, *x = c->tw + 2 * (c->a->ncoef + 8);
    double fp[TSF_ARIMA_MAXPAR], fm[TSF_ARIMA_MAXPAR];
    if (!tsf_arima_eval(c, par, &f0)) return 0;
    memcpy(x, par, np * sizeof *x);
    for (size_t i = 0; i < np; i++) {
        x[i] = par[i] + h[i];
        int ok = tsf_arima_eval(c, x, &fp[i]);
        x[i] = par[i] - h[i];
        ok = ok && tsf_arima_eval(c, x, &fm[i]);
        x[i] = par[i];
        if (!ok) return 0;
        H[i * np + i] = (fp[i] - 2.0 * f0 + fm[i]) / (h[i] * h[i]);
    }
    for (size_t i = 0; i < np; i++) {
        for (size_t j = i + 1; j < np; j++) {
            double a, b;
            x[i] = par[i] + h[i];
            x[j] = par[j] + h[j];
            int ok = tsf_arima_eval(c, x, &a);
            x[i] = par[i] - h[i];
            x[j] = par[j] - h[j];
            ok = ok && tsf_arima_eval(c, x, &b);
            x[i] = par[i];
            x[j] = par[j];
            if (!ok) return 0;
            H[i * np + j] = H[j * np + i] =
                (a + b - fp[i] - fm[i] - fp[j] - fm[j] + 2.0 * f0) / (2.0 * h[i] * h[j]);
        }
    }
    return 1;
}

/* The optimiser works on z with par = p0 + Ct z, Ct = C^{-T} for the
 * Cholesky factor C of the Hessian at the start: the objective is then
 * close to f* + |z|^2 / 2, BFGS starts with the right curvature and
 * |grad_z|^2 / 2 estimates the distance to the optimum in objective units. */
typedef struct {
    fctx *c;
    size_t np;
    double *p0, *Ct, *par;
    /* the last point evaluated (the objective's state, w and e for the
     * CSS gradient, belongs to it) and its result: GSL's line search asks
     * for the value and then the gradient at the same point */
    double zlast[TSF_ARIMA_MAXPAR], flast;
    int have_last, oklast;
} zctx;

static int zeval_raw(zctx *z, const double *zv, double *val)
{
    for (size_t i = 0; i < z->np; i++) {
        double s = z->p0[i];
        for (size_t j = 0; j < z->np; j++) s += z->Ct[i * z->np + j] * zv[j];
        z->par[i] = s;
    }
    return tsf_arima_eval(z->c, z->par, val);
}

static int zeval(zctx *z, const double *zv, double *val)
{
    if (z->have_last && memcmp(zv, z->zlast, z->np * sizeof *zv) == 0) {
        *val = z->flast;
        return z->oklast;
    }
    int ok = zeval_raw(z, zv, val);
    memcpy(z->zlast, zv, z->np * sizeof *zv);
    z->flast = ok ? *val : PENALTY;
    z->oklast = ok;
    z->have_last = 1;
    return ok;
}

static double gf(const gsl_vector *v, void *p)
{
    double val;
    return zeval(p, v->data, &val) ? val : PENALTY;
}

static void gdf_at(zctx *z, const double *x0, double f0, double *g)
{
    /* Forward differences from the value BFGS already has: np evaluations
     * per gradient instead of 2 np.  z is unit-curvature, so one step h
     * suits all coordinates: truncation h/2 = 5e-7, rounding and
     * steady-state-switch noise ~1e-13 / h = 1e-7, both far below the
     * gradient tolerance sqrt(2 tol / nobs) (1e-5 even at n = 20000).
     * Where f0 is not finite, or the forward point fails, central or
     * backward differences stand in. */
    double x[TSF_ARIMA_MAXPAR], gp[TSF_ARIMA_MAXPAR];
    size_t np = z->np;
    int okf = f0 < PENALTY;
    /* CSS: the exact gradient by the adjoint recursion (css_grad.c) at
     * x0, which the callers evaluated last; g_z = Ct' g_par */
    if (okf && tsf_arima_css_objgrad(z->c, gp)) {
        for (size_t i = 0; i < np; i++) {
            double v = 0.0;
            for (size_t j = 0; j < np; j++) v += z->Ct[j * np + i] * gp[j];
            g[i] = v;
        }
        return;
    }
    memcpy(x, x0, np * sizeof *x);
    for (size_t i = 0; i < np; i++) {
        double h = 1e-6, fp, fm;
        x[i] = x0[i] + h;
        int okp = zeval(z, x, &fp);
        if (okp && okf) {
            x[i] = x0[i];
            g[i] = (fp - f0) / h;
            continue;
        }
        x[i] = x0[i] - h;
        int okm = zeval(z, x, &fm);
        x[i] = x0[i];
        if (okp && okm) g[i] = (fp - fm) / (2.0 * h);
        else if (okm && okf) g[i] = (f0 - fm) / h;
        else g[i] = 0.0;
    }
}

static void gdf(const gsl_vector *v, void *p, gsl_vector *g)
{
    double f0;
    if (!zeval(p, v->data, &f0)) f0 = PENALTY;
    gdf_at(p, v->data, f0, g->data);
}

static void gfdf(const gsl_vector *v, void *p, double *f, gsl_vector *g)
{
    if (!zeval(p, v->data, f)) *f = PENALTY;
    gdf_at(p, v->data, *f, g->data);
}

/* Ct = C^{-T} from the Hessian at p0 (identity when not positive
 * definite there). */
static void precondition(fctx *c, const double *p0, size_t np, const double *H0, double *Ct)
{
    double h[TSF_ARIMA_MAXPAR], *H = tsf_arima_mat(c, TSF_ARIMA_MAT_PRE_H);
    for (size_t i = 0; i < np; i++) h[i] = 1e-4 * fmax(1.0, fabs(p0[i]));
    memset(Ct, 0, np * np * sizeof *Ct);
    int ok = 1;
    if (H0) memcpy(H, H0, np * np * sizeof *H);
    else ok = num_hessian(c, p0, np, h, H);
    /* row-major lower Cholesky H = C C', then C^{-1} (lower) */
    if (ok && !LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)np, H, (lapack_int)np) &&
        !LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'L', 'N', (lapack_int)np, H, (lapack_int)np)) {
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < np; j++) Ct[i * np + j] = j >= i ? H[j * np + i] : 0.0;
        return;
    }
    for (size_t i = 0; i < np; i++) Ct[i * np + i] = 1.0;
}

/* Minimises the objective from par (par receives the minimiser): BFGS
 * (GSL's vector_bfgs2) on preconditioned coordinates, re-preconditioned at
 * the current point when a run stalls.  Converged when the estimated gain
 * still possible, nobs * |grad_z|^2 / 2, is below tol_ll log-likelihood
 * units. */
tsf_status tsf_arima_minimize(fctx *c, double *par, size_t np, double tol_ll, const double *H0,
                           double *Hout, int *hout_ok, int *converged)
{
    *converged = 1;
    *hout_ok = 0;
    if (np == 0) return TSF_OK;
    if (np > TSF_ARIMA_MAXPAR)
        return tsf_set_error(TSF_EINVAL, "too many parameters (%zu, at most %d)", np,
                             TSF_ARIMA_MAXPAR);
    double f0;
    if (!tsf_arima_eval(c, par, &f0))
        return tsf_set_error(TSF_EDEGENERATE, "the starting values of the ARIMA fit give no finite "
                             "likelihood; try method=ml or another order");
    double p0[TSF_ARIMA_MAXPAR], *Ct = tsf_arima_mat(c, TSF_ARIMA_MAT_CT), pw[TSF_ARIMA_MAXPAR];
    double *Hn = tsf_arima_mat(c, TSF_ARIMA_MAT_HN), *L = tsf_arima_mat(c, TSF_ARIMA_MAT_L);
    double g[TSF_ARIMA_MAXPAR], h[TSF_ARIMA_MAXPAR], xg[TSF_ARIMA_MAXPAR];
    zctx z = {c, np, p0, Ct, pw, {0}, 0.0, 0, 0};
    gsl_vector *x = gsl_vector_alloc(np);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(
        gsl_multimin_fdfminimizer_vector_bfgs2, np);
    if (!x || !s) {
        gsl_vector_free(x);
        gsl_multimin_fdfminimizer_free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory for the optimiser");
    }
    double nobs = (double)(c->a->nobs ? c->a->nobs : 1);
    double gtol = sqrt(2.0 * tol_ll / nobs);
    int done = 0, have_next = 0;
    /* The CSS stage of CSS-ML only supplies starting values (R runs its
     * optimiser once there): no restarts; ML and CSS estimates get up to
     * four runs. */
    int max_runs = (!c->ml && tol_ll >= 1e-3) ? 1 : 4;
    double fprev = f0;
    int capped = 0;
    for (int restart = 0; restart < max_runs && !done; restart++) {
        memcpy(p0, par, np * sizeof *par);
        precondition(c, p0, np, have_next ? Hn : (restart == 0 ? H0 : NULL), Ct);
        z.have_last = 0; /* new coordinates; the objective's state moved */
        gsl_vector_set_zero(x);
        gsl_multimin_function_fdf F = {gf, gdf, gfdf, np, &z};
        gsl_multimin_fdfminimizer_set(s, &F, x, 0.1, 0.1);
        int status = GSL_CONTINUE;
        size_t iter = 0;
        /* Also stops when STALL_ITERS iterations in a row gain less than
         * tol_ll / 1000 log-likelihood units each or less than R's optim
         * criterion (relative change of the objective below reltol = 1e-8,
         * where R stops after one such iteration): on the ridge of
         * nearly cancelling AR and MA roots the gradient test may never
         * pass while the objective no longer moves; the Hessian check
         * below then decides whether to go on. */
        double flast = gsl_multimin_fdfminimizer_minimum(s);
        int stalled = 0;
        while (status == GSL_CONTINUE && iter < 100) {
            iter++;
            if (gsl_multimin_fdfminimizer_iterate(s)) break;
            status = gsl_multimin_test_gradient(s->gradient, gtol);
            double fnow = gsl_multimin_fdfminimizer_minimum(s);
            double df = flast - fnow;
            stalled = (nobs * df < 1e-3 * tol_ll || df < 1e-8 * (fabs(fnow) + 1e-8))
                          ? stalled + 1 : 0;
            flast = fnow;
            if (stalled >= STALL_ITERS) break;
        }

        /* Two runs in a row at the iteration limit: the objective keeps
         * falling without converging (a CSS walking off into the
         * non-invertible region, a ridge); R stops after one such run,
         * tsf after this second one. */
        if (iter >= 100 && status == GSL_CONTINUE) {
            if (capped || !c->ml) max_runs = restart + 1;
            capped = 1;
        } else {
            capped = 0;
        }
        double fz;
        int moved = 0;
        if (zeval(&z, s->x->data, &fz)) {
            for (size_t i = 0; i < np; i++) moved |= z.par[i] != par[i];
            memcpy(par, z.par, np * sizeof *par);
            /* A restart that gains nothing: a flat ridge (nearly cancelling
             * AR and MA roots), where the Hessian test overstates what is
             * left.  The likelihood cannot be raised meaningfully. */
            if (restart > 0 && nobs * (fprev - fz) < tol_ll) {
                done = 1;
                break;
            }
            fprev = fz;
        }
        /* Verify with the Hessian at the end point: the preconditioner came
         * from elsewhere, so a small gradient in its coordinates can still
         * hide a long way to go.  Remaining gain: nobs g' H^-1 g / 2. */
        have_next = 0;
        for (size_t i = 0; i < np; i++) h[i] = 1e-4 * fmax(1.0, fabs(par[i]));
        if (!num_hessian(c, par, np, h, Hn)) break; /* evaluates at par too */
        have_next = 1;
        /* gradient in par from BFGS's in z: g_z = Ct' g, Ct' lower triangular */
        const double *gz = s->gradient->data;
        for (size_t i = 0; i < np; i++) {
            double v = gz[i];
            for (size_t j = 0; j < i; j++) v -= Ct[j * np + i] * g[j];
            g[i] = v / Ct[i * np + i];
        }
        memcpy(L, Hn, np * np * sizeof *L);
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)np, L, (lapack_int)np)) {
            have_next = 0; /* not a minimum yet: restart from a numerical/identity scaling */
            if (!moved && restart > 0) break;
            continue;
        }
        memcpy(xg, g, np * sizeof *xg);
        LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)np, 1, L, (lapack_int)np, xg, 1);
        double gain = 0.0;
        for (size_t i = 0; i < np; i++) gain += g[i] * xg[i];
        gain *= 0.5 * nobs;
        if (gain < fmax(tol_ll, 1e-4)) {
            done = 1;
            memcpy(Hout, Hn, np * np * sizeof *Hout);
            *hout_ok = 1;
        } else if (!moved && restart > 0) {
            break;
        }
    }
    *converged = done;
    gsl_vector_free(x);
    gsl_multimin_fdfminimizer_free(s);
    return TSF_OK;
}

/* Covariance inv(nobs H) of the untransformed coefficients from the
 * Hessian in transformed coordinates at the optimum (where the gradient
 * vanishes): H = G^-T H_raw G^-1 with G = d untransformed / d raw, so
 * inv(nobs H) = G inv(nobs H_raw) G'. */
int tsf_arima_raw_jacobian(fctx *c, const double *raw, size_t np, double *G, double *T)
{
    const tsf_arima_order *o = &c->a->ord;
    memset(G, 0, np * np * sizeof *G);
    for (size_t i = 0; i < np; i++) G[i * np + i] = 1.0;
    size_t blocks[2][2] = {{0, (size_t)o->p}, {(size_t)(o->p + o->q), (size_t)o->P}};
    for (int b = 0; b < 2; b++) {
        size_t off = blocks[b][0], len = blocks[b][1];
        if (!len) continue;
        if (tsf_arima_partrans_jac(raw + off, len, T)) return 0;
        for (size_t i = 0; i < len; i++)
            for (size_t j = 0; j < len; j++) G[(off + i) * np + off + j] = T[i * len + j];
    }
    return 1;
}

int tsf_arima_cov_from_raw(fctx *c, const double *raw, const double *Hraw, size_t np, double *cov)
{
    double *G = tsf_arima_mat(c, TSF_ARIMA_MAT_JAC_G), *T = tsf_arima_mat(c, TSF_ARIMA_MAT_JAC_T);
    double *Hi = tsf_arima_mat(c, TSF_ARIMA_MAT_COV_HI);
    if (!tsf_arima_raw_jacobian(c, raw, np, G, T)) return 0;
    for (size_t i = 0; i < np * np; i++) Hi[i] = Hraw[i] * (double)c->a->nobs;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, Hi, (lapack_int)np)) return 0;
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, Hi, (lapack_int)np)) return 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < i; j++) Hi[i * np + j] = Hi[j * np + i];
    /* T = G Hi, cov = T G' */
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < np; j++) {
            double v = 0.0;
            for (size_t l = 0; l < np; l++) v += G[i * np + l] * Hi[l * np + j];
            T[i * np + j] = v;
        }
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = 0.0;
            for (size_t l = 0; l < np; l++) v += T[i * np + l] * G[j * np + l];
            cov[i * np + j] = cov[j * np + i] = v;
        }
    return 1;
}

/* Hessian of the (untransformed) objective, then the covariance
 * inv(nobs H) (as R's arima: solve(hessian * n.used)). */
void tsf_arima_std_errors(fctx *c, const double *par, size_t np, double *cov, int *ok)
{
    *ok = 0;
    double h[TSF_ARIMA_MAXPAR];
    if (np == 0 || np > TSF_ARIMA_MAXPAR) return;
    for (size_t i = 0; i < np; i++) h[i] = 1e-4 * fmax(0.1, fabs(par[i]));
    if (!num_hessian(c, par, np, h, cov)) return;
    for (size_t i = 0; i < np * np; i++) cov[i] *= (double)c->a->nobs;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, cov, (lapack_int)np)) return;
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, cov, (lapack_int)np)) return;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < i; j++) cov[i * np + j] = cov[j * np + i];
    *ok = 1;
}

