/* Atomic file writing (see atomic.h). */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "atomic.h"

struct tsf_atomic_file {
    FILE *fp;
    char *path;  /* the target */
    char *dir;   /* its directory */
    char *tmp;   /* the temporary file's name; NULL while it is unnamed (O_TMPFILE) */
};

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void free_file(tsf_atomic_file *f)
{
    free(f->tmp);
    free(f->dir);
    free(f->path);
    free(f);
}

static tsf_status io_error(const char *path, const char *what, int e)
{
    return tsf_set_error(TSF_EIO, "%s: %s (%s); nothing was written: check that the "
                         "directory exists, is writable and has space", path, what, strerror(e));
}

tsf_status tsf_atomic_open(const char *path, tsf_atomic_file **out)
{
    return tsf_atomic_open_flags(path, 0, out);
}

tsf_status tsf_atomic_open_flags(const char *path, int flags, tsf_atomic_file **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_atomic_open: no output pointer");
    *out = NULL;
    if (!path || !*path) return tsf_set_error(TSF_EINVAL, "no output file name given");
    tsf_atomic_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)) || !(f->dir = dir_of(path))) {
        if (f) free_file(f);
        return tsf_set_error(TSF_ENOMEM, "out of memory opening %s", path);
    }
    struct stat sb;
    int replace = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    int fd = -1, e = 0;
#ifdef O_TMPFILE
    if (!(flags & TSF_ATOMIC_NO_TMPFILE)) fd = open(f->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#endif
    (void)flags;
    if (fd < 0) {
        size_t len = strlen(f->dir) + strlen(base_of(path)) + 16;
        if (!(f->tmp = malloc(len))) {
            free_file(f);
            return tsf_set_error(TSF_ENOMEM, "out of memory opening %s", path);
        }
        snprintf(f->tmp, len, "%s/.%s.XXXXXX", f->dir, base_of(path));
        fd = mkstemp(f->tmp);
        e = errno;
        if (fd >= 0 && !replace) (void)fchmod(fd, 0644); /* mkstemp's is 0600 */
    }
    if (fd < 0) {
        tsf_status st = io_error(path, "cannot create a temporary file next to it", e);
        free_file(f);
        return st;
    }
    if (replace) (void)fchmod(fd, sb.st_mode & 07777);
    if (!(f->fp = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        if (f->tmp) unlink(f->tmp);
        free_file(f);
        return io_error(path, "cannot write", e);
    }
    *out = f;
    return TSF_OK;
}

FILE *tsf_atomic_stream(tsf_atomic_file *f)
{
    return f->fp;
}

const char *tsf_atomic_tmpname(const tsf_atomic_file *f)
{
    return f ? f->tmp : NULL;
}

/* fsync of the directory, so that the rename itself survives a crash;
 * best effort (some filesystems refuse it). */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Gives the unnamed O_TMPFILE inode a hidden name of its own in the
 * directory: a fresh name per attempt until one is free, so that
 * concurrent writers (threads or processes) never share one.  0 or errno. */
static int link_tmpfile(tsf_atomic_file *f)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(f->fp));
    size_t len = strlen(f->dir) + strlen(base_of(f->path)) + 40;
    if (!(f->tmp = malloc(len))) return ENOMEM;
    pthread_t self = pthread_self();
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *b = (const unsigned char *)&self;
    for (size_t i = 0; i < sizeof self; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    h ^= (uint64_t)(uintptr_t)f * 0x9e3779b97f4a7c15ULL;
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t r = h ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
                     ((uint64_t)attempt * 0xbf58476d1ce4e5b9ULL);
        snprintf(f->tmp, len, "%s/.%s.%ld.%016llx", f->dir, base_of(f->path), (long)getpid(),
                 (unsigned long long)r);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) == 0) return 0;
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(f->tmp);
    f->tmp = NULL;
    return e;
}

tsf_status tsf_atomic_commit(tsf_atomic_file *f)
{
    if (!f) return tsf_set_error(TSF_EINVAL, "tsf_atomic_commit: no file");
    int e = 0;
    if (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0) e = errno ? errno : EIO;
    if (!e && !f->tmp) e = link_tmpfile(f);
    if (fclose(f->fp) != 0 && !e) e = errno ? errno : EIO;
    f->fp = NULL;
    if (!e && rename(f->tmp, f->path) != 0) e = errno;
    tsf_status st = TSF_OK;
    if (e) {
        if (f->tmp) unlink(f->tmp);
        st = io_error(f->path, "write failed", e);
    } else {
        sync_dir(f->dir);
    }
    free_file(f);
    return st;
}

void tsf_atomic_discard(tsf_atomic_file *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    if (f->tmp) unlink(f->tmp);
    free_file(f);
}
