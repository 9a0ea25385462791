/* tsf simulate: sample paths from a saved model. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* The regressor paths of a regression with ARIMA errors from
 * --xreg-future FILE.csv: every numeric column must be one of the model's
 * regressors (by the name it was fitted with), taken in the model's order;
 * at least n rows.  0 on success (xf->k = 0 without the option). */
static int load_paths(const cli_args *a, const tsf_model *m, size_t n, double **buf,
                      tsf_xreg *xf)
{
    *buf = NULL;
    *xf = (tsf_xreg){0, NULL, 0, NULL};
    if (!a->xreg_future) return 0;
    tsf_frame *f;
    tsf_status st = tsf_csv_read(a->xreg_future, &f);
    if (st) return cli_fail(st);
    tsf_fit_info info;
    int r = 0;
    if ((st = tsf_model_info(m, &info))) {
        tsf_frame_free(f);
        return cli_fail(st);
    }
    /* a neural model's regressors are not coefficients: its own list */
    const char *const *rn;
    size_t nr;
    if (tsf_model_is_neural(m) && !tsf_model_regressors(m, &nr, &rn)) {
        info.ncoef = nr;
        info.coef_names = rn;
    }
    if (f->nrows < n) {
        r = cli_usage("%s: %zu rows of regressors, but -n is %zu", a->xreg_future, f->nrows, n);
    } else if (!(*buf = malloc((f->ncols ? f->ncols : 1) * n * sizeof **buf))) {
        r = cli_usage("simulate: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; !r && i < info.ncoef; i++)
        for (size_t j = 0; j < f->ncols; j++)
            if (info.coef_names && !strcmp(info.coef_names[i], f->names[j])) {
                memcpy(*buf + k * n, f->cols[j], n * sizeof **buf);
                k++;
            }
    for (size_t j = 0; !r && j < f->ncols; j++) {
        int known = 0;
        for (size_t i = 0; i < info.ncoef && !known; i++)
            known = info.coef_names && !strcmp(info.coef_names[i], f->names[j]);
        if (!known)
            r = cli_usage("%s: column '%s' is not a regressor of the model (it has: %s)",
                          a->xreg_future, f->names[j], info.model ? info.model : "?");
    }
    tsf_frame_free(f);
    if (r) {
        free(*buf);
        *buf = NULL;
        return r;
    }
    *xf = (tsf_xreg){k, *buf, n, NULL};
    return 0;
}

int cmd_simulate(int argc, char **argv)
{
    cli_args a;
    int r;
    if ((r = cli_parse("simulate", argc, argv, OPT_LOADMODEL | OPT_SIM, &a))) return r;
    if (!a.model_path) return cli_usage("simulate: give the model with --model FILE.safetensors");
    if (a.nsim <= 0) return cli_usage("simulate: give the length with -n N");
    if (a.file) return cli_usage("simulate: takes no input file (got '%s')", a.file);
    size_t n = (size_t)a.nsim, k = (size_t)a.paths;
    if (n * k > 100000000) return cli_usage("simulate: -n times --paths is limited to 1e8 values");
    tsf_model *m;
    tsf_status st = tsf_load(a.model_path, &m);
    if (st) return cli_fail(st);
    if ((r = cli_check_reads(&a, tsf_model_reads(m), 1))) {
        tsf_model_free(m);
        return r;
    }
    double *xb = NULL;
    tsf_xreg xf;
    if ((r = load_paths(&a, m, n, &xb, &xf))) {
        tsf_model_free(m);
        return r;
    }
    double *out = malloc(n * k * sizeof *out);
    if (!out) {
        free(xb);
        tsf_model_free(m);
        return cli_usage("simulate: out of memory for %zu values", n * k);
    }
    tsf_forecast_opts so;
    tsf_forecast_opts_init(&so);
    so.seed = a.fit.seed;
    so.sampler = a.fc.sampler;
    if ((st = tsf_simulate_opts(m, n, k, xf.k ? &xf : NULL, &so, out))) r = cli_fail(st);
    else {
        printf("step");
        for (size_t j = 0; j < k; j++) printf(",path%zu", j + 1);
        printf("\n");
        for (size_t i = 0; i < n; i++) {
            printf("%zu", i + 1);
            for (size_t j = 0; j < k; j++) printf(",%.10g", out[j * n + i]);
            printf("\n");
        }
    }
    free(out);
    free(xb);
    tsf_model_free(m);
    return r;
}
