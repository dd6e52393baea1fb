/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Node tree of the emulated xenstore: paths, data, permissions.
 *
 * Nothing here knows about connections or the wire; the request handlers
 * in xs_ops.c decide who may do what, this file only stores the result.
 */
#ifndef XENEMU_XS_TREE_H
#define XENEMU_XS_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Same bit values as xenstore_lib.h, which the clients use. */
#define XS_PERM_NONE	0x00
#define XS_PERM_READ	0x01
#define XS_PERM_WRITE	0x02
#define XS_PERM_OWNER	0x08
#define XS_PERM_IGNORE	0x10

/* Longest path component: a whole payload, the daemon limits paths further. */
#define XS_NAME_MAX_BUF	4097

struct xs_perm {
	unsigned int id;	/* domid */
	unsigned int perms;	/* XS_PERM_* */
};

struct xs_node {
	char *path;		/* full canonical path, "/" for the root */
	struct xs_node *parent;
	struct xs_node **child;	/* in creation order, as xenstored lists them */
	unsigned int nr_child;
	unsigned int cap_child;
	char *data;
	unsigned int datalen;
	struct xs_perm *perms;	/* perms[0]: owner + default for others */
	unsigned int nr_perms;
	uint64_t gen;		/* changes on every modification */
};

void *xs_xmalloc(size_t sz);
void *xs_xrealloc(void *p, size_t sz);
char *xs_xstrdup(const char *s);

uint64_t xs_next_gen(void);

struct xs_node *xs_node_new(struct xs_node *parent, const char *path,
			    const struct xs_perm *perms, unsigned int nr_perms);
void xs_node_free(struct xs_node *n);
void xs_node_unlink(struct xs_node *n);
struct xs_node *xs_node_copy(const struct xs_node *src,
			     struct xs_node *parent);
struct xs_node *xs_node_lookup(struct xs_node *root, const char *path);
struct xs_node *xs_node_child(const struct xs_node *n, const char *base);
void xs_node_set_data(struct xs_node *n, const char *data, unsigned int len);
void xs_node_set_perms(struct xs_node *n, const struct xs_perm *perms,
		       unsigned int nr);
void xs_node_touch(struct xs_node *n);

const char *xs_basename(const char *path);
char *xs_parent_path(const char *path);
bool xs_is_child(const char *child, const char *parent);

char *xs_node_children(const struct xs_node *n, unsigned int *len);
char *xs_perms_format(const struct xs_perm *perms, unsigned int nr,
		      unsigned int *len);
int xs_perms_parse(const char *strs, unsigned int nr, struct xs_perm *out);
unsigned int xs_count_strings(const char *buf, unsigned int len);

#endif
