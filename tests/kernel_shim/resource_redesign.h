/* SPDX-License-Identifier: MIT */
/*
 * resource_redesign.h - restree's redesign operations (resource_tree.h,
 * "Redesign operations" and "CFMWS chunk reservation") as a kernel-style C
 * interface on struct resource: what a patch to kernel/resource.c would add
 * for CXL memory that comes and goes.
 *
 * restree's own implementation is resource_redesign.c; a developer can plug
 * in theirs (tools/kernel_in_the_loop.sh --redesign FILE.c). The
 * kernel-in-the-loop harness runs every function here next to a real
 * kernel/resource.c and holds it to ResourceTree and to the reference model
 * (tests/redesign_model.h): same return value, same conflicting resource,
 * same tree, same /proc/iomem (docs/kernel-in-the-loop.md, "Validating a
 * redesign patch").
 *
 * Conventions, as in resource.c:
 *  - Return 0 (or a count through an out-parameter) on success, a negative
 *    errno on failure. -EBUSY always comes with a conflicting resource;
 *    -EINVAL, -E2BIG and -ENOMEM may or may not (each function says).
 *  - @conflict, where a function has one, may be NULL; otherwise it is set
 *    on every return: the resource in the way, or NULL.
 *  - Atomic: a call that fails leaves the tree exactly as it was (no
 *    resource moved, resized, created or freed).
 *  - Locking: the caller holds resource_lock for write. In a patch these
 *    would be the bodies inside kernel/resource.c that exported wrappers
 *    call with write_lock(&resource_lock) taken, as insert_resource() wraps
 *    __insert_resource(). They never sleep: the resources they create are
 *    allocated with GFP_ATOMIC before the tree is touched (-ENOMEM leaves it
 *    unchanged). The harness is single-threaded and calls them directly
 *    (resource_lock is static in resource.c).
 *  - No recursion: the cost of a call never depends on the stack.
 *
 * Chunks. A chunk is a child of a window with the name RESOURCE_CHUNK_NAME,
 * flags IORESOURCE_MEM | IORESOURCE_RESTREE_CHUNK and desc IORES_DESC_CXL,
 * lying within one slot of the window's chunk grid (slots of chunk_size
 * bytes counted from window->start; the last may be shorter). Chunks are
 * allocated and freed by the implementation. struct resource has no field
 * for a window's chunk size, so the implementation keeps it in a side
 * table: reserve_resource_chunks() records it, resource_chunk_size() reads
 * it, and resource_chunks_forget() must be called when a resource is freed
 * (in a patch, from free_resource() and wherever resource.c kfree()s a
 * resource; the harness calls it from the shim's kfree()). In the harness,
 * the side table must not be kmalloc'd: after each operation the adapter
 * frees every kmalloc'd object the tree does not reach (use kvmalloc or
 * static storage).
 *
 * The kernel-compatible functions (request_resource() and the rest) know
 * nothing of chunks: they treat a chunk as any other resource, as
 * ResourceTree does with its chunk fence off. restree's fence (no
 * allocation inside a chunk) needs changes inside resource.c and is not
 * part of this interface.
 */
#ifndef RESTREE_TESTS_KERNEL_SHIM_RESOURCE_REDESIGN_H_
#define RESTREE_TESTS_KERNEL_SHIM_RESOURCE_REDESIGN_H_

#include <linux/ioport.h>

#ifdef __cplusplus
extern "C" {
#endif

/* restree's chunk flag (iores::kRestreeChunk), a bit no kernel flag uses. */
#define IORESOURCE_RESTREE_CHUNK (1UL << 40)
#define RESOURCE_CHUNK_NAME "CXL chunk"
/* The most chunks return_resource_to_chunks() creates in one call. */
#define RESOURCE_RETURN_MAX_CHUNKS (1UL << 24)

/**
 * reparent_resource - move a resource under another that contains it
 * @res: the resource to move (not the root)
 * @new_parent: the resource to become its parent
 * @conflict: set to the resource in the way, or NULL
 *
 * Ranges nest, so @new_parent can only be @res's parent (nothing to do), a
 * proper ancestor with only resources of @res's exact range in between, or
 * a proper descendant through a chain of resources all of @res's exact
 * range (window, region and Soft Reserved on one range: which is the
 * parent). For an ancestor: @res takes the place of the highest resource
 * between them, that resource becomes @res's only child (with what hangs
 * below it), and @res's former children go to @res's former parent. For a
 * descendant: @res's child takes @res's place, and @res becomes the only
 * child of @new_parent, adopting its former children.
 *
 * Context: resource_lock held for write.
 * Return: 0 on success; -EINVAL if @res is the root (no conflict), if
 * @new_parent is @res or does not contain @res's range, or is neither an
 * ancestor nor an equal-range descendant (conflict: @new_parent); -EBUSY
 * if a resource between @res and its ancestor @new_parent has a range
 * other than @res's (conflict: the highest such).
 */
int reparent_resource(struct resource *res, struct resource *new_parent,
		      struct resource **conflict);

/* Whether insert_resource_over() may cut @res in two. */
typedef bool (*resource_split_fn)(const struct resource *res, void *data);

/**
 * insert_resource_over - insert a window over resources, splitting some
 * @parent: where to start looking, as for insert_resource()
 * @res: the new resource (start, end, name, flags and desc set; unlinked)
 * @splittable: decides which resources may be cut; NULL: none
 * @data: passed to @splittable
 * @conflict: set to the resource in the way, or NULL
 *
 * As insert_resource(): descends from @parent to the deepest resource that
 * strictly contains @res and adopts the children there that @res covers.
 * In addition, each resource that straddles an edge of @res is cut at that
 * edge instead of failing the call: its lower part keeps the original
 * struct resource, its upper part is a new one with the same name, flags
 * and desc; the part inside @res is adopted by @res, the other stays where
 * the original was; its children are divided the same way, and a child
 * straddling the cut is cut in turn, down to the bottom. Resources to cut
 * are examined at the lower edge top-down, then at the upper edge
 * top-down; each must be @splittable. With nothing to cut this is exactly
 * insert_resource_conflict().
 *
 * Context: resource_lock held for write. The upper parts are allocated
 * with GFP_ATOMIC; the caller owns them once linked, as @res.
 * Return: 0 on success (@res is linked); -EBUSY if @res's range is
 * inverted or does not fit in @parent (conflict: @parent), or a resource to
 * cut is not @splittable (conflict: the first such); -ENOMEM.
 */
int insert_resource_over(struct resource *parent, struct resource *res,
			 resource_split_fn splittable, void *data,
			 struct resource **conflict);

/**
 * grow_resource - grow a resource in place
 * @res: the resource (not the root)
 * @start: the new start
 * @end: the new end ([@start, @end] must contain @res's range)
 * @grow_ancestors: let ancestors that are too small grow too
 * @conflict: set to the resource in the way, or NULL
 *
 * Siblings that the new range covers entirely become @res's children (in
 * address order with its own). With @grow_ancestors, each ancestor the new
 * range does not fit in grows to the smallest range holding its old range
 * and its grown child's, must then overlap none of its siblings (ancestors
 * never adopt) and fits its own parent or grows in turn, up to the root,
 * which never grows. Checks go bottom-up; the first failure is returned.
 *
 * Context: resource_lock held for write.
 * Return: 0 on success; -EINVAL if @res is the root, or [@start, @end] is
 * inverted or does not contain @res's range (no conflict); -EBUSY with the
 * lowest sibling the new range overlaps only in part; -EBUSY with the
 * parent if the new range does not fit in it and @grow_ancestors is false;
 * with @grow_ancestors, -EBUSY with the lowest sibling a grown ancestor
 * would overlap, or with the root if it would have to grow.
 */
int grow_resource(struct resource *res, resource_size_t start,
		  resource_size_t end, bool grow_ancestors,
		  struct resource **conflict);

/**
 * shrink_resource - shrink a resource in place
 * @res: the resource (not the root)
 * @start: the new start
 * @end: the new end ([@start, @end] must lie inside @res's range)
 * @conflict: set to the child in the way, or NULL
 *
 * Context: resource_lock held for write.
 * Return: 0 on success; -EINVAL if @res is the root or [@start, @end] is
 * inverted or not inside @res's range (no conflict); -EBUSY with the
 * lowest child the new range does not cover.
 */
int shrink_resource(struct resource *res, resource_size_t start,
		    resource_size_t end, struct resource **conflict);

/*
 * The rule chunk sizes follow (ResourceTree's ChunkGeometry): a non-zero
 * multiple of 256 MiB x ways, or exactly the memory-block size.
 */
struct resource_chunk_geometry {
	resource_size_t chunk_size;
	unsigned int ways;		/* 1, 2, 3, 4, 6, 8, 12 or 16 */
	resource_size_t memory_block_size;
	unsigned long max_new_chunks;	/* -E2BIG beyond */
};

/**
 * reserve_resource_chunks - cover a window's free space with chunks
 * @window: the window (not the root, not a chunk)
 * @geo: the chunk size and its rule
 * @nr_chunks: set to the number of chunks created (may be NULL)
 *
 * Every stretch of a slot of @window that none of its children overlaps
 * becomes one chunk. Records @geo->chunk_size as @window's chunk size
 * (replacing any earlier one).
 *
 * Context: resource_lock held for write. Chunks are allocated with
 * GFP_ATOMIC; the implementation owns and frees them.
 * Return: 0 on success; -EINVAL if @window is the root or a chunk, the
 * ways are not a CXL interleave or the chunk size breaks the rule; -E2BIG
 * if more than @geo->max_new_chunks chunks would be created; -ENOMEM. No
 * conflict in any case.
 */
int reserve_resource_chunks(struct resource *window,
			    const struct resource_chunk_geometry *geo,
			    unsigned long *nr_chunks);

/**
 * claim_resource_chunks - replace a run of chunks by a region
 * @window: the window holding the chunks
 * @res: the region (start, end, name, flags and desc set; unlinked)
 * @conflict: set to the resource in the way, or NULL
 *
 * @res's range must start at the start of a chunk of @window, end at the
 * end of one, and be covered without a gap by chunks that are consecutive
 * children of @window. They are freed and @res is linked in their place;
 * what they held (only possible if something was placed in a chunk)
 * becomes @res's. The range is walked from its start and the first problem
 * met is returned.
 *
 * Context: resource_lock held for write.
 * Return: 0 on success; -EINVAL if @res's range is inverted or not inside
 * @window (conflict: @window), if an edge cuts a chunk (conflict: that
 * chunk) or a part of the range is not covered by chunks (no conflict);
 * -EBUSY with the first child of @window in the range that is not a chunk.
 */
int claim_resource_chunks(struct resource *window, struct resource *res,
			  struct resource **conflict);

/**
 * return_resource_to_chunks - the inverse of claim_resource_chunks()
 * @res: a childless child of a window with a recorded chunk size
 * @nr_chunks: set to the number of chunks created (may be NULL)
 * @conflict: set to the resource in the way, or NULL
 *
 * Unlinks @res and covers its range with chunks cut at the window's slot
 * boundaries. The caller owns @res afterwards (as after
 * release_resource()).
 *
 * Context: resource_lock held for write. Chunks are allocated with
 * GFP_ATOMIC.
 * Return: 0 on success; -EINVAL if @res is the root or a chunk or its
 * parent has no chunk size (no conflict); -EBUSY with @res's first child;
 * -E2BIG if more than RESOURCE_RETURN_MAX_CHUNKS chunks would be needed;
 * -ENOMEM.
 */
int return_resource_to_chunks(struct resource *res, unsigned long *nr_chunks,
			      struct resource **conflict);

/**
 * release_unused_resource_chunks - free every chunk of a window
 * @window: the window (not the root, not a chunk)
 * @shrink: then shrink @window to the smallest range holding its children
 *	(unchanged if none remain)
 * @nr_chunks: set to the number of chunks freed (may be NULL)
 *
 * A chunk's children (only possible if something was placed in it) take
 * its place, as remove_resource() hoists them. The chunk size stays
 * recorded.
 *
 * Context: resource_lock held for write.
 * Return: 0 on success; -EINVAL if @window is the root or a chunk.
 */
int release_unused_resource_chunks(struct resource *window, bool shrink,
				   unsigned long *nr_chunks);

/**
 * resource_chunk_size - the chunk size recorded for a window
 * @window: any resource
 *
 * Context: resource_lock held (read or write).
 * Return: what reserve_resource_chunks() last recorded for @window, or 0.
 */
resource_size_t resource_chunk_size(const struct resource *window);

/**
 * resource_chunks_forget - drop what the side table holds for a resource
 * @res: a resource about to be freed (or already freed: only its address
 *	is used)
 *
 * Context: any; must be called before @res's memory can be reused for
 * another resource.
 */
void resource_chunks_forget(const struct resource *res);

#ifdef __cplusplus
}
#endif

#endif /* RESTREE_TESTS_KERNEL_SHIM_RESOURCE_REDESIGN_H_ */
