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

/* CPU seconds of this process: robust to other load on the machine. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: arima_bench SPEC FILE.csv [reps] [period]\n");
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", argv[2]);
        return 1;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3, period = argc > 4 ? atoi(argv[4]) : 1;
    size_t n = 0, cap = 1024;
    double *y = malloc(cap * sizeof *y);
    char line[256];
    if (!fgets(line, sizeof line, f)) return 1;
    while (fgets(line, sizeof line, f)) {
        char *c = strrchr(line, ',');
        c = c ? c + 1 : line;
        while (*c == '"') c++;
        char *e;
        double v = strtod(c, &e);
        if (n == cap) y = realloc(y, (cap *= 2) * sizeof *y);
        y[n++] = e == c ? NAN : v;
    }
    fclose(f);
    double best = INFINITY;
    tsf_fit_info info;
    for (int r = 0; r < reps; r++) {
        tsf_model *m;
        if (tsf_model_new(argv[1], &m)) {
            fprintf(stderr, "%s\n", tsf_errmsg());
            return 1;
        }
        double t0 = cpu_now();
        if (tsf_fit(m, y, n, NULL, period, NULL)) {
            fprintf(stderr, "fit: %s\n", tsf_errmsg());
            return 2;
        }
        double dt = cpu_now() - t0;
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
