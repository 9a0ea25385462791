/* tsf_save / tsf_load: a fitted model as a safetensors file.
 *
 * The core writes the metadata every model shares (format, tsf_version,
 * family, spec, lambda, fit_seconds, jacobian; see docs/model-files.md) and
 * the family's save() adds its own tensors and metadata.  Loading re-creates
 * the model from the stored spec (so the family's options are validated by
 * the same parser as on the command line) and hands the document to the
 * family's load().
 *
 * Contract of tsf_model_type.load(doc, &impl): on entry *impl holds what
 * parse() made of the stored spec; load restores the fitted parameters into
 * it, or replaces it (freeing the old one).  On failure *impl must be NULL
 * or a value that type->free accepts; the core frees it.  Model files are
 * untrusted: load must check every tensor's shape and every value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "model_impl.h"
#include "safetensors_impl.h"

/* detail and what may quote the file's text (cleaned: one line). */
static tsf_status bad(const char *file, const char *what, const char *detail)
{
    char a[200], b[600];
    return tsf_set_error(TSF_EPARSE, "%s: bad model file: %s%s; re-create it with tsf fit -o",
                         file, tsf_st_clean(what, a, sizeof a),
                         tsf_st_clean(detail, b, sizeof b));
}

/* The metadata tsf itself owns.  Set after the family's save() too, so a
 * family cannot shadow them. */
static tsf_status put_core_meta(const tsf_model *m, tsf_st *doc)
{
    tsf_status st;
    if ((st = tsf_st_set_meta(doc, "format", "tsf")) ||
        (st = tsf_st_set_meta(doc, "tsf_version", tsf_version())) ||
        (st = tsf_st_set_meta(doc, "family", m->type->name)) ||
        (st = tsf_st_set_meta(doc, "spec", m->spec)))
        return st;
    if (isnan(m->lambda)) st = tsf_st_set_meta(doc, "lambda", "none");
    else st = tsf_st_set_meta_num(doc, "lambda", m->lambda);
    if (st || (st = tsf_st_set_meta_num(doc, "fit_seconds", m->fit_seconds)) ||
        (st = tsf_st_set_meta_num(doc, "jacobian", m->jacobian)))
        return st;
    return TSF_OK;
}

tsf_status tsf_model_to_doc(const tsf_model *m, tsf_st *doc)
{
    if (!m->fitted)
        return tsf_set_error(TSF_EINVAL, "the model '%s' has not been fitted; fit it before "
                             "saving", m->spec);
    if (!m->type->save || !m->type->load)
        return tsf_set_error(TSF_EUNSUP, "model '%s' cannot be saved: the %s family has no "
                             "model files yet", m->spec, m->type->name);
    tsf_status st;
    if (!(st = put_core_meta(m, doc)) && !(st = m->type->save(m->impl, doc)))
        st = put_core_meta(m, doc);
    return st;
}

tsf_status tsf_save(const tsf_model *m, const char *path)
{
    if (!m || !path) return tsf_set_error(TSF_EINVAL, "tsf_save: no model or no path given");
    tsf_st *doc;
    tsf_status st = tsf_st_new(&doc);
    if (st) return st;
    if (!(st = tsf_model_to_doc(m, doc))) st = tsf_st_write(doc, path);
    tsf_st_free(doc);
    return st;
}

/* A finite number stored by tsf_st_set_meta_num; "none" gives NaN when allow_none. */
static tsf_status get_num(const tsf_st *doc, const char *file, const char *key, int allow_none,
                          double lo, double hi, double *out)
{
    const char *s = tsf_st_meta(doc, key);
    char what[96];
    if (!s) {
        snprintf(what, sizeof what, "metadata '%s' is missing", key);
        return bad(file, what, "");
    }
    if (allow_none && strcmp(s, "none") == 0) {
        *out = NAN;
        return TSF_OK;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        snprintf(what, sizeof what, "metadata '%s' is '%.32s', not a number in [%g, %g]", key,
                 s, lo, hi);
        return bad(file, what, "");
    }
    *out = v;
    return TSF_OK;
}

static tsf_status get_str(const tsf_st *doc, const char *file, const char *key, const char **out)
{
    *out = tsf_st_meta(doc, key);
    if (*out && **out) return TSF_OK;
    char what[96];
    snprintf(what, sizeof what, "metadata '%s' is missing", key);
    return bad(file, what, "");
}

/* Re-creates the unfitted model from the stored spec; errors name the file. */
static tsf_status model_from_spec(const char *file, const char *spec, const char *family,
                                  tsf_type_finder find, tsf_model **out)
{
    tsf_status st = tsf_model_new_find(spec, find, out);
    if (st == TSF_ENOMEM) return st;
    if (st) {
        char detail[600];
        snprintf(detail, sizeof detail, ": %s", tsf_errmsg());
        return bad(file, "metadata 'spec' is not a valid model spec", detail);
    }
    if (strcmp((*out)->type->name, family) != 0) {
        tsf_model_free(*out);
        *out = NULL;
        return bad(file, "metadata 'spec' names another model family than 'family'", "");
    }
    return TSF_OK;
}

tsf_status tsf_load_doc(const tsf_st *doc, const char *file, tsf_type_finder find,
                        tsf_model **out)
{
    *out = NULL;
    const char *format, *version, *family, *spec;
    double lambda, fit_seconds, jac;
    tsf_status st;
    format = tsf_st_meta(doc, "format");
    if (!format || strcmp(format, "tsf") != 0)
        return bad(file, "metadata 'format' is not \"tsf\" (not a tsf model file?)", "");
    /* Box-Cox lambdas are limited to [-5, 5] at fit time. */
    if ((st = get_str(doc, file, "tsf_version", &version)) ||
        (st = get_str(doc, file, "family", &family)) ||
        (st = get_str(doc, file, "spec", &spec)) ||
        (st = get_num(doc, file, "lambda", 1, -5.0, 5.0, &lambda)) ||
        (st = get_num(doc, file, "fit_seconds", 0, 0.0, 1e300, &fit_seconds)) ||
        (st = get_num(doc, file, "jacobian", 0, -1e300, 1e300, &jac)))
        return st;
    (void)version; /* any version: the family's load() checks its own layout */
    const tsf_model_type *type = find(family);
    if (!type) {
        char detail[300], names[200];
        tsf_registry_names(names, sizeof names);
        snprintf(detail, sizeof detail, " '%.64s'; this tsf knows: %s", family, names);
        return bad(file, "unknown model family", detail);
    }
    if (!type->load)
        return tsf_set_error(TSF_EUNSUP, "%s: the %s family cannot load model files", file,
                             type->name);
    tsf_model *m;
    if ((st = model_from_spec(file, spec, family, find, &m))) return st;
    if ((st = type->load(doc, &m->impl))) {
        tsf_model_free(m);
        return st;
    }
    if (!m->impl) {
        tsf_model_free(m);
        return tsf_set_error(TSF_EINVAL, "%s: the %s family loaded no model", file, type->name);
    }
    m->lambda = lambda;
    m->fit_seconds = fit_seconds;
    m->jacobian = jac;
    m->fitted = 1;
    *out = m;
    return TSF_OK;
}

tsf_status tsf_load_find(const char *path, tsf_type_finder find, tsf_model **out)
{
    if (!out) return tsf_set_error(TSF_EINVAL, "tsf_load: no output pointer");
    *out = NULL;
    if (!path) return tsf_set_error(TSF_EINVAL, "tsf_load: no path given");
    tsf_st *doc;
    tsf_status st = tsf_st_read(path, &doc);
    if (st) return st;
    st = tsf_load_doc(doc, path, find, out);
    tsf_st_free(doc);
    return st;
}

tsf_status tsf_load(const char *path, tsf_model **out)
{
    return tsf_load_find(path, tsf_registry_find, out);
}
