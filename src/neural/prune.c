/* Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to
 * prune") in 8x1 blocks, and the block-sparse copies of pruned weights
 * used by the one-position step (prune.h, docs/neural.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "neural.h"
#include "prune.h"
#include "cpu_ops.h"

#define BK TSF_NN_BLOCK

int tsf_nn_prunable(const tsf_nn_tensor *t)
{
    return t->ndim == 2 && t->shape[0] * t->shape[1] > TSF_NN_PRUNE_MIN;
}

size_t tsf_nn_free_params(const tsf_nn *nn)
{
    size_t k = nn->nparams;
    if (!(nn->cfg.sparsity > 0.0)) return k;
    for (size_t j = 0; j < nn->ntens; j++) {
        const tsf_nn_tensor *t = &nn->tens[j];
        if (!tsf_nn_prunable(t)) continue;
        const float *w = nn->params + t->off;
        for (size_t i = 0, len = t->shape[0] * t->shape[1]; i < len; i++) k -= w[i] == 0.0f;
    }
    return k;
}

double tsf_nn_prune_end(const tsf_nn *nn)
{
    double e = nn->cfg.arch ? nn->cfg.arch->prune_end : 0.0;
    return e > 0.0 ? e : TSF_NN_PRUNE_END;
}

double tsf_nn_prune_target(double S, size_t step, size_t total, double end)
{
    double t0 = TSF_NN_PRUNE_BEGIN * (double)total, t1 = end * (double)total;
    double t = (double)step + 1.0; /* steps done */
    if (t <= t0) return 0.0;
    if (t >= t1 || t1 <= t0) return S;
    double u = 1.0 - (t - t0) / (t1 - t0);
    return S * (1.0 - u * u * u);
}

size_t tsf_nn_prune_end_step(size_t total, double end)
{
    /* tsf_nn_prune_target reaches S after the step with step + 1 >= t1 */
    return (size_t)ceil(end * (double)total);
}

double tsf_nn_prune_max_density(double S)
{
    double d = 1.0 - S;
    /* 1e-12: S = 0.85 gives 1 - S = 0.15000000000000002 */
    if (d <= TSF_NN_SPARSE_MAX_DENSITY_B + 1e-12) return TSF_NN_SPARSE_MAX_DENSITY_B;
    if (d <= TSF_NN_SPARSE_MAX_DENSITY + 1e-12) return TSF_NN_SPARSE_MAX_DENSITY;
    return 1.0;
}

size_t tsf_nn_prune_blocks(size_t rows, size_t cols) { return (rows + BK - 1) / BK * cols; }

size_t tsf_nn_prune_count(double S, size_t nblocks)
{
    double k = floor(S * (double)nblocks + 0.5);
    return k < 0.0 ? 0 : k > (double)nblocks ? nblocks : (size_t)k;
}

/* Block k = (block row k / cols, column k % cols) of weight w (rows, cols):
 * calls f on each of its entries' indices into w. */
#define FOR_BLOCK(rows, cols, k, i)                                                           \
    for (size_t r_ = ((k) / (cols)) * BK, i = r_ * (cols) + (k) % (cols),                     \
                e_ = ((r_ + BK < (rows) ? r_ + BK : (rows)) * (cols));                        \
         i < e_; i += (cols))

typedef struct {
    size_t off, rows, cols, nb;
    size_t npruned;
    unsigned char *pruned; /* (nb) */
    double *rowsq;         /* (rows) scratch: squared row norms before a mask update */
} pmat;

/* A block's score and where it is: matrix j, block k. */
typedef struct {
    double s;
    size_t j, k;
} scored;

struct tsf_nn_pruner {
    double S, end;       /* end: the ramp's end (tsf_nn_prune_end) */
    int rescale;         /* the architecture's prune_rescale */
    size_t total, n, nb; /* nb: blocks of all the pruned matrices */
    int done;
    pmat m[TSF_NN_MAX_TENSORS];
    scored *rank; /* (largest matrix's blocks) one matrix's blocks by norm */
    scored *pool; /* (nb) the blocks the global ranking chooses from */
};

tsf_status tsf_nn_pruner_new(const tsf_nn *nn, size_t total, tsf_nn_pruner **out)
{
    *out = NULL;
    tsf_nn_pruner *p = calloc(1, sizeof *p);
    if (!p) return tsf_set_error(TSF_ENOMEM, "out of memory for pruning masks");
    p->S = nn->cfg.sparsity;
    p->end = tsf_nn_prune_end(nn);
    p->rescale = nn->cfg.arch && nn->cfg.arch->prune_rescale;
    p->total = total;
    size_t most = 0;
    for (size_t j = 0; j < nn->ntens; j++) {
        const tsf_nn_tensor *t = &nn->tens[j];
        if (!tsf_nn_prunable(t)) continue;
        pmat *q = &p->m[p->n++];
        q->off = t->off;
        q->rows = t->shape[0];
        q->cols = t->shape[1];
        q->nb = tsf_nn_prune_blocks(q->rows, q->cols);
        p->nb += q->nb;
        if (q->nb > most) most = q->nb;
        q->pruned = calloc(q->nb, 1);
        q->rowsq = malloc(q->rows * sizeof *q->rowsq);
        if (!q->pruned || !q->rowsq) {
            tsf_nn_pruner_free(p);
            return tsf_set_error(TSF_ENOMEM, "out of memory for pruning masks");
        }
    }
    p->rank = malloc((most ? most : 1) * sizeof *p->rank);
    p->pool = malloc((p->nb ? p->nb : 1) * sizeof *p->pool);
    if (!p->rank || !p->pool) {
        size_t nb = p->nb;
        tsf_nn_pruner_free(p);
        return tsf_set_error(TSF_ENOMEM, "out of memory ranking %zu weight blocks", nb);
    }
    *out = p;
    return TSF_OK;
}

void tsf_nn_pruner_free(tsf_nn_pruner *p)
{
    if (!p) return;
    for (size_t j = 0; j < p->n; j++) {
        free(p->m[j].pruned);
        free(p->m[j].rowsq);
    }
    free(p->rank);
    free(p->pool);
    free(p);
}

int tsf_nn_pruner_done(const tsf_nn_pruner *p) { return p->done; }

static void zero_pruned(const tsf_nn_pruner *p, float *x)
{
    for (size_t j = 0; j < p->n; j++) {
        const pmat *q = &p->m[j];
        float *w = x + q->off;
        for (size_t k = 0; k < q->nb; k++)
            if (q->pruned[k]) FOR_BLOCK(q->rows, q->cols, k, i) w[i] = 0.0f;
    }
}

void tsf_nn_pruner_mask_grads(const tsf_nn_pruner *p, float *g) { zero_pruned(p, g); }

static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* Squared L2 norm of each row of w (rows, cols) into sq. */
static void row_sumsq(const float *w, size_t rows, size_t cols, double *sq)
{
    for (size_t r = 0; r < rows; r++) {
        double a = 0.0;
        for (size_t c = 0; c < cols; c++) a += (double)w[r * cols + c] * w[r * cols + c];
        sq[r] = a;
    }
}

/* Zeroes q's pruned blocks in w and scales every row back to the squared
 * norm q->rowsq it had: a unit whose inputs have unit variance keeps the
 * variance of its pre-activation (the fan-in argument of variance-
 * preserving initialisation, He et al. 2015, that Evci et al. 2022,
 * "Gradient flow in sparse neural networks", apply to sparse units). */
static void rescale_rows(const pmat *q, float *w)
{
    for (size_t k = 0; k < q->nb; k++)
        if (q->pruned[k]) FOR_BLOCK(q->rows, q->cols, k, i) w[i] = 0.0f;
    for (size_t r = 0; r < q->rows; r++) {
        float *row = w + r * q->cols;
        double a = 0.0;
        for (size_t c = 0; c < q->cols; c++) a += (double)row[c] * row[c];
        if (!(a > 0.0) || a == q->rowsq[r]) continue;
        float f = (float)sqrt(q->rowsq[r] / a);
        for (size_t c = 0; c < q->cols; c++) row[c] *= f;
    }
}

/* Prunes blocks until `want` of all the matrices' blocks are pruned (the
 * header: LAMP scores, each matrix at least its share `floor` x blocks),
 * then rescales the rows of the matrices that lost blocks. */
static void prune_to(tsf_nn_pruner *p, float *params, size_t want, double floor_share)
{
    size_t have = 0, forced = 0, np = 0;
    for (size_t j = 0; j < p->n; j++) have += p->m[j].npruned;
    if (want <= have) return;
    size_t before[TSF_NN_MAX_TENSORS];
    for (size_t j = 0; j < p->n; j++) {
        pmat *q = &p->m[j];
        const float *w = params + q->off;
        before[j] = q->npruned;
        row_sumsq(w, q->rows, q->cols, q->rowsq);
        /* its blocks by squared norm, those already pruned first (-1) */
        for (size_t k = 0; k < q->nb; k++) {
            double v = 0.0;
            if (q->pruned[k]) v = -1.0;
            else FOR_BLOCK(q->rows, q->cols, k, i) v += (double)w[i] * w[i];
            p->rank[k] = (scored){v, j, k};
        }
        qsort(p->rank, q->nb, sizeof *p->rank, by_score);
        size_t mn = (size_t)ceil(floor_share * (double)q->nb - 1e-9);
        if (mn < q->npruned) mn = q->npruned;
        if (mn > q->nb) mn = q->nb;
        for (size_t i = 0; i < mn; i++) q->pruned[p->rank[i].k] = 1;
        q->npruned = mn;
        forced += mn;
        /* LAMP: the others' norm over the sum of those at least as large
         * (the suffix sum in this order, accumulated from the largest) */
        double suf = 0.0;
        for (size_t i = q->nb; i-- > mn;) {
            suf += p->rank[i].s;
            p->pool[np++] = (scored){suf > 0.0 ? p->rank[i].s / suf : 0.0, j, p->rank[i].k};
        }
    }
    if (want > forced) {
        qsort(p->pool, np, sizeof *p->pool, by_score);
        for (size_t i = 0; i < want - forced && i < np; i++) {
            pmat *q = &p->m[p->pool[i].j];
            q->pruned[p->pool[i].k] = 1;
            q->npruned++;
        }
    }
    for (size_t j = 0; j < p->n; j++)
        if (p->rescale && p->m[j].npruned > before[j])
            rescale_rows(&p->m[j], params + p->m[j].off);
}

tsf_status tsf_nn_pruner_apply(tsf_nn_pruner *p, float *params, size_t step)
{
    if (!p->done) {
        double s = tsf_nn_prune_target(p->S, step, p->total, p->end);
        int last = s >= p->S;
        /* each matrix's floor grows with the target up to 1 - the largest
         * density allowed (the uniform share when that is S) */
        double cap = 1.0 - tsf_nn_prune_max_density(p->S);
        if (last || step % TSF_NN_PRUNE_EVERY == 0)
            prune_to(p, params, tsf_nn_prune_count(s, p->nb), s / p->S * (cap < p->S ? cap : p->S));
        p->done = last;
    }
    zero_pruned(p, params);
    return TSF_OK;
}

/* ---- inference: BSR copies ---- */

typedef struct {
    size_t w, rows, cols;
    double density; /* fraction of nonzero blocks */
    uint32_t *ptr, *col;
    float *val;
} bsr;

/* A dense matrix's panels as the batch-invariant product packs them
 * (tsf_cpu_matmul_inv_pack), kept so that the one-row step does not pack
 * them at every call. */
typedef struct {
    size_t w, rows, cols;
    float *p;
} packed;

struct tsf_nn_sparse {
    size_t n, np;
    bsr m[TSF_NN_MAX_TENSORS];
    packed d[TSF_NN_MAX_TENSORS];
};

void tsf_nn_sparse_free(struct tsf_nn_sparse *s)
{
    if (!s) return;
    for (size_t j = 0; j < s->n; j++) {
        free(s->m[j].ptr);
        free(s->m[j].col);
        free(s->m[j].val);
    }
    for (size_t j = 0; j < s->np; j++) free(s->d[j].p);
    free(s);
}

static int block_zero(const float *w, size_t rows, size_t cols, size_t k)
{
    FOR_BLOCK(rows, cols, k, i) if (w[i] != 0.0f) return 0;
    return 1;
}

/* The BSR copy of w (rows, cols) when sparse enough (m->ptr NULL when not). */
static tsf_status build(bsr *m, const float *w, size_t rows, size_t cols)
{
    size_t nb = tsf_nn_prune_blocks(rows, cols), nbr = (rows + BK - 1) / BK, nz = 0;
    for (size_t k = 0; k < nb; k++) nz += !block_zero(w, rows, cols, k);
    if ((double)nz > TSF_NN_SPARSE_MAX_DENSITY * (double)nb || nb >= UINT32_MAX) return TSF_OK;
    m->ptr = malloc((nbr + 1) * sizeof *m->ptr);
    m->col = malloc((nz ? nz : 1) * sizeof *m->col);
    m->val = calloc((nz ? nz : 1) * BK, sizeof *m->val);
    if (!m->ptr || !m->col || !m->val) {
        free(m->ptr);
        free(m->col);
        free(m->val);
        m->ptr = m->col = NULL;
        m->val = NULL;
        return tsf_set_error(TSF_ENOMEM, "out of memory for a sparse copy of %zu x %zu weights",
                             rows, cols);
    }
    size_t n = 0;
    m->density = (double)nz / (double)nb;
    m->ptr[0] = 0;
    for (size_t i = 0; i < nbr; i++) {
        for (size_t c = 0; c < cols; c++) {
            size_t k = i * cols + c;
            if (block_zero(w, rows, cols, k)) continue;
            m->col[n] = (uint32_t)c;
            for (size_t r = i * BK; r < rows && r < (i + 1) * BK; r++)
                m->val[n * BK + (r - i * BK)] = w[r * cols + c];
            n++;
        }
        m->ptr[i + 1] = (uint32_t)n;
    }
    return TSF_OK;
}

tsf_status tsf_nn_sparsify(tsf_nn *nn)
{
    tsf_nn_sparse_free(nn->sparse);
    nn->sparse = NULL;
    if (nn->be->on_device) return TSF_OK; /* device backends run the dense weights */
    struct tsf_nn_sparse *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "out of memory for sparse weights");
    /* the architectures whose step runs the batch-invariant product (see
     * tsf_nn_linear) keep its packed panels of their dense matrices */
    int invariant = nn->cfg.arch->reach(&nn->cfg) != SIZE_MAX &&
                    tsf_nn_infer_backend(nn->be)->matmul_forward == tsf_cpu_matmul_inv;
    for (size_t j = 0; j < nn->ntens; j++) {
        const tsf_nn_tensor *t = &nn->tens[j];
        if (!tsf_nn_prunable(t)) continue;
        bsr *m = &s->m[s->n];
        tsf_status st = build(m, nn->params + t->off, t->shape[0], t->shape[1]);
        if (st) {
            tsf_nn_sparse_free(s);
            return st;
        }
        if (m->ptr) {
            m->w = t->off;
            m->rows = t->shape[0];
            m->cols = t->shape[1];
            s->n++;
        } else if (invariant) {
            /* the batch-invariant product's panels of a dense matrix */
            packed *d = &s->d[s->np];
            size_t len = tsf_cpu_matmul_inv_packed_size(t->shape[1], t->shape[0]);
            if (!(d->p = malloc(len * sizeof *d->p))) {
                tsf_nn_sparse_free(s);
                return tsf_set_error(TSF_ENOMEM, "out of memory for packed %zu x %zu weights",
                                     t->shape[0], t->shape[1]);
            }
            tsf_cpu_matmul_inv_pack(d->p, nn->params + t->off, t->shape[1], t->shape[0]);
            d->w = t->off;
            d->rows = t->shape[0];
            d->cols = t->shape[1];
            s->np++;
        }
    }
    if (s->n || s->np) nn->sparse = s;
    else free(s);
    return TSF_OK;
}

void tsf_nn_linear(const tsf_nn *nn, float *out, const float *inp, size_t w, size_t b, size_t B,
                   size_t C, size_t OC)
{
    const struct tsf_nn_sparse *s = nn->sparse;
    for (size_t j = 0; s && j < s->n; j++)
        if (s->m[j].w == w && (B < TSF_NN_SPARSE_BATCH ||
                               s->m[j].density <= TSF_NN_SPARSE_MAX_DENSITY_B)) {
            tsf_cpu_bsr_matmul(out, inp, nn->params + b, B, C, OC, s->m[j].ptr, s->m[j].col,
                               s->m[j].val);
            return;
        }
    /* the architectures the parallel sampler serves (a bounded reach) step
     * with the inference table's batch-invariant product; the RNNs, which
     * sample ancestrally only, keep the backend's (sgemv for one row is
     * 2-3 times faster than the invariant product's per-call packing) */
    for (size_t j = 0; s && j < s->np; j++)
        if (s->d[j].w == w) { /* the same product from its packed panels */
            tsf_cpu_matmul_inv_packed(out, inp, s->d[j].p, nn->params + b, B, C, OC);
            return;
        }
    const tsf_nn_backend *be = nn->cfg.arch->reach(&nn->cfg) == SIZE_MAX
                                   ? nn->be
                                   : tsf_nn_infer_backend(nn->be);
    be->matmul_forward(out, inp, nn->params + w, nn->params + b, B, C, OC);
}

void tsf_nn_sparse_stats(const tsf_nn *nn, size_t *nmat, size_t *nblocks)
{
    const struct tsf_nn_sparse *s = nn->sparse;
    *nmat = s ? s->n : 0;
    *nblocks = 0;
    for (size_t j = 0; s && j < s->n; j++)
        *nblocks += s->m[j].ptr[(s->m[j].rows + BK - 1) / BK];
}
