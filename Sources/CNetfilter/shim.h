#ifndef CNETFILTER_SHIM_H
#define CNETFILTER_SHIM_H
/* glibc socket headers must come before any <linux/*> header, or the
   Swift importer sees two definitions of group_source_req (Glibc module clash).
   They come through CSocket's header, so they belong to that module. */
#include "../CSocket/shim.h"
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/object.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/gen.h>
#include <libnftnl/trace.h>
#include <libnftnl/udata.h>

/* MNL_SOCKET_BUFFER_SIZE calls sysconf and is not imported into Swift. */
static inline size_t CNetfilter_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }
#endif
