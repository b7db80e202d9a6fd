/*
 * cell — the parent side of `run`: prepare the cgroup, clone3 the container,
 * write its id maps, let it go, relay its terminal and signals, wait for it,
 * and tear down what was made on every path.
 *
 * docs/DESIGN.md, "The start sequence", tells the parent/child protocol
 * (GO, READY, PID, STATUS, SECCOMP_FD), where cgroups, id maps, hooks and
 * pins happen, and what the CLONE_VM child may do; run/plan.c decides it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell/ns.h"
#include "cgroup.h"
#include "init_door.h"
#include "init_serve.h"
#include "net.h"
#include "ns_internal.h"
#include "rootfs.h"
#include "run.h"
#include "security.h"
#include "spec.h"
#include "utils.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct run_ctx {
	const struct cell_spec *spec;
	const struct cell_run_options *opts;
	char id[64];
	struct cell_cgroup cg;
	bool has_cgroup;
	bool cgroup_planned; /* v1/hybrid: made after clone3 (create_cgroup) */
	bool shared_devices; /* v1/hybrid: joins CELL_SHARED_DEVICES only (plan_cgroup) */
	struct cell_cgroup_params cg_params;
	char cg_path[128];	/* the default cgroupsPath, cell-ID */
	struct start_plan plan; /* the order of the start (plan.c), made before clone3 */
	struct cell_net_run net;
	int sock; /* parent's end of the sync socketpair */
	int pidfd;
	pid_t pid; /* PID 1 until it has been waited for, then 0 */
	pid_t host_pid;
	int sigfd;
	sigset_t oldmask; /* valid once mask_saved */
	bool mask_saved;
	struct sigaction old_sigpipe;
	struct cell_tty_relay tty;
	bool have_status; /* init reported the command's status */
	int status;
	bool have_ns_ids; /* opts->ns_ids: the child reported them (CELL_SYNC_NS_IDS) */
	uint64_t ns_ids[CELL_NS_COUNT];
	struct rusage rusage;	     /* PID 1's, from waitid */
	struct cell_error child_err; /* first error the container reported */
	bool child_failed;
	bool create;  /* cell_create: hand the process on once it is READY */
	bool ready;   /* the child said READY */
	bool adopted; /* a joined pid namespace: c->pid is the process made in it */
	int start_fd; /* the child's start_fd (opts->start_fd, or our pipe's read end) */
	int start_w;  /* cell_run with on_created: write end of the start pipe */
	char cgroups_path[4096];
	struct cell_rootfs_prepared rootfs; /* idmapped mount trees for the child */
	struct cell_seccomp_prog seccomp;   /* compiled linux.seccomp, filter NULL if none */
	bool seccomp_borrowed; /* seccomp is opts->seccomp_prepared's: not ours to free */
	unsigned pinned;       /* CELL_NS_MASK()s of the pins made (opts->pin_paths) */
	int init_fd;	       /* plan.spawn_vm under init: the freestanding init's memfd */
	int door;	       /* PID 1's door until cell has named it (door_open) */
	uid_t door_uid;	       /* cell's uid in the container: whom the door answers */
	int userns_fd;	       /* plan.userns_first: the new user namespace, mapped */
	pid_t hop;	       /* plan.init_in_vm: the hop, reaped after PID 1 (teardown) */
	bool was_dumpable;     /* plan.init_in_vm: cell's memory was dumpable before */
	/* tasks files the child joins by itself before clone returns: cell.devices
	 * (shared_devices) and, plan.child_cgroup, its own cgroup's (open_tasks) */
	int tasks_fds[CELL_CG_COUNT + 1];
	const char *tasks_dirs[CELL_CG_COUNT + 1]; /* their cgroups, for errors */
	size_t n_tasks_fds;
};

int cell_exit_status(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 125;
}

/*
 * The device allow-list every container of root's gets, whatever its spec
 * says (runc's and crun's way: config-linux.md "Allowed Device List" leaves
 * the default to the runtime). Nothing is allowed first; then the spec's own
 * rules; then what config-linux.md's default devices need (null, zero, full,
 * random, urandom, tty, ptmx, the pts of its devpts) and runc's AllowedDevices
 * beside them: /dev/net/tun, and mknod of any node ("c *:* m", "b *:* m"),
 * so a package's postinst may make nodes it can never open. Last, the nodes
 * of linux.devices. So a container with CAP_MKNOD that makes /dev/kmsg (c
 * 1:11) or a disk's node gets EPERM at open(2) (cgroup-v1/devices.rst; on v2
 * the BPF program, cgroup/devices.c), on any mount, nodev or not.
 * Rootless containers get none: a user namespace cannot mknod, and its
 * mounts are nodev (user_namespaces(7)).
 */
static int with_default_devices(const struct cell_spec *spec, struct cell_resources *res,
				struct cell_device_rule **rules, struct cell_error *err)
{
	static const struct cell_device_rule deny_all = { false, 'a', -1, -1, "rwm" };
	static const struct cell_device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" },    { true, 'c', 1, 5, "rwm" },
		{ true, 'c', 1, 7, "rwm" },    { true, 'c', 1, 8, "rwm" },
		{ true, 'c', 1, 9, "rwm" },    { true, 'c', 5, 0, "rwm" },
		{ true, 'c', 5, 2, "rwm" },    { true, 'c', 136, -1, "rwm" },
		{ true, 'c', 10, 200, "rwm" },
	};
	const size_t nd = sizeof(defaults) / sizeof(defaults[0]);
	const struct cell_linux *l = &spec->linux;
	size_t n = 0;

	*rules = calloc(1 + res->n_devices + nd + l->n_devices, sizeof(**rules));
	if (!*rules)
		return cell_error_set(err, ENOMEM, "linux.resources.devices");
	(*rules)[n++] = deny_all;
	if (res->n_devices) /* memcpy's source may not be NULL, even for 0 bytes */
		memcpy(*rules + n, res->devices, res->n_devices * sizeof(**rules));
	n += res->n_devices;
	memcpy(*rules + n, defaults, sizeof(defaults));
	n += nd;
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct cell_device *d = &l->devices[i];

		if (d->type == 'p')
			continue; /* fifos are not devices to the cgroup */
		(*rules)[n++] = (struct cell_device_rule){ .allow = true,
							   .type = d->type == 'b' ? 'b' : 'c',
							   .major = d->major,
							   .minor = d->minor,
							   .access = "rwm" };
	}
	res->devices = *rules;
	res->n_devices = n;
	return 0;
}

/*
 * After clone3 on v1 and hybrid hosts, while the child makes its namespaces:
 * the directories, device rules and limits are the parent's share of the
 * start path.
 */
static int create_cgroup(struct run_ctx *c, struct cell_error *err)
{
	const struct cell_linux *l = &c->spec->linux;
	struct cell_resources res = l->resources;
	cleanup_free struct cell_device_rule *rules = NULL;
	int r;

	c->cgroup_planned = false;
	if (!c->cg_params.rootless && !c->shared_devices &&
	    (r = with_default_devices(c->spec, &res, &rules, err)) < 0)
		return r;
	if ((r = cell_cgroup_create(&c->cg, &c->cg_params, &res, err)) < 0) {
		/* runc's rootless rule: no limits asked for, no delegated cgroup: go on without */
		if (c->cg_params.rootless && !cell_resources_any(&l->resources) &&
		    !l->cgroups_path) {
			cell_error_reset(err);
			return 0;
		}
		return r;
	}
	snprintf(c->cgroups_path, sizeof(c->cgroups_path), "%s", c->cg_params.cgroups_path);
	c->has_cgroup = true;
	return 0;
}

int cell_container_device_rules(const struct cell_spec *spec, struct cell_resources *res,
				struct cell_device_rule **rules, struct cell_error *err)
{
	return with_default_devices(spec, res, rules, err);
}

/* A new container of root's: its device allow-list needs a cgroup (cell exec joins one). */
static bool needs_device_cgroup(const struct run_ctx *c)
{
	return !c->cg_params.rootless && !c->opts->cgroup_join && !c->opts->join_pid;
}

/* Does the child join a cgroup after clone3 (so its cgroup namespace waits)? */
static bool cgroup_after_clone(const struct run_ctx *c)
{
	return c->has_cgroup || c->cgroup_planned || c->shared_devices;
}

/*
 * No cgroup of its own is needed, only the default device allow-list: on v1
 * and hybrid hosts the container joins the shared devices cgroup by itself
 * (one write to its tasks file, no GO); on v2 it gets a cgroup of its own for
 * the BPF program.
 */
static int plan_devices_only(struct run_ctx *c)
{
	const struct cell_linux *l = &c->spec->linux;
	struct cell_cgroup_params *params = &c->cg_params;
	struct cell_error ignored = { 0 };

	if (!needs_device_cgroup(c))
		return 0;
	if (!l->resources.n_devices && !l->n_devices &&
	    cell_cgroup_detect(params->fs_root, &params->mode, &ignored) == 0 &&
	    params->mode != CELL_CGROUP_V2) {
		params->mode_known = true;
		c->shared_devices = true;
		return 0;
	}
	return 1;
}

/*
 * The default allow-list alone, in the shared cgroup: its "tasks" file, which
 * the child writes itself (cell_cgroup_join_self), so no GO waits for the
 * parent's cgroup.procs write and its RCU grace period.
 */
static int open_shared_devices(struct run_ctx *c, struct cell_error *err)
{
	struct cell_resources res = { 0 };
	cleanup_free struct cell_device_rule *rules = NULL;
	int r = with_default_devices(c->spec, &res, &rules, err);

	return r < 0 ? r
		     : cell_cgroup_open_shared_devices(c->cg_params.fs_root, res.devices,
						       res.n_devices, err);
}

/*
 * Before clone3: is there a cgroup, and its name. A v2 cgroup is made now,
 * for CLONE_INTO_CGROUP; v1 and hybrid ones after clone3 (create_cgroup).
 */
/*
 * linux.seccomp's filter: the caller's when it prepared one for many runs
 * (cell judge --batch: compiled once, not once a box), else compiled here.
 */
static int prepare_seccomp(struct run_ctx *c, struct cell_error *err)
{
	if (!c->spec->linux.seccomp.present)
		return 0;
	if (c->opts->seccomp_prepared) {
		c->seccomp = *c->opts->seccomp_prepared;
		c->seccomp_borrowed = true;
		return 0;
	}
	return cell_seccomp_prepare(&c->spec->linux.seccomp, &c->seccomp, err);
}

static int plan_cgroup(struct run_ctx *c, struct cell_error *err)
{
	const struct cell_linux *l = &c->spec->linux;
	struct cell_cgroup_params *params = &c->cg_params;
	struct cell_error ignored = { 0 };
	int r;

	*params = cell_cgroup_host_params(l->cgroups_path, cell_rootless());
	params->all_controllers = c->opts->cgroup_always;
	params->accounting = c->opts->judge_box;
	params->realtime = c->spec->process.scheduler.present &&
			   (c->spec->process.scheduler.policy == SCHED_FIFO ||
			    c->spec->process.scheduler.policy == SCHED_RR);
	cell_cgroup_init(&c->cg);
	if (c->opts->no_cgroup)
		return 0;
	if (!cell_resources_need_cgroup(&l->resources, params->rootless) && !l->cgroups_path &&
	    !c->opts->cgroup_always && (r = plan_devices_only(c)) <= 0)
		return r;
	/* The id names the cgroup; nothing else needs it yet. */
	if (c->opts->id)
		snprintf(c->id, sizeof(c->id), "%s", c->opts->id);
	else if ((r = cell_random_id(c->id, err)) < 0)
		return r;
	if (!params->cgroups_path) {
		/* Root: beside the host's own, as runc does; rootless: below the
		 * caller's cgroup, the only place it may have been delegated. */
		snprintf(c->cg_path, sizeof(c->cg_path), "%scell-%s", params->rootless ? "" : "/",
			 c->id);
		params->cgroups_path = c->cg_path;
	}
	c->cgroup_planned = true;
	/* Not detected: cell_cgroup_create says why, now. */
	if (cell_cgroup_detect(params->fs_root, &params->mode, &ignored) < 0)
		return create_cgroup(c, err);
	params->mode_known = true;
	if (params->mode == CELL_CGROUP_V2)
		return create_cgroup(c, err);
	/*
	 * A judged box's device allow-list is the default one: the shared
	 * devices cgroup has it already, and the child joins that by itself,
	 * where a devices cgroup of its own costs a mkdir, a dozen rule writes,
	 * a cgroup.procs write and an rmdir on every run.
	 */
	c->shared_devices = params->accounting && needs_device_cgroup(c) &&
			    !l->resources.n_devices && !l->n_devices;
	return 0;
}

static int block_signals(struct run_ctx *c, struct cell_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &c->oldmask) < 0)
		return cell_error_set(err, errno, "sigprocmask");
	c->mask_saved = true;
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sigfd < 0)
		return cell_error_set(err, errno, "signalfd");
	/* A closed stdout must not kill cell before it has torn down. */
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &c->old_sigpipe);
	return 0;
}

static bool has_pins(const struct run_ctx *c)
{
	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (c->opts->pin_paths[t])
			return true;
	return false;
}

/* The state a hook reads on stdin (malloc'd; NULL: no memory). */
static char *hook_state(const struct run_ctx *c, const char *status)
{
	return cell_hook_state_json(c->opts->id ? c->opts->id : c->id, c->host_pid, status,
				    c->opts->bundle, c->spec);
}

static int run_parent_hooks(struct run_ctx *c, enum cell_hook_kind kind, const char *status,
			    struct cell_error *err)
{
	cleanup_free char *state = NULL;

	if (!c->spec->hooks.n[kind])
		return 0;
	state = hook_state(c, status);
	if (!state)
		return cell_error_set(err, ENOMEM, "hooks.%s", cell_hook_kind_name(kind));
	return cell_hooks_run(c->spec, kind, state, c->opts->bundle, err);
}

/* A pin is a bind mount of the namespace clone3 made; the child has not gone on yet. */
static int check_pins(const struct run_ctx *c, struct cell_error *err)
{
	uint64_t made = c->plan.clone_ns | c->plan.early_ns;

	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (c->opts->pin_paths[t] && !(made & (uint64_t)cell_ns_info(t)->clone_flag))
			return cell_error_set(err, 0,
					      "pin %s: the %s namespace is made inside the "
					      "container, after clone; pin it with cell ns pin",
					      c->opts->pin_paths[t], cell_ns_info(t)->name);
	return 0;
}

static int make_pins(struct run_ctx *c, struct cell_error *err)
{
	int r;

	for (int t = 0; t < CELL_NS_COUNT; t++) {
		if (!c->opts->pin_paths[t])
			continue;
		if ((r = cell_ns_pin(c->pid, t, c->opts->pin_paths[t], err)) < 0)
			return r;
		c->pinned |= CELL_NS_MASK(t);
	}
	return 0;
}

/* A run that failed leaves no pin behind. */
static void remove_pins(struct run_ctx *c)
{
	for (int t = 0; t < CELL_NS_COUNT; t++)
		if (c->pinned & CELL_NS_MASK(t))
			cell_ns_unpin(c->opts->pin_paths[t], NULL);
	c->pinned = 0;
}

/* /proc/PID/ns/user joined: its /proc/PID/setgroups says (user_namespaces(7)). */
static bool joined_userns_allows_setgroups(const char *path)
{
	char file[PATH_MAX], buf[16];
	struct cell_error ignored = { 0 };
	const char *ns = strstr(path, "/ns/user");

	if (strncmp(path, "/proc/", 6) || !ns || ns[8] ||
	    snprintf(file, sizeof(file), "%.*s/setgroups", (int)(ns - path), path) >=
		    (int)sizeof(file))
		return true;
	return cell_read_at(AT_FDCWD, file, buf, sizeof(buf), &ignored) <= 0 ||
	       !strncmp(buf, "allow", 5);
}

/* cell exec: the container's cgroup, from what its state recorded. */
static int join_cgroup(const struct cell_run_options *o, pid_t pid, struct cell_error *err)
{
	struct cell_cgroup_params p = cell_cgroup_host_params(o->cgroup_join, cell_rootless());
	struct cell_cgroup cg;
	int r = cell_cgroup_open(&cg, &p, o->cgroup_join_state, err);

	if (r < 0)
		return r;
	r = cell_cgroup_enter_sub(&cg, pid, o->cgroup_join_sub, err);
	cell_cgroup_forget(&cg);
	return r;
}

/*
 * Has cell's uid or gid no id in the new user namespace? Then the memfd of
 * the freestanding init (cell's, mode 0111) is not readable by a process
 * there, whatever its capabilities (capable_wrt_inode_uidgid() needs both
 * mapped), and an exec of it is made non-dumpable and given to the nearest
 * user namespace above that maps them (would_dump()).
 */
static bool init_unreadable(const struct cell_spec *spec)
{
	const struct cell_linux *l = &spec->linux;

	return !cell_id_maps_have_host(l->uid_mappings, l->n_uid_mappings, geteuid()) ||
	       !cell_id_maps_have_host(l->gid_mappings, l->n_gid_mappings, getegid());
}

/*
 * start_facts.mounts_final: cell judge's box, where nothing can come to hold
 * CAP_SYS_ADMIN (not in its bounding set, no_new_privs, no cell exec) and
 * whose filter, cell's default, refuses mount(2) and its kin.
 */
static bool mounts_final(const struct run_ctx *c)
{
	const struct cell_process *p = &c->spec->process;

	return c->opts->judge_box && p->no_new_privileges && p->capabilities.present &&
	       !(p->capabilities.bounding & (1ULL << CAP_SYS_ADMIN)) && c->seccomp.filter;
}

/*
 * start_facts.init_in_vm_ok: may PID 1 stay in cell's memory, where plan.c's
 * init_in_vm() finds it safe (a user namespace of the container's own, made
 * now; cell waits)? For cell judge, whose command line is no secret; and for
 * a run whose init would otherwise be forked from cell (a user namespace in
 * which cell's ids have an id, the rootless self map: an init exec'd there
 * would be its root's to trace). A forked init is a copy of cell's memory,
 * its /proc/1/cmdline cell's command line already; sharing that memory
 * instead of copying it shows the container nothing more, and spares the
 * copy of cell's page tables, its faults and its teardown. Not where the
 * init is exec'd from its unreadable memfd (root's maps without cell's ids),
 * whose command line is "cell-init" alone.
 */
static bool init_in_vm_ok(const struct run_ctx *c, const struct start_facts *f)
{
	const struct cell_namespace *user = &c->spec->linux.namespaces[CELL_NS_USER];

	return c->opts->judge_box || (user->present && !user->path && !f->init_unreadable);
}

/*
 * The start plan (plan.c) from the spec and what the host says, once the
 * cgroup is planned. The setgroups files are read only where the plan needs
 * them, as before clone3: in the child, geteuid() changes once the maps are
 * written.
 */
static void plan_start(struct run_ctx *c)
{
	const struct cell_namespace *user = &c->spec->linux.namespaces[CELL_NS_USER];
	struct start_facts f = {
		.cgroup = cgroup_after_clone(c),
		.cgroup_into = c->has_cgroup && c->cg.v2_fd >= 0,
		/* not the shared devices cgroup: the child joins that by itself */
		.cgroup_later = (c->has_cgroup && c->cg.v2_fd < 0) || c->cgroup_planned,
		.cgroup_join = c->opts->cgroup_join != NULL,
		.pins = has_pins(c),
		.net_parent = cell_net_needs_parent(c->spec),
		.create = c->create,
		.join_pid = c->opts->join_pid,
		.root = geteuid() == 0,
		.initial_userns = cell_in_initial_userns(),
		.idmap_direct = cell_idmap_direct(c->spec),
		.setgroups_self = true,
		.setgroups_joined = true,
		.start_wait = c->opts->on_created != NULL || c->start_fd >= 0,
		.record_in_child = c->opts->on_created_in_child,
		/* no hugepage limit: hugetlb may be in the unified hierarchy, which
		 * has no tasks file (a memory limit may: see clone_vm()) */
		.cgroup_self_ok = c->cgroup_planned && !c->spec->linux.resources.n_hugepage_limits,
		.shared_vm_ok = !CELL_ASAN,
		.init_image = cell_init_image_built_in(),
		.clone3_vm = CELL_CLONE3_VM,
		.mounts_final = mounts_final(c),
		/* its box's root has no capability to call setgroups(2) with */
		.setgroups_deny = c->opts->judge_box && geteuid() == 0,
	};

	/* a self map: cell_idmap_direct() without root; not a joined user namespace */
	f.maps_by_child = user->present && !user->path && !f.root && f.idmap_direct;
	/* asked only where it matters: it may cost a capget(2) */
	f.filter_early = f.start_wait &&
			 cell_command_filter_early(c->spec, c->seccomp.filter ? &c->seccomp : NULL);
	/* root's maps, written by cell_userns_for_maps() before clone */
	f.userns_first_ok = f.root && f.initial_userns && f.shared_vm_ok && f.clone3_vm;
	f.init_unreadable = user->present && !user->path && init_unreadable(c->spec);
	f.init_in_vm_ok = CELL_CLONE3_VM && init_in_vm_ok(c, &f);

	/* A new user namespace inherits "deny" (user_namespaces(7)): uid 0 of `unshare -r`. */
	if (user->present && f.root && !f.initial_userns)
		f.setgroups_self = joined_userns_allows_setgroups("/proc/self/ns/user");
	if (user->present && user->path)
		f.setgroups_joined = joined_userns_allows_setgroups(user->path);
	start_plan_make(c->spec, &f, &c->plan);
	/* No memfd (vm.memfd_noexec = 2, no memory): planned again, init forked. */
	if (c->plan.spawn_vm && c->plan.under_init && !c->plan.init_in_vm &&
	    (c->init_fd = cell_init_image_open()) < 0) {
		c->init_fd = -1;
		f.init_image = false;
		start_plan_make(c->spec, &f, &c->plan);
	}
}

/*
 * A judged box (plan.init_in_vm and plan.userns_first): the hop is cloned
 * into the new user namespace itself (CLONE_NEWUSER) and waits while cell
 * writes its maps, instead of joining one that a process of its own carried
 * (cell_userns_for_maps(): its clone, exit and wait, a pipe and an open,
 * on every judged run). The hop shares cell's memory but goes on by itself
 * (no CLONE_VFORK), so cell can write them meanwhile.
 */
static bool hop_makes_userns(const struct run_ctx *c)
{
	return c->plan.init_in_vm && c->plan.userns_first;
}

/*
 * The new user namespace root maps will deny setgroups(2)
 * (plan.setgroups_allowed), so cell's supplementary groups could not be
 * dropped in it, and would still open the host's files of those groups:
 * cell drops them now, before clone, once a process.
 */
static int drop_groups(struct cell_error *err)
{
	if (getgroups(0, NULL) > 0 && setgroups(0, NULL) < 0)
		return cell_error_set(err, errno, "drop cell's supplementary groups (setgroups)");
	return 0;
}

static int record_in_child(void *ctx, struct cell_error *err);

#if CELL_CLONE3_VM
/*
 * plan.init_in_vm: CELL_INIT_SETTING_UP while the child sets up, then
 * CELL_INIT_SERVING from cell_init_serve(), or 0 once the child (or the hop
 * before it made one) is gone: the kernel clears it at their exit
 * (CLONE_CHILD_CLEARTID) and wakes cell, which waits on it (a futex).
 * Static, as the stacks are: one such start at a time, and the kernel
 * writes it again at the child's exit, long after clone_hop() returned.
 */
static int vm_started;
static pid_t vm_child_pid; /* CLONE_PARENT_SETTID: the child's, when the hop made it */
/* hop_makes_userns(): 0 until cell wrote the hop's maps, then 1 (or -1: failed) */
static int vm_maps_written;
#endif

/* The child's side of spawn(): never returns. */
__attribute__((noreturn)) static void run_child(struct run_ctx *c, const int sv[2])
{
	struct cell_child_args a = {
		.spec = c->spec,
		.sync_fd = sv[1],
		.plan = c->plan,
		.sigpipe = c->old_sigpipe,
		.detached = c->create,
		.start_fd = c->start_fd,
		.status_fd = c->create ? c->opts->start_result_fd : -1,
		.exit_fd = c->create && c->opts->exit_fd > 2 ? c->opts->exit_fd : -1,
		.report_fd = c->create ? c->opts->start_report_fd : -1,
		.preserve_fds = c->opts->preserve_fds,
		.id = c->opts->id ? c->opts->id : c->id,
		.exec_detach = c->opts->exec_detach,
		.ns_ids = c->opts->ns_ids,
		.new_keyring = !c->opts->keep_keyring,
		.join_pid = c->opts->join_pid,
		.bundle = c->opts->bundle,
		.rootfs = &c->rootfs,
		.stdio = { c->opts->stdin_fd, c->opts->stdout_fd, c->opts->stderr_fd },
		.seccomp = c->seccomp.filter ? &c->seccomp : NULL,
		.init_fd = c->init_fd,
		.door_fd = c->door,
		.door_uid = c->door_uid,
#if CELL_CLONE3_VM
		.init_started = c->plan.init_in_vm ? &vm_started : NULL,
#endif
		.tasks_fds = c->tasks_fds,
		.tasks_dirs = c->tasks_dirs,
		.n_tasks_fds = c->n_tasks_fds,
		.record = c->plan.child_records ? record_in_child : NULL,
		.record_ctx = c,
	};

	close(sv[0]);
	/* a fork maps none of the image: fault it in at once, not 64 KiB at a time */
	if (!c->plan.spawn_vm)
		cell_prefault_image();
	cell_child_main(&a);
}

#if !CELL_ASAN
struct vm_start {
	struct run_ctx *c;
	const int *sv;
	const cpu_set_t *cpus; /* cell's own CPUs, for the child to take back; NULL: kept */
};

static int vm_child(void *arg)
{
	const struct vm_start *v = arg;

	if (v->cpus && sched_setaffinity(0, sizeof(*v->cpus), v->cpus) < 0) {
		struct cell_error err = { 0 };

		cell_error_set(&err, errno, "sched_setaffinity back to cell's CPUs");
		(void)cell_sync_send_error(v->sv[1], &err);
		_exit(125);
	}
	run_child(v->c, v->sv);
}

/* Enough for the child's deepest setup path many times over; a guard page below. */
#define VM_STACK_SIZE (2UL << 20)

/* *@kept, made on first use: VM_STACK_SIZE with a guard page below; NULL and errno. */
static void *vm_stack(void **kept)
{
	void *m = *kept;

	if (m)
		return m;
	m = mmap(NULL, VM_STACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, 4096, PROT_NONE) < 0) {
		int e = errno;

		munmap(m, VM_STACK_SIZE);
		errno = e;
		return NULL;
	}
	*kept = m;
	return m;
}

#if CELL_CLONE3_VM
/*
 * clone3(2) with a stack, as glibc's clone(3) is clone(2) with one: the child
 * starts on @args->stack, calls @fn(@arg) there and exits with what it
 * returns; it never returns into this function's frame, which is the
 * parent's. -errno on failure (no errno: the raw call). The syscall
 * instruction keeps every register but rax, rcx and r11, so the child finds
 * @fn and @arg in r8 and r9; the kernel starts it with rsp at the stack's
 * top, 16-byte aligned as a call expects.
 */
long cell_clone3_vm(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
__asm__(".pushsection .text\n"
	".globl cell_clone3_vm\n"
	".hidden cell_clone3_vm\n"
	".type cell_clone3_vm, @function\n"
	"cell_clone3_vm:\n"
	"\t.cfi_startproc\n"
	"\tendbr64\n"
	"\tmov %rdx, %r8\n"
	"\tmov %rcx, %r9\n"
	"\tmov $435, %eax\n" /* __NR_clone3 */
	"\tsyscall\n"
	"\ttest %rax, %rax\n"
	"\tjz 1f\n"
	"\tret\n"
	"1:\n"
	"\t.cfi_undefined rip\n"
	"\txor %ebp, %ebp\n"
	"\tmov %r9, %rdi\n"
	"\tcall *%r8\n"
	"\tmov %eax, %edi\n"
	"\tmov $60, %eax\n" /* __NR_exit */
	"\tsyscall\n"
	"\thlt\n"
	"\t.cfi_endproc\n"
	".size cell_clone3_vm, .-cell_clone3_vm\n"
	".popsection\n");

/*
 * plan.userns_first or plan.init_in_vm: the hop between cell and the child.
 * It joins the user namespace cell made and mapped (cell_userns_for_maps),
 * if any, so that what the child's clone3 makes belongs to it, and makes the
 * child as cell's own (CLONE_PARENT), waiting in vfork until it execs (or,
 * staying PID 1, exits). So the child is "in vfork" as any vfork-style
 * child, and cell reaps it. cell waits for the hop in vfork too, but for
 * plan.init_in_vm: then it waits until the child serves as PID 1
 * (wait_staying_child()) and goes on.
 */
struct vm_hop {
	struct vm_start *v;
	struct clone_args *args;
	int userns_fd;	  /* -1: none to join */
	bool born_in_ns;  /* cloned into the new user namespace: wait for its maps */
	bool stays;	  /* plan.init_in_vm: the child stays; cell does not wait for the hop */
	long pid;	  /* the child's, or -errno */
	const char *what; /* what failed when pid < 0 */
};

static int vm_hop(void *arg)
{
	static void *stack; /* made once, kept */
	struct vm_hop *h = arg;
	long *out = &h->pid;
	bool stays = h->stays;
	long pid;

	if (h->born_in_ns) {
		int go;

		h->what = "wait for the id maps of the container's user namespace";
		while ((go = __atomic_load_n(&vm_maps_written, __ATOMIC_ACQUIRE)) == 0)
			cell_init_await(&vm_maps_written, 0);
		if (go < 0)
			return 0; /* cell could not write them, and says why */
	}
	h->what = "join the container's user namespace";
	if (h->userns_fd >= 0 && setns(h->userns_fd, CLONE_NEWUSER) < 0) {
		h->pid = -errno;
		return 0;
	}
	h->what = h->userns_fd >= 0 ? "clone3 into the container's user namespace"
				    : "clone3 with namespaces";
	if (!(stack = vm_stack(&stack))) {
		h->pid = -errno;
		return 0;
	}
	/* clone3 wants no exit signal with CLONE_PARENT: the child's is the hop's */
	h->args->flags |= CLONE_PARENT;
	h->args->exit_signal = 0;
	h->args->stack = (uint64_t)(uintptr_t)stack;
	h->args->stack_size = VM_STACK_SIZE;
	pid = cell_clone3_vm(h->args, sizeof(*h->args), vm_child, h->v);
	/* The child stayed PID 1 and has ended: *h was clone_hop()'s, long gone. */
	if (!stays || pid < 0)
		*out = pid;
	return 0;
}

/*
 * plan.init_in_vm: wait until the child serves as PID 1 (or is gone), then
 * let it be: it stays "in vfork" of the hop, so the OOM killer never picks
 * it, while cell goes on. The hop itself is reaped after PID 1 (teardown).
 */
static long wait_staying_child(struct run_ctx *c, long hop, struct vm_hop *h, const char **failed)
{
	int v;

	while ((v = __atomic_load_n(&vm_started, __ATOMIC_ACQUIRE)) == CELL_INIT_SETTING_UP)
		cell_init_await(&vm_started, v);
	if (vm_child_pid > 0) {
		c->hop = (pid_t)hop;
		return vm_child_pid;
	}
	/* The hop made no child: it said why and left. */
	while (waitpid((pid_t)hop, NULL, __WALL) < 0 && errno == EINTR)
		;
	*failed = h->what;
	errno = h->pid < 0 ? (int)-h->pid : EINVAL;
	return -1;
}

/* Write the hop's maps, then let it go on (or, failed, leave). */
static int map_hop(struct run_ctx *c, pid_t hop, struct cell_error *err)
{
	const struct cell_linux *l = &c->spec->linux;
	int r = cell_userns_map(hop, l->uid_mappings, l->n_uid_mappings, l->gid_mappings,
				l->n_gid_mappings, !c->plan.setgroups_allowed, err);

	__atomic_store_n(&vm_maps_written, r < 0 ? -1 : 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &vm_maps_written, FUTEX_WAKE, 1, NULL, NULL, 0);
	return r;
}

/*
 * The hop's side of clone_vm(): made on @stack (the child gets one of its
 * own), reaped at once; the child's PID, or -1 and errno with *@failed
 * naming the step.
 */
static long clone_hop(struct run_ctx *c, struct vm_start *v, struct clone_args *args, void *stack,
		      const char **failed, struct cell_error *err)
{
	bool stays = c->plan.init_in_vm;
	struct vm_hop h = { .v = v,
			    .args = args,
			    .userns_fd = c->userns_fd,
			    .born_in_ns = hop_makes_userns(c),
			    .stays = stays,
			    .pid = -EINVAL };
	struct cell_userns_owner as;
	/* CLONE_FILES: the child's pidfd lands in the hop's fd table, cell's */
	struct clone_args hop = { .flags = CLONE_VM | CLONE_FILES,
				  .exit_signal = SIGCHLD,
				  .stack = (uint64_t)(uintptr_t)stack,
				  .stack_size = VM_STACK_SIZE };
	long pid;

	if (stays) {
		/* both clear vm_started at their exit, and the child wakes cell
		 * when it serves; vm_child_pid is written before either runs */
		vm_started = CELL_INIT_SETTING_UP;
		vm_child_pid = 0;
		hop.flags |= CLONE_CHILD_CLEARTID;
		hop.child_tid = (uint64_t)(uintptr_t)&vm_started;
		args->flags |= CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
		args->child_tid = (uint64_t)(uintptr_t)&vm_started;
		args->parent_tid = (uint64_t)(uintptr_t)&vm_child_pid;
		c->was_dumpable = prctl(PR_GET_DUMPABLE) == 1;
	} else {
		hop.flags |= CLONE_VFORK;
	}
	if (h.born_in_ns) {
		vm_maps_written = 0;
		hop.flags |= CLONE_NEWUSER;
		/* the hop is born in the box's user namespace: made as its root */
		if (cell_userns_owner_begin(c->plan.userns_owner, &as, err) < 0) {
			*failed = NULL;
			errno = err->errnum;
			return -1;
		}
	}
	pid = cell_clone3_vm(&hop, sizeof(hop), vm_hop, &h);
	if (h.born_in_ns && cell_userns_owner_end(&as, err) < 0) {
		if (pid > 0) {
			__atomic_store_n(&vm_maps_written, -1, __ATOMIC_RELEASE);
			syscall(SYS_futex, &vm_maps_written, FUTEX_WAKE, 1, NULL, NULL, 0);
			while (waitpid((pid_t)pid, NULL, __WALL) < 0 && errno == EINTR)
				;
		}
		*failed = NULL;
		errno = err->errnum;
		return -1;
	}
	if (pid < 0) {
		*failed = c->userns_fd >= 0 || h.born_in_ns
				  ? "clone3 of the hop into the container's user namespace"
				  : "clone3 of the hop";
		errno = (int)-pid;
		return -1;
	}
	if (h.born_in_ns && map_hop(c, (pid_t)pid, err) < 0) {
		while (waitpid((pid_t)pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		*failed = NULL;
		errno = err->errnum ? err->errnum : EINVAL;
		return -1;
	}
	if (stays)
		return wait_staying_child(c, pid, &h, failed);
	while (waitpid((pid_t)pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (h.pid < 0) {
		*failed = h.what;
		errno = (int)-h.pid;
		return -1;
	}
	return h.pid;
}
#endif

/*
 * plan.spawn_vm: the child shares this process's memory and this process
 * waits in clone until it has exec'd, as posix_spawn(3) does. A fork
 * copies the page tables of all of cell and faults every page the child
 * touches in again, one trap to the hypervisor each on a paravirtualised VM
 * (bench/README.md: 0.7-1.0 ms of a 10 ms start, 1.25 ms without init,
 * whose exec costs 0.4 ms). Nothing of the
 * parent's runs meanwhile (start_plan_make() made sure nothing must), so the
 * heap, errno and stdio are the child's alone until its execve; under init
 * it then execs the freestanding init (src/init/init.c), or, a judged box
 * (plan.init_in_vm), stays PID 1 in cell's memory: clone_hop().
 *
 * clone3 where this build has its trampoline (x86_64): CLONE_INTO_CGROUP
 * then makes the child in its v2 cgroup, as a fork would be. A memory limit
 * there, or in the v1 cgroup the child joins, cannot take cell with it:
 * until its execve the child is "in vfork" (CLONE_VFORK, its parent's
 * memory), which the OOM killer never picks (oom_badness(): in_vfork());
 * it kills the command, which has memory of its own by then.
 *
 * The child starts on this CPU, where cell's memory is warm and which cell
 * leaves idle: woken on the other, it would start cold, and waking an idle
 * vCPU is a trip through the hypervisor (0.8 ms of CPU a start measured).
 * It takes cell's CPUs back first thing; so does cell once clone returns.
 */
static long clone_vm(struct run_ctx *c, const int sv[2], struct clone_args *args,
		     const char **failed, struct cell_error *err)
{
	static void *stack; /* made once, kept: a judge's batch starts many */
	struct vm_start v = { .c = c, .sv = sv };
	cpu_set_t cpus, here;
	int cpu = sched_getcpu();
	long pid;
	int e;

	if (!vm_stack(&stack))
		return -1;
	/* best effort: more CPUs than a cpu_set_t holds, or none known, start anywhere */
	if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
		CPU_ZERO(&here);
		CPU_SET(cpu, &here);
		if (sched_setaffinity(0, sizeof(here), &here) == 0)
			v.cpus = &cpus;
	}
	args->flags |= CLONE_VM | CLONE_VFORK;
#if CELL_CLONE3_VM
	if (c->plan.userns_first || c->plan.init_in_vm) {
		pid = clone_hop(c, &v, args, stack, failed, err);
		e = errno;
	} else {
		args->stack = (uint64_t)(uintptr_t)stack;
		args->stack_size = VM_STACK_SIZE;
		pid = cell_clone3_vm(args, sizeof(*args), vm_child, &v);
		e = pid < 0 ? (int)-pid : 0;
		pid = pid < 0 ? -1 : pid;
	}
#else
	pid = clone(vm_child, (char *)stack + VM_STACK_SIZE, (int)(args->flags | SIGCHLD), &v,
		    &c->pidfd);
	e = errno;
#endif
	if (v.cpus)
		(void)sched_setaffinity(0, sizeof(cpus), &cpus);
	errno = e;
	return pid;
}
#endif

/*
 * The cgroups the child joins by itself, writing "0" to their tasks files
 * first thing: a thread moving itself takes no global lock, where a PID
 * written to cgroup.procs waits for an RCU grace period. cell.devices (a
 * default run), and with plan.child_cgroup the container's own, made now
 * rather than while the child sets up: nothing of the parent's comes
 * between clone and execve.
 */
static int open_tasks(struct run_ctx *c, struct cell_error *err)
{
	int r;

	if (c->shared_devices) {
		if ((r = open_shared_devices(c, err)) < 0)
			return r;
		c->tasks_dirs[c->n_tasks_fds] = CELL_SHARED_DEVICES;
		c->tasks_fds[c->n_tasks_fds++] = r;
	}
	if (!c->plan.child_cgroup)
		return 0;
	if (c->cgroup_planned && (r = create_cgroup(c, err)) < 0)
		return r;
	if (!c->has_cgroup) /* rootless, nothing delegated and nothing asked: none */
		return 0;
	r = cell_cgroup_open_tasks(&c->cg, c->tasks_fds + c->n_tasks_fds,
				   c->tasks_dirs + c->n_tasks_fds,
				   CELL_CG_COUNT + 1 - c->n_tasks_fds, err);
	if (r < 0)
		return r;
	c->n_tasks_fds += (size_t)r;
	return 0;
}

/* Also on every failure path: teardown() calls it. */
static void close_tasks(struct run_ctx *c)
{
	while (c->n_tasks_fds > 0)
		close(c->tasks_fds[--c->n_tasks_fds]);
}

/*
 * PID 1's door (src/init/init_door.h), where cell exec and cell ns enter
 * need one: PID 1 is cell's own (forked, or in cell's memory) and
 * non-dumpable, and cell runs without CAP_SYS_PTRACE (rootless), so its
 * user could neither open the container's /proc/1/ns nor setns(pidfd) to
 * it. The door answers cell's uid as the container's user namespace shows
 * it; there must be one, and not the overflow uid that every unmapped
 * user's shows as. Not for a judged box (nothing enters it), cell exec's
 * own init, an init exec'd from the memfd (root's maps: root may ptrace),
 * a joined user or pid namespace.
 */
static bool wants_door(struct run_ctx *c)
{
	const struct cell_linux *l = &c->spec->linux;
	const struct cell_namespace *user = &l->namespaces[CELL_NS_USER];
	const struct cell_namespace *pid = &l->namespaces[CELL_NS_PID];
	uid_t self = geteuid();
	char buf[16];

	if (!CELL_INIT_DOOR || !c->plan.under_init || c->opts->judge_box || c->opts->join_pid ||
	    !user->present || user->path || (pid->present && pid->path) || c->init_fd >= 0 ||
	    (cell_caps_effective() & (1ULL << CAP_SYS_PTRACE))) /* in its mm's user namespace */
		return false;
	for (size_t i = 0; i < l->n_uid_mappings; i++) {
		const struct cell_id_map *m = &l->uid_mappings[i];

		if (self < m->host_id || self - m->host_id >= m->size)
			continue;
		c->door_uid = m->container_id + (self - m->host_id);
		return cell_read_at(AT_FDCWD, "/proc/sys/kernel/overflowuid", buf, sizeof(buf),
				    NULL) > 0 &&
		       (uid_t)atol(buf) != c->door_uid;
	}
	return false;
}

/* Before clone: the door's socket, and SIGIO blocked for PID 1 to wait for. */
static int door_make(struct run_ctx *c, struct cell_error *err)
{
	sigset_t set;

	if (!wants_door(c))
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return cell_error_set(err, errno, "sigprocmask (SIGIO, for the init's door)");
	c->door = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->door < 0)
		return cell_error_set(err, errno, "socket (the init's door)");
	return 0;
}

/*
 * Once PID 1's host PID is known: name the door after it, have the kernel
 * tell PID 1 of each connection (SIGIO), and tell it so itself: PID 1
 * listens then (init_door.h says why), and cell leaves the socket to it
 * alone, so it goes with PID 1. A name taken already (another socket of
 * that name) costs the container its door, not its start: cell exec then
 * says that it cannot enter.
 */
static void door_open(struct run_ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, CELL_DOOR_NAME,
			   (int)c->host_pid);
	struct cell_error e = { 0 };

	if (c->door < 0)
		return;
	if (bind(c->door, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) < 0 ||
	    fcntl(c->door, F_SETOWN, c->host_pid) < 0 ||
	    fcntl(c->door, F_SETFL, O_NONBLOCK | O_ASYNC) < 0 || kill(c->host_pid, SIGIO) < 0) {
		cell_error_set(&e, errno,
			       "the init's door @%s (cell exec and cell ns enter cannot "
			       "reach this container)",
			       sa.sun_path + 1);
		if (c->opts->on_warning)
			c->opts->on_warning(c->opts->ctx, &e);
	}
	c->door = safe_close(c->door);
}

static int spawn(struct run_ctx *c, struct cell_error *err)
{
	int sv[2];
	const char *failed = NULL; /* plan.userns_first: the hop's step that failed */
	struct clone_args args = {
		.flags = c->plan.clone_ns | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&c->pidfd,
		.exit_signal = SIGCHLD,
	};
	struct cell_error hop_err = { 0 }; /* hop_makes_userns(): its maps' */
	struct cell_userns_owner as = { 0 };
	long pid;
	int r;

	if (c->plan.into_cgroup) {
		/* v2: born in its cgroup, so a fork bomb is limited from the first fork. */
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)c->cg.v2_fd;
	}
	if ((r = open_tasks(c, err)) < 0)
		return r;
	if ((c->plan.userns_first || c->plan.write_maps) && !c->plan.setgroups_allowed &&
	    geteuid() == 0 && (r = drop_groups(err)) < 0)
		return r;
	if (c->plan.userns_first && !hop_makes_userns(c)) {
		const struct cell_linux *l = &c->spec->linux;

		c->userns_fd = cell_userns_for_maps(
			l->uid_mappings, l->n_uid_mappings, l->gid_mappings, l->n_gid_mappings,
			!c->plan.setgroups_allowed, c->plan.userns_owner,
			"the container's user namespace", err);
		if (c->userns_fd < 0)
			return c->userns_fd;
	}
	if ((r = door_make(c, err)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_set(err, errno, "socketpair");
	/* clone3 makes the user namespace: as the container's root on the host */
	if ((args.flags & CLONE_NEWUSER) &&
	    (r = cell_userns_owner_begin(c->plan.userns_owner, &as, err)) < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
#if !CELL_ASAN
	if (c->plan.spawn_vm)
		pid = clone_vm(c, sv, &args, &failed, &hop_err);
	else
#endif
		pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		run_child(c, sv);
	if (pid < 0) {
		int e = errno;

		/* nothing was made: cell is itself again, or fails the same */
		(void)cell_userns_owner_end(&as, err);
		close(sv[0]);
		close(sv[1]);
		if (hop_err.msg[0]) {
			*err = hop_err;
			return -e;
		}
		if (failed)
			return cell_error_set(err, e, "%s (flags 0x%llx)", failed,
					      (unsigned long long)args.flags);
		return cell_error_set(err, e, "%s with namespaces (flags 0x%llx)",
				      c->plan.spawn_vm ? "clone" : "clone3",
				      (unsigned long long)args.flags);
	}
	close(sv[1]);
	c->sock = sv[0];
	c->pid = c->host_pid = (pid_t)pid;
	if ((r = cell_userns_owner_end(&as, err)) < 0)
		return r; /* teardown kills and reaps the child */
	door_open(c);
	close_tasks(c);
	c->userns_fd = safe_close(c->userns_fd);
	c->init_fd = safe_close(c->init_fd);
	/* The child has its own copies of the prepared mount trees. */
	cell_rootfs_prepared_free(&c->rootfs, c->spec->n_mounts);
	return 0;
}

static void handle_message(struct run_ctx *c, struct cell_error *err);

/* A joined pid namespace: until the container's process made there is ours. */
static int wait_adopted(struct run_ctx *c, struct cell_error *err)
{
	while (!c->adopted && !c->child_failed && c->sock >= 0)
		handle_message(c, err);
	if (c->child_failed) {
		*err = c->child_err;
		return err->errnum ? -err->errnum : -EINVAL;
	}
	return c->adopted ? 0 : cell_error_set(err, EPIPE, "the container exited during its setup");
}

/* The child is waiting for GO: give it its ids and its cgroup first. */
static int prepare_child(struct run_ctx *c, struct cell_error *err)
{
	int r;

	if (c->plan.write_maps &&
	    (r = cell_idmap_write(c->pid, c->spec, !c->plan.setgroups_allowed, err)) < 0)
		return r;
	if (c->cgroup_planned && (r = create_cgroup(c, err)) < 0)
		return r;
	if (c->has_cgroup && c->cg.v2_fd < 0 && !c->plan.child_cgroup &&
	    (r = cell_cgroup_enter(&c->cg, c->pid, err)) < 0)
		return r;
	if (c->opts->cgroup_join && (r = join_cgroup(c->opts, c->pid, err)) < 0)
		return r;
	/* runtime.md: prestart (deprecated) and createRuntime, in cell's namespaces,
	 * once the container's exist (a CNI plugin configures its network here) */
	if ((r = run_parent_hooks(c, CELL_HOOK_PRESTART, "creating", err)) < 0 ||
	    (r = run_parent_hooks(c, CELL_HOOK_CREATE_RUNTIME, "creating", err)) < 0)
		return r;
	if ((r = make_pins(c, err)) < 0 || (r = cell_net_setup(&c->net, c->pid, c->spec, err)) < 0)
		return r;
	/* GO carries the host PID, for the state of hooks run inside */
	if (c->plan.go && (r = cell_sync_send(c->sock, CELL_SYNC_GO, c->host_pid, NULL, -1)) < 0)
		return cell_error_set(err, -r, "start the container");
	/* before anything records c->host_pid (state.json, hooks) */
	return c->plan.adopt ? wait_adopted(c, err) : 0;
}

/* runc's console socket protocol: the pty master with SCM_RIGHTS, its name as data. */
static int send_console(int sock, int master, struct cell_error *err)
{
	char name[] = "/dev/ptmx";
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return cell_error_set(err, errno, "send the terminal to --console-socket");
	return 0;
}

/* cell_run: the start byte, written while the child may still be setting up. */
static int release_start(struct run_ctx *c, struct cell_error *err)
{
	bool started = write(c->start_w, "0", 1) == 1;

	c->start_w = safe_close(c->start_w);
	if (!started)
		return cell_error_set(err, errno, "start the container");
	return 0;
}

/* What cell_create hands on, and cell_run's on_created sees. */
static int describe_created(const struct run_ctx *c, struct cell_created *out,
			    struct cell_error *err)
{
	memset(out, 0, sizeof(*out));
	out->pid = c->host_pid;
	if (!c->has_cgroup)
		return 0;
	snprintf(out->cgroups_path, sizeof(out->cgroups_path), "%s", c->cgroups_path);
	return cell_cgroup_save(&c->cg, &out->cgroup_state, err);
}

/*
 * The caller records the container (state.json) while the child sets itself
 * up on the other CPU. cell_run has no `start` to wait for: once recorded,
 * the child may go on as soon as it is READY, without a round trip through
 * the parent (one wake-up each way, 0.2 ms on a small VM).
 */
/* on_created with what the caller records; from the parent or the child. */
static int tell_created(struct run_ctx *c, struct cell_error *err)
{
	struct cell_created created;
	int r = describe_created(c, &created, err);

	if (r == 0)
		r = c->opts->on_created(c->opts->ctx, &created, err);
	free(created.cgroup_state);
	return r;
}

static int record_created(struct run_ctx *c, struct cell_error *err)
{
	int r;

	if (!c->opts->on_created || c->plan.child_records)
		return 0;
	return (r = tell_created(c, err)) < 0 ? r : release_start(c, err);
}

/*
 * plan.child_records: the vfork-style child records the container itself,
 * before its mounts, while it still sees the host's files and /proc. Its PID
 * in cell's view is /proc/self there: the procfs cell sees.
 */
static int record_in_child(void *ctx, struct cell_error *err)
{
	struct run_ctx *c = ctx;
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n <= 0)
		return cell_error_set(err, n < 0 ? errno : EINVAL, "readlink /proc/self");
	self[n] = '\0';
	c->host_pid = (pid_t)atoi(self); /* the parent sets the same once clone returns */
	return tell_created(c, err);
}

/* runtime.md: poststart once the process runs; a failing hook is only worth a warning. */
static void started(struct run_ctx *c)
{
	cleanup_free char *state = NULL;
	struct cell_error e = { 0 };

	if (!c->spec->hooks.n[CELL_HOOK_POSTSTART])
		return;
	if (!(state = hook_state(c, "running"))) {
		cell_error_set(&e, ENOMEM, "hooks.poststart");
		if (c->opts->on_warning)
			c->opts->on_warning(c->opts->ctx, &e);
		return;
	}
	cell_hooks_run_all(c->spec, CELL_HOOK_POSTSTART, state, c->opts->bundle,
			   c->opts->on_warning, c->opts->ctx);
}

static void record_child_error(struct run_ctx *c, const struct cell_error *e)
{
	if (!c->child_failed) {
		c->child_failed = true;
		c->child_err = *e;
	}
}

/* The container process state (config-linux.md) goes with the fd, as runc sends it. */
static int send_seccomp_listener(struct run_ctx *c, int fd, struct cell_error *err)
{
	const struct cell_spec *spec = c->spec;
	struct cell_seccomp_state st = {
		.oci_version = CELL_OCI_VERSION,
		.id = c->id,
		.bundle = c->opts->bundle,
		.status = "creating",
		.metadata = spec->linux.seccomp.listener_metadata,
		.pid = c->host_pid,
		.annotations = spec->annotations,
		.n_annotations = spec->n_annotations,
	};
	int r;

	if (!c->id[0] && c->opts->id)
		snprintf(c->id, sizeof(c->id), "%s", c->opts->id);
	else if (!c->id[0] && (r = cell_random_id(c->id, err)) < 0)
		return r;
	return cell_seccomp_send_listener(spec->linux.seccomp.listener_path, fd, &st, err);
}

static void handle_seccomp_fd(struct run_ctx *c, int fd)
{
	struct cell_error e = { 0 };
	int r = fd < 0 ? cell_error_set(&e, EPROTO, "seccomp listener fd missing")
		       : send_seccomp_listener(c, fd, &e);

	if (r < 0)
		record_child_error(c, &e);
	safe_close(fd);
	if (cell_sync_send(c->sock, CELL_SYNC_SECCOMP_DONE, r, NULL, -1) < 0)
		kill(c->pid, SIGKILL);
}

/*
 * CELL_SYNC_ADOPT: @pid is our child (CLONE_PARENT), unreaped, so its PID
 * cannot be reused before pidfd_open; the process that made it has left.
 */
static void adopt(struct run_ctx *c, pid_t pid)
{
	struct cell_error e = { 0 };
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0) {
		cell_error_set(&e, errno, "pidfd_open %d (the container's process)", (int)pid);
		record_child_error(c, &e);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &(siginfo_t){ 0 }, WEXITED);
	close(c->pidfd);
	c->pidfd = fd;
	c->pid = c->host_pid = pid;
	c->adopted = true;
}

static void handle_message(struct run_ctx *c, struct cell_error *err)
{
	struct cell_sync_msg msg;
	int fd, r = cell_sync_recv(c->sock, &msg, &fd);

	if (r <= 0) {
		c->sock = safe_close(c->sock);
		return;
	}
	switch (msg.type) {
	case CELL_SYNC_ERROR:
		if (!c->child_failed) {
			c->child_failed = true;
			c->child_err.errnum = msg.value;
			c->child_err.kind = (enum cell_error_kind)msg.kind;
			snprintf(c->child_err.msg, sizeof(c->child_err.msg), "%s", msg.text);
		}
		break;
	case CELL_SYNC_READY:
		c->ready = true;
		if (!c->create)
			started(c);
		break;
	case CELL_SYNC_PTY_MASTER:
		if (fd >= 0 && c->opts->console_socket >= 0) {
			if (send_console(c->opts->console_socket, fd, err) < 0 &&
			    !c->child_failed) {
				kill(c->pid, SIGKILL);
				c->child_failed = true;
				c->child_err = *err;
			}
			close(fd);
		} else if (fd >= 0 && c->tty.master < 0 &&
			   cell_tty_relay_start(&c->tty, fd, c->opts->stdin_fd, c->opts->stdout_fd,
						err) < 0) {
			/* No terminal to relay to: the container cannot be used. */
			kill(c->pid, SIGKILL);
			c->child_failed = true;
			c->child_err = *err;
		}
		break;
	case CELL_SYNC_PID:
		if (c->opts->on_pid && c->opts->on_pid(c->opts->ctx, msg.value, err) < 0) {
			kill(msg.value, SIGKILL);
			record_child_error(c, err);
		}
		break;
	case CELL_SYNC_STATUS:
		c->have_status = true;
		c->status = msg.value;
		break;
	case CELL_SYNC_SECCOMP_FD:
		handle_seccomp_fd(c, fd);
		break;
	case CELL_SYNC_ADOPT:
		adopt(c, msg.value);
		break;
	case CELL_SYNC_NS_IDS:
		memcpy(c->ns_ids, msg.text, sizeof(c->ns_ids));
		c->have_ns_ids = true;
		break;
	case CELL_SYNC_DROP: /* closed below: the RCU wait of its drop is ours */
	default:
		if (fd >= 0)
			close(fd);
	}
}

static void handle_signal(struct run_ctx *c)
{
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* the pidfd tells when PID 1 exits */
		if (si.ssi_signo == SIGWINCH)
			cell_tty_relay_resize(&c->tty);
		syscall(SYS_pidfd_send_signal, c->pidfd, si.ssi_signo, NULL, 0);
	}
}

static struct cell_run_box run_box(struct run_ctx *c)
{
	return (struct cell_run_box){ .pid = c->host_pid,
				      .pidfd = c->pidfd,
				      .cgroup = c->has_cgroup ? &c->cg : NULL,
				      .ns_ids = c->have_ns_ids ? c->ns_ids : NULL };
}

/* A supervisor (opts->watch) learns the box once it runs. */
static int start_watch(struct run_ctx *c, struct cell_error *err)
{
	const struct cell_run_watch *w = c->opts->watch;

	/* sent before the command starts: read up to it (a child that failed
	 * closes the socket instead, and the wait reports its error) */
	while (c->opts->ns_ids && !c->have_ns_ids && c->sock >= 0 && !c->have_status)
		handle_message(c, err);
	struct cell_run_box box = run_box(c);

	return w && w->on_start ? w->on_start(w->ctx, &box, err) : 0;
}

static void watch_ready(struct run_ctx *c)
{
	const struct cell_run_watch *w = c->opts->watch;
	struct cell_run_box box = run_box(c);

	w->on_ready(w->ctx, &box);
}

/* Wait for PID 1, relaying the terminal and signals meanwhile. */
static int wait_container(struct run_ctx *c, struct cell_error *err)
{
	const struct cell_run_watch *w = c->opts->watch;

	for (;;) {
		struct pollfd p[6] = {
			{ .fd = c->pidfd, .events = POLLIN },
			{ .fd = c->sigfd, .events = POLLIN },
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = c->tty.master, .events = POLLIN },
			{ .fd = c->tty.master >= 0 && c->tty.in_open ? c->tty.in_fd : -1,
			  .events = POLLIN },
			{ .fd = w && w->on_ready ? w->fd : -1, .events = POLLIN },
		};

		if (poll(p, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cell_error_set(err, errno, "poll");
		}
		if (p[1].revents)
			handle_signal(c);
		if (p[2].revents)
			handle_message(c, err);
		/* init reported the command's status and is leaving: no more polling. */
		if (c->have_status)
			break;
		if (p[3].revents && cell_tty_relay_pump(&c->tty, c->tty.master) == 0)
			c->tty.master = safe_close(c->tty.master);
		if (p[4].revents)
			cell_tty_relay_pump(&c->tty, c->tty.in_fd);
		if (p[5].revents)
			watch_ready(c);
		if (p[0].revents)
			break;
	}
	siginfo_t info = { 0 };
	/* The system call, not glibc's waitid(3): it fills PID 1's rusage too. */
	if (syscall(SYS_waitid, P_PIDFD, c->pidfd, &info, WEXITED, &c->rusage) < 0)
		return cell_error_set(err, errno, "wait for the container");
	c->pid = 0;
	/* Messages sent just before exit are still queued on the socket. */
	while (c->sock >= 0)
		handle_message(c, err);
	cell_tty_relay_drain(&c->tty);
	if (w && w->on_exited) {
		struct cell_run_box box = run_box(c);

		w->on_exited(w->ctx, &box);
	}
	if (!c->have_status) /* no init: PID 1 was the command */
		c->status = info.si_code == CLD_EXITED	 ? W_EXITCODE(info.si_status, 0)
			    : info.si_code == CLD_DUMPED ? info.si_status | WCOREFLAG
							 : info.si_status;
	return 0;
}

/* Returns -errno when something cell made could not be removed. */
static int teardown(struct run_ctx *c, struct cell_error *err)
{
	struct cell_error cg_err = { 0 };
	int r = 0;

	if (c->pid > 0 && !(c->create && c->ready && !c->child_failed)) {
		/* Setup failed in the parent: the child must not outlive it. */
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &(siginfo_t){ 0 }, WEXITED);
	}
	if (c->hop > 0) {
		/* plan.init_in_vm: PID 1 is gone, so the hop's vfork is over; its
		 * stack is free for the next start once it has left */
		while (waitpid(c->hop, NULL, __WALL) < 0 && errno == EINTR)
			;
		c->hop = 0;
		/* the child made cell's memory non-dumpable for the container; a
		 * rootless self map of the next start needs it dumpable again */
		if (c->was_dumpable)
			(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	cell_tty_relay_stop(&c->tty);
	if (!c->seccomp_borrowed)
		cell_seccomp_prog_free(&c->seccomp);
	if (c->create && c->ready && !c->child_failed && c->has_cgroup)
		cell_cgroup_forget(&c->cg); /* handed on: cell delete removes it */
	else if (c->has_cgroup && (r = cell_cgroup_destroy(&c->cg, &cg_err)) < 0 && !err->msg[0])
		*err = cg_err;
	safe_close(c->start_w);
	if (c->start_fd >= 0 && c->start_fd != c->opts->start_fd)
		close(c->start_fd);
	cell_rootfs_prepared_free(&c->rootfs, c->spec->n_mounts);
	if (cell_net_teardown(&c->net, err) < 0)
		r = -EIO;
	close_tasks(c);
	safe_close(c->init_fd);
	safe_close(c->door);
	safe_close(c->userns_fd);
	safe_close(c->sock);
	safe_close(c->pidfd);
	if (c->sigfd >= 0)
		sigaction(SIGPIPE, &c->old_sigpipe, NULL);
	safe_close(c->sigfd);
	if (c->mask_saved)
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	return r;
}

/* A run's context before anything is made: every fd closed (-1). */
static struct run_ctx run_ctx_new(const struct cell_spec *spec, const struct cell_run_options *opts,
				  int start_fd)
{
	return (struct run_ctx){ .spec = spec,
				 .opts = opts,
				 .sock = -1,
				 .pidfd = -1,
				 .sigfd = -1,
				 .tty = { .master = -1 },
				 .start_fd = start_fd,
				 .start_w = -1,
				 .init_fd = -1,
				 .door = -1,
				 .userns_fd = -1 };
}

int cell_run(const struct cell_spec *spec, const struct cell_run_options *opts,
	     struct cell_run_result *result, struct cell_error *err)
{
	struct run_ctx c = run_ctx_new(spec, opts, -1);
	int r;

	memset(result, 0, sizeof(*result));
	cell_error_reset(err);
	if ((r = cell_spec_validate(spec, err)) < 0)
		return r;
	cell_net_sweep_stale();
	/* Signals wait in the signalfd from here on: Ctrl-C cannot cut setup short
	 * and leave a cgroup behind. */
	if ((r = block_signals(&c, err)) < 0 || (r = prepare_seccomp(&c, err)) < 0 ||
	    (r = plan_cgroup(&c, err)) < 0)
		goto out;
	plan_start(&c);
	/* on_created, then a start byte: unless the child records itself */
	if (opts->on_created && !c.plan.child_records) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0) {
			r = cell_error_set(err, errno, "pipe");
			goto out;
		}
		c.start_fd = p[0];
		c.start_w = p[1];
	}
	if ((r = check_pins(&c, err)) < 0 ||
	    (r = cell_net_prepare(&c.net, spec, c.id[0] ? c.id : opts->id, &c.spec, err)) < 0 ||
	    (r = cell_rootfs_prepare(c.spec, &c.rootfs, opts->on_warning, opts->ctx, err)) < 0 ||
	    (r = spawn(&c, err)) < 0 || (r = prepare_child(&c, err)) < 0 ||
	    (r = record_created(&c, err)) < 0 || (r = start_watch(&c, err)) < 0 ||
	    (r = wait_container(&c, err)) < 0)
		goto out;
	result->pid = c.host_pid;
	result->wait_status = c.status;
	result->rusage = c.rusage;
	/* A clean exit is not worth the read: nothing to explain */
	result->oom_killed = c.has_cgroup && c.status != 0 && cell_cgroup_oom_killed(&c.cg);
	if (c.child_failed) {
		*err = c.child_err;
		r = err->errnum ? -err->errnum : -EINVAL;
	}
out:
	if (r < 0)
		remove_pins(&c);
	/* The command ran: a failed teardown is reported beside its status. */
	if (teardown(&c, err) < 0 && r == 0)
		result->teardown_failed = true;
	return r;
}

int cell_create(const struct cell_spec *spec, const struct cell_run_options *opts,
		struct cell_created *out, struct cell_error *err)
{
	struct run_ctx c = run_ctx_new(spec, opts, opts->start_fd);
	int r;

	c.create = true;
	memset(out, 0, sizeof(*out));
	cell_error_reset(err);
	if (spec->process.terminal && opts->console_socket < 0)
		return cell_error_set(err, 0,
				      "process.terminal needs --console-socket when the "
				      "container is created apart from its start");
	/* A bridge network is handed on with the container (cell_net_hand_on) and
	 * freed by cell delete or cell gc. Helpers (pasta, slirp4netns) and moved
	 * devices need a cell process that waits to stop or return them. */
	if ((spec->cell.net.mode != CELL_NET_NAMESPACE && spec->cell.net.mode != CELL_NET_BRIDGE) ||
	    spec->linux.n_net_devices)
		return cell_error_set(err, ENOTSUP,
				      "%s: only for a container cell runs to its end "
				      "(cell run without --detach); -d takes --net bridge",
				      spec->linux.n_net_devices ? "linux.netDevices" : "--net");
	if ((r = cell_spec_validate(spec, err)) < 0)
		return r;
	if ((r = block_signals(&c, err)) < 0 || (r = prepare_seccomp(&c, err)) < 0 ||
	    (r = plan_cgroup(&c, err)) < 0)
		goto out;
	plan_start(&c);
	if ((r = cell_net_prepare(&c.net, spec, opts->id, &c.spec, err)) < 0 ||
	    (r = cell_rootfs_prepare(c.spec, &c.rootfs, opts->on_warning, opts->ctx, err)) < 0 ||
	    (r = spawn(&c, err)) < 0 || (r = prepare_child(&c, err)) < 0)
		goto out;
	/* Until the child is READY: errors, the terminal for the console socket. */
	while (!c.ready && !c.child_failed && c.sock >= 0)
		handle_message(&c, err);
	if (c.child_failed) {
		*err = c.child_err;
		r = err->errnum ? -err->errnum : -EINVAL;
	} else if (!c.ready) {
		r = cell_error_set(err, EPIPE, "the container exited during its setup");
	} else if ((r = describe_created(&c, out, err)) < 0 ||
		   (r = cell_net_hand_on(&c.net, c.host_pid, err)) < 0) {
		free(out->cgroup_state);
		out->cgroup_state = NULL;
		c.ready = false; /* nothing handed on: teardown ends it */
	}
out:
	if (r < 0) /* --pin: pins outlive a container, not a failed start */
		remove_pins(&c);
	teardown(&c, err);
	return r;
}
