/* ETS's parameter space (the admissible region of the smoothing
 * parameters) and the heuristic initial states the estimation starts from
 * (Hyndman, Koehler, Ord & Snyder 2008, ch. 2 and 10). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_poly.h>
#include "ets.h"

/* Schur-Cohn: 1 when every root of a[0] + a[1] z + .. + a[d] z^d lies
 * strictly inside the unit circle; 0 when not, -1 when a reflection
 * coefficient |a[0]/a[d]| falls within 1e-9 of 1 (undecided: rounding).
 * Seasonal models with small gamma have roots within 1e-4 of the circle,
 * hence the extended precision. */
static int schur_stable(const double *c, int d)
{
    long double a[TSF_ETS_MAXM + 4], b[TSF_ETS_MAXM + 4];
    for (int i = 0; i <= d; i++) a[i] = c[i];
    while (d > 0) {
        long double a0 = a[0], ad = a[d];
        if (!(fabsl(a0) < fabsl(ad))) return fabsl(a0) > (1.0L + 1e-9L) * fabsl(ad) ? 0 : -1;
        if (fabsl(a0) > (1.0L - 1e-9L) * fabsl(ad)) return -1;
        for (int i = 0; i < d; i++) b[i] = ad * a[i + 1] - a0 * a[d - 1 - i];
        memcpy(a, b, (size_t)d * sizeof *a);
        d--;
    }
    return 1;
}

/* Admissible region (HKOS ch. 10): the discount matrix D = F - g w' has
 * its eigenvalues inside the unit circle, apart from the unit eigenvalue
 * every seasonal model has (the level and the sum of the seasonal states
 * are not separately identified).  By the matrix determinant lemma
 *   det(I - D z) = det(I - F z) (1 + z w'(I - F z)^{-1} g),
 * which for additive trend and season with S(z) = 1 + z + .. + z^{m-1} is
 *   (1 - z) Q(z),  Q(z) = (1 - phi z)(1 - z^m) + z S(z)(alpha(1 - phi z) + phi beta z)
 *                        + phi beta z (1 - z^m) + gamma z^m (1 - phi z),
 * and (1 - phi z)(1 - z) + z(alpha(1 - phi z) + phi beta z) + phi beta z(1 - z)
 * without season.  Eigenvalues inside <=> roots of Q outside <=> roots of
 * the reversed polynomial inside. */
int tsf_ets_admissible(const tsf_ets_form *f, double alpha, double beta, double gamma,
                      double phi)
{
    double q[TSF_ETS_MAXM + 4] = {0};
    int m = f->season != ETS_N ? f->m : 1, tr = f->trend != ETS_N, d;
    if (!tr) {
        beta = 0.0;
        phi = 0.0; /* no (1 - phi z) factor */
    }
    if (f->season == ETS_N) {
        /* (1 - z)(1 - phi z) + alpha z (1 - phi z) + phi beta z^2 + phi beta z (1 - z) */
        q[0] = 1.0;
        q[1] = -1.0 - phi + alpha + phi * beta;
        q[2] = phi - alpha * phi + phi * beta - phi * beta;
        d = 2;
        /* degree 2: the roots of the reversed polynomial z^2 + q1 z + q2
         * lie inside the unit circle iff |q2| < 1 and |q1| < 1 + q2 (Jury);
         * decided here unless within rounding of the boundary */
        double c = fmin(fmin(1.0 + q[1] + q[2], 1.0 - q[1] + q[2]), 1.0 - fabs(q[2]));
        if (fabs(c) > 1e-9) return c > 0.0;
    } else {
        /* (1 - phi z)(1 - z^m) */
        q[0] += 1.0;
        q[1] -= phi;
        q[m] -= 1.0;
        q[m + 1] += phi;
        /* z S(z) (alpha + (phi beta - alpha phi) z) */
        for (int i = 0; i < m; i++) {
            q[i + 1] += alpha;
            q[i + 2] += phi * beta - alpha * phi;
        }
        /* phi beta z (1 - z^m) */
        q[1] += phi * beta;
        q[m + 1] -= phi * beta;
        /* gamma z^m (1 - phi z) */
        q[m] += gamma;
        q[m + 1] -= gamma * phi;
        d = m + 1;
    }
    double rev[TSF_ETS_MAXM + 4];
    for (int i = 0; i <= d; i++) rev[i] = q[d - i];
    int sc = schur_stable(rev, d);
    if (sc >= 0) return sc;
    /* Schur-Cohn loses accuracy with roots near the circle: decide those
     * from the roots themselves, allowing moduli up to 1 + 1e-10 (R's
     * tolerance).  Q(0) = 1, so z = 0 is never a root. */
    while (d > 0 && q[d] == 0.0) d--;
    if (d == 0) return 1;
    double zr[2 * (TSF_ETS_MAXM + 4)];
    gsl_poly_complex_workspace *w = gsl_poly_complex_workspace_alloc((size_t)d + 1);
    int ok = w && gsl_poly_complex_solve(q, (size_t)d + 1, w, zr) == GSL_SUCCESS;
    gsl_poly_complex_workspace_free(w);
    for (int i = 0; ok && i < d; i++)
        ok = hypot(zr[2 * i], zr[2 * i + 1]) * (1.0 + 1e-10) >= 1.0;
    return ok;
}

/* Least squares of y on the columns of X (n x k) into c; 0 on success. */
static int ols(const double *X, const double *y, size_t n, size_t k, double *c)
{
    gsl_matrix_const_view xv = gsl_matrix_const_view_array(X, n, k);
    gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
    gsl_vector *cv = gsl_vector_alloc(k);
    gsl_matrix *cov = gsl_matrix_alloc(k, k);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, k);
    double chi2;
    int r = !cv || !cov || !w ||
            gsl_multifit_linear(&xv.matrix, &yv.vector, cv, cov, &chi2, w) != GSL_SUCCESS;
    for (size_t i = 0; !r && i < k; i++) c[i] = gsl_vector_get(cv, i);
    gsl_vector_free(cv);
    gsl_matrix_free(cov);
    gsl_multifit_linear_free(w);
    return r ? -1 : 0;
}

/* Seasonal pattern of the first periods (HKOS sec. 2.6.1): with three
 * full periods, a classical decomposition (centred 2 x m moving average,
 * seasonal means of the detrended values, normalised); with fewer, the
 * values less a fitted line and first Fourier pair's trend.  seas[t] for
 * t = 0..m-1 (the first period). */
static int initial_season(int season, int m, const double *y, size_t n, double *seas)
{
    if (n >= (size_t)(3 * m)) {
        double sum[TSF_ETS_MAXM] = {0};
        int cnt[TSF_ETS_MAXM] = {0};
        int h = m / 2;
        for (int t = h; t + h < 3 * m; t++) {
            double f = 0.0;
            if (m % 2 == 0) {
                f = 0.5 * (y[t - h] + y[t + h]);
                for (int i = t - h + 1; i < t + h; i++) f += y[i];
            } else {
                for (int i = t - h; i <= t + h; i++) f += y[i];
            }
            f /= m;
            sum[t % m] += season == ETS_A ? y[t] - f : y[t] / f;
            cnt[t % m]++;
        }
        double mean = 0.0;
        for (int i = 0; i < m; i++) {
            seas[i] = sum[i] / cnt[i];
            mean += seas[i] / m;
        }
        for (int i = 0; i < m; i++) seas[i] = season == ETS_A ? seas[i] - mean : seas[i] / mean;
        return 0;
    }
    /* y_t on 1, t, cos(2 pi t/m) and (m > 2) sin(2 pi t/m) */
    size_t k = m > 2 ? 4 : 3;
    if (n < k + 1) return -1;
    double *X = malloc(n * k * sizeof *X), c[4];
    if (!X) return -1;
    for (size_t t = 0; t < n; t++) {
        double a = 2.0 * M_PI * (double)(t + 1) / m;
        X[t * k] = 1.0;
        X[t * k + 1] = (double)(t + 1);
        X[t * k + 2] = cos(a);
        if (k == 4) X[t * k + 3] = sin(a);
    }
    int r = ols(X, y, n, k, c);
    free(X);
    if (r) return -1;
    for (int t = 0; t < m; t++) {
        double tr = c[0] + c[1] * (t + 1);
        seas[t] = season == ETS_A ? y[t] - tr : y[t] / tr;
    }
    return 0;
}

/* Initial states into p->x0 (R's order), from the first periods of y
 * (missing values interpolated for this purpose only). */
int tsf_ets_initial_states(tsf_ets_par *p, const double *y, size_t n)
{
    const tsf_ets_form *f = &p->f;
    int m = f->m, k = 0;
    double seas[TSF_ETS_MAXM];
    double *z = malloc(n * sizeof *z);
    if (!z) return -1;
    /* linear interpolation of missing values, carried flat at the ends */
    size_t last = n;
    for (size_t t = 0; t < n; t++) {
        if (isnan(y[t])) continue;
        for (size_t u = (last == n ? 0 : last + 1); u < t; u++)
            z[u] = last == n ? y[t] : y[last] + (y[t] - y[last]) * (double)(u - last) / (double)(t - last);
        z[t] = y[t];
        last = t;
    }
    for (size_t u = last + 1; last < n && u < n; u++) z[u] = y[last];
    if (last == n) {
        free(z);
        return -1;
    }
    if (f->season != ETS_N) {
        if (initial_season(f->season, m, z, n, seas)) {
            free(z);
            return -1;
        }
        if (f->season == ETS_M)
            for (int i = 0; i < m; i++) seas[i] = fmax(seas[i], 1e-2);
        for (size_t t = 0; t < n; t++)
            z[t] = f->season == ETS_A ? z[t] - seas[t % m] : z[t] / seas[t % m];
    }
    size_t maxn = (size_t)(2 * m > 10 ? 2 * m : 10);
    if (maxn > n) maxn = n;
    if (f->trend == ETS_N) {
        double s = 0.0;
        for (size_t t = 0; t < maxn; t++) s += z[t];
        p->x0[k++] = s / (double)maxn;
    } else { /* regression on t = 1..maxn: level at t = 0 and slope */
        double st = 0.0, sy = 0.0, stt = 0.0, sty = 0.0, nn = (double)maxn;
        for (size_t t = 0; t < maxn; t++) {
            double u = (double)(t + 1);
            st += u;
            sy += z[t];
            stt += u * u;
            sty += u * z[t];
        }
        double den = nn * stt - st * st;
        double b = den > 0.0 ? (nn * sty - st * sy) / den : 0.0;
        p->x0[k++] = (sy - b * st) / nn;
        p->x0[k++] = b;
    }
    /* s0 is the state of the last time of the first period, s(m-1) of the first */
    if (f->season != ETS_N)
        for (int i = 0; i < m; i++) p->x0[k + i] = seas[m - 1 - i];
    free(z);
    return 0;
}
