#!/usr/bin/python3
"""The GStreamer side of the libusm <-> webrtcbin interop test (issue 5).

Plays one side of a WebRTC call with webrtcbin, as offerer (--offer) or
answerer (--answer), exchanging the SDP with usm_webrtc_peer through files
(each written whole: a temporary name, then rename). Sends an Opus tone
(audiotestsrc freq=--tone -> opusenc -> rtpopuspay -> webrtcbin), decodes
what arrives (rtpopusdepay -> opusdec -> appsink) and finds its dominant
frequency with a pure-Python Goertzel scan (no numpy). With --video it also
sends a solid-colour VP8 picture (videotestsrc -> vp8enc -> rtpvp8pay, BUNDLEd
with the audio) and checks the size and mean colour of the decoded frames it
gets. Prints one JSON line; exits 0 only when the peer's tone was heard at
--expect Hz (and, with --video, its picture seen as --expect-size/-yuv).

Loopback only: libnice gathers on 127.0.0.1 alone (NiceAgent
add_local_address), UPnP is off, no STUN or TURN server is set, and any
candidate that is not 127.0.0.1 UDP is dropped before it is handed over.
Trickle ICE is folded into the SDP: the description is written once
gathering is complete, with the candidates in it.

Run it with /usr/bin/python3 (Debian's, which has gi)."""

import argparse
import array
import json
import math
import os
import re
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstVideo, GstWebRTC  # noqa: E402

try:
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice  # noqa: E402
except (ValueError, ImportError):
    Nice = None

RATE = 48000
YUV_TOLERANCE = 16
SKIP_S = 0.3  # let the decoder and jitter buffer settle


def log(msg):
    sys.stderr.write("[gst %6.0f ms] %s\n" % ((time.monotonic() - T0) * 1000, msg))
    sys.stderr.flush()


T0 = time.monotonic()


def goertzel(x, f, window):
    w = 2.0 * math.pi * f / RATE
    c = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    for v, h in zip(x, window):
        s0 = v * h + c * s1 - s2
        s2 = s1
        s1 = s0
    return s1 * s1 + s2 * s2 - c * s1 * s2


def hann(n):
    return [0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1)) for i in range(n)]


def dominant(samples):
    """Dominant frequency (Hz) and RMS: a 10 Hz scan on 0.1 s, then 1 Hz on 0.5 s."""
    skip = int(RATE * SKIP_S)
    if len(samples) < skip + RATE // 4:
        return 0.0, 0.0
    x = samples[skip:skip + RATE // 2]
    rms = math.sqrt(sum(v * v for v in x) / len(x))
    short = x[:RATE // 10]
    win = hann(len(short))
    coarse = max(range(100, 3001, 10), key=lambda f: goertzel(short, f, win))
    win = hann(len(x))
    fine = max(range(coarse - 10, coarse + 11), key=lambda f: goertzel(x, f, win))
    return float(fine), rms


def write_whole(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def read_whole(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    return text or None


def loopback_candidate(cand):
    """'candidate:F C UDP PRIO ADDR PORT typ host ...': 127.0.0.1 over UDP only."""
    parts = cand.split()
    return len(parts) >= 8 and parts[2].upper() == "UDP" and parts[4] == "127.0.0.1"


def with_candidates(sdp, candidates):
    """The SDP text with a=candidate lines (and end-of-candidates) per m-line."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    out, mline = [], -1

    def close_section():
        if mline >= 0:
            out.extend("a=" + c for c in candidates.get(mline, []))
            out.append("a=end-of-candidates")

    for line in lines:
        if line.startswith("m="):
            close_section()
            mline += 1
        out.append(line)
    close_section()
    return "\r\n".join(out) + "\r\n"


class Peer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = None
        self.webrtc = None
        self.candidates = {}
        self.local_sdp = None
        self.remote_done = False
        self.sdp_written = False
        self.connected_at = None
        self.samples = array.array("h")
        self.packets = 0
        self.error = ""
        self.ice_restricted = False
        self.dropped_candidates = 0
        self.ice = self.agent = None
        self.candidate_waits = 0
        self.video_frames = 0
        self.video_size = (0, 0)
        self.video_yuv = [0.0, 0.0, 0.0]

    # -- pipeline ----------------------------------------------------------------------
    def build(self, pt, video_pt):
        a = self.args
        desc = (
            "webrtcbin name=w bundle-policy=max-bundle "
            "audiotestsrc is-live=true wave=sine freq=%g volume=0.3 ! audioconvert ! audioresample "
            "! audio/x-raw,rate=48000,channels=1 ! opusenc bitrate=32000 ! rtpopuspay pt=%d ! queue "
            "! application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=%d ! w. "
            % (a.tone, pt, pt)
        )
        if a.video:
            w, h = a.video_size
            desc += (
                "videotestsrc is-live=true pattern=solid-color foreground-color=%d "
                "! video/x-raw,format=I420,width=%d,height=%d,framerate=15/1 "
                "! vp8enc deadline=1 keyframe-max-dist=15 target-bitrate=300000 "
                "! rtpvp8pay pt=%d picture-id-mode=15-bit ! queue "
                "! application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=%d ! w. "
                % (a.video_color, w, h, video_pt, video_pt)
            )
        self.pipe = Gst.parse_launch(desc)
        self.webrtc = self.pipe.get_by_name("w")
        self.restrict_ice()
        self.webrtc.connect("on-ice-candidate", self.on_ice_candidate)
        self.webrtc.connect("pad-added", self.on_pad_added)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::connection-state", self.on_connection)
        self.webrtc.connect("notify::ice-connection-state", self.on_ice_connection)
        if self.args.offer:
            self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        self.pipe.set_state(Gst.State.PLAYING)

    def restrict_ice(self):
        """No UPnP, no STUN/TURN, host candidates on 127.0.0.1 only."""
        w = self.webrtc
        w.set_property("stun-server", None)
        w.set_property("turn-server", None)
        # GStreamer 1.22 leaves webrtcbin's GstWebRTCNice floating: the
        # Python wrapper sinks that reference and would free the agent when
        # it goes away, under webrtcbin's feet. Keep the wrappers for the
        # life of the process (which ends with os._exit, no teardown).
        ice = self.ice = w.get_property("ice-agent")
        if ice.find_property("ice-tcp"):
            ice.set_property("ice-tcp", False)
        agent = self.agent = ice.get_property("agent") if ice.find_property("agent") else None
        if agent is not None:
            agent.set_property("upnp", False)
            if Nice is not None:
                addr = Nice.Address.new()
                addr.set_from_string("127.0.0.1")
                self.ice_restricted = bool(agent.add_local_address(addr))
        log("ICE: upnp off, local addresses %s" % ("127.0.0.1 only" if self.ice_restricted
                                                   else "unrestricted (candidates filtered)"))

    def on_error(self, bus, msg):
        err, dbg = msg.parse_error()
        self.fail("pipeline error: %s (%s)" % (err.message, dbg))

    def fail(self, why):
        if not self.error:
            self.error = why
            log("failed: " + why)
        self.loop.quit()

    # -- signalling --------------------------------------------------------------------
    def on_negotiation_needed(self, element):
        log("negotiation needed: creating the offer")
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        element.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _):
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        self.local_sdp = offer.sdp.as_text()
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_answer_created(self, promise, _):
        reply = promise.get_reply()
        answer = reply.get_value("answer") if reply else None
        if answer is None:
            GLib.idle_add(self.fail, "webrtcbin created no answer: %s" % (reply.to_string() if reply else "?"))
            return
        self.local_sdp = answer.sdp.as_text()
        self.webrtc.emit("set-local-description", answer, Gst.Promise.new())
        GLib.idle_add(self.maybe_write_sdp)

    def on_ice_candidate(self, element, mline, candidate):
        if loopback_candidate(candidate):
            self.candidates.setdefault(mline, []).append(candidate)
        else:
            self.dropped_candidates += 1
            log("candidate dropped (not 127.0.0.1 UDP): " + candidate)

    def on_gathering(self, element, pspec):
        state = element.get_property("ice-gathering-state")
        log("ICE gathering: %s" % state.value_nick)
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.maybe_write_sdp)

    def maybe_write_sdp(self):
        gathered = self.webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
        if self.sdp_written or not self.local_sdp or not gathered:
            return False
        if not self.candidates:
            # candidates are signalled from webrtcbin's own thread: give them a moment
            self.candidate_waits += 1
            if self.candidate_waits > 40:
                self.fail("webrtcbin gathered no 127.0.0.1 candidate")
            else:
                GLib.timeout_add(25, self.maybe_write_sdp)
            return False
        text = with_candidates(self.local_sdp, self.candidates)
        if self.args.verbose:
            log("our %s:\n%s" % ("offer" if self.args.offer else "answer", text))
        write_whole(self.args.sdp_out, text)
        self.sdp_written = True
        log("%s written" % ("offer" if self.args.offer else "answer"))
        return False

    def poll_remote(self):
        if self.remote_done or (self.args.offer and not self.sdp_written):
            return not self.remote_done
        text = read_whole(self.args.sdp_in)
        if text is None:
            return True
        self.remote_done = True
        if self.args.verbose:
            log("remote SDP:\n" + text)
        res, msg = GstSdp.SDPMessage.new_from_text(text)
        if res != GstSdp.SDPResult.OK:
            self.fail("the remote SDP does not parse (%s)" % res)
            return False
        if self.args.offer:
            desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
            self.webrtc.emit("set-remote-description", desc, Gst.Promise.new())
            log("answer set")
            return False
        m = re.search(r"^a=rtpmap:(\d+) opus/48000", text, re.M | re.I)
        v = re.search(r"^a=rtpmap:(\d+) VP8/90000", text, re.M | re.I)
        if not m or (self.args.video and not v):
            self.fail("the offer has no opus/48000%s" % (" or no VP8/90000" if self.args.video else ""))
            return False
        self.build(int(m.group(1)), int(v.group(1)) if v else 0)
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        promise = Gst.Promise.new_with_change_func(self.on_remote_offer_set, None)
        self.webrtc.emit("set-remote-description", desc, promise)
        return False

    def on_remote_offer_set(self, promise, _):
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            GLib.idle_add(self.fail, "set-remote-description: %s" % reply.to_string())
            return
        log("offer set: creating the answer")
        promise = Gst.Promise.new_with_change_func(self.on_answer_created, None)
        self.webrtc.emit("create-answer", None, promise)

    # -- media ---------------------------------------------------------------------------
    def on_connection(self, element, pspec):
        state = element.get_property("connection-state")
        log("connection: %s" % state.value_nick)
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED and self.connected_at is None:
            self.connected_at = time.monotonic()
            GLib.timeout_add(int(self.args.seconds * 1000), self.loop.quit)
        elif state == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            GLib.idle_add(self.fail, "webrtcbin connection failed")

    def on_ice_connection(self, element, pspec):
        log("ICE connection: %s" % element.get_property("ice-connection-state").value_nick)

    def on_pad_added(self, element, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps()
        log("incoming stream: %s" % caps.to_string())
        if caps.get_structure(0).get_string("media") == "video":
            chain = Gst.parse_bin_from_description(
                "queue ! rtpvp8depay ! vp8dec ! videoconvert ! video/x-raw,format=I420 "
                "! appsink name=sink emit-signals=true sync=false", True)
            chain.get_by_name("sink").connect("new-sample", self.on_video_sample)
        else:
            chain = Gst.parse_bin_from_description(
                "queue ! rtpopusdepay ! opusdec ! audioconvert ! audioresample "
                "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! appsink name=sink emit-signals=true sync=false",
                True)
            chain.get_by_name("sink").connect("new-sample", self.on_sample)
        self.pipe.add(chain)
        chain.sync_state_with_parent()
        pad.link(chain.get_static_pad("sink"))

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        self.packets += 1
        if len(self.samples) < RATE * 4:
            ok, info = buf.map(Gst.MapFlags.READ)
            if ok:
                chunk = array.array("h")
                chunk.frombytes(bytes(info.data)[: len(info.data) // 2 * 2])
                if sys.byteorder != "little":
                    chunk.byteswap()
                self.samples.extend(chunk)
                buf.unmap(info)
        return Gst.FlowReturn.OK

    def on_video_sample(self, sink):
        sample = sink.emit("pull-sample")
        self.video_frames += 1
        if self.video_frames % 5 != 1:
            return Gst.FlowReturn.OK  # the colour of one frame in five is plenty
        info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        buf = sample.get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        if not ok:
            return Gst.FlowReturn.OK
        data = bytes(m.data)
        buf.unmap(m)
        self.video_size = (info.width, info.height)
        for p in range(3):
            w = info.width if p == 0 else (info.width + 1) // 2
            h = info.height if p == 0 else (info.height + 1) // 2
            off, stride = info.offset[p], info.stride[p]
            vals = [data[off + y * stride + x] for y in range(0, h, 4) for x in range(0, w, 4)]
            self.video_yuv[p] = sum(vals) / len(vals) if vals else 0.0
        return Gst.FlowReturn.OK

    def video_seen(self):
        a = self.args
        return (self.video_frames >= 15 and self.video_size == tuple(a.expect_size)
                and all(abs(self.video_yuv[i] - a.expect_yuv[i]) <= YUV_TOLERANCE for i in range(3)))

    # -- run -------------------------------------------------------------------------------
    def deadline(self):
        self.fail("deadline reached (%s)" % ("media flowing" if self.connected_at else "not connected"))
        return False

    def run(self):
        if self.args.offer:
            self.build(96, 97)
        GLib.timeout_add(20, self.poll_remote)
        GLib.timeout_add(int(self.args.timeout * 1000), self.deadline)
        self.loop.run()
        if self.pipe is not None:
            self.pipe.set_state(Gst.State.NULL)
        freq, rms = dominant(self.samples)
        heard = not self.error and abs(freq - self.args.expect) <= self.args.tolerance
        if not heard and not self.error:
            self.error = "heard %.1f Hz, expected %.1f" % (freq, self.args.expect)
        seen = not self.args.video or self.video_seen()
        if not seen and not self.error:
            self.error = "video: %d frames %dx%d, mean YUV %.0f,%.0f,%.0f" % (
                (self.video_frames,) + tuple(self.video_size) + tuple(self.video_yuv))
        print(json.dumps({
            "side": "webrtcbin", "role": "offerer" if self.args.offer else "answerer", "ok": heard and seen,
            "connected": self.connected_at is not None, "buffers_received": self.packets,
            "decoded_ms": int(len(self.samples) * 1000 / RATE), "freq_hz": freq, "expect_hz": self.args.expect,
            "rms": round(rms, 1), "ice_restricted": self.ice_restricted,
            "candidates_dropped": self.dropped_candidates, "gstreamer": Gst.version_string(),
            "video": self.args.video, "video_frames_decoded": self.video_frames,
            "video_size": "%dx%d" % tuple(self.video_size), "video_yuv": [round(v, 1) for v in self.video_yuv],
            "error": self.error,
        }), flush=True)
        return 0 if heard and seen else 1


def size_arg(v):
    w, h = v.lower().split("x")
    return (int(w), int(h))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    role = p.add_mutually_exclusive_group(required=True)
    role.add_argument("--offer", action="store_true")
    role.add_argument("--answer", action="store_true")
    p.add_argument("--sdp-out", required=True)
    p.add_argument("--sdp-in", required=True)
    p.add_argument("--tone", type=float, default=880)
    p.add_argument("--expect", type=float, default=440)
    p.add_argument("--tolerance", type=float, default=20)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--timeout", type=float, default=40)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--video", action="store_true")
    p.add_argument("--video-size", type=size_arg, default=(352, 288))
    p.add_argument("--video-color", type=lambda v: int(v, 16), default=0xff2040c0, help="ARGB, hex")
    p.add_argument("--expect-size", type=size_arg, default=(320, 240))
    p.add_argument("--expect-yuv", type=lambda v: [float(x) for x in v.split(",")], default=[81, 90, 240])
    args = p.parse_args()
    Gst.init(None)
    names = ["webrtcbin", "opusenc", "opusdec", "rtpopuspay", "rtpopusdepay", "audiotestsrc", "appsink"]
    if args.video:
        names += ["videotestsrc", "vp8enc", "vp8dec", "rtpvp8pay", "rtpvp8depay"]
    for name in names:
        if Gst.ElementFactory.find(name) is None:
            print("SKIP: GStreamer element %s is missing" % name)
            return 77
    return Peer(args).run()


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)  # no interpreter teardown racing GStreamer's threads (see restrict_ice)
