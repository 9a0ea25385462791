/* Root moduli of lag polynomials (see roots.h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include "roots.h"

double tsf_poly_min_root(const double *c, size_t k)
{
    while (k > 0 && !(fabs(c[k - 1]) > 1e-8)) k--;
    if (k == 0) return 2.0;
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
    if (!(maxmod > 0.0)) return 2.0;
    return fmin(2.0, 1.0 / maxmod);
}
