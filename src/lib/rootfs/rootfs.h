/*
 * cell — rootfs/: the container's file system view, made by the child in its
 * new mount namespace (mounts.h: the mount helpers inside this folder).
 *
 * rootfs.c          root, mounts[], /dev, masked and read-only paths, pivot_root
 * mounts.c          one mount on a target resolved inside the root
 * mount_options.c   mounts[].options into flags, attributes and data
 * mount_skeleton.c  the directories and files a mount needs to land on
 * mount_cgroup.c    /sys/fs/cgroup inside the container
 * mount_lock.c      a user namespace above the mounts, so the kernel locks them
 * devices.c         /dev: linux.devices and the default nodes
 * copy_tree.c       tmpcopyup: what lay under a tmpfs, copied into it
 * tmpfs_bounds.c    sizes for tmpfs mounts without one (from the memory limit)
 *
 * Uses base/, ns/ (id-mapped mounts), spec/ and security/ (sysctls, /proc/self).
 */
#ifndef CELL_ROOTFS_H
#define CELL_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "cell/cell.h"

/* ---- mount_lock.c (child side, after the mount setup) ---- */

/**
 * cell_mounts_lock_prepare() - in the container's first user namespace,
 * before its mounts: allow one user namespace below it if @lock (the one
 * cell_mounts_lock makes), else none, unless spec->cell.nested_userns; and
 * let a new network namespace bind any port.
 */
int cell_mounts_lock_prepare(const struct cell_spec *spec, bool lock, struct cell_error *err);
/**
 * cell_mounts_lock() - enter a user namespace mapping @spec's container ids onto
 * themselves and a mount namespace owned by it, so the kernel locks every
 * mount made so far.
 */
int cell_mounts_lock(const struct cell_spec *spec, struct cell_error *err);

/* ---- rootfs.c (child side, inside the new mount namespace) ---- */

/* What the parent makes before clone3 for the child's mounts (inherited fds). */
struct cell_rootfs_prepared {
	int *trees;   /* per spec mount: a detached idmapped tree, or -1; NULL: none */
	int *devices; /* per linux.devices[] entry: a node made for a user namespace, or -1 */
	size_t n_devices;
};

/**
 * cell_rootfs_prepare() - parent side: the idmapped mounts' trees and the
 * device nodes of a user namespace (root only); @warn when owners cannot be given.
 */
int cell_rootfs_prepare(const struct cell_spec *spec, struct cell_rootfs_prepared *p,
			cell_warn_fn warn, void *ctx, struct cell_error *err);
void cell_rootfs_prepared_free(struct cell_rootfs_prepared *p, size_t n_mounts);
/* The caller's part in cell_rootfs_setup(); each may be NULL. */
struct cell_rootfs_calls {
	/* before the first cgroup mount: the process is in its cgroup and its
	 * cgroup namespace from then on */
	int (*before_cgroup)(void *ctx, struct cell_error *err);
	/* once the mounts are made, before pivot_root (createContainer hooks) */
	int (*before_pivot)(void *ctx, struct cell_error *err);
	void *ctx;
	/* takes the early clone of a bind cloned again in its turn, to drop it
	 * elsewhere: a drop waits for an RCU grace period (namespace_unlock) */
	void (*drop)(void *ctx, int tree);
};
/** cell_rootfs_setup() - child side: root, mounts[], /dev, masked and read-only paths. */
int cell_rootfs_setup(const struct cell_spec *spec, bool in_userns,
		      const struct cell_rootfs_prepared *p, const struct cell_rootfs_calls *calls,
		      struct cell_error *err);
/** cell_selinux_enabled() - is selinuxfs mounted (mountLabel can be applied)? */
bool cell_selinux_enabled(void);

/* ---- tmpfs_bounds.c ---- */

/** cell_tmpfs_default_size() - a quarter of RAM, at most 1 GiB and half @memory_limit (if > 0). */
uint64_t cell_tmpfs_default_size(int64_t memory_limit);
/** cell_tmpfs_set_size() - set size= of tmpfs mount @m to @bytes (rounded up to KiB). */
int cell_tmpfs_set_size(struct cell_mount *m, uint64_t bytes, struct cell_error *err);
/**
 * cell_tmpfs_bound() - a writable tmpfs without size= gets @default_size; one
 * without nr_inodes= one inode per 16 KiB of its size (at least 1024).
 */
int cell_tmpfs_bound(struct cell_mount *m, uint64_t default_size, struct cell_error *err);
/** cell_spec_bound_tmpfs() - cell_tmpfs_bound() on every mount, the size from the memory limit. */
int cell_spec_bound_tmpfs(struct cell_spec *spec, struct cell_error *err);

#endif
