/*
 * cell — checkpoint and restore through CRIU's command line (internal).
 *
 * criu(8) is run as a program, not over its RPC socket (criu swrk): the
 * arguments cell builds are a plain string vector that a unit test compares
 * and a user can paste into a shell to reproduce a failure, criu's log lands
 * in the work directory as with runc, and no protobuf library joins cell's
 * static binary. What the RPC alone offers (orphan_pts_master, notify
 * callbacks) is refused by name where a container would need it.
 */
#ifndef CELL_CRIU_H
#define CELL_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cell/cell.h"

/* Where criu finds cell's fds 0..2 (its own are /dev/null and its output file). */
#define CELL_CRIU_STDIO_FD 100

/* runc's checkpoint and restore flags, in criu's terms. */
struct cell_criu_opts {
	const char *image_path;		 /* -D: absolute */
	const char *work_path;		 /* -W: absolute; logs and the pid file go there */
	const char *parent_path;	 /* --prev-images-dir, relative to image_path */
	const char *manage_cgroups_mode; /* none props soft full strict ignore; NULL: soft */
	bool leave_running, tcp_established, ext_unix_sk, shell_job, file_locks, pre_dump;
	/* restore only */
	const char *root;	 /* --root: where the container's root is mounted */
	const char *cgroup_root; /* --cgroup-root: the cgroup cell made */
	const char *pid_file;	 /* --pidfile, relative to work_path */
	char **external;	 /* "mnt[DST]:KEY", "net[INO]:KEY", ... (NULL-terminated) */
	char **inherit_fd;	 /* restore: "fd[N]:KEY" (NULL-terminated) */
};

/** cell_criu_mode_valid() - one of criu's --manage-cgroups modes. */
bool cell_criu_mode_valid(const char *mode);

/**
 * cell_criu_argv() - the criu command line: `criu dump -t @pid`, `criu
 * pre-dump -t @pid` (@o->pre_dump) or, with @pid 0, `criu restore
 * --restore-detached`. Malloc'd, NULL-terminated.
 */
int cell_criu_argv(const struct cell_criu_opts *o, pid_t pid, char ***argv, struct cell_error *err);

/**
 * cell_criu_externals() - the mounts of @spec that come from outside the
 * container's mount namespace, which criu must be told about or it refuses
 * to dump ("mount ... has no parent" / "external bind mount"): every bind
 * mount (key: its destination) and, in a user namespace, the host device
 * nodes bound onto /dev. At dump (@restore false): "mnt[DST]:DST"; at
 * restore: "mnt[DST]:SOURCE", the host path to bind there again, relative
 * sources resolved in @bundle. Appended to *@out.
 */
int cell_criu_externals(const struct cell_spec *spec, const char *bundle, bool restore, char ***out,
			struct cell_error *err);

/**
 * cell_criu_log_reason() - the first error in criu's log text @log ("Error
 * (file:line): MESSAGE"), without criu's own notes of helpers that exited;
 * @out gets MESSAGE, or "" when @log names none.
 */
void cell_criu_log_reason(const char *log, char *out, size_t size);

/**
 * cell_criu_run() - run @argv; the fds in @keep (-1 ended) and ours 0..2
 * (as CELL_CRIU_STDIO_FD + 0..2) are criu's; its output goes to @log_path.out. Fails when criu does, with the first error of @log_path (criu's
 * -o file) and, when `criu check` fails as well, criu check's reason: then
 * criu cannot work on this kernel at all, and the message says so.
 */
int cell_criu_run(char *const *argv, const int *keep, const char *log_path, struct cell_error *err);

/** cell_criu_check() - `criu check`: 0, or -ENOTSUP with criu's own reason. */
int cell_criu_check(struct cell_error *err);

/**
 * cell_criu_stdio() - the host names of @pid's fds 0..2 ("pipe:[1234]",
 * "/dev/null") as the JSON array runc keeps in descriptors.json, for the
 * restore to give pipes back with --inherit-fd. Malloc'd.
 */
int cell_criu_stdio(pid_t pid, char **json, struct cell_error *err);

/**
 * cell_criu_inherit_stdio() - for each "pipe:[N]" of @json (from
 * cell_criu_stdio()) whose fd is open here: "fd[I]:pipe:[N]", appended to
 * *@out, I counted from CELL_CRIU_STDIO_FD: the restored process writes to
 * this restore's pipes.
 */
int cell_criu_inherit_stdio(const char *json, char ***out, struct cell_error *err);

#endif
