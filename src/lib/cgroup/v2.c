/*
 * cell — cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): one unified
 * hierarchy. Controllers are enabled top-down through cgroup.subtree_control;
 * device rules become an eBPF program (cgroup/devices.c); the freezer is
 * cgroup.freeze in every cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

#define CG_DEFAULT_CFS_PERIOD 100000 /* µs, the kernel's default (sched-bwc.rst) */

/* v2_enable_failed() - say why a write to cgroup.subtree_control of @dir failed. */
static int v2_enable_failed(const struct cell_cgroup *cg, const char *dir, const char *add, int r,
			    struct cell_error *err)
{
	if (r == -EBUSY)
		return cell_error_set(
			err, EBUSY,
			"cannot enable \"%s\" in %s/cgroup.subtree_control: that cgroup "
			"holds processes, and cgroup v2 gives controllers only to the "
			"children of a cgroup without any (cgroup-v2.rst, \"No Internal "
			"Process Constraint\")",
			add, dir);
	if (cg->rootless && (r == -EACCES || r == -EPERM || r == -EROFS))
		return cell_error_set(
			err, -r,
			"cannot enable \"%s\" in %s/cgroup.subtree_control: resource "
			"limits need a cgroup delegated to this user (see cell-run(1))",
			add, dir);
	return r;
}

/*
 * v2_unavailable() - a limit needs controller @c, which @dir cannot give its
 * children: refuse, naming the limit and the file that says so.
 */
static int v2_unavailable(const struct cgroup_walk *w, int c, const char *dir,
			  struct cell_error *err)
{
	char field[160];

	cgroup_limit_field(w->res, c, field, sizeof(field));
	return cell_error_set(err, ENOTSUP,
			      "%s%scgroup controller %s is not available in %s (not in its "
			      "cgroup.controllers)",
			      field, field[0] ? ": " : "", cgroup_controller_names[c].v2, dir);
}

/*
 * cgroup_v2_enable_controllers() - add to @dir's cgroup.subtree_control the wanted
 * controllers it lacks, in one write: a controller works in a cgroup only if
 * every ancestor enables it (cgroup-v2.rst, "Enabling and Disabling").
 */
int cgroup_v2_enable_controllers(struct cgroup_walk *w, const char *dir, struct cell_error *err)
{
	char avail[1024], enabled[1024], add[128] = "";
	int c, r;

	r = cgroup_read(dir, "cgroup.controllers", avail, sizeof(avail), err);
	if (r == 0)
		r = cgroup_read(dir, "cgroup.subtree_control", enabled, sizeof(enabled), err);
	for (c = 0; r == 0 && c < CELL_CG_COUNT; c++) {
		const char *name = cgroup_controller_names[c].v2;

		if (!(w->controllers & CG_BIT(c)))
			continue;
		if (!cgroup_has_word(avail, name, " \n")) {
			if (w->optional & CG_BIT(c)) {
				w->controllers &= ~CG_BIT(c);
				continue;
			}
			return v2_unavailable(w, c, dir, err);
		}
		if (!cgroup_has_word(enabled, name, " \n"))
			snprintf(add + strlen(add), sizeof(add) - strlen(add), "%s+%s",
				 add[0] ? " " : "", name);
	}
	if (r < 0 || add[0] == '\0')
		return r;
	r = cgroup_write(dir, "cgroup.subtree_control", add, err);
	return r < 0 ? v2_enable_failed(w->cg, dir, add, r, err) : 0;
}

int cgroup_v2_join_missing(struct cell_cgroup *cg, const char *fs_root, unsigned controllers,
			   const struct cell_resources *res, struct cell_error *err)
{
	struct cgroup_walk w = { .cg = cg, .res = res };
	cleanup_free char *dir = strdup(cg->dirs[0]);
	size_t root_len = strlen(fs_root);
	int c, r = 0;

	for (c = 0; c < CELL_CG_COUNT; c++)
		if ((controllers & CG_BIT(c)) && cgroup_controller_names[c].v2)
			w.controllers |= CG_BIT(c);
	if (!dir)
		return cell_error_set(err, ENOMEM, "cgroup %s", cg->dirs[0]);
	if (!w.controllers)
		return 0;
	while (root_len > 1 && fs_root[root_len - 1] == '/')
		root_len--;
	if (strncmp(dir, fs_root, root_len) != 0 || dir[root_len] != '/')
		return cell_error_set(err, EINVAL, "cgroup %s is not below %s", dir, fs_root);
	/* the root, then each directory down to the parent, as at creation: a
	 * controller reaches a cgroup only through all of them */
	for (char *end = dir + root_len; r == 0 && end; end = strchr(end + 1, '/')) {
		*end = '\0';
		r = cgroup_v2_enable_controllers(&w, dir, err);
		*end = '/';
	}
	if (r == 0)
		cg->controllers |= w.controllers;
	return r;
}

static int cgroup_v2_create(struct cell_cgroup *cg, const struct cgroup_request *req,
			    struct cell_error *err)
{
	struct cgroup_walk w = { .cg = cg,
				 .res = req->res,
				 .optional = req->optional,
				 .before_child = cgroup_v2_enable_controllers };
	const char *fs_root = req->params->fs_root ? req->params->fs_root : CG_DEFAULT_ROOT;
	cleanup_free char *rel = NULL;
	int c, r;

	for (c = 0; c < CELL_CG_COUNT; c++)
		if (((req->required | req->optional) & CG_BIT(c)) && cgroup_controller_names[c].v2)
			w.controllers |= CG_BIT(c);
	r = cgroup_rel_path(req->params, NULL, &rel, err);
	if (r == 0)
		r = cgroup_walk_down(&w, fs_root, rel, &cg->dirs[0], err);
	if (r < 0)
		return r;
	cg->controllers = w.controllers;
	/* For clone3(CLONE_INTO_CGROUP): the child starts life inside. */
	cg->v2_fd = open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->v2_fd < 0)
		return cell_error_set(err, errno, "cannot open cgroup %s", cg->dirs[0]);
	return 0;
}

/* ---- limits ---- */

/* v2 limits swap alone (cgroup-v2.rst, "memory.swap.max"); validation vetted memory+swap. */
static int v2_apply_memory(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r = 0;

	if (res->has_memory_limit)
		r = cgroup_write_limit(dir, "memory.max", res->memory_limit, "max", err);
	if (r == 0 && res->has_memory_swap)
		r = res->memory_swap < 0 ? cgroup_write(dir, "memory.swap.max", "max", err)
					 : cgroup_writef(dir, "memory.swap.max", err, "%" PRId64,
							 res->memory_swap - res->memory_limit);
	/* The soft limit of v1 is best-effort protection on v2, as runc maps it. */
	if (r == 0 && res->has_memory_reservation)
		r = cgroup_write_limit(dir, "memory.low", res->memory_reservation, "max", err);
	return r;
}

/*
 * v2_cpu_period() - the period cpu.max is to hold: the one given, else (an
 * update of the quota alone) the one in place, else the kernel's default.
 */
static uint64_t v2_cpu_period(const char *dir, const struct cell_resources *res)
{
	char buf[64], *sp;

	if (res->has_cpu_period)
		return res->cpu_period;
	if (cgroup_read(dir, "cpu.max", buf, sizeof(buf), NULL) == 0 && (sp = strchr(buf, ' ')))
		return strtoull(sp + 1, NULL, 10) ?: CG_DEFAULT_CFS_PERIOD;
	return CG_DEFAULT_CFS_PERIOD;
}

/* v2_write_cpu_max() - quota and period; an update of the period alone keeps the quota. */
static int v2_write_cpu_max(const char *dir, const struct cell_resources *res,
			    struct cell_error *err)
{
	uint64_t period = v2_cpu_period(dir, res);
	char buf[64] = "max";

	if (res->has_cpu_quota && res->cpu_quota >= 0)
		snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_quota);
	else if (!res->has_cpu_quota && cgroup_read(dir, "cpu.max", buf, sizeof(buf), NULL) == 0)
		buf[strcspn(buf, " \n")] = '\0';
	return cgroup_writef(dir, "cpu.max", err, "%s %" PRIu64, buf, period);
}

static int v2_apply_cpu(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	int r = 0;

	if (res->has_cpu_shares)
		r = cgroup_writef(dir, "cpu.weight", err, "%lu",
				  cell_cpu_shares_to_weight((unsigned long)res->cpu_shares));
	/* cpu.max holds both, so v1's ordering problem does not arise. */
	if (r == 0 && (res->has_cpu_quota || res->has_cpu_period))
		r = v2_write_cpu_max(dir, res, err);
	if (r == 0 && res->has_cpu_burst)
		r = cgroup_writef(dir, "cpu.max.burst", err, "%" PRIu64, res->cpu_burst);
	if (r == 0 && res->has_cpu_idle)
		r = cgroup_writef(dir, "cpu.idle", err, "%" PRId64, res->cpu_idle);
	return r;
}

/* blkio.weight 10..1000 to io.weight 1..10000, as crun maps it. */
static unsigned long blkio_weight_to_io_weight(unsigned long weight)
{
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}

/*
 * v2_write_io_weight() - io.weight (blk-iocost, 1..10000) takes "default N"
 * or "MAJ:MIN N"; io.bfq.weight keeps BFQ's own range 1..1000, which blkio
 * weights already fit. @device NULL: the default weight.
 */
static int v2_write_io_weight(const char *dir, const struct cell_device_weight *device,
			      unsigned weight, struct cell_error *err)
{
	char who[32] = "default";

	if (device)
		snprintf(who, sizeof(who), "%" PRIu32 ":%" PRIu32, device->major, device->minor);
	/* BFQ before Linux 5.4 takes a bare default weight only. */
	if (cgroup_has_file(dir, "io.bfq.weight") && !device)
		return cgroup_writef(dir, "io.bfq.weight", err, "%u", weight);
	if (cgroup_has_file(dir, "io.bfq.weight"))
		return cgroup_writef(dir, "io.bfq.weight", err, "%s %u", who, weight);
	if (cgroup_has_file(dir, "io.weight"))
		return cgroup_writef(dir, "io.weight", err, "%s %lu", who,
				     blkio_weight_to_io_weight(weight));
	return cell_error_set(
		err, ENOTSUP,
		"linux.resources.blockIO.weight%s: not supported by this kernel's I/O "
		"scheduler (no io.weight or io.bfq.weight in %s)",
		device ? "Device" : "", dir);
}

static int v2_apply_io(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	size_t i;
	int r = 0;

	if (res->has_blkio_weight)
		r = v2_write_io_weight(dir, NULL, res->blkio_weight, err);
	for (i = 0; r == 0 && i < res->n_weight_devices; i++)
		if (res->weight_devices[i].has_weight)
			r = v2_write_io_weight(dir, &res->weight_devices[i],
					       res->weight_devices[i].weight, err);
	if (r == 0)
		r = cgroup_write_rates(dir, "io.max", res->read_bps, res->n_read_bps, "rbps", err);
	if (r == 0)
		r = cgroup_write_rates(dir, "io.max", res->write_bps, res->n_write_bps, "wbps",
				       err);
	if (r == 0)
		r = cgroup_write_rates(dir, "io.max", res->read_iops, res->n_read_iops, "riops",
				       err);
	if (r == 0)
		r = cgroup_write_rates(dir, "io.max", res->write_iops, res->n_write_iops, "wiops",
				       err);
	return r;
}

int cgroup_v2_write_unified(const char *dir, const struct cell_kv *kv, struct cell_error *err)
{
	int r = cgroup_write(dir, kv->key, kv->value, err);

	if (r < 0)
		return cell_error_prefix(err, "linux.resources.unified.\"%s\"", kv->key);
	return 0;
}

/*
 * v2_apply_devices() - replace the device program: attach the new one before
 * detaching the old, so the container is never without rules in between.
 */
static int v2_apply_devices(struct cell_cgroup *cg, const struct cell_resources *res,
			    struct cell_error *err)
{
	int old = cg->bpf_prog_fd, r;

	cg->bpf_prog_fd = -1;
	r = cgroup_devices_attach(cg->v2_fd, cg->dirs[0], res->devices, res->n_devices,
				  &cg->bpf_prog_fd, err);
	if (r < 0) {
		cg->bpf_prog_fd = old;
		return r;
	}
	if (old >= 0)
		cgroup_devices_detach(cg->v2_fd, &old, NULL);
	return 0;
}

static int cgroup_v2_apply(struct cell_cgroup *cg, const struct cell_resources *res, bool devices,
			   struct cell_error *err)
{
	const char *dir = cg->dirs[0];
	size_t i;
	int r;

	r = v2_apply_memory(dir, res, err);
	if (r == 0)
		r = v2_apply_cpu(dir, res, err);
	if (r == 0 && res->cpuset_cpus)
		r = cgroup_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r == 0 && res->cpuset_mems)
		r = cgroup_write(dir, "cpuset.mems", res->cpuset_mems, err);
	if (r == 0 && res->has_pids_limit)
		r = cgroup_write_limit(dir, "pids.max", res->pids_limit, "max", err);
	if (r == 0)
		r = v2_apply_io(dir, res, err);
	if (r == 0 && res->n_hugepage_limits)
		r = cgroup_hugetlb_write(dir, true, res, err);
	if (r == 0 && res->n_rdma)
		r = cgroup_rdma_write(dir, res, err);
	/* After the typed fields, so a unified key overrides them (as runc). */
	for (i = 0; r == 0 && i < res->n_unified; i++)
		r = cgroup_v2_write_unified(dir, &res->unified[i], err);
	if (r == 0 && devices && res->n_devices)
		r = v2_apply_devices(cg, res, err);
	return r;
}

/* ---- membership, freezer, events ---- */

static int cgroup_v2_enter(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err)
{
	return cgroup_writef(cg->dirs[0], "cgroup.procs", err, "%d", (int)pid);
}

/* memory.events counts for the cgroup and its descendants (cgroup-v2.rst). */
static int cgroup_v2_oom_count(const struct cell_cgroup *cg, struct cell_cgroup_oom *oom,
			       struct cell_error *err)
{
	char buf[512];
	int r;

	if (!(cg->controllers & CG_BIT(CELL_CG_MEMORY)))
		return 0;
	r = cgroup_read(cg->dirs[0], "memory.events", buf, sizeof(buf), err);
	if (r < 0)
		return r;
	cgroup_keyed_value(buf, "oom", &oom->oom);
	cgroup_keyed_value(buf, "oom_kill", &oom->oom_kill);
	return 0;
}

/* cgroup-v2.rst, "cgroup.freeze": done when cgroup.events says "frozen 1" (Linux 5.2). */
static int cgroup_v2_freeze(const struct cell_cgroup *cg, bool frozen, struct cell_error *err)
{
	int r = cgroup_write(cg->dirs[0], "cgroup.freeze", frozen ? "1" : "0", err);

	if (r == 0)
		r = cgroup_wait_for(cg->dirs[0], "cgroup.events", frozen ? "frozen 1" : "frozen 0",
				    err);
	if (r == -ETIMEDOUT && frozen)
		cgroup_write(cg->dirs[0], "cgroup.freeze", "0", NULL);
	return r;
}

static int cgroup_v2_frozen(const struct cell_cgroup *cg, bool *frozen, struct cell_error *err)
{
	char buf[512];
	uint64_t v = 0;
	int r = cgroup_read(cg->dirs[0], "cgroup.events", buf, sizeof(buf), err);

	if (r == 0)
		*frozen = cgroup_keyed_value(buf, "frozen", &v) && v == 1;
	return r;
}

static int cgroup_v2_memory_usage(const struct cell_cgroup *cg, bool memsw, uint64_t *usage,
				  struct cell_error *err)
{
	uint64_t swap = 0;
	int r;

	if (!(cg->controllers & CG_BIT(CELL_CG_MEMORY)))
		return cell_error_set(err, ENOTSUP,
				      "the container's cgroup has no memory controller");
	r = cgroup_read_u64(cg->dirs[0], "memory.current", usage, err);
	if (r == 0 && memsw)
		r = cgroup_read_u64(cg->dirs[0], "memory.swap.current", &swap, err);
	*usage += swap;
	return r;
}

const struct cell_cgroup_ops cgroup_v2_ops = {
	.create = cgroup_v2_create,
	.apply = cgroup_v2_apply,
	.enter = cgroup_v2_enter,
	.oom_count = cgroup_v2_oom_count,
	.freeze = cgroup_v2_freeze,
	.frozen = cgroup_v2_frozen,
	.memory_usage = cgroup_v2_memory_usage,
	.stats = cgroup_v2_stats,
};
