"""A strict reference reader of the .mlens format, written from docs/FORMAT.md for the tests.

Independent of the C reader on purpose: the end-to-end tests check what the tracker writes against the
document, and the C reader's report output against this reader's numbers.
"""
import struct
import zlib

MAGIC = b"MLENS\0\r\n"


class Corrupt(Exception):
    pass


def _varint(b, i, end):
    v = shift = 0
    for k in range(10):
        if i + k >= end:
            raise Corrupt("truncated varint at %d" % (i + k))
        c = b[i + k]
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i + k + 1
    raise Corrupt("varint too long at %d" % i)


class Capture:
    def __init__(self, path):
        b = open(path, "rb").read()
        if b[:8] != MAGIC:
            raise Corrupt("bad magic")
        (self.version,) = struct.unpack_from("<I", b, 8)
        self.meta, self.strings, self.nodes = {}, [b""], [None]
        self.stacks, self.peak_stacks, self.ticks, self.notes, self.marks = {}, {}, [], [], []
        self.peak = self.end = None
        self.flushes = 0
        i, flush_start = 12, 12
        while i < len(b):
            rtype = b[i]
            n, p = _varint(b, i + 1, len(b))
            if p + n > len(b):
                raise Corrupt("record at %d runs past the end" % i)
            payload, pos = b[p:p + n], [0]

            def v():
                x, pos[0] = _varint(payload, pos[0], len(payload))
                return x

            if rtype == 0x01:
                for _ in range(v()):
                    kl = v(); k = payload[pos[0]:pos[0] + kl]; pos[0] += kl
                    vl = v(); val = payload[pos[0]:pos[0] + vl]; pos[0] += vl
                    self.meta[k.decode()] = val.decode("utf-8", "replace")
            elif rtype == 0x02:
                self.strings.append(payload.decode("utf-8", "replace"))
            elif rtype == 0x03:
                node = (v(), v(), v(), v())
                if node[0] >= len(self.nodes) or node[1] >= len(self.strings) or node[2] >= len(self.strings):
                    raise Corrupt("NODE references the future")
                self.nodes.append(node)
            elif rtype == 0x04:
                self.ticks.append(dict(zip(("t", "heap", "blocks", "peak", "allocated", "rss", "rss_file"),
                                           [v() for _ in range(7)])))
            elif rtype == 0x05:
                sid = 0
                for _ in range(v()):
                    sid += v()
                    if sid >= len(self.nodes):
                        raise Corrupt("unknown stack")
                    self.stacks[sid] = dict(zip(("live_bytes", "live_blocks", "alloc_bytes", "alloc_blocks"),
                                                [v() for _ in range(4)]))
            elif rtype == 0x06:
                self.peak = dict(zip(("t", "bytes", "blocks"), (v(), v(), v())))
                sid = 0
                for _ in range(v()):
                    sid += v()
                    self.peak_stacks[sid] = (v(), v())
            elif rtype == 0x07:
                self.end = dict(zip(("t", "flags"), (v(), v())))
            elif rtype == 0x08:
                v()
                crc = struct.unpack_from("<I", payload, pos[0])[0]
                if zlib.crc32(b[flush_start:i]) != crc:
                    raise Corrupt("CRC mismatch at %d" % i)
                flush_start = p + n
                self.flushes += 1
            elif rtype == 0x09:
                level = v(); ln = v()
                self.notes.append((level, payload[pos[0]:pos[0] + ln].decode()))
            elif rtype == 0x80:
                t, heap, ln = v(), v(), v()
                self.marks.append((t, heap, payload[pos[0]:pos[0] + ln].decode()))
            elif rtype < 0x80:
                raise Corrupt("unknown record type %#x" % rtype)
            i = p + n
        if flush_start != len(b):
            raise Corrupt("bytes after the last FLUSH")

    @property
    def complete(self):
        return self.end is not None

    def frames(self, sid):
        """Innermost first: (file, function, line)."""
        out = []
        while sid:
            parent, func, file, line = self.nodes[sid]
            out.append((self.strings[file], self.strings[func], line))
            sid = parent
        return out

    def live_at_end(self):
        return sum(s["live_bytes"] for s in self.stacks.values())

    def by_line(self, which="live_bytes"):
        """{(basename, line): bytes} of the innermost frame, from the end state or the peak."""
        import os
        out = {}
        source = self.peak_stacks if which == "peak" else self.stacks
        for sid, st in source.items():
            fr = self.frames(sid)
            key = (os.path.basename(fr[0][0]), fr[0][2]) if fr else ("[no Python frame]", 0)
            out[key] = out.get(key, 0) + (st[0] if which == "peak" else st[which])
        return out
