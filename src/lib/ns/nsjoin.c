/*
 * cell — joining the namespaces of a running process (setns(2)), taking its
 * root, working directory and credentials, and pinning namespaces to files.
 * `cell ns enter` and `cell exec` share all of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cell/ns.h"
#include "utils.h"

#if CELL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static uint64_t ns_ino(const char *pid, enum cell_ns_type type)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, cell_ns_info(type)->proc_name);
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

bool cell_ns_same(pid_t target, enum cell_ns_type type)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", target);
	return ns_ino(pid, type) != 0 && ns_ino(pid, type) == ns_ino("self", type);
}

static void names_of(unsigned types, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int t = 0; t < CELL_NS_COUNT && len < size; t++)
		if (types & CELL_NS_MASK(t))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						cell_ns_info(t)->proc_name);
}

static int join_error(int errnum, pid_t target, unsigned types, struct cell_error *err)
{
	char names[96];

	names_of(types, names, sizeof(names));
	if (errnum == EPERM)
		return cell_error_set(err, errnum,
				      "join the %s namespaces of process %d (not "
				      "yours to enter: it needs CAP_SYS_ADMIN over them)",
				      names, target);
	return cell_error_set(err, errnum, "join the %s namespaces of process %d", names, target);
}

/* Kernels before 5.8 (or a target that is not a process): one fd per type. */
static int join_each(pid_t target, unsigned types, struct cell_error *err)
{
	int fds[CELL_NS_COUNT];
	char path[64];
	int r = 0;

	for (int t = 0; t < CELL_NS_COUNT; t++)
		fds[t] = -1;
	/* Open all first: once the mount namespace changes, /proc may be another. */
	for (int t = 0; t < CELL_NS_COUNT && r == 0; t++) {
		if (!(types & CELL_NS_MASK(t)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", target, cell_ns_info(t)->proc_name);
		fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0)
			r = errno == ENOENT ? cell_error_set(err, ESRCH, "process %d", target)
					    : join_error(errno, target, CELL_NS_MASK(t), err);
	}
	/* setns(2) one type at a time, in the order cell_ns_join_order explains */
	for (size_t i = 0; i < CELL_NS_COUNT && r == 0; i++) {
		enum cell_ns_type t = cell_ns_join_order[i];

		if (fds[t] >= 0 && setns(fds[t], cell_ns_info(t)->clone_flag) < 0)
			r = join_error(errno, target, CELL_NS_MASK(t), err);
	}
	for (int t = 0; t < CELL_NS_COUNT; t++)
		safe_close(fds[t]);
	return r;
}

/*
 * LeakSanitizer checks at exit from a tracer it clones; after setns of a pid
 * namespace that tracer is born in it, cannot ptrace its parent outside
 * (PR_SET_PTRACER fails) and the exit spins for ever. So the ASan build checks
 * for leaks once, before, and not at exit (lsan_interface.h).
 */
static void lsan_check_before_pid_ns(int flags)
{
#if CELL_ASAN
	if (flags & CLONE_NEWPID)
		__lsan_do_leak_check();
#else
	(void)flags;
#endif
}

int cell_ns_join(pid_t target, unsigned types, struct cell_error *err)
{
	cleanup_close int pidfd = -1;
	int flags = 0, r;

	/*
	 * A namespace the caller is in already is left alone: setns refuses the
	 * caller's own user namespace (EINVAL; joining it would also give back
	 * capabilities the caller dropped, nsenter(1)), and for the others it
	 * would ask for CAP_SYS_ADMIN over them (the host's time namespace of a
	 * rootless container) to change nothing.
	 */
	for (int t = 0; t < CELL_NS_COUNT; t++)
		if ((types & CELL_NS_MASK(t)) && cell_ns_same(target, t))
			types &= ~CELL_NS_MASK(t);
	if (!types)
		return 0;
	if ((r = cell_set_non_dumpable(err)) < 0)
		return r;
	lsan_check_before_pid_ns(types & CELL_NS_MASK(CELL_NS_PID) ? CLONE_NEWPID : 0);
	pidfd = (int)syscall(SYS_pidfd_open, target, 0);
	if (pidfd < 0 && errno == ESRCH)
		return cell_error_set(err, ESRCH, "process %d", target);
	if (pidfd < 0)
		return join_each(target, types, err);
	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (types & CELL_NS_MASK(t))
			flags |= cell_ns_info(t)->clone_flag;
	/* One call: the kernel joins all of them or none (setns(2), Linux 5.8). */
	if (setns(pidfd, flags) == 0)
		return 0;
	if (errno == EINVAL)
		return join_each(target, types, err); /* older kernel: it names the culprit */
	return join_error(errno, target, types, err);
}

int cell_ns_join_path(enum cell_ns_type type, const char *path, struct cell_error *err)
{
	cleanup_close int fd = cell_ns_open_path(path, (int)type, NULL, err);
	int r;

	if (fd < 0)
		return fd;
	if ((r = cell_set_non_dumpable(err)) < 0)
		return r;
	lsan_check_before_pid_ns(cell_ns_info(type)->clone_flag);
	if (setns(fd, cell_ns_info(type)->clone_flag) < 0)
		return cell_error_set(err, errno, "join the %s namespace %s%s",
				      cell_ns_info(type)->name, path,
				      errno == EPERM ? " (not yours to enter)" : "");
	return 0;
}

/* ---- root, working directory ------------------------------------------- */

int cell_ns_fs_open(pid_t target, struct cell_ns_fs *fs, struct cell_error *err)
{
	char path[64];

	fs->root_fd = fs->cwd_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/root", target);
	fs->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0)
		return cell_error_set(err, errno, "root directory of process %d%s", target,
				      errno == EACCES ? " (not yours to enter)" : "");
	snprintf(path, sizeof(path), "/proc/%d/cwd", target);
	fs->cwd_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->cwd_fd < 0) {
		int e = errno;

		cell_ns_fs_close(fs);
		return cell_error_set(err, e, "working directory of process %d", target);
	}
	return 0;
}

int cell_ns_fs_enter(const struct cell_ns_fs *fs, const char *cwd, struct cell_error *err)
{
	if (fchdir(fs->root_fd) < 0)
		return cell_error_set(err, errno, "chdir to the target's root");
	if (chroot(".") < 0)
		return cell_error_set(err, errno, "chroot to the target's root");
	if (cwd)
		return cell_chdir_inside(cwd, "working directory", err);
	if (fchdir(fs->cwd_fd) < 0)
		return cell_error_set(err, errno, "working directory of the target");
	return 0;
}

void cell_ns_fs_close(struct cell_ns_fs *fs)
{
	fs->root_fd = safe_close(fs->root_fd);
	fs->cwd_fd = safe_close(fs->cwd_fd);
}

/* ---- credentials -------------------------------------------------------- */

int cell_id_map_to_inside(const char *map_text, uint32_t outside, uint32_t *inside)
{
	const char *line = map_text;

	while (line && *line) {
		unsigned long long in, out, count;

		if (sscanf(line, "%llu %llu %llu", &in, &out, &count) == 3 && outside >= out &&
		    outside - out < count) {
			*inside = (uint32_t)(in + (outside - out));
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ERANGE;
}

/* "Uid:\t0\t0\t0\t0" -> the second (effective) number of line @key. */
static const char *status_field(const char *status, const char *key)
{
	const char *p = status;
	size_t len = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ':')
			return p + len + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static uint64_t status_hex(const char *status, const char *key)
{
	const char *v = status_field(status, key);

	return v ? strtoull(v, NULL, 16) : 0;
}

static int status_id(const char *status, const char *key, uint32_t *id)
{
	const char *v = status_field(status, key);
	unsigned long real, eff;

	if (!v || sscanf(v, "%lu %lu", &real, &eff) != 2)
		return -EINVAL;
	*id = (uint32_t)eff;
	return 0;
}

/* A host id (as /proc shows it to us) to the id inside the target's user namespace. */
static int id_inside(int dirfd, const char *map, uint32_t id, uint32_t *inside, pid_t target,
		     struct cell_error *err)
{
	char text[4096];
	ssize_t n = cell_read_at(dirfd, map, text, sizeof(text), err);

	if (n < 0)
		return (int)n;
	if (cell_id_map_to_inside(text, id, inside) < 0)
		return cell_error_set(err, ERANGE, "process %d: id %u has no mapping in its %s",
				      target, id, map);
	return 0;
}

int cell_ns_target_process(pid_t target, struct cell_process *proc, bool *setgroups_allowed,
			   struct cell_error *err)
{
	char path[32], status[8192], sg[16] = "allow";
	struct cell_capabilities *c = &proc->capabilities;
	bool own_userns = cell_ns_same(target, CELL_NS_USER);
	uint32_t uid, gid;
	int r;

	snprintf(path, sizeof(path), "/proc/%d", target);
	cleanup_close int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cell_error_set(err, errno == ENOENT ? ESRCH : errno, "process %d", target);
	if ((r = (int)cell_read_at(dirfd, "status", status, sizeof(status), err)) < 0)
		return r;
	if (status_id(status, "Uid", &uid) < 0 || status_id(status, "Gid", &gid) < 0)
		return cell_error_set(err, EINVAL, "process %d: no Uid/Gid in its status", target);
	/* /proc shows ids as the reader's user namespace sees them; uid_map
	 * turns them into the target's own (proc(5): uid_map). */
	if (!own_userns && ((r = id_inside(dirfd, "uid_map", uid, &proc->uid, target, err)) < 0 ||
			    (r = id_inside(dirfd, "gid_map", gid, &proc->gid, target, err)) < 0))
		return r;
	if (own_userns)
		proc->uid = uid, proc->gid = gid;
	if (!own_userns)
		(void)cell_read_at(dirfd, "setgroups", sg, sizeof(sg), NULL);
	*setgroups_allowed = !strncmp(sg, "allow", 5);
	*c = (struct cell_capabilities){
		.present = true,
		.bounding = status_hex(status, "CapBnd"),
		.effective = status_hex(status, "CapEff"),
		.permitted = status_hex(status, "CapPrm"),
		.inheritable = status_hex(status, "CapInh"),
		.ambient = status_hex(status, "CapAmb"),
	};
	proc->no_new_privileges = status_hex(status, "NoNewPrivs") != 0;
	return 0;
}

/* ---- pins --------------------------------------------------------------- */

static bool is_nsfs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

/* An empty file to mount on: made here (and removed on failure), or the caller's. */
static int pin_target(const char *path, bool *created, struct cell_error *err)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);

	*created = fd >= 0;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST)
		return cell_error_set(err, errno, "pin file %s", path);
	if (is_nsfs(path))
		return cell_error_set(err, EBUSY,
				      "%s is already a pinned namespace (cell ns "
				      "unpin it first)",
				      path);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return cell_error_set(err, EINVAL, "pin file %s: not a regular file", path);
	return 0;
}

int cell_ns_pin(pid_t pid, enum cell_ns_type type, const char *path, struct cell_error *err)
{
	const char *name = cell_ns_info(type)->proc_name;
	char src[64], fdpath[32];
	bool created;
	int r;

	snprintf(src, sizeof(src), "/proc/%d/ns/%s", pid, name);
	/* Through an fd: a PID reused between check and mount cannot slip in. */
	cleanup_close int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return cell_error_set(err, ESRCH, "process %d", pid);
	if (fd < 0)
		return cell_error_set(err, errno, "%s namespace of process %d%s", name, pid,
				      errno == EACCES ? " (not yours to pin)" : "");
	if ((r = pin_target(path, &created, err)) < 0)
		return r;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (mount(fdpath, path, NULL, MS_BIND, NULL) < 0) {
		int e = errno;

		if (created)
			unlink(path);
		return cell_error_set(err, e, "pin the %s namespace of process %d on %s%s", name,
				      pid, path,
				      e == EPERM ? " (bind mounts need CAP_SYS_ADMIN)"
				      : e == EINVAL && type == CELL_NS_MNT
					      ? " (a mount namespace can be pinned only in an "
						"older one)"
					      : "");
	}
	return 0;
}

int cell_ns_unpin(const char *path, struct cell_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return cell_error_set(err, errno, "pin %s", path);
	if (!is_nsfs(path))
		return cell_error_set(err, EINVAL,
				      "%s is not a pinned namespace (no nsfs mount "
				      "on it)",
				      path);
	if (umount2(path, UMOUNT_NOFOLLOW) < 0)
		return cell_error_set(err, errno, "unmount the pin %s", path);
	/* The empty file `cell ns pin` made goes too, as with `ip netns delete`. */
	if (!is_nsfs(path) && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
	return 0;
}
