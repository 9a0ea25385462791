/* Training-step and sampling throughput of the neural CPU reference, for
 * bench/neural_vs_torch.sh.  Usage:
 *   neural_bench ARCH HIDDEN LAYERS HEADS CONTEXT BATCH STEPS [SAMPLES HORIZON [PRECISION]]
 * ARCH is gru, lstm, transformer, transformer-additive (attention=additive),
 * transformer-cross (cross=true with two regressors, an AR(1) and a dummy)
 * or wavenet (HIDDEN = channels = skip
 * channels, kernel 2, one stack; HEADS unused).  Prints one JSON line:
 *   {"steps_per_s", "ms_per_step", "cpu_steps_per_s", "sample_steps_per_s",
 *    "cpu_sample_steps_per_s", "recompute_sample_steps_per_s", "maxrss_mb",
 *    "nparams"}
 * recompute_*: wavenet only (else 0), sampling without the queues: every
 * step a fresh state fed the receptive field's last inputs.
 * (cpu_*: per CPU-second of this process, for loaded machines)
 * The data are windows of a simulated AR(2) series (scaled), as training
 * sees them; the timed loop is exactly the trainer's step: forward,
 * backward, gradient norm, AdamW, on the backend a fit with --device cpu
 * and PRECISION (fp32 or bf16, default fp32) trains on (its name is
 * printed as "backend"); sampling runs on the fitted model's backend, the
 * fp32 reference, as after a fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "neural/device.h"
#include "neural/neural.h"
#include "bench_util.h"
#include "neural_bench.h"


int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s ARCH HIDDEN LAYERS HEADS CONTEXT BATCH STEPS [SAMPLES H]\n",
                argv[0]);
        return 1;
    }
    tsf_nn_config cfg;
    int wn = bench_nn_config(argv, &cfg);
    size_t B = (size_t)atoi(argv[6]), T = (size_t)cfg.context;
    int steps = atoi(argv[7]);
    size_t S = argc > 8 ? (size_t)atoi(argv[8]) : 200, H = argc > 9 ? (size_t)atoi(argv[9]) : 24;
    tsf_precision prec = argc > 10 && !strcmp(argv[10], "bf16") ? TSF_PRECISION_BF16
                                                                : TSF_PRECISION_FP32;
    const tsf_nn_backend *be;
    tsf_nn *nn, *tn;
    tsf_nn_acts *acts;
    if (tsf_nn_backend_get(TSF_DEVICE_CPU, prec, &be) || tsf_nn_new(&cfg, &nn) ||
        tsf_nn_new_on(&cfg, be, &tn) || tsf_nn_acts_new(tn, B, T, &acts)) {
        fprintf(stderr, "%s\n", tsf_errmsg());
        return 1;
    }
    tsf_nn_init(nn, 1);
    memcpy(tn->params, nn->params, nn->nparams * sizeof *nn->params);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    float *x, *y;
    double *z = bench_nn_windows(nn, B, T, r, &x, &y);
    size_t np = nn->nparams;
    float *g = calloc(np, sizeof *g), *m = calloc(np, sizeof *m), *v = calloc(np, sizeof *v);
    double t0 = 0.0, c0 = 0.0;
    for (int s = -2; s < steps; s++) { /* two warm-up steps */
        if (s == 0) {
            t0 = tsf_now();
            c0 = bench_cpu_now();
        }
        bench_nn_step(be, tn, acts, x, y, B, T, g, m, v, s);
    }
    memcpy(nn->params, tn->params, np * sizeof *nn->params);
    double dt = tsf_now() - t0, dc = bench_cpu_now() - c0;
    /* sampling: S paths, H steps after a history of T values */
    tsf_nn_stream *s1, *sN;
    double *paths = malloc(S * H * sizeof *paths);
    tsf_nn_stream_new(nn, 1.0, 1, &s1);
    for (size_t t = 0; t < T; t++) tsf_nn_stream_update(s1, z[t], NULL, NULL);
    double t1 = tsf_now(), c1 = bench_cpu_now();
    tsf_nn_stream_fork(s1, S, &sN);
    tsf_nn_stream_sample(sN, H, r, paths);
    double ds = tsf_now() - t1, dsc = bench_cpu_now() - c1, rs = 0.0;
    if (wn) { /* the same sampling, recomputing the receptive field each step */
        size_t RF = ((size_t)1 << cfg.layers), F = nn->nin, n0 = T, nt = n0 + H;
        double *yy = malloc(S * nt * sizeof *yy);
        float *xx = malloc(S * F * sizeof *xx), *oo = malloc(S * nn->K * sizeof *oo);
        for (size_t b = 0; b < S; b++) memcpy(yy + b * nt, z, n0 * sizeof *yy);
        const tsf_nn_head_ops *hd = tsf_nn_head_get(cfg.head);
        double t2 = tsf_now();
        for (size_t p = n0; p < nt; p++) {
            tsf_nn_run *run;
            if (tsf_nn_run_new(nn, S, &run)) return 1;
            for (size_t q = p + 1 - RF; q <= p; q++) {
                for (size_t b = 0; b < S; b++)
                    tsf_nn_input(nn, yy[b * nt + q - 1], NAN, NULL, xx + b * F);
                tsf_nn_run_step(nn, run, xx, oo);
            }
            tsf_nn_run_free(run);
            for (size_t b = 0; b < S; b++)
                yy[b * nt + p] = hd->draw(&cfg, oo + b * nn->K, tsf_nn_noise(hd, r));
        }
        rs = (double)(S * H) / (tsf_now() - t2);
        free(yy); free(xx); free(oo);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"steps_per_s\": %.3f, \"ms_per_step\": %.2f, \"cpu_steps_per_s\": %.3f, "
           "\"sample_steps_per_s\": %.0f, \"cpu_sample_steps_per_s\": %.0f, "
           "\"recompute_sample_steps_per_s\": %.0f, \"maxrss_mb\": %.1f, \"nparams\": %zu, "
           "\"acts_mb\": %.1f, \"backend\": \"%s\"}\n",
           steps / dt, 1e3 * dt / steps, steps / dc, (double)(S * H) / ds,
           (double)(S * H) / dsc, rs, ru.ru_maxrss / 1024.0, np,
           (double)acts->size * sizeof(float) / 1e6, be->name);
    tsf_nn_stream_free(s1);
    tsf_nn_stream_free(sN);
    tsf_nn_acts_free(acts);
    tsf_nn_free(tn);
    tsf_nn_free(nn);
    gsl_rng_free(r);
    free(z); free(x); free(y); free(g); free(m); free(v); free(paths);
    return 0;
}
