/* STL: seasonal-trend decomposition by loess (Cleveland, Cleveland,
 * McRae & Terpenning 1990, J. Official Statistics 6(1), 3-73), the
 * non-robust version (inner loop only, no robustness weights).
 *
 *   y_t = S_t + T_t + R_t
 *
 * Used by the seasonal-strength heuristic that picks the seasonal
 * difference order D of auto-ARIMA (Wang, Smith & Hyndman 2006). */
#ifndef TSF_STATS_STL_H
#define TSF_STATS_STL_H

#include <stddef.h>
#include "tsf/error.h"

typedef struct {
    int period;                 /* n_p >= 2 */
    int s_window, s_degree;     /* n_s (odd >= 3), seasonal loess degree 0|1 */
    int t_window, t_degree;     /* n_t (odd >= 3), trend loess degree */
    int l_window, l_degree;     /* n_l (odd >= 3), low-pass loess degree */
    int s_jump, t_jump, l_jump; /* loess evaluated every jump points, linear in between */
    int inner;                  /* n_(i), passes of the inner loop */
} tsf_stl_opts;

/* The defaults of the paper's section 3 (and of R's stl(), robust=FALSE)
 * for a given period and seasonal window:
 *   n_t = next odd >= 1.5 n_p / (1 - 1.5 / n_s)   (eq. in sec. 3.4),
 *   n_l = next odd >= n_p, degrees (s,t,l) = (0,1,1), jumps = ceil(w/10),
 *   inner = 2. */
void tsf_stl_opts_default(tsf_stl_opts *o, int period, int s_window);

/* Decomposes y[0..n) (no missing values, n > 2*period) into seasonal[n]
 * and trend[n]; the remainder is y - seasonal - trend. */
tsf_status tsf_stl(const double *y, size_t n, const tsf_stl_opts *o, double *seasonal,
                   double *trend);

#endif
