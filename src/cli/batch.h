/* tsf batch: internal interfaces between the driver (cmd_batch.c), the
 * per-series work (batch_series.c), the long-format stream reader
 * (batch_long.c), the output files and progress bar (batch_out.c) and the
 * MPI shim (batch_mpi.c, or batch_mpi_stub.c when the mpi feature is off).
 * docs/batch.md is the user-facing description. */
#ifndef TSF_CLI_BATCH_H
#define TSF_CLI_BATCH_H

#include <stddef.h>
#include <stdio.h>
#include "tsf/tsf.h"
#include "cli.h"

typedef struct batch_futures batch_futures;

/* What every series is fitted and forecast with. */
typedef struct {
    const char *spec;
    tsf_fit_opts fit;
    tsf_forecast_opts fc;
    size_t h;
    const double *levels;
    size_t nlevels;
    int has_time;          /* the output has a time column */
    int returns;           /* --returns: model the percent returns of each series */
    const tsf_model *global; /* --global: the fitted network, forecast for each series */
    const char *xreg;      /* --xreg list, or NULL */
    const char *file;      /* the input (for messages) */
    const batch_futures *fut; /* --xreg-future, or NULL */
} batch_cfg;

/* One input series.  Wide input borrows y and labels from the frame; long
 * input owns them (owned = 1). */
typedef struct {
    char *id;
    double *y;
    size_t n;
    char **labels;         /* n time labels, or NULL */
    int period;            /* frequency implied by the labels (1 when unknown) */
    tsf_time_axis axis;    /* their grid (form.kind TSF_TIME_TEXT: none) */
    char *error;           /* why the series cannot be used (its time column), or NULL */
    int owned;
    double **xc;           /* nxc regressor columns of n values (long input with --xreg) */
    size_t nxc;
    const char *const *xnames; /* their names (the reader's; NULL when nxc is 0) */
} batch_series;

/* The finished work on one series: its output rows (CSV text, complete
 * lines) and its summary entry (one JSON object, no newline). */
typedef struct {
    char *rows;
    size_t rows_len;
    char *summary;
    size_t summary_len;
    int failed;
} batch_result;

void batch_series_free(batch_series *s);
void batch_result_free(batch_result *r);

/* Fits and forecasts s; never fails as a whole: a series that cannot be
 * handled gets a result with failed = 1 and the reason in its row.  Returns
 * nonzero only when memory for the result itself ran out. */
int batch_run_series(const batch_cfg *cfg, const batch_series *s, batch_result *r);
/* The series-parallel phase of batch and evaluate runs every fit on one
 * thread, OpenBLAS's products included: batch_blas_serial() sets OpenBLAS
 * to one thread and returns its count before, batch_blas_restore() sets
 * that back.  Without it each worker's products woke OpenBLAS's own
 * threads, oversubscribing the cores (a global GRU's forecasts of M1
 * monthly: 12 s instead of 1.7 s on 2 threads).  The program's setting,
 * not the library's: called around the parallel loop, never inside. */
int batch_blas_serial(void);
void batch_blas_restore(int saved);

/* 1 when every mean and interval end of fc is finite. */
int batch_forecast_finite(const tsf_forecast_result *fc);

/* The series of a wide frame (one per numeric column, borrowing its
 * arrays), malloc'd; NULL when out of memory. */
batch_series *batch_wide_series(const tsf_frame *fr);

/* The CSV header line of the output (with newline), malloc'd. */
char *batch_header(const batch_cfg *cfg);

/* Appends field to f quoted as RFC 4180 requires. */
void batch_csv_field(FILE *f, const char *field);

/* ---- long format: rows id,time,value, read as a stream ---- */
typedef struct batch_long batch_long;

/* Opens path and reads its header; idc/timec/valc are the column names
 * (NULL: id|unique_id, time|ds|date, value|y); xnames[0..nx) are regressor
 * columns read into each series' xc (a missing or non-numeric cell is an
 * error naming line and column); no_value: the file has no value column
 * (a file of future regressors: y is all NaN and no time grid is made).  topts says how each
 * series' time grid is found (NULL: inferred; a series gets the rules of a
 * wide file's time column, and one whose stamps break them keeps the
 * reason in its error while the others go on); notes: print the notes
 * about filled stamps (rank 0 only).  Prints the error and returns
 * EXIT_INPUT on failure. */
int batch_long_open(const char *path, const char *idc, const char *timec, const char *valc,
                    const char *const *xnames, size_t nx, int no_value,
                    const tsf_time_opts *topts, int notes, batch_long **out);
int batch_long_has_time(const batch_long *r);
/* Reads the next at most max complete series into out[0..*n).  *eof is
 * set when nothing is left.  Prints the error and returns EXIT_INPUT on
 * bad input. */
int batch_long_next(batch_long *r, batch_series *out, size_t max, size_t *n, int *eof);
/* Fraction of the file read so far (for the progress bar), in [0, 1]. */
double batch_long_fraction(const batch_long *r);
void batch_long_close(batch_long *r);

/* ---- output files: atomic (temp file in the same directory + rename) ---- */
typedef struct batch_file batch_file;

/* path NULL means standard output.  Prints the error and returns EXIT_INPUT. */
int batch_file_open(const char *path, batch_file **out);
FILE *batch_file_stream(batch_file *f);
/* Flushes and renames into place; returns EXIT_INPUT (message printed) on
 * failure.  Frees f either way. */
int batch_file_commit(batch_file *f);
/* Removes the temp file; frees f.  NULL is harmless. */
void batch_file_discard(batch_file *f);

/* Seconds from a monotonic clock. */
double batch_now(void);

/* ---- progress bar on stderr (only when it is a terminal) ---- */
typedef struct {
    int on;
    size_t total;          /* 0 when unknown (long input) */
    double start, last;
    double fraction;       /* of the input read, when total is unknown */
    size_t shown;          /* series done at the last redraw */
} batch_progress;

void batch_progress_init(batch_progress *p, int quiet, size_t total);
/* Redraws at most every 0.2 s unless force. */
void batch_progress_show(batch_progress *p, size_t done, int force);
void batch_progress_end(batch_progress *p, size_t done);

/* ---- --global (batch_global.c): one network trained on every series ---- */
/* Checks, then fits *out on s[0..n) (every rank; MPI ranks share the
 * windows of each batch).  Progress on stderr unless quiet.  Returns 0 or
 * an exit status (message printed). */
int batch_global_fit(const batch_cfg *cfg, const batch_series *s, size_t n, int threads,
                     int quiet, tsf_model **out);
/* Reads every series of a long file into *out (*n of them). */
int batch_long_all(batch_long *rd, batch_series **out, size_t *n);

/* ---- --xreg with long input (batch_xreg.c) ---- */
/* Reads --xreg-future path (long: id, time and the regressor columns
 * xnames[0..nx), h or more rows per series) into *out.  Prints the error
 * and returns EXIT_INPUT on bad input. */
int batch_futures_read(const char *path, const char *idc, const char *timec,
                       const char *const *xnames, size_t nx, batch_futures **out);
void batch_futures_free(batch_futures *f);
/* The regressors of list xreg for series s of file: its n rows into *x
 * (x->trend set when the list holds `trend`) and, when xf is not NULL,
 * the h future steps into *xf (columns from fut, or generated).  Returns
 * 0, or nonzero with the reason in err[0..errlen); frees nothing it did
 * not make. */
/* The columns --xreg list xreg names (*n of them, *cols freed by the
 * caller; NULL, 0 without xreg); with named columns a wide file
 * (is_long 0) is an error (printed; EXIT_INPUT). */
int batch_xreg_columns(const char *xreg, const char *file, int is_long, char ***cols, size_t *n);
int batch_series_xreg(const char *xreg, const char *file, const batch_futures *fut,
                      const batch_series *s, size_t h, cli_xbuild *x, cli_xbuild *xf, char *err,
                      size_t errlen);

/* ---- MPI shim: series are dealt to ranks round-robin by global index ---- */
int batch_mpi_init(void);
int batch_mpi_rank(void);
int batch_mpi_size(void);
/* After each rank filled res[i] for its own series (global index base+i),
 * rank 0 receives every other result.  Returns nonzero on failure. */
int batch_mpi_gather(batch_result *res, size_t n, size_t base);
/* Rank 0's value of v on every rank. */
int batch_mpi_bcast_int(int v);
/* The largest v of any rank, on every rank (an error anywhere stops all). */
int batch_mpi_max_int(int v);
/* tsf_fit_opts.allreduce: buf (n doubles) := its sum over the ranks. */
int batch_mpi_allreduce(void *ctx, double *buf, size_t n);
void batch_mpi_finalize(void);

#endif
