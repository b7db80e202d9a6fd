/*
 * cell — the command's side of the start path: its own setup (terminal,
 * working directory, rlimits, user, capabilities, seccomp), the wait for
 * `cell start`, then execve.
 *
 * Everything that can fail is done before the process says READY and waits
 * for its start, so `cell create` sees every failure (runc's exec fifo and
 * crun's sync socket give the same guarantee). After the start byte only the
 * startContainer hooks, a filter loaded last and execve itself can fail; the
 * error then goes to the start result fifo, which `cell start` reads, and
 * execve closes it (close-on-exec): end-of-file there means the command runs.
 *
 * A seccomp filter filters cell too once it is loaded, and the user's
 * profile may not know what cell calls (Docker's profiles before 20.10 lack
 * close_range). So the filter is loaded last, after the start wait, when it
 * can be; where it must be loaded earlier, fds are marked close-on-exec
 * before it, and the calls left until execve are tried at once (a read and
 * a write of zero bytes, which the filter judges like any other) so a
 * profile that forbids them fails `cell create`, not `cell start`. A filter
 * loaded last is not tried so (the command may keep CAP_SYS_ADMIN: any
 * profile goes): its process reports a failed execve through the start
 * report file instead, mapped before the filter and written with plain
 * memory stores, which no filter sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "run.h"
#include "security.h"
#include "utils.h"

/* When linux.seccomp is loaded, in the order of the steps below. */
enum filter_time {
	FILTER_NONE,
	FILTER_BEFORE_USER_CHANGE, /* needs the CAP_SYS_ADMIN the user change drops */
	FILTER_BEFORE_READY,	   /* its listener fd goes out through the parent */
	FILTER_LAST,		   /* right before execve: it filters only the command */
};

/*
 * execve resets caught signals to their default; ignored ones stay ignored,
 * as they do for any program the caller starts (nohup). Only what cell
 * itself changed goes back: SIGPIPE, and the mask its signalfd needed.
 * cell's own writes from here on need no SIGPIPE protection: the sync
 * socket is written with MSG_NOSIGNAL, the start result fifo is held
 * read-write (a reader is always there), hooks block SIGPIPE themselves.
 */
static void restore_signals(const struct cell_child_args *a)
{
	sigset_t none;

	sigaction(SIGPIPE, &a->sigpipe, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static char *const *command_env(const struct cell_child_args *a)
{
	return a->env ? a->env : a->spec->process.env;
}

/*
 * One component of process.cwd: made (0755, the process user's) when it is
 * missing, then opened through openat2(RESOLVE_IN_ROOT) from the root, so a
 * symlink on the way resolves inside the container's root, never out of it.
 */
static int make_cwd_step(int root, int *dir, char *path, char *name, const struct cell_process *p,
			 struct cell_error *err)
{
	int next;

	if (mkdirat(*dir, name, 0755) == 0) {
		if (fchownat(*dir, name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return cell_error_set(err, errno, "process.cwd %s: chown %s to %u:%u",
					      p->cwd, path, p->uid, p->gid);
	} else if (errno != EEXIST) {
		return cell_error_set(err, errno, "process.cwd %s: mkdir %s", p->cwd, path);
	}
	if ((next = cell_openat2_in_root(root, path, O_PATH | O_DIRECTORY)) < 0)
		return cell_error_set(err, -next, "process.cwd %s: open %s", p->cwd, path);
	close(*dir);
	*dir = next;
	return 0;
}

/*
 * A missing process.cwd is made, as runc (MkdirAllInRoot) and crun do. In the
 * container's root already (after pivot_root): "/" is its root. No heap: this
 * runs in the CLONE_VM child. umask(0) (this process's own: no CLONE_FS) so
 * the mode is 0755 whatever process.user.umask says.
 */
static int make_cwd(const struct cell_process *p, struct cell_error *err)
{
	char path[PATH_MAX];
	int root, dir, r = 0;
	mode_t old;

	if (snprintf(path, sizeof(path), "%s", p->cwd) >= (int)sizeof(path))
		return cell_error_set(err, ENAMETOOLONG, "process.cwd %s", p->cwd);
	if ((root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "process.cwd %s: open /", p->cwd);
	if ((dir = fcntl(root, F_DUPFD_CLOEXEC, 0)) < 0) {
		r = cell_error_set(err, errno, "process.cwd %s: dup", p->cwd);
		close(root);
		return r;
	}
	old = umask(0);
	for (char *name = path + 1; r == 0 && *name;) {
		char *end = strchrnul(name, '/'), save = *end;

		*end = '\0';
		if (end > name && strcmp(name, "."))
			r = make_cwd_step(root, &dir, path, name, p, err);
		*end = save;
		name = *end ? end + 1 : end;
	}
	umask(old);
	close(dir);
	close(root);
	return r;
}

/* @made_by_runtime: the container's first process, not cell exec's. */
static int enter_cwd(const struct cell_spec *spec, bool made_by_runtime, struct cell_error *err)
{
	int r = cell_chdir_inside(spec->process.cwd, "process.cwd", err);

	if (r == -ENOENT && spec->cell.cwd_optional)
		return chdir("/") < 0 ? cell_error_set(err, errno, "chdir /") : 0;
	if (r == -ENOENT && made_by_runtime && (r = make_cwd(&spec->process, err)) == 0)
		r = cell_chdir_inside(spec->process.cwd, "process.cwd", err);
	return r;
}

/*
 * The command's stdio becomes process.user's, as runc (fixStdioPermissions)
 * and crun do: reopening /proc/self/fd/1 opens the pipe's or pty's inode,
 * which open(2) checks like a file's (mode 0600, its creator's), so a
 * process that is not root could not write to /dev/stdout. Only pipes,
 * sockets and the pty cell made change hands: /dev/null, the caller's
 * terminal and files stay as they are. EPERM and EINVAL: the inode's owner
 * has no mapping in the container's user namespace (rootless), so it is not
 * ours to give away; runc ignores those too.
 */
static int chown_stdio(const struct cell_process *p, bool own_pty, struct cell_error *err)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) < 0)
			continue; /* closed by the caller */
		if (!(own_pty ? S_ISCHR(st.st_mode)
			      : S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) ||
		    (st.st_uid == p->uid && st.st_gid == p->gid))
			continue;
		if (fchown(fd, p->uid, p->gid) < 0 && errno != EPERM && errno != EINVAL)
			return cell_error_set(err, errno, "chown stdio fd %d to process.user %u:%u",
					      fd, p->uid, p->gid);
	}
	return 0;
}

/*
 * execvpe(3) searches the caller's PATH and may allocate; this searches the
 * container's PATH (from envp) with a stack buffer, because it runs in a
 * CLONE_VM child that must not touch the heap it shares with init.
 */
static int exec_in_path(const char *file, char *const argv[], char *const envp[])
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char *const empty[] = { NULL };
	char buf[4096];
	int found = ENOENT;

	if (!envp)
		envp = empty;
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	for (const char *dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		int len = (int)(end - dir);

		if (snprintf(buf, sizeof(buf), "%.*s%s%s", len, dir, len ? "/" : "", file) <
		    (int)sizeof(buf)) {
			execve(buf, argv, envp);
			/* As execvp: remember a permission problem, skip what is not there. */
			if (errno == EACCES)
				found = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE)
				return errno;
		}
		if (!*end)
			return found;
		dir = end;
	}
}

/*
 * Load linux.seccomp. With SCMP_ACT_NOTIFY the kernel hands back a listener
 * fd: the parent passes it to listenerPath (a host path, outside this root)
 * and says when the listener has it, before the command can trigger it.
 */
static int load_seccomp(const struct cell_child_args *a, struct cell_error *err)
{
	struct cell_sync_msg msg;
	int fd, passed, r;

	if ((fd = cell_seccomp_load(a->seccomp, err)) <= 0)
		return fd;
	r = cell_sync_send(a->sync_fd, CELL_SYNC_SECCOMP_FD, 0, NULL, fd);
	if (r == 0 && (r = cell_sync_recv(a->sync_fd, &msg, &passed)) == 1) {
		if (passed >= 0)
			close(passed);
		r = msg.type != CELL_SYNC_SECCOMP_DONE ? -EPROTO : msg.value;
	} else if (r == 0) {
		r = -EPIPE; /* the parent is gone */
	}
	close(fd);
	return r < 0 ? cell_error_set(err, -r, "hand the seccomp listener fd over") : 0;
}

/*
 * seccomp(2) needs no_new_privs or CAP_SYS_ADMIN. Without no_new_privs the
 * filter is loaded before the capability drop that may take CAP_SYS_ADMIN
 * away (runc's order). A listener fd must reach the parent, which `cell
 * create` takes away at READY. Otherwise last, so it filters only the command.
 */
static enum filter_time filter_when(const struct cell_process *p,
				    const struct cell_seccomp_prog *seccomp)
{
	uint64_t sys_admin = 1ULL << CAP_SYS_ADMIN;

	if (!seccomp)
		return FILTER_NONE;
	if (!p->no_new_privileges &&
	    (p->capabilities.present ? !(p->capabilities.effective & sys_admin)
				     : p->uid != 0 || !(cell_caps_permitted() & sys_admin)))
		return FILTER_BEFORE_USER_CHANGE;
	return seccomp->notify ? FILTER_BEFORE_READY : FILTER_LAST;
}

static enum filter_time filter_time(const struct cell_child_args *a)
{
	return filter_when(&a->spec->process, a->seccomp);
}

bool cell_command_filter_early(const struct cell_spec *spec,
			       const struct cell_seccomp_prog *seccomp)
{
	enum filter_time when = filter_when(&spec->process, seccomp);

	return when == FILTER_BEFORE_USER_CHANGE || when == FILTER_BEFORE_READY;
}

/* As exec_in_path, without executing: 0, ENOENT or EACCES (runc's create check). */
static int find_in_path(const char *file, char *const envp[])
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char buf[4096];
	int found = ENOENT;

	if (strchr(file, '/'))
		return access(file, X_OK) == 0 ? 0 : errno;
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	for (const char *dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		int len = (int)(end - dir);
		struct stat st;

		if (snprintf(buf, sizeof(buf), "%.*s%s%s", len, dir, len ? "/" : "", file) <
			    (int)sizeof(buf) &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			found = EACCES;
		}
		if (!*end)
			return found;
		dir = end;
	}
}

/* A new session: without -t the command has no controlling terminal, so it
 * can never push input into the caller's (TIOCSTI). */
static int take_terminal(int slave, struct cell_error *err)
{
	if (setsid() < 0 && errno != EPERM)
		return cell_error_set(err, errno, "setsid");
	if (slave < 0)
		return 0;
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return cell_error_set(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return cell_error_set(err, errno, "dup2 the pty onto stdio");
	if (slave > 2)
		close(slave);
	return 0;
}

/*
 * A filter loaded before the start wait also filters the calls cell makes
 * until execve: read(2) of the start fd and, should execve fail, write(2) of
 * the error for `cell start`. seccomp judges the call, not its effect, and a
 * pipe or fifo returns at once for zero bytes (pipe_read, pipe_write).
 */
static int check_filter_allows_wait(const struct cell_child_args *a, struct cell_error *err)
{
	char byte;

	if (a->start_fd >= 0 && read(a->start_fd, &byte, 0) < 0)
		return cell_error_set(err, errno,
				      "linux.seccomp: read(2) is refused, and cell "
				      "reads the start signal after loading the filter");
	if (a->status_fd >= 0 && write(a->status_fd, &byte, 0) < 0)
		return cell_error_set(err, errno,
				      "linux.seccomp: write(2) is refused, and cell "
				      "writes a failed execve's error after loading the filter");
	return 0;
}

static int prepare_command(const struct cell_child_args *a, int slave, enum filter_time when,
			   struct cell_error *err)
{
	const struct cell_process *p = &a->spec->process;
	int r;

	if ((r = take_terminal(slave, err)) < 0 || (r = chown_stdio(p, slave >= 0, err)) < 0)
		return r;
	if (p->has_umask)
		umask(p->umask);
	/* Before any filter: only stdio, the preserved fds and cell's own
	 * (close-on-exec already) cross into the command. "final" affinity:
	 * after the cgroup transition; left out, the cgroup's CPUs. */
	if ((r = cell_fds_cloexec_from(3 + a->preserve_fds, err)) < 0 ||
	    (r = enter_cwd(a->spec, !a->join_pid, err)) < 0 ||
	    (r = cell_security_prepare(p, err)) < 0 ||
	    (r = cell_personality_apply(&a->spec->linux, err)) < 0 ||
	    (r = cell_cpu_affinity_apply(p->exec_cpu_affinity_final
						 ?: (p->exec_cpu_affinity_initial ? "" : NULL),
					 "process.execCPUAffinity.final", err)) < 0 ||
	    (r = cell_mempolicy_apply(&a->spec->linux.memory_policy, err)) < 0)
		return r;
	restore_signals(a);
	/* A change of credentials clears the parent-death signal (prctl(2)): the
	 * wait for the start comes after it now (runc restores it the same way). */
	int pdeath = 0;
	(void)prctl(PR_GET_PDEATHSIG, &pdeath);
	if ((when == FILTER_BEFORE_USER_CHANGE && (r = load_seccomp(a, err)) < 0) ||
	    (r = cell_security_change_user(p, a->plan.setgroups_allowed, err)) < 0)
		return r;
	if (pdeath)
		(void)prctl(PR_SET_PDEATHSIG, pdeath);
	if ((r = cell_security_finish(p, err)) < 0 ||
	    (when == FILTER_BEFORE_READY && (r = load_seccomp(a, err)) < 0))
		return r;
	/* runc and crun fail `create` for a program that is not there, not `start` */
	if (a->start_fd >= 0 && (r = find_in_path(p->args[0], command_env(a))) != 0)
		return cell_error_set_exec(err, r, p->args[0]);
	if (when == FILTER_BEFORE_USER_CHANGE || when == FILTER_BEFORE_READY)
		return check_filter_allows_wait(a, err);
	return 0;
}

/*
 * OCI create/start: all set up, the process tells the parent and waits for
 * `cell start` to write a byte to exec.fifo (held open read-write, so the
 * read blocks instead of seeing end-of-file while no writer is there).
 * execve closes the fd (close-on-exec).
 */
static int wait_for_start(const struct cell_child_args *a, pid_t host_pid, struct cell_error *err)
{
	char byte;
	ssize_t n;
	int r;

	if (a->plan.say_ready && (r = cell_sync_send(a->sync_fd, CELL_SYNC_READY, 0, NULL, -1)) < 0)
		return cell_error_set(err, -r, "tell cell the container is set up");
	do
		n = read(a->start_fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return cell_error_set(err, n < 0 ? errno : EPIPE, "wait for cell start");
	if (a->spec->hooks.n[CELL_HOOK_START_CONTAINER])
		return cell_child_hooks_run(a, CELL_HOOK_START_CONTAINER, host_pid, err);
	return 0;
}

/*
 * The start report file, mapped before a filter loaded last: the filter may
 * refuse write(2), and then only memory reaches `cell start`. MAP_SHARED of
 * a file: `cell start`, another process, reads it with pread. execve drops
 * the mapping; under init (CLONE_VM) it lands in init's memory too, and init
 * unmaps it (a->report) once the command has called execve.
 */
static int map_report(const struct cell_child_args *a, void **map, struct cell_error *err)
{
	*map = mmap(NULL, CELL_START_REPORT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, a->report_fd,
		    0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return cell_error_set(err, errno, "map the start report file");
	}
	if (a->report)
		*a->report = *map;
	return 0;
}

__attribute__((noreturn)) void cell_command_exec(const struct cell_child_args *a, int slave,
						 pid_t host_pid)
{
	const struct cell_process *p = &a->spec->process;
	enum filter_time when = filter_time(a);
	struct cell_error err = { 0 };
	void *report = NULL;

	if (prepare_command(a, slave, when, &err) < 0 ||
	    (a->start_fd >= 0 && wait_for_start(a, host_pid, &err) < 0) ||
	    (when == FILTER_LAST && a->report_fd >= 0 && map_report(a, &report, &err) < 0) ||
	    (when == FILTER_LAST && load_seccomp(a, &err) < 0))
		cell_child_fail(a, &err);
	cell_error_set_exec(&err, exec_in_path(p->args[0], p->args, command_env(a)), p->args[0]);
	if (report)
		cell_sync_store_error(report, &err);
	cell_child_fail(a, &err);
}
