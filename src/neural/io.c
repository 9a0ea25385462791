/* Neural models as safetensors (src/core/safetensors.h): one F32 tensor
 * per parameter under its PyTorch-style name (h0.weight_ih, ...), and the
 * architecture, scale and training record in __metadata__ under
 * "neural.*".  The file is untrusted: every value is range-checked and
 * every tensor's shape must match the architecture it claims. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neural.h"
#include "prune.h"


static tsf_status put(tsf_st *doc, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static tsf_status put(tsf_st *doc, const char *key, const char *fmt, ...)
{
    char k[64], v[64];
    snprintf(k, sizeof k, "neural.%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    return tsf_st_set_meta(doc, k, v);
}

tsf_status tsf_neural_save(const void *impl, tsf_st *doc)
{
    const tsf_neural *m = impl;
    if (!m->nn) return tsf_set_error(TSF_EINVAL, "the %s model has not been fitted", m->name);
    const tsf_nn_config *c = &m->cfg;
    const tsf_nn_head_ops *hd = tsf_nn_head_get(c->head);
    tsf_status st;
    if ((st = put(doc, "arch", "%s", c->arch->name)) ||
        (st = put(doc, "head", "%s", hd->name)))
        return st;
    for (const tsf_nn_hparam *h = c->arch->hp; h->key; h++)
        if ((st = put(doc, h->meta, "%d", *tsf_nn_hp((tsf_nn_config *)c, h)))) return st;
    for (const tsf_nn_opt *o = c->arch->opts; o && o->key; o++) {
        int v = *tsf_nn_opt_val((tsf_nn_config *)c, o);
        if (v != o->def && (st = o->names ? put(doc, o->key, "%s", o->names[v])
                                          : put(doc, o->key, "%d", v)))
            return st;
    }
    if (hd->nkey && (st = put(doc, hd->nkey, "%d", c->head_n))) return st;
    if (hd->ranged && ((st = put(doc, "head_lo", "%.17g", c->head_lo)) ||
                       (st = put(doc, "head_hi", "%.17g", c->head_hi))))
        return st;
    if (c->sparsity > 0.0 && (st = put(doc, "sparsity", "%.17g", c->sparsity))) return st;
    if ((st = put(doc, "period", "%d", c->period)) ||
        (st = put(doc, "scale", "%.17g", m->scale)) ||
        (st = put(doc, "epochs", "%d", m->epochs)) || (st = put(doc, "batch", "%d", m->batch)) ||
        (st = put(doc, "lr", "%.17g", m->lr)) ||
        (st = put(doc, "seed", "%llu", (unsigned long long)m->seed)) ||
        (st = put(doc, "threads", "%d", m->threads)) ||
        (st = put(doc, "precision", "%s", tsf_precision_name(m->precision))) ||
        (st = put(doc, "epochs_run", "%d", m->epochs_run)) ||
        (st = put(doc, "best_epoch", "%d", m->best_epoch)) ||
        (st = put(doc, "valid_nll", "%.17g", m->valid_nll)) ||
        (st = put(doc, "train_nll", "%.17g", m->train_nll)) ||
        (st = put(doc, "loglik", "%.17g", m->loglik)) ||
        (st = put(doc, "nobs", "%zu", m->nobs)) || (st = tsf_neural_global_save(m, doc)))
        return st;
    if (c->nextra) {
        size_t nx[1] = {(size_t)c->nextra};
        if ((st = put(doc, "nxreg", "%d", c->nextra)) ||
            (st = tsf_st_add(doc, "xreg.center", TSF_ST_F64, 1, nx, m->xcenter)) ||
            (st = tsf_st_add(doc, "xreg.scale", TSF_ST_F64, 1, nx, m->xscale)))
            return st;
        for (int j = 0; j < c->nextra; j++) {
            char k[64];
            snprintf(k, sizeof k, "neural.xreg_name.%d", j + 1);
            if ((st = tsf_st_set_meta(doc, k, m->xnames[j]))) return st;
        }
    }
    const tsf_nn *nn = m->nn;
    for (size_t k = 0; k < nn->ntens; k++) {
        const tsf_nn_tensor *t = &nn->tens[k];
        if ((st = tsf_st_add(doc, t->name, TSF_ST_F32, t->ndim, t->shape, nn->params + t->off)))
            return st;
    }
    return TSF_OK;
}

static const char *meta(const tsf_st *doc, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "neural.%s", key);
    return tsf_st_meta(doc, k);
}

static tsf_status get_long(const tsf_st *doc, const char *key, long lo, long hi, long *out)
{
    const char *v = meta(doc, key);
    if (!v) return tsf_set_error(TSF_EPARSE, "model file lacks metadata neural.%s", key);
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return tsf_set_error(TSF_EPARSE, "model file: neural.%s = '%s' is not a whole number "
                             "in [%ld, %ld]", key, v, lo, hi);
    *out = x;
    return TSF_OK;
}

/* Real-valued metadata; NaN allowed only where nan_ok (records, not the scale). */
static double get_real(const tsf_st *doc, const char *key, int nan_ok, tsf_status *st)
{
    const char *v = meta(doc, key);
    if (!v) return NAN; /* training records are optional */
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || (!nan_ok && !isfinite(x))) {
        *st = tsf_set_error(TSF_EPARSE, "model file: neural.%s = '%s' is not a number", key, v);
        return NAN;
    }
    return x;
}

static int choice(const char *v, const char *const *names)
{
    for (int i = 0; v && names[i]; i++)
        if (!strcmp(v, names[i])) return i;
    return -1;
}

/* The regressors' scaling and names (neural.nxreg absent: none). */
static tsf_status load_x(const tsf_st *doc, tsf_neural *m)
{
    long k = 0;
    tsf_status st;
    if (meta(doc, "nxreg") && (st = get_long(doc, "nxreg", 0, 10000, &k))) return st;
    if (!k) return TSF_OK;
    tsf_neural_set_x(m, (size_t)k);
    if (!m->xcenter) return tsf_set_error(TSF_ENOMEM, "out of memory loading a model");
    const double *c, *s;
    if ((st = tsf_st_get_vec(doc, m->cfg.arch->name, "xreg.center", (size_t)k, &c)) ||
        (st = tsf_st_get_vec(doc, m->cfg.arch->name, "xreg.scale", (size_t)k, &s)))
        return st;
    for (long j = 0; j < k; j++) {
        if (!isfinite(c[j]) || !(s[j] > 0.0) || !isfinite(s[j]))
            return tsf_set_error(TSF_EPARSE, "model file: regressor %ld has a bad centre or "
                                 "scale", j + 1);
        m->xcenter[j] = c[j];
        m->xscale[j] = s[j];
        char key[64];
        snprintf(key, sizeof key, "neural.xreg_name.%ld", j + 1);
        const char *nm = tsf_st_meta(doc, key);
        if (!(m->xnames[j] = strdup(nm ? nm : key + 7)))
            return tsf_set_error(TSF_ENOMEM, "out of memory loading a model");
    }
    return TSF_OK;
}

tsf_status tsf_neural_load(const tsf_st *doc, void **impl)
{
    /* The load contract (internal.h): *impl holds what parse() made of the
     * stored spec, which names the architecture; the file's own
     * configuration replaces it. */
    tsf_status st;
    const char *an = meta(doc, "arch");
    if (!*impl) { /* no stored spec: the registered family of that name */
        const tsf_model_type *t = an ? tsf_registry_find(an) : NULL;
        tsf_spec *sp = NULL;
        if (!t || !t->neural || tsf_spec_parse(an, &sp) || t->parse(sp, impl)) {
            tsf_spec_free(sp);
            return tsf_set_error(TSF_EPARSE, "model file: unknown neural.arch '%s'",
                                 an ? an : "(missing)");
        }
        tsf_spec_free(sp);
    }
    tsf_nn_config c;
    memset(&c, 0, sizeof c);
    c.arch = ((tsf_neural *)*impl)->cfg.arch;
    tsf_neural_free(*impl);
    *impl = NULL;
    if (!an || strcmp(an, c.arch->name))
        return tsf_set_error(TSF_EPARSE, "model file: neural.arch is '%s', the spec says %s",
                             an ? an : "(missing)", c.arch->name);
    int head = choice(meta(doc, "head"), tsf_nn_head_names);
    if (head < 0) return tsf_set_error(TSF_EPARSE, "model file: unknown neural.head");
    c.head = (tsf_nn_head)head;
    const tsf_nn_head_ops *hd = tsf_nn_head_get(c.head);
    long v, period;
    for (const tsf_nn_hparam *h = c.arch->hp; h->key; h++) {
        if ((st = get_long(doc, h->meta, h->lo, h->hi, &v))) return st;
        *tsf_nn_hp(&c, h) = (int)v;
    }
    for (const tsf_nn_opt *o = c.arch->opts; o && o->key; o++) {
        const char *ov = meta(doc, o->key);
        v = o->def;
        if (ov && o->names && (v = choice(ov, o->names)) < 0)
            return tsf_set_error(TSF_EPARSE, "model file: neural.%s = '%s' is not a known "
                                 "value", o->key, ov);
        if (ov && !o->names && (st = get_long(doc, o->key, o->lo, o->hi, &v))) return st;
        *tsf_nn_opt_val(&c, o) = (int)v;
    }
    if (hd->nkey) {
        if ((st = get_long(doc, hd->nkey, hd->nlo, hd->nhi, &v))) return st;
        c.head_n = (int)v;
    }
    if (hd->ranged) {
        c.head_lo = get_real(doc, "head_lo", 0, &st);
        c.head_hi = get_real(doc, "head_hi", 0, &st);
        if (st) return st;
        if (!(c.head_lo < c.head_hi))
            return tsf_set_error(TSF_EPARSE, "model file: neural.head_lo must be below "
                                 "neural.head_hi");
    }
    /* absent in files of dense models (and in files before pruning) */
    c.sparsity = meta(doc, "sparsity") ? get_real(doc, "sparsity", 0, &st) : 0.0;
    if (st) return st;
    if (!(c.sparsity >= 0.0 && c.sparsity < 1.0))
        return tsf_set_error(TSF_EPARSE, "model file: neural.sparsity = '%s' is not in [0, 1)",
                             meta(doc, "sparsity"));
    if ((st = get_long(doc, "period", 1, 100000, &period))) return st;
    c.period = (int)period;
    char why[160] = "";
    const char *key = NULL;
    if (c.arch->check && c.arch->check(&c, why, sizeof why, &key))
        return tsf_set_error(TSF_EPARSE, "model file: %s", why);
    if (meta(doc, "embed")) { /* files before global models have none: 0 */
        if ((st = get_long(doc, "embed", 0, 256, &v))) return st;
        c.embed = (int)v;
    }
    double scale = get_real(doc, "scale", 0, &st);
    if (st) return st;
    if (!(scale > 0.0))
        return tsf_set_error(TSF_EPARSE, "model file: neural.scale must be a positive number");
    tsf_neural *m = tsf_neural_alloc(&c);
    if (!m) return tsf_set_error(TSF_ENOMEM, "out of memory loading a model");
    m->scale = scale;
    m->lr = get_real(doc, "lr", 1, &st);
    m->valid_nll = get_real(doc, "valid_nll", 1, &st);
    m->train_nll = get_real(doc, "train_nll", 1, &st);
    m->loglik = get_real(doc, "loglik", 1, &st);
    double nobs = get_real(doc, "nobs", 1, &st), seed = get_real(doc, "seed", 1, &st);
    m->nobs = nobs >= 0.0 && nobs < 1e15 ? (size_t)nobs : 0;
    m->seed = seed >= 0.0 && seed < 1.8e19 ? (uint64_t)seed : 0;
    double ep = get_real(doc, "epochs", 1, &st), ba = get_real(doc, "batch", 1, &st);
    m->epochs = ep >= 0.0 && ep < 1e9 ? (int)ep : 0;
    m->batch = ba >= 0.0 && ba < 1e9 ? (int)ba : 0;
    /* training precision: a record (absent in files before it: fp32) */
    static const char *const precisions[] = {"fp32", "tf32", "bf16", NULL};
    const char *pv = meta(doc, "precision");
    int pi = pv ? choice(pv, precisions) : 0;
    if (pi < 0 && !st)
        st = tsf_set_error(TSF_EPARSE, "model file: neural.precision = '%s' is not fp32, tf32 "
                           "or bf16", pv);
    m->precision = pi > 0 ? (tsf_precision)pi : TSF_PRECISION_FP32;
    if (!st) st = tsf_neural_global_load(m, doc);
    if (!st) st = load_x(doc, m);
    if (!st) st = tsf_nn_new(&m->cfg, &m->nn);
    for (size_t k = 0; !st && k < m->nn->ntens; k++) {
        const tsf_nn_tensor *t = &m->nn->tens[k];
        size_t ndim, count;
        const size_t *shape;
        const void *data;
        if ((st = tsf_st_get(doc, t->name, TSF_ST_F32, &ndim, &shape, &data, &count))) break;
        if (ndim != t->ndim || shape[0] != t->shape[0] || (ndim == 2 && shape[1] != t->shape[1]))
            st = tsf_set_error(TSF_EPARSE, "model file: tensor %s has the wrong shape for a "
                               "%s", t->name, m->name);
        size_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
        if (!st && count != n)
            st = tsf_set_error(TSF_EPARSE, "model file: tensor %s has %zu values, expected %zu",
                               t->name, count, n);
        if (!st) memcpy(m->nn->params + t->off, data, n * sizeof(float));
        for (size_t i = 0; !st && i < n; i++)
            if (!isfinite(m->nn->params[t->off + i]))
                st = tsf_set_error(TSF_EPARSE, "model file: tensor %s holds a non-finite value",
                                   t->name);
    }
    /* the sparse copies come from the weights' exact zeros, whatever the
     * metadata claims */
    if (!st) st = tsf_nn_sparsify(m->nn);
    if (st) {
        tsf_neural_free(m);
        return st;
    }
    *impl = m;
    return TSF_OK;
}
