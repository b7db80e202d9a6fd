/*
 * cell — what the `cell ns` subcommands share and the unit tests reach:
 * column lists, and turning a PID or a container id into a PID.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ns_cli.h"
#include "utils.h"

static const char *const column_names[CELL_NS_COL_COUNT] = {
	[CELL_NS_COL_NS] = "NS",
	[CELL_NS_COL_TYPE] = "TYPE",
	[CELL_NS_COL_NPROCS] = "NPROCS",
	[CELL_NS_COL_PID] = "PID",
	[CELL_NS_COL_USER] = "USER",
	[CELL_NS_COL_OWNER] = "OWNER",
	[CELL_NS_COL_OWNERUID] = "OWNERUID",
	[CELL_NS_COL_PARENT] = "PARENT",
	[CELL_NS_COL_HELD] = "HELD",
	[CELL_NS_COL_NSFS] = "NSFS",
	[CELL_NS_COL_PATH] = "PATH",
	[CELL_NS_COL_COMMAND] = "COMMAND",
};

const enum cell_ns_column cell_ns_default_columns[] = {
	CELL_NS_COL_NS,	  CELL_NS_COL_TYPE,    CELL_NS_COL_NPROCS,   CELL_NS_COL_PID,
	CELL_NS_COL_USER, CELL_NS_COL_OWNER,   CELL_NS_COL_OWNERUID, CELL_NS_COL_PARENT,
	CELL_NS_COL_HELD, CELL_NS_COL_COMMAND,
};
const size_t cell_ns_n_default_columns =
	sizeof(cell_ns_default_columns) / sizeof(cell_ns_default_columns[0]);

const char *cell_ns_column_name(enum cell_ns_column col)
{
	return (unsigned)col < CELL_NS_COL_COUNT ? column_names[col] : NULL;
}

int cell_ns_parse_columns(const char *list, enum cell_ns_column *cols, size_t *n,
			  struct cell_error *err)
{
	cleanup_free char *copy = strdup(list[0] == '+' ? list + 1 : list);
	char *tok, *save = NULL;

	if (!copy)
		return cell_error_set(err, ENOMEM, "--output");
	*n = 0;
	if (list[0] == '+') /* lsns(8): +LIST extends the default columns */
		for (; *n < cell_ns_n_default_columns; (*n)++)
			cols[*n] = cell_ns_default_columns[*n];
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = -1;

		for (int c = 0; c < CELL_NS_COL_COUNT && found < 0; c++)
			if (!strcasecmp(tok, column_names[c]))
				found = c;
		if (found < 0)
			return cell_error_set(err, 0,
					      "--output: unknown column '%s' (see cell ns ls "
					      "--help)",
					      tok);
		if (*n >= CELL_NS_MAX_COLUMNS)
			return cell_error_set(err, E2BIG, "--output: more than %d columns",
					      CELL_NS_MAX_COLUMNS);
		cols[(*n)++] = (enum cell_ns_column)found;
	}
	if (!*n)
		return cell_error_set(err, 0, "--output: no column named");
	return 0;
}

const char *cell_ns_state_root(const char *given, uid_t euid, char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (given)
		return given;
	if (euid == 0)
		return "/run/cell";
	if (!xdg || xdg[0] != '/')
		return NULL;
	snprintf(buf, size, "%s/cell", xdg);
	return buf;
}

static int parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/*
 * The OCI state (runtime-spec "state": ociVersion, id, status, pid, bundle)
 * that `cell create/run` keep in <root>/<id>/state.json. One function, so the
 * shared state API can replace it.
 */
static int container_pid(const char *id, const char *root, pid_t *pid, struct cell_error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *state, *p, *status;
	int r = 0;

	if (!root)
		return cell_error_set(err, 0,
				      "container '%s': no state directory (set "
				      "XDG_RUNTIME_DIR or --root)",
				      id);
	snprintf(path, sizeof(path), "%s/%s/state.json", root, id);
	state = json_load_file(path, 0, &jerr);
	if (!state)
		return cell_error_set(err, errno == ENOENT ? ESRCH : 0,
				      "container '%s': no such container (%s: %s)", id, path,
				      jerr.text);
	p = json_object_get(state, "pid");
	status = json_object_get(state, "status");
	if (json_is_string(status) && !strcmp(json_string_value(status), "stopped"))
		r = cell_error_set(err, ESRCH, "container '%s' is stopped", id);
	else if (!json_is_integer(p) || json_integer_value(p) <= 0 ||
		 json_integer_value(p) > INT_MAX)
		r = cell_error_set(err, 0, "container '%s': %s has no valid \"pid\"", id, path);
	else
		*pid = (pid_t)json_integer_value(p);
	json_decref(state);
	return r;
}

int cell_ns_resolve_target(const char *arg, const char *root, pid_t *pid, struct cell_error *err)
{
	if (parse_pid(arg, pid) == 0)
		return 0;
	if (!arg[0] || strchr(arg, '/') || !strcmp(arg, ".") || !strcmp(arg, "..") ||
	    arg[0] == '-' || strspn(arg, "0123456789") == strlen(arg))
		return cell_error_set(err, 0, "'%s' is neither a PID nor a container id", arg);
	return container_pid(arg, root, pid, err);
}
