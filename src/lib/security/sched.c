/*
 * cell — scheduling attributes of the container's process:
 * process.scheduler (sched_setattr(2)), process.ioPriority (ioprio_set(2))
 * and process.execCPUAffinity (sched_setaffinity(2)). Checked before any
 * system change, applied by the child before it drops its capabilities
 * (a real-time policy or the RT I/O class needs CAP_SYS_NICE / CAP_SYS_ADMIN).
 */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security.h"
#include "utils.h"

#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define CELL_SCHED_ISO 4 /* named by the spec; never merged into Linux */

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

/* sched_setattr(2)'s struct, SCHED_ATTR_SIZE_VER1; glibc 2.36 has none. */
struct cell_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

/* SCHED_FLAG_RESET_ON_FORK .. SCHED_FLAG_UTIL_CLAMP_MAX (include/uapi/linux/sched.h) */
#define KNOWN_SCHED_FLAGS 0x7fULL

static const char *skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* One CPU number; @s moves past it. */
static int parse_cpu(const char **s, unsigned long *cpu)
{
	char *end;

	*s = skip_spaces(*s);
	if (!isdigit((unsigned char)**s))
		return -EINVAL;
	errno = 0;
	*cpu = strtoul(*s, &end, 10);
	if (errno || *cpu >= CPU_SETSIZE)
		return -ERANGE;
	*s = skip_spaces(end);
	return 0;
}

/* The format of cpuset.cpus and the spec's example: "0-3,7"; spaces allowed. */
int cell_cpu_list_parse(const char *list, cpu_set_t *set, const char *field, struct cell_error *err)
{
	const char *s = skip_spaces(list);

	CPU_ZERO(set);
	while (*s) {
		unsigned long first = 0, last; /* 0: parse_cpu leaves it unset when it fails */
		int r = parse_cpu(&s, &first);

		last = first;
		if (r == 0 && *s == '-') {
			s++;
			r = parse_cpu(&s, &last);
		}
		if (r == 0 && last < first)
			r = -EINVAL;
		if (r == 0 && *s && *s != ',')
			r = -EINVAL;
		if (r < 0)
			return cell_error_set(err, 0,
					      "%s '%s': expected CPU numbers and ranges "
					      "below %d, e.g. 0-3,7",
					      field, list, CPU_SETSIZE);
		for (unsigned long cpu = first; cpu <= last; cpu++)
			CPU_SET(cpu, set);
		if (*s == ',')
			s = skip_spaces(s + 1);
	}
	return 0;
}

/*
 * An empty list means "the container's default affinity" (config.md): all
 * CPUs, which sched_setaffinity(2) narrows to those of the cpuset cgroup.
 */
int cell_cpu_affinity_apply(const char *list, const char *field, struct cell_error *err)
{
	cpu_set_t set;
	int r;

	if (!list)
		return 0;
	if ((r = cell_cpu_list_parse(list, &set, field, err)) < 0)
		return r;
	if (CPU_COUNT(&set) == 0)
		memset(&set, 0xff, sizeof(set));
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return cell_error_set(err, errno, "%s '%s': sched_setaffinity", field, list);
	return 0;
}

static int check_scheduler(const struct cell_scheduler *s, struct cell_error *err)
{
	bool realtime = s->policy == SCHED_FIFO || s->policy == SCHED_RR;

	if (s->policy == CELL_SCHED_ISO)
		return cell_error_set(err, 0,
				      "process.scheduler.policy SCHED_ISO: the Linux "
				      "kernel has no such policy");
	if (s->policy < 0 || s->policy > SCHED_DEADLINE)
		return cell_error_set(err, 0, "process.scheduler.policy %d: unknown", s->policy);
	if (s->nice < -20 || s->nice > 19)
		return cell_error_set(err, 0, "process.scheduler.nice %d: expected -20 to 19",
				      s->nice);
	if (realtime && (s->priority < 1 || s->priority > 99))
		return cell_error_set(err, 0,
				      "process.scheduler.priority %d: SCHED_FIFO and "
				      "SCHED_RR take 1 to 99",
				      s->priority);
	if (!realtime && s->priority != 0)
		return cell_error_set(err, 0,
				      "process.scheduler.priority %d: only SCHED_FIFO "
				      "and SCHED_RR take a priority (sched(7))",
				      s->priority);
	if (s->flags & ~KNOWN_SCHED_FLAGS)
		return cell_error_set(err, 0, "process.scheduler.flags 0x%llx: unknown flags",
				      (unsigned long long)(s->flags & ~KNOWN_SCHED_FLAGS));
	if (s->policy == SCHED_DEADLINE && s->runtime == 0)
		return cell_error_set(err, 0,
				      "process.scheduler.runtime: SCHED_DEADLINE "
				      "needs a runtime");
	return 0;
}

int cell_sched_check(const struct cell_process *proc, struct cell_error *err)
{
	cpu_set_t set;
	int r;

	if (proc->scheduler.present && (r = check_scheduler(&proc->scheduler, err)) < 0)
		return r;
	if (proc->has_io_priority && (proc->io_priority_class < 1 || proc->io_priority_class > 3))
		return cell_error_set(err, 0,
				      "process.ioPriority.class %d: expected "
				      "IOPRIO_CLASS_RT, _BE or _IDLE",
				      proc->io_priority_class);
	if (proc->has_io_priority && (proc->io_priority < 0 || proc->io_priority > 7))
		return cell_error_set(err, 0,
				      "process.ioPriority.priority %d: expected 0 "
				      "(highest) to 7 (lowest)",
				      proc->io_priority);
	if (proc->exec_cpu_affinity_initial &&
	    (r = cell_cpu_list_parse(proc->exec_cpu_affinity_initial, &set,
				     "process.execCPUAffinity.initial", err)) < 0)
		return r;
	if (proc->exec_cpu_affinity_final &&
	    (r = cell_cpu_list_parse(proc->exec_cpu_affinity_final, &set,
				     "process.execCPUAffinity.final", err)) < 0)
		return r;
	return 0;
}

static int apply_scheduler(const struct cell_scheduler *s, struct cell_error *err)
{
	/* UTIL_CLAMP_* take their values from sched_util_min/max, which the spec
	 * does not carry: they stay 0, as in runc. */
	struct cell_sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = (uint32_t)s->policy,
		.sched_flags = s->flags,
		.sched_nice = s->nice,
		.sched_priority = (uint32_t)s->priority,
		.sched_runtime = s->runtime,
		.sched_deadline = s->deadline,
		.sched_period = s->period,
	};

	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
		int e = errno;
		bool rt = s->policy == SCHED_FIFO || s->policy == SCHED_RR;

		/* sched-rt-group.rst: the usual cause, a v1 cpu cgroup without budget */
		return cell_error_set(
			err, e, "process.scheduler: sched_setattr (policy %d)%s", s->policy,
			e == EPERM && rt ? " (a realtime policy in a v1 "
					   "cpu cgroup needs linux.resources.cpu.realtimeRuntime)"
					 : "");
	}
	return 0;
}

int cell_sched_apply(const struct cell_process *proc, struct cell_error *err)
{
	if (proc->has_io_priority) {
		int value = proc->io_priority_class << IOPRIO_CLASS_SHIFT | proc->io_priority;

		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
			return cell_error_set(err, errno,
					      "process.ioPriority: ioprio_set (class "
					      "%d, priority %d)",
					      proc->io_priority_class, proc->io_priority);
	}
	if (proc->scheduler.present)
		return apply_scheduler(&proc->scheduler, err);
	return 0;
}
