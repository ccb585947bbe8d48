// SPDX-License-Identifier: MIT
/* Which implementation of resource_redesign.h the harness links in (see
 * ka_redesign_origin() in kernel_adapter.h): restree's own. */
#include "kernel_adapter.h"

const char *ka_redesign_origin(void)
{
	return "restree's tests/kernel_shim/resource_redesign.c";
}
