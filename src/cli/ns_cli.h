/* cell — `cell ns` subcommands: what they share (internal to the CLI). */
#ifndef CELL_NS_CLI_H
#define CELL_NS_CLI_H

#include <stddef.h>
#include <sys/types.h>

#include "cell/ns.h"

struct cell_global;

/* Output columns of `cell ns ls` (docs/cell-ns.1 says what each holds). */
enum cell_ns_column {
	CELL_NS_COL_NS,
	CELL_NS_COL_TYPE,
	CELL_NS_COL_NPROCS,
	CELL_NS_COL_PID,
	CELL_NS_COL_USER,
	CELL_NS_COL_OWNER,
	CELL_NS_COL_OWNERUID,
	CELL_NS_COL_PARENT,
	CELL_NS_COL_HELD,
	CELL_NS_COL_NSFS,
	CELL_NS_COL_PATH,
	CELL_NS_COL_COMMAND,
	CELL_NS_COL_COUNT
};

#define CELL_NS_MAX_COLUMNS 32

/** cell_ns_column_name() - "NS", "TYPE", ...; lower-case it for the JSON key. */
const char *cell_ns_column_name(enum cell_ns_column col);
/** cell_ns_parse_columns() - "ns,type,PID" (case-insensitive, +LIST appends to the default). */
int cell_ns_parse_columns(const char *list, enum cell_ns_column *cols, size_t *n,
			  struct cell_error *err);
extern const enum cell_ns_column cell_ns_default_columns[];
extern const size_t cell_ns_n_default_columns;

/**
 * cell_ns_state_root() - where container state lives: @given (--root), else
 * /run/cell for root, else $XDG_RUNTIME_DIR/cell. NULL if none can be found.
 */
const char *cell_ns_state_root(const char *given, uid_t euid, char *buf, size_t size);
/**
 * cell_ns_resolve_target() - a PID, or a container id whose state.json
 * (under @root, as cell_ns_state_root() picks it) names its PID.
 */
int cell_ns_resolve_target(const char *arg, const char *root, pid_t *pid, struct cell_error *err);

/*
 * The subcommands (src/cli/ns*.c); argv[0] is the subcommand's name, @g the
 * global options (--root, --log).
 */
int cell_ns_cmd_ls(const struct cell_global *g, int argc, char **argv);
int cell_ns_cmd_tree(const struct cell_global *g, int argc, char **argv);
int cell_ns_cmd_limits(const struct cell_global *g, int argc, char **argv);
int cell_ns_cmd_enter(const struct cell_global *g, int argc, char **argv);
int cell_ns_cmd_pin(const struct cell_global *g, int argc, char **argv);
int cell_ns_cmd_unpin(const struct cell_global *g, int argc, char **argv);

/** cell_ns_option_error() - a getopt failure (@opt '?' or ':') as one line naming the option. */
int cell_ns_option_error(int opt, char **argv, const char *cmd, struct cell_error *err);
/** cell_ns_fail() - print `cell: MESSAGE` (stderr and --log) and return 125. */
int cell_ns_fail(const struct cell_global *g, const struct cell_error *err);
/** cell_ns_global_root() - the global --root, or NULL (cell_ns_state_root() picks one). */
const char *cell_ns_global_root(const struct cell_global *g);
/** cell_ns_print_json() - print @json (stolen) indented, with a newline. */
struct json_t;
int cell_ns_print_json(struct json_t *json);

#endif
