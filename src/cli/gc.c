/* cell gc — free what containers that are gone left behind. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "judge.h"
#include "state.h"
#include "utils.h"

static const char usage[] =
	"Usage: cell gc\n"
	"\n"
	"Free what containers whose cell was killed (SIGKILL skips every teardown) left\n"
	"behind: the state directories of `cell run --name` runs (with their cgroups),\n"
	"network leases and their published-port rules, bridges no container uses, and\n"
	"the networks of `cell run -d` containers that have stopped. Containers still\n"
	"running keep theirs; stopped `cell create`/`run -d` containers stay listed until\n"
	"`cell delete`. `cell run` frees network leases the same way, cheaply, on every\n"
	"start. Also the cgroups of a `cell judge --batch` whose supervisor is gone\n"
	"(cell-judge-PID-*), with the empty box cgroups below them.\n";

/*
 * The state of a foreground `cell run --name` whose cell is gone: nobody else
 * deletes it. One whose container still runs is only named: it is a
 * container, and killing it is the user's call.
 */
static int gc_state(const struct cell_global *g, const char *id, unsigned *removed)
{
	struct cell_error err = { 0 };
	struct cell_state st;
	bool gone, alive;

	if (cell_state_load(g->root, id, &st, &err) < 0)
		return err.errnum == ENOENT ? 0 : cell_cli_fail(g, &err);
	gone = cell_state_runner_gone(&st);
	alive = cell_state_pid_alive(&st);
	cell_state_free(&st);
	if (!gone)
		return 0;
	if (alive) {
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "container %s: its cell run was killed, the container still runs "
			 "(cell kill %s KILL; cell delete %s)",
			 id, id, id);
		cell_cli_warn(g, msg);
		return 0;
	}
	if (cell_cli_delete(g, id, false, &err) < 0)
		return err.errnum == ENOENT ? 0 : cell_cli_fail(g, &err);
	printf("removed container %s (its cell run was killed)\n", id);
	(*removed)++;
	return 0;
}

static int gc_states(const struct cell_global *g, unsigned *removed)
{
	struct cell_error err = { 0 };
	cleanup_strv char **ids = NULL;
	int status = 0;

	/* no state root (rootless without XDG_RUNTIME_DIR): no runs to collect */
	if (!g->root[0] || access(g->root, F_OK) < 0)
		return 0;
	if (cell_state_list(g->root, &ids, &err) < 0)
		return cell_cli_fail(g, &err);
	for (size_t i = 0; ids[i]; i++)
		if (gc_state(g, ids[i], removed))
			status = CELL_EXIT_FAILURE;
	return status;
}

int cell_cmd_gc(const struct cell_global *g, int argc, char **argv)
{
	struct cell_error err = { 0 };
	unsigned removed = 0, states = 0;
	int status;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1) {
		cell_error_set(&err, 0, "gc takes no arguments (see cell gc --help)");
		return cell_cli_fail(g, &err);
	}
	/* states first: deleting them frees cgroups; the leases of their networks
	 * are the sweep's (their owners are gone) */
	status = gc_states(g, &states);
	if (cell_net_gc(&removed, &err) < 0)
		return cell_cli_fail(g, &err);
	if (removed)
		printf("freed %u stale network lease%s\n", removed, removed == 1 ? "" : "s");
	/* only root's batches have cgroups (cell judge makes none rootless) */
	if (geteuid() == 0 &&
	    cell_cgroup_gc_owned("/sys/fs/cgroup", CELL_JUDGE_CGROUP_PREFIX, &removed, &err) < 0)
		return cell_cli_fail(g, &err);
	if (removed)
		printf("removed %u cgroup%s of ended judge batches\n", removed,
		       removed == 1 ? "" : "s");
	return status;
}
