#define _GNU_SOURCE
#include "CHostAuditShims.h"
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>

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
