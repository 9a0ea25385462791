/* Stepwise search over ARIMA orders (Hyndman & Khandakar 2008, J. Stat.
 * Software 27(3), sec. 3.2, with the refinements of forecast 8.20):
 * independent of how a model is fitted, which comes in as a callback
 * returning the model's information criterion, so that the search can be
 * tested against a fake objective. */
#ifndef TSF_STATS_AUTO_SEARCH_H
#define TSF_STATS_AUTO_SEARCH_H

#include <stddef.h>
#include "tsf/error.h"

/* IC reported for a model whose fit failed or was rejected (R: Inf).
 * Finite so that it survives JSON; larger than any real criterion. */
#define TSF_AUTO_IC_FAIL 1e300

typedef struct {
    int p, d, q;
    int P, D, Q;
    int constant;  /* mean when d+D = 0, drift when d+D = 1 */
} tsf_auto_order;

/* Fits o and stores its criterion in *ic (smaller is better; INFINITY or
 * >= TSF_AUTO_IC_FAIL when the model failed or is rejected).  A status
 * other than TSF_OK aborts the search (use it for out-of-memory, not for
 * a model that does not fit). */
typedef tsf_status (*tsf_auto_fit_fn)(void *ctx, const tsf_auto_order *o, double *ic);

typedef struct {
    int period;                          /* m >= 1; no seasonal terms when 1 */
    int d, D;                            /* fixed differencing orders */
    int max_p, max_q, max_P, max_Q;
    int start_p, start_q, start_P, start_Q;
    int allow_constant;                  /* allowdrift (d+D=1) or allowmean (d+D=0) */
    size_t max_models;                   /* forecast's nmodels (94), stepwise only */
    int max_order;                       /* p+q+P+Q bound, exhaustive search only (5) */
} tsf_auto_search_opts;

/* The forecast 8.20 defaults: max (5,5,2,2), start (2,2,1,1), 94 models,
 * constant allowed; the caller sets period, d, D and clears
 * allow_constant when d + D > 1. */
void tsf_auto_search_defaults(tsf_auto_search_opts *o);

/* Every model tried, in order, with its criterion. */
typedef struct {
    size_t n, cap;
    tsf_auto_order *orders;
    double *ic;
    size_t best;  /* index of the best model (smallest ic, first on ties) */
} tsf_auto_trace;

/* Runs the stepwise search.  Starts from (start_p,d,start_q)
 * (start_P,D,start_Q), the null model, an AR(1)/SAR(1) and an
 * MA(1)/SMA(1) model (seasonal parts only when period > 1), the null
 * model without constant; then, from the current best, tries in this
 * order P-1, Q-1, P+1, Q+1, (P-1,Q-1), (P-1,Q+1), (P+1,Q-1), (P+1,Q+1),
 * p-1, q-1, p+1, q+1, (p-1,q-1), (p-1,q+1), (p+1,q-1), (p+1,q+1) and the
 * constant toggled, moving to the first improvement and starting over,
 * until no neighbour is new or better.  Models already tried are not
 * refitted.  The trace must be zeroed (or freed) before the call. */
tsf_status tsf_auto_stepwise(const tsf_auto_search_opts *o, tsf_auto_fit_fn fit, void *ctx,
                             tsf_auto_trace *trace);

/* Exhaustive search (forecast's stepwise = FALSE): every model with
 * p <= max_p, q <= max_q, P <= max_P, Q <= max_Q (seasonal only when
 * period > 1) and p + q + P + Q <= max_order, each with and without the
 * constant when allow_constant.  The best is the first with the smallest
 * criterion. */
tsf_status tsf_auto_exhaustive(const tsf_auto_search_opts *o, tsf_auto_fit_fn fit, void *ctx,
                               tsf_auto_trace *trace);

void tsf_auto_trace_free(tsf_auto_trace *t);

/* R's label: "ARIMA(2,1,1)(0,1,0)[12]", "ARIMA(1,1,1) with drift",
 * "ARIMA(2,0,2) with non-zero mean", "ARIMA(0,0,0) with zero mean". */
void tsf_auto_label(const tsf_auto_order *o, int period, char *buf, size_t n);

#endif
