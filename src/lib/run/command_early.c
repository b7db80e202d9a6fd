/*
 * cell — the default seccomp filter loaded while the mounts are made.
 *
 * Loading a filter costs the same whatever is done around it: 0.15-0.25 ms
 * on a small VM (bpf_prog_alloc's vmalloc, the JIT and its image copy, the
 * action cache pass; bench/README.md, "seccomp"), and only the task that
 * calls seccomp(2) gets the filter. Loaded last, right before execve, that
 * time is on every start's critical path. So the task that will execve the
 * command is made as soon as its namespaces, credentials and cgroup are
 * final, loads the filter on the other CPU while this process makes the
 * mounts, and waits; this process then hands it the start and waits in turn
 * (under init, until its execve) or is ended by it (without init, by the
 * execve of another thread of its own: de_thread, execve(2)).
 *
 * The task (the "command task") shares this process's memory. Until the hand
 * over it runs beside this one and so calls no C library function at all
 * (errno, the heap, locks are this process's): raw system calls on its own
 * stack, results in the shared struct below. After the hand over this
 * process makes raw calls only, and the command task goes on as the command
 * under init always did (command.c), sharing init's memory until execve.
 *
 *   under init: a process, init's child (PID 2). No CLONE_FS: cwd and root
 *     are its own after execve as before; pivot_root(2) moves its root with
 *     init's. CLONE_FILES: the pty and the fds opened while it waits are
 *     there; execve gives it its own table (unshare_files).
 *     CLONE_CHILD_CLEARTID: the kernel clears `running` and wakes init when
 *     the command task's execve (or exit) releases the shared memory, as
 *     CLONE_VFORK would.
 *   without init: a thread of this process (CLONE_THREAD, CLONE_FS): its
 *     execve ends this thread and takes over its PID.
 *
 * Only for cell's default profile (no argument rules on the calls the
 * command's setup makes; the list below, which tests/unit/test_seccomp_tree.c
 * runs through every built-in filter) and only when nothing changes this
 * process's namespaces, credentials or cgroup after the command task is
 * made, since it would not follow: not under a joined pid namespace or a
 * mount lock (mount_lock.c unshares), not with chroot(2) (no_pivot), not with
 * startContainer hooks (they would run under the filter).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "run.h"
#include "security.h"
#include "utils.h"

#if !CELL_ASAN && (defined(__x86_64__) || defined(__aarch64__))
#define EARLY_SUPPORTED 1
#else
#define EARLY_SUPPORTED 0
#endif

/* What the command's setup calls after the filter (command.c, child.c:
 * cell_child_fail), before execve. */
const int cell_early_syscalls[] = {
	SYS_read,
	SYS_write,
	SYS_close,
	SYS_close_range,
	SYS_fcntl,
	SYS_dup2,
	SYS_dup3,
	SYS_ioctl,
	SYS_setsid,
	SYS_fchown,
	SYS_fchownat,
	SYS_umask,
	SYS_openat,
	SYS_chdir,
	SYS_fchdir,
	SYS_mkdirat,
	SYS_newfstatat,
	SYS_statx,
	SYS_faccessat,
	SYS_faccessat2,
	SYS_prctl,
	SYS_capget,
	SYS_capset,
	SYS_setgroups,
	SYS_setresgid,
	SYS_setresuid,
	SYS_setrlimit,
	SYS_prlimit64,
	SYS_rt_sigaction,
	SYS_rt_sigprocmask,
	SYS_sched_setaffinity,
	SYS_sched_setscheduler,
	SYS_sched_setattr,
	SYS_ioprio_set,
	SYS_getpid,
	SYS_gettid,
	SYS_futex,
	SYS_mmap,
	SYS_munmap,
	SYS_sendmsg,
	SYS_recvmsg,
	SYS_execve,
	SYS_exit_group,
	SYS_brk,
	-1,
};

#if EARLY_SUPPORTED

enum { EARLY_LOADING, EARLY_GO };

static struct early {
	int state;    /* futex: EARLY_LOADING until the hand over */
	int running;  /* 1 until the command task's execve or exit (CLEARTID) */
	pid_t pid;    /* the command task */
	bool thread;  /* without init: a thread of this process */
	bool keyring; /* join a new session keyring (a->new_keyring) */
	int pdeath;   /* the parent-death signal to set, or 0 */
	struct sock_fprog prog;
	unsigned int flags;
	int load_errno; /* the raw phase's failure */
	const char *load_step;
	/* the hand over */
	const struct cell_child_args *args;
	int slave;
	pid_t host_pid;
} early;

/* A system call without the C library: no errno (this process's), -errno back. */
static long raw6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
			 x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e,
			 x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
#endif
}

#define raw(n, a, b, c, d, e) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static void raw_block_all(sigset_t *old)
{
	sigset_t all;

	/* sigfillset writes memory only; rt_sigprocmask takes the kernel's size */
	sigfillset(&all);
	raw(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8, 0);
}

static void raw_wait_while(int *word, int value)
{
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == value)
		raw(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL);
}

/* The command task's raw phase: everything the filter would refuse, then the filter. */
static void load(struct early *e)
{
	long r;

	if (e->keyring && (r = raw(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0)) < 0 &&
	    r != -ENOSYS) {
		e->load_step = "join a new session keyring";
	} else if (e->pdeath && (r = raw(SYS_prctl, PR_SET_PDEATHSIG, e->pdeath, 0, 0, 0)) < 0) {
		e->load_step = "prctl(PR_SET_PDEATHSIG)";
	} else if ((r = raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0) {
		e->load_step = "prctl(PR_SET_NO_NEW_PRIVS)";
	} else if ((r = raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, e->flags, &e->prog, 0, 0)) < 0) {
		e->load_step = "load the seccomp filter (linux.seccomp)";
	} else {
		r = 0;
	}
	e->load_errno = (int)-r;
}

static int command_task(void *arg)
{
	struct early *e = arg;
	struct cell_error err = { 0 };

	load(e);
	raw_wait_while(&e->state, EARLY_LOADING);
	/* This process alone runs now: the C library is ours until execve. */
	if (e->load_errno) {
		cell_error_set(&err, e->load_errno, "%s", e->load_step);
		cell_child_fail(e->args, &err);
	}
	cell_command_exec_filtered(e->args, e->slave, e->host_pid);
}

bool cell_command_early_possible(const struct cell_child_args *a)
{
	const struct cell_spec *spec = a->spec;
	const struct cell_linux *l = &spec->linux;
	const struct cell_namespace *mnt = &l->namespaces[CELL_NS_MNT];
	const struct cell_namespace *pid = &l->namespaces[CELL_NS_PID];

	return a->seccomp && a->seccomp->is_default && !a->seccomp->notify &&
	       spec->process.no_new_privileges && !a->join_pid && !a->exec_detach &&
	       !a->plan.adopt && !a->plan.lock_mounts && a->plan.setup_rootfs && mnt->present &&
	       !spec->cell.no_pivot && !spec->hooks.n[CELL_HOOK_START_CONTAINER] &&
	       !l->has_personality && !l->memory_policy.present &&
	       (!a->plan.under_init || (pid->present && !pid->path));
}

int cell_command_early_start(const struct cell_child_args *a, struct cell_error *err)
{
	static char stack[256 * 1024] __attribute__((aligned(64)));
	struct early *e = &early;
	int flags = CLONE_VM | CLONE_FILES | CLONE_CHILD_CLEARTID;
	sigset_t old;
	long pid;

	if (e->pid || !cell_command_early_possible(a))
		return 0;
	*e = (struct early){
		.state = EARLY_LOADING,
		.running = 1,
		.thread = !a->plan.under_init,
		.keyring = a->new_keyring,
		.pdeath = !a->plan.under_init && !a->detached ? SIGKILL : 0,
		.prog = { .len = a->seccomp->len, .filter = a->seccomp->filter },
		.flags = a->seccomp->flags,
	};
	if (e->thread)
		flags |= CLONE_THREAD | CLONE_SIGHAND | CLONE_FS | CLONE_SYSVSEM;
	else
		flags |= SIGCHLD;
	/* No handler may run on the command task before it owns the C
	 * library: it starts with every signal blocked (command.c clears the
	 * mask before execve). */
	raw_block_all(&old);
	pid = clone(command_task, stack + sizeof(stack), flags, e, NULL, NULL, &e->running);
	int saved = errno;
	raw(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8, 0);
	if (pid < 0)
		return cell_error_set(err, saved, "start the command's process");
	e->pid = (pid_t)pid;
	return 0;
}

bool cell_command_early_started(void)
{
	return early.pid > 0;
}

pid_t cell_command_early_go(const struct cell_child_args *a, int slave, pid_t host_pid)
{
	struct early *e = &early;
	sigset_t old;

	e->args = a;
	e->slave = slave;
	e->host_pid = host_pid;
	/* From the store on, the command task uses the C library: only raw calls here. */
	raw_block_all(&old);
	__atomic_store_n(&e->state, EARLY_GO, __ATOMIC_RELEASE);
	raw(SYS_futex, &e->state, FUTEX_WAKE, 1, NULL, NULL);
	if (e->thread)
		for (;;) /* the command task's execve or exit ends this thread */
			raw(SYS_futex, &e->state, FUTEX_WAIT, EARLY_GO, NULL, NULL);
	raw_wait_while(&e->running, 1);
	raw(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8, 0);
	return e->pid;
}

#else /* !EARLY_SUPPORTED: the filter is loaded last, by the command */

bool cell_command_early_possible(const struct cell_child_args *a)
{
	(void)a;
	return false;
}

int cell_command_early_start(const struct cell_child_args *a, struct cell_error *err)
{
	(void)a;
	(void)err;
	return 0;
}

bool cell_command_early_started(void)
{
	return false;
}

pid_t cell_command_early_go(const struct cell_child_args *a, int slave, pid_t host_pid)
{
	(void)a;
	(void)slave;
	(void)host_pid;
	return -1;
}

#endif
