/* The regular grid of a column of time stamps: its interval (inferred or
 * given), the checks (one form, sorted, no repeats, on the grid, not more
 * gaps than rows), the step of each row and the labels of filled and
 * future steps (include/tsf/time.h, docs/file-formats.md).  Steps are
 * counted in the interval's unit ("coordinates"): the tick itself, days,
 * business days (five per Monday-based week), or the month count of a
 * date anchored on one day of the month or on month ends. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "time_internal.h"

/* Coordinate of tick t along unit (see the top of the file); 0 when t is
 * not a point of that unit (a weekend in business days, another day of
 * the month). */
static int coord(const tsf_time_axis *ax, int64_t t, int64_t *c)
{
    tsf_time_kind kind = ax->form.kind;
    switch (ax->interval.unit) {
    case TSF_UNIT_MONTH:
        if (kind == TSF_TIME_DATE) {
            int64_t y;
            int m, d;
            civil_from_days(floor_div(t, US_PER_DAY), &y, &m, &d);
            *c = y * 12 + m - 1;
            return ax->anchor > 0 ? d == ax->anchor : d == days_in_month(y, m);
        }
        *c = t;
        return 1;
    case TSF_UNIT_DAY:
        *c = floor_div(t, US_PER_DAY);
        return 1;
    case TSF_UNIT_BDAY:
        *c = floor_div(t, US_PER_DAY);
        if (weekday(*c) > 4) return 0;
        *c = bday_from_day(*c);
        return 1;
    default:
        *c = t;
        return 1;
    }
}

static int64_t tick_of(const tsf_time_axis *ax, int64_t c)
{
    switch (ax->interval.unit) {
    case TSF_UNIT_MONTH:
        if (ax->form.kind == TSF_TIME_DATE) {
            int64_t y = floor_div(c, 12);
            int m = (int)floor_mod(c, 12) + 1;
            int d = ax->anchor > 0 ? ax->anchor : days_in_month(y, m);
            return days_from_civil(y, m, d) * US_PER_DAY;
        }
        return c;
    case TSF_UNIT_DAY: return c * US_PER_DAY;
    case TSF_UNIT_BDAY: return day_from_bday(c) * US_PER_DAY;
    default: return c;
    }
}

/* Coordinates stay below 2^62 for years 0..9999 (microseconds: 3.2e17). */
#define COORD_MAX ((int64_t)1 << 62)

/* The tick of grid step k; 0 for a TEXT axis or a step out of range. */
static int step_tick(const tsf_time_axis *axis, int64_t k, int64_t *t)
{
    int64_t c0, n = axis->interval.count;
    if (axis->form.kind == TSF_TIME_TEXT || n <= 0) return 0;
    coord(axis, axis->origin, &c0);
    if (k > COORD_MAX / n || k < -COORD_MAX / n || c0 > COORD_MAX || c0 < -COORD_MAX) return 0;
    *t = tick_of(axis, c0 + k * n);
    return 1;
}

tsf_status tsf_time_label(const tsf_time_axis *axis, int64_t k, char *buf, size_t size)
{
    if (!axis || !buf || size == 0)
        return tsf_set_error(TSF_EINVAL, "tsf_time_label: NULL argument");
    buf[0] = '\0';
    int64_t t;
    if (!step_tick(axis, k, &t) || !tsf_time_format_tick(t, &axis->form, buf, size))
        return tsf_set_error(TSF_EINVAL, "tsf_time_label: step %lld has no stamp (text labels, "
                             "beyond the year 9999) or the buffer is too small", (long long)k);
    return TSF_OK;
}

tsf_status tsf_time_stamp(const tsf_time_axis *axis, int64_t k, double *stamp)
{
    int64_t t;
    if (!axis || !stamp) return tsf_set_error(TSF_EINVAL, "tsf_time_stamp: NULL argument");
    if (!step_tick(axis, k, &t))
        return tsf_set_error(TSF_EINVAL, "tsf_time_stamp: step %lld has no stamp (text labels "
                             "or out of range)", (long long)k);
    *stamp = tsf_time_tick_to_stamp(axis->form.kind, t);
    return TSF_OK;
}

/* Message context for row i. */
typedef struct {
    const char *path;
    const unsigned long *lines;
    size_t col;
} where;

static unsigned long line_of(const where *w, size_t i)
{
    return w->lines ? w->lines[i] : (unsigned long)i + 2;
}

static const char *kind_words(const tsf_time_form *f)
{
    switch (f->kind) {
    case TSF_TIME_INDEX: return "an integer";
    case TSF_TIME_QUARTER: return "a quarter";
    case TSF_TIME_MONTH: return "a month";
    case TSF_TIME_WEEK: return "an ISO week";
    case TSF_TIME_DATE: return "a date";
    default: return "a date and time";
    }
}

static int same_form(const tsf_time_form *a, const tsf_time_form *b)
{
    if (a->kind != b->kind) return 0;
    if (a->kind != TSF_TIME_DATETIME) return 1;
    /* The number of decimals may vary (exports drop trailing zeros), and the
     * offset (daylight saving time); the layout may not. */
    return a->sep == b->sep && a->seconds == b->seconds && (a->zone == 0) == (b->zone == 0) &&
           (a->zone == 1) == (b->zone == 1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The most common value of d[0..m) (sorted in place); ties go to the
 * smaller, finer step. */
static int64_t mode_of(int64_t *d, size_t m)
{
    qsort(d, m, sizeof *d, cmp_i64);
    int64_t best = d[0];
    size_t bestn = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && d[j] == d[i]) j++;
        if (j - i > bestn) bestn = j - i, best = d[i];
        i = j;
    }
    return best;
}

/* The interval the user gave, in the unit the form counts in. */
static int fit_interval(tsf_time_kind kind, tsf_interval iv, tsf_interval *out)
{
    int64_t n = iv.count;
    switch (kind) {
    case TSF_TIME_INDEX:
        if (iv.unit == TSF_UNIT_STEP || iv.unit == TSF_UNIT_YEAR) break;
        if (iv.unit == TSF_UNIT_MONTH && n % 12 == 0) {
            iv = (tsf_interval){TSF_UNIT_YEAR, n / 12};
            break;
        }
        return 0;
    case TSF_TIME_QUARTER:
    case TSF_TIME_MONTH:
        if (iv.unit != TSF_UNIT_MONTH || (kind == TSF_TIME_QUARTER && n % 3)) return 0;
        break;
    case TSF_TIME_WEEK:
        if (iv.unit != TSF_UNIT_DAY || n % 7) return 0;
        break;
    case TSF_TIME_DATE:
        if (iv.unit != TSF_UNIT_DAY && iv.unit != TSF_UNIT_BDAY && iv.unit != TSF_UNIT_MONTH)
            return 0;
        break;
    case TSF_TIME_DATETIME:
        if (iv.unit == TSF_UNIT_DAY && n <= COORD_MAX / US_PER_DAY)
            iv = (tsf_interval){TSF_UNIT_MICRO, n * US_PER_DAY};
        if (iv.unit != TSF_UNIT_MICRO) return 0;
        break;
    default:
        return 0;
    }
    *out = iv;
    return 1;
}

/* The most common difference of neighbours in ax's unit. */
static int64_t mode_step(const tsf_time_axis *ax, const int64_t *t, size_t n, int64_t *d)
{
    int64_t prev, c;
    coord(ax, t[0], &prev);
    for (size_t i = 1; i < n; i++) {
        coord(ax, t[i], &c);
        d[i - 1] = c - prev;
        prev = c;
    }
    return mode_of(d, n - 1);
}

/* Infers the interval of sorted distinct ticks t[0..n), n >= 2 (d: scratch
 * for n - 1 values). */
static void infer_interval(tsf_time_axis *ax, const int64_t *t, size_t n, int64_t *d)
{
    tsf_time_kind kind = ax->form.kind;
    if (kind == TSF_TIME_DATE) {
        /* Dates a month or more apart on one day of the month, or on month
         * ends, are counted in calendar months. */
        int64_t y;
        int m, d0, dd, same = 1, ends = 1;
        civil_from_days(floor_div(t[0], US_PER_DAY), &y, &m, &d0);
        for (size_t i = 0; i < n && (same || ends); i++) {
            civil_from_days(floor_div(t[i], US_PER_DAY), &y, &m, &dd);
            same &= dd == d0 && d0 <= 28;
            ends &= dd == days_in_month(y, m);
        }
        if (same || ends) {
            ax->interval.unit = TSF_UNIT_MONTH;
            ax->anchor = same ? d0 : -1;
        } else {
            /* Business days: steps of mostly one day, no Saturday or Sunday
             * at all, and some pair of neighbours spans a weekend (else
             * plain daily data). */
            int weekend = 0, spans = 0;
            for (size_t i = 0; i < n && !weekend; i++) {
                int64_t day = floor_div(t[i], US_PER_DAY);
                weekend = weekday(day) > 4;
                if (i && floor_div(day + 3, 7) != floor_div(floor_div(t[i - 1], US_PER_DAY) + 3, 7))
                    spans = 1;
            }
            ax->interval.unit = TSF_UNIT_DAY;
            if (!weekend && spans && mode_step(ax, t, n, d) == 1) ax->interval.unit = TSF_UNIT_BDAY;
        }
    } else {
        ax->interval.unit = kind == TSF_TIME_INDEX    ? TSF_UNIT_STEP
                            : kind == TSF_TIME_WEEK   ? TSF_UNIT_DAY
                            : kind == TSF_TIME_DATETIME ? TSF_UNIT_MICRO
                                                        : TSF_UNIT_MONTH;
    }
    ax->interval.count = mode_step(ax, t, n, d);
    if (ax->interval.count < 1) ax->interval.count = 1; /* distinct ticks: cannot happen */
}

static tsf_status grid_fail(const where *w, size_t i, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static tsf_status grid_fail(const where *w, size_t i, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tsf_set_error(TSF_EPARSE, "%s:%lu:%zu: %s", w->path, line_of(w, i), w->col, msg);
}

/* Parses every label into t[], checking one form and order. */
static tsf_status parse_all(char *const *labels, size_t n, const where *w, tsf_time_axis *ax,
                            int64_t *t)
{
    int digits4 = 1;
    tsf_quoted q1, q2;
    for (size_t i = 0; i < n; i++) {
        const char *s = labels[i] ? labels[i] : "";
        if (!*s)
            return grid_fail(w, i, "the time stamp is empty; every row needs one (rows of "
                             "missing stamps can be left out: they are filled in as missing "
                             "values)");
        tsf_time_form f;
        char why[160] = "";
        int r = tsf_time_parse_tick(s, &f, &t[i], why, sizeof why);
        if (r == TSF_P_INVALID) return grid_fail(w, i, "time '%s' is not valid: %s", Q(&q1, s), why);
        if (r != TSF_P_OK || !same_form(&f, &ax->form))
            return grid_fail(w, i, "time '%s' is not written like '%s' on line %lu (%s); "
                             "write every stamp of the column in one form", Q(&q1, s), Q(&q2, labels[0]),
                             line_of(w, 0), kind_words(&ax->form));
        if (f.frac > ax->form.frac) ax->form.frac = f.frac;
        ax->form.offset = f.offset; /* the last row's offset writes the future */
        digits4 &= strlen(s) == 4;
        if (i && t[i] < t[i - 1])
            return grid_fail(w, i, "time '%s' comes before '%s' on line %lu; sort the "
                             "file by time", Q(&q1, s), Q(&q2, labels[i - 1]), line_of(w, i - 1));
        if (i && t[i] == t[i - 1])
            return grid_fail(w, i, "time '%s' repeats the stamp of line %lu; every stamp "
                             "must appear once (remove or merge one of the rows)", Q(&q1, s),
                             line_of(w, i - 1));
    }
    if (ax->form.kind == TSF_TIME_INDEX && digits4) ax->interval.unit = TSF_UNIT_YEAR;
    return TSF_OK;
}

static void text_axis(tsf_time_axis *ax, size_t n, size_t *pos)
{
    memset(ax, 0, sizeof *ax);
    ax->n = n;
    ax->period = 1;
    for (size_t i = 0; i < n; i++) pos[i] = i;
}

tsf_status tsf_time_grid(char *const *labels, size_t n, const tsf_time_opts *opts,
                         const tsf_time_source *src, tsf_time_axis *axis, size_t *pos)
{
    if (!axis || (n && (!labels || !pos)))
        return tsf_set_error(TSF_EINVAL, "tsf_time_grid: NULL argument");
    where w = {src && src->path ? src->path : "data", src ? src->lines : NULL,
               src && src->column ? src->column : 1};
    tsf_time_axis ax;
    text_axis(&ax, n, pos);
    int64_t t0 = 0;
    char why[160];
    if (n == 0 || !labels[0] || tsf_time_parse_tick(labels[0], &ax.form, &t0, why, sizeof why) != TSF_P_OK) {
        *axis = ax;
        return TSF_OK; /* labels we keep as text */
    }
    int64_t *t = malloc(2 * n * sizeof *t);
    if (!t) return tsf_set_error(TSF_ENOMEM, "%s: out of memory reading the time column", w.path);
    tsf_status st = parse_all(labels, n, &w, &ax, t);
    int year_labels = ax.interval.unit == TSF_UNIT_YEAR;
    if (!st && opts && opts->interval.unit != TSF_UNIT_NONE) {
        char iv[64];
        tsf_quoted q1;
        tsf_interval_format(&opts->interval, iv, sizeof iv);
        if (opts->interval.count <= 0 || !fit_interval(ax.form.kind, opts->interval, &ax.interval))
            st = grid_fail(&w, 0, "the interval '%s' does not suit time stamps like '%s' (%s)",
                           iv, Q(&q1, labels[0]), kind_words(&ax.form));
        else if (ax.form.kind == TSF_TIME_DATE && ax.interval.unit == TSF_UNIT_MONTH) {
            int64_t y;
            int m, d;
            civil_from_days(floor_div(t[0], US_PER_DAY), &y, &m, &d);
            ax.anchor = d == days_in_month(y, m) ? -1 : d;
        }
    } else if (!st && n >= 2) {
        infer_interval(&ax, t, n, t + n);
    } else if (!st) { /* one row: the form's natural step */
        ax.interval.count = 1;
        ax.interval.unit = ax.form.kind == TSF_TIME_INDEX    ? TSF_UNIT_STEP
                           : ax.form.kind == TSF_TIME_QUARTER ? TSF_UNIT_MONTH
                           : ax.form.kind == TSF_TIME_MONTH  ? TSF_UNIT_MONTH
                           : ax.form.kind == TSF_TIME_WEEK   ? TSF_UNIT_DAY
                           : ax.form.kind == TSF_TIME_DATE   ? TSF_UNIT_DAY
                                                             : TSF_UNIT_MICRO;
        if (ax.form.kind == TSF_TIME_QUARTER) ax.interval.count = 3;
        if (ax.form.kind == TSF_TIME_WEEK) ax.interval.count = 7;
        if (ax.form.kind == TSF_TIME_DATETIME) ax.interval.count = US_PER_HOUR;
    }
    if (!st && year_labels && ax.interval.unit == TSF_UNIT_STEP) ax.interval.unit = TSF_UNIT_YEAR;
    int64_t c0 = 0, step = ax.interval.count;
    int round = opts && opts->round && ax.interval.unit == TSF_UNIT_MICRO;
    char ivs[64] = "";
    tsf_quoted first = {""}, q1, q2;
    if (!st) {
        tsf_interval_format(&ax.interval, ivs, sizeof ivs);
        coord(&ax, t[0], &c0);
        Q(&first, labels[0]);
    }
    for (size_t i = 0; !st && i < n; i++) {
        int64_t c;
        int on = coord(&ax, t[i], &c);
        int64_t k = round ? floor_div(2 * (c - c0) + step, 2 * step) : floor_div(c - c0, step);
        if (!on || (!round && (c - c0) % step != 0))
            st = grid_fail(&w, i, "time '%s' is off the %s grid that starts at '%s' on line "
                           "%lu; fix the stamp, or set the interval and let stamps move to the "
                           "nearest step (tsf: --interval and --round-time)", Q(&q1, labels[i]), ivs,
                           first.s, line_of(&w, 0));
        else if (i && (size_t)k == pos[i - 1])
            st = grid_fail(&w, i, "time '%s' falls on the same %s step as '%s' on line "
                           "%lu; every step may hold one row", Q(&q1, labels[i]), ivs, Q(&q2, labels[i - 1]),
                           line_of(&w, i - 1));
        else if (k < 0 || (uint64_t)k >= 2 * (uint64_t)n)
            st = grid_fail(&w, i, "the %s grid from '%s' (line %lu) to '%s' has more missing "
                           "stamps than rows: filling them would make more missing values than "
                           "data; check the stamps, or give the interval (tsf: --interval)",
                           ivs, first.s, line_of(&w, 0), Q(&q1, labels[i]));
        else
            pos[i] = (size_t)k;
    }
    free(t);
    if (st) return st;
    ax.first = tsf_time_tick_to_stamp(ax.form.kind, t0);
    ax.origin = t0;
    ax.n = pos[n - 1] + 1;
    ax.nfilled = ax.n - n;
    for (size_t i = 0; ax.nfilled && i < n; i++)
        if (pos[i] != i) {
            ax.first_gap = i;
            break;
        }
    ax.period = tsf_interval_period(&ax.interval);
    *axis = ax;
    return TSF_OK;
}

tsf_status tsf_time_locate(const tsf_time_axis *axis, const char *text, int64_t *k)
{
    if (!axis || !text || !k) return tsf_set_error(TSF_EINVAL, "tsf_time_locate: NULL argument");
    tsf_time_form f;
    tsf_quoted q1;
    int64_t t, c, c0;
    char why[160] = "";
    int r = tsf_time_parse_tick(text, &f, &t, why, sizeof why);
    if (axis->form.kind == TSF_TIME_TEXT || axis->interval.count <= 0)
        return tsf_set_error(TSF_EPARSE, "time '%s': the series has no time stamps to find "
                             "it among", Q(&q1, text));
    if (r == TSF_P_INVALID)
        return tsf_set_error(TSF_EPARSE, "time '%s' is not valid: %s", Q(&q1, text), why);
    if (r != TSF_P_OK || !same_form(&f, &axis->form))
        return tsf_set_error(TSF_EPARSE, "time '%s' is not written as the series' stamps (%s)",
                             Q(&q1, text), kind_words(&axis->form));
    coord(axis, axis->origin, &c0);
    if (!coord(axis, t, &c) || (c - c0) % axis->interval.count != 0) {
        char iv[64];
        tsf_interval_format(&axis->interval, iv, sizeof iv);
        return tsf_set_error(TSF_EPARSE, "time '%s' is off the series' %s grid", Q(&q1, text), iv);
    }
    *k = (c - c0) / axis->interval.count;
    return TSF_OK;
}

void tsf_time_spread(const size_t *pos, size_t n, size_t ngrid, double *vals)
{
    if (!vals || !pos || n == 0) return;
    size_t next = ngrid; /* steps next..ngrid-1 are done */
    for (size_t i = n; i-- > 0;) {
        for (size_t k = pos[i] + 1; k < next; k++) vals[k] = NAN;
        vals[pos[i]] = vals[i];
        next = pos[i];
    }
}

tsf_status tsf_time_spread_labels(const tsf_time_axis *axis, const size_t *pos, size_t n,
                                  char **labels)
{
    if (!axis || (n && (!pos || !labels)))
        return tsf_set_error(TSF_EINVAL, "tsf_time_spread_labels: NULL argument");
    size_t next = axis->n;
    for (size_t i = n; i-- > 0;) {
        for (size_t k = pos[i] + 1; k < next; k++) labels[k] = NULL;
        labels[pos[i]] = labels[i];
        if (pos[i] != i) labels[i] = NULL;
        next = pos[i];
    }
    tsf_status st = TSF_OK;
    tsf_time_axis local = *axis;
    int64_t t;
    char why[160], buf[80];
    for (size_t k = 0; k < axis->n; k++) {
        if (labels[k]) {
            tsf_time_parse_tick(labels[k], &local.form, &t, why, sizeof why); /* its offset */
            local.form.frac = axis->form.frac;
            continue;
        }
        if (st || tsf_time_label(&local, (int64_t)k, buf, sizeof buf) ||
            !(labels[k] = strdup(buf)))
            st = tsf_set_error(TSF_ENOMEM, "out of memory filling the time column");
    }
    return st;
}
