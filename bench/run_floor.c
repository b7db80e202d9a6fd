/*
 * bench/run_floor — the floor of a sandboxed start: what any sandbox that
 * gives PROG cell's default namespaces (pid, mount, network, ipc, uts,
 * cgroup), the host's root read-only and a fresh /proc must pay at least.
 * One child, made as cheaply as Linux allows (clone with CLONE_VM |
 * CLONE_VFORK from a small static process, as posix_spawn(3) does); it makes
 * the mount tree private and read-only, mounts /proc and execs PROG, which is
 * PID 1 of its namespace; the parent waits. No init, no /dev, no masked
 * paths, no filter, no capabilities dropped, no lo, no cgroup, no keyring.
 * Exits with PROG's status (125 if a step failed, naming it on stderr).
 *
 *   run_floor PROG [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

#define FLOOR_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

extern char **environ;

static char stack[64 * 1024] __attribute__((aligned(16)));
static const char *failed; /* the step the child failed at (shared memory) */
static int failed_errno;

static int child(void *arg)
{
	char **argv = arg;
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		failed = "make / private";
	else if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		failed = "make / read-only";
	else if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		failed = "mount /proc";
	else {
		execve(argv[0], argv, environ);
		failed = "exec";
	}
	failed_errno = errno;
	_exit(125);
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: run_floor PROG [ARG...]\n");
		return 125;
	}
	pid = clone(child, stack + sizeof(stack),
		    CLONE_VM | CLONE_VFORK | FLOOR_NAMESPACES | SIGCHLD, argv + 1);
	if (pid < 0) {
		perror("run_floor: clone");
		return 125;
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("run_floor: waitpid");
		return 125;
	}
	if (failed) {
		fprintf(stderr, "run_floor: %s: %s\n", failed, strerror(failed_errno));
		return 125;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
