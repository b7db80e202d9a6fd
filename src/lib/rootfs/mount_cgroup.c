/*
 * cell — a "cgroup" or "cgroup2" entry of mounts[]: the container sees its
 * own cgroups and nothing above them.
 *
 * v2 host, or "cgroup2" asked for on a hybrid host: one cgroup2 mount. v1 or
 * hybrid host (runc's way): a tmpfs, and
 * in it one directory per hierarchy the container is in (/proc/self/cgroup),
 * plus "unified" for a hybrid host's cgroup2, with a symlink per controller
 * of a combined hierarchy (cpu -> cpu,cpuacct). With a cgroup namespace a
 * fresh cgroup mount is rooted at the namespace's root, which is the
 * container's cgroup (cgroup_namespaces(7)); without one, or where a user
 * namespace may not mount it, the container's own directory of the host's
 * hierarchy is bound instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

struct cgroup_mount {
	const struct cell_mount *m;
	const struct cell_mount_opts *o;
	bool cgroupns;
};

/* Bind @own (the container's cgroup, from the hierarchy's root) of host hierarchy @host. */
static int bind_own(int targetfd, int host, const char *own, const struct cell_mount_opts *o)
{
	uint64_t set, clr;

	while (*own == '/')
		own++;
	cleanup_close int fd =
		openat(host, own[0] ? own : ".", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	cleanup_close int tree = cell_clone_tree(fd, true);
	if (tree < 0)
		return tree;
	cell_mount_attrs(o, &set, &clr);
	return cell_attach_tree(tree, targetfd, set, 0, true);
}

/*
 * Mount hierarchy @name of the host's cgroup file system @host on @name in
 * @dirfd ("": @host itself on @dirfd itself). A fresh mount goes through
 * /proc/self/fd: @dirfd is the tmpfs just made, where nothing can have
 * planted a link; the fds the bind needs are opened only for it.
 */
static int mount_hierarchy(const struct cgroup_mount *c, int dirfd, int host, const char *name,
			   const char *type, const char *data, const char *own)
{
	char target[PATH_MAX];

	if (c->cgroupns) {
		snprintf(target, sizeof(target), "/proc/self/fd/%d%s%s", dirfd, name[0] ? "/" : "",
			 name);
		if (mount(type, target, type, c->o->flags, data) == 0)
			return 0;
		/* A user namespace may be refused a hierarchy it does not own. */
		if (errno != EPERM && errno != EBUSY)
			return -errno;
	}
	if (!name[0])
		return bind_own(dirfd, host, own, c->o);
	cleanup_close int sub = openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	cleanup_close int hostdir = openat(host, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sub < 0 || hostdir < 0)
		return -errno;
	return bind_own(sub, hostdir, own, c->o);
}

/* "cpu,cpuacct" -> the directory "cpu,cpuacct"; "name=systemd" -> "systemd". */
static void hierarchy_dir(const char *controllers, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (const char *p = controllers; *p && len + 1 < size;) {
		if (!strncmp(p, "name=", 5))
			p += 5;
		while (*p && *p != ',' && len + 1 < size)
			buf[len++] = *p++;
		if (*p == ',' && len + 1 < size)
			buf[len++] = *p++;
	}
	buf[len] = '\0';
}

/* The mount data of a v1 hierarchy: a named one alone needs "none" beside it. */
static void hierarchy_data(const char *controllers, char *buf, size_t size)
{
	bool named_only = !strncmp(controllers, "name=", 5) && !strchr(controllers, ',');

	snprintf(buf, size, "%s%s", named_only ? "none," : "", controllers);
}

static int link_controllers(int tmpfs, const char *dir)
{
	char copy[256], *save = NULL;

	if (!strchr(dir, ','))
		return 0;
	snprintf(copy, sizeof(copy), "%s", dir);
	for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (symlinkat(dir, tmpfs, c) < 0 && errno != EEXIST)
			return -errno;
	return 0;
}

/* One line of /proc/self/cgroup, "ID:CONTROLLERS:PATH", inside the tmpfs at @tmpfs. */
static int mount_v1_line(const struct cgroup_mount *c, int tmpfs, int host, char *line)
{
	char *controllers = strchr(line, ':'), *own, dir[256], data[256];

	if (!controllers || !(own = strchr(++controllers, ':')))
		return 0;
	*own++ = '\0';
	if (controllers[0])
		hierarchy_dir(controllers, dir, sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "unified"); /* a hybrid host's cgroup2 */
	if (faccessat(host, dir, F_OK, 0) < 0)
		return errno == ENOENT ? 0 : -errno; /* not mounted on this host */
	if (mkdirat(tmpfs, dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	hierarchy_data(controllers, data, sizeof(data));
	int r = controllers[0] ? mount_hierarchy(c, tmpfs, host, dir, "cgroup", data, own)
			       : mount_hierarchy(c, tmpfs, host, dir, "cgroup2", NULL, own);
	return r < 0 ? r : link_controllers(tmpfs, dir);
}

static int mount_v1(const struct cgroup_mount *c, int rootfd, int targetfd, int host,
		    struct cell_error *err)
{
	const char *dest = c->m->destination;
	char target[64], self[4096], *save = NULL;
	ssize_t n;
	int r;

	snprintf(target, sizeof(target), "/proc/self/fd/%d", targetfd);
	if (mount("tmpfs", target, "tmpfs", c->o->flags & ~MS_RDONLY, "mode=755") < 0)
		return cell_error_set(err, errno, "mount tmpfs on %s", dest);
	cleanup_close int tmpfs = cell_openat2_in_root(rootfd, dest, O_DIRECTORY | O_RDONLY);
	if (tmpfs < 0)
		return cell_error_set(err, -tmpfs, "cgroup mount %s", dest);
	if ((n = cell_read_at(AT_FDCWD, "/proc/self/cgroup", self, sizeof(self), err)) < 0)
		return (int)n;
	for (char *line = strtok_r(self, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((r = mount_v1_line(c, tmpfs, host, line)) < 0)
			return cell_error_set(err, -r, "cgroup mount %s: hierarchy %s", dest, line);
	/* The tmpfs itself read-only last, as runc does: its directories are made. */
	if (c->o->flags & MS_RDONLY &&
	    (r = cell_mount_setattr(tmpfs, 0, MOUNT_ATTR_RDONLY, 0, -1)) < 0)
		return cell_error_set(err, -r, "make %s read-only", dest);
	return 0;
}

static int mount_v2(const struct cgroup_mount *c, int targetfd, int host, struct cell_error *err)
{
	char self[4096], *own;
	ssize_t n;
	int r;

	if ((n = cell_read_at(AT_FDCWD, "/proc/self/cgroup", self, sizeof(self), err)) < 0)
		return (int)n;
	own = !strncmp(self, "0::", 3) ? self : strstr(self, "\n0::");
	if (!own)
		return cell_error_set(err, ENOENT,
				      "cgroup mount %s: no cgroup2 line in "
				      "/proc/self/cgroup",
				      c->m->destination);
	own += own == self ? 3 : 4;
	own[strcspn(own, "\n")] = '\0';
	if ((r = mount_hierarchy(c, targetfd, host, "", "cgroup2", NULL, own)) < 0)
		return cell_error_set(err, -r, "cgroup mount %s", c->m->destination);
	return 0;
}

int cell_mount_cgroup(int rootfd, const struct cell_mount *m, const struct cell_mount_opts *o,
		      int host_cgroupfs, bool cgroupns, struct cell_error *err)
{
	struct cgroup_mount c = { .m = m, .o = o, .cgroupns = cgroupns };
	struct statfs sf;

	if (host_cgroupfs < 0 || fstatfs(host_cgroupfs, &sf) < 0)
		return cell_error_set(err, host_cgroupfs < 0 ? ENOENT : errno,
				      "cgroup mount %s: the host's /sys/fs/cgroup", m->destination);
	cleanup_close int target = cell_open_target(rootfd, m->destination, CELL_TARGET_DIR, err);
	if (target < 0)
		return target;
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return mount_v2(&c, target, host_cgroupfs, err);
	if (!m->type || strcmp(m->type, "cgroup2"))
		return mount_v1(&c, rootfd, target, host_cgroupfs, err);
	/* cgroup2 asked for on a hybrid host: its cgroup2 is <root>/unified. */
	cleanup_close int unified =
		openat(host_cgroupfs, "unified", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (unified < 0)
		return cell_error_set(err, errno,
				      "cgroup mount %s: the host has no cgroup2 "
				      "hierarchy",
				      m->destination);
	return mount_v2(&c, target, unified, err);
}
