/* Unit tests: a `cell judge --batch` line edits the batch's template, and only for itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "judge.h"

#define ABSENT UINT64_MAX

static uint64_t rlimit_of(const struct cell_spec *s, int resource)
{
	for (size_t i = 0; i < s->process.n_rlimits; i++)
		if (s->process.rlimits[i].resource == resource)
			return s->process.rlimits[i].soft;
	return ABSENT;
}

static bool has_env(const struct cell_spec *s, const char *kv)
{
	for (size_t i = 0; s->process.env && s->process.env[i]; i++)
		if (!strcmp(s->process.env[i], kv))
			return true;
	return false;
}

/* The template of `cell judge --time 1 --env A=1 --batch f`, as @uid. */
static void parse_template(struct cell_judge_cli *cli, uid_t uid)
{
	char *argv[] = { "judge", "--time", "1", "--env", "A=1", "--batch", "f", NULL };
	struct cell_error err = { 0 };

	assert_int_equal(cell_judge_parse(7, argv, uid, uid, cli, &err), 0);
	assert_non_null(cli->tpl);
}

/* One line into @cli; the parsed JSON (which @cli's file names point into) freed by the caller. */
static int line(struct cell_judge_cli *cli, const char *text, unsigned long n, json_t **doc,
		struct cell_error *err)
{
	json_t *id;

	return cell_judge_line(cli, text, strlen(text), n, doc, &id, err);
}

static void test_a_line_sets_its_limits_files_env_and_the_next_starts_from_the_batch(void **st)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_spec *s = &cli.run.spec;
	json_t *doc = NULL;

	parse_template(&cli, 0);
	assert_int_equal(
		line(&cli,
		     "{\"argv\":[\"/x\",\"a\"],\"mem\":\"16m\",\"fsize\":1024,"
		     "\"processes\":3,\"env\":[\"B=2\"],\"chdir\":\"/w\",\"stdin\":\"in\"}",
		     1, &doc, &err),
		0);
	assert_string_equal(s->process.args[0], "/x");
	assert_string_equal(s->process.args[1], "a");
	assert_null(s->process.args[2]);
	assert_int_equal(s->linux.resources.memory_limit, 16 << 20);
	assert_int_equal(s->linux.resources.pids_limit, 4); /* + init */
	assert_int_equal(rlimit_of(s, RLIMIT_FSIZE), 1024);
	assert_int_equal(rlimit_of(s, RLIMIT_NPROC), 4);
	assert_int_equal(rlimit_of(s, RLIMIT_CPU), 2); /* the batch's --time 1: ceil + 1 */
	assert_true(has_env(s, "A=1") && has_env(s, "B=2"));
	assert_string_equal(s->process.cwd, "/w");
	assert_string_equal(cli.stdin_file, "in");
	json_decref(doc);

	assert_int_equal(line(&cli, "{\"argv\":[\"/y\"],\"time\":0.5}", 2, &doc, &err), 0);
	assert_string_equal(s->process.args[0], "/y");
	assert_false(s->linux.resources.has_memory_limit);
	assert_int_equal(s->linux.resources.pids_limit, 65);
	assert_true(rlimit_of(s, RLIMIT_FSIZE) == ABSENT);
	assert_int_equal(rlimit_of(s, RLIMIT_CPU), 2); /* ceil(0.5) + 1 */
	assert_true(cli.lim.time == 0.5);
	assert_true(has_env(s, "A=1") && !has_env(s, "B=2"));
	assert_string_equal(s->process.cwd, "/tmp");
	assert_null(cli.stdin_file);
	json_decref(doc);
	cell_judge_cli_free(&cli);
}

static void test_rootless_line_mem_is_rlimit_as_and_no_cgroup_limit(void **st)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_spec *s = &cli.run.spec;
	json_t *doc = NULL;

	parse_template(&cli, 1000);
	assert_int_equal(line(&cli, "{\"argv\":[\"/x\"],\"mem\":4096000}", 1, &doc, &err), 0);
	assert_false(s->linux.resources.has_memory_limit);
	assert_false(s->linux.resources.has_pids_limit);
	assert_int_equal(rlimit_of(s, RLIMIT_AS), 4096000);
	json_decref(doc);
	cell_judge_cli_free(&cli);
}

static void test_bad_lines_name_their_line_and_field(void **st)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[1]", "line 7: expected a JSON object" },
		{ "{\"argv\":[\"/x\"],\"tiem\":1}", "line 7: \"tiem\": unknown field" },
		{ "{\"argv\":[]}", "line 7: \"argv\": expected an array of one or more strings" },
		{ "{\"argv\":[\"/x\"],\"time\":\"soon\"}", "line 7: \"time\" 'soon': expected "
							   "seconds, e.g. 1.5" },
		{ "{\"argv\":[\"/x\"],\"env\":\"A=1\"}", "line 7: \"env\": expected an array of "
							 "strings" },
		{ "{\"argv\":[\"/x\"],\"chdir\":\"w\"}", "line 7: \"chdir\": expected an absolute "
							 "path" },
		{ "{\"argv\":[\"/x\"],\"rootfs\":\"/r\"}", "line 7: \"rootfs\": the batch's, not a "
							   "line's (give it as a flag)" },
		{ "{\"argv\":[\"/x\"],\"id\":[1]}", "line 7: \"id\": expected an integer or a "
						    "string of at most 1024 bytes" },
		{ "{\"id\":1}", "line 7: no \"argv\" (the program and its arguments)" },
		{ "{\"argv\":[\"/x\"],\"time\":1,\"time\":2}", "line 7: column" },
	};
	struct cell_judge_cli cli = { 0 };

	parse_template(&cli, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cell_error err = { 0 };
		json_t *doc = NULL;

		assert_true(line(&cli, cases[i].text, 7, &doc, &err) < 0);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("%s: got '%s', want '%s'", cases[i].text, err.msg, cases[i].msg);
		json_decref(doc);
	}
	cell_judge_cli_free(&cli);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_a_line_sets_its_limits_files_env_and_the_next_starts_from_the_batch),
		cmocka_unit_test(test_rootless_line_mem_is_rlimit_as_and_no_cgroup_limit),
		cmocka_unit_test(test_bad_lines_name_their_line_and_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
