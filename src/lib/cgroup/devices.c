/*
 * cell — device rules (linux.resources.devices): which device nodes the
 * container may read, write or mknod. The rules apply in order and the last
 * match wins (config-linux.md, "Allowed Device List").
 *
 * v1: the devices controller takes one rule per write to devices.allow or
 * devices.deny (cgroup-v1/devices.rst); a new cgroup starts with its
 * parent's list, and "a" in devices.deny empties it and denies by default,
 * so a spec that starts with "deny all" (runc's and Docker's do) gets an
 * allowlist.
 *
 * v2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * attached to the cgroup decides each access (Linux 4.15, kernel/bpf/cgroup.c).
 * cell builds the instructions itself and loads them with the raw bpf(2)
 * system call; no libbpf, no compiler, no ELF.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

/* ---- v1 ---- */

static const char *rule_access(const struct cell_device_rule *d)
{
	return d->access[0] ? d->access : "rwm"; /* no access given: all of it */
}

static bool all_access(const char *access)
{
	return strchr(access, 'r') && strchr(access, 'w') && strchr(access, 'm');
}

/* devices.allow and devices.deny, opened once: one write(2) per rule. */
struct v1_files {
	const char *dir;
	int fd[2]; /* [0] deny, [1] allow */
};

static int v1_write(struct v1_files *f, bool allow, const char *rule, struct cell_error *err)
{
	const char *name = allow ? "devices.allow" : "devices.deny";
	char path[PATH_MAX];
	int r = cgroup_file_path(path, sizeof(path), f->dir, name, err);
	size_t len = strlen(rule);

	if (r < 0)
		return r;
	if (f->fd[allow] < 0 && (f->fd[allow] = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return cell_error_set(err, errno, "open %s for writing", path);
	if (write(f->fd[allow], rule, len) != (ssize_t)len)
		return cell_error_set(err, errno ? errno : EIO, "cannot write \"%s\" to %s", rule,
				      path);
	return 0;
}

static int v1_write_rule(struct v1_files *f, const struct cell_device_rule *d, char type,
			 struct cell_error *err)
{
	char major[24] = "*", minor[24] = "*", rule[96];

	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	snprintf(rule, sizeof(rule), "%c %s:%s %s", type, major, minor, rule_access(d));
	errno = 0;
	return v1_write(f, d->allow, rule, err);
}

int cgroup_v1_apply_devices(const char *dir, const struct cell_device_rule *rules, size_t n,
			    struct cell_error *err)
{
	struct v1_files f = { .dir = dir, .fd = { -1, -1 } };
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < n; i++) {
		const struct cell_device_rule *d = &rules[i];

		/*
		 * "a" resets the whole list, whatever access follows it
		 * (devcgroup_update_access()); a narrower "all devices" rule
		 * becomes one rule per device type instead.
		 */
		errno = 0;
		if (d->type == 'a' && d->major < 0 && d->minor < 0 && all_access(rule_access(d)))
			r = v1_write(&f, d->allow, "a", err);
		else if (d->type == 'a')
			r = v1_write_rule(&f, d, 'c', err) ?: v1_write_rule(&f, d, 'b', err);
		else
			r = v1_write_rule(&f, d, d->type, err);
	}
	safe_close(f.fd[0]);
	safe_close(f.fd[1]);
	if (r < 0)
		return cell_error_prefix(err, "linux.resources.devices[%zu]", i - 1);
	return 0;
}

/* ---- v2: the program ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
/* dst = *(u32 *)(src + off) */
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
/* if ((u32)d op i) goto pc + 1 + off: 32-bit compares, so majors above 2^31 work */
#define JMP32_IMM(op, d, i, o) INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: what struct bpf_cgroup_dev_ctx holds. */
enum { R_CTX = 1, R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5, R_TMP = 1 };

#define RULE_MAX_INSNS 10
#define JUMP_TO_END -1 /* placeholder: the end of the rule's block */

static uint32_t access_bits(const char *access)
{
	return (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
	       (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/*
 * rule_block() - the instructions of one rule: each test jumps past the block
 * when it fails; falling through all of them returns the rule's verdict.
 * An allow rule matches when it grants every access asked for, a deny rule
 * when it denies any of them, so the last rule that says something about a
 * requested access decides. Return: the number of instructions; *@always
 * when nothing was tested (the rule matches every access).
 */
static size_t rule_block(const struct cell_device_rule *d, struct bpf_insn *b, bool *always)
{
	uint32_t acc = access_bits(rule_access(d)),
		 all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	size_t n = 0, i;

	if (d->type != 'a')
		b[n++] = JMP32_IMM(BPF_JNE, R_TYPE,
				   d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
				   JUMP_TO_END);
	if (acc != all) {
		b[n++] = MOV32_REG(R_TMP, R_ACCESS);
		b[n++] = ALU32_IMM(BPF_AND, R_TMP, (int32_t)(d->allow ? all & ~acc : acc));
		b[n++] = JMP32_IMM(d->allow ? BPF_JNE : BPF_JEQ, R_TMP, 0, JUMP_TO_END);
	}
	if (d->major >= 0)
		b[n++] = JMP32_IMM(BPF_JNE, R_MAJOR, (int32_t)(uint32_t)d->major, JUMP_TO_END);
	if (d->minor >= 0)
		b[n++] = JMP32_IMM(BPF_JNE, R_MINOR, (int32_t)(uint32_t)d->minor, JUMP_TO_END);
	*always = n == 0;
	b[n++] = MOV64_IMM(0, d->allow ? 1 : 0);
	b[n++] = EXIT_INSN();
	for (i = 0; i < n; i++)
		if (BPF_CLASS(b[i].code) == BPF_JMP32 && b[i].off == JUMP_TO_END)
			b[i].off = (int16_t)(n - i - 1);
	return n;
}

int cgroup_devices_program(const struct cell_device_rule *rules, size_t n, struct bpf_insn **insns,
			   size_t *n_insns, struct cell_error *err)
{
	const struct bpf_insn prologue[] = {
		LDX_W(R_TYPE, R_CTX, 0), /* access_type: (access << 16) | type */
		MOV32_REG(R_ACCESS, R_TYPE),	  ALU32_IMM(BPF_AND, R_TYPE, 0xffff),
		ALU32_IMM(BPF_RSH, R_ACCESS, 16), LDX_W(R_MAJOR, R_CTX, 4),
		LDX_W(R_MINOR, R_CTX, 8),
	};
	size_t len = sizeof(prologue) / sizeof(prologue[0]), i;
	bool always = false;
	struct bpf_insn *p;

	p = calloc(len + n * RULE_MAX_INSNS + 2, sizeof(*p));
	if (!p)
		return cell_error_set(err, ENOMEM, "device program");
	memcpy(p, prologue, sizeof(prologue));
	/* Last match wins: test the rules from the last one back. */
	for (i = n; i-- > 0 && !always;)
		len += rule_block(&rules[i], p + len, &always);
	if (!always) { /* no rule matched: allow, as a new v1 cgroup below the root does */
		p[len++] = MOV64_IMM(0, 1);
		p[len++] = EXIT_INSN();
	}
	*insns = p;
	*n_insns = len;
	return 0;
}

/* ---- v2: loading and attaching ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *insns, size_t n, const char *dir,
			struct cell_error *err)
{
	union bpf_attr attr;
	char log[4096] = "";
	int fd, e;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) /* bpf(2) fds are close-on-exec */
		return fd;
	e = errno;
	if (e == EINVAL || e == EACCES) { /* the verifier refused: load again for its log */
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (fd >= 0)
			return fd;
		log[strcspn(log, "\n")] = '\0';
	}
	return cell_error_set(
		err, e, "cannot load the device program for cgroup %s (%zu instructions%s%s%s)",
		dir, n, log[0] ? ", verifier: \"" : "", log, log[0] ? "\"" : "");
}

int cgroup_devices_attach(int cgroup_fd, const char *dir, const struct cell_device_rule *rules,
			  size_t n, int *prog_fd, struct cell_error *err)
{
	cleanup_free struct bpf_insn *insns = NULL;
	cleanup_close int fd = -1;
	union bpf_attr attr;
	size_t n_insns;
	int r;

	r = cgroup_devices_program(rules, n, &insns, &n_insns, err);
	if (r < 0)
		return r;
	fd = load_program(insns, n_insns, dir, err);
	if (fd < 0)
		return fd;
	/*
	 * BPF_F_ALLOW_MULTI: programs of the ancestors run as well and every
	 * one must allow, so a container can narrow, never widen, what the
	 * host's own cgroup allows.
	 */
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return cell_error_set(err, errno, "cannot attach the device program to cgroup %s",
				      dir);
	*prog_fd = take_fd(&fd);
	return 0;
}

int cgroup_devices_detach(int cgroup_fd, int *prog_fd, struct cell_error *err)
{
	union bpf_attr attr;
	int r = 0;

	if (*prog_fd < 0)
		return 0;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)*prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
		r = cell_error_set(err, errno, "cannot detach a device program");
	*prog_fd = safe_close(*prog_fd);
	return r;
}

/* ---- v1: the shared default cgroup ---- */

/* Made under a name of its own, filled, then renamed into place: no one joins it half-made. */
static int make_shared_devices(const char *top, const char *dir,
			       const struct cell_device_rule *rules, size_t n,
			       struct cell_error *err)
{
	char tmp[PATH_MAX];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s/%s.%d", top, CELL_SHARED_DEVICES, (int)getpid()) >=
	    (int)sizeof(tmp))
		return cell_error_set(err, ENAMETOOLONG, "cgroup %s", top);
	if (mkdir(tmp, 0755) < 0)
		return cell_error_set(err, errno, "cannot create cgroup %s", tmp);
	r = cgroup_v1_apply_devices(tmp, rules, n, err);
	if (r == 0 && rename(tmp, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = cell_error_set(err, errno, "cannot rename cgroup %s to %s", tmp, dir);
	rmdir(tmp); /* another cell run's rename won, or the rules failed */
	return r;
}

int cell_cgroup_open_shared_devices(const char *fs_root, const struct cell_device_rule *rules,
				    size_t n, struct cell_error *err)
{
	char top[PATH_MAX], dir[PATH_MAX], tasks[PATH_MAX];
	int fd, r;

	if (snprintf(top, sizeof(top), "%s/devices", fs_root) >= (int)sizeof(top) ||
	    snprintf(dir, sizeof(dir), "%s/%s", top, CELL_SHARED_DEVICES) >= (int)sizeof(dir) ||
	    snprintf(tasks, sizeof(tasks), "%s/tasks", dir) >= (int)sizeof(tasks))
		return cell_error_set(err, ENAMETOOLONG, "cgroup %s", fs_root);
	if ((fd = open(tasks, O_WRONLY | O_CLOEXEC)) >= 0)
		return fd;
	if (errno != ENOENT)
		return cell_error_set(err, errno, "cannot open %s", tasks);
	if ((r = make_shared_devices(top, dir, rules, n, err)) < 0)
		return r;
	if ((fd = open(tasks, O_WRONLY | O_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "cannot open %s", tasks);
	return fd;
}

int cell_cgroup_join_self(int tasks_fd, const char *dir, struct cell_error *err)
{
	/* "0" is the writer itself; a thread moving itself skips the global
	 * cgroup_threadgroup_rwsem (cgroup_procs_write_start), whose write side
	 * waits for an expedited RCU grace period (rcu_sync_enter) and stalls
	 * every fork and exit on the host meanwhile. Only a single-threaded
	 * caller may use it: "tasks" moves one thread. */
	if (write(tasks_fd, "0", 1) != 1)
		return cell_error_set(err, errno, "cannot join the cgroup %s (0 to its tasks file)",
				      dir);
	return 0;
}
