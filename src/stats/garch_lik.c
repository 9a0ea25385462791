/* GARCH log-likelihood and its analytic gradient.
 *
 * eps_t = r_t - mu - sum ar_i r_{t-i} - sum ma_j eps_{t-j}   (t >= zstart; 0 before)
 * h_t   = omega + sum_i (alpha_i + gamma_i [eps_{t-i} < 0]) eps_{t-i}^2
 *               + sum_j beta_j h_{t-j}                        (t >= max(p,q))
 * h_t   = h0 = omega + persistence * mean(eps^2)              (t <  max(p,q))
 * l_t   = log f(eps_t^2 / h_t) - log(h_t) / 2
 *
 * The derivatives follow the forward recursions of Fiorentini, Calzolari
 * & Panattoni (1996, J. Appl. Econometrics 11, eqs. 5-8): d eps_t and
 * d h_t are propagated with the same filters as eps_t and h_t, including
 * the dependence of h0 on the parameters through mean(eps^2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "stats/garch.h"

struct tsf_garch_ws {
    size_t n;
    double *eps, *de, *h, *dh, *dh0, *dM, *gt;
};

void tsf_garch_layout_init(tsf_garch_layout *L, int p, int q, int P, int Q, int has_mu, int gjr,
                           int t)
{
    memset(L, 0, sizeof *L);
    L->p = p;
    L->q = q;
    L->P = P;
    L->Q = Q;
    L->has_mu = has_mu;
    L->gjr = gjr;
    L->t = t;
    int k = 0;
    L->mu = has_mu ? k++ : -1;
    L->ar = k;
    k += P;
    L->ma = k;
    k += Q;
    L->nmean = k;
    if (P + Q > 0) {
        int mo = p > q ? p : q;
        mo = mo > P ? mo : P;
        L->zstart = mo > Q ? mo : Q;
    }
    L->omega = k++;
    L->alpha = k;
    k += p;
    L->gamma = gjr ? k : -1;
    if (gjr) k += p;
    L->beta = k;
    k += q;
    L->shape = t ? k++ : -1;
    L->npar = k;
}

double tsf_garch_persistence(const tsf_garch_layout *L, const double *theta)
{
    double s = 0.0;
    for (int i = 0; i < L->p; i++) {
        s += theta[L->alpha + i];
        if (L->gjr) s += 0.5 * theta[L->gamma + i];
    }
    for (int j = 0; j < L->q; j++) s += theta[L->beta + j];
    return s;
}

tsf_status tsf_garch_ws_new(const tsf_garch_layout *L, size_t n, tsf_garch_ws **out)
{
    *out = NULL;
    tsf_garch_ws *w = calloc(1, sizeof *w);
    size_t nn = n ? n : 1, np = (size_t)L->npar, nm = L->nmean ? (size_t)L->nmean : 1;
    if (!w || !(w->eps = malloc(nn * sizeof *w->eps)) || !(w->h = malloc(nn * sizeof *w->h)) ||
        !(w->de = malloc(nn * nm * sizeof *w->de)) || !(w->dh = malloc(nn * np * sizeof *w->dh)) ||
        !(w->dh0 = malloc(np * sizeof *w->dh0)) || !(w->dM = malloc(nm * sizeof *w->dM)) ||
        !(w->gt = malloc(np * sizeof *w->gt))) {
        tsf_garch_ws_free(w);
        return tsf_set_error(TSF_ENOMEM, "out of memory for a GARCH fit of %zu returns", n);
    }
    w->n = n;
    *out = w;
    return TSF_OK;
}

void tsf_garch_ws_free(tsf_garch_ws *w)
{
    if (!w) return;
    free(w->eps);
    free(w->de);
    free(w->h);
    free(w->dh);
    free(w->dh0);
    free(w->dM);
    free(w->gt);
    free(w);
}

/* log c(nu) of the standardised t density
 * f(z) = c(nu) (1 + z^2/(nu-2))^(-(nu+1)/2), and d log c / d nu. */
static double t_logc(double nu)
{
    return gsl_sf_lngamma(0.5 * (nu + 1.0)) - gsl_sf_lngamma(0.5 * nu) -
           0.5 * log(M_PI * (nu - 2.0));
}

static double t_dlogc(double nu)
{
    return 0.5 * gsl_sf_psi(0.5 * (nu + 1.0)) - 0.5 * gsl_sf_psi(0.5 * nu) - 0.5 / (nu - 2.0);
}

double tsf_garch_logc(const tsf_garch_layout *L, const double *theta)
{
    return L->t ? t_logc(theta[L->shape]) : -0.5 * log(2.0 * M_PI);
}

/* Pass 1: residuals, their derivatives with respect to the mean
 * parameters, mean(eps^2) and its derivative. */
static double mean_pass(const tsf_garch_layout *L, const double *th, const double *r, size_t n,
                        tsf_garch_ws *w, int deriv)
{
    size_t nm = (size_t)L->nmean, P = (size_t)L->P, Q = (size_t)L->Q;
    double mu = L->has_mu ? th[L->mu] : 0.0, M = 0.0;
    const double *ar = th + L->ar, *ma = th + L->ma;
    if (deriv)
        for (size_t k = 0; k < nm; k++) w->dM[k] = 0.0;
    for (size_t t = 0; t < n; t++) {
        double *de = w->de + t * nm;
        if (t < (size_t)L->zstart) {
            w->eps[t] = 0.0;
            if (deriv)
                for (size_t k = 0; k < nm; k++) de[k] = 0.0;
            continue;
        }
        double e = r[t] - mu;
        for (size_t i = 0; i < P; i++) e -= ar[i] * r[t - 1 - i];
        for (size_t j = 0; j < Q && j < t; j++) e -= ma[j] * w->eps[t - 1 - j];
        w->eps[t] = e;
        M += e * e;
        if (!deriv) continue;
        if (L->has_mu) de[L->mu] = -1.0;
        for (size_t i = 0; i < P; i++) de[(size_t)L->ar + i] = -r[t - 1 - i];
        for (size_t j = 0; j < Q; j++) de[(size_t)L->ma + j] = j < t ? -w->eps[t - 1 - j] : 0.0;
        for (size_t j = 0; j < Q && j < t; j++) {
            const double *dp = w->de + (t - 1 - j) * nm;
            for (size_t k = 0; k < nm; k++) de[k] -= ma[j] * dp[k];
        }
        for (size_t k = 0; k < nm; k++) w->dM[k] += 2.0 * e * de[k];
    }
    if (deriv)
        for (size_t k = 0; k < nm; k++) w->dM[k] /= (double)n;
    return M / (double)n;
}

tsf_status tsf_garch_lik(const tsf_garch_layout *L, const double *th, const double *r, size_t n,
                         tsf_garch_ws *w, double *llp, double *grad, double *scores, double *h0p)
{
    int deriv = grad || scores;
    size_t np = (size_t)L->npar, nm = (size_t)L->nmean, p = (size_t)L->p, q = (size_t)L->q;
    size_t m = p > q ? p : q;
    double M = mean_pass(L, th, r, n, w, deriv);
    double omega = th[L->omega], pers = tsf_garch_persistence(L, th);
    const double *alpha = th + L->alpha, *beta = th + L->beta;
    const double *gamma = L->gjr ? th + L->gamma : NULL;
    double h0 = omega + pers * M;
    if (h0p) *h0p = h0;
    if (deriv) {
        for (size_t k = 0; k < np; k++) w->dh0[k] = 0.0;
        for (size_t k = 0; k < nm; k++) w->dh0[k] = pers * w->dM[k];
        w->dh0[L->omega] = 1.0;
        for (size_t i = 0; i < p; i++) {
            w->dh0[(size_t)L->alpha + i] = M;
            if (gamma) w->dh0[(size_t)L->gamma + i] = 0.5 * M;
        }
        for (size_t j = 0; j < q; j++) w->dh0[(size_t)L->beta + j] = M;
        if (grad)
            for (size_t k = 0; k < np; k++) grad[k] = 0.0;
    }
    double nu = L->t ? th[L->shape] : 0.0, logc = 0.0, dlogc = 0.0;
    if (L->t) {
        if (!(nu > 2.0) || !isfinite(nu))
            return tsf_set_error(TSF_EDOMAIN, "garch: shape %g must exceed 2", nu);
        if (deriv) dlogc = t_dlogc(nu);
    }
    logc = tsf_garch_logc(L, th);
    double ll = 0.0;
    for (size_t t = 0; t < n; t++) {
        double *dh = w->dh + t * np;
        double ht;
        if (t < m) {
            ht = h0;
            if (deriv) memcpy(dh, w->dh0, np * sizeof *dh);
        } else {
            ht = omega;
            for (size_t i = 0; i < p; i++) {
                double e = w->eps[t - 1 - i], a = alpha[i];
                if (gamma && e < 0.0) a += gamma[i];
                ht += a * e * e;
            }
            for (size_t j = 0; j < q; j++) ht += beta[j] * w->h[t - 1 - j];
            if (deriv) {
                /* sum_j beta_j dh_{t-j}, then the direct terms */
                if (q) {
                    const double *dhp = w->dh + (t - 1) * np;
                    for (size_t k = 0; k < np; k++) dh[k] = beta[0] * dhp[k];
                } else {
                    for (size_t k = 0; k < np; k++) dh[k] = 0.0;
                }
                for (size_t j = 1; j < q; j++) {
                    const double *dhp = w->dh + (t - 1 - j) * np;
                    for (size_t k = 0; k < np; k++) dh[k] += beta[j] * dhp[k];
                }
                for (size_t j = 0; j < q; j++) dh[(size_t)L->beta + j] += w->h[t - 1 - j];
                dh[L->omega] += 1.0;
                for (size_t i = 0; i < p; i++) {
                    double e = w->eps[t - 1 - i], a = alpha[i];
                    const double *dep = w->de + (t - 1 - i) * nm;
                    dh[(size_t)L->alpha + i] += e * e;
                    if (gamma && e < 0.0) {
                        a += gamma[i];
                        dh[(size_t)L->gamma + i] += e * e;
                    }
                    for (size_t k = 0; k < nm; k++) dh[k] += 2.0 * a * e * dep[k];
                }
            }
        }
        if (!(ht > 0.0) || !isfinite(ht))
            return tsf_set_error(TSF_EDOMAIN, "garch: conditional variance %g at observation %zu",
                                 ht, t + 1);
        w->h[t] = ht;
        double e = w->eps[t], z2 = e * e / ht, lf, dlf; /* dlf = d log f / d z^2 */
        if (L->t) {
            lf = logc - 0.5 * (nu + 1.0) * log1p(z2 / (nu - 2.0));
            dlf = -0.5 * (nu + 1.0) / (nu - 2.0 + z2);
        } else {
            lf = logc - 0.5 * z2;
            dlf = -0.5;
        }
        ll += lf - 0.5 * log(ht);
        if (!deriv) continue;
        /* l_t as a function of h_t and eps_t (z^2 = eps^2 / h) */
        double lh = -0.5 / ht - dlf * z2 / ht, le = dlf * 2.0 * e / ht;
        const double *de = w->de + t * nm;
        double *g = scores ? scores + t * np : w->gt;
        for (size_t k = 0; k < nm; k++) g[k] = lh * dh[k] + le * de[k];
        for (size_t k = nm; k < np; k++) g[k] = lh * dh[k];
        if (L->t)
            g[L->shape] += dlogc - 0.5 * log1p(z2 / (nu - 2.0)) +
                           0.5 * (nu + 1.0) * z2 / ((nu - 2.0) * (nu - 2.0 + z2));
        if (grad)
            for (size_t k = 0; k < np; k++) grad[k] += g[k];
    }
    if (!isfinite(ll)) return tsf_set_error(TSF_EDOMAIN, "garch: log-likelihood not finite");
    *llp = ll;
    return TSF_OK;
}
