/*
 * cell — bounded writable space: a size and an inode limit for every
 * writable tmpfs of `cell run` (issue 11).
 *
 * A tmpfs that names no size may take half the host's RAM (tmpfs(5)), and
 * `cell run` mounts four of them (/tmp, /var/tmp, /run, /dev/shm): without
 * swap their pages cannot be reclaimed, so one container could pin twice
 * the host's memory. Inodes are not counted in size= at all: each costs
 * about 1 KiB of kernel memory (shmem_inode_info and its dentry), so
 * nr_inodes bounds what empty files can take.
 *
 * Pages of a tmpfs are charged to the memory cgroup of the process that
 * faults them in (Documentation/admin-guide/cgroup-v1/memory.rst, "shmem"),
 * so with --memory a container's /tmp counts against its own limit; the
 * default size is then half the limit, so that a full /tmp says ENOSPC
 * while its processes still have room, rather than the OOM killer acting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "rootfs.h"
#include "utils.h"

/* The kernel's defaults would be half of RAM and half of its pages in inodes. */
#define TMPFS_SIZE_CAP (1ULL << 30)
#define TMPFS_BYTES_PER_INODE (16ULL << 10)
#define TMPFS_MIN_INODES 1024ULL

/*
 * A quarter of RAM, at most 1 GiB, at most half the memory limit: room for a
 * compiler's or a test suite's scratch files on any host, and never the
 * host's memory. --tmp-size or --tmpfs DST:size= give more.
 */
uint64_t cell_tmpfs_default_size(int64_t memory_limit)
{
	uint64_t size = TMPFS_SIZE_CAP;
	struct sysinfo si;

	if (sysinfo(&si) == 0 && (uint64_t)si.totalram * si.mem_unit / 4 < size)
		size = (uint64_t)si.totalram * si.mem_unit / 4;
	if (memory_limit > 0 && (uint64_t)memory_limit / 2 < size)
		size = (uint64_t)memory_limit / 2;
	return size;
}

/* The index of @key's option ("size" matches "size=..."), or -1. */
static int find_option(char **options, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; options && options[i]; i++)
		if (!strncmp(options[i], key, n) && options[i][n] == '=')
			return i;
	return -1;
}

static bool has_flag(char **options, const char *flag)
{
	for (int i = 0; options && options[i]; i++)
		if (!strcmp(options[i], flag))
			return true;
	return false;
}

/* Set @key=@value, replacing what @m had. */
static int set_option(struct cell_mount *m, const char *key, unsigned long long value,
		      const char *unit, struct cell_error *err)
{
	char buf[64];
	int i = find_option(m->options, key);

	snprintf(buf, sizeof(buf), "%s=%llu%s", key, value, unit);
	if (i >= 0) {
		char *copy = strdup(buf);

		if (!copy)
			return cell_error_set(err, ENOMEM, "mount %s: %s", m->destination, key);
		free(m->options[i]);
		m->options[i] = copy;
		return 0;
	}
	if (cell_strv_append(&m->options, buf) < 0)
		return cell_error_set(err, ENOMEM, "mount %s: %s", m->destination, key);
	return 0;
}

/* size= as the kernel reads it (memparse's k, m, g, t, or "%" of RAM: tmpfs(5)). */
static bool option_size(char **options, uint64_t *bytes)
{
	int i = find_option(options, "size");
	char *end;

	if (i < 0)
		return false;
	*bytes = strtoull(options[i] + 5, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		*bytes <<= 10;
		break;
	case 'm':
	case 'M':
		*bytes <<= 20;
		break;
	case 'g':
	case 'G':
		*bytes <<= 30;
		break;
	case 't':
	case 'T':
		*bytes <<= 40;
		break;
	case '%': {
		struct sysinfo si;

		*bytes = sysinfo(&si) == 0 ? *bytes * si.totalram / 100 * si.mem_unit : 0;
		break;
	}
	}
	return true;
}

int cell_tmpfs_set_size(struct cell_mount *m, uint64_t bytes, struct cell_error *err)
{
	/* in KiB, as the kernel shows it in mountinfo; 0 would mean unlimited */
	return set_option(m, "size", bytes ? (bytes + 1023) >> 10 : 1, "k", err);
}

int cell_tmpfs_bound(struct cell_mount *m, uint64_t default_size, struct cell_error *err)
{
	uint64_t size;
	int r;

	if (!m->type || strcmp(m->type, "tmpfs") || has_flag(m->options, "ro"))
		return 0;
	if (!option_size(m->options, &size)) {
		if ((r = cell_tmpfs_set_size(m, default_size, err)) < 0)
			return r;
		size = default_size;
	}
	if (size == 0 || find_option(m->options, "nr_inodes") >= 0)
		return 0; /* size=0: the user asked for no limit */
	if (size / TMPFS_BYTES_PER_INODE < TMPFS_MIN_INODES)
		size = TMPFS_MIN_INODES * TMPFS_BYTES_PER_INODE;
	return set_option(m, "nr_inodes", size / TMPFS_BYTES_PER_INODE, "", err);
}

int cell_spec_bound_tmpfs(struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_resources *res = &spec->linux.resources;
	uint64_t size = cell_tmpfs_default_size(res->has_memory_limit ? res->memory_limit : -1);
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++)
		if ((r = cell_tmpfs_bound(&spec->mounts[i], size, err)) < 0)
			return r;
	return 0;
}
