/*
 * cell wait, cell logs — what a detached container leaves for later: its
 * command's exit status (written by its init) and, for `cell run -d` from
 * flags, its output.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"
#include "utils.h"

static const char wait_usage[] =
	"Usage: cell wait CONTAINER-ID\n"
	"\n"
	"Wait until the container's command ends and print its exit status (128+N when\n"
	"signal N ended it), as docker wait does. For containers of `cell run -d` from\n"
	"flags, whose init writes the status to the state directory; a stopped one\n"
	"answers at once. Exit status 0, or 125 when there is no status to give (the\n"
	"init was killed, the container ran without one (--no-init), or it came from\n"
	"a bundle, whose containers are runc's).\n";

static const char logs_usage[] =
	"Usage: cell logs [-f|--follow] CONTAINER-ID\n"
	"\n"
	"Print what the command of a `cell run -d` container wrote to stdout and stderr\n"
	"(both in one file of its state directory, ROOT/ID/log, kept until cell delete).\n"
	"Containers from a bundle write where their caller's stdio went, as runc's.\n"
	"\n"
	"  -f, --follow   keep printing what it writes until it ends\n";

/* Block until the container's first process has exited (it is not our child). */
static void wait_exit(const struct cell_state *st)
{
	int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	while (cell_state_pid_alive(st)) {
		/* a pidfd is readable once the process exits; a zombie counts as gone */
		if (pidfd < 0 || poll(&p, 1, 1000) < 0)
			usleep(100000);
	}
	safe_close(pidfd);
}

static int read_exit_status(const char *root, const char *id, int *status, struct cell_error *err)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int r;

	if ((r = cell_state_path(root, id, "exit.status", path, sizeof(path), err)) < 0)
		return r;
	n = cell_read_at(AT_FDCWD, path, buf, sizeof(buf), NULL);
	if (n <= 0 || sscanf(buf, "%d", status) != 1)
		return cell_error_set(err, ENODATA,
				      "container %s ended without reporting its status "
				      "(its init was killed, or it ran without one)",
				      id);
	return 0;
}

int cell_cmd_wait(const struct cell_global *g, int argc, char **argv)
{
	struct cell_error err = { 0 };
	struct cell_state st;
	int status;

	if (cell_cli_wants_help(argc, argv, wait_usage))
		return 0;
	if (argc != 2) {
		fputs(wait_usage, stderr);
		return CELL_EXIT_FAILURE;
	}
	if (cell_state_load(g->root, argv[1], &st, &err) < 0)
		return cell_cli_fail(g, &err);
	wait_exit(&st);
	cell_state_free(&st);
	if (read_exit_status(g->root, argv[1], &status, &err) < 0)
		return cell_cli_fail(g, &err);
	printf("%d\n", cell_exit_status(status));
	return 0;
}

/* Copy what @fd holds from where it is to its end; -errno on a failed write. */
static int copy_out(int fd, struct cell_error *err)
{
	char buf[65536];
	ssize_t n, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n; off += w)
			if ((w = write(STDOUT_FILENO, buf + off, (size_t)(n - off))) < 0)
				return cell_error_set(err, errno, "logs: write to stdout");
	return n < 0 ? cell_error_set(err, errno, "logs: read") : 0;
}

static int follow(int fd, const struct cell_state *st, struct cell_error *err)
{
	int r;

	/* a log has no writer to wait on: poll the file while the command runs */
	while (cell_state_pid_alive(st)) {
		if ((r = copy_out(fd, err)) < 0)
			return r;
		usleep(100000);
	}
	return copy_out(fd, err); /* what it wrote last */
}

int cell_cmd_logs(const struct cell_global *g, int argc, char **argv)
{
	struct cell_error err = { 0 };
	struct cell_state st;
	char path[PATH_MAX];
	bool follow_on = false;
	const char *id = NULL;
	int fd, r;

	if (cell_cli_wants_help(argc, argv, logs_usage))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow_on = true;
		else if (!id && argv[i][0] != '-')
			id = argv[i];
		else
			id = NULL, i = argc;
	}
	if (!id) {
		fputs(logs_usage, stderr);
		return CELL_EXIT_FAILURE;
	}
	if (cell_state_load(g->root, id, &st, &err) < 0)
		return cell_cli_fail(g, &err);
	if ((r = cell_state_path(g->root, id, "log", path, sizeof(path), &err)) < 0 ||
	    ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
	     (r = cell_error_set(&err, errno,
				 "container %s has no log %s (only `cell run -d` "
				 "from flags keeps one)",
				 id, path)) < 0)) {
		cell_state_free(&st);
		return cell_cli_fail(g, &err);
	}
	r = follow_on ? follow(fd, &st, &err) : copy_out(fd, &err);
	close(fd);
	cell_state_free(&st);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}
