/*
 * cell — run/: the start path (docs/DESIGN.md tells its sequence).
 *
 * container.c    the parent side: validate, prepare, clone3, maps, cgroup,
 *                network, hooks, wait, teardown; cell_run, create, exec
 * plan.c         struct start_plan: the order of the start, from the spec
 * validate.c     cell_spec_validate: the whole spec, before any change
 * process.c      the child side: namespaces, mounts, then command.c
 * child.c        what both child files share: failure reports, inner hooks
 * command.c      the command's own setup, READY, the start wait, execve
 * command_env.c  HOME from the container's /etc/passwd
 * init.c         the optional PID 1: reaps, forwards signals, reports status
 * init_image.c   the same as a program of its own (src/init/init.c), in a memfd
 * sync.c         the parent <-> child messages (socketpair)
 * tty.c          the pty relay (parent side)
 * hooks.c        OCI hooks
 * state.c        state directory (state.h), criu.c checkpoints (criu.h)
 *
 * Uses every folder below it.
 */
#ifndef CELL_RUN_H
#define CELL_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "utils.h"

/* cell_clone3_vm() (container.c): clone3 with a stack of cell's own, x86_64 only. */
#if defined(__x86_64__) && !CELL_ASAN
#define CELL_CLONE3_VM 1
#else
#define CELL_CLONE3_VM 0
#endif

/* cell_init_door_answer() (src/init/init.c, cell's own copy): x86_64 only. */
#if defined(__x86_64__)
#define CELL_INIT_DOOR 1
#else
#define CELL_INIT_DOOR 0
#endif

#include "cell/cell.h"
#include "sync_msg.h"

struct cell_rootfs_prepared;
struct cell_seccomp_prog;

/* ---- sync.c: the parent <-> child channel (SOCK_SEQPACKET socketpair) ---- */

/* enum cell_sync_type and struct cell_sync_msg: sync_msg.h */

int cell_sync_send(int fd, enum cell_sync_type type, int value, const char *text, int pass_fd);
/** cell_sync_recv() - one message; *@fd_out gets a passed fd or -1. 0 on EOF, 1 on a message. */
int cell_sync_recv(int fd, struct cell_sync_msg *msg, int *fd_out);
/** cell_sync_send_error() - report @err over @fd (child side); -errno if nobody listens. */
int cell_sync_send_error(int fd, const struct cell_error *err);
/**
 * cell_sync_store_error() - @err as one message into @report, the shared
 * mapping of the start report file, with plain stores (no syscall).
 */
void cell_sync_store_error(void *report, const struct cell_error *err);
/** cell_sync_write_error() - @err as one message into the start result fifo @fd. */
int cell_sync_write_error(int fd, const struct cell_error *err);

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
size_t cell_hooks_run_all(const struct cell_spec *spec, enum cell_hook_kind kind, const char *state,
			  const char *bundle, cell_warn_fn warn, void *ctx);

/* ---- init.c ---- */

/**
 * cell_init_run() - become the container's init: reap, forward signals,
 * report @child's status over @sync_fd (and into @exit_fd unless it is -1),
 * answer @door (-1: none; src/init/init_door.h) for @door_uid, then _exit.
 * Never returns.
 */
__attribute__((noreturn)) void cell_init_run(pid_t child, int sync_fd, int exit_fd, int door,
					     uid_t door_uid);

/* ---- init_image.c: the freestanding init, for a vfork-style start ---- */

/** cell_init_image_built_in() - was src/init/init.c built for this machine? */
bool cell_init_image_built_in(void);
/** cell_init_image_open() - a sealed, close-on-exec memfd of it (a duplicate of the one
 * made first), or -errno. */
int cell_init_image_open(void);

/* ---- plan.c: the start plan ---- */

/* What the parent found out before clone3, the start plan's input beside the spec. */
struct start_facts {
	bool cgroup;	       /* a cgroup (or the shared devices one) is planned or made */
	bool cgroup_into;      /* v2: made already; clone3 makes the child in it */
	bool cgroup_later;     /* the parent places the child after clone3 (v1, hybrid;
				   not the shared devices cgroup, which the child joins) */
	bool cgroup_join;      /* cell exec: joins the container's cgroup */
	bool pins;	       /* namespaces to pin by path (cell_run_options.pin_paths) */
	bool net_parent;       /* the parent sets the network up (cell_net_needs_parent) */
	bool create;	       /* OCI create: the parent hands the process on at READY */
	pid_t join_pid;	       /* cell exec: the container's namespaces through this PID */
	bool root;	       /* geteuid() == 0 */
	bool initial_userns;   /* cell runs in the initial user namespace */
	bool idmap_direct;     /* cell writes the maps itself (cell_idmap_direct) */
	bool setgroups_self;   /* cell's own user namespace's setgroups says "allow" */
	bool setgroups_joined; /* the spec's user namespace path's setgroups says "allow" */
	bool start_wait;       /* the state is recorded before the command may run (cell
				  run of a bundle: on_created), by the parent and a start
				  byte, or by the child itself (record_in_child) */
	bool record_in_child;  /* on_created may run in a vfork-style child */
	bool filter_early;     /* linux.seccomp is loaded before the start wait, so it
				  must allow its read(2) (cell_command_filter_early):
				  recorded by the parent either way, whatever the host */
	bool cgroup_self_ok;   /* cgroup_later, but one the child may join itself by its
				  v1 tasks files: no part in the unified hierarchy (a
				  memory limit may: the OOM killer never picks a child in
				  vfork, see clone_vm()) */
	bool shared_vm_ok;     /* this build may start the child sharing cell's memory
				  (not under ASan, which cannot follow the stack switch) */
	bool init_image;       /* the freestanding init is built in (src/init/init.c) */
	bool clone3_vm;	       /* a vfork-style child may be made by clone3 (CELL_CLONE3_VM):
				  CLONE_INTO_CGROUP too */
	bool maps_by_child;    /* unprivileged, a self map of uid and gid: the child may
				  write its own (no GO for them) */
	bool userns_first_ok;  /* the parent may make the new user namespace, its maps
				  written, before clone (root in the initial one) */
	bool mounts_final;     /* nothing in the container can ever change its mounts: no
				  capability ever, no cell exec into it, and its seccomp
				  filter refuses mount(2) and every call of its kind
				  (cell judge), so they need no lock (mount_lock.c) */
	bool setgroups_deny;   /* root: a new user namespace cell maps denies setgroups(2)
				  (cell judge: the box has no capability to call it with) */
	bool init_in_vm_ok;    /* under init, PID 1 may stay in cell's memory: its
				  /proc/1/cmdline, cell's, tells the container nothing it
				  may not know (cell judge; a user namespace mapping cell's
				  ids, whose init was a fork of cell); x86_64, not ASan */
	bool init_unreadable;  /* cell's uid or gid has no id in the new user namespace:
				  the freestanding init's memfd (mode 0111, cell's) is
				  not readable there, so its exec is non-dumpable from
				  the start and its mm belongs to cell's user namespace
				  (fs/exec.c: would_dump()) */
};

/*
 * The start protocol, decided once before clone3: which namespaces clone3
 * makes and which the child makes later, whether the child waits for GO and
 * how much it does before, and what the child does on its side.
 */
struct start_plan {
	uint64_t clone_ns;	/* CLONE_NEW* clone3 makes */
	uint64_t early_ns;	/* the child unshares these while waiting for GO */
	uint64_t late_ns;	/* the child unshares these in a user namespace joined by path */
	bool into_cgroup;	/* CLONE_INTO_CGROUP */
	bool cgroupns_at_clone; /* clone3 makes the cgroup namespace (no cgroup of its own) */
	bool cgroupns_late;	/* the child unshares it once in its cgroup */
	bool in_userns;		/* the child runs in a user namespace (new, joined or cell's) */
	bool setgroups_allowed; /* the child may call setgroups(2) */
	bool write_maps;	/* the parent writes uid/gid maps before GO */
	bool userns_first;	/* spawn_vm: the parent makes the user namespace with its
				   maps before clone, and the child is cloned into it */
	uint32_t userns_owner;	/* root: the host uid that makes the new user namespace
				   (cell_userns_owner()); 0: cell's own */
	bool child_maps;	/* the child writes its own (a self map), first thing */
	bool go;		/* the child waits for GO: parent-side work follows clone3 */
	bool setup_before_go;	/* GO only says "in your cgroup": the child mounts first and
				   waits for it at the first cgroup mount (or after the mounts) */
	bool adopt;		/* a pid namespace joined by path: the child forks into it */
	bool setup_rootfs;	/* the child sets up root, mounts and paths */
	bool lock_mounts;	/* the child locks its mounts (mount_lock.c) */
	bool userns_limit;	/* the child bounds the user namespaces below its own
				   (cell_mounts_lock_prepare): lock_mounts or, without
				   the lock, mounts_final */
	bool under_init;	/* the command runs below cell's init */
	bool say_ready;		/* the child sends READY (create, poststart hooks) */
	bool child_cgroup;	/* spawn_vm: the child joins its own (v1) cgroup by itself */
	bool child_records;	/* spawn_vm: the child calls on_created, before its mounts */
	bool spawn_vm;		/* vfork-style: the child shares cell's memory and cell waits
				   (CLONE_VM | CLONE_VFORK) until it execs the command or,
				   under init, the freestanding init (container.c) */
	bool init_in_vm;	/* spawn_vm under init: the child stays PID 1 in cell's
				   memory (cell_init_serve), "in vfork" of a hop; cell goes
				   on once it serves (container.c: clone_hop()) */
};

/** start_plan_make() - the plan for @spec on a host described by @f; no system call. */
void start_plan_make(const struct cell_spec *spec, const struct start_facts *f,
		     struct start_plan *p);

/* ---- process.c, child.c (child side) ---- */

struct cell_child_args {
	const struct cell_spec *spec;
	int sync_fd;
	struct start_plan plan;	  /* the order of the start, as the parent decided it */
	struct sigaction sigpipe; /* the caller's SIGPIPE disposition, for the command */
	bool detached;		  /* OCI create: the parent leaves; no parent-death signal */
	int start_fd;		  /* >= 0: wait for a byte here before exec */
	int status_fd;	       /* >= 0: the start result fifo (cell_run_options.start_result_fd) */
	int exit_fd;	       /* >= 0: the init writes the wait status there (opts->exit_fd) */
	int report_fd;	       /* >= 0: the start report file (cell_run_options.start_report_fd) */
	void **report;	       /* where the command's mapping of it goes, for init to unmap */
	unsigned preserve_fds; /* fds 3 .. 3+N-1 stay open for the command */
	const char *id, *bundle; /* for the state JSON of in-container hooks */
	bool exec_detach;	 /* cell exec -d: start the command, report its PID, leave */
	bool ns_ids;		 /* report the namespaces' inodes (CELL_SYNC_NS_IDS) */
	bool new_keyring;	 /* join a new session keyring (runc's default) */
	pid_t join_pid;		 /* join the namespaces given by path through this process */
	const struct cell_rootfs_prepared *rootfs; /* the parent's, for the mounts */
	int stdio[3];
	const struct cell_seccomp_prog *seccomp; /* NULL: no linux.seccomp */
	char *const *env;			 /* the command's environment; NULL: process.env */
	int init_fd;	   /* >= 0 (plan.spawn_vm): under init, exec this memfd as PID 1 */
	int *init_started; /* plan.init_in_vm: cell_init_serve()'s futex word */
	int door_fd;	   /* >= 0: PID 1's door (src/init/init_door.h), kept by the init */
	uid_t door_uid;	   /* whom the door answers: cell's uid in the container */
	/* tasks files to write "0" to, first thing: cell.devices, or the
	 * container's own v1 cgroup (plan.child_cgroup) */
	const int *tasks_fds;
	const char *const *tasks_dirs; /* the cgroup of each, for errors */
	size_t n_tasks_fds;
	/* plan.child_records: records the container (on_created), first thing */
	int (*record)(void *ctx, struct cell_error *err);
	void *record_ctx;
};

__attribute__((noreturn)) void cell_child_main(const struct cell_child_args *args);
/**
 * cell_command_filter_early() - is @seccomp (linux.seccomp, NULL: none)
 * loaded before the start wait rather than right before execve (command.c)?
 * Then it judges cell's own read(2) of the start signal too.
 */
bool cell_command_filter_early(const struct cell_spec *spec,
			       const struct cell_seccomp_prog *seccomp);
/** cell_child_fail() - report @err to whoever listens (parent, cell start, stderr), _exit. */
__attribute__((noreturn)) void cell_child_fail(const struct cell_child_args *a,
					       const struct cell_error *err);
/** cell_child_hooks_run() - createContainer or startContainer hooks, from inside. */
int cell_child_hooks_run(const struct cell_child_args *a, enum cell_hook_kind kind, pid_t host_pid,
			 struct cell_error *err);

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
	int master;	   /* pty master from the container, -1 if none */
	int in_fd, out_fd; /* the caller's terminal side */
	bool raw_set;	   /* termios of in_fd must be restored */
	bool in_open;	   /* in_fd has not reached EOF */
	bool mid_line;	   /* the last byte relayed in was not a newline */
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
