/*
 * cell — the OCI runtime commands with runc's names, flags and output:
 * create, start, state, kill, delete, list, and `run` from a bundle.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cell/ns.h"
#include "cli.h"
#include "run.h"
#include "run_flags.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

/* ---- shared by the commands ---- */

int cell_cli_fail(const struct cell_global *g, const struct cell_error *err)
{
	fprintf(stderr, "cell: %s\n", err->msg);
	cell_cli_log(g, "error", err->msg);
	return CELL_EXIT_FAILURE;
}

void cell_cli_report_run(const struct cell_global *g, const struct cell_spec *spec,
			 const struct cell_run_result *result, const struct cell_error *err)
{
	char msg[160];

	if (result->teardown_failed)
		cell_cli_warn(g, err->msg);
	if (result->oom_killed) {
		snprintf(msg, sizeof(msg),
			 "the container ran out of memory and was OOM-killed "
			 "(linux.resources.memory.limit %lld bytes)",
			 (long long)spec->linux.resources.memory_limit);
		fprintf(stderr, "cell: %s\n", msg);
		cell_cli_log(g, "warning", msg);
	}
}

void cell_cli_warn(const struct cell_global *g, const char *msg)
{
	fprintf(stderr, "cell: warning: %s\n", msg);
	cell_cli_log(g, "warning", msg);
}

/*
 * poststart and poststop: every hook runs, each failure is a warning
 * (config.md), and the command goes on.
 */
static void warn_hook(void *ctx, const struct cell_error *e)
{
	cell_cli_warn(ctx, e->msg);
}

static void run_hooks_warning(const struct cell_global *g, const struct cell_spec *spec,
			      enum cell_hook_kind kind, const char *id, pid_t pid,
			      const char *status, const char *bundle)
{
	cleanup_free char *state = NULL;
	struct cell_error e = { 0 };

	if (!spec->hooks.n[kind])
		return;
	if (!(state = cell_hook_state_json(id, pid, status, bundle, spec))) {
		cell_error_set(&e, ENOMEM, "hooks.%s", cell_hook_kind_name(kind));
		warn_hook((void *)g, &e);
		return;
	}
	cell_hooks_run_all(spec, kind, state, bundle, warn_hook, (void *)g);
}

void cell_cli_debug(const struct cell_global *g, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!g->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g->log)
		cell_cli_log(g, "debug", msg);
	else
		fprintf(stderr, "cell: debug: %s\n", msg);
}

/* A text log value between quotes, as logrus writes it: \" \\ and controls escaped. */
static void log_quoted(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

int cell_cli_log_open(const struct cell_global *g)
{
	int fd = open(g->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		fprintf(stderr, "cell: warning: --log %s: %s\n", g->log, strerror(errno));
	return fd;
}

void cell_cli_log(const struct cell_global *g, const char *level, const char *msg)
{
	char now[64];
	FILE *f;
	int fd;

	if (!g || !g->log)
		return;
	fd = g->log_fd >= 0 ? fcntl(g->log_fd, F_DUPFD_CLOEXEC, 0) : cell_cli_log_open(g);
	if (fd < 0)
		return;
	if (!(f = fdopen(fd, "a"))) {
		close(fd);
		return;
	}
	cell_state_now(now, sizeof(now));
	if (g->log_json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", now);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (line)
			fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"", now, level);
		log_quoted(f, msg);
		fputs("\"\n", f);
	}
	fclose(f);
}

/* getopt for the small commands: "+" stops at the id; errors name the flag. */
static int parse_opts(int argc, char **argv, const char *shorts, const struct option *longs,
		      int (*handle)(void *ctx, int opt), void *ctx, struct cell_error *err)
{
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (opt == '?')
			return cell_error_set(err, 0,
					      "%s: unknown option '%s' (see cell %s --help)",
					      argv[0], argv[optind - 1], argv[0]);
		if (opt == ':')
			return cell_error_set(err, 0, "%s: option '%s' needs an argument", argv[0],
					      argv[optind - 1]);
		if (handle(ctx, opt) < 0)
			return cell_error_set(err, 0, "%s: bad value '%s' for '%s'", argv[0],
					      optarg ? optarg : "", argv[optind - 1]);
	}
	return 0;
}

static int need_id(int argc, char **argv, int extra_max, struct cell_error *err)
{
	if (optind >= argc)
		return cell_error_set(err, 0, "%s: a container id is required (see cell %s --help)",
				      argv[0], argv[0]);
	if (argc - optind - 1 > extra_max)
		return cell_error_set(err, 0, "%s: unexpected argument '%s'", argv[0],
				      argv[optind + 1 + extra_max]);
	return cell_state_check_id(argv[optind], err);
}

int cell_cli_absolute_path(const char *flag, const char *path, char *out, size_t size,
			   struct cell_error *err)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return cell_error_set(err, errno,
				      "%s %s: the working directory it is relative "
				      "to (getcwd)",
				      flag, path);
	else if (!strcmp(path, "."))
		n = snprintf(out, size, "%s", cwd);
	else
		n = snprintf(out, size, "%s/%s", cwd, path);
	/* the path in the message is cut short: one of PATH_MAX would fill it */
	if (n < 0 || (size_t)n >= size)
		return cell_error_set(err, ENAMETOOLONG,
				      "%s %.128s%s: %d bytes as an absolute "
				      "path (at most %zu)",
				      flag, path, strlen(path) > 128 ? "..." : "", n, size - 1);
	return 0;
}

int cell_cli_write_pid_file(const char *path, pid_t pid, struct cell_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	/* conmon reads it after we exit: written whole, atomically */
	return cell_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

int cell_cli_connect_console(const char *path, struct cell_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "--console-socket %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_set(err, errno, "--console-socket %s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return cell_error_set(err, e, "--console-socket %s", path);
	}
	return fd;
}

/* systemd socket activation passes through, as runc does (LISTEN_FDS). */
static int listen_fds(struct cell_spec *spec, unsigned *preserve, struct cell_error *err)
{
	const char *n = getenv("LISTEN_FDS");
	char buf[64];
	int r;

	if (!n || !n[0] || strspn(n, "0123456789") != strlen(n))
		return 0;
	*preserve += (unsigned)atoi(n);
	snprintf(buf, sizeof(buf), "LISTEN_FDS=%s", n);
	if ((r = cell_spec_set_env(spec, buf, err)) < 0)
		return r;
	return cell_spec_set_env(spec, "LISTEN_PID=1", err);
}

static int fill_state(struct cell_state *st, const char *id, const char *bundle,
		      const struct cell_spec *spec, const struct cell_created *c,
		      struct cell_error *err)
{
	pid_t pid = c->pid;
	char now[64];

	memset(st, 0, sizeof(*st));
	cell_state_now(now, sizeof(now));
	st->id = strdup(id);
	st->bundle = strdup(bundle ? bundle : "");
	st->rootfs = strdup(spec->root.path ? spec->root.path : "/");
	st->created = strdup(now);
	st->cgroups_path = c->cgroups_path[0] ? strdup(c->cgroups_path) : NULL;
	st->cgroup = c->cgroup_state ? strdup(c->cgroup_state) : NULL;
	st->pid = pid;
	st->owner = geteuid();
	st->rootless = cell_rootless();
	if (!st->id || !st->bundle || !st->rootfs || !st->created ||
	    (c->cgroups_path[0] && !st->cgroups_path) || (c->cgroup_state && !st->cgroup))
		return cell_error_set(err, ENOMEM, "state of %s", id);
	if (cell_proc_start_time(pid, &st->start_time, NULL) < 0)
		return cell_error_set(err, ESRCH, "container %s: its process %d is gone", id,
				      (int)pid);
	/* the annotations are shared with the spec: copied by reference, not freed */
	st->annotations = spec->annotations;
	st->n_annotations = spec->n_annotations;
	return 0;
}

static int save_state(const char *root, struct cell_state *st, struct cell_error *err)
{
	int r = cell_state_save(root, st, err);

	st->annotations = NULL;
	st->n_annotations = 0;
	cell_state_free(st);
	return r;
}

/* The spec a container was made from, kept for exec, delete's hooks, update. */
static int write_config(const char *root, const char *id, const char *text, struct cell_error *err)
{
	char path[PATH_MAX];
	int r;

	if ((r = cell_state_path(root, id, "config.json", path, sizeof(path), err)) < 0)
		return r;
	return cell_write_file_atomic(path, text, strlen(text), 0600, err);
}

static int save_config(const char *root, const char *id, const struct cell_spec *spec,
		       struct cell_error *err)
{
	cleanup_free char *text = cell_spec_to_json(spec, err);

	return text ? write_config(root, id, text, err) : -ENOMEM;
}

int cell_cli_load_config(const char *root, const char *id, struct cell_spec *spec,
			 struct cell_error *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	size_t len;
	int r;

	if ((r = cell_state_path(root, id, "config.json", path, sizeof(path), err)) < 0 ||
	    (r = cell_read_file(path, &text, &len, err)) < 0)
		return r;
	return cell_spec_from_json(spec, text, len, path, err);
}

/* ---- create / run from a bundle ---- */

struct oci_launch {
	const struct cell_global *g;
	struct cell_run_cli *cli;
	const char *id;
	/* on_created writes it as config.json: made before clone3, where its
	 * allocations touch no page the container's process shares copy-on-write */
	char *config_text;
	bool foreground; /* this process waits for it: recorded for cell gc */
	/* taken before the start: on_created may run in the container's first
	 * process, whose getpid() is 1 and whose euid may be a user namespace's */
	pid_t runner;	      /* foreground: this process */
	uid_t owner;	      /* geteuid() */
	bool rootless;	      /* cell_rootless() */
	const char *pid_file; /* --pid-file made absolute before the chdir to the bundle */
};

static void warn_launch(void *ctx, const struct cell_error *e)
{
	cell_cli_warn(((struct oci_launch *)ctx)->g, e->msg);
}

static int on_created(void *ctx, const struct cell_created *c, struct cell_error *err)
{
	struct oci_launch *l = ctx;
	struct cell_state st;
	int r;

	if (l->config_text && (r = write_config(l->g->root, l->id, l->config_text, err)) < 0)
		return r;
	if ((r = fill_state(&st, l->id, l->cli->bundle, &l->cli->spec, c, err)) < 0) {
		st.annotations = NULL;
		cell_state_free(&st);
		return r;
	}
	st.owner = l->owner;
	st.rootless = l->rootless;
	if (l->foreground) {
		st.runner = l->runner;
		if (cell_proc_start_time(st.runner, &st.runner_start, NULL) < 0)
			st.runner = 0;
	}
	if ((r = save_state(l->g->root, &st, err)) < 0)
		return r;
	if (l->pid_file && (r = cell_cli_write_pid_file(l->pid_file, c->pid, err)) < 0)
		return r;
	return 0;
}

static void remove_state(const struct cell_global *g, const char *id)
{
	struct cell_error ignored = { 0 };

	cell_state_remove(g->root, id, &ignored);
}

/*
 * runc runs in the bundle: relative bind sources in config.json are relative
 * to it. --pid-file stays relative to where the user ran cell.
 */
/* @pid_file: the caller's buffer, which outlives @l->pid_file's every use. */
static int enter_bundle(struct cell_run_cli *cli, struct oci_launch *l, char *pid_file, size_t size,
			struct cell_error *err)
{
	if (cli->pid_file) {
		int r = cell_cli_absolute_path("--pid-file", cli->pid_file, pid_file, size, err);

		if (r < 0)
			return r;
		l->pid_file = pid_file;
	}
	cli->spec.cell.no_pivot = cli->no_pivot;
	if (cli->bundle && chdir(cli->bundle) < 0)
		return cell_error_set(err, errno, "bundle %s", cli->bundle);
	return 0;
}

/* A fifo in the state directory, held open read-write by create (and so by the process). */
static int make_fifo(const char *root, const char *id, const char *name, int *fd,
		     struct cell_error *err)
{
	char path[PATH_MAX];
	int r;

	if ((r = cell_state_path(root, id, name, path, sizeof(path), err)) < 0)
		return r;
	if (mkfifo(path, 0600) < 0)
		return cell_error_set(err, errno, "create %s", path);
	/* O_RDWR: opening never blocks, and a read waits for a writer's byte */
	if ((*fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "open %s", path);
	return 0;
}

/*
 * exec.report: where a process whose seccomp filter refuses write(2) stores
 * why its execve failed (cell_sync_store_error). Zeros until then.
 */
static int make_report(const char *root, const char *id, int *fd, struct cell_error *err)
{
	char path[PATH_MAX];
	int r;

	if ((r = cell_state_path(root, id, "exec.report", path, sizeof(path), err)) < 0)
		return r;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return cell_error_set(err, errno, "create %s", path);
	if (ftruncate(*fd, CELL_START_REPORT_SIZE) < 0)
		return cell_error_set(err, errno, "size %s", path);
	return 0;
}

/* exec.result, opened before the start byte goes out: blocking reads, no writer of ours. */
static int open_start_result(const char *path, struct cell_error *err)
{
	/* O_NONBLOCK: the open waits for no writer; a state made before
	 * exec.result existed has none (ENOENT: nothing to read) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : cell_error_set(err, errno, "open %s", path);
	if (fcntl(fd, F_SETFL, 0) < 0) {
		int e = errno;

		close(fd);
		return cell_error_set(err, e, "fcntl %s", path);
	}
	return fd;
}

/*
 * Write the start byte to exec.fifo, then wait until the process has called
 * execve (exec.result reaches end-of-file, close-on-exec) or says why it
 * could not: a start that fails is reported by the start that caused it.
 */
static int start_process(const char *root, const char *id, struct cell_error *err)
{
	char fifo[PATH_MAX], result[PATH_MAX], report[PATH_MAX];
	int fd, rfd, r;

	if ((r = cell_state_path(root, id, "exec.fifo", fifo, sizeof(fifo), err)) < 0 ||
	    (r = cell_state_path(root, id, "exec.result", result, sizeof(result), err)) < 0 ||
	    (r = cell_state_path(root, id, "exec.report", report, sizeof(report), err)) < 0)
		return r;
	if ((rfd = open_start_result(result, err)) < 0 && rfd != -ENOENT)
		return rfd;
	/* missing in a state made before exec.report existed: nothing to read */
	cleanup_close int report_fd = open(report, O_RDONLY | O_CLOEXEC);
	/* O_NONBLOCK: ENXIO instead of a hang when the process has gone */
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		r = cell_error_set(err, errno, "start container %s (%s)", id, fifo);
		safe_close(fd);
		safe_close(rfd);
		return r;
	}
	close(fd);
	unlink(fifo);
	if (rfd < 0)
		return 0;
	if ((r = cell_start_result(rfd, report_fd, err)) < 0)
		cell_error_prefix(err, "start container %s", id);
	close(rfd);
	unlink(result);
	unlink(report);
	return r;
}

/* A new file of the state directory, opened O_CLOEXEC (the command never sees it). */
static int state_file(const char *root, const char *id, const char *name, int flags,
		      struct cell_error *err)
{
	char path[PATH_MAX];
	int fd, r;

	if ((r = cell_state_path(root, id, name, path, sizeof(path), err)) < 0)
		return r;
	if ((fd = open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return cell_error_set(err, errno, "create %s", path);
	return fd;
}

/*
 * What a `cell run -d` from flags outlives its cell with, as docker's: its
 * init writes the command's status to exit.status (cell wait), its output
 * goes to the file log (cell logs), its stdin is /dev/null. A bundle's
 * container is runc's: the caller's stdio (conmon and containerd's shim pass
 * their own pipes) and no file held open by its init, which criu would have
 * to find again at restore.
 */
static int detached_files(const char *root, const char *id, const struct cell_run_cli *cli,
			  struct cell_run_options *opts, struct cell_error *err)
{
	int fd;

	if (cli->from_bundle)
		return 0;
	if ((fd = state_file(root, id, "exit.status", O_WRONLY, err)) < 0)
		return fd;
	opts->exit_fd = fd;
	if (cli->spec.process.terminal)
		return 0;
	if ((fd = state_file(root, id, "log", O_WRONLY | O_APPEND, err)) < 0)
		return fd;
	opts->stdout_fd = opts->stderr_fd = fd;
	if ((opts->stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "open /dev/null");
	return 0;
}

static void close_detached_files(struct cell_run_options *opts)
{
	if (opts->exit_fd > 2)
		close(opts->exit_fd);
	if (opts->stdout_fd > 2)
		close(opts->stdout_fd);
	if (opts->stdin_fd > 2)
		close(opts->stdin_fd);
	opts->exit_fd = 0;
	opts->stdin_fd = 0;
	opts->stdout_fd = opts->stderr_fd = 1;
}

/* What create and run of a bundle share. A named run is an OCI container
 * too: ps, pause, update and events need its cgroup (issue 19). */
static struct cell_run_options bundle_options(const struct cell_global *g,
					      const struct cell_run_cli *cli)
{
	return (struct cell_run_options){ .stdin_fd = 0,
					  .stdout_fd = 1,
					  .stderr_fd = 2,
					  .bundle = cli->bundle,
					  .start_fd = -1,
					  .start_result_fd = -1,
					  .start_report_fd = -1,
					  .console_socket = -1,
					  .preserve_fds = cli->preserve_fds,
					  .cgroup_always = true,
					  .keep_keyring = cli->no_new_keyring,
					  .no_cgroup = g->cgroups_disabled };
}

/* --pin TYPE=PATH: for every way of starting (run, run -d, create). */
static void bundle_pins(struct cell_run_options *opts, const struct cell_run_cli *cli)
{
	memcpy(opts->pin_paths, cli->pin, sizeof(opts->pin_paths));
}

/*
 * Flags that would mean nothing: a console socket with no terminal to send
 * (runc refuses it too), a container that outlives cell bound to cell's
 * parent.
 */
static int launch_flags_check(const struct cell_run_cli *cli, bool detached, struct cell_error *err)
{
	if (cli->console_socket && !cli->spec.process.terminal)
		return cell_error_set(err, 0,
				      "--console-socket: process.terminal is false, so there is "
				      "no terminal to send (give -t, or terminal: true)");
	if (detached && cli->die_with_parent)
		return cell_error_set(err, 0,
				      "--die-with-parent: a created or detached container "
				      "outlives cell, whose parent it would follow");
	if (detached && (cli->bwrap.info_fd || cli->bwrap.json_status_fd || cli->bwrap.sync_fd))
		return cell_error_set(err, 0,
				      "%s: a created or detached container outlives cell, which "
				      "holds it",
				      cli->bwrap.info_fd	  ? "--info-fd"
				      : cli->bwrap.json_status_fd ? "--json-status-fd"
								  : "--sync-fd");
	return 0;
}

/* cell create, and cell run --detach (create + start). */
static int create_container(const struct cell_global *g, struct cell_run_cli *cli, const char *id,
			    bool start)
{
	struct cell_run_options opts = bundle_options(g, cli);
	struct cell_error err = { 0 };
	struct cell_created out;
	struct oci_launch l = {
		.g = g, .cli = cli, .id = id, .owner = geteuid(), .rootless = cell_rootless()
	};
	char pid_file[PATH_MAX];
	int lock = -1, r;

	opts.id = id;
	bundle_pins(&opts, cli);
	if ((r = launch_flags_check(cli, true, &err)) < 0 ||
	    (r = enter_bundle(cli, &l, pid_file, sizeof(pid_file), &err)) < 0 ||
	    (r = listen_fds(&cli->spec, &opts.preserve_fds, &err)) < 0 ||
	    (r = cell_spec_validate(&cli->spec, &err)) < 0)
		return cell_cli_fail(g, &err);
	if ((lock = cell_state_create(g->root, id, &err)) < 0)
		return cell_cli_fail(g, &err);
	/* mkdir claimed the id; a lock held now would be inherited by the container's
	 * process (it is a clone until it execs) and block every later command */
	safe_close(lock);
	if ((r = make_fifo(g->root, id, "exec.fifo", &opts.start_fd, &err)) < 0 ||
	    (r = make_fifo(g->root, id, "exec.result", &opts.start_result_fd, &err)) < 0 ||
	    (r = make_report(g->root, id, &opts.start_report_fd, &err)) < 0 ||
	    (r = detached_files(g->root, id, cli, &opts, &err)) < 0)
		goto fail;
	if (cli->console_socket &&
	    (opts.console_socket = cell_cli_connect_console(cli->console_socket, &err)) < 0)
		goto fail;
	if ((r = save_config(g->root, id, &cli->spec, &err)) < 0)
		goto fail;
	fflush(NULL);
	if ((r = cell_create(&cli->spec, &opts, &out, &err)) < 0)
		goto fail;
	if ((r = on_created(&l, &out, &err)) < 0) {
		kill(out.pid, SIGKILL);
		goto fail_kill;
	}
	cell_cli_debug(g, "created %s: pid %d, cgroup %s, bundle %s", id, (int)out.pid,
		       out.cgroups_path[0] ? out.cgroups_path : "none", cli->bundle);
	/* the process holds its own copies; ours would keep exec.result open */
	opts.start_fd = safe_close(opts.start_fd);
	opts.start_result_fd = safe_close(opts.start_result_fd);
	opts.start_report_fd = safe_close(opts.start_report_fd);
	if (start && (r = start_process(g->root, id, &err)) < 0)
		goto fail_kill;
	/* run -d is create + start: start's poststart hooks too (runtime.md step 5) */
	if (start)
		run_hooks_warning(g, &cli->spec, CELL_HOOK_POSTSTART, id, out.pid, "running",
				  cli->bundle);
	safe_close(opts.console_socket);
	close_detached_files(&opts);
	free(out.cgroup_state);
	return 0;
fail_kill:
	kill(out.pid, SIGKILL);
	for (int t = 0; t < CELL_NS_COUNT; t++) /* made with the container, which failed */
		if (cli->pin[t])
			cell_ns_unpin(cli->pin[t], NULL);
	if (out.cgroups_path[0]) {
		struct cell_state made = { .id = (char *)id,
					   .cgroups_path = out.cgroups_path,
					   .cgroup = out.cgroup_state,
					   .rootless = cell_rootless() };
		struct cell_error ignored = { 0 };

		cell_cli_cgroup_remove(&made, &ignored);
	}
	free(out.cgroup_state);
fail:
	safe_close(opts.start_fd);
	safe_close(opts.start_result_fd);
	safe_close(opts.start_report_fd);
	safe_close(opts.console_socket);
	close_detached_files(&opts);
	remove_state(g, id);
	cell_cli_fail(g, &err);
	return cell_error_exit_status(&err);
}

int cell_oci_run_bundle(const struct cell_global *g, struct cell_run_cli *cli)
{
	struct cell_run_options opts = bundle_options(g, cli);
	/* --keep: the state outlives the run on purpose, so cell gc leaves it */
	struct oci_launch l = { .g = g,
				.cli = cli,
				.foreground = !cli->keep,
				.runner = getpid(),
				.owner = geteuid(),
				.rootless = cell_rootless() };
	struct cell_run_result result;
	struct cell_run_watch watch;
	struct cell_error err = { 0 };
	char id[64], pid_file[PATH_MAX];
	int lock, r, status;

	if (!cli->name) {
		if (cell_random_id(id, &err) < 0)
			return cell_cli_fail(g, &err);
	} else {
		snprintf(id, sizeof(id), "%.63s", cli->name);
	}
	if (cli->detach)
		return create_container(g, cli, cli->name ? cli->name : id, true);
	l.id = cli->name ? cli->name : id;
	opts.id = l.id;
	opts.on_created = on_created;
	opts.on_created_in_child = true; /* no getpid() or geteuid(): l's */
	opts.ctx = &l;
	opts.on_warning = warn_launch;
	cell_run_bwrap_options(cli, &watch, &opts);
	bundle_pins(&opts, cli);
	if ((r = launch_flags_check(cli, false, &err)) < 0 ||
	    (r = enter_bundle(cli, &l, pid_file, sizeof(pid_file), &err)) < 0 ||
	    (r = listen_fds(&cli->spec, &opts.preserve_fds, &err)) < 0)
		return cell_cli_fail(g, &err);
	/* runc run --console-socket: the pty master goes there, not to cell's terminal */
	if (cli->console_socket &&
	    (opts.console_socket = cell_cli_connect_console(cli->console_socket, &err)) < 0)
		return cell_cli_fail(g, &err);
	if ((lock = cell_state_create(g->root, l.id, &err)) < 0) {
		safe_close(opts.console_socket);
		return cell_cli_fail(g, &err);
	}
	/* other commands (state, kill) may lock it while the container runs;
	 * config.json and state.json are written in on_created, while the
	 * container sets itself up */
	close(lock);
	if (!(l.config_text = cell_spec_to_json(&cli->spec, &err))) {
		safe_close(opts.console_socket);
		remove_state(g, l.id);
		return cell_cli_fail(g, &err);
	}
	fflush(NULL);
	r = cell_run(&cli->spec, &opts, &result, &err);
	safe_close(opts.console_socket);
	free(l.config_text);
	if (r < 0) {
		remove_state(g, l.id);
		status = cell_error_exit_status(&err);
		cell_cli_fail(g, &err);
		return status;
	}
	cell_cli_report_run(g, &cli->spec, &result, &err);
	cell_run_bwrap_exited(cli, result.wait_status);
	cell_cli_debug(g, "ran %s: pid %d, wait status 0x%x%s%s", l.id, (int)result.pid,
		       (unsigned)result.wait_status, cli->bundle ? ", bundle " : "",
		       cli->bundle ? cli->bundle : "");
	/* runc run deletes what it ran: poststop hooks, then the state */
	run_hooks_warning(g, &cli->spec, CELL_HOOK_POSTSTOP, l.id, result.pid, "stopped",
			  cli->bundle);
	if (!cli->keep)
		remove_state(g, l.id);
	return cell_exit_status(result.wait_status);
}

static const char create_usage[] =
	"Usage: cell create [OPTIONS] CONTAINER-ID\n"
	"\n"
	"Create the container of an OCI bundle; its process waits for `cell start`.\n"
	"\n"
	"  -b, --bundle DIR          the bundle (default: the current directory)\n"
	"  -f, --config FILE         the bundle's config by another name (relative to it)\n"
	"  --console-socket PATH     send process.terminal's pty master to this socket\n"
	"  --pid-file FILE           write the container's host PID there\n"
	"  --preserve-fds N          pass fds 3..3+N-1 on to the container\n"
	"  --no-pivot                do not use pivot_root (ramdisk roots)\n"
	"  --no-new-keyring          keep the caller's session keyring\n"
	"  -h, --help                show this help\n";

int cell_cmd_create(const struct cell_global *g, int argc, char **argv)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	char **args;
	int n = 0, r;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(create_usage, stdout);
		return 0;
	}
	/* runc's create is run's parser with a bundle that defaults to "." */
	args = calloc((size_t)argc + 3, sizeof(char *));
	if (!args)
		return CELL_EXIT_FAILURE;
	args[n++] = argv[0];
	bool has_bundle = false;
	for (int i = 1; i < argc; i++)
		has_bundle |= !strcmp(argv[i], "-b") || !strncmp(argv[i], "--bundle", 8);
	if (!has_bundle) {
		args[n++] = "--bundle";
		args[n++] = ".";
	}
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	r = cell_run_parse(n, args, geteuid(), getegid(), &cli, &err);
	free(args);
	if (r == 0 && !cli.name)
		r = cell_error_set(&err, 0, "create: a container id is required");
	if (r < 0) {
		cell_run_cli_free(&cli);
		return cell_cli_fail(g, &err);
	}
	r = create_container(g, &cli, cli.name, false);
	cell_run_cli_free(&cli);
	return r;
}

/* ---- start ---- */

static int no_opts(void *ctx, int opt)
{
	return -1;
}

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

bool cell_cli_wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return true;
		}
	return false;
}

int cell_cmd_start(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] = "Usage: cell start CONTAINER-ID\n\n"
				    "Start the process of a created container.\n";
	struct cell_error err = { 0 };
	struct cell_state st;
	struct cell_spec spec;
	int lock, r;

	if (cell_cli_wants_help(argc, argv, usage))
		return 0;
	if (parse_opts(argc, argv, "+", help_only, no_opts, NULL, &err) < 0 ||
	    need_id(argc, argv, 0, &err) < 0)
		return cell_cli_fail(g, &err);
	const char *id = argv[optind];
	if ((lock = cell_state_lock(g->root, id, &err)) < 0)
		return cell_cli_fail(g, &err);
	if ((r = cell_state_load(g->root, id, &st, &err)) < 0) {
		close(lock);
		return cell_cli_fail(g, &err);
	}
	enum cell_status s = cell_state_status(g->root, &st, false);
	if (s != CELL_STATUS_CREATED) {
		cell_error_set(&err, 0, "cannot start container %s: it is %s, not created", id,
			       cell_status_name(s));
		goto fail;
	}
	if (start_process(g->root, id, &err) < 0) {
		cell_state_free(&st);
		close(lock);
		cell_cli_fail(g, &err);
		return cell_error_exit_status(&err);
	}
	cell_cli_debug(g, "started %s (pid %d)", id, (int)st.pid);
	if (cell_cli_load_config(g->root, id, &spec, &err) == 0) {
		run_hooks_warning(g, &spec, CELL_HOOK_POSTSTART, id, st.pid, "running", st.bundle);
		cell_spec_free(&spec);
	}
	cell_state_free(&st);
	close(lock);
	return 0;
fail:
	cell_state_free(&st);
	close(lock);
	return cell_cli_fail(g, &err);
}

/* ---- state ---- */

bool cell_cli_frozen(const struct cell_state *st)
{
	return (st->cgroups_path || st->cgroup) && cell_cli_cgroup_frozen(st);
}

static json_t *state_json(const struct cell_global *g, const struct cell_state *st)
{
	enum cell_status s = cell_state_status(g->root, st, cell_cli_frozen(st));
	json_t *ann = json_object();
	struct passwd_owner {
		char name[64];
	} owner = { "" };

	for (size_t i = 0; ann && i < st->n_annotations; i++)
		json_object_set_new(ann, st->annotations[i].key,
				    json_string(st->annotations[i].value));
	if (st->owner == 0)
		strcpy(owner.name, "root");
	else
		snprintf(owner.name, sizeof(owner.name), "%u", (unsigned)st->owner);
	return json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}", "ociVersion", CELL_OCI_VERSION,
			 "id", st->id, "pid", s == CELL_STATUS_STOPPED ? 0 : (int)st->pid, "status",
			 cell_status_name(s), "bundle", st->bundle, "rootfs",
			 st->rootfs ? st->rootfs : "", "created", st->created ? st->created : "",
			 "owner", owner.name, "annotations", ann);
}

int cell_cmd_state(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] = "Usage: cell state CONTAINER-ID\n\n"
				    "Print the container's OCI state as JSON.\n";
	struct cell_error err = { 0 };
	struct cell_state st;
	json_t *o;
	char *text;

	if (cell_cli_wants_help(argc, argv, usage))
		return 0;
	if (parse_opts(argc, argv, "+", help_only, no_opts, NULL, &err) < 0 ||
	    need_id(argc, argv, 0, &err) < 0 ||
	    cell_state_load(g->root, argv[optind], &st, &err) < 0)
		return cell_cli_fail(g, &err);
	o = state_json(g, &st);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	cell_state_free(&st);
	if (!text) {
		cell_error_set(&err, ENOMEM, "state");
		return cell_cli_fail(g, &err);
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

/* ---- kill ---- */

int cell_parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },	      { "QUIT", SIGQUIT },
		{ "ILL", SIGILL },   { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
		{ "IOT", SIGIOT },   { "BUS", SIGBUS },	      { "FPE", SIGFPE },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
		{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF }, { "WINCH", SIGWINCH },   { "IO", SIGIO },
		{ "POLL", SIGPOLL }, { "PWR", SIGPWR },	      { "SYS", SIGSYS },
	};
	char *end;
	long n = strtol(s, &end, 10);

	if (s[0] && !*end)
		return n > 0 && n < _NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].sig;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		long off = s[5] ? strtol(s + 5, &end, 10) : 0;

		if (*end)
			return -1;
		n = toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN + off : SIGRTMAX + off;
		return n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : -1;
	}
	return -1;
}

static int kill_opt(void *ctx, int opt)
{
	if (opt != 'a')
		return -1;
	*(bool *)ctx = true;
	return 0;
}

int cell_cmd_kill(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell kill [--all] CONTAINER-ID [SIGNAL]\n\n"
		"Send SIGNAL (default SIGTERM; a name like KILL or SIGKILL, or a number) to the\n"
		"container's process.\n\n"
		"  -a, --all     send it to every process in the container's cgroup\n";
	static const struct option longs[] = { { "all", no_argument, NULL, 'a' },
					       { "help", no_argument, NULL, 'h' },
					       { 0 } };
	struct cell_error err = { 0 };
	struct cell_state st;
	bool all = false;
	int sig = SIGTERM, r;

	if (cell_cli_wants_help(argc, argv, usage))
		return 0;
	if (parse_opts(argc, argv, "+a", longs, kill_opt, &all, &err) < 0 ||
	    need_id(argc, argv, 1, &err) < 0)
		return cell_cli_fail(g, &err);
	if (optind + 1 < argc && (sig = cell_parse_signal(argv[optind + 1])) < 0) {
		cell_error_set(&err, 0, "kill: unknown signal '%s'", argv[optind + 1]);
		return cell_cli_fail(g, &err);
	}
	if (cell_state_load(g->root, argv[optind], &st, &err) < 0)
		return cell_cli_fail(g, &err);
	enum cell_status s = cell_state_status(g->root, &st, false);
	if (s == CELL_STATUS_STOPPED && !all) {
		cell_error_set(&err, ESRCH, "kill container %s: it is not running", st.id);
		cell_state_free(&st);
		return cell_cli_fail(g, &err);
	}
	if (all && (st.cgroups_path || st.cgroup)) {
		r = cell_cli_cgroup_signal(&st, sig, &err);
		if (r == 0)
			cell_cli_debug(g, "signal %d to every process of %s's cgroup", sig, st.id);
	} else {
		/* SIGKILL of a pid namespace's init takes the rest with it; other
		 * signals reach it alone, with no cgroup to find the others by */
		if (all && sig != SIGKILL) {
			char w[512];

			snprintf(w, sizeof(w),
				 "kill --all: container %s has no cgroup to find its processes "
				 "by: only its first process gets the signal",
				 st.id);
			cell_cli_warn(g, w);
		}
		/* pidfd: the signal cannot reach a process that reused the PID after the check */
		int pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);

		r = 0;
		if (pidfd < 0 || !cell_state_pid_alive(&st) ||
		    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
			r = cell_error_set(&err, errno ? errno : ESRCH,
					   "kill container %s (pid %d)", st.id, (int)st.pid);
		else
			cell_cli_debug(g, "signal %d to %s (pid %d)", sig, st.id, (int)st.pid);
		safe_close(pidfd);
	}
	cell_state_free(&st);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}

/* ---- delete ---- */

struct delete_opts {
	bool force, regex;
};

static int delete_opt(void *ctx, int opt)
{
	struct delete_opts *o = ctx;

	if (opt == 'f')
		o->force = true;
	else if (opt == 'r')
		o->regex = true;
	else
		return -1;
	return 0;
}

/* Wait for @pid to be gone (it may not be our child: poll its pidfd). */
static void wait_gone(const struct cell_state *st)
{
	int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0)
		return;
	struct pollfd_compat {
		int fd;
		short events, revents;
	} p = { pidfd, 1 /* POLLIN */, 0 };
	for (int i = 0; i < 100 && cell_state_pid_alive(st); i++)
		if (syscall(SYS_poll, &p, 1, 100) > 0)
			break;
	/* our own child (cell run -d from this process is not; conmon reaps otherwise) */
	waitpid(st->pid, NULL, WNOHANG);
	close(pidfd);
}

int cell_cli_delete(const struct cell_global *g, const char *id, bool force, struct cell_error *err)
{
	struct cell_state st;
	struct cell_spec spec;
	struct cell_cgroup cg;
	bool has_cg;
	int lock, r;

	cell_cgroup_init(&cg);
	if ((lock = cell_state_lock(g->root, id, err)) < 0)
		return lock;
	if ((r = cell_state_load(g->root, id, &st, err)) < 0) {
		close(lock);
		return r;
	}
	has_cg = st.cgroups_path || st.cgroup;
	enum cell_status s = cell_state_status(g->root, &st, cell_cli_frozen(&st));
	if (s != CELL_STATUS_STOPPED && s != CELL_STATUS_CREATED && !force) {
		r = cell_error_set(err, EBUSY,
				   "cannot delete container %s that is %s (use --force)", id,
				   cell_status_name(s));
		goto out;
	}
	/* The saved cgroup is opened before anything is killed: from a mount
	 * namespace whose /sys/fs/cgroup is of another mode (a v2 container seen
	 * from the hybrid host) it cannot be removed, so the container is left
	 * as it is rather than killed and kept. A prefix: the message has the
	 * errno text already, once. */
	if (has_cg && (r = cell_cli_cgroup_open(&st, &cg, err)) < 0) {
		cell_error_prefix(err, "delete container %s", id);
		goto out;
	}
	if (s != CELL_STATUS_STOPPED) {
		struct cell_error ignored = { 0 };

		if (has_cg)
			cell_cgroup_kill(&cg, SIGKILL, &ignored);
		int pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
		if (pidfd >= 0 && cell_state_pid_alive(&st))
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		safe_close(pidfd);
		wait_gone(&st);
	}
	if (has_cg && (r = cell_cgroup_destroy(&cg, err)) < 0) {
		cell_error_prefix(err, "delete container %s", id);
		goto out;
	}
	/* run -d --net bridge: the network lives as long as the container */
	if ((r = cell_net_release(id, st.pid, err)) < 0) {
		cell_error_prefix(err, "delete container %s", id);
		goto out;
	}
	if (cell_cli_load_config(g->root, id, &spec, err) == 0) {
		run_hooks_warning(g, &spec, CELL_HOOK_POSTSTOP, id, st.pid, "stopped", st.bundle);
		cell_spec_free(&spec);
	}
	cell_error_reset(err);
	r = cell_state_remove(g->root, id, err);
	cell_cli_debug(g, "deleted %s (it was %s)", id, cell_status_name(s));
out:
	cell_cgroup_forget(&cg); /* what destroy did not remove stays */
	cell_state_free(&st);
	close(lock);
	return r;
}

/*
 * crun's delete --regex: every container whose id the extended regular
 * expression matches (regcomp(3), unanchored). A container that cannot be
 * deleted (running, without --force) is a warning and the others are still
 * deleted; the status is 0 then, as crun's (src/delete.c), so a cleanup
 * script that drives either runtime sees the same. A bad expression or an
 * unreadable state directory fails the command.
 */
static int delete_matching(const struct cell_global *g, const char *pattern, bool force)
{
	struct cell_error err = { 0 };
	cleanup_strv char **ids = NULL;
	regex_t re;
	int r;

	if ((r = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) != 0) {
		char why[128];

		regerror(r, &re, why, sizeof(why));
		cell_error_set(&err, EINVAL, "delete --regex '%s': %s", pattern, why);
		return cell_cli_fail(g, &err);
	}
	if (cell_state_list(g->root, &ids, &err) < 0) {
		regfree(&re);
		return cell_cli_fail(g, &err);
	}
	for (size_t i = 0; ids[i]; i++) {
		if (regexec(&re, ids[i], 0, NULL, 0) != 0)
			continue;
		cell_error_reset(&err);
		/* one that another command deleted meanwhile is deleted */
		if (cell_cli_delete(g, ids[i], force, &err) < 0 && err.errnum != ENOENT)
			cell_cli_warn(g, err.msg);
	}
	regfree(&re);
	return 0;
}

int cell_cmd_delete(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell delete [--force] [--regex] CONTAINER-ID\n\n"
		"Remove a stopped (or created) container: its cgroup and state; run its\n"
		"poststop hooks.\n\n"
		"  -f, --force   kill it first if it still runs\n"
		"  -r, --regex   CONTAINER-ID is an extended regular expression: delete every\n"
		"                container whose id it matches\n";
	static const struct option longs[] = { { "force", no_argument, NULL, 'f' },
					       { "regex", no_argument, NULL, 'r' },
					       { "help", no_argument, NULL, 'h' },
					       { 0 } };
	struct cell_error err = { 0 };
	struct delete_opts o = { 0 };

	if (cell_cli_wants_help(argc, argv, usage))
		return 0;
	if (parse_opts(argc, argv, "+fr", longs, delete_opt, &o, &err) < 0)
		return cell_cli_fail(g, &err);
	if (o.regex) {
		if (optind + 1 != argc) {
			cell_error_set(&err, 0, "delete --regex: expected one regular expression");
			return cell_cli_fail(g, &err);
		}
		return delete_matching(g, argv[optind], o.force);
	}
	if (need_id(argc, argv, 0, &err) < 0)
		return cell_cli_fail(g, &err);
	/* runc: deleting what does not exist succeeds with --force */
	if (cell_cli_delete(g, argv[optind], o.force, &err) < 0 &&
	    !(o.force && err.errnum == ENOENT))
		return cell_cli_fail(g, &err);
	return 0;
}

/* ---- list ---- */

struct list_opts {
	bool json, quiet;
};

static int list_opt(void *ctx, int opt)
{
	struct list_opts *o = ctx;

	if (opt == 'q')
		o->quiet = true;
	else if (opt == 'f' && !strcmp(optarg, "json"))
		o->json = true;
	else if (opt != 'f' || strcmp(optarg, "table"))
		return -1;
	return 0;
}

int cell_cmd_list(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell list [--format table|json] [--quiet]\n\n"
		"List the containers under the state root.\n\n"
		"  -f, --format FMT  table (default; ID PID STATUS BUNDLE CREATED OWNER) or json\n"
		"  -q, --quiet       ids only\n";
	static const struct option longs[] = { { "format", required_argument, NULL, 'f' },
					       { "quiet", no_argument, NULL, 'q' },
					       { "help", no_argument, NULL, 'h' },
					       { 0 } };
	struct list_opts o = { 0 };
	struct cell_error err = { 0 };
	cleanup_strv char **ids = NULL;
	json_t *arr = json_array();

	if (cell_cli_wants_help(argc, argv, usage)) {
		json_decref(arr);
		return 0;
	}
	if (parse_opts(argc, argv, "+f:q", longs, list_opt, &o, &err) < 0 ||
	    cell_state_list(g->root, &ids, &err) < 0) {
		json_decref(arr);
		return cell_cli_fail(g, &err);
	}
	if (!o.json && !o.quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; ids[i]; i++) {
		struct cell_state st;
		json_t *x;

		if (cell_state_load(g->root, ids[i], &st, &err) < 0)
			continue; /* being created or deleted right now */
		x = state_json(g, &st);
		if (o.quiet)
			printf("%s\n", st.id);
		else if (o.json)
			json_array_append(arr, x);
		else
			printf("%-12s %-8d %-10s %-40s %-30s %s\n", st.id,
			       (int)json_integer_value(json_object_get(x, "pid")),
			       json_string_value(json_object_get(x, "status")), st.bundle,
			       st.created, json_string_value(json_object_get(x, "owner")));
		json_decref(x);
		cell_state_free(&st);
	}
	if (o.json) {
		char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);

		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(arr);
	return 0;
}
