/* tsf's side of bench/gpu_vs_torch.sh: training and sampling throughput
 * of one network on one backend, and the speed of the transformer's GEMM
 * shapes, printed as one JSON line.
 *
 *   tsf_gpu_bench train ARCH HIDDEN LAYERS HEADS CONTEXT BATCH DEVICE PRECISION [STEPS]
 *   tsf_gpu_bench gemm  D CONTEXT BATCH DEVICE PRECISION [REPS]
 *
 * ARCH gru|lstm|transformer|wavenet (wavenet: HIDDEN = residual = skip
 * channels, kernel 2, one stack; HEADS unused); DEVICE cpu|cuda;
 * PRECISION fp32|tf32|bf16.
 * train: STEPS (default 20) AdamW steps after 3 warm-up steps on windows
 * of a simulated AR(2) series -> windows/s; then 1024 paths sampled 64
 * steps ahead -> path-steps/s.  gemm: forward and backward of the four
 * linear maps of a transformer block at BT = BATCH * CONTEXT -> TFLOP/s.
 * Every timing ends with the backend's sync, so queued GPU work counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "neural/device.h"
#include "neural/net.h"

static int die(const char *what)
{
    fprintf(stderr, "tsf_gpu_bench: %s: %s\n", what, tsf_errmsg());
    return 1;
}

static int parse_dev(const char *d, const char *p, const tsf_nn_backend **be)
{
    tsf_device dev = !strcmp(d, "cuda") ? TSF_DEVICE_CUDA : TSF_DEVICE_CPU;
    tsf_precision pr = !strcmp(p, "bf16")   ? TSF_PRECISION_BF16
                       : !strcmp(p, "tf32") ? TSF_PRECISION_TF32
                                            : TSF_PRECISION_FP32;
    return tsf_nn_backend_get(dev, pr, be) != TSF_OK;
}

static void sync_or_die(const tsf_nn_backend *be)
{
    char msg[256];
    if (be->sync(msg, sizeof msg)) {
        fprintf(stderr, "tsf_gpu_bench: device error: %s\n", msg);
        exit(1);
    }
}

static int bench_train(int argc, char **argv)
{
    if (argc < 10) return 2;
    tsf_nn_config cfg = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN,
                         .hidden = atoi(argv[3]), .layers = atoi(argv[4]),
                         .heads = atoi(argv[5]), .context = atoi(argv[6]), .period = 1};
    if (!strcmp(argv[2], "lstm")) cfg.arch = &tsf_nn_arch_lstm;
    if (!strcmp(argv[2], "transformer")) cfg.arch = &tsf_nn_arch_transformer;
    if (!strcmp(argv[2], "wavenet")) {
        cfg.arch = &tsf_nn_arch_wavenet;
        cfg.hp[0] = cfg.hidden;
        cfg.hp[1] = 2;
        cfg.hp[2] = 1;
    }
    size_t B = (size_t)atoi(argv[7]), T = (size_t)cfg.context;
    int steps = argc > 10 ? atoi(argv[10]) : 20;
    const tsf_nn_backend *be;
    if (parse_dev(argv[8], argv[9], &be)) return die("backend");
    tsf_nn *nn, *host;
    tsf_nn_acts *acts;
    if (tsf_nn_new(&cfg, &host) || tsf_nn_new_on(&cfg, be, &nn) ||
        tsf_nn_acts_new(nn, B, T, &acts))
        return die("network");
    tsf_nn_init(host, 1);
    be->upload(nn->params, host->params, nn->nparams);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t n = B * T + 2, np = nn->nparams, F = nn->nin;
    double *z = malloc(n * sizeof *z);
    float *x = malloc(B * T * F * sizeof *x), *y = malloc(B * T * sizeof *y);
    if (!r || !z || !x || !y) return die("memory");
    z[0] = z[1] = 0.0;
    for (size_t t = 2; t < n; t++) z[t] = 0.6 * z[t - 1] + 0.25 * z[t - 2] + gsl_ran_gaussian(r, 1);
    for (size_t i = 0; i < B * T; i++) {
        tsf_nn_input(nn, z[i + 1], NAN, NULL, x + i * F);
        y[i] = (float)z[i + 2];
    }
    float *g = be->alloc(np), *m = be->alloc(np), *v = be->alloc(np);
    if (!g || !m || !v) return die("optimiser memory");
    double t0 = 0.0, loss = 0.0;
    for (int s = -3; s < steps; s++) { /* three warm-up steps */
        if (s == 0) {
            sync_or_die(be);
            t0 = tsf_now();
        }
        be->zero(g, np);
        loss = tsf_nn_forward_backward(nn, acts, x, y, B, T, NULL, g, 1.0f / (float)(B * T));
        double gn = sqrt(be->sumsq(g, np));
        if (gn > 5.0) be->scale(g, (float)(5.0 / gn), np);
        be->adamw_update(nn->params, g, m, v, np, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, s + 4);
    }
    sync_or_die(be);
    double dt = tsf_now() - t0;
    /* sampling: S paths, H steps, one network step per position */
    size_t S = 1024, H = 64, K = tsf_nn_head_k(cfg.head);
    tsf_nn_run *run;
    if (tsf_nn_run_new(nn, S, &run)) return die("run state");
    float *xs = calloc(S * F, sizeof *xs), *o = malloc(S * K * sizeof *o);
    if (!xs || !o) return die("memory");
    double t1 = tsf_now();
    for (size_t h = 0; h < H; h++) {
        tsf_nn_run_step(nn, run, xs, o);
        for (size_t b = 0; b < S; b++) {
            double sg = o[b * K + 1] > 20 ? o[b * K + 1] : log1p(exp(o[b * K + 1]));
            tsf_nn_input(nn, o[b * K] + sg * gsl_ran_gaussian_ziggurat(r, 1.0), NAN, NULL, xs + b * F);
        }
    }
    sync_or_die(be);
    double ds = tsf_now() - t1;
    printf("{\"tool\": \"tsf\", \"arch\": \"%s\", \"hidden\": %d, \"layers\": %d, \"context\": %d, "
           "\"batch\": %zu, \"backend\": \"%s\", \"nparams\": %zu, \"final_loss\": %.6g, "
           "\"train_windows_per_s\": %.1f, \"ms_per_step\": %.3f, "
           "\"sample_path_steps_per_s\": %.0f}\n",
           argv[2], cfg.hidden, cfg.layers, cfg.context, B, be->name, np, loss / (double)(B * T),
           (double)(B * (size_t)steps) / dt, 1e3 * dt / steps, (double)(S * H) / ds);
    tsf_nn_run_free(run);
    be->free(g); be->free(m); be->free(v);
    tsf_nn_acts_free(acts);
    tsf_nn_free(nn);
    tsf_nn_free(host);
    gsl_rng_free(r);
    free(z); free(x); free(y); free(xs); free(o);
    return 0;
}

static int bench_gemm(int argc, char **argv)
{
    if (argc < 7) return 2;
    size_t C = (size_t)atoi(argv[2]), BT = (size_t)atoi(argv[3]) * (size_t)atoi(argv[4]);
    int reps = argc > 7 ? atoi(argv[7]) : 20;
    const tsf_nn_backend *be;
    if (parse_dev(argv[5], argv[6], &be)) return die("backend");
    /* the block's linear maps: qkv (C -> 3C), proj (C -> C), fc (C -> 4C), mlp proj (4C -> C) */
    const size_t shp[4][2] = {{C, 3 * C}, {C, C}, {C, 4 * C}, {4 * C, C}};
    float *in = be->alloc(BT * 4 * C), *out = be->alloc(BT * 4 * C), *w = be->alloc(16 * C * C);
    float *dw = be->alloc(16 * C * C), *din = be->alloc(BT * 4 * C), *b = be->alloc(4 * C);
    if (!in || !out || !w || !dw || !din || !b) return die("GPU memory");
    double flops = 0.0, t0 = 0.0;
    for (int r = -2; r < reps; r++) {
        if (r == 0) {
            sync_or_die(be);
            t0 = tsf_now();
        }
        for (int k = 0; k < 4; k++) {
            size_t i = shp[k][0], o = shp[k][1];
            be->matmul_forward(out, in, w, b, BT, i, o);
            be->matmul_backward(din, dw, NULL, out, in, w, BT, i, o);
            if (r >= 0) flops += 3.0 * 2.0 * (double)BT * (double)i * (double)o;
        }
    }
    sync_or_die(be);
    double dt = tsf_now() - t0;
    printf("{\"tool\": \"tsf\", \"what\": \"transformer block GEMMs\", \"d\": %zu, \"BT\": %zu, "
           "\"backend\": \"%s\", \"tflops\": %.2f}\n", C, BT, be->name, flops / dt / 1e12);
    be->free(in); be->free(out); be->free(w); be->free(dw); be->free(din); be->free(b);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc > 1 && !strcmp(argv[1], "train")) rc = bench_train(argc, argv);
    else if (argc > 1 && !strcmp(argv[1], "gemm")) rc = bench_gemm(argc, argv);
    if (rc == 2)
        fprintf(stderr, "usage: %s train ARCH HIDDEN LAYERS HEADS CONTEXT BATCH cpu|cuda "
                "fp32|tf32|bf16 [STEPS]\n       %s gemm D CONTEXT BATCH cpu|cuda "
                "fp32|tf32|bf16 [REPS]\n", argv[0], argv[0]);
    return rc;
}
