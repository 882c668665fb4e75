#ifndef CRESOLV_SHIM_H
#define CRESOLV_SHIM_H
/* glibc socket headers first, through CSocket (docs/c-modules.md, "Header order"). */
#include "../CSocket/shim.h"
#include <arpa/nameser.h>
#include <resolv.h>
#include <string.h>

/* Parses a DNS message with libresolv's ns_initparse/ns_parserr.
   Stores the header's rcode and TC bit, and copies the rdata of every answer
   record of type `qtype` (A: 4 bytes, AAAA: 16 bytes) into `addrs`, 16 bytes
   per slot. Returns the number of addresses copied (at most `max`), or -1 when
   the message does not parse. The ns_* macros are not visible to Swift. */
static inline int CResolv_parse_answer(const unsigned char *msg, int len, int qtype,
                                       unsigned char *addrs, int max, int *rcode, int *tc,
                                       int *ancount) {
    ns_msg handle;
    if (ns_initparse(msg, len, &handle) < 0) return -1;
    *rcode = ns_msg_getflag(handle, ns_f_rcode);
    *tc = ns_msg_getflag(handle, ns_f_tc);
    int count = ns_msg_count(handle, ns_s_an);
    *ancount = count;
    int n = 0;
    for (int i = 0; i < count && n < max; i++) {
        ns_rr rr;
        if (ns_parserr(&handle, ns_s_an, i, &rr) < 0) return -1;
        if (ns_rr_class(rr) != ns_c_in || ns_rr_type(rr) != qtype) continue;
        int want = qtype == ns_t_a ? 4 : 16;
        if (ns_rr_rdlen(rr) != want) continue;
        memset(addrs + 16 * n, 0, 16);
        memcpy(addrs + 16 * n, ns_rr_rdata(rr), want);
        n++;
    }
    return n;
}

static inline int CResolv_t_a(void) { return ns_t_a; }
static inline int CResolv_t_aaaa(void) { return ns_t_aaaa; }
static inline int CResolv_t_ns(void) { return ns_t_ns; }
#endif
