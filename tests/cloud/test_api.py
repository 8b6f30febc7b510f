"""End-to-end checks of usm-cloud's public API over verified TLS: discovery,
devices, people, licenses, guests, /v1/meetings and invitees, meeting info
with the password and captcha rules, and the Locus join flow."""
import base64
import json
import re
import sys
import time

from cloudtest import Checks, Cloud
from media_check import dtmf_digits, png_ok, wav_samples

SITE = "localsite.webex.com"
START, END = "2031-03-01T10:00:00Z", "2031-03-01T11:00:00Z"

c = Checks("cloud_api")


def ok(resp, what, status=200):
    c.status(resp, status, what)
    return resp.json


def rest_error(resp, what):
    j = resp.json or {}
    c.check(isinstance(j.get("message"), str) and isinstance(j.get("errors"), list)
            and j["errors"] and "description" in j["errors"][0] and "trackingId" in j,
            what + ": REST error shape", resp)


def locus_error(resp, status, code, what):
    c.status(resp, status, what)
    j = resp.json or {}
    c.check(j.get("errorCode") == code, "%s: errorCode %d" % (what, code), resp)


def seq(dto):
    return dto["sequence"]["entries"][0]


def auth_and_discovery(cl):
    r = cl.request("GET", "/v1/people/me")
    c.status(r, 401, "no token")
    rest_error(r, "no token")
    c.check(r.header("TrackingID"), "TrackingID header on every response")
    r = cl.request("GET", "/v1/people/me", token="nope", headers={"TrackingID": "TEST_42"})
    c.status(r, 401, "unknown token")
    c.check(r.header("TrackingID") == "TEST_42" and r.json["trackingId"] == "TEST_42",
            "client TrackingID echoed", r.headers)
    j = ok(cl.request("GET", "/u2c/api/v1/catalog?format=hostmap", token="host"), "catalog")
    links = j["serviceLinks"]
    c.check(links.get("hydra") == cl.url + "/v1" and links.get("wdm") == cl.url + "/wdm/api/v1"
            and links.get("locus") == cl.url + "/locus/api/v1"
            and links.get("webex-appapi-service") == cl.url + "/wbxappapi/v1"
            and links.get("u2c") == cl.discovery, "serviceLinks", links)
    hostkey = "127.0.0.1:%d" % cl.port
    entries = j["hostCatalog"].get(hostkey, [])
    c.check(len(entries) == len(links) and all(
        e["host"] == hostkey and e["ttl"] == -1 and e["priority"] == 5
        and e["id"].startswith("urn:TEAM:") and e["id"].split(":")[3] in links for e in entries),
        "hostCatalog entries", j["hostCatalog"])


def devices(cl):
    body = {"name": "libusm", "deviceType": "WEB", "model": "libusm", "localizedModel": "libusm",
            "systemName": "libusm", "systemVersion": "0.1",
            "capabilities": {"sdpSupported": True, "groupCallSupported": True}}
    d = ok(cl.request("POST", "/wdm/api/v1/devices?includeUpstreamServices=all", "host", body), "WDM register")
    m = re.fullmatch(re.escape(cl.url) + r"/wdm/api/v1/devices/([0-9a-f-]{36})", d["url"])
    c.check(m and d["webSocketUrl"] == "wss://127.0.0.1:%d/mercury/%s" % (cl.port, m.group(1)),
            "device url and webSocketUrl", d)
    c.check(d["deviceType"] == "WEB" and d["name"] == "libusm" and d["userId"] and d["orgId"]
            and d["creationTime"], "device fields", d)
    c.status(cl.request("DELETE", d["url"], "alice"), 404, "someone else's device")
    c.status(cl.request("DELETE", d["url"], "host"), 204, "unregister")
    c.status(cl.request("DELETE", d["url"], "host"), 404, "unregister twice")


def register(cl, who):
    return cl.request("POST", "/wdm/api/v1/devices", who, {"deviceType": "WEB"}).json["url"]


def people(cl):
    me = {}
    for who, name, licensed, kind in (("host", "Hana Host", True, "person"),
                                      ("alice", "Alice Attendee", True, "person"),
                                      ("bob", "Bob Unlicensed", False, "person"),
                                      ("app", "Guest Issuer App", False, "bot")):
        j = ok(cl.request("GET", "/v1/people/me", who), "people/me " + who)
        me[who] = j
        decoded = base64.urlsafe_b64decode(j["id"] + "==").decode()
        c.check(decoded.startswith("ciscospark://us/PEOPLE/"), "Hydra PEOPLE id " + who, decoded)
        c.check(j["displayName"] == name and j["type"] == kind
                and bool(j["licenses"]) == licensed and isinstance(j["emails"], list)
                and j["orgId"], "people/me fields " + who, j)
        sites = ok(cl.request("GET", "/v1/meetingPreferences/sites", who), "sites " + who)["sites"]
        c.check(sites == ([{"siteUrl": SITE, "default": True}] if licensed else []),
                "sites of " + who, sites)
    c.check(me["host"]["emails"] == ["host@example.com"], "host email")
    j = ok(cl.request("GET", "/v1/people/" + me["alice"]["id"], "host"), "people/{id}")
    c.check(j["emails"] == ["alice@example.com"], "people/{id} is alice", j)
    c.status(cl.request("GET", "/v1/people/Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ub3BlIg", "host"), 404,
             "unknown person")
    j = ok(cl.request("GET", "/v1/people?email=bob@example.com", "host"), "people?email")
    c.check(len(j["items"]) == 1 and j["items"][0]["displayName"] == "Bob Unlicensed", "lookup by email", j)
    return me


def guests(cl):
    body = {"subject": "guest-1", "displayName": "Gus Guest"}
    c.status(cl.request("POST", "/v1/guests/token", "host", body), 403, "user mints guest")
    c.status(cl.request("POST", "/v1/guests/token", "app", {"subject": "x"}), 400, "guest without name")
    j = ok(cl.request("POST", "/v1/guests/token", "app", body), "service app mints guest")
    c.check(j["accessToken"] and j["expiresIn"] > 0, "guest token fields", j)
    g = j["accessToken"]
    me = ok(cl.request("GET", "/v1/people/me", g), "guest people/me")
    c.check(me["type"] == "appuser" and me["licenses"] == [] and me["displayName"] == "Gus Guest",
            "guest is an appuser", me)
    c.check(ok(cl.request("GET", "/v1/meetingPreferences/sites", g), "guest sites")["sites"] == [],
            "guest has no site")
    r = cl.request("POST", "/v1/meetings", g, {"title": "x", "start": START, "end": END})
    c.status(r, 403, "guest creates meeting")
    return g


def create(cl, who="host", **extra):
    body = {"title": "Design review", "start": START, "end": END}
    body.update(extra)
    return cl.request("POST", "/v1/meetings", who, body)


def meetings(cl):
    r = create(cl, "bob")
    c.status(r, 403, "unlicensed create")
    c.check("license" in (r.json or {}).get("message", ""), "license message", r)
    rest_error(r, "unlicensed create")
    m = ok(create(cl, agenda="Agenda", invitees=[{"email": "carol@example.com"}]), "licensed create")
    c.check(re.fullmatch(r"[0-9a-f]{32}", m["id"]) and re.fullmatch(r"\d{10}", m["meetingNumber"])
            and re.fullmatch(r"\d{6}", m["hostKey"]) and m["password"], "ids, number, key", m)
    c.check(m["webLink"] == "https://%s/localsite/j.php?MTID=m%s" % (SITE, m["webLink"][-32:])
            and re.fullmatch(r"[0-9a-f]{32}", m["webLink"][-32:]), "webLink", m["webLink"])
    c.check(m["sipAddress"] == m["meetingNumber"] + "@" + SITE and m["siteUrl"] == SITE, "sip, site", m)
    c.check(m["start"] == START and m["end"] == END and m["title"] == "Design review"
            and m["meetingType"] == "meetingSeries" and m["state"] == "active"
            and m["hostEmail"] == "host@example.com", "echoed fields", m)
    for bad, why in (({"title": "x" * 129}, "title over 128"), ({"start": None}, "no start"),
                     ({"end": "2031-03-01T09:00:00Z"}, "end before start"),
                     ({"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"}, "past"),
                     ({"end": "2031-03-01T10:05:00Z"}, "too short"),
                     ({"start": "tomorrow"}, "not ISO 8601"), ({"adhoc": True}, "adhoc without roomId"),
                     ({"joinBeforeHostMinutes": 7}, "bad option"), ({"hostEmail": "alice@example.com"}, "other host")):
        body = {"title": "t", "start": START, "end": END}
        body.update(bad)
        body = {k: v for k, v in body.items() if v is not None}
        r = cl.request("POST", "/v1/meetings", "host", body)
        c.check(r.status in (400, 403), "validation: " + why, r)
        rest_error(r, "validation: " + why)
    c.status(cl.request("POST", "/v1/meetings", "host", b"{not json"), 400, "bad JSON")

    mid = m["id"]
    ok(cl.request("GET", "/v1/meetings/" + mid, "host"), "get by host")
    c.status(cl.request("GET", "/v1/meetings/" + mid, "alice"), 404, "get by stranger")
    c.status(cl.request("GET", "/v1/meetings/" + mid, "alice", headers={"password": m["password"]}),
             200, "get with password header")
    more = [ok(create(cl, title="m%d" % i), "create %d" % i)["id"] for i in range(3)]
    r = cl.request("GET", "/v1/meetings?max=2", "host")
    page = ok(r, "list page 1")
    link = r.header("Link") or ""
    c.check(len(page["items"]) == 2 and 'rel="next"' in link, "page 1 and Link", (page, link))
    seen = [i["id"] for i in page["items"]]
    url = re.match(r"<([^>]+)>", link).group(1) if link else None
    while url:
        r = cl.request("GET", url, "host")
        seen += [i["id"] for i in ok(r, "next page")["items"]]
        nxt = r.header("Link")
        url = re.match(r"<([^>]+)>", nxt).group(1) if nxt else None
    c.check(sorted(seen) == sorted([mid] + more), "pages cover every meeting", seen)
    j = ok(cl.request("GET", "/v1/meetings?meetingNumber=" + m["meetingNumber"], "host"), "by number")
    c.check([i["id"] for i in j["items"]] == [mid], "list by meetingNumber", j)
    c.status(cl.request("GET", "/v1/meetings?max=0", "host"), 400, "max 0")

    u = ok(cl.request("PUT", "/v1/meetings/" + mid, "host",
                      {"title": "Renamed", "start": START, "end": "2031-03-01T11:30:00Z"}), "put")
    c.check(u["title"] == "Renamed" and u["end"] == "2031-03-01T11:30:00Z" and u["meetingSeriesId"] == mid,
            "put result", u)
    c.status(cl.request("PUT", "/v1/meetings/" + mid, "host", {"title": "x", "start": START, "end": END,
                                                               "roomId": "r"}), 400, "put create-only")
    c.status(cl.request("PUT", "/v1/meetings/" + mid, "host", {"title": "only"}), 400, "put without times")
    c.status(cl.request("PUT", "/v1/meetings/" + mid, "alice", {"title": "x", "start": START, "end": END}),
             404, "put by stranger")
    p = ok(cl.request("PATCH", "/v1/meetings/" + mid, "host", {"agenda": "New agenda"},
                      headers={"Content-Type": "application/json-patch+json"}), "patch")
    c.check(p["agenda"] == "New agenda" and p["title"] == "Renamed", "patch keeps the rest", p)

    inv = ok(cl.request("POST", "/v1/meetingInvitees", "host",
                        {"meetingId": mid, "email": "alice@example.com", "displayName": "Alice"}), "invite")
    c.check(inv["id"].startswith(mid + "_") and inv["email"] == "alice@example.com"
            and inv["meetingId"] == mid and inv["coHost"] is False, "invitee fields", inv)
    c.status(cl.request("POST", "/v1/meetingInvitees", "host", {"meetingId": mid, "email": "alice@example.com"}),
             409, "invite twice")
    c.status(cl.request("POST", "/v1/meetingInvitees", "host", {"meetingId": mid, "email": "nope"}),
             400, "invite bad email")
    c.status(cl.request("POST", "/v1/meetingInvitees", "alice", {"meetingId": mid, "email": "x@example.com"}),
             403, "invitee invites")
    lst = ok(cl.request("GET", "/v1/meetingInvitees?meetingId=" + mid, "host"), "list invitees")["items"]
    c.check(sorted(i["email"] for i in lst) == ["alice@example.com", "carol@example.com"], "invitee list", lst)
    ok(cl.request("GET", "/v1/meetings/" + mid, "alice"), "invitee sees the meeting")
    ok(cl.request("GET", "/v1/meetingInvitees/" + inv["id"], "host"), "get invitee")
    c.status(cl.request("DELETE", "/v1/meetingInvitees/" + inv["id"], "host"), 204, "delete invitee")
    c.status(cl.request("GET", "/v1/meetingInvitees/" + inv["id"], "host"), 404, "deleted invitee")

    c.status(cl.request("POST", "/v1/meetings/%s/end" % mid, "alice", {}), 404, "end by stranger")
    c.status(cl.request("POST", "/v1/meetings/%s/end" % mid, "host", {}), 204, "end")
    c.check(ok(cl.request("GET", "/v1/meetings/" + mid, "host"), "get ended")["state"] == "ended", "state ended")
    c.status(cl.request("POST", "/v1/meetings/%s/end" % mid, "host", {}), 409, "end twice")
    c.status(cl.request("DELETE", "/v1/meetings/" + more[0], "host"), 204, "delete")
    c.status(cl.request("GET", "/v1/meetings/" + more[0], "host"), 404, "deleted")


def info(cl, who, **key):
    body = {"supportHostKey": True, "supportCountryList": True}
    body.update(key)
    return cl.request("POST", "/wbxappapi/v1/meetingInfo", who, body)


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def meeting_info(cl, state):
    m = ok(create(cl, title="Info"), "create for info")
    for key in ({"meetingKey": m["meetingNumber"]}, {"sipUrl": m["sipAddress"]},
                {"meetingUrl": m["webLink"]}):
        j = ok(info(cl, "host", **key), "meetingInfo by %s" % list(key)[0])
        c.check(j["meetingNumber"] == m["meetingNumber"] and j["sipUrl"] == m["sipAddress"]
                and j["meetingJoinUrl"] == m["webLink"] and j["meetingId"] == m["id"]
                and re.fullmatch(re.escape(cl.url) + r"/locus/api/v1/loci/[0-9a-f-]{36}", j["locusUrl"])
                and j["hostId"] == j["owner"] and j["title"] == "Info" and j["confID"],
                "meetingInfo fields", j)
        p = jwt_payload(j["permissionToken"])
        now = time.time() * 1000
        c.check(p["iat"] <= now + 5000 and p["exp"] > now + 60000, "permission token in ms", p)
    alice = state["alice"]
    pmr_link = "https://%s/meet/alice" % SITE
    for key in ({"sipUrl": "alice@example.com"}, {"sipUrl": "alice@" + SITE},
                {"meetingUrl": pmr_link}, {"userId": alice["uuid"], "orgId": "x"}):
        j = ok(info(cl, "alice", **key), "personal room by %s" % list(key)[0])
        c.check(j["meetingJoinUrl"] == pmr_link and j["sipUrl"] == "alice@" + SITE, "personal room", j)
    r = info(cl, "host", meetingKey="1234")
    c.status(r, 404, "unknown meeting")
    c.check(r.json == {"code": 404001, "message": "Meeting not found."}, "404001 body", r)
    c.status(info(cl, "host"), 400, "no destination")
    return m


def captcha_code(cl, cap):
    img = cl.request("GET", cap["verificationImageURL"])
    c.check(img.status == 200 and img.header("Content-Type") == "image/png", "captcha image", img.status)
    good, detail = png_ok(img.body)
    c.check(good, "captcha PNG is valid", detail)
    aud = cl.request("GET", cap["verificationAudioURL"])
    c.check(aud.status == 200 and aud.header("Content-Type") == "audio/wav", "captcha audio", aud.status)
    rate, channels, bits, samples = wav_samples(aud.body)
    c.check((rate, channels, bits) == (8000, 1, 16), "WAV 8 kHz mono s16", (rate, channels, bits))
    code = dtmf_digits(samples, rate)
    c.check(re.fullmatch(r"\d{6}", code), "six DTMF digits", code)
    return code


def password_flow(cl, m):
    nr = m["meetingNumber"]
    r = info(cl, "alice", meetingKey=nr)
    c.status(r, 403, "no password")
    c.check(r.json["code"] == 403000 and r.json["data"]["meetingInfo"]["meetingNumber"] == nr
            and r.json["data"]["meetingInfo"]["meetingJoinUrl"] == m["webLink"], "403000 body", r)
    for i in range(2):
        r = info(cl, "alice", meetingKey=nr, password="wrong")
        c.check(r.status == 403 and r.json["code"] == 403004, "wrong password %d" % (i + 1), r)
    r = info(cl, "alice", meetingKey=nr, password="wrong")
    c.status(r, 423, "third wrong password")
    cap = r.json
    c.check(cap["code"] == 423005 and cap["captchaID"]
            and cap["verificationImageURL"] == "%s/captchaservice/v1/captchas/%s/image" % (cl.url, cap["captchaID"])
            and cap["verificationAudioURL"] == "%s/captchaservice/v1/captchas/%s/audio" % (cl.url, cap["captchaID"])
            and cap["refreshURL"] == "%s/captchaservice/v1/captchas/refresh?captchaID=%s" % (cl.url, cap["captchaID"]),
            "423005 body", cap)
    captcha_code(cl, cap)
    # Right password but no captcha answer: still 423, with a new captcha.
    r = info(cl, "alice", meetingKey=nr, password=m["password"])
    c.check(r.status == 423 and r.json["captchaID"] != cap["captchaID"], "captcha still required", r)
    c.status(cl.request("GET", cap["verificationImageURL"]), 404, "old captcha gone")
    cap = r.json
    # Refresh: a new id; the old one stops working.
    rr = cl.request("POST", cap["refreshURL"] + "&siteFullName=127.0.0.1", "alice", {"captchaId": cap["captchaID"]})
    new = ok(rr, "refresh")
    c.check(new["captchaID"] != cap["captchaID"] and new["verificationImageURL"].endswith(new["captchaID"] + "/image"),
            "refresh gives a new captcha", new)
    c.status(cl.request("GET", cap["verificationAudioURL"]), 404, "refreshed captcha gone")
    c.status(cl.request("POST", cap["refreshURL"], "bob", {}), 404, "refresh someone else's / old captcha")
    code = captcha_code(cl, new)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    r = info(cl, "alice", meetingKey=nr, password=m["password"], captchaID=new["captchaID"], captchaVerifyCode=wrong)
    c.status(r, 423, "wrong captcha code")
    cap = r.json
    code = captcha_code(cl, cap)
    r = info(cl, "alice", meetingKey=nr, password="wrong", captchaID=cap["captchaID"], captchaVerifyCode=code)
    c.status(r, 423, "right code, wrong password")
    cap = r.json
    code = captcha_code(cl, cap)
    r = info(cl, "alice", meetingKey=nr, password=m["password"], captchaID=cap["captchaID"], captchaVerifyCode=code)
    c.status(r, 200, "right code and password")
    r = info(cl, "alice", meetingKey=nr, password="wrong")
    c.check(r.status == 403 and r.json["code"] == 403004, "counter reset after success", r)
    ok(info(cl, "bob", meetingKey=nr, password=m["hostKey"]), "host key as password")
    return r


class Member:
    """One user in a locus: their device, permission token and last DTO."""

    def __init__(self, cl, who, m, password=None):
        self.cl, self.who = cl, who
        self.device = register(cl, who)
        key = {"meetingKey": m["meetingNumber"]}
        if password:
            key["password"] = password
        j = ok(info(cl, who, **key), "meetingInfo for " + str(who)[:12])
        self.locus, self.token, self.join_url = j["locusUrl"], j["permissionToken"], j["meetingJoinUrl"]
        self.dto = None

    def join(self, via_call=False, **extra):
        body = {"device": {"url": self.device, "deviceType": "WEB"}, "correlationId": "c-" + str(self.who)[:8],
                "respOnlySdp": True, "allowMultiDevice": True, "supportsNativeLobby": 1,
                "permissionToken": self.token}
        body.update(extra)
        if via_call:
            body["invitee"] = {"address": self.join_url}
            url = self.cl.url + "/locus/api/v1/loci/call?alternateRedirect=true"
        else:
            url = self.locus + "/participant?alternateRedirect=true"
        r = self.cl.request("POST", url, self.who, body)
        if r.status == 200:
            self.dto = r.json["locus"]
            c.check(r.json["mediaConnections"] == [], "join answer has mediaConnections")
        return r

    def get(self):
        self.dto = ok(self.cl.request("GET", self.locus, self.who), "GET locus")
        return self.dto

    def act(self, method, suffix, body=None):
        r = self.cl.request(method, self.locus + suffix, self.who, body)
        if r.status == 200 and r.json and "locus" in r.json:
            self.dto = r.json["locus"]
        return r

    @property
    def self_(self):
        return self.dto["self"]


def is_mod(p):
    return p["moderator"] and p["controls"]["role"]["roles"] == [{"type": "MODERATOR", "hasRole": True}]


def locus_flow(cl, guest_token):
    m = ok(create(cl, title="Locus"), "create for locus")
    host = Member(cl, "host", m)
    seqs = []
    r = host.join()
    c.status(r, 200, "host joins")
    s = host.self_
    c.check(s["state"] == "JOINED" and is_mod(s) and s["isCreator"] and s["devices"][0]["url"] == host.device
            and s["devices"][0]["intent"] is None, "host JOINED as moderator", s)
    d = host.dto
    c.check(d["fullState"]["state"] == "ACTIVE" and d["fullState"]["count"] == 1 and d["fullState"]["type"] == "MEETING"
            and d["info"]["webExMeetingId"] == m["meetingNumber"] and d["info"]["isUnifiedSpaceMeeting"] is True
            and d["info"]["webExSite"] == SITE and d["host"]["id"] == s["identity"]
            and d["syncUrl"] == host.locus + "/sync" and d["url"] == host.locus, "DTO shape", d)
    seqs.append(seq(d))
    first_pid = s["id"]
    host.join()
    c.check(host.self_["id"] == first_pid, "joining again reuses the participant id")
    seqs.append(seq(host.dto))

    alice = Member(cl, "alice", m, m["password"])
    alice.join()
    s = alice.self_
    dev = s["devices"][0]
    c.check(s["state"] == "IDLE" and dev["intent"] == {"type": "WAIT"} and dev["keepAliveSecs"] == 20
            and dev["keepAliveUrl"] == "%s/participant/%s/keepAlive" % (alice.locus, s["id"])
            and not s["moderator"], "non-invitee waits in the lobby", s)
    seqs.append(seq(alice.dto))
    c.check(ok(cl.request("GET", dev["keepAliveUrl"], "alice"), "keepAlive") == {}, "keepAlive body {}")
    c.status(cl.request("GET", dev["keepAliveUrl"], "host"), 404, "keepAlive of someone else")
    apid = s["id"]
    locus_error(alice.act("PUT", "/controls", {"admit": {"participantIds": [apid]}}), 403, 2403001,
                "admit by non-host")
    c.status(host.act("PUT", "/controls", {"admit": {"participantIds": [apid]}, "sequence": host.dto["sequence"]}),
             200, "host admits")
    seqs.append(seq(host.dto))
    c.check(alice.get()["self"]["state"] == "JOINED", "admitted: JOINED")
    c.status(cl.request("GET", dev["keepAliveUrl"], "alice"), 404, "keepAlive after admission")
    locus_error(host.act("PUT", "/controls", {"admit": {"participantIds": [apid]}}), 400, 2400001,
                "admit someone not in the lobby")

    # Host transfer and back.
    c.status(host.act("PATCH", "/participant/%s/controls" % apid, {"role": {"moderator": True}}), 200,
             "transfer host")
    seqs.append(seq(host.dto))
    parts = {p["id"]: p for p in host.dto["participants"]}
    c.check(is_mod(parts[apid]) and not parts[first_pid]["moderator"] and host.dto["host"]["id"] == parts[apid]["identity"],
            "alice is host now", host.dto["participants"])
    locus_error(host.act("PATCH", "/participant/%s/controls" % apid, {"role": {"moderator": True}}), 403, 2403001,
                "old host transfers")
    c.status(alice.act("PATCH", "/participant/%s/controls" % first_pid, {"role": {"moderator": True}}), 200,
             "transfer back")
    seqs.append(seq(alice.dto))

    # Mute: self, or the host for anyone.
    c.status(alice.act("PATCH", "/participant/%s/controls" % apid, {"audio": {"muted": True}}), 200, "mute self")
    seqs.append(seq(alice.dto))
    c.check(alice.self_["controls"]["audio"]["muted"] is True, "muted")
    locus_error(alice.act("PATCH", "/participant/%s/controls" % first_pid, {"audio": {"muted": True}}), 403, 2403001,
                "mute someone else")

    # Lock keeps newcomers out; an invite lets them skip password and lobby.
    c.status(host.act("PATCH", "/controls", {"lock": {"locked": True}}), 200, "lock")
    seqs.append(seq(host.dto))
    c.check(host.dto["controls"]["lock"]["locked"] and host.dto["fullState"]["locked"], "locked")
    bob = Member(cl, "bob", m, m["password"])
    locus_error(bob.join(), 423, 2423005, "join a locked meeting")
    locus_error(alice.act("PATCH", "/controls", {"lock": {"locked": False}}), 403, 2403001, "unlock by non-host")
    locus_error(alice.act("PUT", "", {"invitees": [{"address": "not an address"}]}), 400, 2400002, "invalid invitee")
    c.status(alice.act("PUT", "", {"invitees": [{"address": "bob@example.com"}], "alertIfActive": True,
                                   "sequence": alice.dto["sequence"]}), 200, "invite bob")
    seqs.append(seq(alice.dto))
    ok(info(cl, "bob", meetingKey=m["meetingNumber"]), "invitee needs no password")
    c.status(host.act("PATCH", "/controls", {"lock": {"locked": False}}), 200, "unlock")
    seqs.append(seq(host.dto))
    c.status(bob.join(alias="Bobby"), 200, "invited bob joins")
    c.check(bob.self_["state"] == "JOINED", "invitee skips the lobby", bob.self_)
    seqs.append(seq(bob.dto))

    # Guards: permission token and device.
    bad = Member(cl, "alice", m, m["password"])
    bad.token = bad.token[:-4] + ("AAAA" if not bad.token.endswith("AAAA") else "BBBB")
    locus_error(bad.join(), 403, 2403007, "tampered permission token")
    bad = Member(cl, "alice", m, m["password"])
    bad.device = cl.url + "/wdm/api/v1/devices/00000000-0000-4000-8000-000000000000"
    c.status(bad.join(), 400, "unregistered device")

    # A guest lands in the lobby.
    guest = Member(cl, guest_token, m, m["password"])
    guest.join(via_call=True, alias="Gus at home")
    c.check(guest.self_["state"] == "IDLE" and guest.self_["guest"] is True, "guest in the lobby via loci/call",
            guest.self_)
    c.check(guest.self_["person"]["name"] == "Gus at home" and guest.self_["person"]["isExternal"] is True,
            "a guest shows the name it chose", guest.self_["person"])
    c.check(bob.self_["person"]["name"] == "Bob Unlicensed", "a user shows the account's name",
            bob.self_["person"])
    seqs.append(seq(guest.dto))

    c.status(bob.act("PUT", "/participant/%s/leave" % bob.self_["id"],
                     {"device": {"deviceType": "WEB", "url": bob.device}, "usingResource": None}), 200, "leave")
    c.check(bob.self_["state"] == "LEFT", "left", bob.self_)
    seqs.append(seq(bob.dto))
    locus_error(alice.act("POST", "/end"), 403, 2403001, "end by non-host")
    c.status(host.act("POST", "/end"), 200, "end")
    c.check(host.dto["fullState"]["state"] == "INACTIVE", "INACTIVE after end", host.dto["fullState"])
    seqs.append(seq(host.dto))
    c.check(all(a < b for a, b in zip(seqs, seqs[1:])), "sequence grows on every change", seqs)
    c.check(ok(cl.request("GET", "/v1/meetings/" + m["id"], "host"), "meeting after end")["state"] == "ended",
            "REST state ended")
    locus_error(host.act("PATCH", "/controls", {"lock": {"locked": True}}), 409, 2409001, "lock after end")
    locus_error(alice.join(), 409, 2409001, "join after end")
    locus_error(host.act("POST", "/end"), 409, 2409001, "end after end")


def adhoc(cl, state):
    room = state["room"]
    a = ok(cl.request("POST", "/v1/meetings", "host", {"adhoc": True, "roomId": room}), "ad hoc")
    c.check(a["roomId"] == room and a["meetingType"] == "meeting" and a.get("adhoc") is True, "ad hoc fields", a)
    b = ok(cl.request("POST", "/v1/meetings", "alice", {"adhoc": True, "roomId": room}), "ad hoc again")
    c.check(b["id"] == a["id"], "a space has one live instant meeting", (a["id"], b["id"]))
    c.status(cl.request("POST", "/v1/meetings", "bob", {"adhoc": True, "roomId": room}), 403, "ad hoc unlicensed")
    ok(info(cl, "alice", meetingKey=a["meetingNumber"]), "space member needs no password")
    c.status(info(cl, "bob", meetingKey=a["meetingNumber"]), 403, "non-member needs a password")


def main():
    cl = Cloud()
    try:
        st = cl.admin_state()
        state = {"room": st["spaces"][0]["roomId"]}
        for u in st["users"]:
            if u.get("email") == "alice@example.com":
                state["alice"] = {"uuid": u["id"]}
        auth_and_discovery(cl)
        devices(cl)
        people(cl)
        guest = guests(cl)
        meetings(cl)
        m = meeting_info(cl, state)
        password_flow(cl, m)
        locus_flow(cl, guest)
        adhoc(cl, state)
        c.check(cl.alive(), "server still running")
    except Exception as e:  # a crash of the test itself is a failure, with context
        c.check(False, "test raised %r" % (e,))
        import traceback
        traceback.print_exc()
    finally:
        rc = cl.stop(keep_log=c.failed > 0)
        c.check(rc == 0, "clean exit on SIGTERM", rc)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
