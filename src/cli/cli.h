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
    OPT_MANYSPEC = 1 << 9  /* -m may repeat */
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
    const char *summary;      /* --summary */
    const char *format;       /* --format wide|long */
    const char *id_col, *time_col, *value_col;
    int json, quiet, drift;
    long horizon;             /* -h; -1 when absent */
    long holdout;             /* --holdout; -1 when absent */
    long nsim, paths;
    double levels[MAX_LEVELS];
    size_t nlevels;
    int levels_given;
    int threads;
    tsf_fit_opts fit;
    tsf_forecast_opts fc;
} cli_args;

/* Parses argv (after the subcommand) into a; allowed is a mask of OPT_*.
 * Prints a one-line error and returns EXIT_INPUT on a usage error. */
int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_args *a);

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
    double *xbuf;               /* regressor columns (n rows) */
    tsf_xreg xreg;
    const tsf_xreg *xp;         /* &xreg or NULL */
    char **xnames;
} cli_data;

/* Reads a->file, picks the column (several numeric columns without -c is
 * an error listing them unless allow_many), builds --xreg columns. */
int cli_load(const cli_args *a, int allow_many, cli_data *d);
void cli_data_free(cli_data *d);
/* Future regressors for h steps from --xreg-future (NULL when not needed). */
int cli_load_xreg_future(const cli_args *a, const cli_data *d, size_t h, double **buf,
                         tsf_xreg *xf);

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
int cmd_help(int argc, char **argv);

#endif
