/* Fuzz target: the CSV reader on arbitrary bytes.  Besides the sanitizers'
 * checks it asserts the reader's contract: an error leaves no frame and a
 * one-line message; a frame holds finite numbers or NaN (missing) only, a
 * label per row when there is a time column, and a valid period. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/csv_internal.h"
#include "fuzz.h"

static void check(int ok)
{
    if (!ok) abort();
}

static int same_value(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* The frames read whole and in small chunks must be the same. */
static void check_same(const tsf_frame *f, const tsf_frame *g)
{
    check(f->nrows == g->nrows && f->ncols == g->ncols && f->period == g->period);
    check(!f->time == !g->time && !f->time_name == !g->time_name);
    if (f->time_name) check(strcmp(f->time_name, g->time_name) == 0);
    for (size_t j = 0; j < f->ncols; j++) {
        check(strcmp(f->names[j], g->names[j]) == 0);
        for (size_t i = 0; i < f->nrows; i++) check(same_value(f->cols[j][i], g->cols[j][i]));
    }
    for (size_t i = 0; f->time && i < f->nrows; i++) check(strcmp(f->time[i], g->time[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsf_frame *f = (tsf_frame *)&f; /* must be reset to NULL on failure */
    tsf_status st = tsf_csv_read_mem("fuzz.csv", data, size, &f);
    static _Thread_local char msg[1024];
    snprintf(msg, sizeof msg, "%s", tsf_errmsg());
    /* Again, fed 1 to 7 bytes at a time: line counting, CRLF pairs and the
     * byte order mark must not depend on where the reads fall. */
    tsf_frame *g = NULL;
    tsf_status st2 = tsf_csv_read_mem_chunked("fuzz.csv", data, size, 1 + size % 7, &g);
    check(st == st2);
    if (st != TSF_OK) {
        check(f == NULL && g == NULL);
        check(strcmp(msg, tsf_errmsg()) == 0);
        check(msg[0] != '\0' && strchr(msg, '\n') == NULL);
        return 0;
    }
    check_same(f, g);
    tsf_frame_free(g);
    check(f != NULL && f->nrows > 0 && f->ncols > 0);
    /* The period is the interval's (1 for labels that are not stamps), and
     * the rows are the grid's. */
    int text = f->axis.form.kind == TSF_TIME_TEXT;
    check(f->period == (text ? 1 : tsf_interval_period(&f->axis.interval)));
    check(f->axis.n == f->nrows && f->axis.nfilled < f->nrows);
    check(text || f->time != NULL);
    check(!text || f->stamps == NULL);
    for (size_t j = 0; j < f->ncols; j++) {
        size_t idx = (size_t)-1;
        check(tsf_frame_column(f, f->names[j], &idx) == TSF_OK && idx <= j);
        for (size_t i = 0; i < f->nrows; i++)
            check(isnan(f->cols[j][i]) || isfinite(f->cols[j][i]));
    }
    size_t idx, present = 0;
    const char *other = "\x01no such column";
    for (size_t j = 0; j < f->ncols; j++) present |= strcmp(f->names[j], other) == 0;
    if (!present) {
        check(tsf_frame_column(f, other, &idx) == TSF_EINVAL);
        check(strchr(tsf_errmsg(), '\n') == NULL);
    }
    if (f->time) {
        check(f->time_name != NULL);
        for (size_t i = 0; i < f->nrows; i++) check(f->time[i] != NULL);
        char buf[80];
        for (size_t h = 1; h <= 13; h += 12)
            if (tsf_future_label(f->time, f->nrows, f->period, h, buf, sizeof buf))
                check(buf[0] != '\0' && !text);
            else
                check(buf[0] == '\0');
        /* Every stamp, read or filled in, lies on its own step of the grid
         * and is written as the grid writes it. */
        for (size_t i = 0; !text && i < f->nrows; i++) {
            int64_t k = -1;
            check(tsf_time_locate(&f->axis, f->time[i], &k) == TSF_OK && k == (int64_t)i);
            check(tsf_time_label(&f->axis, k, buf, sizeof buf) == TSF_OK);
            double a, b;
            tsf_time_form fa, fb;
            check(tsf_time_parse(buf, &fb, &b) == TSF_OK);
            check(tsf_time_parse(f->time[i], &fa, &a) == TSF_OK && a == b);
            check(f->stamps != NULL && f->stamps[i] == a);
        }
    }
    tsf_frame_free(f);
    return 0;
}
