/*
 * cell-init — the container's PID 1 when cell starts it vfork-style.
 *
 * cell's child shares cell's memory until execve (CLONE_VM | CLONE_VFORK,
 * see src/lib/run/container.c): no page table is copied and no page of cell
 * is faulted in again, which is most of what a fork cost a start on a
 * paravirtualised VM. Once the command runs, the child becomes the init in
 * one of two ways:
 *
 * - It execs this program from a sealed memfd: an init with a few pages of
 *   its own (`cell run`, `cell create`: PID 1 may outlive cell, and its
 *   /proc/1/cmdline would be cell's own).
 * - It stays in cell's memory and calls cell_init_serve() from cell's own
 *   copy of this file (built with CELL_INIT_IN_PROCESS; plan.init_in_vm,
 *   `cell judge`): no exec and no address space to build and tear down,
 *   0.5 ms of a judged run on a paravirtualised VM (bench/README.md). It
 *   touches nothing of cell's but its own stack then: no libc, no errno.
 *   It is still "in vfork" of a hop that shares cell's memory too, so the
 *   OOM killer never picks it (a kill of an mm takes every process of it),
 *   and cell's memory is non-dumpable and belongs to cell's user namespace,
 *   which the container's (a new one) holds no capability in: no ptrace,
 *   /proc/1/mem, fd or exe of it is the container's.
 *
 * Either way it does what src/lib/run/init.c does for a forked child: it is
 * non-dumpable before anything else, keeps only CAP_KILL, adopts orphans
 * (PR_SET_CHILD_SUBREAPER, for --share-pid), forwards SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the command, reaps
 * everything, and when the command ends writes its raw wait status to
 * EXIT_FD (if not -1) and sends it to cell as CELL_SYNC_STATUS on SYNC_FD,
 * then exits with the command's code (128+N for signal N).
 *
 *   cell-init COMMAND-PID SYNC-FD EXIT-FD
 *
 * The signals are already blocked (cell's child blocked them before it
 * started the command; execve keeps the mask and what is pending), so a
 * signal sent in between waits for rt_sigtimedwait. Blocked signals are
 * queued for PID 1 even without a handler (sig_ignored() in the kernel).
 *
 * Freestanding: no libc, x86_64 system calls, built by meson.build with
 * -nostdlib and embedded in cell (tools/embed.py). Any failure before the
 * loop exits 125; cell then reports that the container's init failed.
 */
#include <stddef.h>
#include <stdint.h>

#include "init_door.h"
#include "init_serve.h"
#include "sync_msg.h"

#define NR_CLOSE 3
#define NR_IOCTL 16
#define NR_PWRITE64 18
#define NR_GETPID 39
#define NR_SENDTO 44
#define NR_SENDMSG 46
#define NR_LISTEN 50
#define NR_GETSOCKOPT 55
#define NR_OPENAT 257
#define NR_ACCEPT4 288
#define NR_PIDFD_OPEN 434
#define NR_EXIT_GROUP 231
#define NR_KILL 62
#define NR_WAIT4 61
#define NR_CAPSET 126
#define NR_RT_SIGPROCMASK 14
#define NR_RT_SIGTIMEDWAIT 128
#define NR_PRCTL 157
#define NR_FUTEX 202
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_SET_CHILD_SUBREAPER 36
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#define CAPABILITY_VERSION_3 0x20080522
#define CAP_KILL 5
#define SIG_BLOCK 0
#define WNOHANG 1
#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000
#define SIGCHLD 17
#define SIGIO 29
#define ECONNABORTED 103
#define AT_FDCWD -100
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC O_CLOEXEC
#define SOL_SOCKET 1
#define SO_PEERCRED 17
#define SCM_RIGHTS 1
#define PIDFD_GET_NS(nr) (0xFF00 | (nr)) /* _IO(PIDFS_IOCTL_MAGIC, nr), Linux 6.11 */

static const int forwarded[] = { 2 /* INT */,	15 /* TERM */, 1 /* HUP */, 3 /* QUIT */,
				 10 /* USR1 */, 12 /* USR2 */, 28 /* WINCH */ };

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long sys3(long n, long a, long b, long c)
{
	return sys6(n, a, b, c, 0, 0, 0);
}

__attribute__((noreturn)) static void leave(int code)
{
	for (;;)
		sys3(NR_EXIT_GROUP, code, 0, 0);
}

/* gcc may call these for structure copies and zeroing, even freestanding;
 * in cell's own copy they are glibc's, which touch no thread state */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#ifndef CELL_INIT_IN_PROCESS

void *memset(void *s, int c, size_t n)
{
	volatile unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* A decimal int of argv; -2 when it is none. */
static long number(const char *s)
{
	long v = 0, sign = 1;

	if (!s || !*s)
		return -2;
	if (*s == '-') {
		sign = -1;
		s++;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x7fffffff / 10)
			return -2;
		v = v * 10 + (*s - '0');
	}
	return sign * v;
}

#endif

/* "STATUS\n" for `cell wait` of a detached container (init.c's format). */
static void write_exit_status(int fd, int status)
{
	char buf[16];
	size_t i = sizeof(buf);
	unsigned int u = status < 0 ? (unsigned int)-status : (unsigned int)status;

	buf[--i] = '\n';
	do
		buf[--i] = (char)('0' + u % 10);
	while ((u /= 10) && i > 1);
	if (status < 0)
		buf[--i] = '-';
	sys6(NR_PWRITE64, fd, (long)(buf + i), (long)(sizeof(buf) - i), 0, 0, 0);
}

static void send_status(int fd, int status)
{
	struct cell_sync_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = CELL_SYNC_STATUS;
	msg.value = status;
	sys6(NR_SENDTO, fd, (long)&msg, sizeof(msg), MSG_NOSIGNAL, 0, 0);
}

#ifdef CELL_INIT_IN_PROCESS
/*
 * The door (init_door.h) is served by cell's own copy alone: by PID 1 in
 * cell's memory, and by a forked init (cell_init_run()). The exec'd init
 * runs where root may ptrace it and needs none.
 */
/* PIDFD_GET_*_NAMESPACE and /proc/self/ns, in init_door.h's order */
static const unsigned char door_ioctl[CELL_DOOR_NS] = { 9, 3, 5, 4, 2, 10, 1, 7 };
static const char door_proc[CELL_DOOR_NS][24] = {
	"/proc/self/ns/user", "/proc/self/ns/mnt", "/proc/self/ns/pid",	   "/proc/self/ns/net",
	"/proc/self/ns/ipc",  "/proc/self/ns/uts", "/proc/self/ns/cgroup", "/proc/self/ns/time",
};

/* This process's namespaces, root and working directory to @sock, as init_door.h says. */
static void door_give(long sock)
{
	struct cell_door_msg msg = { CELL_DOOR_MAGIC, 0 };
	struct {
		void *base;
		size_t len;
	} iov = { &msg, sizeof(msg) };
	struct { /* a cmsghdr and its fds: 16 + 40 bytes, a multiple of 8 */
		size_t len;
		int level, type;
		int fd[CELL_DOOR_FDS];
	} cm;
	struct {
		void *name;
		long namelen;
		void *iov;
		size_t iovlen;
		void *control;
		size_t controllen;
		long flags;
	} mh = { 0, 0, &iov, 1, &cm, 0, 0 };
	long pidfd = sys3(NR_PIDFD_OPEN, sys3(NR_GETPID, 0, 0, 0), 0, 0);
	int n = 0;

	for (int i = 0; i < CELL_DOOR_FDS; i++) {
		long fd = -1;

		if (i < CELL_DOOR_NS && pidfd >= 0)
			fd = sys3(NR_IOCTL, pidfd, PIDFD_GET_NS(door_ioctl[i]), 0);
		/* before 6.11 (a type the kernel lacks fails both) */
		if (i < CELL_DOOR_NS && fd < 0)
			fd = sys6(NR_OPENAT, AT_FDCWD, (long)door_proc[i], O_CLOEXEC, 0, 0, 0);
		if (i >= CELL_DOOR_NS)
			fd = sys6(NR_OPENAT, AT_FDCWD, (long)(i == CELL_DOOR_ROOT ? "/" : "."),
				  O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
		if (fd >= 0) {
			cm.fd[n++] = (int)fd;
			msg.have |= 1U << i;
		}
	}
	cm.len = 16 + sizeof(int) * (size_t)n;
	cm.level = SOL_SOCKET;
	cm.type = SCM_RIGHTS;
	mh.controllen = n ? (cm.len + 7) & ~(size_t)7 : 0;
	if (!n)
		mh.control = 0;
	/* a fresh connection's queue is empty: this never waits */
	sys3(NR_SENDMSG, sock, (long)&mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n > 0)
		sys3(NR_CLOSE, cm.fd[--n], 0, 0);
	if (pidfd >= 0)
		sys3(NR_CLOSE, pidfd, 0, 0);
}

void cell_init_door_answer(long door, long uid)
{
	/* Listened on by PID 1 itself, so each peer sees PID 1's PID as the
	 * door's (SO_PEERCRED): one another process bound first cannot pass
	 * for. Before cell has bound it (EINVAL) there is nothing to accept. */
	if (sys3(NR_LISTEN, door, CELL_DOOR_BACKLOG, 0) < 0)
		return;
	/* A backlog's worth at a time: then SIGIO again, after the signals below
	 * it (SIGCHLD and those forwarded), so a flood of knocks (anyone's)
	 * never keeps PID 1 from reaping and forwarding. */
	for (int n = 0;; n++) {
		struct {
			int pid;
			unsigned int uid, gid;
		} cred = { 0, ~0U, ~0U };
		unsigned int len = sizeof(cred);
		long sock;

		if (n == CELL_DOOR_BACKLOG) {
			sys3(NR_KILL, sys3(NR_GETPID, 0, 0, 0), SIGIO, 0);
			return;
		}
		sock = sys6(NR_ACCEPT4, door, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0);
		if (sock == -ECONNABORTED)
			continue;
		if (sock < 0) /* EAGAIN: none left */
			return;
		if (sys6(NR_GETSOCKOPT, sock, SOL_SOCKET, SO_PEERCRED, (long)&cred, (long)&len,
			 0) == 0 &&
		    cred.uid == (unsigned int)uid)
			door_give(sock);
		sys3(NR_CLOSE, sock, 0, 0);
	}
}
#endif

/* After the command's start: CAP_KILL or nothing, then the loop. */
void cell_init_serve(long child, long sync_fd, long exit_fd, long door, long door_uid, int *started)
{
	struct {
		uint32_t version;
		int pid;
	} head = { CAPABILITY_VERSION_3, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} caps[2] = { { 1U << CAP_KILL, 1U << CAP_KILL, 0 }, { 0, 0, 0 } };
	uint64_t set = 1ULL << (SIGCHLD - 1);

	/* as init.c: CAP_KILL if it has it, else none (an init that is not root) */
	sys6(NR_PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0);
	if (sys3(NR_CAPSET, (long)&head, (long)caps, 0) < 0) {
		caps[0].effective = caps[0].permitted = 0;
		if (sys3(NR_CAPSET, (long)&head, (long)caps, 0) < 0)
			leave(125);
	}
	sys6(NR_PRCTL, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, 0);
	sys6(NR_PRCTL, PR_SET_NAME, (long)"cell-init", 0, 0, 0, 0);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		set |= 1ULL << (forwarded[i] - 1);
	if (door >= 0) /* blocked by cell before clone: none was lost */
		set |= 1ULL << (SIGIO - 1);
	sys6(NR_RT_SIGPROCMASK, SIG_BLOCK, (long)&set, 0, sizeof(set), 0, 0);
	if (started) { /* cell may go on: nothing of its is touched from here */
		__atomic_store_n(started, CELL_INIT_SERVING, __ATOMIC_RELEASE);
		sys6(NR_FUTEX, (long)started, FUTEX_WAKE, 1, 0, 0, 0);
	}
#ifdef CELL_INIT_IN_PROCESS
	if (door >= 0) /* who knocked before the loop */
		cell_init_door_answer(door, door_uid);
#else
	(void)door_uid;
#endif
	for (;;) {
		unsigned char info[128]; /* siginfo_t: only the number is used */
		long sig = sys6(NR_RT_SIGTIMEDWAIT, (long)&set, (long)info, 0, sizeof(set), 0, 0);

		if (sig < 0)
			continue;
#ifdef CELL_INIT_IN_PROCESS
		if (sig == SIGIO) {
			cell_init_door_answer(door, door_uid);
			continue;
		}
#endif
		if (sig != SIGCHLD) {
			sys3(NR_KILL, child, sig, 0);
			continue;
		}
		for (;;) {
			int status = 0;
			long pid = sys6(NR_WAIT4, -1, (long)&status, WNOHANG, 0, 0, 0);

			if (pid <= 0)
				break;
			if (pid != child)
				continue;
			if (exit_fd >= 0)
				write_exit_status((int)exit_fd, status);
			send_status((int)sync_fd, status);
			/* Leaving ends the namespace: the kernel kills what is left. */
			leave((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f));
		}
	}
}

#ifdef CELL_INIT_IN_PROCESS
void cell_init_await(int *word, int val)
{
	sys6(NR_FUTEX, (long)word, FUTEX_WAIT, val, 0, 0, 0); /* EAGAIN, EINTR: read it again */
}
#else
__attribute__((noreturn, used)) void cell_init_main(long *sp);

__attribute__((noreturn, used)) void cell_init_main(long *sp)
{
	char **argv = (char **)(sp + 1);
	long child, sync_fd, exit_fd;

	/* first: /proc/1/mem and ptrace need CAP_SYS_PTRACE from here on */
	if (sys3(NR_PRCTL, PR_SET_DUMPABLE, 0, 0) < 0)
		leave(125);
	if (sp[0] != 4 || (child = number(argv[1])) <= 0 || (sync_fd = number(argv[2])) < 0 ||
	    (exit_fd = number(argv[3])) < -1)
		leave(125);
	cell_init_serve(child, sync_fd, exit_fd, -1, -1, NULL);
}

/* The kernel's entry: the stack holds argc, argv, envp; align it for the call. */
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call cell_init_main\n"
	"	hlt\n");
#endif
