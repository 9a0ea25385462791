/* Particle hooks of the neural families (src/core/smc.c uses them for
 * --given and impute by sequential Monte Carlo): copying a streaming state
 * and drawing its next value by the inverse CDF of the head. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "neural.h"
#include "prune.h"

static void clone_free(tsf_neural_state *c)
{
    tsf_nn_stream_free(c->s);
    tsf_nn_free(c->nn);
    free(c);
}

tsf_status tsf_neural_state_clone(const void *st, void **out)
{
    const tsf_neural_state *src = st;
    *out = NULL;
    tsf_neural_state *c = calloc(1, sizeof *c);
    if (!c) return tsf_set_error(TSF_ENOMEM, "out of memory copying a state");
    /* its own weights, so that the copy outlives the original */
    tsf_status r = tsf_nn_new(&src->nn->cfg, &c->nn);
    if (!r) {
        memcpy(c->nn->params, src->nn->params, src->nn->nparams * sizeof(float));
        if (!(r = tsf_nn_sparsify(c->nn))) r = tsf_nn_stream_fork_on(src->s, c->nn, 1, &c->s);
    }
    if (r) {
        clone_free(c);
        return r;
    }
    *out = c;
    return TSF_OK;
}

tsf_status tsf_neural_state_sample(void *st, const double *x, size_t k, double u, double *y)
{
    tsf_neural_state *ns = st;
    tsf_nn_stream *s = ns->s;
    if (k != (size_t)s->nn->cfg.nextra || (k && !x))
        return tsf_set_error(TSF_EINVAL, "the model has %d regressors; %zu values given",
                             s->nn->cfg.nextra, k);
    if (k) tsf_nn_stream_set_x(s, x, 1);
    const tsf_nn_head_ops *hd = tsf_nn_head_get(s->nn->cfg.head);
    tsf_nn_stream_predict(s);
    double v = hd->quantile(&s->nn->cfg, s->o, u) * s->scale * s->nu[0];
    tsf_nn_stream_push(s, &v);
    *y = v;
    return TSF_OK;
}
