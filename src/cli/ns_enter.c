/*
 * cell ns enter, pin, unpin — join the namespaces of a process (nsenter's
 * job, through the library that `cell exec` shares), and keep namespaces
 * alive on files (the way `ip netns add` does).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "ns_cli.h"
#include "security.h"
#include "utils.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static const char enter_usage[] =
	"Usage: cell ns enter [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND (default /bin/sh) inside namespaces of a running process or container,\n"
	"or of namespace files (pins). With --target alone, all of the target's namespaces.\n"
	"COMMAND gets the target's root, working directory, user and capabilities (never\n"
	"more than the target has); after joining a pid namespace cell forks, so COMMAND\n"
	"really is inside it. Only stdio reaches COMMAND, and it gets a new session\n"
	"keyring, as with cell exec.\n"
	"\n"
	"Options:\n"
	"  -t, --target PID|CONTAINER  the process whose namespaces to join\n"
	"  -a, --all                   all of its namespaces (the default with --target)\n"
	"  -U, --userns[=PATH]         the user namespace (of the target, or the file PATH)\n"
	"  -p, --pid[=PATH]            the pid namespace\n"
	"  -m, --mount[=PATH]          the mount namespace (and the target's root and cwd)\n"
	"  -n, --net[=PATH]            the network namespace\n"
	"  -u, --uts[=PATH]            the uts namespace\n"
	"  -i, --ipc[=PATH]            the ipc namespace\n"
	"  -C, --cgroup[=PATH]         the cgroup namespace\n"
	"  -T, --time[=PATH]           the time namespace\n"
	"      --user UID[:GID]        run COMMAND as this user (a number, or a name in the\n"
	"                              target's /etc/passwd) instead of the target's\n"
	"  -w, --cwd DIR               working directory inside instead of the target's\n"
	"      --preserve-fds N        pass the caller's fds 3..3+N-1 on as well\n"
	"      --no-new-keyring        keep the caller's session keyring\n"
	"      --root DIR              container state directory\n"
	"  -h, --help                  show this help\n"
	"\n"
	"Exit status: COMMAND's own; 125 if cell failed; 126 if COMMAND could not be\n"
	"executed; 127 if it was not found.\n";

static const char pin_usage[] =
	"Usage: cell ns pin [OPTIONS] PID|CONTAINER TYPE... PATH\n"
	"\n"
	"Keep namespaces alive after their last process exits: bind-mount\n"
	"/proc/PID/ns/TYPE onto PATH (an empty file is made when PATH does not exist).\n"
	"With several types PATH is a directory that gets one file per type (net, uts, ...).\n"
	"Join a pin with cell ns enter --net=PATH or cell run --ns net=PATH.\n"
	"\n"
	"Options:\n"
	"  --root DIR   container state directory\n"
	"  -h, --help   show this help\n";

static const char unpin_usage[] =
	"Usage: cell ns unpin PATH...\n"
	"\n"
	"Unmount the pin at PATH (or each pin in the directory PATH) and remove the empty\n"
	"file or directory cell ns pin made. The kernel frees the namespace when nothing\n"
	"else holds it.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

enum { OPT_ROOT = 1000, OPT_USER, OPT_PRESERVE_FDS, OPT_NO_NEW_KEYRING };

/* ---- enter: options ----------------------------------------------------- */

struct enter_cli {
	const char *target_arg, *root, *user, *cwd;
	bool all, help, no_new_keyring;
	unsigned preserve_fds;		  /* fds 3 .. 3+N-1 reach COMMAND */
	unsigned types;			  /* joined from the target */
	const char *paths[CELL_NS_COUNT]; /* joined from a file */
	char **cmd;
	pid_t target;
};

static const struct option enter_options[] = {
	{ "target", required_argument, NULL, 't' },
	{ "all", no_argument, NULL, 'a' },
	{ "userns", optional_argument, NULL, 'U' },
	{ "pid", optional_argument, NULL, 'p' },
	{ "mount", optional_argument, NULL, 'm' },
	{ "net", optional_argument, NULL, 'n' },
	{ "uts", optional_argument, NULL, 'u' },
	{ "ipc", optional_argument, NULL, 'i' },
	{ "cgroup", optional_argument, NULL, 'C' },
	{ "time", optional_argument, NULL, 'T' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "cwd", required_argument, NULL, 'w' },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
	{ NULL, 0, NULL, 0 },
};

static int type_of_flag(int opt)
{
	static const char flags[CELL_NS_COUNT] = {
		[CELL_NS_CGROUP] = 'C', [CELL_NS_IPC] = 'i', [CELL_NS_MNT] = 'm',
		[CELL_NS_NET] = 'n',	[CELL_NS_PID] = 'p', [CELL_NS_TIME] = 'T',
		[CELL_NS_USER] = 'U',	[CELL_NS_UTS] = 'u',
	};

	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (flags[t] == opt)
			return t;
	return -1;
}

/* runc exec's bound: more would be a typo, not fds the caller holds. */
static int parse_preserve_fds(const char *arg, unsigned *out, struct cell_error *err)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (!arg[0] || *end || errno || n > 65536)
		return cell_error_set(err, 0,
				      "--preserve-fds '%s': expected a number of fds "
				      "(0..65536)",
				      arg);
	*out = (unsigned)n;
	return 0;
}

static int enter_option(struct enter_cli *cli, int opt, char **argv, struct cell_error *err)
{
	int type = type_of_flag(opt);

	if (type >= 0) {
		if (optarg)
			cli->paths[type] = optarg;
		else
			cli->types |= CELL_NS_MASK(type);
		return 0;
	}
	switch (opt) {
	case 't':
		cli->target_arg = optarg;
		return 0;
	case 'a':
		cli->all = true;
		return 0;
	case OPT_USER:
		cli->user = optarg;
		return 0;
	case 'w':
		cli->cwd = optarg;
		return 0;
	case OPT_ROOT:
		cli->root = optarg;
		return 0;
	case OPT_PRESERVE_FDS:
		return parse_preserve_fds(optarg, &cli->preserve_fds, err);
	case OPT_NO_NEW_KEYRING:
		cli->no_new_keyring = true;
		return 0;
	case 'h':
		cli->help = true;
		return 0;
	}
	return cell_ns_option_error(opt, argv, "enter", err);
}

static int enter_parse(int argc, char **argv, struct enter_cli *cli, struct cell_error *err)
{
	static char *default_cmd[] = { "/bin/sh", NULL };
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:t:aU::p::m::n::u::i::C::T::w:h", enter_options,
				  NULL)) != -1)
		if ((r = enter_option(cli, opt, argv, err)) < 0)
			return r;
	if (cli->help)
		return 0;
	cli->cmd = optind < argc ? argv + optind : default_cmd;
	if (!cli->target_arg && cli->types)
		return cell_error_set(err, 0, "namespace flags without =PATH need --target");
	if (!cli->target_arg && !cli->all) {
		for (int t = 0; t < CELL_NS_COUNT; t++)
			if (cli->paths[t])
				return 0;
		return cell_error_set(err, 0,
				      "nothing to enter: give --target PID|CONTAINER or "
				      "--net=PATH... (see cell ns enter --help)");
	}
	if (!cli->target_arg)
		return cell_error_set(err, 0, "--all needs --target");
	if (cli->all || !cli->types)
		cli->types = CELL_NS_ALL;
	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (cli->paths[t])
			cli->types &= ~CELL_NS_MASK(t);
	return 0;
}

/* ---- enter: identity ---------------------------------------------------- */

/* --user NAME is looked up in the root COMMAND runs in (after the chroot). */
static int parse_user(const char *spec, struct cell_process *proc, struct cell_error *err)
{
	char name[256], *colon, *end;
	unsigned long id;

	snprintf(name, sizeof(name), "%s", spec);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	id = strtoul(name, &end, 10);
	if (name[0] && !*end && id < UINT32_MAX) {
		proc->uid = proc->gid = (uint32_t)id;
	} else {
		FILE *f = fopen("/etc/passwd", "re");
		struct passwd *pw = NULL;

		while (f && (pw = fgetpwent(f)) && strcmp(pw->pw_name, name))
			;
		if (pw)
			proc->uid = pw->pw_uid, proc->gid = pw->pw_gid;
		if (f)
			fclose(f);
		if (!pw)
			return cell_error_set(err, 0, "--user '%s': no such user in /etc/passwd",
					      name);
	}
	if (!colon)
		return 0;
	id = strtoul(colon, &end, 10);
	if (!colon[0] || *end || id >= UINT32_MAX)
		return cell_error_set(err, 0, "--user '%s': expected UID[:GID]", spec);
	proc->gid = (uint32_t)id;
	return 0;
}

/*
 * The target's user, groups dropped, its capability sets and no_new_privs:
 * COMMAND keeps nothing the target does not have. Only when cell holds
 * capabilities (root, or a joined user namespace): without any there is
 * nothing to shed and no id to change to.
 */
static int take_identity(const struct enter_cli *cli, struct cell_process *proc,
			 bool setgroups_allowed, struct cell_error *err)
{
	int r;

	if (cli->user && (r = parse_user(cli->user, proc, err)) < 0)
		return r;
	if (cli->user && proc->uid != 0) { /* docker: no capabilities for a non-root user */
		struct cell_capabilities *c = &proc->capabilities;

		c->effective = c->permitted = c->inheritable = c->ambient = 0;
	}
	if (!cli->user && cell_caps_permitted() == 0)
		return 0;
	if ((r = cell_security_prepare(proc, err)) < 0 ||
	    (r = cell_security_change_user(proc, setgroups_allowed, err)) < 0 ||
	    (r = cell_security_finish(proc, err)) < 0)
		return r;
	return 0;
}

__attribute__((noreturn)) static void exec_command(const struct cell_global *g, char **cmd)
{
	struct cell_error err = { 0 };

	fflush(NULL);
	execvp(cmd[0], cmd);
	cell_error_set_exec(&err, errno, cmd[0]);
	cell_cli_fail(g, &err);
	_exit(cell_error_exit_status(&err));
}

/* A pid namespace is entered by the children of who joined it (setns(2)). */
static int fork_and_wait(void)
{
	int status;
	pid_t child = fork();

	if (child <= 0)
		return child;
	/* The terminal's signals reach COMMAND directly; cell just waits. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(CELL_EXIT_FAILURE);
	fflush(NULL);
	_exit(cell_exit_status(status));
}

/* ---- enter: the steps --------------------------------------------------- */

static int join_all(const struct enter_cli *cli, struct cell_error *err)
{
	int r;

	/* in cell_ns_join_order: user first, as it brings the capabilities the
	 * others need; the target's namespaces right after it, so a --user=PATH
	 * given with --target is joined before them */
	for (size_t i = 0; i < CELL_NS_COUNT; i++) {
		enum cell_ns_type t = cell_ns_join_order[i];

		if (cli->paths[t] && (r = cell_ns_join_path(t, cli->paths[t], err)) < 0)
			return r;
		if (t == CELL_NS_USER && cli->target &&
		    (r = cell_ns_join(cli->target, cli->types, err)) < 0)
			return r;
	}
	return 0;
}

/* Everything that can fail on bad input, before anything changes. */
static int enter_prepare(struct enter_cli *cli, struct cell_ns_fs *fs, struct cell_process *proc,
			 bool *setgroups_allowed, struct cell_error *err)
{
	char buf[4096];
	int r;

	for (int t = 0; t < CELL_NS_COUNT; t++) {
		if (!cli->paths[t])
			continue;
		if ((r = cell_ns_open_path(cli->paths[t], t, NULL, err)) < 0)
			return r;
		close(r);
	}
	if (!cli->target_arg)
		return 0;
	if ((r = cell_ns_resolve_target(cli->target_arg,
					cell_ns_state_root(cli->root, geteuid(), buf, sizeof(buf)),
					&cli->target, err)) < 0 ||
	    (r = cell_ns_target_process(cli->target, proc, setgroups_allowed, err)) < 0)
		return r;
	/* Its root and cwd come with its mount namespace (not with the caller's own). */
	if ((cli->types & CELL_NS_MASK(CELL_NS_MNT)) && !cell_ns_same(cli->target, CELL_NS_MNT) &&
	    (r = cell_ns_fs_open(cli->target, fs, err)) < 0)
		return r;
	return 0;
}

static int enter_run(const struct cell_global *g, struct enter_cli *cli, struct cell_error *err)
{
	struct cell_ns_fs fs = { -1, -1 };
	struct cell_process proc = { 0 };
	bool setgroups_allowed = true, pid_joined;
	int r;

	/* The fds cell was started with (a host directory, a socket) must not
	 * cross into the container; the join makes cell non-dumpable. */
	if ((r = cell_fds_cloexec_from(3 + cli->preserve_fds, err)) < 0 ||
	    (r = enter_prepare(cli, &fs, &proc, &setgroups_allowed, err)) < 0 ||
	    (!cli->no_new_keyring && (r = cell_session_keyring_new(err)) < 0) ||
	    (r = join_all(cli, err)) < 0)
		goto out;
	if (fs.root_fd >= 0)
		r = cell_ns_fs_enter(&fs, cli->cwd, err);
	else if (cli->cwd && chdir(cli->cwd) < 0)
		r = cell_error_set(err, errno, "--cwd %s", cli->cwd);
	if (r < 0)
		goto out;
	pid_joined = cli->paths[CELL_NS_PID] || (cli->types & CELL_NS_MASK(CELL_NS_PID));
	if (pid_joined && fork_and_wait() < 0) {
		r = cell_error_set(err, errno, "fork into the pid namespace");
		goto out;
	}
	if (!cli->target && cli->user) { /* namespace files alone: --user is all there is */
		char sg[16] = "allow";

		(void)cell_read_at(AT_FDCWD, "/proc/self/setgroups", sg, sizeof(sg), NULL);
		setgroups_allowed = !strncmp(sg, "allow", 5);
	}
	if ((cli->target || cli->user) &&
	    (r = take_identity(cli, &proc, setgroups_allowed, err)) < 0)
		goto out;
	cell_ns_fs_close(&fs);
	exec_command(g, cli->cmd);
out:
	cell_ns_fs_close(&fs);
	return r;
}

int cell_ns_cmd_enter(const struct cell_global *g, int argc, char **argv)
{
	struct enter_cli cli = { .root = cell_ns_global_root(g) };
	struct cell_global lg = *g;
	struct cell_error err = { 0 };
	int r;

	if (enter_parse(argc, argv, &cli, &err) < 0)
		return cell_ns_fail(g, &err);
	if (cli.help) {
		fputs(enter_usage, stdout);
		return 0;
	}
	/* --log is the host's file: opened before the target's mounts are joined */
	if (g->log && (lg.log_fd = cell_cli_log_open(g)) < 0)
		lg.log = NULL;
	fflush(NULL);
	enter_run(&lg, &cli, &err);
	r = cell_ns_fail(&lg, &err);
	if (lg.log_fd >= 0)
		close(lg.log_fd);
	return r;
}

/* ---- pin / unpin -------------------------------------------------------- */

static bool is_pin(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

static int pin_all(pid_t pid, unsigned types, const char *path, struct cell_error *err)
{
	char file[PATH_MAX];
	unsigned done = 0;
	bool made_dir = false;
	int r = 0;

	if (__builtin_popcount(types) == 1)
		return cell_ns_pin(pid, __builtin_ctz(types), path, err);
	if (mkdir(path, 0755) == 0)
		made_dir = true;
	else if (errno != EEXIST)
		return cell_error_set(err, errno, "pin directory %s", path);
	for (int t = 0; t < CELL_NS_COUNT && r == 0; t++) {
		if (!(types & CELL_NS_MASK(t)))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, cell_ns_info(t)->proc_name);
		if ((r = cell_ns_pin(pid, t, file, err)) == 0)
			done |= CELL_NS_MASK(t);
	}
	if (r == 0)
		return 0;
	/* All or nothing: take back what was pinned. */
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		snprintf(file, sizeof(file), "%s/%s", path, cell_ns_info(t)->proc_name);
		if (done & CELL_NS_MASK(t))
			cell_ns_unpin(file, NULL);
	}
	if (made_dir)
		rmdir(path);
	return r;
}

int cell_ns_cmd_pin(const struct cell_global *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cell_error err = { 0 };
	const char *root = cell_ns_global_root(g);
	unsigned types = 0, mask;
	char buf[4096];
	pid_t pid;
	int opt;

	optind = 0; /* 0: glibc starts over, permuting options after arguments too */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(pin_usage, stdout);
			return 0;
		}
		if (opt != OPT_ROOT) {
			cell_ns_option_error(opt, argv, "pin", &err);
			return cell_ns_fail(g, &err);
		}
		root = optarg;
	}
	if (argc - optind < 3) {
		cell_error_set(&err, 0,
			       "expected PID|CONTAINER TYPE... PATH (see cell ns pin "
			       "--help)");
		return cell_ns_fail(g, &err);
	}
	for (int i = optind + 1; i < argc - 1; i++) {
		if (cell_ns_parse_types(argv[i], &mask, &err) < 0)
			return cell_ns_fail(g, &err);
		types |= mask;
	}
	if (cell_ns_resolve_target(argv[optind],
				   cell_ns_state_root(root, geteuid(), buf, sizeof(buf)), &pid,
				   &err) < 0 ||
	    pin_all(pid, types, argv[argc - 1], &err) < 0)
		return cell_ns_fail(g, &err);
	return 0;
}

/* A pin, or a directory of pins (what pin made for several types). */
static int check_unpin(const char *path, struct cell_error *err)
{
	char file[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) < 0)
		return cell_error_set(err, errno, "pin %s", path);
	if (is_pin(path) || !S_ISDIR(st.st_mode))
		return is_pin(path) ? 0
				    : cell_error_set(err, EINVAL,
						     "%s is not a pinned "
						     "namespace (no nsfs mount on it)",
						     path);
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		snprintf(file, sizeof(file), "%s/%s", path, cell_ns_info(t)->proc_name);
		if (is_pin(file))
			return 0;
	}
	return cell_error_set(err, EINVAL, "%s holds no pinned namespace", path);
}

static int unpin_one(const char *path, struct cell_error *err)
{
	char file[PATH_MAX];
	int r;

	if (is_pin(path))
		return cell_ns_unpin(path, err);
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		snprintf(file, sizeof(file), "%s/%s", path, cell_ns_info(t)->proc_name);
		if (is_pin(file) && (r = cell_ns_unpin(file, err)) < 0)
			return r;
	}
	rmdir(path); /* only if empty: files of the caller's stay */
	return 0;
}

int cell_ns_cmd_unpin(const struct cell_global *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cell_error err = { 0 };
	int opt, status = 0;

	optind = 0; /* 0: glibc starts over, permuting options after arguments too */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(unpin_usage, stdout);
			return 0;
		}
		cell_ns_option_error(opt, argv, "unpin", &err);
		return cell_ns_fail(g, &err);
	}
	if (optind >= argc) {
		cell_error_set(&err, 0, "expected PATH... (see cell ns unpin --help)");
		return cell_ns_fail(g, &err);
	}
	/* like rm(1): every pin that can go goes; each one that cannot is named */
	for (int i = optind; i < argc; i++) {
		struct cell_error one = { 0 };

		if (check_unpin(argv[i], &one) < 0 || unpin_one(argv[i], &one) < 0)
			status = cell_ns_fail(g, &one);
	}
	return status;
}
