#!/usr/bin/env python3
"""Writes normalization-cases.json: strings and their NFC/NFD/NFKC/NFKD by Python's unicodedata (Unicode 15.1,
Python 3.13), the reference Parley's own normalizer is tested against with and without ICU.

    python3.13 tests/reference/make-normalization-cases.py
"""
import json
import os
import random
import sys
import unicodedata

if unicodedata.unidata_version != "15.1.0":
    sys.exit("needs Python 3.13 (unicodedata 15.1.0)")

interesting = []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    c = chr(cp)
    if unicodedata.combining(c) or unicodedata.decomposition(c):
        interesting.append(c)
interesting += [chr(cp) for cp in range(0x1100, 0x1113)] + [chr(cp) for cp in range(0x1161, 0x1176)] + [chr(cp) for cp in range(0x11A8, 0x11C3)]
interesting += list("aeiouAEIOU \u0b47\u0b3e\u0b57\u0dd9\u0dcf\u0ddf\u1025\u102e")

fixed = [
    "e\u0301", "cafe\u0301", "\u00e9", "A\u030a", "\u212b", "\u1e9b\u0323", "q\u0307\u0323", "\u0071\u0323\u0307",
    "\u1100\u1161\u11a8", "\ud55c\uad6d\uc5b4", "\u1100\u1161", "\uac00\u11a8", "\u00a0x\u00a0", "\ufb01ne", "x\u00b2",
    "\u2460\u2461", "\uff21\uff22\uff23", "\u3000\u30ac\uff76\uff9e", "\u0f73", "\u0344", "\u0b47\u0b3e", "\u0e33",
    "\ufdfa", "\u01c4", "\u2126", "\u1f80\u0345", "a\u0328\u0301\u0323", "\U0001d400\U0001d7cf", "\U0002f800",
    "\u0958\u093c", "\u05d9\u05b4", "\ufb2c", "\u0301abc", "\u0301\u0301", "\U0001f600 \U0001f468\u200d\U0001f469",
]
rng = random.Random(15)
strings = fixed + ["".join(rng.choice(interesting) for _ in range(rng.randint(1, 8))) for _ in range(400)]
cases = [{"text": s, "nfc": unicodedata.normalize("NFC", s), "nfd": unicodedata.normalize("NFD", s),
          "nfkc": unicodedata.normalize("NFKC", s), "nfkd": unicodedata.normalize("NFKD", s),
          "lower": "".join(c.lower() for c in s)} for s in strings]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "normalization-cases.json")
with open(out, "w", encoding="utf-8", newline="\n") as f:
    json.dump({"unicode": unicodedata.unidata_version, "cases": cases}, f, ensure_ascii=True, indent=0)
    f.write("\n")
print(out, len(cases))
