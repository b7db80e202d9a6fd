/* cell — struct cell_spec: defaults, editing, ownership (validation: run/validate.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns_internal.h"
#include "spec.h"
#include "utils.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* runc's and crun's defaults (libcontainer/specconv/example.go): paths that
 * leak host facts or let root inside change the host's kernel. */
const char *const cell_default_masked_paths[] = {
	"/proc/acpi",
	"/proc/asound",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};
const char *const cell_default_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct default_mount {
	const char *destination, *type, *source;
	const char *options[8];
};

static const struct default_mount default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
	{ "/dev/pts",
	  "devpts",
	  "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
	{ "/tmp", "tmpfs", "tmpfs", { "nosuid", "nodev", "mode=1777" } },
};

static void free_mount(struct cell_mount *m);

int cell_spec_add_mount(struct cell_spec *spec, const char *destination, const char *type,
			const char *source, const char *const *options, struct cell_error *err)
{
	struct cell_mount *m, *grown;

	grown = realloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "mount %s", destination);
	spec->mounts = grown;
	m = &spec->mounts[spec->n_mounts];
	memset(m, 0, sizeof(*m));
	m->destination = strdup(destination);
	m->type = type ? strdup(type) : NULL;
	m->source = source ? strdup(source) : NULL;
	for (size_t i = 0; options && options[i]; i++)
		if (cell_strv_append(&m->options, options[i]) < 0)
			goto nomem;
	if (!m->destination || (type && !m->type) || (source && !m->source))
		goto nomem;
	spec->n_mounts++;
	return 0;
nomem:
	free(m->destination);
	free(m->type);
	free(m->source);
	cell_strv_free(m->options);
	return cell_error_set(err, ENOMEM, "mount %s", destination);
}

const char *cell_symlink_problem(const char *target, const char *link)
{
	const char *last;
	size_t len = strlen(link);

	if (!target[0])
		return "TARGET is empty";
	if (!link[0])
		return "LINK is empty";
	if (link[0] != '/')
		return "LINK must be an absolute path";
	while (len > 1 && link[len - 1] == '/')
		len--;
	if (len == 1)
		return "LINK is the root, \"/\"";
	for (last = link + len; last[-1] != '/'; last--)
		;
	if ((link + len - last == 1 && last[0] == '.') ||
	    (link + len - last == 2 && !strncmp(last, "..", 2)))
		return "LINK's last component is \".\" or \"..\"";
	return NULL;
}

static void free_path_op(struct cell_path_op *op)
{
	free(op->target);
	free(op->path);
	free(op->data);
}

int cell_spec_add_path_op(struct cell_spec *spec, const struct cell_path_op *op,
			  struct cell_error *err)
{
	struct cell_extras *c = &spec->cell;
	struct cell_path_op *grown = realloc(c->path_ops, (c->n_path_ops + 1) * sizeof(*grown));
	struct cell_path_op *copy;

	if (!grown)
		return cell_error_set(err, ENOMEM, "%s", op->path);
	c->path_ops = grown;
	copy = &grown[c->n_path_ops];
	*copy = *op;
	copy->after = spec->n_mounts;
	copy->target = op->target ? strdup(op->target) : NULL;
	copy->path = strdup(op->path);
	copy->data = op->len ? malloc(op->len) : NULL;
	if ((op->target && !copy->target) || !copy->path || (op->len && !copy->data)) {
		free_path_op(copy);
		return cell_error_set(err, ENOMEM, "%s", op->path);
	}
	if (op->len)
		memcpy(copy->data, op->data, op->len);
	c->n_path_ops++;
	return 0;
}

const char *cell_path_op_problem(const struct cell_path_op *op)
{
	const char *last;
	size_t len;

	if (!op->path)
		return "PATH missing";
	if (op->kind == CELL_PATH_SYMLINK)
		return op->target ? cell_symlink_problem(op->target, op->path) : "TARGET missing";
	if (op->kind > CELL_PATH_REMOUNT_RO)
		return "not a kind cell knows";
	if (op->path[0] != '/')
		return "PATH must be an absolute path";
	if (op->mode > 07777)
		return "its mode is above 07777";
	if (op->kind != CELL_PATH_FILE)
		return NULL;
	if (op->len && !op->data)
		return "its data is missing";
	for (len = strlen(op->path); len > 1 && op->path[len - 1] == '/'; len--)
		;
	if (len == 1)
		return "PATH is the root, \"/\"";
	for (last = op->path + len; last[-1] != '/'; last--)
		;
	if ((op->path + len - last == 1 && last[0] == '.') ||
	    (op->path + len - last == 2 && !strncmp(last, "..", 2)))
		return "PATH's last component is \".\" or \"..\"";
	return NULL;
}

int cell_spec_add_symlink(struct cell_spec *spec, const char *target, const char *link,
			  struct cell_error *err)
{
	struct cell_path_op op = { .kind = CELL_PATH_SYMLINK,
				   .target = (char *)target,
				   .path = (char *)link };

	return cell_spec_add_path_op(spec, &op, err);
}

/*
 * A mount moved ahead (cell run's early tmpfs over /run and the like) goes
 * ahead of the symlinks at its new place too, as it goes ahead of the flags'
 * mounts: a link keeps the mounts that were made before it.
 */
void cell_spec_move_mount(struct cell_spec *spec, size_t from, size_t to)
{
	struct cell_mount m = spec->mounts[from];

	if (from <= to || to >= spec->n_mounts)
		return;
	memmove(&spec->mounts[to + 1], &spec->mounts[to], (from - to) * sizeof(m));
	spec->mounts[to] = m;
	for (size_t i = 0; i < spec->cell.n_path_ops; i++) {
		size_t *after = &spec->cell.path_ops[i].after;

		if (*after >= to && *after <= from)
			(*after)++;
	}
}

int cell_spec_remove_mount(struct cell_spec *spec, const char *destination)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		struct cell_mount *m = &spec->mounts[i];

		if (strcmp(m->destination, destination))
			continue;
		free_mount(m);
		memmove(m, m + 1, (spec->n_mounts - i - 1) * sizeof(*m));
		spec->n_mounts--;
		for (size_t j = 0; j < spec->cell.n_path_ops; j++)
			if (spec->cell.path_ops[j].after > i)
				spec->cell.path_ops[j].after--;
		return 1;
	}
	return 0;
}

int cell_spec_set_env(struct cell_spec *spec, const char *key_value, struct cell_error *err)
{
	const char *eq = strchr(key_value, '=');
	size_t klen = eq ? (size_t)(eq - key_value) : strlen(key_value);
	char **env = spec->process.env;

	if (!eq || klen == 0)
		return cell_error_set(err, 0, "environment variable '%s': expected KEY=VALUE",
				      key_value);
	for (size_t i = 0; env && env[i]; i++) {
		if (!strncmp(env[i], key_value, klen) && env[i][klen] == '=') {
			char *copy = strdup(key_value);

			if (!copy)
				return cell_error_set(err, ENOMEM, "environment %s", key_value);
			free(env[i]);
			env[i] = copy;
			return 0;
		}
	}
	if (cell_strv_append(&spec->process.env, key_value) < 0)
		return cell_error_set(err, ENOMEM, "environment %s", key_value);
	return 0;
}

static int set_default_mounts(struct cell_spec *spec, struct cell_error *err)
{
	for (size_t i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
		const struct default_mount *d = &default_mounts[i];
		int r = cell_spec_add_mount(spec, d->destination, d->type, d->source, d->options,
					    err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* devpts refuses gid=5 when the tty group has no id inside the user namespace. */
void cell_spec_fit_devpts_gid(struct cell_spec *spec)
{
	const struct cell_linux *l = &spec->linux;

	if (!l->namespaces[CELL_NS_USER].present ||
	    cell_id_maps_contain(l->gid_mappings, l->n_gid_mappings, 5))
		return;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		char **o = spec->mounts[i].options;

		for (size_t j = 0; o && o[j]; j++) {
			if (strcmp(o[j], "gid=5"))
				continue;
			free(o[j]);
			memmove(&o[j], &o[j + 1], (cell_strv_len(o) - j) * sizeof(*o));
			break;
		}
	}
}

static int set_default_paths(char ***dst, const char *const *src, struct cell_error *err)
{
	for (size_t i = 0; src[i]; i++)
		if (cell_strv_append(dst, src[i]) < 0)
			return cell_error_set(err, ENOMEM, "default paths");
	return 0;
}

static int set_default_process(struct cell_spec *spec, uid_t euid, struct cell_error *err)
{
	struct cell_process *p = &spec->process;
	char cwd[PATH_MAX];
	int r;

	if ((r = cell_spec_set_env(spec, DEFAULT_PATH, err)) < 0 ||
	    (r = cell_spec_set_env(spec, "HOME=/root", err)) < 0 ||
	    (r = cell_spec_set_env(spec, "HOSTNAME=cell", err)) < 0)
		return r;
	/* The caller's directory when it exists inside; / otherwise. */
	p->cwd = strdup(getcwd(cwd, sizeof(cwd)) ? cwd : "/");
	if (!p->cwd)
		return cell_error_set(err, ENOMEM, "process.cwd");
	spec->cell.cwd_optional = true;
	p->no_new_privileges = true;
	if (euid == 0) {
		/* Root on the host: docker's default capability set. Rootless keeps
		 * the full set, which only has meaning inside its user namespace. */
		uint64_t caps = cell_caps_default();

		p->capabilities = (struct cell_capabilities){
			.present = true, .bounding = caps, .effective = caps, .permitted = caps
		};
	}
	return 0;
}

static int set_default_maps(struct cell_spec *spec, uid_t euid, gid_t egid, struct cell_error *err)
{
	struct cell_linux *l = &spec->linux;

	l->uid_mappings = calloc(1, sizeof(*l->uid_mappings));
	l->gid_mappings = calloc(1, sizeof(*l->gid_mappings));
	if (!l->uid_mappings || !l->gid_mappings)
		return cell_error_set(err, ENOMEM, "linux.uidMappings");
	l->uid_mappings[0] = (struct cell_id_map){ 0, euid, 1 };
	l->gid_mappings[0] = (struct cell_id_map){ 0, egid, 1 };
	l->n_uid_mappings = l->n_gid_mappings = 1;
	return 0;
}

int cell_spec_default(struct cell_spec *spec, uid_t euid, gid_t egid, struct cell_error *err)
{
	static const enum cell_ns_type defaults[] = { CELL_NS_PID, CELL_NS_MNT, CELL_NS_NET,
						      CELL_NS_UTS, CELL_NS_IPC, CELL_NS_CGROUP };
	/* uid 0 of `unshare -r` or rootless Podman: rootless too (utils.c, cell_rootless) */
	bool rootless = euid != 0 || !cell_in_initial_userns();
	int r;

	memset(spec, 0, sizeof(*spec));
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		spec->linux.namespaces[defaults[i]].present = true;
	spec->root.path = strdup("/");
	spec->hostname = strdup("cell");
	if (!spec->root.path || !spec->hostname) {
		r = cell_error_set(err, ENOMEM, "default spec");
		goto fail;
	}
	spec->root.readonly = true;
	spec->cell.init = true;
	spec->linux.rootfs_propagation = MS_PRIVATE | MS_REC;
	if ((r = set_default_process(spec, euid, err)) < 0 ||
	    (r = set_default_mounts(spec, err)) < 0 ||
	    (r = set_default_paths(&spec->linux.masked_paths, cell_default_masked_paths, err)) <
		    0 ||
	    (r = set_default_paths(&spec->linux.readonly_paths, cell_default_readonly_paths, err)) <
		    0)
		goto fail;
	if (rootless) {
		spec->linux.namespaces[CELL_NS_USER].present = true;
		if ((r = set_default_maps(spec, euid, egid, err)) < 0)
			goto fail;
		cell_spec_fit_devpts_gid(spec);
	}
	return 0;
fail:
	cell_spec_free(spec);
	return r;
}

static void free_kv(struct cell_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_mount(struct cell_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	cell_strv_free(m->options);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

static void free_resources(struct cell_resources *r)
{
	free(r->cpuset_cpus);
	free(r->cpuset_mems);
	free(r->read_bps);
	free(r->write_bps);
	free(r->read_iops);
	free(r->write_iops);
	free(r->weight_devices);
	free(r->devices);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (size_t i = 0; i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	free_kv(r->unified, r->n_unified);
}

void cell_seccomp_free(struct cell_seccomp *s)
{
	cell_strv_free(s->architectures);
	cell_strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		cell_strv_free(s->syscalls[i].names);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	memset(s, 0, sizeof(*s));
}

static void free_hooks(struct cell_hooks *h)
{
	for (int k = 0; k < CELL_HOOK_KIND_COUNT; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free(h->list[k][i].path);
			cell_strv_free(h->list[k][i].args);
			cell_strv_free(h->list[k][i].env);
		}
		free(h->list[k]);
	}
}

void cell_network_free(struct cell_network *net)
{
	free(net->bridge);
	free(net->subnet);
	free(net->gateway);
	free(net->ip);
	free(net->subnet6);
	free(net->ports);
	memset(net, 0, sizeof(*net));
}

void cell_spec_free(struct cell_spec *spec)
{
	struct cell_process *p = &spec->process;
	struct cell_linux *l = &spec->linux;

	cell_strv_free(p->args);
	cell_strv_free(p->env);
	free(p->cwd);
	free(p->additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->exec_cpu_affinity_initial);
	free(p->exec_cpu_affinity_final);
	free(spec->root.path);
	free(spec->hostname);
	free(spec->domainname);
	for (size_t i = 0; i < spec->n_mounts; i++)
		free_mount(&spec->mounts[i]);
	free(spec->mounts);
	for (int i = 0; i < CELL_NS_COUNT; i++)
		free(l->namespaces[i].path);
	free(l->uid_mappings);
	free(l->gid_mappings);
	free_resources(&l->resources);
	free(l->cgroups_path);
	cell_strv_free(l->masked_paths);
	cell_strv_free(l->readonly_paths);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free_kv(l->sysctl, l->n_sysctl);
	cell_seccomp_free(&l->seccomp);
	free(l->mount_label);
	free(l->memory_policy.nodes);
	free_hooks(&spec->hooks);
	free_kv(spec->annotations, spec->n_annotations);
	free(spec->oci_version);
	for (size_t i = 0; i < l->n_net_devices; i++) {
		free(l->net_devices[i].name);
		free(l->net_devices[i].new_name);
	}
	free(l->net_devices);
	cell_network_free(&spec->cell.net);
	for (size_t i = 0; i < spec->cell.n_path_ops; i++)
		free_path_op(&spec->cell.path_ops[i]);
	free(spec->cell.path_ops);
	memset(spec, 0, sizeof(*spec));
}
