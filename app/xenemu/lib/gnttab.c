/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libxengnttab.so.1 replacement: xengnttab_* (gntdev: map foreign grants)
 * and xengntshr_* (gntalloc: share our pages) on top of emu_gnt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>

#include "emu.h"

#define EXPORT __attribute__((visibility("default")))

struct emu_page {
	uint32_t domid;		/* granting domain */
	uint32_t ref;
	bool write;
	bool live;		/* not yet unmapped/unshared */
	int64_t jslot;		/* journal record of a foreign mapping */
};

/* One mmap'ed range handed to the caller. */
struct region {
	struct region *next;
	uint8_t *addr;
	uint32_t count;
	uint32_t live;
	uint32_t notify_off;	/* for page 0 (the *_notify calls map one) */
	uint32_t notify_port;
	struct emu_page pg[];
};

struct xengntdev_handle {
	int fd;			/* /dev/null: what *_fd() returns */
	pid_t pid;		/* a fork child must not touch our state */
	bool shr;		/* xengntshr (gntalloc) handle */
	uint32_t max_grants;	/* gntdev limit */
	uint32_t mapped;	/* pages mapped through this handle now */
	pthread_mutex_t lock;
	struct region *regions;
};

static struct xengntdev_handle *handle_open(bool shr)
{
	const struct emu_env *e = emu_env();
	struct xengntdev_handle *h;

	if (e == NULL)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		free(h);
		return NULL;
	}
	h->pid = e->pid;
	h->shr = shr;
	h->max_grants = e->gntdev_limit;
	pthread_mutex_init(&h->lock, NULL);
	/* reclaim what dead processes left behind before we count limits */
	emu_gnt_gc_all();
	return h;
}

static struct region *region_new(uint32_t count)
{
	struct region *r = calloc(1, sizeof(*r) + count * sizeof(r->pg[0]));
	void *p;

	if (r == NULL)
		return NULL;
	/* reserve the range, then MAP_FIXED each page over it */
	p = mmap(NULL, (size_t)count * EMU_PAGE_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(r);
		return NULL;
	}
	r->addr = p;
	r->count = count;
	r->notify_off = EMU_NO_NOTIFY;
	r->notify_port = EMU_NO_NOTIFY;
	return r;
}

static int map_page(struct region *r, uint32_t i, struct emu_gnt_table *t,
		    uint32_t ref, int prot)
{
	void *p = mmap(r->addr + (size_t)i * EMU_PAGE_SIZE, EMU_PAGE_SIZE,
		       prot, MAP_SHARED | MAP_FIXED, t->fd,
		       emu_gnt_page_off(ref));

	return p == MAP_FAILED ? -1 : 0;
}

/* Unmap notification byte: before the page goes away. */
static void clear_notify_byte(struct region *r, uint32_t i, bool shr)
{
	if (i == 0 && r->pg[0].live && r->notify_off < EMU_PAGE_SIZE &&
	    (shr || r->pg[0].write))
		r->addr[r->notify_off] = 0;
}

/* Give back the grant behind page i (already unmapped) and notify. */
static void release_grant(struct region *r, uint32_t i, bool shr)
{
	struct emu_page *pg = &r->pg[i];
	struct emu_gnt_table *t;

	if (!pg->live)
		return;
	pg->live = false;
	r->live--;
	t = emu_gnt_table(pg->domid, false);
	if (t != NULL) {
		if (shr) {
			emu_lock(&t->lock);
			emu_gnt_end_access(t, pg->ref);
			emu_unlock(&t->lock);
		} else {
			emu_gnt_unpin(t, pg->ref, pg->write);
			emu_jnl_del(pg->jslot);
		}
	}
	if (i == 0 && r->notify_port != EMU_NO_NOTIFY)
		emu_evtchn_send(emu_env()->domid, r->notify_port);
}

/*
 * Unmap a whole region with one munmap: unmapping page by page would let
 * another thread's mmap land in the hole before we unmap the rest.
 */
static void region_release(struct region *r, bool shr)
{
	uint32_t i;

	clear_notify_byte(r, 0, shr);
	munmap(r->addr, (size_t)r->count * EMU_PAGE_SIZE);
	for (i = 0; i < r->count; i++)
		release_grant(r, i, shr);
}

static void handle_close(struct xengntdev_handle *h)
{
	struct region *r, *next;

	for (r = h->regions; r != NULL; r = next) {
		next = r->next;
		/* in a fork child the regions are the parent's to release */
		if (h->pid == emu_env()->pid)
			region_release(r, h->shr);
		free(r);
	}
	close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---- xengnttab: gntdev ---- */

EXPORT xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
					unsigned open_flags)
{
	return handle_open(false);
}

EXPORT int xengnttab_close(xengnttab_handle *xgt)
{
	if (xgt != NULL)
		handle_close(xgt);
	return 0;
}

EXPORT int xengnttab_fd(xengnttab_handle *xgt)
{
	return xgt->fd;
}

EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	const struct emu_env *e = emu_env();

	pthread_mutex_lock(&xgt->lock);
	xgt->max_grants = nr_grants < e->gntdev_limit ? nr_grants :
							 e->gntdev_limit;
	pthread_mutex_unlock(&xgt->lock);
	return 0;
}

static void *map_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
		      uint32_t domid_stride, uint32_t *refs, int prot,
		      uint32_t notify_off, uint32_t notify_port)
{
	const struct emu_env *e = emu_env();
	bool write = prot & PROT_WRITE;
	struct region *r;
	uint32_t i;
	int err;

	emu_acct_add(e->domid, EMU_CTR_MAP_CALLS, 1);
	if (count == 0 || (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&xgt->lock);
	/* gntdev refuses requests over its limit with EINVAL */
	if (count > xgt->max_grants || xgt->mapped + count > xgt->max_grants) {
		pthread_mutex_unlock(&xgt->lock);
		errno = EINVAL;
		return NULL;
	}
	xgt->mapped += count;
	pthread_mutex_unlock(&xgt->lock);

	r = region_new(count);
	if (r == NULL) {
		err = errno;
		goto fail_count;
	}
	for (i = 0; i < count; i++) {
		uint32_t domid = domids[i * domid_stride];
		struct emu_page *pg = &r->pg[i];
		struct emu_gnt_table *t = emu_gnt_table(domid, false);

		if (t == NULL || emu_gnt_pin(t, refs[i], write) < 0) {
			err = EINVAL;	/* no such grant: gntdev's mmap fails */
			goto fail;
		}
		pg->domid = domid;
		pg->ref = refs[i];
		pg->write = write;
		pg->live = true;
		r->live++;
		pg->jslot = emu_jnl_add(domid, refs[i], write,
					i == 0 ? notify_off : EMU_NO_NOTIFY,
					i == 0 ? notify_port : EMU_NO_NOTIFY);
		if (pg->jslot < 0 || map_page(r, i, t, refs[i], prot) < 0) {
			err = errno;
			goto fail;
		}
	}
	r->notify_off = notify_off;
	r->notify_port = notify_port;
	pthread_mutex_lock(&xgt->lock);
	r->next = xgt->regions;
	xgt->regions = r;
	pthread_mutex_unlock(&xgt->lock);
	return r->addr;

fail:
	region_release(r, false);
	free(r);
fail_count:
	pthread_mutex_lock(&xgt->lock);
	xgt->mapped -= count;
	pthread_mutex_unlock(&xgt->lock);
	errno = err;
	return NULL;
}

EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
				     uint32_t ref, int prot)
{
	return map_refs(xgt, 1, &domid, 0, &ref, prot,
			EMU_NO_NOTIFY, EMU_NO_NOTIFY);
}

EXPORT void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count,
				      uint32_t *domids, uint32_t *refs,
				      int prot)
{
	return map_refs(xgt, count, domids, 1, refs, prot,
			EMU_NO_NOTIFY, EMU_NO_NOTIFY);
}

EXPORT void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt,
					     uint32_t count, uint32_t domid,
					     uint32_t *refs, int prot)
{
	return map_refs(xgt, count, &domid, 0, refs, prot,
			EMU_NO_NOTIFY, EMU_NO_NOTIFY);
}

EXPORT void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt,
					    uint32_t domid, uint32_t ref,
					    int prot, uint32_t notify_offset,
					    evtchn_port_t notify_port)
{
	return map_refs(xgt, 1, &domid, 0, &ref, prot, notify_offset,
			notify_port);
}

/* Take region r starting at addr out of h's list. */
static struct region *region_take(struct xengntdev_handle *h, void *addr)
{
	struct region **pp, *r;

	for (pp = &h->regions; (r = *pp) != NULL; pp = &r->next) {
		if (r->addr == addr) {
			*pp = r->next;
			return r;
		}
	}
	return NULL;
}

EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
			   uint32_t count)
{
	struct region *r;

	emu_acct_add(emu_env()->domid, EMU_CTR_UNMAP_CALLS, 1);
	pthread_mutex_lock(&xgt->lock);
	r = region_take(xgt, start_address);
	if (r != NULL && r->count != count) {
		/* gntdev unmaps whole mappings only */
		r->next = xgt->regions;
		xgt->regions = r;
		r = NULL;
	}
	if (r != NULL)
		xgt->mapped -= r->count;
	pthread_mutex_unlock(&xgt->lock);
	if (r == NULL) {
		errno = EINVAL;
		return -1;
	}
	region_release(r, false);
	free(r);
	return 0;
}

/* Pointer into a foreign grant for copying, or a GNTST_* status. */
static int16_t copy_ptr(const struct emu_env *e,
			const union xengnttab_copy_ptr *p, uint16_t len,
			bool write, uint8_t **out)
{
	struct emu_gnt_table *t = emu_gnt_table(p->foreign.domid, false);
	uint32_t ref = p->foreign.ref, w;

	if (t == NULL || ref >= EMU_GNT_NR)
		return GNTST_bad_gntref;
	w = __atomic_load_n((uint32_t *)&t->ent[ref], __ATOMIC_ACQUIRE);
	if ((w & GTF_type_mask) != GTF_permit_access || (w >> 16) != e->domid ||
	    t->meta[ref].state != EMU_GS_ALLOC)
		return GNTST_bad_gntref;
	if (write && (w & GTF_readonly))
		return GNTST_general_error;
	*out = t->pages + (size_t)ref * EMU_PAGE_SIZE + p->foreign.offset;
	return GNTST_okay;
}

EXPORT int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
				xengnttab_grant_copy_segment_t *segs)
{
	const struct emu_env *e = emu_env();
	uint64_t errors = 0;
	uint32_t i;

	emu_acct_add(e->domid, EMU_CTR_COPY_CALLS, 1);
	emu_acct_add(e->domid, EMU_CTR_COPY_SEGS, count);
	/* gntdev validates every segment before copying any */
	for (i = 0; i < count; i++) {
		const xengnttab_grant_copy_segment_t *s = &segs[i];

		if (!(s->flags & (GNTCOPY_source_gref | GNTCOPY_dest_gref)) ||
		    ((s->flags & GNTCOPY_source_gref) &&
		     s->source.foreign.offset + s->len > EMU_PAGE_SIZE) ||
		    ((s->flags & GNTCOPY_dest_gref) &&
		     s->dest.foreign.offset + s->len > EMU_PAGE_SIZE)) {
			emu_acct_add(e->domid, EMU_CTR_COPY_ERRORS, count);
			errno = EINVAL;
			return -1;
		}
	}
	for (i = 0; i < count; i++) {
		xengnttab_grant_copy_segment_t *s = &segs[i];
		uint8_t *src = s->source.virt, *dst = s->dest.virt;
		int16_t st = GNTST_okay;

		if (s->flags & GNTCOPY_source_gref)
			st = copy_ptr(e, &s->source, s->len, false, &src);
		if (st == GNTST_okay && (s->flags & GNTCOPY_dest_gref))
			st = copy_ptr(e, &s->dest, s->len, true, &dst);
		if (st == GNTST_okay)
			memmove(dst, src, s->len);
		else
			errors++;
		s->status = st;
	}
	emu_acct_add(e->domid, EMU_CTR_COPY_ERRORS, errors);
	return 0;
}

/* dma-buf needs the kernel: not emulated. */
EXPORT int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt,
					  uint32_t domid, uint32_t flags,
					  uint32_t count, const uint32_t *refs,
					  uint32_t *fd)
{
	errno = ENOSYS;
	return -1;
}

EXPORT int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt,
					      uint32_t fd, uint32_t wait_to_ms)
{
	errno = ENOSYS;
	return -1;
}

EXPORT int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid,
					uint32_t fd, uint32_t count,
					uint32_t *refs)
{
	errno = ENOSYS;
	return -1;
}

EXPORT int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
	errno = ENOSYS;
	return -1;
}

/* ---- xengntshr: gntalloc ---- */

EXPORT xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger,
					unsigned open_flags)
{
	return handle_open(true);
}

EXPORT int xengntshr_close(xengntshr_handle *xgs)
{
	if (xgs != NULL)
		handle_close(xgs);
	return 0;
}

EXPORT int xengntshr_fd(xengntshr_handle *xgs)
{
	return xgs->fd;
}

static void *share(xengntshr_handle *xgs, uint32_t domid, int count,
		   uint32_t *refs, int writable, uint32_t notify_off,
		   uint32_t notify_port)
{
	const struct emu_env *e = emu_env();
	struct emu_gnt_table *t;
	struct region *r;
	int i, err;

	if (count <= 0 || domid >= (1u << 16)) {
		errno = EINVAL;
		return NULL;
	}
	t = emu_gnt_table(e->domid, true);
	if (t == NULL)
		return NULL;
	r = region_new(count);
	if (r == NULL)
		return NULL;
	emu_lock(&t->lock);
	if (emu_gnt_alloc(t, domid, count, refs, writable) < 0) {
		err = errno;
		emu_unlock(&t->lock);
		munmap(r->addr, (size_t)count * EMU_PAGE_SIZE);
		free(r);
		errno = err;
		return NULL;
	}
	if (count == 1) {
		t->meta[refs[0]].notify_off = notify_off;
		t->meta[refs[0]].notify_port = notify_port;
	}
	emu_unlock(&t->lock);
	for (i = 0; i < count; i++) {
		r->pg[i].domid = e->domid;
		r->pg[i].ref = refs[i];
		r->pg[i].write = true;
		r->pg[i].live = true;
		r->pg[i].jslot = -1;
		r->live++;
	}
	for (i = 0; i < count; i++) {
		if (map_page(r, i, t, refs[i], PROT_READ | PROT_WRITE) < 0) {
			err = errno;
			region_release(r, true);
			free(r);
			errno = err;
			return NULL;
		}
	}
	r->notify_off = notify_off;
	r->notify_port = notify_port;
	pthread_mutex_lock(&xgs->lock);
	r->next = xgs->regions;
	xgs->regions = r;
	pthread_mutex_unlock(&xgs->lock);
	return r->addr;
}

EXPORT void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid,
				   int count, uint32_t *refs, int writable)
{
	return share(xgs, domid, count, refs, writable, EMU_NO_NOTIFY,
		     EMU_NO_NOTIFY);
}

EXPORT void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid,
					 uint32_t *ref, int writable,
					 uint32_t notify_offset,
					 evtchn_port_t notify_port)
{
	return share(xgs, domid, 1, ref, writable, notify_offset, notify_port);
}

/* Like munmap of a gntalloc mapping: any page range of one share call. */
EXPORT int xengntshr_unshare(xengntshr_handle *xgs, void *start_address,
			     uint32_t count)
{
	uint8_t *start = start_address;
	struct region **pp, *r;
	uint32_t first, i;

	pthread_mutex_lock(&xgs->lock);
	for (pp = &xgs->regions; (r = *pp) != NULL; pp = &r->next)
		if (start >= r->addr &&
		    start < r->addr + (size_t)r->count * EMU_PAGE_SIZE)
			break;
	if (r == NULL || ((uintptr_t)start & (EMU_PAGE_SIZE - 1)) ||
	    (start - r->addr) / EMU_PAGE_SIZE + count > r->count) {
		pthread_mutex_unlock(&xgs->lock);
		errno = EINVAL;
		return -1;
	}
	first = (start - r->addr) / EMU_PAGE_SIZE;
	if (first == 0)
		clear_notify_byte(r, 0, true);
	/* keep the range reserved until the whole region goes */
	mmap(start, (size_t)count * EMU_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	for (i = first; i < first + count; i++)
		release_grant(r, i, true);
	if (r->live == 0) {
		*pp = r->next;
		munmap(r->addr, (size_t)r->count * EMU_PAGE_SIZE);
		free(r);
	}
	pthread_mutex_unlock(&xgs->lock);
	return 0;
}
