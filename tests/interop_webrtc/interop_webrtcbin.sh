#!/usr/bin/env bash
# Interop (issue 5): libusm's media transport against GStreamer webrtcbin,
# on loopback, in both roles, audio only and then audio + VP8 video BUNDLEd:
#   libusm offers (ICE controlling), webrtcbin answers
#   webrtcbin offers, libusm answers (ICE controlled)
# libusm sends a 440 Hz Opus tone and webrtcbin an 880 Hz one; a case passes
# only when each side decrypted and decoded the other's audio and heard the
# right frequency. With video, libusm sends a 320x240 picture of YUV
# 81,90,240 and webrtcbin a 352x288 one of ARGB ff2040c0 (YUV 75,189,105):
# each side must decode the other's frames at that size and colour.
# Skips (exit 77, "SKIP: ...") when /usr/bin/python3 cannot use GStreamer's
# WebRTC bindings (Debian: python3-gi gir1.2-gst-plugins-bad-1.0
# gstreamer1.0-plugins-bad gstreamer1.0-plugins-good gstreamer1.0-plugins-base
# gstreamer1.0-nice gir1.2-nice-0.1; the last pins libnice to 127.0.0.1).
# Whole run: about 15 s; every process is bounded (timeout 50, deadline 40 s).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${USM_BUILD_DIR:?USM_BUILD_DIR is not set}
peer=$build/tests/usm_webrtc_peer
py=${USM_INTEROP_PYTHON:-/usr/bin/python3} # Debian's python3 has gi; a pyenv one first on PATH may not
seconds=${USM_INTEROP_SECONDS:-3}

probe='import gi
gi.require_version("Gst", "1.0"); gi.require_version("GstWebRTC", "1.0"); gi.require_version("GstSdp", "1.0")
from gi.repository import Gst, GstWebRTC, GstSdp
Gst.init(None)
missing = [e for e in ("webrtcbin", "nicesrc", "opusenc", "opusdec", "rtpopuspay", "rtpopusdepay", "appsink",
                       "videotestsrc", "vp8enc", "vp8dec", "rtpvp8pay", "rtpvp8depay")
           if Gst.ElementFactory.find(e) is None]
assert not missing, missing'
if [ ! -x "$py" ] || ! why=$(timeout 30 "$py" -c "$probe" 2>&1); then
  echo "SKIP: $py cannot use GStreamer webrtcbin: ${why:-no such interpreter}" | tail -n 3
  exit 77 # ctest SKIP_RETURN_CODE
fi
if [ ! -x "$peer" ]; then
  echo "FAIL: $peer was not built"
  exit 1
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
# run_case NAME USM_ROLE GST_ROLE [video]
run_case() {
  local name=$1 usm_role=$2 gst_role=$3 dir=$tmp/$1
  local usm_video=() gst_video=()
  if [ "${4:-}" = video ]; then
    usm_video=(--video --video-size 320x240 --video-yuv 81,90,240 --expect-size 352x288 --expect-yuv 75,189,105)
    gst_video=(--video --video-size 352x288 --video-color ff2040c0 --expect-size 320x240 --expect-yuv 81,90,240)
  fi
  mkdir -p "$dir"
  # usm writes usm.sdp and reads gst.sdp; webrtcbin the other way round
  timeout 50 "$py" "$here/webrtc_peer.py" "--$gst_role" --sdp-out "$dir/gst.sdp" --sdp-in "$dir/usm.sdp" \
    --tone 880 --expect 440 --seconds "$seconds" --timeout 40 "${gst_video[@]}" >"$dir/gst.json" 2>"$dir/gst.log" &
  local gst_pid=$!
  pids+=("$gst_pid")
  timeout 50 "$peer" "--$usm_role" --sdp-out "$dir/usm.sdp" --sdp-in "$dir/gst.sdp" \
    --tone 440 --expect 880 --seconds "$seconds" --timeout 40 "${usm_video[@]}" >"$dir/usm.json" 2>"$dir/usm.log" &
  local usm_pid=$!
  pids+=("$usm_pid")
  # the first to fail ends the case: its partner would only wait for its deadline
  local first rc usm_rc gst_rc
  wait -n -p first "$usm_pid" "$gst_pid"; rc=$?
  if [ "$rc" != 0 ]; then
    sleep 1
    kill "$usm_pid" "$gst_pid" 2>/dev/null
  fi
  if [ "$first" = "$usm_pid" ]; then
    usm_rc=$rc; wait "$gst_pid"; gst_rc=$?
  else
    gst_rc=$rc; wait "$usm_pid"; usm_rc=$?
  fi
  echo "== $name: libusm $usm_role (exit $usm_rc), webrtcbin $gst_role (exit $gst_rc)"
  cat "$dir/usm.json" "$dir/gst.json"
  if [ "$usm_rc" = 0 ] && [ "$gst_rc" = 0 ] && grep -q '"ok": *true' "$dir/usm.json" && grep -q '"ok": *true' "$dir/gst.json"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "--- libusm log"; tail -n 60 "$dir/usm.log"
    echo "--- webrtcbin log"; tail -n 60 "$dir/gst.log"
    for f in usm.sdp gst.sdp; do [ -f "$dir/$f" ] && { echo "--- $f"; cat "$dir/$f"; }; done
  fi
}

run_case usm_offers_audio offer answer
run_case webrtcbin_offers_audio answer offer
run_case usm_offers_video offer answer video
run_case webrtcbin_offers_video answer offer video
echo "interop_webrtcbin: $passed passed, $failed failed"
[ "$failed" = 0 ]
