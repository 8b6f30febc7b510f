#!/usr/bin/env bash
# The main job: build everything, start the local Webex cloud (usm-cloud) and
# run a whole meeting on it with libusm: schedule, join three people (one
# through the password and the lobby), admit, hand over the host role,
# invite, leave and end; two of them send and receive audio and video
# through the cloud's media server for ~10 s, with live stats, recordings
# (DEMO_OUT, default ./demo-out) and a quality summary. docs/demo.md.
# Everything stays on 127.0.0.1.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/bootstrap.sh"
"$src/scripts/build.sh" "$src/build"
bin="$src/build/bin"
out=${DEMO_OUT:-$PWD/demo-out}

state=$(mktemp -d)
"$bin/usm-cloud" --port 0 --admin-port 0 --state-dir "$state" >"$state/ready" 2>"$state/cloud.log" &
cloud_pid=$!
trap 'kill $cloud_pid 2>/dev/null; wait $cloud_pid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 200); do grep -q '^USM_CLOUD_READY ' "$state/ready" 2>/dev/null && break; sleep 0.1; done
ready=$(sed -n 's/^USM_CLOUD_READY //p' "$state/ready")
[ -n "$ready" ] || { cat "$state/cloud.log" >&2; echo "demo: usm-cloud did not start" >&2; exit 1; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }
discovery=$(field discoveryUrl)
ca=$(field caFile)
echo "usm-cloud is up: $(field url) (CA $ca)"
echo

"$bin/usm-demo" --discovery-url "$discovery" --ca-file "$ca" --out "$out"
echo
echo "Recorded in $out (play with ffplay; .h264 is raw Annex B: ffplay -f h264 FILE):"
ls -l "$out"

echo
echo "The same cloud through the usm CLI:"
echo "$ usm destination <a space id>"
"$bin/usm" destination "$(printf 'ciscospark://us/ROOM/c10849c0-56e3-11eb-a8cb-e9e7707bccb8' | base64 -w0 | tr '+/' '-_' | tr -d '=')" || true
echo "$ usm capabilities   (as Bob, who has no license)"
"$bin/usm" --token usm-demo-bob-token --base-url "$discovery" --ca-file "$ca" capabilities
