/* The CUDA kernels' arithmetic, on the host: gpu/kernel_math.h compiled by
 * the C compiler, driven by host twins that walk the data exactly as the
 * kernels of gpu/cuda_*.cu do (thread per element, warp per row with
 * xor-butterfly sums, block-strided column sums, the cuBLAS call plans),
 * compared with the CPU reference ops (src/neural/cpu_*.c) and closed
 * forms; the attention's twins are in test_kernel_attention.c.  Runs
 * everywhere; no GPU needed.
 *
 * Tolerances: the twins reorder fp32 sums (warp trees, tiles), so results
 * agree with the reference to a few fp32 ulps times the reduction length:
 * normalised errors <= 1e-6 for elementwise ops (the same formulae, but the
 * CPU takes tanh through expf, tsf_tanhf, the GPU its own tanhf),
 * <= 1e-5 for reductions over <= 200 terms. */
#define TWIN_SEED 20261123
#include "twin_util.h"
#include <float.h>
#include <gsl/gsl_cblas.h> /* cblas_sgemm (OpenBLAS provides it) */
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_errno.h>
#include "neural/cpu_ops.h"
#include "../gpu/kernel_math.h"

/* ---- GELU ---- */
static double gelu_d(double x)
{
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void test_gelu(void **state)
{
    (void)state;
    enum { N = 1201 };
    float x[N], ref[N], dref[N] = {0}, one[N], got[N], dgot[N];
    for (int i = 0; i < N; i++) {
        x[i] = -6.0f + 0.01f * (float)i;
        one[i] = 1.0f;
    }
    tsf_cpu_gelu_forward(ref, x, N);
    tsf_cpu_gelu_backward(dref, x, one, N);
    for (int i = 0; i < N; i++) {
        got[i] = tk_gelu(x[i]);     /* k_gelu_fwd */
        dgot[i] = tk_gelu_grad(x[i]); /* k_gelu_bwd with dout = 1 */
        /* closed form in double and its central difference */
        assert_close(got[i], gelu_d(x[i]), 2e-6 * (1.0 + fabs(x[i])));
        double h = 1e-5, fd = (gelu_d(x[i] + h) - gelu_d(x[i] - h)) / (2 * h);
        assert_close(dgot[i], fd, 2e-6);
    }
    assert_nerr(got, ref, N, 1e-6);
    assert_nerr(dgot, dref, N, 1e-6);
}

/* ---- GRU / LSTM: twins of k_gru_fwd/bwd, k_lstm_fwd/bwd ---- */
static void test_gru(void **state)
{
    (void)state;
    size_t B = 3, H = 7, G = 3 * H;
    float *xg = fa(B * G), *hg = fa(B * G), *hp = fa(B * H), *dh = fa(B * H);
    randn(xg, B * G, 1.0);
    randn(hg, B * G, 1.0);
    randn(hp, B * H, 0.7);
    randn(dh, B * H, 1.0);
    float *h_r = fa(B * H), *g_r = fa(B * G), *h_t = fa(B * H), *g_t = fa(B * G);
    tsf_cpu_gru_forward(h_r, g_r, xg, hg, hp, B, H);
    for (size_t i = 0; i < B * H; i++) {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        h_t[i] = tk_gru_fwd(xg[g], xg[g + H], xg[g + 2 * H], hg[g], hg[g + H], hg[g + 2 * H],
                            hp[i], &g_t[g], &g_t[g + H], &g_t[g + 2 * H]);
    }
    assert_nerr(h_t, h_r, B * H, 1e-6);
    assert_nerr(g_t, g_r, B * G, 1e-6);
    float *dx_r = fa(B * G), *dg_r = fa(B * G), *dp_r = fa(B * H);
    float *dx_t = fa(B * G), *dg_t = fa(B * G), *dp_t = fa(B * H);
    for (size_t i = 0; i < B * H; i++) dp_r[i] = dp_t[i] = 0.25f; /* += semantics */
    tsf_cpu_gru_backward(dx_r, dg_r, dp_r, dh, g_r, hg, hp, B, H);
    for (size_t i = 0; i < B * H; i++) {
        size_t b = i / H, j = i % H, g = b * 3 * H + j;
        float r = g_t[g], dpr, dpz, dpn;
        dp_t[i] += tk_gru_bwd(dh[i], r, g_t[g + H], g_t[g + 2 * H], hg[g + 2 * H], hp[i], &dpr,
                              &dpz, &dpn);
        dx_t[g] = dg_t[g] = dpr;
        dx_t[g + H] = dg_t[g + H] = dpz;
        dx_t[g + 2 * H] = dpn;
        dg_t[g + 2 * H] = dpn * r;
    }
    assert_nerr(dx_t, dx_r, B * G, 1e-6);
    assert_nerr(dg_t, dg_r, B * G, 1e-6);
    assert_nerr(dp_t, dp_r, B * H, 1e-6);
    free(xg); free(hg); free(hp); free(dh); free(h_r); free(g_r); free(h_t); free(g_t);
    free(dx_r); free(dg_r); free(dp_r); free(dx_t); free(dg_t); free(dp_t);
}

static void test_lstm(void **state)
{
    (void)state;
    size_t B = 4, H = 5, G = 4 * H;
    float *pre = fa(B * G), *cp = fa(B * H), *dh = fa(B * H), *dc = fa(B * H);
    randn(pre, B * G, 1.2);
    randn(cp, B * H, 0.8);
    randn(dh, B * H, 1.0);
    randn(dc, B * H, 0.5);
    float *h_r = fa(B * H), *c_r = fa(B * H), *g_r = fa(B * G);
    float *h_t = fa(B * H), *c_t = fa(B * H), *g_t = fa(B * G);
    tsf_cpu_lstm_forward(h_r, c_r, g_r, pre, cp, B, H);
    for (size_t k = 0; k < B * H; k++) {
        size_t b = k / H, j = k % H, g = b * 4 * H + j;
        h_t[k] = tk_lstm_fwd(pre[g], pre[g + H], pre[g + 2 * H], pre[g + 3 * H], cp[k], &g_t[g],
                             &g_t[g + H], &g_t[g + 2 * H], &g_t[g + 3 * H], &c_t[k]);
    }
    assert_nerr(h_t, h_r, B * H, 1e-6);
    assert_nerr(c_t, c_r, B * H, 1e-6);
    assert_nerr(g_t, g_r, B * G, 1e-6);
    float *zero = fa(B * H); /* no gradient from the next step: zeros (never NULL) */
    for (int withdc = 0; withdc < 2; withdc++) {
        float *dp_r = fa(B * G), *dcp_r = fa(B * H), *dp_t = fa(B * G), *dcp_t = fa(B * H);
        tsf_cpu_lstm_backward(dp_r, dcp_r, dh, withdc ? dc : zero, g_r, c_r, cp, B, H);
        for (size_t k = 0; k < B * H; k++) {
            size_t b = k / H, j = k % H, g = b * 4 * H + j;
            dcp_t[k] = tk_lstm_bwd(dh[k], withdc ? dc[k] : 0.0f, g_t[g], g_t[g + H],
                                   g_t[g + 2 * H], g_t[g + 3 * H], c_t[k], cp[k], &dp_t[g],
                                   &dp_t[g + H], &dp_t[g + 2 * H], &dp_t[g + 3 * H]);
        }
        assert_nerr(dp_t, dp_r, B * G, 1e-6);
        assert_nerr(dcp_t, dcp_r, B * H, 1e-6);
        free(dp_r); free(dcp_r); free(dp_t); free(dcp_t);
    }
    free(zero); free(pre); free(cp); free(dh); free(dc); free(h_r); free(c_r); free(g_r);
    free(h_t); free(c_t); free(g_t);
}

/* ---- LayerNorm: twin of k_ln_fwd / k_ln_bwd_dx / k_ln_bwd_dw ---- */
static void ln_twin_fwd(float *out, float *mean, float *rstd, const float *inp, const float *w,
                        const float *b, size_t BT, size_t C)
{
    for (size_t row = 0; row < BT; row++) {
        const float *x = inp + row * C;
        float v[32];
        for (int lane = 0; lane < 32; lane++) {
            v[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) v[lane] += x[c];
        }
        float m = warp_sum(v) / (float)C;
        for (int lane = 0; lane < 32; lane++) {
            v[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) v[lane] += (x[c] - m) * (x[c] - m);
        }
        float r = tk_ln_rstd(warp_sum(v), (float)C);
        for (size_t c = 0; c < C; c++) out[row * C + c] = tk_ln_out(x[c], m, r, w[c], b[c]);
        mean[row] = m;
        rstd[row] = r;
    }
}

static void ln_twin_bwd(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, size_t BT,
                        size_t C)
{
    for (size_t row = 0; row < BT; row++) {
        const float *d = dout + row * C, *x = inp + row * C;
        float m = mean[row], r = rstd[row], a[32], bs[32];
        for (int lane = 0; lane < 32; lane++) {
            a[lane] = bs[lane] = 0.0f;
            for (size_t c = lane; c < C; c += 32) {
                float dxh = w[c] * d[c];
                a[lane] += dxh;
                bs[lane] += dxh * (x[c] - m) * r;
            }
        }
        float md = warp_sum(a) / (float)C, mdx = warp_sum(bs) / (float)C;
        for (size_t c = 0; c < C; c++)
            dinp[row * C + c] += tk_ln_dx(w[c] * d[c], (x[c] - m) * r, r, md, mdx);
    }
    /* k_ln_bwd_dw: 8 row lanes per column, then a sum over the lanes */
    for (size_t c = 0; c < C; c++) {
        float sw = 0.0f, sb = 0.0f;
        for (size_t ty = 0; ty < 8; ty++) {
            float pw = 0.0f, pb = 0.0f;
            for (size_t r = ty; r < BT; r += 8) {
                pw += (inp[r * C + c] - mean[r]) * rstd[r] * dout[r * C + c];
                pb += dout[r * C + c];
            }
            sw += pw;
            sb += pb;
        }
        dw[c] += sw;
        db[c] += sb;
    }
}

static void test_layernorm(void **state)
{
    (void)state;
    size_t BT = 9, C = 100;
    float *x = fa(BT * C), *w = fa(C), *b = fa(C), *d = fa(BT * C);
    randn(x, BT * C, 2.0);
    for (size_t i = 0; i < BT * C; i++) x[i] += 3.0f; /* offset: the two-pass variance matters */
    randn(w, C, 1.0);
    randn(b, C, 1.0);
    randn(d, BT * C, 1.0);
    float *o_r = fa(BT * C), *m_r = fa(BT), *r_r = fa(BT), *o_t = fa(BT * C), *m_t = fa(BT),
          *r_t = fa(BT);
    tsf_cpu_layernorm_forward(o_r, m_r, r_r, x, w, b, BT, C);
    ln_twin_fwd(o_t, m_t, r_t, x, w, b, BT, C);
    assert_nerr(o_t, o_r, BT * C, 1e-5);
    assert_nerr(m_t, m_r, BT, 1e-6);
    assert_nerr(r_t, r_r, BT, 1e-5);
    float *dx_r = fa(BT * C), *dw_r = fa(C), *db_r = fa(C);
    float *dx_t = fa(BT * C), *dw_t = fa(C), *db_t = fa(C);
    tsf_cpu_layernorm_backward(dx_r, dw_r, db_r, d, x, w, m_r, r_r, BT, C);
    ln_twin_bwd(dx_t, dw_t, db_t, d, x, w, m_t, r_t, BT, C);
    assert_nerr(dx_t, dx_r, BT * C, 1e-5);
    assert_nerr(dw_t, dw_r, C, 1e-5);
    assert_nerr(db_t, db_r, C, 1e-6);
    free(x); free(w); free(b); free(d); free(o_r); free(m_r); free(r_r); free(o_t); free(m_t);
    free(r_t); free(dx_r); free(dw_r); free(db_r); free(dx_t); free(dw_t); free(db_t);
}

/* ---- heads: twin of k_head_loss / k_head_params ---- */
static void test_heads(void **state)
{
    (void)state;
    size_t BT = 57;
    for (int student = 0; student < 2; student++) {
        tsf_nn_head head = student ? TSF_NN_HEAD_STUDENT_T : TSF_NN_HEAD_GAUSSIAN;
        size_t K = tsf_nn_head_k(head);
        float *o = fa(BT * K), *y = fa(BT), *nll_r = fa(BT), *d_r = fa(BT * K), *nll_t = fa(BT),
              *d_t = fa(BT * K);
        randn(o, BT * K, 1.5);
        randn(y, BT, 2.0);
        y[3] = y[17] = NAN;
        double tot_r = tsf_cpu_head_loss(nll_r, d_r, o, y, BT, head, 0.37f), tot_t = 0.0;
        for (size_t i = 0; i < BT; i++) {
            const float *p = o + i * K;
            float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f;
            double l = 0.0;
            if (!isnan(y[i]))
                l = tk_head_nll(student, p[0], p[1], student ? p[2] : 0.0f, y[i], 0.37f, &d0,
                                &d1, &d2);
            tot_t += l;
            nll_t[i] = (float)l;
            d_t[i * K] = d0;
            d_t[i * K + 1] = d1;
            if (student) d_t[i * K + 2] = d2;
        }
        assert_rel(tot_t, tot_r, 1e-12, 1e-12);
        assert_nerr(nll_t, nll_r, BT, 1e-7);
        /* dnu: the asymptotic digamma agrees with GSL's to ~1e-12 */
        assert_nerr(d_t, d_r, BT * K, 1e-7);
        float *mu_r = fa(BT), *s_r = fa(BT), *nu_r = fa(BT);
        tsf_cpu_head_params(mu_r, s_r, nu_r, o, BT, head);
        for (size_t i = 0; i < BT; i++) {
            assert_true(o[i * K] == mu_r[i]);
            assert_rel(tk_head_sigma(o[i * K + 1]), s_r[i], 1e-7, 0);
            if (student) assert_rel(tk_head_nu(o[i * K + 2]), nu_r[i], 1e-7, 0);
            else assert_true(isinf(nu_r[i]));
        }
        free(o); free(y); free(nll_r); free(d_r); free(nll_t); free(d_t);
        free(mu_r); free(s_r); free(nu_r);
    }
}

/* ---- draws (k_head_draw): the device's special functions against GSL,
 * the quantiles against their CDFs written out independently, and the
 * row function against the CPU op ---- */
static void test_draw_special(void **state)
{
    (void)state;
    const double ab[] = {0.5, 1.0, 3.7, 9.99, 10.0, 47.5, 5000.0, 5e6};
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++) {
            double r = gsl_sf_lnbeta(ab[i], ab[j]);
            assert_close(tk_lbeta(ab[i], ab[j]), r, 1e-14 * (1.0 + fabs(r)));
        }
    const double a[] = {0.5, 1.0, 1.0001, 2.5, 15.0, 500.0}, x[] = {1e-9, 0.01, 0.3, 0.5, 0.77,
                                                                    0.999, 1.0 - 1e-9};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++)
            for (size_t k = 0; k < 7; k++) {
                gsl_sf_result res;
                gsl_error_handler_t *old = gsl_set_error_handler_off();
                int bad = gsl_sf_beta_inc_e(a[i], a[j], x[k], &res);
                gsl_set_error_handler(old);
                double r = bad ? 0.0 : res.val; /* GSL's underflow: below 1e-300 */
                /* relative error of exp(L): a few ulps of the terms of L */
                double L = fabs(lgamma(a[i] + a[j])) + fabs(lgamma(a[i])) + fabs(lgamma(a[j])) +
                           fabs(a[i] * log(x[k])) + fabs(a[j] * log1p(-x[k]));
                assert_close(tk_ibeta(a[i], a[j], x[k], 1.0 - x[k]), r,
                             (1e-13 + 1e-15 * L) * r + 1e-300);
            }
    /* R 4.2's qt(u, nu) for nu in 2.0001, 2.3, 3, 5, 30, 1e4 and u in
     * 2^-32, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 2^-32 (the extreme
     * uniforms gsl_rng_uniform_pos gives).  GSL's quantile agrees in the
     * middle; in the far tails it is up to 5e-8 off (R's agrees with
     * tk_t_quantile there to 1e-12). */
    static const double qt_r[][3] = {
        {2.3283064365386963e-10, 2.0001000000000002, -46317.577266531451},
        {9.9999999999999995e-07, 2.0001000000000002, -706.89689131539194},
        {0.01, 2.0001000000000002, -6.9640830007416747},
        {0.29999999999999999, 2.0001000000000002, -0.61720834496292265},
        {0.5, 2.0001000000000002, 0},
        {0.69999999999999996, 2.0001000000000002, 0.61720834496292198},
        {0.98999999999999999, 2.0001000000000002, 6.9640830007416703},
        {0.99999999976716936, 2.0001000000000002, 46317.577266531451},
        {2.3283064365386963e-10, 2.2999999999999998, -12501.867788319683},
        {9.9999999999999995e-07, 2.2999999999999998, -329.1725418859649},
        {0.01, 2.2999999999999998, -5.8538967681157974},
        {0.29999999999999999, 2.2999999999999998, -0.60415991028366478},
        {0.5, 2.2999999999999998, 0},
        {0.69999999999999996, 2.2999999999999998, 0.604159910283664},
        {0.98999999999999999, 2.2999999999999998, 5.8538967681157947},
        {0.99999999976716936, 2.2999999999999998, 12501.867788319683},
        {2.3283064365386963e-10, 3, -1679.3195828326},
        {9.9999999999999995e-07, 3, -103.29946778041933},
        {0.01, 3, -4.5407028585681335},
        {0.29999999999999999, 3, -0.58438972743981865},
        {0.5, 3, 0},
        {0.69999999999999996, 3, 0.58438972743981854},
        {0.98999999999999999, 3, 4.5407028585681317},
        {0.99999999976716936, 3, 1679.3195828326},
        {2.3283064365386963e-10, 5, -132.43222935320873},
        {9.9999999999999995e-07, 5, -24.771029720515955},
        {0.01, 5, -3.3649299989072183},
        {0.29999999999999999, 5, -0.55942964446936105},
        {0.5, 5, 0},
        {0.69999999999999996, 5, 0.55942964446936083},
        {0.98999999999999999, 5, 3.3649299989072174},
        {0.99999999976716936, 5, 132.43222935320873},
        {2.3283064365386963e-10, 30, -9.0301507362709703},
        {9.9999999999999995e-07, 30, -5.8711171204188828},
        {0.01, 30, -2.4572615424005919},
        {0.29999999999999999, 30, -0.53001900390650458},
        {0.5, 30, 0},
        {0.69999999999999996, 30, 0.53001900390650436},
        {0.98999999999999999, 30, 2.4572615424005915},
        {0.99999999976716936, 30, 9.0301507362709703},
        {2.3283064365386963e-10, 10000, -6.2364670583886568},
        {9.9999999999999995e-07, 10000, -4.7562296850567796},
        {0.01, 10000, -2.3267208386694751},
        {0.29999999999999999, 10000, -0.52441722834546667},
        {0.5, 10000, 0},
        {0.69999999999999996, 10000, 0.52441722834546667},
        {0.98999999999999999, 10000, 2.3267208386694751},
        {0.99999999976716936, 10000, 6.2364670583886568},
    };
    for (size_t i = 0; i < sizeof qt_r / sizeof qt_r[0]; i++) {
        double u = qt_r[i][0], nu = qt_r[i][1], t = tk_t_quantile(u, nu);
        assert_close(t, qt_r[i][2], 1e-12 * (1.0 + fabs(qt_r[i][2])));
        if (u > 1e-3 && u < 1.0 - 1e-3)
            assert_close(t, gsl_cdf_tdist_Pinv(u, nu), 1e-11 * (1.0 + fabs(t)));
        assert_close(tk_t_pdf(t, nu), gsl_ran_tdist_pdf(t, nu), 1e-10 * gsl_ran_tdist_pdf(t, nu));
    }
    for (double z = -9.0; z <= 9.0; z += 0.37) {
        assert_close(tk_phi_cdf(z), gsl_cdf_ugaussian_P(z), 1e-15 + 1e-13 * gsl_cdf_ugaussian_P(z));
        assert_close(tk_phi_pdf(z), gsl_ran_ugaussian_pdf(z), 1e-16);
    }
}

/* the mixture's CDF and the binned CDF, from their definitions */
static double mix_cdf(const float *p, size_t M, double z)
{
    double mx = p[0], Z = 0.0, F = 0.0;
    for (size_t k = 1; k < M; k++) mx = fmax(mx, p[k]);
    for (size_t k = 0; k < M; k++) Z += exp(p[k] - mx);
    for (size_t k = 0; k < M; k++) {
        double s = log1p(exp((double)p[2 * M + k])) + 1e-4;
        F += exp(p[k] - mx) / Z * gsl_cdf_gaussian_P(z - p[M + k], s);
    }
    return F;
}

static double bin_cdf(const float *p, size_t N, double lo, double hi, double z)
{
    double mx = p[0], Z = 0.0, w = (hi - lo) / (double)(N - 2), tau = 0.0625 * (hi - lo), cum;
    for (size_t k = 1; k < N; k++) mx = fmax(mx, p[k]);
    for (size_t k = 0; k < N; k++) Z += exp(p[k] - mx);
#define PB(k) (exp((double)p[k] - mx) / Z)
    if (z < lo) return PB(0) * exp(-(lo - z) / tau);
    cum = PB(0);
    for (size_t j = 1; j + 1 < N; j++) {
        double a = lo + (double)(j - 1) * w;
        if (z < a + w) return cum + PB(j) * (z - a) / w;
        cum += PB(j);
    }
    return 1.0 - PB(N - 1) * exp(-(z - hi) / tau);
#undef PB
}

static void test_draw_rows(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const float lo = -2.5f, hi = 3.0f;
    for (int head = 0; head < 4; head++) {
        size_t n = head == 2 ? 5 : head == 3 ? 64 : 0;
        size_t K = head < 2 ? (size_t)(2 + head) : head == 2 ? 3 * n : n, B = 300;
        float *o = fa(B * K);
        double *e = malloc(B * sizeof *e), *zr = malloc(B * sizeof *zr);
        randn(o, B * K, 1.5);
        for (size_t b = 0; b < B; b++) {
            e[b] = head == 0 ? gsl_ran_gaussian(r, 1.0) : gsl_rng_uniform_pos(r);
            if (b == 0 && head) e[b] = 2.3283064365386963e-10; /* the extreme uniforms */
            if (b == 1 && head) e[b] = 1.0 - 2.3283064365386963e-10;
        }
        tsf_cpu_head_draw(zr, e, o, B, (tsf_nn_head)head, n, lo, hi);
        for (size_t b = 0; b < B; b++) {
            const float *p = o + b * K;
            double z = tk_head_draw(head, p, n, lo, hi, e[b]); /* k_head_draw's row */
            assert_close(z, zr[b], 1e-10 * (1.0 + fabs(zr[b])));
            if (head == 2) assert_close(mix_cdf(p, n, z), e[b], 1e-11);
            if (head == 3) assert_close(bin_cdf(p, n, lo, hi, z), e[b], 1e-11);
            if (head == 1) {
                double mu = p[0], s = tk_head_sigma(p[1]), nu = tk_head_nu(p[2]);
                assert_close(gsl_cdf_tdist_P((z - mu) / s, nu), e[b], 1e-8 * e[b] + 1e-15);
            }
        }
        free(o);
        free(e);
        free(zr);
    }
    /* a one-component mixture is a Gaussian: its quantile in closed form */
    float p1[3] = {0.3f, -1.25f, 0.7f};
    double s1 = log1p(exp((double)0.7f)) + 1e-4; /* the float the head reads */
    for (double u = 0.001; u < 1.0; u += 0.0777)
        assert_close(tk_mixture_quantile(p1, 1, u), -1.25 + s1 * gsl_cdf_ugaussian_Pinv(u), 1e-11);
    gsl_rng_free(r);
}

static void test_digamma(void **state)
{
    (void)state;
    for (double x = 0.05; x < 60.0; x *= 1.07)
        assert_close(tk_digamma(x), gsl_sf_psi(x), 1e-11 * (1.0 + fabs(gsl_sf_psi(x))));
    /* closed forms: psi(1) = -Euler-Mascheroni, psi(1/2) = -gamma - 2 ln 2 */
    assert_close(tk_digamma(1.0), -0.57721566490153286, 1e-12);
    assert_close(tk_digamma(0.5), -0.57721566490153286 - 2.0 * log(2.0), 1e-12);
}

/* ---- AdamW: twin of k_adamw over 5 steps ---- */
static void test_adamw(void **state)
{
    (void)state;
    enum { N = 40 };
    float p_r[N], m_r[N] = {0}, v_r[N] = {0}, p_t[N], m_t[N] = {0}, v_t[N] = {0}, g[N];
    randn(p_r, N, 1.0);
    memcpy(p_t, p_r, sizeof p_r);
    for (int t = 1; t <= 5; t++) {
        randn(g, N, 0.3);
        tsf_cpu_adamw_update(p_r, g, m_r, v_r, N, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, t);
        float c1 = 1.0f - powf(0.9f, (float)t), c2 = 1.0f - powf(0.999f, (float)t);
        for (int i = 0; i < N; i++)
            p_t[i] = tk_adamw(p_t[i], g[i], &m_t[i], &v_t[i], 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f,
                              c1, c2);
    }
    assert_nerr(p_t, p_r, N, 1e-7);
    assert_nerr(m_t, m_r, N, 1e-7);
    assert_nerr(v_t, v_r, N, 1e-7);
    /* closed form of the first step: p - lr (g/|g| (1 - tiny) + wd p) */
    float p = 0.5f, m = 0.0f, v = 0.0f;
    float p1 = tk_adamw(p, -2.0f, &m, &v, 0.1f, 0.9f, 0.999f, 0.0f, 0.0f, 0.1f, 0.001f);
    assert_close(p1, 0.6, 1e-6);
}

/* ---- bf16 rounding (what __float2bfloat16_rn does on the GPU) ---- */
static double bf16_nearest(float x)
{
    /* candidates: x truncated to 8 mantissa bits and the next bf16 value
     * away from zero; the nearer one, ties to the even mantissa */
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
    float flo, fhi;
    memcpy(&flo, &lo, 4);
    memcpy(&fhi, &hi, 4);
    double dl = fabs((double)x - flo), dh = fabs((double)fhi - x);
    if (dl < dh) return flo;
    if (dh < dl) return fhi;
    return ((lo >> 16) & 1u) ? fhi : flo;
}

/* unit roundoff of an 8-bit significand: |round(x) - x| <= 2^-8 |x| */
static void test_bf16(void **state)
{
    (void)state;
    const float exact[] = {0.0f, 1.0f, -2.5f, 3.140625f, 65536.0f, -0.0078125f};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        assert_true(tk_bf16_round(exact[i]) == exact[i]);
    assert_true(tk_bf16_round(1.0f + 0x1p-8f) == 1.0f);                 /* tie -> even */
    assert_true(tk_bf16_round(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f);   /* tie -> even */
    assert_true(tk_bf16_round(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f);
    assert_true(isnan(tk_bf16_round(NAN)));
    assert_true(isinf(tk_bf16_round(INFINITY)) && tk_bf16_round(-INFINITY) < 0);
    assert_true(isinf(tk_bf16_round(FLT_MAX))); /* rounds past the largest bf16 */
    for (int i = 0; i < 20000; i++) {
        float x = (float)(gsl_ran_gaussian(rng, 1.0) * exp(gsl_ran_flat(rng, -30, 30)));
        float r = tk_bf16_round(x);
        assert_true((double)r == bf16_nearest(x));
        assert_true(fabs((double)r - x) <= 0x1p-8 * fabs((double)x));
    }
}

/* ---- the cuBLAS plans of cuda_gemm.cu, run through column-major CBLAS
 * (cuBLAS's convention) against the row-major CPU reference ---- */
static void run_plan_host(tk_gemm_plan p, const float *const mats[3], float *C)
{
    cblas_sgemm(CblasColMajor, p.ta ? CblasTrans : CblasNoTrans, p.tb ? CblasTrans : CblasNoTrans,
                p.m, p.n, p.k, 1.0f, mats[p.a], p.lda, mats[p.b], p.ldb, p.beta, C, p.ldc);
}

static void test_gemm_plans(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{1, 5, 3}, {7, 4, 9}, {300, 70, 130}, {64, 256, 768}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t BT = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *inp = fa(BT * C), *w = fa(OC * C), *b = fa(OC), *d = fa(BT * OC);
        randn(inp, BT * C, 1.0);
        randn(w, OC * C, 1.0);
        randn(b, OC, 1.0);
        randn(d, BT * OC, 1.0);
        const float *mats[3] = {inp, w, d};
        float *o_r = fa(BT * OC), *o_t = fa(BT * OC);
        for (int bias = 0; bias < 2; bias++) {
            tsf_cpu_matmul_forward(o_r, inp, w, bias ? b : NULL, BT, C, OC);
            for (size_t i = 0; i < BT * OC; i++) o_t[i] = bias ? b[i % OC] : 12345.0f; /* k_bias_rows */
            run_plan_host(tk_plan_forward(BT, C, OC, bias), mats, o_t);
            assert_nerr(o_t, o_r, BT * OC, 1e-6);
        }
        float *di_r = fa(BT * C), *di_t = fa(BT * C), *dw_r = fa(OC * C), *dw_t = fa(OC * C);
        randn(di_r, BT * C, 1.0); /* += semantics */
        memcpy(di_t, di_r, BT * C * sizeof(float));
        randn(dw_r, OC * C, 1.0);
        memcpy(dw_t, dw_r, OC * C * sizeof(float));
        tsf_cpu_matmul_backward(di_r, dw_r, NULL, d, inp, w, BT, C, OC);
        run_plan_host(tk_plan_dinp(BT, C, OC), mats, di_t);
        run_plan_host(tk_plan_dweight(BT, C, OC), mats, dw_t);
        assert_nerr(di_t, di_r, BT * C, 1e-6);
        assert_nerr(dw_t, dw_r, OC * C, 1e-6);
        free(inp); free(w); free(b); free(d); free(o_r); free(o_t);
        free(di_r); free(di_t); free(dw_r); free(dw_t);
    }
}

/* k_colsum: 32 columns x 8 row lanes per block, rows split over grid.y */
static void test_colsum(void **state)
{
    (void)state;
    size_t BT = 1000, OC = 37;
    float *d = fa(BT * OC), *r = fa(OC), *t = fa(OC), *w = fa(OC * 1), *inp = fa(BT);
    randn(d, BT * OC, 1.0);
    tsf_cpu_matmul_backward(NULL, NULL, r, d, inp, w, BT, 1, OC);
    size_t gy = (BT + 255) / 256;
    for (size_t c = 0; c < OC; c++)
        for (size_t by = 0; by < gy; by++) {
            float part[8];
            for (size_t ty = 0; ty < 8; ty++) {
                part[ty] = 0.0f;
                for (size_t row = by * 8 + ty; row < BT; row += gy * 8) part[ty] += d[row * OC + c];
            }
            float s = part[0];
            for (int k = 1; k < 8; k++) s += part[k];
            t[c] += s; /* atomicAdd */
        }
    assert_nerr(t, r, OC, 1e-6);
    free(d); free(r); free(t); free(w); free(inp);
}

/* ---- wavenet ops: twins of k_im2col, k_col2im (thread i's body), the
 * gated unit and ReLU ---- */
static void test_conv_gated(void **state)
{
    (void)state;
    size_t B = 2, T = 11, C = 5, KW = 3, dil = 4, n = B * T * C, nc = n * KW;
    float *inp = fa(n), *col_r = fa(nc), *col_t = fa(nc), *dcol = fa(nc), *di_r = fa(n),
          *di_t = fa(n);
    randn(inp, n, 1);
    randn(dcol, nc, 1);
    tsf_cpu_dilated_im2col(col_r, inp, B, T, C, KW, dil);
    for (size_t i = 0; i < nc; i++) {
        size_t c = i % C, j = (i / C) % KW, bt = i / (C * KW), t = bt % T;
        col_t[i] = t >= j * dil ? inp[(bt - j * dil) * C + c] : 0.0f;
    }
    assert_memory_equal(col_t, col_r, nc * sizeof(float));
    tsf_cpu_dilated_col2im(di_r, dcol, B, T, C, KW, dil);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % C, bt = i / C, t = bt % T;
        float acc = 0.0f;
        for (size_t j = 0; j < KW && t + j * dil < T; j++)
            acc += dcol[((bt + j * dil) * KW + j) * C + c];
        di_t[i] += acc;
    }
    assert_nerr(di_t, di_r, n, 1e-7);
    size_t N = 37, H = 6;
    float *z = fa(N * 2 * H), *o_r = fa(N * H), *o_t = fa(N * H), *d = fa(N * H),
          *dz_r = fa(N * 2 * H), *dz_t = fa(N * 2 * H);
    randn(z, N * 2 * H, 2.0);
    randn(d, N * H, 1.0);
    tsf_cpu_gated_forward(o_r, z, N, H);
    tsf_cpu_gated_backward(dz_r, z, d, N, H);
    for (size_t i = 0; i < N * H; i++) {
        size_t r = i / H, c = i % H;
        o_t[i] = tk_gated_fwd(z[r * 2 * H + c], z[r * 2 * H + H + c]);
        tk_gated_bwd(z[r * 2 * H + c], z[r * 2 * H + H + c], d[i], &dz_t[r * 2 * H + c],
                     &dz_t[r * 2 * H + H + c]);
    }
    /* the CPU's tanh/exp are polynomial (cpu_ops.h), libm's here: ~1e-7 */
    assert_nerr(o_t, o_r, N * H, 1e-6);
    assert_nerr(dz_t, dz_r, N * 2 * H, 1e-6);
    free(inp); free(col_r); free(col_t); free(dcol); free(di_r); free(di_t);
    free(z); free(o_r); free(o_t); free(d); free(dz_r); free(dz_t);
}

/* ---- mixture and binned heads: twins of k_mixture_loss, k_binned_loss ---- */
static void test_heads_mix_bin(void **state)
{
    (void)state;
    size_t BT = 41;
    for (int binned = 0; binned < 2; binned++) {
        size_t K = binned ? 40 : 3 * 4;
        float *o = fa(BT * K), *y = fa(BT), *nll_r = fa(BT), *d_r = fa(BT * K), *nll_t = fa(BT),
              *d_t = fa(BT * K);
        randn(o, BT * K, 1.5);
        randn(y, BT, 2.5);
        y[5] = NAN;
        double tot_r = binned ? tsf_cpu_binned_loss(nll_r, d_r, o, y, BT, K, -2.0f, 3.0f, 0.37f)
                              : tsf_cpu_mixture_loss(nll_r, d_r, o, y, BT, K / 3, 0.37f);
        double tot_t = 0.0;
        for (size_t i = 0; i < BT; i++) {
            double l = 0.0;
            if (!isnan(y[i]))
                l = binned ? tk_binned_nll(o + i * K, K, y[i], -2.0f, 3.0f, 0.37f, d_t + i * K)
                           : tk_mixture_nll(o + i * K, K / 3, y[i], 0.37f, d_t + i * K);
            tot_t += l;
            nll_t[i] = (float)l;
        }
        assert_rel(tot_t, tot_r, 1e-12, 1e-12);
        assert_nerr(nll_t, nll_r, BT, 1e-7);
        assert_nerr(d_t, d_r, BT * K, 1e-7);
        free(o); free(y); free(nll_r); free(d_r); free(nll_t); free(d_t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gelu),        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_heads),       cmocka_unit_test(test_digamma),
        cmocka_unit_test(test_draw_special), cmocka_unit_test(test_draw_rows),
        cmocka_unit_test(test_adamw),       cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_gemm_plans),  cmocka_unit_test(test_colsum),
        cmocka_unit_test(test_conv_gated),  cmocka_unit_test(test_heads_mix_bin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
