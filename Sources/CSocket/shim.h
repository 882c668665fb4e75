#ifndef CSOCKET_SHIM_H
#define CSOCKET_SHIM_H
/* glibc's socket headers, in one module of their own.
 *
 * Swift attributes a declaration that several C modules include textually
 * (SOCK_STREAM, MSG_DONTWAIT, sockaddr_in, ...) to whichever of those modules
 * the compiler loaded first, so a file that imports the "wrong" one finds the
 * name in one build and not in the next. The other shims (CNetfilter,
 * CResolv) include this header instead of the glibc headers, which makes it
 * a module import: the declarations then belong to CSocket, always. A Swift
 * file that needs socket names imports CSocket (no library is linked).
 *
 * These come before any <linux/...> header (docs/c-modules.md, "Header
 * order"). */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#endif
