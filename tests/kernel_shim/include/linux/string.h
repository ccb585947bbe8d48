/* SPDX-License-Identifier: MIT */
/* Shim <linux/string.h>: the C library's <string.h> (shim/core.h includes
 * it) has what resource.c uses. */
#ifndef _LINUX_STRING_H
#define _LINUX_STRING_H
#include <shim/core.h>
#endif
