#!/usr/bin/env python3
"""Writes a mixed nftables ruleset of about N rules to stdout, for benchmarks.

Not one shape repeated: named interval and concatenated sets, a verdict map,
jumps and gotos between 20 user chains, ct state, interface names, port ranges,
anonymous sets, prefixes, IPv6, log, limit, reject, counters and comments.
Load it ONLY inside a network namespace you created:
    ip netns exec NS nft -f ruleset.nft      (it starts with `flush ruleset`)
"""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
rng = random.Random(4242)
chains = 20
per = max(1, (n - 40) // chains)

def ip4(k):
    return f"10.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"

out = ["flush ruleset", "table inet bench {"]
out.append("\tset blocklist {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { "
           + ", ".join(f"172.{16 + i // 256}.{i % 256}.0/24" for i in range(0, 512, 2)) + " }\n\t}")
out.append("\tset services {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { "
           + ", ".join(f"{ip4(i)} . {1000 + i}" for i in range(200)) + " }\n\t}")
out.append("\tmap portmap {\n\t\ttype inet_service : verdict\n\t\telements = { "
           + ", ".join(f"{2000 + c} : jump c{c}" for c in range(chains)) + " }\n\t}")
out.append("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;")
out.append("\t\tct state established,related accept")
out.append("\t\tiif \"lo\" accept")
out.append("\t\tip saddr @blocklist counter drop")
out.append("\t\tip saddr . tcp dport @services accept")
out.append("\t\ttcp dport vmap @portmap")
for c in range(chains):
    out.append(f"\t\tmeta mark {c + 1} jump c{c}")
out.append("\t}")
out.append("\tchain output {\n\t\ttype filter hook output priority filter; policy accept;")
out.append("\t\ttcp dport { 25, 465, 587 } reject with tcp reset")
out.append("\t\tip daddr @blocklist drop")
out.append("\t}")
# Leaf chains (targets of goto): jump depth stays within the kernel's limit.
for l in range(4):
    out.append(f"\tchain leaf{l} {{\n\t\tip daddr 192.0.2.{l} counter accept\n\t\tdrop\n\t}}")
for c in range(chains):
    out.append(f"\tchain c{c} {{")
    for i in range(per):
        k = c * per + i
        shape = k % 8
        if shape == 0:
            out.append(f"\t\tip saddr {ip4(k)} tcp dport {1024 + k % 60000} counter accept")
        elif shape == 1:
            out.append(f"\t\tip daddr {ip4(k & ~255)}/24 udp dport {{ 53, 123, {2000 + k % 1000} }} accept")
        elif shape == 2:
            lo = 1000 + k % 30000
            out.append(f"\t\tiifname \"veth{k % 64}\" tcp dport {lo}-{lo + 100} log prefix \"r{k} \" drop")
        elif shape == 3:
            out.append(f"\t\tip6 saddr fd00::{k >> 16:x}:{k & 0xffff:x} tcp dport {1 + k % 65000} reject with tcp reset")
        elif shape == 4:
            out.append(f"\t\tct state new tcp flags syn limit rate {1 + k % 100}/second accept")
        elif shape == 5:
            out.append(f"\t\tmeta mark 0x{k:x} counter goto leaf{k % 4}")
        elif shape == 6:
            out.append(f"\t\tip protocol icmp icmp type echo-request ip saddr != 10.0.0.0/8 drop comment \"c{c} rule {i}\"")
        else:
            out.append(f"\t\tudp sport {k % 65535} ip daddr {ip4(k)} counter return")
    out.append("\t}")
out.append("}")
print("\n".join(out))
