/* tsf batch: output files written atomically, and the progress bar.
 *
 * An output file is first written under another name in the same directory
 * (same filesystem, so rename(2) is atomic) and renamed into place only when
 * complete: a run that fails or is killed leaves either the old file or no
 * file, never half of one.  On Linux the temp file is an unnamed O_TMPFILE
 * inode that gets a name only at commit, so even SIGKILL leaves nothing
 * behind; elsewhere a hidden ".NAME.XXXXXX" file is used and removed on
 * failure and on SIGINT/SIGTERM/SIGHUP. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "batch.h"
#include "cli.h"

struct batch_file {
    FILE *fp;
    char *path;      /* final name; NULL for stdout */
    char *tmp;       /* named temp file, or NULL with O_TMPFILE */
    int fd;
};

/* Named temp files to remove when a signal ends the run (CLI only: the
 * library keeps no such state). */
#define MAX_TMP 4
static char *volatile pending_tmp[MAX_TMP];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (pending_tmp[i]) unlink(pending_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track_tmp(char *name, int add)
{
    for (int i = 0; i < MAX_TMP; i++) {
        if (add && !pending_tmp[i]) {
            pending_tmp[i] = name;
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
            signal(SIGHUP, on_signal);
            return;
        }
        if (!add && pending_tmp[i] == name) {
            pending_tmp[i] = NULL;
            return;
        }
    }
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int batch_file_open(const char *path, batch_file **out)
{
    *out = NULL;
    batch_file *f = calloc(1, sizeof *f);
    if (!f) return cli_usage("out of memory");
    f->fd = -1;
    if (!path || !strcmp(path, "-")) {
        f->fp = stdout;
        *out = f;
        return 0;
    }
    char *dir = dir_of(path);
    if (!dir || !(f->path = strdup(path))) {
        free(dir);
        free(f);
        return cli_usage("out of memory");
    }
#ifdef O_TMPFILE
    f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666 & ~0022);
#endif
    if (f->fd < 0) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t len = strlen(dir) + strlen(base) + 16;
        if ((f->tmp = malloc(len))) {
            snprintf(f->tmp, len, "%s/.%s.XXXXXX", dir, base);
            f->fd = mkstemp(f->tmp);
            if (f->fd >= 0) {
                fchmod(f->fd, 0644);
                track_tmp(f->tmp, 1);
            }
        }
    }
    int e = errno;
    free(dir);
    if (f->fd < 0 || !(f->fp = fdopen(f->fd, "w"))) {
        if (f->fd >= 0) close(f->fd);
        if (f->tmp) unlink(f->tmp);
        int r = cli_usage("%s: cannot write: %s (check that the directory exists and is "
                          "writable)", path, strerror(e));
        free(f->tmp);
        free(f->path);
        free(f);
        return r;
    }
    *out = f;
    return 0;
}

FILE *batch_file_stream(batch_file *f)
{
    return f->fp;
}

static void release(batch_file *f)
{
    if (f->tmp) track_tmp(f->tmp, 0);
    free(f->tmp);
    free(f->path);
    free(f);
}

int batch_file_commit(batch_file *f)
{
    if (!f->path) {
        int bad = fflush(stdout) != 0;
        release(f);
        return bad ? cli_usage("cannot write the output: %s", strerror(errno)) : 0;
    }
    int bad = fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    int e = errno;
    if (!bad && !f->tmp) {
        /* Give the O_TMPFILE inode a hidden name, then rename over path. */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(f->fp));
        char *dir = dir_of(f->path);
        const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        size_t len = (dir ? strlen(dir) : 0) + strlen(base) + 32;
        f->tmp = dir ? malloc(len) : NULL;
        if (f->tmp) snprintf(f->tmp, len, "%s/.%s.%ld", dir, base, (long)getpid());
        free(dir);
        if (!f->tmp) bad = 1, e = ENOMEM;
        else {
            track_tmp(f->tmp, 1);
            if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) != 0) {
                bad = 1;
                e = errno;
                track_tmp(f->tmp, 0);
                free(f->tmp);
                f->tmp = NULL;
            }
        }
    }
    if (fclose(f->fp) != 0 && !bad) bad = 1, e = errno;
    if (!bad && rename(f->tmp, f->path) != 0) bad = 1, e = errno;
    if (bad && f->tmp) unlink(f->tmp);
    int r = bad ? cli_usage("%s: write failed: %s", f->path, strerror(e)) : 0;
    release(f);
    return r;
}

void batch_file_discard(batch_file *f)
{
    if (!f) return;
    if (f->path) {
        fclose(f->fp);
        if (f->tmp) unlink(f->tmp);
    } else {
        fflush(stdout);
    }
    release(f);
}

/* ---- progress ---- */
double batch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void batch_progress_init(batch_progress *p, int quiet, size_t total)
{
    memset(p, 0, sizeof *p);
    p->on = !quiet && isatty(STDERR_FILENO);
    p->total = total;
    p->start = p->last = batch_now();
}

static void fmt_time(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void batch_progress_show(batch_progress *p, size_t done, int force)
{
    if (!p->on) return;
    double t = batch_now();
    if (!force && t - p->last < 0.2) return;
    p->last = t;
    p->shown = done;
    double el = t - p->start, rate = el > 0 ? (double)done / el : 0.0;
    double frac = p->total ? (double)done / (double)p->total : p->fraction;
    char left[32];
    fmt_time(frac > 0 ? el * (1.0 - frac) / frac : -1.0, left, sizeof left);
    char bar[31];
    int fill = (int)(frac * 30.0 + 0.5);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    if (p->total)
        fprintf(stderr, "\r[%s] %zu/%zu series  %.1f/s  %s left ", bar, done, p->total, rate, left);
    else
        fprintf(stderr, "\r[%s] %zu series  %3.0f%% of input  %.1f/s  %s left ", bar, done,
                100.0 * frac, rate, left);
    fflush(stderr);
}

void batch_progress_end(batch_progress *p, size_t done)
{
    if (!p->on) return;
    if (!p->total) p->fraction = 1.0;
    if (p->shown != done || !p->total) batch_progress_show(p, done, 1);
    fputc('\n', stderr);
}
