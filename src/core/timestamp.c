/* Time stamps: the forms a time column may hold, their numbers, and
 * sampling intervals with their seasonal periods (include/tsf/time.h,
 * docs/file-formats.md).  The grid of a column is time_grid.c's.
 *
 * Internally a stamp is a "tick", an int64 in the form's own unit:
 * the integer of an index, months since year 0 for months and quarters,
 * microseconds since 1970-01-01T00:00Z for weeks, dates and date-times
 * (an exact count: fractional seconds are read to the microsecond).
 *
 * Calendar: proleptic Gregorian; days from a civil date count whole
 * 400-year eras of 146097 days and, within an era, years that begin on
 * 1 March, so that the leap day is the last day of a year and months
 * March..February have lengths given by (153 m + 2) / 5 (H. Hinnant,
 * "chrono-compatible low-level date algorithms", derivation from the
 * Gregorian rules).  ISO 8601 weeks begin on Monday; week 1 is the one
 * with the year's first Thursday (equivalently, with 4 January). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "time_internal.h"

/* ISO 8601 week-numbering year and week of a day. */
static void iso_week(int64_t day, int64_t *year, int *week)
{
    int64_t thu = day - weekday(day) + 3; /* the Thursday of its week names the year */
    int64_t y;
    int m, d;
    civil_from_days(thu, &y, &m, &d);
    *year = y;
    *week = (int)((thu - days_from_civil(y, 1, 1)) / 7 + 1);
}

static const char *const month_names[12] = {"January", "February", "March",     "April",
                                            "May",     "June",     "July",      "August",
                                            "September", "October", "November", "December"};

/* ---- parsing ---- */


static int ndigits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = 10 * x + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* Parses s into form and tick; on TSF_P_INVALID, why says what is wrong. */
int tsf_time_parse_tick(const char *s, tsf_time_form *f, int64_t *tick, char *why, size_t nwhy)
{
    memset(f, 0, sizeof *f);
    size_t len = strlen(s), nd = 0;
    while (nd < len && s[nd] >= '0' && s[nd] <= '9') nd++;
    if (nd == 0) return TSF_P_NOTSTAMP;
    if (nd == len) { /* an index or a plain year */
        if (nd > 15) return TSF_P_NOTSTAMP;
        f->kind = TSF_TIME_INDEX;
        *tick = strtoll(s, NULL, 10);
        return TSF_P_OK;
    }
    int y;
    if (nd != 4 || s[4] != '-' || !ndigits(s, 4, &y)) return TSF_P_NOTSTAMP;
    const char *r = s + 5;
    int a, b;
    if (r[0] == 'Q' && r[1] && !r[2]) {
        if (r[1] < '1' || r[1] > '4') {
            snprintf(why, nwhy, "a quarter is Q1 to Q4");
            return r[1] >= '0' && r[1] <= '9' ? TSF_P_INVALID : TSF_P_NOTSTAMP;
        }
        f->kind = TSF_TIME_QUARTER;
        *tick = (int64_t)y * 12 + (r[1] - '1') * 3;
        return TSF_P_OK;
    }
    if (r[0] == 'W' && ndigits(r + 1, 2, &a) && !r[3]) {
        int64_t jan4 = days_from_civil(y, 1, 4);
        int64_t day = jan4 - weekday(jan4) + 7 * (int64_t)(a - 1);
        int64_t iy;
        int w;
        iso_week(day, &iy, &w);
        if (a < 1 || iy != y) {
            iso_week(days_from_civil(y, 12, 28), &iy, &w); /* 28 December: the last week */
            snprintf(why, nwhy, "ISO year %04d has weeks W01 to W%02d", y, w);
            return TSF_P_INVALID;
        }
        f->kind = TSF_TIME_WEEK;
        *tick = day * US_PER_DAY;
        return TSF_P_OK;
    }
    if (!ndigits(r, 2, &a)) return TSF_P_NOTSTAMP;
    if (a < 1 || a > 12) {
        snprintf(why, nwhy, "a month is 01 to 12");
        return TSF_P_INVALID;
    }
    if (!r[2]) {
        f->kind = TSF_TIME_MONTH;
        *tick = (int64_t)y * 12 + a - 1;
        return TSF_P_OK;
    }
    if (r[2] != '-' || !ndigits(r + 3, 2, &b)) return TSF_P_NOTSTAMP;
    if (b < 1 || b > days_in_month(y, a)) {
        snprintf(why, nwhy, "%s %04d has %d days", month_names[a - 1], y, days_in_month(y, a));
        return TSF_P_INVALID;
    }
    int64_t day = days_from_civil(y, a, b);
    r += 5;
    if (!*r) {
        f->kind = TSF_TIME_DATE;
        *tick = day * US_PER_DAY;
        return TSF_P_OK;
    }
    int hh, mm, ss = 0;
    if ((*r != 'T' && *r != ' ') || !ndigits(r + 1, 2, &hh) || r[3] != ':' ||
        !ndigits(r + 4, 2, &mm))
        return TSF_P_NOTSTAMP;
    f->kind = TSF_TIME_DATETIME;
    f->sep = *r;
    r += 6;
    int64_t us = 0;
    if (*r == ':') {
        if (!ndigits(r + 1, 2, &ss)) return TSF_P_NOTSTAMP;
        f->seconds = 1;
        r += 3;
        if (*r == '.') {
            r++;
            int k = 0;
            while (r[k] >= '0' && r[k] <= '9') k++;
            if (k == 0 || k > 6) {
                if (k == 0) return TSF_P_NOTSTAMP;
                snprintf(why, nwhy, "at most 6 digits of a second (microseconds) are read");
                return TSF_P_INVALID;
            }
            for (int i = 0; i < 6; i++) us = 10 * us + (i < k ? r[i] - '0' : 0);
            f->frac = k;
            r += k;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) {
        snprintf(why, nwhy, "hours are 00 to 23, minutes and seconds 00 to 59");
        return TSF_P_INVALID;
    }
    int off = 0;
    if (*r == 'Z') {
        f->zone = 1;
        r++;
    } else if (*r == '+' || *r == '-') {
        int oh, om;
        if (!ndigits(r + 1, 2, &oh) || r[3] != ':' || !ndigits(r + 4, 2, &om)) return TSF_P_NOTSTAMP;
        if (oh > 23 || om > 59) {
            snprintf(why, nwhy, "an offset is -23:59 to +23:59");
            return TSF_P_INVALID;
        }
        off = (oh * 60 + om) * (*r == '-' ? -1 : 1);
        f->zone = 2;
        f->offset = off;
        r += 6;
    }
    if (*r) return TSF_P_NOTSTAMP;
    *tick = day * US_PER_DAY + hh * US_PER_HOUR + mm * US_PER_MIN + ss * US_PER_S + us -
            (int64_t)off * US_PER_MIN;
    return TSF_P_OK;
}

double tsf_time_tick_to_stamp(tsf_time_kind kind, int64_t t)
{
    if (kind == TSF_TIME_QUARTER) return (double)(t / 3);
    if (kind == TSF_TIME_INDEX || kind == TSF_TIME_MONTH) return (double)t;
    return (double)t / (double)US_PER_S;
}

int tsf_time_stamp_to_tick(tsf_time_kind kind, double s, int64_t *t)
{
    double x = kind == TSF_TIME_QUARTER ? 3.0 * s
               : kind == TSF_TIME_INDEX || kind == TSF_TIME_MONTH ? s
                                                                  : s * (double)US_PER_S;
    if (!isfinite(x) || fabs(x) > 9.0e18) return 0;
    *t = (int64_t)llround(x);
    return 1;
}

tsf_status tsf_time_parse(const char *text, tsf_time_form *form, double *stamp)
{
    if (!text || !form || !stamp) return tsf_set_error(TSF_EINVAL, "tsf_time_parse: NULL argument");
    char why[160] = "";
    tsf_quoted q;
    int64_t t;
    int r = tsf_time_parse_tick(text, form, &t, why, sizeof why);
    if (r == TSF_P_INVALID)
        return tsf_set_error(TSF_EPARSE, "time '%s' is not valid: %s", Q(&q, text), why);
    if (r != TSF_P_OK)
        return tsf_set_error(TSF_EPARSE,
                             "time '%s' is not a time stamp; write 2024-01-05, "
                             "2024-01-05T13:00[:00[.250]][Z|+01:00], 2024-01, 2024-Q1, "
                             "2024-W01 or an integer", Q(&q, text));
    *stamp = tsf_time_tick_to_stamp(form->kind, t);
    return TSF_OK;
}

/* ---- formatting ---- */

int tsf_time_format_tick(int64_t t, const tsf_time_form *f, char *buf, size_t size)
{
    int k = -1;
    int64_t y;
    int m, d;
    switch (f->kind) {
    case TSF_TIME_INDEX:
        k = snprintf(buf, size, "%lld", (long long)t);
        break;
    case TSF_TIME_QUARTER:
    case TSF_TIME_MONTH:
        y = floor_div(t, 12);
        m = (int)floor_mod(t, 12);
        if (y < 0 || y > 9999) break;
        k = f->kind == TSF_TIME_MONTH ? snprintf(buf, size, "%04d-%02d", (int)y, m + 1)
                                      : snprintf(buf, size, "%04d-Q%d", (int)y, m / 3 + 1);
        break;
    case TSF_TIME_WEEK: {
        int w;
        iso_week(floor_div(t, US_PER_DAY), &y, &w);
        if (y < 0 || y > 9999) break;
        k = snprintf(buf, size, "%04d-W%02d", (int)y, w);
        break;
    }
    case TSF_TIME_DATE:
    case TSF_TIME_DATETIME: {
        int64_t local = t + (f->zone == 2 ? (int64_t)f->offset * US_PER_MIN : 0);
        int64_t day = floor_div(local, US_PER_DAY), us = floor_mod(local, US_PER_DAY);
        civil_from_days(day, &y, &m, &d);
        if (y < 0 || y > 9999) break;
        k = snprintf(buf, size, "%04d-%02d-%02d", (int)y, m, d);
        if (f->kind == TSF_TIME_DATE || k < 0 || (size_t)k >= size) break;
        size_t o = (size_t)k;
        k = snprintf(buf + o, size - o, "%c%02d:%02d", f->sep ? f->sep : 'T',
                     (int)(us / US_PER_HOUR), (int)(us / US_PER_MIN % 60));
        if (k < 0 || (o += (size_t)k) >= size) break;
        if (f->seconds) {
            k = snprintf(buf + o, size - o, ":%02d", (int)(us / US_PER_S % 60));
            if (k < 0 || (o += (size_t)k) >= size) break;
            if (f->frac > 0) {
                int64_t div = 1;
                for (int i = f->frac; i < 6; i++) div *= 10;
                k = snprintf(buf + o, size - o, ".%0*lld", f->frac,
                             (long long)(us % US_PER_S / div));
                if (k < 0 || (o += (size_t)k) >= size) break;
            }
        }
        if (f->zone == 1) k = snprintf(buf + o, size - o, "Z");
        else if (f->zone == 2)
            k = snprintf(buf + o, size - o, "%c%02d:%02d", f->offset < 0 ? '-' : '+',
                         abs(f->offset) / 60, abs(f->offset) % 60);
        else k = 0;
        if (k >= 0) k += (int)o;
        break;
    }
    default:
        break;
    }
    if (k < 0 || (size_t)k >= size) {
        if (size) buf[0] = '\0';
        return 0;
    }
    return 1;
}

tsf_status tsf_time_format(double stamp, const tsf_time_form *form, char *buf, size_t size)
{
    if (!form || !buf || size == 0)
        return tsf_set_error(TSF_EINVAL, "tsf_time_format: NULL argument");
    int64_t t;
    if (form->kind == TSF_TIME_TEXT || !tsf_time_stamp_to_tick(form->kind, stamp, &t) ||
        !tsf_time_format_tick(t, form, buf, size))
        return tsf_set_error(TSF_EINVAL, "tsf_time_format: the stamp %g cannot be written in "
                             "this form (years 0000..9999) or the buffer is too small", stamp);
    return TSF_OK;
}

/* ---- intervals ---- */

static const struct {
    const char *name;
    tsf_time_unit unit;
    int64_t mult;
} unit_words[] = {
    {"microsecond", TSF_UNIT_MICRO, 1},
    {"millisecond", TSF_UNIT_MICRO, 1000},
    {"second", TSF_UNIT_MICRO, US_PER_S},
    {"minute", TSF_UNIT_MICRO, US_PER_MIN},
    {"hour", TSF_UNIT_MICRO, US_PER_HOUR},
    {"business day", TSF_UNIT_BDAY, 1},
    {"day", TSF_UNIT_DAY, 1},
    {"week", TSF_UNIT_DAY, 7},
    {"month", TSF_UNIT_MONTH, 1},
    {"quarter", TSF_UNIT_MONTH, 3},
    {"year", TSF_UNIT_MONTH, 12},
    {"step", TSF_UNIT_STEP, 1},
};

tsf_status tsf_interval_parse(const char *text, tsf_interval *iv)
{
    if (!text || !iv) return tsf_set_error(TSF_EINVAL, "tsf_interval_parse: NULL argument");
    const char *s = text;
    tsf_quoted q;
    int64_t n = 0;
    int nd = 0;
    while (*s >= '0' && *s <= '9' && nd < 12) n = 10 * n + (*s++ - '0'), nd++;
    if (*s == ' ') s++;
    size_t len = strlen(s);
    if (len && s[len - 1] == 's') len--; /* plural */
    for (size_t i = 0; nd > 0 && n > 0 && i < sizeof unit_words / sizeof unit_words[0]; i++) {
        if (strlen(unit_words[i].name) != len || strncmp(s, unit_words[i].name, len) != 0)
            continue;
        iv->unit = unit_words[i].unit;
        iv->count = n * unit_words[i].mult;
        return TSF_OK;
    }
    return tsf_set_error(TSF_EPARSE,
                         "interval '%s' is not understood; write a count and a unit, e.g. "
                         "'1 hour', '30 minutes', '1 day', '1 business day', '1 week', "
                         "'1 month', '1 quarter', '1 year' (also microseconds, milliseconds, "
                         "seconds, steps)", Q(&q, text));
}

int tsf_interval_format(const tsf_interval *iv, char *buf, size_t size)
{
    if (!buf || size == 0) return 0;
    buf[0] = '\0';
    if (!iv || iv->count <= 0) return 0;
    int64_t n = iv->count;
    const char *w = NULL;
    switch (iv->unit) {
    case TSF_UNIT_STEP: w = "step"; break;
    case TSF_UNIT_YEAR: w = "year"; break;
    case TSF_UNIT_BDAY: w = "business day"; break;
    case TSF_UNIT_MONTH:
        if (n % 12 == 0) n /= 12, w = "year";
        else if (n % 3 == 0) n /= 3, w = "quarter";
        else w = "month";
        break;
    case TSF_UNIT_DAY:
        if (n % 7 == 0) n /= 7, w = "week";
        else w = "day";
        break;
    case TSF_UNIT_MICRO: {
        static const struct { int64_t us; const char *w; } u[] = {
            {7 * US_PER_DAY, "week"}, {US_PER_DAY, "day"}, {US_PER_HOUR, "hour"},
            {US_PER_MIN, "minute"}, {US_PER_S, "second"}, {1000, "millisecond"},
            {1, "microsecond"}};
        for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
            if (n % u[i].us == 0) {
                n /= u[i].us;
                w = u[i].w;
                break;
            }
        break;
    }
    default:
        return 0;
    }
    int k = snprintf(buf, size, "%lld %s%s", (long long)n, w, n == 1 ? "" : "s");
    if (k < 0 || (size_t)k >= size) {
        buf[0] = '\0';
        return 0;
    }
    return 1;
}

/* Steps of `count` in one cycle of length `cycle`, or 0 when they do not
 * divide it. */
static int per(int64_t cycle, int64_t count)
{
    return count > 0 && cycle % count == 0 && cycle / count <= 1000000 ? (int)(cycle / count)
                                                                       : 0;
}

int tsf_interval_period(const tsf_interval *iv)
{
    if (!iv || iv->count <= 0) return 1;
    int64_t n = iv->count;
    int p = 0;
    switch (iv->unit) {
    case TSF_UNIT_MONTH: p = per(12, n); break; /* the year */
    case TSF_UNIT_BDAY: p = n == 1 ? 5 : 0; break; /* the trading week */
    case TSF_UNIT_DAY:
        p = n == 1 ? 7 : n % 7 == 0 ? per(52, n / 7) : 0; /* the week; weeks: the year */
        break;
    case TSF_UNIT_MICRO:
        if (n % US_PER_DAY == 0) {
            tsf_interval d = {TSF_UNIT_DAY, n / US_PER_DAY};
            return tsf_interval_period(&d);
        }
        /* From 15 minutes to a day the cycle is the day; from a minute to
         * 15 minutes the hour; below a minute, the minute. */
        p = n >= 15 * US_PER_MIN ? per(US_PER_DAY, n)
            : n >= US_PER_MIN    ? per(US_PER_HOUR, n)
            : n % US_PER_S == 0  ? per(US_PER_MIN, n)
                                 : 0; /* below a second: no cycle is assumed */
        break;
    default:
        break;
    }
    return p > 1 ? p : 1;
}
