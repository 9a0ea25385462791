/** @file
 * Statistical helpers for classical models. */
#ifndef TSF_STATS_H
#define TSF_STATS_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Ljung-Box portmanteau test (Ljung & Box 1978) of x[0..n), NaN skipped
 * in the autocorrelations (as R's acf(na.action = na.pass)):
 * Q = n (n+2) sum_{k=1}^{lag} r_k^2 / (n-k), df = lag - fitdf,
 * p = P(chi2_df > Q).
 * @return ::TSF_OK with *q and *pvalue set; ::TSF_EINVAL when lag <= fitdf,
 * lag >= n or a pointer is NULL.
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_ljung_box(const double *x, size_t n, size_t lag, size_t fitdf, double *q,
                                 double *pvalue);

#ifdef __cplusplus
}
#endif
#endif
