/*
 * cell — the door of a container's init: how `cell exec` and `cell ns enter`
 * reach a rootless container whose PID 1 is cell's and non-dumpable.
 *
 * setns(pidfd) and /proc/PID/ns, root and cwd all ask ptrace_may_access(),
 * which a non-dumpable mm refuses to everyone without CAP_SYS_PTRACE in the
 * host's user namespace: rightly to the container (PID 1 is cell's memory,
 * or a copy of it), but also to the user who started it. So where cell
 * runs without CAP_SYS_PTRACE, it gives PID 1 a socket: abstract, in cell's
 * network namespace, named after PID 1's host PID by cell once clone has
 * told it, and listened on by PID 1 itself once cell sends it SIGIO, so the
 * kernel shows every peer PID 1's PID as the door's (SO_PEERCRED): a
 * socket that another process bound under that name first cannot pass for
 * it. On a connection the kernel sends PID 1 SIGIO (F_SETOWN, O_ASYNC); it
 * accepts, and answers a peer whose uid is cell's (as its own user
 * namespace shows it, SO_PEERCRED) with one message: struct cell_door_msg
 * and, as SCM_RIGHTS, its namespaces and its root and working directory,
 * in the order below, those it could open. A peer of any other uid gets
 * nothing. What it gives is PID 1's own: a process of the container that
 * reaches the door (a shared network namespace) gets the namespaces it is
 * in and the root it has.
 *
 * Shared by the freestanding init (src/init/init.c) and the library
 * (src/lib/ns/nsjoin.c): nothing here but constants.
 */
#ifndef CELL_INIT_DOOR_H
#define CELL_INIT_DOOR_H

#include <stdint.h>

/* sun_path after its leading NUL; %d: PID 1's PID in cell's pid namespace */
#define CELL_DOOR_NAME "cell-init.%d"
#define CELL_DOOR_MAGIC 0x726f6f64U /* "door" */
#define CELL_DOOR_BACKLOG 8	    /* listen(2)'s, and what PID 1 answers a wake */

enum cell_door_fd {
	CELL_DOOR_USER,
	CELL_DOOR_MNT,
	CELL_DOOR_PID,
	CELL_DOOR_NET,
	CELL_DOOR_IPC,
	CELL_DOOR_UTS,
	CELL_DOOR_CGROUP,
	CELL_DOOR_TIME,
	CELL_DOOR_ROOT,
	CELL_DOOR_CWD,
	CELL_DOOR_FDS
};
#define CELL_DOOR_NS CELL_DOOR_ROOT /* the namespaces come first */

/* The clone(2) flag of each namespace, in the order above. */
static const unsigned long cell_door_ns_flag[CELL_DOOR_NS] = {
	0x10000000, /* CLONE_NEWUSER */
	0x00020000, /* CLONE_NEWNS */
	0x20000000, /* CLONE_NEWPID */
	0x40000000, /* CLONE_NEWNET */
	0x08000000, /* CLONE_NEWIPC */
	0x04000000, /* CLONE_NEWUTS */
	0x02000000, /* CLONE_NEWCGROUP */
	0x00000080, /* CLONE_NEWTIME */
};

struct cell_door_msg {
	uint32_t magic; /* CELL_DOOR_MAGIC */
	uint32_t have;	/* bit i: fd i of the order above came; they follow in order */
};

#endif
