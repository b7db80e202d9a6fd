/*
 * cell spec — write a config.json: runc's default (what `runc spec` writes,
 * hostname aside), its rootless variant, or the spec `cell run` would build
 * from the same flags. cell features — the runtime-spec features document.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "rootfs.h"
#include "run_flags.h"
#include "security.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

/* runc's libcontainer/specconv Example() and ToRootless(), in cell's terms. */
static int oci_default(struct cell_spec *s, bool rootless, struct cell_error *err)
{
	static const struct {
		const char *dst, *type, *src;
		const char *opts[8];
	} mounts[] = {
		{ "/proc", "proc", "proc", { NULL } },
		{ "/dev",
		  "tmpfs",
		  "tmpfs",
		  { "nosuid", "strictatime", "mode=755", "size=65536k" } },
		{ "/dev/pts",
		  "devpts",
		  "devpts",
		  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
		/* runc's 64m, and a bound on inodes too (tmpfs_bounds.c) */
		{ "/dev/shm",
		  "tmpfs",
		  "shm",
		  { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", "nr_inodes=4096" } },
		{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
		{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
		{ "/sys/fs/cgroup",
		  "cgroup",
		  "cgroup",
		  { "nosuid", "noexec", "nodev", "relatime", "ro" } },
	};
	static const char *const args[] = { "sh", NULL };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm",
		NULL,
	};
	const uint64_t caps =
		(1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE);
	struct cell_linux *l = &s->linux;
	int r;

	memset(s, 0, sizeof(*s));
	s->oci_version = strdup("1.0.2"); /* what runc spec writes (crun 1.8 knows only 1.0) */
	s->root.path = strdup("rootfs");
	s->root.readonly = true;
	s->hostname = strdup("cell");
	s->process.terminal = true;
	s->process.args = cell_strv_dup((char *const *)args);
	s->process.env = cell_strv_dup((char *const *)env);
	s->process.cwd = strdup("/");
	s->process.no_new_privileges = true;
	s->process.capabilities = (struct cell_capabilities){
		.present = true, .bounding = caps, .effective = caps, .permitted = caps
	};
	/* runc writes no filter; cell's bundles carry its default profile */
	if ((r = cell_seccomp_default(caps, &l->seccomp, err)) < 0)
		goto fail;
	s->process.rlimits = calloc(1, sizeof(*s->process.rlimits));
	if (!s->oci_version || !s->root.path || !s->hostname || !s->process.args ||
	    !s->process.env || !s->process.cwd || !s->process.rlimits)
		goto nomem;
	s->process.rlimits[0] = (struct cell_rlimit){ RLIMIT_NOFILE, 1024, 1024 };
	s->process.n_rlimits = 1;
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const char *const *o = mounts[i].opts;

		if (rootless && !strcmp(mounts[i].dst, "/sys/fs/cgroup"))
			continue;
		if (rootless && !strcmp(mounts[i].dst, "/sys")) {
			/* a user namespace may not mount sysfs without a net namespace of its own */
			static const char *const sys[] = { "rbind", "nosuid", "noexec",
							   "nodev", "ro",     NULL };
			r = cell_spec_add_mount(s, "/sys", "none", "/sys", sys, err);
		} else if (rootless && !strcmp(mounts[i].dst, "/dev/pts")) {
			static const char *const pts[] = { "nosuid",	  "noexec",
							   "newinstance", "ptmxmode=0666",
							   "mode=0620",	  NULL };
			r = cell_spec_add_mount(s, "/dev/pts", "devpts", "devpts", pts, err);
		} else {
			r = cell_spec_add_mount(s, mounts[i].dst, mounts[i].type, mounts[i].src,
						o[0] ? o : NULL, err);
		}
		if (r < 0)
			goto fail;
	}
	l->masked_paths = cell_strv_dup((char *const *)cell_default_masked_paths);
	l->readonly_paths = cell_strv_dup((char *const *)cell_default_readonly_paths);
	if (!l->masked_paths || !l->readonly_paths)
		goto nomem;
	l->namespaces[CELL_NS_PID].present = true;
	l->namespaces[CELL_NS_IPC].present = true;
	l->namespaces[CELL_NS_UTS].present = true;
	l->namespaces[CELL_NS_MNT].present = true;
	l->namespaces[CELL_NS_CGROUP].present = true;
	if (rootless) {
		l->namespaces[CELL_NS_USER].present = true;
		l->uid_mappings = calloc(1, sizeof(*l->uid_mappings));
		l->gid_mappings = calloc(1, sizeof(*l->gid_mappings));
		if (!l->uid_mappings || !l->gid_mappings)
			goto nomem;
		l->uid_mappings[0] = (struct cell_id_map){ 0, geteuid(), 1 };
		l->gid_mappings[0] = (struct cell_id_map){ 0, getegid(), 1 };
		l->n_uid_mappings = l->n_gid_mappings = 1;
		return 0;
	}
	l->namespaces[CELL_NS_NET].present = true;
	/* deny all; the runtime allows the default devices (config-linux.md) itself */
	l->resources.devices = calloc(1, sizeof(*l->resources.devices));
	if (!l->resources.devices)
		goto nomem;
	l->resources.devices[0] = (struct cell_device_rule){
		.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"
	};
	l->resources.n_devices = 1;
	return 0;
nomem:
	r = cell_error_set(err, ENOMEM, "spec");
fail:
	cell_spec_free(s);
	return r;
}

static const char spec_usage[] =
	"Usage: cell spec [--bundle DIR] [--rootless] [cell run FLAGS] [-- CMD...]\n"
	"\n"
	"Write DIR/config.json (default ./config.json; never overwritten).\n"
	"Without run flags it is what `runc spec` writes: root \"rootfs\", args [\"sh\"],\n"
	"a terminal, AUDIT_WRITE KILL NET_BIND_SERVICE, noNewPrivileges, RLIMIT_NOFILE\n"
	"1024, runc's masked and read-only paths and a deny-all device rule, plus\n"
	"cell's default seccomp profile (linux.seccomp) for those capabilities. With\n"
	"`cell run` flags (or a CMD) it is the spec `cell run` would run, so a sandbox\n"
	"built by flags can be handed to any OCI runtime; a field only cell carries\n"
	"out (the host's root as root.path, --net, --symlink) is named in a warning\n"
	"on stderr.\n"
	"`-` as DIR prints it.\n"
	"\n"
	"  -b, --bundle DIR   where to write config.json\n"
	"  --rootless         runc's rootless variant (user namespace, no network one)\n";

/*
 * What only cell carries out, named by field (issue 19): a bundle that runs
 * on runc and crun is the point of `cell spec`, so one that cannot says why.
 */
static void warn_cell_only(const struct cell_global *g, const struct cell_spec *spec)
{
	const char *root = spec->root.path;

	/* runc and crun bind the root on itself and pivot_root(".", "."), which
	 * the kernel refuses for the root they run in (EBUSY); they also mount
	 * the spec's tmpfs over the host's /tmp and /run before binding sources
	 * from there. cell stacks the container's root on a copy of the tree. */
	if (root && root[strspn(root, "/")] == '\0')
		cell_cli_warn(
			g, "root.path \"/\" (the host's root) is cell-only: runc and crun "
			   "cannot pivot_root into the root they run in (give --rootfs DIR for a "
			   "bundle they run)");
	/* cell's own networks are annotations other runtimes ignore (lo only) */
	if (spec->cell.net.mode != CELL_NET_NAMESPACE || spec->cell.net.n_ports)
		cell_cli_warn(g,
			      "annotations.run.cell.net (--net, -p) is cell-only: runc and crun "
			      "ignore it and give the container a network namespace with only lo");
	/* the OCI spec has no symlink entry: other runtimes make no link */
	if (spec->cell.n_path_ops)
		cell_cli_warn(g, "annotations.run.cell.symlinks (--symlink, --dir, --file...) is "
				 "cell-only: runc and crun ignore it and make none of them");
}

/* Run flags with no field in config.json: said, not dropped in silence. */
static void warn_run_only(const struct cell_global *g, const struct cell_run_cli *cli)
{
	const struct {
		bool given;
		const char *flag;
	} only[] = {
		{ cli->name != NULL, "--name" },
		{ cli->detach, "--detach" },
		{ cli->keep, "--keep" },
		{ cli->pid_file != NULL, "--pid-file" },
		{ cli->console_socket != NULL, "--console-socket" },
		{ cli->preserve_fds > 0, "--preserve-fds" },
		{ cli->no_pivot, "--no-pivot" },
		{ cli->no_new_keyring, "--no-new-keyring" },
		{ cli->die_with_parent, "--die-with-parent" },
		{ cli->config != NULL, "--config" },
		{ cli->bwrap.info_fd != 0, "--info-fd" },
		{ cli->bwrap.json_status_fd != 0, "--json-status-fd" },
		{ cli->bwrap.sync_fd != 0, "--sync-fd" },
	};
	char msg[256];
	bool pins = false;

	for (int t = 0; t < CELL_NS_COUNT; t++)
		pins |= cli->pin[t] != NULL;
	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		if (!only[i].given)
			continue;
		snprintf(msg, sizeof(msg),
			 "spec: %s is for cell run alone: config.json has no field for it",
			 only[i].flag);
		cell_cli_warn(g, msg);
	}
	if (pins)
		cell_cli_warn(g,
			      "spec: --pin is for cell run alone: config.json has no field for it");
}

int cell_cmd_spec(const struct cell_global *g, int argc, char **argv)
{
	struct cell_run_cli cli = { .spec_mode = true };
	struct cell_error err = { 0 };
	const char *bundle = ".";
	bool rootless = false;
	char **args = calloc((size_t)argc + 1, sizeof(char *)), path[PATH_MAX];
	cleanup_free char *text = NULL;
	int n = 0, r;

	if (!args)
		return CELL_EXIT_FAILURE;
	/* --rootless and --bundle are spec's own; the rest go to run's parser */
	args[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				args[n++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--rootless"))
			rootless = true;
		else if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc)
			bundle = argv[++i];
		else if (!strncmp(argv[i], "--bundle=", 9))
			bundle = argv[i] + 9;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			free(args);
			fputs(spec_usage, stdout);
			return 0;
		} else
			args[n++] = argv[i];
	}
	if (n > 1) {
		r = cell_run_parse(n, args, rootless ? 1000 : geteuid(), getegid(), &cli, &err);
		if (r == 0 && rootless)
			r = cell_error_set(&err, 0,
					   "spec: --rootless is runc's default spec; with "
					   "run flags, run `cell spec` as the user instead");
	} else {
		r = oci_default(&cli.spec, rootless || cell_rootless(), &err);
	}
	free(args);
	if (r == 0 && !(text = cell_spec_to_json(&cli.spec, &err)))
		r = -ENOMEM;
	if (r == 0) {
		warn_cell_only(g, &cli.spec);
		warn_run_only(g, &cli);
	}
	cell_run_cli_free(&cli);
	if (r < 0 || !text)
		return cell_cli_fail(g, &err);
	if (!strcmp(bundle, "-")) {
		printf("%s\n", text);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cell_error_set(&err, errno, "spec: %s", path);
		return cell_cli_fail(g, &err);
	}
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || close(fd) < 0) {
		cell_error_set(&err, errno, "spec: write %s", path);
		unlink(path);
		return cell_cli_fail(g, &err);
	}
	return 0;
}

/* ---- features ---- */

static json_t *names(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int cell_cmd_features(const struct cell_global *g, int argc, char **argv)
{
	static const char *const hooks[] = { "prestart",
					     "createRuntime",
					     "createContainer",
					     "startContainer",
					     "poststart",
					     "poststop",
					     NULL };
	static const char *const mount_options[] = {
		"async",    "atime",	   "bind",	    "defaults", "dev",
		"diratime", "dirsync",	   "exec",	    "lazytime", "mand",
		"noatime",  "nodev",	   "nodiratime",    "noexec",	"nolazytime",
		"nomand",   "norelatime",  "nostrictatime", "nosuid",	"private",
		"rbind",    "relatime",	   "remount",	    "ro",	"rprivate",
		"rshared",  "rslave",	   "runbindable",   "rw",	"shared",
		"slave",    "strictatime", "suid",	    "sync",	"unbindable",
		NULL,
	};
	static const char *const ns_names[] = { "cgroup", "ipc",  "mount", "network", "pid",
						"time",	  "user", "uts",   NULL };
	struct cell_error err = { 0 };
	json_t *caps = json_array(), *o;
	char name[64], *text;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs("Usage: cell features\n\nPrint what this cell supports, as the OCI "
		      "runtime-spec features document (features.md).\n",
		      stdout);
		return 0;
	}
	for (int c = 0; caps && c <= cell_cap_last() && cell_cap_name(c); c++) {
		snprintf(name, sizeof(name), "CAP_%s", cell_cap_name(c));
		json_array_append_new(caps, json_string(name));
	}
	static const char *const actions[] = {
		"SCMP_ACT_KILL",	"SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
		"SCMP_ACT_ERRNO",	"SCMP_ACT_TRACE",
		"SCMP_ACT_ALLOW",	"SCMP_ACT_LOG",
		"SCMP_ACT_NOTIFY",	NULL,
	};
	static const char *const operators[] = {
		"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	    "SCMP_CMP_EQ",
		"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
	};
	static const char *const flags[] = {
		"SECCOMP_FILTER_FLAG_TSYNC",
		"SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
		NULL,
	};
	static const char *const archs[] = {
		"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
		"SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
		"SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
		"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
		"SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
		"SCMP_ARCH_S390X",    "SCMP_ARCH_RISCV64",     NULL,
	};
	/* truthful: what this build carries out (AppArmor and SELinux only where the
	 * host has them; Intel RDT and systemd cgroups never) */
	o = json_pack("{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b,s:b},"
		      "s:{s:b,s:o,s:o,s:o,s:o,s:o},s:{s:b},s:{s:b},"
		      "s:{s:b},s:{s:{s:b}},s:{s:b}},s:{s:s,s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", CELL_OCI_VERSION, "hooks",
		      names(hooks), "mountOptions", names(mount_options), "linux", "namespaces",
		      names(ns_names), "capabilities", caps, "cgroup", "v1", true, "v2", true,
		      "systemd", false, "systemdUser", false, "rdma", true, "seccomp", "enabled",
		      true, "actions", names(actions), "operators", names(operators), "archs",
		      names(archs), "knownFlags", names(flags), "supportedFlags", names(flags),
		      "apparmor", "enabled", cell_apparmor_enabled(), "selinux", "enabled",
		      cell_selinux_enabled(), "intelRdt", "enabled", false, "mountExtensions",
		      "idmap", "enabled", true, "netDevices", "enabled", false, "annotations",
		      "run.cell.version", CELL_VERSION,
		      /* cell checkpoint and restore, carried out by criu(8) */
		      "run.cell.checkpoint", "criu");
	/* runtime-spec 1.3 features-linux.md: the memoryPolicy modes and flags known */
	if (o && json_object_set_new(json_object_get(o, "linux"), "memoryPolicy",
				     json_pack("{s:o,s:o}", "modes", names(cell_mpol_mode_names),
					       "flags", names(cell_mpol_flag_names))) < 0) {
		json_decref(o);
		o = NULL;
	}
	text = o ? json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!text) {
		cell_error_set(&err, ENOMEM, "features");
		return cell_cli_fail(g, &err);
	}
	printf("%s\n", text);
	free(text);
	return 0;
}
