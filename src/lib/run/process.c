/*
 * cell — the child side of the start path, in order: wait for the parent,
 * join or create the late namespaces, hostname, loopback, file system,
 * terminal, then (optionally) fork under the built-in init, drop privileges
 * and execve. Every failure goes to the parent with its errno before _exit.
 *
 * Until execve this process is a copy of cell, and init stays one: its
 * /proc/PID/exe is cell's binary on the host. A process of the container
 * that opens it can overwrite cell once cell exits (CVE-2019-5736). So the
 * child makes itself non-dumpable as soon as the parent has written its id
 * maps: /proc/PID/exe then needs CAP_SYS_PTRACE in the host's user
 * namespace (ptrace(2), "ptrace access mode checking"). execve of the
 * command makes a fresh, dumpable mm; init never execs and stays closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cell/ns.h"
#include "cgroup.h"
#include "init_serve.h"
#include "ns_internal.h"
#include "rootfs.h"
#include "run.h"
#include "security.h"
#include "spec.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int blocked_signals[] = { SIGINT,	SIGTERM, SIGHUP,   SIGQUIT,
				       SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };

__attribute__((noreturn)) static void fail_errno(const struct cell_child_args *a, int errnum,
						 const char *what)
{
	struct cell_error err = { 0 };

	cell_error_set(&err, errnum, "%s", what);
	cell_child_fail(a, &err);
}

/* Namespaces given by path, in cell_ns_join_order (user first, mnt last: ns.c). */
static int join_namespaces(const struct cell_spec *spec, pid_t join_pid, struct cell_error *err)
{
	/* cell exec: all of the container's namespaces at once, through its process
	 * (the code of cell ns enter) */
	if (join_pid > 0) {
		unsigned types = 0;

		for (int t = 0; t < CELL_NS_COUNT; t++)
			if (spec->linux.namespaces[t].present && spec->linux.namespaces[t].path)
				types |= CELL_NS_MASK(t);
		return cell_ns_join(join_pid, types, err);
	}
	for (size_t i = 0; i < CELL_NS_COUNT; i++) {
		const struct cell_namespace *ns = &spec->linux.namespaces[cell_ns_join_order[i]];
		const struct cell_ns_info *info = cell_ns_info(cell_ns_join_order[i]);

		if (!ns->present || !ns->path)
			continue;
		/* opened only now: after the mnt namespace, paths are the container's */
		cleanup_close int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cell_error_set(err, errno, "%s namespace %s", info->name, ns->path);
		if (setns(fd, info->clone_flag) < 0)
			return cell_error_set(err, errno, "join %s namespace %s", info->name,
					      ns->path);
	}
	return 0;
}

/* The new time namespace's offsets, until a process enters it (at execve).
 * A new one's are 0: nothing to write unless the spec asks for others. */
static int set_time_offsets(const struct cell_linux *l, struct cell_error *err)
{
	char buf[128];

	if (!l->monotonic.present && !l->boottime.present)
		return 0;
	snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
		 (long long)(l->monotonic.present ? l->monotonic.secs : 0),
		 l->monotonic.present ? l->monotonic.nanosecs : 0,
		 (long long)(l->boottime.present ? l->boottime.secs : 0),
		 l->boottime.present ? l->boottime.nanosecs : 0);
	return cell_proc_self_write("timens_offsets", buf, err);
}

/* A new network namespace has lo down; one ioctl is cheaper than netlink here. */
static int loopback_up(struct cell_error *err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return cell_error_set(err, errno, "socket for lo");
	/* lo's only other flags (LOOPBACK, RUNNING) are not the caller's to set. */
	ifr.ifr_flags = IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return cell_error_set(err, errno, "bring lo up");
	return 0;
}

/*
 * In a new user namespace our host ids may have no mapping (root with
 * --uidmap 0:100000:65536): files created now would fail with EOVERFLOW.
 * Become the namespace's root when it has one, as every runtime does.
 */
static int become_userns_root(const struct cell_child_args *a, struct cell_error *err)
{
	const struct cell_linux *l = &a->spec->linux;

	if (cell_id_maps_contain(l->gid_mappings, l->n_gid_mappings, 0) && setresgid(0, 0, 0) < 0)
		return cell_error_set(err, errno, "setresgid 0 in the user namespace");
	if (cell_id_maps_contain(l->uid_mappings, l->n_uid_mappings, 0) && setresuid(0, 0, 0) < 0)
		return cell_error_set(err, errno, "setresuid 0 in the user namespace");
	if (a->plan.setgroups_allowed && setgroups(0, NULL) < 0)
		return cell_error_set(err, errno, "setgroups in the user namespace");
	/* A change of credentials clears the parent-death signal (prctl(2)). */
	if (!a->detached)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

/* @cgroupns: we are in our cgroup (GO came): make the cgroup namespace here. */
static int setup_namespaces(const struct cell_child_args *a, bool cgroupns, struct cell_error *err)
{
	const struct cell_spec *spec = a->spec;
	const struct cell_linux *l = &spec->linux;
	const struct cell_namespace *ns = l->namespaces;
	int r;

	if (a->plan.in_userns && !ns[CELL_NS_USER].path && (r = become_userns_root(a, err)) < 0)
		return r;
	if ((r = join_namespaces(spec, a->join_pid, err)) < 0)
		return r;
	/* Joined a user namespace by path: it owns the namespaces made now. A new
	 * pid namespace holds our children only: init forks the command into it. */
	uint64_t late = a->plan.late_ns;
	if (late && unshare((int)late) < 0)
		return cell_error_set(err, errno,
				      "unshare namespaces (flags 0x%llx) in the user "
				      "namespace %s",
				      (unsigned long long)late, ns[CELL_NS_USER].path);
	/* Now that the parent has placed us in our cgroup, it becomes our "/";
	 * the time namespace is for our children, so one call makes both. */
	bool new_time = ns[CELL_NS_TIME].present && !ns[CELL_NS_TIME].path;
	uint64_t now = (cgroupns && a->plan.cgroupns_late ? CLONE_NEWCGROUP : 0) |
		       (new_time ? CLONE_NEWTIME : 0);
	if (now && unshare((int)now) < 0)
		return cell_error_set(err, errno, "unshare the %s",
				      !(now & CLONE_NEWTIME)	 ? "cgroup namespace"
				      : !(now & CLONE_NEWCGROUP) ? "time namespace"
								 : "cgroup and time namespaces");
	if (new_time && (r = set_time_offsets(l, err)) < 0)
		return r;
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return cell_error_set(err, errno, "set hostname '%s'", spec->hostname);
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return cell_error_set(err, errno, "set domain name '%s'", spec->domainname);
	if (ns[CELL_NS_NET].present && !ns[CELL_NS_NET].path && (r = loopback_up(err)) < 0)
		return r;
	return 0;
}

/* Open a pty in the container's own devpts, so `tty` inside names /dev/pts/N. */
static int open_pty(const struct cell_process *p, int *slave, struct cell_error *err)
{
	struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return cell_error_set(err, errno, "open /dev/ptmx");
	if (unlockpt(master) < 0) {
		int e = errno;
		close(master);
		return cell_error_set(err, e, "unlockpt /dev/ptmx");
	}
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		int e = errno;
		close(master);
		return cell_error_set(err, e, "open the pty's slave");
	}
	if (ws.ws_row && ws.ws_col)
		(void)ioctl(master, TIOCSWINSZ, &ws);
	return master;
}

#if !CELL_ASAN
struct command_start {
	const struct cell_child_args *args;
	int slave;
	pid_t host_pid;
};

static int start_command(void *arg)
{
	const struct command_start *start = arg;

	cell_command_exec(start->args, start->slave, start->host_pid);
}
#endif

/* Close fds 3 and up but @keep, @also and @door (-1: none). */
static void close_all_but(int keep, int also, int door)
{
	int kept[3] = { keep, also, door }, from = 3;

	/* in order: three at most */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (kept[j] < kept[i]) {
				int t = kept[i];

				kept[i] = kept[j];
				kept[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (kept[i] < from)
			continue;
		if (kept[i] > from)
			syscall(SYS_close_range, from, kept[i] - 1, 0);
		from = kept[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

/* Init's stdio on /dev/null, and no directory pinned; failing is harmless here. */
static void init_detach(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	(void)!chdir("/");
}

/* PID 1 keeps only what it needs: the sync socket, the exit file, its door and CAP_KILL. */
__attribute__((noreturn)) static void become_init(const struct cell_child_args *a, pid_t child)
{
	struct cell_error err = { 0 };

	init_detach();
	close_all_but(a->sync_fd, a->exit_fd, a->door_fd);
	(void)cell_caps_keep_only(1ULL << CAP_KILL, &err);
	cell_init_run(child, a->sync_fd, a->exit_fd, a->door_fd, a->door_uid);
}

/*
 * plan.spawn_vm: this process shares cell's memory, and cell waits in
 * clone(2) until it execs. PID 1 becomes the freestanding init
 * (src/init/init.c), which does the rest of become_init()'s work itself
 * (non-dumpable first, then CAP_KILL only) and reports like cell_init_run().
 */
__attribute__((noreturn)) static void exec_init(const struct cell_child_args *a, pid_t child)
{
	char pid[16], sync[16], exit_fd[16];
	char *argv[] = { (char *)"cell-init", pid, sync, exit_fd, NULL };
	char *envp[] = { NULL };
	struct cell_error err = { 0 };

	init_detach();
	snprintf(pid, sizeof(pid), "%d", (int)child);
	snprintf(sync, sizeof(sync), "%d", a->sync_fd);
	snprintf(exit_fd, sizeof(exit_fd), "%d", a->exit_fd);
	/* the sync socket and the exit file stay; the rest (the memfd too) closes at execve */
	if (cell_fds_cloexec_from(3, &err) == 0 &&
	    (fcntl(a->sync_fd, F_SETFD, 0) < 0 ||
	     (a->exit_fd >= 0 && fcntl(a->exit_fd, F_SETFD, 0) < 0)))
		cell_error_set(&err, errno, "keep the sync socket open for cell's init");
	if (!err.msg[0]) {
		syscall(SYS_execveat, a->init_fd, "", argv, envp, AT_EMPTY_PATH);
		cell_error_set(&err, errno, "execveat of cell's init (a memfd)");
	}
	/* The command runs already: end it, and say why. */
	kill(child, SIGKILL);
	cell_child_fail(a, &err);
}

#if CELL_CLONE3_VM
/*
 * plan.init_in_vm: this process stays PID 1 in cell's memory, "in vfork" of
 * the hop (container.c: clone_hop()), and serves from cell's copy of the
 * freestanding init: no exec, no address space of its own to build and tear
 * down. Its last libc calls are here; cell_init_serve() then lets cell go
 * on (init_started) and touches only its own stack.
 */
__attribute__((noreturn)) static void serve_in_vm(const struct cell_child_args *a, pid_t child)
{
	init_detach();
	close_all_but(a->sync_fd, a->exit_fd, a->door_fd);
	cell_init_serve(child, a->sync_fd, a->exit_fd, a->door_fd, (long)a->door_uid,
			a->init_started);
}
#endif

/* The child's side of GO: the parent has written its id maps and placed it in its cgroup. */
struct child_go {
	const struct cell_child_args *a;
	struct cell_sync_msg msg; /* GO's value is the host PID, for hooks' state */
	bool received;
};

static void receive_go(struct child_go *g)
{
	int passed;

	if (g->received)
		return;
	g->received = true;
	if (g->a->plan.go &&
	    (cell_sync_recv(g->a->sync_fd, &g->msg, &passed) <= 0 || g->msg.type != CELL_SYNC_GO))
		_exit(125);
}

/*
 * plan.setup_before_go: the mounts were made while the parent made and joined the
 * cgroup. GO is awaited before the first cgroup mount, which must show the
 * container's cgroup as its root: the cgroup namespace is made then.
 */
static int placed_in_cgroup(void *ctx, struct cell_error *err)
{
	struct child_go *g = ctx;

	receive_go(g);
	if (g->a->plan.cgroupns_late && unshare(CLONE_NEWCGROUP) < 0)
		return cell_error_set(err, errno, "unshare cgroup namespace");
	return 0;
}

/* A failure before GO is told after it: the parent is writing cgroup.procs. */
__attribute__((noreturn)) static void fail_setup(struct child_go *g, const struct cell_error *err)
{
	receive_go(g);
	cell_child_fail(g->a, err);
}

/* runtime.md: createContainer hooks run in the container's namespaces, its
 * mounts made, before pivot_root: their paths resolve as the runtime's do. */
static int create_container_hooks(void *ctx, struct cell_error *err)
{
	const struct child_go *g = ctx;

	return cell_child_hooks_run(g->a, CELL_HOOK_CREATE_CONTAINER, g->msg.value, err);
}

/*
 * An early clone of a bind (rootfs.c, clone_in_turn) goes to the parent,
 * which closes it (handle_message): the RCU grace period its drop waits for
 * is then the parent's, while this process goes on setting up. The message
 * holds the last reference, so the close here is cheap.
 */
static void drop_in_parent(void *ctx, int tree)
{
	const struct child_go *g = ctx;

	(void)cell_sync_send(g->a->sync_fd, CELL_SYNC_DROP, 0, NULL, tree);
	close(tree);
}

/*
 * setns(CLONE_NEWPID) moves only the children (pid_namespaces(7)), so the
 * container's process is a child made now, inside: with CLONE_PARENT it is
 * cell's child, as runc's stage-2 child is runc's. This process tells cell
 * the PID (its pid namespace is cell's: the runtime's view, state.pid) and
 * leaves; the pipe gives the same PID to the child, for hooks' state.
 */
static int enter_joined_pid_ns(const struct cell_child_args *a, pid_t *host_pid,
			       struct cell_error *err)
{
	struct clone_args args = { .flags = CLONE_PARENT };
	int p[2];
	long pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "pipe");
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return cell_error_set(err, e, "fork into the pid namespace %s",
				      a->spec->linux.namespaces[CELL_NS_PID].path);
	}
	if (pid > 0) {
		pid_t child = (pid_t)pid;

		if (write(p[1], &child, sizeof(child)) != sizeof(child) ||
		    cell_sync_send(a->sync_fd, CELL_SYNC_ADOPT, child, NULL, -1) < 0) {
			kill(child, SIGKILL);
			_exit(125);
		}
		_exit(0);
	}
	/* cleared by the fork (prctl(2)); now cell's own death is what ends us */
	if (!a->detached)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(p[1]);
	ssize_t n = read(p[0], host_pid, sizeof(*host_pid));
	close(p[0]);
	return n == sizeof(*host_pid) ? 0 : cell_error_set(err, EPIPE, "read the host PID");
}

static int lock_mounts(const struct cell_child_args *a, struct cell_error *err)
{
	int r = cell_mounts_lock(a->spec, err);

	/* Also on failure: closed again to /proc/PID/exe (cell_mounts_lock
	 * opened it), and the parent-death signal a change of credentials may
	 * clear (prctl(2)). */
	if (!a->detached)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && r == 0)
		return cell_error_set(err, errno, "prctl(PR_SET_DUMPABLE, 0)");
	return r;
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(blocked_signals) / sizeof(blocked_signals[0]); i++)
		sigaddset(&set, blocked_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * cell_run_options.ns_ids: the inode of each namespace this process is in,
 * final now (the mount lock, a late cgroup namespace), for the parent, which
 * could not read them from /proc once the container had ended. Through a
 * pidfd of itself (PIDFD_GET_*_NAMESPACE, Linux 6.11), else /proc/self/ns.
 */
static void send_ns_ids(const struct cell_child_args *a)
{
	/* _IO(PIDFS_IOCTL_MAGIC, nr), by enum cell_ns_type */
	static const unsigned char nr[CELL_NS_COUNT] = {
		[CELL_NS_CGROUP] = 1, [CELL_NS_IPC] = 2,  [CELL_NS_MNT] = 3,  [CELL_NS_NET] = 4,
		[CELL_NS_PID] = 5,    [CELL_NS_TIME] = 7, [CELL_NS_USER] = 9, [CELL_NS_UTS] = 10,
	};
	struct cell_sync_msg msg = { .type = CELL_SYNC_NS_IDS };
	uint64_t ids[CELL_NS_COUNT] = { 0 };
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);

	_Static_assert(sizeof(ids) <= sizeof(msg.text), "the ids fit a message");
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		char path[64];
		struct stat st;
		int fd = self >= 0 ? ioctl(self, 0xFF00 | nr[t], 0) : -1;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", cell_ns_info(t)->proc_name);
		if (fd >= 0 ? fstat(fd, &st) == 0 : stat(path, &st) == 0)
			ids[t] = st.st_ino;
		if (fd >= 0)
			close(fd);
	}
	if (self >= 0)
		close(self);
	memcpy(msg.text, ids, sizeof(ids));
	(void)send(a->sync_fd, &msg, sizeof(msg), MSG_NOSIGNAL);
}

__attribute__((noreturn)) void cell_child_main(const struct cell_child_args *args)
{
	struct cell_child_args own = *args; /* this process's copy: env is filled in below */
	const struct cell_child_args *a = &own;
	const struct cell_spec *spec = a->spec;
	char **env = NULL;
	struct cell_error err = { 0 };
	int master = -1, slave = -1;
	void *report = NULL; /* the command's start report mapping, in our memory (CLONE_VM) */
	pid_t child;

	/* If cell dies, so does the container (not after `cell create` has left). */
	if (!a->detached)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cell_cpu_affinity_apply(spec->process.exec_cpu_affinity_initial,
				    "process.execCPUAffinity.initial", &err) < 0)
		cell_child_fail(a, &err);
	struct child_go g = { .a = a };
	/* The cgroups it joins by itself (the default device allow-list, or its
	 * own v1 cgroup), first: its cgroup namespace, made later, is rooted
	 * there. Still one thread, as cell_cgroup_join_self() needs. */
	for (size_t i = 0; i < a->n_tasks_fds; i++) {
		if (cell_cgroup_join_self(a->tasks_fds[i], a->tasks_dirs[i], &err) < 0)
			fail_setup(&g, &err);
		close(a->tasks_fds[i]);
	}
	/* plan.child_records: with the host's files and /proc, before any mount */
	if (a->record && a->record(a->record_ctx, &err) < 0)
		fail_setup(&g, &err);
	struct cell_rootfs_calls calls = {
		.before_cgroup = a->plan.setup_before_go ? placed_in_cgroup : NULL,
		.before_pivot =
			spec->hooks.n[CELL_HOOK_CREATE_CONTAINER] ? create_container_hooks : NULL,
		.ctx = &g,
		.drop = drop_in_parent,
	};

	/* Made while the parent works: clone3 would spend the time on its clock. */
	if (a->plan.early_ns && unshare((int)a->plan.early_ns) < 0) {
		cell_error_set(&err, errno, "unshare namespaces (flags 0x%llx)",
			       (unsigned long long)a->plan.early_ns);
		fail_setup(&g, &err);
	}
	if (!a->plan.setup_before_go)
		receive_go(&g);
	/* plan.child_maps: still dumpable, so /proc/self's files are ours to write */
	if (a->plan.child_maps && cell_idmap_write(0, spec, false, &err) < 0)
		fail_setup(&g, &err);
	/* The maps are written (a non-dumpable child's /proc files are the host
	 * root's, closed to an unprivileged parent): from here /proc/PID/exe is
	 * closed to the container. */
	if (cell_set_non_dumpable(&err) < 0)
		fail_setup(&g, &err);
	if (setup_namespaces(a, !a->plan.setup_before_go, &err) < 0 ||
	    (a->plan.adopt && enter_joined_pid_ns(a, &g.msg.value, &err) < 0) ||
	    (a->plan.userns_limit &&
	     cell_mounts_lock_prepare(spec, a->plan.lock_mounts, &err) < 0) ||
	    (a->plan.setup_rootfs &&
	     cell_rootfs_setup(spec, a->plan.in_userns, a->rootfs, &calls, &err) < 0) ||
	    (!g.received && placed_in_cgroup(&g, &err) < 0) ||
	    (a->plan.lock_mounts && lock_mounts(a, &err) < 0))
		fail_setup(&g, &err);
	/* runc: a session keyring of the container's own, so keys the host's
	 * session holds are not the container's. EDQUOT fails, as with runc. */
	if (a->new_keyring && cell_session_keyring_new(&err) < 0)
		cell_child_fail(a, &err);
	/* in the container's root now: its /etc/passwd names the user's HOME */
	if (!spec->cell.env_exact && cell_command_env(&spec->process, &env, &err) < 0)
		cell_child_fail(a, &err);
	own.env = env;
	own.report = &report;
	if (spec->process.terminal) {
		if ((master = open_pty(&spec->process, &slave, &err)) < 0)
			cell_child_fail(a, &err);
		if (cell_sync_send(a->sync_fd, CELL_SYNC_PTY_MASTER, 0, NULL, master) < 0)
			_exit(125);
		close(master);
	}
	for (int fd = 0; fd < 3 && slave < 0; fd++)
		if (a->stdio[fd] != fd && dup2(a->stdio[fd], fd) < 0)
			fail_errno(a, errno, "dup2 stdio");
	if (a->ns_ids)
		send_ns_ids(a);
	if (!a->plan.under_init)
		cell_command_exec(a, slave, g.msg.value);
	block_signals();
	/*
	 * The command starts like posix_spawn(3) does: sharing init's memory
	 * until execve, so no page table is copied and no page is faulted in
	 * twice (a fork here cost 1.5 ms of the 9 ms start on a small VM).
	 * cell_command_exec() allocates nothing and init waits (CLONE_VFORK).
	 */
#if CELL_ASAN
	/* ASan cannot follow a switch to a stack it did not make: fork there. */
	child = fork();
	if (child == 0)
		cell_command_exec(a, slave, g.msg.value);
#else
	struct command_start start = { .args = a, .slave = slave, .host_pid = g.msg.value };
	static char stack[256 * 1024] __attribute__((aligned(64)));
	child = clone(start_command, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
		      &start);
#endif
	if (child < 0) {
		cell_error_set(&err, errno, "start the command under init");
		cell_child_fail(a, &err);
	}
	if (slave >= 0)
		close(slave);
	/* cell exec's init is outside the container's pid namespace (setns moves
	 * only children): its view of the command's PID is the host's */
	/* the command has called execve (CLONE_VFORK): its report mapping is ours alone */
	if (report)
		munmap(report, CELL_START_REPORT_SIZE);
	if (cell_sync_send(a->sync_fd, CELL_SYNC_PID, child, NULL, -1) < 0 && a->exec_detach)
		_exit(125);
	if (a->exec_detach)
		_exit(0); /* the command is the caller's subreaper's to reap now */
#if CELL_CLONE3_VM
	if (a->plan.init_in_vm)
		serve_in_vm(a, child);
#endif
	if (a->init_fd >= 0)
		exec_init(a, child);
	become_init(a, child);
}
