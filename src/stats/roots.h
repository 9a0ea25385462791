/* Root moduli of lag polynomials, for the stationarity/invertibility
 * margin that auto-ARIMA demands of its candidates. */
#ifndef TSF_STATS_ROOTS_H
#define TSF_STATS_ROOTS_H

#include <stddef.h>

/* Smallest modulus of the roots of 1 + c_1 z + ... + c_k z^k after
 * dropping trailing |c_j| <= 1e-8, capped at 2 (2 when nothing is left,
 * as forecast's check); NaN when the eigenvalue solver fails or memory
 * runs out. */
double tsf_poly_min_root(const double *c, size_t k);

#endif
