/* Sparse causal attention patterns (transformer(pattern=..., band=B),
 * docs/neural.md "Attention patterns").  Every pattern is translation
 * invariant: query i of head h sees the keys i - d for the offsets d of
 * an ascending list D_h (d = 0 first, every d below the window W), those
 * with i - d >= 0.  So one list per head describes the whole mask, the
 * kernels gather exactly those keys, and a KV cache needs the last
 * max(D) + 1 positions only.
 *
 *   dense      D = {0, ..., W-1}                      (today's window)
 *   local      D = {0, ..., b-1},  b = min(band, W)
 *   logsparse  D = {0, ..., b} U {2^k : 2^k < W},      b = min(band, W-1)
 *              (Li et al. 2019: i itself, the band most recent, i - 2^k)
 *   strided    l = ceil(sqrt(W)) (Child et al. 2019); heads h < NH/2:
 *              D = {0, ..., l-1}; the other half D = {0, l, 2l, ...} < W
 *
 * Plain C99 and CUDA C++ (gpu/cuda_sparse_attn.cu includes it). */
#ifndef TSF_NEURAL_ATTN_PATTERN_H
#define TSF_NEURAL_ATTN_PATTERN_H

#ifdef __CUDACC__
#define TSF_PAT_FN static inline __host__ __device__
#else
#define TSF_PAT_FN static inline
#endif

enum { TSF_NN_PAT_DENSE = 0, TSF_NN_PAT_LOCAL, TSF_NN_PAT_LOGSPARSE, TSF_NN_PAT_STRIDED };

/* A pattern: its kind, the window W (context) and band (local, logsparse). */
typedef struct {
    int kind, window, band;
} tsf_nn_pattern;

/* ceil(sqrt(W)), exactly, for W >= 1 */
TSF_PAT_FN int tsf_pat_stride(int W)
{
    int l = 1;
    while (l * l < W) l++;
    return l;
}

/* logsparse: the band part's last offset b, and the first k with 2^k > b */
TSF_PAT_FN int tsf_pat_logband(const tsf_nn_pattern *p)
{
    return p->band < p->window - 1 ? p->band : p->window - 1;
}
TSF_PAT_FN int tsf_pat_logk0(int b)
{
    int k = 0;
    while ((1 << k) <= b) k++;
    return k;
}

/* Number of offsets of head h of NH. */
TSF_PAT_FN int tsf_pat_count(const tsf_nn_pattern *p, int h, int NH)
{
    int W = p->window;
    switch (p->kind) {
    case TSF_NN_PAT_LOCAL:
        return p->band < W ? p->band : W;
    case TSF_NN_PAT_LOGSPARSE: {
        int b = tsf_pat_logband(p), n = b + 1;
        for (int k = tsf_pat_logk0(b); k < 31 && (1 << k) < W; k++) n++;
        return n;
    }
    case TSF_NN_PAT_STRIDED: {
        int l = tsf_pat_stride(W);
        if (2 * h < NH) return l < W ? l : W;
        return (W - 1) / l + 1;
    }
    default:
        return W;
    }
}

/* The m-th offset (0 <= m < count) of head h, ascending in m. */
TSF_PAT_FN int tsf_pat_offset(const tsf_nn_pattern *p, int h, int NH, int m)
{
    switch (p->kind) {
    case TSF_NN_PAT_LOGSPARSE: {
        int b = tsf_pat_logband(p);
        return m <= b ? m : 1 << (tsf_pat_logk0(b) + m - b - 1);
    }
    case TSF_NN_PAT_STRIDED:
        return 2 * h < NH ? m : m * tsf_pat_stride(p->window);
    default:
        return m;
    }
}

/* Entries per query row of the probability arrays: the largest count. */
TSF_PAT_FN int tsf_pat_width(const tsf_nn_pattern *p, int NH)
{
    int n = 0;
    for (int h = 0; h < NH; h++) {
        int c = tsf_pat_count(p, h, NH);
        n = c > n ? c : n;
    }
    return n;
}

/* Positions a KV cache keeps: the largest offset + 1 (the keys a new query
 * can still reach; the ring of the step op). */
TSF_PAT_FN int tsf_pat_span(const tsf_nn_pattern *p, int NH)
{
    int s = 0;
    for (int h = 0; h < NH; h++) {
        int d = tsf_pat_offset(p, h, NH, tsf_pat_count(p, h, NH) - 1) + 1;
        s = d > s ? d : s;
    }
    return s;
}

#endif
