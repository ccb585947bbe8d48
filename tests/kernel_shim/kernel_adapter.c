// SPDX-License-Identifier: MIT
/*
 * kernel_adapter.c - see kernel_adapter.h. Drives the kernel's own
 * kernel/resource.c (linked in from @linux_kernel_source) through the shim.
 */
#include "kernel_adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_info.h"

void ka_kernel_behaviours(struct ka_behaviours *out)
{
	out->max_iores_level = RESTREE_KERNEL_MAX_IORES_LEVEL;
	out->region_intersects_descendants =
		RESTREE_KERNEL_REGION_INTERSECTS_DESCENDANTS;
	out->gfr_step_is_align = RESTREE_KERNEL_GFR_STEP_IS_ALIGN;
	out->gfr_ascending_skips_zero = RESTREE_KERNEL_GFR_ASCENDING_SKIPS_ZERO;
	out->split_reparents_children = RESTREE_KERNEL_SPLIT_REPARENTS_CHILDREN;
}

#ifndef RESTREE_KERNEL_SOURCE_MISSING

#include <linux/errno.h>
#include <linux/ioport.h>
#include <shim/shim_api.h>

#include "resource_redesign.h"

/* ------------------------------------------------------------- the tree */

static struct resource **nodes;
static int *depths;
static int n_nodes, cap_nodes;

/* The kernel's pre-order from iomem_resource (its next_resource() order). */
static void grow_nodes(void)
{
	cap_nodes = cap_nodes ? 2 * cap_nodes : 256;
	nodes = realloc(nodes, (size_t)cap_nodes * sizeof(*nodes));
	depths = realloc(depths, (size_t)cap_nodes * sizeof(*depths));
	if (!nodes || !depths)
		abort();
}

static void enumerate(void)
{
	struct resource *root = &iomem_resource, *p = root->child;
	int d = 0;

	n_nodes = 0;
	/* Allocated even for an empty tree: memcpy/qsort/bsearch take `nodes`
	 * and must not see NULL even with a count of 0. */
	if (cap_nodes == 0)
		grow_nodes();
	while (p) {
		if (n_nodes == cap_nodes)
			grow_nodes();
		nodes[n_nodes] = p;
		depths[n_nodes] = d;
		n_nodes++;
		if (p->child) {
			p = p->child;
			d++;
			continue;
		}
		while (!p->sibling && p->parent && p->parent != root) {
			p = p->parent;
			d--;
		}
		p = p->sibling;
	}
}

static int index_of(const struct resource *p)
{
	if (!p)
		return KA_NO_NODE;
	if (p == &iomem_resource)
		return -1;
	for (int i = 0; i < n_nodes; i++)
		if (nodes[i] == p)
			return i;
	return KA_UNKNOWN_NODE;
}

static struct resource *resolve(int ref)
{
	if (ref < 0 || ref >= n_nodes)
		return &iomem_resource;
	return nodes[ref];
}

/* A cheap fingerprint of the whole tree, to see whether an op changed it. */
static uint64_t digest(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < n_nodes; i++) {
		const struct resource *p = nodes[i];
		const uint64_t v[6] = { (uint64_t)depths[i], p->start, p->end,
					p->flags, p->desc, (uint64_t)(uintptr_t)p };
		for (int k = 0; k < 6; k++) {
			h ^= v[k];
			h *= 0x100000001b3ULL;
		}
	}
	h ^= (uint64_t)n_nodes;
	return h;
}

/* ----------------------------------------------------------------- names */

/* resource.c compares names by pointer: equal strings share one. */
static char **names;
static size_t n_names, cap_names;

static const char *intern(const char *s)
{
	for (size_t i = 0; i < n_names; i++)
		if (!strcmp(names[i], s))
			return names[i];
	if (n_names == cap_names) {
		cap_names = cap_names ? 2 * cap_names : 32;
		names = realloc(names, cap_names * sizeof(*names));
		if (!names)
			abort();
	}
	names[n_names] = strdup(s);
	return names[n_names++];
}

/* ------------------------------------------------------------------- log */

static char logbuf[1 << 14];
static size_t loglen;

static void log_sink(int level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	size_t n = strlen(msg);
	if (loglen + n + 1 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, msg, n);
		loglen += n;
		logbuf[loglen] = '\0';
	}
}

/* ----------------------------------------------------------------- sweep */

/* Frees every kmalloc'd object no longer reachable from the root: the
 * resources the kernel detached or orphaned (the caller owns those), and a
 * request that would have slept. */
static int cmp_ptr(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)*(void *const *)x, b = (uintptr_t)*(void *const *)y;
	return a < b ? -1 : a > b;
}

static void sweep_one(void *obj, void *ctx)
{
	(void)ctx;
	if (!bsearch(&obj, nodes, (size_t)n_nodes, sizeof(*nodes), cmp_ptr))
		kfree(obj);
}

static void sweep(void)
{
	enumerate();
	qsort(nodes, (size_t)n_nodes, sizeof(*nodes), cmp_ptr);
	shim_slab_foreach(sweep_one, NULL);
	enumerate();
}

/* -------------------------------------------------------------- the ops */

static const struct ka_op *cur_op;
static struct ka_result *cur_res;
static struct resource *created;     /* the node an op created, if any */

static struct resource *new_res(const struct ka_op *o)
{
	struct resource *r = kzalloc(sizeof(*r), GFP_KERNEL | __GFP_NOFAIL);
	r->start = o->start;
	r->end = o->end;
	r->flags = (unsigned long)o->flags;
	r->desc = o->desc;
	r->name = intern(o->name);
	return r;
}

static resource_size_t alignf_up16k(void *data, const struct resource *avail,
				    resource_size_t size, resource_size_t align)
{
	(void)data;
	(void)size;
	(void)align;
	return (avail->start + 0x3fff) & ~(resource_size_t)0x3fff;
}

static int walk_cb(struct resource *res, void *arg)
{
	struct ka_result *r = arg;
	if (r->walk_n == KA_WALK_MAX)
		return 1;  /* the kernel would go on forever */
	struct ka_walk *w = &r->walk[r->walk_n++];
	w->start = res->start;
	w->end = res->end;
	w->flags = res->flags;
	w->desc = res->desc;
	w->parent = index_of(res->parent);
	return 0;
}

/* A redesign call's return: -EBUSY is a conflict, any other errno an
 * error; the conflict as the implementation named it. */
static void redesign_result(struct ka_result *r, int rc, struct resource *c)
{
	if (rc) {
		r->outcome = rc == -EBUSY ? KA_CONFLICT : KA_ERROR;
		r->err = rc < 0 ? -rc : rc;
		r->conflict = index_of(c);
	}
}

static bool split_by_name(const struct resource *res, void *data)
{
	const struct ka_op *o = data;

	for (int i = 0; i < o->n_split_names; i++)
		if (res->name && !strcmp(res->name, o->split_names[i]))
			return true;
	return false;
}

/* Checks the links of the tree below the root without trusting them: a
 * depth-first walk with its own stack, at most as many nodes as there are
 * live allocations (more means a cycle). Fills `out` and returns false on
 * the first inconsistency. */
static bool links_ok(char *out, size_t len)
{
	const size_t limit = shim_slab_live() + 1;
	struct resource **stack = malloc(limit * sizeof(*stack));
	size_t depth = 0, seen = 0;
	bool ok = true;

	if (!stack)
		abort();
	stack[depth++] = &iomem_resource;
	while (ok && depth) {
		struct resource *p = stack[--depth];

		for (struct resource *c = p->child; c; c = c->sibling) {
			if (++seen > limit) {
				snprintf(out, len, "a cycle below [%#llx-%#llx] %s",
					 (unsigned long long)p->start,
					 (unsigned long long)p->end,
					 p->name ? p->name : "?");
				ok = false;
				break;
			}
			const char *what = NULL;
			if (c->parent != p)
				what = "its parent pointer is not its parent";
			else if (c->start > c->end)
				what = "its range is inverted";
			else if (c->start < p->start || c->end > p->end)
				what = "it is not inside its parent";
			else if (c->sibling && c->sibling->start <= c->end)
				what = "its next sibling does not start after it";
			if (what) {
				snprintf(out, len,
					 "[%#llx-%#llx] %s under [%#llx-%#llx] %s: %s",
					 (unsigned long long)c->start,
					 (unsigned long long)c->end,
					 c->name ? c->name : "?",
					 (unsigned long long)p->start,
					 (unsigned long long)p->end,
					 p->name ? p->name : "?", what);
				ok = false;
				break;
			}
			if (c->child)
				stack[depth++] = c;
		}
	}
	free(stack);
	return ok;
}

static void fail_errno(struct ka_result *r, int rc)
{
	r->outcome = rc ? KA_ERROR : KA_OK;
	r->err = rc < 0 ? -rc : rc;
}

static void run_op(void *unused)
{
	const struct ka_op *o = cur_op;
	struct ka_result *r = cur_res;
	struct resource *target = resolve(o->ref), *res, *c = NULL;
	int rc;
	(void)unused;

	switch (o->kind) {
	case KA_REQUEST_RESOURCE:
	case KA_INSERT_RESOURCE:
		res = new_res(o);
		c = o->kind == KA_REQUEST_RESOURCE ? request_resource_conflict(target, res)
						   : insert_resource_conflict(target, res);
		if (c) {
			r->outcome = KA_CONFLICT;
			r->err = EBUSY;
			r->conflict = index_of(c);
		} else {
			created = res;
		}
		break;
	case KA_INSERT_RESOURCE_EXPAND_TO_FIT:
		res = new_res(o);
		insert_resource_expand_to_fit(target, res);
		if (res->parent) {
			created = res;
		} else {
			r->outcome = KA_NOT_INSERTED;
			r->conflict = index_of(target);
		}
		break;
	case KA_REMOVE_RESOURCE:
		fail_errno(r, remove_resource(target));
		break;
	case KA_RELEASE_RESOURCE:
		fail_errno(r, release_resource(target));
		break;
	case KA_RELEASE_CHILD_RESOURCES:
		release_child_resources(target);
		break;
	case KA_ADJUST_RESOURCE:
		fail_errno(r, adjust_resource(target, o->start, o->size));
		break;
	case KA_ALLOCATE_RESOURCE:
		res = new_res(o);
		res->start = res->end = 0;
		rc = allocate_resource(target, res, o->size, o->min, o->max, o->align,
				       o->alignf_up16k ? alignf_up16k : NULL, NULL);
		fail_errno(r, rc);
		if (!rc)
			created = res;
		break;
	case KA_REALLOCATE_RESOURCE:
		fail_errno(r, allocate_resource(target->parent, target, o->size, o->min,
						o->max, o->align,
						o->alignf_up16k ? alignf_up16k : NULL,
						NULL));
		break;
	case KA_REQUEST_REGION:
		res = __request_region(target, o->start, o->size, intern(o->name),
				       (int)o->flags);
		if (res) {
			created = res;
		} else {
			r->outcome = KA_CONFLICT;
			r->err = EBUSY;
			r->conflict = KA_UNKNOWN_NODE;
		}
		break;
	case KA_RELEASE_REGION:
		__release_region(target, o->start, o->size);
		if (strstr(logbuf, "Trying to free nonexistent resource"))
			r->outcome = KA_NOT_FOUND;
		break;
	case KA_RELEASE_MEM_REGION_ADJUSTABLE:
		release_mem_region_adjustable(o->start, o->size);
		break;
	case KA_MERGE_SYSTEM_RAM_RESOURCE:
		merge_system_ram_resource(target);
		break;
	case KA_REGION_INTERSECTS:
		r->intersects = region_intersects(o->start, o->size,
						  (unsigned long)o->flags, o->desc);
		break;
	case KA_WALK_IOMEM_RES_DESC:
		walk_iomem_res_desc(o->desc, (unsigned long)o->flags, o->start, o->end,
				    r, walk_cb);
		if (r->walk_n == KA_WALK_MAX) {
			r->outcome = KA_CONTRACT_VIOLATION;
			r->err = EINVAL;
			r->walk_n = 0;
		}
		break;
	case KA_ALLOC_FREE_MEM_REGION:
	case KA_REQUEST_FREE_MEM_REGION:
		res = o->kind == KA_ALLOC_FREE_MEM_REGION
			      ? alloc_free_mem_region(target, (unsigned long)o->size,
						      (unsigned long)o->align,
						      intern(o->name))
			      : request_free_mem_region(target, (unsigned long)o->size,
							intern(o->name));
		if (IS_ERR(res)) {
			r->outcome = KA_ERROR;
			r->err = (int)-PTR_ERR(res);
		} else {
			created = res;
		}
		break;
	case KA_LOOKUP_RESOURCE:
		created = lookup_resource(target, o->start);
		break;
	case KA_SET_FLAGS:
		target->flags = (unsigned long)o->flags;
		break;
	case KA_REPARENT:
		rc = reparent_resource(target, resolve(o->ref2), &c);
		redesign_result(r, rc, c);
		break;
	case KA_INSERT_OVER:
	case KA_CLAIM_CHUNKS:
		res = new_res(o);
		rc = o->kind == KA_INSERT_OVER
			     ? insert_resource_over(target, res, split_by_name,
						    (void *)o, &c)
			     : claim_resource_chunks(target, res, &c);
		redesign_result(r, rc, c);
		if (!rc)
			created = res;
		break;
	case KA_GROW:
		rc = grow_resource(target, o->start, o->end, o->flag != 0, &c);
		redesign_result(r, rc, c);
		break;
	case KA_SHRINK:
		rc = shrink_resource(target, o->start, o->end, &c);
		redesign_result(r, rc, c);
		break;
	case KA_RESERVE_CHUNKS: {
		const struct resource_chunk_geometry geo = {
			.chunk_size = o->chunk_size,
			.ways = o->ways,
			.memory_block_size = o->memory_block_size,
			.max_new_chunks = (unsigned long)o->max_new_chunks,
		};
		unsigned long n = 0;

		rc = reserve_resource_chunks(target, &geo, &n);
		redesign_result(r, rc, NULL);
		r->count = rc ? 0 : n;
		break;
	}
	case KA_RETURN_TO_CHUNKS:
	case KA_RELEASE_UNUSED_CHUNKS: {
		unsigned long n = 0;

		c = NULL;
		rc = o->kind == KA_RETURN_TO_CHUNKS
			     ? return_resource_to_chunks(target, &n, &c)
			     : release_unused_resource_chunks(target, o->flag != 0,
							      &n);
		redesign_result(r, rc, c);
		r->count = rc ? 0 : n;
		break;
	}
	}
}

/* The shim's kfree() tells the redesign implementation's side table. */
static void forget_freed(const void *p)
{
	resource_chunks_forget(p);
}

int ka_available(void) { return 1; }
const char *ka_kernel_origin(void) { return RESTREE_KERNEL_ORIGIN; }
const char *ka_kernel_release(void) { return RESTREE_KERNEL_RELEASE; }

void ka_init(void)
{
	shim_set_log(log_sink, NULL);
	shim_set_kfree_hook(forget_freed);
	shim_run_initcalls();
	ka_reset((1ULL << 46) - 1);
}

void ka_reset(uint64_t physmem_end)
{
	iomem_resource.child = NULL;
	iomem_resource.start = 0;
	iomem_resource.end = ~(resource_size_t)0;
	iomem_resource.flags = IORESOURCE_MEM;
	iomem_resource.desc = IORES_DESC_NONE;
	ioport_resource.child = NULL;
	shim_physmem_end = physmem_end;
	shim_rearm_once();
	shim_set_capable(true);
	sweep();
}

int ka_count(void)
{
	enumerate();
	return n_nodes;
}

void ka_get_node(int index, struct ka_node *out)
{
	const struct resource *p = index < 0 ? &iomem_resource : nodes[index];
	out->start = p->start;
	out->end = p->end;
	out->flags = p->flags;
	out->desc = p->desc;
	out->name = p->name ? p->name : "<BAD>";
	out->depth = index < 0 ? -1 : depths[index];
}

void ka_apply(const struct ka_op *op, struct ka_result *out)
{
	struct resource *target_before, *parent_before = NULL;
	resource_size_t start_before = 0;
	struct resource **before = NULL;
	int n_before;
	uint64_t digest_before;
	unsigned long warns_before;
	int rc;

	memset(out, 0, sizeof(*out));
	out->conflict = KA_NO_NODE;
	out->node = KA_NO_NODE;
	out->intersects = 1; /* REGION_DISJOINT: what OpResult says by default */
	enumerate();
	n_before = n_nodes;
	before = malloc((size_t)(n_before + 1) * sizeof(*before));
	if (!before)
		abort();
	memcpy(before, nodes, (size_t)n_before * sizeof(*before));
	qsort(before, (size_t)n_before, sizeof(*before), cmp_ptr);
	digest_before = digest();
	target_before = resolve(op->ref);
	if (target_before != &iomem_resource) {
		parent_before = target_before->parent;
		start_before = target_before->start;
	}
	shim_rearm_once();
	warns_before = shim_warn_count();
	loglen = 0;
	logbuf[0] = '\0';
	created = NULL;
	cur_op = op;
	cur_res = out;

	rc = shim_call_guarded(run_op, NULL);

	if (op->kind >= KA_REPARENT && rc == SHIM_RET_OK &&
	    !links_ok(out->broken, sizeof(out->broken))) {
		/* Not safe to walk by its parent pointers: leave it for
		 * ka_reset(). */
		free(before);
		return;
	}
	enumerate();
	if (rc == SHIM_RET_BLOCKED) {
		out->outcome = KA_WOULD_SLEEP;
		out->err = EBUSY;
		out->conflict = KA_UNKNOWN_NODE;
	} else if (rc == SHIM_RET_BUG) {
		out->outcome = KA_CONTRACT_VIOLATION;
		out->bug = 1;
	} else if (op->kind == KA_RELEASE_MEM_REGION_ADJUSTABLE ||
		   op->kind == KA_MERGE_SYSTEM_RAM_RESOURCE) {
		/* void functions: classify by what happened */
		if (shim_warn_count() != warns_before) {
			out->outcome = KA_WARNED;
		} else if (op->kind == KA_RELEASE_MEM_REGION_ADJUSTABLE) {
			if (digest() == digest_before) {
				out->outcome = KA_NOT_FOUND;
			} else {
				/* a split creates the upper part */
				for (int i = 0; i < n_nodes; i++)
					if (!bsearch(&nodes[i], before, (size_t)n_before,
						     sizeof(*before), cmp_ptr))
						out->node = i;
			}
		} else {
			/* the node now holding the merged range */
			for (int i = 0; i < n_nodes; i++)
				if (nodes[i]->parent == parent_before &&
				    nodes[i]->start <= start_before &&
				    nodes[i]->end >= start_before)
					out->node = i;
		}
	} else if (out->outcome == KA_OK && created) {
		out->node = index_of(created);
	}
	free(before);
	sweep();
}

char *ka_proc_iomem(int capable)
{
	shim_set_capable(capable != 0);
	char *text = shim_proc_read("iomem");
	shim_set_capable(true);
	return text;
}

unsigned long ka_live_allocations(void)
{
	return (unsigned long)shim_slab_live();
}

uint64_t ka_chunk_size(int index)
{
	enumerate();
	if (index >= n_nodes)
		return 0;
	return resource_chunk_size(index < 0 ? &iomem_resource : nodes[index]);
}

#else /* RESTREE_KERNEL_SOURCE_MISSING */

int ka_available(void) { return 0; }
const char *ka_kernel_origin(void) { return RESTREE_KERNEL_ORIGIN; }
const char *ka_kernel_release(void) { return RESTREE_KERNEL_RELEASE; }
void ka_init(void) {}
void ka_reset(uint64_t physmem_end) { (void)physmem_end; }
int ka_count(void) { return 0; }
void ka_get_node(int index, struct ka_node *out) { (void)index; memset(out, 0, sizeof(*out)); }
void ka_apply(const struct ka_op *op, struct ka_result *out)
{
	(void)op;
	memset(out, 0, sizeof(*out));
	out->outcome = KA_CONTRACT_VIOLATION;
}
char *ka_proc_iomem(int capable) { (void)capable; return NULL; }
unsigned long ka_live_allocations(void) { return 0; }
uint64_t ka_chunk_size(int index) { (void)index; return 0; }

#endif
