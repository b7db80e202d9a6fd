/*
 * bench/seccomp_load.c — what one seccomp(2) costs on this machine: no filter,
 * the smallest filter there is (one RET ALLOW), and cell's built-in default
 * filter (the generated seccomp_default_bpf.h, -I the build directory).
 *
 * Each load happens in a new forked child, as in a container start: the
 * child sets no_new_privs, times the seccomp(2) call alone with
 * CLOCK_MONOTONIC, sends the time through a pipe and exits. The three kinds
 * alternate, so drift hits all alike. Prints, for each, the median, p10 and
 * p90 in microseconds, one line each: "NAME INSNS MEDIAN P10 P90".
 *
 * Usage: seccomp_load [ROUNDS]   (default 400 loads of each kind)
 * Run by bench/seccomp_load; see bench/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_default_bpf.h"

enum { NONE, ONE, BUILTIN, KINDS };

static const char *const names[KINDS] = { "none", "one-insn", "cell-default" };

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* One forked child's seccomp(2) time in us, or -1 on failure. */
static double load_once(const struct sock_fprog *prog)
{
	int p[2];
	double us = -1;

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		double t0, d = -1;

		close(p[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) {
			t0 = now_us();
			if (!prog || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0)
				d = now_us() - t0;
		}
		_exit(write(p[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &us, sizeof(us)) != sizeof(us))
		us = -1;
	close(p[0]);
	if (pid > 0 && waitpid(pid, NULL, 0) < 0)
		us = -1;
	return us;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_fprog progs[KINDS] = {
		[ONE] = { .len = 1, .filter = (struct sock_filter *)allow },
		[BUILTIN] = { .len = sizeof(builtin_0) / sizeof(builtin_0[0]),
			      .filter = (struct sock_filter *)builtin_0 },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 400;
	double *t[KINDS];

	if (rounds < 10) {
		fprintf(stderr, "seccomp_load: ROUNDS must be at least 10\n");
		return 2;
	}
	for (int k = 0; k < KINDS; k++)
		if (!(t[k] = calloc((size_t)rounds, sizeof(double)))) {
			fprintf(stderr, "seccomp_load: %s\n", strerror(ENOMEM));
			return 1;
		}
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < KINDS; i++) {
			int k = (r + i) % KINDS; /* the order rotates */

			if ((t[k][r] = load_once(k == NONE ? NULL : &progs[k])) < 0) {
				fprintf(stderr, "seccomp_load: %s: a load failed\n", names[k]);
				return 1;
			}
		}
	for (int k = 0; k < KINDS; k++) {
		qsort(t[k], (size_t)rounds, sizeof(double), cmp);
		printf("%s %u %.1f %.1f %.1f\n", names[k], k == NONE ? 0U : progs[k].len,
		       t[k][rounds / 2], t[k][rounds / 10], t[k][rounds * 9 / 10]);
		free(t[k]);
	}
	return 0;
}
