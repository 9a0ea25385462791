/* Conditional sum of squares of an ARIMA (Box & Jenkins 1976, sec. 7.1):
 * the starting values of R's default CSS-ML method and the CSS method. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats/arima_impl.h"

/* Indices (0-based lags - 1) of the non-zero entries of c[0..m): seasonal
 * polynomials are sparse.  0 when they do not fit in cap. */
static int nonzeros(const double *c, size_t m, size_t *idx, size_t cap, size_t *cnt)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (c[i] != 0.0) {
            if (k == cap) return 0;
            idx[k++] = i;
        }
    *cnt = k;
    return 1;
}

#define CSS_NZ_CAP 64

void tsf_arima_css(const double *x, size_t n, const double *delta, size_t nd,
                   const double *phi, size_t pf, const double *theta, size_t qf,
                   size_t ncond, double *w, double *e, double *ssq, size_t *nu)
{
    tsf_arima_css_w(x, n, delta, nd, phi, pf, theta, qf, ncond, w, 0, e, ssq, nu);
}

void tsf_arima_css_w(const double *x, size_t n, const double *delta, size_t nd,
                     const double *phi, size_t pf, const double *theta, size_t qf,
                     size_t ncond, double *w, int w_ready, double *e, double *ssq, size_t *nu)
{
    if (ncond < nd + pf) ncond = nd + pf; /* every lag must exist */
    /* Only the non-zero coefficients are applied; a missing value still
     * makes every w and innovation within reach of its lags unknown, as
     * the dense recursions (0 * NaN) would: w_t needs x_{t-nd..t}, z_t
     * needs w_{t-pf..t}. */
    size_t id[CSS_NZ_CAP], ip[CSS_NZ_CAP], iq[CSS_NZ_CAP], nid, nip, niq;
    if (!nonzeros(delta, nd, id, CSS_NZ_CAP, &nid) || !nonzeros(phi, pf, ip, CSS_NZ_CAP, &nip) ||
        !nonzeros(theta, qf, iq, CSS_NZ_CAP, &niq)) {
        nid = nd;
        nip = pf;
        niq = qf;
        for (size_t i = 0; i < nd && i < CSS_NZ_CAP; i++) id[i] = i;
        if (nd > CSS_NZ_CAP || pf > CSS_NZ_CAP || qf > CSS_NZ_CAP) {
            /* long dense polynomials: fall back to index-free loops */
            nid = nip = niq = (size_t)-1;
        } else {
            for (size_t i = 0; i < pf; i++) ip[i] = i;
            for (size_t i = 0; i < qf; i++) iq[i] = i;
        }
    }
    /* w_t = x_t - sum_i delta_i x_{t-i}: the differenced series (kept
     * from the previous call when x is unchanged) */
    size_t lastnan = (size_t)-1; /* latest missing x (then w) seen */
    for (size_t t = 0; t < n && !w_ready; t++) {
        if (isnan(x[t])) lastnan = t;
        if (t < nd || (lastnan != (size_t)-1 && t - lastnan <= nd)) {
            w[t] = NAN;
            continue;
        }
        double v = x[t];
        if (nid == (size_t)-1)
            for (size_t i = 0; i < nd; i++) v -= delta[i] * x[t - 1 - i];
        else
            for (size_t k = 0; k < nid; k++) v -= delta[id[k]] * x[t - 1 - id[k]];
        w[t] = v;
    }
    double s = 0.0;
    size_t cnt = 0;
    if (nip != (size_t)-1 && ncond < n) {
        int complete = 1;
        for (size_t t = nd; t < n; t++) complete &= !isnan(w[t]);
        if (complete) {
            /* no missing value: z_t = w_t - sum phi_i w_{t-i} for every t
             * (independent across t), then the MA recursion in place; the
             * lag bounds only bind before tq */
            double cp[CSS_NZ_CAP], cq[CSS_NZ_CAP];
            size_t lp[CSS_NZ_CAP], lq[CSS_NZ_CAP];
            for (size_t k = 0; k < nip; k++) cp[k] = phi[ip[k]], lp[k] = ip[k] + 1;
            for (size_t k = 0; k < niq; k++) cq[k] = theta[iq[k]], lq[k] = iq[k] + 1;
            memset(e, 0, ncond * sizeof *e);
            for (size_t t = ncond; t < n; t++) {
                double v = w[t];
                for (size_t k = 0; k < nip; k++) v -= cp[k] * w[t - lp[k]];
                e[t] = v;
            }
            size_t tq = ncond + (niq ? lq[niq - 1] : 0);
            if (tq > n) tq = n;
            for (size_t t = ncond; t < tq; t++) {
                double v = e[t];
                for (size_t k = 0; k < niq && t - ncond >= lq[k]; k++) v -= cq[k] * e[t - lq[k]];
                e[t] = v;
                s += v * v;
            }
            for (size_t t = tq; t < n; t++) {
                double v = e[t] - tsf_css_lagsum(e + t, cq, lq, niq, -1);
                e[t] = v;
                s += v * v;
            }
            *ssq = s;
            *nu = n - ncond;
            return;
        }
    }
    lastnan = (size_t)-1;
    for (size_t t = 0; t < n; t++) {
        if (isnan(w[t])) lastnan = t;
        if (t < ncond) {
            e[t] = 0.0;
            continue;
        }
        /* A missing value leaves its innovation unknown: it does not count
         * and enters later MA terms as its expectation, zero. */
        if (lastnan != (size_t)-1 && t - lastnan <= pf) {
            e[t] = 0.0;
            continue;
        }
        double v = w[t];
        size_t qm = t - ncond < qf ? t - ncond : qf;
        if (nip == (size_t)-1) {
            for (size_t i = 0; i < pf; i++) v -= phi[i] * w[t - 1 - i];
            for (size_t j = 0; j < qm; j++) v -= theta[j] * e[t - 1 - j];
        } else {
            for (size_t k = 0; k < nip; k++) v -= phi[ip[k]] * w[t - 1 - ip[k]];
            for (size_t k = 0; k < niq && iq[k] < qm; k++) v -= theta[iq[k]] * e[t - 1 - iq[k]];
        }
        if (isnan(v)) {
            e[t] = 0.0;
            continue;
        }
        e[t] = v;
        s += v * v;
        cnt++;
    }
    *ssq = s;
    *nu = cnt;
}

/* e_t = z_t - sum_{j in nz} Theta_j e_{t-j}, t >= ncond, with e = 0
 * before ncond and where z is missing (NaN): the MA filter of the CSS
 * residuals, with Theta's non-zero lags only (seasonal MA polynomials are
 * sparse). */
static void ma_filter(const double *z, const double *mask, size_t n, const double *theta,
                      const size_t *nz, size_t nnz, size_t ncond, double *e)
{
    /* up to tq some lags reach before ncond (where e = 0); after it none */
    size_t tq = ncond + (nnz ? nz[nnz - 1] + 1 : 0);
    for (size_t t = 0; t < n && t < tq; t++) {
        if (t < ncond || isnan(mask[t])) {
            e[t] = 0.0;
            continue;
        }
        double v = z[t];
        for (size_t k = 0; k < nnz; k++) {
            size_t j = nz[k] + 1;
            if (t >= ncond + j) v -= theta[j - 1] * e[t - j];
        }
        e[t] = v;
    }
    if (nnz == 1) {
        size_t j = nz[0] + 1;
        double th = theta[j - 1];
        for (size_t t = tq; t < n; t++) e[t] = isnan(mask[t]) ? 0.0 : z[t] - th * e[t - j];
        return;
    }
    for (size_t t = tq; t < n; t++) {
        if (isnan(mask[t])) {
            e[t] = 0.0;
            continue;
        }
        double v = z[t];
        for (size_t k = 0; k < nnz; k++) {
            size_t j = nz[k] + 1;
            v -= theta[j - 1] * e[t - j];
        }
        e[t] = v;
    }
}

/* The same filter, in place, on ncol columns of length n at once: the
 * recursions are independent, so interleaving them hides the latency of
 * each one's dependency chain. */
static void ma_filter_cols(double *Z, size_t ncol, const double *mask, size_t n,
                           const double *theta, const size_t *nz, size_t nnz, size_t ncond)
{
    size_t tq = ncond + (nnz ? nz[nnz - 1] + 1 : 0);
    for (size_t t = 0; t < n; t++) {
        if (t < ncond || isnan(mask[t])) {
            for (size_t c = 0; c < ncol; c++) Z[c * n + t] = 0.0;
            continue;
        }
        if (t >= tq) {
            for (size_t k = 0; k < nnz; k++) {
                size_t j = nz[k] + 1;
                double th = theta[j - 1];
                for (size_t c = 0; c < ncol; c++) Z[c * n + t] -= th * Z[c * n + t - j];
            }
            continue;
        }
        for (size_t k = 0; k < nnz; k++) {
            size_t j = nz[k] + 1;
            if (t < ncond + j) break;
            double th = theta[j - 1];
            for (size_t c = 0; c < ncol; c++) Z[c * n + t] -= th * Z[c * n + t - j];
        }
    }
}

tsf_status tsf_arima_css_jac(const tsf_arima_order *o, const double *arma, const double *x,
                             size_t n, const double *X, size_t k, const double *delta, size_t nd,
                             size_t ncond, double *work, double *e, double *J, double *ssq,
                             size_t *nu)
{
    size_t p = (size_t)o->p, q = (size_t)o->q, P = (size_t)o->P, Q = (size_t)o->Q, s = (size_t)o->s;
    size_t pf = p + s * P, qf = q + s * Q, narma = p + q + P + Q;
    if (ncond < nd + pf) ncond = nd + pf; /* every lag must exist */
    const double *a = arma, *b = arma + p, *A = arma + p + q, *Bs = arma + p + q + P;
    double *w = work, *u = w + n, *v = u + n, *f = v + n, *dx = f + n, *zb = dx + n;
    double *phi = zb + n, *theta = phi + pf + 1;
    size_t nzbuf[TSF_ARIMA_MAX_PQ * 2 + 2], *nz = nzbuf;
    size_t *nzalloc = NULL;
    tsf_status st = TSF_OK;
    if (qf + 1 > sizeof nzbuf / sizeof *nzbuf) {
        nz = nzalloc = malloc((qf + 1) * sizeof *nz);
        if (!nz) return tsf_set_error(TSF_ENOMEM, "out of memory in the CSS fit");
    }
    tsf_arima_expand(o, arma, phi, theta);
    size_t nnz = 0;
    for (size_t j = 0; j < qf; j++)
        if (theta[j] != 0.0) nz[nnz++] = j;
    /* w = delta(B) x; u = (1 - A(B^s)) w; v = (1 - a(B)) w; z = Phi(B) w,
     * each where all its lags exist (NaN before) */
    for (size_t t = 0; t < n; t++) {
        if (t < nd) {
            w[t] = NAN;
            continue;
        }
        double val = x[t];
        for (size_t i = 0; i < nd; i++) val -= delta[i] * x[t - 1 - i];
        w[t] = val;
    }
    for (size_t t = 0; t < n; t++) {
        double zz = NAN;
        if (P && J) {
            double uu = NAN, vv = NAN;
            if (t >= nd + s * P) {
                uu = w[t];
                for (size_t j = 1; j <= P; j++) uu -= A[j - 1] * w[t - s * j];
            }
            if (t >= nd + p) {
                vv = w[t];
                for (size_t i = 1; i <= p; i++) vv -= a[i - 1] * w[t - i];
            }
            u[t] = uu;
            v[t] = vv;
        }
        if (t >= ncond) {
            zz = w[t];
            for (size_t i = 1; i <= pf; i++) zz -= phi[i - 1] * w[t - i];
        }
        zb[t] = zz;
    }
    ma_filter(zb, zb, n, theta, nz, nnz, ncond, e);
    double sum = 0.0;
    size_t cnt = 0;
    for (size_t t = ncond; t < n; t++)
        if (!isnan(zb[t])) {
            sum += e[t] * e[t];
            cnt++;
        }
    *ssq = sum;
    *nu = cnt;
    if (!J) goto done;
    /* Column c of J = d e / d param_c: the MA filter applied to the
     * derivative of its input plus the derivative of the MA polynomial
     * acting on e. */
    size_t c = 0;
    const double *uu = P ? u : w; /* (1 - A(B^s)) w */
    for (size_t i = 1; i <= p; i++, c++) {
        for (size_t t = 0; t < n; t++) J[c * n + t] = t >= ncond && t >= i ? -uu[t - i] : 0.0;
    }
    for (size_t i = 1; i <= q; i++, c++) {
        for (size_t t = 0; t < n; t++) {
            double val = 0.0;
            if (t >= ncond + i) val -= e[t - i];
            for (size_t j = 1; j <= Q; j++)
                if (t >= ncond + s * j + i) val -= Bs[j - 1] * e[t - s * j - i];
            J[c * n + t] = val;
        }
    }
    for (size_t j = 1; j <= P; j++, c++) {
        for (size_t t = 0; t < n; t++) J[c * n + t] = t >= ncond && t >= s * j ? -v[t - s * j] : 0.0;
    }
    for (size_t j = 1; j <= Q; j++, c++) {
        for (size_t t = 0; t < n; t++) {
            double val = 0.0;
            if (t >= ncond + s * j) val -= e[t - s * j];
            for (size_t i = 1; i <= q; i++)
                if (t >= ncond + s * j + i) val -= b[i - 1] * e[t - s * j - i];
            J[c * n + t] = val;
        }
    }
    for (size_t r = 0; r < k; r++, c++) {
        const double *xr = X + r * n;
        for (size_t t = 0; t < n; t++) {
            double val = t < nd ? NAN : xr[t];
            for (size_t i = 0; t >= nd && i < nd; i++) val -= delta[i] * xr[t - 1 - i];
            dx[t] = val;
        }
        for (size_t t = 0; t < n; t++) {
            if (t < ncond) {
                J[c * n + t] = 0.0;
                continue;
            }
            double val = dx[t];
            for (size_t i = 1; i <= pf; i++) val -= phi[i - 1] * dx[t - i];
            J[c * n + t] = -val;
        }
    }
    (void)narma;
    ma_filter_cols(J, c, zb, n, theta, nz, nnz, ncond);
done:
    free(nzalloc);
    return st;
}
