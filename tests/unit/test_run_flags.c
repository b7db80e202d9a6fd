/* Unit tests: `cell run` flags edit the in-memory OCI spec, and nothing else. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include "rootfs.h"
#include "run_flags.h"

#define ARGV(...) ((char *[]){ "run", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "run", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE_AS(uid, cli, err, ...)                                                               \
	cell_run_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), uid, uid, cli, err)

static const struct cell_mount *find_mount(const struct cell_spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, dst))
			return &s->mounts[i];
	return NULL;
}

static bool has_opt(const struct cell_mount *m, const char *opt)
{
	if (!m)
		return false;
	for (size_t i = 0; m->options && m->options[i]; i++)
		if (!strcmp(m->options[i], opt))
			return true;
	return false;
}

static const char *env_of(const struct cell_spec *s, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; s->process.env && s->process.env[i]; i++)
		if (!strncmp(s->process.env[i], key, n) && s->process.env[i][n] == '=')
			return s->process.env[i] + n + 1;
	return NULL;
}

static void test_defaults_as_root_create_six_namespaces_and_no_userns(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_namespace *ns;

	assert_int_equal(PARSE_AS(0, &cli, &err, "true"), 0);
	ns = cli.spec.linux.namespaces;
	assert_true(ns[CELL_NS_PID].present && ns[CELL_NS_MNT].present && ns[CELL_NS_NET].present &&
		    ns[CELL_NS_UTS].present && ns[CELL_NS_IPC].present &&
		    ns[CELL_NS_CGROUP].present);
	assert_false(ns[CELL_NS_USER].present);
	assert_false(ns[CELL_NS_TIME].present);
	assert_string_equal(cli.spec.root.path, "/");
	assert_true(cli.spec.root.readonly);
	assert_true(cli.spec.cell.init);
	assert_string_equal(cli.spec.hostname, "cell");
	assert_string_equal(cli.spec.process.args[0], "true");
	assert_int_equal(cli.spec.linux.n_uid_mappings, 0);
	assert_true(cli.spec.process.capabilities.present);
	assert_int_equal(cli.spec.process.capabilities.effective, 0xa80425fbULL);
	assert_non_null(find_mount(&cli.spec, "/proc"));
	assert_true(has_opt(find_mount(&cli.spec, "/dev/pts"), "gid=5"));
	assert_true(has_opt(find_mount(&cli.spec, "/sys"), "ro"));
	assert_string_equal(env_of(&cli.spec, "HOSTNAME"), "cell");
	assert_null(env_of(&cli.spec, "TERM"));
	cell_run_cli_free(&cli);
}

static void test_rootless_default_maps_caller_to_root_with_single_id(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(1000, &cli, &err, "true"), 0);
	assert_true(cli.spec.linux.namespaces[CELL_NS_USER].present);
	assert_int_equal(cli.spec.linux.n_uid_mappings, 1);
	assert_int_equal(cli.spec.linux.uid_mappings[0].container_id, 0);
	assert_int_equal(cli.spec.linux.uid_mappings[0].host_id, 1000);
	assert_int_equal(cli.spec.linux.uid_mappings[0].size, 1);
	/* gid 5 has no id inside a single-id map: devpts would refuse it */
	assert_false(has_opt(find_mount(&cli.spec, "/dev/pts"), "gid=5"));
	assert_false(cli.spec.process.capabilities.present);
	cell_run_cli_free(&cli);
}

static void test_keep_id_maps_uid_to_itself_and_runs_as_it(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(1000, &cli, &err, "--keep-id", "true"), 0);
	assert_int_equal(cli.spec.linux.uid_mappings[0].container_id, 1000);
	assert_int_equal(cli.spec.linux.uid_mappings[0].host_id, 1000);
	assert_int_equal(cli.spec.process.uid, 1000);
	cell_run_cli_free(&cli);
}

static void test_unshare_user_as_root_uses_identity_map(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--unshare-user", "true"), 0);
	assert_int_equal(cli.spec.linux.n_uid_mappings, 1);
	assert_int_equal(cli.spec.linux.uid_mappings[0].host_id, 0);
	assert_int_equal(cli.spec.linux.uid_mappings[0].size, UINT32_MAX);
	cell_run_cli_free(&cli);
}

static void test_uidmap_flags_replace_default_maps(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--unshare-user", "--uidmap", "0:100000:65536",
				  "--uidmap", "65536:300000:10", "--gidmap", "0:100000:65536",
				  "id"),
			 0);
	assert_int_equal(cli.spec.linux.n_uid_mappings, 2);
	assert_int_equal(cli.spec.linux.uid_mappings[1].host_id, 300000);
	assert_int_equal(cli.spec.linux.n_gid_mappings, 1);
	cell_run_cli_free(&cli);
}

static void test_subids_maps_root_to_caller_and_rest_to_subuid_range(void **state)
{
	char path[] = "/tmp/cell-test-subid-XXXXXX";
	int fd = mkstemp(path);
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const char text[] = "other:1:2\n4242:200000:65536\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cli.subuid_file = cli.subgid_file = path;
	assert_int_equal(PARSE_AS(4242, &cli, &err, "--subids", "true"), 0);
	assert_int_equal(cli.spec.linux.n_uid_mappings, 2);
	assert_int_equal(cli.spec.linux.uid_mappings[0].container_id, 0);
	assert_int_equal(cli.spec.linux.uid_mappings[0].host_id, 4242);
	assert_int_equal(cli.spec.linux.uid_mappings[1].container_id, 1);
	assert_int_equal(cli.spec.linux.uid_mappings[1].host_id, 200000);
	assert_int_equal(cli.spec.linux.uid_mappings[1].size, 65536);
	assert_int_equal(cli.spec.linux.n_gid_mappings, 2);
	cell_run_cli_free(&cli);
	/* A user without ranges is told which file lacks them. */
	cli.subuid_file = cli.subgid_file = path;
	assert_true(PARSE_AS(4343, &cli, &err, "--subids", "true") < 0);
	assert_non_null(strstr(err.msg, path));
	cell_run_cli_free(&cli);
	unlink(path);
}

static void test_net_host_shares_network_namespace(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--net", "host", "true"), 0);
	assert_false(cli.spec.linux.namespaces[CELL_NS_NET].present);
	cell_run_cli_free(&cli);
	assert_int_equal(PARSE_AS(0, &cli, &err, "--net", "bogus", "true"), -EINVAL);
	assert_non_null(strstr(err.msg, "'bogus'"));
	cell_run_cli_free(&cli);
}

static void test_net_bridge_sets_mode_bridge_name_ports_and_rate(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_network *net = &cli.spec.cell.net;

	assert_int_equal(PARSE_AS(0, &cli, &err, "--net", "bridge=br7", "-p", "8080:80",
				  "--publish", "127.0.0.1:5353:53/udp", "--net-rate", "10mbit",
				  "--ip", "10.88.0.9", "true"),
			 0);
	assert_int_equal(net->mode, CELL_NET_BRIDGE);
	assert_string_equal(net->bridge, "br7");
	assert_string_equal(net->ip, "10.88.0.9");
	assert_true(net->rate == 1250000);
	assert_int_equal(net->n_ports, 2);
	assert_int_equal(net->ports[0].host_port, 8080);
	assert_int_equal(net->ports[0].port, 80);
	assert_false(net->ports[0].udp);
	assert_string_equal(net->ports[0].host_ip, "");
	assert_string_equal(net->ports[1].host_ip, "127.0.0.1");
	assert_int_equal(net->ports[1].host_port, 5353);
	assert_true(net->ports[1].udp);
	assert_true(cli.spec.linux.namespaces[CELL_NS_NET].present);
	cell_run_cli_free(&cli);
}

static void test_publish_refuses_malformed_ports(void **state)
{
	static char *const bad[] = { "8080",	"0:80",		"8080:65536",
				     "a:80",	"8080:80/sctp", "1.2.3:8080:80",
				     "1:2:3:4", "8080:-1",	"" };
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE_AS(0, &cli, &err, "-p", bad[i], "true") != -EINVAL)
			fail_msg("-p '%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "-p"));
		cell_run_cli_free(&cli);
	}
}

static void test_netdev_fills_linux_net_devices(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_linux *l = &cli.spec.linux;

	assert_int_equal(
		PARSE_AS(0, &cli, &err, "--netdev", "eth9:inside0", "--netdev", "eth8", "true"), 0);
	assert_int_equal(l->n_net_devices, 2);
	assert_string_equal(l->net_devices[0].name, "eth9");
	assert_string_equal(l->net_devices[0].new_name, "inside0");
	assert_string_equal(l->net_devices[1].name, "eth8");
	assert_null(l->net_devices[1].new_name);
	cell_run_cli_free(&cli);
	assert_int_equal(PARSE_AS(0, &cli, &err, "--netdev", "a-name-far-too-long", "true"),
			 -EINVAL);
	cell_run_cli_free(&cli);
}

static void test_share_uts_drops_default_hostname(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--share-uts", "true"), 0);
	assert_null(cli.spec.hostname);
	cell_run_cli_free(&cli);
}

static void test_limits_set_resources_fields(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_resources *r;

	assert_int_equal(PARSE_AS(0, &cli, &err, "--memory", "256m", "--memory-swap", "-1",
				  "--cpus", "1.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
				  "--pids-limit", "64", "--blkio-weight", "300", "true"),
			 0);
	r = &cli.spec.linux.resources;
	assert_true(r->has_memory_limit);
	assert_int_equal(r->memory_limit, 256LL << 20);
	assert_int_equal(r->memory_swap, -1);
	assert_int_equal(r->cpu_quota, 150000);
	assert_int_equal(r->cpu_period, 100000);
	assert_int_equal(r->cpu_shares, 512);
	assert_string_equal(r->cpuset_cpus, "0");
	assert_int_equal(r->pids_limit, 64);
	assert_int_equal(r->blkio_weight, 300);
	cell_run_cli_free(&cli);
}

static void test_malformed_size_names_flag_and_value(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_true(PARSE_AS(0, &cli, &err, "--memory", "12Q", "true") < 0);
	assert_non_null(strstr(err.msg, "--memory"));
	assert_non_null(strstr(err.msg, "12Q"));
	cell_run_cli_free(&cli);
}

static void test_out_of_range_numbers_are_refused(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_true(PARSE_AS(0, &cli, &err, "--blkio-weight", "5", "true") < 0);
	assert_non_null(strstr(err.msg, "--blkio-weight"));
	cell_run_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--cpus", "0", "true") < 0);
	cell_run_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--cpu-shares", "1", "true") < 0);
	cell_run_cli_free(&cli);
}

static void test_unknown_flag_and_missing_argument_are_named(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_true(PARSE_AS(0, &cli, &err, "--frobnicate", "true") < 0);
	assert_non_null(strstr(err.msg, "--frobnicate"));
	cell_run_cli_free(&cli);
	assert_true(cell_run_parse(2, (char *[]){ "run", "--memory", NULL }, 0, 0, &cli, &err) < 0);
	assert_non_null(strstr(err.msg, "'--memory' needs an argument"));
	cell_run_cli_free(&cli);
}

static void test_command_arguments_stop_option_parsing(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "sh", "-c", "--memory"), 0);
	assert_string_equal(cli.spec.process.args[1], "-c");
	assert_string_equal(cli.spec.process.args[2], "--memory");
	assert_false(cli.spec.linux.resources.has_memory_limit);
	cell_run_cli_free(&cli);
}

static void test_mount_flags_append_mounts(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_mount *m;

	assert_int_equal(PARSE_AS(0, &cli, &err, "--ro-bind", "/etc", "/x", "-v", "/usr:/y:ro",
				  "--bind", "/tmp", "/z", "--tmpfs", "/run:size=1m,mode=700",
				  "true"),
			 0);
	m = find_mount(&cli.spec, "/x");
	if (!m)
		fail_msg("no mount on /x");
	else
		assert_string_equal(m->source, "/etc");
	assert_true(has_opt(m, "rbind") && has_opt(m, "ro"));
	assert_true(has_opt(find_mount(&cli.spec, "/y"), "ro"));
	assert_true(has_opt(find_mount(&cli.spec, "/z"), "rw"));
	m = find_mount(&cli.spec, "/run");
	if (!m)
		fail_msg("no mount on /run");
	else
		assert_string_equal(m->type, "tmpfs");
	assert_true(has_opt(m, "size=1m") && has_opt(m, "mode=700"));
	cell_run_cli_free(&cli);
}

/* Issue 11: every writable tmpfs of `cell run` has a size and an inode limit. */
static void test_tmpfs_mounts_get_sizes_and_inode_limits(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	char size[64];

	(void)state;
	assert_int_equal(PARSE_AS(0, &cli, &err, "--memory", "64m", "--tmpfs", "/a:size=0",
				  "--tmpfs", "/b:size=2m,nr_inodes=7", "--tmpfs", "/c", "true"),
			 0);
	/* --memory caps the default at half of it (below a quarter of RAM and 1 GiB) */
	snprintf(size, sizeof(size), "size=%lluk",
		 (unsigned long long)cell_tmpfs_default_size(64 << 20) >> 10);
	assert_string_equal(size, "size=32768k");
	assert_true(has_opt(find_mount(&cli.spec, "/tmp"), size));
	assert_true(has_opt(find_mount(&cli.spec, "/tmp"), "nr_inodes=2048"));
	assert_true(has_opt(find_mount(&cli.spec, "/var/tmp"), size));
	assert_true(has_opt(find_mount(&cli.spec, "/c"), size));
	assert_true(has_opt(find_mount(&cli.spec, "/dev/shm"), "size=65536k"));
	assert_true(has_opt(find_mount(&cli.spec, "/dev/shm"), "nr_inodes=4096"));
	/* size=0 is the user's "unbounded"; a user's nr_inodes stays */
	assert_false(has_opt(find_mount(&cli.spec, "/a"), "nr_inodes=1024"));
	assert_true(has_opt(find_mount(&cli.spec, "/b"), "nr_inodes=7"));
	cell_run_cli_free(&cli);

	memset(&cli, 0, sizeof(cli));
	assert_int_equal(PARSE_AS(0, &cli, &err, "--tmp-size", "8g", "--shm-size", "1m", "true"),
			 0);
	assert_true(has_opt(find_mount(&cli.spec, "/tmp"), "size=8388608k"));
	assert_true(has_opt(find_mount(&cli.spec, "/tmp"), "nr_inodes=524288"));
	assert_true(has_opt(find_mount(&cli.spec, "/var/tmp"), "size=8388608k"));
	assert_true(has_opt(find_mount(&cli.spec, "/dev/shm"), "size=1024k"));
	assert_true(has_opt(find_mount(&cli.spec, "/dev/shm"), "nr_inodes=1024"));
	cell_run_cli_free(&cli);

	memset(&cli, 0, sizeof(cli));
	assert_true(PARSE_AS(0, &cli, &err, "--bind", "/etc", "/tmp", "--tmp-size", "1m", "true") <
		    0);
	assert_non_null(strstr(err.msg, "--tmp-size"));
	cell_run_cli_free(&cli);
}

static ssize_t mount_index(const struct cell_spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, dst))
			return (ssize_t)i;
	return -1;
}

/* The host's root: /run and /var/tmp hidden by tmpfs mounted before the flags' binds. */
static void test_host_root_hides_run_and_var_tmp_below_the_binds(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	ssize_t run, var_tmp, bind;

	(void)state;
	cli.resolv_conf = "/nonexistent/resolv.conf";
	assert_int_equal(PARSE_AS(1000, &cli, &err, "--bind", "/etc/hostname", "/run/x", "true"),
			 0);
	run = mount_index(&cli.spec, "/run");
	var_tmp = mount_index(&cli.spec, "/var/tmp");
	bind = mount_index(&cli.spec, "/run/x");
	assert_true(run >= 0 && var_tmp >= 0 && bind >= 0);
	assert_true(run < bind && var_tmp < bind);
	assert_string_equal(cli.spec.mounts[run].type, "tmpfs");
	cell_run_cli_free(&cli);

	/* a --tmpfs on /run is the user's; --rootfs hides the host altogether */
	memset(&cli, 0, sizeof(cli));
	assert_int_equal(PARSE_AS(0, &cli, &err, "--tmpfs", "/run:size=1m", "true"), 0);
	assert_true(has_opt(find_mount(&cli.spec, "/run"), "size=1m"));
	cell_run_cli_free(&cli);
	memset(&cli, 0, sizeof(cli));
	assert_int_equal(PARSE_AS(0, &cli, &err, "--rootfs", "/", "true"), 0);
	assert_null(find_mount(&cli.spec, "/run"));
	assert_null(find_mount(&cli.spec, "/var/tmp"));
	cell_run_cli_free(&cli);
}

/*
 * A --symlink keeps its place among the flags' mounts when the early tmpfs
 * over /run and /var/tmp go ahead of them and --tmpfs /tmp replaces /tmp.
 */
static void test_symlinks_keep_their_place_among_the_mounts(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_extras *c = &cli.spec.cell;

	(void)state;
	cli.resolv_conf = "/nonexistent/resolv.conf";
	assert_int_equal(PARSE_AS(1000, &cli, &err, "--symlink", "t0", "/l0", "--bind",
				  "/etc/hostname", "/a", "--symlink", "t1", "/l1", "--tmpfs",
				  "/tmp", "--symlink", "t2", "/l2", "true"),
			 0);
	assert_int_equal(c->n_path_ops, 3);
	assert_true(mount_index(&cli.spec, "/run") < (ssize_t)c->path_ops[0].after);
	assert_true(mount_index(&cli.spec, "/var/tmp") < (ssize_t)c->path_ops[0].after);
	assert_int_equal(c->path_ops[0].after, mount_index(&cli.spec, "/a"));
	assert_int_equal(c->path_ops[1].after, mount_index(&cli.spec, "/a") + 1);
	assert_int_equal(c->path_ops[1].after, mount_index(&cli.spec, "/tmp"));
	assert_int_equal(c->path_ops[2].after, cli.spec.n_mounts);
	assert_string_equal(c->path_ops[1].target, "t1");
	assert_string_equal(c->path_ops[1].path, "/l1");
	assert_int_equal(cell_spec_validate(&cli.spec, &err), 0);
	c->path_ops[2].after = cli.spec.n_mounts + 1;
	assert_true(cell_spec_validate(&cli.spec, &err) < 0);
	assert_string_equal(err.msg, "annotations.run.cell.symlinks[2] (/l2): its place is past "
				     "the last of mounts[]");
	cell_run_cli_free(&cli);
}

/* bwrap's binds on /: the root, the last of them and --rootfs deciding; no mount on / at all. */
static void test_a_bind_on_the_root_is_the_root(void **state)
{
	static const struct {
		char *flag, *src, *flag2, *src2;
		const char *path;
		bool readonly;
	} cases[] = {
		{ "--ro-bind", "/", NULL, NULL, "/", true },
		{ "--bind", "/", NULL, NULL, "/", false },
		{ "--ro-bind", "/usr", NULL, NULL, "/usr", true },
		{ "--bind", "/usr", NULL, NULL, "/usr", false },
		{ "--ro-bind", "/usr", "--rootfs", "/etc", "/etc", false },
		{ "--rootfs", "/etc", "--ro-bind", "/", "/", true },
		{ "--dev-bind", "/usr", NULL, NULL, "/usr", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cell_run_cli cli = { .resolv_conf = "/nonexistent/resolv.conf" };
		struct cell_error err = { 0 };
		int r;

		if (!strcmp(cases[i].flag, "--rootfs"))
			r = PARSE_AS(0, &cli, &err, "--rootfs", cases[i].src, cases[i].flag2,
				     cases[i].src2, "//", "true");
		else if (cases[i].flag2)
			r = PARSE_AS(0, &cli, &err, cases[i].flag, cases[i].src, "/",
				     cases[i].flag2, cases[i].src2, "true");
		else
			r = PARSE_AS(0, &cli, &err, cases[i].flag, cases[i].src, "/", "true");
		assert_int_equal(r, 0);
		assert_string_equal(cli.spec.root.path, cases[i].path);
		assert_int_equal(cli.spec.root.readonly, cases[i].readonly);
		assert_null(find_mount(&cli.spec, "/"));
		assert_null(find_mount(&cli.spec, "//"));
		cell_run_cli_free(&cli);
	}
}

/* systemd-resolved's /etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf stays readable. */
static void test_a_resolv_conf_in_run_is_bound_back_read_only(void **state)
{
	char dir[] = "/run/cell-unit-XXXXXX", target[64], link[64] = "/tmp/cell-unit-resolv-XXXXXX";
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_mount *m;
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		skip();
	snprintf(target, sizeof(target), "%s/stub-resolv.conf", dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	assert_non_null(mkdtemp(link));
	strcat(link, "/resolv.conf");
	assert_int_equal(symlink(target, link), 0);
	cli.resolv_conf = link;
	assert_int_equal(PARSE_AS(0, &cli, &err, "true"), 0);
	m = find_mount(&cli.spec, target);
	if (!m)
		fail_msg("no bind of %s", target);
	else
		assert_string_equal(m->source, target);
	assert_true(has_opt(m, "ro"));
	assert_true(mount_index(&cli.spec, "/run") < mount_index(&cli.spec, target));
	cell_run_cli_free(&cli);
	unlink(link);
	*strrchr(link, '/') = '\0';
	rmdir(link);
	scratch_rmtree(dir);
}

static void test_missing_bind_source_is_refused_with_path(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--bind", "/nonexistent-cell", "/x", "true"),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent-cell"));
	cell_run_cli_free(&cli);
}

static void test_time_offsets_imply_time_namespace(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--boottime-offset", "-1.5", "true"), 0);
	assert_true(cli.spec.linux.namespaces[CELL_NS_TIME].present);
	assert_int_equal(cli.spec.linux.boottime.secs, -2);
	assert_int_equal(cli.spec.linux.boottime.nanosecs, 500000000);
	cell_run_cli_free(&cli);
}

static void test_user_flag_clears_effective_caps_for_non_root(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--user", "1000:2000", "id"), 0);
	assert_int_equal(cli.spec.process.uid, 1000);
	assert_int_equal(cli.spec.process.gid, 2000);
	assert_int_equal(cli.spec.process.capabilities.effective, 0);
	assert_int_not_equal(cli.spec.process.capabilities.bounding, 0);
	cell_run_cli_free(&cli);
	assert_int_equal(PARSE_AS(0, &cli, &err, "--user", "root", "id"), 0);
	assert_int_equal(cli.spec.process.uid, 0);
	cell_run_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--user", "no-such-user-cell", "id") < 0);
	assert_non_null(strstr(err.msg, "no-such-user-cell"));
	cell_run_cli_free(&cli);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_user_name_takes_ids_home_and_groups_from_the_roots_files(void **state)
{
	char root[] = "/tmp/cell-test-root-XXXXXX", etc[600];
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_non_null(mkdtemp(root));
	snprintf(etc, sizeof(etc), "%s/etc", root);
	assert_int_equal(mkdir(etc, 0755), 0);
	write_file(etc, "passwd",
		   "root:x:0:0::/root:/bin/sh\nalice:x:1500:1600::/home/alice:/bin/sh\n");
	write_file(etc, "group",
		   "alice:x:1600:\nwheel:x:10:bob,alice\naudio:x:29:bob\n"
		   "video:x:44:alice\n");
	assert_int_equal(PARSE_AS(0, &cli, &err, "--rootfs", root, "--user", "alice", "id"), 0);
	assert_int_equal(cli.spec.process.uid, 1500);
	assert_int_equal(cli.spec.process.gid, 1600);
	assert_string_equal(env_of(&cli.spec, "HOME"), "/home/alice");
	assert_int_equal(cli.spec.process.n_additional_gids, 2);
	assert_int_equal(cli.spec.process.additional_gids[0], 10);
	assert_int_equal(cli.spec.process.additional_gids[1], 44);
	cell_run_cli_free(&cli);
	/* An explicit group replaces the primary one; a numeric uid gets no extra groups. */
	assert_int_equal(PARSE_AS(0, &cli, &err, "--rootfs", root, "--user", "1500:7", "id"), 0);
	assert_int_equal(cli.spec.process.gid, 7);
	assert_int_equal(cli.spec.process.n_additional_gids, 0);
	cell_run_cli_free(&cli);
	assert_int_equal(scratch_rmtree(root), 0);
}

static void test_cap_add_and_drop_edit_all_sets(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	const struct cell_capabilities *c;

	assert_int_equal(PARSE_AS(0, &cli, &err, "--cap-add", "SYS_ADMIN", "--cap-drop",
				  "CAP_CHOWN", "true"),
			 0);
	c = &cli.spec.process.capabilities;
	assert_true(c->effective & (1ULL << 21));
	assert_true(c->bounding & (1ULL << 21));
	assert_false(c->effective & 1ULL);
	assert_false(c->bounding & 1ULL);
	cell_run_cli_free(&cli);
	assert_true(PARSE_AS(0, &cli, &err, "--cap-add", "NOT_A_CAP", "true") < 0);
	cell_run_cli_free(&cli);
}

static void test_tty_and_env_flags(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	setenv("CELL_TEST_VAR", "from-host", 1);
	assert_int_equal(PARSE_AS(0, &cli, &err, "-t", "-e", "A=1", "-e", "CELL_TEST_VAR", "-e",
				  "A=2", "-w", "/usr", "true"),
			 0);
	assert_true(cli.spec.process.terminal);
	assert_non_null(env_of(&cli.spec, "TERM"));
	assert_string_equal(env_of(&cli.spec, "A"), "2");
	assert_string_equal(env_of(&cli.spec, "CELL_TEST_VAR"), "from-host");
	assert_string_equal(cli.spec.process.cwd, "/usr");
	assert_false(cli.spec.cell.cwd_optional);
	cell_run_cli_free(&cli);
}

static void test_no_init_and_propagation(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--no-init", "--propagation", "rslave", "true"),
			 0);
	assert_false(cli.spec.cell.init);
	assert_int_equal(cli.spec.linux.rootfs_propagation, MS_SLAVE | MS_REC);
	cell_run_cli_free(&cli);
}

static void test_validate_refuses_overlapping_maps(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--unshare-user", "--uidmap", "0:1000:10",
				  "--uidmap", "5:2000:10", "true"),
			 0);
	assert_true(cell_spec_validate(&cli.spec, &err) < 0);
	assert_non_null(strstr(err.msg, "overlap"));
	cell_run_cli_free(&cli);
}

static void test_ns_table_knows_oci_and_proc_names_of_all_eight(void **state)
{
	static const char *const oci[] = { "cgroup", "ipc",  "mount", "network",
					   "pid",    "time", "user",  "uts" };

	for (int i = 0; i < CELL_NS_COUNT; i++) {
		const struct cell_ns_info *info = cell_ns_info((enum cell_ns_type)i);

		assert_non_null(info);
		assert_int_equal(info->type, i);
		assert_int_equal(cell_ns_from_name(oci[i]), i);
		assert_int_equal(cell_ns_from_name(info->proc_name), i);
		assert_int_not_equal(info->clone_flag, 0);
	}
	assert_int_equal(cell_ns_from_name("mnt"), CELL_NS_MNT);
	assert_int_equal(cell_ns_from_name("net"), CELL_NS_NET);
	assert_int_equal(cell_ns_from_name("nope"), -1);
	assert_null(cell_ns_info(CELL_NS_COUNT));
}

static void test_first_uidmap_replaces_the_rootless_default_and_later_ones_add(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(1000, &cli, &err, "--uidmap", "0:1000:1", "--uidmap",
				  "1:100000:10", "true"),
			 0);
	assert_int_equal(cli.spec.linux.n_uid_mappings, 2);
	assert_int_equal(cli.spec.linux.uid_mappings[1].host_id, 100000);
	/* no --gidmap: the default single-id gid map stands */
	assert_int_equal(cli.spec.linux.n_gid_mappings, 1);
	assert_int_equal(cli.spec.linux.gid_mappings[0].host_id, 1000);
	cell_run_cli_free(&cli);
}

static void test_devpts_gid_5_stays_only_when_gid_5_is_mapped(void **state)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };

	assert_int_equal(PARSE_AS(0, &cli, &err, "--uidmap", "0:100000:65536", "--gidmap",
				  "0:100000:65536", "true"),
			 0);
	assert_true(has_opt(find_mount(&cli.spec, "/dev/pts"), "gid=5"));
	cell_run_cli_free(&cli);
	assert_int_equal(
		PARSE_AS(0, &cli, &err, "--uidmap", "0:100000:1", "--gidmap", "0:100000:1", "true"),
		0);
	assert_false(has_opt(find_mount(&cli.spec, "/dev/pts"), "gid=5"));
	cell_run_cli_free(&cli);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_as_root_create_six_namespaces_and_no_userns),
		cmocka_unit_test(test_rootless_default_maps_caller_to_root_with_single_id),
		cmocka_unit_test(test_keep_id_maps_uid_to_itself_and_runs_as_it),
		cmocka_unit_test(test_unshare_user_as_root_uses_identity_map),
		cmocka_unit_test(test_uidmap_flags_replace_default_maps),
		cmocka_unit_test(test_subids_maps_root_to_caller_and_rest_to_subuid_range),
		cmocka_unit_test(test_net_host_shares_network_namespace),
		cmocka_unit_test(test_share_uts_drops_default_hostname),
		cmocka_unit_test(test_limits_set_resources_fields),
		cmocka_unit_test(test_malformed_size_names_flag_and_value),
		cmocka_unit_test(test_out_of_range_numbers_are_refused),
		cmocka_unit_test(test_unknown_flag_and_missing_argument_are_named),
		cmocka_unit_test(test_command_arguments_stop_option_parsing),
		cmocka_unit_test(test_mount_flags_append_mounts),
		cmocka_unit_test(test_missing_bind_source_is_refused_with_path),
		cmocka_unit_test(test_time_offsets_imply_time_namespace),
		cmocka_unit_test(test_user_flag_clears_effective_caps_for_non_root),
		cmocka_unit_test(test_user_name_takes_ids_home_and_groups_from_the_roots_files),
		cmocka_unit_test(test_cap_add_and_drop_edit_all_sets),
		cmocka_unit_test(test_tty_and_env_flags),
		cmocka_unit_test(test_no_init_and_propagation),
		cmocka_unit_test(test_validate_refuses_overlapping_maps),
		cmocka_unit_test(test_ns_table_knows_oci_and_proc_names_of_all_eight),
		cmocka_unit_test(
			test_first_uidmap_replaces_the_rootless_default_and_later_ones_add),
		cmocka_unit_test(test_devpts_gid_5_stays_only_when_gid_5_is_mapped),
		cmocka_unit_test(test_net_bridge_sets_mode_bridge_name_ports_and_rate),
		cmocka_unit_test(test_publish_refuses_malformed_ports),
		cmocka_unit_test(test_netdev_fills_linux_net_devices),
		cmocka_unit_test(test_host_root_hides_run_and_var_tmp_below_the_binds),
		cmocka_unit_test(test_symlinks_keep_their_place_among_the_mounts),
		cmocka_unit_test(test_a_bind_on_the_root_is_the_root),
		cmocka_unit_test(test_tmpfs_mounts_get_sizes_and_inode_limits),
		cmocka_unit_test(test_a_resolv_conf_in_run_is_bound_back_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
