/* ETS estimation: the usual bounds, maximum likelihood by Nelder-Mead and
 * selection by AICc (the admissible region and the initial states:
 * ets_space.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_poly.h>
#include <gsl/gsl_linalg.h>
#include "ets.h"

/* R's "usual" bounds (forecast::ets defaults lower = c(rep(1e-4, 3), 0.8),
 * upper = c(rep(0.9999, 3), 0.98)). */
#define LO 1e-4
#define HI 0.9999
#define PHI_LO 0.8
#define PHI_HI 0.98

int tsf_ets_params_ok(const tsf_ets_form *f, double alpha, double beta, double gamma,
                      double phi)
{
    if (!(alpha >= LO && alpha <= HI)) return 0;
    if (f->trend != ETS_N && !(beta >= LO && beta <= HI && beta <= alpha)) return 0;
    if (f->season != ETS_N && !(gamma >= LO && gamma <= HI && gamma <= 1.0 - alpha)) return 0;
    if (f->damped && !(phi >= PHI_LO && phi <= PHI_HI)) return 0;
    return tsf_ets_admissible(f, alpha, beta, gamma, f->damped ? phi : 1.0);
}

/* The optimiser's vector: alpha, beta, gamma, phi (those present), l0,
 * b0, s0..s(m-2); s(m-1) normalises the seasonal states to sum 0 (A) or
 * m (M). */
typedef struct {
    tsf_ets_par par;
    const double *y;
    size_t n;
    int np, ns;         /* smoothing parameters, free states */
    double scale[2 + TSF_ETS_MAXM + 4], origin[2 + TSF_ETS_MAXM + 4];
    int evals;
} ets_problem;

/* The smoothing parameters are optimised on logit scales that map onto
 * the usual region (alpha in [LO, HI], beta in [LO, alpha], gamma in
 * [LO, 1 - alpha], phi in [PHI_LO, PHI_HI]): the simplex moves freely and
 * optima on a bound (gamma = 1e-4 is common) are approached smoothly. */
static double squash(double v, double lo, double hi) { return lo + (hi - lo) / (1.0 + exp(-v)); }

static double unsquash(double x, double lo, double hi)
{
    double t = hi > lo ? (x - lo) / (hi - lo) : 0.5;
    t = fmin(fmax(t, 1e-6), 1.0 - 1e-6);
    return log(t / (1.0 - t));
}

static void unpack(ets_problem *q, const double *u)
{
    tsf_ets_par *p = &q->par;
    const tsf_ets_form *f = &p->f;
    double v[2 + TSF_ETS_MAXM + 4];
    int dim = q->np + q->ns, k = 0;
    for (int i = 0; i < dim; i++) v[i] = q->origin[i] + q->scale[i] * u[i];
    p->alpha = squash(v[k++], LO, HI);
    if (f->trend != ETS_N) p->beta = squash(v[k++], LO, p->alpha);
    if (f->season != ETS_N) p->gamma = squash(v[k++], LO, 1.0 - p->alpha);
    if (f->damped) p->phi = squash(v[k++], PHI_LO, PHI_HI);
    memcpy(p->x0, v + k, (size_t)q->ns * sizeof *v);
    if (f->season != ETS_N) {
        int s0 = q->ns - (f->m - 1);
        double s = 0.0;
        for (int i = 0; i < f->m - 1; i++) s += p->x0[s0 + i];
        p->x0[s0 + f->m - 1] = (f->season == ETS_A ? 0.0 : f->m) - s;
    }
}

#define PENALTY 1e100

/* R's opt.crit = "lik": n log(SSE) + 2 sum log|mu| (the negative
 * concentrated log-likelihood, times 2, less a constant). */
static double objective(const gsl_vector *x, void *ctx)
{
    ets_problem *q = ctx;
    q->evals++;
    unpack(q, x->data);
    const tsf_ets_par *p = &q->par;
    const tsf_ets_form *f = &p->f;
    if (!tsf_ets_params_ok(f, p->alpha, p->beta, p->gamma, p->phi)) return PENALTY;
    if (f->season == ETS_M) {
        int s0 = 1 + (f->trend != ETS_N);
        for (int i = 0; i < f->m; i++)
            if (!(p->x0[s0 + i] > 0.0)) return PENALTY;
    }
    double sse, lm;
    size_t k;
    if (tsf_ets_filter(p, q->y, q->n, &sse, &lm, &k) || k == 0 || !(sse > 0.0))
        return PENALTY;
    double v = (double)k * log(sse) + 2.0 * lm;
    return isfinite(v) ? v : PENALTY;
}

#define BUDGET 2000 /* R's maxit: likelihood evaluations of the search */

/* Nelder-Mead (GSL nmsimplex2) on the scaled vector from u.  refine = 0:
 * one simplex with at most BUDGET evaluations (the budget of R's search).
 * refine = 1: up to three simplexes of 3 BUDGET evaluations each,
 * restarted from the optimum until a restart gains nothing (a simplex
 * collapses early in 10-20 dimensions). */
static int minimise(ets_problem *q, double *u, int refine)
{
    size_t dim = (size_t)(q->np + q->ns);
    const gsl_multimin_fminimizer_type *T = gsl_multimin_fminimizer_nmsimplex2;
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(T, dim);
    gsl_vector *x = gsl_vector_alloc(dim), *step = gsl_vector_alloc(dim);
    if (!s || !x || !step) {
        gsl_multimin_fminimizer_free(s);
        gsl_vector_free(x);
        gsl_vector_free(step);
        return -1;
    }
    gsl_multimin_function fn = {objective, dim, q};
    double best = objective(&(gsl_vector){dim, 1, u, NULL, 0}, q);
    int converged = 0;
    for (int round = 0; round < (refine ? 3 : 1); round++) {
        for (size_t i = 0; i < dim; i++) gsl_vector_set(x, i, u[i]);
        gsl_vector_set_all(step, round == 0 ? 1.0 : 0.3);
        q->evals = 0;
        if (gsl_multimin_fminimizer_set(s, &fn, x, step) != GSL_SUCCESS) break;
        int status = GSL_CONTINUE;
        double tol = refine ? 1e-3 : 1e-5;
        /* also stop when the best value has not moved by 1e-8 (relative,
         * as R's reltol) over 20 dim + 50 iterations: a simplex creeping
         * along a bound */
        double last = HUGE_VAL; /* (the minimiser's value is set by iterate only) */
        int still = 0;
        while (q->evals < (refine ? 3 * BUDGET : BUDGET) && status == GSL_CONTINUE) {
            if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS) break;
            status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), tol);
            double fm = gsl_multimin_fminimizer_minimum(s);
            if (fm < last - 1e-8 * (fabs(last) + 1e-8)) {
                last = fm;
                still = 0;
            } else if (++still > 20 * (int)dim + 50) {
                status = GSL_SUCCESS;
            }
        }
        double f = gsl_multimin_fminimizer_minimum(s);
        int gain = f < best - 1e-7 * (fabs(best) + 1.0);
        if (f < best) {
            best = f;
            for (size_t i = 0; i < dim; i++) u[i] = gsl_vector_get(s->x, i);
        }
        converged = status == GSL_SUCCESS;
        if (!gain && round > 0) break;
    }
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(x);
    gsl_vector_free(step);
    unpack(q, u);
    q->par.converged = converged;
    return best < PENALTY ? 0 : -1;
}

/* Starting smoothing parameters inside the usual region: a slow level,
 * slower slope and season, almost no damping. */
static void start_params(const tsf_ets_form *f, double *v, int *k)
{
    double m = f->season != ETS_N ? f->m : 1.0;
    double alpha = LO + 0.2 * (HI - LO) / m;
    v[(*k)++] = alpha;
    if (f->trend != ETS_N) v[(*k)++] = LO + 0.1 * (alpha - LO);
    if (f->season != ETS_N) v[(*k)++] = LO + 0.05 * (1.0 - alpha - LO);
    if (f->damped) v[(*k)++] = PHI_LO + 0.99 * (PHI_HI - PHI_LO);
}

/* The optimiser's vector of p (smoothing parameters, free states). */
static int pack(const tsf_ets_par *p, double *v)
{
    const tsf_ets_form *f = &p->f;
    int k = 0;
    v[k++] = unsquash(p->alpha, LO, HI);
    if (f->trend != ETS_N) v[k++] = unsquash(p->beta, LO, p->alpha);
    if (f->season != ETS_N) v[k++] = unsquash(p->gamma, LO, 1.0 - p->alpha);
    if (f->damped) v[k++] = unsquash(p->phi, PHI_LO, PHI_HI);
    int ns = tsf_ets_nstate(f) - (f->season != ETS_N);
    memcpy(v + k, p->x0, (size_t)ns * sizeof *v);
    return k;
}

/* Statistics of a fitted p: sigma^2 (MLE and R's), exact loglik. */
static int finish(tsf_ets_par *p, const double *y, size_t n)
{
    double sse, lm;
    size_t nobs;
    if (tsf_ets_filter(p, y, n, &sse, &lm, &nobs)) return -1;
    double nn = (double)nobs;
    p->nobs = nobs;
    p->sigma2ml = sse / nn;
    /* R divides by n less the estimated parameters other than sigma^2 */
    int npar = tsf_ets_npar(&p->f) - 1;
    p->sigma2 = nobs > (size_t)npar ? sse / (nn - npar) : sse / nn;
    p->loglik = -0.5 * nn * (log(2.0 * M_PI * p->sigma2ml) + 1.0) - lm;
    return isfinite(p->loglik) && p->sigma2ml > 0.0 ? 0 : -1;
}

/* Profiled initial states.  Without a multiplicative season the
 * recursions are linear in the state (ets_core.c: l = T + alpha e, ..., with
 * e = y - mu for either error type), so for fixed smoothing parameters the
 * one-step forecasts are affine in the free initial states z (l, b,
 * s0..s(m-2); s(m-1) = -sum of the others):  mu_t = a_t + c_t'z.  The
 * additive-error likelihood is then maximised over z by least squares (the
 * concentrated likelihood of HKOS sec. 5.2 in the smoothing parameters
 * alone), and the multiplicative-error one approximately, by least squares
 * of the relative errors (weights 1/y_t^2, then once 1/mu_t^2; the sum of
 * log mu_t left out), which the joint search then polishes. */
typedef struct {
    tsf_ets_par par;
    const double *y;
    size_t n;
    int np, k;      /* smoothing parameters, free states */
    double *mu;     /* a_t (n), then c_t (n x k, row t at n + t k) */
    gsl_permutation *perm; /* of the modified Cholesky factorisation */
    double x0h[2 + TSF_ETS_MAXM]; /* heuristic initial states (HKOS sec. 2.6.1) */
    int evals;
} ets_profile;

/* x0 from the free states z */
static void free_to_x0(const tsf_ets_form *f, const double *z, double *x0)
{
    int k = 1 + (f->trend != ETS_N), i;
    memcpy(x0, z, (size_t)k * sizeof *z);
    if (f->season == ETS_N) return;
    double s = 0.0;
    for (i = 0; i < f->m - 1; i++) s += x0[k + i] = z[k + i];
    x0[k + f->m - 1] = -s;
}

/* One pass of the linear recursions: a_t (the forecasts from z = 0) into
 * q->mu and c_t = d mu_t / d z into q->mu + n + t k.  The derivatives of
 * the state follow the same recursions with e replaced by -c_t (e = 0
 * where y is missing); only the level, slope and current seasonal rows
 * change at each step. */
static void linear_pass(ets_profile *q)
{
    const tsf_ets_par *p = &q->par;
    const tsf_ets_form *f = &p->f;
    int k = q->k, tr = f->trend != ETS_N, sea = f->season != ETS_N, m = sea ? f->m : 1;
    double L[2 + TSF_ETS_MAXM] = {0}, B[2 + TSF_ETS_MAXM] = {0};
    double S[TSF_ETS_MAXM][2 + TSF_ETS_MAXM];
    double l = 0.0, bb = 0.0, s[TSF_ETS_MAXM] = {0}, phi = tr ? p->phi : 0.0;
    /* z = (l, b, s0..s(m-2)); ring slot i holds s(m-1-i), slot 0 s(m-1) = -sum */
    L[0] = 1.0;
    if (tr) B[1] = 1.0;
    if (sea) {
        int z0 = 1 + tr;
        memset(S, 0, sizeof S);
        for (int j = z0; j < k; j++) S[0][j] = -1.0;
        for (int i = 1; i < m; i++) S[i][z0 + m - 1 - i] = 1.0;
    }
    size_t n = q->n, r = 0;
    double *c = q->mu + n;
    for (size_t t = 0; t < n; t++, c += k) {
        double T = l + phi * bb, mu = T + (sea ? s[r] : 0.0);
        q->mu[t] = mu;
        for (int j = 0; j < k; j++) c[j] = L[j] + phi * B[j] + (sea ? S[r][j] : 0.0);
        double e = isnan(q->y[t]) ? 0.0 : q->y[t] - mu;
        l = T + p->alpha * e;
        bb = phi * bb + p->beta * e;
        if (sea) s[r] += p->gamma * e;
        if (!isnan(q->y[t])) {
            for (int j = 0; j < k; j++) {
                double d = -c[j], Tj = L[j] + phi * B[j];
                L[j] = Tj + p->alpha * d;
                B[j] = phi * B[j] + p->beta * d;
                if (sea) S[r][j] += p->gamma * d;
            }
        } else {
            for (int j = 0; j < k; j++) L[j] += phi * B[j], B[j] *= phi;
        }
        if (sea && ++r == (size_t)m) r = 0;
    }
}

/* The profiled states of q->par's smoothing parameters into q->par.x0,
 * and the criterion n log SSE + 2 sum log mu there into *crit; 0, or -1
 * when the normal equations are singular or a forecast leaves the
 * model's range. */
static int profile_states(ets_profile *q, double *crit)
{
    tsf_ets_par *p = &q->par;
    const tsf_ets_form *f = &p->f;
    size_t n = q->n;
    int k = q->k, mult = f->error == ETS_M;
    double z[2 + TSF_ETS_MAXM] = {0}, A[(2 + TSF_ETS_MAXM) * (2 + TSF_ETS_MAXM)],
           b[2 + TSF_ETS_MAXM];
    linear_pass(q);
    const double *C = q->mu + n;
    for (int it = 0; it < (mult ? 2 : 1); it++) {
        memset(A, 0, (size_t)(k * k) * sizeof *A);
        memset(b, 0, (size_t)k * sizeof *b);
        for (size_t t = 0; t < n; t++) {
            if (isnan(q->y[t])) continue;
            const double *c = C + t * (size_t)k;
            /* relative errors: weights 1/y_t^2 (the data are positive
             * under a multiplicative error), then 1/mu_t^2 from the
             * previous round's forecasts */
            double w = mult ? 1.0 / (q->y[t] * q->y[t]) : 1.0, r = q->y[t] - q->mu[t];
            if (it > 0) {
                double m = q->mu[t];
                for (int j = 0; j < k; j++) m += c[j] * z[j];
                if (!(m > 0.0)) return -1;
                w = 1.0 / (m * m);
            }
            for (int i = 0; i < k; i++) {
                double ci = w * c[i];
                b[i] += ci * r;
                for (int j = 0; j <= i; j++) A[i * k + j] += ci * c[j];
            }
        }
        /* the non-seasonal forms (level, slope) in closed form: GSL's
         * factorisations go through BLAS, whose per-call buffer allocation
         * costs more than the solve at this size */
        if (k <= 2) {
            double det = k == 1 ? A[0] : A[0] * A[3] - A[2] * A[2];
            if (!(A[0] > 0.0) || !(det > (k == 1 ? 0.0 : 1e-12 * A[0] * A[3]))) return -1;
            if (k == 1) {
                z[0] = b[0] / A[0];
            } else {
                z[0] = (A[3] * b[0] - A[2] * b[1]) / det;
                z[1] = (A[0] * b[1] - A[2] * b[0]) / det;
            }
            continue;
        }
        /* modified Cholesky (GSL): a nearly singular system is solved with
         * a small diagonal correction instead of failing */
        gsl_matrix_view Av = gsl_matrix_view_array(A, (size_t)k, (size_t)k);
        gsl_vector_view bv = gsl_vector_view_array(b, (size_t)k), zv = gsl_vector_view_array(z, (size_t)k);
        if (gsl_linalg_mcholesky_decomp(&Av.matrix, q->perm, NULL) ||
            gsl_linalg_mcholesky_solve(&Av.matrix, q->perm, &bv.vector, &zv.vector))
            return -1;
    }
    free_to_x0(f, z, p->x0);
    double sse = 0.0, lm = 0.0, prod = 1.0;
    size_t cnt = 0;
    for (size_t t = 0; t < n; t++) {
        if (isnan(q->y[t])) continue;
        const double *c = C + t * (size_t)k;
        double mu = q->mu[t];
        for (int j = 0; j < k; j++) mu += c[j] * z[j];
        double e = q->y[t] - mu;
        if (mult) {
            if (!(mu > 0.0)) return -1;
            e /= mu;
            /* sum log mu as logs of products of 8, as tsf_ets_filter */
            prod *= mu;
            if ((cnt & 7) == 7 || !(prod > 1e-100 && prod < 1e100)) {
                lm += log(prod);
                prod = 1.0;
            }
        }
        sse += e * e;
        cnt++;
    }
    lm += log(prod);
    if (cnt == 0 || !(sse > 0.0)) return -1;
    *crit = (double)cnt * log(sse) + 2.0 * lm;
    return isfinite(*crit) ? 0 : -1;
}

/* Sets the smoothing parameters of p from the logit vector v. */
static void smoothing_from(tsf_ets_par *p, const double *v)
{
    const tsf_ets_form *f = &p->f;
    int k = 0;
    p->alpha = squash(v[k++], LO, HI);
    if (f->trend != ETS_N) p->beta = squash(v[k++], LO, p->alpha);
    if (f->season != ETS_N) p->gamma = squash(v[k++], LO, 1.0 - p->alpha);
    if (f->damped) p->phi = squash(v[k++], PHI_LO, PHI_HI);
}

/* The criterion of the smoothing parameters with the states profiled. */
static double profile_objective(const gsl_vector *x, void *ctx)
{
    ets_profile *q = ctx;
    q->evals++;
    tsf_ets_par *p = &q->par;
    smoothing_from(p, x->data);
    if (!tsf_ets_params_ok(&p->f, p->alpha, p->beta, p->gamma, p->phi)) return PENALTY;
    double v;
    if (profile_states(q, &v)) {
        /* a multiplicative error's approximate profile can put a forecast
         * at or below zero: the heuristic states instead */
        if (p->f.error != ETS_M) return PENALTY;
        memcpy(p->x0, q->x0h, sizeof q->x0h);
        double sse, lm;
        size_t k;
        if (tsf_ets_filter(p, q->y, q->n, &sse, &lm, &k) || k == 0 || !(sse > 0.0))
            return PENALTY;
        v = (double)k * log(sse) + 2.0 * lm;
    }
    return isfinite(v) ? v : PENALTY;
}

/* Nelder-Mead over the smoothing parameters alone from the best of a few
 * starting points (slow and fast levels, slow and faster seasons: the
 * concentrated likelihood often has two local optima, a slowly adapting
 * level with a faster season and the other way round), into *out with its
 * profiled states; 0 on success. */
static int fit_profiled(const tsf_ets_form *f, const double *y, size_t n, tsf_ets_par *out)
{
    ets_profile q;
    memset(&q, 0, sizeof q);
    q.par.f = *f;
    q.par.phi = 1.0;
    q.y = y;
    q.n = n;
    q.k = tsf_ets_nstate(f) - (f->season != ETS_N);
    int np = 1 + (f->trend != ETS_N) + (f->season != ETS_N) + f->damped;
    q.np = np;
    q.mu = malloc((size_t)(q.k + 1) * n * sizeof *q.mu); /* a_t, then the c_t */
    q.perm = gsl_permutation_alloc((size_t)q.k);
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2,
                                                               (size_t)np);
    gsl_vector *x = gsl_vector_alloc((size_t)np), *step = gsl_vector_alloc((size_t)np);
    int rc = -1;
    if (!q.mu || !q.perm || !s || !x || !step || tsf_ets_initial_states(&q.par, y, n)) goto done;
    memcpy(q.x0h, q.par.x0, sizeof q.x0h);
    /* starting points: alpha, beta / alpha, gamma / (1 - alpha), phi */
    static const double starts[][4] = {
        {0.1, 0.1, 0.05, 0.97}, {0.5, 0.1, 0.02, 0.97}, {0.9, 0.05, 0.01, 0.97},
        {0.3, 0.3, 0.3, 0.9},   {0.05, 0.5, 0.5, 0.9},
    };
    double best = PENALTY, bv[4] = {0}, v[4];
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        int j = 0;
        double a = starts[i][0];
        v[j++] = unsquash(a, LO, HI);
        if (f->trend != ETS_N) v[j++] = unsquash(LO + starts[i][1] * (a - LO), LO, a);
        if (f->season != ETS_N)
            v[j++] = unsquash(LO + starts[i][2] * (1.0 - a - LO), LO, 1.0 - a);
        if (f->damped) v[j++] = unsquash(starts[i][3], PHI_LO, PHI_HI);
        double o = profile_objective(&(gsl_vector){(size_t)np, 1, v, NULL, 0}, &q);
        if (o < best) {
            best = o;
            memcpy(bv, v, sizeof v);
        }
    }
    if (!(best < PENALTY)) goto done;
    gsl_multimin_function fn = {profile_objective, (size_t)np, &q};
    /* a simplex from the best start, then one restart from its optimum
     * with a smaller simplex (a collapsed simplex stops short) */
    int status = GSL_CONTINUE;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < np; i++) gsl_vector_set(x, (size_t)i, bv[i]);
        gsl_vector_set_all(step, round ? 0.1 : 1.0);
        if (gsl_multimin_fminimizer_set(s, &fn, x, step) != GSL_SUCCESS) goto done;
        int still = 0;
        double last = HUGE_VAL;
        status = GSL_CONTINUE;
        q.evals = 0;
        while (q.evals < BUDGET && status == GSL_CONTINUE) {
            if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS) break;
            status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), round ? 1e-6 : 1e-3);
            /* a parameter running to its bound (logit to infinity) never
             * shrinks the simplex: stop when the value has not moved */
            double fm = gsl_multimin_fminimizer_minimum(s);
            if (fm < last - 1e-10 * (fabs(last) + 1e-8)) {
                last = fm;
                still = 0;
            } else if (++still > (round ? 10 : 5) * (np + 1)) {
                status = GSL_SUCCESS;
            }
        }
        for (int i = 0; i < np; i++) bv[i] = gsl_vector_get(s->x, (size_t)i);
    }
    best = gsl_multimin_fminimizer_minimum(s);
    if (!(best < PENALTY)) goto done;
    /* optima on a bound (phi = 0.98, beta = 1e-4, ..) are approached
     * only asymptotically on the logit scale: a parameter within 1% of
     * its range from a bound is tried on the bound itself */
    for (int i = 0; i < np; i++) {
        if (fabs(bv[i]) < 4.6) continue; /* logit(0.99) */
        memcpy(v, bv, sizeof v);
        v[i] = bv[i] > 0 ? 40.0 : -40.0;
        double o = profile_objective(&(gsl_vector){(size_t)np, 1, v, NULL, 0}, &q);
        if (o < best) {
            best = o;
            memcpy(bv, v, sizeof v);
        }
    }
    profile_objective(&(gsl_vector){(size_t)np, 1, bv, NULL, 0}, &q);
    q.par.converged = status == GSL_SUCCESS;
    if (finish(&q.par, y, n) == 0) {
        *out = q.par;
        rc = 0;
    }
done:
    free(q.mu);
    gsl_permutation_free(q.perm);
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(x);
    gsl_vector_free(step);
    return rc;
}

/* Fits one form by maximum likelihood from *start (NULL: the heuristic
 * start) into *out: a budgeted search (refine = 0) or restarted simplexes
 * to convergence (refine = 1); 0 on success. */
static int fit_form(const tsf_ets_form *f, const double *y, size_t n, int refine,
                    const tsf_ets_par *start, tsf_ets_par *out)
{
    ets_problem q;
    memset(&q, 0, sizeof q);
    q.y = y;
    q.n = n;
    int k = 0;
    if (start) {
        q.par = *start;
        k = pack(start, q.origin);
    } else {
        q.par.f = *f;
        q.par.phi = 1.0;
        if (tsf_ets_initial_states(&q.par, y, n)) return -1;
        start_params(f, q.origin, &k);
        tsf_ets_par sp = q.par;
        int j = 0;
        sp.alpha = q.origin[j++];
        if (f->trend != ETS_N) sp.beta = q.origin[j++];
        if (f->season != ETS_N) sp.gamma = q.origin[j++];
        if (f->damped) sp.phi = q.origin[j++];
        pack(&sp, q.origin);
    }
    q.np = k;
    q.ns = tsf_ets_nstate(f) - (f->season != ETS_N);
    for (int i = 0; i < q.ns; i++) q.origin[k + i] = q.par.x0[i];
    { /* scales: the smoothing parameters' range, the states' size */
        double sd = 0.0, mean = 0.0;
        size_t cnt = 0;
        for (size_t t = 0; t < n; t++)
            if (!isnan(y[t])) {
                mean += y[t];
                cnt++;
            }
        mean /= (double)cnt;
        for (size_t t = 0; t < n; t++)
            if (!isnan(y[t])) sd += (y[t] - mean) * (y[t] - mean);
        sd = sqrt(sd / (double)cnt);
        if (!(sd > 0.0)) sd = fabs(mean) > 0.0 ? fabs(mean) : 1.0;
        for (int i = 0; i < k; i++) q.scale[i] = 1.0;
        for (int i = 0; i < q.ns; i++) q.scale[k + i] = 0.1 * sd;
        if (f->trend != ETS_N) q.scale[k + 1] = 0.01 * sd;
        if (f->season == ETS_M)
            for (int i = 1 + (f->trend != ETS_N); i < q.ns; i++) q.scale[k + i] = 0.05;
    }
    double u[2 + TSF_ETS_MAXM + 4] = {0};
    if (minimise(&q, u, refine) || finish(&q.par, y, n)) return -1;
    *out = q.par;
    return 0;
}

/* One candidate of the selection: the profiled search where the states
 * enter linearly (approximate under a multiplicative error: the chosen
 * model is polished jointly afterwards), the joint search from the
 * heuristic start otherwise. */
static int fit_candidate(const tsf_ets_form *f, const double *y, size_t n, tsf_ets_par *out)
{
    if (f->season == ETS_M || fit_profiled(f, y, n, out))
        return fit_form(f, y, n, 0, NULL, out);
    return 0;
}

void tsf_ets_ic(const tsf_ets_par *p, double *aic, double *aicc, double *bic)
{
    tsf_info_criteria(p->loglik, tsf_ets_npar(&p->f), (double)p->nobs, aic, aicc, bic);
}

/* Refines a fit to convergence: the profiled additive-error fits are at
 * their optimum already (up to the search's tolerance); the others are
 * searched jointly from it, and a multiplicative season also from a
 * fast-adapting start (a simplex rarely crosses from slow to fast
 * smoothing: a second local optimum); 0 when searched. */
static int refine_fit(const double *y, size_t n, tsf_ets_par *best)
{
    tsf_ets_par r, s0 = *best;
    if (best->f.season != ETS_M && best->f.error == ETS_A) return -1;
    if (fit_form(&best->f, y, n, 1, &s0, &r) == 0 && r.loglik > best->loglik) *best = r;
    if (best->f.season != ETS_M) return 0;
    s0 = *best;
    if (tsf_ets_initial_states(&s0, y, n)) return 0;
    s0.alpha = 0.9;
    s0.beta = s0.f.trend != ETS_N ? 0.01 : 0.0;
    s0.gamma = s0.f.season != ETS_N ? 0.01 : 0.0;
    if (fit_form(&best->f, y, n, 0, &s0, &r) == 0 && r.loglik > best->loglik) {
        s0 = r;
        if (fit_form(&best->f, y, n, 1, &s0, &r) == 0 && r.loglik > s0.loglik) *best = r;
        else *best = s0;
    }
    return 0;
}

tsf_status tsf_ets_select(const tsf_ets_choice *c, const char *spec, const double *y, size_t n,
                          int period, tsf_ets_par *best, tsf_ets_trace *trace)
{
    unsigned errors = c->errors, seasons = c->seasons;
    size_t nobs = 0, bad = n;
    for (size_t t = 0; t < n; t++) {
        if (isnan(y[t])) continue;
        nobs++;
        if (!(y[t] > 0.0) && bad == n) bad = t;
    }
    if (nobs == 0) return tsf_set_error(TSF_EINVAL, "%s: the series has no observed values", spec);
    int fixed_e = errors == (1u << ETS_M), fixed_s = seasons == (1u << ETS_M);
    if (bad < n) {
        if (fixed_e || fixed_s)
            return tsf_set_error(TSF_EINVAL, "%s: multiplicative %s needs strictly positive "
                                 "data, but observation %zu is %g; use an additive model "
                                 "(e.g. ets(AAA)) or ets",
                                 spec, fixed_e ? "error" : "seasonality", bad + 1, y[bad]);
        errors &= ~(1u << ETS_M);
        seasons &= ~(1u << ETS_M);
    }
    int seasonal_only = !(seasons & 1u);
    if (period <= 1 || period > TSF_ETS_MAXM || nobs <= (size_t)period) {
        if (seasonal_only) {
            if (period <= 1)
                return tsf_set_error(TSF_EINVAL, "%s: a seasonal model needs a period above 1 "
                                     "(give one with [s] or --period)", spec);
            if (period > TSF_ETS_MAXM)
                return tsf_set_error(TSF_EINVAL, "%s: period %d is too high for a seasonal "
                                     "ETS model (at most %d); use season N", spec, period,
                                     TSF_ETS_MAXM);
            return tsf_set_error(TSF_EINVAL, "%s: %zu observations are not more than one "
                                 "period (%d); use season N", spec, nobs, period);
        }
        seasons = 1u;
    }
    int m = (seasons & ~1u) ? period : 1;
    best->loglik = NAN;
    double best_ic = INFINITY;
    trace->n = 0;
    for (int e = ETS_A; e <= ETS_M; e++) {
        if (!(errors & (1u << e))) continue;
        for (int tr = ETS_N; tr <= ETS_A; tr++) {
            if (!(c->trends & (1u << tr))) continue;
            for (int d = 0; d <= 1; d++) {
                if (d && tr == ETS_N) continue;
                if (tr == ETS_A && c->damped >= 0 && d != c->damped) continue;
                for (int s = ETS_N; s <= ETS_M; s++) {
                    if (!(seasons & (1u << s))) continue;
                    /* R's restrict = TRUE: additive error with
                     * multiplicative season only when asked for */
                    if (e == ETS_A && s == ETS_M && !fixed_s) continue;
                    tsf_ets_form f = {e, tr, s, d, s != ETS_N ? m : 1};
                    /* forecast::ets skips a model with too few observations
                     * for its parameters */
                    if (nobs <= (size_t)(tsf_ets_npar(&f) - 1 + 4)) continue;
                    tsf_ets_par p;
                    double aic, aicc = 1e300, bic;
                    if (fit_candidate(&f, y, n, &p) == 0) {
                        tsf_ets_ic(&p, &aic, &aicc, &bic);
                        if (aicc < best_ic) {
                            best_ic = aicc;
                            *best = p;
                        }
                    }
                    if (trace->n < sizeof trace->aicc / sizeof trace->aicc[0]) {
                        tsf_ets_label(&f, trace->labels[trace->n], sizeof trace->labels[0]);
                        trace->aicc[trace->n++] = isfinite(aicc) ? aicc : 1e300;
                    }
                }
            }
        }
    }
    if (isnan(best->loglik)) {
        if (trace->n == 0)
            return tsf_set_error(TSF_EINVAL, "%s: %zu observations are too few for the ETS "
                                 "models asked for (a model needs more than its parameters "
                                 "+ 4)", spec, nobs);
        return tsf_set_error(TSF_ENOCONV, "%s: no ETS model could be fitted to the data", spec);
    }
    /* the chosen model's estimates, refined to convergence */
    refine_fit(y, n, best);
    return TSF_OK;
}
