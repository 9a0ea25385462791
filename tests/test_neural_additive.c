/* Additive (Bahdanau) attention: the backend ops against a dense
 * reference computed the slow way in double from the definition
 *   s_tj = va . tanh(q_t + k_j) - m_h (t - j),  p = softmax_j,  out_t = sum p_tj v_j
 * (both geometries: the transformer's packed qkv with ALiBi, the RNN's
 * time-major states without); their gradients against central finite
 * differences; the KV-ring steps against the full pass; and the spec
 * errors.  The whole networks' gradients are checked in test_neural_grad.c,
 * the models' streaming, save/load and resume in test_neural_model.c, with
 * the other architectures'. */
#include "twin_util.h"
#include "fd_check.h"
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/neural.h"

static const tsf_nn_backend *be;

static float *rnd(size_t n, double sd)
{
    float *p = fa(n);
    randn(p, n, sd);
    return p;
}

static double dotd(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* One case: q, k, v views into one buffer (packed: the transformer's qkv
 * rows; else three (T,B,hs) arrays side by side), out (strided). */
typedef struct {
    tsf_nn_add_geom g;
    size_t nin, nout;       /* floats of the input buffer and of out */
    float *in, *q, *k, *v, *va, *out, *att, *R;
    float *o;               /* where out's first row starts in out */
} add_case;

static add_case make_case(int packed, size_t B, size_t T, size_t NH, size_t hs, size_t W)
{
    add_case c;
    memset(&c, 0, sizeof c);
    size_t C = NH * hs;
    if (packed) {
        c.g = (tsf_nn_add_geom){B, T, NH, hs, W, T * 3 * C, 3 * C, T * C, C, 1};
        c.nin = B * T * 3 * C;
        c.nout = B * T * C;
        c.in = rnd(c.nin, 1.0);
        c.q = c.in;
        c.k = c.in + C;
        c.v = c.in + 2 * C;
    } else { /* time-major, out into the second half of (T,B,2C) rows */
        c.g = (tsf_nn_add_geom){B, T, NH, hs, W, C, B * C, 2 * C, B * 2 * C, 0};
        c.nin = 3 * T * B * C;
        c.nout = T * B * 2 * C;
        c.in = rnd(c.nin, 1.0);
        c.q = c.in;
        c.k = c.in + T * B * C;
        c.v = c.in + 2 * T * B * C;
    }
    c.va = rnd(C, 1.0);
    c.out = fa(c.nout);
    c.o = packed ? c.out : c.out + C;
    c.att = fa(B * NH * T * W);
    c.R = rnd(c.nout, 1.0);
    return c;
}

static void free_case(add_case *c)
{
    free(c->in); free(c->va); free(c->out); free(c->att); free(c->R);
}

static double case_loss(void *v)
{
    add_case *c = v;
    be->additive_forward(c->o, c->att, c->q, c->k, c->v, c->va, &c->g);
    return dotd(c->out, c->R, c->nout);
}

/* the definition, in double */
static void dense_reference(const add_case *c)
{
    const tsf_nn_add_geom *g = &c->g;
    double s[512], o[64];
    for (size_t b = 0; b < g->B; b++)
        for (size_t h = 0; h < g->NH; h++)
            for (size_t t = 0; t < g->T; t++) {
                double m = g->alibi ? exp2(-8.0 * (double)(h + 1) / (double)g->NH) : 0.0;
                size_t lo = t + 1 > g->W ? t + 1 - g->W : 0;
                double mx = -INFINITY, sum = 0.0;
                for (size_t j = lo; j <= t; j++) {
                    double e = 0.0;
                    for (size_t d = 0; d < g->hs; d++)
                        e += c->va[h * g->hs + d] *
                             tanh((double)c->q[b * g->sb + t * g->st + h * g->hs + d] +
                                  c->k[b * g->sb + j * g->st + h * g->hs + d]);
                    s[j - lo] = e - m * (double)(t - j);
                    if (s[j - lo] > mx) mx = s[j - lo];
                }
                for (size_t j = lo; j <= t; j++) sum += exp(s[j - lo] - mx);
                memset(o, 0, sizeof o);
                for (size_t j = lo; j <= t; j++) {
                    double p = exp(s[j - lo] - mx) / sum;
                    const float *pa = c->att + ((b * g->NH + h) * g->T + t) * g->W;
                    assert_close(pa[j + g->W - 1 - t], p, 1e-6);
                    for (size_t d = 0; d < g->hs; d++)
                        o[d] += p * c->v[b * g->sb + j * g->st + h * g->hs + d];
                }
                const float *po = c->o + b * g->ob + t * g->ot + h * g->hs;
                for (size_t d = 0; d < g->hs; d++) assert_close(po[d], o[d], 1e-5);
                /* the entries before the series' start are zero */
                for (size_t w = 0; w + t + 1 < g->W; w++)
                    assert_true(c->att[((b * g->NH + h) * g->T + t) * g->W + w] == 0.0f);
            }
}

static const size_t shapes[][6] = {
    /* packed, B, T, NH, hs, W */
    {1, 2, 9, 2, 4, 4},   /* window shorter than T */
    {1, 1, 7, 3, 5, 7},   /* full causal window */
    {0, 3, 8, 1, 6, 3},   /* RNN geometry */
    {0, 2, 11, 1, 8, 16}, /* window longer than T */
};
#define NSHAPES (sizeof shapes / sizeof *shapes)

static void test_dense_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHAPES; i++) {
        const size_t *s = shapes[i];
        add_case c = make_case((int)s[0], s[1], s[2], s[3], s[4], s[5]);
        case_loss(&c);
        dense_reference(&c);
        free_case(&c);
    }
}

static void test_op_gradients(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHAPES; i++) {
        const size_t *s = shapes[i];
        add_case c = make_case((int)s[0], s[1], s[2], s[3], s[4], s[5]);
        case_loss(&c);
        size_t C = c.g.NH * c.g.hs;
        float *din = fa(c.nin), *dva = fa(C), *scr = fa(c.g.W + c.g.hs);
        float *dq = din + (c.q - c.in), *dk = din + (c.k - c.in), *dv = din + (c.v - c.in);
        float *dout = fa(c.nout);
        memcpy(dout, c.R, c.nout * sizeof *dout);
        be->additive_backward(dq, dk, dv, dva, dout + (c.o - c.out), c.q, c.k, c.v,
                              c.va, c.att, &c.g, scr);
        char what[64];
        snprintf(what, sizeof what, "additive %s d(q,k,v)", s[0] ? "packed" : "time-major");
        /* the loss sums up to 2000 fp32 outputs: rounding noise of ~1e-6
         * calls for a step of 2e-2 and a tolerance of 1e-2 (as the dot
         * product's long case in test_neural_grad.c) */
        check(what, case_loss, &c, c.in, din, c.nin, 2e-2f, 1e-2);
        snprintf(what, sizeof what, "additive %s dva", s[0] ? "packed" : "time-major");
        check(what, case_loss, &c, c.va, dva, C, 2e-2f, 1e-2);
        free(din); free(dva); free(scr); free(dout);
        free_case(&c);
    }
}

/* The ring step reproduces every row of the full pass (the ring wraps). */
static void test_step(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHAPES; i++) {
        const size_t *s = shapes[i];
        add_case c = make_case((int)s[0], s[1], s[2], s[3], s[4], s[5]);
        case_loss(&c);
        size_t B = c.g.B, W = c.g.W, NH = c.g.NH, hs = c.g.hs, C = NH * hs;
        float *q = fa(B * C), *kc = fa(B * W * C), *vc = fa(B * W * C), *o = fa(B * C);
        float *sc = fa(NH * W);
        for (size_t t = 0; t < c.g.T; t++) {
            for (size_t b = 0; b < B; b++) {
                size_t r = b * c.g.sb + t * c.g.st;
                memcpy(q + b * C, c.q + r, C * sizeof(float));
                memcpy(kc + (b * W + t % W) * C, c.k + r, C * sizeof(float));
                memcpy(vc + (b * W + t % W) * C, c.v + r, C * sizeof(float));
            }
            be->additive_step(o, q, kc, vc, c.va, B, NH, hs, W, t, c.g.alibi, sc);
            for (size_t b = 0; b < B; b++)
                for (size_t d = 0; d < C; d++)
                    assert_close(o[b * C + d], c.o[b * c.g.ob + t * c.g.ot + d], 1e-5);
        }
        free(q); free(kc); free(vc); free(o); free(sc);
        free_case(&c);
    }
}

static void test_specs(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"transformer(attention=foo)", "dot|additive"},
        {"gru(attention=dot)", "none|additive"},
        {"lstm(attention=additive, window=0)", "window=0 is out of range"},
        {"gru(window=8)", "window= goes with attention=additive"},
        {"wavenet(attention=additive)", "unknown key 'attention'"},
        {"transformer(window=8)", "unknown key 'window'"},
    };
    tsf_model *m = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tsf_model_new(bad[i][0], &m), TSF_EPARSE);
        print_message("%s: %s\n", bad[i][0], tsf_errmsg());
        assert_errmsg_has(bad[i][0]);
        assert_errmsg_has(bad[i][1]);
        assert_null(strchr(tsf_errmsg(), '\n'));
    }
    /* defaults: the name shows what differs from them only */
    assert_int_equal(tsf_model_new("gru(attention=additive)", &m), TSF_OK);
    const tsf_neural *nm = m->impl;
    assert_int_equal(nm->cfg.hp[1], 64);
    assert_non_null(strstr(nm->name, "attention=additive"));
    assert_null(strstr(nm->name, "window"));
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("transformer(attention=dot)", &m), TSF_OK);
    assert_null(strstr(((const tsf_neural *)m->impl)->name, "attention"));
    tsf_model_free(m);
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2015);
    be = tsf_nn_backend_cpu();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_reference), cmocka_unit_test(test_op_gradients),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_specs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
