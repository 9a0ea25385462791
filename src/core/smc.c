/* Forecasts conditional on given future values by sequential Monte Carlo
 * through the streaming state (docs/conditioning.md): N particles are
 * copies of the state after the series, each step drawn ancestrally from
 * its one-step predictive distribution; at a given step every particle
 * instead observes the given value and is weighted by its log density,
 * and the particles are resampled systematically (Kitagawa 1996) when the
 * effective sample size 1 / sum w_i^2 falls below N/2 (Doucet, de Freitas
 * & Gordon 2001).  The forecast is the weighted distribution of the paths:
 * mean, standard deviation and weighted quantiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "internal.h"
#include "model_impl.h"

#define SMC_DEFAULT_PARTICLES 1000

typedef struct {
    size_t np, h;
    tsf_state **p;     /* np particles */
    double *paths;     /* np x h */
    double *logw, *w;  /* np */
    size_t *anc;       /* np */
    double *x;         /* k regressor values of one step */
} smc;

static void smc_free(smc *s)
{
    for (size_t i = 0; s->p && i < s->np; i++) tsf_state_free(s->p[i]);
    free(s->p);
    free(s->paths);
    free(s->logw);
    free(s->w);
    free(s->anc);
    free(s->x);
}

/* Row t of regressors X (k columns) into x; NULL when there are none. */
static const double *xrow(const tsf_xreg *X, size_t t, double *x)
{
    if (!X || !X->k) return NULL;
    for (size_t j = 0; j < X->k; j++) x[j] = X->x[j * X->ld + t];
    return x;
}

/* Normalised weights into s->w; returns the effective sample size. */
static double normalise(smc *s)
{
    double mx = -INFINITY, sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < s->np; i++) mx = fmax(mx, s->logw[i]);
    for (size_t i = 0; i < s->np; i++) sum += (s->w[i] = exp(s->logw[i] - mx));
    for (size_t i = 0; i < s->np; i++) {
        s->w[i] /= sum;
        sq += s->w[i] * s->w[i];
    }
    return 1.0 / sq;
}

/* Systematic resampling: one uniform, N evenly spaced points on the
 * cumulative weights; the particles are copied from their ancestors. */
static tsf_status resample(smc *s, gsl_rng *rng, size_t step)
{
    size_t N = s->np, j = 0;
    double u = gsl_rng_uniform(rng) / (double)N, c = s->w[0];
    for (size_t i = 0; i < N; i++) {
        double pt = u + (double)i / (double)N;
        while (pt > c && j + 1 < N) c += s->w[++j];
        s->anc[i] = j;
    }
    tsf_state **np = calloc(N, sizeof *np);
    double *paths = malloc(N * s->h * sizeof *paths);
    tsf_status st = np && paths ? TSF_OK : tsf_set_error(TSF_ENOMEM, "out of memory resampling");
    for (size_t i = 0; !st && i < N; i++) {
        st = tsf_state_clone(s->p[s->anc[i]], &np[i]);
        memcpy(paths + i * s->h, s->paths + s->anc[i] * s->h, (step + 1) * sizeof *paths);
    }
    if (st) {
        for (size_t i = 0; np && i < N; i++) tsf_state_free(np[i]);
        free(np);
        free(paths);
        return st;
    }
    for (size_t i = 0; i < N; i++) tsf_state_free(s->p[i]);
    free(s->p);
    free(s->paths);
    s->p = np;
    s->paths = paths;
    memset(s->logw, 0, N * sizeof *s->logw);
    return TSF_OK;
}

typedef struct {
    double v, w;
} draw;

static int by_value(const void *a, const void *b)
{
    double x = ((const draw *)a)->v, y = ((const draw *)b)->v;
    return (x > y) - (x < y);
}

/* Weighted mean, sd and quantiles of step i (d: np scratch). */
static void summarise(const smc *s, size_t i, draw *d, tsf_forecast_result *fc)
{
    size_t N = s->np, h = s->h;
    double m = 0.0, v = 0.0;
    for (size_t p = 0; p < N; p++) {
        d[p].v = s->paths[p * h + i];
        d[p].w = s->w[p];
        m += d[p].w * d[p].v;
    }
    for (size_t p = 0; p < N; p++) v += d[p].w * (d[p].v - m) * (d[p].v - m);
    fc->mean[i] = m;
    fc->se[i] = sqrt(v);
    qsort(d, N, sizeof *d, by_value);
    for (size_t k = 0; k < fc->nlevels; k++) {
        double a = (1.0 - fc->levels[k] / 100.0) / 2.0, c = 0.0;
        double lo = d[N - 1].v, hi = d[N - 1].v;
        int have_lo = 0;
        for (size_t p = 0; p < N; p++) {
            c += d[p].w;
            if (!have_lo && c >= a) {
                lo = d[p].v;
                have_lo = 1;
            }
            if (c >= 1.0 - a) {
                hi = d[p].v;
                break;
            }
        }
        fc->lower[k * h + i] = lo;
        fc->upper[k * h + i] = hi;
    }
}

tsf_status tsf_smc_forecast(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t h, const tsf_forecast_opts *opts, tsf_forecast_result *fc)
{
    smc s = {0};
    size_t N = opts->samples ? opts->samples : SMC_DEFAULT_PARTICLES;
    size_t k = xreg && xreg->k ? xreg->k : 0;
    const tsf_xreg *xf = opts->xreg_future && opts->xreg_future->k ? opts->xreg_future : NULL;
    if ((xf ? xf->k : 0) != k)
        return tsf_set_error(TSF_EINVAL, "the model's %zu regressors need their %zu future rows "
                             "(xreg_future)", k, h);
    if (xf && xf->ld < h)
        return tsf_set_error(TSF_EINVAL, "the future regressors have %zu rows, %zu needed",
                             xf->ld, h);
    tsf_state *s0 = NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    long *given = malloc(h * sizeof *given);
    draw *col = malloc(N * sizeof *col);
    s.np = N;
    s.h = h;
    s.p = calloc(N, sizeof *s.p);
    s.paths = malloc(N * h * sizeof *s.paths);
    s.logw = calloc(N, sizeof *s.logw);
    s.w = malloc(N * sizeof *s.w);
    s.anc = malloc(N * sizeof *s.anc);
    s.x = malloc((k ? k : 1) * sizeof *s.x);
    fc->ess = malloc(h * sizeof *fc->ess);
    tsf_status st = TSF_OK;
    if (!rng || !given || !col || !s.p || !s.paths || !s.logw || !s.w || !s.anc ||
        !s.x || !fc->ess) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu particles", N);
        goto done;
    }
    gsl_rng_set(rng, (unsigned long)opts->seed);
    for (size_t i = 0; i < h; i++) {
        given[i] = -1;
        fc->ess[i] = NAN;
    }
    for (size_t g = 0; g < opts->ngiven; g++) given[opts->given_step[g] - 1] = (long)g;
    if ((st = tsf_state_new(m, &s0))) goto done;
    for (size_t t = 0; !st && t < n; t++) st = tsf_state_update_x(s0, y[t], xrow(xreg, t, s.x), k, NULL);
    for (size_t p = 0; !st && p < N; p++) st = tsf_state_clone(s0, &s.p[p]);
    for (size_t i = 0; !st && i < h; i++) {
        const double *x = xrow(xf, i, s.x);
        if (given[i] >= 0) {
            double v = opts->given_value[given[i]];
            for (size_t p = 0; !st && p < N; p++) {
                double lp;
                st = tsf_state_update_x(s.p[p], v, x, k, &lp);
                s.logw[p] += lp;
                s.paths[p * h + i] = v;
            }
            if (st) break;
            double ess = normalise(&s);
            fc->ess[i] = ess;
            if (ess < 0.5 * (double)N && i + 1 < h) st = resample(&s, rng, i);
        } else {
            for (size_t p = 0; !st && p < N; p++) {
                double v = NAN;
                st = tsf_state_sample(s.p[p], x, k, gsl_rng_uniform_pos(rng), &v);
                s.paths[p * h + i] = v;
            }
        }
    }
    if (!st) {
        normalise(&s);
        for (size_t i = 0; i < h; i++) summarise(&s, i, col, fc);
    }
done:
    tsf_state_free(s0);
    gsl_rng_free(rng);
    free(given);
    free(col);
    smc_free(&s);
    return st;
}

/* Particle smoother for imputation: the particles run through the series,
 * drawing the missing values ancestrally and weighted by the log density
 * of the observed ones (resampled below ESS N/2); the paths that survive
 * to the end, weighted, are draws of the missing values given all the
 * observed ones (Kitagawa 1996; Doucet, Godsill & Andrieu 2000, the
 * filter-smoother).  mean/se: weighted moments per missing t (the observed
 * value and 0 elsewhere); with K > 0, K paths drawn by their weights into
 * draws (K x n). */
tsf_status tsf_smc_smooth(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                          size_t np, uint64_t seed, double *mean, double *se, size_t K,
                          double *draws)
{
    smc s = {0};
    size_t N = np ? np : SMC_DEFAULT_PARTICLES, k = xreg && xreg->k ? xreg->k : 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    tsf_state *s0 = NULL;
    s.np = N;
    s.h = n;
    s.p = calloc(N, sizeof *s.p);
    s.paths = malloc(N * (n ? n : 1) * sizeof *s.paths);
    s.logw = calloc(N, sizeof *s.logw);
    s.w = malloc(N * sizeof *s.w);
    s.anc = malloc(N * sizeof *s.anc);
    s.x = malloc((k ? k : 1) * sizeof *s.x);
    tsf_status st = TSF_OK;
    if (!rng || !s.p || !s.paths || !s.logw || !s.w || !s.anc || !s.x) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu particles", N);
        goto done;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    if ((st = tsf_state_new(m, &s0))) goto done;
    for (size_t p = 0; !st && p < N; p++) st = tsf_state_clone(s0, &s.p[p]);
    for (size_t t = 0; !st && t < n; t++) {
        const double *x = xrow(xreg, t, s.x);
        if (isnan(y[t])) {
            for (size_t p = 0; !st && p < N; p++) {
                double v = NAN;
                st = tsf_state_sample(s.p[p], x, k, gsl_rng_uniform_pos(rng), &v);
                s.paths[p * n + t] = v;
            }
        } else {
            for (size_t p = 0; !st && p < N; p++) {
                double lp;
                st = tsf_state_update_x(s.p[p], y[t], x, k, &lp);
                s.logw[p] += lp;
                s.paths[p * n + t] = y[t];
            }
            if (!st && normalise(&s) < 0.5 * (double)N && t + 1 < n) st = resample(&s, rng, t);
        }
    }
    if (st) goto done;
    normalise(&s);
    for (size_t t = 0; t < n; t++) {
        if (!isnan(y[t])) {
            mean[t] = y[t];
            se[t] = 0.0;
            continue;
        }
        double mu = 0.0, v = 0.0;
        for (size_t p = 0; p < N; p++) mu += s.w[p] * s.paths[p * n + t];
        for (size_t p = 0; p < N; p++) {
            double d = s.paths[p * n + t] - mu;
            v += s.w[p] * d * d;
        }
        mean[t] = mu;
        se[t] = sqrt(v);
    }
    for (size_t j = 0; j < K; j++) {
        /* a path by its weight */
        double u = gsl_rng_uniform(rng), c = 0.0;
        size_t p = 0;
        while (p + 1 < N && (c += s.w[p]) < u) p++;
        memcpy(draws + j * n, s.paths + p * n, n * sizeof *draws);
    }
done:
    tsf_state_free(s0);
    gsl_rng_free(rng);
    smc_free(&s);
    return st;
}
