/*
 * cell — public API.
 *
 * struct cell_spec holds the fields of the OCI runtime spec (v1.3) that cell
 * carries out, in memory. Every front end (flags, config.json, exec) builds
 * one; the engine reads nothing else. The library never prints and never
 * exits: functions return 0 or -errno and fill a struct cell_error.
 */
#ifndef CELL_CELL_H
#define CELL_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"

/* -std=gnu11 predefines `linux` as 1; the OCI field below is named linux. */
#ifdef linux
#undef linux
#endif

enum cell_ns_type {
	CELL_NS_CGROUP,
	CELL_NS_IPC,
	CELL_NS_MNT,
	CELL_NS_NET,
	CELL_NS_PID,
	CELL_NS_TIME,
	CELL_NS_USER,
	CELL_NS_UTS,
	CELL_NS_COUNT
};

/* One entry of the namespace table (ns.c): the facts every command reads. */
struct cell_ns_info {
	enum cell_ns_type type;
	int clone_flag;	       /* CLONE_NEW* */
	const char *name;      /* OCI name: "pid", "network", "mount", ... */
	const char *proc_name; /* file under /proc/PID/ns/ */
};

const struct cell_ns_info *cell_ns_info(enum cell_ns_type type);
/** cell_ns_from_name() - OCI or short name ("net", "network", "mnt"...) to type, -1 if unknown. */
int cell_ns_from_name(const char *name);

/* linux.namespaces[]: present == listed in the spec; path == NULL creates one. */
struct cell_namespace {
	bool present;
	char *path;
};

/* linux.uidMappings[] / gidMappings[] */
struct cell_id_map {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

/* mounts[] */
struct cell_mount {
	char *destination;
	char *type;
	char *source;
	char **options; /* NULL-terminated, may be NULL */
	/* mounts[].uidMappings/gidMappings: an idmapped mount (mount_setattr) */
	struct cell_id_map *uid_mappings;
	size_t n_uid_mappings;
	struct cell_id_map *gid_mappings;
	size_t n_gid_mappings;
};

/* A string map (annotations, linux.sysctl, linux.resources.unified). */
struct cell_kv {
	char *key;
	char *value;
};

/* linux.devices[] */
struct cell_device {
	char *path;
	char type; /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
	int64_t major, minor;
	bool has_file_mode;
	uint32_t file_mode; /* permission bits */
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

/* linux.resources.devices[]: a device cgroup rule. */
struct cell_device_rule {
	bool allow;
	char type;	      /* 'a' (all), 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];	      /* subset of "rwm" */
};

/* linux.resources.blockIO.weightDevice[] */
struct cell_device_weight {
	uint32_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

/* linux.resources.hugepageLimits[] */
struct cell_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

/* linux.resources.network.priorities[] */
struct cell_net_priority {
	char *name;
	uint32_t priority;
};

/* linux.resources.rdma{} */
struct cell_rdma_limit {
	char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

/* linux.resources.blockIO.throttle*Device[] */
struct cell_device_rate {
	uint32_t major;
	uint32_t minor;
	uint64_t rate;
};

/*
 * linux.resources. Each optional field has a has_* flag: "not set" and
 * "set to -1 (unlimited)" differ in the OCI spec.
 */
struct cell_resources {
	bool has_memory_limit;
	int64_t memory_limit; /* bytes, -1 unlimited */
	bool has_memory_swap;
	int64_t memory_swap; /* memory + swap, bytes, -1 unlimited */
	bool has_cpu_shares;
	uint64_t cpu_shares; /* v1 shares, 2..262144 */
	bool has_cpu_quota;
	int64_t cpu_quota; /* microseconds per period, -1 unlimited */
	bool has_cpu_period;
	uint64_t cpu_period; /* microseconds */
	char *cpuset_cpus;   /* "0-1,3", NULL unset */
	char *cpuset_mems;
	bool has_pids_limit;
	int64_t pids_limit; /* -1 unlimited */
	bool has_blkio_weight;
	uint16_t blkio_weight; /* 10..1000 */
	struct cell_device_rate *read_bps;
	size_t n_read_bps;
	struct cell_device_rate *write_bps;
	size_t n_write_bps;
	/* the rest of linux.resources (OCI bundles; flags set none of it) */
	bool has_memory_reservation;
	int64_t memory_reservation;
	bool has_memory_kernel_tcp;
	int64_t memory_kernel_tcp;
	bool has_memory_swappiness;
	uint64_t memory_swappiness; /* 0..100 */
	bool has_disable_oom_killer;
	bool disable_oom_killer;
	bool has_use_hierarchy;
	bool use_hierarchy;
	bool check_before_update;
	bool has_cpu_realtime_runtime;
	int64_t cpu_realtime_runtime;
	bool has_cpu_realtime_period;
	uint64_t cpu_realtime_period;
	bool has_cpu_burst;
	uint64_t cpu_burst;
	bool has_cpu_idle;
	int64_t cpu_idle;
	bool has_blkio_leaf_weight;
	uint16_t blkio_leaf_weight;
	struct cell_device_weight *weight_devices;
	size_t n_weight_devices;
	struct cell_device_rate *read_iops;
	size_t n_read_iops;
	struct cell_device_rate *write_iops;
	size_t n_write_iops;
	struct cell_device_rule *devices; /* in order; the last match wins */
	size_t n_devices;
	struct cell_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	bool has_net_class_id;
	uint32_t net_class_id;
	struct cell_net_priority *net_priorities;
	size_t n_net_priorities;
	struct cell_rdma_limit *rdma;
	size_t n_rdma;
	struct cell_kv *unified; /* v2 file name -> value */
	size_t n_unified;
};

/* process.rlimits[] */
struct cell_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

/* process.capabilities: bit N set == capability N in the set. */
struct cell_capabilities {
	bool present;
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* process.scheduler (sched_setattr(2)) */
struct cell_scheduler {
	bool present;
	int policy; /* SCHED_* */
	int nice;
	int priority;
	uint64_t flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

struct cell_process {
	bool terminal;
	unsigned short console_height, console_width; /* 0: follow the caller's */
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	uint32_t umask;
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated, KEY=VALUE */
	char *cwd;
	bool no_new_privileges;
	struct cell_capabilities capabilities;
	struct cell_rlimit *rlimits;
	size_t n_rlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	bool has_io_priority;
	int io_priority_class; /* IOPRIO_CLASS_RT, _BE or _IDLE */
	int io_priority;       /* 0..7 */
	struct cell_scheduler scheduler;
	char *exec_cpu_affinity_initial; /* "0-3,7": before the process's setup */
	char *exec_cpu_affinity_final;	 /* after it, for the user's process */
};

/* linux.seccomp */
enum cell_seccomp_action {
	CELL_SECCOMP_KILL, /* SCMP_ACT_KILL (thread) */
	CELL_SECCOMP_KILL_PROCESS,
	CELL_SECCOMP_KILL_THREAD,
	CELL_SECCOMP_TRAP,
	CELL_SECCOMP_ERRNO,
	CELL_SECCOMP_TRACE,
	CELL_SECCOMP_ALLOW,
	CELL_SECCOMP_LOG,
	CELL_SECCOMP_NOTIFY,
};

enum cell_seccomp_op {
	CELL_SECCOMP_OP_NE,
	CELL_SECCOMP_OP_LT,
	CELL_SECCOMP_OP_LE,
	CELL_SECCOMP_OP_EQ,
	CELL_SECCOMP_OP_GE,
	CELL_SECCOMP_OP_GT,
	CELL_SECCOMP_OP_MASKED_EQ,
};

struct cell_seccomp_arg {
	uint32_t index;
	uint64_t value, value_two;
	enum cell_seccomp_op op;
};

struct cell_seccomp_rule {
	char **names; /* NULL-terminated syscall names */
	enum cell_seccomp_action action;
	bool has_errno_ret;
	uint32_t errno_ret; /* for ERRNO (default EPERM) and TRACE */
	struct cell_seccomp_arg *args;
	size_t n_args;
};

struct cell_seccomp {
	bool present;
	enum cell_seccomp_action default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures; /* NULL-terminated OCI names: "SCMP_ARCH_X86_64" */
	char **flags;	      /* NULL-terminated: "SECCOMP_FILTER_FLAG_LOG", ... */
	char *listener_path;  /* unix socket for SCMP_ACT_NOTIFY's fd */
	char *listener_metadata;
	struct cell_seccomp_rule *syscalls;
	size_t n_syscalls;
};

/* hooks.*[] */
struct cell_hook {
	char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum cell_hook_kind {
	CELL_HOOK_PRESTART,
	CELL_HOOK_CREATE_RUNTIME,
	CELL_HOOK_CREATE_CONTAINER,
	CELL_HOOK_START_CONTAINER,
	CELL_HOOK_POSTSTART,
	CELL_HOOK_POSTSTOP,
	CELL_HOOK_KIND_COUNT
};

struct cell_hooks {
	struct cell_hook *list[CELL_HOOK_KIND_COUNT];
	size_t n[CELL_HOOK_KIND_COUNT];
};

struct cell_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct cell_linux {
	struct cell_namespace namespaces[CELL_NS_COUNT];
	struct cell_id_map *uid_mappings;
	size_t n_uid_mappings;
	struct cell_id_map *gid_mappings;
	size_t n_gid_mappings;
	struct cell_time_offset monotonic, boottime; /* timeOffsets */
	struct cell_resources resources;
	char *cgroups_path;
	unsigned long rootfs_propagation; /* MS_PRIVATE, MS_SLAVE, ... ; 0 = default (private) */
	char **masked_paths;		  /* NULL-terminated */
	char **readonly_paths;		  /* NULL-terminated */
	struct cell_device *devices;	  /* linux.devices: beyond the default ones */
	size_t n_devices;
	struct cell_kv *sysctl;
	size_t n_sysctl;
	struct cell_seccomp seccomp;
	char *mount_label;
	bool has_personality;
	unsigned long personality; /* PER_LINUX or PER_LINUX32, | flags */
	bool has_intel_rdt;	   /* cell cannot honour it: validation says so */
	/* linux.memoryPolicy: set_mempolicy(2) for the container's process */
	struct cell_memory_policy {
		bool present;
		int mode;	/* MPOL_* (linux/mempolicy.h) */
		unsigned flags; /* MPOL_F_* mode flags, or'ed into the mode */
		char *nodes;	/* "0-1,3"; NULL: none */
	} memory_policy;
	/* linux.netDevices: host interfaces moved into the container (and back) */
	struct cell_net_device {
		char *name;	/* host name */
		char *new_name; /* name inside; NULL keeps the host name */
	} * net_devices;
	size_t n_net_devices;
};

/* ---- networking beyond the OCI spec (cell run --net ...; net.c) ---- */

enum cell_net_mode {
	CELL_NET_NAMESPACE = 0, /* linux.namespaces decides: a new one (lo only) or a path */
	CELL_NET_BRIDGE,	/* veth pair, host end on a bridge with NAT */
	CELL_NET_PASTA,		/* user-mode networking by pasta (passt) */
	CELL_NET_SLIRP4NETNS,	/* user-mode networking by slirp4netns */
};

/* -p [HOSTIP:]HOSTPORT:PORT[/tcp|udp] */
struct cell_port {
	char host_ip[16]; /* dotted IPv4, "" for every host address */
	uint16_t host_port;
	uint16_t port;
	bool udp;
};

struct cell_network {
	enum cell_net_mode mode;
	char *bridge;  /* bridge name; NULL: cell0 */
	char *subnet;  /* IPv4 CIDR of a bridge made now; NULL: 10.88.0.0/16 */
	char *gateway; /* the bridge's address; NULL: the subnet's first */
	char *ip;      /* fixed IPv4 address; NULL: the next free one */
	bool ipv6;     /* also IPv6 (ULA subnet) */
	char *subnet6; /* NULL: fd63:656c:6c00::/64 */
	struct cell_port *ports;
	size_t n_ports;
	uint64_t rate; /* bytes per second each way, 0: unlimited */
};

/*
 * bubblewrap's flags that make or change a path inside the container: each
 * carried out once mounts[0] to mounts[@after - 1] are made, in command-line
 * order, beneath the container's root (never on the host's root or a
 * --rootfs DIR: what they lack is made in a mount skeleton).
 */
enum cell_path_op_kind {
	CELL_PATH_SYMLINK,    /* --symlink TARGET PATH: content @target, as given (symlink(2)) */
	CELL_PATH_DIR,	      /* --dir PATH: a directory, and its missing parents, of @mode */
	CELL_PATH_FILE,	      /* --file, --bind-data, --ro-bind-data FD PATH: a file of @mode
				 holding @data, bound over PATH (@readonly: read-only) */
	CELL_PATH_CHMOD,      /* --chmod MODE PATH: PATH's mode becomes @mode */
	CELL_PATH_REMOUNT_RO, /* --remount-ro PATH: the mount PATH is on turns read-only */
};

struct cell_path_op {
	enum cell_path_op_kind kind;
	char *target; /* CELL_PATH_SYMLINK */
	char *path;
	size_t after;
	mode_t mode; /* DIR, FILE, CHMOD */
	char *data;  /* FILE: @len bytes */
	size_t len;
	bool readonly; /* FILE */
};

/*
 * What the OCI spec has no field for. When a spec is saved as config.json
 * these travel as annotations (run.cell.*).
 */
struct cell_extras {
	bool init;		 /* run the built-in init as PID 1, CMD as its child */
	bool cwd_optional;	 /* fall back to / when process.cwd does not exist inside */
	bool env_exact;		 /* process.env as given: no HOME from /etc/passwd (cell judge) */
	bool no_pivot;		 /* runc --no-pivot: MS_MOVE + chroot instead of pivot_root */
	bool nested_userns;	 /* the container may make user namespaces of its own */
	bool keep_joined_mounts; /* --ns mnt=PATH: use the joined mount namespace as it is,
				    without the root and mounts of the spec */
	struct cell_network net;
	struct cell_path_op *path_ops; /* --symlink, --dir..., in command-line order */
	size_t n_path_ops;
};

struct cell_spec {
	struct cell_process process;
	struct {
		char *path;
		bool readonly;
	} root;
	char *hostname;
	char *domainname;
	struct cell_mount *mounts;
	size_t n_mounts;
	struct cell_linux linux;
	struct cell_hooks hooks;
	struct cell_kv *annotations;
	size_t n_annotations;
	char *oci_version; /* ociVersion as read; NULL: cell's own */
	struct cell_extras cell;
};

/** cell_spec_default() - fill @spec with cell's defaults for @euid (0 = root). */
int cell_spec_default(struct cell_spec *spec, uid_t euid, gid_t egid, struct cell_error *err);
/** cell_spec_free() - release everything @spec owns; @spec may then be reused. */
void cell_spec_free(struct cell_spec *spec);
/** cell_spec_validate() - check the whole spec before any system change. */
int cell_spec_validate(const struct cell_spec *spec, struct cell_error *err);
/** cell_spec_add_mount() - append a mount (copies its strings). */
int cell_spec_add_mount(struct cell_spec *spec, const char *destination, const char *type,
			const char *source, const char *const *options, struct cell_error *err);
/** cell_spec_move_mount() - move mounts[@from] to index @to, the ones between shifting up. */
void cell_spec_move_mount(struct cell_spec *spec, size_t from, size_t to);
/**
 * cell_spec_add_path_op() - append a copy of @op (its strings and data), made
 * after the mounts listed so far; cell_spec_move_mount/remove_mount keep its
 * place. cell_spec_add_symlink() - one of CELL_PATH_SYMLINK: LINK -> TARGET.
 */
int cell_spec_add_path_op(struct cell_spec *spec, const struct cell_path_op *op,
			  struct cell_error *err);
int cell_spec_add_symlink(struct cell_spec *spec, const char *target, const char *link,
			  struct cell_error *err);
/** cell_spec_remove_mount() - drop the mount at @destination; returns 1 if one was removed. */
int cell_spec_remove_mount(struct cell_spec *spec, const char *destination);
/** cell_spec_fit_devpts_gid() - drop devpts' gid=5 when gid 5 has no id in the user namespace. */
void cell_spec_fit_devpts_gid(struct cell_spec *spec);
/** cell_spec_set_env() - set or replace KEY=VALUE in process.env. */
int cell_spec_set_env(struct cell_spec *spec, const char *key_value, struct cell_error *err);

/**
 * cell_spec_from_json() - parse config.json text (@name names it in errors)
 * into @spec, which is overwritten. Errors name the JSON path of the value.
 */
int cell_spec_from_json(struct cell_spec *spec, const char *text, size_t len, const char *name,
			struct cell_error *err);
/** cell_spec_load() - read @bundle/config.json; root.path is made absolute. */
int cell_spec_load(struct cell_spec *spec, const char *bundle, struct cell_error *err);
/**
 * cell_spec_load_config() - as cell_spec_load(), from @config (NULL:
 * config.json) instead; a relative @config is inside @bundle.
 */
int cell_spec_load_config(struct cell_spec *spec, const char *bundle, const char *config,
			  struct cell_error *err);
/** cell_spec_to_json() - @spec as config.json text (malloc'd, pretty-printed). */
char *cell_spec_to_json(const struct cell_spec *spec, struct cell_error *err);
/** cell_network_free() - release what @net owns. */
void cell_network_free(struct cell_network *net);
/**
 * cell_net_gc() - free what containers that are gone left behind: leases,
 * their port rules, unused bridges (a SIGKILLed cell never tore down).
 * @removed: how many stale leases were freed (may be NULL).
 */
int cell_net_gc(unsigned *removed, struct cell_error *err);
/**
 * cell_net_release() - cell delete: free the network of container @id (its
 * veth, lease, port rules, a bridge no one else uses), when its lease is held
 * by @pid (the container's process, handed on by cell_create) or by a
 * process that is gone. 0 when it had none.
 */
int cell_net_release(const char *id, pid_t pid, struct cell_error *err);
/** cell_net_container_path() - /proc/PID/ns/net of the running container @id. */
int cell_net_container_path(const char *id, char *buf, size_t size, struct cell_error *err);

/* What cell_create leaves running (and what cell_run's on_created sees). */
struct cell_created {
	pid_t pid;		 /* host PID of the container's process */
	char cgroups_path[4096]; /* the cgroup it lives in ("" when none) */
	/* cell_cgroup_save()'s text: the cgroup's directories and which of them
	 * cell made, for later commands (delete removes exactly those). NULL when
	 * there is no cgroup; cell_create's caller frees it. */
	char *cgroup_state;
};

/* Something that went wrong without failing the operation (a poststart hook). */
typedef void (*cell_warn_fn)(void *ctx, const struct cell_error *warning);

struct cell_cgroup;

/* What a supervisor beside cell_run's wait (cell judge) is handed. */
struct cell_run_box {
	pid_t pid;		    /* host PID of the container's PID 1 */
	int pidfd;		    /* of PID 1: SIGKILL to it ends the whole pid namespace */
	struct cell_cgroup *cgroup; /* the run's cgroup, NULL when it has none */
	/* cell_run_options.ns_ids: the inode of each namespace (enum cell_ns_type)
	 * the container's processes are in, 0 where unknown; else NULL */
	const uint64_t *ns_ids;
};

/*
 * A supervisor's hooks into cell_run: @fd is polled beside the container's
 * own fds and on_ready runs whenever it is readable; on_start runs once the
 * process is set up and let go; on_exited once PID 1 (and with it every
 * process of its pid namespace) has been waited for, before teardown removes
 * the cgroup, so its figures are final.
 */
struct cell_run_watch {
	int fd;
	int (*on_start)(void *ctx, const struct cell_run_box *box, struct cell_error *err);
	void (*on_ready)(void *ctx, const struct cell_run_box *box);
	void (*on_exited)(void *ctx, const struct cell_run_box *box);
	void *ctx;
};

/* Options of one run that are not part of the container's spec. */
struct cell_run_options {
	const char *id;			    /* container id; NULL picks a random one */
	int stdin_fd, stdout_fd, stderr_fd; /* what the container's stdio (or the tty relay) uses */
	/* OCI runtime */
	const char *bundle;    /* for hooks' state */
	int start_fd;	       /* cell_create: exec.fifo opened O_RDWR; the process execs after
				   reading a byte from it (cell start writes one). Else -1. */
	int start_result_fd;   /* cell_create: a fifo opened O_RDWR; a failure after the start
				   byte is written there, and execve closes it: what `cell start`
				   reads with cell_start_result(). Else -1. */
	int start_report_fd;   /* cell_create: a regular file of CELL_START_REPORT_SIZE bytes,
				   opened O_RDWR: where a process whose filter refuses write(2)
				   stores why its execve failed (cell_start_result). Else -1. */
	int console_socket;    /* connected AF_UNIX socket: process.terminal's pty master goes
				   there (SCM_RIGHTS) instead of being relayed. Else -1. */
	int exit_fd;	       /* cell_create: a file the init writes the command's wait status
				   to ("%d\n") when it ends, for `cell wait`; 0: none */
	unsigned preserve_fds; /* fds 3 .. 3+N-1 pass to the process */
	bool cgroup_always;    /* a cgroup even without limits (OCI: pause, ps, kill --all) */
	bool judge_box;	       /* cell judge: the cgroup has only what the report reads, and
				   v1 devices are the shared cgroup's (cell_cgroup_params.accounting) */
	bool keep_keyring;     /* the caller's session keyring (--no-new-keyring); by default
				   a new one: the caller's holds the host's keys (keyrings(7)) */
	bool no_cgroup;	       /* --cgroup-manager disabled: no cgroup, limits not applied */
	/* cell exec: the process whose namespaces the spec's paths name; joined in one
	 * setns(pidfd) call (cell_ns_join), all or none. 0: by path, one at a time. */
	pid_t join_pid;
	/* cell exec: the existing cgroup to join, as state.json recorded it: its
	 * path, and the cell_created.cgroup_state text (NULL: the path in every
	 * hierarchy where it exists) */
	const char *cgroup_join;
	const char *cgroup_join_state;
	/* cell exec --cgroup: sub-cgroups of it to join instead, NULL-terminated
	 * "[CONTROLLER,...:]PATH" (cell_cgroup_enter_sub); NULL: its own */
	char *const *cgroup_join_sub;
	bool exec_detach; /* cell exec -d: return once the command runs (needs init) */
	/* called with the command's host PID when init reports it (--pid-file) */
	int (*on_pid)(void *ctx, pid_t pid, struct cell_error *err);
	/* cell_run: called once the process is set up, before it execs (state.json). */
	int (*on_created)(void *ctx, const struct cell_created *created, struct cell_error *err);
	/* on_created may run in the container's first process, when it shares
	 * cell's memory until its execve (a vfork-style start): before its mounts,
	 * in its new namespaces but with the host's files, so it must not ask
	 * getpid() or the like; created->pid is the process's PID in cell's view */
	bool on_created_in_child;
	cell_warn_fn
		on_warning; /* a failing poststart hook, device nodes keeping the host's owner (NULL: not reported) */
	void *ctx;
	const char
		*pin_paths[CELL_NS_COUNT]; /* bind-mount these new namespaces there (cell ns pin) */
	const struct cell_run_watch *watch; /* cell_run: a supervisor's hooks, or NULL */
	/* cell_run: the container's first process reports its namespaces once
	 * they are final, before the command starts; the watch's on_start gets
	 * them (cell_run_box.ns_ids) even if the command has ended by then */
	bool ns_ids;
	/* linux.seccomp compiled once by cell_seccomp_prepared_new() for many runs
	 * whose specs have that same linux.seccomp; NULL: compiled for this run */
	const struct cell_seccomp_prog *seccomp_prepared;
};

struct cell_seccomp_prog;

/**
 * cell_seccomp_prepared_new() - compile @spec's linux.seccomp once, for
 * cell_run_options.seccomp_prepared of many runs (cell judge --batch): the
 * filter a run would otherwise build (or copy, when built in) each time.
 * *@out is NULL when the spec has no filter. Free with cell_seccomp_prepared_free().
 */
int cell_seccomp_prepared_new(const struct cell_spec *spec, struct cell_seccomp_prog **out,
			      struct cell_error *err);
void cell_seccomp_prepared_free(struct cell_seccomp_prog *prog);

/**
 * cell_create() - OCI create: set up the container described by @spec and
 * return while its process waits on @opts->start_fd to be started. Nothing
 * is left behind on failure; on success the caller owns the process and its
 * cgroup (cell delete removes them).
 */
int cell_create(const struct cell_spec *spec, const struct cell_run_options *opts,
		struct cell_created *out, struct cell_error *err);

/* The size of cell_run_options.start_report_fd's file. */
#define CELL_START_REPORT_SIZE 4096

/**
 * cell_start_result() - read the start result fifo @fd (opened for reading
 * before the start byte was written, blocking): 0 once the container's
 * process has called execve, or -errno with @err as the process reported
 * it (err->kind: the command is missing or cannot be executed). At the
 * fifo's end-of-file, @report_fd (the start_report_fd file, or -1) has the
 * word of a process that could not write to the fifo.
 */
int cell_start_result(int fd, int report_fd, struct cell_error *err);

/* What a finished run reports. */
struct cell_run_result {
	int wait_status;      /* the command's raw wait status */
	bool oom_killed;      /* the cgroup's OOM killer ended a process */
	bool teardown_failed; /* something cell made stayed behind; err says what */
	pid_t pid;	      /* host PID of the container's PID 1 */
	/* PID 1's, which includes every process of its pid namespace: the kernel
	 * makes PID 1 reap them all before it exits (pid_namespaces(7)) */
	struct rusage rusage;
};

/**
 * cell_run() - create the container described by @spec, run it to the end,
 * and tear down everything created for it, also when interrupted.
 *
 * Return: 0 and @result filled when the command ran (whatever its status;
 * if result->teardown_failed, @err names what could not be removed);
 * -errno with @err filled when the container could not be set up or the
 * command could not be executed (err->kind tells which).
 */
int cell_run(const struct cell_spec *spec, const struct cell_run_options *opts,
	     struct cell_run_result *result, struct cell_error *err);

/** cell_exit_status() - the shell convention: status, or 128+N for signal N. */
int cell_exit_status(int wait_status);

#endif
