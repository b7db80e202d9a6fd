/*
 * cell — linux.memoryPolicy (runtime-spec 1.3, config-linux.md): the NUMA
 * memory policy of the container's process, set with set_mempolicy(2). A
 * task's policy survives fork and execve, so the command and what it starts
 * allocate by it.
 *
 * Checked before any change to the system, with the field in every message;
 * set in the child right before the user change (set_mempolicy needs no
 * privilege, but the sooner it is set the fewer of cell's pages follow the
 * host's policy instead).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security.h"
#include "spec.h"
#include "utils.h"

enum {
	MPOL_DEFAULT_,
	MPOL_PREFERRED_,
	MPOL_BIND_,
	MPOL_INTERLEAVE_,
	MPOL_LOCAL_,
	MPOL_PREFERRED_MANY_,
	MPOL_WEIGHTED_INTERLEAVE_
};

/* The node list as a bit mask (cpu_set_t is one, of CPU_SETSIZE bits). */
static int parse_nodes(const char *nodes, cpu_set_t *set, struct cell_error *err)
{
	if (cell_cpu_list_parse(nodes, set, "linux.memoryPolicy.nodes", err) < 0)
		return cell_error_set(err, 0,
				      "linux.memoryPolicy.nodes '%s': expected node "
				      "numbers and ranges below %d, e.g. 0-1,3",
				      nodes, CPU_SETSIZE);
	return 0;
}

/*
 * Nodes the host has online (/sys/devices/system/node/online, a list like
 * "0-1"); a kernel without NUMA has node 0 only and no such file.
 */
static int online_nodes(cpu_set_t *set, char *text, size_t size, struct cell_error *err)
{
	cleanup_close int fd = open("/sys/devices/system/node/online", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	snprintf(text, size, "0");
	if (fd >= 0 && (n = read(fd, text, size - 1)) > 0) {
		text[n] = '\0';
		text[strcspn(text, "\n")] = '\0';
	}
	return cell_cpu_list_parse(text, set, "/sys/devices/system/node/online", err);
}

static int check_nodes(const struct cell_memory_policy *m, struct cell_error *err)
{
	cpu_set_t want, online;
	char text[256];
	int r;

	if ((r = parse_nodes(m->nodes, &want, err)) < 0)
		return r;
	if (CPU_COUNT(&want) == 0)
		return cell_error_set(err, 0, "linux.memoryPolicy.nodes '%s': no node", m->nodes);
	/* relative nodes are indexes into the allowed set, not node numbers */
	if (m->flags & CELL_MPOL_FLAG(1))
		return 0;
	if ((r = online_nodes(&online, text, sizeof(text), err)) < 0)
		return r;
	for (int node = 0; node < CPU_SETSIZE; node++)
		if (CPU_ISSET(node, &want) && !CPU_ISSET(node, &online))
			return cell_error_set(err, 0,
					      "linux.memoryPolicy.nodes '%s': node %d is not "
					      "online on this host (online: %s)",
					      m->nodes, node, text);
	return 0;
}

int cell_mempolicy_check(const struct cell_memory_policy *m, struct cell_error *err)
{
	const char *mode;
	bool nodes = m->nodes && m->nodes[0];

	if (!m->present)
		return 0;
	mode = cell_mpol_mode_names[m->mode];
	/* set_mempolicy(2): EINVAL for each of these */
	if ((m->mode == MPOL_DEFAULT_ || m->mode == MPOL_LOCAL_) && nodes)
		return cell_error_set(err, 0, "linux.memoryPolicy.nodes '%s': %s takes no nodes",
				      m->nodes, mode);
	if (m->mode == MPOL_DEFAULT_ && m->flags)
		return cell_error_set(err, 0,
				      "linux.memoryPolicy.flags: MPOL_DEFAULT takes no "
				      "flags");
	if (m->mode != MPOL_DEFAULT_ && m->mode != MPOL_LOCAL_ && m->mode != MPOL_PREFERRED_ &&
	    !nodes)
		return cell_error_set(err, 0,
				      "linux.memoryPolicy.nodes: %s needs at least one "
				      "node",
				      mode);
	if ((m->flags & CELL_MPOL_FLAG(1)) && (m->flags & CELL_MPOL_FLAG(2)))
		return cell_error_set(err, 0,
				      "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES "
				      "and MPOL_F_STATIC_NODES exclude each other");
	if ((m->flags & CELL_MPOL_FLAG(0)) && m->mode != MPOL_BIND_ &&
	    m->mode != MPOL_PREFERRED_MANY_)
		return cell_error_set(err, 0,
				      "linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING "
				      "needs MPOL_BIND or MPOL_PREFERRED_MANY");
	return nodes ? check_nodes(m, err) : 0;
}

/* Child side; no heap (it may run in the CLONE_VM child that shares init's). */
int cell_mempolicy_apply(const struct cell_memory_policy *m, struct cell_error *err)
{
	unsigned long mask[CPU_SETSIZE / (8 * sizeof(unsigned long))] = { 0 };
	bool nodes = m->nodes && m->nodes[0];
	cpu_set_t set;
	int r;

	if (!m->present)
		return 0;
	if (nodes) {
		if ((r = parse_nodes(m->nodes, &set, err)) < 0)
			return r;
		for (int node = 0; node < CPU_SETSIZE; node++)
			if (CPU_ISSET(node, &set))
				mask[node / (8 * sizeof(long))] |= 1UL
								   << (node % (8 * sizeof(long)));
	}
	/* maxnode counts one past the last bit the kernel reads (mm/mempolicy.c get_nodes) */
	if (syscall(SYS_set_mempolicy, m->mode | (int)m->flags, nodes ? mask : NULL,
		    nodes ? (unsigned long)CPU_SETSIZE + 1 : 0UL) < 0)
		return cell_error_set(err, errno, "linux.memoryPolicy: set_mempolicy(%s%s%s)",
				      cell_mpol_mode_names[m->mode], nodes ? ", nodes " : "",
				      nodes ? m->nodes : "");
	return 0;
}
