/*
 * cell — struct cell_spec -> config.json (what `cell spec` writes).
 *
 * The inverse of spec/json_read.c: loading what this writes gives the same spec.
 * Fields that are not set are left out, as runc's spec omits them.
 */
#include <errno.h>
#include <jansson.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "spec.h"
#include "utils.h"

#define OCI_VERSION "1.3.0"

/* json_object_set_new() that remembers a failure: the result is checked once. */
struct emit {
	bool failed;
};

static void put(struct emit *e, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		e->failed = true;
}

static void append(struct emit *e, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v) < 0)
		e->failed = true;
}

static void put_str(struct emit *e, json_t *obj, const char *key, const char *s)
{
	if (s)
		put(e, obj, key, json_string(s));
}

static json_t *strv(struct emit *e, char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && v && v[i]; i++)
		append(e, a, json_string(v[i]));
	return a;
}

static void put_strv(struct emit *e, json_t *obj, const char *key, char *const *v)
{
	if (v)
		put(e, obj, key, strv(e, v));
}

static json_t *id_maps(struct emit *e, const struct cell_id_map *m, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		append(e, a,
		       json_pack("{s:I,s:I,s:I}", "containerID", (json_int_t)m[i].container_id,
				 "hostID", (json_int_t)m[i].host_id, "size",
				 (json_int_t)m[i].size));
	return a;
}

static json_t *kv_object(struct emit *e, const struct cell_kv *kv, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		put_str(e, o, kv[i].key, kv[i].value);
	return o;
}

static json_t *cap_set(struct emit *e, uint64_t set)
{
	json_t *a = json_array();
	char name[64];

	for (int c = 0; a && c < 64; c++) {
		if (!(set & (1ULL << c)) || !cell_cap_name(c))
			continue;
		snprintf(name, sizeof(name), "CAP_%s", cell_cap_name(c));
		append(e, a, json_string(name));
	}
	return a;
}

static json_t *scheduler(struct emit *e, const struct cell_scheduler *s)
{
	static const char *const policies[] = { "SCHED_OTHER",	 "SCHED_FIFO", "SCHED_RR",
						"SCHED_BATCH",	 "?",	       "SCHED_IDLE",
						"SCHED_DEADLINE" };
	static const char *const flags[] = {
		"SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
		"SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
		"SCHED_FLAG_UTIL_CLAMP_MAX",
	};
	json_t *o = json_object(), *fl = json_array();

	put_str(e, o, "policy", s->policy >= 0 && s->policy < 7 ? policies[s->policy] : "?");
	if (s->nice)
		put(e, o, "nice", json_integer(s->nice));
	if (s->priority)
		put(e, o, "priority", json_integer(s->priority));
	for (size_t i = 0; fl && i < sizeof(flags) / sizeof(flags[0]); i++)
		if (s->flags & (1ULL << i))
			append(e, fl, json_string(flags[i]));
	if (fl && json_array_size(fl))
		put(e, o, "flags", fl);
	else
		json_decref(fl);
	if (s->runtime)
		put(e, o, "runtime", json_integer((json_int_t)s->runtime));
	if (s->deadline)
		put(e, o, "deadline", json_integer((json_int_t)s->deadline));
	if (s->period)
		put(e, o, "period", json_integer((json_int_t)s->period));
	return o;
}

static json_t *process(struct emit *e, const struct cell_process *p)
{
	json_t *o = json_object(), *user = json_object(), *a;

	if (!o || !user) {
		json_decref(o);
		json_decref(user);
		return NULL;
	}
	put(e, o, "terminal", json_boolean(p->terminal));
	if (p->console_height || p->console_width)
		put(e, o, "consoleSize",
		    json_pack("{s:i,s:i}", "height", p->console_height, "width", p->console_width));
	put(e, user, "uid", json_integer(p->uid));
	put(e, user, "gid", json_integer(p->gid));
	if (p->has_umask)
		put(e, user, "umask", json_integer(p->umask));
	if (p->n_additional_gids) {
		a = json_array();
		for (size_t i = 0; a && i < p->n_additional_gids; i++)
			append(e, a, json_integer(p->additional_gids[i]));
		put(e, user, "additionalGids", a);
	}
	put(e, o, "user", user);
	put_strv(e, o, "args", p->args);
	put_strv(e, o, "env", p->env);
	put_str(e, o, "cwd", p->cwd ? p->cwd : "/");
	if (p->capabilities.present)
		put(e, o, "capabilities",
		    json_pack("{s:o,s:o,s:o,s:o,s:o}", "bounding",
			      cap_set(e, p->capabilities.bounding), "effective",
			      cap_set(e, p->capabilities.effective), "inheritable",
			      cap_set(e, p->capabilities.inheritable), "permitted",
			      cap_set(e, p->capabilities.permitted), "ambient",
			      cap_set(e, p->capabilities.ambient)));
	if (p->n_rlimits) {
		a = json_array();
		for (size_t i = 0; a && i < p->n_rlimits; i++)
			append(e, a,
			       json_pack("{s:s,s:I,s:I}", "type",
					 cell_rlimit_name(p->rlimits[i].resource), "hard",
					 (json_int_t)p->rlimits[i].hard, "soft",
					 (json_int_t)p->rlimits[i].soft));
		put(e, o, "rlimits", a);
	}
	put(e, o, "noNewPrivileges", json_boolean(p->no_new_privileges));
	if (p->has_oom_score_adj)
		put(e, o, "oomScoreAdj", json_integer(p->oom_score_adj));
	put_str(e, o, "apparmorProfile", p->apparmor_profile);
	put_str(e, o, "selinuxLabel", p->selinux_label);
	if (p->has_io_priority)
		put(e, o, "ioPriority",
		    json_pack("{s:s,s:i}", "class",
			      p->io_priority_class == IOPRIO_CLASS_RT	? "IOPRIO_CLASS_RT"
			      : p->io_priority_class == IOPRIO_CLASS_BE ? "IOPRIO_CLASS_BE"
									: "IOPRIO_CLASS_IDLE",
			      "priority", p->io_priority));
	if (p->scheduler.present)
		put(e, o, "scheduler", scheduler(e, &p->scheduler));
	if (p->exec_cpu_affinity_initial || p->exec_cpu_affinity_final) {
		json_t *aff = json_object();

		put_str(e, aff, "initial", p->exec_cpu_affinity_initial);
		put_str(e, aff, "final", p->exec_cpu_affinity_final);
		put(e, o, "execCPUAffinity", aff);
	}
	return o;
}

static json_t *mounts(struct emit *e, const struct cell_spec *spec)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < spec->n_mounts; i++) {
		const struct cell_mount *m = &spec->mounts[i];
		json_t *o = json_object();

		if (!o) {
			e->failed = true;
			break;
		}
		put_str(e, o, "destination", m->destination);
		put_str(e, o, "type", m->type);
		put_str(e, o, "source", m->source);
		put_strv(e, o, "options", m->options);
		if (m->n_uid_mappings)
			put(e, o, "uidMappings", id_maps(e, m->uid_mappings, m->n_uid_mappings));
		if (m->n_gid_mappings)
			put(e, o, "gidMappings", id_maps(e, m->gid_mappings, m->n_gid_mappings));
		append(e, a, o);
	}
	return a;
}

static json_t *hooks(struct emit *e, const struct cell_hooks *h)
{
	json_t *o = json_object();

	for (int k = 0; o && k < CELL_HOOK_KIND_COUNT; k++) {
		json_t *a;

		if (!h->n[k])
			continue;
		a = json_array();
		for (size_t i = 0; a && i < h->n[k]; i++) {
			const struct cell_hook *hk = &h->list[k][i];
			json_t *x = json_object();

			put_str(e, x, "path", hk->path);
			put_strv(e, x, "args", hk->args);
			put_strv(e, x, "env", hk->env);
			if (hk->has_timeout)
				put(e, x, "timeout", json_integer(hk->timeout));
			append(e, a, x);
		}
		put(e, o, cell_hook_kind_name((enum cell_hook_kind)k), a);
	}
	return o;
}

#define PUT_IF(e, o, has, key, val)                                                                \
	do {                                                                                       \
		if (has)                                                                           \
			put(e, o, key, val);                                                       \
	} while (0)

static json_t *device_rates(struct emit *e, const struct cell_device_rate *d, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		append(e, a,
		       json_pack("{s:I,s:I,s:I}", "major", (json_int_t)d[i].major, "minor",
				 (json_int_t)d[i].minor, "rate", (json_int_t)d[i].rate));
	return a;
}

static json_t *block_io(struct emit *e, const struct cell_resources *r)
{
	json_t *o = json_object();

	PUT_IF(e, o, r->has_blkio_weight, "weight", json_integer(r->blkio_weight));
	PUT_IF(e, o, r->has_blkio_leaf_weight, "leafWeight", json_integer(r->blkio_leaf_weight));
	if (r->n_weight_devices) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < r->n_weight_devices; i++) {
			const struct cell_device_weight *w = &r->weight_devices[i];
			json_t *x = json_pack("{s:I,s:I}", "major", (json_int_t)w->major, "minor",
					      (json_int_t)w->minor);

			PUT_IF(e, x, w->has_weight, "weight", json_integer(w->weight));
			PUT_IF(e, x, w->has_leaf_weight, "leafWeight",
			       json_integer(w->leaf_weight));
			append(e, a, x);
		}
		put(e, o, "weightDevice", a);
	}
	PUT_IF(e, o, r->n_read_bps, "throttleReadBpsDevice",
	       device_rates(e, r->read_bps, r->n_read_bps));
	PUT_IF(e, o, r->n_write_bps, "throttleWriteBpsDevice",
	       device_rates(e, r->write_bps, r->n_write_bps));
	PUT_IF(e, o, r->n_read_iops, "throttleReadIOPSDevice",
	       device_rates(e, r->read_iops, r->n_read_iops));
	PUT_IF(e, o, r->n_write_iops, "throttleWriteIOPSDevice",
	       device_rates(e, r->write_iops, r->n_write_iops));
	return o;
}

static json_t *memory_cpu(struct emit *e, const struct cell_resources *r, bool cpu)
{
	json_t *o = json_object();

	if (!cpu) {
		PUT_IF(e, o, r->has_memory_limit, "limit", json_integer(r->memory_limit));
		PUT_IF(e, o, r->has_memory_reservation, "reservation",
		       json_integer(r->memory_reservation));
		PUT_IF(e, o, r->has_memory_swap, "swap", json_integer(r->memory_swap));
		PUT_IF(e, o, r->has_memory_kernel_tcp, "kernelTCP",
		       json_integer(r->memory_kernel_tcp));
		PUT_IF(e, o, r->has_memory_swappiness, "swappiness",
		       json_integer((json_int_t)r->memory_swappiness));
		PUT_IF(e, o, r->has_disable_oom_killer, "disableOOMKiller",
		       json_boolean(r->disable_oom_killer));
		PUT_IF(e, o, r->has_use_hierarchy, "useHierarchy", json_boolean(r->use_hierarchy));
		PUT_IF(e, o, r->check_before_update, "checkBeforeUpdate", json_true());
		return o;
	}
	PUT_IF(e, o, r->has_cpu_shares, "shares", json_integer((json_int_t)r->cpu_shares));
	PUT_IF(e, o, r->has_cpu_quota, "quota", json_integer(r->cpu_quota));
	PUT_IF(e, o, r->has_cpu_burst, "burst", json_integer((json_int_t)r->cpu_burst));
	PUT_IF(e, o, r->has_cpu_period, "period", json_integer((json_int_t)r->cpu_period));
	PUT_IF(e, o, r->has_cpu_realtime_runtime, "realtimeRuntime",
	       json_integer(r->cpu_realtime_runtime));
	PUT_IF(e, o, r->has_cpu_realtime_period, "realtimePeriod",
	       json_integer((json_int_t)r->cpu_realtime_period));
	put_str(e, o, "cpus", r->cpuset_cpus);
	put_str(e, o, "mems", r->cpuset_mems);
	PUT_IF(e, o, r->has_cpu_idle, "idle", json_integer(r->cpu_idle));
	return o;
}

static json_t *resources(struct emit *e, const struct cell_resources *r)
{
	json_t *o = json_object(), *x;

	if (r->n_devices) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < r->n_devices; i++) {
			const struct cell_device_rule *d = &r->devices[i];
			char type[2] = { d->type, 0 };

			x = json_pack("{s:b,s:s,s:s}", "allow", d->allow, "type", type, "access",
				      d->access);
			PUT_IF(e, x, d->major >= 0, "major", json_integer(d->major));
			PUT_IF(e, x, d->minor >= 0, "minor", json_integer(d->minor));
			append(e, a, x);
		}
		put(e, o, "devices", a);
	}
	/* empty objects are left out */
	if (json_object_size(x = memory_cpu(e, r, false)))
		put(e, o, "memory", x);
	else
		json_decref(x);
	if (json_object_size(x = memory_cpu(e, r, true)))
		put(e, o, "cpu", x);
	else
		json_decref(x);
	PUT_IF(e, o, r->has_pids_limit, "pids", json_pack("{s:I}", "limit", r->pids_limit));
	if (json_object_size(x = block_io(e, r)))
		put(e, o, "blockIO", x);
	else
		json_decref(x);
	if (r->n_hugepage_limits) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < r->n_hugepage_limits; i++)
			append(e, a,
			       json_pack("{s:s,s:I}", "pageSize", r->hugepage_limits[i].page_size,
					 "limit", (json_int_t)r->hugepage_limits[i].limit));
		put(e, o, "hugepageLimits", a);
	}
	if (r->has_net_class_id || r->n_net_priorities) {
		json_t *n = json_object(), *a = json_array();

		PUT_IF(e, n, r->has_net_class_id, "classID", json_integer(r->net_class_id));
		for (size_t i = 0; a && i < r->n_net_priorities; i++)
			append(e, a,
			       json_pack("{s:s,s:I}", "name", r->net_priorities[i].name, "priority",
					 (json_int_t)r->net_priorities[i].priority));
		put(e, n, "priorities", a);
		put(e, o, "network", n);
	}
	if (r->n_rdma) {
		json_t *m = json_object();

		for (size_t i = 0; m && i < r->n_rdma; i++) {
			const struct cell_rdma_limit *l = &r->rdma[i];

			x = json_object();
			PUT_IF(e, x, l->has_hca_handles, "hcaHandles",
			       json_integer(l->hca_handles));
			PUT_IF(e, x, l->has_hca_objects, "hcaObjects",
			       json_integer(l->hca_objects));
			put(e, m, l->device, x);
		}
		put(e, o, "rdma", m);
	}
	PUT_IF(e, o, r->n_unified, "unified", kv_object(e, r->unified, r->n_unified));
	return o;
}

static json_t *seccomp(struct emit *e, const struct cell_seccomp *s)
{
	json_t *o = json_object(), *a = json_array();

	put_str(e, o, "defaultAction", cell_seccomp_action_name(s->default_action));
	PUT_IF(e, o, s->has_default_errno_ret, "defaultErrnoRet",
	       json_integer(s->default_errno_ret));
	put_strv(e, o, "architectures", s->architectures);
	put_strv(e, o, "flags", s->flags);
	put_str(e, o, "listenerPath", s->listener_path);
	put_str(e, o, "listenerMetadata", s->listener_metadata);
	for (size_t i = 0; a && i < s->n_syscalls; i++) {
		const struct cell_seccomp_rule *r = &s->syscalls[i];
		json_t *x = json_object(), *args = json_array();

		put(e, x, "names", strv(e, r->names));
		put_str(e, x, "action", cell_seccomp_action_name(r->action));
		PUT_IF(e, x, r->has_errno_ret, "errnoRet", json_integer(r->errno_ret));
		for (size_t j = 0; args && j < r->n_args; j++)
			append(e, args,
			       json_pack("{s:i,s:I,s:I,s:s}", "index", (int)r->args[j].index,
					 "value", (json_int_t)r->args[j].value, "valueTwo",
					 (json_int_t)r->args[j].value_two, "op",
					 cell_seccomp_op_name(r->args[j].op)));
		if (r->n_args)
			put(e, x, "args", args);
		else
			json_decref(args);
		append(e, a, x);
	}
	put(e, o, "syscalls", a);
	return o;
}

static const char *propagation_name(unsigned long flags)
{
	const char *names[] = { "private", "slave", "shared", "unbindable" };
	const unsigned long kinds[] = { MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE };
	static char buf[16];

	for (int i = 0; i < 4; i++)
		if (flags & kinds[i]) {
			snprintf(buf, sizeof(buf), "%s%s", flags & MS_REC ? "r" : "", names[i]);
			return buf;
		}
	return NULL;
}

static json_t *memory_policy(struct emit *e, const struct cell_memory_policy *m)
{
	json_t *o = json_object(), *flags = json_array();

	for (int i = 0; flags && cell_mpol_flag_names[i]; i++) {
		unsigned bit;

		if (cell_mpol_flag_from_name(cell_mpol_flag_names[i], &bit) == 0 &&
		    (m->flags & bit))
			append(e, flags, json_string(cell_mpol_flag_names[i]));
	}
	put_str(e, o, "mode", cell_mpol_mode_names[m->mode]);
	put_str(e, o, "nodes", m->nodes);
	if (flags && json_array_size(flags) == 0)
		json_decref(flags);
	else
		put(e, o, "flags", flags);
	return o;
}

static json_t *linux_section(struct emit *e, const struct cell_linux *l)
{
	json_t *o = json_object(), *a = json_array();

	for (int t = 0; a && t < CELL_NS_COUNT; t++) {
		json_t *x;

		if (!l->namespaces[t].present)
			continue;
		x = json_pack("{s:s}", "type", cell_ns_info((enum cell_ns_type)t)->name);
		put_str(e, x, "path", l->namespaces[t].path);
		append(e, a, x);
	}
	put(e, o, "namespaces", a);
	PUT_IF(e, o, l->n_uid_mappings, "uidMappings",
	       id_maps(e, l->uid_mappings, l->n_uid_mappings));
	PUT_IF(e, o, l->n_gid_mappings, "gidMappings",
	       id_maps(e, l->gid_mappings, l->n_gid_mappings));
	if (l->monotonic.present || l->boottime.present) {
		json_t *t = json_object();

		PUT_IF(e, t, l->monotonic.present, "monotonic",
		       json_pack("{s:I,s:I}", "secs", (json_int_t)l->monotonic.secs, "nanosecs",
				 (json_int_t)l->monotonic.nanosecs));
		PUT_IF(e, t, l->boottime.present, "boottime",
		       json_pack("{s:I,s:I}", "secs", (json_int_t)l->boottime.secs, "nanosecs",
				 (json_int_t)l->boottime.nanosecs));
		put(e, o, "timeOffsets", t);
	}
	if (l->n_devices) {
		json_t *d = json_array();

		for (size_t i = 0; d && i < l->n_devices; i++) {
			const struct cell_device *dv = &l->devices[i];
			char type[2] = { dv->type, 0 };
			json_t *x = json_pack("{s:s,s:s,s:I,s:I}", "path", dv->path, "type", type,
					      "major", (json_int_t)dv->major, "minor",
					      (json_int_t)dv->minor);

			PUT_IF(e, x, dv->has_file_mode, "fileMode", json_integer(dv->file_mode));
			PUT_IF(e, x, dv->has_uid, "uid", json_integer(dv->uid));
			PUT_IF(e, x, dv->has_gid, "gid", json_integer(dv->gid));
			append(e, d, x);
		}
		put(e, o, "devices", d);
	}
	put_str(e, o, "cgroupsPath", l->cgroups_path);
	put(e, o, "resources", resources(e, &l->resources));
	put_str(e, o, "rootfsPropagation", propagation_name(l->rootfs_propagation));
	if (l->seccomp.present)
		put(e, o, "seccomp", seccomp(e, &l->seccomp));
	PUT_IF(e, o, l->n_sysctl, "sysctl", kv_object(e, l->sysctl, l->n_sysctl));
	put_strv(e, o, "maskedPaths", l->masked_paths);
	put_strv(e, o, "readonlyPaths", l->readonly_paths);
	put_str(e, o, "mountLabel", l->mount_label);
	if (l->n_net_devices) {
		json_t *nd = json_object();

		for (size_t i = 0; nd && i < l->n_net_devices; i++) {
			json_t *x = json_object();

			put_str(e, x, "name", l->net_devices[i].new_name);
			put(e, nd, l->net_devices[i].name, x);
		}
		put(e, o, "netDevices", nd);
	}
	if (l->memory_policy.present)
		put(e, o, "memoryPolicy", memory_policy(e, &l->memory_policy));
	if (l->has_personality)
		put(e, o, "personality",
		    json_pack("{s:s}", "domain",
			      (l->personality & PER_MASK) == PER_LINUX32 ? "LINUX32" : "LINUX"));
	return o;
}

/* cell run --net: run.cell.net* annotations (read back by the CLI's net_flags.c) */
static void net_annotations(struct emit *e, json_t *o, const struct cell_network *n)
{
	static const char *const modes[] = { [CELL_NET_BRIDGE] = "bridge",
					     [CELL_NET_PASTA] = "pasta",
					     [CELL_NET_SLIRP4NETNS] = "slirp4netns" };
	char buf[4096];
	size_t len = 0;

	if (n->mode == CELL_NET_NAMESPACE)
		return;
	snprintf(buf, sizeof(buf), "%s%s%s", modes[n->mode], n->bridge ? "=" : "",
		 n->bridge ? n->bridge : "");
	put_str(e, o, "run.cell.net", buf);
	put_str(e, o, "run.cell.net.ip", n->ip);
	put_str(e, o, "run.cell.net.subnet", n->subnet);
	put_str(e, o, "run.cell.net.gateway", n->gateway);
	put_str(e, o, "run.cell.net.subnet6", n->subnet6);
	if (n->ipv6)
		put_str(e, o, "run.cell.net.ipv6", "true");
	if (n->rate) {
		snprintf(buf, sizeof(buf), "%llubps", (unsigned long long)n->rate);
		put_str(e, o, "run.cell.net.rate", buf);
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n->n_ports && len < sizeof(buf) - 64; i++) {
		const struct cell_port *p = &n->ports[i];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s%u:%u/%s",
					i ? "," : "", p->host_ip, p->host_ip[0] ? ":" : "",
					p->host_port, p->port, p->udp ? "udp" : "tcp");
	}
	if (n->n_ports)
		put_str(e, o, "run.cell.net.publish", buf);
}

static const char *const path_op_names[] = {
	[CELL_PATH_DIR] = "dir",
	[CELL_PATH_FILE] = "file",
	[CELL_PATH_CHMOD] = "chmod",
	[CELL_PATH_REMOUNT_RO] = "remount-ro",
};

/* A --file's data as hex digits: JSON strings hold no NUL and only UTF-8. */
static json_t *hex_string(const char *data, size_t len)
{
	char *hex = malloc(2 * len + 1);
	json_t *s;

	if (!hex)
		return NULL;
	cell_hex(data, len, hex);
	s = json_string(hex);
	free(hex);
	return s;
}

static json_t *path_op(const struct cell_path_op *op)
{
	json_t *o;

	if (op->kind == CELL_PATH_SYMLINK)
		return json_pack("{s:s,s:s,s:I}", "target", op->target, "link", op->path, "after",
				 (json_int_t)op->after);
	o = json_pack("{s:s,s:s,s:I,s:I}", "op", path_op_names[op->kind], "path", op->path, "after",
		      (json_int_t)op->after, "mode", (json_int_t)op->mode);
	if (o && op->kind == CELL_PATH_FILE &&
	    (json_object_set_new(o, "data", hex_string(op->data, op->len)) < 0 ||
	     json_object_set_new(o, "readonly", json_boolean(op->readonly)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * --symlink, --dir, --file...: run.cell.symlinks, a JSON array as text (an
 * annotation's value is a string) of {"target", "link", "after"} for a
 * link and {"op", "path", "after", "mode"[, "data" in hex, "readonly"]} for
 * the others; "after" counts the mounts[] made before it. json_read.c reads
 * it back.
 */
static void symlink_annotation(struct emit *e, json_t *o, const struct cell_extras *c)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; a && i < c->n_path_ops; i++)
		append(e, a, path_op(&c->path_ops[i]));
	text = a && c->n_path_ops ? json_dumps(a, JSON_COMPACT) : NULL;
	if (c->n_path_ops && !text)
		e->failed = true;
	put_str(e, o, "run.cell.symlinks", text);
	free(text);
	json_decref(a);
}

/* cell's own settings (struct cell_extras) travel as annotations. */
static json_t *annotations(struct emit *e, const struct cell_spec *spec)
{
	json_t *o = kv_object(e, spec->annotations, spec->n_annotations);

	net_annotations(e, o, &spec->cell.net);
	if (spec->cell.init)
		put_str(e, o, "run.cell.init", "true");
	if (spec->cell.cwd_optional)
		put_str(e, o, "run.cell.cwd-optional", "true");
	if (spec->cell.env_exact)
		put_str(e, o, "run.cell.env-exact", "true");
	if (spec->cell.nested_userns)
		put_str(e, o, "run.cell.nested-userns", "true");
	symlink_annotation(e, o, &spec->cell);
	return o;
}

/*
 * The lowest runtime-spec version whose fields the spec uses: a bundle from
 * `cell spec` must run on runtimes that know only 1.0 (crun 1.8 refuses what
 * it does not know). 1.1 brought timeOffsets and idmapped mounts, 1.2 the
 * scheduler, ioPriority and execCPUAffinity.
 */
static const char *needed_version(const struct cell_spec *s)
{
	const struct cell_process *p = &s->process;
	bool idmapped = false;

	for (size_t i = 0; i < s->n_mounts; i++)
		idmapped |= s->mounts[i].n_uid_mappings || s->mounts[i].n_gid_mappings;
	if (p->scheduler.present || p->has_io_priority || p->exec_cpu_affinity_initial ||
	    p->exec_cpu_affinity_final || s->linux.n_net_devices || s->linux.memory_policy.present)
		return OCI_VERSION;
	if (s->linux.monotonic.present || s->linux.boottime.present || idmapped ||
	    s->linux.namespaces[CELL_NS_TIME].present)
		return "1.1.0";
	return "1.0.2";
}

char *cell_spec_to_json(const struct cell_spec *spec, struct cell_error *err)
{
	struct emit e = { 0 };
	json_t *o = json_object(), *root = json_object(), *x;
	char *text = NULL;

	if (!o || !root) {
		json_decref(o);
		json_decref(root);
		cell_error_set(err, ENOMEM, "config.json");
		return NULL;
	}
	put_str(&e, o, "ociVersion", spec->oci_version ? spec->oci_version : needed_version(spec));
	if (spec->process.args) /* no process: a bundle for `create` with one added later */
		put(&e, o, "process", process(&e, &spec->process));
	/* cell's default root is the host's own, read-only */
	put_str(&e, root, "path", spec->root.path ? spec->root.path : "/");
	put(&e, root, "readonly", json_boolean(spec->root.readonly || !spec->root.path));
	put(&e, o, "root", root);
	put_str(&e, o, "hostname", spec->hostname);
	put_str(&e, o, "domainname", spec->domainname);
	put(&e, o, "mounts", mounts(&e, spec));
	if (json_object_size(x = hooks(&e, &spec->hooks)))
		put(&e, o, "hooks", x);
	else
		json_decref(x);
	if (json_object_size(x = annotations(&e, spec)))
		put(&e, o, "annotations", x);
	else
		json_decref(x);
	put(&e, o, "linux", linux_section(&e, &spec->linux));
	if (!e.failed)
		text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		cell_error_set(err, ENOMEM, "config.json");
	return text;
}
