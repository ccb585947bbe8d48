/* SPDX-License-Identifier: MIT */
/*
 * Shim <linux/vmalloc.h>: the kvmalloc family (resource.c of 6.12 keeps a
 * growing array in walk_system_ram_res_rev()).  Plain calloc/realloc/free
 * with the shim's failure injection (shim_api.h); the buffers are not
 * "slab" objects, as vmalloc'd memory is not.  kvrealloc() has 6.12's
 * signature (pointer, new size, flags) and does not zero what it adds.
 */
#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H
#include <shim/core.h>
#ifdef __cplusplus
extern "C" {
#endif
void *kvmalloc(size_t size, gfp_t flags);
void *kvcalloc(size_t n, size_t size, gfp_t flags);
void *kvrealloc(const void *p, size_t size, gfp_t flags);
void kvfree(const void *p);
#ifdef __cplusplus
}
#endif
#endif
