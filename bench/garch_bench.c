/* Streaming speed of a fitted GARCH state (bench/garch_vs_r.sh runs it):
 * fits SPEC to the one-column CSV FILE, then feeds the series through a
 * tsf_state again and again, N updates in all, and prints
 * "updates_per_second LOGLIK_CHECK" where the check is the first pass's
 * summed log densities minus the fit's log-likelihood.
 *   garch_bench SPEC FILE [N] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <tsf/tsf.h>
#include "core/internal.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 3) {
        fprintf(stderr, "usage: garch_bench SPEC FILE [N]\n");
        return 1;
    }
    long total = argc > 3 ? atol(argv[3]) : 10000000L;
    tsf_frame *f = NULL;
    tsf_model *m = NULL;
    tsf_state *s = NULL;
    tsf_status st;
    if ((st = tsf_csv_read(argv[2], &f)) || (st = tsf_model_new(argv[1], &m)) ||
        (st = tsf_fit(m, f->cols[0], f->nrows, NULL, 0, NULL))) {
        fprintf(stderr, "garch_bench: %s\n", tsf_errmsg());
        return 1;
    }
    tsf_fit_info info;
    tsf_model_info(m, &info);
    const double *y = f->cols[0];
    size_t n = f->nrows;
    double sum = 0.0, first = 0.0, lp;
    long done = 0;
    double t0 = tsf_now();
    while (done < total) {
        tsf_state_free(s);
        if ((st = tsf_state_new(m, &s))) return 1;
        for (size_t t = 0; t < n && done < total; t++, done++) {
            tsf_state_update(s, y[t], &lp);
            sum += lp;
        }
        if (done == (long)n) first = sum;
    }
    double secs = tsf_now() - t0;
    printf("%.0f %.3g\n", (double)done / secs, first - info.loglik);
    tsf_state_free(s);
    tsf_model_free(m);
    tsf_frame_free(f);
    return 0;
}
