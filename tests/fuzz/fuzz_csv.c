/* Fuzz target: the CSV reader on arbitrary bytes.  Besides the sanitizers'
 * checks it asserts the reader's contract: an error leaves no frame and a
 * one-line message; a frame holds finite numbers or NaN (missing) only, a
 * label per row when there is a time column, and a valid period. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/csv_internal.h"
#include "fuzz.h"

static void check(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsf_frame *f = (tsf_frame *)&f; /* must be reset to NULL on failure */
    tsf_status st = tsf_csv_read_mem("fuzz.csv", data, size, &f);
    if (st != TSF_OK) {
        check(f == NULL);
        const char *msg = tsf_errmsg();
        check(msg[0] != '\0' && strchr(msg, '\n') == NULL);
        return 0;
    }
    check(f != NULL && f->nrows > 0 && f->ncols > 0);
    check(f->period == 1 || f->period == 4 || f->period == 12);
    for (size_t j = 0; j < f->ncols; j++) {
        size_t idx = (size_t)-1;
        check(tsf_frame_column(f, f->names[j], &idx) == TSF_OK && idx <= j);
        for (size_t i = 0; i < f->nrows; i++)
            check(isnan(f->cols[j][i]) || isfinite(f->cols[j][i]));
    }
    size_t idx;
    check(tsf_frame_column(f, "\x01no such column", &idx) == TSF_EINVAL);
    check(strchr(tsf_errmsg(), '\n') == NULL);
    if (f->time) {
        check(f->time_name != NULL);
        for (size_t i = 0; i < f->nrows; i++) check(f->time[i] != NULL);
        char buf[32];
        for (size_t h = 1; h <= 13; h += 12)
            if (tsf_future_label(f->time, f->nrows, f->period, h, buf, sizeof buf))
                check(buf[0] != '\0');
            else
                check(buf[0] == '\0');
    }
    tsf_frame_free(f);
    return 0;
}
