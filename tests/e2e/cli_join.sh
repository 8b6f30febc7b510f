#!/usr/bin/env bash
# The usm CLI's join session against a running usm-cloud: a host session
# admits a user who waits in the lobby; password, captcha and 30105 errors.
set -euo pipefail
usm="$USM_BUILD_DIR/bin/usm"
cloud="$USM_CLOUD_BIN"
tmp=$(mktemp -d)
cloud_pid=""; host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null; [ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null
  wait 2>/dev/null || true; rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

"$cloud" --port 0 --admin-port 0 --state-dir "$tmp/state" --captcha-after 3 >"$tmp/ready" 2>"$tmp/cloud.log" &
cloud_pid=$!
for _ in $(seq 200); do grep -q '^USM_CLOUD_READY ' "$tmp/ready" 2>/dev/null && break; sleep 0.1; done
ready=$(sed -n 's/^USM_CLOUD_READY //p' "$tmp/ready")
[ -n "$ready" ] || { cat "$tmp/cloud.log"; echo "usm-cloud did not start"; exit 1; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }
export USM_BASE_URL=$(field discoveryUrl) USM_CA_FILE=$(field caFile)
unset USM_API_URL

# the host schedules through discovery (no --api-url)
start=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:00Z); end=$(date -u -d '+2 hour' +%Y-%m-%dT%H:%M:00Z)
created=$("$usm" --token usm-demo-host-token --json meetings create --title "cli e2e" --start "$start" --end "$end")
num=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["meetingNumber"])' <<<"$created")
pw=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])' <<<"$created")
check "meeting number" test -n "$num"

# capabilities
caps=$("$usm" --token usm-demo-bob-token --json capabilities)
check "bob cannot create" grep -q '"canCreateMeetings":false' <<<"$caps"
caps=$("$usm" --token usm-demo-host-token --json capabilities)
check "host can create" grep -q '"canCreateMeetings":true' <<<"$caps"

# host session: wait for Bob in the lobby, admit him, wait until he is in, then end
"$usm" --token usm-demo-host-token --json join "$num" \
  --script "wait participant Bob Unlicensed in_lobby 30; admit Bob Unlicensed; wait participant Bob Unlicensed in_meeting 20; wait participant Bob Unlicensed gone 30; end" \
  </dev/null >"$tmp/host.out" 2>"$tmp/host.err" &
host_pid=$!
# Bob: password, lobby, admitted, roster, leave -- under valgrind when it can run here
. "$(dirname "${BASH_SOURCE[0]}")/../cli/valgrind.sh"
usm_valgrind_setup "$usm"
set +e
"${VALGRIND[@]}" "$usm" --token usm-demo-bob-token --json join "$num" --password "$pw" \
  --script "wait in_lobby 20; wait joined 30; roster; leave" </dev/null >"$tmp/bob.out" 2>"$tmp/bob.err"
bob_rc=$?
wait "$host_pid"; host_rc=$?; host_pid=""
set -e
check "bob session exit 0 (99: valgrind found errors or leaks)" test "$bob_rc" = 0
check "no valgrind report" bash -c "! grep -q '^==[0-9]*==' '$tmp/bob.err'"
check "host session exit 0" test "$host_rc" = 0
check "bob was in the lobby" grep -q '"event":"state","state":"in_lobby"' "$tmp/bob.out"
check "bob was admitted" grep -q '"event":"state","state":"joined"' "$tmp/bob.out"
check "bob saw the host in the roster" grep -q '"name":"Hana Host".*"host":true' "$tmp/bob.out"
check "host admitted" grep -q '"result":"admit","ok":true' "$tmp/host.out"
check "host ended" grep -q '"result":"end","ok":true' "$tmp/host.out"
[ "$fail" = 0 ] || { echo "--- host"; cat "$tmp/host.out" "$tmp/host.err"; echo "--- bob"; cat "$tmp/bob.out" "$tmp/bob.err"; }

# wrong passwords until a captcha is asked for (the cloud counts per user)
created=$("$usm" --token usm-demo-host-token --json meetings create --title "captcha" --start "$start" --end "$end")
num=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["meetingNumber"])' <<<"$created")
set +e
out=$("$usm" --token usm-demo-bob-token join "$num" --password nope --script "password nope2; password nope3; captcha" </dev/null 2>&1)
set -e
check "wrong password reported" grep -q "USM_ERR_PASSWORD_REQUIRED" <<<"$out"
check "captcha required" grep -q "USM_ERR_CAPTCHA_REQUIRED" <<<"$out"
check "captcha urls printed" grep -q "captchaservice/v1/captchas/.*/audio" <<<"$out"

# a space ID is refused at once with the official message
room=$(printf 'ciscospark://us/ROOM/c10849c0-56e3-11eb-a8cb-e9e7707bccb8' | base64 -w0 | tr '+/' '-_' | tr -d '=')
set +e
out=$("$usm" --token usm-demo-host-token join "$room" </dev/null 2>&1); rc=$?
set -e
check "30105 exit 1" test "$rc" = 1
check "30105 message" grep -q "30105.*Using the space ID as a destination is no longer supported" <<<"$out"

echo "cli_join: $pass passed, $fail failed"
[ "$fail" = 0 ]
