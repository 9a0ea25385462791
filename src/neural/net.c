/* Parameter layout, initialisation, input features and the dispatch to
 * the per-architecture passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "net.h"

static size_t add_tensor(tsf_nn *nn, const char *name, size_t rows, size_t cols)
{
    tsf_nn_tensor *t = &nn->tens[nn->ntens++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->off = nn->nparams;
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    nn->nparams += rows * (cols ? cols : 1);
    return t->off;
}

static void layout(tsf_nn *nn)
{
    const tsf_nn_config *c = &nn->cfg;
    size_t H = (size_t)c->hidden, K = tsf_nn_head_k(c->head);
    char nm[32];
    if (c->arch == TSF_NN_TRANSFORMER) {
        nn->w_in = add_tensor(nn, "embed.weight", H, nn->nin);
        nn->b_in = add_tensor(nn, "embed.bias", H, 0);
        for (int l = 0; l < c->layers; l++) {
            tsf_nn_layer_off *o = &nn->lo[l];
#define T_(field, suffix, r, cc)                                                              \
    snprintf(nm, sizeof nm, "h%d.%s", l, suffix);                                            \
    o->field = add_tensor(nn, nm, r, cc)
            T_(ln1w, "ln1.weight", H, 0);
            T_(ln1b, "ln1.bias", H, 0);
            T_(wqkv, "attn.qkv.weight", 3 * H, H);
            T_(bqkv, "attn.qkv.bias", 3 * H, 0);
            T_(wo, "attn.proj.weight", H, H);
            T_(bo, "attn.proj.bias", H, 0);
            T_(ln2w, "ln2.weight", H, 0);
            T_(ln2b, "ln2.bias", H, 0);
            T_(wfc, "mlp.fc.weight", 4 * H, H);
            T_(bfc, "mlp.fc.bias", 4 * H, 0);
            T_(wpr, "mlp.proj.weight", H, 4 * H);
            T_(bpr, "mlp.proj.bias", H, 0);
        }
        nn->lnf_w = add_tensor(nn, "lnf.weight", H, 0);
        nn->lnf_b = add_tensor(nn, "lnf.bias", H, 0);
    } else {
        size_t G = c->arch == TSF_NN_GRU ? 3 : 4;
        for (int l = 0; l < c->layers; l++) {
            size_t I = l == 0 ? nn->nin : H;
            tsf_nn_layer_off *o = &nn->lo[l];
            T_(w_ih, "weight_ih", G * H, I);
            T_(b_ih, "bias_ih", G * H, 0);
            T_(w_hh, "weight_hh", G * H, H);
            T_(b_hh, "bias_hh", G * H, 0);
#undef T_
        }
    }
    nn->w_out = add_tensor(nn, "head.weight", K, H);
    nn->b_out = add_tensor(nn, "head.bias", K, 0);
}

tsf_status tsf_nn_new(const tsf_nn_config *cfg, tsf_nn **out)
{
    return tsf_nn_new_on(cfg, tsf_nn_backend_cpu(), out);
}

tsf_status tsf_nn_new_on(const tsf_nn_config *cfg, const tsf_nn_backend *be, tsf_nn **out)
{
    *out = NULL;
    if (cfg->layers < 1 || cfg->layers > TSF_NN_MAX_LAYERS || cfg->hidden < 1 ||
        cfg->context < 1 ||
        (cfg->arch == TSF_NN_TRANSFORMER && (cfg->heads < 1 || cfg->hidden % cfg->heads)))
        return tsf_set_error(TSF_EINVAL, "invalid network configuration (layers %d, hidden %d, "
                             "heads %d, context %d)", cfg->layers, cfg->hidden, cfg->heads,
                             cfg->context);
    tsf_nn *nn = calloc(1, sizeof *nn);
    if (!nn) return tsf_set_error(TSF_ENOMEM, "out of memory creating a network");
    nn->cfg = *cfg;
    nn->be = be;
    nn->nin = cfg->period > 1 ? 4 : 2;
    layout(nn);
    nn->params = be->alloc(nn->nparams);
    if (!nn->params) {
        size_t np = nn->nparams;
        free(nn);
        return tsf_set_error(TSF_ENOMEM, "out of %s memory for %zu network parameters",
                             be->on_device ? "GPU" : "", np);
    }
    *out = nn;
    return TSF_OK;
}

void tsf_nn_free(tsf_nn *nn)
{
    if (!nn) return;
    nn->be->free(nn->params);
    free(nn);
}

static void fill_uniform(float *p, size_t n, double a, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)((2.0 * gsl_rng_uniform(r) - 1.0) * a);
}

static void fill_normal(float *p, size_t n, double sd, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)gsl_ran_gaussian_ziggurat(r, sd);
}

static void fill_const(float *p, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) p[i] = v;
}

tsf_status tsf_nn_init(tsf_nn *nn, uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory for a random number generator");
    /* device backends: initialise a host copy, then upload it */
    float *P = nn->be->on_device ? malloc(nn->nparams * sizeof *P) : nn->params;
    if (!P) {
        gsl_rng_free(r);
        return tsf_set_error(TSF_ENOMEM, "out of memory initialising %zu parameters",
                             nn->nparams);
    }
    gsl_rng_set(r, (unsigned long)(seed ^ 0x5DEECE66DULL));
    const tsf_nn_config *c = &nn->cfg;
    size_t H = (size_t)c->hidden, K = tsf_nn_head_k(c->head);
    memset(P, 0, nn->nparams * sizeof *P);
    if (c->arch == TSF_NN_TRANSFORMER) {
        /* GPT-2: N(0, 0.02), residual projections scaled by 1/sqrt(2L). */
        double rs = 0.02 / sqrt(2.0 * c->layers);
        fill_normal(P + nn->w_in, H * nn->nin, 1.0 / sqrt((double)nn->nin), r);
        for (int l = 0; l < c->layers; l++) {
            const tsf_nn_layer_off *o = &nn->lo[l];
            fill_const(P + o->ln1w, H, 1.0f);
            fill_const(P + o->ln2w, H, 1.0f);
            fill_normal(P + o->wqkv, 3 * H * H, 0.02, r);
            fill_normal(P + o->wo, H * H, rs, r);
            fill_normal(P + o->wfc, 4 * H * H, 0.02, r);
            fill_normal(P + o->wpr, 4 * H * H, rs, r);
        }
        fill_const(P + nn->lnf_w, H, 1.0f);
    } else {
        /* PyTorch's U(-1/sqrt(H), 1/sqrt(H)); LSTM forget-gate bias 1
         * (Jozefowicz et al. 2015). */
        size_t G = c->arch == TSF_NN_GRU ? 3 : 4;
        double a = 1.0 / sqrt((double)H);
        for (int l = 0; l < c->layers; l++) {
            const tsf_nn_layer_off *o = &nn->lo[l];
            size_t I = l == 0 ? nn->nin : H;
            fill_uniform(P + o->w_ih, G * H * I, a, r);
            fill_uniform(P + o->b_ih, G * H, a, r);
            fill_uniform(P + o->w_hh, G * H * H, a, r);
            fill_uniform(P + o->b_hh, G * H, a, r);
            if (c->arch == TSF_NN_LSTM) {
                fill_const(P + o->b_ih + H, H, 1.0f);
                fill_const(P + o->b_hh + H, H, 0.0f);
            }
        }
    }
    /* Head: small weights; sigma starts at 1 (softplus(0.5413) = 1), nu at 5. */
    fill_uniform(P + nn->w_out, K * H, 0.1 / sqrt((double)H), r);
    P[nn->b_out + 1] = 0.5413f;
    if (K == 3) P[nn->b_out + 2] = 2.9489f;
    gsl_rng_free(r);
    if (P != nn->params) {
        nn->be->upload(nn->params, P, nn->nparams);
        free(P);
    }
    return TSF_OK;
}

void tsf_nn_input(const tsf_nn *nn, double prev, double lag, float *x)
{
    x[0] = isnan(prev) ? 0.0f : (float)prev;
    x[1] = isnan(prev) ? 1.0f : 0.0f;
    if (nn->nin == 4) {
        x[2] = isnan(lag) ? 0.0f : (float)lag;
        x[3] = isnan(lag) ? 1.0f : 0.0f;
    }
}

tsf_status tsf_nn_acts_new(const tsf_nn *nn, size_t B, size_t T, tsf_nn_acts **out)
{
    *out = NULL;
    tsf_nn_acts *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory for activations");
    a->B = B;
    a->T = T;
    a->size = nn->cfg.arch == TSF_NN_TRANSFORMER ? tsf_nn_tf_acts_floats(nn, B, T)
                                                 : tsf_nn_rnn_acts_floats(nn, B, T);
    a->mem = nn->be->alloc(a->size);
    if (nn->be->on_device && a->mem)
        a->stage = malloc(B * T * (nn->nin + 1 + tsf_nn_head_k(nn->cfg.head)) * sizeof(float));
    if (!a->mem || (nn->be->on_device && !a->stage)) {
        nn->be->free(a->mem);
        free(a);
        return tsf_set_error(TSF_ENOMEM, "out of %smemory for activations of %zu windows of %zu",
                             nn->be->on_device ? "GPU " : "", B, T);
    }
    a->be = nn->be;
    *out = a;
    return TSF_OK;
}

void tsf_nn_acts_free(tsf_nn_acts *a)
{
    if (!a) return;
    a->be->free(a->mem);
    free(a->stage);
    free(a);
}

double tsf_nn_forward_backward(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y,
                               size_t B, size_t T, float *o, float *grads, float weight)
{
    if (nn->cfg.arch == TSF_NN_TRANSFORMER)
        return tsf_nn_tf_fb(nn, a, x, y, B, T, o, grads, weight);
    return tsf_nn_rnn_fb(nn, a, x, y, B, T, o, grads, weight);
}

tsf_status tsf_nn_run_new(const tsf_nn *nn, size_t B, tsf_nn_run **out)
{
    *out = NULL;
    tsf_nn_run *r = calloc(1, sizeof *r);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory for a network state");
    r->B = B;
    int tf = nn->cfg.arch == TSF_NN_TRANSFORMER;
    r->size = tf ? tsf_nn_tf_run_floats(nn, B) : tsf_nn_rnn_run_floats(nn, B);
    const tsf_nn_backend *be = nn->be;
    r->be = be;
    r->mem = be->alloc(r->size);
    if (r->mem && be->on_device) {
        r->dx = be->alloc(B * nn->nin);
        r->dout = be->alloc(B * tsf_nn_head_k(nn->cfg.head));
    }
    if (!r->mem || (be->on_device && (!r->dx || !r->dout))) {
        tsf_nn_run_free(r);
        return tsf_set_error(TSF_ENOMEM, "out of %smemory for the state of %zu sequences",
                             be->on_device ? "GPU " : "", B);
    }
    if (tf) tsf_nn_tf_run_layout(nn, r);
    else tsf_nn_rnn_run_layout(nn, r);
    *out = r;
    return TSF_OK;
}

void tsf_nn_run_free(tsf_nn_run *r)
{
    if (!r) return;
    r->be->free(r->mem);
    r->be->free(r->dx);
    r->be->free(r->dout);
    free(r);
}

void tsf_nn_run_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    float *dx = be->on_device ? r->dx : (float *)x, *dout = be->on_device ? r->dout : o;
    if (be->on_device) be->upload(dx, x, r->B * nn->nin);
    if (nn->cfg.arch == TSF_NN_TRANSFORMER) tsf_nn_tf_step(nn, r, dx, dout);
    else tsf_nn_rnn_step(nn, r, dx, dout);
    if (be->on_device) be->download(o, dout, r->B * tsf_nn_head_k(nn->cfg.head));
    r->pos++;
}

/* Copies sequence 0 of a (L, Bs, n) block into every sequence of (L, Bd, n). */
static void bcast(const tsf_nn_backend *be, float *dst, const float *src, size_t L, size_t Bs,
                  size_t Bd, size_t n)
{
    for (size_t l = 0; l < L; l++)
        for (size_t b = 0; b < Bd; b++) be->copy(dst + (l * Bd + b) * n, src + l * Bs * n, n);
}

void tsf_nn_run_broadcast(const tsf_nn *nn, tsf_nn_run *dst, const tsf_nn_run *src)
{
    size_t L = (size_t)nn->cfg.layers, H = (size_t)nn->cfg.hidden;
    dst->pos = src->pos;
    if (nn->cfg.arch == TSF_NN_TRANSFORMER) {
        size_t n = (size_t)nn->cfg.context * H;
        bcast(nn->be, dst->kc, src->kc, L, src->B, dst->B, n);
        bcast(nn->be, dst->vc, src->vc, L, src->B, dst->B, n);
    } else {
        bcast(nn->be, dst->h, src->h, L, src->B, dst->B, H);
        if (dst->c) bcast(nn->be, dst->c, src->c, L, src->B, dst->B, H);
    }
}

tsf_status tsf_nn_run_clone(const tsf_nn *nn, const tsf_nn_run *src, tsf_nn_run **out)
{
    tsf_status st = tsf_nn_run_new(nn, src->B, out);
    if (st) return st;
    nn->be->copy((*out)->mem, src->mem, src->size);
    (*out)->pos = src->pos;
    return TSF_OK;
}
