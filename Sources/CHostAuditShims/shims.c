#define _GNU_SOURCE
#include "CHostAuditShims.h"
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <linux/fs.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void CHostAuditShims_configure_malloc(void) {
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
#endif
}

int CHostAuditShims_get_inode_flags(int fd, uint32_t *flags) {
    /* The kernel reads/writes an int here despite the "long" in the ioctl's name. */
    int value = 0;
    int rc = ioctl(fd, FS_IOC_GETFLAGS, &value);
    if (rc == 0) *flags = (uint32_t)value;
    return rc;
}
uint32_t CHostAuditShims_fs_immutable_fl(void) { return FS_IMMUTABLE_FL; }
uint32_t CHostAuditShims_fs_append_fl(void) { return FS_APPEND_FL; }
ssize_t CHostAuditShims_getdents64(int fd, void *buf, size_t len) {
    return syscall(SYS_getdents64, fd, buf, len);
}

/* <linux/fs.h> from the build's kernel headers may predate PROCMAP_QUERY, so
   its ABI (include/uapi/linux/fs.h, Linux 6.11) is spelled out here. The size is
   part of the ioctl number: it must stay 104. */
struct CHostAuditShims_procmap_query {
    uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
_Static_assert(sizeof(struct CHostAuditShims_procmap_query) == 104, "procmap_query");
_Static_assert(offsetof(struct CHostAuditShims_procmap_query, vma_name_size) == 80, "procmap_query.vma_name_size");
#define CHOSTAUDITSHIMS_PROCMAP_QUERY _IOWR('f', 17, struct CHostAuditShims_procmap_query)

int CHostAuditShims_procmap_query_exec(int fd, uint64_t addr, uint64_t *start, uint64_t *end, uint64_t *flags,
                                       char *name, uint32_t name_cap, uint32_t *name_len) {
    struct CHostAuditShims_procmap_query q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.query_flags = 0x04 /* VMA_EXECUTABLE */ | 0x10 /* COVERING_OR_NEXT_VMA */;
    q.query_addr = addr;
    q.vma_name_addr = (uint64_t)(uintptr_t)name;
    q.vma_name_size = name_cap;
    if (ioctl(fd, CHOSTAUDITSHIMS_PROCMAP_QUERY, &q) != 0) return -1;
    *start = q.vma_start;
    *end = q.vma_end;
    *flags = q.vma_flags;
    *name_len = q.vma_name_size > 0 ? q.vma_name_size - 1 : 0;
    return 0;
}

/* glibc socket headers before any <linux/*> header. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

/* The Swift blob parser (HostAuditCore LegacyBlob) hard-codes these layouts. */
_Static_assert(sizeof(struct ipt_entry) == 112, "ipt_entry");
_Static_assert(offsetof(struct ipt_entry, target_offset) == 88, "ipt_entry.target_offset");
_Static_assert(offsetof(struct ipt_entry, counters) == 96, "ipt_entry.counters");
_Static_assert(offsetof(struct ipt_ip, proto) == 80, "ipt_ip.proto");
_Static_assert(sizeof(struct ip6t_entry) == 168, "ip6t_entry");
_Static_assert(offsetof(struct ip6t_entry, target_offset) == 140, "ip6t_entry.target_offset");
_Static_assert(offsetof(struct ip6t_entry, counters) == 152, "ip6t_entry.counters");
_Static_assert(offsetof(struct ip6t_ip6, proto) == 128, "ip6t_ip6.proto");
_Static_assert(offsetof(struct ip6t_ip6, flags) == 131, "ip6t_ip6.flags");
_Static_assert(sizeof(struct xt_entry_match) == 32, "xt_entry_match");
_Static_assert(sizeof(struct xt_entry_target) == 32, "xt_entry_target");
_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo), "getinfo");

int CHostAuditShims_xt_socket(int ipv6) {
    return socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
}

int CHostAuditShims_xt_get_info(int fd, int ipv6, const char *name, uint32_t *valid_hooks, uint32_t *hook_entry,
                                uint32_t *underflow, uint32_t *num_entries, uint32_t *size) {
    struct ipt_getinfo info;
    socklen_t len = sizeof(info);
    if (strlen(name) >= sizeof(info.name)) { errno = EINVAL; return -1; }
    memset(&info, 0, sizeof(info));
    strncpy(info.name, name, sizeof(info.name) - 1);
    int rc = ipv6 ? getsockopt(fd, IPPROTO_IPV6, IP6T_SO_GET_INFO, &info, &len)
                  : getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len);
    if (rc < 0) return -1;
    *valid_hooks = info.valid_hooks;
    for (int i = 0; i < NF_INET_NUMHOOKS; i++) {
        hook_entry[i] = info.hook_entry[i];
        underflow[i] = info.underflow[i];
    }
    *num_entries = info.num_entries;
    *size = info.size;
    return 0;
}

int CHostAuditShims_xt_get_entries(int fd, int ipv6, const char *name, void *buf, uint32_t size) {
    /* ipt_get_entries and ip6t_get_entries share the layout: name, size, entry table. */
    size_t hdr = ipv6 ? sizeof(struct ip6t_get_entries) : sizeof(struct ipt_get_entries);
    socklen_t len = (socklen_t)(hdr + size);
    struct ipt_get_entries *ge = calloc(1, len);
    if (!ge) { errno = ENOMEM; return -1; }
    strncpy(ge->name, name, sizeof(ge->name) - 1);
    ge->size = size;
    int rc = ipv6 ? getsockopt(fd, IPPROTO_IPV6, IP6T_SO_GET_ENTRIES, ge, &len)
                  : getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, ge, &len);
    if (rc < 0) { int e = errno; free(ge); errno = e; return -1; }
    if (len != hdr + size) { free(ge); errno = EAGAIN; return -1; }
    memcpy(buf, (char *)ge + hdr, size);
    free(ge);
    return 0;
}

#include <linux/openat2.h>
#include <fcntl.h>
#include <string.h>

int CHostAuditShims_openat2_in_root(int rootfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}
