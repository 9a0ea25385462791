/* Durbin-Levinson recursion (Brockwell & Davis 1991, Prop. 5.2.1) and the
 * partial-autocorrelation parametrisation of stationary AR models. */
#ifndef TSF_STATS_LEVINSON_H
#define TSF_STATS_LEVINSON_H

#include <stddef.h>
#include "tsf/error.h"

/* From autocovariances gamma[0..K]: phi (K*K, row k-1 holds the order-k
 * coefficients phi_{k,1..k}, may be NULL), the partial autocorrelations
 * pacf[0..K) and the prediction variances v[0..K] (v[0] = gamma[0]).
 * TSF_EDOMAIN when gamma[0] <= 0 or the series is perfectly predictable
 * (v_k <= 0), which leaves the AR model undefined. */
tsf_status tsf_levinson(const double *gamma, size_t K, double *phi, double *pacf, double *v);

/* Step-up: the AR(p) coefficients phi[0..p) with partial autocorrelations
 * kappa[0..p) (|kappa| < 1 gives a stationary model).  table (p*p, may be
 * NULL) receives the coefficients of every order as in tsf_levinson. */
void tsf_pacf_to_ar(const double *kappa, size_t p, double *phi, double *table);

/* Step-down (inverse of the above): kappa[0..p) of phi[0..p).  Returns 0
 * when some |kappa_k| >= 1 (the model is not stationary). work: p values. */
int tsf_ar_to_pacf(const double *phi, size_t p, double *kappa, double *work);

#endif
