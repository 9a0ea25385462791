/* Time stamps: the forms a time column may hold, their numbers, the
 * regular grid of a series and its gaps (include/tsf/time.h,
 * docs/file-formats.md).
 *
 * Internally a stamp is a "tick", an int64 in the form's own unit:
 * the integer of an index, months since year 0 for months and quarters,
 * microseconds since 1970-01-01T00:00Z for weeks, dates and date-times.
 * A grid step is counted in the interval's unit ("coordinate"): the
 * tick itself (index, months, microseconds), days, business days, or the
 * month count of a date anchored on one day of the month.
 *
 * Calendar: proleptic Gregorian; days from a civil date count whole
 * 400-year eras of 146097 days and, within an era, years that begin on
 * 1 March, so that the leap day is the last day of a year and months
 * March..February have lengths given by (153 m + 2) / 5 (H. Hinnant,
 * "chrono-compatible low-level date algorithms", derivation from the
 * Gregorian rules).  ISO 8601 weeks begin on Monday; week 1 is the one
 * with the year's first Thursday (equivalently, with 4 January). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "tsf/time.h"

#define US_PER_S 1000000LL
#define US_PER_MIN (60 * US_PER_S)
#define US_PER_HOUR (60 * US_PER_MIN)
#define US_PER_DAY (24 * US_PER_HOUR)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Monday = 0 .. Sunday = 6; 1970-01-01 was a Thursday. */
static int weekday(int64_t day) { return (int)floor_mod(day + 3, 7); }

/* Business-day number of a weekday: five per Monday-based week. */
static int64_t bday_from_day(int64_t day)
{
    return 5 * floor_div(day + 3, 7) + weekday(day);
}

static int64_t day_from_bday(int64_t b) { return 7 * floor_div(b, 5) + floor_mod(b, 5) - 3; }

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

enum { P_OK, P_NOTSTAMP, P_INVALID };

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

/* Parses s into form and tick; on P_INVALID, why says what is wrong. */
static int parse_tick(const char *s, tsf_time_form *f, int64_t *tick, char *why, size_t nwhy)
{
    memset(f, 0, sizeof *f);
    size_t len = strlen(s), nd = 0;
    while (nd < len && s[nd] >= '0' && s[nd] <= '9') nd++;
    if (nd == 0) return P_NOTSTAMP;
    if (nd == len) { /* an index or a plain year */
        if (nd > 15) return P_NOTSTAMP;
        f->kind = TSF_TIME_INDEX;
        *tick = strtoll(s, NULL, 10);
        return P_OK;
    }
    int y;
    if (nd != 4 || s[4] != '-' || !ndigits(s, 4, &y)) return P_NOTSTAMP;
    const char *r = s + 5;
    int a, b;
    if (r[0] == 'Q' && r[1] && !r[2]) {
        if (r[1] < '1' || r[1] > '4') {
            snprintf(why, nwhy, "a quarter is Q1 to Q4");
            return r[1] >= '0' && r[1] <= '9' ? P_INVALID : P_NOTSTAMP;
        }
        f->kind = TSF_TIME_QUARTER;
        *tick = (int64_t)y * 12 + (r[1] - '1') * 3;
        return P_OK;
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
            return P_INVALID;
        }
        f->kind = TSF_TIME_WEEK;
        *tick = day * US_PER_DAY;
        return P_OK;
    }
    if (!ndigits(r, 2, &a)) return P_NOTSTAMP;
    if (a < 1 || a > 12) {
        snprintf(why, nwhy, "a month is 01 to 12");
        return P_INVALID;
    }
    if (!r[2]) {
        f->kind = TSF_TIME_MONTH;
        *tick = (int64_t)y * 12 + a - 1;
        return P_OK;
    }
    if (r[2] != '-' || !ndigits(r + 3, 2, &b)) return P_NOTSTAMP;
    if (b < 1 || b > days_in_month(y, a)) {
        snprintf(why, nwhy, "%s %04d has %d days", month_names[a - 1], y, days_in_month(y, a));
        return P_INVALID;
    }
    int64_t day = days_from_civil(y, a, b);
    r += 5;
    if (!*r) {
        f->kind = TSF_TIME_DATE;
        *tick = day * US_PER_DAY;
        return P_OK;
    }
    int hh, mm, ss = 0;
    if ((*r != 'T' && *r != ' ') || !ndigits(r + 1, 2, &hh) || r[3] != ':' ||
        !ndigits(r + 4, 2, &mm))
        return P_NOTSTAMP;
    f->kind = TSF_TIME_DATETIME;
    f->sep = *r;
    r += 6;
    int64_t us = 0;
    if (*r == ':') {
        if (!ndigits(r + 1, 2, &ss)) return P_NOTSTAMP;
        f->seconds = 1;
        r += 3;
        if (*r == '.') {
            r++;
            int k = 0;
            while (r[k] >= '0' && r[k] <= '9') k++;
            if (k == 0 || k > 6) {
                if (k == 0) return P_NOTSTAMP;
                snprintf(why, nwhy, "at most 6 digits of a second (microseconds) are read");
                return P_INVALID;
            }
            for (int i = 0; i < 6; i++) us = 10 * us + (i < k ? r[i] - '0' : 0);
            f->frac = k;
            r += k;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) {
        snprintf(why, nwhy, "hours are 00 to 23, minutes and seconds 00 to 59");
        return P_INVALID;
    }
    int off = 0;
    if (*r == 'Z') {
        f->zone = 1;
        r++;
    } else if (*r == '+' || *r == '-') {
        int oh, om;
        if (!ndigits(r + 1, 2, &oh) || r[3] != ':' || !ndigits(r + 4, 2, &om)) return P_NOTSTAMP;
        if (oh > 23 || om > 59) {
            snprintf(why, nwhy, "an offset is -23:59 to +23:59");
            return P_INVALID;
        }
        off = (oh * 60 + om) * (*r == '-' ? -1 : 1);
        f->zone = 2;
        f->offset = off;
        r += 6;
    }
    if (*r) return P_NOTSTAMP;
    *tick = day * US_PER_DAY + hh * US_PER_HOUR + mm * US_PER_MIN + ss * US_PER_S + us -
            (int64_t)off * US_PER_MIN;
    return P_OK;
}

static double tick_to_stamp(tsf_time_kind kind, int64_t t)
{
    if (kind == TSF_TIME_QUARTER) return (double)(t / 3);
    if (kind == TSF_TIME_INDEX || kind == TSF_TIME_MONTH) return (double)t;
    return (double)t / (double)US_PER_S;
}

static int stamp_to_tick(tsf_time_kind kind, double s, int64_t *t)
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
    int64_t t;
    int r = parse_tick(text, form, &t, why, sizeof why);
    if (r == P_INVALID)
        return tsf_set_error(TSF_EPARSE, "time '%.40s' is not valid: %s", text, why);
    if (r != P_OK)
        return tsf_set_error(TSF_EPARSE,
                             "time '%.40s' is not a time stamp; write 2024-01-05, "
                             "2024-01-05T13:00[:00[.250]][Z|+01:00], 2024-01, 2024-Q1, "
                             "2024-W01 or an integer", text);
    *stamp = tick_to_stamp(form->kind, t);
    return TSF_OK;
}

/* ---- formatting ---- */

static int format_tick(int64_t t, const tsf_time_form *f, char *buf, size_t size)
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
    if (form->kind == TSF_TIME_TEXT || !stamp_to_tick(form->kind, stamp, &t) ||
        !format_tick(t, form, buf, size))
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
                         "interval '%.40s' is not understood; write a count and a unit, e.g. "
                         "'1 hour', '30 minutes', '1 day', '1 business day', '1 week', "
                         "'1 month', '1 quarter', '1 year' (also microseconds, milliseconds, "
                         "seconds, steps)", text);
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

/* ---- the grid ---- */

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

tsf_status tsf_time_label(const tsf_time_axis *axis, int64_t k, char *buf, size_t size)
{
    if (!axis || !buf || size == 0)
        return tsf_set_error(TSF_EINVAL, "tsf_time_label: NULL argument");
    buf[0] = '\0';
    int64_t t0, c0;
    if (axis->form.kind == TSF_TIME_TEXT || axis->interval.count <= 0 ||
        !stamp_to_tick(axis->form.kind, axis->first, &t0))
        return tsf_set_error(TSF_EINVAL, "tsf_time_label: the time labels are not stamps");
    coord(axis, t0, &c0);
    int64_t n = axis->interval.count;
    if (k > COORD_MAX / n || k < -COORD_MAX / n || c0 > COORD_MAX || c0 < -COORD_MAX ||
        !format_tick(tick_of(axis, c0 + k * n), &axis->form, buf, size))
        return tsf_set_error(TSF_EINVAL, "tsf_time_label: step %lld lies beyond the year 9999 "
                             "or the buffer is too small", (long long)k);
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
    for (size_t i = 0; i < n; i++) {
        const char *s = labels[i] ? labels[i] : "";
        if (!*s)
            return grid_fail(w, i, "the time stamp is empty; every row needs one (rows of "
                             "missing stamps can be left out: they are filled in as missing "
                             "values)");
        tsf_time_form f;
        char why[160] = "";
        int r = parse_tick(s, &f, &t[i], why, sizeof why);
        if (r == P_INVALID) return grid_fail(w, i, "time '%.40s' is not valid: %s", s, why);
        if (r != P_OK || !same_form(&f, &ax->form))
            return grid_fail(w, i, "time '%.40s' is not written like '%.40s' on line %lu (%s); "
                             "write every stamp of the column in one form", s, labels[0],
                             line_of(w, 0), kind_words(&ax->form));
        if (f.frac > ax->form.frac) ax->form.frac = f.frac;
        ax->form.offset = f.offset; /* the last row's offset writes the future */
        digits4 &= strlen(s) == 4;
        if (i && t[i] < t[i - 1])
            return grid_fail(w, i, "time '%.40s' comes before '%.40s' on line %lu; sort the "
                             "file by time", s, labels[i - 1], line_of(w, i - 1));
        if (i && t[i] == t[i - 1])
            return grid_fail(w, i, "time '%.40s' repeats the stamp of line %lu; every stamp "
                             "must appear once (remove or merge one of the rows)", s,
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
    if (n == 0 || !labels[0] || parse_tick(labels[0], &ax.form, &t0, why, sizeof why) != P_OK) {
        *axis = ax;
        return TSF_OK; /* labels we keep as text */
    }
    int64_t *t = malloc(2 * n * sizeof *t);
    if (!t) return tsf_set_error(TSF_ENOMEM, "%s: out of memory reading the time column", w.path);
    tsf_status st = parse_all(labels, n, &w, &ax, t);
    int year_labels = ax.interval.unit == TSF_UNIT_YEAR;
    if (!st && opts && opts->interval.unit != TSF_UNIT_NONE) {
        char iv[64];
        tsf_interval_format(&opts->interval, iv, sizeof iv);
        if (opts->interval.count <= 0 || !fit_interval(ax.form.kind, opts->interval, &ax.interval))
            st = grid_fail(&w, 0, "the interval '%s' does not suit time stamps like '%.40s' (%s)",
                           iv, labels[0], kind_words(&ax.form));
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
    char ivs[64] = "", first[64] = "";
    if (!st) {
        tsf_interval_format(&ax.interval, ivs, sizeof ivs);
        coord(&ax, t[0], &c0);
        snprintf(first, sizeof first, "%.40s", labels[0]);
    }
    for (size_t i = 0; !st && i < n; i++) {
        int64_t c;
        int on = coord(&ax, t[i], &c);
        int64_t k = round ? floor_div(2 * (c - c0) + step, 2 * step) : floor_div(c - c0, step);
        if (!on || (!round && (c - c0) % step != 0))
            st = grid_fail(&w, i, "time '%.40s' is off the %s grid that starts at '%s' on line "
                           "%lu; fix the stamp, or set the interval and let stamps move to the "
                           "nearest step (tsf: --interval and --round-time)", labels[i], ivs,
                           first, line_of(&w, 0));
        else if (i && (size_t)k == pos[i - 1])
            st = grid_fail(&w, i, "time '%.40s' falls on the same %s step as '%.40s' on line "
                           "%lu; every step may hold one row", labels[i], ivs, labels[i - 1],
                           line_of(&w, i - 1));
        else if (k < 0 || (uint64_t)k >= 2 * (uint64_t)n)
            st = grid_fail(&w, i, "the %s grid from '%s' (line %lu) to '%.40s' has more missing "
                           "stamps than rows: filling them would make more missing values than "
                           "data; check the stamps, or give the interval (tsf: --interval)",
                           ivs, first, line_of(&w, 0), labels[i]);
        else
            pos[i] = (size_t)k;
    }
    free(t);
    if (st) return st;
    ax.first = tick_to_stamp(ax.form.kind, t0);
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
    int64_t t, t0 = 0, c, c0;
    char why[160] = "";
    int r = parse_tick(text, &f, &t, why, sizeof why);
    if (axis->form.kind == TSF_TIME_TEXT || axis->interval.count <= 0)
        return tsf_set_error(TSF_EPARSE, "time '%.40s': the series has no time stamps to find "
                             "it among", text);
    if (r == P_INVALID) return tsf_set_error(TSF_EPARSE, "time '%.40s' is not valid: %s", text, why);
    if (r != P_OK || !same_form(&f, &axis->form))
        return tsf_set_error(TSF_EPARSE, "time '%.40s' is not written as the series' stamps (%s)",
                             text, kind_words(&axis->form));
    stamp_to_tick(axis->form.kind, axis->first, &t0);
    coord(axis, t0, &c0);
    if (!coord(axis, t, &c) || (c - c0) % axis->interval.count != 0) {
        char iv[64];
        tsf_interval_format(&axis->interval, iv, sizeof iv);
        return tsf_set_error(TSF_EPARSE, "time '%.40s' is off the series' %s grid", text, iv);
    }
    *k = (c - c0) / axis->interval.count;
    return TSF_OK;
}

void tsf_time_spread(const size_t *pos, size_t n, size_t ngrid, double *vals)
{
    if (!vals || n == 0) return;
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
            parse_tick(labels[k], &local.form, &t, why, sizeof why); /* its offset */
            local.form.frac = axis->form.frac;
            continue;
        }
        if (st || tsf_time_label(&local, (int64_t)k, buf, sizeof buf) ||
            !(labels[k] = strdup(buf)))
            st = tsf_set_error(TSF_ENOMEM, "out of memory filling the time column");
    }
    return st;
}
