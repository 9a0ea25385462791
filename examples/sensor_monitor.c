/* Streaming anomaly detection with tsf_state: values arrive on standard
 * input one per line; each gets its one-step log density log p(y_t | past)
 * from tsf_state_update (O(1) per value) and a flag when that density is
 * below a threshold.
 *
 *   sensor_monitor MODEL.safetensors            < values.txt
 *   sensor_monitor -m SPEC [-n NFIT]            < values.txt
 *   options: -t LOGP   flag values with log density below LOGP (default: a
 *                      value 4 predictive standard deviations from the
 *                      one-step forecast, i.e. log N(4 sd; 0, sd^2))
 *            -s FILE   resume from the state saved in FILE when it exists,
 *                      and save the state there at the end of input
 *                      (tsf_state_save / tsf_state_load): a monitor can be
 *                      stopped and started again without replaying history
 *
 * With -m the model is fitted to the first NFIT values (default 100), which
 * are then replayed through the state before monitoring goes on.  An empty
 * line or NA is a missing value (density 0, never flagged).
 * Output: index, value, log density, and ANOMALY where flagged. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <tsf/tsf.h>

static int fail(tsf_status st)
{
    fprintf(stderr, "sensor_monitor: %s: %s\n", tsf_strerror(st), tsf_errmsg());
    return 1;
}

/* Reads one value; returns 0 at end of input, -1 on a bad line. */
static int read_value(double *v, size_t line)
{
    char buf[256];
    if (!fgets(buf, sizeof buf, stdin)) return 0;
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0] || !strcmp(buf, "NA")) {
        *v = NAN;
        return 1;
    }
    char *end;
    errno = 0;
    *v = strtod(buf, &end);
    if (end == buf || *end || errno || !isfinite(*v)) {
        fprintf(stderr, "sensor_monitor: line %zu: '%s' is not a number\n", line, buf);
        return -1;
    }
    return 1;
}

/* Log density threshold for the next value: a 4-sd miss of the forecast. */
static double next_threshold(tsf_state *st, double fixed)
{
    if (!isnan(fixed)) return fixed;
    const double lv = 95.0;
    tsf_forecast_result *fc = NULL;
    double thr = -INFINITY;
    if (tsf_state_forecast(st, 1, &lv, 1, NULL, &fc) == TSF_OK) {
        /* se is NaN on a transformed scale: recover it from the 95% band. */
        double sd = isfinite(fc->se[0]) ? fc->se[0] : (fc->upper[0] - fc->lower[0]) / (2 * 1.959964);
        if (sd > 0) thr = -0.5 * log(2 * M_PI * sd * sd) - 8.0;
    }
    tsf_forecast_free(fc);
    return thr;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *spec = NULL, *file = NULL, *statefile = NULL;
    long nfit = 100;
    double fixed = NAN;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) spec = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) nfit = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) fixed = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) statefile = argv[++i];
        else if (argv[i][0] != '-') file = argv[i];
        else {
            fprintf(stderr, "usage: sensor_monitor (MODEL.safetensors | -m SPEC [-n NFIT]) "
                            "[-t LOGP] [-s STATE] < values\n");
            return 1;
        }
    }
    if (!spec == !file || nfit < 2 || (statefile && !file)) {
        fprintf(stderr, "sensor_monitor: give a model file or -m SPEC (with -n >= 2); -s "
                        "needs a model file\n");
        return 1;
    }
    tsf_model *m = NULL;
    tsf_status st;
    double *head = NULL;
    size_t nhead = 0, line = 0;
    if (file) {
        if ((st = tsf_load(file, &m))) return fail(st);
    } else {
        if (!(head = malloc((size_t)nfit * sizeof *head))) return 1;
        int r;
        while (nhead < (size_t)nfit && (r = read_value(&head[nhead], ++line)) == 1) nhead++;
        if (r < 0 || (st = tsf_model_new(spec, &m)) || (st = tsf_fit(m, head, nhead, NULL, 0, NULL))) {
            free(head);
            tsf_model_free(m);
            return r < 0 ? 1 : fail(st);
        }
    }
    tsf_state *s = NULL;
    FILE *probe = statefile ? fopen(statefile, "rb") : NULL;
    if (probe) fclose(probe);
    if ((st = probe ? tsf_state_load(m, statefile, &s) : tsf_state_new(m, &s))) {
        free(head);
        tsf_model_free(m);
        return fail(st);
    }
    size_t flagged = 0, t = 0;
    int r = 1;
    for (;;) {
        double v;
        if (t < nhead) v = head[t];
        else if ((r = read_value(&v, ++line)) != 1) break;
        double thr = next_threshold(s, fixed), lp;
        if ((st = tsf_state_update(s, v, &lp))) {
            r = -1;
            fail(st);
            break;
        }
        int bad = !isnan(v) && lp < thr;
        flagged += (size_t)bad;
        if (isnan(v)) printf("%zu\tNA\t0\n", ++t);
        else printf("%zu\t%g\t%.4f%s\n", ++t, v, lp, bad ? "\tANOMALY" : "");
    }
    fprintf(stderr, "sensor_monitor: %zu values, %zu flagged\n", t, flagged);
    if (r >= 0 && statefile && (st = tsf_state_save(s, statefile))) r = -1, fail(st);
    tsf_state_free(s);
    tsf_model_free(m);
    free(head);
    return r < 0 ? 1 : 0;
}
