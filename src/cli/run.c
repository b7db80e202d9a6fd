/* cell run — one sandbox from flags. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "run_flags.h"
#include "state.h"

/* One error line, to stderr and --log; @cli freed; the status for @err. */
static int run_fail(const struct cell_global *g, struct cell_run_cli *cli,
		    const struct cell_error *err)
{
	int status = cell_error_exit_status(err);

	cell_cli_fail(g, err);
	cell_run_cli_free(cli);
	return status;
}

int cell_cmd_run(const struct cell_global *g, int argc, char **argv)
{
	struct cell_run_cli cli = { 0 };
	struct cell_run_result result;
	struct cell_run_watch watch;
	struct cell_error err = { 0 };
	struct cell_run_options opts = { .stdin_fd = STDIN_FILENO,
					 .stdout_fd = STDOUT_FILENO,
					 .stderr_fd = STDERR_FILENO };
	int status;

	if (cell_run_parse(argc, argv, geteuid(), getegid(), &cli, &err) < 0 ||
	    (!cli.help && cell_run_check_lone_id(&cli, argc, argv, &err) < 0))
		return run_fail(g, &cli, &err);
	if (cli.help) {
		fputs(cell_run_usage, stdout);
		cell_run_cli_free(&cli);
		return 0;
	}
	/* bubblewrap's --die-with-parent: cell dies with its parent, and the
	 * container with cell (its init has PR_SET_PDEATHSIG too); prctl(2).
	 * A detached container outlives cell: oci.c refuses the two together. */
	pid_t parent = getppid();

	errno = 0;
	if (cli.die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)) {
		if (errno)
			cell_error_set(&err, errno, "--die-with-parent");
		else
			cell_error_set(&err, 0, "--die-with-parent: the parent is gone already");
		return run_fail(g, &cli, &err);
	}
	if (!cli.from_bundle && cell_run_settle_cwd(g, &cli.spec) < 0) {
		cell_error_set(&err, ENOMEM, "process.cwd");
		return run_fail(g, &cli, &err);
	}
	/* --detach and --keep leave a container behind: only one with a name
	 * that cell logs, wait and delete can take, in a state directory */
	const char *leaves = cli.detach ? "--detach" : cli.keep ? "--keep" : NULL;

	if (!cli.from_bundle && leaves && (!cli.name || !g->root[0])) {
		cell_error_set(&err, 0, "run: %s from flags needs %s", leaves,
			       !cli.name ? "--name NAME (the name cell logs, wait and delete take)"
					 : "a state directory: XDG_RUNTIME_DIR is not set (give "
					   "--root DIR)");
		return run_fail(g, &cli, &err);
	}
	/* a named sandbox is registered like an OCI container: cell exec, kill, list,
	 * ns enter --target NAME find it (no state root, no registration); so is
	 * one given runc's --pid-file, --console-socket or --no-pivot, which that
	 * path carries out (with a random id) */
	if (cli.from_bundle || (cli.name && g->root[0]) || cli.pid_file || cli.console_socket ||
	    cli.no_pivot) {
		if (!g->root[0]) { /* main() could not find one */
			cell_error_set(&err, 0,
				       "run: no state directory: XDG_RUNTIME_DIR is not "
				       "set (give --root DIR)");
			return run_fail(g, &cli, &err);
		}
		status = cell_oci_run_bundle(g, &cli);
		cell_run_cli_free(&cli);
		return status;
	}
	opts.id = cli.name;
	opts.keep_keyring = cli.no_new_keyring;
	opts.preserve_fds = cli.preserve_fds;
	opts.no_cgroup = g->cgroups_disabled;
	opts.start_fd = opts.start_result_fd = opts.start_report_fd = opts.console_socket = -1;
	memcpy(opts.pin_paths, cli.pin, sizeof(opts.pin_paths));
	cell_run_bwrap_options(&cli, &watch, &opts);
	fflush(NULL);
	if (cell_run(&cli.spec, &opts, &result, &err) < 0)
		return run_fail(g, &cli, &err);
	cell_cli_report_run(g, &cli.spec, &result, &err);
	cell_run_bwrap_exited(&cli, result.wait_status);
	cell_cli_debug(g, "ran %s: pid %d, wait status 0x%x", cli.name ? cli.name : "(anonymous)",
		       (int)result.pid, (unsigned)result.wait_status);
	cell_run_cli_free(&cli);
	return cell_exit_status(result.wait_status);
}
