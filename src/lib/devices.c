/*
 * cell — /dev inside the container: config-linux.md's default devices and
 * symlinks on cell's /dev tmpfs, then each of linux.devices[].
 *
 * mknod is refused inside a user namespace (a device node would bypass the
 * host's permissions), so there the host's node, opened before anything was
 * mounted, is bound onto an empty file, as bubblewrap and runc do; its mode
 * and owner are then the host's, which cell must not change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

struct device {
	const char *name;
	unsigned int major, minor;
};

static const struct device default_devices[CELL_N_DEFAULT_DEVICES] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* A linux.devices[] entry at the same path replaces the default device. */
static bool overridden(const struct cell_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const char *p = spec->linux.devices[i].path;

		if (p && !strncmp(p, "/dev/", 5) && !strcmp(p + 5, name))
			return true;
	}
	return false;
}

static mode_t device_type(char type)
{
	switch (type) {
	case 'c':
	case 'u':
		return S_IFCHR;
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return 0;
	}
}

static bool same_node(const struct stat *st, mode_t type, dev_t rdev)
{
	return (st->st_mode & S_IFMT) == type && (type == S_IFIFO || st->st_rdev == rdev);
}

/* The host's node of @d: udev's /dev/char/MAJ:MIN (or block), else the same path. */
static int open_host_node(const struct cell_device *d, struct cell_error *err)
{
	mode_t type = device_type(d->type);
	dev_t rdev = makedev((unsigned int)d->major, (unsigned int)d->minor);
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s/%lld:%lld", type == S_IFBLK ? "block" : "char",
		 (long long)d->major, (long long)d->minor);
	for (const char *p = path;; p = d->path) {
		int fd = open(p, O_PATH | O_CLOEXEC);

		if (fd >= 0 && fstat(fd, &st) == 0 && same_node(&st, type, rdev))
			return fd;
		safe_close(fd);
		if (p == d->path)
			break;
	}
	return cell_error_set(err, ENOENT, "linux.devices %s: a user namespace cannot mknod, and "
			      "the host has no %c %lld:%lld device to bind", d->path, d->type,
			      (long long)d->major, (long long)d->minor);
}

int cell_host_devices_open(const struct cell_spec *spec, bool in_userns,
			   struct cell_host_devices *hd, struct cell_error *err)
{
	char path[32];
	int r;

	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
		hd->defaults[i] = -1;
	hd->spec = NULL;
	if (!in_userns)
		return 0;
	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++) {
		snprintf(path, sizeof(path), "/dev/%s", default_devices[i].name);
		hd->defaults[i] = open(path, O_PATH | O_CLOEXEC);
	}
	if (!spec->linux.n_devices)
		return 0;
	hd->spec = malloc(spec->linux.n_devices * sizeof(int));
	if (!hd->spec)
		return cell_error_set(err, ENOMEM, "linux.devices");
	for (size_t i = 0; i < spec->linux.n_devices; i++)
		hd->spec[i] = -1;
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const struct cell_device *d = &spec->linux.devices[i];

		if (device_type(d->type) == S_IFIFO)
			continue; /* a fifo needs no privilege */
		if ((r = open_host_node(d, err)) < 0)
			return r;
		hd->spec[i] = r;
	}
	return 0;
}

void cell_host_devices_close(struct cell_host_devices *hd, size_t n_spec)
{
	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
		hd->defaults[i] = safe_close(hd->defaults[i]);
	for (size_t i = 0; hd->spec && i < n_spec; i++)
		safe_close(hd->spec[i]);
	free(hd->spec);
	hd->spec = NULL;
}

/* Bind the host's node @hostfd onto a new empty file @name in @dir. */
static int bind_node(int dir, const char *name, int hostfd)
{
	cleanup_close int f = openat(dir, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
	char src[32], target[32];

	if (f < 0)
		return -errno;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", hostfd);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", f);
	return mount(src, target, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int make_defaults(int rootfd, const struct cell_spec *spec, bool in_userns,
			 const struct cell_host_devices *hd, struct cell_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	cleanup_close int dev = cell_openat2_in_root(rootfd, "/dev", O_DIRECTORY | O_RDONLY);
	int r;

	if (dev < 0)
		return cell_error_set(err, -dev, "/dev in the root file system");
	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++) {
		const struct device *d = &default_devices[i];

		if (overridden(spec, d->name))
			continue;
		if (in_userns) {
			r = hd->defaults[i] < 0 ? -ENOENT : bind_node(dev, d->name, hd->defaults[i]);
			if (r < 0)
				return cell_error_set(err, -r, "bind the host's /dev/%s", d->name);
		} else if (mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 &&
			   errno != EEXIST) {
			return cell_error_set(err, errno, "mknod /dev/%s", d->name);
		}
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (!overridden(spec, links[i][1]) && symlinkat(links[i][0], dev, links[i][1]) < 0 &&
		    errno != EEXIST)
			return cell_error_set(err, errno, "symlink /dev/%s", links[i][1]);
	/* runc's /dev/core, where the kernel has a /proc/kcore to point at. */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
	    errno != EEXIST)
		return cell_error_set(err, errno, "symlink /dev/core");
	return 0;
}

/* mknod, or accept a node already there when it is the same device (config-linux.md). */
static int make_node(int dir, const char *name, const struct cell_device *d, mode_t type,
		     mode_t perm)
{
	dev_t rdev = makedev((unsigned int)d->major, (unsigned int)d->minor);
	struct stat st;

	if (mknodat(dir, name, type | perm, type == S_IFIFO ? 0 : rdev) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return same_node(&st, type, rdev) ? 0 : -EEXIST;
}

static int make_spec_device(int rootfd, const struct cell_device *d, int hostfd,
			    struct cell_error *err)
{
	mode_t type = device_type(d->type);
	mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
	char parent[4096], fdpath[32];
	const char *name;
	int r;

	if (!type || !d->path || d->path[0] != '/')
		return cell_error_set(err, EINVAL, "linux.devices %s: type '%c'", d->path ? d->path
				      : "(no path)", d->type);
	snprintf(parent, sizeof(parent), "%s", d->path);
	*strrchr(parent, '/') = '\0';
	name = strrchr(d->path, '/') + 1;
	cleanup_close int pfd = cell_open_target(rootfd, parent[0] ? parent : "/", CELL_TARGET_DIR,
						 err);
	if (pfd < 0)
		return pfd;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
	cleanup_close int dir = open(fdpath, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir < 0)
		return cell_error_set(err, errno, "linux.devices %s", d->path);
	if (hostfd >= 0) /* the host's node: its mode and owner stay the host's */
		r = bind_node(dir, name, hostfd);
	else if ((r = make_node(dir, name, d, type, perm)) == 0 &&
		 (fchmodat(dir, name, perm, 0) < 0 ||
		  fchownat(dir, name, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
			   AT_SYMLINK_NOFOLLOW) < 0))
		r = -errno;
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "linux.devices %s: something else exists there",
				      d->path);
	return r < 0 ? cell_error_set(err, -r, "linux.devices %s (%c %lld:%lld)", d->path, d->type,
				      (long long)d->major, (long long)d->minor)
		     : 0;
}

int cell_make_devices(int rootfd, const struct cell_spec *spec, bool dev_is_tmpfs, bool in_userns,
		      const struct cell_host_devices *hd, struct cell_error *err)
{
	/* mknod honours the umask; the nodes get exactly their modes. */
	mode_t old = umask(0);
	int r = dev_is_tmpfs ? make_defaults(rootfd, spec, in_userns, hd, err) : 0;

	for (size_t i = 0; r == 0 && i < spec->linux.n_devices; i++)
		r = make_spec_device(rootfd, &spec->linux.devices[i], hd->spec ? hd->spec[i] : -1,
				     err);
	umask(old);
	return r;
}
