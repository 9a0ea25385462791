/* Fixed-interval smoothing of the ARIMA state-space form on the Kalman
 * filter of arima_kf.c: the forward and backward passes here, the matrix
 * nodes and the workspace in arima_smooth_nodes.c, the simulation smoother
 * in arima_smooth_draws.c (shared declarations: arima_smooth.h).
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
 * P_t depends only on P_{t-1} and whether y_{t-1} was observed, N_{t-1}
 * only on N_t, P_t and whether y_t was observed: the distinct matrices
 * are nodes, each step between nodes is computed once and then looked up,
 * and converged P and N (the steady state, a fixed point) map to
 * themselves, so away from gaps only the mean recursions run (see
 * docs/conditioning.md, "Steady state").
 *
 * Decoupling: y_t has no measurement noise, so where the filtered variance
 * P_t - M_t M_t'/F_t is zero (the fixed point of an invertible model) the
 * state at t is known from y_1..y_t: its smoothed mean is the filtered
 * a_t + M_t v_t / F_t (P_t r_{t-1} = M_t v_t / F_t + (T (P_t - M_t M_t'/F_t))'
 * r_t) and N_t reaches no earlier time (P_j L_j' ... L_t' is the covariance
 * of alpha_j and alpha_{t+1} given y_1..y_t, zero): N_t = 0 there, so the
 * backward recursion of N after every gap starts from the same node, and
 * the forward pass writes the outputs of such times itself; the backward
 * pass carries only r_t through them (it still reaches the gaps before).
 * The error is that of the fixed-point test: the filtered variance of a
 * decoupling node is below PF_TOL relative. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "stats/arima_smooth.h"

/* The forward pass over x: the P node of every t, the paths C of the
 * initial lags, the filter over x and the c_l at once (same gains), what
 * fs asks for, and the posterior of L (de Jong 1991):
 *   Q = I / kappa + sum V V' / F,  s = sum V v / F,  Lhat = Q^-1 s. */
/* Whether the filters of the c_l have settled in a (their predicted
 * states at t + 1): ARMA part exactly 0 (decayed and flushed, see ftz)
 * and lags exactly the paths c_t, ..., c_{t-nd+1}.  From then on every
 * step repeats the differencing recursion in the same order of
 * operations: innovations exactly 0, r_t of the c_l exactly 0 and
 * g = c - E0[c] exactly 0, so their recursions stop (s->tset). */
HOT int settled(const double *a, const double *C, size_t t, size_t r, size_t nd)
{
    for (size_t l = 0; l < nd; l++) {
        const double *al = a + l * (r + nd);
        for (size_t i = 0; i < r; i++)
            if (al[i] != 0.0) return 0;
        for (size_t j = 0; j < nd; j++)
            if (al[r + j] != (t >= j ? C[(t - j) * nd + l] : (double)(j - t - 1 == l))) return 0;
    }
    return 1;
}

HOT tsf_status fwd_loop(smoother *s, const fwd_store *fs, size_t r, size_t nd)
{
    size_t n = s->n, rd = r + nd, nd1 = nd + 1;
    const double *delta = s->kf->delta, *phi = s->kf->phi, *x = s->x;
    double *buf = malloc((2 * nd1 * rd + nd1) * sizeof *buf);
    if (!buf) return tsf_sm_oom();
    double *a = buf, *b = buf + nd1 * rd, *vtmp = b + nd1 * rd;
    memset(a, 0, nd1 * rd * sizeof *a);
    for (size_t i = 0; i < nd; i++) s->Q[i * nd + i] = 1.0 / TSF_ARIMA_KAPPA;
    uint32_t k = 0;
    size_t nr = nd1; /* the filters still running: x, then the c_l until settled */
    s->tset = nd ? n : 0;
    for (size_t t = 0; t < n; t++) {
        s->pid[t] = k;
        int obs = !isnan(x[t]);
        /* the observed step's node first: it tells whether k decouples
         * (pdec), which must be known at k's first time for the backward
         * pass to find the same runs */
        if (obs && s->pnext[2 * k + 1] == NONE && tsf_sm_p_next(s, k, 1) == NONE) {
            free(buf);
            return tsf_sm_oom();
        }
        const double *M = pnode(s, k) + rd * rd;
        double Fi = M[rd + 1];
        if (rd <= BMAX && nr == 1 && fs && fs->fin && obs && s->pdec[k]) {
            /* a decoupled run (P_t a fixed point with zero filtered
             * variance, the lag paths settled): the smoothed state is the
             * filtered one a_t + M v_t / F, its variance that of the step
             * from N_t = 0 (the comment at the top); the backward pass only
             * carries r_t through it */
            uint32_t e0 = tsf_sm_n_step(s, 0, k, 1);
            if (e0 == NONE) {
                free(buf);
                return tsf_sm_oom();
            }
            const double *B = M + rd + 2, *kg = B + rd * rd, *ev = s->evar + e0 * (rd + 1);
            double evs[BMAX] = {0};
            UNROLL for (size_t i = 0; i < rd; i++) evs[i] = ev[i] * fs->sigma2;
            for (;;) {
                s->pid[t] = k;
                double u = x[t], v = u - zdot_k(a, r, nd, delta), c = v * Fi;
                fs->vx[t] = v;
                UNROLL for (size_t i = 0; i < rd; i++) {
                    fs->ax[t * rd + i] = a[i] + M[i] * c;
                    fs->svar[t * rd + i] = evs[i];
                }
                fs->ymean[t] = u + (fs->xb ? fs->xb[t] : 0.0);
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = kg[i] * u;
                    UNROLL for (size_t l = 0; l < rd; l++) q += B[i * rd + l] * a[l];
                    b[i] = q;
                }
                double *tmp = a;
                a = b;
                b = tmp;
                if (t + 1 == n || isnan(x[t + 1])) break;
                t++;
            }
            continue;
        }
        if (rd <= BMAX && nr == 1 && fs && fs->ax && obs) {
            /* a run of observed times, the lag paths settled: the step
             * below without its branches (one product with B, the P node
             * of each step looked up), until a missing value or a
             * decoupled run */
            for (;;) {
                s->pid[t] = k;
                const double *Mk = pnode(s, k) + rd * rd, *B = Mk + rd + 2, *kg = B + rd * rd;
                UNROLL for (size_t i = 0; i < rd; i++) fs->ax[t * rd + i] = a[i];
                double u = x[t];
                fs->vx[t] = u - zdot_k(a, r, nd, delta);
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = kg[i] * u;
                    UNROLL for (size_t l = 0; l < rd; l++) q += B[i * rd + l] * a[l];
                    b[i] = q; /* (y does not decay: no flush) */
                }
                double *tmp = a;
                a = b;
                b = tmp;
                if ((k = tsf_sm_p_next(s, k, 1)) == NONE) {
                    free(buf);
                    return tsf_sm_oom();
                }
                if (t + 1 == n || isnan(x[t + 1])) break;
                if (s->pnext[2 * k + 1] == NONE && tsf_sm_p_next(s, k, 1) == NONE) {
                    free(buf);
                    return tsf_sm_oom();
                }
                if (fs->fin && s->pdec[k]) break;
                t++;
            }
            continue;
        }
        /* c_t = sum_i delta_i c_{t-i}, c before the start: lag j is x_{-1-j}
         * (the backward pass reads C and vc only before tset, the draws
         * all of C) */
        double *ct = NULL;
        if (nd && (nr > 1 || !fs)) {
            if (tsf_sm_grow(&s->C, &s->capc, (t + 1) * nd, sizeof *s->C) ||
                (nr > 1 && tsf_sm_grow(&s->vc, &s->capvc, (t + 1) * nd, sizeof *s->vc))) {
                free(buf);
                return tsf_sm_oom();
            }
            ct = s->C + t * nd;
            for (size_t l = 0; l < nd; l++) {
                double c = 0.0;
                for (size_t i = 1; i <= nd; i++)
                    c += delta[i - 1] * (t >= i ? s->C[(t - i) * nd + l] : (double)(i - t - 1 == l));
                ct[l] = c;
            }
        }
        if (fs) {
            /* element loops, not memcpy: rd is small and this runs n times */
            if (fs->ax)
                UNROLL for (size_t i = 0; i < rd; i++) fs->ax[t * rd + i] = a[i];
            if (fs->ac && nr > 1)
                for (size_t i = 0; i < nd * rd; i++) fs->ac[t * nd * rd + i] = a[rd + i];
            if (fs->prx) fs->prx[t] = zdot_k(a, r, nd, delta);
            for (size_t l = 0; fs->prc && nr > 1 && l < nd; l++)
                fs->prc[t * nd + l] = zdot_k(a + (l + 1) * rd, r, nd, delta);
        }
        if (obs) {
            double *vt = vtmp;
            const double *B = M + rd + 2, *kg = B + rd * rd;
            for (size_t j = 0; j < nr; j++) {
                double *aj = a + j * rd, u = j ? ct[j - 1] : x[t];
                double kk = (vt[j] = u - zdot_k(aj, r, nd, delta)) * Fi;
                if (rd <= BMAX) {
                    UNROLL for (size_t i = 0; i < rd; i++) {
                        double q = kg[i] * u;
                        UNROLL for (size_t l = 0; l < rd; l++) q += B[i * rd + l] * aj[l];
                        b[j * rd + i] = ftz(q);
                    }
                } else {
                    UNROLL for (size_t i = 0; i < rd; i++) aj[i] += M[i] * kk;
                }
            }
            if (fs) fs->vx[t] = vt[0];
            for (size_t i = 0; i < nd && nr > 1; i++) {
                s->vc[t * nd + i] = vt[1 + i];
                double vi = vt[1 + i] * Fi;
                s->Lhat[i] += vi * vt[0];
                for (size_t j = 0; j < nd; j++) s->Q[j * nd + i] += vi * vt[1 + j];
            }
        }
        if (!obs || rd > BMAX)
            for (size_t j = 0; j < nr; j++) t_vec_k(a + j * rd, b + j * rd, r, nd, phi, delta);
        if (s->steady_ok && nr > 1 && settled(b + rd, s->C, t, r, nd)) {
            nr = 1;
            s->tset = t + 1;
        }
        double *tmp = a;
        a = b;
        b = tmp;
        if ((k = tsf_sm_p_next(s, k, obs)) == NONE) {
            free(buf);
            return tsf_sm_oom();
        }
    }
    free(buf);
    if (!nd) return TSF_OK;
    lapack_int ki = (lapack_int)nd;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', ki, s->Q, ki) ||
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', ki, 1, s->Q, ki, s->Lhat, ki) ||
        (memcpy(s->Qi, s->Q, nd * nd * sizeof *s->Qi),
         LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'L', 'N', ki, s->Qi, ki)))
        return tsf_set_error(TSF_EDEGENERATE, "smoothing: the information about the series' "
                             "start is not positive definite");
    return TSF_OK;
}

#define SHAPES(X) X(1, 0) X(2, 0) X(3, 0) X(4, 0) X(1, 1) X(2, 1) X(3, 1) X(4, 1) \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2)

tsf_status tsf_sm_forward(smoother *s, const fwd_store *fs)
{
#define FWD(R, D) if (s->r == R && s->nd == D) return fwd_loop(s, fs, R, D);
    SHAPES(FWD)
#undef FWD
    return fwd_loop(s, fs, s->r, s->nd);
}

/* g' Q^-1 g = |Qi g|^2, Qi the inverse Cholesky factor; g[l] at g[l * gs] */
HOT double qinv_k(const double *Qi, const double *g, size_t gs, size_t nd)
{
    double q = 0.0;
    for (size_t i = 0; i < nd; i++) {
        double v = 0.0;
        for (size_t k = 0; k <= i; k++) v += Qi[k * nd + i] * g[k * gs];
        q += v * v;
    }
    return q;
}

/* The lag block of the state carries c: alpha_t[r + j] = c_{t-1-j}. */
HOT double lag_path(const double *C, size_t nd, size_t t, size_t j, size_t l)
{
    return t >= j + 1 ? C[(t - 1 - j) * nd + l] : (double)(j - t == l);
}

/* The variance entry of the step back over a time with P node k from N_t
 * = node *nid (n_step), found first through the step that followed the
 * previous entry *ent (*last: its key); *nid becomes the node of N_{t-1}.
 * NONE when out of memory. */
HOT uint32_t n_lookup(smoother *s, uint32_t *nid, uint32_t *ent, uint64_t *last, uint32_t k,
                      int obs)
{
    uint64_t key = ((uint64_t)*nid << 33) | ((uint64_t)k << 1) | (uint64_t)obs;
    if (key != *last) {
        /* (the scratch entry's content changes: never memoised) */
        int memo = *ent != NONE && *ent != s->escr;
        uint32_t nx;
        if (memo && s->eskey[*ent] == key) {
            nx = s->esval[*ent];
        } else {
            if ((nx = tsf_sm_n_step(s, *nid, k, obs)) == NONE) return NONE;
            if (memo && nx != s->escr) {
                s->eskey[*ent] = key;
                s->esval[*ent] = nx;
            }
        }
        *ent = nx;
    }
    *last = key;
    *nid = s->enext[*ent];
    return *ent;
}

/* The backward pass: r_t of x and of the c_l (Durbin & Koopman 2012, sec.
 * 4.4.4), the N nodes when variances are asked for, and the outputs:
 *   E0 = a_t + P_t r_{t-1} (state) or Z'a_t + M_t' r_{t-1} (y),
 *   g = c - E0[c],  E = E0[x] + g Lhat,  Var = (V0 + g' Q^-1 g) sigma2.
 * ax/ac of fs may be smean/svar themselves: row t is read before it is
 * written.  With sd the y variances are written as standard deviations;
 * xb (may be NULL) is added to the y means. */
HOT tsf_status bwd_loop(smoother *s, const fwd_store *fs, double sigma2, double *ymean,
                       double *yvar, double *smean, double *svar, const double *xb, int sd,
                       size_t r, size_t nd)
{
    size_t n = s->n, rd = r + nd, nd1 = nd + 1, rd2 = rd * rd;
    const double *phi = s->kf->phi, *delta = s->kf->delta;
    int var = yvar || svar, state = smean || svar;
    const double *x = s->x, *Lh = s->Lhat;
    double *buf = malloc((3 * nd1 * rd + rd * nd + 2 * nd + 1) * sizeof *buf);
    if (!buf) return tsf_sm_oom();
    double *rv = buf, *wv = rv + nd1 * rd, *e = wv + nd1 * rd, *gs = e + nd1 * rd;
    double *gy = gs + rd * nd;
    memset(rv, 0, 2 * nd1 * rd * sizeof *rv); /* the c_l's rows stay 0 after tset */
    uint32_t nid = 0, ent = NONE;
    uint64_t last = EMPTY;
    for (size_t t = n; t-- > 0;) {
        /* the initial lags' terms: exactly 0 from tset on (settled) */
        size_t ndc = t < s->tset ? nd : 0, nrc = ndc + 1;
        uint32_t k = s->pid[t];
        int obs = !isnan(x[t]);
        const double *ev = NULL;
        /* decoupled: N_t's effect on time t and before is negligible (the
         * comment at the top, Decoupling), N_t = 0 */
        int dec = ndc == 0 && obs && s->pdec[k];
        if (var) {
            if (dec) nid = 0;
            if (n_lookup(s, &nid, &ent, &last, k, obs) == NONE) {
                free(buf);
                return tsf_sm_oom();
            }
            ev = s->evar + ent * (rd + 1);
        }
        const double *P = pnode(s, k), *M = P + rd2;
        double Fi = M[rd + 1];
        if (rd <= BMAX && dec && fs->fin) {
            /* a run of decoupled times whose outputs the forward pass wrote:
             * r_{t-1} = B' r_t + Z v_t / F alone */
            const double *B = M + rd + 2;
            /* two steps at once, r_{t-2} = Z c_{t-1} + B'Z c_t + B'^2 r_t
             * (c_t = v_t / F): half the latency of the chain through r
             * (nothing else of the run needs r) */
            double B2[BMAX * BMAX] = {0}, g[BMAX] = {0};
            UNROLL for (size_t i = 0; i < rd; i++) {
                double q = 0.0;
                UNROLL for (size_t l = 0; l < rd; l++) q += B[l * rd + i] * s->Z[l];
                g[i] = q;
                UNROLL for (size_t j = 0; j < rd; j++) {
                    double v = 0.0;
                    UNROLL for (size_t l = 0; l < rd; l++) v += B[j * rd + l] * B[l * rd + i];
                    B2[j * rd + i] = v;
                }
            }
            for (;;) {
                int two = t > 0 && t - 1 >= s->tset && s->pid[t - 1] == k && !isnan(x[t - 1]);
                double c = fs->vx[t] * Fi;
                if (two) {
                    double c1 = fs->vx[t - 1] * Fi;
                    UNROLL for (size_t i = 0; i < rd; i++) {
                        double q = s->Z[i] * c1 + g[i] * c;
                        UNROLL for (size_t l = 0; l < rd; l++) q += B2[l * rd + i] * rv[l];
                        wv[i] = q;
                    }
                    yvar[t--] = 0.0;
                } else {
                    UNROLL for (size_t i = 0; i < rd; i++) {
                        double q = s->Z[i] * c;
                        UNROLL for (size_t l = 0; l < rd; l++) q += B[l * rd + i] * rv[l];
                        wv[i] = q;
                    }
                }
                double *tmp = rv;
                rv = wv;
                wv = tmp;
                yvar[t] = 0.0;
                if (!two || t == 0 || t - 1 < s->tset || s->pid[t - 1] != k || isnan(x[t - 1]))
                    break;
                t--;
            }
            continue;
        }
        if (rd <= BMAX && ndc == 0 && obs && fs->fin) {
            /* a run of observed times with every output asked for: the
             * step below without its branches, the P node and the variance
             * entry of each time looked up, until a missing value or a
             * decoupled run */
            for (;;) {
                const double *Pk = pnode(s, k), *Mk = Pk + rd2, *B = Mk + rd + 2;
                double c = fs->vx[t] * Mk[rd + 1]; /* (vx is yvar: read first) */
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = s->Z[i] * c;
                    UNROLL for (size_t l = 0; l < rd; l++) q += B[l * rd + i] * rv[l];
                    wv[i] = q; /* (no flush: as in the forward loop) */
                }
                double *tmp = rv;
                rv = wv;
                wv = tmp;
                /* element i of the row needs at[i] alone, so it is written
                 * in place (at is smean's row; through e, the vector load
                 * of e after its scalar stores stalled on store forwarding
                 * at every step) */
                const double *at = fs->ax + t * rd;
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = at[i];
                    UNROLL for (size_t l = 0; l < rd; l++) q += Pk[i * rd + l] * rv[l];
                    smean[t * rd + i] = q;
                    svar[t * rd + i] = ev[i] * sigma2;
                }
                ymean[t] = x[t] + (xb ? xb[t] : 0.0);
                yvar[t] = 0.0;
                if (t == 0 || t - 1 < s->tset || isnan(x[t - 1]) || s->pdec[s->pid[t - 1]]) break;
                k = s->pid[--t];
                if (n_lookup(s, &nid, &ent, &last, k, 1) == NONE) {
                    free(buf);
                    return tsf_sm_oom();
                }
                ev = s->evar + ent * (rd + 1);
            }
            continue;
        }
        /* r_{t-1} = T' r_t, and if observed + Z (v - M'T'r_t) / F */
        for (size_t j = 0; j < nrc; j++) {
            double *w = wv + j * rd;
            if (obs && rd <= BMAX) {
                const double *B = M + rd + 2, *rj = rv + j * rd;
                double c = (j ? s->vc[t * nd + j - 1] : fs->vx[t]) * Fi;
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = s->Z[i] * c;
                    UNROLL for (size_t l = 0; l < rd; l++) q += B[l * rd + i] * rj[l];
                    w[i] = ftz(q);
                }
                continue;
            }
            tt_vec_k(rv + j * rd, w, r, nd, phi, delta);
            if (obs) {
                double mw = 0.0;
                UNROLL for (size_t i = 0; i < rd; i++) mw += M[i] * w[i];
                double c = ((j ? s->vc[t * nd + j - 1] : fs->vx[t]) - mw) * Fi;
                w[0] += c;
                for (size_t i = 0; i < nd; i++) w[r + i] += delta[i] * c;
            }
        }
        double *tmp = rv;
        rv = wv;
        wv = tmp;
        const double *ct = ndc ? s->C + t * nd : NULL;
        double ym = 0.0; /* E[y_t | y] and gy: only needed where y_t is missing */
        if (state) {
            for (size_t j = 0; j < nrc; j++) {
                const double *aj = j ? fs->ac + (t * nd + j - 1) * rd : fs->ax + t * rd;
                const double *rj = rv + j * rd;
                UNROLL for (size_t i = 0; i < rd; i++) {
                    double q = aj[i];
                    UNROLL for (size_t l = 0; l < rd; l++) q += P[i * rd + l] * rj[l];
                    e[j * rd + i] = q;
                }
            }
            if (!obs) ym = zdot_k(e, r, nd, delta);
            for (size_t l = 0; l < ndc; l++) {
                if (!obs) {
                    gy[l] = ct[l] - zdot_k(e + (l + 1) * rd, r, nd, delta);
                    ym += gy[l] * Lh[l];
                }
                for (size_t i = 0; i < rd; i++)
                    gs[i * nd + l] = (i >= r ? lag_path(s->C, nd, t, i - r, l) : 0.0) - e[(l + 1) * rd + i];
            }
            for (size_t i = 0; i < rd; i++) {
                double q = e[i], v;
                for (size_t l = 0; l < ndc; l++) q += gs[i * nd + l] * Lh[l];
                if (smean) smean[t * rd + i] = q;
                if (svar) {
                    v = ev[i] + (ndc ? qinv_k(s->Qi, gs + i * nd, 1, nd) : 0.0);
                    svar[t * rd + i] = v * sigma2;
                }
            }
        } else if (!obs) {
            ym = fs->prx[t];
            for (size_t i = 0; i < rd; i++) ym += M[i] * rv[i];
            for (size_t l = 0; l < ndc; l++) {
                double q = fs->prc[t * nd + l];
                for (size_t i = 0; i < rd; i++) q += M[i] * rv[(l + 1) * rd + i];
                gy[l] = ct[l] - q;
                ym += gy[l] * Lh[l];
            }
        }
        if (ymean) ymean[t] = (obs ? x[t] : ym) + (xb ? xb[t] : 0.0);
        if (yvar) {
            double v = 0.0;
            if (!obs) {
                v = (ev[rd] + (ndc ? qinv_k(s->Qi, gy, 1, nd) : 0.0)) * sigma2;
                if (sd) v = sqrt(v);
            }
            yvar[t] = v;
        }
    }
    free(buf);
    return TSF_OK;
}

static tsf_status sm_backward(smoother *s, const fwd_store *fs, double sigma2, double *ymean,
                              double *yvar, double *smean, double *svar, const double *xb,
                              int sd)
{
#define BWD(R, D)                                                                        \
    if (s->r == R && s->nd == D)                                                         \
        return bwd_loop(s, fs, sigma2, ymean, yvar, smean, svar, xb, sd, R, D);
    SHAPES(BWD)
#undef BWD
    return bwd_loop(s, fs, sigma2, ymean, yvar, smean, svar, xb, sd, s->r, s->nd);
}

/* The smoother with its outputs (see tsf_arima_ss_smooth), steady_ok = 0
 * for the reference path without fixed points. */
static tsf_status smooth_run(const tsf_arima_ss *m, const double *x, size_t n, double *ymean,
                             double *yvar, double *smean, double *svar, const double *xb, int sd,
                             int steady_ok)
{
    smoother s;
    tsf_status st = tsf_sm_setup(m, x, n, steady_ok, &s);
    size_t rd = s.rd, nd = s.nd, nd1 = nd + 1, nn = n ? n : 1;
    int state = smean || svar;
    fwd_store fs = {0};
    double *blk = NULL;
    if (st) goto done;
    /* the forward pass's states go straight into the outputs they become
     * (smean; svar when there is one initial lag) */
    size_t need = yvar ? 0 : nn, off = need;
    if (state) {
        if (!smean) need += nn * rd;
        if (nd && !(svar && nd == 1)) need += nn * rd * nd;
    } else {
        need += nn * nd1;
    }
    if (!(blk = malloc((need ? need : 1) * sizeof *blk))) {
        st = tsf_sm_oom();
        goto done;
    }
    fs.vx = yvar ? yvar : blk;
    fs.fin = smean && svar && ymean && yvar;
    fs.svar = svar;
    fs.ymean = ymean;
    fs.xb = xb;
    fs.sigma2 = m->sigma2;
    if (state) {
        if (smean) {
            fs.ax = smean;
        } else {
            fs.ax = blk + off;
            off += nn * rd;
        }
        if (nd) fs.ac = svar && nd == 1 ? svar : blk + off;
    } else {
        fs.prx = blk + off;
        fs.prc = blk + off + nn;
    }
    if ((st = tsf_sm_forward(&s, &fs))) goto done;
    st = sm_backward(&s, &fs, m->sigma2, ymean, yvar, smean, svar, xb, sd);
done:
    free(blk);
    tsf_sm_free(&s);
    return st;
}

tsf_status tsf_arima_ss_smooth(const tsf_arima_ss *m, const double *x, size_t n,
                               double *ymean, double *yvar, double *smean, double *svar)
{
    return smooth_run(m, x, n, ymean, yvar, smean, svar, NULL, 0, 1);
}

tsf_status tsf_arima_ss_smooth_full(const tsf_arima_ss *m, const double *x, size_t n,
                                    double *ymean, double *yvar, double *smean, double *svar)
{
    return smooth_run(m, x, n, ymean, yvar, smean, svar, NULL, 0, 0);
}

size_t tsf_arima_ss_dim(const tsf_arima_ss *m)
{
    size_t r = m->p > m->q + 1 ? m->p : m->q + 1;
    return r + m->nd;
}

tsf_status tsf_arima_ss_smooth_into(const tsf_arima_ss *m, const double *x, size_t n,
                                    const double *xb, tsf_smooth_result *res)
{
    size_t dim = tsf_arima_ss_dim(m), nn = n ? n : 1;
    res->dim = dim;
    res->state_mean = malloc(nn * dim * sizeof *res->state_mean);
    res->state_var = malloc(nn * dim * sizeof *res->state_var);
    if (!res->state_mean || !res->state_var) return tsf_sm_oom();
    return smooth_run(m, x, n, res->mean, res->se, res->state_mean, res->state_var, xb, 1, 1);
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
        return tsf_sm_oom();
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
