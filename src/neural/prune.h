/* Pruned sparse weights (docs/neural.md, "Pruned sparse weights"):
 * gradual magnitude pruning during training (Zhu & Gupta 2017) in blocks
 * of TSF_NN_BLOCK consecutive rows of one column, and the block-sparse
 * (BSR) copies of the pruned matrices that the one-position step of a
 * fitted model multiplies with instead of the dense weights. */
#ifndef TSF_NEURAL_PRUNE_H
#define TSF_NEURAL_PRUNE_H

#include <stddef.h>
#include <stdint.h>
#include "net.h"

/* A pruning block: TSF_NN_BLOCK consecutive rows (outputs) of one column
 * (input) of a weight (OC, C); the last block row of a matrix whose OC is
 * not a multiple of it is shorter. */
#define TSF_NN_BLOCK 8
/* Weight matrices with more entries than this are pruned, all others
 * (biases, LayerNorm, small input and head layers) are kept dense. */
#define TSF_NN_PRUNE_MIN 1000
/* The pruning schedule runs over this part of the training steps:
 * sparsity 0 until the first fraction, S from the second on (the
 * architecture's prune_end where it sets one: tsf_nn_prune_end); the
 * steps after it train at the final sparsity, with the learning-rate
 * schedule started again (tsf_nn_prune_end_step). */
#define TSF_NN_PRUNE_BEGIN 0.1
#define TSF_NN_PRUNE_END 0.5
/* The transformer's ramp end (its arch table's prune_end): it rescales
 * rows and needs the steps at the final sparsity to recover. */
#define TSF_NN_PRUNE_END_ATTN 0.3
/* Masks are recomputed every this many optimiser steps while pruning. */
#define TSF_NN_PRUNE_EVERY 5
/* A matrix gets a sparse copy when at most this fraction of its blocks is
 * nonzero; the step uses it for fewer than TSF_NN_SPARSE_BATCH rows at
 * that density, for more rows (sampling many paths, where the dense GEMM
 * is far more efficient per multiply) at most at TSF_NN_SPARSE_MAX_DENSITY_B
 * (bench/prune.sh kernel: where the BSR kernel was faster). */
#define TSF_NN_SPARSE_MAX_DENSITY 0.5
#define TSF_NN_SPARSE_BATCH 8
#define TSF_NN_SPARSE_MAX_DENSITY_B 0.15

/* Whether tensor t is pruned: 2-D with more than TSF_NN_PRUNE_MIN entries. */
int tsf_nn_prunable(const tsf_nn_tensor *t);
/* The parameters a fitted network estimated, for AIC/AICc/BIC: all of
 * them, less the pruned weights of a model trained with sparsity > 0 (the
 * exact zeros of its prunable matrices: fixed at 0 by the masks, they are
 * not estimated). */
size_t tsf_nn_free_params(const tsf_nn *nn);
/* Zhu & Gupta's cubic schedule: the target sparsity after optimiser step
 * `step` (0-based) of `total`: S (1 - (1 - u)^3) with u the position of
 * the step in [BEGIN, end] of the training, 0 before and S after. */
double tsf_nn_prune_target(double S, size_t step, size_t total, double end);
/* The first optimiser step after the one at which the target reaches S:
 * the masks are final from there, and the trainer starts its
 * learning-rate schedule (warm-up, cosine decay) again over the steps
 * left (learning-rate rewinding, Renda, Frankle & Carbin 2020). */
size_t tsf_nn_prune_end_step(size_t total, double end);
/* The ramp end of nn's architecture (its prune_end, else TSF_NN_PRUNE_END). */
double tsf_nn_prune_end(const tsf_nn *nn);
/* The most nonzero blocks a pruned matrix may keep at overall sparsity S
 * (a fraction of its blocks): the lowest density at which the step still
 * uses a block-sparse kernel that uniform sparsity S would reach,
 * TSF_NN_SPARSE_MAX_DENSITY_B when 1 - S is at most that,
 * TSF_NN_SPARSE_MAX_DENSITY when at most that, else 1. */
double tsf_nn_prune_max_density(double S);
/* Blocks of a weight (rows, cols) and how many of them sparsity S prunes
 * (round(S * blocks); the pruner applies it to the blocks of all pruned
 * matrices together). */
size_t tsf_nn_prune_blocks(size_t rows, size_t cols);
size_t tsf_nn_prune_count(double S, size_t nblocks);

/* The masks of one training run (host memory: CPU training only). */
typedef struct tsf_nn_pruner tsf_nn_pruner;
tsf_status tsf_nn_pruner_new(const tsf_nn *nn, size_t total, tsf_nn_pruner **out);
void tsf_nn_pruner_free(tsf_nn_pruner *p);
/* Zeroes the gradients of pruned weights (before clipping and the step). */
void tsf_nn_pruner_mask_grads(const tsf_nn_pruner *p, float *g);
/* After optimiser step `step`: on the schedule, prunes blocks of all the
 * pruned matrices together up to the target, round(target x all their
 * blocks), by LAMP score (Lee et al. 2021, "Layer-adaptive sparsity for
 * the magnitude-based pruning": a block's squared L2 norm over the sum of
 * those of its matrix's unpruned blocks at least as large), with each
 * matrix pruned at least up to the share that keeps its density within
 * tsf_nn_prune_max_density at the end; when the architecture's recipe
 * says so (prune_rescale), rescales every output row that lost weights
 * to its L2 norm before the update; then zeroes every
 * pruned weight.  Pruned blocks never come back. */
tsf_status tsf_nn_pruner_apply(tsf_nn_pruner *p, float *params, size_t step);
/* 1 once the final sparsity has been reached (the masks stay fixed). */
int tsf_nn_pruner_done(const tsf_nn_pruner *p);

/* Builds nn's block-sparse copies from its weights' exact zeros (for the
 * prunable matrices whose block density is at most
 * TSF_NN_SPARSE_MAX_DENSITY; none on a device backend), and, for the
 * architectures whose step runs the batch-invariant product, that
 * product's packed panels of the other prunable matrices, replacing any
 * earlier ones.  Call after the weights change (end of training, load,
 * copy). */
tsf_status tsf_nn_sparsify(tsf_nn *nn);
void tsf_nn_sparse_free(struct tsf_nn_sparse *s);
/* out (B,OC) = inp (B,C) @ weight^T + bias for nn's weight at offset w
 * and bias at offset b: the sparse copy when there is one, else the
 * inference table's matmul_forward (tsf_nn_infer_backend: on the CPU the
 * batch-invariant product, which gives the sparse kernel's bits) for the
 * transformer and wavenet, the backend's own for the RNNs. */
void tsf_nn_linear(const tsf_nn *nn, float *out, const float *inp, size_t w, size_t b, size_t B,
                   size_t C, size_t OC);
/* Number of weights with a sparse copy and of their stored blocks (for
 * tests and the bench). */
void tsf_nn_sparse_stats(const tsf_nn *nn, size_t *nmat, size_t *nblocks);

/* Block-sparse rows (BSR, 8x1 blocks): block row i (outputs 8i..8i+7)
 * holds blocks ptr[i] .. ptr[i+1]-1, block k is column col[k] with the 8
 * weights val[8k..8k+7] (zeros past OC).  out (B,OC) = inp (B,C) @ W^T +
 * bias (bias may be NULL).  CPU only (cpu_sparse.c). */
void tsf_cpu_bsr_matmul(float *out, const float *inp, const float *bias, size_t B, size_t C,
                        size_t OC, const uint32_t *ptr, const uint32_t *col, const float *val);

#endif
