/*
 * cell — the container's file system view (child side, in its own mount
 * namespace).
 *
 * Everything taken from the host (bind sources, fallback mounts, device
 * nodes, the cgroup hierarchies) is taken first; then the root is made (the
 * host's own, read-only in place, or a directory that is pivoted or, with
 * no_pivot, moved and chrooted into), mounts[] are made in order inside it
 * (mounts.c), then /dev (devices.c), root.readonly, maskedPaths and
 * readonlyPaths.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounts.h"
#include "rootfs.h"
#include "security.h"
#include "utils.h"

static bool is_type(const struct cell_mount *m, const char *type)
{
	return m->type && !strcmp(m->type, type);
}

static bool is_cgroup(const struct cell_mount *m)
{
	return is_type(m, "cgroup") || is_type(m, "cgroup2");
}

/* runc's needsSetupDev: the defaults go everywhere but on a /dev bound from elsewhere. */
static enum cell_dev_kind dev_kind(const struct cell_spec *spec)
{
	enum cell_dev_kind kind = CELL_DEV_ROOTFS;
	struct cell_error ignored = { 0 };
	struct cell_mount_opts o;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];

		if (strcmp(m->destination, "/dev"))
			continue;
		if (is_type(m, "tmpfs"))
			kind = CELL_DEV_TMPFS;
		else if (cell_mount_options_parse(m, &o, &ignored) == 0 && o.bind)
			kind = CELL_DEV_HOST_BIND;
		else
			kind = CELL_DEV_ROOTFS;
	}
	return kind;
}

bool cell_selinux_enabled(void)
{
	struct statfs sf;

	return statfs("/sys/fs/selinux", &sf) == 0 && sf.f_type == SELINUX_MAGIC;
}

/*
 * The container's /dev/null, for masking files: opened without following a
 * symlink anywhere on the way and checked to be the null device (c 1:3).
 * The root file system may have put anything there: with a dev/null linked
 * to /proc/sys/kernel/core_pattern, masking by path bound the host's
 * core_pattern, writable, over /proc/keys and /proc/timer_list
 * (CVE-2025-31133). Return: an O_PATH fd, or -errno.
 */
static int open_null(struct cell_error *err)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	cleanup_close int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/dev/null", &how, sizeof(how));
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cell_error_set(err, errno, "linux.maskedPaths: /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return cell_error_set(err, EPERM,
				      "linux.maskedPaths: /dev/null is not the null "
				      "device (c 1:3); refusing to mask files with it");
	return take_fd(&fd);
}

/* A clone of the mount at @src attached on @path: no path is resolved twice. */
static int mask_with(const char *path, int src, struct cell_error *err)
{
	cleanup_close int target = open(path, O_PATH | O_CLOEXEC);
	int r;

	if (target < 0)
		return cell_error_set(err, errno, "linux.maskedPaths: %s", path);
	cleanup_close int tree = cell_clone_tree(src, false);
	r = tree < 0 ? tree : cell_attach_tree(tree, target, 0, 0, false);
	return r < 0 ? cell_error_set(err, -r, "linux.maskedPaths: mask %s", path) : 0;
}

/* The first masked directory gets the empty tmpfs; *@empty: its root, for the others. */
static int mask_dir(const char *path, int *empty, struct cell_error *err)
{
	if (*empty >= 0)
		return mask_with(path, *empty, err);
	if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,mode=0555") < 0)
		return cell_error_set(err, errno, "linux.maskedPaths: mask %s", path);
	if ((*empty = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY)) < 0)
		return cell_error_set(err, errno, "linux.maskedPaths: %s", path);
	return 0;
}

/*
 * maskedPaths: /dev/null over files, an empty read-only tmpfs over
 * directories: one for all of them, bound over each after the first, so a
 * container has one such superblock however many directories it masks (in
 * time a bind costs about what a tmpfs mount does: bench/README.md).
 * Read-only in its superblock (MS_RDONLY at its mount), it holds nothing and
 * never can, so the directories share no channel.
 * stat first: a bind that fails on a type mismatch has already cloned its
 * source, and freeing that clone waits for an RCU grace period (0.15 ms
 * here), where a stat costs 2 us. They run after the root change, so every
 * path, symlinks included, resolves inside the container.
 */
static int mask_paths(char *const *paths, struct cell_error *err)
{
	cleanup_close int null = -1;
	cleanup_close int empty = -1;
	struct stat st;
	int r;

	for (size_t i = 0; paths && paths[i]; i++) {
		if (stat(paths[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			return cell_error_set(err, errno, "linux.maskedPaths: %s", paths[i]);
		}
		if (S_ISDIR(st.st_mode))
			r = mask_dir(paths[i], &empty, err);
		else if (null < 0 && (null = open_null(err)) < 0)
			r = null;
		else
			r = mask_with(paths[i], null, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* readonlyPaths: a read-only clone of the path's tree, attached over it. */
static int readonly_paths(char *const *paths, struct cell_error *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		cleanup_close int fd = open(paths[i], O_PATH | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return cell_error_set(err, errno, "linux.readonlyPaths: %s", paths[i]);
		cleanup_close int tree = cell_clone_tree(fd, true);
		int r = tree < 0 ? tree : cell_attach_tree(tree, fd, MOUNT_ATTR_RDONLY, 0, true);
		if (r < 0)
			return cell_error_set(err, -r, "linux.readonlyPaths: make %s read-only",
					      paths[i]);
	}
	return 0;
}

static bool is_host_root(const struct cell_spec *spec)
{
	return !strcmp(spec->root.path, "/");
}

/* What below_earlier() asks of each mount, its options parsed once a walk. */
struct earlier {
	bool counts;	  /* not a remount (nor options that do not parse) */
	bool fresh_tmpfs; /* a fresh writable tmpfs: cell run's /dev and /tmp, say */
	bool bind;
};

static void earlier_facts(const struct cell_spec *spec, struct earlier *e)
{
	struct cell_mount_opts o;

	for (size_t j = 0; j < spec->n_mounts; j++) {
		const struct cell_mount *m = &spec->mounts[j];

		e[j] = (struct earlier){ 0 };
		if (cell_mount_options_parse(m, &o, NULL) < 0 || o.flags & MS_REMOUNT)
			continue;
		e[j] = (struct earlier){
			.counts = true,
			.fresh_tmpfs = !o.bind && !(o.flags & MS_RDONLY) && m->type &&
				       !strcmp(m->type, "tmpfs"),
			.bind = o.bind,
		};
	}
}

/*
 * Is @dest below one of mounts[0..@n) (for @tmpfs_only, a mount of a fresh
 * writable tmpfs)? Then mount_all makes it in that mount, in its turn; the
 * root never needs it.
 */
static bool below_earlier(const struct cell_spec *spec, const struct earlier *e, size_t n,
			  const char *dest, bool tmpfs_only)
{
	for (size_t j = 0; j < n; j++) {
		const char *d = spec->mounts[j].destination;
		size_t len = strlen(d);

		if (!e[j].counts || (tmpfs_only && !e[j].fresh_tmpfs))
			continue;
		if (!strncmp(dest, d, len) && (dest[len] == '/' || (len == 1 && dest[0] == '/')) &&
		    dest[len + (len > 1)])
			return true;
	}
	return false;
}

/*
 * mounts[@i]'s target as a skeleton may have to make it, unless a remount or
 * below an earlier tmpfs: a file for a bind of a non-directory, else a directory.
 */
static bool mount_target(const struct cell_spec *spec, const struct earlier *e, size_t i,
			 struct cell_skeleton_target *t)
{
	const struct cell_mount *m = &spec->mounts[i];
	struct stat st;

	if (!e[i].counts || below_earlier(spec, e, i, m->destination, true))
		return false;
	*t = (struct cell_skeleton_target){
		.dest = m->destination,
		.kind = e[i].bind && m->source && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode)
				? CELL_TARGET_FILE
				: CELL_TARGET_DIR,
	};
	return true;
}

/*
 * --symlink's links and (@mounts) the mount targets a skeleton may have to
 * make, in the flags' order; a link below a mount made before it is made in
 * that mount instead (mount_all). @t: room for every mount and link; -ENOMEM.
 */
static ssize_t skeleton_targets(const struct cell_spec *spec, bool mounts,
				struct cell_skeleton_target *t)
{
	const struct cell_extras *c = &spec->cell;
	cleanup_free struct earlier *e = calloc(spec->n_mounts + 1, sizeof(*e));
	size_t n = 0;

	if (!e)
		return -ENOMEM;
	earlier_facts(spec, e);
	for (size_t i = 0; i <= spec->n_mounts; i++) {
		for (size_t k = 0; k < c->n_path_ops; k++) {
			const struct cell_path_op *l = &c->path_ops[k];
			static const int kinds[] = { [CELL_PATH_SYMLINK] = CELL_TARGET_SYMLINK,
						     [CELL_PATH_DIR] = CELL_TARGET_DIR,
						     [CELL_PATH_FILE] = CELL_TARGET_FILE,
						     [CELL_PATH_CHMOD] = -1,
						     [CELL_PATH_REMOUNT_RO] = -1 };

			if (l->after != i || kinds[l->kind] < 0 ||
			    below_earlier(spec, e, i, l->path, false))
				continue;
			t[n++] = (struct cell_skeleton_target){
				.dest = l->path,
				.kind = (enum cell_target_kind)kinds[l->kind],
				.link_target = l->target,
				.dir_mode = l->kind == CELL_PATH_DIR ? l->mode : 0,
			};
		}
		if (mounts && i < spec->n_mounts && mount_target(spec, e, i, &t[n]))
			n++;
	}
	return (ssize_t)n;
}

/*
 * Does the root at @rootfd lack a link, or for a read-only host root a mount
 * target, that a skeleton would make? (one lookup each; a link's own path is
 * not followed)
 */
static bool lacks_targets(const struct cell_spec *spec, int rootfd)
{
	bool mounts = is_host_root(spec) && spec->root.readonly;
	cleanup_free struct cell_skeleton_target *t =
		calloc(spec->n_mounts + spec->cell.n_path_ops + 1, sizeof(*t));
	ssize_t n = t ? skeleton_targets(spec, mounts, t) : -ENOMEM;
	bool lacks = n < 0; /* no memory: make_skeletons() says so */

	for (ssize_t i = 0; !lacks && i < n; i++) {
		int nofollow = t[i].kind == CELL_TARGET_SYMLINK ? O_NOFOLLOW : 0;
		int fd = cell_openat2_in_root(rootfd, t[i].dest, O_PATH | nofollow);

		lacks = fd == -ENOENT;
		safe_close(fd);
	}
	return lacks;
}

/*
 * Make what the root at *@rootfd lacks in skeletons (mount_skeleton.c):
 * every link and mount target, so that neither the host's root nor a
 * directory root is written. A directory root's root.readonly covers them.
 */
static int make_skeletons(const struct cell_spec *spec, int *rootfd, struct cell_error *err)
{
	bool host = is_host_root(spec);
	uint64_t attrs = !host && spec->root.readonly ? MOUNT_ATTR_RDONLY : 0;
	cleanup_free struct cell_skeleton_target *t =
		calloc(spec->n_mounts + spec->cell.n_path_ops + 1, sizeof(*t));
	ssize_t n = t ? skeleton_targets(spec, true, t) : -ENOMEM;

	if (n < 0)
		return cell_error_set(err, ENOMEM, "mount targets");
	return cell_mount_skeletons(t, (size_t)n, rootfd, host, attrs, err);
}

/* Nothing done in the container's mount namespace may propagate back to the host. */
static int private_root(const struct cell_spec *spec, struct cell_error *err)
{
	unsigned long prop =
		spec->linux.rootfs_propagation & (MS_SHARED | MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;

	if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
		return cell_error_set(err, errno, "make / %s",
				      prop == MS_SLAVE ? "rslave" : "rprivate");
	return 0;
}

/*
 * The host's own root needs no new root mount: a new mount namespace is
 * already a private copy of the host's mount tree, so cell makes that copy
 * read-only in place, before anything is created in it, and mounts over it.
 * That saves a bind of the whole tree, pivot_root, and the detach of the old
 * root, whose RCU grace period alone cost 0.8 ms of a 7 ms start. Any other
 * root is bind-mounted onto itself and pivoted into (runc's way); its
 * root.readonly waits until the mount targets are made (finish_root).
 */
static int enter_root(const struct cell_spec *spec, bool privatized, struct cell_error *err)
{
	const char *root = spec->root.path;
	int r;

	if (!privatized && (r = private_root(spec, err)) < 0)
		return r;

	if (!is_host_root(spec) && mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cell_error_set(err, errno, "bind root file system %s", root);
	/* chdir after the bind: the path now leads into the new mount. */
	if (chdir(root) < 0)
		return cell_error_set(err, errno, "chdir %s", root);
	if (is_host_root(spec) && spec->root.readonly) {
		if ((r = cell_mount_setattr(AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, -1)) < 0)
			return cell_error_set(err, -r, "make the host's root read-only");
	}
	return 0;
}

/* root.readonly for a directory root: its own mount, as runc remounts it. */
static int finish_root(const struct cell_spec *spec, int rootfd, struct cell_error *err)
{
	int r;

	if (is_host_root(spec) || !spec->root.readonly)
		return 0;
	if ((r = cell_mount_setattr(rootfd, 0, MOUNT_ATTR_RDONLY, 0, -1)) < 0)
		return cell_error_set(err, -r, "root.readonly: make %s read-only", spec->root.path);
	return 0;
}

/*
 * no_pivot (runc --no-pivot, for a root on an initramfs, where pivot_root(2)
 * fails with EINVAL): move the root mount onto / and chroot into it. The
 * host's mounts stay underneath, within reach of a process that may chroot
 * again (CAP_SYS_CHROOT), which is why pivot_root is the default.
 */
static int move_root(const struct cell_spec *spec, struct cell_error *err)
{
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return cell_error_set(err, errno, "move %s onto /", spec->root.path);
	if (chroot(".") < 0)
		return cell_error_set(err, errno, "chroot %s", spec->root.path);
	return 0;
}

static int pivot(const struct cell_spec *spec, struct cell_error *err)
{
	int r;

	/* pivot_root(".", ".") stacks the old root on the new one; detach it (runc's way). */
	if (!is_host_root(spec) && spec->cell.no_pivot) {
		if ((r = move_root(spec, err)) < 0)
			return r;
	} else if (!is_host_root(spec)) {
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return cell_error_set(err, errno, "pivot_root into %s", spec->root.path);
		if (umount2(".", MNT_DETACH) < 0)
			return cell_error_set(err, errno, "detach the old root");
	}
	if (!is_host_root(spec) && chdir("/") < 0)
		return cell_error_set(err, errno, "chdir /");
	return 0;
}

/*
 * linux.rootfsPropagation, as given: "shared" marks the root mount only,
 * "rshared" every mount; private they are already (enter_root). Last, after
 * the masked and read-only paths: once the root is unbindable, so that a bind
 * of / fails with EINVAL (mount(2)), no /dev/null could be bound from it.
 */
static int root_propagation(const struct cell_spec *spec, struct cell_error *err)
{
	if (!(spec->linux.rootfs_propagation & (MS_SHARED | MS_SLAVE | MS_UNBINDABLE)))
		return 0;
	if (mount(NULL, "/", NULL, spec->linux.rootfs_propagation, NULL) < 0)
		return cell_error_set(err, errno, "linux.rootfsPropagation");
	return 0;
}

/*
 * Everything cell takes from the host is taken before it mounts anything:
 * the host's root may be the container's, and a --bind of the host's /tmp
 * must not find the container's tmpfs, nor a read-write bind the read-only
 * root. A bind keeps an O_PATH fd of its source, cloned in its turn
 * (clone_in_turn), unless it must be cloned at once (clone_early); idmapped
 * ones were cloned by the parent. fs mounts that may fall back to the host's
 * keep an O_PATH fd of it; so do the device nodes a user namespace cannot
 * mknod and the host's cgroup hierarchies.
 */
struct host_sources {
	int *mounts; /* per spec mount, -1 if none */
	struct cell_host_devices devices;
	int cgroupfs; /* the host's /sys/fs/cgroup, when a cgroup mount is listed */
};

/*
 * A bind over the host's root is cloned before the container's mounts cover
 * its source; a slave or shared one while its source is still in the host's
 * peer group (enter_root makes every mount private or a slave). A directory
 * root's other binds need nothing of the kind.
 */
static bool clone_early(const struct cell_spec *spec, const struct cell_mount_opts *o)
{
	return is_host_root(spec) || o->propagation & (MS_SHARED | MS_SLAVE);
}

static int take_source(const struct cell_spec *spec, const struct cell_mount *m, int prepared,
		       struct host_sources *hs, int *out, struct cell_error *err)
{
	struct cell_mount_opts o;
	int r;

	*out = -1;
	if ((r = cell_mount_options_parse(m, &o, err)) < 0)
		return r;
	if (is_cgroup(m) && hs->cgroupfs < 0)
		hs->cgroupfs = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (prepared >= 0 || o.flags & MS_REMOUNT || is_cgroup(m)) {
		*out = prepared;
		return 0;
	}
	if (!o.bind) {
		const char *src = cell_mount_fallback_source(m->type);

		*out = src ? open(src, O_PATH | O_CLOEXEC) : -1;
		return 0;
	}
	cleanup_close int fd = open(m->source, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return cell_error_set(err, errno, "bind source %s", m->source);
	if (!clone_early(spec, &o)) {
		*out = take_fd(&fd);
		return 0;
	}
	*out = cell_clone_tree(fd, o.recursive);
	if (*out < 0)
		return cell_error_set(err, -*out, "bind source %s", m->source);
	return 0;
}

static int take_sources(const struct cell_spec *spec, bool in_userns,
			const struct cell_rootfs_prepared *p, struct host_sources *hs,
			struct cell_error *err)
{
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		int prepared = p && p->trees ? p->trees[i] : -1;

		if ((r = take_source(spec, &spec->mounts[i], prepared, hs, &hs->mounts[i], err)) <
		    0)
			return r;
	}
	return cell_host_devices_open(spec, in_userns, dev_kind(spec), p ? p->devices : NULL,
				      &hs->devices, err);
}

/*
 * @tree: a detached tree this kernel will not clone (-EINVAL from
 * open_tree): made in another mount namespace (the parent's idmapped
 * trees), or detached before Linux 6.15. An attached mount clones on every
 * kernel: attach it on its target, clone it (a mount id given now, in its
 * turn), detach the first. The clone keeps what the first had: its idmap
 * (clone_mnt copies mnt_idmap), its flags, and its peer group, so a shared
 * or slave bind's propagation is the same as from an early clone. The
 * container's root is private or a slave while mounts are made (enter_root):
 * neither the attach nor the detach propagates to the host.
 */
static int reclone_attached(int rootfd, const struct cell_mount *m, bool recursive, int *tree,
			    struct cell_error *err)
{
	char top_path[64];
	struct stat st;
	int r, clone;

	if (fstat(*tree, &st) < 0)
		return cell_error_set(err, errno, "bind source %s", m->source);
	cleanup_close int target =
		cell_open_target(rootfd, m->destination,
				 S_ISDIR(st.st_mode) ? CELL_TARGET_DIR : CELL_TARGET_FILE, err);
	if (target < 0)
		return target;
	if ((r = cell_attach_tree(*tree, target, 0, 0, false)) < 0)
		return cell_error_set(err, -r, "mount %s on %s", m->source, m->destination);
	cleanup_close int top = cell_openat2_in_root(rootfd, m->destination, O_PATH);
	if (top < 0)
		return cell_error_set(err, -top, "mount %s", m->destination);
	if ((clone = cell_clone_tree(top, recursive)) < 0)
		return cell_error_set(err, -clone, "mount %s: clone it in its turn",
				      m->destination);
	snprintf(top_path, sizeof(top_path), "/proc/self/fd/%d", top);
	if (umount2(top_path, MNT_DETACH) < 0) {
		r = cell_error_set(err, errno, "mount %s: detach the first clone", m->destination);
		close(clone);
		return r;
	}
	safe_close(*tree);
	*tree = clone;
	return 0;
}

/*
 * config.md: "The runtime MUST mount entries in the listed order", and since
 * Linux 6.8 mountinfo lists a namespace's mounts by mount id, which open_tree
 * gives out when it clones: a bind cloned before the root bind and /proc
 * would be listed before them. So binds are cloned in their turn: from
 * their source (as runc binds by path, after the root), or, if cloned early
 * (an idmapped, slave or shared bind, or any bind over the host's root,
 * whose source the container's mounts may cover), again from that clone.
 * Linux clones a detached tree since 6.15, and only one made in the
 * caller's mount namespace; otherwise reclone_attached. Dropping an early
 * clone waits for an RCU grace period (namespace_unlock: 0.2 to 20 ms on a
 * busy 2-core VM): the early clone goes to @calls->drop, which has it
 * dropped off the start path (by cell's parent process).
 */
static int clone_in_turn(int rootfd, const struct cell_spec *spec, const struct cell_mount *m,
			 int prepared, int *fd, const struct cell_rootfs_calls *calls,
			 struct cell_error *err)
{
	struct cell_mount_opts o;
	int tree;

	if (cell_mount_options_parse(m, &o, NULL) < 0 || !o.bind || o.flags & MS_REMOUNT)
		return 0;
	tree = cell_clone_tree(*fd, o.recursive);
	if (tree == -EINVAL && (prepared >= 0 || clone_early(spec, &o)))
		return reclone_attached(rootfd, m, o.recursive, fd, err);
	if (tree < 0)
		return cell_error_set(err, -tree, "bind source %s", m->source);
	if (calls->drop && (prepared >= 0 || clone_early(spec, &o)))
		calls->drop(calls->ctx, *fd);
	else
		safe_close(*fd); /* an O_PATH fd of the source: no mount to drop */
	*fd = tree;
	return 0;
}

/* --symlink's links, --dir..., whose turn comes once mounts[0..@i) are made. */
static int make_links(const struct cell_spec *spec, int rootfd, size_t i, struct cell_error *err)
{
	int r;

	for (size_t k = 0; k < spec->cell.n_path_ops; k++)
		if (spec->cell.path_ops[k].after == i &&
		    (r = cell_make_path_op(rootfd, &spec->cell.path_ops[k], err)) < 0)
			return r;
	return 0;
}

static int mount_all(const struct cell_spec *spec, int rootfd, const struct cell_rootfs_prepared *p,
		     struct host_sources *hs, bool in_userns, const char *label,
		     const struct cell_rootfs_calls *calls, struct cell_error *err)
{
	bool cgroupns = spec->linux.namespaces[CELL_NS_CGROUP].present;
	bool placed = !calls->before_cgroup;
	struct cell_mount_opts o;
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];

		if ((r = make_links(spec, rootfd, i, err)) < 0)
			return r;
		if (is_cgroup(m) && !placed) {
			if ((r = calls->before_cgroup(calls->ctx, err)) < 0)
				return r;
			placed = true;
		}
		if (is_cgroup(m))
			r = cell_mount_options_parse(m, &o, err) < 0
				    ? -EINVAL
				    : cell_mount_cgroup(rootfd, m, &o, hs->cgroupfs, cgroupns, err);
		else if ((r = clone_in_turn(rootfd, spec, m, p && p->trees ? p->trees[i] : -1,
					    &hs->mounts[i], calls, err)) == 0)
			r = cell_mount_one(rootfd, m, hs->mounts[i], in_userns, label, err);
		if (r < 0)
			return r;
	}
	return make_links(spec, rootfd, spec->n_mounts, err);
}

static int setup_mounts(const struct cell_spec *spec, const struct cell_rootfs_prepared *p,
			struct host_sources *hs, bool in_userns,
			const struct cell_rootfs_calls *calls, struct cell_error *err)
{
	/* mountLabel only where SELinux is on; spec validation refuses it elsewhere. */
	const char *label =
		spec->linux.mount_label && cell_selinux_enabled() ? spec->linux.mount_label : NULL;
	int r;

	/*
	 * Missing targets on the host's root are made in skeletons
	 * (mount_skeleton.c) before the host's sources are taken: a skeleton
	 * over / pivots, and fds of the old root would be out of reach of
	 * mount(2). Only then is a slave bind taken after / turned slave. A
	 * directory root gets its skeletons once it is bound on itself.
	 */
	bool host = is_host_root(spec), skeletons = false;
	cleanup_close int rootfd = -1;

	if ((host && spec->root.readonly) || spec->cell.n_path_ops) {
		rootfd = open(spec->root.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return cell_error_set(err, errno, "open root %s", spec->root.path);
		skeletons = lacks_targets(spec, rootfd);
	}
	if (host && skeletons &&
	    ((r = private_root(spec, err)) < 0 || (r = make_skeletons(spec, &rootfd, err)) < 0))
		return r;
	if ((r = take_sources(spec, in_userns, p, hs, err)) < 0 ||
	    (r = enter_root(spec, host && skeletons, err)) < 0)
		return r;
	safe_close(rootfd);
	rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cell_error_set(err, errno, "open root %s", spec->root.path);
	if (!host && skeletons && (r = make_skeletons(spec, &rootfd, err)) < 0)
		return r;
	if ((r = mount_all(spec, rootfd, p, hs, in_userns, label, calls, err)) < 0 ||
	    (r = cell_make_devices(rootfd, spec, dev_kind(spec), &hs->devices, err)) < 0)
		return r;
	return finish_root(spec, rootfd, err);
}

/*
 * No mount namespace of its own (config-linux.md: the runtime's is kept):
 * whatever cell mounted would be mounted on the host, so nothing is (spec
 * validation refuses mounts[] and the rest), and the root is entered with
 * chroot(2), as runc does without CLONE_NEWNS.
 */
static int chroot_root(const struct cell_spec *spec, const struct cell_rootfs_calls *calls,
		       struct cell_error *err)
{
	int r;

	if (calls->before_pivot && (r = calls->before_pivot(calls->ctx, err)) < 0)
		return r;
	/* through the host's /proc: the new root may have none */
	if ((r = cell_sysctl_apply(spec, err)) < 0)
		return r;
	if (is_host_root(spec))
		return 0;
	if (chroot(spec->root.path) < 0)
		return cell_error_set(err, errno, "chroot %s", spec->root.path);
	if (chdir("/") < 0)
		return cell_error_set(err, errno, "chdir / in %s", spec->root.path);
	return 0;
}

int cell_rootfs_setup(const struct cell_spec *spec, bool in_userns,
		      const struct cell_rootfs_prepared *p, const struct cell_rootfs_calls *calls,
		      struct cell_error *err)
{
	struct host_sources hs = { .cgroupfs = -1 };
	int r;

	if (!spec->linux.namespaces[CELL_NS_MNT].present)
		return chroot_root(spec, calls, err);
	if (!(hs.mounts = calloc(spec->n_mounts + 1, sizeof(int))))
		return cell_error_set(err, ENOMEM, "mounts");
	for (size_t i = 0; i < spec->n_mounts; i++)
		hs.mounts[i] = -1;
	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
		hs.devices.defaults[i] = -1;
	r = setup_mounts(spec, p, &hs, in_userns, calls, err);
	for (size_t i = 0; i < spec->n_mounts; i++)
		safe_close(hs.mounts[i]);
	cell_host_devices_close(&hs.devices, spec->linux.n_devices);
	safe_close(hs.cgroupfs);
	free(hs.mounts);
	if (r < 0)
		return r;
	if (calls->before_pivot && (r = calls->before_pivot(calls->ctx, err)) < 0)
		return r;
	if ((r = pivot(spec, err)) < 0)
		return r;
	/* Before /proc/sys turns read-only (linux.readonlyPaths), as runc does. */
	if ((r = cell_sysctl_apply(spec, err)) < 0)
		return r;
	if ((r = mask_paths(spec->linux.masked_paths, err)) < 0 ||
	    (r = readonly_paths(spec->linux.readonly_paths, err)) < 0)
		return r;
	return root_propagation(spec, err);
}

/*
 * Parent side, before clone3: an idmapped mount needs CAP_SYS_ADMIN over its
 * source's file system, which the container, in its own user namespace, no
 * longer has. The trees made here reach the child as inherited fds.
 */
int cell_rootfs_prepare(const struct cell_spec *spec, struct cell_rootfs_prepared *p,
			cell_warn_fn warn, void *ctx, struct cell_error *err)
{
	struct cell_mount_opts o;
	int r;

	p->trees = NULL;
	p->n_devices = spec->linux.n_devices;
	if ((r = cell_devices_prepare(spec, &p->devices, warn, ctx, err)) < 0)
		return r;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		if ((r = cell_mount_options_parse(&spec->mounts[i], &o, err)) < 0)
			goto fail;
		if (!o.idmap)
			continue;
		if (!p->trees) {
			p->trees = malloc(spec->n_mounts * sizeof(int));
			if (!p->trees)
				return cell_error_set(err, ENOMEM, "idmapped mounts");
			for (size_t j = 0; j < spec->n_mounts; j++)
				p->trees[j] = -1;
		}
		if ((r = cell_idmapped_tree(&spec->mounts[i], &spec->linux, err)) < 0)
			goto fail;
		p->trees[i] = r;
	}
	return 0;
fail:
	cell_rootfs_prepared_free(p, spec->n_mounts);
	return r;
}

void cell_rootfs_prepared_free(struct cell_rootfs_prepared *p, size_t n_mounts)
{
	for (size_t i = 0; p->trees && i < n_mounts; i++)
		safe_close(p->trees[i]);
	free(p->trees);
	p->trees = NULL;
	cell_devices_prepared_free(&p->devices, p->n_devices);
}
