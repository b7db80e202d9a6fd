/*
 * Unit tests for start_plan_make() (src/lib/run/plan.c): the ordering rules
 * of the start, from a spec and the host facts the parent gathered. Each
 * test names the rule it pins down; docs/DESIGN.md tells why each holds.
 */
#include <linux/sched.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "run.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define EARLY_KINDS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

static struct cell_hook one_hook = { .path = (char *)"/bin/true" };

/* One case: a spec, the host facts, and the plan made of them. */
struct plan_case {
	struct cell_spec s;
	struct start_facts f;
	struct start_plan p;
};

/* Setup of every test: root on the host, new pid, mount, net, ipc, uts and
 * cgroup namespaces, nothing else. */
static int base(void **state)
{
	static const enum cell_ns_type types[] = { CELL_NS_PID, CELL_NS_MNT, CELL_NS_NET,
						   CELL_NS_IPC, CELL_NS_UTS, CELL_NS_CGROUP };
	static struct plan_case c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		c.s.linux.namespaces[types[i]].present = true;
	c.f = (struct start_facts){ .root = true,
				    .initial_userns = true,
				    .idmap_direct = true,
				    .setgroups_self = true,
				    .setgroups_joined = true };
	*state = &c;
	return 0;
}

/* The plan of @c as it stands now. */
static const struct start_plan *make(struct plan_case *c)
{
	start_plan_make(&c->s, &c->f, &c->p);
	return &c->p;
}

static void add_hook(struct cell_spec *s, enum cell_hook_kind kind)
{
	s->hooks.list[kind] = &one_hook;
	s->hooks.n[kind] = 1;
}

/* v1 or hybrid: the parent makes the cgroup and moves the child after clone3. */
static void v1_cgroup(struct start_facts *f)
{
	f->cgroup = true;
	f->cgroup_later = true;
}

static void test_nothing_of_the_parents_means_no_go_and_all_at_clone(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	p = make(c);
	assert_false(p->go);
	assert_false(p->setup_before_go);
	assert_int_equal(p->early_ns, 0);
	/* no cgroup of its own: clone3 makes the cgroup namespace too */
	assert_true(p->cgroupns_at_clone);
	assert_false(p->cgroupns_late);
	assert_int_equal(p->clone_ns, CLONE_NEWPID | CLONE_NEWNS | EARLY_KINDS | CLONE_NEWCGROUP);
	assert_false(p->write_maps);
	assert_false(p->in_userns);
	assert_true(p->setup_rootfs);
	assert_false(p->under_init);
}

static void test_cgroup_after_clone_makes_net_ipc_uts_early_and_mounts_before_go(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	v1_cgroup(&c->f);
	p = make(c);
	assert_true(p->go);
	assert_int_equal(p->early_ns, EARLY_KINDS);
	assert_int_equal(p->clone_ns & EARLY_KINDS, 0);
	assert_true(p->clone_ns & CLONE_NEWPID);
	/* GO only says "in your cgroup": the child mounts meanwhile */
	assert_true(p->setup_before_go);
	/* the cgroup namespace waits until the child is in its cgroup */
	assert_false(p->cgroupns_at_clone);
	assert_false(p->clone_ns & CLONE_NEWCGROUP);
	assert_true(p->cgroupns_late);
}

static void test_v2_born_in_its_cgroup_needs_no_go(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	c->f.cgroup = c->f.cgroup_into = true;
	p = make(c);
	assert_true(p->into_cgroup);
	assert_false(p->go);
	assert_int_equal(p->early_ns, 0);
	/* as the code stands: a cgroup of its own keeps the namespace out of clone3 */
	assert_true(p->cgroupns_late);
}

static void test_new_user_namespace_maps_are_written_before_any_setup(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	c->s.linux.namespaces[CELL_NS_USER].present = true;
	v1_cgroup(&c->f);
	p = make(c);
	assert_true(p->write_maps);
	assert_true(p->go);
	assert_true(p->in_userns);
	/* the child needs its ids before it mounts anything */
	assert_false(p->setup_before_go);
	/* namespaces the maps do not concern still are made while the parent writes */
	assert_int_equal(p->early_ns, EARLY_KINDS);
	assert_true(p->clone_ns & CLONE_NEWUSER);
	assert_true(p->lock_mounts);
}

static void test_pins_keep_every_namespace_in_clone3(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	v1_cgroup(&c->f);
	c->f.pins = true;
	p = make(c);
	assert_true(p->go);
	/* a pin binds what clone3 made, before GO */
	assert_int_equal(p->early_ns, 0);
	assert_int_equal(p->clone_ns & EARLY_KINDS, EARLY_KINDS);
	assert_false(p->setup_before_go);
}

static void test_parent_network_and_runtime_hooks_need_the_namespaces_before_go(void **state)
{
	const enum cell_hook_kind early_users[] = { CELL_HOOK_PRESTART, CELL_HOOK_CREATE_RUNTIME };
	struct plan_case *c = *state;
	const struct start_plan *p;

	for (size_t i = 0; i < 2; i++) {
		base(state);
		add_hook(&c->s, early_users[i]);
		p = make(c);
		assert_true(p->go);
		assert_int_equal(p->early_ns, 0);
		assert_false(p->setup_before_go);
	}
	base(state);
	c->f.net_parent = true;
	p = make(c);
	assert_true(p->go);
	assert_int_equal(p->early_ns, 0);
	assert_false(p->setup_before_go);
}

static void test_create_container_hook_waits_for_go_before_mounts(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	add_hook(&c->s, CELL_HOOK_CREATE_CONTAINER);
	p = make(c);
	assert_true(p->go);
	/* it runs before pivot_root: GO (the host PID for its state) first */
	assert_false(p->setup_before_go);
	/* nothing of the parent's reads the namespaces before GO */
	assert_int_equal(p->early_ns, EARLY_KINDS);
}

static void test_start_container_hook_alone_only_waits_for_go(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	add_hook(&c->s, CELL_HOOK_START_CONTAINER);
	p = make(c);
	assert_true(p->go);
	assert_true(p->setup_before_go);
}

static void test_joined_user_namespace_makes_the_others_late_under_init(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->s.linux.namespaces[CELL_NS_USER].path = (char *)"/proc/1/ns/user";
	c->f.setgroups_joined = false;
	p = make(c);
	/* it must own the new ones: clone3 makes none, the child makes them after setns */
	assert_int_equal(p->clone_ns, 0);
	assert_int_equal(p->late_ns & (CLONE_NEWPID | CLONE_NEWNS), CLONE_NEWPID | CLONE_NEWNS);
	assert_false(p->late_ns & CLONE_NEWCGROUP);
	assert_true(p->cgroupns_late);
	/* a pid namespace made after clone holds only children: init forks the command */
	assert_true(p->under_init);
	assert_false(p->write_maps);
	/* its owner decides about its mounts and its setgroups */
	assert_false(p->lock_mounts);
	assert_false(p->setgroups_allowed);
}

static void test_setgroups_denied_only_where_the_kernel_denies_it(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	c->s.linux.namespaces[CELL_NS_USER].present = true;
	p = make(c);
	assert_true(p->setgroups_allowed); /* root writes the maps */
	c->f.root = false;
	p = make(c);
	assert_false(p->setgroups_allowed); /* a direct unprivileged map: "deny" */
	c->f.idmap_direct = false;
	p = make(c);
	assert_true(p->setgroups_allowed); /* newuidmap/newgidmap leave "allow" */
	c->f.root = true;
	c->f.initial_userns = false;
	c->f.setgroups_self = false;
	p = make(c);
	assert_false(p->setgroups_allowed); /* uid 0 of `unshare -r`: inherited "deny" */
	assert_true(p->in_userns);
}

static void test_joined_pid_namespace_is_adopted_and_never_mounted_before_go(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	v1_cgroup(&c->f);
	c->s.linux.namespaces[CELL_NS_PID].path = (char *)"/proc/1/ns/pid";
	p = make(c);
	assert_true(p->adopt);
	assert_false(p->setup_before_go);
	/* cell exec joins through a process and forks under init instead */
	c->f.join_pid = 42;
	c->f.cgroup_join = true;
	p = make(c);
	assert_false(p->adopt);
	assert_false(p->setup_rootfs);
	assert_false(p->setup_before_go);
}

static void test_ready_is_said_for_create_and_poststart_only(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	p = make(c);
	assert_false(p->say_ready);
	c->f.create = true;
	p = make(c);
	assert_true(p->say_ready);
	base(state);
	add_hook(&c->s, CELL_HOOK_POSTSTART);
	p = make(c);
	assert_true(p->say_ready);
}

static void test_kept_joined_mount_namespace_is_not_set_up(void **state)
{
	struct plan_case *c = *state;
	const struct start_plan *p;

	c->s.linux.namespaces[CELL_NS_MNT].path = (char *)"/run/cell/mnt";
	p = make(c);
	assert_true(p->setup_rootfs); /* runc's prepareRootfs: whatever its origin */
	c->s.cell.keep_joined_mounts = true;
	p = make(c);
	assert_false(p->setup_rootfs);
}

/* A default root run: nothing of the parent's between clone and execve. */
static void vm_ready(struct plan_case *c)
{
	c->f.shared_vm_ok = true;
	c->f.init_image = true;
	c->s.cell.init = true;
}

static void test_nothing_of_the_parents_lets_the_child_share_cells_memory(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	assert_true(make(c)->spawn_vm);
	assert_true(c->p.under_init);
	/* without init the child execs the command itself: no image needed */
	c->s.cell.init = false;
	c->f.init_image = false;
	assert_true(make(c)->spawn_vm);
}

static void test_any_work_of_the_parents_before_execve_forks_the_child(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->f.shared_vm_ok = false; /* ASan */
	assert_false(make(c)->spawn_vm);
	vm_ready(c);
	c->f.init_image = false; /* init, but no freestanding init to exec */
	assert_false(make(c)->spawn_vm);
	vm_ready(c);
	v1_cgroup(&c->f); /* the parent moves the child: GO */
	assert_false(make(c)->spawn_vm);
	base(state);
	c = *state;
	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true; /* the parent writes the maps */
	assert_false(make(c)->spawn_vm);
	base(state);
	c = *state;
	vm_ready(c);
	c->f.create = true; /* the parent leaves at READY, before the execve */
	assert_false(make(c)->spawn_vm);
	c->f.create = false;
	c->f.start_wait = true; /* the parent records the state, then sends the start byte */
	assert_false(make(c)->spawn_vm);
	c->f.start_wait = false;
	add_hook(&c->s, CELL_HOOK_POSTSTART); /* READY, for the parent's poststart hooks */
	assert_false(make(c)->spawn_vm);
	base(state);
	c = *state;
	vm_ready(c);
	c->s.linux.seccomp.listener_path = (char *)"/run/agent.sock";
	assert_false(make(c)->spawn_vm);
	c->s.linux.seccomp.listener_path = NULL;
	c->f.cgroup = true; /* v2: CLONE_INTO_CGROUP is clone3's alone */
	c->f.cgroup_into = true;
	assert_false(make(c)->spawn_vm); /* no clone3 with a stack of cell's own */
	c->f.cgroup = c->f.cgroup_into = false;
	c->f.join_pid = 42; /* cell exec */
	assert_false(make(c)->spawn_vm);
}

/* Who writes @c's maps: the child (and nothing needs GO), or the parent before GO. */
static void assert_maps_written_by_child(struct plan_case *c, bool child)
{
	const struct start_plan *p = make(c);

	assert_int_equal(p->child_maps, child);
	assert_int_equal(p->write_maps, !child);
	assert_int_equal(p->go, !child);
}

/* Rootless with a self map: the child writes its maps, as unshare -r does; no GO. */
static void test_an_unprivileged_self_map_is_the_childs_to_write(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.root = false;
	c->f.maps_by_child = true;
	assert_maps_written_by_child(c, true);
	/* an init exec'd in the user namespace would be its root's to ptrace */
	assert_false(c->p.spawn_vm);
	c->s.cell.init = false;
	assert_true(make(c)->spawn_vm);
	c->s.cell.init = true;
	/* subordinate ids (newuidmap) or root's maps: the parent writes them */
	c->f.maps_by_child = false;
	assert_maps_written_by_child(c, false);
	assert_false(c->p.spawn_vm);
}

/*
 * cell run of a bundle: on_created records the state before the command may
 * run. A vfork-style child records it itself, and joins a v1 cgroup of its
 * own by itself, when the caller and the cgroup allow it.
 */
/* The plan of @c: vfork-style with the child joining and recording, or not at all. */
static void assert_bundle_start(struct plan_case *c, bool in_child)
{
	const struct start_plan *p = make(c);

	assert_int_equal(p->spawn_vm, in_child);
	assert_int_equal(p->child_cgroup, in_child); /* only worth it for a vfork-style child */
	assert_int_equal(p->child_records, in_child);
	assert_int_equal(p->go, !in_child);
}

static void test_a_bundle_run_records_and_joins_in_the_child_when_allowed(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.cell.init = false;
	v1_cgroup(&c->f);
	c->f.start_wait = true;
	c->f.record_in_child = true;
	c->f.cgroup_self_ok = true;
	assert_bundle_start(c, true);
	/* a hugepage limit (cgroup_self_ok false): the parent moves it, and it forks */
	c->f.cgroup_self_ok = false;
	assert_bundle_start(c, false);
	c->f.cgroup_self_ok = true;
	/* a filter loaded before the start wait judges its read(2): a start
	 * byte on every host, so such a profile fails the same everywhere */
	c->f.filter_early = true;
	assert_bundle_start(c, false);
	c->f.filter_early = false;
	/* on_created that must run in the parent: a start byte, and a fork */
	c->f.record_in_child = false;
	assert_bundle_start(c, false);
}

/* clone(2) cannot ask for CLONE_NEWTIME; the child unshares it and execve enters it. */
static void test_a_time_namespace_is_the_childs_to_make(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_TIME].present = true;
	make(c);
	assert_int_equal(c->p.clone_ns & CLONE_NEWTIME, 0);
	assert_true(c->p.spawn_vm);
}

/*
 * A v2 host: the child is born in its cgroup (CLONE_INTO_CGROUP), so nothing
 * of the parent's comes between, and cell's own clone3 trampoline
 * (cell_clone3_vm) starts it vfork-style there, memory limit or not.
 */
static void test_v2_born_in_its_cgroup_starts_vfork_style_with_clone3(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->f.cgroup = c->f.cgroup_into = true;
	c->f.clone3_vm = true;
	make(c);
	assert_true(c->p.into_cgroup);
	assert_false(c->p.go);
	assert_true(c->p.spawn_vm);
	/* without the trampoline (not x86_64, ASan): glibc's clone(2), no cgroup fd */
	c->f.clone3_vm = false;
	assert_false(make(c)->spawn_vm);
	assert_true(c->p.into_cgroup);
}

/*
 * Root with maps of its own choosing (a judge's 0:65534:1): the parent makes
 * the user namespace and writes its maps before clone, and the child is
 * cloned into it (userns_first): nothing of the parent's between clone and
 * execve. Under init only where cell's ids have no id there, so the init's
 * memfd is unreadable in it and its exec the host's to trace alone.
 */
static void test_root_maps_written_before_clone_start_a_user_namespace_vfork_style(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.userns_first_ok = true;
	c->f.init_unreadable = true;
	make(c);
	assert_true(c->p.spawn_vm);
	assert_true(c->p.userns_first);
	assert_false(c->p.write_maps);
	assert_false(c->p.go);
	assert_int_equal(c->p.clone_ns & CLONE_NEWUSER, 0);
	assert_true(c->p.lock_mounts);
	/* root's own ids mapped: the init would be the container's to trace */
	c->f.init_unreadable = false;
	make(c);
	assert_false(c->p.spawn_vm);
	assert_false(c->p.userns_first); /* planned again: the parent writes the maps */
	assert_true(c->p.write_maps);
	assert_true(c->p.go);
	assert_true(c->p.clone_ns & CLONE_NEWUSER);
	/* no init to protect */
	c->s.cell.init = false;
	assert_true(make(c)->spawn_vm);
	assert_true(c->p.userns_first);
	/* not allowed (rootless, ASan, no clone3 of cell's own): GO as before */
	c->f.userns_first_ok = false;
	assert_false(make(c)->spawn_vm);
	assert_true(c->p.write_maps);
}

/*
 * cell judge: under init, PID 1 may stay in cell's memory where the
 * container has a user namespace of its own (nothing of cell's is its to
 * trace there, whatever the maps), and cell waits for it: not for create.
 */
static void test_a_judges_init_stays_in_cells_memory_in_a_new_user_namespace(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.root = false;
	c->f.maps_by_child = true; /* rootless: cell's own ids are mapped */
	c->f.init_in_vm_ok = true;
	make(c);
	assert_true(c->p.spawn_vm);
	assert_true(c->p.init_in_vm);
	assert_true(c->p.child_maps);
	/* not a judge's: an exec'd init would be the container's to trace */
	c->f.init_in_vm_ok = false;
	assert_false(make(c)->spawn_vm);
	assert_false(c->p.init_in_vm);
	/* no user namespace of its own: cell's memory could be its root's */
	c->f.init_in_vm_ok = true;
	c->f.root = true;
	c->f.maps_by_child = false;
	c->s.linux.namespaces[CELL_NS_USER].present = false;
	make(c);
	assert_false(c->p.init_in_vm);
	assert_true(c->p.spawn_vm); /* the memfd init, as for cell run */
	/* root's maps, written before clone, cell's ids mapped */
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.userns_first_ok = true;
	make(c);
	assert_true(c->p.init_in_vm);
	assert_true(c->p.userns_first);
	/* no init, none to keep */
	c->s.cell.init = false;
	assert_false(make(c)->init_in_vm);
	assert_true(c->p.spawn_vm);
	/* create: cell leaves, and its stacks with it */
	c->s.cell.init = true;
	c->f.create = true;
	assert_false(make(c)->init_in_vm);
}

/*
 * cell judge as root: the user namespace cell maps denies setgroups (its box
 * has no capability to call it with), whether mapped before clone or after;
 * not a judge's, it allows it as before (and a lock's maps are the child's
 * own to write only where it says "deny").
 */
static void test_a_judges_user_namespace_denies_setgroups(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.userns_first_ok = true;
	c->f.init_unreadable = true;
	c->f.setgroups_deny = true;
	make(c);
	assert_true(c->p.userns_first);
	assert_false(c->p.setgroups_allowed);
	/* mapped after clone (ASan, no trampoline): "deny" with the maps */
	c->f.userns_first_ok = false;
	make(c);
	assert_false(c->p.userns_first);
	assert_true(c->p.write_maps);
	assert_false(c->p.setgroups_allowed);
	/* not a judge's */
	c->f.userns_first_ok = true;
	c->f.setgroups_deny = false;
	assert_true(make(c)->setgroups_allowed);
	/* no user namespace of its own: the host's groups are cell's to drop */
	c->f.setgroups_deny = true;
	c->s.linux.namespaces[CELL_NS_USER].present = false;
	assert_true(make(c)->setgroups_allowed);
}

/*
 * A judged box's mounts are final (no capability, no exec, a filter that
 * refuses mount calls): no lock, but the bound of no user namespace below
 * its own. Anything else with a user namespace and a mount namespace of its
 * own is locked, and bounded too.
 */
static void test_a_judged_box_has_no_mount_lock_but_no_user_namespace_below(void **state)
{
	struct plan_case *c = *state;

	vm_ready(c);
	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->f.mounts_final = true;
	make(c);
	assert_false(c->p.lock_mounts);
	assert_true(c->p.userns_limit);
	c->f.mounts_final = false;
	make(c);
	assert_true(c->p.lock_mounts);
	assert_true(c->p.userns_limit);
	/* no user namespace of its own: the host's limits stand */
	c->f.mounts_final = true;
	c->s.linux.namespaces[CELL_NS_USER].present = false;
	make(c);
	assert_false(c->p.lock_mounts);
	assert_false(c->p.userns_limit);
}

/*
 * Root's new user namespace is made by its root's host uid (plan.userns_owner):
 * the kernel charges per-user counts to the maker of each namespace above a
 * process, so one made by root would count against root's.
 */
static void test_roots_user_namespace_is_made_by_its_roots_host_uid(void **state)
{
	struct plan_case *c = *state;
	struct cell_id_map maps[] = { { .container_id = 1000, .host_id = 300000, .size = 10 },
				      { .container_id = 0, .host_id = 100000, .size = 1000 } };

	c->s.linux.namespaces[CELL_NS_USER].present = true;
	c->s.linux.uid_mappings = maps;
	c->s.linux.n_uid_mappings = 2;
	c->s.process.uid = 1005;
	assert_int_equal(make(c)->userns_owner, 100000); /* root's, whoever runs */
	maps[1].container_id = 1;			 /* no root: the process's */
	assert_int_equal(make(c)->userns_owner, 300005);
	c->s.process.uid = 5000; /* neither mapped: cell's own */
	assert_int_equal(make(c)->userns_owner, 0);
	maps[1].container_id = 0;
	c->f.root = false; /* not root: the namespace is the caller's anyway */
	assert_int_equal(make(c)->userns_owner, 0);
	c->f.root = true;
	c->s.linux.namespaces[CELL_NS_USER].path = (char *)"/proc/1/ns/user"; /* joined */
	assert_int_equal(make(c)->userns_owner, 0);
	c->s.linux.namespaces[CELL_NS_USER].path = NULL;
	c->s.linux.uid_mappings = NULL;
	c->s.linux.n_uid_mappings = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nothing_of_the_parents_means_no_go_and_all_at_clone,
				       base),
		cmocka_unit_test_setup(test_roots_user_namespace_is_made_by_its_roots_host_uid,
				       base),
		cmocka_unit_test_setup(
			test_cgroup_after_clone_makes_net_ipc_uts_early_and_mounts_before_go, base),
		cmocka_unit_test_setup(test_v2_born_in_its_cgroup_needs_no_go, base),
		cmocka_unit_test_setup(test_v2_born_in_its_cgroup_starts_vfork_style_with_clone3,
				       base),
		cmocka_unit_test_setup(
			test_root_maps_written_before_clone_start_a_user_namespace_vfork_style,
			base),
		cmocka_unit_test_setup(test_new_user_namespace_maps_are_written_before_any_setup,
				       base),
		cmocka_unit_test_setup(test_pins_keep_every_namespace_in_clone3, base),
		cmocka_unit_test_setup(
			test_parent_network_and_runtime_hooks_need_the_namespaces_before_go, base),
		cmocka_unit_test_setup(test_create_container_hook_waits_for_go_before_mounts, base),
		cmocka_unit_test_setup(test_start_container_hook_alone_only_waits_for_go, base),
		cmocka_unit_test_setup(test_joined_user_namespace_makes_the_others_late_under_init,
				       base),
		cmocka_unit_test_setup(test_setgroups_denied_only_where_the_kernel_denies_it, base),
		cmocka_unit_test_setup(
			test_joined_pid_namespace_is_adopted_and_never_mounted_before_go, base),
		cmocka_unit_test_setup(test_ready_is_said_for_create_and_poststart_only, base),
		cmocka_unit_test_setup(test_kept_joined_mount_namespace_is_not_set_up, base),
		cmocka_unit_test_setup(
			test_nothing_of_the_parents_lets_the_child_share_cells_memory, base),
		cmocka_unit_test_setup(test_any_work_of_the_parents_before_execve_forks_the_child,
				       base),
		cmocka_unit_test_setup(test_a_time_namespace_is_the_childs_to_make, base),
		cmocka_unit_test_setup(test_an_unprivileged_self_map_is_the_childs_to_write, base),
		cmocka_unit_test_setup(
			test_a_judges_init_stays_in_cells_memory_in_a_new_user_namespace, base),
		cmocka_unit_test_setup(test_a_judges_user_namespace_denies_setgroups, base),
		cmocka_unit_test_setup(
			test_a_judged_box_has_no_mount_lock_but_no_user_namespace_below, base),
		cmocka_unit_test_setup(
			test_a_bundle_run_records_and_joins_in_the_child_when_allowed, base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
