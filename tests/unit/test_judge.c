/* Unit tests: `cell judge` flags become the box's spec, and the verdict's order of causes. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "judge.h"

#define ARGV(...) ((char *[]){ "judge", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "judge", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE_AS(uid, cli, err, ...)                                                               \
	cell_judge_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), uid, uid, cli, err)

#define ABSENT UINT64_MAX

/* process.rlimits[@resource]: its soft (or @hard) value, ABSENT when not set. */
static uint64_t rlimit_of(const struct cell_spec *s, int resource, bool hard)
{
	for (size_t i = 0; i < s->process.n_rlimits; i++)
		if (s->process.rlimits[i].resource == resource)
			return hard ? s->process.rlimits[i].hard : s->process.rlimits[i].soft;
	return ABSENT;
}

/* The caller's @name (/proc/sys/user), or 0 when this kernel has none. */
static uint64_t user_sysctl(const char *name)
{
	char path[96];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/user/%s", name);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* A rootless box may hold 1/@parts of the caller's per-user counts. */
static void assert_share(const struct cell_spec *s, uint64_t parts)
{
	static const char *const names[] = { "max_inotify_instances", "max_inotify_watches",
					     "max_fanotify_groups", "max_fanotify_marks" };
	static const int rl[] = { RLIMIT_MSGQUEUE, RLIMIT_SIGPENDING, RLIMIT_MEMLOCK };
	size_t seen = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t v = user_sysctl(names[i]);
		char key[64];

		if (!v)
			continue;
		snprintf(key, sizeof(key), "user.%s", names[i]);
		for (size_t k = 0; k < s->linux.n_sysctl; k++)
			if (strcmp(s->linux.sysctl[k].key, key) == 0) {
				assert_int_equal(strtoull(s->linux.sysctl[k].value, NULL, 10),
						 v / parts ? v / parts : 1);
				seen++;
			}
	}
	assert_int_equal(seen, s->linux.n_sysctl);
	for (size_t i = 0; i < sizeof(rl) / sizeof(rl[0]); i++) {
		struct rlimit r;

		assert_int_equal(getrlimit(rl[i], &r), 0);
		if (r.rlim_cur != RLIM_INFINITY)
			assert_int_equal(rlimit_of(s, rl[i], false), r.rlim_cur / parts);
	}
}

static void test_root_box_has_cgroup_limits_ids_of_its_own_and_rlimits(void **state)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_spec *s = &cli.run.spec;

	assert_int_equal(PARSE_AS(0, &cli, &err, "--time", "1.5", "--mem", "64m", "--processes",
				  "5", "--fsize", "1m", "--", "/bin/true"),
			 0);
	assert_true(s->linux.namespaces[CELL_NS_USER].present);
	assert_true(s->linux.namespaces[CELL_NS_NET].present);
	/* box 0's ids (isolate's first_uid) until the box taken says which */
	assert_int_equal(s->linux.uid_mappings[0].host_id, 60000);
	assert_int_equal(s->linux.gid_mappings[0].host_id, 60000);
	cell_judge_box_use(&cli, 7);
	assert_int_equal(s->linux.uid_mappings[0].host_id, 60007);
	assert_int_equal(s->linux.gid_mappings[0].host_id, 60007);
	assert_int_equal(s->linux.uid_mappings[0].size, 1);
	assert_int_equal(s->linux.resources.pids_limit, 6); /* + init */
	assert_int_equal(s->linux.resources.memory_limit, 64 << 20);
	assert_int_equal(s->linux.resources.memory_swap, 64 << 20);
	assert_int_equal(rlimit_of(s, RLIMIT_CORE, true), 0);
	assert_int_equal(rlimit_of(s, RLIMIT_FSIZE, false), 1 << 20);
	assert_int_equal(rlimit_of(s, RLIMIT_NOFILE, false), 64);
	assert_int_equal(rlimit_of(s, RLIMIT_NPROC, false), 6);
	assert_int_equal(rlimit_of(s, RLIMIT_CPU, false), 3); /* backstop: ceil(1.5) + 1 */
	assert_true(rlimit_of(s, RLIMIT_AS, false) == ABSENT);
	assert_true(s->process.no_new_privileges);
	assert_false(s->process.capabilities.effective);
	assert_true(s->linux.seccomp.present);
	assert_string_equal(s->process.cwd, "/tmp");
	cell_judge_cli_free(&cli);
}

static void test_box_uids_move_the_boxes_ids(void **state)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_spec *s = &cli.run.spec;

	assert_int_equal(
		PARSE_AS(0, &cli, &err, "--box-uids", "200000:10", "--box-id", "9", "/bin/true"),
		0);
	assert_int_equal(cli.box_id, 9);
	assert_int_equal(s->linux.uid_mappings[0].host_id, 200000);
	cell_judge_box_use(&cli, 9);
	assert_int_equal(s->linux.uid_mappings[0].host_id, 200009);
	cell_judge_cli_free(&cli);
	assert_int_equal(
		PARSE_AS(0, &cli, &err, "--box-uids", "200000:10", "--box-id", "10", "/bin/true"),
		-EINVAL);
	assert_non_null(strstr(err.msg, "--box-id 10: boxes 10 to 10, but --box-uids has 10"));
	cell_judge_cli_free(&cli);
	assert_int_equal(PARSE_AS(1000, &cli, &err, "--box-id", "1", "/bin/true"), -EINVAL);
	assert_non_null(strstr(err.msg, "--box-id is root's"));
	cell_judge_cli_free(&cli);
}

static void test_rootless_box_has_no_cgroup_limits_and_mem_is_rlimit_as(void **state)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_spec *s = &cli.run.spec;

	assert_int_equal(PARSE_AS(1000, &cli, &err, "-m", "16m", "/bin/true"), 0);
	assert_false(s->linux.resources.has_pids_limit);
	assert_false(s->linux.resources.has_memory_limit);
	assert_int_equal(rlimit_of(s, RLIMIT_AS, false), 16 << 20);
	assert_int_equal(rlimit_of(s, RLIMIT_NPROC, false), 65);
	/* a share of the caller's per-user counts: half for one box */
	assert_share(s, 2);
	cell_judge_cli_free(&cli);
	assert_int_equal(PARSE_AS(1000, &cli, &err, "--batch", "-", "-j", "3"), 0);
	assert_share(s, 6);
	cell_judge_cli_free(&cli);
	assert_int_equal(PARSE_AS(0, &cli, &err, "/bin/true"), 0); /* root: uids of their own */
	assert_int_equal(s->linux.n_sysctl, 0);
	assert_true(rlimit_of(s, RLIMIT_MSGQUEUE, false) == ABSENT);
	cell_judge_cli_free(&cli);
}

static void test_env_is_path_and_what_is_given(void **state)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	char **env;

	setenv("JUDGE_UNIT_VAR", "from-caller", 1);
	assert_int_equal(
		PARSE_AS(0, &cli, &err, "-E", "A=1", "--env", "JUDGE_UNIT_VAR", "--", "/bin/true"),
		0);
	env = cli.run.spec.process.env;
	assert_string_equal(env[0], "PATH=/usr/local/bin:/usr/bin:/bin");
	assert_string_equal(env[1], "A=1");
	assert_string_equal(env[2], "JUDGE_UNIT_VAR=from-caller");
	assert_null(env[3]);
	cell_judge_cli_free(&cli);
}

static void test_bad_values_name_the_flag(void **state)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_true(PARSE_AS(0, &cli, &err, "--wall-time", "-1", "/bin/true") < 0);
	assert_non_null(strstr(err.msg, "--wall-time '-1'"));
	cell_judge_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--dir", "/a=rel", "/bin/true") < 0);
	assert_non_null(strstr(err.msg, "--dir '/a=rel'"));
	cell_judge_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--dir", "/a=/b:ro", "/bin/true") < 0);
	cell_judge_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--processes", "0", "/bin/true") < 0);
	cell_judge_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--time", "1") < 0);
	assert_non_null(strstr(err.msg, "no command"));
	cell_judge_cli_free(&cli);
}

static void test_verdict_takes_the_first_cause(void **state)
{
	struct cell_judge_limits lim = { .time = 1, .wall_time = 2 };
	struct cell_judge_report r = { .have_wait_status = true };

	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_OK);
	r.wait_status = W_EXITCODE(3, 0);
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_RE);
	r.wait_status = SIGSEGV;
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_SG);
	r.wait_status = SIGKILL;
	r.oom_killed = true;
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_ML);
	r.cpu_time = 1.01; /* over --time, even when it ended by itself */
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_TO);
	r.killed = CELL_JUDGE_KILL_OUTPUT;
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_OL);
	r = (struct cell_judge_report){ .have_wait_status = true, .wait_status = SIGXCPU };
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_TO);
	r.have_wait_status = false;
	assert_int_equal(cell_judge_verdict(&r, &lim), CELL_JUDGE_XX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_box_has_cgroup_limits_ids_of_its_own_and_rlimits),
		cmocka_unit_test(test_box_uids_move_the_boxes_ids),
		cmocka_unit_test(test_rootless_box_has_no_cgroup_limits_and_mem_is_rlimit_as),
		cmocka_unit_test(test_env_is_path_and_what_is_given),
		cmocka_unit_test(test_bad_values_name_the_flag),
		cmocka_unit_test(test_verdict_takes_the_first_cause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
