/* Deterministic regressors: Fourier terms of a seasonal period (R's
 * forecast::fourier) and calendar dummies of a time axis.  Both are
 * functions of the time index alone, so the future rows of a forecast are
 * generated the same way as the fitted ones. */
#include <math.h>
#include <stdio.h>
#include "internal.h"
#include "tsf/model.h"

tsf_status tsf_fourier(double period, int K, size_t t0, size_t n, double *x, size_t ld,
                       char (*names)[24], size_t *ncols)
{
    if (!(period > 1.0) || !isfinite(period))
        return tsf_set_error(TSF_EINVAL, "fourier: the period must be a number above 1 (got %g)",
                             period);
    if (K < 1 || 2.0 * K > period)
        return tsf_set_error(TSF_EINVAL, "fourier(%g,%d): K must be between 1 and period/2 = %g",
                             period, K, period / 2.0);
    if (x && ld < n) return tsf_set_error(TSF_EINVAL, "fourier: ld %zu < n %zu", ld, n);
    size_t j = 0;
    for (int k = 1; k <= K; k++) {
        /* 2k = period: sin(pi t) is 0 at every integer t (R drops it) */
        int has_sin = fabs(2.0 * k - period) > 1e-12;
        for (int c = has_sin ? 0 : 1; c < 2; c++, j++) {
            if (names) { /* at most 23 characters for a period above 1: "S99999-1.234567891e+99" */
                char nm[48];
                snprintf(nm, sizeof nm, "%c%d-%.10g", c ? 'C' : 'S', k % 100000, period);
                snprintf(names[j], 24, "%.23s", nm);
            }
            if (!x) continue;
            for (size_t i = 0; i < n; i++) {
                /* the phase k t / period reduced to [0, 1) before the
                 * multiplication by 2 pi keeps large t exact */
                double t = (double)(t0 + i + 1), ph = fmod((double)k * t, period) / period;
                x[j * ld + i] = c ? cos(2.0 * M_PI * ph) : sin(2.0 * M_PI * ph);
            }
        }
    }
    if (x)
        for (size_t c = 0; c < j; c++)
            for (size_t i = 0; i < n; i++)
                if (fabs(x[c * ld + i]) < 1e-15) x[c * ld + i] = 0.0;
    if (ncols) *ncols = j;
    return TSF_OK;
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian; the
 * era arithmetic of H. Hinnant's "chrono-compatible low-level date
 * algorithms"): the month 1..12. */
static int month_of_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    return (int)(mp < 10 ? mp + 3 : mp - 9);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

typedef enum { CAL_HOUR = 1, CAL_DOW = 2, CAL_BDOW = 4, CAL_MONTH = 8, CAL_QUARTER = 16 } cal_factor;

static int calendar_factors(const tsf_time_axis *ax)
{
    const tsf_interval *iv = &ax->interval;
    switch (ax->form.kind) {
    case TSF_TIME_QUARTER: return CAL_QUARTER;
    case TSF_TIME_MONTH: return iv->count % 12 ? (iv->count % 3 ? CAL_MONTH : CAL_QUARTER) : 0;
    case TSF_TIME_WEEK: return CAL_MONTH;
    case TSF_TIME_DATE:
    case TSF_TIME_DATETIME:
        if (iv->unit == TSF_UNIT_MICRO)
            return iv->count < INT64_C(86400000000) ? CAL_HOUR | CAL_DOW
                   : iv->count % INT64_C(604800000000) ? CAL_DOW : CAL_MONTH;
        if (iv->unit == TSF_UNIT_BDAY) return iv->count == 1 ? CAL_BDOW : 0;
        if (iv->unit == TSF_UNIT_DAY) return iv->count % 7 ? CAL_DOW : CAL_MONTH;
        if (iv->unit == TSF_UNIT_MONTH)
            return iv->count % 12 ? (iv->count % 3 ? CAL_MONTH : CAL_QUARTER) : 0;
        return 0;
    default: return 0;
    }
}

tsf_status tsf_calendar(const tsf_time_axis *axis, int64_t k0, size_t n, double *x, size_t ld,
                        char (*names)[24], size_t *ncols)
{
    if (!axis) return tsf_set_error(TSF_EINVAL, "calendar: no time axis");
    int f = calendar_factors(axis);
    if (!f)
        return tsf_set_error(TSF_EINVAL, "calendar terms need a time column of dates or "
                             "date-times sampled more often than yearly (months, quarters, "
                             "weeks, days, hours...)");
    if (x && ld < n) return tsf_set_error(TSF_EINVAL, "calendar: ld %zu < n %zu", ld, n);
    static const char *const dow[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* the factors in column order, each: levels, the name of level v */
    size_t j = 0, base[5] = {0}, nlev[5] = {0};
    for (int b = 0; b < 5; b++) {
        if (!(f & (1 << b))) continue;
        nlev[b] = (size_t[]){24, 7, 5, 12, 4}[b];
        base[b] = j;
        for (size_t v = 1; v < nlev[b]; v++, j++) {
            if (!names) continue;
            if (b == 0) snprintf(names[j], 24, "h%zu", v);
            else if (b == 1 || b == 2) snprintf(names[j], 24, "%s", dow[v]);
            else if (b == 3) snprintf(names[j], 24, "%s", mon[v]);
            else snprintf(names[j], 24, "Q%zu", v + 1);
        }
    }
    if (ncols) *ncols = j;
    if (!x) return TSF_OK;
    for (size_t c = 0; c < j; c++)
        for (size_t i = 0; i < n; i++) x[c * ld + i] = 0.0;
    int64_t off = axis->form.kind == TSF_TIME_DATETIME && axis->form.zone == 2
                      ? (int64_t)axis->form.offset * 60 : 0;
    for (size_t i = 0; i < n; i++) {
        double s;
        tsf_status st = tsf_time_stamp(axis, k0 + (int64_t)i, &s);
        if (st) return st;
        int lev[5] = {0};
        if (axis->form.kind == TSF_TIME_MONTH || axis->form.kind == TSF_TIME_QUARTER) {
            int64_t v = (int64_t)floor(s);
            int per = axis->form.kind == TSF_TIME_MONTH ? 12 : 4;
            int m = (int)(v - floor_div(v, per) * per); /* 0-based month or quarter */
            lev[3] = m;
            lev[4] = per == 12 ? m / 3 : m;
        } else {
            int64_t secs = (int64_t)floor(s) + off, days = floor_div(secs, 86400);
            lev[0] = (int)((secs - days * 86400) / 3600);
            lev[1] = (int)((days + 3) - floor_div(days + 3, 7) * 7); /* 1970-01-01: Thursday */
            lev[2] = lev[1] < 5 ? lev[1] : 0;
            lev[3] = month_of_days(days) - 1;
        }
        for (int b = 0; b < 5; b++)
            if (nlev[b] && lev[b] > 0) x[(base[b] + (size_t)lev[b] - 1) * ld + i] = 1.0;
    }
    return TSF_OK;
}
