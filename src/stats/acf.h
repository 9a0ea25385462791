/* Sample autocovariances (Brockwell & Davis 1991, eq. 7.2.1). */
#ifndef TSF_STATS_ACF_H
#define TSF_STATS_ACF_H

#include <stddef.h>
#include "tsf/error.h"

/* gamma[0..maxlag] of y[0..n) after removing the mean of the observed
 * values (*mean receives it; pass demean = 0 to use mean 0).  Missing values
 * (NaN) are handled as R's acf(na.action = na.pass): the lag-k sum runs
 * over the pairs with both values observed and is divided by
 * (pairs + k), which is n when nothing is missing.  *nobs receives the
 * number of observed values (may be NULL).  TSF_EDOMAIN when fewer than
 * two values are observed or some lag has no observed pair. */
tsf_status tsf_acvf(const double *y, size_t n, size_t maxlag, int demean, double *mean,
                    double *gamma, size_t *nobs);

#endif
