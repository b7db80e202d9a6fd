/*
 * cell — which namespaces exist, and what the kernel says about each.
 *
 * Three places hold a namespace alive, and the scan reads all three:
 * processes (/proc/PID/ns/TYPE), open nsfs file descriptors (/proc/PID/fd,
 * whose links read "net:[4026532000]") and nsfs bind mounts (the pins of
 * `ip netns` and `cell ns pin`, found in /proc/self/mountinfo). The facts
 * come from the NS_GET_* ioctls of ioctl_ns(2) on a file opened through
 * whichever of those the scan found: a namespace that only a mount keeps
 * must be opened by its mount point.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "cell/ns.h"
#include "utils.h"

/* ---- parsing ------------------------------------------------------------ */

int cell_ns_parse_link(const char *link, enum cell_ns_type *type, uint64_t *ino)
{
	const char *open = strchr(link, ':');
	char *end;

	if (!open || open[1] != '[' || !isdigit((unsigned char)open[2]))
		return -EINVAL;
	for (int i = 0; i < CELL_NS_COUNT; i++) {
		const char *name = cell_ns_info(i)->proc_name;

		if (strlen(name) != (size_t)(open - link) || strncmp(link, name, strlen(name)))
			continue;
		errno = 0;
		*ino = strtoull(open + 2, &end, 10);
		if (errno || strcmp(end, "]"))
			return -EINVAL;
		*type = (enum cell_ns_type)i;
		return 0;
	}
	return -EINVAL;
}

int cell_ns_parse_types(const char *list, unsigned *mask, struct cell_error *err)
{
	cleanup_free char *copy = strdup(list);
	char *tok, *save = NULL;

	if (!copy)
		return cell_error_set(err, ENOMEM, "namespace types");
	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int type = cell_ns_from_name(tok);

		if (!strcmp(tok, "all")) {
			*mask = CELL_NS_ALL;
			continue;
		}
		if (type < 0)
			return cell_error_set(err, 0,
					      "namespace type '%s' is not one of cgroup, "
					      "ipc, mnt, net, pid, time, user, uts",
					      tok);
		*mask |= CELL_NS_MASK(type);
	}
	if (!*mask)
		return cell_error_set(err, 0, "no namespace type in '%s'", list);
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)). */
static void unescape_octal(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
					  (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* The @n-th space-separated field of @line (0-based), its length in *@len. */
static const char *field(const char *line, int n, size_t *len)
{
	const char *p = line;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return NULL;
	*len = strcspn(p, " \n");
	return p;
}

int cell_ns_parse_mountinfo_line(const char *line, char *point, size_t size,
				 enum cell_ns_type *type, uint64_t *ino)
{
	const char *sep = strstr(line, " - "), *root, *mp;
	size_t root_len, mp_len;
	char link[64];

	if (!sep || strncmp(sep + 3, "nsfs ", 5))
		return 0;
	root = field(line, 3, &root_len);
	mp = field(line, 4, &mp_len);
	if (!root || !mp || root_len >= sizeof(link))
		return 0;
	memcpy(link, root, root_len);
	link[root_len] = '\0';
	if (cell_ns_parse_link(link, type, ino) < 0)
		return 0;
	unescape_octal(mp, mp_len, point, size);
	return 1;
}

/* ---- the list ----------------------------------------------------------- */

static void entry_free(struct cell_ns_entry *e)
{
	free(e->command);
	free(e->path);
	cell_strv_free(e->mounts);
}

void cell_ns_list_free(struct cell_ns_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		entry_free(&list->ns[i]);
	free(list->ns);
	free(list->procs);
	memset(list, 0, sizeof(*list));
}

static struct cell_ns_entry *find_entry(struct cell_ns_list *list, enum cell_ns_type type,
					uint64_t ino)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->ns[i].type == type && list->ns[i].ino == ino)
			return &list->ns[i];
	return NULL;
}

const struct cell_ns_entry *cell_ns_list_find(const struct cell_ns_list *list,
					      enum cell_ns_type type, uint64_t ino)
{
	return find_entry((struct cell_ns_list *)list, type, ino);
}

/* The entry of (@type, @ino), added with @path as its handle if new. */
static struct cell_ns_entry *get_entry(struct cell_ns_list *list, enum cell_ns_type type,
				       uint64_t ino, const char *path)
{
	struct cell_ns_entry *e = find_entry(list, type, ino), *grown;

	if (e)
		return e;
	if (list->n % 64 == 0) {
		grown = realloc(list->ns, (list->n + 64) * sizeof(*grown));
		if (!grown)
			return NULL;
		list->ns = grown;
	}
	e = &list->ns[list->n];
	*e = (struct cell_ns_entry){ .type = type, .ino = ino, .path = strdup(path) };
	if (!e->path)
		return NULL;
	list->n++;
	return e;
}

/* ---- processes ---------------------------------------------------------- */

static int add_proc(struct cell_ns_list *list, const struct cell_ns_proc *p)
{
	if (list->n_procs % 256 == 0) {
		struct cell_ns_proc *grown =
			realloc(list->procs, (list->n_procs + 256) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		list->procs = grown;
	}
	list->procs[list->n_procs++] = *p;
	return 0;
}

/*
 * One process: the inode of each ns link. stat follows the link, which needs
 * ptrace read access (proc(5)): an unprivileged caller sees only its own.
 * Returns 1 when anything was visible.
 */
static int read_proc(int dirfd, pid_t pid, struct cell_ns_proc *p)
{
	struct stat st;
	char path[32];
	bool any = false;

	*p = (struct cell_ns_proc){ .pid = pid };
	if (fstat(dirfd, &st) < 0)
		return 0;
	p->uid = st.st_uid;
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		snprintf(path, sizeof(path), "ns/%s", cell_ns_info(t)->proc_name);
		if (fstatat(dirfd, path, &st, 0) == 0) {
			p->ns[t] = st.st_ino;
			any = true;
		}
	}
	if (cell_read_at(dirfd, "comm", p->comm, sizeof(p->comm), NULL) > 0)
		p->comm[strcspn(p->comm, "\n")] = '\0';
	return any;
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int scan_procs(int procfd, struct cell_ns_list *list, struct cell_error *err)
{
	DIR *d = fdopendir(dup(procfd));
	struct dirent *de;
	int r = 0;

	if (!d)
		return cell_error_set(err, errno, "read /proc");
	while ((de = readdir(d)) && r == 0) {
		struct cell_ns_proc p;

		if (!is_pid_name(de->d_name))
			continue;
		cleanup_close int dirfd =
			openat(procfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0 && read_proc(dirfd, (pid_t)atoi(de->d_name), &p) > 0)
			r = add_proc(list, &p);
	}
	closedir(d);
	return r < 0 ? cell_error_set(err, -r, "list processes") : 0;
}

static int compare_pid(const void *a, const void *b)
{
	const struct cell_ns_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every namespace of every process; procs are in pid order, so the first is the lowest. */
static int entries_from_procs(const char *proc, struct cell_ns_list *list, struct cell_error *err)
{
	char path[64];

	qsort(list->procs, list->n_procs, sizeof(*list->procs), compare_pid);
	for (size_t i = 0; i < list->n_procs; i++) {
		const struct cell_ns_proc *p = &list->procs[i];

		for (int t = 0; t < CELL_NS_COUNT; t++) {
			struct cell_ns_entry *e;

			if (!p->ns[t])
				continue;
			snprintf(path, sizeof(path), "%s/%d/ns/%s", proc, p->pid,
				 cell_ns_info(t)->proc_name);
			e = get_entry(list, t, p->ns[t], path);
			if (!e)
				return cell_error_set(err, ENOMEM, "namespace list");
			if (!e->nprocs++) {
				e->pid = p->pid;
				e->pid_uid = p->uid;
			}
			e->holders |= CELL_NS_HELD_PROCESS;
		}
	}
	return 0;
}

/* ---- file descriptors and mounts --------------------------------------- */

static int scan_fds_of(int procfd, const char *proc, pid_t pid, struct cell_ns_list *list)
{
	char dir[32], link[64], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "%d/fd", pid);
	fd = openat(procfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		safe_close(fd);
		return 0; /* not ours to look into, or gone */
	}
	while ((de = readdir(d))) {
		enum cell_ns_type type;
		uint64_t ino;
		ssize_t len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

		if (len <= 0)
			continue;
		link[len] = '\0';
		if (cell_ns_parse_link(link, &type, &ino) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%d/fd/%s", proc, pid, de->d_name);
		struct cell_ns_entry *e = get_entry(list, type, ino, path);
		if (!e) {
			closedir(d);
			return -ENOMEM;
		}
		e->holders |= CELL_NS_HELD_FD;
	}
	closedir(d);
	return 0;
}

static int scan_fds(int procfd, const char *proc, struct cell_ns_list *list, struct cell_error *err)
{
	size_t n = list->n_procs;

	for (size_t i = 0; i < n; i++)
		if (scan_fds_of(procfd, proc, list->procs[i].pid, list) < 0)
			return cell_error_set(err, ENOMEM, "namespace list");
	return 0;
}

static int scan_mounts(const char *proc, struct cell_ns_list *list, struct cell_error *err)
{
	char path[64], point[4096];
	cleanup_free char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/self/mountinfo", proc);
	f = fopen(path, "re");
	if (!f)
		return cell_error_set(err, errno, "open %s", path);
	while (r == 0 && getline(&line, &cap, f) > 0) {
		struct cell_ns_entry *e;
		enum cell_ns_type type;
		uint64_t ino;

		if (!cell_ns_parse_mountinfo_line(line, point, sizeof(point), &type, &ino))
			continue;
		e = get_entry(list, type, ino, point);
		if (!e || cell_strv_append(&e->mounts, point) < 0)
			r = -ENOMEM;
		else
			e->holders |= CELL_NS_HELD_MOUNT;
	}
	fclose(f);
	return r < 0 ? cell_error_set(err, -r, "namespace list") : 0;
}

/* ---- what the kernel says ---------------------------------------------- */

static uint64_t ioctl_ino(int fd, unsigned long request)
{
	struct stat st;
	int r = ioctl(fd, request);

	if (r < 0)
		return 0; /* EPERM: outside the caller's user namespace; ENOTTY/EINVAL: none */
	if (fstat(r, &st) < 0)
		st.st_ino = 0;
	close(r);
	return st.st_ino;
}

static void query_entry(struct cell_ns_entry *e)
{
	cleanup_close int fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	uid_t uid;

	if (fd < 0)
		return; /* gone since the scan */
	if (e->type == CELL_NS_PID || e->type == CELL_NS_USER)
		e->parent = ioctl_ino(fd, NS_GET_PARENT);
	if (e->type == CELL_NS_USER) {
		e->owner = e->parent;
		if (ioctl(fd, NS_GET_OWNER_UID, &uid) == 0)
			e->has_owner_uid = true, e->owner_uid = uid;
		return;
	}
	cleanup_close int userns = ioctl(fd, NS_GET_USERNS);
	struct stat st;

	if (userns < 0 || fstat(userns, &st) < 0)
		return;
	e->owner = st.st_ino;
	if (ioctl(userns, NS_GET_OWNER_UID, &uid) == 0)
		e->has_owner_uid = true, e->owner_uid = uid;
}

/* The command line, as ps shows it; a kernel thread has none, so its comm. */
static void read_command(int procfd, struct cell_ns_list *list, struct cell_ns_entry *e)
{
	char path[32], buf[4096];
	ssize_t len;

	snprintf(path, sizeof(path), "%d/cmdline", e->pid);
	len = cell_read_at(procfd, path, buf, sizeof(buf), NULL);
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (len > 0 && buf[len - 1] == ' ')
		buf[--len] = '\0';
	if (len <= 0) {
		struct cell_ns_proc key = { .pid = e->pid }, *p;

		p = bsearch(&key, list->procs, list->n_procs, sizeof(key), compare_pid);
		snprintf(buf, sizeof(buf), "%s", p ? p->comm : "");
	}
	e->command = strdup(buf);
}

/* ---- filter, order, scan ----------------------------------------------- */

static int compare_entry(const void *a, const void *b)
{
	const struct cell_ns_entry *x = a, *y = b;

	if (x->ino != y->ino)
		return (x->ino > y->ino) - (x->ino < y->ino);
	return (x->type > y->type) - (x->type < y->type);
}

static bool wanted(const struct cell_ns_entry *e, const struct cell_ns_scan_options *o,
		   const struct cell_ns_proc *target)
{
	if (o->types && !(o->types & CELL_NS_MASK(e->type)))
		return false;
	return !target || target->ns[e->type] == e->ino;
}

static int filter(struct cell_ns_list *list, const struct cell_ns_scan_options *o,
		  struct cell_error *err)
{
	struct cell_ns_proc key = { .pid = o->pid }, *target = NULL;
	size_t kept = 0;

	if (o->pid) {
		target = bsearch(&key, list->procs, list->n_procs, sizeof(key), compare_pid);
		if (!target)
			return cell_error_set(err, ESRCH, "process %d", o->pid);
	}
	for (size_t i = 0; i < list->n; i++) {
		if (wanted(&list->ns[i], o, target))
			list->ns[kept++] = list->ns[i];
		else
			entry_free(&list->ns[i]);
	}
	list->n = kept;
	return 0;
}

/* Fail early and clearly when the one process asked about cannot be seen. */
static int check_pid(int procfd, pid_t pid, struct cell_error *err)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "%d", pid);
	if (fstatat(procfd, path, &st, 0) < 0)
		return cell_error_set(err, ESRCH, "process %d", pid);
	snprintf(path, sizeof(path), "%d/ns/user", pid);
	if (fstatat(procfd, path, &st, 0) < 0)
		return cell_error_set(err, errno, "namespaces of process %d (not yours to see)",
				      pid);
	return 0;
}

int cell_ns_scan(const struct cell_ns_scan_options *opts, struct cell_ns_list *list,
		 struct cell_error *err)
{
	const char *proc = opts->proc ? opts->proc : "/proc";
	cleanup_close int procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	memset(list, 0, sizeof(*list));
	if (procfd < 0)
		return cell_error_set(err, errno, "open %s", proc);
	if (opts->pid && (r = check_pid(procfd, opts->pid, err)) < 0)
		return r;
	if ((r = scan_procs(procfd, list, err)) < 0 ||
	    (r = entries_from_procs(proc, list, err)) < 0 ||
	    (r = scan_fds(procfd, proc, list, err)) < 0 || (r = scan_mounts(proc, list, err)) < 0 ||
	    (r = filter(list, opts, err)) < 0) {
		cell_ns_list_free(list);
		return r;
	}
	for (size_t i = 0; i < list->n; i++) {
		query_entry(&list->ns[i]);
		if (list->ns[i].pid)
			read_command(procfd, list, &list->ns[i]);
	}
	qsort(list->ns, list->n, sizeof(*list->ns), compare_entry);
	return 0;
}

int cell_ns_open_path(const char *path, int type, enum cell_ns_type *found, struct cell_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int kind;

	if (fd < 0)
		return cell_error_set(err, errno, "namespace file %s", path);
	kind = ioctl(fd, NS_GET_NSTYPE);
	if (kind < 0)
		return cell_error_set(err, 0,
				      "%s is not a namespace file (no nsfs: pin one with "
				      "cell ns pin)",
				      path);
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		if (cell_ns_info(t)->clone_flag != kind)
			continue;
		if (type >= 0 && t != type)
			return cell_error_set(err, 0, "%s is a %s namespace, not a %s namespace",
					      path, cell_ns_info(t)->name,
					      cell_ns_info(type)->name);
		if (found)
			*found = (enum cell_ns_type)t;
		return take_fd(&fd);
	}
	return cell_error_set(err, 0, "%s: namespace type 0x%x unknown to cell", path, kind);
}
