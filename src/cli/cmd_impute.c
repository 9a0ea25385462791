/* tsf impute: every missing value of a series replaced by its conditional
 * mean given all observed values (Kalman smoothing, tsf/smooth.h), with its
 * standard error and intervals, and optionally joint draws of the missing
 * values (the simulation smoother).  docs/conditioning.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "batch.h"
#include "cli.h"
#include "json.h"

typedef struct {
    const cli_data *d;
    const cli_args *a;
    const tsf_smooth_result *res;
    const double *paths; /* a->paths * n, NULL when not asked */
    size_t npaths;
    double *z;           /* per level: the normal quantile */
} impute_out;

static double bound(const impute_out *o, size_t k, size_t t, int upper)
{
    double m = o->res->mean[t], s = o->res->se[t];
    return upper ? m + o->z[k] * s : m - o->z[k] * s;
}

static void time_field(FILE *f, const cli_data *d, size_t t)
{
    if (d->frame->time) batch_csv_field(f, d->frame->time[t]);
    else fprintf(f, "%zu", t + 1);
}

static void write_csv(FILE *f, const impute_out *o)
{
    const cli_data *d = o->d;
    fputs("time,", f);
    batch_csv_field(f, d->frame->names[d->col]);
    fputs(",imputed,se", f);
    for (size_t k = 0; k < o->a->nlevels; k++)
        fprintf(f, ",lo%g,hi%g", o->a->levels[k], o->a->levels[k]);
    for (size_t p = 0; p < o->npaths; p++) fprintf(f, ",path%zu", p + 1);
    fputc('\n', f);
    for (size_t t = 0; t < d->n; t++) {
        time_field(f, d, t);
        fputc(',', f);
        print_num(f, o->res->mean[t]);
        fprintf(f, ",%d,", isnan(d->y[t]) ? 1 : 0);
        print_num(f, o->res->se[t]);
        for (size_t k = 0; k < o->a->nlevels; k++) {
            fputc(',', f);
            print_num(f, bound(o, k, t, 0));
            fputc(',', f);
            print_num(f, bound(o, k, t, 1));
        }
        for (size_t p = 0; p < o->npaths; p++) {
            fputc(',', f);
            print_num(f, o->paths[p * d->n + t]);
        }
        fputc('\n', f);
    }
}

static json_t *impute_json(const impute_out *o)
{
    const cli_data *d = o->d;
    size_t n = d->n;
    json_t *j = json_object(), *tm = json_array(), *imp = json_array();
    json_t *lo = json_object(), *hi = json_object();
    for (size_t t = 0; t < n; t++) {
        json_array_append_new(tm, d->frame->time ? json_string(d->frame->time[t])
                                                 : json_integer((json_int_t)t + 1));
        json_array_append_new(imp, json_boolean(isnan(d->y[t])));
    }
    json_object_set_new(j, "time", tm);
    json_object_set_new(j, "value", jarray(o->res->mean, n));
    json_object_set_new(j, "imputed", imp);
    json_object_set_new(j, "mean", jarray(o->res->mean, n));
    json_object_set_new(j, "se", jarray(o->res->se, n));
    double *b = malloc((n ? n : 1) * sizeof *b);
    for (size_t k = 0; b && k < o->a->nlevels; k++) {
        char key[32];
        snprintf(key, sizeof key, "%g", o->a->levels[k]);
        for (size_t t = 0; t < n; t++) b[t] = bound(o, k, t, 0);
        json_object_set_new(lo, key, jarray(b, n));
        for (size_t t = 0; t < n; t++) b[t] = bound(o, k, t, 1);
        json_object_set_new(hi, key, jarray(b, n));
    }
    free(b);
    json_object_set_new(j, "lower", lo);
    json_object_set_new(j, "upper", hi);
    if (o->npaths) {
        json_t *ps = json_array();
        for (size_t p = 0; p < o->npaths; p++)
            json_array_append_new(ps, jarray(o->paths + p * n, n));
        json_object_set_new(j, "paths", ps);
    }
    return j;
}

static int run(const cli_args *a, cli_data *d, tsf_model *m)
{
    size_t n = d->n, missing = 0;
    for (size_t t = 0; t < n; t++) missing += isnan(d->y[t]) != 0;
    if (!missing)
        fprintf(stderr, "tsf: note: %s has no missing values; the series is printed "
                        "unchanged\n", d->frame->path ? d->frame->path : a->file);
    tsf_smooth_result *res = NULL;
    double *paths = NULL, z[MAX_LEVELS];
    size_t np = a->paths_given ? (size_t)a->paths : 0;
    tsf_status st = tsf_smooth(m, d->y, n, d->xp, &res);
    if (st) return cli_fail(st);
    int r = 0;
    if (np) {
        if (n * np > 100000000) r = cli_usage("impute: series length times --paths is limited "
                                              "to 1e8 values");
        else if (!(paths = malloc(n * np * sizeof *paths))) r = cli_usage("out of memory");
        else if ((st = tsf_smooth_draws(m, d->y, n, d->xp, np, a->fc.seed, paths)))
            r = cli_fail(st);
    }
    for (size_t k = 0; k < a->nlevels; k++) z[k] = gsl_cdf_ugaussian_Pinv(0.5 + a->levels[k] / 200.0);
    impute_out o = {d, a, res, paths, np, z};
    batch_file *f = NULL;
    if (!r && !(r = batch_file_open(a->out, &f))) {
        if (a->json) r = write_json(batch_file_stream(f), impute_json(&o));
        else write_csv(batch_file_stream(f), &o);
        if (r) batch_file_discard(f);
        else r = batch_file_commit(f);
    }
    free(paths);
    tsf_smooth_free(res);
    return r;
}

int cmd_impute(int argc, char **argv)
{
    cli_args a;
    int r;
    if ((r = cli_parse("impute", argc, argv, OPT_MODEL | OPT_LOADMODEL | OPT_OUTPUT | OPT_IMPUTE,
                       &a)))
        return r;
    if (!a.nspecs && !a.model_path)
        return cli_usage("impute: give a model with -m SPEC or --model FILE.safetensors");
    if (a.nspecs && a.model_path) return cli_usage("impute: give -m or --model, not both");
    if (!a.file) return cli_usage("impute: give the input file (CSV)");
    cli_data d;
    if ((r = cli_load(&a, &d)) == 0) {
        tsf_model *m = NULL;
        if ((r = cli_fit_model(&a, a.nspecs ? a.specs[0] : NULL, &d, d.n, &m)) == 0)
            r = run(&a, &d, m);
        tsf_model_free(m);
    }
    cli_data_free(&d);
    return r;
}
