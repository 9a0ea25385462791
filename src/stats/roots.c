/* Root moduli of lag polynomials (see roots.h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include "roots.h"

/* Smallest root modulus, uncapped: INFINITY when there is no root. */
static double min_root(const double *c, size_t k)
{
    while (k > 0 && !(fabs(c[k - 1]) > 1e-8)) k--;
    if (k == 0) return INFINITY;
    /* Roots z of 1 + c_1 z + ... + c_k z^k are 1/lambda for the eigenvalues
     * lambda of the companion matrix of lambda^k + c_1 lambda^(k-1) + ...
     * + c_k, which is already upper Hessenberg. */
    double *h = calloc(k * k + 2 * k, sizeof *h);
    if (!h) return NAN;
    double *wr = h + k * k, *wi = wr + k;
    for (size_t j = 0; j < k; j++) h[j * k] = -c[j];         /* first row (column-major) */
    for (size_t i = 1; i < k; i++) h[(i - 1) * k + i] = 1.0; /* subdiagonal */
    lapack_int info = LAPACKE_dhseqr(LAPACK_COL_MAJOR, 'E', 'N', (lapack_int)k, 1,
                                     (lapack_int)k, h, (lapack_int)k, wr, wi, NULL, 1);
    double maxmod = 0.0;
    for (size_t i = 0; i < k; i++) maxmod = fmax(maxmod, hypot(wr[i], wi[i]));
    free(h);
    if (info != 0) return NAN;
    if (!(maxmod > 0.0)) return INFINITY;
    return 1.0 / maxmod;
}

double tsf_poly_min_root(const double *c, size_t k)
{
    return fmin(2.0, min_root(c, k));
}

double tsf_sarma_min_root(const double *a, size_t p, const double *A, size_t P, size_t s,
                          double sign)
{
    double c[TSF_ROOTS_MAX_FACTOR];
    if (p > TSF_ROOTS_MAX_FACTOR || P > TSF_ROOTS_MAX_FACTOR) return NAN;
    for (size_t i = 0; i < p; i++) c[i] = sign * a[i];
    double r = min_root(c, p);
    for (size_t j = 0; j < P; j++) c[j] = sign * A[j];
    /* the roots of Phi(z^s) are the s-th roots of those of Phi */
    double rs = min_root(c, P);
    if (isfinite(rs)) rs = pow(rs, 1.0 / (double)(s ? s : 1));
    if (isnan(r) || isnan(rs)) return NAN;
    return fmin(2.0, fmin(r, rs));
}
