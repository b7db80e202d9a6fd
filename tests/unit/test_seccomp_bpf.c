/*
 * Unit tests for seccomp_bpf.c: the classic BPF interpreter (each
 * instruction class, what seccomp's checker refuses) and the create-time
 * check that a profile lets the process call execve(2).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "security.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NR offsetof(struct seccomp_data, nr)
#define ARG0 offsetof(struct seccomp_data, args[0])

static struct seccomp_data data_nr(int nr, uint64_t arg0)
{
	return (struct seccomp_data){ .nr = nr, .arch = seccomp_arch_native(), .args = { arg0 } };
}

/* nr == 7 ? ERRNO(13) : (arg0 & 4 ? ALLOW : nr * 2 + 1 through X, M and RET A) */
static const struct sock_filter branches[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 13),
	BPF_STMT(BPF_ST, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_LDX | BPF_MEM, 3),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
	BPF_STMT(BPF_JMP | BPF_JA, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), /* jumped over */
	BPF_STMT(BPF_RET | BPF_A, 0),
};

static void test_bpf_runs_jumps_loads_memory_and_alu(void **state)
{
	struct seccomp_data d = data_nr(7, 0);
	struct cell_bpf_result r;

	(void)state;
	assert_int_equal(cell_bpf_run(branches, LEN(branches), &d, &r), 0);
	assert_int_equal(r.ret, SECCOMP_RET_ERRNO | 13);
	assert_int_equal(r.steps, 3);
	assert_false(r.read_args);
	d = data_nr(9, 4);
	assert_int_equal(cell_bpf_run(branches, LEN(branches), &d, &r), 0);
	assert_int_equal(r.ret, SECCOMP_RET_ALLOW);
	assert_true(r.read_args);
	d = data_nr(9, 0);
	assert_int_equal(cell_bpf_run(branches, LEN(branches), &d, &r), 0);
	assert_int_equal(r.ret, 19);
	assert_true(r.uncacheable);
}

static void test_bpf_refuses_what_seccomp_refuses(void **state)
{
	static const struct sock_filter misaligned[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter past_the_data[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter packet_load[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter no_return[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	};
	struct seccomp_data d = data_nr(1, 0);
	struct cell_bpf_result r;

	(void)state;
	assert_int_equal(cell_bpf_run(misaligned, LEN(misaligned), &d, &r), -EINVAL);
	assert_int_equal(cell_bpf_run(past_the_data, LEN(past_the_data), &d, &r), -EINVAL);
	assert_int_equal(cell_bpf_run(packet_load, LEN(packet_load), &d, &r), -EINVAL);
	assert_int_equal(cell_bpf_run(no_return, LEN(no_return), &d, &r), -EINVAL);
}

static int compile_check(struct cell_seccomp_rule *rule, enum cell_seccomp_action dflt,
			 struct cell_error *err)
{
	struct cell_seccomp s = { .present = true,
				  .default_action = dflt,
				  .syscalls = rule,
				  .n_syscalls = rule ? 1 : 0 };
	struct cell_seccomp_prog prog;
	int r;

	if ((r = cell_seccomp_compile(&s, &prog, err)) < 0)
		fail_msg("compile: %s", err->msg);
	r = cell_seccomp_check_exec(&prog, err);
	cell_seccomp_prog_free(&prog);
	return r;
}

static void test_a_profile_refusing_execve_is_refused_naming_linux_seccomp(void **state)
{
	static char *execve[] = { "execve", NULL }, *execveat[] = { "execveat", NULL };
	struct cell_seccomp_rule rule = { .names = execve,
					  .action = CELL_SECCOMP_ERRNO,
					  .has_errno_ret = true,
					  .errno_ret = EACCES };
	struct cell_seccomp_arg zero = { .index = 0, .op = CELL_SECCOMP_OP_EQ, .value = 0 };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(compile_check(&rule, CELL_SECCOMP_ALLOW, &err), -EACCES);
	assert_non_null(strstr(err.msg, "linux.seccomp: execve(2) is refused"));
	rule.action = CELL_SECCOMP_KILL_PROCESS;
	rule.has_errno_ret = false;
	assert_int_equal(compile_check(&rule, CELL_SECCOMP_ALLOW, &err), -EPERM);
	/* allowed: by the default action, or a rule for it in a deny-all profile */
	assert_int_equal(compile_check(NULL, CELL_SECCOMP_ALLOW, &err), 0);
	rule.action = CELL_SECCOMP_ALLOW;
	assert_int_equal(compile_check(&rule, CELL_SECCOMP_ERRNO, &err), 0);
	/* execveat is not what cell calls */
	rule.names = execveat;
	rule.action = CELL_SECCOMP_ERRNO;
	assert_int_equal(compile_check(&rule, CELL_SECCOMP_ALLOW, &err), 0);
	/* on arguments (pointers, unknown before the start): left to the start */
	rule.names = execve;
	rule.args = &zero;
	rule.n_args = 1;
	assert_int_equal(compile_check(&rule, CELL_SECCOMP_ALLOW, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bpf_runs_jumps_loads_memory_and_alu),
		cmocka_unit_test(test_bpf_refuses_what_seccomp_refuses),
		cmocka_unit_test(test_a_profile_refusing_execve_is_refused_naming_linux_seccomp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
