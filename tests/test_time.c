/* Time stamps and their grid (src/core/timestamp.c, include/tsf/time.h),
 * the CSV reader's gap filling, and the grid of the shipped real series.
 *
 * Independent values: stamp numbers were computed with Python's datetime
 * (datetime.fromisoformat(s).timestamp(), naive stamps taken as UTC; ISO
 * weeks with date.fromisocalendar); next stamps are calendar facts (2024 is
 * a leap year, 1900 is not, 2000 is; 2020 has ISO week 53, 2021 has not;
 * 5 January 2024 was a Friday); the counts of gaps in the real series were
 * printed by R (scripts/make_time_datasets.R: airquality has 37 NA ozone
 * days, the first 1973-05-05; MSFT lacks 13 of the 262 weekdays of its
 * span, the first 2000-11-23). */
#include <unistd.h>
#include "testutil.h"
#include "core/csv_internal.h"
#include "core/internal.h"

/* Parses s and checks its kind and number. */
static void parse_is(const char *s, tsf_time_kind kind, double stamp)
{
    tsf_time_form f;
    double x = -1;
    if (tsf_time_parse(s, &f, &x) != TSF_OK) fail_msg("%s: %s", s, tsf_errmsg());
    if ((int)f.kind != (int)kind) fail_msg("%s: kind %d, expected %d", s, (int)f.kind, (int)kind);
    if (x != stamp) fail_msg("%s: stamp %.17g, expected %.17g", s, x, stamp);
    /* Written back in its own form it reads the same. */
    char buf[80];
    assert_int_equal(tsf_time_format(x, &f, buf, sizeof buf), TSF_OK);
    assert_string_equal(buf, s);
}

static void test_parse_forms(void **state)
{
    (void)state;
    parse_is("1871", TSF_TIME_INDEX, 1871);
    parse_is("7", TSF_TIME_INDEX, 7);
    parse_is("1949-01", TSF_TIME_MONTH, 1949 * 12);
    parse_is("1945-Q3", TSF_TIME_QUARTER, 1945 * 4 + 2);
    parse_is("1970-01-02", TSF_TIME_DATE, 86400);
    parse_is("2024-01-05", TSF_TIME_DATE, 1704412800);
    parse_is("0001-01-01", TSF_TIME_DATE, -62135596800.0);
    parse_is("9999-12-31", TSF_TIME_DATE, 253402214400.0);
    parse_is("2000-02-29T23:59:59", TSF_TIME_DATETIME, 951868799);
    parse_is("1969-12-31T23:00", TSF_TIME_DATETIME, -3600);
    parse_is("1969-12-31 23:00", TSF_TIME_DATETIME, -3600);
    parse_is("2024-01-05T13:00:00.250+01:00", TSF_TIME_DATETIME, 1704456000.25);
    parse_is("2024-01-05T12:00:00.250Z", TSF_TIME_DATETIME, 1704456000.25);
    parse_is("2024-01-05 06:30:00.250-05:30", TSF_TIME_DATETIME, 1704456000.25);
    parse_is("2024-W01", TSF_TIME_WEEK, 1704067200);         /* Monday 2024-01-01 */
    parse_is("2020-W53", TSF_TIME_WEEK, 1609113600);         /* Monday 2020-12-28 */
    parse_is("2026-W53", TSF_TIME_WEEK, 1798416000);         /* Monday 2026-12-28 */
    tsf_time_form f;
    double x;
    static const char *const invalid[][2] = {
        {"2023-02-29", "February 2023 has 28 days"},
        {"1900-02-29", "February 1900 has 28 days"},
        {"2024-13", "a month is 01 to 12"},
        {"2024-04-31", "April 2024 has 30 days"},
        {"2024-01-05T24:00", "hours are 00 to 23"},
        {"2024-01-05T12:00:60", "seconds 00 to 59"},
        {"2024-01-05T12:00:00.1234567", "at most 6 digits"},
        {"2021-W53", "ISO year 2021 has weeks W01 to W52"},
        {"2024-Q5", "Q1 to Q4"},
        {"2024-01-05T12:00+24:00", "offset"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(tsf_time_parse(invalid[i][0], &f, &x), TSF_EPARSE);
        assert_errmsg_has(invalid[i][0]);
        assert_errmsg_has(invalid[i][1]);
    }
    static const char *const notstamp[] = {"", "abc", "2024/01/05", "2024-1-5", "24-01-05",
                                           "2024-01-05T1300", "2024-01-05 13:00 UTC", "1e3"};
    for (size_t i = 0; i < sizeof notstamp / sizeof notstamp[0]; i++)
        assert_int_equal(tsf_time_parse(notstamp[i], &f, &x), TSF_EPARSE);
    assert_int_equal(tsf_time_parse(NULL, &f, &x), TSF_EINVAL);
    /* NULL arguments are refused, never dereferenced. */
    tsf_time_axis ax;
    size_t pos[1];
    char buf[8];
    int64_t k;
    char *one[] = {"2024-01"};
    assert_int_equal(tsf_time_grid(NULL, 1, NULL, NULL, &ax, pos), TSF_EINVAL);
    assert_int_equal(tsf_time_grid(one, 1, NULL, NULL, NULL, pos), TSF_EINVAL);
    assert_int_equal(tsf_time_grid(one, 0, NULL, NULL, &ax, NULL), TSF_OK); /* nothing: text */
    assert_int_equal(ax.form.kind, TSF_TIME_TEXT);
    assert_int_equal(tsf_time_label(&ax, 0, buf, sizeof buf), TSF_EINVAL); /* text: no stamps */
    assert_int_equal(tsf_time_label(NULL, 0, buf, sizeof buf), TSF_EINVAL);
    assert_int_equal(tsf_time_stamp(NULL, 0, &x), TSF_EINVAL);
    assert_int_equal(tsf_time_locate(&ax, NULL, &k), TSF_EINVAL);
    assert_int_equal(tsf_time_format(0, NULL, buf, sizeof buf), TSF_EINVAL);
    assert_int_equal(tsf_interval_parse(NULL, NULL), TSF_EINVAL);
    assert_int_equal(tsf_interval_format(NULL, buf, sizeof buf), 0);
    assert_int_equal(tsf_interval_period(NULL), 1);
    assert_int_equal(tsf_time_spread_labels(NULL, pos, 1, one), TSF_EINVAL);
    tsf_time_spread(NULL, 0, 0, NULL);
    /* A label written beyond the year 9999 does not exist. */
    char *last[] = {"9999-12-31"};
    assert_int_equal(tsf_time_grid(last, 1, NULL, NULL, &ax, pos), TSF_OK);
    assert_int_equal(tsf_time_label(&ax, 1, buf, sizeof buf), TSF_EINVAL);
    assert_int_equal(tsf_time_label(&ax, 0, buf, 4), TSF_EINVAL); /* too small */
    assert_string_equal(buf, "");
}

/* The grid of labels: its interval in words, its period, and the next h
 * stamps after the last. */
static void grid_is(char *const *labels, size_t n, const char *interval, int period,
                    const char *const *next, size_t h)
{
    size_t pos[64];
    tsf_time_axis ax;
    assert_true(n <= 64);
    if (tsf_time_grid(labels, n, NULL, NULL, &ax, pos) != TSF_OK)
        fail_msg("%s...: %s", labels[0], tsf_errmsg());
    char buf[80];
    assert_int_equal(tsf_interval_format(&ax.interval, buf, sizeof buf), 1);
    assert_string_equal(buf, interval);
    assert_int_equal(ax.period, period);
    assert_int_equal(ax.nfilled, 0);
    for (size_t i = 0; i < h; i++) {
        assert_int_equal(tsf_time_label(&ax, (int64_t)(ax.n + i), buf, sizeof buf), TSF_OK);
        assert_string_equal(buf, next[i]);
    }
    /* The rows' own stamps are the grid's first steps (written in the last
     * row's offset: compare the instants). */
    for (size_t i = 0; i < n; i++) {
        int64_t k = -1;
        tsf_time_form fa, fb;
        double a, b;
        assert_int_equal(tsf_time_label(&ax, (int64_t)i, buf, sizeof buf), TSF_OK);
        assert_int_equal(tsf_time_parse(buf, &fa, &a), TSF_OK);
        assert_int_equal(tsf_time_parse(labels[i], &fb, &b), TSF_OK);
        assert_true(a == b);
        if (fa.offset == fb.offset) assert_string_equal(buf, labels[i]);
        assert_int_equal(tsf_time_locate(&ax, labels[i], &k), TSF_OK);
        assert_int_equal(k, (int64_t)i);
    }
}

#define GRID(labels, iv, p, ...)                                                          \
    do {                                                                                  \
        static const char *const nx_[] = {__VA_ARGS__};                                   \
        grid_is(labels, sizeof labels / sizeof labels[0], iv, p, nx_,                     \
                sizeof nx_ / sizeof nx_[0]);                                              \
    } while (0)

static void test_next_stamps(void **state)
{
    (void)state;
    /* Year ends. */
    char *months[] = {"2023-11", "2023-12"};
    GRID(months, "1 month", 12, "2024-01", "2024-02");
    char *quarters[] = {"2023-Q3", "2023-Q4"};
    GRID(quarters, "1 quarter", 4, "2024-Q1");
    char *years[] = {"1999", "2000"};
    GRID(years, "1 year", 1, "2001");
    char *index[] = {"1", "2", "3"};
    GRID(index, "1 step", 1, "4", "5");
    char *hours[] = {"2023-12-31T22:00", "2023-12-31T23:00"};
    GRID(hours, "1 hour", 24, "2024-01-01T00:00", "2024-01-01T01:00");
    char *halfhours[] = {"2023-12-31 23:00", "2023-12-31 23:30"};
    GRID(halfhours, "30 minutes", 48, "2024-01-01 00:00");
    char *quarterhours[] = {"2024-01-05T13:00:00", "2024-01-05T13:15:00"};
    GRID(quarterhours, "15 minutes", 96, "2024-01-05T13:30:00");
    char *minutes[] = {"2024-01-05T13:58", "2024-01-05T13:59"};
    GRID(minutes, "1 minute", 60, "2024-01-05T14:00");
    char *seconds[] = {"2024-01-05T23:59:58Z", "2024-01-05T23:59:59Z"};
    GRID(seconds, "1 second", 60, "2024-01-06T00:00:00Z");
    /* Leap years: 2024 and 2000 have 29 February, 1900 and 2023 not. */
    char *leap[] = {"2024-02-27", "2024-02-28"};
    GRID(leap, "1 day", 7, "2024-02-29", "2024-03-01");
    char *noleap[] = {"2023-02-27", "2023-02-28"};
    GRID(noleap, "1 day", 7, "2023-03-01");
    char *y1900[] = {"1900-02-27", "1900-02-28"};
    GRID(y1900, "1 day", 7, "1900-03-01");
    char *y2000[] = {"2000-02-27", "2000-02-28"};
    GRID(y2000, "1 day", 7, "2000-02-29");
    char *newyear[] = {"1999-12-30", "1999-12-31"};
    GRID(newyear, "1 day", 7, "2000-01-01");
    /* Month ends are a monthly grid, not 31 days: 31 Jan + 1 month = 29 Feb. */
    char *ends[] = {"2023-11-30", "2023-12-31", "2024-01-31"};
    GRID(ends, "1 month", 12, "2024-02-29", "2024-03-31", "2024-04-30");
    char *firsts[] = {"2023-11-01", "2023-12-01"};
    GRID(firsts, "1 month", 12, "2024-01-01");
    char *qends[] = {"2023-09-30", "2023-12-31"};
    GRID(qends, "1 quarter", 4, "2024-03-31", "2024-06-30");
    char *fifteenths[] = {"2023-01-15", "2024-01-15"};
    GRID(fifteenths, "1 year", 1, "2025-01-15");
    /* ISO weeks across years with 53 and 52 weeks. */
    char *w53[] = {"2020-W52", "2020-W53"};
    GRID(w53, "1 week", 52, "2021-W01");
    char *w52[] = {"2021-W51", "2021-W52"};
    GRID(w52, "1 week", 52, "2022-W01");
    char *weekly[] = {"2024-01-01", "2024-01-08"}; /* Mondays as dates */
    GRID(weekly, "1 week", 52, "2024-01-15");
    /* Offsets: kept as written, computed in UTC; across a change of offset
     * (daylight saving time) the grid stays hourly in UTC and the future is
     * written in the last row's offset. */
    char *offs[] = {"2024-03-30T23:00+01:00", "2024-03-31T00:00+01:00"};
    GRID(offs, "1 hour", 24, "2024-03-31T01:00+01:00");
    char *dst[] = {"2024-03-31T00:00+00:00", "2024-03-31T02:00+01:00"};
    GRID(dst, "1 hour", 24, "2024-03-31T03:00+01:00");
    char *neg[] = {"2024-12-31T23:00-05:00", "2024-12-31T23:30-05:00"};
    GRID(neg, "30 minutes", 48, "2025-01-01T00:00-05:00");
    /* Fractional seconds: the column's largest number of digits. */
    char *frac[] = {"2024-01-05 13:00:00.250", "2024-01-05 13:00:00.500"};
    GRID(frac, "250 milliseconds", 1, "2024-01-05 13:00:00.750", "2024-01-05 13:00:01.000");
    char *tenths[] = {"2024-01-05T13:00:59.8", "2024-01-05T13:00:59.9"};
    GRID(tenths, "100 milliseconds", 1, "2024-01-05T13:01:00.0");
    /* Business days: Thursday 4 .. Tuesday 9 January 2024 without the
     * weekend; after Friday comes Monday. */
    char *bdays[] = {"2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10",
                     "2024-01-11", "2024-01-12"};
    GRID(bdays, "1 business day", 5, "2024-01-15", "2024-01-16");
    /* Weekdays that never span a weekend are plain days. */
    char *weekdays[] = {"2024-01-08", "2024-01-09", "2024-01-10"};
    GRID(weekdays, "1 day", 7, "2024-01-11");
}

static void test_intervals(void **state)
{
    (void)state;
    static const struct {
        const char *text, *words;
        int period;
    } cases[] = {
        {"1 month", "1 month", 12},       {"3 months", "1 quarter", 4},
        {"1 quarter", "1 quarter", 4},    {"12 months", "1 year", 1},
        {"1 year", "1 year", 1},          {"1 week", "1 week", 52},
        {"7 days", "1 week", 52},         {"1 day", "1 day", 7},
        {"1 business day", "1 business day", 5},
        {"2 business days", "2 business days", 1},
        {"1 hour", "1 hour", 24},         {"60 minutes", "1 hour", 24},
        {"30 minutes", "30 minutes", 48}, {"15minutes", "15 minutes", 96},
        {"1 minute", "1 minute", 60},     {"5 minutes", "5 minutes", 12},
        {"1 second", "1 second", 60},     {"10 seconds", "10 seconds", 6},
        {"7 minutes", "7 minutes", 1},    {"24 hours", "1 day", 7},
        {"2 steps", "2 steps", 1},        {"500 milliseconds", "500 milliseconds", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsf_interval iv;
        char buf[64];
        if (tsf_interval_parse(cases[i].text, &iv) != TSF_OK) fail_msg("%s", tsf_errmsg());
        assert_int_equal(tsf_interval_format(&iv, buf, sizeof buf), 1);
        assert_string_equal(buf, cases[i].words);
        assert_int_equal(tsf_interval_period(&iv), cases[i].period);
    }
    tsf_interval iv;
    static const char *const bad[] = {"hour", "0 hours", "1 fortnight", "-1 day", "1.5 hours", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tsf_interval_parse(bad[i], &iv), TSF_EPARSE);
        assert_errmsg_has("'1 hour'");
    }
    char small[4];
    iv = (tsf_interval){TSF_UNIT_DAY, 1};
    assert_int_equal(tsf_interval_format(&iv, small, sizeof small), 0);
    assert_string_equal(small, "");
}

/* Reads CSV text (file name "d.csv"). */
static tsf_status read_text(const char *text, tsf_frame **f)
{
    return tsf_csv_read_mem("d.csv", text, strlen(text), f);
}

static void expect_error(const char *text, const char *msg)
{
    tsf_frame *f = (tsf_frame *)1;
    assert_int_equal(read_text(text, &f), TSF_EPARSE);
    assert_null(f);
    if (strncmp(tsf_errmsg(), msg, strlen(msg)) != 0)
        fail_msg("message '%s' does not begin '%s'", tsf_errmsg(), msg);
    assert_null(strchr(tsf_errmsg(), '\n'));
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("time,value\n2020-03,1\n2020-01,2\n2020-02,3\n",
                 "d.csv:3:1: time '2020-01' comes before '2020-03' on line 2; sort the file by "
                 "time");
    expect_error("time,value\n2020-01,1\n2020-02,2\n2020-02,3\n",
                 "d.csv:4:1: time '2020-02' repeats the stamp of line 3; every stamp must "
                 "appear once");
    expect_error("value,time\n1,2024-01-05T12:00\n2,2024-01-05T13:00\n3,2024-01-05T14:00\n"
                 "4,2024-01-05T14:07\n",
                 "d.csv:5:2: time '2024-01-05T14:07' is off the 1 hour grid that starts at "
                 "'2024-01-05T12:00' on line 2; fix the stamp");
    expect_error("time,value\n2024-01-05,1\n2024-01-06T00:00,2\n",
                 "d.csv:3:1: time '2024-01-06T00:00' is not written like '2024-01-05' on line "
                 "2 (a date); write every stamp of the column in one form");
    expect_error("time,value\n2024-01-05T10:00,1\n2024-01-05 11:00,2\n",
                 "d.csv:3:1: time '2024-01-05 11:00' is not written like");
    expect_error("time,value\n2024-02-28,1\n2024-02-30,2\n",
                 "d.csv:3:1: time '2024-02-30' is not valid: February 2024 has 29 days");
    expect_error("time,value\n2020-01,1\n,2\n", "d.csv:3:1: the time stamp is empty");
    expect_error("time,value\n2020-01,1\n2020-02,1\n2020-09,2\n",
                 "d.csv:4:1: the 1 month grid from '2020-01' (line 2) to '2020-09' has more "
                 "missing stamps than rows");
    /* CRLF line ends and a blank line before the header: lines still count. */
    expect_error("\r\ntime,value\r\n2020-01,1\r\n2019-12,2\r\n",
                 "d.csv:4:1: time '2019-12' comes before '2020-01' on line 3");
    /* Labels that are not stamps are kept as text, and nothing is checked. */
    tsf_frame *f = NULL;
    assert_int_equal(read_text("name,value\nb,1\na,2\na,3\n", &f), TSF_OK);
    assert_int_equal(f->axis.form.kind, TSF_TIME_TEXT);
    assert_int_equal(f->nrows, 3);
    assert_int_equal(f->period, 1);
    tsf_frame_free(f);
}

/* --interval and --round-time (tsf_csv_read_time with options). */
static void test_interval_option(void **state)
{
    (void)state;
    char path[] = "/tmp/tsf_test_time_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "time,value\n2024-01-05T12:00,1\n2024-01-05T13:07,2\n"
                       "2024-01-05T13:55,3\n2024-01-05T16:02,4\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    tsf_time_opts o = {{TSF_UNIT_NONE, 0}, 0};
    tsf_frame *f = NULL;
    assert_int_equal(tsf_interval_parse("1 hour", &o.interval), TSF_OK);
    assert_int_equal(tsf_csv_read_time(path, &o, &f), TSF_EPARSE);
    assert_errmsg_has(":3:1: time '2024-01-05T13:07' is off the 1 hour grid");
    o.round = 1; /* 13:07 -> 13:00, 13:55 -> 14:00, 16:02 -> 16:00; 15:00 filled */
    assert_int_equal(tsf_csv_read_time(path, &o, &f), TSF_OK);
    assert_int_equal(f->nrows, 5);
    assert_int_equal(f->axis.nfilled, 1);
    assert_int_equal(f->axis.first_gap, 3);
    assert_string_equal(f->time[3], "2024-01-05T15:00");
    /* The stamps are the grid's: 13:07 is 13:00 (1704459600, Python). */
    assert_true(f->stamps[1] == 1704459600.0 && f->stamps[3] == 1704459600.0 + 2 * 3600);
    assert_true(isnan(f->cols[0][3]));
    assert_close(f->cols[0][4], 4, 0);
    assert_close(f->cols[0][2], 3, 0);
    tsf_frame_free(f);
    o.interval = (tsf_interval){TSF_UNIT_MONTH, 1};
    assert_int_equal(tsf_csv_read_time(path, &o, &f), TSF_EPARSE);
    assert_errmsg_has("the interval '1 month' does not suit time stamps like '2024-01-05T12:00'");
    unlink(path);
}

static void test_gap_filling(void **state)
{
    (void)state;
    tsf_frame *f = NULL;
    const char *text = "time,a,b\n2020-01,1,10\n2020-02,2,20\n2020-04,4,\n2020-05,5,50\n"
                       "2020-08,8,80\n";
    assert_int_equal(read_text(text, &f), TSF_OK);
    assert_int_equal(f->nrows, 8);
    assert_int_equal(f->axis.nfilled, 3);
    assert_int_equal(f->axis.first_gap, 2);
    assert_int_equal(f->period, 12);
    static const char *const want[] = {"2020-01", "2020-02", "2020-03", "2020-04",
                                       "2020-05", "2020-06", "2020-07", "2020-08"};
    static const double a[] = {1, 2, NAN, 4, 5, NAN, NAN, 8};
    static const double b[] = {10, 20, NAN, NAN, 50, NAN, NAN, 80};
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(f->time[i], want[i]);
        if (isnan(a[i])) assert_true(isnan(f->cols[0][i]));
        else assert_close(f->cols[0][i], a[i], 0);
        if (isnan(b[i])) assert_true(isnan(f->cols[1][i]));
        else assert_close(f->cols[1][i], b[i], 0);
    }
    tsf_frame_free(f);
    /* A filled stamp is written in the offset of the row before it. */
    assert_int_equal(read_text("time,v\n2024-03-31T00:00+00:00,1\n2024-03-31T03:00+01:00,2\n"
                               "2024-03-31T04:00+01:00,3\n", &f), TSF_OK);
    assert_int_equal(f->nrows, 4);
    assert_string_equal(f->time[1], "2024-03-31T01:00+00:00");
    assert_string_equal(f->time[2], "2024-03-31T03:00+01:00");
    tsf_frame_free(f);
}

/* Log-likelihood of y under spec fitted on y (fit options o). */
static double fit_loglik(const char *spec, const double *y, size_t n, int period,
                         const tsf_fit_opts *o)
{
    tsf_model *m = NULL;
    double ll = NAN;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    if (tsf_fit(m, y, n, NULL, period, o) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    tsf_model_free(m);
    return ll;
}

/* A file with a missing row and the same file with an explicit empty row
 * at that stamp give the same series, hence the same likelihood; dropping
 * the stamp without filling (the old behaviour) gives another. */
static void test_gap_loglik(void **state)
{
    (void)state;
    char path[512];
    tsf_frame *full = NULL;
    assert_int_equal(tsf_csv_read(test_path("../datasets/AirPassengers.csv", path, sizeof path),
                                  &full), TSF_OK);
    size_t n = 60, drop = 17;
    char *gap = NULL, *empty = NULL;
    size_t glen = 0, elen = 0;
    FILE *g = open_memstream(&gap, &glen), *e = open_memstream(&empty, &elen);
    assert_non_null(g);
    assert_non_null(e);
    fputs("time,value\n", g);
    fputs("time,value\n", e);
    for (size_t i = 0; i < n; i++) {
        if (i != drop) fprintf(g, "%s,%.17g\n", full->time[i], full->cols[0][i]);
        if (i != drop) fprintf(e, "%s,%.17g\n", full->time[i], full->cols[0][i]);
        else fprintf(e, "%s,\n", full->time[i]);
    }
    fclose(g);
    fclose(e);
    tsf_frame *fg = NULL, *fe = NULL;
    assert_int_equal(tsf_csv_read_mem("gap.csv", gap, glen, &fg), TSF_OK);
    assert_int_equal(tsf_csv_read_mem("empty.csv", empty, elen, &fe), TSF_OK);
    assert_int_equal(fg->nrows, n);
    assert_int_equal(fg->axis.nfilled, 1);
    assert_int_equal(fe->axis.nfilled, 0);
    assert_true(isnan(fg->cols[0][drop]) && isnan(fe->cols[0][drop]));
    double *squeezed = malloc(n * sizeof *squeezed);
    assert_non_null(squeezed);
    for (size_t i = 0, k = 0; i < n; i++)
        if (i != drop) squeezed[k++] = full->cols[0][i];
    tsf_fit_opts o;
    memset(&o, 0, sizeof o);
    const char *spec = "arima(1,1,0)(0,1,1)[12]";
    double lg = fit_loglik(spec, fg->cols[0], n, fg->period, &o);
    double le = fit_loglik(spec, fe->cols[0], n, fe->period, &o);
    double ls = fit_loglik(spec, squeezed, n - 1, 12, &o);
    assert_true(isfinite(lg));
    assert_close(lg, le, 1e-9 * fabs(le));
    assert_true(fabs(lg - ls) > 1e-3);
    o.epochs = 3;
    o.seed = 7;
    o.threads = 1;
    spec = "gru(hidden=4, layers=1, context=12)";
    lg = fit_loglik(spec, fg->cols[0], n, fg->period, &o);
    le = fit_loglik(spec, fe->cols[0], n, fe->period, &o);
    ls = fit_loglik(spec, squeezed, n - 1, 12, &o);
    assert_true(isfinite(lg));
    assert_close(lg, le, 1e-9 * fabs(le));
    assert_true(fabs(lg - ls) > 1e-3);
    free(squeezed);
    free(gap);
    free(empty);
    tsf_frame_free(fg);
    tsf_frame_free(fe);
    tsf_frame_free(full);
}

/* The shipped series with real stamps: their interval, period and gaps. */
static void real_is(const char *rel, const char *interval, int period, size_t nrows,
                    size_t nfilled, const char *first_gap, const char *next)
{
    char path[512], buf[80];
    tsf_frame *f = NULL;
    if (tsf_csv_read(test_path(rel, path, sizeof path), &f) != TSF_OK)
        fail_msg("%s: %s", rel, tsf_errmsg());
    assert_int_equal(tsf_interval_format(&f->axis.interval, buf, sizeof buf), 1);
    assert_string_equal(buf, interval);
    assert_int_equal(f->period, period);
    assert_int_equal(f->nrows, nrows);
    assert_int_equal(f->axis.nfilled, nfilled);
    if (nfilled) assert_string_equal(f->time[f->axis.first_gap], first_gap);
    size_t nan = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        nan += isnan(f->cols[0][i]);
        tsf_time_form form;
        double x;
        assert_int_equal(tsf_time_parse(f->time[i], &form, &x), TSF_OK);
        assert_true(x == f->stamps[i]);
    }
    assert_int_equal(nan, nfilled);
    assert_int_equal(tsf_time_label(&f->axis, (int64_t)f->nrows, buf, sizeof buf), TSF_OK);
    assert_string_equal(buf, next);
    tsf_frame_free(f);
}

static void test_real_series(void **state)
{
    (void)state;
    /* forecast::taylor: 12 weeks of half-hours from Monday 5 June 2000. */
    real_is("../datasets/taylor.csv", "30 minutes", 48, 4032, 0, NULL, "2000-08-28 00:00");
    /* airquality, 1 May - 30 Sep 1973 = 153 days, 37 without ozone. */
    real_is("../datasets/airquality_ozone.csv", "1 day", 7, 153, 37, "1973-05-05",
            "1973-10-01");
    /* MSFT: 262 weekdays from Wednesday 27 Sep 2000 to Thursday 27 Sep 2001. */
    real_is("../datasets/msft.csv", "1 business day", 5, 262, 13, "2000-11-23", "2001-09-28");
    /* A monthly ts written by R with month labels. */
    real_is("../datasets/AirPassengers.csv", "1 month", 12, 144, 0, NULL, "1961-01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),   cmocka_unit_test(test_next_stamps),
        cmocka_unit_test(test_intervals),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_interval_option), cmocka_unit_test(test_gap_filling),
        cmocka_unit_test(test_gap_loglik),    cmocka_unit_test(test_real_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
