/*
 * cell — the built-in init: PID 1 of the container when CMD should not be.
 *
 * PID 1 has two jobs the kernel gives no one else (pid_namespaces(7)):
 * orphans are reparented to it and must be reaped, and signals without a
 * handler are dropped for it, so a plain command as PID 1 ignores Ctrl-C and
 * `kill`. This init forwards those signals to the command, reaps everything,
 * and reports the command's exact wait status to cell over the sync socket.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init_serve.h"
#include "run.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void noop(int sig)
{
	(void)sig;
}

/*
 * A detached container has no cell waiting on the sync socket: the status
 * goes to a file of its state directory too, for `cell wait`. Best effort:
 * the init is leaving either way.
 */
static void write_exit_status(int exit_fd, int status)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d\n", status);

	if (exit_fd >= 0)
		(void)!pwrite(exit_fd, buf, (size_t)len, 0);
}

__attribute__((noreturn)) void cell_init_run(pid_t child, int sync_fd, int exit_fd, int door,
					     uid_t door_uid)
{
	struct sigaction sa = { .sa_handler = noop };
	sigset_t set;
	int status = 0;

	/* With --share-pid this init is not PID 1: orphans must still come to it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_NAME, "cell-init");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		sigaddset(&set, forwarded[i]);
		sigaction(forwarded[i], &sa, NULL);
	}
	sigaction(SIGCHLD, &sa, NULL);
	if (door >= 0)
		sigaddset(&set, SIGIO);
	/* Already blocked before the fork, so nothing sent in between is lost. */
	sigprocmask(SIG_BLOCK, &set, NULL);
#if CELL_INIT_DOOR
	if (door >= 0) /* who knocked before the loop (init_door.h) */
		cell_init_door_answer(door, door_uid);
#endif
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);

		if (sig < 0)
			continue;
#if CELL_INIT_DOOR
		if (sig == SIGIO) {
			cell_init_door_answer(door, door_uid);
			continue;
		}
#endif
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);

			if (pid <= 0)
				break;
			if (pid != child)
				continue;
			status = st;
			write_exit_status(exit_fd, status);
			cell_sync_send(sync_fd, CELL_SYNC_STATUS, status, NULL, -1);
			/* Leaving ends the namespace: the kernel kills what is left. */
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	}
}
