/* One product through the fp32 oneDNN table and through the bf16 table's
 * workspace (every product in bf16: built with -DTSF_WS_ALL_BF16 by
 * bench/onednn_rule.sh): the fastest single call of each, interleaved,
 * since the machine is shared.
 *   onednn_rule BT C OC OP   (OP 0: forward, 1: backward data, 2: weight gradient) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "neural/backend.h"
#include "neural/onednn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void run(const tsf_nn_backend *be, void *ws, int op, float *o, const float *x,
                const float *P, float *di, float *dw, size_t BT, size_t C, size_t OC)
{
    const float *b = P + OC * C;
    if (ws) {
        if (op == 0) be->matmul_forward_ws(ws, o, x, P, b, BT, C, OC);
        if (op == 1) be->matmul_backward_ws(ws, di, NULL, NULL, o, x, P, BT, C, OC);
        if (op == 2) be->matmul_backward_ws(ws, NULL, dw, NULL, o, x, P, BT, C, OC);
    } else {
        if (op == 0) be->matmul_forward(o, x, P, b, BT, C, OC);
        if (op == 1) be->matmul_backward(di, NULL, NULL, o, x, P, BT, C, OC);
        if (op == 2) be->matmul_backward(NULL, dw, NULL, o, x, P, BT, C, OC);
    }
}

int main(int argc, char **argv)
{
    const tsf_nn_backend *f, *b;
    if (argc != 5 || tsf_nn_backend_onednn(TSF_PRECISION_FP32, &f) ||
        tsf_nn_backend_onednn(TSF_PRECISION_BF16, &b)) {
        fprintf(stderr, "usage: onednn_rule BT C OC OP (needs oneDNN with bf16)\n");
        return 1;
    }
    size_t BT = strtoul(argv[1], NULL, 10), C = strtoul(argv[2], NULL, 10),
           OC = strtoul(argv[3], NULL, 10);
    int op = atoi(argv[4]);
    size_t np = OC * C + OC;
    float *P = malloc(np * sizeof *P), *x = malloc(BT * C * sizeof *x),
          *o = malloc(BT * OC * sizeof *o), *di = calloc(BT * C, sizeof *di),
          *dw = calloc(OC * C, sizeof *dw);
    void *ws = b->workspace_create(P, np);
    if (!P || !x || !o || !di || !dw || !ws) return 1;
    for (size_t i = 0; i < np; i++) P[i] = 0.2f * ((float)rand() / (float)RAND_MAX - 0.5f);
    for (size_t i = 0; i < BT * C; i++) x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (size_t i = 0; i < BT * OC; i++) o[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    b->workspace_update(ws);
    long reps = 5 * ((long)(2e8 / ((double)BT * (double)C * (double)OC)) + 5);
    double tf = 1e9, tb = 1e9;
    for (long i = 0; i < reps; i++) {
        double t0 = now();
        run(f, NULL, op, o, x, P, di, dw, BT, C, OC);
        double t1 = now();
        run(b, ws, op, o, x, P, di, dw, BT, C, OC);
        double t2 = now();
        if (t1 - t0 < tf) tf = t1 - t0;
        if (t2 - t1 < tb) tb = t2 - t1;
    }
    static const char *const name[] = {"forward", "dinp", "dweight"};
    printf("%-8s BT=%-5zu C=%-4zu OC=%-4zu fp32 %8.1f us  bf16 %8.1f us  %5.2fx\n",
           name[op % 3], BT, C, OC, tf * 1e6, tb * 1e6, tf / tb);
    b->workspace_free(ws);
    free(P); free(x); free(o); free(di); free(dw);
    return 0;
}
