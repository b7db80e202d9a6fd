/*
 * cell — cgroups (internal): detection of v1 / v2 / hybrid hosts and one ops
 * table per mode. The file system root is a parameter so unit tests can point
 * it at a temporary directory that mimics a v1 or v2 tree.
 */
#ifndef CELL_CGROUP_H
#define CELL_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "cell/cell.h"

enum cell_cgroup_mode {
	CELL_CGROUP_V1,	    /* tmpfs at the root, one mount per controller */
	CELL_CGROUP_V2,	    /* cgroup2 at the root */
	CELL_CGROUP_HYBRID, /* v1 controllers plus cgroup2 at <root>/unified */
};

/* v1 controllers cell knows, in the order directories are made. */
enum cell_cgroup_controller {
	CELL_CG_CPU,
	CELL_CG_CPUACCT,
	CELL_CG_CPUSET,
	CELL_CG_MEMORY,
	CELL_CG_PIDS,
	CELL_CG_BLKIO,
	CELL_CG_COUNT
};

#define CELL_CGROUP_MAX_DIRS 32

struct cell_cgroup_ops;

struct cell_cgroup {
	enum cell_cgroup_mode mode;
	const struct cell_cgroup_ops *ops;
	bool rootless;		/* euid != 0: failures to create mean "not delegated" */
	unsigned controllers;	/* bit CELL_CG_*: v1 hierarchies this cgroup lives in */
	char *dirs[CELL_CG_COUNT]; /* v1: absolute directory per controller; v2: dirs[0] */
	char *created[CELL_CGROUP_MAX_DIRS]; /* directories cell made, in creation order */
	size_t n_created;
	int v2_fd;		/* v2: O_DIRECTORY fd of the cgroup (CLONE_INTO_CGROUP), else -1 */
};

struct cell_cgroup_params {
	const char *fs_root;	   /* "/sys/fs/cgroup" */
	const char *self_cgroup;   /* "/proc/self/cgroup": where relative paths start */
	const char *cgroups_path;  /* linux.cgroupsPath: absolute = from the hierarchy root,
				      relative = below the caller's own cgroup */
	bool rootless;
};

/**
 * cell_cgroup_detect() - tell v1, v2 or hybrid from statfs of @fs_root (and of
 * <fs_root>/unified), falling back to the presence of cgroup.controllers when
 * statfs does not say cgroup2 (the unit tests' trees live on plain file systems).
 */
int cell_cgroup_detect(const char *fs_root, enum cell_cgroup_mode *mode, struct cell_error *err);

/** cell_cgroup_init() - the empty state (nothing created, v2_fd -1); destroy on it is a no-op. */
void cell_cgroup_init(struct cell_cgroup *cg);

/**
 * cell_cgroup_create() - make the cgroup for @res (only the controllers it
 * needs; @res may be NULL) and write every limit. On failure nothing created
 * is left behind and @cg is back in the cell_cgroup_init() state.
 * @cg is initialised here; call cell_cgroup_destroy() when done.
 */
int cell_cgroup_create(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
		       const struct cell_resources *res, struct cell_error *err);

/** cell_cgroup_enter() - move @pid into the cgroup (cgroup.procs of each hierarchy). */
int cell_cgroup_enter(struct cell_cgroup *cg, pid_t pid, struct cell_error *err);

/** cell_cgroup_oom_killed() - did the OOM killer act in this cgroup (memory oom_kill count)? */
bool cell_cgroup_oom_killed(const struct cell_cgroup *cg);

/**
 * cell_cgroup_destroy() - remove every directory cell created, deepest first,
 * retrying briefly while the kernel still reports EBUSY. Frees @cg's memory.
 */
int cell_cgroup_destroy(struct cell_cgroup *cg, struct cell_error *err);

/** cell_cgroup_forget() - free @cg's memory but leave the cgroup (OCI create hands it on). */
void cell_cgroup_forget(struct cell_cgroup *cg);

/** cell_resources_any() - does @res ask for any limit at all? */
bool cell_resources_any(const struct cell_resources *res);

/** cell_cpu_shares_to_weight() - v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000). */
unsigned long cell_cpu_shares_to_weight(unsigned long shares);

/*
 * Test seam, nothing else: unit tests run on plain directories, where mkdir(2)
 * does not create the interface files cgroupfs would and rmdir(2) refuses a
 * directory that still holds them. The tests point these at replacements that
 * do both. Production code never changes them (defaults: mkdir, rmdir).
 */
extern int (*cell_cgroup_mkdir_hook)(const char *path, mode_t mode);
extern int (*cell_cgroup_rmdir_hook)(const char *path);

#endif
