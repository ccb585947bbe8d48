// SPDX-License-Identifier: MIT
/*
 * The kernel's own include/linux/ioport.h helpers, resource_union() and
 * resource_intersection() (static inline there), behind the adapter's C API.
 * Compiled against the kernel's header like resource.c (kernels.bzl), so the
 * KUnit vectors of kernel/resource_kunit.c run on that kernel's code.
 */
#include <linux/ioport.h>

#include "kernel_info.h"
#include "kernel_adapter.h"

#ifndef RESTREE_KERNEL_SOURCE_MISSING
static int range_helper(bool (*fn)(struct resource *, struct resource *,
				   struct resource *),
			uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2,
			uint64_t *start, uint64_t *end)
{
	struct resource a = { .start = s1, .end = e1 };
	struct resource b = { .start = s2, .end = e2 };
	struct resource r = { .start = *start, .end = *end };

	if (!fn(&a, &b, &r))
		return 0;
	*start = r.start;
	*end = r.end;
	return 1;
}

/* 6.1's helpers take non-const pointers, 6.12's const ones: wrap both. */
static bool do_union(struct resource *a, struct resource *b, struct resource *r)
{
	return resource_union(a, b, r);
}
static bool do_intersection(struct resource *a, struct resource *b,
			    struct resource *r)
{
	return resource_intersection(a, b, r);
}

int ka_resource_union(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2,
		      uint64_t *start, uint64_t *end)
{
	return range_helper(do_union, s1, e1, s2, e2, start, end);
}
int ka_resource_intersection(uint64_t s1, uint64_t e1, uint64_t s2,
			     uint64_t e2, uint64_t *start, uint64_t *end)
{
	return range_helper(do_intersection, s1, e1, s2, e2, start, end);
}
#else
int ka_resource_union(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2,
		      uint64_t *start, uint64_t *end)
{
	return 0;
}
int ka_resource_intersection(uint64_t s1, uint64_t e1, uint64_t s2,
			     uint64_t e2, uint64_t *start, uint64_t *end)
{
	return 0;
}
#endif
