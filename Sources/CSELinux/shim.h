#ifndef CSELINUX_SHIM_H
#define CSELINUX_SHIM_H
#include <selinux/selinux.h>

/* Where libselinux found selinuxfs (NULL when not mounted). Exported by
   libselinux.so.1 (LIBSELINUX_1.0) but declared only in its private headers.
   Read through a function: Swift 6 rejects a mutable C global ("not
   concurrency-safe"). libselinux sets it once, in its constructor. */
extern char *selinux_mnt;
static inline const char *CSELinux_selinux_mnt(void) { return selinux_mnt; }
#endif
