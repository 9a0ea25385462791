/* Kalman filter of the ARIMA state-space form: exact stationary start of
 * the ARMA block, diffuse start of the differenced part, a steady-state
 * switch once the covariance has converged.  See arima_kf.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_kf.h"
#include "core/safetensors.h"

/* Relative change of P_{t+1|t} below which the filter is taken to be in
 * steady state.  The Riccati recursion converges geometrically, so the
 * remaining change summed over all later steps is of this order divided
 * by one minus the rate: negligible next to the 1e-3 loglik tolerance. */
#define STEADY_TOL 1e-13

tsf_status tsf_arima_kf_new(size_t pmax, size_t qmax, size_t nd, tsf_arima_kf **out)
{
    *out = NULL;
    size_t r = pmax > qmax + 1 ? pmax : qmax + 1;
    size_t rd = r + nd;
    tsf_arima_kf *kf = calloc(1, sizeof *kf);
    if (!kf) return tsf_set_error(TSF_ENOMEM, "out of memory for the Kalman filter");
    kf->rcap = r;
    kf->ndcap = nd;
    kf->phi = calloc(r, sizeof(double));
    kf->theta = calloc(r, sizeof(double));
    kf->delta = calloc(nd ? nd : 1, sizeof(double));
    kf->P0 = calloc(r * r, sizeof(double));
    kf->a = calloc(rd, sizeof(double));
    kf->P = calloc(rd * rd, sizeof(double));
    kf->Pold = calloc(rd * rd, sizeof(double));
    kf->M = calloc(rd, sizeof(double));
    kf->work = calloc(2 * rd * rd + 4 * rd, sizeof(double));
    kf->gwork = calloc((r + 2) * (r + 2) + 6 * (r + 2), sizeof(double));
    kf->ipiv = calloc(r + 2, sizeof(int));
    if (!kf->phi || !kf->theta || !kf->delta || !kf->P0 || !kf->a || !kf->P || !kf->Pold ||
        !kf->M || !kf->work || !kf->gwork || !kf->ipiv) {
        tsf_arima_kf_free(kf);
        return tsf_set_error(TSF_ENOMEM, "out of memory for the Kalman filter (state %zu)", rd);
    }
    *out = kf;
    return TSF_OK;
}

tsf_status tsf_arima_kf_clone(const tsf_arima_kf *kf, tsf_arima_kf **out)
{
    /* r = max(rcap, 0 + 1) = rcap: the same workspace sizes */
    tsf_status st = tsf_arima_kf_new(kf->rcap, 0, kf->ndcap, out);
    if (st) return st;
    tsf_arima_kf *c = *out;
    size_t r = kf->rcap, rd = r + kf->ndcap;
    memcpy(c->phi, kf->phi, r * sizeof(double));
    memcpy(c->theta, kf->theta, r * sizeof(double));
    memcpy(c->delta, kf->delta, (kf->ndcap ? kf->ndcap : 1) * sizeof(double));
    memcpy(c->P0, kf->P0, r * r * sizeof(double));
    memcpy(c->a, kf->a, rd * sizeof(double));
    memcpy(c->P, kf->P, rd * rd * sizeof(double));
    memcpy(c->M, kf->M, rd * sizeof(double));
    c->r = kf->r;
    c->nd = kf->nd;
    c->rd = kf->rd;
    c->exact_diffuse = kf->exact_diffuse;
    c->steady = kf->steady;
    c->Fss = kf->Fss;
    return TSF_OK;
}

void tsf_arima_kf_free(tsf_arima_kf *kf)
{
    if (!kf) return;
    free(kf->phi);
    free(kf->theta);
    free(kf->delta);
    free(kf->P0);
    free(kf->a);
    free(kf->P);
    free(kf->Pold);
    free(kf->M);
    free(kf->work);
    free(kf->gwork);
    free(kf->ipiv);
    free(kf->wbuf);
    free(kf);
}

int tsf_arima_ar_stationary(const double *phi, size_t p, double *work)
{
    /* Step-down (inverse Durbin-Levinson) recursion: the AR polynomial is
     * stationary iff every partial autocorrelation has modulus < 1
     * (Monahan 1984). work holds 2p doubles. */
    double *a = work, *b = work + p;
    for (size_t i = 0; i < p; i++) {
        if (!isfinite(phi[i])) return 0;
        a[i] = phi[i];
    }
    for (size_t k = p; k >= 1; k--) {
        double pk = a[k - 1];
        if (!(fabs(pk) < 1.0)) return 0;
        double den = 1.0 - pk * pk;
        for (size_t j = 1; j < k; j++) b[j - 1] = (a[j - 1] + pk * a[k - j - 1]) / den;
        memcpy(a, b, (k - 1) * sizeof *a);
    }
    return 1;
}

/* Autocovariances gamma_0..gamma_r of the ARMA with unit innovation
 * variance: solve the p+1 equations
 *   gamma_k - sum_j phi_j gamma_|k-j| = sum_{j>=k} theta_j psi_{j-k}
 * (Brockwell & Davis 1991, eq. 3.3.8) and extend by the recursion; then
 * the first row of P0 = Cov(x_t, a_t[k]) and the rest from the fixed point
 * P0 = T P0 T' + R R' taken element by element from the bottom right. */
static tsf_status stationary_cov(tsf_arima_kf *kf, size_t p, size_t q)
{
    size_t r = kf->r;
    const double *phi = kf->phi, *theta = kf->theta;
    double *A = kf->gwork;                      /* (p+1)^2 */
    double *psi = A + (r + 2) * (r + 2);        /* r+1 */
    double *gam = psi + (r + 2);                /* r+1 */
    size_t m = p + 1;
    for (size_t j = 0; j <= r; j++) {
        double s = j <= q ? theta[j] : 0.0;
        for (size_t i = 1; i <= p && i <= j; i++) s += phi[i - 1] * psi[j - i];
        psi[j] = s;
    }
    memset(A, 0, m * m * sizeof *A);
    for (size_t k = 0; k <= p; k++) { /* A (column-major): row k, column l at A[l m + k] */
        A[k * m + k] += 1.0;
        for (size_t j = 1; j <= p; j++) {
            size_t l = k > j ? k - j : j - k;
            A[l * m + k] -= phi[j - 1];
        }
        double s = 0.0;
        for (size_t j = k; j <= q; j++) s += theta[j] * psi[j - k];
        gam[k] = s;
    }
    if (p > 0) {
        /* LU by LAPACK's unblocked dgetf2 and two triangular solves: the
         * blocked dgesv of OpenBLAS 0.3.21 hands even a 27 x 27 system to
         * its thread pool, whose wake-ups then cost more than the solve
         * (and compete with the callers' own threads) */
        lapack_int mi = (lapack_int)m, info = 0;
        LAPACK_dgetf2(&mi, &mi, A, &mi, kf->ipiv, &info);
        if (info == 0) {
            for (size_t i = 0; i < m; i++) {
                size_t pi = (size_t)kf->ipiv[i] - 1;
                double t = gam[i];
                gam[i] = gam[pi];
                gam[pi] = t;
            }
            cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasUnit, (int)m, A, (int)m, gam, 1);
            cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m, A, (int)m, gam, 1);
        }
        if (info != 0 || !(gam[0] > 0.0) || !isfinite(gam[0]))
            return tsf_set_error(TSF_EDOMAIN, "the AR part is too close to non-stationarity "
                                 "for its stationary covariance; try differencing (d = 1)");
    }
    for (size_t k = p + 1; k <= r; k++) {
        double s = 0.0;
        for (size_t j = 1; j <= p; j++) s += phi[j - 1] * gam[k - j];
        for (size_t j = k; j <= q; j++) s += theta[j] * psi[j - k];
        gam[k] = s;
    }
    double *P0 = kf->P0;
    P0[0] = gam[0];
    for (size_t k = 1; k < r; k++) {
        double s = 0.0;
        for (size_t mm = 1; mm + k <= r; mm++) s += phi[k + mm - 1] * gam[mm];
        for (size_t mm = 0; mm + k < r; mm++) s += theta[k + mm] * psi[mm];
        P0[k] = P0[k * r] = s;
    }
    for (size_t i = r - 1; i >= 1; i--) {
        for (size_t j = r - 1; j >= i; j--) {
            double pi = phi[i], pj = phi[j];
            double s = pi * pj * gam[0] + theta[i] * theta[j];
            if (j + 1 < r) s += pi * P0[j + 1];
            if (i + 1 < r) s += pj * P0[(i + 1) * r];
            if (i + 1 < r && j + 1 < r) s += P0[(i + 1) * r + j + 1];
            P0[i * r + j] = P0[j * r + i] = s;
        }
    }
    return TSF_OK;
}

tsf_status tsf_arima_kf_set(tsf_arima_kf *kf, const tsf_arima_ss *m)
{
    size_t r = m->p > m->q + 1 ? m->p : m->q + 1;
    if (r > kf->rcap || m->nd > kf->ndcap)
        return tsf_set_error(TSF_EINVAL, "internal: Kalman workspace too small (%zu > %zu)",
                             r, kf->rcap);
    for (size_t i = 0; i < m->p; i++)
        if (!isfinite(m->phi[i])) return tsf_set_error(TSF_EINVAL, "AR coefficient %zu is not finite", i + 1);
    for (size_t i = 0; i < m->q; i++)
        if (!isfinite(m->theta[i])) return tsf_set_error(TSF_EINVAL, "MA coefficient %zu is not finite", i + 1);
    for (size_t i = 0; i < m->nd; i++)
        if (!isfinite(m->delta[i])) return tsf_set_error(TSF_EINVAL, "differencing coefficient %zu is not finite", i + 1);
    if (!tsf_arima_ar_stationary(m->phi, m->p, kf->gwork))
        return tsf_set_error(TSF_EDOMAIN, "the AR part is not stationary (a root of the AR "
                             "polynomial is on or inside the unit circle); difference the series (d = 1)");
    kf->r = r;
    kf->nd = m->nd;
    kf->rd = r + m->nd;
    memset(kf->phi, 0, r * sizeof(double));
    memset(kf->theta, 0, r * sizeof(double));
    if (m->p) memcpy(kf->phi, m->phi, m->p * sizeof(double));
    kf->theta[0] = 1.0;
    for (size_t i = 0; i < m->q; i++) kf->theta[i + 1] = m->theta[i];
    if (m->nd) memcpy(kf->delta, m->delta, m->nd * sizeof(double));
    tsf_status st = stationary_cov(kf, m->p, m->q);
    if (st) return st;
    tsf_arima_kf_reset(kf);
    return TSF_OK;
}

void tsf_arima_kf_reset(tsf_arima_kf *kf)
{
    size_t r = kf->r, rd = kf->rd;
    memset(kf->a, 0, rd * sizeof(double));
    memset(kf->P, 0, rd * rd * sizeof(double));
    for (size_t i = 0; i < r; i++)
        memcpy(kf->P + i * rd, kf->P0 + i * r, r * sizeof(double));
    for (size_t i = r; i < rd; i++) kf->P[i * rd + i] = TSF_ARIMA_KAPPA;
    kf->steady = 0;
    kf->Fss = 0.0;
}

/* out = T u for vectors with strides (T: Harvey ARMA block, then the
 * shift of the lagged observations whose new head is Z'u). */
static inline void apply_T(const tsf_arima_kf *kf, const double *u, size_t su, double *o, size_t so)
{
    size_t r = kf->r, nd = kf->nd;
    const double *phi = kf->phi, *delta = kf->delta;
    double u0 = u[0];
    if (nd) {
        double z = u0;
        for (size_t j = 0; j < nd; j++) z += delta[j] * u[(r + j) * su];
        for (size_t j = nd - 1; j >= 1; j--) o[(r + j) * so] = u[(r + j - 1) * su];
        o[r * so] = z;
    }
    for (size_t i = 0; i + 1 < r; i++) o[i * so] = phi[i] * u0 + u[(i + 1) * su];
    o[(r - 1) * so] = phi[r - 1] * u0;
}

/* P <- T P T' + R R' */
static void predict_cov(const tsf_arima_kf *kf, double *P, double *W)
{
    size_t r = kf->r, rd = kf->rd;
    for (size_t j = 0; j < rd; j++) apply_T(kf, P + j, rd, W + j, rd);
    for (size_t i = 0; i < rd; i++) apply_T(kf, W + i * rd, 1, P + i * rd, 1);
    const double *th = kf->theta;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) P[i * rd + j] += th[i] * th[j];
}

static inline double zdot(const tsf_arima_kf *kf, const double *u)
{
    double z = u[0];
    for (size_t j = 0; j < kf->nd; j++) z += kf->delta[j] * u[kf->r + j];
    return z;
}

static void predict_mean(const tsf_arima_kf *kf, double *a, double *tmp)
{
    apply_T(kf, a, 1, tmp, 1);
    memcpy(a, tmp, kf->rd * sizeof *a);
}

int tsf_arima_kf_step(tsf_arima_kf *kf, double y, double *pred, double *F)
{
    size_t rd = kf->rd;
    double *a = kf->a, *P = kf->P, *M = kf->M, *W = kf->work;
    double *tmp = W + rd * rd;
    if (kf->steady && isnan(y)) kf->steady = 0; /* P still holds P_{t|t-1} */
    if (kf->steady) {
        double pr = zdot(kf, a);
        *pred = pr;
        *F = kf->Fss;
        double k = (y - pr) / kf->Fss;
        for (size_t i = 0; i < rd; i++) a[i] += M[i] * k;
        predict_mean(kf, a, tmp);
        return 1;
    }
    for (size_t i = 0; i < rd; i++) M[i] = zdot(kf, P + i * rd);
    double f = zdot(kf, M);
    double pr = zdot(kf, a);
    *pred = pr;
    *F = f;
    int contrib = 0;
    if (!isnan(y)) {
        memcpy(kf->Pold, P, rd * rd * sizeof *P);
        contrib = kf->nd == 0 || f < TSF_ARIMA_DIFFUSE_F;
        double k = (y - pr) / f;
        for (size_t i = 0; i < rd; i++) a[i] += M[i] * k;
        for (size_t i = 0; i < rd; i++) {
            double mi = M[i] / f;
            for (size_t j = 0; j < rd; j++) P[i * rd + j] -= mi * M[j];
        }
    }
    predict_mean(kf, a, tmp);
    predict_cov(kf, P, W);
    if (contrib) {
        double dmax = 0.0, pmax = 1.0;
        for (size_t i = 0; i < rd * rd; i++) {
            double d = fabs(P[i] - kf->Pold[i]);
            if (d > dmax) dmax = d;
            if (fabs(P[i]) > pmax) pmax = fabs(P[i]);
        }
        if (dmax <= STEADY_TOL * pmax) {
            for (size_t i = 0; i < rd; i++) M[i] = zdot(kf, P + i * rd);
            kf->Fss = zdot(kf, M);
            kf->steady = kf->nd == 0 || kf->Fss < TSF_ARIMA_DIFFUSE_F;
        }
    }
    return contrib;
}

/* The filter's state after the first nd observations x[0..nd), all
 * present, in closed form: O(nd^3 + r^2 nd) instead of nd steps of the
 * augmented filter, O((r + nd)^2) each.  With the initial lags
 * L = (x_0, x_{-1}, ..., x_{1-nd}) ~ N(0, kappa I), the first nd
 * observations give
 *   wt_t = x_t - sum_{j<t} delta_j x_{t-j} = u_t + sum_i D_ti L_i,
 *   D_ti = delta_{t+i-1} (0 beyond nd),  t, i = 1..nd,
 * a noisy observation of the ARMA values u = (u_1..u_nd) (u_t = a_t[0]).
 * With S = Cov(u) + kappa D D' and C = Cov(a_{nd+1}, u), whose column t is
 * T^{nd+1-t} P0 e_1 (the innovations after t are independent of a_t), and
 * Cov(u_s, u_t) = (T^|s-t| P0 e_1)[0], the ARMA block is
 *   a = C S^-1 wt,  P = P0 - C S^-1 C'
 * (the Gaussian conditioning the filter performs step by step), and the
 * lags are the observed x's, known.  None of these observations
 * contributes: F_t >= kappa for each.  0 when S is not positive definite
 * (the caller then steps the filter). */
static int kappa_start(tsf_arima_kf *kf, const double *x)
{
    size_t r = kf->r, nd = kf->nd, rd = kf->rd;
    const double *phi = kf->phi, *delta = kf->delta, *P0 = kf->P0;
    double *S = kf->work;            /* nd x nd */
    double *B = S + nd * nd;         /* nd x (r + 1), column-major: [C' | wt] */
    double *c = B + nd * (r + 1);    /* r: T^k P0 e_1 */
    double *gam = c + r;             /* nd: autocovariances of u */
    for (size_t i = 0; i < r; i++) c[i] = P0[i * r];
    for (size_t k = 0; k <= nd; k++) {
        if (k < nd) gam[k] = c[0];
        if (k >= 1) /* column t = nd + 1 - k (1-based) of C */
            for (size_t i = 0; i < r; i++) B[(nd - k) + i * nd] = c[i];
        double c0 = c[0];
        for (size_t i = 0; i + 1 < r; i++) c[i] = phi[i] * c0 + c[i + 1];
        c[r - 1] = phi[r - 1] * c0;
    }
    for (size_t t = 0; t < nd; t++) {
        double v = x[t];
        for (size_t j = 1; j <= t; j++) v -= delta[j - 1] * x[t - j];
        B[t + r * nd] = v;
        for (size_t s = 0; s <= t; s++) {
            double dd = 0.0; /* (D D')_ts = sum_i delta_{t+i} delta_{s+i}, 0-based */
            for (size_t i = 0; t + i < nd; i++) dd += delta[t + i] * delta[s + i];
            S[t + s * nd] = S[s + t * nd] = gam[t - s] + TSF_ARIMA_KAPPA * dd;
        }
    }
    lapack_int n = (lapack_int)nd;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, S, n)) return 0;
    /* column by column: OpenBLAS runs a multi-column dtrtrs on its thread
     * pool whatever the size, and its idle threads then spin */
    for (size_t j = 0; j <= r; j++)
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)nd, S, (int)nd,
                    B + j * nd, 1);
    /* with X = L^-1 [C' | wt]: a = X_C' X_w, P = P0 - X_C' X_C */
    double *a = kf->a, *P = kf->P;
    const double *xw = B + r * nd;
    for (size_t i = 0; i < r; i++) {
        const double *xi = B + i * nd;
        double sa = 0.0;
        for (size_t t = 0; t < nd; t++) sa += xi[t] * xw[t];
        a[i] = sa;
        for (size_t j = i; j < r; j++) {
            const double *xj = B + j * nd;
            double sp = 0.0;
            for (size_t t = 0; t < nd; t++) sp += xi[t] * xj[t];
            P[i * rd + j] = P[j * rd + i] = P0[i * r + j] - sp;
        }
    }
    return 1;
}

/* Innovations v_t = w_t - a_0 of the steady-state filter over [t0, t1),
 * a updated in place; returns sum v_t^2 when acc.  Small r unrolled: in
 * steady state this loop is the whole cost of a likelihood evaluation. */
static double steady_mean(double *a, const double *phi, const double *m, size_t r,
                          const double *w, size_t t0, size_t t1, int acc)
{
    double ss = 0.0;
    if (r == 1) {
        double a0 = a[0], p0 = phi[0];
        for (size_t t = t0; t < t1; t++) {
            double v = w[t] - a0;
            ss += v * v;
            a0 = p0 * w[t];
        }
        a[0] = a0;
    } else if (r == 2) {
        /* a0' = (p0 + m1) w_t + a1 - m1 a0: the recursion's dependency
         * chain is one multiply-add per step, v is off the chain */
        double a0 = a[0], a1 = a[1], p1 = phi[1], m1 = m[1], pm = phi[0] + m1;
        for (size_t t = t0; t < t1; t++) {
            double v = w[t] - a0;
            ss += v * v;
            a0 = (pm * w[t] + a1) - m1 * a0;
            a1 = p1 * w[t];
        }
        a[0] = a0;
        a[1] = a1;
    } else if (r == 3) {
        double a0 = a[0], a1 = a[1], a2 = a[2], p0 = phi[0], p1 = phi[1], p2 = phi[2];
        double m1 = m[1], m2 = m[2];
        double pm1 = p0 + m1, pm2 = p1 + m2;
        for (size_t t = t0; t < t1; t++) {
            double v = w[t] - a0;
            ss += v * v;
            double n0 = (pm1 * w[t] + a1) - m1 * a0;
            a1 = (pm2 * w[t] + a2) - m2 * a0;
            a0 = n0;
            a2 = p2 * w[t];
        }
        a[0] = a0;
        a[1] = a1;
        a[2] = a2;
    } else {
        for (size_t t = t0; t < t1; t++) {
            double v = w[t] - a[0];
            ss += v * v;
            for (size_t i = 0; i + 1 < r; i++) a[i] = phi[i] * w[t] + a[i + 1] + m[i + 1] * v;
            a[r - 1] = phi[r - 1] * w[t];
        }
    }
    return acc ? ss : 0.0;
}

/* Fast path for a series without missing values: once the first nd
 * observations have been absorbed, the lagged values in the state are
 * observed values, known exactly, so the filter of the augmented state is
 * the filter of the ARMA block alone applied to the differenced series
 * w_t = x_t - sum delta_i x_{t-i}, continued from the ARMA block's mean
 * and covariance after those nd steps (with R's kappa they carry a little
 * information, which this keeps).  In Harvey's form the update zeroes
 * row 0 of P (F = P_00 and M = P e_1), so the prediction reduces to
 *   P'_ij = P_{i+1,j+1} - M_{i+1} M_{j+1} / F + theta_i theta_j,
 *   a'_i  = phi_i w_t + a_{i+1} + M_{i+1} v / F,
 * O(r^2) per step with unit stride, and O(r) once P has converged. */
static void arma_fast_run(tsf_arima_kf *kf, const double *w, size_t t0, size_t n, size_t start,
                          tsf_arima_sums *s)
{
    size_t r = kf->r;
    double *a = kf->a, *P = kf->P, *m = kf->M;
    const double *phi = kf->phi, *th = kf->theta;
    /* the ARMA block of the augmented state, repacked with stride r */
    double *tmp = kf->work;
    for (size_t i = 0; i < r; i++) memcpy(tmp + i * r, P + i * kf->rd, r * sizeof *P);
    memcpy(P, tmp, r * r * sizeof *P);
    double ssq = s->ssq, sumlog = s->sumlog;
    size_t nu = s->nu, t = t0;
    for (; t < n; t++) {
        double F = P[0], v = w[t] - a[0];
        if (t >= start) {
            ssq += v * v / F;
            sumlog += log(F);
            nu++;
        }
        double Finv = 1.0 / F, k = v * Finv;
        memcpy(m, P, r * sizeof *m); /* row 0 = column 0 */
        for (size_t i = 0; i + 1 < r; i++) a[i] = phi[i] * w[t] + a[i + 1] + m[i + 1] * k;
        a[r - 1] = phi[r - 1] * w[t];
        double dmax = 0.0, pmax = 1.0;
        for (size_t i = 0; i < r; i++) {
            double mi = i + 1 < r ? m[i + 1] * Finv : 0.0, ti = th[i];
            double *Pi = P + i * r;
            const double *Pn = P + (i + 1) * r + 1;
            for (size_t j = i; j < r; j++) {
                double nv = ti * th[j];
                if (j + 1 < r) nv += Pn[j] - mi * m[j + 1];
                double d = fabs(nv - Pi[j]);
                if (d > dmax) dmax = d;
                if (fabs(nv) > pmax) pmax = fabs(nv);
                Pi[j] = nv;
            }
        }
        for (size_t i = 1; i < r; i++)
            for (size_t j = 0; j < i; j++) P[i * r + j] = P[j * r + i];
        if (dmax <= STEADY_TOL * pmax) {
            t++;
            break;
        }
    }
    if (t < n) {
        /* steady state: fixed F and gain */
        double F = P[0], Finv = 1.0 / F, lf = log(F), ss = 0.0;
        size_t cnt = 0;
        for (size_t i = 0; i < r; i++) m[i] = P[i] * Finv;
        /* a[t0..t1) without accumulating, then [t1..n) with */
        size_t t1 = start > t ? (start < n ? start : n) : t;
        ss = steady_mean(a, phi, m, r, w, t, t1, 0);
        ss = steady_mean(a, phi, m, r, w, t1, n, 1);
        cnt = n - t1;
        ssq += ss * Finv;
        sumlog += lf * (double)cnt;
        nu += cnt;
    }
    s->ssq = ssq;
    s->sumlog = sumlog;
    s->nu = nu;
}

/* The filter of the ARMA block on the differenced series w[t0..n) from
 * the stationary start (0, P0), by the Chandrasekhar recursions (Morf,
 * Sidhu & Kailath 1974; Herbst 2015): with P_t = P_{t|t-1}, F_t = P_t[0,0]
 * and K_t = T P_t e_1, the increment P_{t+1} - P_t = mu_t W_t W_t' stays
 * rank one, because P_1 = P0 solves P0 = T P0 T' + theta theta', so
 * P_2 - P_1 = -K_1 K_1' / F_1.  Then
 *   F_{t+1}  = F_t + mu_t W_t[0]^2
 *   K_{t+1}  = K_t + mu_t W_t[0] T W_t
 *   mu_{t+1} = mu_t + mu_t^2 W_t[0]^2 / F_t
 *   W_{t+1}  = T W_t - K_{t+1} W_t[0] / F_{t+1}
 * and the mean a_{t+1} = T a_t + K_t v_t / F_t: O(r) per observation in
 * place of the O(r^2) Riccati step, and the fixed gain of arma_fast_run
 * once mu W W' is negligible. */
static void arma_chandra_run(tsf_arima_kf *kf, const double *w, size_t t0, size_t n,
                             size_t start, tsf_arima_sums *s)
{
    size_t r = kf->r;
    const double *phi = kf->phi, *P0 = kf->P0;
    double *a = kf->a, *K = kf->M, *W = kf->work;
    memset(a, 0, r * sizeof *a);
    double F = P0[0];
    for (size_t i = 0; i < r; i++) K[i] = phi[i] * F + (i + 1 < r ? P0[(i + 1) * r] : 0.0);
    memcpy(W, K, r * sizeof *W);
    double mu = -1.0 / F;
    double ssq = s->ssq, sumlog = s->sumlog;
    size_t nu = s->nu, t = t0;
    int steady = 0;
    for (; t < n && !steady; t++) {
        double v = w[t] - a[0];
        if (t >= start) {
            ssq += v * v / F;
            sumlog += log(F);
            nu++;
        }
        double k = v / F, a0 = a[0];
        for (size_t i = 0; i + 1 < r; i++) a[i] = phi[i] * a0 + a[i + 1] + K[i] * k;
        a[r - 1] = phi[r - 1] * a0 + K[r - 1] * k;
        double w0 = W[0], mw = mu * w0, Fn = F + mw * w0, wmax = 0.0;
        for (size_t i = 0; i + 1 < r; i++) W[i] = phi[i] * w0 + W[i + 1];
        W[r - 1] = phi[r - 1] * w0;
        for (size_t i = 0; i < r; i++) K[i] += mw * W[i];
        double c = w0 / Fn;
        for (size_t i = 0; i < r; i++) {
            W[i] -= K[i] * c;
            if (fabs(W[i]) > wmax) wmax = fabs(W[i]);
        }
        mu += mw * mw / F;
        F = Fn;
        /* the next increment, mu W W', below the Riccati path's test */
        steady = fabs(mu) * wmax * wmax <= STEADY_TOL * fmax(1.0, F);
    }
    if (t < n) {
        /* fixed gain: a'_i = phi_i w_t + a_{i+1} + m_{i+1} v with
         * m_{i+1} = K_i / F - phi_i */
        double *m = W;
        m[0] = 1.0;
        for (size_t i = 0; i + 1 < r; i++) m[i + 1] = K[i] / F - phi[i];
        /* a holds the predicted mean in Harvey's form; steady_mean's
         * recursion is the same */
        size_t t1 = start > t ? (start < n ? start : n) : t;
        steady_mean(a, phi, m, r, w, t, t1, 0);
        double ss = steady_mean(a, phi, m, r, w, t1, n, 1);
        ssq += ss / F;
        sumlog += log(F) * (double)(n - t1);
        nu += n - t1;
    }
    s->ssq = ssq;
    s->sumlog = sumlog;
    s->nu = nu;
}

void tsf_arima_kf_run(tsf_arima_kf *kf, const double *x, size_t n, size_t start,
                      tsf_arima_sums *s)
{
    tsf_arima_kf_run_same(kf, x, n, start, s, 0);
}

void tsf_arima_kf_run_same(tsf_arima_kf *kf, const double *x, size_t n, size_t start,
                           tsf_arima_sums *s, int same_x)
{
    int cached = same_x && kf->wn == n && n > 0;
    int complete = 1;
    if (cached) complete = kf->xcomplete;
    else
        for (size_t t = 0; t < n && complete; t++) complete = !isnan(x[t]);
    kf->wn = 0;
    if (complete && n > kf->nd) {
        const double *w = x;
        size_t nd = kf->nd;
        if (nd && cached) {
            w = kf->wbuf;
        } else if (nd) {
            if (kf->wcap < n) {
                double *nb = realloc(kf->wbuf, n * sizeof *nb);
                if (nb) {
                    kf->wbuf = nb;
                    kf->wcap = n;
                }
            }
            if (kf->wcap >= n) {
                for (size_t t = nd; t < n; t++) {
                    double v = x[t];
                    for (size_t i = 0; i < nd; i++) v -= kf->delta[i] * x[t - 1 - i];
                    kf->wbuf[t] = v;
                }
                w = kf->wbuf;
            } else {
                complete = 0; /* out of memory: the general filter needs none */
            }
        }
        if (complete) {
            kf->wn = n;
            kf->xcomplete = 1;
            /* the first nd observations: in closed form, or through the
             * augmented filter */
            s->ssq = s->sumlog = 0.0;
            s->nu = 0;
            if (nd == 0 || kf->exact_diffuse) {
                /* exact diffuse: the first nd observations only fix the
                 * lags; none contributes */
                arma_chandra_run(kf, w, nd, n, start, s);
                tsf_arima_kf_reset(kf);
                return;
            }
            int closed = kappa_start(kf, x);
            for (size_t t = 0; t < nd && !closed; t++) {
                double pred, F;
                if (tsf_arima_kf_step(kf, x[t], &pred, &F) && t >= start) {
                    double v = x[t] - pred;
                    s->ssq += v * v / F;
                    s->sumlog += log(F);
                    s->nu++;
                }
            }
            arma_fast_run(kf, w, nd, n, start, s);
            tsf_arima_kf_reset(kf);
            return;
        }
    }
    double ssq = 0.0, sumlog = 0.0;
    size_t nu = 0;
    size_t t = 0;
    while (t < n) {
        if (kf->steady) {
            /* Tight steady-state loop: mean recursion with the fixed gain. */
            size_t rd = kf->rd;
            double *a = kf->a, *M = kf->M, *tmp = kf->work + rd * rd;
            double Finv = 1.0 / kf->Fss, lf = log(kf->Fss);
            double ss = 0.0;
            size_t cnt = 0;
            for (; t < n; t++) {
                double y = x[t];
                if (isnan(y)) break;
                double v = y - zdot(kf, a);
                if (t >= start) {
                    ss += v * v;
                    cnt++;
                }
                double k = v * Finv;
                for (size_t i = 0; i < rd; i++) a[i] += M[i] * k;
                predict_mean(kf, a, tmp);
            }
            ssq += ss * Finv;
            sumlog += lf * (double)cnt;
            nu += cnt;
            if (t >= n) break;
        }
        double pred, F;
        double y = x[t];
        int c = tsf_arima_kf_step(kf, y, &pred, &F);
        if (c && t >= start) {
            double v = y - pred;
            ssq += v * v / F;
            sumlog += log(F);
            nu++;
        }
        t++;
    }
    s->ssq = ssq;
    s->sumlog = sumlog;
    s->nu = nu;
}

void tsf_arima_kf_predict(tsf_arima_kf *kf, size_t h, double *mean, double *var)
{
    size_t rd = kf->rd;
    double *W = kf->work;
    double *fa = W + rd * rd + rd;   /* rd */
    double *tmp = fa + rd;           /* rd */
    double *fP = W + rd * rd + 4 * rd; /* rd*rd */
    memcpy(fa, kf->a, rd * sizeof *fa);
    memcpy(fP, kf->P, rd * rd * sizeof *fP);
    for (size_t j = 0; j < h; j++) {
        mean[j] = zdot(kf, fa);
        double *Mz = tmp;
        for (size_t i = 0; i < rd; i++) Mz[i] = zdot(kf, fP + i * rd);
        var[j] = zdot(kf, Mz);
        if (j + 1 == h) break;
        apply_T(kf, fa, 1, tmp, 1);
        memcpy(fa, tmp, rd * sizeof *fa);
        predict_cov(kf, fP, W);
    }
}

tsf_status tsf_arima_ss_sums(const tsf_arima_ss *m, const double *x, size_t n, size_t start,
                             tsf_arima_sums *s)
{
    tsf_arima_kf *kf;
    tsf_status st = tsf_arima_kf_new(m->p, m->q, m->nd, &kf);
    if (st) return st;
    if ((st = tsf_arima_kf_set(kf, m))) {
        tsf_arima_kf_free(kf);
        return st;
    }
    tsf_arima_kf_run(kf, x, n, start, s);
    tsf_arima_kf_free(kf);
    return TSF_OK;
}

tsf_status tsf_arima_kf_save(const tsf_arima_kf *kf, tsf_st *doc, const char *prefix)
{
    char name[64];
    size_t rd = kf->rd, shp[1] = {rd}, shp2[1] = {rd * rd}, one[1] = {2};
    double sc[2] = {(double)kf->steady, kf->Fss};
    tsf_status st;
    snprintf(name, sizeof name, "%s.a", prefix);
    if ((st = tsf_st_add(doc, name, TSF_ST_F64, 1, shp, kf->a))) return st;
    snprintf(name, sizeof name, "%s.P", prefix);
    if ((st = tsf_st_add(doc, name, TSF_ST_F64, 1, shp2, kf->P))) return st; /* row-major */
    snprintf(name, sizeof name, "%s.M", prefix);
    if ((st = tsf_st_add(doc, name, TSF_ST_F64, 1, shp, kf->M))) return st;
    snprintf(name, sizeof name, "%s.steady", prefix);
    return tsf_st_add(doc, name, TSF_ST_F64, 1, one, sc);
}

static tsf_status get_finite(const tsf_st *doc, const char *family, const char *prefix,
                             const char *what, size_t n, const double **v)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    tsf_status st = tsf_st_get_vec(doc, family, name, n, v);
    if (st) return st;
    for (size_t i = 0; i < n; i++)
        if (!isfinite((*v)[i]))
            return tsf_set_error(TSF_EPARSE, "%s state file: tensor %s holds a non-finite value",
                                 family, name);
    return TSF_OK;
}

tsf_status tsf_arima_kf_load(tsf_arima_kf *kf, const tsf_st *doc, const char *prefix,
                             const char *family)
{
    size_t rd = kf->rd;
    const double *a, *P, *M, *sc;
    tsf_status st;
    if ((st = get_finite(doc, family, prefix, "a", rd, &a)) ||
        (st = get_finite(doc, family, prefix, "P", rd * rd, &P)) ||
        (st = get_finite(doc, family, prefix, "M", rd, &M)) ||
        (st = get_finite(doc, family, prefix, "steady", 2, &sc)))
        return st;
    if (!(sc[0] == 0.0 || sc[0] == 1.0) || (sc[0] == 1.0 && !(sc[1] > 0.0)))
        return tsf_set_error(TSF_EPARSE, "%s state file: bad steady-state flag or variance",
                             family);
    memcpy(kf->a, a, rd * sizeof *a);
    memcpy(kf->P, P, rd * rd * sizeof *P);
    memcpy(kf->M, M, rd * sizeof *M);
    kf->steady = (int)sc[0];
    kf->Fss = sc[1];
    return TSF_OK;
}
