/* STL decomposition (Cleveland et al. 1990), inner loop, no robustness.
 * Positions are 1-based abscissas x = 1..n as in the paper; arrays are
 * 0-based, so y at abscissa j is y[j-1]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "stl.h"

static int next_odd(int x)
{
    return x % 2 == 0 ? x + 1 : x;
}

void tsf_stl_opts_default(tsf_stl_opts *o, int period, int s_window)
{
    memset(o, 0, sizeof *o);
    o->period = period;
    o->s_window = next_odd(s_window);
    o->s_degree = 0;
    /* Sec. 3.4: n_t is the smallest odd integer >= 1.5 n_p / (1 - 1.5/n_s),
     * so that the trend and seasonal smoothers do not compete. */
    o->t_window = next_odd((int)ceil(1.5 * period / (1.0 - 1.5 / o->s_window)));
    o->t_degree = 1;
    o->l_window = next_odd(period);
    o->l_degree = 1;
    o->s_jump = (int)ceil(o->s_window / 10.0);
    o->t_jump = (int)ceil(o->t_window / 10.0);
    o->l_jump = (int)ceil(o->l_window / 10.0);
    o->inner = 2;
}

/* Loess estimate at abscissa xs from y at abscissas nleft..nright (the q
 * = len nearest neighbours), tricube weights (sec. 2.1).  When the window
 * q exceeds the number of points n, the neighbourhood distance grows by
 * (q - n)/2 so that a wide window smooths more, as the paper extends
 * lambda_q beyond n.  Degree 1 turns the weights into those of a local
 * linear fit.  w[] receives the weights (scratch, length n).  Returns 0
 * when every weight is zero. */
static int loess_est(const double *y, int n, int len, int degree, double xs, int nleft,
                     int nright, double *w, double *ys)
{
    double range = (double)n - 1.0;
    double h = fmax(xs - nleft, nright - xs);
    if (len > n) h += (double)((len - n) / 2);
    double h9 = 0.999 * h, h1 = 0.001 * h, a = 0.0;
    for (int j = nleft; j <= nright; j++) {
        double r = fabs(j - xs);
        w[j - 1] = 0.0;
        if (r <= h9) {
            if (r <= h1) {
                w[j - 1] = 1.0;
            } else {
                double u = r / h, t = 1.0 - u * u * u;
                w[j - 1] = t * t * t;
            }
            a += w[j - 1];
        }
    }
    if (a <= 0.0) return 0;
    for (int j = nleft; j <= nright; j++) w[j - 1] /= a;
    if (h > 0.0 && degree > 0) {
        double xbar = 0.0, c = 0.0;
        for (int j = nleft; j <= nright; j++) xbar += w[j - 1] * j;
        for (int j = nleft; j <= nright; j++) c += w[j - 1] * (j - xbar) * (j - xbar);
        /* Skip the linear correction when the abscissas are (numerically)
         * a single point: the local slope is then undetermined. */
        if (sqrt(c) > 0.001 * range) {
            double b = (xs - xbar) / c;
            for (int j = nleft; j <= nright; j++) w[j - 1] *= b * (j - xbar) + 1.0;
        }
    }
    double s = 0.0;
    for (int j = nleft; j <= nright; j++) s += w[j - 1] * y[j - 1];
    *ys = s;
    return 1;
}

/* Loess smooth of y[0..n) with window len, evaluated every jump points
 * and linearly interpolated in between (sec. 2.5, "computational
 * shortcut"). ys[n], w[n] scratch. */
static void loess_smooth(const double *y, int n, int len, int degree, int jump, double *ys,
                         double *w)
{
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    int nj = jump < n - 1 ? jump : n - 1;
    int nleft = 1, nright = n;
    if (len >= n) {
        for (int i = 1; i <= n; i += nj)
            if (!loess_est(y, n, len, degree, i, nleft, nright, w, &ys[i - 1])) ys[i - 1] = y[i - 1];
    } else if (nj == 1) {
        int nsh = (len + 1) / 2;
        nright = len;
        for (int i = 1; i <= n; i++) {
            /* slide the window of len neighbours once i passes its middle */
            if (i > nsh && nright != n) {
                nleft++;
                nright++;
            }
            if (!loess_est(y, n, len, degree, i, nleft, nright, w, &ys[i - 1])) ys[i - 1] = y[i - 1];
        }
    } else {
        int nsh = (len + 1) / 2;
        for (int i = 1; i <= n; i += nj) {
            if (i < nsh) {
                nleft = 1;
                nright = len;
            } else if (i >= n - nsh + 1) {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i - nsh + 1;
                nright = len + i - nsh;
            }
            if (!loess_est(y, n, len, degree, i, nleft, nright, w, &ys[i - 1])) ys[i - 1] = y[i - 1];
        }
    }
    if (nj == 1) return;
    for (int i = 1; i <= n - nj; i += nj) {
        double delta = (ys[i + nj - 1] - ys[i - 1]) / nj;
        for (int j = i + 1; j < i + nj; j++) ys[j - 1] = ys[i - 1] + delta * (j - i);
    }
    int k = ((n - 1) / nj) * nj + 1;
    if (k != n) {
        if (!loess_est(y, n, len, degree, n, nleft, nright, w, &ys[n - 1])) ys[n - 1] = y[n - 1];
        if (k != n - 1) {
            double delta = (ys[n - 1] - ys[k - 1]) / (n - k);
            for (int j = k + 1; j < n; j++) ys[j - 1] = ys[k - 1] + delta * (j - k);
        }
    }
}

/* Step 2: cycle-subseries smoothing.  Each subseries (every period-th
 * value) is smoothed and extended by one value at each end, so c holds
 * n + 2*period values (c[i + period] belongs to y[i]). sub, sm, w are
 * scratch of length >= n/period + 2. */
static void cycle_subseries(const double *y, int n, const tsf_stl_opts *o, double *c,
                            double *sub, double *sm, double *w)
{
    int np = o->period, ns = o->s_window;
    for (int j = 0; j < np; j++) {
        int k = (n - j - 1) / np + 1;
        for (int i = 0; i < k; i++) sub[i] = y[i * np + j];
        loess_smooth(sub, k, ns, o->s_degree, o->s_jump, sm + 1, w);
        int nright = ns < k ? ns : k;
        if (!loess_est(sub, k, ns, o->s_degree, 0.0, 1, nright, w, &sm[0])) sm[0] = sm[1];
        int nleft = k - ns + 1 > 1 ? k - ns + 1 : 1;
        if (!loess_est(sub, k, ns, o->s_degree, k + 1.0, nleft, k, w, &sm[k + 1]))
            sm[k + 1] = sm[k];
        for (int m = 0; m <= k + 1; m++) c[m * np + j] = sm[m];
    }
}

/* Moving average of length len: out[n - len + 1]. */
static void moving_average(const double *x, int n, int len, double *out)
{
    double s = 0.0;
    for (int i = 0; i < len; i++) s += x[i];
    out[0] = s / len;
    for (int i = 1; i <= n - len; i++) {
        s += x[i + len - 1] - x[i - 1];
        out[i] = s / len;
    }
}

tsf_status tsf_stl(const double *y, size_t n_, const tsf_stl_opts *o, double *seasonal,
                   double *trend)
{
    if (!y || !o || !seasonal || !trend)
        return tsf_set_error(TSF_EINVAL, "stl: NULL argument");
    if (o->period < 2)
        return tsf_set_error(TSF_EINVAL, "stl: period %d must be at least 2", o->period);
    if (n_ > (size_t)INT32_MAX / 4 || n_ <= 2 * (size_t)o->period)
        return tsf_set_error(TSF_EINVAL,
                             "stl: %zu observations are too few for period %d: "
                             "STL needs more than two full periods", n_, o->period);
    if (o->s_window < 3 || o->t_window < 3 || o->l_window < 3 || o->s_window % 2 == 0 ||
        o->t_window % 2 == 0 || o->l_window % 2 == 0 || o->s_jump < 1 || o->t_jump < 1 ||
        o->l_jump < 1 || o->inner < 1 || o->s_degree < 0 || o->s_degree > 1 ||
        o->t_degree < 0 || o->t_degree > 1 || o->l_degree < 0 || o->l_degree > 1)
        return tsf_set_error(TSF_EINVAL, "stl: windows must be odd and >= 3, jumps >= 1, "
                                         "degrees 0 or 1, inner >= 1");
    for (size_t i = 0; i < n_; i++)
        if (!isfinite(y[i]))
            return tsf_set_error(TSF_EINVAL, "stl: value %zu is missing or not finite; "
                                             "fill gaps before decomposing", i + 1);
    int n = (int)n_, np = o->period;
    size_t nc = n_ + 2 * (size_t)np;
    double *c = malloc(nc * sizeof *c);
    double *w1 = malloc(nc * sizeof *w1);
    double *w2 = malloc(nc * sizeof *w2);
    double *w3 = malloc(nc * sizeof *w3);
    double *w4 = malloc(nc * sizeof *w4);
    if (!c || !w1 || !w2 || !w3 || !w4) {
        free(c); free(w1); free(w2); free(w3); free(w4);
        return tsf_set_error(TSF_ENOMEM, "stl: out of memory for %zu observations", n_);
    }
    for (int i = 0; i < n; i++) trend[i] = 0.0;
    for (int pass = 0; pass < o->inner; pass++) {
        /* Step 1: detrend. */
        for (int i = 0; i < n; i++) w1[i] = y[i] - trend[i];
        /* Step 2: cycle-subseries smoothing -> c (n + 2 np). */
        cycle_subseries(w1, n, o, c, w2, w3, w4);
        /* Step 3: low-pass filter of c: MA(np), MA(np), MA(3), loess(n_l). */
        moving_average(c, n + 2 * np, np, w2);
        moving_average(w2, n + np + 1, np, w3);
        moving_average(w3, n + 2, 3, w2);
        loess_smooth(w2, n, o->l_window, o->l_degree, o->l_jump, w1, w4);
        /* Step 4: detrend the smoothed subseries; step 5: deseasonalise. */
        for (int i = 0; i < n; i++) {
            seasonal[i] = c[np + i] - w1[i];
            w2[i] = y[i] - seasonal[i];
        }
        /* Step 6: trend smoothing. */
        loess_smooth(w2, n, o->t_window, o->t_degree, o->t_jump, trend, w4);
    }
    free(c); free(w1); free(w2); free(w3); free(w4);
    return TSF_OK;
}
