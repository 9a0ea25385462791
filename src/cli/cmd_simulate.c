/* tsf simulate: sample paths from a saved model. */
#include <stdlib.h>
#include "cli.h"

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
    double *out = malloc(n * k * sizeof *out);
    if (!out) {
        tsf_model_free(m);
        return cli_usage("simulate: out of memory for %zu values", n * k);
    }
    if ((st = tsf_simulate(m, n, k, a.fit.seed, out))) r = cli_fail(st);
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
    tsf_model_free(m);
    return r;
}
