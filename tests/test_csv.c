/* CSV reader (src/core/csv.c) and frame/time-label helpers (series.c).
 * Expected values are read off the input files by eye; the datasets'
 * values come from R (AirPassengers[1] == 112, frequency 12). */
#include <errno.h>
#include <unistd.h>
#include "testutil.h"
#include "core/csv_internal.h"
#include "core/internal.h"

static tsf_frame *read_ok(const char *rel)
{
    char path[512];
    tsf_frame *f = NULL;
    tsf_status st = tsf_csv_read(test_path(rel, path, sizeof path), &f);
    if (st != TSF_OK) fail_msg("%s: status %d: %s", rel, (int)st, tsf_errmsg());
    assert_non_null(f);
    assert_string_equal(f->path, path);
    return f;
}

/* Reads tests/data/csv/NAME expecting status st and a message that holds
 * "NAME:WHERE: " and each further fragment (NULL-terminated). */
static void expect_fail(const char *name, tsf_status st, const char *where, ...)
{
    char rel[256], path[512], head[600];
    snprintf(rel, sizeof rel, "data/csv/%s", name);
    test_path(rel, path, sizeof path);
    tsf_frame *f = (tsf_frame *)1;
    assert_int_equal(tsf_csv_read(path, &f), st);
    assert_null(f);
    snprintf(head, sizeof head, "%s:%s: ", path, where);
    assert_errmsg_has(head);
    assert_null(strchr(tsf_errmsg(), '\n')); /* one line */
    va_list ap;
    va_start(ap, where);
    for (const char *frag; (frag = va_arg(ap, const char *)) != NULL;) assert_errmsg_has(frag);
    va_end(ap);
}

static void test_errors(void **state)
{
    (void)state;
    expect_fail("empty.csv", TSF_EPARSE, "1:1", "empty file", NULL);
    expect_fail("header_only.csv", TSF_EPARSE, "1:1", "no data rows", NULL);
    expect_fail("ragged_few.csv", TSF_EPARSE, "4:2", "row has 1 field but the header has 2",
                NULL);
    expect_fail("ragged_many.csv", TSF_EPARSE, "3:3", "row has 3 fields but the header has 2",
                "quote fields that contain commas", NULL);
    /* A quoted label spanning lines 2-4 moves the next row to line 5. */
    expect_fail("ragged_after_multiline.csv", TSF_EPARSE, "5:3", "row has 3 fields", NULL);
    expect_fail("nonnumeric.csv", TSF_EPARSE, "3:2", "column 'value'", "'abc' is not a number",
                "leave the cell empty", NULL);
    expect_fail("trailing_garbage.csv", TSF_EPARSE, "3:2", "'12.5x' is not a number", NULL);
    expect_fail("range.csv", TSF_EPARSE, "2:2", "'1e400' is out of the range", NULL);
    expect_fail("nan.csv", TSF_EPARSE, "3:1", "'nan' is not allowed",
                "leave the cell empty or write NA", NULL);
    expect_fail("inf.csv", TSF_EPARSE, "3:1", "'-Infinity' is not allowed", NULL);
    expect_fail("unterminated.csv", TSF_EPARSE, "3:1", "unterminated quoted field",
                "'\"2002,5\\n2003,4\\n'", NULL);
    expect_fail("stray_quote.csv", TSF_EPARSE, "3:2", "stray '\"' after 'ab'", NULL);
    expect_fail("after_quote.csv", TSF_EPARSE, "2:1",
                "unexpected 'x' after the closing quote of '\"1\"'", NULL);
    expect_fail("duplicate.csv", TSF_EPARSE, "1:3", "'value' is used twice (columns 2 and 3)",
                NULL);
    expect_fail("empty_name.csv", TSF_EPARSE, "1:1", "column 1 of the header has an empty name",
                "row.names = FALSE", NULL);
    expect_fail("blank_in_wide.csv", TSF_EPARSE, "3:1", "empty line in a file with 2 columns",
                NULL);
    expect_fail("time_only.csv", TSF_EPARSE, "1:1", "'time', holds time labels", NULL);
}

static void test_io_errors(void **state)
{
    (void)state;
    tsf_frame *f = NULL;
    assert_int_equal(tsf_csv_read("no/such/file.csv", &f), TSF_EIO);
    assert_null(f);
    assert_errmsg_has("no/such/file.csv: cannot open");
    assert_errmsg_has(strerror(ENOENT));
    /* A directory opens but cannot be read. */
    assert_int_equal(tsf_csv_read(".", &f), TSF_EIO);
    assert_errmsg_has(strerror(EISDIR));
    assert_int_equal(tsf_csv_read(NULL, &f), TSF_EINVAL);
}

/* Writes len bytes to a fresh temporary file; path receives its name. */
static void write_temp(char *path, size_t n, const void *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/tsf_csv_XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void test_binary(void **state)
{
    (void)state;
    static const char data[] = "time,value\n2001,1\n2002,\0\x01\x02\n";
    char path[256], head[300];
    write_temp(path, sizeof path, data, sizeof data - 1);
    tsf_frame *f = NULL;
    assert_int_equal(tsf_csv_read(path, &f), TSF_EPARSE);
    assert_null(f);
    snprintf(head, sizeof head, "%s:3:2: NUL byte", path);
    assert_errmsg_has(head);
    assert_errmsg_has("binary file");
    remove(path);
}

/* Row 5000 of a ~100 KB file sits past the first 64 KiB chunk: line
 * numbers must carry across chunks, and CRLF pairs split between chunks
 * must not turn into extra rows. */
static void test_large_file(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)sprintf(buf + len, "time,value\r\n");
    for (int i = 1; i <= 6000; i++) {
        if (i == 3000)
            len += (size_t)sprintf(buf + len, "\"long\r\nlabel\",%d\r\n", i); /* 2 lines */
        else
            len += (size_t)sprintf(buf + len, "label-%05d,%d.000000000\r\n", i, i);
    }
    char path[256], head[300];
    write_temp(path, sizeof path, buf, len);
    tsf_frame *f = NULL;
    assert_int_equal(tsf_csv_read(path, &f), TSF_OK);
    assert_int_equal(f->nrows, 6000);
    assert_close(f->cols[0][5999], 6000.0, 0.0);
    assert_string_equal(f->time[2999], "long\r\nlabel");
    assert_string_equal(f->time[5999], "label-06000");
    tsf_frame_free(f);
    remove(path);
    /* Same file with a bad cell in data row 5000: line 1 + 5000 + 1. */
    char *p = strstr(buf, "label-05000,");
    assert_non_null(p);
    p[12] = 'x';
    write_temp(path, sizeof path, buf, len);
    assert_int_equal(tsf_csv_read(path, &f), TSF_EPARSE);
    snprintf(head, sizeof head, "%s:5002:2: column 'value': 'x000.000000000'", path);
    assert_errmsg_has(head);
    remove(path);
    free(buf);
}

static void test_bom_crlf(void **state)
{
    (void)state;
    tsf_frame *f = read_ok("data/csv/bom_crlf.csv");
    assert_int_equal(f->nrows, 4);
    assert_int_equal(f->ncols, 1);
    assert_string_equal(f->time_name, "time"); /* BOM is not part of the name */
    assert_string_equal(f->names[0], "value");
    assert_string_equal(f->time[0], "2001-01");
    assert_string_equal(f->time[3], "2001-04");
    assert_int_equal(f->period, 12);
    assert_close(f->cols[0][0], 1.5, 0.0);
    assert_true(isnan(f->cols[0][1]));
    assert_true(isnan(f->cols[0][2]));
    assert_close(f->cols[0][3], -2000.0, 0.0);
    tsf_frame_free(f);
}

static void test_quoted(void **state)
{
    (void)state;
    tsf_frame *f = read_ok("data/csv/quoted.csv");
    assert_int_equal(f->nrows, 2);
    assert_int_equal(f->ncols, 2);
    assert_string_equal(f->time_name, "name"); /* first column, not numbers */
    assert_string_equal(f->names[0], "a,b");
    assert_string_equal(f->names[1], "say \"hi\"");
    assert_string_equal(f->time[0], "multi\nline label");
    assert_string_equal(f->time[1], "x");
    assert_close(f->cols[0][0], 1.0, 0.0);
    assert_close(f->cols[1][0], 2.0, 0.0);
    assert_close(f->cols[0][1], 3.0, 0.0);
    assert_close(f->cols[1][1], 4.0, 0.0); /* quoted number */
    assert_int_equal(f->period, 1);
    size_t j = 9;
    assert_int_equal(tsf_frame_column(f, "say \"hi\"", &j), TSF_OK);
    assert_int_equal(j, 1);
    tsf_frame_free(f);
}

static void test_missing(void **state)
{
    (void)state;
    /* value / 1 / (empty) / (empty) / 4 / NA / (empty): six values. */
    tsf_frame *f = read_ok("data/csv/mostly_missing.csv");
    assert_int_equal(f->nrows, 6);
    assert_null(f->time);
    assert_null(f->time_name);
    assert_close(f->cols[0][0], 1.0, 0.0);
    assert_true(isnan(f->cols[0][1]) && isnan(f->cols[0][2]));
    assert_close(f->cols[0][3], 4.0, 0.0);
    assert_true(isnan(f->cols[0][4]) && isnan(f->cols[0][5]));
    tsf_frame_free(f);
    /* Trailing empty lines of a wide file are not rows. */
    f = read_ok("data/csv/trailing_blank_wide.csv");
    assert_int_equal(f->nrows, 2);
    assert_int_equal(f->ncols, 2);
    tsf_frame_free(f);
}

static void test_wide(void **state)
{
    (void)state;
    /* id,x,y,z: the first column holds numbers, so it is a series too. */
    static const double want[4][3] = {{1, 2, 3}, {1.5, 2.5, 3.5}, {NAN, NAN, 7}, {3, 6, 9}};
    static const char *const names[4] = {"id", "x", "y", "z"};
    tsf_frame *f = read_ok("data/csv/wide.csv");
    assert_int_equal(f->nrows, 3);
    assert_int_equal(f->ncols, 4);
    assert_null(f->time);
    for (size_t j = 0; j < 4; j++) {
        assert_string_equal(f->names[j], names[j]);
        for (size_t i = 0; i < 3; i++) {
            if (isnan(want[j][i])) assert_true(isnan(f->cols[j][i]));
            else assert_close(f->cols[j][i], want[j][i], 0.0);
        }
    }
    size_t j;
    assert_int_equal(tsf_frame_column(f, "z", &j), TSF_OK);
    assert_int_equal(j, 3);
    tsf_frame_free(f);
}

static void test_datasets(void **state)
{
    (void)state;
    tsf_frame *f = NULL;
    assert_int_equal(tsf_csv_read("datasets/AirPassengers.csv", &f), TSF_OK);
    assert_int_equal(f->nrows, 144);
    assert_int_equal(f->period, 12);
    assert_close(f->cols[0][0], 112.0, 0.0);
    assert_close(f->cols[0][143], 432.0, 0.0); /* AirPassengers[144] in R */
    assert_string_equal(f->time[0], "1949-01");
    assert_string_equal(f->time[143], "1960-12");
    char lab[32];
    assert_int_equal(tsf_future_label(f->time, f->nrows, f->period, 1, lab, sizeof lab), 1);
    assert_string_equal(lab, "1961-01");
    tsf_frame_free(f);

    assert_int_equal(tsf_csv_read("datasets/JohnsonJohnson.csv", &f), TSF_OK);
    assert_int_equal(f->nrows, 84);
    assert_int_equal(f->period, 4);
    assert_close(f->cols[0][0], 0.71, 0.0);
    tsf_frame_free(f);

    assert_int_equal(tsf_csv_read("datasets/lh.csv", &f), TSF_OK);
    assert_int_equal(f->nrows, 48);
    assert_int_equal(f->period, 1);
    assert_null(f->time);
    assert_close(f->cols[0][0], 2.4, 0.0);
    tsf_frame_free(f);

    /* presidents starts with a missing value ("1945-Q1",). */
    assert_int_equal(tsf_csv_read("datasets/presidents.csv", &f), TSF_OK);
    assert_int_equal(f->nrows, 120);
    assert_int_equal(f->period, 4);
    assert_true(isnan(f->cols[0][0]));
    assert_close(f->cols[0][1], 87.0, 0.0);
    tsf_frame_free(f);
}

static void test_mem(void **state)
{
    (void)state;
    static const char text[] = "year,a,b\n1990,1,2\n1991,,4";
    tsf_frame *f = NULL;
    assert_int_equal(tsf_csv_read_mem("mem", text, sizeof text - 1, &f), TSF_OK);
    assert_int_equal(f->nrows, 2);
    assert_int_equal(f->ncols, 2);
    assert_string_equal(f->time_name, "year");
    assert_string_equal(f->time[1], "1991");
    assert_true(isnan(f->cols[0][1]));
    assert_close(f->cols[1][1], 4.0, 0.0);
    assert_string_equal(f->path, "mem");
    tsf_frame_free(f);
    /* A named time column need not come first; the first column is then
     * an ordinary numeric one. */
    static const char t2[] = "x,Date\n5,d1\n6,d2\n";
    assert_int_equal(tsf_csv_read_mem("m2", t2, sizeof t2 - 1, &f), TSF_OK);
    assert_string_equal(f->time_name, "Date");
    assert_string_equal(f->names[0], "x");
    assert_close(f->cols[0][1], 6.0, 0.0);
    tsf_frame_free(f);
    /* A one-column file of text is an error, not a time column. */
    static const char t3[] = "v\nabc\n";
    assert_int_equal(tsf_csv_read_mem("m3", t3, sizeof t3 - 1, &f), TSF_EPARSE);
    assert_errmsg_has("m3:2:1: column 'v': 'abc' is not a number");
    /* A column name with a newline is escaped: messages stay one line
     * (found by fuzz_csv). */
    static const char t5[] = "t,\"v\nw\"\n2001,abc\n";
    assert_int_equal(tsf_csv_read_mem("m5", t5, sizeof t5 - 1, &f), TSF_EPARSE);
    assert_errmsg_has("m5:3:2: column 'v\\nw': 'abc' is not a number");
    assert_null(strchr(tsf_errmsg(), '\n'));
    /* The first repeat in reading order is reported, not the first name. */
    static const char t6[] = "a,b,c,b,a\n1,2,3,4,5\n";
    assert_int_equal(tsf_csv_read_mem("m6", t6, sizeof t6 - 1, &f), TSF_EPARSE);
    assert_errmsg_has("m6:1:4: column name 'b' is used twice (columns 2 and 4)");
    assert_int_equal(tsf_csv_read_mem("m4", NULL, 0, &f), TSF_EPARSE);
    assert_errmsg_has("m4:1:1: empty file");
}

/* Results must not depend on how the input is cut into reads: BOM, CRLF
 * pairs and quoted line breaks split across reads of 1, 2 and 5 bytes. */
static void test_chunked(void **state)
{
    (void)state;
    static const char text[] = "\xef\xbb\xbftime,v\r\n\"a\r\nb\",1\r\nc,2\r\n\r\nd,x\r\n";
    static const size_t chunks[] = {1, 2, 5};
    for (size_t k = 0; k < 3; k++) {
        tsf_frame *f = NULL;
        assert_int_equal(tsf_csv_read_mem_chunked("c", text, 28, chunks[k], &f), TSF_OK);
        assert_int_equal(f->nrows, 2);
        assert_string_equal(f->time_name, "time");
        assert_string_equal(f->time[0], "a\r\nb");
        assert_close(f->cols[0][1], 2.0, 0.0);
        tsf_frame_free(f);
        /* The whole text: the empty line on line 5 is an error. */
        assert_int_equal(tsf_csv_read_mem_chunked("c", text, sizeof text - 1, chunks[k], &f),
                         TSF_EPARSE);
        assert_errmsg_has("c:5:1: empty line in a file with 2 columns");
    }
}

static void test_frame_column(void **state)
{
    (void)state;
    tsf_frame *f = read_ok("data/csv/bom_crlf.csv");
    size_t j = 7;
    assert_int_equal(tsf_frame_column(f, "value", &j), TSF_OK);
    assert_int_equal(j, 0);
    assert_int_equal(tsf_frame_column(f, "foo", &j), TSF_EINVAL);
    assert_errmsg_has("bom_crlf.csv: no column 'foo'; the columns are: value");
    assert_int_equal(tsf_frame_column(f, "time", &j), TSF_EINVAL);
    assert_errmsg_has("column 'time' holds the time labels");
    tsf_frame_free(f);
    f = read_ok("data/csv/wide.csv");
    assert_int_equal(tsf_frame_column(f, "Y", &j), TSF_EINVAL);
    assert_errmsg_has("no column 'Y'; the columns are: id, x, y, z");
    assert_int_equal(tsf_frame_column(f, "a\nb", &j), TSF_EINVAL);
    assert_errmsg_has("no column 'a?b'");
    tsf_frame_free(f);
    tsf_frame_free(NULL);
}

static void test_infer_period(void **state)
{
    (void)state;
    char *monthly[] = {"1949-01", "1949-02", "", "1949-12"};
    char *quarterly[] = {"1945-Q1", "1945-Q2"};
    char *yearly[] = {"1871", "1872"};
    char *unpadded[] = {"1949-1", "1949-2"};
    char *dates[] = {"1949-01-01", "1949-02-01"};
    char *mixed[] = {"1949-01", "1949-Q2"};
    char *badmonth[] = {"1949-13"};
    /* An empty stamp breaks the grid rules: no period. */
    assert_int_equal(tsf_infer_period(monthly, 4), 1);
    assert_int_equal(tsf_infer_period(monthly, 2), 12);
    assert_int_equal(tsf_infer_period(quarterly, 2), 4);
    assert_int_equal(tsf_infer_period(yearly, 2), 1);
    assert_int_equal(tsf_infer_period(unpadded, 2), 1);
    assert_int_equal(tsf_infer_period(dates, 2), 12); /* dates on the 1st: calendar months */
    assert_int_equal(tsf_infer_period(mixed, 2), 1);
    assert_int_equal(tsf_infer_period(badmonth, 1), 1);
    assert_int_equal(tsf_infer_period(monthly, 0), 1);
    assert_int_equal(tsf_infer_period(NULL, 0), 1);
}

static void test_future_label(void **state)
{
    (void)state;
    char buf[32];
    char *m[] = {"1960-11", "1960-12"};
    assert_int_equal(tsf_future_label(m, 2, 12, 1, buf, sizeof buf), 1);
    assert_string_equal(buf, "1961-01");
    assert_int_equal(tsf_future_label(m, 2, 12, 14, buf, sizeof buf), 1);
    assert_string_equal(buf, "1962-02");
    char *q[] = {"1960-Q4"};
    assert_int_equal(tsf_future_label(q, 1, 4, 1, buf, sizeof buf), 1);
    assert_string_equal(buf, "1961-Q1");
    assert_int_equal(tsf_future_label(q, 1, 4, 6, buf, sizeof buf), 1);
    assert_string_equal(buf, "1962-Q2");
    char *y[] = {"1960"};
    assert_int_equal(tsf_future_label(y, 1, 1, 1, buf, sizeof buf), 1);
    assert_string_equal(buf, "1961");
    /* An empty stamp is an error of the grid (rows for missing stamps are
     * left out, not written empty): no future labels. */
    char *gap[] = {"1960-11", ""};
    strcpy(buf, "junk");
    assert_int_equal(tsf_future_label(gap, 2, 12, 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    char *d[] = {"1960-12-31"}; /* one date: daily */
    assert_int_equal(tsf_future_label(d, 1, 1, 1, buf, sizeof buf), 1);
    assert_string_equal(buf, "1961-01-01");
    char *txt[] = {"x"};
    strcpy(buf, "junk");
    assert_int_equal(tsf_future_label(txt, 1, 1, 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    strcpy(buf, "junk");
    assert_int_equal(tsf_future_label(NULL, 0, 1, 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    char small[4];
    assert_int_equal(tsf_future_label(m, 2, 12, 1, small, sizeof small), 0);
    assert_string_equal(small, "");
    char *last[] = {"9999-12"};
    assert_int_equal(tsf_future_label(last, 1, 12, 1, buf, sizeof buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_binary),       cmocka_unit_test(test_large_file),
        cmocka_unit_test(test_bom_crlf),     cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_missing),      cmocka_unit_test(test_wide),
        cmocka_unit_test(test_datasets),     cmocka_unit_test(test_mem),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_frame_column), cmocka_unit_test(test_infer_period),
        cmocka_unit_test(test_future_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
