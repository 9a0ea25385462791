/* safetensors reader/writer: round trips, the exact bytes of a tiny file
 * built here by hand from the published format, every class of malformed
 * file, and atomic writes. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "core/internal.h"

/* A fresh empty directory under /tmp; removed by rm_tree. */
static void make_dir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/tsf-st-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t k = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) k++;
    closedir(d);
    return k;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (rmdir(p) != 0) unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);

    const double d[6] = {1.5, -2.25, 3.141592653589793, 1e-300, -0.0, 6.02214076e23};
    const float f[3] = {0.5f, -1.25f, 3.0e38f};
    const int64_t i[4] = {INT64_MIN, -1, 0, INT64_MAX};
    const size_t sd[2] = {2, 3}, sf[1] = {3}, si[4] = {1, 2, 2, 1}, s0[2] = {0, 5};
    tsf_st *doc, *back;
    assert_int_equal(tsf_st_new(&doc), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "spec", "arima(1,1,1)"), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "note", "ünïcode \"quoted\"\n"), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "spec", "ar(2)"), TSF_OK); /* replaces */
    assert_int_equal(tsf_st_add(doc, "f", TSF_ST_F32, 1, sf, f), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "d", TSF_ST_F64, 2, sd, d), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "i", TSF_ST_I64, 4, si, i), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "empty", TSF_ST_F64, 2, s0, NULL), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "d", TSF_ST_F64, 1, sf, d), TSF_EINVAL);
    assert_int_equal(tsf_st_add(doc, "__metadata__", TSF_ST_F64, 1, sf, d), TSF_EINVAL);
    assert_int_equal(tsf_st_write(doc, path), TSF_OK);
    tsf_st_free(doc);

    assert_int_equal(tsf_st_read(path, &back), TSF_OK);
    assert_string_equal(tsf_st_meta(back, "spec"), "ar(2)");
    assert_string_equal(tsf_st_meta(back, "note"), "ünïcode \"quoted\"\n");
    assert_null(tsf_st_meta(back, "absent"));
    size_t nd, cnt;
    const size_t *shape;
    const void *data;
    assert_int_equal(tsf_st_get(back, "d", TSF_ST_F64, &nd, &shape, &data, &cnt), TSF_OK);
    assert_int_equal(nd, 2);
    assert_int_equal(shape[0], 2);
    assert_int_equal(shape[1], 3);
    assert_int_equal(cnt, 6);
    assert_memory_equal(data, d, sizeof d); /* bit-exact, -0.0 included */
    assert_int_equal(tsf_st_get(back, "f", TSF_ST_F32, &nd, &shape, &data, &cnt), TSF_OK);
    assert_int_equal(cnt, 3);
    assert_memory_equal(data, f, sizeof f);
    assert_int_equal(tsf_st_get(back, "i", TSF_ST_I64, &nd, &shape, &data, &cnt), TSF_OK);
    assert_int_equal(nd, 4);
    assert_int_equal(cnt, 4);
    assert_memory_equal(data, i, sizeof i);
    assert_int_equal(tsf_st_get(back, "empty", TSF_ST_F64, &nd, &shape, &data, &cnt), TSF_OK);
    assert_int_equal(cnt, 0);
    assert_int_equal(shape[1], 5);

    assert_int_equal(tsf_st_get(back, "d", TSF_ST_F32, NULL, NULL, &data, NULL), TSF_EPARSE);
    assert_errmsg_has("m.safetensors: bad model file: tensor 'd' has dtype F64, expected F32");
    assert_int_equal(tsf_st_get(back, "nope", TSF_ST_F64, NULL, NULL, &data, NULL), TSF_EPARSE);
    assert_errmsg_has("tensor 'nope' is missing");
    tsf_st_free(back);
    tsf_st_free(NULL);
    rm_tree(dir);
}

/* The exact bytes of a tiny file, spelled out from the format: u64 LE
 * header length, compact JSON padded with spaces to a multiple of 8, then
 * the data (8-byte dtypes first so that every tensor is aligned). */
static void test_exact_bytes(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/tiny.safetensors", dir);
    tsf_st *doc;
    const float x[2] = {1.0f, -2.0f};
    const int64_t n = 7;
    const size_t sx[1] = {2};
    assert_int_equal(tsf_st_new(&doc), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "a", "b"), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "x", TSF_ST_F32, 1, sx, x), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "n", TSF_ST_I64, 0, NULL, &n), TSF_OK);
    assert_int_equal(tsf_st_write(doc, path), TSF_OK);
    tsf_st_free(doc);

    const char *json = "{\"__metadata__\":{\"a\":\"b\"},"
                       "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                       "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    size_t jl = strlen(json); /* 132, padded to 136 */
    assert_int_equal(jl, 132);
    unsigned char want[8 + 136 + 16];
    const unsigned char len8[8] = {136, 0, 0, 0, 0, 0, 0, 0};
    memcpy(want, len8, 8);
    memcpy(want + 8, json, jl);
    memset(want + 8 + jl, ' ', 136 - jl);
    const unsigned char data[16] = {7, 0, 0, 0, 0, 0, 0, 0,        /* int64 7 */
                                    0x00, 0x00, 0x80, 0x3f,        /* float 1.0 */
                                    0x00, 0x00, 0x00, 0xc0};       /* float -2.0 */
    memcpy(want + 144, data, 16);
    size_t len;
    unsigned char *got = slurp(path, &len);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(got, want, sizeof want);
    free(got);

    /* and the hand-made bytes read back */
    tsf_st *back;
    assert_int_equal(tsf_st_parse(want, sizeof want, "tiny", &back), TSF_OK);
    const void *p;
    size_t cnt;
    assert_int_equal(tsf_st_get(back, "n", TSF_ST_I64, NULL, NULL, &p, &cnt), TSF_OK);
    assert_int_equal(cnt, 1);
    assert_int_equal(*(const int64_t *)p, 7);
    assert_int_equal(tsf_st_get(back, "x", TSF_ST_F32, NULL, NULL, &p, &cnt), TSF_OK);
    assert_true(((const float *)p)[1] == -2.0f);
    tsf_st_free(back);
    rm_tree(dir);
}

/* A file from a header text and data bytes (header padded as the format
 * allows); hdrlen_override replaces the length field when nonzero. */
static unsigned char *build(const char *json, const void *data, size_t dlen,
                            uint64_t hdrlen_override, size_t *len)
{
    size_t jl = strlen(json), pl = (jl + 7) / 8 * 8;
    unsigned char *b = malloc(8 + pl + dlen + 1);
    assert_non_null(b);
    uint64_t n = hdrlen_override ? hdrlen_override : pl;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(n >> (8 * i));
    memcpy(b + 8, json, jl);
    memset(b + 8 + jl, ' ', pl - jl);
    if (dlen) memcpy(b + 8 + pl, data, dlen);
    *len = 8 + pl + dlen;
    return b;
}

static void expect_bad(const char *json, size_t dlen, uint64_t hl, const char *needle)
{
    unsigned char zeros[64] = {0};
    size_t len;
    unsigned char *b = build(json, zeros, dlen, hl, &len);
    tsf_st *doc = (tsf_st *)1;
    tsf_status st = tsf_st_parse(b, len, "bad.safetensors", &doc);
    free(b);
    if (st != TSF_EPARSE) fail_msg("'%s' parsed with status %d", json, (int)st);
    assert_null(doc);
    assert_errmsg_has("bad.safetensors: bad model file: ");
    assert_errmsg_has(needle);
    assert_errmsg_has("re-create it with tsf fit -o");
}

#define T(name, dt, shape, b, e) \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void test_malformed(void **state)
{
    (void)state;
    /* a valid file, then truncated at every length */
    size_t len;
    unsigned char d16[16] = {0};
    unsigned char *ok = build("{" T("a", "F64", "[2]", 0, 16) "}", d16, 16, 0, &len);
    tsf_st *doc;
    assert_int_equal(tsf_st_parse(ok, len, "ok", &doc), TSF_OK);
    tsf_st_free(doc);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(tsf_st_parse(ok, cut, "cut", &doc), TSF_EPARSE);
        assert_null(doc);
    }
    assert_int_equal(tsf_st_parse(ok, 5, "cut", &doc), TSF_EPARSE);
    assert_errmsg_has("cut: bad model file: the file is 5 bytes, too short");
    assert_int_equal(tsf_st_parse(ok, 20, "cut", &doc), TSF_EPARSE);
    assert_errmsg_has("is larger than the file (20 bytes; truncated?)");
    assert_int_equal(tsf_st_parse(ok, len - 1, "cut", &doc), TSF_EPARSE);
    assert_errmsg_has("data_offsets end 16 is past the data (15 bytes)");
    free(ok);

    expect_bad("{}", 0, 1000000000, "header length 1000000000 is over the limit");
    expect_bad("{}", 0, UINT64_MAX, "is over the limit");
    expect_bad("{\"a\":", 0, 0, "the header is not valid JSON");
    expect_bad("[1,2]", 0, 0, "does not start with '{'");
    expect_bad("{\"a\":1} x", 0, 0, "not valid JSON");
    expect_bad("{" T("a", "F64", "[1]", 0, 8) "," T("a", "F64", "[1]", 8, 16) "}", 16, 0,
               "duplicate object key");
    expect_bad("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12, 0,
               "tensor 'b' overlaps another tensor's data");
    expect_bad("{" T("a", "F64", "[2]", 0, 8) "}", 8, 0,
               "tensor 'a': shape and dtype need a different number of bytes but "
               "data_offsets span 8");
    expect_bad("{" T("a", "F64", "[4294967296,4294967296]", 0, 8) "}", 8, 0,
               "shape and dtype need too many bytes");
    expect_bad("{" T("a", "BF16", "[2]", 0, 4) "}", 4, 0,
               "tensor 'a' has unknown dtype 'BF16' (tsf reads F64, F32, I64)");
    expect_bad("{" T("a", "F64", "[1]", 8, 16) "}", 16, 0,
               "hole in the data before tensor 'a' (bytes 0..8 belong to no tensor)");
    expect_bad("{" T("a", "F64", "[1]", 0, 8) "}", 16, 0,
               "8 bytes at the end of the data belong to no tensor");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, 0, "metadata 'k' is not a string");
    expect_bad("{\"__metadata__\":[]}", 0, 0, "__metadata__ is not a JSON object");
    expect_bad("{" T("a", "F64", "[1,1,1,1,1]", 0, 8) "}", 8, 0, "at most 4 sizes");
    expect_bad("{" T("a", "F64", "[-1]", 0, 8) "}", 8, 0, "shape holds something other");
    expect_bad("{" T("a", "F64", "[1.0]", 0, 8) "}", 8, 0, "shape holds something other");
    expect_bad("{" T("a", "F64", "[1]", 8, 0) "}", 8, 0, "not [begin, end] with begin <= end");
    expect_bad("{" T("a", "F64", "[1]", -8, 0) "}", 8, 0, "not [begin, end]");
    expect_bad("{" T("a", "F64", "[1]", 0, 24) "}", 8, 0, "end 24 is past the data");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[]}}", 0, 0,
               "needs exactly dtype, shape and data_offsets");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8],\"x\":1}}", 8, 0,
               "needs exactly dtype, shape and data_offsets");
    expect_bad("{\"a\":[]}", 0, 0, "entry 'a' is not a JSON object");
    expect_bad("{\"a\\u0000b\":{}}", 0, 0, "not valid JSON");
    /* text from the file is cleaned: the message stays on one line */
    expect_bad("{" T("x\\ny\\u001b[2J", "F64", "[2]", 0, 8) "}", 8, 0,
               "tensor 'x?y?[2J': shape and dtype");
    assert_null(strchr(tsf_errmsg(), '\n'));
}

/* A file written by Python (tests/fuzz_model/make_corpus.py: struct + json,
 * independent of tsf's writer) reads with the values Python packed. */
static void test_read_python_file(void **state)
{
    (void)state;
    char path[512];
    tsf_st *doc;
    test_path("fuzz_model/corpus/valid_three_dtypes.safetensors", path, sizeof path);
    assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
    const void *p;
    size_t nd, cnt;
    const size_t *shape;
    assert_int_equal(tsf_st_get(doc, "a", TSF_ST_F64, &nd, &shape, &p, &cnt), TSF_OK);
    assert_int_equal(cnt, 2);
    assert_true(((const double *)p)[0] == 1.5 && ((const double *)p)[1] == -2.0);
    assert_int_equal(tsf_st_get(doc, "i", TSF_ST_I64, &nd, &shape, &p, &cnt), TSF_OK);
    assert_int_equal(nd, 0);
    assert_int_equal(*(const int64_t *)p, 7);
    assert_int_equal(tsf_st_get(doc, "f", TSF_ST_F32, &nd, &shape, &p, &cnt), TSF_OK);
    assert_int_equal(nd, 2);
    assert_int_equal(shape[1], 2);
    assert_true(((const float *)p)[0] == 1.0f && ((const float *)p)[1] == 2.0f);
    tsf_st_free(doc);
}

static void test_read_errors(void **state)
{
    (void)state;
    tsf_st *doc = (tsf_st *)1;
    assert_int_equal(tsf_st_read("/nonexistent/x.safetensors", &doc), TSF_EIO);
    assert_null(doc);
    assert_errmsg_has("/nonexistent/x.safetensors: cannot open the model file");

    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/short.safetensors", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("\x10\0\0", f);
    fclose(f);
    assert_int_equal(tsf_st_read(path, &doc), TSF_EPARSE);
    assert_errmsg_has("short.safetensors: bad model file: the file is 1 bytes");
    assert_int_equal(tsf_st_read(dir, &doc), TSF_EIO); /* a directory */
    assert_errmsg_has("cannot read the model file");
    assert_null(doc);
    rm_tree(dir);
}

static void write_one(const char *path, double v, tsf_status want)
{
    tsf_st *doc;
    const size_t s1[1] = {1};
    assert_int_equal(tsf_st_new(&doc), TSF_OK);
    assert_int_equal(tsf_st_add(doc, "v", TSF_ST_F64, 1, s1, &v), TSF_OK);
    assert_int_equal(tsf_st_write(doc, path), want);
    tsf_st_free(doc);
}

static void test_atomic_write(void **state)
{
    (void)state;
    char dir[64], path[192];
    make_dir(dir, sizeof dir);

    /* a directory that does not exist: TSF_EIO, nothing created */
    snprintf(path, sizeof path, "%s/missing/m.safetensors", dir);
    write_one(path, 1.0, TSF_EIO);
    assert_errmsg_has("cannot create a temporary file");
    assert_int_equal(count_entries(dir), 0);

    /* replacing an existing file, keeping its mode, no temp file left */
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    write_one(path, 1.0, TSF_OK);
    assert_int_equal(chmod(path, 0640), 0);
    write_one(path, 2.0, TSF_OK);
    assert_int_equal(count_entries(dir), 1);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    tsf_st *doc;
    const void *p;
    assert_int_equal(tsf_st_read(path, &doc), TSF_OK);
    assert_int_equal(tsf_st_get(doc, "v", TSF_ST_F64, NULL, NULL, &p, NULL), TSF_OK);
    assert_true(*(const double *)p == 2.0);
    tsf_st_free(doc);

    /* a failure after the temp file exists (rename onto a directory):
     * the temp file is removed and the directory is untouched */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    write_one(path, 3.0, TSF_EIO);
    assert_errmsg_has("nothing was written");
    assert_int_equal(count_entries(dir), 2);
    assert_int_equal(count_entries(path), 0);

    /* text jansson cannot encode (not UTF-8): refused before any file */
    assert_int_equal(tsf_st_new(&doc), TSF_OK);
    assert_int_equal(tsf_st_set_meta(doc, "k", "\xff\xfe"), TSF_OK);
    snprintf(path, sizeof path, "%s/u.safetensors", dir);
    assert_int_equal(tsf_st_write(doc, path), TSF_EINVAL);
    tsf_st_free(doc);
    assert_int_equal(count_entries(dir), 2);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_read_python_file),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_atomic_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
