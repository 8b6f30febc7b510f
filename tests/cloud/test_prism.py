"""The /v1 REST answers of usm-cloud validated against the official Webex
Meetings OpenAPI spec: requests go through Prism in proxy mode, which checks
each request and response and logs every violation."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from cloudtest import Checks, Cloud, _die_with_parent

READY_TIMEOUT_S = 30
c = Checks("cloud_prism")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prism(spec, upstream, ca, log):
    port = free_port()
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=ca)
    proc = subprocess.Popen(["prism", "proxy", "-h", "127.0.0.1", "-p", str(port), spec, upstream],
                            stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log.name, errors="replace") as f:
            if "Prism is listening on http://127.0.0.1:%d" % port in f.read():
                return proc, port
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise SystemExit("prism proxy did not start")


def log_slice(path, start):
    with open(path, errors="replace") as f:
        f.seek(start)
        return f.read()


def main():
    spec = os.path.join(os.environ["USM_SOURCE_DIR"], "..", "shared", "openapi", "webex-meeting.json")
    if not os.path.exists(spec):
        print("FAIL: the OpenAPI spec is not at %s" % spec)
        return 1
    if not shutil.which("prism"):
        print("FAIL: prism is not on PATH (npm install -g @stoplight/prism-cli)")
        return 1
    cl = Cloud()
    log = tempfile.NamedTemporaryFile(prefix="usm-cloud-prism-", suffix=".log", delete=False)
    prism = None
    try:
        prism, port = start_prism(spec, cl.url + "/v1", cl.ca, log)
        p = "http://127.0.0.1:%d" % port

        def via(method, path, body=None, headers=None, want=200):
            """One request through Prism; the Prism log lines it produced."""
            start = os.path.getsize(log.name)
            r = cl.request(method, p + path, "host", body, headers)
            c.status(r, want, "%s %s" % (method, path))
            time.sleep(0.05)  # Prism logs the validation right after answering
            return r, log_slice(log.name, start)

        def clean(what, lines):
            bad = [l for l in lines.splitlines() if "Violation" in l]
            c.check(not bad, what + ": no spec violation", bad)

        start, end = "2031-05-01T10:00:00Z", "2031-05-01T11:00:00Z"
        body = {"title": "Spec check", "agenda": "a", "start": start, "end": end, "timezone": "UTC",
                "enabledJoinBeforeHost": True, "joinBeforeHostMinutes": 5,
                "meetingOptions": {"enabledChat": False}, "invitees": [{"email": "alice@example.com"}]}
        r, lines = via("POST", "/meetings", body)
        clean("create", lines)
        mid = r.json["id"]
        for i in range(2):
            via("POST", "/meetings", {"title": "more %d" % i, "start": start, "end": end})
        clean("get", via("GET", "/meetings/" + mid)[1])
        r, lines = via("GET", "/meetings?max=2")
        clean("list", lines)
        c.check(r.header("Link"), "list has a next page")
        clean("list by number", via("GET", "/meetings?meetingNumber=" + r.json["items"][0]["meetingNumber"])[1])
        clean("update", via("PUT", "/meetings/" + mid, {"title": "Renamed", "start": start, "end": end,
                                                         "publicMeeting": False})[1])
        clean("patch", via("PATCH", "/meetings/" + mid, {"agenda": "b"},
                           {"Content-Type": "application/json-patch+json"})[1])
        r, lines = via("POST", "/meetingInvitees", {"meetingId": mid, "email": "bob@example.com",
                                                    "displayName": "Bob", "coHost": True})
        clean("add invitee", lines)
        iid = r.json["id"]
        clean("list invitees", via("GET", "/meetingInvitees?meetingId=" + mid)[1])
        clean("get invitee", via("GET", "/meetingInvitees/" + iid)[1])
        clean("update invitee", via("PUT", "/meetingInvitees/" + iid, {"email": "bob@example.com",
                                                                       "displayName": "Robert"})[1])
        clean("delete invitee", via("DELETE", "/meetingInvitees/" + iid, want=204)[1])
        clean("end", via("POST", "/meetings/%s/end" % mid, {}, want=204)[1])
        clean("delete", via("DELETE", "/meetings/" + mid, want=204)[1])
        time.sleep(0.5)
        every = log_slice(log.name, 0)
        c.check("Violation: response" not in every, "no response violation anywhere in the Prism log",
                [l for l in every.splitlines() if "Violation: response" in l][:10])
        # Negative control: Prism does report what the spec forbids.
        lines = via("GET", "/meetings?max=abc", want=400)[1]
        c.check(re.search(r"Violation: request\.query\.max", lines), "Prism reports violations", lines[-500:])
    except SystemExit as e:
        c.check(False, str(e))
    except Exception as e:
        c.check(False, "test raised %r" % (e,))
        import traceback
        traceback.print_exc()
    finally:
        if prism:
            prism.send_signal(signal.SIGTERM)
            try:
                prism.wait(10)
            except subprocess.TimeoutExpired:
                prism.kill()
                prism.wait()
        rc = cl.stop(keep_log=c.failed > 0)
        c.check(rc == 0, "clean exit on SIGTERM", rc)
        log.close()
        if c.failed:
            print("Prism log kept: " + log.name)
        else:
            os.unlink(log.name)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
