/*
 * cell — copy a directory tree between two open directories, keeping
 * modes, owners and symlinks (crun's tmpcopyup: a tmpfs over /etc starts
 * with what /etc held).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

#define MAX_DEPTH 64

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	cleanup_close int in = openat(from, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	cleanup_close int out = -1;
	off_t left = st->st_size;

	if (in < 0)
		return -errno;
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		     st->st_mode & 07777);
	if (out < 0)
		return -errno;
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, (size_t)left);

		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the file shrank meanwhile */
		left -= n;
	}
	return 0;
}

static int copy_tree_at(int from, int to, int depth);

static int copy_entry(int from, int to, const char *name, int depth)
{
	char link[4096];
	struct stat st;
	ssize_t n;
	int r = 0;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(to, name, st.st_mode & 07777) < 0)
			return -errno;
		cleanup_close int sub_from =
			openat(from, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		cleanup_close int sub_to =
			openat(to, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (sub_from < 0 || sub_to < 0)
			return -errno;
		r = copy_tree_at(sub_from, sub_to, depth + 1);
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(from, to, name, &st);
	} else if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(from, name, link, sizeof(link) - 1)) < 0)
			return -errno;
		link[n] = '\0';
		r = symlinkat(link, to, name) < 0 ? -errno : 0;
	} else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0) {
		r = -errno;
	}
	if (r < 0)
		return r;
	/* The owner as it was; in a user namespace an unmapped owner stays ours. */
	if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL &&
	    errno != EPERM)
		return -errno;
	if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

static int copy_tree_at(int from, int to, int depth)
{
	struct dirent *e;
	int r = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	int dupfd = fcntl(from, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	DIR *d = fdopendir(dupfd);
	if (!d) {
		r = -errno;
		close(dupfd);
		return r;
	}
	while (r == 0 && (errno = 0, e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = copy_entry(from, to, e->d_name, depth);
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

int cell_copy_tree(int from, int to)
{
	struct stat st;

	if (fstat(from, &st) < 0)
		return -errno;
	/* The top directory's mode and owner too: a tmpfs starts 1777 root. */
	if (fchmod(to, st.st_mode & 07777) < 0)
		return -errno;
	if (fchown(to, st.st_uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM)
		return -errno;
	return copy_tree_at(from, to, 0);
}
