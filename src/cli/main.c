/* cell — a Linux container runtime and sandbox: global flags and command dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "judge.h"
#include "state.h"
#include "utils.h"

static const char usage[] =
	"Usage: cell [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
	"\n"
	"A container runtime and sandbox built on Linux namespaces and cgroups.\n"
	"\n"
	"Commands:\n"
	"  run       run a sandbox from flags, or an OCI bundle (cell run --help)\n"
	"  judge     run an untrusted program with limits; a JSON verdict (cell judge --help)\n"
	"  create    create a container from an OCI bundle, to be started later\n"
	"  start     start a created container's process\n"
	"  exec      run another process in a running container\n"
	"  state     print a container's OCI state\n"
	"  kill      send a signal to a container\n"
	"  delete    remove a stopped container\n"
	"  list      list containers\n"
	"  ps        list a container's processes\n"
	"  pause     freeze a container's processes\n"
	"  resume    thaw a paused container\n"
	"  update    change a running container's limits\n"
	"  events    print a container's resource usage (and OOM events)\n"
	"  wait      wait for a -d container's command and print its exit status\n"
	"  logs      print the output of a `cell run -d` container\n"
	"  checkpoint  save a running container to images (criu)\n"
	"  restore   run a container again from checkpoint images (criu)\n"
	"  spec      write a config.json (runc's default, or one built by run's flags)\n"
	"  features  print the OCI features document\n"
	"  ns        namespaces: ls, tree, pin, unpin, enter, limits (cell ns --help)\n"
	"  gc        free what killed runs left: state, cgroups, network leases, bridges\n"
	"  version   print the version (as --version)\n"
	"\n"
	"Global options (runc's):\n"
	"  --root DIR                state directory (default /run/cell, or\n"
	"                            $XDG_RUNTIME_DIR/cell when rootless)\n"
	"  --log FILE                also append errors to FILE\n"
	"  --log-format text|json    format of --log (default text)\n"
	"  --debug                   log debug messages too\n"
	"  --systemd-cgroup          refused: cell manages cgroups itself (cgroupfs)\n"
	"  --cgroup-manager cgroupfs|disabled\n"
	"  --rootless true|false|auto  auto: rootless when not root, or root only in a\n"
	"                            user namespace (rootless Podman, unshare -r)\n"
	"  -h, --help, -v, --version\n"
	"\n"
	"See cell(1), cell-run(1), cell-judge(1), cell-ns(1), cell-oci(1) and cell-gc(1).\n";

/* `cell version`, as docker and podman spell it; the same as --version */
static int cell_cmd_version(const struct cell_global *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	printf("cell version %s\nspec: %s\n", CELL_VERSION, CELL_OCI_VERSION);
	return 0;
}

struct command {
	const char *name;
	int (*fn)(const struct cell_global *g, int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", cell_cmd_run },
	{ "create", cell_cmd_create },
	{ "start", cell_cmd_start },
	{ "state", cell_cmd_state },
	{ "kill", cell_cmd_kill },
	{ "delete", cell_cmd_delete },
	{ "list", cell_cmd_list },
	{ "spec", cell_cmd_spec },
	{ "features", cell_cmd_features },
	{ "ns", cell_cmd_ns },
	{ "exec", cell_cmd_exec },
	{ "pause", cell_cmd_pause },
	{ "resume", cell_cmd_resume },
	{ "ps", cell_cmd_ps },
	{ "update", cell_cmd_update },
	{ "events", cell_cmd_events },
	{ "gc", cell_cmd_gc },
	{ "judge", cell_cmd_judge },
	{ "checkpoint", cell_cmd_checkpoint },
	{ "restore", cell_cmd_restore },
	{ "version", cell_cmd_version },
	{ "wait", cell_cmd_wait },
	{ "logs", cell_cmd_logs },
};

enum { G_ROOT = 1000, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD, G_CGROUP_MANAGER, G_ROOTLESS };

static int parse_globals(int argc, char **argv, struct cell_global *g, const char **root,
			 struct cell_error *err)
{
	static const struct option longs[] = {
		{ "root", required_argument, NULL, G_ROOT },
		{ "log", required_argument, NULL, G_LOG },
		{ "log-format", required_argument, NULL, G_LOG_FORMAT },
		{ "debug", no_argument, NULL, G_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, G_SYSTEMD },
		{ "cgroup-manager", required_argument, NULL, G_CGROUP_MANAGER },
		{ "rootless", required_argument, NULL, G_ROOTLESS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hv", longs, NULL)) != -1) {
		switch (opt) {
		case G_ROOT:
			*root = optarg;
			break;
		case G_LOG:
			g->log = optarg;
			break;
		case G_LOG_FORMAT:
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return cell_error_set(err, 0,
						      "--log-format '%s': expected text or "
						      "json",
						      optarg);
			g->log_json = !strcmp(optarg, "json");
			break;
		case G_DEBUG:
			g->debug = true;
			break;
		case G_SYSTEMD:
			return cell_error_set(err, ENOTSUP,
					      "--systemd-cgroup: cell does not "
					      "delegate cgroups to systemd; use --cgroup-manager "
					      "cgroupfs");
		case G_CGROUP_MANAGER:
			if (!strcmp(optarg, "systemd"))
				return cell_error_set(err, ENOTSUP,
						      "--cgroup-manager systemd: "
						      "not supported; use cgroupfs or disabled");
			if (strcmp(optarg, "cgroupfs") && strcmp(optarg, "disabled"))
				return cell_error_set(err, 0,
						      "--cgroup-manager '%s': expected "
						      "cgroupfs or disabled",
						      optarg);
			g->cgroups_disabled = !strcmp(optarg, "disabled");
			break;
		case G_ROOTLESS:
			if (strcmp(optarg, "true") && strcmp(optarg, "false") &&
			    strcmp(optarg, "auto"))
				return cell_error_set(err, 0,
						      "--rootless '%s': expected true, "
						      "false or auto",
						      optarg);
			cell_rootless_force(!strcmp(optarg, "auto") ? -1 : !strcmp(optarg, "true"));
			break;
		case 'h':
			return 'h';
		case 'v':
			return 'v';
		case ':':
			return cell_error_set(err, 0, "option '%s' needs an argument",
					      argv[optind - 1]);
		default:
			return cell_error_set(err, 0,
					      "unknown global option '%s' (see cell --help)",
					      argv[optind - 1]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cell_global g = { .log_fd = -1 };
	struct cell_error err = { 0 };
	const char *root = NULL;
	int r;

#if !CELL_EARLY_PREFAULT
	cell_prefault_image(); /* else entry.c did, before glibc's start */
#endif
	if ((r = parse_globals(argc, argv, &g, &root, &err)) < 0)
		return cell_cli_fail(&g, &err);
	if (r == 'h') {
		fputs(usage, stdout);
		return 0;
	}
	if (r == 'v') {
		return cell_cmd_version(&g, 0, NULL);
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return CELL_EXIT_FAILURE;
	}
	if (!strcmp(argv[optind], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		/* `cell run` from flags needs no state root; the rest resolve it here */
		if (cell_state_root(root, g.root, sizeof(g.root), &err) < 0 &&
		    strcmp(argv[optind], "run") && strcmp(argv[optind], "spec") &&
		    strcmp(argv[optind], "features") && strcmp(argv[optind], "ns") &&
		    strcmp(argv[optind], "gc") && strcmp(argv[optind], "judge") &&
		    strcmp(argv[optind], "version"))
			return cell_cli_fail(&g, &err);
		return commands[i].fn(&g, argc - optind, argv + optind);
	}
	cell_error_set(&err, 0, "unknown command '%s' (see cell --help)", argv[optind]);
	return cell_cli_fail(&g, &err);
}
