#!/usr/bin/env python3
"""Reads a safetensors file written by tsf (tests/st_sample.c) with nothing
but struct and json, following the published format
(https://github.com/huggingface/safetensors#format), and checks every byte
means what tsf meant.  Exit 0 on success, 1 with a message otherwise."""
import json
import math
import struct
import sys

SIZES = {"F64": 8, "F32": 4, "I64": 8}
CODES = {"F64": "d", "F32": "f", "I64": "q"}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


EXPECTED = {
    "coef": ("F64", [2, 3], [0.5, -0.25, 1e-300, 1.7976931348623157e308, -0.0,
                             3.141592653589793]),
    "w": ("F32", [4], [1.5, -2.0, f32(0.1), 65504.0]),
    "idx": ("I64", [3], [-(2 ** 63), 0, 42]),
    "scalar": ("F64", [], [2.5]),
    "empty": ("F32", [0, 3], []),
}
META = {"format": "tsf", "spec": "arima(1,1,1)(0,1,1)[12]", "note": "\u00fcnicode \"q\""}


def fail(msg):
    print("check_safetensors: " + msg)
    sys.exit(1)


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8:
        fail("header length %d is not a multiple of 8" % n)
    text = raw[8:8 + n].decode("utf-8")
    if not text.startswith("{") or text.rstrip(" ") != text.rstrip():
        fail("header padding is not spaces")
    header = json.loads(text)
    buf = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    if meta != META:
        fail("metadata %r != %r" % (meta, META))
    if set(header) != set(EXPECTED):
        fail("tensors %s != %s" % (sorted(header), sorted(EXPECTED)))
    spans = []
    for name, info in header.items():
        dtype, shape, values = EXPECTED[name]
        if info["dtype"] != dtype or info["shape"] != shape:
            fail("%s: %r" % (name, info))
        begin, end = info["data_offsets"]
        count = math.prod(shape)
        if end - begin != count * SIZES[dtype]:
            fail("%s: offsets %r do not match shape" % (name, info["data_offsets"]))
        if begin % SIZES[dtype]:
            fail("%s: data at %d is not aligned" % (name, begin))
        got = list(struct.unpack("<%d%s" % (count, CODES[dtype]), buf[begin:end]))
        # compare bit patterns so that -0.0 and the extremes count exactly
        want = struct.pack("<%d%s" % (count, CODES[dtype]), *values)
        if buf[begin:end] != want:
            fail("%s: values %r != %r" % (name, got, values))
        spans.append((begin, end))
    spans.sort()
    pos = 0
    for begin, end in spans:
        if begin != pos:
            fail("tensors do not tile the buffer at byte %d" % pos)
        pos = end
    if pos != len(buf):
        fail("%d stray bytes after the tensors" % (len(buf) - pos))
    try:  # the reference reader too, where installed
        from safetensors.numpy import load_file
    except ImportError:
        load_file = None
    if load_file:
        arrays = load_file(path)
        for name, (dtype, shape, values) in EXPECTED.items():
            if list(arrays[name].shape) != shape or arrays[name].ravel().tolist() != values:
                fail("safetensors.numpy disagrees on %s" % name)
    print("check_safetensors: %s OK (%d tensors)" % (path, len(spans)))


if __name__ == "__main__":
    main(sys.argv[1])
