"""Tests of the Python package against the tsf command-line program (an
independent consumer of the same library: its --json output is the
reference for fits and forecasts), closed-form properties, and the
package's own contract (dtypes, errors, leaks)."""
import csv
import json
import os
import subprocess

import numpy as np
import pytest

import tsf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("TSF_CLI", os.path.join(ROOT, "build", "tsf"))
DATA = os.path.join(ROOT, "datasets")


def dataset(name):
    with open(os.path.join(DATA, name + ".csv")) as f:
        rows = list(csv.reader(f))
    labels = [r[0] for r in rows[1:]]
    vals = np.array([float(r[-1]) if r[-1] not in ("", "NA") else np.nan for r in rows[1:]])
    return labels, vals


def cli_json(*args):
    out = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


CASES = [
    ("AirPassengers", "arima(0,1,1)(0,1,1)[12]"),
    ("AirPassengers", "auto"),
    ("Nile", "arima(1,1,1)"),
    ("lh", "ar"),
    ("USAccDeaths", "auto"),
    ("LakeHuron", "arima(2,0,0)"),
]


@pytest.mark.skipif(not os.access(CLI, os.X_OK), reason="the tsf program is not built")
@pytest.mark.parametrize("name,spec", CASES)
def test_fit_and_forecast_equal_cli(name, spec):
    labels, y = dataset(name)
    path = os.path.join(DATA, name + ".csv")
    ref = cli_json("fit", "-m", spec, path)
    m = tsf.Model(spec).fit(y, time=labels)
    info = m.info
    assert info["model"] == ref["model"]
    assert info["period"] == ref["period"]
    assert rel(info["loglik"], ref["loglik"]) < 1e-10
    assert rel(info["sigma2"], ref["sigma2"]) < 1e-10
    for k, v in ref["coef"].items():
        assert abs(info["coef"][k] - v) <= 1e-10 * max(1.0, abs(v))
    assert rel(m.loglik(y), ref["loglik"]) < 1e-10
    fref = cli_json("forecast", "-m", spec, "-h", "8", "--level", "80,95", path)
    fc = m.forecast(8, level=(80, 95))
    assert rel(fc.mean, fref["mean"]) < 1e-10
    assert rel(fc.se, fref["se"]) < 1e-10
    for lv in (80, 95):
        assert rel(fc.lower[lv], fref["lower"][str(lv)]) < 1e-10
        assert rel(fc.upper[lv], fref["upper"][str(lv)]) < 1e-10
    if "time" in fref:
        assert list(fc.time) == fref["time"]


@pytest.mark.skipif(not os.access(CLI, os.X_OK), reason="the tsf program is not built")
def test_missing_values_are_nan(tmp_path):
    labels, y = dataset("AirPassengers")
    y = y.copy()
    y[[5, 40, 41, 100]] = np.nan
    path = tmp_path / "gaps.csv"
    with open(path, "w") as f:
        f.write("time,value\n")
        for t, v in zip(labels, y):
            f.write(f"{t},{'NA' if np.isnan(v) else repr(v)}\n")
    ref = cli_json("fit", "-m", "arima(0,1,1)(0,1,1)[12]", str(path))
    m = tsf.Model("arima(0,1,1)(0,1,1)[12]").fit(y)
    assert rel(m.info["loglik"], ref["loglik"]) < 1e-10
    assert m.info["nobs"] == ref["nobs"]


def test_state_sums_to_loglik():
    _, y = dataset("Nile")
    m = tsf.Model("arima(1,1,1)").fit(y)
    st = m.state()
    total = sum(st.update(v) for v in y)
    assert abs(total - m.loglik(y)) < 1e-8 * abs(total)
    fc = st.forecast(3)
    assert rel(fc.mean, m.forecast(3).mean) < 1e-9


def test_save_load_roundtrip(tmp_path):
    _, y = dataset("USAccDeaths")
    m = tsf.Model("arima(0,1,1)(0,1,1)[12]").fit(y)
    p = tmp_path / "m.safetensors"
    m.save(p)
    m2 = tsf.load(p)
    assert m2.info["loglik"] == m.info["loglik"]
    assert np.array_equal(m2.forecast(5, y=y).mean, m.forecast(5).mean)
    with pytest.raises(tsf.TsfError, match="loaded from a file"):
        m2.forecast(5)
    st = m.state()
    for v in y[:30]:
        st.update(v)
    st.save(tmp_path / "s.safetensors")
    st2 = m2.load_state(tmp_path / "s.safetensors")
    assert st2.update(y[30]) == st.update(y[30])


def test_simulate_moments():
    # AR(1) with phi = 0.5, sigma2 = 1: stationary variance 1 / (1 - 0.25).
    rng = np.random.default_rng(3)
    e = rng.standard_normal(4000)
    y = np.empty_like(e)
    y[0] = e[0]
    for t in range(1, len(e)):
        y[t] = 0.5 * y[t - 1] + e[t]
    m = tsf.Model("arima(1,0,0)", include_mean=False).fit(y)
    s = m.simulate(2000, seed=7, npaths=20)
    assert s.shape == (20, 2000)
    assert abs(s.var() - 1 / 0.75) < 0.1
    assert np.array_equal(m.simulate(50, seed=7), s[0, :50])


DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
          np.float16, np.float32, np.float64]


@pytest.mark.parametrize("dt", DTYPES)
def test_every_real_dtype(dt):
    _, y = dataset("AirPassengers")
    small = np.round(y / 10.0)  # 10..62: representable in every dtype above
    m = tsf.Model("arima(1,1,0)").fit(small)
    want = m.loglik(small)
    assert m.loglik(small.astype(dt)) == want
    assert tsf.Model("arima(1,1,0)").fit(small.astype(dt)).info["loglik"] == m.info["loglik"]


def test_strides_and_containers():
    _, y = dataset("Nile")
    m = tsf.Model("arima(1,1,1)").fit(y)
    want = m.loglik(y)
    spaced = np.zeros(2 * len(y))
    spaced[::2] = y
    assert m.loglik(spaced[::2]) == want                     # strided view
    assert m.loglik(y[::-1].copy()[::-1]) == want            # negative stride
    assert m.loglik(np.column_stack([y, y])[:, 1]) == want    # column of a C array
    assert m.loglik(list(y)) == want                          # a list
    assert m.loglik(np.asfortranarray(y)) == want
    masked = np.ma.masked_array(y, mask=np.zeros(len(y), bool))
    masked.mask[3] = True
    gappy = y.copy()
    gappy[3] = np.nan
    assert m.loglik(masked) == m.loglik(gappy)                # masked = missing


@pytest.mark.parametrize("bad,exc", [
    (np.array([1 + 2j, 3 + 0j]), TypeError),
    (np.array([True, False, True]), TypeError),
    (np.array(["1", "2"]), TypeError),
    (np.ones((4, 2)), ValueError),
    (None, TypeError),
])
def test_refused_arrays(bad, exc):
    m = tsf.Model("arima(0,1,1)")
    with pytest.raises(exc):
        m.fit(bad)


def test_errors_carry_the_library_message():
    with pytest.raises(tsf.TsfError) as e:
        tsf.Model("arima(1,x,1)")
    assert e.value.status == "TSF_EPARSE"
    assert "arima(1,x,1)" in str(e.value) and "column" in str(e.value)
    with pytest.raises(tsf.TsfError, match="infinite"):
        tsf.Model("arima(0,1,1)").fit([1.0, 2.0, np.inf, 3.0, 4.0, 5.0])
    with pytest.raises(tsf.TsfError, match="not been fitted"):
        tsf.Model("arima(0,1,1)").forecast(3)
    _, y = dataset("Nile")
    m = tsf.Model("arima(0,1,1)").fit(y)
    with pytest.raises(tsf.TsfError, match="percentage"):
        m.forecast(3, level=150)
    with pytest.raises(tsf.TsfError) as e:
        tsf.load("/nonexistent/dir/model.safetensors")
    assert e.value.status == "TSF_EIO" and "/nonexistent/dir/model.safetensors" in str(e.value)
    with pytest.raises(tsf.TsfError, match="take no regressors"):
        tsf.Model("ar").fit(y, xreg=np.arange(len(y)))
    with pytest.raises(ValueError, match="rows"):
        tsf.Model("arima(0,1,1)").fit(y, xreg=np.ones((3, 1)))
    with pytest.raises(ValueError):
        m.forecast(0)


def test_regression_with_future_xreg():
    _, y = dataset("Nile")
    x = np.arange(len(y), dtype=float)
    m = tsf.Model("arima(1,0,0)").fit(y, xreg=x)
    assert "xreg1" in m.info["coef"] or len(m.info["coef"]) == 3
    fc = m.forecast(4, xreg_future=np.arange(len(y), len(y) + 4))
    assert fc.mean.shape == (4,)
    with pytest.raises(tsf.TsfError):
        m.forecast(4)  # the future regressors are missing


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Mallinfo2(__import__("ctypes").Structure):
    _fields_ = [(n, __import__("ctypes").c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]


def heap_in_use():
    """Bytes malloc has handed out and not got back (glibc's mallinfo2):
    exact, unlike RSS, so that a leak of one small struct per fit shows."""
    import ctypes
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _Mallinfo2
    m = libc.mallinfo2()
    return m.uordblks + m.hblkhd


def test_no_leaks_in_a_loop_of_fits():
    _, y = dataset("Nile")

    def once():
        m = tsf.Model("arima(1,1,1)").fit(y)
        m.forecast(10)
        st = m.state()
        st.update(y[0])
        st.forecast(2)
        try:
            tsf.Model("arima(1,x,1)")
        except tsf.TsfError:
            pass

    for _ in range(50):
        once()
    before, heap0 = rss_bytes(), heap_in_use()
    for _ in range(400):
        once()
    grown = rss_bytes() - before
    assert grown < 4 * 1024 * 1024, f"RSS grew by {grown} bytes over 400 fits"
    if heap0 is not None:
        leaked = heap_in_use() - heap0
        assert leaked < 100 * 1024, f"{leaked} bytes of heap kept over 400 fits"


@pytest.mark.skipif(not os.access(CLI, os.X_OK), reason="the tsf program is not built")
def test_batch_equals_cli():
    pd = pytest.importorskip("pandas")
    path = os.path.join(DATA, "monthly_long.csv")
    df = pd.read_csv(path)
    got = tsf.batch(df, "arima(0,1,1)(0,1,1)", h=3)
    out = subprocess.run([CLI, "batch", "--format", "long", "-m", "arima(0,1,1)(0,1,1)",
                          "-h", "3", "--quiet", path], capture_output=True, text=True, check=True)
    from io import StringIO
    ref = pd.read_csv(StringIO(out.stdout))
    assert list(got["unique_id"]) == list(ref["id"])
    assert list(got["ds"]) == list(ref["time"])
    for c in ("mean", "lo80", "hi80", "lo95", "hi95"):
        assert rel(got[c], ref[c]) < 1e-6  # the CLI prints 10 significant digits
    bad = pd.DataFrame({"unique_id": ["a"] * 3, "ds": ["2000-01", "2000-02", "2000-03"],
                        "y": [1.0, 2.0, 3.0]})
    with pytest.raises(tsf.TsfError, match="series a"):
        tsf.batch(bad, "arima(0,1,1)(0,1,1)[12]", h=2)
    coerced = tsf.batch(bad, "arima(0,1,1)(0,1,1)[12]", h=2, errors="coerce")
    assert coerced["error"][0] and np.isnan(coerced["mean"][0])


def test_forecast_frame():
    pd = pytest.importorskip("pandas")
    labels, y = dataset("AirPassengers")
    s = pd.Series(y, index=labels)
    fc = tsf.Model("arima(0,1,1)(0,1,1)").fit(s).forecast(2)
    fr = fc.to_frame()
    assert list(fr.columns) == ["time", "mean", "se", "lo80", "hi80", "lo95", "hi95"]
    assert list(fr["time"]) == ["1961-01", "1961-02"]


def test_pandas_dates_give_period_and_times():
    pd = pytest.importorskip("pandas")
    labels, y = dataset("AirPassengers")
    idx = pd.date_range("1949-01-01", periods=len(y), freq="MS")
    m = tsf.Model("arima(0,1,1)(0,1,1)").fit(pd.Series(y, index=idx))
    assert m.info["period"] == 12
    assert list(m.forecast(2).time) == ["1961-01", "1961-02"]
    q = pd.Series(np.arange(12.0) % 4 + np.arange(12.0), index=pd.date_range(
        "2000-01-01", periods=12, freq="QS"))
    assert list(tsf.Model("arima(0,1,0)").fit(q).forecast(1).time) == ["2003-Q1"]
