/*
 * cell — cgroup v1 (Documentation/admin-guide/cgroup-v1/): one hierarchy per
 * controller, and hybrid hosts, where a cgroup2 file system at
 * <root>/unified holds the controllers no v1 hierarchy has.
 *
 * Hybrid hosts: a controller is bound to one hierarchy at a time (cgroups(7)),
 * so each one is used where the host has it: a v1 mount first, else the
 * unified hierarchy if its cgroup.controllers lists it. On this project's
 * test host hugetlb exists only in the unified hierarchy, so hugepageLimits go
 * to hugetlb.<size>.max there, and the container joins the unified cgroup as
 * well; with no such limit cell makes nothing in <root>/unified.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

/*
 * v1_copy_from_parent() - a new cpuset cgroup starts with empty cpuset.cpus
 * and cpuset.mems, and attaching a task to it fails with ENOSPC
 * (cgroup-v1/cpusets.rst, "How do I use cpusets?"); give it its parent's.
 * (cgroup.clone_children would do the same, but it is the parent's setting,
 * not ours to change.)
 */
static int v1_copy_from_parent(const char *dir, const char *file, struct cell_error *err)
{
	cleanup_free char *parent = strndup(dir, (size_t)(strrchr(dir, '/') - dir));
	char value[4096];
	int r;

	if (!parent)
		return cell_error_set(err, ENOMEM, "cgroup %s", dir);
	r = cgroup_read(parent, file, value, sizeof(value), err);
	if (r < 0)
		return r;
	value[strcspn(value, "\n")] = '\0';
	if (value[0] == '\0') /* nothing to copy; attaching will report it */
		return 0;
	return cgroup_write(dir, file, value, err);
}

static int v1_seed_cpuset(struct cgroup_walk *w, const char *dir, bool leaf, struct cell_error *err)
{
	int r = 0;

	if (!(w->controllers & CG_BIT(CELL_CG_CPUSET)))
		return 0;
	/* The leaf gets the user's value right after, in v1_apply_cpuset(). */
	if (!(leaf && w->res->cpuset_cpus))
		r = v1_copy_from_parent(dir, "cpuset.cpus", err);
	if (r == 0 && !(leaf && w->res->cpuset_mems))
		r = v1_copy_from_parent(dir, "cpuset.mems", err);
	return r;
}

/* in_unified() - hybrid: is @name in <fs_root>/unified/cgroup.controllers? */
static bool in_unified(const char *fs_root, const char *name)
{
	char dir[PATH_MAX], avail[1024];

	if (!name || cgroup_file_path(dir, sizeof(dir), fs_root, "unified", NULL) < 0 ||
	    cgroup_read(dir, "cgroup.controllers", avail, sizeof(avail), NULL) < 0)
		return false;
	return cgroup_has_word(avail, name, " \n");
}

/*
 * v1_find_roots() - the real root of each wanted hierarchy. Co-mounted
 * controllers ("cpu,cpuacct" with symlinks "cpu" and "cpuacct") resolve to
 * the same directory, which is then made once. On hybrid hosts a controller
 * no v1 hierarchy has may live in <root>/unified (bit in *@unified).
 */
/*
 * realpath(3) reads the link of every component of every hierarchy (24
 * readlinks for six controllers): the root is resolved once, and below it
 * only a hierarchy's own name is a link (cpu -> cpu,cpuacct).
 */
static char *hierarchy_root(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return NULL;
	return S_ISLNK(st.st_mode) ? realpath(path, NULL) : strdup(path);
}

/* v1_unmounted() - a limit needs controller @c, whose hierarchy (@path) is not there. */
static int v1_unmounted(const struct cgroup_request *req, int c, const char *path, int e,
			struct cell_error *err)
{
	char field[160];

	cgroup_limit_field(req->res, c, field, sizeof(field));
	return cell_error_set(err, e, "%s%scgroup controller %s is not mounted (%s)", field,
			      field[0] ? ": " : "", cgroup_controller_names[c].v1, path);
}

static int v1_find_roots(const struct cell_cgroup *cg, const struct cgroup_request *req,
			 char *roots[CELL_CG_COUNT], unsigned *unified, struct cell_error *err)
{
	cleanup_free char *fs_root =
		realpath(req->params->fs_root ? req->params->fs_root : CG_DEFAULT_ROOT, NULL);
	char path[PATH_MAX];
	int c, r;

	if (!fs_root)
		return cell_error_set(err, errno, "cgroup file system %s",
				      req->params->fs_root ? req->params->fs_root
							   : CG_DEFAULT_ROOT);
	for (c = 0; c < CELL_CG_COUNT; c++) {
		if (!((req->required | req->optional) & CG_BIT(c)))
			continue;
		r = cgroup_file_path(path, sizeof(path), fs_root, cgroup_controller_names[c].v1,
				     err);
		if (r < 0)
			return r;
		roots[c] = hierarchy_root(path);
		if (!roots[c] && errno == ENOENT && cg->mode == CELL_CGROUP_HYBRID &&
		    in_unified(fs_root, cgroup_controller_names[c].v2)) {
			r = cgroup_file_path(path, sizeof(path), fs_root, "unified", err);
			if (r < 0)
				return r;
			roots[c] = realpath(path, NULL);
			*unified |= CG_BIT(c);
		}
		if (!roots[c] && errno == ENOENT && !(req->required & CG_BIT(c)))
			continue;
		if (!roots[c])
			return v1_unmounted(req, c, path, errno, err);
	}
	return 0;
}

/* v1_create_hierarchy() - make the cgroup in the hierarchy of @c and of whatever shares it. */
static int v1_create_hierarchy(struct cell_cgroup *cg, const struct cgroup_request *req,
			       char *const roots[CELL_CG_COUNT], unsigned unified, int c,
			       struct cell_error *err)
{
	struct cgroup_walk w = { .cg = cg, .res = req->res, .after_mkdir = v1_seed_cpuset };
	cleanup_free char *rel = NULL;
	bool v2 = unified & CG_BIT(c);
	char *leaf = NULL;
	int other, r;

	for (other = c; other < CELL_CG_COUNT; other++)
		if (roots[other] && strcmp(roots[other], roots[c]) == 0)
			w.controllers |= CG_BIT(other);
	if (v2) { /* hybrid's cgroup2: enable on the way down, as on a v2 host */
		w.after_mkdir = NULL;
		w.before_child = cgroup_v2_enable_controllers;
		w.optional = w.controllers & req->optional;
	}
	r = cgroup_rel_path(req->params, v2 ? NULL : cgroup_controller_names[c].v1, &rel, err);
	if (r == 0)
		r = cgroup_walk_down(&w, roots[c], rel, &leaf, err);
	if (r < 0)
		return r;
	for (other = c; other < CELL_CG_COUNT; other++) {
		if (!(w.controllers & CG_BIT(other)))
			continue;
		cg->dirs[other] = other == c ? leaf : strdup(leaf);
		if (!cg->dirs[other])
			return cell_error_set(err, ENOMEM, "cgroup %s", leaf);
		cg->controllers |= CG_BIT(other);
		if (v2)
			cg->unified |= CG_BIT(other);
	}
	return 0;
}

static int cgroup_v1_create(struct cell_cgroup *cg, const struct cgroup_request *req,
			    struct cell_error *err)
{
	char *roots[CELL_CG_COUNT] = { NULL };
	unsigned unified = 0;
	int c, r;

	r = v1_find_roots(cg, req, roots, &unified, err);
	for (c = 0; r == 0 && c < CELL_CG_COUNT; c++)
		if (roots[c] && !cg->dirs[c])
			r = v1_create_hierarchy(cg, req, roots, unified, c, err);
	for (c = 0; c < CELL_CG_COUNT; c++)
		free(roots[c]);
	return r;
}

/* ---- limits ---- */

/*
 * v1_swap_first() - memory.limit_in_bytes may never exceed
 * memory.memsw.limit_in_bytes (memory.rst, "Swap Extension"): when an update
 * raises both past the current memsw limit, memsw must go first.
 */
static bool v1_swap_first(const char *dir, const struct cell_resources *res)
{
	uint64_t memsw;

	if (!res->has_memory_limit || res->memory_limit < 0)
		return res->has_memory_swap;
	if (res->memory_swap < 0)
		return true;
	return cgroup_read_u64(dir, "memory.memsw.limit_in_bytes", &memsw, NULL) == 0 &&
	       (uint64_t)res->memory_limit > memsw;
}

static int v1_apply_swap(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	if (!cgroup_has_file(dir, "memory.memsw.limit_in_bytes")) {
		if (res->memory_swap < 0) /* unlimited is what this kernel does anyway */
			return 0;
		return cell_error_set(err, ENOTSUP,
				      "%s/memory.memsw.limit_in_bytes: a swap limit needs swap "
				      "accounting, which this kernel does not have enabled "
				      "(swapaccount=1)",
				      dir);
	}
	return cgroup_write_limit(dir, "memory.memsw.limit_in_bytes", res->memory_swap, "-1", err);
}

static int v1_apply_memory_flags(const char *dir, const struct cell_resources *res,
				 struct cell_error *err)
{
	int r = 0;

	if (res->has_memory_reservation)
		r = cgroup_write_limit(dir, "memory.soft_limit_in_bytes", res->memory_reservation,
				       "-1", err);
	if (r == 0 && res->has_memory_kernel_tcp)
		r = cgroup_write_limit(dir, "memory.kmem.tcp.limit_in_bytes",
				       res->memory_kernel_tcp, "-1", err);
	if (r == 0 && res->has_memory_swappiness)
		r = cgroup_writef(dir, "memory.swappiness", err, "%" PRIu64,
				  res->memory_swappiness);
	/* memory.rst, "OOM Control": 1 stops the OOM killer, tasks wait under_oom. */
	if (r == 0 && res->has_disable_oom_killer)
		r = cgroup_write(dir, "memory.oom_control", res->disable_oom_killer ? "1" : "0",
				 err);
	/* Always 1 since Linux 5.16 (writing 0 fails there, which is the answer). */
	if (r == 0 && res->has_use_hierarchy)
		r = cgroup_write(dir, "memory.use_hierarchy", res->use_hierarchy ? "1" : "0", err);
	return r;
}

static int v1_apply_memory(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	bool swap_first = res->has_memory_swap && v1_swap_first(dir, res);
	int r = 0;

	if (swap_first)
		r = v1_apply_swap(dir, res, err);
	if (r == 0 && res->has_memory_limit)
		r = cgroup_write_limit(dir, "memory.limit_in_bytes", res->memory_limit, "-1", err);
	if (r == 0 && res->has_memory_swap && !swap_first)
		r = v1_apply_swap(dir, res, err);
	return r < 0 ? r : v1_apply_memory_flags(dir, res, err);
}

static int v1_apply_cpu(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	int r = 0;

	if (res->has_cpu_shares)
		r = cgroup_writef(dir, "cpu.shares", err, "%" PRIu64, res->cpu_shares);
	/*
	 * Period before quota: the kernel checks each write against the period
	 * in place (quota/period may not exceed the parent's, sched-bwc.rst), so
	 * a quota must meet the period it belongs to. Burst may not exceed the
	 * quota, so it comes last.
	 */
	if (r == 0 && res->has_cpu_period)
		r = cgroup_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, res->cpu_period);
	if (r == 0 && res->has_cpu_quota)
		r = cgroup_write_limit(dir, "cpu.cfs_quota_us", res->cpu_quota, "-1", err);
	if (r == 0 && res->has_cpu_burst)
		r = cgroup_writef(dir, "cpu.cfs_burst_us", err, "%" PRIu64, res->cpu_burst);
	/* sched-rt-group.rst: the period first, so the runtime fits in it. */
	if (r == 0 && res->has_cpu_realtime_period)
		r = cgroup_writef(dir, "cpu.rt_period_us", err, "%" PRIu64,
				  res->cpu_realtime_period);
	if (r == 0 && res->has_cpu_realtime_runtime)
		r = cgroup_write_limit(dir, "cpu.rt_runtime_us", res->cpu_realtime_runtime, "-1",
				       err);
	if (r == 0 && res->has_cpu_idle)
		r = cgroup_writef(dir, "cpu.idle", err, "%" PRId64, res->cpu_idle);
	return r;
}

static int v1_apply_cpuset(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r = 0;

	if (res->cpuset_cpus)
		r = cgroup_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r == 0 && res->cpuset_mems)
		r = cgroup_write(dir, "cpuset.mems", res->cpuset_mems, err);
	return r;
}

/*
 * pick_file() - the first of @a and @b that @dir has: weights moved files as
 * CFQ gave way to BFQ (blkio.weight went with CFQ in 5.0). NULL and an
 * error naming @field when neither exists.
 */
static const char *pick_file(const char *dir, const char *a, const char *b, const char *field,
			     struct cell_error *err)
{
	if (cgroup_has_file(dir, a))
		return a;
	if (b && cgroup_has_file(dir, b))
		return b;
	cell_error_set(err, ENOTSUP,
		       "linux.resources.blockIO.%s: not supported by this kernel's I/O scheduler "
		       "(no %s%s%s in %s)",
		       field, a, b ? " or " : "", b ? b : "", dir);
	return NULL;
}

/* v1_write_weight() - "W" (@d NULL) or "MAJ:MIN W" to the first of @a and @b that exists. */
static int v1_write_weight(const char *dir, const char *a, const char *b, const char *field,
			   const struct cell_device_weight *d, unsigned w, struct cell_error *err)
{
	const char *file = pick_file(dir, a, b, field, err);

	if (!file)
		return -ENOTSUP;
	if (!d)
		return cgroup_writef(dir, file, err, "%u", w);
	return cgroup_writef(dir, file, err, "%" PRIu32 ":%" PRIu32 " %u", d->major, d->minor, w);
}

static int v1_apply_weights(const char *dir, const struct cell_resources *res,
			    struct cell_error *err)
{
	size_t i;
	int r = 0;

	if (res->has_blkio_weight)
		r = v1_write_weight(dir, "blkio.weight", "blkio.bfq.weight", "weight", NULL,
				    res->blkio_weight, err);
	/* Leaf weights were CFQ's alone (blkio-controller.rst); BFQ has none. */
	if (r == 0 && res->has_blkio_leaf_weight)
		r = v1_write_weight(dir, "blkio.leaf_weight", NULL, "leafWeight", NULL,
				    res->blkio_leaf_weight, err);
	for (i = 0; r == 0 && i < res->n_weight_devices; i++) {
		const struct cell_device_weight *d = &res->weight_devices[i];

		if (d->has_weight)
			r = v1_write_weight(dir, "blkio.weight_device", "blkio.bfq.weight_device",
					    "weightDevice", d, d->weight, err);
		if (r == 0 && d->has_leaf_weight)
			r = v1_write_weight(dir, "blkio.leaf_weight_device", NULL,
					    "weightDevice[].leafWeight", d, d->leaf_weight, err);
	}
	return r;
}

static int v1_apply_blkio(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	int r = v1_apply_weights(dir, res, err);

	if (r == 0)
		r = cgroup_write_rates(dir, "blkio.throttle.read_bps_device", res->read_bps,
				       res->n_read_bps, NULL, err);
	if (r == 0)
		r = cgroup_write_rates(dir, "blkio.throttle.write_bps_device", res->write_bps,
				       res->n_write_bps, NULL, err);
	if (r == 0)
		r = cgroup_write_rates(dir, "blkio.throttle.read_iops_device", res->read_iops,
				       res->n_read_iops, NULL, err);
	if (r == 0)
		r = cgroup_write_rates(dir, "blkio.throttle.write_iops_device", res->write_iops,
				       res->n_write_iops, NULL, err);
	return r;
}

/* net_prio.ifpriomap takes "IFNAME PRIO" per write (cgroup-v1/net_prio.rst). */
static int v1_apply_net(const struct cell_cgroup *cg, const struct cell_resources *res,
			struct cell_error *err)
{
	size_t i;
	int r = 0;

	if (res->has_net_class_id && cg->dirs[CELL_CG_NET_CLS])
		r = cgroup_writef(cg->dirs[CELL_CG_NET_CLS], "net_cls.classid", err, "%" PRIu32,
				  res->net_class_id);
	for (i = 0; r == 0 && cg->dirs[CELL_CG_NET_PRIO] && i < res->n_net_priorities; i++)
		r = cgroup_writef(cg->dirs[CELL_CG_NET_PRIO], "net_prio.ifpriomap", err,
				  "%s %" PRIu32, res->net_priorities[i].name,
				  res->net_priorities[i].priority);
	return r;
}

/* Hybrid: linux.resources.unified goes to the unified cgroup of the key's controller. */
static int v1_apply_unified(const struct cell_cgroup *cg, const struct cell_resources *res,
			    struct cell_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < res->n_unified; i++) {
		int c = cgroup_unified_controller(res->unified[i].key);

		if (c < 0 || !(cg->unified & CG_BIT(c)))
			return cell_error_set(err, ENOTSUP,
					      "linux.resources.unified.\"%s\": the container has "
					      "no cgroup v2 directory for that controller",
					      res->unified[i].key);
		r = cgroup_v2_write_unified(cg->dirs[c], &res->unified[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cgroup_v1_apply(struct cell_cgroup *cg, const struct cell_resources *res, bool devices,
			   struct cell_error *err)
{
	const char *const *d = (const char *const *)cg->dirs;
	int r = 0;

	if (d[CELL_CG_MEMORY])
		r = v1_apply_memory(d[CELL_CG_MEMORY], res, err);
	if (r == 0 && d[CELL_CG_CPU])
		r = v1_apply_cpu(d[CELL_CG_CPU], res, err);
	if (r == 0 && d[CELL_CG_CPUSET])
		r = v1_apply_cpuset(d[CELL_CG_CPUSET], res, err);
	if (r == 0 && d[CELL_CG_PIDS] && res->has_pids_limit)
		r = cgroup_write_limit(d[CELL_CG_PIDS], "pids.max", res->pids_limit, "max", err);
	if (r == 0 && d[CELL_CG_BLKIO])
		r = v1_apply_blkio(d[CELL_CG_BLKIO], res, err);
	if (r == 0 && devices && d[CELL_CG_DEVICES])
		r = cgroup_v1_apply_devices(d[CELL_CG_DEVICES], res->devices, res->n_devices, err);
	if (r == 0 && d[CELL_CG_HUGETLB])
		r = cgroup_hugetlb_write(d[CELL_CG_HUGETLB], cg->unified & CG_BIT(CELL_CG_HUGETLB),
					 res, err);
	if (r == 0)
		r = v1_apply_net(cg, res, err);
	if (r == 0 && d[CELL_CG_RDMA])
		r = cgroup_rdma_write(d[CELL_CG_RDMA], res, err);
	if (r == 0)
		r = v1_apply_unified(cg, res, err);
	return r;
}

/* ---- membership, freezer, events ---- */

/* Is controller @c's directory one of its own, not an earlier one's (co-mounted)? */
static bool first_in_its_dir(const struct cell_cgroup *cg, int c)
{
	if (!cg->dirs[c])
		return false;
	for (int other = 0; other < c; other++)
		if (cg->dirs[other] && strcmp(cg->dirs[other], cg->dirs[c]) == 0)
			return false;
	return true;
}

static int cgroup_v1_enter(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err)
{
	int c, r;

	for (c = 0; c < CELL_CG_COUNT; c++) {
		if (!first_in_its_dir(cg, c))
			continue;
		r = cgroup_writef(cg->dirs[c], "cgroup.procs", err, "%d", (int)pid);
		/* cgroup-v1/cpusets.rst: no task may join an empty cpuset. */
		if (r == -ENOSPC && cg->controllers & CG_BIT(CELL_CG_CPUSET) &&
		    strcmp(cg->dirs[c], cg->dirs[CELL_CG_CPUSET]) == 0)
			return cell_error_prefix(err, "empty cpuset.cpus or cpuset.mems in %s",
						 cg->dirs[c]);
		if (r < 0)
			return r;
	}
	return 0;
}

int cell_cgroup_open_tasks(const struct cell_cgroup *cg, int *fds, const char **dirs, size_t max,
			   struct cell_error *err)
{
	char path[PATH_MAX];
	size_t n = 0;

	if (cg->mode == CELL_CGROUP_V2 || cg->unified)
		return cell_error_set(err, EOPNOTSUPP, "a cgroup with no tasks file to join");
	for (int c = 0; c < CELL_CG_COUNT; c++) {
		if (!first_in_its_dir(cg, c))
			continue;
		if (n == max ||
		    snprintf(path, sizeof(path), "%s/tasks", cg->dirs[c]) >= (int)sizeof(path)) {
			cell_error_set(err, n == max ? E2BIG : ENAMETOOLONG, "%s/tasks",
				       cg->dirs[c]);
			goto fail;
		}
		if ((fds[n] = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			cell_error_set(err, errno, "cannot open %s", path);
			goto fail;
		}
		dirs[n++] = cg->dirs[c];
	}
	return (int)n;
fail:
	while (n > 0)
		close(fds[--n]);
	return -err->errnum;
}

/* memory.oom_control: "oom_kill_disable N", "under_oom N", "oom_kill N" (4.13). */
static int cgroup_v1_oom_count(const struct cell_cgroup *cg, struct cell_cgroup_oom *oom,
			       struct cell_error *err)
{
	const char *dir = cg->dirs[CELL_CG_MEMORY];
	uint64_t under = 0;
	char buf[512];
	int r;

	if (!dir)
		return 0;
	r = cgroup_read(dir, "memory.oom_control", buf, sizeof(buf), err);
	if (r < 0)
		return r;
	cgroup_keyed_value(buf, "oom_kill", &oom->oom_kill);
	cgroup_keyed_value(buf, "under_oom", &under);
	oom->oom = oom->oom_kill;
	oom->under_oom = under != 0;
	return 0;
}

static const char *v1_freezer(const struct cell_cgroup *cg, struct cell_error *err)
{
	if (!cg->dirs[CELL_CG_FREEZER])
		cell_error_set(err, ENOTSUP,
			       "the container's cgroup has no freezer "
			       "(no v1 freezer hierarchy mounted at its creation)");
	return cg->dirs[CELL_CG_FREEZER];
}

/* cgroup-v1/freezer-subsystem.rst: FREEZING until every task is frozen. */
static int cgroup_v1_freeze(const struct cell_cgroup *cg, bool frozen, struct cell_error *err)
{
	const char *dir = v1_freezer(cg, err), *state = frozen ? "FROZEN" : "THAWED";
	int r;

	if (!dir)
		return -ENOTSUP;
	r = cgroup_write(dir, "freezer.state", state, err);
	if (r == 0)
		r = cgroup_wait_for(dir, "freezer.state", state, err);
	if (r == -ETIMEDOUT && frozen) /* a task would not stop: leave it running */
		cgroup_write(dir, "freezer.state", "THAWED", NULL);
	return r;
}

static int cgroup_v1_frozen(const struct cell_cgroup *cg, bool *frozen, struct cell_error *err)
{
	const char *dir = v1_freezer(cg, err);
	char buf[64];
	int r;

	if (!dir)
		return -ENOTSUP;
	r = cgroup_read(dir, "freezer.state", buf, sizeof(buf), err);
	if (r == 0)
		*frozen = strncmp(buf, "FROZEN", 6) == 0;
	return r;
}

static int cgroup_v1_memory_usage(const struct cell_cgroup *cg, bool memsw, uint64_t *usage,
				  struct cell_error *err)
{
	const char *dir = cg->dirs[CELL_CG_MEMORY];

	if (!dir)
		return cell_error_set(err, ENOTSUP,
				      "the container's cgroup has no memory controller");
	return cgroup_read_u64(dir, memsw ? "memory.memsw.usage_in_bytes" : "memory.usage_in_bytes",
			       usage, err);
}

const struct cell_cgroup_ops cgroup_v1_ops = {
	.create = cgroup_v1_create,
	.apply = cgroup_v1_apply,
	.enter = cgroup_v1_enter,
	.oom_count = cgroup_v1_oom_count,
	.freeze = cgroup_v1_freeze,
	.frozen = cgroup_v1_frozen,
	.memory_usage = cgroup_v1_memory_usage,
	.stats = cgroup_v1_stats,
};
