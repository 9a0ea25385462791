/* The smoother's matrix nodes (see the top of arima_smooth.c): the
 * distinct predicted covariances P of the zero-start filter, the distinct
 * N of the backward recursion and the smoothed variances of each step
 * between them, each computed once and then looked up; and the workspace
 * that holds them. */
#include <stdlib.h>
#include <string.h>
#include "stats/arima_smooth.h"

void tsf_sm_free(smoother *s)
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

tsf_status tsf_sm_oom(void) { return tsf_set_error(TSF_ENOMEM, "out of memory smoothing"); }

/* *p holds *cap elements of size elem; makes room for need (doubling). */
int tsf_sm_grow(void *p, size_t *cap, size_t need, size_t elem)
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

static int push_id(uint32_t **list, size_t *len, size_t *cap, uint32_t id)
{
    if (tsf_sm_grow(list, cap, *len + 1, sizeof **list)) return -1;
    (*list)[(*len)++] = id;
    return 0;
}

/* A new P node holding P (its M and F computed); NONE when out of memory. */
static uint32_t p_new(smoother *s, const double *P)
{
    size_t rd = s->rd, ps = s->ps, k = s->nP;
    if (tsf_sm_grow(&s->pd, &s->capd, (k + 1) * ps, sizeof *s->pd) ||
        tsf_sm_grow(&s->pnext, &s->capn, 2 * (k + 1), sizeof *s->pnext) ||
        tsf_sm_grow(&s->pdec, &s->cappdec, k + 1, sizeof *s->pdec))
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
uint32_t tsf_sm_p_next(smoother *s, uint32_t k, int obs)
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
    if (tsf_sm_grow(&s->nn, &s->capnn, (k + 1) * rd2, sizeof *s->nn)) return NONE;
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
uint32_t tsf_sm_n_step(smoother *s, uint32_t nid, uint32_t k, int obs)
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
            tsf_sm_grow(&s->enext, &s->capen, s->nE + 1, sizeof *s->enext) ||
            tsf_sm_grow(&s->evar, &s->capev, (s->nE + 1) * (rd + 1), sizeof *s->evar))
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
    if (!scratch && (tsf_sm_grow(&s->enext, &s->capen, e + 1, sizeof *s->enext) ||
                     tsf_sm_grow(&s->evar, &s->capev, (e + 1) * (rd + 1), sizeof *s->evar) ||
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
        if (tsf_sm_grow(&s->eskey, &s->capsk, e + 1, sizeof *s->eskey) ||
            tsf_sm_grow(&s->esval, &s->capsv, e + 1, sizeof *s->esval))
            return NONE;
        s->eskey[e] = EMPTY;
        s->nE++;
    }
    return (uint32_t)e;
}

/* The workspace, the zero start P_1 = P0 (+) 0 as node 0, N_n = 0 as N
 * node 0. */
tsf_status tsf_sm_setup(const tsf_arima_ss *m, const double *x, size_t n, int steady_ok,
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
    if (!s->Z || !s->pid || !s->Q || !s->Qi || !s->Lhat || !s->W) return tsf_sm_oom();
    memset(s->Z, 0, rd * sizeof *s->Z);
    s->Z[0] = 1.0;
    for (size_t j = 0; j < nd; j++) s->Z[s->r + j] = kf->delta[j];
    /* the zero start: the lags known to be 0 */
    tsf_arima_kf_reset(kf);
    for (size_t i = kf->r; i < rd; i++) kf->P[i * rd + i] = 0.0;
    if (p_new(s, kf->P) == NONE) return tsf_sm_oom();
    memset(s->W, 0, rd * rd * sizeof *s->W); /* (p_new uses W) */
    if (n_new(s, s->W) == NONE) return tsf_sm_oom();
    return TSF_OK;
}
