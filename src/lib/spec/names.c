/*
 * cell — the names of spec values: the strings config.json uses for hooks,
 * rlimits, seccomp actions and operators, capabilities and memory policies,
 * and the default capability set. A leaf (it uses nothing of cell), so the
 * parser, the writer and the subsystems that print a name share one table
 * without depending on each other.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "spec.h"

/* ---- capabilities (capabilities(7)) ---- */

static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};
#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int cell_cap_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (int i = 0; i < N_CAP_NAMES; i++)
		if (!strcasecmp(name, cap_names[i]))
			return i;
	return -1;
}

const char *cell_cap_name(int cap)
{
	return cap >= 0 && cap < N_CAP_NAMES ? cap_names[cap] : NULL;
}

/* docker's and runc's default set. */
uint64_t cell_caps_default(void)
{
	static const int caps[] = {
		CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
		CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
		CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
		CAP_KILL,    CAP_AUDIT_WRITE
	};
	uint64_t mask = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		mask |= 1ULL << caps[i];
	return mask;
}

/* ---- rlimits (getrlimit(2)) ---- */

const char *const cell_rlimit_names[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = "RLIMIT_CPU",	       [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA",	       [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE",	       [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

const char *cell_rlimit_name(int resource)
{
	return resource >= 0 && resource < RLIM_NLIMITS ? cell_rlimit_names[resource] : NULL;
}

/* ---- hooks (config.md, "POSIX-platform Hooks") ---- */

const char *const cell_hook_names[CELL_HOOK_KIND_COUNT] = {
	[CELL_HOOK_PRESTART] = "prestart",
	[CELL_HOOK_CREATE_RUNTIME] = "createRuntime",
	[CELL_HOOK_CREATE_CONTAINER] = "createContainer",
	[CELL_HOOK_START_CONTAINER] = "startContainer",
	[CELL_HOOK_POSTSTART] = "poststart",
	[CELL_HOOK_POSTSTOP] = "poststop",
};

const char *cell_hook_kind_name(enum cell_hook_kind kind)
{
	return kind < CELL_HOOK_KIND_COUNT ? cell_hook_names[kind] : "?";
}

/* ---- seccomp (config-linux.md, "Seccomp") ---- */

const char *const cell_seccomp_action_names[CELL_SECCOMP_N_ACTIONS] = {
	[CELL_SECCOMP_KILL] = "SCMP_ACT_KILL",
	[CELL_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[CELL_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[CELL_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
	[CELL_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
	[CELL_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
	[CELL_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
	[CELL_SECCOMP_LOG] = "SCMP_ACT_LOG",
	[CELL_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *const cell_seccomp_op_names[CELL_SECCOMP_N_OPS] = {
	[CELL_SECCOMP_OP_NE] = "SCMP_CMP_NE",
	[CELL_SECCOMP_OP_LT] = "SCMP_CMP_LT",
	[CELL_SECCOMP_OP_LE] = "SCMP_CMP_LE",
	[CELL_SECCOMP_OP_EQ] = "SCMP_CMP_EQ",
	[CELL_SECCOMP_OP_GE] = "SCMP_CMP_GE",
	[CELL_SECCOMP_OP_GT] = "SCMP_CMP_GT",
	[CELL_SECCOMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *cell_seccomp_action_name(enum cell_seccomp_action a)
{
	return (size_t)a < CELL_SECCOMP_N_ACTIONS ? cell_seccomp_action_names[a] : "?";
}

const char *cell_seccomp_op_name(enum cell_seccomp_op op)
{
	return (size_t)op < CELL_SECCOMP_N_OPS ? cell_seccomp_op_names[op] : "?";
}

/* ---- memory policy (linux.memoryPolicy) ---- */

/* set_mempolicy(2), linux/mempolicy.h: the index is the mode's value. */
const char *const cell_mpol_mode_names[] = {
	"MPOL_DEFAULT",
	"MPOL_PREFERRED",
	"MPOL_BIND",
	"MPOL_INTERLEAVE",
	"MPOL_LOCAL",
	"MPOL_PREFERRED_MANY",
	"MPOL_WEIGHTED_INTERLEAVE",
	NULL,
};

/* Mode flags, or'ed into the mode: index i is bit 13 + i (linux/mempolicy.h). */
const char *const cell_mpol_flag_names[] = {
	"MPOL_F_NUMA_BALANCING",
	"MPOL_F_RELATIVE_NODES",
	"MPOL_F_STATIC_NODES",
	NULL,
};

int cell_mpol_flag_from_name(const char *name, unsigned *flag)
{
	for (int i = 0; cell_mpol_flag_names[i]; i++)
		if (!strcmp(name, cell_mpol_flag_names[i])) {
			*flag = CELL_MPOL_FLAG(i);
			return 0;
		}
	return -EINVAL;
}
