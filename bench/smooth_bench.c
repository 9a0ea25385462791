/* Fits an ARIMA spec to a CSV column (header line, one value per line,
 * empty or NA = missing), then times tsf_smooth on it (CPU seconds, best
 * of reps) and prints, for bench/impute.sh:
 *   seconds S             (best of reps)
 *   first S               (the first call: it also page-faults its fresh
 *                         result memory)
 *   coef NAME VALUE ...   sigma2 V
 *   mean T VALUE          (the smoothed means of the first 5 missing rows)
 * usage: smooth_bench SPEC FILE.csv [reps] */
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
        fprintf(stderr, "usage: smooth_bench SPEC FILE.csv [reps]\n");
        return 1;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    size_t n;
    double *y = bench_read_values(argv[2], &n);
    if (!y) return 1;
    tsf_model *m;
    tsf_status st = tsf_model_new(argv[1], &m);
    if (!st) st = tsf_fit(m, y, n, NULL, 1, NULL);
    if (st) {
        fprintf(stderr, "%s\n", tsf_errmsg());
        return 1;
    }
    double best = INFINITY, first = 0.0;
    tsf_smooth_result *res = NULL;
    for (int r = 0; r < reps; r++) {
        tsf_smooth_free(res);
        double t0 = bench_cpu_now();
        if ((st = tsf_smooth(m, y, n, NULL, &res))) {
            fprintf(stderr, "%s\n", tsf_errmsg());
            return 1;
        }
        double dt = bench_cpu_now() - t0;
        if (dt < best) best = dt;
        if (r == 0) first = dt;
    }
    tsf_fit_info info;
    tsf_model_info(m, &info);
    printf("seconds %.6f\nfirst %.6f\ncoef", best, first);
    for (size_t i = 0; i < info.ncoef; i++) printf(" %s %.17g", info.coef_names[i], info.coef[i]);
    printf("\nsigma2 %.17g\n", info.sigma2);
    for (size_t t = 0, k = 0; t < n && k < 5; t++)
        if (isnan(y[t])) {
            printf("mean %zu %.10g\n", t + 1, res->mean[t]);
            k++;
        }
    tsf_smooth_free(res);
    tsf_model_free(m);
    free(y);
    return 0;
}
