/* Maximum-likelihood training of one global network on one or several
 * series (DeepAR, Salinas et al. 2020, sec. 3.3): random windows of
 * `context` positions, AdamW, global-norm gradient clipping, linear
 * warm-up then cosine decay of the learning rate, early stopping on the
 * exact log-likelihood of a held-out tail of each series (the best
 * weights are restored).  Missing targets are masked out of the loss.
 * Every random choice comes from the model's own generator seeded by
 * opts->seed, so a seed and thread count give bit-identical weights.
 * A global model (global.c) holds nothing out: it trains on every value
 * for the full schedule and keeps its last weights.  On many short series
 * the tails held out belong to a minority of the series and their loss
 * jumps from epoch to epoch: on M1 quarterly, early stopping on it kept
 * the weights of epoch 4 (sMAPE 31.6 against 17.3 without a hold-out),
 * and holding the tails out only to report their loss still cost 1.1
 * points of sMAPE (docs/neural.md, "Global models"). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "device.h"
#include "neural.h"
#include "prune.h"

typedef struct {
    const tsf_neural *m;
    const double *const *ys;
    double **z;             /* scaled series */
    const tsf_xreg *const *xs; /* regressors of each series, or NULL */
    double **zx;            /* scaled regressors: row i of series k at zx[k] + i*nx */
    size_t nx;
    const size_t *ns;
    size_t *ntr;            /* training part of each series */
    double *wcum;           /* cumulative window weights */
    size_t nseries, T, P;
    const float *emb;       /* global models: host copy of the series embeddings, or NULL */
    const tsf_fit_opts *o;  /* shard, nshards, allreduce */
} train_data;

static int nshards(const tsf_fit_opts *o) { return o->nshards > 1 ? o->nshards : 1; }

/* Sums buf (n doubles) over the processes of a data-parallel fit. */
static tsf_status reduce(const tsf_fit_opts *o, double *buf, size_t n)
{
    if (nshards(o) == 1) return TSF_OK;
    if (o->allreduce(o->allreduce_ctx, buf, n))
        return tsf_set_error(TSF_EIO, "data-parallel training: summing over the %d processes "
                             "failed", o->nshards);
    return TSF_OK;
}

static double lr_at(double lr, size_t step, size_t total)
{
    size_t warm = total / 20 > 0 ? total / 20 : 1;
    if (step < warm) return lr * (double)(step + 1) / (double)warm;
    double p = total > warm ? (double)(step - warm) / (double)(total - warm) : 1.0;
    return lr * (0.1 + 0.9 * 0.5 * (1.0 + cos(M_PI * p)));
}

/* The learning rate of step `step`: lr_at, started again at step
 * `restart` over the steps left (pruning: when the masks are final,
 * prune.h). */
static double lr_sched(double lr, size_t step, size_t total, size_t restart)
{
    return step >= restart ? lr_at(lr, step - restart, total - restart) : lr_at(lr, step, total);
}

/* One window into x (T,nin) and y (T), its series into *kout; returns
 * the observed targets. */
static size_t fill_window(const train_data *d, const tsf_nn *nn, gsl_rng *r, float *x, float *y,
                          size_t *kout)
{
    double u = gsl_rng_uniform(r) * d->wcum[d->nseries - 1];
    size_t k = 0;
    while (k + 1 < d->nseries && u >= d->wcum[k]) k++;
    size_t ntr = d->ntr[k], T = d->T, P = d->P, L = tsf_neural_local_len(P);
    size_t s = ntr > T ? (size_t)gsl_rng_uniform_int(r, ntr - T + 1) : 0;
    const double *z = d->z[k];
    size_t nobs = 0;
    *kout = k;
    for (size_t t = 0; t < T; t++) {
        size_t i = s + t;
        /* local scaling (global.c): the L values before i that the
         * stream would hold, i.e. those of the training part */
        size_t lo = i > L ? i - L : 0, hi = i < ntr ? i : ntr;
        double nu = nn->cfg.lscale ? tsf_neural_local_scale(z + lo, hi > lo ? hi - lo : 0) : 1.0;
        double prev = i >= 1 && i - 1 < ntr ? z[i - 1] / nu : NAN;
        double lag = P > 1 && i >= P && i - P < ntr ? z[i - P] / nu : NAN;
        float *xt = x + t * nn->nin;
        tsf_nn_input(nn, prev, lag, d->zx && i < d->ns[k] ? d->zx[k] + i * d->nx : NULL, xt);
        if (tsf_nn_nser_feat(&nn->cfg)) {
            tsf_neural_series_feat(d->m, d->emb, k, xt + nn->xser);
            if (nn->cfg.lscale) xt[nn->xser] += (float)(log(nu) / d->m->ls_sd);
        }
        y[t] = i < ntr ? (float)(z[i] / nu) : NAN;
        if (!isnan(y[t])) nobs++;
    }
    return nobs;
}

/* Held-out log-likelihood per observation (data units) or NAN when none. */
static tsf_status valid_nll(const train_data *d, double *out)
{
    double acc[2] = {0.0, 0.0}; /* loglik, observations: summed over the processes */
    int K = nshards(d->o);
    /* When the architecture's prediction at t depends on a bounded span
     * of positions (the transformer's windows, wavenet's receptive field)
     * plus the period lag, the stream may start there: the same terms,
     * far fewer steps. */
    const tsf_nn_config *c = &d->m->cfg;
    size_t ar = c->arch->reach(c);
    size_t reach = ar < SIZE_MAX / 2 ? ar + d->P + 1 : SIZE_MAX;
    for (size_t k = 0; k < d->nseries; k++) {
        if (d->ntr[k] == d->ns[k] || (int)(k % (size_t)K) != (K > 1 ? d->o->shard : 0)) continue;
        double l;
        size_t s0 = d->ntr[k] > reach ? d->ntr[k] - reach : 0;
        tsf_xreg xk;
        if (d->xs) {
            xk = *d->xs[k];
            xk.x += s0;
        }
        tsf_status st = tsf_neural_series_loglik_x(d->m, k, d->ys[k] + s0, d->ns[k] - s0,
                                                   d->xs ? &xk : NULL, d->ntr[k] - s0, &l,
                                                   NULL);
        if (st) return st;
        acc[0] += l;
        for (size_t i = d->ntr[k]; i < d->ns[k]; i++) acc[1] += !isnan(d->ys[k][i]);
    }
    tsf_status st = reduce(d->o, acc, 2);
    if (st) return st;
    *out = acc[1] > 0.0 ? -acc[0] / acc[1] : NAN;
    return TSF_OK;
}

static void report(const tsf_fit_opts *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void report(const tsf_fit_opts *o, const char *fmt, ...)
{
    if (!o->verbose || !o->progress) return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->progress(o->progress_ctx, line);
}

static tsf_status prepare(tsf_neural *m, train_data *d, const double *const *ys, const size_t *ns,
                          size_t nseries)
{
    double sa = 0.0;
    size_t nobs = 0, maxtr = 0, nval = 0;
    for (size_t k = 0; k < nseries; k++)
        for (size_t i = 0; i < ns[k]; i++)
            if (!isnan(ys[k][i])) {
                sa += fabs(ys[k][i]);
                nobs++;
            }
    if (nobs < 2)
        return tsf_set_error(TSF_EDOMAIN, "a neural model needs at least 2 observed values "
                             "(got %zu)", nobs);
    /* DeepAR's mean-absolute scale, pooled over the series (docs/neural.md),
     * or each series' own for a global model (global.c) */
    m->scale = sa / (double)nobs;
    if (!(m->scale > 1e-300) || !isfinite(m->scale)) m->scale = 1.0;
    m->nobs = nobs;
    if (m->cfg.nseries > 0) tsf_neural_global_scales(m, ys, ns);
    d->z = calloc(nseries, sizeof *d->z);
    d->ntr = calloc(nseries, sizeof *d->ntr);
    d->wcum = calloc(nseries, sizeof *d->wcum);
    if (d->xs) d->zx = calloc(nseries, sizeof *d->zx);
    if (!d->z || !d->ntr || !d->wcum || (d->xs && !d->zx))
        return tsf_set_error(TSF_ENOMEM, "out of memory");
    for (size_t k = 0; k < nseries; k++) {
        if (!(d->z[k] = malloc((ns[k] ? ns[k] : 1) * sizeof(double))))
            return tsf_set_error(TSF_ENOMEM, "out of memory");
        double sk = tsf_neural_series_scale(m, k);
        for (size_t i = 0; i < ns[k]; i++) d->z[k][i] = ys[k][i] / sk;
        if (d->xs) {
            const tsf_xreg *xr = d->xs[k];
            if (!(d->zx[k] = malloc((ns[k] ? ns[k] : 1) * d->nx * sizeof(double))))
                return tsf_set_error(TSF_ENOMEM, "out of memory");
            for (size_t i = 0; i < ns[k]; i++)
                for (size_t j = 0; j < d->nx; j++)
                    d->zx[k][i * d->nx + j] =
                        (xr->x[j * xr->ld + i] - m->xcenter[j]) / m->xscale[j];
        }
        /* hold out the last 10% of each series of at least 50 values
         * (a global model: none, see the note at the top) */
        d->ntr[k] = ns[k] >= 50 && m->cfg.nseries == 0 ? ns[k] - ns[k] / 10 : ns[k];
        nval += ns[k] - d->ntr[k];
        if (d->ntr[k] > maxtr) maxtr = d->ntr[k];
    }
    if (nval < 5)
        for (size_t k = 0; k < nseries; k++) d->ntr[k] = ns[k];
    maxtr = 0;
    for (size_t k = 0; k < nseries; k++)
        if (d->ntr[k] > maxtr) maxtr = d->ntr[k];
    d->T = (size_t)m->cfg.context < maxtr ? (size_t)m->cfg.context : maxtr;
    double c = 0.0;
    for (size_t k = 0; k < nseries; k++) {
        if (d->ntr[k]) c += d->ntr[k] > d->T ? (double)(d->ntr[k] - d->T + 1) : 1.0;
        d->wcum[k] = c;
    }
    d->ys = ys;
    d->ns = ns;
    d->nseries = nseries;
    d->m = m;
    return TSF_OK;
}

static void release(train_data *d)
{
    for (size_t k = 0; k < d->nseries; k++) {
        if (d->z) free(d->z[k]);
        if (d->zx) free(d->zx[k]);
    }
    free(d->z);
    free(d->zx);
    free(d->ntr);
    free(d->wcum);
}

/* Adds the gradient of the series embeddings to g: an embedding enters
 * every position of its window's inputs, so its gradient is the sum over
 * the window's positions of the input gradient's embedding slice. */
static tsf_status embed_grad(const tsf_nn *nn, const tsf_nn_acts *a, float *hdx, float *ge,
                             const size_t *wk, size_t nl, size_t T, float *g)
{
    const tsf_nn_backend *be = nn->be;
    size_t F = nn->nin, D = (size_t)nn->cfg.embed, nE = (size_t)nn->cfg.nseries * D;
    size_t o = nn->xser + 1; /* after the log scale */
    be->download(hdx, a->dx, nl * T * F);
    be->download(ge, g + nn->emb, nE);
    for (size_t b = 0; b < nl; b++) {
        float *e = ge + wk[b] * D;
        for (size_t t = 0; t < T; t++) {
            const float *row = hdx + (a->dx_tmajor ? t * nl + b : b * T + t) * F + o;
            for (size_t j = 0; j < D; j++) e[j] += row[j];
        }
    }
    be->upload(g + nn->emb, ge, nE);
    return TSF_OK;
}

/* Data-parallel: the gradient (np floats, backend memory g) and the batch
 * loss *bl summed over the processes in one flat buffer of doubles. */
static tsf_status sum_shards(const tsf_fit_opts *o, const tsf_nn_backend *be, float *g,
                             float *hg, double *red, size_t np, double *bl)
{
    float *h = be->on_device ? hg : g;
    if (be->on_device) be->download(h, g, np);
    for (size_t i = 0; i < np; i++) red[i] = h[i];
    red[np] = *bl;
    tsf_status st = reduce(o, red, np + 1);
    if (st) return st;
    for (size_t i = 0; i < np; i++) h[i] = (float)red[i];
    *bl = red[np];
    if (be->on_device) be->upload(g, h, np);
    return TSF_OK;
}

/* Trains nn, which is m->nn or, on another backend, a copy of it whose
 * weights go back to m->nn for validation and at the end. */
static tsf_status run(tsf_neural *m, tsf_nn *nn, train_data *d, const tsf_fit_opts *opts,
                      gsl_rng *r)
{
    const tsf_nn_backend *be = nn->be;
    size_t B = (size_t)m->batch, T = d->T, np = nn->nparams, F = nn->nin;
    size_t total = (size_t)m->epochs * TSF_NN_BATCHES_PER_EPOCH;
    /* pruning: the schedule starts again once the masks are final */
    size_t restart = m->cfg.sparsity > 0.0
                         ? tsf_nn_prune_end_step(total, tsf_nn_prune_end(nn))
                         : SIZE_MAX;
    /* data-parallel: this process computes the windows b % K == shard */
    size_t K = (size_t)nshards(opts), shard = K > 1 ? (size_t)opts->shard : 0;
    size_t Bl = (B + K - 1) / K;
    size_t nE = nn->cfg.nseries > 0 ? (size_t)nn->cfg.nseries * (size_t)nn->cfg.embed : 0;
    int validate = 0;
    for (size_t k = 0; k < d->nseries; k++) validate |= d->ntr[k] < d->ns[k];
    tsf_nn_acts *acts = NULL;
    tsf_nn_pruner *pr = NULL; /* sparsity > 0: masks (host memory, CPU training) */
    tsf_status st = m->cfg.sparsity > 0.0 ? tsf_nn_pruner_new(nn, total, &pr) : TSF_OK;
    if (!st) st = tsf_nn_acts_new(nn, Bl, T, &acts);
    if (st) {
        tsf_nn_pruner_free(pr);
        return st;
    }
    float *x = malloc((Bl + 1) * T * F * sizeof *x), *y = malloc((Bl + 1) * T * sizeof *y);
    size_t *wk = malloc(Bl * sizeof *wk);
    /* global models' embeddings: the input gradient, a host copy of the
     * table and its gradient; data-parallel: the flat buffer summed */
    float *hdx = nE ? malloc(Bl * T * F * sizeof *hdx) : NULL;
    float *he = nE ? malloc(nE * sizeof *he) : NULL, *ge = nE ? malloc(nE * sizeof *ge) : NULL;
    double *red = K > 1 ? malloc((np + 1) * sizeof *red) : NULL;
    float *hg = K > 1 && be->on_device ? malloc(np * sizeof *hg) : NULL;
    if (nE) acts->dx = be->alloc(Bl * T * F);
    /* gradients, optimiser moments and the best weights: backend memory */
    float *g = be->alloc(np), *mm = be->alloc(np), *vv = be->alloc(np), *best = be->alloc(np);
    char why[256];
    if (!x || !y || !wk || !g || !mm || !vv || !best || (nE && (!hdx || !he || !ge || !acts->dx)) ||
        (K > 1 && (!red || (be->on_device && !hg)))) {
        st = tsf_set_error(TSF_ENOMEM, "out of %smemory for training buffers",
                           be->on_device ? "GPU " : "");
        goto done;
    }
    d->emb = he;
    double best_v = INFINITY, t0 = tsf_now(), mult = 1.0;
    int since = 0;
    size_t step = 0;
    m->best_epoch = 0;
    be->copy(best, nn->params, np);
    for (int ep = 1; ep <= m->epochs; ep++) {
        double tl = 0.0;
        size_t tn = 0;
        for (int bi = 0; bi < TSF_NN_BATCHES_PER_EPOCH; bi++, step++) {
            size_t nb = 0, nl = 0;
            if (nE) be->download(he, nn->params + nn->emb, nE);
            /* every process draws every window (the same generator); it
             * keeps its own, the others go to the spare slot Bl */
            for (size_t b = 0; b < B; b++) {
                size_t j = b % K == shard ? nl++ : Bl, kk;
                nb += fill_window(d, nn, r, x + j * T * F, y + j * T, &kk);
                if (j < Bl) wk[j] = kk;
            }
            if (!nb) continue;
            be->zero(g, np);
            double bl = nl ? tsf_nn_forward_backward(nn, acts, x, y, nl, T, NULL, g,
                                                     1.0f / (float)nb) : 0.0;
            if (nE && nl && (st = embed_grad(nn, acts, hdx, ge, wk, nl, T, g))) goto done;
            if (K > 1) {
                if ((st = sum_shards(opts, be, g, hg, red, np, &bl))) goto done;
            }
            tl += bl;
            tn += nb;
            if (pr) tsf_nn_pruner_mask_grads(pr, g);
            double gn = sqrt(be->sumsq(g, np));
            if (!isfinite(gn) && be->sync(why, sizeof why)) {
                st = tsf_set_error(TSF_ENODEV, "GPU failure while training (%s); try --device "
                                   "cpu", why);
                goto done;
            }
            if (!isfinite(gn)) {
                st = tsf_set_error(TSF_ENOCONV, "training diverged at epoch %d (non-finite "
                                   "gradient); try a smaller --lr", ep);
                goto done;
            }
            if (gn > TSF_NN_CLIP) be->scale(g, (float)(TSF_NN_CLIP / gn), np);
            be->adamw_update(nn->params, g, mm, vv, np,
                             (float)(mult * lr_sched(m->lr, step, total, restart)), 0.9f,
                             0.999f, 1e-8f, (float)TSF_NN_WEIGHT_DECAY, (int)step + 1);
            if (pr && (st = tsf_nn_pruner_apply(pr, nn->params, step))) goto done;
        }
        if (be->sync(why, sizeof why)) {
            st = tsf_set_error(TSF_ENODEV, "GPU failure while training (%s); try --device cpu",
                               why);
            goto done;
        }
        m->train_nll = tn ? tl / (double)tn : NAN;
        m->epochs_run = ep;
        double v = NAN;
        /* while the sparsity still rises, the held-out fit is not compared
         * (a denser earlier epoch would win): best weights, plateaus and
         * early stopping count from the first epoch at the final sparsity */
        int pruning = pr && !tsf_nn_pruner_done(pr);
        if (pruning) be->copy(best, nn->params, np);
        if (validate && !pruning) {
            if (nn != m->nn) be->download(m->nn->params, nn->params, np);
            if ((st = valid_nll(d, &v))) goto done;
            if (v < best_v) {
                best_v = v;
                m->best_epoch = ep;
                since = 0;
                be->copy(best, nn->params, np);
            } else {
                /* Reduce on plateau (as GluonTS): the held-out fit got worse,
                 * so go back to the best weights and halve the step size. */
                since++;
                mult *= 0.5;
                be->copy(nn->params, best, np);
            }
        }
        char vs[32] = "-"; /* no held-out part (global models): no number */
        if (!isnan(v)) snprintf(vs, sizeof vs, "%.4f", v);
        report(opts, "epoch %d/%d  train nll %.4f  valid nll %s  lr %.2e  %.1f s", ep,
               m->epochs, m->train_nll, vs,
               mult * lr_sched(m->lr, step ? step - 1 : 0, total, restart), tsf_now() - t0);
        if (validate && since >= TSF_NN_PATIENCE) break;
    }
    if (!validate && m->cfg.nseries > 0)
        report(opts, "no held-out loss: a global model trains on every value (docs/neural.md)");
    if (validate) {
        be->copy(nn->params, best, np);
        m->valid_nll = best_v;
        report(opts, "early stopping: best epoch %d, valid nll %.4f", m->best_epoch, best_v);
    } else {
        m->best_epoch = m->epochs_run;
        m->valid_nll = NAN;
    }
    if (!st && nn != m->nn) be->download(m->nn->params, nn->params, np);
done:
    tsf_nn_pruner_free(pr);
    d->emb = NULL;
    tsf_nn_acts_free(acts);
    free(x);
    free(y);
    free(wk);
    free(hdx);
    free(he);
    free(ge);
    free(red);
    free(hg);
    be->free(g);
    be->free(mm);
    be->free(vv);
    be->free(best);
    return st;
}

tsf_status tsf_neural_train(tsf_neural *m, const double *const *ys, const size_t *ns,
                            const tsf_xreg *const *xs, size_t nseries, int period,
                            const tsf_fit_opts *opts)
{
    if (opts->epochs < 0 || opts->batch < 0 || opts->lr < 0.0 || opts->threads < 0)
        return tsf_set_error(TSF_EINVAL, "epochs, batch, lr and threads must not be negative");
    tsf_nn_free(m->nn);
    m->nn = NULL;
    m->epochs = opts->epochs ? opts->epochs : TSF_NN_DEFAULT_EPOCHS;
    m->batch = opts->batch ? opts->batch : m->cfg.arch->batch;
    m->lr = opts->lr > 0.0 ? opts->lr : m->cfg.arch->lr;
    m->seed = opts->seed;
    m->threads = opts->threads;
    m->precision = opts->precision;
    m->cfg.period = period; /* resolved by the core (tsf_fit_period) */
    if (m->cfg.period < 1) m->cfg.period = 1;
    if (m->cfg.arch->configure) m->cfg.arch->configure(&m->cfg);
    train_data d;
    memset(&d, 0, sizeof d);
    d.o = opts;
    if (nshards(opts) > 1 && (opts->shard < 0 || opts->shard >= opts->nshards || !opts->allreduce))
        return tsf_set_error(TSF_EINVAL, "data-parallel training needs 0 <= shard < nshards and "
                             "an allreduce function");
    d.P = m->cfg.period > 1 ? (size_t)m->cfg.period : 1;
    d.xs = m->cfg.nextra ? xs : NULL;
    d.nx = (size_t)m->cfg.nextra;
    d.nseries = nseries; /* release() needs it whatever prepare() reached */
    tsf_status st = prepare(m, &d, ys, ns, nseries);
    const tsf_nn_head_ops *hd = tsf_nn_head_get(m->cfg.head);
    if (!st && hd->prepare) hd->prepare(&m->cfg, (const double *const *)d.z, d.ntr, nseries);
    tsf_neural_set_name(m);
    gsl_rng *r = NULL;
    if (!st) st = tsf_nn_new(&m->cfg, &m->nn);
    if (!st && !(r = gsl_rng_alloc(gsl_rng_mt19937)))
        st = tsf_set_error(TSF_ENOMEM, "out of memory for a random number generator");
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
#endif
    /* The fitted model lives on the CPU reference (loglik, forecasts,
     * streaming, saving, validation: fp32); on another backend (a device,
     * or oneDNN's CPU GEMMs in fp32 or bf16) only the training runs there,
     * on a copy of the network. */
    const tsf_nn_backend *be = NULL;
    tsf_nn *dev = NULL;
    if (!st) st = tsf_nn_backend_get(opts->device, opts->precision, &be);
    if (!st && be->on_device && m->cfg.sparsity > 0.0)
        st = tsf_set_error(TSF_EUNSUP, "sparsity=%g: pruning trains on the CPU only (the %s "
                           "backend has no masking op); use --device cpu", m->cfg.sparsity,
                           be->name);
    if (!st) st = tsf_nn_init(m->nn, m->seed);
    if (!st) {
        gsl_rng_set(r, (unsigned long)(m->seed * 0x9E3779B97F4A7C15ULL + 1));
        if (be != m->nn->be && !(st = tsf_nn_new_on(&m->cfg, be, &dev)))
            be->upload(dev->params, m->nn->params, m->nn->nparams);
        if (!st) st = run(m, dev ? dev : m->nn, &d, opts, r);
    }
    tsf_nn_free(dev);
#ifdef _OPENMP
    if (opts->threads > 0) omp_set_num_threads(saved);
#endif
    /* the step's sparse copies of the pruned weights */
    if (!st) st = tsf_nn_sparsify(m->nn);
    /* exact log-likelihood of the fitting data, for the summary */
    double ll = 0.0;
    int K = nshards(opts);
    for (size_t k = 0; !st && k < nseries; k++) {
        if (K > 1 && (int)(k % (size_t)K) != opts->shard) continue;
        double l;
        st = tsf_neural_series_loglik_x(m, k, ys[k], ns[k], d.xs ? d.xs[k] : NULL, 0, &l, NULL);
        ll += l;
    }
    if (!st) st = reduce(opts, &ll, 1);
    m->loglik = ll;
    gsl_rng_free(r);
    release(&d);
    if (st) {
        tsf_nn_free(m->nn);
        m->nn = NULL;
    }
    return st;
}
