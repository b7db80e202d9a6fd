/* Unit tests for src/lib/run/criu.c: the criu command lines cell builds, and criu's reason. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "criu.h"
#include "utils.h"

/* argv joined with spaces, for one comparison per test. */
static void joined(char **argv, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", argv[i]);
}

static void dump_argv_has_runc_flags_in_criu_terms(void **state)
{
	char *ext[] = { "mnt[/data]:/data", NULL };
	struct cell_criu_opts o = { .image_path = "/img",
				    .work_path = "/work",
				    .tcp_established = true,
				    .file_locks = true,
				    .leave_running = true,
				    .external = ext };
	cleanup_strv char **argv = NULL;
	char s[1024];

	(void)state;
	assert_int_equal(cell_criu_argv(&o, 42, &argv, NULL), 0);
	joined(argv, s, sizeof(s));
	assert_string_equal(s, "criu dump -t 42 -o dump.log -D /img -W /work -v4 "
			       "--manage-cgroups=soft --tcp-established --file-locks "
			       "--external mnt[/data]:/data --leave-running");
}

static void pre_dump_tracks_memory_and_names_its_parent(void **state)
{
	struct cell_criu_opts o = { .image_path = "/img",
				    .work_path = "/img",
				    .pre_dump = true,
				    .parent_path = "../pre1",
				    .leave_running = true,
				    .manage_cgroups_mode = "ignore" };
	cleanup_strv char **argv = NULL;
	char s[1024];

	(void)state;
	assert_int_equal(cell_criu_argv(&o, 7, &argv, NULL), 0);
	joined(argv, s, sizeof(s));
	/* a pre-dump always leaves the tree running: no --leave-running of its own */
	assert_string_equal(s, "criu pre-dump -t 7 -o pre-dump.log -D /img -W /img -v4 "
			       "--manage-cgroups=ignore --track-mem --prev-images-dir ../pre1");
}

static void restore_argv_detaches_into_cells_cgroup_and_root(void **state)
{
	char *fds[] = { "fd[1]:pipe:[99]", NULL };
	struct cell_criu_opts o = { .image_path = "/img",
				    .work_path = "/w",
				    .root = "/r",
				    .cgroup_root = "/cell-x",
				    .pid_file = "restore.pid",
				    .shell_job = true,
				    .inherit_fd = fds };
	cleanup_strv char **argv = NULL;
	char s[1024];

	(void)state;
	assert_int_equal(cell_criu_argv(&o, 0, &argv, NULL), 0);
	joined(argv, s, sizeof(s));
	assert_string_equal(s, "criu restore -o restore.log --restore-detached -D /img -W /w -v4 "
			       "--manage-cgroups=soft --shell-job --pidfile restore.pid --root /r "
			       "--cgroup-root /cell-x --inherit-fd fd[1]:pipe:[99]");
}

static void unknown_cgroup_mode_is_refused_by_name(void **state)
{
	struct cell_criu_opts o = { .image_path = "/i",
				    .work_path = "/w",
				    .manage_cgroups_mode = "sometimes" };
	struct cell_error err = { 0 };
	char **argv = NULL;

	(void)state;
	assert_int_equal(cell_criu_argv(&o, 1, &argv, &err), -EINVAL);
	assert_null(argv);
	assert_non_null(strstr(err.msg, "--manage-cgroups-mode sometimes"));
}

static void bind_mounts_are_external_keyed_by_destination(void **state)
{
	char *bind_opts[] = { "rbind", "ro", NULL };
	struct cell_mount mounts[] = {
		{ .destination = "/proc", .type = "proc", .source = "proc" },
		{ .destination = "/data", .type = "none", .source = "vol", .options = bind_opts },
		{ .destination = "/etc/hosts", .type = "bind", .source = "/etc/hosts" },
	};
	struct cell_spec spec = { .mounts = mounts, .n_mounts = 3 };
	cleanup_strv char **dump = NULL, **restore = NULL;

	(void)state;
	assert_int_equal(cell_criu_externals(&spec, "/b", false, &dump, NULL), 0);
	assert_int_equal(cell_criu_externals(&spec, "/b", true, &restore, NULL), 0);
	assert_int_equal(cell_strv_len(dump), 2);
	assert_string_equal(dump[0], "mnt[/data]:/data");
	assert_string_equal(dump[1], "mnt[/etc/hosts]:/etc/hosts");
	/* at restore the key maps to the host path, relative sources in the bundle */
	assert_string_equal(restore[0], "mnt[/data]:/b/vol");
	assert_string_equal(restore[1], "mnt[/etc/hosts]:/etc/hosts");
}

static void user_namespace_adds_the_bound_host_devices(void **state)
{
	struct cell_spec spec = { 0 };
	cleanup_strv char **ext = NULL;

	(void)state;
	spec.linux.namespaces[CELL_NS_USER].present = true;
	assert_int_equal(cell_criu_externals(&spec, NULL, false, &ext, NULL), 0);
	assert_int_equal(cell_strv_len(ext), 6);
	assert_string_equal(ext[0], "mnt[/dev/null]:/dev/null");
}

static void log_reason_is_the_first_real_error(void **state)
{
	const char *log = "(00.01) Warn (criu/x.c:1): something\n"
			  "(00.02) Error (criu/util.c:642): exited, status=1\n"
			  "(00.03) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
			  "(00.04) Error (criu/crtools.c:260): Could not initialize\n";
	char out[256];

	(void)state;
	cell_criu_log_reason(log, out, sizeof(out));
	assert_string_equal(out, "vdso: Unexpected rt vDSO area bounds");
	cell_criu_log_reason("(00.01) Info all fine\n", out, sizeof(out));
	assert_string_equal(out, "");
	cell_criu_log_reason(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

static void only_pipes_that_are_open_here_are_inherited(void **state)
{
	int fds[2], out1 = dup(1), err2 = dup(2), null = open("/dev/null", O_WRONLY);
	cleanup_strv char **out = NULL;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[1], 1), 1);
	assert_int_equal(dup2(null, 2), 2);
	int r = cell_criu_inherit_stdio("[\"/dev/null\",\"pipe:[5]\",\"pipe:[6]\"]", &out, NULL);
	dup2(out1, 1);
	dup2(err2, 2);
	close(out1);
	close(err2);
	close(null);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(r, 0);
	/* fd 2 is /dev/null here: a pipe it was cannot be stood in for, only fd 1 is */
	assert_int_equal(cell_strv_len(out), 1);
	assert_string_equal(out[0], "fd[101]:pipe:[5]");
	assert_int_equal(cell_criu_inherit_stdio("{}", &out, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_argv_has_runc_flags_in_criu_terms),
		cmocka_unit_test(pre_dump_tracks_memory_and_names_its_parent),
		cmocka_unit_test(restore_argv_detaches_into_cells_cgroup_and_root),
		cmocka_unit_test(unknown_cgroup_mode_is_refused_by_name),
		cmocka_unit_test(bind_mounts_are_external_keyed_by_destination),
		cmocka_unit_test(user_namespace_adds_the_bound_host_devices),
		cmocka_unit_test(log_reason_is_the_first_real_error),
		cmocka_unit_test(only_pipes_that_are_open_here_are_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
