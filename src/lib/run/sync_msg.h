/*
 * cell — the messages of the parent <-> child channel (sync.c). A header of
 * its own, with nothing but <stdint.h>, because src/init/init.c, the
 * freestanding init, sends CELL_SYNC_STATUS too.
 */
#ifndef CELL_SYNC_MSG_H
#define CELL_SYNC_MSG_H

#include <stdint.h>

enum cell_sync_type {
	CELL_SYNC_GO = 1,	/* parent -> child: maps written, cgroup joined; go on */
	CELL_SYNC_ERROR,	/* child -> parent: setup failed; errnum, kind, message */
	CELL_SYNC_PTY_MASTER,	/* child -> parent: the pty master fd (SCM_RIGHTS) */
	CELL_SYNC_STATUS,	/* init -> parent: the command's raw wait status */
	CELL_SYNC_READY,	/* child -> parent: set up; waits on start_fd to exec */
	CELL_SYNC_PID,		/* init -> parent: the command's host PID */
	CELL_SYNC_SECCOMP_FD,	/* child -> parent: the seccomp listener fd (SCM_RIGHTS) */
	CELL_SYNC_SECCOMP_DONE, /* parent -> child: the listener has it (value 0) or -errno */
	CELL_SYNC_ADOPT,	/* child -> parent: the container's process is this PID, a child
				    of the parent's made in a joined pid namespace; the sender leaves */
	CELL_SYNC_DROP,		/* child -> parent: a detached mount tree (SCM_RIGHTS) to close */
	CELL_SYNC_NS_IDS,	/* child -> parent: its namespaces' inodes, set up, before the
				   command starts (cell_run_options.ns_ids): text holds a
				   uint64_t for each enum cell_ns_type, 0 where unknown */
};

struct cell_sync_msg {
	uint32_t type;
	int32_t value;	 /* errnum, wait status or pid */
	uint32_t kind;	 /* enum cell_error_kind, for ERROR */
	char text[1024]; /* as struct cell_error.msg */
};

#endif
