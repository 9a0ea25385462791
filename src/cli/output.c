/* Output helpers: JSON (jansson) without NaN, future time labels. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void print_num(FILE *f, double v)
{
    if (isnan(v)) fputs("NA", f);
    else fprintf(f, "%.10g", v);
}

int write_json(FILE *f, void *json)
{
    json_t *j = json;
    if (!j) return cli_usage("out of memory building JSON output");
    int r = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(12) | JSON_PRESERVE_ORDER);
    json_decref(j);
    fputc('\n', f);
    return r ? cli_usage("could not write JSON output") : 0;
}

int future_labels(const cli_data *d, size_t h, char ***labels)
{
    char **l = calloc(h ? h : 1, sizeof *l);
    if (!l) return cli_usage("out of memory");
    const tsf_frame *f = d->frame;
    for (size_t i = 0; f->axis.form.kind != TSF_TIME_TEXT && i < h; i++) {
        char buf[80];
        if (tsf_time_label(&f->axis, (int64_t)(f->axis.n - 1 + i + 1), buf, sizeof buf) == TSF_OK &&
            !(l[i] = strdup(buf))) {
            free_labels(l, h);
            return cli_usage("out of memory");
        }
    }
    *labels = l;
    return 0;
}

void free_labels(char **labels, size_t h)
{
    if (!labels) return;
    for (size_t i = 0; i < h; i++) free(labels[i]);
    free(labels);
}
