/* Internal to src/core/timestamp.c and time_grid.c: the calendar and the
 * stamp "ticks" (see the top of timestamp.c). */
#ifndef TSF_CORE_TIME_INTERNAL_H
#define TSF_CORE_TIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "tsf/time.h"

#define US_PER_S 1000000LL
#define US_PER_MIN (60 * US_PER_S)
#define US_PER_HOUR (60 * US_PER_MIN)
#define US_PER_DAY (24 * US_PER_HOUR)

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

static inline int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

static inline void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

static inline int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static inline int days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Monday = 0 .. Sunday = 6; 1970-01-01 was a Thursday. */
static inline int weekday(int64_t day) { return (int)floor_mod(day + 3, 7); }

/* Business-day number of a weekday: five per Monday-based week. */
static inline int64_t bday_from_day(int64_t day)
{
    return 5 * floor_div(day + 3, 7) + weekday(day);
}

static inline int64_t day_from_bday(int64_t b) { return 7 * floor_div(b, 5) + floor_mod(b, 5) - 3; }

/* Text quoted for a one-line message (tsf_show_text) in the caller's
 * buffer: Q(&q, s) inside a message's arguments. */
typedef struct {
    char s[200];
} tsf_quoted;
const char *tsf_show_text(char *out, size_t n, const char *text, size_t len);
static inline const char *Q(tsf_quoted *q, const char *t)
{
    return tsf_show_text(q->s, sizeof q->s, t ? t : "", t ? strlen(t) : 0);
}

/* Results of tsf_time_parse_tick. */
enum { TSF_P_OK, TSF_P_NOTSTAMP, TSF_P_INVALID };

/* Parses s into its form and tick; TSF_P_INVALID fills why with what is
 * wrong ("February 2023 has 28 days"). */
int tsf_time_parse_tick(const char *s, tsf_time_form *f, int64_t *tick, char *why, size_t nwhy);

/* Writes tick t in form f; 0 when buf is too small or the year is outside
 * 0000..9999 (buf then ""). */
int tsf_time_format_tick(int64_t t, const tsf_time_form *f, char *buf, size_t size);

/* Public stamps (tsf/time.h) and ticks. */
double tsf_time_tick_to_stamp(tsf_time_kind kind, int64_t t);
int tsf_time_stamp_to_tick(tsf_time_kind kind, double s, int64_t *t);

#endif
