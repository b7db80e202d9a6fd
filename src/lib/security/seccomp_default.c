/*
 * cell — the default seccomp profile, as data: the semantics of Moby's and
 * containers-common's default (an allow-list by syscall name, some entries
 * conditional on a capability of the bounding set, argument rules for clone,
 * socket and personality; everything else fails with EPERM, syscalls newer
 * than the profile with ENOSYS, see seccomp.c). Written here from those
 * semantics, with these differences:
 *
 * - io_uring_setup/enter/register are not allowed: io_uring bypasses the
 *   filter for the operations it submits and has been the kernel's most
 *   exploited interface (Google's kCTF, 2023; containers-common dropped it).
 * - glibc's newer syscalls (fchmodat2, map_shadow_stack, futex2, mseal,
 *   cachestat) are allowed, so a new glibc inside does not get EPERM for them.
 * - ptrace and process_vm_* are allowed without CAP_SYS_PTRACE, as Moby does
 *   on kernels >= 4.8 (older kernels let ptrace bypass seccomp; cell needs
 *   clone3, 5.3, anyway).
 *
 * Closed by default, because no entry allows them: keyctl, add_key,
 * request_key (the kernel keyrings are not namespaced), userfaultfd (stalls
 * kernel threads on a fault: a race-exploit primitive), kexec_*,
 * open_by_handle_at without CAP_DAC_READ_SEARCH (the "shocker" escape),
 * mount, umount2, unshare, setns and namespace flags of clone/clone3
 * without CAP_SYS_ADMIN: above all a new user namespace, in which the
 * process would be root and could mount the v1 cgroup hierarchies and lift
 * its own limits (issue 18), perf_event_open and bpf without CAP_PERFMON,
 * CAP_BPF or CAP_SYS_ADMIN, module loading without CAP_SYS_MODULE.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>

#include "security.h"
#include "spec.h"
#include "utils.h"

#define CAP(c) (1ULL << CAP_##c)
#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARCHES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* An entry of the table: Docker's syscalls[] element, with at most one arg. */
struct default_rule {
	const char *const *names;
	enum cell_seccomp_action action;
	uint32_t errno_ret; /* 0: the action's default */
	bool has_arg;
	struct cell_seccomp_arg arg;
	struct cell_seccomp_cond cond;
};

/* clone(2) flags that make namespaces: allowed with CAP_SYS_ADMIN only. */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)
#define ARG(i, o, v)                                                                               \
	.has_arg = true, .arg = { .index = (i), .op = CELL_SECCOMP_OP_##o, .value = (v) }
#define ALLOW .action = CELL_SECCOMP_ALLOW
#define AF_VSOCK_NR 40 /* address_families(7): vsock talks to the hypervisor */

static const struct default_rule rules[] = {
	{ NAMES("accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
		"capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
		"clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
		"clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
		"close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
		"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
		"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
		"execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
		"fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
		"fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
		"fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
		"fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
		"futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
		"futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
		"geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
		"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
		"getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
		"getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
		"get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
		"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
		"io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
		"io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc",
		"kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
		"lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
		"llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
		"madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
		"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
		"mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
		"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
		"mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
		"munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
		"_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
		"pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
		"poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
		"prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev",
		"pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read",
		"readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
		"recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
		"renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
		"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
		"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
		"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
		"sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
		"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
		"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
		"semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
		"sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
		"setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
		"setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
		"setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
		"set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address",
		"setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
		"sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
		"socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
		"symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
		"time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
		"timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
		"timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
		"times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
		"unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
		"vmsplice", "wait4", "waitid", "waitpid", "write", "writev"),
	  ALLOW },
	{ NAMES("socket"), ALLOW, ARG(0, NE, AF_VSOCK_NR) },
	/* personality(2): Linux, with UNAME26 and ADDR_NO_RANDOMIZE, and the query */
	{ NAMES("personality"), ALLOW, ARG(0, EQ, 0x0) },
	{ NAMES("personality"), ALLOW, ARG(0, EQ, 0x8) },
	{ NAMES("personality"), ALLOW, ARG(0, EQ, 0x20000) },
	{ NAMES("personality"), ALLOW, ARG(0, EQ, 0x20008) },
	{ NAMES("personality"), ALLOW, ARG(0, EQ, 0xffffffff) },
	/* architecture-specific calls */
	{ NAMES("sync_file_range2", "swapcontext"), ALLOW,
	  .cond = { .includes_arches = ARCHES("ppc64le") } },
	{ NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
		"cacheflush", "set_tls"),
	  ALLOW, .cond = { .includes_arches = ARCHES("arm", "arm64") } },
	{ NAMES("arch_prctl"), ALLOW, .cond = { .includes_arches = ARCHES("amd64", "x32") } },
	{ NAMES("modify_ldt"), ALLOW,
	  .cond = { .includes_arches = ARCHES("amd64", "x32", "x86") } },
	{ NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"), ALLOW,
	  .cond = { .includes_arches = ARCHES("s390", "s390x") } },
	{ NAMES("riscv_flush_icache"), ALLOW, .cond = { .includes_arches = ARCHES("riscv64") } },
	/* what a capability allows, the call that needs it is allowed too */
	{ NAMES("open_by_handle_at"), ALLOW, .cond = { .includes_caps = CAP(DAC_READ_SEARCH) } },
	{ NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
		"fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
		"perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
		"setns", "syslog", "umount", "umount2", "unshare"),
	  ALLOW, .cond = { .includes_caps = CAP(SYS_ADMIN) } },
	/* clone without CAP_SYS_ADMIN: no namespace flags (s390 swaps the first two args) */
	{ NAMES("clone"), ALLOW, ARG(0, MASKED_EQ, CLONE_NS_FLAGS),
	  .cond = { .excludes_caps = CAP(SYS_ADMIN), .excludes_arches = ARCHES("s390", "s390x") } },
	{ NAMES("clone"), ALLOW, ARG(1, MASKED_EQ, CLONE_NS_FLAGS),
	  .cond = { .excludes_caps = CAP(SYS_ADMIN), .includes_arches = ARCHES("s390", "s390x") } },
	/* clone3's flags are in memory, out of a filter's reach: ENOSYS, and glibc
	 * falls back to clone, whose flags the rule above checks */
	{ NAMES("clone3"), .action = CELL_SECCOMP_ERRNO, .errno_ret = ENOSYS,
	  .cond = { .excludes_caps = CAP(SYS_ADMIN) } },
	{ NAMES("reboot"), ALLOW, .cond = { .includes_caps = CAP(SYS_BOOT) } },
	{ NAMES("chroot"), ALLOW, .cond = { .includes_caps = CAP(SYS_CHROOT) } },
	{ NAMES("delete_module", "init_module", "finit_module"), ALLOW,
	  .cond = { .includes_caps = CAP(SYS_MODULE) } },
	{ NAMES("acct"), ALLOW, .cond = { .includes_caps = CAP(SYS_PACCT) } },
	{ NAMES("kcmp", "pidfd_getfd", "process_madvise"), ALLOW,
	  .cond = { .includes_caps = CAP(SYS_PTRACE) } },
	{ NAMES("iopl", "ioperm"), ALLOW, .cond = { .includes_caps = CAP(SYS_RAWIO) } },
	{ NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"), ALLOW,
	  .cond = { .includes_caps = CAP(SYS_TIME) } },
	{ NAMES("vhangup"), ALLOW, .cond = { .includes_caps = CAP(SYS_TTY_CONFIG) } },
	{ NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"), ALLOW,
	  .cond = { .includes_caps = CAP(SYS_NICE) } },
	{ NAMES("syslog"), ALLOW, .cond = { .includes_caps = CAP(SYSLOG) } },
	{ NAMES("bpf"), ALLOW, .cond = { .includes_caps = CAP(BPF) } },
	{ NAMES("perf_event_open"), ALLOW, .cond = { .includes_caps = CAP(PERFMON) } },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))
_Static_assert(N_RULES <= 64, "the applied entries are a 64-bit mask");

/* Moby's archMap: the architectures a filter covers on each native one. */
static const struct {
	const char *arch;
	const char *const *with;
} arch_map[] = {
	{ "SCMP_ARCH_X86_64", ARCHES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32") },
	{ "SCMP_ARCH_AARCH64", ARCHES("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM") },
	{ "SCMP_ARCH_S390X", ARCHES("SCMP_ARCH_S390X", "SCMP_ARCH_S390") },
	{ "SCMP_ARCH_RISCV64", ARCHES("SCMP_ARCH_RISCV64") },
	{ "SCMP_ARCH_PPC64LE", ARCHES("SCMP_ARCH_PPC64LE") },
	{ "SCMP_ARCH_X86", ARCHES("SCMP_ARCH_X86") },
	{ "SCMP_ARCH_ARM", ARCHES("SCMP_ARCH_ARM") },
};

/* The default profile's architectures here; NULL: libseccomp's native one only. */
static const char *const *default_arches(void)
{
	const char *native = cell_seccomp_native_arch();

	for (size_t i = 0; native && i < sizeof(arch_map) / sizeof(arch_map[0]); i++)
		if (!strcmp(arch_map[i].arch, native))
			return arch_map[i].with;
	return NULL;
}

uint64_t cell_seccomp_default_applied(uint64_t caps)
{
	const char *arch = cell_seccomp_native_goarch();
	uint64_t applied = 0;

	for (size_t i = 0; i < N_RULES; i++)
		if (cell_seccomp_cond_holds(&rules[i].cond, caps, arch))
			applied |= 1ULL << i;
	return applied;
}

static int copy_rule(const struct default_rule *d, struct cell_seccomp_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->action = d->action;
	r->has_errno_ret = d->errno_ret != 0;
	r->errno_ret = d->errno_ret;
	if (!(r->names = cell_strv_dup((char *const *)d->names)))
		return -ENOMEM;
	if (!d->has_arg)
		return 0;
	if (!(r->args = malloc(sizeof(*r->args))))
		return -ENOMEM;
	r->args[0] = d->arg;
	r->n_args = 1;
	return 0;
}

int cell_seccomp_default(uint64_t caps, struct cell_seccomp *out, struct cell_error *err)
{
	uint64_t applied = cell_seccomp_default_applied(caps);
	const char *const *arches = default_arches();

	cell_seccomp_free(out);
	out->present = true;
	/* SCMP_ACT_ERRNO is EPERM without defaultErrnoRet, which is runtime-spec
	 * 1.1: a bundle from `cell spec` stays 1.0.2, for runtimes that know only 1.0 */
	out->default_action = CELL_SECCOMP_ERRNO;
	if (arches && !(out->architectures = cell_strv_dup((char *const *)arches)))
		goto nomem;
	out->syscalls = calloc((size_t)__builtin_popcountll(applied), sizeof(*out->syscalls));
	if (!out->syscalls)
		goto nomem;
	for (size_t i = 0; i < N_RULES; i++) {
		if (!(applied & (1ULL << i)))
			continue;
		out->n_syscalls++;
		if (copy_rule(&rules[i], &out->syscalls[out->n_syscalls - 1]) < 0)
			goto nomem;
	}
	return 0;
nomem:
	cell_seccomp_free(out);
	return cell_error_set(err, ENOMEM, "linux.seccomp: the default profile");
}

static bool strv_equal(char *const *a, const char *const *b)
{
	size_t i = 0;

	for (; a && a[i] && b && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return !(a && a[i]) && !(b && b[i]);
}

static bool rule_equal(const struct cell_seccomp_rule *r, const struct default_rule *d)
{
	if (r->action != d->action || r->n_args != (d->has_arg ? 1u : 0u) ||
	    r->has_errno_ret != (d->errno_ret != 0) ||
	    (d->errno_ret && r->errno_ret != d->errno_ret))
		return false;
	if (d->has_arg &&
	    (r->args[0].index != d->arg.index || r->args[0].op != d->arg.op ||
	     r->args[0].value != d->arg.value || r->args[0].value_two != d->arg.value_two))
		return false;
	return strv_equal(r->names, d->names);
}

bool cell_seccomp_default_match(const struct cell_seccomp *s, uint64_t *applied)
{
	size_t k = 0;

	*applied = 0;
	if (!s->present || s->default_action != CELL_SECCOMP_ERRNO || s->has_default_errno_ret ||
	    (s->flags && s->flags[0]) || s->listener_path || s->listener_metadata ||
	    !strv_equal(s->architectures, default_arches()))
		return false;
	/* The table's entries in order, each there or not: no two neighbours are equal. */
	for (size_t i = 0; i < N_RULES && k < s->n_syscalls; i++) {
		if (rule_equal(&s->syscalls[k], &rules[i])) {
			*applied |= 1ULL << i;
			k++;
		}
	}
	return k == s->n_syscalls;
}
