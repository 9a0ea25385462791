/* tsf batch: forecast many series from one CSV file (wide or long), in
 * parallel over series (OpenMP, optionally MPI across processes).
 *
 * Results are kept per series and written in input order, so the output is
 * byte-for-byte the same for any thread or rank count.  Long input is
 * handled in chunks of series, so memory stays bounded by a chunk, not by
 * the file.  docs/batch.md describes formats and exit statuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <jansson.h>
#include "batch.h"
#include "cli.h"

typedef struct {
    batch_cfg cfg;
    int threads;
    batch_file *out, *sum;   /* rank 0 only; sum NULL without --summary */
    batch_progress prog;
    size_t done, failed, nsum;
    int rank, size;
} batch_run;

/* Fits this rank's share of s[0..n) (global indices base..), gathers to rank
 * 0 and writes there.  Returns 0 or an exit status. */
static int run_chunk(batch_run *b, const batch_series *s, size_t n, size_t base)
{
    batch_result *res = calloc(n ? n : 1, sizeof *res);
    if (!res) return cli_usage("out of memory");
    int oom = 0;
    size_t done0 = b->done;
    size_t *done = &b->done;
    batch_progress *prog = b->rank == 0 ? &b->prog : NULL;
    int blas = batch_blas_serial();
#pragma omp parallel for schedule(dynamic) num_threads(b->threads)
    for (size_t i = 0; i < n; i++) {
        if ((base + i) % (size_t)b->size != (size_t)b->rank) continue;
        if (batch_run_series(&b->cfg, &s[i], &res[i])) {
#pragma omp atomic write
            oom = 1;
        }
        size_t d;
#pragma omp atomic capture
        d = ++*done;
#ifdef _OPENMP
        if (prog && omp_get_thread_num() == 0) batch_progress_show(prog, d, 0);
#else
        if (prog) batch_progress_show(prog, d, 0);
#endif
    }
    batch_blas_restore(blas);
    int r = 0;
    if (oom) r = cli_usage("out of memory");
    if (batch_mpi_gather(res, n, base) && !r) r = cli_usage("batch: collecting results from the "
                                                            "MPI ranks failed");
    b->done = done0 + n;
    if (!r && b->rank == 0) {
        FILE *f = batch_file_stream(b->out);
        FILE *g = b->sum ? batch_file_stream(b->sum) : NULL;
        for (size_t i = 0; i < n; i++) {
            fwrite(res[i].rows, 1, res[i].rows_len, f);
            b->failed += (size_t)res[i].failed;
            if (g) {
                fputs(b->nsum++ ? ",\n    " : "\n    ", g);
                fwrite(res[i].summary, 1, res[i].summary_len, g);
            }
        }
        if (ferror(f) || (g && ferror(g))) r = cli_usage("batch: cannot write the output");
        batch_progress_show(&b->prog, b->done, 1);
    }
    for (size_t i = 0; i < n; i++) batch_result_free(&res[i]);
    free(res);
    return r;
}

static int run_wide(batch_run *b, const cli_args *a, tsf_frame *fr)
{
    batch_series *s = batch_wide_series(fr);
    if (!s) return cli_usage("out of memory");
    (void)a;
    int r = run_chunk(b, s, fr->ncols, 0);
    free(s);
    return r;
}

static int run_long(batch_run *b, batch_long *rd)
{
    /* A chunk is large enough to keep every thread of every rank busy and
     * small enough that its series and results stay a few MB. */
    size_t chunk = (size_t)(64 * b->threads * b->size);
    batch_series *s = calloc(chunk, sizeof *s);
    if (!s) return cli_usage("out of memory");
    size_t base = 0;
    int eof = 0, r = 0;
    while (!eof && !r) {
        size_t n = 0;
        if ((r = batch_long_next(rd, s, chunk, &n, &eof))) break;
        b->prog.fraction = batch_long_fraction(rd);
        r = run_chunk(b, s, n, base);
        for (size_t i = 0; i < n; i++) batch_series_free(&s[i]);
        base += n;
    }
    free(s);
    return r;
}

static int summary_begin(FILE *g, const char *spec)
{
    json_t *js = json_string(spec);
    char *txt = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
    json_decref(js);
    if (!txt) return cli_usage("out of memory");
    fprintf(g, "{\n  \"spec\": %s,\n  \"results\": [", txt);
    free(txt);
    return 0;
}

static int check_args(const cli_args *a)
{
    if (!a->nspecs) return cli_usage("batch: give a model with -m SPEC, e.g. -m auto");
    if (a->horizon < 0) return cli_usage("batch: give the horizon with -h N");
    if (!a->file) return cli_usage("batch: no input file; see 'tsf help batch'");
    if (a->model_path) return cli_usage("batch: --model does not apply; each series is fitted");
    if (a->xreg) {
        int r = cli_xreg_check(a->xreg);
        if (r) return r;
        if (a->returns) return cli_usage("batch: --returns cannot be combined with --xreg");
    }
    if (a->xreg_future && !a->xreg)
        return cli_usage("batch: --xreg-future needs --xreg (the regressors it gives values for)");
    if (a->column) return cli_usage("batch: -c does not apply; every series is forecast");
    if (a->global && a->returns)
        return cli_usage("batch: --returns does not combine with --global");
    if (a->save_model && !a->global)
        return cli_usage("batch: --save-model needs --global (otherwise each series has its "
                         "own model)");
    int is_long = a->format && !strcmp(a->format, "long");
    if (!is_long && (a->id_col || a->time_col || a->value_col))
        return cli_usage("batch: --id/--time/--value apply to --format long");
    if (!is_long && a->xreg_future)
        return cli_usage("batch: --xreg-future applies to --format long (a wide file takes only "
                         "generated regressors: trend, fourier(P,K), calendar)");
    tsf_model *m = NULL;
    tsf_status st = tsf_model_new(a->specs[0], &m);
    tsf_model_free(m);
    if (st) return cli_fail(st);
    return 0;
}

static int batch_main(const cli_args *a)
{
    int r = check_args(a);
    if (r) return r;
    batch_run b;
    memset(&b, 0, sizeof b);
    b.cfg.spec = a->specs[0];
    b.cfg.fit = a->fit;
    b.cfg.xreg = a->xreg;
    b.cfg.file = a->file;
    b.cfg.fit.threads = 1; /* parallel over series, not inside one fit */
    b.cfg.fc = a->fc;
    b.cfg.h = (size_t)a->horizon;
    b.cfg.levels = a->levels;
    b.cfg.nlevels = a->nlevels;
    b.cfg.returns = a->returns;
#ifdef _OPENMP
    b.threads = a->threads > 0 ? a->threads : omp_get_max_threads();
#else
    b.threads = 1;
#endif
    if (b.threads < 1) b.threads = 1;
    b.rank = batch_mpi_rank();
    b.size = batch_mpi_size();

    int is_long = a->format && !strcmp(a->format, "long");
    tsf_frame *fr = NULL;
    batch_long *rd = NULL;
    batch_series *all = NULL; /* --global: every series, read before training */
    size_t nall = 0;
    tsf_model *gm = NULL;
    char **xcols = NULL; /* --xreg: the columns it names */
    size_t nxcols = 0;
    batch_futures *fut = NULL;
    if ((r = batch_xreg_columns(a->xreg, a->file, is_long, &xcols, &nxcols))) return r;
    if (nxcols && !a->xreg_future) {
        r = cli_usage("%s: --xreg names column '%s': give its future values for every series "
                      "with --xreg-future F.csv (columns id,time,%s; -h rows per series)",
                      a->file, xcols[0], xcols[0]);
        free(xcols);
        return r;
    }
    if (is_long) {
        r = batch_long_open(a->file, a->id_col, a->time_col, a->value_col,
                            (const char *const *)xcols, nxcols, 0, &a->time, b.rank == 0, &rd);
        if (!r && a->xreg_future)
            r = batch_futures_read(a->xreg_future, a->id_col, a->time_col,
                                   (const char *const *)xcols, nxcols, &fut);
        b.cfg.fut = fut;
        if (!r) b.cfg.has_time = batch_long_has_time(rd);
        if (!r && a->global) r = batch_long_all(rd, &all, &nall);
    } else {
        tsf_status st = tsf_csv_read_time(a->file, &a->time, &fr);
        if (st) r = cli_fail(st);
        if (!r && b.rank == 0) cli_note_gaps(a->file, NULL, &fr->axis, fr->time);
        if (!r && fr->ncols == 0) r = cli_usage("%s: no numeric column to forecast", a->file);
        if (!r) b.cfg.has_time = fr->time != NULL;
        if (!r && a->global && !(all = batch_wide_series(fr))) r = cli_usage("out of memory");
        nall = fr ? fr->ncols : 0;
    }
    /* --global: every rank read the file; one failing stops them all */
    if (a->global && (r = batch_mpi_max_int(r)) == 0) {
        r = batch_global_fit(&b.cfg, all, nall, b.threads, a->quiet, &gm);
        b.cfg.global = gm;
        if (!r && gm && a->save_model && b.rank == 0) {
            tsf_status st = tsf_save(gm, a->save_model);
            if (st) r = cli_fail(st);
        }
        r = batch_mpi_max_int(r);
    }
    if (r && !a->global) {
        tsf_frame_free(fr);
        batch_long_close(rd);
        batch_futures_free(fut);
        free(xcols);
        return r;
    }
    char *header = r ? NULL : batch_header(&b.cfg);
    if (!r && !header) r = cli_usage("out of memory");
    if (!r && b.rank == 0) {
        r = batch_file_open(a->out, &b.out);
        if (!r && a->summary) r = batch_file_open(a->summary, &b.sum);
        if (!r) {
            fputs(header, batch_file_stream(b.out));
            if (b.sum) r = summary_begin(batch_file_stream(b.sum), a->specs[0]);
        }
    }
    free(header);
    /* Whether rank 0 could open its files decides for every rank. */
    r = batch_mpi_bcast_int(r);
    if (!r) {
        batch_progress_init(&b.prog, a->quiet || b.rank != 0, fr ? fr->ncols : nall);
        r = all ? run_chunk(&b, all, nall, 0) : fr ? run_wide(&b, a, fr) : run_long(&b, rd);
        if (b.rank == 0) batch_progress_end(&b.prog, b.done);
    }
    if (!r && b.rank == 0) {
        if (b.sum) {
            FILE *g = batch_file_stream(b.sum);
            fprintf(g, "\n  ],\n  \"series\": %zu,\n  \"failed\": %zu\n}\n", b.nsum, b.failed);
        }
        r = batch_file_commit(b.out);
        b.out = NULL;
        if (b.sum) {
            int r2 = batch_file_commit(b.sum);
            b.sum = NULL;
            if (!r) r = r2;
        }
        if (!r && b.failed) {
            fprintf(stderr, "tsf: batch: %zu of %zu series could not be forecast (see the "
                            "error column)\n", b.failed, b.done);
            r = EXIT_PARTIAL;
        }
    }
    batch_file_discard(b.out);
    batch_file_discard(b.sum);
    for (size_t i = 0; is_long && all && i < nall; i++) batch_series_free(&all[i]);
    free(all);
    tsf_model_free(gm);
    tsf_frame_free(fr);
    batch_long_close(rd);
    batch_futures_free(fut);
    free(xcols);
    return batch_mpi_bcast_int(r);
}

int cmd_batch(int argc, char **argv)
{
    cli_args a;
    int r = cli_parse("batch", argc, argv, OPT_MODEL | OPT_HORIZON | OPT_OUTPUT | OPT_BATCH, &a);
    if (r) return r;
    if (batch_mpi_init()) return cli_usage("batch: MPI could not be initialised");
    r = batch_main(&a);
    batch_mpi_finalize();
    return r;
}
