/*
 * cell — what linux.resources asks of cgroups: the controllers it needs, the
 * conversions between v1 and v2 units, and its validation against this host,
 * done before any directory is made or file written.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* ---- resources ---- */

/* unified_controllers() - the controllers linux.resources.unified's keys belong to. */
static unsigned unified_controllers(const struct cell_resources *res)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < res->n_unified; i++) {
		int c = cgroup_unified_controller(res->unified[i].key);

		if (c >= 0)
			mask |= CG_BIT(c);
	}
	return mask;
}

static bool memory_set(const struct cell_resources *res)
{
	return res->has_memory_limit || res->has_memory_swap || res->has_memory_reservation ||
	       res->has_memory_kernel_tcp || res->has_memory_swappiness ||
	       res->has_disable_oom_killer || res->has_use_hierarchy;
}

static bool cpu_set(const struct cell_resources *res)
{
	return res->has_cpu_shares || res->has_cpu_quota || res->has_cpu_period ||
	       res->has_cpu_realtime_runtime || res->has_cpu_realtime_period ||
	       res->has_cpu_burst || res->has_cpu_idle;
}

static bool blkio_set(const struct cell_resources *res)
{
	return res->has_blkio_weight || res->has_blkio_leaf_weight || res->n_weight_devices ||
	       res->n_read_bps || res->n_write_bps || res->n_read_iops || res->n_write_iops;
}

/* typed_controllers() - cgroup_controllers_for() without linux.resources.unified. */
static unsigned typed_controllers(const struct cell_resources *res, bool devices)
{
	unsigned mask = 0;

	if (memory_set(res))
		mask |= CG_BIT(CELL_CG_MEMORY);
	if (cpu_set(res))
		mask |= CG_BIT(CELL_CG_CPU);
	if (res->cpuset_cpus || res->cpuset_mems)
		mask |= CG_BIT(CELL_CG_CPUSET);
	if (res->has_pids_limit)
		mask |= CG_BIT(CELL_CG_PIDS);
	if (blkio_set(res))
		mask |= CG_BIT(CELL_CG_BLKIO);
	if (devices && res->n_devices)
		mask |= CG_BIT(CELL_CG_DEVICES);
	if (res->n_hugepage_limits)
		mask |= CG_BIT(CELL_CG_HUGETLB);
	if (res->has_net_class_id)
		mask |= CG_BIT(CELL_CG_NET_CLS);
	if (res->n_net_priorities)
		mask |= CG_BIT(CELL_CG_NET_PRIO);
	if (res->n_rdma)
		mask |= CG_BIT(CELL_CG_RDMA);
	return mask;
}

/*
 * cgroup_controllers_for() - the controllers the limits of @res need (bits
 * CELL_CG_*); device rules only when @devices (they are skipped rootless).
 */
unsigned cgroup_controllers_for(const struct cell_resources *res, bool devices)
{
	return typed_controllers(res, devices) | unified_controllers(res);
}

/*
 * cgroup_limit_field() - the linux.resources field of @res that needs
 * controller @c, for an error that must say which limit the host cannot
 * carry out; "" when none does (the controller was only for tracking).
 */
void cgroup_limit_field(const struct cell_resources *res, int c, char *buf, size_t size)
{
	static const char *const fields[CELL_CG_COUNT] = { [CELL_CG_MEMORY] = "memory",
							   [CELL_CG_CPU] = "cpu",
							   [CELL_CG_PIDS] = "pids.limit",
							   [CELL_CG_BLKIO] = "blockIO",
							   [CELL_CG_DEVICES] = "devices",
							   [CELL_CG_HUGETLB] = "hugepageLimits",
							   [CELL_CG_NET_CLS] = "network.classID",
							   [CELL_CG_NET_PRIO] =
								   "network.priorities",
							   [CELL_CG_RDMA] = "rdma" };
	const char *field = fields[c];
	size_t i;

	buf[0] = '\0';
	if (c == CELL_CG_CPUSET && (res->cpuset_cpus || res->cpuset_mems))
		field = res->cpuset_cpus ? "cpu.cpus" : "cpu.mems";
	else if (!(typed_controllers(res, true) & CG_BIT(c)))
		field = NULL; /* not a typed field: a unified key, or nothing */
	if (field) {
		snprintf(buf, size, "linux.resources.%s", field);
		return;
	}
	for (i = 0; i < res->n_unified; i++)
		if (cgroup_unified_controller(res->unified[i].key) == c) {
			snprintf(buf, size, "linux.resources.unified.\"%s\"", res->unified[i].key);
			return;
		}
}

bool cell_resources_any(const struct cell_resources *res)
{
	return res && (cgroup_controllers_for(res, true) != 0 || res->n_unified > 0);
}

bool cell_resources_need_cgroup(const struct cell_resources *res, bool rootless)
{
	return res && (cgroup_controllers_for(res, !rootless) != 0 || res->n_unified > 0);
}

/* The conversion crun and runc use, so one spec means the same on every runtime. */
unsigned long cell_cpu_shares_to_weight(unsigned long shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* ---- validation: before anything is created or written ---- */

#define RES "linux.resources."

static const char *mode_name(enum cell_cgroup_mode mode)
{
	return mode == CELL_CGROUP_V2	? "cgroup v2"
	       : mode == CELL_CGROUP_V1 ? "cgroup v1"
					: "hybrid";
}

static int unsupported(enum cell_cgroup_mode mode, const char *field, const char *why,
		       struct cell_error *err)
{
	return cell_error_set(err, ENOTSUP, RES "%s: not available on this %s host%s%s", field,
			      mode_name(mode), why ? ": " : "", why ? why : "");
}

/*
 * Both modes store memory + swap (OCI linux.resources.memory.swap), which the
 * kernel accepts only at or above the memory limit (v1: memory.rst, "Swap
 * Extension"); v2 gets the difference.
 */
static int check_swap(const struct cell_resources *res, struct cell_error *err)
{
	if (!res->has_memory_swap || res->memory_swap < 0)
		return 0;
	if (!res->has_memory_limit || res->memory_limit < 0)
		return cell_error_set(err, EINVAL,
				      RES "memory.swap %" PRId64 ": needs memory.limit as well",
				      res->memory_swap);
	if (res->memory_swap < res->memory_limit)
		return cell_error_set(err, EINVAL,
				      RES "memory.swap %" PRId64
					  ": memory+swap is below memory.limit %" PRId64,
				      res->memory_swap, res->memory_limit);
	return 0;
}

static int validate_memory(enum cell_cgroup_mode mode, const struct cell_resources *res,
			   struct cell_error *err)
{
	bool v2 = mode == CELL_CGROUP_V2;

	if (res->has_memory_limit && res->memory_limit != -1 && res->memory_limit < 4096)
		return cell_error_set(err, EINVAL,
				      RES "memory.limit %" PRId64 ": expected at least 4096, or -1",
				      res->memory_limit);
	if (res->has_memory_reservation && res->memory_reservation < -1)
		return cell_error_set(err, EINVAL,
				      RES "memory.reservation %" PRId64 ": expected bytes or -1",
				      res->memory_reservation);
	if (res->has_memory_swappiness && res->memory_swappiness > 100)
		return cell_error_set(err, EINVAL,
				      RES "memory.swappiness %" PRIu64 ": expected 0 to 100",
				      res->memory_swappiness);
	/* v2 dropped these (cgroup-v2.rst, "Deprecated v1 Core Features", "Memory"). */
	if (v2 && res->has_memory_kernel_tcp)
		return unsupported(mode, "memory.kernelTCP",
				   "v2 accounts socket memory "
				   "within memory.max",
				   err);
	if (v2 && res->has_memory_swappiness)
		return unsupported(mode, "memory.swappiness", "v2 has no per-cgroup swappiness",
				   err);
	/*
	 * runc ignores disableOOMKiller on v2. cell refuses it instead: the
	 * library has no channel for a warning, and the container would be
	 * OOM-killed where the spec asked it to wait.
	 */
	if (v2 && res->has_disable_oom_killer && res->disable_oom_killer)
		return unsupported(mode, "memory.disableOOMKiller",
				   "v2 cannot disable the OOM "
				   "killer of a cgroup",
				   err);
	if (v2 && res->has_use_hierarchy && !res->use_hierarchy)
		return unsupported(mode, "memory.useHierarchy false", "v2 is always hierarchical",
				   err);
	return check_swap(res, err);
}

static int validate_cpu(enum cell_cgroup_mode mode, const struct cell_resources *res,
			struct cell_error *err)
{
	if (res->has_cpu_shares && (res->cpu_shares < 2 || res->cpu_shares > 262144))
		return cell_error_set(err, EINVAL,
				      RES "cpu.shares %" PRIu64 ": expected 2 to 262144",
				      res->cpu_shares);
	if (res->has_cpu_period && (res->cpu_period < 1000 || res->cpu_period > 1000000))
		return cell_error_set(err, EINVAL,
				      RES "cpu.period %" PRIu64 ": expected 1000 to 1000000 µs",
				      res->cpu_period);
	if (res->has_cpu_quota && res->cpu_quota != -1 && res->cpu_quota < 1000)
		return cell_error_set(err, EINVAL,
				      RES "cpu.quota %" PRId64 ": expected at least 1000 µs, or -1",
				      res->cpu_quota);
	if (res->has_cpu_idle && res->cpu_idle != 0 && res->cpu_idle != 1)
		return cell_error_set(err, EINVAL, RES "cpu.idle %" PRId64 ": expected 0 or 1",
				      res->cpu_idle);
	if (res->has_cpu_realtime_runtime && res->cpu_realtime_runtime < -1)
		return cell_error_set(err, EINVAL,
				      RES "cpu.realtimeRuntime %" PRId64 ": expected µs or -1",
				      res->cpu_realtime_runtime);
	if (res->has_cpu_realtime_runtime && res->has_cpu_realtime_period &&
	    res->cpu_realtime_runtime > 0 &&
	    (uint64_t)res->cpu_realtime_runtime > res->cpu_realtime_period)
		return cell_error_set(err, EINVAL,
				      RES "cpu.realtimeRuntime %" PRId64
					  ": above cpu.realtimePeriod %" PRIu64,
				      res->cpu_realtime_runtime, res->cpu_realtime_period);
	/* RT group scheduling has no v2 interface (cgroup-v2.rst, "CPU"). */
	if (mode == CELL_CGROUP_V2 &&
	    (res->has_cpu_realtime_runtime || res->has_cpu_realtime_period))
		return unsupported(mode, "cpu.realtimeRuntime/realtimePeriod",
				   "v2 has no real-time bandwidth per cgroup", err);
	return 0;
}

static int validate_weight(const char *field, size_t i, unsigned w, struct cell_error *err)
{
	if (w >= 10 && w <= 1000)
		return 0;
	if (i == SIZE_MAX)
		return cell_error_set(err, EINVAL, RES "blockIO.%s %u: expected 10 to 1000", field,
				      w);
	return cell_error_set(err, EINVAL,
			      RES "blockIO.weightDevice[%zu].%s %u: expected 10 "
				  "to 1000",
			      i, field, w);
}

static int validate_blkio(enum cell_cgroup_mode mode, const struct cell_resources *res,
			  struct cell_error *err)
{
	size_t i;
	int r = 0;

	if (res->has_blkio_weight)
		r = validate_weight("weight", SIZE_MAX, res->blkio_weight, err);
	if (r == 0 && res->has_blkio_leaf_weight)
		r = validate_weight("leafWeight", SIZE_MAX, res->blkio_leaf_weight, err);
	for (i = 0; r == 0 && i < res->n_weight_devices; i++) {
		const struct cell_device_weight *d = &res->weight_devices[i];

		if (d->has_weight)
			r = validate_weight("weight", i, d->weight, err);
		if (r == 0 && d->has_leaf_weight)
			r = validate_weight("leafWeight", i, d->leaf_weight, err);
		if (r == 0 && d->has_leaf_weight && mode == CELL_CGROUP_V2)
			r = unsupported(mode, "blockIO.weightDevice[].leafWeight",
					"v2 has no leaf weights", err);
	}
	if (r == 0 && res->has_blkio_leaf_weight && mode == CELL_CGROUP_V2)
		r = unsupported(mode, "blockIO.leafWeight", "v2 has no leaf weights", err);
	return r;
}

/* Page sizes are those of /sys/kernel/mm/hugepages/hugepages-<N>kB (the kernel's hstates). */
static int validate_hugepages(const struct cell_cgroup_params *params,
			      const struct cell_resources *res, struct cell_error *err)
{
	const char *dir = params->hugepages_dir ? params->hugepages_dir : CG_DEFAULT_HUGEPAGES;
	char name[32], path[PATH_MAX];
	uint64_t kib;
	size_t i;

	for (i = 0; i < res->n_hugepage_limits; i++) {
		const char *size = res->hugepage_limits[i].page_size;

		if (!size || cgroup_hugetlb_name(size, name, sizeof(name), &kib) < 0)
			return cell_error_set(err, EINVAL,
					      RES "hugepageLimits[%zu].pageSize \"%s\": expected a "
						  "size such as \"2MB\" or \"1GB\"",
					      i, size ? size : "");
		snprintf(path, sizeof(path), "%s/hugepages-%" PRIu64 "kB", dir, kib);
		if (access(path, F_OK) < 0)
			return cell_error_set(err, errno == ENOENT ? EINVAL : errno,
					      RES "hugepageLimits[%zu].pageSize \"%s\": this "
						  "kernel has no such huge page size (%s)",
					      i, size, path);
	}
	return 0;
}

/* A name written as one word of a cgroup file: no blank, no newline. */
static bool plain_word(const char *s)
{
	return s && s[0] && !s[strcspn(s, " \t\n")];
}

static int validate_network_rdma(enum cell_cgroup_mode mode, const struct cell_resources *res,
				 struct cell_error *err)
{
	size_t i;

	if (mode == CELL_CGROUP_V2 && (res->has_net_class_id || res->n_net_priorities))
		return unsupported(mode, "network",
				   "v2 has no net_cls or net_prio controller; "
				   "use eBPF or nftables' cgroup matching instead",
				   err);
	for (i = 0; i < res->n_net_priorities; i++)
		if (!plain_word(res->net_priorities[i].name))
			return cell_error_set(
				err, EINVAL,
				RES "network.priorities[%zu].name \"%s\": expected "
				    "an interface name",
				i, res->net_priorities[i].name ? res->net_priorities[i].name : "");
	for (i = 0; i < res->n_rdma; i++)
		if (!plain_word(res->rdma[i].device))
			return cell_error_set(err, EINVAL,
					      RES "rdma: device name \"%s\" is not a plain word",
					      res->rdma[i].device ? res->rdma[i].device : "");
	return 0;
}

static int validate_devices(const struct cell_resources *res, struct cell_error *err)
{
	size_t i;

	for (i = 0; i < res->n_devices; i++) {
		const struct cell_device_rule *d = &res->devices[i];

		if (d->type != 'a' && d->type != 'c' && d->type != 'b')
			return cell_error_set(err, EINVAL,
					      RES "devices[%zu].type \"%c\": expected a, c or b", i,
					      d->type ? d->type : ' ');
		if (d->access[strspn(d->access, "rwm")] != '\0')
			return cell_error_set(err, EINVAL,
					      RES "devices[%zu].access \"%.4s\": expected letters "
						  "of \"rwm\"",
					      i, d->access);
		if (d->major < -1 || d->major > UINT32_MAX || d->minor < -1 ||
		    d->minor > UINT32_MAX)
			return cell_error_set(err, EINVAL,
					      RES "devices[%zu]: major/minor out of range", i);
	}
	return 0;
}

/*
 * A unified key names one file of the container's own cgroup directory:
 * nothing that could walk out of it ("/", ".."), and the mode must have it.
 * On hybrid hosts the key's controller must be bound to <root>/unified (a
 * controller lives in one hierarchy at a time, cgroups(7)).
 */
static int validate_unified(const struct cell_cgroup_params *params, enum cell_cgroup_mode mode,
			    const struct cell_resources *res, struct cell_error *err)
{
	char unified[PATH_MAX], avail[1024] = "";
	size_t i;

	if (res->n_unified && mode == CELL_CGROUP_HYBRID) {
		snprintf(unified, sizeof(unified), "%s/unified",
			 params->fs_root ? params->fs_root : CG_DEFAULT_ROOT);
		if (cgroup_read(unified, "cgroup.controllers", avail, sizeof(avail), err) < 0)
			return cell_error_prefix(err, RES "unified");
	}
	for (i = 0; i < res->n_unified; i++) {
		const char *key = res->unified[i].key ? res->unified[i].key : "";
		int c = cgroup_unified_controller(key);

		if (!key[0] || strchr(key, '/') || strcmp(key, ".") == 0 ||
		    strcmp(key, "..") == 0 || !strchr(key, '.'))
			return cell_error_set(err, EINVAL,
					      RES "unified.\"%s\": expected a cgroup file name "
						  "such as \"memory.high\"",
					      key);
		if (!res->unified[i].value)
			return cell_error_set(err, EINVAL, RES "unified.\"%s\": no value", key);
		if (mode == CELL_CGROUP_V1)
			return cell_error_set(err, ENOTSUP,
					      RES "unified.\"%s\": this host has only cgroup v1",
					      key);
		if (mode == CELL_CGROUP_HYBRID &&
		    (c < 0 || !cgroup_has_word(avail, cgroup_controller_names[c].v2, " \n")))
			return cell_error_set(err, ENOTSUP,
					      RES "unified.\"%s\": on this hybrid host the "
						  "unified hierarchy (%s) has only \"%.*s\"",
					      key, unified, (int)strcspn(avail, "\n"), avail);
	}
	return 0;
}

int cgroup_validate_for_mode(const struct cell_cgroup_params *params, enum cell_cgroup_mode mode,
			     const struct cell_resources *res, struct cell_error *err)
{
	int r;

	if ((r = validate_memory(mode, res, err)) < 0 || (r = validate_cpu(mode, res, err)) < 0 ||
	    (r = validate_blkio(mode, res, err)) < 0 ||
	    (r = validate_hugepages(params, res, err)) < 0 ||
	    (r = validate_network_rdma(mode, res, err)) < 0 ||
	    (r = validate_devices(res, err)) < 0 ||
	    (r = validate_unified(params, mode, res, err)) < 0)
		return r;
	if (res->has_pids_limit && res->pids_limit == 0)
		return cell_error_set(err, EINVAL, RES "pids.limit: expected at least 1, or -1");
	return 0;
}

int cell_cgroup_validate(const struct cell_cgroup_params *params, const struct cell_resources *res,
			 struct cell_error *err)
{
	enum cell_cgroup_mode mode;
	int r;

	if (!res)
		return 0;
	r = cell_cgroup_detect(params->fs_root ? params->fs_root : CG_DEFAULT_ROOT, &mode, err);
	return r < 0 ? r : cgroup_validate_for_mode(params, mode, res, err);
}
