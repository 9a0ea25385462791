/* tsf fit: fit a model and report it (R-style table or JSON). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "core/atomic.h"

/* Ljung-Box lag as forecast::checkresiduals: min(10, n/5), or min(2m, n/5)
 * for seasonal data. */
static void print_ljung_box(const tsf_model *m, const cli_data *d, const tsf_fit_info *info)
{
    double *res = malloc(d->n * sizeof *res);
    if (!res) return;
    if (tsf_residuals(m, d->y, d->n, d->xp, NULL, res) == TSF_OK) {
        size_t lag = info->period > 1 ? 2 * (size_t)info->period : 10;
        if (lag > d->n / 5) lag = d->n / 5;
        size_t fitdf = (size_t)(info->order[0] + info->order[2] + info->seasonal[0] +
                                info->seasonal[2]);
        double q, p;
        if (tsf_ljung_box(res, d->n, lag, fitdf, &q, &p) == TSF_OK)
            printf("\nLjung-Box test of the residuals: Q* = %.4g, df = %zu, p-value = %.4g\n", q,
                   lag - fitdf, p);
    }
    free(res);
}

/* The sampling interval of the time column in words ("1 hour"), or NULL. */
static const char *interval_words(const cli_data *d, char *buf, size_t n)
{
    return tsf_interval_format(&d->frame->axis.interval, buf, n) ? buf : NULL;
}

/* Volatility models: one row per coefficient as fGarch's summary, with
 * Hessian and robust (sandwich) standard errors, then the persistence and
 * the half-life of a variance shock, log(1/2) / log(persistence). */
static void print_volatility(const cli_data *d, const tsf_fit_info *info, int returns)
{
    static const char *const what[] = {"", ", percent log returns", ", percent simple returns"};
    printf("Series: %s (%s)%s\n%s\n\nCoefficients:\n", d->frame->names[d->col], d->frame->path,
           what[returns], info->model);
    printf("%-8s %12s %12s %9s %10s %12s\n", "", "Estimate", "Std. Error", "t value", "Pr(>|t|)",
           "Robust s.e.");
    for (size_t i = 0; i < info->ncoef; i++) {
        double c = info->coef[i], se = info->se[i], t = c / se;
        printf("%-8s %12.6g", info->coef_names[i], c);
        if (isnan(se)) printf(" %12s %9s %10s", "NA", "NA", "NA");
        else if (erfc(fabs(t) / sqrt(2.0)) < 2e-16) printf(" %12.6g %9.3f %10s", se, t, "<2e-16");
        else printf(" %12.6g %9.3f %10.3g", se, t, erfc(fabs(t) / sqrt(2.0)));
        if (isnan(info->se_robust[i])) printf(" %12s\n", "NA");
        else printf(" %12.6g\n", info->se_robust[i]);
    }
    printf("\nLog likelihood: %.6f   (%zu observations, normalized %.6f)\n", info->loglik,
           info->nobs, info->loglik / (double)info->nobs);
    printf("AIC=%.2f   AICc=%.2f   BIC=%.2f\n", info->aic, info->aicc, info->bic);
    printf("Persistence: %.6f   half-life of a variance shock: %.1f steps\n", info->persistence,
           log(0.5) / log(info->persistence));
    printf("Unconditional variance: %.6g (sd %.6g)\n", info->sigma2, sqrt(info->sigma2));
    if (!info->converged) printf("warning: the optimiser did not report convergence\n");
}

static void print_human(const tsf_model *m, const cli_data *d, const tsf_fit_info *info)
{
    char iv[64];
    printf("Series: %s (%s)\n", d->frame->names[d->col], d->frame->path);
    if (interval_words(d, iv, sizeof iv))
        printf("Interval: %s (%zu steps), period %d\n", iv, d->n, info->period);
    printf("%s\n", info->model);
    if (!isnan(info->lambda)) printf("Box-Cox transformation: lambda = %.6g\n", info->lambda);
    if (info->ncoef) {
        printf("\nCoefficients:\n      ");
        for (size_t i = 0; i < info->ncoef; i++) printf(" %10s", info->coef_names[i]);
        printf("\n      ");
        for (size_t i = 0; i < info->ncoef; i++) printf(" %10.4f", info->coef[i]);
        int any_se = 0;
        for (size_t i = 0; i < info->ncoef; i++) any_se |= !isnan(info->se[i]);
        if (any_se) {
            printf("\ns.e.  ");
            for (size_t i = 0; i < info->ncoef; i++) {
                if (isnan(info->se[i])) printf(" %10s", "-");
                else printf(" %10.4f", info->se[i]);
            }
        }
        printf("\n");
    }
    if (!isnan(info->mean)) printf("\nMean: %.6g\n", info->mean);
    if (isfinite(info->sigma2)) /* a combination has no single innovation variance */
        printf("\nsigma^2 = %.6g:  log likelihood = %.2f\n", info->sigma2, info->loglik);
    else
        printf("\nlog likelihood = %.2f\n", info->loglik);
    printf("AIC=%.2f   AICc=%.2f   BIC=%.2f\n", info->aic, info->aicc, info->bic);
    if (!info->converged) printf("warning: the optimiser did not report convergence\n");
    if (info->ntrace) {
        int is_ar = !strcmp(tsf_model_family(m), "ar");
        printf("\n%s\n", is_ar ? "AIC by order (difference from the minimum):"
                                : "Models tried (AICc):");
        for (size_t i = 0; i < info->ntrace; i++) {
            if (is_ar) printf("  %4s %10.3f\n", info->trace_labels[i], info->trace_values[i]);
            else if (info->trace_values[i] >= 1e299) /* the fit failed */
                printf("  %-44s %12s\n", info->trace_labels[i], "failed");
            else printf("  %-44s %12.3f\n", info->trace_labels[i], info->trace_values[i]);
        }
    }
    if (!tsf_model_is_neural(m)) print_ljung_box(m, d, info);
}

static json_t *info_json(const char *spec, const tsf_model *m, const tsf_fit_info *info,
                         const char *interval)
{
    json_t *j = json_object(), *coef = json_object(), *se = json_object();
    json_object_set_new(j, "spec", json_string(spec));
    json_object_set_new(j, "model", json_string(info->model));
    tsf_precision prec;
    if (tsf_model_is_neural(m) && tsf_model_precision(m, &prec) == TSF_OK)
        json_object_set_new(j, "precision", json_string(tsf_precision_name(prec)));
    json_object_set_new(j, "order", json_pack("[iii]", info->order[0], info->order[1], info->order[2]));
    json_object_set_new(j, "seasonal",
                        json_pack("[iii]", info->seasonal[0], info->seasonal[1], info->seasonal[2]));
    json_object_set_new(j, "period", json_integer(info->period));
    if (interval) json_object_set_new(j, "interval", json_string(interval));
    for (size_t i = 0; i < info->ncoef; i++) {
        json_object_set_new(coef, info->coef_names[i], jnum(info->coef[i]));
        json_object_set_new(se, info->coef_names[i], jnum(info->se[i]));
    }
    json_object_set_new(j, "coef", coef);
    json_object_set_new(j, "se", se);
    json_object_set_new(j, "sigma2", jnum(info->sigma2));
    if (!isnan(info->mean)) json_object_set_new(j, "mean", jnum(info->mean));
    json_object_set_new(j, "loglik", jnum(info->loglik));
    json_object_set_new(j, "aic", jnum(info->aic));
    json_object_set_new(j, "aicc", jnum(info->aicc));
    json_object_set_new(j, "bic", jnum(info->bic));
    json_object_set_new(j, "nobs", json_integer((json_int_t)info->nobs));
    json_object_set_new(j, "converged", json_boolean(info->converged));
    json_object_set_new(j, "fit_seconds", jnum(info->fit_seconds));
    if (info->se_robust) {
        json_t *rs = json_object();
        for (size_t i = 0; i < info->ncoef; i++)
            json_object_set_new(rs, info->coef_names[i], jnum(info->se_robust[i]));
        json_object_set_new(j, "se_robust", rs);
    }
    if (!isnan(info->persistence)) {
        json_object_set_new(j, "persistence", jnum(info->persistence));
        json_object_set_new(j, "half_life", jnum(log(0.5) / log(info->persistence)));
    }
    if (!isnan(info->lambda)) json_object_set_new(j, "lambda", jnum(info->lambda));
    if (info->ntrace) {
        json_t *t = json_array();
        for (size_t i = 0; i < info->ntrace; i++)
            json_array_append_new(t, json_pack("{s:s,s:o}", "model", info->trace_labels[i],
                                               "value", info->trace_values[i] >= 1e299
                                                            ? json_null()
                                                            : jnum(info->trace_values[i])));
        json_object_set_new(j, "trace", t);
    }
    return j;
}

/* Writes fitted values and residuals as CSV (atomically). */
static int write_residuals(const char *path, const tsf_model *m, const cli_data *d)
{
    double *fit = malloc(d->n * sizeof *fit), *res = malloc(d->n * sizeof *res);
    if (!fit || !res) {
        free(fit); free(res);
        return cli_usage("out of memory");
    }
    tsf_status st = tsf_residuals(m, d->y, d->n, d->xp, fit, res);
    if (st) {
        free(fit); free(res);
        return cli_fail(st);
    }
    tsf_atomic_file *af;
    if ((st = tsf_atomic_open(path, &af))) {
        free(fit); free(res);
        return cli_fail(st);
    }
    FILE *f = tsf_atomic_stream(af);
    fprintf(f, "%s,value,fitted,residual\n", d->frame->time ? "time" : "index");
    for (size_t i = 0; i < d->n; i++) {
        if (d->frame->time) fprintf(f, "%s,", d->frame->time[cli_row(d, i)]);
        else fprintf(f, "%zu,", cli_row(d, i) + 1);
        if (!isnan(d->y[i])) fprintf(f, "%.10g", d->y[i]);
        fputc(',', f);
        if (!isnan(fit[i])) fprintf(f, "%.10g", fit[i]);
        fputc(',', f);
        if (!isnan(res[i])) fprintf(f, "%.10g", res[i]);
        fputc('\n', f);
    }
    free(fit); free(res);
    return (st = tsf_atomic_commit(af)) ? cli_fail(st) : 0;
}

int cmd_fit(int argc, char **argv)
{
    cli_args a;
    int r;
    if ((r = cli_parse("fit", argc, argv, OPT_MODEL | OPT_OUTPUT | OPT_FITOUT, &a))) return r;
    if (!a.nspecs) return cli_usage("fit: give a model with -m SPEC, e.g. -m \"arima(1,1,1)\"");
    cli_data d;
    if ((r = cli_load(&a, &d)) == 0) {
        tsf_model *m = NULL;
        if ((r = cli_fit_model(&a, a.specs[0], &d, d.n, &m)) == 0) {
            tsf_fit_info info;
            tsf_status st = tsf_model_info(m, &info);
            char iv[64];
            if (st) r = cli_fail(st);
            else if (a.json)
                r = write_json(stdout, info_json(a.specs[0], m, &info, interval_words(&d, iv, sizeof iv)));
            else if (info.se_robust) print_volatility(&d, &info, a.returns);
            else print_human(m, &d, &info);
            if (!r && a.out && (st = tsf_save(m, a.out))) r = cli_fail(st);
            if (!r && a.residuals) r = write_residuals(a.residuals, m, &d);
        }
        tsf_model_free(m);
    }
    cli_data_free(&d);
    return r;
}
