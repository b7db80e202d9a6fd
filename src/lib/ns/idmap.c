/*
 * cell — uid/gid maps of a new user namespace (user_namespaces(7)).
 *
 * Root writes /proc/PID/{uid,gid}_map itself. An unprivileged user may write
 * only a single line mapping its own id, and the gid map only after
 * /proc/PID/setgroups says "deny" (CVE-2014-8989: dropping supplementary
 * groups could otherwise grant access). Anything wider goes through the
 * setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_internal.h"
#include "utils.h"

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

static int write_map_file(pid_t pid, const char *file, const struct cell_id_map *maps, size_t n,
			  struct cell_error *err)
{
	char path[64], buf[4096];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
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
		return cell_error_set(err, ENOENT, "id mappings beyond your own id need %s "
				      "(Debian package uidmap): %s", helper, reason);
	return cell_error_set(err, EPERM, "%s refused the mapping (%s; see /etc/sub%cid)", helper,
			      reason[0] ? reason : "no reason given", helper[3] == 'u' ? 'u' : 'g');
}

int cell_idmap_write(pid_t pid, const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	char path[64];
	int r;

	if (!cell_idmap_direct(spec)) {
		if ((r = run_map_helper("newuidmap", pid, l->uid_mappings, l->n_uid_mappings,
					err)) < 0)
			return r;
		return run_map_helper("newgidmap", pid, l->gid_mappings, l->n_gid_mappings, err);
	}
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
		if ((r = cell_write_at(AT_FDCWD, path, "deny", 4, err)) < 0)
			return r;
	}
	if ((r = write_map_file(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err)) < 0)
		return r;
	return write_map_file(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}

/*
 * A user namespace made only to carry @uid/@gid maps (for mount_setattr(2)
 * MOUNT_ATTR_IDMAP, or to be joined: mount_lock.c): a child is born in it,
 * the maps are written, its namespace is opened, and the child ends when the
 * pipe closes. @what names the use in errors.
 */
int cell_userns_for_maps(const struct cell_id_map *uid, size_t n_uid,
			 const struct cell_id_map *gid, size_t n_gid, const char *what,
			 struct cell_error *err)
{
	struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	char path[64];
	int pipefd[2], fd = -1, r;
	char byte;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "%s: pipe", what);
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(pipefd[1]);
		/* Nothing to read: returns at EOF, when the parent is done. */
		(void)!read(pipefd[0], &byte, 1);
		_exit(0);
	}
	close(pipefd[0]);
	if (pid < 0) {
		close(pipefd[1]);
		return cell_error_set(err, errno, "%s: new user namespace", what);
	}
	if ((r = write_map_file((pid_t)pid, "uid_map", uid, n_uid, err)) == 0 &&
	    (r = write_map_file((pid_t)pid, "gid_map", gid, n_gid, err)) == 0) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = cell_error_set(err, errno, "%s: %s", what, path);
	}
	close(pipefd[1]);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r < 0 ? r : fd;
}
