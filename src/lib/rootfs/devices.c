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
 * host's permissions). There a linux.devices[] entry is, when cell runs as
 * root on the host, a node cell made before clone3 with the requested owner
 * and mode (cell_devices_prepare, below); otherwise the host's node of the
 * same type and major:minor, opened before anything was mounted, is bound
 * onto an empty file (nosuid, noexec), as bubblewrap, runc and crun do; its
 * mode and owner are then the host's inode's, which cell must not change (a
 * chmod would change the host's device).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "utils.h"

struct device {
	const char *name;
	unsigned int major, minor;
};

static const struct device default_devices[CELL_N_DEFAULT_DEVICES] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
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
			cleanup_close int sub = openat(
				dirfd(d), e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

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
	return cell_error_set(err, ENOENT,
			      "linux.devices %s: a user namespace cannot mknod, and "
			      "the host has no %c %lld:%lld device below /dev to bind",
			      d->path, d->type, (long long)d->major, (long long)d->minor);
}

/* The host's /dev/NAME of a default device, or -1 when it is not that device. */
static int open_host_default(const struct device *d)
{
	char path[32];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", d->name);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0 &&
	    (fstat(fd, &st) < 0 || !same_node(&st, S_IFCHR, makedev(d->major, d->minor))))
		fd = safe_close(fd);
	return fd;
}

int cell_host_devices_open(const struct cell_spec *spec, bool in_userns, enum cell_dev_kind dev,
			   const int *made, struct cell_host_devices *hd, struct cell_error *err)
{
	int r;

	for (size_t i = 0; i < CELL_N_DEFAULT_DEVICES; i++)
		hd->defaults[i] = -1;
	hd->spec = NULL;
	hd->made = made;
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

		if (device_type(d->type) == S_IFIFO || (made && made[i] >= 0))
			continue; /* a fifo needs no privilege; cell made the node */
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
 * put_node() - @hostfd onto the empty file @target: the host's node bound,
 * or, when @made, the detached node mount cell_devices_prepare() made,
 * attached as it is (Linux does not clone another namespace's detached tree).
 */
static int put_node(int hostfd, bool made, int target)
{
	return made ? cell_attach_tree(hostfd, target, 0, 0, false) : bind_onto(hostfd, target);
}

/*
 * place_node() - device node @name in @dir: @hostfd put onto a new empty
 * file (put_node), or, with @hostfd -1, a new node (mknod). What is there
 * already is looked at, never followed or opened: the same device is kept
 * (1), an empty regular file takes @hostfd, anything else (a symlink,
 * another device) is -EEXIST. Return: 0 made, 1 kept, or -errno.
 */
static int place_node(int dir, const char *name, mode_t type, dev_t rdev, mode_t perm, int hostfd,
		      bool made)
{
	cleanup_close int fd = -1;
	struct stat st;

	/* Made first (a fresh /dev is empty): O_EXCL fails on anything there,
	 * a symlink too, which is then looked at below. */
	if (hostfd < 0 && mknodat(dir, name, type | perm, type == S_IFIFO ? 0 : rdev) == 0)
		return 0;
	if (hostfd >= 0) {
		fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0)
			return put_node(hostfd, made, fd);
	}
	if (errno != EEXIST)
		return -errno;
	if ((fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (same_node(&st, type, rdev))
		return 1;
	if (S_ISREG(st.st_mode) && st.st_size == 0 && hostfd >= 0)
		return put_node(hostfd, made, fd);
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
		{ "/proc/self/fd", "fd" },	 { "/proc/self/fd/0", "stdin" },
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
			       hd->defaults[i], false);
		if (r == -EEXIST)
			return cell_error_set(err, EEXIST,
					      "/dev/%s in the root file system is not "
					      "the %s device (c %u:%u); not following or using it",
					      d->name, d->name, d->major, d->minor);
		if (r < 0)
			return cell_error_set(err, -r, "make /dev/%s", d->name);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (!overridden(spec, links[i][1]) &&
		    symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return cell_error_set(err, errno, "symlink /dev/%s", links[i][1]);
	/* runc's /dev/core, where the kernel has a /proc/kcore to point at. */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
	    errno != EEXIST)
		return cell_error_set(err, errno, "symlink /dev/core");
	return 0;
}

static int make_spec_device(int rootfd, const struct cell_device *d, int hostfd, bool made,
			    struct cell_error *err)
{
	mode_t type = device_type(d->type);
	mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
	char parent[4096], fdpath[32];
	const char *name;
	int r;

	if (!type || !d->path || d->path[0] != '/')
		return cell_error_set(err, EINVAL, "linux.devices %s: type '%c'",
				      d->path ? d->path : "(no path)", d->type);
	snprintf(parent, sizeof(parent), "%s", d->path);
	*strrchr(parent, '/') = '\0';
	name = strrchr(d->path, '/') + 1;
	cleanup_close int pfd =
		cell_open_target(rootfd, parent[0] ? parent : "/", CELL_TARGET_DIR, err);
	if (pfd < 0)
		return pfd;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
	cleanup_close int dir = open(fdpath, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir < 0)
		return cell_error_set(err, errno, "linux.devices %s", d->path);
	/* config-linux.md: a node already there that is the same device is accepted;
	 * the host's node (@hostfd) keeps the host's mode and owner, a node cell
	 * made (@made) has the requested ones already */
	r = place_node(dir, name, type, makedev((unsigned int)d->major, (unsigned int)d->minor),
		       perm, hostfd, made);
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

	for (size_t i = 0; r == 0 && i < spec->linux.n_devices; i++) {
		bool made = hd->made && hd->made[i] >= 0;
		int fd = made ? hd->made[i] : hd->spec ? hd->spec[i] : -1;

		r = make_spec_device(rootfd, &spec->linux.devices[i], fd, made, err);
	}
	umask(old);
	return r;
}

/* ---- parent side: nodes with the requested owner and mode ---- */

/*
 * Binding the host's node shows the host inode's owner and mode. An idmapped
 * bind of it would show the requested owner, but devtmpfs refuses
 * MOUNT_ATTR_IDMAP (EINVAL on Linux 6.18: its internal file system type has
 * no FS_ALLOW_IDMAP, which tmpfs has since 6.3), and no mount can show
 * another mode. So cell, when it runs as root on the host, makes each node
 * itself before clone3, as it does without a user namespace: on a small
 * tmpfs mounted nowhere (fsmount(2)) and owned by the initial user namespace,
 * so the node can be opened (a file system a user namespace mounts is nodev,
 * mount_namespaces(7)). It gets the requested mode and the host ids of the
 * requested uid and gid, and a detached clone of it alone reaches the child.
 * No host inode is touched, and a device the host has no node for works too.
 *
 * Without that privilege (rootless: fsopen or mknod fail with EPERM) nothing
 * can give them. crun binds the host's node and keeps its owner and mode
 * without a word (libcrun/linux.c, libcrun_create_dev); cell does the same,
 * since refusing would fail every rootless `podman --device` (which asks for
 * uid 0 and mode 0666), and says so in one warning.
 */

/* to_host_id() - the host id of container id @id through @maps; -ENOENT if unmapped. */
static int to_host_id(const struct cell_id_map *maps, size_t n, uint32_t id, uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size) {
			*out = maps[i].host_id + (id - maps[i].container_id);
			return 0;
		}
	return -ENOENT;
}

/*
 * node_owner() - the host uid and gid that show as @d's uid and gid inside.
 * An id not given (0) that the maps leave out stays the host's root, which
 * is what a bind of the host's node would show.
 */
static int node_owner(const struct cell_device *d, const struct cell_linux *l, uid_t *uid,
		      gid_t *gid, struct cell_error *err)
{
	uint32_t u = 0, g = 0;

	if (to_host_id(l->uid_mappings, l->n_uid_mappings, d->has_uid ? d->uid : 0, &u) < 0 &&
	    d->has_uid)
		return cell_error_set(err, EINVAL,
				      "linux.devices %s: uid %u is not mapped by "
				      "linux.uidMappings",
				      d->path, d->uid);
	if (to_host_id(l->gid_mappings, l->n_gid_mappings, d->has_gid ? d->gid : 0, &g) < 0 &&
	    d->has_gid)
		return cell_error_set(err, EINVAL,
				      "linux.devices %s: gid %u is not mapped by "
				      "linux.gidMappings",
				      d->path, d->gid);
	*uid = u;
	*gid = g;
	return 0;
}

/*
 * make_node() - @d as node @name on the tmpfs @mnt, with its mode (0666 when
 * not given, as crun) and owner, and a detached clone of it alone, nosuid
 * and noexec like the host nodes cell binds. Return: the clone, or -errno.
 */
static int make_node(int mnt, const char *name, const struct cell_device *d,
		     const struct cell_linux *l, struct cell_error *err)
{
	mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
	dev_t rdev = makedev((unsigned int)d->major, (unsigned int)d->minor);
	uid_t uid = 0;
	gid_t gid = 0;
	int tree, r;

	if ((r = node_owner(d, l, &uid, &gid, err)) < 0)
		return r;
	/* mknod honours the umask: the mode is set again after */
	if (mknodat(mnt, name, device_type(d->type) | perm, rdev) < 0)
		return -errno; /* EPERM: not privileged, the caller's fallback */
	if (fchmodat(mnt, name, perm, 0) < 0 || fchownat(mnt, name, uid, gid, AT_SYMLINK_NOFOLLOW))
		return cell_error_set(err, errno, "linux.devices %s: node for the container",
				      d->path);
	tree = (int)syscall(SYS_open_tree, mnt, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno; /* EINVAL: a kernel before 6.15 clones no detached tree */
	if ((r = cell_mount_setattr(tree, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, -1)) < 0) {
		close(tree);
		return cell_error_set(err, -r, "linux.devices %s: nosuid,noexec", d->path);
	}
	return tree;
}

/* make_nodes() - a node for each entry but fifos into @made[]; -errno as make_node(). */
static int make_nodes(const struct cell_spec *spec, int *made, struct cell_error *err)
{
	char size[32], name[32];
	int mnt, r = 0;

	/* one inode per node and the root; the nodes hold no data */
	snprintf(size, sizeof(size), "%zuk", 4 * (spec->linux.n_devices + 1));
	if ((mnt = cell_detached_tmpfs("700", size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) < 0)
		return mnt;
	for (size_t i = 0; r >= 0 && i < spec->linux.n_devices; i++) {
		const struct cell_device *d = &spec->linux.devices[i];

		if (device_type(d->type) == S_IFIFO || !device_type(d->type))
			continue; /* a fifo needs no privilege; a bad type fails in the child */
		snprintf(name, sizeof(name), "%zu", i);
		if ((r = make_node(mnt, name, d, &spec->linux, err)) >= 0)
			made[i] = r;
	}
	close(mnt); /* the clones keep the file system */
	return r < 0 ? r : 0;
}

/* asks_owner_or_mode() - does any linux.devices[] entry ask for an owner or a mode? */
static bool asks_owner_or_mode(const struct cell_spec *spec)
{
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const struct cell_device *d = &spec->linux.devices[i];

		if (d->has_uid || d->has_gid || d->has_file_mode)
			return true;
	}
	return false;
}

int cell_devices_prepare(const struct cell_spec *spec, int **made, cell_warn_fn warn, void *ctx,
			 struct cell_error *err)
{
	struct cell_error why = { 0 };
	size_t n = spec->linux.n_devices;
	int r;

	*made = NULL;
	if (!spec->linux.namespaces[CELL_NS_USER].present || !n)
		return 0;
	/* a user namespace joined by path has no maps here: the host's nodes */
	if (spec->linux.n_uid_mappings && spec->linux.n_gid_mappings) {
		if (!(*made = malloc(n * sizeof(int))))
			return cell_error_set(err, ENOMEM, "linux.devices");
		for (size_t i = 0; i < n; i++)
			(*made)[i] = -1;
		r = make_nodes(spec, *made, &why);
		if (r == 0)
			return 0;
		cell_devices_prepared_free(made, n);
		if (why.msg[0] || (r != -EPERM && r != -EINVAL)) {
			if (!why.msg[0])
				cell_error_set(&why, -r, "linux.devices: a tmpfs for their nodes");
			if (err)
				*err = why;
			return r;
		}
		/* EPERM: not privileged; EINVAL: no clone of a detached tree (< 6.15) */
	}
	if (warn && asks_owner_or_mode(spec)) {
		cell_error_set(&why, 0,
			       "linux.devices: the nodes keep the host's owner and mode "
			       "(in a user namespace, uid, gid and fileMode need cell to run as "
			       "root on the host)");
		warn(ctx, &why);
	}
	return 0;
}

void cell_devices_prepared_free(int **made, size_t n)
{
	for (size_t i = 0; *made && i < n; i++)
		safe_close((*made)[i]);
	free(*made);
	*made = NULL;
}
