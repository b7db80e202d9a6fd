/*
 * cell — ns/: namespaces and user id maps, inside the library (the public
 * part, cell_ns_* of the namespace table, pin and join, is include/cell/ns.h).
 *
 * ns.c      the namespace table, the CLONE_NEW* flags a spec asks for
 * nsinfo.c  what a namespace is (NS_GET_* ioctls) for `cell ns`
 * nsjoin.c  joining namespaces by path or pidfd, pinning them
 * idmap.c   uid/gid maps: written directly or by newuidmap/newgidmap, and a
 *           user namespace made for a mount's maps
 *
 * Uses base/ only.
 */
#ifndef CELL_NS_INTERNAL_H
#define CELL_NS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell/cell.h"

/* ---- ns.c ---- */

/** cell_ns_clone_flags() - CLONE_NEW* flags of namespaces to create at clone time. */
uint64_t cell_ns_clone_flags(const struct cell_spec *spec, bool cgroup_at_clone);
/** cell_ns_late_flags() - the CLONE_NEW* flags of new namespaces but cgroup and time. */
uint64_t cell_ns_late_flags(const struct cell_spec *spec);

/* ---- idmap.c ---- */

/** cell_parse_id_map() - "CONTAINER:HOST:SIZE" to a map entry. */
int cell_parse_id_map(const char *s, struct cell_id_map *out, struct cell_error *err);
/** cell_id_maps_check() - reject empty, overflowing or overlapping ranges; @field names them. */
int cell_id_maps_check(const struct cell_id_map *maps, size_t n, const char *field,
		       struct cell_error *err);
/**
 * cell_subid_ranges() - the subordinate id ranges of @user (or its numeric @id) in @file
 * (/etc/subuid or /etc/subgid format "name:start:count"). *@out is malloc'd.
 */
int cell_subid_ranges(const char *file, const char *user, uint32_t id, struct cell_id_map **out,
		      size_t *n, struct cell_error *err);
/** cell_id_maps_contain() - is container id @id inside one of the ranges? */
bool cell_id_maps_contain(const struct cell_id_map *maps, size_t n, uint32_t id);
/** cell_id_maps_have_host() - is host id @id (cell's side) inside one of the ranges? */
bool cell_id_maps_have_host(const struct cell_id_map *maps, size_t n, uint32_t id);
/** cell_format_id_map() - the text the kernel takes in /proc/PID/uid_map. */
int cell_format_id_map(const struct cell_id_map *maps, size_t n, char *buf, size_t size,
		       struct cell_error *err);

/** cell_idmap_direct() - true when cell writes the maps itself (root, or a self map). */
bool cell_idmap_direct(const struct cell_spec *spec);
/**
 * cell_idmap_write() - write uid/gid maps of @pid (directly, or via
 * newuidmap/newgidmap); @pid 0: the caller's own, which an unprivileged
 * process may write for a self map (user_namespaces(7)), as unshare -r does.
 * Its setgroups says "deny" unprivileged, as the kernel wants, or where
 * @deny_setgroups.
 */
int cell_idmap_write(pid_t pid, const struct cell_spec *spec, bool deny_setgroups,
		     struct cell_error *err);
/**
 * cell_userns_map() - write @pid's (new, unmapped) user namespace's maps,
 * "deny" to its setgroups first if @deny_setgroups. The caller is in the
 * parent namespace with CAP_SETUID and CAP_SETGID there.
 */
int cell_userns_map(pid_t pid, const struct cell_id_map *uid, size_t n_uid,
		    const struct cell_id_map *gid, size_t n_gid, bool deny_setgroups,
		    struct cell_error *err);
/**
 * cell_userns_for_maps() - fd of a new user namespace with these maps, or
 * -errno. The caller needs CAP_SETUID and CAP_SETGID in its own namespace.
 * @deny_setgroups: its setgroups file says "deny" (written before gid_map),
 * and so do the user namespaces made in it.
 */
int cell_userns_for_maps(const struct cell_id_map *uid, size_t n_uid, const struct cell_id_map *gid,
			 size_t n_gid, bool deny_setgroups, uint32_t owner, const char *what,
			 struct cell_error *err);

/**
 * cell_userns_owner() - the host uid that should make a container's new user
 * namespace: its root's (or, with no root mapped, @process_uid's) in @uid;
 * 0 when neither is mapped. See cell_userns_owner_begin().
 */
uint32_t cell_userns_owner(const struct cell_id_map *uid, size_t n, uint32_t process_uid);

/* What cell_userns_owner_end() takes back. */
struct cell_userns_owner {
	bool on;
	uid_t euid;
	int pdeath, dumpable;
	pid_t ppid;
};
/**
 * cell_userns_owner_begin() - as root, until cell_userns_owner_end(), this
 * thread's effective uid is @owner (0: no change), so that a user namespace
 * it makes meanwhile (clone(2) with CLONE_NEWUSER) is @owner's: the kernel
 * charges its processes' per-user counts to @owner, not to root. Nothing
 * but that clone may come between the two: the thread has no capability
 * but the file system ones meanwhile.
 */
int cell_userns_owner_begin(uint32_t owner, struct cell_userns_owner *o, struct cell_error *err);
/** cell_userns_owner_end() - the effective uid, parent-death signal and dumpable flag back. */
int cell_userns_owner_end(struct cell_userns_owner *o, struct cell_error *err);

#endif
