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
#endif
