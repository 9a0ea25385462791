/* Streaming state of a fitted ARIMA: the Kalman filter advanced one
 * observation at a time, O(state dimension^2) per observation until the
 * covariance converges and O(state dimension) afterwards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats/arima_impl.h"
#include "core/safetensors.h"

typedef struct {
    tsf_arima_kf *kf;
    double sigma2;
    double beta[3];   /* intercept, drift, trend (0 when absent) */
    const double *buser; /* user regressors' coefficients (the model's) */
    size_t kuser;
    double *bcopy;    /* owned copy of buser */
    size_t t;         /* observations fed so far */
} arima_state;

void tsf_arima_state_free(void *st);

/* regression part at row t (0-based) */
static double reg_at(const arima_state *s, size_t t)
{
    return s->beta[0] + (s->beta[1] + s->beta[2]) * (double)(t + 1);
}

tsf_status tsf_arima_state_new(const void *impl, void **out)
{
    const tsf_arima *a = impl;
    *out = NULL;
    if (!a->fitted) return tsf_set_error(TSF_EINVAL, "the ARIMA model is not fitted");
    arima_state *s = calloc(1, sizeof *s);
    if (!s) return tsf_set_error(TSF_ENOMEM, "out of memory");
    tsf_arima_ss m;
    tsf_arima_ssview(a, &m);
    tsf_status st = tsf_arima_kf_new(m.p, m.q, m.nd, &s->kf);
    if (!st) st = tsf_arima_kf_set(s->kf, &m);
    if (st) {
        tsf_arima_kf_free(s->kf);
        free(s);
        return st;
    }
    s->sigma2 = a->sigma2;
    size_t j = a->narma;
    if (a->regflags & TSF_REG_MEAN) s->beta[0] = a->coef[j++];
    if (a->regflags & TSF_REG_DRIFT) s->beta[1] = a->coef[j++];
    if (a->regflags & TSF_REG_TREND) s->beta[2] = a->coef[j++];
    s->kuser = a->kuser;
    if (a->kuser) {
        if (!(s->bcopy = malloc(a->kuser * sizeof *s->bcopy))) {
            tsf_arima_state_free(s);
            return tsf_set_error(TSF_ENOMEM, "out of memory");
        }
        memcpy(s->bcopy, a->coef + j, a->kuser * sizeof *s->bcopy);
    }
    s->buser = s->bcopy;
    *out = s;
    return TSF_OK;
}

static tsf_status check_k(const arima_state *s, size_t k, int have)
{
    if (k != s->kuser || (s->kuser && !have))
        return tsf_set_error(TSF_EINVAL, "the model has %zu regressor%s, %zu %s given%s",
                             s->kuser, s->kuser == 1 ? "" : "s", have ? k : 0,
                             (have ? k : 0) == 1 ? "was" : "were",
                             s->kuser ? ": pass each observation's values (tsf_state_update_x, "
                                        "tsf_state_forecast_x)" : "");
    return TSF_OK;
}

tsf_status tsf_arima_state_update(void *st, double y, const double *xr, size_t k, double *logp)
{
    arima_state *s = st;
    tsf_status r = check_k(s, k, xr != NULL);
    if (r) return r;
    if (isinf(y)) return tsf_set_error(TSF_EINVAL, "observation %zu is infinite", s->t + 1);
    double xb = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(xr[j]))
            return tsf_set_error(TSF_EINVAL, "regressor %zu of observation %zu is not finite",
                                 j + 1, s->t + 1);
        xb += s->buser[j] * xr[j];
    }
    double x = y - reg_at(s, s->t) - xb, pred, F;
    int c = tsf_arima_kf_step(s->kf, x, &pred, &F);
    double lp = 0.0;
    if (c) {
        double v = x - pred, f = s->sigma2 * F;
        lp = tsf_gauss_logpdf(v, f);
    }
    if (logp) *logp = lp;
    s->t++;
    return TSF_OK;
}

tsf_status tsf_arima_state_forecast(void *st, size_t h, const double *levels,
                                    size_t nlevels, const tsf_forecast_opts *opts,
                                    tsf_forecast_result *fc)
{
    arima_state *s = st;
    (void)levels; /* fc->levels: the intervals come from tsf_forecast_normal */
    (void)nlevels;
    const tsf_xreg *xf = opts && opts->xreg_future && opts->xreg_future->k ? opts->xreg_future
                                                                           : NULL;
    if (xf && (!xf->x || xf->ld < h))
        return tsf_set_error(TSF_EINVAL, "the future regressors have %zu rows, %zu needed",
                             xf->x ? xf->ld : 0, h);
    tsf_status r = check_k(s, xf ? xf->k : 0, xf != NULL);
    if (r) return r;
    for (size_t j = 0; xf && j < xf->k; j++)
        for (size_t i = 0; i < h; i++)
            if (!isfinite(xf->x[j * xf->ld + i]))
                return tsf_set_error(TSF_EINVAL, "future regressor %zu at step %zu is not "
                                     "finite", j + 1, i + 1);
    /* tsf_arima_kf_predict writes only the filter's scratch space, never
     * its state: later updates see the same filter. */
    tsf_arima_kf_predict(s->kf, h, fc->mean, fc->se);
    for (size_t i = 0; i < h; i++) {
        fc->mean[i] += reg_at(s, s->t + i);
        for (size_t j = 0; xf && j < xf->k; j++) fc->mean[i] += s->buser[j] * xf->x[j * xf->ld + i];
        fc->se[i] = sqrt(fmax(fc->se[i], 0.0) * s->sigma2);
    }
    tsf_forecast_normal(fc);
    return TSF_OK;
}

tsf_status tsf_arima_state_clone(const void *st, void **out);
tsf_status tsf_arima_state_clone(const void *st, void **out)
{
    const arima_state *s = st;
    *out = NULL;
    arima_state *c = calloc(1, sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory");
    *c = *s;
    c->kf = NULL;
    c->bcopy = NULL;
    tsf_status r = tsf_arima_kf_clone(s->kf, &c->kf);
    if (!r && s->kuser && !(c->bcopy = malloc(s->kuser * sizeof *c->bcopy)))
        r = tsf_set_error(TSF_ENOMEM, "out of memory");
    if (r) {
        tsf_arima_state_free(c);
        return r;
    }
    if (s->kuser) memcpy(c->bcopy, s->bcopy, s->kuser * sizeof *c->bcopy);
    c->buser = c->bcopy;
    *out = c;
    return TSF_OK;
}

void tsf_arima_state_free(void *st)
{
    arima_state *s = st;
    if (!s) return;
    tsf_arima_kf_free(s->kf);
    free(s->bcopy);
    free(s);
}

/* Saved: the filter's state and the count of observations fed (the
 * regression part's time index). */
tsf_status tsf_arima_state_save(const void *st, tsf_st *doc);
tsf_status tsf_arima_state_save(const void *st, tsf_st *doc)
{
    const arima_state *s = st;
    size_t one[1] = {1};
    double t = (double)s->t;
    tsf_status r = tsf_arima_kf_save(s->kf, doc, "state.kf");
    return r ? r : tsf_st_add(doc, "state.t", TSF_ST_F64, 1, one, &t);
}

tsf_status tsf_arima_state_load(const void *impl, const tsf_st *doc, void **out);
tsf_status tsf_arima_state_load(const void *impl, const tsf_st *doc, void **out)
{
    *out = NULL;
    void *p;
    tsf_status st = tsf_arima_state_new(impl, &p);
    if (st) return st;
    arima_state *s = p;
    const double *t;
    if (!(st = tsf_arima_kf_load(s->kf, doc, "state.kf", "arima")) &&
        !(st = tsf_st_get_vec(doc, "arima", "state.t", 1, &t)) &&
        !(t[0] >= 0.0 && t[0] <= 9007199254740992.0 && t[0] == floor(t[0])))
        st = tsf_set_error(TSF_EPARSE, "arima state: bad observation count");
    if (st) {
        tsf_arima_state_free(s);
        return st;
    }
    s->t = (size_t)t[0];
    *out = s;
    return TSF_OK;
}
