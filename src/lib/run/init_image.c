/*
 * cell — the freestanding init (src/init/init.c), built in, as a sealed
 * memfd that a vfork-style child execs once the command runs (container.c,
 * process.c). Sealed against writes, growth and shrinking: the container
 * sees it as /proc/1/exe, and no one may change what runs as its PID 1
 * (CVE-2019-5736 is the same question for runc's own binary).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cell_init_image.h"
#include "run.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable, whatever vm.memfd_noexec says */
#endif

bool cell_init_image_built_in(void)
{
	return CELL_INIT_IMAGE_LEN > 0;
}

static int make_image(void)
{
	const unsigned int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	size_t done = 0;
	int fd, e;

	if (!cell_init_image_built_in())
		return -ENOEXEC;
	fd = memfd_create("cell-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* before 6.3 */
		fd = memfd_create("cell-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	while (done < CELL_INIT_IMAGE_LEN) {
		ssize_t n = write(fd, cell_init_image + done, CELL_INIT_IMAGE_LEN - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	/* Executable, not readable, by anyone without cell's ids: exec'd in a user
	 * namespace that has no id for them, the init is non-dumpable from its
	 * first instruction and its mm is cell's user namespace's (would_dump(),
	 * container.c: init_unreadable()). */
	if (fchmod(fd, 0111) < 0 || fcntl(fd, F_ADD_SEALS, seals) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The memfd made first: sealed, so every later start (a judge's batch) execs
 * the same one, through a duplicate, instead of making and filling another. */
static int made = -1;

int cell_init_image_open(void)
{
	int fd;

	if (made < 0 && (made = make_image()) < 0) {
		fd = made;
		made = -1;
		return fd;
	}
	fd = fcntl(made, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? -errno : fd;
}
