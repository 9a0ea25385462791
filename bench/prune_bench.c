/* Pruned sparse weights against dense ones (bench/prune.sh).  Usage:
 *   prune_bench kernel
 *     the BSR kernel (cpu_sparse.c) against the dense matmul_forward on
 *     the same zeroed weights, by block density, for 1 and 200 rows:
 *     one JSON line per shape, density and rows.
 *   prune_bench fit DENSE_SPEC SPARSE_SPEC FILE.csv EPOCHS [SEED]
 *     fits both specs (seed SEED, default 1) on the first 80% of the last
 *     column of FILE, and prints one JSON line: the held-out
 *     log-likelihood per observation of the last 20% (conditioned on
 *     everything before), the fraction of exact zeros in the pruned
 *     model's prunable matrices and the fraction of nonzero 8x1 blocks of
 *     each of them, the CPU time of one tsf_state_update and of a
 *     200-path, 24-step forecast (tsf_state_forecast, ancestral), each
 *     the best of 7 (a loaded machine disturbs single runs), and the
 *     dense/sparse ratios.  A spec "-" skips that fit (its numbers are
 *     null); PRUNE_BENCH_NOTIME=1 skips the timings,
 *     PRUNE_BENCH_VERBOSE=1 prints the training's epochs to stderr.
 *   prune_bench update MODEL FILE | forecast MODEL FILE [PATHS [REPS]]
 *     the same timings for a saved model (forecast: best of REPS, default
 *     7; more reps make a profile of the forecast alone, perf record). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsf/tsf.h"
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/cpu_ops.h"
#include "neural/neural.h"
#include "neural/prune.h"
#include "bench_util.h"

static int fail(void)
{
    fprintf(stderr, "prune_bench: %s\n", tsf_errmsg());
    return 1;
}

/* w (OC,C) with a random fraction `dens` of its 8x1 blocks nonzero */
static void fill(float *w, size_t OC, size_t C, double dens, unsigned *seed)
{
    size_t nb = tsf_nn_prune_blocks(OC, C);
    for (size_t k = 0; k < nb; k++) {
        int keep = (double)rand_r(seed) / RAND_MAX < dens;
        for (size_t r = (k / C) * 8; r < OC && r < (k / C) * 8 + 8; r++)
            w[r * C + k % C] = keep ? (float)rand_r(seed) / RAND_MAX - 0.5f : 0.0f;
    }
}

static int kernel(void)
{
    static const size_t shapes[][2] = {{768, 256}, {1024, 256}, {256, 1024}};
    static const double dens[] = {1.0, 0.5, 0.3, 0.2, 0.1};
    static const size_t rows[] = {1, 200};
    unsigned seed = 1;
    for (size_t si = 0; si < 3; si++) {
        size_t OC = shapes[si][0], C = shapes[si][1];
        tsf_nn_config cfg = {0};
        (void)cfg;
        float *w = malloc(OC * C * sizeof *w), *bias = calloc(OC, sizeof *bias);
        float *x = malloc(200 * C * sizeof *x), *o1 = malloc(200 * OC * sizeof *o1);
        float *o2 = malloc(200 * OC * sizeof *o2);
        uint32_t *ptr = malloc((OC / 8 + 2) * sizeof *ptr), *col = malloc(OC * C * sizeof *col);
        float *val = calloc(OC * C + 8, sizeof *val);
        for (size_t i = 0; i < 200 * C; i++) x[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
        for (size_t di = 0; di < 5; di++) {
            fill(w, OC, C, dens[di], &seed);
            size_t n = 0, nbr = (OC + 7) / 8;
            ptr[0] = 0;
            for (size_t i = 0; i < nbr; i++) {
                for (size_t c = 0; c < C; c++) {
                    int nz = 0;
                    for (size_t r = i * 8; r < OC && r < i * 8 + 8; r++) nz |= w[r * C + c] != 0;
                    if (!nz) continue;
                    col[n] = (uint32_t)c;
                    for (size_t r = i * 8; r < i * 8 + 8; r++)
                        val[n * 8 + r - i * 8] = r < OC ? w[r * C + c] : 0.0f;
                    n++;
                }
                ptr[i + 1] = (uint32_t)n;
            }
            for (size_t ri = 0; ri < 2; ri++) {
                size_t B = rows[ri], reps = B == 1 ? 20000 : 100;
                double td = INFINITY, ts = INFINITY;
                for (int rep = 0; rep < 3; rep++) {
                    double t0 = bench_cpu_now();
                    for (size_t k = 0; k < reps; k++)
                        tsf_cpu_matmul_forward(o1, x, w, bias, B, C, OC);
                    td = fmin(td, (bench_cpu_now() - t0) / (double)reps);
                    t0 = bench_cpu_now();
                    for (size_t k = 0; k < reps; k++)
                        tsf_cpu_bsr_matmul(o2, x, bias, B, C, OC, ptr, col, val);
                    ts = fmin(ts, (bench_cpu_now() - t0) / (double)reps);
                }
                double md = 0.0;
                for (size_t i = 0; i < B * OC; i++) md = fmax(md, fabs(o1[i] - o2[i]));
                printf("{\"shape\": \"%zux%zu\", \"block_density\": %.2f, \"rows\": %zu, "
                       "\"dense_us\": %.2f, \"sparse_us\": %.2f, \"speedup\": %.2f, "
                       "\"max_abs_diff\": %.1e}\n", OC, C, (double)n / (double)(nbr * C), B,
                       1e6 * td, 1e6 * ts, td / ts, md);
                fflush(stdout);
            }
        }
        free(w); free(bias); free(x); free(o1); free(o2); free(ptr); free(col); free(val);
    }
    return 0;
}

typedef struct {
    double nll, zeros, upd_s, fc_s, fit_s;
    char dens[512]; /* JSON array: nonzero block fraction of each prunable matrix */
} row;

static void progress(void *ctx, const char *line)
{
    fprintf(stderr, "%s: %s\n", (const char *)ctx, line);
}

static int measure(const char *spec, const double *y, size_t n, size_t ntr, int epochs,
                   int seed, row *out)
{
    tsf_model *m;
    out->nll = out->zeros = out->upd_s = out->fc_s = out->fit_s = NAN;
    snprintf(out->dens, sizeof out->dens, "null");
    if (!strcmp(spec, "-")) return 0;
    if (tsf_model_new(spec, &m)) return fail();
    tsf_fit_opts fo;
    tsf_fit_opts_init(&fo);
    fo.epochs = epochs;
    fo.seed = seed;
    if (getenv("PRUNE_BENCH_VERBOSE")) {
        fo.verbose = 1;
        fo.progress = progress;
        fo.progress_ctx = (void *)spec;
    }
    double t0 = tsf_now();
    if (tsf_fit(m, y, ntr, NULL, 0, &fo)) return fail();
    out->fit_s = tsf_now() - t0;
    double ll;
    if (tsf_loglik(m, y, n, NULL, ntr, &ll)) return fail();
    size_t nh = 0;
    for (size_t i = ntr; i < n; i++) nh += !isnan(y[i]);
    out->nll = -ll / (double)nh;
    const tsf_neural *nm = m->impl;
    size_t z = 0, tot = 0, len = 0;
    for (size_t j = 0; j < nm->nn->ntens; j++) {
        const tsf_nn_tensor *t = &nm->nn->tens[j];
        if (!tsf_nn_prunable(t)) continue;
        const float *w = nm->nn->params + t->off;
        size_t R = t->shape[0], C = t->shape[1], nb = tsf_nn_prune_blocks(R, C), nz = 0;
        for (size_t i = 0; i < R * C; i++) z += w[i] == 0.0f;
        tot += R * C;
        for (size_t k = 0; k < nb; k++) {
            int any = 0;
            for (size_t r = (k / C) * 8; r < R && r < (k / C) * 8 + 8; r++)
                any |= w[r * C + k % C] != 0.0f;
            nz += any;
        }
        if (len + 16 < sizeof out->dens)
            len += (size_t)snprintf(out->dens + len, sizeof out->dens - len, "%s%.4f",
                                    len ? ", " : "[", (double)nz / (double)nb);
    }
    if (len && len + 2 < sizeof out->dens) snprintf(out->dens + len, sizeof out->dens - len, "]");
    else snprintf(out->dens, sizeof out->dens, "[]");
    out->zeros = tot ? (double)z / (double)tot : 0.0;
    if (getenv("PRUNE_BENCH_NOTIME")) {
        tsf_model_free(m);
        return 0;
    }
    out->upd_s = out->fc_s = INFINITY;
    tsf_forecast_opts fopt;
    tsf_forecast_opts_init(&fopt);
    fopt.samples = 200;
    fopt.seed = 3;
    for (int rep = 0; rep < 7; rep++) {
        tsf_state *st;
        if (tsf_state_new(m, &st)) return fail();
        t0 = bench_cpu_now();
        for (size_t i = 0; i < n; i++)
            if (tsf_state_update(st, y[i], NULL)) return fail();
        out->upd_s = fmin(out->upd_s, (bench_cpu_now() - t0) / (double)n);
        tsf_forecast_result *fc;
        t0 = bench_cpu_now();
        if (tsf_state_forecast(st, 24, NULL, 0, &fopt, &fc)) return fail();
        out->fc_s = fmin(out->fc_s, bench_cpu_now() - t0);
        tsf_forecast_free(fc);
        tsf_state_free(st);
    }
    tsf_model_free(m);
    return 0;
}

/* update MODEL FILE: the CPU time of one tsf_state_update of a saved model
 * over the series (best of 3). */
static int update(const char *model, const char *csv)
{
    size_t n;
    double *y = bench_read_values(csv, &n);
    tsf_model *m;
    if (!y || tsf_load(model, &m)) return fail();
    double best = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        tsf_state *st;
        if (tsf_state_new(m, &st)) return fail();
        double t0 = bench_cpu_now();
        for (size_t i = 0; i < n; i++)
            if (tsf_state_update(st, y[i], NULL)) return fail();
        best = fmin(best, (bench_cpu_now() - t0) / (double)n);
        tsf_state_free(st);
    }
    const tsf_neural *nm = m->impl;
    size_t nmat, nblk;
    tsf_nn_sparse_stats(nm->nn, &nmat, &nblk);
    printf("{\"model\": \"%s\", \"update_us\": %.2f, \"sparse_matrices\": %zu}\n", nm->name,
           1e6 * best, nmat);
    tsf_model_free(m);
    free(y);
    return 0;
}

/* forecast MODEL FILE [PATHS [REPS]]: the CPU time of a PATHS-path
 * (default 200), 24-step forecast from a streaming state after the series
 * (best of REPS, default 7), as in fit's rows, for a saved model. */
static int forecast(const char *model, const char *csv, size_t paths, int reps)
{
    size_t n;
    double *y = bench_read_values(csv, &n);
    tsf_model *m;
    tsf_state *st;
    if (!y || tsf_load(model, &m) || tsf_state_new(m, &st)) return fail();
    for (size_t i = 0; i < n; i++)
        if (tsf_state_update(st, y[i], NULL)) return fail();
    tsf_forecast_opts fopt;
    tsf_forecast_opts_init(&fopt);
    fopt.samples = paths;
    fopt.seed = 3;
    double best = INFINITY;
    for (int rep = 0; rep < reps; rep++) {
        tsf_forecast_result *fc;
        double t0 = bench_cpu_now();
        if (tsf_state_forecast(st, 24, NULL, 0, &fopt, &fc)) return fail();
        best = fmin(best, bench_cpu_now() - t0);
        tsf_forecast_free(fc);
    }
    const tsf_neural *nm = m->impl;
    printf("{\"model\": \"%s\", \"paths\": %zu, \"forecast_ms\": %.2f}\n", nm->name, paths,
           1e3 * best);
    tsf_state_free(st);
    tsf_model_free(m);
    free(y);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "kernel")) return kernel();
    if (argc >= 4 && !strcmp(argv[1], "update")) return update(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "forecast"))
        return forecast(argv[2], argv[3], argc >= 5 ? (size_t)atol(argv[4]) : 200,
                        argc >= 6 ? atoi(argv[5]) : 7);
    if (argc < 6 || strcmp(argv[1], "fit")) {
        fprintf(stderr, "usage: %s kernel | fit DENSE_SPEC SPARSE_SPEC FILE.csv EPOCHS [SEED]\n",
                argv[0]);
        return 1;
    }
    size_t n;
    double *y = bench_read_values(argv[4], &n);
    if (!y) return 1;
    size_t ntr = n - n / 5;
    int epochs = atoi(argv[5]), seed = argc >= 7 ? atoi(argv[6]) : 1;
    row d, s;
    if (measure(argv[2], y, n, ntr, epochs, seed, &d) ||
        measure(argv[3], y, n, ntr, epochs, seed, &s))
        return 1;
    char v[12][32];
    const double num[12] = {d.nll, s.nll, s.nll - d.nll, s.zeros, 1e6 * d.upd_s, 1e6 * s.upd_s,
                            d.upd_s / s.upd_s, 1e3 * d.fc_s, 1e3 * s.fc_s, d.fc_s / s.fc_s,
                            d.fit_s, s.fit_s};
    static const char *const fmt[12] = {"%.4f", "%.4f", "%.4f", "%.4f", "%.2f", "%.2f", "%.2f",
                                        "%.2f", "%.2f", "%.2f", "%.1f", "%.1f"};
    for (int i = 0; i < 12; i++) {
        if (isfinite(num[i])) snprintf(v[i], sizeof v[i], fmt[i], num[i]);
        else snprintf(v[i], sizeof v[i], "null"); /* a skipped fit or timing */
    }
    printf("{\"dense\": \"%s\", \"sparse\": \"%s\", \"seed\": %d, \"n\": %zu, "
           "\"heldout\": %zu, \"dense_nll\": %s, \"sparse_nll\": %s, \"nll_gap\": %s, "
           "\"zero_fraction\": %s, \"block_densities\": %s, \"dense_update_us\": %s, "
           "\"sparse_update_us\": %s, \"update_speedup\": %s, \"dense_forecast_ms\": %s, "
           "\"sparse_forecast_ms\": %s, \"forecast_speedup\": %s, \"dense_fit_s\": %s, "
           "\"sparse_fit_s\": %s}\n",
           argv[2], argv[3], seed, n, n - ntr, v[0], v[1], v[2], v[3], s.dens, v[4], v[5], v[6],
           v[7], v[8], v[9], v[10], v[11]);
    free(y);
    return 0;
}
