/*
 * cell — security/: what the container's process may do, checked before
 * any change and applied by the child.
 *
 * security.c         user and groups, capabilities, no_new_privs, rlimits,
 *                    oom_score_adj, personality, keyring, LSM labels
 * seccomp.c          linux.seccomp: checks, libseccomp compile, load, listener
 * seccomp_tree.c     the same filter as a compact binary search (no libseccomp)
 * seccomp_default.c  cell's default profile (Docker's), by bounding set
 * seccomp_profile.c  profiles in Docker's JSON format
 * seccomp_builtin.c  filters compiled at build time (libcell, not libcellcore)
 * sched.c            scheduler, I/O priority, CPU affinity
 * sysctl.c           linux.sysctl: namespaced keys only, written under /proc/sys
 * mempolicy.c        linux.memoryPolicy (set_mempolicy(2))
 *
 * Uses base/, ns/ and spec/.
 */
#ifndef CELL_SECURITY_H
#define CELL_SECURITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sched.h>
#include <sys/types.h>

#include "cell/cell.h"

/* ---- security.c ---- */

int cell_cap_last(void);
int cell_security_prepare(const struct cell_process *proc, struct cell_error *err);
int cell_security_change_user(const struct cell_process *proc, bool setgroups_allowed,
			      struct cell_error *err);
int cell_security_finish(const struct cell_process *proc, struct cell_error *err);
/** cell_caps_keep_only() - for init, which never execs: keep only @keep in its sets. */
int cell_caps_keep_only(uint64_t keep, struct cell_error *err);
/** cell_caps_permitted() - the calling thread's permitted set. */
uint64_t cell_caps_permitted(void);
/** cell_caps_effective() - the calling thread's effective set (0: unknown). */
uint64_t cell_caps_effective(void);

/** cell_security_check() - the process's security and scheduling fields, before any change. */
int cell_security_check(const struct cell_spec *spec, struct cell_error *err);
/** cell_proc_self_write() - write /proc/self/@file, also while cell is non-dumpable. */
int cell_proc_self_write(const char *file, const char *buf, struct cell_error *err);
/** cell_personality_apply() - linux.personality for the calling process. */
int cell_personality_apply(const struct cell_linux *l, struct cell_error *err);
/** cell_session_keyring_new() - join a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING). */
int cell_session_keyring_new(struct cell_error *err);
/** cell_apparmor_enabled() - does the host enforce AppArmor profiles? */
bool cell_apparmor_enabled(void);
/** cell_lsm_apply() - process.apparmorProfile / selinuxLabel for the next execve. */
int cell_lsm_apply(const struct cell_process *proc, struct cell_error *err);

/* ---- sched.c: scheduling attributes of the container's process ---- */

/** cell_cpu_list_parse() - "0-3,7" into @set; @field names it in errors. */
int cell_cpu_list_parse(const char *list, cpu_set_t *set, const char *field,
			struct cell_error *err);
/** cell_cpu_affinity_apply() - pin the calling process to @list (NULL: nothing). */
int cell_cpu_affinity_apply(const char *list, const char *field, struct cell_error *err);
/** cell_sched_check() - process.scheduler, ioPriority, execCPUAffinity; no change made. */
int cell_sched_check(const struct cell_process *proc, struct cell_error *err);
/** cell_sched_apply() - ioprio_set(2) and sched_setattr(2) for the calling process. */
int cell_sched_apply(const struct cell_process *proc, struct cell_error *err);

/* ---- sysctl.c ---- */

/**
 * cell_sysctl_check() - linux.sysctl: each key must belong to a namespace the
 * container has of its own (runc's rules); @field errors name the key.
 */
int cell_sysctl_check(const struct cell_spec *spec, struct cell_error *err);
/** cell_sysctl_namespace() - the namespace @key lives in, or -1 if not namespaced. */
int cell_sysctl_namespace(const char *key);
/** cell_sysctl_path() - "net.ipv4.ip_forward" to "net/ipv4/ip_forward" (under /proc/sys). */
int cell_sysctl_path(const char *key, char *buf, size_t size);
/** cell_sysctl_apply() - write linux.sysctl under /proc/sys (child, after the mounts). */
int cell_sysctl_apply(const struct cell_spec *spec, struct cell_error *err);

/* ---- mempolicy.c: linux.memoryPolicy ---- */

/** cell_mempolicy_check() - mode, flags and nodes (online on this host); no change made. */
int cell_mempolicy_check(const struct cell_memory_policy *m, struct cell_error *err);
/** cell_mempolicy_apply() - set_mempolicy(2) for the calling task. */
int cell_mempolicy_apply(const struct cell_memory_policy *m, struct cell_error *err);

/* ---- seccomp.c ---- */

struct sock_filter;

/* A compiled linux.seccomp: made before clone3, loaded by the child. */
struct cell_seccomp_prog {
	struct sock_filter *filter;
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;	    /* NEW_LISTENER: the load returns a listener fd */
};

/* The container process state sent to linux.seccomp.listenerPath. */
struct cell_seccomp_state {
	const char *oci_version;
	const char *id;
	const char *status;   /* "creating" */
	const char *bundle;   /* NULL: left out */
	const char *metadata; /* listenerMetadata, NULL: left out */
	pid_t pid;
	const struct cell_kv *annotations;
	size_t n_annotations;
};

/** cell_seccomp_check() - validate @s before any system change; errors name the field. */
int cell_seccomp_check(const struct cell_seccomp *s, struct cell_error *err);
int cell_seccomp_compile(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			 struct cell_error *err);
void cell_seccomp_prog_free(struct cell_seccomp_prog *prog);
/** cell_seccomp_load() - install @prog; the listener fd when prog->notify, else 0. */
int cell_seccomp_load(const struct cell_seccomp_prog *prog, struct cell_error *err);
int cell_seccomp_send_listener(const char *path, int notify_fd, const struct cell_seccomp_state *st,
			       struct cell_error *err);
bool cell_seccomp_uses_notify(const struct cell_seccomp *s);
/** cell_seccomp_args_split() - several args on one index: one rule per arg (runc's rule). */
bool cell_seccomp_args_split(const struct cell_seccomp_rule *rule);
int cell_seccomp_arch_from_name(const char *name, uint32_t *token);
/** cell_seccomp_ret() - the SECCOMP_RET_* value of an action (libseccomp's SCMP_ACT_*). */
uint32_t cell_seccomp_ret(enum cell_seccomp_action action, bool has_errno, uint32_t errno_ret);
/** cell_seccomp_denies_by_default() - does @s get the ENOSYS stub (see seccomp.c)? */
bool cell_seccomp_denies_by_default(const struct cell_seccomp *s);
/** cell_seccomp_tokens() - the SCMP_ARCH_* @s covers: the native one first, no repeats. */
size_t cell_seccomp_tokens(const struct cell_seccomp *s, uint32_t *tokens, size_t size);
/** cell_seccomp_prog_init() - empty @prog, check @s, set prog->flags and prog->notify. */
int cell_seccomp_prog_init(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			   struct cell_error *err);
/** cell_seccomp_max_syscall() - the highest number any rule of @s names on @token, or -1. */
int cell_seccomp_max_syscall(const struct cell_seccomp *s, uint32_t token);
/**
 * cell_seccomp_compile_tree() - @s as a compact filter (seccomp_tree.c): a
 * binary search over ranges of syscall numbers, the same decisions as
 * cell_seccomp_compile(). -EOPNOTSUPP (no message) for what it does not
 * cover; the caller then compiles with libseccomp.
 */
int cell_seccomp_compile_tree(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			      struct cell_error *err);
int cell_seccomp_flag_from_name(const char *name, unsigned int *flag);

/* ---- seccomp_bpf.c ---- */

struct seccomp_data;

/* What one run of a filter did. */
struct cell_bpf_result {
	uint32_t ret;	  /* the SECCOMP_RET_* value returned */
	unsigned steps;	  /* instructions run */
	bool read_args;	  /* loaded a syscall argument */
	bool uncacheable; /* the kernel's seccomp_is_const_allow() would give up */
};

/**
 * cell_bpf_run() - run the classic BPF filter @f of @len instructions on @d
 * as seccomp does. -EINVAL: an instruction seccomp refuses, a load outside
 * struct seccomp_data, or running off the end.
 */
int cell_bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d,
		 struct cell_bpf_result *r);
/** cell_seccomp_check_exec() - fail, naming linux.seccomp, if @prog refuses execve(2). */
int cell_seccomp_check_exec(const struct cell_seccomp_prog *prog, struct cell_error *err);

/* ---- seccomp_default.c, seccomp_profile.c: profiles in Docker's format ---- */

/*
 * When an entry of a Docker-format profile applies (moby's profiles/seccomp:
 * "includes" and "excludes"), resolved when the spec is built.
 */
struct cell_seccomp_cond {
	uint64_t includes_caps;		    /* all of them in the bounding set */
	uint64_t excludes_caps;		    /* none of them in the bounding set */
	const char *const *includes_arches; /* Go names ("amd64"); NULL: any */
	const char *const *excludes_arches;
};

/** cell_seccomp_cond_holds() - does an entry with @c apply for @caps on Go arch @arch? */
bool cell_seccomp_cond_holds(const struct cell_seccomp_cond *c, uint64_t caps, const char *arch);
/** cell_seccomp_native_goarch() - this build's architecture by Go's name ("amd64"). */
const char *cell_seccomp_native_goarch(void);
/** cell_seccomp_native_arch() - this build's architecture by the spec's name, or NULL. */
const char *cell_seccomp_native_arch(void);

/**
 * cell_seccomp_default() - cell's default profile (seccomp_default.c) for a
 * process whose bounding set is @caps, as linux.seccomp in *@out (emptied first).
 */
int cell_seccomp_default(uint64_t caps, struct cell_seccomp *out, struct cell_error *err);
/**
 * cell_seccomp_default_match() - is @s cell's default profile for some
 * bounding set? Then *@applied gets the bit mask of the default table's
 * entries @s holds (the key of a filter compiled at build time).
 */
bool cell_seccomp_default_match(const struct cell_seccomp *s, uint64_t *applied);
/** cell_seccomp_default_applied() - the table entries that apply for @caps (a bit each). */
uint64_t cell_seccomp_default_applied(uint64_t caps);
/**
 * cell_seccomp_from_profile() - a profile in Docker's JSON format (defaultAction,
 * defaultErrnoRet, archMap, syscalls[] with includes/excludes) or an OCI
 * linux.seccomp object, resolved for bounding set @caps into *@out. @name
 * names the file in errors.
 */
int cell_seccomp_from_profile(const char *text, size_t len, const char *name, uint64_t caps,
			      struct cell_seccomp *out, struct cell_error *err);
/**
 * cell_seccomp_prepare() - the filter for @s: built in when @s is the default
 * profile this build compiled (no libseccomp at run time), else compiled.
 */
int cell_seccomp_prepare(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			 struct cell_error *err);
/** cell_seccomp_is_builtin() - is @s a filter this build compiled in advance? */
bool cell_seccomp_is_builtin(const struct cell_seccomp *s);

#endif
