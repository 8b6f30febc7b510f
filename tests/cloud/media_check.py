"""Checks of the captcha media: a structurally valid PNG, and a WAV (8 kHz
mono 16-bit PCM) whose DTMF tones are decoded back to the digits."""
import math
import struct
import zlib

LOW = (697, 770, 852, 941)
HIGH = (1209, 1336, 1477, 1633)
KEYS = ("123A", "456B", "789C", "*0#D")


def png_ok(data):
    """(True, (w, h)) for a PNG whose chunks, CRCs and image data add up."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False, "bad signature"
    pos, idat, ihdr, end = 8, b"", None, False
    while pos + 12 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) & 0xffffffff != crc:
            return False, "bad CRC in %r" % kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            end = True
            break
        pos += 12 + n
    if not ihdr or not end:
        return False, "missing IHDR or IEND"
    w, h, depth, color = ihdr[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if not channels or w == 0 or h == 0:
        return False, "bad IHDR"
    raw = zlib.decompress(idat)
    row = 1 + (w * channels * depth + 7) // 8
    if len(raw) != row * h:
        return False, "image data size %d, expected %d" % (len(raw), row * h)
    return True, (w, h)


def wav_samples(data):
    """(rate, channels, bits, samples) of a PCM WAV, or raises ValueError."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not RIFF/WAVE")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        kind, n = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif kind == b"data":
            samples = struct.unpack("<%dh" % (len(body) // 2), body[:len(body) // 2 * 2])
        pos += 8 + n + (n & 1)
    if not fmt or samples is None:
        raise ValueError("missing fmt or data chunk")
    audio_format, channels, rate, _, _, bits = fmt
    if audio_format != 1:
        raise ValueError("not PCM")
    return rate, channels, bits, samples


def _power(block, freq, rate):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in block:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def dtmf_digits(samples, rate=8000):
    """The keys of the DTMF tone bursts in @samples, in order."""
    win = rate // 50  # 20 ms windows
    energies = []
    for i in range(0, len(samples) - win + 1, win):
        block = samples[i:i + win]
        energies.append(sum(x * x for x in block) / win)
    loud = max(energies) if energies else 0
    bursts, start = [], None
    for i, e in enumerate(energies + [0]):
        on = loud > 0 and e > loud / 10
        if on and start is None:
            start = i
        elif not on and start is not None:
            bursts.append((start, i))
            start = None
    keys = ""
    for a, b in bursts:
        block = samples[a * win:b * win]
        lo = max(LOW, key=lambda f: _power(block, f, rate))
        hi = max(HIGH, key=lambda f: _power(block, f, rate))
        keys += KEYS[LOW.index(lo)][HIGH.index(hi)]
    return keys
