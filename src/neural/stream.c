/* Streaming evaluation and ancestral sampling (Salinas et al. 2020,
 * sec. 3.1): the network reads the scaled previous value (and the one
 * lagged by the period), emits the parameters of p(z_t | z_<t), and a
 * sampled z_t becomes the next input.  Log densities are in the data's
 * units: log p(y) = log p(z) - log(scale). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "neural.h"

/* A stream of B sequences on run (adopted, freed on failure; NULL: a new
 * one of nn's own layout). */
static tsf_status stream_make(const tsf_nn *nn, double scale, size_t B, tsf_nn_run *run,
                              tsf_nn_stream **out)
{
    *out = NULL;
    tsf_nn_stream *s = calloc(1, sizeof *s);
    if (!s) {
        tsf_nn_run_free(run);
        return tsf_set_error(TSF_ENOMEM, "out of memory for a network stream");
    }
    s->run = run;
    s->nn = nn;
    s->B = B;
    s->P = nn->cfg.period > 1 ? (size_t)nn->cfg.period : 1;
    s->scale = scale;
    s->hist = malloc(B * s->P * sizeof *s->hist);
    s->nu = malloc(B * sizeof *s->nu);
    s->lsd = 1.0;
    s->L = nn->cfg.lscale ? tsf_neural_local_len(s->P) : 0;
    if (s->L) s->lh = calloc(B * s->L, sizeof *s->lh);
    s->x = malloc(B * nn->nin * sizeof *s->x);
    s->o = malloc(B * nn->K * sizeof *s->o);
    size_t nf = tsf_nn_nser_feat(&nn->cfg), nx = (size_t)nn->cfg.nextra;
    if (nf) s->sfeat = calloc(nf, sizeof *s->sfeat);
    s->xs = nx ? calloc(3 * nx, sizeof *s->xs) : NULL;
    if (s->xs) {
        s->xcenter = s->xs + nx;
        s->xscale = s->xs + 2 * nx;
        for (size_t j = 0; j < nx; j++) s->xscale[j] = 1.0;
    }
    tsf_status st = TSF_OK;
    if (!s->hist || !s->nu || (s->L && !s->lh) || !s->x || !s->o || (nf && !s->sfeat) || (nx && !s->xs))
        st = tsf_set_error(TSF_ENOMEM, "out of memory for a stream");
    if (!st && !s->run) st = tsf_nn_run_new(nn, B, &s->run);
    if (st) {
        tsf_nn_stream_free(s);
        return st;
    }
    *out = s;
    return TSF_OK;
}

tsf_status tsf_nn_stream_new(const tsf_nn *nn, double scale, size_t B, tsf_nn_stream **out)
{
    return stream_make(nn, scale, B, NULL, out);
}

void tsf_nn_stream_free(tsf_nn_stream *s)
{
    if (!s) return;
    tsf_nn_run_free(s->run);
    free(s->hist);
    free(s->nu);
    free(s->lh);
    free(s->x);
    free(s->o);
    free(s->sfeat);
    free(s->xs);
    free(s);
}

void tsf_nn_stream_set_x(tsf_nn_stream *s, const double *x, size_t stride)
{
    for (int j = 0; j < s->nn->cfg.nextra; j++)
        s->xs[j] = (x[(size_t)j * stride] - s->xcenter[j]) / s->xscale[j];
}

/* The inputs of the next position of every sequence into s->x. */
static void stream_inputs(tsf_nn_stream *s)
{
    size_t P = s->P, c = s->count;
    for (size_t b = 0; b < s->B; b++) {
        const double *h = s->hist + b * P;
        /* local scaling: the ring lh holds the last min(c, L) values
         * before this position (fill_window in train.c alike) */
        size_t L = s->L;
        double nu = L ? tsf_neural_local_scale(s->lh + b * L, c < L ? c : L) : 1.0;
        s->nu[b] = nu;
        double prev = c >= 1 ? h[(c - 1) % P] / nu : NAN;
        double lag = P > 1 && c >= P ? h[(c - P) % P] / nu : NAN;
        float *x = s->x + b * s->nn->nin;
        tsf_nn_input(s->nn, prev, lag, s->xs, x);
        if (s->sfeat) {
            memcpy(x + s->nn->xser, s->sfeat, tsf_nn_nser_feat(&s->nn->cfg) * sizeof *s->sfeat);
            if (s->nn->cfg.lscale) x[s->nn->xser] += (float)(log(nu) * s->lsd);
        }
    }
}

void tsf_nn_stream_predict(tsf_nn_stream *s)
{
    stream_inputs(s);
    tsf_nn_run_step(s->nn, s->run, s->x, s->o);
}

void tsf_nn_stream_push(tsf_nn_stream *s, const double *y)
{
    for (size_t b = 0; b < s->B; b++) s->hist[b * s->P + s->count % s->P] = y[b] / s->scale;
    for (size_t b = 0; s->L && b < s->B; b++) s->lh[b * s->L + s->count % s->L] = y[b] / s->scale;
    s->count++;
}

void tsf_nn_stream_update(tsf_nn_stream *s, double y, double *logp, double *mean)
{
    tsf_nn_stream_predict(s);
    /* s->o is host memory whatever the network's backend: the head math
     * on it is the CPU backend's */
    const tsf_nn_head_ops *hd = tsf_nn_head_get(s->nn->cfg.head);
    double sc = s->scale * s->nu[0];
    float z = (float)(y / sc), nll = 0.0f;
    if (logp) {
        *logp = 0.0;
        if (!isnan(y)) {
            /* the head's density in double, on the fp32 outputs */
            double l = hd->loss(tsf_nn_backend_cpu(), &s->nn->cfg, &nll, NULL, s->o, &z, 1, 1.0f);
            *logp = -l - log(sc);
        }
    }
    if (mean) {
        double mu, var;
        hd->moments(&s->nn->cfg, s->o, &mu, &var);
        *mean = mu * sc;
    }
    tsf_nn_stream_push(s, &y);
}

tsf_status tsf_nn_stream_fork(const tsf_nn_stream *src, size_t B, tsf_nn_stream **out)
{
    return tsf_nn_stream_fork_on(src, src->nn, B, out);
}

/* d's sequences := copies of src's (one sequence), all but the run */
static void fork_values(tsf_nn_stream *d, const tsf_nn_stream *src, size_t B)
{
    if (src->nn->cfg.nextra)
        memcpy(d->xs, src->xs, 3 * (size_t)src->nn->cfg.nextra * sizeof *d->xs);
    d->count = src->count;
    d->lsd = src->lsd;
    if (src->sfeat) memcpy(d->sfeat, src->sfeat, tsf_nn_nser_feat(&src->nn->cfg) * sizeof *d->sfeat);
    for (size_t b = 0; b < B; b++) memcpy(d->hist + b * d->P, src->hist, d->P * sizeof *d->hist);
    for (size_t b = 0; d->L && b < B; b++) memcpy(d->lh + b * d->L, src->lh, d->L * sizeof *d->lh);
}

tsf_status tsf_nn_stream_fork_on(const tsf_nn_stream *src, const tsf_nn *nn, size_t B,
                                 tsf_nn_stream **out)
{
    tsf_status st = tsf_nn_stream_new(nn, src->scale, B, out);
    if (st) return st;
    tsf_nn_run_broadcast(nn, (*out)->run, src->run);
    fork_values(*out, src, B);
    return TSF_OK;
}

tsf_status tsf_nn_stream_fork_paths(const tsf_nn_stream *src, size_t B, size_t h,
                                    tsf_nn_stream **out)
{
    tsf_nn_run *run;
    tsf_status st = tsf_nn_run_fork_shared(src->nn, src->run, B, h, &run);
    if (st) return st;
    if (!run) return tsf_nn_stream_fork(src, B, out);
    if ((st = stream_make(src->nn, src->scale, B, run, out))) return st;
    fork_values(*out, src, B);
    return TSF_OK;
}

double tsf_nn_noise(const tsf_nn_head_ops *hd, gsl_rng *r)
{
    return hd->normal_noise ? gsl_ran_gaussian_ziggurat(r, 1.0) : gsl_rng_uniform_pos(r);
}

tsf_status tsf_nn_stream_sample(tsf_nn_stream *s, size_t h, gsl_rng *r, double *paths)
{
    return tsf_nn_stream_sample_x(s, h, NULL, r, paths);
}

tsf_status tsf_nn_stream_sample_x(tsf_nn_stream *s, size_t h, const tsf_xreg *xf, gsl_rng *r,
                                  double *paths)
{
    size_t B = s->B;
    double *y = malloc(2 * B * sizeof *y), *e = y + B;
    if (!y) return tsf_set_error(TSF_ENOMEM, "out of memory sampling %zu paths", B);
    const tsf_nn_head_ops *hd = tsf_nn_head_get(s->nn->cfg.head);
    for (size_t k = 0; k < h; k++) {
        if (xf) tsf_nn_stream_set_x(s, xf->x + k, xf->ld);
        for (size_t b = 0; b < B; b++) e[b] = tsf_nn_noise(hd, r);
        stream_inputs(s);
        /* on a device the draws are made there (head_draw) */
        tsf_nn_run_step_draw(s->nn, s->run, s->x, e, y, s->o);
        for (size_t b = 0; b < B; b++) {
            y[b] *= s->scale * s->nu[b];
            paths[b * h + k] = y[b];
        }
        tsf_nn_stream_push(s, y);
    }
    free(y);
    return TSF_OK;
}

tsf_status tsf_nn_summarise(const double *paths, size_t N, size_t h, int median,
                            tsf_forecast_result *fc)
{
    double *col = malloc(N * sizeof *col);
    if (!col) return tsf_set_error(TSF_ENOMEM, "out of memory summarising %zu paths", N);
    for (size_t k = 0; k < h; k++) {
        for (size_t b = 0; b < N; b++) col[b] = paths[b * h + k];
        fc->mean[k] = gsl_stats_mean(col, 1, N);
        fc->se[k] = N > 1 ? gsl_stats_sd_m(col, 1, N, fc->mean[k]) : 0.0;
        gsl_sort(col, 1, N);
        if (median) fc->mean[k] = gsl_stats_median_from_sorted_data(col, 1, N);
        for (size_t i = 0; i < fc->nlevels; i++) {
            double a = (1.0 - fc->levels[i] / 100.0) / 2.0;
            fc->lower[i * h + k] = gsl_stats_quantile_from_sorted_data(col, 1, N, a);
            fc->upper[i * h + k] = gsl_stats_quantile_from_sorted_data(col, 1, N, 1.0 - a);
        }
    }
    free(col);
    return TSF_OK;
}
