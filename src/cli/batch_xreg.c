/* tsf batch and tsf evaluate with --xreg: the regressors of one series.
 *
 * Columns come from the series' own rows of a long file (batch_long.c
 * reads them, checking every cell) and, for the forecast, from the rows of
 * the same id in the --xreg-future file; Fourier, calendar and trend terms
 * are generated from the series' time grid.  The matrices are built by
 * cli_xreg_build_msg (xreg.c), as for one series; a series whose
 * regressors cannot be built fails alone, with the reason in its row. */
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "cli.h"

struct batch_futures {
    const char *path;
    batch_series *s;       /* sorted by id */
    size_t n;
};

static int by_id(const void *a, const void *b)
{
    return strcmp(((const batch_series *)a)->id, ((const batch_series *)b)->id);
}

void batch_futures_free(batch_futures *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) batch_series_free(&f->s[i]);
    free(f->s);
    free(f);
}

int batch_futures_read(const char *path, const char *idc, const char *timec,
                       const char *const *xnames, size_t nx, batch_futures **out)
{
    *out = NULL;
    batch_futures *f = calloc(1, sizeof *f);
    if (!f) return cli_usage("out of memory");
    f->path = path;
    batch_long *rd = NULL;
    int r = batch_long_open(path, idc, timec, NULL, xnames, nx, 1, NULL, 0, &rd);
    if (!r) r = batch_long_all(rd, &f->s, &f->n);
    batch_long_close(rd);
    if (r) {
        batch_futures_free(f);
        return r;
    }
    qsort(f->s, f->n, sizeof *f->s, by_id);
    *out = f;
    return 0;
}

/* The frame view of a series' regressor columns (borrowed arrays). */
static tsf_frame view(const batch_series *s, const char *path)
{
    tsf_frame v;
    memset(&v, 0, sizeof v);
    v.nrows = s->n;
    v.ncols = s->nxc;
    v.names = (char **)s->xnames;
    v.cols = s->xc;
    v.time = s->labels;
    v.axis = s->axis;
    v.path = (char *)path;
    return v;
}

int batch_series_xreg(const char *xreg, const char *file, const batch_futures *fut,
                      const batch_series *s, size_t h, cli_xbuild *x, cli_xbuild *xf, char *err,
                      size_t errlen)
{
    memset(x, 0, sizeof *x);
    if (xf) memset(xf, 0, sizeof *xf);
    tsf_frame v = view(s, file);
    int r = cli_xreg_build_msg(xreg, s->nxc ? &v : NULL, file, (size_t)-1, &s->axis,
                               0, s->n, x, err, errlen);
    if (r || !xf || !x->k) return r;
    const batch_series *fs = NULL;
    if (fut && x->has_columns) {
        batch_series key;
        key.id = s->id;
        fs = bsearch(&key, fut->s, fut->n, sizeof key, by_id);
        if (!fs) {
            snprintf(err, errlen, "%s has no rows for series '%s'; give its %zu future "
                     "regressor rows there", fut->path, s->id, h);
            cli_xbuild_free(x);
            return EXIT_INPUT;
        }
        if (fs->n < h) {
            snprintf(err, errlen, "%s: series '%s' has %zu rows of future regressors, the "
                     "horizon is %zu", fut->path, s->id, fs->n, h);
            cli_xbuild_free(x);
            return EXIT_INPUT;
        }
        int64_t k = -1;
        char want[80] = "";
        if (s->axis.form.kind != TSF_TIME_TEXT && fs->labels && fs->n &&
            tsf_time_label(&s->axis, (int64_t)s->axis.n, want, sizeof want) == TSF_OK &&
            (tsf_time_locate(&s->axis, fs->labels[0], &k) != TSF_OK ||
             k != (int64_t)s->axis.n)) {
            snprintf(err, errlen, "%s: the future regressors of series '%s' start at '%s', but "
                     "the step after its last stamp is '%s'; start them there", fut->path,
                     s->id, fs->labels[0], want);
            cli_xbuild_free(x);
            return EXIT_INPUT;
        }
    }
    tsf_frame fv;
    memset(&fv, 0, sizeof fv);
    if (fs) fv = view(fs, fut->path);
    r = cli_xreg_build_msg(xreg, fs ? &fv : NULL, fs ? fut->path : file,
                           (size_t)-1, &s->axis, s->n, h, xf, err, errlen);
    if (r) cli_xbuild_free(x);
    return r;
}

int batch_xreg_columns(const char *xreg, const char *file, int is_long, char ***cols, size_t *n)
{
    *cols = NULL;
    *n = 0;
    if (!xreg) return 0;
    int r = cli_xreg_columns(xreg, cols, n);
    if (r || !*n || is_long) return r;
    r = cli_usage("%s: --xreg names column '%s': regressor columns are per series, which a wide "
                  "file (one column per series) cannot hold; write the file in long format "
                  "(id,time,value,%s) and add --format long", file, (*cols)[0], (*cols)[0]);
    free(*cols);
    *cols = NULL;
    *n = 0;
    return r;
}
