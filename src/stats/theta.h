/* The "theta" family (src/stats/theta*.c): the Theta method of
 * Assimakopoulos & Nikolopoulos (2000) in the form of Hyndman & Billah
 * (2003), as forecast::thetaf computes it.
 *
 * Fit (thetaf's steps):
 *   1. seasonality test at the 90% level on y (period m > 1, n > 2m):
 *      |r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n);
 *   2. if seasonal, classical multiplicative decomposition: s = seasonal
 *      indices by position in the cycle, x = y / s; else s = 1, x = y;
 *   3. SES on x: alpha and l0 minimise the mean squared one-step error,
 *      sigma2 = SSE / (n - 2) (forecast::ses through ets(opt.crit="mse"));
 *   4. drift b = half the OLS slope of x on 0..n-1.
 *
 * The fitted model is the process whose one-step predictive distribution
 * after t observations is
 *   y_t | y_<t ~ N(s_t (L_t + b c_t), sigma2),
 *   L_{t+1} = L_t + alpha (x_t - L_t),  L_0 = l0,
 *   c_{t+1} = 1 + (1 - alpha) c_t,      c_0 = 0   (c_t = (1-(1-alpha)^t)/alpha),
 * so its h-step forecast from n observations is thetaf's
 *   s_{n+h-1} (L_n + b (h - 1 + c_n)) with se sqrt(sigma2 (1 + (h-1) alpha^2))
 * (exact for h = 1 and for every h without seasonality).  Likelihood,
 * streaming and simulation use these conditionals.
 *
 * theta(optimized): the dynamic optimised Theta model (DOTM) of Fiorucci,
 * Pellegrini, Louzada, Petropoulos & Koehler (2016, section 3.2) on the same
 * seasonally adjusted x (steps 1-2), with w = 1 - 1/theta:
 *   x_t | x_<t ~ N(mu_t, sigma2),
 *   mu_t = l_{t-1} + w ((1-alpha)^{t-1} A_{t-1} + (1-(1-alpha)^t)/alpha B_{t-1}),
 *   l_t = alpha x_t + (1-alpha) l_{t-1},
 * A_t, B_t the least-squares intercept and slope of x_1..x_t on 1..t
 * (A_0 = B_0 = 0, B_1 = 0), updated by the paper's recursions; the
 * h-step forecast l_n + w ((1-alpha)^n A_n + (h-1 + (1-(1-alpha)^{n+1})/alpha) B_n),
 * variance sigma2 (1 + (h-1) alpha^2); y_t = s_t x_t.  (l0, alpha, theta)
 * minimise the squared one-step errors (Gaussian ML) with alpha in
 * [0.1, 0.99], theta >= 1; sigma2 = SSE / n. */
#ifndef TSF_STATS_THETA_H
#define TSF_STATS_THETA_H

#include <stddef.h>
#include "core/internal.h"

/* Seasonal periods up to this are decomposed. */
#define TSF_THETA_MAX_PERIOD 1000

typedef struct {
    int fitted;
    int optimized;       /* theta(optimized): the DOTM */
    int period;          /* m used by the fit (1 when not seasonal) */
    int seasonal;        /* the test found seasonality */
    double *season;      /* period indices by position t mod period (NULL when not seasonal) */
    double coef[3];      /* alpha, l0, drift b (theta(optimized): alpha, l0, theta) */
    double sigma2;
    double loglik, aic, aicc, bic;
    size_t nobs;
    char model[48];
} tsf_theta;

/* Filter state after t observations. */
typedef struct {
    const tsf_theta *th;  /* parameters (not owned) */
    double level;         /* L_t */
    double c;             /* c_t */
    size_t t;             /* observations seen */
    /* DOTM: (1-alpha)^t, mean, intercept and slope of x_1..x_t */
    double q, xbar, A, B;
} tsf_theta_filter;

/* Number of values in a saved filter (state.theta). */
#define TSF_THETA_FILTER_VALUES 7

void tsf_theta_filter_init(tsf_theta_filter *f, const tsf_theta *th);
/* The one-step prediction of y_t (mean; the sd is sqrt(sigma2)). */
double tsf_theta_filter_pred(const tsf_theta_filter *f);
/* Feeds y_t (NaN: missing, the level is kept); *logp gets log p(y_t | y_<t)
 * (0 when missing), logp may be NULL. */
void tsf_theta_filter_update(tsf_theta_filter *f, double y, double *logp);
/* h-step forecast from the filter's state into fc (mean, se, intervals). */
void tsf_theta_filter_forecast(const tsf_theta_filter *f, tsf_forecast_result *fc);

/* The fit (theta_fit.c): steps 1-4 above, or the DOTM's, on y[0..n) (no
 * missing values); th->optimized chooses. */
tsf_status tsf_theta_fit(tsf_theta *th, const double *y, size_t n, int period);

/* The DOTM's one-step mean from the filter state without the level:
 * w ((1-alpha)^t A_t + (1-(1-alpha)^{t+1})/alpha B_t) / w, i.e. the
 * bracket (theta_fit.c profiles l0 and w with it). */
double tsf_theta_dotm_bracket(double alpha, double q, double A, double B, double h1);
/* Feeds x_t to the DOTM's running mean, intercept and slope. */
void tsf_theta_dotm_ols(tsf_theta_filter *f, double x);

#endif
