"""Mercury on usm-cloud (docs/local-cloud.md, Mercury): websockets with no
subprotocol at each device's webSocketUrl, authorization, buffer_state
first, ping/pong, acks, Locus events (full DTOs and deltas) to every
participant's devices with per-connection sequence numbers, replacement,
bad tokens and devices, the inbound frame bound, every admin fault, and
1001 at shutdown."""
import json
import sys
import time
import uuid

from cloudtest import TOKENS, Checks, Cloud
from wsclient import WS, HandshakeError

c = Checks("cloud_mercury")
QUERY = "?outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true"
START, END = "2031-02-01T10:00:00Z", "2031-02-01T11:00:00Z"


def ok(resp, what, status=200):
    c.status(resp, status, what)
    return resp.json


class Device:
    """A user's registered device, its Mercury socket and what it saw."""

    def __init__(self, cl, who):
        self.cl, self.who = cl, who
        d = ok(cl.request("POST", "/wdm/api/v1/devices", who, {"deviceType": "WEB"}), "WDM " + who)
        self.url, self.ws_url = d["url"], d["webSocketUrl"]
        self.ws = None
        self.last_seq = 0

    def connect(self, token=None):
        self.ws = WS(self.cl.ctx, self.ws_url + QUERY)
        self.ws.send({"id": str(uuid.uuid4()), "type": "authorization",
                      "data": {"token": "Bearer " + TOKENS.get(token or self.who, token or self.who)},
                      "trackingId": "test_1"})
        return self.ws

    def online(self):
        ws = self.connect()
        m = ws.recv_json()
        c.check(isinstance(m, dict) and m.get("data", {}).get("eventType") == "mercury.buffer_state"
                and m.get("sequenceNumber") == 1 and "type" not in m and m.get("headers") == {},
                "buffer_state first with sequenceNumber 1 (%s)" % self.who, m)
        self.last_seq = 1
        return m

    def event(self, what, timeout=5):
        """The next message, checked to be the next sequence number."""
        m = self.ws.recv_json(timeout)
        good = isinstance(m, dict) and m.get("sequenceNumber") == self.last_seq + 1
        c.check(good, "%s: next event for %s in sequence (after %d)" % (what, self.who, self.last_seq), m)
        if isinstance(m, dict) and isinstance(m.get("sequenceNumber"), int):
            self.last_seq = m["sequenceNumber"]
        return m if isinstance(m, dict) else {}

    def quiet(self, what, timeout=0.5):
        r = self.ws.recv(timeout)
        c.check(r == ("timeout",), "%s: nothing more for %s" % (what, self.who), r)


def seqn(dto):
    return dto["sequence"]["entries"][0]


def parts(locus):
    return {p["person"]["email"]: p for p in locus.get("participants", [])}


def admin_conns(cl):
    return cl.request("GET", cl.admin + "/admin/mercury").json["connections"]


def join(cl, who, dev, m):
    key = {"meetingKey": m["meetingNumber"], "password": m["password"]}
    j = ok(cl.request("POST", "/wbxappapi/v1/meetingInfo", who, key), "info")
    r = cl.request("POST", j["locusUrl"] + "/participant?alternateRedirect=true", who,
                   {"device": {"url": dev.url, "deviceType": "WEB"}, "permissionToken": j["permissionToken"]})
    return j["locusUrl"], ok(r, "join " + who)["locus"]


def handshake_fails(cl, url):
    try:
        WS(cl.ctx, url).close()
        return False
    except (HandshakeError, EOFError, OSError):
        return True


def auth_errors(cl, host):
    ws = host.connect(token="not-a-token")
    c.check(ws.recv() == ("close", 4401, "unauthorized"), "unknown token: close 4401", ws.closed)
    ws.close()
    ws = host.connect(token="alice")  # host's device, alice's token
    c.check(ws.recv()[:2] == ("close", 4403), "someone else's device: close 4403", ws.closed)
    ws.close()
    ws = WS(cl.ctx, host.ws_url)
    ws.send_frame("{not json")
    c.check(ws.recv()[:2] == ("close", 4400), "bad JSON before authorization: close 4400", ws.closed)
    ws.close()
    ws = WS(cl.ctx, host.ws_url)
    ws.send({"id": "1", "type": "ping"})
    c.check(ws.recv()[:2] == ("close", 4400), "a ping before authorization: close 4400", ws.closed)
    ws.close()
    c.check(handshake_fails(cl, cl.url.replace("https", "wss") + "/mercury/nope"), "a path that is no device: refused")
    c.check(handshake_fails(cl, cl.url.replace("https", "wss") + "/v1/people/me"), "a REST path: no upgrade")


def flow(cl):
    host, alice = Device(cl, "host"), Device(cl, "alice")
    c.check(host.ws_url.startswith("wss://") and "/mercury/" in host.ws_url, "webSocketUrl", host.ws_url)
    auth_errors(cl, host)

    host.online()
    c.check(host.ws.protocol is None, "no subprotocol in the answer", host.ws.protocol)
    host.ws.send({"id": "ping-1", "type": "ping"})
    p = host.event("pong")
    c.check(p.get("type") == "pong" and p.get("id") == "ping-1", "pong echoes the ping's id", p)
    alice.online()

    m = ok(cl.request("POST", "/v1/meetings", "host", {"title": "Merc", "start": START, "end": END}), "meeting")
    locus_url, dto = join(cl, "host", host, m)
    e = host.event("host joins")
    c.check(e["data"]["eventType"] == "locus.participant_joined" and e["data"]["locusUrl"] == locus_url
            and seqn(e["data"]["locus"]) == seqn(dto) and e["data"]["locus"]["self"]["state"] == "JOINED",
            "first change: a full DTO (no base to diff against)", e)
    alice.quiet("alice is no participant yet")

    _, adto = join(cl, "alice", alice, m)
    a_pid = adto["self"]["id"]
    c.check(adto["self"]["state"] == "IDLE", "alice waits in the lobby", adto["self"])
    for d in (host, alice):
        e = d.event("alice in the lobby")
        lo = e["data"]["locus"]
        c.check(e["data"]["eventType"] == "locus.difference" and seqn(lo) == seqn(adto)
                and seqn({"sequence": lo["baseSequence"]}) == seqn(adto) - 1
                and list(parts(lo)) == ["alice@example.com"] and parts(lo)["alice@example.com"]["state"] == "IDLE"
                and "fullState" in lo and "info" not in lo and lo["url"] == locus_url,
                "lobby delta for %s: only alice, with base and sequence" % d.who, e)
        c.check(("self" in lo) == (d is alice), "delta self only for the changed viewer (%s)" % d.who, lo)

    ok(cl.request("PUT", locus_url + "/controls", "host", {"admit": {"participantIds": [a_pid]}}), "admit")
    for d in (host, alice):
        lo = d.event("admit")["data"]["locus"]
        c.check(parts(lo)["alice@example.com"]["state"] == "JOINED" and lo["fullState"]["count"] == 2,
                "admit delta for %s" % d.who, lo)

    # Full DTOs for alice from now on; deltas for the host.
    c.check(ok(cl.admin_post("/admin/mercury", {"email": "alice@example.com", "deltas": False}),
               "deltas off")["matched"] == 1, "deltas:false matched alice's one connection")
    ok(cl.request("PATCH", locus_url + "/controls", "host", {"lock": {"locked": True}}), "lock")
    lo = host.event("lock")["data"]["locus"]
    c.check(lo["controls"]["lock"]["locked"] is True and lo["participants"] == [] and "self" not in lo,
            "lock delta: controls, no participant", lo)
    e = alice.event("lock")
    c.check(e["data"]["eventType"] == "locus.controls_updated" and e["data"]["locus"]["self"]["id"] == a_pid
            and len(e["data"]["locus"]["participants"]) == 2, "lock: a full DTO for alice", e)

    h_pid = dto["self"]["id"]
    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, a_pid), "host",
                  {"role": {"moderator": True}}), "host transfer")
    lo = host.event("host transfer")["data"]["locus"]
    c.check(set(parts(lo)) == {"host@example.com", "alice@example.com"} and "self" in lo
            and lo["host"]["id"] == adto["self"]["identity"], "host transfer delta", lo)
    c.check(alice.event("host transfer")["data"]["eventType"] == "locus.participant_roles_updated",
            "host transfer: roles_updated")

    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "host",
                  {"audio": {"muted": True}}), "mute")
    host.event("mute")
    c.check(alice.event("mute")["data"]["eventType"] == "locus.participant_controls_updated", "mute event")

    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "alice",
                  {"role": {"moderator": True}}), "host role back")
    host.event("host role back")
    alice.event("host role back")

    # Faults, each seen by the client.
    ok(cl.admin_post("/admin/mercury", {"device": host.url.rsplit("/", 1)[1], "stopPong": True}), "stopPong")
    host.ws.send({"id": "ping-2", "type": "ping"})
    host.quiet("stopPong: no pong", 1.0)
    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "stopPong": False}), "pong again")
    host.ws.send({"id": "ping-3", "type": "ping"})
    c.check(host.event("pong again").get("id") == "ping-3", "pongs resume")

    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "skipSequence": 1}), "skip")
    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "host",
                  {"audio": {"muted": False}}), "unmute")
    m1 = host.ws.recv_json()
    c.check(m1.get("sequenceNumber") == host.last_seq + 2, "skipSequence: a gap of one", m1)
    host.last_seq = m1.get("sequenceNumber", host.last_seq)
    alice.event("unmute")

    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "repeatSequence": 1}), "repeat")
    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "host",
                  {"video": {"muted": True}}), "video mute")
    m2 = host.ws.recv_json()
    c.check(m2.get("sequenceNumber") == host.last_seq, "repeatSequence: the same number again", m2)
    alice.event("video mute")

    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "malformed": True}), "malformed")
    r = host.ws.recv_json()
    c.check(r[0] == "notjson", "malformed: a frame that is not JSON", r)
    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "oversized": 2 << 20}), "oversized")
    r = host.ws.recv()
    c.check(r[0] == "text" and len(r[1]) == 2 << 20 and isinstance(json.loads(r[1]), str),
            "oversized: one JSON text frame of exactly N bytes", (r[0], len(r[1]) if r[0] == "text" else r))

    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "delayMs": 700}), "delay")
    t0 = time.monotonic()
    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "host",
                  {"video": {"muted": False}}), "video unmute")
    host.event("delayed")
    c.check(time.monotonic() - t0 >= 0.6, "delayMs holds the event", time.monotonic() - t0)
    alice.event("not delayed")
    ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "delayMs": 0}), "no delay")

    # Acks and pings are counted; the client acks everything with an id.
    time.sleep(0.3)
    conns = {x["email"]: x for x in admin_conns(cl)}
    h = conns.get("host@example.com", {})
    c.check(h.get("online") and h.get("pings") == 3 and h.get("sent") == h.get("acked") and h["sent"] >= 10,
            "GET /admin/mercury: sent = acked, pings counted", conns)

    # alice leaves: both hear it (alice as the one who just left).
    ok(cl.request("PUT", "%s/participant/%s/leave" % (locus_url, a_pid), "alice"), "leave")
    lo = host.event("leave")["data"]["locus"]
    c.check(parts(lo)["alice@example.com"]["state"] == "LEFT", "leave delta: alice LEFT", lo)
    e = alice.event("leave")
    c.check(e["data"]["eventType"] == "locus.participant_left" and e["data"]["locus"]["self"]["state"] == "LEFT"
            and parts(e["data"]["locus"])["alice@example.com"]["state"] == "LEFT", "alice hears she left", e)
    ok(cl.request("PATCH", "%s/participant/%s/controls" % (locus_url, h_pid), "host",
                  {"audio": {"muted": True}}), "mute after alice left")
    host.event("mute after leave")
    alice.quiet("alice left: no more events")
    c.check(ok(cl.request("GET", locus_url, "host"), "GET DTO")["participants"][1]["state"] == "LEFT",
            "REST DTO keeps alice as LEFT")

    # A newer connection of the device replaces the older.
    old = host.ws
    host.online()
    c.check(old.recv() == ("close", 4000, "replaced"), "the older connection: close 4000 replaced", old.closed)
    old.close()
    ok(cl.request("POST", locus_url + "/end", "host", {}), "the host ends it")
    c.check(host.event("end")["data"]["locus"]["fullState"]["state"] == "INACTIVE", "end: the host hears it")
    return host, alice


def closes(cl, host, alice):
    ok(cl.admin_post("/admin/mercury", {"email": "alice@example.com", "close": {"code": 4001, "reason": "x"}}),
       "close")
    c.check(alice.ws.recv() == ("close", 4001, "x"), "close fault: that code and reason", alice.ws.closed)
    alice.ws.close()
    ok(cl.admin_post("/admin/mercury", {"device": host.url.rsplit("/", 1)[1], "drop": True}), "drop")
    c.check(host.ws.recv() == ("eof",), "drop: TCP closed without a close frame", host.ws.closed)
    host.ws.close()

    # Inbound frames above 64 KiB: close 1009 (64 KiB itself is fine).
    host.online()
    host.ws.send_frame(json.dumps({"type": "x", "pad": "y" * ((64 << 10) - 30)})[: 64 << 10])
    host.ws.send({"id": "ping-4", "type": "ping"})
    c.check(host.ws.recv_json().get("id") == "ping-4", "a 64 KiB frame is accepted")
    host.ws.send_frame("z" * ((64 << 10) + 1))
    c.check(host.ws.recv()[:2] == ("close", 1009), "a bigger frame: close 1009", host.ws.closed)
    host.ws.close()

    # A client that does not read is dropped once its queue is full.
    host.online()
    # (lws takes one frame whole; the queue then holds two more at most.)
    for _ in range(5):
        ok(cl.admin_post("/admin/mercury", {"email": "host@example.com", "oversized": 4 << 20}), "flood")
    deadline = time.monotonic() + 5
    while any(x["email"] == "host@example.com" for x in admin_conns(cl)) and time.monotonic() < deadline:
        time.sleep(0.1)
    c.check(not any(x["email"] == "host@example.com" for x in admin_conns(cl)), "a slow reader is dropped",
            admin_conns(cl))
    host.ws.close()

    # At most 16 authorized connections per user.
    bobs = [Device(cl, "bob") for _ in range(17)]
    for b in bobs[:16]:
        b.online()
    ws = bobs[16].connect()
    c.check(ws.recv()[:2] == ("close", 1008), "the 17th connection of a user: close 1008", ws.closed)
    for b in bobs:
        b.ws.close()

    bad = [{"close": {"code": 1005}}, {"oversized": 1 << 30}, {"delayMs": -1}, {"drop": 1}, {"device": 5}]
    for b in bad:
        c.status(cl.admin_post("/admin/mercury", b), 400, "bad fault %r" % b)


def main():
    cl = Cloud()
    last = None
    try:
        host, alice = flow(cl)
        closes(cl, host, alice)
        c.check(cl.alive(), "usm-cloud is still running")
        last = Device(cl, "alice")
        last.online()
    except Exception as e:  # a broken answer shows as a failed check
        import traceback
        traceback.print_exc()
        c.check(False, "test raised %r" % (e,))
    finally:
        c.check(cl.stop(keep_log=c.failed > 0) == 0, "usm-cloud exits 0")
    if last:
        c.check(last.ws.recv() == ("close", 1001, "going away"), "shutdown: close 1001", last.ws.closed)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
