/* Frames (tables of series read from CSV) and their time labels.
 *
 * Time labels are recognised in three forms, the ones R's ts objects are
 * written with by our datasets and by format(time(x)):
 *   "YYYY-MM"  monthly   (period 12), MM in 01..12
 *   "YYYY-Qn"  quarterly (period 4),  n in 1..4
 *   "N"        plain years or indices (period 1)
 * Anything else (dates like "1949-01-01", "1949-1", free text) is a label
 * we keep but do not interpret. */
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

/* Label forms; FORM_NONE for an uninterpreted label. */
enum { FORM_NONE = 0, FORM_YEAR = 1, FORM_QUARTER = 4, FORM_MONTH = 12 };

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses a label; *year and *sub (month 1..12 or quarter 1..4; 0 for a
 * plain year) receive the parts. */
static int label_form(const char *s, long *year, int *sub)
{
    size_t nd = 0;
    long y = 0;
    while (is_digit(s[nd])) {
        if (nd == 9) return FORM_NONE; /* keeps y and y + h within a long */
        y = y * 10 + (s[nd] - '0');
        nd++;
    }
    if (nd == 0) return FORM_NONE;
    *year = y;
    *sub = 0;
    const char *r = s + nd;
    if (*r == '\0') return FORM_YEAR;
    if (nd != 4 || *r != '-') return FORM_NONE;
    r++;
    if (r[0] == 'Q' && r[1] >= '1' && r[1] <= '4' && r[2] == '\0') {
        *sub = r[1] - '0';
        return FORM_QUARTER;
    }
    if (is_digit(r[0]) && is_digit(r[1]) && r[2] == '\0') {
        int m = (r[0] - '0') * 10 + (r[1] - '0');
        if (m < 1 || m > 12) return FORM_NONE;
        *sub = m;
        return FORM_MONTH;
    }
    return FORM_NONE;
}

/* The common form of the non-empty labels, FORM_NONE when they differ or
 * none is given; *last gets the index of the last non-empty label. */
static int common_form(char *const *labels, size_t n, size_t *last)
{
    int form = FORM_NONE;
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!labels[i] || labels[i][0] == '\0') continue; /* missing label */
        long y;
        int sub;
        int fi = label_form(labels[i], &y, &sub);
        if (fi == FORM_NONE) return FORM_NONE;
        if (seen && fi != form) return FORM_NONE;
        form = fi;
        seen = 1;
        *last = i;
    }
    return form;
}

int tsf_infer_period(char *const *labels, size_t n)
{
    if (!labels) return 1;
    size_t last = 0;
    int form = common_form(labels, n, &last);
    return form == FORM_NONE ? 1 : form;
}

int tsf_future_label(char *const *labels, size_t n, int period, size_t h, char *buf,
                     size_t bufsize)
{
    (void)period; /* the labels' own form decides the step, whatever period was fitted */
    if (!buf || bufsize == 0) return 0;
    buf[0] = '\0';
    if (!labels || h == 0) return 0;
    size_t last = 0;
    int form = common_form(labels, n, &last);
    if (form == FORM_NONE) return 0;
    long year;
    int sub;
    label_form(labels[last], &year, &sub);
    /* The label of step h after the last label: count steps from the last
     * non-empty label (a trailing missing label still occupies its step). */
    size_t steps = h + (n - 1 - last);
    const size_t maxsteps = 1000000000u; /* keeps the arithmetic in range */
    if (steps < h || steps > maxsteps) return 0;
    int k;
    if (form == FORM_YEAR) {
        k = snprintf(buf, bufsize, "%ld", year + (long)steps);
    } else {
        long idx = year * form + (sub - 1) + (long)steps;
        long y = idx / form;
        int s = (int)(idx % form) + 1;
        if (y > 9999) { /* the YYYY form has four digits */
            buf[0] = '\0';
            return 0;
        }
        k = form == FORM_MONTH ? snprintf(buf, bufsize, "%04ld-%02d", y, s)
                               : snprintf(buf, bufsize, "%04ld-Q%d", y, s);
    }
    if (k < 0 || (size_t)k >= bufsize) {
        buf[0] = '\0';
        return 0;
    }
    return 1;
}
