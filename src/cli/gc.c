/* cell gc — free what containers that are gone left behind. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "judge.h"

static const char usage[] =
	"Usage: cell gc\n"
	"\n"
	"Free what containers whose cell was killed (SIGKILL skips every teardown) left\n"
	"behind: their network leases, their published-port rules and bridges no container\n"
	"uses. Containers still running keep theirs. `cell run` does the same, cheaply,\n"
	"on every start. Also the cgroups of a `cell judge --batch` whose supervisor is\n"
	"gone (cell-judge-PID-*), with the empty box cgroups a SIGKILLed worker left.\n";

int cell_cmd_gc(int argc, char **argv)
{
	struct cell_error err = { 0 };
	unsigned removed = 0;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "cell: gc takes no arguments (see cell gc --help)\n");
		return CELL_EXIT_FAILURE;
	}
	if (cell_net_gc(&removed, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return CELL_EXIT_FAILURE;
	}
	if (removed)
		printf("freed %u stale network lease%s\n", removed, removed == 1 ? "" : "s");
	/* only root's batches have cgroups (cell judge makes none rootless) */
	if (geteuid() == 0 &&
	    cell_cgroup_gc_owned("/sys/fs/cgroup", CELL_JUDGE_CGROUP_PREFIX, &removed, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return CELL_EXIT_FAILURE;
	}
	if (removed)
		printf("removed %u cgroup%s of ended judge batches\n", removed,
		       removed == 1 ? "" : "s");
	return 0;
}
