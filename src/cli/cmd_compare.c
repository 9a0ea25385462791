/* tsf compare: rank models by the exact held-out log-likelihood
 * log p(last N | rest) under each model fitted on the rest. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "metrics.h"

typedef struct {
    const char *spec;
    double loglik, aic, bic, holdout_loglik, mase, crps;
    int ok;
    char err[512];
} result;

static void run_one(const cli_args *a, const cli_data *d, size_t ntrain, result *res)
{
    size_t h = d->n - ntrain;
    tsf_model *m = NULL;
    tsf_forecast_result *fc = NULL;
    tsf_fit_info info;
    tsf_status st;
    res->ok = 0;
    /* A failure is recorded for this model; the others go on. */
    if ((st = tsf_model_new(res->spec, &m))) goto fail;
    tsf_fit_opts o = a->fit;
    o.trend = d->trend;
    if ((st = tsf_fit(m, d->y, ntrain, d->xp, d->frame->period, &o))) goto fail;
    if ((st = tsf_model_info(m, &info))) goto fail;
    cli_note_dropped(m, d, res->spec, ntrain);
    if ((st = tsf_loglik(m, d->y, d->n, d->xp, ntrain, &res->holdout_loglik))) goto fail;
    tsf_forecast_opts fo = a->fc;
    tsf_xreg xf;
    if (d->xp) {
        xf = *d->xp;
        xf.x = d->xp->x + ntrain;  /* rows ntrain.. of each column */
        fo.xreg_future = &xf;
    }
    /* the quantiles of metrics.h give the CRPS of a non-Gaussian forecast */
    double lv[METRIC_QGRID / 2];
    metric_quantile_levels(lv);
    if ((st = tsf_forecast(m, d->y, ntrain, d->xp, h, lv, METRIC_QGRID / 2, &fo, &fc)))
        goto fail;
    double scale = metric_naive_scale(d->y, ntrain, info.period, 1), mae = 0, crps = 0;
    size_t c = 0;
    for (size_t i = 0; i < h; i++) {
        double x = d->y[ntrain + i];
        if (isnan(x)) continue;
        mae += fabs(x - fc->mean[i]);
        crps += fc->normal ? metric_crps_normal(fc->mean[i], fc->se[i], x)
                           : metric_crps_quantiles(fc, 0, i, x);
        c++;
    }
    res->loglik = info.loglik;
    res->aic = info.aic;
    res->bic = info.bic;
    res->mase = c && scale > 0 ? mae / (double)c / scale : NAN;
    res->crps = c ? crps / (double)c : NAN;
    res->ok = 1;
    tsf_forecast_free(fc);
    tsf_model_free(m);
    return;
fail:
    snprintf(res->err, sizeof res->err, "%s", *tsf_errmsg() ? tsf_errmsg() : tsf_strerror(st));
    tsf_forecast_free(fc);
    tsf_model_free(m);
}

static int by_holdout(const void *pa, const void *pb)
{
    const result *x = *(const result *const *)pa, *y = *(const result *const *)pb;
    if (x->ok != y->ok) return y->ok - x->ok;
    if (!x->ok) return 0;
    return (x->holdout_loglik < y->holdout_loglik) - (x->holdout_loglik > y->holdout_loglik);
}

int cmd_compare(int argc, char **argv)
{
    cli_args a;
    int r;
    if ((r = cli_parse("compare", argc, argv, OPT_MODEL | OPT_MANYSPEC | OPT_HOLDOUT, &a))) return r;
    if (!a.nspecs) return cli_usage("compare: give models with -m SPEC -m SPEC ...");
    if (a.holdout < 0) return cli_usage("compare: give the held-out length with --holdout N");
    cli_data d;
    if ((r = cli_load(&a, &d))) {
        cli_data_free(&d);
        return r;
    }
    if ((size_t)a.holdout >= d.n) {
        r = cli_usage("%s: --holdout %ld leaves no data to fit on (%zu observations)", a.file,
                      a.holdout, d.n);
        cli_data_free(&d);
        return r;
    }
    size_t ntrain = d.n - (size_t)a.holdout;
    result res[MAX_SPECS];
    const result *order[MAX_SPECS];
    int nfail = 0;
    for (size_t k = 0; k < a.nspecs; k++) {
        memset(&res[k], 0, sizeof res[k]);
        res[k].spec = a.specs[k];
        run_one(&a, &d, ntrain, &res[k]);
        nfail += !res[k].ok;
        order[k] = &res[k];
    }
    if (a.json) {
        json_t *j = json_object(), *arr = json_array();
        for (size_t k = 0; k < a.nspecs; k++) {
            json_t *o = json_object();
            json_object_set_new(o, "spec", json_string(res[k].spec));
            if (res[k].ok) {
                json_object_set_new(o, "loglik", jnum(res[k].loglik));
                json_object_set_new(o, "aic", jnum(res[k].aic));
                json_object_set_new(o, "bic", jnum(res[k].bic));
                json_object_set_new(o, "holdout_loglik", jnum(res[k].holdout_loglik));
                json_object_set_new(o, "holdout_n", json_integer(a.holdout));
                json_object_set_new(o, "mase", jnum(res[k].mase));
                json_object_set_new(o, "crps", jnum(res[k].crps));
            } else {
                json_object_set_new(o, "error", json_string(res[k].err));
            }
            json_array_append_new(arr, o);
        }
        json_object_set_new(j, "models", arr);
        r = write_json(stdout, j);
    } else {
        qsort(order, a.nspecs, sizeof order[0], by_holdout);
        printf("Held-out: last %ld of %zu observations (%s)\n\n", a.holdout, d.n, a.file);
        printf("%-4s %-34s %14s %12s %10s %10s %10s\n", "rank", "model", "holdout_loglik",
               "loglik", "AIC", "MASE", "CRPS");
        for (size_t k = 0; k < a.nspecs; k++) {
            const result *x = order[k];
            if (x->ok)
                printf("%-4zu %-34s %14.4f %12.4f %10.3f %10.4f %10.4g\n", k + 1, x->spec,
                       x->holdout_loglik, x->loglik, x->aic, x->mase, x->crps);
            else
                printf("%-4s %-34s failed: %s\n", "-", x->spec, x->err);
        }
    }
    cli_data_free(&d);
    if (!r && nfail) {
        fprintf(stderr, "tsf: %d of %zu models failed\n", nfail, a.nspecs);
        return nfail == (int)a.nspecs ? EXIT_NUMERIC : EXIT_PARTIAL;
    }
    return r;
}
