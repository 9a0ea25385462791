/* Kalman filter of the ARIMA state-space form (library-internal).
 *
 * State (dimension rd = r + nd, r = max(p, q + 1)):
 *   alpha_t = (a_t[0..r), x_{t-1}, ..., x_{t-nd})
 * where a_t is Harvey's state of the ARMA part (Gardner, Harvey & Phillips
 * 1980; Durbin & Koopman 2012, sec. 3.4):
 *   a_{t+1}[i] = phi_{i+1} a_t[0] + a_t[i+1] + theta_i e_{t+1},  theta_0 = 1,
 * and the observation x_t = a_t[0] + sum_i delta_i x_{t-i} = Z' alpha_t has no
 * measurement noise.  Everything here is in units of sigma2 = 1: prediction
 * variances F_t are multiplied by sigma2 by the callers.
 *
 * The stationary block starts at its exact covariance, the lagged x's
 * diffusely with variance TSF_ARIMA_KAPPA; an observation contributes to the
 * likelihood only once its F_t < TSF_ARIMA_DIFFUSE_F, i.e. once the diffuse
 * part is resolved (the convention of R's arima, whose log-likelihoods the
 * tests compare against). */
#ifndef TSF_STATS_ARIMA_KF_H
#define TSF_STATS_ARIMA_KF_H

#include <stddef.h>
#include "stats/arima_ss.h"

#define TSF_ARIMA_KAPPA 1e6
#define TSF_ARIMA_DIFFUSE_F 1e4

/* Sums over contributing observations (unit sigma2):
 *   ssq = sum v_t^2 / F_t,  sumlog = sum log F_t,  nu = their count.
 * The Gaussian log-likelihood at sigma2 is
 *   -0.5 * (nu log(2 pi sigma2) + sumlog + ssq / sigma2),
 * maximised over sigma2 at sigma2 = ssq / nu. */
typedef struct {
    double ssq, sumlog;
    size_t nu;
} tsf_arima_sums;

typedef struct tsf_arima_kf {
    size_t r, nd, rd;
    size_t rcap, ndcap;
    double *phi;     /* r, zero padded */
    double *theta;   /* r, theta[0] = 1, zero padded */
    double *delta;   /* nd */
    double *P0;      /* r*r stationary covariance of a_t */
    double *a;       /* rd: predicted state a_{t|t-1} */
    double *P;       /* rd*rd: its covariance */
    double *Pold;    /* rd*rd: previous P, for the steady-state test */
    double *M;       /* rd: P Z */
    double *work;    /* rd*rd + 4*rd scratch */
    double *gwork;   /* (r+1)^2 + 4 (r+1) scratch for the autocovariances */
    int *ipiv;
    double *wbuf;    /* differenced series for the fast path */
    size_t wcap;
    size_t wn;       /* wbuf holds delta(B) x for this n (0: nothing cached) */
    int xcomplete;   /* that x had no missing value */
    int exact_diffuse; /* caller's choice, see tsf_arima_kf_run_same */
    int steady;      /* P has converged: only the mean recursion runs */
    double Fss;      /* F in steady state */
} tsf_arima_kf;

/* Workspace for models with p <= pmax, q <= qmax and nd lagged values. */
tsf_status tsf_arima_kf_new(size_t pmax, size_t qmax, size_t nd, tsf_arima_kf **out);
void tsf_arima_kf_free(tsf_arima_kf *kf);
/* A copy of kf's model and filter state (not its cached series). */
tsf_status tsf_arima_kf_clone(const tsf_arima_kf *kf, tsf_arima_kf **out);

/* Loads the polynomials of m (sigma2 unused), computes the stationary
 * covariance and resets to the start of a series.  TSF_EDOMAIN when the AR
 * part is not stationary, TSF_EINVAL for non-finite coefficients. */
tsf_status tsf_arima_kf_set(tsf_arima_kf *kf, const tsf_arima_ss *m);

/* Back to the start of a series (state mean 0, covariance P0 (+) kappa I). */
void tsf_arima_kf_reset(tsf_arima_kf *kf);

/* Feeds one observation y (NaN = missing: prediction only).  *pred and *F
 * receive the one-step prediction Z'a_{t|t-1} and its variance (unit
 * sigma2) before the update.  Returns 1 when y contributes to the
 * likelihood (observed and F below the diffuse threshold), else 0. */
int tsf_arima_kf_step(tsf_arima_kf *kf, double y, double *pred, double *F);

/* Runs the filter over x[0..n) from the start and accumulates the sums of
 * the observations t >= start. */
void tsf_arima_kf_run(tsf_arima_kf *kf, const double *x, size_t n, size_t start,
                      tsf_arima_sums *s);

/* Same, where x[0..n) is unchanged since the previous run on this
 * workspace and the differencing polynomial too (a fit varying only the
 * ARMA coefficients): the differenced series is reused.
 *
 * With kf->exact_diffuse set (an optimiser's objective), a series without
 * missing values gets the exact diffuse likelihood instead of the kappa
 * one: that of the differenced series alone, from the stationary (0, P0),
 * which the Chandrasekhar recursions evaluate in O(r) per observation.
 * The two differ by O(1/kappa) (about 1e-4 in loglik on monthly seasonal
 * series), smoothly in the parameters, so the optimum moves by O(1e-5)
 * and the kappa likelihood there by O(1e-8): fits optimise this and
 * report the kappa value.  Without differencing the two are the same
 * likelihood and the Chandrasekhar path is always taken. */
void tsf_arima_kf_run_same(tsf_arima_kf *kf, const double *x, size_t n, size_t start,
                           tsf_arima_sums *s, int same_x);

/* h-step predictions from the current state: mean[j] and var[j] (unit
 * sigma2).  Does not change the filter state (uses its scratch). */
void tsf_arima_kf_predict(tsf_arima_kf *kf, size_t h, double *mean, double *var);

/* The filter's state (predicted mean and covariance, steady-state gain
 * and flag) into a model-file document under tensor names prefix.a,
 * prefix.P, prefix.M, prefix.steady / back into kf, already set up for the
 * same model: lengths and values are checked (TSF_EPARSE naming what). */
typedef struct tsf_st tsf_st;
tsf_status tsf_arima_kf_save(const tsf_arima_kf *kf, tsf_st *doc, const char *prefix);
tsf_status tsf_arima_kf_load(tsf_arima_kf *kf, const tsf_st *doc, const char *prefix,
                             const char *family);

/* Convenience: sums of m over x in a fresh workspace. */
tsf_status tsf_arima_ss_sums(const tsf_arima_ss *m, const double *x, size_t n, size_t start,
                             tsf_arima_sums *s);

/* 1 when 1 - phi_1 z - ... - phi_p z^p has all roots outside the unit
 * circle (step-down recursion to partial autocorrelations, all |.| < 1). */
int tsf_arima_ar_stationary(const double *phi, size_t p, double *work);

#endif
