/* Objective and optimiser of the ARIMA fit (library-internal, shared by
 * arima_fit.c and arima_optim.c).
 *
 * Parameters seen by the optimiser: the ARMA coefficients (the AR blocks
 * through the Jones/Monahan transform during ML, so every trial point is
 * stationary) and whitened regression coefficients u with
 * beta = beta_ols + L u, L = 10 x the Cholesky factor of the OLS covariance
 * (as R scales its regression parameters by 10 standard errors), which
 * removes the near-collinearity of intercept and trend.  The objective is
 * R's: sigma2 concentrated out, per observation,
 *   ML:  0.5 log(ssq/nu) + 0.5 sumlog/nu,   CSS: 0.5 log(ssq/nu). */
#ifndef TSF_STATS_ARIMA_FIT_H
#define TSF_STATS_ARIMA_FIT_H

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
    double *x, *w, *e, *gw, *arma, *beta, *phi, *theta, *tw;
    double beta_last[TSF_ARIMA_MAXPAR];
    int xvalid;           /* c->x (and the filter's w) hold y - X beta_last */
    int wvalid;           /* c->w holds the differenced c->x (CSS) */
    tsf_arima_sums sums;
    double css_ssq;
    size_t css_nu;
    /* The fit's np x np matrices, on the heap: a program that embeds tsf
     * may fit in a thread with a small stack (tests/test_api.c fits in a
     * 256 KiB one).  Slot s at mats + s * np * np (tsf_arima_mat). */
    double *mats;
    size_t matsz;
} fctx;

/* The slots of fctx.mats: each function of the fit that needs np x np
 * scratch has its own, so none overwrites a caller's. */
enum {
    TSF_ARIMA_MAT_HCSS, TSF_ARIMA_MAT_HRAW, TSF_ARIMA_MAT_HALT, TSF_ARIMA_MAT_HRAW2, /* fit_run */
    TSF_ARIMA_MAT_ML_H,                                   /* ml_from */
    TSF_ARIMA_MAT_JAC_G, TSF_ARIMA_MAT_JAC_T,             /* raw_hessian, cov_from_raw */
    TSF_ARIMA_MAT_COV_HI,                                 /* cov_from_raw */
    TSF_ARIMA_MAT_PRE_H,                                  /* precondition */
    TSF_ARIMA_MAT_CT, TSF_ARIMA_MAT_HN, TSF_ARIMA_MAT_L,  /* minimize */
    TSF_ARIMA_MAT_N
};

static inline double *tsf_arima_mat(const fctx *c, int slot)
{
    return c->mats + (size_t)slot * c->matsz;
}

/* parameters -> ARMA coefficients (AR blocks transformed when c->transform) */
void tsf_arima_par_arma(const fctx *c, const double *par, double *arma);
/* u -> beta (into c->beta) */
void tsf_arima_par_beta(const fctx *c, const double *u);
/* Objective at par; 0 when it cannot be evaluated. */
int tsf_arima_eval(fctx *c, const double *par, double *val);
/* Gradient of the CSS objective (c->ml == 0, c->transform == 0) in par's
 * coordinates at the point of the last successful tsf_arima_eval; 0 when
 * it cannot be computed. */
int tsf_arima_css_objgrad(fctx *c, double *g);
/* Minimises the ML objective from par (see arima_optim.c). */
tsf_status tsf_arima_minimize(fctx *c, double *par, size_t np, double tol_ll, const double *H0,
                              double *Hout, int *hout_ok, int *converged);
/* G = d untransformed / d raw at raw (np x np, block diagonal: the
 * partrans Jacobian on the AR blocks, identity elsewhere); T: np x np
 * scratch.  0 when the Jacobian cannot be computed. */
int tsf_arima_raw_jacobian(fctx *c, const double *raw, size_t np, double *G, double *T);
/* Covariance of the untransformed coefficients from the transformed-space
 * Hessian at the optimum; 0 when not positive definite. */
int tsf_arima_cov_from_raw(fctx *c, const double *raw, const double *Hraw, size_t np, double *cov);
/* Covariance from a numerical Hessian at par (untransformed objective). */
void tsf_arima_std_errors(fctx *c, const double *par, size_t np, double *cov, int *ok);

#endif
