/* --given for tsf forecast: future values known in advance, as
 * "TIME=V,+k=V" or a CSV file of a time column and a value column.  TIME is
 * a stamp in the form of the series' time column, located on its grid
 * (tsf_time_locate), or +k for k steps ahead. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* The step (1..h) of time text tm; where names the item for messages. */
static int resolve(const char *opt, const char *tm, const cli_data *d, size_t h, char **labels,
                   size_t *step)
{
    if (tm[0] == '+') {
        char *end;
        errno = 0;
        long k = strtol(tm + 1, &end, 10);
        if (end == tm + 1 || *end || errno || k < 1 || (size_t)k > h)
            return cli_usage("--given '%s': '%s' must be +k with k from 1 to the horizon %zu",
                             opt, tm, h);
        *step = (size_t)k;
        return 0;
    }
    const tsf_frame *f = d->frame;
    const tsf_time_axis *ax = &f->axis;
    if (ax->form.kind != TSF_TIME_TEXT) {
        /* a stamp: its grid step, counted from the step after the last row */
        int64_t k;
        if (tsf_time_locate(ax, tm, &k))
            return cli_usage("--given '%s': %s; give a time as forecast prints it, or +k", opt,
                             tsf_errmsg());
        int64_t s = k - ((int64_t)ax->n - 1);
        if (s < 1)
            return cli_usage("--given '%s': %s is not in the future (the series ends at %s); "
                             "give a later time or +k", opt, tm, f->time[f->nrows - 1]);
        if ((uint64_t)s > h)
            return cli_usage("--given '%s': '%s' is not a time within the horizon (%s .. %s); "
                             "give a time as forecast prints it, or +k", opt, tm,
                             labels[0] ? labels[0] : "?", labels[h - 1] ? labels[h - 1] : "?");
        *step = (size_t)s;
        return 0;
    }
    for (size_t t = 0; f->time && t < f->nrows; t++)
        if (!strcmp(f->time[t], tm))
            return cli_usage("--given '%s': %s is not in the future (the series ends at %s); "
                             "give a later time or +k", opt, tm, f->time[f->nrows - 1]);
    return cli_usage("--given '%s': '%s' is not a future time of %s (it has no time column "
                     "tsf can continue); give +k for k steps ahead", opt, tm, f->path);
}

static int value_of(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x))
        return cli_usage("--given '%s': value '%s' is not a finite number", opt, v);
    *out = x;
    return 0;
}

static int add(const char *opt, size_t step, double v, size_t *steps, double *vals, size_t *ng)
{
    for (size_t i = 0; i < *ng; i++)
        if (steps[i] == step)
            return cli_usage("--given '%s': step %zu (+%zu) is given twice", opt, step, step);
    steps[*ng] = step;
    vals[*ng] = v;
    (*ng)++;
    return 0;
}

static int from_file(const char *path, const cli_data *d, size_t h, char **labels, size_t *steps,
                     double *vals, size_t *ng)
{
    tsf_frame *f;
    tsf_status st = tsf_csv_read(path, &f);
    if (st) return cli_fail(st);
    int r = 0;
    if (!f->time || f->ncols != 1)
        r = cli_usage("%s: a --given file has a time column and one value column (found %s "
                      "time column and %zu numeric)", path, f->time ? "a" : "no", f->ncols);
    /* The reader fills the gaps of a stamp grid with missing rows (the
     * times between the given ones); a missing value written in the file
     * is an error.  Without gaps, row t is on line t + 2. */
    size_t nmiss = 0;
    for (size_t t = 0; !r && t < f->nrows; t++) nmiss += isnan(f->cols[0][t]) != 0;
    int gaps = f->axis.nfilled > 0;
    if (!r && gaps && nmiss > f->axis.nfilled)
        r = cli_usage("%s: column 2 ('%s'): %zu given values are missing (empty or NA); every "
                      "given time needs a finite value", path, f->names[0],
                      nmiss - f->axis.nfilled);
    for (size_t t = 0; !r && t < f->nrows; t++) {
        char where[600];
        if (gaps) snprintf(where, sizeof where, "%s (time %s)", path, f->time[t]);
        else snprintf(where, sizeof where, "%s:%zu", path, t + 2);
        size_t step;
        double v = f->cols[0][t];
        if (isnan(v)) {
            if (!gaps)
                r = cli_usage("%s: column 2 ('%s'): the value for %s is missing; every given "
                              "time needs a finite value", where, f->names[0], f->time[t]);
        } else if (!(r = resolve(where, f->time[t], d, h, labels, &step))) {
            r = add(where, step, v, steps, vals, ng);
        }
    }
    tsf_frame_free(f);
    return r;
}

int cli_given(const cli_args *a, const cli_data *d, size_t h, char **labels, size_t **steps,
              double **vals, size_t *ng)
{
    *steps = NULL;
    *vals = NULL;
    *ng = 0;
    if (!a->given) return 0;
    size_t cap = h ? h : 1;
    *steps = malloc(cap * sizeof **steps);
    *vals = malloc(cap * sizeof **vals);
    char *buf = strdup(a->given);
    int r = 0;
    if (!*steps || !*vals || !buf) r = cli_usage("out of memory");
    else if (!strchr(a->given, '=')) r = from_file(a->given, d, h, labels, *steps, *vals, ng);
    else
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); !r && tok;
             tok = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(tok, '=');
            size_t step = 0;
            double v = 0.0;
            if (!eq || eq == tok) {
                r = cli_usage("--given '%s': '%s' is not TIME=VALUE (e.g. 1961-06=450 or +6=450)",
                              a->given, tok);
                break;
            }
            *eq = '\0';
            if (!(r = resolve(a->given, tok, d, h, labels, &step)) &&
                !(r = value_of(a->given, eq + 1, &v)) && *ng == cap)
                r = cli_usage("--given '%s': more values than the horizon %zu", a->given, h);
            if (!r) r = add(a->given, step, v, *steps, *vals, ng);
        }
    free(buf);
    if (r) {
        free(*steps);
        free(*vals);
        *steps = NULL;
        *vals = NULL;
        *ng = 0;
    }
    return r;
}
