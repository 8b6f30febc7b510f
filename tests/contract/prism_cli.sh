#!/bin/bash
# The `usm` CLI against Prism mocking the official Webex Meetings OpenAPI
# spec. Every command must succeed AND pass Prism's request validation (a
# request the spec rejects gets 400, and Prism logs the violation); forced
# statuses (Prefer: code=NNN) must map to the documented errors and retries;
# a request the spec rejects must fail (negative control). Representative
# commands run under valgrind when available (not with sanitizers).
set -u

USM="${USM_BUILD_DIR:?USM_BUILD_DIR is not set}/bin/usm"
SPEC="${USM_SOURCE_DIR:?USM_SOURCE_DIR is not set}/../shared/openapi/webex-meeting.json"
READY_TIMEOUT_S=30

[ -x "$USM" ] || { echo "FAIL: $USM is not built"; exit 1; }
[ -f "$SPEC" ] || { echo "FAIL: OpenAPI spec not found at $SPEC (shared/ must sit beside the source tree)"; exit 1; }
command -v prism >/dev/null || { echo "FAIL: prism is not on PATH (npm install -g @stoplight/prism-cli)"; exit 1; }

WORK=$(mktemp -d)
LOG=$WORK/prism.log
PRISM_PID=
failures=0
cleanup() {
  if [ -n "$PRISM_PID" ]; then
    kill -TERM "$PRISM_PID" 2>/dev/null
    wait "$PRISM_PID" 2>/dev/null
  fi
  if [ "$failures" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK (prism.log)"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
prism mock -h 127.0.0.1 -p "$PORT" "$SPEC" >"$LOG" 2>&1 &
PRISM_PID=$!
for ((i = 0; i < READY_TIMEOUT_S * 10; i++)); do
  grep -q "Prism is listening on http://127.0.0.1:$PORT" "$LOG" && break
  kill -0 "$PRISM_PID" 2>/dev/null || { echo "FAIL: prism exited:"; cat "$LOG"; failures=1; exit 1; }
  sleep 0.1
done
grep -q "Prism is listening" "$LOG" || { echo "FAIL: prism not ready after ${READY_TIMEOUT_S}s"; failures=1; exit 1; }

export USM_TOKEN=contract-test-token USM_API_URL="http://127.0.0.1:$PORT"
unset USM_BASE_URL USM_CA_FILE

# shellcheck source-path=SCRIPTDIR source=../cli/valgrind.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/valgrind.sh"
usm_valgrind_setup "$USM"

SERIES=870f51ff287b41be84648412901e0402
INSTANCE=${SERIES}_20191101T120000Z
INVITEE=${SERIES}_2628982
START=2030-01-01T10:00:00Z
END=2030-01-01T11:00:00Z

fail() {
  echo "FAIL: $*"
  echo "  stdout: $(head -c 2000 "$WORK/out")"
  echo "  stderr: $(head -c 2000 "$WORK/err")"
  failures=$((failures + 1))
}

# run [--vg] ARGS...: run usm; RC, $WORK/out, $WORK/err, and $WORK/slice (the
# Prism log lines this run produced).
run() {
  local vg=()
  if [ "$1" = --vg ]; then
    vg=("${VALGRIND[@]}")
    shift
  fi
  local before
  before=$(wc -l <"$LOG")
  "${vg[@]}" "$USM" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  tail -n +"$((before + 1))" "$LOG" >"$WORK/slice"
  if [ "${#vg[@]}" -gt 0 ] && { [ "$RC" -eq 99 ] || grep -q '^==[0-9]*==' "$WORK/err"; }; then
    fail "valgrind reported errors: usm $*"
  fi
}

# expect_ok [--vg] ARGS...: exit 0, Prism validated the request(s), no violation.
expect_ok() {
  run "$@"
  [ "$1" = --vg ] && shift
  if [ "$RC" -ne 0 ]; then
    fail "usm $* -> rc $RC, want 0"
  elif ! grep -q "passed the validation rules" "$WORK/slice"; then
    fail "usm $*: Prism did not log a validated request"
  elif grep -qE "did not pass the validation rules|Violation: request" "$WORK/slice"; then
    fail "usm $*: Prism reported a request violation: $(grep 'Violation: request' "$WORK/slice")"
  fi
}

# out_has REGEX WHAT: the last stdout has a line matching REGEX.
out_has() { grep -qE "$1" "$WORK/out" || fail "$2: stdout lacks /$1/"; }

# json_ok PYTHON_EXPR WHAT: the last stdout is JSON satisfying the expression on `d`.
json_ok() {
  python3 -c "import json,sys
try: d = json.load(sys.stdin)
except ValueError: sys.exit('not JSON')
sys.exit(0 if ($1) else 1)" <"$WORK/out" || fail "$2: want $1"
}

# ---- every command succeeds and passes request validation --------------------

expect_ok --vg meetings create --title "Contract test" --start "$START" --end "$END" \
  --timezone Europe/Berlin --agenda "Check the request shape" --password 'BgJep@43' \
  --invitee alice@example.com --invitee bob@example.com \
  --extra-json '{"enabledAutoRecordMeeting":false,"meetingOptions":{"enabledChat":true}}'
out_has "^id: +$SERIES\$" "create"
out_has "^meetingNumber: +123456789\$" "create"
out_has "^title: +Example Daily Meeting\$" "create"
out_has "^state: +active\$" "create"

expect_ok meetings create --title T --start "$START" --end "$END" --json
json_ok 'd["id"] == "'$SERIES'" and d["meetingNumber"] == "123456789" and "registration" in d' "create --json"

# The spec requires title, start and end even for ad hoc meetings (the real server fills them in).
ROOM=$(printf 'ciscospark://us/ROOM/c10849c0-56e3-22eb-a8cb-e9e7707bccb8' | base64 -w0 | tr '+/' '-_' | tr -d '=')
expect_ok meetings create --room-id "$ROOM" --adhoc --title T --start "$START" --end "$END"
out_has "^id: +$SERIES\$" "create --adhoc"

expect_ok --vg meetings get "$SERIES" --password 'BgJep@43'
out_has "^id: +$SERIES\$" "get"
out_has "^start: +2019-11-01T12:00:00Z\$" "get"
grep -q "get /meetings/$SERIES" "$WORK/slice" || fail "get: Prism saw no GET /meetings/$SERIES"

expect_ok --vg meetings list --meeting-number 123456789 --state ready --type scheduledMeeting \
  --from 2030-01-01T00:00:00Z --to 2030-02-01T00:00:00Z --max 5
[ "$(wc -l <"$WORK/out")" -eq 4 ] || fail "list: want 4 rows"
out_has "^${INSTANCE} +123456789 +ready +2019-11-01T12:00:00Z +Example Daily Meeting\$" "list"

expect_ok meetings list --all --json
json_ok 'len(d["items"]) == 4 and d["items"][0]["id"] == "'$INSTANCE'"' "list --all --json"
[ "$(grep -c 'get /meetings' "$WORK/slice")" -eq 1 ] || fail "list --all: Prism's bogus Link header must not be followed"

expect_ok --vg meetings update "$INSTANCE" --title "Moved" --start 2030-01-02T10:00:00Z --end 2030-01-02T11:00:00Z
out_has "^id: +1d824a4a205042eba9574e00b711b226_20200127T120000Z\$" "update"
out_has "^title: +Example Daily Meeting Modified\$" "update"
if ! grep -q "get /meetings/$INSTANCE" "$WORK/slice" || ! grep -q "put /meetings/$INSTANCE" "$WORK/slice"; then
  fail "update: want GET then PUT /meetings/$INSTANCE"
fi

expect_ok meetings update "$INSTANCE" --agenda "New agenda" --json
json_ok 'd["id"] == "1d824a4a205042eba9574e00b711b226_20200127T120000Z"' "update --json"

expect_ok --vg meetings delete "$INSTANCE" --send-email no
out_has "^deleted meeting $INSTANCE\$" "delete"
grep -q "delete /meetings/$INSTANCE" "$WORK/slice" || fail "delete: Prism saw no DELETE"

expect_ok meetings delete "$INSTANCE" --json
json_ok 'd == {"ok": True}' "delete --json"

expect_ok meetings end "$SERIES" --reason "contract test done"
out_has "^ended meeting $SERIES\$" "end"
expect_ok meetings end "$SERIES" --json
json_ok 'd == {"ok": True}' "end --json"

expect_ok --vg invitees add "$SERIES" alice@example.com --name Alice --cohost --send-email no
out_has "^id: +$INVITEE\$" "invitees add"
out_has "^email: +john.andersen@example.com\$" "invitees add"
out_has "^coHost: +no\$" "invitees add"

expect_ok invitees add "$SERIES" bob@example.com --panelist --json
json_ok 'd["id"] == "'$INVITEE'" and d["meetingId"] == "'$SERIES'"' "invitees add --json"

expect_ok invitees list "$SERIES" --max 10
[ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "invitees list: want 2 rows"
out_has "^${SERIES}_2628957 +john.andersen@example.com +John Andersen" "invitees list"

expect_ok invitees list "$SERIES" --json
json_ok 'len(d["items"]) == 2' "invitees list --json"

expect_ok invitees delete "$INVITEE"
out_has "^deleted invitee $INVITEE\$" "invitees delete"

# ---- forced statuses map to documented errors ------------------------------------

# expect_err [--vg] RC CODE NAME HTTP RETRIES ARGS...: the failure line on stderr.
expect_err() {
  local vg=()
  [ "$1" = --vg ] && { vg=(--vg); shift; }
  local rc=$1 code=$2 name=$3 http=$4 retries=$5
  shift 5
  run "${vg[@]}" "$@"
  local want="^error $code \($name\): .*\[http $http\]"
  if [ "$retries" -gt 0 ]; then want="$want \[retries $retries\]\$"; else want="$want\$"; fi
  if [ "$RC" -ne "$rc" ] || ! grep -qE "$want" "$WORK/err"; then
    fail "usm $* -> rc $RC, want rc $rc and /$want/"
  fi
}

for c in 400:USM_ERR_BAD_REQUEST:0 401:USM_ERR_UNAUTHORIZED:0 403:USM_ERR_FORBIDDEN:0 \
  404:USM_ERR_NOT_FOUND:0 409:USM_ERR_CONFLICT:0 423:USM_ERR_LOCKED:1 429:USM_ERR_RATE_LIMITED:1 \
  500:USM_ERR_SERVER:1 502:USM_ERR_SERVER:1 503:USM_ERR_SERVER:1 504:USM_ERR_SERVER:1; do
  IFS=: read -r http name retries <<<"$c"
  code=$http
  [ "$http" -ge 500 ] && code=500
  expect_err 1 "$code" "$name" "$http" "$retries" meetings get "$SERIES" -H "Prefer: code=$http" --retries 1
done

# On create, 403 means "no meetings license", and a POST is not retried after a 500.
for c in 400:400:USM_ERR_BAD_REQUEST:0 401:401:USM_ERR_UNAUTHORIZED:0 403:1403:USM_ERR_NO_LICENSE:0 \
  404:404:USM_ERR_NOT_FOUND:0 409:409:USM_ERR_CONFLICT:0 423:423:USM_ERR_LOCKED:1 \
  429:429:USM_ERR_RATE_LIMITED:1 500:500:USM_ERR_SERVER:0 502:500:USM_ERR_SERVER:1 \
  503:500:USM_ERR_SERVER:1 504:500:USM_ERR_SERVER:1; do
  IFS=: read -r http code name retries <<<"$c"
  expect_err 1 "$code" "$name" "$http" "$retries" \
    meetings create --title T --start "$START" --end "$END" -H "Prefer: code=$http" --retries 1
done

expect_err --vg 1 500 USM_ERR_SERVER 503 1 meetings list -H 'Prefer: code=503' --retries 1
expect_err 1 404 USM_ERR_NOT_FOUND 404 0 meetings delete "$INSTANCE" -H 'Prefer: code=404'
expect_err 1 423 USM_ERR_LOCKED 423 0 meetings end "$SERIES" -H 'Prefer: code=423' --retries 0

# The spec's 409 for invitees has a body: its message and trackingId are reported.
expect_err 1 409 USM_ERR_CONFLICT 409 0 invitees add "$SERIES" alice@example.com -H 'Prefer: code=409'
grep -q 'User is already a meeting invitee\. \[trackingId 8E12317727354470B5258F5B28D93FB9_1562296858685\]' "$WORK/err" ||
  fail "invitees add 409: message or trackingId missing"

# --json errors: a JSON object on stdout as well.
run meetings get "$SERIES" -H 'Prefer: code=404' --json
[ "$RC" -eq 1 ] || fail "get --json 404: rc $RC"
json_ok 'd["error"]["code"] == 404 and d["error"]["name"] == "USM_ERR_NOT_FOUND" and d["error"]["httpStatus"] == 404' "get --json 404"

# ---- negative control: the spec rejects this body, so the command must fail ----

run meetings create --title T --start "$START" --end "$END" --extra-json '{"title": 42}'
if [ "$RC" -ne 1 ] || ! grep -qE '^error 400 \(USM_ERR_BAD_REQUEST\): .*\[http 400\]' "$WORK/err"; then
  fail "negative control: want rc 1 and error 400"
fi
grep -q "Violation: request.body.title" "$WORK/slice" || fail "negative control: Prism did not report the violation"

# ---- usage errors never reach the server ---------------------------------------

for args in "meetings get" "meetings create --title T" "meetings list --max 0" "meetings list --bogus" \
  "meetings delete X --send-email maybe" "invitees add $SERIES" "meetings frobnicate" "meetings" \
  "meetings update $SERIES" "meetings get $SERIES --retries 11" "meetings get $SERIES -H NoColon"; do
  # shellcheck disable=SC2086 # split on purpose
  run $args
  if [ "$RC" -ne 2 ] || ! grep -q '^usage: ' "$WORK/err" || [ -s "$WORK/slice" ]; then
    fail "usm $args -> rc $RC, want 2 with a usage line and no request"
  fi
done
(unset USM_TOKEN; "$USM" meetings get "$SERIES" >"$WORK/out" 2>"$WORK/err")
RC=$?
if [ "$RC" -ne 2 ] || ! grep -q 'no access token' "$WORK/err"; then fail "no token: rc $RC, want 2"; fi

# ---- Prism's whole log: the negative control was the only request violation -----
sleep 0.3 # lines trailing the last response
n=$(grep -c "did not pass the validation rules" "$LOG")
[ "$n" -eq 1 ] || fail "Prism logged $n invalid requests, want exactly 1 (the negative control): $(grep 'Violation: request' "$LOG")"

if [ "$failures" -ne 0 ]; then
  echo "prism_cli: $failures failure(s)"
  exit 1
fi
echo "prism_cli: all checks passed"
