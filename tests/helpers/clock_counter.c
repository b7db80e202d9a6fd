/*
 * What tests/integration/test_checkpoint.py checkpoints: counts every 50 ms
 * and writes "COUNT MONOTONIC_NS BOOTTIME_NS" over FILE (argv[1]) each time,
 * so the host reads where the count and the container's clocks are. Static:
 * it runs in a busybox root file system.
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	char line[96];

	if (argc != 2)
		return 2;
	for (unsigned long long count = 1;; count++) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		int n = snprintf(line, sizeof(line), "%llu %lld %lld\n", count, ns(CLOCK_MONOTONIC),
				 ns(CLOCK_BOOTTIME));

		/* one write of a fixed-width-enough line: the reader never sees half */
		if (fd < 0 || pwrite(fd, line, (size_t)n, 0) != n || ftruncate(fd, n) < 0)
			return 1;
		close(fd);
		nanosleep(&tick, NULL);
	}
}
