/* Unit tests for the pure parts of `cell ns`: links, mountinfo, types, columns, id maps, targets. */
#include <errno.h>
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

#include "scratch.h"

#include "cell/ns.h"
#include "ns_cli.h"
#include "run_flags.h"

static void nsfs_link_gives_type_and_inode(void **state)
{
	enum cell_ns_type type;
	uint64_t ino;

	(void)state;
	assert_int_equal(cell_ns_parse_link("net:[4026531840]", &type, &ino), 0);
	assert_int_equal(type, CELL_NS_NET);
	assert_true(ino == 4026531840ULL);
	assert_int_equal(cell_ns_parse_link("mnt:[4026531841]", &type, &ino), 0);
	assert_int_equal(type, CELL_NS_MNT);
	assert_int_equal(cell_ns_parse_link("pid_for_children:[1]", &type, &ino), -EINVAL);
}

static void links_that_are_not_namespaces_are_refused(void **state)
{
	enum cell_ns_type type;
	uint64_t ino;

	(void)state;
	assert_int_equal(cell_ns_parse_link("socket:[12345]", &type, &ino), -EINVAL);
	assert_int_equal(cell_ns_parse_link("anon_inode:[pidfd]", &type, &ino), -EINVAL);
	assert_int_equal(cell_ns_parse_link("/dev/null", &type, &ino), -EINVAL);
	assert_int_equal(cell_ns_parse_link("net:[12", &type, &ino), -EINVAL);
	assert_int_equal(cell_ns_parse_link("net:[12]x", &type, &ino), -EINVAL);
	assert_int_equal(cell_ns_parse_link("mount:[12]", &type, &ino), -EINVAL);
}

static void mountinfo_nsfs_line_gives_unescaped_mount_point(void **state)
{
	const char *line = "612 29 0:4 net:[4026532712] /run/netns/my\\040net rw shared:5 - "
			   "nsfs nsfs rw\n";
	char point[256];
	enum cell_ns_type type;
	uint64_t ino;

	(void)state;
	assert_int_equal(cell_ns_parse_mountinfo_line(line, point, sizeof(point), &type, &ino), 1);
	assert_string_equal(point, "/run/netns/my net");
	assert_int_equal(type, CELL_NS_NET);
	assert_true(ino == 4026532712ULL);
}

static void mountinfo_lines_of_other_file_systems_are_skipped(void **state)
{
	char point[256];
	enum cell_ns_type type;
	uint64_t ino;

	(void)state;
	assert_int_equal(cell_ns_parse_mountinfo_line("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
						      point, sizeof(point), &type, &ino),
			 0);
	assert_int_equal(cell_ns_parse_mountinfo_line("26 1 0:5 / /proc rw - proc proc rw\n", point,
						      sizeof(point), &type, &ino),
			 0);
	assert_int_equal(cell_ns_parse_mountinfo_line("garbage", point, sizeof(point), &type, &ino),
			 0);
}

static void type_lists_take_proc_and_oci_names_and_all(void **state)
{
	struct cell_error err = { 0 };
	unsigned mask;

	(void)state;
	assert_int_equal(cell_ns_parse_types("net,uts", &mask, &err), 0);
	assert_int_equal(mask, CELL_NS_MASK(CELL_NS_NET) | CELL_NS_MASK(CELL_NS_UTS));
	assert_int_equal(cell_ns_parse_types("network,mount", &mask, &err), 0);
	assert_int_equal(mask, CELL_NS_MASK(CELL_NS_NET) | CELL_NS_MASK(CELL_NS_MNT));
	assert_int_equal(cell_ns_parse_types("all", &mask, &err), 0);
	assert_int_equal(mask, CELL_NS_ALL);
}

static void unknown_type_names_the_type(void **state)
{
	struct cell_error err = { 0 };
	unsigned mask;

	(void)state;
	assert_int_equal(cell_ns_parse_types("net,bogus", &mask, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'bogus'"));
	assert_int_equal(cell_ns_parse_types(",", &mask, &err), -EINVAL);
}

static void columns_are_case_insensitive_and_plus_extends_default(void **state)
{
	enum cell_ns_column cols[CELL_NS_MAX_COLUMNS];
	struct cell_error err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(cell_ns_parse_columns("ns,Type,PID", cols, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cols[1], CELL_NS_COL_TYPE);
	assert_int_equal(cell_ns_parse_columns("+nsfs", cols, &n, &err), 0);
	assert_int_equal(n, cell_ns_n_default_columns + 1);
	assert_int_equal(cols[n - 1], CELL_NS_COL_NSFS);
	assert_int_equal(cell_ns_parse_columns("ns,nope", cols, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'nope'"));
}

static void id_map_translates_host_ids_to_inside(void **state)
{
	const char *map = "         0      65534          1\n         1     300000      65536\n";
	uint32_t in;

	(void)state;
	assert_int_equal(cell_id_map_to_inside(map, 65534, &in), 0);
	assert_int_equal(in, 0);
	assert_int_equal(cell_id_map_to_inside(map, 300009, &in), 0);
	assert_int_equal(in, 10);
	assert_int_equal(cell_id_map_to_inside(map, 1000, &in), -ERANGE);
	assert_int_equal(cell_id_map_to_inside(map, 365536, &in), -ERANGE);
}

static void state_root_follows_root_flag_then_euid_then_xdg(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(cell_ns_state_root("/x", 1000, buf, sizeof(buf)), "/x");
	assert_string_equal(cell_ns_state_root(NULL, 0, buf, sizeof(buf)), "/run/cell");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_string_equal(cell_ns_state_root(NULL, 1000, buf, sizeof(buf)),
			    "/run/user/1000/cell");
	unsetenv("XDG_RUNTIME_DIR");
	assert_null(cell_ns_state_root(NULL, 1000, buf, sizeof(buf)));
}

static void write_state(const char *root, const char *id, const char *json)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, id);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/state.json", root, id);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

static void container_target_reads_pid_from_state_json(void **state)
{
	char root[] = "/tmp/cell-test-ns-XXXXXX";
	struct cell_error err = { 0 };
	pid_t pid = 0;

	(void)state;
	assert_non_null(mkdtemp(root));
	write_state(root, "web",
		    "{\"ociVersion\":\"1.2.0\",\"id\":\"web\",\"status\":\"running\","
		    "\"pid\":4242,\"bundle\":\"/b\"}");
	write_state(root, "old", "{\"id\":\"old\",\"status\":\"stopped\",\"pid\":0}");
	assert_int_equal(cell_ns_resolve_target("web", root, &pid, &err), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(cell_ns_resolve_target("old", root, &pid, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "stopped"));
	assert_int_equal(cell_ns_resolve_target("nothere", root, &pid, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "nothere"));
	assert_int_equal(cell_ns_resolve_target("123", root, &pid, &err), 0);
	assert_int_equal(pid, 123);
	assert_true(cell_ns_resolve_target("0", root, &pid, &err) < 0);
	assert_true(cell_ns_resolve_target("../etc", root, &pid, &err) < 0);
	assert_int_equal(scratch_rmtree(root), 0);
}

#define RUN_ARGV(...) ((char *[]){ "run", __VA_ARGS__, NULL })
#define RUN_ARGC(...) ((int)(sizeof((char *[]){ "run", __VA_ARGS__ }) / sizeof(char *)))
#define RUN_PARSE(cli, err, ...)                                                                   \
	cell_run_parse(RUN_ARGC(__VA_ARGS__), RUN_ARGV(__VA_ARGS__), 0, 0, cli, err)

static void run_ns_flag_sets_the_namespace_path_after_checking_its_type(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(RUN_PARSE(&cli, &err, "--ns", "net=/proc/self/ns/net", "true"), 0);
	assert_true(cli.spec.linux.namespaces[CELL_NS_NET].present);
	assert_string_equal(cli.spec.linux.namespaces[CELL_NS_NET].path, "/proc/self/ns/net");
	assert_null(cli.spec.linux.namespaces[CELL_NS_UTS].path);
	cell_run_cli_free(&cli);
	assert_true(RUN_PARSE(&cli, &err, "--ns", "net=/proc/self/ns/uts", "true") < 0);
	assert_non_null(strstr(err.msg, "not a network namespace"));
	cell_run_cli_free(&cli);
	assert_true(RUN_PARSE(&cli, &err, "--ns", "net", "true") < 0);
	assert_non_null(strstr(err.msg, "TYPE=PATH"));
	cell_run_cli_free(&cli);
}

static void run_pin_flag_needs_a_namespace_the_container_creates(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	(void)state;
	assert_int_equal(RUN_PARSE(&cli, &err, "--pin", "net=/run/netns/x", "true"), 0);
	assert_string_equal(cli.pin[CELL_NS_NET], "/run/netns/x");
	cell_run_cli_free(&cli);
	assert_true(RUN_PARSE(&cli, &err, "--pin", "net=/x", "--share-net", "true") < 0);
	assert_non_null(strstr(err.msg, "--pin net"));
	cell_run_cli_free(&cli);
	assert_true(RUN_PARSE(&cli, &err, "--pin", "time=/x", "true") < 0);
	assert_non_null(strstr(err.msg, "time"));
	cell_run_cli_free(&cli);
	assert_true(RUN_PARSE(&cli, &err, "--pin", "nope=/x", "true") < 0);
	assert_non_null(strstr(err.msg, "'nope'"));
	cell_run_cli_free(&cli);
}

/* ns.c's order: user first, mnt last, and every type exactly once. */
static void join_order_has_user_first_mnt_last_and_each_type_once(void **state)
{
	unsigned seen = 0;

	(void)state;
	assert_int_equal(cell_ns_join_order[0], CELL_NS_USER);
	assert_int_equal(cell_ns_join_order[CELL_NS_COUNT - 1], CELL_NS_MNT);
	for (int i = 0; i < CELL_NS_COUNT; i++) {
		assert_false(seen & CELL_NS_MASK(cell_ns_join_order[i]));
		seen |= CELL_NS_MASK(cell_ns_join_order[i]);
	}
	assert_int_equal(seen, CELL_NS_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nsfs_link_gives_type_and_inode),
		cmocka_unit_test(links_that_are_not_namespaces_are_refused),
		cmocka_unit_test(mountinfo_nsfs_line_gives_unescaped_mount_point),
		cmocka_unit_test(mountinfo_lines_of_other_file_systems_are_skipped),
		cmocka_unit_test(type_lists_take_proc_and_oci_names_and_all),
		cmocka_unit_test(unknown_type_names_the_type),
		cmocka_unit_test(columns_are_case_insensitive_and_plus_extends_default),
		cmocka_unit_test(id_map_translates_host_ids_to_inside),
		cmocka_unit_test(state_root_follows_root_flag_then_euid_then_xdg),
		cmocka_unit_test(container_target_reads_pid_from_state_json),
		cmocka_unit_test(run_ns_flag_sets_the_namespace_path_after_checking_its_type),
		cmocka_unit_test(run_pin_flag_needs_a_namespace_the_container_creates),
		cmocka_unit_test(join_order_has_user_first_mnt_last_and_each_type_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
