/* Global neural models (docs/neural.md, "Global models"): one network
 * trained on many series (DeepAR, Salinas et al. 2020, sec. 3.3-3.4).
 * Each series k is divided by its own scale s_k (its mean |y|), and every
 * input position also carries the series' features: the standardised
 * log scale (log s_k - mu) / sd, so that the network can tell large
 * series from small ones, then, with embed=D, a learned D-wide embedding
 * of the series (a row of the network's tensor series.embedding, trained
 * with the weights through the input gradient, train.c).  The model keeps
 * the series' ids and scales; forecasting a series names it by id. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "neural.h"

void tsf_neural_global_free(tsf_neural *m)
{
    if (m->ids)
        for (int k = 0; k < m->cfg.nseries; k++) free(m->ids[k]);
    free(m->ids);
    free(m->sscale);
    m->ids = NULL;
    m->sscale = NULL;
}

void tsf_neural_global_scales(tsf_neural *m, const double *const *ys, const size_t *ns)
{
    size_t N = (size_t)m->cfg.nseries;
    double s1 = 0.0, s2 = 0.0;
    for (size_t k = 0; k < N; k++) {
        double sa = 0.0;
        size_t c = 0;
        for (size_t i = 0; i < ns[k]; i++)
            if (!isnan(ys[k][i])) {
                sa += fabs(ys[k][i]);
                c++;
            }
        double sk = c ? sa / (double)c : m->scale;
        m->sscale[k] = sk > 1e-300 && isfinite(sk) ? sk : m->scale;
        double l = log(m->sscale[k]);
        s1 += l;
        s2 += l * l;
    }
    m->ls_mu = s1 / (double)N;
    double var = s2 / (double)N - m->ls_mu * m->ls_mu;
    /* differences of less than a factor e are not magnified */
    m->ls_sd = var > 1.0 ? sqrt(var) : 1.0;
    m->scale = exp(m->ls_mu);
}

double tsf_neural_local_scale(const double *z, size_t n)
{
    double sa = 0.0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(z[i])) {
            sa += fabs(z[i]);
            c++;
        }
    if (!c) return 1.0;
    double nu = sa / (double)c;
    return nu > TSF_NN_LSCALE_FLOOR ? nu : TSF_NN_LSCALE_FLOOR;
}

double tsf_neural_series_scale(const tsf_neural *m, size_t k)
{
    return m->cfg.nseries > 0 ? m->sscale[k] : m->scale;
}

void tsf_neural_series_feat(const tsf_neural *m, const float *emb, size_t k, float *f)
{
    if (m->cfg.nseries <= 0) return;
    f[0] = (float)((log(m->sscale[k]) - m->ls_mu) / m->ls_sd);
    size_t D = (size_t)m->cfg.embed;
    if (D) memcpy(f + 1, emb + k * D, D * sizeof *f);
}

tsf_status tsf_neural_series_index(const tsf_neural *m, const char *id, size_t *k)
{
    *k = 0;
    if (m->cfg.nseries <= 0) return TSF_OK;
    if (!id)
        return tsf_set_error(TSF_EINVAL, "the model is global over %d series: name the one to "
                             "forecast (--series ID, e.g. --series %s)", m->cfg.nseries,
                             m->ids[0]);
    for (size_t i = 0; i < (size_t)m->cfg.nseries; i++)
        if (!strcmp(m->ids[i], id)) {
            *k = i;
            return TSF_OK;
        }
    return tsf_set_error(TSF_EINVAL, "series '%s' is not one of the %d series the global model "
                         "was trained on (e.g. '%s'); a global model forecasts only its own "
                         "series", id, m->cfg.nseries, m->ids[0]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of the ids; TSF_EINVAL for a NULL or repeated one. */
static tsf_status copy_ids(tsf_neural *m, const char *const *ids, size_t N)
{
    const char **sorted = malloc(N * sizeof *sorted);
    if (!sorted) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu series ids", N);
    tsf_status st = TSF_OK;
    for (size_t k = 0; k < N && !st; k++) {
        if (!ids[k]) st = tsf_set_error(TSF_EINVAL, "series %zu has no id", k + 1);
        sorted[k] = ids[k];
    }
    if (!st) qsort(sorted, N, sizeof *sorted, cmp_str);
    for (size_t k = 1; k < N && !st; k++)
        if (!strcmp(sorted[k - 1], sorted[k]))
            st = tsf_set_error(TSF_EINVAL, "series id '%s' appears twice: a global model needs "
                               "one id per series", sorted[k]);
    free(sorted);
    if (st) return st;
    m->ids = calloc(N, sizeof *m->ids);
    m->sscale = calloc(N, sizeof *m->sscale);
    if (!m->ids || !m->sscale) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu series", N);
    for (size_t k = 0; k < N; k++)
        if (!(m->ids[k] = strdup(ids[k])))
            return tsf_set_error(TSF_ENOMEM, "out of memory for %zu series ids", N);
    return TSF_OK;
}

tsf_status tsf_neural_fit_global(void *impl, const double *const *ys, const size_t *ns,
                                 const tsf_xreg *const *xregs, const char *const *ids,
                                 size_t nseries, int period, const tsf_fit_opts *opts)
{
    tsf_neural *m = impl;
    if (nseries == 0) return tsf_set_error(TSF_EINVAL, "no series given");
    if (nseries > 100000000)
        return tsf_set_error(TSF_EINVAL, "%zu series are too many for one model", nseries);
    for (size_t k = 0; k < nseries; k++)
        if (!ys[k] && ns[k]) return tsf_set_error(TSF_EINVAL, "series %zu has no data", k + 1);
    if (xregs && opts && opts->trend)
        return tsf_set_error(TSF_EUNSUP, "neural models take no trend term; give regressor "
                             "columns or fourier/calendar terms instead");
    const char *why = !xregs && m->cfg.arch->needs_x ? m->cfg.arch->needs_x(&m->cfg) : NULL;
    if (why) return tsf_set_error(TSF_EINVAL, "%s", why);
    tsf_neural_global_free(m);
    m->cfg.nseries = (int)nseries;
    /* local scaling when every value is positive: a level is a scale
     * only for positive data (docs/neural.md, "Scales") */
    m->cfg.lscale = 1;
    for (size_t k = 0; k < nseries && m->cfg.lscale; k++)
        for (size_t i = 0; i < ns[k]; i++)
            if (ys[k][i] <= 0.0) { /* false for NaN */
                m->cfg.lscale = 0;
                break;
            }
    tsf_status st = copy_ids(m, ids, nseries);
    /* regressors: scaled with statistics pooled over every series' rows,
     * stored in the model as a single series' are */
    if (!st) {
        tsf_neural_set_x(m, 0);
        if (xregs) st = tsf_neural_fit_x(m, xregs, ns, nseries);
    }
    if (!st) st = tsf_neural_train(m, ys, ns, xregs, nseries, period, opts);
    if (st) {
        tsf_neural_global_free(m);
        tsf_neural_set_x(m, 0);
        m->cfg.nseries = 0;
        m->cfg.lscale = 0;
    }
    return st;
}

/* ---- model file: neural.nseries, neural.embed, neural.series_ids (a JSON
 * array), neural.logscale_mean/_sd and the tensor series.scale ---- */
tsf_status tsf_neural_global_save(const tsf_neural *m, tsf_st *doc)
{
    char v[64];
    tsf_status st;
    snprintf(v, sizeof v, "%d", m->cfg.embed);
    if ((st = tsf_st_set_meta(doc, "neural.embed", v))) return st;
    if (m->cfg.nseries <= 0) return TSF_OK;
    size_t N = (size_t)m->cfg.nseries;
    snprintf(v, sizeof v, "%zu", N);
    if ((st = tsf_st_set_meta(doc, "neural.nseries", v)) ||
        (st = tsf_st_set_meta(doc, "neural.local_scale", m->cfg.lscale ? "1" : "0")) ||
        (st = tsf_st_set_meta_num(doc, "neural.logscale_mean", m->ls_mu)) ||
        (st = tsf_st_set_meta_num(doc, "neural.logscale_sd", m->ls_sd)) ||
        (st = tsf_st_add(doc, "series.scale", TSF_ST_F64, 1, &N, m->sscale)))
        return st;
    json_t *a = json_array();
    for (size_t k = 0; a && k < N; k++)
        if (json_array_append_new(a, json_string(m->ids[k]))) {
            json_decref(a);
            a = NULL;
        }
    char *txt = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    if (!txt) return tsf_set_error(TSF_ENOMEM, "out of memory saving %zu series ids", N);
    st = tsf_st_set_meta(doc, "neural.series_ids", txt);
    free(txt);
    return st;
}

tsf_status tsf_neural_global_load(tsf_neural *m, const tsf_st *doc)
{
    double v;
    tsf_status st;
    if (!tsf_st_meta(doc, "neural.nseries")) return TSF_OK; /* not global */
    if ((st = tsf_st_meta_num(doc, "neural", "neural.nseries", 1, 1e8, &v))) return st;
    if (v != floor(v))
        return tsf_set_error(TSF_EPARSE, "model file: neural.nseries is not a whole number");
    size_t N = (size_t)v;
    json_error_t err;
    const char *txt = tsf_st_meta(doc, "neural.series_ids");
    json_t *a = txt ? json_loads(txt, 0, &err) : NULL;
    if (!a || !json_is_array(a) || json_array_size(a) != N) {
        json_decref(a);
        return tsf_set_error(TSF_EPARSE, "model file: neural.series_ids must be a JSON array "
                             "of the %zu series ids", N);
    }
    const char **ids = malloc(N * sizeof *ids);
    if (!ids) st = tsf_set_error(TSF_ENOMEM, "out of memory for %zu series ids", N);
    for (size_t k = 0; !st && k < N; k++)
        if (!(ids[k] = json_string_value(json_array_get(a, k))))
            st = tsf_set_error(TSF_EPARSE, "model file: series id %zu is not a string", k + 1);
    m->cfg.nseries = (int)N;
    /* files before local scaling have none: the series' scale only */
    m->cfg.lscale = 0;
    const char *ls = tsf_st_meta(doc, "neural.local_scale");
    if (!st && ls && strcmp(ls, "0") && strcmp(ls, "1"))
        st = tsf_set_error(TSF_EPARSE, "model file: neural.local_scale = '%s' must be 0 or 1", ls);
    if (!st && ls) m->cfg.lscale = !strcmp(ls, "1");
    if (!st) st = copy_ids(m, ids, N);
    free(ids);
    json_decref(a);
    const double *sc;
    if (!st) st = tsf_st_get_vec(doc, "neural", "series.scale", N, &sc);
    for (size_t k = 0; !st && k < N; k++) {
        if (!(sc[k] > 0.0) || !isfinite(sc[k]))
            st = tsf_set_error(TSF_EPARSE, "model file: series.scale[%zu] is not a positive "
                               "number", k);
        else
            m->sscale[k] = sc[k];
    }
    if (!st) st = tsf_st_meta_num(doc, "neural", "neural.logscale_mean", -800, 800, &m->ls_mu);
    if (!st) st = tsf_st_meta_num(doc, "neural", "neural.logscale_sd", 1, 1e4, &m->ls_sd);
    if (st) {
        tsf_neural_global_free(m);
        m->cfg.nseries = 0;
        m->cfg.lscale = 0;
    }
    return st;
}
