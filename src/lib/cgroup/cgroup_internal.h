/*
 * cell — what the files of src/lib/cgroup/ share (internal to them): the ops
 * table each mode fills, file helpers, and the descent that makes directories.
 *
 * detect.c    detection (v1 / v2 / hybrid), where this process's cgroup is,
 *             hence where a new one goes
 * fs.c        reading and writing cgroup files, walking a tree, making the
 *             directories down to a new cgroup (a leaf: uses only base/)
 * cgroup.c    the lifecycle API (create, enter, update, destroy, save, open)
 * v1.c        v1 hierarchies (and hybrid hosts: v1 plus <root>/unified)
 * v2.c        the unified hierarchy
 * devices.c   device rules: v1 devices.allow/deny, v2 eBPF program
 * procs.c     processes: moving, listing, killing
 * resources.c what linux.resources needs
 * stats.c     statistics for `events --stats`
 */
#ifndef CELL_CGROUP_INTERNAL_H
#define CELL_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

#define CG_BIT(c) (1u << (c))
#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_DEFAULT_SELF "/proc/self/cgroup"
#define CG_DEFAULT_HUGEPAGES "/sys/kernel/mm/hugepages"

struct cgroup_controller_name {
	const char *v1; /* hierarchy directory below a v1 root */
	const char *v2; /* cgroup2 controller; NULL when v2 has none */
};
extern const struct cgroup_controller_name cgroup_controller_names[CELL_CG_COUNT];

/* What cell_cgroup_create() was asked for, handed to the mode's create. */
struct cgroup_request {
	const struct cell_cgroup_params *params;
	const struct cell_resources *res;
	unsigned required; /* controllers a limit needs: fail without them */
	unsigned optional; /* joined when the host has them, to track and account */
	bool devices;	   /* apply device rules (not rootless) */
};

struct cell_cgroup_ops {
	int (*create)(struct cell_cgroup *cg, const struct cgroup_request *req,
		      struct cell_error *err);
	/* write what @res sets; @devices: the device rules too */
	int (*apply)(struct cell_cgroup *cg, const struct cell_resources *res, bool devices,
		     struct cell_error *err);
	int (*enter)(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err);
	int (*oom_count)(const struct cell_cgroup *cg, struct cell_cgroup_oom *oom,
			 struct cell_error *err);
	/* the freezer: start (@frozen or not) and ask whether it has settled */
	int (*freeze)(const struct cell_cgroup *cg, bool frozen, struct cell_error *err);
	int (*frozen)(const struct cell_cgroup *cg, bool *frozen, struct cell_error *err);
	/* memory (+swap when @memsw) in use, for checkBeforeUpdate */
	int (*memory_usage)(const struct cell_cgroup *cg, bool memsw, uint64_t *usage,
			    struct cell_error *err);
	int (*stats)(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		     struct cell_error *err);
};

extern const struct cell_cgroup_ops cgroup_v1_ops;
extern const struct cell_cgroup_ops cgroup_v2_ops;

/* ---- files (fs.c) ---- */

int cgroup_file_path(char *buf, size_t size, const char *dir, const char *file,
		     struct cell_error *err);
/* cgroup_write() - @value to @dir/@file in one write(2); never creates the file. */
int cgroup_write(const char *dir, const char *file, const char *value, struct cell_error *err);
int cgroup_writef(const char *dir, const char *file, struct cell_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* cgroup_write_limit() - @v, or @unlimited ("max" on v2 and for pids, "-1" elsewhere on v1). */
int cgroup_write_limit(const char *dir, const char *file, int64_t v, const char *unlimited,
		       struct cell_error *err);
/* cgroup_read() - @dir/@file into @buf, NUL-terminated. */
int cgroup_read(const char *dir, const char *file, char *buf, size_t size, struct cell_error *err);
/*
 * cgroup_read_opt() - cgroup_read(), but a file the kernel does not have
 * (ENOENT: an older kernel, a controller the cgroup lacks) and a NULL @dir
 * read as 0 and an empty @buf; no access(2) first, one open fewer on paths
 * that poll.
 */
int cgroup_read_opt(const char *dir, const char *file, char *buf, size_t size,
		    struct cell_error *err);
/* cgroup_parse_u64() - @buf as @dir/@file's one number ("max": UINT64_MAX). */
int cgroup_parse_u64(const char *dir, const char *file, const char *buf, uint64_t *out,
		     struct cell_error *err);
/* cgroup_read_u64() - a file holding one number ("max" reads as UINT64_MAX). */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct cell_error *err);
bool cgroup_has_file(const char *dir, const char *file);
/* cgroup_has_word() - is @word one of the words of @list (separated by @seps)? */
bool cgroup_has_word(const char *list, const char *word, const char *seps);
/* cgroup_keyed_value() - N of the line "@key N" of a flat keyed file (cgroup-v2.rst). */
bool cgroup_keyed_value(const char *buf, const char *key, uint64_t *out);
/*
 * cgroup_for_each_below() - @fn on each cgroup below @dir, parents first, or
 * children first when @post_order; the first error stops the walk.
 */
int cgroup_for_each_below(const char *dir, bool post_order, int (*fn)(const char *path, void *ctx),
			  void *ctx, int depth, struct cell_error *err);
/* cgroup_wait_for() - poll @dir/@file every ms until its content holds @want (~5 s). */
int cgroup_wait_for(const char *dir, const char *file, const char *want, struct cell_error *err);
/* cgroup_write_rates() - one "MAJ:MIN RATE" (@key NULL) or "MAJ:MIN key=RATE" per write. */
int cgroup_write_rates(const char *dir, const char *file, const struct cell_device_rate *rates,
		       size_t n, const char *key, struct cell_error *err);
/* cgroup_hugetlb_write() - hugepageLimits; @unified: cgroup2 file names (hugetlb.<size>.max). */
int cgroup_hugetlb_write(const char *dir, bool unified, const struct cell_resources *res,
			 struct cell_error *err);
/* cgroup_unified_controller() - the controller a linux.resources.unified key belongs to, or -1. */
int cgroup_unified_controller(const char *key);
/*
 * cgroup_hugetlb_name() - @page_size ("2MB", "2048kB", "1G") as the kernel
 * names it in hugetlb.<size>.* files ("2MB"), and in KiB; -EINVAL if unparsable.
 */
int cgroup_hugetlb_name(const char *page_size, char *name, size_t size, uint64_t *kib);

/* ---- what linux.resources needs (cgroup/resources.c) ---- */

/* cgroup_controllers_for() - bits CELL_CG_* the limits of @res need; device rules if @devices. */
unsigned cgroup_controllers_for(const struct cell_resources *res, bool devices);
/* cgroup_limit_field() - "linux.resources.FIELD" that needs controller @c in @res, or "". */
void cgroup_limit_field(const struct cell_resources *res, int c, char *buf, size_t size);
/* cgroup_validate_for_mode() - cell_cgroup_validate() once the mode is known. */
int cgroup_validate_for_mode(const struct cell_cgroup_params *params, enum cell_cgroup_mode mode,
			     const struct cell_resources *res, struct cell_error *err);

/* ---- where the cgroup goes (detect.c), making directories (fs.c) ---- */

/* One descent from a hierarchy root to the leaf, with the mode's hooks. */
struct cgroup_walk {
	struct cell_cgroup *cg;
	const struct cell_resources *res;
	unsigned controllers; /* of this hierarchy (v1) / to enable on the way (v2) */
	unsigned optional;    /* v2: may drop out of @controllers where unavailable */
	/* before a child of @dir is made (v2: enable the controllers) */
	int (*before_child)(struct cgroup_walk *w, const char *dir, struct cell_error *err);
	/* after cell made @dir (v1: seed the cpuset) */
	int (*after_mkdir)(struct cgroup_walk *w, const char *dir, bool leaf,
			   struct cell_error *err);
};

/*
 * cgroup_check_components() - does @path stay inside its hierarchy (no "." or
 * "..", at least one component unless @may_be_root)?
 */
bool cgroup_check_components(const char *path, bool may_be_root);
/* cgroup_rel_path() - the cgroup's path below a hierarchy root (@controller NULL: v2). */
int cgroup_rel_path(const struct cell_cgroup_params *params, const char *controller, char **out,
		    struct cell_error *err);
/* cgroup_walk_down() - make the missing directories of @rel below @root; *@leaf_out: the last. */
int cgroup_walk_down(struct cgroup_walk *w, const char *root, const char *rel, char **leaf_out,
		     struct cell_error *err);
/* cgroup_v2_enable_controllers() - a walk's before_child on cgroup2 (v2, and hybrid's unified). */
int cgroup_v2_enable_controllers(struct cgroup_walk *w, const char *dir, struct cell_error *err);
/*
 * cgroup_v2_join_missing() - give the existing cgroup cg->dirs[0] the v2
 * @controllers too: add them to cgroup.subtree_control from @fs_root down to
 * its parent, as creation does. A controller the host lacks is -ENOTSUP,
 * naming the field of @res that needs it.
 */
int cgroup_v2_join_missing(struct cell_cgroup *cg, const char *fs_root, unsigned controllers,
			   const struct cell_resources *res, struct cell_error *err);
/* cgroup_v2_apply_unified() - write linux.resources.unified[] key by key into @dir. */
int cgroup_v2_write_unified(const char *dir, const struct cell_kv *kv, struct cell_error *err);
/* cgroup_rdma_write() - rdma.max, the same file in v1 and v2. */
int cgroup_rdma_write(const char *dir, const struct cell_resources *res, struct cell_error *err);

/* ---- processes (cgroup/procs.c) ---- */

/*
 * cgroup_move_procs() - every process of the container (its sub-cgroups
 * too) into its directories of @controllers, with the container frozen
 * meanwhile when it has a freezer (and left as it was).
 */
int cgroup_move_procs(struct cell_cgroup *cg, unsigned controllers, struct cell_error *err);

/* ---- devices (cgroup/devices.c) ---- */

/* cgroup_v1_apply_devices() - the rules, in order, into devices.allow / devices.deny. */
int cgroup_v1_apply_devices(const char *dir, const struct cell_device_rule *rules, size_t n,
			    struct cell_error *err);

struct bpf_insn;
/*
 * cgroup_devices_program() - the BPF_PROG_TYPE_CGROUP_DEVICE program for the
 * rules: the last matching rule decides, and no match allows (as a new v1
 * cgroup below an allow-all root). *@insns is malloc'd.
 */
int cgroup_devices_program(const struct cell_device_rule *rules, size_t n, struct bpf_insn **insns,
			   size_t *n_insns, struct cell_error *err);
/* cgroup_devices_attach() - load the program and attach it to @cgroup_fd; *@prog_fd keeps it. */
int cgroup_devices_attach(int cgroup_fd, const char *dir, const struct cell_device_rule *rules,
			  size_t n, int *prog_fd, struct cell_error *err);
/* cgroup_devices_detach() - undo cgroup_devices_attach(); closes *@prog_fd. */
int cgroup_devices_detach(int cgroup_fd, int *prog_fd, struct cell_error *err);

/* ---- stats (cgroup/stats.c) ---- */

int cgroup_v1_stats(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		    struct cell_error *err);
int cgroup_v2_stats(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		    struct cell_error *err);

#endif
