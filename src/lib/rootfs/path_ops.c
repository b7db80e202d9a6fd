/*
 * cell — bubblewrap's flags that make or change a path (--symlink, --dir,
 * --file, --bind-data, --ro-bind-data, --chmod, --remount-ro), each carried
 * out in its turn among the mounts (bwrap carries out its options in
 * command-line order).
 *
 * A path's parent is resolved inside the root with openat2(RESOLVE_IN_ROOT),
 * as every mount target is (mounts.c), so neither a ".." nor a symlink in
 * the root leads outside it. A link's TARGET is stored as given, never
 * resolved (symlink(2)). What the host's read-only root or a --rootfs DIR
 * lacks, outside any mount made before it, was made already in a mount
 * skeleton (mount_skeleton.c); here a link is then found with the same
 * content, a directory as it is. A file's data is written into a tmpfs of
 * its own, mounted nowhere, and that file bound over the path: the host's
 * files are never written, and the data goes with the container's mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

/* Is @name in @dirfd a symlink whose content is exactly @target? */
static bool same_link(int dirfd, const char *name, const char *target)
{
	char content[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, content, sizeof(content));

	return n >= 0 && (size_t)n == strlen(target) && !memcmp(content, target, (size_t)n);
}

int cell_make_symlink(int rootfd, const struct cell_path_op *l, struct cell_error *err)
{
	char parent[4096];
	size_t len = strlen(l->path);
	char *slash;

	if (len >= sizeof(parent))
		return cell_error_set(err, ENAMETOOLONG, "--symlink %s", l->path);
	memcpy(parent, l->path, len + 1);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = '\0';
	slash = strrchr(parent, '/');
	if (!slash || !slash[1])
		return cell_error_set(err, EINVAL, "--symlink %s %s: LINK must name a file",
				      l->target, l->path);
	*slash = '\0';
	/* bwrap makes LINK's missing parents (mkdir_with_parents), 0755 */
	cleanup_close int dir =
		cell_open_target(rootfd, parent[0] ? parent : "/", CELL_TARGET_DIR, NULL);
	if (dir < 0)
		return cell_error_set(err, -dir, "--symlink %s %s: directory %s", l->target,
				      l->path, parent[0] ? parent : "/");
	/* O_PATH dirfds serve the *at() calls (open(2), O_PATH) */
	if (symlinkat(l->target, dir, slash + 1) == 0)
		return 0;
	if (errno != EEXIST)
		return cell_error_set(err, errno, "--symlink %s %s", l->target, l->path);
	if (same_link(dir, slash + 1, l->target))
		return 0;
	return cell_error_set(err, EEXIST,
			      "--symlink %s %s: %s exists in the container, and is not a "
			      "symlink to %s",
			      l->target, l->path, l->path, l->target);
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6 */
#endif

/* chmod(2) of what an O_PATH @fd names: fchmodat2(AT_EMPTY_PATH), else through /proc. */
static int set_mode(int fd, mode_t mode)
{
	char proc[64];

	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, mode) < 0 ? -errno : 0;
}

/* --dir: made with its parents (bwrap: @mode 0755 unless --perms); one there already stays. */
static int make_dir(int rootfd, const struct cell_path_op *op, struct cell_error *err)
{
	struct stat st;
	int fd = cell_openat2_in_root(rootfd, op->path, O_PATH), r;

	if (fd >= 0) {
		r = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		close(fd);
		return r < 0 ? cell_error_set(err, -r, "--dir %s", op->path) : 0;
	}
	if (fd != -ENOENT)
		return cell_error_set(err, -fd, "--dir %s", op->path);
	if ((fd = cell_open_target(rootfd, op->path, CELL_TARGET_DIR, err)) < 0)
		return cell_error_prefix(err, "--dir");
	r = set_mode(fd, op->mode);
	close(fd);
	return r < 0 ? cell_error_set(err, -r, "--dir %s: chmod %04o", op->path, op->mode) : 0;
}

/*
 * --file, --bind-data, --ro-bind-data: @op->data in a file of @op->mode on a
 * tmpfs of its own (its size the data's, mounted nowhere), bound over the
 * path, which is made empty first where it is missing.
 */
static int make_file(int rootfd, const struct cell_path_op *op, struct cell_error *err)
{
	char size[32];
	int r;

	snprintf(size, sizeof(size), "%zu", op->len + 4096);
	cleanup_close int target = cell_open_target(rootfd, op->path, CELL_TARGET_FILE, err);
	if (target < 0)
		return cell_error_prefix(err, "data file (--file, --bind-data)");
	cleanup_close int mnt =
		cell_detached_tmpfs("0755", size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return cell_error_set(err, -mnt, "data file %s: a tmpfs for it", op->path);
	cleanup_close int f = openat(mnt, "data", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (f < 0 || fchmod(f, op->mode) < 0)
		return cell_error_set(err, errno, "data file %s: create it", op->path);
	if ((r = cell_write_all(f, op->data, op->len)) < 0)
		return cell_error_set(err, -r, "data file %s: write it", op->path);
	/* open_tree(2) of a path in a detached mount: Linux 6.15 */
	int tree = (int)syscall(SYS_open_tree, mnt, "data", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree < 0)
		return cell_error_set(err, errno == EINVAL ? ENOTSUP : errno,
				      "data file %s: bind it (Linux 6.15 clones a detached tmpfs)",
				      op->path);
	r = cell_attach_tree(tree, target, op->readonly ? MOUNT_ATTR_RDONLY : 0, 0, false);
	close(tree);
	return r < 0 ? cell_error_set(err, -r, "data file %s: bind it over the path", op->path) : 0;
}

int cell_make_path_op(int rootfd, const struct cell_path_op *op, struct cell_error *err)
{
	int fd, r;

	switch (op->kind) {
	case CELL_PATH_SYMLINK:
		return cell_make_symlink(rootfd, op, err);
	case CELL_PATH_DIR:
		return make_dir(rootfd, op, err);
	case CELL_PATH_FILE:
		return make_file(rootfd, op, err);
	case CELL_PATH_CHMOD: /* bwrap's: PATH must exist, and is followed */
		if ((fd = cell_openat2_in_root(rootfd, op->path, O_PATH)) < 0)
			return cell_error_set(err, -fd, "--chmod %04o %s", op->mode, op->path);
		r = set_mode(fd, op->mode);
		close(fd);
		return r < 0 ? cell_error_set(err, -r, "--chmod %04o %s", op->mode, op->path) : 0;
	case CELL_PATH_REMOUNT_RO: /* the mount PATH is on, alone (bwrap's: not recursive) */
		if ((fd = cell_openat2_in_root(rootfd, op->path, O_PATH)) < 0)
			return cell_error_set(err, -fd, "--remount-ro %s", op->path);
		r = cell_mount_setattr(fd, 0, MOUNT_ATTR_RDONLY, 0, -1);
		close(fd);
		return r < 0 ? cell_error_set(err, -r, "--remount-ro %s", op->path) : 0;
	}
	return cell_error_set(err, EINVAL, "%s: not a kind cell knows", op->path);
}
