/*
 * A fake cgroup kernel for the unit tests of src/lib/cgroup*.c: temporary
 * directories that mimic v1, v2 and hybrid trees.
 *
 * A plain file system is not cgroupfs: mkdir(2) makes an empty directory and
 * rmdir(2) refuses one that holds files. fake_mkdir() and fake_rmdir(),
 * plugged into cgroup.c's test seam, add and remove the interface files the
 * kernel would; the code under test still opens them without O_CREAT, so a
 * file the fake leaves out (fake.omit) fails like a missing kernel feature.
 * Included by one test file each (static functions, as scratch.h).
 */
#ifndef CELL_TEST_FAKE_CGROUP_H
#define CELL_TEST_FAKE_CGROUP_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include "cgroup.h"

#define MiB (1024 * 1024)

enum weight_file { WEIGHT_CFQ, WEIGHT_BFQ, WEIGHT_NONE };

#define V1_UNLIMITED "9223372036854771712\n" /* what v1 memory files say for "-1" */

/* The fake kernel of one test. */
static struct {
	char top[256];	 /* the test's mkdtemp directory */
	char root[512];	 /* top/cgroup: the fs_root under test */
	char self[512];	 /* top/self-cgroup: a /proc/self/cgroup */
	char pages[512]; /* top/hugepages: a /sys/kernel/mm/hugepages with 2 MB pages */
	bool v2;
	bool memsw;		 /* v1: memory.memsw.limit_in_bytes exists */
	enum weight_file weight; /* blkio.weight / io.weight, or the BFQ files, or none */
	const char *omit;	 /* an interface file new directories lack */
	int mkdir_errno;	 /* mkdir fails with this ... */
	int mkdir_ok_before;	 /* ... after this many successes */
	int busy_rmdirs;	 /* rmdir says EBUSY this many times first */
	bool keep_dirs;		 /* rmdir succeeds without removing (to inspect files) */
	int rmdir_calls;
	int mkdir_calls;
	void (*after_mkdir)(const char *path); /* a test's own change to a new directory */
} fake;

/* ---- helpers ---- */

static void put(const char *dir, const char *name, const char *content)
{
	char path[2 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void put_kernel_file(const char *dir, const char *name, const char *content)
{
	if (!fake.omit || strcmp(fake.omit, name) != 0)
		put(dir, name, content);
}

/* content() - a file below the fake root, or "<missing>"; valid until the next call. */
static const char *content(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake.root, rel);
	f = fopen(path, "re");
	if (!f)
		return "<missing>";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake.root, rel);
	return access(path, F_OK) == 0;
}

static char *under_root(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake.root, rel);
	return path;
}

static void write_self(const char *text)
{
	put(fake.top, "self-cgroup", text);
}

/* ---- the fake kernel ---- */

static void fake_v1_files(const char *path)
{
	const char *hier = path + strlen(fake.root) + 1;
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(hier, "/"), hier);
	put_kernel_file(path, "cgroup.procs", "");
	put_kernel_file(path, "tasks", "");
	if (strstr(name, "memory")) {
		put_kernel_file(path, "memory.limit_in_bytes", V1_UNLIMITED);
		put_kernel_file(path, "memory.soft_limit_in_bytes", V1_UNLIMITED);
		put_kernel_file(path, "memory.kmem.tcp.limit_in_bytes", V1_UNLIMITED);
		put_kernel_file(path, "memory.swappiness", "");
		put_kernel_file(path, "memory.use_hierarchy", "");
		put_kernel_file(path, "memory.usage_in_bytes", "1048576\n");
		put_kernel_file(path, "memory.memsw.usage_in_bytes", "2097152\n");
		put_kernel_file(path, "memory.stat", "cache 4096\nrss 8192\n");
		put_kernel_file(path, "memory.oom_control",
				"oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
		if (fake.memsw)
			put_kernel_file(path, "memory.memsw.limit_in_bytes", V1_UNLIMITED);
	}
	if (strstr(name, "cpu") && strcmp(name, "cpuset") != 0) {
		put_kernel_file(path, "cpu.shares", "");
		put_kernel_file(path, "cpu.cfs_period_us", "");
		put_kernel_file(path, "cpu.cfs_quota_us", "");
		put_kernel_file(path, "cpu.cfs_burst_us", "");
		put_kernel_file(path, "cpu.rt_period_us", "");
		put_kernel_file(path, "cpu.rt_runtime_us", "");
		put_kernel_file(path, "cpu.idle", "");
	}
	if (strstr(name, "freezer"))
		put_kernel_file(path, "freezer.state", "THAWED\n");
	if (strstr(name, "devices")) {
		put_kernel_file(path, "devices.allow", "");
		put_kernel_file(path, "devices.deny", "");
	}
	if (strstr(name, "hugetlb"))
		put_kernel_file(path, "hugetlb.2MB.limit_in_bytes", "");
	if (strstr(name, "net_cls"))
		put_kernel_file(path, "net_cls.classid", "");
	if (strstr(name, "net_prio"))
		put_kernel_file(path, "net_prio.ifpriomap", "");
	if (strstr(name, "cpuset")) { /* empty, as the kernel makes them */
		put_kernel_file(path, "cpuset.cpus", "");
		put_kernel_file(path, "cpuset.mems", "");
	}
	if (strstr(name, "pids"))
		put_kernel_file(path, "pids.max", "");
	if (strstr(name, "blkio")) {
		put_kernel_file(path, "blkio.throttle.read_bps_device", "");
		put_kernel_file(path, "blkio.throttle.write_bps_device", "");
		put_kernel_file(path, "blkio.throttle.read_iops_device", "");
		put_kernel_file(path, "blkio.throttle.write_iops_device", "");
		if (fake.weight == WEIGHT_CFQ) {
			put_kernel_file(path, "blkio.weight", "");
			put_kernel_file(path, "blkio.weight_device", "");
			put_kernel_file(path, "blkio.leaf_weight", "");
			put_kernel_file(path, "blkio.leaf_weight_device", "");
		}
		if (fake.weight == WEIGHT_BFQ) {
			put_kernel_file(path, "blkio.bfq.weight", "");
			put_kernel_file(path, "blkio.bfq.weight_device", "");
		}
	}
}

/*
 * The kernel offers a new cgroup2 directory what its parent enables; the fake
 * offers what the parent has (its subtree_control holds the last write only),
 * and the tests check each subtree_control themselves.
 */
static void fake_v2_files(const char *path)
{
	char parent[PATH_MAX], offered[1024];
	size_t n;
	FILE *f;

	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	strcat(parent, "/cgroup.controllers");
	f = fopen(parent, "re");
	assert_non_null(f);
	n = fread(offered, 1, sizeof(offered) - 1, f);
	offered[n] = '\0';
	fclose(f);
	put_kernel_file(path, "cgroup.controllers", offered);
	put_kernel_file(path, "cgroup.subtree_control", "");
	put_kernel_file(path, "cgroup.procs", "");
	put_kernel_file(path, "memory.max", "max\n");
	put_kernel_file(path, "memory.swap.max", "max\n");
	put_kernel_file(path, "memory.events",
			"low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
	put_kernel_file(path, "memory.low", "0\n");
	put_kernel_file(path, "memory.high", "max\n");
	put_kernel_file(path, "memory.current", "1048576\n");
	put_kernel_file(path, "memory.swap.current", "0\n");
	put_kernel_file(path, "memory.stat", "anon 8192\nfile 4096\n");
	put_kernel_file(path, "cgroup.freeze", "0\n");
	put_kernel_file(path, "cgroup.events", "populated 1\nfrozen 0\n");
	put_kernel_file(path, "cpu.max", "max 100000\n");
	put_kernel_file(path, "cpu.max.burst", "0\n");
	put_kernel_file(path, "cpu.idle", "0\n");
	put_kernel_file(path, "cpu.stat",
			"usage_usec 5\nuser_usec 3\nsystem_usec 2\n"
			"nr_periods 7\nnr_throttled 1\nthrottled_usec 4\n");
	put_kernel_file(path, "pids.current", "3\n");
	put_kernel_file(path, "hugetlb.2MB.max", "max\n");
	put_kernel_file(path, "hugetlb.2MB.current", "0\n");
	put_kernel_file(path, "rdma.max", "");
	put_kernel_file(path, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	put_kernel_file(path, "cpu.weight", "100\n");
	put_kernel_file(path, "cpuset.cpus", "");
	put_kernel_file(path, "cpuset.mems", "");
	put_kernel_file(path, "pids.max", "max\n");
	put_kernel_file(path, "io.max", "");
	if (fake.weight == WEIGHT_CFQ)
		put_kernel_file(path, "io.weight", "default 100\n");
	if (fake.weight == WEIGHT_BFQ)
		put_kernel_file(path, "io.bfq.weight", "default 100\n");
}

static int fake_mkdir(const char *path, mode_t mode)
{
	fake.mkdir_calls++;
	if (fake.mkdir_errno && fake.mkdir_ok_before-- <= 0) {
		errno = fake.mkdir_errno;
		return -1;
	}
	if (mkdir(path, mode) < 0)
		return -1;
	if (fake.v2)
		fake_v2_files(path);
	else
		fake_v1_files(path);
	if (fake.after_mkdir)
		fake.after_mkdir(path);
	return 0;
}

static int fake_rmdir(const char *path)
{
	struct dirent *e;
	DIR *d;

	fake.rmdir_calls++;
	if (fake.busy_rmdirs > 0) {
		fake.busy_rmdirs--;
		errno = EBUSY;
		return -1;
	}
	if (fake.keep_dirs)
		return 0;
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_type == DT_REG || e->d_type == DT_LNK)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(path);
}

/* A directory the test makes (someone else's cgroup), with its kernel files. */
static void premade(const char *rel)
{
	assert_int_equal(fake_mkdir(under_root(rel), 0755), 0);
}

enum { V1_COMOUNT_CPU = 1, V1_NO_PIDS = 2, V1_EXTRA = 4 /* devices freezer hugetlb net_* */ };

static void build_v1(int flags)
{
	static const char *const plain[] = { "memory", "cpuset", "blkio" };
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		premade(plain[i]);
	if (!(flags & V1_NO_PIDS))
		premade("pids");
	if (flags & V1_EXTRA)
		for (i = 0; i < 5; i++)
			premade((const char *[]){ "devices", "freezer", "hugetlb", "net_cls",
						  "net_prio" }[i]);
	if (flags & V1_COMOUNT_CPU) {
		premade("cpu,cpuacct");
		assert_int_equal(symlink("cpu,cpuacct", under_root("cpu")), 0);
		assert_int_equal(symlink("cpu,cpuacct", under_root("cpuacct")), 0);
	} else {
		premade("cpu");
		premade("cpuacct");
	}
	put(under_root("cpuset"), "cpuset.cpus", "0-3\n");
	put(under_root("cpuset"), "cpuset.mems", "0\n");
	write_self("4:memory:/\n3:cpuset:/\n2:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n");
}

static void build_v2(const char *controllers)
{
	fake.v2 = true;
	put(fake.root, "cgroup.controllers", controllers);
	put(fake.root, "cgroup.subtree_control", "");
	write_self("0::/\n");
}

static int fake_setup(void **state)
{
	char tmpl[] = "/tmp/cell-test-cgroup-XXXXXX";
	char real[PATH_MAX];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.memsw = true;
	if (!mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) >= sizeof(fake.top))
		return -1;
	strcpy(fake.top, real);
	snprintf(fake.root, sizeof(fake.root), "%s/cgroup", fake.top);
	snprintf(fake.self, sizeof(fake.self), "%s/self-cgroup", fake.top);
	snprintf(fake.pages, sizeof(fake.pages), "%s/hugepages", fake.top);
	if (mkdir(fake.root, 0755) < 0 || mkdir(fake.pages, 0755) < 0)
		return -1;
	snprintf(real, sizeof(real), "%s/hugepages-2048kB", fake.pages);
	if (mkdir(real, 0755) < 0)
		return -1;
	cell_cgroup_mkdir_hook = fake_mkdir;
	cell_cgroup_rmdir_hook = fake_rmdir;
	return 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	cell_cgroup_mkdir_hook = mkdir;
	cell_cgroup_rmdir_hook = rmdir;
	return scratch_rmtree(fake.top);
}

static struct cell_cgroup_params params(const char *cgroups_path)
{
	return (struct cell_cgroup_params){
		.fs_root = fake.root,
		.self_cgroup = fake.self,
		.cgroups_path = cgroups_path,
		.hugepages_dir = fake.pages,
	};
}

/* create() - cell_cgroup_create() at @path, asserting success. */
static void create(struct cell_cgroup *cg, const char *path, const struct cell_resources *res)
{
	struct cell_cgroup_params p = params(path);
	struct cell_error err = { 0 };
	int r = cell_cgroup_create(cg, &p, res, &err);

	if (r != 0)
		fail_msg("cell_cgroup_create: %d %s", r, err.msg);
}

static void destroy(struct cell_cgroup *cg)
{
	struct cell_error err = { 0 };
	int r = cell_cgroup_destroy(cg, &err);

	if (r != 0)
		fail_msg("cell_cgroup_destroy: %d %s", r, err.msg);
}

static int create_fails(struct cell_cgroup *cg, const char *path, const struct cell_resources *res,
			struct cell_error *err)
{
	struct cell_cgroup_params p = params(path);
	int r = cell_cgroup_create(cg, &p, res, err);

	assert_true(r < 0);
	/* Released on failure: nothing recorded, destroy is a no-op. */
	assert_int_equal(cg->n_created, 0);
	assert_null(cg->ops);
	assert_int_equal(cg->v2_fd, -1);
	assert_int_equal(cell_cgroup_destroy(cg, NULL), 0);
	return r;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

#endif
