/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Grant tables: $XENEMU_DIR/gnt/d<domid> holds the domain's grant table in
 * Xen's grant_entry_v1_t layout, per-entry bookkeeping Xen would keep in its
 * active table (pin counts, owner), and the granted pages themselves: ref N
 * is page N of the file, so a peer maps it with one mmap of the same file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu.h"

static struct emu_gnt_table *tables[1u << 16];
static pthread_mutex_t tables_mutex = PTHREAD_MUTEX_INITIALIZER;

struct emu_gnt_table *emu_gnt_table(uint32_t domid, bool create)
{
	struct emu_gnt_table *t;
	char path[PATH_MAX];
	uint8_t *base;
	int fd;

	if (domid >= (1u << 16)) {
		errno = EINVAL;
		return NULL;
	}
	t = __atomic_load_n(&tables[domid], __ATOMIC_ACQUIRE);
	if (t != NULL)
		return t;

	pthread_mutex_lock(&tables_mutex);
	t = tables[domid];
	if (t != NULL)
		goto out;
	if (emu_path(path, sizeof(path), "gnt/d%u", domid) < 0)
		goto out;
	base = emu_map_file(path, EMU_GNT_FILE_SIZE, create, &fd);
	if (base == NULL)
		goto out;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		munmap(base, EMU_GNT_FILE_SIZE);
		close(fd);
		goto out;
	}
	t->domid = domid;
	t->fd = fd;
	pthread_mutex_init(&t->lock.mutex, NULL);
	t->lock.fd = fd;
	t->hdr = (struct emu_gnt_hdr *)base;
	t->ent = (grant_entry_v1_t *)(base + EMU_GNT_ENT_OFF);
	t->meta = (struct emu_gnt_meta *)(base + EMU_GNT_META_OFF);
	t->pages = base + EMU_GNT_PAGE_OFF;
	__atomic_store_n(&tables[domid], t, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&tables_mutex);
	return t;
}

/* {flags, domid} as one 32-bit word: what Xen and guests cmpxchg on. */
static uint32_t *ent_word(struct emu_gnt_table *t, uint32_t ref)
{
	return (uint32_t *)&t->ent[ref];
}

static void gnt_free(struct emu_gnt_table *t, uint32_t ref)
{
	struct emu_gnt_meta *m = &t->meta[ref];

	__atomic_store_n(ent_word(t, ref), 0, __ATOMIC_RELEASE);
	t->ent[ref].frame = 0;
	/* give the memory back; the next share must see a zeroed page */
	if (fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      emu_gnt_page_off(ref), EMU_PAGE_SIZE) < 0)
		memset(t->pages + (size_t)ref * EMU_PAGE_SIZE, 0, EMU_PAGE_SIZE);
	memset(m, 0, sizeof(*m));	/* state = EMU_GS_FREE */
}

/*
 * Like gnttab_end_foreign_access: revoke unless a peer still has it mapped
 * (GTF_reading/GTF_writing set), in which case the last unmap frees it.
 */
static void end_access_locked(struct emu_gnt_table *t, uint32_t ref)
{
	struct emu_gnt_meta *m = &t->meta[ref];
	uint32_t w = __atomic_load_n(ent_word(t, ref), __ATOMIC_ACQUIRE);

	if (m->state == EMU_GS_ALLOC)
		t->hdr->nr_alloc--;
	if (m->state == EMU_GS_FREE)
		return;
	if (w & (GTF_reading | GTF_writing))
		m->state = EMU_GS_ENDED;
	else
		gnt_free(t, ref);
}

void emu_gnt_end_access(struct emu_gnt_table *t, uint32_t ref)
{
	if (ref < EMU_GNT_NR)
		end_access_locked(t, ref);
}

/* Owner died: fire its unshare notification (as gntalloc's release does). */
static void owner_gone_locked(struct emu_gnt_table *t, uint32_t ref)
{
	struct emu_gnt_meta *m = &t->meta[ref];

	if (m->notify_off != EMU_NO_NOTIFY && m->notify_off < EMU_PAGE_SIZE)
		t->pages[(size_t)ref * EMU_PAGE_SIZE + m->notify_off] = 0;
	if (m->notify_port != EMU_NO_NOTIFY)
		emu_evtchn_send(t->domid, m->notify_port);
	end_access_locked(t, ref);
}

static void gc_table_locked(struct emu_gnt_table *t)
{
	pid_t last_pid = 0;
	uint64_t last_start = 0;
	bool last_alive = false;
	uint32_t ref;

	for (ref = EMU_GNT_FIRST; ref < EMU_GNT_NR; ref++) {
		struct emu_gnt_meta *m = &t->meta[ref];

		if (m->state != EMU_GS_ALLOC)
			continue;
		if (m->owner_pid != last_pid || m->owner_start != last_start) {
			last_pid = m->owner_pid;
			last_start = m->owner_start;
			last_alive = emu_owner_alive(last_pid, last_start);
		}
		if (!last_alive)
			owner_gone_locked(t, ref);
	}
}

void emu_gnt_gc_table(struct emu_gnt_table *t)
{
	emu_lock(&t->lock);
	gc_table_locked(t);
	emu_unlock(&t->lock);
}

int emu_gnt_alloc(struct emu_gnt_table *t, uint32_t domid, int count,
		  uint32_t *refs, bool writable)
{
	const struct emu_env *e = emu_env();
	const uint32_t span = EMU_GNT_NR - EMU_GNT_FIRST;
	uint32_t i, r, n = 0, hint;

	if (t->hdr->nr_alloc + (uint32_t)count > e->gntalloc_limit) {
		/* dead processes' grants may still count: reclaim them first */
		gc_table_locked(t);
		if (t->hdr->nr_alloc + (uint32_t)count > e->gntalloc_limit) {
			errno = ENOSPC;
			return -1;
		}
	}
	hint = t->hdr->hint;
	if (hint < EMU_GNT_FIRST || hint >= EMU_GNT_NR)
		hint = EMU_GNT_FIRST;
	for (i = 0; i < span && n < (uint32_t)count; i++) {
		r = EMU_GNT_FIRST + (hint - EMU_GNT_FIRST + i) % span;
		/* ENDED entries stay flagged until their last unmap */
		if (t->meta[r].state == EMU_GS_FREE &&
		    __atomic_load_n(ent_word(t, r), __ATOMIC_ACQUIRE) == 0)
			refs[n++] = r;
	}
	if (n < (uint32_t)count) {
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct emu_gnt_meta *m = &t->meta[refs[i]];
		uint32_t expect = 0, want;

		m->owner_pid = e->pid;
		m->owner_start = e->start;
		m->notify_off = EMU_NO_NOTIFY;
		m->notify_port = EMU_NO_NOTIFY;
		m->pins = m->pins_w = 0;
		m->state = EMU_GS_ALLOC;
		/* the guest's side of granting: frame first, then flags */
		t->ent[refs[i]].frame = refs[i];
		want = (domid << 16) | GTF_permit_access |
		       (writable ? 0 : GTF_readonly);
		__atomic_compare_exchange_n(ent_word(t, refs[i]), &expect, want,
					    false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
	}
	t->hdr->nr_alloc += n;
	t->hdr->hint = refs[n - 1] + 1;
	return 0;
}

/* Update GTF_reading/GTF_writing from the pin counts, as Xen does. */
static void set_pin_flags(struct emu_gnt_table *t, uint32_t ref)
{
	struct emu_gnt_meta *m = &t->meta[ref];
	uint32_t *word = ent_word(t, ref);
	uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE), new;

	do {
		new = old & ~(uint32_t)(GTF_reading | GTF_writing);
		if (m->pins)
			new |= GTF_reading;
		if (m->pins_w)
			new |= GTF_writing;
	} while (!__atomic_compare_exchange_n(word, &old, new, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
}

int emu_gnt_pin(struct emu_gnt_table *t, uint32_t ref, bool write)
{
	const struct emu_env *e = emu_env();
	struct emu_gnt_meta *m;
	uint32_t w;
	int rc = -1;

	if (ref >= EMU_GNT_NR) {
		errno = EINVAL;
		return -1;
	}
	m = &t->meta[ref];
	emu_lock(&t->lock);
	w = __atomic_load_n(ent_word(t, ref), __ATOMIC_ACQUIRE);
	if ((w & GTF_type_mask) != GTF_permit_access || (w >> 16) != e->domid ||
	    m->state != EMU_GS_ALLOC || (write && (w & GTF_readonly))) {
		errno = EINVAL;
		goto out;
	}
	m->pins++;
	if (write)
		m->pins_w++;
	set_pin_flags(t, ref);
	rc = 0;
out:
	emu_unlock(&t->lock);
	return rc;
}

void emu_gnt_unpin(struct emu_gnt_table *t, uint32_t ref, bool write)
{
	struct emu_gnt_meta *m;

	if (ref >= EMU_GNT_NR)
		return;
	m = &t->meta[ref];
	emu_lock(&t->lock);
	if (m->pins == 0)
		goto out;
	m->pins--;
	if (write && m->pins_w)
		m->pins_w--;
	set_pin_flags(t, ref);
	if (m->pins)
		goto out;
	if (m->state == EMU_GS_ENDED)
		gnt_free(t, ref);
	else if (m->state == EMU_GS_ALLOC &&
		 !emu_owner_alive(m->owner_pid, m->owner_start))
		owner_gone_locked(t, ref);	/* sharer died meanwhile */
out:
	emu_unlock(&t->lock);
}

/* ---- journal of our foreign mappings ---- */

#define JNL_SIZE (sizeof(struct emu_jnl_hdr) + \
		  (size_t)EMU_JNL_NR * sizeof(struct emu_jnl_rec))

static struct {
	pthread_mutex_t mutex;
	pid_t pid;		/* process the mapping below belongs to */
	struct emu_jnl_hdr *hdr;
	struct emu_jnl_rec *rec;
	uint32_t hint;
} jnl = { .mutex = PTHREAD_MUTEX_INITIALIZER };

static void reap_journal(const char *name);

static int jnl_open(const struct emu_env *e)
{
	char path[PATH_MAX], name[64];
	struct emu_jnl_hdr old;
	void *p;
	int fd;

	if (jnl.hdr != NULL && jnl.pid == e->pid)
		return 0;
	if (jnl.hdr != NULL)	/* inherited across fork: the parent's */
		munmap(jnl.hdr, JNL_SIZE);
	jnl.hdr = NULL;

	snprintf(name, sizeof(name), "maps-%u-%d", e->domid, (int)e->pid);
	if (emu_path(path, sizeof(path), "gnt/%s", name) < 0)
		return -1;
	/* a journal left by a dead process that had our pid */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &old, sizeof(old), 0) == sizeof(old) &&
		    old.start != e->start)
			reap_journal(name);
		close(fd);
	}
	p = emu_map_file(path, JNL_SIZE, true, &fd);
	if (p == NULL)
		return -1;
	close(fd);
	jnl.hdr = p;
	jnl.rec = (struct emu_jnl_rec *)(jnl.hdr + 1);
	jnl.hdr->domid = e->domid;
	jnl.hdr->start = e->start;
	__atomic_store_n(&jnl.hdr->pid, e->pid, __ATOMIC_RELEASE);
	jnl.pid = e->pid;
	jnl.hint = 0;
	return 0;
}

int64_t emu_jnl_add(uint32_t domid, uint32_t ref, bool write,
		    uint32_t notify_off, uint32_t notify_port)
{
	const struct emu_env *e = emu_env();
	int64_t slot = -1;
	uint32_t i, k;

	if (e == NULL)
		return -1;
	pthread_mutex_lock(&jnl.mutex);
	if (jnl_open(e) < 0)
		goto out;
	for (i = 0; i < EMU_JNL_NR; i++) {
		k = (jnl.hint + i) % EMU_JNL_NR;
		if (jnl.rec[k].flags & EMU_JF_USED)
			continue;
		jnl.rec[k].domid = domid;
		jnl.rec[k].ref = ref;
		jnl.rec[k].notify_off = notify_off;
		jnl.rec[k].notify_port = notify_port;
		__atomic_store_n(&jnl.rec[k].flags,
				 EMU_JF_USED | (write ? EMU_JF_WRITE : 0),
				 __ATOMIC_RELEASE);
		__atomic_fetch_add(&jnl.hdr->used, 1, __ATOMIC_RELAXED);
		jnl.hint = k + 1;
		slot = k;
		break;
	}
	if (slot < 0)
		errno = ENOSPC;
out:
	pthread_mutex_unlock(&jnl.mutex);
	return slot;
}

void emu_jnl_del(int64_t slot)
{
	if (slot < 0 || slot >= EMU_JNL_NR)
		return;
	pthread_mutex_lock(&jnl.mutex);
	if (jnl.hdr != NULL && jnl.pid == emu_env()->pid &&
	    (jnl.rec[slot].flags & EMU_JF_USED)) {
		__atomic_store_n(&jnl.rec[slot].flags, 0, __ATOMIC_RELEASE);
		__atomic_fetch_sub(&jnl.hdr->used, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&jnl.mutex);
}

/*
 * Drop the pins of a dead process's journal and fire its unmap
 * notifications. Renaming it first makes exactly one reaper do it.
 */
static void reap_journal(const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct emu_jnl_hdr *h;
	struct emu_jnl_rec *r;
	uint32_t i;
	void *p;
	int fd;

	if (emu_path(from, sizeof(from), "gnt/%s", name) < 0 ||
	    emu_path(to, sizeof(to), "gnt/reap-%s-%d", name,
		     (int)emu_env()->pid) < 0)
		return;
	if (rename(from, to) < 0)
		return;
	p = emu_map_file(to, JNL_SIZE, false, &fd);
	if (p == NULL) {
		unlink(to);
		return;
	}
	close(fd);
	h = p;
	r = (struct emu_jnl_rec *)(h + 1);
	for (i = 0; i < EMU_JNL_NR && h->used; i++) {
		struct emu_gnt_table *t;
		bool write = r[i].flags & EMU_JF_WRITE;

		if (!(r[i].flags & EMU_JF_USED))
			continue;
		h->used--;
		t = emu_gnt_table(r[i].domid, false);
		if (t == NULL)
			continue;
		if (write && r[i].notify_off < EMU_PAGE_SIZE)
			t->pages[(size_t)r[i].ref * EMU_PAGE_SIZE +
				 r[i].notify_off] = 0;
		emu_gnt_unpin(t, r[i].ref, write);
		if (r[i].notify_port != EMU_NO_NOTIFY)
			emu_evtchn_send(h->domid, r[i].notify_port);
	}
	munmap(p, JNL_SIZE);
	unlink(to);
}

static bool jnl_header(const char *name, struct emu_jnl_hdr *h)
{
	char path[PATH_MAX];
	int fd;
	bool ok;

	if (emu_path(path, sizeof(path), "gnt/%s", name) < 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = pread(fd, h, sizeof(*h), 0) == sizeof(*h);
	close(fd);
	/* pid 0: creator has not written the header yet */
	return ok && h->pid != 0;
}

/* Call fn for every journal of a live process, reaping the dead ones. */
static void scan_journals(void (*fn)(const struct emu_jnl_hdr *, void *),
			  void *arg)
{
	char path[PATH_MAX];
	struct emu_jnl_hdr h;
	struct dirent *d;
	DIR *dir;

	if (emu_path(path, sizeof(path), "gnt") < 0)
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, "maps-", 5) != 0 ||
		    !jnl_header(d->d_name, &h))
			continue;
		if (emu_owner_alive(h.pid, h.start)) {
			if (fn != NULL)
				fn(&h, arg);
		} else {
			reap_journal(d->d_name);
		}
	}
	closedir(dir);
}

void emu_gnt_gc_all(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	unsigned int dom;
	char c;
	DIR *dir;

	scan_journals(NULL, NULL);
	if (emu_path(path, sizeof(path), "gnt") < 0)
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		struct emu_gnt_table *t;

		if (sscanf(d->d_name, "d%u%c", &dom, &c) != 1)
			continue;
		t = emu_gnt_table(dom, false);
		if (t != NULL)
			emu_gnt_gc_table(t);
	}
	closedir(dir);
}

uint64_t emu_gnt_count_shared(uint32_t domid)
{
	struct emu_gnt_table *t = emu_gnt_table(domid, false);
	pid_t last_pid = 0;
	uint64_t last_start = 0, n = 0;
	bool alive = false;
	uint32_t ref;

	if (t == NULL)
		return 0;
	for (ref = EMU_GNT_FIRST; ref < EMU_GNT_NR; ref++) {
		struct emu_gnt_meta *m = &t->meta[ref];

		if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != EMU_GS_ALLOC)
			continue;
		if (m->owner_pid != last_pid || m->owner_start != last_start) {
			last_pid = m->owner_pid;
			last_start = m->owner_start;
			alive = emu_owner_alive(last_pid, last_start);
		}
		n += alive;
	}
	return n;
}

struct count_arg {
	uint32_t domid;
	uint64_t n;
};

static void count_mapped(const struct emu_jnl_hdr *h, void *arg)
{
	struct count_arg *a = arg;

	if (h->domid == a->domid)
		a->n += h->used;
}

uint64_t emu_gnt_count_mapped(uint32_t domid)
{
	struct count_arg a = { .domid = domid, .n = 0 };

	scan_journals(count_mapped, &a);
	return a.n;
}
