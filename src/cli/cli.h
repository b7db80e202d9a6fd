/* cell — command-line front end: one function per command. */
#ifndef CELL_CLI_H
#define CELL_CLI_H

#include "cell/cell.h"

enum {
	CELL_EXIT_FAILURE = 125,     /* cell itself failed */
	CELL_EXIT_CANNOT_EXEC = 126, /* the command exists but cannot be executed */
	CELL_EXIT_NOT_FOUND = 127,   /* the command does not exist */
};

int cell_cmd_run(int argc, char **argv);
int cell_cmd_gc(int argc, char **argv);

#endif
