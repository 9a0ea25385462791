"""Shared helpers of the end-to-end CLI tests (cli_test.py, impute_test.py,
evaluate_test.py): run the tsf program, count checks, the one-line error
contract of bad input, temporary files, the final report.  Each script
calls setup(sys.argv) first (argv: SCRIPT TSF_BINARY SOURCE_DIR; the
working directory becomes SOURCE_DIR) and ends with finish()."""
import os, subprocess, sys, tempfile

tsf = None
tmp = None
failures = []
ran = 0


def setup(argv):
    global tsf, tmp
    tsf = os.path.abspath(argv[1])
    os.chdir(argv[2])
    tmp = tempfile.mkdtemp()


def run(args, stdin=None, timeout=300):
    p = subprocess.run([tsf] + args, capture_output=True, text=True, input=stdin,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    global ran
    ran += 1
    if not cond:
        failures.append(f"{name}: {detail}")


def bad(name, args, rc, *needles):
    """args must fail with exit rc, one line "tsf: ..." on stderr holding
    every needle, nothing on stdout, no signal."""
    code, out, err = run(args)
    check(name + " status", code == rc, f"exit {code}, expected {rc}; stderr={err!r}")
    check(name + " one line", err.count("\n") == 1 and err.startswith("tsf: "), repr(err))
    for n in needles:
        check(name + " message", n in err, f"{err!r} lacks {n!r}")
    check(name + " no stdout", out == "", repr(out[:200]))
    check(name + " no signal", code >= 0, str(code))


def tmpfile(name, content, mode="w"):
    path = os.path.join(tmp, name)
    with open(path, mode) as f:
        f.write(content)
    return path


def finish():
    print(f"{ran - len(failures)} passed, {len(failures)} failed")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)
