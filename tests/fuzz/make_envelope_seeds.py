#!/usr/bin/env python3
"""Writes seed records for envelope_fuzz into corpus/envelope/ (format: docs/STORAGE.md)."""
import hashlib, os, struct, sys

def varbytes(b):
    n, out = len(b), bytearray()
    while n >= 0x80:
        out.append((n & 0x7f) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + b

def record(position, stream, version, type_, payload, subject=b"", sealed=b"", prev=None):
    prev = prev or hashlib.sha256(b"passledger genesis v1").digest()
    canonical = (bytes([1]) + struct.pack(">Q", position) + varbytes(stream) +
                 struct.pack(">Q", version) + varbytes(type_) + struct.pack(">I", 1) +
                 struct.pack(">q", 1_790_000_000_000_000) + varbytes(b"staff:alice") +
                 varbytes(b"corr-1") + struct.pack(">Q", 0) + varbytes(subject) +
                 varbytes(payload) + varbytes(sealed) + prev)
    return canonical + hashlib.sha256(prev + canonical).digest()

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "envelope")
os.makedirs(out, exist_ok=True)
seeds = {
    "plain": record(1, b"member-8-10000001", 1, b"MemberEnrolled", b'{"level":"Family"}'),
    "sealed": record(1, b"pass-Q7XK2M9F", 1, b"PassIssued", b"{}", b"8-10000001",
                     bytes(12) + b"ciphertext" + bytes(16)),
    "long_payload": record(1, b"device-logs", 1, b"DeviceLogReceived",
                           b'{"logs":["' + b"x" * 300 + b'"]}'),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}", file=sys.stderr)
