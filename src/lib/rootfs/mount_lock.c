/*
 * cell — lock the container's mounts (child side, after the mount setup).
 *
 * A user namespace and a mount namespace made together (clone3) leave the
 * mount namespace owned by the container's user namespace: its root holds
 * CAP_SYS_ADMIN over every mount cell made, so `mount -o remount,bind,rw /`
 * undoes a read-only host root and `umount /proc/keys` a mask. The kernel
 * locks mounts only when a mount namespace is copied into one owned by a
 * less privileged user namespace (mount_namespaces(7), "Restrictions on
 * mount namespaces"): read-only, nosuid, nodev, noexec and atime flags can
 * no longer be changed (EPERM) and a mount that covers another can no longer
 * be taken away alone (EINVAL). So, once everything is mounted, the child
 * enters a second user namespace that maps the container's ids onto
 * themselves and a new mount namespace owned by it (bubblewrap's way).
 *
 * The namespaces made before (pid, net, ipc, uts, cgroup, time) stay owned
 * by the first user namespace: the container's root has no capability over
 * them any more (it cannot reconfigure its network or set its host name;
 * cell set both already).
 *
 * The same step limits nested user namespaces. /proc/sys/user/
 * max_user_namespaces of a user namespace bounds the namespaces made in it
 * and below it, counted against the owner of each level (user_namespaces(7),
 * "Limits on the number of user namespaces"). Set to 1 in the first user
 * namespace before the second is made, it leaves none for the
 * container: unshare(CLONE_NEWUSER) fails with ENOSPC, and the container
 * cannot raise it, since it would have to write the first namespace's file
 * with CAP_SYS_RESOURCE there. A new user namespace is what lets a process
 * mount a cgroup v1 hierarchy and rewrite its own limits.
 *
 * A judged box has no lock (plan.c: locks_mounts): nothing in it can ever
 * hold the capability the lock takes away, and its filter refuses every
 * mount call. Its first user namespace's limit is then 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "mounts.h"
#include "ns_internal.h"
#include "rootfs.h"
#include "security.h"
#include "utils.h"

#define USERNS_LIMIT_FILE "/proc/sys/user/max_user_namespaces"

/* The container's ids (the first namespace's), each onto itself. */
static struct cell_id_map *identity_maps(const struct cell_id_map *maps, size_t n)
{
	struct cell_id_map *same = calloc(n ? n : 1, sizeof(*same));

	for (size_t i = 0; same && i < n; i++)
		same[i] = (struct cell_id_map){ maps[i].container_id, maps[i].container_id,
						maps[i].size };
	return same;
}

/*
 * Written through the host's /proc before the mounts turn /proc/sys
 * read-only: a sysctl file is looked up in the writer's own namespaces
 * (proc_sysctl.c: set_lookup), whichever /proc it is reached through. Not
 * kept open for later: an fd open for writing pins its mount writable (EBUSY
 * for the read-only host root).
 */
static int write_sysctl(const char *file, const char *value, const char *why,
			struct cell_error *err)
{
	cleanup_close int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		return cell_error_set(err, errno, "%s: write %s to %s", why, value, file);
	return 0;
}

int cell_mounts_lock_prepare(const struct cell_spec *spec, bool lock, struct cell_error *err)
{
	const struct cell_namespace *net = &spec->linux.namespaces[CELL_NS_NET];
	int r;

	/* One: the namespace cell_mounts_lock makes, if it does. */
	if (!spec->cell.nested_userns &&
	    (r = write_sysctl(USERNS_LIMIT_FILE, lock ? "1" : "0",
			      "allow no user namespace in the container", err)) < 0)
		return r;
	/*
	 * The network namespace stays the first user namespace's, where the
	 * container has no CAP_NET_BIND_SERVICE: let any port be bound in it, as
	 * Docker does by default (linux.sysctl, applied later, may say otherwise).
	 */
	if (net->present && !net->path)
		return write_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0",
				    "let the container bind ports below 1024", err);
	return 0;
}

/*
 * The copy into a less privileged mount namespace turns shared mounts into
 * slaves of the first namespace's (mount_namespaces(7)), whose peers end with
 * it. What the spec asked to be shared is made shared again: each its own
 * peer group, with the mounts below it when asked recursively.
 */
static int reshare(const struct cell_spec *spec, struct cell_error *err)
{
	struct cell_mount_opts o;
	int r;

	if (spec->linux.rootfs_propagation & MS_SHARED &&
	    mount(NULL, "/", NULL, spec->linux.rootfs_propagation, NULL) < 0)
		return cell_error_set(err, errno, "linux.rootfsPropagation: share / again");
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];

		if ((r = cell_mount_options_parse(m, &o, err)) < 0)
			return r;
		if (o.propagation & MS_SHARED &&
		    mount(NULL, m->destination, NULL, o.propagation, NULL) < 0)
			return cell_error_set(err, errno, "share %s again", m->destination);
	}
	return 0;
}

/*
 * One id each, ours: user_namespaces(7) lets us map it in the namespace we
 * are in, without CAP_SETUID over the parent, once setgroups is denied (it
 * is inherited from the first namespace). No helper process: in a new pid
 * namespace it would take PID 2 from the command.
 */
static bool owns_its_only_ids(const struct cell_linux *l)
{
	char buf[8];
	struct cell_error ignored = { 0 };

	return l->n_uid_mappings == 1 && l->uid_mappings[0].size == 1 &&
	       l->uid_mappings[0].container_id == geteuid() && l->n_gid_mappings == 1 &&
	       l->gid_mappings[0].size == 1 && l->gid_mappings[0].container_id == getegid() &&
	       cell_read_at(AT_FDCWD, "/proc/self/setgroups", buf, sizeof(buf), &ignored) > 0 &&
	       !strncmp(buf, "deny", 4);
}

static int enter_writing_own_maps(const struct cell_id_map *uid, const struct cell_id_map *gid,
				  struct cell_error *err)
{
	char buf[64];
	int r;

	if (unshare(CLONE_NEWUSER) < 0)
		return cell_error_set(err, errno,
				      "unshare the user namespace that locks the mounts");
	snprintf(buf, sizeof(buf), "%u %u 1", uid->container_id, uid->host_id);
	if ((r = cell_proc_self_write("uid_map", buf, err)) < 0)
		return r;
	snprintf(buf, sizeof(buf), "%u %u 1", gid->container_id, gid->host_id);
	return cell_proc_self_write("gid_map", buf, err);
}

/* Wider maps need CAP_SETUID over the parent namespace in the writer, which
 * we lose once inside: a helper is born in the new namespace, we write its
 * maps from here and join it. */
static int enter_helper_userns(const struct cell_linux *l, const struct cell_id_map *uid,
			       const struct cell_id_map *gid, struct cell_error *err)
{
	cleanup_close int userns = cell_userns_for_maps(
		uid, l->n_uid_mappings, gid, l->n_gid_mappings, false, 0, "mount lock", err);
	if (userns < 0)
		return userns;
	if (setns(userns, CLONE_NEWUSER) < 0)
		return cell_error_set(err, errno, "join the user namespace that locks the mounts");
	return 0;
}

int cell_mounts_lock(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	int r;

	cleanup_free struct cell_id_map *uid = identity_maps(l->uid_mappings, l->n_uid_mappings);
	cleanup_free struct cell_id_map *gid = identity_maps(l->gid_mappings, l->n_gid_mappings);
	if (!uid || !gid)
		return cell_error_set(err, ENOMEM, "id maps of the locking user namespace");
	/* A non-dumpable process's /proc/PID files are the host root's, closed
	 * to us as the namespace's root (proc(5)), and so are those of a helper
	 * forked now: be dumpable until the maps are written. Nothing of the
	 * container runs yet that could trace us; the caller closes this again. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_DUMPABLE, 1)");
	if ((r = owns_its_only_ids(l) ? enter_writing_own_maps(uid, gid, err)
				      : enter_helper_userns(l, uid, gid, err)) < 0)
		return r;
	if (unshare(CLONE_NEWNS) < 0)
		return cell_error_set(err, errno,
				      "unshare the mount namespace that locks the "
				      "mounts");
	return reshare(spec, err);
}
