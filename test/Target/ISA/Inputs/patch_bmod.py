"""Patches bytes of a .bmod file, for the corruption tests.

  patch_bmod.py FILE OFFSET HEXBYTES [--section NAME] [--xor] [--reseal]

OFFSET is relative to the start of section NAME (header, table, text,
weights, symbols, layers, accel) or of the file. --xor flips the bits of
HEXBYTES instead of writing them. --reseal recomputes every CRC-32 afterwards
(docs/isa.md, "File format"), so the structural checks behind the checksums
can be tested; an independent implementation of the checksum rules.
"""
import argparse
import struct
import zlib

KINDS = {"text": 1, "weights": 2, "symbols": 3, "layers": 4, "accel": 5}


def entries(data):
    count = struct.unpack_from("<I", data, 12)[0]
    for i in range(count):
        at = 64 + 24 * i
        kind, _, off, size = struct.unpack_from("<IIQQ", data, at)
        yield at, kind, off, size


def reseal(data):
    count = struct.unpack_from("<I", data, 12)[0]
    for at, _, off, size in entries(data):
        if off + size <= len(data):
            struct.pack_into("<I", data, at + 4,
                             zlib.crc32(data[off:off + size]))
    struct.pack_into("<I", data, 52, zlib.crc32(data[64:64 + 24 * count]))
    header = bytearray(data[:64])
    header[48:52] = b"\0\0\0\0"
    struct.pack_into("<I", data, 48, zlib.crc32(header))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("offset", type=lambda s: int(s, 0))
    ap.add_argument("bytes")
    ap.add_argument("--section", default=None)
    ap.add_argument("--xor", action="store_true")
    ap.add_argument("--reseal", action="store_true")
    args = ap.parse_args()
    data = bytearray(open(args.file, "rb").read())
    base = 0
    if args.section == "table":
        base = 64
    elif args.section and args.section != "header":
        base = next(off for _, kind, off, _ in entries(data)
                    if kind == KINDS[args.section])
    for i, b in enumerate(bytes.fromhex(args.bytes)):
        at = base + args.offset + i
        data[at] = data[at] ^ b if args.xor else b
    if args.reseal:
        reseal(data)
    open(args.file, "wb").write(data)


main()
