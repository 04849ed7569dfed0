#!/usr/bin/env python3
"""Resident memory of one process, by component, from /proc/PID/smaps and /proc/PID/task.

    footprint.py PID [BINARY]     prints one JSON object (KiB) on stdout

Components (Rss of each mapping, summed):
  binary_text     the executable's r-x and r-- file-backed pages (code, rodata, ICU data if linked in)
  binary_data     the executable's writable pages (.data, .got, relocated .data.rel.ro, bss)
  icu             pages of ICU libraries (libicu*, FoundationInternationalization, _FoundationICU)
  swift_libs      libswift*, libFoundation*, libdispatch, libBlocksRuntime (dynamic builds only)
  curl_tls_libs   libcurl and its TLS/auth dependencies (ssl, crypto, gnutls, krb5, ldap, ...)
  other_libs      every other shared object (libc, libstdc++, libpq, hiredis, microhttpd, re2, ...)
  heap            [heap] (glibc's main arena)
  arenas          glibc's per-thread malloc arenas (64 MiB-aligned anonymous heaps)
  thread_stacks   anonymous regions just above a PROT_NONE guard page (pthread stacks)
  main_stack      [stack]
  other_anon      every other anonymous mapping (large malloc chunks, Swift metadata, ...)
Also: threads (count of /proc/PID/task), thread_names, mappings (the process' memory mappings,
each a ~200-byte kernel object, not resident memory), VmRSS/RssAnon/RssFile from status,
stack_sizes (KiB of each pthread stack mapping, guard included), and the ICU data
symbol's resident pages when BINARY is given (nm finds icudt*_dat).
"""
import json
import os
import re
import subprocess
import sys

ICU = re.compile(r"(libicu|FoundationInternationalization|_FoundationICU|icudt)")
SWIFT = re.compile(r"(libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libXCTest)")
CURL = re.compile(
    r"(libcurl|libssl|libcrypto|libgnutls|libnettle|libhogweed|libgmp|libp11|libtasn1|libidn2|libunistring|"
    r"libgssapi|libkrb5|libk5crypto|libcom_err|libkeyutils|libldap|liblber|libsasl2|libnghttp2|librtmp|"
    r"libssh2|libpsl|libbrotli|libzstd)"
)
HEAP_MAX = 64 << 20  # glibc HEAP_MAX_SIZE on 64-bit (2 * DEFAULT_MMAP_THRESHOLD_MAX)


def read_smaps(pid):
    maps = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                cur = {"lo": lo, "hi": hi, "perms": head[1], "path": head[5] if len(head) > 5 else "", "rss": 0}
                maps.append(cur)
            elif head and head[0] == "Rss:":
                cur["rss"] = int(head[1])
    return maps


def icu_symbol_range(binary):
    """(start, end) file-relative virtual addresses of icudt*_dat, or None."""
    try:
        out = subprocess.run(["nm", "-S", binary], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and re.match(r"icudt\d+_dat$", parts[3]):
            return int(parts[0], 16), int(parts[0], 16) + int(parts[1], 16)
    return None


def resident_pages(pid, lo, hi):
    """Resident 4 KiB pages in [lo, hi) from /proc/PID/pagemap (needs root), else None."""
    try:
        with open(f"/proc/{pid}/pagemap", "rb") as f:
            first, last = lo // 4096, (hi + 4095) // 4096
            f.seek(first * 8)
            data = f.read((last - first) * 8)
    except OSError:
        return None
    count = 0
    for i in range(0, len(data), 8):
        if int.from_bytes(data[i:i + 8], "little") >> 63:
            count += 1
    return count


def main():
    pid = int(sys.argv[1])
    binary = os.path.realpath(sys.argv[2]) if len(sys.argv) > 2 else os.path.realpath(f"/proc/{pid}/exe")
    maps = read_smaps(pid)
    out = {k: 0 for k in ("binary_text", "binary_data", "icu", "swift_libs", "curl_tls_libs", "other_libs",
                          "heap", "arenas", "thread_stacks", "main_stack", "other_anon")}
    stack_sizes = []
    libs = {}
    for i, m in enumerate(maps):
        path, rss = m["path"], m["rss"]
        prev = maps[i - 1] if i > 0 else None
        if path == binary or (path and os.path.basename(path) == os.path.basename(binary) and path.startswith("/")
                              and os.path.realpath(path) == binary):
            out["binary_data" if "w" in m["perms"] else "binary_text"] += rss
        elif path.startswith("/"):
            name = os.path.basename(path)
            libs[name] = libs.get(name, 0) + rss
            if ICU.search(name):
                out["icu"] += rss
            elif SWIFT.search(name):
                out["swift_libs"] += rss
            elif CURL.search(name):
                out["curl_tls_libs"] += rss
            else:
                out["other_libs"] += rss
        elif path == "[heap]":
            out["heap"] += rss
        elif path == "[stack]":
            out["main_stack"] += rss
        elif path.startswith("["):
            out["other_anon"] += rss
        else:
            # A glibc arena: 64 MiB aligned start, its rw part followed by the PROT_NONE rest.
            aligned = m["lo"] % HEAP_MAX == 0
            nxt = maps[i + 1] if i + 1 < len(maps) else None
            if aligned and "rw" in m["perms"] and (m["hi"] - m["lo"] == HEAP_MAX or
                                                    (nxt and nxt["lo"] == m["hi"] and nxt["perms"].startswith("---")
                                                     and nxt["hi"] - m["lo"] == HEAP_MAX)):
                out["arenas"] += rss
            elif m["perms"].startswith("---"):
                continue
            elif prev and prev["perms"].startswith("---") and prev["hi"] == m["lo"] and prev["hi"] - prev["lo"] == 4096 \
                    and "rw" in m["perms"]:
                out["thread_stacks"] += rss
                stack_sizes.append((m["hi"] - prev["lo"]) // 1024)
            else:
                out["other_anon"] += rss
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "VmSize", "Threads"):
                status[key] = int(value.split()[0])
    names = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    out.update(status)
    out["threads"] = len(names)
    out["mappings"] = len(maps)
    out["thread_names"] = names
    out["stack_sizes"] = sorted(stack_sizes)
    out["libs"] = dict(sorted(libs.items(), key=lambda kv: -kv[1]))
    rng = icu_symbol_range(binary)
    if rng is not None:
        # Map the symbol's link-time address onto the running image (PIE: first mapping's base).
        base = min(m["lo"] for m in maps if m["path"] == binary)
        pages = resident_pages(pid, base + rng[0], base + rng[1])
        out["icu_data_bytes"] = rng[1] - rng[0]
        if pages is not None:
            out["icu_data_resident_kib"] = pages * 4
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
