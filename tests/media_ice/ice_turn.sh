#!/usr/bin/env bash
# Starts coturn on 127.0.0.1 only (static user, no CLI, no multicast peers,
# loopback peers allowed for the test responder) and runs test_ice_turn
# against it over UDP, TCP and TLS. Skips when coturn is not installed
# (Debian package: coturn).
set -euo pipefail
bin="${USM_BUILD_DIR:?}/tests/test_ice_turn"
if ! command -v turnserver >/dev/null 2>&1; then
  echo "ice_turn: SKIP: turnserver not found (install the Debian package 'coturn')"
  "$bin"
  exit 0
fi
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# a self-signed certificate for 127.0.0.1, which the client trusts via USM_TURN_CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000)); tls_port=$((port + 1)); relay=$((port + 2))
  turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
    --listening-port="$port" --tls-listening-port="$tls_port" \
    --min-port="$relay" --max-port=$((relay + 50)) \
    --lt-cred-mech --user=usm:usm-secret --realm=usm.test --userdb="$tmp/turndb" \
    --cert="$tmp/cert.pem" --pkey="$tmp/key.pem" --no-dtls \
    --no-cli --no-multicast-peers --allow-loopback-peers --no-software-attribute \
    --log-file="$tmp/turn.log" --simple-log --pidfile="$tmp/turn.pid" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    if grep -q "Total General servers" "$tmp"/turn*.log 2>/dev/null || ss -ltn 2>/dev/null | grep -q "127.0.0.1:$tls_port "; then break; fi
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null && ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port "; then break; fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=
done
[ -n "$pid" ] || { echo "ice_turn: turnserver did not start"; cat "$tmp"/turn*.log 2>/dev/null | tail -20; exit 1; }
sleep 0.3
status=0
USM_TURN_PORT=$port USM_TURN_TLS_PORT=$tls_port USM_TURN_USER=usm USM_TURN_PASS=usm-secret \
  USM_TURN_CA="$tmp/cert.pem" ${USM_TEST_WRAPPER:-} "$bin" || status=$?
if [ $status -ne 0 ]; then tail -40 "$tmp"/turn*.log 2>/dev/null || true; fi
exit $status
