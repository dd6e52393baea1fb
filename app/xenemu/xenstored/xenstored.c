/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xenemu-xenstored: main loop, sockets, connections, domains.
 *
 * Usage: xenemu-xenstored [--dir DIR] [--daemon] [--pid-file FILE]
 *                         [--verbose]
 *
 * DIR (default $XENEMU_DIR) is the run directory of the emulated machine;
 * the daemon serves $DIR/xenstored/d<D>.sock for every live domain D and
 * logs to $DIR/xenstored/log.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xenstored.h"

/* A client that stops reading loses its connection past this backlog. */
#define XS_OUT_MAX	(16u << 20)

struct conn *conns;
bool xs_verbose;

static struct listener *listeners;
/* Closed, freed after the epoll batch: its events may still point at them. */
static struct conn *graveyard;
static struct listener *listener_graveyard;
static int epfd = -1;
static char *sock_dir;
static char *pid_file;
static FILE *log_fp;

void xs_log(const char *fmt, ...)
{
	FILE *fp = log_fp ? log_fp : stderr;
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(fp, "%lld.%03ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
	fflush(fp);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "xenemu-xenstored: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void ep_add(struct ep_obj *o, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = o };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, o->fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

static void ep_mod(struct ep_obj *o, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = o };

	epoll_ctl(epfd, EPOLL_CTL_MOD, o->fd, &ev);
}

/* ---- domains: one listening socket each ---- */

static struct listener *listener_find(unsigned int domid)
{
	struct listener *l;

	for (l = listeners; l; l = l->next)
		if (l->domid == domid)
			return l;
	return NULL;
}

bool domain_is_introduced(unsigned int domid)
{
	return listener_find(domid) != NULL;
}

int domain_introduce(unsigned int domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct listener *l;
	int fd;

	l = xs_xmalloc(sizeof(*l));
	l->domid = domid;
	l->path = xs_xmalloc(strlen(sock_dir) + 32);
	sprintf(l->path, "%s/d%u.sock", sock_dir, domid);
	if (strlen(l->path) >= sizeof(sa.sun_path)) {
		xs_log("socket path too long: %s", l->path);
		goto fail;
	}
	strcpy(sa.sun_path, l->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(l->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		xs_log("cannot listen on %s: %s", l->path, strerror(errno));
		close(fd);
		goto fail;
	}
	l->ep.kind = EP_LISTENER;
	l->ep.fd = fd;
	ep_add(&l->ep, EPOLLIN);
	l->next = listeners;
	listeners = l;
	xs_log("domain %u introduced: %s", domid, l->path);
	return 0;
fail:
	free(l->path);
	free(l);
	return EIO;
}

static void conn_close(struct conn *c)
{
	struct conn **pc;

	if (c->dead)
		return;
	c->dead = true;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->ep.fd, NULL);
	close(c->ep.fd);
	xs_conn_cleanup(c);
	for (pc = &conns; *pc != c; pc = &(*pc)->next)
		;
	*pc = c->next;
	/* Events of this epoll batch may still point at it. */
	c->next = graveyard;
	graveyard = c;
	if (xs_verbose)
		xs_log("d%u connection closed", c->domid);
}

static void listener_close(struct listener *l)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, l->ep.fd, NULL);
	close(l->ep.fd);
	l->ep.fd = -1;
	unlink(l->path);
	l->next = listener_graveyard;
	listener_graveyard = l;
}

/* The domain is gone: its socket and its connections with it. */
int domain_release(unsigned int domid)
{
	struct listener **pl, *l;
	struct conn *c, *next;

	for (pl = &listeners; (l = *pl); pl = &l->next)
		if (l->domid == domid)
			break;
	if (!l)
		return ENOENT;
	*pl = l->next;
	listener_close(l);
	for (c = conns; c; c = next) {
		next = c->next;
		if (c->domid == domid)
			conn_close(c);
	}
	xs_log("domain %u released", domid);
	return 0;
}

/* ---- connections ---- */

static void conn_flush(struct conn *c)
{
	ssize_t n;
	size_t off = 0;

	while (off < c->out_len) {
		n = write(c->ep.fd, c->out + off, c->out_len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(c);
			return;
		}
		off += n;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	ep_mod(&c->ep, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
}

void conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	       const void *data, unsigned int len)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = len,
	};
	size_t need = c->out_len + sizeof(hdr) + len;

	if (c->dead)
		return;
	if (need > XS_OUT_MAX) {
		xs_log("d%u not reading its replies, dropped", c->domid);
		conn_close(c);
		return;
	}
	if (need > c->out_cap) {
		c->out_cap = need * 2;
		c->out = xs_xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, &hdr, sizeof(hdr));
	memcpy(c->out + c->out_len + sizeof(hdr), data, len);
	c->out_len = need;
	conn_flush(c);
}

static void conn_accept(struct listener *l)
{
	struct conn *c;
	int fd;

	fd = accept4(l->ep.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = xs_xmalloc(sizeof(*c));
	c->ep.kind = EP_CONN;
	c->ep.fd = fd;
	c->domid = l->domid;
	c->next = conns;
	conns = c;
	ep_add(&c->ep, EPOLLIN);
	if (xs_verbose)
		xs_log("d%u connected", c->domid);
}

/* Read what is there; handle each complete message in order. */
static void conn_input(struct conn *c)
{
	const unsigned int hlen = sizeof(c->in_hdr);
	ssize_t n;

	while (!c->dead) {
		char *dst;
		size_t want;

		if (c->in_used < hlen) {
			dst = (char *)&c->in_hdr + c->in_used;
			want = hlen - c->in_used;
		} else {
			dst = c->in_buf + (c->in_used - hlen);
			want = hlen + c->in_hdr.len - c->in_used;
		}
		if (want) {
			n = read(c->ep.fd, dst, want);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
					errno != EINTR)) {
				conn_close(c);
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN)
					return;
				continue;
			}
			c->in_used += n;
		}
		if (c->in_used == hlen && c->in_hdr.len > XENSTORE_PAYLOAD_MAX) {
			/* Out of sync for good: xenstored drops such clients. */
			xs_log("d%u sent a %u byte payload, dropped", c->domid,
			       c->in_hdr.len);
			conn_close(c);
			return;
		}
		if (c->in_used >= hlen && c->in_used == hlen + c->in_hdr.len) {
			xs_process(c);
			c->in_used = 0;
		}
	}
}

/* ---- start-up and main loop ---- */

static void cleanup(void)
{
	while (listeners) {
		struct listener *l = listeners;

		listeners = l->next;
		listener_close(l);
	}
	if (pid_file)
		unlink(pid_file);
}

static void write_pid_file(pid_t pid)
{
	FILE *fp = fopen(pid_file, "w");

	if (!fp)
		die("cannot write %s: %s", pid_file, strerror(errno));
	fprintf(fp, "%d\n", (int)pid);
	fclose(fp);
}

static void daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		/* Written before the parent returns: callers may read it. */
		write_pid_file(pid);
		_exit(0);
	}
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xenemu-xenstored [--dir DIR] [--daemon] [--pid-file FILE] [--verbose]\n"
		"  DIR defaults to $XENEMU_DIR; sockets are DIR/xenstored/d<domid>.sock\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("XENEMU_DIR");
	struct ep_obj sig_ep = { .kind = EP_SIGNAL };
	bool daemon_mode = false;
	char *log_path;
	sigset_t mask;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:Dp:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'D':
			daemon_mode = true;
			break;
		case 'p':
			pid_file = xs_xstrdup(optarg);
			break;
		case 'v':
			xs_verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!dir || !*dir)
		usage();

	sock_dir = xs_xmalloc(strlen(dir) + 16);
	sprintf(sock_dir, "%s/xenstored", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	if (mkdir(sock_dir, 0755) && errno != EEXIST)
		die("mkdir %s: %s", sock_dir, strerror(errno));
	if (!pid_file) {
		pid_file = xs_xmalloc(strlen(sock_dir) + 8);
		sprintf(pid_file, "%s/pid", sock_dir);
	}
	log_path = xs_xmalloc(strlen(sock_dir) + 8);
	sprintf(log_path, "%s/log", sock_dir);
	log_fp = fopen(log_path, "a");
	if (!log_fp)
		die("cannot open %s: %s", log_path, strerror(errno));
	free(log_path);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	xs_setup_tree();
	/* dom0's socket exists before anyone is told we are up. */
	if (domain_introduce(0))
		die("cannot create dom0 socket in %s", sock_dir);

	if (daemon_mode)
		daemonize();
	else
		write_pid_file(getpid());

	/* After the fork: a signalfd belongs to the process that made it. */
	sig_ep.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_ep.fd < 0)
		die("signalfd: %s", strerror(errno));
	ep_add(&sig_ep, EPOLLIN);
	xs_log("xenemu-xenstored %d serving %s", (int)getpid(), sock_dir);

	for (;;) {
		struct epoll_event ev[32];
		int i, n;

		n = epoll_wait(epfd, ev, 32, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct ep_obj *o = ev[i].data.ptr;
			struct conn *c = (struct conn *)o;

			switch (o->kind) {
			case EP_SIGNAL:
				xs_log("terminating on signal");
				cleanup();
				return 0;
			case EP_LISTENER:
				if (o->fd >= 0)
					conn_accept((struct listener *)o);
				break;
			case EP_CONN:
				if (c->dead)
					break;
				if (ev[i].events & EPOLLOUT)
					conn_flush(c);
				if (!c->dead && (ev[i].events &
						 (EPOLLIN | EPOLLHUP | EPOLLERR)))
					conn_input(c);
				break;
			}
		}
		while (graveyard) {
			struct conn *c = graveyard;

			graveyard = c->next;
			free(c->out);
			free(c);
		}
		while (listener_graveyard) {
			struct listener *l = listener_graveyard;

			listener_graveyard = l->next;
			free(l->path);
			free(l);
		}
	}
}
