/* tsf forecast: fit (or load) a model and forecast h steps with intervals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "plot.h"

static json_t *forecast_json(const tsf_forecast_result *fc, char **labels)
{
    json_t *j = json_object(), *lo = json_object(), *hi = json_object();
    json_object_set_new(j, "mean", jarray(fc->mean, fc->h));
    json_object_set_new(j, "se", jarray(fc->se, fc->h));
    for (size_t k = 0; k < fc->nlevels; k++) {
        char key[32];
        snprintf(key, sizeof key, "%g", fc->levels[k]);
        json_object_set_new(lo, key, jarray(fc->lower + k * fc->h, fc->h));
        json_object_set_new(hi, key, jarray(fc->upper + k * fc->h, fc->h));
    }
    json_object_set_new(j, "lower", lo);
    json_object_set_new(j, "upper", hi);
    json_t *t = json_array();
    for (size_t i = 0; i < fc->h; i++)
        json_array_append_new(t, labels[i] ? json_string(labels[i]) : json_integer((json_int_t)i + 1));
    json_object_set_new(j, "time", t);
    if (fc->ess) json_object_set_new(j, "ess", jarray(fc->ess, fc->h));
    return j;
}

/* Sequential Monte Carlo: the effective sample size at each given step,
 * and a warning when the particles collapsed. */
static void report_ess(const tsf_forecast_result *fc, char **labels, size_t np, int human)
{
    for (size_t i = 0; fc->ess && i < fc->h; i++) {
        if (isnan(fc->ess[i])) continue;
        char idx[32];
        snprintf(idx, sizeof idx, "+%zu", i + 1);
        const char *lab = labels[i] ? labels[i] : idx;
        if (human) printf("effective sample size at %s: %.1f of %zu particles\n", lab, fc->ess[i], np);
        if (fc->ess[i] < 10.0)
            fprintf(stderr, "tsf: warning: the particles collapsed at %s (effective sample size "
                            "%.1f < 10): the answer rests on a few paths; use more --samples or "
                            "check the given values\n", lab, fc->ess[i]);
    }
}

static void forecast_human(const tsf_forecast_result *fc, char **labels)
{
    printf("%-10s %14s", "", "Point Forecast");
    for (size_t k = 0; k < fc->nlevels; k++) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "Lo %g", fc->levels[k]);
        snprintf(hi, sizeof hi, "Hi %g", fc->levels[k]);
        printf(" %14s %14s", lo, hi);
    }
    printf("\n");
    for (size_t i = 0; i < fc->h; i++) {
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", i + 1);
        printf("%-10s %14.6g", labels[i] ? labels[i] : idx, fc->mean[i]);
        for (size_t k = 0; k < fc->nlevels; k++)
            printf(" %14.6g %14.6g", fc->lower[k * fc->h + i], fc->upper[k * fc->h + i]);
        printf("\n");
    }
}

int cmd_forecast(int argc, char **argv)
{
    cli_args a;
    int r;
    if ((r = cli_parse("forecast", argc, argv, OPT_MODEL | OPT_HORIZON | OPT_LOADMODEL |
                       OPT_OUTPUT | OPT_PLOT | OPT_GIVEN, &a)))
        return r;
    if (a.horizon < 0) return cli_usage("forecast: give the horizon with -h N");
    if (!a.nspecs && !a.model_path)
        return cli_usage("forecast: give a model with -m SPEC or --model FILE.safetensors");
    if (a.nspecs && a.model_path) return cli_usage("forecast: give -m or --model, not both");
    cli_data d;
    size_t h = (size_t)a.horizon;
    if ((r = cli_load(&a, 0, &d)) == 0) {
        tsf_model *m = NULL;
        double *xfbuf = NULL;
        tsf_xreg xf;
        if ((r = cli_load_xreg_future(&a, &d, h, &xfbuf, &xf)) == 0 &&
            (r = cli_fit_model(&a, a.nspecs ? a.specs[0] : NULL, &d, d.n, &m)) == 0) {
            tsf_forecast_opts fo = a.fc;
            if (xfbuf) fo.xreg_future = &xf;
            tsf_forecast_result *fc = NULL;
            char **labels = NULL;
            size_t *gsteps = NULL;
            double *gvals = NULL;
            tsf_status st = TSF_OK;
            if ((r = future_labels(&d, h, &labels)) == 0 &&
                (r = cli_given(&a, &d, h, labels, &gsteps, &gvals, &fo.ngiven)) == 0) {
                fo.given_step = gsteps;
                fo.given_value = gvals;
                if ((st = tsf_forecast(m, d.y, d.n, d.xp, h, a.levels, a.nlevels, &fo, &fc)))
                    r = cli_fail(st);
            }
            free(gsteps);
            free(gvals);
            if (!r) {
                if (a.json) r = write_json(stdout, forecast_json(fc, labels));
                else forecast_human(fc, labels);
                report_ess(fc, labels, a.fc.samples ? a.fc.samples : 1000, !a.json);
                if (!r && a.out && (st = tsf_save(m, a.out))) r = cli_fail(st);
                if (!r && a.plot) {
                    char title[512];
                    static const char *const tr[] = {"", ", log scale", ", Box-Cox",
                                                     ", Box-Cox"};
                    snprintf(title, sizeof title, "%s: %s%s", d.frame->names[d.col],
                             a.nspecs ? a.specs[0] : a.model_path,
                             tr[a.fit.transform <= TSF_TRANSFORM_BOXCOX_AUTO ? a.fit.transform : 0]);
                    r = cli_plot(a.plot, &d, fc, labels, title);
                }
            }
            free_labels(labels, h);
            tsf_forecast_free(fc);
        }
        free(xfbuf);
        tsf_model_free(m);
    }
    cli_data_free(&d);
    return r;
}
