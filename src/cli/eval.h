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

#endif
