/* KPSS test, ndiffs and the STL seasonal-strength nsdiffs (see unitroot.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "stl.h"
#include "unitroot.h"

/* forecast's nsdiffs(test = "seas") threshold on the seasonal strength. */
#define SEAS_THRESHOLD 0.64
/* forecast's mstl() seasonal window for the (only) seasonal period. */
#define SEAS_S_WINDOW 11

size_t tsf_kpss_lag(size_t n)
{
    return (size_t)floor(3.0 * sqrt((double)n) / 13.0);
}

static int is_constant(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0]) return 0;
    return 1;
}

tsf_status tsf_kpss_stat(const double *x, size_t n, size_t lag, double *stat)
{
    if (!x || !stat) return tsf_set_error(TSF_EINVAL, "kpss: NULL argument");
    if (n < 2) return tsf_set_error(TSF_EINVAL, "kpss: needs at least 2 observations, got %zu", n);
    if (lag >= n)
        return tsf_set_error(TSF_EINVAL, "kpss: lag %zu must be below the length %zu", lag, n);
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return tsf_set_error(TSF_EINVAL, "kpss: value %zu is missing or not finite", i + 1);
        mean += x[i];
    }
    mean /= (double)n;
    double *e = malloc(n * sizeof *e);
    if (!e) return tsf_set_error(TSF_ENOMEM, "kpss: out of memory for %zu values", n);
    double s = 0.0, eta = 0.0, g0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        e[i] = x[i] - mean;
        s += e[i];          /* partial sum S_t, KPSS eq. 3 */
        eta += s * s;
        g0 += e[i] * e[i];
    }
    /* Long-run variance with Bartlett weights 1 - j/(l+1) (KPSS eq. 10;
     * Newey & West 1987). */
    double s2 = g0 / (double)n;
    for (size_t j = 1; j <= lag; j++) {
        double gj = 0.0;
        for (size_t t = j; t < n; t++) gj += e[t] * e[t - j];
        s2 += 2.0 * (1.0 - (double)j / (double)(lag + 1)) * gj / (double)n;
    }
    free(e);
    if (!(s2 > 0.0))
        return tsf_set_error(TSF_EDEGENERATE, "kpss: the long-run variance is not positive "
                                          "(constant or degenerate series)");
    *stat = eta / ((double)n * (double)n) / s2;
    return TSF_OK;
}

double tsf_kpss_pvalue(double stat)
{
    /* KPSS (1992) Table 1, eta_mu, upper tail. */
    static const double cv[4] = {0.347, 0.463, 0.574, 0.739};
    static const double pv[4] = {0.10, 0.05, 0.025, 0.01};
    if (!(stat > cv[0])) return pv[0];
    if (stat >= cv[3]) return pv[3];
    int i = 0;
    while (stat > cv[i + 1]) i++;
    return pv[i] + (pv[i + 1] - pv[i]) * (stat - cv[i]) / (cv[i + 1] - cv[i]);
}

/* 1 when KPSS rejects level stationarity at alpha; 0 otherwise; -1 when
 * the test cannot be computed (then the caller stops differencing). */
static int kpss_rejects(const double *x, size_t n, double alpha)
{
    double st;
    if (n < 2 || tsf_kpss_stat(x, n, tsf_kpss_lag(n), &st) != TSF_OK) return -1;
    return tsf_kpss_pvalue(st) < alpha;
}

tsf_status tsf_ndiffs(const double *x, size_t n, double alpha, int max_d, int *d)
{
    if (!x || !d) return tsf_set_error(TSF_EINVAL, "ndiffs: NULL argument");
    if (!(alpha >= 0.01 && alpha <= 0.10))
        return tsf_set_error(TSF_EINVAL, "ndiffs: alpha %g outside the KPSS table [0.01, 0.1]",
                             alpha);
    if (max_d < 0) return tsf_set_error(TSF_EINVAL, "ndiffs: max_d %d must be >= 0", max_d);
    *d = 0;
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w) return tsf_set_error(TSF_ENOMEM, "ndiffs: out of memory for %zu values", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) w[m++] = x[i];
    for (size_t i = 0; i < m; i++)
        if (!isfinite(w[i])) {
            free(w);
            return tsf_set_error(TSF_EINVAL, "ndiffs: the series has an infinite value");
        }
    if (m == 0 || is_constant(w, m)) {
        free(w);
        return TSF_OK;
    }
    int rej = kpss_rejects(w, m, alpha);
    while (rej == 1 && *d < max_d) {
        (*d)++;
        for (size_t i = 0; i + 1 < m; i++) w[i] = w[i + 1] - w[i];
        m--;
        if (is_constant(w, m)) break;
        rej = kpss_rejects(w, m, alpha);
        if (rej < 0) {
            (*d)--;  /* untestable after this difference: keep the last tested order */
            break;
        }
    }
    free(w);
    return TSF_OK;
}

/* Copies x without leading/trailing NaN and fills inner gaps linearly.
 * Returns the length (0 when everything is missing). */
static size_t fill_gaps(const double *x, size_t n, double *out)
{
    size_t a = 0, b = n;
    while (a < n && isnan(x[a])) a++;
    while (b > a && isnan(x[b - 1])) b--;
    size_t m = b - a, last = 0;
    for (size_t i = 0; i < m; i++) {
        out[i] = x[a + i];
        if (isnan(out[i])) continue;
        for (size_t j = last + 1; j < i; j++)
            out[j] = out[last] + (out[i] - out[last]) * (double)(j - last) / (double)(i - last);
        last = i;
    }
    return m;
}

static double variance(const double *x, size_t n)
{
    double m = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

/* Strength of z[0..m), complete series of length m > 2 period. */
static tsf_status strength_of(const double *z, size_t m, int period, double *strength)
{
    double *s = malloc(2 * m * sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "seasonal strength: out of memory");
    double *t = s + m;
    tsf_stl_opts o;
    tsf_stl_opts_default(&o, period, SEAS_S_WINDOW);
    tsf_status st = tsf_stl(z, m, &o, s, t);
    if (st == TSF_OK) {
        /* s <- S + R = y - T and t <- R = y - T - S */
        for (size_t i = 0; i < m; i++) {
            double detr = z[i] - t[i];
            t[i] = detr - s[i];
            s[i] = detr;
        }
        double vsr = variance(s, m), vr = variance(t, m);
        double f = vsr > 0.0 ? 1.0 - vr / vsr : 0.0;
        *strength = f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
    }
    free(s);
    return st;
}

tsf_status tsf_seasonal_strength(const double *x, size_t n, int period, double *strength)
{
    if (!x || !strength) return tsf_set_error(TSF_EINVAL, "seasonal strength: NULL argument");
    if (period < 2)
        return tsf_set_error(TSF_EINVAL, "seasonal strength: period %d must be >= 2", period);
    double *z = malloc((n ? n : 1) * sizeof *z);
    if (!z) return tsf_set_error(TSF_ENOMEM, "seasonal strength: out of memory");
    size_t m = fill_gaps(x, n, z);
    tsf_status st;
    if (m <= 2 * (size_t)period)
        st = tsf_set_error(TSF_EINVAL,
                           "seasonal strength: %zu observations are too few for period %d "
                           "(need more than two periods)", m, period);
    else
        st = strength_of(z, m, period, strength);
    free(z);
    return st;
}

tsf_status tsf_nsdiffs(const double *x, size_t n, int period, int max_D, int *D)
{
    if (!x || !D) return tsf_set_error(TSF_EINVAL, "nsdiffs: NULL argument");
    if (period < 2) return tsf_set_error(TSF_EINVAL, "nsdiffs: period %d must be >= 2", period);
    if (max_D < 0) return tsf_set_error(TSF_EINVAL, "nsdiffs: max_D %d must be >= 0", max_D);
    *D = 0;
    double *z = malloc((n ? n : 1) * sizeof *z);
    if (!z) return tsf_set_error(TSF_ENOMEM, "nsdiffs: out of memory");
    size_t m = fill_gaps(x, n, z), p = (size_t)period;
    tsf_status st = TSF_OK;
    for (size_t i = 0; i < m; i++)
        if (!isfinite(z[i])) {
            free(z);
            return tsf_set_error(TSF_EINVAL, "nsdiffs: the series has an infinite value");
        }
    while (*D < max_D && m > 2 * p && !is_constant(z, m)) {
        double f;
        st = strength_of(z, m, period, &f);
        if (st != TSF_OK || !(f > SEAS_THRESHOLD)) break;
        (*D)++;
        for (size_t i = 0; i + p < m; i++) z[i] = z[i + p] - z[i];
        m -= p;
    }
    free(z);
    return st;
}
