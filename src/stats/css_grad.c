/* Gradient of the conditional sum of squares by the adjoint (reverse)
 * recursion: one backward pass over the residual recursion gives the
 * derivatives with respect to every coefficient at once (the reverse-mode
 * form of Box & Jenkins 1976, sec. 7.2's derivative recursions), where
 * finite differences need one residual pass per coefficient.
 *
 * Forward (tsf_arima_css): for t >= ncond where z_t = w_t - sum phi_i w_{t-i}
 * exists, e_t = z_t - sum_{1 <= j <= min(qf, t - ncond)} theta_j e_{t-j};
 * e_t = 0 elsewhere.  S = sum e_t^2 over the counted t.
 * Adjoint r_t = dS/de_t (0 where e_t is not counted):
 *   r_t = 2 e_t - sum_{j <= qf, t + j < n} theta_j r_{t+j},
 * then dS/dphi_i = -sum r_t w_{t-i}, dS/dtheta_j = -sum r_t e_{t-j},
 * dS/dbeta = -sum r_t (Phi(B) Delta(B) X)_t. */
#include <math.h>
#include <string.h>
#include "stats/arima_impl.h"

int tsf_arima_css_grad(const tsf_arima_order *o, const double *arma, const double *phi,
                       size_t pf, const double *theta, size_t qf, const double *w,
                       const double *e, size_t n, size_t ncond, const double *X, size_t k,
                       const double *delta, size_t nd, double *work, double *g)
{
    size_t p = (size_t)o->p, q = (size_t)o->q, P = (size_t)o->P, Q = (size_t)o->Q,
           s = (size_t)o->s;
    if (ncond < nd + pf) ncond = nd + pf; /* as tsf_arima_css */
    double *r = work, *dx = work + n;
    double gphi[TSF_ARIMA_MAXPAR * 16 + 64], gth[TSF_ARIMA_MAXPAR * 16 + 64];
    if (pf > sizeof gphi / sizeof *gphi || qf > sizeof gth / sizeof *gth) return 0;
    /* counted[t]: w_t .. w_{t-pf} all exist (z_t is not NaN) */
    size_t lastnan = (size_t)-1;
    for (size_t t = 0; t < n; t++) {
        if (isnan(w[t]) && t >= nd) lastnan = t;
        r[t] = (t >= ncond && (lastnan == (size_t)-1 || t - lastnan > pf)) ? 1.0 : 0.0;
    }
    /* w_t is NaN for t < nd by construction (no lags); with no other
     * missing value every product below is finite and needs no test */
    int complete = lastnan == (size_t)-1;
    /* only the non-zero MA lags enter the adjoint (seasonal MA
     * polynomials are sparse), and only the lags the factor coefficients
     * reach are needed of the expanded gradients: 1..p, sj, i + sj */
    size_t nzq[TSF_ARIMA_MAXPAR * 16 + 64], nnz = 0;
    for (size_t j = 1; j <= qf; j++)
        if (theta[j - 1] != 0.0) nzq[nnz++] = j;
    double cq[TSF_ARIMA_MAXPAR * 16 + 64];
    for (size_t k = 0; k < nnz; k++) cq[k] = theta[nzq[k] - 1];
    size_t tq = nnz && n > nzq[nnz - 1] ? n - nzq[nnz - 1] : 0; /* t + every lag < n below */
    for (size_t t = n; t-- > ncond;) {
        if (r[t] == 0.0) continue;
        if (t < tq && complete) {
            /* every later t counts: the tight recursion down to ncond */
            for (size_t u = t + 1; u-- > ncond;)
                r[u] = 2.0 * e[u] - tsf_css_lagsum(r + u, cq, nzq, nnz, 1);
            break;
        }
        double v = 2.0 * e[t];
        for (size_t k = 0; k < nnz && t + nzq[k] < n; k++) v -= cq[k] * r[t + nzq[k]];
        r[t] = v;
    }
    unsigned char needp[TSF_ARIMA_MAXPAR * 16 + 64], needq[TSF_ARIMA_MAXPAR * 16 + 64];
    memset(needp, 0, pf + 1);
    memset(needq, 0, qf + 1);
    for (size_t j = 0; j <= P; j++)
        for (size_t i = 0; i <= p; i++)
            if (i + s * j >= 1 && i + s * j <= pf) needp[i + s * j] = 1;
    for (size_t j = 0; j <= Q; j++)
        for (size_t i = 0; i <= q; i++)
            if (i + s * j >= 1 && i + s * j <= qf) needq[i + s * j] = 1;
    for (size_t i = 1; i <= pf; i++) {
        double acc = 0.0;
        if (needp[i] && complete)
            for (size_t t = ncond; t < n; t++) acc -= r[t] * w[t - i];
        else if (needp[i])
            for (size_t t = ncond; t < n; t++)
                if (r[t] != 0.0) acc -= r[t] * w[t - i];
        gphi[i - 1] = acc;
    }
    for (size_t j = 1; j <= qf; j++) {
        double acc = 0.0;
        if (needq[j])
            for (size_t t = ncond + j; t < n; t++) acc -= r[t] * e[t - j];
        gth[j - 1] = acc;
    }
    /* expanded -> factor coefficients: phi_k = a_k + A_j[k = sj] - a_i A_j[k = i + sj],
     * theta_k = b_k + B_j[k = sj] + b_i B_j[k = i + sj] (tsf_arima_expand) */
    const double *a = arma, *b = arma + p, *A = arma + p + q, *B = arma + p + q + P;
    double *ga = g, *gb = g + p, *gA = g + p + q, *gB = g + p + q + P;
    for (size_t i = 1; i <= p; i++) {
        double v = gphi[i - 1];
        for (size_t j = 1; j <= P; j++) v -= A[j - 1] * gphi[i + s * j - 1];
        ga[i - 1] = v;
    }
    for (size_t j = 1; j <= P; j++) {
        double v = gphi[s * j - 1];
        for (size_t i = 1; i <= p; i++) v -= a[i - 1] * gphi[i + s * j - 1];
        gA[j - 1] = v;
    }
    for (size_t i = 1; i <= q; i++) {
        double v = gth[i - 1];
        for (size_t j = 1; j <= Q; j++) v += B[j - 1] * gth[i + s * j - 1];
        gb[i - 1] = v;
    }
    for (size_t j = 1; j <= Q; j++) {
        double v = gth[s * j - 1];
        for (size_t i = 1; i <= q; i++) v += b[i - 1] * gth[i + s * j - 1];
        gB[j - 1] = v;
    }
    double *gbeta = g + p + q + P + Q;
    for (size_t c = 0; c < k; c++) {
        const double *xc = X + c * n;
        for (size_t t = nd; t < n; t++) {
            double v = xc[t];
            for (size_t i = 0; i < nd; i++) v -= delta[i] * xc[t - 1 - i];
            dx[t] = v;
        }
        double acc = 0.0;
        for (size_t t = ncond; t < n; t++) {
            if (r[t] == 0.0) continue;
            double v = dx[t];
            for (size_t i = 1; i <= pf; i++) v -= phi[i - 1] * dx[t - i];
            acc -= r[t] * v;
        }
        gbeta[c] = acc;
    }
    for (size_t i = 0; i < p + q + P + Q + k; i++)
        if (!isfinite(g[i])) return 0;
    return 1;
}
