"""tsf: probabilistic time-series forecasting (Python interface to libtsf).

    import tsf
    m = tsf.Model("auto", period=12).fit(y)
    fc = m.forecast(12, level=(80, 95))
    fc.mean, fc.lower[95], fc.upper[95]

Series are 1-D arrays of numbers (any integer or float dtype, any stride);
NaN is a missing value.  Errors of the library raise tsf.TsfError with its
message.  docs/python.md has the whole interface."""
import ctypes

import numpy as np

from . import _native

__all__ = ["Model", "State", "Forecast", "TsfError", "load", "batch", "version"]

_lib = _native.load_library()


class TsfError(Exception):
    """A failure reported by libtsf: .status is the tsf_status name
    ("TSF_EINVAL", ...), str() the library's one-line message."""

    def __init__(self, message, status="TSF_EINVAL"):
        super().__init__(message)
        self.status = status


def _check(status):
    if status != _native.OK:
        msg = _lib.tsf_errmsg().decode("utf-8", "replace")
        if not msg:
            msg = _lib.tsf_strerror(status).decode()
        names = _native.STATUS_NAMES
        raise TsfError(msg, names[status] if 0 <= status < len(names) else str(status))


def version():
    """Version of the libtsf in use."""
    return _lib.tsf_version().decode()


# ---- arrays in ----

def _series(y, what="y"):
    """y as a C-contiguous float64 array (a copy when needed); NaN = missing."""
    if y is None:
        raise TypeError(f"{what}: a series is required, got None")
    if isinstance(y, np.ma.MaskedArray):
        y = y.astype(np.float64).filled(np.nan)
    a = np.asarray(y)
    if a.dtype == object:
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{what}: the values must be numbers (got objects that are not)")
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"{what}: dtype {a.dtype} is not a real number type; give integers or "
                        "floats (NaN for missing values)")
    if a.ndim != 1:
        raise ValueError(f"{what}: a series must be one-dimensional, got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def _ptr(a):
    return a.ctypes.data_as(_native.c_double_p)


class _Xreg:
    """Regressors as the library takes them: k columns of n rows, column j
    at x + j*n (Fortran order), with names.  Keeps the arrays alive."""

    def __init__(self, x, n, what="xreg"):
        names = None
        if hasattr(x, "columns"):  # pandas DataFrame
            names = [str(c) for c in x.columns]
        elif hasattr(x, "name") and getattr(x, "ndim", 0) == 1 and x.name is not None:
            names = [str(x.name)]
        a = np.asarray(x)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"{what}: give an (n, k) array of regressors, got shape {a.shape}")
        if a.dtype == object or a.dtype.kind == "b" or a.dtype.kind not in "iuf":
            raise TypeError(f"{what}: dtype {a.dtype} is not a real number type")
        if a.shape[0] != n:
            raise ValueError(f"{what}: {a.shape[0]} rows, {n} needed")
        self.a = np.asfortranarray(a, dtype=np.float64)
        self.names = None
        if names:
            self._enc = [s.encode() for s in names]
            self.names = (ctypes.c_char_p * len(names))(*self._enc)
        self.c = _native.Xreg(self.a.shape[1], _ptr(self.a), n,
                              ctypes.cast(self.names, ctypes.POINTER(ctypes.c_char_p))
                              if self.names is not None else None)

    def ref(self):
        return ctypes.byref(self.c)


def _xreg(x, n, what="xreg"):
    return None if x is None else _Xreg(x, n, what)


def _levels(level):
    lv = np.atleast_1d(np.asarray(level, dtype=np.float64)).ravel()
    return np.ascontiguousarray(lv)


# ---- forecasts ----

class Forecast:
    """A forecast: numpy arrays .mean and .se (h values), .lower[level] and
    .upper[level] (h values per level in percent), .time (h labels), and
    .to_frame() as a pandas DataFrame."""

    def __init__(self, res, time):
        r = res.contents
        h, nl = r.h, r.nlevels
        self.mean = np.ctypeslib.as_array(r.mean, (h,)).copy()
        self.se = np.ctypeslib.as_array(r.se, (h,)).copy()
        levels = np.ctypeslib.as_array(r.levels, (nl,)).copy() if nl else np.empty(0)
        lo = np.ctypeslib.as_array(r.lower, (nl * h,)).copy() if nl else np.empty(0)
        up = np.ctypeslib.as_array(r.upper, (nl * h,)).copy() if nl else np.empty(0)
        self.level = tuple(_level_key(v) for v in levels)
        self.lower = {k: lo[i * h:(i + 1) * h] for i, k in enumerate(self.level)}
        self.upper = {k: up[i * h:(i + 1) * h] for i, k in enumerate(self.level)}
        self.time = time

    def __len__(self):
        return len(self.mean)

    def to_frame(self):
        """pandas DataFrame with columns time, mean, se, lo80, hi80, ... (as
        the CLI's batch output)."""
        import pandas as pd
        cols = {"time": self.time, "mean": self.mean, "se": self.se}
        for k in self.level:
            cols[f"lo{k}"] = self.lower[k]
            cols[f"hi{k}"] = self.upper[k]
        return pd.DataFrame(cols)

    def __repr__(self):
        return f"<tsf.Forecast h={len(self.mean)} levels={self.level}>"


def _level_key(v):
    return int(v) if float(v).is_integer() else float(v)


def _forecast_opts(xf, seed, samples):
    o = _native.ForecastOpts()  # zeroed; size: this mirror's layout (tsf/model.h)
    o.size = ctypes.sizeof(o)
    if xf is not None:
        o.xreg_future = ctypes.pointer(xf.c)
    o.seed = int(seed)
    o.samples = int(samples)
    return o


def _run_forecast(call, h, level, time):
    out = ctypes.POINTER(_native.ForecastResult)()
    _check(call(ctypes.byref(out)))
    try:
        return Forecast(out, time)
    finally:
        _lib.tsf_forecast_free(out)


def _labels_of(y, time):
    """Time labels of the series, as text (from time=, or a pandas index)."""
    idx = getattr(y, "index", None)
    if time is None and idx is not None and not callable(idx) and not _is_default_index(idx):
        time = y.index
    if time is None:
        return None
    t = np.asarray(time)
    if t.dtype.kind == "M":
        return _date_labels(t.astype("datetime64[D]"))
    return [str(v) for v in t]


def _date_labels(days):
    """Dates as the labels whose calendar the library knows: first days of
    months as "1949-01" (monthly), of quarters spaced 3 months as "1949-Q1",
    of years as "1949"; other dates as "1949-01-17"."""
    months = days.astype("datetime64[M]")
    if len(days) and (months.astype("datetime64[D]") == days).all():
        m = months.astype(np.int64)  # months since 1970-01
        step = np.diff(m)
        year = 1970 + m // 12
        if len(step) and (step == 12).all() and (m % 12 == 0).all():
            return [str(y) for y in year]
        if len(step) and (step == 3).all() and (m % 3 == 0).all():
            return [f"{y}-Q{q}" for y, q in zip(year, m % 12 // 3 + 1)]
        return [f"{y}-{mm:02d}" for y, mm in zip(year, m % 12 + 1)]
    return [str(v) for v in days]


def _is_default_index(idx):
    try:
        import pandas as pd
        return isinstance(idx, pd.RangeIndex)
    except ImportError:
        return True


def _future_times(labels, n, h):
    """The h labels after the series: the library's calendar rule for text
    labels ("1949-01" -> "1961-01"), else the steps 1..h (as the CLI)."""
    if labels:
        arr = (ctypes.c_char_p * len(labels))(*[s.encode() for s in labels])
        buf = ctypes.create_string_buffer(64)
        out = []
        for k in range(1, h + 1):
            if not _lib.tsf_future_label(arr, len(labels), 0, k, buf, 64):
                out = None
                break
            out.append(buf.value.decode())
        if out is not None:
            return np.array(out, dtype=object)
    return np.arange(1, h + 1)


def _infer_period(labels):
    if not labels:
        return 0
    arr = (ctypes.c_char_p * len(labels))(*[s.encode() for s in labels])
    p = _lib.tsf_infer_period(arr, len(labels))
    return p if p > 1 else 0


# ---- models ----

_METHODS = {None: 0, "css-ml": 1, "ml": 2, "css": 3}
_DEVICES = {None: 0, "auto": 0, "cpu": 1, "cuda": 2}
_PRECISIONS = {None: 0, "fp32": 0, "tf32": 1, "bf16": 2}


class Model:
    """A model from a spec ("auto", "arima(0,1,1)(0,1,1)[12]", "ar(max=10)",
    "gru(hidden=32)", ...; docs/cli.md lists them).

    Options (all optional): period (overrides the spec's [s] and the data's),
    method ("css-ml", "ml", "css"), include_mean (True/False), drift, trend,
    transform ("log", "boxcox" with lambda_, "boxcox-auto"), and for neural
    models epochs, batch, lr, seed, threads, device, precision.

    A fitted model may be used (loglik, forecast, simulate, state) from many
    threads at once; fit it from one."""

    def __init__(self, spec="auto", period=None, method=None, include_mean=None, drift=False,
                 trend=False, transform=None, lambda_=None, epochs=None, batch=None, lr=None,
                 seed=None, threads=None, device=None, precision=None, _handle=None):
        self._h = None
        if _handle is not None:
            self._h = _handle
        else:
            if not isinstance(spec, str):
                raise TypeError(f"spec must be a string such as 'auto', got {type(spec).__name__}")
            h = ctypes.c_void_p()
            _check(_lib.tsf_model_new(spec.encode(), ctypes.byref(h)))
            self._h = h
        o = _native.FitOpts()  # zeroed; size: this mirror's layout (tsf/model.h)
        o.size = ctypes.sizeof(o)
        try:
            o.method = _METHODS[method]
            o.device = _DEVICES[device]
            o.precision = _PRECISIONS[precision]
        except KeyError as e:
            raise ValueError(f"unknown choice {e.args[0]!r}") from None
        if period is not None:
            if int(period) < 1:
                raise ValueError(f"period must be a positive whole number, got {period}")
            o.period = int(period)
        o.include_mean = 0 if include_mean is None else (1 if include_mean else -1)
        o.include_drift = int(bool(drift))
        o.trend = int(bool(trend))
        tr = {None: 0, "none": 0, "log": 1, "boxcox": 2, "boxcox-auto": 3}
        if transform not in tr:
            raise ValueError(f"transform must be one of {sorted(k for k in tr if k)}, got "
                             f"{transform!r}")
        o.transform = tr[transform]
        if transform == "boxcox":
            if lambda_ is None:
                raise ValueError("transform='boxcox' needs lambda_ (or use 'boxcox-auto')")
            o.lambda_ = float(lambda_)
        for name, val in (("epochs", epochs), ("batch", batch), ("threads", threads)):
            if val is not None:
                setattr(o, name, int(val))
        if lr is not None:
            o.lr = float(lr)
        if seed is not None:
            o.seed = int(seed)
        self._opts = o
        self._y = None
        self._xreg = None
        self._labels = None

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None and _lib is not None:
            _lib.tsf_model_free(h)
            self._h = None

    @property
    def spec(self):
        return _lib.tsf_model_spec(self._h).decode()

    @property
    def family(self):
        return _lib.tsf_model_family(self._h).decode()

    def fit(self, y, xreg=None, time=None):
        """Fits the model to y (NaN = missing) with optional regressors
        xreg ((n, k) array or DataFrame).  time: the series' time labels
        ("1949-01", ...; a pandas Series' index is used when given) for the
        period and the forecasts' .time.  Returns self."""
        labels = _labels_of(y, time)
        ya = _series(y)
        if labels is not None and len(labels) != len(ya):
            raise ValueError(f"time: {len(labels)} labels for {len(ya)} values")
        xr = _xreg(xreg, len(ya))
        _check(_lib.tsf_fit(self._h, _ptr(ya), len(ya), xr.ref() if xr else None,
                            _infer_period(labels), ctypes.byref(self._opts)))
        self._y, self._xreg, self._labels = ya, xr, labels
        return self

    def _need_fit(self):
        if self._y is None:
            if getattr(self, "_loaded", False):
                raise TsfError(f"the model '{self.spec}' was loaded from a file, without its "
                               "series: give the series, e.g. .forecast(h, y=y)")
            raise TsfError(f"the model '{self.spec}' has not been fitted: call .fit(y) first")

    @property
    def info(self):
        """What the fit reports, as a dict: model, order, seasonal, period,
        coef (name -> value), se, sigma2, loglik, aic, aicc, bic, nobs,
        converged, lambda."""
        i = _native.FitInfo()
        _check(_lib.tsf_model_info(self._h, ctypes.byref(i)))
        names = [i.coef_names[k].decode() for k in range(i.ncoef)] if i.coef_names else []
        return {
            "model": i.model.decode() if i.model else "",
            "order": tuple(i.order), "seasonal": tuple(i.seasonal), "period": i.period,
            "coef": {n: i.coef[k] for k, n in enumerate(names)} if i.coef else {},
            "se": {n: i.se[k] for k, n in enumerate(names)} if i.se else {},
            "sigma2": i.sigma2, "loglik": i.loglik, "aic": i.aic, "aicc": i.aicc,
            "bic": i.bic, "nobs": i.nobs, "converged": bool(i.converged),
            "lambda": i.lambda_,
        }

    def loglik(self, y, start=0, xreg=None):
        """Exact log p(y[start:] | y[:start]) under the fitted parameters,
        in y's units (NaN values skipped)."""
        ya = _series(y)
        if start < 0:
            raise ValueError(f"start must be >= 0, got {start}")
        xr = _xreg(xreg, len(ya))
        ll = ctypes.c_double()
        _check(_lib.tsf_loglik(self._h, _ptr(ya), len(ya), xr.ref() if xr else None, int(start),
                               ctypes.byref(ll)))
        return ll.value

    def forecast(self, h, level=(80, 95), xreg_future=None, y=None, seed=0, samples=0):
        """Forecasts h steps after the fitted series (or after y when
        given), with intervals at the levels (percent).  xreg_future: h rows
        of future regressors when fitted with xreg."""
        h = int(h)
        if h < 1:
            raise ValueError(f"h must be at least 1, got {h}")
        if y is None:
            self._need_fit()
            ya, labels, xr = self._y, self._labels, self._xreg
        else:
            ya, labels, xr = _series(y), _labels_of(y, None), None
        lv = _levels(level)
        xf = _xreg(xreg_future, h, "xreg_future")
        o = _forecast_opts(xf, seed, samples)
        times = _future_times(labels, len(ya), h)
        return _run_forecast(
            lambda out: _lib.tsf_forecast(self._h, _ptr(ya), len(ya), xr.ref() if xr else None,
                                          h, _ptr(lv), len(lv), ctypes.byref(o), out),
            h, lv, times)

    def simulate(self, n, seed=0, npaths=None, xreg=None):
        """Simulates a series of length n (npaths of them as an (npaths, n)
        array when npaths is given) from the fitted model."""
        n = int(n)
        k = 1 if npaths is None else int(npaths)
        if n < 0 or k < 0:
            raise ValueError("n and npaths must be >= 0")
        out = np.empty(max(k * n, 1), dtype=np.float64)
        xr = _xreg(xreg, n)
        _check(_lib.tsf_simulate_x(self._h, n, k, int(seed), xr.ref() if xr else None,
                                   _ptr(out)))
        out = out[:k * n]
        return out if npaths is None else out.reshape(k, n)

    def residuals(self, y=None, xreg=None):
        """(fitted, residuals) over y (the fitted series by default)."""
        if y is None:
            self._need_fit()
            ya, xr = self._y, self._xreg
        else:
            ya, xr = _series(y), _xreg(xreg, len(_series(y)))
        fit = np.empty(len(ya))
        res = np.empty(len(ya))
        _check(_lib.tsf_residuals(self._h, _ptr(ya), len(ya), xr.ref() if xr else None,
                                  _ptr(fit), _ptr(res)))
        return fit, res

    def save(self, path):
        """Saves the fitted model (safetensors, written atomically)."""
        _check(_lib.tsf_save(self._h, _path(path)))

    def state(self):
        """A streaming state at the start of a series (State.update feeds one
        observation at a time)."""
        s = ctypes.c_void_p()
        _check(_lib.tsf_state_new(self._h, ctypes.byref(s)))
        return State(self, s)

    def load_state(self, path):
        """A state saved by State.save, under this model."""
        s = ctypes.c_void_p()
        _check(_lib.tsf_state_load(self._h, _path(path), ctypes.byref(s)))
        return State(self, s)

    def __repr__(self):
        return f"<tsf.Model {self.spec!r}{' fitted' if self._y is not None else ''}>"


def _path(p):
    import os
    return os.fsencode(p)


def load(path):
    """A model saved by Model.save (the file is checked as untrusted input)."""
    h = ctypes.c_void_p()
    _check(_lib.tsf_load(_path(path), ctypes.byref(h)))
    m = Model(_handle=h)
    m._loaded = True  # fitted, but without its series: forecasts need y=
    return m


class State:
    """Streaming state: .update(y_t) -> log p(y_t | past), .forecast(h).
    A state belongs to one thread at a time."""

    def __init__(self, model, handle):
        self._model = model  # keeps the library's model alive as long as the state
        self._h = handle
        self.n = 0

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None and _lib is not None:
            _lib.tsf_state_free(h)
            self._h = None

    def update(self, y, x=None):
        """Feeds one observation (NaN = missing; x: its regressor values when
        the model has regressors); returns log p(y | the past) in y's units
        (0 for a missing value)."""
        lp = ctypes.c_double()
        if x is None:
            xa, k = None, 0
        else:
            xa = _series(x, "x")
            k = len(xa)
        _check(_lib.tsf_state_update_x(self._h, float(y), _ptr(xa) if xa is not None else None,
                                       k, ctypes.byref(lp)))
        self.n += 1
        return lp.value

    def forecast(self, h, level=(80, 95), xreg_future=None, seed=0, samples=0):
        h = int(h)
        if h < 1:
            raise ValueError(f"h must be at least 1, got {h}")
        lv = _levels(level)
        xf = _xreg(xreg_future, h, "xreg_future")
        o = _forecast_opts(xf, seed, samples)
        return _run_forecast(
            lambda out: _lib.tsf_state_forecast(self._h, h, _ptr(lv), len(lv), ctypes.byref(o),
                                                out),
            h, lv, np.arange(1, h + 1))

    def save(self, path):
        _check(_lib.tsf_state_save(self._h, _path(path)))


# ---- many series ----

def batch(df, spec="auto", h=1, level=(80, 95), id_col="unique_id", time_col="ds",
          value_col="y", period=None, errors="raise", **options):
    """Forecasts every series of a long-format DataFrame (columns unique_id,
    ds, y; the rows of a series in time order) with the model spec.
    Returns a DataFrame with columns unique_id, step, ds, mean, lo80, hi80,
    lo95, hi95 (the CLI's `tsf batch --format long` output).  errors="raise"
    stops at the first series that fails (TsfError naming it); "coerce"
    gives that series one row with NaN numbers and the reason in column
    error."""
    import pandas as pd
    for c in (id_col, time_col, value_col):
        if c not in df.columns:
            raise ValueError(f"batch: no column {c!r} (columns: {', '.join(map(str, df.columns))})")
    if errors not in ("raise", "coerce"):
        raise ValueError("errors must be 'raise' or 'coerce'")
    lv = [_level_key(v) for v in _levels(level)]
    rows = []
    for uid, g in df.groupby(id_col, sort=False):
        try:
            m = Model(spec, period=period, **options)
            m.fit(g[value_col].to_numpy(), time=g[time_col].to_numpy())
            fc = m.forecast(h, level=lv)
        except TsfError as e:
            if errors == "raise":
                raise TsfError(f"series {uid}: {e}", e.status) from None
            row = {id_col: uid, "step": 1, time_col: None, "mean": np.nan}
            for k in lv:
                row[f"lo{k}"] = row[f"hi{k}"] = np.nan
            row["error"] = str(e)
            rows.append(row)
            continue
        for i in range(h):
            row = {id_col: uid, "step": i + 1, time_col: fc.time[i], "mean": fc.mean[i]}
            for k in lv:
                row[f"lo{k}"] = fc.lower[k][i]
                row[f"hi{k}"] = fc.upper[k][i]
            row["error"] = ""
            rows.append(row)
    return pd.DataFrame(rows)
