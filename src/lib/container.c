/*
 * cell — the parent side of `run`: prepare the cgroup, clone3 the container,
 * write its id maps, let it go, relay its terminal and signals, wait for it,
 * and tear down what was made on every path.
 */
#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "engine.h"
#include "net.h"
#include "utils.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct run_ctx {
	const struct cell_spec *spec;
	const struct cell_run_options *opts;
	char id[64];
	struct cell_cgroup cg;
	bool has_cgroup;
	struct cell_net_run net;
	int sock;		/* parent's end of the sync socketpair */
	int pidfd;
	pid_t pid;		/* PID 1 until it has been waited for, then 0 */
	pid_t host_pid;
	int sigfd;
	sigset_t oldmask;	/* valid once mask_saved */
	bool mask_saved;
	struct sigaction old_sigpipe;
	struct cell_tty_relay tty;
	bool have_status;	/* init reported the command's status */
	int status;
	struct cell_error child_err; /* first error the container reported */
	bool child_failed;
};

int cell_exit_status(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 125;
}

static int setup_cgroup(struct run_ctx *c, struct cell_error *err)
{
	const struct cell_linux *l = &c->spec->linux;
	char path[128];
	int r;
	struct cell_cgroup_params params = {
		.fs_root = "/sys/fs/cgroup",
		.self_cgroup = "/proc/self/cgroup",
		.cgroups_path = l->cgroups_path,
		.rootless = geteuid() != 0,
	};

	cell_cgroup_init(&c->cg);
	if (!cell_resources_any(&l->resources) && !l->cgroups_path)
		return 0;
	/* The id names the cgroup; nothing else needs it yet. */
	if (c->opts->id)
		snprintf(c->id, sizeof(c->id), "%s", c->opts->id);
	else if ((r = cell_random_id(c->id, err)) < 0)
		return r;
	if (!params.cgroups_path) {
		/* Root: beside the host's own, as runc does; rootless: below the
		 * caller's cgroup, the only place it may have been delegated. */
		snprintf(path, sizeof(path), "%scell-%s", params.rootless ? "" : "/", c->id);
		params.cgroups_path = path;
	}
	if ((r = cell_cgroup_create(&c->cg, &params, &l->resources, err)) < 0)
		return r;
	c->has_cgroup = true;
	return 0;
}

static int block_signals(struct run_ctx *c, struct cell_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &c->oldmask) < 0)
		return cell_error_set(err, errno, "sigprocmask");
	c->mask_saved = true;
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sigfd < 0)
		return cell_error_set(err, errno, "signalfd");
	/* A closed stdout must not kill cell before it has torn down. */
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &c->old_sigpipe);
	return 0;
}

/* Is there parent-side work between clone3 and the child's setup? */
static bool needs_go(const struct run_ctx *c)
{
	const struct cell_namespace *user = &c->spec->linux.namespaces[CELL_NS_USER];

	return (user->present && !user->path) || (c->has_cgroup && c->cg.v2_fd < 0) ||
	       cell_net_needs_parent(c->spec);
}

static int spawn(struct run_ctx *c, struct cell_error *err)
{
	int sv[2];
	struct clone_args args = {
		.flags = cell_ns_clone_flags(c->spec, !c->has_cgroup) | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&c->pidfd,
		.exit_signal = SIGCHLD,
	};
	bool userns = c->spec->linux.namespaces[CELL_NS_USER].present;
	/* Decided before clone3: in the child, geteuid() changes once the maps are written. */
	bool setgroups_allowed = !userns || geteuid() == 0 || !cell_idmap_direct(c->spec);

	if (c->cg.v2_fd >= 0) {
		/* v2: born in its cgroup, so a fork bomb is limited from the first fork. */
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)c->cg.v2_fd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_set(err, errno, "socketpair");
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		return cell_error_set(err, e, "clone3 with namespaces (flags 0x%llx)",
				      (unsigned long long)args.flags);
	}
	if (pid == 0) {
		struct cell_child_args a = {
			.spec = c->spec,
			.sync_fd = sv[1],
			.in_userns = userns,
			.setgroups_allowed = setgroups_allowed,
			.wait_for_go = needs_go(c),
			.sigpipe = c->old_sigpipe,
			.cgroupns_made = !c->has_cgroup,
			.stdio = { c->opts->stdin_fd, c->opts->stdout_fd, c->opts->stderr_fd },
		};

		close(sv[0]);
		cell_child_main(&a);
	}
	close(sv[1]);
	c->sock = sv[0];
	c->pid = c->host_pid = (pid_t)pid;
	return 0;
}

/* The child is waiting for GO: give it its ids and its cgroup first. */
static int prepare_child(struct run_ctx *c, struct cell_error *err)
{
	int r;

	if (c->spec->linux.namespaces[CELL_NS_USER].present &&
	    !c->spec->linux.namespaces[CELL_NS_USER].path &&
	    (r = cell_idmap_write(c->pid, c->spec, err)) < 0)
		return r;
	if (c->has_cgroup && c->cg.v2_fd < 0 && (r = cell_cgroup_enter(&c->cg, c->pid, err)) < 0)
		return r;
	if ((r = cell_net_setup(&c->net, c->pid, c->spec, err)) < 0)
		return r;
	if (needs_go(c) && (r = cell_sync_send(c->sock, CELL_SYNC_GO, 0, NULL, -1)) < 0)
		return cell_error_set(err, -r, "start the container");
	return 0;
}

static void handle_message(struct run_ctx *c, struct cell_error *err)
{
	struct cell_sync_msg msg;
	int fd, r = cell_sync_recv(c->sock, &msg, &fd);

	if (r <= 0) {
		c->sock = safe_close(c->sock);
		return;
	}
	switch (msg.type) {
	case CELL_SYNC_ERROR:
		if (!c->child_failed) {
			c->child_failed = true;
			c->child_err.errnum = msg.value;
			c->child_err.kind = (enum cell_error_kind)msg.kind;
			snprintf(c->child_err.msg, sizeof(c->child_err.msg), "%s", msg.text);
		}
		break;
	case CELL_SYNC_PTY_MASTER:
		if (fd >= 0 && c->tty.master < 0 &&
		    cell_tty_relay_start(&c->tty, fd, c->opts->stdin_fd, c->opts->stdout_fd,
					 err) < 0) {
			/* No terminal to relay to: the container cannot be used. */
			kill(c->pid, SIGKILL);
			c->child_failed = true;
			c->child_err = *err;
		}
		break;
	case CELL_SYNC_STATUS:
		c->have_status = true;
		c->status = msg.value;
		break;
	default:
		if (fd >= 0)
			close(fd);
	}
}

static void handle_signal(struct run_ctx *c)
{
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* the pidfd tells when PID 1 exits */
		if (si.ssi_signo == SIGWINCH)
			cell_tty_relay_resize(&c->tty);
		syscall(SYS_pidfd_send_signal, c->pidfd, si.ssi_signo, NULL, 0);
	}
}

/* Wait for PID 1, relaying the terminal and signals meanwhile. */
static int wait_container(struct run_ctx *c, struct cell_error *err)
{
	for (;;) {
		struct pollfd p[5] = {
			{ .fd = c->pidfd, .events = POLLIN },
			{ .fd = c->sigfd, .events = POLLIN },
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = c->tty.master, .events = POLLIN },
			{ .fd = c->tty.master >= 0 && c->tty.in_open ? c->tty.in_fd : -1,
			  .events = POLLIN },
		};

		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cell_error_set(err, errno, "poll");
		}
		if (p[1].revents)
			handle_signal(c);
		if (p[2].revents)
			handle_message(c, err);
		/* init reported the command's status and is leaving: no more polling. */
		if (c->have_status)
			break;
		if (p[3].revents && cell_tty_relay_pump(&c->tty, c->tty.master) == 0)
			c->tty.master = safe_close(c->tty.master);
		if (p[4].revents)
			cell_tty_relay_pump(&c->tty, c->tty.in_fd);
		if (p[0].revents)
			break;
	}
	siginfo_t info = { 0 };
	if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &info, WEXITED) < 0)
		return cell_error_set(err, errno, "wait for the container");
	c->pid = 0;
	/* Messages sent just before exit are still queued on the socket. */
	while (c->sock >= 0)
		handle_message(c, err);
	cell_tty_relay_drain(&c->tty);
	if (!c->have_status) /* no init: PID 1 was the command */
		c->status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0)
			    : info.si_code == CLD_DUMPED ? info.si_status | WCOREFLAG
							 : info.si_status;
	return 0;
}

/* Returns -errno when something cell made could not be removed. */
static int teardown(struct run_ctx *c, struct cell_error *err)
{
	struct cell_error cg_err = { 0 };
	int r = 0;

	if (c->pid > 0) {
		/* Setup failed in the parent: the child must not outlive it. */
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &(siginfo_t){ 0 }, WEXITED);
	}
	cell_tty_relay_stop(&c->tty);
	if (cell_net_teardown(&c->net, err) < 0)
		r = -EIO;
	if (c->has_cgroup && cell_cgroup_destroy(&c->cg, &cg_err) < 0) {
		r = -EIO;
		if (!err->msg[0])
			*err = cg_err;
	}
	safe_close(c->sock);
	safe_close(c->pidfd);
	if (c->sigfd >= 0)
		sigaction(SIGPIPE, &c->old_sigpipe, NULL);
	safe_close(c->sigfd);
	if (c->mask_saved)
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	return r;
}

int cell_run(const struct cell_spec *spec, const struct cell_run_options *opts,
	     struct cell_run_result *result, struct cell_error *err)
{
	struct run_ctx c = { .spec = spec, .opts = opts, .sock = -1, .pidfd = -1, .sigfd = -1,
			     .tty = { .master = -1 } };
	int r;

	memset(result, 0, sizeof(*result));
	cell_error_reset(err);
	if ((r = cell_spec_validate(spec, err)) < 0)
		return r;
	cell_net_sweep_stale();
	/* Signals wait in the signalfd from here on: Ctrl-C cannot cut setup short
	 * and leave a cgroup behind. */
	if ((r = block_signals(&c, err)) < 0 || (r = setup_cgroup(&c, err)) < 0 ||
	    (r = cell_net_prepare(&c.net, spec, c.id[0] ? c.id : opts->id, &c.spec, err)) < 0 ||
	    (r = spawn(&c, err)) < 0 || (r = prepare_child(&c, err)) < 0 ||
	    (r = wait_container(&c, err)) < 0)
		goto out;
	result->pid = c.host_pid;
	result->wait_status = c.status;
	result->oom_killed = c.has_cgroup && cell_cgroup_oom_killed(&c.cg);
	if (c.child_failed) {
		*err = c.child_err;
		r = err->errnum ? -err->errnum : -EINVAL;
	}
out:
	/* The command ran: a failed teardown is reported beside its status. */
	if (teardown(&c, err) < 0 && r == 0)
		result->teardown_failed = true;
	return r;
}
