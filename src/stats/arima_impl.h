/* Internals shared by the arima files (fit, model type, persistence). */
#ifndef TSF_STATS_ARIMA_IMPL_H
#define TSF_STATS_ARIMA_IMPL_H

#include <stddef.h>
#include "stats/arima.h"
#include "stats/arima_kf.h"

/* Regression columns in this order, those present: intercept, drift,
 * trend, then the user's k columns. */
/* Most coefficients (ARMA + regression) one model estimates. */
#define TSF_ARIMA_MAXPAR 64

/* ML fits of series with at most this many observations could try two
 * starts (off: it departs from R's choice of optimum, which auto-ARIMA's
 * model ranking relies on). */
#define TSF_ARIMA_MULTISTART 2000
/* Above this many used observations the CSS stage uses Levenberg-Marquardt
 * instead of R's quasi-Newton path. */
#define TSF_ARIMA_LM_NOBS 2000

enum { TSF_REG_MEAN = 1, TSF_REG_DRIFT = 2, TSF_REG_TREND = 4 };

struct tsf_arima {
    tsf_arima_order ord;
    int fitted;
    tsf_method method;
    int regflags;          /* TSF_REG_* */
    size_t kuser;          /* user regressors */
    size_t narma;          /* p + q + P + Q */
    size_t nreg;           /* regression columns */
    size_t ncoef;          /* narma + nreg */
    char **names;          /* ncoef */
    double *coef, *se;     /* ncoef */
    double sigma2, loglik, aic, aicc, bic;
    size_t nobs;
    int converged;
    char model_str[128];
    /* expanded polynomials of the fitted coefficients */
    size_t pf, qf, nd;
    double *phi, *theta, *delta;
};

/* --- partrans.c --- */
/* Jones (1980) / Monahan (1984): raw[0..p) -> partial autocorrelations
 * tanh(raw) -> AR coefficients by the Durbin-Levinson recursion; always
 * stationary.  work: p doubles. */
void tsf_arima_partrans(const double *raw, size_t p, double *phi, double *work);
/* Inverse; TSF_EDOMAIN when phi is not stationary. work: 2p doubles. */
tsf_status tsf_arima_partrans_inv(const double *phi, size_t p, double *raw, double *work);
/* Jacobian d phi_i / d raw_j (row-major p x p) of tsf_arima_partrans. */
tsf_status tsf_arima_partrans_jac(const double *raw, size_t p, double *jac);
/* Makes 1 + theta_1 z + ... + theta_q z^q invertible by reflecting its
 * roots inside the unit circle (the likelihood with sigma2 concentrated
 * out is unchanged).  Returns 1 when something changed. */
int tsf_arima_ma_invert(double *theta, size_t q);
/* 1 when 1 + theta_1 z + ... + theta_q z^q has no root inside the unit
 * circle (q <= TSF_ARIMA_MAX_PQ). */
int tsf_arima_ma_invertible(const double *theta, size_t q);

/* --- css.c --- */
/* Conditional sum of squares (Box & Jenkins): residuals of the ARMA
 * recursion on the differenced series w, conditioning on the first ncond
 * values of x and zero earlier innovations.  w, e: n doubles scratch. */
/* sum_k c[k] x[dir * l[k]] over the m sparse lags l[0] < l[1] < ...
 * (dir = -1: past values, +1: future ones), the smallest lag added last:
 * in a recursion on x that term alone is on the dependency chain.  The
 * common seasonal counts are unrolled. */
static inline double tsf_css_lagsum(const double *x, const double *c, const size_t *l, size_t m,
                                    int dir)
{
#define TSF_LAG(k) (c[k] * x[dir < 0 ? -(ptrdiff_t)l[k] : (ptrdiff_t)l[k]])
    switch (m) {
    case 0: return 0.0;
    case 1: return TSF_LAG(0);
    case 2: return TSF_LAG(1) + TSF_LAG(0);
    case 3: return (TSF_LAG(2) + TSF_LAG(1)) + TSF_LAG(0);
    case 4: return (TSF_LAG(3) + TSF_LAG(2) + TSF_LAG(1)) + TSF_LAG(0);
    case 5: return ((TSF_LAG(4) + TSF_LAG(3)) + (TSF_LAG(2) + TSF_LAG(1))) + TSF_LAG(0);
    default: {
        double v = 0.0;
        for (size_t k = m; k-- > 1;) v += TSF_LAG(k);
        return v + TSF_LAG(0);
    }
    }
#undef TSF_LAG
}

void tsf_arima_css(const double *x, size_t n, const double *delta, size_t nd,
                   const double *phi, size_t pf, const double *theta, size_t qf,
                   size_t ncond, double *w, double *e, double *ssq, size_t *nu);
/* The same; w_ready: w already holds the differenced x of an earlier call
 * with the same x, delta (the optimiser's repeated evaluations). */
void tsf_arima_css_w(const double *x, size_t n, const double *delta, size_t nd,
                     const double *phi, size_t pf, const double *theta, size_t qf,
                     size_t ncond, double *w, int w_ready, double *e, double *ssq, size_t *nu);

/* Gradient g (narma + k: ARMA coefficients, then the regression
 * coefficients beta) of the CSS sum of squares at the point of the last
 * tsf_arima_css call, from its w and e (css_grad.c, adjoint recursion).
 * work: 2 n doubles.  0 when not finite. */
int tsf_arima_css_grad(const tsf_arima_order *o, const double *arma, const double *phi,
                       size_t pf, const double *theta, size_t qf, const double *w,
                       const double *e, size_t n, size_t ncond, const double *X, size_t k,
                       const double *delta, size_t nd, double *work, double *g);

/* CSS residuals e (n) and, when J is not NULL, their derivatives J (n x
 * (narma + k), column-major) with respect to the ARMA coefficients (the
 * seasonal factors chained through the products) and the k regression
 * coefficients of X (x = y - X beta).  Rows that do not count are zero.
 * work: TSF_ARIMA_CSS_WORK(n, pf, qf) doubles. */
#define TSF_ARIMA_CSS_WORK(n, pf, qf) (6 * (n) + (pf) + (qf) + 2)
tsf_status tsf_arima_css_jac(const tsf_arima_order *o, const double *arma, const double *x,
                             size_t n, const double *X, size_t k, const double *delta, size_t nd,
                             size_t ncond, double *work, double *e, double *J, double *ssq,
                             size_t *nu);

/* --- css_lm.c --- */
/* Minimises the CSS over par = [ARMA coefficients, u] with beta = beta0 +
 * L u (L k x k lower, column-major) by Levenberg-Marquardt until the
 * Gauss-Newton step promises less than tol_ll log-likelihood units.  H (np x np),
 * when not NULL, receives the Gauss-Newton Hessian of 0.5 log(ssq/nu). */
tsf_status tsf_arima_css_lm(const tsf_arima *a, const double *y, size_t n, const double *X,
                            const double *beta0, const double *L, size_t ncond, double tol_ll,
                            double *par, double *H, int *converged);

/* --- arima_fit.c --- */
/* Expands coef's ARMA part into the full polynomials (a->phi, a->theta
 * sized pf, qf) and the differencing polynomial a->delta. */
void tsf_arima_expand(const tsf_arima_order *o, const double *arma, double *phi, double *theta);
void tsf_arima_delta(const tsf_arima_order *o, double *delta);

/* Regression matrix for rows 0..n) (column j at X + j*n) with time index
 * offset t0 (row t has trend/drift value t0 + t + 1).  xreg user columns
 * start at row xrow0 of xreg.  TSF_EINVAL when xreg does not fit. */
tsf_status tsf_arima_regmatrix(const tsf_arima *a, size_t n, size_t t0, const tsf_xreg *xreg,
                               double *X);

/* x = y - X beta (NaN where y or a regressor is missing). */
void tsf_arima_xresid(const tsf_arima *a, const double *y, size_t n, const double *X, double *x);

/* tsf_arima_ss view of a fitted model. */
void tsf_arima_ssview(const tsf_arima *a, tsf_arima_ss *m);

/* Fills names, model string and the information criteria from loglik. */
tsf_status tsf_arima_finish(tsf_arima *a);

/* The rows a regression on X can use: y and the k columns of X
 * differenced by the model's delta when diff (else as they are), keeping
 * the rows t >= nd (diff) where y and every column are observed.  Column
 * j into A + j * lda, y into b (when not NULL); returns the row count. */
size_t tsf_arima_reg_rows(const tsf_arima *a, const double *y, size_t n, const double *X,
                          size_t k, int diff, double *A, size_t lda, double *b);

/* Marks in drop[0..kuser) the user regressors (columns of X, the
 * regression matrix of tsf_arima_regmatrix) that carry nothing of their
 * own in the rows the fit uses: after differencing, a column that is zero
 * or a linear combination of the columns before it (intercept, drift,
 * trend, earlier regressors), to R's lm tolerance.  Returns how many,
 * (size_t)-1 when out of memory. */
size_t tsf_arima_aliased(const tsf_arima *a, const double *y, size_t n, const double *X,
                         int *drop);

/* Allocates the coefficient arrays for the current order and regflags. */
tsf_status tsf_arima_alloc_coef(tsf_arima *a, const char *const *unames);

/* Fits coef/se/sigma2/loglik for a->method on y with the regression
 * matrix X (a->nreg columns); a->nobs must be set. */
tsf_status tsf_arima_fit_run(tsf_arima *a, const double *y, size_t n, const double *X);

/* --- arima_io.c --- */
tsf_status tsf_arima_save(const void *impl, tsf_st *doc);
tsf_status tsf_arima_load(const tsf_st *doc, void **impl);

#endif
