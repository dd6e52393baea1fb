/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request handlers of xenemu-xenstored: permissions, watches,
 * transactions, domain management. Edge cases follow C xenstored
 * (tools/xenstored/core.c, watch.c, transaction.c, domain.c in Xen).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

struct xs_node *xs_root;

/* Special nodes live outside the tree; their perms say who sees events. */
static struct xs_node *special_intro;
static struct xs_node *special_release;

struct req {
	struct conn *c;
	struct txn *txn;
	struct xs_node *root;	/* live tree, or the transaction's copy */
	const struct xsd_sockmsg *hdr;
	char *body;
	unsigned int len;
};

static const struct xs_perm dom0_only = { .id = 0, .perms = XS_PERM_NONE };

/* The tree C xenstored starts with; the toolstack creates /local. */
void xs_setup_tree(void)
{
	struct xs_node *tool;

	xs_root = xs_node_new(NULL, "/", &dom0_only, 1);
	tool = xs_node_new(xs_root, "/tool", &dom0_only, 1);
	xs_node_new(tool, "/tool/xenstored", &dom0_only, 1);
	special_intro = xs_node_new(NULL, "@introduceDomain", &dom0_only, 1);
	special_release = xs_node_new(NULL, "@releaseDomain", &dom0_only, 1);
}

static bool is_priv(const struct conn *c)
{
	return c->domid == 0;
}

/* Exactly C xenstored's perm_for_conn(): owner and dom0 get everything. */
static unsigned int perm_for(const struct conn *c, const struct xs_perm *p,
			     unsigned int nr)
{
	const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	unsigned int i;

	if (is_priv(c) || p[0].id == c->domid)
		return all;
	for (i = 1; i < nr; i++)
		if (!(p[i].perms & XS_PERM_IGNORE) && p[i].id == c->domid)
			return p[i].perms & all;
	return p[0].perms & all;
}

/* ---- transactions: access log ---- */

static struct txn_access *txn_find(struct txn *t, const char *path)
{
	unsigned int i;

	for (i = 0; i < t->nr_acc; i++)
		if (!strcmp(t->acc[i].path, path))
			return &t->acc[i];
	return NULL;
}

/*
 * Remember the generation a node had when the transaction first looked at
 * it (0 if it did not exist): the commit fails with EAGAIN if the live
 * node differs, which is the conflict rule of C xenstored.
 */
static void txn_note(struct txn *t, const char *path, uint64_t gen,
		     bool modified)
{
	struct txn_access *a = txn_find(t, path);

	if (!a) {
		if (t->nr_acc == t->cap_acc) {
			t->cap_acc = t->cap_acc ? 2 * t->cap_acc : 16;
			t->acc = xs_xrealloc(t->acc, t->cap_acc * sizeof(*a));
		}
		a = &t->acc[t->nr_acc++];
		a->path = xs_xstrdup(path);
		a->gen = gen;
		a->modified = false;
	}
	a->modified |= modified;
}

static void txn_free(struct txn *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_acc; i++)
		free(t->acc[i].path);
	for (i = 0; i < t->nr_ev; i++) {
		free(t->ev[i].path);
		free(t->ev[i].perms);
	}
	free(t->acc);
	free(t->ev);
	xs_node_free(t->root);
	free(t);
}

static struct xs_node *special_lookup(const char *path)
{
	if (!strcmp(path, special_intro->path))
		return special_intro;
	if (!strcmp(path, special_release->path))
		return special_release;
	return NULL;
}

/* Every tree read of a request goes through here, so transactions see it. */
static struct xs_node *lookup(struct req *r, const char *path)
{
	struct xs_node *n;

	if (path[0] == '@')
		return special_lookup(path);
	n = xs_node_lookup(r->root, path);
	if (r->txn)
		txn_note(r->txn, path, n ? n->gen : 0, false);
	return n;
}

static void mark_modified(struct req *r, const struct xs_node *n)
{
	if (r->txn && n->path[0] == '/')
		txn_note(r->txn, n->path, n->gen, true);
}

/* ---- paths and permission checks ---- */

static bool valid_chars(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-/_@") == strlen(s);
}

/*
 * Turn a client path into an absolute one: relative paths are below the
 * caller's /local/domain/<id>, '@' names only where special nodes count.
 */
static int canonicalize(const struct conn *c, const char *in,
			bool allow_special, char **out)
{
	unsigned int domid;
	int local_off = 0;
	size_t len;
	char *name;

	*out = NULL;
	if (!in || !valid_chars(in) || (in[0] == '@' && !allow_special))
		return EINVAL;
	if (in[0] != '/' && in[0] != '@') {
		name = xs_xmalloc(strlen(in) + 32);
		sprintf(name, "/local/domain/%u/%s", c->domid, in);
	} else {
		name = xs_xstrdup(in);
	}
	len = strlen(name);
	if (sscanf(name, "/local/domain/%5u/%n", &domid, &local_off) != 1)
		local_off = 0;
	if (!len || (len > 1 && name[len - 1] == '/') || strstr(name, "//") ||
	    len > XENSTORE_ABS_PATH_MAX ||
	    (!is_priv(c) && len - local_off > XENSTORE_REL_PATH_MAX)) {
		free(name);
		return EINVAL;
	}
	*out = name;
	return 0;
}

/*
 * A failed access must not tell the caller more than the parents allow:
 * if it cannot access the closest existing ancestor the answer is EACCES.
 */
static int errno_from_parents(struct req *r, const char *path, int err,
			      unsigned int perm)
{
	struct xs_node *n = NULL;
	char *p = xs_xstrdup(path);

	while (strcmp(p, "/")) {
		char *q = xs_parent_path(p);

		free(p);
		p = q;
		n = lookup(r, p);
		if (n)
			break;
	}
	free(p);
	if (n && (perm_for(r->c, n->perms, n->nr_perms) & perm))
		return err;
	return EACCES;
}

static int get_node(struct req *r, const char *path, unsigned int perm,
		    struct xs_node **out)
{
	struct xs_node *n = lookup(r, path);
	int err;

	*out = NULL;
	if (!n)
		err = ENOENT;
	else if ((perm_for(r->c, n->perms, n->nr_perms) & perm) != perm)
		err = EACCES;
	else
		err = 0;
	if (err)
		return errno_from_parents(r, path, err, perm);
	*out = n;
	return 0;
}

/* The payload must be exactly one string. */
static const char *onearg(struct req *r)
{
	if (!r->len || strlen(r->body) + 1 != r->len)
		return NULL;
	return r->body;
}

/* ---- replies and watch events ---- */

static void reply_error(struct req *r, int err)
{
	unsigned int i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			break;
	if (i == sizeof(xsd_errors) / sizeof(xsd_errors[0]))
		i = 0;	/* EINVAL, as xenstored does for the untranslatable */
	if (xs_verbose)
		xs_log("d%u -> ERROR %s", r->c->domid, xsd_errors[i].errstring);
	conn_send(r->c, XS_ERROR, r->hdr->req_id, r->hdr->tx_id,
		  xsd_errors[i].errstring, strlen(xsd_errors[i].errstring) + 1);
}

static void reply(struct req *r, uint32_t type, const void *data,
		  unsigned int len)
{
	if (len > XENSTORE_PAYLOAD_MAX) {
		reply_error(r, E2BIG);
		return;
	}
	conn_send(r->c, type, r->hdr->req_id, r->hdr->tx_id, data, len);
}

static int ack(struct req *r)
{
	reply(r, r->hdr->type, "OK", sizeof("OK"));
	return 0;
}

static void send_event(struct conn *c, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	char buf[2 * XENSTORE_PAYLOAD_MAX];

	/* Like xenstored: an over-long event is silently not sent. */
	if (pl + tl > XENSTORE_PAYLOAD_MAX)
		return;
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	conn_send(c, XS_WATCH_EVENT, 0, 0, buf, pl + tl);
}

/*
 * A watcher hears about a node it (or its parent) may read; on a
 * permission change the old perms count too, so a watcher losing access
 * still gets the event.
 */
static bool watch_permitted(struct conn *c, const char *path,
			    const struct xs_perm *p, unsigned int nr,
			    const struct xs_perm *old, unsigned int nr_old)
{
	struct xs_node *parent;
	char *pp;
	bool ok;

	if (perm_for(c, p, nr) & XS_PERM_READ)
		return true;
	if (old && (perm_for(c, old, nr_old) & XS_PERM_READ))
		return true;
	pp = xs_parent_path(path);
	parent = xs_node_lookup(xs_root, pp);
	free(pp);
	ok = parent && (perm_for(c, parent->perms, parent->nr_perms) &
			XS_PERM_READ);
	return ok;
}

/* Exact: only watches on @path itself (removed descendants, specials). */
static void fire_watches(const char *path, bool exact,
			 const struct xs_perm *p, unsigned int nr,
			 const struct xs_perm *old, unsigned int nr_old)
{
	struct conn *c;
	struct watch *w;

	for (c = conns; c; c = c->next) {
		if (c->dead || !c->watches)
			continue;
		if (!watch_permitted(c, path, p, nr, old, nr_old))
			continue;
		for (w = c->watches; w; w = w->next) {
			if (exact ? !strcmp(path, w->node) :
				    xs_is_child(path, w->node))
				send_event(c, path + w->prefix_len, w->token);
		}
	}
}

/* Inside a transaction events wait for the commit, as in xenstored. */
static void node_changed(struct req *r, const struct xs_node *n, bool exact,
			 const struct xs_perm *old, unsigned int nr_old)
{
	struct txn_event *e;
	struct txn *t = r->txn;

	if (!t) {
		fire_watches(n->path, exact, n->perms, n->nr_perms,
			     old, nr_old);
		return;
	}
	if (t->nr_ev == t->cap_ev) {
		t->cap_ev = t->cap_ev ? 2 * t->cap_ev : 8;
		t->ev = xs_xrealloc(t->ev, t->cap_ev * sizeof(*e));
	}
	e = &t->ev[t->nr_ev++];
	e->path = xs_xstrdup(n->path);
	e->exact = exact;
	e->nr_perms = n->nr_perms;
	e->perms = xs_xmalloc(n->nr_perms * sizeof(*n->perms));
	memcpy(e->perms, n->perms, n->nr_perms * sizeof(*n->perms));
}

void xs_fire_special(const char *name)
{
	struct xs_node *n = special_lookup(name);

	fire_watches(name, true, n->perms, n->nr_perms, NULL, 0);
}

/* ---- tree modifications ---- */

/*
 * Create @path and any missing parents. New nodes inherit the parent's
 * perms; an unprivileged creator becomes the owner (construct_node()).
 */
static struct xs_node *create_node(struct req *r, const char *path,
				   const char *data, unsigned int len)
{
	char **todo = NULL;
	unsigned int nr = 0;
	struct xs_node *parent = NULL, *n = NULL;
	char *p = xs_xstrdup(path);

	while (!parent) {
		todo = xs_xrealloc(todo, (nr + 1) * sizeof(*todo));
		todo[nr++] = p;
		p = xs_parent_path(p);
		parent = lookup(r, p);
		if (!parent && !strcmp(p, "/"))
			break;	/* no root: cannot happen */
	}
	free(p);
	while (parent && nr) {
		char *name = todo[--nr];

		n = xs_node_new(parent, name, parent->perms, parent->nr_perms);
		if (!is_priv(r->c))
			n->perms[0].id = r->c->domid;
		mark_modified(r, parent);
		mark_modified(r, n);
		parent = n;
		free(name);
	}
	free(todo);
	if (n) {
		xs_node_set_data(n, data, len);
		mark_modified(r, n);
	}
	return n;
}

static int do_write(struct req *r)
{
	unsigned int off, datalen;
	struct xs_node *n;
	char *path;
	int err;

	if (xs_count_strings(r->body, r->len) < 1)
		return EINVAL;
	off = strlen(r->body) + 1;
	datalen = r->len - off;
	if (!is_priv(r->c) && datalen > XS_QUOTA_NODE_SIZE)
		return ENOSPC;
	err = canonicalize(r->c, r->body, false, &path);
	if (err)
		return err;
	err = get_node(r, path, XS_PERM_WRITE, &n);
	if (err == ENOENT) {
		n = create_node(r, path, r->body + off, datalen);
		err = n ? 0 : EINVAL;
	} else if (!err) {
		xs_node_set_data(n, r->body + off, datalen);
		xs_node_touch(n);
		mark_modified(r, n);
	}
	if (!err) {
		node_changed(r, n, false, NULL, 0);
		ack(r);
	}
	free(path);
	return err;
}

static int do_mkdir(struct req *r)
{
	struct xs_node *n;
	char *path;
	int err;

	err = canonicalize(r->c, onearg(r), false, &path);
	if (err)
		return err;
	err = get_node(r, path, XS_PERM_WRITE, &n);
	if (err == ENOENT) {
		n = create_node(r, path, "", 0);
		err = n ? 0 : EINVAL;
		if (n)
			node_changed(r, n, false, NULL, 0);
	}
	if (!err)
		ack(r);
	free(path);
	return err;
}

/* Children first; the removed root fires for watchers above it too. */
static void rm_events(struct req *r, struct xs_node *n, bool exact)
{
	unsigned int i;

	for (i = 0; i < n->nr_child; i++)
		rm_events(r, n->child[i], true);
	if (r->txn)
		txn_note(r->txn, n->path, n->gen, true);
	node_changed(r, n, exact, NULL, 0);
}

static int do_rm(struct req *r)
{
	struct xs_node *n, *parent;
	char *path, *pp;
	int err;

	err = canonicalize(r->c, onearg(r), false, &path);
	if (err)
		return err;
	err = get_node(r, path, XS_PERM_WRITE, &n);
	pp = xs_parent_path(path);
	parent = lookup(r, pp);
	if (err == ENOENT) {
		/* Removing what is not there is fine if the parent is. */
		err = parent ? 0 : ENOENT;
		if (!err)
			ack(r);
	} else if (!err && !strcmp(path, "/")) {
		err = EINVAL;
	} else if (!err) {
		rm_events(r, n, false);
		mark_modified(r, parent);
		xs_node_unlink(n);
		mark_modified(r, parent);
		xs_node_free(n);
		ack(r);
	}
	free(pp);
	free(path);
	return err;
}

static int do_read(struct req *r)
{
	struct xs_node *n;
	char *path;
	int err;

	err = canonicalize(r->c, onearg(r), false, &path);
	if (!err)
		err = get_node(r, path, XS_PERM_READ, &n);
	if (!err)
		reply(r, XS_READ, n->data, n->datalen);
	free(path);
	return err;
}

static int do_directory(struct req *r)
{
	struct xs_node *n;
	unsigned int len;
	char *path, *list;
	int err;

	err = canonicalize(r->c, onearg(r), false, &path);
	if (!err)
		err = get_node(r, path, XS_PERM_READ, &n);
	if (!err) {
		list = xs_node_children(n, &len);
		reply(r, XS_DIRECTORY, list, len);
		free(list);
	}
	free(path);
	return err;
}

/*
 * Reply: generation, then as many children as fit starting at the byte
 * offset, and an empty string once the list is complete (send_directory_part).
 */
static int do_directory_part(struct req *r)
{
	unsigned int off, len = 0, genlen, total, maxlen;
	char gen[24], *list, *child, *data;
	struct xs_node *n;
	char *path;
	int err;

	if (xs_count_strings(r->body, r->len) != 2)
		return EINVAL;
	err = canonicalize(r->c, r->body, false, &path);
	if (!err)
		err = get_node(r, path, XS_PERM_READ, &n);
	free(path);
	if (err)
		return err;
	off = atoi(r->body + strlen(r->body) + 1);
	genlen = snprintf(gen, sizeof(gen), "%llu",
			  (unsigned long long)n->gen) + 1;
	list = xs_node_children(n, &total);
	data = xs_xmalloc(XENSTORE_PAYLOAD_MAX + 1);
	memcpy(data, gen, genlen);
	if (off >= total) {
		data[genlen] = '\0';
		reply(r, XS_DIRECTORY_PART, data, genlen + 1);
		goto out;
	}
	maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
	child = list + off;
	while (len + strlen(child) < maxlen) {
		len += strlen(child) + 1;
		child += strlen(child) + 1;
		if (off + len == total)
			break;
	}
	memcpy(data + genlen, list + off, len);
	if (off + len == total)
		data[genlen + len++] = '\0';
	reply(r, XS_DIRECTORY_PART, data, genlen + len);
out:
	free(data);
	free(list);
	return 0;
}

static int do_get_perms(struct req *r)
{
	struct xs_node *n;
	unsigned int len;
	char *path, *s;
	int err;

	err = canonicalize(r->c, onearg(r), true, &path);
	if (!err)
		err = get_node(r, path, XS_PERM_READ, &n);
	if (!err) {
		s = xs_perms_format(n->perms, n->nr_perms, &len);
		reply(r, XS_GET_PERMS, s, len);
		free(s);
	}
	free(path);
	return err;
}

static int do_set_perms(struct req *r)
{
	unsigned int nr = xs_count_strings(r->body, r->len);
	struct xs_perm *perms, *old = NULL;
	unsigned int nr_old = 0;
	struct xs_node *n;
	char *path = NULL;
	int err;

	if (nr < 2)
		return EINVAL;
	nr--;
	perms = xs_xmalloc(nr * sizeof(*perms));
	err = xs_perms_parse(r->body + strlen(r->body) + 1, nr, perms);
	if (!err)
		err = canonicalize(r->c, r->body, true, &path);
	/* Only the owner (or dom0) may do this. */
	if (!err)
		err = get_node(r, path, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	/* And an unprivileged owner may not give the node away. */
	if (!err && !is_priv(r->c) && perms[0].id != n->perms[0].id)
		err = EPERM;
	if (!err) {
		nr_old = n->nr_perms;
		old = xs_xmalloc(nr_old * sizeof(*old));
		memcpy(old, n->perms, nr_old * sizeof(*old));
		mark_modified(r, n);
		xs_node_set_perms(n, perms, nr);
		if (n->path[0] == '/')
			xs_node_touch(n);
		mark_modified(r, n);
		node_changed(r, n, false, old, nr_old);
		ack(r);
	}
	free(old);
	free(perms);
	free(path);
	return err;
}

static int do_watch(struct req *r)
{
	const char *token;
	struct watch *w;
	char *path;
	int err;

	if (xs_count_strings(r->body, r->len) != 2)
		return EINVAL;
	token = r->body + strlen(r->body) + 1;
	err = canonicalize(r->c, r->body, true, &path);
	if (err)
		return err;
	for (w = r->c->watches; w; w = w->next) {
		if (!strcmp(w->node, path) && !strcmp(w->token, token)) {
			free(path);
			return EEXIST;
		}
	}
	if (!is_priv(r->c) && r->c->nr_watches >= XS_QUOTA_WATCHES) {
		free(path);
		return E2BIG;
	}
	w = xs_xmalloc(sizeof(*w));
	w->node = path;
	w->token = xs_xstrdup(token);
	if (r->body[0] != '/' && r->body[0] != '@')
		w->prefix_len = strlen(path) - strlen(r->body);
	/* Keep registration order: events go out in that order. */
	if (!r->c->watches) {
		r->c->watches = w;
	} else {
		struct watch *last = r->c->watches;

		while (last->next)
			last = last->next;
		last->next = w;
	}
	r->c->nr_watches++;
	ack(r);
	/* Fired once up front, whatever the node's state or perms. */
	send_event(r->c, w->node + w->prefix_len, w->token);
	return 0;
}

static void watch_free(struct watch *w)
{
	free(w->node);
	free(w->token);
	free(w);
}

static int do_unwatch(struct req *r)
{
	struct watch **pw, *w;
	const char *token;
	char *path;
	int err;

	if (xs_count_strings(r->body, r->len) != 2)
		return EINVAL;
	token = r->body + strlen(r->body) + 1;
	err = canonicalize(r->c, r->body, true, &path);
	if (err)
		return err;
	err = ENOENT;
	for (pw = &r->c->watches; (w = *pw); pw = &w->next) {
		if (!strcmp(w->node, path) && !strcmp(w->token, token)) {
			*pw = w->next;
			watch_free(w);
			r->c->nr_watches--;
			err = 0;
			ack(r);
			break;
		}
	}
	free(path);
	return err;
}

static int do_transaction_start(struct req *r)
{
	struct conn *c = r->c;
	struct txn *t, *i;
	char id[16];

	if (r->txn)
		return EBUSY;
	if (!is_priv(c) && c->nr_txns >= XS_QUOTA_TRANSACTIONS)
		return ENOSPC;
	t = xs_xmalloc(sizeof(*t));
	/* Ids are per connection, never 0, never one in use. */
	do {
		t->id = ++c->next_txid;
		for (i = c->txns; i && i->id != t->id; i = i->next)
			;
	} while (!t->id || i);
	t->root = xs_node_copy(xs_root, NULL);
	t->next = c->txns;
	c->txns = t;
	c->nr_txns++;
	snprintf(id, sizeof(id), "%u", t->id);
	reply(r, XS_TRANSACTION_START, id, strlen(id) + 1);
	return 0;
}

static int depth_cmp(const void *a, const void *b)
{
	const struct txn_access *x = a, *y = b;
	unsigned int dx = 0, dy = 0;
	const char *p;

	for (p = x->path; *p; p++)
		dx += *p == '/';
	for (p = y->path; *p; p++)
		dy += *p == '/';
	return dx < dy ? -1 : dx > dy;
}

static void regen(struct xs_node *n)
{
	unsigned int i;

	xs_node_touch(n);
	for (i = 0; i < n->nr_child; i++)
		regen(n->child[i]);
}

/* Make live node @ln's children those of transaction node @tn. */
static void sync_children(struct xs_node *ln, const struct xs_node *tn)
{
	struct xs_node **nc = xs_xmalloc((tn->nr_child + 1) * sizeof(*nc));
	unsigned int i, j;

	for (i = 0; i < tn->nr_child; i++) {
		const char *base = xs_basename(tn->child[i]->path);
		struct xs_node *c = xs_node_child(ln, base);

		if (!c) {
			c = xs_node_copy(tn->child[i], NULL);
			regen(c);
		}
		c->parent = ln;
		nc[i] = c;
	}
	for (j = 0; j < ln->nr_child; j++) {
		for (i = 0; i < tn->nr_child; i++)
			if (nc[i] == ln->child[j])
				break;
		if (i == tn->nr_child)
			xs_node_free(ln->child[j]);
	}
	free(ln->child);
	ln->child = nc;
	ln->nr_child = tn->nr_child;
	ln->cap_child = tn->nr_child + 1;
}

/*
 * Every modified node was read first in the transaction, and none of the
 * nodes read has changed since: copying the modified nodes (parents
 * first) into the live tree yields exactly the transaction's view.
 */
static void txn_apply(struct txn *t)
{
	unsigned int i;

	qsort(t->acc, t->nr_acc, sizeof(*t->acc), depth_cmp);
	for (i = 0; i < t->nr_acc; i++) {
		struct txn_access *a = &t->acc[i];
		struct xs_node *tn, *ln;

		if (!a->modified)
			continue;
		tn = xs_node_lookup(t->root, a->path);
		if (!tn)
			continue;	/* removed: its parent drops it */
		ln = xs_node_lookup(xs_root, a->path);
		if (!ln)
			continue;	/* created: its parent copied it */
		xs_node_set_data(ln, tn->data, tn->datalen);
		xs_node_set_perms(ln, tn->perms, tn->nr_perms);
		sync_children(ln, tn);
		xs_node_touch(ln);
	}
}

static bool txn_conflicts(const struct txn *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_acc; i++) {
		struct xs_node *ln = xs_node_lookup(xs_root, t->acc[i].path);

		if ((ln ? ln->gen : 0) != t->acc[i].gen)
			return true;
	}
	return false;
}

static int do_transaction_end(struct req *r)
{
	const char *arg = onearg(r);
	struct txn *t = r->txn, **pt;
	unsigned int i;
	int err = 0;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return EINVAL;
	if (!t)
		return ENOENT;
	for (pt = &r->c->txns; *pt != t; pt = &(*pt)->next)
		;
	*pt = t->next;
	r->c->nr_txns--;
	r->txn = NULL;
	r->root = xs_root;

	if (!strcmp(arg, "T")) {
		if (txn_conflicts(t)) {
			err = EAGAIN;
		} else {
			txn_apply(t);
			for (i = 0; i < t->nr_ev; i++)
				fire_watches(t->ev[i].path, t->ev[i].exact,
					     t->ev[i].perms, t->ev[i].nr_perms,
					     NULL, 0);
		}
	}
	txn_free(t);
	if (!err)
		ack(r);
	return err;
}

static int parse_domid(const char *s, unsigned int *domid)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > XS_DOMID_MAX)
		return EINVAL;
	*domid = v;
	return 0;
}

static int do_get_domain_path(struct req *r)
{
	unsigned int domid;
	char path[32];
	int err;

	err = parse_domid(onearg(r), &domid);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	reply(r, XS_GET_DOMAIN_PATH, path, strlen(path) + 1);
	return 0;
}

/* domid, mfn, event channel port: only the domid means anything here. */
static int do_introduce(struct req *r)
{
	unsigned int domid;
	int err;

	if (xs_count_strings(r->body, r->len) < 3)
		return EINVAL;
	err = parse_domid(r->body, &domid);
	if (err || domid == 0)
		return EINVAL;
	if (!domain_is_introduced(domid)) {
		err = domain_introduce(domid);
		if (err)
			return err;
		xs_fire_special("@introduceDomain");
	}
	return ack(r);
}

static int do_release(struct req *r)
{
	unsigned int domid;
	int err;

	err = parse_domid(onearg(r), &domid);
	if (err || domid == 0)
		return EINVAL;
	if (!domain_is_introduced(domid))
		return ENOENT;
	domain_release(domid);
	xs_domain_gone(domid);
	xs_fire_special("@releaseDomain");
	return ack(r);
}

static int do_is_domain_introduced(struct req *r)
{
	unsigned int domid;
	int err;

	err = parse_domid(onearg(r), &domid);
	if (err)
		return err;
	reply(r, XS_IS_DOMAIN_INTRODUCED,
	      domid == 0 || domain_is_introduced(domid) ? "T" : "F", 2);
	return 0;
}

static int do_reset_watches(struct req *r)
{
	xs_conn_cleanup(r->c);
	r->txn = NULL;
	r->root = xs_root;
	return ack(r);
}

/* Nodes a dead domain owned fall to dom0, as xenstored's perms check does. */
static void reown(struct xs_node *n, unsigned int domid)
{
	unsigned int i;

	if (n->perms[0].id == domid)
		n->perms[0].id = 0;
	for (i = 0; i < n->nr_child; i++)
		reown(n->child[i], domid);
}

void xs_domain_gone(unsigned int domid)
{
	reown(xs_root, domid);
}

void xs_conn_cleanup(struct conn *c)
{
	while (c->watches) {
		struct watch *w = c->watches;

		c->watches = w->next;
		watch_free(w);
	}
	c->nr_watches = 0;
	while (c->txns) {
		struct txn *t = c->txns;

		c->txns = t->next;
		txn_free(t);
	}
	c->nr_txns = 0;
}

#define XS_FLAG_NOTID	(1U << 0)	/* ignore the transaction id */
#define XS_FLAG_PRIV	(1U << 1)	/* dom0 only */

static const struct {
	const char *name;
	int (*fn)(struct req *r);
	unsigned int flags;
} ops[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { "CONTROL", NULL, XS_FLAG_PRIV },
	[XS_DIRECTORY] = { "DIRECTORY", do_directory, 0 },
	[XS_READ] = { "READ", do_read, 0 },
	[XS_GET_PERMS] = { "GET_PERMS", do_get_perms, 0 },
	[XS_WATCH] = { "WATCH", do_watch, XS_FLAG_NOTID },
	[XS_UNWATCH] = { "UNWATCH", do_unwatch, XS_FLAG_NOTID },
	[XS_TRANSACTION_START] = { "TRANSACTION_START",
				   do_transaction_start, 0 },
	[XS_TRANSACTION_END] = { "TRANSACTION_END", do_transaction_end, 0 },
	[XS_INTRODUCE] = { "INTRODUCE", do_introduce, XS_FLAG_PRIV },
	[XS_RELEASE] = { "RELEASE", do_release, XS_FLAG_PRIV },
	[XS_GET_DOMAIN_PATH] = { "GET_DOMAIN_PATH", do_get_domain_path, 0 },
	[XS_WRITE] = { "WRITE", do_write, 0 },
	[XS_MKDIR] = { "MKDIR", do_mkdir, 0 },
	[XS_RM] = { "RM", do_rm, 0 },
	[XS_SET_PERMS] = { "SET_PERMS", do_set_perms, 0 },
	[XS_WATCH_EVENT] = { "WATCH_EVENT", NULL, 0 },
	[XS_ERROR] = { "ERROR", NULL, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED",
				      do_is_domain_introduced, XS_FLAG_PRIV },
	[XS_RESUME] = { "RESUME", NULL, XS_FLAG_PRIV },
	[XS_SET_TARGET] = { "SET_TARGET", NULL, XS_FLAG_PRIV },
	[XS_RESET_WATCHES] = { "RESET_WATCHES", do_reset_watches,
			       XS_FLAG_NOTID },
	[XS_DIRECTORY_PART] = { "DIRECTORY_PART", do_directory_part, 0 },
};

const char *xs_type_name(uint32_t type)
{
	if (type < XS_TYPE_COUNT && ops[type].name)
		return ops[type].name;
	return "UNKNOWN";
}

/* Handle the complete message in c->in_hdr / c->in_buf. */
void xs_process(struct conn *c)
{
	struct req r = {
		.c = c,
		.hdr = &c->in_hdr,
		.body = c->in_buf,
		.len = c->in_hdr.len,
		.root = xs_root,
	};
	uint32_t type = c->in_hdr.type;
	int err;

	c->in_buf[r.len] = '\0';
	if (xs_verbose)
		xs_log("d%u <- %s tx=%u %s", c->domid, xs_type_name(type),
		       c->in_hdr.tx_id, r.len ? r.body : "");

	if (type >= XS_TYPE_COUNT || !ops[type].fn) {
		reply_error(&r, ENOSYS);
		return;
	}
	if ((ops[type].flags & XS_FLAG_PRIV) && !is_priv(c)) {
		reply_error(&r, EACCES);
		return;
	}
	if (!(ops[type].flags & XS_FLAG_NOTID) && c->in_hdr.tx_id) {
		for (r.txn = c->txns; r.txn; r.txn = r.txn->next)
			if (r.txn->id == c->in_hdr.tx_id)
				break;
		if (!r.txn) {
			reply_error(&r, ENOENT);
			return;
		}
		r.root = r.txn->root;
	}
	err = ops[type].fn(&r);
	if (err)
		reply_error(&r, err);
}
