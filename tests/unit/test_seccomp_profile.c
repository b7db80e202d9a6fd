/*
 * Unit tests for the default seccomp profile (seccomp_default.c): the table
 * resolved against capability sets into linux.seccomp, the match that picks
 * the filter compiled at build time (test_seccomp_tree.c checks that it
 * decides as libseccomp's), the ENOSYS stub, and Docker's JSON profile format
 * (seccomp_profile.c).
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "security.h"
#include "spec.h"

#define CAPS_RUNC ((1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE))

/* The rules that name @name, and the first of them in *@rule. */
static int rules_naming(const struct cell_seccomp *s, const char *name,
			const struct cell_seccomp_rule **rule)
{
	int n = 0;

	for (size_t i = 0; i < s->n_syscalls; i++)
		for (size_t j = 0; s->syscalls[i].names[j]; j++)
			if (!strcmp(s->syscalls[i].names[j], name)) {
				if (!n++ && rule)
					*rule = &s->syscalls[i];
			}
	return n;
}

static void test_default_profile_without_sys_admin_closes_namespaces_and_mounts(void **state)
{
	struct cell_seccomp s = { 0 };
	struct cell_error err = { 0 };
	const struct cell_seccomp_rule *r = NULL;
	static const char *const closed[] = {
		"mount",
		"umount2",
		"unshare",
		"setns",
		"keyctl",
		"add_key",
		"request_key",
		"io_uring_setup",
		"io_uring_enter",
		"io_uring_register",
		"userfaultfd",
		"perf_event_open",
		"bpf",
		"kexec_load",
		"kexec_file_load",
		"init_module",
		"finit_module",
		"delete_module",
		"open_by_handle_at",
		"reboot",
		NULL,
	};

	(void)state;
	assert_int_equal(cell_seccomp_default(cell_caps_default(), &s, &err), 0);
	assert_true(s.present);
	assert_int_equal(s.default_action, CELL_SECCOMP_ERRNO);
	assert_false(s.has_default_errno_ret); /* EPERM, and runtime-spec 1.0.2 */
	for (size_t i = 0; closed[i]; i++)
		assert_int_equal(rules_naming(&s, closed[i], NULL), 0);
	/* clone: only without namespace flags */
	assert_int_equal(rules_naming(&s, "clone", &r), 1);
	assert_int_equal(r->action, CELL_SECCOMP_ALLOW);
	assert_int_equal(r->n_args, 1);
	assert_int_equal(r->args[0].op, CELL_SECCOMP_OP_MASKED_EQ);
	assert_true(r->args[0].value & CLONE_NEWUSER);
	assert_true(r->args[0].value & CLONE_NEWNS);
	assert_int_equal(r->args[0].value_two, 0);
	/* clone3: ENOSYS, glibc falls back to clone */
	assert_int_equal(rules_naming(&s, "clone3", &r), 1);
	assert_int_equal(r->action, CELL_SECCOMP_ERRNO);
	assert_int_equal(r->errno_ret, ENOSYS);
	/* socket: all but AF_VSOCK; CAP_SYS_CHROOT of the default set gives chroot */
	assert_int_equal(rules_naming(&s, "socket", &r), 1);
	assert_int_equal(r->args[0].op, CELL_SECCOMP_OP_NE);
	assert_int_equal(r->args[0].value, 40);
	assert_int_equal(rules_naming(&s, "chroot", NULL), 1);
	assert_int_equal(rules_naming(&s, "personality", NULL), 5);
	assert_int_equal(rules_naming(&s, "close_range", NULL), 1);
	assert_int_equal(rules_naming(&s, "execve", NULL), 1);
	cell_seccomp_free(&s);
}

static void test_default_profile_follows_the_bounding_set(void **state)
{
	struct cell_seccomp s = { 0 };
	struct cell_error err = { 0 };
	const struct cell_seccomp_rule *r = NULL;
	uint64_t caps = cell_caps_default() | (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SYS_MODULE);

	(void)state;
	assert_int_equal(cell_seccomp_default(caps, &s, &err), 0);
	assert_int_equal(rules_naming(&s, "mount", NULL), 1);
	assert_int_equal(rules_naming(&s, "unshare", NULL), 1);
	assert_int_equal(rules_naming(&s, "finit_module", NULL), 1);
	/* clone and clone3 unrestricted: one plain allow, no ENOSYS */
	assert_int_equal(rules_naming(&s, "clone", &r), 1);
	assert_int_equal(r->n_args, 0);
	assert_int_equal(rules_naming(&s, "clone3", &r), 1);
	assert_int_equal(r->action, CELL_SECCOMP_ALLOW);
	cell_seccomp_free(&s);
	/* runc's three capabilities: no chroot */
	assert_int_equal(cell_seccomp_default(CAPS_RUNC, &s, &err), 0);
	assert_int_equal(rules_naming(&s, "chroot", NULL), 0);
	cell_seccomp_free(&s);
}

static void test_default_match_recognises_the_default_and_nothing_else(void **state)
{
	struct cell_seccomp s = { 0 };
	struct cell_error err = { 0 };
	uint64_t applied;

	(void)state;
	assert_int_equal(cell_seccomp_default(cell_caps_default(), &s, &err), 0);
	assert_true(cell_seccomp_default_match(&s, &applied));
	assert_int_equal(applied, cell_seccomp_default_applied(cell_caps_default()));
	/* one name less */
	free(s.syscalls[0].names[3]);
	s.syscalls[0].names[3] = strdup("keyctl");
	assert_false(cell_seccomp_default_match(&s, &applied));
	cell_seccomp_free(&s);
	assert_int_equal(cell_seccomp_default(CAPS_RUNC | (1ULL << CAP_SYS_PTRACE), &s, &err), 0);
	assert_true(cell_seccomp_default_match(&s, &applied));
	assert_false(cell_seccomp_is_builtin(&s)); /* compiled at run time */
	cell_seccomp_free(&s);
	assert_int_equal(cell_seccomp_default(CAPS_RUNC, &s, &err), 0);
	s.default_action = CELL_SECCOMP_KILL;
	assert_false(cell_seccomp_default_match(&s, &applied));
	s.default_action = CELL_SECCOMP_ERRNO;
	s.syscalls[1].args[0].value = 41;
	assert_false(cell_seccomp_default_match(&s, &applied));
	cell_seccomp_free(&s);
}

/* Deny-by-default filters start with the ENOSYS stub; allow-by-default ones do not. */
static void test_enosys_stub_guards_syscalls_newer_than_the_profile(void **state)
{
	char *names[] = { "read", "write", NULL };
	struct cell_seccomp_rule rule = { .names = names, .action = CELL_SECCOMP_ALLOW };
	struct cell_seccomp s = { .present = true,
				  .default_action = CELL_SECCOMP_ERRNO,
				  .syscalls = &rule,
				  .n_syscalls = 1 };
	struct cell_seccomp_prog prog = { 0 };
	struct cell_error err = { 0 };
	bool found = false;

	(void)state;
	assert_int_equal(cell_seccomp_compile(&s, &prog, &err), 0);
	assert_int_equal(prog.filter[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(prog.filter[0].k, offsetof(struct seccomp_data, arch));
	for (unsigned i = 0; i < 16 && i < prog.len; i++) {
		if (prog.filter[i].code == (BPF_JMP | BPF_JGT | BPF_K))
			assert_int_equal(prog.filter[i].k, __NR_write); /* the highest named */
		found |= prog.filter[i].code == (BPF_RET | BPF_K) &&
			 prog.filter[i].k == (SECCOMP_RET_ERRNO | ENOSYS);
	}
	assert_true(found);
	cell_seccomp_prog_free(&prog);
	s.default_action = CELL_SECCOMP_ALLOW;
	rule.action = CELL_SECCOMP_ERRNO;
	assert_int_equal(cell_seccomp_compile(&s, &prog, &err), 0);
	for (unsigned i = 0; i < prog.len; i++)
		assert_false(prog.filter[i].code == (BPF_RET | BPF_K) &&
			     prog.filter[i].k == (SECCOMP_RET_ERRNO | ENOSYS));
	cell_seccomp_prog_free(&prog);
}

static const char docker_profile[] =
	"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
	" \"archMap\": [{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},"
	"   {\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}],"
	" \"syscalls\": ["
	"  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"\","
	"   \"includes\": {}, \"excludes\": {}},"
	"  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	"  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0,"
	"   \"value\": 2114060288, \"op\": \"SCMP_CMP_MASKED_EQ\"}], \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	"  {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\"]}},"
	"  {\"names\": [\"set_tls\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"arm\", \"arm64\"]}},"
	"  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"4.8\"}},"
	"  {\"names\": [\"kcmp\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"999.0\"}},"
	"  {\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_NOT_A_CAP\"]}},"
	"  {\"name\": \"getpid\", \"action\": \"SCMP_ACT_ALLOW\"},"
	"  {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,"
	"   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [\"s390x\"]}}"
	" ]}";

static void test_docker_profile_resolves_caps_arches_and_kernel(void **state)
{
	struct cell_seccomp s = { 0 };
	struct cell_error err = { 0 };
	const struct cell_seccomp_rule *r = NULL;
	bool x86_64 = cell_seccomp_native_arch() &&
		      !strcmp(cell_seccomp_native_arch(), "SCMP_ARCH_X86_64");

	(void)state;
	assert_int_equal(cell_seccomp_from_profile(docker_profile, strlen(docker_profile), "p.json",
						   cell_caps_default(), &s, &err),
			 0);
	assert_int_equal(s.default_action, CELL_SECCOMP_ERRNO);
	assert_true(s.has_default_errno_ret);
	assert_int_equal(s.default_errno_ret, 1);
	assert_int_equal(rules_naming(&s, "read", NULL), 1);
	assert_int_equal(rules_naming(&s, "mount", NULL), 0);
	assert_int_equal(rules_naming(&s, "clone", NULL), 1);
	assert_int_equal(rules_naming(&s, "ptrace", NULL), 1);
	assert_int_equal(rules_naming(&s, "kcmp", NULL), 0);
	assert_int_equal(rules_naming(&s, "bpf", NULL), 0);
	assert_int_equal(rules_naming(&s, "getpid", NULL), 1);
	assert_int_equal(rules_naming(&s, "clone3", &r), 1);
	assert_non_null(r);
	if (r) /* cmocka's failure is a longjmp the analyzer does not see */
		assert_int_equal(r->errno_ret, ENOSYS);
	if (x86_64) {
		assert_string_equal(s.architectures[0], "SCMP_ARCH_X86_64");
		assert_string_equal(s.architectures[1], "SCMP_ARCH_X86");
		assert_null(s.architectures[2]);
		assert_int_equal(rules_naming(&s, "arch_prctl", NULL), 1);
		assert_int_equal(rules_naming(&s, "set_tls", NULL), 0);
	}
	cell_seccomp_free(&s);
	assert_int_equal(cell_seccomp_from_profile(docker_profile, strlen(docker_profile), "p.json",
						   1ULL << CAP_SYS_ADMIN, &s, &err),
			 0);
	assert_int_equal(rules_naming(&s, "mount", NULL), 1);
	assert_int_equal(rules_naming(&s, "clone", NULL), 0);
	assert_int_equal(rules_naming(&s, "clone3", NULL), 0);
	cell_seccomp_free(&s);
}

static void test_oci_object_loads_as_a_profile(void **state)
{
	static const char oci[] =
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
		"[\"SCMP_ARCH_X86_64\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], "
		"\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": "
		"\"SCMP_ACT_ERRNO\", \"errnoRet\": 30}]}";
	struct cell_seccomp s = { 0 };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_seccomp_from_profile(oci, strlen(oci), "oci.json", 0, &s, &err), 0);
	assert_int_equal(s.default_action, CELL_SECCOMP_ALLOW);
	assert_string_equal(s.architectures[0], "SCMP_ARCH_X86_64");
	assert_string_equal(s.flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_int_equal(s.n_syscalls, 1);
	assert_int_equal(s.syscalls[0].errno_ret, 30);
	cell_seccomp_free(&s);
}

static void test_bad_profiles_name_the_file_and_field(void **state)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "p.json: seccomp.defaultAction" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": \"CAP_KILL\"}}]}",
		  "p.json: syscalls[0].includes.caps" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"new\"}}]}",
		  "p.json: syscalls[0].includes.minKernel" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": {}}", "p.json: archMap" },
		{ "[1, 2]", "p.json: expected a JSON object" },
		{ "{\"defaultAction\": ", "p.json: line 1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cell_seccomp s = { 0 };
		struct cell_error err = { 0 };

		assert_true(cell_seccomp_from_profile(cases[i].json, strlen(cases[i].json),
						      "p.json", 0, &s, &err) < 0);
		if (!strstr(err.msg, cases[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
		assert_false(s.present);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_default_profile_without_sys_admin_closes_namespaces_and_mounts),
		cmocka_unit_test(test_default_profile_follows_the_bounding_set),
		cmocka_unit_test(test_default_match_recognises_the_default_and_nothing_else),
		cmocka_unit_test(test_enosys_stub_guards_syscalls_newer_than_the_profile),
		cmocka_unit_test(test_docker_profile_resolves_caps_arches_and_kernel),
		cmocka_unit_test(test_oci_object_loads_as_a_profile),
		cmocka_unit_test(test_bad_profiles_name_the_file_and_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
