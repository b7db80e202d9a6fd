/*
 * cell — the start plan: who does what, and in which order, between clone3
 * and execve (docs/DESIGN.md, "The start sequence"). One pure function of
 * the spec and of what the parent found on the host, so the ordering rules
 * live in one place and tests/unit/test_start_plan.c can pin them down.
 */
#include <linux/sched.h>
#include <sched.h>

#include "ns_internal.h"
#include "run.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static bool has_hook(const struct cell_spec *spec, enum cell_hook_kind kind)
{
	return spec->hooks.n[kind] > 0;
}

static bool new_ns(const struct cell_spec *spec, enum cell_ns_type t)
{
	const struct cell_namespace *ns = &spec->linux.namespaces[t];

	return ns->present && !ns->path;
}

static bool joined_ns(const struct cell_spec *spec, enum cell_ns_type t)
{
	const struct cell_namespace *ns = &spec->linux.namespaces[t];

	return ns->present && ns->path;
}

/* Is there parent-side work between clone3 and the child's setup? */
static bool needs_go(const struct cell_spec *spec, const struct start_facts *f, bool child_cgroup,
		     bool userns_first)
{
	return (new_ns(spec, CELL_NS_USER) && !f->maps_by_child && !userns_first) ||
	       (f->cgroup_later && !child_cgroup) || f->cgroup_join ||
	       has_hook(spec, CELL_HOOK_PRESTART) || has_hook(spec, CELL_HOOK_CREATE_RUNTIME) ||
	       has_hook(spec, CELL_HOOK_CREATE_CONTAINER) ||
	       has_hook(spec, CELL_HOOK_START_CONTAINER) || f->pins || f->net_parent;
}

/*
 * Namespaces the child makes itself while the parent writes its id maps and
 * cgroup.procs: a network namespace alone takes 0.3-0.6 ms to set up, which
 * clone3 would spend on the parent's clock. Only when nothing of the parent's
 * needs them before GO: no pins, no network set up from outside, no prestart
 * or createRuntime hook (a CNI plugin configures the namespace there).
 */
static uint64_t early_ns(const struct cell_spec *spec, const struct start_facts *f, bool go,
			 uint64_t clone_flags)
{
	if (!go || f->pins || f->net_parent || has_hook(spec, CELL_HOOK_PRESTART) ||
	    has_hook(spec, CELL_HOOK_CREATE_RUNTIME))
		return 0;
	return clone_flags & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
}

/*
 * Does GO say no more than "you are in your cgroup"? Then the child makes its
 * namespaces and mounts while the parent makes and joins the cgroup (on v1,
 * the first cgroup.procs write waits for an RCU grace period), and waits for
 * GO only before its first cgroup mount. Not with a user namespace (the
 * child needs its id maps first), hooks that run before pivot_root, or
 * anything else the parent does between clone3 and GO.
 */
static bool setup_before_go(const struct cell_spec *spec, const struct start_facts *f,
			    const struct start_plan *p)
{
	return p->go && !spec->linux.namespaces[CELL_NS_USER].present && !f->pins && !p->adopt &&
	       !f->net_parent && !f->cgroup_join && !f->join_pid &&
	       !has_hook(spec, CELL_HOOK_PRESTART) && !has_hook(spec, CELL_HOOK_CREATE_RUNTIME) &&
	       !has_hook(spec, CELL_HOOK_CREATE_CONTAINER);
}

/*
 * May the child call setgroups(2)? A user namespace an unprivileged parent
 * maps directly has "deny" in /proc/PID/setgroups (CVE-2014-8989,
 * user_namespaces(7)); a new one inherits "deny" from cell's own (uid 0 of
 * `unshare -r`); a joined one says in its own file.
 */
static bool setgroups_allowed(const struct cell_spec *spec, const struct start_facts *f)
{
	bool userns = spec->linux.namespaces[CELL_NS_USER].present;
	bool allowed = !userns || f->root || !f->idmap_direct;

	/* root maps it with "deny" (container.c: spawn(), which drops cell's own
	 * supplementary groups first) */
	if (f->setgroups_deny && new_ns(spec, CELL_NS_USER))
		return false;
	if (userns && f->root && !f->initial_userns)
		allowed = f->setgroups_self;
	if (joined_ns(spec, CELL_NS_USER))
		allowed = f->setgroups_joined;
	return allowed;
}

/*
 * The mounts are locked (mount_lock.c) wherever cell made the user namespace
 * and the mount namespace: not for a joined user namespace (--ns user=PATH),
 * whose owner decides, nor for cell exec, which joins the locked ones. In a
 * user namespace without one of the spec's own, cell already runs in one
 * (rootless Podman's), whose owner decides as for a joined one.
 *
 * Nor where nothing in the container can ever change a mount (f->mounts_final,
 * cell judge): the lock takes away what CAP_SYS_ADMIN in the namespace's owner
 * allows, and no process of a judged box holds it or can come to. Its
 * bounding set is empty and no_new_privs set, nothing joins it later (no
 * cell exec), its PID 1 is cell's, which it cannot trace, and its filter
 * refuses mount(2), umount2(2), mount_setattr(2), open_tree(2), move_mount(2),
 * the fs* calls, unshare(2), setns(2) and namespace flags of clone(2)
 * (clone3(2) entirely). What the lock's second user namespace also gave, no
 * user namespace for the container, the limit of 0 in the first one gives
 * (userns_limit).
 */
static bool locks_mounts(const struct cell_spec *spec, const struct start_facts *f,
			 const struct start_plan *p)
{
	return p->in_userns && new_ns(spec, CELL_NS_USER) && new_ns(spec, CELL_NS_MNT) &&
	       !f->join_pid && !f->mounts_final;
}

/*
 * May PID 1 stay in cell's memory, serving from cell's copy of the
 * freestanding init (init_in_vm)? Only where the container has a user
 * namespace of its own, made now: cell's memory is non-dumpable and
 * belongs to cell's user namespace, in which the container's holds no
 * capability, so neither ptrace nor /proc/1/mem, fd, exe or environ reach
 * it from inside, as with an exec'd init whose mm is the host's
 * (init_unreadable). And only where cell waits for the container (the
 * init shares cell's stacks) and its command line is no secret
 * (f->init_in_vm_ok, container.c).
 */
static bool init_in_vm(const struct cell_spec *spec, const struct start_facts *f)
{
	return f->init_in_vm_ok && new_ns(spec, CELL_NS_USER) && !f->create;
}

/*
 * May the child share cell's memory until it execs (CLONE_VM | CLONE_VFORK,
 * as posix_spawn(3) does)? cell then waits in clone(2) until the child has
 * exec'd the command (without init) or the freestanding init (with it), so
 * nothing of the parent's may come between: no GO (id maps, cgroup moves,
 * hooks, pins, network), no start byte, no create (the parent leaves at
 * READY), no READY (poststart hooks), no seccomp listener (its fd goes
 * through the parent before the command may run), no joined pid namespace
 * or container to enter, and CLONE_INTO_CGROUP only where cell has its
 * own clone3 with a stack (clone_vm(); CLONE_NEWTIME never comes to clone:
 * the child unshares it). A memory limit does not stand in the way: the OOM
 * killer never picks a child in vfork (clone_vm()). Under init, not in a user
 * namespace where cell's ids have an id: a program exec'd there belongs to it
 * (mm->user_ns), so the container's root could ptrace the freestanding init
 * however non-dumpable, and speak to cell through its socket. Where they have
 * none (root's 0:65534:1, say), the init's memfd is not readable in the
 * namespace, and the kernel makes the exec non-dumpable from the start and
 * hands its mm to cell's user namespace, as a forked init's is
 * (init_unreadable); or PID 1 stays in cell's memory (init_in_vm).
 */
static bool spawn_vm(const struct cell_spec *spec, const struct start_facts *f,
		     const struct start_plan *p)
{
	return f->shared_vm_ok && !p->go && !f->create &&
	       (!f->start_wait || (f->record_in_child && !f->filter_early)) && !f->join_pid &&
	       !p->adopt && !p->say_ready && (!p->into_cgroup || f->clone3_vm) &&
	       !spec->linux.seccomp.listener_path && !(p->clone_ns & CLONE_NEWTIME) &&
	       (!p->under_init || init_in_vm(spec, f) ||
		(f->init_image && (!p->in_userns || f->init_unreadable)));
}

static void plan_once(const struct cell_spec *spec, const struct start_facts *f,
		      struct start_plan *p, bool child_cgroup, bool userns_first);

/*
 * A child that joins its own cgroup, or is cloned into a user namespace the
 * parent made and mapped before, spares the parent's cgroup.procs writes or
 * map writes and GO, but only a vfork-style child is worth it: plan with
 * them, and again without when the start forks anyway.
 */
void start_plan_make(const struct cell_spec *spec, const struct start_facts *f,
		     struct start_plan *p)
{
	plan_once(spec, f, p, f->cgroup_later && f->cgroup_self_ok,
		  new_ns(spec, CELL_NS_USER) && !f->maps_by_child && f->userns_first_ok);
	if ((p->child_cgroup || p->userns_first) && !p->spawn_vm)
		plan_once(spec, f, p, false, false);
}

static void plan_once(const struct cell_spec *spec, const struct start_facts *f,
		      struct start_plan *p, bool child_cgroup, bool userns_first)
{
	bool userns = spec->linux.namespaces[CELL_NS_USER].present;
	uint64_t ns_flags = cell_ns_clone_flags(spec, !f->cgroup);

	*p = (struct start_plan){ 0 };
	p->into_cgroup = f->cgroup_into;
	/* rootless Podman's spec has none: cell runs in Podman's already, where
	 * mknod(2) and a fresh sysfs are as refused as in its own */
	p->in_userns = userns || !f->initial_userns;
	p->setgroups_allowed = setgroups_allowed(spec, f);
	/* an unprivileged self map: the child's own to write, as unshare -r does */
	p->child_maps = new_ns(spec, CELL_NS_USER) && f->maps_by_child;
	p->userns_first = userns_first;
	/* charged to the container's own uid on the host, not to root's */
	if (new_ns(spec, CELL_NS_USER) && f->root && !p->child_maps)
		p->userns_owner = cell_userns_owner(spec->linux.uid_mappings,
						    spec->linux.n_uid_mappings, spec->process.uid);
	p->write_maps = new_ns(spec, CELL_NS_USER) && !p->child_maps && !userns_first;
	p->child_cgroup = child_cgroup;
	p->go = needs_go(spec, f, child_cgroup, userns_first);
	if (userns_first) /* made and mapped by the parent, joined before clone */
		ns_flags &= ~(uint64_t)CLONE_NEWUSER;
	p->early_ns = early_ns(spec, f, p->go, ns_flags);
	p->clone_ns = ns_flags & ~p->early_ns;
	p->cgroupns_at_clone = (ns_flags & CLONE_NEWCGROUP) != 0;
	/* Joined a user namespace by path: it owns the namespaces made now. */
	p->late_ns = joined_ns(spec, CELL_NS_USER) ? cell_ns_late_flags(spec) : 0;
	p->cgroupns_late = new_ns(spec, CELL_NS_CGROUP) && !p->cgroupns_at_clone;
	/* A pid namespace joined by path: the child forks the container's
	 * process into it, after GO (so the new process is born in the cgroup).
	 * cell exec forks under init instead. */
	p->adopt = joined_ns(spec, CELL_NS_PID) && !f->join_pid;
	p->setup_before_go = setup_before_go(spec, f, p);
	/* runtime-spec: the root, mounts and paths are set up in a joined mount
	 * namespace too (runc's prepareRootfs runs whatever the namespace's
	 * origin). Not for cell exec, which enters the container's, nor for
	 * --ns mnt=PATH, which asks for a pinned namespace as it is. */
	p->setup_rootfs =
		!f->join_pid && !(joined_ns(spec, CELL_NS_MNT) && spec->cell.keep_joined_mounts);
	p->lock_mounts = locks_mounts(spec, f, p);
	p->userns_limit = p->lock_mounts || (f->mounts_final && new_ns(spec, CELL_NS_USER));
	/* A pid namespace made after clone (late_ns) holds only the children of
	 * the process that made it (pid_namespaces(7)): init forks the command. */
	p->under_init =
		spec->cell.init || (joined_ns(spec, CELL_NS_USER) && new_ns(spec, CELL_NS_PID));
	/* cell_run wrote the start byte already: READY only for poststart */
	p->say_ready = f->create || has_hook(spec, CELL_HOOK_POSTSTART);
	p->spawn_vm = spawn_vm(spec, f, p);
	p->init_in_vm = p->spawn_vm && p->under_init && init_in_vm(spec, f);
	p->child_records = p->spawn_vm && f->start_wait;
}
