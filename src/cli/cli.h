/* cell — command-line front end: one function per command. */
#ifndef CELL_CLI_H
#define CELL_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell/cell.h"

/* runc's global flags, given before the command. */
struct cell_global {
	char root[PATH_MAX]; /* --root, or /run/cell, or $XDG_RUNTIME_DIR/cell */
	const char *log;     /* --log FILE: errors are appended there too */
	int log_fd;	     /* --log opened before a command leaves the host's mounts, or -1 */
	bool log_json;	     /* --log-format json */
	bool debug;
	bool cgroups_disabled; /* --cgroup-manager disabled */
};

int cell_cmd_run(const struct cell_global *g, int argc, char **argv);
int cell_cmd_create(const struct cell_global *g, int argc, char **argv);
int cell_cmd_start(const struct cell_global *g, int argc, char **argv);
int cell_cmd_state(const struct cell_global *g, int argc, char **argv);
int cell_cmd_kill(const struct cell_global *g, int argc, char **argv);
int cell_cmd_delete(const struct cell_global *g, int argc, char **argv);
int cell_cmd_list(const struct cell_global *g, int argc, char **argv);
int cell_cmd_spec(const struct cell_global *g, int argc, char **argv);
int cell_cmd_features(const struct cell_global *g, int argc, char **argv);
int cell_cmd_exec(const struct cell_global *g, int argc, char **argv);
int cell_cmd_pause(const struct cell_global *g, int argc, char **argv);
int cell_cmd_resume(const struct cell_global *g, int argc, char **argv);
int cell_cmd_ps(const struct cell_global *g, int argc, char **argv);
int cell_cmd_update(const struct cell_global *g, int argc, char **argv);
int cell_cmd_events(const struct cell_global *g, int argc, char **argv);
int cell_cmd_checkpoint(const struct cell_global *g, int argc, char **argv);
int cell_cmd_restore(const struct cell_global *g, int argc, char **argv);
int cell_cmd_wait(const struct cell_global *g, int argc, char **argv);
/** cell_cli_wants_help() - -h or --help among the arguments: the usage is printed. */
bool cell_cli_wants_help(int argc, char **argv, const char *usage);
int cell_cmd_logs(const struct cell_global *g, int argc, char **argv);

/* oci.c: shared by the OCI commands */
struct cell_run_cli;
struct cell_state;
int cell_oci_run_bundle(const struct cell_global *g, struct cell_run_cli *cli);
/** cell_cli_fail() - print @err once (stderr and --log); returns 125. */
int cell_cli_fail(const struct cell_global *g, const struct cell_error *err);
/** cell_cli_log() - append one line of @level to --log, if given (text or json). */
void cell_cli_log(const struct cell_global *g, const char *level, const char *msg);
/** cell_cli_log_open() - open --log to append; the fd, or -1 with a warning on stderr. */
int cell_cli_log_open(const struct cell_global *g);
/**
 * cell_cli_report_run() - after a run that cell_run() carried out: the
 * teardown warning in @err (result->teardown_failed) and the OOM kill, with
 * the memory limit that caused it, on stderr and --log; the status is the
 * caller's.
 */
void cell_cli_report_run(const struct cell_global *g, const struct cell_spec *spec,
			 const struct cell_run_result *result, const struct cell_error *err);
/**
 * cell_cli_absolute_path() - @path (the value of @flag) as an absolute path
 * in @out: relative paths are the working directory's ("." is the directory
 * itself). A working directory getcwd cannot give (removed, or longer than
 * PATH_MAX) and a result longer than @size are errors naming @flag, never a
 * path under / or a truncated one.
 */
int cell_cli_absolute_path(const char *flag, const char *path, char *out, size_t size,
			   struct cell_error *err);
/** cell_cli_write_pid_file() - write @pid to the absolute @path, whole (conmon reads it). */
int cell_cli_write_pid_file(const char *path, pid_t pid, struct cell_error *err);
/** cell_cli_warn() - print a warning (stderr and --log); the command goes on. */
void cell_cli_warn(const struct cell_global *g, const char *msg);
/** cell_cli_debug() - with --debug: a line to --log (or stderr). */
__attribute__((format(printf, 2, 3))) void cell_cli_debug(const struct cell_global *g,
							  const char *fmt, ...);
int cell_cli_load_config(const char *root, const char *id, struct cell_spec *spec,
			 struct cell_error *err);
int cell_cli_delete(const struct cell_global *g, const char *id, bool force,
		    struct cell_error *err);
bool cell_cli_frozen(const struct cell_state *st);
/** cell_cli_connect_console() - connect to a --console-socket path; the fd or -errno. */
int cell_cli_connect_console(const char *path, struct cell_error *err);
/** cell_parse_signal() - "TERM", "SIGTERM", "15", "RTMIN+3" to a number; -1 if none. */
int cell_parse_signal(const char *s);

struct cell_cgroup;
/* oci_cgroup.c: a container's cgroup, as its state recorded it */
int cell_cli_cgroup_open(const struct cell_state *st, struct cell_cgroup *cg,
			 struct cell_error *err);
int cell_cli_cgroup_signal(const struct cell_state *st, int sig, struct cell_error *err);
int cell_cli_cgroup_remove(const struct cell_state *st, struct cell_error *err);
bool cell_cli_cgroup_frozen(const struct cell_state *st);
/* ns.c: cell ns SUBCOMMAND (its --root overrides the global one) */
int cell_cmd_ns(const struct cell_global *g, int argc, char **argv);
/* exec_user.c: cell exec -u USER[:GROUP], numbers or the container's names */
struct cell_spec;
int cell_exec_user(struct cell_spec *s, pid_t pid, const char *arg, struct cell_error *err);
/** cell_cli_parse_u32() - a decimal id below 2^32-1; -1 otherwise. */
int cell_cli_parse_u32(const char *s, uint32_t *out);
/* gc.c: cell gc */
int cell_cmd_gc(const struct cell_global *g, int argc, char **argv);

#endif
