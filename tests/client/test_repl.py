#!/usr/bin/env python3
"""test_repl.py - the `ddf` REPL (client/repl.c, client/ddf_main.c) driven through a
pseudo-terminal, as a person at a terminal drives it.

Each test starts `ddf --workers 1` on a pty (so stdin is a terminal and ddf prompts) with
TERM=dumb (plain echo, no cursor escapes) and a temporary HOME (its history file), sends
keystrokes and reads the screen: the `>>> ` and `... ` prompts, an error with its caret that
does not end the session, Ctrl-C and Ctrl-D, history across two sessions, Tab completion,
and, with the worker held still by SIGSTOP, the progress bar and Ctrl-C during an action.
Every read has a deadline.

usage: test_repl.py --ddf PATH --worker PATH [unittest args]
"""
import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import stat
import struct
import sys
import tempfile
import termios
import time
import unittest

from proc_util import children_of, proc_state

DDF = None
WORKER = None
START_TIMEOUT_S = 60  # the local cluster's start (slow under ASan)
STEP_TIMEOUT_S = 30   # one entry's answer
EXIT_TIMEOUT_S = 30   # ddf ending and stopping its cluster

PROMPT = ">>> "
MORE = "... "
CTRL_C, CTRL_D, CTRL_P = "\x03", "\x04", "\x10"


class Repl:
    """A ddf REPL on a pseudo-terminal. The screen is read into 'text' (CRs dropped);
    'pos' is how far expect() has consumed it."""

    def __init__(self, env, extra=()):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: exec at once, nothing else
            os.execve(DDF, [DDF, "--workers", "1"] + list(extra), env)
        # a wide screen: echoed lines never wrap
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        self.raw = b""
        self.pos = 0
        self.status = None

    @property
    def text(self):
        return self.raw.decode("utf-8", "replace").replace("\r", "")

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.raw += chunk
        return True

    def expect(self, pattern, timeout=STEP_TIMEOUT_S):
        """Wait until 'pattern' (a regex) appears after 'pos'; return the text from 'pos' to
        the end of the match and move 'pos' there."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                out = self.text[self.pos:m.end()]
                self.pos = m.end()
                return out
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.1)):
                if not rx.search(self.text, self.pos):
                    raise AssertionError(f"no {pattern!r} within {timeout} s; screen after "
                                         f"what was consumed:\n{self.text[self.pos:]!r}")

    def prompt(self, timeout=STEP_TIMEOUT_S):
        """Everything up to the next `>>> ` prompt (without it). A prompt starts a line:
        libedit's redraws of the line being edited ("\r>>> abcdef") do not count."""
        return self.expect(r"(?:\A|\n)" + re.escape(PROMPT), timeout)[:-len(PROMPT)]

    def send(self, keys, editing=True):
        """Type 'keys'. With 'editing', first wait until libedit has the terminal (echo
        off): keys typed ahead of that are echoed once by the terminal and once by
        libedit, as they would be for a person who types ahead."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while editing and termios.tcgetattr(self.fd)[3] & termios.ECHO:
            if time.monotonic() > deadline:
                raise AssertionError("the terminal never left echo mode")
            self._read(0.01)
        os.write(self.fd, keys.encode())

    def line(self, text):
        """Type a line and press Enter; returns what the screen showed up to the next
        prompt of either kind, the echo of the line removed."""
        self.send(text + "\n")
        out = self.expect(f"\\n(?:{re.escape(PROMPT)}|{re.escape(MORE)})")
        echo = text + "\n"
        self.assertStartsWith(out, echo)
        return out[len(echo):]

    @staticmethod
    def assertStartsWith(out, head):
        if not out.startswith(head):
            raise AssertionError(f"expected {head!r} first, got {out!r}")

    def wait(self, timeout=EXIT_TIMEOUT_S):
        """Wait for ddf to exit (draining the screen); returns its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            self._read(0.05)
        raise AssertionError(f"ddf did not exit within {timeout} s:\n{self.text[self.pos:]!r}")

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


class ReplTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ddfrepl")
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.csv = os.path.join(self.tmp, "small.csv")
        with open(self.csv, "w") as f:
            f.write("a,b\n1,x\n2,y\n3,z\n")
        self.env = dict(os.environ)
        for name in ("DDF_REDIS", "DDF_SECRET", "EDITRC"):
            self.env.pop(name, None)
        self.env.update(DDF_WORKER_BIN=WORKER, HOME=self.home, TMPDIR=self.tmp, TERM="dumb")
        self.repls = []

    def tearDown(self):
        for r in self.repls:
            r.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, env=None):
        r = Repl(env or self.env)
        self.repls.append(r)
        r.prompt(START_TIMEOUT_S)
        return r

    def quit(self, r):
        r.send(CTRL_D)
        self.assertEqual(r.wait(), 0)

    def assertLeftNothing(self):
        left = [n for n in os.listdir(self.tmp) if n.startswith("ddf-local-")]
        self.assertEqual(left, [])

    # ---- entries, continuation lines, errors ----

    def test_expression_prints_and_the_prompt_returns(self):
        r = self.start()
        self.assertEqual(r.line("print(1 + 2)"), "3\n" + PROMPT)
        self.assertEqual(r.line("x = [1, 2]"), PROMPT)
        self.assertEqual(r.line("x"), "[1, 2]\n" + PROMPT)
        self.assertEqual(r.line(""), PROMPT)  # Enter on an empty prompt does nothing
        self.quit(r)
        self.assertLeftNothing()

    def test_open_bracket_continues_on_a_dots_prompt(self):
        r = self.start()
        self.assertEqual(r.line("x = [1,"), MORE)
        self.assertEqual(r.line("     2,"), MORE)
        self.assertEqual(r.line(""), MORE)  # still inside the bracket
        self.assertEqual(r.line("3]"), PROMPT)
        self.assertEqual(r.line("print(x)"), "[1, 2, 3]\n" + PROMPT)
        self.quit(r)

    def test_for_block_runs_after_a_blank_line(self):
        r = self.start()
        self.assertEqual(r.line("for i in [1, 2]:"), MORE)
        self.assertEqual(r.line("    print(i)"), MORE)
        self.assertEqual(r.line("    print(i + 10)"), MORE)
        self.assertEqual(r.line(""), "1\n11\n2\n12\n" + PROMPT)
        self.quit(r)

    def test_syntax_error_shows_a_caret_and_the_session_goes_on(self):
        r = self.start()
        self.assertEqual(r.line("y = 7"), PROMPT)
        out = r.line("print(1 +)")
        lines = out.split("\n")
        self.assertRegex(lines[0], r"^ddf: error: <stdin>:1:10: \S")
        self.assertEqual(lines[1], "    print(1 +)")
        self.assertEqual(lines[2], "    " + " " * 9 + "^")
        self.assertEqual(lines[3], PROMPT)
        self.assertEqual(r.line("print(y)"), "7\n" + PROMPT)
        self.quit(r)

    def test_run_error_keeps_the_session_and_its_variables(self):
        r = self.start()
        self.assertEqual(r.line("y = 7"), PROMPT)
        out = r.line("print(nosuch)")
        self.assertRegex(out, r"^ddf: error: <stdin>:1:7: .*nosuch")
        self.assertTrue(out.endswith("\n    print(nosuch)\n          ^\n" + PROMPT), out)
        self.assertEqual(r.line("print(y)"), "7\n" + PROMPT)
        self.quit(r)

    def test_read_csv_and_len(self):
        r = self.start()
        self.assertEqual(r.line(f"df = read_csv({self.csv!r})"), PROMPT)
        self.assertEqual(r.line("len(df)"), "3\n" + PROMPT)
        self.quit(r)

    # ---- Ctrl-C, Ctrl-D, signals ----

    def test_ctrl_c_drops_the_line_being_typed(self):
        r = self.start()
        self.assertEqual(r.line("x = (1,"), MORE)
        r.send(CTRL_C)
        r.prompt()
        r.send("print(8")  # half a line, then Ctrl-C: nothing of it runs
        r.send(CTRL_C)
        r.prompt()
        self.assertEqual(r.line("print(9)"), "9\n" + PROMPT)
        self.quit(r)

    def test_ctrl_d_exits_0_and_stops_the_cluster(self):
        r = self.start()
        children = children_of(r.pid)
        self.assertIn("ddf-worker", children.values())
        self.quit(r)
        for pid in children:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), children[pid])
        self.assertLeftNothing()

    def test_ctrl_d_in_a_continuation_exits_0(self):
        r = self.start()
        self.assertEqual(r.line("x = [1,"), MORE)
        self.quit(r)

    def test_sigterm_at_the_prompt_exits_143(self):
        r = self.start()
        os.kill(r.pid, signal.SIGTERM)
        self.assertEqual(r.wait(), 143)
        self.assertLeftNothing()

    # ---- history and completion ----

    def test_history_is_kept_across_sessions(self):
        r = self.start()
        self.assertEqual(r.line("h = 41"), PROMPT)
        self.assertEqual(r.line("print(h)"), "41\n" + PROMPT)
        self.quit(r)
        path = os.path.join(self.home, ".ddf_history")
        self.assertTrue(os.path.exists(path))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        r = self.start()
        r.send(CTRL_P + CTRL_P)  # two entries back: "h = 41"
        r.send("\n")
        r.prompt()
        r.send(CTRL_P)  # one back: the "h = 41" just run
        r.send(CTRL_P)  # two back: "print(h)"
        r.send("\n")
        self.assertIn("41\n", r.prompt())
        self.quit(r)

    def test_history_is_bounded(self):
        path = os.path.join(self.home, ".ddf_history")
        with open(path, "w") as f:  # libedit's format: a header, then one entry a line
            f.write("_HiStOrY_V2_\n")
            for i in range(1500):
                f.write(f"old{i}\n")
        r = self.start()
        self.assertEqual(r.line("newest = 1"), PROMPT)
        self.quit(r)
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertLessEqual(len(lines), 1 + 1000)
        self.assertEqual(lines[-1], "newest\\040=\\0401")  # strvis: spaces as \040
        self.assertEqual(lines[-2], "old1499")

    def test_no_history_file_without_home(self):
        env = dict(self.env)
        del env["HOME"]
        r = self.start(env)
        self.assertEqual(r.line("print(5)"), "5\n" + PROMPT)
        self.quit(r)
        self.assertEqual(os.listdir(self.home), [])

    def test_tab_completes_a_session_name(self):
        r = self.start()
        self.assertEqual(r.line("abcdef = 3"), PROMPT)
        r.send("abc\t")
        r.expect("abcdef")
        r.send("\n")
        self.assertIn("3\n", r.prompt())
        r.send("pri\t(abcdef + 1)\n")
        self.assertIn("4\n", r.prompt())
        self.quit(r)

    def test_tab_lists_the_candidates_when_they_diverge(self):
        r = self.start()
        self.assertEqual(r.line("apple = 1"), PROMPT)
        self.assertEqual(r.line("apricot = 2"), PROMPT)
        r.send("ap\t")
        listing = r.expect("apricot.*\n")
        self.assertIn("apple", listing)
        r.expect(re.escape(PROMPT + "ap"))  # the line is drawn again under the list
        r.send("r\t\n")  # "apr" + Tab is apricot
        self.assertIn("2\n", r.prompt())
        self.quit(r)

    # ---- an action held still: the progress bar and Ctrl-C during a run ----

    def hold_worker(self, r):
        """SIGSTOP the session's worker(s): the next action waits until SIGCONT."""
        workers = [p for p, n in children_of(r.pid).items() if n == "ddf-worker"]
        self.assertEqual(len(workers), 1)
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + STEP_TIMEOUT_S
        for pid in workers:  # stopped for sure before the action is asked for
            while proc_state(pid) != "T":
                self.assertLess(time.monotonic(), deadline, "the worker did not stop")
                time.sleep(0.01)
        return workers

    def test_progress_bar_shows_on_a_terminal_and_is_wiped(self):
        r = self.start()
        self.assertEqual(r.line(f"df = read_csv({self.csv!r})"), PROMPT)
        workers = self.hold_worker(r)
        try:
            r.send("len(df)\n")
            r.expect(r"\[ *\]  0/1 partitions  0 rows/s  \d+\.\ds")  # after half a second
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
        r.prompt()
        # the bar is wiped (spaces over it, back to the line's start) before the result
        self.assertRegex(r.raw, rb"s\r +\r3\r\n")
        self.quit(r)

    def test_ctrl_c_during_an_action_returns_to_the_prompt(self):
        r = self.start()
        self.assertEqual(r.line(f"df = read_csv({self.csv!r})"), PROMPT)
        workers = self.hold_worker(r)
        try:
            r.send("len(df)\n")
            r.expect("partitions")  # the action is out, waiting on the stopped worker
            r.send(CTRL_C, editing=False)  # the terminal's own ^C: SIGINT
            out = r.prompt()  # the action is given up: the prompt is back at once
            self.assertIn("ddf: interrupted\n", out)
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
        # the same worker serves the next entry: the session and its frame go on
        self.assertEqual(r.line("len(df)"), "3\n" + PROMPT)
        self.assertEqual(set(workers), {p for p, n in children_of(r.pid).items()
                                        if n == "ddf-worker"})
        self.quit(r)
        self.assertLeftNothing()


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
