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
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include "core/internal.h"
#include "stats/arima_kf.h"

/* A change of P (or N) from one step to the next below STEADY_TOL times
 * max(1, its largest element) makes it a fixed point (the filter's test,
 * arima_kf.c); a new matrix within MERGE_TOL of a known fixed point is
 * taken to be that fixed point. */
#define STEADY_TOL 1e-13
#define MERGE_TOL 1e-12
/* A fixed point P whose filtered variance P - M M'/F is below PF_TOL times
 * max(1, max |P|) elementwise makes an observed step with it decouple
 * the smoother (see the comment at the top, Decoupling): the state is then known from the
 * past (the ARMA part of an invertible model has no measurement noise). */
#define PF_TOL 1e-12
#define NONE UINT32_MAX
/* Up to this state dimension an observed step is one matrix-vector product
 * with B = T (I - M Z'/F): forward a_{t+1} = B a_t + (T M / F) y_t,
 * backward r_{t-1} = B' r_t + Z v_t / F.  One dot product deep instead of
 * the chain Z'a, v, update, T (about half the latency); O(rd^2), so not
 * for large states. */
#define BMAX 6
/* Past this many doubles of N nodes (recursions that do not converge, large
 * states) the backward pass stops keeping them: N_{t-1} goes into one of
 * two scratch nodes and the step is recomputed every time. */
#define NBUDGET ((size_t)1 << 24)
#define EMPTY UINT64_MAX

typedef struct {
    tsf_arima_kf *kf;
    size_t n, rd, r, nd;
    int steady_ok;      /* 0: no fixed points (every step its own matrices), no settling */
    double *Z;          /* rd */
    const double *x;    /* the series (NaN = missing) */
    /* P nodes: the distinct predicted covariances of the zero-start filter */
    double *pd;         /* nP x ps: P (rd*rd), M = P Z (rd), F = Z'P Z, 1 / F, and for
                         * rd <= BMAX B = T (I - M Z'/F) (rd*rd), T M / F (rd) */
    uint32_t *pnext;    /* nP x 2: the node after a missing (0) / observed (1) step */
    size_t nP, capd, capn, ps;
    uint32_t *pfix;     /* the P nodes that are fixed points when observed */
    size_t npfix, cappfix;
    unsigned char *pdec; /* nP: 1 for a fixed point with P - M M'/F negligible (PF_TOL) */
    size_t cappdec;
    uint32_t *pid;      /* n: the node of P_t */
    /* N nodes: the distinct N_t of the backward recursion */
    double *nn;         /* nN x rd*rd */
    size_t nN, capnn;
    uint32_t *nfix;
    size_t nnfix, capnfix;
    /* steps back (N node of N_t, P node of P_t, observed) -> entry */
    uint64_t *hkey;
    uint32_t *hval;
    size_t hcap, hn;
    uint32_t nscr;      /* first of the two scratch N nodes and the scratch entry
                         * (NONE until the budget is reached) */
    uint32_t escr;
    uint32_t *enext;    /* nE: the node of N_{t-1} */
    double *evar;       /* nE x (rd + 1): diag(P - P N P), then F - M'N M (0 observed) */
    size_t nE, capen, capev;
    /* the step that followed each entry the last time (key, entry; EMPTY:
     * none yet): the backward pass repeats the same sequences of entries
     * after every gap, so this finds most steps without hashing */
    uint64_t *eskey;
    uint32_t *esval;
    size_t capsk, capsv;
    /* the initial lags */
    double *C;          /* c_t of initial lag l at C[t*nd + l]: up to tset (all n
                         * for the draws), grown as the forward pass goes */
    double *vc;         /* innovations of the c_l, vc[t*nd + l], up to tset */
    size_t capc, capvc;
    double *Q;          /* nd x nd: Cholesky factor (lower, column-major) of Q */
    double *Qi;         /* nd x nd: its inverse (g'Q^-1 g = |Qi g|^2, no division) */
    double *Lhat;       /* nd: E[L | y] = Q^-1 s */
    size_t tset;        /* the c_l's filters settled from this t on (fwd_loop) */
    double *W;          /* 3 rd*rd + 2 rd scratch for the node updates */
} smoother;

static void sm_free(smoother *s)
{
    tsf_arima_kf_free(s->kf);
    free(s->Z);
    free(s->pd);
    free(s->pnext);
    free(s->pfix);
    free(s->pdec);
    free(s->pid);
    free(s->nn);
    free(s->nfix);
    free(s->hkey);
    free(s->hval);
    free(s->enext);
    free(s->evar);
    free(s->eskey);
    free(s->esval);
    free(s->C);
    free(s->vc);
    free(s->Q);
    free(s->Qi);
    free(s->Lhat);
    free(s->W);
}

static tsf_status oom(void) { return tsf_set_error(TSF_ENOMEM, "out of memory smoothing"); }

/* *p holds *cap elements of size elem; makes room for need (doubling). */
static int grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*(void **)p, c * elem);
    if (!q) return -1;
    *(void **)p = q;
    *cap = c;
    return 0;
}

/* Values below DBL_MIN to 0 (applied by t_vec_k and tt_vec_k, which
 * every recursion passes through).  The paths of the initial lags are fitted
 * exactly after a few steps and their ARMA part decays geometrically
 * into the subnormal range, where it can stay (phi times the smallest
 * subnormal rounds back to it) and every operation on it is a
 * microcode assist, 40% of the smoother's time; 1e-308 is far below
 * anything the results can resolve. */
static inline double ftz(double v) { return fabs(v) < DBL_MIN ? 0.0 : v; }

/* The hot loops take the shape (r, nd) as arguments: called with
 * constants (SHAPES below) the compiler unrolls them. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
/* the loops over the state in the hot paths, unrolled completely for the
 * constant shapes (-O2 does not peel them: 15-20% of the smoother's time) */
#define UNROLL _Pragma("GCC unroll 6")
#else
#define HOT static inline
#define UNROLL
#endif

HOT double zdot_k(const double *u, size_t r, size_t nd, const double *delta)
{
    double z = u[0];
    for (size_t j = 0; j < nd; j++) z += delta[j] * u[r + j];
    return z;
}

static inline double zdot(const smoother *s, const double *u)
{
    return zdot_k(u, s->r, s->nd, s->kf->delta);
}

/* out = T' u, O(rd) through the structure of T (arima_kf.h): the
 * Harvey block (phi in column 0, ones on the superdiagonal) and the shift
 * of the lags, whose head is Z' alpha. */
HOT void tt_vec_k(const double *u, double *out, size_t r, size_t nd, const double *phi,
                  const double *delta)
{
    double o0 = nd ? u[r] : 0.0;
    for (size_t i = 0; i < r; i++) o0 += phi[i] * u[i];
    for (size_t i = r - 1; i >= 1; i--) out[i] = u[i - 1];
    out[0] = ftz(o0);
    for (size_t j = 0; j < nd; j++)
        out[r + j] = ftz(delta[j] * u[r] + (j + 1 < nd ? u[r + j + 1] : 0.0));
}

/* out = T u, O(rd) */
HOT void t_vec_k(const double *u, double *out, size_t r, size_t nd, const double *phi,
                 const double *delta)
{
    double u0 = u[0];
    if (nd) {
        double z = u0;
        for (size_t j = 0; j < nd; j++) z += delta[j] * u[r + j];
        for (size_t j = nd - 1; j >= 1; j--) out[r + j] = u[r + j - 1];
        out[r] = ftz(z);
    }
    for (size_t i = 0; i + 1 < r; i++) out[i] = ftz(phi[i] * u0 + u[i + 1]);
    out[r - 1] = ftz(phi[r - 1] * u0);
}

static void tt_vec(const smoother *s, const double *u, double *out)
{
    tt_vec_k(u, out, s->r, s->nd, s->kf->phi, s->kf->delta);
}

static void t_vec(const smoother *s, const double *u, double *out)
{
    t_vec_k(u, out, s->r, s->nd, s->kf->phi, s->kf->delta);
}

/* out = op S op' for symmetric S, op = T (t_vec) or T' (tt_vec), in
 * O(rd^2): op on each row of S (its columns), then on each column of
 * the result.  W: rd*rd + rd scratch. */
static void sandwich(const smoother *s, void (*op)(const smoother *, const double *, double *),
                     const double *S, double *out, double *W)
{
    size_t rd = s->rd;
    double *col = W + rd * rd;
    for (size_t j = 0; j < rd; j++) op(s, S + j * rd, W + j * rd);
    for (size_t j = 0; j < rd; j++) {
        for (size_t i = 0; i < rd; i++) col[i] = W[i * rd + j];
        op(s, col, out + j * rd);
    }
    for (size_t i = 0; i < rd; i++)
        for (size_t j = i + 1; j < rd; j++) out[i * rd + j] = out[j * rd + i] =
            0.5 * (out[i * rd + j] + out[j * rd + i]);
}

/* max |A - B| <= tol max(1, max |B|); false when a difference is NaN
 * (comparisons, not fmax: fmax is a libm call here, and it would skip a
 * NaN) */
static int near(const double *A, const double *B, size_t len, double tol)
{
    double d = 0.0, sc = 1.0;
    for (size_t i = 0; i < len; i++) {
        double a = fabs(A[i] - B[i]), b = fabs(B[i]);
        if (!(a <= d)) d = a;
        if (b > sc) sc = b;
    }
    return d <= tol * sc;
}

static inline const double *pnode(const smoother *s, uint32_t k) { return s->pd + k * s->ps; }

static int push_id(uint32_t **list, size_t *len, size_t *cap, uint32_t id)
{
    if (grow(list, cap, *len + 1, sizeof **list)) return -1;
    (*list)[(*len)++] = id;
    return 0;
}

/* A new P node holding P (its M and F computed); NONE when out of memory. */
static uint32_t p_new(smoother *s, const double *P)
{
    size_t rd = s->rd, ps = s->ps, k = s->nP;
    if (grow(&s->pd, &s->capd, (k + 1) * ps, sizeof *s->pd) ||
        grow(&s->pnext, &s->capn, 2 * (k + 1), sizeof *s->pnext) ||
        grow(&s->pdec, &s->cappdec, k + 1, sizeof *s->pdec))
        return NONE;
    s->pdec[k] = 0;
    double *d = s->pd + k * ps, *M = d + rd * rd;
    memcpy(d, P, rd * rd * sizeof *d);
    double f = 0.0;
    for (size_t i = 0; i < rd; i++) {
        M[i] = zdot(s, d + i * rd);
        f += s->Z[i] * M[i];
    }
    M[rd] = f;
    M[rd + 1] = 1.0 / f;
    if (rd <= BMAX) {
        double *B = M + rd + 2, *kg = B + rd * rd, *col = s->W, *out = col + rd;
        for (size_t j = 0; j < rd; j++) {
            for (size_t i = 0; i < rd; i++) col[i] = (i == j) - M[i] * M[rd + 1] * s->Z[j];
            t_vec(s, col, out);
            for (size_t i = 0; i < rd; i++) B[i * rd + j] = out[i];
        }
        for (size_t i = 0; i < rd; i++) col[i] = M[i] * M[rd + 1];
        t_vec(s, col, kg);
    }
    s->pnext[2 * k] = s->pnext[2 * k + 1] = NONE;
    s->nP++;
    return (uint32_t)k;
}

/* The node of P_{t+1} after P_t = node k and a missing (obs = 0) or
 * observed step: P_{t+1} = T (P - [obs] M M' / F) T' + R R', computed once
 * per node and step kind and then looked up.  NONE when out of memory. */
static uint32_t p_next(smoother *s, uint32_t k, int obs)
{
    uint32_t nx = s->pnext[2 * k + obs];
    if (nx != NONE) return nx;
    size_t rd = s->rd, r = s->r;
    double *U = s->W, *Pn = U + rd * rd, *wk = Pn + rd * rd;
    const double *P = pnode(s, k), *M = P + rd * rd;
    double F = M[rd];
    memcpy(U, P, rd * rd * sizeof *U);
    if (obs)
        for (size_t i = 0; i < rd; i++) {
            double mi = M[i] / F;
            for (size_t j = 0; j < rd; j++) U[i * rd + j] -= mi * M[j];
        }
    sandwich(s, t_vec, U, Pn, wk);
    const double *th = s->kf->theta;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) Pn[i * rd + j] += th[i] * th[j];
    if (s->steady_ok) {
        if (obs && near(Pn, P, rd * rd, STEADY_TOL)) {
            if (push_id(&s->pfix, &s->npfix, &s->cappfix, k)) return NONE;
            /* U = P - M M'/F (the filtered variance): M M'/F near P */
            for (size_t i = 0; i < rd * rd; i++) wk[i] = P[i] - U[i];
            s->pdec[k] = (unsigned char)near(wk, P, rd * rd, PF_TOL);
            return s->pnext[2 * k + 1] = k;
        }
        for (size_t i = 0; i < s->npfix && nx == NONE; i++)
            if (near(Pn, pnode(s, s->pfix[i]), rd * rd, MERGE_TOL)) nx = s->pfix[i];
    }
    if (nx == NONE && (nx = p_new(s, Pn)) == NONE) return NONE;
    return s->pnext[2 * k + obs] = nx;
}

static uint32_t n_new(smoother *s, const double *N)
{
    size_t rd2 = s->rd * s->rd, k = s->nN;
    if (grow(&s->nn, &s->capnn, (k + 1) * rd2, sizeof *s->nn)) return NONE;
    memcpy(s->nn + k * rd2, N, rd2 * sizeof *N);
    s->nN++;
    return (uint32_t)k;
}

static inline size_t hslot(uint64_t key, size_t cap)
{
    /* the splitmix64 finaliser: every key bit reaches the low bits */
    key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
    key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
    return (size_t)(key ^ (key >> 31)) & (cap - 1);
}

static int h_insert(smoother *s, uint64_t key, uint32_t val)
{
    if (2 * (s->hn + 1) > s->hcap) {
        size_t cap = s->hcap ? 2 * s->hcap : 64;
        uint64_t *k = malloc(cap * sizeof *k);
        uint32_t *v = malloc(cap * sizeof *v);
        if (!k || !v) {
            free(k);
            free(v);
            return -1;
        }
        for (size_t i = 0; i < cap; i++) k[i] = EMPTY;
        for (size_t i = 0; i < s->hcap; i++)
            if (s->hkey[i] != EMPTY) {
                size_t h = hslot(s->hkey[i], cap);
                while (k[h] != EMPTY) h = (h + 1) & (cap - 1);
                k[h] = s->hkey[i];
                v[h] = s->hval[i];
            }
        free(s->hkey);
        free(s->hval);
        s->hkey = k;
        s->hval = v;
        s->hcap = cap;
    }
    size_t h = hslot(key, s->hcap);
    while (s->hkey[h] != EMPTY) h = (h + 1) & (s->hcap - 1);
    s->hkey[h] = key;
    s->hval[h] = val;
    s->hn++;
    return 0;
}

/* The step back over time t from N_t = node nid with P_t = node k:
 *   observed:  N_{t-1} = Z Z' / F + L' N_t L,  L = T (I - M Z' / F)
 *              = (I - Z m') A (I - m Z') + Z Z' / F,  A = T' N_t T, m = M / F
 *   missing:   N_{t-1} = A
 * and the smoothed variances of time t, diag(P - P N_{t-1} P) and
 * F - M' N_{t-1} M: computed once per (nid, k, obs) and then looked up.
 * Returns the entry, NONE when out of memory. */
static uint32_t n_step(smoother *s, uint32_t nid, uint32_t k, int obs)
{
    uint64_t key = ((uint64_t)nid << 33) | ((uint64_t)k << 1) | (uint64_t)obs;
    if (s->hcap)
        for (size_t h = hslot(key, s->hcap); s->hkey[h] != EMPTY; h = (h + 1) & (s->hcap - 1))
            if (s->hkey[h] == key) return s->hval[h];
    size_t rd = s->rd, rd2 = rd * rd;
    double *A = s->W, *Nn = A + rd2, *wk = Nn + rd2;
    if (s->nscr == NONE && s->nN * rd2 > NBUDGET) {
        /* over budget: two scratch nodes and one scratch entry from now on */
        s->nscr = (uint32_t)s->nN;
        if (n_new(s, Nn) == NONE || n_new(s, Nn) == NONE ||
            grow(&s->enext, &s->capen, s->nE + 1, sizeof *s->enext) ||
            grow(&s->evar, &s->capev, (s->nE + 1) * (rd + 1), sizeof *s->evar))
            return NONE;
        s->escr = (uint32_t)s->nE++;
    }
    const double *N = s->nn + nid * rd2, *M = pnode(s, k) + rd2;
    double F = M[rd];
    sandwich(s, tt_vec, N, A, wk);
    if (obs) {
        double *w = wk, mAm = 0.0;
        for (size_t i = 0; i < rd; i++) {
            double v = 0.0;
            for (size_t j = 0; j < rd; j++) v += A[i * rd + j] * M[j];
            w[i] = v / F;
        }
        for (size_t i = 0; i < rd; i++) mAm += M[i] / F * w[i];
        for (size_t i = 0; i < rd; i++)
            for (size_t j = 0; j < rd; j++)
                Nn[i * rd + j] = A[i * rd + j] - s->Z[i] * w[j] - w[i] * s->Z[j] +
                                 (mAm + 1.0 / F) * s->Z[i] * s->Z[j];
    } else {
        memcpy(Nn, A, rd2 * sizeof *A);
    }
    uint32_t nx = NONE;
    size_t e = s->nE;
    if (s->nscr != NONE) {
        /* the other scratch node (nid may be one of them) */
        nx = nid == s->nscr ? s->nscr + 1 : s->nscr;
        memcpy(s->nn + nx * rd2, Nn, rd2 * sizeof *Nn);
        e = s->escr;
    } else if (s->steady_ok) {
        if (obs && s->pnext[2 * k + 1] == k && near(Nn, N, rd2, STEADY_TOL)) {
            if (push_id(&s->nfix, &s->nnfix, &s->capnfix, nid)) return NONE;
            nx = nid;
        }
        for (size_t i = 0; i < s->nnfix && nx == NONE; i++)
            if (near(Nn, s->nn + s->nfix[i] * rd2, rd2, MERGE_TOL)) nx = s->nfix[i];
    }
    if (nx == NONE && (nx = n_new(s, Nn)) == NONE) return NONE;
    int scratch = s->nscr != NONE && e == s->escr;
    if (!scratch && (grow(&s->enext, &s->capen, e + 1, sizeof *s->enext) ||
                     grow(&s->evar, &s->capev, (e + 1) * (rd + 1), sizeof *s->evar) ||
                     h_insert(s, key, (uint32_t)e)))
        return NONE;
    const double *P = pnode(s, k), *Nx = s->nn + nx * rd2;
    double *ev = s->evar + e * (rd + 1);
    for (size_t i = 0; i < rd; i++) {
        const double *Pi = P + i * rd;
        double q = 0.0;
        for (size_t j = 0; j < rd; j++) {
            double v = 0.0;
            for (size_t l = 0; l < rd; l++) v += Nx[j * rd + l] * Pi[l];
            q += Pi[j] * v;
        }
        ev[i] = Pi[i] - q > 0.0 ? Pi[i] - q : 0.0;
    }
    double q = 0.0;
    for (size_t i = 0; i < rd && !obs; i++) {
        double v = 0.0;
        for (size_t j = 0; j < rd; j++) v += Nx[i * rd + j] * M[j];
        q += M[i] * v;
    }
    ev[rd] = !obs && F - q > 0.0 ? F - q : 0.0;
    s->enext[e] = nx;
    if (!scratch) {
        if (grow(&s->eskey, &s->capsk, e + 1, sizeof *s->eskey) ||
            grow(&s->esval, &s->capsv, e + 1, sizeof *s->esval))
            return NONE;
        s->eskey[e] = EMPTY;
        s->nE++;
    }
    return (uint32_t)e;
}

/* What the forward pass keeps for the backward one (any may be NULL). */
typedef struct {
    double *vx;   /* n: innovations of x (observed t; those of the c_l in s->vc) */
    double *ax;   /* n x rd: predicted state a_t of x */
    double *ac;   /* n x nd x rd: those of the c_l */
    double *prx;  /* n: Z'a_t of x */
    double *prc;  /* n x nd: of the c_l */
    /* fin: all four outputs are asked for (ax is smean, vx is yvar): at
     * the decoupled times (dec_time) the forward pass writes them */
    int fin;
    double *svar, *ymean, sigma2;
    const double *xb;
} fwd_store;

/* The workspace, the zero start P_1 = P0 (+) 0 as node 0, N_n = 0 as N
 * node 0. */
static tsf_status sm_setup(const tsf_arima_ss *m, const double *x, size_t n, int steady_ok,
                           smoother *s)
{
    memset(s, 0, sizeof *s);
    tsf_status st = tsf_arima_kf_new(m->p, m->q, m->nd, &s->kf);
    if (st) return st;
    if ((st = tsf_arima_kf_set(s->kf, m))) return st;
    tsf_arima_kf *kf = s->kf;
    size_t rd = kf->rd, nn = n ? n : 1, nd = kf->nd, nd1 = nd ? nd : 1;
    if (n >= ((size_t)1 << 31))
        return tsf_set_error(TSF_EINVAL, "smoothing: the series has %zu values, at most 2^31 - 1 "
                             "are supported", n);
    s->n = n;
    s->rd = rd;
    s->r = kf->r;
    s->nd = nd;
    s->x = x;
    s->ps = rd * rd + rd + 2 + (rd <= BMAX ? rd * rd + rd : 0);
    s->steady_ok = steady_ok;
    s->nscr = s->escr = NONE;
    s->Z = malloc(rd * sizeof *s->Z);
    s->pid = malloc(nn * sizeof *s->pid);
    s->Q = calloc(nd1 * nd1, sizeof *s->Q);
    s->Qi = calloc(nd1 * nd1, sizeof *s->Qi);
    s->Lhat = calloc(nd1, sizeof *s->Lhat);
    s->W = malloc((3 * rd * rd + 2 * rd) * sizeof *s->W);
    if (!s->Z || !s->pid || !s->Q || !s->Qi || !s->Lhat || !s->W) return oom();
    memset(s->Z, 0, rd * sizeof *s->Z);
    s->Z[0] = 1.0;
    for (size_t j = 0; j < nd; j++) s->Z[s->r + j] = kf->delta[j];
    /* the zero start: the lags known to be 0 */
    tsf_arima_kf_reset(kf);
    for (size_t i = kf->r; i < rd; i++) kf->P[i * rd + i] = 0.0;
    if (p_new(s, kf->P) == NONE) return oom();
    memset(s->W, 0, rd * rd * sizeof *s->W); /* (p_new uses W) */
    if (n_new(s, s->W) == NONE) return oom();
    return TSF_OK;
}

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
    if (!buf) return oom();
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
        if (obs && s->pnext[2 * k + 1] == NONE && p_next(s, k, 1) == NONE) {
            free(buf);
            return oom();
        }
        const double *M = pnode(s, k) + rd * rd;
        double Fi = M[rd + 1];
        if (rd <= BMAX && nr == 1 && fs && fs->fin && obs && s->pdec[k]) {
            /* a decoupled run (P_t a fixed point with zero filtered
             * variance, the lag paths settled): the smoothed state is the
             * filtered one a_t + M v_t / F, its variance that of the step
             * from N_t = 0 (the comment at the top); the backward pass only
             * carries r_t through it */
            uint32_t e0 = n_step(s, 0, k, 1);
            if (e0 == NONE) {
                free(buf);
                return oom();
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
                if ((k = p_next(s, k, 1)) == NONE) {
                    free(buf);
                    return oom();
                }
                if (t + 1 == n || isnan(x[t + 1])) break;
                if (s->pnext[2 * k + 1] == NONE && p_next(s, k, 1) == NONE) {
                    free(buf);
                    return oom();
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
            if (grow(&s->C, &s->capc, (t + 1) * nd, sizeof *s->C) ||
                (nr > 1 && grow(&s->vc, &s->capvc, (t + 1) * nd, sizeof *s->vc))) {
                free(buf);
                return oom();
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
        if ((k = p_next(s, k, obs)) == NONE) {
            free(buf);
            return oom();
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

static tsf_status sm_forward(smoother *s, const fwd_store *fs)
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
            if ((nx = n_step(s, *nid, k, obs)) == NONE) return NONE;
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
    if (!buf) return oom();
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
                return oom();
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
                    return oom();
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

/* E0[u_t | observed u] of the zero-start model into hat (u NaN where x
 * is): the mean recursions alone with the gains of the P nodes.  v, pr:
 * n scratch each; rv: 2 rd. */
static void mean_pass(const smoother *s, const double *u, double *v, double *pr, double *hat,
                      double *rv)
{
    size_t n = s->n, rd = s->rd, r = s->r, nd = s->nd;
    double *a = rv, *w = rv + rd, *tmp;
    memset(a, 0, rd * sizeof *a);
    for (size_t t = 0; t < n; t++) {
        const double *M = pnode(s, s->pid[t]) + rd * rd;
        pr[t] = zdot(s, a);
        if (!isnan(s->x[t])) {
            double k = (v[t] = u[t] - pr[t]) * M[rd + 1];
            for (size_t i = 0; i < rd; i++) a[i] += M[i] * k;
        }
        t_vec(s, a, w);
        tmp = a;
        a = w;
        w = tmp;
    }
    memset(a, 0, rd * sizeof *a);
    for (size_t t = n; t-- > 0;) {
        const double *M = pnode(s, s->pid[t]) + rd * rd;
        tt_vec(s, a, w);
        if (!isnan(s->x[t])) {
            double mw = 0.0;
            for (size_t i = 0; i < rd; i++) mw += M[i] * w[i];
            double c = (v[t] - mw) * M[rd + 1];
            w[0] += c;
            for (size_t i = 0; i < nd; i++) w[r + i] += s->kf->delta[i] * c;
        }
        tmp = a;
        a = w;
        w = tmp;
        double q = pr[t];
        for (size_t i = 0; i < rd; i++) q += M[i] * a[i];
        hat[t] = q;
    }
}

/* The smoother with its outputs (see tsf_arima_ss_smooth), steady_ok = 0
 * for the reference path without fixed points. */
static tsf_status smooth_run(const tsf_arima_ss *m, const double *x, size_t n, double *ymean,
                             double *yvar, double *smean, double *svar, const double *xb, int sd,
                             int steady_ok)
{
    smoother s;
    tsf_status st = sm_setup(m, x, n, steady_ok, &s);
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
        st = oom();
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
    if ((st = sm_forward(&s, &fs))) goto done;
    st = sm_backward(&s, &fs, m->sigma2, ymean, yvar, smean, svar, xb, sd);
done:
    free(blk);
    sm_free(&s);
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

tsf_status tsf_arima_ss_smooth_draws(const tsf_arima_ss *m, const double *x, size_t n,
                                     size_t npaths, uint64_t seed, double *out)
{
    smoother s;
    tsf_status st = sm_setup(m, x, n, 1, &s);
    size_t rd = s.rd, r = s.r, nd = s.nd, nn = n ? n : 1;
    double *y0 = malloc(5 * nn * sizeof *y0), *hat = y0 + nn, *v = hat + nn, *u = v + nn;
    double *pr = u + nn;
    double *L = malloc(r * r * sizeof *L), *z = malloc(2 * rd * sizeof *z);
    double *Ld = malloc((nd ? nd : 1) * sizeof *Ld), *a = malloc(rd * sizeof *a);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (st || (st = sm_forward(&s, NULL))) goto done;
    if (!y0 || !L || !z || !Ld || !a || !rng) {
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
            double q = Ld[i];
            for (size_t j = i + 1; j < nd; j++) q -= s.Q[i * nd + j] * Ld[j];
            Ld[i] = q / s.Q[i * nd + i];
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
            y0[t] = zdot(&s, a);
            double e = gsl_ran_gaussian_ziggurat(rng, sd);
            t_vec(&s, a, z);
            for (size_t i = 0; i < r; i++) z[i] += th[i] * e;
            memcpy(a, z, rd * sizeof *a);
        }
        for (size_t t = 0; t < n; t++) {
            double q = x[t] - y0[t];
            for (size_t l = 0; l < nd; l++) q -= s.C[t * nd + l] * Ld[l];
            u[t] = q;
        }
        mean_pass(&s, u, v, pr, hat, z);
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
