"""Helpers for the usm-cloud tests: start the server on ephemeral ports,
talk to it over verified TLS, and collect check results.

Every wait is bounded; the server is always stopped (and dies with the test
process, through PR_SET_PDEATHSIG, even if the test is killed)."""
import ctypes
import http.client
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

READY_TIMEOUT_S = 20
REQUEST_TIMEOUT_S = 15

TOKENS = {
    "host": "usm-demo-host-token",
    "alice": "usm-demo-alice-token",
    "bob": "usm-demo-bob-token",
    "app": "usm-demo-serviceapp-token",
}


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _exit_on_signal(signum, _frame):
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _exit_on_signal)
signal.signal(signal.SIGINT, _exit_on_signal)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "HTTP %d %s" % (self.status, self.body[:300])


class Cloud:
    def __init__(self, extra_args=(), wrapper=(), ready_timeout=READY_TIMEOUT_S):
        build = os.environ.get("USM_BUILD_DIR")
        if not build:
            raise SystemExit("USM_BUILD_DIR is not set")
        self.binary = os.path.join(build, "bin", "usm-cloud")
        self.state = tempfile.mkdtemp(prefix="usm-cloud-pytest-")
        self.log_path = os.path.join(tempfile.gettempdir(), os.path.basename(self.state) + ".log")
        self.log = open(self.log_path, "wb")
        args = list(wrapper) + [self.binary, "--port", "0", "--admin-port", "0",
                                "--state-dir", self.state] + list(extra_args)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log,
                                     preexec_fn=_die_with_parent)
        info = self._ready_line(ready_timeout)
        self.url = info["url"]
        self.discovery = info["discoveryUrl"]
        self.ca = info["caFile"]
        self.admin = info["adminUrl"]
        self.ctx = ssl.create_default_context(cafile=self.ca)
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port

    def _ready_line(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                if b"\n" in buf:
                    line = buf.split(b"\n", 1)[0].decode()
                    if line.startswith("USM_CLOUD_READY "):
                        return json.loads(line[len("USM_CLOUD_READY "):])
                    break
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise SystemExit("usm-cloud did not print its ready line; log:\n" + self.log_text())

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, timeout=10, keep_log=False):
        """SIGTERM, bounded wait, SIGKILL if needed; returns the exit code.
        The server's log is removed unless @keep_log (its path is printed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)
        if keep_log:
            print("usm-cloud log kept: " + self.log_path)
        else:
            os.unlink(self.log_path)
        return rc

    def alive(self):
        return self.proc.poll() is None

    def full(self, path):
        return path if path.startswith("http") else self.url + path

    def request(self, method, path, token=None, body=None, headers=None, conn=None):
        """One request; @body is a dict (sent as JSON), bytes or None."""
        url = urllib.parse.urlsplit(self.full(path))
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + TOKENS.get(token, token)
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        target = url.path + ("?" + url.query if url.query else "")
        own = conn is None
        if own:
            if url.scheme == "https":
                conn = http.client.HTTPSConnection(url.hostname, url.port, context=self.ctx,
                                                   timeout=REQUEST_TIMEOUT_S)
            else:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(method, target, body=data, headers=hdrs)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            if own:
                conn.close()

    def admin_post(self, path, body):
        return self.request("POST", self.admin + path, body=body)

    def admin_state(self):
        return self.request("GET", self.admin + "/admin/state").json


class Checks:
    def __init__(self, name):
        self.name = name
        self.count = 0
        self.failed = 0

    def check(self, cond, what, detail=None):
        self.count += 1
        if not cond:
            self.failed += 1
            print("FAIL: %s%s" % (what, "" if detail is None else " -- %r" % (detail,)), flush=True)
        return cond

    def status(self, resp, want, what):
        return self.check(resp.status == want, "%s: HTTP %d expected" % (what, want), resp)

    def done(self):
        print("%s: %d checks, %d failed" % (self.name, self.count, self.failed), flush=True)
        return 1 if self.failed else 0
