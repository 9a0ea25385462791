/* Internal to the smoother (arima_smooth.c, arima_smooth_nodes.c,
 * arima_smooth_draws.c): the workspace, its matrix nodes and the state
 * operations of the ARIMA state-space form.  The method is described at
 * the top of arima_smooth.c. */
#ifndef TSF_STATS_ARIMA_SMOOTH_H
#define TSF_STATS_ARIMA_SMOOTH_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
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

/* Values below DBL_MIN to 0 (applied by t_vec_k and tt_vec_k, which
 * every recursion passes through).  The paths of the initial lags are fitted
 * exactly after a few steps and their ARMA part decays geometrically
 * into the subnormal range, where it can stay (phi times the smallest
 * subnormal rounds back to it) and every operation on it is a
 * microcode assist, 40% of the smoother's time; 1e-308 is far below
 * anything the results can resolve. */
static inline double ftz(double v) { return fabs(v) < DBL_MIN ? 0.0 : v; }

/* The hot loops take the shape (r, nd) as arguments: called with
 * constants (SHAPES in arima_smooth.c) the compiler unrolls them. */
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

static inline void tt_vec(const smoother *s, const double *u, double *out)
{
    tt_vec_k(u, out, s->r, s->nd, s->kf->phi, s->kf->delta);
}

static inline void t_vec(const smoother *s, const double *u, double *out)
{
    t_vec_k(u, out, s->r, s->nd, s->kf->phi, s->kf->delta);
}

static inline const double *pnode(const smoother *s, uint32_t k) { return s->pd + k * s->ps; }

/* What the forward pass keeps for the backward one (any may be NULL). */
typedef struct {
    double *vx;   /* n: innovations of x (observed t; those of the c_l in s->vc) */
    double *ax;   /* n x rd: predicted state a_t of x */
    double *ac;   /* n x nd x rd: those of the c_l */
    double *prx;  /* n: Z'a_t of x */
    double *prc;  /* n x nd: of the c_l */
    /* fin: all four outputs are asked for (ax is smean, vx is yvar): at
     * the decoupled times the forward pass writes them itself */
    int fin;
    double *svar, *ymean, sigma2;
    const double *xb;
} fwd_store;

/* arima_smooth_nodes.c */
void tsf_sm_free(smoother *s);
/* TSF_ENOMEM with the smoother's message */
tsf_status tsf_sm_oom(void);
/* *p holds *cap elements of size elem; makes room for need (doubling);
 * -1 when out of memory. */
int tsf_sm_grow(void *p, size_t *cap, size_t need, size_t elem);
/* The node of P_{t+1} after P_t = node k and a missing (obs = 0) or
 * observed step; NONE when out of memory. */
uint32_t tsf_sm_p_next(smoother *s, uint32_t k, int obs);
/* The variance entry of the step back over a time with P node k from N_t
 * = node nid; NONE when out of memory. */
uint32_t tsf_sm_n_step(smoother *s, uint32_t nid, uint32_t k, int obs);
/* The workspace for x[0..n) (steady_ok = 0: no fixed points), the zero
 * start P_1 = P0 (+) 0 as P node 0, N_n = 0 as N node 0. */
tsf_status tsf_sm_setup(const tsf_arima_ss *m, const double *x, size_t n, int steady_ok,
                        smoother *s);

/* arima_smooth.c: the forward pass over x (fs NULL: only the P nodes, the
 * lag paths C and the posterior of the initial lags) */
tsf_status tsf_sm_forward(smoother *s, const fwd_store *fs);

#endif
