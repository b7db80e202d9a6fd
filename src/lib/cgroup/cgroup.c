/*
 * cell — cgroups: detection, creation, limits, membership and teardown.
 *
 * One ops table per mode, as crun's libcrun_cgroup_manager: v1 (one hierarchy
 * per controller, Documentation/admin-guide/cgroup-v1/) and v2 (one unified
 * hierarchy, Documentation/admin-guide/cgroup-v2.rst). Hybrid hosts use the
 * v1 table: their controllers are all in v1 hierarchies, and cell puts
 * nothing in <root>/unified.
 *
 * Ownership: cell writes limits into, and removes, only directories it made
 * itself (cg->created). The one write outside them is unavoidable on v2: a
 * controller works in a cgroup only once every ancestor lists it in
 * cgroup.subtree_control (cgroup-v2.rst, "Enabling and Disabling"), so cell
 * adds the missing ones there, and nothing else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

#define CG_RMDIR_BUSY_RETRIES 100

/* ---- lifetime ---- */

void cell_cgroup_init(struct cell_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
	cg->bpf_prog_fd = -1;
}

/*
 * cgroup_rmdir() - remove @path. EBUSY means the kernel has not yet let go
 * of the last task (an exiting one is still charged to it), so wait a little.
 */
static int cgroup_rmdir(const char *path, struct cell_error *err)
{
	const struct timespec one_ms = { .tv_nsec = 1000000 };
	int tries;

	for (tries = 0;; tries++) {
		if (cell_cgroup_rmdir_hook(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries == CG_RMDIR_BUSY_RETRIES)
			break;
		nanosleep(&one_ms, NULL);
	}
	return cell_error_set(err, errno, "cannot remove cgroup %s", path);
}

static int rmdir_one(const char *path, void *err)
{
	return cgroup_rmdir(path, err);
}

/*
 * cgroup_rmdir_tree() - @path and the cgroups below it, deepest first: a
 * container may make cgroups of its own (a nested runtime, systemd), and
 * rmdir(2) of a cgroup with children fails with EBUSY. They are below one
 * cell made, so they are the container's. Most have none: rmdir first, and
 * list the directory only when that fails (a judged box's cgroups go on
 * every run, and listing one costs five system calls).
 */
static int cgroup_rmdir_tree(const char *path, struct cell_error *err)
{
	int r;

	if (cell_cgroup_rmdir_hook(path) == 0 || errno == ENOENT)
		return 0;
	r = cgroup_for_each_below(path, true, rmdir_one, err, 0, err);

	return r < 0 ? r : cgroup_rmdir(path, err);
}

/*
 * cgroup_release() - remove what cell made, deepest first (the reverse of
 * creation order), free everything, and go back to the init state. The fds
 * are trusted only once ops is set, so a memset-zeroed @cg never closes fd 0.
 * The device program needs no detaching: removing the cgroup releases every
 * program attached to it (kernel/bpf/cgroup.c, cgroup_bpf_release()).
 */
static int cgroup_release(struct cell_cgroup *cg, struct cell_error *err)
{
	int c, r, ret = 0;

	while (cg->n_created > 0) {
		char *dir = cg->created[--cg->n_created];

		r = cgroup_rmdir_tree(dir, ret < 0 ? NULL : err);
		if (r < 0 && ret == 0)
			ret = r;
		free(dir);
	}
	for (c = 0; c < CELL_CG_COUNT; c++)
		free(cg->dirs[c]);
	if (cg->ops) {
		safe_close(cg->bpf_prog_fd);
		safe_close(cg->v2_fd);
	}
	free(cg->fs_root);
	free(cg->hugepages_dir);
	cell_cgroup_init(cg);
	return ret;
}

/* cgroup_setup() - what create and open share: mode, ops, the params kept for update. */
static int cgroup_setup(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
			struct cell_error *err)
{
	const char *fs_root = params->fs_root ? params->fs_root : CG_DEFAULT_ROOT;
	int r;

	cell_cgroup_init(cg);
	if (params->mode_known)
		cg->mode = params->mode;
	else if ((r = cell_cgroup_detect(fs_root, &cg->mode, err)) < 0)
		return r;
	cg->fs_root = strdup(fs_root);
	if (params->hugepages_dir)
		cg->hugepages_dir = strdup(params->hugepages_dir);
	if (!cg->fs_root || (params->hugepages_dir && !cg->hugepages_dir)) {
		cgroup_release(cg, NULL);
		return cell_error_set(err, ENOMEM, "cgroup %s", fs_root);
	}
	cg->rootless = params->rootless;
	cg->ops = cg->mode == CELL_CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	return 0;
}

static struct cell_cgroup_params kept_params(const struct cell_cgroup *cg)
{
	return (struct cell_cgroup_params){ .fs_root = cg->fs_root,
					    .hugepages_dir = cg->hugepages_dir,
					    .rootless = cg->rootless };
}

/*
 * A judged box's controllers (cell_cgroup_params.accounting): the figures
 * of its report. v1 reads the CPU time from cpuacct, which is a hierarchy
 * of its own on hosts that do not co-mount it with cpu; v2's cpu.stat is in
 * every cgroup, and "cpu" stays as all_controllers has it (one directory).
 */
static unsigned accounting_controllers(enum cell_cgroup_mode mode)
{
	unsigned cpu = mode == CELL_CGROUP_V2 ? CG_BIT(CELL_CG_CPU) : CG_BIT(CELL_CG_CPUACCT);

	return CG_BIT(CELL_CG_MEMORY) | CG_BIT(CELL_CG_PIDS) | cpu;
}

int cell_cgroup_create(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
		       const struct cell_resources *res, struct cell_error *err)
{
	static const struct cell_resources no_limits;
	struct cgroup_request req = { .params = params, .res = res ? res : &no_limits };
	int r;

	cell_cgroup_init(cg);
	if (!params->cgroups_path || !cgroup_check_components(params->cgroups_path, false))
		return cell_error_set(err, EINVAL,
				      "cgroups path \"%s\" must name a cgroup "
				      "without \".\" or \"..\" components",
				      params->cgroups_path ? params->cgroups_path : "");
	r = cgroup_setup(cg, params, err);
	if (r < 0)
		return r;
	r = cgroup_validate_for_mode(params, cg->mode, req.res, err);
	if (r < 0) {
		cgroup_release(cg, NULL);
		return r;
	}
	req.devices = !params->rootless && req.res->n_devices > 0;
	req.required = cgroup_controllers_for(req.res, req.devices);
	/* Without limits the cgroup still tracks the container and its OOM kills;
	 * OCI containers always are (update, events --stats, ps, pause). */
	if (!req.required || params->all_controllers)
		req.optional = CG_BIT(CELL_CG_MEMORY) | CG_BIT(CELL_CG_PIDS) | CG_BIT(CELL_CG_CPU);
	/* sched-rt-group.rst: a new v1 cpu cgroup starts with cpu.rt_runtime_us
	 * 0, and SCHED_FIFO/SCHED_RR fail there (EPERM); in the parent's cpu
	 * cgroup they have its budget. v2 has no realtime groups. */
	if (params->realtime && cg->mode != CELL_CGROUP_V2)
		req.optional &= ~CG_BIT(CELL_CG_CPU);
	/* v1 cpuacct follows cpu, so the container's CPU time is its own (v2: cpu.stat). */
	if ((req.required | req.optional) & CG_BIT(CELL_CG_CPU))
		req.optional |= CG_BIT(CELL_CG_CPUACCT);
	/* pause and kill --all need the v1 freezer (v2: cgroup.freeze, no controller). */
	req.optional |= CG_BIT(CELL_CG_FREEZER);
	if (params->accounting)
		req.optional = accounting_controllers(cg->mode);
	/* a controller a limit needs stays required where the host lacks it:
	 * dropping it would leave the limit to fail later on a missing file */
	req.optional &= ~req.required;
	r = cg->ops->create(cg, &req, err);
	if (r == 0)
		r = cg->ops->apply(cg, req.res, req.devices, err);
	if (r < 0)
		cgroup_release(cg, NULL); /* @err keeps the first failure */
	return r;
}

int cell_cgroup_enter(struct cell_cgroup *cg, pid_t pid, struct cell_error *err)
{
	if (!cg->ops)
		return cell_error_set(err, EINVAL, "cannot join a cgroup that was not created");
	return cg->ops->enter(cg, pid, err);
}

static int not_open(struct cell_error *err)
{
	return cell_error_set(err, EINVAL, "no cgroup: neither created nor opened");
}

/* sub_controllers() - the bits of "cpu,memory" (v1 names) the container has. */
static int sub_controllers(const struct cell_cgroup *cg, char *list, unsigned *bits,
			   struct cell_error *err)
{
	char *save = NULL;
	int c;

	*bits = 0;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (c = 0; c < CELL_CG_COUNT && strcmp(cgroup_controller_names[c].v1, name); c++)
			;
		if (c == CELL_CG_COUNT)
			return cell_error_set(err, EINVAL, "--cgroup: unknown controller \"%s\"",
					      name);
		if (!cg->dirs[c])
			return cell_error_set(err, ENOENT,
					      "--cgroup: the container has no %s "
					      "cgroup",
					      name);
		*bits |= CG_BIT(c);
	}
	return *bits ? 0 : cell_error_set(err, EINVAL, "--cgroup: no controller before ':'");
}

/* sub_dir() - *@out = @dir/@path, which must be an existing cgroup directory (@arg's). */
static int sub_dir(const char *dir, const char *path, const char *arg, char **out,
		   struct cell_error *err)
{
	struct stat sb;

	if (asprintf(out, "%s/%s", dir, path + strspn(path, "/")) < 0) {
		*out = NULL;
		return cell_error_set(err, ENOMEM, "--cgroup %s", arg);
	}
	errno = 0;
	if (stat(*out, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return cell_error_set(err, errno ? errno : ENOTDIR, "--cgroup %s: no sub-cgroup %s",
				      arg, *out);
	return 0;
}

/*
 * sub_targets() - @target[c]: the sub-cgroup of controller c that @subs name.
 * A directory co-mounted with a named one (cpu,cpuacct) goes along: writing
 * its cgroup.procs once for each name would undo the move.
 */
static int sub_targets(const struct cell_cgroup *cg, char *const *subs, char *target[CELL_CG_COUNT],
		       struct cell_error *err)
{
	for (size_t i = 0; subs[i]; i++) {
		cleanup_free char *copy = strdup(subs[i]);
		char *colon = copy ? strchr(copy, ':') : NULL, *path = copy;
		/* v2: dirs[0] is the one directory, whatever the controllers */
		unsigned bits = cg->mode == CELL_CGROUP_V2 ? CG_BIT(0) : cg->controllers;
		int c, r;

		if (!copy)
			return cell_error_set(err, ENOMEM, "--cgroup");
		if (colon) {
			*colon = '\0';
			path = colon + 1;
			if (cg->mode == CELL_CGROUP_V2)
				return cell_error_set(err, EINVAL,
						      "--cgroup %s: cgroup v2 has one "
						      "hierarchy: give the sub-cgroup's path alone",
						      subs[i]);
			if ((r = sub_controllers(cg, copy, &bits, err)) < 0)
				return r;
		}
		if (!cgroup_check_components(path, false))
			return cell_error_set(err, EINVAL,
					      "--cgroup %s: a path below the "
					      "container's cgroup, without \".\" or \"..\"",
					      subs[i]);
		for (c = 0; c < CELL_CG_COUNT; c++) {
			if (!(bits & CG_BIT(c)) || !cg->dirs[c])
				continue;
			free(target[c]);
			if ((r = sub_dir(cg->dirs[c], path, subs[i], &target[c], err)) < 0)
				return r;
			for (int o = 0; o < CELL_CG_COUNT; o++) {
				if (o == c || !cg->dirs[o] || strcmp(cg->dirs[o], cg->dirs[c]))
					continue;
				free(target[o]);
				if (!(target[o] = strdup(target[c])))
					return cell_error_set(err, ENOMEM, "--cgroup");
			}
		}
	}
	return 0;
}

int cell_cgroup_enter_sub(struct cell_cgroup *cg, pid_t pid, char *const *subs,
			  struct cell_error *err)
{
	char *target[CELL_CG_COUNT] = { 0 };
	struct cell_cgroup view;
	int c, r;

	if (!cg->ops)
		return not_open(err);
	if (!subs || !subs[0])
		return cell_cgroup_enter(cg, pid, err);
	if (cg->mode == CELL_CGROUP_V2 && subs[1])
		return cell_error_set(err, EINVAL,
				      "--cgroup: cgroup v2 has one hierarchy: "
				      "give one sub-cgroup");
	r = sub_targets(cg, subs, target, err);
	/* the container's cgroup with the sub-cgroups in place of its directories */
	view = *cg;
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (target[c])
			view.dirs[c] = target[c];
	if (r == 0)
		r = cg->ops->enter(&view, pid, err);
	for (c = 0; c < CELL_CG_COUNT; c++)
		free(target[c]);
	return r;
}

/* checkBeforeUpdate: runc refuses a limit below what the cgroup uses already. */
static int check_before_update(const struct cell_cgroup *cg, const struct cell_resources *res,
			       struct cell_error *err)
{
	uint64_t usage;
	int r;

	if (!res->check_before_update)
		return 0;
	if (res->has_memory_limit && res->memory_limit >= 0) {
		r = cg->ops->memory_usage(cg, false, &usage, err);
		if (r < 0)
			return r;
		if ((uint64_t)res->memory_limit < usage)
			return cell_error_set(err, EBUSY,
					      "linux.resources.memory.limit %" PRId64
					      ": below the current "
					      "usage of %" PRIu64 " bytes (checkBeforeUpdate)",
					      res->memory_limit, usage);
	}
	if (res->has_memory_swap && res->memory_swap >= 0) {
		r = cg->ops->memory_usage(cg, true, &usage, err);
		if (r < 0)
			return r;
		if ((uint64_t)res->memory_swap < usage)
			return cell_error_set(
				err, EBUSY,
				"linux.resources.memory.swap %" PRId64 ": below the current "
				"memory+swap usage of %" PRIu64 " bytes (checkBeforeUpdate)",
				res->memory_swap, usage);
	}
	return 0;
}

int cell_cgroup_update(struct cell_cgroup *cg, const struct cell_resources *res,
		       struct cell_error *err)
{
	struct cell_cgroup_params p = kept_params(cg);
	unsigned missing;
	int c, r;

	if (!cg->ops)
		return not_open(err);
	r = cgroup_validate_for_mode(&p, cg->mode, res, err);
	if (r < 0)
		return r;
	missing = cgroup_controllers_for(res, false) & ~cg->controllers;
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (missing & CG_BIT(c))
			return cell_error_set(err, ENOTSUP,
					      "cannot update: the container's cgroup has no %s "
					      "controller (it was created without that limit)",
					      cgroup_controller_names[c].v1);
	r = check_before_update(cg, res, err);
	return r < 0 ? r : cg->ops->apply(cg, res, false, err);
}

int cell_cgroup_join_missing(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
			     const struct cell_resources *res, struct cell_error *err)
{
	/* no limits while the directories are made: a new cpuset gets its
	 * parent's cpus and mems, so the processes can move in (cpusets.rst);
	 * the update writes the limits after */
	static const struct cell_resources seed_only;
	struct cgroup_request req = { .params = params, .res = &seed_only };
	unsigned before = cg->controllers;
	int r;

	if (!cg->ops)
		return not_open(err);
	req.required = cgroup_controllers_for(res, false) & ~cg->controllers;
	if (!req.required)
		return 0;
	r = cgroup_validate_for_mode(params, cg->mode, res, err);
	/* v2: one directory, which gets them through its parent's
	 * cgroup.subtree_control (crun enables every controller at creation) */
	if (r == 0 && cg->mode == CELL_CGROUP_V2)
		return (r = cgroup_v2_join_missing(cg, cg->fs_root, req.required, res, err)) < 0
			       ? r
			       : cg->controllers != before;
	if (r == 0)
		r = cg->ops->create(cg, &req, err);
	if (r == 0)
		r = cgroup_move_procs(cg, cg->controllers & ~before, err);
	/* what was made is the container's now, also after a failure: the caller
	 * saves it, and delete removes it */
	return r < 0 ? r : cg->controllers != before;
}

int cell_cgroup_freeze(struct cell_cgroup *cg, bool frozen, struct cell_error *err)
{
	return cg->ops ? cg->ops->freeze(cg, frozen, err) : not_open(err);
}

int cell_cgroup_frozen(const struct cell_cgroup *cg, bool *frozen, struct cell_error *err)
{
	return cg->ops ? cg->ops->frozen(cg, frozen, err) : not_open(err);
}

int cell_cgroup_oom_count(const struct cell_cgroup *cg, struct cell_cgroup_oom *oom,
			  struct cell_error *err)
{
	memset(oom, 0, sizeof(*oom));
	return cg->ops ? cg->ops->oom_count(cg, oom, err) : not_open(err);
}

bool cell_cgroup_oom_killed(const struct cell_cgroup *cg)
{
	struct cell_cgroup_oom oom;

	return cg->ops && cell_cgroup_oom_count(cg, &oom, NULL) == 0 && oom.oom_kill > 0;
}

int cell_cgroup_stats(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		      struct cell_error *err)
{
	int r;

	memset(st, 0, sizeof(*st));
	if (!cg->ops)
		return not_open(err);
	r = cg->ops->stats(cg, st, err);
	if (r < 0)
		cell_cgroup_stats_free(st);
	return r;
}

void cell_cgroup_stats_free(struct cell_cgroup_stats *st)
{
	free(st->cpu.percpu);
	free(st->memory.raw);
	free(st->blkio.service_bytes);
	free(st->blkio.serviced);
	free(st->hugetlb);
	memset(st, 0, sizeof(*st));
}

int cell_cgroup_destroy(struct cell_cgroup *cg, struct cell_error *err)
{
	return cgroup_release(cg, err);
}

void cell_cgroup_forget(struct cell_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n_created; i++)
		free(cg->created[i]);
	cg->n_created = 0; /* nothing left for release to remove */
	cgroup_release(cg, NULL);
}

/* ---- saving and reopening (state directory) ---- */

static const char *const mode_words[] = {
	[CELL_CGROUP_V1] = "v1", [CELL_CGROUP_V2] = "v2", [CELL_CGROUP_HYBRID] = "hybrid"
};

int cell_cgroup_save(const struct cell_cgroup *cg, char **text, struct cell_error *err)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int c;

	*text = NULL;
	if (!cg->ops)
		return not_open(err);
	f = open_memstream(&buf, &len);
	if (!f)
		return cell_error_set(err, errno, "cgroup state");
	fprintf(f, "mode %s\ncontrollers %#x\nunified %#x\n", mode_words[cg->mode], cg->controllers,
		cg->unified);
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (cg->dirs[c])
			fprintf(f, "dir %d %s\n", c, cg->dirs[c]);
	for (i = 0; i < cg->n_created; i++)
		fprintf(f, "created %s\n", cg->created[i]);
	if (fclose(f) != 0) {
		free(buf);
		return cell_error_set(err, ENOMEM, "cgroup state");
	}
	/* A path with a newline would read back as two lines. */
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (cg->dirs[c] && strchr(cg->dirs[c], '\n')) {
			free(buf);
			return cell_error_set(err, EINVAL, "cgroup path with a newline: %s",
					      cg->dirs[c]);
		}
	*text = buf;
	return 0;
}

/* below_root() - is @path an absolute path strictly below @root, without "." or ".."? */
static bool below_root(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return path[0] == '/' && strncmp(path, root, n) == 0 && path[n] == '/' &&
	       cgroup_check_components(path + n, false);
}

/* open_line() - one "KEY VALUE" line of a saved cgroup into @cg. */
static int open_line(struct cell_cgroup *cg, const char *root, char *line, struct cell_error *err)
{
	char *value = strchr(line, ' ');
	char **slot = NULL;
	long c;

	if (!value)
		return cell_error_set(err, EINVAL, "saved cgroup: bad line \"%s\"", line);
	*value++ = '\0';
	if (strcmp(line, "mode") == 0)
		return strcmp(value, mode_words[cg->mode]) == 0
			       ? 0
			       : cell_error_set(err, EINVAL, "saved cgroup is %s, but %s is %s now",
						value, root, mode_words[cg->mode]);
	if (strcmp(line, "controllers") == 0 || strcmp(line, "unified") == 0) {
		*(strcmp(line, "unified") == 0 ? &cg->unified : &cg->controllers) =
			(unsigned)strtoul(value, NULL, 16);
		return 0;
	}
	if (strcmp(line, "dir") == 0) {
		c = strtol(value, &value, 10);
		if (c < 0 || c >= CELL_CG_COUNT || *value++ != ' ' || cg->dirs[c])
			return cell_error_set(err, EINVAL, "saved cgroup: bad dir line");
		slot = &cg->dirs[c];
	} else if (strcmp(line, "created") == 0) {
		if (cg->n_created == CELL_CGROUP_MAX_DIRS)
			return cell_error_set(err, E2BIG, "saved cgroup: too many directories");
		slot = &cg->created[cg->n_created];
	} else {
		return cell_error_set(err, EINVAL, "saved cgroup: unknown key \"%s\"", line);
	}
	/* The state file decides what delete removes: nothing outside the root. */
	if (!below_root(value, root))
		return cell_error_set(err, EINVAL, "saved cgroup: %s is not below %s", value, root);
	*slot = strdup(value);
	if (!*slot)
		return cell_error_set(err, ENOMEM, "saved cgroup");
	if (slot == &cg->created[cg->n_created])
		cg->n_created++;
	return 0;
}

static int open_saved(struct cell_cgroup *cg, const char *saved, struct cell_error *err)
{
	cleanup_free char *copy = strdup(saved);
	char *line, *save = NULL;
	int r = 0;

	if (!copy)
		return cell_error_set(err, ENOMEM, "saved cgroup");
	for (line = strtok_r(copy, "\n", &save); r == 0 && line; line = strtok_r(NULL, "\n", &save))
		r = open_line(cg, cg->fs_root, line, err);
	if (r == 0 && !cg->dirs[0] && cg->mode == CELL_CGROUP_V2)
		r = cell_error_set(err, EINVAL, "saved cgroup: no directory");
	return r;
}

/*
 * open_dir() - the cgroup at params->cgroups_path in the hierarchy of @c (v2:
 * the only one), if it exists there; hybrid hosts look in <root>/unified for
 * a controller no v1 hierarchy has. Return 1 if found, 0 if not, or -errno.
 */
static int open_dir(struct cell_cgroup *cg, const struct cell_cgroup_params *params, int c,
		    struct cell_error *err)
{
	const char *name = cg->mode == CELL_CGROUP_V2 ? NULL : cgroup_controller_names[c].v1;
	cleanup_free char *rel = NULL;
	char root[PATH_MAX], *dir = NULL;
	bool unified = false;
	int r;

	r = cgroup_file_path(root, sizeof(root), cg->fs_root, name ? name : "", err);
	if (r == 0 && name && access(root, F_OK) < 0 && cg->mode == CELL_CGROUP_HYBRID &&
	    cgroup_controller_names[c].v2) {
		unified = true;
		name = NULL;
		r = cgroup_file_path(root, sizeof(root), cg->fs_root, "unified", err);
	}
	if (r >= 0)
		r = cgroup_rel_path(params, name, &rel, err);
	if (r < 0)
		return r == -ENOENT ? 0 : r; /* -ENOENT: no line for an unmounted hierarchy */
	if (asprintf(&dir, "%s/%s", root, rel + strspn(rel, "/")) < 0)
		return cell_error_set(err, ENOMEM, "cgroup %s", root);
	if (access(dir, F_OK) < 0 || !below_root(dir, cg->fs_root)) {
		free(dir);
		return 0;
	}
	cg->dirs[c] = dir;
	cg->controllers |= CG_BIT(c);
	if (unified)
		cg->unified |= CG_BIT(c);
	return 1;
}

/*
 * open_by_path() - the cgroup at params->cgroups_path in each hierarchy that
 * has it; only these leaves count as the container's (and are removed).
 */
static int open_by_path(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
			struct cell_error *err)
{
	size_t i;
	int c, r;

	for (c = 0; c < (cg->mode == CELL_CGROUP_V2 ? 1 : CELL_CG_COUNT); c++) {
		r = open_dir(cg, params, c, err);
		if (r < 0)
			return r;
		for (i = 0; r > 0 && i < cg->n_created; i++) /* co-mounted: one directory */
			if (strcmp(cg->created[i], cg->dirs[c]) == 0)
				r = 0;
		if (r == 0)
			continue;
		cg->created[cg->n_created] = strdup(cg->dirs[c]);
		if (!cg->created[cg->n_created])
			return cell_error_set(err, ENOMEM, "cgroup %s", cg->dirs[c]);
		cg->n_created++;
	}
	if (!cg->controllers)
		return cell_error_set(err, ENOENT, "cgroup \"%s\" does not exist below %s",
				      params->cgroups_path, cg->fs_root);
	return 0;
}

int cell_cgroup_open(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
		     const char *saved, struct cell_error *err)
{
	int r;

	if (!saved &&
	    (!params->cgroups_path || !cgroup_check_components(params->cgroups_path, false)))
		return cell_error_set(err, EINVAL, "cgroups path \"%s\" must name a cgroup",
				      params->cgroups_path ? params->cgroups_path : "");
	r = cgroup_setup(cg, params, err);
	if (r < 0)
		return r;
	r = saved ? open_saved(cg, saved, err) : open_by_path(cg, params, err);
	if (r == 0 && cg->mode == CELL_CGROUP_V2) {
		cg->v2_fd = open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->v2_fd < 0)
			r = cell_error_set(err, errno, "cannot open cgroup %s", cg->dirs[0]);
	}
	if (r < 0)
		cgroup_release(cg, NULL);
	return r;
}
