/* The architecture-independent part of the networks: the tensor list
 * (the architecture's, then the head layer), initialisation, input
 * features, arenas and run states, all through the architecture's ops
 * table (net.h) and the head's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "net.h"
#include "prune.h"

size_t tsf_nn_add_tensor(tsf_nn *nn, const char *name, size_t rows, size_t cols)
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

size_t tsf_nn_cfg_k(const tsf_nn_config *c) { return tsf_nn_head_get(c->head)->k(c); }

/* The backend lacks one of needs: a one-line error naming it. */
static tsf_status check_needs(const tsf_nn_backend *be, const tsf_nn_need *needs,
                              const char *who)
{
    for (size_t i = 0; needs && needs[i].name; i++) {
        void (*fn)(void);
        memcpy(&fn, (const char *)be + needs[i].off, sizeof fn);
        if (!fn)
            return tsf_set_error(TSF_EUNSUP, "the %s backend has no op %s, which %s needs; use "
                                 "--device cpu", be->name, needs[i].name, who);
    }
    return TSF_OK;
}

tsf_status tsf_nn_new(const tsf_nn_config *cfg, tsf_nn **out)
{
    return tsf_nn_new_on(cfg, tsf_nn_backend_cpu(), out);
}

tsf_status tsf_nn_new_on(const tsf_nn_config *cfg, const tsf_nn_backend *be, tsf_nn **out)
{
    *out = NULL;
    const tsf_nn_head_ops *hd = tsf_nn_head_get(cfg->head);
    char why[160] = "";
    const char *key = NULL;
    if (!cfg->arch || !hd || cfg->layers < 1 || cfg->hidden < 1 || cfg->context < 1 ||
        (hd->nkey && (cfg->head_n < hd->nlo || cfg->head_n > hd->nhi)) ||
        (hd->ranged && !(cfg->head_lo < cfg->head_hi)) ||
        (cfg->arch->check && cfg->arch->check(cfg, why, sizeof why, &key)))
        return tsf_set_error(TSF_EINVAL, "invalid network configuration (layers %d, hidden %d, "
                             "heads %d, context %d, head size %d)%s%s", cfg->layers, cfg->hidden,
                             cfg->heads, cfg->context, cfg->head_n, *why ? ": " : "", why);
    tsf_status st;
    if ((st = check_needs(be, cfg->arch->needs, cfg->arch->name)) ||
        (cfg->arch->cfg_needs &&
         (st = check_needs(be, cfg->arch->cfg_needs(cfg), cfg->arch->name))) ||
        (st = check_needs(be, hd->needs, hd->name)))
        return st;
    tsf_nn *nn = calloc(1, sizeof *nn);
    if (!nn) return tsf_set_error(TSF_ENOMEM, "out of memory creating a network");
    nn->cfg = *cfg;
    nn->be = be;
    nn->xser = cfg->period > 1 ? 4 : 2;
    nn->nin = tsf_nn_cfg_nin(cfg);
    nn->K = hd->k(cfg);
    cfg->arch->layout(nn);
    nn->w_out = tsf_nn_add_tensor(nn, "head.weight", nn->K, nn->ftop);
    nn->b_out = tsf_nn_add_tensor(nn, "head.bias", nn->K, 0);
    if (cfg->nseries > 0 && cfg->embed > 0)
        nn->emb = tsf_nn_add_tensor(nn, "series.embedding", (size_t)cfg->nseries,
                                    (size_t)cfg->embed);
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
    tsf_nn_sparse_free(nn->sparse);
    free(nn);
}

void tsf_nn_fill_uniform(float *p, size_t n, double a, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)((2.0 * gsl_rng_uniform(r) - 1.0) * a);
}

void tsf_nn_fill_normal(float *p, size_t n, double sd, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)gsl_ran_gaussian_ziggurat(r, sd);
}

void tsf_nn_fill_const(float *p, size_t n, float v)
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
    memset(P, 0, nn->nparams * sizeof *P);
    nn->cfg.arch->init(nn, P, r);
    /* head layer: small weights, then the head's own biases */
    tsf_nn_fill_uniform(P + nn->w_out, nn->K * nn->ftop, 0.1 / sqrt((double)nn->ftop), r);
    tsf_nn_head_get(nn->cfg.head)->init_bias(&nn->cfg, P + nn->b_out);
    if (nn->cfg.nseries > 0 && nn->cfg.embed > 0)
        tsf_nn_fill_normal(P + nn->emb, (size_t)nn->cfg.nseries * (size_t)nn->cfg.embed, 0.1, r);
    gsl_rng_free(r);
    if (P != nn->params) {
        nn->be->upload(nn->params, P, nn->nparams);
        free(P);
    }
    return TSF_OK;
}

size_t tsf_nn_cfg_nin(const tsf_nn_config *c)
{
    return (c->period > 1 ? 4 : 2) + tsf_nn_nser_feat(c) + (size_t)c->nextra;
}

void tsf_nn_input(const tsf_nn *nn, double prev, double lag, const double *extra, float *x)
{
    x[0] = isnan(prev) ? 0.0f : (float)prev;
    x[1] = isnan(prev) ? 1.0f : 0.0f;
    if (nn->cfg.period > 1) {
        x[2] = isnan(lag) ? 0.0f : (float)lag;
        x[3] = isnan(lag) ? 1.0f : 0.0f;
    }
    float *e = x + nn->nin - (size_t)nn->cfg.nextra;
    for (int j = 0; j < nn->cfg.nextra; j++) e[j] = extra ? (float)extra[j] : 0.0f;
}

tsf_status tsf_nn_acts_new(const tsf_nn *nn, size_t B, size_t T, tsf_nn_acts **out)
{
    *out = NULL;
    tsf_nn_acts *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory for activations");
    a->B = B;
    a->T = T;
    a->size = nn->cfg.arch->acts_floats(nn, B, T);
    a->mem = nn->be->alloc(a->size);
    if (nn->be->on_device && a->mem)
        a->stage = malloc(B * T * (nn->nin + 1 + nn->K) * sizeof(float));
    if (!a->mem || (nn->be->on_device && !a->stage)) {
        nn->be->free(a->mem);
        free(a);
        return tsf_set_error(TSF_ENOMEM, "out of %smemory for activations of %zu windows of %zu",
                             nn->be->on_device ? "GPU " : "", B, T);
    }
    a->be = nn->be;
    if (nn->be->workspace_create && !(a->ws = nn->be->workspace_create(nn->params, nn->nparams))) {
        tsf_nn_acts_free(a);
        return tsf_set_error(TSF_ENOMEM, "out of memory for the %s backend's workspace",
                             nn->be->name);
    }
    *out = a;
    return TSF_OK;
}

void tsf_nn_acts_free(tsf_nn_acts *a)
{
    if (!a) return;
    if (a->ws) a->be->workspace_free(a->ws);
    a->be->free(a->dx);
    a->be->free(a->mem);
    free(a->stage);
    free(a);
}

double tsf_nn_forward_backward(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y,
                               size_t B, size_t T, float *o, float *grads, float weight)
{
    if (a->ws) nn->be->workspace_update(a->ws); /* the weights may have changed */
    return nn->cfg.arch->fb(nn, a, x, y, B, T, o, grads, weight);
}

double tsf_nn_head_loss(const tsf_nn *nn, float *nll, float *dout, const float *o,
                        const float *y, size_t BT, float weight)
{
    return tsf_nn_head_get(nn->cfg.head)->loss(nn->be, &nn->cfg, nll, dout, o, y, BT, weight);
}

size_t tsf_nn_state_floats(const tsf_nn *nn, size_t B)
{
    size_t n[TSF_NN_MAX_BLOCKS], nb = nn->cfg.arch->state_blocks(nn, n), tot = 0;
    for (size_t j = 0; j < nb; j++) tot += B * n[j];
    return tot;
}

tsf_status tsf_nn_run_new(const tsf_nn *nn, size_t B, tsf_nn_run **out)
{
    size_t nstate = tsf_nn_state_floats(nn, B);
    return tsf_nn_run_alloc(nn, B, nstate, nn->cfg.arch->scratch_floats(nn, B), out);
}

tsf_status tsf_nn_run_alloc(const tsf_nn *nn, size_t B, size_t nstate, size_t nscratch,
                            tsf_nn_run **out)
{
    *out = NULL;
    tsf_nn_run *r = calloc(1, sizeof *r);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory for a network state");
    r->B = B;
    r->nstate = nstate;
    r->size = nstate + nscratch;
    const tsf_nn_backend *be = nn->be;
    r->be = be;
    r->mem = be->alloc(r->size);
    if (r->mem && be->on_device) {
        r->dx = be->alloc(B * nn->nin);
        r->dout = be->alloc(B * nn->K);
        /* 2B doubles: e then z, as floats (the backend's unit) */
        if (be->head_draw && !(r->dnoise = (double *)(void *)be->alloc(4 * B))) r->dx = NULL;
    }
    if (!r->mem || (be->on_device && (!r->dx || !r->dout))) {
        tsf_nn_run_free(r);
        return tsf_set_error(TSF_ENOMEM, "out of %smemory for the state of %zu sequences",
                             be->on_device ? "GPU " : "", B);
    }
    r->scratch = r->mem + r->nstate;
    *out = r;
    return TSF_OK;
}

void tsf_nn_run_free(tsf_nn_run *r)
{
    if (!r) return;
    r->be->free(r->mem);
    r->be->free(r->dx);
    r->be->free(r->dout);
    r->be->free((float *)(void *)r->dnoise);
    free(r);
}

void tsf_nn_run_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    float *dx = be->on_device ? r->dx : (float *)x, *dout = be->on_device ? r->dout : o;
    if (be->on_device) be->upload(dx, x, r->B * nn->nin);
    nn->cfg.arch->step(nn, r, dx, dout);
    if (be->on_device) be->download(o, dout, r->B * nn->K);
    r->pos++;
}

void tsf_nn_run_step_draw(const tsf_nn *nn, tsf_nn_run *r, const float *x, const double *e,
                          double *z, float *o)
{
    const tsf_nn_backend *be = nn->be;
    const tsf_nn_config *c = &nn->cfg;
    size_t B = r->B;
    if (!r->dnoise) {
        tsf_nn_run_step(nn, r, x, o);
        const tsf_nn_head_ops *hd = tsf_nn_head_get(c->head);
        for (size_t b = 0; b < B; b++) z[b] = hd->draw(c, o + b * nn->K, e[b]);
        return;
    }
    double *de = r->dnoise, *dz = r->dnoise + B;
    be->upload(r->dx, x, B * nn->nin);
    c->arch->step(nn, r, r->dx, r->dout);
    be->upload((float *)(void *)de, (const float *)(const void *)e, 2 * B);
    be->head_draw(dz, de, r->dout, B, c->head, tsf_nn_head_n(c), (float)c->head_lo,
                  (float)c->head_hi);
    be->download((float *)(void *)z, (const float *)(const void *)dz, 2 * B);
    r->pos++;
}

void tsf_nn_run_broadcast(const tsf_nn *nn, tsf_nn_run *dst, const tsf_nn_run *src)
{
    /* block j of the state is (B, n[j]): sequence 0 of src's into each of dst's */
    size_t n[TSF_NN_MAX_BLOCKS], nb = nn->cfg.arch->state_blocks(nn, n);
    float *d = dst->mem;
    const float *s = src->mem;
    dst->pos = src->pos;
    for (size_t j = 0; j < nb; j++) {
        for (size_t b = 0; b < dst->B; b++) nn->be->copy(d + b * n[j], s, n[j]);
        d += dst->B * n[j];
        s += src->B * n[j];
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
