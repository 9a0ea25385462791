/* Frames (tables of series read from CSV) and their time labels.  The
 * forms of time stamps and their grid are src/core/timestamp.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void tsf_frame_free(tsf_frame *f)
{
    if (!f) return;
    for (size_t j = 0; j < f->ncols; j++) {
        if (f->names) free(f->names[j]);
        if (f->cols) free(f->cols[j]);
    }
    free(f->names);
    free(f->cols);
    if (f->time)
        for (size_t i = 0; i < f->nrows; i++) free(f->time[i]);
    free(f->time);
    free(f->stamps);
    free(f->time_name);
    free(f->path);
    free(f);
}

/* Appends text to buf (size n, used so far *used), control characters as
 * '?' so that the message stays on one line. */
static void append(char *buf, size_t n, size_t *used, const char *text)
{
    for (; *text && *used + 1 < n; text++)
        buf[(*used)++] = (unsigned char)*text < 0x20 ? '?' : *text;
    buf[*used] = '\0';
}

tsf_status tsf_frame_column(const tsf_frame *f, const char *name, size_t *idx)
{
    if (!f || !name || !idx) return tsf_set_error(TSF_EINVAL, "tsf_frame_column: NULL argument");
    for (size_t j = 0; j < f->ncols; j++)
        if (strcmp(f->names[j], name) == 0) {
            *idx = j;
            return TSF_OK;
        }
    /* List the numeric columns so the user can pick one. */
    char list[512], want[128];
    size_t used = 0, wused = 0;
    list[0] = '\0';
    for (size_t j = 0; j < f->ncols; j++) {
        if (j) append(list, sizeof list, &used, ", ");
        append(list, sizeof list, &used, f->names[j]);
    }
    if (used + 1 >= sizeof list) memcpy(list + sizeof list - 4, "...", 4);
    if (f->ncols == 0) append(list, sizeof list, &used, "(none)");
    append(want, sizeof want, &wused, name);
    const char *file = f->path ? f->path : "frame";
    if (f->time_name && strcmp(f->time_name, name) == 0)
        return tsf_set_error(TSF_EINVAL,
                             "%s: column '%s' holds the time labels, not values; "
                             "the numeric columns are: %s",
                             file, want, list);
    return tsf_set_error(TSF_EINVAL, "%s: no column '%s'; the columns are: %s", file, want, list);
}

/* The grid of bare labels (no file to name in messages), or 0. */
static int label_axis(char *const *labels, size_t n, tsf_time_axis *ax)
{
    if (!labels || n == 0) return 0;
    size_t *pos = malloc(n * sizeof *pos);
    if (!pos) return 0;
    tsf_status st = tsf_time_grid(labels, n, NULL, NULL, ax, pos);
    free(pos);
    return st == TSF_OK && ax->form.kind != TSF_TIME_TEXT;
}

int tsf_infer_period(char *const *labels, size_t n)
{
    tsf_time_axis ax;
    return label_axis(labels, n, &ax) ? ax.period : 1;
}

int tsf_future_label(char *const *labels, size_t n, int period, size_t h, char *buf,
                     size_t bufsize)
{
    (void)period; /* the labels' own form decides the step, whatever period was fitted */
    if (!buf || bufsize == 0) return 0;
    buf[0] = '\0';
    tsf_time_axis ax;
    if (h == 0 || h > ((size_t)1 << 40) || !label_axis(labels, n, &ax)) return 0;
    return tsf_time_label(&ax, (int64_t)(ax.n - 1 + h), buf, bufsize) == TSF_OK;
}
