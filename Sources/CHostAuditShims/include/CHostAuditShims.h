#ifndef CHOSTAUDITSHIMS_H
#define CHOSTAUDITSHIMS_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* ioctl(fd, FS_IOC_GETFLAGS, &flags): returns 0 and stores the inode flags, or -1 with errno. */
int CHostAuditShims_get_inode_flags(int fd, uint32_t *flags);
/* FS_IMMUTABLE_FL / FS_APPEND_FL from <linux/fs.h>. */
uint32_t CHostAuditShims_fs_immutable_fl(void);
uint32_t CHostAuditShims_fs_append_fl(void);
/* Raw getdents64(2): not libc's readdir, which an LD_PRELOAD rootkit can hook. */
ssize_t CHostAuditShims_getdents64(int fd, void *buf, size_t len);

/* glibc's allocator set for a short-lived process that builds large result
   sets on several threads: heaps are not trimmed between allocations (the
   memory goes back at exit) and the main heap grows in 16 MiB steps, so a
   scan does not pay mprotect/brk and fresh-page faults again and again.
   No-op on other C libraries. */
void CHostAuditShims_configure_malloc(void);

/* PROCMAP_QUERY (Linux 6.11) on an open /proc/PID/maps: the first executable
   mapping that covers or follows `addr`. 0 with the outputs filled; -1 with
   errno: ENOENT past the last one, ENOTTY or EINVAL where the kernel lacks the
   ioctl (or the fd is not a maps file), ESRCH when the process has no memory
   (a kernel thread), ENAMETOOLONG when the name does not fit `name_cap`.
   `*flags`: 1 readable, 2 writable, 4 executable, 8 shared. `*name_len` is the
   name's length without its NUL; 0 for an anonymous mapping. The name is the
   kernel's d_path text, unescaped (maps text escapes a newline as \012). */
int CHostAuditShims_procmap_query_exec(int fd, uint64_t addr, uint64_t *start, uint64_t *end, uint64_t *flags,
                                       char *name, uint32_t name_cap, uint32_t *name_len);

/* openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `path` is resolved as
   if `rootfd` were "/", so no symbolic link (even one swapped in while the path
   is walked) leads outside it. -1 with errno (ENOSYS before Linux 5.6). */
int CHostAuditShims_openat2_in_root(int rootfd, const char *path, int flags);

/* Legacy x_tables (iptables-legacy), read the way libiptc does: getsockopt on
   a raw socket. `ipv6` selects IP6T_SO_* on an AF_INET6 socket.
   Opens the raw socket: returns the fd, or -1 with errno (EPERM without CAP_NET_ADMIN). */
int CHostAuditShims_xt_socket(int ipv6);
/* IPT_SO_GET_INFO / IP6T_SO_GET_INFO: returns 0, or -1 with errno. hook_entry and
   underflow receive 5 offsets each (NF_INET_NUMHOOKS). */
int CHostAuditShims_xt_get_info(int fd, int ipv6, const char *name, uint32_t *valid_hooks, uint32_t *hook_entry,
                                uint32_t *underflow, uint32_t *num_entries, uint32_t *size);
/* IPT_SO_GET_ENTRIES: copies `size` bytes of the entry table into buf; returns 0,
   or -1 with errno (EAGAIN when the table changed since GET_INFO). */
int CHostAuditShims_xt_get_entries(int fd, int ipv6, const char *name, void *buf, uint32_t size);

/* --- egress probing (probe_shims.c) --- */

/* One message from a socket's error queue (IP_RECVERR / IPV6_RECVERR),
   copied out of struct sock_extended_err. */
typedef struct {
    uint32_t ee_errno;
    uint8_t origin;          /* SO_EE_ORIGIN_*: 2 ICMP, 3 ICMP6, 1 local */
    uint8_t type;
    uint8_t code;
    int offender_family;     /* AF_INET / AF_INET6, or 0 when there is no offender */
    uint8_t offender[16];    /* the offender's address (SO_EE_OFFENDER) */
} CHostAuditShims_sock_err;

/* recvmsg(fd, MSG_ERRQUEUE | MSG_DONTWAIT): 1 with *out filled, 0 when the
   queue holds nothing (EAGAIN), -1 with errno on another failure. */
int CHostAuditShims_recv_errqueue(int fd, CHostAuditShims_sock_err *out);

/* The fields of struct tcp_info a prober reads; getsockopt(TCP_INFO). 0 or -1 with errno. */
typedef struct {
    uint8_t state;
    uint8_t retransmits;
    uint32_t total_retrans;
    uint32_t rto_us;
} CHostAuditShims_tcp_info;
int CHostAuditShims_get_tcp_info(int fd, CHostAuditShims_tcp_info *out);

/* MSG_DONTWAIT, from here because Swift attributes glibc's socket enums to
   whichever C module it saw first, and a clean build then misses it. */
int CHostAuditShims_msg_dontwait(void);

/* SO_EE_ORIGIN_ICMP / SO_EE_ORIGIN_ICMP6. */
int CHostAuditShims_ee_origin_icmp(void);
int CHostAuditShims_ee_origin_icmp6(void);
#endif
