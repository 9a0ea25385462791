/* Backend selection and the loader of the CUDA module.
 *
 * libtsf never links cudart or cuBLAS: loading them costs ~100 ms and
 * ~200 MB at every process start, which ARIMA fits and embedding programs
 * must not pay.  The CUDA backend is a separate module, libtsf_cuda.so,
 * dlopen'ed on the first request for a GPU.  It is searched for
 *   1. at $TSF_CUDA_MODULE (a file path), when set;
 *   2. next to the shared libtsf that holds this code (dladdr), as installed;
 *   3. in the build directory (TSF_CUDA_BUILD_DIR, set by meson), for tests
 *      and uninstalled runs.
 * Before loading it, the driver (libcuda.so.1) is probed: without it there
 * is no GPU and cudart/cuBLAS are never mapped.
 * dlopen is reference counted and returns the same handle on every call,
 * so nothing is cached here (the library keeps no mutable global state);
 * the module is never unloaded, as the CUDA runtime does not support it. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"
#include "device.h"
#include "cuda_abi.h"
#include "onednn.h"

#define NODEV_HINT "; use --device cpu (or device=auto, which falls back to the CPU)"

#ifdef TSF_HAVE_CUDA
/* Appends "; text" (or "text") to why. */
static void note(char *why, size_t len, const char *text)
{
    size_t used = strlen(why), n = strlen(text);
    if (used && used + 3 < len) {
        memcpy(why + used, "; ", 2);
        used += 2;
    }
    if (used + 1 >= len) return;
    if (used + n + 1 > len) n = len - used - 1; /* truncated */
    memcpy(why + used, text, n);
    why[used + n] = '\0';
}

/* An object inside libtsf, whose address dladdr maps to libtsf's file
 * (a function's address would need a non-ISO pointer conversion). */
static const char module_anchor = 0;

/* The first readable candidate path of the module into path (n bytes);
 * 0 with the paths tried in why when there is none. */
static int find_module(char *path, size_t n, char *why, size_t len)
{
    const char *env = getenv("TSF_CUDA_MODULE");
    char tried[4200];
    if (env && *env) {
        snprintf(path, n, "%s", env);
        if (access(path, R_OK) == 0) return 1;
        snprintf(tried, sizeof tried, "%s (TSF_CUDA_MODULE): not found", env);
        note(why, len, tried);
        return 0;
    }
    Dl_info info;
    if (dladdr(&module_anchor, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        if (slash) {
            snprintf(path, n, "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname,
                     TSF_CUDA_MODULE_NAME);
            if (access(path, R_OK) == 0) return 1;
            snprintf(tried, sizeof tried, "%s: not found", path);
            note(why, len, tried);
        }
    }
#ifdef TSF_CUDA_BUILD_DIR
    snprintf(path, n, "%s/%s", TSF_CUDA_BUILD_DIR, TSF_CUDA_MODULE_NAME);
    if (access(path, R_OK) == 0) return 1;
    snprintf(tried, sizeof tried, "%s: not found", path);
    note(why, len, tried);
#endif
    return 0;
}

static tsf_status get_cuda(tsf_precision precision, const tsf_nn_backend **out)
{
    char why[1024] = "", path[4096];
    if (!find_module(path, sizeof path, why, sizeof why))
        return tsf_set_error(TSF_ENODEV, "the CUDA module %s was not found (%s); set "
                             "TSF_CUDA_MODULE to its path" NODEV_HINT, TSF_CUDA_MODULE_NAME, why);
    /* The driver first: without libcuda there is no GPU, and probing costs
     * nothing, where loading the module maps cudart and cuBLAS. */
    void *drv = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!drv) {
        const char *e = dlerror();
        return tsf_set_error(TSF_ENODEV, "no NVIDIA driver (%s)" NODEV_HINT,
                             e ? e : "libcuda.so.1 not found");
    }
    dlclose(drv);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return tsf_set_error(TSF_ENODEV, "the CUDA module %s could not be loaded (%s); is the "
                             "CUDA runtime (libcudart, libcublas) installed?" NODEV_HINT, path,
                             e ? e : "unknown error");
    }
    tsf_cuda_open_fn open_fn;
    void *sym = dlsym(h, TSF_CUDA_ENTRY);
    memcpy(&open_fn, &sym, sizeof open_fn); /* object -> function pointer, POSIX-sanctioned */
    if (!sym)
        return tsf_set_error(TSF_ENODEV, "%s has no entry point %s (a module from another "
                             "tsf version?)" NODEV_HINT, TSF_CUDA_MODULE_NAME, TSF_CUDA_ENTRY);
    char msg[512] = "";
    int rc = open_fn(TSF_CUDA_ABI, sizeof(tsf_nn_backend), (int)precision, out, msg, sizeof msg);
    switch (rc) {
    case TSF_CUDA_OK: return TSF_OK;
    case TSF_CUDA_NOMEM:
        return tsf_set_error(TSF_ENOMEM, "out of GPU memory starting the CUDA backend (%s)", msg);
    case TSF_CUDA_ABI_MISMATCH:
        return tsf_set_error(TSF_ENODEV, "%s was built for another tsf version (%s); reinstall "
                             "it" NODEV_HINT, TSF_CUDA_MODULE_NAME, msg);
    default: return tsf_set_error(TSF_ENODEV, "no usable GPU: %s" NODEV_HINT, msg);
    }
}
#else
static tsf_status get_cuda(tsf_precision precision, const tsf_nn_backend **out)
{
    (void)precision;
    (void)out;
    return tsf_set_error(TSF_ENODEV, "this build of tsf has no CUDA backend (rebuild with the "
                         "CUDA toolkit and meson -Dcuda=enabled)" NODEV_HINT);
}
#endif

/* The CPU backend for the precision: oneDNN's GEMMs where they are offered
 * (onednn.h), else the OpenBLAS reference in fp32; bf16 only through
 * oneDNN; tf32 is a GPU format and refused (no option is ignored). */
static tsf_status get_cpu(tsf_precision precision, const tsf_nn_backend **out)
{
    if (precision == TSF_PRECISION_TF32)
        return tsf_set_error(TSF_EUNSUP, "--precision tf32 is a GPU tensor-core format; on the "
                             "CPU use fp32 (the default) or bf16");
    if (precision == TSF_PRECISION_BF16) return tsf_nn_backend_onednn(precision, out);
    if (tsf_nn_backend_onednn(precision, out) != TSF_OK) *out = tsf_nn_backend_cpu();
    return TSF_OK;
}

tsf_status tsf_nn_backend_get(tsf_device device, tsf_precision precision,
                              const tsf_nn_backend **out)
{
    *out = NULL;
    if (precision != TSF_PRECISION_FP32 && precision != TSF_PRECISION_TF32 &&
        precision != TSF_PRECISION_BF16)
        return tsf_set_error(TSF_EINVAL, "unknown precision %d (fp32, tf32 or bf16)",
                             (int)precision);
    switch (device) {
    case TSF_DEVICE_CPU: return get_cpu(precision, out);
    case TSF_DEVICE_CUDA: return get_cuda(precision, out);
    case TSF_DEVICE_AUTO:
        /* The CUDA kernels compile, their arithmetic is tested on the host
         * and they have run on a GPU (the bench), but tests/test_backend_ops
         * has not yet compared them with the CPU twins on one (docs/gpu.md):
         * until it passes, auto means the CPU and the GPU is opt-in with
         * --device cuda. */
        return get_cpu(precision, out);
    }
    return tsf_set_error(TSF_EINVAL, "unknown device %d (auto, cpu or cuda)", (int)device);
}
