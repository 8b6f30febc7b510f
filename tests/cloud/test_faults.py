"""Fault controls of usm-cloud's admin listener (failNext with Retry-After
and path prefixes, latency), the other admin calls, and bad input that must
never crash, hang or wedge the server."""
import http.client
import socket
import ssl
import sys
import time

from cloudtest import Checks, Cloud

c = Checks("cloud_faults")


def faults(cl):
    r = cl.admin_post("/admin/faults", {"failNext": {"count": 2, "status": 503, "retryAfter": 7}})
    c.status(r, 200, "set failNext")
    for i in range(2):
        r = cl.request("GET", "/v1/people/me", "host")
        c.check(r.status == 503 and r.header("Retry-After") == "7", "injected 503 #%d" % (i + 1), r)
        c.check(r.json and r.json.get("trackingId") and r.json.get("errors"), "injected error body", r)
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "after the injected failures")

    cl.admin_post("/admin/faults", {"failNext": {"count": 1, "status": 429, "pathPrefix": "/v1/meetings"}})
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "other path not failed")
    r = cl.request("GET", "/v1/meetings", "host")
    c.check(r.status == 429 and r.header("Retry-After") is None, "prefix failed, no Retry-After", r)
    c.status(cl.request("GET", "/v1/meetings", "host"), 200, "prefix fault used up")
    c.status(cl.admin_post("/admin/faults", {"failNext": {"count": 1, "status": 500}}), 200, "fail unauthenticated")
    c.status(cl.request("GET", "/v1/people/me"), 500, "faults come before auth")

    cl.admin_post("/admin/faults", {"latencyMs": 400})
    t = time.monotonic()
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "slow request")
    c.check(time.monotonic() - t >= 0.39, "latency applied", time.monotonic() - t)
    st = cl.admin_state()
    c.check(st["faults"]["latencyMs"] == 400, "state shows faults", st["faults"])
    c.status(cl.admin_post("/admin/faults", {}), 200, "clear faults")
    t = time.monotonic()
    cl.request("GET", "/v1/people/me", "host")
    c.check(time.monotonic() - t < 0.3, "latency cleared", time.monotonic() - t)
    for bad in ({"latencyMs": -1}, {"latencyMs": "x"}, {"failNext": {"count": 1, "status": 200}},
                {"failNext": {"count": 1}}, {"failNext": {"count": 1, "status": 503, "pathPrefix": "v1"}}):
        c.status(cl.admin_post("/admin/faults", bad), 400, "bad faults %r" % bad)
    c.status(cl.request("POST", cl.admin + "/admin/faults", body=b"[1,2"), 400, "faults not JSON")


def admin(cl):
    m = cl.request("POST", "/v1/meetings", "host",
                   {"title": "t", "start": "2031-01-01T10:00:00Z", "end": "2031-01-01T11:00:00Z"}).json
    c.status(cl.admin_post("/admin/reset", {}), 200, "reset")
    c.status(cl.request("GET", "/v1/meetings/" + m["id"], "host"), 404, "meetings dropped by reset")
    st = cl.admin_state()
    c.check(all(x["kind"] == "personalRoom" for x in st["meetings"]) and st["loci"] == [],
            "only personal rooms survive a reset", st["meetings"])
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "users survive a reset")
    r = cl.admin_post("/admin/users", {"email": "dave@example.com", "name": "Dave", "licensed": True,
                                       "token": "dave-token", "type": "person"})
    c.status(r, 200, "add user")
    me = cl.request("GET", "/v1/people/me", "dave-token").json
    c.check(me and me["displayName"] == "Dave" and me["licenses"], "new user works", me)
    c.status(cl.admin_post("/admin/users", {"email": "dave@example.com", "name": "D", "token": "t2"}), 400,
             "duplicate user")
    c.status(cl.admin_post("/admin/users", {"email": "erin@example.com", "name": "E", "token": "dave-token"}), 400,
             "duplicate token")
    cl.admin_post("/admin/users", {"email": "old@example.com", "name": "Old", "token": "old-token", "expires": 1000})
    c.status(cl.request("GET", "/v1/people/me", "old-token"), 401, "expired token")
    c.status(cl.request("GET", cl.admin + "/v1/people/me", "host"), 404, "public API is not on the admin port")
    c.status(cl.request("GET", "/admin/state", "host"), 404, "admin API is not on the public port")


ENDPOINTS = [("POST", "/v1/meetings"), ("PUT", "/v1/meetings/x"), ("PATCH", "/v1/meetings/x"),
             ("POST", "/v1/meetingInvitees"), ("PUT", "/v1/meetingInvitees/x"), ("POST", "/v1/guests/token"),
             ("POST", "/wdm/api/v1/devices"), ("POST", "/wbxappapi/v1/meetingInfo"),
             ("POST", "/captchaservice/v1/captchas/refresh"), ("POST", "/locus/api/v1/loci/call"),
             ("POST", "/locus/api/v1/loci/x/participant"), ("PUT", "/locus/api/v1/loci/x/controls")]

BODIES = [b"", b"{", b"null", b"[]", b"\"s\"", b"{\"title\":{}}", b"\xff\xfe\x00garbage",
          b"[" * 5000 + b"]" * 5000, b"{\"a\":" * 3000 + b"1" + b"}" * 3000,
          b"{\"title\":\"" + b"x" * 100000 + b"\"}",
          b"{\"invitees\":[" + b",".join([b"{\"email\":\"a@b.c\"}"] * 2000) + b"]}",
          b"{\"meetingKey\":1e308,\"sipUrl\":5,\"device\":{\"url\":[]},\"invitee\":{\"address\":null}}"]


def raw_status(cl, data):
    """Sends @data on a fresh TLS connection; the answer's status or None."""
    tls = ssl.create_default_context(cafile=cl.ca)
    with tls.wrap_socket(socket.create_connection((cl.host, cl.port), timeout=10),
                         server_hostname="127.0.0.1") as s:
        s.sendall(data)
        try:
            line = s.recv(200).split(b"\r\n", 1)[0].split()
        except (OSError, ssl.SSLError):
            return None
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else None


def bad_input(cl):
    for method, path in ENDPOINTS:
        for body in BODIES:
            r = cl.request(method, path, "host", body, headers={"Content-Type": "application/json"})
            c.check(400 <= r.status < 500, "%s %s with %r: 4xx" % (method, path, body[:20]), r.status)
    big = b"{\"title\":\"" + b"x" * (2 << 20) + b"\"}"
    try:
        r = cl.request("POST", "/v1/meetings", "host", big, headers={"Content-Type": "application/json"})
        c.status(r, 413, "2 MiB body")
    except (ConnectionError, OSError) as e:  # the server may close before reading it all
        c.check(True, "2 MiB body refused (%s)" % e)
    r = cl.request("GET", "/v1/" + "a" * 3000, "host")
    c.check(400 <= r.status < 500, "long path refused", r.status)
    r = cl.request("GET", "/v1/people/me", "x" * 5000)
    c.check(400 <= r.status < 500, "huge token refused", r.status)
    try:  # lws may drop a request with more query arguments than it parses
        r = cl.request("GET", "/v1/meetings?" + "&".join("k%d=%d" % (i, i) for i in range(200)), "host")
        c.check(r.status in (200, 400, 414, 431), "many query args", r.status)
    except (ConnectionError, http.client.HTTPException):
        c.check(True, "many query args refused")
    for path in ("/v1/meetings/%00", "/v1/%2e%2e/%2e%2e/etc/passwd", "/v1/meetings/%C3%A9%FF", "//v1//meetings",
                 "/locus/api/v1/loci/../../v1/people/me", "/wbxappapi/v1/meetingInfo%0d%0aX:%20y"):
        r = cl.request("GET", path, "host")
        c.check(r.status < 500, "odd path %r" % path, r.status)
    for raw in (b"GET /v1/meetings/\xc3\xa9\xff HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /v1/people/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x00\x01\r\n\r\n",
                b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
                b"GET /v1/people/me HTTP/9.9\r\n\r\n"):
        c.check(raw_status(cl, raw) in (None, 400, 401, 404, 405, 411, 413, 414, 431, 505),
                "raw request %r" % raw[:40])
    for method in ("HEAD", "OPTIONS", "TRACE"):
        try:
            r = cl.request(method, "/v1/people/me", "host")
            c.check(r.status < 500 or r.status == 501, method, r.status)
        except (ConnectionError, OSError, http.client.HTTPException):
            c.check(True, method + " refused")


def raw_connections(cl):
    # Garbage and plain HTTP on the TLS port, idle connections, half-sent requests.
    idle = []
    for i in range(40):
        s = socket.create_connection((cl.host, cl.port), timeout=5)
        if i % 4 == 0:
            s.sendall(b"\x16\x03\x01\x00\x05hello")
        elif i % 4 == 1:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        elif i % 4 == 2:
            s.sendall(b"\x00" * 1000)
        idle.append(s)
    tls = ssl.create_default_context(cafile=cl.ca)
    s = tls.wrap_socket(socket.create_connection((cl.host, cl.port), timeout=5), server_hostname="127.0.0.1")
    s.sendall(b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ti")
    idle.append(s)
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "serves while others misbehave")
    for s in idle:
        s.close()
    # Keep-alive: many requests on one connection.
    conn = http.client.HTTPSConnection(cl.host, cl.port, context=cl.ctx, timeout=10)
    codes = [cl.request("GET", "/v1/people/me", "host", conn=conn).status for _ in range(30)]
    codes += [cl.request("POST", "/v1/meetings", "host", b"{", conn=conn).status for _ in range(5)]
    codes.append(cl.request("GET", "/v1/people/me", "host", conn=conn).status)
    conn.close()
    c.check(codes == [200] * 30 + [400] * 5 + [200], "keep-alive connection", codes)
    # A client that disappears while the server holds a slow answer back.
    cl.admin_post("/admin/faults", {"latencyMs": 300})
    s = tls.wrap_socket(socket.create_connection((cl.host, cl.port), timeout=5), server_hostname="127.0.0.1")
    s.sendall(b"GET /v1/people/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer usm-demo-host-token\r\n\r\n")
    s.close()
    time.sleep(0.5)
    cl.admin_post("/admin/faults", {})
    c.status(cl.request("GET", "/v1/people/me", "host"), 200, "after a vanished client")


def main():
    cl = Cloud()
    try:
        faults(cl)
        admin(cl)
        bad_input(cl)
        raw_connections(cl)
        c.check(cl.alive(), "server still running")
    except Exception as e:
        c.check(False, "test raised %r" % (e,))
        import traceback
        traceback.print_exc()
    finally:
        rc = cl.stop(keep_log=c.failed > 0)
        c.check(rc == 0, "clean exit on SIGTERM", rc)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
