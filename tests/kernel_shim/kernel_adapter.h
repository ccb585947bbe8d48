/* SPDX-License-Identifier: MIT */
/*
 * kernel_adapter.h - a C ABI over a real kernel's kernel/resource.c compiled
 * in user space against the shim, so that the same operation sequences can
 * drive the kernel, KernelModel and ResourceTree (tests/tree_ops.h).
 *
 * One tree: the kernel's iomem_resource. Nodes are named by their index in
 * the kernel's pre-order walk (the order of /proc/iomem), -1 for the root,
 * exactly as in tests/tree_ops.h, whose kernel operations each fill a ka_op
 * with their KA_ kind (ToKernel()). Outcomes use the same numbering as
 * restree::KernelOutcome (checked by static_asserts in
 * tests/kernel_in_the_loop.cc). Adding a kernel function: a kind here and
 * its case in kernel_adapter.c's run_op().
 *
 * Kernel functions that return void, or NULL without naming a conflict,
 * report what the adapter can observe: warnings counted by the shim, the
 * kernel log, whether the tree changed, which node is new.
 *
 * Not thread-safe: the kernel code under test has global state.
 */
#ifndef RESTREE_TESTS_KERNEL_SHIM_KERNEL_ADAPTER_H_
#define RESTREE_TESTS_KERNEL_SHIM_KERNEL_ADAPTER_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel functions the adapter calls. */
enum ka_kind {
	KA_REQUEST_RESOURCE,
	KA_INSERT_RESOURCE,
	KA_INSERT_RESOURCE_EXPAND_TO_FIT,
	KA_REMOVE_RESOURCE,
	KA_RELEASE_RESOURCE,
	KA_RELEASE_CHILD_RESOURCES,
	KA_ADJUST_RESOURCE,
	KA_ALLOCATE_RESOURCE,
	KA_REALLOCATE_RESOURCE,
	KA_REQUEST_REGION,
	KA_RELEASE_REGION,
	KA_RELEASE_MEM_REGION_ADJUSTABLE,
	KA_MERGE_SYSTEM_RAM_RESOURCE,
	KA_REGION_INTERSECTS,
	KA_WALK_IOMEM_RES_DESC,
	KA_ALLOC_FREE_MEM_REGION,
	KA_REQUEST_FREE_MEM_REGION,
	KA_LOOKUP_RESOURCE,
	KA_SET_FLAGS,
	/* The redesign operations (resource_redesign.h), in the implementation
	 * linked in (restree's resource_redesign.c, or a developer's). */
	KA_REPARENT,
	KA_INSERT_OVER,
	KA_GROW,
	KA_SHRINK,
	KA_RESERVE_CHUNKS,
	KA_CLAIM_CHUNKS,
	KA_RETURN_TO_CHUNKS,
	KA_RELEASE_UNUSED_CHUNKS,
	KA_NUM_KINDS
};

/* Same values as restree::KernelOutcome. */
enum ka_outcome {
	KA_OK = 0,
	KA_ERROR,
	KA_CONFLICT,
	KA_WOULD_SLEEP,
	KA_NOT_FOUND,
	KA_WARNED,
	KA_NOT_INSERTED,
	KA_CONTRACT_VIOLATION, /* here: the kernel hit BUG() or looped */
};

#define KA_NO_NODE (-2)       /* as ops::kNoNode */
#define KA_UNKNOWN_NODE (-3)  /* the kernel does not say */
#define KA_WALK_MAX 4096

struct ka_op {
	int kind;
	int ref;
	uint64_t start, end, size, min, max, align;
	int alignf_up16k;
	uint64_t flags;
	uint32_t desc;
	const char *name;
	/* The redesign operations' own fields. KA_GROW and KA_SHRINK take the
	 * new range in start and end; KA_CLAIM_CHUNKS and KA_INSERT_OVER take
	 * the new resource in start, end, flags, desc and name. */
	int ref2;               /* KA_REPARENT: the new parent */
	int flag;               /* KA_GROW: grow_ancestors;
	                         * KA_RELEASE_UNUSED_CHUNKS: shrink */
	const char *const *split_names; /* KA_INSERT_OVER: what may be cut */
	int n_split_names;
	uint64_t chunk_size, memory_block_size, max_new_chunks; /* KA_RESERVE_ */
	uint32_t ways;                                          /* CHUNKS */
};

struct ka_walk {
	uint64_t start, end, flags, desc;
	int parent;
};

struct ka_result {
	int outcome;
	int err;       /* positive errno, 0 if none */
	int conflict;  /* pre-order index, -1 root, KA_NO_NODE, KA_UNKNOWN_NODE */
	int node;
	int intersects;
	int walk_n;
	struct ka_walk walk[KA_WALK_MAX];
	int bug;       /* the kernel hit BUG() */
	uint64_t count; /* the chunk operations' count */
	/* Not empty if the operation left the tree's links inconsistent (a
	 * child whose parent pointer is wrong, siblings out of order or
	 * overlapping, a child outside its parent, a cycle): what and where.
	 * The tree is then not read again; ka_reset() before going on. */
	char broken[256];
};

struct ka_node {
	uint64_t start, end, flags, desc;
	const char *name;
	int depth;     /* 0 for children of the root */
};

/* 0 if the kernel source was not available at build time. */
int ka_available(void);
const char *ka_kernel_origin(void);
const char *ka_kernel_release(void);
/* Whose implementation of resource_redesign.h is linked in (defined next to
 * it: redesign_origin.c for restree's; the path of $RESTREE_REDESIGN_C for
 * a developer's, third_party/redesign_source.bzl). */
const char *ka_redesign_origin(void);

/* The behaviours third_party/kernel_source.bzl detected in the compiled
 * resource.c's text (its kernel_info.h; docs/kernel-in-the-loop.md). Only
 * the adapter reads kernel_info.h, so the C++ harness is compiled once for
 * every kernel slot. */
struct ka_behaviours {
	int max_iores_level;
	int region_intersects_descendants;
	int gfr_step_is_align;
	int gfr_ascending_skips_zero;
	int split_reparents_children;
};
void ka_kernel_behaviours(struct ka_behaviours *out);

/* Once per process: boot the shim (initcalls, log sink). */
void ka_init(void);
/* Back to an empty iomem tree; PHYSMEM_END as given. Frees every node. */
void ka_reset(uint64_t physmem_end);
/* The iomem tree in pre-order; index -1 is the root (depth -1). */
int ka_count(void);
void ka_get_node(int index, struct ka_node *out);
/* Runs one operation on the kernel. */
void ka_apply(const struct ka_op *op, struct ka_result *out);
/* The chunk size the redesign implementation records for node `index`
 * (resource_chunk_size()); 0 if none. */
uint64_t ka_chunk_size(int index);
/* /proc/iomem as the kernel's r_show prints it; malloc'd, free() it. */
char *ka_proc_iomem(int capable);
/* How many allocations the kernel holds (should be the node count). */
unsigned long ka_live_allocations(void);

/* The kernel's ioport.h helpers resource_union() and
 * resource_intersection() on [s1, e1] and [s2, e2] (flags 0), compiled
 * against the kernel's own header. Return what the helper returns; on 1,
 * *start and *end hold its result, on 0 they are left as they were. */
int ka_resource_union(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2,
		      uint64_t *start, uint64_t *end);
int ka_resource_intersection(uint64_t s1, uint64_t e1, uint64_t s2,
			     uint64_t e2, uint64_t *start, uint64_t *end);

#ifdef __cplusplus
}
#endif

#endif /* RESTREE_TESTS_KERNEL_SHIM_KERNEL_ADAPTER_H_ */
