/* Atomic file writing (src/core/atomic.c): concurrent writers of one path
 * never see or corrupt each other's temporary files, a reader sees a whole
 * file at every moment, failures leave the target untouched and nothing
 * behind, with and without O_TMPFILE. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "core/atomic.h"

#define WRITERS 6
#define ROUNDS 40
#define BODY (48 * 1024)

static char dir[256];
static char target[300];

typedef struct {
    int id, flags;
    int failures;
    char err[256];
} writer;

/* Each writer's file: BODY bytes of its own letter, written in pieces so
 * that the writes of different threads interleave in time. */
static void *write_loop(void *p)
{
    writer *w = p;
    char chunk[4096];
    memset(chunk, 'A' + w->id, sizeof chunk);
    for (int r = 0; r < ROUNDS; r++) {
        tsf_atomic_file *f;
        if (tsf_atomic_open_flags(target, w->flags, &f)) {
            w->failures++;
            snprintf(w->err, sizeof w->err, "%s", tsf_errmsg());
            continue;
        }
        for (size_t done = 0; done < BODY; done += sizeof chunk) {
            fwrite(chunk, 1, sizeof chunk, tsf_atomic_stream(f));
            if (done % (4 * sizeof chunk) == 0) sched_yield();
        }
        if (tsf_atomic_commit(f)) {
            w->failures++;
            snprintf(w->err, sizeof w->err, "%s", tsf_errmsg());
        }
    }
    return NULL;
}

/* The file, when it exists, is one writer's whole body. */
static int check_whole(char *why, size_t n)
{
    FILE *f = fopen(target, "rb");
    if (!f) return errno == ENOENT ? 1 : (snprintf(why, n, "open: %s", strerror(errno)), 0);
    static char buf[BODY + 16];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (got != BODY) return snprintf(why, n, "%zu bytes, expected %d", got, BODY), 0;
    for (size_t i = 1; i < got; i++)
        if (buf[i] != buf[0])
            return snprintf(why, n, "byte %zu is '%c' after '%c': two writers mixed", i, buf[i],
                            buf[0]), 0;
    if (buf[0] < 'A' || buf[0] >= 'A' + WRITERS) return snprintf(why, n, "foreign content"), 0;
    return 1;
}

static int leftovers(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out.bin")) n++;
    closedir(d);
    return n;
}

static void concurrent(int flags)
{
    unlink(target);
    writer w[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){i, flags, 0, ""};
        assert_int_equal(pthread_create(&th[i], NULL, write_loop, &w[i]), 0);
    }
    /* a reader while they run */
    char why[128];
    int bad = 0;
    for (int k = 0; k < 400 && !bad; k++) {
        if (!check_whole(why, sizeof why)) bad = 1;
        sched_yield();
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(th[i], NULL);
    if (bad) fail_msg("a reader saw a partial file: %s", why);
    for (int i = 0; i < WRITERS; i++)
        if (w[i].failures) fail_msg("writer %d: %d failures: %s", i, w[i].failures, w[i].err);
    if (!check_whole(why, sizeof why)) fail_msg("final file: %s", why);
    assert_int_equal(access(target, F_OK), 0);
    assert_int_equal(leftovers(), 0);
}

static void test_concurrent_tmpfile(void **state)
{
    (void)state;
    concurrent(0);
}

static void test_concurrent_named(void **state)
{
    (void)state;
    concurrent(TSF_ATOMIC_NO_TMPFILE);
}

static void test_failures(void **state)
{
    (void)state;
    for (int flags = 0; flags <= TSF_ATOMIC_NO_TMPFILE; flags++) {
        /* the old file stays until a commit; discard keeps it and leaves nothing */
        FILE *f0 = fopen(target, "w");
        fputs("old", f0);
        fclose(f0);
        assert_int_equal(chmod(target, 0640), 0);
        tsf_atomic_file *f;
        assert_int_equal(tsf_atomic_open_flags(target, flags, &f), TSF_OK);
        fputs("new content", tsf_atomic_stream(f));
        fflush(tsf_atomic_stream(f));
        char buf[32] = "";
        FILE *r = fopen(target, "r");
        assert_non_null(fgets(buf, sizeof buf, r));
        fclose(r);
        assert_string_equal(buf, "old");
        tsf_atomic_discard(f);
        assert_int_equal(leftovers(), 0);
        r = fopen(target, "r");
        assert_non_null(fgets(buf, sizeof buf, r));
        fclose(r);
        assert_string_equal(buf, "old");
        /* a commit replaces it, keeping its mode */
        assert_int_equal(tsf_atomic_open_flags(target, flags, &f), TSF_OK);
        fputs("new", tsf_atomic_stream(f));
        assert_int_equal(tsf_atomic_commit(f), TSF_OK);
        struct stat sb;
        assert_int_equal(stat(target, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0640);
        /* a directory that does not exist: TSF_EIO naming the file */
        char bad[400];
        snprintf(bad, sizeof bad, "%s/no/such/dir/x.csv", dir);
        assert_int_equal(tsf_atomic_open_flags(bad, flags, &f), TSF_EIO);
        assert_null(f);
        assert_errmsg_has("no/such/dir/x.csv");
        assert_errmsg_has("check that the directory exists");
    }
    tsf_atomic_discard(NULL);
    tsf_atomic_file *f;
    assert_int_equal(tsf_atomic_open(NULL, &f), TSF_EINVAL);
    assert_int_equal(tsf_atomic_open("", &f), TSF_EINVAL);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tsf_atomic_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(target, sizeof target, "%s/out.bin", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(target);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_tmpfile),
        cmocka_unit_test(test_concurrent_named),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
