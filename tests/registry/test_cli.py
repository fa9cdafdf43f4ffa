#!/usr/bin/env python3
"""test_cli.py - ddf-registry end to end against a private redis-server.

Covers list (table and JSON Lines) with registered workers, watch (events in order, with
timestamps, clean exit on SIGTERM, resuming after a Redis restart), add/remove against a
minimal XML-RPC stub serving ddf.ping and ddf.shutdown, reap, --help, and the exit codes for
usage errors (2), a wrong password and a down Redis (3). Every wait is bounded.

usage: test_cli.py --cli PATH --fake-worker PATH
"""
import argparse
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from xmlrpc.server import SimpleXMLRPCServer

from redis_harness import RedisServer, free_port

CLI = None
FAKE = None
EVENT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (join|leave|dead|resync)( \S+)?$")


def run(*args, redis=None, env=None, timeout=20):
    cmd = [CLI] + (["--redis", redis] if redis else []) + list(args)
    e = dict(os.environ)
    e.pop("DDF_REDIS", None)
    e.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)


class Background:
    """A child process whose stdout and stderr lines are collected by reader threads."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.out, self.err = queue.Queue(), queue.Queue()
        self.out_lines, self.err_lines = [], []
        for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, q), daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line.rstrip("\n"))

    def wait_line(self, which, pred, timeout=5.0):
        """The first new line of stdout/stderr satisfying 'pred', or fail at the deadline."""
        q, seen = (self.out, self.out_lines) if which == "out" else (self.err, self.err_lines)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching %s line within %.1fs; saw %r"
                                     % (which, timeout, seen))
            try:
                line = q.get(timeout=left)
            except queue.Empty:
                continue
            seen.append(line)
            if pred(line):
                return line

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("%s did not exit within %.1fs" % (self.proc.args[0], timeout))


def fake_worker(redis, cluster, port, ttl_ms=2000, threads=4, mem=1 << 30, version="0.1.0"):
    wid = "http://127.0.0.1:%d/RPC2" % port
    w = Background([FAKE, redis.url, cluster, wid, str(ttl_ms), str(threads), str(mem), version])
    w.wait_line("out", lambda l: l == "ready")
    return w, wid


class Stub:
    """A minimal XML-RPC endpoint: ddf.ping returns a struct, ddf.shutdown records the call."""

    def __init__(self):
        self.shutdowns = 0
        self.server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
        self.server.register_function(self.ping, "ddf.ping")
        self.server.register_function(self.shutdown, "ddf.shutdown")
        self.url = "http://127.0.0.1:%d/RPC2" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def ping(self):
        return {"host": "stubhost", "pid": os.getpid(), "threads": 6, "version": "stub-1",
                "mem_limit": 1 << 20, "mem_used": 1024, "partitions": 2}

    def shutdown(self):
        self.shutdowns += 1
        return True

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()

    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: ddf-registry", r.stdout)
        for word in ("list", "watch", "add URL", "remove URL [--shutdown]", "reap",
                     "--redis URL", "--cluster NAME", "Exit status"):
            self.assertIn(word, r.stdout)
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("ddf-registry "))

    def test_usage_errors_exit_2(self):
        cases = [
            ((), "ddf-registry: error: no command (list, watch, add, remove, reap)"),
            (("frob",), "ddf-registry: error: unknown command \"frob\""),
            (("add",), "ddf-registry: error: add needs an endpoint URL"),
            (("add", "w1:70"), "ddf-registry: error: bad endpoint URL \"w1:70\""),
            (("list", "--format", "xml"), "ddf-registry: error: bad --format \"xml\""),
            (("list", "--bogus"), "ddf-registry: error: unknown option --bogus"),
            (("--redis", "redis://h", "list"),
             "ddf-registry: error: bad Redis URL \"redis://h\": missing port"),
            (("--cluster", "a:b", "list"), "ddf-registry: error: bad cluster name \"a:b\""),
        ]
        for args, msg in cases:
            r = run(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(msg), (args, r.stderr))

    def test_down_redis_exits_3_naming_the_url(self):
        port = free_port()
        url = "redis://127.0.0.1:%d" % port
        want = "ddf-registry: error: cannot reach Redis at %s: Connection refused\n" % url
        for args in (("list",), ("reap",), ("watch",), ("remove", "http://x:1/RPC2")):
            t0 = time.monotonic()
            r = run(*args, redis=url)
            self.assertEqual(r.returncode, 3, args)
            self.assertEqual(r.stderr, want)
            self.assertLess(time.monotonic() - t0, 5)
        r = run("list", env={"DDF_REDIS": url})  # the environment is used without --redis
        self.assertEqual((r.returncode, r.stderr), (3, want))

    def test_silent_redis_times_out_with_exit_3(self):
        with socket.socket() as s:  # accepts connections (backlog) but never answers
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            url = "redis://127.0.0.1:%d" % s.getsockname()[1]
            t0 = time.monotonic()
            r = run("--timeout", "300", "list", redis=url)
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(r.returncode, 3)
            self.assertEqual(r.stderr, "ddf-registry: error: Redis at %s did not answer PING "
                             "within 300 ms (is it Redis?)\n" % url)

    def test_password_right_wrong_and_missing(self):
        with RedisServer(password="pw-ok") as secured:
            base = "127.0.0.1:%d" % secured.port
            r = run("list", redis=secured.url)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("list", redis="redis://:nope@" + base)
            self.assertEqual(r.returncode, 3)
            self.assertTrue(r.stderr.startswith(
                "ddf-registry: error: Redis at redis://%s refused the credentials: WRONGPASS"
                % base), r.stderr)
            self.assertNotIn("nope", r.stderr)
            r = run("list", redis="redis://" + base)
            self.assertEqual(r.returncode, 3)
            self.assertEqual(r.stderr, "ddf-registry: error: Redis at redis://%s requires a "
                             "password: give it in the URL, redis://:PASSWORD@host:port\n" % base)

    def test_list_table_and_json(self):
        r = self.redis
        w1, id1 = fake_worker(r, "listc", 7101, threads=4, mem=1 << 30, version="v1")
        w2, id2 = fake_worker(r, "listc", 7102, threads=8, mem=2 << 30, version="v2")
        try:
            t = run("--cluster", "listc", "list", redis=r.url)
            self.assertEqual(t.returncode, 0, t.stderr)
            lines = t.stdout.splitlines()
            self.assertEqual(lines[0].split(), ["ID", "LEASE", "AGE", "THREADS", "MEMORY",
                                                "USED/LIMIT", "PARTITIONS", "VERSION", "UPTIME"])
            self.assertTrue(lines[1].startswith(id1) and lines[2].startswith(id2), lines)
            self.assertIn("256.0 MiB / 1.0 GiB", lines[1])
            self.assertIn(" v2 ", lines[2])
            self.assertEqual(lines[-1], "2 workers")

            j = run("list", "--format", "json", "--cluster", "listc", redis=r.url)
            self.assertEqual(j.returncode, 0, j.stderr)
            docs = [json.loads(line) for line in j.stdout.splitlines()]
            self.assertEqual([d["id"] for d in docs], [id1, id2])
            self.assertEqual(docs[1]["threads"], 8)
            self.assertEqual(docs[1]["mem_limit"], 2 << 30)
            self.assertEqual(docs[1]["mem_used"], (2 << 30) // 4)
            self.assertEqual(docs[1]["partitions"], 3)
            self.assertEqual(docs[0]["version"], "v1")
            self.assertEqual(docs[0]["pid"], w1.proc.pid)
            self.assertFalse(docs[0]["static"])
            for d in docs:
                self.assertTrue(0 <= d["lease_age_ms"] < 2000, d)
                self.assertTrue(0 < d["lease_ttl_ms"] <= 2000, d)
                self.assertGreaterEqual(d["uptime_ms"], 0)
                self.assertEqual(set(d), {"id", "host", "pid", "threads", "mem_used",
                                          "mem_limit", "partitions", "version", "started_ms",
                                          "refreshed_ms", "lease_age_ms", "lease_ttl_ms",
                                          "uptime_ms", "static"})
        finally:
            self.assertEqual(w1.stop(), 0)
            self.assertEqual(w2.stop(), 0)
        t = run("--cluster", "listc", "list", "--format", "json", redis=r.url)
        self.assertEqual((t.returncode, t.stdout), (0, ""))

    def test_add_and_remove_against_an_xmlrpc_stub(self):
        r = self.redis
        stub = Stub()
        try:
            dead = "http://127.0.0.1:%d/RPC2" % free_port()
            a = run("--cluster", "addc", "add", dead, redis=r.url)
            self.assertEqual(a.returncode, 1)
            self.assertTrue(a.stderr.startswith("ddf-registry: error: not admitting %s: "
                                                "ddf.ping on %s failed" % (dead, dead)), a.stderr)
            a = run("--cluster", "addc", "add", stub.url, redis=r.url)
            self.assertEqual(a.returncode, 0, a.stderr)
            j = run("--cluster", "addc", "list", "--format", "json", redis=r.url)
            docs = [json.loads(line) for line in j.stdout.splitlines()]
            self.assertEqual(len(docs), 1)
            d = docs[0]
            self.assertEqual((d["id"], d["static"], d["lease_ttl_ms"]), (stub.url, True, None))
            self.assertEqual((d["threads"], d["version"], d["host"]), (6, "stub-1", "stubhost"))
            self.assertEqual(r.cmd("HGET", "ddf:addc:worker:" + stub.url, "static"), "1")
            self.assertEqual(r.cmd("PTTL", "ddf:addc:worker:" + stub.url), -1)
            # a static member survives reaping
            self.assertEqual(run("--cluster", "addc", "reap", redis=r.url).stdout, "reaped 0\n")

            rm = run("--cluster", "addc", "remove", stub.url, "--shutdown", redis=r.url)
            self.assertEqual(rm.returncode, 0, rm.stderr)
            self.assertEqual(stub.shutdowns, 1)
            self.assertEqual(r.cmd("EXISTS", "ddf:addc:worker:" + stub.url), 0)
            self.assertEqual(r.cmd("SCARD", "ddf:addc:workers"), 0)
            rm = run("--cluster", "addc", "remove", dead, "--shutdown", redis=r.url)
            self.assertEqual(rm.returncode, 1)
            self.assertTrue(rm.stderr.startswith("ddf-registry: error: ddf.shutdown on %s "
                                                 "failed: " % dead), rm.stderr)
            rm = run("--cluster", "addc", "remove", stub.url, redis=r.url)
            self.assertEqual(rm.returncode, 1)
            self.assertEqual(rm.stderr, "ddf-registry: error: %s is not a member of cluster "
                             "\"addc\"\n" % stub.url)
        finally:
            stub.close()

    def test_reap_removes_a_crashed_worker_once(self):
        r = self.redis
        w, wid = fake_worker(r, "reapc", 7201, ttl_ms=400)
        w.stop(signal.SIGKILL)  # a crash: no leave, the lease runs out
        deadline = time.monotonic() + 5
        while r.cmd("EXISTS", "ddf:reapc:worker:" + wid) == 1:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertEqual(r.cmd("SISMEMBER", "ddf:reapc:workers", wid), 1)
        self.assertEqual(run("--cluster", "reapc", "reap", redis=r.url).stdout, "reaped 1\n")
        self.assertEqual(run("--cluster", "reapc", "reap", redis=r.url).stdout, "reaped 0\n")
        self.assertEqual(r.cmd("SCARD", "ddf:reapc:workers"), 0)

    def test_watch_prints_events_in_order_and_exits_on_sigterm(self):
        r = self.redis
        stub = Stub()
        watch = Background([CLI, "--redis", r.url, "--cluster", "watchc", "watch"])
        try:
            watch.wait_line("err", lambda l: l.startswith("ddf-registry: watching"))
            w, wid = fake_worker(r, "watchc", 7301)
            self.assertEqual(run("--cluster", "watchc", "add", stub.url, redis=r.url).returncode, 0)
            self.assertEqual(run("--cluster", "watchc", "remove", stub.url,
                                 redis=r.url).returncode, 0)
            self.assertEqual(w.stop(), 0)
            want = [("join", wid), ("join", stub.url), ("leave", stub.url), ("leave", wid)]
            got = []
            for _ in want:
                line = watch.wait_line("out", lambda l: True)
                m = EVENT_RE.match(line)
                self.assertIsNotNone(m, line)
                got.append((m.group(1), m.group(2).strip()))
            self.assertEqual(got, want)
            t0 = time.monotonic()
            self.assertEqual(watch.stop(signal.SIGTERM), 0)
            self.assertLess(time.monotonic() - t0, 2)
        finally:
            watch.stop(signal.SIGKILL)
            stub.close()

    def test_watch_resumes_after_a_redis_restart(self):
        with RedisServer() as own:
            watch = Background([CLI, "--redis", own.url, "--cluster", "rw", "watch"])
            try:
                watch.wait_line("err", lambda l: l.startswith("ddf-registry: watching"))
                own.restart()
                line = watch.wait_line("out", lambda l: True, timeout=10)
                self.assertRegex(line, EVENT_RE)
                self.assertTrue(line.endswith(" resync"), line)
                w, wid = fake_worker(own, "rw", 7401)
                line = watch.wait_line("out", lambda l: True)
                self.assertTrue(line.endswith(" join " + wid), line)
                self.assertEqual(w.stop(), 0)
                self.assertEqual(watch.stop(signal.SIGINT), 0)
            finally:
                watch.stop(signal.SIGKILL)


def main():
    global CLI, FAKE
    p = argparse.ArgumentParser()
    p.add_argument("--cli", required=True)
    p.add_argument("--fake-worker", required=True)
    args, rest = p.parse_known_args()
    CLI, FAKE = args.cli, args.fake_worker
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
