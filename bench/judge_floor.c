/*
 * bench/judge_floor — the floor of a judged run: N times, clone3 a process
 * into the namespaces `cell judge` gives a box (user, pid, mount, network,
 * ipc, uts, cgroup, time), exec PROG there, and wait for it. No mounts, no
 * cgroup, no limits, no accounting: what any sandbox with these namespaces
 * must pay at least. Prints the seconds the N runs took.
 *
 *   judge_floor N PROG [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOX_NAMESPACES                                                                             \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

extern char **environ;

static int run_once(char **argv)
{
	struct clone_args ca = { .flags = BOX_NAMESPACES, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (waitpid((pid_t)pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n = argc > 2 ? atol(argv[1]) : 0;

	if (n <= 0) {
		fprintf(stderr, "usage: judge_floor N PROG [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int r = run_once(argv + 2);

		if (r < 0) {
			fprintf(stderr, "judge_floor: run %ld: %s\n", i, strerror(-r));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
