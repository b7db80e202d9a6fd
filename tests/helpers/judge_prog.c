/*
 * The programs tests/integration/test_judge.py judges: small, static, and
 * spending exactly what they are told, so the report can be checked against
 * it. An interpreter is no good for a memory hog: started inside a tight v1
 * memory limit it can livelock in reclaim on a cold page cache.
 *
 *   judge_prog busy SECONDS       spin until this process used SECONDS of CPU, exit 0
 *   judge_prog fork N SECONDS     N children that each spin SECONDS of CPU; wait for them
 *   judge_prog hog MIB            allocate and touch MIB MiB, print "ok", exit 0
 *   judge_prog flood BYTES        write BYTES to stdout ("x"s), exit 0
 *   judge_prog bomb               fork children that spin, forever (ends at a limit)
 *   judge_prog daemon             a child in a session of its own that sleeps; exit 0
 *   judge_prog segv | exit N | sleep SECONDS
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void spin(double seconds)
{
	volatile unsigned long x = 0;

	while (seconds < 0 || cpu_seconds() < seconds)
		for (int i = 0; i < 10000; i++)
			x++;
}

static int fork_busy(int n, double seconds)
{
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			return 2;
		if (p == 0) {
			spin(seconds);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

static int hog(long mib)
{
	size_t size = (size_t)mib << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	puts("ok");
	return 0;
}

static int flood(long bytes)
{
	static char buf[65536];

	memset(buf, 'x', sizeof(buf));
	while (bytes > 0) {
		ssize_t n = write(1, buf, bytes < (long)sizeof(buf) ? (size_t)bytes : sizeof(buf));

		if (n < 0)
			return 2;
		bytes -= n;
	}
	return 0;
}

static __attribute__((noreturn)) void bomb(void)
{
	for (;;) {
		if (fork() == 0)
			spin(-1);
		usleep(1000);
	}
}

static int daemonise(void)
{
	pid_t p = fork();

	if (p < 0)
		return 2;
	if (p == 0) {
		setsid();
		if (fork() == 0) {
			close(0);
			close(1);
			close(2);
			for (;;)
				pause();
		}
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "0";

	if (!strcmp(mode, "busy"))
		spin(atof(arg));
	else if (!strcmp(mode, "fork"))
		return fork_busy(atoi(arg), argc > 3 ? atof(argv[3]) : 0.1);
	else if (!strcmp(mode, "hog"))
		return hog(atol(arg));
	else if (!strcmp(mode, "flood"))
		return flood(atol(arg));
	else if (!strcmp(mode, "bomb"))
		bomb();
	else if (!strcmp(mode, "daemon"))
		return daemonise();
	else if (!strcmp(mode, "segv"))
		raise(SIGSEGV);
	else if (!strcmp(mode, "exit"))
		return atoi(arg);
	else if (!strcmp(mode, "sleep"))
		sleep((unsigned)atoi(arg));
	else
		return fprintf(stderr, "judge_prog: unknown mode '%s'\n", mode), 64;
	return 0;
}
