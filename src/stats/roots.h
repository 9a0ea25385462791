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

#define TSF_ROOTS_MAX_FACTOR 64

/* The same for the product (1 + sign sum a_i z^i)(1 + sign sum A_j z^{sj})
 * from its factors: the roots of the seasonal factor are the s-th roots of
 * those of 1 + sign sum A_j y^j, so two small eigenvalue problems replace
 * one of order p + sP (sign -1 for AR polynomials, +1 for MA ones). */
double tsf_sarma_min_root(const double *a, size_t p, const double *A, size_t P, size_t s,
                          double sign);

#endif
