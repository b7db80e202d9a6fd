/*
 * Unit tests for src/lib/cgroup/cgroup.c against temporary directories that mimic
 * v1, v2 and hybrid trees. Each test's name says the behaviour it pins down.
 * The fake kernel is in fake_cgroup.h; test_cgroup_resources.c covers the
 * rest of linux.resources and the lifecycle API.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_cgroup.h"

/* ---- pure functions ---- */

static void test_shares_to_weight_matches_crun(void **state)
{
	(void)state;
	assert_int_equal(cell_cpu_shares_to_weight(2), 1);
	assert_int_equal(cell_cpu_shares_to_weight(1024), 39);
	assert_int_equal(cell_cpu_shares_to_weight(262144), 10000);
}

static void test_shares_to_weight_clamps_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(cell_cpu_shares_to_weight(0), 1);
	assert_int_equal(cell_cpu_shares_to_weight(1000000), 10000);
}

static void test_resources_any_sees_each_kind_of_limit(void **state)
{
	struct cell_device_rate rate = { 8, 0, 1 };
	struct cell_resources res = { 0 };

	(void)state;
	assert_false(cell_resources_any(&res));
	assert_false(cell_resources_any(NULL));
	res.has_memory_swap = true;
	assert_true(cell_resources_any(&res));
	res = (struct cell_resources){ .has_cpu_period = true };
	assert_true(cell_resources_any(&res));
	res = (struct cell_resources){ .cpuset_mems = (char *)"0" };
	assert_true(cell_resources_any(&res));
	res = (struct cell_resources){ .has_pids_limit = true };
	assert_true(cell_resources_any(&res));
	res = (struct cell_resources){ .write_bps = &rate, .n_write_bps = 1 };
	assert_true(cell_resources_any(&res));
}

/* ---- detection ---- */

static void test_detect_v2_when_root_has_cgroup_controllers(void **state)
{
	enum cell_cgroup_mode mode = CELL_CGROUP_V1;

	(void)state;
	build_v2("memory\n");
	assert_int_equal(cell_cgroup_detect(fake.root, &mode, NULL), 0);
	assert_int_equal(mode, CELL_CGROUP_V2);
}

static void test_detect_hybrid_when_unified_has_cgroup_controllers(void **state)
{
	enum cell_cgroup_mode mode = CELL_CGROUP_V1;

	(void)state;
	build_v1(0);
	assert_int_equal(mkdir(under_root("unified"), 0755), 0);
	put(under_root("unified"), "cgroup.controllers", "");
	assert_int_equal(cell_cgroup_detect(fake.root, &mode, NULL), 0);
	assert_int_equal(mode, CELL_CGROUP_HYBRID);
}

static void test_detect_v1_without_cgroup_controllers(void **state)
{
	enum cell_cgroup_mode mode = CELL_CGROUP_V2;

	(void)state;
	build_v1(0);
	assert_int_equal(cell_cgroup_detect(fake.root, &mode, NULL), 0);
	assert_int_equal(mode, CELL_CGROUP_V1);
}

static void test_detect_missing_root_names_it(void **state)
{
	enum cell_cgroup_mode mode;
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_cgroup_detect(under_root("nope"), &mode, &err), -ENOENT);
	assert_contains(err.msg, under_root("nope"));
}

/* ---- request checks ---- */

static void test_cgroups_path_with_dotdot_or_no_name_is_einval(void **state)
{
	static const char *const bad[] = { "/a/../../etc", "..", "/", "", "./x" };
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 5 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	size_t i;

	(void)state;
	build_v1(0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(create_fails(&cg, bad[i], &res, &err), -EINVAL);
	assert_int_equal(fake.rmdir_calls, 0);
}

static void test_swap_below_memory_limit_is_einval_before_any_mkdir(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 32 * MiB };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -EINVAL);
	assert_contains(err.msg, "memory+swap is below memory.limit");
	assert_false(exists("memory/c"));
}

/* ---- v1 placement ---- */

static void test_v1_only_needed_hierarchies_get_directories(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cg.mode, CELL_CGROUP_V1);
	assert_int_equal(cg.controllers, 1u << CELL_CG_MEMORY);
	assert_string_equal(cg.dirs[CELL_CG_MEMORY], under_root("memory/c"));
	assert_int_equal(cg.v2_fd, -1);
	assert_true(exists("memory/c"));
	assert_false(exists("cpu/c"));
	assert_false(exists("pids/c"));
	assert_false(exists("cpuset/c"));
	assert_false(exists("blkio/c"));
	destroy(&cg);
}

static void test_v1_no_limits_tracks_in_memory_pids_cpu_cpuacct(void **state)
{
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", NULL);
	assert_true(exists("memory/c"));
	assert_true(exists("pids/c"));
	assert_true(exists("cpu/c"));
	assert_true(exists("cpuacct/c"));
	assert_false(exists("cpuset/c"));
	assert_false(exists("blkio/c"));
	destroy(&cg);
	assert_false(exists("memory/c"));
	assert_false(exists("cpuacct/c"));
}

static void test_v1_no_limits_skips_unmounted_tracking_controller(void **state)
{
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_NO_PIDS);
	create(&cg, "/c", NULL);
	assert_true(exists("memory/c"));
	assert_null(cg.dirs[CELL_CG_PIDS]);
	destroy(&cg);
}

static void test_v1_limit_on_unmounted_controller_names_it(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_NO_PIDS);
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOENT);
	assert_contains(err.msg,
			"linux.resources.pids.limit: cgroup controller pids is not mounted");
	assert_contains(err.msg, under_root("pids"));
}

static void test_v1_comounted_controllers_share_one_directory(void **state)
{
	struct cell_resources res = { .has_cpu_shares = true, .cpu_shares = 512 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_COMOUNT_CPU);
	create(&cg, "/c", &res);
	assert_int_equal(cg.n_created, 1);
	assert_string_equal(cg.dirs[CELL_CG_CPU], under_root("cpu,cpuacct/c"));
	assert_string_equal(cg.dirs[CELL_CG_CPUACCT], under_root("cpu,cpuacct/c"));
	assert_string_equal(content("cpu,cpuacct/c/cpu.shares"), "512");
	assert_int_equal(cell_cgroup_enter(&cg, 77, NULL), 0);
	assert_string_equal(content("cpu,cpuacct/c/cgroup.procs"), "77");
	destroy(&cg);
	assert_false(exists("cpu,cpuacct/c"));
}

static void test_v1_absolute_path_lands_under_hierarchy_root(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	write_self("8:pids:/user/x\n");
	create(&cg, "/cell-abc", &res);
	assert_string_equal(cg.dirs[CELL_CG_PIDS], under_root("pids/cell-abc"));
	destroy(&cg);
}

static void test_v1_relative_path_lands_under_self_cgroup(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("memory/user");
	premade("memory/user/x");
	write_self("9:name=systemd:/elsewhere\n4:memory:/user/x\n0::/\n");
	create(&cg, "cell-abc", &res);
	assert_string_equal(cg.dirs[CELL_CG_MEMORY], under_root("memory/user/x/cell-abc"));
	assert_int_equal(cg.n_created, 1);
	assert_string_equal(content("memory/user/x/cell-abc/memory.limit_in_bytes"), "67108864");
	destroy(&cg);
	assert_false(exists("memory/user/x/cell-abc"));
	assert_true(exists("memory/user/x"));
}

static void test_v1_relative_path_reads_comma_joined_controller_line(void **state)
{
	struct cell_resources res = { .has_cpu_shares = true, .cpu_shares = 256 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_COMOUNT_CPU);
	premade("cpu,cpuacct/y");
	write_self("2:cpu,cpuacct:/y\n");
	create(&cg, "c", &res);
	assert_string_equal(cg.dirs[CELL_CG_CPU], under_root("cpu,cpuacct/y/c"));
	destroy(&cg);
}

static void test_v1_relative_path_without_self_line_is_enoent(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	write_self("1:name=systemd:/\n0::/\n");
	assert_int_equal(create_fails(&cg, "c", &res, &err), -ENOENT);
	assert_contains(err.msg, fake.self);
	assert_contains(err.msg, "memory hierarchy");
}

/* A memory and a pids limit: two v1 hierarchies, as a judged box has. */
static const struct cell_resources memory_and_pids = {
	.has_memory_limit = true, .memory_limit = 64 * MiB, .has_pids_limit = true, .pids_limit = 10
};

static void test_v1_existing_leaf_is_eexist_and_stays(void **state)
{
	struct cell_resources res = memory_and_pids;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("pids/c");
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -EEXIST);
	assert_contains(err.msg, under_root("pids/c"));
	assert_contains(err.msg, "exists already");
	assert_false(exists("memory/c")); /* made before pids/c, and removed */
	assert_true(exists("pids/c"));
	assert_string_equal(content("pids/c/pids.max"), "");
}

/* ---- v1 limits ---- */

static void test_v1_memory_limit_and_swap_written(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 128 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "67108864");
	assert_string_equal(content("memory/c/memory.memsw.limit_in_bytes"), "134217728");
	destroy(&cg);
}

static void test_v1_memory_unlimited_writes_minus_one(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = -1,
				      .has_memory_swap = true,
				      .memory_swap = -1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "-1");
	assert_string_equal(content("memory/c/memory.memsw.limit_in_bytes"), "-1");
	destroy(&cg);
}

static void test_v1_swap_limit_without_memsw_is_enotsup_naming_file(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 128 * MiB };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	fake.memsw = false;
	build_v1(0);
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOTSUP);
	assert_contains(err.msg, under_root("memory/c/memory.memsw.limit_in_bytes"));
	assert_contains(err.msg, "swap accounting");
	assert_false(exists("memory/c"));
}

static void test_v1_unlimited_swap_without_memsw_is_accepted(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = -1 };
	struct cell_cgroup cg;

	(void)state;
	fake.memsw = false;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "67108864");
	destroy(&cg);
}

static void test_v1_cpu_shares_and_unlimited_quota_written(void **state)
{
	struct cell_resources res = {
		.has_cpu_shares = true, .cpu_shares = 512, .has_cpu_quota = true, .cpu_quota = -1
	};
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("cpu/c/cpu.shares"), "512");
	assert_string_equal(content("cpu/c/cpu.cfs_quota_us"), "-1");
	assert_string_equal(content("cpu/c/cpu.cfs_period_us"), "");
	destroy(&cg);
}

/* The quota file is missing, so create fails there: the period must be written by then. */
static void test_v1_cpu_period_written_before_quota(void **state)
{
	struct cell_resources res = { .has_cpu_quota = true,
				      .cpu_quota = 25000,
				      .has_cpu_period = true,
				      .cpu_period = 50000 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	fake.omit = "cpu.cfs_quota_us";
	fake.keep_dirs = true;
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOENT);
	assert_contains(err.msg, under_root("cpu/c/cpu.cfs_quota_us"));
	assert_string_equal(content("cpu/c/cpu.cfs_period_us"), "50000");
}

static void test_v1_cpuset_copies_parent_into_created_dirs_when_unset(void **state)
{
	struct cell_resources res = { .cpuset_cpus = (char *)"2" };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/a/b", &res);
	assert_string_equal(content("cpuset/a/cpuset.cpus"), "0-3");
	assert_string_equal(content("cpuset/a/cpuset.mems"), "0");
	assert_string_equal(content("cpuset/a/b/cpuset.cpus"), "2");
	assert_string_equal(content("cpuset/a/b/cpuset.mems"), "0");
	destroy(&cg);
	assert_false(exists("cpuset/a"));
}

static void test_v1_cpuset_leaves_preexisting_parent_alone(void **state)
{
	struct cell_resources res = { .cpuset_mems = (char *)"0" };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("cpuset/user");
	put(under_root("cpuset/user"), "cpuset.cpus", "1\n");
	put(under_root("cpuset/user"), "cpuset.mems", "0\n");
	write_self("3:cpuset:/user\n");
	create(&cg, "c", &res);
	assert_string_equal(content("cpuset/user/c/cpuset.cpus"), "1");
	assert_string_equal(content("cpuset/user/c/cpuset.mems"), "0");
	assert_string_equal(content("cpuset/user/cpuset.cpus"), "1\n");
	destroy(&cg);
	assert_true(exists("cpuset/user"));
}

static void test_v1_pids_unlimited_writes_max(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = -1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("pids/c/pids.max"), "max");
	destroy(&cg);
}

static void test_v1_blkio_weight_prefers_blkio_weight(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("blkio/c/blkio.weight"), "500");
	destroy(&cg);
}

static void test_v1_blkio_weight_falls_back_to_bfq(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_cgroup cg;

	(void)state;
	fake.weight = WEIGHT_BFQ;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("blkio/c/blkio.bfq.weight"), "500");
	assert_false(exists("blkio/c/blkio.weight"));
	destroy(&cg);
}

static void test_v1_blkio_weight_without_files_is_enotsup_naming_dir(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	char expect[2 * PATH_MAX];

	(void)state;
	fake.weight = WEIGHT_NONE;
	build_v1(0);
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOTSUP);
	snprintf(expect, sizeof(expect),
		 "linux.resources.blockIO.weight: not supported by this kernel's I/O scheduler "
		 "(no blkio.weight or blkio.bfq.weight in %s)",
		 under_root("blkio/c"));
	assert_contains(err.msg, expect);
	assert_false(exists("blkio/c"));
}

/* The fake file keeps only the last write: one line per write means one device's rule. */
static void test_v1_blkio_throttle_writes_one_device_per_write(void **state)
{
	struct cell_device_rate rates[] = { { 8, 0, 1048576 }, { 8, 16, 2048 } };
	struct cell_resources res = {
		.read_bps = rates, .n_read_bps = 2, .write_bps = rates, .n_write_bps = 1
	};
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("blkio/c/blkio.throttle.read_bps_device"), "8:16 2048");
	assert_string_equal(content("blkio/c/blkio.throttle.write_bps_device"), "8:0 1048576");
	destroy(&cg);
}

/* ---- failure and teardown ---- */

static void test_failed_write_removes_every_created_dir(void **state)
{
	struct cell_resources res = memory_and_pids;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	fake.omit = "pids.max";
	assert_int_equal(create_fails(&cg, "/a/c", &res, &err), -ENOENT);
	assert_contains(err.msg, under_root("pids/a/c/pids.max"));
	assert_false(exists("memory/a"));
	assert_false(exists("pids/a"));
}

static void test_failed_mkdir_in_second_hierarchy_removes_the_first(void **state)
{
	struct cell_resources res = memory_and_pids;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	fake.mkdir_errno = ENOMEM;
	fake.mkdir_ok_before = 3; /* memory/a/c (ENOENT: tried first), memory/a, memory/a/c */
	assert_int_equal(create_fails(&cg, "/a/c", &res, &err), -ENOMEM);
	assert_contains(err.msg, "cannot create cgroup ");
	assert_contains(err.msg, under_root("pids/a"));
	assert_false(exists("memory/a"));
}

static void test_more_new_dirs_than_recordable_is_e2big_and_removes_all(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	char path[256] = "";
	int i;

	(void)state;
	build_v1(0);
	for (i = 0; i <= CELL_CGROUP_MAX_DIRS; i++)
		strcat(path, "/d");
	assert_int_equal(create_fails(&cg, path, &res, &err), -E2BIG);
	assert_false(exists("pids/d"));
}

static void test_rootless_mkdir_eacces_mentions_delegation(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup_params p = params("/cell-abc");
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	char expect[2 * PATH_MAX];

	(void)state;
	build_v1(0);
	fake.mkdir_errno = EACCES;
	p.rootless = true;
	assert_int_equal(cell_cgroup_create(&cg, &p, &res, &err), -EACCES);
	snprintf(expect, sizeof(expect),
		 "cannot create cgroup %s: resource limits need a cgroup delegated to this "
		 "user (see cell-run(1)): %s",
		 under_root("memory/cell-abc"), strerror(EACCES));
	assert_string_equal(err.msg, expect);
}

static void test_root_mkdir_eacces_has_no_delegation_hint(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	fake.mkdir_errno = EACCES;
	assert_int_equal(create_fails(&cg, "/cell-abc", &res, &err), -EACCES);
	assert_null(strstr(err.msg, "delegated"));
}

/* v1, parents there (a judge batch's boxes): one mkdir a hierarchy, the leaf's. */
static void test_v1_leaf_below_existing_parents_is_one_mkdir(void **state)
{
	struct cell_resources res = memory_and_pids;
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("memory/batch");
	premade("pids/batch");
	fake.mkdir_calls = 0;
	create(&cg, "/batch/7", &res);
	assert_int_equal(cg.n_created, 2);
	assert_int_equal(fake.mkdir_calls, 2);
	assert_string_equal(cg.created[0], under_root("memory/batch/7"));
	assert_string_equal(cg.created[1], under_root("pids/batch/7"));
	destroy(&cg);
	assert_false(exists("pids/batch/7"));
	assert_true(exists("pids/batch"));
}

static void test_destroy_removes_only_created_dirs(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("memory/shared");
	create(&cg, "/shared/c1/c2", &res);
	assert_int_equal(cg.n_created, 2);
	assert_string_equal(cg.created[0], under_root("memory/shared/c1"));
	assert_string_equal(cg.created[1], under_root("memory/shared/c1/c2"));
	destroy(&cg);
	assert_false(exists("memory/shared/c1"));
	assert_true(exists("memory/shared"));
	assert_true(exists("memory/shared/memory.limit_in_bytes"));
}

static void test_destroy_retries_busy_rmdir(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	fake.busy_rmdirs = 5;
	destroy(&cg);
	assert_int_equal(fake.rmdir_calls, 6);
	assert_false(exists("pids/c"));
}

static void test_destroy_gives_up_on_lasting_ebusy_naming_dir(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	fake.busy_rmdirs = 1000;
	assert_int_equal(cell_cgroup_destroy(&cg, &err), -EBUSY);
	assert_contains(err.msg, under_root("pids/c"));
	assert_true(fake.rmdir_calls > 50 && fake.rmdir_calls < 1000);
	assert_int_equal(cg.n_created, 0); /* released all the same */
}

static void test_destroy_accepts_dir_already_gone(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(fake_rmdir(under_root("pids/c")), 0);
	destroy(&cg);
}

static void test_destroy_twice_and_on_zeroed_struct_is_safe(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	int fd0_before = fcntl(0, F_GETFD);
	struct cell_cgroup cg;

	(void)state;
	build_v2("pids\n");
	memset(&cg, 0, sizeof(cg)); /* v2_fd 0: must not be closed */
	assert_int_equal(cell_cgroup_destroy(&cg, NULL), 0);
	assert_int_equal(fcntl(0, F_GETFD), fd0_before);
	cell_cgroup_init(&cg);
	assert_int_equal(cell_cgroup_destroy(&cg, NULL), 0);
	create(&cg, "/c", &res);
	destroy(&cg);
	destroy(&cg);
	assert_int_equal(cg.v2_fd, -1);
	assert_int_equal(fcntl(0, F_GETFD), fd0_before);
}

/* ---- v1 membership and OOM ---- */

static void test_v1_enter_writes_pid_to_each_hierarchy(void **state)
{
	struct cell_resources res = memory_and_pids;
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_enter(&cg, 4242, NULL), 0);
	assert_string_equal(content("memory/c/cgroup.procs"), "4242");
	assert_string_equal(content("pids/c/cgroup.procs"), "4242");
	destroy(&cg);
}

static void test_enter_before_create_is_einval(void **state)
{
	struct cell_cgroup cg;

	(void)state;
	cell_cgroup_init(&cg);
	assert_int_equal(cell_cgroup_enter(&cg, 1, NULL), -EINVAL);
}

static void test_v1_oom_killed_parses_oom_kill_count(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_false(cell_cgroup_oom_killed(&cg));
	put(under_root("memory/c"), "memory.oom_control",
	    "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n");
	assert_false(cell_cgroup_oom_killed(&cg));
	put(under_root("memory/c"), "memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	assert_true(cell_cgroup_oom_killed(&cg));
	destroy(&cg);
}

/* cell judge's split of a killed box's CPU time: v1 nanoseconds, v2 microseconds. */
static void test_v1_cpu_split_reads_usage_user_and_sys(void **state)
{
	struct cell_resources res = { 0 };
	struct cell_cgroup cg;
	uint64_t user = 1, sys = 1;
	struct cell_error err = { 0 };

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	put(cg.dirs[CELL_CG_CPUACCT], "cpuacct.usage_user", "300000000\n");
	put(cg.dirs[CELL_CG_CPUACCT], "cpuacct.usage_sys", "2000000\n");
	assert_int_equal(cell_cgroup_cpu_split(&cg, &user, &sys, &err), 0);
	assert_true(user == 300000000 && sys == 2000000);
	destroy(&cg);
}

static void test_v2_cpu_split_reads_cpu_stat(void **state)
{
	struct cell_resources res = { 0 };
	struct cell_cgroup cg;
	uint64_t user = 1, sys = 1;
	struct cell_error err = { 0 };

	(void)state;
	build_v2("cpu memory pids\n");
	create(&cg, "/c", &res);
	put(cg.dirs[0], "cpu.stat",
	    "usage_usec 302000\nuser_usec 300000\nsystem_usec 2000\nnr_periods 0\n");
	assert_int_equal(cell_cgroup_cpu_split(&cg, &user, &sys, &err), 0);
	assert_true(user == 300000000 && sys == 2000000);
	destroy(&cg);
}

static void test_oom_killed_false_without_memory_controller(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_false(cell_cgroup_oom_killed(&cg));
	destroy(&cg);
	cell_cgroup_init(&cg);
	assert_false(cell_cgroup_oom_killed(&cg));
}

/* ---- hybrid ---- */

static void test_hybrid_uses_v1_hierarchies_and_leaves_unified_alone(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	assert_int_equal(mkdir(under_root("unified"), 0755), 0);
	put(under_root("unified"), "cgroup.controllers", "");
	put(under_root("unified"), "cgroup.subtree_control", "");
	create(&cg, "/c", &res);
	assert_int_equal(cg.mode, CELL_CGROUP_HYBRID);
	assert_int_equal(cg.v2_fd, -1);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "67108864");
	assert_false(exists("unified/c"));
	assert_string_equal(content("unified/cgroup.subtree_control"), "");
	destroy(&cg);
}

/* ---- v2 ---- */

static void test_v2_subtree_control_enables_only_missing_controllers(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_pids_limit = true,
				      .pids_limit = 10,
				      .has_cpu_shares = true,
				      .cpu_shares = 1024 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu memory pids io cpuset\n");
	put(fake.root, "cgroup.subtree_control", "memory\n");
	create(&cg, "/a/b", &res);
	assert_string_equal(content("cgroup.subtree_control"), "+cpu +pids");
	assert_string_equal(content("a/cgroup.subtree_control"), "+cpu +memory +pids");
	assert_string_equal(content("a/b/cgroup.subtree_control"), "");
	destroy(&cg);
	assert_false(exists("a"));
}

static void test_v2_subtree_control_untouched_when_all_enabled(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu memory pids\n");
	put(fake.root, "cgroup.subtree_control", "cpu memory pids\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("cgroup.subtree_control"), "cpu memory pids\n");
	destroy(&cg);
}

static void test_v2_unavailable_controller_is_enotsup_naming_it(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu memory pids\n");
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOTSUP);
	assert_contains(err.msg, "cgroup controller io is not available in");
	assert_contains(err.msg, fake.root);
	assert_false(exists("c"));
}

/*
 * An OCI container tracks memory, pids and cpu where the host has them; a
 * limit on one the host lacks must still be refused up front, naming it, not
 * fail later on a missing memory.max.
 */
static void test_v2_tracked_controller_with_a_limit_stays_required(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup_params p;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("hugetlb\n");
	p = params("/c");
	p.all_controllers = true;
	assert_int_equal(cell_cgroup_create(&cg, &p, &res, &err), -ENOTSUP);
	assert_contains(err.msg, "linux.resources.memory: cgroup controller memory is not "
				 "available in");
	assert_false(exists("c"));
}

static void test_v2_unavailable_controller_names_the_unified_key(void **state)
{
	struct cell_kv kv = { .key = "pids.max", .value = "10" };
	struct cell_resources res = { .unified = &kv, .n_unified = 1 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOTSUP);
	assert_contains(err.msg, "linux.resources.unified.\"pids.max\": cgroup controller pids");
}

/* update of a limit the container was created without: the parent enables it, as crun's */
static void test_v2_join_missing_enables_through_every_ancestor(void **state)
{
	struct cell_resources res = { .cpuset_cpus = "0" };
	struct cell_cgroup_params p;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpuset memory\n");
	create(&cg, "/a/b", NULL);
	assert_false(cg.controllers & (1u << CELL_CG_CPUSET));
	p = params("/a/b");
	assert_int_equal(cell_cgroup_join_missing(&cg, &p, &res, &err), 1);
	assert_string_equal(content("cgroup.subtree_control"), "+cpuset");
	assert_string_equal(content("a/cgroup.subtree_control"), "+cpuset");
	assert_true(cg.controllers & (1u << CELL_CG_CPUSET));
	assert_int_equal(cell_cgroup_join_missing(&cg, &p, &res, &err), 0);
	destroy(&cg);
}

static void test_v2_join_missing_refuses_what_the_host_lacks_naming_it(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 8 };
	struct cell_cgroup_params p;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	p = params("/c");
	assert_int_equal(cell_cgroup_join_missing(&cg, &p, &res, &err), -ENOTSUP);
	assert_contains(err.msg, "linux.resources.pids.limit: cgroup controller pids");
	destroy(&cg);
}

static void test_v2_no_limits_skips_unavailable_tracking_controllers(void **state)
{
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	assert_int_equal(cg.controllers, 1u << CELL_CG_MEMORY);
	assert_string_equal(content("cgroup.subtree_control"), "+memory");
	destroy(&cg);
}

static void test_v2_limits_written(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 96 * MiB,
				      .has_cpu_shares = true,
				      .cpu_shares = 1024,
				      .has_cpu_quota = true,
				      .cpu_quota = -1,
				      .cpuset_cpus = (char *)"0-1",
				      .cpuset_mems = (char *)"0",
				      .has_pids_limit = true,
				      .pids_limit = -1 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu memory pids io cpuset\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/memory.max"), "67108864");
	assert_string_equal(content("c/memory.swap.max"), "33554432");
	assert_string_equal(content("c/cpu.weight"), "39");
	assert_string_equal(content("c/cpu.max"), "max 100000");
	assert_string_equal(content("c/cpuset.cpus"), "0-1");
	assert_string_equal(content("c/cpuset.mems"), "0");
	assert_string_equal(content("c/pids.max"), "max");
	destroy(&cg);
}

static void test_v2_unlimited_memory_and_swap_write_max(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = -1,
				      .has_memory_swap = true,
				      .memory_swap = -1 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/memory.max"), "max");
	assert_string_equal(content("c/memory.swap.max"), "max");
	destroy(&cg);
}

static void test_v2_cpu_max_holds_quota_and_period(void **state)
{
	struct cell_resources res = { .has_cpu_quota = true,
				      .cpu_quota = 50000,
				      .has_cpu_period = true,
				      .cpu_period = 200000 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/cpu.max"), "50000 200000");
	destroy(&cg);
	res.has_cpu_period = false;
	create(&cg, "/c", &res);
	assert_string_equal(content("c/cpu.max"), "50000 100000");
	destroy(&cg);
}

static void test_v2_io_weight_is_mapped_to_io_weight_range(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("io\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.weight"), "default 4950");
	destroy(&cg);
	res.blkio_weight = 10;
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.weight"), "default 1");
	destroy(&cg);
	res.blkio_weight = 1000;
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.weight"), "default 10000");
	destroy(&cg);
}

static void test_v2_io_weight_falls_back_to_bfq(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_cgroup cg;

	(void)state;
	fake.weight = WEIGHT_BFQ;
	build_v2("io\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.bfq.weight"), "500");
	destroy(&cg);
}

static void test_v2_io_weight_without_files_is_enotsup_naming_dir(void **state)
{
	struct cell_resources res = { .has_blkio_weight = true, .blkio_weight = 500 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	fake.weight = WEIGHT_NONE;
	build_v2("io\n");
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOTSUP);
	assert_contains(err.msg, "no io.weight or io.bfq.weight in");
	assert_contains(err.msg, under_root("c"));
	assert_false(exists("c"));
}

static void test_v2_io_max_takes_one_rule_per_write(void **state)
{
	struct cell_device_rate rd = { 8, 0, 1048576 }, wr = { 8, 16, 2048 };
	struct cell_resources res = { .read_bps = &rd, .n_read_bps = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("io\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.max"), "8:0 rbps=1048576");
	destroy(&cg);
	res = (struct cell_resources){ .write_bps = &wr, .n_write_bps = 1 };
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.max"), "8:16 wbps=2048");
	destroy(&cg);
}

static void test_v2_relative_path_lands_under_self_cgroup(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu memory pids\n");
	put(fake.root, "cgroup.subtree_control", "pids\n");
	premade("user.slice");
	write_self("0::/user.slice\n");
	create(&cg, "cell-abc", &res);
	assert_string_equal(cg.dirs[0], under_root("user.slice/cell-abc"));
	assert_string_equal(content("user.slice/cgroup.subtree_control"), "+pids");
	assert_string_equal(content("user.slice/cell-abc/pids.max"), "10");
	destroy(&cg);
	assert_true(exists("user.slice"));
	assert_false(exists("user.slice/cell-abc"));
}

static void test_v2_absolute_path_lands_under_root(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("pids\n");
	write_self("0::/user.slice\n");
	create(&cg, "/cell-abc", &res);
	assert_string_equal(cg.dirs[0], under_root("cell-abc"));
	destroy(&cg);
}

static void test_v2_opens_leaf_for_clone_into_cgroup(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct stat by_fd, by_path;
	struct cell_cgroup cg;

	(void)state;
	build_v2("pids\n");
	create(&cg, "/c", &res);
	assert_true(cg.v2_fd >= 0);
	assert_int_equal(fstat(cg.v2_fd, &by_fd), 0);
	assert_int_equal(stat(under_root("c"), &by_path), 0);
	assert_int_equal(by_fd.st_ino, by_path.st_ino);
	assert_true(fcntl(cg.v2_fd, F_GETFD) & FD_CLOEXEC);
	destroy(&cg);
}

static void test_v2_enter_writes_pid_to_leaf(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("pids\n");
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_enter(&cg, 31337, NULL), 0);
	assert_string_equal(content("c/cgroup.procs"), "31337");
	destroy(&cg);
}

static void test_v2_oom_killed_reads_memory_events(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", &res);
	assert_false(cell_cgroup_oom_killed(&cg));
	put(under_root("c"), "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 2\n");
	assert_true(cell_cgroup_oom_killed(&cg));
	destroy(&cg);
}

/* /dev/full reads as empty (NULs) and refuses writes with ENOSPC. */
static void test_v2_subtree_control_write_failure_names_file_and_creates_nothing(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	char expect[2 * PATH_MAX];

	(void)state;
	build_v2("pids\n");
	assert_int_equal(unlink(under_root("cgroup.subtree_control")), 0);
	assert_int_equal(symlink("/dev/full", under_root("cgroup.subtree_control")), 0);
	assert_int_equal(create_fails(&cg, "/c", &res, &err), -ENOSPC);
	snprintf(expect, sizeof(expect), "cannot write \"+pids\" to %s",
		 under_root("cgroup.subtree_control"));
	assert_contains(err.msg, expect);
	assert_false(exists("c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_to_weight_matches_crun),
		cmocka_unit_test(test_shares_to_weight_clamps_out_of_range),
		cmocka_unit_test(test_resources_any_sees_each_kind_of_limit),
		FAKE_TEST(test_detect_v2_when_root_has_cgroup_controllers),
		FAKE_TEST(test_detect_hybrid_when_unified_has_cgroup_controllers),
		FAKE_TEST(test_detect_v1_without_cgroup_controllers),
		FAKE_TEST(test_detect_missing_root_names_it),
		FAKE_TEST(test_cgroups_path_with_dotdot_or_no_name_is_einval),
		FAKE_TEST(test_swap_below_memory_limit_is_einval_before_any_mkdir),
		FAKE_TEST(test_v1_only_needed_hierarchies_get_directories),
		FAKE_TEST(test_v1_no_limits_tracks_in_memory_pids_cpu_cpuacct),
		FAKE_TEST(test_v1_cpu_split_reads_usage_user_and_sys),
		FAKE_TEST(test_v2_cpu_split_reads_cpu_stat),
		FAKE_TEST(test_v1_no_limits_skips_unmounted_tracking_controller),
		FAKE_TEST(test_v1_limit_on_unmounted_controller_names_it),
		FAKE_TEST(test_v1_comounted_controllers_share_one_directory),
		FAKE_TEST(test_v1_absolute_path_lands_under_hierarchy_root),
		FAKE_TEST(test_v1_relative_path_lands_under_self_cgroup),
		FAKE_TEST(test_v1_relative_path_reads_comma_joined_controller_line),
		FAKE_TEST(test_v1_relative_path_without_self_line_is_enoent),
		FAKE_TEST(test_v1_existing_leaf_is_eexist_and_stays),
		FAKE_TEST(test_v1_memory_limit_and_swap_written),
		FAKE_TEST(test_v1_memory_unlimited_writes_minus_one),
		FAKE_TEST(test_v1_swap_limit_without_memsw_is_enotsup_naming_file),
		FAKE_TEST(test_v1_unlimited_swap_without_memsw_is_accepted),
		FAKE_TEST(test_v1_cpu_shares_and_unlimited_quota_written),
		FAKE_TEST(test_v1_cpu_period_written_before_quota),
		FAKE_TEST(test_v1_cpuset_copies_parent_into_created_dirs_when_unset),
		FAKE_TEST(test_v1_cpuset_leaves_preexisting_parent_alone),
		FAKE_TEST(test_v1_pids_unlimited_writes_max),
		FAKE_TEST(test_v1_blkio_weight_prefers_blkio_weight),
		FAKE_TEST(test_v1_blkio_weight_falls_back_to_bfq),
		FAKE_TEST(test_v1_blkio_weight_without_files_is_enotsup_naming_dir),
		FAKE_TEST(test_v1_blkio_throttle_writes_one_device_per_write),
		FAKE_TEST(test_failed_write_removes_every_created_dir),
		FAKE_TEST(test_failed_mkdir_in_second_hierarchy_removes_the_first),
		FAKE_TEST(test_more_new_dirs_than_recordable_is_e2big_and_removes_all),
		FAKE_TEST(test_rootless_mkdir_eacces_mentions_delegation),
		FAKE_TEST(test_root_mkdir_eacces_has_no_delegation_hint),
		FAKE_TEST(test_v1_leaf_below_existing_parents_is_one_mkdir),
		FAKE_TEST(test_destroy_removes_only_created_dirs),
		FAKE_TEST(test_destroy_retries_busy_rmdir),
		FAKE_TEST(test_destroy_gives_up_on_lasting_ebusy_naming_dir),
		FAKE_TEST(test_destroy_accepts_dir_already_gone),
		FAKE_TEST(test_destroy_twice_and_on_zeroed_struct_is_safe),
		FAKE_TEST(test_v1_enter_writes_pid_to_each_hierarchy),
		cmocka_unit_test(test_enter_before_create_is_einval),
		FAKE_TEST(test_v1_oom_killed_parses_oom_kill_count),
		FAKE_TEST(test_oom_killed_false_without_memory_controller),
		FAKE_TEST(test_hybrid_uses_v1_hierarchies_and_leaves_unified_alone),
		FAKE_TEST(test_v2_subtree_control_enables_only_missing_controllers),
		FAKE_TEST(test_v2_subtree_control_untouched_when_all_enabled),
		FAKE_TEST(test_v2_unavailable_controller_is_enotsup_naming_it),
		FAKE_TEST(test_v2_tracked_controller_with_a_limit_stays_required),
		FAKE_TEST(test_v2_unavailable_controller_names_the_unified_key),
		FAKE_TEST(test_v2_join_missing_enables_through_every_ancestor),
		FAKE_TEST(test_v2_join_missing_refuses_what_the_host_lacks_naming_it),
		FAKE_TEST(test_v2_no_limits_skips_unavailable_tracking_controllers),
		FAKE_TEST(test_v2_limits_written),
		FAKE_TEST(test_v2_unlimited_memory_and_swap_write_max),
		FAKE_TEST(test_v2_cpu_max_holds_quota_and_period),
		FAKE_TEST(test_v2_io_weight_is_mapped_to_io_weight_range),
		FAKE_TEST(test_v2_io_weight_falls_back_to_bfq),
		FAKE_TEST(test_v2_io_weight_without_files_is_enotsup_naming_dir),
		FAKE_TEST(test_v2_io_max_takes_one_rule_per_write),
		FAKE_TEST(test_v2_relative_path_lands_under_self_cgroup),
		FAKE_TEST(test_v2_absolute_path_lands_under_root),
		FAKE_TEST(test_v2_opens_leaf_for_clone_into_cgroup),
		FAKE_TEST(test_v2_enter_writes_pid_to_leaf),
		FAKE_TEST(test_v2_oom_killed_reads_memory_events),
		FAKE_TEST(test_v2_subtree_control_write_failure_names_file_and_creates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
