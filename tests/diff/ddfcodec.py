#!/usr/bin/python3
"""ddfcodec - a standalone decoder of ddf table blobs, version 1 (docs/protocol.md).

An independent reading of the wire format for the differential tests: it is written from
the specification, not from common/codec.c, and checks the same rules, so a blob the C
encoder writes and this module reads has been understood the same way twice.

    decode(blob) -> (names, dtypes, columns)

names are str, dtypes are "bool" | "int64" | "float64" | "string", and each column is a
list of Python values: None for a null, else bool, int, float (bit-exact, NaN included)
or str (UTF-8, decoded with errors="surrogateescape" so any byte survives). A blob that
breaks a rule raises CodecError with the byte offset of the problem.

    python3 ddfcodec.py FILE    prints the table in FILE (one blob)

Standard library only (struct).
"""
import struct
import sys

MAGIC = b"DDFT"
VERSION = 1
MAX_BLOB_BYTES = 90 * 1024 * 1024   # common/limits.h
MAX_COLUMNS = 4096
MAX_NAME_BYTES = 1024
MAX_ROWS = 1 << 40
DTYPES = {1: "bool", 2: "int64", 3: "float64", 4: "string"}


class CodecError(ValueError):
    """A blob that is not a valid version-1 table; .offset is where the problem starts."""

    def __init__(self, offset, message):
        super().__init__("offset %d: %s" % (offset, message))
        self.offset = offset


class _Reader:
    def __init__(self, blob):
        self.blob = blob
        self.pos = 0

    def take(self, n, what):
        """The next n bytes (a memoryview); CodecError if fewer remain."""
        left = len(self.blob) - self.pos
        if n > left:
            raise CodecError(self.pos, "truncated blob: %s: %d bytes, only %d remain"
                             % (what, n, left))
        view = self.blob[self.pos:self.pos + n]
        self.pos += n
        return view

    def uint(self, fmt, what):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size, what))[0]


def _null_rows(bitmap, nrows):
    """Indices of the rows whose validity bit is 0."""
    return [i for i in range(nrows) if not (bitmap[i >> 3] >> (i & 7)) & 1]


def decode(blob):
    """Decode one table blob; returns (names, dtypes, columns). Raises CodecError."""
    blob = memoryview(bytes(blob))
    if len(blob) > MAX_BLOB_BYTES:
        raise CodecError(0, "blob of %d bytes is over the limit of %d"
                         % (len(blob), MAX_BLOB_BYTES))
    r = _Reader(blob)
    if bytes(r.take(4, "magic")) != MAGIC:
        raise CodecError(0, "bad magic: not a ddf table blob")
    version = r.uint("<H", "version")
    if version != VERSION:
        raise CodecError(4, "unsupported blob version %d" % version)
    flags = r.uint("<H", "flags")
    if flags != 0:
        raise CodecError(6, "unsupported blob flags 0x%04x" % flags)
    ncols = r.uint("<I", "column count")
    if ncols > MAX_COLUMNS:
        raise CodecError(8, "column count %d is over the limit" % ncols)
    nrows = r.uint("<Q", "row count")
    if nrows > MAX_ROWS:
        raise CodecError(12, "row count %d is over the limit" % nrows)

    names, dtypes, columns = [], [], []
    for c in range(ncols):
        at = r.pos
        name_len = r.uint("<I", "column %d name length" % c)
        if name_len > MAX_NAME_BYTES:
            raise CodecError(at, "column %d: name length %d is over the limit" % (c, name_len))
        at = r.pos
        name = bytes(r.take(name_len, "column %d name" % c))
        if b"\0" in name:
            raise CodecError(at + name.index(b"\0"), "column %d: name holds a NUL byte" % c)
        at = r.pos
        code = r.uint("<B", "column %d dtype" % c)
        if code not in DTYPES:
            raise CodecError(at, "column %d: unknown dtype %d" % (c, code))
        dtype = DTYPES[code]
        at = r.pos
        null_count = r.uint("<Q", "column %d null count" % c)
        if null_count > nrows:
            raise CodecError(at, "column %d: null count %d is more than the %d rows"
                             % (c, null_count, nrows))

        nulls = []
        if null_count:
            at = r.pos
            bitmap = r.take((nrows + 7) // 8, "column %d validity bitmap" % c)
            if nrows % 8 and bitmap[-1] >> (nrows % 8):
                raise CodecError(at + len(bitmap) - 1,
                                 "column %d: validity bitmap has bits set past the last row" % c)
            nulls = _null_rows(bitmap, nrows)
            if len(nulls) != null_count:
                raise CodecError(at, "column %d: validity bitmap has %d nulls, the null count "
                                 "says %d" % (c, len(nulls), null_count))

        at = r.pos
        null_set = set(nulls)
        if dtype == "string":
            offsets = struct.unpack("<%dQ" % (nrows + 1),
                                    r.take((nrows + 1) * 8, "column %d string offsets" % c))
            nbytes_at = r.pos
            nbytes = r.uint("<Q", "column %d string byte count" % c)
            data = bytes(r.take(nbytes, "column %d string bytes" % c))
            if offsets[0] != 0:
                raise CodecError(at, "column %d: first string offset is %d, not 0"
                                 % (c, offsets[0]))
            for i in range(nrows):
                where = at + 8 * (i + 1)
                if offsets[i + 1] < offsets[i]:
                    raise CodecError(where, "column %d row %d: string offset %d is below the "
                                     "previous %d" % (c, i, offsets[i + 1], offsets[i]))
                if offsets[i + 1] != offsets[i] and i in null_set:
                    raise CodecError(where, "column %d row %d: null row holds a value" % (c, i))
            if offsets[nrows] != nbytes:
                raise CodecError(nbytes_at, "column %d: string byte count %d differs from the "
                                 "last offset %d" % (c, nbytes, offsets[nrows]))
            values = [data[offsets[i]:offsets[i + 1]].decode("utf-8", "surrogateescape")
                      for i in range(nrows)]
        else:
            width = 1 if dtype == "bool" else 8
            raw = bytes(r.take(nrows * width, "column %d values" % c))
            if dtype == "bool":
                for i, b in enumerate(raw):
                    if b > 1:
                        raise CodecError(at + i, "column %d row %d: bool value %d is not 0 or 1"
                                         % (c, i, b))
                values = [b == 1 for b in raw]
            else:
                values = list(struct.unpack("<%d%s" % (nrows, "q" if dtype == "int64" else "d"),
                                            raw))
            # A null row's slot is all-zero bits: false, 0, +0.0 (never -0.0 or a NaN).
            for i in nulls:
                if raw[width * i:width * (i + 1)] != bytes(width):
                    raise CodecError(at + width * i, "column %d row %d: null row holds a value"
                                     % (c, i))
        for i in nulls:
            values[i] = None
        names.append(name.decode("utf-8", "surrogateescape"))
        dtypes.append(dtype)
        columns.append(values)

    if r.pos != len(blob):
        raise CodecError(r.pos, "trailing data after the last column (%d bytes)"
                         % (len(blob) - r.pos))
    return names, dtypes, columns


def format_table(names, dtypes, columns):
    """The table as text: a header of name:dtype, then one line of repr()s per row."""
    nrows = len(columns[0]) if columns else 0
    lines = ["\t".join("%s:%s" % (n if n.isprintable() else repr(n), d)
                       for n, d in zip(names, dtypes))]
    for i in range(nrows):
        lines.append("\t".join(repr(col[i]) for col in columns))
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: ddfcodec.py FILE\n")
        return 2
    with open(argv[1], "rb") as f:
        blob = f.read()
    try:
        names, dtypes, columns = decode(blob)
    except CodecError as e:
        sys.stderr.write("ddfcodec: %s: %s\n" % (argv[1], e))
        return 1
    nrows = struct.unpack_from("<Q", blob, 12)[0]
    print("%d columns, %d rows" % (len(names), nrows))
    if names:
        print(format_table(names, dtypes, columns))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
