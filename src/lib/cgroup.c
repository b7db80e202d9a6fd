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

#include "cgroup.h"
#include "utils.h"

#define CG_BIT(c) (1u << (c))
#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_DEFAULT_SELF "/proc/self/cgroup"
#define CG_RMDIR_BUSY_RETRIES 100
#define CG_DEFAULT_CFS_PERIOD 100000 /* µs, the kernel's default (sched-bwc.rst) */

int (*cell_cgroup_mkdir_hook)(const char *path, mode_t mode) = mkdir;
int (*cell_cgroup_rmdir_hook)(const char *path) = rmdir;

static const struct {
	const char *v1; /* hierarchy directory below a v1 root */
	const char *v2; /* cgroup2 controller; NULL when v2 has none */
} controller_names[CELL_CG_COUNT] = {
    [CELL_CG_CPU] = {"cpu", "cpu"},
    /* v2 "cpu" always accounts (cpu.stat): there is no cpuacct. */
    [CELL_CG_CPUACCT] = {"cpuacct", NULL},
    [CELL_CG_CPUSET] = {"cpuset", "cpuset"},
    [CELL_CG_MEMORY] = {"memory", "memory"},
    [CELL_CG_PIDS] = {"pids", "pids"},
    [CELL_CG_BLKIO] = {"blkio", "io"},
};

/* What cell_cgroup_create() was asked for, handed to the mode's create. */
struct cgroup_request {
	const struct cell_cgroup_params *params;
	const struct cell_resources *res;
	unsigned required; /* controllers a limit needs: fail without them */
	unsigned optional; /* joined when the host has them, to track and account */
};

struct cell_cgroup_ops {
	int (*create)(struct cell_cgroup *cg, const struct cgroup_request *req,
		      struct cell_error *err);
	int (*apply)(const struct cell_cgroup *cg, const struct cell_resources *res,
		     struct cell_error *err);
	int (*enter)(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err);
	bool (*oom_killed)(const struct cell_cgroup *cg);
};

/* ---- files ---- */

static int file_path(char *buf, size_t size, const char *dir, const char *file,
		     struct cell_error *err)
{
	if (snprintf(buf, size, "%s/%s", dir, file) >= (int)size)
		return cell_error_set(err, ENAMETOOLONG, "%s/%s", dir, file);
	return 0;
}

/*
 * cg_write() - write @value to @dir/@file in one write(2): cgroupfs parses
 * each write as one whole value. cell_write_at() never creates the file: a
 * missing interface file means the kernel lacks the feature.
 */
static int cg_write(const char *dir, const char *file, const char *value, struct cell_error *err)
{
	char path[PATH_MAX];
	int r = file_path(path, sizeof(path), dir, file, err);

	if (r < 0)
		return r;
	r = cell_write_at(AT_FDCWD, path, value, strlen(value), NULL);
	if (r < 0)
		return cell_error_set(err, -r, "cannot write \"%s\" to %s", value, path);
	return 0;
}

static __attribute__((format(printf, 4, 5))) int
cg_writef(const char *dir, const char *file, struct cell_error *err, const char *fmt, ...)
{
	char value[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return cg_write(dir, file, value, err);
}

/* cg_write_limit() - @v, or @unlimited ("max" on v2 and for pids, "-1" elsewhere on v1). */
static int cg_write_limit(const char *dir, const char *file, int64_t v, const char *unlimited,
			  struct cell_error *err)
{
	if (v < 0)
		return cg_write(dir, file, unlimited, err);
	return cg_writef(dir, file, err, "%" PRId64, v);
}

/* cg_read() - @dir/@file into @buf, NUL-terminated; the files read here are small. */
static int cg_read(const char *dir, const char *file, char *buf, size_t size,
		   struct cell_error *err)
{
	char path[PATH_MAX];
	ssize_t n;
	int r = file_path(path, sizeof(path), dir, file, err);

	if (r < 0)
		return r;
	n = cell_read_at(AT_FDCWD, path, buf, size, NULL);
	if (n < 0)
		return cell_error_set(err, (int)-n, "cannot read %s", path);
	return 0;
}

static bool cg_has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	if (file_path(path, sizeof(path), dir, file, NULL) < 0)
		return false;
	return access(path, F_OK) == 0;
}

/* has_word() - is @word one of the words of @list (separated by @seps)? */
static bool has_word(const char *list, const char *word, const char *seps)
{
	size_t len = strlen(word);

	while (*list) {
		size_t n = strcspn(list, seps);

		if (n == len && strncmp(list, word, len) == 0)
			return true;
		list += n;
		list += strspn(list, seps);
	}
	return false;
}

/*
 * keyed_value() - N of the line "@key N" of a flat keyed file (cgroup-v2.rst,
 * "Interface Files"; memory.oom_control in v1 has the same shape).
 */
static bool keyed_value(const char *buf, const char *key, unsigned long long *out)
{
	size_t len = strlen(key);
	const char *line = buf;

	while (line) {
		if (strncmp(line, key, len) == 0 && line[len] == ' ') {
			*out = strtoull(line + len + 1, NULL, 10);
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* ---- detection ---- */

/*
 * is_cgroup2() - is @path the root of a cgroup2 file system? statfs answers on
 * a real host. Failing that the content answers: the kernel puts
 * cgroup.controllers in every cgroup2 directory (cgroup-v2.rst, "Core
 * Interface Files") and never in a v1 hierarchy or the tmpfs holding them, so
 * the answer is the same on a real host and the only one the unit tests'
 * trees on an ordinary file system can give.
 */
static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return true;
	return cg_has_file(path, "cgroup.controllers");
}

int cell_cgroup_detect(const char *fs_root, enum cell_cgroup_mode *mode, struct cell_error *err)
{
	char unified[PATH_MAX];
	struct statfs sfs;
	int r;

	if (statfs(fs_root, &sfs) < 0)
		return cell_error_set(err, errno, "cannot inspect cgroup file system %s", fs_root);
	if (is_cgroup2(fs_root)) {
		*mode = CELL_CGROUP_V2;
		return 0;
	}
	r = file_path(unified, sizeof(unified), fs_root, "unified", err);
	if (r < 0)
		return r;
	*mode = is_cgroup2(unified) ? CELL_CGROUP_HYBRID : CELL_CGROUP_V1;
	return 0;
}

/* ---- resources ---- */

/* controllers_for() - the controllers the limits of @res need (bits CELL_CG_*). */
static unsigned controllers_for(const struct cell_resources *res)
{
	unsigned mask = 0;

	if (res->has_memory_limit || res->has_memory_swap)
		mask |= CG_BIT(CELL_CG_MEMORY);
	if (res->has_cpu_shares || res->has_cpu_quota || res->has_cpu_period)
		mask |= CG_BIT(CELL_CG_CPU);
	if (res->cpuset_cpus || res->cpuset_mems)
		mask |= CG_BIT(CELL_CG_CPUSET);
	if (res->has_pids_limit)
		mask |= CG_BIT(CELL_CG_PIDS);
	if (res->has_blkio_weight || res->n_read_bps || res->n_write_bps)
		mask |= CG_BIT(CELL_CG_BLKIO);
	return mask;
}

bool cell_resources_any(const struct cell_resources *res)
{
	return res && controllers_for(res) != 0;
}

/* The conversion crun and runc use, so one spec means the same on every runtime. */
unsigned long cell_cpu_shares_to_weight(unsigned long shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
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
 * Both modes store memory + swap (OCI linux.resources.memory.swap), which the
 * kernel accepts only at or above the memory limit (v1: memory.rst, "Swap
 * Extension"); v2 gets the difference. Checked before anything is created.
 */
static int check_swap(const struct cell_resources *res, struct cell_error *err)
{
	if (!res->has_memory_swap || res->memory_swap < 0)
		return 0;
	if (!res->has_memory_limit || res->memory_limit < 0)
		return cell_error_set(err, EINVAL,
				      "memory+swap limit %" PRId64 " needs a memory limit as well",
				      res->memory_swap);
	if (res->memory_swap < res->memory_limit)
		return cell_error_set(
		    err, EINVAL, "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
		    res->memory_swap, res->memory_limit);
	return 0;
}

/*
 * check_components() - a cgroup path must stay inside its hierarchy: no "."
 * or ".." component (a cgroups path from a spec, or "/.." seen from outside a
 * cgroup namespace in /proc/self/cgroup), and at least one component unless
 * @may_be_root.
 */
static bool check_components(const char *path, bool may_be_root)
{
	size_t count = 0;

	for (path += strspn(path, "/"); *path; path += strspn(path, "/")) {
		size_t n = strcspn(path, "/");

		if ((n == 1 && path[0] == '.') || (n == 2 && strncmp(path, "..", 2) == 0))
			return false;
		count++;
		path += n;
	}
	return count > 0 || may_be_root;
}

/* ---- where the cgroup goes ---- */

/* list_has_controller() - is @name in the comma-joined list of a /proc/PID/cgroup line? */
static bool list_has_controller(const char *list, const char *name)
{
	return has_word(list, name, ",");
}

/*
 * self_cgroup_path() - the caller's cgroup in the hierarchy of @controller, or
 * the v2 one ("0::PATH") when @controller is NULL, from @file in the format of
 * /proc/PID/cgroup (cgroups(7)): "ID:CONTROLLER,...:PATH". Named hierarchies
 * ("name=systemd") never match a controller.
 */
static int self_cgroup_path(const char *file, const char *controller, char **out,
			    struct cell_error *err)
{
	cleanup_free char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = -ENOENT;

	f = fopen(file, "re");
	if (!f)
		return cell_error_set(err, errno, "cannot open %s", file);
	while (r == -ENOENT && getline(&line, &cap, f) > 0) {
		char *list = strchr(line, ':'), *path = list ? strchr(list + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (controller ? !list_has_controller(list + 1, controller)
			       : strcmp(line, "0:") != 0)
			continue;
		*out = strdup(path);
		r = *out ? 0 : -ENOMEM;
	}
	fclose(f);
	if (r == -ENOENT)
		return cell_error_set(err, ENOENT, "%s: no line for the %s hierarchy", file,
				      controller ? controller : "cgroup v2");
	if (r < 0)
		return cell_error_set(err, -r, "%s", file);
	if (!check_components(*out, true)) {
		r = cell_error_set(err, EINVAL, "%s: cgroup \"%s\" is outside this namespace", file,
				   *out);
		free(*out);
		*out = NULL;
	}
	return r;
}

/*
 * cgroup_rel_path() - the cgroup's path below a hierarchy root: cgroups_path
 * as is when absolute, else below the caller's own cgroup in that hierarchy
 * (@controller, NULL for v2).
 */
static int cgroup_rel_path(const struct cell_cgroup_params *params, const char *controller,
			   char **out, struct cell_error *err)
{
	cleanup_free char *self = NULL;
	const char *self_file = params->self_cgroup ? params->self_cgroup : CG_DEFAULT_SELF;
	int r;

	if (params->cgroups_path[0] == '/') {
		*out = strdup(params->cgroups_path);
		return *out ? 0 : cell_error_set(err, ENOMEM, "cgroups path");
	}
	r = self_cgroup_path(self_file, controller, &self, err);
	if (r < 0)
		return r;
	if (asprintf(out, "%s/%s", self, params->cgroups_path) < 0) {
		*out = NULL;
		return cell_error_set(err, ENOMEM, "cgroups path");
	}
	return 0;
}

/* ---- making directories ---- */

static int mkdir_failed(const struct cell_cgroup *cg, const char *path, bool leaf, int e,
			struct cell_error *err)
{
	if (e == EEXIST && leaf)
		return cell_error_set(
		    err, e, "cgroup %s exists already (cell only uses a cgroup it creates)", path);
	if (cg->rootless && (e == EACCES || e == EPERM || e == EROFS))
		return cell_error_set(err, e,
				      "cannot create cgroup %s: resource limits need a cgroup "
				      "delegated to this user (see cell-run(1))",
				      path);
	return cell_error_set(err, e, "cannot create cgroup %s", path);
}

/*
 * cgroup_mkdir() - make @path and record it in cg->created. A directory that
 * exists is someone else's: fine on the way down, an error for the leaf.
 * Return: 1 when cell made it, 0 when it existed, or -errno.
 */
static int cgroup_mkdir(struct cell_cgroup *cg, const char *path, bool leaf, struct cell_error *err)
{
	char *copy;

	if (cell_cgroup_mkdir_hook(path, 0755) < 0) {
		if (errno == EEXIST && !leaf)
			return 0;
		return mkdir_failed(cg, path, leaf, errno, err);
	}
	if (cg->n_created == CELL_CGROUP_MAX_DIRS) {
		cell_cgroup_rmdir_hook(path);
		return cell_error_set(err, E2BIG,
				      "cannot create cgroup %s: more than %d new directories", path,
				      CELL_CGROUP_MAX_DIRS);
	}
	copy = strdup(path);
	if (!copy) {
		cell_cgroup_rmdir_hook(path);
		return cell_error_set(err, ENOMEM, "cgroup %s", path);
	}
	cg->created[cg->n_created++] = copy;
	return 1;
}

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

/* walk_step() - make @path/@name (@n bytes) and run the hooks; *@path becomes the child. */
static int walk_step(struct cgroup_walk *w, char **path, const char *name, size_t n, bool leaf,
		     struct cell_error *err)
{
	char *child;
	int r;

	if (w->before_child) {
		r = w->before_child(w, *path, err);
		if (r < 0)
			return r;
	}
	if (asprintf(&child, "%s/%.*s", *path, (int)n, name) < 0)
		return cell_error_set(err, ENOMEM, "cgroup below %s", *path);
	free(*path);
	*path = child;
	r = cgroup_mkdir(w->cg, child, leaf, err);
	if (r > 0 && w->after_mkdir)
		return w->after_mkdir(w, child, leaf, err);
	return r < 0 ? r : 0;
}

/* cgroup_walk_down() - make the missing directories of @rel below @root; *@leaf_out: the last. */
static int cgroup_walk_down(struct cgroup_walk *w, const char *root, const char *rel,
			    char **leaf_out, struct cell_error *err)
{
	cleanup_free char *path = NULL;
	size_t len = strlen(root);
	const char *p;
	int r;

	if (!check_components(rel, false)) /* vetted before; never walk out of @root */
		return cell_error_set(err, EINVAL, "cgroup path \"%s\" below %s", rel, root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	path = strndup(root, len);
	if (!path)
		return cell_error_set(err, ENOMEM, "cgroup %s", root);
	for (p = rel + strspn(rel, "/"); *p;) {
		size_t n = strcspn(p, "/");
		const char *next = p + n + strspn(p + n, "/");

		r = walk_step(w, &path, p, n, *next == '\0', err);
		if (r < 0)
			return r;
		p = next;
	}
	*leaf_out = path;
	path = NULL;
	return 0;
}

/* ---- v1 (and hybrid) ---- */

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
	r = cg_read(parent, file, value, sizeof(value), err);
	if (r < 0)
		return r;
	value[strcspn(value, "\n")] = '\0';
	if (value[0] == '\0') /* nothing to copy; attaching will report it */
		return 0;
	return cg_write(dir, file, value, err);
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

/*
 * v1_find_roots() - the real root of each wanted hierarchy. Co-mounted
 * controllers ("cpu,cpuacct" with symlinks "cpu" and "cpuacct") resolve to
 * the same directory, which is then made once.
 */
static int v1_find_roots(const struct cgroup_request *req, char *roots[CELL_CG_COUNT],
			 struct cell_error *err)
{
	const char *fs_root = req->params->fs_root ? req->params->fs_root : CG_DEFAULT_ROOT;
	char path[PATH_MAX];
	int c, r;

	for (c = 0; c < CELL_CG_COUNT; c++) {
		if (!((req->required | req->optional) & CG_BIT(c)))
			continue;
		r = file_path(path, sizeof(path), fs_root, controller_names[c].v1, err);
		if (r < 0)
			return r;
		roots[c] = realpath(path, NULL);
		if (!roots[c] && errno == ENOENT && !(req->required & CG_BIT(c)))
			continue;
		if (!roots[c])
			return cell_error_set(err, errno,
					      "cgroup controller %s is not mounted (%s)",
					      controller_names[c].v1, path);
	}
	return 0;
}

/* v1_create_hierarchy() - make the cgroup in the hierarchy of @c and of whatever shares it. */
static int v1_create_hierarchy(struct cell_cgroup *cg, const struct cgroup_request *req,
			       char *const roots[CELL_CG_COUNT], int c, struct cell_error *err)
{
	struct cgroup_walk w = {.cg = cg, .res = req->res, .after_mkdir = v1_seed_cpuset};
	cleanup_free char *rel = NULL;
	char *leaf = NULL;
	int other, r;

	for (other = c; other < CELL_CG_COUNT; other++)
		if (roots[other] && strcmp(roots[other], roots[c]) == 0)
			w.controllers |= CG_BIT(other);
	r = cgroup_rel_path(req->params, controller_names[c].v1, &rel, err);
	if (r == 0)
		r = cgroup_walk_down(&w, roots[c], rel, &leaf, err);
	if (r < 0)
		return r;
	cg->dirs[c] = leaf;
	cg->controllers |= CG_BIT(c);
	for (other = c + 1; other < CELL_CG_COUNT; other++) {
		if (!(w.controllers & CG_BIT(other)))
			continue;
		cg->dirs[other] = strdup(leaf);
		if (!cg->dirs[other])
			return cell_error_set(err, ENOMEM, "cgroup %s", leaf);
		cg->controllers |= CG_BIT(other);
	}
	return 0;
}

static int cgroup_v1_create(struct cell_cgroup *cg, const struct cgroup_request *req,
			    struct cell_error *err)
{
	char *roots[CELL_CG_COUNT] = {NULL};
	int c, r;

	r = v1_find_roots(req, roots, err);
	for (c = 0; r == 0 && c < CELL_CG_COUNT; c++)
		if (roots[c] && !cg->dirs[c])
			r = v1_create_hierarchy(cg, req, roots, c, err);
	for (c = 0; c < CELL_CG_COUNT; c++)
		free(roots[c]);
	return r;
}

static int v1_apply_memory(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r;

	if (res->has_memory_limit) {
		r = cg_write_limit(dir, "memory.limit_in_bytes", res->memory_limit, "-1", err);
		if (r < 0)
			return r;
	}
	if (!res->has_memory_swap)
		return 0;
	if (!cg_has_file(dir, "memory.memsw.limit_in_bytes")) {
		if (res->memory_swap < 0) /* unlimited is what this kernel does anyway */
			return 0;
		return cell_error_set(err, ENOTSUP,
				      "%s/memory.memsw.limit_in_bytes: a swap limit needs swap "
				      "accounting, which this kernel does not have enabled "
				      "(swapaccount=1)",
				      dir);
	}
	/* After memory.limit_in_bytes: memsw may never be below it (memory.rst). */
	return cg_write_limit(dir, "memory.memsw.limit_in_bytes", res->memory_swap, "-1", err);
}

static int v1_apply_cpu(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	int r = 0;

	if (res->has_cpu_shares)
		r = cg_writef(dir, "cpu.shares", err, "%" PRIu64, res->cpu_shares);
	/*
	 * Period before quota: the kernel checks each write against the period
	 * in place (quota/period may not exceed the parent's, sched-bwc.rst), so
	 * a quota must meet the period it belongs to.
	 */
	if (r == 0 && res->has_cpu_period)
		r = cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, res->cpu_period);
	if (r == 0 && res->has_cpu_quota)
		r = cg_write_limit(dir, "cpu.cfs_quota_us", res->cpu_quota, "-1", err);
	return r;
}

static int v1_apply_cpuset(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r = 0;

	if (res->cpuset_cpus)
		r = cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r == 0 && res->cpuset_mems)
		r = cg_write(dir, "cpuset.mems", res->cpuset_mems, err);
	return r;
}

/*
 * write_rates() - one write per device: the kernel takes one rule per write
 * (cgroup-v1/blkio-controller.rst, cgroup-v2.rst "io.max"). @key NULL gives
 * v1's "MAJ:MIN RATE", else "MAJ:MIN key=RATE".
 */
static int write_rates(const char *dir, const char *file, const struct cell_device_rate *rates,
		       size_t n, const char *key, struct cell_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const struct cell_device_rate *d = &rates[i];

		if (key)
			r = cg_writef(dir, file, err, "%" PRIu32 ":%" PRIu32 " %s=%" PRIu64,
				      d->major, d->minor, key, d->rate);
		else
			r = cg_writef(dir, file, err, "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->major,
				      d->minor, d->rate);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * pick_file() - the first of @a and @b that @dir has: weights moved files as
 * CFQ gave way to BFQ (blkio.weight went with CFQ in 5.0).
 */
static const char *pick_file(const char *dir, const char *a, const char *b)
{
	if (cg_has_file(dir, a))
		return a;
	return cg_has_file(dir, b) ? b : NULL;
}

static int v1_apply_blkio(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	const char *file;
	int r;

	if (res->has_blkio_weight) {
		file = pick_file(dir, "blkio.weight", "blkio.bfq.weight");
		if (!file)
			return cell_error_set(
			    err, ENOTSUP,
			    "blkio.weight: not supported by this kernel's I/O "
			    "scheduler (no blkio.weight or blkio.bfq.weight in %s)",
			    dir);
		r = cg_writef(dir, file, err, "%u", (unsigned)res->blkio_weight);
		if (r < 0)
			return r;
	}
	r = write_rates(dir, "blkio.throttle.read_bps_device", res->read_bps, res->n_read_bps, NULL,
			err);
	if (r < 0)
		return r;
	return write_rates(dir, "blkio.throttle.write_bps_device", res->write_bps, res->n_write_bps,
			   NULL, err);
}

static int cgroup_v1_apply(const struct cell_cgroup *cg, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r = 0;

	if (cg->dirs[CELL_CG_MEMORY])
		r = v1_apply_memory(cg->dirs[CELL_CG_MEMORY], res, err);
	if (r == 0 && cg->dirs[CELL_CG_CPU])
		r = v1_apply_cpu(cg->dirs[CELL_CG_CPU], res, err);
	if (r == 0 && cg->dirs[CELL_CG_CPUSET])
		r = v1_apply_cpuset(cg->dirs[CELL_CG_CPUSET], res, err);
	if (r == 0 && cg->dirs[CELL_CG_PIDS] && res->has_pids_limit)
		r = cg_write_limit(cg->dirs[CELL_CG_PIDS], "pids.max", res->pids_limit, "max", err);
	if (r == 0 && cg->dirs[CELL_CG_BLKIO])
		r = v1_apply_blkio(cg->dirs[CELL_CG_BLKIO], res, err);
	return r;
}

static int cgroup_v1_enter(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err)
{
	int c, other, r;

	for (c = 0; c < CELL_CG_COUNT; c++) {
		if (!cg->dirs[c])
			continue;
		for (other = 0; other < c; other++) /* co-mounted: one directory */
			if (cg->dirs[other] && strcmp(cg->dirs[other], cg->dirs[c]) == 0)
				break;
		if (other < c)
			continue;
		r = cg_writef(cg->dirs[c], "cgroup.procs", err, "%d", (int)pid);
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

static bool oom_kill_count(const char *dir, const char *file)
{
	unsigned long long n = 0;
	char buf[4096];

	if (!dir || cg_read(dir, file, buf, sizeof(buf), NULL) < 0)
		return false;
	return keyed_value(buf, "oom_kill", &n) && n > 0;
}

/* memory.oom_control reports "oom_kill N" since Linux 4.13 (cgroup-v1/memory.rst). */
static bool cgroup_v1_oom_killed(const struct cell_cgroup *cg)
{
	return oom_kill_count(cg->dirs[CELL_CG_MEMORY], "memory.oom_control");
}

static const struct cell_cgroup_ops cgroup_v1_ops = {
    .create = cgroup_v1_create,
    .apply = cgroup_v1_apply,
    .enter = cgroup_v1_enter,
    .oom_killed = cgroup_v1_oom_killed,
};

/* ---- v2 ---- */

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
 * v2_enable_controllers() - add to @dir's cgroup.subtree_control the wanted
 * controllers it lacks, in one write: a controller works in a cgroup only if
 * every ancestor enables it (cgroup-v2.rst, "Enabling and Disabling").
 */
static int v2_enable_controllers(struct cgroup_walk *w, const char *dir, struct cell_error *err)
{
	char avail[1024], enabled[1024], add[128] = "";
	int c, r;

	r = cg_read(dir, "cgroup.controllers", avail, sizeof(avail), err);
	if (r == 0)
		r = cg_read(dir, "cgroup.subtree_control", enabled, sizeof(enabled), err);
	for (c = 0; r == 0 && c < CELL_CG_COUNT; c++) {
		const char *name = controller_names[c].v2;

		if (!(w->controllers & CG_BIT(c)))
			continue;
		if (!has_word(avail, name, " \n")) {
			if (w->optional & CG_BIT(c)) {
				w->controllers &= ~CG_BIT(c);
				continue;
			}
			return cell_error_set(err, ENOTSUP,
					      "cgroup controller %s is not available in %s "
					      "(not in its cgroup.controllers)",
					      name, dir);
		}
		if (!has_word(enabled, name, " \n"))
			snprintf(add + strlen(add), sizeof(add) - strlen(add), "%s+%s",
				 add[0] ? " " : "", name);
	}
	if (r < 0 || add[0] == '\0')
		return r;
	r = cg_write(dir, "cgroup.subtree_control", add, err);
	return r < 0 ? v2_enable_failed(w->cg, dir, add, r, err) : 0;
}

static int cgroup_v2_create(struct cell_cgroup *cg, const struct cgroup_request *req,
			    struct cell_error *err)
{
	struct cgroup_walk w = {.cg = cg,
				.res = req->res,
				.optional = req->optional,
				.before_child = v2_enable_controllers};
	const char *fs_root = req->params->fs_root ? req->params->fs_root : CG_DEFAULT_ROOT;
	cleanup_free char *rel = NULL;
	int c, r;

	for (c = 0; c < CELL_CG_COUNT; c++)
		if (((req->required | req->optional) & CG_BIT(c)) && controller_names[c].v2)
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

static int v2_apply_memory(const char *dir, const struct cell_resources *res,
			   struct cell_error *err)
{
	int r = 0;

	if (res->has_memory_limit)
		r = cg_write_limit(dir, "memory.max", res->memory_limit, "max", err);
	if (r < 0 || !res->has_memory_swap)
		return r;
	/* v2 limits swap alone (cgroup-v2.rst, "memory.swap.max"); check_swap() vetted it. */
	if (res->memory_swap < 0)
		return cg_write(dir, "memory.swap.max", "max", err);
	return cg_writef(dir, "memory.swap.max", err, "%" PRId64,
			 res->memory_swap - res->memory_limit);
}

static int v2_apply_cpu(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	uint64_t period = res->has_cpu_period ? res->cpu_period : CG_DEFAULT_CFS_PERIOD;
	int r = 0;

	if (res->has_cpu_shares)
		r = cg_writef(dir, "cpu.weight", err, "%lu",
			      cell_cpu_shares_to_weight((unsigned long)res->cpu_shares));
	if (r < 0 || !(res->has_cpu_quota || res->has_cpu_period))
		return r;
	/* cpu.max holds both, so v1's ordering problem does not arise. */
	if (!res->has_cpu_quota || res->cpu_quota < 0)
		return cg_writef(dir, "cpu.max", err, "max %" PRIu64, period);
	return cg_writef(dir, "cpu.max", err, "%" PRId64 " %" PRIu64, res->cpu_quota, period);
}

/*
 * io.weight (blk-iocost, 1..10000) takes "default N"; io.bfq.weight keeps
 * BFQ's own range 1..1000, which blkio weights already fit.
 */
static int v2_apply_io_weight(const char *dir, uint16_t weight, struct cell_error *err)
{
	if (cg_has_file(dir, "io.weight"))
		return cg_writef(dir, "io.weight", err, "default %lu",
				 blkio_weight_to_io_weight(weight));
	if (cg_has_file(dir, "io.bfq.weight"))
		return cg_writef(dir, "io.bfq.weight", err, "%u", (unsigned)weight);
	return cell_error_set(err, ENOTSUP,
			      "io.weight: not supported by this kernel's I/O scheduler "
			      "(no io.weight or io.bfq.weight in %s)",
			      dir);
}

static int v2_apply_io(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	int r = 0;

	if (res->has_blkio_weight)
		r = v2_apply_io_weight(dir, res->blkio_weight, err);
	if (r == 0)
		r = write_rates(dir, "io.max", res->read_bps, res->n_read_bps, "rbps", err);
	if (r == 0)
		r = write_rates(dir, "io.max", res->write_bps, res->n_write_bps, "wbps", err);
	return r;
}

static int cgroup_v2_apply(const struct cell_cgroup *cg, const struct cell_resources *res,
			   struct cell_error *err)
{
	const char *dir = cg->dirs[0];
	int r;

	r = v2_apply_memory(dir, res, err);
	if (r == 0)
		r = v2_apply_cpu(dir, res, err);
	if (r == 0 && res->cpuset_cpus)
		r = cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r == 0 && res->cpuset_mems)
		r = cg_write(dir, "cpuset.mems", res->cpuset_mems, err);
	if (r == 0 && res->has_pids_limit)
		r = cg_write_limit(dir, "pids.max", res->pids_limit, "max", err);
	if (r == 0)
		r = v2_apply_io(dir, res, err);
	return r;
}

static int cgroup_v2_enter(const struct cell_cgroup *cg, pid_t pid, struct cell_error *err)
{
	return cg_writef(cg->dirs[0], "cgroup.procs", err, "%d", (int)pid);
}

/* memory.events counts "oom_kill" for the cgroup and its descendants (cgroup-v2.rst). */
static bool cgroup_v2_oom_killed(const struct cell_cgroup *cg)
{
	if (!(cg->controllers & CG_BIT(CELL_CG_MEMORY)))
		return false;
	return oom_kill_count(cg->dirs[0], "memory.events");
}

static const struct cell_cgroup_ops cgroup_v2_ops = {
    .create = cgroup_v2_create,
    .apply = cgroup_v2_apply,
    .enter = cgroup_v2_enter,
    .oom_killed = cgroup_v2_oom_killed,
};

/* ---- lifetime ---- */

void cell_cgroup_init(struct cell_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
}

/*
 * cgroup_rmdir() - remove @path. EBUSY means the kernel has not yet let go
 * of the last task (an exiting one is still charged to it), so wait a little.
 */
static int cgroup_rmdir(const char *path, struct cell_error *err)
{
	const struct timespec one_ms = {.tv_nsec = 1000000};
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

/*
 * cgroup_release() - remove what cell made, deepest first (the reverse of
 * creation order), free everything, and go back to the init state. v2_fd is
 * trusted only once ops is set, so a memset-zeroed @cg never closes fd 0.
 */
static int cgroup_release(struct cell_cgroup *cg, struct cell_error *err)
{
	int c, r, ret = 0;

	while (cg->n_created > 0) {
		char *dir = cg->created[--cg->n_created];

		r = cgroup_rmdir(dir, ret < 0 ? NULL : err);
		if (r < 0 && ret == 0)
			ret = r;
		free(dir);
	}
	for (c = 0; c < CELL_CG_COUNT; c++)
		free(cg->dirs[c]);
	if (cg->ops && cg->v2_fd >= 0)
		close(cg->v2_fd);
	cell_cgroup_init(cg);
	return ret;
}

int cell_cgroup_create(struct cell_cgroup *cg, const struct cell_cgroup_params *params,
		       const struct cell_resources *res, struct cell_error *err)
{
	static const struct cell_resources no_limits;
	struct cgroup_request req = {.params = params, .res = res ? res : &no_limits};
	enum cell_cgroup_mode mode;
	int r;

	cell_cgroup_init(cg);
	if (!params->cgroups_path || !check_components(params->cgroups_path, false))
		return cell_error_set(err, EINVAL,
				      "cgroups path \"%s\" must name a cgroup "
				      "without \".\" or \"..\" components",
				      params->cgroups_path ? params->cgroups_path : "");
	r = check_swap(req.res, err);
	if (r == 0)
		r = cell_cgroup_detect(params->fs_root ? params->fs_root : CG_DEFAULT_ROOT, &mode,
				       err);
	if (r < 0)
		return r;
	req.required = controllers_for(req.res);
	/* Without limits the cgroup still tracks the container and its OOM kills. */
	if (!req.required)
		req.optional = CG_BIT(CELL_CG_MEMORY) | CG_BIT(CELL_CG_PIDS) | CG_BIT(CELL_CG_CPU);
	/* v1 cpuacct follows cpu, so the container's CPU time is its own (v2: cpu.stat). */
	if ((req.required | req.optional) & CG_BIT(CELL_CG_CPU))
		req.optional |= CG_BIT(CELL_CG_CPUACCT);
	cg->mode = mode;
	cg->rootless = params->rootless;
	cg->ops = mode == CELL_CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	r = cg->ops->create(cg, &req, err);
	if (r == 0)
		r = cg->ops->apply(cg, req.res, err);
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

bool cell_cgroup_oom_killed(const struct cell_cgroup *cg)
{
	return cg->ops && cg->ops->oom_killed(cg);
}

int cell_cgroup_destroy(struct cell_cgroup *cg, struct cell_error *err)
{
	return cgroup_release(cg, err);
}

void cell_cgroup_forget(struct cell_cgroup *cg)
{
	while (cg->n_created > 0)
		free(cg->created[--cg->n_created]);
	cgroup_release(cg, NULL);
}
