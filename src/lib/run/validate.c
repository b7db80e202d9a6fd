/*
 * cell — cell_spec_validate(): the whole spec, checked before any change to
 * the system (DESIGN.md, the start path, step 1). It asks each subsystem
 * whether it can do what the spec says (mount options, security, memory
 * policy), so it lives above them, in run/, not in spec/ which they all use.
 */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "mounts.h"
#include "ns_internal.h"
#include "security.h"
#include "spec.h"
#include "utils.h"

static bool has_option(char *const *options, const char *name)
{
	for (size_t i = 0; options && options[i]; i++)
		if (!strcmp(options[i], name))
			return true;
	return false;
}

static bool is_bind(const struct cell_mount *m)
{
	return (m->type && !strcmp(m->type, "bind")) || has_option(m->options, "bind") ||
	       has_option(m->options, "rbind");
}

/* --symlink's links, --dir..., as a program embedding cell may have set them. */
static int validate_path_ops(const struct cell_spec *spec, struct cell_error *err)
{
	for (size_t i = 0; i < spec->cell.n_path_ops; i++) {
		const struct cell_path_op *l = &spec->cell.path_ops[i];
		const char *problem = cell_path_op_problem(l);

		if (!problem && l->after > spec->n_mounts)
			problem = "its place is past the last of mounts[]";
		if (problem)
			return cell_error_set(err, 0, "annotations.run.cell.symlinks[%zu] (%s): %s",
					      i, l->path ? l->path : "", problem);
	}
	return 0;
}

static int validate_mounts(const struct cell_spec *spec, struct cell_error *err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];
		struct cell_mount_opts o;
		struct stat st;
		int r;

		/* config.md: "This value MUST be an absolute path" (runc 1.1 would
		 * warn and take it from /; cell follows the spec). */
		if (!m->destination || m->destination[0] != '/')
			return cell_error_set(err, 0,
					      "mounts[%zu].destination '%s': expected an "
					      "absolute path",
					      i, m->destination ? m->destination : "");
		if ((r = cell_mount_options_parse(m, &o, err)) < 0)
			return r;
		/* mount_setattr(2) MOUNT_ATTR_IDMAP: CAP_SYS_ADMIN over the source's file system. */
		if (o.idmap && geteuid() != 0)
			return cell_error_set(err, EPERM,
					      "mounts[%zu] (%s): an idmapped mount needs "
					      "root on the host",
					      i, m->destination);
		if (!is_bind(m))
			continue;
		if (!m->source)
			return cell_error_set(err, 0,
					      "mounts[%zu] (%s): a bind mount needs a source", i,
					      m->destination);
		if (stat(m->source, &st) < 0)
			return cell_error_set(err, errno, "bind source %s", m->source);
	}
	return 0;
}

/*
 * config-linux.md: a namespace not listed is the runtime's. Without a mount
 * namespace of its own the container shares the host's mount table, where
 * cell mounts nothing (cell_rootfs_setup enters the root with chroot, as
 * runc does): what only a mount can give is refused, as runc refuses
 * maskedPaths and readonlyPaths ("unable to restrict sys entries without a
 * private MNT namespace").
 */
static int validate_host_mounts(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	const char *field = NULL;

	if (spec->n_mounts)
		field = "mounts";
	else if (spec->root.readonly)
		field = "root.readonly";
	else if (l->masked_paths && l->masked_paths[0])
		field = "linux.maskedPaths";
	else if (l->readonly_paths && l->readonly_paths[0])
		field = "linux.readonlyPaths";
	else if (l->n_devices)
		field = "linux.devices";
	else if (l->rootfs_propagation & (MS_SHARED | MS_SLAVE | MS_UNBINDABLE))
		field = "linux.rootfsPropagation";
	else if (spec->cell.n_path_ops)
		field = "annotations.run.cell.symlinks (--symlink, --dir, --file...)";
	if (!field)
		return 0;
	return cell_error_set(err, 0,
			      "%s: needs mounts, and so a new mount namespace "
			      "(linux.namespaces has no \"mount\": the container shares the "
			      "host's mounts)",
			      field);
}

static int validate_namespaces(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	bool userns = l->namespaces[CELL_NS_USER].present;
	int r;

	if (userns && !l->namespaces[CELL_NS_USER].path) {
		if ((r = cell_id_maps_check(l->uid_mappings, l->n_uid_mappings, "linux.uidMappings",
					    err)) < 0 ||
		    (r = cell_id_maps_check(l->gid_mappings, l->n_gid_mappings, "linux.gidMappings",
					    err)) < 0)
			return r;
	} else if (l->n_uid_mappings || l->n_gid_mappings) {
		return cell_error_set(err, 0,
				      "linux.uidMappings: id mappings need a new user "
				      "namespace");
	}
	if ((spec->hostname || spec->domainname) && !l->namespaces[CELL_NS_UTS].present)
		return cell_error_set(err, 0, "hostname: setting it needs a new uts namespace");
	if ((l->monotonic.present || l->boottime.present) && !l->namespaces[CELL_NS_TIME].present)
		return cell_error_set(err, 0, "linux.timeOffsets: need a new time namespace");
	if (!l->namespaces[CELL_NS_MNT].present && (r = validate_host_mounts(spec, err)) < 0)
		return r;
	if (geteuid() != 0 && !userns)
		return cell_error_set(err, EPERM,
				      "linux.namespaces: an unprivileged user can "
				      "create namespaces only inside a new user namespace");
	return 0;
}

static int validate_resources(const struct cell_resources *res, struct cell_error *err)
{
	if (res->has_cpu_shares && (res->cpu_shares < 2 || res->cpu_shares > 262144))
		return cell_error_set(err, 0,
				      "linux.resources.cpu.shares %llu: expected 2 to "
				      "262144",
				      (unsigned long long)res->cpu_shares);
	if (res->has_cpu_period && (res->cpu_period < 1000 || res->cpu_period > 1000000))
		return cell_error_set(err, 0,
				      "linux.resources.cpu.period %llu: expected 1000 to "
				      "1000000 microseconds",
				      (unsigned long long)res->cpu_period);
	if (res->has_cpu_quota && res->cpu_quota != -1 && res->cpu_quota < 1000)
		return cell_error_set(err, 0,
				      "linux.resources.cpu.quota %lld: expected at least "
				      "1000 microseconds, or -1",
				      (long long)res->cpu_quota);
	if (res->has_blkio_weight && (res->blkio_weight < 10 || res->blkio_weight > 1000))
		return cell_error_set(err, 0,
				      "linux.resources.blockIO.weight %u: expected 10 to "
				      "1000",
				      res->blkio_weight);
	if (res->has_memory_limit && res->memory_limit != -1 && res->memory_limit < 4096)
		return cell_error_set(err, 0,
				      "linux.resources.memory.limit %lld: expected at "
				      "least 4096 bytes, or -1",
				      (long long)res->memory_limit);
	if (res->has_memory_swap && res->has_memory_limit && res->memory_swap != -1 &&
	    (res->memory_limit == -1 || res->memory_swap < res->memory_limit))
		return cell_error_set(err, 0,
				      "linux.resources.memory.swap %lld: memory+swap must "
				      "not be below the memory limit",
				      (long long)res->memory_swap);
	if (res->has_pids_limit && res->pids_limit == 0)
		return cell_error_set(err, 0,
				      "linux.resources.pids.limit: expected at least 1, "
				      "or -1");
	return 0;
}

int cell_spec_validate(const struct cell_spec *spec, struct cell_error *err)
{
	struct stat st;
	int r;

	if (!spec->process.args || !spec->process.args[0] || !spec->process.args[0][0])
		return cell_error_set(err, 0, "process.args: no command given");
	if (!spec->root.path)
		return cell_error_set(err, 0, "root.path: missing");
	if (stat(spec->root.path, &st) < 0)
		return cell_error_set(err, errno, "root file system %s", spec->root.path);
	if (!S_ISDIR(st.st_mode))
		return cell_error_set(err, ENOTDIR, "root file system %s", spec->root.path);
	if (!spec->process.cwd || spec->process.cwd[0] != '/')
		return cell_error_set(err, 0, "process.cwd '%s': expected an absolute path",
				      spec->process.cwd ? spec->process.cwd : "");
	if (spec->linux.has_intel_rdt)
		return cell_error_set(err, ENOTSUP,
				      "linux.intelRdt: Intel RDT (resctrl) is not "
				      "supported by cell");
	if ((r = validate_namespaces(spec, err)) < 0 || (r = validate_mounts(spec, err)) < 0 ||
	    (r = validate_path_ops(spec, err)) < 0 ||
	    (r = validate_resources(&spec->linux.resources, err)) < 0 ||
	    (r = cell_security_check(spec, err)) < 0 ||
	    (r = cell_mempolicy_check(&spec->linux.memory_policy, err)) < 0)
		return r;
	return 0;
}
