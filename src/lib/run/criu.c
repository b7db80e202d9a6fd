/*
 * cell — checkpoint and restore through criu(8)'s command line: the
 * arguments, the external mounts, the stdio pipes, and criu's reason when it
 * fails. Why the command line and not RPC: criu.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "utils.h"

bool cell_criu_mode_valid(const char *mode)
{
	static const char *const modes[] = { "none", "props", "soft", "full", "strict", "ignore" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i]))
			return true;
	return false;
}

static int add(char ***v, struct cell_error *err, const char *a, const char *b)
{
	if (cell_strv_append(v, a) < 0 || (b && cell_strv_append(v, b) < 0))
		return cell_error_set(err, ENOMEM, "criu arguments");
	return 0;
}

static int add_each(char ***v, struct cell_error *err, const char *flag, char *const *vals)
{
	int r;

	for (size_t i = 0; vals && vals[i]; i++)
		if ((r = add(v, err, flag, vals[i])) < 0)
			return r;
	return 0;
}

/* The flags runc's checkpoint and restore share (runc-checkpoint(8), runc-restore(8)). */
static int common_flags(char ***v, const struct cell_criu_opts *o, struct cell_error *err)
{
	const struct {
		bool on;
		const char *flag;
	} bools[] = {
		{ o->tcp_established, "--tcp-established" },
		{ o->ext_unix_sk, "--ext-unix-sk" },
		{ o->shell_job, "--shell-job" },
		{ o->file_locks, "--file-locks" },
	};
	int r;

	/* -v4: the log runc keeps, so a failure can be read after the fact */
	char mode[64];

	/* its argument is optional to criu's getopt: only "--manage-cgroups=MODE" sets it */
	snprintf(mode, sizeof(mode), "--manage-cgroups=%s",
		 o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft");
	if ((r = add(v, err, "-D", o->image_path)) < 0 ||
	    (r = add(v, err, "-W", o->work_path)) < 0 || (r = add(v, err, "-v4", NULL)) < 0 ||
	    (r = add(v, err, mode, NULL)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (bools[i].on && (r = add(v, err, bools[i].flag, NULL)) < 0)
			return r;
	return add_each(v, err, "--external", o->external);
}

static int dump_flags(char ***v, const struct cell_criu_opts *o, pid_t pid, struct cell_error *err)
{
	char tree[32];
	int r;

	snprintf(tree, sizeof(tree), "%d", (int)pid);
	if ((r = add(v, err, o->pre_dump ? "pre-dump" : "dump", NULL)) < 0 ||
	    (r = add(v, err, "-t", tree)) < 0 ||
	    (r = add(v, err, "-o", o->pre_dump ? "pre-dump.log" : "dump.log")) < 0 ||
	    (r = common_flags(v, o, err)) < 0)
		return r;
	/* a pre-dump, and a dump after one, need the kernel's soft-dirty bits */
	if ((o->pre_dump || o->parent_path) && (r = add(v, err, "--track-mem", NULL)) < 0)
		return r;
	if (o->parent_path && (r = add(v, err, "--prev-images-dir", o->parent_path)) < 0)
		return r;
	if (o->leave_running && !o->pre_dump && (r = add(v, err, "--leave-running", NULL)) < 0)
		return r;
	return 0;
}

static int restore_flags(char ***v, const struct cell_criu_opts *o, struct cell_error *err)
{
	int r;

	/* --restore-detached: criu exits once the tree runs; the tree becomes the
	 * child of the nearest subreaper, which cell restore is when it waits */
	if ((r = add(v, err, "restore", NULL)) < 0 || (r = add(v, err, "-o", "restore.log")) < 0 ||
	    (r = add(v, err, "--restore-detached", NULL)) < 0 || (r = common_flags(v, o, err)) < 0)
		return r;
	if ((o->pid_file && (r = add(v, err, "--pidfile", o->pid_file)) < 0) ||
	    (o->root && (r = add(v, err, "--root", o->root)) < 0) ||
	    (o->cgroup_root && (r = add(v, err, "--cgroup-root", o->cgroup_root)) < 0))
		return r;
	return add_each(v, err, "--inherit-fd", o->inherit_fd);
}

int cell_criu_argv(const struct cell_criu_opts *o, pid_t pid, char ***argv, struct cell_error *err)
{
	char **v = NULL;
	int r;

	if (!o->image_path || !o->work_path)
		return cell_error_set(err, EINVAL,
				      "criu: an image and a work directory are needed");
	if (o->manage_cgroups_mode && !cell_criu_mode_valid(o->manage_cgroups_mode))
		return cell_error_set(err, EINVAL,
				      "--manage-cgroups-mode %s: expected none, props, "
				      "soft, full, strict or ignore",
				      o->manage_cgroups_mode);
	if ((r = add(&v, err, "criu", NULL)) < 0 ||
	    (r = pid ? dump_flags(&v, o, pid, err) : restore_flags(&v, o, err)) < 0) {
		cell_strv_free(v);
		return r;
	}
	*argv = v;
	return 0;
}

static bool has_option(char *const *opts, const char *name)
{
	for (size_t i = 0; opts && opts[i]; i++)
		if (!strcmp(opts[i], name))
			return true;
	return false;
}

static int add_external(char ***out, const char *dst, const char *key, struct cell_error *err)
{
	char buf[2 * PATH_MAX + 16];

	if (snprintf(buf, sizeof(buf), "mnt[%s]:%s", dst, key) >= (int)sizeof(buf))
		return cell_error_set(err, ENAMETOOLONG, "mount %s", dst);
	return cell_strv_append(out, buf) < 0 ? cell_error_set(err, ENOMEM, "mount %s", dst) : 0;
}

/* A bind mount's host path: relative sources are relative to the bundle (runc). */
static int bind_source(const struct cell_mount *m, const char *bundle, char *out, size_t size,
		       struct cell_error *err)
{
	int n = m->source[0] == '/' || !bundle ? snprintf(out, size, "%s", m->source)
					       : snprintf(out, size, "%s/%s", bundle, m->source);

	return n >= (int)size
		       ? cell_error_set(err, ENAMETOOLONG, "mounts[%s].source", m->destination)
		       : 0;
}

int cell_criu_externals(const struct cell_spec *spec, const char *bundle, bool restore, char ***out,
			struct cell_error *err)
{
	/* devices.c binds these host nodes when mknod is refused (a user namespace) */
	static const char *const devices[] = { "/dev/null",   "/dev/zero",    "/dev/full",
					       "/dev/random", "/dev/urandom", "/dev/tty" };
	char src[PATH_MAX];
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];
		bool bind = (m->type && !strcmp(m->type, "bind")) ||
			    has_option(m->options, "bind") || has_option(m->options, "rbind");

		if (!bind || !m->source || !m->destination)
			continue;
		if (restore && (r = bind_source(m, bundle, src, sizeof(src), err)) < 0)
			return r;
		if ((r = add_external(out, m->destination, restore ? src : m->destination, err)) <
		    0)
			return r;
	}
	if (!spec->linux.namespaces[CELL_NS_USER].present)
		return 0;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if ((r = add_external(out, devices[i], devices[i], err)) < 0)
			return r;
	return 0;
}

void cell_criu_log_reason(const char *log, char *out, size_t size)
{
	const char *p = log;

	out[0] = '\0';
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *e = strstr(p, "Error (");
		const char *eol = strchrnul(p, '\n');
		const char *msg;

		if (!e || e > eol || !(msg = strstr(e, "): ")) || msg > eol)
			continue;
		msg += 3;
		/* criu notes each helper it forked and that failed: "exited, status=1";
		 * the helper's own error comes after */
		if (!strncmp(msg, "exited, status=", 15))
			continue;
		snprintf(out, size, "%.*s", (int)(eol - msg), msg);
		return;
	}
}

/*
 * criu's stdio: /dev/null in, @out_fd out (its messages before the log file
 * is open); ours moved to CELL_CRIU_STDIO_FD + 0..2, where --inherit-fd finds
 * the pipes the restored process gets. Anything else of ours is closed at exec.
 */
static void exec_criu(char *const *argv, const int *keep, int out_fd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) >= 0 && dup2(i, CELL_CRIU_STDIO_FD + i) < 0)
			_exit(127);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	for (size_t i = 0; keep && keep[i] >= 0; i++) {
		int flags = fcntl(keep[i], F_GETFD);

		if (flags < 0 || fcntl(keep[i], F_SETFD, flags & ~FD_CLOEXEC) < 0)
			_exit(127);
	}
	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

/* fork, exec criu, wait: 0 when it succeeded, 1 when it failed (*@status), or -errno. */
static int spawn_wait(char *const *argv, const int *keep, int out_fd, int *status,
		      struct cell_error *err)
{
	pid_t pid = fork();

	if (pid < 0)
		return cell_error_set(err, errno, "criu: fork");
	if (pid == 0)
		exec_criu(argv, keep, out_fd);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return cell_error_set(err, errno, "criu: waitpid %d", (int)pid);
	if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
		return 0;
	if (WIFEXITED(*status) && WEXITSTATUS(*status) == 127)
		return cell_error_set(err, ENOENT,
				      "criu: not found in PATH (Debian: apt-get "
				      "install criu)");
	return 1;
}

int cell_criu_check(struct cell_error *err)
{
	char *const argv[] = { "criu", "check", NULL };
	char tmpl[] = "/tmp/cell-criu-check.XXXXXX", reason[512];
	cleanup_close int fd = mkostemp(tmpl, O_CLOEXEC);
	cleanup_free char *text = NULL;
	size_t len;
	int r, status;

	if (fd < 0)
		return cell_error_set(err, errno, "criu check: %s", tmpl);
	unlink(tmpl);
	if ((r = spawn_wait(argv, NULL, fd, &status, err)) <= 0)
		return r;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (cell_read_file(path, &text, &len, err) < 0)
		text = NULL;
	cell_error_reset(err);
	cell_criu_log_reason(text, reason, sizeof(reason));
	/* no strerror: criu's reason says it all */
	cell_error_set(err, 0, "criu cannot work on this kernel: criu check: %s",
		       reason[0] ? reason : "failed");
	err->errnum = ENOTSUP;
	return -ENOTSUP;
}

int cell_criu_run(char *const *argv, const int *keep, const char *log_path, struct cell_error *err)
{
	cleanup_free char *log = NULL;
	cleanup_close int out = -1;
	char reason[512], out_path[PATH_MAX + 8];
	size_t len;
	int r, status;

	snprintf(out_path, sizeof(out_path), "%s.out", log_path);
	if ((out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return cell_error_set(err, errno, "criu: %s", out_path);
	if ((r = spawn_wait(argv, keep, out, &status, err)) <= 0)
		return r;
	/* a kernel criu cannot work on at all says so in criu check's words */
	if (cell_criu_check(err) == -ENOTSUP) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		cell_error_set(err, 0, "%.700s (criu %s log: %.200s)", why, argv[1], log_path);
		err->errnum = ENOTSUP;
		return -ENOTSUP;
	}
	cell_error_reset(err);
	if (cell_read_file(log_path, &log, &len, err) == 0)
		cell_criu_log_reason(log, reason, sizeof(reason));
	else
		reason[0] = '\0';
	cell_error_reset(err);
	free(log);
	log = NULL;
	/* criu fails before its log is open on bad arguments: its output says why */
	if (!reason[0] && cell_read_file(out_path, &log, &len, err) == 0)
		cell_criu_log_reason(log, reason, sizeof(reason));
	cell_error_reset(err);
	return cell_error_set(err, 0, "criu %s failed: %s (log: %s)", argv[1],
			      reason[0] ? reason : "no error in its log", log_path);
}

int cell_criu_stdio(pid_t pid, char **json, struct cell_error *err)
{
	json_t *a = json_array();
	char link[64], target[PATH_MAX];

	if (!a)
		return cell_error_set(err, ENOMEM, "descriptors.json");
	for (int fd = 0; fd < 3; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
		/* a closed fd is kept as "" so the index stays the fd number */
		if ((n = readlink(link, target, sizeof(target) - 1)) < 0)
			n = 0;
		target[n] = '\0';
		json_array_append_new(a, json_string(target));
	}
	*json = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return *json ? 0 : cell_error_set(err, ENOMEM, "descriptors.json");
}

int cell_criu_inherit_stdio(const char *text, char ***out, struct cell_error *err)
{
	json_error_t je;
	json_t *a = json_loads(text, 0, &je);
	char buf[128];
	struct stat st;
	int r = 0;

	if (!json_is_array(a)) {
		bool parsed = a != NULL; /* je holds the parse error only when there is none */

		json_decref(a);
		return parsed ? cell_error_set(err, EINVAL,
					       "descriptors.json: expected an array of "
					       "3 names")
			      : cell_error_set(err, EINVAL, "descriptors.json: line %d: %s",
					       je.line, je.text);
	}
	for (size_t i = 0; i < 3 && i < json_array_size(a) && r == 0; i++) {
		const char *name = json_string_value(json_array_get(a, i));

		/* only pipes: a file or a tty the restore cannot stand in for */
		if (!name || strncmp(name, "pipe:[", 6) || fstat((int)i, &st) < 0 ||
		    !S_ISFIFO(st.st_mode))
			continue;
		snprintf(buf, sizeof(buf), "fd[%zu]:%s", CELL_CRIU_STDIO_FD + i, name);
		if (cell_strv_append(out, buf) < 0)
			r = cell_error_set(err, ENOMEM, "--inherit-fd");
	}
	json_decref(a);
	return r;
}
