"""ctypes declarations of libtsf's public API (include/tsf/*.h).

The structs mirror the C layouts of tsf 1.0; the option structs carry their
size (the library's rule for structs that grow, docs/embedding.md)."""
import ctypes
import ctypes.util
import os
import shutil
import subprocess

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_t = ctypes.c_size_t

# tsf_status values (include/tsf/error.h)
OK = 0
STATUS_NAMES = ["TSF_OK", "TSF_EINVAL", "TSF_ENOMEM", "TSF_EPARSE", "TSF_EIO", "TSF_EDOMAIN",
                "TSF_ENOCONV", "TSF_ENODEV", "TSF_EUNSUP", "TSF_EDEGENERATE"]


class Xreg(ctypes.Structure):
    _fields_ = [("k", c_size_t), ("x", c_double_p), ("ld", c_size_t),
                ("names", ctypes.POINTER(ctypes.c_char_p))]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class FitOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("method", ctypes.c_int), ("include_mean", ctypes.c_int),
                ("include_drift", ctypes.c_int), ("trend", ctypes.c_int),
                ("period", ctypes.c_int), ("transform", ctypes.c_int),
                ("lambda_", ctypes.c_double), ("epochs", ctypes.c_int),
                ("batch", ctypes.c_int), ("lr", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("threads", ctypes.c_int), ("device", ctypes.c_int),
                ("precision", ctypes.c_int), ("verbose", ctypes.c_int),
                ("progress", PROGRESS_FN), ("progress_ctx", ctypes.c_void_p)]


class ForecastOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("xreg_future", ctypes.POINTER(Xreg)),
                ("seed", ctypes.c_uint64), ("samples", c_size_t), ("biasadj", ctypes.c_int),
                ("ngiven", c_size_t), ("given_step", ctypes.POINTER(c_size_t)),
                ("given_value", c_double_p), ("conditioning", ctypes.c_int)]


class ForecastResult(ctypes.Structure):
    _fields_ = [("h", c_size_t), ("nlevels", c_size_t), ("mean", c_double_p),
                ("se", c_double_p), ("levels", c_double_p), ("lower", c_double_p),
                ("upper", c_double_p), ("normal", ctypes.c_int), ("ess", c_double_p)]


class FitInfo(ctypes.Structure):
    _fields_ = [("model", ctypes.c_char_p), ("order", ctypes.c_int * 3),
                ("seasonal", ctypes.c_int * 3), ("period", ctypes.c_int),
                ("ncoef", c_size_t), ("coef_names", ctypes.POINTER(ctypes.c_char_p)),
                ("coef", c_double_p), ("se", c_double_p), ("sigma2", ctypes.c_double),
                ("mean", ctypes.c_double), ("loglik", ctypes.c_double),
                ("aic", ctypes.c_double), ("aicc", ctypes.c_double), ("bic", ctypes.c_double),
                ("nobs", c_size_t), ("converged", ctypes.c_int),
                ("fit_seconds", ctypes.c_double), ("ntrace", c_size_t),
                ("trace_labels", ctypes.POINTER(ctypes.c_char_p)),
                ("trace_values", c_double_p), ("lambda_", ctypes.c_double),
                ("se_robust", c_double_p), ("persistence", ctypes.c_double)]


def _candidates():
    """Where libtsf.so is looked for, in order: TSF_LIBRARY, the build
    directory of the checkout this package lies in, the system's
    (ldconfig), pkg-config's libdir."""
    env = os.environ.get("TSF_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    yield os.path.join(root, "build", "libtsf.so")
    found = ctypes.util.find_library("tsf")
    if found:
        yield found
    if shutil.which("pkg-config"):
        try:
            libdir = subprocess.run(["pkg-config", "--variable=libdir", "tsf"],
                                    capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            libdir = ""
        if libdir:
            yield os.path.join(libdir, "libtsf.so")


def load_library():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path + " (absent)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        _declare(lib)
        lib._tsf_path = path
        return lib
    raise ImportError("tsf: libtsf.so not found (tried: " + "; ".join(tried) + "). Build it "
                      "with scripts/setup.sh, install it (meson install -C build), or set "
                      "TSF_LIBRARY to its path.")


def _fn(lib, name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)


def _declare(lib):
    P = ctypes.POINTER
    vp, st, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    _fn(lib, "tsf_version", cp)
    _fn(lib, "tsf_strerror", cp, st)
    _fn(lib, "tsf_errmsg", cp)
    _fn(lib, "tsf_clear_error", None)
    _fn(lib, "tsf_fit_opts_init", None, P(FitOpts))
    _fn(lib, "tsf_forecast_opts_init", None, P(ForecastOpts))
    _fn(lib, "tsf_model_new", st, cp, P(vp))
    _fn(lib, "tsf_model_free", None, vp)
    _fn(lib, "tsf_model_spec", cp, vp)
    _fn(lib, "tsf_model_family", cp, vp)
    _fn(lib, "tsf_fit", st, vp, c_double_p, c_size_t, P(Xreg), ctypes.c_int, P(FitOpts))
    _fn(lib, "tsf_model_info", st, vp, P(FitInfo))
    _fn(lib, "tsf_loglik", st, vp, c_double_p, c_size_t, P(Xreg), c_size_t, c_double_p)
    _fn(lib, "tsf_forecast", st, vp, c_double_p, c_size_t, P(Xreg), c_size_t, c_double_p,
        c_size_t, P(ForecastOpts), P(P(ForecastResult)))
    _fn(lib, "tsf_forecast_free", None, P(ForecastResult))
    _fn(lib, "tsf_simulate_x", st, vp, c_size_t, c_size_t, ctypes.c_uint64, P(Xreg), c_double_p)
    _fn(lib, "tsf_residuals", st, vp, c_double_p, c_size_t, P(Xreg), c_double_p, c_double_p)
    _fn(lib, "tsf_save", st, vp, cp)
    _fn(lib, "tsf_load", st, cp, P(vp))
    _fn(lib, "tsf_state_new", st, vp, P(vp))
    _fn(lib, "tsf_state_free", None, vp)
    _fn(lib, "tsf_state_update_x", st, vp, ctypes.c_double, c_double_p, c_size_t, c_double_p)
    _fn(lib, "tsf_state_forecast", st, vp, c_size_t, c_double_p, c_size_t, P(ForecastOpts),
        P(P(ForecastResult)))
    _fn(lib, "tsf_state_save", st, vp, cp)
    _fn(lib, "tsf_state_load", st, vp, cp, P(vp))
    _fn(lib, "tsf_infer_period", ctypes.c_int, P(cp), c_size_t)
    _fn(lib, "tsf_future_label", ctypes.c_int, P(cp), c_size_t, ctypes.c_int, c_size_t,
        ctypes.c_char_p, c_size_t)
