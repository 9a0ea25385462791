/* tsf batch --global: one neural network trained on every series of the
 * file (docs/batch.md, "Global models"), then forecast for each series
 * by the per-series machinery (batch_series.c with cfg->global set).
 * Under MPI every rank reads the file and trains on its share of the
 * windows of each batch; the gradients are summed across ranks
 * (batch_mpi_allreduce), so every rank ends with the same weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "cli.h"

static void show(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "tsf: batch --global: %s\n", line);
}

int batch_long_all(batch_long *rd, batch_series **out, size_t *n)
{
    size_t cap = 256, used = 0;
    batch_series *s = calloc(cap, sizeof *s);
    int eof = 0, r = 0;
    while (s && !eof && !r) {
        if (cap - used < 64) {
            batch_series *t = realloc(s, 2 * cap * sizeof *s);
            if (!t) break;
            memset(t + cap, 0, cap * sizeof *t);
            s = t;
            cap *= 2;
        }
        size_t got = 0;
        r = batch_long_next(rd, s + used, cap - used, &got, &eof);
        used += got;
    }
    if (!s || (!eof && !r)) r = cli_usage("out of memory reading the series");
    if (r && s) {
        for (size_t i = 0; i < used; i++) batch_series_free(&s[i]);
        free(s);
        s = NULL;
        used = 0;
    }
    *out = s;
    *n = used;
    return r;
}

/* Whether series i takes part in training (the others get their own
 * error row when forecast). */
static int usable(const batch_series *s)
{
    if (s->error) return 0;
    for (size_t i = 0; i < s->n; i++)
        if (!isnan(s->y[i])) return 1;
    return 0;
}

int batch_global_fit(const batch_cfg *cfg, const batch_series *s, size_t n, int threads,
                     int quiet, tsf_model **out)
{
    *out = NULL;
    tsf_model *m = NULL;
    tsf_status st = tsf_model_new(cfg->spec, &m);
    if (st) return cli_fail(st);
    if (!tsf_model_can_fit_global(m)) {
        tsf_model_free(m);
        return cli_usage("batch --global: '%s' is not a neural network (nor a combo with a "
                         "neural member); --global trains one network on every series (gru(), "
                         "lstm(), transformer(), wavenet()); "
                         "drop --global to fit '%s' to each series on its own", cfg->spec,
                         cfg->spec);
    }
    const double **ys = malloc((n ? n : 1) * sizeof *ys);
    size_t *ns = malloc((n ? n : 1) * sizeof *ns);
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    /* --xreg: each series' regressors; a series whose regressors cannot be
     * built stays out of training and fails alone when forecast */
    cli_xbuild *xb = cfg->xreg ? calloc(n ? n : 1, sizeof *xb) : NULL;
    tsf_xreg *xr = cfg->xreg ? calloc(n ? n : 1, sizeof *xr) : NULL;
    const tsf_xreg **xp = cfg->xreg ? calloc(n ? n : 1, sizeof *xp) : NULL;
    int r = 0;
    if (!ys || !ns || !ids || (cfg->xreg && (!xb || !xr || !xp))) r = cli_usage("out of memory");
    size_t k = 0, first = 0;
    for (size_t i = 0; !r && i < n; i++) {
        if (!usable(&s[i])) continue;
        if (cfg->xreg) {
            char why[1024];
            if (batch_series_xreg(cfg->xreg, cfg->file, NULL, &s[i], 0, &xb[k], NULL, why,
                                  sizeof why))
                continue;
            if (xb[k].trend || !xb[k].k) {
                cli_xbuild_free(&xb[k]);
                r = cli_usage("batch --global: --xreg '%s': neural models take no trend term; "
                              "give regressor columns or fourier/calendar terms", cfg->xreg);
                break;
            }
            xr[k] = (tsf_xreg){xb[k].k, xb[k].x, s[i].n, (const char *const *)xb[k].names};
            xp[k] = &xr[k];
        }
        if (k && s[i].period != s[first].period)
            r = cli_usage("batch --global: series '%s' has period %d but series '%s' has %d: a "
                          "global model needs series of one frequency; split the file by "
                          "frequency and run one --global batch per file", s[i].id,
                          s[i].period, s[first].id, s[first].period);
        if (!k) first = i;
        ys[k] = s[i].y;
        ns[k] = s[i].n;
        ids[k++] = s[i].id;
    }
    if (!r && !k) r = cli_usage("batch --global: no series has an observed value");
    if (!r) {
        tsf_fit_opts o = cfg->fit;
        o.threads = threads;
        o.verbose = !quiet && batch_mpi_rank() == 0;
        o.progress = show;
        o.shard = batch_mpi_rank();
        o.nshards = batch_mpi_size();
        o.allreduce = batch_mpi_allreduce;
        if (o.verbose)
            fprintf(stderr, "tsf: batch --global: training %s on %zu series%s\n", cfg->spec, k,
                    o.nshards > 1 ? " (data-parallel over the MPI ranks)" : "");
        if ((st = tsf_fit_global_x(m, ys, ns, xp, ids, k, s[first].period, &o)))
            r = cli_fail(st);
    }
    for (size_t i = 0; xb && i < k; i++) cli_xbuild_free(&xb[i]);
    free(xb);
    free(xr);
    free(xp);
    free(ys);
    free(ns);
    free(ids);
    if (r) tsf_model_free(m);
    else *out = m;
    return r;
}
