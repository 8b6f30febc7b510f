#!/usr/bin/env bash
# TLS verification against an independent TLS server (openssl s_server):
# trusted CA -> success; no CA / wrong CA / wrong host name -> USM_ERR_TLS.
set -euo pipefail
usm="$USM_BUILD_DIR/bin/usm"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"

mkcert() { # name cn -> name.key name.crt signed by ca
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "$1.crt" -extfile "$1.ext" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=usm test CA" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 -subj "/CN=other CA" 2>/dev/null
mkcert good 127.0.0.1 "IP:127.0.0.1"
mkcert wrong wrong.example "DNS:wrong.example"

# s_server -WWW serves files relative to its cwd: GET /v1/meetings/m1 -> ./v1/meetings/m1
mkdir -p www/v1/meetings
printf '{"id":"m1","title":"over TLS","meetingNumber":"123"}' > www/v1/meetings/m1
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
serve() { # cert key -> port
  local p; p=$(port)
  (cd www && exec openssl s_server -quiet -WWW -accept "$p" -cert "../$1.crt" -key "../$1.key" >/dev/null 2>&1) &
  pids+=($!)
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && break; sleep 0.1; done
  echo "$p"
}
pass=0; fail=0
expect() { # want_exit want_text cmd...
  local want=$1 text=$2; shift 2
  set +e; out=$("$@" 2>&1); rc=$?; set -e
  if [ "$rc" = "$want" ] && grep -q -- "$text" <<<"$out"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL: $* -> exit $rc, wanted $want and '$text':"; echo "$out"; fi
}
good=$(serve good)
wrong=$(serve wrong)
export USM_TOKEN=test-token
expect 0 "over TLS" "$usm" meetings get m1 --api-url "https://127.0.0.1:$good/v1" --ca-file ca.crt
expect 1 "USM_ERR_TLS" "$usm" meetings get m1 --api-url "https://127.0.0.1:$good/v1"
expect 1 "USM_ERR_TLS" "$usm" meetings get m1 --api-url "https://127.0.0.1:$good/v1" --ca-file other.crt
expect 1 "USM_ERR_TLS" "$usm" meetings get m1 --api-url "https://127.0.0.1:$wrong/v1" --ca-file ca.crt
expect 1 "USM_ERR_INSECURE_URL\|insecure" "$usm" meetings get m1 --api-url "http://192.0.2.1/v1"
echo "tls_verification: $pass passed, $fail failed"
[ "$fail" = 0 ]
