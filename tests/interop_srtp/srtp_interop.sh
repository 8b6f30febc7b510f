#!/usr/bin/env bash
# SDES-SRTP interop (GitHub issue 5): libusm against ffmpeg and GStreamer
# (srtpenc/srtpdec), both directions, over plain UDP on 127.0.0.1 with keys
# passed as in an SDP a=crypto line. docs/interop-srtp.md.
#   peer -> libusm: usm_srtp_peer recv (usm__sdes_parse of the peer's key)
#                   depacketizes, decodes and measures; the peer's key is made
#                   here, not by libusm.
#   libusm -> peer: usm_srtp_peer send (usm__sdes_generate) prints its key;
#                   the peer decodes to a file that is measured here.
# Two sets of cases (the argument):
#   suites: an Opus sine through each SRTP suite, found within 5 % of its
#           frequency; a wrong key must give SRTP authentication failures and
#           nothing decoded. About 35 s.
#   media:  the test tone (Opus) and the test pattern (VP8, 640x360, 30 fps)
#           of src/source/test_signal.h, with the quality checks of
#           signal_check.h (segmental SNR and correlation; every picture's
#           counter read and its PSNR). About 45 s.
# Every process runs under timeout(1). A missing peer skips its cases; exit
# 77 (ctest SKIP_RETURN_CODE) when every case was skipped. Debian packages:
# ffmpeg; gstreamer1.0-tools gstreamer1.0-plugins-base
# gstreamer1.0-plugins-good gstreamer1.0-plugins-bad.
set -uo pipefail
set_name=${1:-suites}
here=$(cd "$(dirname "$0")" && pwd)
peer="${USM_BUILD_DIR:?}/tests/usm_srtp_peer"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
wrap=${USM_TEST_WRAPPER:-}

if [ ! -x "$peer" ]; then
  echo "srtp_interop: FAIL: $peer was not built"
  exit 1
fi

have_ffmpeg=1 have_gst=1
if ! command -v ffmpeg >/dev/null 2>&1; then
  have_ffmpeg=0; echo "srtp_interop: SKIP ffmpeg cases: ffmpeg not found (Debian package: ffmpeg)"
elif ! grep -q ' libopus ' <<<"$(ffmpeg -hide_banner -encoders 2>/dev/null)" ||
     ! grep -qx ' *srtp' <<<"$(ffmpeg -hide_banner -protocols 2>/dev/null)"; then
  have_ffmpeg=0; echo "srtp_interop: SKIP ffmpeg cases: ffmpeg lacks libopus or the srtp protocol (Debian package: ffmpeg)"
elif [ "$set_name" = media ] && ! grep -q ' libvpx ' <<<"$(ffmpeg -hide_banner -encoders 2>/dev/null)"; then
  have_ffmpeg=0; echo "srtp_interop: SKIP ffmpeg cases: ffmpeg lacks libvpx (Debian package: ffmpeg)"
fi
if ! command -v gst-launch-1.0 >/dev/null 2>&1 || ! command -v gst-inspect-1.0 >/dev/null 2>&1; then
  have_gst=0; echo "srtp_interop: SKIP GStreamer cases: gst-launch-1.0 not found (Debian package: gstreamer1.0-tools)"
else
  for el in srtpenc srtpdec opusenc opusdec rtpopuspay rtpopusdepay udpsrc udpsink wavenc audiotestsrc audioconvert filesink \
    wavparse filesrc y4mdec vp8enc vp8dec rtpvp8pay rtpvp8depay; do
    if ! gst-inspect-1.0 "$el" >/dev/null 2>&1; then
      have_gst=0
      echo "srtp_interop: SKIP GStreamer cases: element $el missing (Debian packages: gstreamer1.0-plugins-bad for" \
        "srtp/y4mdec, gstreamer1.0-plugins-base for opus/audiotestsrc, gstreamer1.0-plugins-good for rtp/udp/wav/vp8)"
      break
    fi
  done
fi
if [ $have_ffmpeg = 0 ] && [ $have_gst = 0 ]; then
  echo "srtp_interop: SKIP: neither ffmpeg nor GStreamer is usable"
  exit 77
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

# What a signal needs: "media pt" for usm_srtp_peer and the RTP payload type.
# A signal is a sine frequency (Hz), "tone" or "pattern".
media_of() { if [ "$1" = pattern ]; then echo "video 96"; else echo "audio 111"; fi; }

# peer -> libusm. Args: name peer(ffmpeg|gst) suite signal seconds [wrong|srtcp]
# (srtcp: ffmpeg's RTCP sender report must authenticate too)
to_usm() {
  local name=$1 who=$2 suite=$3 sig=$4 secs=$5 opt=${6:-} wrong=
  [ "$opt" = wrong ] && wrong=1
  local d="$tmp/$name" hex b64 rb64 media pt
  read -r media pt < <(media_of "$sig")
  mkdir -p "$d"
  read -r hex b64 < <(peer_key "$suite")
  rb64=$b64
  [ -n "$wrong" ] && read -r _ rb64 < <(peer_key "$suite")
  local expect
  case $sig in
    tone) expect=(--expect-tone) ;;
    pattern) expect=(--expect-pattern "$size" --min-pictures $((secs * fps * 9 / 10))) ;;
    *) expect=(--expect-freq "$sig") ;;
  esac
  [ -n "$wrong" ] && expect=(--expect-none)
  [ "$opt" = srtcp ] && expect+=(--expect-srtcp)
  timeout -k 1 $((secs + 16)) $wrap "$peer" recv --media "$media" --pt "$pt" --crypto "1 $suite inline:$rb64" \
    --port 0 --seconds $((secs + 14)) --idle-ms 1000 "${expect[@]}" >"$d/usm.out" 2>"$d/usm.err" &
  local rpid=$!
  pids+=("$rpid")
  if ! wait_line "$d/usm.out" listening; then fail "$name (usm_srtp_peer did not start)" "$d/usm.err"; return; fi
  local port
  port=$(sed -n 's/^listening: //p' "$d/usm.out")
  local srtp_out=(-f rtp -srtp_out_suite "$suite" -srtp_out_params "$b64" "srtp://127.0.0.1:$port")
  if [ "$who" = ffmpeg ]; then
    local input
    case $sig in
      tone) input=(-re -i "$tmp/tone.wav" -c:a libopus -b:a 32k -frame_duration 20 -ac 1) ;;
      pattern) input=(-re -i "$tmp/pattern.y4m" -c:v libvpx -b:v 500k -deadline realtime -cpu-used 8 -g 30
                      -pkt_size 1200) ;;
      *) input=(-re -f lavfi -i "sine=frequency=$sig:duration=$secs" -c:a libopus -ac 1) ;;
    esac
    timeout -k 1 $((secs + 12)) ffmpeg -hide_banner -nostdin -loglevel error "${input[@]}" -payload_type "$pt" \
      "${srtp_out[@]}" >"$d/peer.out" 2>"$d/peer.err"
  else
    local c src
    read -r -a c < <(gst_suite "$suite")
    case $sig in
      tone) src="filesrc location=$tmp/tone.wav ! wavparse ! audioconvert ! audio/x-raw,rate=48000,channels=1 !
                 opusenc frame-size=20 bitrate=32000 ! rtpopuspay pt=$pt" ;;
      pattern) src="filesrc location=$tmp/pattern.y4m ! y4mdec ! vp8enc deadline=1 target-bitrate=500000
                    end-usage=cbr keyframe-max-dist=30 ! rtpvp8pay pt=$pt mtu=1200 picture-id-mode=15-bit" ;;
      *) src="audiotestsrc is-live=true freq=$sig num-buffers=$((secs * 50)) samplesperbuffer=960 !
              audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay pt=$pt" ;;
    esac
    # udpsink paces the file sources by their timestamps (sync=true)
    # shellcheck disable=SC2086
    timeout -k 1 $((secs + 12)) gst-launch-1.0 -q $src ! srtpenc key="$hex" rtp-cipher="${c[0]}" \
      rtp-auth="${c[1]}" rtcp-cipher="${c[2]}" rtcp-auth="${c[3]}" ! udpsink host=127.0.0.1 port="$port" sync=true \
      >"$d/peer.out" 2>"$d/peer.err"
  fi
  local prc=$? rc=0
  wait "$rpid" || rc=$?
  local res
  res=$(grep '^{' "$d/usm.out")
  echo "  $name: $who rc=$prc, libusm: $res"
  if [ $prc = 0 ] && [ $rc = 0 ]; then pass "$name"; else fail "$name" "$d/peer.err" "$d/usm.err"; fi
}

# libusm -> peer. Args: name peer(ffmpeg|gst) suite signal seconds [srtcp]
# (srtcp: ffmpeg must log no "HMAC mismatch", so our SRTCP reports authenticated)
from_usm() {
  local name=$1 who=$2 suite=$3 sig=$4 secs=$5 opt=${6:-} delay_ms=800
  local d="$tmp/$name" port=$((20000 + (RANDOM % 19000) * 2)) media pt
  read -r media pt < <(media_of "$sig")
  mkdir -p "$d"
  local what=(--freq "$sig")
  [ "$sig" = tone ] && what=(--tone)
  [ "$sig" = pattern ] && what=(--size "$size" --fps "$fps" --kbps 500)
  timeout -k 1 $((secs + 10)) $wrap "$peer" send --media "$media" --pt "$pt" --port "$port" "${what[@]}" \
    --seconds "$secs" --delay-ms $delay_ms --suite "$suite" >"$d/usm.out" 2>"$d/usm.err" &
  local spid=$!
  pids+=("$spid")
  if ! wait_line "$d/usm.out" ssrc; then fail "$name (usm_srtp_peer did not start)" "$d/usm.err"; return; fi
  local crypto hex ssrc out
  crypto=$(sed -n 's/^crypto: //p' "$d/usm.out")
  hex=$(sed -n 's/^key_hex: //p' "$d/usm.out")
  ssrc=$(sed -n 's/^ssrc: //p' "$d/usm.out")
  if [ "$who" = ffmpeg ]; then
    # A SIP-style SDES description of what libusm sends.
    local mline="m=audio $port RTP/SAVP $pt" rtpmap="a=rtpmap:$pt opus/48000/2" output
    output=(-c:a pcm_s16le -ac 1 -y "$d/out.wav")
    out=$d/out.wav
    if [ "$media" = video ]; then
      mline="m=video $port RTP/SAVP $pt" rtpmap="a=rtpmap:$pt VP8/90000"
      output=(-fps_mode passthrough -pix_fmt yuv420p -f yuv4mpegpipe -y "$d/out.y4m")
      out=$d/out.y4m
    fi
    printf '%s\n' v=0 "o=- 0 0 IN IP4 127.0.0.1" s=libusm "c=IN IP4 127.0.0.1" "t=0 0" \
      "$mline" "$rtpmap" "a=crypto:$crypto" "a=recvonly" >"$d/in.sdp"
    # listen_timeout: ffmpeg ends 1 s after the last packet.
    timeout -k 1 -s INT $((secs + 8)) ffmpeg -hide_banner -nostdin -loglevel warning \
      -protocol_whitelist file,udp,rtp,srtp -listen_timeout 1 -i "$d/in.sdp" \
      "${output[@]}" >"$d/peer.out" 2>"$d/peer.err"
  else
    local c stop caps sink
    read -r -a c < <(gst_suite "$suite")
    caps="media=(string)audio,clock-rate=(int)48000,encoding-name=(string)OPUS"
    sink="rtpopusdepay ! opusdec ! audioconvert ! audio/x-raw,channels=1 ! wavenc"
    out=$d/out.wav
    if [ "$media" = video ]; then
      # raw I420: y4menc writes "F0:1" for a stream without a frame rate (RTP has none)
      caps="media=(string)video,clock-rate=(int)90000,encoding-name=(string)VP8"
      sink="rtpvp8depay ! vp8dec ! video/x-raw,format=I420"
      out=$d/out.i420
    fi
    # srtpdec keys streams by the SSRC in its caps; -e writes the WAV header on SIGINT.
    stop=$("$py" -c "print($secs + $delay_ms / 1000 + 2.5)")
    # shellcheck disable=SC2086
    timeout -k 2 -s INT "$stop" gst-launch-1.0 -q -e udpsrc address=127.0.0.1 port="$port" \
      caps="application/x-srtp,$caps,payload=(int)$pt,ssrc=(uint)$ssrc,srtp-key=(buffer)$hex,srtp-cipher=(string)${c[0]},srtp-auth=(string)${c[1]},srtcp-cipher=(string)${c[2]},srtcp-auth=(string)${c[3]}" ! \
      srtpdec ! $sink ! filesink location="$out" >"$d/peer.out" 2>"$d/peer.err"
  fi
  local src=0
  wait "$spid" || src=$?
  local res sent trc
  case $sig in
    tone) res=$("$peer" measure --wav "$out") ;;
    pattern)
      local fmt=--y4m
      [ "$who" = gst ] && fmt=--i420
      res=$("$peer" measure "$fmt" "$out" --size "$size" --min-pictures $((secs * fps * 9 / 10))) ;;
    *) res=$("$py" "$here/wav_tone.py" "$out" --expect "$sig") ;;
  esac
  trc=$?
  rm -f "$d/out.y4m" "$d/out.i420" # large
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
size=640x360 fps=30
if [ "$set_name" = media ]; then
  # the signals the peers send: the tone and the pattern, as files
  if ! "$peer" write --wav "$tmp/tone.wav" --seconds 3 ||
     ! "$peer" write --y4m "$tmp/pattern.y4m" --size "$size" --fps "$fps" --seconds 3; then
    echo "srtp_interop: FAIL: cannot write the test signals"
    exit 1
  fi
  if [ $have_ffmpeg = 1 ]; then
    from_usm usm_to_ffmpeg_tone ffmpeg AES_CM_128_HMAC_SHA1_80 tone 3 srtcp
    to_usm ffmpeg_to_usm_tone ffmpeg AES_CM_128_HMAC_SHA1_80 tone 3 srtcp
    from_usm usm_to_ffmpeg_vp8 ffmpeg AES_CM_128_HMAC_SHA1_80 pattern 3 srtcp
    to_usm ffmpeg_to_usm_vp8 ffmpeg AES_CM_128_HMAC_SHA1_80 pattern 3 srtcp
  else
    skipped=$((skipped + 4))
  fi
  if [ $have_gst = 1 ]; then
    from_usm usm_to_gst_tone gst AES_CM_128_HMAC_SHA1_80 tone 3
    to_usm gst_to_usm_tone gst AES_CM_128_HMAC_SHA1_80 tone 3
    from_usm usm_to_gst_vp8 gst AEAD_AES_128_GCM pattern 3
    to_usm gst_to_usm_vp8 gst AEAD_AES_128_GCM pattern 3
  else
    skipped=$((skipped + 4))
  fi
else
  if [ $have_ffmpeg = 1 ]; then
    to_usm ffmpeg_to_usm ffmpeg AES_CM_128_HMAC_SHA1_80 880 3 srtcp
    from_usm usm_to_ffmpeg ffmpeg AES_CM_128_HMAC_SHA1_80 440 3 srtcp
    # ffmpeg 5.x tags its SRTCP with 32 bits under this SDES name (libusm,
    # libsrtp and GStreamer use 80, RFC 5764 4.1.2): only RTP is checked.
    to_usm ffmpeg_to_usm_sha1_32 ffmpeg AES_CM_128_HMAC_SHA1_32 660 2
    from_usm usm_to_ffmpeg_sha1_32 ffmpeg AES_CM_128_HMAC_SHA1_32 440 2
    to_usm ffmpeg_to_usm_wrong_key ffmpeg AES_CM_128_HMAC_SHA1_80 880 1 wrong
  else
    skipped=$((skipped + 5))
  fi
  if [ $have_gst = 1 ]; then
    to_usm gst_to_usm gst AES_CM_128_HMAC_SHA1_80 880 3
    from_usm usm_to_gst gst AES_CM_128_HMAC_SHA1_80 440 3
    to_usm gst_to_usm_gcm gst AEAD_AES_128_GCM 660 2
    from_usm usm_to_gst_gcm gst AEAD_AES_128_GCM 440 2
    if [ $have_ffmpeg = 0 ]; then
      to_usm gst_to_usm_wrong_key gst AES_CM_128_HMAC_SHA1_80 880 1 wrong
    fi
  else
    skipped=$((skipped + 4))
  fi
fi
echo "srtp_interop $set_name: $((SECONDS - start)) s"
echo "srtp_interop $set_name: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
