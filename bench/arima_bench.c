/* Fits an ARIMA spec to one numeric column of a CSV file (header line,
 * one value per line, empty or NA = missing) and prints the fit time,
 * in CPU seconds, repeated `reps` times (best time reported), and the
 * log-likelihood:
 *   arima_bench SPEC FILE.csv [reps] [period] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tsf/tsf.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: arima_bench SPEC FILE.csv [reps] [period]\n");
        return 1;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3, period = argc > 4 ? atoi(argv[4]) : 1;
    size_t n;
    double *y = bench_read_values(argv[2], &n);
    if (!y) return 1;
    double best = INFINITY;
    tsf_fit_info info;
    for (int r = 0; r < reps; r++) {
        tsf_model *m;
        if (tsf_model_new(argv[1], &m)) {
            fprintf(stderr, "%s\n", tsf_errmsg());
            return 1;
        }
        double t0 = bench_cpu_now();
        if (tsf_fit(m, y, n, NULL, period, NULL)) {
            fprintf(stderr, "fit: %s\n", tsf_errmsg());
            return 2;
        }
        double dt = bench_cpu_now() - t0;
        if (dt < best) best = dt;
        tsf_model_info(m, &info);
        if (r == reps - 1) {
            printf("seconds %.6f loglik %.6f converged %d coef", best, info.loglik, info.converged);
            for (size_t i = 0; i < info.ncoef; i++) printf(" %s=%.5f", info.coef_names[i], info.coef[i]);
            printf("\n");
        }
        tsf_model_free(m);
    }
    free(y);
    return 0;
}
