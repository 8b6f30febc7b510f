"""Dominant frequency of a 16-bit PCM WAV (what ffmpeg or GStreamer decoded
from libusm's SRTP), with a pure-Python Goertzel scan: standard library
only. Prints one JSON line; exit 0 when the tone is within 5 % of --expect.

  wav_tone.py FILE --expect HZ
"""
import json
import math
import sys
import wave

RANGE = (50, 4000)


def goertzel(x, rate, f):
    c = 2.0 * math.cos(2.0 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2


def analyse(path):
    with wave.open(path, "rb") as w:
        rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        if width != 2:
            raise ValueError("not 16-bit PCM")
        raw = w.readframes(n)
    samples = memoryview(raw).cast("h")[::ch]  # first channel
    total = len(samples)
    if total < rate // 5:
        return rate, total, 0.0, 0.0
    # a 100 ms window from the middle (10 Hz bins), then 1 Hz steps on 0.5 s
    def window(length):
        length = min(length, total)
        start = (total - length) // 2
        return [s / 32768.0 for s in samples[start:start + length]]

    x = window(rate // 10)
    rms = math.sqrt(sum(v * v for v in x) / len(x))
    coarse = max(range(RANGE[0], RANGE[1] + 1, 10), key=lambda f: goertzel(x, rate, f))
    x = window(rate // 2)
    fine = max(range(max(RANGE[0], coarse - 10), coarse + 11), key=lambda f: goertzel(x, rate, f))
    return rate, total, float(fine), rms


def main():
    if len(sys.argv) != 4 or sys.argv[2] != "--expect":
        print(__doc__, file=sys.stderr)
        return 2
    path, expect = sys.argv[1], float(sys.argv[3])
    try:
        rate, total, freq, rms = analyse(path)
        err = None
    except (OSError, EOFError, ValueError, wave.Error) as e:
        rate, total, freq, rms, err = 0, 0, 0.0, 0.0, str(e)
    ok = err is None and rms > 0.01 and abs(freq - expect) <= 0.05 * expect
    out = {"file": path, "rate": rate, "seconds": round(total / rate, 2) if rate else 0,
           "freq_hz": freq, "rms": round(rms, 3), "expect_freq_hz": expect, "pass": ok}
    if err:
        out["error"] = err
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
