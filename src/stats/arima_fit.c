/* Fitting an ARIMA with regression effects: CSS, CSS-ML and ML.
 *
 * Parameters seen by the optimiser: the ARMA coefficients (the AR blocks
 * through the Jones/Monahan transform during ML, so every trial point is
 * stationary) and whitened regression coefficients u with
 * beta = beta_ols + L u, L = 10 x the Cholesky factor of the OLS covariance
 * (as R scales its regression parameters by 10 standard errors), which
 * removes the near-collinearity of intercept and trend.  The objective is
 * R's: sigma2 concentrated out, per observation,
 *   ML:  0.5 log(ssq/nu) + 0.5 sumlog/nu,   CSS: 0.5 log(ssq/nu). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_multimin.h>
#include <lapacke.h>
#include "stats/arima_impl.h"

typedef struct {
    tsf_arima *a;
    const double *y;
    size_t n;
    const double *X;      /* n x k column-major */
    size_t k;
    double *beta0, *L;    /* k, k x k column-major (lower) */
    int ml, transform;
    size_t ncond;
    tsf_arima_kf *kf;
    double *x, *w, *e, *arma, *beta, *phi, *theta, *tw;
    tsf_arima_sums sums;
    double css_ssq;
    size_t css_nu;
} fctx;

/* parameters -> ARMA coefficients (transformed AR blocks) */
static void par_arma(const fctx *c, const double *par, double *arma)
{
    const tsf_arima_order *o = &c->a->ord;
    memcpy(arma, par, c->a->narma * sizeof *arma);
    if (!c->transform) return;
    if (o->p) tsf_arima_partrans(par, (size_t)o->p, arma, c->tw);
    if (o->P) tsf_arima_partrans(par + o->p + o->q, (size_t)o->P, arma + o->p + o->q, c->tw);
}

/* par -> beta (into c->beta) */
static void par_beta(const fctx *c, const double *u)
{
    for (size_t i = 0; i < c->k; i++) {
        double s = c->beta0[i];
        for (size_t j = 0; j <= i; j++) s += c->L[j * c->k + i] * u[j];
        c->beta[i] = s;
    }
}

/* Objective at par; 0 when it cannot be evaluated (non-stationary AR
 * outside the transform, degenerate residuals). */
static int eval(fctx *c, const double *par, double *val)
{
    tsf_arima *a = c->a;
    par_arma(c, par, c->arma);
    tsf_arima_expand(&a->ord, c->arma, c->phi, c->theta);
    const double *x = c->y;
    if (c->k) {
        par_beta(c, par + a->narma);
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
        tsf_arima_kf_run(c->kf, x, c->n, 0, &c->sums);
        if (c->sums.nu == 0 || !(c->sums.ssq > 0.0) || !isfinite(c->sums.ssq + c->sums.sumlog))
            return 0;
        double nu = (double)c->sums.nu;
        *val = 0.5 * log(c->sums.ssq / nu) + 0.5 * c->sums.sumlog / nu;
    } else {
        tsf_arima_css(x, c->n, a->delta, a->nd, c->phi, a->pf, c->theta, a->qf, c->ncond, c->w,
                      c->e, &c->css_ssq, &c->css_nu);
        if (c->css_nu == 0 || !(c->css_ssq > 0.0) || !isfinite(c->css_ssq)) return 0;
        *val = 0.5 * log(c->css_ssq / (double)c->css_nu);
    }
    return isfinite(*val);
}

/* A value far above any attainable objective, for failed evaluations. */
#define PENALTY 1e10

/* Hessian of the objective at par by central second differences with
 * steps h (2 evaluations per diagonal and 4 per off-diagonal entry). */
static int num_hessian(fctx *c, const double *par, size_t np, const double *h, double *H)
{
    double f0, *x = c->tw + 2 * (c->a->ncoef + 8);
    if (!eval(c, par, &f0)) return 0;
    for (size_t i = 0; i < np; i++) {
        for (size_t j = i; j < np; j++) {
            static const int sg[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
            double f[4];
            for (int r = 0; r < 4; r++) {
                if (i == j && (r == 1 || r == 2)) {
                    f[r] = f0;
                    continue;
                }
                memcpy(x, par, np * sizeof *x);
                x[i] += sg[r][0] * h[i];
                x[j] += sg[r][1] * h[j];
                if (!eval(c, x, &f[r])) return 0;
            }
            double v = (f[0] - f[1] - f[2] + f[3]) / (4.0 * h[i] * h[j]);
            H[i * np + j] = H[j * np + i] = v;
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
} zctx;

static int zeval(zctx *z, const double *zv, double *val)
{
    for (size_t i = 0; i < z->np; i++) {
        double s = z->p0[i];
        for (size_t j = 0; j < z->np; j++) s += z->Ct[i * z->np + j] * zv[j];
        z->par[i] = s;
    }
    return eval(z->c, z->par, val);
}

static double gf(const gsl_vector *v, void *p)
{
    double val;
    return zeval(p, v->data, &val) ? val : PENALTY;
}

static void gdf_at(zctx *z, const double *x0, double f0, double *g)
{
    /* Central differences; z is unit-curvature so one step 1e-5 suits all
     * coordinates: truncation ~1e-10, rounding and steady-state-switch
     * noise ~1e-13 / 1e-5. */
    double x[TSF_ARIMA_MAXPAR];
    size_t np = z->np;
    memcpy(x, x0, np * sizeof *x);
    for (size_t i = 0; i < np; i++) {
        double h = 1e-5, fp, fm;
        x[i] = x0[i] + h;
        int okp = zeval(z, x, &fp);
        x[i] = x0[i] - h;
        int okm = zeval(z, x, &fm);
        x[i] = x0[i];
        if (okp && okm) g[i] = (fp - fm) / (2.0 * h);
        else if (okp) g[i] = (fp - f0) / h;
        else if (okm) g[i] = (f0 - fm) / h;
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
static void precondition(fctx *c, const double *p0, size_t np, double *Ct)
{
    double h[TSF_ARIMA_MAXPAR], H[TSF_ARIMA_MAXPAR * TSF_ARIMA_MAXPAR];
    for (size_t i = 0; i < np; i++) h[i] = 1e-4 * fmax(1.0, fabs(p0[i]));
    memset(Ct, 0, np * np * sizeof *Ct);
    int ok = num_hessian(c, p0, np, h, H);
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
static tsf_status minimize(fctx *c, double *par, size_t np, double tol_ll, int *converged)
{
    *converged = 1;
    if (np == 0) return TSF_OK;
    if (np > TSF_ARIMA_MAXPAR)
        return tsf_set_error(TSF_EINVAL, "too many parameters (%zu, at most %d)", np,
                             TSF_ARIMA_MAXPAR);
    double f0;
    if (!eval(c, par, &f0))
        return tsf_set_error(TSF_EDOMAIN, "the starting values of the ARIMA fit give no finite "
                             "likelihood; try method=ml or another order");
    double p0[TSF_ARIMA_MAXPAR], Ct[TSF_ARIMA_MAXPAR * TSF_ARIMA_MAXPAR], pw[TSF_ARIMA_MAXPAR];
    zctx z = {c, np, p0, Ct, pw};
    gsl_vector *x = gsl_vector_alloc(np);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(
        gsl_multimin_fdfminimizer_vector_bfgs2, np);
    if (!x || !s) {
        gsl_vector_free(x);
        gsl_multimin_fdfminimizer_free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory for the optimiser");
    }
    double gtol = sqrt(2.0 * tol_ll / (double)(c->a->nobs ? c->a->nobs : 1));
    int done = 0;
    size_t total = 0;
    for (int restart = 0; restart < 4 && !done; restart++) {
        memcpy(p0, par, np * sizeof *par);
        precondition(c, p0, np, Ct);
        gsl_vector_set_zero(x);
        gsl_multimin_function_fdf F = {gf, gdf, gfdf, np, &z};
        gsl_multimin_fdfminimizer_set(s, &F, x, 0.1, 0.1);
        int status = GSL_CONTINUE;
        size_t iter = 0;
        while (status == GSL_CONTINUE && iter < 200) {
            iter++;
            if (gsl_multimin_fdfminimizer_iterate(s)) break;
            status = gsl_multimin_test_gradient(s->gradient, gtol);
        }
        total += iter;
        done = status == GSL_SUCCESS || gsl_blas_dnrm2(s->gradient) < gtol;
        double fz;
        if (zeval(&z, s->x->data, &fz)) memcpy(par, z.par, np * sizeof *par);
        if (iter <= 1 && !done) break; /* no progress even after preconditioning */
    }
    (void)total;
    *converged = done;
    gsl_vector_free(x);
    gsl_multimin_fdfminimizer_free(s);
    return TSF_OK;
}

/* Hessian of the (untransformed) objective, then the covariance
 * inv(nobs H) (as R's arima: solve(hessian * n.used)). */
static void std_errors(fctx *c, const double *par, size_t np, double *cov, int *ok)
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

/* OLS of y on X (rows with everything observed), after differencing both
 * when that leaves a full-rank problem (R's arima does the same for its
 * starting values).  beta0 and L (= 10 sqrt(s2) R^{-1}, so beta0 + L u
 * puts one OLS standard error at u = 0.1). */
static tsf_status ols_start(const tsf_arima *a, const double *y, size_t n, const double *X,
                            size_t k, double *beta0, double *L)
{
    tsf_status st = TSF_OK;
    double *A = malloc(n * k * sizeof *A), *b = malloc(n * sizeof *b), *tau = malloc(k * sizeof *tau);
    if (!A || !b || !tau) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory for the regression start");
        goto done;
    }
    for (int diff = a->nd > 0; diff >= 0; diff--) {
        size_t m = 0, off = diff ? a->nd : 0;
        for (size_t t = off; t < n; t++) {
            double v = y[t];
            for (size_t i = 0; diff && i < a->nd; i++) v -= a->delta[i] * y[t - 1 - i];
            int okrow = !isnan(v);
            for (size_t j = 0; j < k && okrow; j++) {
                double xv = X[j * n + t];
                for (size_t i = 0; diff && i < a->nd; i++) xv -= a->delta[i] * X[j * n + t - 1 - i];
                if (isnan(xv)) okrow = 0;
                A[j * n + m] = xv;
            }
            if (!okrow) continue;
            b[m++] = v;
        }
        if (m <= k) continue;
        if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, A, (lapack_int)n, tau))
            continue;
        double rmax = 0.0;
        for (size_t j = 0; j < k; j++) rmax = fmax(rmax, fabs(A[j * n + j]));
        int full = rmax > 0.0;
        for (size_t j = 0; j < k; j++)
            if (!(fabs(A[j * n + j]) > 1e-9 * rmax)) full = 0;
        if (!full) continue;
        if (LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'T', (lapack_int)m, 1, (lapack_int)k, A,
                           (lapack_int)n, tau, b, (lapack_int)n))
            continue;
        double rss = 0.0;
        for (size_t t = k; t < m; t++) rss += b[t] * b[t];
        double s = sqrt(rss / (double)(m - k));
        if (!(s > 0.0)) s = 1e-3 * (fabs(b[0]) + 1.0);
        /* R^{-1}: upper triangular inverse in place */
        if (LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'U', 'N', 'N', (lapack_int)k, 1, A, (lapack_int)n,
                           b, (lapack_int)n))
            continue;
        memcpy(beta0, b, k * sizeof *b);
        if (LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', (lapack_int)k, A, (lapack_int)n)) continue;
        /* L must be lower triangular for par_beta: use (R^{-1})' ordering
         * reversed -- simpler: store the full R^{-1} and let L = R^{-1}
         * with columns j >= i, transposed into a lower factor of the
         * same covariance via a Cholesky of R^{-1} R^{-T}. */
        double *C = calloc(k * k, sizeof *C);
        if (!C) {
            st = tsf_set_error(TSF_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double v = 0.0;
                for (size_t l = (i > j ? i : j); l < k; l++) v += A[l * n + i] * A[l * n + j];
                C[j * k + i] = v * s * s * 100.0;
            }
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)k, C, (lapack_int)k)) {
            free(C);
            continue;
        }
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < k; i++) L[j * k + i] = i >= j ? C[j * k + i] : 0.0;
        free(C);
        goto done;
    }
    st = tsf_set_error(TSF_EDOMAIN, "the regressors are collinear or there are too few "
                       "observations to estimate them");
done:
    free(A);
    free(b);
    free(tau);
    return st;
}

static void fctx_free(fctx *c)
{
    free(c->beta0);
    free(c->L);
    free(c->x);
    free(c->w);
    free(c->e);
    free(c->arma);
    free(c->beta);
    free(c->phi);
    free(c->theta);
    free(c->tw);
    tsf_arima_kf_free(c->kf);
}

static tsf_status fctx_init(fctx *c, tsf_arima *a, const double *y, size_t n, const double *X)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->y = y;
    c->n = n;
    c->X = X;
    c->k = a->nreg;
    size_t k = c->k ? c->k : 1, np = a->ncoef + 1;
    c->beta0 = calloc(k, sizeof(double));
    c->L = calloc(k * k, sizeof(double));
    c->x = calloc(n ? n : 1, sizeof(double));
    c->w = calloc(n ? n : 1, sizeof(double));
    c->e = calloc(n ? n : 1, sizeof(double));
    c->arma = calloc(np, sizeof(double));
    c->beta = calloc(k, sizeof(double));
    c->phi = calloc(a->pf + 1, sizeof(double));
    c->theta = calloc(a->qf + 1, sizeof(double));
    c->tw = calloc(3 * np + 16, sizeof(double));
    if (!c->beta0 || !c->L || !c->x || !c->w || !c->e || !c->arma || !c->beta || !c->phi ||
        !c->theta || !c->tw)
        return tsf_set_error(TSF_ENOMEM, "out of memory fitting the ARIMA");
    return tsf_arima_kf_new(a->pf, a->qf, a->nd, &c->kf);
}

/* Untransformed ARMA part + u -> transformed start for ML; an AR block
 * that is not stationary (possible after CSS) restarts at zero. */
static void to_raw(fctx *c, double *par)
{
    const tsf_arima_order *o = &c->a->ord;
    double *work = c->tw;
    size_t blocks[2][2] = {{0, (size_t)o->p}, {(size_t)(o->p + o->q), (size_t)o->P}};
    for (int b = 0; b < 2; b++) {
        size_t off = blocks[b][0], len = blocks[b][1];
        if (!len) continue;
        double *raw = work + 2 * len;
        if (tsf_arima_partrans_inv(par + off, len, raw, work)) {
            tsf_clear_error();
            memset(par + off, 0, len * sizeof *par);
        } else {
            memcpy(par + off, raw, len * sizeof *par);
        }
    }
}

static void invert_ma(tsf_arima *a, double *par)
{
    const tsf_arima_order *o = &a->ord;
    if (o->q) tsf_arima_ma_invert(par + o->p, (size_t)o->q);
    if (o->Q) tsf_arima_ma_invert(par + o->p + o->q + o->P, (size_t)o->Q);
}

tsf_status tsf_arima_fit_run(tsf_arima *a, const double *y, size_t n, const double *X)
{
    fctx c;
    tsf_status st = fctx_init(&c, a, y, n, X);
    size_t np = a->ncoef;
    double *par = NULL, *cov = NULL;
    if (st) goto done;
    par = calloc(np + 1, sizeof *par);
    cov = calloc(np * np + 1, sizeof *cov);
    if (!par || !cov) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory fitting the ARIMA");
        goto done;
    }
    if (c.k && (st = ols_start(a, y, n, X, c.k, c.beta0, c.L))) goto done;
    /* constant series: nothing left to model once differenced and the
     * regression removed */
    {
        double scale = 0.0, dev = 0.0;
        int ok = 0;
        for (size_t t = 0; t < n; t++)
            if (!isnan(y[t])) scale = fmax(scale, fabs(y[t]));
        c.ml = 0;
        c.ncond = a->nd;
        memset(par, 0, (np + 1) * sizeof *par);
        double v;
        if (eval(&c, par, &v) || c.css_nu > 0) {
            ok = 1;
            dev = sqrt(c.css_ssq / (double)(c.css_nu ? c.css_nu : 1));
        }
        if (!ok || !(dev > 1e-10 * fmax(scale, 1e-300)))
            {
                st = tsf_set_error(TSF_EDOMAIN, "the series is constant%s: there is no variation "
                                   "for an ARIMA to model", a->nd ? " after differencing" : "");
                goto done;
            }
    }
    int conv = 1;
    c.ncond = a->nd + a->pf;
    if (a->method == TSF_METHOD_CSS || a->method == TSF_METHOD_CSS_ML) {
        c.ml = 0;
        c.transform = 0;
        if ((st = minimize(&c, par, np, a->method == TSF_METHOD_CSS ? 1e-6 : 1e-2, &conv)))
            goto done;
        invert_ma(a, par);
    }
    if (a->method == TSF_METHOD_CSS) {
        double v;
        if (!eval(&c, par, &v)) {
            st = tsf_set_error(TSF_ENOCONV, "the CSS fit ended at a point without a finite "
                               "sum of squares; try method=ml");
            goto done;
        }
        a->sigma2 = c.css_ssq / (double)c.css_nu;
        /* R's CSS log-likelihood: -0.5 n.used (log(2 pi sigma2) + 1) */
        a->loglik = -0.5 * (double)a->nobs * (log(2.0 * M_PI * a->sigma2) + 1.0);
    } else {
        c.ml = 1;
        c.transform = 1;
        to_raw(&c, par);
        if ((st = minimize(&c, par, np, 1e-6, &conv))) goto done;
        par_arma(&c, par, c.arma);
        memcpy(par, c.arma, a->narma * sizeof *par);
        c.transform = 0;
        invert_ma(a, par);
        double v;
        if (!eval(&c, par, &v)) {
            st = tsf_set_error(TSF_ENOCONV, "the ML fit ended at a point without a finite "
                               "likelihood; try another order");
            goto done;
        }
        double nu = (double)c.sums.nu;
        a->sigma2 = c.sums.ssq / nu;
        a->loglik = -0.5 * (nu * (log(2.0 * M_PI * a->sigma2) + 1.0) + c.sums.sumlog);
    }
    a->converged = conv;
    /* coefficients and standard errors in the original parameterisation */
    int okse;
    std_errors(&c, par, np, cov, &okse);
    memcpy(a->coef, par, a->narma * sizeof *par);
    par_beta(&c, par + a->narma);
    memcpy(a->coef + a->narma, c.beta, c.k * sizeof *par);
    for (size_t i = 0; i < np; i++) a->se[i] = NAN;
    if (okse) {
        for (size_t i = 0; i < a->narma; i++) a->se[i] = sqrt(fmax(cov[i * np + i], 0.0));
        /* Var(beta) = L Var(u) L' */
        size_t k = c.k, off = a->narma;
        for (size_t i = 0; i < k; i++) {
            double v = 0.0;
            for (size_t j = 0; j < k; j++)
                for (size_t l = 0; l < k; l++)
                    v += c.L[j * k + i] * cov[(off + j) * np + off + l] * c.L[l * k + i];
            a->se[off + i] = sqrt(fmax(v, 0.0));
        }
    }
    st = tsf_arima_finish(a);
done:
    free(par);
    free(cov);
    fctx_free(&c);
    return st;
}
