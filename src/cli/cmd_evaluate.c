/* tsf evaluate: rolling-origin backtests of several models over every
 * series of a file (wide or long, read as tsf batch reads them), in
 * parallel over series (OpenMP).  Results are kept per series and summed
 * in input order, so the output does not depend on the thread count.
 * docs/evaluate.md describes the measures. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "eval.h"
#include "json.h"

typedef struct {
    eval_cfg cfg;
    int threads;
    batch_file *out;          /* -o, or NULL */
    eval_acc total[MAX_SPECS];
    size_t series, too_short, longest;
} eval_run;

static int run_chunk(eval_run *e, const batch_series *s, size_t n)
{
    eval_result *res = calloc(n ? n : 1, sizeof *res);
    if (!res) return cli_usage("out of memory");
    int oom = 0;
    int blas = batch_blas_serial();
#pragma omp parallel for schedule(dynamic) num_threads(e->threads)
    for (size_t i = 0; i < n; i++)
        if (eval_run_series(&e->cfg, &s[i], &res[i])) {
#pragma omp atomic write
            oom = 1;
        }
    batch_blas_restore(blas);
    int r = oom ? cli_usage("out of memory") : 0;
    FILE *f = e->out ? batch_file_stream(e->out) : NULL;
    for (size_t i = 0; !r && i < n; i++) {
        if (f) fwrite(res[i].rows, 1, res[i].rows_len, f);
        e->series++;
        e->too_short += (size_t)res[i].too_short;
        if (s[i].n > e->longest) e->longest = s[i].n;
        for (size_t j = 0; j < e->cfg.nspecs; j++) {
            eval_acc *t = &e->total[j];
            const eval_acc *a = &res[i].acc[j];
            for (size_t k = 0; k < EVAL_MAX_MEASURES; k++) {
                t->sum[k] += a->sum[k];
                t->count[k] += a->count[k];
            }
            t->rows += a->rows;
            t->failed += a->failed;
            t->seconds += a->seconds;
        }
    }
    if (f && ferror(f) && !r) r = cli_usage("evaluate: cannot write %s", "the -o file");
    for (size_t i = 0; i < n; i++) eval_result_free(&res[i]);
    free(res);
    return r;
}

static int run_wide(eval_run *e, tsf_frame *fr)
{
    batch_series *s = batch_wide_series(fr);
    if (!s) return cli_usage("out of memory");
    int r = run_chunk(e, s, fr->ncols);
    free(s);
    return r;
}

static int run_long(eval_run *e, batch_long *rd)
{
    size_t chunk = (size_t)(16 * e->threads);
    batch_series *s = calloc(chunk, sizeof *s);
    if (!s) return cli_usage("out of memory");
    int eof = 0, r = 0;
    while (!eof && !r) {
        size_t n = 0;
        if ((r = batch_long_next(rd, s, chunk, &n, &eof))) break;
        r = run_chunk(e, s, n);
        for (size_t i = 0; i < n; i++) batch_series_free(&s[i]);
    }
    free(s);
    return r;
}

static double mean_of(const eval_acc *a, size_t k)
{
    return a->count[k] ? a->sum[k] / (double)a->count[k] : NAN;
}

static json_t *level_map(const eval_run *e, const eval_acc *a, size_t off)
{
    json_t *o = json_object();
    for (size_t l = 0; o && l < e->cfg.nlevels; l++) {
        char key[32];
        snprintf(key, sizeof key, "%g", e->cfg.levels[l]);
        json_object_set_new(o, key, jnum(mean_of(a, EM_FIXED + 2 * l + off)));
    }
    return o;
}

static int print_json(const eval_run *e)
{
    json_t *j = json_object(), *arr = json_array();
    for (size_t m = 0; m < e->cfg.nspecs; m++) {
        const eval_acc *a = &e->total[m];
        json_t *o = json_object();
        json_object_set_new(o, "spec", json_string(e->cfg.specs[m]));
        json_object_set_new(o, "smape", jnum(mean_of(a, EM_SMAPE)));
        json_object_set_new(o, "mase", jnum(mean_of(a, EM_MASE)));
        json_object_set_new(o, "rmsse", jnum(mean_of(a, EM_RMSSE)));
        json_object_set_new(o, "crps", jnum(mean_of(a, EM_CRPS)));
        json_object_set_new(o, "coverage", level_map(e, a, 0));
        json_object_set_new(o, "width", level_map(e, a, 1));
        json_object_set_new(o, "log_score", jnum(mean_of(a, EM_LOGS)));
        json_object_set_new(o, "failed", json_integer((json_int_t)a->failed));
        json_object_set_new(o, "rows", json_integer((json_int_t)a->rows));
        json_object_set_new(o, "seconds", jnum(a->seconds));
        json_array_append_new(arr, o);
    }
    json_object_set_new(j, "models", arr);
    json_object_set_new(j, "series", json_integer((json_int_t)e->series));
    json_object_set_new(j, "horizon", json_integer((json_int_t)e->cfg.h));
    json_object_set_new(j, "origins", json_integer((json_int_t)e->cfg.origins));
    json_object_set_new(j, "step", json_integer((json_int_t)e->cfg.step));
    return write_json(stdout, j);
}

/* Ranked by mean MASE; models without any scored row last, ties in the
 * order given. */
static int before(const eval_run *e, size_t x, size_t y)
{
    double u = mean_of(&e->total[x], EM_MASE), v = mean_of(&e->total[y], EM_MASE);
    if (isnan(u) || isnan(v)) return !isnan(u) && isnan(v);
    return u < v;
}

/* One column of the ranked table: a measure no fit produced (every series
 * failed, or a model without a log score such as a global one) is NA. */
static void cell(double v, int width, char conv, int prec)
{
    if (isnan(v)) printf(" %*s", width, "NA");
    else if (conv == 'f') printf(" %*.*f", width, prec, v);
    else printf(" %*.*g", width, prec, v);
}

static void print_table(const eval_run *e, const char *file)
{
    size_t order[MAX_SPECS];
    for (size_t m = 0; m < e->cfg.nspecs; m++) {
        size_t i = m;
        for (; i > 0 && before(e, m, order[i - 1]); i--) order[i] = order[i - 1];
        order[i] = m;
    }
    printf("Backtest of %s: %zu series, horizon %zu, %zu origin%s %zu apart; ranked by MASE\n\n",
           file, e->series, e->cfg.h, e->cfg.origins, e->cfg.origins > 1 ? "s" : "",
           e->cfg.step);
    printf("%-4s %-28s %8s %8s %8s %11s", "rank", "model", "sMAPE", "MASE", "RMSSE", "CRPS");
    for (size_t l = 0; l < e->cfg.nlevels; l++) {
        char c[24], w[24];
        snprintf(c, sizeof c, "cov%g", e->cfg.levels[l]);
        snprintf(w, sizeof w, "width%g", e->cfg.levels[l]);
        printf(" %7s %11s", c, w);
    }
    printf(" %10s %7s %9s\n", "log_score", "failed", "seconds");
    for (size_t r = 0; r < e->cfg.nspecs; r++) {
        const eval_acc *a = &e->total[order[r]];
        char rank[24];
        snprintf(rank, sizeof rank, "%zu", r + 1);
        printf("%-4s %-28s", isnan(mean_of(a, EM_MASE)) ? "-" : rank, e->cfg.specs[order[r]]);
        cell(mean_of(a, EM_SMAPE), 8, 'f', 3);
        cell(mean_of(a, EM_MASE), 8, 'f', 4);
        cell(mean_of(a, EM_RMSSE), 8, 'f', 4);
        cell(mean_of(a, EM_CRPS), 11, 'g', 5);
        for (size_t l = 0; l < e->cfg.nlevels; l++) {
            cell(mean_of(a, EM_FIXED + 2 * l), 7, 'f', 3);
            cell(mean_of(a, EM_FIXED + 2 * l + 1), 11, 'g', 5);
        }
        cell(mean_of(a, EM_LOGS), 10, 'f', 4);
        printf(" %7zu %9.2f\n", a->failed, a->seconds);
    }
}

static int check_args(const cli_args *a)
{
    if (!a->nspecs) return cli_usage("evaluate: give models with -m SPEC [-m SPEC ...]");
    if (a->horizon < 0) return cli_usage("evaluate: give the horizon with -h N");
    if (!a->file) return cli_usage("evaluate: no input file; see 'tsf help evaluate'");
    if (a->model_path) return cli_usage("evaluate: --model does not apply; models are refitted "
                                        "at every origin");
    if (a->xreg) {
        int r = cli_xreg_check(a->xreg);
        if (r) return r;
    }
    if (a->xreg_future)
        return cli_usage("evaluate: --xreg-future does not apply; the held-out regressor values "
                         "are read from the file itself (a backtest knows them)");
    if (a->summary) return cli_usage("evaluate: --summary does not apply; use -o and --json");
    if (a->column) return cli_usage("evaluate: -c does not apply; every series is evaluated");
    if (a->save_model) return cli_usage("evaluate: --save-model applies to tsf batch --global");
    int is_long = a->format && !strcmp(a->format, "long");
    if (!is_long && (a->id_col || a->time_col || a->value_col))
        return cli_usage("evaluate: --id/--time/--value apply to --format long");
    for (size_t k = 0; k < a->nspecs; k++) {
        tsf_model *m = NULL;
        tsf_status st = tsf_model_new(a->specs[k], &m);
        tsf_model_free(m);
        if (st) return cli_fail(st);
    }
    return 0;
}

/* Every series too short for the origins: a usage error, not a result. */
static int all_too_short(const eval_run *e)
{
    return cli_usage("evaluate: -h %zu --origins %zu --step %zu need series of at least %zu "
                     "observations; the longest has %zu (use fewer origins or a smaller step)",
                     e->cfg.h, e->cfg.origins, e->cfg.step, eval_min_length(&e->cfg),
                     e->longest);
}

static int evaluate_main(const cli_args *a)
{
    int r = check_args(a);
    if (r) return r;
    eval_run e;
    memset(&e, 0, sizeof e);
    e.cfg.specs = a->specs;
    e.cfg.nspecs = a->nspecs;
    e.cfg.fit = a->fit;
    e.cfg.fit.threads = 1; /* parallel over series */
    e.cfg.fc = a->fc;
    e.cfg.h = (size_t)a->horizon;
    e.cfg.origins = a->origins > 0 ? (size_t)a->origins : 1;
    e.cfg.step = a->step > 0 ? (size_t)a->step : e.cfg.h;
    e.cfg.levels = a->levels;
    e.cfg.nlevels = a->nlevels;
    e.cfg.xreg = a->xreg;
    e.cfg.file = a->file;
#ifdef _OPENMP
    e.threads = a->threads > 0 ? a->threads : omp_get_max_threads();
#else
    e.threads = 1;
#endif
    if (e.threads < 1) e.threads = 1;
    tsf_frame *fr = NULL;
    batch_long *rd = NULL;
    char **xcols = NULL; /* --xreg: the columns it names */
    size_t nxcols = 0;
    int is_long = a->format && !strcmp(a->format, "long");
    if ((r = batch_xreg_columns(a->xreg, a->file, is_long, &xcols, &nxcols))) return r;
    if (is_long) {
        r = batch_long_open(a->file, a->id_col, a->time_col, a->value_col,
                            (const char *const *)xcols, nxcols, 0, &a->time, 1, &rd);
        if (r) {
            free(xcols);
            return r;
        }
    } else {
        if ((r = cli_read_csv(a, a->file, &fr))) return r;
        if (fr->ncols == 0) r = cli_usage("%s: no numeric column to evaluate", a->file);
        else if (fr->nrows < eval_min_length(&e.cfg)) {
            e.longest = fr->nrows;
            r = all_too_short(&e);
        }
    }
    if (!r && a->out) {
        char *header = eval_header(&e.cfg);
        if (!header) r = cli_usage("out of memory");
        else if (!(r = batch_file_open(a->out, &e.out))) fputs(header, batch_file_stream(e.out));
        free(header);
    }
    batch_series *all = NULL; /* --global: every series, read before training */
    size_t nall = 0;
    if (!r && a->global) {
        if (rd) r = batch_long_all(rd, &all, &nall);
        else if (!(all = batch_wide_series(fr))) r = cli_usage("out of memory");
        else nall = fr->ncols;
        if (!r) r = eval_global_fit(&e.cfg, all, nall, e.threads, a->quiet);
        if (!r) r = run_chunk(&e, all, nall);
    } else if (!r) {
        r = fr ? run_wide(&e, fr) : run_long(&e, rd);
    }
    for (size_t i = 0; rd && all && i < nall; i++) batch_series_free(&all[i]);
    free(all);
    eval_global_free(&e.cfg);
    if (!r && e.series == 0) r = cli_usage("%s: no series to evaluate", a->file);
    if (!r && e.too_short == e.series) r = all_too_short(&e);
    if (!r && e.out) {
        r = batch_file_commit(e.out);
        e.out = NULL;
    }
    if (!r) r = a->json ? print_json(&e) : (print_table(&e, a->file), 0);
    size_t failed = 0, rows = 0;
    for (size_t m = 0; m < e.cfg.nspecs; m++) {
        failed += e.total[m].failed;
        rows += e.total[m].rows;
    }
    if (!r && failed) {
        fprintf(stderr, "tsf: evaluate: %zu of %zu fits failed (see the failed column%s)\n",
                failed, rows, a->out ? " and the error column of the -o file" : "");
        r = EXIT_PARTIAL;
    }
    batch_file_discard(e.out);
    tsf_frame_free(fr);
    batch_long_close(rd);
    free(xcols);
    return r;
}

int cmd_evaluate(int argc, char **argv)
{
    cli_args a;
    int r = cli_parse("evaluate", argc, argv,
                      OPT_MODEL | OPT_MANYSPEC | OPT_HORIZON | OPT_OUTPUT | OPT_BATCH | OPT_EVAL,
                      &a);
    if (r) return r;
    return evaluate_main(&a);
}
