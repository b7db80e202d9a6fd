/*
 * bundle_run — test driver for OCI bundles until the CLI runs them.
 *
 *   bundle_run default          print cell's default spec (as `cell run` builds it) as JSON
 *   bundle_run run BUNDLE       load BUNDLE/config.json and run it as `cell run` would:
 *                               stdio inherited, "cell: MESSAGE" and 125/126/127 on failure,
 *                               the command's status otherwise
 *   bundle_run run BUNDLE N     the same, with the caller's fds 3..3+N-1 preserved
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell/cell.h"
#include "utils.h"

static int print_default(void)
{
	struct cell_spec spec;
	struct cell_error err = { 0 };
	char *text;

	if (cell_spec_default(&spec, geteuid(), getegid(), &err) < 0)
		goto fail;
	/* The test replaces it; without args there would be no "process" at all. */
	if (cell_strv_append(&spec.process.args, "true") < 0 ||
	    !(text = cell_spec_to_json(&spec, &err))) {
fail:
		fprintf(stderr, "cell: %s\n", err.msg);
		return 125;
	}
	fputs(text, stdout);
	free(text);
	cell_spec_free(&spec);
	return 0;
}

static int run_bundle(const char *bundle, unsigned int preserve_fds)
{
	struct cell_spec spec;
	struct cell_error err = { 0 };
	struct cell_run_result result;
	struct cell_run_options opts = { .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2,
					 .preserve_fds = preserve_fds };
	int r;

	if (cell_spec_load(&spec, bundle, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return 125;
	}
	r = cell_run(&spec, &opts, &result, &err);
	cell_spec_free(&spec);
	if (r < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return err.kind == CELL_ERR_EXEC_NOT_FOUND ? 127
		       : err.kind == CELL_ERR_EXEC_DENIED ? 126 : 125;
	}
	if (result.teardown_failed)
		fprintf(stderr, "cell: warning: %s\n", err.msg);
	return cell_exit_status(result.wait_status);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "default"))
		return print_default();
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "run"))
		return run_bundle(argv[2], argc == 4 ? (unsigned int)atoi(argv[3]) : 0);
	fprintf(stderr, "usage: bundle_run default | run BUNDLE [PRESERVE_FDS]\n");
	return 2;
}
