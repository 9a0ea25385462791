#!/usr/bin/env python3
"""Writes the seed corpus of the model-file fuzz target (tests/fuzz_model/
corpus/): valid safetensors and tsf model files, and one file per class of
damage the reader must reject.  Run from this directory; the output is
checked in, crashes found by the fuzzer are added next to these seeds.
tsf_ar_*.safetensors are real files written by tsf_save from fitted ar
models (ar family branch), so the family's load() is fuzzed too; likewise
tsf_ets_*.safetensors (tsf fit -m "ets(MAdM)" -o ... datasets/AirPassengers.csv,
tsf fit -m "ets(ANN)" -o ... datasets/Nile.csv).
tsf_garch_t.safetensors was written by `tsf fit -m "garch(1,1, dist=t,
mean=arma(1,0))" --returns log -c DAX -o ...` on datasets/EuStockMarkets.csv;
tsf_garch_nonstationary.safetensors is a copy with alpha1 = 0.5 and
beta1 = 0.6, which the garch loader must refuse."""
import json
import os
import struct


def st(header, data=b"", pad=True, hlen=None):
    text = json.dumps(header, separators=(",", ":")).encode() if not isinstance(
        header, (bytes, str)) else (header.encode() if isinstance(header, str) else header)
    if pad:
        text += b" " * (-len(text) % 8)
    n = len(text) if hlen is None else hlen
    return struct.pack("<Q", n) + text + data


def t(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


def f64(*v):
    return struct.pack("<%dd" % len(v), *v)


def tsf_meta(family, spec, lam="none"):
    return {"format": "tsf", "tsf_version": "0.1.0", "family": family, "spec": spec,
            "lambda": lam, "fit_seconds": "0.01", "jacobian": "0"}


SEEDS = {
    "valid_empty": st({}),
    "valid_meta_only": st({"__metadata__": {"a": "b", "spec": "ar(2)"}}),
    "valid_three_dtypes": st({"a": t("F64", [2], 0, 16), "i": t("I64", [], 16, 24),
                              "f": t("F32", [1, 2], 24, 32)},
                             f64(1.5, -2.0) + struct.pack("<q", 7) + struct.pack("<2f", 1, 2)),
    "valid_zero_size": st({"z": t("F32", [0, 4], 0, 0), "a": t("F64", [1], 0, 8)}, f64(3.0)),
    "tsf_ar": st({"__metadata__": tsf_meta("ar", "ar(2)"),
                  "coef": t("F64", [2], 0, 16), "sigma2": t("F64", [1], 16, 24),
                  "mean": t("F64", [1], 24, 32)}, f64(0.5, -0.3, 1.2, 10.0)),
    "tsf_arima": st({"__metadata__": tsf_meta("arima", "arima(1,1,1)", "0"),
                     "coef": t("F64", [2], 0, 16), "sigma2": t("F64", [1], 16, 24)},
                    f64(0.4, -0.6, 0.9)),
    "tsf_auto": st({"__metadata__": tsf_meta("auto", "auto"),
                    "coef": t("F64", [1], 0, 8), "sigma2": t("F64", [1], 8, 16)},
                   f64(0.2, 1.0)),
    "tsf_gru": st({"__metadata__": tsf_meta("gru", "gru(hidden=4)"),
                   "w": t("F32", [4, 4], 0, 64)}, b"\0" * 64),
    "tsf_probe": st({"__metadata__": tsf_meta("probe", "probe(a=1, b=2)[12]"),
                     "coef": t("F64", [1], 0, 8)}, f64(0.5)),
    "tsf_probe_spec_mismatch": st({"__metadata__": tsf_meta("probe", "ar(1)")}),
    "tsf_bad_lambda": st({"__metadata__": tsf_meta("ar", "ar(1)", "x")}),
    "tsf_bad_spec": st({"__metadata__": tsf_meta("ar", "ar(")}),
    "too_short": b"\x08\0\0",
    "header_len_huge": st({}, hlen=2 ** 63),
    "header_len_past_end": st({}, hlen=64),
    "header_len_zero": struct.pack("<Q", 0),
    "bad_json": st('{"a":{"dtype":'),
    "not_object": st("[1,2,3]   "),
    "duplicate_key": st('{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},'
                        '"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}', f64(1)),
    "overlap": st({"a": t("F32", [2], 0, 8), "b": t("F32", [2], 4, 12)}, b"\0" * 12),
    "shape_mismatch": st({"a": t("F64", [3], 0, 16)}, f64(1, 2)),
    "shape_overflow": st({"a": t("F64", [2 ** 62, 2 ** 62, 4, 4], 0, 8)}, f64(1)),
    "unknown_dtype": st({"a": t("BF16", [2], 0, 4)}, b"\0" * 4),
    "hole": st({"a": t("F64", [1], 8, 16)}, f64(1, 2)),
    "trailing_bytes": st({"a": t("F64", [1], 0, 8)}, f64(1, 2)),
    "meta_not_string": st({"__metadata__": {"k": 1}}),
    "five_dims": st({"a": t("F64", [1, 1, 1, 1, 1], 0, 8)}, f64(1)),
    "negative_offset": st({"a": t("F64", [1], -8, 0)}, f64(1)),
    "nul_in_name": st('{"a\\u0000b":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}', f64(1)),
    "deep_json": st("{\"a\":" + "[" * 3000 + "]" * 3000 + "}"),
}

os.makedirs("corpus", exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join("corpus", name + ".safetensors"), "wb") as f:
        f.write(data)
