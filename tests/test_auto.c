/* The stepwise search with fake objectives.
 *
 * 1. R replay: the objective returns the AICc that forecast 8.20's
 *    auto.arima(x, trace = TRUE) printed for each model (R 4.2.2; Inf for
 *    failed/rejected models).  Given R's numbers, the search must visit
 *    exactly R's models in R's order and end at R's choice.
 * 2. Synthetic bowls: the search stops at a local optimum whose whole
 *    neighbourhood was tried, and respects the bounds and the model cap. */
#include "testutil.h"
#include "core/internal.h"
#include "stats/auto_search.h"
#include "stats/roots.h"

/* auto.arima(x, trace = TRUE) output, "label:AICc". */
static const char *const trace_AirPassengers[] = {
    "ARIMA(2,1,2)(1,1,1)[12]:Inf",
    "ARIMA(0,1,0)(0,1,0)[12]:1031.539",
    "ARIMA(1,1,0)(1,1,0)[12]:1020.582",
    "ARIMA(0,1,1)(0,1,1)[12]:1021.192",
    "ARIMA(1,1,0)(0,1,0)[12]:1020.488",
    "ARIMA(1,1,0)(0,1,1)[12]:1021.103",
    "ARIMA(1,1,0)(1,1,1)[12]:Inf",
    "ARIMA(2,1,0)(0,1,0)[12]:1022.583",
    "ARIMA(1,1,1)(0,1,0)[12]:1022.583",
    "ARIMA(0,1,1)(0,1,0)[12]:1020.733",
    "ARIMA(2,1,1)(0,1,0)[12]:1018.165",
    "ARIMA(2,1,1)(1,1,0)[12]:1018.395",
    "ARIMA(2,1,1)(0,1,1)[12]:1018.84",
    "ARIMA(2,1,1)(1,1,1)[12]:Inf",
    "ARIMA(3,1,1)(0,1,0)[12]:1019.565",
    "ARIMA(2,1,2)(0,1,0)[12]:1019.771",
    "ARIMA(1,1,2)(0,1,0)[12]:1024.478",
    "ARIMA(3,1,0)(0,1,0)[12]:1023.984",
    "ARIMA(3,1,2)(0,1,0)[12]:Inf",
    NULL,
};
static const char *const trace_WWWusage[] = {
    "ARIMA(2,1,2) with drift:519.4483",
    "ARIMA(0,1,0) with drift:627.7442",
    "ARIMA(1,1,0) with drift:531.1079",
    "ARIMA(0,1,1) with drift:548.4164",
    "ARIMA(0,1,0):631.0362",
    "ARIMA(1,1,2) with drift:518.2245",
    "ARIMA(0,1,2) with drift:520.4047",
    "ARIMA(1,1,1) with drift:516.0048",
    "ARIMA(2,1,1) with drift:518.2245",
    "ARIMA(2,1,0) with drift:523.7396",
    "ARIMA(1,1,1):514.5521",
    "ARIMA(0,1,1):549.9305",
    "ARIMA(1,1,0):529.3628",
    "ARIMA(2,1,1):516.717",
    "ARIMA(1,1,2):516.6774",
    "ARIMA(0,1,2):520.1275",
    "ARIMA(2,1,0):522.4308",
    "ARIMA(2,1,2):518.0056",
    NULL,
};
static const char *const trace_lynx[] = {
    "ARIMA(2,0,2) with non-zero mean:1876.952",
    "ARIMA(0,0,0) with non-zero mean:2006.724",
    "ARIMA(1,0,0) with non-zero mean:1927.209",
    "ARIMA(0,0,1) with non-zero mean:1918.165",
    "ARIMA(0,0,0) with zero mean:2080.721",
    "ARIMA(1,0,2) with non-zero mean:1888.757",
    "ARIMA(2,0,1) with non-zero mean:1880.014",
    "ARIMA(3,0,2) with non-zero mean:1878.603",
    "ARIMA(2,0,3) with non-zero mean:Inf",
    "ARIMA(1,0,1) with non-zero mean:1891.442",
    "ARIMA(1,0,3) with non-zero mean:1890.03",
    "ARIMA(3,0,1) with non-zero mean:1881.962",
    "ARIMA(3,0,3) with non-zero mean:Inf",
    "ARIMA(2,0,2) with zero mean:1905.595",
    NULL,
};
static const char *const trace_Nile[] = {
    "ARIMA(2,1,2) with drift:Inf",
    "ARIMA(0,1,0) with drift:1298.77",
    "ARIMA(1,1,0) with drift:1283.598",
    "ARIMA(0,1,1) with drift:1270.562",
    "ARIMA(0,1,0):1296.738",
    "ARIMA(1,1,1) with drift:1268.063",
    "ARIMA(2,1,1) with drift:1269.777",
    "ARIMA(1,1,2) with drift:1269.779",
    "ARIMA(0,1,2) with drift:1268.969",
    "ARIMA(2,1,0) with drift:1279.708",
    "ARIMA(1,1,1):1267.507",
    "ARIMA(0,1,1):1269.216",
    "ARIMA(1,1,0):1281.605",
    "ARIMA(2,1,1):1269.322",
    "ARIMA(1,1,2):1269.348",
    "ARIMA(0,1,2):1268.21",
    "ARIMA(2,1,0):1277.737",
    "ARIMA(2,1,2):Inf",
    NULL,
};
static const char *const trace_USAccDeaths[] = {
    "ARIMA(2,1,2)(1,1,1)[12]:Inf",
    "ARIMA(0,1,0)(0,1,0)[12]:873.7587",
    "ARIMA(1,1,0)(1,1,0)[12]:863.7031",
    "ARIMA(0,1,1)(0,1,1)[12]:857.3164",
    "ARIMA(0,1,1)(0,1,0)[12]:864.7278",
    "ARIMA(0,1,1)(1,1,1)[12]:Inf",
    "ARIMA(0,1,1)(0,1,2)[12]:858.994",
    "ARIMA(0,1,1)(1,1,0)[12]:860.3189",
    "ARIMA(0,1,1)(1,1,2)[12]:Inf",
    "ARIMA(0,1,0)(0,1,1)[12]:864.3438",
    "ARIMA(1,1,1)(0,1,1)[12]:859.5193",
    "ARIMA(0,1,2)(0,1,1)[12]:859.4953",
    "ARIMA(1,1,0)(0,1,1)[12]:859.7192",
    "ARIMA(1,1,2)(0,1,1)[12]:860.3337",
    NULL,
};
static const char *const trace_austres[] = {
    "ARIMA(2,2,2)(1,0,1)[4]:Inf",
    "ARIMA(0,2,0):672.5046",
    "ARIMA(1,2,0)(1,0,0)[4]:662.0899",
    "ARIMA(0,2,1)(0,0,1)[4]:652.3751",
    "ARIMA(0,2,1):653.134",
    "ARIMA(0,2,1)(1,0,1)[4]:Inf",
    "ARIMA(0,2,1)(0,0,2)[4]:654.5584",
    "ARIMA(0,2,1)(1,0,0)[4]:652.1537",
    "ARIMA(0,2,1)(2,0,0)[4]:653.9808",
    "ARIMA(0,2,1)(2,0,1)[4]:Inf",
    "ARIMA(0,2,0)(1,0,0)[4]:672.1348",
    "ARIMA(1,2,1)(1,0,0)[4]:653.4438",
    "ARIMA(0,2,2)(1,0,0)[4]:653.2852",
    "ARIMA(1,2,2)(1,0,0)[4]:654.795",
    NULL,
};
static const char *const trace_JohnsonJohnson[] = {
    "ARIMA(2,1,2)(1,1,1)[4]:Inf",
    "ARIMA(0,1,0)(0,1,0)[4]:145.6332",
    "ARIMA(1,1,0)(1,1,0)[4]:102.4811",
    "ARIMA(0,1,1)(0,1,1)[4]:101.0345",
    "ARIMA(0,1,1)(0,1,0)[4]:100.2839",
    "ARIMA(0,1,1)(1,1,0)[4]:101.0338",
    "ARIMA(0,1,1)(1,1,1)[4]:Inf",
    "ARIMA(1,1,1)(0,1,0)[4]:98.52777",
    "ARIMA(1,1,1)(1,1,0)[4]:100.7075",
    "ARIMA(1,1,1)(0,1,1)[4]:100.7111",
    "ARIMA(1,1,1)(1,1,1)[4]:102.9828",
    "ARIMA(1,1,0)(0,1,0)[4]:100.3644",
    "ARIMA(2,1,1)(0,1,0)[4]:97.17469",
    "ARIMA(2,1,1)(1,1,0)[4]:99.40564",
    "ARIMA(2,1,1)(0,1,1)[4]:99.40659",
    "ARIMA(2,1,1)(1,1,1)[4]:Inf",
    "ARIMA(2,1,0)(0,1,0)[4]:101.8408",
    "ARIMA(3,1,1)(0,1,0)[4]:96.83716",
    "ARIMA(3,1,1)(1,1,0)[4]:99.17195",
    "ARIMA(3,1,1)(0,1,1)[4]:99.17035",
    "ARIMA(3,1,1)(1,1,1)[4]:Inf",
    "ARIMA(3,1,0)(0,1,0)[4]:99.48941",
    "ARIMA(3,1,2)(0,1,0)[4]:Inf",
    "ARIMA(2,1,2)(0,1,0)[4]:97.85415",
    NULL,
};
static const char *const trace_wineind[] = {
    "ARIMA(2,1,2)(1,1,1)[12]:2794.566",
    "ARIMA(0,1,0)(0,1,0)[12]:2918.738",
    "ARIMA(1,1,0)(1,1,0)[12]:2880.387",
    "ARIMA(0,1,1)(0,1,1)[12]:2789.402",
    "ARIMA(0,1,1)(0,1,0)[12]:2827.788",
    "ARIMA(0,1,1)(1,1,1)[12]:2797.908",
    "ARIMA(0,1,1)(0,1,2)[12]:2788.526",
    "ARIMA(0,1,1)(1,1,2)[12]:2795.865",
    "ARIMA(0,1,0)(0,1,2)[12]:2885.681",
    "ARIMA(1,1,1)(0,1,2)[12]:2788.043",
    "ARIMA(1,1,1)(0,1,1)[12]:2787.4",
    "ARIMA(1,1,1)(0,1,0)[12]:2827.565",
    "ARIMA(1,1,1)(1,1,1)[12]:2797.37",
    "ARIMA(1,1,1)(1,1,0)[12]:2809.564",
    "ARIMA(1,1,1)(1,1,2)[12]:2797.239",
    "ARIMA(1,1,0)(0,1,1)[12]:2853.877",
    "ARIMA(2,1,1)(0,1,1)[12]:2789.621",
    "ARIMA(1,1,2)(0,1,1)[12]:2787.155",
    "ARIMA(1,1,2)(0,1,0)[12]:Inf",
    "ARIMA(1,1,2)(1,1,1)[12]:2799.39",
    "ARIMA(1,1,2)(0,1,2)[12]:Inf",
    "ARIMA(1,1,2)(1,1,0)[12]:2806.988",
    "ARIMA(1,1,2)(1,1,2)[12]:2798.977",
    "ARIMA(0,1,2)(0,1,1)[12]:2789.574",
    "ARIMA(2,1,2)(0,1,1)[12]:Inf",
    "ARIMA(1,1,3)(0,1,1)[12]:Inf",
    "ARIMA(0,1,3)(0,1,1)[12]:2788.419",
    "ARIMA(2,1,3)(0,1,1)[12]:Inf",
    NULL,
};
/* set.seed(3); auto.arima(rnorm(60), trace = TRUE): the constant-free null
 * model wins, yet neighbours are still fitted with a mean. */
static const char *const trace_noise[] = {
    "ARIMA(2,0,2) with non-zero mean:Inf",
    "ARIMA(0,0,0) with non-zero mean:162.6066",
    "ARIMA(1,0,0) with non-zero mean:164.7734",
    "ARIMA(0,0,1) with non-zero mean:164.7693",
    "ARIMA(0,0,0) with zero mean:161.2298",
    "ARIMA(1,0,1) with non-zero mean:166.9982",
    NULL,
};

typedef struct {
    const char *const *trace;
    int period;
    char unexpected[128];
} replay;

static tsf_status replay_fit(void *ctx, const tsf_auto_order *o, double *ic)
{
    replay *r = ctx;
    char lab[128];
    tsf_auto_label(o, r->period, lab, sizeof lab);
    for (size_t i = 0; r->trace[i]; i++) {
        const char *colon = strrchr(r->trace[i], ':');
        if (strlen(lab) == (size_t)(colon - r->trace[i]) &&
            strncmp(lab, r->trace[i], strlen(lab)) == 0) {
            *ic = strcmp(colon + 1, "Inf") == 0 ? INFINITY : atof(colon + 1);
            return TSF_OK;
        }
    }
    if (!r->unexpected[0]) snprintf(r->unexpected, sizeof r->unexpected, "%s", lab);
    *ic = INFINITY;
    return TSF_OK;
}

/* Bounds as auto.arima derives them (m > 1 with seasonal terms caps p, q
 * at m - 1). */
static void run_replay(const char *name, const char *const *trace, int period, int d, int D,
                       const char *best)
{
    tsf_auto_search_opts o;
    tsf_auto_search_defaults(&o);
    o.period = period;
    o.d = d;
    o.D = D;
    if (period > 1) {
        if (o.max_p > period - 1) o.max_p = period - 1;
        if (o.max_q > period - 1) o.max_q = period - 1;
    }
    o.allow_constant = d + D <= 1;
    replay r = {trace, period, ""};
    tsf_auto_trace t = {0};
    assert_int_equal(tsf_auto_stepwise(&o, replay_fit, &r, &t), TSF_OK);
    if (r.unexpected[0]) fail_msg("%s: visited %s, which R did not", name, r.unexpected);
    size_t nr = 0;
    while (trace[nr]) nr++;
    for (size_t i = 0; i < t.n && i < nr; i++) {
        char lab[128];
        tsf_auto_label(&t.orders[i], period, lab, sizeof lab);
        if (strncmp(lab, trace[i], strlen(lab)) != 0 || trace[i][strlen(lab)] != ':')
            fail_msg("%s: model %zu is %s, R tried %s", name, i + 1, lab, trace[i]);
    }
    if (t.n != nr) fail_msg("%s: %zu models tried, R tried %zu", name, t.n, nr);
    char lab[128];
    tsf_auto_label(&t.orders[t.best], period, lab, sizeof lab);
    assert_string_equal(lab, best);
    tsf_auto_trace_free(&t);
}

static void test_replay_r(void **state)
{
    (void)state;
    run_replay("AirPassengers", trace_AirPassengers, 12, 1, 1, "ARIMA(2,1,1)(0,1,0)[12]");
    run_replay("WWWusage", trace_WWWusage, 1, 1, 0, "ARIMA(1,1,1)");
    run_replay("lynx", trace_lynx, 1, 0, 0, "ARIMA(2,0,2) with non-zero mean");
    run_replay("Nile", trace_Nile, 1, 1, 0, "ARIMA(1,1,1)");
    run_replay("USAccDeaths", trace_USAccDeaths, 12, 1, 1, "ARIMA(0,1,1)(0,1,1)[12]");
    run_replay("austres", trace_austres, 4, 2, 0, "ARIMA(0,2,1)(1,0,0)[4]");
    run_replay("JohnsonJohnson", trace_JohnsonJohnson, 4, 1, 1, "ARIMA(3,1,1)(0,1,0)[4]");
    run_replay("wineind", trace_wineind, 12, 1, 1, "ARIMA(1,1,2)(0,1,1)[12]");
    run_replay("noise", trace_noise, 1, 0, 0, "ARIMA(0,0,0) with zero mean");
}

/* Bowl: ic = |p-a|^2 + 2|q-b|^2 + 3|P-c|^2 + |Q-e|^2 + (constant ? 0 : 0.5),
 * plus a second, deeper basin far away that the greedy search must not
 * find from the start. Counts fits per order to check none is refitted. */
typedef struct {
    int a, b, c, e;
    int calls;
    int seen[8][8][4][4][2];
} bowl;

static tsf_status bowl_fit(void *ctx, const tsf_auto_order *o, double *ic)
{
    bowl *w = ctx;
    w->calls++;
    w->seen[o->p][o->q][o->P][o->Q][o->constant]++;
    double v = (o->p - w->a) * (o->p - w->a) + 2.0 * (o->q - w->b) * (o->q - w->b) +
               3.0 * (o->P - w->c) * (o->P - w->c) + (o->Q - w->e) * (o->Q - w->e) +
               (o->constant ? 0.0 : 0.5);
    if (o->p == 5 && o->q == 5 && o->P == 0 && o->Q == 2) v = -100.0; /* isolated pit */
    *ic = v;
    return TSF_OK;
}

static void test_local_optimum(void **state)
{
    (void)state;
    bowl *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->a = 3;
    w->b = 0;
    w->c = 2;
    w->e = 0;
    tsf_auto_search_opts o;
    tsf_auto_search_defaults(&o);
    o.period = 4;
    o.d = 0;
    o.D = 0;
    tsf_auto_trace t = {0};
    assert_int_equal(tsf_auto_stepwise(&o, bowl_fit, w, &t), TSF_OK);
    const tsf_auto_order *b = &t.orders[t.best];
    assert_int_equal(b->p, 3);
    assert_int_equal(b->q, 0);
    assert_int_equal(b->P, 2);
    assert_int_equal(b->Q, 0);
    assert_int_equal(b->constant, 1);
    assert_int_equal((int)t.n, w->calls);
    /* every documented neighbour of the optimum was tried, none twice */
    for (int dp = -1; dp <= 1; dp++)
        for (int dq = -1; dq <= 1; dq++) {
            int p = b->p + dp, q = b->q + dq;
            if (p < 0 || q < 0) continue;
            assert_int_equal(w->seen[p][q][b->P][b->Q][1], 1);
        }
    for (int dP = -1; dP <= 1; dP++)
        for (int dQ = -1; dQ <= 1; dQ++) {
            int P = b->P + dP, Q = b->Q + dQ;
            if (P < 0 || Q < 0 || P > 2 || Q > 2) continue;
            assert_int_equal(w->seen[b->p][b->q][P][Q][1], 1);
        }
    assert_int_equal(w->seen[3][0][2][0][0], 1);  /* constant toggled */
    assert_int_equal(w->seen[5][5][0][2][1], 0);  /* a local search: the pit stays unseen */
    for (size_t i = 0; i < t.n; i++) {
        assert_true(t.orders[i].P <= 2 && t.orders[i].Q <= 2);
        assert_true(t.orders[i].p <= 5 && t.orders[i].q <= 5);
        assert_true(t.ic[i] >= t.ic[t.best]);
    }
    tsf_auto_trace_free(&t);

    /* non-seasonal: P and Q never move; no constant: never toggled */
    memset(w, 0, sizeof *w);
    w->a = 1;
    w->b = 4;
    o.period = 1;
    o.d = 2;
    o.allow_constant = 0;
    assert_int_equal(tsf_auto_stepwise(&o, bowl_fit, w, &t), TSF_OK);
    assert_int_equal(t.orders[t.best].p, 1);
    assert_int_equal(t.orders[t.best].q, 4);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.orders[i].P + t.orders[i].Q + t.orders[i].constant, 0);
        assert_int_equal(t.orders[i].d, 2);
    }
    tsf_auto_trace_free(&t);

    /* the model cap (nmodels) stops the search */
    memset(w, 0, sizeof *w);
    w->a = 5;
    w->b = 5;
    o.max_models = 7;
    assert_int_equal(tsf_auto_stepwise(&o, bowl_fit, w, &t), TSF_OK);
    assert_int_equal((int)t.n, 7);
    tsf_auto_trace_free(&t);
    tsf_auto_trace_free(NULL);
    free(w);
}

static void test_exhaustive(void **state)
{
    (void)state;
    bowl *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->a = 2;
    w->b = 1;
    w->c = 1;
    w->e = 1;
    tsf_auto_search_opts o;
    tsf_auto_search_defaults(&o);
    o.period = 12;
    o.d = 1;
    o.D = 1;
    tsf_auto_trace t = {0};
    assert_int_equal(tsf_auto_exhaustive(&o, bowl_fit, w, &t), TSF_OK);
    /* (p,q,P,Q) in [0,5]^2 x [0,2]^2 with p+q+P+Q <= 5, twice (constant) */
    int expect = 0;
    for (int p = 0; p <= 5; p++)
        for (int q = 0; q <= 5; q++)
            for (int P = 0; P <= 2; P++)
                for (int Q = 0; Q <= 2; Q++) expect += 2 * (p + q + P + Q <= 5);
    assert_int_equal((int)t.n, expect);
    assert_int_equal(w->calls, expect);
    const tsf_auto_order *b = &t.orders[t.best];
    assert_true(b->p == 2 && b->q == 1 && b->P == 1 && b->Q == 1 && b->constant == 1);
    tsf_auto_trace_free(&t);
    /* max_order 12 reaches the isolated pit that the stepwise search misses */
    memset(w, 0, sizeof *w);
    o.max_order = 12;
    assert_int_equal(tsf_auto_exhaustive(&o, bowl_fit, w, &t), TSF_OK);
    b = &t.orders[t.best];
    assert_true(b->p == 5 && b->q == 5 && b->P == 0 && b->Q == 2);
    tsf_auto_trace_free(&t);
    free(w);
}

static tsf_status failing_fit(void *ctx, const tsf_auto_order *o, double *ic)
{
    (void)ctx;
    *ic = o->p == 0 && o->q == 0 ? NAN : INFINITY;
    return TSF_OK;
}

static tsf_status oom_fit(void *ctx, const tsf_auto_order *o, double *ic)
{
    int *k = ctx;
    (void)o;
    *ic = 1.0;
    return ++*k == 3 ? tsf_set_error(TSF_ENOMEM, "fake: out of memory") : TSF_OK;
}

static void test_failures(void **state)
{
    (void)state;
    tsf_auto_search_opts o;
    tsf_auto_search_defaults(&o);
    tsf_auto_trace t = {0};
    /* every fit fails: the search ends, failures are finite large values */
    assert_int_equal(tsf_auto_stepwise(&o, failing_fit, NULL, &t), TSF_OK);
    assert_true(t.n >= 5);
    for (size_t i = 0; i < t.n; i++) assert_true(t.ic[i] == TSF_AUTO_IC_FAIL);
    assert_int_equal((int)t.best, 0);
    tsf_auto_trace_free(&t);
    int k = 0;
    assert_int_equal(tsf_auto_stepwise(&o, oom_fit, &k, &t), TSF_ENOMEM);
    tsf_auto_trace_free(&t);
    o.max_p = -1;
    assert_int_equal(tsf_auto_stepwise(&o, failing_fit, NULL, &t), TSF_EINVAL);
}

static void test_labels(void **state)
{
    (void)state;
    char b[128];
    tsf_auto_order o = {2, 1, 2, 1, 1, 1, 0};
    tsf_auto_label(&o, 12, b, sizeof b);
    assert_string_equal(b, "ARIMA(2,1,2)(1,1,1)[12]");
    tsf_auto_order o2 = {1, 1, 1, 0, 0, 0, 1};
    tsf_auto_label(&o2, 1, b, sizeof b);
    assert_string_equal(b, "ARIMA(1,1,1) with drift");
    tsf_auto_order o3 = {0, 2, 1, 0, 0, 0, 0};
    tsf_auto_label(&o3, 4, b, sizeof b);
    assert_string_equal(b, "ARIMA(0,2,1)");
    tsf_auto_order o4 = {0, 0, 0, 0, 0, 0, 0};
    tsf_auto_label(&o4, 1, b, sizeof b);
    assert_string_equal(b, "ARIMA(0,0,0) with zero mean");
    tsf_auto_label(&o4, 1, b, 8);
    assert_string_equal(b, "ARIMA(0");  /* truncated, still terminated */
}

/* Smallest root modulus against R's min(Mod(polyroot(c(1, c)))). */
static void test_min_root(void **state)
{
    (void)state;
    double a[2] = {-0.5, 0.3}, b[3] = {1.2, 0.5, 0.1}, c[1] = {-0.9}, d[4] = {0, 0, 0, -0.5};
    double e[5] = {0.3, 0, 0, -0.2, 0.06};
    assert_close(tsf_poly_min_root(a, 2), 1.82574185835055, 1e-10);
    assert_close(tsf_poly_min_root(b, 3), 1.46682316506906, 1e-10);
    assert_close(tsf_poly_min_root(c, 1), 1.11111111111111, 1e-10);
    assert_close(tsf_poly_min_root(d, 4), 1.18920711500272, 1e-10);
    assert_close(tsf_poly_min_root(e, 5), 1.23173693225379, 1e-10);
    /* (1 - 0.6B)(1 - 0.99B^12): a seasonal root at 1.00084 < 1.01 */
    double f[13] = {-0.6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.99, 0.594};
    assert_close(tsf_poly_min_root(f, 13), 1.00083787881228, 1e-10);
    /* trailing zeros (|c| <= 1e-8) are dropped; nothing left: 2 as forecast */
    double g[3] = {-0.9, 1e-9, 0};
    assert_close(tsf_poly_min_root(g, 3), 1.11111111111111, 1e-10);
    double z[2] = {0, 0};
    assert_close(tsf_poly_min_root(z, 2), 2.0, 0);
    /* from the factors: the same value as the expanded polynomial above
     * (AR form, sign -1: 1 - 0.6 z and 1 - 0.99 y, y = z^12; 0.99^(-1/12)) */
    double ar1 = 0.6, sar1 = 0.99;
    assert_close(tsf_sarma_min_root(&ar1, 1, &sar1, 1, 12, -1.0), 1.00083787881228, 1e-10);
    /* MA form (sign +1): (1 + 1.2z + 0.5z^2 + 0.1z^3)(1 - 0.5 z^4) -> min(1.4668, 2^(1/4)) */
    double sma1 = -0.5;
    assert_close(tsf_sarma_min_root(b, 3, &sma1, 1, 4, 1.0), 1.18920711500272, 1e-10);
    assert_close(tsf_sarma_min_root(b, 3, NULL, 0, 4, 1.0), 1.46682316506906, 1e-10);
    /* nothing but negligible coefficients: 2 */
    double tiny = 1e-9;
    assert_close(tsf_sarma_min_root(&tiny, 1, &tiny, 1, 12, 1.0), 2.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_r),
        cmocka_unit_test(test_local_optimum),
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_min_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
