/* cell — the namespace table: the facts every command reads about the eight types. */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "cell/ns.h"
#include "ns_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6 */
#endif

static const struct cell_ns_info ns_table[CELL_NS_COUNT] = {
	[CELL_NS_CGROUP] = { .type = CELL_NS_CGROUP,
			     .clone_flag = CLONE_NEWCGROUP,
			     .name = "cgroup",
			     .proc_name = "cgroup" },
	[CELL_NS_IPC] = { .type = CELL_NS_IPC,
			  .clone_flag = CLONE_NEWIPC,
			  .name = "ipc",
			  .proc_name = "ipc" },
	[CELL_NS_MNT] = { .type = CELL_NS_MNT,
			  .clone_flag = CLONE_NEWNS,
			  .name = "mount",
			  .proc_name = "mnt" },
	[CELL_NS_NET] = { .type = CELL_NS_NET,
			  .clone_flag = CLONE_NEWNET,
			  .name = "network",
			  .proc_name = "net" },
	[CELL_NS_PID] = { .type = CELL_NS_PID,
			  .clone_flag = CLONE_NEWPID,
			  .name = "pid",
			  .proc_name = "pid" },
	[CELL_NS_TIME] = { .type = CELL_NS_TIME,
			   .clone_flag = CLONE_NEWTIME,
			   .name = "time",
			   .proc_name = "time" },
	[CELL_NS_USER] = { .type = CELL_NS_USER,
			   .clone_flag = CLONE_NEWUSER,
			   .name = "user",
			   .proc_name = "user" },
	[CELL_NS_UTS] = { .type = CELL_NS_UTS,
			  .clone_flag = CLONE_NEWUTS,
			  .name = "uts",
			  .proc_name = "uts" },
};

/*
 * The one order in which cell joins namespaces one at a time (nsenter(1)'s,
 * with time before mnt). Joining by a pidfd takes all types in one call and
 * needs no order (setns(2), Linux 5.8).
 * - user first: cell joins as root or as the owner of the container's user
 *   namespace, and the user namespace brings CAP_SYS_ADMIN over the ones it
 *   owns. It would go last only for a caller that gives up privilege
 *   (nsenter retries after it); cell never joins to give up privilege.
 *   setns of a user namespace needs a single-threaded caller.
 * - pid and time change only the children (pid_namespaces(7),
 *   time_namespaces(7)): the caller forks after joining them, so they come
 *   before the fork, anywhere in this list.
 * - mnt last: it changes root and cwd, so a path opened after it (the next
 *   namespace file, /proc/PID/ns/...) would be looked up in the container's
 *   tree, and it needs CAP_SYS_CHROOT in the caller's user namespace too.
 */
const enum cell_ns_type cell_ns_join_order[CELL_NS_COUNT] = {
	CELL_NS_USER, CELL_NS_CGROUP, CELL_NS_IPC,  CELL_NS_UTS,
	CELL_NS_NET,  CELL_NS_PID,    CELL_NS_TIME, CELL_NS_MNT,
};

const struct cell_ns_info *cell_ns_info(enum cell_ns_type type)
{
	if ((unsigned)type >= CELL_NS_COUNT)
		return NULL;
	return &ns_table[type];
}

int cell_ns_from_name(const char *name)
{
	for (int i = 0; i < CELL_NS_COUNT; i++)
		if (!strcmp(name, ns_table[i].name) || !strcmp(name, ns_table[i].proc_name))
			return i;
	return -1;
}

/*
 * Namespaces created by clone3() itself. Two may be left to the child:
 * - cgroup: the namespace root is the cgroup the process is in when the
 *   namespace is made; when the parent moves the child into a new cgroup
 *   after clone (v1, or v2 where CLONE_INTO_CGROUP comes after the
 *   namespaces are copied), the child unshares once it is in place, else
 *   /proc/self/cgroup would show /cell-ID instead of /. Without a cgroup of
 *   its own (@cgroup_at_clone) clone3 makes it: one syscall fewer.
 * - time: offsets can be written only before a process enters the namespace
 *   (time_namespaces(7)), and clone3(CLONE_NEWTIME) enters at once; the
 *   child unshares, writes /proc/self/timens_offsets, and execve() enters.
 */
uint64_t cell_ns_late_flags(const struct cell_spec *spec)
{
	uint64_t flags = 0;

	for (int i = 0; i < CELL_NS_COUNT; i++) {
		const struct cell_namespace *ns = &spec->linux.namespaces[i];

		if (!ns->present || ns->path || i == CELL_NS_TIME || i == CELL_NS_CGROUP)
			continue;
		flags |= (uint64_t)ns_table[i].clone_flag;
	}
	return flags;
}

uint64_t cell_ns_clone_flags(const struct cell_spec *spec, bool cgroup_at_clone)
{
	const struct cell_namespace *user = &spec->linux.namespaces[CELL_NS_USER];
	const struct cell_namespace *cgroup = &spec->linux.namespaces[CELL_NS_CGROUP];
	uint64_t flags = cell_ns_late_flags(spec);

	/* A user namespace given by path must own the new ones: the child joins it
	 * first and makes them then (setup_namespaces() in process.c). */
	if (user->present && user->path)
		return 0;
	if (cgroup_at_clone && cgroup->present && !cgroup->path)
		flags |= CLONE_NEWCGROUP;
	return flags;
}
