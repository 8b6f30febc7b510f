"""A minimal websocket client (RFC 6455) over verified TLS for the Mercury
tests: no subprotocol, like the real Mercury clients, and full control of
the frames (oversized ones, raw bytes) and of what the server sends back
(close codes, a cut without a close frame). Every read is bounded."""
import base64
import hashlib
import json
import os
import socket
import struct
import time
import urllib.parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeError(Exception):
    pass


class WS:
    def __init__(self, ctx, url, timeout=10):
        u = urllib.parse.urlsplit(url)
        raw = socket.create_connection((u.hostname, u.port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=u.hostname)
        key = base64.b64encode(os.urandom(16))
        target = u.path + ("?" + u.query if u.query else "")
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (target, u.hostname, u.port, key.decode()))
        self.sock.sendall(req.encode())
        self.buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise HandshakeError("no upgrade answer: %r" % self.buf[:200])
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise HandshakeError(lines[0])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise HandshakeError("bad Sec-WebSocket-Accept")
        self.protocol = hdrs.get("sec-websocket-protocol")
        self.closed = None  # ("close", code, reason) or ("eof",) once seen

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionError, OSError):
            chunk = b""
        if not chunk:
            raise EOFError()
        self.buf += chunk
        return True

    def _take(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, payload, opcode=1, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload)) if n < 4096 else \
            (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        try:
            self.sock.sendall(head + mask + body)
        except OSError:
            pass

    def send(self, obj):
        self.send_frame(json.dumps(obj))

    def recv(self, timeout=5):
        """("text", str) | ("close", code, reason) | ("eof",) | ("timeout",)"""
        if self.closed:
            return self.closed
        deadline = time.monotonic() + timeout
        parts, first_op = [], None
        try:
            while True:
                h = self._take(2, deadline)
                if h is None:
                    return ("timeout",)
                fin, op, n = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._take(2, deadline) or b"\0\0")[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._take(8, deadline) or b"\0" * 8)[0]
                data = self._take(n, deadline) if n else b""
                if data is None:
                    return ("timeout",)
                if op == 8:
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                    self.closed = ("close", code, data[2:].decode(errors="replace"))
                    return self.closed
                if op == 9:
                    self.send_frame(data, opcode=10)
                    continue
                if op == 10:
                    continue
                if first_op is None:
                    first_op = op
                parts.append(data)
                if fin:
                    return ("text", b"".join(parts).decode(errors="replace"))
        except EOFError:
            self.closed = ("eof",)
            return self.closed

    def recv_json(self, timeout=5):
        """The next message as a dict (acked, as the real client does), or
        the close/eof/timeout tuple."""
        r = self.recv(timeout)
        if r[0] != "text":
            return r
        try:
            msg = json.loads(r[1])
        except ValueError:
            return ("notjson", r[1])
        if isinstance(msg, dict) and "id" in msg:
            self.send({"messageId": msg["id"], "type": "ack"})
        return msg

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
