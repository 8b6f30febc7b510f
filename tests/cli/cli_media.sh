#!/usr/bin/env bash
# `usm join` with media: Hana and Alice each send the tone and the pattern
# through usm-cloud's media server for 6 s, record what they receive and
# print stats (Hana as text, Alice as JSON, Alice also decoded Y4M). The
# files must be valid: WAV sizes consistent with the header and not silent,
# IVF (or raw H.264) with frames, Y4M frames of the sent size, a PNG of the
# sent size; stats every second; totals at the end. Argument: a video codec
# for --video-codec (then the recording must be in that codec). Also the
# refusals before connecting: an unreadable file, an unwritable directory.
# Every wait is bounded.
set -u
usm="${USM_BUILD_DIR:?USM_BUILD_DIR is not set}/bin/usm"
cloud="${USM_CLOUD_BIN:?USM_CLOUD_BIN is not set}"
codec=${1:-}
py=/usr/bin/python3
tmp=$(mktemp -d)
cloud_pid=""; host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null; [ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null
  wait 2>/dev/null; [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then pass=$((pass+1)); else bad "$what"; fi; }
run_limit=60 # seconds any usm process may take

# ---- refused before connecting (no token or cloud needed) ----
unset USM_TOKEN USM_API_URL USM_BASE_URL USM_CA_FILE
timeout 10 "$usm" join 1234567890 --send-audio "$tmp/missing.wav" >"$tmp/out" 2>"$tmp/err"
check "unreadable WAV: exit 2" test $? = 2
check "unreadable WAV: says why" grep -q "send-audio: cannot read '$tmp/missing.wav': No such file" "$tmp/err"
timeout 10 "$usm" join 1234567890 --send-video "$tmp" >"$tmp/out" 2>"$tmp/err" # a directory reads as nothing
rc=$?
check "directory as Y4M: refused" test "$rc" != 0
: >"$tmp/plainfile"
timeout 10 "$usm" join 1234567890 --record "$tmp/plainfile/sub" >"$tmp/out" 2>"$tmp/err"
check "unwritable record dir: exit 2" test $? = 2
check "unwritable record dir: says why" grep -q "cannot create directory '$tmp/plainfile/sub': Not a directory" "$tmp/err"
timeout 10 "$usm" join 1234567890 --video-codec AV1 >"$tmp/out" 2>"$tmp/err"
check "unknown codec: exit 2" test $? = 2
timeout 10 "$usm" join 1234567890 --duration 0 >"$tmp/out" 2>"$tmp/err"
check "duration 0: exit 2" test $? = 2

# ---- the cloud ----
"$cloud" --port 0 --admin-port 0 --state-dir "$tmp/state" >"$tmp/ready" 2>"$tmp/cloud.log" &
cloud_pid=$!
for _ in $(seq 200); do grep -q '^USM_CLOUD_READY ' "$tmp/ready" 2>/dev/null && break; sleep 0.1; done
ready=$(sed -n 's/^USM_CLOUD_READY //p' "$tmp/ready")
[ -n "$ready" ] || { cat "$tmp/cloud.log"; echo "usm-cloud did not start"; exit 1; }
field() { $py -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }
export USM_BASE_URL=$(field discoveryUrl) USM_CA_FILE=$(field caFile)

start=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:00Z); end=$(date -u -d '+2 hour' +%Y-%m-%dT%H:%M:00Z)
num=$(timeout $run_limit "$usm" --token usm-demo-host-token --json meetings create --title "cli media" \
  --start "$start" --end "$end" --invitee alice@example.com |
  $py -c 'import json,sys; print(json.load(sys.stdin)["meetingNumber"])')
[ -n "$num" ] || { echo "could not create a meeting"; exit 1; }

media=(--send-audio tone --send-video pattern --stats --duration 6)
[ -n "$codec" ] && media+=(--video-codec "$codec")
timeout $run_limit "$usm" --token usm-demo-host-token join "$num" "${media[@]}" --record "$tmp/hana" \
  </dev/null >"$tmp/hana.out" 2>"$tmp/hana.err" &
host_pid=$!
timeout $run_limit "$usm" --token usm-demo-alice-token --json join "$num" "${media[@]}" --record "$tmp/alice" \
  --record-y4m </dev/null >"$tmp/alice.out" 2>"$tmp/alice.err"
alice_rc=$?
wait "$host_pid"; host_rc=$?; host_pid=""
check "hana exit 0 (got $host_rc)" test "$host_rc" = 0
check "alice exit 0 (got $alice_rc)" test "$alice_rc" = 0

# Text stats: one line per second (not a terminal: no \r, no ANSI).
n=$(grep -cE '^t=[0-9]+s audio tx [0-9.]+[kM] rx [0-9.]+[kM] loss [0-9]+% jb [0-9]+ms \| video tx [0-9.]+[kM] [0-9]+x[0-9]+@[0-9]+ rx [0-9.]+[kM] [0-9]+fps loss [0-9]+% nack [0-9]+ pli [0-9]+ \| rtt [0-9]+ms bwe [0-9.]+[kM]$' "$tmp/hana.out")
check "hana: >= 4 stats lines (got $n)" test "$n" -ge 4
check "hana: no control characters" bash -c "! grep -q $'[\r\033]' '$tmp/hana.out'"
check "hana: media totals" grep -q '^media totals after ' "$tmp/hana.out"
check "hana: left after the duration" grep -q '^ok duration$' "$tmp/hana.out"

cat >"$tmp/check.py" <<'PY'
import json, os, struct, sys, wave
who, d, out, json_out, codec, y4m = sys.argv[1:7]
errors = []
def err(msg): errors.append(f"{who}: {msg}")
files = sorted(os.listdir(d))
stems = {os.path.splitext(f)[0] for f in files}
if len(stems) != 1: err(f"want the files of one source, got {files}")
stem = next(iter(stems), "?")
path = lambda ext: os.path.join(d, stem + "." + ext)

# WAV: RIFF and data sizes match the file, 48 kHz s16, >= 3 s, the tone audible
try:
    raw = open(path("wav"), "rb").read()
    riff, data_size = struct.unpack_from("<I", raw, 4)[0], struct.unpack_from("<I", raw, 40)[0]
    if raw[:4] != b"RIFF" or raw[8:16] != b"WAVEfmt " or raw[36:40] != b"data": err("WAV layout")
    if riff != len(raw) - 8 or data_size != len(raw) - 44: err(f"WAV sizes {riff}/{data_size} for {len(raw)} bytes")
    w = wave.open(path("wav"))
    if w.getframerate() != 48000 or w.getsampwidth() != 2 or w.getnchannels() not in (1, 2): err("WAV format")
    secs = w.getnframes() / 48000
    if secs < 3: err(f"only {secs:.2f} s of audio")
    pcm = w.readframes(w.getnframes())
    tail = struct.unpack(f"<{len(pcm) // 2}h", pcm)[len(pcm) // 4:]
    rms = (sum(s * s for s in tail) / max(1, len(tail))) ** 0.5
    if rms < 2000: err(f"received audio nearly silent (rms {rms:.0f}; the tone is ~5800)")
except (OSError, wave.Error, struct.error) as e:
    err(f"WAV: {e}")

# Video as received: IVF (VP8) with a consistent frame count, or raw Annex B H.264
if os.path.exists(path("ivf")):
    raw = open(path("ivf"), "rb").read()
    if raw[:4] != b"DKIF" or struct.unpack_from("<H", raw, 6)[0] != 32 or raw[8:12] != b"VP80": err("IVF header")
    count, at, frames = struct.unpack_from("<I", raw, 24)[0], 32, 0
    while at + 12 <= len(raw):
        size = struct.unpack_from("<I", raw, at)[0]
        at += 12 + size
        frames += 1
    if at != len(raw) or frames != count or frames < 60: err(f"IVF: {frames} frames walked, header says {count}")
    if codec not in ("", "VP8"): err("IVF for " + codec)
elif os.path.exists(path("h264")):
    raw = open(path("h264"), "rb").read()
    if not (raw.startswith(b"\0\0\0\1") or raw.startswith(b"\0\0\1")): err("H.264 without a start code")
    nal_types = {raw[i + 3] & 0x1F for i in range(len(raw) - 3) if raw[i:i + 3] == b"\0\0\1"}
    if not {5, 7} <= nal_types: err(f"H.264 without SPS and IDR: NAL types {sorted(nal_types)}")
    if codec == "VP8": err("asked for VP8, got a .h264 recording")
else:
    err(f"no .ivf or .h264 in {files}")

# PNG snapshot of the sent size
try:
    raw = open(path("png"), "rb").read(32)
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or raw[12:16] != b"IHDR": err("PNG signature")
    elif struct.unpack(">II", raw[16:24]) != (640, 360): err(f"PNG size {struct.unpack('>II', raw[16:24])}")
except OSError as e:
    err(f"PNG: {e}")

# Y4M of decoded pictures: whole frames of 640x360
if y4m == "1":
    try:
        raw = open(path("y4m"), "rb").read()
        head, _, rest = raw.partition(b"\n")
        if not head.startswith(b"YUV4MPEG2 W640 H360 "): err(f"Y4M header {head[:40]!r}")
        frame = 6 + 640 * 360 * 3 // 2
        if len(rest) % frame or len(rest) // frame < 60: err(f"Y4M: {len(rest)} bytes is not >= 60 whole frames")
    except OSError as e:
        err(f"Y4M: {e}")

# JSON output: every line an object; stats each second; totals; the files listed
if json_out == "1":
    objs = []
    for n, line in enumerate(open(out), 1):
        try:
            objs.append(json.loads(line))
        except ValueError:
            err(f"line {n} is not JSON: {line!r}")
    stats = [o["stats"] for o in objs if "stats" in o]
    if len(stats) < 4: err(f"{len(stats)} stats objects")
    if stats and not any(s["videoReceived"]["frames"] > 0 and s["audioReceived"]["packets"] > 0 for s in stats):
        err("stats never show received audio and video")
    totals = [o["totals"] for o in objs if "totals" in o]
    if len(totals) != 1: err("no totals")
    elif codec and totals[0]["videoReceived"]["codec"] != codec:
        err(f"asked for {codec}, received {totals[0]['videoReceived']['codec']}")
    rec = {os.path.basename(o["recorded"]) for o in objs if "recorded" in o}
    if rec != set(files): err(f"recorded {sorted(rec)} but the directory holds {files}")
for e in errors: print(e)
sys.exit(1 if errors else 0)
PY
check "hana's files" $py "$tmp/check.py" hana "$tmp/hana" "$tmp/hana.out" 0 "$codec" 0
check "alice's files and JSON" $py "$tmp/check.py" alice "$tmp/alice" "$tmp/alice.out" 1 "$codec" 1

if [ "$fail" != 0 ]; then
  for w in hana alice; do echo "--- $w"; cut -c1-400 "$tmp/$w.out"; grep -v '^\[.*\] N: ' "$tmp/$w.err"; ls -l "$tmp/$w" 2>&1; done
fi
echo "cli_media${codec:+ ($codec)}: $pass passed, $fail failed"
[ "$fail" = 0 ]
