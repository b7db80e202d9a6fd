/*
 * cell — linux.sysctl: kernel parameters written under /proc/sys inside the
 * container, after its mounts and before /proc/sys is made read-only.
 *
 * Only a parameter that belongs to a namespace the container has of its own
 * may be set, or the write would change the host (runc's rules,
 * libcontainer/configs/validate): the System V IPC and POSIX message queue
 * ones need an ipc namespace, net.* a network namespace that is not the
 * caller's, user.max_* a user namespace of the container's own (what its
 * processes may hold of the per-user counts there, kernel/ucount.c; root of
 * that namespace may lower them, never raise them past its parent's).
 * kernel.hostname and kernel.domainname are the "hostname" and
 * "domainname" fields' (config.md): a sysctl for them would race those fields
 * in the container's uts namespace, so runc (validate.go: "conflicts with the
 * OCI field") and crun refuse them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "security.h"
#include "utils.h"

/* Prefixes of /proc/sys paths and the namespace that owns them (namespaces(7)). */
static const struct {
	const char *prefix;
	bool exact;
	enum cell_ns_type ns;
} namespaced[] = {
	{ "kernel/msg", false, CELL_NS_IPC }, /* msgmax msgmnb msgmni msg_next_id */
	{ "kernel/sem", false, CELL_NS_IPC }, /* sem sem_next_id */
	{ "kernel/shm", false, CELL_NS_IPC }, /* shmall shmmax shmmni shm_rmid_forced ... */
	{ "fs/mqueue/", false, CELL_NS_IPC },
	{ "net/", false, CELL_NS_NET },
	{ "kernel/hostname", true, CELL_NS_UTS },
	{ "kernel/domainname", true, CELL_NS_UTS },
	/* max_*_namespaces, max_inotify_*, max_fanotify_*: the user namespace's own
	 * limits (kernel/ucount.c), below its parent's, which still apply */
	{ "user/max_", false, CELL_NS_USER },
};

/*
 * sysctl(8)'s two spellings: "net.ipv4.ip_forward", or with slashes, where a
 * dot is part of a name ("net/ipv4/conf/eth0.100/forwarding"). No empty,
 * "." or ".." component may lead the write out of /proc/sys.
 */
int cell_sysctl_path(const char *key, char *buf, size_t size)
{
	bool slashes = strchr(key, '/') != NULL;
	size_t len = strlen(key);

	if (len == 0 || len >= size)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		buf[i] = !slashes && key[i] == '.' ? '/' : key[i];
	for (const char *c = buf;;) {
		const char *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (!*end)
			return 0;
		c = end + 1;
	}
}

int cell_sysctl_namespace(const char *key)
{
	char path[256];

	if (cell_sysctl_path(key, path, sizeof(path)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(namespaced) / sizeof(namespaced[0]); i++) {
		size_t n = strlen(namespaced[i].prefix);

		if (namespaced[i].exact ? !strcmp(path, namespaced[i].prefix)
					: !strncmp(path, namespaced[i].prefix, n))
			return (int)namespaced[i].ns;
	}
	return -1;
}

/* A namespace joined by path may be the caller's own: then it is the host's. */
static bool is_callers_namespace(const struct cell_ns_info *info, const char *path)
{
	char self[64];
	struct stat a, b;

	snprintf(self, sizeof(self), "/proc/self/ns/%s", info->proc_name);
	return stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int cell_sysctl_check(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	char path[256];

	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *key = l->sysctl[i].key;
		int ns = cell_sysctl_namespace(key);
		const struct cell_ns_info *info;

		if (cell_sysctl_path(key, path, sizeof(path)) < 0)
			return cell_error_set(err, 0, "linux.sysctl '%s': not a sysctl name", key);
		if (!l->sysctl[i].value)
			return cell_error_set(err, 0, "linux.sysctl '%s': no value", key);
		if (ns < 0)
			return cell_error_set(err, 0,
					      "linux.sysctl '%s': not namespaced, setting it "
					      "would change the host (cell sets kernel.msg*, "
					      "kernel.sem*, kernel.shm*, fs.mqueue.*, net.*, "
					      "user.max_*, kernel.hostname, kernel.domainname)",
					      key);
		info = cell_ns_info((enum cell_ns_type)ns);
		if (ns == CELL_NS_UTS && l->namespaces[ns].present)
			return cell_error_set(err, 0,
					      "linux.sysctl '%s': conflicts with the \"%s\" "
					      "field, which sets it in the container's uts "
					      "namespace",
					      key,
					      strstr(path, "domain") ? "domainname" : "hostname");
		if (!l->namespaces[ns].present)
			return cell_error_set(err, 0,
					      "linux.sysctl '%s': needs a %s namespace of "
					      "the container's own",
					      key, info->name);
		if (l->namespaces[ns].path && is_callers_namespace(info, l->namespaces[ns].path))
			return cell_error_set(err, 0,
					      "linux.sysctl '%s': the %s namespace %s is "
					      "the host's",
					      key, info->name, l->namespaces[ns].path);
	}
	return 0;
}

int cell_sysctl_apply(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	char path[256];
	int r;

	if (l->n_sysctl == 0)
		return 0;
	cleanup_close int dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return cell_error_set(err, errno, "linux.sysctl: open /proc/sys");
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const struct cell_kv *kv = &l->sysctl[i];

		if (cell_sysctl_path(kv->key, path, sizeof(path)) < 0)
			return cell_error_set(err, 0, "linux.sysctl '%s': not a sysctl name",
					      kv->key);
		if ((r = cell_write_at(dir, path, kv->value, strlen(kv->value), err)) < 0)
			return cell_error_prefix(err, "linux.sysctl %s=%s", kv->key, kv->value);
	}
	return 0;
}
