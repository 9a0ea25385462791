/* libFuzzer target for model and state files: the safetensors parser on
 * arbitrary bytes, then the core's model loading on what parses, and, when
 * the file names a registered family, the public tsf_load through a temp
 * file and a few uses of the loaded model (families must validate what
 * they load); state files (format "tsf-state") go to the state loaders of
 * fitted ar, arima and gru models, fingerprint check bypassed, and what
 * loads is used. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"
#include "core/model_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stand-in family "probe" so that the core's loading path (spec re-parse,
 * family check, load, error wrapping) is reached even before real families
 * are registered: it takes any spec options and loads a "coef" tensor. */
static tsf_status probe_parse(const tsf_spec *spec, void **impl)
{
    (void)spec;
    *impl = calloc(1, sizeof(double));
    return *impl ? TSF_OK : TSF_ENOMEM;
}

static tsf_status probe_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            int period, const tsf_fit_opts *opts)
{
    (void)impl; (void)y; (void)n; (void)xreg; (void)period; (void)opts;
    return TSF_EUNSUP;
}

static tsf_status probe_load(const tsf_st *doc, void **impl)
{
    const void *p;
    size_t cnt;
    tsf_status st = tsf_st_get(doc, "coef", TSF_ST_F64, NULL, NULL, &p, &cnt);
    if (st) return st;
    if (cnt) *(double *)*impl = *(const double *)p;
    return TSF_OK;
}

static const tsf_model_type probe_type = {
    .name = "probe", .parse = probe_parse, .fit = probe_fit, .load = probe_load, .free = free,
};

static const tsf_model_type *find(const char *name)
{
    return strcmp(name, "probe") == 0 ? &probe_type : tsf_registry_find(name);
}

static void use_model(tsf_model *m)
{
    static const double y[8] = {1.5, 2.25, 1.75, 3.0, 2.5, 2.0, 3.25, 2.75};
    static const double levels[2] = {80, 95};
    tsf_fit_info info;
    (void)tsf_model_info(m, &info);
    tsf_forecast_result *fc = NULL;
    if (tsf_forecast(m, y, 8, NULL, 3, levels, 2, NULL, &fc) == TSF_OK) tsf_forecast_free(fc);
    double ll;
    (void)tsf_loglik(m, y, 8, NULL, 0, &ll);
    tsf_state *st = NULL;
    if (tsf_state_new(m, &st) == TSF_OK) {
        for (size_t i = 0; i < 8; i++) (void)tsf_state_update(st, y[i], &ll);
        if (tsf_state_forecast(st, 2, levels, 2, NULL, &fc) == TSF_OK) tsf_forecast_free(fc);
        tsf_state_free(st);
    }
}

static void load_through_file(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tsf-fuzz-model-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(fd);
    tsf_model *m = NULL;
    if (off == size && tsf_load(path, &m) == TSF_OK) {
        use_model(m);
        tsf_model_free(m);
    }
    unlink(path);
}

/* Fitted models for the state loaders, made once (test code). */
static tsf_model *state_models[3];

static void fit_state_models(void)
{
    static int done;
    if (done) return;
    done = 1;
    static const char *specs[3] = {"ar(2)", "arima(1,1,1)(0,1,1)[4]",
                                   "gru(hidden=4, layers=1, context=8)"};
    double y[48];
    for (size_t i = 0; i < 48; i++) y[i] = 10.0 + (double)(i % 4) + 0.1 * (double)((i * 7) % 5);
    for (size_t k = 0; k < 3; k++) {
        tsf_fit_opts o = {0};
        o.epochs = 1;
        o.seed = 1;
        if (tsf_model_new(specs[k], &state_models[k]) ||
            tsf_fit(state_models[k], y, 48, NULL, 4, &o)) {
            tsf_model_free(state_models[k]);
            state_models[k] = NULL;
        }
    }
    tsf_clear_error();
}

static void load_states(const tsf_st *doc)
{
    static const double levels[1] = {90};
    fit_state_models();
    for (size_t k = 0; k < 3; k++) {
        tsf_model *m = state_models[k];
        void *st = NULL;
        if (!m || !m->type->state_load || m->type->state_load(m->impl, doc, &st) != TSF_OK)
            continue;
        double lp;
        for (int i = 0; i < 4; i++) (void)m->type->state_update(st, 10.0 + i, NULL, 0, &lp);
        tsf_forecast_result *fc = calloc(1, sizeof *fc);
        if (fc && tsf_forecast_alloc(fc, 2, levels, 1) == TSF_OK) {
            tsf_forecast_opts fo = {0};
            (void)m->type->state_forecast(st, 2, levels, 1, &fo, fc);
        }
        tsf_forecast_free(fc);
        m->type->state_free(st);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsf_st *doc = NULL;
    if (tsf_st_parse(data, size, "fuzz", &doc) != TSF_OK) return 0;
    /* the getters on whatever parsed */
    const void *p;
    size_t nd, cnt;
    const size_t *shape;
    (void)tsf_st_get(doc, "coef", TSF_ST_F64, &nd, &shape, &p, &cnt);
    tsf_model *m = NULL;
    if (tsf_load_doc(doc, "fuzz", find, &m) == TSF_OK) {
        if (m->type != &probe_type) use_model(m);
        tsf_model_free(m);
    }
    const char *format = tsf_st_meta(doc, "format");
    if (format && strcmp(format, "tsf-state") == 0) load_states(doc);
    const char *family = tsf_st_meta(doc, "family");
    if (family && tsf_registry_find(family)) load_through_file(data, size);
    tsf_st_free(doc);
    return 0;
}
