#!/usr/bin/env python3
"""libtsf.so exports exactly the functions declared TSF_API in include/tsf/.

Usage: check_exports.py LIBTSF_SO INCLUDE_DIR

The declarations are read from the headers (every `TSF_API <type> name(`),
the exports from `nm -D --defined-only`; any symbol in one list and not in
the other fails the test: an extra export is an internal function leaking
into the ABI, a missing one a public function the library does not give."""
import glob
import os
import re
import subprocess
import sys

DECL = re.compile(r"\bTSF_API\b[^;{(]*?\b(tsf_\w+)\s*\(", re.S)


def declared(include_dir):
    """The TSF_API names, and the prototypes that lack TSF_API."""
    names, unmarked = set(), []
    for path in sorted(glob.glob(os.path.join(include_dir, "tsf", "*.h"))):
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # comments
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)     # the macro's own definition
        names.update(DECL.findall(text))
        for stmt in text.split(";"):
            m = re.search(r"\b(tsf_\w+)\s*\(", stmt)
            last = stmt.split("}")[-1]  # the part after a struct body
            if m and "TSF_API" not in last and not last.lstrip().startswith("typedef"):
                unmarked.append(f"{os.path.basename(path)}: {m.group(1)}")
    return names, unmarked


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "TtiDdBbRrVvWwuG" and not parts[2].startswith("_"):
            names.add(parts[2].split("@")[0])
    return names


def main():
    lib, include_dir = sys.argv[1], sys.argv[2]
    (decl, unmarked), exp = declared(include_dir), exported(lib)
    for u in unmarked:
        print("public prototype without TSF_API (hidden in the library):", u)
    if not decl:
        print("no TSF_API declarations found under", include_dir)
        return 1
    extra, missing = sorted(exp - decl), sorted(decl - exp)
    for s in extra:
        print("exported but not declared TSF_API in include/tsf:", s)
    for s in missing:
        print("declared TSF_API but not exported by", lib + ":", s)
    print(f"{len(decl)} declared, {len(exp)} exported, {len(extra)} extra, {len(missing)} missing")
    return 1 if extra or missing or unmarked else 0


if __name__ == "__main__":
    sys.exit(main())
