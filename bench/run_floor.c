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
 * With -r, unprivileged: also a user namespace in which the caller's uid and
 * gid are 0 (the child writes the single-id maps itself, as unshare -r does).
 *
 *   run_floor [-r] PROG [ARG...]
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

static char uid_map[32], gid_map[32]; /* -r: "0 UID 1", "0 GID 1" */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int child(void *arg)
{
	char **argv = arg;
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	if (uid_map[0] && (write_file("/proc/self/setgroups", "deny") < 0 ||
			   write_file("/proc/self/uid_map", uid_map) < 0 ||
			   write_file("/proc/self/gid_map", gid_map) < 0))
		failed = "write the id maps";
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
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
	int flags = CLONE_VM | CLONE_VFORK | FLOOR_NAMESPACES | SIGCHLD;
	int status;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)geteuid());
		snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getegid());
		flags |= CLONE_NEWUSER;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: run_floor [-r] PROG [ARG...]\n");
		return 125;
	}
	pid = clone(child, stack + sizeof(stack), flags, argv + 1);
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
