/* cell — `cell run` flags: each one edits one field of the in-memory OCI spec. */
#ifndef CELL_RUN_FLAGS_H
#define CELL_RUN_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cell/cell.h"

enum cell_userns_mode {
	CELL_USERNS_DEFAULT,	/* root: identity map; rootless: uid -> 0 */
	CELL_USERNS_KEEP_ID,	/* the caller's uid stays its uid inside */
	CELL_USERNS_SUBIDS,	/* 0 -> uid, 1..N -> /etc/subuid range (newuidmap) */
};

struct cell_run_cli {
	struct cell_spec spec;
	char *name;		/* --name: the container id */
	bool help;
	enum cell_userns_mode userns_mode;
	const char *user;	/* --user, resolved once the root is known */
	const char *seccomp;	/* --seccomp: "unconfined" or a profile file; NULL: default */
	bool rootfs_given;
	int64_t tmp_size, shm_size;	/* --tmp-size, --shm-size; 0: not given */
	bool read_only;
	bool cap_add_all;
	bool uidmap_given, gidmap_given; /* the first --uidmap/--gidmap drops the default */	/* --cap-add ALL: limited to what cell may grant */
	uid_t euid;
	gid_t egid;
	/* OCI: `cell run` from a bundle (runc's flags) */
	char *bundle;		/* --bundle, or "." when ./config.json exists: the base spec */
	bool from_bundle;	/* the spec came from BUNDLE/config.json */
	bool detach, no_pivot, no_new_keyring, keep, no_subreaper;
	const char *pid_file, *console_socket;
	unsigned preserve_fds;
	bool any_flag;		/* a flag that edits the spec was given (cell spec) */
	bool spec_mode;		/* parsing for `cell spec`: no command needed */
	const char *subuid_file, *subgid_file; /* /etc/subuid, /etc/subgid (tests change them) */
	const char *resolv_conf;	/* /etc/resolv.conf (tests change it) */
	const char *pin[CELL_NS_COUNT];	/* --pin TYPE=PATH */
};

/**
 * cell_run_settle_cwd() - the caller's directory (the default cwd) becomes /
 * with a warning when the container would not have it; -1 on ENOMEM.
 */
int cell_run_settle_cwd(struct cell_spec *spec);

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
