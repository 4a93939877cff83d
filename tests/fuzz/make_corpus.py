#!/usr/bin/env python3
"""Regenerate the seed corpora of tests/fuzz/corpus/<target>/.

Seeds come from the demo fixtures and the bad-input catalogue (files of at
most MAX_SEED bytes; larger CSVs are cut to their first lines), plus
hand-made values for the field validators. Each target's input layout is
described at the top of its tests/fuzz/fuzz_<target>.c: fuzz_source takes 4
option bytes before the file, fuzz_csvread 3, fuzz_validate the file alone,
fuzz_field one value. Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import gzip
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
MAX_SEED = 4096


def sources():
    """(name, bytes) of the fixture and catalogue files, small or cut short."""
    out = []
    for d in ("fixtures/demo", "tests/data/catalogue"):
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            with open(os.path.join(ROOT, d, name), "rb") as f:
                data = f.read()
            if len(data) > MAX_SEED:
                if name.endswith(".gz"):
                    continue
                lines = data.split(b"\n")
                while len(data) > MAX_SEED and len(lines) > 2:
                    lines = lines[: len(lines) * 2 // 3]
                    data = b"\n".join(lines) + b"\n"
                name = name.replace(".csv", "_head.csv")
            out.append((name, data))
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    files = sources()

    # fuzz_validate: the files themselves
    for name, data in files:
        write("fuzz_validate", name, data)

    # fuzz_source: [encoding, flags, a, b] + file
    #   encoding 0 = auto, 2 = UTF-8, 4 = WINDOWS-1252, 7 = UTF-16LE; flags bits 0-2 = read
    #   size (5 = 4096), bit 3 gzip here, bit 4 two members, bit 5 repeat, bit 6 cut, bit 7 sha
    for name, data in files:
        write("fuzz_source", name, bytes([0, 5, 0, 0]) + data)
    small = [(n, d) for n, d in files if not n.endswith(".gz") and len(d) < 600]
    for name, data in small[:6]:
        write("fuzz_source", "gzwrap_" + name, bytes([0, 0x08 | 1, 0, 0x80]) + data)
        write("fuzz_source", "utf8_" + name, bytes([2, 0x80 | 0, 0, 0]) + data)
    write("fuzz_source", "repeat_euro", bytes([0, 0x20 | 7, 0x7E, 0]) + "a,€\n".encode())
    write("fuzz_source", "repeat_gz_two", bytes([0, 0x38 | 6, 0x81, 0x73]) + "é,x\r\n".encode())
    write("fuzz_source", "cut_gz", bytes([0, 0x48 | 2, 0, 0x03]) + b"a,b\n1,2\n")
    write("fuzz_source", "cp1252", bytes([4, 3, 0, 0]) + b"caf\xe9,\x80\x93\n")
    write("fuzz_source", "utf16le_bom", bytes([7, 1, 0, 0]) + "\ufeffa,é\n".encode("utf-16-le"))
    write("fuzz_source", "utf16_surrogate", bytes([8, 0, 0, 0]) + b"\x00a\xd8\x00\x00b")
    write("fuzz_source", "iso2022jp", bytes([11, 0, 0, 0]) + "日本,x\n".encode("iso2022_jp"))
    write("fuzz_source", "sjis", bytes([10, 2, 0, 0]) + "日本,x\n".encode("shift_jis"))
    write("fuzz_source", "auto_cut_seq", bytes([0, 0, 0, 0]) + b"abc\xe2\x82")
    write("fuzz_source", "auto_bom_then_bad", bytes([0, 0, 0, 0]) + b"\xef\xbb\xbfa\xff")
    write("fuzz_source", "bom_only", bytes([1, 0, 0, 0]) + b"\xef\xbb")

    # fuzz_csvread: [field_max, record_max, columns_max | 0x80 for WINDOWS-1252] + file
    #   index 4 of each = the defaults (64 KiB, 1 MiB, 512)
    for name, data in files:
        if not name.endswith(".gz"):
            write("fuzz_csvread", name, bytes([4, 4, 4]) + data)
    for name, data in small[:8]:
        write("fuzz_csvread", "tiny_limits_" + name, bytes([1, 2, 1]) + data)
    write("fuzz_csvread", "quotes", bytes([2, 3, 3]) + b'a,"b ""c"", d",  e  \r\n"x\ny",z\n\n\n"unclosed')
    write("fuzz_csvread", "cp1252", bytes([4, 4, 0x84]) + b"caf\xe9,x\r\n1,2\r\n")
    write("fuzz_csvread", "header_aliases",
          bytes([4, 4, 4]) + b" Financial Year ,ORG-CODE,dataset,NHS_Number,\t x \t,"
          + b"a" * 70 + b"\n")

    # fuzz_field: single values
    values = [
        "0", "-0", "1234.50", "5.", ".5", "-.5", "1.23456", "-1.00005", "0.99995",
        "999999999999999999.9999", "999999999999999999.99995", "0000000000000000000001",
        "1000000000000000000", "1e5", "1,000", "+1", "\u00a35", "NaN", "-", ".", " 1",
        "12", "-9223372036854775808", "123456789012345678",
        "2023-04-01", "1/4/2023", "01/04/2023", "29/02/2024", "29/02/2023", "31/04/2023",
        "0000-01-01", "9999-12-31", "2023-13-01", "1/13/2023",
        "2023-04", "2023-00", "202324", "204041", "201415", "202325",
        "RXX", "RAA01", "rxx", "R", "RAAAAA",
        "5012345000015", "12345670", "96385074", "00012345600012", "123456789012",
        "9434765919", "943 476 5919", "943-476-5919", "943 476-5919", "x 9434765919 y",
        "94347659191", "19434765919", "4010232137",
        "M65.3", "M653", "M65", "M65.", "M65.34", "m653", "M6",
        "Y", "N", "1", "0", "TRUE", "FALSE", "YES", "NO", "yes",
        "abc_DEF_123", "caf\u00e9 \u20ac \U0001F600", "tab\there", "nul\x00byte",
        "A" * 30 + "9434765919" + "1",
        "A" * 31 + "943 476 5919" + "2",
        "\U0001F600" * 30,
    ]
    for v in values:
        data = v.encode("utf-8")
        write("fuzz_field", hashlib.sha1(data).hexdigest()[:16], data)


if __name__ == "__main__":
    main()
