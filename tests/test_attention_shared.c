/* Shared-prefix attention (backend.h attention_step_shared,
 * src/neural/cpu_attention_shared.c, prefix_run.c) against the per-path
 * KV-cache step (attention_step) on the same keys and values:
 *  - the op: B paths whose first positions are one shared history and
 *    whose later ones differ, each path's whole window copied into an
 *    ordinary ring for the reference; histories shorter and longer than
 *    the window (P = 0 .. W - 1), steps sliding past the prefix's end
 *    (the prefix leaving the window), several B, heads and head sizes:
 *    every output bit for bit the reference's (the op runs the step's
 *    per-query routine: worst relative difference 0);
 *  - whole networks: paths sampled from a shared-prefix run
 *    (tsf_nn_stream_fork_paths) and from per-path copies
 *    (tsf_nn_stream_fork) with the same seed are the same bits, for
 *    histories from empty to far longer than the window and horizons
 *    shorter and longer than it; the shared run holds the history once
 *    (its state is 2 L (P + B R) C floats, not 2 L B W C); sparse
 *    patterns and additive attention fall back to per-path copies;
 *  - the routine under all of them (tsf_cpu_attn_queries,
 *    cpu_attn_query.c): against a double-precision dense attention (each
 *    probability within 1e-6, each output within 1e-6 of the sum of
 *    its terms' magnitudes), and a
 *    call of G paths the same bits as G calls of one path with the path's
 *    keys copied into one ring, for head sizes that fill the 8-float
 *    lanes or not (4, 12, 64, 72), key counts around the blocks of 8 and
 *    16, and rings that wrap. */
#define TWIN_SEED 20261205
#include "twin_util.h"
#include "neural/cpu_ops.h"
#include "neural/neural.h"

#define TOL 0.0
/* float against double: probabilities absolutely, outputs relative to
 * the sum of their terms' magnitudes (sum_j p_j |v_j|) */
#define TOLQ 1e-6

static double worst_rel(const float *a, const float *ref, size_t n)
{
    double w = 0.0;
    for (size_t i = 0; i < n; i++)
        w = fmax(w, fabs((double)a[i] - ref[i]) / fmax(fabs((double)ref[i]), 1.0));
    return w;
}

/* One configuration: a shared history of n positions (positions 0..n-1,
 * keys/values kh, vh (n,C)), then h steps of B paths with keys/values of
 * their own; at every step the shared op against the per-path step. */
static void op_case(size_t B, size_t NH, size_t hs, size_t W, size_t n, size_t h)
{
    size_t C = NH * hs, P = n < W - 1 ? n : W - 1, p0 = n - P, R = h < W ? h : W;
    float *kh = fa(n * C), *vh = fa(n * C);
    randn(kh, n * C, 1.0);
    randn(vh, n * C, 1.0);
    /* reference rings (B,W,C): sequence b's position a in slot a % W */
    float *kc = fa(B * W * C), *vc = fa(B * W * C), *q = fa(B * C), *scr = fa(NH * W);
    for (size_t b = 0; b < B; b++)
        for (size_t a = p0; a < n; a++) {
            memcpy(kc + (b * W + a % W) * C, kh + a * C, C * sizeof(float));
            memcpy(vc + (b * W + a % W) * C, vh + a * C, C * sizeof(float));
        }
    float *kp = fa(P * C), *vp = fa(P * C), *ks = fa(R * B * C), *vs = fa(R * B * C);
    memcpy(kp, kh + p0 * C, P * C * sizeof(float));
    memcpy(vp, vh + p0 * C, P * C * sizeof(float));
    float *o1 = fa(B * C), *o2 = fa(B * C), *sc2 = fa(NH * B * W), *k = fa(C), *v = fa(C);
    double worst = 0.0;
    for (size_t pos = n; pos < n + h; pos++) {
        randn(q, B * C, 1.0);
        for (size_t b = 0; b < B; b++) {
            randn(k, C, 1.0);
            randn(v, C, 1.0);
            memcpy(kc + (b * W + pos % W) * C, k, C * sizeof(float));
            memcpy(vc + (b * W + pos % W) * C, v, C * sizeof(float));
            memcpy(ks + ((pos - n) % R * B + b) * C, k, C * sizeof(float));
            memcpy(vs + ((pos - n) % R * B + b) * C, v, C * sizeof(float));
        }
        tsf_cpu_attention_step(o1, q, kc, vc, B, C, NH, W, pos, scr);
        tsf_cpu_attention_step_shared(o2, q, P ? kp : NULL, P ? vp : NULL, P, p0, ks, vs, R, B,
                                      C, NH, W, pos, sc2);
        worst = fmax(worst, worst_rel(o2, o1, B * C));
    }
    print_message("B %2zu NH %zu hs %2zu W %2zu history %3zu (P %2zu) h %2zu: worst %.2e\n", B,
                  NH, hs, W, n, P, h, worst);
    if (!(worst <= TOL))
        fail_msg("shared vs per-path step: %.3g > %.3g (B %zu, NH %zu, hs %zu, W %zu, n %zu, "
                 "h %zu)", worst, TOL, B, NH, hs, W, n, h);
    free(kh); free(vh); free(kc); free(vc); free(q); free(scr); free(kp); free(vp);
    free(ks); free(vs); free(o1); free(o2); free(sc2); free(k); free(v);
}

static void test_op(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{1, 1, 4}, {3, 2, 8}, {17, 4, 16}};
    static const size_t W[] = {5, 16};
    for (size_t s = 0; s < 3; s++)
        for (size_t w = 0; w < 2; w++) {
            /* histories: none, shorter than the window, W - 1, longer */
            size_t hist[] = {0, 2, W[w] - 1, W[w], 3 * W[w] + 1};
            /* horizons: one step, inside the window, sliding past the
             * prefix's end and past a whole window */
            size_t hor[] = {1, W[w] / 2, 2 * W[w] + 3};
            for (size_t i = 0; i < 5; i++)
                for (size_t j = 0; j < 3; j++)
                    op_case(shapes[s][0], shapes[s][1], shapes[s][2], W[w], hist[i], hor[j]);
        }
}

/* G queries against n0 shared keys and n of each path's own (ring of R
 * slots from slot `first`, rows (R,G,C)): tsf_cpu_attn_queries against
 * (a) a double-precision attention, (b) one-path calls on a ring holding
 * the path's n0 + n keys in order (the step's layout), bit for bit. */
static void queries_case(size_t G, size_t NH, size_t hs, size_t n0, size_t n, size_t R,
                         size_t first)
{
    size_t C = NH * hs, nt = n0 + n;
    float *q = fa(G * C), *k0 = fa(n0 * C), *v0 = fa(n0 * C), *k = fa(R * G * C);
    float *v = fa(R * G * C), *out = fa(G * C), *one = fa(C), *p = fa(G * NH * nt);
    float *p1 = fa(NH * nt), *kr = fa(nt * C), *vr = fa(nt * C), slope[8], *mags = fa(G * C);
    double *refo = malloc(G * C * sizeof *refo);
    assert_non_null(refo);
    randn(q, G * C, 1.0);
    randn(k0, n0 * C, 1.0);
    randn(v0, n0 * C, 1.0);
    randn(k, R * G * C, 1.0);
    randn(v, R * G * C, 1.0);
    for (size_t h = 0; h < NH; h++) slope[h] = tsf_cpu_alibi_slope(h, NH);
    tsf_cpu_attn_queries(out, q, G, n0 ? k0 : NULL, n0 ? v0 : NULL, n0, k, v, G * C, C, n,
                         first, R, C, NH, slope, p, nt, NH * nt);
    double worst = 0.0, worstp = 0.0;
    size_t differ = 0;
    double *s = malloc(nt * sizeof *s);
    assert_non_null(s);
    for (size_t g = 0; g < G; g++) {
        /* path g's keys in position order: the shared ones, then its ring */
        for (size_t j = 0; j < nt; j++) {
            const float *ks = j < n0 ? k0 + j * C : k + ((first + j - n0) % R * G + g) * C;
            const float *vs = j < n0 ? v0 + j * C : v + ((first + j - n0) % R * G + g) * C;
            memcpy(kr + j * C, ks, C * sizeof(float));
            memcpy(vr + j * C, vs, C * sizeof(float));
        }
        tsf_cpu_attn_query(one, q + g * C, kr, vr, C, nt, 0, 0, C, NH, slope, p1, nt);
        for (size_t i = 0; i < C; i++) differ += memcmp(one + i, out + g * C + i, 4) != 0;
        for (size_t i = 0; i < NH * nt; i++)
            differ += memcmp(p1 + i, p + g * NH * nt + i, 4) != 0;
        for (size_t h = 0; h < NH; h++) {
            double mx = -INFINITY, sum = 0.0;
            for (size_t j = 0; j < nt; j++) {
                double d = 0.0;
                for (size_t i = 0; i < hs; i++)
                    d += (double)q[g * C + h * hs + i] * kr[j * C + h * hs + i];
                s[j] = d / sqrt((double)hs) - (double)slope[h] * (double)(nt - 1 - j);
                mx = fmax(mx, s[j]);
            }
            for (size_t j = 0; j < nt; j++) sum += s[j] = exp(s[j] - mx);
            for (size_t j = 0; j < nt; j++) {
                s[j] /= sum;
                worstp = fmax(worstp, fabs(p[(g * NH + h) * nt + j] - s[j]));
            }
            for (size_t i = 0; i < hs; i++) {
                double o = 0.0, mag = 0.0;
                for (size_t j = 0; j < nt; j++) {
                    o += s[j] * vr[j * C + h * hs + i];
                    mag += s[j] * fabs((double)vr[j * C + h * hs + i]);
                }
                worst = fmax(worst, fabs(out[g * C + h * hs + i] - o) / mag);
                mags[g * C + h * hs + i] = mag;
                refo[g * C + h * hs + i] = o;
            }
        }
    }
    /* each implementation against double; those with FMA (AVX2, AVX-512:
     * the process's choice on this CPU) the same bits as the call above */
    float *ol = fa(G * C), *pl = fa(G * NH * nt);
    for (int level = 0; level <= 2; level++) {
        tsf_cpu_attn_queries_at(level, ol, q, G, n0 ? k0 : NULL, n0 ? v0 : NULL, n0, k, v,
                                G * C, C, n, first, R, C, NH, slope, pl, nt, NH * nt);
        if (level == 0 ? !tsf_cpu_fma() : tsf_cpu_fma()) {
            differ += memcmp(ol, out, G * C * sizeof *ol) != 0;
            differ += memcmp(pl, p, G * NH * nt * sizeof *pl) != 0;
        }
        for (size_t g = 0; g < G; g++)
            for (size_t i = 0; i < C; i++)
                worst = fmax(worst, fabs(ol[g * C + i] - refo[g * C + i]) / mags[g * C + i]);
    }
    free(ol);
    free(pl);
    print_message("G %2zu NH %zu hs %2zu keys %3zu + %2zu (ring %2zu from %zu): vs double "
                  "%.2e (probabilities %.2e), one-path calls differ in %zu values\n", G, NH,
                  hs, n0, n, R, first, worst, worstp, differ);
    if (!(worst <= TOLQ && worstp <= TOLQ))
        fail_msg("attn_queries vs double: outputs %.3g, probabilities %.3g > %.3g", worst,
                 worstp, TOLQ);
    assert_int_equal(differ, 0);
    free(q); free(k0); free(v0); free(k); free(v); free(out); free(one); free(p); free(p1);
    free(kr); free(vr); free(s); free(mags); free(refo);
}

static void test_queries(void **state)
{
    (void)state;
    static const size_t heads[][2] = {{1, 4}, {2, 12}, {4, 64}, {1, 72}};
    /* shared and own key counts: none shared, fewer than a block, around
     * the blocks of 8 and 16, a context of 256 */
    static const size_t keys[][2] = {{0, 1}, {0, 7}, {3, 5}, {8, 9}, {16, 1}, {17, 15},
                                     {255, 1}, {200, 24}};
    static const size_t G[] = {1, 3, 9};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 8; b++)
            for (size_t c = 0; c < 3; c++) {
                size_t n = keys[b][1], R = n + (b % 3); /* rings longer than n wrap */
                queries_case(G[c], heads[a][0], heads[a][1], keys[b][0], n, R, (b * 5) % R);
            }
}

/* A small transformer away from its initialisation (as test_sampler.c). */
static tsf_nn *small_net(int pattern, int additive, size_t context)
{
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_transformer, .head = TSF_NN_HEAD_GAUSSIAN,
                         .hidden = 8, .layers = 2, .heads = 2, .context = (int)context,
                         .period = 4};
    cfg.hp[0] = pattern;
    cfg.hp[1] = 1;
    cfg.hp[3] = additive;
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    assert_int_equal(tsf_nn_init(nn, 5), TSF_OK);
    for (size_t i = 0; i < nn->nparams; i++) nn->params[i] += (float)gsl_ran_gaussian(rng, 0.15);
    return nn;
}

/* S paths of h steps after n history values, through fork (shared = 0)
 * or fork_paths (1); returns the run's R */
static size_t sample(const tsf_nn *nn, const double *y, size_t n, size_t h, size_t S, int shared,
                     double *paths, size_t *nstate)
{
    tsf_nn_stream *s1, *s;
    assert_int_equal(tsf_nn_stream_new(nn, 1.0, 1, &s1), TSF_OK);
    for (size_t t = 0; t < n; t++) tsf_nn_stream_update(s1, y[t], NULL, NULL);
    assert_int_equal(shared ? tsf_nn_stream_fork_paths(s1, S, h, &s)
                            : tsf_nn_stream_fork(s1, S, &s), TSF_OK);
    size_t R = s->run->R;
    *nstate = s->run->nstate;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 11);
    assert_int_equal(tsf_nn_stream_sample(s, h, r, paths), TSF_OK);
    gsl_rng_free(r);
    tsf_nn_stream_free(s);
    tsf_nn_stream_free(s1);
    return R;
}

static void test_paths(void **state)
{
    (void)state;
    size_t W = 6, L = 2, C = 8;
    tsf_nn *nn = small_net(TSF_NN_PAT_DENSE, 0, W);
    double y[40];
    for (size_t t = 0; t < 40; t++) y[t] = sin(0.7 * (double)t) + 0.1 * gsl_ran_gaussian(rng, 1);
    y[9] = NAN; /* a missing value in the history */
    static const size_t hist[] = {0, 1, 3, 5, 6, 40}, hor[] = {1, 4, 15}, paths_n[] = {1, 7};
    double *a = malloc(7 * 15 * sizeof *a), *b = malloc(7 * 15 * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 3; j++)
            for (size_t k = 0; k < 2; k++) {
                size_t n = hist[i], h = hor[j], S = paths_n[k], ns1, ns2;
                assert_int_equal(sample(nn, y, n, h, S, 0, a, &ns1), 0);
                size_t R = sample(nn, y, n, h, S, 1, b, &ns2);
                size_t P = n < W - 1 ? n : W - 1;
                assert_int_equal(R, h < W ? h : W);
                assert_int_equal(ns2, 2 * L * (P + S * R) * C); /* the history once */
                assert_int_equal(ns1, 2 * L * S * W * C);
                double worst = 0.0;
                for (size_t m = 0; m < S * h; m++)
                    worst = fmax(worst, fabs(a[m] - b[m]) / fmax(fabs(a[m]), 1.0));
                if (!(worst <= TOL))
                    fail_msg("history %zu, h %zu, %zu paths: shared-prefix paths differ by "
                             "%.3g > %.3g", n, h, S, worst, TOL);
            }
    tsf_nn_free(nn);
    /* no shared layout: sparse patterns and additive attention run per
     * path, the same paths as fork's */
    tsf_nn *other[2] = {small_net(TSF_NN_PAT_LOGSPARSE, 0, 9), small_net(TSF_NN_PAT_DENSE, 1, 6)};
    for (size_t i = 0; i < 2; i++) {
        size_t ns1, ns2;
        assert_int_equal(sample(other[i], y, 20, 5, 3, 0, a, &ns1), 0);
        assert_int_equal(sample(other[i], y, 20, 5, 3, 1, b, &ns2), 0);
        assert_int_equal(ns1, ns2);
        for (size_t m = 0; m < 15; m++) assert_true(a[m] == b[m]);
        tsf_nn_free(other[i]);
    }
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
