/* Shared-prefix run states for sampling many paths from one history
 * (docs/neural.md, "Sampling"): every path of a forecast continues the same
 * conditioning state, so the keys and values of the history it can still
 * see (the last context - 1 positions) are stored once, not copied into
 * each path's ring, and each path keeps only its own new positions.  The
 * transformer's step then runs attention_step_shared (backend.h), which
 * reads the shared rows for every path (on the CPU through the step's own
 * per-query routine, so the paths are those of per-path copies, bit for
 * bit).
 *
 * Layout of mem: prefix keys (L,P,C), prefix values (L,P,C), the paths'
 * own key rings (L,R,B,C), value rings (L,R,B,C), then the step's scratch
 * (the architecture's, plus (NH,B,W) scores for the shared op).  A history
 * of n positions gives P = min(n, W - 1), p0 = n - P; R = min(hmax, W). */
#include "neural.h"

tsf_status tsf_nn_run_fork_shared(const tsf_nn *nn, const tsf_nn_run *src, size_t B, size_t hmax,
                                  tsf_nn_run **out)
{
    *out = NULL;
    const tsf_nn_config *c = &nn->cfg;
    const tsf_nn_backend *be = nn->be;
    if (c->arch != &tsf_nn_arch_transformer || !tsf_nn_transformer_shares_prefix(c) ||
        !be->attention_step_shared || src->R || B == 0)
        return TSF_OK;
    size_t L = (size_t)c->layers, C = (size_t)c->hidden, W = (size_t)c->context;
    size_t n = src->pos, P = n < W - 1 ? n : W - 1, R = hmax < 1 ? 1 : hmax < W ? hmax : W;
    size_t nstate = 2 * L * (P + B * R) * C, NH = (size_t)c->heads;
    tsf_nn_run *r;
    tsf_status st = tsf_nn_run_alloc(nn, B, nstate, c->arch->scratch_floats(nn, B) + NH * B * W,
                                     &r);
    if (st) return st;
    r->pos = n;
    r->p0 = n - P;
    r->P = P;
    r->R = R;
    r->kp = r->mem;
    r->vp = r->kp + L * P * C;
    r->ks = r->vp + L * P * C;
    r->vs = r->ks + L * B * R * C;
    /* src's rings (state_blocks of net_transformer.c): keys (L,Bs,W,C),
     * then values, position a in slot a % W; sequence 0's positions
     * p0 .. n-1 in order, in at most two pieces (the ring wraps once) */
    for (size_t kind = 0; kind < 2; kind++)
        for (size_t l = 0; l < L; l++) {
            const float *ring = src->mem + (kind * L + l) * src->B * W * C;
            float *dst = (kind ? r->vp : r->kp) + l * P * C;
            size_t first = r->p0 % W, n1 = W - first < P ? W - first : P;
            if (n1) be->copy(dst, ring + first * C, n1 * C);
            if (P > n1) be->copy(dst + n1 * C, ring, (P - n1) * C);
        }
    *out = r;
    return TSF_OK;
}
