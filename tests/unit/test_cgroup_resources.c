/*
 * Unit tests for the rest of linux.resources (memory, cpu, blockIO extras,
 * devices, hugepages, network, rdma, unified), their validation, and the
 * lifecycle API (save/open, update, freeze, pids, kill, OOM counts, stats),
 * on the fake v1, v2 and hybrid trees of fake_cgroup.h. Each test's name
 * says the behaviour it pins down.
 */
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>

#include "fake_cgroup.h"

#include "cgroup_internal.h"

#define FAKE_FILE_MAX 4096

/*
 * record() - make @rel a FIFO-backed recorder: cgroupfs takes one rule per
 * write and a plain file would keep the last one only, so the file becomes a
 * symlink to a pipe's write end (O_TRUNC means nothing to a pipe); recorded()
 * reads every write back.
 */
static int record(const char *rel)
{
	int p[2];
	char target[64];

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", p[1]);
	assert_int_equal(unlink(under_root(rel)), 0);
	assert_int_equal(symlink(target, under_root(rel)), 0);
	return p[0];
}

static const char *recorded(int fd)
{
	static char buf[FAKE_FILE_MAX];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void fail_with(const char *path, const struct cell_resources *res, int want,
		      const char *needle)
{
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	assert_int_equal(create_fails(&cg, path, res, &err), want);
	assert_contains(err.msg, needle);
}

/* ---- memory ---- */

static void test_v1_memory_extras_written(void **state)
{
	struct cell_resources res = { .has_memory_reservation = true,
				      .memory_reservation = 32 * MiB,
				      .has_memory_kernel_tcp = true,
				      .memory_kernel_tcp = 8 * MiB,
				      .has_memory_swappiness = true,
				      .memory_swappiness = 10,
				      .has_disable_oom_killer = true,
				      .disable_oom_killer = true,
				      .has_use_hierarchy = true,
				      .use_hierarchy = true };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("memory/c/memory.soft_limit_in_bytes"), "33554432");
	assert_string_equal(content("memory/c/memory.kmem.tcp.limit_in_bytes"), "8388608");
	assert_string_equal(content("memory/c/memory.swappiness"), "10");
	assert_string_equal(content("memory/c/memory.oom_control"), "1");
	assert_string_equal(content("memory/c/memory.use_hierarchy"), "1");
	destroy(&cg);
}

static void test_v2_reservation_is_memory_low(void **state)
{
	struct cell_resources res = { .has_memory_reservation = true, .memory_reservation = -1 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/memory.low"), "max");
	destroy(&cg);
}

static void test_v2_v1_only_memory_fields_are_enotsup_naming_field(void **state)
{
	struct cell_resources tcp = { .has_memory_kernel_tcp = true, .memory_kernel_tcp = 1 };
	struct cell_resources swappy = { .has_memory_swappiness = true, .memory_swappiness = 1 };
	struct cell_resources oom = { .has_disable_oom_killer = true, .disable_oom_killer = true };
	struct cell_resources oom_off = { .has_disable_oom_killer = true };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	fail_with("/c", &tcp, -ENOTSUP, "linux.resources.memory.kernelTCP");
	fail_with("/c", &swappy, -ENOTSUP, "linux.resources.memory.swappiness");
	fail_with("/c", &oom, -ENOTSUP, "linux.resources.memory.disableOOMKiller");
	create(&cg, "/c", &oom_off); /* false asks for what v2 does anyway */
	destroy(&cg);
}

/* ---- cpu ---- */

static void test_v1_cpu_burst_realtime_idle_written_period_first(void **state)
{
	struct cell_resources res = { .has_cpu_burst = true,
				      .cpu_burst = 5000,
				      .has_cpu_realtime_period = true,
				      .cpu_realtime_period = 1000000,
				      .has_cpu_realtime_runtime = true,
				      .cpu_realtime_runtime = 950000,
				      .has_cpu_idle = true,
				      .cpu_idle = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("cpu/c/cpu.cfs_burst_us"), "5000");
	assert_string_equal(content("cpu/c/cpu.rt_period_us"), "1000000");
	assert_string_equal(content("cpu/c/cpu.rt_runtime_us"), "950000");
	assert_string_equal(content("cpu/c/cpu.idle"), "1");
	destroy(&cg);
}

static void test_v2_cpu_burst_and_idle_written(void **state)
{
	struct cell_resources res = {
		.has_cpu_burst = true, .cpu_burst = 7, .has_cpu_idle = true, .cpu_idle = 1
	};
	struct cell_cgroup cg;

	(void)state;
	build_v2("cpu\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/cpu.max.burst"), "7");
	assert_string_equal(content("c/cpu.idle"), "1");
	destroy(&cg);
}

static void test_v2_realtime_is_enotsup_and_idle_out_of_range_einval(void **state)
{
	struct cell_resources rt = { .has_cpu_realtime_runtime = true, .cpu_realtime_runtime = 1 };
	struct cell_resources idle = { .has_cpu_idle = true, .cpu_idle = 2 };

	(void)state;
	build_v2("cpu\n");
	fail_with("/c", &rt, -ENOTSUP, "linux.resources.cpu.realtimeRuntime");
	fail_with("/c", &idle, -EINVAL, "linux.resources.cpu.idle 2: expected 0 or 1");
	assert_false(exists("c"));
}

/* ---- block I/O ---- */

static void test_v1_blkio_leaf_weight_weight_device_and_iops_written(void **state)
{
	struct cell_device_weight wd = { .major = 8,
					 .minor = 0,
					 .has_weight = true,
					 .weight = 300,
					 .has_leaf_weight = true,
					 .leaf_weight = 200 };
	struct cell_device_rate iops = { .major = 8, .minor = 16, .rate = 100 };
	struct cell_resources res = { .has_blkio_leaf_weight = true,
				      .blkio_leaf_weight = 500,
				      .weight_devices = &wd,
				      .n_weight_devices = 1,
				      .read_iops = &iops,
				      .n_read_iops = 1,
				      .write_iops = &iops,
				      .n_write_iops = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("blkio/c/blkio.leaf_weight"), "500");
	assert_string_equal(content("blkio/c/blkio.weight_device"), "8:0 300");
	assert_string_equal(content("blkio/c/blkio.leaf_weight_device"), "8:0 200");
	assert_string_equal(content("blkio/c/blkio.throttle.read_iops_device"), "8:16 100");
	assert_string_equal(content("blkio/c/blkio.throttle.write_iops_device"), "8:16 100");
	destroy(&cg);
}

static void test_v1_bfq_weight_device_and_no_leaf_weight(void **state)
{
	struct cell_device_weight wd = {
		.major = 8, .minor = 0, .has_weight = true, .weight = 300
	};
	struct cell_resources res = { .weight_devices = &wd, .n_weight_devices = 1 };
	struct cell_resources leaf = { .has_blkio_leaf_weight = true, .blkio_leaf_weight = 500 };
	struct cell_cgroup cg;

	(void)state;
	fake.weight = WEIGHT_BFQ;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_string_equal(content("blkio/c/blkio.bfq.weight_device"), "8:0 300");
	destroy(&cg);
	fail_with("/c", &leaf, -ENOTSUP, "linux.resources.blockIO.leafWeight: not supported");
}

static void test_v2_weight_device_and_iops_go_to_io_files(void **state)
{
	struct cell_device_weight wd = { .major = 8, .minor = 0, .has_weight = true, .weight = 10 };
	struct cell_device_rate iops = { .major = 8, .minor = 0, .rate = 50 };
	struct cell_resources res = {
		.weight_devices = &wd, .n_weight_devices = 1, .write_iops = &iops, .n_write_iops = 1
	};
	struct cell_cgroup cg;

	(void)state;
	build_v2("io\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("c/io.weight"), "8:0 1");
	assert_string_equal(content("c/io.max"), "8:0 wiops=50");
	destroy(&cg);
}

static void test_v2_leaf_weight_is_enotsup(void **state)
{
	struct cell_resources res = { .has_blkio_leaf_weight = true, .blkio_leaf_weight = 100 };

	(void)state;
	build_v2("io\n");
	fail_with("/c", &res, -ENOTSUP, "linux.resources.blockIO.leafWeight");
}

/* ---- devices ---- */

static int allow_fd = -1, deny_fd = -1;

static void record_devices(const char *path)
{
	if (strcmp(path, under_root("devices/c")) != 0)
		return;
	allow_fd = record("devices/c/devices.allow");
	deny_fd = record("devices/c/devices.deny");
}

static void test_v1_device_rules_written_in_order_deny_all_as_a(void **state)
{
	struct cell_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw" },
		{ .allow = true, .type = 'c', .major = 136, .minor = -1, .access = "" },
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "m" },
	};
	struct cell_resources res = { .devices = rules, .n_devices = 4 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_EXTRA);
	fake.after_mkdir = record_devices;
	create(&cg, "/c", &res);
	/* "a" resets the list; a narrower "all" rule is one rule per type. */
	assert_string_equal(recorded(deny_fd), "ac *:* mb *:* m");
	assert_string_equal(recorded(allow_fd), "c 1:3 rwc 136:* rwm");
	destroy(&cg);
	close(allow_fd);
	close(deny_fd);
}

static void test_rootless_device_rules_are_skipped(void **state)
{
	struct cell_device_rule rule = {
		.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"
	};
	struct cell_resources res = {
		.devices = &rule, .n_devices = 1, .has_pids_limit = true, .pids_limit = 10
	};
	struct cell_cgroup_params p;
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_EXTRA);
	assert_false(cell_resources_need_cgroup(
		&(struct cell_resources){ .devices = &rule, .n_devices = 1 }, true));
	assert_true(cell_resources_need_cgroup(
		&(struct cell_resources){ .devices = &rule, .n_devices = 1 }, false));
	p = params("/c");
	p.rootless = true;
	assert_int_equal(cell_cgroup_create(&cg, &p, &res, &err), 0);
	assert_null(cg.dirs[CELL_CG_DEVICES]);
	assert_false(exists("devices/c"));
	destroy(&cg);
}

static void test_device_rule_with_bad_type_or_access_is_einval_naming_index(void **state)
{
	struct cell_device_rule rules[] = {
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw" },
		{ .allow = true, .type = 'x', .major = 1, .minor = 3, .access = "rw" },
	};
	struct cell_resources res = { .devices = rules, .n_devices = 2 };

	(void)state;
	build_v1(V1_EXTRA);
	fail_with("/c", &res, -EINVAL, "linux.resources.devices[1].type \"x\"");
	rules[1].type = 'b';
	memcpy(rules[1].access, "rwx", 4);
	fail_with("/c", &res, -EINVAL, "linux.resources.devices[1].access \"rwx\"");
}

/*
 * run_program() - a tiny interpreter for the instructions
 * cgroup_devices_program() emits, so the tests check what the program
 * decides, not how it is spelled.
 */
static int run_program(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major,
		       uint32_t minor)
{
	uint32_t ctx[3] = { ((uint32_t)access << 16) | (uint32_t)type, major, minor };
	uint64_t reg[11] = { 0 };
	size_t pc;

	for (pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint32_t d = (uint32_t)reg[i->dst_reg];

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, 1);
			reg[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			reg[i->dst_reg] = (uint32_t)reg[i->src_reg];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			reg[i->dst_reg] = d & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			reg[i->dst_reg] = d >> i->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			reg[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			pc += d != (uint32_t)i->imm ? (size_t)i->off : 0;
			break;
		case BPF_JMP32 | BPF_JEQ | BPF_K:
			pc += d == (uint32_t)i->imm ? (size_t)i->off : 0;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)reg[0];
		default:
			fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
	}
	fail_msg("the program ran off its end");
	return -1;
}

#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

static void test_device_program_last_match_wins(void **state)
{
	struct cell_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = -1, .access = "rwm" },
		{ .allow = false, .type = 'c', .major = 1, .minor = 3, .access = "r" },
		{ .allow = true, .type = 'b', .major = 8, .minor = 0, .access = "r" },
	};
	struct bpf_insn *p = NULL;
	size_t n;

	(void)state;
	assert_int_equal(cgroup_devices_program(rules, 4, &p, &n, NULL), 0);
	assert_int_equal(run_program(p, n, CHR, R, 1, 3), 0);	  /* read denied by the last */
	assert_int_equal(run_program(p, n, CHR, W, 1, 3), 1);	  /* write left to c 1:* */
	assert_int_equal(run_program(p, n, CHR, R | W, 1, 3), 0); /* any denied part denies */
	assert_int_equal(run_program(p, n, CHR, R | W | M, 1, 5), 1);
	assert_int_equal(run_program(p, n, BLK, R, 8, 0), 1);
	assert_int_equal(run_program(p, n, BLK, R | W, 8, 0), 0); /* allow grants r only */
	assert_int_equal(run_program(p, n, BLK, R, 1, 3), 0);	  /* type matters */
	assert_int_equal(run_program(p, n, CHR, R, 4, 1), 0);	  /* the first rule: deny all */
	free(p);
}

static void test_device_program_without_catch_all_allows_the_rest(void **state)
{
	struct cell_device_rule rule = {
		.allow = false, .type = 'c', .major = 1, .minor = 3, .access = "rwm"
	};
	struct bpf_insn *p = NULL;
	size_t n;

	(void)state;
	assert_int_equal(cgroup_devices_program(&rule, 1, &p, &n, NULL), 0);
	assert_int_equal(run_program(p, n, CHR, R, 1, 3), 0);
	assert_int_equal(run_program(p, n, CHR, R, 1, 5), 1);
	assert_int_equal(run_program(p, n, BLK, W, 1, 3), 1);
	free(p);
}

static void test_device_program_stops_at_an_unconditional_rule(void **state)
{
	struct cell_device_rule rules[] = {
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "" },
	};
	struct bpf_insn *p = NULL;
	size_t n;

	(void)state;
	assert_int_equal(cgroup_devices_program(rules, 2, &p, &n, NULL), 0);
	assert_int_equal(n, 6 + 2); /* prologue, then "deny" + exit: the rest is dead code */
	assert_int_equal(run_program(p, n, CHR, R, 1, 3), 0);
	free(p);
}

/* ---- hugepages, network, rdma, unified ---- */

static void test_v1_hugetlb_limit_written_and_unknown_size_names_path(void **state)
{
	struct cell_hugepage_limit h = { .page_size = (char *)"2048kB", .limit = 4 * MiB };
	struct cell_resources res = { .hugepage_limits = &h, .n_hugepage_limits = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_EXTRA);
	create(&cg, "/c", &res);
	assert_string_equal(content("hugetlb/c/hugetlb.2MB.limit_in_bytes"), "4194304");
	destroy(&cg);
	h.page_size = (char *)"1GB";
	fail_with("/c", &res, -EINVAL,
		  "linux.resources.hugepageLimits[0].pageSize \"1GB\": "
		  "this kernel has no such huge page size");
	h.page_size = (char *)"big";
	fail_with("/c", &res, -EINVAL, "linux.resources.hugepageLimits[0].pageSize \"big\"");
}

static void test_hybrid_hugetlb_goes_to_unified_and_is_joined(void **state)
{
	struct cell_hugepage_limit h = { .page_size = (char *)"2MB", .limit = 2 * MiB };
	struct cell_resources res = { .hugepage_limits = &h, .n_hugepage_limits = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	assert_int_equal(mkdir(under_root("unified"), 0755), 0);
	put(under_root("unified"), "cgroup.controllers", "hugetlb\n");
	put(under_root("unified"), "cgroup.subtree_control", "");
	fake.v2 = true; /* directories made from here on are cgroup2's */
	write_self("4:memory:/\n3:cpuset:/\n2:cpu,cpuacct:/\n0::/\n");
	create(&cg, "/c", &res);
	assert_true(cg.unified & (1u << CELL_CG_HUGETLB));
	assert_string_equal(content("unified/cgroup.subtree_control"), "+hugetlb");
	assert_string_equal(content("unified/c/hugetlb.2MB.max"), "2097152");
	assert_int_equal(cell_cgroup_enter(&cg, 42, NULL), 0);
	assert_string_equal(content("unified/c/cgroup.procs"), "42");
	destroy(&cg);
	assert_false(exists("unified/c"));
}

static void test_v1_net_cls_and_net_prio_written(void **state)
{
	struct cell_net_priority prio[] = { { .name = (char *)"eth0", .priority = 5 } };
	struct cell_resources res = { .has_net_class_id = true,
				      .net_class_id = 0x100001,
				      .net_priorities = prio,
				      .n_net_priorities = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(V1_EXTRA);
	create(&cg, "/c", &res);
	assert_string_equal(content("net_cls/c/net_cls.classid"), "1048577");
	assert_string_equal(content("net_prio/c/net_prio.ifpriomap"), "eth0 5");
	destroy(&cg);
}

static void test_v2_network_is_enotsup_naming_field(void **state)
{
	struct cell_resources res = { .has_net_class_id = true, .net_class_id = 1 };

	(void)state;
	build_v2("memory\n");
	fail_with("/c", &res, -ENOTSUP, "linux.resources.network: not available");
}

static void test_v2_rdma_hugetlb_and_unified_written(void **state)
{
	struct cell_rdma_limit rdma = { .device = (char *)"mlx5_0",
					.has_hca_handles = true,
					.hca_handles = 3,
					.has_hca_objects = true,
					.hca_objects = 9 };
	struct cell_hugepage_limit h = { .page_size = (char *)"2MB", .limit = 2 * MiB };
	struct cell_kv kv = { .key = (char *)"memory.high", .value = (char *)"1000000" };
	struct cell_resources res = { .rdma = &rdma,
				      .n_rdma = 1,
				      .hugepage_limits = &h,
				      .n_hugepage_limits = 1,
				      .unified = &kv,
				      .n_unified = 1 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory rdma hugetlb\n");
	create(&cg, "/c", &res);
	assert_string_equal(content("cgroup.subtree_control"), "+memory +hugetlb +rdma");
	assert_string_equal(content("c/rdma.max"), "mlx5_0 hca_handle=3 hca_object=9");
	assert_string_equal(content("c/hugetlb.2MB.max"), "2097152");
	assert_string_equal(content("c/memory.high"), "1000000");
	destroy(&cg);
}

static void test_unified_key_errors_name_the_key(void **state)
{
	struct cell_kv kv = { .key = (char *)"../memory.max", .value = (char *)"1" };
	struct cell_resources res = { .unified = &kv, .n_unified = 1 };

	(void)state;
	build_v2("memory\n");
	fail_with("/c", &res, -EINVAL, "linux.resources.unified.\"../memory.max\"");
	kv.key = (char *)"..";
	fail_with("/c", &res, -EINVAL, "linux.resources.unified.\"..\"");
}

static void test_unified_on_v1_host_is_enotsup_naming_key(void **state)
{
	struct cell_kv kv = { .key = (char *)"memory.high", .value = (char *)"1" };
	struct cell_resources res = { .unified = &kv, .n_unified = 1 };

	(void)state;
	build_v1(0);
	fail_with("/c", &res, -ENOTSUP,
		  "linux.resources.unified.\"memory.high\": this host has only cgroup v1");
}

static void test_unified_on_hybrid_needs_the_controller_there(void **state)
{
	struct cell_kv kv = { .key = (char *)"memory.high", .value = (char *)"1" };
	struct cell_resources res = { .unified = &kv, .n_unified = 1 };

	(void)state;
	build_v1(0);
	assert_int_equal(mkdir(under_root("unified"), 0755), 0);
	put(under_root("unified"), "cgroup.controllers", "hugetlb\n");
	fail_with("/c", &res, -ENOTSUP, "the unified hierarchy");
}

static void test_validate_swappiness_and_shares_name_json_path(void **state)
{
	struct cell_resources res = { .has_memory_swappiness = true, .memory_swappiness = 101 };
	struct cell_cgroup_params p;
	struct cell_error err = { 0 };

	(void)state;
	build_v1(0);
	p = params("/c");
	assert_int_equal(cell_cgroup_validate(&p, &res, &err), -EINVAL);
	assert_contains(err.msg, "linux.resources.memory.swappiness 101: expected 0 to 100");
	res = (struct cell_resources){ .has_cpu_shares = true, .cpu_shares = 1 };
	assert_int_equal(cell_cgroup_validate(&p, &res, &err), -EINVAL);
	assert_contains(err.msg, "linux.resources.cpu.shares 1: expected 2 to 262144");
}

static void test_hugetlb_name_uses_the_kernels_unit(void **state)
{
	char name[16];
	uint64_t kib;

	(void)state;
	assert_int_equal(cgroup_hugetlb_name("2048kB", name, sizeof(name), &kib), 0);
	assert_string_equal(name, "2MB");
	assert_int_equal(kib, 2048);
	assert_int_equal(cgroup_hugetlb_name("1G", name, sizeof(name), &kib), 0);
	assert_string_equal(name, "1GB");
	assert_int_equal(cgroup_hugetlb_name("64KB", name, sizeof(name), &kib), 0);
	assert_string_equal(name, "64KB");
	assert_int_equal(cgroup_hugetlb_name("2XB", name, sizeof(name), &kib), -EINVAL);
	assert_int_equal(cgroup_hugetlb_name("-2MB", name, sizeof(name), &kib), -EINVAL);
}

/* ---- lifecycle ---- */

static void reopen(struct cell_cgroup *cg, const char *saved)
{
	struct cell_cgroup_params p = params(NULL);
	struct cell_error err = { 0 };

	if (cell_cgroup_open(cg, &p, saved, &err) < 0)
		fail_msg("cell_cgroup_open: %s", err.msg);
}

static void test_save_and_open_give_back_dirs_and_created(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup cg, back;
	char *text = NULL;
	int c;

	(void)state;
	build_v1(V1_EXTRA);
	create(&cg, "/a/c", &res);
	assert_int_equal(cell_cgroup_save(&cg, &text, NULL), 0);
	reopen(&back, text);
	assert_int_equal(back.controllers, cg.controllers);
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (cg.dirs[c])
			assert_string_equal(back.dirs[c], cg.dirs[c]);
	assert_int_equal(back.n_created, cg.n_created);
	cell_cgroup_forget(&cg); /* the reopened one removes it */
	destroy(&back);
	assert_false(exists("memory/a"));
	assert_false(exists("freezer/a"));
	free(text);
}

static void test_open_refuses_a_saved_path_outside_the_root(void **state)
{
	char saved[PATH_MAX + 64];
	struct cell_cgroup_params p = params(NULL);
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	snprintf(saved, sizeof(saved), "mode v1\ncreated %s/../x\n", fake.root);
	assert_int_equal(cell_cgroup_open(&cg, &p, saved, &err), -EINVAL);
	assert_contains(err.msg, "is not below");
	assert_int_equal(cell_cgroup_open(&cg, &p, "mode v2\n", &err), -EINVAL);
	assert_contains(err.msg, "saved cgroup is v2");
}

static void test_open_by_path_finds_existing_leaves_only(void **state)
{
	struct cell_cgroup_params p = params("/c");
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	premade("memory/c");
	premade("pids/c");
	assert_int_equal(cell_cgroup_open(&cg, &p, NULL, &err), 0);
	assert_int_equal(cg.controllers, (1u << CELL_CG_MEMORY) | (1u << CELL_CG_PIDS));
	assert_int_equal(cg.n_created, 2);
	destroy(&cg);
	assert_false(exists("memory/c"));
	p.cgroups_path = "/none";
	assert_int_equal(cell_cgroup_open(&cg, &p, NULL, &err), -ENOENT);
}

static void test_enter_sub_joins_the_named_controllers_sub_cgroups_v1(void **state)
{
	char *pids_only[] = { (char *)"pids:inner", NULL };
	char *all[] = { (char *)"/inner", NULL };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", NULL);
	premade("pids/c/inner");
	assert_int_equal(cell_cgroup_enter_sub(&cg, 42, pids_only, &err), 0);
	assert_string_equal(content("pids/c/inner/cgroup.procs"), "42");
	assert_string_equal(content("memory/c/cgroup.procs"), "42"); /* not named: its own */
	/* no controller: every one, and the others have no such sub-cgroup */
	assert_int_equal(cell_cgroup_enter_sub(&cg, 43, all, &err), -ENOENT);
	assert_contains(err.msg, "/c/inner: No such file");
	char *escape[] = { (char *)"pids:../x", NULL }, *unknown[] = { (char *)"io:inner", NULL };
	assert_int_equal(cell_cgroup_enter_sub(&cg, 44, escape, &err), -EINVAL);
	assert_int_equal(cell_cgroup_enter_sub(&cg, 44, unknown, &err), -EINVAL);
	assert_contains(err.msg, "unknown controller");
	assert_string_equal(content("pids/c/inner/cgroup.procs"), "42");
	destroy(&cg); /* inner too: it is below what cell made */
	assert_false(exists("pids/c"));
}

static void test_enter_sub_takes_one_path_alone_on_v2(void **state)
{
	char *sub[] = { (char *)"inner", NULL }, *named[] = { (char *)"memory:inner", NULL };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory pids");
	create(&cg, "/c", NULL);
	premade("c/inner");
	assert_int_equal(cell_cgroup_enter_sub(&cg, 42, named, &err), -EINVAL);
	assert_contains(err.msg, "one hierarchy");
	assert_int_equal(cell_cgroup_enter_sub(&cg, 42, sub, &err), 0);
	assert_string_equal(content("c/inner/cgroup.procs"), "42");
	destroy(&cg);
	assert_false(exists("c"));
}

static void test_update_writes_only_the_fields_set(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_pids_limit = true,
				      .pids_limit = 10 };
	struct cell_resources upd = { .has_pids_limit = true, .pids_limit = 20 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	put(under_root("memory/c"), "memory.limit_in_bytes", "sentinel");
	assert_int_equal(cell_cgroup_update(&cg, &upd, NULL), 0);
	assert_string_equal(content("pids/c/pids.max"), "20");
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "sentinel");
	destroy(&cg);
}

static void test_update_of_a_missing_controller_names_it(void **state)
{
	struct cell_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	struct cell_resources upd = { .has_cpu_shares = true, .cpu_shares = 100 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_update(&cg, &upd, &err), -ENOTSUP);
	assert_contains(err.msg, "no cpu controller");
	destroy(&cg);
}

static void test_update_check_before_update_refuses_limit_below_usage(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_resources upd = { .has_memory_limit = true,
				      .memory_limit = 512 * 1024,
				      .check_before_update = true };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_update(&cg, &upd, &err), -EBUSY);
	assert_contains(err.msg, "below the current usage of 1048576 bytes");
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "67108864");
	upd.check_before_update = false;
	assert_int_equal(cell_cgroup_update(&cg, &upd, NULL), 0);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "524288");
	destroy(&cg);
}

static void test_v1_update_raising_memory_and_swap_writes_both(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 64 * MiB };
	struct cell_resources upd = { .has_memory_limit = true,
				      .memory_limit = 128 * MiB,
				      .has_memory_swap = true,
				      .memory_swap = 256 * MiB };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_update(&cg, &upd, NULL), 0);
	assert_string_equal(content("memory/c/memory.limit_in_bytes"), "134217728");
	assert_string_equal(content("memory/c/memory.memsw.limit_in_bytes"), "268435456");
	destroy(&cg);
}

static void test_v1_freeze_and_thaw_write_freezer_state(void **state)
{
	struct cell_cgroup cg;
	bool frozen = false;

	(void)state;
	build_v1(V1_EXTRA);
	create(&cg, "/c", NULL);
	assert_int_equal(cell_cgroup_freeze(&cg, true, NULL), 0);
	assert_string_equal(content("freezer/c/freezer.state"), "FROZEN");
	assert_int_equal(cell_cgroup_frozen(&cg, &frozen, NULL), 0);
	assert_true(frozen);
	assert_int_equal(cell_cgroup_freeze(&cg, false, NULL), 0);
	assert_int_equal(cell_cgroup_frozen(&cg, &frozen, NULL), 0);
	assert_false(frozen);
	destroy(&cg);
}

static void test_v1_freeze_without_freezer_is_enotsup(void **state)
{
	struct cell_error err = { 0 };
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", NULL);
	assert_int_equal(cell_cgroup_freeze(&cg, true, &err), -ENOTSUP);
	assert_contains(err.msg, "no freezer");
	destroy(&cg);
}

static void test_v2_freeze_waits_for_cgroup_events(void **state)
{
	struct cell_cgroup cg;
	bool frozen = false;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	put(under_root("c"), "cgroup.events", "populated 1\nfrozen 1\n"); /* the kernel's answer */
	assert_int_equal(cell_cgroup_freeze(&cg, true, NULL), 0);
	assert_string_equal(content("c/cgroup.freeze"), "1");
	assert_int_equal(cell_cgroup_frozen(&cg, &frozen, NULL), 0);
	assert_true(frozen);
	destroy(&cg);
}

static void test_pids_lists_the_cgroup_and_its_children(void **state)
{
	struct cell_cgroup cg;
	pid_t *pids = NULL;
	size_t n = 0;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	put(under_root("c"), "cgroup.procs", "10\n11\n");
	assert_int_equal(mkdir(under_root("c/sub"), 0755), 0);
	put(under_root("c/sub"), "cgroup.procs", "12\n");
	assert_int_equal(cell_cgroup_pids(&cg, &pids, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[2], 12);
	free(pids);
	unlink(under_root("c/sub/cgroup.procs"));
	rmdir(under_root("c/sub"));
	destroy(&cg);
}

static void test_v2_kill_sigkill_uses_cgroup_kill(void **state)
{
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	put(under_root("c"), "cgroup.kill", "");
	assert_int_equal(cell_cgroup_kill(&cg, SIGKILL, NULL), 0);
	assert_string_equal(content("c/cgroup.kill"), "1");
	destroy(&cg);
}

static void test_oom_count_reads_both_counters(void **state)
{
	struct cell_cgroup_oom oom;
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory\n");
	create(&cg, "/c", NULL);
	put(under_root("c"), "memory.events", "low 0\nhigh 0\nmax 4\noom 3\noom_kill 2\n");
	assert_int_equal(cell_cgroup_oom_count(&cg, &oom, NULL), 0);
	assert_int_equal(oom.oom, 3);
	assert_int_equal(oom.oom_kill, 2);
	destroy(&cg);
}

static void test_v2_stats_from_cpu_memory_pids_io(void **state)
{
	struct cell_resources res = { .has_memory_limit = true,
				      .memory_limit = 64 * MiB,
				      .has_pids_limit = true,
				      .pids_limit = 9 };
	struct cell_cgroup_stats st;
	struct cell_cgroup cg;

	(void)state;
	build_v2("memory pids cpu io hugetlb\n");
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_stats(&cg, &st, NULL), 0);
	assert_int_equal(st.cpu.total, 5000);
	assert_int_equal(st.cpu.user, 3000);
	assert_int_equal(st.cpu.throttled_periods, 1);
	assert_int_equal(st.memory.usage.usage, 1048576);
	assert_int_equal(st.memory.usage.limit, 64 * MiB);
	assert_int_equal(st.memory.cache, 4096);
	assert_int_equal(st.memory.n_raw, 2);
	assert_int_equal(st.pids.current, 3);
	assert_int_equal(st.pids.limit, 9);
	assert_int_equal(st.blkio.n_service_bytes, 2);
	assert_int_equal(st.blkio.service_bytes[1].value, 20);
	assert_string_equal(st.blkio.service_bytes[1].op, "Write");
	assert_int_equal(st.n_hugetlb, 1);
	assert_string_equal(st.hugetlb[0].page_size, "2MB");
	cell_cgroup_stats_free(&st);
	destroy(&cg);
}

static void test_v1_stats_from_memory(void **state)
{
	struct cell_resources res = { .has_memory_limit = true, .memory_limit = 64 * MiB };
	struct cell_cgroup_stats st;
	struct cell_cgroup cg;

	(void)state;
	build_v1(0);
	create(&cg, "/c", &res);
	assert_int_equal(cell_cgroup_stats(&cg, &st, NULL), 0);
	assert_int_equal(st.memory.usage.usage, 1048576);
	assert_int_equal(st.memory.usage.limit, 64 * MiB);
	assert_int_equal(st.memory.swap.usage, 2097152);
	assert_int_equal(st.memory.cache, 4096);
	cell_cgroup_stats_free(&st);
	destroy(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE_TEST(test_v1_memory_extras_written),
		FAKE_TEST(test_v2_reservation_is_memory_low),
		FAKE_TEST(test_v2_v1_only_memory_fields_are_enotsup_naming_field),
		FAKE_TEST(test_v1_cpu_burst_realtime_idle_written_period_first),
		FAKE_TEST(test_v2_cpu_burst_and_idle_written),
		FAKE_TEST(test_v2_realtime_is_enotsup_and_idle_out_of_range_einval),
		FAKE_TEST(test_v1_blkio_leaf_weight_weight_device_and_iops_written),
		FAKE_TEST(test_v1_bfq_weight_device_and_no_leaf_weight),
		FAKE_TEST(test_v2_weight_device_and_iops_go_to_io_files),
		FAKE_TEST(test_v2_leaf_weight_is_enotsup),
		FAKE_TEST(test_v1_device_rules_written_in_order_deny_all_as_a),
		FAKE_TEST(test_rootless_device_rules_are_skipped),
		FAKE_TEST(test_device_rule_with_bad_type_or_access_is_einval_naming_index),
		cmocka_unit_test(test_device_program_last_match_wins),
		cmocka_unit_test(test_device_program_without_catch_all_allows_the_rest),
		cmocka_unit_test(test_device_program_stops_at_an_unconditional_rule),
		FAKE_TEST(test_v1_hugetlb_limit_written_and_unknown_size_names_path),
		FAKE_TEST(test_hybrid_hugetlb_goes_to_unified_and_is_joined),
		FAKE_TEST(test_v1_net_cls_and_net_prio_written),
		FAKE_TEST(test_v2_network_is_enotsup_naming_field),
		FAKE_TEST(test_v2_rdma_hugetlb_and_unified_written),
		FAKE_TEST(test_unified_key_errors_name_the_key),
		FAKE_TEST(test_unified_on_v1_host_is_enotsup_naming_key),
		FAKE_TEST(test_unified_on_hybrid_needs_the_controller_there),
		FAKE_TEST(test_validate_swappiness_and_shares_name_json_path),
		cmocka_unit_test(test_hugetlb_name_uses_the_kernels_unit),
		cmocka_unit_test_setup_teardown(
			test_enter_sub_joins_the_named_controllers_sub_cgroups_v1, fake_setup,
			fake_teardown),
		cmocka_unit_test_setup_teardown(test_enter_sub_takes_one_path_alone_on_v2,
						fake_setup, fake_teardown),
		FAKE_TEST(test_save_and_open_give_back_dirs_and_created),
		FAKE_TEST(test_open_refuses_a_saved_path_outside_the_root),
		FAKE_TEST(test_open_by_path_finds_existing_leaves_only),
		FAKE_TEST(test_update_writes_only_the_fields_set),
		FAKE_TEST(test_update_of_a_missing_controller_names_it),
		FAKE_TEST(test_update_check_before_update_refuses_limit_below_usage),
		FAKE_TEST(test_v1_update_raising_memory_and_swap_writes_both),
		FAKE_TEST(test_v1_freeze_and_thaw_write_freezer_state),
		FAKE_TEST(test_v1_freeze_without_freezer_is_enotsup),
		FAKE_TEST(test_v2_freeze_waits_for_cgroup_events),
		FAKE_TEST(test_pids_lists_the_cgroup_and_its_children),
		FAKE_TEST(test_v2_kill_sigkill_uses_cgroup_kill),
		FAKE_TEST(test_oom_count_reads_both_counters),
		FAKE_TEST(test_v2_stats_from_cpu_memory_pids_io),
		FAKE_TEST(test_v1_stats_from_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
