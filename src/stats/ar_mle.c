/* Exact Gaussian maximum likelihood AR fit with unknown mean, as R's
 * ar.mle: for each order the likelihood (ar_exact.h) is maximised over
 * the partial autocorrelations, mapped through tanh so that every trial
 * model is stationary (Jones 1980; Monahan 1984), and the mean; the
 * innovation variance is concentrated out (sigma2 = S / n).  var.pred is
 * the ML sigma2 and x.mean the ML mean, as R reports them; AIC_k =
 * -2 log L_k + 2 k.  Optimiser: GSL BFGS2 with central-difference
 * gradients, started from the Yule-Walker estimates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include "acf.h"
#include "ar_est.h"
#include "ar_exact.h"
#include "levinson.h"
#include "core/internal.h"

typedef struct {
    const double *y;
    size_t n, p;
    double ybar, scale; /* mean = ybar + scale * theta[p] */
    double *x, *kappa, *table;
    double *wbuf;       /* p + 1: the gradient's trial point */
} mle_ctx;

/* -2 log L / n without the constant log(2 pi) + 1, sigma2 concentrated. */
static double objective(const gsl_vector *th, void *vctx)
{
    mle_ctx *c = vctx;
    for (size_t j = 0; j < c->p; j++) c->kappa[j] = tanh(gsl_vector_get(th, j));
    double mu = c->ybar + c->scale * gsl_vector_get(th, c->p);
    for (size_t t = 0; t < c->n; t++) c->x[t] = c->y[t] - mu;
    double S, L;
    tsf_ar_exact_terms(c->kappa, c->p, c->x, c->n, c->table, &S, &L);
    if (!(S > 0.0)) return GSL_POSINF;
    double f = log(S / (double)c->n) + L / (double)c->n;
    return isfinite(f) ? f : GSL_POSINF;
}

static void gradient(const gsl_vector *th, void *vctx, gsl_vector *g)
{
    mle_ctx *c = vctx;
    /* A view on our own buffer: no GSL allocation (whose failure would
     * call GSL's error handler) per gradient. */
    gsl_vector_view wv = gsl_vector_view_array(c->wbuf, th->size);
    gsl_vector *w = &wv.vector;
    gsl_vector_memcpy(w, th);
    for (size_t j = 0; j < th->size; j++) {
        double h = 1e-6 * (1.0 + fabs(gsl_vector_get(th, j)));
        double t0 = gsl_vector_get(th, j);
        gsl_vector_set(w, j, t0 + h);
        double fp = objective(w, vctx);
        gsl_vector_set(w, j, t0 - h);
        double fm = objective(w, vctx);
        gsl_vector_set(w, j, t0);
        double d = (fp - fm) / (2.0 * h);
        gsl_vector_set(g, j, isfinite(d) ? d : 0.0);
    }
}

static void fdf(const gsl_vector *th, void *vctx, double *f, gsl_vector *g)
{
    *f = objective(th, vctx);
    gradient(th, vctx, g);
}

/* Maximises the order-p likelihood; kappa0 start values (p).  Writes the
 * coefficients, mean, sigma2 and log L. */
static tsf_status fit_order(mle_ctx *c, size_t p, const double *kappa0, double *ar,
                            double *mu, double *sigma2, double *ll, int *converged)
{
    c->p = p;
    size_t np = p + 1;
    gsl_vector *th = gsl_vector_alloc(np);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
    if (!th || !s) {
        gsl_vector_free(th);
        gsl_multimin_fdfminimizer_free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory in the AR maximum likelihood fit");
    }
    for (size_t j = 0; j < p; j++) {
        double k = kappa0[j];
        if (k > 0.95) k = 0.95;
        if (k < -0.95) k = -0.95;
        gsl_vector_set(th, j, atanh(k));
    }
    gsl_vector_set(th, p, 0.0);
    gsl_multimin_function_fdf fn = {objective, gradient, fdf, np, c};
    *converged = 0;
    if (isfinite(objective(th, c))) {
        gsl_multimin_fdfminimizer_set(s, &fn, th, 0.05, 0.1);
        for (int it = 0; it < 500; it++) {
            int status = gsl_multimin_fdfminimizer_iterate(s);
            if (status) {
                /* No further progress along the line: at the optimum to the
                 * precision of the finite-difference gradient. */
                *converged = gsl_blas_dnrm2(s->gradient) < 1e-4;
                break;
            }
            if (gsl_multimin_test_gradient(s->gradient, 1e-7) == GSL_SUCCESS) {
                *converged = 1;
                break;
            }
        }
        gsl_vector_memcpy(th, s->x);
    }
    gsl_multimin_fdfminimizer_free(s);
    double f = objective(th, c);
    for (size_t j = 0; j < p; j++) c->kappa[j] = tanh(gsl_vector_get(th, j));
    *mu = c->ybar + c->scale * gsl_vector_get(th, p);
    gsl_vector_free(th);
    if (!isfinite(f))
        return tsf_set_error(TSF_ENOCONV, "ar(method=mle): the likelihood of order %zu could "
                             "not be evaluated; try method=burg", p);
    if (p) tsf_pacf_to_ar(c->kappa, p, ar, NULL);
    double S, L;
    for (size_t t = 0; t < c->n; t++) c->x[t] = c->y[t] - *mu;
    tsf_ar_exact_terms(c->kappa, p, c->x, c->n, c->table, &S, &L);
    *sigma2 = S / (double)c->n;
    *ll = -0.5 * ((double)c->n * (log(2.0 * M_PI * *sigma2) + 1.0) + L);
    return TSF_OK;
}

tsf_status tsf_ar_mle(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e)
{
    size_t K = order_max;
    tsf_status st = tsf_ar_check_complete(TSF_AR_MLE, y, n);
    if (st) return st;
    if (n < tsf_ar_min_obs(TSF_AR_MLE, K)) return tsf_ar_too_short(TSF_AR_MLE, K, n);
    mle_ctx c = {.y = y, .n = n};
    double *gamma = malloc((K + 1) * sizeof *gamma), *v = malloc((K + 1) * sizeof *v);
    double *pacf = malloc((K ? K : 1) * sizeof *pacf), *phi = malloc((K ? K * K : 1) * sizeof *phi);
    double *ar = malloc((K ? K : 1) * sizeof *ar);
    c.x = malloc(n * sizeof *c.x);
    c.kappa = malloc((K ? K : 1) * sizeof *c.kappa);
    c.table = malloc((K * (K + 1) + 1) * sizeof *c.table);
    c.wbuf = malloc((K + 1) * sizeof *c.wbuf);
    if (!gamma || !v || !pacf || !phi || !ar || !c.x || !c.kappa || !c.table || !c.wbuf) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory fitting an AR(%zu) by maximum likelihood", K);
        goto done;
    }
    /* Yule-Walker start values for every order (and the Toeplitz matrix
     * of R's asy.var.coef). */
    if ((st = tsf_acvf(y, n, K, 1, &c.ybar, gamma, NULL))) goto done;
    if ((st = tsf_levinson(gamma, K, phi, pacf, v))) goto done;
    c.scale = sqrt(gamma[0]);
    e->n_used = e->n_obs = n;
    size_t lo = aic ? 0 : K;
    if ((st = tsf_ar_est_alloc_aic(e, lo, K))) goto done;
    for (size_t m = lo; m <= K; m++) {
        double mu, s2, ll;
        int conv;
        if ((st = fit_order(&c, m, pacf, ar, &mu, &s2, &ll, &conv))) goto done;
        e->aic[m - lo] = -2.0 * ll + 2.0 * (double)m;
    }
    size_t p = tsf_ar_est_select(e);
    if ((st = tsf_ar_est_alloc_coef(e, p))) goto done;
    double ll;
    if ((st = fit_order(&c, p, pacf, e->ar, &e->x_mean, &e->var_pred, &ll, &e->converged)))
        goto done;
    e->x_intercept = 0.0;
    st = tsf_ar_toeplitz_se(gamma, p, e->var_pred, n, e->se);
done:
    free(gamma);
    free(v);
    free(pacf);
    free(phi);
    free(ar);
    free(c.x);
    free(c.kappa);
    free(c.table);
    free(c.wbuf);
    return st;
}
