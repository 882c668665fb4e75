#define _GNU_SOURCE
#include "CHostAuditShims.h"
/* Socket headers before any <linux/*> header. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>
#include <linux/errqueue.h>

int CHostAuditShims_recv_errqueue(int fd, CHostAuditShims_sock_err *out) {
    char data[512];
    char control[512];
    struct sockaddr_storage from;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {0};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    memset(out, 0, sizeof *out);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        int v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
        int v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6) continue;
        struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
        out->ee_errno = ee->ee_errno;
        out->origin = ee->ee_origin;
        out->type = ee->ee_type;
        out->code = ee->ee_code;
        struct sockaddr *off = SO_EE_OFFENDER(ee);
        if (off->sa_family == AF_INET) {
            out->offender_family = AF_INET;
            memcpy(out->offender, &((struct sockaddr_in *)off)->sin_addr, 4);
        } else if (off->sa_family == AF_INET6) {
            out->offender_family = AF_INET6;
            memcpy(out->offender, &((struct sockaddr_in6 *)off)->sin6_addr, 16);
        }
        return 1;
    }
    return 1; /* a message without an extended error: report it empty */
}

int CHostAuditShims_get_tcp_info(int fd, CHostAuditShims_tcp_info *out) {
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return -1;
    out->state = ti.tcpi_state;
    out->retransmits = ti.tcpi_retransmits;
    out->total_retrans = ti.tcpi_total_retrans;
    out->rto_us = ti.tcpi_rto;
    return 0;
}

int CHostAuditShims_ee_origin_icmp(void) { return SO_EE_ORIGIN_ICMP; }
int CHostAuditShims_ee_origin_icmp6(void) { return SO_EE_ORIGIN_ICMP6; }

int CHostAuditShims_msg_dontwait(void) { return MSG_DONTWAIT; }
