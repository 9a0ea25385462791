/* tsf batch: output files written atomically (src/core/atomic.h: a
 * temporary file in the same directory renamed into place when complete,
 * so a run that fails or is killed leaves the old file or none, never half
 * of one), and the progress bar.  Where the temporary file has a name (no
 * O_TMPFILE), SIGINT/SIGTERM/SIGHUP remove it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "batch.h"
#include "cli.h"
#include "core/atomic.h"

struct batch_file {
    FILE *fp;
    tsf_atomic_file *af; /* NULL for stdout */
    char *tmp;           /* copy of the temporary file's name, for the signal handler */
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

int batch_file_open(const char *path, batch_file **out)
{
    *out = NULL;
    batch_file *f = calloc(1, sizeof *f);
    if (!f) return cli_usage("out of memory");
    if (!path || !strcmp(path, "-")) {
        f->fp = stdout;
        *out = f;
        return 0;
    }
    tsf_status st = tsf_atomic_open(path, &f->af);
    if (st) {
        free(f);
        return cli_fail(st);
    }
    f->fp = tsf_atomic_stream(f->af);
    const char *tmp = tsf_atomic_tmpname(f->af);
    if (tmp && (f->tmp = strdup(tmp))) track_tmp(f->tmp, 1);
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
    free(f);
}

int batch_file_commit(batch_file *f)
{
    if (!f->af) {
        int bad = fflush(stdout) != 0;
        release(f);
        return bad ? cli_usage("cannot write the output: %s", strerror(errno)) : 0;
    }
    tsf_status st = tsf_atomic_commit(f->af);
    release(f);
    return st ? cli_fail(st) : 0;
}

void batch_file_discard(batch_file *f)
{
    if (!f) return;
    if (f->af) tsf_atomic_discard(f->af);
    else fflush(stdout);
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
