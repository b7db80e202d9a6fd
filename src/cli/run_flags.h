/* cell — `cell run` flags: each one edits one field of the in-memory OCI spec. */
#ifndef CELL_RUN_FLAGS_H
#define CELL_RUN_FLAGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cell/cell.h"

enum cell_userns_mode {
	CELL_USERNS_DEFAULT, /* root: identity map; rootless: uid -> 0 */
	CELL_USERNS_KEEP_ID, /* the caller's uid stays its uid inside */
	CELL_USERNS_SUBIDS,  /* 0 -> uid, 1..N -> /etc/subuid range (newuidmap) */
};

/* bubblewrap's flags that are no spec field (run_bwrap.c) */
struct cell_run_bwrap {
	bool perms_set, size_set; /* --perms, --size: for the next flag that makes a path */
	mode_t perms;
	int64_t size;
	bool uid_set, gid_set; /* --uid, --gid: the ids inside a user namespace of cell's */
	uint32_t uid, gid;
	bool disable_userns, assert_userns_disabled;
	int info_fd, json_status_fd; /* --info-fd, --json-status-fd: the fd + 1, 0 when none */
	int sync_fd;		     /* --sync-fd: held, never passed on; the fd + 1, 0: none */
	char **buffers;		     /* what --args FD read, and the argv built with it */
	size_t n_buffers;
};

struct cell_run_cli {
	struct cell_spec spec;
	char *name; /* --name: the container id */
	bool help;
	enum cell_userns_mode userns_mode;
	const char *user;    /* --user, resolved once the root is known */
	const char *seccomp; /* --seccomp: "unconfined" or a profile file; NULL: default */
	bool rootfs_given;
	bool root_bound, root_bound_ro; /* --bind SRC / or --ro-bind SRC /: the root is SRC */
	int64_t tmp_size, shm_size;	/* --tmp-size, --shm-size; 0: not given */
	bool read_only;
	bool cap_add_all;		 /* --cap-add ALL: limited to what cell may grant */
	bool uidmap_given, gidmap_given; /* the first --uidmap/--gidmap drops the default */
	uid_t euid;
	gid_t egid;
	/* OCI: `cell run` from a bundle (runc's flags) */
	char *bundle;	    /* --bundle, or "." when ./config.json exists: the base spec */
	const char *config; /* --config FILE (crun's): BUNDLE/FILE instead of config.json */
	bool from_bundle;   /* the spec came from BUNDLE/config.json */
	bool detach, no_pivot, no_new_keyring, keep, no_subreaper;
	const char *pid_file, *console_socket;
	unsigned preserve_fds;
	bool any_flag;	/* a flag that edits the spec was given (cell spec) */
	bool spec_mode; /* parsing for `cell spec`: no command needed */
	const char *subuid_file, *subgid_file; /* /etc/subuid, /etc/subgid (tests change them) */
	const char *resolv_conf;	       /* /etc/resolv.conf (tests change it) */
	const char *pin[CELL_NS_COUNT];	       /* --pin TYPE=PATH */
	bool die_with_parent;		       /* bubblewrap's --die-with-parent */
	struct cell_run_bwrap bwrap;
};

/* Flags users bring from docker and bubblewrap (run_habits.c). */
enum {
	CELL_OPT_HABIT_FIRST = 3000,
	CELL_OPT_RM = CELL_OPT_HABIT_FIRST,
	CELL_OPT_ENV_FILE,
	CELL_OPT_ULIMIT,
	CELL_OPT_SECURITY_OPT,
	CELL_OPT_DIE_WITH_PARENT,
	CELL_OPT_NEW_SESSION,
	CELL_OPT_CLEARENV,
	CELL_OPT_SETENV,
	CELL_OPT_UNSETENV,
	CELL_OPT_DEV_BIND,
	CELL_OPT_SYMLINK,
	CELL_OPT_HABIT_END,
	/* bubblewrap's (run_bwrap.c) */
	CELL_OPT_BWRAP_FIRST = 3500,
	CELL_OPT_BIND_TRY = CELL_OPT_BWRAP_FIRST,
	CELL_OPT_RO_BIND_TRY,
	CELL_OPT_DEV_BIND_TRY,
	CELL_OPT_AS_PID_1,
	CELL_OPT_CHDIR,
	CELL_OPT_PROC,
	CELL_OPT_DEV,
	CELL_OPT_MQUEUE,
	CELL_OPT_PERMS,
	CELL_OPT_SIZE,
	CELL_OPT_UNSHARE_USER_TRY,
	CELL_OPT_UNSHARE_CGROUP_TRY,
	CELL_OPT_DISABLE_USERNS,
	CELL_OPT_ASSERT_USERNS_DISABLED,
	CELL_OPT_UID,
	CELL_OPT_GID,
	CELL_OPT_INFO_FD,
	CELL_OPT_JSON_STATUS_FD,
	CELL_OPT_SYNC_FD,
	CELL_OPT_DIR,
	CELL_OPT_FILE,
	CELL_OPT_BIND_DATA,
	CELL_OPT_RO_BIND_DATA,
	CELL_OPT_CHMOD,
	CELL_OPT_REMOUNT_RO,
	CELL_OPT_BWRAP_END,
	CELL_OPT_ARGS, /* --args FD: the parser splices FD's arguments in */
	CELL_OPT_INTERACTIVE = 'i',
};

#define CELL_RUN_HABIT_OPTIONS                                                                     \
	{ "rm", no_argument, NULL, CELL_OPT_RM },                                                  \
		{ "interactive", no_argument, NULL, CELL_OPT_INTERACTIVE },                        \
		{ "env-file", required_argument, NULL, CELL_OPT_ENV_FILE },                        \
		{ "ulimit", required_argument, NULL, CELL_OPT_ULIMIT },                            \
		{ "security-opt", required_argument, NULL, CELL_OPT_SECURITY_OPT },                \
		{ "die-with-parent", no_argument, NULL, CELL_OPT_DIE_WITH_PARENT },                \
		{ "new-session", no_argument, NULL, CELL_OPT_NEW_SESSION },                        \
		{ "clearenv", no_argument, NULL, CELL_OPT_CLEARENV },                              \
		{ "setenv", required_argument, NULL, CELL_OPT_SETENV },                            \
		{ "unsetenv", required_argument, NULL, CELL_OPT_UNSETENV },                        \
		{ "dev-bind", required_argument, NULL, CELL_OPT_DEV_BIND },                        \
	{                                                                                          \
		"symlink", required_argument, NULL, CELL_OPT_SYMLINK                               \
	}

#define CELL_RUN_BWRAP_OPTIONS                                                                     \
	{ "bind-try", required_argument, NULL, CELL_OPT_BIND_TRY },                                \
		{ "ro-bind-try", required_argument, NULL, CELL_OPT_RO_BIND_TRY },                  \
		{ "dev-bind-try", required_argument, NULL, CELL_OPT_DEV_BIND_TRY },                \
		{ "as-pid-1", no_argument, NULL, CELL_OPT_AS_PID_1 },                              \
		{ "chdir", required_argument, NULL, CELL_OPT_CHDIR },                              \
		{ "proc", required_argument, NULL, CELL_OPT_PROC },                                \
		{ "dev", required_argument, NULL, CELL_OPT_DEV },                                  \
		{ "mqueue", required_argument, NULL, CELL_OPT_MQUEUE },                            \
		{ "perms", required_argument, NULL, CELL_OPT_PERMS },                              \
		{ "size", required_argument, NULL, CELL_OPT_SIZE },                                \
		{ "unshare-user-try", no_argument, NULL, CELL_OPT_UNSHARE_USER_TRY },              \
		{ "unshare-cgroup-try", no_argument, NULL, CELL_OPT_UNSHARE_CGROUP_TRY },          \
		{ "disable-userns", no_argument, NULL, CELL_OPT_DISABLE_USERNS },                  \
		{ "assert-userns-disabled", no_argument, NULL, CELL_OPT_ASSERT_USERNS_DISABLED },  \
		{ "uid", required_argument, NULL, CELL_OPT_UID },                                  \
		{ "gid", required_argument, NULL, CELL_OPT_GID },                                  \
		{ "info-fd", required_argument, NULL, CELL_OPT_INFO_FD },                          \
		{ "json-status-fd", required_argument, NULL, CELL_OPT_JSON_STATUS_FD },            \
		{ "sync-fd", required_argument, NULL, CELL_OPT_SYNC_FD },                          \
		{ "dir", required_argument, NULL, CELL_OPT_DIR },                                  \
		{ "file", required_argument, NULL, CELL_OPT_FILE },                                \
		{ "bind-data", required_argument, NULL, CELL_OPT_BIND_DATA },                      \
		{ "ro-bind-data", required_argument, NULL, CELL_OPT_RO_BIND_DATA },                \
		{ "chmod", required_argument, NULL, CELL_OPT_CHMOD },                              \
		{ "remount-ro", required_argument, NULL, CELL_OPT_REMOUNT_RO },                    \
	{                                                                                          \
		"args", required_argument, NULL, CELL_OPT_ARGS                                     \
	}

/** cell_run_bwrap_option() - carry out one of CELL_RUN_BWRAP_OPTIONS but --args. */
int cell_run_bwrap_option(struct cell_run_cli *cli, int opt, const char *flag, char **argv,
			  int argc, struct cell_error *err);
/**
 * cell_run_bwrap_args() - bubblewrap's --args FD: FD's NUL-separated
 * arguments (read to its end, then closed) take the place of "--args FD" in
 * *@argv, at optind, where getopt goes on; the new vector is @cli's to free.
 */
int cell_run_bwrap_args(struct cell_run_cli *cli, const char *flag, const char *fdarg, int *argc,
			char ***argv, struct cell_error *err);
/** cell_run_bwrap_modifiers() - a pending --perms or --size, and a flag @opt that does not take it. */
int cell_run_bwrap_modifiers(struct cell_run_cli *cli, int opt, bool is_tmpfs,
			     struct cell_error *err);
/** cell_run_bwrap_tmpfs() - --tmpfs ARG with the pending --perms (mode=) and --size (size=). */
int cell_run_bwrap_tmpfs(struct cell_run_cli *cli, const char *arg, struct cell_error *err);
/** cell_run_bwrap_finish() - what the flags together allow: ids, user namespaces, fds. */
int cell_run_bwrap_finish(struct cell_run_cli *cli, struct cell_error *err);
/**
 * cell_run_bwrap_options() - with --info-fd or --json-status-fd, @opts gets
 * @w, which writes them once the container runs (bwrap's formats), and asks
 * for the namespaces' inodes they hold.
 */
void cell_run_bwrap_options(struct cell_run_cli *cli, struct cell_run_watch *w,
			    struct cell_run_options *opts);
/** cell_run_bwrap_exited() - --json-status-fd's last line: { "exit-code": N }. */
void cell_run_bwrap_exited(struct cell_run_cli *cli, int wait_status);
void cell_run_bwrap_free(struct cell_run_bwrap *b);

/* run_flags.c: what run_habits.c and run_bwrap.c share */
int cell_run_add_bind(struct cell_run_cli *cli, const char *src, const char *dst, bool ro,
		      struct cell_error *err);
int cell_run_add_tmpfs(struct cell_spec *spec, const char *arg, struct cell_error *err);
/* run_habits.c: bubblewrap's --dev-bind SRC DEST */
int cell_run_dev_bind(struct cell_run_cli *cli, const char *src, const char *dst,
		      struct cell_error *err);

/**
 * cell_member_groups() - add to @p the groups of the /etc/group @f (may be
 * NULL: none) that list @name, but @primary: docker's supplementary groups
 * for a user name (run -u, exec -u; exec_user.c).
 */
int cell_member_groups(FILE *f, const char *name, gid_t primary, struct cell_process *p,
		       struct cell_error *err);

/** cell_run_habit_option() - carry out one of the CELL_RUN_HABIT_OPTIONS. */
int cell_run_habit_option(struct cell_run_cli *cli, int opt, const char *flag, char **argv,
			  int argc, struct cell_error *err);

/**
 * cell_run_check_lone_id() - `cell run ID` outside a bundle: a lone argument
 * (no "--" in @argv) that is no program in the container's PATH fails here,
 * naming the missing config.json (err->kind EXEC_NOT_FOUND). Looks at files.
 */
int cell_run_check_lone_id(const struct cell_run_cli *cli, int argc, char **argv,
			   struct cell_error *err);

/** cell_run_suggest() - the long option of @options closest to @given, or NULL. */
const char *cell_run_suggest(const struct option *options, const char *given);

/**
 * cell_run_settle_cwd() - the caller's directory (the default cwd) becomes /
 * with a warning (stderr and --log) when the container would not have it;
 * -1 on ENOMEM.
 */
struct cell_global;
int cell_run_settle_cwd(const struct cell_global *g, struct cell_spec *spec);

/**
 * cell_run_parse() - turn `cell run` arguments (argv[0] is "run") into a spec.
 * @cli: zero-initialised by the caller, who may set subuid_file/subgid_file first.
 * @euid/@egid: whose defaults to start from (root or rootless).
 * Return: 0, or -errno with @err naming the flag that was wrong.
 */
int cell_run_parse(int argc, char **argv, uid_t euid, gid_t egid, struct cell_run_cli *cli,
		   struct cell_error *err);
void cell_run_cli_free(struct cell_run_cli *cli);
/** cell_user_name() - @uid's name in the host's /etc/passwd, or the number. */
void cell_user_name(uint32_t uid, char *buf, size_t size);
extern const char cell_run_usage[];

#endif
