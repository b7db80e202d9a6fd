/*
 * cell — /dev inside the container: config-linux.md's default devices and
 * symlinks, then each of linux.devices[].
 *
 * The defaults go on cell's /dev tmpfs, or, when the spec mounts nothing on
 * /dev, into the root file system's own /dev, as runc does (config-linux.md:
 * the runtime MUST supply them); a /dev bound from the host is left alone.
 * A root file system's /dev may hold anything, so a node already there is
 * kept only when it is that device (CVE-2025-31133: a dev/null symlink to
 * /proc/sys/kernel/core_pattern); it is never followed or opened.
 *
 * mknod is refused inside a user namespace (a device node would bypass the
 * host's permissions), so there the host's node of the same type and
 * major:minor, opened before anything was mounted, is bound onto an empty
 * file (nosuid, noexec), as bubblewrap, runc and crun do; its mode and owner
 * are then the host's inode's, which cell must not change (a chmod would
 * change the host's device).
 */
#include <dirent.h>
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

/*
 * find_in_dev() - a node of @type and @rdev in @dir or the directories below
 * it (/dev/net/tun, /dev/dri/...), symlinks not followed; -ENOENT if none.
 */
static int find_in_dev(int dir, mode_t type, dev_t rdev, int depth)
{
	cleanup_close int scan = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
	struct dirent *e;
	struct stat st;
	int fd = -ENOENT;

	if (!d)
		return -ENOENT;
	scan = -1; /* closedir closes it */
	while (fd == -ENOENT && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (same_node(&st, type, rdev))
			fd = openat(dirfd(d), e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		else if (S_ISDIR(st.st_mode) && depth < 3) {
			cleanup_close int sub = openat(dirfd(d), e->d_name,
						       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				fd = find_in_dev(sub, type, rdev, depth + 1);
		}
		if (fd < 0 && fd != -ENOENT)
			fd = -ENOENT; /* gone or unreadable: look further */
	}
	closedir(d);
	return fd;
}

/*
 * The host's node of @d, matched by type and major:minor, whatever its name:
 * udev's /dev/char/MAJ:MIN (or block), the same path, else any node below
 * /dev (a host without udev's links, a name the container chose).
 */
static int open_host_node(const struct cell_device *d, struct cell_error *err)
{
	mode_t type = device_type(d->type);
	dev_t rdev = makedev((unsigned int)d->major, (unsigned int)d->minor);
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s/%lld:%lld", type == S_IFBLK ? "block" : "char",
		 (long long)d->major, (long long)d->minor);
	for (const char *p = path;; p = d->path) {
		fd = open(p, O_PATH | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && same_node(&st, type, rdev))
			return fd;
		safe_close(fd);
		if (p == d->path)
			break;
	}
	cleanup_close int dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dev >= 0 && (fd = find_in_dev(dev, type, rdev, 0)) >= 0)
		return fd;
	return cell_error_set(err, ENOENT, "linux.devices %s: a user namespace cannot mknod, and "
			      "the host has no %c %lld:%lld device below /dev to bind", d->path,
			      d->type, (long long)d->major, (long long)d->minor);
}

/* The host's /dev/NAME of a default device, or -1 when it is not that device. */
static int open_host_default(const struct device *d)
{
	char path[32];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", d->name);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 ||
			!same_node(&st, S_IFCHR, makedev(d->major, d->minor))))
		fd = safe_close(fd);
	return fd;
}

int cell_host_devices_open(const struct cell_spec *spec, bool in_userns, enum cell_dev_kind dev,
			   struct cell_host_devices *hd, struct cell_error *err)
{
	int r;

	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
		hd->defaults[i] = -1;
	hd->spec = NULL;
	/* A root file system's /dev may hold empty files an earlier rootless run
	 * bound nodes onto: root binds the host's nodes there too. */
	if (in_userns || dev == CELL_DEV_ROOTFS)
		for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
			hd->defaults[i] = open_host_default(&default_devices[i]);
	if (!in_userns || !spec->linux.n_devices)
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

/*
 * Bind the host's node @hostfd onto the file @target, nosuid and noexec (as
 * crun does): a node is never a way to run or gain anything. The clone is
 * detached while its flags are set; the host's locked flags stay.
 */
static int bind_onto(int hostfd, int target)
{
	int tree = cell_clone_tree(hostfd, false), r;

	if (tree < 0)
		return tree;
	r = cell_attach_tree(tree, target, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, false);
	close(tree);
	return r;
}

/*
 * place_node() - device node @name in @dir: the host's node @hostfd bound
 * onto a new empty file, or, with @hostfd -1, a new node (mknod). What is
 * there already is looked at, never followed or opened: the same device is
 * kept (1), an empty regular file takes @hostfd's bind, anything else (a
 * symlink, another device) is -EEXIST. Return: 0 made, 1 kept, or -errno.
 */
static int place_node(int dir, const char *name, mode_t type, dev_t rdev, mode_t perm,
		      int hostfd)
{
	cleanup_close int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd < 0 && hostfd < 0)
		return mknodat(dir, name, type | perm, type == S_IFIFO ? 0 : rdev) < 0 ? -errno : 0;
	if (fd < 0) {
		fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		return fd < 0 ? -errno : bind_onto(hostfd, fd);
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (same_node(&st, type, rdev))
		return 1;
	if (S_ISREG(st.st_mode) && st.st_size == 0 && hostfd >= 0)
		return bind_onto(hostfd, fd);
	return -EEXIST;
}

/* /dev of the root file system, made when it has none (config-linux.md wants the nodes). */
static int open_dev(int rootfd, enum cell_dev_kind kind, struct cell_error *err)
{
	int dev = cell_openat2_in_root(rootfd, "/dev", O_DIRECTORY | O_RDONLY);

	if (dev == -ENOENT && kind == CELL_DEV_ROOTFS) {
		int made = cell_open_target(rootfd, "/dev", CELL_TARGET_DIR, err);

		if (made < 0)
			return made;
		safe_close(made);
		dev = cell_openat2_in_root(rootfd, "/dev", O_DIRECTORY | O_RDONLY);
	}
	return dev < 0 ? cell_error_set(err, -dev, "/dev in the root file system") : dev;
}

static int make_defaults(int rootfd, const struct cell_spec *spec, enum cell_dev_kind kind,
			 const struct cell_host_devices *hd, struct cell_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	cleanup_close int dev = open_dev(rootfd, kind, err);
	int r;

	if (dev < 0)
		return dev;
	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++) {
		const struct device *d = &default_devices[i];

		if (overridden(spec, d->name))
			continue;
		r = place_node(dev, d->name, S_IFCHR, makedev(d->major, d->minor), 0666,
			       hd->defaults[i]);
		if (r == -EEXIST)
			return cell_error_set(err, EEXIST, "/dev/%s in the root file system is not "
					      "the %s device (c %u:%u); not following or using it",
					      d->name, d->name, d->major, d->minor);
		if (r < 0)
			return cell_error_set(err, -r, "make /dev/%s", d->name);
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
	/* config-linux.md: a node already there that is the same device is accepted;
	 * the host's node (@hostfd) keeps the host's mode and owner */
	r = place_node(dir, name, type, makedev((unsigned int)d->major, (unsigned int)d->minor),
		       perm, hostfd);
	if (r >= 0 && hostfd < 0 &&
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

int cell_make_devices(int rootfd, const struct cell_spec *spec, enum cell_dev_kind dev,
		      const struct cell_host_devices *hd, struct cell_error *err)
{
	/* mknod honours the umask; the nodes get exactly their modes. */
	mode_t old = umask(0);
	int r = dev != CELL_DEV_HOST_BIND ? make_defaults(rootfd, spec, dev, hd, err) : 0;

	for (size_t i = 0; r == 0 && i < spec->linux.n_devices; i++)
		r = make_spec_device(rootfd, &spec->linux.devices[i], hd->spec ? hd->spec[i] : -1,
				     err);
	umask(old);
	return r;
}
