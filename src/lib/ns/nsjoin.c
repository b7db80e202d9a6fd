/*
 * cell — joining the namespaces of a running process (setns(2)), taking its
 * root, working directory and credentials, and pinning namespaces to files.
 * `cell ns enter` and `cell exec` share all of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cell/ns.h"
#include "init_door.h"
#include "utils.h"

#if CELL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef NS_GET_PID_IN_PIDNS
#define NS_GET_PID_IN_PIDNS _IOR(NSIO, 0x8, int) /* Linux 6.11 */
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

/* ---- the door of a container's init (src/init/init_door.h) ---------------- */

static void door_close(int fds[CELL_DOOR_FDS])
{
	for (int i = 0; i < CELL_DOOR_FDS; i++)
		fds[i] = safe_close(fds[i]);
}

/* Is @target cell's init (its comm)? Then a door that refuses is not open yet. */
static bool is_cell_init(pid_t target)
{
	char path[32], comm[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", target);
	return cell_read_at(AT_FDCWD, path, comm, sizeof(comm), NULL) > 0 &&
	       !strcmp(comm, "cell-init\n");
}

/*
 * Connect to the door. PID 1 listens only once cell has named it and sent
 * it SIGIO, so a door of cell's init that refuses (ECONNREFUSED) is tried
 * again for up to 2 s: a cell exec right after cell create may come first.
 */
static int door_connect(int sock, const struct sockaddr_un *sa, size_t len, pid_t target)
{
	socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);

	for (int tries = 0;; tries++) {
		int e;

		if (connect(sock, (const struct sockaddr *)sa, size) == 0)
			return 0;
		e = errno;
		if (e != ECONNREFUSED || tries == 200 || !is_cell_init(target)) {
			errno = e;
			return -1;
		}
		usleep(10000);
	}
}

/*
 * What @target's door gives (init_door.h): @fds in its order, -1 for what
 * did not come. -ENOENT: @target has no door (the caller's error stands).
 * The door must be @target's own (its listener's PID: PID 1 listens) and
 * the caller's uid's, and, where the kernel can tell (6.11), @target must
 * be in the pid namespace it gives.
 */
static int door_knock(pid_t target, int fds[CELL_DOOR_FDS], struct cell_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, CELL_DOOR_NAME, (int)target);
	union {
		char buf[CMSG_SPACE(sizeof(int) * CELL_DOOR_FDS)];
		struct cmsghdr align;
	} control;
	struct cell_door_msg msg = { 0 };
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct timeval tv = { .tv_sec = 5 };
	struct ucred peer = { 0 };
	socklen_t peer_len = sizeof(peer);
	int got[CELL_DOOR_FDS], n_got = 0, k = 0;
	const char *door = sa.sun_path + 1;
	ssize_t n;

	for (int i = 0; i < CELL_DOOR_FDS; i++)
		fds[i] = -1;
	cleanup_close int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return cell_error_set(err, errno, "socket (for process %d's door)", target);
	/* a full backlog (a flood of knocks) blocks connect(2): not for ever */
	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return cell_error_set(err, errno, "the door @%s: a timeout", door);
	if (door_connect(sock, &sa, (size_t)len, target) < 0)
		return errno == ECONNREFUSED
			       ? -ENOENT
			       : cell_error_set(err, errno, "connect to the door @%s", door);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0)
		return cell_error_set(err, errno, "the door @%s: SO_PEERCRED", door);
	if (peer.pid != target)
		return cell_error_set(err, EPERM, "the door @%s is not process %d's (process %d's)",
				      door, target, (int)peer.pid);
	if (peer.uid != geteuid())
		return cell_error_set(err, EPERM, "the door @%s is uid %u's, not yours", door,
				      (unsigned)peer.uid);
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == EAGAIN)
		return cell_error_set(err, ETIMEDOUT,
				      "the door @%s: no answer in %d s (a paused container's "
				      "init cannot answer)",
				      door, (int)tv.tv_sec);
	if (n < 0)
		return cell_error_set(err, errno, "the door @%s", door);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < count && n_got < CELL_DOOR_FDS; i++)
			memcpy(&got[n_got++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	for (int i = 0; i < CELL_DOOR_FDS; i++)
		if ((msg.have & (1U << i)) && k < n_got)
			fds[i] = got[k++];
	while (k < n_got)
		close(got[k++]);
	if (n != (ssize_t)sizeof(msg) || msg.magic != CELL_DOOR_MAGIC ||
	    (mh.msg_flags & MSG_CTRUNC)) {
		door_close(fds);
		return cell_error_set(err, EPERM, "the door @%s let nothing through (%s)", door,
				      n == 0 ? "not to your uid" : "a short or foreign answer");
	}
	if (fds[CELL_DOOR_PID] >= 0 && ioctl(fds[CELL_DOOR_PID], NS_GET_PID_IN_PIDNS, target) < 0 &&
	    errno != ENOTTY && errno != EINVAL) {
		int e = errno;

		door_close(fds);
		return cell_error_set(err, e,
				      "the door @%s: process %d is not in its pid namespace", door,
				      target);
	}
	return 0;
}

static int door_index(enum cell_ns_type t)
{
	for (int i = 0; i < CELL_DOOR_NS; i++)
		if (cell_door_ns_flag[i] == (unsigned long)cell_ns_info(t)->clone_flag)
			return i;
	return -1;
}

/* The inode of the user namespace that owns nsfs @fd (NS_GET_USERNS); 0: unknown. */
static ino_t owner_ino(int fd)
{
	struct stat st;
	int u = ioctl(fd, NS_GET_USERNS);
	ino_t ino = u >= 0 && fstat(u, &st) == 0 ? st.st_ino : 0;

	safe_close(u);
	return ino;
}

/*
 * cell_ns_join() through @target's door, one setns(2) at a time. The
 * caller has no capability of its own (that is why it came to the door),
 * so each namespace is joined from the user namespace that owns it: a
 * rootless container's user namespace may sit below another of cell's
 * making (the mount lock, mount_lock.c), which owns its pid, net, ipc,
 * uts and cgroup namespaces. So the user namespaces from the caller's down
 * to the target's are joined outermost first (NS_GET_PARENT), each
 * followed by the namespaces it owns (NS_GET_USERNS), in
 * cell_ns_join_order. What is the caller's already is left out; that is
 * settled first, as after the mount namespace /proc is the container's.
 */
static int join_door(pid_t target, unsigned types, struct cell_error *err)
{
	int fds[CELL_DOOR_FDS], chain[33], n_chain = 0, r;
	ino_t owner[CELL_NS_COUNT] = { 0 };
	struct stat st, self;

	if ((r = door_knock(target, fds, err)) < 0)
		return r;
	for (int t = 0; t < CELL_NS_COUNT && r == 0; t++) {
		char own[64];
		int d = door_index(t);

		if (!(types & CELL_NS_MASK(t)))
			continue;
		if (d < 0 || fds[d] < 0) {
			r = cell_error_set(err, ENOENT, "the door of process %d: no %s namespace",
					   target, cell_ns_info(t)->proc_name);
			break;
		}
		snprintf(own, sizeof(own), "/proc/self/ns/%s", cell_ns_info(t)->proc_name);
		if (fstat(fds[d], &st) == 0 && stat(own, &self) == 0 && st.st_ino == self.st_ino &&
		    st.st_dev == self.st_dev)
			types &= ~CELL_NS_MASK(t);
		else if (t != CELL_NS_USER)
			owner[t] = owner_ino(fds[d]);
	}
	/* the target's user namespace and those above it, up to the caller's */
	if (r == 0 && (types & CELL_NS_MASK(CELL_NS_USER)) &&
	    stat("/proc/self/ns/user", &self) == 0) {
		int u = fcntl(fds[CELL_DOOR_USER], F_DUPFD_CLOEXEC, 0);

		while (u >= 0 && n_chain < (int)(sizeof(chain) / sizeof(chain[0]))) {
			if (fstat(u, &st) < 0 || st.st_ino == self.st_ino)
				break;
			chain[n_chain++] = u;
			u = ioctl(u, NS_GET_PARENT); /* EPERM: above the caller's */
		}
		if (n_chain == 0 || u != chain[n_chain - 1])
			safe_close(u);
	}
	/* outermost first; a last round (i = -1) for what none of them owns */
	for (int i = n_chain - 1; i >= -1 && r == 0; i--) {
		ino_t level = 0;

		if (i >= 0 && (fstat(chain[i], &st) < 0 || setns(chain[i], CLONE_NEWUSER) < 0)) {
			r = join_error(errno, target, CELL_NS_MASK(CELL_NS_USER), err);
			break;
		}
		if (i >= 0)
			level = st.st_ino;
		for (size_t j = 0; j < CELL_NS_COUNT && r == 0; j++) {
			enum cell_ns_type t = cell_ns_join_order[j];

			if (t == CELL_NS_USER || !(types & CELL_NS_MASK(t)) ||
			    (i >= 0 && owner[t] != level))
				continue;
			if (setns(fds[door_index(t)], cell_ns_info(t)->clone_flag) < 0)
				r = join_error(errno, target, CELL_NS_MASK(t), err);
			types &= ~CELL_NS_MASK(t);
		}
	}
	while (n_chain > 0)
		close(chain[--n_chain]);
	door_close(fds);
	return r;
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
		if (fds[t] < 0 && errno == EACCES) { /* ptrace_may_access(): its door? */
			for (int u = 0; u < CELL_NS_COUNT; u++)
				fds[u] = safe_close(fds[u]);
			if ((r = join_door(target, types, err)) != -ENOENT)
				return r;
			errno = EACCES;
		}
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
	int flags = 0, r, e;

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
	e = errno;
	if (e == EPERM && (r = join_door(target, types, err)) != -ENOENT)
		return r; /* a rootless container's init, non-dumpable */
	if (e == EINVAL)
		return join_each(target, types, err); /* older kernel: it names the culprit */
	return join_error(e, target, types, err);
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

/* @target's root and working directory through its door (cell_ns_fs_open). */
static int door_fs(pid_t target, struct cell_ns_fs *fs, struct cell_error *err)
{
	int fds[CELL_DOOR_FDS], r;

	if ((r = door_knock(target, fds, err)) < 0)
		return r;
	if (fds[CELL_DOOR_ROOT] < 0 || fds[CELL_DOOR_CWD] < 0) {
		door_close(fds);
		return cell_error_set(err, ENOENT,
				      "the door of process %d: no root or working directory",
				      target);
	}
	fs->root_fd = fds[CELL_DOOR_ROOT];
	fs->cwd_fd = fds[CELL_DOOR_CWD];
	fds[CELL_DOOR_ROOT] = fds[CELL_DOOR_CWD] = -1;
	door_close(fds);
	return 0;
}

int cell_ns_fs_open(pid_t target, struct cell_ns_fs *fs, struct cell_error *err)
{
	char path[64];
	int r;

	fs->root_fd = fs->cwd_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/root", target);
	fs->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0 && errno != EACCES)
		return cell_error_set(err, errno, "root directory of process %d", target);
	if (fs->root_fd < 0 && (r = door_fs(target, fs, err)) != -ENOENT)
		return r; /* a rootless container's init, non-dumpable */
	if (fs->root_fd < 0)
		return cell_error_set(err, EACCES,
				      "root directory of process %d (not yours to enter)", target);
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

int cell_ns_root_open(pid_t target, struct cell_error *err)
{
	struct cell_ns_fs fs;
	int r = cell_ns_fs_open(target, &fs, err);

	if (r < 0)
		return r;
	safe_close(fs.cwd_fd);
	return fs.root_fd;
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
