/*
 * cell — one entry of mounts[], carried out on a target resolved inside the
 * container's root.
 *
 * Every target is looked up with openat2(RESOLVE_IN_ROOT), so a symlink in
 * the root file system (rootfs/evil -> /etc) or a "..", however many, never
 * leads a mount outside the root (CVE-2021-30465), and each mount is made on
 * the resolved fd: binds through open_tree/mount_setattr/move_mount, file
 * systems through /proc/self/fd/N. Idmapped binds are prepared by the parent
 * (cell_idmapped_tree), which alone holds CAP_SYS_ADMIN over the source's
 * file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "ns_internal.h"
#include "utils.h"

int cell_openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static void fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Make the last component of @dest in directory @dir: a directory or an empty file. */
static int make_target(int dir, const char *name, enum cell_target_kind kind)
{
	if (kind == CELL_TARGET_FILE) {
		int f = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
			       0644);

		if (f < 0)
			return errno == EEXIST ? 0 : -errno;
		close(f);
		return 0;
	}
	return mkdirat(dir, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int cell_open_target(int rootfd, const char *dest, enum cell_target_kind kind,
		     struct cell_error *err)
{
	char path[4096];
	char *slash;
	int fd, r;

	fd = cell_openat2_in_root(rootfd, dest, O_PATH);
	if (fd >= 0 || fd != -ENOENT)
		return fd >= 0 ? fd : cell_error_set(err, -fd, "mount target %s", dest);
	if (snprintf(path, sizeof(path), "%s", dest) >= (int)sizeof(path))
		return cell_error_set(err, ENAMETOOLONG, "mount target %s", dest);
	slash = strrchr(path, '/');
	if (!slash)
		return cell_error_set(err, EINVAL, "mount target %s: not an absolute path", dest);
	*slash = '\0';
	cleanup_close int parent = path[0] ? cell_open_target(rootfd, path, CELL_TARGET_DIR, NULL)
					   : cell_openat2_in_root(rootfd, "/", O_PATH);
	if (parent < 0)
		return cell_error_set(err, -parent, "mount target %s: parent %s", dest,
				      path[0] ? path : "/");
	/* an O_PATH fd serves as the *at() calls' directory (openat(2)) */
	if ((r = make_target(parent, slash + 1, kind)) < 0)
		return cell_error_set(err, -r, "create mount target %s", dest);
	fd = cell_openat2_in_root(rootfd, dest, O_PATH);
	return fd >= 0 ? fd : cell_error_set(err, -fd, "mount target %s", dest);
}

int cell_mount_setattr(int fd, unsigned int flags, uint64_t set, uint64_t clr, int userns_fd)
{
	struct mount_attr attr = { .attr_set = set,
				   .attr_clr = clr,
				   .userns_fd = userns_fd < 0 ? 0 : (uint64_t)userns_fd };

	if (!set && !clr)
		return 0;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

int cell_detached_tmpfs(const char *mode, const char *size, unsigned int attrs)
{
	cleanup_close int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	int r;

	if (fs < 0)
		return -errno;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	r = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
	return r < 0 ? -errno : r;
}

int cell_clone_tree(int fd, bool recursive)
{
	int tree = (int)syscall(SYS_open_tree, fd, "",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					(recursive ? AT_RECURSIVE : 0));

	return tree < 0 ? -errno : tree;
}

static int move_tree(int tree, int targetfd)
{
	if (syscall(SYS_move_mount, tree, "", targetfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * A bind through the new mount API: the source tree was cloned detached;
 * its flags are set while no one can see it, then it is attached. A
 * read-only bind is never writable, not for an instant.
 */
int cell_attach_tree(int tree, int targetfd, uint64_t set, uint64_t clr, bool recursive)
{
	int r = cell_mount_setattr(tree, recursive ? AT_RECURSIVE : 0, set, clr, -1);

	return r < 0 ? r : move_tree(tree, targetfd);
}

/*
 * In a user namespace the kernel locks what the host set on a mount
 * (MNT_LOCK_READONLY, _NOSUID, _NODEV, _NOEXEC, _ATIME; mount_namespaces(7)):
 * a clear or any atime change fails with EPERM. Like runc, keep what is
 * locked and still add every restriction asked for.
 */
static int setattr_keeping_locks(int fd, unsigned int flags, uint64_t set, uint64_t clr,
				 bool in_userns)
{
	int r = cell_mount_setattr(fd, flags, set, clr, -1);

	if (r == -EPERM && in_userns)
		r = cell_mount_setattr(fd, flags,
				       set & ~(uint64_t)(MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME),
				       0, -1);
	return r;
}

/* The r* options first, for the whole tree, then the plain ones for its top
 * (runc remounts the top mount only). */
static int bind_tree(int tree, int targetfd, const struct cell_mount_opts *o, bool in_userns)
{
	uint64_t set, clr;
	int r = setattr_keeping_locks(tree, AT_RECURSIVE, o->rec_set, o->rec_clr, in_userns);

	if (r < 0)
		return r;
	cell_mount_attrs(o, &set, &clr);
	if ((r = setattr_keeping_locks(tree, 0, set, clr, in_userns)) < 0)
		return r;
	return move_tree(tree, targetfd);
}

/*
 * In a user namespace that does not own the network, IPC or PID namespace
 * the kernel refuses a fresh sysfs, mqueue or proc; show the host's instead,
 * as runc does for rootless containers. (EBUSY: with --net host the host's
 * sysfs is already mounted right there.)
 */
const char *cell_mount_fallback_source(const char *type)
{
	static const char *const fallback[][2] = {
		{ "sysfs", "/sys" },
		{ "mqueue", "/dev/mqueue" },
		{ "proc", "/proc" },
	};

	for (size_t i = 0; type && i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (!strcmp(type, fallback[i][0]))
			return fallback[i][1];
	return NULL;
}

/* mountLabel: the SELinux context of every file of a new file system (context=). */
static int label_data(const struct cell_mount_opts *o, const char *label, char *buf, size_t size)
{
	int n = label ? snprintf(buf, size, "%s%scontext=\"%s\"", o->data, o->data[0] ? "," : "",
				 label)
		      : snprintf(buf, size, "%s", o->data);

	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

static bool takes_label(const char *type)
{
	/* proc, sysfs and the cgroup file systems have fixed labels and refuse context=. */
	static const char *const fixed[] = { "proc", "sysfs", "cgroup", "cgroup2", "bpf" };

	for (size_t i = 0; type && i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(type, fixed[i]))
			return false;
	return type != NULL;
}

static int fs_mount(const struct cell_mount *m, const struct cell_mount_opts *o, int targetfd,
		    int hostfd, bool in_userns, const char *label)
{
	const char *src = cell_mount_fallback_source(m->type);
	char target[64], data[sizeof(o->data) + 512];
	uint64_t set, clr;
	int r;

	if ((r = label_data(o, takes_label(m->type) ? label : NULL, data, sizeof(data))) < 0)
		return r;
	fd_path(target, sizeof(target), targetfd);
	if (mount(m->source ? m->source : m->type, target, m->type, o->flags,
		  data[0] ? data : NULL) == 0)
		return 0;
	if (!src || !((errno == EPERM && in_userns) || errno == EBUSY))
		return -errno;
	if (hostfd < 0) /* The host has none mounted (no /dev/mqueue): leave it empty. */
		return strcmp(src, "/proc") ? 0 : -ENOENT;
	cleanup_close int tree = cell_clone_tree(hostfd, true);
	if (tree < 0)
		return tree;
	cell_mount_attrs(o, &set, &clr);
	return cell_attach_tree(tree, targetfd, set, 0, true);
}

/* "remount": change the mount already on the target (a bind: its per-mount flags). */
static int remount(int rootfd, const struct cell_mount *m, const struct cell_mount_opts *o,
		   struct cell_error *err)
{
	cleanup_close int fd = cell_openat2_in_root(rootfd, m->destination, O_PATH);
	char target[64];
	uint64_t set, clr;
	int r;

	if (fd < 0)
		return cell_error_set(err, -fd, "remount %s", m->destination);
	if (o->bind) {
		cell_mount_attrs(o, &set, &clr);
		if ((r = cell_mount_setattr(fd, AT_RECURSIVE, o->rec_set, o->rec_clr, -1)) < 0 ||
		    (r = cell_mount_setattr(fd, 0, set, clr, -1)) < 0)
			return cell_error_set(err, -r, "remount %s", m->destination);
		return 0;
	}
	fd_path(target, sizeof(target), fd);
	if (mount(NULL, target, NULL, o->flags, o->data[0] ? o->data : NULL) < 0)
		return cell_error_set(err, errno, "remount %s", m->destination);
	return 0;
}

/*
 * What is set on a mount once it is attached: a new file system's r*
 * options (mount(2) has no recursive flags), and propagation.
 */
static int finish_mount(int rootfd, const char *dest, const struct cell_mount_opts *o,
			struct cell_error *err)
{
	bool attrs = !o->bind && (o->rec_set || o->rec_clr);
	char target[64];
	int r;

	if (!attrs && !o->propagation)
		return 0;
	/* The target fd names what lies under the new mount: look it up again. */
	cleanup_close int top = cell_openat2_in_root(rootfd, dest, O_PATH);
	if (top < 0)
		return cell_error_set(err, -top, "mount %s", dest);
	if (attrs && (r = cell_mount_setattr(top, AT_RECURSIVE, o->rec_set, o->rec_clr, -1)) < 0)
		return cell_error_set(err, -r, "mount %s: recursive options", dest);
	fd_path(target, sizeof(target), top);
	if (o->propagation && mount(NULL, target, NULL, o->propagation, NULL) < 0)
		return cell_error_set(err, errno, "set propagation of %s", dest);
	return 0;
}

/* crun's tmpcopyup: the new tmpfs starts with what the directory under it held. */
static int copy_up(int rootfd, const char *dest, int underfd, struct cell_error *err)
{
	cleanup_close int top = cell_openat2_in_root(rootfd, dest, O_DIRECTORY | O_RDONLY);
	char under[64];
	int r;

	if (top < 0)
		return cell_error_set(err, -top, "tmpcopyup %s", dest);
	fd_path(under, sizeof(under), underfd);
	cleanup_close int from = open(under, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (from < 0)
		return cell_error_set(err, errno, "tmpcopyup %s", dest);
	if ((r = cell_copy_tree(from, top)) < 0)
		return cell_error_set(err, -r, "tmpcopyup %s", dest);
	return 0;
}

int cell_mount_one(int rootfd, const struct cell_mount *m, int srcfd, bool in_userns,
		   const char *mount_label, struct cell_error *err)
{
	struct cell_mount_opts o;
	struct stat st;
	int r;

	if ((r = cell_mount_options_parse(m, &o, err)) < 0)
		return r;
	if (o.flags & MS_REMOUNT)
		return remount(rootfd, m, &o, err);
	if (o.bind && fstat(srcfd, &st) < 0)
		return cell_error_set(err, errno, "bind source %s", m->source);
	cleanup_close int fd = cell_open_target(
		rootfd, m->destination,
		o.bind && !S_ISDIR(st.st_mode) ? CELL_TARGET_FILE : CELL_TARGET_DIR, err);
	if (fd < 0)
		return fd;
	r = o.bind ? bind_tree(srcfd, fd, &o, in_userns)
		   : fs_mount(m, &o, fd, srcfd, in_userns, mount_label);
	if (r < 0)
		return cell_error_set(err, -r, "mount %s%s%s on %s", m->type ? m->type : "",
				      o.bind ? " " : "", o.bind ? m->source : "", m->destination);
	/* The target fd still names the directory the tmpfs now covers. */
	if (o.tmpcopyup && (r = copy_up(rootfd, m->destination, fd, err)) < 0)
		return r;
	return finish_mount(rootfd, m->destination, &o, err);
}

int cell_idmapped_tree(const struct cell_mount *m, const struct cell_linux *l,
		       struct cell_error *err)
{
	const struct cell_id_map *uid = m->n_uid_mappings ? m->uid_mappings : l->uid_mappings;
	const struct cell_id_map *gid = m->n_uid_mappings ? m->gid_mappings : l->gid_mappings;
	size_t n_uid = m->n_uid_mappings ? m->n_uid_mappings : l->n_uid_mappings;
	size_t n_gid = m->n_uid_mappings ? m->n_gid_mappings : l->n_gid_mappings;
	struct cell_mount_opts o;
	int r;

	if ((r = cell_mount_options_parse(m, &o, err)) < 0)
		return r;
	/* crun's "idmap" without mappings: the container's own. */
	if (!n_uid || !n_gid)
		return cell_error_set(err, EINVAL,
				      "mounts[%s]: idmap needs uidMappings and "
				      "gidMappings, here or in linux",
				      m->destination);
	cleanup_close int src = open(m->source, O_PATH | O_CLOEXEC);
	if (src < 0)
		return cell_error_set(err, errno, "bind source %s", m->source);
	cleanup_close int tree = cell_clone_tree(src, o.recursive);
	if (tree < 0)
		return cell_error_set(err, -tree, "bind source %s", m->source);
	cleanup_close int userns =
		cell_userns_for_maps(uid, n_uid, gid, n_gid, false, 0, "idmapped mount", err);
	if (userns < 0)
		return userns;
	r = cell_mount_setattr(tree, o.idmap_recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0,
			       userns);
	if (r < 0)
		return cell_error_set(err, -r, "mounts[%s]: idmap %s%s", m->destination, m->source,
				      r == -EINVAL ? " (its file system cannot be "
						     "idmapped)"
						   : "");
	return take_fd(&tree);
}
