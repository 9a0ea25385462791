/* Fitting the Theta method (theta.h, steps 1-4), from Hyndman & Billah
 * (2003) and the procedure of forecast::thetaf, and the dynamic optimised
 * Theta model of Fiorucci et al. (2016). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include "stats/acf.h"
#include "stats/theta.h"

/* forecast::ets's bounds for alpha (Hyndman et al. 2008, "usual" region). */
#define ALPHA_LO 1e-4
#define ALPHA_HI 0.9999
#define GRID 64

/* Step 1: the 90% test of thetaf (Assimakopoulos & Nikolopoulos 2000):
 * r_m compared with 1.645 times its standard error under the null of no
 * autocorrelation beyond lag m - 1 (Bartlett's formula). */
static tsf_status seasonality_test(const double *y, size_t n, int m, int *seasonal)
{
    *seasonal = 0;
    if (m <= 1 || n <= 2 * (size_t)m) return TSF_OK;
    int constant = 1;
    for (size_t t = 1; t < n && constant; t++) constant = y[t] == y[0];
    if (constant) return TSF_OK;
    double *g = malloc(((size_t)m + 1) * sizeof *g), mean;
    if (!g) return tsf_set_error(TSF_ENOMEM, "theta: out of memory");
    tsf_status st = tsf_acvf(y, n, (size_t)m, 1, &mean, g, NULL);
    if (st) {
        free(g);
        return st;
    }
    double s = 0.0;
    for (int k = 1; k < m; k++) s += (g[k] / g[0]) * (g[k] / g[0]);
    double stat = sqrt((1.0 + 2.0 * s) / (double)n);
    *seasonal = fabs(g[m] / g[0]) / stat > tsf_qnorm(0.95);
    free(g);
    return TSF_OK;
}

/* Step 2: classical multiplicative decomposition (Kendall & Stuart; R's
 * decompose): a centred moving average of order m (2 x m for even m) as
 * the trend, the mean ratio y / trend per position in the cycle (counted
 * from the first observation), normalised to mean 1. */
static tsf_status decompose(const double *y, size_t n, int m, double *season)
{
    size_t half = (size_t)m / 2;
    double *sum = calloc((size_t)m, sizeof *sum);
    size_t *cnt = calloc((size_t)m, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        return tsf_set_error(TSF_ENOMEM, "theta: out of memory");
    }
    for (size_t t = half; t + half < n; t++) {
        double tr = 0.0;
        if (m % 2 == 0) {
            tr = 0.5 * (y[t - half] + y[t + half]);
            for (size_t j = t - half + 1; j < t + half; j++) tr += y[j];
        } else {
            for (size_t j = t - half; j <= t + half; j++) tr += y[j];
        }
        tr /= (double)m;
        sum[t % (size_t)m] += y[t] / tr;
        cnt[t % (size_t)m]++;
    }
    double mean = 0.0;
    for (int i = 0; i < m; i++) {
        season[i] = sum[i] / (double)cnt[i];
        mean += season[i] / (double)m;
    }
    for (int i = 0; i < m; i++) season[i] /= mean;
    free(sum);
    free(cnt);
    return TSF_OK;
}

/* Step 3 for one alpha: the one-step SES prediction of x_t is
 * d_t l0 + g_t with d_t = (1-alpha)^t, g_t the SES of x started at 0, so
 * the l0 minimising the squared errors is least squares on d (profile). */
typedef struct {
    const double *x;
    size_t n;
} ses_data;

static double ses_sse(double alpha, const ses_data *D, double *l0_out)
{
    double sud = 0, sdd = 0, suu = 0, g = 0, d = 1;
    for (size_t t = 0; t < D->n; t++) {
        double u = D->x[t] - g;
        sud += u * d;
        sdd += d * d;
        suu += u * u;
        g = (1 - alpha) * g + alpha * D->x[t];
        d *= 1 - alpha;
    }
    double l0 = sud / sdd;
    if (l0_out) *l0_out = l0;
    return fmax(suu - l0 * sud, 0.0);
}

static double ses_objective(double alpha, void *p) { return ses_sse(alpha, p, NULL); }

/* The DOTM for one alpha: the one-step mean of x_t is
 * (1-alpha)^t l0 + g_t + w D_t with g_t the SES of x started at 0 and D_t
 * the bracket of theta.h, which depends on the data only; so (l0, w) is a
 * least-squares problem with w = 1 - 1/theta in [0, 1) (theta >= 1). */
#define DOTM_ALPHA_LO 0.1
#define DOTM_ALPHA_HI 0.99
#define DOTM_WMAX (1.0 - 1e-10)

static double dotm_sse(double alpha, const ses_data *X, double *l0_out, double *w_out)
{
    double sdd = 0, sdD = 0, sDD = 0, sdr = 0, sDr = 0, srr = 0, g = 0;
    tsf_theta th = {0};
    th.coef[0] = alpha;
    tsf_theta_filter f = {.th = &th, .q = 1.0};
    for (size_t t = 0; t < X->n; t++) {
        double d = f.q, D = tsf_theta_dotm_bracket(alpha, f.q, f.A, f.B, 0.0), r = X->x[t] - g;
        sdd += d * d;
        sdD += d * D;
        sDD += D * D;
        sdr += d * r;
        sDr += D * r;
        srr += r * r;
        g = (1 - alpha) * g + alpha * X->x[t];
        tsf_theta_dotm_ols(&f, X->x[t]);
        f.q *= 1 - alpha;
        f.t++;
    }
    double det = sdd * sDD - sdD * sdD, l0, w;
    if (det > 1e-12 * sdd * sDD) {
        w = (sdd * sDr - sdD * sdr) / det;
    } else {
        w = 0.5; /* no trend information: the standard theta = 2 */
    }
    w = fmin(fmax(w, 0.0), DOTM_WMAX);
    l0 = (sdr - w * sdD) / sdd;
    if (l0_out) *l0_out = l0;
    if (w_out) *w_out = w;
    double sse = srr - 2 * l0 * sdr - 2 * w * sDr + l0 * l0 * sdd + 2 * l0 * w * sdD +
                 w * w * sDD;
    return fmax(sse, 0.0);
}

static double dotm_objective(double alpha, void *p) { return dotm_sse(alpha, p, NULL, NULL); }

/* alpha in [lo, hi] by a grid refined with Brent's method (GSL) in the
 * bracket around the best grid point: the profiles are smooth but may
 * have several minima, which a local search from one start can miss. */
static double best_alpha(double (*obj)(double, void *), const ses_data *D, double lo, double hi)
{
    double grid[GRID], f[GRID];
    size_t best = 0;
    for (size_t i = 0; i < GRID; i++) {
        grid[i] = lo + (hi - lo) * (double)i / (GRID - 1);
        f[i] = obj(grid[i], (void *)D);
        if (f[i] < f[best]) best = i;
    }
    if (best == 0 || best == GRID - 1) return grid[best];
    if (!(f[best] < f[best - 1] && f[best] < f[best + 1])) return grid[best];
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) return grid[best];
    gsl_function F = {obj, (void *)D};
    double a = grid[best];
    if (gsl_min_fminimizer_set_with_values(s, &F, grid[best], f[best], grid[best - 1],
                                           f[best - 1], grid[best + 1], f[best + 1]) == GSL_SUCCESS)
        for (int it = 0; it < 100; it++) {
            if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS) break;
            a = gsl_min_fminimizer_x_minimum(s);
            if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(s),
                                      gsl_min_fminimizer_x_upper(s), 1e-10, 0.0) == GSL_SUCCESS)
                break;
        }
    gsl_min_fminimizer_free(s);
    return a;
}

tsf_status tsf_theta_fit(tsf_theta *th, const double *y, size_t n, int period)
{
    for (size_t t = 0; t < n; t++)
        if (isnan(y[t]))
            return tsf_set_error(TSF_EINVAL, "theta: observation %zu is missing; the Theta "
                                 "method needs a complete series (impute it first: tsf impute)",
                                 t + 1);
    if (n < 4)
        return tsf_set_error(TSF_EINVAL, "theta: %zu observations are too few; it needs at "
                             "least 4", n);
    if (period > TSF_THETA_MAX_PERIOD) period = 1;
    int seasonal;
    tsf_status st = seasonality_test(y, n, period, &seasonal);
    if (st) return st;
    double *x = malloc(n * sizeof *x), *season = NULL;
    if (!x) return tsf_set_error(TSF_ENOMEM, "theta: out of memory");
    memcpy(x, y, n * sizeof *x);
    if (seasonal) {
        if (!(season = malloc((size_t)period * sizeof *season))) {
            free(x);
            return tsf_set_error(TSF_ENOMEM, "theta: out of memory");
        }
        if ((st = decompose(y, n, period, season))) {
            free(x);
            free(season);
            return st;
        }
        /* thetaf keeps the data unadjusted when an index is ~0 */
        for (int i = 0; i < period && seasonal; i++)
            if (!(fabs(season[i]) >= 1e-4)) seasonal = 0;
        if (!seasonal) {
            free(season);
            season = NULL;
        }
        for (size_t t = 0; seasonal && t < n; t++) x[t] = y[t] / season[t % (size_t)period];
    }
    ses_data D = {x, n};
    free(th->season);
    th->season = season;
    th->seasonal = seasonal;
    th->period = seasonal ? period : 1;
    if (th->optimized) {
        double w, l0, alpha = best_alpha(dotm_objective, &D, DOTM_ALPHA_LO, DOTM_ALPHA_HI);
        double sse = dotm_sse(alpha, &D, &l0, &w);
        free(x);
        th->coef[0] = alpha;
        th->coef[1] = l0;
        th->coef[2] = 1.0 / (1.0 - w);
        th->sigma2 = sse / (double)n; /* Gaussian maximum likelihood */
        if (!(th->sigma2 > 0.0) || !isfinite(th->sigma2) || !isfinite(l0))
            return tsf_set_error(TSF_EDEGENERATE, "theta(optimized): the series is fitted "
                                 "exactly (zero residual variance), so it has no likelihood");
        return TSF_OK;
    }
    double alpha = best_alpha(ses_objective, &D, ALPHA_LO, ALPHA_HI), l0;
    double sse = ses_sse(alpha, &D, &l0);
    /* Step 4: half the least-squares slope of x on 0..n-1. */
    double tbar = 0.5 * (double)(n - 1), xbar = 0, sxy = 0, sxx = 0;
    for (size_t t = 0; t < n; t++) xbar += x[t] / (double)n;
    for (size_t t = 0; t < n; t++) {
        sxy += ((double)t - tbar) * (x[t] - xbar);
        sxx += ((double)t - tbar) * ((double)t - tbar);
    }
    free(x);
    th->coef[0] = alpha;
    th->coef[1] = l0;
    th->coef[2] = 0.5 * sxy / sxx;
    /* ets's variance: SSE over n minus its parameter count (alpha, l0). */
    th->sigma2 = sse / (double)(n - 2);
    if (!(th->sigma2 > 0.0) || !isfinite(th->sigma2) || !isfinite(l0))
        return tsf_set_error(TSF_EDEGENERATE, "theta: the series is fitted exactly (zero "
                             "residual variance), so it has no likelihood");
    return TSF_OK;
}
