/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the emulated grant tables and event channels, with several
 * processes acting as domains. "emu_test CASE" is the dom0 side; it
 * re-executes itself as "emu_test --child ROLE FD" with XENEMU_DOMID set
 * for the other domains, and talks to them over a socketpair.
 *
 * Linked against the real libraries' sonames; LD_LIBRARY_PATH must bring in
 * the replacements, which every process checks in /proc/self/maps.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "emu.h"	/* file layout, to look at the grant table directly */

static const char *self_role = "dom0";

#define CHECK(cond) do {						\
	if (!(cond))							\
		fail("%s:%d: CHECK(%s) failed (errno %d %s)", __FILE__,	\
		     __LINE__, #cond, errno, strerror(errno));		\
} while (0)

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%s] FAIL: ", self_role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- which libraries got loaded ---- */

static void check_loaded(void)
{
	const char *want = getenv("XENEMU_LIBDIR");
	char real_want[PATH_MAX], line[PATH_MAX + 256], dir[PATH_MAX];
	static const char *const libs[] = {
		"libxengnttab.so.1", "libxenevtchn.so.1"
	};
	bool found[2] = { false, false };
	unsigned int i;
	FILE *f;

	if (want == NULL || realpath(want, real_want) == NULL)
		fail("XENEMU_LIBDIR not set or missing");
	f = fopen("/proc/self/maps", "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *path = strchr(line, '/'), *slash;

		if (path == NULL)
			continue;
		path[strcspn(path, "\n")] = '\0';
		slash = strrchr(path, '/');
		for (i = 0; i < 2; i++) {
			/* the real ones are libxen*.so.1.x: catch them too */
			if (strncmp(slash + 1, libs[i], strlen(libs[i]) - 2))
				continue;
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
				 path);
			if (realpath(dir, line) == NULL ||
			    strcmp(line, real_want) != 0)
				fail("%s loaded from %s, not from %s", libs[i],
				     dir, real_want);
			found[i] = true;
			break;
		}
	}
	fclose(f);
	for (i = 0; i < 2; i++)
		if (!found[i])
			fail("%s is not loaded", libs[i]);
}

/* ---- messages between the domains ---- */

struct msg {
	uint32_t v[16];
};

static void send_msg(int fd, uint32_t n, ...)
{
	struct msg m = { { 0 } };
	va_list ap;
	uint32_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		m.v[i] = va_arg(ap, uint32_t);
	va_end(ap);
	CHECK(send(fd, &m, sizeof(m), MSG_NOSIGNAL) == sizeof(m));
}

static struct msg recv_msg(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct msg m;

	if (poll(&p, 1, 20000) != 1)
		fail("no message from peer in 20s");
	if (recv(fd, &m, sizeof(m), 0) != sizeof(m))
		fail("peer hung up");
	return m;
}

static const char *self_exe;

/* Start a domain-`domid` process running `role`; returns its socket. */
static int spawn(uint32_t domid, const char *role, pid_t *pidp,
		 const char *extra_env)
{
	char fdbuf[16], dombuf[16];
	int sv[2];
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int fd = dup(sv[1]);	/* without CLOEXEC */

		snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
		snprintf(dombuf, sizeof(dombuf), "%u", domid);
		setenv("XENEMU_DOMID", dombuf, 1);
		if (extra_env != NULL)
			putenv((char *)extra_env);
		execl(self_exe, self_exe, "--child", role, fdbuf, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (pidp != NULL)
		*pidp = pid;
	return sv[0];
}

static void reap(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("child %d failed (status 0x%x)", (int)pid, st);
}

/* ---- accounting through xenemu-acct --json ---- */

static char acct_json[65536];

static void acct_read(void)
{
	const char *tool = getenv("XENEMU_ACCT");
	char cmd[PATH_MAX + 32];
	size_t n;
	FILE *f;

	CHECK(tool != NULL);
	snprintf(cmd, sizeof(cmd), "%s --json", tool);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	n = fread(acct_json, 1, sizeof(acct_json) - 1, f);
	acct_json[n] = '\0';
	CHECK(pclose(f) == 0);
}

/* Value of key for domain dom in the last acct_read(); 0 if absent. */
static uint64_t acct_get(uint32_t dom, const char *key)
{
	char pat[64], *obj, *end, *k;

	snprintf(pat, sizeof(pat), "\"%u\": {", dom);
	obj = strstr(acct_json, pat);
	if (obj == NULL)
		return 0;
	end = strchr(obj, '}');
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	k = strstr(obj, pat);
	if (k == NULL || k > end)
		fail("acct: no %s for domain %u in %s", key, dom, acct_json);
	return strtoull(k + strlen(pat), NULL, 10);
}

static void expect_acct(uint32_t dom, const char *key, uint64_t want)
{
	uint64_t got = acct_get(dom, key);

	if (got != want)
		fail("acct dom%u %s = %llu, want %llu\n%s", dom, key,
		     (unsigned long long)got, (unsigned long long)want,
		     acct_json);
}

static void expect_held_zero(uint32_t dom)
{
	expect_acct(dom, "shared", 0);
	expect_acct(dom, "mapped", 0);
	expect_acct(dom, "evtchn_bound", 0);
}

/* ---- event channel helpers ---- */

static int epoll_for(xenevtchn_handle *x)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	CHECK(ep >= 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, xenevtchn_fd(x), &ev) == 0);
	return ep;
}

static bool readable(int ep, int ms)
{
	struct epoll_event ev;

	return epoll_wait(ep, &ev, 1, ms) == 1;
}

static void expect_event(int ep, xenevtchn_handle *x, int port)
{
	if (!readable(ep, 5000))
		fail("no event for port %d", port);
	CHECK(xenevtchn_pending(x) == port);
}

/* ---- grant table file, looked at directly ---- */

static uint32_t grant_word(uint32_t domid, uint32_t ref)
{
	char path[PATH_MAX];
	uint32_t w;
	FILE *f;

	snprintf(path, sizeof(path), "%s/gnt/d%u", getenv("XENEMU_DIR"), domid);
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK(fseek(f, EMU_GNT_ENT_OFF + ref * sizeof(grant_entry_v1_t),
		    SEEK_SET) == 0);
	CHECK(fread(&w, sizeof(w), 1, f) == 1);
	fclose(f);
	return w;
}

/* ================= cases ================= */

/* Share pages, a peer maps them, writes are seen both ways. */
static void case_share_map(void)
{
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	uint32_t refs[3];
	uint8_t *p;
	pid_t pid;
	int sk, i;

	CHECK(s != NULL);
	p = xengntshr_share_pages(s, 1, 3, refs, 1);
	CHECK(p != NULL);
	for (i = 0; i < 3; i++)
		memset(p + i * 4096, 0xa0 + i, 4096);
	acct_read();
	expect_acct(0, "shared", 3);

	sk = spawn(1, "mapper", &pid, NULL);
	send_msg(sk, 3, refs[0], refs[1], refs[2]);
	recv_msg(sk);		/* mapped and written */
	for (i = 0; i < 3; i++) {
		CHECK(p[i * 4096] == 0xb0 + i);
		CHECK(p[i * 4096 + 4095] == 0xb0 + i);
	}
	acct_read();
	expect_acct(1, "mapped", 3 + 3 + 1);
	send_msg(sk, 0);
	reap(pid);

	acct_read();
	expect_acct(1, "mapped", 0);
	expect_acct(1, "map_calls", 3);
	expect_acct(1, "unmap_calls", 4);	/* one refused */
	CHECK(xengntshr_unshare(s, p, 3) == 0);
	acct_read();
	expect_held_zero(0);
	for (i = 0; i < 3; i++)
		CHECK(grant_word(0, refs[i]) == 0);
	xengntshr_close(s);
}

static void child_mapper(int sk)
{
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	struct msg m = recv_msg(sk);
	uint32_t doms[3] = { 0, 0, 0 }, refs[3] = { m.v[0], m.v[1], m.v[2] };
	uint8_t *a, *b, *c;
	int i;

	CHECK(g != NULL);
	a = xengnttab_map_domain_grant_refs(g, 3, 0, refs,
					    PROT_READ | PROT_WRITE);
	CHECK(a != NULL);
	b = xengnttab_map_grant_refs(g, 3, doms, refs, PROT_READ);
	CHECK(b != NULL);
	c = xengnttab_map_grant_ref(g, 0, refs[1], PROT_READ | PROT_WRITE);
	CHECK(c != NULL);
	for (i = 0; i < 3; i++) {
		CHECK(a[i * 4096] == 0xa0 + i && a[i * 4096 + 4095] == 0xa0 + i);
		memset(a + i * 4096, 0xb0 + i, 4096);
		CHECK(b[i * 4096 + 17] == 0xb0 + i);
	}
	CHECK(c[100] == 0xb1);
	send_msg(sk, 0);
	recv_msg(sk);
	CHECK(xengnttab_unmap(g, a, 2) == -1 && errno == EINVAL);
	CHECK(xengnttab_unmap(g, a, 3) == 0);
	CHECK(xengnttab_unmap(g, b, 3) == 0);
	CHECK(xengnttab_unmap(g, c, 1) == 0);
	CHECK(xengnttab_close(g) == 0);
}

/* Refused mappings and grant copy statuses. */
static void case_errors(void)
{
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	uint32_t rw, ro, other;
	uint8_t *prw, *pro, *pother;
	pid_t pid;
	int sk;

	CHECK(s != NULL);
	prw = xengntshr_share_pages(s, 1, 1, &rw, 1);
	pro = xengntshr_share_pages(s, 1, 1, &ro, 0);
	pother = xengntshr_share_pages(s, 2, 1, &other, 1);
	CHECK(prw != NULL && pro != NULL && pother != NULL);
	memset(pro, 0x5a, 4096);
	CHECK(grant_word(0, ro) ==
	      ((1u << 16) | GTF_permit_access | GTF_readonly));

	sk = spawn(1, "errors", &pid, NULL);
	send_msg(sk, 3, rw, ro, other);
	reap(pid);
	CHECK(memcmp(prw + 10, "copied in", 9) == 0);
	CHECK(pro[0] == 0x5a);	/* the refused copy did not write */

	acct_read();
	expect_acct(1, "copy_calls", 4);
	expect_acct(1, "copy_segs", 1 + 6 + 1 + 1);
	expect_acct(1, "copy_errors", 4 + 1 + 1);
	expect_acct(1, "mapped", 0);
	CHECK(xengntshr_unshare(s, prw, 1) == 0);
	CHECK(xengntshr_unshare(s, pro, 1) == 0);
	CHECK(xengntshr_unshare(s, pother, 1) == 0);
	acct_read();
	expect_held_zero(0);
	xengntshr_close(s);
}

static void child_errors(int sk)
{
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	struct msg m = recv_msg(sk);
	uint32_t rw = m.v[0], ro = m.v[1], other = m.v[2];
	xengnttab_grant_copy_segment_t seg[6];
	char buf[64] = "copied in", out[64];
	uint8_t *p;

	CHECK(g != NULL);
	/* read-only grant: no write mapping, read mapping fine */
	errno = 0;
	CHECK(xengnttab_map_grant_ref(g, 0, ro, PROT_READ | PROT_WRITE) == NULL);
	CHECK(errno == EINVAL);
	p = xengnttab_map_grant_ref(g, 0, ro, PROT_READ);
	CHECK(p != NULL && p[4095] == 0x5a);
	CHECK(xengnttab_unmap(g, p, 1) == 0);
	/* granted to domain 2, not to us */
	errno = 0;
	CHECK(xengnttab_map_grant_ref(g, 0, other, PROT_READ) == NULL);
	CHECK(errno == EINVAL);
	/* unknown ref, and a failing page in a multi-page map */
	CHECK(xengnttab_map_grant_ref(g, 0, 4000, PROT_READ) == NULL);
	CHECK(errno == EINVAL);
	{
		uint32_t refs[2] = { rw, 4000 };

		CHECK(xengnttab_map_domain_grant_refs(g, 2, 0, refs,
						      PROT_READ) == NULL);
		CHECK(errno == EINVAL);
	}

	/* good copy: local -> writable grant */
	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.foreign.ref = rw;
	seg[0].dest.foreign.domid = 0;
	seg[0].dest.foreign.offset = 10;
	seg[0].len = 9;
	seg[0].flags = GNTCOPY_dest_gref;
	CHECK(xengnttab_grant_copy(g, 1, seg) == 0);
	CHECK(seg[0].status == GNTST_okay);

	/* one call, per-segment statuses */
	memset(seg, 0, sizeof(seg));
	seg[0].source.foreign = (typeof(seg[0].source.foreign)){ ro, 0, 0 };
	seg[0].dest.virt = out;
	seg[0].len = 8;
	seg[0].flags = GNTCOPY_source_gref;
	seg[1].source.virt = buf;
	seg[1].dest.foreign = (typeof(seg[1].dest.foreign)){ ro, 0, 0 };
	seg[1].len = 8;
	seg[1].flags = GNTCOPY_dest_gref;
	seg[2].source.foreign = (typeof(seg[2].source.foreign)){ 4000, 0, 0 };
	seg[2].dest.virt = out;
	seg[2].len = 8;
	seg[2].flags = GNTCOPY_source_gref;
	seg[3].source.foreign = (typeof(seg[3].source.foreign)){ other, 0, 0 };
	seg[3].dest.virt = out;
	seg[3].len = 8;
	seg[3].flags = GNTCOPY_source_gref;
	/* grant to grant: readonly -> writable */
	seg[4].source.foreign = (typeof(seg[4].source.foreign)){ ro, 0, 0 };
	seg[4].dest.foreign = (typeof(seg[4].dest.foreign)){ rw, 4000, 0 };
	seg[4].len = 96;
	seg[4].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
	seg[5].source.foreign = (typeof(seg[5].source.foreign)){ rw, 0, 7 };
	seg[5].dest.virt = out;
	seg[5].len = 8;
	seg[5].flags = GNTCOPY_source_gref;
	CHECK(xengnttab_grant_copy(g, 6, seg) == 0);
	CHECK(seg[0].status == GNTST_okay && out[0] == 0x5a);
	CHECK(seg[1].status == GNTST_general_error);
	CHECK(seg[2].status == GNTST_bad_gntref);
	CHECK(seg[3].status == GNTST_bad_gntref);
	CHECK(seg[4].status == GNTST_okay);
	CHECK(seg[5].status == GNTST_bad_gntref);	/* no domain 7 */

	/* whole call refused: past the page end, and local to local */
	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.foreign = (typeof(seg[0].dest.foreign)){ rw, 4000, 0 };
	seg[0].len = 200;
	seg[0].flags = GNTCOPY_dest_gref;
	errno = 0;
	CHECK(xengnttab_grant_copy(g, 1, seg) == -1 && errno == EINVAL);
	seg[0].dest.virt = out;
	seg[0].len = 8;
	seg[0].flags = 0;
	errno = 0;
	CHECK(xengnttab_grant_copy(g, 1, seg) == -1 && errno == EINVAL);
	CHECK(xengnttab_close(g) == 0);
}

/* gntalloc limit (per domain) and gntdev limit (per handle). */
static void case_limits(void)
{
	xengntshr_handle *s;
	uint32_t refs[16];
	uint8_t *p[8], *q;
	pid_t pid;
	int sk, i;

	setenv("XENEMU_GNTALLOC_LIMIT", "8", 1);
	s = xengntshr_open(NULL, 0);
	CHECK(s != NULL);
	for (i = 0; i < 6; i++) {
		p[i] = xengntshr_share_pages(s, 1, 1, &refs[i], 1);
		CHECK(p[i] != NULL);
	}
	p[6] = xengntshr_share_pages(s, 1, 2, &refs[6], 1);
	CHECK(p[6] != NULL);
	errno = 0;
	CHECK(xengntshr_share_pages(s, 1, 1, &refs[8], 1) == NULL);
	CHECK(errno == ENOSPC);

	/* another process of the same domain shares the same limit */
	sk = spawn(0, "share1", &pid, "XENEMU_GNTALLOC_LIMIT=8");
	CHECK(recv_msg(sk).v[0] == ENOSPC);
	reap(pid);

	/* partial unshare frees one page of a two-page share */
	CHECK(xengntshr_unshare(s, p[6] + 4096, 1) == 0);
	q = xengntshr_share_pages(s, 1, 1, &refs[8], 1);
	CHECK(q != NULL);
	CHECK(xengntshr_share_pages(s, 1, 1, &refs[9], 1) == NULL);

	/* gntdev: at most 4 pages mapped per handle */
	sk = spawn(1, "gntdev_limit", &pid, "XENEMU_GNTDEV_LIMIT=4");
	send_msg(sk, 6, refs[0], refs[1], refs[2], refs[3], refs[4], refs[5]);
	reap(pid);

	CHECK(xengntshr_unshare(s, p[6], 1) == 0);
	CHECK(xengntshr_unshare(s, q, 1) == 0);
	for (i = 0; i < 6; i++)
		CHECK(xengntshr_unshare(s, p[i], 1) == 0);
	CHECK(xengntshr_unshare(s, p[0], 1) == -1 && errno == EINVAL);
	acct_read();
	expect_held_zero(0);
	expect_held_zero(1);
	xengntshr_close(s);
}

static void child_share1(int sk)
{
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	uint32_t ref;

	CHECK(s != NULL);
	errno = 0;
	CHECK(xengntshr_share_pages(s, 1, 1, &ref, 1) == NULL);
	send_msg(sk, 1, (uint32_t)errno);
	xengntshr_close(s);
}

static void child_gntdev_limit(int sk)
{
	xengnttab_handle *g = xengnttab_open(NULL, 0), *g2;
	struct msg m = recv_msg(sk);
	void *a, *b;

	CHECK(g != NULL);
	errno = 0;
	CHECK(xengnttab_map_domain_grant_refs(g, 5, 0, m.v, PROT_READ) == NULL);
	CHECK(errno == EINVAL);
	a = xengnttab_map_domain_grant_refs(g, 4, 0, m.v, PROT_READ);
	CHECK(a != NULL);
	CHECK(xengnttab_map_grant_ref(g, 0, m.v[4], PROT_READ) == NULL);
	CHECK(errno == EINVAL);
	/* the limit is per handle; set_max_grants lowers it */
	g2 = xengnttab_open(NULL, 0);
	CHECK(g2 != NULL);
	CHECK(xengnttab_set_max_grants(g2, 1) == 0);
	b = xengnttab_map_grant_ref(g2, 0, m.v[4], PROT_READ);
	CHECK(b != NULL);
	CHECK(xengnttab_map_grant_ref(g2, 0, m.v[5], PROT_READ) == NULL);
	CHECK(xengnttab_unmap(g, a, 4) == 0);
	CHECK(xengnttab_close(g2) == 0);	/* close unmaps b */
	CHECK(xengnttab_close(g) == 0);
}

/* Event channels: binding, delivery through epoll, masking. */
static void case_evtchn(void)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	int p0, p_dom2, ep, sk;
	pid_t pid;

	CHECK(x != NULL);
	ep = epoll_for(x);
	p0 = xenevtchn_bind_unbound_port(x, 1);
	p_dom2 = xenevtchn_bind_unbound_port(x, 2);
	CHECK(p0 > 0 && p_dom2 > 0 && p0 != p_dom2);
	CHECK(xenevtchn_notify(x, p0) == 0);	/* unbound: dropped */

	sk = spawn(1, "evtchn", &pid, NULL);
	send_msg(sk, 2, (uint32_t)p0, (uint32_t)p_dom2);
	recv_msg(sk);		/* bound: Xen makes the binder's end pending */
	CHECK(!readable(ep, 100));

	CHECK(xenevtchn_notify(x, p0) == 0);
	recv_msg(sk);		/* got it and left it masked */
	CHECK(xenevtchn_notify(x, p0) == 0);
	CHECK(xenevtchn_notify(x, p0) == 0);
	CHECK(xenevtchn_notify(x, p0) == 0);
	send_msg(sk, 0);
	expect_event(ep, x, p0);	/* the child notified back */
	CHECK(xenevtchn_unmask(x, p0) == 0);
	CHECK(!readable(ep, 100));

	acct_read();
	expect_acct(0, "notify", 4);
	expect_acct(1, "notify", 1);
	expect_acct(0, "evtchn_bound", 2);
	expect_acct(1, "evtchn_bound", 1);
	send_msg(sk, 0);
	reap(pid);		/* it unbound: our end is unbound again */

	CHECK(xenevtchn_notify(x, p0) == 0);
	CHECK(xenevtchn_notify(x, 4095) == -1 && errno == EINVAL);
	CHECK(xenevtchn_unbind(x, p0) == 0);
	CHECK(xenevtchn_unbind(x, p0) == -1 && errno == EINVAL);
	acct_read();
	expect_acct(0, "evtchn_bound", 1);
	CHECK(xenevtchn_close(x) == 0);	/* unbinds p_dom2 */
	acct_read();
	expect_held_zero(0);
	expect_held_zero(1);
}

static void child_evtchn(int sk)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	struct msg m = recv_msg(sk);
	int p0 = m.v[0], p_dom2 = m.v[1], p1, ep, v;

	CHECK(x != NULL);
	ep = epoll_for(x);
	CHECK(!readable(ep, 0));
	errno = 0;
	CHECK(xenevtchn_bind_interdomain(x, 0, p0 + 100) == -1);
	CHECK(errno == EINVAL);
	CHECK(xenevtchn_bind_interdomain(x, 0, p_dom2) == -1 && errno == EINVAL);
	CHECK(xenevtchn_bind_interdomain(x, 3, p0) == -1 && errno == EINVAL);
	p1 = xenevtchn_bind_interdomain(x, 0, p0);
	CHECK(p1 > 0);
	/* taken now */
	CHECK(xenevtchn_bind_interdomain(x, 0, p0) == -1 && errno == EINVAL);
	expect_event(ep, x, p1);	/* new port starts pending */
	CHECK(xenevtchn_unmask(x, p1) == 0);
	send_msg(sk, 0);

	expect_event(ep, x, p1);
	send_msg(sk, 0);		/* masked: the next three latch */
	recv_msg(sk);
	CHECK(!readable(ep, 200));
	CHECK(xenevtchn_unmask(x, p1) == 0);
	expect_event(ep, x, p1);	/* one event for three notifies */
	CHECK(!readable(ep, 200));
	CHECK(xenevtchn_unmask(x, p1) == 0);
	CHECK(!readable(ep, 100));	/* nothing latched */

	v = xenevtchn_bind_virq(x, 3);
	CHECK(v > 0);
	CHECK(xenevtchn_unbind(x, v) == 0);
	CHECK(xenevtchn_notify(x, p1) == 0);
	recv_msg(sk);
	CHECK(xenevtchn_unbind(x, p1) == 0);
	CHECK(xenevtchn_close(x) == 0);
}

/* Explicit unmap/unshare notifications (the *_notify calls). */
static void case_notify(void)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	uint32_t ref;
	uint8_t *p;
	int p0, ep, sk;
	pid_t pid;

	CHECK(x != NULL && s != NULL);
	ep = epoll_for(x);
	p0 = xenevtchn_bind_unbound_port(x, 1);
	CHECK(p0 > 0);
	p = xengntshr_share_page_notify(s, 1, &ref, 1, 100, p0);
	CHECK(p != NULL);
	memset(p, 0xff, 4096);

	sk = spawn(1, "notify", &pid, NULL);
	send_msg(sk, 2, (uint32_t)p0, ref);
	recv_msg(sk);		/* it unmapped its notify mapping */
	CHECK(p[200] == 0 && p[199] == 0xff && p[201] == 0xff);
	expect_event(ep, x, p0);
	CHECK(xenevtchn_unmask(x, p0) == 0);

	/* the child still maps the page: it outlives our unshare */
	CHECK(xengntshr_unshare(s, p, 1) == 0);
	CHECK((grant_word(0, ref) & (GTF_permit_access | GTF_reading)) ==
	      (GTF_permit_access | GTF_reading));
	send_msg(sk, 0);
	reap(pid);
	CHECK(grant_word(0, ref) == 0);	/* freed by the last unmap */

	acct_read();
	expect_acct(0, "evtchn_bound", 1);
	CHECK(xengntshr_close(s) == 0);
	CHECK(xenevtchn_close(x) == 0);	/* unbinds p0 */
	acct_read();
	expect_held_zero(0);
	expect_held_zero(1);
}

static void child_notify(int sk)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	struct msg m = recv_msg(sk);
	uint32_t ref = m.v[1];
	uint8_t *a, *b;
	int p1, ep;

	CHECK(x != NULL && g != NULL);
	ep = epoll_for(x);
	p1 = xenevtchn_bind_interdomain(x, 0, m.v[0]);
	CHECK(p1 > 0);
	expect_event(ep, x, p1);
	CHECK(xenevtchn_unmask(x, p1) == 0);

	a = xengnttab_map_grant_ref_notify(g, 0, ref, PROT_READ | PROT_WRITE,
					   200, p1);
	b = xengnttab_map_grant_ref(g, 0, ref, PROT_READ);
	CHECK(a != NULL && b != NULL);
	CHECK(a[200] == 0xff);
	CHECK(xengnttab_unmap(g, a, 1) == 0);
	send_msg(sk, 0);

	/* the sharer's unshare clears byte 100 and notifies us */
	expect_event(ep, x, p1);
	CHECK(b[100] == 0 && b[200] == 0 && b[101] == 0xff);
	recv_msg(sk);
	CHECK(xengnttab_unmap(g, b, 1) == 0);
	CHECK(xengnttab_close(g) == 0);
	CHECK(xenevtchn_close(x) == 0);
}

/* A domain process killed with SIGKILL holds nothing any more. */
static void case_kill(void)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	uint32_t refs[2];
	uint8_t *p, *theirs;
	struct msg m;
	int p0, ep, sk;
	pid_t pid;

	CHECK(x != NULL && s != NULL && g != NULL);
	ep = epoll_for(x);
	p0 = xenevtchn_bind_unbound_port(x, 1);
	CHECK(p0 > 0);
	p = xengntshr_share_pages(s, 1, 2, refs, 1);
	CHECK(p != NULL);
	memset(p, 0xee, 8192);

	sk = spawn(1, "victim", &pid, NULL);
	send_msg(sk, 3, (uint32_t)p0, refs[0], refs[1]);
	m = recv_msg(sk);
	theirs = xengnttab_map_grant_ref(g, 1, m.v[0], PROT_READ | PROT_WRITE);
	CHECK(theirs != NULL && theirs[0] == 0x77);
	acct_read();
	expect_acct(1, "shared", 1);
	expect_acct(1, "mapped", 2);
	expect_acct(1, "evtchn_bound", 1);
	expect_acct(0, "mapped", 1);

	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, NULL, 0) == pid);

	/* reading the accounts reclaims; its map notification fires */
	acct_read();
	expect_held_zero(1);
	expect_acct(0, "shared", 2);
	expect_acct(0, "mapped", 1);
	expect_acct(0, "evtchn_bound", 1);
	expect_event(ep, x, p0);
	CHECK(p[16] == 0 && p[15] == 0xee);

	/* its grant stays usable by us until we unmap it */
	CHECK(theirs[4095] == 0x77);
	theirs[0] = 1;
	CHECK((grant_word(1, m.v[0]) & GTF_reading) != 0);
	CHECK(xengnttab_unmap(g, theirs, 1) == 0);
	CHECK(grant_word(1, m.v[0]) == 0);

	/* notifying a dead peer must neither block nor fail */
	CHECK(xenevtchn_unmask(x, p0) == 0);
	CHECK(xenevtchn_notify(x, p0) == 0);

	/* its pins on our pages are gone: unshare frees at once */
	CHECK(xengntshr_unshare(s, p, 2) == 0);
	CHECK(grant_word(0, refs[0]) == 0 && grant_word(0, refs[1]) == 0);
	CHECK(xenevtchn_unbind(x, p0) == 0);
	acct_read();
	expect_held_zero(0);
	expect_held_zero(1);
	xengnttab_close(g);
	xengntshr_close(s);
	xenevtchn_close(x);
}

static void child_victim(int sk)
{
	xenevtchn_handle *x = xenevtchn_open(NULL, 0);
	xengntshr_handle *s = xengntshr_open(NULL, 0);
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	struct msg m = recv_msg(sk);
	uint32_t ref;
	uint8_t *a, *b, *mine;
	int p1;

	CHECK(x != NULL && s != NULL && g != NULL);
	p1 = xenevtchn_bind_interdomain(x, 0, m.v[0]);
	CHECK(p1 > 0);
	a = xengnttab_map_grant_ref_notify(g, 0, m.v[1],
					   PROT_READ | PROT_WRITE, 16, p1);
	b = xengnttab_map_grant_ref(g, 0, m.v[2], PROT_READ);
	CHECK(a != NULL && b != NULL && a[0] == 0xee);
	mine = xengntshr_share_pages(s, 0, 1, &ref, 1);
	CHECK(mine != NULL);
	memset(mine, 0x77, 4096);
	send_msg(sk, 1, ref);
	for (;;)
		pause();	/* until SIGKILL */
}

/* Several threads per process share, map, copy and unmap at once. */
#define NTHREADS 4
#define NITER 300

static xengntshr_handle *thr_shr;
static xengnttab_handle *thr_tab;
static uint32_t thr_refs[NTHREADS];

static void *sharer_thread(void *arg)
{
	uint32_t ref;
	uint8_t *p;
	int i;

	for (i = 0; i < NITER; i++) {
		p = xengntshr_share_pages(thr_shr, 1, 1, &ref, 1);
		CHECK(p != NULL);
		p[0] = i;
		CHECK(xengntshr_unshare(thr_shr, p, 1) == 0);
	}
	return arg;
}

static void case_threads(void)
{
	pthread_t th[NTHREADS];
	uint8_t *p;
	pid_t pid;
	int sk, i;

	thr_shr = xengntshr_open(NULL, 0);
	CHECK(thr_shr != NULL);
	p = xengntshr_share_pages(thr_shr, 1, NTHREADS, thr_refs, 1);
	CHECK(p != NULL);
	sk = spawn(1, "threads", &pid, NULL);
	send_msg(sk, NTHREADS, thr_refs[0], thr_refs[1], thr_refs[2],
		 thr_refs[3]);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, sharer_thread, NULL) == 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	reap(pid);
	/* each mapper thread left its counter in its own page */
	for (i = 0; i < NTHREADS; i++)
		CHECK(*(uint32_t *)(p + i * 4096) == NITER);
	CHECK(xengntshr_unshare(thr_shr, p, NTHREADS) == 0);
	acct_read();
	expect_held_zero(0);
	expect_held_zero(1);
	expect_acct(1, "map_calls", NTHREADS * NITER);
	expect_acct(1, "copy_segs", NTHREADS * NITER);
	xengntshr_close(thr_shr);
}

static void *mapper_thread(void *arg)
{
	uint32_t idx = (uintptr_t)arg, ref = thr_refs[idx], v;
	xengnttab_grant_copy_segment_t seg;
	uint32_t *q;
	int i;

	for (i = 0; i < NITER; i++) {
		q = xengnttab_map_grant_ref(thr_tab, 0, ref,
					    PROT_READ | PROT_WRITE);
		CHECK(q != NULL);
		CHECK(*q == (uint32_t)i);
		memset(&seg, 0, sizeof(seg));
		v = i + 1;
		seg.source.virt = &v;
		seg.dest.foreign.ref = ref;
		seg.dest.foreign.domid = 0;
		seg.len = sizeof(v);
		seg.flags = GNTCOPY_dest_gref;
		CHECK(xengnttab_grant_copy(thr_tab, 1, &seg) == 0);
		CHECK(seg.status == GNTST_okay && *q == v);
		CHECK(xengnttab_unmap(thr_tab, q, 1) == 0);
	}
	return NULL;
}

static void child_threads(int sk)
{
	struct msg m = recv_msg(sk);
	pthread_t th[NTHREADS];
	uintptr_t i;

	thr_tab = xengnttab_open(NULL, 0);
	CHECK(thr_tab != NULL);
	memcpy(thr_refs, m.v, sizeof(thr_refs));
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, mapper_thread,
				     (void *)i) == 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	CHECK(xengnttab_close(thr_tab) == 0);
}

/* ================= driver ================= */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "share_map", case_share_map },
	{ "errors", case_errors },
	{ "limits", case_limits },
	{ "evtchn", case_evtchn },
	{ "notify", case_notify },
	{ "kill", case_kill },
	{ "threads", case_threads },
};

static const struct {
	const char *name;
	void (*fn)(int sk);
} roles[] = {
	{ "mapper", child_mapper },
	{ "errors", child_errors },
	{ "share1", child_share1 },
	{ "gntdev_limit", child_gntdev_limit },
	{ "evtchn", child_evtchn },
	{ "notify", child_notify },
	{ "victim", child_victim },
	{ "threads", child_threads },
};

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], self[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	unsigned int i;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = '\0';
	self_exe = self;
	alarm(60);		/* no test may hang the suite */
	/* DT_NEEDED libraries are loaded by now: a fallback fails here */
	check_loaded();

	if (argc == 4 && strcmp(argv[1], "--child") == 0) {
		self_role = argv[2];
		for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			if (strcmp(roles[i].name, argv[2]) == 0) {
				roles[i].fn(atoi(argv[3]));
				return 0;
			}
		}
		fail("unknown role %s", argv[2]);
	}
	if (argc != 2)
		fail("usage: emu_test CASE");

	/* a fresh machine for every test */
	snprintf(dir, sizeof(dir), "%s/xenemu-test.XXXXXX",
		 tmp != NULL ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	setenv("XENEMU_DIR", dir, 1);
	setenv("XENEMU_DOMID", "0", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, argv[1]) == 0) {
			cases[i].fn();
			nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			printf("%s: ok\n", argv[1]);
			return 0;
		}
	}
	fail("unknown case %s", argv[1]);
}
