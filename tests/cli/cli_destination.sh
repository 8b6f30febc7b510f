#!/bin/bash
# `usm destination`: each kind of destination, space ids refused with the
# official 30105 error, bad input refused with exit status 1, type hints,
# usage errors with exit status 2, and --json output that parses. Needs no
# token and no network. Under valgrind when available (not with sanitizers).
set -u

USM="${USM_BUILD_DIR:?USM_BUILD_DIR is not set}/bin/usm"
[ -x "$USM" ] || { echo "FAIL: $USM is not built"; exit 1; }
unset USM_TOKEN USM_API_URL USM_BASE_URL USM_CA_FILE

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  echo "  stdout: $(cat "$WORK/out")"
  echo "  stderr: $(cat "$WORK/err")"
  failures=$((failures + 1))
}

# run ARGS...: usm destination ARGS; sets RC, output in $WORK/out and $WORK/err.
run() {
  "$USM" destination "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
}

# expect_ok WANT_STDOUT ARGS...: exit status 0 and exactly this output.
expect_ok() {
  local want=$1
  shift
  run "$@"
  if [ "$RC" -ne 0 ] || [ "$(cat "$WORK/out")" != "$want" ] || [ -s "$WORK/err" ]; then
    fail "destination $* -> rc $RC, want rc 0 and '$want'"
  fi
}

# expect_err RC CODE ARGS...: exit status RC, "error CODE (" on stderr, nothing on stdout.
expect_err() {
  local want_rc=$1 code=$2
  shift 2
  run "$@"
  if [ "$RC" -ne "$want_rc" ] || ! grep -q "^error $code (" "$WORK/err" || [ -s "$WORK/out" ]; then
    fail "destination $* -> rc $RC, want rc $want_rc and error $code"
  fi
}

# json_check PYTHON_EXPR ARGS...: --json output parses and satisfies the expression on `d`.
json_check() {
  local expr=$1
  shift
  run --json "$@"
  if ! python3 -c "import json,sys
try: d = json.load(sys.stdin)
except ValueError: sys.exit('not JSON')
sys.exit(0 if ($expr) else 1)" <"$WORK/out"; then
    fail "destination --json $* -> rc $RC, want: $expr"
  fi
}

hydra() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
UUID=c10849c0-56e3-22eb-a8cb-e9e7707bccb8
ROOM=$(hydra "ciscospark://us/ROOM/$UUID")
PERSON=$(hydra "ciscospark://us/PEOPLE/$UUID")
OFFICIAL="Using the space ID as a destination is no longer supported"

# Auto-detection of every kind.
expect_ok "meeting_number 2551234567" 2551234567
expect_ok "meeting_number 2551234567" "  255 123 4567  "
expect_ok "sip_uri sip:alice@example.com" sip:alice@example.com
expect_ok $'sip_uri alice@example.com\nflags: email' alice@example.com
expect_ok $'sip_uri (408) 555-1234\nflags: phone' "(408) 555-1234"
expect_ok "meeting_link https://example.webex.com/meet/alice" https://example.webex.com/meet/alice
expect_ok $'person_id '"$UUID"$'\nflags: uuid\ncluster: us' "$PERSON"

# Spaces are refused with the official code and message, whatever the hint.
expect_err 1 30105 "$ROOM"
grep -q "^error 30105 (USM_ERR_SPACE_ID_DEPRECATED): $OFFICIAL" "$WORK/err" ||
  fail "room id: the official 30105 message is missing"
expect_err 1 30105 "$ROOM" --type sip_uri
expect_err 1 30105 "https://conv-a.wbx2.com/conversation/api/v1/conversations/$UUID"

# Garbage, control bytes and oversized input fail cleanly.
expect_err 1 100 "not a destination!!"
expect_err 1 100 ""
expect_err 1 1 $'2551234567\x01'
expect_err 1 6 "$(head -c 3000 /dev/zero | tr '\0' 1)"

# Type hints, including the official names.
expect_ok "meeting_number 2551234567" --type meeting_number 255-123-4567
expect_ok "meeting_number 2551234567" 2551234567 --type MEETING_ID
expect_err 1 100 --type meeting_number alice@example.com
expect_ok $'personal_room alice@example.com\nflags: email' --type personal_room alice@example.com
expect_ok "personal_room " --type personal_room ""
expect_ok "meeting_link https://meet.example.org/j/123" --type MEETING_LINK https://meet.example.org/j/123

# Usage errors: exit status 2 and the usage line.
run --type no_such_type 2551234567
if [ "$RC" -ne 2 ] || ! grep -q '^usage: usm destination' "$WORK/err"; then fail "unknown --type: rc $RC"; fi
run
if [ "$RC" -ne 2 ] || ! grep -q '^usage: usm destination' "$WORK/err"; then fail "missing argument: rc $RC"; fi
run 2551234567 --no-such-flag
[ "$RC" -eq 2 ] || fail "unknown flag: rc $RC"
run 2551234567 extra
[ "$RC" -eq 2 ] || fail "extra argument: rc $RC"

# --json.
json_check 'd == {"type": "meeting_number", "value": "2551234567", "flags": [], "cluster": None}' 2551234567
json_check 'd["type"] == "sip_uri" and d["flags"] == ["email"]' alice@example.com
json_check 'd["type"] == "sip_uri" and d["flags"] == ["phone"]' "+1 408 555 1234"
json_check 'd == {"type": "person_id", "value": "'"$UUID"'", "flags": ["uuid"], "cluster": "us"}' "$PERSON"
json_check 'set(d) == {"error"} and d["error"]["code"] == 30105 and d["error"]["name"] == "USM_ERR_SPACE_ID_DEPRECATED" and d["error"]["message"].startswith("'"$OFFICIAL"'")' "$ROOM"
[ "$RC" -eq 1 ] || fail "--json room id: rc $RC, want 1"
json_check 'd["value"] == "sip:a\"b@example.com"' 'sip:a"b@example.com' # JSON escaping
json_check 'd["error"]["code"] == 100' "not a destination"

# No leaks or memory errors on representative paths.
# shellcheck source-path=SCRIPTDIR source=valgrind.sh
. "$(dirname "${BASH_SOURCE[0]}")/valgrind.sh"
usm_valgrind_setup "$USM"
if [ "${#VALGRIND[@]}" -gt 0 ]; then
  for args in "2551234567" "$ROOM" "--json $PERSON"; do
    # shellcheck disable=SC2086 # split on purpose
    "${VALGRIND[@]}" "$USM" destination $args >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$WORK/err"; then fail "valgrind: destination $args (rc $rc)"; fi
  done
fi

if [ "$failures" -ne 0 ]; then
  echo "cli_destination: $failures failure(s)"
  exit 1
fi
echo "cli_destination: all checks passed"
