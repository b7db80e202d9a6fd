/*
 * cell — mounts[] and linux.devices[] inside the container's root (internal).
 *
 * mount_options.c turns mounts[].options into what the kernel takes;
 * mounts.c carries one mount out on a target resolved inside the root;
 * mount_cgroup.c mounts the container's cgroups; devices.c makes /dev.
 */
#ifndef CELL_MOUNTS_H
#define CELL_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cell/cell.h"

/* What mounts[].options say, sorted by the system call that carries them out. */
struct cell_mount_opts {
	unsigned long flags;	   /* MS_* for mount(2); for a bind, the top mount's flags */
	unsigned long cleared;	   /* MS_* an option turned off by name (rw, suid, atime...) */
	uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* for every mount of the tree (rro, rnosuid...) */
	unsigned long propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, | MS_REC */
	bool bind, recursive;	   /* bind or rbind (type "bind" alone: bind) */
	bool idmap, idmap_recursive; /* idmap / ridmap, or mounts[].uidMappings given */
	bool tmpcopyup;		     /* crun's: copy what lies under a tmpfs into it */
	char data[1024];	     /* the rest, for the file system: size=, mode=, ... */
};

/**
 * cell_mount_options_parse() - sort @m's options (and type "bind").
 * Unknown options go to @o->data; options cell cannot honour fail with
 * the option named. Pure: touches nothing but @o and @err.
 */
int cell_mount_options_parse(const struct cell_mount *m, struct cell_mount_opts *o,
			     struct cell_error *err);

/** cell_mount_attrs() - the MOUNT_ATTR_* set/clear that @o's flags mean for a bind's top mount. */
void cell_mount_attrs(const struct cell_mount_opts *o, uint64_t *set, uint64_t *clr);

/* ---- mounts.c ---- */

/** cell_openat2_in_root() - openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); fd or -errno. */
int cell_openat2_in_root(int rootfd, const char *path, int flags);

enum cell_target_kind { CELL_TARGET_DIR, CELL_TARGET_FILE, CELL_TARGET_SYMLINK };

/**
 * cell_open_target() - O_PATH fd of @dest inside the root at @rootfd,
 * making the missing directories and, last, a directory or an empty file.
 */
int cell_open_target(int rootfd, const char *dest, enum cell_target_kind kind,
		     struct cell_error *err);

/* ---- mount_skeleton.c ---- */

/* A path a mount skeleton may have to make: a mount target, or a --symlink's link. */
struct cell_skeleton_target {
	const char *dest;
	enum cell_target_kind kind;
	const char *link_target; /* CELL_TARGET_SYMLINK: the link's content */
	mode_t dir_mode;	 /* CELL_TARGET_DIR: the mode of the last one made (0: 0755) */
};

/**
 * cell_mount_skeletons() - make each of @targets that is missing from the
 * root at *@rootfd under a tmpfs skeleton over its nearest existing
 * ancestor, which keeps the ancestor's entries. A skeleton over the root
 * itself is pivoted into for the @host_root (the caller's cwd is then the
 * new root), or, for a directory root bound on itself, becomes the caller's
 * cwd; *@rootfd follows. @attrs (MOUNT_ATTR_*) are set on every skeleton and
 * what it binds back. Before the root turns read-only; the root's file
 * system is never written.
 */
int cell_mount_skeletons(const struct cell_skeleton_target *targets, size_t n, int *rootfd,
			 bool host_root, uint64_t attrs, struct cell_error *err);

/* ---- path_ops.c ---- */

/** cell_make_path_op() - carry out @op (a link, a directory, a file...) inside the root at @rootfd. */
int cell_make_path_op(int rootfd, const struct cell_path_op *op, struct cell_error *err);

/**
 * cell_make_symlink() - --symlink @l inside the root at @rootfd, its missing
 * parents made; fine if @l->path is already a symlink to @l->target
 * (bubblewrap's rule), -EEXIST naming the path if it is anything else.
 */
int cell_make_symlink(int rootfd, const struct cell_path_op *l, struct cell_error *err);

/** cell_mount_fallback_source() - the host path whose copy stands in for @type, or NULL. */
const char *cell_mount_fallback_source(const char *type);

/** cell_mount_setattr() - mount_setattr(2) on @fd itself; userns_fd -1 unless idmapping. */
int cell_mount_setattr(int fd, unsigned int flags, uint64_t set, uint64_t clr, int userns_fd);

/**
 * cell_detached_tmpfs() - a new tmpfs (@mode, @size as its options take them),
 * mounted nowhere (fsmount(2)) with MOUNT_ATTR_* @attrs: its fd, or -errno.
 */
int cell_detached_tmpfs(const char *mode, const char *size, unsigned int attrs);
/** cell_clone_tree() - a detached copy of the mount at @fd (and, @recursive, those below). */
int cell_clone_tree(int fd, bool recursive);

/** cell_attach_tree() - set @set/@clr on detached @tree (AT_RECURSIVE if @recursive), attach it. */
int cell_attach_tree(int tree, int targetfd, uint64_t set, uint64_t clr, bool recursive);

/**
 * cell_mount_one() - carry out @m on its destination inside @rootfd.
 * @srcfd: a detached tree of the bind source (cloned before the root
 * changed), or for a file system the host's copy to fall back on, or -1.
 */
int cell_mount_one(int rootfd, const struct cell_mount *m, int srcfd, bool in_userns,
		   const char *mount_label, struct cell_error *err);

/**
 * cell_idmapped_tree() - a detached clone of @m's source with its ids
 * mapped (mount_setattr(2) MOUNT_ATTR_IDMAP) by @m's mappings, or by
 * @uid_map/@gid_map (the container's) when @m has none. Needs
 * CAP_SYS_ADMIN over the source's file system: the parent does it.
 */
int cell_idmapped_tree(const struct cell_mount *m, const struct cell_linux *l,
		       struct cell_error *err);

/** cell_copy_tree() - copy what is in directory @from into directory @to; 0 or -errno. */
int cell_copy_tree(int from, int to);

/* ---- mount_cgroup.c ---- */

/** cell_mount_cgroup() - a "cgroup"/"cgroup2" mount: the container's own cgroups only. */
int cell_mount_cgroup(int rootfd, const struct cell_mount *m, const struct cell_mount_opts *o,
		      int host_cgroupfs, bool cgroupns, struct cell_error *err);

/* ---- devices.c ---- */

#define CELL_N_DEFAULT_DEVICES 6

/* Host nodes a user namespace binds instead of mknod (opened before any mount). */
struct cell_host_devices {
	int defaults[CELL_N_DEFAULT_DEVICES];
	int *spec;	 /* per linux.devices[] entry */
	const int *made; /* per entry: a node mount cell_devices_prepare() made, or -1 */
};

/* What the spec mounts on /dev: the last mount there decides. */
enum cell_dev_kind {
	CELL_DEV_TMPFS,	    /* a tmpfs: cell fills it */
	CELL_DEV_HOST_BIND, /* a bind (the host's /dev): left as it is, as runc does */
	CELL_DEV_ROOTFS,    /* nothing, or another file system: the defaults made where missing */
};

int cell_host_devices_open(const struct cell_spec *spec, bool in_userns, enum cell_dev_kind dev,
			   const int *made, struct cell_host_devices *hd, struct cell_error *err);
void cell_host_devices_close(struct cell_host_devices *hd, size_t n_spec);
/**
 * cell_devices_prepare() - parent side, for a container in a user namespace:
 * each linux.devices[] node (fifos aside) made with the requested owner and
 * mode on a tmpfs mounted nowhere, *@made[i] a detached mount of it alone.
 * Where cell lacks the privilege, *@made stays NULL (the host's nodes are
 * bound) and @warn says once that owner and mode are the host's.
 */
int cell_devices_prepare(const struct cell_spec *spec, int **made, cell_warn_fn warn, void *ctx,
			 struct cell_error *err);
void cell_devices_prepared_free(int **made, size_t n);
/** cell_make_devices() - default devices and /dev links (unless /dev is bound), linux.devices. */
int cell_make_devices(int rootfd, const struct cell_spec *spec, enum cell_dev_kind dev,
		      const struct cell_host_devices *hd, struct cell_error *err);

#endif
