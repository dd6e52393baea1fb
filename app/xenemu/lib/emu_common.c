/* SPDX-License-Identifier: BSD-3-Clause */
/* Environment, process identity, state files and call counters. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

static struct emu_env env;
static int env_err;			/* errno of a failed init, 0 if fine */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static uint32_t env_u32(const char *name, uint32_t dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return dflt;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end != '\0' || v > UINT32_MAX) {
		fprintf(stderr, "xenemu: ignoring bad %s=%s\n", name, s);
		return dflt;
	}
	return v;
}

static void mkdirs(void)
{
	static const char *const sub[] = { "gnt", "evtchn", "acct" };
	char p[sizeof(env.dir) + 16];
	unsigned int i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", env.dir, sub[i]);
		mkdir(p, 0755);
	}
}

/* Our pid changes in a fork child: it must not pose as its parent. */
static void env_atfork_child(void)
{
	env.pid = getpid();
	env.start = emu_proc_start(env.pid);
}

static void env_init(void)
{
	const char *dir = getenv("XENEMU_DIR");

	env.pid = getpid();
	env.start = emu_proc_start(env.pid);
	env.domid = env_u32("XENEMU_DOMID", 0);
	env.gntalloc_limit = env_u32("XENEMU_GNTALLOC_LIMIT", 1024);
	if (env.gntalloc_limit > EMU_GNT_NR - EMU_GNT_FIRST)
		env.gntalloc_limit = EMU_GNT_NR - EMU_GNT_FIRST;
	env.gntdev_limit = env_u32("XENEMU_GNTDEV_LIMIT", 65536);
	if (env.gntdev_limit > EMU_JNL_NR)
		env.gntdev_limit = EMU_JNL_NR;
	pthread_atfork(NULL, NULL, env_atfork_child);

	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "xenemu: XENEMU_DIR is not set\n");
		env_err = ENOENT;
		return;
	}
	emu_env_set_dir(dir);
}

int emu_env_set_dir(const char *dir)
{
	if (strlen(dir) >= sizeof(env.dir) - 64) {
		env_err = ENAMETOOLONG;
		return -1;
	}
	strcpy(env.dir, dir);
	env_err = 0;
	mkdirs();
	return 0;
}

const struct emu_env *emu_env(void)
{
	pthread_once(&env_once, env_init);
	if (env_err) {
		errno = env_err;
		return NULL;
	}
	return &env;
}

int emu_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	if (emu_env() == NULL)
		return -1;
	n = snprintf(buf, len, "%s/", env.dir);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
uint64_t emu_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: skip to the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	/* 0 means "gone" to callers; a process started at tick 0 is init */
	return start ? start : 1;
}

bool emu_owner_alive(pid_t pid, uint64_t start)
{
	uint64_t s;

	if (pid <= 0)
		return false;
	if (pid == env.pid && start == env.start)
		return true;
	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	s = emu_proc_start(pid);
	/* a zombie still has its stat file; that is fine, it holds nothing */
	return s != 0 && s == start;
}

void *emu_map_file(const char *path, size_t size, bool create, int *fdp)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	/* concurrent creators all truncate to the same size: harmless */
	if ((size_t)st.st_size < size && ftruncate(fd, size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	*fdp = fd;
	return p;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return NULL;
}

void emu_lock(struct emu_lock *l)
{
	pthread_mutex_lock(&l->mutex);
	while (flock(l->fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

void emu_unlock(struct emu_lock *l)
{
	flock(l->fd, LOCK_UN);
	pthread_mutex_unlock(&l->mutex);
}

/* ---- call counters ---- */

static struct emu_acct_slot *acct_map;
static pthread_mutex_t acct_mutex = PTHREAD_MUTEX_INITIALIZER;

struct emu_acct_slot *emu_acct_slots(void)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	if (__atomic_load_n(&acct_map, __ATOMIC_ACQUIRE) != NULL)
		return acct_map;
	pthread_mutex_lock(&acct_mutex);
	if (acct_map == NULL &&
	    emu_path(path, sizeof(path), "acct/counters") == 0) {
		p = emu_map_file(path, EMU_ACCT_SLOTS * sizeof(*acct_map),
				 true, &fd);
		if (p != NULL) {
			close(fd);
			__atomic_store_n(&acct_map, p, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&acct_mutex);
	return acct_map;
}

static struct emu_acct_slot *acct_slot(uint32_t domid)
{
	struct emu_acct_slot *s = emu_acct_slots();
	uint32_t key = domid + 1, i, k, cur;

	if (s == NULL)
		return NULL;
	for (i = 0; i < EMU_ACCT_SLOTS; i++) {
		k = (domid + i) % EMU_ACCT_SLOTS;
		cur = __atomic_load_n(&s[k].key, __ATOMIC_ACQUIRE);
		if (cur == key)
			return &s[k];
		if (cur != 0)
			continue;
		if (__atomic_compare_exchange_n(&s[k].key, &cur, key, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
		    cur == key)
			return &s[k];
	}
	return NULL;
}

void emu_acct_add(uint32_t domid, enum emu_ctr c, uint64_t n)
{
	static __thread struct emu_acct_slot *last;
	static __thread uint32_t last_dom;
	struct emu_acct_slot *s;

	if (n == 0)
		return;
	if (last != NULL && last_dom == domid) {
		s = last;
	} else {
		s = acct_slot(domid);
		if (s == NULL)
			return;
		last = s;
		last_dom = domid;
	}
	__atomic_fetch_add(&s->ctr[c], n, __ATOMIC_RELAXED);
}
