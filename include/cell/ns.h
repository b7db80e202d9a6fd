/*
 * cell — the namespace API: what exists on the host (scan), joining the
 * namespaces of a running process (what `cell ns enter` and `cell exec` do),
 * and pinning namespaces to files with bind mounts.
 *
 * The kernel names every namespace by the inode of its nsfs file
 * (/proc/PID/ns/TYPE); that number is the "ns id" throughout.
 */
#ifndef CELL_NS_H
#define CELL_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell.h"

/* A set of namespace types: bit CELL_NS_MASK(t) for each enum cell_ns_type. */
#define CELL_NS_MASK(type) (1u << (type))
#define CELL_NS_ALL ((1u << CELL_NS_COUNT) - 1)

/* What keeps a namespace alive (struct cell_ns_entry.holders). */
enum {
	CELL_NS_HELD_PROCESS = 1 << 0, /* a process is in it */
	CELL_NS_HELD_FD = 1 << 1,      /* an open nsfs file descriptor in some process */
	CELL_NS_HELD_MOUNT = 1 << 2,   /* an nsfs bind mount (a pin) */
};

/* A process seen by the scan: its namespaces by type (0: not visible). */
struct cell_ns_proc {
	pid_t pid;
	uid_t uid; /* owner of /proc/PID */
	uint64_t ns[CELL_NS_COUNT];
	char comm[32]; /* /proc/PID/comm */
};

struct cell_ns_entry {
	enum cell_ns_type type;
	uint64_t ino;	 /* the namespace's id: its nsfs inode */
	unsigned nprocs; /* processes in it */
	pid_t pid;	 /* the lowest of them, 0 if none */
	uid_t pid_uid;	 /* owner of that process */
	char *command;	 /* its command line (or comm), NULL if none */
	uint64_t owner;	 /* the owning user namespace (user: the parent); 0 unknown */
	bool has_owner_uid;
	uid_t owner_uid;  /* NS_GET_OWNER_UID of the user namespace (itself, or its owner) */
	uint64_t parent;  /* pid and user: the parent namespace; 0 none or not visible */
	unsigned holders; /* CELL_NS_HELD_* */
	char **mounts;	  /* nsfs mount points (pins), NULL-terminated, may be NULL */
	char *path;	  /* a path that opens it: /proc/PID/ns/T, /proc/PID/fd/N or a pin */
};

struct cell_ns_list {
	struct cell_ns_entry *ns; /* sorted by id, then type */
	size_t n;
	struct cell_ns_proc *procs; /* sorted by pid */
	size_t n_procs;
};

struct cell_ns_scan_options {
	pid_t pid;	  /* only the namespaces of this process; 0: all */
	unsigned types;	  /* CELL_NS_MASK()s to list; 0: all */
	const char *proc; /* where procfs is; NULL: /proc */
};

/**
 * cell_ns_scan() - every namespace the caller can see: those of processes
 * (/proc/PID/ns), of open file descriptors (/proc/PID/fd) and of nsfs bind
 * mounts (/proc/self/mountinfo), each with the NS_GET_* facts the kernel
 * lets the caller read. @list is filled even with a filter (procs are all).
 */
int cell_ns_scan(const struct cell_ns_scan_options *opts, struct cell_ns_list *list,
		 struct cell_error *err);
void cell_ns_list_free(struct cell_ns_list *list);
/** cell_ns_list_find() - the entry of namespace @ino of @type, NULL if not listed. */
const struct cell_ns_entry *cell_ns_list_find(const struct cell_ns_list *list,
					      enum cell_ns_type type, uint64_t ino);

/** cell_ns_parse_link() - "net:[4026531840]" (an nsfs link or mount root) to type and id. */
int cell_ns_parse_link(const char *link, enum cell_ns_type *type, uint64_t *ino);
/** cell_ns_parse_types() - "net,uts" or "all" (OCI or /proc names) to a CELL_NS_MASK set. */
int cell_ns_parse_types(const char *list, unsigned *mask, struct cell_error *err);
/**
 * cell_ns_parse_mountinfo_line() - if @line of /proc/PID/mountinfo is an nsfs
 * mount, its unescaped mount point into @point, its type and id; 1 if so, 0 if not.
 */
int cell_ns_parse_mountinfo_line(const char *line, char *point, size_t size,
				 enum cell_ns_type *type, uint64_t *ino);

/**
 * cell_ns_open_path() - open @path and check that it is a namespace file of
 * @type (NS_GET_NSTYPE); @type < 0 accepts any and stores it in *@found.
 * Return: the fd, or -errno with @err naming @path.
 */
int cell_ns_open_path(const char *path, int type, enum cell_ns_type *found, struct cell_error *err);

/* The order of joining namespaces one at a time: user first, mnt last (ns.c says why). */
extern const enum cell_ns_type cell_ns_join_order[CELL_NS_COUNT];

/**
 * cell_ns_join() - move the calling process into the @types namespaces of
 * @target: one setns(pidfd, flags) where the kernel has it (5.8+), so all or
 * none are joined; else per type through /proc/PID/ns/TYPE, the user
 * namespace first. Namespaces the caller is in already are skipped (setns
 * refuses the own user namespace, and the others would change nothing).
 * Where setns(pidfd) and /proc/PID/ns are closed to the caller because
 * @target is a rootless container's non-dumpable init, they come through
 * its door (src/init/init_door.h), one at a time. Joining a pid namespace affects only children:
 * fork after it. The caller must be single-threaded. Before the first setns
 * the caller becomes non-dumpable (CVE-2019-5736): its /proc/PID/exe and
 * ptrace stay closed to the container until it execs.
 */
int cell_ns_join(pid_t target, unsigned types, struct cell_error *err);
/** cell_ns_same() - is the caller in the @type namespace of @target already? */
bool cell_ns_same(pid_t target, enum cell_ns_type type);
/** cell_ns_join_path() - setns into the @type namespace pinned at (or linked by) @path;
 * non-dumpable first, as cell_ns_join(). */
int cell_ns_join_path(enum cell_ns_type type, const char *path, struct cell_error *err);

/* The root and working directory of a process, opened before its mount namespace is joined. */
struct cell_ns_fs {
	int root_fd;
	int cwd_fd;
};

/**
 * cell_ns_fs_open() - open /proc/@target/root and cwd (O_PATH); where
 * those are closed to the caller (a rootless container's non-dumpable
 * init), take them from its door (src/init/init_door.h), as cell_ns_join()
 * takes its namespaces.
 */
int cell_ns_fs_open(pid_t target, struct cell_ns_fs *fs, struct cell_error *err);
/** cell_ns_root_open() - @target's root alone (O_PATH), as cell_ns_fs_open(); or -errno. */
int cell_ns_root_open(pid_t target, struct cell_error *err);
/**
 * cell_ns_fs_enter() - after joining the mount namespace: chroot to the
 * target's root, then chdir to @cwd (inside the root) or, if NULL, to the
 * target's working directory.
 */
int cell_ns_fs_enter(const struct cell_ns_fs *fs, const char *cwd, struct cell_error *err);
void cell_ns_fs_close(struct cell_ns_fs *fs);

/**
 * cell_ns_target_process() - the identity of @target as its own user
 * namespace sees it (uid, gid, read through /proc/PID/uid_map) and its
 * capability sets and no_new_privs, as a struct cell_process whose security
 * fields the engine can apply. *@setgroups_allowed tells whether setgroups(2)
 * works in its user namespace. Frees nothing in @proc: start from zero.
 */
int cell_ns_target_process(pid_t target, struct cell_process *proc, bool *setgroups_allowed,
			   struct cell_error *err);
/** cell_id_map_to_inside() - @outside through the text of a uid_map/gid_map; -ERANGE if unmapped. */
int cell_id_map_to_inside(const char *map_text, uint32_t outside, uint32_t *inside);

/**
 * cell_ns_pin() - keep the @type namespace of @pid alive by bind-mounting
 * /proc/@pid/ns/TYPE onto @path (created empty if missing), as `ip netns` does.
 */
int cell_ns_pin(pid_t pid, enum cell_ns_type type, const char *path, struct cell_error *err);
/** cell_ns_unpin() - unmount the pin at @path and remove the empty file under it. */
int cell_ns_unpin(const char *path, struct cell_error *err);

#endif
