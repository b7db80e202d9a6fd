/*
 * cell — uid/gid maps of a new user namespace (user_namespaces(7)).
 *
 * Root writes /proc/PID/{uid,gid}_map itself. An unprivileged user may write
 * only a single line mapping its own id, and the gid map only after
 * /proc/PID/setgroups says "deny" (CVE-2014-8989: dropping supplementary
 * groups could otherwise grant access). Anything wider goes through the
 * setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_internal.h"
#include "utils.h"

/*
 * The kernel refuses a uid_map/gid_map write with more lines than this
 * (UID_GID_MAP_MAX_EXTENTS, raised from 5 to 340 in Linux 4.15).
 */
#define ID_MAP_MAX_EXTENTS 340

/* ---- id mappings ------------------------------------------------------- */

/*
 * Why the kernel would refuse @m, or NULL. It rejects ranges that wrap or
 * reach id 4294967295, which is (uid_t)-1, "no id" (map_write() in
 * kernel/user_namespace.c): start + size must stay <= 4294967295.
 */
static const char *id_map_problem(const struct cell_id_map *m, int *errnum)
{
	*errnum = 0;
	if (m->size == 0)
		return "the size must be at least 1";
	*errnum = ERANGE;
	if ((uint64_t)m->container_id + m->size > UINT32_MAX)
		return "the container range goes past id 4294967294";
	if ((uint64_t)m->host_id + m->size > UINT32_MAX)
		return "the host range goes past id 4294967294";
	*errnum = 0;
	return NULL;
}

/* One unsigned 32-bit decimal at *@p, advancing it; digits only. */
static int parse_u32(const char **p, uint32_t *out)
{
	uint64_t v = 0;
	const char *q = *p;

	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	for (; isdigit((unsigned char)*q); q++) {
		v = v * 10 + (uint64_t)(*q - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*p = q;
	*out = (uint32_t)v;
	return 0;
}

/* @n colon-separated unsigned 32-bit decimals, the whole of @s; -EINVAL or -ERANGE. */
static int parse_u32_fields(const char *s, uint32_t *const fields[], size_t n)
{
	const char *p = s;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && *p++ != ':')
			return -EINVAL;
		r = parse_u32(&p, fields[i]);
		if (r < 0)
			return r;
	}
	return *p ? -EINVAL : 0;
}

int cell_parse_id_map(const char *s, struct cell_id_map *out, struct cell_error *err)
{
	struct cell_id_map m;
	uint32_t *const fields[] = { &m.container_id, &m.host_id, &m.size };
	const char *why;
	int r, errnum;

	if (!s)
		return cell_error_set(err, 0, "invalid id mapping: expected CONTAINER:HOST:SIZE");
	r = parse_u32_fields(s, fields, 3);
	if (r == -ERANGE)
		return cell_error_set(
			err, ERANGE,
			"invalid id mapping '%s': ids and sizes must be at most %" PRIu32, s,
			UINT32_MAX);
	if (r < 0)
		return cell_error_set(
			err, 0,
			"invalid id mapping '%s': expected CONTAINER:HOST:SIZE, three "
			"unsigned decimal numbers",
			s);
	why = id_map_problem(&m, &errnum);
	if (why)
		return cell_error_set(err, errnum, "invalid id mapping '%s': %s", s, why);
	*out = m;
	return 0;
}

static bool ranges_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
	/* Half-open [a, a+size_a) and [b, b+size_b); sums fit in 64 bits. */
	return (uint64_t)a < (uint64_t)b + size_b && (uint64_t)b < (uint64_t)a + size_a;
}

/* The kernel refuses overlapping extents on either side: user_namespaces(7). */
static int id_maps_check_overlap(const struct cell_id_map *maps, size_t n, const char *field,
				 struct cell_error *err)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			const struct cell_id_map *a = &maps[i], *b = &maps[j];
			const char *where = NULL;

			if (ranges_overlap(a->container_id, b->container_id, a->size, b->size))
				where = "inside the container";
			else if (ranges_overlap(a->host_id, b->host_id, a->size, b->size))
				where = "on the host";
			if (where)
				return cell_error_set(err, 0,
						      "%s: ranges %" PRIu32 ":%" PRIu32 ":%" PRIu32
						      " and %" PRIu32 ":%" PRIu32 ":%" PRIu32
						      " overlap %s",
						      field, a->container_id, a->host_id, a->size,
						      b->container_id, b->host_id, b->size, where);
		}
	}
	return 0;
}

/* Everything the kernel checks in map_write(), so a bad map fails before any namespace exists. */
int cell_id_maps_check(const struct cell_id_map *maps, size_t n, const char *field,
		       struct cell_error *err)
{
	const char *why;
	int errnum;

	if (n == 0)
		return cell_error_set(err, 0, "%s: no mappings", field);
	if (n > ID_MAP_MAX_EXTENTS)
		return cell_error_set(err, 0, "%s: %zu mappings, the kernel accepts at most %d",
				      field, n, ID_MAP_MAX_EXTENTS);
	for (size_t i = 0; i < n; i++) {
		why = id_map_problem(&maps[i], &errnum);
		if (why)
			return cell_error_set(
				err, errnum,
				"%s: invalid mapping %" PRIu32 ":%" PRIu32 ":%" PRIu32 ": %s",
				field, maps[i].container_id, maps[i].host_id, maps[i].size, why);
	}
	return id_maps_check_overlap(maps, n, field, err);
}

/* ---- /etc/subuid, /etc/subgid ------------------------------------------ */

/*
 * One "name:start:count" line of @user or of @id_str, the numeric id.
 * Returns 1 and fills @out (host_id = start, size = count, container_id = 0)
 * when the line is well formed and belongs to the user, 0 otherwise.
 */
static int subid_line_match(char *line, const char *user, const char *id_str,
			    struct cell_id_map *out)
{
	struct cell_id_map m = { 0 };
	uint32_t *const fields[] = { &m.host_id, &m.size };
	char *colon = strchr(line, ':');
	int unused;

	if (!colon)
		return 0;
	*colon = '\0';
	if (!(user && strcmp(line, user) == 0) && strcmp(line, id_str) != 0)
		return 0;
	if (parse_u32_fields(colon + 1, fields, 2) < 0 || id_map_problem(&m, &unused))
		return 0;
	*out = m;
	return 1;
}

static int subid_append(struct cell_id_map **out, size_t *n, const struct cell_id_map *m)
{
	struct cell_id_map *grown = reallocarray(*out, *n + 1, sizeof(**out));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = *m;
	*out = grown;
	return 0;
}

/*
 * Lines that do not parse are skipped, as shadow's own tools (newuidmap,
 * useradd) skip them; so are ranges the kernel would refuse (count 0, or
 * past id 4294967294). The owner field matches @user by name or @id as
 * its exact decimal string ("01000" is not uid 1000), as in shadow's
 * list_owner_ranges(). A missing file means no ranges, not an error.
 */
int cell_subid_ranges(const char *file, const char *user, uint32_t id, struct cell_id_map **out,
		      size_t *n, struct cell_error *err)
{
	cleanup_free char *line = NULL;
	size_t line_size = 0;
	char id_str[16];
	FILE *f;
	int r = 0;

	*out = NULL;
	*n = 0;
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "open %s", file);
	snprintf(id_str, sizeof(id_str), "%" PRIu32, id);
	for (;;) {
		struct cell_id_map m;
		ssize_t len;

		errno = 0;
		len = getline(&line, &line_size, f);
		if (len < 0) {
			r = errno ? -errno : 0; /* errno stays 0 at end of file */
			break;
		}
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] == '#' || !subid_line_match(line, user, id_str, &m))
			continue;
		r = subid_append(out, n, &m);
		if (r < 0)
			break;
	}
	fclose(f);
	if (r < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return cell_error_set(err, -r, "read %s", file);
	}
	return 0;
}

/* ---- uid_map text ------------------------------------------------------ */

/*
 * Whole or nothing: the kernel takes a map in one write(2) of at most one
 * page, so a cut map must not look like a shorter valid one. On failure
 * @buf holds "" (when @size allows).
 */
int cell_format_id_map(const struct cell_id_map *maps, size_t n, char *buf, size_t size,
		       struct cell_error *err)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
				 "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", maps[i].container_id,
				 maps[i].host_id, maps[i].size);

		len += (size_t)w;
	}
	if (len >= size || len > INT_MAX) {
		if (size > 0)
			buf[0] = '\0';
		return cell_error_set(err, 0,
				      "id map of %zu mappings needs %zu bytes, more than the %zu "
				      "available",
				      n, len + 1, size);
	}
	buf[len] = '\0';
	return (int)len;
}

bool cell_id_maps_contain(const struct cell_id_map *maps, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size)
			return true;
	return false;
}

bool cell_id_maps_have_host(const struct cell_id_map *maps, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= maps[i].host_id && id - maps[i].host_id < maps[i].size)
			return true;
	return false;
}

/* ---- writing the maps --------------------------------------------------- */

static bool is_self_map(const struct cell_id_map *maps, size_t n, uint32_t self)
{
	return n == 1 && maps[0].host_id == self && maps[0].size == 1;
}

bool cell_idmap_direct(const struct cell_spec *spec)
{
	const struct cell_linux *l = &spec->linux;

	return geteuid() == 0 || (is_self_map(l->uid_mappings, l->n_uid_mappings, geteuid()) &&
				  is_self_map(l->gid_mappings, l->n_gid_mappings, getegid()));
}

/* /proc/PID/FILE, or /proc/self/FILE for @pid 0 */
static void proc_path(char *path, size_t size, pid_t pid, const char *file)
{
	if (pid)
		snprintf(path, size, "/proc/%d/%s", (int)pid, file);
	else
		snprintf(path, size, "/proc/self/%s", file);
}

static int write_map_file(pid_t pid, const char *file, const struct cell_id_map *maps, size_t n,
			  struct cell_error *err)
{
	char path[64], buf[4096];
	int r;

	proc_path(path, sizeof(path), pid, file);
	if ((r = cell_format_id_map(maps, n, buf, sizeof(buf), err)) < 0)
		return r;
	return cell_write_at(AT_FDCWD, path, buf, strlen(buf), err);
}

/* Read what the helper said on stderr, so the one error line carries its reason. */
static void read_helper_stderr(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static int run_map_helper(const char *helper, pid_t pid, const struct cell_id_map *maps, size_t n,
			  struct cell_error *err)
{
	char pidbuf[16], nums[340 * 3][11], reason[512];
	char *argv[340 * 3 + 3];
	size_t argc = 0;
	int pipefd[2], status;
	pid_t child;

	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	argv[argc++] = (char *)helper;
	argv[argc++] = pidbuf;
	for (size_t i = 0; i < n && i < 340; i++) {
		uint32_t v[3] = { maps[i].container_id, maps[i].host_id, maps[i].size };

		for (int j = 0; j < 3; j++) {
			snprintf(nums[i * 3 + j], sizeof(nums[0]), "%u", v[j]);
			argv[argc++] = nums[i * 3 + j];
		}
	}
	argv[argc] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "%s: pipe", helper);
	child = fork();
	if (child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return cell_error_set(err, errno, "%s: fork", helper);
	}
	if (child == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		execvp(helper, argv);
		dprintf(STDERR_FILENO, "%s", strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	read_helper_stderr(pipefd[0], reason, sizeof(reason));
	close(pipefd[0]);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return cell_error_set(err, errno, "%s: waitpid", helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cell_error_set(err, ENOENT,
				      "id mappings beyond your own id need %s "
				      "(Debian package uidmap): %s",
				      helper, reason);
	return cell_error_set(err, EPERM, "%s refused the mapping (%s; see /etc/sub%cid)", helper,
			      reason[0] ? reason : "no reason given", helper[3] == 'u' ? 'u' : 'g');
}

int cell_idmap_write(pid_t pid, const struct cell_spec *spec, bool deny_setgroups,
		     struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	int r;

	if (!cell_idmap_direct(spec)) {
		if ((r = run_map_helper("newuidmap", pid, l->uid_mappings, l->n_uid_mappings,
					err)) < 0)
			return r;
		return run_map_helper("newgidmap", pid, l->gid_mappings, l->n_gid_mappings, err);
	}
	return cell_userns_map(pid, l->uid_mappings, l->n_uid_mappings, l->gid_mappings,
			       l->n_gid_mappings, geteuid() != 0 || deny_setgroups, err);
}

/* ---- who makes a user namespace -------------------------------------- */

/*
 * What a user namespace's processes hold of the kernel's per-user counts
 * (inotify instances and watches, message queue bytes, pending signals,
 * locked memory, processes, user namespaces) is charged to their uid there
 * and, in every namespace above, to the uid that made the namespace, against
 * that namespace's limits (kernel/ucount.c: inc_ucount() and
 * inc_rlimit_ucounts() walk ns->ucounts up). A namespace root makes is
 * charged to root: with fs.inotify.max_user_instances at 128, one container
 * could leave every root daemon of the host without inotify. Made by the
 * host uid of the container's root, it is charged to that uid, the
 * container's own.
 */
uint32_t cell_userns_owner(const struct cell_id_map *uid, size_t n, uint32_t process_uid)
{
	uint32_t ids[2] = { 0, process_uid };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < n; i++)
			if (ids[k] >= uid[i].container_id &&
			    ids[k] - uid[i].container_id < uid[i].size)
				return uid[i].host_id + (ids[k] - uid[i].container_id);
	return 0;
}

/*
 * Only this thread's effective uid changes, by the raw system call (glibc's
 * setresuid(3) would change every thread's); the saved one stays, so it can
 * be taken back. The change clears the effective capabilities, and
 * setfsuid(0) gives the file system ones back (capabilities(7)), so that
 * CLONE_INTO_CGROUP may still write cgroup.procs. A change of effective uid
 * also clears the parent-death signal and makes the memory non-dumpable
 * (commit_creds()): the end restores both.
 */
int cell_userns_owner_begin(uint32_t owner, struct cell_userns_owner *o, struct cell_error *err)
{
	*o = (struct cell_userns_owner){ .euid = geteuid() };
	if (!owner || o->euid != 0)
		return 0;
	(void)prctl(PR_GET_PDEATHSIG, &o->pdeath);
	if (o->pdeath)
		o->ppid = getppid();
	o->dumpable = prctl(PR_GET_DUMPABLE);
	if (syscall(SYS_setresuid, -1, owner, -1) < 0)
		return cell_error_set(err, errno,
				      "setresuid: make the user namespace as host uid %u", owner);
	syscall(SYS_setfsuid, 0);
	o->on = true;
	return 0;
}

int cell_userns_owner_end(struct cell_userns_owner *o, struct cell_error *err)
{
	if (!o->on)
		return 0;
	o->on = false;
	if (syscall(SYS_setresuid, -1, o->euid, -1) < 0)
		return cell_error_set(err, errno, "setresuid: back to effective uid %u",
				      (unsigned)o->euid);
	if (o->dumpable == 1)
		(void)prctl(PR_SET_DUMPABLE, 1);
	if (o->pdeath) {
		(void)prctl(PR_SET_PDEATHSIG, o->pdeath);
		if (getppid() != o->ppid) /* the parent died meanwhile */
			raise(o->pdeath);
	}
	return 0;
}

/*
 * The child that carries a new user namespace until its maps are written
 * and it is opened: it waits for the pipe's end-of-file, then leaves.
 * Without ASan it shares the parent's memory (CLONE_VM), so no page table is
 * copied at the clone nor torn down at its exit: a fork here cost about 1 ms
 * of every judged run (bench/judge). It calls syscall(2) only, no other C
 * library function: it shares the parent's heap and errno, and the parent
 * goes on meanwhile. syscall(2) writes errno only on failure, and none of
 * these fails: the fds are valid, and read(2) returns 0 at end-of-file; no
 * handler interrupts it (EINTR), as cell installs none before init's own.
 */
struct userns_holder {
	int pipe_rd, pipe_wr;
};

static int hold_userns(void *arg)
{
	const struct userns_holder *h = arg;
	char byte;

	syscall(SYS_close, h->pipe_wr);
	/* Nothing to read: returns at EOF, when the parent is done. */
	syscall(SYS_read, h->pipe_rd, &byte, 1);
	syscall(SYS_exit_group, 0);
	return 0;
}

static pid_t clone_userns_holder(struct userns_holder *h, void *stack_top)
{
#if CELL_ASAN
	/* ASan cannot follow a switch to a stack it did not make: fork there. */
	struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	(void)stack_top;
	if (pid == 0)
		hold_userns(h);
	return (pid_t)pid;
#else
	return clone(hold_userns, stack_top, CLONE_NEWUSER | CLONE_VM | SIGCHLD, h);
#endif
}

int cell_userns_map(pid_t pid, const struct cell_id_map *uid, size_t n_uid,
		    const struct cell_id_map *gid, size_t n_gid, bool deny_setgroups,
		    struct cell_error *err)
{
	char path[64];
	int r;

	if (deny_setgroups) {
		proc_path(path, sizeof(path), pid, "setgroups");
		if ((r = cell_write_at(AT_FDCWD, path, "deny", 4, err)) < 0)
			return r;
	}
	if ((r = write_map_file(pid, "uid_map", uid, n_uid, err)) < 0)
		return r;
	return write_map_file(pid, "gid_map", gid, n_gid, err);
}

/*
 * A user namespace made only to carry @uid/@gid maps (for mount_setattr(2)
 * MOUNT_ATTR_IDMAP, or to be joined: mount_lock.c): a child is born in it,
 * the maps are written, its namespace is opened, and the child ends when the
 * pipe closes. @what names the use in errors.
 */
int cell_userns_for_maps(const struct cell_id_map *uid, size_t n_uid, const struct cell_id_map *gid,
			 size_t n_gid, bool deny_setgroups, uint32_t owner, const char *what,
			 struct cell_error *err)
{
	struct cell_userns_owner as;
	/* the holder's stack: in this frame, which outlives it (waitpid below) */
	char stack[16384] __attribute__((aligned(16)));
	struct userns_holder h;
	char path[64];
	int pipefd[2], fd = -1, r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "%s: pipe", what);
	h = (struct userns_holder){ .pipe_rd = pipefd[0], .pipe_wr = pipefd[1] };
	if ((r = cell_userns_owner_begin(owner, &as, err)) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	pid_t pid = clone_userns_holder(&h, stack + sizeof(stack));
	int e = errno;

	close(pipefd[0]);
	r = cell_userns_owner_end(&as, err);
	if (pid < 0 || r < 0) {
		close(pipefd[1]);
		if (pid > 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		return pid < 0 ? cell_error_set(err, e, "%s: new user namespace", what) : r;
	}
	r = cell_userns_map((pid_t)pid, uid, n_uid, gid, n_gid, deny_setgroups, err);
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = cell_error_set(err, errno, "%s: %s", what, path);
	}
	close(pipefd[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r < 0 ? r : fd;
}
