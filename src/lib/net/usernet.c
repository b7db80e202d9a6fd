/*
 * cell — user-mode networking for unprivileged users: pasta (passt) or
 * slirp4netns, started by the parent with the container's PID and stopped
 * at teardown. Neither needs privilege beyond the container's own user
 * namespace, which they join through /proc/PID/ns.
 *
 *   pasta        forks into the background once the netns is configured
 *                (--config-net); its PID comes from --pid FILE
 *   slirp4netns  stays our child; --ready-fd says when it is up, closing
 *                --exit-fd stops it, -p goes through its API socket
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "net.h"
#include "utils.h"

extern char **environ;

/* Spawn @argv with default signals and nothing blocked (the parent blocks
 * the signals it forwards); @fds[i] becomes fd i (-1: /dev/null). */
static int spawn_helper(char *const argv[], const int fds[5], pid_t *pid, struct cell_error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	for (int i = 0; i < 5; i++) {
		if (fds[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
		else if (i < 3)
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
	}
	r = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r)
		return cell_error_set(err, r, "start %s", argv[0]);
	return 0;
}

static int add_arg(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_arg(char ***argv, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return cell_strv_append(argv, buf);
}

static bool joins_userns(pid_t pid)
{
	char path[64];
	struct stat self, child;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	return stat(path, &child) == 0 && stat("/proc/self/ns/user", &self) == 0 &&
	       self.st_ino != child.st_ino;
}

static int pasta_argv(char ***argv, const struct cell_network *net, pid_t pid, const char *dir)
{
	bool tcp = false, udp = false;
	int r = 0;

	r |= add_arg(argv, "pasta");
	r |= add_arg(argv, "--config-net");
	r |= add_arg(argv, "--quiet");
	r |= add_arg(argv, "--pid");
	r |= add_arg(argv, "%s/pasta.pid", dir);
	for (size_t i = 0; i < net->n_ports; i++) {
		const struct cell_port *p = &net->ports[i];

		r |= add_arg(argv, p->udp ? "-u" : "-t");
		r |= add_arg(argv, "%s%s%u:%u", p->host_ip, p->host_ip[0] ? "/" : "", p->host_port,
			     p->port);
		tcp |= !p->udp;
		udp |= p->udp;
	}
	/* pasta forwards every bound port by default; cell publishes only -p */
	if (!tcp)
		r |= add_arg(argv, "-t") | add_arg(argv, "none");
	if (!udp)
		r |= add_arg(argv, "-u") | add_arg(argv, "none");
	r |= add_arg(argv, "-T") | add_arg(argv, "none") | add_arg(argv, "-U") |
	     add_arg(argv, "none");
	r |= add_arg(argv, "%d", (int)pid);
	return r ? -ENOMEM : 0;
}

/*
 * The line of a helper's stderr that says why it failed. pasta and
 * slirp4netns print notices first ("Multiple default IPv4 routes, picked
 * first", "sent tapfd=5 for tap0") and the cause last ("Failed to open tun
 * socket in namespace: Permission denied", "open(\"/dev/net/tun\"):
 * Permission denied"): the last line that names a failure, else the last.
 */
static bool says_failure(const char *line)
{
	static const char *const words[] = { "fail",	"error",   "denied",
					     "cannot",	"can't",   "not permitted",
					     "no such", "invalid", "unable" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(line, words[i]))
			return true;
	return false;
}

static const char *explaining_line(char *text)
{
	const char *last = "", *failure = NULL;

	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!line[strspn(line, " \t\r")])
			continue;
		last = line;
		if (says_failure(line))
			failure = line;
	}
	return failure ? failure : last;
}

/* @fd holds what the helper wrote to stderr (a pipe or its log file, at offset 0). */
static int helper_failed(const char *name, int status, int fd, struct cell_error *err)
{
	char buf[4096] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *why;

	if (n < 0 && errno == ESPIPE)
		n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	why = explaining_line(buf);
	if (status < 0) /* still running, or its status unknown */
		return cell_error_set(err, 0, "%s exited before the network was up%s%s", name,
				      why[0] ? ": " : "", why);
	return cell_error_set(err, 0, "%s failed (%s %d)%s%s", name,
			      WIFEXITED(status) ? "exit" : "signal",
			      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			      why[0] ? ": " : "", why);
}

static int pasta_start(struct cell_usernet *u, const struct cell_network *net, pid_t pid,
		       const char *dir, struct cell_error *err)
{
	char **argv = NULL, path[PATH_MAX], text[32];
	int pipefd[2], status = 0, r;
	pid_t launcher;

	if (pasta_argv(&argv, net, pid, dir) < 0) {
		cell_strv_free(argv);
		return cell_error_set(err, ENOMEM, "pasta");
	}
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		cell_strv_free(argv);
		return cell_error_set(err, errno, "pipe");
	}
	r = spawn_helper(argv, (int[5]){ -1, -1, pipefd[1], -1, -1 }, &launcher, err);
	cell_strv_free(argv);
	close(pipefd[1]);
	/* pasta returns once the netns is configured, its daemon left running */
	if (r == 0 && waitpid(launcher, &status, 0) == launcher && status != 0)
		r = helper_failed("pasta", status, pipefd[0], err);
	close(pipefd[0]);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/pasta.pid", dir);
	if (cell_read_at(AT_FDCWD, path, text, sizeof(text), err) < 0)
		return cell_error_prefix(err, "pasta");
	u->pid = (pid_t)atoi(text);
	u->pidfd = (int)syscall(SYS_pidfd_open, u->pid, 0);
	if (u->pidfd < 0)
		return cell_error_set(err, errno, "pasta (pid %d)", (int)u->pid);
	return 0;
}

/* slirp4netns' API: one JSON request per connection, one answer. */
static int slirp_hostfwd(const char *sock_path, const struct cell_port *p, struct cell_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[256], answer[512] = "";
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int len;
	ssize_t n;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "slirp4netns API %s", sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	len = snprintf(req, sizeof(req),
		       "{\"execute\": \"add_hostfwd\", \"arguments\": "
		       "{\"proto\": \"%s\", \"host_addr\": \"%s\", \"host_port\": %u, "
		       "\"guest_port\": %u}}",
		       p->udp ? "udp" : "tcp", p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port,
		       p->port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, (size_t)len) != len)
		return cell_error_set(err, errno, "slirp4netns API %s", sock_path);
	shutdown(fd, SHUT_WR);
	n = read(fd, answer, sizeof(answer) - 1);
	answer[n > 0 ? n : 0] = '\0';
	if (!strstr(answer, "\"return\""))
		return cell_error_set(err, 0, "-p %u: slirp4netns refused: %s", p->host_port,
				      answer);
	return 0;
}

static int slirp_start(struct cell_usernet *u, const struct cell_network *net, pid_t pid,
		       const char *dir, struct cell_error *err)
{
	char **argv = NULL, sock[PATH_MAX], log[PATH_MAX], byte;
	int ready[2] = { -1, -1 }, quit[2] = { -1, -1 }, r = 0;

	snprintf(sock, sizeof(sock), "%s/slirp.sock", dir);
	/* Its stderr, for the reason it fails: a file, since the daemon outlives any reader
	 * (a pipe would give it EPIPE or SIGPIPE later). */
	snprintf(log, sizeof(log), "%s/slirp4netns.log", dir);
	cleanup_close int logfd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return cell_error_set(err, errno, "slirp4netns: %s", log);
	unlink(log); /* nothing left behind: the fd is enough */
	r |= add_arg(&argv, "slirp4netns") | add_arg(&argv, "--configure") |
	     add_arg(&argv, "--mtu=65520") | add_arg(&argv, "--ready-fd=3") |
	     add_arg(&argv, "--exit-fd=4") | add_arg(&argv, "--api-socket=%s", sock);
	if (joins_userns(pid))
		r |= add_arg(&argv, "--userns-path=/proc/%d/ns/user", (int)pid);
	r |= add_arg(&argv, "%d", (int)pid) | add_arg(&argv, "tap0");
	if (r || pipe2(ready, O_CLOEXEC) < 0 || pipe2(quit, O_CLOEXEC) < 0) {
		r = cell_error_set(err, r ? ENOMEM : errno, "slirp4netns");
		goto out;
	}
	if ((r = spawn_helper(argv, (int[5]){ -1, -1, logfd, ready[1], quit[0] }, &u->pid, err)) <
	    0)
		goto out;
	u->exit_fd = take_fd(&quit[1]);
	u->pidfd = (int)syscall(SYS_pidfd_open, u->pid, 0);
	close(ready[1]);
	ready[1] = -1;
	if (read(ready[0], &byte, 1) != 1) {
		r = helper_failed("slirp4netns", -1, logfd, err);
		goto out;
	}
	for (size_t i = 0; i < net->n_ports && r == 0; i++)
		r = slirp_hostfwd(sock, &net->ports[i], err);
out:
	cell_strv_free(argv);
	safe_close(ready[0]);
	safe_close(ready[1]);
	safe_close(quit[0]);
	safe_close(quit[1]);
	return r;
}

int cell_usernet_start(struct cell_usernet *u, const struct cell_network *net, pid_t pid,
		       const char *dir, struct cell_error *err)
{
	if (net->mode == CELL_NET_PASTA)
		return pasta_start(u, net, pid, dir, err);
	return slirp_start(u, net, pid, dir, err);
}

void cell_usernet_stop(struct cell_usernet *u)
{
	struct pollfd p = { .fd = u->pidfd, .events = POLLIN };

	if (u->pid <= 0)
		return;
	u->exit_fd = safe_close(u->exit_fd);
	if (u->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, u->pidfd, SIGTERM, NULL, 0);
		if (poll(&p, 1, 2000) == 0)
			syscall(SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
	}
	/* slirp4netns is our child; pasta's daemon is not (its launcher was) */
	waitpid(u->pid, NULL, __WALL | (u->pidfd >= 0 ? 0 : WNOHANG));
	u->pidfd = safe_close(u->pidfd);
	u->pid = 0;
}
