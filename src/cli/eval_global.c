/* tsf evaluate --global: each neural spec is trained once per origin on
 * every series cut at that origin (batch_global_fit), then each series'
 * forecasts at that origin come from that network (eval_series.c). */
#include <stdlib.h>
#include <string.h>
#include "eval.h"

void eval_global_free(eval_cfg *cfg)
{
    if (!cfg->global) return;
    for (size_t i = 0; i < cfg->nspecs * cfg->origins; i++) tsf_model_free(cfg->global[i]);
    free(cfg->global);
    cfg->global = NULL;
}

int eval_global_fit(eval_cfg *cfg, const batch_series *s, size_t n, int threads, int quiet)
{
    cfg->global = calloc(cfg->nspecs * cfg->origins, sizeof *cfg->global);
    batch_series *cut = calloc(n ? n : 1, sizeof *cut);
    int r = 0, any = 0;
    if (!cfg->global || !cut) r = cli_usage("out of memory");
    size_t need = eval_min_length(cfg);
    for (size_t j = 0; !r && j < cfg->nspecs; j++) {
        tsf_model *m = NULL;
        tsf_status st = tsf_model_new(cfg->specs[j], &m);
        int neural = !st && tsf_model_can_fit_global(m);
        tsf_model_free(m);
        if (!neural) continue; /* fitted to each series as without --global */
        any = 1;
        for (size_t o = 0; !r && o < cfg->origins; o++) {
            /* the series up to origin o, as eval_run_series cuts them */
            for (size_t i = 0; i < n; i++) {
                cut[i] = s[i];
                cut[i].owned = 0;
                if (s[i].n < need) cut[i].error = (char *)"too short";
                else cut[i].n = s[i].n - cfg->h - (cfg->origins - 1 - o) * cfg->step;
            }
            batch_cfg bc;
            memset(&bc, 0, sizeof bc);
            bc.spec = cfg->specs[j];
            bc.fit = cfg->fit;
            bc.xreg = cfg->xreg; /* each cut series' regressor rows */
            bc.file = cfg->file;
            r = batch_global_fit(&bc, cut, n, threads, quiet, &cfg->global[j * cfg->origins + o]);
        }
    }
    if (!r && !any)
        r = cli_usage("evaluate --global: no -m spec is a neural network or a combo with "
                      "one; --global trains one network on every series (gru(), lstm(), transformer(), wavenet())");
    free(cut);
    return r;
}
