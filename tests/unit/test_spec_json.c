/* Unit tests: config.json <-> struct cell_spec, errors naming the JSON path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "utils.h"

#ifndef TEST_DATA
#error TEST_DATA must name tests/data
#endif

static int parse(struct cell_spec *spec, const char *text, struct cell_error *err)
{
	return cell_spec_from_json(spec, text, strlen(text), "config.json", err);
}

/* @json must fail with exactly @msg. */
static void expect_error(const char *json, const char *msg)
{
	struct cell_spec spec;
	struct cell_error err = { 0 };

	assert_int_not_equal(parse(&spec, json, &err), 0);
	assert_string_equal(err.msg, msg);
}

static void load_example(struct cell_spec *spec, const char *name)
{
	char path[512];
	cleanup_free char *text = NULL;
	size_t len;
	struct cell_error err = { 0 };

	snprintf(path, sizeof(path), "%s/oci/%s", TEST_DATA, name);
	assert_int_equal(cell_read_file(path, &text, &len, &err), 0);
	if (cell_spec_from_json(spec, text, len, name, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
}

static void test_spec_example_reads_every_section(void **state)
{
	struct cell_spec s;
	const struct cell_linux *l = &s.linux;

	load_example(&s, "spec-example.json");
	assert_string_equal(s.oci_version, "0.5.0-dev");
	assert_true(s.process.terminal);
	assert_int_equal(s.process.uid, 1);
	assert_int_equal(s.process.n_additional_gids, 2);
	assert_int_equal(s.process.additional_gids[1], 6);
	assert_string_equal(s.process.args[0], "sh");
	assert_true(s.process.capabilities.present);
	assert_int_equal(s.process.capabilities.ambient, 1ULL << 10); /* NET_BIND_SERVICE */
	assert_int_equal(s.process.n_rlimits, 2);
	assert_int_equal(s.process.rlimits[1].resource, RLIMIT_NOFILE);
	assert_string_equal(s.process.apparmor_profile, "acme_secure_profile");
	assert_true(s.process.no_new_privileges);
	assert_string_equal(s.root.path, "rootfs");
	assert_true(s.root.readonly);
	assert_string_equal(s.hostname, "slartibartfast");
	assert_true(s.n_mounts >= 5);
	assert_string_equal(s.mounts[1].destination, "/dev");
	assert_string_equal(s.mounts[1].options[2], "mode=755");
	assert_int_equal(s.hooks.n[CELL_HOOK_PRESTART], 2);
	assert_int_equal(s.hooks.list[CELL_HOOK_POSTSTART][0].path[0], '/');
	assert_true(s.hooks.list[CELL_HOOK_POSTSTART][0].has_timeout);
	assert_int_equal(s.hooks.list[CELL_HOOK_POSTSTART][0].timeout, 5);
	assert_true(l->namespaces[CELL_NS_PID].present);
	assert_true(l->namespaces[CELL_NS_NET].present);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].size, 32000);
	assert_int_equal(l->n_devices, 2);
	assert_int_equal(l->devices[0].type, 'c');
	assert_true(l->resources.has_memory_limit);
	assert_int_equal(l->resources.memory_limit, 536870912);
	assert_true(l->resources.has_pids_limit);
	assert_int_equal(l->resources.n_hugepage_limits, 2);
	assert_true(l->resources.n_devices >= 1);
	assert_false(l->resources.devices[0].allow);
	assert_string_equal(l->resources.devices[0].access, "rwm");
	assert_true(l->seccomp.present);
	assert_int_equal(l->seccomp.default_action, CELL_SECCOMP_ALLOW);
	assert_int_equal(l->rootfs_propagation, MS_SLAVE);
	assert_true(l->n_sysctl >= 1);
	assert_true(cell_strv_len(l->masked_paths) > 0);
	cell_spec_free(&s);
}

/* What cell_spec_to_json writes reads back as the same spec (same text again). */
static void test_round_trip_is_stable(void **state)
{
	static const char *const examples[] = { "spec-example.json", "minimal.json",
						"minimal-for-start.json", "linux-rdma.json",
						"linux-netdevice.json" };

	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		struct cell_spec a, b;
		struct cell_error err = { 0 };
		cleanup_free char *one = NULL, *two = NULL;

		load_example(&a, examples[i]);
		one = cell_spec_to_json(&a, &err);
		assert_non_null(one);
		if (parse(&b, one, &err) < 0)
			fail_msg("%s: re-reading: %s\n%s", examples[i], err.msg, one);
		two = cell_spec_to_json(&b, &err);
		assert_non_null(two);
		assert_string_equal(one, two);
		cell_spec_free(&a);
		cell_spec_free(&b);
	}
}

static void test_cell_defaults_round_trip_with_extras_as_annotations(void **state)
{
	struct cell_spec a, b;
	struct cell_error err = { 0 };
	cleanup_free char *text = NULL;

	assert_int_equal(cell_spec_default(&a, 0, 0, &err), 0);
	assert_int_equal(cell_strv_append(&a.process.args, "sh"), 0);
	a.cell.init = true;
	text = cell_spec_to_json(&a, &err);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"run.cell.init\": \"true\""));
	assert_int_equal(parse(&b, text, &err), 0);
	assert_true(b.cell.init);
	assert_int_equal(b.n_mounts, a.n_mounts);
	assert_int_equal(b.process.capabilities.bounding, a.process.capabilities.bounding);
	for (int t = 0; t < CELL_NS_COUNT; t++)
		assert_int_equal(b.linux.namespaces[t].present, a.linux.namespaces[t].present);
	cell_spec_free(&a);
	cell_spec_free(&b);
}

/* cell's defaults, running sh */
static void default_spec(struct cell_spec *s)
{
	struct cell_error err = { 0 };

	assert_int_equal(cell_spec_default(s, 0, 0, &err), 0);
	assert_int_equal(cell_strv_append(&s->process.args, "sh"), 0);
}

/* --symlink travels as run.cell.symlinks, each link with its place among the mounts. */
static void test_symlinks_round_trip_in_their_annotation(void **state)
{
	struct cell_spec a, b;
	struct cell_error err = { 0 };
	cleanup_free char *text = NULL;

	(void)state;
	default_spec(&a);
	assert_int_equal(cell_spec_add_symlink(&a, "usr/lib", "/lib64", &err), 0);
	a.cell.path_ops[0].after = 2;
	assert_int_equal(cell_spec_add_symlink(&a, "../\"odd\" name", "/x/y", &err), 0);
	text = cell_spec_to_json(&a, &err);
	assert_non_null(text);
	assert_int_equal(parse(&b, text, &err), 0);
	assert_int_equal(b.cell.n_path_ops, 2);
	assert_string_equal(b.cell.path_ops[0].target, "usr/lib");
	assert_string_equal(b.cell.path_ops[0].path, "/lib64");
	assert_int_equal(b.cell.path_ops[0].after, 2);
	assert_string_equal(b.cell.path_ops[1].target, "../\"odd\" name");
	assert_int_equal(b.cell.path_ops[1].after, a.n_mounts);
	cell_spec_free(&a);
	cell_spec_free(&b);
}

/* --dir, --file... travel in the same annotation, in order with the links; data as hex. */
static void test_path_ops_round_trip_with_their_data(void **state)
{
	static const char data[] = { 'a', '\0', '\xff', '\n', '"' };
	struct cell_path_op dir = { .kind = CELL_PATH_DIR, .path = "/run/user/1000", .mode = 0700 };
	struct cell_path_op file = { .kind = CELL_PATH_FILE,
				     .path = "/etc/passwd",
				     .mode = 0644,
				     .data = (char *)data,
				     .len = sizeof(data),
				     .readonly = true };
	struct cell_path_op ro = { .kind = CELL_PATH_REMOUNT_RO, .path = "/mnt" };
	struct cell_spec a, b;
	struct cell_error err = { 0 };
	cleanup_free char *text = NULL;

	(void)state;
	default_spec(&a);
	assert_int_equal(cell_spec_add_path_op(&a, &dir, &err), 0);
	assert_int_equal(cell_spec_add_symlink(&a, "usr/lib", "/lib64", &err), 0);
	assert_int_equal(cell_spec_add_path_op(&a, &file, &err), 0);
	assert_int_equal(cell_spec_add_path_op(&a, &ro, &err), 0);
	a.cell.path_ops[0].after = 1;
	text = cell_spec_to_json(&a, &err);
	assert_non_null(text);
	assert_int_equal(parse(&b, text, &err), 0);
	assert_int_equal(b.cell.n_path_ops, 4);
	assert_int_equal(b.cell.path_ops[0].kind, CELL_PATH_DIR);
	assert_string_equal(b.cell.path_ops[0].path, "/run/user/1000");
	assert_int_equal(b.cell.path_ops[0].mode, 0700);
	assert_int_equal(b.cell.path_ops[0].after, 1);
	assert_int_equal(b.cell.path_ops[1].kind, CELL_PATH_SYMLINK);
	assert_int_equal(b.cell.path_ops[2].kind, CELL_PATH_FILE);
	assert_int_equal(b.cell.path_ops[2].len, sizeof(data));
	assert_memory_equal(b.cell.path_ops[2].data, data, sizeof(data));
	assert_true(b.cell.path_ops[2].readonly);
	assert_int_equal(b.cell.path_ops[3].kind, CELL_PATH_REMOUNT_RO);
	assert_int_equal(b.cell.path_ops[3].after, a.n_mounts);
	cell_spec_free(&a);
	cell_spec_free(&b);
}

static void test_bad_symlinks_annotation_names_it(void **state)
{
	(void)state;
	expect_error("{\"ociVersion\":\"1.0.0\",\"annotations\":{\"run.cell.symlinks\":\"{}\"}}",
		     "annotations.run.cell.symlinks: expected a JSON array as text");
	expect_error("{\"ociVersion\":\"1.0.0\",\"annotations\":{\"run.cell.symlinks\":"
		     "\"[{\\\"target\\\":\\\"a\\\",\\\"link\\\":\\\"/b\\\",\\\"after\\\":1}]\"}}",
		     "annotations.run.cell.symlinks[0]: expected {\"target\": string, \"link\": "
		     "string, \"after\": 0..0 (mounts[])}");
	expect_error("{\"ociVersion\":\"1.0.0\",\"annotations\":{\"run.cell.symlinks\":"
		     "\"[{\\\"target\\\":\\\"a\\\",\\\"link\\\":\\\"/\\\",\\\"after\\\":0}]\"}}",
		     "annotations.run.cell.symlinks[0] (/): LINK is the root, \"/\"");
	expect_error("{\"ociVersion\":\"1.0.0\",\"annotations\":{\"run.cell.symlinks\":"
		     "\"[{\\\"op\\\":\\\"file\\\",\\\"path\\\":\\\"/f\\\",\\\"after\\\":0,"
		     "\\\"mode\\\":420,\\\"data\\\":\\\"6g\\\"}]\"}}",
		     "annotations.run.cell.symlinks[0]: data is no hex string");
	expect_error(
		"{\"ociVersion\":\"1.0.0\",\"annotations\":{\"run.cell.symlinks\":"
		"\"[{\\\"op\\\":\\\"mkfifo\\\",\\\"path\\\":\\\"/f\\\",\\\"after\\\":0,"
		"\\\"mode\\\":420}]\"}}",
		"annotations.run.cell.symlinks[0]: op is none of dir, file, chmod, remount-ro");
}

static void test_bad_examples_name_the_json_path(void **state)
{
	struct cell_spec s;
	struct cell_error err = { 0 };
	char path[512];
	cleanup_free char *t1 = NULL, *t2 = NULL, *t3 = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/oci/bad-linux-hugepage.json", TEST_DATA);
	assert_int_equal(cell_read_file(path, &t1, &len, &err), 0);
	assert_int_not_equal(cell_spec_from_json(&s, t1, len, "x", &err), 0);
	assert_string_equal(err.msg, "linux.resources.hugepageLimits[0].pageSize: '64kB' is not "
				     "a page size like 2MB or 1GB");
	snprintf(path, sizeof(path), "%s/oci/bad-linux-rdma.json", TEST_DATA);
	assert_int_equal(cell_read_file(path, &t2, &len, &err), 0);
	assert_int_not_equal(cell_spec_from_json(&s, t2, len, "x", &err), 0);
	assert_string_equal(err.msg, "linux.resources.rdma.mlx5_1.hcaHandles: expected an integer");
	expect_error(
		"{\"ociVersion\":\"1.0.0\",\"linux\":{\"netDevices\":{\"eth0\":{\"name\":23}}}}",
		"linux.netDevices.eth0.name: expected a string");
	expect_error("{\"ociVersion\":\"1.0.0\",\"linux\":{\"netDevices\":{\"eth0\":1}}}",
		     "linux.netDevices.eth0: expected an object");
	snprintf(path, sizeof(path), "%s/oci/bad-invalid-json.json", TEST_DATA);
	assert_int_equal(cell_read_file(path, &t3, &len, &err), 0);
	assert_int_not_equal(cell_spec_from_json(&s, t3, len, "config.json", &err), 0);
	assert_non_null(strstr(err.msg, "config.json: line "));
}

static void test_type_and_range_errors(void **state)
{
	expect_error("{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":"
		     "{\"limit\":\"1g\"}}}}",
		     "linux.resources.memory.limit: expected an integer");
	expect_error("{}", "ociVersion: required");
	expect_error("[1]", "config.json: expected a JSON object");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\"}}",
		     "process.args: at least one argument is required");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}}",
		     "process.cwd: 'tmp' is not an absolute path");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\",3],\"cwd\":\"/\"}}",
		     "process.args[1]: expected a string");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
		     "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_FLY\"]}}}",
		     "process.capabilities.bounding[1]: unknown capability 'CAP_FLY'");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
		     "\"rlimits\":[{\"type\":\"RLIMIT_NOPE\",\"soft\":1,\"hard\":1}]}}",
		     "process.rlimits[0].type: unknown value 'RLIMIT_NOPE'");
	expect_error("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
		     "\"oomScoreAdj\":1001}}",
		     "process.oomScoreAdj: 1001 is out of range (-1000..1000)");
	expect_error("{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
		     "{\"type\":\"net\"}]}}",
		     "linux.namespaces[1].type: unknown namespace type 'net'");
	expect_error("{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
		     "{\"type\":\"pid\"}]}}",
		     "linux.namespaces[1].type: namespace 'pid' is listed twice");
	expect_error("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"type\":\"tmpfs\"}]}",
		     "mounts[0]: destination is required");
	expect_error(
		"{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":{\"defaultAction\":"
		"\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"NOPE\"}]}}}",
		"linux.seccomp.syscalls[0].action: unknown value 'NOPE'");
	expect_error(
		"{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
		"\"access\":\"rwx\"}]}}}",
		"linux.resources.devices[0].access: 'rwx' is not a combination of r, w and m");
	expect_error("{\"ociVersion\":\"1.0.0\",\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}}",
		     "hooks.prestart[0].path: 'hook' is not an absolute path");
	expect_error("{\"ociVersion\":\"1.0.0\",\"annotations\":{\"a\":1}}",
		     "annotations.a: expected a string");
	expect_error("{\"ociVersion\":\"1.0.0\",\"ociVersion\":\"2.0.0\"}",
		     "config.json: line 1 column 34: duplicate object key near '\"ociVersion\"'");
}

/* Each kind of the reader's dispatch table refuses a value of the wrong type, naming its path. */
static void test_wrong_type_per_table_kind_names_the_path(void **state)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		/* FT_STRING */
		{ "\"hostname\":1", "hostname: expected a string" },
		/* FT_BOOL */
		{ "\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}",
		  "root.readonly: expected true or false" },
		/* FT_INT, its range */
		{ "\"hooks\":{\"poststop\":[{\"path\":\"/h\",\"timeout\":\"1\"}]}",
		  "hooks.poststop[0].timeout: expected an integer" },
		{ "\"hooks\":{\"poststop\":[{\"path\":\"/h\",\"timeout\":0}]}",
		  "hooks.poststop[0].timeout: 0 is out of range (1..2147483647)" },
		/* FT_I64 */
		{ "\"linux\":{\"resources\":{\"cpu\":{\"quota\":1.5}}}",
		  "linux.resources.cpu.quota: expected an integer" },
		{ "\"linux\":{\"resources\":{\"cpu\":{\"quota\":-2}}}",
		  "linux.resources.cpu.quota: -2 is out of range (-1..9223372036854775807)" },
		/* FT_I64 read only for its type ("kernel" is deprecated) */
		{ "\"linux\":{\"resources\":{\"memory\":{\"kernel\":\"1\"}}}",
		  "linux.resources.memory.kernel: expected an integer" },
		/* FT_U16 */
		{ "\"linux\":{\"resources\":{\"blockIO\":{\"weight\":true}}}",
		  "linux.resources.blockIO.weight: expected an integer" },
		{ "\"linux\":{\"resources\":{\"blockIO\":{\"weight\":5}}}",
		  "linux.resources.blockIO.weight: 5 is out of range (10..1000)" },
		/* FT_U32 */
		{ "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}]}",
		  "linux.uidMappings[0].hostID: -1 is out of range (0..4294967295)" },
		{ "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		  "[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,"
		  "\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}",
		  "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0..5)" },
		/* FT_U64 */
		{ "\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":\"1\"}]}}",
		  "linux.resources.hugepageLimits[0].limit: expected an integer" },
		/* FT_STRV */
		{ "\"linux\":{\"maskedPaths\":\"/proc/kcore\"}",
		  "linux.maskedPaths: expected an array of strings" },
		/* FT_ENUM */
		{ "\"linux\":{\"seccomp\":{\"defaultAction\":1}}",
		  "linux.seccomp.defaultAction: expected a string" },
		/* FT_MAP */
		{ "\"linux\":{\"sysctl\":[]}", "linux.sysctl: expected an object" },
		/* FT_ARRAY, and each of its elements */
		{ "\"mounts\":{}", "mounts: expected an array" },
		{ "\"mounts\":[1]", "mounts[0]: expected an object" },
		/* FT_KEYED */
		{ "\"linux\":{\"resources\":{\"rdma\":[]}}",
		  "linux.resources.rdma: expected an object" },
		/* FT_STRUCT */
		{ "\"linux\":{\"resources\":{\"memory\":1}}",
		  "linux.resources.memory: expected an object" },
		{ "\"process\":[]", "process: expected an object" },
		/* F_REQUIRED: the table's message at the object's path */
		{ "\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":1}]}}}",
		  "linux.resources.blockIO.throttleReadBpsDevice[0]: major, minor and rate are required" },
		{ "\"root\":{\"readonly\":true}", "root: path is required" },
	};
	char json[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"ociVersion\":\"1.0.0\",%s}", cases[i].json);
		expect_error(json, cases[i].msg);
	}
}

/* F_HAS: a value given sets its has_* flag; one absent leaves it false; F_IGNORED stores nothing. */
static void test_has_flags_follow_what_is_given(void **state)
{
	struct cell_spec s;
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(parse(&s,
			       "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":"
			       "{\"limit\":5,\"kernel\":7,\"disableOOMKiller\":false},"
			       "\"pids\":{\"limit\":0}}}}",
			       &err),
			 0);
	assert_true(s.linux.resources.has_memory_limit);
	assert_int_equal(s.linux.resources.memory_limit, 5);
	assert_false(s.linux.resources.has_memory_swap);
	assert_false(s.linux.resources.has_memory_kernel_tcp);
	assert_true(s.linux.resources.has_disable_oom_killer);
	assert_false(s.linux.resources.disable_oom_killer);
	assert_true(s.linux.resources.has_pids_limit);
	assert_int_equal(s.linux.resources.pids_limit, -1);
	cell_spec_free(&s);
}

/* config.md: ociVersion "MUST be in SemVer v2.0.0 format" (semver.org's BNF). */
static void test_oci_version_must_be_a_semantic_version(void **state)
{
	static const char *const good[] = { "1.0.0",
					    "0.5.0-dev",
					    "1.0.2-rc.1",
					    "10.20.30",
					    "1.1.0-rc.1+build.5",
					    "1.0.0+20130313144700",
					    "1.0.0-alpha-a.b-c",
					    "1.0.0-0.3.7",
					    "1.0.0+001",
					    "1.0.0-x-y-z.--" };
	static const char *const bad[] = { "1",		 "1.0",	      "1.0.0.0",     "01.0.0",
					   "1.02.0",	 "1.0.0-",    "1.0.0+",	     "1.0.0-01",
					   "1.0.0-a..b", "1.0.0-a_b", "v1.0.0",	     "1.0.0 ",
					   "",		 "1..0",      "1.0.0-rc.1+", "-1.0.0",
					   "1.0.x" };
	char json[128], msg[256];
	struct cell_spec s;
	struct cell_error err = { 0 };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), "{\"ociVersion\":\"%s\"}", good[i]);
		if (parse(&s, json, &err) < 0)
			fail_msg("%s: %s", good[i], err.msg);
		assert_string_equal(s.oci_version, good[i]);
		cell_spec_free(&s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"ociVersion\":\"%s\"}", bad[i]);
		snprintf(msg, sizeof(msg),
			 "ociVersion: \"%s\" is not a semantic version "
			 "(MAJOR.MINOR.PATCH, semver.org 2.0.0)",
			 bad[i]);
		expect_error(json, msg);
	}
}

static void test_unknown_fields_are_ignored_and_nulls_are_absent(void **state)
{
	struct cell_spec s;
	struct cell_error err = { 0 };

	assert_int_equal(parse(&s,
			       "{\"ociVersion\":\"1.0.0\",\"future\":{\"x\":1},\"hostname\":null,"
			       "\"linux\":{\"newThing\":[1]}}",
			       &err),
			 0);
	assert_null(s.hostname);
	cell_spec_free(&s);
}

static void test_pids_limit_zero_means_unlimited(void **state)
{
	struct cell_spec s;
	struct cell_error err = { 0 };

	assert_int_equal(parse(&s,
			       "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"pids\":"
			       "{\"limit\":0}}}}",
			       &err),
			 0);
	assert_true(s.linux.resources.has_pids_limit);
	assert_int_equal(s.linux.resources.pids_limit, -1);
	cell_spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example_reads_every_section),
		cmocka_unit_test(test_round_trip_is_stable),
		cmocka_unit_test(test_cell_defaults_round_trip_with_extras_as_annotations),
		cmocka_unit_test(test_symlinks_round_trip_in_their_annotation),
		cmocka_unit_test(test_path_ops_round_trip_with_their_data),
		cmocka_unit_test(test_bad_symlinks_annotation_names_it),
		cmocka_unit_test(test_bad_examples_name_the_json_path),
		cmocka_unit_test(test_type_and_range_errors),
		cmocka_unit_test(test_wrong_type_per_table_kind_names_the_path),
		cmocka_unit_test(test_has_flags_follow_what_is_given),
		cmocka_unit_test(test_oci_version_must_be_a_semantic_version),
		cmocka_unit_test(test_unknown_fields_are_ignored_and_nulls_are_absent),
		cmocka_unit_test(test_pids_limit_zero_means_unlimited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
