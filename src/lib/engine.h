/* cell — internal interfaces of the start path (not part of the public API). */
#ifndef CELL_ENGINE_H
#define CELL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sched.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "cell/cell.h"

#ifndef CELL_OCI_VERSION
#define CELL_OCI_VERSION "1.3.0" /* the runtime-spec version cell implements */
#endif

/* ---- sync.c: the parent <-> child channel (SOCK_SEQPACKET socketpair) ---- */

enum cell_sync_type {
	CELL_SYNC_GO = 1,	 /* parent -> child: maps written, cgroup joined; go on */
	CELL_SYNC_ERROR,	 /* child -> parent: setup failed; errnum, kind, message */
	CELL_SYNC_PTY_MASTER,	 /* child -> parent: the pty master fd (SCM_RIGHTS) */
	CELL_SYNC_STATUS,	 /* init -> parent: the command's raw wait status */
	CELL_SYNC_READY,	 /* child -> parent: set up; waits on start_fd to exec */
	CELL_SYNC_PID,		 /* init -> parent: the command's host PID */
	CELL_SYNC_SECCOMP_FD,	 /* child -> parent: the seccomp listener fd (SCM_RIGHTS) */
	CELL_SYNC_SECCOMP_DONE,	 /* parent -> child: the listener has it (value 0) or -errno */
	CELL_SYNC_ADOPT,	 /* child -> parent: the container's process is this PID, a child
				    of the parent's made in a joined pid namespace; the sender leaves */
};

struct cell_sync_msg {
	uint32_t type;
	int32_t value;	/* errnum, wait status or pid */
	uint32_t kind;	/* enum cell_error_kind, for ERROR */
	char text[1024]; /* as struct cell_error.msg */
};

int cell_sync_send(int fd, enum cell_sync_type type, int value, const char *text, int pass_fd);
/** cell_sync_recv() - one message; *@fd_out gets a passed fd or -1. 0 on EOF, 1 on a message. */
int cell_sync_recv(int fd, struct cell_sync_msg *msg, int *fd_out);
/** cell_sync_send_error() - report @err over @fd (child side); -errno if nobody listens. */
int cell_sync_send_error(int fd, const struct cell_error *err);
/** cell_sync_write_error() - @err as one message into the start result fifo @fd. */
int cell_sync_write_error(int fd, const struct cell_error *err);

/* ---- idmap.c ---- */

/** cell_idmap_direct() - true when cell writes the maps itself (root, or a self map). */
bool cell_idmap_direct(const struct cell_spec *spec);
/** cell_idmap_write() - write uid/gid maps of @pid (directly, or via newuidmap/newgidmap). */
int cell_idmap_write(pid_t pid, const struct cell_spec *spec, struct cell_error *err);
/**
 * cell_userns_for_maps() - fd of a new user namespace with these maps, or
 * -errno. The caller needs CAP_SETUID and CAP_SETGID in its own namespace.
 */
int cell_userns_for_maps(const struct cell_id_map *uid, size_t n_uid,
			 const struct cell_id_map *gid, size_t n_gid, const char *what,
			 struct cell_error *err);

/* ---- mount_lock.c (child side, after the mount setup) ---- */

/**
 * cell_mounts_lock_prepare() - in the container's first user namespace,
 * before its mounts: allow one user namespace below it (the one
 * cell_mounts_lock makes) unless spec->cell.nested_userns, and let a new
 * network namespace bind any port.
 */
int cell_mounts_lock_prepare(const struct cell_spec *spec, struct cell_error *err);
/**
 * cell_mounts_lock() - enter a user namespace mapping @spec's container ids onto
 * themselves and a mount namespace owned by it, so the kernel locks every
 * mount made so far.
 */
int cell_mounts_lock(const struct cell_spec *spec, struct cell_error *err);

/* ---- rootfs.c (child side, inside the new mount namespace) ---- */

/* What the parent makes before clone3 for the child's mounts (inherited fds). */
struct cell_rootfs_prepared {
	int *trees;	/* per spec mount: a detached idmapped tree, or -1; NULL: none */
};

/** cell_rootfs_prepare() - parent side: the idmapped mounts' trees (root only). */
int cell_rootfs_prepare(const struct cell_spec *spec, struct cell_rootfs_prepared *p,
			struct cell_error *err);
void cell_rootfs_prepared_free(struct cell_rootfs_prepared *p, size_t n_mounts);
/* The caller's part in cell_rootfs_setup(); each may be NULL. */
struct cell_rootfs_calls {
	/* before the first cgroup mount: the process is in its cgroup and its
	 * cgroup namespace from then on */
	int (*before_cgroup)(void *ctx, struct cell_error *err);
	/* once the mounts are made, before pivot_root (createContainer hooks) */
	int (*before_pivot)(void *ctx, struct cell_error *err);
	void *ctx;
};
/** cell_rootfs_setup() - child side: root, mounts[], /dev, masked and read-only paths. */
int cell_rootfs_setup(const struct cell_spec *spec, bool in_userns,
		      const struct cell_rootfs_prepared *p, const struct cell_rootfs_calls *calls,
		      struct cell_error *err);
/** cell_apparmor_enabled() - does the host enforce AppArmor profiles? */
bool cell_apparmor_enabled(void);
/** cell_selinux_enabled() - is selinuxfs mounted (mountLabel can be applied)? */
bool cell_selinux_enabled(void);

/* ---- security.c ---- */

int cell_cap_from_name(const char *name);
const char *cell_cap_name(int cap);
uint64_t cell_caps_default(void);
int cell_cap_last(void);
int cell_security_prepare(const struct cell_process *proc, struct cell_error *err);
int cell_security_change_user(const struct cell_process *proc, bool setgroups_allowed,
			      struct cell_error *err);
int cell_security_finish(const struct cell_process *proc, struct cell_error *err);
/** cell_caps_keep_only() - for init, which never execs: keep only @keep in its sets. */
int cell_caps_keep_only(uint64_t keep, struct cell_error *err);
/** cell_caps_permitted() - the calling thread's permitted set. */
uint64_t cell_caps_permitted(void);

/** cell_security_check() - the process's security and scheduling fields, before any change. */
int cell_security_check(const struct cell_spec *spec, struct cell_error *err);
/** cell_proc_self_write() - write /proc/self/@file, also while cell is non-dumpable. */
int cell_proc_self_write(const char *file, const char *buf, struct cell_error *err);
/** cell_personality_apply() - linux.personality for the calling process. */
int cell_personality_apply(const struct cell_linux *l, struct cell_error *err);
/** cell_session_keyring_new() - join a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING). */
int cell_session_keyring_new(struct cell_error *err);
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

/* NULL-terminated; a mode's index is its MPOL_* value */
extern const char *const cell_mpol_mode_names[];
extern const char *const cell_mpol_flag_names[];
/** cell_mpol_flag_from_name() - "MPOL_F_STATIC_NODES" to its bit; -EINVAL if unknown. */
int cell_mpol_flag_from_name(const char *name, unsigned *flag);
/** cell_mempolicy_check() - mode, flags and nodes (online on this host); no change made. */
int cell_mempolicy_check(const struct cell_memory_policy *m, struct cell_error *err);
/** cell_mempolicy_apply() - set_mempolicy(2) for the calling task. */
int cell_mempolicy_apply(const struct cell_memory_policy *m, struct cell_error *err);

/* ---- tmpfs_bounds.c ---- */

/** cell_tmpfs_default_size() - a quarter of RAM, at most 1 GiB and half @memory_limit (if > 0). */
uint64_t cell_tmpfs_default_size(int64_t memory_limit);
/** cell_tmpfs_set_size() - set size= of tmpfs mount @m to @bytes (rounded up to KiB). */
int cell_tmpfs_set_size(struct cell_mount *m, uint64_t bytes, struct cell_error *err);
/**
 * cell_tmpfs_bound() - a writable tmpfs without size= gets @default_size; one
 * without nr_inodes= one inode per 16 KiB of its size (at least 1024).
 */
int cell_tmpfs_bound(struct cell_mount *m, uint64_t default_size, struct cell_error *err);
/** cell_spec_bound_tmpfs() - cell_tmpfs_bound() on every mount, the size from the memory limit. */
int cell_spec_bound_tmpfs(struct cell_spec *spec, struct cell_error *err);

/* ---- seccomp.c ---- */

struct sock_filter;

/* A compiled linux.seccomp: made before clone3, loaded by the child. */
struct cell_seccomp_prog {
	struct sock_filter *filter;
	unsigned short len;
	unsigned int flags;	/* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;		/* NEW_LISTENER: the load returns a listener fd */
};

/* The container process state sent to linux.seccomp.listenerPath. */
struct cell_seccomp_state {
	const char *oci_version;
	const char *id;
	const char *status;	/* "creating" */
	const char *bundle;	/* NULL: left out */
	const char *metadata;	/* listenerMetadata, NULL: left out */
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
int cell_seccomp_send_listener(const char *path, int notify_fd,
			       const struct cell_seccomp_state *st, struct cell_error *err);
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

/* ---- seccomp_default.c, seccomp_profile.c: profiles in Docker's format ---- */

/*
 * When an entry of a Docker-format profile applies (moby's profiles/seccomp:
 * "includes" and "excludes"), resolved when the spec is built.
 */
struct cell_seccomp_cond {
	uint64_t includes_caps;			/* all of them in the bounding set */
	uint64_t excludes_caps;			/* none of them in the bounding set */
	const char *const *includes_arches;	/* Go names ("amd64"); NULL: any */
	const char *const *excludes_arches;
};

/** cell_seccomp_cond_holds() - does an entry with @c apply for @caps on Go arch @arch? */
bool cell_seccomp_cond_holds(const struct cell_seccomp_cond *c, uint64_t caps,
			     const char *arch);
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
/** cell_seccomp_free() - free what @s holds and zero it. */
void cell_seccomp_free(struct cell_seccomp *s);
/**
 * cell_seccomp_from_profile() - a profile in Docker's JSON format (defaultAction,
 * defaultErrnoRet, archMap, syscalls[] with includes/excludes) or an OCI
 * linux.seccomp object, resolved for bounding set @caps into *@out. @name
 * names the file in errors.
 */
int cell_seccomp_from_profile(const char *text, size_t len, const char *name, uint64_t caps,
			      struct cell_seccomp *out, struct cell_error *err);
/**
 * cell_seccomp_read_json() - an OCI linux.seccomp object (jansson json_t *) into
 * *@s; errors name the value under @path ("linux.seccomp").
 */
int cell_seccomp_read_json(void *obj, const char *path, struct cell_seccomp *s,
			   struct cell_error *err);
/**
 * cell_seccomp_prepare() - the filter for @s: built in when @s is the default
 * profile this build compiled (no libseccomp at run time), else compiled.
 */
int cell_seccomp_prepare(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			 struct cell_error *err);
/** cell_seccomp_is_builtin() - is @s a filter this build compiled in advance? */
bool cell_seccomp_is_builtin(const struct cell_seccomp *s);

/* ---- ns.c ---- */

/** cell_ns_clone_flags() - CLONE_NEW* flags of namespaces to create at clone time. */
uint64_t cell_ns_clone_flags(const struct cell_spec *spec, bool cgroup_at_clone);
/** cell_ns_late_flags() - the CLONE_NEW* flags of new namespaces but cgroup and time. */
uint64_t cell_ns_late_flags(const struct cell_spec *spec);

/* ---- spec/json_read.c: names of spec values ---- */

const char *cell_hook_kind_name(enum cell_hook_kind kind);
/** cell_rlimit_name() - "RLIMIT_NOFILE" for RLIMIT_NOFILE; NULL if unknown. */
const char *cell_rlimit_name(int resource);
const char *cell_seccomp_action_name(enum cell_seccomp_action a);
const char *cell_seccomp_op_name(enum cell_seccomp_op op);

/* ---- spec.c ---- */

/* runc's and crun's maskedPaths and readonlyPaths (NULL-terminated). */
extern const char *const cell_default_masked_paths[];
extern const char *const cell_default_readonly_paths[];

/* ---- hooks.c ---- */

/** cell_hook_state_json() - the OCI state a hook reads on stdin (malloc'd, NULL: no memory). */
char *cell_hook_state_json(const char *id, pid_t pid, const char *status, const char *bundle,
			   const struct cell_spec *spec);
/**
 * cell_hooks_run() - run the hooks of @kind in order; the first failure stops
 * them. Each runs in @bundle (NULL or unreachable: where cell runs) with the
 * hook's env, or cell's own environment when it has none (as runc and crun).
 */
int cell_hooks_run(const struct cell_spec *spec, enum cell_hook_kind kind, const char *state,
		   const char *bundle, struct cell_error *err);
/**
 * cell_hooks_run_all() - run every hook of @kind in order, whatever the ones
 * before it did (poststart, poststop); @warn (may be NULL) gets each failure.
 * Return: how many failed.
 */
size_t cell_hooks_run_all(const struct cell_spec *spec, enum cell_hook_kind kind,
			  const char *state, const char *bundle, cell_warn_fn warn, void *ctx);

/* ---- init.c ---- */

/**
 * cell_init_run() - become the container's init: reap, forward signals,
 * report @child's status over @sync_fd, then _exit. Never returns.
 */
__attribute__((noreturn)) void cell_init_run(pid_t child, int sync_fd);

/* ---- process.c (child side) ---- */

struct cell_child_args {
	const struct cell_spec *spec;
	int sync_fd;
	bool in_userns;		/* a user namespace was created */
	bool setgroups_allowed; /* /proc/PID/setgroups is "allow" */
	bool wait_for_go;	/* the parent writes maps or joins a cgroup first */
	uint64_t early_ns;	/* CLONE_NEW* to unshare while waiting for GO */
	bool setup_before_go;	/* GO only says "in your cgroup": wait for it at the
				   first cgroup mount, or after the mounts */
	struct sigaction sigpipe; /* the caller's SIGPIPE disposition, for the command */
	bool cgroupns_made;	/* clone3 made the cgroup namespace already */
	bool join_devices;	/* join the shared devices cgroup through devices_tasks_fd */
	int devices_tasks_fd;	/* its "tasks" file (cell_cgroup_open_shared_devices) */
	bool detached;		/* OCI create: the parent leaves; no parent-death signal */
	int start_fd;		/* >= 0: wait for a byte here before exec */
	int status_fd;		/* >= 0: the start result fifo (cell_run_options.start_result_fd) */
	bool say_ready;		/* the parent waits for READY (create, poststart hooks) */
	unsigned preserve_fds;	/* fds 3 .. 3+N-1 stay open for the command */
	const char *id, *bundle; /* for the state JSON of in-container hooks */
	bool exec_detach;	/* cell exec -d: start the command, report its PID, leave */
	bool new_keyring;	/* join a new session keyring (runc's default) */
	pid_t join_pid;		/* join the namespaces given by path through this process */
	const struct cell_rootfs_prepared *rootfs; /* the parent's, for the mounts */
	int stdio[3];
	const struct cell_seccomp_prog *seccomp; /* NULL: no linux.seccomp */
	char *const *env;	/* the command's environment; NULL: process.env */
};

__attribute__((noreturn)) void cell_child_main(const struct cell_child_args *args);
/** cell_child_fail() - report @err to whoever listens (parent, cell start, stderr), _exit. */
__attribute__((noreturn)) void cell_child_fail(const struct cell_child_args *a,
					       const struct cell_error *err);
/** cell_child_hooks_run() - createContainer or startContainer hooks, from inside. */
int cell_child_hooks_run(const struct cell_child_args *a, enum cell_hook_kind kind,
			 pid_t host_pid, struct cell_error *err);

/* ---- command.c (child side) ---- */

/**
 * cell_command_exec() - the command's own setup, READY and the start wait
 * (a->start_fd), then execve of process.args; every failure goes through
 * cell_child_fail(). @slave: the pty slave or -1; @host_pid for hooks' state.
 */
__attribute__((noreturn)) void cell_command_exec(const struct cell_child_args *a, int slave,
						 pid_t host_pid);

/* ---- command_env.c (child side, inside the container's root) ---- */

/**
 * cell_command_env() - process.env plus HOME from the container's /etc/passwd
 * when it lacks one ("/" for a uid it does not name). *@out: a new array
 * sharing process.env's strings, or NULL when process.env is complete.
 */
int cell_command_env(const struct cell_process *p, char ***out, struct cell_error *err);

/* ---- tty.c (parent side) ---- */

struct cell_tty_relay {
	int master;		/* pty master from the container, -1 if none */
	int in_fd, out_fd;	/* the caller's terminal side */
	bool raw_set;		/* termios of in_fd must be restored */
	bool in_open;		/* in_fd has not reached EOF */
	bool mid_line;		/* the last byte relayed in was not a newline */
	struct termios saved;
};

int cell_tty_relay_start(struct cell_tty_relay *r, int master, int in_fd, int out_fd,
			 struct cell_error *err);
/** cell_tty_relay_pump() - move bytes after poll said @fd is readable; 0 once the master is done. */
int cell_tty_relay_pump(struct cell_tty_relay *r, int fd);
void cell_tty_relay_resize(struct cell_tty_relay *r);
void cell_tty_relay_drain(struct cell_tty_relay *r);
void cell_tty_relay_stop(struct cell_tty_relay *r);

/**
 * cell_container_device_rules() - the device allow-list a root container's
 * cgroup gets (deny all, config-linux.md's defaults, linux.devices), set in
 * @res; *@rules holds it until the caller frees it. cell restore makes its
 * cgroup with it, as create does.
 */
int cell_container_device_rules(const struct cell_spec *spec, struct cell_resources *res,
				struct cell_device_rule **rules, struct cell_error *err);

#endif
