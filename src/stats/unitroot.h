/* Unit-root and seasonality decisions that choose the differencing orders
 * d and D of automatic ARIMA (Hyndman & Khandakar 2008, sec. 3.2):
 *
 * - d: repeated KPSS tests (Kwiatkowski, Phillips, Schmidt & Shin 1992)
 *   of level stationarity; difference while the test rejects at alpha.
 * - D: seasonal strength F_S = max(0, 1 - Var(R)/Var(S+R)) of an STL
 *   decomposition (Wang, Smith & Hyndman 2006); D = 1 when F_S > 0.64.
 *
 * Conventions are those of forecast 8.20's ndiffs()/nsdiffs() defaults so
 * that tsf picks the same d and D as R. */
#ifndef TSF_STATS_UNITROOT_H
#define TSF_STATS_UNITROOT_H

#include <stddef.h>
#include "tsf/error.h"

/* Bandwidth of the Newey-West long-run variance used by ndiffs():
 * trunc(3 sqrt(n) / 13) (Hobijn, Franses & Ooms 2004). */
size_t tsf_kpss_lag(size_t n);

/* KPSS level statistic  eta = n^-2 sum_t S_t^2 / s^2(l),  S_t the partial
 * sums of x - mean(x), s^2(l) the Bartlett-weighted long-run variance
 * with lag l (KPSS 1992, eqs. 3, 10).  x[0..n) finite, n >= 2, not
 * constant. */
tsf_status tsf_kpss_stat(const double *x, size_t n, size_t lag, double *stat);

/* p-value of a level KPSS statistic by linear interpolation in KPSS
 * (1992) Table 1 (10%, 5%, 2.5%, 1%: 0.347, 0.463, 0.574, 0.739),
 * clamped to [0.01, 0.10] outside the table. */
double tsf_kpss_pvalue(double stat);

/* Number of first differences (0..max_d) that make x[0..n) level-
 * stationary by KPSS at level alpha (forecast's ndiffs, test="kpss").
 * Missing values (NaN) are dropped first. */
tsf_status tsf_ndiffs(const double *x, size_t n, double alpha, int max_d, int *d);

/* Seasonal strength from STL with s_window = 11 (forecast's mstl default
 * for one seasonal period): max(0, min(1, 1 - Var(R)/Var(S + R))).
 * Missing values inside the series are filled by linear interpolation,
 * leading/trailing ones dropped.  Needs more than 2*period values. */
tsf_status tsf_seasonal_strength(const double *x, size_t n, int period, double *strength);

/* Seasonal differences (0..max_D): D = 1 while the seasonal strength
 * exceeds 0.64 (forecast's nsdiffs, test="seas").  Series too short for
 * STL (<= 2 periods) or constant get 0. */
tsf_status tsf_nsdiffs(const double *x, size_t n, int period, int max_D, int *D);

#endif
