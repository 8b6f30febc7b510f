#!/usr/bin/env bash
# SDES-SRTP interop (GitHub issue 5): libusm against ffmpeg and GStreamer
# (srtpenc/srtpdec), both directions, over plain UDP on 127.0.0.1 with keys
# passed as in an SDP a=crypto line. A case passes only when the receiving
# side decrypted and decoded the Opus tone and found its frequency within 5 %:
#   peer -> libusm: usm_srtp_peer recv (usm__sdes_parse of the peer's key)
#                   decodes and measures; the peer's key is made here, not by libusm.
#   libusm -> peer: usm_srtp_peer send (usm__sdes_generate) prints its key;
#                   the peer decodes to a WAV that wav_tone.py measures.
# Plus a wrong key: libusm must count SRTP authentication failures and decode
# nothing. Every process runs under timeout(1); the whole script takes ~35 s.
# Missing tools skip their cases (exit 0). Debian packages: ffmpeg;
# gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
# gstreamer1.0-plugins-bad; libopus-dev (to build usm_srtp_peer).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer="${USM_BUILD_DIR:?}/tests/usm_srtp_peer"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
wrap=${USM_TEST_WRAPPER:-}

if [ ! -x "$peer" ]; then
  echo "srtp_interop: SKIP: usm_srtp_peer not built (libopus not found: Debian package libopus-dev)"
  exit 0
fi

have_ffmpeg=1 have_gst=1
if ! command -v ffmpeg >/dev/null 2>&1; then
  have_ffmpeg=0; echo "srtp_interop: SKIP ffmpeg cases: ffmpeg not found (Debian package: ffmpeg)"
elif ! grep -q ' libopus ' <<<"$(ffmpeg -hide_banner -encoders 2>/dev/null)" ||
     ! grep -qx ' *srtp' <<<"$(ffmpeg -hide_banner -protocols 2>/dev/null)"; then
  have_ffmpeg=0; echo "srtp_interop: SKIP ffmpeg cases: ffmpeg lacks libopus or the srtp protocol (Debian package: ffmpeg)"
fi
if ! command -v gst-launch-1.0 >/dev/null 2>&1 || ! command -v gst-inspect-1.0 >/dev/null 2>&1; then
  have_gst=0; echo "srtp_interop: SKIP GStreamer cases: gst-launch-1.0 not found (Debian package: gstreamer1.0-tools)"
else
  for el in srtpenc srtpdec opusenc opusdec rtpopuspay rtpopusdepay udpsrc udpsink wavenc audiotestsrc audioconvert filesink; do
    if ! gst-inspect-1.0 "$el" >/dev/null 2>&1; then
      have_gst=0
      echo "srtp_interop: SKIP GStreamer cases: element $el missing (Debian packages: gstreamer1.0-plugins-bad for srtp," \
        "gstreamer1.0-plugins-base for opus/audiotestsrc, gstreamer1.0-plugins-good for rtp/udp/wavenc)"
      break
    fi
  done
fi
if [ $have_ffmpeg = 0 ] && [ $have_gst = 0 ]; then
  echo "srtp_interop: SKIP: neither ffmpeg nor GStreamer is usable"
  exit 0
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "srtp_interop: PASS $1"; }
fail() {
  failed=$((failed + 1)); echo "srtp_interop: FAIL $1"
  shift
  for f in "$@"; do [ -f "$f" ] && { echo "--- $(basename "$f")"; tail -15 "$f"; }; done
}

# A random master key and salt of the suite's length: "hex base64".
peer_key() {
  local n=30
  [ "$1" = AEAD_AES_128_GCM ] && n=28
  "$py" -c "import os,base64;k=os.urandom($n);print(k.hex(), base64.b64encode(k).decode())"
}

# GStreamer's names for a suite: "rtp-cipher rtp-auth rtcp-cipher rtcp-auth".
gst_suite() {
  case $1 in
    AES_CM_128_HMAC_SHA1_80) echo "aes-128-icm hmac-sha1-80 aes-128-icm hmac-sha1-80" ;;
    AES_CM_128_HMAC_SHA1_32) echo "aes-128-icm hmac-sha1-32 aes-128-icm hmac-sha1-80" ;;
    AEAD_AES_128_GCM) echo "aes-128-gcm null aes-128-gcm null" ;;
  esac
}

wait_line() { # file prefix: wait up to 5 s for a line starting with prefix
  for _ in $(seq 100); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# peer -> libusm. Args: name peer(ffmpeg|gst) suite freq seconds [wrong|srtcp]
# (srtcp: ffmpeg's RTCP sender report must authenticate too)
to_usm() {
  local name=$1 who=$2 suite=$3 freq=$4 secs=$5 opt=${6:-} wrong=
  [ "$opt" = wrong ] && wrong=1
  local d="$tmp/$name" hex b64 rhex rb64
  mkdir -p "$d"
  read -r hex b64 < <(peer_key "$suite")
  rb64=$b64
  [ -n "$wrong" ] && read -r rhex rb64 < <(peer_key "$suite")
  local expect=(--expect-freq "$freq")
  [ -n "$wrong" ] && expect=(--expect-none)
  [ "$opt" = srtcp ] && expect+=(--expect-srtcp)
  timeout -k 1 $((secs + 10)) $wrap "$peer" recv --crypto "1 $suite inline:$rb64" --port 0 \
    --seconds $((secs + 8)) --idle-ms 1000 "${expect[@]}" >"$d/usm.out" 2>"$d/usm.err" &
  local rpid=$!
  pids+=("$rpid")
  if ! wait_line "$d/usm.out" listening; then fail "$name (usm_srtp_peer did not start)" "$d/usm.err"; return; fi
  local port
  port=$(sed -n 's/^listening: //p' "$d/usm.out")
  if [ "$who" = ffmpeg ]; then
    timeout -k 1 $((secs + 5)) ffmpeg -hide_banner -nostdin -loglevel error -re \
      -f lavfi -i "sine=frequency=$freq:duration=$secs" -c:a libopus -ac 1 -payload_type 111 \
      -f rtp -srtp_out_suite "$suite" -srtp_out_params "$b64" "srtp://127.0.0.1:$port" \
      >"$d/peer.out" 2>"$d/peer.err"
  else
    local c
    read -r -a c < <(gst_suite "$suite")
    timeout -k 1 $((secs + 5)) gst-launch-1.0 -q audiotestsrc is-live=true freq="$freq" \
      num-buffers=$((secs * 50)) samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! \
      rtpopuspay pt=111 ! srtpenc key="$hex" rtp-cipher="${c[0]}" rtp-auth="${c[1]}" \
      rtcp-cipher="${c[2]}" rtcp-auth="${c[3]}" ! udpsink host=127.0.0.1 port="$port" \
      >"$d/peer.out" 2>"$d/peer.err"
  fi
  local prc=$? rc=0
  wait "$rpid" || rc=$?
  local res
  res=$(grep '^{' "$d/usm.out")
  echo "  $name: $who rc=$prc, libusm: $res"
  if [ $prc = 0 ] && [ $rc = 0 ]; then pass "$name"; else fail "$name" "$d/peer.err" "$d/usm.err"; fi
}

# libusm -> peer. Args: name peer(ffmpeg|gst) suite seconds [srtcp]
# (srtcp: ffmpeg must log no "HMAC mismatch", so our SRTCP reports authenticated)
from_usm() {
  local name=$1 who=$2 suite=$3 secs=$4 opt=${5:-} delay_ms=800
  local d="$tmp/$name" port=$((20000 + (RANDOM % 19000) * 2))
  mkdir -p "$d"
  timeout -k 1 $((secs + 8)) $wrap "$peer" send --port "$port" --freq 440 --seconds "$secs" \
    --delay-ms $delay_ms --suite "$suite" >"$d/usm.out" 2>"$d/usm.err" &
  local spid=$!
  pids+=("$spid")
  if ! wait_line "$d/usm.out" ssrc; then fail "$name (usm_srtp_peer did not start)" "$d/usm.err"; return; fi
  local crypto hex ssrc
  crypto=$(sed -n 's/^crypto: //p' "$d/usm.out")
  hex=$(sed -n 's/^key_hex: //p' "$d/usm.out")
  ssrc=$(sed -n 's/^ssrc: //p' "$d/usm.out")
  if [ "$who" = ffmpeg ]; then
    # A SIP-style SDES description of what libusm sends.
    printf '%s\n' v=0 "o=- 0 0 IN IP4 127.0.0.1" s=libusm "c=IN IP4 127.0.0.1" "t=0 0" \
      "m=audio $port RTP/SAVP 111" "a=rtpmap:111 opus/48000/2" "a=crypto:$crypto" "a=recvonly" \
      >"$d/in.sdp"
    # listen_timeout: ffmpeg ends 1 s after the last packet.
    timeout -k 1 -s INT $((secs + 6)) ffmpeg -hide_banner -nostdin -loglevel warning \
      -protocol_whitelist file,udp,rtp,srtp -listen_timeout 1 -i "$d/in.sdp" \
      -c:a pcm_s16le -ac 1 -y "$d/out.wav" >"$d/peer.out" 2>"$d/peer.err"
  else
    local c
    read -r -a c < <(gst_suite "$suite")
    # srtpdec keys streams by the SSRC in its caps; -e writes the WAV header on SIGINT.
    local stop
    stop=$("$py" -c "print($secs + $delay_ms / 1000 + 1.2)")
    timeout -k 2 -s INT "$stop" gst-launch-1.0 -q -e udpsrc address=127.0.0.1 port="$port" \
      caps="application/x-srtp,media=(string)audio,clock-rate=(int)48000,encoding-name=(string)OPUS,payload=(int)111,ssrc=(uint)$ssrc,srtp-key=(buffer)$hex,srtp-cipher=(string)${c[0]},srtp-auth=(string)${c[1]},srtcp-cipher=(string)${c[2]},srtcp-auth=(string)${c[3]}" ! \
      srtpdec ! rtpopusdepay ! opusdec ! audioconvert ! audio/x-raw,channels=1 ! wavenc ! \
      filesink location="$d/out.wav" >"$d/peer.out" 2>"$d/peer.err"
  fi
  local src=0
  wait "$spid" || src=$?
  local res sent
  res=$("$py" "$here/wav_tone.py" "$d/out.wav" --expect 440)
  local trc=$?
  sent=$(grep '^{' "$d/usm.out")
  echo "  $name: libusm: $sent"
  echo "  $name: $who decoded: $res"
  local mism
  mism=$(grep -c 'HMAC mismatch' "$d/peer.err")
  [ "$who" = ffmpeg ] && echo "  $name: ffmpeg HMAC mismatches (SRTP or SRTCP): $mism"
  if [ "$opt" = srtcp ] && [ "$mism" != 0 ]; then trc=1; fi
  if [ $src = 0 ] && [ $trc = 0 ]; then pass "$name"; else fail "$name" "$d/usm.err" "$d/peer.err"; fi
}

start=$SECONDS
if [ $have_ffmpeg = 1 ]; then
  to_usm ffmpeg_to_usm ffmpeg AES_CM_128_HMAC_SHA1_80 880 3 srtcp
  from_usm usm_to_ffmpeg ffmpeg AES_CM_128_HMAC_SHA1_80 3 srtcp
  # ffmpeg 5.x tags its SRTCP with 32 bits under this SDES name (libusm,
  # libsrtp and GStreamer use 80, RFC 5764 4.1.2): only RTP is checked.
  to_usm ffmpeg_to_usm_sha1_32 ffmpeg AES_CM_128_HMAC_SHA1_32 660 2
  from_usm usm_to_ffmpeg_sha1_32 ffmpeg AES_CM_128_HMAC_SHA1_32 2
  to_usm ffmpeg_to_usm_wrong_key ffmpeg AES_CM_128_HMAC_SHA1_80 880 1 wrong
else
  skipped=$((skipped + 5))
fi
if [ $have_gst = 1 ]; then
  to_usm gst_to_usm gst AES_CM_128_HMAC_SHA1_80 880 3
  from_usm usm_to_gst gst AES_CM_128_HMAC_SHA1_80 3
  to_usm gst_to_usm_gcm gst AEAD_AES_128_GCM 660 2
  from_usm usm_to_gst_gcm gst AEAD_AES_128_GCM 2
  if [ $have_ffmpeg = 0 ]; then
    to_usm gst_to_usm_wrong_key gst AES_CM_128_HMAC_SHA1_80 880 1 wrong
  fi
else
  skipped=$((skipped + 4))
fi
echo "srtp_interop: $((SECONDS - start)) s"
echo "srtp_interop: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
