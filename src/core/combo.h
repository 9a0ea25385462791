/* The "combo" family (src/core/combo*.c): an equally weighted combination
 * of models given by any specs (classical or neural).
 *
 *   combo(SPEC, SPEC, ..., combine=mean|median)
 *
 * Each member is fitted on its own.  With members k = 1..K:
 *   point forecast    mean (or median) of the members' point forecasts;
 *   distribution      the equal-weight mixture (1/K) sum_k F_k of the
 *                     members' predictive distributions at each step: F_k
 *                     is N(mean, se^2) for a Gaussian member, else the
 *                     piecewise-linear CDF through its quantiles at a grid
 *                     of levels; intervals are the mixture's quantiles
 *                     (root of the mixture CDF);
 *   likelihood        log p(y[s..n) | y[0..s)) = log (1/K) sum_k p_k(...),
 *                     the mixture of the members' joint predictive
 *                     densities (log-sum-exp), so that for one held-out
 *                     value it is the log of the mean of their densities;
 *   streaming         one-step densities sum_k w_k p_k(y_t | y_<t) with
 *                     w_k proportional to p_k(y_0..y_{t-1}) (the factors of
 *                     that joint mixture); forecasts stay equal-weight. */
#ifndef TSF_CORE_COMBO_H
#define TSF_CORE_COMBO_H

#include "internal.h"

#define TSF_COMBO_MAX 16

typedef struct {
    size_t k;
    tsf_model *m[TSF_COMBO_MAX];
    int median;          /* combine=median */
    int fitted;
    int period;
    double loglik, aic, aicc, bic;
    size_t nobs;
    char *model;         /* "Combo(mean: ARIMA(0,1,1), Theta)" */
    int global;          /* tsf_fit_global: the neural members are global, the
                          * others are fitted to each series when it is forecast */
    int ensemble;        /* the k members are one neural spec repeated (a seed
                          * ensemble, ensemble=K: src/core/ensemble.c) */
} tsf_combo;

extern const tsf_model_type tsf_combo_type;

/* A combination of k members of the one spec member (ensemble set),
 * unfitted, into *impl (freed by the combo type's free). */
tsf_status tsf_combo_repeat(const char *member, size_t k, void **impl);

/* The seed ensemble a neural spec asks for (src/core/ensemble.c): reads
 * the spec's ensemble=K (1..16; *k = 0 when absent), errors quoting the
 * spec. */
tsf_status tsf_ensemble_key(const tsf_spec *s, long *k);
/* Makes m, a neural model just parsed from spec with ensemble=K (k >= 2),
 * a combination of K members that are the spec with ensemble=1. */
tsf_status tsf_ensemble_make(tsf_model *m, const tsf_spec *spec, long k);
/* The number of networks a global fit of a neural spec without an
 * ensemble key trains (docs/neural.md, Global models). */
#define TSF_ENSEMBLE_GLOBAL 3
/* Before a global fit: a neural model whose spec gives no ensemble=K
 * becomes an ensemble of TSF_ENSEMBLE_GLOBAL networks, its spec text
 * rewritten with ensemble=3 (so its model file says what it is). */
tsf_status tsf_ensemble_global_default(tsf_model *m);

/* 1 when some member of the combo impl can be fitted globally. */
int tsf_combo_has_global(const void *impl);
/* What any member reads (tsf_model_reads). */
unsigned tsf_combo_reads(const void *impl);
/* The first network of m when m is a seed ensemble (gru(ensemble=K),
 * ensemble.c): its members share everything but their seeds, so it
 * answers for the ensemble what a network answers for itself (precision,
 * regressors, being neural).  NULL for any other model. */
const tsf_model *tsf_combo_ensemble_member(const tsf_model *m);

/* Combines K member forecasts made at the levels of tsf_combo_levels()
 * into fc (whose levels are the first fc->nlevels of those). */
tsf_status tsf_combo_combine(size_t k, int median, tsf_forecast_result *const *mem,
                             tsf_forecast_result *fc);

/* The levels members are asked for: the nlevels user levels first, then a
 * grid that describes non-Gaussian members' distributions.  *out is
 * malloc'd. */
tsf_status tsf_combo_levels(const double *levels, size_t nlevels, double **out, size_t *nout);

/* log((1/K) sum exp(v_k)) without overflow. */
double tsf_combo_logmeanexp(const double *v, size_t k);

#endif
