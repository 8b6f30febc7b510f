#!/usr/bin/env bash
# The main job: build everything, then run a meeting workflow with the `usm`
# CLI against a mock of the official Webex Meetings API (Prism).
# (The local Webex cloud replaces the mock as the project grows.)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/bootstrap.sh"
"$src/scripts/build.sh" "$src/build"
usm="$src/build/bin/usm"
spec="$src/../shared/openapi/webex-meeting.json"
[ -f "$spec" ] || { echo "demo: the OpenAPI spec is missing: $spec" >&2; exit 1; }

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
log=$(mktemp)
prism mock -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
prism_pid=$!
trap 'kill $prism_pid 2>/dev/null; wait $prism_pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 300); do grep -q "Prism is listening" "$log" && break; sleep 0.1; done
grep -q "Prism is listening" "$log" || { cat "$log"; echo "demo: Prism did not start" >&2; exit 1; }

export USM_TOKEN=demo-token USM_API_URL="http://127.0.0.1:$port"
step() { printf '\n== %s\n$ usm %s\n' "$1" "${*:2}"; "$usm" "${@:2}"; }
step "What kind of destination is this?" destination "https://site4-example.webex.com/meet/jane"
step "A space ID is no longer a destination (USM)" destination \
  "$(printf 'ciscospark://us/ROOM/c10849c0-56e3-22eb-a8cb-e9e7707bccb8' | base64 -w0 | tr '+/' '-_' | tr -d '=')" || true
step "Schedule a meeting" meetings create --title "libusm demo" \
  --start 2030-01-15T10:00:00Z --end 2030-01-15T11:00:00Z --invitee jane@example.com
step "Read it back" meetings get 870f51ff287b41be84648412901e0402
step "List scheduled meetings" meetings list --state scheduled --max 5
step "Invite someone" invitees add 870f51ff287b41be84648412901e0402 john@example.com --name John
step "Who is invited" invitees list 870f51ff287b41be84648412901e0402
step "End it" meetings end 870f51ff287b41be84648412901e0402
printf '\ndemo: done\n'
