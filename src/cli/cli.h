/* The tsf program: shared declarations of the subcommands. */
#ifndef TSF_CLI_H
#define TSF_CLI_H

#include <stddef.h>
#include <stdio.h>
#include "tsf/tsf.h"

/* Exit statuses (docs/cli.md). */
enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_NUMERIC = 2, EXIT_PARTIAL = 3 };

#define MAX_SPECS 32
#define MAX_LEVELS 16

enum { RETURNS_NONE = 0, RETURNS_LOG, RETURNS_SIMPLE };

/* Which options a subcommand takes (bit per group). */
enum {
    OPT_MODEL = 1 << 0,    /* -m, --method, --period, --xreg, --no-mean, --transform, neural */
    OPT_HORIZON = 1 << 1,  /* -h, --level, --xreg-future, --samples, --biasadj, --sampler */
    OPT_OUTPUT = 1 << 2,   /* -o */
    OPT_LOADMODEL = 1 << 3,/* --model */
    OPT_HOLDOUT = 1 << 4,  /* --holdout */
    OPT_SIM = 1 << 5,      /* -n, --paths, --sampler */
    OPT_FITOUT = 1 << 6,   /* --residuals */
    OPT_PLOT = 1 << 7,     /* --plot */
    OPT_BATCH = 1 << 8,    /* --format, --id, --time, --value, --threads, --summary, --quiet */
    OPT_MANYSPEC = 1 << 9, /* -m may repeat */
    OPT_EVAL = 1 << 10,    /* --origins, --step */
    OPT_IMPUTE = 1 << 11,  /* --level, --paths (impute) */
    OPT_GIVEN = 1 << 12    /* --given, --conditioning (forecast) */
};

typedef struct {
    const char *cmd;
    const char *specs[MAX_SPECS];
    size_t nspecs;
    const char *column;
    const char *file;
    const char *model_path;   /* --model */
    const char *out;          /* -o */
    const char *residuals;    /* --residuals */
    const char *plot;         /* --plot */
    const char *xreg;         /* --xreg trend | COL1,COL2 */
    const char *xreg_future;  /* --xreg-future FILE */
    const char *given;        /* --given LIST|FILE */
    const char *summary;      /* --summary */
    const char *format;       /* --format wide|long */
    const char *id_col, *time_col, *value_col;
    int json, quiet, drift;
    int global;               /* --global: one neural network over every series */
    const char *save_model;   /* --save-model PATH (batch --global) */
    long horizon;             /* -h; -1 when absent */
    long holdout;             /* --holdout; -1 when absent */
    long origins, step;       /* --origins, --step; 0 when absent */
    long nsim, paths;
    int paths_given;
    double levels[MAX_LEVELS];
    size_t nlevels;
    int levels_given;
    double risk[MAX_LEVELS];  /* --risk levels, percent */
    size_t nrisk;
    int returns;              /* --returns: RETURNS_NONE, RETURNS_LOG, RETURNS_SIMPLE */
    int threads;
    tsf_fit_opts fit;
    tsf_forecast_opts fc;
    tsf_time_opts time;       /* --interval, --round-time */
    unsigned family_opts;     /* bit k: option k of args.c's family_opts given */
} cli_args;

/* Parses argv (after the subcommand) into a; allowed is a mask of OPT_*.
 * Prints a one-line error and returns EXIT_INPUT on a usage error. */
int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_args *a);

/* An option given that only other families read (reads: what the models
 * read, tsf_model_reads; loaded: the model came from --model) is a usage
 * error; returns EXIT_INPUT after printing it, else 0. */
int cli_check_reads(const cli_args *a, unsigned reads, int loaded);

/* Prints "tsf: MESSAGE" for a library failure; returns the exit status
 * for the status (1 input/usage, 2 numerical). */
int cli_fail(tsf_status st);
int cli_usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The data one command works on: the series chosen with -c (or the only
 * numeric column), its time labels, and regressors. */
typedef struct {
    tsf_frame *frame;
    size_t col;                 /* chosen column */
    const double *y;
    size_t n;
    size_t *rows;               /* --returns: frame row of y[i] (cli_row); NULL: row i */
    double *ybuf;               /* the returns made by --returns */
    double *xbuf;               /* regressor columns (n rows) */
    tsf_xreg xreg;
    const tsf_xreg *xp;         /* &xreg or NULL */
    char **xnames;
    int trend;                  /* --xreg lists `trend` (the fit option) */
} cli_data;

/* Regressors built from an --xreg list (src/cli/xreg.c). */
typedef struct {
    size_t k;          /* columns */
    double *x;         /* k columns of the rows asked for */
    char **names;      /* k names (one allocation with their text) */
    int trend;         /* the list holds `trend` */
    int has_columns;   /* the list names columns of a file */
} cli_xbuild;
/* Checks the syntax of an --xreg list (and fourier's P and K). */
int cli_xreg_check(const char *spec);
/* 1 when the list names column col. */
int cli_xreg_names_column(const char *spec, const char *col);
/* The regressors of rows [0, nrows) of the list: columns from frame cols
 * (NULL: none there; column skip is the series), Fourier and calendar
 * terms of grid steps t0 .. t0 + nrows - 1 of axis ax (t0 = 0 for the
 * series, its length for the future).  file names the data in messages. */
int cli_xreg_build(const char *spec, const tsf_frame *cols, const char *file, size_t skip,
                   const tsf_time_axis *ax, size_t t0, size_t nrows, cli_xbuild *out);
/* As cli_xreg_build, but with err non-NULL the message goes into
 * err[0..errlen) instead of stderr (a per-series failure of tsf batch). */
int cli_xreg_build_msg(const char *spec, const tsf_frame *cols, const char *file, size_t skip,
                       const tsf_time_axis *ax, size_t t0, size_t nrows, cli_xbuild *out,
                       char *err, size_t errlen);
/* The column names of the list, in order (*n of them; *names NULL when
 * none), in one allocation the caller frees. */
int cli_xreg_columns(const char *spec, char ***names, size_t *n);
void cli_xbuild_free(cli_xbuild *b);

/* Reads path with the time options of a; on success prints to stderr how
 * many missing time stamps were filled (the library does not print). */
int cli_read_csv(const cli_args *a, const char *path, tsf_frame **out);
/* The note about filled stamps, for a series of the file path. */
void cli_note_gaps(const char *path, const char *id, const tsf_time_axis *ax,
                   char *const *labels);

/* Reads a->file, picks the column (the one numeric column that is not a
 * regressor, or -c's; several without -c is an error listing them),
 * builds --xreg columns. */
int cli_load(const cli_args *a, cli_data *d);
void cli_data_free(cli_data *d);
/* --returns: percent returns 100 (log p_t - log p_s) (RETURNS_LOG) or
 * 100 (p_t - p_s) / p_s of prices p[0..n), s the last observed price before
 * t: a missing price (NaN: an empty field, or a holiday the time grid
 * filled) is skipped, so the return after it spans the gap, as returns of
 * trading days do.  r receives *m returns (at most n - 1); rows (may be
 * NULL) the index in p of each one's closing price.  Returns 0, or the
 * 1-based index of a price that is not positive. */
size_t cli_returns(const double *p, size_t n, int kind, double *r, size_t *rows, size_t *m);
/* The frame row of y[i] (differs from i with --returns). */
size_t cli_row(const cli_data *d, size_t i);
/* Future regressors for h steps from --xreg-future (NULL when not needed). */
int cli_load_xreg_future(const cli_args *a, const cli_data *d, size_t h, double **buf,
                         tsf_xreg *xf);

/* --given of forecast (src/cli/given.c): the steps (1..h) and values,
 * arrays of *ng owned by the caller (NULL, 0 without --given).  labels:
 * the h future time labels (entries may be NULL). */
int cli_given(const cli_args *a, const cli_data *d, size_t h, char **labels, size_t **steps,
              double **vals, size_t *ng);

/* A note on stderr for each regressor the fit of m (spec, on n rows) left
 * out as constant or collinear (reported with coefficient 0 and standard
 * error NaN; docs/models.md). */
void cli_note_dropped(const tsf_model *m, const cli_data *d, const char *spec, size_t n);
/* Fits spec (or loads --model) on y[0..n) with the options in a. */
int cli_fit_model(const cli_args *a, const char *spec, const cli_data *d, size_t n,
                  tsf_model **m);

/* Output helpers. */
void print_num(FILE *f, double v);      /* %.10g, "null"-free: caller checks */
int write_json(FILE *f, void *json);    /* jansson json_t*, consumes it */
int future_labels(const cli_data *d, size_t h, char ***labels); /* NULL entries when unknown */
void free_labels(char **labels, size_t h);

int cmd_fit(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_impute(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif
