"""usm-cloud under valgrind: a short session (discovery, meetings, meeting
info with a captcha, a join, faults, bad input, Mercury websockets left
open with events still queued, SIGTERM) must show no memory errors and no
definitely or indirectly lost bytes."""
import os
import shutil
import sys
import tempfile

from cloudtest import TOKENS, Checks, Cloud
from wsclient import WS

SKIP = 77
c = Checks("cloud_valgrind")


def session(cl):
    ok = lambda r, want=200: c.status(r, want, "request")  # noqa: E731
    ok(cl.request("GET", "/u2c/api/v1/catalog?format=hostmap", "host"))
    ok(cl.request("GET", "/v1/people/me", "nobody"), 401)
    wdm = cl.request("POST", "/wdm/api/v1/devices", "host", {"deviceType": "WEB"}).json
    dev = wdm["url"]
    # Mercury: one socket authorized (its events are held back, so some are
    # still queued at shutdown), one that never authorizes; both stay open.
    ws = WS(cl.ctx, wdm["webSocketUrl"], timeout=60)
    ws.send({"id": "a", "type": "authorization", "data": {"token": "Bearer " + TOKENS["host"]}})
    c.check(ws.recv_json(60).get("sequenceNumber") == 1, "mercury buffer_state")
    ws.send({"id": "p", "type": "ping"})
    c.check(ws.recv_json(60).get("type") == "pong", "mercury pong")
    ok(cl.admin_post("/admin/mercury", {"delayMs": 60000}))
    session.sockets = [ws, WS(cl.ctx, wdm["webSocketUrl"], timeout=60)]
    m = cl.request("POST", "/v1/meetings", "host",
                   {"title": "vg", "start": "2031-01-01T10:00:00Z", "end": "2031-01-01T11:00:00Z",
                    "invitees": [{"email": "x@example.com"}], "meetingOptions": {"enabledChat": False}}).json
    ok(cl.request("PUT", "/v1/meetings/" + m["id"], "host",
                  {"title": "vg2", "start": "2031-01-01T10:00:00Z", "end": "2031-01-01T11:00:00Z"}))
    ok(cl.request("GET", "/v1/meetings?max=1", "host"))
    ok(cl.request("POST", "/v1/meetingInvitees", "host", {"meetingId": m["id"], "email": "y@example.com"}))
    info = lambda who, **k: cl.request("POST", "/wbxappapi/v1/meetingInfo", who,  # noqa: E731
                                       dict(meetingKey=m["meetingNumber"], **k))
    for _ in range(3):
        r = info("alice", password="wrong")
    ok(r, 423)
    ok(cl.request("GET", r.json["verificationImageURL"]))
    ok(cl.request("GET", r.json["verificationAudioURL"]))
    ok(cl.request("POST", r.json["refreshURL"], "alice", {}))
    j = info("host").json
    ok(cl.request("POST", j["locusUrl"] + "/participant", "host",
                  {"device": {"url": dev, "deviceType": "WEB"}, "permissionToken": j["permissionToken"]}))
    ok(cl.request("PATCH", j["locusUrl"] + "/controls", "host", {"lock": {"locked": True}}))
    g = cl.request("POST", "/v1/guests/token", "app", {"subject": "s", "displayName": "G"}).json
    ok(cl.request("GET", "/v1/people/me", g["accessToken"]))
    cl.admin_post("/admin/faults", {"latencyMs": 50, "failNext": {"count": 1, "status": 503, "retryAfter": 1}})
    ok(cl.request("GET", "/v1/people/me", "host"), 503)
    cl.admin_post("/admin/faults", {})
    ok(cl.request("POST", "/v1/meetings", "host", b"{\"title\":[" * 50), 400)
    ok(cl.request("GET", cl.admin + "/admin/state"))
    ok(cl.request("POST", "/v1/meetings/%s/end" % m["id"], "host", {}), 204)
    ok(cl.admin_post("/admin/reset", {}))


def main():
    if os.environ.get("USM_SANITIZE") in ("1", "ON", "TRUE") or not shutil.which("valgrind"):
        print("SKIP: valgrind is missing or the build is sanitized")
        return SKIP
    log = tempfile.NamedTemporaryFile(prefix="usm-cloud-vg-", suffix=".log", delete=False)
    log.close()
    vg = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
          "--error-exitcode=99", "--log-file=" + log.name]
    cl = Cloud(wrapper=vg, ready_timeout=120)
    try:
        session(cl)
    except Exception as e:
        c.check(False, "test raised %r" % (e,))
    finally:
        rc = cl.stop(timeout=60, keep_log=c.failed > 0)
    with open(log.name, errors="replace") as f:
        report = f.read()
    c.check(rc == 0, "valgrind found no errors and no definite/indirect leaks (exit %s)" % rc,
            report[-3000:] if rc else None)
    c.check("definitely lost: 0 bytes" in report or "All heap blocks were freed" in report
            or "definitely lost" not in report, "no bytes definitely lost")
    if c.failed:
        print("valgrind log kept: " + log.name)
    else:
        os.unlink(log.name)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
