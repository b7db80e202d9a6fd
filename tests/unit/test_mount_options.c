/* Unit tests: mounts[].options sorted into mount(2) flags, mount_setattr(2) attributes,
 * propagation, bind/idmap kinds and file-system data. */
#include <errno.h>
#include <linux/mount.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "mounts.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct expect {
	const char *option;
	unsigned long flags, cleared;
	uint64_t rec_set, rec_clr;
	unsigned long propagation;
};

/* One option alone: exactly these effects, nothing else. */
static const struct expect singles[] = {
	{ "ro", MS_RDONLY, 0, 0, 0, 0 },
	{ "rw", 0, MS_RDONLY, 0, 0, 0 },
	{ "nosuid", MS_NOSUID, 0, 0, 0, 0 },
	{ "suid", 0, MS_NOSUID, 0, 0, 0 },
	{ "nodev", MS_NODEV, 0, 0, 0, 0 },
	{ "dev", 0, MS_NODEV, 0, 0, 0 },
	{ "noexec", MS_NOEXEC, 0, 0, 0, 0 },
	{ "exec", 0, MS_NOEXEC, 0, 0, 0 },
	{ "sync", MS_SYNCHRONOUS, 0, 0, 0, 0 },
	{ "async", 0, MS_SYNCHRONOUS, 0, 0, 0 },
	{ "dirsync", MS_DIRSYNC, 0, 0, 0, 0 },
	{ "remount", MS_REMOUNT, 0, 0, 0, 0 },
	{ "mand", MS_MANDLOCK, 0, 0, 0, 0 },
	{ "nomand", 0, MS_MANDLOCK, 0, 0, 0 },
	{ "atime", 0, MS_NOATIME, 0, 0, 0 },
	{ "noatime", MS_NOATIME, 0, 0, 0, 0 },
	{ "diratime", 0, MS_NODIRATIME, 0, 0, 0 },
	{ "nodiratime", MS_NODIRATIME, 0, 0, 0, 0 },
	{ "relatime", MS_RELATIME, 0, 0, 0, 0 },
	{ "norelatime", 0, MS_RELATIME, 0, 0, 0 },
	{ "strictatime", MS_STRICTATIME, 0, 0, 0, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME, 0, 0, 0 },
	{ "lazytime", MS_LAZYTIME, 0, 0, 0, 0 },
	{ "nolazytime", 0, MS_LAZYTIME, 0, 0, 0 },
	{ "nosymfollow", MS_NOSYMFOLLOW, 0, 0, 0, 0 },
	{ "symfollow", 0, MS_NOSYMFOLLOW, 0, 0, 0 },
	{ "rro", 0, 0, MOUNT_ATTR_RDONLY, 0, 0 },
	{ "rrw", 0, 0, 0, MOUNT_ATTR_RDONLY, 0 },
	{ "rnosuid", 0, 0, MOUNT_ATTR_NOSUID, 0, 0 },
	{ "rsuid", 0, 0, 0, MOUNT_ATTR_NOSUID, 0 },
	{ "rnodev", 0, 0, MOUNT_ATTR_NODEV, 0, 0 },
	{ "rdev", 0, 0, 0, MOUNT_ATTR_NODEV, 0 },
	{ "rnoexec", 0, 0, MOUNT_ATTR_NOEXEC, 0, 0 },
	{ "rexec", 0, 0, 0, MOUNT_ATTR_NOEXEC, 0 },
	{ "rnodiratime", 0, 0, MOUNT_ATTR_NODIRATIME, 0, 0 },
	{ "rdiratime", 0, 0, 0, MOUNT_ATTR_NODIRATIME, 0 },
	{ "rnosymfollow", 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0, 0 },
	{ "rsymfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0 },
	{ "rnoatime", 0, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, 0 },
	{ "ratime", 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, 0 },
	{ "rrelatime", 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, 0 },
	{ "rnorelatime", 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, 0 },
	{ "rstrictatime", 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, 0 },
	{ "private", 0, 0, 0, 0, MS_PRIVATE },
	{ "rprivate", 0, 0, 0, 0, MS_PRIVATE | MS_REC },
	{ "shared", 0, 0, 0, 0, MS_SHARED },
	{ "rshared", 0, 0, 0, 0, MS_SHARED | MS_REC },
	{ "slave", 0, 0, 0, 0, MS_SLAVE },
	{ "rslave", 0, 0, 0, 0, MS_SLAVE | MS_REC },
	{ "unbindable", 0, 0, 0, 0, MS_UNBINDABLE },
	{ "runbindable", 0, 0, 0, 0, MS_UNBINDABLE | MS_REC },
	{ "defaults", 0, 0, 0, 0, 0 },
	{ "X-mount.mkdir", 0, 0, 0, 0, 0 },
	{ "x-gvfs-hide", 0, 0, 0, 0, 0 },
};

static int parse(const char *type, char **options, struct cell_mount_opts *o,
		 struct cell_error *err)
{
	struct cell_mount m = {
		.destination = "/mnt", .type = (char *)type, .source = "src", .options = options
	};

	return cell_mount_options_parse(&m, o, err);
}

static void test_each_option_alone_has_exactly_its_effect(void **state)
{
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
		const struct expect *e = &singles[i];
		char *opts[] = { (char *)e->option, NULL };
		struct cell_mount_opts o;
		struct cell_error err = { 0 };

		assert_int_equal(parse("tmpfs", opts, &o, &err), 0);
		if (o.flags != e->flags || o.cleared != e->cleared || o.rec_set != e->rec_set ||
		    o.rec_clr != e->rec_clr || o.propagation != e->propagation || o.data[0] ||
		    o.bind || o.idmap)
			fail_msg(
				"option %s: flags %lx cleared %lx rec %llx/%llx prop %lx data '%s'",
				e->option, o.flags, o.cleared, (unsigned long long)o.rec_set,
				(unsigned long long)o.rec_clr, o.propagation, o.data);
	}
}

static void test_unknown_options_become_file_system_data_in_order(void **state)
{
	char *opts[] = { "size=64k", "nosuid", "mode=1777", "uid=5", NULL };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("tmpfs", opts, &o, &err), 0);
	assert_string_equal(o.data, "size=64k,mode=1777,uid=5");
	assert_int_equal(o.flags, MS_NOSUID);
}

static void test_later_options_override_earlier_ones(void **state)
{
	char *opts[] = {
		"ro", "rw", "noatime", "relatime", "rro", "rrw", "shared", "rslave", NULL
	};
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("tmpfs", opts, &o, &err), 0);
	assert_int_equal(o.flags, MS_RELATIME);
	assert_int_equal(o.cleared, MS_RDONLY);
	assert_int_equal(o.rec_set, 0);
	assert_int_equal(o.rec_clr, MOUNT_ATTR_RDONLY);
	assert_int_equal(o.propagation, MS_SLAVE | MS_REC);
}

static void test_bind_kinds(void **state)
{
	char *bind[] = { "bind", NULL }, *rbind[] = { "rbind", NULL };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("none", bind, &o, &err), 0);
	assert_true(o.bind && !o.recursive);
	assert_int_equal(parse("none", rbind, &o, &err), 0);
	assert_true(o.bind && o.recursive);
	assert_int_equal(parse("bind", NULL, &o, &err), 0);
	assert_true(o.bind && !o.recursive);
	assert_int_equal(parse("tmpfs", NULL, &o, &err), 0);
	assert_false(o.bind);
}

static void test_idmap_needs_a_bind_and_mappings_imply_it(void **state)
{
	struct cell_id_map map = { 0, 100000, 65536 };
	char *idmap[] = { "idmap", NULL }, *ridmap[] = { "rbind", "ridmap", NULL };
	struct cell_mount m = { .destination = "/d", .type = "bind", .source = "/s" };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("tmpfs", idmap, &o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bind"));
	assert_int_equal(parse("bind", ridmap, &o, &err), 0);
	assert_true(o.idmap && o.idmap_recursive && o.recursive);
	m.uid_mappings = m.gid_mappings = &map;
	m.n_uid_mappings = m.n_gid_mappings = 1;
	assert_int_equal(cell_mount_options_parse(&m, &o, &err), 0);
	assert_true(o.idmap && !o.idmap_recursive);
	m.n_gid_mappings = 0;
	assert_int_equal(cell_mount_options_parse(&m, &o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "gidMappings"));
}

static void test_crun_extensions(void **state)
{
	char *copy[] = { "copy-symlink", NULL }, *up[] = { "tmpcopyup", NULL };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("bind", copy, &o, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "copy-symlink"));
	assert_int_equal(parse("tmpfs", up, &o, &err), 0);
	assert_true(o.tmpcopyup);
	assert_int_equal(parse("bind", up, &o, &err), -EINVAL);
}

static void test_too_much_data_is_refused(void **state)
{
	char big[600];
	char *opts[] = { big, big, NULL };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse("tmpfs", opts, &o, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "/mnt"));
}

/* 1023 bytes of data, separator included, fit; one more does not. */
static void test_data_fills_its_buffer_exactly(void **state)
{
	char a[512], b[513];
	char *opts[] = { a, b, NULL };
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memset(b, 'b', sizeof(b) - 1);
	b[sizeof(b) - 2] = '\0'; /* 511 + "," + 511 = 1023 */
	assert_int_equal(parse("tmpfs", opts, &o, &err), 0);
	assert_int_equal(strlen(o.data), 1023);
	assert_int_equal(o.data[511], ',');
	assert_int_equal(o.data[512], 'b');
	b[sizeof(b) - 2] = 'b'; /* 511 + "," + 512 = 1024 */
	b[sizeof(b) - 1] = '\0';
	assert_int_equal(parse("tmpfs", opts, &o, &err), -E2BIG);
}

static void attrs_of(char **opts, uint64_t *set, uint64_t *clr)
{
	struct cell_mount_opts o;
	struct cell_error err = { 0 };

	assert_int_equal(parse("bind", opts, &o, &err), 0);
	cell_mount_attrs(&o, set, clr);
}

static void test_bind_top_attrs_set_and_clear_what_was_named(void **state)
{
	char *a[] = { "ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow", NULL };
	char *b[] = { "rw", "suid", "exec", NULL };
	char *c[] = { "noatime", NULL }, *d[] = { "strictatime", NULL }, *e[] = { "atime", NULL };
	char *f[] = { "sync", "mand", NULL };
	uint64_t set, clr;

	attrs_of(a, &set, &clr);
	assert_int_equal(set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				      MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
				      MOUNT_ATTR_NOSYMFOLLOW);
	assert_int_equal(clr, 0);
	attrs_of(b, &set, &clr);
	assert_int_equal(set, 0);
	assert_int_equal(clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	attrs_of(c, &set, &clr);
	assert_true(set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME);
	attrs_of(d, &set, &clr);
	assert_true(set == MOUNT_ATTR_STRICTATIME && clr == MOUNT_ATTR__ATIME);
	attrs_of(e, &set, &clr);
	assert_true(set == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME);
	attrs_of(f, &set, &clr); /* superblock flags: a bind cannot change them */
	assert_true(set == 0 && clr == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_option_alone_has_exactly_its_effect),
		cmocka_unit_test(test_unknown_options_become_file_system_data_in_order),
		cmocka_unit_test(test_later_options_override_earlier_ones),
		cmocka_unit_test(test_bind_kinds),
		cmocka_unit_test(test_idmap_needs_a_bind_and_mappings_imply_it),
		cmocka_unit_test(test_crun_extensions),
		cmocka_unit_test(test_too_much_data_is_refused),
		cmocka_unit_test(test_data_fills_its_buffer_exactly),
		cmocka_unit_test(test_bind_top_attrs_set_and_clear_what_was_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
