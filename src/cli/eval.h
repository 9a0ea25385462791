/* tsf evaluate: rolling-origin backtesting (docs/evaluate.md).  The driver
 * (cmd_evaluate.c) reads series as tsf batch does (batch_long.c for long
 * input) and runs eval_run_series (eval_series.c) on each in parallel. */
#ifndef TSF_CLI_EVAL_H
#define TSF_CLI_EVAL_H

#include <stddef.h>
#include "batch.h"
#include "cli.h"

/* Per-row measures, in this order, then coverage and width per level. */
enum { EM_SMAPE, EM_MASE, EM_RMSSE, EM_CRPS, EM_LOGS, EM_FIXED };
#define EVAL_MAX_MEASURES (EM_FIXED + 2 * MAX_LEVELS)

typedef struct {
    const char *const *specs;
    size_t nspecs;
    tsf_fit_opts fit;
    tsf_forecast_opts fc;
    size_t h, origins, step;
    const double *levels;
    size_t nlevels;
    /* --global: for spec j and origin o, global[j * origins + o] is the
     * network trained on every series up to that origin (NULL: spec j is
     * fitted to each series) */
    tsf_model **global;
    const char *xreg;      /* --xreg list, or NULL */
    const char *file;      /* the input (for messages) */
} eval_cfg;

/* Sums over rows of one model: measure k summed over the rows where it is
 * finite (count[k] of them). */
typedef struct {
    double sum[EVAL_MAX_MEASURES];
    size_t count[EVAL_MAX_MEASURES];
    size_t rows, failed;
    double seconds;
} eval_acc;

typedef struct {
    char *rows;          /* CSV rows of -o (complete lines) */
    size_t rows_len;
    eval_acc acc[MAX_SPECS];
    int too_short;       /* the series cannot hold the origins */
} eval_result;

/* Observations a series needs for cfg's horizon, origins and step. */
size_t eval_min_length(const eval_cfg *cfg);
/* The CSV header of -o (malloc'd, with newline). */
char *eval_header(const eval_cfg *cfg);
/* Backtests every model on s.  Returns nonzero only when memory for the
 * result ran out; failures are recorded in r. */
int eval_run_series(const eval_cfg *cfg, const batch_series *s, eval_result *r);
void eval_result_free(eval_result *r);
/* --global (eval_global.c): trains cfg->global for every neural spec and
 * origin on s[0..n); returns 0 or an exit status (message printed). */
int eval_global_fit(eval_cfg *cfg, const batch_series *s, size_t n, int threads, int quiet);
void eval_global_free(eval_cfg *cfg);

#endif
