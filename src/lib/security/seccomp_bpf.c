/*
 * cell — a classic BPF interpreter for seccomp filters, in userspace: it
 * answers "what would this filter do to this syscall" before the filter is
 * loaded (a profile that refuses execve(2) is refused at create time, since
 * the process could never start), and the unit tests compare compiled
 * filters with it. It takes the instructions seccomp_check_filter() takes
 * (kernel/seccomp.c): loads of struct seccomp_data only, no packet access.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "security.h"

static uint32_t bpf_alu(uint16_t op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_DIV:
		return b ? a / b : 0;
	case BPF_MOD:
		return b ? a % b : 0;
	case BPF_OR:
		return a | b;
	case BPF_AND:
		return a & b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return b < 32 ? a << b : 0;
	case BPF_RSH:
		return b < 32 ? a >> b : 0;
	default:
		return -a; /* BPF_NEG */
	}
}

static bool bpf_jump(uint16_t op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	default:
		return (a & b) != 0; /* BPF_JSET */
	}
}

/* The instructions that are neither ALU, jumps, loads of seccomp_data nor RET K. */
static int bpf_misc(const struct sock_filter *in, uint32_t *A, uint32_t *X, uint32_t *M,
		    struct cell_bpf_result *r)
{
	switch (in->code) {
	case BPF_RET | BPF_A:
		r->ret = *A;
		return 1;
	case BPF_LD | BPF_W | BPF_LEN:
		*A = sizeof(struct seccomp_data);
		return 0;
	case BPF_LDX | BPF_W | BPF_LEN:
		*X = sizeof(struct seccomp_data);
		return 0;
	case BPF_LD | BPF_IMM:
		*A = in->k;
		return 0;
	case BPF_LDX | BPF_IMM:
		*X = in->k;
		return 0;
	case BPF_LD | BPF_MEM:
		*A = M[in->k % BPF_MEMWORDS];
		return 0;
	case BPF_LDX | BPF_MEM:
		*X = M[in->k % BPF_MEMWORDS];
		return 0;
	case BPF_ST:
		M[in->k % BPF_MEMWORDS] = *A;
		return 0;
	case BPF_STX:
		M[in->k % BPF_MEMWORDS] = *X;
		return 0;
	case BPF_MISC | BPF_TAX:
		*X = *A;
		return 0;
	case BPF_MISC | BPF_TXA:
		*A = *X;
		return 0;
	default:
		return -EINVAL;
	}
}

int cell_bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d,
		 struct cell_bpf_result *r)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };

	memset(r, 0, sizeof(*r));
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &f[pc];
		uint16_t c = in->code;
		uint32_t src = BPF_SRC(c) == BPF_X ? X : in->k;
		int done;

		r->steps++;
		if (BPF_CLASS(c) == BPF_ALU) {
			r->uncacheable |= c != (BPF_ALU | BPF_AND | BPF_K);
			A = bpf_alu(BPF_OP(c), A, src);
		} else if (BPF_CLASS(c) == BPF_JMP && BPF_OP(c) == BPF_JA) {
			pc += in->k;
		} else if (BPF_CLASS(c) == BPF_JMP) {
			r->uncacheable |= BPF_SRC(c) == BPF_X;
			pc += bpf_jump(BPF_OP(c), A, src) ? in->jt : in->jf;
		} else if (c == (BPF_LD | BPF_W | BPF_ABS)) {
			if (in->k % 4 || in->k >= sizeof(*d))
				return -EINVAL; /* seccomp_check_filter() refuses it */
			memcpy(&A, (const char *)d + in->k, 4);
			r->read_args |= in->k >= offsetof(struct seccomp_data, args);
			r->uncacheable |=
				in->k >= offsetof(struct seccomp_data, instruction_pointer);
		} else if (c == (BPF_RET | BPF_K)) {
			r->ret = in->k;
			return 0;
		} else {
			r->uncacheable = true;
			if ((done = bpf_misc(in, &A, &X, M, r)) < 0)
				return done;
			if (done)
				return 0;
		}
	}
	return -EINVAL; /* ran off the end: the kernel's checker refuses that too */
}

/*
 * The actions that keep a syscall from running whatever else happens:
 * SECCOMP_RET_TRACE (no tracer: ENOSYS, but one may attach), USER_NOTIF
 * (the agent decides), LOG and ALLOW let it run.
 */
static bool refuses(uint32_t ret)
{
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;

	return action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD ||
	       action == SECCOMP_RET_TRAP || action == SECCOMP_RET_ERRNO;
}

/*
 * The filter is loaded before the process's execve in every case (seccomp
 * last, runtime-spec config-linux.md), so a filter that refuses execve
 * whatever its arguments leaves a process that can never start: say so at
 * create, not at start. cell calls execve(2) itself (exec_in_path), never
 * execveat, so that is the call judged. A filter that looks at execve's
 * arguments (pointers, unknown now) is left to the start to judge.
 */
int cell_seccomp_check_exec(const struct cell_seccomp_prog *prog, struct cell_error *err)
{
	struct seccomp_data d = { .nr = SYS_execve, .arch = seccomp_arch_native() };
	struct cell_bpf_result r;

	if (!prog->filter)
		return 0;
	if (cell_bpf_run(prog->filter, prog->len, &d, &r) < 0)
		return cell_error_set(err, EINVAL,
				      "linux.seccomp: the compiled filter is not "
				      "valid classic BPF");
	if (r.read_args || !refuses(r.ret))
		return 0;
	if ((r.ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
		return cell_error_set(err, (int)(r.ret & SECCOMP_RET_DATA),
				      "linux.seccomp: execve(2) is refused, so the process "
				      "could never start");
	return cell_error_set(err, EPERM,
			      "linux.seccomp: execve(2) is refused (action "
			      "0x%08x), so the process could never start",
			      r.ret);
}
