/* A minimal program embedding tsf: create a model from a spec, fit it to a
 * small array, forecast with intervals, print.
 *
 * Build against the installed library:
 *   cc embed.c $(pkg-config --cflags --libs tsf) -lgsl -o embed
 * (-lgsl for gsl_set_error_handler_off; docs/embedding.md explains why). */
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include <tsf/tsf.h>

int main(void)
{
    /* GSL's default error handler aborts the process; tsf validates its
     * inputs and reports errors as statuses, and never changes the handler
     * itself, so the embedding program switches it off. */
    gsl_set_error_handler_off();

    /* Lake Huron levels 1875-1922 (feet, minus 570), the start of R's LakeHuron. */
    static const double y[] = {
        10.38, 11.86, 10.97, 10.80, 9.79, 10.39, 10.42, 10.82, 11.40, 11.32, 11.44, 11.68,
        11.17, 10.53, 10.01, 9.91, 9.14, 9.16, 9.55, 9.67, 8.44, 8.24, 9.10, 9.09,
        9.35, 8.82, 9.32, 9.01, 9.00, 9.80, 9.83, 9.72, 9.89, 10.01, 9.37, 8.69,
        8.19, 8.67, 9.55, 8.92, 8.09, 9.37, 10.13, 10.14, 9.51, 9.24, 8.66, 8.86};
    const size_t n = sizeof y / sizeof y[0];
    const double levels[] = {80, 95};

    tsf_model *m = NULL;
    tsf_forecast_result *fc = NULL;
    tsf_fit_info info;
    tsf_status st;
    if ((st = tsf_model_new("ar(2)", &m)) ||
        (st = tsf_fit(m, y, n, NULL, 0, NULL)) ||
        (st = tsf_model_info(m, &info)) ||
        (st = tsf_forecast(m, y, n, NULL, 5, levels, 2, NULL, &fc))) {
        fprintf(stderr, "embed: %s: %s\n", tsf_strerror(st), tsf_errmsg());
        tsf_model_free(m);
        return 1;
    }
    printf("%s  sigma^2 = %.4f  loglik = %.3f  AICc = %.3f\n", info.model, info.sigma2,
           info.loglik, info.aicc);
    printf("step       mean      lo95      hi95\n");
    for (size_t i = 0; i < fc->h; i++)
        printf("%4zu %10.4f %9.4f %9.4f\n", i + 1, fc->mean[i], fc->lower[fc->h + i],
               fc->upper[fc->h + i]);
    tsf_forecast_free(fc);
    tsf_model_free(m);
    return 0;
}
