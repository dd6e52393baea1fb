/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Node tree of the emulated xenstore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_tree.h"

/*
 * The daemon is a test fixture holding a few hundred nodes: running out of
 * memory is not a state worth recovering from, so the allocators abort
 * instead of threading ENOMEM through every path.
 */
void *xs_xmalloc(size_t sz)
{
	void *p = calloc(1, sz ? sz : 1);

	if (!p) {
		fprintf(stderr, "xenemu-xenstored: out of memory\n");
		abort();
	}
	return p;
}

void *xs_xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz ? sz : 1);
	if (!p) {
		fprintf(stderr, "xenemu-xenstored: out of memory\n");
		abort();
	}
	return p;
}

char *xs_xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xs_xmalloc(len), s, len);
}

/* One counter for all trees so a generation never repeats. */
static uint64_t gen_counter;

uint64_t xs_next_gen(void)
{
	return ++gen_counter;
}

static void node_add_child(struct xs_node *parent, struct xs_node *n)
{
	if (parent->nr_child == parent->cap_child) {
		parent->cap_child = parent->cap_child ? 2 * parent->cap_child : 4;
		parent->child = xs_xrealloc(parent->child,
			parent->cap_child * sizeof(*parent->child));
	}
	parent->child[parent->nr_child++] = n;
	n->parent = parent;
}

struct xs_node *xs_node_new(struct xs_node *parent, const char *path,
			    const struct xs_perm *perms, unsigned int nr_perms)
{
	struct xs_node *n = xs_xmalloc(sizeof(*n));

	n->path = xs_xstrdup(path);
	n->data = xs_xmalloc(1);
	xs_node_set_perms(n, perms, nr_perms);
	n->gen = xs_next_gen();
	if (parent) {
		node_add_child(parent, n);
		xs_node_touch(parent);
	}
	return n;
}

void xs_node_free(struct xs_node *n)
{
	unsigned int i;

	for (i = 0; i < n->nr_child; i++)
		xs_node_free(n->child[i]);
	free(n->child);
	free(n->path);
	free(n->data);
	free(n->perms);
	free(n);
}

void xs_node_unlink(struct xs_node *n)
{
	struct xs_node *p = n->parent;
	unsigned int i;

	if (!p)
		return;
	for (i = 0; i < p->nr_child; i++) {
		if (p->child[i] == n) {
			memmove(&p->child[i], &p->child[i + 1],
				(p->nr_child - i - 1) * sizeof(*p->child));
			p->nr_child--;
			break;
		}
	}
	n->parent = NULL;
	xs_node_touch(p);
}

/* Deep copy keeping generations: transactions compare them on commit. */
struct xs_node *xs_node_copy(const struct xs_node *src, struct xs_node *parent)
{
	struct xs_node *n = xs_xmalloc(sizeof(*n));
	unsigned int i;

	n->path = xs_xstrdup(src->path);
	xs_node_set_data(n, src->data, src->datalen);
	xs_node_set_perms(n, src->perms, src->nr_perms);
	if (parent)
		node_add_child(parent, n);
	for (i = 0; i < src->nr_child; i++)
		xs_node_copy(src->child[i], n);
	n->gen = src->gen;
	return n;
}

struct xs_node *xs_node_child(const struct xs_node *n, const char *base)
{
	unsigned int i;

	for (i = 0; i < n->nr_child; i++)
		if (!strcmp(xs_basename(n->child[i]->path), base))
			return n->child[i];
	return NULL;
}

/* @path must be canonical and absolute. */
struct xs_node *xs_node_lookup(struct xs_node *root, const char *path)
{
	struct xs_node *n = root;
	const char *p = path + 1;
	char name[XS_NAME_MAX_BUF];

	while (n && *p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		unsigned int i;

		if (len >= sizeof(name))
			return NULL;
		memcpy(name, p, len);
		name[len] = '\0';
		for (i = 0; i < n->nr_child; i++)
			if (!strcmp(xs_basename(n->child[i]->path), name))
				break;
		n = i < n->nr_child ? n->child[i] : NULL;
		p += len + (slash ? 1 : 0);
	}
	return n;
}

void xs_node_set_data(struct xs_node *n, const char *data, unsigned int len)
{
	free(n->data);
	n->data = xs_xmalloc(len + 1);
	memcpy(n->data, data, len);
	n->datalen = len;
}

void xs_node_set_perms(struct xs_node *n, const struct xs_perm *perms,
		       unsigned int nr)
{
	free(n->perms);
	n->perms = xs_xmalloc(nr * sizeof(*perms));
	memcpy(n->perms, perms, nr * sizeof(*perms));
	n->nr_perms = nr;
}

void xs_node_touch(struct xs_node *n)
{
	n->gen = xs_next_gen();
}

const char *xs_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Parent of "/a/b" is "/a", of "/a" and of "@x" is "/". */
char *xs_parent_path(const char *path)
{
	const char *slash = strrchr(path + 1, '/');
	char *p;

	if (!slash)
		return xs_xstrdup("/");
	p = xs_xmalloc(slash - path + 1);
	memcpy(p, path, slash - path);
	return p;
}

/* Is @child equal to @parent or below it? */
bool xs_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (!strcmp(parent, "/"))
		return child[0] == '/';
	if (strncmp(child, parent, len))
		return false;
	return child[len] == '/' || child[len] == '\0';
}

/* Child names, each nul-terminated, as XS_DIRECTORY returns them. */
char *xs_node_children(const struct xs_node *n, unsigned int *len)
{
	unsigned int i, total = 0;
	char *buf, *p;

	for (i = 0; i < n->nr_child; i++)
		total += strlen(xs_basename(n->child[i]->path)) + 1;
	p = buf = xs_xmalloc(total + 1);
	for (i = 0; i < n->nr_child; i++) {
		const char *b = xs_basename(n->child[i]->path);

		memcpy(p, b, strlen(b) + 1);
		p += strlen(b) + 1;
	}
	*len = total;
	return buf;
}

static const char perm_letter[] = {
	[XS_PERM_NONE] = 'n',
	[XS_PERM_READ] = 'r',
	[XS_PERM_WRITE] = 'w',
	[XS_PERM_READ | XS_PERM_WRITE] = 'b',
};

char *xs_perms_format(const struct xs_perm *perms, unsigned int nr,
		      unsigned int *len)
{
	char *buf = xs_xmalloc(nr * 16 + 1);
	unsigned int i, off = 0;

	for (i = 0; i < nr; i++)
		off += sprintf(buf + off, "%c%u",
			perm_letter[perms[i].perms & 3], perms[i].id) + 1;
	*len = off;
	return buf;
}

/* @strs holds @nr nul-terminated "<letter><domid>" strings. */
int xs_perms_parse(const char *strs, unsigned int nr, struct xs_perm *out)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		char *end;
		unsigned long id;

		switch (strs[0]) {
		case 'n':
			out[i].perms = XS_PERM_NONE;
			break;
		case 'r':
			out[i].perms = XS_PERM_READ;
			break;
		case 'w':
			out[i].perms = XS_PERM_WRITE;
			break;
		case 'b':
			out[i].perms = XS_PERM_READ | XS_PERM_WRITE;
			break;
		default:
			return EINVAL;
		}
		errno = 0;
		id = strtoul(strs + 1, &end, 0);
		if (errno || *end || end == strs + 1 || id > 0xffff)
			return EINVAL;
		out[i].id = id;
		strs += strlen(strs) + 1;
	}
	return 0;
}

/* Number of nul-terminated strings in @buf (trailing garbage ignored). */
unsigned int xs_count_strings(const char *buf, unsigned int len)
{
	unsigned int i, n = 0;

	for (i = 0; i < len; i++)
		if (!buf[i])
			n++;
	return n;
}
