/* The "garch" family: GARCH(p,q) (Bollerslev 1986) and GJR-GARCH (Glosten,
 * Jagannathan & Runkle 1993) volatility models with a zero, constant or
 * ARMA(P,Q) mean and Gaussian or standardised Student-t innovations,
 * fitted by exact conditional maximum likelihood with fGarch's start-up
 * convention (docs/models.md, "GARCH").
 *
 *   garch.c          spec, fit driver, summary, type table
 *   garch_lik.c      likelihood and analytic gradient (Fiorentini, Calzolari
 *                    & Panattoni 1996 recursions)
 *   garch_fit.c      optimiser (GSL BFGS2 on an unconstrained
 *                    reparametrisation), Newton polish, standard errors
 *   garch_state.c    the recursion one observation at a time: streaming,
 *                    likelihood, forecasts, simulation, value-at-risk
 *   garch_io.c       model and state files */
#ifndef TSF_STATS_GARCH_H
#define TSF_STATS_GARCH_H

#include <gsl/gsl_rng.h>
#include "core/internal.h"

#define TSF_GARCH_MAX_ORDER 10
#define TSF_GARCH_NAME_LEN 16

typedef enum { TSF_GARCH_MEAN_ZERO = 0, TSF_GARCH_MEAN_CONSTANT, TSF_GARCH_MEAN_ARMA } tsf_garch_mean;
typedef enum { TSF_GARCH_NORMAL = 0, TSF_GARCH_T } tsf_garch_dist;

/* Where each block of the parameter vector starts (fGarch's order: mu,
 * ar1.., ma1.., omega, alpha1.., gamma1.., beta1.., shape); -1 when absent. */
typedef struct {
    int p, q;      /* ARCH and GARCH orders */
    int P, Q;      /* mean ARMA orders */
    int has_mu, gjr, t;
    int mu, ar, ma, omega, alpha, gamma, beta, shape;
    int nmean;     /* mu + ar + ma: the parameters the residuals depend on */
    int zstart;    /* residuals before this index are 0 (fGarch: max(P,Q,p,q) with an
                      ARMA mean, 0 without) */
    int npar;
} tsf_garch_layout;

typedef struct {
    /* from the spec */
    tsf_garch_layout L;
    tsf_garch_mean mean;
    tsf_garch_dist dist;
    /* the fit */
    int fitted, converged;
    double *coef, *se, *rse; /* npar each: estimates, Hessian and robust (sandwich) s.e. */
    double h0;               /* pre-sample variance, fixed at fit time */
    double loglik, aic, aicc, bic;
    double persistence;      /* sum alpha + sum beta (+ sum gamma / 2) */
    double uncond;           /* omega / (1 - persistence) */
    size_t nobs;
    char model[96];
    char (*namebuf)[TSF_GARCH_NAME_LEN];
    const char **names;
} tsf_garch;

/* Fills L for the orders and options. */
void tsf_garch_layout_init(tsf_garch_layout *L, int p, int q, int P, int Q, int has_mu, int gjr,
                           int t);

/* Persistence of theta: sum alpha + sum beta + sum gamma / 2. */
double tsf_garch_persistence(const tsf_garch_layout *L, const double *theta);

/* ---- likelihood (garch_lik.c) ---- */

typedef struct tsf_garch_ws tsf_garch_ws;
tsf_status tsf_garch_ws_new(const tsf_garch_layout *L, size_t n, tsf_garch_ws **out);
void tsf_garch_ws_free(tsf_garch_ws *w);

/* log-likelihood of r[0..n) at the natural parameters theta with the
 * pre-sample variance omega + persistence * mean(eps^2) (fGarch's
 * "mci" start), its gradient (npar, may be NULL) and the per-observation
 * scores (n x npar row-major, may be NULL).  *h0 (may be NULL) receives
 * the pre-sample variance.  Returns TSF_EDOMAIN where theta gives a
 * variance that is not positive or a likelihood that is not finite. */
tsf_status tsf_garch_lik(const tsf_garch_layout *L, const double *theta, const double *r,
                         size_t n, tsf_garch_ws *w, double *ll, double *grad, double *scores,
                         double *h0);

/* log c of the standardised innovation's density f(z) = c g(z^2):
 * Gaussian, or Student-t with nu > 2 scaled to unit variance. */
double tsf_garch_logc(const tsf_garch_layout *L, const double *theta);

/* ---- fit (garch_fit.c) ---- */
tsf_status tsf_garch_estimate(tsf_garch *g, const double *r, size_t n);

/* ---- the recursion one step at a time (garch_state.c) ---- */

typedef struct {
    tsf_garch_layout L;
    double *theta;   /* npar */
    double h0;
    size_t t;        /* observations fed */
    double *r;       /* last P returns, most recent first */
    double *e;       /* last max(p, Q) residuals */
    double *h;       /* last q conditional variances */
    double hnext;    /* sigma^2 of the next observation */
    double logc;     /* tsf_garch_logc of theta */
    double *buf;     /* owns theta, r, e, h */
} tsf_garch_rec;

tsf_status tsf_garch_rec_new(const tsf_garch *g, tsf_garch_rec **out);
void tsf_garch_rec_free(tsf_garch_rec *s);
tsf_status tsf_garch_rec_copy(const tsf_garch_rec *s, tsf_garch_rec **out);
/* Feeds one return: its log density (fGarch's convention before the mean
 * equation can start: a zero residual), residual and conditional mean. */
void tsf_garch_rec_update(tsf_garch_rec *s, double y, double *logp, double *eps, double *mu);

/* Vtable entries. */
tsf_status tsf_garch_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t start, double *ll);
tsf_status tsf_garch_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                              size_t h, const double *levels, size_t nlevels,
                              const tsf_forecast_opts *opts, tsf_forecast_result *fc);
tsf_status tsf_garch_risk(const void *impl, const double *y, size_t n, size_t h,
                          const double *levels, size_t nlevels, const tsf_forecast_opts *opts,
                          tsf_risk_result *rk);
tsf_status tsf_garch_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                              const tsf_xreg *xreg, double *out);
tsf_status tsf_garch_residuals(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, double *fitted, double *resid);
tsf_status tsf_garch_state_new(const void *impl, void **st);
tsf_status tsf_garch_state_update(void *st, double y, const double *x, size_t k, double *logp);
tsf_status tsf_garch_state_forecast(void *st, size_t h, const double *levels,
                                    size_t nlevels, const tsf_forecast_opts *opts,
                                    tsf_forecast_result *fc);
void tsf_garch_state_free(void *st);
tsf_status tsf_garch_state_save(const void *st, tsf_st *doc);
tsf_status tsf_garch_state_load(const void *impl, const tsf_st *doc, void **st);

/* ---- files (garch_io.c) ---- */
tsf_status tsf_garch_save(const void *impl, tsf_st *doc);
tsf_status tsf_garch_load(const tsf_st *doc, void **impl);

/* Summary values from coef (persistence, unconditional variance, names,
 * model string, criteria from loglik and nobs). */
tsf_status tsf_garch_finish(tsf_garch *g);
tsf_garch *tsf_garch_alloc(const tsf_garch_layout *L, tsf_garch_mean mean, tsf_garch_dist dist);
void tsf_garch_free(void *impl);

#endif
