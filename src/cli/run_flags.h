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

struct cell_run_cli {
	struct cell_spec spec;
	char *name; /* --name: the container id */
	bool help;
	enum cell_userns_mode userns_mode;
	const char *user;    /* --user, resolved once the root is known */
	const char *seccomp; /* --seccomp: "unconfined" or a profile file; NULL: default */
	bool rootfs_given;
	int64_t tmp_size, shm_size; /* --tmp-size, --shm-size; 0: not given */
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
