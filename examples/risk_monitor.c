/* A one-step value-at-risk monitor over a fitted volatility model
 * (garch): returns arrive on standard input, one per line.  Before each
 * return the state's one-step forecast gives VaR at the chosen level; the
 * return then updates the conditional variance (tsf_state_update, O(p+q))
 * and the line is flagged ALARM when the return fell below -VaR.
 *
 *   tsf fit -m "garch(1,1, dist=t)" --returns log -c DAX -o m.safetensors prices.csv
 *   risk_monitor [-l 99] [-s STATE] m.safetensors < returns.txt
 *
 *   -l LEVEL  VaR level in percent (default 99)
 *   -s FILE   resume from the state saved in FILE when it exists and save
 *             the state there at the end of input
 *
 * Output (tab-separated): index, return, log density, VaR, ALARM.  VaR is
 * the loss not exceeded with probability LEVEL: minus the (100-LEVEL)%
 * quantile of the one-step predictive distribution, which is the lower end
 * of its two-sided (2 LEVEL - 100)% interval. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <tsf/tsf.h>

static int fail(tsf_status st)
{
    fprintf(stderr, "risk_monitor: %s: %s\n", tsf_strerror(st), tsf_errmsg());
    return 1;
}

static double next_var(tsf_state *s, double level)
{
    const double lv = 2.0 * level - 100.0;
    tsf_forecast_result *fc = NULL;
    double v = NAN;
    if (tsf_state_forecast(s, 1, &lv, 1, NULL, &fc) == TSF_OK) v = -fc->lower[0];
    tsf_forecast_free(fc);
    return v;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *model = NULL, *statefile = NULL;
    double level = 99.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-l") && i + 1 < argc) level = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) statefile = argv[++i];
        else if (argv[i][0] != '-' && !model) model = argv[i];
        else {
            fprintf(stderr, "usage: risk_monitor [-l LEVEL] [-s STATE] MODEL.safetensors "
                            "< returns\n");
            return 1;
        }
    }
    if (!model || !(level > 50.0 && level < 100.0)) {
        fprintf(stderr, "risk_monitor: give a model file and a level in (50, 100)\n");
        return 1;
    }
    tsf_model *m = NULL;
    tsf_state *s = NULL;
    tsf_status st = tsf_load(model, &m);
    if (st) return fail(st);
    if (statefile && access(statefile, F_OK) == 0) st = tsf_state_load(m, statefile, &s);
    else st = tsf_state_new(m, &s);
    if (st) {
        tsf_model_free(m);
        return fail(st);
    }
    char buf[256];
    size_t line = 0;
    int rc = 0;
    while (fgets(buf, sizeof buf, stdin)) {
        line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        char *end;
        errno = 0;
        double r = strtod(buf, &end);
        if (end == buf || *end || errno || !isfinite(r)) {
            fprintf(stderr, "risk_monitor: line %zu: '%s' is not a return\n", line, buf);
            rc = 1;
            break;
        }
        double var = next_var(s, level), logp;
        if ((st = tsf_state_update(s, r, &logp))) {
            rc = fail(st);
            break;
        }
        printf("%zu\t%.10g\t%.17g\t%.10g%s\n", line, r, logp, var, r < -var ? "\tALARM" : "");
    }
    if (!rc && statefile && (st = tsf_state_save(s, statefile))) rc = fail(st);
    tsf_state_free(s);
    tsf_model_free(m);
    return rc;
}
