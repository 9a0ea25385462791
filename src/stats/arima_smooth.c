/* Fixed-interval smoothing of the ARIMA state-space form and the
 * simulation smoother, on the Kalman filter of arima_kf.c.
 *
 * The filter starts the ARMA block at its stationary covariance P0 and the
 * nd lagged values L (those before the first observation) with variance
 * kappa sigma2 (TSF_ARIMA_KAPPA), the start of the likelihood and of R's
 * makeARIMA/KalmanSmooth.  This smoother is exact for that same model,
 * but it does not run the filter with kappa in P: there the smoothed
 * variance P_t - P_t N_{t-1} P_t is a difference of numbers of size kappa^2
 * and loses ten digits.  Instead, as de Jong (1989, 1991) does for diffuse
 * starts, y = C L + y0: y0 is the series of the model whose lags start at
 * zero (a well-conditioned filter, P_1 = P0 (+) 0) and column l of C is the
 * deterministic path c_t = sum_i delta_i c_{t-i} of a unit initial lag.  The
 * filter of the zero-start model applied to y and to the columns of C gives
 * innovations v_t and V_t (one per column) with the same gains, so
 *   L | y ~ N(Q^-1 s, sigma2 Q^-1),  Q = I / kappa + sum V_t V_t' / F_t,
 *   s = sum V_t v_t / F_t,
 * and, with E0 and Var0 the smoother of the zero-start model,
 *   E[y_t | y]   = E0[y_t | y] + g_t' Q^-1 s,   g_t = c_t - E0[c_t | c],
 *   Var[y_t | y] = Var0[y_t | y] + sigma2 g_t' Q^-1 g_t,
 * and the same for the state (its lag block carries c).  The zero-start
 * smoother is that of Durbin & Koopman (2012, sec. 4.4.4 and 4.5.3):
 *   observed:  r_{t-1} = Z v_t / F_t + L_t' r_t,
 *              N_{t-1} = Z Z' / F_t + L_t' N_t L_t,   L_t = T (I - P_t Z Z' / F_t)
 *   missing:   r_{t-1} = T' r_t,  N_{t-1} = T' N_t T
 * from r_n = 0, N_n = 0, and E[alpha_t | y] = a_t + P_t r_{t-1},
 * Var = P_t - P_t N_{t-1} P_t (a_t, P_t the filter's predicted state).
 * The observation y_t = Z' alpha_t has no noise, so its smoothed variance
 * is zero where it is observed.
 *
 * The filter's P_t stops changing once it has converged (its steady
 * state); the forward pass stores one copy of P per change, not per
 * observation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_kf.h"

typedef struct {
    tsf_arima_kf *kf;
    size_t n, rd, r, nd;
    double *Z;        /* rd */
    double *F;        /* n: innovation variances of the zero-start filter */
    const double *x;  /* the series (NaN = missing) */
    double *Ps;       /* nps x rd x rd stored predicted covariances */
    size_t *pidx;     /* n: which stored covariance is P_t */
    size_t nps, pscap;
    double *Ms;       /* nps x rd: P Z of each stored covariance */
    double *C;        /* n x nd: c_t of initial lag l at C[t*nd + l] */
    double *Q;        /* nd x nd: Cholesky factor (lower, column-major) of Q */
    double *Lhat;     /* nd: E[L | y] = Q^-1 s */
    /* scratch of the mean passes */
    double *a, *rr, *M, *w, *v, *ab, *u;
    double *pr;       /* n: Z' a_t of the last forward pass */
} smoother;

static void sm_free(smoother *s)
{
    tsf_arima_kf_free(s->kf);
    free(s->Z);
    free(s->F);
    free(s->Ps);
    free(s->pidx);
    free(s->Ms);
    free(s->C);
    free(s->Q);
    free(s->Lhat);
    free(s->a);
    free(s->rr);
    free(s->M);
    free(s->w);
    free(s->v);
    free(s->ab);
    free(s->u);
    free(s->pr);
}

/* The loading Z of the filter's state (arima_kf.h): y_t = Z' alpha_t. */
static void build_z(smoother *s)
{
    memset(s->Z, 0, s->rd * sizeof *s->Z);
    s->Z[0] = 1.0;
    for (size_t j = 0; j < s->nd; j++) s->Z[s->r + j] = s->kf->delta[j];
}

static tsf_status oom(void) { return tsf_set_error(TSF_ENOMEM, "out of memory smoothing"); }

/* M = P Z; returns Z' P Z */
static double pz(const smoother *s, const double *P, double *M)
{
    size_t rd = s->rd;
    double f = 0.0;
    for (size_t i = 0; i < rd; i++) {
        double v = 0.0;
        for (size_t j = 0; j < rd; j++) v += P[i * rd + j] * s->Z[j];
        M[i] = v;
        f += s->Z[i] * v;
    }
    return f;
}

/* out = T' u, O(rd) through the structure of T (arima_kf.h): the
 * Harvey block (phi in column 0, ones on the superdiagonal) and the shift
 * of the lags, whose head is Z' alpha. */
static void tt_vec(const smoother *s, const double *u, double *out)
{
    size_t r = s->r, nd = s->nd;
    const double *phi = s->kf->phi, *delta = s->kf->delta;
    double o0 = nd ? u[r] : 0.0;
    for (size_t i = 0; i < r; i++) o0 += phi[i] * u[i];
    for (size_t i = r - 1; i >= 1; i--) out[i] = u[i - 1];
    out[0] = o0;
    for (size_t j = 0; j < nd; j++) out[r + j] = delta[j] * u[r] + (j + 1 < nd ? u[r + j + 1] : 0.0);
}

/* out = T u, O(rd) */
static void t_vec(const smoother *s, const double *u, double *out)
{
    size_t r = s->r, nd = s->nd;
    const double *phi = s->kf->phi, *delta = s->kf->delta;
    double u0 = u[0];
    if (nd) {
        double z = u0;
        for (size_t j = 0; j < nd; j++) z += delta[j] * u[r + j];
        for (size_t j = nd - 1; j >= 1; j--) out[r + j] = u[r + j - 1];
        out[r] = z;
    }
    for (size_t i = 0; i + 1 < r; i++) out[i] = phi[i] * u0 + u[i + 1];
    out[r - 1] = phi[r - 1] * u0;
}

/* N <- T' N T for symmetric N (W: rd*rd + rd scratch): T' on each column,
 * then on each row of the result, O(rd^2). */
static void tt_mat(const smoother *s, double *N, double *W)
{
    size_t rd = s->rd;
    double *col = W + rd * rd;
    /* W = T' N: N symmetric, so row i of N is its column i */
    for (size_t j = 0; j < rd; j++) {
        tt_vec(s, N + j * rd, col);
        for (size_t i = 0; i < rd; i++) W[i * rd + j] = col[i];
    }
    /* N = W T: row i of N is T' applied to row i of W */
    for (size_t i = 0; i < rd; i++) tt_vec(s, W + i * rd, N + i * rd);
    for (size_t i = 0; i < rd; i++)
        for (size_t j = i + 1; j < rd; j++) N[i * rd + j] = N[j * rd + i] =
            0.5 * (N[i * rd + j] + N[j * rd + i]);
}

/* P_t Z of time t (cached per stored covariance) */
static const double *gain(const smoother *s, size_t t)
{
    return s->Ms + s->pidx[t] * s->rd;
}

/* Forward pass of the mean over u (missing where x is) with the stored
 * gains: innovations into s->v (NaN where missing), predicted states into
 * s->ab when keep.  a_{t+1} = T (a_t + P_t Z v_t / F_t). */
static void mean_forward_to(smoother *s, const double *u, double *vo, double *pro, double *ab)
{
    size_t rd = s->rd, n = s->n;
    double *a = s->a, *w = s->w;
    memset(a, 0, rd * sizeof *a);
    for (size_t t = 0; t < n; t++) {
        /* element loops, not memcpy: rd is small and this runs n times */
        if (ab)
            for (size_t i = 0; i < rd; i++) ab[t * rd + i] = a[i];
        double pr = 0.0;
        for (size_t i = 0; i < rd; i++) pr += s->Z[i] * a[i];
        pro[t] = pr;
        if (isnan(s->x[t])) {
            vo[t] = NAN;
        } else {
            const double *Mt = gain(s, t);
            double k = (vo[t] = u[t] - pr) / s->F[t];
            for (size_t i = 0; i < rd; i++) a[i] += Mt[i] * k;
        }
        t_vec(s, a, w);
        double *tmp = a;
        a = w;
        w = tmp;
    }
    s->a = a;
    s->w = w;
}

static void mean_forward(smoother *s, const double *u, int keep)
{
    mean_forward_to(s, u, s->v, s->pr, keep ? s->ab : NULL);
}

/* One backward step of r at t (v: the innovation at t, NaN when
 * missing): r_t in r, r_{t-1} out in r (w: scratch; the two are swapped,
 * so the caller's pointers are updated). */
static void r_step(const smoother *s, size_t t, double v, double **r, double **w)
{
    size_t rd = s->rd;
    const double *M = gain(s, t);
    tt_vec(s, *r, *w);
    if (!isnan(v)) {
        double mw = 0.0, *ww = *w;
        for (size_t i = 0; i < rd; i++) mw += M[i] * ww[i];
        double c = (v - mw) / s->F[t];
        for (size_t i = 0; i < rd; i++) ww[i] += s->Z[i] * c;
    }
    double *tmp = *r;
    *r = *w;
    *w = tmp;
}

/* Smoothed E0[u_t | observed u] into ym (n) and, when st, the state into
 * st (n x rd): mean_forward with keep = (st != NULL), then r backwards. */
static void mean_pass(smoother *s, const double *u, double *ym, double *st)
{
    size_t rd = s->rd, n = s->n;
    mean_forward(s, u, st != NULL);
    double *r = s->rr, *w = s->w;
    memset(r, 0, rd * sizeof *r);
    for (size_t t = n; t-- > 0;) {
        const double *P = s->Ps + s->pidx[t] * rd * rd, *M = gain(s, t);
        r_step(s, t, s->v[t], &r, &w);
        if (ym) {
            double q = s->pr[t];
            for (size_t i = 0; i < rd; i++) q += M[i] * r[i];
            ym[t] = q;
        }
        if (st)
            for (size_t i = 0; i < rd; i++) {
                double q = s->ab[t * rd + i];
                for (size_t j = 0; j < rd; j++) q += P[i * rd + j] * r[j];
                st[t * rd + i] = q;
            }
    }
    s->rr = r;
    s->w = w;
}

/* The forward pass over x[0..n): the gains of the zero-start filter
 * (P_t, F_t), the paths C of the initial lags and the posterior of L. */
static tsf_status sm_forward(const tsf_arima_ss *m, const double *x, size_t n, smoother *s)
{
    memset(s, 0, sizeof *s);
    tsf_status st = tsf_arima_kf_new(m->p, m->q, m->nd, &s->kf);
    if (st) return st;
    if ((st = tsf_arima_kf_set(s->kf, m))) return st;
    tsf_arima_kf *kf = s->kf;
    size_t rd = kf->rd, nn = n ? n : 1, nd = kf->nd, nd1 = nd ? nd : 1;
    s->n = n;
    s->rd = rd;
    s->r = kf->r;
    s->nd = nd;
    s->x = x;
    s->Z = malloc(rd * sizeof *s->Z);
    s->F = malloc(nn * sizeof *s->F);
    s->pidx = malloc(nn * sizeof *s->pidx);
    s->pscap = 4;
    s->Ps = malloc(s->pscap * rd * rd * sizeof *s->Ps);
    s->C = calloc(nn * nd1, sizeof *s->C);
    s->Q = calloc(nd1 * nd1, sizeof *s->Q);
    s->Lhat = calloc(nd1, sizeof *s->Lhat);
    s->a = malloc(rd * sizeof *s->a);
    s->rr = malloc(rd * sizeof *s->rr);
    s->M = malloc(rd * sizeof *s->M);
    s->w = malloc(rd * sizeof *s->w);
    s->v = malloc(nn * sizeof *s->v);
    s->u = malloc(nn * sizeof *s->u);
    s->pr = malloc(nn * sizeof *s->pr);
    if (!s->pr || !s->Z || !s->F || !s->pidx || !s->Ps || !s->C || !s->Q || !s->Lhat || !s->a ||
        !s->rr || !s->M || !s->w || !s->v || !s->u)
        return oom();
    build_z(s);
    /* the zero start: the lags known to be 0 */
    for (size_t i = kf->r; i < rd; i++) kf->P[i * rd + i] = 0.0;
    int steady_stored = 0;
    for (size_t t = 0; t < n; t++) {
        /* in steady state the filter leaves P alone: one copy serves */
        if (!(kf->steady && steady_stored) || s->nps == 0) {
            if (s->nps == s->pscap) {
                size_t cap = 2 * s->pscap;
                double *np = realloc(s->Ps, cap * rd * rd * sizeof *np);
                if (!np) return oom();
                s->Ps = np;
                s->pscap = cap;
            }
            memcpy(s->Ps + s->nps * rd * rd, kf->P, rd * rd * sizeof *kf->P);
            s->nps++;
            steady_stored = kf->steady;
        }
        s->pidx[t] = s->nps - 1;
        double pred, F;
        tsf_arima_kf_step(kf, x[t], &pred, &F);
        s->F[t] = F;
    }
    if (!(s->Ms = malloc((s->nps ? s->nps : 1) * rd * sizeof *s->Ms))) return oom();
    for (size_t k = 0; k < s->nps; k++) pz(s, s->Ps + k * rd * rd, s->Ms + k * rd);
    if (!nd) return TSF_OK;
    /* c_t = sum_i delta_i c_{t-i}, c before the start: lag j is x_{-1-j} */
    for (size_t l = 0; l < nd; l++)
        for (size_t t = 0; t < n; t++) {
            double c = 0.0;
            for (size_t i = 1; i <= nd; i++)
                c += m->delta[i - 1] * (t >= i ? s->C[(t - i) * nd + l] : (i - t - 1 == l));
            s->C[t * nd + l] = c;
        }
    /* Q = I / kappa + sum V V' / F, s = sum V v / F (de Jong 1991) */
    double *V = malloc(nn * nd * sizeof *V), *col = calloc(nn, sizeof *col);
    if (!V || !col) {
        free(V);
        free(col);
        return oom();
    }
    for (size_t l = 0; l < nd; l++) {
        for (size_t t = 0; t < n; t++) col[t] = s->C[t * nd + l];
        mean_forward(s, col, 0);
        for (size_t t = 0; t < n; t++) V[t * nd + l] = s->v[t];
    }
    mean_forward(s, x, 0);
    for (size_t i = 0; i < nd; i++) s->Q[i * nd + i] = 1.0 / TSF_ARIMA_KAPPA;
    for (size_t t = 0; t < n; t++) {
        if (isnan(x[t])) continue;
        const double *Vt = V + t * nd;
        for (size_t i = 0; i < nd; i++) {
            s->Lhat[i] += Vt[i] * s->v[t] / s->F[t];
            for (size_t j = 0; j < nd; j++) s->Q[j * nd + i] += Vt[i] * Vt[j] / s->F[t];
        }
    }
    free(V);
    free(col);
    lapack_int k = (lapack_int)nd;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', k, s->Q, k) ||
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', k, 1, s->Q, k, s->Lhat, k))
        return tsf_set_error(TSF_EDEGENERATE, "smoothing: the information about the series' "
                             "start is not positive definite");
    return TSF_OK;
}

/* g' Q^-1 g for the Cholesky factor in s->Q (g overwritten) */
static double qinv_form(const smoother *s, double *g)
{
    size_t nd = s->nd;
    double q = 0.0;
    for (size_t i = 0; i < nd; i++) {
        double v = g[i];
        for (size_t k = 0; k < i; k++) v -= s->Q[k * nd + i] * g[k];
        g[i] = v / s->Q[i * nd + i];
        q += g[i] * g[i];
    }
    return q;
}

/* x_t - c_t' L at observed t, NaN elsewhere, into s->u */
static void remove_start(smoother *s, const double *x, const double *L)
{
    for (size_t t = 0; t < s->n; t++) {
        double v = x[t];
        for (size_t l = 0; l < s->nd; l++) v -= s->C[t * s->nd + l] * L[l];
        s->u[t] = v;
    }
}

/* The lag block of the state carries c: alpha_t[r + j] = c_{t-1-j}. */
static double lag_path(const smoother *s, size_t t, size_t j, size_t l)
{
    return t >= j + 1 ? s->C[(t - 1 - j) * s->nd + l] : (double)(j - t == l);
}

tsf_status tsf_arima_ss_smooth(const tsf_arima_ss *m, const double *x, size_t n,
                               double *ymean, double *yvar, double *smean, double *svar)
{
    smoother s;
    tsf_status st = sm_forward(m, x, n, &s);
    size_t rd = s.rd, r = s.r, nd = s.nd, nn = n ? n : 1, nd1 = nd ? nd : 1;
    double *vl = NULL, *prl = NULL, *abl = NULL, *rl = NULL, *wl = NULL;
    double *gy = NULL, *gs = NULL, *g = NULL, *N = NULL, *A = NULL;
    if (st) goto done;
    if (smean && !(s.ab = malloc(nn * rd * sizeof *s.ab))) {
        st = oom();
        goto done;
    }
    /* means: E0[x - C Lhat] + C Lhat, written in place */
    remove_start(&s, x, s.Lhat);
    mean_pass(&s, s.u, ymean, smean);
    for (size_t t = 0; t < n; t++) {
        double c = 0.0;
        for (size_t l = 0; l < nd; l++) c += s.C[t * nd + l] * s.Lhat[l];
        if (ymean) ymean[t] = isnan(x[t]) ? ymean[t] + c : x[t];
        for (size_t j = r; smean && j < rd; j++)
            for (size_t l = 0; l < nd; l++)
                smean[t * rd + j] += lag_path(&s, t, j - r, l) * s.Lhat[l];
    }
    if (!yvar && !svar) goto done;
    /* g_t = c_t - E0[c_t | c] of each initial lag (and of its state): the
     * forward passes now, the backward ones inside the variance pass */
    vl = malloc(nn * nd1 * sizeof *vl);
    prl = malloc(nn * nd1 * sizeof *prl);
    abl = svar && nd ? malloc(nn * rd * nd * sizeof *abl) : NULL;
    rl = calloc(rd * nd1, sizeof *rl);
    wl = malloc(rd * nd1 * sizeof *wl);
    gy = malloc(nd1 * sizeof *gy);
    gs = malloc(rd * nd1 * sizeof *gs);
    g = malloc(nd1 * sizeof *g);
    N = calloc(rd * rd, sizeof *N);
    A = malloc((rd * rd + rd) * sizeof *A);
    if (!vl || !prl || (svar && nd && !abl) || !rl || !wl || !gy || !gs || !g || !N || !A) {
        st = oom();
        goto done;
    }
    for (size_t l = 0; l < nd; l++) {
        for (size_t t = 0; t < n; t++) s.u[t] = s.C[t * nd + l];
        mean_forward_to(&s, s.u, vl + l * n, prl + l * n, abl ? abl + l * n * rd : NULL);
    }
    double *w = s.w;
    for (size_t t = n; t-- > 0;) {
        const double *P = s.Ps + s.pidx[t] * rd * rd, *M = gain(&s, t);
        double F = s.F[t];
        int obs = !isnan(x[t]);
        for (size_t l = 0; l < nd; l++) {
            double *rr = rl + l * rd, *ww = wl + l * rd;
            r_step(&s, t, vl[l * n + t], &rr, &ww);
            if (rr != rl + l * rd) /* keep r in its slot */
                for (size_t i = 0; i < rd; i++) rl[l * rd + i] = rr[i];
            const double *rv = rl + l * rd;
            double q = prl[l * n + t];
            for (size_t i = 0; i < rd; i++) q += M[i] * rv[i];
            gy[l] = s.C[t * nd + l] - q;
            for (size_t i = 0; svar && i < rd; i++) {
                double e = abl[(l * n + t) * rd + i];
                for (size_t j = 0; j < rd; j++) e += P[i * rd + j] * rv[j];
                gs[i * nd + l] = (i >= r ? lag_path(&s, t, i - r, l) : 0.0) - e;
            }
        }
        tt_mat(&s, N, A);
        if (obs) {
            /* (I - Z m') A (I - m Z') + Z Z' / F with A = T' N T, m = M / F */
            double mAm = 0.0;
            for (size_t i = 0; i < rd; i++) {
                double v = 0.0;
                for (size_t j = 0; j < rd; j++) v += N[i * rd + j] * M[j];
                w[i] = v / F;
            }
            for (size_t i = 0; i < rd; i++) mAm += M[i] / F * w[i];
            for (size_t i = 0; i < rd; i++)
                for (size_t j = 0; j < rd; j++)
                    N[i * rd + j] += -s.Z[i] * w[j] - w[i] * s.Z[j] +
                                     (mAm + 1.0 / F) * s.Z[i] * s.Z[j];
        }
        if (yvar) {
            if (obs) {
                yvar[t] = 0.0;
            } else {
                double q = 0.0;
                for (size_t i = 0; i < rd; i++) {
                    double v = 0.0;
                    for (size_t j = 0; j < rd; j++) v += N[i * rd + j] * M[j];
                    q += M[i] * v;
                }
                memcpy(g, gy, nd * sizeof *g);
                yvar[t] = (fmax(F - q, 0.0) + (nd ? qinv_form(&s, g) : 0.0)) * m->sigma2;
            }
        }
        for (size_t i = 0; svar && i < rd; i++) {
            const double *Pi = P + i * rd;
            double q = 0.0;
            for (size_t j = 0; j < rd; j++) {
                double v = 0.0;
                for (size_t k = 0; k < rd; k++) v += N[j * rd + k] * Pi[k];
                q += Pi[j] * v;
            }
            double extra = 0.0;
            if (nd) {
                memcpy(g, gs + i * nd, nd * sizeof *g);
                extra = qinv_form(&s, g);
            }
            svar[t * rd + i] = (fmax(Pi[i] - q, 0.0) + extra) * m->sigma2;
        }
    }
done:
    free(vl);
    free(prl);
    free(abl);
    free(rl);
    free(wl);
    free(gy);
    free(gs);
    free(g);
    free(N);
    free(A);
    sm_free(&s);
    return st;
}

size_t tsf_arima_ss_dim(const tsf_arima_ss *m)
{
    size_t r = m->p > m->q + 1 ? m->p : m->q + 1;
    return r + m->nd;
}

tsf_status tsf_arima_ss_smooth_draws(const tsf_arima_ss *m, const double *x, size_t n,
                                     size_t npaths, uint64_t seed, double *out)
{
    smoother s;
    tsf_status st = sm_forward(m, x, n, &s);
    size_t rd = s.rd, r = s.r, nd = s.nd, nn = n ? n : 1;
    double *y0 = malloc(nn * sizeof *y0), *hat = malloc(nn * sizeof *hat);
    double *L = malloc(r * r * sizeof *L), *z = malloc(rd * sizeof *z);
    double *Ld = malloc((nd ? nd : 1) * sizeof *Ld), *a = malloc(rd * sizeof *a);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (st) goto done;
    if (!y0 || !hat || !L || !z || !Ld || !a || !rng) {
        st = oom();
        goto done;
    }
    /* L L' = P0 by its eigen-decomposition (P0 may be singular) */
    memcpy(L, s.kf->P0, r * r * sizeof *L);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)r, L, (lapack_int)r, z)) {
        st = tsf_set_error(TSF_EDEGENERATE, "eigen-decomposition of the stationary covariance "
                           "failed");
        goto done;
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) L[i * r + j] *= sqrt(fmax(z[j], 0.0));
    gsl_rng_set(rng, (unsigned long)seed);
    double sd = sqrt(m->sigma2);
    const double *th = s.kf->theta;
    for (size_t k = 0; k < npaths; k++) {
        /* the start L from its posterior: Lhat + sd Q^-T/2 z */
        for (size_t i = 0; i < nd; i++) Ld[i] = gsl_ran_gaussian_ziggurat(rng, sd);
        for (size_t i = nd; i-- > 0;) {
            double v = Ld[i];
            for (size_t j = i + 1; j < nd; j++) v -= s.Q[i * nd + j] * Ld[j];
            Ld[i] = v / s.Q[i * nd + i];
        }
        for (size_t i = 0; i < nd; i++) Ld[i] += s.Lhat[i];
        /* Durbin & Koopman (2002): an unconditional draw y0 of the
         * zero-start model; then E0[w | w_obs] + y0 with w = x - C L - y0
         * has the distribution of the zero-start series given
         * x_obs - C L */
        for (size_t i = 0; i < r; i++) z[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t i = 0; i < r; i++) {
            double q = 0.0;
            for (size_t j = 0; j < r; j++) q += L[i * r + j] * z[j];
            a[i] = q * sd;
        }
        for (size_t i = r; i < rd; i++) a[i] = 0.0;
        for (size_t t = 0; t < n; t++) {
            double yt = 0.0;
            for (size_t i = 0; i < rd; i++) yt += s.Z[i] * a[i];
            y0[t] = yt;
            double e = gsl_ran_gaussian_ziggurat(rng, sd);
            t_vec(&s, a, z);
            for (size_t i = 0; i < r; i++) z[i] += th[i] * e;
            memcpy(a, z, rd * sizeof *a);
        }
        remove_start(&s, x, Ld);
        for (size_t t = 0; t < n; t++) s.u[t] -= y0[t];
        mean_pass(&s, s.u, hat, NULL);
        double *o = out + k * n;
        for (size_t t = 0; t < n; t++) {
            if (!isnan(x[t])) {
                o[t] = x[t];
                continue;
            }
            double c = 0.0;
            for (size_t l = 0; l < nd; l++) c += s.C[t * nd + l] * Ld[l];
            o[t] = hat[t] + y0[t] + c;
        }
    }
done:
    gsl_rng_free(rng);
    free(y0);
    free(hat);
    free(L);
    free(z);
    free(Ld);
    free(a);
    sm_free(&s);
    return st;
}

tsf_status tsf_arima_ss_smooth_into(const tsf_arima_ss *m, const double *x, size_t n,
                                    const double *xb, tsf_smooth_result *res)
{
    size_t dim = tsf_arima_ss_dim(m), nn = n ? n : 1;
    res->dim = dim;
    res->state_mean = malloc(nn * dim * sizeof *res->state_mean);
    res->state_var = malloc(nn * dim * sizeof *res->state_var);
    if (!res->state_mean || !res->state_var) return oom();
    tsf_status st = tsf_arima_ss_smooth(m, x, n, res->mean, res->se, res->state_mean,
                                        res->state_var);
    if (st) return st;
    for (size_t t = 0; t < n; t++) {
        res->se[t] = sqrt(res->se[t]);
        if (xb) res->mean[t] += xb[t];
    }
    return TSF_OK;
}

tsf_status tsf_arima_ss_forecast_given(const tsf_arima_ss *m, const double *x, size_t n,
                                       size_t h, const size_t *gs, const double *gv, size_t ng,
                                       double *mean, double *se)
{
    /* the future as missing observations, the given ones observed: the
     * smoother's answer at n..n+h is the conditional forecast */
    size_t N = n + h;
    double *xe = malloc((N ? N : 1) * sizeof *xe), *ym = malloc((N ? N : 1) * sizeof *ym);
    double *yv = malloc((N ? N : 1) * sizeof *yv);
    if (!xe || !ym || !yv) {
        free(xe);
        free(ym);
        free(yv);
        return oom();
    }
    memcpy(xe, x, n * sizeof *xe);
    for (size_t i = 0; i < h; i++) xe[n + i] = NAN;
    for (size_t i = 0; i < ng; i++) xe[n + gs[i] - 1] = gv[i];
    tsf_status st = tsf_arima_ss_smooth(m, xe, N, ym, yv, NULL, NULL);
    for (size_t i = 0; !st && i < h; i++) {
        mean[i] = ym[n + i];
        se[i] = sqrt(yv[n + i]);
    }
    free(xe);
    free(ym);
    free(yv);
    return st;
}
