/* Per-element arithmetic of the CUDA kernels, shared with the host.
 *
 * Every kernel in gpu/cuda_*.cu does its per-element math by calling these
 * functions, and tests/test_kernel_math.c (compiled by the C compiler,
 * where TK_FN carries no CUDA qualifiers) checks each against the CPU
 * reference ops of src/neural/cpu_*.c or a closed form.  So what the host
 * verifies is exactly the arithmetic the GPU runs; what it cannot verify
 * (launch geometry, shared memory, shuffles, cuBLAS calls) is listed in
 * docs/gpu.md.
 *
 * Plain C99 and CUDA C++: no C-only or C++-only constructs. */
#ifndef TSF_GPU_KERNEL_MATH_H
#define TSF_GPU_KERNEL_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define TK_FN static inline __host__ __device__
#else
#define TK_FN static inline
#endif

#define TK_GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define TK_LN_EPS 1e-5f               /* as tsf_cpu_layernorm_forward */
#define TK_SIGMA_MIN 1e-4             /* TSF_NN_SIGMA_MIN */
#define TK_PI 3.14159265358979323846

/* ---- activations ---- */
TK_FN float tk_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* GELU, tanh approximation (Hendrycks & Gimpel 2016, eq. in sec. 2). */
TK_FN float tk_gelu(float x)
{
    return 0.5f * x * (1.0f + tanhf(TK_GELU_K * (x + 0.044715f * x * x * x)));
}

/* d gelu / dx of the same approximation. */
TK_FN float tk_gelu_grad(float x)
{
    float t = tanhf(TK_GELU_K * (x + 0.044715f * x * x * x));
    return 0.5f * (1.0f + t) +
           0.5f * x * (1.0f - t * t) * TK_GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
}

/* ---- GRU cell (Cho et al. 2014, PyTorch's form: r scales W_hn h + b_hn) ----
 * x* = input projections, h* = recurrent projections of gate r, z, n. */
TK_FN float tk_gru_fwd(float xr, float xz, float xn, float hr, float hz, float hn, float hp,
                       float *r, float *z, float *n)
{
    *r = tk_sigmoidf(xr + hr);
    *z = tk_sigmoidf(xz + hz);
    *n = tanhf(xn + *r * hn);
    return (1.0f - *z) * *n + *z * hp;
}

/* Backward of tk_gru_fwd for dh: gradients w.r.t. the pre-activations
 * (dx_r = dh_r, dx_z = dh_z, dx_n = dpn, dh_n = dpn * r); returns the
 * contribution dh * z to dh_prev. */
TK_FN float tk_gru_bwd(float dh, float r, float z, float n, float hn, float hp, float *dpr,
                       float *dpz, float *dpn)
{
    float dn = dh * (1.0f - z), dz = dh * (hp - n);
    *dpn = dn * (1.0f - n * n);
    *dpr = *dpn * hn * r * (1.0f - r);
    *dpz = dz * z * (1.0f - z);
    return dh * z;
}

/* ---- LSTM cell with forget gate (Gers et al. 2000), gate order i,f,g,o ---- */
TK_FN float tk_lstm_fwd(float pi, float pf, float pg, float po, float cp, float *i, float *f,
                        float *g, float *o, float *c)
{
    *i = tk_sigmoidf(pi);
    *f = tk_sigmoidf(pf);
    *g = tanhf(pg);
    *o = tk_sigmoidf(po);
    *c = *f * cp + *i * *g;
    return *o * tanhf(*c);
}

/* Backward: dh, dc (0 when none) -> pre-activation gradients; returns dc_prev. */
TK_FN float tk_lstm_bwd(float dh, float dc, float i, float f, float g, float o, float c,
                        float cp, float *dpi, float *dpf, float *dpg, float *dpo)
{
    float tc = tanhf(c);
    float dct = dc + dh * o * (1.0f - tc * tc);
    *dpi = dct * g * i * (1.0f - i);
    *dpf = dct * cp * f * (1.0f - f);
    *dpg = dct * i * (1.0f - g * g);
    *dpo = dh * tc * o * (1.0f - o);
    return dct * f;
}

/* ---- LayerNorm (Ba, Kiros & Hinton 2016) ----
 * The kernels reduce a row to sum and sum of squared deviations; these
 * turn the reductions into statistics and apply them. */
TK_FN float tk_ln_rstd(float sumsqdev, float C) { return 1.0f / sqrtf(sumsqdev / C + TK_LN_EPS); }

TK_FN float tk_ln_out(float x, float mean, float rstd, float w, float b)
{
    return (x - mean) * rstd * w + b;
}

/* dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = w * dout */
TK_FN float tk_ln_dx(float dxhat, float xhat, float rstd, float mean_dxhat, float mean_dxhat_xhat)
{
    return rstd * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
}

/* ---- attention (causal, ALiBi: Press, Smith & Lewis 2022) ---- */
TK_FN float tk_alibi_slope(int h, int NH) { return exp2f(-8.0f * (float)(h + 1) / (float)NH); }

/* Score of query i against key j (i - j = dist >= 0). */
TK_FN float tk_attn_score(float dot, float scale, float slope, int dist)
{
    return dot * scale - slope * (float)dist;
}

/* Online softmax (Milakov & Gimelshein 2018; FlashAttention, Dao et al.
 * 2022): the running max m and sum l of exp(s - m) absorb a tile whose
 * max is tmax; returns the factor exp(m_old - m_new) by which the running
 * sum and the output accumulator are rescaled (0 for the first tile). */
TK_FN float tk_online_rescale(float *m, float tmax)
{
    float mn = *m > tmax ? *m : tmax;
    float f = *m == -INFINITY ? 0.0f : expf(*m - mn);
    *m = mn;
    return f;
}

/* Softmax backward through one probability: dscore = a * (da - sum_j a_j da_j). */
TK_FN float tk_softmax_dscore(float a, float da, float dot_a_da) { return a * (da - dot_a_da); }

/* ---- distributional heads (double, as the CPU reference) ---- */
TK_FN double tk_softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }
TK_FN double tk_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Digamma for x > 0 (CUDA's math library has none): the recurrence
 * psi(x) = psi(x+1) - 1/x up to x >= 10, then the asymptotic series
 * (Abramowitz & Stegun 6.3.18) to x^-10, |error| < 1e-13 there. */
TK_FN double tk_digamma(double x)
{
    double r = 0.0;
    while (x < 10.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    double t = f * (-1.0 / 12 +
                    f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132)))));
    return r + log(x) - 0.5 / x + t;
}

/* Negative log density of y under the head with raw outputs o0, o1 (and o2
 * for Student-t), and weight * its gradient w.r.t. the raw outputs
 * (Gaussian: Salinas et al. 2020 sec. 3.1; Student-t as GluonTS).  student
 * is 0/1.  Identical formulae to tsf_cpu_head_loss. */
TK_FN double tk_head_nll(int student, float o0, float o1, float o2, float y, float weight,
                         float *d0, float *d1, float *d2)
{
    double mu = o0, s = tk_softplus(o1) + TK_SIGMA_MIN, z = (y - mu) / s;
    double l, dmu, ds;
    *d2 = 0.0f;
    if (!student) {
        l = 0.5 * log(2.0 * TK_PI) + log(s) + 0.5 * z * z;
        dmu = -z / s;
        ds = (1.0 - z * z) / s;
    } else {
        double nu = 2.0 + tk_softplus(o2), q = nu + z * z;
        l = -lgamma(0.5 * (nu + 1.0)) + lgamma(0.5 * nu) + 0.5 * log(nu * TK_PI) + log(s) +
            0.5 * (nu + 1.0) * log1p(z * z / nu);
        dmu = -(nu + 1.0) * z / (q * s);
        ds = (1.0 - (nu + 1.0) * z * z / q) / s;
        double dnu = -0.5 * tk_digamma(0.5 * (nu + 1.0)) + 0.5 * tk_digamma(0.5 * nu) +
                     0.5 / nu + 0.5 * log1p(z * z / nu) - 0.5 * (nu + 1.0) * z * z / (nu * q);
        *d2 = (float)(weight * dnu * tk_sigmoid(o2));
    }
    *d0 = (float)(weight * dmu);
    *d1 = (float)(weight * ds * tk_sigmoid(o1));
    return l;
}

TK_FN float tk_head_sigma(float o1) { return (float)(tk_softplus(o1) + TK_SIGMA_MIN); }
TK_FN float tk_head_nu(float o2) { return (float)(2.0 + tk_softplus(o2)); }

/* ---- wavenet: gated unit tanh(f) sigmoid(g) and its backward ---- */
TK_FN float tk_gated_fwd(float f, float g) { return tanhf(f) * tk_sigmoidf(g); }

TK_FN void tk_gated_bwd(float f, float g, float d, float *df, float *dg)
{
    float th = tanhf(f), sg = tk_sigmoidf(g);
    *df = d * sg * (1.0f - th * th);
    *dg = d * th * sg * (1.0f - sg);
}

/* ---- mixture of M <= 16 Gaussians, one position (as
 * tsf_cpu_mixture_loss): p = [logits | means | raw sigmas]; returns the
 * nll, d (3M) = weight * d nll / d p when not NULL ---- */
TK_FN double tk_mixture_nll(const float *p, size_t M, float y, float weight, float *d)
{
    double lc[16], s[16], u[16], mx = p[0], Z = 0.0, L = 0.0;
    for (size_t k = 1; k < M; k++) mx = p[k] > mx ? p[k] : mx;
    for (size_t k = 0; k < M; k++) Z += exp(p[k] - mx);
    Z = mx + log(Z);
    double cm = -INFINITY;
    for (size_t k = 0; k < M; k++) {
        s[k] = tk_softplus(p[2 * M + k]) + TK_SIGMA_MIN;
        u[k] = (y - (double)p[M + k]) / s[k];
        lc[k] = p[k] - Z - 0.5 * log(2.0 * TK_PI) - log(s[k]) - 0.5 * u[k] * u[k];
        cm = lc[k] > cm ? lc[k] : cm;
    }
    for (size_t k = 0; k < M; k++) L += exp(lc[k] - cm);
    L = cm + log(L);
    if (d)
        for (size_t k = 0; k < M; k++) {
            double r = exp(lc[k] - L), pi = exp(p[k] - Z);
            d[k] = (float)(weight * (pi - r));
            d[M + k] = (float)(weight * (-r * u[k] / s[k]));
            d[2 * M + k] = (float)(weight * r * (1.0 - u[k] * u[k]) / s[k] *
                                   tk_sigmoid(p[2 * M + k]));
        }
    return -L;
}

/* ---- binned head, one position (as tsf_cpu_binned_loss): N logits,
 * interior bins on [lo, hi], exponential tails of scale tau ---- */
#define TK_TAIL_FRAC 0.0625 /* TSF_NN_TAIL_FRAC */
TK_FN double tk_binned_nll(const float *p, size_t N, float y, float lo, float hi, float weight,
                           float *d)
{
    double mx = p[0], Z = 0.0, w = ((double)hi - lo) / (double)(N - 2);
    double tau = TK_TAIL_FRAC * ((double)hi - lo), ld;
    for (size_t k = 1; k < N; k++) mx = p[k] > mx ? p[k] : mx;
    for (size_t k = 0; k < N; k++) Z += exp((double)p[k] - mx);
    Z = mx + log(Z);
    size_t j;
    if (y < lo) {
        j = 0;
        ld = -log(tau) - ((double)lo - y) / tau;
    } else if (y > hi) {
        j = N - 1;
        ld = -log(tau) - ((double)y - hi) / tau;
    } else {
        double b = floor(((double)y - lo) / w);
        j = 1 + (b > (double)(N - 3) ? N - 3 : (size_t)b);
        ld = -log(w);
    }
    if (d)
        for (size_t k = 0; k < N; k++)
            d[k] = (float)(weight * (exp((double)p[k] - Z) - (k == j ? 1.0 : 0.0)));
    return -((double)p[j] - Z + ld);
}

/* ---- draws from the heads: the quantile of a pre-drawn uniform u (the
 * Gaussian head draws mu + sigma e from a pre-drawn normal instead).
 * The host (src/neural/cpu_head.c, tsf_cpu_head_draw) runs the same
 * functions for the mixture and binned heads, and GSL's Student-t
 * quantile, which tk_t_quantile is tested against. ---- */

/* Standard normal CDF and density. */
TK_FN double tk_phi_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }
TK_FN double tk_phi_pdf(double x) { return 0.39894228040143267794 * exp(-0.5 * x * x); }

/* lgamma(x) - ((x - 1/2) log x - x + log(2 pi)/2) for x >= 10: the
 * Stirling series B_2k / (2k (2k-1) x^(2k-1)) to x^-13 (the next term is
 * below 1e-16 there). */
TK_FN double tk_lgamma_corr(double x)
{
    double f = 1.0 / (x * x);
    return (1.0 / 12 +
            f * (-1.0 / 360 +
                 f * (1.0 / 1260 +
                      f * (-1.0 / 1680 + f * (1.0 / 1188 + f * (-691.0 / 360360 + f / 156)))))) /
           x;
}

/* log B(a, b) without the cancellation of lgamma(a) + lgamma(b) -
 * lgamma(a + b) when an argument is large (each lgamma is then far larger
 * than their sum): the Stirling forms' leading terms cancel analytically
 * (q = max, p = min). */
TK_FN double tk_lbeta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a, r = p / (p + q);
    if (q < 10.0) return lgamma(p) + lgamma(q) - lgamma(p + q);
    double cq = tk_lgamma_corr(q) - tk_lgamma_corr(p + q);
    if (p < 10.0) return lgamma(p) + cq + p - p * log(p + q) + (q - 0.5) * log1p(-r);
    return 0.91893853320467274178 - 0.5 * log(q) + tk_lgamma_corr(p) + cq + (p - 0.5) * log(r) +
           q * log1p(-r);
}

/* Regularised incomplete beta I_x(a, b), y = 1 - x given separately (so
 * that x near 1 keeps its precision): the continued fraction of DLMF
 * 8.17.22, d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
 * d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)), by the modified Lentz method; it
 * converges fast for x < (a+1)/(a+b+2), and I_x(a,b) = 1 - I_y(b,a)
 * covers the rest. */
TK_FN double tk_ibeta_cf(double a, double b, double x, double y)
{
    const double tiny = 1e-300;
    double lead = exp(a * log(x) + b * log(y) - tk_lbeta(a, b)) / a;
    double f = 1.0, C = 1.0, D = 0.0;
    for (int i = 1; i <= 400; i++) {
        int m = i / 2;
        double d = (i & 1) ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                           : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        D = 1.0 + d * D;
        if (fabs(D) < tiny) D = tiny;
        C = 1.0 + d / C;
        if (fabs(C) < tiny) C = tiny;
        D = 1.0 / D;
        double delta = C * D;
        f *= delta;
        if (fabs(delta - 1.0) < 1e-16) break;
    }
    return lead / f;
}

TK_FN double tk_ibeta(double a, double b, double x, double y)
{
    if (x <= 0.0) return 0.0;
    if (y <= 0.0) return 1.0;
    return x < (a + 1.0) / (a + b + 2.0) ? tk_ibeta_cf(a, b, x, y)
                                         : 1.0 - tk_ibeta_cf(b, a, y, x);
}

/* Student-t with nu degrees of freedom: the lower tail F(t) for t <= 0,
 * 0.5 I_{nu/(nu+t^2)}(nu/2, 1/2), and the density. */
TK_FN double tk_t_lower(double t, double nu)
{
    double t2 = t * t;
    return 0.5 * tk_ibeta(0.5 * nu, 0.5, nu / (nu + t2), t2 / (nu + t2));
}

TK_FN double tk_t_pdf(double t, double nu)
{
    /* 1 / (sqrt(nu) B(nu/2, 1/2)) (1 + t^2/nu)^(-(nu+1)/2) */
    return exp(-tk_lbeta(0.5 * nu, 0.5) - 0.5 * log(nu) - 0.5 * (nu + 1.0) * log1p(t * t / nu));
}

/* The u-quantile (0 < u < 1) of Student-t(nu): by symmetry the lower
 * tail p = min(u, 1 - u) <= 1/2 is solved for t <= 0.  A bracket
 * [lo, lo/2] with F(lo) < p <= F(lo/2) by doubling from -1 (the tails are
 * polynomial, so a factor of two is close), then Newton steps on
 * log F(t) - log p (its derivative f/F; near-linear in the tails) kept
 * inside the shrinking bracket, bisection when a step leaves it. */
TK_FN double tk_t_quantile(double u, double nu)
{
    double p = u < 0.5 ? u : 1.0 - u;
    if (!(p > 0.0)) return u < 0.5 ? -INFINITY : INFINITY;
    if (p == 0.5) return 0.0;
    double lo = -1.0, hi = 0.0;
    for (int i = 0; i < 1100 && tk_t_lower(lo, nu) >= p; i++) {
        hi = lo;
        lo *= 2.0;
    }
    double t = hi < 0.0 ? 0.5 * (lo + hi) : 0.5 * lo, lp = log(p);
    for (int it = 0; it < 200; it++) {
        double F = tk_t_lower(t, nu), g = log(F) - lp;
        if (g == 0.0) break;
        if (g < 0.0) lo = t;
        else hi = t;
        double tn = t - g * F / tk_t_pdf(t, nu);
        if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
        int done = fabs(tn - t) <= 1e-15 * (1.0 + fabs(t)) || hi - lo <= 1e-15 * fabs(lo);
        t = tn;
        if (done) break;
    }
    return u < 0.5 ? t : -t;
}

/* The u-quantile of a mixture of M <= 16 Gaussians, p = [logits | means |
 * raw sigmas] (as tk_mixture_nll): F(z) = sum_k w_k Phi((z - mu_k)/s_k)
 * is a weighted mean of the component CDFs, so the root lies between the
 * smallest and the largest component quantile; [min mu - 8 s, max mu +
 * 8 s] holds every u in [Phi(-8), 1 - Phi(-8)] and is widened otherwise.
 * Newton steps (F' is the density, > 0) inside the shrinking bracket,
 * bisection when a step leaves it.  Continuous in p, which the
 * fixed-point sampler needs. */
TK_FN double tk_mixture_quantile(const float *p, size_t M, double u)
{
    double w[16], s[16], mx = p[0], Z = 0.0, lo = INFINITY, hi = -INFINITY;
    for (size_t k = 1; k < M; k++) mx = p[k] > mx ? p[k] : mx;
    for (size_t k = 0; k < M; k++) Z += (w[k] = exp((double)p[k] - mx));
    for (size_t k = 0; k < M; k++) {
        w[k] /= Z;
        s[k] = tk_softplus(p[2 * M + k]) + TK_SIGMA_MIN;
        double a = (double)p[M + k] - 8.0 * s[k], b = (double)p[M + k] + 8.0 * s[k];
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    for (int i = 0; i < 64; i++) {
        double F = 0.0, Fh = 0.0, width = hi - lo;
        for (size_t k = 0; k < M; k++) {
            F += w[k] * tk_phi_cdf((lo - (double)p[M + k]) / s[k]);
            Fh += w[k] * tk_phi_cdf((hi - (double)p[M + k]) / s[k]);
        }
        if (F <= u && Fh >= u) break;
        if (F > u) lo -= width;
        if (Fh < u) hi += width;
    }
    double z = 0.5 * (lo + hi);
    for (int it = 0; it < 200 && hi - lo > 1e-13 * (1.0 + fabs(z)); it++) {
        double F = -u, f = 0.0;
        for (size_t k = 0; k < M; k++) {
            double v = (z - (double)p[M + k]) / s[k];
            F += w[k] * tk_phi_cdf(v);
            f += w[k] * tk_phi_pdf(v) / s[k];
        }
        if (F == 0.0) break;
        if (F < 0.0) lo = z;
        else hi = z;
        double zn = f > 0.0 ? z - F / f : lo - 1.0;
        if (!(zn > lo && zn < hi)) zn = 0.5 * (lo + hi);
        /* Newton converging from one side leaves the bracket wide: stop
         * when its step is below rounding */
        int done = fabs(zn - z) <= 1e-14 * (1.0 + fabs(z));
        z = zn;
        if (done) break;
    }
    return z;
}

/* The u-quantile of the binned density (as tk_binned_nll): the tails'
 * exponential CDFs P_0 exp(-(lo - z)/tau) and 1 - P_{N-1} exp(-(z -
 * hi)/tau), linear inside an interior bin.  The probabilities are formed
 * as the walk reaches them (no array of N: a GPU thread has no room for
 * one).  Continuous in the probabilities. */
TK_FN double tk_binned_quantile(const float *p, size_t N, float lo_f, float hi_f, double u)
{
    double lo = lo_f, hi = hi_f, w = (hi - lo) / (double)(N - 2), tau = TK_TAIL_FRAC * (hi - lo);
    double mx = p[0], Z = 0.0;
    for (size_t k = 1; k < N; k++) mx = p[k] > mx ? p[k] : mx;
    for (size_t k = 0; k < N; k++) Z += exp((double)p[k] - mx);
    double p0 = exp((double)p[0] - mx) / Z;
    if (u < p0) return lo + tau * log(u / p0);
    double cum = p0;
    for (size_t j = 1; j + 1 < N; j++) {
        double pj = exp((double)p[j] - mx) / Z;
        if (u < cum + pj) return lo + ((double)(j - 1) + (u - cum) / pj) * w;
        cum += pj;
    }
    /* upper tail: 1 - u = P_{N-1} exp(-(z - hi)/tau); cum may exceed u by
     * rounding: the tail's start */
    double r = (1.0 - u) / (exp((double)p[N - 1] - mx) / Z);
    return r < 1.0 ? hi - tau * log(r) : hi;
}

/* One draw of one row (k_head_draw): head 0 Gaussian (mu + sigma e, e a
 * standard normal), 1 Student-t, 2 mixture of n, 3 binned with n bins on
 * [lo, hi] (the quantile of the uniform e) -- tsf_nn_head's values. */
TK_FN double tk_head_draw(int head, const float *p, size_t n, float lo, float hi, double e)
{
    switch (head) {
    case 0: return (double)p[0] + (double)tk_head_sigma(p[1]) * e;
    case 1: return (double)p[0] + (double)tk_head_sigma(p[1]) * tk_t_quantile(e, tk_head_nu(p[2]));
    case 2: return tk_mixture_quantile(p, n, e);
    default: return tk_binned_quantile(p, n, lo, hi, e);
    }
}

/* ---- AdamW (Loshchilov & Hutter 2019, Algorithm 2), bias corrections
 * c1 = 1 - beta1^t, c2 = 1 - beta2^t; fp32 master weights ---- */
TK_FN float tk_adamw(float p, float g, float *m, float *v, float lr, float beta1, float beta2,
                     float eps, float wd, float c1, float c2)
{
    *m = beta1 * *m + (1.0f - beta1) * g;
    *v = beta2 * *v + (1.0f - beta2) * g * g;
    float mh = *m / c1, vh = *v / c2;
    return p - lr * (mh / (sqrtf(vh) + eps) + wd * p);
}

/* ---- the cuBLAS calls of the linear maps ----
 * Row-major (llm.c layout) on column-major cuBLAS: a row-major (R,C)
 * matrix is a column-major (C,R) one.  A plan names the operands (one of
 * inp (BT,C), weight (OC,C), dout (BT,OC)), their transposes and leading
 * dimensions, in cublasGemmEx's order; cuda_gemm.cu executes plans and
 * tests/test_kernel_math.c runs the same plans through column-major CBLAS
 * against the row-major CPU reference. */
enum { TK_INP = 0, TK_WEIGHT = 1, TK_DOUT = 2 };

typedef struct {
    int ta, tb;      /* 1: op(X) = X^T */
    int m, n, k;
    int a, lda, b, ldb, ldc;
    float beta;      /* 0: overwrite; 1: accumulate (+=) */
} tk_gemm_plan;

TK_FN tk_gemm_plan tk_plan(int ta, int tb, size_t m, size_t n, size_t k, int a, size_t lda, int b,
                           size_t ldb, size_t ldc, float beta)
{
    tk_gemm_plan p;
    p.ta = ta;
    p.tb = tb;
    p.m = (int)m;
    p.n = (int)n;
    p.k = (int)k;
    p.a = a;
    p.lda = (int)lda;
    p.b = b;
    p.ldb = (int)ldb;
    p.ldc = (int)ldc;
    p.beta = beta;
    return p;
}

/* out^T (OC,BT) = W^T' (OC,C) inp^T (C,BT) [+ out^T when the bias is preloaded] */
TK_FN tk_gemm_plan tk_plan_forward(size_t BT, size_t C, size_t OC, int bias)
{
    return tk_plan(1, 0, OC, BT, C, TK_WEIGHT, C, TK_INP, C, OC, bias ? 1.0f : 0.0f);
}

/* dinp^T (C,BT) += W^T (C,OC) dout^T (OC,BT) */
TK_FN tk_gemm_plan tk_plan_dinp(size_t BT, size_t C, size_t OC)
{
    return tk_plan(0, 0, C, BT, OC, TK_WEIGHT, C, TK_DOUT, OC, C, 1.0f);
}

/* dweight^T (C,OC) += inp^T (C,BT) dout (BT,OC) */
TK_FN tk_gemm_plan tk_plan_dweight(size_t BT, size_t C, size_t OC)
{
    return tk_plan(0, 1, C, OC, BT, TK_INP, C, TK_DOUT, OC, C, 1.0f);
}

/* ---- bfloat16: fp32 -> bf16 bits, round to nearest even (what
 * __float2bfloat16_rn does; NaN kept quiet), and back ---- */
TK_FN uint16_t tk_bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

TK_FN float tk_bf16_float(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

TK_FN float tk_bf16_round(float x) { return tk_bf16_float(tk_bf16_bits(x)); }

#endif
