// SPDX-License-Identifier: MIT
/*
 * resource_redesign.c - restree's implementation of resource_redesign.h:
 * the redesign operations on struct resource, written for this project from
 * the semantics in resource_tree/resource_tree.h (never from
 * kernel/resource.c). Only what a patch to resource.c could use: the fields
 * of struct resource, kzalloc/kfree, kvmalloc for the side table. Every
 * function checks everything first and then changes the tree, so a failing
 * call changes nothing; no recursion (chains are walked with loops).
 *
 * Child lists are singly linked through ->sibling in address order, as in
 * the kernel; walking a level is O(children), as it is there.
 */
#include "resource_redesign.h"

#include <linux/errno.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static const char chunk_name[] = RESOURCE_CHUNK_NAME;
/* A CFMWS window's granule: chunk sizes are multiples of it x ways. */
static const resource_size_t cfmws_unit = (resource_size_t)256 << 20;

static void set_conflict(struct resource **conflict, struct resource *res)
{
	if (conflict)
		*conflict = res;
}

static bool is_chunk(const struct resource *res)
{
	return (res->flags & IORESOURCE_RESTREE_CHUNK) != 0;
}

static bool same_range(const struct resource *a, const struct resource *b)
{
	return a->start == b->start && a->end == b->end;
}

static bool holds(const struct resource *outer, resource_size_t start,
		  resource_size_t end)
{
	return outer->start <= start && end <= outer->end;
}

static bool inside(const struct resource *res, resource_size_t start,
		   resource_size_t end)
{
	return start <= res->start && res->end <= end;
}

/* The pointer that points at @res in its parent's child list. */
static struct resource **link_of(struct resource *res)
{
	struct resource **link = &res->parent->child;

	while (*link != res)
		link = &(*link)->sibling;
	return link;
}

/* Links @res under @parent at its place in address order. */
static void link_sorted(struct resource *parent, struct resource *res)
{
	struct resource **link = &parent->child;

	while (*link && (*link)->start < res->start)
		link = &(*link)->sibling;
	res->sibling = *link;
	res->parent = parent;
	*link = res;
}

/* --------------------------------------------------------- side table */

struct chunk_size_entry {
	const struct resource *window;
	resource_size_t chunk_size;
};

static struct chunk_size_entry *chunk_sizes;
static size_t nr_chunk_sizes, cap_chunk_sizes;

static struct chunk_size_entry *chunk_entry(const struct resource *window)
{
	for (size_t i = 0; i < nr_chunk_sizes; i++)
		if (chunk_sizes[i].window == window)
			return &chunk_sizes[i];
	return NULL;
}

/* Room for one more entry, so that recording cannot fail after the tree
 * has changed. */
static int chunk_table_reserve(void)
{
	struct chunk_size_entry *grown;
	size_t cap;

	if (nr_chunk_sizes < cap_chunk_sizes)
		return 0;
	cap = cap_chunk_sizes ? 2 * cap_chunk_sizes : 16;
	grown = kvmalloc(cap * sizeof(*grown), GFP_ATOMIC);
	if (!grown)
		return -ENOMEM;
	for (size_t i = 0; i < nr_chunk_sizes; i++)
		grown[i] = chunk_sizes[i];
	kvfree(chunk_sizes);
	chunk_sizes = grown;
	cap_chunk_sizes = cap;
	return 0;
}

resource_size_t resource_chunk_size(const struct resource *window)
{
	const struct chunk_size_entry *e = chunk_entry(window);

	return e ? e->chunk_size : 0;
}

void resource_chunks_forget(const struct resource *res)
{
	struct chunk_size_entry *e = chunk_entry(res);

	if (e)
		*e = chunk_sizes[--nr_chunk_sizes];
}

/* ------------------------------------------------------ preallocation */

/* @n zeroed resources chained through ->sibling, or NULL (and nothing
 * kept) if one cannot be had. */
static struct resource *alloc_spares(unsigned long n)
{
	struct resource *head = NULL;

	for (unsigned long i = 0; i < n; i++) {
		struct resource *res = kzalloc(sizeof(*res), GFP_ATOMIC);

		if (!res) {
			while (head) {
				res = head->sibling;
				kfree(head);
				head = res;
			}
			return NULL;
		}
		res->sibling = head;
		head = res;
	}
	return head;
}

static struct resource *take_spare(struct resource **spares)
{
	struct resource *res = *spares;

	*spares = res->sibling;
	res->sibling = NULL;
	return res;
}

static void free_resource_node(struct resource *res)
{
	resource_chunks_forget(res);
	kfree(res);
}

/* ------------------------------------------------------------ reparent */

int reparent_resource(struct resource *res, struct resource *new_parent,
		      struct resource **conflict)
{
	struct resource *p = res->parent, *x, *top = NULL, *in_way = NULL;
	struct resource **link;

	set_conflict(conflict, NULL);
	if (!p)
		return -EINVAL;
	if (new_parent == p)
		return 0;
	if (new_parent == res || !holds(new_parent, res->start, res->end)) {
		set_conflict(conflict, new_parent);
		return -EINVAL;
	}
	for (x = p; x && x != new_parent; x = x->parent)
		;
	if (x == new_parent) {
		/* An ancestor: everything between must have res's range. */
		for (x = p; x != new_parent; x = x->parent) {
			if (!same_range(x, res))
				in_way = x;	/* the last seen is the highest */
			top = x;
		}
		if (in_way) {
			set_conflict(conflict, in_way);
			return -EBUSY;
		}
		/* res's children take its place under p ... */
		link = link_of(res);
		if (res->child) {
			for (x = res->child;; x = x->sibling) {
				x->parent = p;
				if (!x->sibling)
					break;
			}
			x->sibling = res->sibling;
			*link = res->child;
		} else {
			*link = res->sibling;
		}
		/* ... and res takes top's place, with top below it. */
		link = link_of(top);
		*link = res;
		res->sibling = top->sibling;
		res->parent = new_parent;
		res->child = top;
		top->sibling = NULL;
		top->parent = res;
		return 0;
	}
	/* Otherwise an equal-range descendant, or nothing acceptable. */
	for (x = new_parent; x && x != res; x = x->parent)
		top = x;	/* ends as res's child on the path */
	if (x != res || !same_range(new_parent, res)) {
		set_conflict(conflict, new_parent);
		return -EINVAL;
	}
	/* top, res's only child, takes res's place ... */
	link = link_of(res);
	*link = top;
	top->sibling = res->sibling;
	top->parent = p;
	/* ... and res goes between new_parent and its children. */
	res->child = new_parent->child;
	for (x = res->child; x; x = x->sibling)
		x->parent = res;
	new_parent->child = res;
	res->parent = new_parent;
	res->sibling = NULL;
	return 0;
}

/* -------------------------------------------------------- insert over */

/* The child of @parent with @cut strictly inside (start < cut <= end). */
static struct resource *straddler(struct resource *parent, resource_size_t cut)
{
	for (struct resource *c = parent->child; c && c->start < cut;
	     c = c->sibling)
		if (c->end >= cut)
			return c;
	return NULL;
}

/* Checks the chain of resources cut at @cut below @parent; returns how
 * many there are, or -EBUSY with the first unsplittable one. */
static long check_cuts(struct resource *parent, resource_size_t cut,
		       resource_split_fn splittable, void *data,
		       struct resource **conflict)
{
	long n = 0;

	for (struct resource *x = straddler(parent, cut); x;
	     x = straddler(x, cut)) {
		if (!splittable || !splittable(x, data)) {
			set_conflict(conflict, x);
			return -EBUSY;
		}
		n++;
	}
	return n;
}

/* Cuts the chain below @parent at @cut: each cut resource keeps its lower
 * part, and its upper part (from @spares) hangs under the previous upper
 * part (the first under @parent) with the children at or above @cut. */
static void cut_chain(struct resource *parent, resource_size_t cut,
		      struct resource **spares)
{
	struct resource *above = parent, *x = straddler(parent, cut);

	while (x) {
		struct resource *next = straddler(x, cut);
		struct resource *hi = take_spare(spares);
		struct resource **link = &x->child;

		hi->start = cut;
		hi->end = x->end;
		hi->name = x->name;
		hi->flags = x->flags;
		hi->desc = x->desc;
		while (*link && (*link)->start < cut)
			link = &(*link)->sibling;
		hi->child = *link;
		*link = NULL;
		for (struct resource *c = hi->child; c; c = c->sibling)
			c->parent = hi;
		x->end = cut - 1;
		link_sorted(above, hi);
		above = hi;
		x = next;
	}
}

int insert_resource_over(struct resource *parent, struct resource *res,
			 resource_split_fn splittable, void *data,
			 struct resource **conflict)
{
	const resource_size_t start = res->start, end = res->end;
	struct resource *p = parent, *c, *first, *last = NULL, *spares = NULL;
	struct resource **link;
	long low = 0, high = 0;

	set_conflict(conflict, NULL);
	if (start > end || !holds(p, start, end)) {
		set_conflict(conflict, p);
		return -EBUSY;
	}
	/* Down to the deepest resource strictly containing the new range. */
	for (;;) {
		for (c = p->child; c && c->end < start; c = c->sibling)
			;
		if (!c || c->start > end || !holds(c, start, end) ||
		    (c->start == start && c->end == end))
			break;
		p = c;
	}
	if (start != p->start)
		low = check_cuts(p, start, splittable, data, conflict);
	if (low < 0)
		return (int)low;
	if (end != p->end)
		high = check_cuts(p, end + 1, splittable, data, conflict);
	if (high < 0)
		return (int)high;
	if (low + high > 0) {
		spares = alloc_spares((unsigned long)(low + high));
		if (!spares)
			return -ENOMEM;
	}
	if (low)
		cut_chain(p, start, &spares);
	if (high)
		cut_chain(p, end + 1, &spares);
	/* Now every child of p that overlaps the range lies inside it. */
	link = &p->child;
	while (*link && (*link)->end < start)
		link = &(*link)->sibling;
	first = *link;
	for (c = first; c && c->start <= end; c = c->sibling) {
		c->parent = res;
		last = c;
	}
	if (last) {
		res->child = first;
		res->sibling = last->sibling;
		last->sibling = NULL;
	} else {
		res->child = NULL;
		res->sibling = first;
	}
	res->parent = p;
	*link = res;
	return 0;
}

/* ------------------------------------------------------- grow, shrink */

int grow_resource(struct resource *res, resource_size_t start,
		  resource_size_t end, bool grow_ancestors,
		  struct resource **conflict)
{
	struct resource *p = res->parent, *a, *s, *next;
	struct resource *below = NULL, **below_tail = &below;
	struct resource *above = NULL, **above_tail = &above;
	struct resource **link;
	resource_size_t ns, ne;

	set_conflict(conflict, NULL);
	if (!p || start > end || start > res->start || end < res->end)
		return -EINVAL;
	if (start == res->start && end == res->end)
		return 0;
	/* Siblings: inside the new range (adopted) or not touching it. */
	for (s = p->child; s && s->start <= end; s = s->sibling) {
		if (s == res || s->end < start)
			continue;
		if (!inside(s, start, end)) {
			set_conflict(conflict, s);
			return -EBUSY;
		}
	}
	/* Ancestors, bottom-up. */
	ns = start;
	ne = end;
	for (a = p; !holds(a, ns, ne); a = a->parent) {
		if (!grow_ancestors || !a->parent) {
			set_conflict(conflict, a);
			return -EBUSY;
		}
		ns = min(ns, a->start);
		ne = max(ne, a->end);
		for (s = a->parent->child; s && s->start <= ne; s = s->sibling) {
			if (s != a && s->end >= ns) {
				set_conflict(conflict, s);
				return -EBUSY;
			}
		}
	}
	/* Checked: grow the ancestors, then res, adopting the siblings. */
	ns = start;
	ne = end;
	for (a = p; !holds(a, ns, ne); a = a->parent) {
		ns = min(ns, a->start);
		ne = max(ne, a->end);
		a->start = ns;
		a->end = ne;
	}
	link = &p->child;
	while (*link && (*link)->end < start)
		link = &(*link)->sibling;
	for (s = *link; s && s->start <= end; s = next) {
		next = s->sibling;
		if (s == res)
			continue;
		s->parent = res;
		s->sibling = NULL;
		if (s->start < res->start) {
			*below_tail = s;
			below_tail = &s->sibling;
		} else {
			*above_tail = s;
			above_tail = &s->sibling;
		}
	}
	*link = res;
	res->sibling = s;
	*above_tail = NULL;
	if (res->child) {
		for (a = res->child; a->sibling; a = a->sibling)
			;
		a->sibling = above;
		*below_tail = res->child;
	} else {
		*below_tail = above;
	}
	res->child = below;
	res->start = start;
	res->end = end;
	return 0;
}

int shrink_resource(struct resource *res, resource_size_t start,
		    resource_size_t end, struct resource **conflict)
{
	set_conflict(conflict, NULL);
	if (!res->parent || start > end || start < res->start || end > res->end)
		return -EINVAL;
	for (struct resource *c = res->child; c; c = c->sibling) {
		if (!inside(c, start, end)) {
			set_conflict(conflict, c);
			return -EBUSY;
		}
	}
	res->start = start;
	res->end = end;
	return 0;
}

/* -------------------------------------------------------------- chunks */

static bool cxl_ways(unsigned int ways)
{
	switch (ways) {
	case 1: case 2: case 3: case 4: case 6: case 8: case 12: case 16:
		return true;
	default:
		return false;
	}
}

/* How many slots of the grid (@size bytes from @base) [first, last]
 * touches, at most ~0. */
static resource_size_t slots(resource_size_t base, resource_size_t size,
			     resource_size_t first, resource_size_t last)
{
	const resource_size_t d = (last - base) / size - (first - base) / size;

	return d == ~(resource_size_t)0 ? d : d + 1;
}

static resource_size_t add_sat(resource_size_t a, resource_size_t b)
{
	return a > ~(resource_size_t)0 - b ? ~(resource_size_t)0 : a + b;
}

/* The last address of @addr's slot, at most @limit. */
static resource_size_t slot_last(resource_size_t base, resource_size_t size,
				 resource_size_t addr, resource_size_t limit)
{
	resource_size_t off = addr - base, room = ~(resource_size_t)0 - base;

	off -= off % size;
	if (off > room || size - 1 > room - off)
		return limit;
	return min(base + off + (size - 1), limit);
}

/* Links chunks (from @spares) covering [first, last] at *@link, under
 * @window, one per slot; returns the link after the last. */
static struct resource **fill_chunks(struct resource *window,
				     resource_size_t size,
				     resource_size_t first,
				     resource_size_t last,
				     struct resource **link,
				     struct resource **spares)
{
	for (;;) {
		struct resource *c = take_spare(spares);

		c->start = first;
		c->end = slot_last(window->start, size, first, last);
		c->name = chunk_name;
		c->flags = IORESOURCE_MEM | IORESOURCE_RESTREE_CHUNK;
		c->desc = IORES_DESC_CXL;
		c->parent = window;
		c->sibling = *link;
		*link = c;
		link = &c->sibling;
		if (c->end == last)
			return link;
		first = c->end + 1;
	}
}

/* Chunks for the free stretches of @window: counted if @spares is NULL,
 * else linked. */
static resource_size_t cover_free(struct resource *window,
				  resource_size_t size,
				  struct resource **spares)
{
	struct resource **link = &window->child, *c;
	resource_size_t pos = window->start, n = 0;

	for (;;) {
		c = *link;
		if (!c || c->start > pos) {
			const resource_size_t gap_end = c ? c->start - 1
							  : window->end;

			if (spares)
				link = fill_chunks(window, size, pos, gap_end,
						   link, spares);
			else
				n = add_sat(n, slots(window->start, size, pos,
						     gap_end));
		}
		if (!c || c->end >= window->end)
			return n;
		pos = c->end + 1;
		link = &c->sibling;
	}
}

int reserve_resource_chunks(struct resource *window,
			    const struct resource_chunk_geometry *geo,
			    unsigned long *nr_chunks)
{
	const resource_size_t size = geo->chunk_size;
	const resource_size_t unit = cfmws_unit * geo->ways;
	struct chunk_size_entry *e;
	struct resource *spares;
	resource_size_t n;

	if (nr_chunks)
		*nr_chunks = 0;
	if (!window->parent || is_chunk(window) || !cxl_ways(geo->ways))
		return -EINVAL;
	if (!size || (size % unit && size != geo->memory_block_size))
		return -EINVAL;
	n = cover_free(window, size, NULL);
	if (n > geo->max_new_chunks)
		return -E2BIG;
	if (chunk_table_reserve())
		return -ENOMEM;
	spares = alloc_spares(n);
	if (n && !spares)
		return -ENOMEM;
	cover_free(window, size, &spares);
	e = chunk_entry(window);
	if (!e) {
		e = &chunk_sizes[nr_chunk_sizes++];
		e->window = window;
	}
	e->chunk_size = size;
	if (nr_chunks)
		*nr_chunks = n;
	return 0;
}

int claim_resource_chunks(struct resource *window, struct resource *res,
			  struct resource **conflict)
{
	const resource_size_t start = res->start, end = res->end;
	struct resource **link, *c, *first, *next;
	struct resource *kids = NULL, **kids_tail = &kids;
	resource_size_t expect = start;

	set_conflict(conflict, NULL);
	if (start > end || !holds(window, start, end)) {
		set_conflict(conflict, window);
		return -EINVAL;
	}
	link = &window->child;
	while (*link && (*link)->end < start)
		link = &(*link)->sibling;
	first = *link;
	for (c = first;; c = c->sibling) {
		if (!c || c->start > expect)
			return -EINVAL;	/* [expect, ...] is not reserved */
		if (!is_chunk(c)) {
			set_conflict(conflict, c);
			return -EBUSY;
		}
		if (c->start < start || c->end > end) {
			set_conflict(conflict, c);
			return -EINVAL;
		}
		if (c->end == end)
			break;
		expect = c->end + 1;
	}
	/* first..c are the chunks: their children become res's. */
	next = c->sibling;
	for (c = first; c != next; c = c->sibling) {
		if (!c->child)
			continue;
		*kids_tail = c->child;
		for (struct resource *k = c->child; k; k = k->sibling) {
			k->parent = res;
			kids_tail = &k->sibling;
		}
	}
	for (c = first; c != next;) {
		struct resource *after = c->sibling;

		free_resource_node(c);
		c = after;
	}
	res->child = kids;
	res->parent = window;
	res->sibling = next;
	*link = res;
	return 0;
}

int return_resource_to_chunks(struct resource *res, unsigned long *nr_chunks,
			      struct resource **conflict)
{
	struct resource *window = res->parent, *spares, **link;
	resource_size_t size, n;

	if (nr_chunks)
		*nr_chunks = 0;
	set_conflict(conflict, NULL);
	if (!window || is_chunk(res))
		return -EINVAL;
	size = resource_chunk_size(window);
	if (!size)
		return -EINVAL;
	if (res->child) {
		set_conflict(conflict, res->child);
		return -EBUSY;
	}
	n = slots(window->start, size, res->start, res->end);
	if (n > RESOURCE_RETURN_MAX_CHUNKS)
		return -E2BIG;
	spares = alloc_spares(n);
	if (!spares)
		return -ENOMEM;
	link = link_of(res);
	*link = res->sibling;
	fill_chunks(window, size, res->start, res->end, link, &spares);
	res->parent = NULL;
	res->sibling = NULL;
	if (nr_chunks)
		*nr_chunks = n;
	return 0;
}

int release_unused_resource_chunks(struct resource *window, bool shrink,
				   unsigned long *nr_chunks)
{
	struct resource **link = &window->child, *c, *k;
	unsigned long n = 0;

	if (nr_chunks)
		*nr_chunks = 0;
	if (!window->parent || is_chunk(window))
		return -EINVAL;
	while ((c = *link)) {
		if (!is_chunk(c)) {
			link = &c->sibling;
			continue;
		}
		/* Its children, if any, take its place (and stay). */
		if (c->child) {
			for (k = c->child;; k = k->sibling) {
				k->parent = window;
				if (!k->sibling)
					break;
			}
			k->sibling = c->sibling;
			*link = c->child;
			link = &k->sibling;
		} else {
			*link = c->sibling;
		}
		free_resource_node(c);
		n++;
	}
	if (shrink && window->child) {
		window->start = window->child->start;
		for (c = window->child; c->sibling; c = c->sibling)
			;
		window->end = c->end;
	}
	if (nr_chunks)
		*nr_chunks = n;
	return 0;
}
