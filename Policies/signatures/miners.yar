// Cryptocurrency miners: what stays in the code and the unpacked image when
// the name, arguments and port are changed. Written for hostaudit from public
// facts (xmrig's own source, the stratum protocol, public pool lists); see
// docs/signatures.md. Severity is decided by the policies (miners pack),
// not here. Every string is plain text: conditions ask for several of them
// together so that one word in a benign binary does not match.

rule Miner_Stratum_Protocol : miner
{
    meta:
        description = "Stratum mining protocol vocabulary: pool URL schemes and JSON-RPC methods"
        source = "xmrig/xmrig src/base/net/stratum/Url.cpp, Client.cpp (JSON-RPC login/submit/job); stratum mining.* methods"
    strings:
        $url1 = "stratum+tcp://" ascii wide nocase
        $url2 = "stratum+ssl://" ascii wide nocase
        $url3 = "stratum+tls://" ascii wide nocase
        $m1 = "mining.subscribe" ascii
        $m2 = "mining.authorize" ascii
        $m3 = "mining.submit" ascii
        $m4 = "mining.notify" ascii
        $j1 = "\"method\":\"login\"" ascii
        $j2 = "\"method\":\"submit\"" ascii
        $j3 = "\"job_id\"" ascii
        $j4 = "\"method\":\"keepalived\"" ascii
    condition:
        (any of ($url*) and 1 of ($m*, $j*)) or 3 of ($m*, $j*)
}

rule Miner_XMRig_Config : miner
{
    meta:
        description = "xmrig configuration keys and command-line options (config.json, usage text)"
        source = "xmrig/xmrig src/config.json, src/core/config/usage.h"
    strings:
        $donate = "donate-level" ascii wide
        $k1 = "huge-pages" ascii
        $k2 = "randomx" ascii
        $k3 = "cpu-priority" ascii
        $k4 = "max-threads-hint" ascii
        $k5 = "rig-id" ascii
        $k6 = "nicehash" ascii
        $k7 = "donate-over-proxy" ascii
        $k8 = "1gb-pages" ascii
        $k9 = "huge-pages-jit" ascii
    condition:
        $donate and 3 of ($k*)
}

rule Miner_RandomX_CryptoNight : miner
{
    meta:
        description = "RandomX/CryptoNight algorithm identifiers and the RandomX Argon2 salt"
        source = "tevador/RandomX src/configuration.h (RANDOMX_ARGON_SALT \"RandomX\\x03\"); xmrig/xmrig src/base/crypto/Algorithm.cpp (algorithm names)"
    strings:
        $salt = { 52 61 6E 64 6F 6D 58 03 }  // "RandomX\x03"
        $a1 = "rx/wow" ascii
        $a2 = "rx/arq" ascii
        $a3 = "cn-heavy/xhv" ascii
        $a4 = "cn-pico/tlo" ascii
        $a5 = "argon2/chukwa" ascii
        $a6 = "cn/half" ascii
        $a7 = "cn-lite/1" ascii
        $a8 = "rx/graft" ascii
    condition:
        ($salt and 1 of ($a*)) or 4 of ($a*)
}

rule Miner_Pool_Domains : miner
{
    meta:
        description = "Several well-known mining pool or xmrig donation host names in one image"
        source = "falcosecurity/rules rules/falco-sandbox_rules.yaml (miner_domains); xmrig/xmrig src/net/strategies/DonateStrategy.cpp"
    strings:
        $d1 = "supportxmr.com" ascii wide nocase
        $d2 = "moneroocean.stream" ascii wide nocase
        $d3 = "c3pool.com" ascii wide nocase
        $d4 = "nanopool.org" ascii wide nocase
        $d5 = "minexmr.com" ascii wide nocase
        $d6 = "hashvault.pro" ascii wide nocase
        $d7 = "herominers.com" ascii wide nocase
        $d8 = "donate.v2.xmrig.com" ascii wide nocase
        $d9 = "donate.ssl.xmrig.com" ascii wide nocase
        $d10 = "unmineable.com" ascii wide nocase
        $d11 = "2miners.com" ascii wide nocase
        $d12 = "f2pool.com" ascii wide nocase
    condition:
        2 of them
}

rule Miner_XMRig_Identity : miner
{
    meta:
        description = "xmrig's own name with its user agent or donation host"
        source = "xmrig/xmrig src/version.h (APP_ID \"xmrig\", APP_NAME \"XMRig\"), src/base/net/stratum/Client.cpp (agent XMRig/VERSION)"
    strings:
        $agent = "XMRig/" ascii
        $name = "xmrig" ascii nocase
        $donate = "donate-level" ascii
        $host = "xmrig.com" ascii nocase
    condition:
        $agent and $name and ($donate or $host)
}
