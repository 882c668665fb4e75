#ifndef CSELINUX_SHIM_H
#define CSELINUX_SHIM_H
#include <selinux/selinux.h>
#endif
