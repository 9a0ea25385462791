/* Seed ensembles of neural specs (docs/neural.md, "Global models";
 * docs/models.md, "combo"): gru(ensemble=K) is the combination of K
 * members gru(ensemble=1), which train from the seeds seed, seed+1, ...
 * (combo.c's rule for repeated members) and are combined exactly as
 * combo(gru(), ..., gru()): the equal-weight mixture of their predictive
 * distributions, the likelihood log mean_k p_k, Bayes-weighted streaming,
 * whole paths from a member drawn at random, a model file with the
 * members under m0., m1., ...  (Lakshminarayanan et al. 2017, deep
 * ensembles).  There is no second mixture: this file only turns the
 * spec into that combination. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "combo.h"
#include "model_impl.h"

tsf_status tsf_ensemble_key(const tsf_spec *s, long *k)
{
    *k = 0;
    return tsf_spec_get_int(s, 0, "ensemble", 1, TSF_COMBO_MAX, k);
}

tsf_status tsf_ensemble_make(tsf_model *m, const tsf_spec *spec, long k)
{
    char *member;
    tsf_status st = tsf_spec_text_with(spec, "ensemble", "1", &member);
    if (st) return st;
    void *impl = NULL;
    st = tsf_combo_repeat(member, (size_t)k, &impl);
    free(member);
    if (st) return st;
    m->type->free(m->impl);
    m->type = &tsf_combo_type;
    m->impl = impl;
    m->ensemble = (int)k;
    return TSF_OK;
}

tsf_status tsf_ensemble_global_default(tsf_model *m)
{
    if (!m->type->neural || m->ensemble) return TSF_OK;
    tsf_spec *spec = NULL;
    char *text = NULL, kv[16];
    tsf_model *e = NULL;
    snprintf(kv, sizeof kv, "%d", TSF_ENSEMBLE_GLOBAL);
    tsf_status st = tsf_spec_parse(m->spec, &spec);
    if (!st) st = tsf_spec_text_with(spec, "ensemble", kv, &text);
    if (!st) st = tsf_model_new(text, &e);
    tsf_spec_free(spec);
    free(text);
    if (st) return st;
    /* m takes e's family data and spec */
    m->type->free(m->impl);
    free(m->spec);
    m->type = e->type;
    m->impl = e->impl;
    m->spec = e->spec;
    m->ensemble = e->ensemble;
    e->impl = NULL;
    e->spec = NULL;
    tsf_model_free(e);
    return TSF_OK;
}
