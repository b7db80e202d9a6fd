/*
 * vfork_oom — does the OOM killer spare a child that shares its parent's
 * memory while in vfork? cell's vfork-style start relies on it (clone_vm()
 * in src/lib/run/container.c): its child joins the container's memory
 * cgroup while it still runs in cell's memory, and an OOM kill of that child
 * would take cell too, since the OOM killer kills every process of an mm.
 *
 *   vfork_oom CGROUP_PROCS_FILE VFORK(0|1) HOG [ARG...]
 *
 * Maps and touches 256 MiB, then makes a child with CLONE_VM (and
 * CLONE_VFORK when asked) that moves itself into the cgroup through
 * CGROUP_PROCS_FILE, starts HOG there as init starts the command (CLONE_VM |
 * CLONE_VFORK, then execve) and, still in this process's memory, waits for
 * it. HOG outgrows the cgroup's limit; the OOM killer must choose between it
 * and the child, whose RSS (this process's 256 MiB) is far larger. Prints
 * "parent alive" and how the child ended (HOG's fate: "hog killed" when the
 * OOM killer took HOG) if this process survives; the kernel's choice of the
 * child kills it with SIGKILL, and nothing is printed.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG (256UL << 20)
#define STACK (256 * 1024)

static char **hog;
static const char *procs;

static int start_hog(void *arg)
{
	(void)arg;
	execv(hog[0], hog);
	_exit(127);
}

static int child(void *arg)
{
	static char hog_stack[STACK] __attribute__((aligned(64)));
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	pid_t pid;
	int status;

	(void)arg;
	if (fd < 0 || write(fd, "0", 1) != 1) {
		perror(procs);
		_exit(2);
	}
	close(fd);
	pid = clone(start_hog, hog_stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		_exit(3);
	/* the hog runs and is killed while we still share the parent's memory */
	while (waitpid(pid, &status, 0) < 0)
		;
	_exit(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 9 : 4);
}

int main(int argc, char **argv)
{
	static char stack[STACK] __attribute__((aligned(64)));
	char *mem;
	pid_t pid;
	int status;

	if (argc < 4) {
		fprintf(stderr, "usage: vfork_oom CGROUP_PROCS_FILE VFORK HOG [ARG...]\n");
		return 2;
	}
	procs = argv[1];
	hog = argv + 3;
	mem = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	memset(mem, 1, BIG);
	pid = clone(child, stack + STACK, CLONE_VM | (atoi(argv[2]) ? CLONE_VFORK : 0) | SIGCHLD,
		    NULL);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 2;
	printf("parent alive; %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 9
					     ? "hog killed"
					     : "the hog was not killed");
	return 0;
}
