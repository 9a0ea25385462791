/* The "ar" family: AR(p) models fitted as R's stats::ar.
 *
 *   ar            order by AIC up to R's default max (yule-walker)
 *   ar(3)         fixed order 3          ar(max=10)   order by AIC up to 10
 *   ar(method=yule-walker|yw|burg|ols|mle)  with either of the above
 *
 * The fitted model is the stationary Gaussian AR(p) of x_t = y_t - mu with
 * the estimated coefficients and innovation variance var.pred; its exact
 * likelihood, forecasts and streaming updates go through the Kalman engine
 * (ar_predict.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/ar_model.h"
#include "stats/levinson.h"

static const char *const method_choices[] = {"yule-walker", "burg", "ols", "mle", "yw", NULL};

static void ar_free(void *impl)
{
    tsf_ar_impl *a = impl;
    if (!a) return;
    tsf_ar_est_clear(&a->est);
    free(a->namebuf);
    free(a->names);
    free(a);
}

static tsf_status ar_parse(const tsf_spec *s, void **impl)
{
    *impl = NULL;
    if (s->ngroups > 1)
        return tsf_spec_error(s, s->groups[1].pos, TSF_EPARSE, "ar() takes one argument list, "
                              "e.g. ar(3) or ar(max=10, method=burg)");
    if (s->period)
        return tsf_spec_error(s, s->period_pos, TSF_EPARSE, "ar() takes no period [s]; use "
                              "arima(p,d,q)(P,D,Q)[s] for a seasonal model");
    long order = -1, max = -1;
    int method = 0;
    tsf_status st;
    if (s->ngroups == 1) {
        const tsf_spec_group *g = &s->groups[0];
        for (size_t i = 0; i < g->nargs; i++)
            if (!g->args[i].key) {
                if ((st = tsf_spec_arg_int(s, &g->args[i], 0, TSF_AR_MAX_ORDER, &order))) return st;
                break; /* a second positional value is reported as unused */
            }
        if ((st = tsf_spec_get_int(s, 0, "max", 0, TSF_AR_MAX_ORDER, &max))) return st;
        if ((st = tsf_spec_get_choice(s, 0, "method", method_choices, &method))) return st;
        if ((st = tsf_spec_check_unused(s, "p (the order), max, method"))) return st;
        if (order >= 0 && max >= 0)
            return tsf_spec_error(s, tsf_spec_find(s, 0, "max")->pos, TSF_EPARSE,
                                  "give either the order p or max=K (order chosen by AIC), "
                                  "not both");
    }
    tsf_ar_impl *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory creating an ar model");
    a->method = method == 4 ? TSF_AR_YW : (tsf_ar_method)method;
    a->order = order;
    a->max = max;
    *impl = a;
    return TSF_OK;
}

/* Coefficient names ar1..arp and trace labels order_min..order_max. */
static tsf_status make_names(tsf_ar_impl *a)
{
    size_t p = a->est.order, nt = a->est.order_max - a->est.order_min + 1;
    free(a->namebuf);
    free(a->names);
    a->namebuf = calloc(p + nt, sizeof *a->namebuf);
    a->names = calloc(p + nt, sizeof *a->names);
    if (!a->namebuf || !a->names) return tsf_set_error(TSF_ENOMEM, "out of memory");
    for (size_t j = 0; j < p; j++) {
        snprintf(a->namebuf[j], TSF_AR_NAME_LEN, "ar%zu", j + 1);
        a->names[j] = a->namebuf[j];
    }
    for (size_t i = 0; i < nt; i++) {
        snprintf(a->namebuf[p + i], TSF_AR_NAME_LEN, "%zu", a->est.order_min + i);
        a->names[p + i] = a->namebuf[p + i];
    }
    snprintf(a->model, sizeof a->model, "AR(%zu)", p);
    return TSF_OK;
}

/* Process mean, stationarity, exact likelihood and the criteria with
 * k = p + 2 parameters (coefficients, mean, variance). */
static tsf_status finish_fit(tsf_ar_impl *a, const double *y, size_t n)
{
    size_t p = a->est.order;
    double sum = 0.0;
    for (size_t j = 0; j < p; j++) sum += a->est.ar[j];
    double *work = malloc(2 * (p ? p : 1) * sizeof *work);
    if (!work) return tsf_set_error(TSF_ENOMEM, "out of memory");
    int stat = tsf_ar_to_pacf(a->est.ar, p, work, work + p);
    free(work);
    if (!stat)
        return tsf_set_error(TSF_EDEGENERATE, "ar(method=%s): the estimated AR(%zu) is not "
                             "stationary, so it has no exact likelihood; use method=burg or "
                             "yule-walker (always stationary)", tsf_ar_method_name(a->method), p);
    /* ar.ols regresses on an intercept after removing x.mean: the process
     * mean is x.mean + x.intercept / (1 - sum ar), which predict.ar uses. */
    a->mu = a->est.x_mean + a->est.x_intercept / (1.0 - sum);
    if (!(a->est.var_pred > 0.0) || !isfinite(a->est.var_pred) || !isfinite(a->mu))
        return tsf_set_error(TSF_EDEGENERATE, "ar: the fit has no positive finite innovation "
                             "variance (var_pred = %g)", a->est.var_pred);
    tsf_status st = tsf_ar_loglik(a, y, n, NULL, 0, &a->loglik);
    if (st) return st;
    a->nobs = a->est.n_obs;
    tsf_info_criteria(a->loglik, (double)p + 2.0, (double)a->nobs, &a->aic, &a->aicc, &a->bic);
    return make_names(a);
}

static tsf_status ar_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg, int period,
                         const tsf_fit_opts *opts)
{
    tsf_ar_impl *a = impl;
    a->period = period > 0 ? period : 1;
    a->fitted = 0;
    tsf_ar_est_clear(&a->est);
    if (xreg && xreg->k)
        return tsf_no_regressors("ar");
    if (opts && opts->include_mean < 0)
        return tsf_set_error(TSF_EUNSUP, "ar() always estimates the mean (R's demean = TRUE); "
                             "use arima(p,0,0) with --no-mean for a zero-mean model");
    size_t nobs = 0;
    for (size_t t = 0; t < n; t++) nobs += !isnan(y[t]);
    size_t K;
    int aic = a->order < 0;
    if (a->order >= 0) {
        K = (size_t)a->order;
    } else if (a->max >= 0) {
        K = (size_t)a->max;
    } else {
        /* R's default max, lowered to what the series can support. */
        K = tsf_ar_default_max(a->method, nobs);
        while (K > 0 && nobs < tsf_ar_min_obs(a->method, K)) K--;
    }
    if (nobs < tsf_ar_min_obs(a->method, K)) return tsf_ar_too_short(a->method, K, nobs);
    tsf_status st = tsf_ar_estimate(a->method, y, n, K, aic, &a->est);
    if (st) return st;
    if ((st = finish_fit(a, y, n))) {
        tsf_ar_est_clear(&a->est);
        return st;
    }
    a->fitted = 1;
    return TSF_OK;
}

static tsf_status ar_info(const void *impl, tsf_fit_info *info)
{
    const tsf_ar_impl *a = impl;
    if (!a->fitted) return tsf_set_error(TSF_EINVAL, "the ar model has not been fitted");
    size_t p = a->est.order;
    info->model = a->model;
    info->order[0] = (int)p;
    info->order[1] = info->order[2] = 0;
    info->seasonal[0] = info->seasonal[1] = info->seasonal[2] = 0;
    info->period = a->period > 0 ? a->period : 1;
    info->ncoef = p;
    info->coef_names = a->names;
    info->coef = a->est.ar;
    info->se = a->est.se;
    info->sigma2 = a->est.var_pred;
    info->mean = a->est.x_mean;
    info->loglik = a->loglik;
    info->aic = a->aic;
    info->aicc = a->aicc;
    info->bic = a->bic;
    info->nobs = a->nobs;
    info->converged = a->est.converged;
    info->ntrace = a->est.order_max - a->est.order_min + 1;
    info->trace_labels = a->names + p;
    info->trace_values = a->est.aic;
    return TSF_OK;
}

/* ---- persistence: tensors "ar", "se", "aic"; metadata as text ---- */

static tsf_status ar_save(const void *impl, tsf_st *doc)
{
    const tsf_ar_impl *a = impl;
    if (!a->fitted) return tsf_set_error(TSF_EINVAL, "the ar model has not been fitted");
    size_t p = a->est.order, nt = a->est.order_max - a->est.order_min + 1;
    char buf[40];
    tsf_status st;
    snprintf(buf, sizeof buf, "%zu", p);
    if ((st = tsf_st_add(doc, "ar", TSF_ST_F64, 1, &p, a->est.ar)) ||
        (st = tsf_st_add(doc, "se", TSF_ST_F64, 1, &p, a->est.se)) ||
        (st = tsf_st_add(doc, "aic", TSF_ST_F64, 1, &nt, a->est.aic)) ||
        (st = tsf_st_set_meta(doc, "order", buf)) ||
        (st = tsf_st_set_meta(doc, "method", tsf_ar_method_name(a->method))) ||
        (st = tsf_st_set_meta_num(doc, "mean", a->est.x_mean)) ||
        (st = tsf_st_set_meta_num(doc, "var_pred", a->est.var_pred)) ||
        (st = tsf_st_set_meta_num(doc, "x_intercept", a->est.x_intercept)) ||
        (st = tsf_st_set_meta_num(doc, "loglik", a->loglik)))
        return st;
    snprintf(buf, sizeof buf, "%zu", a->est.order_min);
    if ((st = tsf_st_set_meta(doc, "order_min", buf))) return st;
    snprintf(buf, sizeof buf, "%zu", a->est.order_max);
    if ((st = tsf_st_set_meta(doc, "order_max", buf))) return st;
    snprintf(buf, sizeof buf, "%zu", a->nobs);
    if ((st = tsf_st_set_meta(doc, "nobs", buf))) return st;
    snprintf(buf, sizeof buf, "%d", a->period);
    if ((st = tsf_st_set_meta(doc, "period", buf))) return st;
    snprintf(buf, sizeof buf, "%d", a->est.converged);
    return tsf_st_set_meta(doc, "converged", buf);
}


/* On entry *impl holds what ar_parse made of the stored spec (persist.c's
 * contract); it is replaced on success and left for the core to free on
 * failure. */
static tsf_status ar_load(const tsf_st *doc, void **impl)
{
    const tsf_ar_impl *parsed = *impl;
    double order, omin, omax, nobs, conv;
    tsf_status st;
    const char *meth = tsf_st_meta(doc, "method");
    int method = -1;
    for (int i = 0; meth && i < 4; i++)
        if (strcmp(meth, method_choices[i]) == 0) method = i;
    if (method < 0)
        return tsf_set_error(TSF_EPARSE, "ar model file: metadata 'method' is %s%s%s, expected "
                             "yule-walker, burg, ols or mle", meth ? "\"" : "",
                             meth ? meth : "missing", meth ? "\"" : "");
    if (parsed && (int)parsed->method != method)
        return tsf_set_error(TSF_EPARSE, "ar model file: metadata method=%s disagrees with the "
                             "stored spec", meth);
    if ((st = tsf_st_meta_num(doc, "ar", "order", 0, TSF_AR_MAX_ORDER, &order)) ||
        (st = tsf_st_meta_num(doc, "ar", "order_min", 0, order, &omin)) ||
        (st = tsf_st_meta_num(doc, "ar", "order_max", order, TSF_AR_MAX_ORDER, &omax)) ||
        (st = tsf_st_meta_num(doc, "ar", "nobs", 0, 1e15, &nobs)) ||
        (st = tsf_st_meta_num(doc, "ar", "converged", 0, 1, &conv)))
        return st;
    if (order != floor(order) || omin != floor(omin) || omax != floor(omax) ||
        nobs != floor(nobs))
        return tsf_set_error(TSF_EPARSE, "ar model file: order, order_min, order_max and nobs "
                             "must be whole numbers");
    tsf_ar_impl *a = calloc(1, sizeof *a);
    if (!a) return tsf_set_error(TSF_ENOMEM, "out of memory loading an ar model");
    a->method = (tsf_ar_method)method;
    double period = 1; /* files written before the period was stored have none */
    if (tsf_st_meta(doc, "period") &&
        ((st = tsf_st_meta_num(doc, "ar", "period", 1, 1000000, &period)) ||
         period != floor(period))) {
        free(a);
        return st ? st : tsf_set_error(TSF_EPARSE, "ar model file: period must be a whole number");
    }
    a->period = (int)period;
    a->order = parsed ? parsed->order : (long)order;
    a->max = parsed ? parsed->max : -1;
    size_t p = (size_t)order, lo = (size_t)omin, hi = (size_t)omax;
    const double *ar, *se, *aicv;
    tsf_ar_est *e = &a->est;
    e->method = a->method;
    if ((st = tsf_st_get_vec(doc, "ar", "ar", p, &ar)) || (st = tsf_st_get_vec(doc, "ar", "se", p, &se)) ||
        (st = tsf_st_get_vec(doc, "ar", "aic", hi - lo + 1, &aicv)) ||
        (st = tsf_st_meta_num(doc, "ar", "mean", -HUGE_VAL, HUGE_VAL, &e->x_mean)) ||
        (st = tsf_st_meta_num(doc, "ar", "var_pred", 0, HUGE_VAL, &e->var_pred)) ||
        (st = tsf_st_meta_num(doc, "ar", "x_intercept", -HUGE_VAL, HUGE_VAL, &e->x_intercept)) ||
        (st = tsf_st_meta_num(doc, "ar", "loglik", -HUGE_VAL, HUGE_VAL, &a->loglik)) ||
        (st = tsf_ar_est_alloc_aic(e, lo, hi)) || (st = tsf_ar_est_alloc_coef(e, p)))
        goto fail;
    for (size_t j = 0; j < p; j++)
        if (!isfinite(ar[j])) {
            st = tsf_set_error(TSF_EPARSE, "ar model file: coefficient ar%zu is not finite", j + 1);
            goto fail;
        }
    if (p) { /* an AR(0) file has empty tensors: no data pointer to copy from */
        memcpy(e->ar, ar, p * sizeof *ar);
        memcpy(e->se, se, p * sizeof *se);
    }
    memcpy(e->aic, aicv, (hi - lo + 1) * sizeof *aicv);
    e->n_used = e->n_obs = (size_t)nobs;
    e->converged = (int)conv;
    if (!(e->var_pred > 0.0)) {
        st = tsf_set_error(TSF_EPARSE, "ar model file: var_pred must be positive");
        goto fail;
    }
    double *work = malloc(2 * (p ? p : 1) * sizeof *work), sum = 0.0;
    int stat = work && tsf_ar_to_pacf(e->ar, p, work, work + p);
    free(work);
    if (!stat) {
        st = tsf_set_error(TSF_EPARSE, "ar model file: the AR coefficients are not stationary");
        goto fail;
    }
    for (size_t j = 0; j < p; j++) sum += e->ar[j];
    a->mu = e->x_mean + e->x_intercept / (1.0 - sum);
    a->nobs = e->n_obs;
    tsf_info_criteria(a->loglik, (double)p + 2.0, (double)a->nobs, &a->aic, &a->aicc, &a->bic);
    if ((st = make_names(a))) goto fail;
    a->fitted = 1;
    ar_free(*impl);
    *impl = a;
    return TSF_OK;
fail:
    ar_free(a);
    return st;
}

const tsf_model_type tsf_ar_type = {
    .name = "ar",
    .neural = 0,
    .reads = TSF_READS_MEAN,
    .parse = ar_parse,
    .fit = ar_fit,
    .fit_many = NULL,
    .info = ar_info,
    .loglik = tsf_ar_loglik,
    .forecast = tsf_ar_forecast,
    .simulate = tsf_ar_simulate,
    .residuals = tsf_ar_residuals,
    .state_new = tsf_ar_state_new,
    .state_update = tsf_ar_state_update,
    .state_forecast = tsf_ar_state_forecast,
    .state_free = tsf_ar_state_free,
    .state_save = tsf_ar_state_save,
    .state_load = tsf_ar_state_load,
    .save = ar_save,
    .load = ar_load,
    .free = ar_free,
    .state_clone = tsf_ar_state_clone,
    .smooth = tsf_ar_smooth,
    .smooth_draws = tsf_ar_smooth_draws,
};
