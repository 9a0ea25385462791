/* libFuzzer target for model files: the safetensors parser on arbitrary
 * bytes, then the core's model loading on what parses, and, when the file
 * names a registered family, the public tsf_load through a temp file and
 * a few uses of the loaded model (families must validate what they load). */
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
    const char *family = tsf_st_meta(doc, "family");
    if (family && tsf_registry_find(family)) load_through_file(data, size);
    tsf_st_free(doc);
    return 0;
}
