#!/usr/bin/env python3
# kc_norm.py - what kcompare.sh compares, in one canonical text form:
#   packets DIR             writes the test frames pkt_a..pkt_e, the
#                           contexts ctx_1..ctx_4, ctx_skb, ctx_skbbad,
#                           ctx_xdp, ctx_xdpbad and
#                           `empty` into DIR
#   dump FILE [sum|ids]     a `bpftool -j map dump`: one line per entry,
#                           sorted by key; "formatted" (BTF) is dropped;
#                           sum: per-CPU values summed over the CPUs (the
#                           CPU a test run lands on differs), as
#                           little-endian words; ids: values are object ids
#                           (different on each side): only the keys
#   batch MODE IN OUT...    dump (MODE plain, sum or ids) or pops (MODE
#                           pops) of several files, each IN to its OUT
#   pops FILE               `bpftool -j map pop` outputs, one per line:
#                           the values in hex, one per line
import json
import sys


def hexs(bs):
    return " ".join("%02x" % int(b, 16) for b in bs)


def words(bs):
    raw = bytes(int(b, 16) for b in bs)
    w = 8 if len(raw) % 8 == 0 else 4 if len(raw) % 4 == 0 else 1
    return [int.from_bytes(raw[i:i + w], "little") for i in range(0, len(raw), w)], w


def dump(path, mode):
    with open(path) as f:
        text = f.read().strip()
    d = json.loads(text) if text else []
    if isinstance(d, dict):
        return ["error: " + str(d.get("error"))]
    out = []
    for e in d:
        k = hexs(e.get("key", []))
        if "values" in e:
            if mode == "sum":
                tot, w = None, 8
                for c in e["values"]:
                    ws, w = words(c["value"])
                    tot = ws if tot is None else [(a + b) % (1 << (8 * w)) for a, b in zip(tot, ws)]
                v = "sum over %d CPUs: %s" % (len(e["values"]), " ".join(
                    "%d" % x for x in (tot or [])))
            else:
                v = " | ".join(hexs(c["value"]) for c in e["values"])
        elif isinstance(e.get("value"), dict):
            v = "(error: %s)" % e["value"].get("error")
        elif mode == "ids":
            v = "(an id)"
        else:
            v = hexs(e.get("value", []))
        out.append("key %s value %s" % (k, v))
    return sorted(out)


def pops(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and line != "null":
                out.append(hexs(json.loads(line)["value"]))
    return out


def packets(d):
    # (name, destination, source, length, payload seed)
    frames = [("a", (10, 1, 2, 3), (10, 9, 9, 1), 64, 1),
              ("b", (192, 168, 7, 9), (172, 16, 0, 2), 80, 2),
              ("c", (10, 200, 0, 7), (10, 0, 0, 5), 128, 3),
              ("d", (8, 8, 8, 8), (1, 2, 3, 4), 64, 4),
              ("e", (10, 1, 2, 200), (192, 168, 1, 1), 96, 5)]
    for name, dst, src, n, seed in frames:
        eth = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0])
        ip = bytes([0x45, 0, 0, n - 14, 0, seed, 0, 0, 64, 17, 0, 0]) + bytes(src) + bytes(dst)
        pay = bytes((seed * 37 + i * 11) & 0xff for i in range(n - 34))
        with open("%s/pkt_%s" % (d, name), "wb") as f:
            f.write(eth + ip + pay)
    # contexts of the context-only programs: {u64 a; u32 b; u32 out}
    for i, (a, b) in enumerate([(0x0807060504030201, 9), (1, 0xffffffff),
                                (0xfedcba9876543210, 6)]):
        with open("%s/ctx_%d" % (d, i + 1), "wb") as f:
            f.write(a.to_bytes(8, "little") + b.to_bytes(4, "little") + bytes(4))
    # a __sk_buff for ctx_in: mark 5, priority 7, cb[0], wire_len 0
    skb = bytearray(192)
    skb[8:12] = (5).to_bytes(4, "little")
    skb[32:36] = (7).to_bytes(4, "little")
    skb[48:52] = (0x11223344).to_bytes(4, "little")
    with open("%s/ctx_skb" % d, "wb") as f:
        f.write(bytes(skb))
    # ... with a field a test run may not set (tc_index): refused
    skb[44:48] = (1).to_bytes(4, "little")
    with open("%s/ctx_skbbad" % d, "wb") as f:
        f.write(bytes(skb))
    # an xdp_md for ctx_in: data 0, data_end the frame's length (a),
    # ingress_ifindex 1 (lo), rx_queue_index 0
    with open("%s/ctx_xdp" % d, "wb") as f:
        f.write(b"".join(v.to_bytes(4, "little") for v in (0, 64, 0, 1, 0, 0)))
    # ... with an rx_queue_index but no device: refused
    with open("%s/ctx_xdpbad" % d, "wb") as f:
        f.write(b"".join(v.to_bytes(4, "little") for v in (0, 64, 0, 0, 1, 0)))
    # shorter than what the program reads: refused (EINVAL)
    with open("%s/ctx_4" % d, "wb") as f:
        f.write(bytes(8))
    open("%s/empty" % d, "wb").close()


def main():
    cmd = sys.argv[1]
    if cmd == "packets":
        packets(sys.argv[2])
    elif cmd == "dump":
        print("\n".join(dump(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")))
    elif cmd == "batch":
        # batch MODE IN OUT...: several at once (one start-up); MODE plain,
        # sum, ids (dumps) or pops
        for i in range(2, len(sys.argv) - 2, 3):
            mode, src, dst = sys.argv[i:i + 3]
            try:
                if mode == "pops":
                    lines = pops(src)
                else:
                    lines = dump(src, "" if mode == "plain" else mode)
            except (OSError, ValueError, KeyError) as e:
                lines = ["(cannot read %s: %s)" % (src, e)]
            with open(dst, "w") as f:
                f.write("".join(line + "\n" for line in lines))
    elif cmd == "pops":
        print("\n".join(pops(sys.argv[2])))
    else:
        sys.exit("kc_norm.py: unknown command " + cmd)


main()
