/* Stepwise ARIMA order search (see auto_search.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "auto_search.h"

void tsf_auto_search_defaults(tsf_auto_search_opts *o)
{
    memset(o, 0, sizeof *o);
    o->period = 1;
    o->max_p = 5;
    o->max_q = 5;
    o->max_P = 2;
    o->max_Q = 2;
    o->start_p = 2;
    o->start_q = 2;
    o->start_P = 1;
    o->start_Q = 1;
    o->allow_constant = 1;
    o->max_models = 94;
    o->max_order = 5;
}

void tsf_auto_trace_free(tsf_auto_trace *t)
{
    if (!t) return;
    free(t->orders);
    free(t->ic);
    memset(t, 0, sizeof *t);
}

void tsf_auto_label(const tsf_auto_order *o, int period, char *buf, size_t n)
{
    int len = snprintf(buf, n, "ARIMA(%d,%d,%d)", o->p, o->d, o->q);
    if (len < 0 || (size_t)len >= n) return;
    if (period > 1 && (o->P || o->D || o->Q)) {
        int k = snprintf(buf + len, n - (size_t)len, "(%d,%d,%d)[%d]", o->P, o->D, o->Q, period);
        if (k < 0 || (size_t)(len + k) >= n) return;
        len += k;
    }
    int diffs = o->d + o->D;
    const char *tail = "";
    if (diffs == 0) tail = o->constant ? " with non-zero mean" : " with zero mean";
    else if (diffs == 1 && o->constant) tail = " with drift";
    snprintf(buf + len, n - (size_t)len, "%s", tail);
}

static int same(const tsf_auto_order *a, const tsf_auto_order *b)
{
    return a->p == b->p && a->d == b->d && a->q == b->q && a->P == b->P && a->D == b->D &&
           a->Q == b->Q && (a->constant != 0) == (b->constant != 0);
}

static int tried(const tsf_auto_trace *t, const tsf_auto_order *o)
{
    for (size_t i = 0; i < t->n; i++)
        if (same(&t->orders[i], o)) return 1;
    return 0;
}

typedef struct {
    const tsf_auto_search_opts *opt;
    tsf_auto_fit_fn fit;
    void *ctx;
    tsf_auto_trace *tr;
    double best_ic;
} search;

/* Fits o (once) and appends it to the trace.  *better = 1 when it beats
 * the best so far (strictly, as R's `<`), which it then becomes. */
static tsf_status try_model(search *s, const tsf_auto_order *o, int *better)
{
    tsf_auto_trace *t = s->tr;
    *better = 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        tsf_auto_order *no = realloc(t->orders, cap * sizeof *no);
        if (!no) return tsf_set_error(TSF_ENOMEM, "auto: out of memory for the search trace");
        t->orders = no;
        double *ni = realloc(t->ic, cap * sizeof *ni);
        if (!ni) return tsf_set_error(TSF_ENOMEM, "auto: out of memory for the search trace");
        t->ic = ni;
        t->cap = cap;
    }
    double ic = INFINITY;
    tsf_status st = s->fit(s->ctx, o, &ic);
    if (st != TSF_OK) return st;
    if (!(ic < TSF_AUTO_IC_FAIL)) ic = TSF_AUTO_IC_FAIL;  /* NaN, Inf, failures */
    t->orders[t->n] = *o;
    t->ic[t->n] = ic;
    if (t->n == 0 || ic < s->best_ic) {
        /* the first model is the incumbent even when it failed (R starts
         * from it with ic = Inf) */
        *better = t->n > 0 || ic < TSF_AUTO_IC_FAIL;
        s->best_ic = ic;
        t->best = t->n;
    }
    t->n++;
    return TSF_OK;
}

/* Tries cur with the offsets (dp,dq,dP,dQ) when inside the bounds and new;
 * on improvement moves cur there.  *moved = 1 then. */
static tsf_status move(search *s, tsf_auto_order *cur, int dp, int dq, int dP, int dQ,
                       int toggle, int *moved)
{
    const tsf_auto_search_opts *o = s->opt;
    tsf_auto_order c = *cur;
    c.p += dp;
    c.q += dq;
    c.P += dP;
    c.Q += dQ;
    if (toggle) c.constant = !c.constant;
    *moved = 0;
    if (c.p < 0 || c.q < 0 || c.P < 0 || c.Q < 0 || c.p > o->max_p || c.q > o->max_q ||
        c.P > o->max_P || c.Q > o->max_Q || tried(s->tr, &c) || s->tr->n >= o->max_models)
        return TSF_OK;
    int better;
    tsf_status st = try_model(s, &c, &better);
    if (st == TSF_OK && better) {
        *cur = c;
        *moved = 1;
    }
    return st;
}

tsf_status tsf_auto_stepwise(const tsf_auto_search_opts *o, tsf_auto_fit_fn fit, void *ctx,
                             tsf_auto_trace *trace)
{
    if (!o || !fit || !trace) return tsf_set_error(TSF_EINVAL, "auto: NULL argument");
    if (o->period < 1 || o->d < 0 || o->D < 0 || o->max_p < 0 || o->max_q < 0 ||
        o->max_P < 0 || o->max_Q < 0 || o->start_p < 0 || o->start_q < 0 || o->start_P < 0 ||
        o->start_Q < 0 || o->max_models < 1)
        return tsf_set_error(TSF_EINVAL, "auto: search bounds must be non-negative "
                                         "(period >= 1, at least one model)");
    trace->n = 0;
    trace->best = 0;
    int seasonal = o->period > 1;
    int maxP = seasonal ? o->max_P : 0, maxQ = seasonal ? o->max_Q : 0;
    tsf_auto_search_opts b = *o;  /* effective bounds */
    b.max_P = maxP;
    b.max_Q = maxQ;
    search s = {&b, fit, ctx, trace, INFINITY};
    int k = o->allow_constant != 0, better;
    tsf_auto_order cur = {o->start_p < o->max_p ? o->start_p : o->max_p, o->d,
                          o->start_q < o->max_q ? o->start_q : o->max_q,
                          o->start_P < maxP ? o->start_P : maxP, o->D,
                          o->start_Q < maxQ ? o->start_Q : maxQ, k};
    tsf_status st = try_model(&s, &cur, &better);
    /* Hyndman & Khandakar step 1: three more starting models. */
    tsf_auto_order null = {0, o->d, 0, 0, o->D, 0, k};
    if (st == TSF_OK) st = try_model(&s, &null, &better);
    if (st == TSF_OK && better) cur = null;
    if (st == TSF_OK && (o->max_p > 0 || maxP > 0)) {
        tsf_auto_order ar = {o->max_p > 0, o->d, 0, maxP > 0, o->D, 0, k};
        st = try_model(&s, &ar, &better);
        if (st == TSF_OK && better) cur = ar;
    }
    if (st == TSF_OK && (o->max_q > 0 || maxQ > 0)) {
        tsf_auto_order ma = {0, o->d, o->max_q > 0, 0, o->D, maxQ > 0, k};
        st = try_model(&s, &ma, &better);
        if (st == TSF_OK && better) cur = ma;
    }
    if (st == TSF_OK && k) {
        /* forecast 8.20 moves to the orders of the constant-free null model
         * when it wins but keeps searching its neighbours with the
         * constant (observed with auto.arima(trace = TRUE)); kept so that
         * the same models are visited. */
        tsf_auto_order null0 = null;
        null0.constant = 0;
        st = try_model(&s, &null0, &better);
        if (st == TSF_OK && better) cur.p = cur.q = cur.P = cur.Q = 0;
    }
    /* Step 2: neighbourhood moves, first improvement wins, until a full
     * pass finds nothing better. */
    static const int moves[16][4] = {
        {0, 0, -1, 0}, {0, 0, 0, -1}, {0, 0, 1, 0}, {0, 0, 0, 1},
        {0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1},
        {-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0},
        {-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0},
    };
    int moved = 1;
    while (st == TSF_OK && moved && trace->n < o->max_models) {
        moved = 0;
        for (int i = 0; i < 16 && st == TSF_OK && !moved; i++)
            st = move(&s, &cur, moves[i][0], moves[i][1], moves[i][2], moves[i][3], 0, &moved);
        if (st == TSF_OK && !moved && o->allow_constant)
            st = move(&s, &cur, 0, 0, 0, 0, 1, &moved);
    }
    return st;
}

tsf_status tsf_auto_exhaustive(const tsf_auto_search_opts *o, tsf_auto_fit_fn fit, void *ctx,
                               tsf_auto_trace *trace)
{
    if (!o || !fit || !trace) return tsf_set_error(TSF_EINVAL, "auto: NULL argument");
    if (o->period < 1 || o->d < 0 || o->D < 0 || o->max_p < 0 || o->max_q < 0 ||
        o->max_P < 0 || o->max_Q < 0 || o->max_order < 0)
        return tsf_set_error(TSF_EINVAL, "auto: search bounds must be non-negative");
    trace->n = 0;
    trace->best = 0;
    int maxP = o->period > 1 ? o->max_P : 0, maxQ = o->period > 1 ? o->max_Q : 0;
    search s = {o, fit, ctx, trace, INFINITY};
    tsf_status st = TSF_OK;
    int better;
    for (int p = 0; p <= o->max_p && st == TSF_OK; p++)
        for (int q = 0; q <= o->max_q && st == TSF_OK; q++)
            for (int P = 0; P <= maxP && st == TSF_OK; P++)
                for (int Q = 0; Q <= maxQ && st == TSF_OK; Q++) {
                    if (p + q + P + Q > o->max_order) continue;
                    for (int k = o->allow_constant ? 1 : 0; k >= 0 && st == TSF_OK; k--) {
                        tsf_auto_order c = {p, o->d, q, P, o->D, Q, k};
                        st = try_model(&s, &c, &better);
                    }
                }
    return st;
}
