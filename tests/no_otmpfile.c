/* LD_PRELOAD shim for tests: open() with O_TMPFILE fails with EOPNOTSUPP,
 * as on file systems without unnamed temporary files, so that tsf batch's
 * named-temp-file fallback runs.  Everything else goes to libc. */
#undef _FILE_OFFSET_BITS /* both open and open64 are defined here */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

typedef int (*open_fn)(const char *, int, ...);

static int forward(const char *name, const char *path, int flags, mode_t mode)
{
    if ((flags & O_TMPFILE) == O_TMPFILE) {
        errno = EOPNOTSUPP;
        return -1;
    }
    void *sym = dlsym(RTLD_NEXT, name);
    open_fn real;
    memcpy(&real, &sym, sizeof real); /* POSIX: dlsym's result is callable */
    if (!sym) {
        errno = ENOSYS;
        return -1;
    }
    return real(path, flags, mode);
}

/* open and open64 alike: the mode is only passed with O_CREAT or O_TMPFILE */
#define WRAP(fn)                                                                  \
    int fn(const char *path, int flags, ...)                                      \
    {                                                                             \
        mode_t mode = 0;                                                          \
        va_list ap;                                                               \
        va_start(ap, flags);                                                      \
        if (flags & (O_CREAT | O_TMPFILE)) mode = (mode_t)va_arg(ap, int);        \
        va_end(ap);                                                               \
        return forward(#fn, path, flags, mode);                                   \
    }
WRAP(open)
WRAP(open64)
