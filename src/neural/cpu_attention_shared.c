/* CPU attention_step_shared (backend.h): the KV-cache step of B sample
 * paths that continue one history.  Every path's window holds the same
 * trailing positions of the history (the shared prefix, stored once) and
 * then positions of its own.  The paths' queries run together through
 * the step's own routine (tsf_cpu_attn_queries, cpu_attn_query.c) with
 * the prefix rows as their first keys and their rings as the rest: the
 * scores, ALiBi biases, softmax and weighted sums of attention_step on a
 * ring holding the same positions, bit for bit, so that forecasts sampled
 * from the shared prefix are those of per-path copies of the cache and of
 * the parallel sampler (docs/neural.md, Sampling).  What it saves is the
 * copy of the history's keys and values into every path (and the
 * memory), and their reads: each block of prefix rows is read once for
 * all paths. */
#include "cpu_ops.h"

#define MAXH 64 /* heads (the transformer's limit) */

// q (B,C) at pos; kp, vp (P,C) positions p0..p0+P-1; ks, vs (R,B,C) rings -> out (B,C); scratch (NH,B,W)
void tsf_cpu_attention_step_shared(float *out, const float *q, const float *kp,
                                   const float *vp, size_t P, size_t p0, const float *ks,
                                   const float *vs, size_t R, size_t B, size_t C, size_t NH,
                                   size_t W, size_t pos, float *scratch)
{
    size_t e = p0 + P; /* the first position of a path's own */
    size_t lo = pos + 1 > W ? pos + 1 - W : 0;
    /* in the window: prefix positions [a0, e), own positions [s0, pos] */
    size_t a0 = lo > p0 ? lo : p0, np = e > a0 ? e - a0 : 0;
    size_t s0 = lo > e ? lo : e, ns = pos + 1 - s0;
    float slope[MAXH];
    for (size_t h = 0; h < NH && h < MAXH; h++) slope[h] = tsf_cpu_alibi_slope(h, NH);
    const float *k0 = np ? kp + (a0 - p0) * C : NULL, *v0 = np ? vp + (a0 - p0) * C : NULL;
    tsf_cpu_attn_queries(out, q, B, k0, v0, np, ks, vs, B * C, C, ns, (s0 - e) % R, R, C, NH,
                         slope, scratch, W, NH * W);
}
