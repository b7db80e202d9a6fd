/*
 * Unit tests for the compact seccomp filter (seccomp_tree.c) and the filter
 * built in at build time: both must decide every syscall as the filter
 * libseccomp compiles at run time (cell_seccomp_compile) does. The filters
 * run in a classic BPF interpreter over every syscall number 0..1023 (and
 * the x32 ones, and numbers far out), on x86_64, x86, x32 and a foreign
 * architecture, and, where a filter looks at arguments, over argument
 * values made from every constant the filters compare arguments with.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run.h"
#include "security.h"
#include "spec.h"

#define X32_BIT 0x40000000U
#define CAP(c) (1ULL << CAP_##c)
#define CAPS_RUNC (CAP(AUDIT_WRITE) | CAP(KILL) | CAP(NET_BIND_SERVICE))

/* Classic BPF as seccomp runs it (cell_bpf_run, unit-tested below). */
static struct cell_bpf_result bpf_run(const struct cell_seccomp_prog *p,
				      const struct seccomp_data *d)
{
	struct cell_bpf_result r;

	if (cell_bpf_run(p->filter, p->len, d, &r) < 0)
		fail_msg("the filter is not one seccomp would run (%u instructions)", p->len);
	return r;
}

/* Argument values to try: the constants compared after an argument load, and neighbours. */
static size_t arg_values(const struct cell_seccomp_prog *p, uint64_t *v, size_t size)
{
	static const uint64_t base[] = { 0,
					 1,
					 0xffffffffULL,
					 0x100000000ULL,
					 UINT64_MAX,
					 0x8000000000000000ULL,
					 0xffffffff00000000ULL };
	size_t n = 0;
	bool arg = false;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		v[n++] = base[i];
	for (int b = 0; b < 64; b++)
		v[n++] = 1ULL << b;
	for (unsigned i = 0; i < p->len && n + 8 <= size; i++) {
		const struct sock_filter *in = &p->filter[i];
		uint64_t k = in->k;

		if (in->code == (BPF_LD | BPF_W | BPF_ABS))
			arg = in->k >= offsetof(struct seccomp_data, args);
		else if (arg &&
			 (BPF_CLASS(in->code) == BPF_JMP || BPF_CLASS(in->code) == BPF_ALU)) {
			uint64_t more[] = { k,
					    k - 1,
					    k + 1,
					    k << 32,
					    k | (k << 32),
					    ~k & 0xffffffffULL,
					    k | 0x100000000ULL,
					    (k + 1) << 32 };

			memcpy(v + n, more, sizeof(more));
			n += 8;
		}
	}
	return n;
}

/* The two filters decide (arch, nr, args) alike; args varied when either reads them. */
static void compare_call(const struct cell_seccomp_prog *ref, const struct cell_seccomp_prog *p,
			 uint32_t arch, uint32_t nr, const uint64_t *vals, size_t n_vals)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	struct cell_bpf_result a = bpf_run(ref, &d), b = bpf_run(p, &d);

	if (a.ret != b.ret)
		fail_msg("arch 0x%x nr 0x%x: 0x%x, libseccomp's 0x%x", arch, nr, b.ret, a.ret);
	/* what the kernel's action cache lets through unfiltered must stay so */
	if (a.ret == SECCOMP_RET_ALLOW && !a.uncacheable && !a.read_args &&
	    (b.uncacheable || b.read_args))
		fail_msg("arch 0x%x nr 0x%x: no longer a constant allow", arch, nr);
	if (!a.read_args && !b.read_args)
		return;
	for (unsigned idx = 0; idx < 6; idx++)
		for (size_t i = 0; i < n_vals; i++) {
			memset(d.args, 0, sizeof(d.args));
			d.args[idx] = vals[i];
			a = bpf_run(ref, &d);
			b = bpf_run(p, &d);
			if (a.ret != b.ret)
				fail_msg(
					"arch 0x%x nr 0x%x args[%u] 0x%llx: 0x%x, libseccomp's 0x%x",
					arch, nr, idx, (unsigned long long)vals[i], b.ret, a.ret);
		}
}

static void compare_filters(const struct cell_seccomp_prog *ref, const struct cell_seccomp_prog *p)
{
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
					   0 };
	static const uint32_t far[] = { 0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff,
					0xc0000000, 0xc0000001, 0xfffffffe, 0xffffffff };
	size_t size = 72 + 8 * (ref->len + p->len), n_vals;
	uint64_t *vals = malloc(size * sizeof(*vals));

	assert_non_null(vals);
	n_vals = arg_values(ref, vals, size);
	n_vals += arg_values(p, vals + n_vals, size - n_vals);
	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		for (uint32_t nr = 0; nr < 1024; nr++) {
			compare_call(ref, p, arches[a], nr, vals, n_vals);
			compare_call(ref, p, arches[a], X32_BIT | nr, vals, n_vals);
		}
		for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++)
			compare_call(ref, p, arches[a], far[i], vals, n_vals);
	}
	free(vals);
}

/* The compact filter of @s against libseccomp's; its length in *@len. */
static void check_tree(const struct cell_seccomp *s, unsigned *len)
{
	struct cell_seccomp_prog ref = { 0 }, tree = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(cell_seccomp_compile(s, &ref, &err), 0);
	if (cell_seccomp_compile_tree(s, &tree, &err) != 0)
		fail_msg("compile_tree: %s", err.msg);
	assert_int_equal(tree.flags, ref.flags);
	assert_int_equal(tree.notify, ref.notify);
	compare_filters(&ref, &tree);
	if (len)
		*len = tree.len;
	cell_seccomp_prog_free(&ref);
	cell_seccomp_prog_free(&tree);
}

static bool native_x86_64(void)
{
	const char *arch = cell_seccomp_native_arch();

	return arch && !strcmp(arch, "SCMP_ARCH_X86_64");
}

static void test_tree_decides_the_default_profile_as_libseccomp_for_any_caps(void **state)
{
	const uint64_t sets[] = {
		cell_caps_default(),
		CAPS_RUNC,
		0,
		(1ULL << (CAP_LAST_CAP + 1)) - 1,
		cell_caps_default() | CAP(SYS_ADMIN),
		CAPS_RUNC | CAP(SYS_PTRACE),
		cell_caps_default() | CAP(SYS_MODULE) | CAP(SYS_TIME) | CAP(SYS_NICE) |
			CAP(PERFMON) | CAP(BPF) | CAP(DAC_READ_SEARCH),
	};

	(void)state;
	if (!native_x86_64())
		skip(); /* the tree covers x86_64, x86 and x32 only */
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct cell_seccomp s = { 0 };
		struct cell_error err = { 0 };
		unsigned len = 0;

		assert_int_equal(cell_seccomp_default(sets[i], &s, &err), 0);
		check_tree(&s, &len);
		/* 1005 instructions from libseccomp: the kernel's load time follows the length */
		if (len > 400)
			fail_msg("caps 0x%llx: %u instructions", (unsigned long long)sets[i], len);
		cell_seccomp_free(&s);
	}
}

/* Profiles unlike the default: allow by default, 64-bit data, one architecture, no x32. */
static void test_tree_decides_other_profiles_as_libseccomp(void **state)
{
	static const char *const profiles[] = {
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		" {\"names\": [\"mkdir\", \"rmdir\", \"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 30},"
		" {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_KILL_PROCESS\","
		"  \"args\": [{\"index\": 0, \"value\": 4294967296, \"op\": \"SCMP_CMP_EQ\"}]},"
		" {\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
		"  {\"index\": 1, \"value\": 21522, \"op\": \"SCMP_CMP_EQ\"},"
		"  {\"index\": 1, \"value\": 21532, \"op\": \"SCMP_CMP_EQ\"}]},"
		" {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": ["
		"  {\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_NE\"},"
		"  {\"index\": 1, \"value\": 9223372032559808512, \"valueTwo\": 4294967296,"
		"   \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
		" \"architectures\": [\"SCMP_ARCH_X86_64\"], \"syscalls\": ["
		" {\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		" {\"names\": [\"openat\"], \"action\": \"SCMP_ACT_ALLOW\","
		"  \"args\": [{\"index\": 2, \"value\": 3, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
		"{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\","
		" \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], \"syscalls\": ["
		" {\"names\": [\"read\", \"write\", \"exit_group\", \"socketcall\", \"socket\"],"
		"  \"action\": \"SCMP_ACT_ALLOW\"},"
		" {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",
	};

	(void)state;
	if (!native_x86_64())
		skip();
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		struct cell_seccomp s = { 0 };
		struct cell_error err = { 0 };

		if (cell_seccomp_from_profile(profiles[i], strlen(profiles[i]), "p.json", 0, &s,
					      &err) < 0)
			fail_msg("profile %zu: %s", i, err.msg);
		check_tree(&s, NULL);
		cell_seccomp_free(&s);
	}
}

/* What the tree does not model it leaves to libseccomp, and says so. */
static void test_tree_refuses_what_it_does_not_model(void **state)
{
	char *names[] = { "read", NULL }, *sock[] = { "socket", NULL };
	struct cell_seccomp_arg lt = { .index = 0, .op = CELL_SECCOMP_OP_LT, .value = 3 };
	struct cell_seccomp_rule rules[] = {
		{ .names = names, .action = CELL_SECCOMP_ALLOW, .args = &lt, .n_args = 1 },
	};
	char *arm[] = { "SCMP_ARCH_AARCH64", NULL }, *x86[] = { "SCMP_ARCH_X86", NULL };
	struct cell_seccomp s = { .present = true,
				  .default_action = CELL_SECCOMP_ERRNO,
				  .syscalls = rules,
				  .n_syscalls = 1 };
	struct cell_seccomp_prog prog = { 0 };
	struct cell_error err = { 0 };

	(void)state;
	if (!native_x86_64())
		skip();
	/* a comparison other than EQ, NE, MASKED_EQ */
	assert_int_equal(cell_seccomp_compile_tree(&s, &prog, &err), -EOPNOTSUPP);
	assert_null(prog.filter);
	/* an architecture it does not know */
	rules[0].n_args = 0;
	s.architectures = arm;
	assert_int_equal(cell_seccomp_compile_tree(&s, &prog, &err), -EOPNOTSUPP);
	/* x86 socket without socketcall: libseccomp adds a socketcall rule of its own */
	s.architectures = x86;
	rules[0].names = sock;
	assert_int_equal(cell_seccomp_compile_tree(&s, &prog, &err), -EOPNOTSUPP);
	rules[0].names = names;
	assert_int_equal(cell_seccomp_compile_tree(&s, &prog, &err), 0);
	assert_non_null(prog.filter);
	cell_seccomp_prog_free(&prog);
}

/*
 * The filter built in for cell run and for cell spec bundles: libseccomp's
 * decisions, short (the kernel's load time follows the length) and a short
 * path for every syscall (seccomp_cache_prepare() runs it for each number).
 */
static void test_builtin_filter_decides_as_libseccomp_in_few_steps(void **state)
{
	const uint64_t sets[] = { cell_caps_default(), CAPS_RUNC };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct cell_seccomp s = { 0 };
		struct cell_seccomp_prog built = { 0 }, compiled = { 0 };
		struct cell_error err = { 0 };
		unsigned most = 0;

		assert_int_equal(cell_seccomp_default(sets[i], &s, &err), 0);
		assert_true(cell_seccomp_is_builtin(&s));
		assert_int_equal(cell_seccomp_prepare(&s, &built, &err), 0);
		assert_int_equal(cell_seccomp_compile(&s, &compiled, &err), 0);
		assert_int_equal(built.flags, compiled.flags);
		compare_filters(&compiled, &built);
		if (!native_x86_64()) {
			cell_seccomp_prog_free(&built);
			cell_seccomp_prog_free(&compiled);
			cell_seccomp_free(&s);
			continue;
		}
		for (uint32_t nr = 0; nr < 1024; nr++) {
			struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64 };
			struct cell_bpf_result r = bpf_run(&built, &d);

			most = r.steps > most ? r.steps : most;
			d.arch = AUDIT_ARCH_I386;
			r = bpf_run(&built, &d);
			most = r.steps > most ? r.steps : most;
		}
		if (built.len > 400 || most > 16)
			fail_msg("caps 0x%llx: %u instructions, %u steps at most",
				 (unsigned long long)sets[i], built.len, most);
		cell_seccomp_prog_free(&built);
		cell_seccomp_prog_free(&compiled);
		cell_seccomp_free(&s);
	}
}

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * The default filter is loaded before the command's setup is over
 * (run/command_early.c): every call that setup makes must pass it, for any
 * bounding set and any arguments, or a start would fail on EPERM.
 */
static void test_default_filter_allows_what_the_command_setup_calls(void **state)
{
	const uint64_t sets[] = { cell_caps_default(), CAPS_RUNC, 0,
				  (1ULL << (CAP_LAST_CAP + 1)) - 1 };
	const uint64_t values[] = { 0, 1, 0xffffffffULL, UINT64_MAX, 0x40000000ULL };

	(void)state;
#ifndef NATIVE_AUDIT_ARCH
	skip(); /* command_early.c loads early on x86_64 and aarch64 only */
#else
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct cell_seccomp s = { 0 };
		struct cell_seccomp_prog prog = { 0 };
		struct cell_error err = { 0 };

		assert_int_equal(cell_seccomp_default(sets[i], &s, &err), 0);
		if (cell_seccomp_prepare(&s, &prog, &err) != 0)
			fail_msg("caps 0x%llx: %s", (unsigned long long)sets[i], err.msg);
		assert_true(prog.is_default);
		for (size_t c = 0; cell_early_syscalls[c] >= 0; c++)
			for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				struct seccomp_data d = { .nr = cell_early_syscalls[c],
							  .arch = NATIVE_AUDIT_ARCH };
				struct cell_bpf_result r;

				for (int a = 0; a < 6; a++)
					d.args[a] = values[(v + (size_t)a) % 5];
				r = bpf_run(&prog, &d);
				if ((r.ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW)
					fail_msg("caps 0x%llx: syscall %d refused (0x%x)",
						 (unsigned long long)sets[i], d.nr, r.ret);
			}
		cell_seccomp_prog_free(&prog);
		cell_seccomp_free(&s);
	}
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_decides_the_default_profile_as_libseccomp_for_any_caps),
		cmocka_unit_test(test_tree_decides_other_profiles_as_libseccomp),
		cmocka_unit_test(test_tree_refuses_what_it_does_not_model),
		cmocka_unit_test(test_builtin_filter_decides_as_libseccomp_in_few_steps),
		cmocka_unit_test(test_default_filter_allows_what_the_command_setup_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
