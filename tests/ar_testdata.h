/* Test helper: reads the value column (the last field of each line) of a
 * one-series CSV under datasets/ ("NA" or empty = missing).  Kept local so
 * the AR tests do not depend on the library's CSV reader. */
#ifndef TSF_TESTS_AR_TESTDATA_H
#define TSF_TESTS_AR_TESTDATA_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *ar_test_read(const char *name, size_t *n)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "datasets/%s.csv", name);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 256, m = 0;
    double *y = malloc(cap * sizeof *y);
    int header = 1;
    while (y && fgets(line, sizeof line, f)) {
        if (header) {
            header = 0;
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *field = strrchr(line, ',');
        field = field ? field + 1 : line;
        if (*field == '"') field++;
        field[strcspn(field, "\"")] = '\0';
        if (m == cap) {
            double *ny = realloc(y, 2 * cap * sizeof *y);
            if (!ny) {
                free(y);
                y = NULL;
                break;
            }
            y = ny;
            cap *= 2;
        }
        y[m++] = (*field == '\0' || strcmp(field, "NA") == 0) ? NAN : strtod(field, NULL);
    }
    fclose(f);
    *n = m;
    return y;
}

#endif
