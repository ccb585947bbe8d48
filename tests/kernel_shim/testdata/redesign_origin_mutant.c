// SPDX-License-Identifier: MIT
/* ka_redesign_origin() for the mutant (README.md). */
#include "kernel_adapter.h"

const char *ka_redesign_origin(void)
{
	return "the mutant //tests/kernel_shim:resource_redesign_mutant_c";
}
