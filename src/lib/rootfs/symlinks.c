/*
 * cell — bubblewrap's --symlink TARGET LINK, made in its turn among the
 * mounts (bwrap carries out its options in command-line order).
 *
 * LINK's parent is resolved inside the root with openat2(RESOLVE_IN_ROOT),
 * as every mount target is (mounts.c), so neither a ".." nor a symlink in
 * the root leads the link outside it; the link is made with symlinkat(2) on
 * that fd. TARGET is stored as given, never resolved (symlink(2)). A link
 * that the host's read-only root or a --rootfs DIR lacks, outside any
 * mount made before it, was made already in a mount skeleton
 * (mount_skeleton.c); here it is then found with the same content.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

int cell_make_symlink(int rootfd, const struct cell_symlink *l, struct cell_error *err)
{
	char parent[4096];
	size_t len = strlen(l->link);
	char *slash;

	if (len >= sizeof(parent))
		return cell_error_set(err, ENAMETOOLONG, "--symlink %s", l->link);
	memcpy(parent, l->link, len + 1);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = '\0';
	slash = strrchr(parent, '/');
	if (!slash || !slash[1])
		return cell_error_set(err, EINVAL, "--symlink %s %s: LINK must name a file",
				      l->target, l->link);
	*slash = '\0';
	/* bwrap makes LINK's missing parents (mkdir_with_parents), 0755 */
	cleanup_close int dir =
		cell_open_target(rootfd, parent[0] ? parent : "/", CELL_TARGET_DIR, NULL);
	if (dir < 0)
		return cell_error_set(err, -dir, "--symlink %s %s: directory %s", l->target,
				      l->link, parent[0] ? parent : "/");
	/* O_PATH dirfds serve the *at() calls (open(2), O_PATH) */
	if (symlinkat(l->target, dir, slash + 1) == 0)
		return 0;
	if (errno != EEXIST)
		return cell_error_set(err, errno, "--symlink %s %s", l->target, l->link);
	if (same_link(dir, slash + 1, l->target))
		return 0;
	return cell_error_set(err, EEXIST,
			      "--symlink %s %s: %s exists in the container, and is not a "
			      "symlink to %s",
			      l->target, l->link, l->link, l->target);
}
