/*
 * cell checkpoint, cell restore — runc's commands and flags
 * (runc-checkpoint(8), runc-restore(8)), carried out by criu(8) (criu.c).
 *
 * checkpoint: `criu dump -t PID` of the container's first process, with
 * every bind mount named external (criu cannot dump a mount whose source is
 * outside the container) and the names of its stdio kept in
 * IMAGE/descriptors.json. Without --leave-running the container is then
 * gone, and cell deletes it, as runc does.
 * restore: the bundle's config.json gives the root and the bind sources; cell
 * makes the cgroup (limits and device rules, as create would) and criu puts
 * the processes in it (--cgroup-root); criu recreates the namespaces and
 * mounts, and a time namespace with offsets so that CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME go on from the values it saved at dump (criu/timens.c:
 * offset = saved clock - host clock now). Without --detach cell waits for
 * the container like `cell run`, as its child (PR_SET_CHILD_SUBREAPER).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "criu.h"
#include "run.h"
#include "state.h"
#include "utils.h"

struct cpr_cli {
	struct cell_criu_opts o;
	char image[PATH_MAX], work[PATH_MAX], bundle[PATH_MAX], pid_file[PATH_MAX];
	const char *console_socket;
	bool detach, no_subreaper, have_pid_file;
	const char *id;
};

enum {
	O_IMAGE = 1000,
	O_WORK,
	O_LEAVE,
	O_TCP,
	O_UNIX,
	O_SHELL,
	O_LOCKS,
	O_PRE,
	O_PARENT,
	O_CGMODE,
	O_PID,
	O_CONSOLE,
	O_DETACH,
	O_BUNDLE,
	O_LAZY,
	O_NO_SUBREAPER
};

static int handle_opt(struct cpr_cli *c, int opt, const char *arg, struct cell_error *err)
{
	switch (opt) {
	case O_IMAGE:
		return cell_cli_absolute_path("--image-path", arg, c->image, sizeof(c->image), err);
	case O_WORK:
		return cell_cli_absolute_path("--work-path", arg, c->work, sizeof(c->work), err);
	case O_BUNDLE:
		return cell_cli_absolute_path("--bundle", arg, c->bundle, sizeof(c->bundle), err);
	case O_PID:
		c->have_pid_file = true;
		return cell_cli_absolute_path("--pid-file", arg, c->pid_file, sizeof(c->pid_file),
					      err);
	case O_LEAVE:
		c->o.leave_running = true;
		return 0;
	case O_TCP:
		c->o.tcp_established = true;
		return 0;
	case O_UNIX:
		c->o.ext_unix_sk = true;
		return 0;
	case O_SHELL:
		c->o.shell_job = true;
		return 0;
	case O_LOCKS:
		c->o.file_locks = true;
		return 0;
	case O_PRE:
		c->o.pre_dump = true;
		return 0;
	case O_PARENT:
		c->o.parent_path = arg;
		return 0;
	case O_CONSOLE:
		c->console_socket = arg;
		return 0;
	case O_DETACH:
		c->detach = true;
		return 0;
	case O_NO_SUBREAPER:
		c->no_subreaper = true;
		return 0;
	case O_CGMODE:
		if (!cell_criu_mode_valid(arg))
			return cell_error_set(err, 0,
					      "--manage-cgroups-mode %s: expected none, "
					      "props, soft, full, strict or ignore",
					      arg);
		c->o.manage_cgroups_mode = arg;
		return 0;
	case O_LAZY:
		/* criu's lazy restore needs a page server and a second criu kept running
		 * beside the container: more than a command that returns */
		return cell_error_set(err, ENOTSUP,
				      "--lazy-pages: not supported by cell (criu "
				      "lazy-pages needs its page server kept running)");
	case ':':
		return cell_error_set(err, 0, "option '%s' needs an argument", arg);
	default:
		return cell_error_set(err, 0, "unknown option '%s'", arg);
	}
}

static int parse(int argc, char **argv, bool restore, struct cpr_cli *c, struct cell_error *err)
{
	static const struct option longs[] = {
		{ "image-path", required_argument, NULL, O_IMAGE },
		{ "work-path", required_argument, NULL, O_WORK },
		{ "leave-running", no_argument, NULL, O_LEAVE },
		{ "tcp-established", no_argument, NULL, O_TCP },
		{ "ext-unix-sk", no_argument, NULL, O_UNIX },
		{ "shell-job", no_argument, NULL, O_SHELL },
		{ "file-locks", no_argument, NULL, O_LOCKS },
		{ "pre-dump", no_argument, NULL, O_PRE },
		{ "parent-path", required_argument, NULL, O_PARENT },
		{ "manage-cgroups-mode", required_argument, NULL, O_CGMODE },
		{ "lazy-pages", no_argument, NULL, O_LAZY },
		{ "pid-file", required_argument, NULL, O_PID },
		{ "console-socket", required_argument, NULL, O_CONSOLE },
		{ "detach", no_argument, NULL, O_DETACH },
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "no-subreaper", no_argument, NULL, O_NO_SUBREAPER },
		{ NULL, 0, NULL, 0 },
	};
	/* the flags of the other command are refused, as runc's parser does */
	static const int dump_only[] = { O_LEAVE, O_PRE, O_PARENT, O_LAZY };
	static const int restore_only[] = { O_PID, O_CONSOLE, O_DETACH, O_BUNDLE, O_NO_SUBREAPER };
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:b:d", longs, NULL)) != -1) {
		const int *other = restore ? dump_only : restore_only;
		size_t n = restore ? 4 : 5;

		opt = opt == 'b' ? O_BUNDLE : opt == 'd' ? O_DETACH : opt;
		for (size_t i = 0; i < n; i++)
			if (opt == other[i])
				opt = '?';
		if ((r = handle_opt(c, opt, opt == ':' || opt == '?' ? argv[optind - 1] : optarg,
				    err)) < 0)
			return cell_error_prefix(err, "%s", argv[0]);
	}
	if (optind != argc - 1)
		return cell_error_set(err, 0,
				      "%s: expected exactly one container id (see cell %s "
				      "--help)",
				      argv[0], argv[0]);
	c->id = argv[optind];
	/* with --detach cell is no subreaper anyway; without, it is how cell gets
	 * the restored process (criu's child) as its own to wait for */
	if (c->no_subreaper && !c->detach)
		return cell_error_set(err, 0,
				      "%s --no-subreaper: without --detach cell waits for the "
				      "restored process as its subreaper; give --detach too",
				      argv[0]);
	/* runc's defaults: ./checkpoint, the work files beside the images */
	if (!c->image[0] && (r = cell_cli_absolute_path("--image-path", "checkpoint", c->image,
							sizeof(c->image), err)) < 0)
		return r;
	if (!c->work[0])
		snprintf(c->work, sizeof(c->work), "%s", c->image);
	if (restore && !c->bundle[0] &&
	    (r = cell_cli_absolute_path("--bundle", ".", c->bundle, sizeof(c->bundle), err)) < 0)
		return r;
	c->o.image_path = c->image;
	c->o.work_path = c->work;
	if (geteuid() != 0)
		return cell_error_set(err, EPERM,
				      "%s: criu needs root (CAP_SYS_ADMIN, "
				      "CAP_CHECKPOINT_RESTORE)",
				      argv[0]);
	return cell_state_check_id(c->id, err);
}

static bool wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return true;
		}
	return false;
}

static int make_dir(const char *path, struct cell_error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return cell_error_set(err, errno, "mkdir %s", path);
	return 0;
}

static int join_path(char *out, size_t size, const char *dir, const char *name,
		     struct cell_error *err)
{
	if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
		return cell_error_set(err, ENAMETOOLONG, "%s/%s", dir, name);
	return 0;
}

/*
 * A network namespace the container joined by path is not the container's
 * to dump: criu keeps it as external "net[INODE]:extNetNs", and the restore
 * hands it back with --inherit-fd (runc does the same).
 */
static int external_netns(const struct cell_spec *spec, char ***ext, struct cell_error *err)
{
	const char *path = spec->linux.namespaces[CELL_NS_NET].path;
	char buf[64];
	struct stat st;

	if (!spec->linux.namespaces[CELL_NS_NET].present || !path)
		return 0;
	if (stat(path, &st) < 0)
		return cell_error_set(err, errno, "linux.namespaces[network].path %s", path);
	snprintf(buf, sizeof(buf), "net[%llu]:extNetNs", (unsigned long long)st.st_ino);
	return cell_strv_append(ext, buf) < 0 ? cell_error_set(err, ENOMEM, "--external") : 0;
}

static int save_descriptors(const struct cpr_cli *c, pid_t pid, struct cell_error *err)
{
	cleanup_free char *json = NULL;
	char path[PATH_MAX];
	int r;

	if ((r = cell_criu_stdio(pid, &json, err)) < 0 ||
	    (r = join_path(path, sizeof(path), c->image, "descriptors.json", err)) < 0)
		return r;
	return cell_write_file_atomic(path, json, strlen(json), 0600, err);
}

static int dump(const struct cell_global *g, struct cpr_cli *c, const struct cell_state *st,
		struct cell_error *err)
{
	struct cell_spec spec = { 0 };
	cleanup_strv char **ext = NULL, **argv = NULL;
	char log[PATH_MAX];
	int r;

	if ((r = cell_cli_load_config(g->root, c->id, &spec, err)) < 0)
		return r;
	r = cell_criu_externals(&spec, st->bundle, false, &ext, err);
	if (r == 0)
		r = external_netns(&spec, &ext, err);
	cell_spec_free(&spec);
	if (r < 0 || (r = make_dir(c->image, err)) < 0 || (r = make_dir(c->work, err)) < 0 ||
	    (r = save_descriptors(c, st->pid, err)) < 0)
		return r;
	c->o.external = ext;
	if ((r = cell_criu_argv(&c->o, st->pid, &argv, err)) < 0 ||
	    (r = join_path(log, sizeof(log), c->work, c->o.pre_dump ? "pre-dump.log" : "dump.log",
			   err)) < 0)
		return r;
	cell_cli_debug(g, "checkpoint %s: criu %s -t %d into %s", c->id, argv[1], (int)st->pid,
		       c->image);
	return cell_criu_run(argv, NULL, log, err);
}

static const char checkpoint_usage[] =
	"Usage: cell checkpoint [OPTIONS] CONTAINER-ID\n"
	"\n"
	"Save a running container's processes to image files with criu(8); the container\n"
	"is then deleted, unless --leave-running or --pre-dump.\n"
	"\n"
	"  --image-path DIR          where the images go (default ./checkpoint)\n"
	"  --work-path DIR           criu's log and work files (default: the image path)\n"
	"  --leave-running           let the container run on after the dump\n"
	"  --tcp-established         save established TCP connections\n"
	"  --ext-unix-sk             allow external unix sockets\n"
	"  --shell-job               allow a process of a shell's job (its tty is outside)\n"
	"  --file-locks              save file locks\n"
	"  --pre-dump                dump memory only, the container runs on\n"
	"  --parent-path DIR         a pre-dump's images, relative to --image-path\n"
	"  --manage-cgroups-mode M   none, props, soft (default), full, strict, ignore\n"
	"  -h, --help                show this help\n";

int cell_cmd_checkpoint(const struct cell_global *g, int argc, char **argv)
{
	struct cpr_cli c = { 0 };
	struct cell_error err = { 0 };
	struct cell_state st = { 0 };
	int lock = -1, r;

	if (wants_help(argc, argv, checkpoint_usage))
		return 0;
	if ((r = parse(argc, argv, false, &c, &err)) < 0 ||
	    (lock = cell_state_lock(g->root, c.id, &err)) < 0 ||
	    (r = cell_state_load(g->root, c.id, &st, &err)) < 0)
		goto out;
	enum cell_status s = cell_state_status(g->root, &st, cell_cli_frozen(&st));
	if (s != CELL_STATUS_RUNNING) {
		r = cell_error_set(&err, 0, "checkpoint: container %s is %s, not running", c.id,
				   cell_status_name(s));
		goto out;
	}
	if ((r = dump(g, &c, &st, &err)) < 0) {
		cell_error_prefix(&err, "checkpoint %s", c.id);
		goto out;
	}
	lock = safe_close(lock);
	/* criu killed the processes: what is left is the cgroup and the state */
	if (!c.o.leave_running && !c.o.pre_dump)
		r = cell_cli_delete(g, c.id, true, &err);
out:
	safe_close(lock);
	cell_state_free(&st);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}

/* ---- restore ---- */

/* What a restore made, undone in reverse when it fails. */
struct restoring {
	struct cell_spec spec;
	struct cell_cgroup cg;
	bool has_cg, state_made, root_mounted;
	char root[PATH_MAX]; /* STATE/criu-root: the rootfs bound where criu --root wants it */
	char cg_path[PATH_MAX];
	char *cg_text;
	int netns_fd;
};

static int make_cgroup(const struct cell_global *g, const char *id, struct restoring *x,
		       struct cell_error *err)
{
	struct cell_resources res = x->spec.linux.resources;
	cleanup_free struct cell_device_rule *rules = NULL;
	struct cell_cgroup_params p = cell_cgroup_host_params(x->spec.linux.cgroups_path, false);
	int r;

	if (g->cgroups_disabled)
		return 0;
	if (!p.cgroups_path) {
		/* where create puts it: beside the host's own (container.c) */
		snprintf(x->cg_path, sizeof(x->cg_path), "/cell-%s", id);
		p.cgroups_path = x->cg_path;
	}
	p.all_controllers = true;
	if ((r = cell_container_device_rules(&x->spec, &res, &rules, err)) < 0 ||
	    (r = cell_cgroup_create(&x->cg, &p, &res, err)) < 0)
		return r;
	x->has_cg = true;
	if (p.cgroups_path != x->cg_path && snprintf(x->cg_path, sizeof(x->cg_path), "%s",
						     p.cgroups_path) >= (int)sizeof(x->cg_path))
		return cell_error_set(err, ENAMETOOLONG, "linux.cgroupsPath %s", p.cgroups_path);
	return cell_cgroup_save(&x->cg, &x->cg_text, err);
}

/*
 * criu --root must be a mount point (criu/mount.c checks the root's mnt_id);
 * a bind of the rootfs onto a directory of the state makes one without
 * touching the bundle.
 */
static int bind_root(const struct cell_global *g, const char *id, struct restoring *x,
		     struct cell_error *err)
{
	int r;

	if ((r = cell_state_path(g->root, id, "criu-root", x->root, sizeof(x->root), err)) < 0 ||
	    (r = make_dir(x->root, err)) < 0)
		return r;
	if (mount(x->spec.root.path, x->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cell_error_set(err, errno, "bind root.path %s", x->spec.root.path);
	x->root_mounted = true;
	return 0;
}

static void unbind_root(struct restoring *x)
{
	if (x->root_mounted)
		umount2(x->root, MNT_DETACH);
	x->root_mounted = false;
	if (x->root[0])
		rmdir(x->root);
}

/* --inherit-fd for stdio pipes and a joined network namespace. */
static int inherited(const struct cpr_cli *c, struct restoring *x, char ***fds, int *keep,
		     struct cell_error *err)
{
	const char *ns = x->spec.linux.namespaces[CELL_NS_NET].path;
	cleanup_free char *json = NULL;
	char path[PATH_MAX], buf[64];
	size_t len;
	int r;

	if ((r = join_path(path, sizeof(path), c->image, "descriptors.json", err)) < 0)
		return r;
	if (cell_read_file(path, &json, &len, err) == 0 &&
	    (r = cell_criu_inherit_stdio(json, fds, err)) < 0)
		return r;
	cell_error_reset(err);
	if (!x->spec.linux.namespaces[CELL_NS_NET].present || !ns)
		return 0;
	if ((x->netns_fd = open(ns, O_RDONLY | O_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "linux.namespaces[network].path %s", ns);
	keep[0] = x->netns_fd;
	snprintf(buf, sizeof(buf), "fd[%d]:extNetNs", x->netns_fd);
	return cell_strv_append(fds, buf) < 0 ? cell_error_set(err, ENOMEM, "--inherit-fd") : 0;
}

static int run_restore(const struct cell_global *g, struct cpr_cli *c, struct restoring *x,
		       pid_t *pid, struct cell_error *err)
{
	cleanup_strv char **ext = NULL, **fds = NULL, **argv = NULL;
	cleanup_free char *text = NULL;
	char log[PATH_MAX], pidpath[PATH_MAX];
	int keep[2] = { -1, -1 }, r;
	size_t len;

	if ((r = cell_criu_externals(&x->spec, c->bundle, true, &ext, err)) < 0 ||
	    (r = inherited(c, x, &fds, keep, err)) < 0 || (r = make_dir(c->work, err)) < 0)
		return r;
	c->o.external = ext;
	c->o.inherit_fd = fds;
	c->o.root = x->root;
	c->o.cgroup_root = x->has_cg ? x->cg_path : NULL;
	c->o.pid_file = "restore.pid";
	if ((r = join_path(log, sizeof(log), c->work, "restore.log", err)) < 0 ||
	    (r = join_path(pidpath, sizeof(pidpath), c->work, "restore.pid", err)) < 0 ||
	    (r = cell_criu_argv(&c->o, 0, &argv, err)) < 0)
		return r;
	unlink(pidpath);
	if ((r = cell_criu_run(argv, keep, log, err)) < 0 ||
	    (r = cell_read_file(pidpath, &text, &len, err)) < 0)
		return r;
	*pid = (pid_t)strtol(text, NULL, 10);
	return *pid > 0 ? 0 : cell_error_set(err, EINVAL, "%s: not a pid", pidpath);
}

static int save_restored(const struct cell_global *g, const struct cpr_cli *c,
			 const struct restoring *x, pid_t pid, struct cell_error *err)
{
	struct cell_state st = { .pid = pid, .owner = 0, .rootless = false };
	char now[64], path[PATH_MAX];
	cleanup_free char *text = cell_spec_to_json(&x->spec, err);
	int r;

	if (!text)
		return -ENOMEM;
	cell_state_now(now, sizeof(now));
	st.id = (char *)c->id;
	st.bundle = (char *)c->bundle;
	st.rootfs = x->spec.root.path;
	st.created = now;
	st.cgroups_path = x->has_cg ? (char *)x->cg_path : NULL;
	st.cgroup = x->cg_text;
	if (cell_proc_start_time(pid, &st.start_time, NULL) < 0)
		return cell_error_set(err, ESRCH, "restored process %d is gone", (int)pid);
	if ((r = cell_state_path(g->root, c->id, "config.json", path, sizeof(path), err)) < 0 ||
	    (r = cell_write_file_atomic(path, text, strlen(text), 0600, err)) < 0 ||
	    (r = cell_state_save(g->root, &st, err)) < 0)
		return r;
	return c->have_pid_file ? cell_cli_write_pid_file(c->pid_file, pid, err) : 0;
}

static void undo(const struct cell_global *g, const char *id, struct restoring *x, pid_t pid)
{
	struct cell_error ignored = { 0 };

	if (pid > 0)
		kill(pid, SIGKILL);
	if (x->has_cg) {
		cell_cgroup_kill(&x->cg, SIGKILL, &ignored);
		cell_cgroup_destroy(&x->cg, &ignored);
		x->has_cg = false;
	}
	unbind_root(x);
	if (x->state_made)
		cell_state_remove(g->root, id, &ignored);
}

static int restore(const struct cell_global *g, struct cpr_cli *c, struct restoring *x, pid_t *pid,
		   struct cell_error *err)
{
	int lock, r;

	if ((r = cell_spec_load(&x->spec, c->bundle, err)) < 0 ||
	    (r = cell_spec_validate(&x->spec, err)) < 0)
		return r;
	/* runc restores a terminal with criu RPC's orphan_pts_master; criu's
	 * command line has no such option, so the pty could not be handed back */
	if (x->spec.process.terminal || c->console_socket)
		return cell_error_set(err, ENOTSUP,
				      "process.terminal: a container with a "
				      "terminal cannot be restored through criu's command line");
	if ((lock = cell_state_create(g->root, c->id, err)) < 0)
		return lock;
	close(lock);
	x->state_made = true;
	if ((r = make_cgroup(g, c->id, x, err)) < 0 || (r = bind_root(g, c->id, x, err)) < 0)
		return r;
	/* the restored tree is criu's child, then ours once criu exits (runc does this too) */
	if (!c->detach && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return cell_error_set(err, errno, "prctl PR_SET_CHILD_SUBREAPER");
	r = run_restore(g, c, x, pid, err);
	unbind_root(x);
	return r < 0 ? r : save_restored(g, c, x, *pid, err);
}

/* Like `cell run` without --detach: the container's status, then it is deleted. */
static int wait_restored(const struct cell_global *g, const char *id, pid_t pid)
{
	struct cell_error err = { 0 };
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			cell_error_set(&err, errno, "restore %s: waitpid %d", id, (int)pid);
			return cell_cli_fail(g, &err);
		}
	if (cell_cli_delete(g, id, true, &err) < 0)
		cell_cli_warn(g, err.msg);
	return cell_exit_status(status);
}

static const char restore_usage[] =
	"Usage: cell restore [OPTIONS] CONTAINER-ID\n"
	"\n"
	"Restore a container from `cell checkpoint` images with criu(8), as CONTAINER-ID,\n"
	"from the bundle's config.json; without --detach, wait for it like `cell run`.\n"
	"\n"
	"  -b, --bundle DIR          the bundle (default: the current directory)\n"
	"  --image-path DIR          the images (default ./checkpoint)\n"
	"  --work-path DIR           criu's log and work files (default: the image path)\n"
	"  -d, --detach              return once the container runs\n"
	"  --pid-file FILE           write the restored process's host PID there\n"
	"  --tcp-established         restore established TCP connections\n"
	"  --ext-unix-sk             allow external unix sockets\n"
	"  --shell-job               allow a process of a shell's job\n"
	"  --file-locks              restore file locks\n"
	"  --manage-cgroups-mode M   none, props, soft (default), full, strict, ignore\n"
	"  --console-socket PATH     refused: a terminal needs criu's RPC (cell-oci(1))\n"
	"  --no-subreaper            with --detach (where cell is no subreaper anyway)\n"
	"  -h, --help                show this help\n";

int cell_cmd_restore(const struct cell_global *g, int argc, char **argv)
{
	struct cpr_cli c = { 0 };
	struct restoring x = { .netns_fd = -1 };
	struct cell_error err = { 0 };
	pid_t pid = 0;
	int r;

	if (wants_help(argc, argv, restore_usage))
		return 0;
	cell_cgroup_init(&x.cg);
	if ((r = parse(argc, argv, true, &c, &err)) < 0)
		return cell_cli_fail(g, &err);
	fflush(NULL);
	r = restore(g, &c, &x, &pid, &err);
	safe_close(x.netns_fd);
	if (r < 0) {
		undo(g, c.id, &x, pid);
		cell_spec_free(&x.spec);
		free(x.cg_text);
		cell_error_prefix(&err, "restore %s", c.id);
		return cell_cli_fail(g, &err);
	}
	cell_cli_debug(g, "restored %s: pid %d, cgroup %s", c.id, (int)pid,
		       x.has_cg ? x.cg_path : "none");
	if (x.has_cg)
		cell_cgroup_forget(&x.cg);
	cell_spec_free(&x.spec);
	free(x.cg_text);
	return c.detach ? 0 : wait_restored(g, c.id, pid);
}
