/*
 * cell — mount targets missing from the host's read-only root.
 *
 * `cell run --bind "$PWD" /src` on the host's root: /src does not exist, and
 * the root is the host's own file system, about to be made read-only in
 * place (rootfs.c, enter_root). Making /src there would write to the host;
 * making the root writable would let the container do the same. bubblewrap
 * never meets this, because it builds a new root on a tmpfs and binds every
 * host directory into it; cell does that only where it must, and only for
 * the one directory that lacks a target:
 *
 *   the nearest existing ancestor A of the target gets a "skeleton": a small
 *   tmpfs mounted over A that holds, for each entry of A, a directory or
 *   file with A's entry bound back onto it (recursively, so the mounts below
 *   stay visible), and each symlink of A copied as a symlink. The missing
 *   part of the target is then made in the tmpfs. A's content is all still
 *   there, the host is not written, and enter_root's recursive read-only
 *   setattr, which runs after, makes the skeleton read-only too.
 *
 * An overlay of A with a tmpfs upper would also keep A's content visible,
 * but overlayfs does not cross the mounts below A (a skeleton over / would
 * hide /proc, /dev, /home...), and its lower must be reachable by path.
 *
 * When A is the root itself, the skeleton is stacked on / and pivoted into
 * (pivot_root(2) ".", "." then a detach of the old root, as for a directory
 * root), so that no chroot(2) away lies the host's root without the
 * container's mounts. Only runs with a missing target pay for this.
 *
 * bubblewrap's --symlink TARGET LINK is a third kind of target: the link
 * itself is made in the skeleton. On a directory root (--rootfs DIR), which
 * --symlink must not write either, skeletons are made the same way once the
 * root is bound on itself; a skeleton over that root is stacked on the bind
 * and becomes the directory pivot() pivots into.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

/* The skeletons made for this start, by mount id: targets in them are made directly. */
struct skeletons {
	uint64_t *ids;
	int *fds; /* O_PATH, for the read-only setattr at the end */
	size_t n, cap;
	bool host_root;
};

static int mount_id(int fd, uint64_t *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -errno;
	*id = stx.stx_mnt_id;
	return 0;
}

static bool is_skeleton(const struct skeletons *s, int fd)
{
	uint64_t id = 0;

	if (mount_id(fd, &id) < 0)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

/* Same mount and inode: @fd is the root of the mount namespace's view. */
static bool same_dir(int a, int b)
{
	struct statx x, y;

	if (statx(a, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &x) < 0 ||
	    statx(b, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &y) < 0)
		return false;
	return x.stx_mnt_id == y.stx_mnt_id && x.stx_ino == y.stx_ino &&
	       x.stx_dev_major == y.stx_dev_major && x.stx_dev_minor == y.stx_dev_minor;
}

static int reopen_dir(int pathfd)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", pathfd);
	int fd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A detached tmpfs with @dir's mode: sized for directory entries, not data. */
static int new_skeleton_fs(int dir)
{
	struct stat st;
	char mode[16];

	if (fstat(dir, &st) < 0)
		return -errno;
	snprintf(mode, sizeof(mode), "%o", st.st_mode & 07777);
	return cell_detached_tmpfs(mode, "1m", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

/* One entry of the covered directory @from, made again in @skel. */
static int copy_entry(int from, int skel, const char *name)
{
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(from, name, link, sizeof(link) - 1)) < 0)
			return -errno;
		link[n] = '\0';
		return symlinkat(link, skel, name) < 0 ? -errno : 0;
	}
	if (S_ISDIR(st.st_mode)
		    ? mkdirat(skel, name, st.st_mode & 07777) < 0
		    : (r = openat(skel, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)) < 0 ||
			      close(r) < 0)
		return -errno;
	/* Recursive: a mount below the entry stays visible (and locked ones may not be split). */
	cleanup_close int tree = (int)syscall(SYS_open_tree, from, name,
					      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
						      AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		return -errno;
	if (syscall(SYS_move_mount, tree, "", skel, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int fill_skeleton(int dirfd, int skel, const char *where, struct cell_error *err)
{
	int from = reopen_dir(dirfd), r = 0;

	if (from < 0)
		return cell_error_set(err, -from, "mount skeleton over %s", where);
	DIR *d = fdopendir(from);
	if (!d) {
		close(from);
		return cell_error_set(err, errno, "mount skeleton over %s", where);
	}
	cleanup_close int to = reopen_dir(skel);
	if (to < 0)
		r = cell_error_set(err, -to, "mount skeleton over %s", where);
	for (struct dirent *e; r == 0 && (errno = 0, e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((r = copy_entry(from, to, e->d_name)) < 0)
			r = cell_error_set(err, -r, "mount skeleton over %s: entry %s", where,
					   e->d_name);
	}
	if (r == 0 && errno)
		r = cell_error_set(err, errno, "mount skeleton over %s: read", where);
	closedir(d);
	return r;
}

/* Stacked on / and pivoted into; the old root is detached (its lock moves with it). */
static int pivot_into(int skel, struct cell_error *err)
{
	if (fchdir(skel) < 0)
		return cell_error_set(err, errno, "mount skeleton over /: chdir");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cell_error_set(err, errno, "mount skeleton over /: pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return cell_error_set(err, errno, "mount skeleton over /: detach the old root");
	if (chdir("/") < 0)
		return cell_error_set(err, errno, "mount skeleton over /: chdir /");
	return 0;
}

static int grow(struct skeletons *s)
{
	size_t cap = s->cap ? 2 * s->cap : 4;
	uint64_t *ids = realloc(s->ids, cap * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	s->ids = ids;
	int *fds = realloc(s->fds, cap * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	s->fds = fds;
	s->cap = cap;
	return 0;
}

/*
 * A skeleton over a directory root: stacked on the root's bind, it is the
 * directory the caller's cwd must be in for pivot_root(".", ".") (rootfs.c).
 */
static int enter_skeleton(int skel, int *rootfd, struct cell_error *err)
{
	if (fchdir(skel) < 0)
		return cell_error_set(err, errno, "mount skeleton over the root: chdir");
	safe_close(*rootfd);
	*rootfd = fcntl(skel, F_DUPFD_CLOEXEC, 0);
	return *rootfd < 0 ? cell_error_set(err, errno, "mount skeleton over the root") : 0;
}

/* Cover @dirfd (@where) with a skeleton; *@rootfd is reopened if it was the root. */
static int make_skeleton(struct skeletons *s, int *rootfd, int dirfd, const char *where,
			 struct cell_error *err)
{
	bool is_root = same_dir(dirfd, *rootfd);
	uint64_t id = 0;
	int r;

	if (s->n == s->cap && grow(s) < 0)
		return cell_error_set(err, ENOMEM, "mount skeleton over %s", where);
	cleanup_close int skel = new_skeleton_fs(dirfd);
	if (skel < 0)
		return cell_error_set(err, -skel, "mount skeleton over %s: tmpfs", where);
	if (syscall(SYS_move_mount, skel, "", dirfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cell_error_set(err, errno, "mount skeleton over %s", where);
	/* dirfd still names the covered directory: its entries are bound from there. */
	if ((r = fill_skeleton(dirfd, skel, where, err)) < 0)
		return r;
	if ((r = mount_id(skel, &id)) < 0)
		return cell_error_set(err, -r, "mount skeleton over %s", where);
	if ((s->fds[s->n] = fcntl(skel, F_DUPFD_CLOEXEC, 0)) < 0)
		return cell_error_set(err, errno, "mount skeleton over %s", where);
	s->ids[s->n++] = id;
	if (!is_root)
		return 0;
	if (!s->host_root)
		return enter_skeleton(skel, rootfd, err);
	if ((r = pivot_into(skel, err)) < 0)
		return r;
	safe_close(*rootfd);
	*rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return *rootfd < 0 ? cell_error_set(err, errno, "open the new root") : 0;
}

/*
 * mkdir -p of @rest inside @dirfd; the last component is a file for @t's
 * kind FILE, a symlink to @t->link_target for SYMLINK, a directory of
 * @t->dir_mode (when not 0) for DIR.
 */
static int make_rest(int dirfd, char *rest, const struct cell_skeleton_target *t)
{
	cleanup_close int dir = reopen_dir(dirfd);
	char *save = NULL, *name = strtok_r(rest, "/", &save);

	if (dir < 0)
		return dir;
	while (name) {
		char *next = strtok_r(NULL, "/", &save);
		int r;

		if (!next && t->kind == CELL_TARGET_FILE) {
			r = openat(dir, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
			return r < 0 ? -errno : close(r);
		}
		if (!next && t->kind == CELL_TARGET_SYMLINK)
			return symlinkat(t->link_target, dir, name) < 0 ? -errno : 0;
		if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		r = openat(dir, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (r < 0)
			return -errno;
		if (!next && t->dir_mode && fchmod(r, t->dir_mode) < 0) {
			int e = errno;

			close(r);
			return -e;
		}
		close(dir);
		dir = r;
		name = next;
	}
	return 0;
}

/*
 * @dest's nearest existing ancestor (O_PATH fd) and the missing rest of the
 * path in @rest; 0 with *@fd -1 when @dest exists (as a link itself, for
 * @nofollow: a symlink's link is not followed).
 */
static int split_missing(int rootfd, const char *dest, bool nofollow, char *path, size_t size,
			 int *fd, const char **rest)
{
	size_t len;
	int r;

	*fd = -1;
	if (snprintf(path, size, "%s", dest) >= (int)size)
		return -ENAMETOOLONG;
	for (len = strlen(path); len > 0 && path[len - 1] == '/'; len--)
		path[len - 1] = '\0';
	r = cell_openat2_in_root(rootfd, path[0] ? path : "/",
				 O_PATH | (nofollow ? O_NOFOLLOW : 0));
	if (r >= 0 || r != -ENOENT)
		return r >= 0 ? (close(r), 0) : r;
	for (;;) {
		char *slash = strrchr(path, '/');

		if (!slash)
			return -ENOENT;
		*slash = '\0';
		r = cell_openat2_in_root(rootfd, path[0] ? path : "/", O_PATH | O_DIRECTORY);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		*fd = r;
		*rest = dest + (slash + 1 - path); /* the whole missing part, from @dest */
		return 0;
	}
}

static int skeleton_for(struct skeletons *s, int *rootfd, const struct cell_skeleton_target *t,
			struct cell_error *err)
{
	bool is_link = t->kind == CELL_TARGET_SYMLINK;
	const char *dest = t->dest, *what = is_link ? "symlink" : "mount target";
	char path[4096], rest[4096];
	const char *missing;
	int r, fd;

	if ((r = split_missing(*rootfd, dest, is_link, path, sizeof(path), &fd, &missing)) < 0)
		return cell_error_set(err, -r, "%s %s", what, dest);
	if (fd < 0)
		return 0;
	cleanup_close int ancestor = fd;
	snprintf(rest, sizeof(rest), "%s", missing);
	if (!is_skeleton(s, ancestor)) {
		if ((r = make_skeleton(s, rootfd, ancestor, path[0] ? path : "/", err)) < 0)
			return r;
		/* The ancestor now lies under the skeleton: look it up again. */
		safe_close(ancestor);
		ancestor =
			cell_openat2_in_root(*rootfd, path[0] ? path : "/", O_PATH | O_DIRECTORY);
		if (ancestor < 0)
			return cell_error_set(err, -ancestor, "%s %s", what, dest);
	}
	if ((r = make_rest(ancestor, rest, t)) < 0)
		return cell_error_set(err, -r, "create %s %s in a mount skeleton", what, dest);
	return 0;
}

int cell_mount_skeletons(const struct cell_skeleton_target *targets, size_t n, int *rootfd,
			 bool host_root, uint64_t attrs, struct cell_error *err)
{
	struct skeletons s = { .host_root = host_root };
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++)
		r = skeleton_for(&s, rootfd, &targets[i], err);
	/* Recursive: the entries bound back are DIR's, and read-only as DIR's root is. */
	for (size_t i = 0; r == 0 && i < s.n; i++)
		if ((r = cell_mount_setattr(s.fds[i], AT_RECURSIVE, attrs, 0, -1)) < 0)
			r = cell_error_set(err, -r, "make a mount skeleton read-only");
	for (size_t i = 0; i < s.n; i++)
		close(s.fds[i]);
	free(s.ids);
	free(s.fds);
	return r;
}
