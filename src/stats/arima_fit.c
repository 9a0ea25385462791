/* Fitting an ARIMA with regression effects: starting values (OLS for the
 * regression, CSS for the ARMA part), the CSS, CSS-ML and ML methods,
 * standard errors.  The objective and optimiser are in arima_optim.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "stats/arima_fit.h"

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
        size_t m = tsf_arima_reg_rows(a, y, n, X, k, diff, A, n, b);
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
    free(c->gw);
    free(c->arma);
    free(c->beta);
    free(c->phi);
    free(c->theta);
    free(c->tw);
    free(c->mats);
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
    c->gw = calloc(2 * (n ? n : 1), sizeof(double));
    c->arma = calloc(np, sizeof(double));
    c->beta = calloc(k, sizeof(double));
    c->phi = calloc(a->pf + 1, sizeof(double));
    c->theta = calloc(a->qf + 1, sizeof(double));
    c->tw = calloc(3 * np + 16, sizeof(double));
    c->matsz = a->ncoef * a->ncoef;
    c->mats = calloc(TSF_ARIMA_MAT_N * c->matsz + 1, sizeof(double));
    if (!c->beta0 || !c->L || !c->x || !c->w || !c->e || !c->gw || !c->arma || !c->beta || !c->phi ||
        !c->theta || !c->tw || !c->mats)
        return tsf_set_error(TSF_ENOMEM, "out of memory fitting the ARIMA");
    return tsf_arima_kf_new(a->pf, a->qf, a->nd, &c->kf);
}

/* cov = inv(nobs H) for a symmetric Hessian H (np x np); 0 when H is not
 * positive definite. */
static int cov_from_hessian(const double *H, size_t np, double nobs, double *cov)
{
    for (size_t i = 0; i < np * np; i++) cov[i] = H[i] * nobs;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, cov, (lapack_int)np)) return 0;
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, cov, (lapack_int)np)) return 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < i; j++) cov[i * np + j] = cov[j * np + i];
    return 1;
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

/* H <- G' H G with G = d untransformed / d raw (block diagonal: the
 * partrans Jacobian on the AR blocks, identity elsewhere).  Nonzero when
 * the raw point does not map back to untr (an AR block was reset). */
static int raw_hessian(fctx *c, const double *raw, const double *untr, size_t np, double *H)
{
    double *G = tsf_arima_mat(c, TSF_ARIMA_MAT_JAC_G), *T = tsf_arima_mat(c, TSF_ARIMA_MAT_JAC_T);
    double back[TSF_ARIMA_MAXPAR];
    tsf_arima_par_arma(c, raw, back);  /* c->transform is set */
    for (size_t i = 0; i < c->a->narma; i++)
        if (fabs(back[i] - untr[i]) > 1e-8) return 1;
    if (!tsf_arima_raw_jacobian(c, raw, np, G, T)) return 1;
    /* T = H G, H = G' T */
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < np; j++) {
            double s = 0.0;
            for (size_t l = 0; l < np; l++) s += H[i * np + l] * G[l * np + j];
            T[i * np + j] = s;
        }
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < np; j++) {
            double s = 0.0;
            for (size_t l = 0; l < np; l++) s += G[l * np + i] * T[l * np + j];
            H[i * np + j] = s;
        }
    return 0;
}

static int invert_ma(tsf_arima *a, double *par)
{
    const tsf_arima_order *o = &a->ord;
    int changed = 0;
    if (o->q) changed |= tsf_arima_ma_invert(par + o->p, (size_t)o->q);
    if (o->Q) changed |= tsf_arima_ma_invert(par + o->p + o->q + o->P, (size_t)o->Q);
    return changed;
}

/* Exact ML from par (untransformed ARMA coefficients and u); par receives
 * the optimum (MA made invertible), *ll the concentrated objective's
 * log-likelihood there.  Hpre: an approximate Hessian in par's
 * coordinates (the CSS one) or NULL.  Hraw/rawfinal/hraw_ok: the verified
 * Hessian in transformed coordinates and where, for the standard errors. */
static tsf_status ml_from(fctx *c, double *par, const double *Hpre, double *ll, double *Hraw,
                          double *rawfinal, int *hraw_ok, int *conv)
{
    tsf_arima *a = c->a;
    size_t np = a->ncoef;
    double *H = tsf_arima_mat(c, TSF_ARIMA_MAT_ML_H), untr[TSF_ARIMA_MAXPAR];
    int have_h = Hpre != NULL;
    if (have_h) memcpy(H, Hpre, np * np * sizeof *H);
    c->ml = 1;
    c->transform = 1;
    memcpy(untr, par, np * sizeof *par);
    to_raw(c, par);
    /* The CSS Hessian approximates the ML one; carried into the
     * transformed coordinates by the Jacobian G of the transform:
     * H_raw = G' H G. */
    if (have_h && raw_hessian(c, par, untr, np, H)) have_h = 0;
    /* optimise the exact diffuse likelihood (O(r) per observation), report
     * the kappa one (R's) at the optimum: see tsf_arima_kf_run_same */
    c->kf->exact_diffuse = 1;
    tsf_status st = tsf_arima_minimize(c, par, np, 1e-6, have_h ? H : NULL, Hraw, hraw_ok, conv);
    c->kf->exact_diffuse = 0;
    if (st) return st;
    if (*hraw_ok) memcpy(rawfinal, par, np * sizeof *par);
    tsf_arima_par_arma(c, par, c->arma);
    memcpy(par, c->arma, a->narma * sizeof *par);
    c->transform = 0;
    if (invert_ma(a, par)) *hraw_ok = 0;
    double v;
    if (!tsf_arima_eval(c, par, &v))
        return tsf_set_error(TSF_ENOCONV, "the ML fit ended at a point without a finite "
                             "likelihood; try another order");
    double nu = (double)c->sums.nu;
    *ll = -0.5 * (nu * (log(2.0 * M_PI * c->sums.ssq / nu) + 1.0) + c->sums.sumlog);
    return TSF_OK;
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
     * regression removed (judged on the differences that exist; with too
     * many gaps for any, the fit goes on and the likelihood decides) */
    {
        double scale = 0.0, ss = 0.0;
        size_t cnt = 0;
        for (size_t t = 0; t < n; t++)
            if (!isnan(y[t])) scale = fmax(scale, fabs(y[t]));
        memset(par, 0, (np + 1) * sizeof *par);
        tsf_arima_par_beta(&c, par + a->narma);
        for (size_t t = a->nd; t < n; t++) {
            double v = y[t];
            for (size_t j = 0; j < c.k; j++) v -= c.beta[j] * X[j * n + t];
            for (size_t i = 0; i < a->nd; i++) {
                double u = y[t - 1 - i];
                for (size_t j = 0; j < c.k; j++) u -= c.beta[j] * X[j * n + t - 1 - i];
                v -= a->delta[i] * u;
            }
            if (isnan(v)) continue;
            ss += v * v;
            cnt++;
        }
        if (cnt > 0 && !(sqrt(ss / (double)cnt) > 1e-10 * fmax(scale, 1e-300))) {
            st = tsf_set_error(TSF_EDEGENERATE, "the series is constant%s: there is no variation "
                               "for an ARIMA to model", a->nd ? " after differencing" : "");
            goto done;
        }
    }
    /* CSS needs runs of d + sD + p + sP + 1 consecutive observations; a
     * series too gappy for any goes straight to ML from zero (css-ml) */
    int css_possible;
    {
        double v;
        c.ml = 0;
        c.transform = 0;
        c.ncond = a->nd + a->pf;
        css_possible = tsf_arima_eval(&c, par, &v) && c.css_nu > a->ncoef;
        if (!css_possible && a->method == TSF_METHOD_CSS) {
            st = tsf_set_error(TSF_EDOMAIN, "too few runs of %zu consecutive observations for "
                               "the conditional sum of squares; use method=ml or css-ml",
                               c.ncond + 1);
            goto done;
        }
    }
    int conv = 1, have_h = 0, hraw_ok = 0, css_hess_exact = 0;
    double *Hcss = tsf_arima_mat(&c, TSF_ARIMA_MAT_HCSS), *Hraw = tsf_arima_mat(&c, TSF_ARIMA_MAT_HRAW);
    double rawfinal[TSF_ARIMA_MAXPAR];
    c.ncond = a->nd + a->pf;
    /* The CSS stage follows R's path on series up to TSF_ARIMA_LM_NOBS
     * used observations: quasi-Newton from zero, which ends in the basin
     * R's optim(BFGS) finds (the CSS surface of a short series can be
     * multimodal, and auto-ARIMA ranks models by these fits).  Longer
     * series, where the CSS optimum is well determined, use
     * Levenberg-Marquardt with analytic derivatives: the same optimum in a
     * fraction of the time. */
    if (a->method == TSF_METHOD_CSS || (a->method == TSF_METHOD_CSS_ML && css_possible)) {
        c.ml = 0;
        c.transform = 0;
        if (a->nobs <= TSF_ARIMA_LM_NOBS) {
            int hok;
            if ((st = tsf_arima_minimize(&c, par, np, a->method == TSF_METHOD_CSS ? 1e-6 : 1e-3,
                                         NULL, Hcss, &hok, &conv)))
                goto done;
            have_h = hok;
            css_hess_exact = 1;
        } else {
            if ((st = tsf_arima_css_lm(a, y, n, X, c.beta0, c.L, c.ncond,
                                       a->method == TSF_METHOD_CSS ? 1e-8 : 1e-3, par, Hcss,
                                       &conv)))
                goto done;
            have_h = 1;
        }
        /* R inverts the MA part of CSS estimates only to start ML from them:
         * the conditional sum of squares is not invariant under it */
        if (a->method != TSF_METHOD_CSS && invert_ma(a, par)) have_h = 0;
    }
    if (a->method == TSF_METHOD_CSS) {
        double v;
        if (!tsf_arima_eval(&c, par, &v)) {
            st = tsf_set_error(TSF_ENOCONV, "the CSS fit ended at a point without a finite "
                               "sum of squares; try method=ml");
            goto done;
        }
        a->sigma2 = c.css_ssq / (double)c.css_nu;
        /* R's CSS log-likelihood: -0.5 n.used (log(2 pi sigma2) + 1) */
        a->loglik = -0.5 * (double)a->nobs * (log(2.0 * M_PI * a->sigma2) + 1.0);
    } else {
        /* Two starts on short series (nobs <= TSF_ARIMA_MULTISTART): the
         * CSS estimates and zero ARMA coefficients; the better optimum is
         * kept.  A short series' likelihood can be multimodal (near
         * cancelling AR and MA roots, boundaries); on long ones CSS and ML
         * estimates are close (both consistent) and one start suffices. */
        int multi = a->method == TSF_METHOD_ML && css_possible &&
                    a->nobs <= TSF_ARIMA_MULTISTART;
        double alt[TSF_ARIMA_MAXPAR], *Halt = tsf_arima_mat(&c, TSF_ARIMA_MAT_HALT);
        int have_halt = 0, conv2 = 0;
        if (multi) {
            memset(alt, 0, np * sizeof *alt);
            if (a->method == TSF_METHOD_ML) {
                int cc;
                c.ml = 0;
                c.transform = 0;
                if (tsf_arima_css_lm(a, y, n, X, c.beta0, c.L, c.ncond, 1e-3, alt, Halt, &cc)) {
                    tsf_clear_error();
                    memset(alt, 0, np * sizeof *alt);
                } else {
                    have_halt = !invert_ma(a, alt);
                }
            }
        }
        double ll, ll2;
        st = ml_from(&c, par, have_h ? Hcss : NULL, &ll, Hraw, rawfinal, &hraw_ok, &conv);
        if (multi) {
            double *Hraw2 = tsf_arima_mat(&c, TSF_ARIMA_MAT_HRAW2), raw2[TSF_ARIMA_MAXPAR];
            int ok2;
            tsf_status st2 = ml_from(&c, alt, have_halt ? Halt : NULL, &ll2, Hraw2, raw2, &ok2,
                                     &conv2);
            if (!st2 && (st || ll2 > ll + 1e-9)) {
                st = TSF_OK;
                memcpy(par, alt, np * sizeof *par);
                memcpy(Hraw, Hraw2, np * np * sizeof *Hraw);
                memcpy(rawfinal, raw2, np * sizeof *raw2);
                hraw_ok = ok2;
                conv = conv2;
            }
            if (!st) tsf_clear_error();
        }
        if (st) goto done;
        c.ml = 1;
        c.transform = 0;
        double v;
        /* with one start, ml_from's last evaluation was at par (its sums
         * are current); with two, the other start may have been last */
        if (multi && !tsf_arima_eval(&c, par, &v)) {
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
    okse = 0;
    if (hraw_ok && a->method != TSF_METHOD_CSS) okse = tsf_arima_cov_from_raw(&c, rawfinal, Hraw, np, cov);
    /* CSS by quasi-Newton: the optimiser verified its end point with a
     * numerical Hessian of this very objective there; reuse it (auto's
     * approximate search fits many CSS models) */
    if (!okse && a->method == TSF_METHOD_CSS && css_hess_exact && have_h)
        okse = cov_from_hessian(Hcss, np, (double)a->nobs, cov);
    if (!okse) tsf_arima_std_errors(&c, par, np, cov, &okse);
    memcpy(a->coef, par, a->narma * sizeof *par);
    tsf_arima_par_beta(&c, par + a->narma);
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
