/*
 * cell — a compact seccomp filter: a binary search over ranges of syscall
 * numbers, with the decisions of cell_seccomp_compile() (libseccomp's
 * program behind the ENOSYS stub).
 *
 * Why not libseccomp's program: loading a filter costs the kernel time in
 * proportion to its length (copy, classic-to-eBPF conversion, JIT passes;
 * bpf_prog_create_from_user) and, worse, to the length of its paths: since
 * 5.11 seccomp_cache_prepare() runs the filter for every syscall number of
 * every architecture under the task's siglock to find the syscalls it always
 * allows (kernel/seccomp.c, seccomp_is_const_allow). libseccomp's default
 * program tests the numbers one after the other: 1005 instructions for the
 * default profile on x86_64, some 400 steps per number, 1.1 ms a load here
 * against 0.25 ms for a one-instruction filter. Its binary-tree mode
 * (SCMP_FLTATR_CTL_OPTIMIZE 2) shortens the paths but still tests each
 * number on its own (1251 instructions, 0.6 ms). Neighbouring numbers mostly
 * share their action, so this program tests ranges: the default profile
 * takes about 300 instructions and a dozen steps per syscall.
 *
 * Only what the kernel's action cache can follow is used on the way to a
 * constant verdict (loads of nr and arch, JEQ/JGE/JSET with constants, JA,
 * RET), so the syscalls the profile always allows keep skipping the filter.
 *
 * It covers x86_64, x86 and x32 (libseccomp's rules for those are what the
 * unit tests compare against, instruction by instruction in an interpreter)
 * and the argument tests EQ, NE and MASKED_EQ; anything else is -EOPNOTSUPP
 * and the caller compiles with libseccomp.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "security.h"

#define X32_SYSCALL_BIT 0x40000000U
#define MAX_ARGS 6
#define MAX_PARTS 4

/* libseccomp's SCMP_FLTATR_ACT_BADARCH default: a foreign architecture's call kills. */
#define RET_BADARCH SECCOMP_RET_KILL_THREAD

/* One rule on one syscall: all its argument tests hold. */
struct alt {
	size_t n;
	struct cell_seccomp_arg arg[MAX_ARGS];
};

/* What the profile says about one syscall number. */
struct entry {
	uint32_t nr;
	uint32_t ret;
	bool has_ret;
	bool always; /* a rule without argument tests */
	size_t n_alts;
	struct alt *alts;
	int label; /* its argument block, -1: none yet */
};

/* One architecture token's rules (x86_64 and x32 share an audit arch). */
struct part {
	uint32_t token;
	int width; /* argument width in bits: libseccomp's ARCH_SIZE */
	int max;   /* cell_seccomp_max_syscall(), -1: no name resolves */
	struct entry *e;
	size_t n;
};

static const struct {
	uint32_t token, audit;
	int width;
} known_arches[] = {
	{ SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 64 },
	{ SCMP_ARCH_X86, AUDIT_ARCH_I386, 32 },
	{ SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 32 },
};

/* ---- a small assembler: jumps name labels, resolved at the end ---- */

struct insn {
	uint16_t code;
	uint32_t k;
	int jt, jf; /* label ids; -1: the next instruction */
};

struct bpf_asm {
	struct insn *v;
	size_t n, cap;
	long *at; /* label id -> instruction index, -1: unbound */
	size_t n_labels, cap_labels;
	bool oom;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return false;
	*p = q;
	*cap = c;
	return true;
}

static int new_label(struct bpf_asm *a)
{
	if (!grow((void **)&a->at, &a->cap_labels, a->n_labels + 1, sizeof(*a->at))) {
		a->oom = true;
		return -1;
	}
	a->at[a->n_labels] = -1;
	return (int)a->n_labels++;
}

static void bind(struct bpf_asm *a, int label)
{
	if (label >= 0)
		a->at[label] = (long)a->n;
}

static void emit(struct bpf_asm *a, uint16_t code, uint32_t k, int jt, int jf)
{
	if (!grow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v))) {
		a->oom = true;
		return;
	}
	a->v[a->n++] = (struct insn){ code, k, jt, jf };
}

static void emit_ld(struct bpf_asm *a, uint32_t offset)
{
	emit(a, BPF_LD | BPF_W | BPF_ABS, offset, -1, -1);
}

/* A jump's offset to @label from instruction @i; -1: out of a classic jump's reach. */
static long offset_to(const struct bpf_asm *a, size_t i, int label, long limit)
{
	long d;

	if (label < 0)
		return 0;
	d = a->at[label] - (long)i - 1;
	return a->at[label] < 0 || d < 0 || d > limit ? -1 : d;
}

static int assemble(const struct bpf_asm *a, struct cell_seccomp_prog *prog)
{
	struct sock_filter *f;

	if (a->n > BPF_MAXINSNS)
		return -E2BIG;
	if (!(f = calloc(a->n, sizeof(*f))))
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		const struct insn *in = &a->v[i];
		long jt = 0, jf = 0, k = in->k;

		if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_JA)
			k = offset_to(a, i, in->jt, BPF_MAXINSNS);
		else if (BPF_CLASS(in->code) == BPF_JMP) {
			jt = offset_to(a, i, in->jt, 255);
			jf = offset_to(a, i, in->jf, 255);
		}
		if (k < 0 || jt < 0 || jf < 0) {
			free(f);
			return -EOPNOTSUPP; /* a section too long for 8-bit jumps */
		}
		f[i] = (struct sock_filter){ in->code, (uint8_t)jt, (uint8_t)jf, (uint32_t)k };
	}
	prog->filter = f;
	prog->len = (unsigned short)a->n;
	return 0;
}

/* ---- the rules of one architecture token ---- */

static void part_free(struct part *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->e[i].alts);
	free(p->e);
	memset(p, 0, sizeof(*p));
}

static struct entry *entry_for(struct part *p, uint32_t nr, size_t *cap)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].nr == nr)
			return &p->e[i];
	if (!grow((void **)&p->e, cap, p->n + 1, sizeof(*p->e)))
		return NULL;
	p->e[p->n] = (struct entry){ .nr = nr, .label = -1 };
	return &p->e[p->n++];
}

static bool arg_supported(const struct cell_seccomp_arg *arg, int width)
{
	bool wide = arg->value > UINT32_MAX ||
		    (arg->op == CELL_SECCOMP_OP_MASKED_EQ && arg->value_two > UINT32_MAX);

	if (arg->op != CELL_SECCOMP_OP_EQ && arg->op != CELL_SECCOMP_OP_NE &&
	    arg->op != CELL_SECCOMP_OP_MASKED_EQ)
		return false;
	return width == 64 ||
	       !wide; /* how libseccomp treats 64-bit data on 32-bit arches: unknown */
}

static int add_alt(struct entry *e, const struct cell_seccomp_arg *args, size_t n, int width)
{
	struct alt *alts;

	for (size_t i = 0; i < n; i++)
		if (!arg_supported(&args[i], width))
			return -EOPNOTSUPP;
	if (!(alts = realloc(e->alts, (e->n_alts + 1) * sizeof(*alts))))
		return -ENOMEM;
	e->alts = alts;
	alts[e->n_alts].n = n;
	memcpy(alts[e->n_alts].arg, args, n * sizeof(*args));
	e->n_alts++;
	return 0;
}

/* One rule on syscall @nr; as in seccomp.c's add_syscall, repeated indexes split. */
static int add_rule(struct part *p, size_t *cap, const struct cell_seccomp_rule *rule, uint32_t ret,
		    uint32_t nr)
{
	struct entry *e = entry_for(p, nr, cap);
	int r = 0;

	if (!e)
		return -ENOMEM;
	if (e->has_ret && e->ret != ret)
		return -EOPNOTSUPP; /* libseccomp's precedence between actions: not modelled */
	e->ret = ret;
	e->has_ret = true;
	if (rule->n_args == 0)
		e->always = true;
	else if (!cell_seccomp_args_split(rule))
		r = add_alt(e, rule->args, rule->n_args, p->width);
	else
		for (size_t i = 0; i < rule->n_args && r == 0; i++)
			r = add_alt(e, &rule->args[i], 1, p->width);
	return r;
}

/*
 * x86 (i386) socket and SysV IPC calls: libseccomp names them by pseudo
 * numbers (-101 socket ... -224 shmctl) and turns a rule on one into a rule
 * on its direct syscall, where the kernel has one (Linux 4.3 and 5.1), plus
 * a rule on the socketcall or ipc multiplexer with args[0] the call number
 * (arch-x86.c). The direct numbers, from the kernel's syscall_32.tbl:
 */
static const struct {
	int pseudo;
	uint32_t nr;
} x86_direct[] = {
	{ -101, 359 }, { -102, 361 }, { -103, 362 }, { -104, 363 }, { -106, 367 }, { -107, 368 },
	{ -108, 360 }, { -111, 369 }, { -112, 371 }, { -113, 373 }, { -114, 366 }, { -115, 365 },
	{ -116, 370 }, { -117, 372 }, { -118, 364 }, { -119, 337 }, { -120, 345 }, { -202, 393 },
	{ -203, 394 }, { -211, 400 }, { -212, 401 }, { -213, 399 }, { -214, 402 }, { -221, 397 },
	{ -222, 398 }, { -223, 395 }, { -224, 396 },
};

#define X86_SOCKETCALL 102
#define X86_IPC 117

/* A pseudo number's direct syscall, 0: none (accept, send, recv, semop, semtimedop). */
static uint32_t x86_direct_nr(int pseudo)
{
	for (size_t i = 0; i < sizeof(x86_direct) / sizeof(x86_direct[0]); i++)
		if (x86_direct[i].pseudo == pseudo)
			return x86_direct[i].nr;
	return 0;
}

/*
 * The multiplexer's rule changes nothing when the multiplexer itself has
 * the same action without conditions; other cases are not modelled.
 */
static bool x86_mux_covered(const struct part *p, int pseudo, uint32_t ret)
{
	uint32_t mux = pseudo > -200 ? X86_SOCKETCALL : X86_IPC;

	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].nr == mux)
			return p->e[i].always && p->e[i].ret == ret;
	return false;
}

static bool x86_multiplexed(const struct part *p, int nr)
{
	return p->token == SCMP_ARCH_X86 && nr <= -101 && nr >= -224 && (nr >= -120 || nr <= -201);
}

static int entry_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct entry *)a)->nr, y = ((const struct entry *)b)->nr;

	return x < y ? -1 : x > y;
}

static int part_load(const struct cell_seccomp *s, uint32_t def, bool deny, struct part *p)
{
	size_t cap = 0;
	int r;

	for (int pass = 0; pass < 2; pass++) /* the multiplexed ones once the rest is in */
		for (size_t i = 0; i < s->n_syscalls; i++) {
			const struct cell_seccomp_rule *rule = &s->syscalls[i];
			uint32_t ret = cell_seccomp_ret(rule->action, rule->has_errno_ret,
							rule->errno_ret);

			if (ret == def)
				continue; /* as add_rules() in seccomp.c */
			for (size_t j = 0; rule->names[j]; j++) {
				int nr =
					seccomp_syscall_resolve_name_arch(p->token, rule->names[j]);
				bool mux = x86_multiplexed(p, nr);

				if (mux != (pass == 1))
					continue;
				if (mux && !x86_mux_covered(p, nr, ret))
					return -EOPNOTSUPP;
				if (mux)
					nr = (int)x86_direct_nr(nr) ?: -1;
				if (nr < 0)
					continue; /* not on this architecture */
				if ((r = add_rule(p, &cap, rule, ret, (uint32_t)nr)) < 0)
					return r;
			}
		}
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].always)
			p->e[i].n_alts = 0; /* a rule without tests: the others change nothing */
	/* a profile of no rule has no table: qsort's base is declared nonnull */
	if (p->n)
		qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
	p->max = cell_seccomp_max_syscall(s, p->token);
	/* Past the max the stub returns ENOSYS first. A direct x86 socket call
	 * can be there: the max counts the names' pseudo numbers. */
	while (deny && p->n && p->max >= 0 && p->e[p->n - 1].nr > (uint32_t)p->max)
		free(p->e[--p->n].alts);
	return 0;
}

/* ---- code ---- */

/* A range of numbers starting at @start, decided by @ret or by entry @e's tests. */
struct range {
	uint32_t start;
	uint32_t ret;
	struct entry *e;
};

struct section {
	struct bpf_asm *a;
	uint32_t rets[8]; /* the constant verdicts, one RET each at the end */
	int ret_labels[8];
	size_t n_rets;
	bool full;
};

static int ret_label(struct section *sec, uint32_t ret)
{
	for (size_t i = 0; i < sec->n_rets; i++)
		if (sec->rets[i] == ret)
			return sec->ret_labels[i];
	if (sec->n_rets == 8) {
		sec->full = true;
		return -1;
	}
	sec->rets[sec->n_rets] = ret;
	sec->ret_labels[sec->n_rets] = new_label(sec->a);
	return sec->ret_labels[sec->n_rets++];
}

static int leaf_label(struct section *sec, struct range *r)
{
	if (!r->e)
		return ret_label(sec, r->ret);
	if (r->e->label < 0)
		r->e->label = new_label(sec->a);
	return r->e->label;
}

/* The balanced search tree over @n ranges; its entry label. */
static int emit_tree(struct section *sec, struct range *r, size_t n)
{
	size_t mid = n / 2, node;
	int label;

	if (n == 1)
		return leaf_label(sec, &r[0]);
	label = new_label(sec->a);
	bind(sec->a, label);
	node = sec->a->n;
	emit(sec->a, BPF_JMP | BPF_JGE | BPF_K, r[mid].start, -1, -1);
	/* the lower half right after the node, then the upper half */
	int lower = emit_tree(sec, r, mid);
	int upper = emit_tree(sec, r + mid, n - mid);

	if (node < sec->a->n) {
		sec->a->v[node].jf = lower;
		sec->a->v[node].jt = upper;
	}
	return label;
}

static void push_range(struct range *v, size_t *n, uint32_t start, uint32_t ret, struct entry *e)
{
	if (*n && !e && !v[*n - 1].e && v[*n - 1].ret == ret)
		return; /* the same verdict as the range before: one range */
	v[(*n)++] = (struct range){ start, ret, e };
}

/*
 * The ranges of @p from @from up: entries, the default between them, @above
 * past the max, then the @n_tail ranges of @tail (above the max).
 */
static struct range *part_ranges(struct part *p, uint32_t from, uint32_t def, uint32_t above,
				 const struct range *tail, size_t n_tail, size_t *n)
{
	struct range *v = malloc((2 * p->n + 3 + n_tail) * sizeof(*v));
	uint32_t next = from;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (p->e[i].nr > next)
			push_range(v, n, next, def, NULL);
		push_range(v, n, p->e[i].nr, p->e[i].ret, p->e[i].n_alts ? &p->e[i] : NULL);
		next = p->e[i].nr + 1;
	}
	if (p->max < 0 || (uint32_t)p->max >= next || *n == 0)
		push_range(v, n, next, def, NULL);
	if (p->max >= 0)
		push_range(v, n, (uint32_t)p->max + 1, above, NULL);
	for (size_t i = 0; i < n_tail; i++)
		if ((p->max < 0 || (uint32_t)p->max < tail[i].start) && next <= tail[i].start)
			push_range(v, n, tail[i].start, tail[i].ret, NULL);
	return v;
}

static uint32_t arg_offset(uint32_t index, bool high)
{
	/* little-endian: the low word first (the arches above are all little-endian) */
	return (uint32_t)(offsetof(struct seccomp_data, args) + 8 * index + (high ? 4 : 0));
}

/*
 * One word of a test: A = word (& mask); jump to @eq if A == @want, else @ne.
 */
static void emit_word(struct bpf_asm *a, uint32_t offset, uint32_t mask, uint32_t want, int eq,
		      int ne)
{
	emit_ld(a, offset);
	if (mask != UINT32_MAX)
		emit(a, BPF_ALU | BPF_AND | BPF_K, mask, -1, -1);
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, want, eq, ne);
}

/* An argument test: on to @pass (-1: the next instruction) when it holds, else @fail. */
static void emit_arg(struct bpf_asm *a, const struct cell_seccomp_arg *arg, int width, int pass,
		     int fail)
{
	bool masked = arg->op == CELL_SECCOMP_OP_MASKED_EQ;
	/* MASKED_EQ: (arg & value) == valueTwo, see arg_cmp() in seccomp.c */
	uint64_t mask = masked ? arg->value : UINT64_MAX,
		 want = masked ? arg->value_two : arg->value;
	int after = pass;

	if (arg->op == CELL_SECCOMP_OP_NE) {
		/* holds when either word differs */
		if (pass < 0)
			after = new_label(a);
		if (width == 64)
			emit_word(a, arg_offset(arg->index, true), UINT32_MAX,
				  (uint32_t)(want >> 32), -1, after);
		emit_word(a, arg_offset(arg->index, false), UINT32_MAX, (uint32_t)want, fail,
			  after);
		if (pass < 0)
			bind(a, after);
		return;
	}
	/* EQ, MASKED_EQ: both words match; a high word that always matches is not loaded */
	if (width == 64 && ((mask >> 32) || (want >> 32)))
		emit_word(a, arg_offset(arg->index, true), (uint32_t)(mask >> 32),
			  (uint32_t)(want >> 32), -1, fail);
	emit_word(a, arg_offset(arg->index, false), (uint32_t)mask, (uint32_t)want, pass, fail);
}

/*
 * Rules that each test one argument for equality with a value of the same
 * high word (personality's): load the words once, then a JEQ per value.
 */
static bool eq_list(const struct entry *e, int width)
{
	const struct cell_seccomp_arg *first = &e->alts[0].arg[0];

	for (size_t i = 0; i < e->n_alts; i++) {
		const struct cell_seccomp_arg *arg = &e->alts[i].arg[0];

		if (e->alts[i].n != 1 || arg->op != CELL_SECCOMP_OP_EQ ||
		    arg->index != first->index ||
		    (width == 64 && arg->value >> 32 != first->value >> 32))
			return false;
	}
	return true;
}

/*
 * Entry @e's block: any rule whose tests all hold gives e->ret, none the
 * default; both verdicts are the section's shared RETs, placed after.
 */
static void emit_entry_block(struct section *sec, struct entry *e, int width, uint32_t def)
{
	struct bpf_asm *a = sec->a;
	int match = ret_label(sec, e->ret), none = ret_label(sec, def);

	bind(a, e->label);
	if (eq_list(e, width)) {
		uint32_t index = e->alts[0].arg[0].index;

		if (width == 64)
			emit_word(a, arg_offset(index, true), UINT32_MAX,
				  (uint32_t)(e->alts[0].arg[0].value >> 32), -1, none);
		emit_ld(a, arg_offset(index, false));
		for (size_t i = 0; i < e->n_alts; i++)
			emit(a, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)e->alts[i].arg[0].value, match,
			     -1);
		emit(a, BPF_JMP | BPF_JA, 0, none, -1);
		return;
	}
	for (size_t i = 0; i < e->n_alts; i++) {
		int next = i + 1 < e->n_alts ? new_label(a) : none;

		for (size_t j = 0; j < e->alts[i].n; j++)
			emit_arg(a, &e->alts[i].arg[j], width, j + 1 < e->alts[i].n ? -1 : match,
				 next);
		if (i + 1 < e->n_alts)
			bind(a, next);
	}
}

/*
 * One audit arch: its token's tree, and for x86_64 the x32 numbers'
 * (X32_SYSCALL_BIT set) in a tree of their own, as the stub splits them.
 * Without x32 in the filter, libseccomp's x86_64 code takes numbers from
 * X32_SYSCALL_BIT up for another architecture's (RET_BADARCH) but -1, a
 * tracer's skipped syscall, which goes on to the rules; the stub's ENOSYS
 * comes first.
 */
static int emit_section(struct bpf_asm *a, struct part *main, struct part *x32, bool deny,
			uint32_t def, uint32_t above)
{
	const struct range tail[] = { { X32_SYSCALL_BIT, RET_BADARCH, NULL },
				      { UINT32_MAX, def, NULL } };
	size_t n_tail = main->token == SCMP_ARCH_X86_64 && !x32 && !deny ? 2 : 0;
	struct section sec = { .a = a };
	struct range *r[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };
	struct part *parts[2] = { main, x32 && x32->max >= 0 ? x32 : NULL };
	int trees[2] = { -1, -1 }, rc = 0;
	size_t jset = 0;

	emit_ld(a, offsetof(struct seccomp_data, nr));
	if (parts[1]) {
		jset = a->n;
		emit(a, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, -1, -1);
	}
	for (int i = 0; i < 2 && parts[i]; i++) {
		r[i] = i ? part_ranges(parts[i], X32_SYSCALL_BIT, def, above, NULL, 0, &n[i])
			 : part_ranges(parts[i], 0, def, above, tail, n_tail, &n[i]);
		if (!r[i]) {
			rc = -ENOMEM;
			goto out;
		}
		trees[i] = emit_tree(&sec, r[i], n[i]);
		if (i == 0 && trees[0] >= 0 && a->at[trees[0]] < 0)
			emit(a, BPF_JMP | BPF_JA, 0, trees[0], -1); /* one range: to its verdict */
	}
	if (parts[1] && !a->oom)
		a->v[jset].jt = trees[1];
	for (int i = 0; i < 2 && parts[i]; i++)
		for (size_t j = 0; j < parts[i]->n; j++)
			if (parts[i]->e[j].label >= 0)
				emit_entry_block(&sec, &parts[i]->e[j], parts[i]->width, def);
	for (size_t i = 0; i < sec.n_rets; i++) {
		bind(a, sec.ret_labels[i]);
		emit(a, BPF_RET | BPF_K, sec.rets[i], -1, -1);
	}
	rc = sec.full ? -EOPNOTSUPP : 0;
out:
	free(r[0]);
	free(r[1]);
	return rc;
}

static int find_known(uint32_t token)
{
	for (size_t i = 0; i < sizeof(known_arches) / sizeof(known_arches[0]); i++)
		if (known_arches[i].token == token)
			return (int)i;
	return -1;
}

static int load_parts(const struct cell_seccomp *s, uint32_t def, bool deny, struct part *parts,
		      size_t *n)
{
	uint32_t tokens[MAX_PARTS + 1];
	int r;

	if ((*n = cell_seccomp_tokens(s, tokens, MAX_PARTS + 1)) > MAX_PARTS)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < *n; i++) {
		int k = find_known(tokens[i]);

		if (k < 0)
			return -EOPNOTSUPP;
		parts[i].token = tokens[i];
		parts[i].width = known_arches[k].width;
		if ((r = part_load(s, def, deny, &parts[i])) < 0)
			return r;
	}
	return 0;
}

static int emit_filter(struct bpf_asm *a, struct part *parts, size_t n, bool deny, uint32_t def,
		       uint32_t above)
{
	int labels[MAX_PARTS];
	int r;

	/* ld arch; per audit arch: jeq, ja to its section; a foreign one: RET_BADARCH */
	emit_ld(a, offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n; i++) {
		labels[i] = -1;
		if (parts[i].token == SCMP_ARCH_X32)
			continue; /* in x86_64's section */
		int other = new_label(a);

		labels[i] = new_label(a);
		/* a section can be further than a conditional jump reaches: ja */
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, known_arches[find_known(parts[i].token)].audit,
		     -1, other);
		emit(a, BPF_JMP | BPF_JA, 0, labels[i], -1);
		bind(a, other);
	}
	emit(a, BPF_RET | BPF_K, RET_BADARCH, -1, -1);
	for (size_t i = 0; i < n; i++) {
		struct part *x32 = NULL;

		if (labels[i] < 0)
			continue;
		for (size_t j = 0; parts[i].token == SCMP_ARCH_X86_64 && j < n; j++)
			if (parts[j].token == SCMP_ARCH_X32)
				x32 = &parts[j];
		bind(a, labels[i]);
		if ((r = emit_section(a, &parts[i], x32, deny, def, above)) < 0)
			return r;
	}
	return a->oom ? -ENOMEM : 0;
}

int cell_seccomp_compile_tree(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			      struct cell_error *err)
{
	uint32_t def =
		cell_seccomp_ret(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
	bool deny = cell_seccomp_denies_by_default(s);
	/* the stub's verdict past the highest number named, see add_enosys_stub() */
	uint32_t above = deny ? SECCOMP_RET_ERRNO | ENOSYS : def;
	struct part parts[MAX_PARTS] = { 0 };
	struct bpf_asm a = { 0 };
	size_t n = 0;
	int r;

	if ((r = cell_seccomp_prog_init(s, prog, err)) < 0)
		return r;
	if ((r = load_parts(s, def, deny, parts, &n)) == 0 &&
	    (r = emit_filter(&a, parts, n, deny, def, above)) == 0)
		r = assemble(&a, prog);
	for (size_t i = 0; i < MAX_PARTS; i++)
		part_free(&parts[i]);
	free(a.v);
	free(a.at);
	if (r == -ENOMEM)
		return cell_error_set(err, ENOMEM, "seccomp filter");
	if (r < 0)
		memset(prog, 0, sizeof(*prog));
	return r;
}
