/*
 * cell exec — run another process in a running container, with runc's flags.
 *
 * The process is described by a spec like any other: the container's own
 * (state dir config.json), its process replaced by --process FILE or edited
 * by the flags, every namespace the container has given by the path of its
 * first process (/proc/PID/ns/TYPE, so the engine joins instead of creating),
 * its cgroup joined, nothing mounted. The engine's init stays outside the
 * joined pid namespace and forks the command into it (setns(2) moves only
 * children into a pid namespace).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

struct exec_cli {
	const char *process_file, *console_socket, *cwd, *user, *pid_file, *apparmor;
	const char *process_label;
	char **env, **caps, **cgroups;
	uint32_t *gids;
	size_t n_gids;
	bool tty, detach, no_new_privs, ignore_paused, help;
	unsigned preserve_fds;
};

enum {
	X_CONSOLE = 1000,
	X_PID_FILE,
	X_LABEL,
	X_APPARMOR,
	X_NNP,
	X_PRESERVE,
	X_CGROUP,
	X_IGNORE_PAUSED
};

static const struct option exec_longs[] = {
	{ "process", required_argument, NULL, 'p' },
	{ "console-socket", required_argument, NULL, X_CONSOLE },
	{ "cwd", required_argument, NULL, 'w' },
	{ "env", required_argument, NULL, 'e' },
	{ "tty", no_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "additional-gids", required_argument, NULL, 'g' },
	{ "detach", no_argument, NULL, 'd' },
	{ "pid-file", required_argument, NULL, X_PID_FILE },
	{ "process-label", required_argument, NULL, X_LABEL },
	{ "apparmor", required_argument, NULL, X_APPARMOR },
	{ "no-new-privs", no_argument, NULL, X_NNP },
	{ "cap", required_argument, NULL, 'c' },
	{ "preserve-fds", required_argument, NULL, X_PRESERVE },
	{ "cgroup", required_argument, NULL, X_CGROUP },
	{ "ignore-paused", no_argument, NULL, X_IGNORE_PAUSED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char exec_usage[] =
	"Usage: cell exec [OPTIONS] CONTAINER-ID COMMAND [ARGS...]\n"
	"       cell exec [OPTIONS] --process FILE CONTAINER-ID\n"
	"\n"
	"Run a process in a running container: in all its namespaces and its cgroup,\n"
	"with its capabilities, no_new_privs, seccomp filter and AppArmor profile\n"
	"unless an option says otherwise.\n"
	"\n"
	"  -p, --process FILE        the process as OCI JSON (config.md \"process\")\n"
	"  -t, --tty                 give it a terminal (relayed, or --console-socket)\n"
	"  --console-socket PATH     send the terminal's pty master to this socket\n"
	"  -d, --detach              return once it runs\n"
	"  --pid-file FILE           write its host PID there\n"
	"  -w, --cwd DIR             working directory inside\n"
	"  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
	"  -u, --user USER[:GROUP]   run as this user: numbers, or names in the container's\n"
	"                            /etc/passwd and /etc/group (a name sets HOME and the\n"
	"                            groups that list it)\n"
	"  -g, --additional-gids GID add a supplementary group (repeatable)\n"
	"  -c, --cap CAP             add a capability (repeatable)\n"
	"  --no-new-privs            set no_new_privs\n"
	"  --apparmor PROFILE, --process-label LABEL\n"
	"  --preserve-fds N          pass fds 3..3+N-1 on\n"
	"  --cgroup [CTRL[,CTRL]:]PATH  join this existing sub-cgroup of the container's\n"
	"                            (all controllers, or those named; repeatable on v1)\n"
	"  --ignore-paused           exec even into a paused container\n"
	"  -h, --help                show this help\n";

int cell_cli_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!s[0] || *end || errno || n > UINT32_MAX - 1)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int parse_exec(int argc, char **argv, struct exec_cli *x, struct cell_error *err)
{
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:p:w:e:tu:g:dc:h", exec_longs, NULL)) != -1) {
		uint32_t gid;

		switch (opt) {
		case 'p':
			x->process_file = optarg;
			break;
		case X_CONSOLE:
			x->console_socket = optarg;
			break;
		case 'w':
			x->cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || cell_strv_append(&x->env, optarg) < 0)
				return cell_error_set(
					err, 0, "exec: --env '%s': expected KEY=VALUE", optarg);
			break;
		case 't':
			x->tty = true;
			break;
		case 'u':
			x->user = optarg;
			break;
		case 'g': {
			uint32_t *grown;

			if (cell_cli_parse_u32(optarg, &gid) < 0)
				return cell_error_set(err, 0,
						      "exec: --additional-gids '%s': expected "
						      "a gid",
						      optarg);
			if (!(grown = realloc(x->gids, (x->n_gids + 1) * sizeof(*grown))))
				return cell_error_set(err, ENOMEM, "exec");
			grown[x->n_gids++] = gid;
			x->gids = grown;
			break;
		}
		case 'd':
			x->detach = true;
			break;
		case X_PID_FILE:
			x->pid_file = optarg;
			break;
		case X_LABEL:
			x->process_label = optarg;
			break;
		case X_APPARMOR:
			x->apparmor = optarg;
			break;
		case X_NNP:
			x->no_new_privs = true;
			break;
		case 'c':
			if (cell_cap_from_name(optarg) < 0)
				return cell_error_set(err, 0, "exec: --cap '%s': not a capability",
						      optarg);
			if (cell_strv_append(&x->caps, optarg) < 0)
				return cell_error_set(err, ENOMEM, "exec");
			break;
		case X_PRESERVE:
			if (cell_cli_parse_u32(optarg, &gid) < 0 || gid > 65536)
				return cell_error_set(err, 0,
						      "exec: --preserve-fds '%s': expected a "
						      "number",
						      optarg);
			x->preserve_fds = gid;
			break;
		case X_CGROUP:
			if (cell_strv_append(&x->cgroups, optarg) < 0)
				return cell_error_set(err, ENOMEM, "exec");
			break;
		case X_IGNORE_PAUSED:
			x->ignore_paused = true;
			break;
		case 'h':
			x->help = true;
			return 0;
		case ':':
			return cell_error_set(err, 0, "exec: option '%s' needs an argument",
					      argv[optind - 1]);
		default:
			return cell_error_set(err, 0,
					      "exec: unknown option '%s' (see cell exec --help)",
					      argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cell_error_set(err, 0, "exec: a container id is required");
	if (!x->process_file && optind + 1 >= argc)
		return cell_error_set(err, 0, "exec: no command given (or --process FILE)");
	return cell_state_check_id(argv[optind], err);
}

/* --process FILE: config.md's process object, read by the config.json parser. */
static int load_process(const char *file, struct cell_process *out, struct cell_error *err)
{
	cleanup_free char *text = NULL, *wrapped = NULL;
	struct cell_spec tmp;
	size_t len;
	int r;

	if ((r = cell_read_file(file, &text, &len, err)) < 0)
		return r;
	if (asprintf(&wrapped, "{\"ociVersion\":\"1.3.0\",\"process\":%s}", text) < 0)
		return cell_error_set(err, ENOMEM, "%s", file);
	if ((r = cell_spec_from_json(&tmp, wrapped, strlen(wrapped), file, err)) < 0)
		return r;
	/* move the process out; the rest of tmp is empty */
	*out = tmp.process;
	memset(&tmp.process, 0, sizeof(tmp.process));
	cell_spec_free(&tmp);
	return 0;
}

static void free_process(struct cell_process *p)
{
	struct cell_spec tmp = { .process = *p };

	cell_spec_free(&tmp);
	memset(p, 0, sizeof(*p));
}

/* The container's spec becomes the exec'd process's: join, do not create. */
static int exec_spec(struct cell_spec *s, const struct cell_state *st, const struct exec_cli *x,
		     char **args, struct cell_error *err)
{
	struct cell_process *p = &s->process;
	struct cell_linux *l = &s->linux;
	int r;

	if (x->process_file) {
		struct cell_process from_file;

		if ((r = load_process(x->process_file, &from_file, err)) < 0)
			return r;
		free_process(p);
		*p = from_file;
		if (x->tty) /* as every other flag: it edits the file's process */
			p->terminal = true;
	} else {
		cell_strv_free(p->args);
		if (!(p->args = cell_strv_dup(args)))
			return cell_error_set(err, ENOMEM, "process.args");
		p->terminal = x->tty;
	}
	/* before -e: a name sets HOME, which -e HOME=... overrides */
	if (x->user && (r = cell_exec_user(s, st->pid, x->user, err)) < 0)
		return r;
	for (size_t i = 0; x->env && x->env[i]; i++)
		if ((r = cell_spec_set_env(s, x->env[i], err)) < 0)
			return r;
	if (x->cwd && (free(p->cwd), !(p->cwd = strdup(x->cwd))))
		return cell_error_set(err, ENOMEM, "--cwd");
	if (x->n_gids) {
		free(p->additional_gids);
		if (!(p->additional_gids = calloc(x->n_gids, sizeof(uint32_t))))
			return cell_error_set(err, ENOMEM, "exec");
		memcpy(p->additional_gids, x->gids, x->n_gids * sizeof(uint32_t));
		p->n_additional_gids = x->n_gids;
	}
	/* runc's exec --cap: bounding, effective and permitted only. Inheritable
	 * and ambient would hand the capability on across the command's own
	 * execve of an unprivileged program (capabilities(7)), which the
	 * container's process never had. */
	for (size_t i = 0; x->caps && x->caps[i]; i++) {
		uint64_t bit = 1ULL << cell_cap_from_name(x->caps[i]);

		p->capabilities.present = true;
		p->capabilities.bounding |= bit;
		p->capabilities.effective |= bit;
		p->capabilities.permitted |= bit;
	}
	if (x->no_new_privs)
		p->no_new_privileges = true;
	if (x->apparmor &&
	    (free(p->apparmor_profile), !(p->apparmor_profile = strdup(x->apparmor))))
		return cell_error_set(err, ENOMEM, "--apparmor");
	if (x->process_label &&
	    (free(p->selinux_label), !(p->selinux_label = strdup(x->process_label))))
		return cell_error_set(err, ENOMEM, "--process-label");
	/* join every namespace the container has, through its first process */
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		char path[64];

		if (!l->namespaces[t].present)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->pid,
			 cell_ns_info((enum cell_ns_type)t)->proc_name);
		free(l->namespaces[t].path);
		if (!(l->namespaces[t].path = strdup(path)))
			return cell_error_set(err, ENOMEM, "exec");
	}
	/* what the container made stays as it is: nothing is created or mounted again */
	free(s->hostname);
	free(s->domainname);
	s->hostname = s->domainname = NULL;
	while (s->n_mounts)
		cell_spec_remove_mount(s, s->mounts[0].destination);
	for (size_t i = 0; i < l->n_sysctl; i++) {
		free(l->sysctl[i].key);
		free(l->sysctl[i].value);
	}
	l->n_sysctl = 0;
	/* the joined user and time namespaces have their maps and offsets already */
	free(l->uid_mappings);
	free(l->gid_mappings);
	l->uid_mappings = l->gid_mappings = NULL;
	l->n_uid_mappings = l->n_gid_mappings = 0;
	l->monotonic.present = l->boottime.present = false;
	free(l->cgroups_path);
	l->cgroups_path = NULL;
	s->cell.init = true; /* the fork into the joined pid namespace */
	/* A cwd the container's own start fell back from (cell run's default, the
	 * caller's directory) falls back to / here too; one asked for must exist. */
	s->cell.cwd_optional = s->cell.cwd_optional && !x->cwd && !x->process_file;
	l->has_personality = false;
	memset(&s->hooks, 0, sizeof(s->hooks));
	return 0;
}

struct exec_ctx {
	const char *pid_file;
};

static int exec_on_pid(void *ctx, pid_t pid, struct cell_error *err)
{
	struct exec_ctx *e = ctx;

	return e->pid_file ? cell_cli_write_pid_file(e->pid_file, pid, err) : 0;
}

int cell_cmd_exec(const struct cell_global *g, int argc, char **argv)
{
	struct exec_cli x = { 0 };
	struct cell_error err = { 0 };
	struct cell_state st = { 0 };
	struct cell_spec spec = { 0 }, pristine = { 0 };
	struct exec_ctx ctx = { 0 };
	struct cell_run_options opts = { .stdin_fd = 0,
					 .stdout_fd = 1,
					 .stderr_fd = 2,
					 .start_fd = -1,
					 .start_result_fd = -1,
					 .start_report_fd = -1,
					 .console_socket = -1,
					 .on_pid = exec_on_pid,
					 .ctx = &ctx };
	struct cell_run_result result;
	char pid_file[PATH_MAX];
	int r, status = CELL_EXIT_FAILURE;

	if ((r = parse_exec(argc, argv, &x, &err)) < 0)
		goto fail;
	if (x.help) {
		fputs(exec_usage, stdout);
		status = 0;
		goto out;
	}
	const char *id = argv[optind];
	if ((r = cell_state_load(g->root, id, &st, &err)) < 0 ||
	    (r = cell_cli_load_config(g->root, id, &spec, &err)) < 0)
		goto fail;
	enum cell_status s = cell_state_status(g->root, &st, cell_cli_frozen(&st));
	if (s == CELL_STATUS_STOPPED || (s == CELL_STATUS_PAUSED && !x.ignore_paused)) {
		cell_error_set(&err, 0, "exec: container %s is %s", id, cell_status_name(s));
		goto fail;
	}
	/* the container's limits stay with its cgroup: moved out, freed with pristine */
	pristine.linux.resources = spec.linux.resources;
	memset(&spec.linux.resources, 0, sizeof(spec.linux.resources));
	if ((r = exec_spec(&spec, &st, &x, argv + optind + 1, &err)) < 0)
		goto fail;
	if (x.pid_file) {
		if ((r = cell_cli_absolute_path("--pid-file", x.pid_file, pid_file,
						sizeof(pid_file), &err)) < 0)
			goto fail;
		ctx.pid_file = pid_file;
	}
	if (x.console_socket) {
		if (!spec.process.terminal) {
			cell_error_set(&err, 0,
				       "exec: --console-socket needs --tty (or "
				       "process.terminal)");
			goto fail;
		}
		if ((opts.console_socket = cell_cli_connect_console(x.console_socket, &err)) < 0)
			goto fail;
	} else if (spec.process.terminal && x.detach) {
		cell_error_set(&err, 0, "exec: --tty with --detach needs --console-socket");
		goto fail;
	}
	opts.id = id;
	opts.bundle = st.bundle;
	opts.cgroup_join = st.cgroups_path;
	opts.cgroup_join_state = st.cgroup;
	opts.cgroup_join_sub = x.cgroups;
	if (x.cgroups && !st.cgroups_path) {
		cell_error_set(&err, ENOTSUP, "exec --cgroup: container %s has no cgroup", id);
		goto fail;
	}
	opts.join_pid = st.pid;
	opts.exec_detach = x.detach;
	opts.preserve_fds = x.preserve_fds;
	fflush(NULL);
	if (cell_run(&spec, &opts, &result, &err) < 0) {
		status = cell_error_exit_status(&err);
		cell_cli_fail(g, &err);
		goto out;
	}
	status = x.detach ? 0 : cell_exit_status(result.wait_status);
	if (x.detach)
		cell_cli_debug(g, "exec in %s: pid %d, detached", id, (int)result.pid);
	else
		cell_cli_debug(g, "exec in %s: pid %d, wait status 0x%x", id, (int)result.pid,
			       (unsigned)result.wait_status);
	goto out;
fail:
	status = cell_cli_fail(g, &err);
out:
	safe_close(opts.console_socket);
	cell_spec_free(&spec);
	cell_spec_free(&pristine);
	cell_state_free(&st);
	cell_strv_free(x.env);
	cell_strv_free(x.caps);
	cell_strv_free(x.cgroups);
	free(x.gids);
	return status;
}
