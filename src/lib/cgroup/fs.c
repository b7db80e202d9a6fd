/*
 * cell — cgroup files and directories: reading and writing one cgroup file,
 * walking a cgroup tree, making the directories down to a new cgroup. Shared
 * by every file of src/lib/cgroup/; knows nothing of a cgroup's lifetime.
 */
#include <ctype.h>
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

#define CG_MAX_DEPTH 64 /* cgroups a container made below its own */
#define CG_WAIT_MS 5000 /* freezer settling, cgroup.kill emptying */

int (*cell_cgroup_mkdir_hook)(const char *path, mode_t mode) = mkdir;
int (*cell_cgroup_rmdir_hook)(const char *path) = rmdir;

const struct cgroup_controller_name cgroup_controller_names[CELL_CG_COUNT] = {
	[CELL_CG_CPU] = { "cpu", "cpu" },
	/* v2 "cpu" always accounts (cpu.stat): there is no cpuacct. */
	[CELL_CG_CPUACCT] = { "cpuacct", NULL },
	[CELL_CG_CPUSET] = { "cpuset", "cpuset" },
	[CELL_CG_MEMORY] = { "memory", "memory" },
	[CELL_CG_PIDS] = { "pids", "pids" },
	[CELL_CG_BLKIO] = { "blkio", "io" },
	/* v2 replaced these two by an eBPF program and cgroup.freeze. */
	[CELL_CG_DEVICES] = { "devices", NULL },
	[CELL_CG_FREEZER] = { "freezer", NULL },
	[CELL_CG_HUGETLB] = { "hugetlb", "hugetlb" },
	/* v2 leaves packet marking to eBPF and nftables (cgroup-v2.rst, "Deprecated v1 Core Features"). */
	[CELL_CG_NET_CLS] = { "net_cls", NULL },
	[CELL_CG_NET_PRIO] = { "net_prio", NULL },
	[CELL_CG_RDMA] = { "rdma", "rdma" },
};

/* ---- files ---- */

int cgroup_file_path(char *buf, size_t size, const char *dir, const char *file,
		     struct cell_error *err)
{
	if (snprintf(buf, size, "%s/%s", dir, file) >= (int)size)
		return cell_error_set(err, ENAMETOOLONG, "%s/%s", dir, file);
	return 0;
}

/*
 * cgroup_write() - write @value to @dir/@file in one write(2): cgroupfs parses
 * each write as one whole value. cell_write_at() never creates the file: a
 * missing interface file means the kernel lacks the feature.
 */
int cgroup_write(const char *dir, const char *file, const char *value, struct cell_error *err)
{
	char path[PATH_MAX];
	int r = cgroup_file_path(path, sizeof(path), dir, file, err);

	if (r < 0)
		return r;
	r = cell_write_at(AT_FDCWD, path, value, strlen(value), NULL);
	if (r < 0)
		return cell_error_set(err, -r, "cannot write \"%s\" to %s", value, path);
	return 0;
}

int cgroup_writef(const char *dir, const char *file, struct cell_error *err, const char *fmt, ...)
{
	char value[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return cgroup_write(dir, file, value, err);
}

/* cgroup_write_limit() - @v, or @unlimited ("max" on v2 and for pids, "-1" on v1). */
int cgroup_write_limit(const char *dir, const char *file, int64_t v, const char *unlimited,
		       struct cell_error *err)
{
	if (v < 0)
		return cgroup_write(dir, file, unlimited, err);
	return cgroup_writef(dir, file, err, "%" PRId64, v);
}

/* cgroup_read() - @dir/@file into @buf, NUL-terminated; the files read here are small. */
int cgroup_read(const char *dir, const char *file, char *buf, size_t size, struct cell_error *err)
{
	char path[PATH_MAX];
	ssize_t n;
	int r = cgroup_file_path(path, sizeof(path), dir, file, err);

	if (r < 0)
		return r;
	n = cell_read_at(AT_FDCWD, path, buf, size, NULL);
	if (n < 0)
		return cell_error_set(err, (int)-n, "cannot read %s", path);
	return 0;
}

bool cgroup_has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	if (cgroup_file_path(path, sizeof(path), dir, file, NULL) < 0)
		return false;
	return access(path, F_OK) == 0;
}

/* cgroup_has_word() - is @word one of the words of @list (separated by @seps)? */
bool cgroup_has_word(const char *list, const char *word, const char *seps)
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
 * cgroup_keyed_value() - N of the line "@key N" of a flat keyed file (cgroup-v2.rst,
 * "Interface Files"; memory.oom_control in v1 has the same shape).
 */
bool cgroup_keyed_value(const char *buf, const char *key, uint64_t *out)
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

int cgroup_read_opt(const char *dir, const char *file, char *buf, size_t size,
		    struct cell_error *err)
{
	char path[PATH_MAX];
	ssize_t n;
	int r;

	buf[0] = '\0';
	if (!dir)
		return 0;
	if ((r = cgroup_file_path(path, sizeof(path), dir, file, err)) < 0)
		return r;
	n = cell_read_at(AT_FDCWD, path, buf, size, NULL);
	if (n == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return n < 0 ? cell_error_set(err, (int)-n, "cannot read %s", path) : 0;
}

int cgroup_parse_u64(const char *dir, const char *file, const char *buf, uint64_t *out,
		     struct cell_error *err)
{
	char *end;

	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return cell_error_set(err, EINVAL, "%s/%s: not a number: \"%.20s\"", dir, file,
				      buf);
	return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct cell_error *err)
{
	char buf[64];
	int r = cgroup_read(dir, file, buf, sizeof(buf), err);

	return r < 0 ? r : cgroup_parse_u64(dir, file, buf, out, err);
}

/*
 * cgroup_wait_for() - the freezer and cgroup.kill act asynchronously: v1
 * freezer.state reads FREEZING until every task stopped (cgroup-v1/
 * freezer-subsystem.rst), v2 cgroup.events says "frozen 1" or "populated 0"
 * when done (cgroup-v2.rst). Polling every millisecond is what runc does;
 * the states settle in well under a second unless a task sleeps in D state.
 */
int cgroup_wait_for(const char *dir, const char *file, const char *want, struct cell_error *err)
{
	const struct timespec one_ms = { .tv_nsec = 1000000 };
	char buf[512];
	int r, ms;

	for (ms = 0; ms < CG_WAIT_MS; ms++) {
		r = cgroup_read(dir, file, buf, sizeof(buf), err);
		if (r < 0)
			return r;
		if (strstr(buf, want))
			return 0;
		nanosleep(&one_ms, NULL);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return cell_error_set(err, ETIMEDOUT, "%s/%s: still \"%s\" after %d ms, waiting for \"%s\"",
			      dir, file, buf, CG_WAIT_MS, want);
}

/*
 * cgroup_write_rates() - one write per device: the kernel takes one rule per
 * write (cgroup-v1/blkio-controller.rst, cgroup-v2.rst "io.max"). @key NULL
 * gives v1's "MAJ:MIN RATE", else "MAJ:MIN key=RATE".
 */
int cgroup_write_rates(const char *dir, const char *file, const struct cell_device_rate *rates,
		       size_t n, const char *key, struct cell_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const struct cell_device_rate *d = &rates[i];

		if (key)
			r = cgroup_writef(dir, file, err, "%" PRIu32 ":%" PRIu32 " %s=%" PRIu64,
					  d->major, d->minor, key, d->rate);
		else
			r = cgroup_writef(dir, file, err, "%" PRIu32 ":%" PRIu32 " %" PRIu64,
					  d->major, d->minor, d->rate);
		if (r < 0)
			return r;
	}
	return 0;
}

/* rdma.max takes "DEVICE hca_handle=N hca_object=N" per write, the same in v1 and v2. */
int cgroup_rdma_write(const char *dir, const struct cell_resources *res, struct cell_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < res->n_rdma; i++) {
		const struct cell_rdma_limit *l = &res->rdma[i];
		char value[256];
		int len = snprintf(value, sizeof(value), "%s", l->device);

		if (l->has_hca_handles)
			len += snprintf(value + len, sizeof(value) - (size_t)len,
					" hca_handle=%" PRIu32, l->hca_handles);
		if (l->has_hca_objects)
			snprintf(value + len, sizeof(value) - (size_t)len, " hca_object=%" PRIu32,
				 l->hca_objects);
		r = cgroup_write(dir, "rdma.max", value, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_hugetlb_name(const char *page_size, char *name, size_t size, uint64_t *kib)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	uint64_t n;
	char *end;
	int u;

	errno = 0;
	n = strtoull(page_size, &end, 10);
	if (errno || end == page_size || !isdigit((unsigned char)page_size[0]) || n == 0)
		return -EINVAL;
	for (u = 0; u < 4; u++) /* "2MB", "2mb", "2M" */
		if (toupper((unsigned char)end[0]) == units[u][0] &&
		    (end[1] == '\0' || (toupper((unsigned char)end[1]) == 'B' && end[2] == '\0')))
			break;
	if (u == 4 || n > (UINT64_MAX >> (10 * u)))
		return -EINVAL;
	*kib = n << (10 * u);
	/* The kernel's name uses the largest unit that divides (hugetlb_cgroup.c). */
	for (u = 3; u > 0 && *kib % (1ULL << (10 * u)) != 0; u--)
		;
	snprintf(name, size, "%" PRIu64 "%s", *kib >> (10 * u), units[u]);
	return 0;
}

/*
 * cgroup_hugetlb_write() - hugetlb.<size>.limit_in_bytes in a v1 hierarchy,
 * hugetlb.<size>.max in the unified one (hugetlb.rst); the .rsvd variants
 * (reservations, Linux 5.7) get the same limit when the kernel has them, as
 * runc does, so a reservation cannot outgrow what faulting may use.
 */
int cgroup_hugetlb_write(const char *dir, bool unified, const struct cell_resources *res,
			 struct cell_error *err)
{
	const char *suffix = unified ? "max" : "limit_in_bytes";
	char name[32], file[96];
	uint64_t kib;
	size_t i;
	int r;

	for (i = 0; i < res->n_hugepage_limits; i++) {
		const struct cell_hugepage_limit *h = &res->hugepage_limits[i];

		if (cgroup_hugetlb_name(h->page_size, name, sizeof(name), &kib) < 0)
			return cell_error_set(err, EINVAL, "hugepage size \"%s\"", h->page_size);
		snprintf(file, sizeof(file), "hugetlb.%s.%s", name, suffix);
		r = cgroup_writef(dir, file, err, "%" PRIu64, h->limit);
		if (r < 0)
			return r;
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.%s", name, suffix);
		if (cgroup_has_file(dir, file) &&
		    (r = cgroup_writef(dir, file, err, "%" PRIu64, h->limit)) < 0)
			return r;
	}
	return 0;
}

/* "memory.high" -> CELL_CG_MEMORY; "io.max" -> CELL_CG_BLKIO; core files and unknown ones -1. */
int cgroup_unified_controller(const char *key)
{
	size_t n = strcspn(key, ".");
	int c;

	for (c = 0; c < CELL_CG_COUNT; c++) {
		const char *name = cgroup_controller_names[c].v2;

		if (name && strlen(name) == n && strncmp(key, name, n) == 0)
			return c;
	}
	return -1;
}

/* ---- paths ---- */

/*
 * cgroup_check_components() - a cgroup path must stay inside its hierarchy: no "."
 * or ".." component (a cgroups path from a spec, or "/.." seen from outside a
 * cgroup namespace in /proc/self/cgroup), and at least one component unless
 * @may_be_root.
 */
bool cgroup_check_components(const char *path, bool may_be_root)
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

/* ---- making directories ---- */

static int mkdir_failed(const struct cell_cgroup *cg, const char *path, bool leaf, int e,
			struct cell_error *err)
{
	if (e == EEXIST && leaf)
		return cell_error_set(
			err, e, "cgroup %s exists already (cell only uses a cgroup it creates)",
			path);
	if (cg->rootless && (e == EACCES || e == EPERM || e == EROFS))
		return cell_error_set(err, e,
				      "cannot create cgroup %s: resource limits need a cgroup "
				      "delegated to this user (see cell-run(1))",
				      path);
	return cell_error_set(err, e, "cannot create cgroup %s", path);
}

/* cell made @path: remember it for the teardown (1), or remove it again (-errno). */
static int record_created(struct cell_cgroup *cg, const char *path, struct cell_error *err)
{
	char *copy;

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

/*
 * cgroup_mkdir() - make @path and record it in cg->created. A directory that
 * exists is someone else's: fine on the way down, an error for the leaf.
 * Return: 1 when cell made it, 0 when it existed, or -errno.
 */
static int cgroup_mkdir(struct cell_cgroup *cg, const char *path, bool leaf, struct cell_error *err)
{
	if (cell_cgroup_mkdir_hook(path, 0755) < 0) {
		if (errno == EEXIST && !leaf)
			return 0;
		return mkdir_failed(cg, path, leaf, errno, err);
	}
	return record_created(cg, path, err);
}

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

/*
 * With nothing to do on the way down (v1: before_child is v2's), the leaf
 * of a deeper @rel is made first: its parents usually exist (a judge
 * batch's boxes, below the batch's cgroup), and then one mkdir(2) does
 * what the walk does with one a level. *@path becomes the leaf.
 * Return: 1 made (after_mkdir run), 0 to walk (a parent is missing), -errno.
 */
static int leaf_first(struct cgroup_walk *w, char **path, const char *rel, struct cell_error *err)
{
	cleanup_free char *leaf = NULL;
	size_t cap, len;
	int r;

	if (w->before_child || !strchr(rel + strspn(rel, "/"), '/'))
		return 0;
	cap = strlen(*path) + strlen(rel) + 2;
	if (!(leaf = malloc(cap)))
		return cell_error_set(err, ENOMEM, "cgroup below %s", *path);
	len = (size_t)snprintf(leaf, cap, "%s", *path);
	for (const char *p = rel + strspn(rel, "/"); *p; p += strspn(p, "/")) {
		size_t n = strcspn(p, "/");

		len += (size_t)snprintf(leaf + len, cap - len, "/%.*s", (int)n, p);
		p += n;
	}
	if (cell_cgroup_mkdir_hook(leaf, 0755) < 0)
		return errno == ENOENT ? 0 : mkdir_failed(w->cg, leaf, true, errno, err);
	if ((r = record_created(w->cg, leaf, err)) < 0)
		return r;
	free(*path);
	*path = leaf;
	leaf = NULL;
	r = w->after_mkdir ? w->after_mkdir(w, *path, true, err) : 0;
	return r < 0 ? r : 1;
}

/* cgroup_walk_down() - make the missing directories of @rel below @root; *@leaf_out: the last. */
int cgroup_walk_down(struct cgroup_walk *w, const char *root, const char *rel, char **leaf_out,
		     struct cell_error *err)
{
	cleanup_free char *path = NULL;
	size_t len = strlen(root);
	const char *p;
	int r;

	if (!cgroup_check_components(rel, false)) /* vetted before; never walk out of @root */
		return cell_error_set(err, EINVAL, "cgroup path \"%s\" below %s", rel, root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	path = strndup(root, len);
	if (!path)
		return cell_error_set(err, ENOMEM, "cgroup %s", root);
	if ((r = leaf_first(w, &path, rel, err)) != 0) {
		if (r < 0)
			return r;
		*leaf_out = path;
		path = NULL;
		return 0;
	}
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

int cgroup_for_each_below(const char *dir, bool post_order, int (*fn)(const char *path, void *ctx),
			  void *ctx, int depth, struct cell_error *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (depth > CG_MAX_DEPTH)
		return cell_error_set(err, ELOOP, "cgroup %s: nested too deep", dir);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0
				       : cell_error_set(err, errno, "cannot list cgroup %s", dir);
	while (r == 0 && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((r = cgroup_file_path(path, sizeof(path), dir, e->d_name, err)) < 0 ||
		    (!post_order && (r = fn(path, ctx)) < 0) ||
		    (r = cgroup_for_each_below(path, post_order, fn, ctx, depth + 1, err)) < 0)
			break;
		if (post_order)
			r = fn(path, ctx);
	}
	closedir(d);
	return r;
}
