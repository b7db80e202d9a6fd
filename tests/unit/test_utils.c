/* Unit tests for src/lib/base/utils.c: each test's name says the behaviour it pins down. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ns_internal.h"
#include "scratch.h"

#include "state.h"
#include "utils.h"

/* A scratch directory per test, so tests share no files. */
struct scratch {
	char dir[64];
};

static int scratch_setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/cell-test-utils-XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int scratch_teardown(void **state)
{
	struct scratch *s = *state;
	int r = scratch_rmtree(s->dir);

	free(s);
	return r;
}

static void scratch_path(void **state, const char *name, char *buf, size_t size)
{
	struct scratch *s = *state;

	snprintf(buf, size, "%s/%s", s->dir, name);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* ---- strv ---- */

static void test_strv_len_and_free_accept_null(void **state)
{
	(void)state;
	assert_int_equal(cell_strv_len(NULL), 0);
	cell_strv_free(NULL);
}

static void test_strv_dup_of_null_is_null(void **state)
{
	(void)state;
	assert_null(cell_strv_dup(NULL));
}

static void test_strv_append_builds_null_terminated_vector_from_null(void **state)
{
	char **v = NULL;

	(void)state;
	assert_int_equal(cell_strv_append(&v, "a"), 0);
	assert_int_equal(cell_strv_append(&v, "bc"), 0);
	assert_int_equal(cell_strv_append(&v, ""), 0);
	assert_int_equal(cell_strv_len(v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "bc");
	assert_string_equal(v[2], "");
	assert_null(v[3]);
	cell_strv_free(v);
}

static void test_strv_append_copies_the_string(void **state)
{
	char s[] = "orig", **v = NULL;

	(void)state;
	assert_int_equal(cell_strv_append(&v, s), 0);
	s[0] = 'X';
	assert_string_equal(v[0], "orig");
	cell_strv_free(v);
}

static void test_strv_dup_is_deep_copy(void **state)
{
	char *src[] = { "x", "yy", NULL };
	char **copy;

	(void)state;
	copy = cell_strv_dup(src);
	assert_non_null(copy);
	assert_int_equal(cell_strv_len(copy), 2);
	assert_string_equal(copy[0], "x");
	assert_string_equal(copy[1], "yy");
	assert_ptr_not_equal(copy[0], src[0]);
	assert_null(copy[2]);
	cell_strv_free(copy);
}

static void test_strv_dup_of_empty_vector_is_empty_vector(void **state)
{
	char *src[] = { NULL };
	char **copy;

	(void)state;
	copy = cell_strv_dup(src);
	assert_non_null(copy);
	assert_null(copy[0]);
	cell_strv_free(copy);
}

/* ---- cell_write_at / cell_read_at ---- */

static void test_write_at_truncates_and_replaces_content(void **state)
{
	struct cell_error err = { 0 };
	char path[PATH_MAX], buf[64];

	scratch_path(state, "file", path, sizeof(path));
	write_file(path, "a much longer old content\n");
	assert_int_equal(cell_write_at(AT_FDCWD, path, "new\n", 4, &err), 0);
	assert_int_equal(cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &err), 4);
	assert_string_equal(buf, "new\n");
}

static void test_write_at_does_not_create_missing_file(void **state)
{
	struct cell_error err = { 0 };
	char path[PATH_MAX];

	scratch_path(state, "missing", path, sizeof(path));
	assert_int_equal(cell_write_at(AT_FDCWD, path, "x", 1, &err), -ENOENT);
	assert_int_equal(err.errnum, ENOENT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_write_at_relative_to_dirfd_names_full_path_in_error(void **state)
{
	struct scratch *s = *state;
	struct cell_error err = { 0 };
	char expected[PATH_MAX];
	int dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	assert_int_equal(cell_write_at(dirfd, "uid_map", "0 0 1\n", 6, &err), -ENOENT);
	snprintf(expected, sizeof(expected), "%s/uid_map", s->dir);
	assert_non_null(strstr(err.msg, expected));
	close(dirfd);
}

static void test_write_at_relative_to_dirfd_writes_there(void **state)
{
	struct scratch *s = *state;
	struct cell_error err = { 0 };
	char path[PATH_MAX], buf[16];
	int dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	scratch_path(state, "memory.max", path, sizeof(path));
	write_file(path, "max\n");
	assert_int_equal(cell_write_at(dirfd, "memory.max", "1048576", 7, &err), 0);
	assert_int_equal(cell_read_at(dirfd, "memory.max", buf, sizeof(buf), &err), 7);
	assert_string_equal(buf, "1048576");
	close(dirfd);
}

static void test_read_at_truncates_to_size_minus_one_and_terminates(void **state)
{
	struct cell_error err = { 0 };
	char path[PATH_MAX], buf[5];

	scratch_path(state, "long", path, sizeof(path));
	write_file(path, "0123456789");
	assert_int_equal(cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &err), 4);
	assert_string_equal(buf, "0123");
}

static void test_read_at_missing_file_names_path(void **state)
{
	struct cell_error err = { 0 };
	char path[PATH_MAX], buf[8];

	scratch_path(state, "nope", path, sizeof(path));
	assert_int_equal(cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &err), -ENOENT);
	assert_non_null(strstr(err.msg, path));
}

static void test_read_at_refuses_zero_size_buffer(void **state)
{
	struct cell_error err = { 0 };
	char buf[1];

	(void)state;
	assert_int_equal(cell_read_at(AT_FDCWD, "/proc/self/stat", buf, 0, &err), -EINVAL);
}

/* ---- cell_parse_rate ---- */

static void test_parse_rate_takes_tc_units_in_bits_and_bytes(void **state)
{
	static const struct {
		const char *s;
		uint64_t bytes;
	} ok[] = {
		{ "10mbit", 1250000 }, { "1gbit", 125000000 }, { "8bit", 1 },
		{ "500kbit", 62500 },  { "1.5mbit", 187500 },  { "5mbps", 5000000 },
		{ "2KBPS", 2000 },     { "100bps", 100 },
	};
	struct cell_error err = { 0 };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (cell_parse_rate(ok[i].s, &v, &err) != 0)
			fail_msg("'%s' refused: %s", ok[i].s, err.msg);
		if (v != ok[i].bytes)
			fail_msg("'%s' gave %llu bytes/s", ok[i].s, (unsigned long long)v);
	}
}

static void test_parse_rate_refuses_missing_or_unknown_units_and_zero(void **state)
{
	static const char *const bad[] = { "10",   "10mbits", "fast", "0mbit",	 "-1mbit",
					   "mbit", "",	      "1bit", "nanmbit", "1e20gbit" };
	struct cell_error err = { 0 };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cell_parse_rate(bad[i], &v, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "rate '"));
	}
}

/* ---- cell_parse_size ---- */

static void assert_size(const char *s, bool allow_unlimited, int64_t expected)
{
	struct cell_error err = { 0 };
	int64_t v = 12345;

	if (cell_parse_size(s, allow_unlimited, &v, &err) != 0)
		fail_msg("'%s' refused: %s", s, err.msg);
	if (v != expected)
		fail_msg("'%s' gave %lld, expected %lld", s, (long long)v, (long long)expected);
}

static void assert_size_refused(const char *s, bool allow_unlimited, int expected_r)
{
	struct cell_error err = { 0 };
	char quoted[128];
	int64_t v = 12345;
	int r = cell_parse_size(s, allow_unlimited, &v, &err);

	if (r != expected_r)
		fail_msg("'%s' returned %d, expected %d (%s)", s, r, expected_r, err.msg);
	assert_int_equal(v, 12345); /* *out untouched on failure */
	snprintf(quoted, sizeof(quoted), "'%s'", s);
	if (!strstr(err.msg, quoted))
		fail_msg("message for '%s' does not quote it: %s", s, err.msg);
}

static void test_parse_size_accepts_plain_bytes(void **state)
{
	(void)state;
	assert_size("4096", false, 4096);
	assert_size("0", false, 0);
	assert_size("512b", false, 512);
}

static void test_parse_size_units_are_1024_based_and_case_insensitive(void **state)
{
	(void)state;
	assert_size("512k", false, 512 * 1024);
	assert_size("512K", false, 512 * 1024);
	assert_size("256m", false, 256LL << 20);
	assert_size("256M", false, 256LL << 20);
	assert_size("1g", false, 1LL << 30);
	assert_size("2T", false, 2LL << 40);
}

static void test_parse_size_accepts_trailing_b_after_unit(void **state)
{
	(void)state;
	assert_size("64mb", false, 64LL << 20);
	assert_size("64MB", false, 64LL << 20);
	assert_size("1Gb", false, 1LL << 30);
}

static void test_parse_size_rounds_fractions_down_to_bytes(void **state)
{
	(void)state;
	assert_size("1.5g", false, 3LL << 29);
	assert_size("0.5k", false, 512);
	assert_size("1.9999", false, 1);
	/* exact: 1/1024 = 0.0009765625, one digit less is just under a byte */
	assert_size("0.0009765625k", false, 1);
	assert_size("0.0009765624999999999999999999k", false, 0);
}

static void test_parse_size_minus_one_only_when_unlimited_allowed(void **state)
{
	(void)state;
	assert_size("-1", true, -1);
	assert_size_refused("-1", false, -EINVAL);
}

static void test_parse_size_rejects_negative_numbers(void **state)
{
	(void)state;
	assert_size_refused("-5", true, -EINVAL);
	assert_size_refused("-5", false, -EINVAL);
	assert_size_refused("-1k", true, -EINVAL);
	assert_size_refused("-10", true, -EINVAL);
}

static void test_parse_size_rejects_unknown_unit(void **state)
{
	struct cell_error err = { 0 };
	int64_t v;

	(void)state;
	assert_size_refused("12Q", false, -EINVAL);
	assert_size_refused("12p", false, -EINVAL);
	assert_size_refused("12kk", false, -EINVAL);
	assert_size_refused("12bb", false, -EINVAL);
	assert_size_refused("12kib", false, -EINVAL);
	cell_parse_size("12Q", false, &v, &err);
	assert_string_equal(err.msg, "invalid size '12Q': expected a number with an optional unit "
				     "b, k, m, g or t");
}

static void test_parse_size_rejects_empty_and_unit_without_number(void **state)
{
	(void)state;
	assert_size_refused("", false, -EINVAL);
	assert_size_refused("m", false, -EINVAL);
	assert_size_refused("-", true, -EINVAL);
}

static void test_parse_size_rejects_malformed_fractions(void **state)
{
	(void)state;
	assert_size_refused("1.5.5", false, -EINVAL);
	assert_size_refused("1.", false, -EINVAL);
	assert_size_refused(".5k", false, -EINVAL);
	assert_size_refused("1.k", false, -EINVAL);
}

static void test_parse_size_rejects_whitespace_and_signs(void **state)
{
	(void)state;
	assert_size_refused(" 5", false, -EINVAL);
	assert_size_refused("5 ", false, -EINVAL);
	assert_size_refused("5 k", false, -EINVAL);
	assert_size_refused("+5", false, -EINVAL);
	assert_size_refused("0x10", false, -EINVAL);
}

static void test_parse_size_overflow_is_erange(void **state)
{
	struct cell_error err = { 0 };
	int64_t v;

	(void)state;
	assert_size_refused("99999999999999999999", false, -ERANGE);
	assert_size_refused("9223372036854775808", false, -ERANGE);
	assert_size_refused("8388608t", false, -ERANGE);
	assert_size_refused("9007199254740992k", false, -ERANGE);
	assert_int_equal(cell_parse_size("99999999999999999999", false, &v, &err), -ERANGE);
	assert_int_equal(err.errnum, ERANGE);
}

static void test_parse_size_accepts_largest_int64(void **state)
{
	(void)state;
	assert_size("9223372036854775807", false, INT64_MAX);
	assert_size("8388607t", false, 8388607LL << 40);
	assert_size("8388607.99999999999999999999t", false, INT64_MAX); /* floor */
}

/* ---- cell_parse_id_map ---- */

static void test_parse_id_map_accepts_three_numbers(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map m;

	(void)state;
	assert_int_equal(cell_parse_id_map("0:1000:65536", &m, &err), 0);
	assert_int_equal(m.container_id, 0);
	assert_int_equal(m.host_id, 1000);
	assert_int_equal(m.size, 65536);
	assert_int_equal(cell_parse_id_map("4294967294:0:1", &m, &err), 0);
	assert_int_equal(m.container_id, 4294967294u);
}

static void assert_id_map_refused(const char *s, int expected_r)
{
	struct cell_error err = { 0 };
	struct cell_id_map m = { 7, 7, 7 };
	char quoted[128];
	int r = cell_parse_id_map(s, &m, &err);

	if (r != expected_r)
		fail_msg("'%s' returned %d, expected %d (%s)", s, r, expected_r, err.msg);
	assert_int_equal(m.size, 7);
	snprintf(quoted, sizeof(quoted), "'%s'", s);
	if (!strstr(err.msg, quoted))
		fail_msg("message for '%s' does not quote it: %s", s, err.msg);
}

static void test_parse_id_map_rejects_malformed(void **state)
{
	(void)state;
	assert_id_map_refused("", -EINVAL);
	assert_id_map_refused("0:1000", -EINVAL);
	assert_id_map_refused("0:1000:1:2", -EINVAL);
	assert_id_map_refused("a:b:c", -EINVAL);
	assert_id_map_refused("::", -EINVAL);
	assert_id_map_refused("-1:0:1", -EINVAL);
	assert_id_map_refused("+1:0:1", -EINVAL);
	assert_id_map_refused(" 0:1:1", -EINVAL);
	assert_id_map_refused("0:1:1 ", -EINVAL);
	assert_id_map_refused("0:1:1\n", -EINVAL);
}

static void test_parse_id_map_rejects_zero_size(void **state)
{
	(void)state;
	assert_id_map_refused("0:1000:0", -EINVAL);
}

static void test_parse_id_map_number_above_u32_is_erange(void **state)
{
	(void)state;
	assert_id_map_refused("4294967296:0:1", -ERANGE);
	assert_id_map_refused("0:99999999999999999999:1", -ERANGE);
}

static void test_parse_id_map_range_reaching_id_minus_one_is_erange(void **state)
{
	(void)state;
	assert_id_map_refused("4294967295:0:1", -ERANGE);
	assert_id_map_refused("0:4294967295:1", -ERANGE);
	assert_id_map_refused("1:0:4294967295", -ERANGE);
	assert_id_map_refused("0:4294967000:1000", -ERANGE);
}

/* ---- cell_id_maps_check ---- */

static void test_id_maps_check_refuses_empty(void **state)
{
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(NULL, 0, "uidmap", &err), -EINVAL);
	assert_string_equal(err.msg, "uidmap: no mappings");
}

static void test_id_maps_check_accepts_adjacent_ranges(void **state)
{
	struct cell_id_map maps[] = { { 0, 1000, 1 }, { 1, 2000, 1 }, { 2, 1001, 10 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(maps, 3, "uidmap", &err), 0);
}

static void test_id_maps_check_detects_overlap_inside_container(void **state)
{
	struct cell_id_map maps[] = { { 0, 1000, 10 }, { 5, 2000, 10 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(maps, 2, "uidmap", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "uidmap: ranges 0:1000:10 and 5:2000:10 overlap inside the container");
}

static void test_id_maps_check_detects_overlap_in_any_order(void **state)
{
	struct cell_id_map maps[] = { { 100, 1000, 1 }, { 10, 5000, 5 }, { 0, 3000, 11 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(maps, 3, "gidmap", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "10:5000:5 and 0:3000:11 overlap inside the container"));
}

static void test_id_maps_check_detects_overlap_on_host(void **state)
{
	struct cell_id_map maps[] = { { 0, 1000, 10 }, { 100, 1009, 1 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(maps, 2, "gidmap", &err), -EINVAL);
	assert_string_equal(err.msg, "gidmap: ranges 0:1000:10 and 100:1009:1 overlap on the host");
}

static void test_id_maps_check_refuses_zero_size_and_overflow(void **state)
{
	struct cell_id_map zero[] = { { 0, 1000, 0 } };
	struct cell_id_map wrap[] = { { 0, 1000, 1 }, { 1, 4294967295u, 1 } };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(cell_id_maps_check(zero, 1, "uidmap", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "uidmap: invalid mapping 0:1000:0"));
	assert_int_equal(cell_id_maps_check(wrap, 2, "uidmap", &err), -ERANGE);
	assert_non_null(strstr(err.msg, "uidmap: invalid mapping 1:4294967295:1"));
}

static void test_id_maps_check_accepts_340_and_refuses_341_entries(void **state)
{
	struct cell_id_map maps[341];
	struct cell_error err = { 0 };

	(void)state;
	for (uint32_t i = 0; i < 341; i++)
		maps[i] = (struct cell_id_map){ i * 10, 100000 + i * 10, 10 };
	assert_int_equal(cell_id_maps_check(maps, 340, "uidmap", &err), 0);
	assert_int_equal(cell_id_maps_check(maps, 341, "uidmap", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "uidmap: 341 mappings"));
	assert_non_null(strstr(err.msg, "340"));
}

/* ---- cell_subid_ranges ---- */

static const char subuid_text[] = "# subordinate ids\n"
				  "alice:100000:65536\n"
				  "\n"
				  "bob:200000:65536\n"
				  "alicex:1:1\n"
				  "1000:300000:65536\n"
				  "01000:900000:1\n"
				  "this line is malformed\n"
				  "alice:notanumber:5\n"
				  "alice:500000\n"
				  "alice:600000:0\n"
				  "alice:700000:10:extra\n"
				  "alice:4294967290:10\n"
				  "#alice:800000:1\n"
				  "alice:400000:1000"; /* no final newline */

static void test_subid_ranges_collects_user_and_numeric_uid_in_order(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = NULL;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "subuid", path, sizeof(path));
	write_file(path, subuid_text);
	assert_int_equal(cell_subid_ranges(path, "alice", 1000, &ranges, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ranges[0].host_id, 100000);
	assert_int_equal(ranges[0].size, 65536);
	assert_int_equal(ranges[1].host_id, 300000);
	assert_int_equal(ranges[1].size, 65536);
	assert_int_equal(ranges[2].host_id, 400000);
	assert_int_equal(ranges[2].size, 1000);
	assert_int_equal(ranges[0].container_id, 0);
	free(ranges);
}

static void test_subid_ranges_skips_malformed_lines_of_the_user(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = NULL;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "subuid", path, sizeof(path));
	write_file(path, "alice:x:1\nalice:1:\nalice::1\nalice:1:1:1\nalice:5:5\n");
	assert_int_equal(cell_subid_ranges(path, "alice", 4242, &ranges, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ranges[0].host_id, 5);
	free(ranges);
}

static void test_subid_ranges_matches_other_user_by_name_only(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = NULL;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "subuid", path, sizeof(path));
	write_file(path, subuid_text);
	assert_int_equal(cell_subid_ranges(path, "bob", 1001, &ranges, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ranges[0].host_id, 200000);
	free(ranges);
}

static void test_subid_ranges_none_is_empty_not_error(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = (struct cell_id_map *)&err;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "subuid", path, sizeof(path));
	write_file(path, subuid_text);
	assert_int_equal(cell_subid_ranges(path, "carol", 2000, &ranges, &n, &err), 0);
	assert_null(ranges);
	assert_int_equal(n, 0);
}

static void test_subid_ranges_missing_file_is_empty_not_error(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = (struct cell_id_map *)&err;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "no-subuid", path, sizeof(path));
	assert_int_equal(cell_subid_ranges(path, "alice", 1000, &ranges, &n, &err), 0);
	assert_null(ranges);
	assert_int_equal(n, 0);
}

static void test_subid_ranges_unreadable_file_is_error_naming_it(void **state)
{
	struct scratch *s = *state;
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = NULL;
	size_t n = 99;

	/* A directory opens for reading but fails on read(2) with EISDIR. */
	assert_int_equal(cell_subid_ranges(s->dir, "alice", 1000, &ranges, &n, &err), -EISDIR);
	assert_null(ranges);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, s->dir));
}

static void test_subid_ranges_null_user_matches_by_id(void **state)
{
	struct cell_error err = { 0 };
	struct cell_id_map *ranges = NULL;
	char path[PATH_MAX];
	size_t n = 99;

	scratch_path(state, "subuid", path, sizeof(path));
	write_file(path, subuid_text);
	assert_int_equal(cell_subid_ranges(path, NULL, 1000, &ranges, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ranges[0].host_id, 300000);
	free(ranges);
}

/* ---- cell_format_id_map ---- */

static void test_format_id_map_writes_kernel_lines(void **state)
{
	struct cell_id_map maps[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
	static const char expected[] = "0 1000 1\n1 100000 65536\n";
	struct cell_error err = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(cell_format_id_map(maps, 2, buf, sizeof(buf), &err), strlen(expected));
	assert_string_equal(buf, expected);
	assert_int_equal(cell_format_id_map(maps, 2, buf, sizeof(expected), &err),
			 strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_format_id_map_refuses_buffer_too_small(void **state)
{
	struct cell_id_map maps[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
	struct cell_error err = { 0 };
	char buf[64];

	(void)state;
	/* 24 characters + NUL: 24 bytes is one short */
	assert_int_equal(cell_format_id_map(maps, 2, buf, 24, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "needs 25 bytes"));
	assert_string_equal(buf, ""); /* never a cut map that looks valid */
	assert_int_equal(cell_format_id_map(maps, 2, NULL, 0, &err), -EINVAL);
}

static void test_format_id_map_of_nothing_is_empty_string(void **state)
{
	struct cell_error err = { 0 };
	char buf[4] = "xyz";

	(void)state;
	assert_int_equal(cell_format_id_map(NULL, 0, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "");
}

/* ---- cell_random_id ---- */

static void test_random_id_is_12_lowercase_hex_digits(void **state)
{
	struct cell_error err = { 0 };
	char id[13];

	(void)state;
	memset(id, 'Z', sizeof(id));
	assert_int_equal(cell_random_id(id, &err), 0);
	assert_int_equal(strlen(id), 12);
	assert_int_equal(strspn(id, "0123456789abcdef"), 12);
}

static void test_random_id_two_calls_differ(void **state)
{
	struct cell_error err = { 0 };
	char a[13], b[13];

	(void)state;
	assert_int_equal(cell_random_id(a, &err), 0);
	assert_int_equal(cell_random_id(b, &err), 0);
	assert_string_not_equal(a, b);
}

static void test_random_id_is_never_all_digits(void **state)
{
	struct cell_error err = { 0 };
	char id[13];

	(void)state;
	/* ~1 in 280 raw draws is all digits: 2000 draws would hit several. */
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(cell_random_id(id, &err), 0);
		assert_true(strspn(id, "0123456789") < 12);
	}
}

#define SCRATCH_TEST(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

static void test_id_maps_contain_checks_container_side_bounds(void **state)
{
	const struct cell_id_map maps[] = { { 0, 1000, 1 }, { 5, 200000, 10 } };

	(void)state;
	assert_true(cell_id_maps_contain(maps, 2, 0));
	assert_false(cell_id_maps_contain(maps, 2, 1));
	assert_true(cell_id_maps_contain(maps, 2, 5));
	assert_true(cell_id_maps_contain(maps, 2, 14));
	assert_false(cell_id_maps_contain(maps, 2, 15));
	assert_false(cell_id_maps_contain(maps, 2, 1000)); /* a host id, not a container one */
	assert_false(cell_id_maps_contain(NULL, 0, 0));
}

/* The state's time stamps without glibc's time zone code agree with gmtime_r. */
static void test_state_time_matches_gmtime(void **state)
{
	(void)state;
	/* epoch, leap days, century years, the 2038 boundary, before 1970 */
	static const long long fixed[] = {
		0,  951782400, 951868800,     4107542400LL, 2147483647LL, 2147483648LL,
		-1, -86400,    -2208988800LL, 1795440645
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 2000; i++) {
		struct timespec ts = { .tv_nsec = 123456789 };
		char got[64], want[64], base[48];
		struct tm tm;

		ts.tv_sec = i < sizeof(fixed) / sizeof(fixed[0])
				    ? (time_t)fixed[i]
				    : (time_t)(i * 7919LL * 86400 / 3 - 500000000LL);
		assert_non_null(gmtime_r(&ts.tv_sec, &tm));
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.123456789Z", base);
		cell_state_time(got, sizeof(got), &ts);
		assert_string_equal(got, want);
	}
}

/* src/lib/base/error.c: one mapping from an error to an exit status, for every front end. */
static void test_error_exit_status_is_127_not_found_126_denied_else_125(void **state)
{
	struct cell_error err = { 0 };

	(void)state;
	cell_error_set(&err, EPERM, "mount /proc");
	assert_int_equal(cell_error_exit_status(&err), 125);
	assert_int_equal(cell_error_set_exec(&err, ENOENT, "nosuch"), -ENOENT);
	assert_string_equal(err.msg, "exec nosuch: No such file or directory");
	assert_int_equal(cell_error_exit_status(&err), 127);
	cell_error_set_exec(&err, EACCES, "/etc/passwd");
	assert_int_equal(cell_error_exit_status(&err), 126);
	cell_error_set_exec(&err, ENOEXEC, "/bin/empty");
	assert_int_equal(cell_error_exit_status(&err), 126);
	/* a later error of another kind is a cell failure again */
	cell_error_set(&err, ENOMEM, "spec");
	assert_int_equal(cell_error_exit_status(&err), 125);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv_len_and_free_accept_null),
		cmocka_unit_test(test_strv_dup_of_null_is_null),
		cmocka_unit_test(test_strv_append_builds_null_terminated_vector_from_null),
		cmocka_unit_test(test_strv_append_copies_the_string),
		cmocka_unit_test(test_strv_dup_is_deep_copy),
		cmocka_unit_test(test_strv_dup_of_empty_vector_is_empty_vector),
		SCRATCH_TEST(test_write_at_truncates_and_replaces_content),
		SCRATCH_TEST(test_write_at_does_not_create_missing_file),
		SCRATCH_TEST(test_write_at_relative_to_dirfd_names_full_path_in_error),
		SCRATCH_TEST(test_write_at_relative_to_dirfd_writes_there),
		SCRATCH_TEST(test_read_at_truncates_to_size_minus_one_and_terminates),
		SCRATCH_TEST(test_read_at_missing_file_names_path),
		cmocka_unit_test(test_read_at_refuses_zero_size_buffer),
		cmocka_unit_test(test_parse_size_accepts_plain_bytes),
		cmocka_unit_test(test_parse_size_units_are_1024_based_and_case_insensitive),
		cmocka_unit_test(test_parse_size_accepts_trailing_b_after_unit),
		cmocka_unit_test(test_parse_size_rounds_fractions_down_to_bytes),
		cmocka_unit_test(test_parse_size_minus_one_only_when_unlimited_allowed),
		cmocka_unit_test(test_parse_size_rejects_negative_numbers),
		cmocka_unit_test(test_parse_size_rejects_unknown_unit),
		cmocka_unit_test(test_parse_size_rejects_empty_and_unit_without_number),
		cmocka_unit_test(test_parse_size_rejects_malformed_fractions),
		cmocka_unit_test(test_parse_size_rejects_whitespace_and_signs),
		cmocka_unit_test(test_parse_size_overflow_is_erange),
		cmocka_unit_test(test_parse_size_accepts_largest_int64),
		cmocka_unit_test(test_parse_id_map_accepts_three_numbers),
		cmocka_unit_test(test_parse_id_map_rejects_malformed),
		cmocka_unit_test(test_parse_id_map_rejects_zero_size),
		cmocka_unit_test(test_parse_id_map_number_above_u32_is_erange),
		cmocka_unit_test(test_parse_id_map_range_reaching_id_minus_one_is_erange),
		cmocka_unit_test(test_id_maps_check_refuses_empty),
		cmocka_unit_test(test_id_maps_check_accepts_adjacent_ranges),
		cmocka_unit_test(test_id_maps_check_detects_overlap_inside_container),
		cmocka_unit_test(test_id_maps_check_detects_overlap_in_any_order),
		cmocka_unit_test(test_id_maps_check_detects_overlap_on_host),
		cmocka_unit_test(test_id_maps_check_refuses_zero_size_and_overflow),
		cmocka_unit_test(test_id_maps_check_accepts_340_and_refuses_341_entries),
		SCRATCH_TEST(test_subid_ranges_collects_user_and_numeric_uid_in_order),
		SCRATCH_TEST(test_subid_ranges_skips_malformed_lines_of_the_user),
		SCRATCH_TEST(test_subid_ranges_matches_other_user_by_name_only),
		SCRATCH_TEST(test_subid_ranges_none_is_empty_not_error),
		SCRATCH_TEST(test_subid_ranges_missing_file_is_empty_not_error),
		SCRATCH_TEST(test_subid_ranges_unreadable_file_is_error_naming_it),
		SCRATCH_TEST(test_subid_ranges_null_user_matches_by_id),
		cmocka_unit_test(test_id_maps_contain_checks_container_side_bounds),
		cmocka_unit_test(test_format_id_map_writes_kernel_lines),
		cmocka_unit_test(test_format_id_map_refuses_buffer_too_small),
		cmocka_unit_test(test_format_id_map_of_nothing_is_empty_string),
		cmocka_unit_test(test_random_id_is_12_lowercase_hex_digits),
		cmocka_unit_test(test_random_id_two_calls_differ),
		cmocka_unit_test(test_random_id_is_never_all_digits),
		cmocka_unit_test(test_parse_rate_takes_tc_units_in_bits_and_bytes),
		cmocka_unit_test(test_parse_rate_refuses_missing_or_unknown_units_and_zero),
		cmocka_unit_test(test_state_time_matches_gmtime),
		cmocka_unit_test(test_error_exit_status_is_127_not_found_126_denied_else_125),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
