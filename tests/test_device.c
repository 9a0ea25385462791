/* Device selection without a GPU (runs everywhere): --device cuda reports
 * TSF_ENODEV with a message that says what to do, auto falls back to the
 * CPU, a missing module is named, and the CPU backend's memory ops behave
 * as the backend contract says.  On a machine with a usable GPU the
 * ENODEV checks are replaced by checks that the CUDA backend is returned. */
#include "testutil.h"
#include "core/internal.h"
#include "neural/device.h"

static int have_gpu;

static void test_cuda_or_enodev(void **state)
{
    (void)state;
    for (int p = 0; p < 3; p++) {
        const tsf_nn_backend *be = (const tsf_nn_backend *)1;
        tsf_status st = tsf_nn_backend_get(TSF_DEVICE_CUDA, (tsf_precision)p, &be);
        if (have_gpu) {
            assert_int_equal(st, TSF_OK);
            assert_true(be->on_device);
            assert_non_null(strstr(be->name, "cuda"));
        } else {
            assert_int_equal(st, TSF_ENODEV);
            assert_null(be);
            assert_errmsg_has("--device cpu");
        }
    }
}

static void test_auto_falls_back(void **state)
{
    (void)state;
    const tsf_nn_backend *be = NULL;
    /* auto is the CPU until the CUDA path is verified on a GPU (docs/gpu.md). */
    /* fp32: the reference or its oneDNN variant (test_onednn_ops), host memory */
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_AUTO, TSF_PRECISION_FP32, &be), TSF_OK);
    assert_false(be->on_device);
    assert_true(!strncmp(be->name, "cpu", 3));
    /* tf32 is a GPU format: refused on the CPU, never ignored */
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CPU, TSF_PRECISION_TF32, &be), TSF_EUNSUP);
    assert_errmsg_has("tf32");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const tsf_nn_backend *be;
    assert_int_equal(tsf_nn_backend_get((tsf_device)9, TSF_PRECISION_FP32, &be), TSF_EINVAL);
    assert_errmsg_has("unknown device");
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CPU, (tsf_precision)7, &be), TSF_EINVAL);
    assert_errmsg_has("unknown precision");
}

static void test_missing_module(void **state)
{
    (void)state;
#ifdef TSF_HAVE_CUDA
    const tsf_nn_backend *be;
    setenv("TSF_CUDA_MODULE", "/nonexistent/libtsf_cuda.so", 1);
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CUDA, TSF_PRECISION_FP32, &be), TSF_ENODEV);
    assert_errmsg_has("/nonexistent/libtsf_cuda.so");
    assert_errmsg_has("TSF_CUDA_MODULE");
    assert_errmsg_has("--device cpu");
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_AUTO, TSF_PRECISION_FP32, &be), TSF_OK);
    assert_false(be->on_device);
    unsetenv("TSF_CUDA_MODULE");
#else
    const tsf_nn_backend *be;
    assert_int_equal(tsf_nn_backend_get(TSF_DEVICE_CUDA, TSF_PRECISION_FP32, &be), TSF_ENODEV);
    assert_errmsg_has("no CUDA backend");
#endif
}

/* the public API: a neural fit with --device cuda on a machine without a
 * GPU fails with TSF_ENODEV and the advice; with auto it trains on the CPU */
static void test_fit_device(void **state)
{
    (void)state;
    if (have_gpu) skip();
    double y[60];
    for (int i = 0; i < 60; i++) y[i] = sin(0.3 * i) + 0.01 * i;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("gru(hidden=4)", &m), TSF_OK);
    tsf_fit_opts o;
    memset(&o, 0, sizeof o);
    o.epochs = 1;
    o.batch = 2;
    o.device = TSF_DEVICE_CUDA;
    assert_int_equal(tsf_fit(m, y, 60, NULL, 0, &o), TSF_ENODEV);
    assert_errmsg_has("--device cpu");
    o.device = TSF_DEVICE_AUTO;
    assert_int_equal(tsf_fit(m, y, 60, NULL, 0, &o), TSF_OK);
    tsf_model_free(m);
}

static void test_cpu_memory_ops(void **state)
{
    (void)state;
    const tsf_nn_backend *be = tsf_nn_backend_cpu();
    assert_false(be->on_device);
    float *p = be->alloc(5), src[5] = {1, 2, 3, 4, 5}, back[5];
    assert_non_null(p);
    for (int i = 0; i < 5; i++) assert_true(p[i] == 0.0f);
    be->upload(p, src, 5);
    be->copy(p + 1, p, 3); /* overlapping copies behave as memmove */
    be->download(back, p, 5);
    assert_true(back[0] == 1 && back[1] == 1 && back[2] == 2 && back[3] == 3 && back[4] == 5);
    be->zero(p + 2, 2);
    assert_true(p[1] == 1 && p[2] == 0 && p[3] == 0 && p[4] == 5);
    char msg[8] = "x";
    assert_int_equal(be->sync(msg, sizeof msg), 0);
    assert_string_equal(msg, "");
    be->free(p);
    be->free(NULL);
}

int main(void)
{
    const tsf_nn_backend *be;
    have_gpu = tsf_nn_backend_get(TSF_DEVICE_CUDA, TSF_PRECISION_FP32, &be) == TSF_OK;
    tsf_clear_error();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuda_or_enodev), cmocka_unit_test(test_auto_falls_back),
        cmocka_unit_test(test_bad_arguments),  cmocka_unit_test(test_missing_module),
        cmocka_unit_test(test_fit_device),     cmocka_unit_test(test_cpu_memory_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
