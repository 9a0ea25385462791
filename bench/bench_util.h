/* What the bench programs share: the process CPU clock and the reader of a
 * one-series CSV export (the bench scripts write them).  Header-only, for
 * the bench executables alone. */
#ifndef TSF_BENCH_UTIL_H
#define TSF_BENCH_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU seconds of this process: on a shared, loaded machine the honest
 * measure of the work done (wall time counts other programs' turns). */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The last field of every line after the header of path (quotes skipped;
 * empty or NA = NaN) into a malloc'ed array of *n values; NULL with a
 * message on stderr when the file cannot be read. */
static inline double *bench_read_values(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return NULL;
    }
    size_t cap = 1024;
    double *y = malloc(cap * sizeof *y);
    char line[256];
    *n = 0;
    if (!y || !fgets(line, sizeof line, f)) {
        fprintf(stderr, "%s: empty file or out of memory\n", path);
        fclose(f);
        free(y);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        char *c = strrchr(line, ',');
        c = c ? c + 1 : line;
        while (*c == '"') c++;
        if (*n == cap) {
            double *g = realloc(y, (cap *= 2) * sizeof *y);
            if (!g) {
                free(y);
                fclose(f);
                return NULL;
            }
            y = g;
        }
        char *end;
        double v = strtod(c, &end);
        y[(*n)++] = end == c ? NAN : v;
    }
    fclose(f);
    return y;
}

#endif
