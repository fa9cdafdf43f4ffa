#!/usr/bin/env python3
"""test_server.py - ddf-worker end to end, from Python's xmlrpc.client.

Starts a private redis-server (tests/harness/redis_harness.py) and a worker with a shared
secret and a temporary data root on port 0, reads the advertised URL from its first stdout
line, and checks: registration (ddf-registry list --format json), ddf.ping / files / scan /
infer, introspection, auth, hostile calls (unknown method, wrong parameter types, malformed
XML, an oversized request, paths outside the data root, a client that hangs mid-request,
many concurrent clients), ddf.run when the build has it, and the graceful stops (SIGTERM and
ddf.shutdown: exit 0, lease and membership gone, "leave" published). Every wait is bounded.

usage: test_server.py --worker PATH --registry-cli PATH
"""
import argparse
import base64
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xmlrpc.client

import ddfcodec
from redis_harness import RedisServer

WORKER = None
CLI = None
SECRET = "t0p-s3cret"
CLUSTER = "wtest"
START_WAIT_S = 10.0
STOP_WAIT_S = 15.0


class Worker:
    """A ddf-worker child; stdout/stderr lines collected by reader threads."""

    def __init__(self, redis_url, root, extra=(), secret_file=None, env=None):
        cmd = [WORKER, "--redis", redis_url, "--listen", "127.0.0.1:0", "--data-root", root,
               "--cluster", CLUSTER] + list(extra)
        if secret_file:
            cmd += ["--secret-file", secret_file]
        e = dict(os.environ)
        e.pop("DDF_SECRET", None)
        e.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=e)
        self.out, self.err_lines = queue.Queue(), []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines.append),
                         daemon=True).start()
        self.url = None

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))

    def wait_url(self):
        try:
            line = self.out.get(timeout=START_WAIT_S)
        except queue.Empty:
            raise AssertionError("no 'listening on' line within %.0fs; stderr: %r"
                                 % (START_WAIT_S, self.err_lines))
        assert line.startswith("listening on http://"), line
        self.url = line.split()[-1]
        return self.url

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def proxy(self, secret=SECRET, **kw):
        url = self.url.replace("http://", "http://ddf:%s@" % secret) if secret else self.url
        return xmlrpc.client.ServerProxy(url, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_WAIT_S):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("worker did not exit within %.0fs" % timeout)


def auth_header(secret=SECRET):
    return "Basic " + base64.b64encode(("ddf:" + secret).encode()).decode()


def raw_post(port, body, headers=None, timeout=30):
    """POST 'body' to /RPC2 and return (status, response bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "text/xml", "Authorization": auth_header()}
    h.update(headers or {})
    c.request("POST", "/RPC2", body, h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def fault_of(data):
    """(code, message) of an XML-RPC fault response."""
    try:
        xmlrpc.client.loads(data)
    except xmlrpc.client.Fault as f:
        return f.faultCode, f.faultString
    raise AssertionError("not a fault: %r" % data[:200])


def window_scan(data, offset, length, quote=b'"'):
    """Python twin of ddf_split_scan_window (common/split.h)."""
    win = data[offset:offset + length]
    quotes = newlines = 0
    first_nl, nl_before = [-1, -1], [0, 0]
    for i, b in enumerate(win):
        if b == quote[0]:
            quotes += 1
        elif b == 0x0A:
            p = quotes & 1
            if first_nl[p] < 0:
                first_nl[p] = offset + i
                nl_before[p] = newlines
            newlines += 1
    return {"offset": offset, "length": length, "quotes": quotes, "newlines": newlines,
            "first_nl": first_nl, "nl_before": nl_before}


def make_sales_csv(path, rows, seed=7):
    """A CSV with nulls, quoted commas and quoted newlines (so splitting needs the scan)."""
    import random
    rnd = random.Random(seed)
    regions = ["EU-West", "EU-East", "US", "APAC", "LATAM"]
    with open(path, "w", newline="") as f:
        f.write("id,region,qty,price,note\n")
        for i in range(rows):
            region = "" if rnd.random() < 0.03 else rnd.choice(regions)
            qty = "" if rnd.random() < 0.02 else str(rnd.randint(-5, 500))
            price = "" if rnd.random() < 0.02 else "%.2f" % rnd.uniform(0, 1000)
            r = rnd.random()
            note = '"multi\nline, %d"' % i if r < 0.05 else ('"a ""q"""' if r < 0.1 else "n%d" % i)
            f.write("%d,%s,%s,%s,%s\n" % (i, region, qty, price, note))


def plan_parts(proxy, path, blocksize):
    """The client's splitting: ddf.infer, ddf.scan of every block's window, then the
    resolution of common/split.h (ddf_split_resolve) in Python. Returns (info, parts)."""
    info = proxy.ddf.infer(path)
    start, size = info["data_start"], info["size"]
    n = max(0, -(-(size - start) // blocksize))
    windows = []
    for k in range(n):
        b = start + k * blocksize
        end = min(b + blocksize, size)
        off = b if k == 0 else b - 1
        windows.append({"offset": off, "length": end - 1 - off})
    scanned = proxy.ddf.scan(path, windows)
    starts, lines = [start], [info["data_line"]]
    quotes = scanned[0]["quotes"] if n else 0
    newlines = scanned[0]["newlines"] if n else 0
    for w in scanned[1:]:
        p = quotes & 1  # relative parity that makes the absolute parity even
        if w["first_nl"][p] >= 0:
            starts.append(w["first_nl"][p] + 1)
            lines.append(info["data_line"] + newlines + w["nl_before"][p] + 1)
        else:
            starts.append(None)
            lines.append(None)
        quotes += w["quotes"]
        newlines += w["newlines"]
    parts, nxt = [], size
    for k in range(len(starts) - 1, -1, -1):
        if starts[k] is None:
            starts[k], lines[k] = nxt, 1
        nxt = starts[k]
    for k, st in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else size
        parts.append({"index": k, "path": path, "offset": st, "length": end - st,
                      "first_line": lines[k]})
    return info, parts


def agg_state(cols, at, row):
    """(count, exact int sum, float sum) of the agg.h state whose 12 columns start at 'at'."""
    count = cols[at + 2][row]
    isum = (cols[at + 3][row] << 64) + (cols[at + 4][row] & 0xFFFFFFFFFFFFFFFF)
    return count, isum, cols[at + 8][row] + cols[at + 9][row]


class WorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.tmp = tempfile.mkdtemp(prefix="ddf-test-worker-")
        cls.root = os.path.join(cls.tmp, "root")
        os.makedirs(os.path.join(cls.root, "sub"))
        cls.csv = (b'id,name,score,ok\n1,"a,b",1.5,True\n2,"multi\nline",2.5,False\n'
                   b'3,plain,,True\n4,"q""uote",4.25,\n')
        with open(os.path.join(cls.root, "t.csv"), "wb") as f:
            f.write(cls.csv)
        with open(os.path.join(cls.root, "sub", "u.csv"), "wb") as f:
            f.write(b"x;y\n1;2\n")
        with open(os.path.join(cls.tmp, "outside.csv"), "wb") as f:
            f.write(b"a\n1\n")
        os.symlink(os.path.join(cls.tmp, "outside.csv"), os.path.join(cls.root, "escape.csv"))
        make_sales_csv(os.path.join(cls.root, "sales.csv"), 20000)
        cls.secret_file = os.path.join(cls.tmp, "secret")
        with open(cls.secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(cls.secret_file, 0o600)
        cls.w = Worker(cls.redis.url, cls.root, ["--threads", "2"], secret_file=cls.secret_file)
        cls.w.wait_url()
        cls.p = cls.w.proxy()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.w.stop(signal.SIGKILL)
        finally:
            cls.redis.close()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertFault(self, code, text, fn, *args):
        with self.assertRaises(xmlrpc.client.Fault) as cm:
            fn(*args)
        self.assertEqual(cm.exception.faultCode, code, cm.exception.faultString)
        self.assertIn(text, cm.exception.faultString)

    def assertServing(self):
        self.assertEqual(self.p.ddf.ping()["id"], self.w.url)

    # ---- registration, ping, introspection ------------------------------------------

    def test_registration_is_visible_in_ddf_registry_list(self):
        r = subprocess.run([CLI, "--redis", self.redis.url, "--cluster", CLUSTER, "list",
                            "--format", "json"], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        mine = [x for x in rows if x["id"] == self.w.url]
        self.assertEqual(len(mine), 1, rows)
        self.assertEqual(mine[0]["threads"], 2)
        self.assertEqual(mine[0]["pid"], self.w.proc.pid)
        self.assertEqual(mine[0]["version"], self.p.ddf.ping()["version"])
        self.assertTrue(self.redis.cmd("SISMEMBER", "ddf:%s:workers" % CLUSTER, self.w.url))

    def test_ping_describes_the_worker(self):
        st = self.p.ddf.ping()
        for key in ("id", "version", "protocol", "threads", "memory_used", "memory_limit",
                    "partitions_cached", "cache_hits", "cache_misses", "uptime_s",
                    "plans_served", "pid", "host", "shutting_down"):
            self.assertIn(key, st)
        self.assertEqual(st["id"], self.w.url)
        self.assertEqual(st["protocol"], 1)
        self.assertEqual(st["threads"], 2)
        self.assertEqual(st["pid"], self.w.proc.pid)
        self.assertGreater(st["memory_limit"], 2 ** 31)  # an i8: > 32-bit travels intact
        self.assertFalse(st["shutting_down"])

    def test_introspection_lists_and_documents_every_method(self):
        methods = self.p.system.listMethods()
        for m in ("ddf.ping", "ddf.files", "ddf.scan", "ddf.infer", "ddf.shutdown"):
            self.assertIn(m, methods)
            self.assertGreater(len(self.p.system.methodHelp(m)), 40, m)
        self.assertIn("pattern", self.p.system.methodHelp("ddf.files"))

    # ---- files, scan, infer ---------------------------------------------------------

    def test_files_expands_globs_under_the_root_only(self):
        got = self.p.ddf.files("*.csv")
        self.assertEqual([f["path"] for f in got], ["sales.csv", "t.csv"])  # not escape.csv
        got = got[1:]
        self.assertEqual(got[0]["size"], len(self.csv))
        self.assertAlmostEqual(got[0]["mtime"], os.stat(os.path.join(self.root, "t.csv"))
                               .st_mtime, delta=2)
        self.assertEqual([f["path"] for f in self.p.ddf.files("sub/*.csv")], ["sub/u.csv"])
        self.assertEqual([f["path"] for f in self.p.ddf.files("**/*.csv")], ["sub/u.csv"])
        self.assertEqual(self.p.ddf.files("../*.csv"), [])
        self.assertEqual(self.p.ddf.files("/etc/*"), [])
        self.assertEqual(self.p.ddf.files("nothing-*.csv"), [])
        absolute = os.path.join(self.root, "t.csv")
        self.assertEqual([f["path"] for f in self.p.ddf.files(absolute)], [absolute])

    def test_scan_counts_quote_parity_per_window(self):
        n = len(self.csv)
        windows = [(17, 20), (36, 30), (66, n - 67), (0, 0)]
        got = self.p.ddf.scan("t.csv", [{"offset": o, "length": l} for o, l in windows])
        want = [window_scan(self.csv, o, l) for o, l in windows]
        self.assertEqual(got, want)
        # offsets as decimal strings (Python cannot send ints >= 2**31) and a quote argument
        got = self.p.ddf.scan("t.csv", [{"offset": "17", "length": "20"}], "'")
        self.assertEqual(got, [window_scan(self.csv, 17, 20, b"'")])

    def test_scan_refuses_bad_windows(self):
        self.assertFault(13, "is not within", self.p.ddf.scan, "t.csv",
                         [{"offset": 0, "length": len(self.csv) + 1}])
        self.assertFault(2, "windows[0]", self.p.ddf.scan, "t.csv", [{"offset": 0}])
        self.assertFault(2, "windows[0]", self.p.ddf.scan, "t.csv",
                         [{"offset": 1.5, "length": 2}])
        self.assertFault(2, "windows must be an array", self.p.ddf.scan, "t.csv", "0-10")
        self.assertFault(2, "quote must be one character", self.p.ddf.scan, "t.csv", [], "ab")

    def test_infer_reads_header_and_dtypes(self):
        st = self.p.ddf.infer("t.csv")
        self.assertEqual([(c["name"], c["dtype"]) for c in st["columns"]],
                         [("id", "int64"), ("name", "string"), ("score", "float64"),
                          ("ok", "bool")])
        self.assertEqual(st["data_start"], self.csv.index(b"\n") + 1)
        self.assertEqual(st["data_line"], 2)
        self.assertEqual(st["size"], len(self.csv))
        st = self.p.ddf.infer("sub/u.csv", {"sep": ";", "dtypes": {"y": "float64"}})
        self.assertEqual([(c["name"], c["dtype"], c["pinned"]) for c in st["columns"]],
                         [("x", "int64", False), ("y", "float64", True)])
        self.assertFault(2, "ddf.infer: options.sep", self.p.ddf.infer, "t.csv", {"sep": 5})
        self.assertFault(2, "unknown member \"sepp\"", self.p.ddf.infer, "t.csv",
                         {"sepp": ";"})
        self.assertFault(4, "nope.csv", self.p.ddf.infer, "nope.csv")

    def test_paths_outside_the_data_root_are_refused(self):
        for path in ("../outside.csv", os.path.join(self.tmp, "outside.csv"), "/etc/passwd",
                     "escape.csv", "sub/../../outside.csv"):
            self.assertFault(2, "outside the worker's data root", self.p.ddf.infer, path)
            self.assertFault(2, "outside the worker's data root", self.p.ddf.scan, path, [])
        self.assertFault(3, "not a regular file", self.p.ddf.infer, "sub")
        self.assertServing()

    # ---- auth and hostile calls -----------------------------------------------------

    def test_calls_without_the_secret_are_refused(self):
        for proxy in (self.w.proxy(secret=None), self.w.proxy(secret="wrong")):
            self.assertFault(15, "authentication required", proxy.ddf.ping)
            self.assertFault(15, "authentication required", proxy.system.listMethods)
            self.assertFault(15, "authentication required", proxy.system.multicall,
                             [{"methodName": "ddf.ping", "params": []}])
        self.assertGreaterEqual(self.p.ddf.ping()["calls_refused"], 6)

    def test_unknown_methods_and_wrong_parameters_are_faults(self):
        self.assertFault(-506, "ddf.nope", self.p.ddf.nope)
        self.assertFault(2, "ddf.ping takes no parameters", self.p.ddf.ping, 1)
        self.assertFault(2, "ddf.files takes 1 parameter", self.p.ddf.files)
        self.assertFault(2, "the pattern must be a string", self.p.ddf.files, 5)
        self.assertFault(2, "the path must be a string", self.p.ddf.scan, ["x"], [])
        self.assertFault(2, "non-empty path", self.p.ddf.infer, "")
        self.assertFault(2, "the pattern must be a string", self.p.ddf.files,
                         xmlrpc.client.Binary(b"\x00\xffcorrupt"))
        self.assertFault(2, "plan.parts[0].path: expected a string, got base64", self.p.ddf.run,
                         {"version": 1, "schema": [], "terminal": {"kind": "count"},
                          "parts": [{"index": 0, "path": xmlrpc.client.Binary(b"DDFT\x01"),
                                     "offset": 0, "length": 1}]})
        self.assertServing()

    def test_malformed_xml_is_a_fault(self):
        for body in (b"<methodCall><methodName>ddf.ping</methodName><params>",
                     b"not xml at all", b"<?xml version='1.0'?><methodCall/>",
                     b"<methodCall><methodName>ddf.ping</methodName><params><param><value>"
                     b"<i4>99999999999999</i4></value></param></params></methodCall>"):
            status, data = raw_post(self.w.port, body)
            self.assertEqual(status, 200)
            code, msg = fault_of(data)
            self.assertLess(code, 0, msg)
        self.assertServing()

    def test_oversized_request_is_a_fault_and_the_worker_keeps_serving(self):
        limit = 64 * 1024 * 1024
        head = b"<?xml version='1.0'?><methodCall><methodName>ddf.files</methodName><params>"
        body = head + b"<param><value><string>" + b"a" * (limit + 10) + \
            b"</string></value></param></params></methodCall>"
        t0 = time.monotonic()
        status, data = raw_post(self.w.port, body, timeout=60)
        self.assertEqual(status, 200)
        code, msg = fault_of(data)
        self.assertEqual(code, 6, msg)
        self.assertIn("over this worker's limit of 67108864 bytes", msg)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertServing()

    def test_a_hung_client_does_not_stall_others(self):
        hung = []
        for _ in range(5):  # half a request each, never finished
            s = socket.create_connection(("127.0.0.1", self.w.port), timeout=5)
            s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<meth")
            hung.append(s)
        try:
            t0 = time.monotonic()
            for _ in range(20):
                self.assertServing()
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            for s in hung:
                s.close()

    def test_a_client_that_disconnects_mid_call_does_not_hurt(self):
        plan = self.sales_plan({"kind": "count"})
        body = xmlrpc.client.dumps((plan,), "ddf.run").encode()
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.w.port), timeout=5)
            s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                      b"Authorization: " + auth_header().encode() +
                      b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            s.close()  # gone before the answer
        deadline = time.monotonic() + 30
        while self.p.ddf.ping()["plans_running"] > 0:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        self.assertServing()

    def test_many_concurrent_clients_are_served_at_once(self):
        n, results, errors = 40, [], []
        barrier = threading.Barrier(n)

        def client():
            try:
                p = self.w.proxy()
                barrier.wait(timeout=10)
                for _ in range(5):
                    results.append(p.ddf.ping()["id"])
            except Exception as e:  # collected and reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(n)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - t0
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 5 * n)
        # a server with few connection threads makes idle keep-alive clients wait seconds each
        self.assertLess(elapsed, 10)

    def test_http_requests_that_are_not_calls_get_http_errors(self):
        c = http.client.HTTPConnection("127.0.0.1", self.w.port, timeout=10)
        try:
            c.request("GET", "/RPC2")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 405)
            self.assertEqual(r.getheader("Allow"), "POST")
            c.request("POST", "/other", b"<x/>", {"Content-Type": "text/xml"})
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 404)
        finally:
            c.close()
        # and the worker still answers calls
        self.assertEqual(self.w.proxy().ddf.ping()["protocol"], 1)

    def test_ping_round_trip_with_keep_alive(self):
        c = http.client.HTTPConnection("127.0.0.1", self.w.port, timeout=10)
        body = xmlrpc.client.dumps((), "ddf.ping").encode()
        h = {"Content-Type": "text/xml", "Authorization": auth_header()}
        n = 500
        t0 = time.monotonic()
        for _ in range(n):
            c.request("POST", "/RPC2", body, h)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        dt = time.monotonic() - t0
        c.close()
        sys.stderr.write("\n  ddf.ping keep-alive round trip: %.0f calls/s, %.0f us/call\n"
                         % (n / dt, dt / n * 1e6))

    # ---- ddf.run (when the build has the executor) ----------------------------------

    def run_plan(self, terminal, parts=None, steps=None, proxy=None):
        """ddf.run of 'terminal' over t.csv as one partition (or over 'parts')."""
        info = self.p.ddf.infer("t.csv")
        plan = {"version": 1,
                "schema": [{"name": c["name"], "dtype": c["dtype"]} for c in info["columns"]],
                "parts": parts or [{"index": 0, "path": "t.csv", "offset": info["data_start"],
                                    "length": info["size"] - info["data_start"],
                                    "first_line": info["data_line"]}],
                "steps": steps or [], "terminal": terminal}
        return (proxy or self.p).ddf.run(plan)

    def sales_plan(self, terminal, blocksize=32 * 1024, proxy=None):
        info, parts = plan_parts(proxy or self.p, "sales.csv", blocksize)
        return {"version": 1,
                "schema": [{"name": c["name"], "dtype": c["dtype"]} for c in info["columns"]],
                "parts": parts, "terminal": terminal}

    def pandas_sales(self):
        import pandas as pd
        return pd.read_csv(os.path.join(self.root, "sales.csv"), low_memory=False)

    def test_run_count_equals_pandas(self):
        plan = self.sales_plan({"kind": "count"})
        self.assertGreater(len(plan["parts"]), 10)
        res = self.p.ddf.run(plan)["results"]
        self.assertEqual([r["index"] for r in res], [p["index"] for p in plan["parts"]])
        total = 0
        for r in res:
            self.assertEqual(r["status"], "ok", r["error"])
            names, dtypes, cols = ddfcodec.decode(r["blob"].data)
            self.assertEqual(names, ["count"])
            total += cols[0][0]
        self.assertEqual(total, len(self.pandas_sales()))
        # the second run hits the cache
        res = self.p.ddf.run(plan)["results"]
        self.assertTrue(all(r["cache_hit"] for r in res))
        self.assertGreaterEqual(self.p.ddf.ping()["cache_hits"], len(res))

    def groupby_and_check(self, proxy=None):
        plan = self.sales_plan({"kind": "groupby", "keys": ["region"],
                                "aggs": [{"column": "qty", "agg": "sum"},
                                         {"column": "qty", "agg": "count"},
                                         {"column": "price", "agg": "sum"}]},
                               proxy=proxy)
        plan["steps"] = [{"kind": "filter", "expr": "qty > 10"}]
        res = (proxy or self.p).ddf.run(plan)["results"]
        merged = {}
        for r in res:
            self.assertEqual(r["status"], "ok", r["error"])
            names, dtypes, cols = ddfcodec.decode(r["blob"].data)
            self.assertEqual(names[0], "region")
            self.assertEqual(len(names), 1 + 3 * 12)
            for row, key in enumerate(cols[0]):
                m = merged.setdefault(key, [0, 0, 0, 0.0])
                m[0] += agg_state(cols, 1, row)[1]
                m[1] += agg_state(cols, 13, row)[0]
                m[2] += agg_state(cols, 25, row)[0]
                m[3] += agg_state(cols, 25, row)[2]
        df = self.pandas_sales()
        want = df[df.qty > 10].groupby("region").agg(
            qty_sum=("qty", "sum"), qty_count=("qty", "count"), price_sum=("price", "sum"))
        self.assertEqual(sorted(merged), sorted(want.index))
        for key, (qsum, qcount, _, psum) in merged.items():
            self.assertEqual(qsum, int(want.loc[key, "qty_sum"]), key)
            self.assertEqual(qcount, int(want.loc[key, "qty_count"]), key)
            self.assertAlmostEqual(psum, float(want.loc[key, "price_sum"]),
                                   delta=1e-9 * abs(psum) + 1e-9)
        return merged

    def test_run_groupby_equals_pandas(self):
        self.groupby_and_check()

    def test_run_concurrent_plans_from_several_clients(self):
        out, errors = [], []

        def client():
            try:
                out.append(self.groupby_and_check(self.w.proxy()))
            except Exception as e:  # collected and reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(out), 6)
        self.assertTrue(all(o == out[0] for o in out))

    def test_run_reports_widening_and_partition_errors(self):
        info, parts = plan_parts(self.p, "t.csv", 1 << 20)
        schema = [{"name": c["name"], "dtype": c["dtype"]} for c in info["columns"]]
        schema[1]["dtype"] = "int64"  # "name" holds strings: the partition asks to widen
        res = self.p.ddf.run({"version": 1, "schema": schema, "parts": parts,
                              "terminal": {"kind": "count"}})["results"]
        self.assertEqual(res[0]["status"], "widen", res)
        self.assertEqual(res[0]["widen"], [{"column": "name", "dtype": "string"}])
        schema[1]["pinned"] = True  # pinned: a value that does not fit is an error
        res = self.p.ddf.run({"version": 1, "schema": schema, "parts": parts,
                              "terminal": {"kind": "count"}})["results"]
        self.assertEqual(res[0]["status"], "error", res)
        self.assertIn("t.csv", res[0]["error"])
        self.assertNotEqual(res[0]["code"], 0)
        self.assertServing()

    def test_run_plan_faults_are_clear(self):
        self.assertFault(2, "plan: expected a struct", self.p.ddf.run, [1])
        self.assertFault(2, "plan.parts[0].offset", self.run_plan, {"kind": "count"},
                         [{"index": 0, "path": "t.csv", "offset": 0.5, "length": 3}])
        self.assertFault(2, "plan.terminal.kind", self.run_plan, {"kind": "explode"})
        self.assertFault(2, "ddf.run takes 1 parameter", self.p.ddf.run)
        for path in ("../outside.csv", "escape.csv", "/etc/passwd"):
            with self.assertRaises(xmlrpc.client.Fault) as cm:
                self.run_plan({"kind": "count"}, [{"index": 0, "path": path, "offset": 0,
                                                   "length": 2}])
            self.assertIn(path if path[0] != "/" else "passwd", cm.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as cm:
            self.run_plan({"kind": "count"}, steps=[{"kind": "filter", "expr": "nope > 1"}])
        self.assertIn("nope", cm.exception.faultString)
        self.assertServing()


class LifecycleTest(unittest.TestCase):
    """Start-up refusals and the two graceful stops, each on a worker of its own."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.tmp = tempfile.mkdtemp(prefix="ddf-test-worker-life-")
        cls.secret_file = os.path.join(cls.tmp, "secret")
        with open(cls.secret_file, "w") as f:
            f.write(SECRET)

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def subscribe(self):
        """A raw RESP connection subscribed to the cluster's events."""
        s = socket.create_connection(("127.0.0.1", self.redis.port), timeout=STOP_WAIT_S)
        chan = "ddf:%s:events" % CLUSTER
        s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(chan), chan.encode()))
        return s

    def wait_event(self, s, text):
        buf, deadline = b"", time.monotonic() + STOP_WAIT_S
        while text.encode() not in buf:
            self.assertLess(time.monotonic(), deadline, "no %r event; got %r" % (text, buf))
            chunk = s.recv(4096)
            self.assertTrue(chunk, "redis closed the subscription")
            buf += chunk

    def assertGone(self, url):
        self.assertFalse(self.redis.cmd("SISMEMBER", "ddf:%s:workers" % CLUSTER, url))
        self.assertEqual(self.redis.cmd("EXISTS", "ddf:%s:worker:%s" % (CLUSTER, url)), 0)

    def test_no_secret_refuses_to_start_unless_insecure(self):
        w = Worker(self.redis.url, self.tmp)
        self.assertEqual(w.proc.wait(STOP_WAIT_S), 2)
        time.sleep(0.1)
        self.assertTrue(any("no shared secret" in l for l in w.err_lines), w.err_lines)
        w = Worker(self.redis.url, self.tmp, ["--insecure"])
        w.wait_url()
        self.assertEqual(xmlrpc.client.ServerProxy(w.url).ddf.ping()["id"], w.url)
        self.assertEqual(w.stop(), 0)
        # DDF_SECRET works as well as --secret-file
        w = Worker(self.redis.url, self.tmp, env={"DDF_SECRET": "envsecret"})
        w.wait_url()
        self.assertEqual(w.proxy(secret="envsecret").ddf.ping()["id"], w.url)
        self.assertEqual(w.stop(), 0)

    def test_bad_flags_and_unreachable_redis(self):
        r = subprocess.run([WORKER, "--threads", "zero"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--threads", r.stderr)
        r = subprocess.run([WORKER, "--insecure", "--data-root", "/nonexistent-ddf-root"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("data root", r.stderr)
        port = self.redis.port
        r = subprocess.run([WORKER, "--insecure", "--redis", "redis://127.0.0.1:1",
                            "--data-root", self.tmp], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("127.0.0.1:1", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertTrue(port)

    def test_sigterm_leaves_the_registry_and_exits_0(self):
        w = Worker(self.redis.url, self.tmp, secret_file=self.secret_file)
        url = w.wait_url()
        self.assertTrue(self.redis.cmd("SISMEMBER", "ddf:%s:workers" % CLUSTER, url))
        sub = self.subscribe()
        try:
            w.proxy().ddf.ping()
            self.assertEqual(w.stop(signal.SIGTERM), 0)
            self.wait_event(sub, "leave " + url)
        finally:
            sub.close()
        self.assertGone(url)

    def test_sigterm_with_an_idle_keep_alive_client_stops_at_once(self):
        # a client that keeps its connection open between calls must not hold the stop
        w = Worker(self.redis.url, self.tmp, secret_file=self.secret_file)
        w.wait_url()
        c = http.client.HTTPConnection("127.0.0.1", w.port, timeout=10)
        body = xmlrpc.client.dumps((), "ddf.ping").encode()
        try:
            c.request("POST", "/RPC2", body, {"Content-Type": "text/xml",
                                              "Authorization": auth_header()})
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            t0 = time.monotonic()
            w.proc.send_signal(signal.SIGTERM)
            self.assertEqual(w.proc.wait(STOP_WAIT_S), 0)
            self.assertLess(time.monotonic() - t0, 2.0)
        finally:
            c.close()
            w.stop(signal.SIGKILL)

    def test_sigterm_mid_plan_finishes_the_plan(self):
        rows = 400000
        root = os.path.join(self.tmp, "big")
        os.makedirs(root, exist_ok=True)
        make_sales_csv(os.path.join(root, "sales.csv"), rows)
        w = Worker(self.redis.url, root, ["--threads", "1"], secret_file=self.secret_file)
        url = w.wait_url()
        info, parts = plan_parts(w.proxy(), "sales.csv", 256 * 1024)
        plan = {"version": 1, "parts": parts,
                "schema": [{"name": c["name"], "dtype": c["dtype"]} for c in info["columns"]],
                "steps": [{"kind": "filter", "expr": "qty * 2 + price > 10 or qty < 5"}],
                "terminal": {"kind": "count"}}
        done = {}

        def run():
            try:
                done["results"] = w.proxy().ddf.run(plan)["results"]
            except Exception as e:  # reported below
                done["error"] = repr(e)

        t = threading.Thread(target=run)
        sub = self.subscribe()
        watcher = w.proxy()
        try:
            t.start()
            deadline = time.monotonic() + 10
            while watcher.ddf.ping()["plans_running"] == 0:
                self.assertTrue(t.is_alive(), "the plan finished before SIGTERM could be sent")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.005)
            w.proc.send_signal(signal.SIGTERM)
            t.join(120)
            self.assertNotIn("error", done)
            res = done["results"]
            self.assertTrue(all(r["status"] == "ok" for r in res))
            total = sum(ddfcodec.decode(r["blob"].data)[2][0][0] for r in res)
            import pandas as pd
            df = pd.read_csv(os.path.join(root, "sales.csv"), low_memory=False)
            self.assertEqual(total, int(((df.qty * 2 + df.price > 10) | (df.qty < 5)).sum()))
            self.assertEqual(w.stop(), 0)
            self.wait_event(sub, "leave " + url)
        finally:
            sub.close()
            w.stop(signal.SIGKILL)
        self.assertGone(url)

    def test_remove_shutdown_from_ddf_registry_stops_an_insecure_worker(self):
        # ddf-registry's admin calls carry no secret yet: only an --insecure worker obeys
        w = Worker(self.redis.url, self.tmp, ["--insecure"])
        url = w.wait_url()
        r = subprocess.run([CLI, "--redis", self.redis.url, "--cluster", CLUSTER, "remove",
                            url, "--shutdown"], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w.proc.wait(STOP_WAIT_S), 0)
        self.assertGone(url)

    def test_memory_limit_smaller_than_a_partition_fails_it_cleanly(self):
        root = os.path.join(self.tmp, "mem")
        os.makedirs(root, exist_ok=True)
        make_sales_csv(os.path.join(root, "sales.csv"), 20000)
        w = Worker(self.redis.url, root, ["--memory-limit", "256K"],
                   secret_file=self.secret_file)
        w.wait_url()
        try:
            p = w.proxy()
            info, parts = plan_parts(p, "sales.csv", 4 << 20)
            plan = {"version": 1, "parts": parts, "terminal": {"kind": "count"},
                    "schema": [{"name": c["name"], "dtype": c["dtype"]}
                               for c in info["columns"]]}
            res = p.ddf.run(plan)["results"]
            self.assertTrue(all(r["status"] == "error" for r in res), res)
            self.assertEqual(res[0]["code"], 6)
            self.assertIn("worker " + w.url, res[0]["error"])
            # small partitions fit; the cache evicts to stay within its budget
            info, parts = plan_parts(p, "sales.csv", 16 * 1024)
            plan["parts"] = parts
            res = p.ddf.run(plan)["results"]
            self.assertTrue(all(r["status"] == "ok" for r in res), res[:2])
            st = p.ddf.ping()
            self.assertLessEqual(st["memory_used"], 256 * 1024)
            self.assertGreater(st["memory_used"], 0)
            self.assertEqual(st["memory_limit"], 256 * 1024)
            self.assertEqual(w.stop(), 0)
        finally:
            w.stop(signal.SIGKILL)

    def test_ddf_shutdown_answers_then_exits_0(self):
        w = Worker(self.redis.url, self.tmp, secret_file=self.secret_file)
        url = w.wait_url()
        sub = self.subscribe()
        try:
            self.assertIs(w.proxy().ddf.shutdown(), True)
            self.assertEqual(w.proc.wait(STOP_WAIT_S), 0)
            self.wait_event(sub, "leave " + url)
        finally:
            sub.close()
        self.assertGone(url)


def main():
    global WORKER, CLI
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", required=True)
    ap.add_argument("--registry-cli", required=True)
    args, rest = ap.parse_known_args()
    WORKER, CLI = args.worker, args.registry_cli
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
