/*
 * cell — linux.seccomp: the filter is compiled with libseccomp in the
 * parent, before clone3, and loaded by the child with seccomp(2) as its last
 * step before execve. Compiling early means a profile error is reported
 * before anything is created, and the child (which may share init's memory
 * until execve, see process.c) never allocates.
 *
 * Like runc: a syscall name this libseccomp does not know is skipped (it
 * cannot be called on this kernel anyway, and a profile written for a newer
 * kernel must still load); a rule whose action is the default action is
 * skipped (libseccomp refuses it, and it changes nothing); when a rule has
 * several args with the same index, each arg becomes a rule of its own
 * (libseccomp would otherwise demand all of them at once, which can never
 * match two EQ values of one argument).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "security.h"
#include "spec.h"
#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Every architecture the runtime spec names; token 0: this libseccomp lacks it. */
static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#else
	{ "SCMP_ARCH_LOONGARCH64", 0 },
#endif
#ifdef SCMP_ARCH_M68K
	{ "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#else
	{ "SCMP_ARCH_M68K", 0 },
#endif
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
#ifdef SCMP_ARCH_SH
	{ "SCMP_ARCH_SH", SCMP_ARCH_SH },
	{ "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#else
	{ "SCMP_ARCH_SH", 0 },
	{ "SCMP_ARCH_SHEB", 0 },
#endif
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
};

/* seccomp(2) flags the spec names; cell passes them to the kernel itself. */
static const struct {
	const char *name;
	unsigned int flag;
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* seccomp(2) passes six syscall arguments to a filter. */
#define MAX_ARGS 6

int cell_seccomp_arch_from_name(const char *name, uint32_t *token)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		if (strcmp(name, arches[i].name))
			continue;
		*token = arches[i].token;
		return arches[i].token ? 0 : -EOPNOTSUPP;
	}
	return -EINVAL;
}

int cell_seccomp_flag_from_name(const char *name, unsigned int *flag)
{
	for (size_t i = 0; i < sizeof(filter_flags) / sizeof(filter_flags[0]); i++) {
		if (!strcmp(name, filter_flags[i].name)) {
			*flag = filter_flags[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}

bool cell_seccomp_uses_notify(const struct cell_seccomp *s)
{
	for (size_t i = 0; i < s->n_syscalls; i++)
		if (s->syscalls[i].action == CELL_SECCOMP_NOTIFY)
			return true;
	return false;
}

/*
 * The syscalls cell itself makes between loading the filter and execve: the
 * listener handover (sendmsg, recvmsg, close), the start wait (read), a
 * failed execve's report (write, sendmsg) and the exit (exit_group, exit).
 * A NOTIFY on them waits for a listener that does not have the fd yet, or
 * that has gone once `cell create` returned: the start hangs, or a failure
 * is never told. runc refuses write for the first reason
 * (libcontainer/seccomp/seccomp_linux.go, InitSeccomp); cell's own channel
 * needs the others too.
 */
static bool notify_would_deadlock(const char *name)
{
	static const char *const cells_own[] = { "sendmsg", "recvmsg", "read",	    "write",
						 "close",   "exit",    "exit_group" };

	for (size_t i = 0; i < sizeof(cells_own) / sizeof(cells_own[0]); i++)
		if (!strcmp(name, cells_own[i]))
			return true;
	return false;
}

static int check_rule(const struct cell_seccomp_rule *rule, size_t i, struct cell_error *err)
{
	if ((unsigned int)rule->action > CELL_SECCOMP_NOTIFY)
		return cell_error_set(err, 0,
				      "linux.seccomp.syscalls[%zu].action: unknown "
				      "action %d",
				      i, (int)rule->action);
	if (rule->has_errno_ret && rule->action != CELL_SECCOMP_ERRNO &&
	    rule->action != CELL_SECCOMP_TRACE)
		return cell_error_set(err, 0,
				      "linux.seccomp.syscalls[%zu].errnoRet: %s "
				      "takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
				      i, cell_seccomp_action_name(rule->action));
	if (!rule->names || !rule->names[0])
		return cell_error_set(err, 0, "linux.seccomp.syscalls[%zu].names: empty", i);
	for (size_t j = 0; rule->action == CELL_SECCOMP_NOTIFY && rule->names[j]; j++)
		if (notify_would_deadlock(rule->names[j]))
			return cell_error_set(err, 0,
					      "linux.seccomp.syscalls[%zu]: "
					      "SCMP_ACT_NOTIFY on %s: cell makes it itself before "
					      "execve, and no listener may have the fd yet",
					      i, rule->names[j]);
	for (size_t j = 0; j < rule->n_args; j++) {
		if (rule->args[j].index >= MAX_ARGS)
			return cell_error_set(err, 0,
					      "linux.seccomp.syscalls[%zu].args[%zu]."
					      "index %u: expected 0 to 5",
					      i, j, rule->args[j].index);
		if ((unsigned int)rule->args[j].op > CELL_SECCOMP_OP_MASKED_EQ)
			return cell_error_set(err, 0,
					      "linux.seccomp.syscalls[%zu].args[%zu]."
					      "op: unknown operator",
					      i, j);
	}
	return 0;
}

int cell_seccomp_check(const struct cell_seccomp *s, struct cell_error *err)
{
	uint32_t token;
	unsigned int flag;
	int r;

	if (!s->present)
		return 0;
	if ((unsigned int)s->default_action > CELL_SECCOMP_NOTIFY)
		return cell_error_set(err, 0, "linux.seccomp.defaultAction: unknown action");
	if (s->default_action == CELL_SECCOMP_NOTIFY)
		return cell_error_set(err, 0,
				      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY "
				      "would stop cell before it hands the listener fd over");
	if (s->has_default_errno_ret && s->default_action != CELL_SECCOMP_ERRNO &&
	    s->default_action != CELL_SECCOMP_TRACE)
		return cell_error_set(err, 0,
				      "linux.seccomp.defaultErrnoRet: %s takes no "
				      "errno",
				      cell_seccomp_action_name(s->default_action));
	for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
		r = cell_seccomp_arch_from_name(s->architectures[i], &token);
		if (r == -EOPNOTSUPP)
			return cell_error_set(err, 0,
					      "linux.seccomp.architectures[%zu] "
					      "%s: not supported by this libseccomp",
					      i, s->architectures[i]);
		if (r < 0)
			return cell_error_set(err, 0,
					      "linux.seccomp.architectures[%zu]: "
					      "unknown architecture '%s'",
					      i, s->architectures[i]);
	}
	for (size_t i = 0; s->flags && s->flags[i]; i++)
		if (cell_seccomp_flag_from_name(s->flags[i], &flag) < 0)
			return cell_error_set(err, 0,
					      "linux.seccomp.flags[%zu]: unknown flag "
					      "'%s'",
					      i, s->flags[i]);
	for (size_t i = 0; i < s->n_syscalls; i++)
		if ((r = check_rule(&s->syscalls[i], i, err)) < 0)
			return r;
	if (s->listener_metadata && !s->listener_path)
		return cell_error_set(err, 0,
				      "linux.seccomp.listenerMetadata: set without "
				      "listenerPath");
	if (cell_seccomp_uses_notify(s) && (!s->listener_path || !s->listener_path[0]))
		return cell_error_set(err, 0,
				      "linux.seccomp: SCMP_ACT_NOTIFY needs "
				      "listenerPath");
	return 0;
}

uint32_t cell_seccomp_ret(enum cell_seccomp_action action, bool has_errno, uint32_t errno_ret)
{
	uint16_t data = has_errno ? (uint16_t)errno_ret : EPERM;

	switch (action) {
	case CELL_SECCOMP_KILL:
	case CELL_SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case CELL_SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case CELL_SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case CELL_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO(data);
	case CELL_SECCOMP_TRACE:
		return SCMP_ACT_TRACE(data);
	case CELL_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case CELL_SECCOMP_NOTIFY:
		return SCMP_ACT_NOTIFY;
	case CELL_SECCOMP_ALLOW:
		break;
	}
	return SCMP_ACT_ALLOW;
}

static struct scmp_arg_cmp arg_cmp(const struct cell_seccomp_arg *a)
{
	static const enum scmp_compare ops[] = {
		[CELL_SECCOMP_OP_NE] = SCMP_CMP_NE,
		[CELL_SECCOMP_OP_LT] = SCMP_CMP_LT,
		[CELL_SECCOMP_OP_LE] = SCMP_CMP_LE,
		[CELL_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
		[CELL_SECCOMP_OP_GE] = SCMP_CMP_GE,
		[CELL_SECCOMP_OP_GT] = SCMP_CMP_GT,
		[CELL_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};

	/* MASKED_EQ: (arg & value) == valueTwo; the others ignore valueTwo. */
	return (struct scmp_arg_cmp){
		.arg = a->index, .op = ops[a->op], .datum_a = a->value, .datum_b = a->value_two
	};
}

bool cell_seccomp_args_split(const struct cell_seccomp_rule *rule)
{
	unsigned int seen = 0;

	for (size_t i = 0; i < rule->n_args; i++) {
		if (seen & (1U << rule->args[i].index))
			return true;
		seen |= 1U << rule->args[i].index;
	}
	return false;
}

static int add_syscall(scmp_filter_ctx ctx, const struct cell_seccomp_rule *rule, uint32_t act,
		       int nr)
{
	struct scmp_arg_cmp conds[MAX_ARGS];
	int r;

	if (!cell_seccomp_args_split(rule)) {
		for (size_t i = 0; i < rule->n_args; i++)
			conds[i] = arg_cmp(&rule->args[i]);
		return seccomp_rule_add_array(ctx, act, nr, (unsigned int)rule->n_args, conds);
	}
	for (size_t i = 0; i < rule->n_args; i++) {
		conds[0] = arg_cmp(&rule->args[i]);
		if ((r = seccomp_rule_add_array(ctx, act, nr, 1, conds)) < 0)
			return r;
	}
	return 0;
}

/* The rules of @s into @ctx; how many were added, or -errno. */
static int add_rules(scmp_filter_ctx ctx, const struct cell_seccomp *s, uint32_t default_act,
		     struct cell_error *err)
{
	int added = 0;

	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct cell_seccomp_rule *rule = &s->syscalls[i];
		uint32_t act = cell_seccomp_ret(rule->action, rule->has_errno_ret, rule->errno_ret);

		if (act == default_act)
			continue;
		for (size_t j = 0; rule->names[j]; j++) {
			int nr = seccomp_syscall_resolve_name(rule->names[j]);
			int r;

			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown to this libseccomp: skipped, as runc does */
			if ((r = add_syscall(ctx, rule, act, nr)) < 0)
				return cell_error_set(err, -r,
						      "linux.seccomp.syscalls[%zu]: add "
						      "rule for %s",
						      i, rule->names[j]);
			added++;
		}
	}
	return added;
}

/* libseccomp 2.5 exports BPF only to an fd: a memfd, read back at once. */
static int export_bpf(scmp_filter_ctx ctx, struct cell_seccomp_prog *prog, struct cell_error *err)
{
	cleanup_close int fd = memfd_create("cell-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return cell_error_set(err, errno, "memfd for the seccomp filter");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return cell_error_set(err, -r, "linux.seccomp: generate the filter");
	if (fstat(fd, &st) < 0)
		return cell_error_set(err, errno, "stat the seccomp filter");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return cell_error_set(err, E2BIG,
				      "linux.seccomp: the filter has %lld bytes, "
				      "the kernel takes %d instructions",
				      (long long)st.st_size, BPF_MAXINSNS);
	prog->filter = malloc((size_t)st.st_size);
	if (!prog->filter)
		return cell_error_set(err, ENOMEM, "seccomp filter");
	if (pread(fd, prog->filter, (size_t)st.st_size, 0) != st.st_size)
		return cell_error_set(err, errno ?: EIO, "read the seccomp filter back");
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
}

/*
 * ENOSYS for syscalls newer than the profile. A deny-by-default filter would
 * give a syscall it has never heard of EPERM, and glibc falls back to an
 * older call only on ENOSYS (clone3 -> clone, fchmodat2 -> fchmodat, ...).
 * libseccomp has no "unknown syscall" action, so, as runc and crun do, a
 * stub runs before libseccomp's program: per architecture, a number above
 * the highest one any rule names returns ENOSYS; everything else falls
 * through to the profile.
 */
#define X32_SYSCALL_BIT 0x40000000U

struct enosys_arch {
	uint32_t audit_arch; /* what seccomp_data.arch holds (SCMP_ARCH_* are AUDIT_ARCH_*) */
	int max;	     /* highest number the rules name, -1: none */
	int max_x32;	     /* x86_64 only: the same among x32 numbers (X32_SYSCALL_BIT set) */
};

bool cell_seccomp_denies_by_default(const struct cell_seccomp *s)
{
	switch (s->default_action) {
	case CELL_SECCOMP_ERRNO:
		return !s->has_default_errno_ret || s->default_errno_ret != ENOSYS;
	case CELL_SECCOMP_KILL:
	case CELL_SECCOMP_KILL_PROCESS:
	case CELL_SECCOMP_KILL_THREAD:
	case CELL_SECCOMP_TRAP:
		return true;
	default:
		return false;
	}
}

int cell_seccomp_max_syscall(const struct cell_seccomp *s, uint32_t token)
{
	int max = -1;

	for (size_t i = 0; i < s->n_syscalls; i++)
		for (size_t j = 0; s->syscalls[i].names[j]; j++) {
			int nr = seccomp_syscall_resolve_name_arch(token, s->syscalls[i].names[j]);

			if (nr > max) /* negative: unknown, or a multiplexed pseudo number */
				max = nr;
		}
	return max;
}

size_t cell_seccomp_tokens(const struct cell_seccomp *s, uint32_t *tokens, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return 0;
	tokens[n++] = seccomp_arch_native();
	for (size_t i = 0; s->architectures && s->architectures[i] && n < size; i++) {
		size_t k = 0;

		if (cell_seccomp_arch_from_name(s->architectures[i], &tokens[n]) < 0)
			continue;
		while (tokens[k] != tokens[n])
			k++;
		n += k == n; /* a new one */
	}
	return n;
}

/* The architectures the filter covers, x32 folded into x86_64's audit arch. */
static size_t enosys_arches(const struct cell_seccomp *s, struct enosys_arch *out, size_t size)
{
	uint32_t tokens[32];
	size_t n_tokens = cell_seccomp_tokens(s, tokens, 32), n = 0;

	for (size_t i = 0; i < n_tokens; i++) {
		bool x32 = tokens[i] == SCMP_ARCH_X32;
		uint32_t audit = x32 ? SCMP_ARCH_X86_64 : tokens[i];
		size_t k = 0;

		while (k < n && out[k].audit_arch != audit)
			k++;
		if (k == n) {
			if (n == size)
				continue;
			out[n++] = (struct enosys_arch){ audit, -1, -1 };
		}
		if (x32)
			out[k].max_x32 = cell_seccomp_max_syscall(s, tokens[i]);
		else
			out[k].max = cell_seccomp_max_syscall(s, tokens[i]);
	}
	return n;
}

/* One architecture's instructions in the stub. */
static size_t enosys_block_len(const struct enosys_arch *a)
{
	return a->max_x32 >= 0 ? 7 : 4;
}

/*
 * One architecture's block at @f: @main and @enosys are the targets'
 * distances from the block's first instruction. A holds the architecture;
 * a mismatch goes on to the next block with A unchanged.
 */
static void enosys_block(const struct enosys_arch *a, struct sock_filter *f, size_t main,
			 size_t enosys)
{
	uint32_t max = a->max >= 0 ? (uint32_t)a->max : UINT32_MAX;
	size_t len = enosys_block_len(a), n = 0;

	/* BPF jumps count from the next instruction. */
#define JUMP(op, k, jt, jf)                                                                        \
	(f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | (op) | BPF_K, (k),                          \
					     (unsigned char)((jt) ? (jt)-n - 1 : 0),               \
					     (unsigned char)((jf) ? (jf)-n - 1 : 0)),              \
	 n++)
#define GOTO(to)                                                                                   \
	(f[n] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)((to)-n - 1)), n++)
	JUMP(BPF_JEQ, a->audit_arch, 0, len);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	if (a->max_x32 >= 0)
		JUMP(BPF_JSET, X32_SYSCALL_BIT, 5, 0);
	JUMP(BPF_JGT, max, enosys, 0);
	GOTO(main);
	if (a->max_x32 >= 0) {
		JUMP(BPF_JGT, (uint32_t)a->max_x32, enosys, 0);
		GOTO(main);
	}
#undef JUMP
#undef GOTO
}

static int add_enosys_stub(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			   struct cell_error *err)
{
	struct enosys_arch blocks[8];
	size_t n = cell_seccomp_denies_by_default(s) ? enosys_arches(s, blocks, 8) : 0, len = 3,
	       at = 1;
	struct sock_filter *f;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		len += enosys_block_len(&blocks[i]);
	if (prog->len + len > BPF_MAXINSNS)
		return cell_error_set(err, E2BIG,
				      "linux.seccomp: the filter has %zu "
				      "instructions, the kernel takes %d",
				      prog->len + len, BPF_MAXINSNS);
	if (!(f = malloc((prog->len + len) * sizeof(*f))))
		return cell_error_set(err, ENOMEM, "seccomp filter");
	/* ld arch; the blocks; ja main (another architecture); ret ENOSYS; main */
	f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n; i++) {
		enosys_block(&blocks[i], f + at, len - at, len - 1 - at);
		at += enosys_block_len(&blocks[i]);
	}
	f[at++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
	f[at] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	memcpy(f + len, prog->filter, prog->len * sizeof(*f));
	free(prog->filter);
	prog->filter = f;
	prog->len = (unsigned short)(prog->len + len);
	return 0;
}

static int prog_flags(const struct cell_seccomp *s, struct cell_seccomp_prog *prog)
{
	for (size_t i = 0; s->flags && s->flags[i]; i++) {
		unsigned int flag;

		if (cell_seccomp_flag_from_name(s->flags[i], &flag) < 0)
			return -EINVAL;
		prog->flags |= flag;
	}
	prog->notify = cell_seccomp_uses_notify(s);
	if (prog->notify) {
		prog->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* seccomp(2): TSYNC with a listener needs TSYNC_ESRCH. */
		if (prog->flags & SECCOMP_FILTER_FLAG_TSYNC)
			prog->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	} else {
		/* It qualifies how a listener waits: meaningless (EINVAL) without one. */
		prog->flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	return 0;
}

int cell_seccomp_prog_init(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			   struct cell_error *err)
{
	int r;

	memset(prog, 0, sizeof(*prog));
	if ((r = cell_seccomp_check(s, err)) < 0)
		return r;
	if (prog_flags(s, prog) < 0)
		return cell_error_set(err, 0, "linux.seccomp.flags");
	return 0;
}

int cell_seccomp_compile(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			 struct cell_error *err)
{
	uint32_t def =
		cell_seccomp_ret(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
	scmp_filter_ctx ctx;
	int r;

	if ((r = cell_seccomp_prog_init(s, prog, err)) < 0)
		return r;
	ctx = seccomp_init(def);
	if (!ctx)
		return cell_error_set(err, 0,
				      "linux.seccomp.defaultAction %s: refused by "
				      "libseccomp",
				      cell_seccomp_action_name(s->default_action));
	for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
		uint32_t token = 0;

		cell_seccomp_arch_from_name(s->architectures[i], &token);
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST) {
			r = cell_error_set(err, -r, "linux.seccomp.architectures[%zu] %s", i,
					   s->architectures[i]);
			goto out;
		}
	}
	if ((r = add_rules(ctx, s, def, err)) < 0)
		goto out;
	/*
	 * A binary search over the syscall numbers instead of one test after
	 * the other: the kernel runs the filter for every number when it loads
	 * it (seccomp_cache_prepare), so long paths cost each start. As runc:
	 * above 32 rules (libseccomp <= 2.5.4 misbehaves with none); an older
	 * libseccomp without it still works.
	 */
	if (r > 32)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if ((r = export_bpf(ctx, prog, err)) < 0 || (r = add_enosys_stub(s, prog, err)) < 0)
		goto out;
out:
	seccomp_release(ctx);
	if (r < 0)
		cell_seccomp_prog_free(prog);
	return r;
}

void cell_seccomp_prog_free(struct cell_seccomp_prog *prog)
{
	free(prog->filter);
	memset(prog, 0, sizeof(*prog));
}

/* No allocation: this runs in a child that may share init's heap. */
int cell_seccomp_load(const struct cell_seccomp_prog *prog, struct cell_error *err)
{
	struct sock_fprog fprog = { .len = prog->len, .filter = prog->filter };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fprog);

	if (r < 0)
		return cell_error_set(err, errno,
				      "load the seccomp filter (linux.seccomp, "
				      "flags 0x%x)",
				      prog->flags);
	return prog->notify ? (int)r : 0;
}

static char *state_json(const struct cell_seccomp_state *st, struct cell_error *err)
{
	json_t *annotations = json_object(), *root;
	char *text;

	for (size_t i = 0; annotations && i < st->n_annotations; i++)
		if (json_object_set_new(annotations, st->annotations[i].key,
					json_string(st->annotations[i].value)) < 0)
			annotations = (json_decref(annotations), NULL);
	root = !annotations
		       ? NULL
		       : json_pack("{s:s, s:[s], s:I, s:s*, s:{s:s, s:s, s:s, s:I, s:s*, s:o}}",
				   "ociVersion", st->oci_version, "fds", "seccompFd", "pid",
				   (json_int_t)st->pid, "metadata", st->metadata, "state",
				   "ociVersion", st->oci_version, "id", st->id, "status",
				   st->status, "pid", (json_int_t)st->pid, "bundle", st->bundle,
				   "annotations", annotations);
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!text)
		cell_error_set(err, ENOMEM, "seccomp listener state (linux.seccomp.listenerPath)");
	return text;
}

static int send_all(int sock, const char *text, int fd)
{
	size_t len = strlen(text), done = 0;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	/* The spec: the fds go with the first sendmsg only. */
	while (done < len) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
		iov.iov_base = (void *)(text + done);
		iov.iov_len = len - done;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
	}
	return 0;
}

int cell_seccomp_send_listener(const char *path, int notify_fd, const struct cell_seccomp_state *st,
			       struct cell_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_free char *text = NULL;
	int r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (!(text = state_json(st, err)))
		return -ENOMEM;
	cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return cell_error_set(err, errno, "socket for linux.seccomp.listenerPath");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cell_error_set(err, errno, "connect to linux.seccomp.listenerPath %s", path);
	if ((r = send_all(sock, text, notify_fd)) < 0)
		return cell_error_set(err, -r,
				      "send the seccomp fd to linux.seccomp.listenerPath "
				      "%s",
				      path);
	return 0;
}
