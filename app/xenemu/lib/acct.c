/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xenemu-acct [--json] [--dir DIR]: per-domain grant/evtchn accounting of
 * the emulated machine in $XENEMU_DIR. Reclaims what dead processes left
 * first, so "held now" counts only cover live processes.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>

#include "emu.h"

#define MAX_DOMS (1u << 16)

static const char *const ctr_name[EMU_CTR_NR] = {
	[EMU_CTR_MAP_CALLS] = "map_calls",
	[EMU_CTR_UNMAP_CALLS] = "unmap_calls",
	[EMU_CTR_COPY_CALLS] = "copy_calls",
	[EMU_CTR_COPY_SEGS] = "copy_segs",
	[EMU_CTR_COPY_ERRORS] = "copy_errors",
	[EMU_CTR_NOTIFY] = "notify",
};

static uint8_t seen[MAX_DOMS];

/* Domains with a table or journal file: d<N> and maps-<N>-<pid>. */
static void scan_dir(const char *sub)
{
	char path[PATH_MAX];
	struct dirent *d;
	unsigned int dom;
	char c;
	DIR *dir;

	if (emu_path(path, sizeof(path), "%s", sub) < 0)
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if ((sscanf(d->d_name, "d%u%c", &dom, &c) == 1 ||
		     sscanf(d->d_name, "maps-%u-", &dom) == 1) && dom < MAX_DOMS)
			seen[dom] = 1;
	}
	closedir(dir);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xenemu-acct [--json] [--dir DIR] [--reap MS]\n"
		"  per-domain counters of the emulated machine in $XENEMU_DIR;\n"
		"  --reap: instead, every MS milliseconds release what dead\n"
		"  processes held, as the kernel does at exit (unmap and\n"
		"  unshare notifications fire, ports close)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dir", required_argument, NULL, 'd' },
		{ "reap", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct emu_acct_slot *slots;
	bool json = false, first = true;
	const char *dir = getenv("XENEMU_DIR");
	unsigned long reap_ms = 0;
	uint32_t dom, i;
	int opt;

	while ((opt = getopt_long(argc, argv, "jd:r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'r':
			reap_ms = strtoul(optarg, NULL, 10);
			if (reap_ms == 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "xenemu-acct: set XENEMU_DIR or pass --dir\n");
		return 2;
	}
	setenv("XENEMU_DIR", dir, 1);
	if (emu_env() == NULL) {
		fprintf(stderr, "xenemu-acct: %s: %s\n", dir, strerror(errno));
		return 1;
	}

	emu_gnt_gc_all();
	emu_evtchn_gc_all();
	while (reap_ms != 0) {
		usleep(reap_ms * 1000);
		emu_gnt_gc_all();
		emu_evtchn_gc_all();
	}

	slots = emu_acct_slots();
	if (slots != NULL)
		for (i = 0; i < EMU_ACCT_SLOTS; i++)
			if (slots[i].key != 0 && slots[i].key <= MAX_DOMS)
				seen[slots[i].key - 1] = 1;
	scan_dir("gnt");
	scan_dir("evtchn");

	if (json)
		printf("{");
	else
		printf("%5s %8s %8s %10s %11s %10s %10s %11s %8s %12s\n",
		       "domid", "shared", "mapped", "map_calls", "unmap_calls",
		       "copy_calls", "copy_segs", "copy_errors", "notify",
		       "evtchn_bound");
	for (dom = 0; dom < MAX_DOMS; dom++) {
		uint64_t ctr[EMU_CTR_NR] = { 0 }, shared, mapped, bound;
		int c;

		if (!seen[dom])
			continue;
		if (slots != NULL)
			for (i = 0; i < EMU_ACCT_SLOTS; i++)
				if (slots[i].key == dom + 1)
					for (c = 0; c < EMU_CTR_NR; c++)
						ctr[c] = __atomic_load_n(
							&slots[i].ctr[c],
							__ATOMIC_RELAXED);
		shared = emu_gnt_count_shared(dom);
		mapped = emu_gnt_count_mapped(dom);
		bound = emu_evtchn_count_bound(dom);
		if (!json) {
			printf("%5u %8" PRIu64 " %8" PRIu64, dom, shared, mapped);
			printf(" %10" PRIu64 " %11" PRIu64 " %10" PRIu64
			       " %10" PRIu64 " %11" PRIu64 " %8" PRIu64,
			       ctr[0], ctr[1], ctr[2], ctr[3], ctr[4], ctr[5]);
			printf(" %12" PRIu64 "\n", bound);
			continue;
		}
		printf("%s\n  \"%u\": {\"shared\": %" PRIu64
		       ", \"mapped\": %" PRIu64, first ? "" : ",", dom, shared,
		       mapped);
		for (c = 0; c < EMU_CTR_NR; c++)
			printf(", \"%s\": %" PRIu64, ctr_name[c], ctr[c]);
		printf(", \"evtchn_bound\": %" PRIu64 "}", bound);
		first = false;
	}
	if (json)
		printf("%s}\n", first ? "" : "\n");
	return 0;
}
