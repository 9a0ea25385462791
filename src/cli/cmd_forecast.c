/* tsf forecast: fit (or load) a model and forecast h steps with intervals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "plot.h"

/* {"80": [h values], "95": [...]}: row l of v (h values each) under the
 * key of level l. */
static json_t *by_level(const double *levels, size_t nlevels, const double *v, size_t h)
{
    json_t *o = json_object();
    for (size_t l = 0; l < nlevels; l++) {
        char key[32];
        snprintf(key, sizeof key, "%g", levels[l]);
        json_object_set_new(o, key, jarray(v + l * h, h));
    }
    return o;
}

static json_t *forecast_json(const tsf_forecast_result *fc, char **labels)
{
    json_t *j = json_object();
    json_object_set_new(j, "mean", jarray(fc->mean, fc->h));
    json_object_set_new(j, "se", jarray(fc->se, fc->h));
    json_object_set_new(j, "lower", by_level(fc->levels, fc->nlevels, fc->lower, fc->h));
    json_object_set_new(j, "upper", by_level(fc->levels, fc->nlevels, fc->upper, fc->h));
    json_t *t = json_array();
    for (size_t i = 0; i < fc->h; i++)
        json_array_append_new(t, labels[i] ? json_string(labels[i]) : json_integer((json_int_t)i + 1));
    json_object_set_new(j, "time", t);
    if (fc->ess) json_object_set_new(j, "ess", jarray(fc->ess, fc->h));
    return j;
}

/* "var": {"99": [...]}, "es": {"99": [...]}: entry k for the aggregate of
 * returns 1..k+1. */
static void risk_json(json_t *j, const tsf_risk_result *rk)
{
    json_object_set_new(j, "var", by_level(rk->levels, rk->nlevels, rk->var, rk->h));
    json_object_set_new(j, "es", by_level(rk->levels, rk->nlevels, rk->es, rk->h));
}

static void risk_human(const tsf_risk_result *rk)
{
    printf("\nValue-at-risk and expected shortfall (losses as positive numbers) of the\n"
           "return over steps 1..k (step 1 in closed form, aggregates by simulation):\n");
    printf("%-10s", "k");
    for (size_t l = 0; l < rk->nlevels; l++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "VaR %g", rk->levels[l]);
        snprintf(b, sizeof b, "ES %g", rk->levels[l]);
        printf(" %12s %12s", a, b);
    }
    printf("\n");
    for (size_t k = 0; k < rk->h; k++) {
        printf("%-10zu", k + 1);
        for (size_t l = 0; l < rk->nlevels; l++)
            printf(" %12.6g %12.6g", rk->var[l * rk->h + k], rk->es[l * rk->h + k]);
        printf("\n");
    }
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

static void forecast_human(const tsf_forecast_result *fc, char **labels, int sd)
{
    printf("%-10s %14s", "", "Point Forecast");
    if (sd) printf(" %14s", "Std. Dev.");
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
        if (sd) printf(" %14.6g", fc->se[i]);
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
    if ((r = cli_load(&a, &d)) == 0) {
        tsf_model *m = NULL;
        double *xfbuf = NULL;
        tsf_xreg xf;
        if ((r = cli_load_xreg_future(&a, &d, h, &xfbuf, &xf)) == 0 &&
            (r = cli_fit_model(&a, a.nspecs ? a.specs[0] : NULL, &d, d.n, &m)) == 0) {
            tsf_forecast_opts fo = a.fc;
            if (xfbuf) fo.xreg_future = &xf;
            tsf_forecast_result *fc = NULL;
            tsf_risk_result *rk = NULL;
            char **labels = NULL;
            size_t *gsteps = NULL;
            double *gvals = NULL;
            tsf_status st = TSF_OK;
            if ((r = future_labels(&d, h, &labels)) == 0 &&
                (r = cli_given(&a, &d, h, labels, &gsteps, &gvals, &fo.ngiven)) == 0) {
                fo.given_step = gsteps;
                fo.given_value = gvals;
                st = tsf_forecast(m, d.y, d.n, d.xp, h, a.levels, a.nlevels, &fo, &fc);
                if (!st && a.nrisk) st = tsf_risk(m, d.y, d.n, h, a.risk, a.nrisk, &fo, &rk);
                if (st) r = cli_fail(st);
            }
            free(gsteps);
            free(gvals);
            if (!r) {
                if (a.json) {
                    json_t *j = forecast_json(fc, labels);
                    if (j && rk) risk_json(j, rk);
                    r = write_json(stdout, j);
                } else {
                    forecast_human(fc, labels, !strcmp(tsf_model_family(m), "garch"));
                    if (rk) risk_human(rk);
                }
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
            tsf_risk_free(rk);
            tsf_forecast_free(fc);
        }
        free(xfbuf);
        tsf_model_free(m);
    }
    cli_data_free(&d);
    return r;
}
