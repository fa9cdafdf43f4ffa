#!/usr/bin/python3
"""run_cases - run the ddf script cases stored as data in cases/*.ddft (format: README.md)
and compare each one's stdout, stderr and exit status with what the case expects.

    run_cases.py --ddf PATH [--filter NAME] [--update] [--timeout S] [-j N] [--cases DIR]

Each case runs in a fresh temporary directory holding the case's files, which is ddf's
current directory, as `ddf --workers N [ARGS] [script.py]` with the case's script written
to script.py (so errors name it script.py:LINE:COL), on a local cluster of its own (the
environment's DDF_REDIS is removed; `%% workers 0` leaves --workers out). A case gets
--timeout seconds (default 60, or its own `%% timeout`); past that its process group is
killed and the case fails. Outputs are compared exactly, after replacing the temporary
directory's path with $CASEDIR; a failure prints a unified diff of what differs. A
sanitizer build's reports (ASan, LSan, UBSan) of ddf or of its workers are collected
through ASAN_OPTIONS/UBSAN_OPTIONS log_path: any report fails the case and is printed.
--filter runs the cases whose name contains NAME.

--update (maintainers only, never CI) rewrites each case's stdout, stderr and exit
sections from what ddf printed (a `%% stderr-contains` section is kept as written); look
at the diff before committing it.

Exit status: 0 when every case passed, 1 when one failed, 2 for bad usage or a case file
that does not parse.
"""
import argparse
import concurrent.futures
import difflib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

SECTIONS = {"file", "args", "workers", "timeout", "script", "stdin", "stdout", "stderr",
            "stderr-contains", "exit"}
# sections whose header line carries the value and which hold no text
INLINE = {"args", "workers", "timeout", "exit"}
SCRIPT_NAME = "script.py"


class CaseError(Exception):
    pass


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.preamble = []   # comment lines before the first section
        self.sections = []   # [keyword, argument, text] in file order
        self.files = []      # (name, text)
        self.args = []
        self.workers = 1
        self.timeout = None
        self.script = None
        self.stdin = None
        self.stdout = ""
        self.stderr = ""
        self.stderr_contains = None
        self.exit = 0

    def section(self, keyword):
        for s in self.sections:
            if s[0] == keyword:
                return s
        return None


def parse_case(path):
    """Parse one .ddft file; raises CaseError naming the line for a malformed one."""
    case = Case(path)
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    current = None
    for no, line in enumerate(lines, 1):
        if line.startswith("%% "):
            words = line[3:].rstrip("\r\n").split(None, 1)
            if not words or words[0] not in SECTIONS:
                raise CaseError("%s:%d: unknown section %r" % (path, no, line.rstrip()))
            current = [words[0], words[1] if len(words) > 1 else "", ""]
            case.sections.append(current)
            continue
        if current is None:
            if line.strip() and not line.startswith("#"):
                raise CaseError("%s:%d: text before the first section must be # comments"
                                % (path, no))
            case.preamble.append(line)
            continue
        if current[0] in INLINE:
            if line.strip():
                raise CaseError("%s:%d: '%%%% %s' takes no text" % (path, no, current[0]))
            continue
        if line.startswith("%%%"):
            line = line[1:]
        current[2] += line
    if not case.preamble or not case.preamble[0].startswith("#"):
        raise CaseError("%s:1: a case starts with a '# what it checks' line" % path)
    seen = set()
    for kw, arg, text in case.sections:
        if kw != "file" and kw in seen:
            raise CaseError("%s: section '%s' given twice" % (path, kw))
        seen.add(kw)
        try:
            if kw == "file":
                if not arg or arg.startswith("/") or ".." in arg.split("/"):
                    raise CaseError("%s: '%%%% file' needs a relative name" % path)
                case.files.append((arg, text))
            elif kw == "args":
                case.args = shlex.split(arg)
            elif kw == "workers":
                case.workers = int(arg)
            elif kw == "timeout":
                case.timeout = float(arg)
            elif kw == "script":
                case.script = text
            elif kw == "stdin":
                case.stdin = text
            elif kw == "stdout":
                case.stdout = text
            elif kw == "stderr":
                case.stderr = text
            elif kw == "stderr-contains":
                case.stderr_contains = [l for l in text.splitlines() if l.strip()]
            elif kw == "exit":
                case.exit = int(arg)
        except ValueError:
            raise CaseError("%s: bad value for '%s': %r" % (path, kw, arg))
    if "stderr" in seen and "stderr-contains" in seen:
        raise CaseError("%s: give either stderr or stderr-contains" % path)
    return case


def write_case(case, stdout, stderr, code):
    """Rewrite case.path with its expected sections replaced by what ddf printed."""
    want = {"stdout": stdout, "stderr": stderr}
    out = list(case.preamble)
    sections = [list(s) for s in case.sections]
    keys = [s[0] for s in sections]
    for kw in ("stdout", "stderr"):
        if kw not in keys and want[kw] and not (kw == "stderr" and "stderr-contains" in keys):
            sections.append([kw, "", ""])
    if "exit" not in keys:
        sections.append(["exit", "", ""])
    for s in sections:
        kw = s[0]
        if kw in want:
            s[2] = want[kw]
        if kw == "exit":
            s[1] = str(code)
    # expected sections last, in a fixed order, after the inputs
    order = {"stdout": 1, "stderr": 2, "stderr-contains": 2, "exit": 3}
    sections.sort(key=lambda s: order.get(s[0], 0))
    for kw, arg, text in sections:
        if kw in want and not text and kw not in keys:
            continue
        out.append("%% " + kw + (" " + arg if arg else "") + "\n")
        if kw not in INLINE:
            for line in text.splitlines(keepends=True):
                out.append("%" + line if line.startswith("%%") else line)
            if text and not text.endswith("\n"):
                out.append("\n")  # cannot keep a missing final newline
    with open(case.path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


def sanitizer_env(env, logdir):
    """Make ASan/LSan/UBSan reports of ddf and of the workers it starts (whose stderr goes
    to files the local cluster deletes) land in 'logdir'; harmless without sanitizers."""
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        prefix = "asan" if var == "ASAN_OPTIONS" else "ubsan"
        opts = env.get(var, "")
        env[var] = (opts + ":" if opts else "") + "log_path=" + os.path.join(logdir, prefix)
    return env


def sanitizer_reports(logdir, limit=80):
    """The text of every sanitizer report in 'logdir' ('' when there is none)."""
    text = ""
    for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
        with open(os.path.join(logdir, name), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines(True)
        text += "sanitizer report %s:\n" % name + "".join(lines[:limit])
        if len(lines) > limit:
            text += "... (%d more lines)\n" % (len(lines) - limit)
    return text


def run_case(case, ddf, timeout):
    """Run one case; returns (stdout, stderr, exit status or None on timeout, seconds,
    sanitizer reports)."""
    with tempfile.TemporaryDirectory(prefix="ddf-case-") as root:
        tmp = os.path.join(os.path.realpath(root), "work")
        logdir = os.path.join(os.path.realpath(root), "sanitizer")
        os.mkdir(tmp)
        os.mkdir(logdir)
        for name, text in case.files:
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        argv = [ddf] + (["--workers", str(case.workers)] if case.workers else []) + case.args
        if case.script is not None:
            with open(os.path.join(tmp, SCRIPT_NAME), "w", encoding="utf-8") as f:
                f.write(case.script)
            argv.append(SCRIPT_NAME)
        env = sanitizer_env(dict(os.environ), logdir)
        env.pop("DDF_REDIS", None)
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=tmp, env=env, start_new_session=True,
                                stdin=subprocess.PIPE if case.stdin is not None
                                else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(
                case.stdin.encode() if case.stdin is not None else None,
                timeout=case.timeout or timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate(timeout=30)
            code = None
        elapsed = time.monotonic() - t0
        out = out.decode("utf-8", "replace").replace(tmp, "$CASEDIR")
        err = err.decode("utf-8", "replace").replace(tmp, "$CASEDIR")
        return out, err, code, elapsed, sanitizer_reports(logdir)


def diff(what, want, got):
    lines = difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                 "expected " + what, "actual " + what)
    text = ""
    for line in lines:
        text += line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
    return text


def check(case, out, err, code):
    """The report of what differs (empty when the case passed)."""
    report = ""
    if code is None:
        report += "timed out\n"
    elif code != case.exit:
        report += "exit status %d, expected %d\n" % (code, case.exit)
    if out != case.stdout:
        report += diff("stdout", case.stdout, out)
    if case.stderr_contains is not None:
        for want in case.stderr_contains:
            if want not in err:
                report += "stderr lacks %r\n" % want
        if report and "stderr lacks" in report:
            report += "actual stderr:\n" + "".join("  " + l for l in err.splitlines(True))
    elif err != case.stderr:
        report += diff("stderr", case.stderr, err)
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ddf", required=True, help="the ddf program")
    ap.add_argument("--cases", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "cases"))
    ap.add_argument("--filter", default="", help="run only cases whose name contains this")
    ap.add_argument("--update", action="store_true",
                    help="rewrite expected sections from actual output (maintainers only)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="cases run at once")
    a = ap.parse_args()
    if not os.access(a.ddf, os.X_OK):
        print("run_cases: %s is not an executable" % a.ddf, file=sys.stderr)
        return 2
    names = sorted(n for n in os.listdir(a.cases) if n.endswith(".ddft"))
    cases = []
    for n in names:
        if a.filter and a.filter not in n[:-5]:
            continue
        try:
            cases.append(parse_case(os.path.join(a.cases, n)))
        except CaseError as e:
            print("run_cases: %s" % e, file=sys.stderr)
            return 2
    if not cases:
        print("run_cases: no case matches", file=sys.stderr)
        return 2
    failed = []
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        futures = [pool.submit(run_case, c, os.path.abspath(a.ddf), a.timeout) for c in cases]
        for case, fut in zip(cases, futures):
            out, err, code, secs, reports = fut.result()
            report = check(case, out, err, code)
            if not report and reports:
                report = reports
            elif reports:
                report += reports
            if not report:
                print("ok   %s (%.1f s)" % (case.name, secs), flush=True)
                continue
            if a.update and code is not None and not reports:
                write_case(case, out, err, code)
                print("UPDATED %s" % case.name, flush=True)
                continue
            failed.append(case.name)
            print("FAIL %s (%.1f s) %s" % (case.name, secs, case.path))
            sys.stdout.write("".join("     " + l for l in report.splitlines(True)))
            sys.stdout.flush()
    print("%d cases, %d failed (%.1f s)%s" % (len(cases), len(failed), time.monotonic() - t0,
                                              ": " + " ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
