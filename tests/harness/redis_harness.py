"""redis_harness.py - a private redis-server for Python test scripts (the twin of
redis_harness.c).

RedisServer starts redis-server on a free 127.0.0.1 port with nothing saved to disk
(--save '' --appendonly no), optionally with --requirepass, waits (bounded) until it answers
PING, can stop and restart it on the same port, and never leaves it running: stop() at exit
(atexit and the context manager), and the child asks the kernel for SIGKILL when the test
process dies (prctl PR_SET_PDEATHSIG). resp() is a tiny RESP client for checking keys.
"""
import atexit
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import time

PR_SET_PDEATHSIG = 1
READY_WAIT_S = 5.0
STOP_WAIT_S = 5.0
START_ATTEMPTS = 5


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("Redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise RuntimeError("bad RESP reply %r" % line)


def resp(port, *args, password=None, timeout=2.0):
    """Send one command (after AUTH when 'password') and return its decoded reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        f = s.makefile("rb")
        if password:
            s.sendall(_encode(["AUTH", password]))
            _read_reply(f)
        s.sendall(_encode(list(args)))
        return _read_reply(f)


class RedisServer:
    def __init__(self, password=None):
        self.password = password
        self.port = None
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="ddf-test-redis-")
        atexit.register(self.stop, True)

    @property
    def url(self):
        auth = ":%s@" % self.password if self.password else ""
        return "redis://%s127.0.0.1:%d" % (auth, self.port)

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                data = s.recv(64)
                return data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
        except OSError:
            return False

    def _spawn(self):
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--daemonize", "no",
               "--dir", self.dir, "--logfile", "redis.log"]
        if self.password:
            cmd += ["--requirepass", self.password]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     cwd=self.dir, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + READY_WAIT_S
        for _ in range(int(READY_WAIT_S / 0.01)):  # bounded by count and by the clock
            if time.monotonic() >= deadline:
                break
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if self._answers():
                return True
            time.sleep(0.01)
        self.stop(True)
        return False

    def start(self):
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            if self._spawn():
                return self
        raise RuntimeError("could not start redis-server")

    def stop(self, hard=False):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        try:
            self.proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        for _ in range(START_ATTEMPTS):
            if self._spawn():
                return
            time.sleep(0.05)
        raise RuntimeError("could not restart redis-server on port %d" % self.port)

    def cmd(self, *args):
        return resp(self.port, *args, password=self.password)

    def close(self):
        self.stop(True)
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
