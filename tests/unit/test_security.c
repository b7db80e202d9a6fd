/*
 * Unit tests for the pure parts of seccomp.c, sysctl.c and sched.c: name
 * tables, runc's argument rule, the sysctl namespace rules and paths, CPU
 * lists, and the validation messages that name the spec field.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "security.h"

static void test_arch_names_map_to_libseccomp_tokens(void **state)
{
	uint32_t token = 0;

	(void)state;
	assert_int_equal(cell_seccomp_arch_from_name("SCMP_ARCH_X86_64", &token), 0);
	assert_int_equal(token, SCMP_ARCH_X86_64);
	assert_int_equal(cell_seccomp_arch_from_name("SCMP_ARCH_AARCH64", &token), 0);
	assert_int_equal(token, SCMP_ARCH_AARCH64);
	assert_int_equal(cell_seccomp_arch_from_name("SCMP_ARCH_RISCV64", &token), 0);
	assert_int_equal(token, SCMP_ARCH_RISCV64);
}

static void test_unknown_arch_is_einval_and_known_but_missing_is_eopnotsupp(void **state)
{
	uint32_t token;
	int r;

	(void)state;
	assert_int_equal(cell_seccomp_arch_from_name("SCMP_ARCH_PDP11", &token), -EINVAL);
	assert_int_equal(cell_seccomp_arch_from_name("x86_64", &token), -EINVAL);
	/* Named by the spec; present or not depending on the libseccomp version. */
	r = cell_seccomp_arch_from_name("SCMP_ARCH_LOONGARCH64", &token);
	assert_true(r == 0 || r == -EOPNOTSUPP);
}

static void test_filter_flags_are_the_kernels(void **state)
{
	unsigned int flag = 0;

	(void)state;
	assert_int_equal(cell_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_TSYNC", &flag), 0);
	assert_int_equal(flag, SECCOMP_FILTER_FLAG_TSYNC);
	assert_int_equal(cell_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_LOG", &flag), 0);
	assert_int_equal(flag, SECCOMP_FILTER_FLAG_LOG);
	assert_int_equal(cell_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &flag), 0);
	assert_int_equal(flag, SECCOMP_FILTER_FLAG_SPEC_ALLOW);
	assert_int_equal(
		cell_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &flag), 0);
	assert_int_equal(flag, 1U << 5);
	/* Not an OCI flag: cell sets it itself for SCMP_ACT_NOTIFY. */
	assert_int_equal(cell_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_NEW_LISTENER", &flag),
			 -EINVAL);
}

static void test_args_on_one_index_split_into_rules(void **state)
{
	struct cell_seccomp_arg distinct[] = { { .index = 0 }, { .index = 1 }, { .index = 5 } };
	struct cell_seccomp_arg same[] = { { .index = 1 }, { .index = 0 }, { .index = 1 } };
	struct cell_seccomp_rule r = { .args = distinct, .n_args = 3 };

	(void)state;
	assert_false(cell_seccomp_args_split(&r));
	r.args = same;
	assert_true(cell_seccomp_args_split(&r));
	r.n_args = 0;
	assert_false(cell_seccomp_args_split(&r));
}

static char *names_mkdir[] = { "mkdir", NULL };
static char *names_sendmsg[] = { "mkdir", "sendmsg", NULL };
static char *names_cells_own[] = { "read", "write", "close", "recvmsg", "exit", "exit_group" };

static void assert_check_fails(const struct cell_seccomp *s, const char *needle)
{
	struct cell_error err = { 0 };

	assert_true(cell_seccomp_check(s, &err) < 0);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' not in '%s'", needle, err.msg);
}

static void test_seccomp_check_names_the_bad_field(void **state)
{
	char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_VAX", NULL };
	char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE", NULL };
	struct cell_seccomp_arg arg7 = { .index = 7, .op = CELL_SECCOMP_OP_EQ };
	struct cell_seccomp_rule rules[2] = {
		{ .names = names_mkdir, .action = CELL_SECCOMP_ERRNO },
		{ .names = names_mkdir, .action = CELL_SECCOMP_ALLOW },
	};
	struct cell_seccomp s = { .present = true,
				  .default_action = CELL_SECCOMP_ALLOW,
				  .syscalls = rules,
				  .n_syscalls = 2 };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_seccomp_check(&s, &err), 0);
	s.architectures = arches;
	assert_check_fails(&s, "linux.seccomp.architectures[2]");
	s.architectures = NULL;
	s.flags = flags;
	assert_check_fails(&s, "linux.seccomp.flags[1]");
	s.flags = NULL;
	rules[1].has_errno_ret = true;
	assert_check_fails(&s, "linux.seccomp.syscalls[1].errnoRet");
	rules[1].has_errno_ret = false;
	rules[0].args = &arg7;
	rules[0].n_args = 1;
	assert_check_fails(&s, "linux.seccomp.syscalls[0].args[0].index");
	rules[0].n_args = 0;
	s.has_default_errno_ret = true;
	assert_check_fails(&s, "linux.seccomp.defaultErrnoRet");
	s.has_default_errno_ret = false;
	rules[1].action = CELL_SECCOMP_NOTIFY;
	assert_check_fails(&s, "listenerPath");
	s.listener_path = "/run/agent.sock";
	assert_int_equal(cell_seccomp_check(&s, &err), 0);
	rules[1].names = names_sendmsg;
	assert_check_fails(&s, "linux.seccomp.syscalls[1]: SCMP_ACT_NOTIFY on sendmsg");
	/* what cell calls itself until execve: the start wait, a failure's report, the exit */
	for (size_t i = 0; i < sizeof(names_cells_own) / sizeof(names_cells_own[0]); i++) {
		char *one[] = { names_cells_own[i], NULL };
		char needle[64];

		snprintf(needle, sizeof(needle), "SCMP_ACT_NOTIFY on %s", names_cells_own[i]);
		rules[1].names = one;
		assert_check_fails(&s, needle);
	}
	rules[1].names = names_mkdir;
	s.default_action = CELL_SECCOMP_NOTIFY;
	assert_check_fails(&s, "linux.seccomp.defaultAction");
	s.default_action = CELL_SECCOMP_ALLOW;
	s.listener_path = NULL;
	rules[1].action = CELL_SECCOMP_ALLOW;
	s.listener_metadata = "x";
	assert_check_fails(&s, "listenerMetadata");
}

static void test_compiled_filter_is_bpf_with_the_flags(void **state)
{
	char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
			  NULL };
	struct cell_seccomp_rule rule = { .names = names_mkdir, .action = CELL_SECCOMP_NOTIFY };
	struct cell_seccomp s = { .present = true,
				  .default_action = CELL_SECCOMP_ALLOW,
				  .flags = flags,
				  .syscalls = &rule,
				  .n_syscalls = 1,
				  .listener_path = "/x" };
	struct cell_seccomp_prog prog;
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_seccomp_compile(&s, &prog, &err), 0);
	assert_non_null(prog.filter);
	assert_true(prog.len > 3);
	assert_true(prog.notify);
	assert_int_equal(prog.flags,
			 SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_NEW_LISTENER | (1U << 5));
	cell_seccomp_prog_free(&prog);
	/* Without a listener, WAIT_KILLABLE_RECV means nothing: left out. */
	rule.action = CELL_SECCOMP_ERRNO;
	assert_int_equal(cell_seccomp_compile(&s, &prog, &err), 0);
	assert_false(prog.notify);
	assert_int_equal(prog.flags, SECCOMP_FILTER_FLAG_LOG);
	cell_seccomp_prog_free(&prog);
}

static void test_sysctl_namespaces_follow_runcs_rules(void **state)
{
	(void)state;
	assert_int_equal(cell_sysctl_namespace("kernel.msgmax"), CELL_NS_IPC);
	assert_int_equal(cell_sysctl_namespace("kernel.sem"), CELL_NS_IPC);
	assert_int_equal(cell_sysctl_namespace("kernel.shm_rmid_forced"), CELL_NS_IPC);
	assert_int_equal(cell_sysctl_namespace("fs.mqueue.msg_max"), CELL_NS_IPC);
	assert_int_equal(cell_sysctl_namespace("net.ipv4.ip_forward"), CELL_NS_NET);
	assert_int_equal(cell_sysctl_namespace("net/ipv4/conf/eth0.100/forwarding"), CELL_NS_NET);
	assert_int_equal(cell_sysctl_namespace("kernel.hostname"), CELL_NS_UTS);
	assert_int_equal(cell_sysctl_namespace("kernel.domainname"), CELL_NS_UTS);
	assert_int_equal(cell_sysctl_namespace("kernel.hostnamex"), -1);
	assert_int_equal(cell_sysctl_namespace("kernel.pid_max"), -1);
	assert_int_equal(cell_sysctl_namespace("vm.swappiness"), -1);
	assert_int_equal(cell_sysctl_namespace("fs.mqueue"), -1);
	assert_int_equal(cell_sysctl_namespace("network.x"), -1);
}

static void test_sysctl_paths_stay_under_proc_sys(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(cell_sysctl_path("net.ipv4.ip_forward", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "net/ipv4/ip_forward");
	/* With slashes, a dot is part of a name (sysctl(8)). */
	assert_int_equal(cell_sysctl_path("net/ipv4/conf/eth0.100/forwarding", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "net/ipv4/conf/eth0.100/forwarding");
	assert_int_equal(cell_sysctl_path("net..ipv4", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path(".net", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path("net/../../etc", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path("/net/x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path("net/./x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path("", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cell_sysctl_path("net.ipv4.ip_forward", buf, 8), -EINVAL);
}

static void test_cpu_lists_parse_like_cpuset_cpus(void **state)
{
	struct cell_error err = { 0 };
	cpu_set_t set;

	(void)state;
	assert_int_equal(cell_cpu_list_parse("0-3,7", &set, "f", &err), 0);
	assert_int_equal(CPU_COUNT(&set), 5);
	assert_true(CPU_ISSET(3, &set) && CPU_ISSET(7, &set) && !CPU_ISSET(4, &set));
	assert_int_equal(cell_cpu_list_parse(" 1 , 2 - 3 ", &set, "f", &err), 0);
	assert_int_equal(CPU_COUNT(&set), 3);
	assert_int_equal(cell_cpu_list_parse("", &set, "f", &err), 0);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_true(cell_cpu_list_parse("3-1", &set, "process.execCPUAffinity.final", &err) < 0);
	assert_non_null(strstr(err.msg, "process.execCPUAffinity.final '3-1'"));
	assert_true(cell_cpu_list_parse("1,,2", &set, "f", &err) < 0);
	assert_true(cell_cpu_list_parse("a", &set, "f", &err) < 0);
	assert_true(cell_cpu_list_parse("99999", &set, "f", &err) < 0);
	assert_true(cell_cpu_list_parse("1-", &set, "f", &err) < 0);
}

static void test_scheduler_check_names_the_field(void **state)
{
	struct cell_process p = { .scheduler = {
					  .present = true, .policy = SCHED_FIFO, .priority = 0 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_true(cell_sched_check(&p, &err) < 0);
	assert_non_null(strstr(err.msg, "process.scheduler.priority"));
	p.scheduler.priority = 50;
	assert_int_equal(cell_sched_check(&p, &err), 0);
	p.scheduler.flags = 1ULL << 9;
	assert_true(cell_sched_check(&p, &err) < 0);
	assert_non_null(strstr(err.msg, "process.scheduler.flags"));
	p.scheduler.flags = 0;
	p.has_io_priority = true;
	p.io_priority_class = 2;
	p.io_priority = 8;
	assert_true(cell_sched_check(&p, &err) < 0);
	assert_non_null(strstr(err.msg, "process.ioPriority.priority"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch_names_map_to_libseccomp_tokens),
		cmocka_unit_test(test_unknown_arch_is_einval_and_known_but_missing_is_eopnotsupp),
		cmocka_unit_test(test_filter_flags_are_the_kernels),
		cmocka_unit_test(test_args_on_one_index_split_into_rules),
		cmocka_unit_test(test_seccomp_check_names_the_bad_field),
		cmocka_unit_test(test_compiled_filter_is_bpf_with_the_flags),
		cmocka_unit_test(test_sysctl_namespaces_follow_runcs_rules),
		cmocka_unit_test(test_sysctl_paths_stay_under_proc_sys),
		cmocka_unit_test(test_cpu_lists_parse_like_cpuset_cpus),
		cmocka_unit_test(test_scheduler_check_names_the_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
