#!/usr/bin/env python3
"""test_cli.py - the `ddf` program's command line (client/ddf_main.c): flags, where the
script comes from, output formats, error messages and exit statuses (DESIGN §6, §7).

Exit statuses: 0 ok (also when the reader of the output went away), 1 script error, 2 usage,
3 cluster unreachable, 128+n stopped by signal n. Tests that run a script start a local
cluster of one worker (no --redis, no $DDF_REDIS); each process has a time limit.

usage: test_cli.py --ddf PATH --worker PATH [unittest args]
"""
import argparse
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from proc_util import children_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from redis_harness import RedisServer  # noqa: E402

DDF = None
WORKER = None
RUN_TIMEOUT_S = 60     # one ddf run over a local cluster (ASan builds are slow)
QUICK_TIMEOUT_S = 10   # one ddf run that never starts a cluster

SMALL_CSV = "a,b\n1,x\n2,y\n3,z\n"


def base_env(tmp):
    """The environment of every ddf run: a local cluster of our ddf-worker, files in 'tmp'."""
    env = dict(os.environ)
    for name in ("DDF_REDIS", "DDF_SECRET"):
        env.pop(name, None)
    env["DDF_WORKER_BIN"] = WORKER
    env["HOME"] = tmp
    env["TMPDIR"] = tmp  # the local cluster's directory lands here (checked for leftovers)
    return env


def wait_for(cond, timeout_s, what):
    """Poll 'cond' every 50 ms until it is true; fail after 'timeout_s'."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ddfcli")
        self.env = base_env(self.tmp)
        self.csv = os.path.join(self.tmp, "small.csv")
        with open(self.csv, "w") as f:
            f.write(SMALL_CSV)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ddf(self, *args, stdin="", timeout=RUN_TIMEOUT_S, workers=True):
        cmd = [DDF] + (["--workers", "1"] if workers else []) + list(args)
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=timeout)

    def assertLeftNothing(self):
        """No local cluster directory is left in TMPDIR."""
        left = [n for n in os.listdir(self.tmp) if n.startswith("ddf-local-")]
        self.assertEqual(left, [])

    def assertUsageError(self, r, message):
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("ddf: error: " + message), r.stderr)
        self.assertIn("usage: ddf", r.stderr)

    def assertCaretError(self, r, status, filename, line, source_line, column=None):
        """stderr is 'ddf: error: FILE:LINE:COL: message', the source line, a caret."""
        self.assertEqual(r.returncode, status, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 3, r.stderr)
        m = re.match(r"ddf: error: (.+):(\d+):(\d+): \S", lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(m.group(1), filename)
        self.assertEqual(int(m.group(2)), line)
        col = int(m.group(3))
        if column is not None:
            self.assertEqual(col, column, r.stderr)
        self.assertEqual(lines[1], "    " + source_line)
        self.assertEqual(lines[2], "    " + " " * (col - 1) + "^")

    # ---- help, version, usage errors (no cluster is started for any of these) ----

    def test_help_prints_usage_on_stdout_and_exits_0(self):
        for flag in ("--help", "-h"):
            r = self.ddf(flag, workers=False, timeout=QUICK_TIMEOUT_S)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith("usage: ddf "), r.stdout)
            for word in ("--redis", "--cluster", "--workers", "--secret-file", "--format",
                         "-e CODE", "exit status"):
                self.assertIn(word, r.stdout)
            self.assertEqual(r.stderr, "")

    def test_version_prints_the_version(self):
        r = self.ddf("--version", workers=False, timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^ddf \d+\.\d+\.\d+\n$")
        self.assertEqual(r.stderr, "")

    def test_unknown_option_is_a_usage_error(self):
        self.assertUsageError(self.ddf("--bogus", timeout=QUICK_TIMEOUT_S),
                              "unknown option --bogus")
        self.assertUsageError(self.ddf("-z", timeout=QUICK_TIMEOUT_S), "unknown option -z")

    def test_option_without_its_argument_is_a_usage_error(self):
        self.assertUsageError(self.ddf("-e", timeout=QUICK_TIMEOUT_S),
                              "-e needs an argument")
        self.assertUsageError(self.ddf("--redis", workers=False, timeout=QUICK_TIMEOUT_S),
                              "--redis needs an argument")

    def test_format_must_be_table_csv_or_json(self):
        r = self.ddf("--format", "xml", "-e", "1", timeout=QUICK_TIMEOUT_S)
        self.assertUsageError(r, "--format")
        for name in ("table", "csv", "json"):
            self.assertIn(name, r.stderr)

    def test_workers_must_be_a_positive_count(self):
        for bad in ("0", "x", "-1", "2x", "257", " 3", ""):
            r = self.ddf("--workers", bad, "-e", "1", workers=False, timeout=QUICK_TIMEOUT_S)
            self.assertUsageError(r, "--workers takes a count")

    def test_flags_that_do_not_go_together(self):
        self.assertUsageError(self.ddf("-e", "1", "script.py", timeout=QUICK_TIMEOUT_S),
                              "-e and a script")
        self.assertUsageError(self.ddf("-e", "1", "-e", "2", timeout=QUICK_TIMEOUT_S),
                              "-e may be given once")
        self.assertUsageError(self.ddf("a.py", "b.py", timeout=QUICK_TIMEOUT_S),
                              "unexpected argument 'b.py'")
        self.assertUsageError(self.ddf("--redis", "redis://127.0.0.1:1", "-e", "1",
                                       timeout=QUICK_TIMEOUT_S),
                              "--workers is for a local cluster")
        self.assertUsageError(self.ddf("--cluster", "c", "-e", "1", timeout=QUICK_TIMEOUT_S),
                              "--cluster needs --redis")
        secret = os.path.join(self.tmp, "secret")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        self.assertUsageError(self.ddf("--secret-file", secret, "-e", "1",
                                       timeout=QUICK_TIMEOUT_S),
                              "--secret-file needs --redis")

    def test_ddf_redis_in_the_environment_counts_as_redis(self):
        self.env["DDF_REDIS"] = "redis://127.0.0.1:1"
        self.assertUsageError(self.ddf("-e", "1", timeout=QUICK_TIMEOUT_S),
                              "--workers is for a local cluster; $DDF_REDIS")

    def test_unreadable_script_or_secret_file_is_a_usage_error(self):
        r = self.ddf(os.path.join(self.tmp, "nope.py"), timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot open the script", r.stderr)
        self.assertIn("nope.py", r.stderr)
        r = self.ddf("--redis", "redis://127.0.0.1:1", "--secret-file",
                     os.path.join(self.tmp, "nope"), "-e", "1", workers=False,
                     timeout=QUICK_TIMEOUT_S)
        self.assertUsageError(r, "cannot read the secret file")

    def test_malformed_redis_url_is_a_usage_error(self):
        r = self.ddf("--redis", "localhost:6379", "-e", "1", workers=False,
                     timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertTrue(r.stderr.startswith("ddf: error: "), r.stderr)
        self.assertIn("redis://", r.stderr)

    # ---- an unreachable cluster: status 3 ----

    def test_unreachable_redis_exits_3_with_a_clear_message(self):
        start = time.monotonic()
        r = self.ddf("--redis", "redis://127.0.0.1:1", "-e", "print(1)", workers=False,
                     timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("ddf: error: "), r.stderr)
        self.assertIn("127.0.0.1:1", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertLess(time.monotonic() - start, QUICK_TIMEOUT_S)

    def test_unreachable_redis_from_the_environment_exits_3(self):
        self.env["DDF_REDIS"] = "redis://127.0.0.1:1"
        r = self.ddf("-e", "print(1)", workers=False, timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 3, r.stderr)

    # ---- syntax errors: status 1, caret, before any cluster is started ----

    def test_syntax_error_in_e_code_shows_a_caret_and_exits_1(self):
        r = self.ddf("-e", "print(1 +)", timeout=QUICK_TIMEOUT_S)
        self.assertCaretError(r, 1, "<string>", 1, "print(1 +)", column=10)
        self.assertEqual(r.stdout, "")
        self.assertLeftNothing()

    def test_syntax_error_on_stdin_names_stdin_and_its_line(self):
        r = self.ddf(stdin="x = 1\ny = (2 +\n", timeout=QUICK_TIMEOUT_S)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.startswith("ddf: error: <stdin>:"), r.stderr)
        r = self.ddf("-", stdin="x = 1\nwhile x:\n    pass\n", timeout=QUICK_TIMEOUT_S)
        self.assertCaretError(r, 1, "<stdin>", 2, "while x:", column=1)

    def test_syntax_error_in_a_script_file_names_the_file(self):
        path = os.path.join(self.tmp, "bad.ddf")
        with open(path, "w") as f:
            f.write("x = [1, 2]\nprint(x))\n")
        r = self.ddf(path, timeout=QUICK_TIMEOUT_S)
        self.assertCaretError(r, 1, path, 2, "print(x))", column=9)

    # ---- running scripts (these need the interpreter, client/script_eval.c) ----

    def test_e_code_runs_and_prints(self):
        r = self.ddf("-e", "print(1 + 2)")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n", ""))
        self.assertLeftNothing()

    def test_script_from_stdin_when_it_is_not_a_terminal(self):
        script = "print(1 + 2)\nx = [1, 2]\nx\n"
        for args in ((), ("-",)):
            r = self.ddf(*args, stdin=script)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n[1, 2]\n", ""))

    def test_script_file_runs(self):
        path = os.path.join(self.tmp, "count.ddf")
        with open(path, "w") as f:
            f.write(f"df = read_csv({self.csv!r})\nlen(df)\n")
        r = self.ddf(path)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n", ""))

    def test_read_csv_and_len(self):
        r = self.ddf("-e", f"print(len(read_csv({self.csv!r})))")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n", ""))

    def test_each_format_prints_values_its_way(self):
        script = "print(1 + 2)\nx = [1, 2]\nx\n"
        want = {
            "table": "3\n[1, 2]\n",
            "csv": "3\n\n1\n2\n",
            "json": '{"kind":"print","values":[3]}\n{"kind":"list","values":[1,2]}\n',
        }
        for fmt, out in want.items():
            r = self.ddf("--format", fmt, stdin=script)
            self.assertEqual((r.returncode, r.stderr), (0, ""), fmt)
            self.assertEqual(r.stdout, out, fmt)
        r = self.ddf("--format=json", "-e", "7")
        self.assertEqual(r.stdout, '{"kind":"scalar","value":7}\n')

    def test_run_error_shows_a_caret_and_exits_1(self):
        r = self.ddf("-e", "x = 1\nprint(nosuch)")
        self.assertCaretError(r, 1, "<string>", 2, "print(nosuch)", column=7)
        self.assertIn("nosuch", r.stderr)
        self.assertLeftNothing()

    def test_output_before_a_run_error_is_kept(self):
        r = self.ddf("-e", "print(1)\nprint(nosuch)\nprint(2)")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "1\n")

    def test_missing_csv_is_a_script_error(self):
        r = self.ddf("-e", f"len(read_csv({os.path.join(self.tmp, 'nope.csv')!r}))")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.startswith("ddf: error: <string>:1:"), r.stderr)
        self.assertIn("nope.csv", r.stderr)

    # ---- output that cannot be written ----

    def big_output_script(self):
        """A script printing 64**3 lines (about 1.5 MB, far over a pipe's buffer)."""
        items = ", ".join(str(i) for i in range(64))
        return (f"x = [{items}]\n"
                "for i in x:\n"
                "    for j in x:\n"
                "        for k in x:\n"
                "            print(i, j, k)\n")

    def test_closed_pipe_ends_ddf_quietly_with_status_0(self):
        proc = subprocess.Popen([DDF, "--workers", "1", "-e", self.big_output_script()],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env)
        try:
            first = proc.stdout.readline()  # as `| head -1` does
            proc.stdout.close()
            status = proc.wait(timeout=RUN_TIMEOUT_S)
            err = proc.stderr.read()  # a message or two: the pipe held it
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        self.assertEqual(first, b"0 0 0\n")
        self.assertEqual(status, 0, err)
        self.assertEqual(err, b"")
        self.assertLeftNothing()

    def test_shell_pipe_into_head(self):
        # under pipefail the pipeline's status is ddf's unless ddf says 0
        r = subprocess.run(["/bin/bash", "-c",
                            'set -o pipefail; "$DDF" --workers 1 -e "$CODE" | head -1'],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                           env=dict(self.env, DDF=DDF, CODE=self.big_output_script()))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("0 0 0\n"), r.stdout)
        self.assertEqual(r.stderr, "")

    def test_full_disk_is_an_error(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        with open("/dev/full", "w") as full:
            r = subprocess.run([DDF, "--workers", "1", "-e", self.big_output_script()],
                               stdout=full, stderr=subprocess.PIPE, text=True, env=self.env,
                               timeout=RUN_TIMEOUT_S)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("ddf: error: cannot write the output", r.stderr)

    # ---- signals and the progress bar, during an action over a big file ----
    # (test_repl.py holds a worker still with SIGSTOP to interrupt an action at a known
    # point; a script cannot wait for the test, so here the action is made long instead.
    # A signal that comes at any time before ddf ends must give the same status.)

    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.mkdtemp(prefix="ddfcli")
        cls.big = os.path.join(cls.shared, "big.csv")
        block = "".join(f"{i},{i * 3},name{i % 100},{i * 0.5}\n" for i in range(100000))
        with open(cls.big, "w") as f:  # about 110 MB: most of a second of parsing
            f.write("a,b,c,d\n")
            for _ in range(40):
                f.write(block)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.shared, ignore_errors=True)

    def start_big_action(self):
        """Start ddf on a script counting the big file, with stdout a pseudo-terminal (so
        "ready" arrives at once, line-buffered) and stderr a pipe; return once its
        read_csv is done and the action starts. Returns the process and the pty's end."""
        master, slave = pty.openpty()
        script = f"df = read_csv({self.big!r})\nprint('ready')\nprint(len(df))\n"
        proc = subprocess.Popen([DDF, "--workers", "1", "-e", script], stdin=subprocess.DEVNULL,
                                stdout=slave, stderr=subprocess.PIPE, env=self.env)
        os.close(slave)
        seen = b""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while b"ready" not in seen and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        if b"ready" not in seen:
            proc.kill()
            _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
            os.close(master)
            self.fail(f"ddf did not get to its action: {seen!r} {err!r}")
        return proc, master

    def finish(self, proc, master):
        """Wait for ddf to end; returns its status and stderr."""
        try:
            _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        return proc.returncode, err.decode()

    def test_sigint_during_an_action_stops_the_cluster_and_exits_130(self):
        proc, master = self.start_big_action()
        children = children_of(proc.pid)
        self.assertIn("ddf-worker", children.values())
        self.assertIn("redis-server", children.values())
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        status, err = self.finish(proc, master)
        self.assertEqual(status, 130, err)
        self.assertEqual(err, "ddf: interrupted\n")
        for pid in children:  # the workers and redis-server are gone, not left running
            self.assertFalse(os.path.exists(f"/proc/{pid}"), children[pid])
        self.assertLeftNothing()

    def test_sigterm_during_an_action_exits_143(self):
        proc, master = self.start_big_action()
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        status, err = self.finish(proc, master)
        self.assertEqual(status, 143, err)
        self.assertLeftNothing()

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self):
        proc, master = self.start_big_action()
        status, err = self.finish(proc, master)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")


class RemoteClusterTest(unittest.TestCase):
    """ddf against a cluster it did not start: a private redis-server and one ddf-worker
    with a shared secret, named with --redis, --cluster and --secret-file."""

    CLUSTER = "clitest"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ddfcli")
        self.env = base_env(self.tmp)
        self.csv = os.path.join(self.tmp, "small.csv")
        with open(self.csv, "w") as f:
            f.write(SMALL_CSV)
        self.secret = os.path.join(self.tmp, "secret")
        with open(self.secret, "w") as f:
            f.write("t0p-s3cret\n")
        os.chmod(self.secret, 0o600)
        self.redis = RedisServer()
        self.redis.start()
        self.worker = subprocess.Popen(
            [WORKER, "--redis", self.redis.url, "--listen", "127.0.0.1:0", "--cluster",
             self.CLUSTER, "--secret-file", self.secret, "--data-root", self.tmp,
             "--threads", "2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self.env)
        r, _, _ = select.select([self.worker.stdout], [], [], RUN_TIMEOUT_S)
        line = self.worker.stdout.readline().decode() if r else ""
        self.assertTrue(line.startswith("listening on "), line)

    def tearDown(self):
        if self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        self.worker.stdout.close()
        self.redis.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ddf(self, *args, secret=None, cluster=None):
        cmd = [DDF, "--redis", self.redis.url, "--cluster", cluster or self.CLUSTER,
               "--secret-file", secret or self.secret] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env,
                              timeout=RUN_TIMEOUT_S)

    def test_script_runs_on_a_remote_cluster(self):
        r = self.ddf("-e", f"print(len(read_csv({self.csv!r})))")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n", ""))
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("ddf-local-")], [])

    def test_wrong_secret_means_the_cluster_cannot_be_reached(self):
        wrong = os.path.join(self.tmp, "wrong")
        with open(wrong, "w") as f:
            f.write("not-it\n")
        r = self.ddf("-e", f"print(len(read_csv({self.csv!r})))", secret=wrong)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertTrue(r.stderr.startswith("ddf: error: <string>:1:"), r.stderr)

    def test_cluster_without_workers_cannot_be_reached(self):
        r = self.ddf("-e", f"print(len(read_csv({self.csv!r})))", cluster="empty")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("ddf: error: ", r.stderr)

    def test_sigint_on_a_remote_cluster_exits_130_at_once(self):
        # nothing of ddf's to stop: it exits from the action, leaving the worker to finish
        big = os.path.join(self.tmp, "big.csv")
        block = "".join(f"{i},{i * 3},name{i % 100}\n" for i in range(100000))
        with open(big, "w") as f:
            f.write("a,b,c\n")
            for _ in range(40):
                f.write(block)
        master, slave = pty.openpty()
        script = f"df = read_csv({big!r})\nprint('ready')\nprint(len(df))\n"
        proc = subprocess.Popen([DDF, "--redis", self.redis.url, "--cluster", self.CLUSTER,
                                 "--secret-file", self.secret, "-e", script],
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                                env=self.env)
        os.close(slave)
        try:
            seen = b""
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while b"ready" not in seen and time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 0.1)
                if r:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    seen += chunk
            self.assertIn(b"ready", seen)
            time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(err, b"ddf: interrupted\n")
        self.assertIsNone(self.worker.poll())  # the cluster is not ddf's to stop


def main():
    global DDF, WORKER
    ap = argparse.ArgumentParser()
    ap.add_argument("--ddf", required=True)
    ap.add_argument("--worker", required=True)
    args, rest = ap.parse_known_args()
    DDF, WORKER = os.path.abspath(args.ddf), os.path.abspath(args.worker)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
