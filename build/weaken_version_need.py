#!/usr/bin/env python3
"""Mark one symbol-version need of an ELF shared library as weak, in place, idempotently.

Why: TorchSharp 0.107.0's libLibTorchSharp.so declares a need for GLIBCXX_3.4.32 (libstdc++ from GCC 13), whose
only symbol, std::ios_base_library_init(), it never calls. Debian 12 ships libstdc++ up to GLIBCXX_3.4.30, so the
dynamic loader refuses the library. Setting VER_FLG_WEAK (0x2) in that Vernaux entry of .gnu.version_r makes the
loader accept a missing version (it then only warns when the symbol is bound, which never happens).

Usage: weaken_version_need.py LIBRARY VERSION [SYSTEM_LIBSTDCXX]
  LIBRARY           the build-output copy to patch (never a file in the NuGet cache)
  VERSION           e.g. GLIBCXX_3.4.32
  SYSTEM_LIBSTDCXX  optional; when it already provides VERSION nothing is done

The file is rewritten through a temporary file and a rename, so a hard link into a package cache is never
modified. Exit status 0 when the need is weak (now or already) or absent, 1 on a malformed file.
"""
import os
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def provides_version(path, version):
    try:
        with open(path, "rb") as f:
            return version.encode() + b"\0" in f.read()
    except OSError:
        return False


def find_vernaux(data, version):
    """Yield file offsets of the vna_flags fields whose vna_name equals version."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info = struct.unpack_from(
            "<IIQQQQII", data, off)
        sections.append((sh_type, sh_offset, sh_size, sh_link, sh_info))
    wanted = version.encode()
    for sh_type, sh_offset, sh_size, sh_link, sh_info in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab_offset = sections[sh_link][1]

        def name_at(index):
            start = strtab_offset + index
            return data[start:data.index(b"\0", start)]

        need = sh_offset
        for _ in range(sh_info):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, need)
            aux = need + vn_aux
            for _ in range(vn_cnt):
                vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                if name_at(vna_name) == wanted:
                    yield aux + 4, vna_flags
                if vna_next == 0:
                    break
                aux += vna_next
            if vn_next == 0:
                break
            need += vn_next


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    library, version = argv[1], argv[2]
    if len(argv) > 3 and provides_version(argv[3], version):
        print(f"weaken_version_need: {argv[3]} provides {version}; {library} left as is")
        return 0
    with open(library, "rb") as f:
        data = bytearray(f.read())
    try:
        entries = list(find_vernaux(data, version))
    except (ValueError, struct.error, IndexError) as e:
        print(f"weaken_version_need: {library}: {e}", file=sys.stderr)
        return 1
    changed = False
    for flags_offset, flags in entries:
        if flags & VER_FLG_WEAK:
            continue
        struct.pack_into("<H", data, flags_offset, flags | VER_FLG_WEAK)
        changed = True
    if not entries:
        print(f"weaken_version_need: {library} has no need for {version}")
    elif not changed:
        print(f"weaken_version_need: {library}: {version} need already weak")
    else:
        tmp = library + ".weaken.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, os.stat(library).st_mode)
        os.replace(tmp, library)
        print(f"weaken_version_need: {library}: {version} need marked weak")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
