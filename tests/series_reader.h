/* Tiny reader for the shipped datasets/<name>.csv files (header line,
 * optional quoted time column, numeric "value" last column, NA or empty =
 * missing).  Tests only: the library's own CSV reader lives in src/core. */
#ifndef TSF_TESTS_SERIES_READER_H
#define TSF_TESTS_SERIES_READER_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the last column of datasets/NAME.csv; returns a malloc'd array
 * (caller frees) and its length in *n, or NULL. */
static inline double *read_dataset(const char *name, size_t *n)
{
    char path[512], line[1024];
    *n = 0;
    snprintf(path, sizeof path, "datasets/%s.csv", name);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 256, m = 0;
    double *y = malloc(cap * sizeof *y);
    int header = 1;
    while (y && fgets(line, sizeof line, f)) {
        if (header) { header = 0; continue; }
        line[strcspn(line, "\r\n")] = '\0';
        char *last = strrchr(line, ',');
        char *v = last ? last + 1 : line;
        if (*v == '"') v++;
        char *end;
        double val = strtod(v, &end);
        if (end == v) val = NAN;
        if (m == cap) {
            double *t = realloc(y, 2 * cap * sizeof *y);
            if (!t) { free(y); y = NULL; break; }
            y = t;
            cap *= 2;
        }
        y[m++] = val;
    }
    fclose(f);
    *n = m;
    return y;
}

/* Reads at most cap values of datasets/NAME.csv's last column into y;
 * returns how many (0 when the file cannot be read). */
static inline size_t read_dataset_into(const char *name, double *y, size_t cap)
{
    size_t n;
    double *d = read_dataset(name, &n);
    if (!d) return 0;
    if (n > cap) n = cap;
    memcpy(y, d, n * sizeof *y);
    free(d);
    return n;
}

#endif
