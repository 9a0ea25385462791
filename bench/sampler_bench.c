/* Ancestral vs parallel (fixed-point) sampling of a fitted neural model,
 * for bench/sampler.sh.  Usage:
 *   sampler_bench SPEC FILE.csv EPOCHS PATHS H [H ...]
 * Fits SPEC to the one numeric column of FILE (seed 1, EPOCHS epochs),
 * then for each horizon H draws PATHS paths after the whole series both
 * ways with the same seed, as tsf_forecast does (ancestral: the history
 * through the stream, then the paths step by step; parallel: the fixed-
 * point iteration over the last reach values), and prints one JSON line
 *   {"h", "paths", "ancestral_s", "parallel_s", "ratio", "ancestral_steps_per_s",
 *    "parallel_steps_per_s", "iterations", "differing",
 *    "max_rel_diff", "diff_at", "perturbed_diff_at", "perturbed_max_rel_diff"}
 * ratio = ancestral_s / parallel_s (above 1: parallel is faster);
 * *_steps_per_s: paths x steps per second; differing: the number of
 * values (of paths x h) in which the two samplers differ in any bit;
 * max_rel_diff: the largest difference of the two samplers' values,
 * relative to max(|value|, scale); diff_at: the same at steps 1, 8, 24,
 * 96, 384 (those <= h); perturbed_diff_at: ancestral sampling against
 * itself after the last observation is changed by 1e-7 relative (a float
 * rounding): how much the fitted network amplifies a rounding difference
 * along a path, which bounds how closely any two float computations of
 * the paths can agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "tsf/tsf.h"
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/neural.h"

/* ancestral paths (S,h) after y (n) */
static int ancestral(const tsf_neural *nm, const double *y, size_t n, size_t h, size_t S,
                     gsl_rng *r, double *pa)
{
    tsf_nn_stream *s1, *sN;
    if (tsf_nn_stream_new(nm->nn, nm->scale, 1, &s1)) return 1;
    for (size_t t = 0; t < n; t++) tsf_nn_stream_update(s1, y[t], NULL, NULL);
    if (tsf_nn_stream_fork(s1, S, &sN) || tsf_nn_stream_sample(sN, h, r, pa)) return 1;
    tsf_nn_stream_free(s1);
    tsf_nn_stream_free(sN);
    return 0;
}

/* largest difference at step k (0-based) relative to max(|a|, scale) */
static double diff_at(const double *a, const double *b, size_t S, size_t h, size_t k, double sc)
{
    double w = 0.0;
    for (size_t i = 0; i < S; i++)
        w = fmax(w, fabs(a[i * h + k] - b[i * h + k]) / fmax(fabs(a[i * h + k]), sc));
    return w;
}

static void print_diffs(const char *key, const double *a, const double *b, size_t S, size_t h,
                        double sc)
{
    static const size_t at[] = {1, 8, 24, 96, 384};
    printf(", \"%s\": {", key);
    for (size_t j = 0; j < 5 && at[j] <= h; j++)
        printf("%s\"%zu\": %.1e", j ? ", " : "", at[j], diff_at(a, b, S, h, at[j] - 1, sc));
    printf("}");
}

static int fail(void)
{
    fprintf(stderr, "sampler_bench: %s\n", tsf_errmsg());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s SPEC FILE.csv EPOCHS PATHS H [H ...]\n", argv[0]);
        return 1;
    }
    tsf_frame *f;
    tsf_model *m;
    if (tsf_csv_read(argv[2], &f) || tsf_model_new(argv[1], &m)) return fail();
    size_t col = f->ncols - 1, n = f->nrows, S = (size_t)atol(argv[4]);
    const double *y = f->cols[col];
    tsf_fit_opts fo = {.epochs = atoi(argv[3]), .seed = 1};
    double t0 = tsf_now();
    if (tsf_fit(m, y, n, NULL, 0, &fo)) return fail();
    const tsf_neural *nm = m->impl;
    fprintf(stderr, "%s: fitted on %zu values in %.1f s\n", nm->name, n, tsf_now() - t0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int a = 5; a < argc; a++) {
        size_t h = (size_t)atol(argv[a]), it = 0;
        double *pa = malloc(S * h * sizeof *pa), *pp = malloc(S * h * sizeof *pp);
        gsl_rng_set(r, 7);
        t0 = tsf_now();
        if (ancestral(nm, y, n, h, S, r, pa)) return fail();
        double ta = tsf_now() - t0;
        gsl_rng_set(r, 7);
        t0 = tsf_now();
        if (tsf_nn_sample_parallel(nm->nn, nm->scale, y, n, h, S, r, 0, pp, &it)) return fail();
        double tp = tsf_now() - t0, worst = 0.0;
        size_t nd = 0;
        for (size_t i = 0; i < S * h; i++) {
            worst = fmax(worst, fabs(pa[i] - pp[i]) / fmax(fabs(pa[i]), nm->scale));
            nd += memcmp(pa + i, pp + i, sizeof *pa) != 0;
        }
        printf("{\"h\": %zu, \"paths\": %zu, \"ancestral_s\": %.4f, \"parallel_s\": %.4f, "
               "\"ratio\": %.3f, \"ancestral_steps_per_s\": %.0f, \"parallel_steps_per_s\": "
               "%.0f, \"iterations\": %zu, \"differing\": %zu, \"max_rel_diff\": %.2e",
               h, S, ta, tp, ta / tp, (double)(S * h) / ta, (double)(S * h) / tp, it, nd, worst);
        print_diffs("diff_at", pa, pp, S, h, nm->scale);
        double *y2 = malloc(n * sizeof *y2);
        memcpy(y2, y, n * sizeof *y2);
        y2[n - 1] *= 1.0 + 1e-7;
        gsl_rng_set(r, 7);
        if (ancestral(nm, y2, n, h, S, r, pp)) return fail();
        print_diffs("perturbed_diff_at", pa, pp, S, h, nm->scale);
        double pw = 0.0;
        for (size_t i = 0; i < S * h; i++)
            pw = fmax(pw, fabs(pa[i] - pp[i]) / fmax(fabs(pa[i]), nm->scale));
        printf(", \"perturbed_max_rel_diff\": %.2e", pw);
        printf("}\n");
        free(y2);
        fflush(stdout);
        free(pa);
        free(pp);
    }
    gsl_rng_free(r);
    tsf_model_free(m);
    tsf_frame_free(f);
    return 0;
}
