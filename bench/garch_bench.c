/* bench/garch_vs_r.sh's tsf side.
 *   garch_bench fit SPEC FILE REPS   fits SPEC to the one-column CSV FILE
 *       REPS times; prints "CPU_SECONDS LOGLIK" of the fastest fit, timed
 *       in-process with the process CPU clock (user + system, as R's
 *       system.time) around tsf_fit alone
 *   garch_bench stream SPEC FILE N   fits once, then feeds the series
 *       through a tsf_state again and again, N updates in all; prints
 *       "UPDATES_PER_SECOND CHECK", CHECK being the first pass's summed log
 *       densities minus the fit's log-likelihood */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <tsf/tsf.h>
#include "core/internal.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 5 || (strcmp(argv[1], "fit") && strcmp(argv[1], "stream"))) {
        fprintf(stderr, "usage: garch_bench fit|stream SPEC FILE REPS|N\n");
        return 1;
    }
    long count = atol(argv[4]);
    tsf_frame *f = NULL;
    tsf_model *m = NULL;
    tsf_state *s = NULL;
    tsf_status st;
    if ((st = tsf_csv_read(argv[3], &f)) || (st = tsf_model_new(argv[2], &m))) {
        fprintf(stderr, "garch_bench: %s\n", tsf_errmsg());
        return 1;
    }
    const double *y = f->cols[0];
    size_t n = f->nrows;
    double best = 1e300;
    for (long r = 0; r < (!strcmp(argv[1], "fit") ? count : 1); r++) {
        double t0 = bench_cpu_now();
        st = tsf_fit(m, y, n, NULL, 0, NULL);
        double t1 = bench_cpu_now();
        if (st) {
            fprintf(stderr, "garch_bench: %s\n", tsf_errmsg());
            return 1;
        }
        if (t1 - t0 < best) best = t1 - t0;
    }
    tsf_fit_info info;
    tsf_model_info(m, &info);
    if (!strcmp(argv[1], "fit")) {
        printf("%.6f %.6f\n", best, info.loglik);
    } else {
        double sum = 0.0, first = 0.0, lp;
        long done = 0;
        double t0 = tsf_now();
        while (done < count) {
            tsf_state_free(s);
            if ((st = tsf_state_new(m, &s))) return 1;
            for (size_t t = 0; t < n && done < count; t++, done++) {
                tsf_state_update(s, y[t], &lp);
                sum += lp;
            }
            if (done == (long)n) first = sum;
        }
        printf("%.0f %.3g\n", (double)done / (tsf_now() - t0), first - info.loglik);
    }
    tsf_state_free(s);
    tsf_model_free(m);
    tsf_frame_free(f);
    return 0;
}
