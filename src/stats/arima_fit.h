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
} fctx;

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
/* Covariance of the untransformed coefficients from the transformed-space
 * Hessian at the optimum; 0 when not positive definite. */
int tsf_arima_cov_from_raw(fctx *c, const double *raw, const double *Hraw, size_t np, double *cov);
/* Covariance from a numerical Hessian at par (untransformed objective). */
void tsf_arima_std_errors(fctx *c, const double *par, size_t np, double *cov, int *ok);

#endif
