/* cell — a Linux container runtime and sandbox: command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: cell [--help] [--version] COMMAND [OPTIONS]\n"
	"\n"
	"A container runtime and sandbox built on Linux namespaces and cgroups.\n"
	"\n"
	"Commands:\n"
	"  run       run a command in a new sandbox (cell run --help)\n"
	"  gc        free what killed containers left: network leases, port rules, bridges\n"
	"\n"
	"See cell(1), cell-run(1) and cell-gc(1).\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", cell_cmd_run },
	{ "gc", cell_cmd_gc },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return CELL_EXIT_FAILURE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("cell %s\n", CELL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "cell: unknown command '%s' (see cell --help)\n", argv[1]);
	return CELL_EXIT_FAILURE;
}
