/* The device path end to end without a GPU: TSF_CUDA_MODULE points at a
 * fake module that returns the emulated device backend (CPU ops on memory
 * that faults on host access, tests/emu_backend.c) and LD_LIBRARY_PATH
 * holds a stand-in libcuda.so.1 (both built by tests/meson.build).  The
 * loader must find, open and accept it, and a fit with device=cuda must
 * go through src/neural/train.c's device branch (a device copy of the
 * network, weights downloaded for validation and at the end) and give the
 * same model as device=cpu, bit for bit. */
#include "testutil.h"
#include "core/internal.h"
#include "neural/device.h"
#include <dlfcn.h>

/* a function of the emulated device, inside the fake module */
static void *emu_fn(const char *name)
{
    void *h = dlopen(getenv("TSF_CUDA_MODULE"), RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    void *sym = dlsym(h, name);
    assert_non_null(sym);
    dlclose(h);
    return sym;
}

/* live allocations of the emulated device */
static size_t emu_live(void)
{
    size_t (*fn)(void);
    void *sym = emu_fn("tsf_emu_live");
    memcpy(&fn, &sym, sizeof fn);
    return fn();
}

static void emu_fail_after(long k)
{
    void (*fn)(long);
    void *sym = emu_fn("tsf_emu_fail_after");
    memcpy(&fn, &sym, sizeof fn);
    fn(k);
}

static void test_loader(void **state)
{
    (void)state;
    const tsf_nn_backend *be = NULL;
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CUDA, TSF_PRECISION_BF16, &be), TSF_OK);
    assert_non_null(be);
    assert_string_equal(be->name, "emulated-device");
    assert_true(be->on_device);
    /* auto stays on the CPU until the CUDA path is verified (docs/gpu.md). */
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_AUTO, TSF_PRECISION_FP32, &be), TSF_OK);
    assert_string_equal(be->name, "cpu");
}

static void fit_both(const char *spec)
{
    double y[150];
    for (int i = 0; i < 150; i++) y[i] = 10.0 + sin(0.4 * i) + 0.3 * cos(1.7 * i) + 0.01 * i;
    tsf_model *mc = NULL, *md = NULL;
    assert_int_equal(tsf_model_new(spec, &mc), TSF_OK);
    assert_int_equal(tsf_model_new(spec, &md), TSF_OK);
    tsf_fit_opts o;
    memset(&o, 0, sizeof o);
    o.epochs = 3;
    o.batch = 4;
    o.seed = 11;
    o.threads = 1;
    o.device = TSF_DEVICE_CPU;
    assert_int_equal(tsf_fit(mc, y, 150, NULL, 0, &o), TSF_OK);
    o.device = TSF_DEVICE_CUDA;
    if (tsf_fit(md, y, 150, NULL, 0, &o) != TSF_OK) fail_msg("device fit: %s", tsf_errmsg());
    tsf_fit_info ic, id;
    assert_int_equal(tsf_model_info(mc, &ic), TSF_OK);
    assert_int_equal(tsf_model_info(md, &id), TSF_OK);
    print_message("%s: loglik cpu %.10g, emulated device %.10g\n", spec, ic.loglik, id.loglik);
    assert_true(isfinite(ic.loglik));
    assert_true(ic.loglik == id.loglik);
    double lc, ld;
    assert_int_equal(tsf_loglik(mc, y, 150, NULL, 100, &lc), TSF_OK);
    assert_int_equal(tsf_loglik(md, y, 150, NULL, 100, &ld), TSF_OK);
    assert_true(lc == ld);
    tsf_model_free(mc);
    tsf_model_free(md);
    assert_int_equal(emu_live(), 0); /* the device copy and buffers were freed */
}

static void test_fit_gru(void **state)
{
    (void)state;
    fit_both("gru(hidden=6, layers=1, context=16)");
}

static void test_fit_lstm(void **state)
{
    (void)state;
    fit_both("lstm(hidden=5, context=12)");
}

static void test_fit_transformer(void **state)
{
    (void)state;
    fit_both("transformer(d=8, heads=2, layers=1, context=16)");
}

/* device out of memory at each allocation of a fit in turn: TSF_ENOMEM
 * with a message naming the GPU, nothing leaked, never a crash */
static void test_out_of_memory(void **state)
{
    (void)state;
    double y[80];
    for (int i = 0; i < 80; i++) y[i] = sin(0.5 * i);
    tsf_fit_opts o;
    memset(&o, 0, sizeof o);
    o.epochs = 1;
    o.batch = 2;
    o.device = TSF_DEVICE_CUDA;
    int failures = 0;
    for (long k = 1; k < 12; k++) {
        tsf_model *m = NULL;
        assert_int_equal(tsf_model_new("gru(hidden=4, layers=1, context=8)", &m), TSF_OK);
        emu_fail_after(k);
        tsf_status st = tsf_fit(m, y, 80, NULL, 0, &o);
        emu_fail_after(0);
        if (st != TSF_OK) {
            assert_int_equal(st, TSF_ENOMEM);
            assert_errmsg_has("GPU");
            failures++;
        }
        tsf_model_free(m);
        assert_int_equal(emu_live(), 0);
    }
    assert_true(failures >= 5); /* params, arena, gradients, moments, best weights */
}

int main(void)
{
#ifndef TSF_HAVE_CUDA
    printf("skipped: built without the CUDA backend (-Dcuda=disabled), so without its loader\n");
    return 77;
#endif
    if (!getenv("TSF_CUDA_MODULE")) {
        printf("skipped: run through meson (TSF_CUDA_MODULE, LD_LIBRARY_PATH)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader), cmocka_unit_test(test_fit_gru),
        cmocka_unit_test(test_fit_lstm), cmocka_unit_test(test_fit_transformer),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
