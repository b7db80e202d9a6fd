/*
 * cell — a root judge's boxes: a host uid and gid of their own.
 *
 * The kernel counts some things per user: inotify instances and watches,
 * message queue bytes, pending signals, locked memory, processes, user
 * namespaces (kernel/ucount.c). A box's processes are counted as their uid
 * on the host and as the uid that made the box's user namespace (cell makes
 * it as the box's root: container.c, cell_userns_owner_begin()). Boxes of one
 * uid at once would share those counts: one box holding 128 inotify
 * instances left the other's inotify_init1(2) failing with EMFILE, a channel
 * between them. So, as isolate does, every box at once gets an id of its
 * own: box N runs as host uid and gid FIRST + N, of a range no one else
 * uses (isolate's default, 60000 to 60999; --box-uids). A box is taken by
 * an open file description lock (F_OFD_SETLK) on byte N of one file,
 * JUDGE_LOCK_FILE, which the kernel lets go when the judge ends, however it
 * ends: two judges at once never share a box, and nothing is left to clean
 * up but the empty file itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "judge.h"
#include "utils.h"

#define JUDGE_LOCK_DIR "/run/cell"
#define JUDGE_LOCK_FILE JUDGE_LOCK_DIR "/judge.lock"

int cell_judge_box_id(const char *flag, const char *arg, struct cell_judge_cli *cli,
		      struct cell_error *err)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 0 || n >= JUDGE_MAX_BOXES)
		return cell_error_set(err, 0, "%s '%s': expected a box number from 0 to %d", flag,
				      arg, JUDGE_MAX_BOXES - 1);
	cli->box_id = n;
	return 0;
}

int cell_judge_box_ids(const char *flag, const char *arg, struct cell_judge_cli *cli,
		       struct cell_error *err)
{
	const char *given = arg;
	unsigned long long first, count;
	char *end;

	errno = 0;
	first = strtoull(arg, &end, 10);
	if (errno || end == arg || *end != ':' || arg[0] == '-')
		goto bad;
	arg = end + 1;
	count = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		goto bad;
	/* uid 0 is root's; (uid_t)-1 means "no id"; 65534 is nobody's */
	if (first < 1 || count < 1 || count > JUDGE_MAX_BOXES || first + count - 1 >= UINT32_MAX ||
	    (first <= 65534 && first + count > 65534))
		return cell_error_set(err, 0,
				      "%s %llu:%llu: expected FIRST >= 1 and 1 to %d ids, "
				      "below 4294967295, without root's 0 or nobody's 65534",
				      flag, first, count, JUDGE_MAX_BOXES);
	cli->box_first = (uint32_t)first;
	cli->box_count = (uint32_t)count;
	cli->box_ids_given = true;
	return 0;
bad:
	return cell_error_set(err, 0, "%s '%s': expected FIRST:COUNT", flag, given);
}

int cell_judge_box_check(const struct cell_judge_cli *cli, struct cell_error *err)
{
	long jobs = cli->batch_file ? cli->jobs : 1;

	if (cli->rootless && (cli->box_id >= 0 || cli->box_ids_given))
		return cell_error_set(err, 0, "%s is root's: a rootless box runs as your own uid",
				      cli->box_id >= 0 ? "--box-id" : "--box-uids");
	if (cli->box_id >= 0 && (uint64_t)cli->box_id + (uint64_t)jobs > cli->box_count)
		return cell_error_set(
			err, 0, "--box-id %ld: boxes %ld to %ld, but --box-uids has %" PRIu32,
			cli->box_id, cli->box_id, cli->box_id + jobs - 1, cli->box_count);
	return 0;
}

/* The lock file, made if it is not there yet (root's, in root's /run/cell). */
static int open_lock_file(struct cell_error *err)
{
	const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	int fd = open(JUDGE_LOCK_FILE, flags, 0600);

	if (fd < 0 && errno == ENOENT) { /* no /run/cell yet */
		if (mkdir(JUDGE_LOCK_DIR, 0700) < 0 && errno != EEXIST)
			return cell_error_set(err, errno, "mkdir %s", JUDGE_LOCK_DIR);
		fd = open(JUDGE_LOCK_FILE, flags, 0600);
	}
	if (fd < 0)
		return cell_error_set(err, errno, "open %s", JUDGE_LOCK_FILE);
	return fd;
}

/* 1: box @n is ours now; 0: another judge's; or -errno. */
static int lock_box(int fd, uint32_t n, struct cell_error *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = n, .l_len = 1 };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 1;
	if (errno == EAGAIN || errno == EACCES)
		return 0;
	return cell_error_set(err, errno, "lock byte %" PRIu32 " of %s", n, JUDGE_LOCK_FILE);
}

int cell_judge_boxes_take(struct cell_judge_cli *cli, uint32_t *boxes, size_t n,
			  struct cell_error *err)
{
	size_t got = 0;
	int r;

	if (cli->rootless || n == 0)
		return 0;
	if (!cli->have_box_lock) {
		if ((r = open_lock_file(err)) < 0)
			return r;
		cli->box_lock_fd = r;
		cli->have_box_lock = true;
	}
	if (cli->box_id >= 0) {
		for (; got < n; got++) {
			uint32_t b = (uint32_t)cli->box_id + (uint32_t)got;

			if ((r = lock_box(cli->box_lock_fd, b, err)) < 0)
				return r;
			if (r == 0)
				return cell_error_set(err, EBUSY,
						      "box %" PRIu32 " (host uid %" PRIu32
						      "): another judge has it (%s)",
						      b, cli->box_first + b, JUDGE_LOCK_FILE);
			boxes[got] = b;
		}
		return 0;
	}
	for (uint32_t b = 0; b < cli->box_count && got < n; b++) {
		if ((r = lock_box(cli->box_lock_fd, b, err)) < 0)
			return r;
		if (r)
			boxes[got++] = b;
	}
	if (got < n)
		return cell_error_set(err, EBUSY,
				      "%zu box%s wanted, %zu free of host uids %" PRIu32
				      " to %" PRIu32
				      " (other judges have the rest: %s; see --box-uids)",
				      n, n == 1 ? "" : "es", got, cli->box_first,
				      cli->box_first + cli->box_count - 1, JUDGE_LOCK_FILE);
	return 0;
}

void cell_judge_box_use(struct cell_judge_cli *cli, uint32_t box)
{
	struct cell_linux *l = &cli->run.spec.linux;

	if (cli->rootless)
		return;
	/* the judge's own maps (box_argv): one id each, the box's root */
	l->uid_mappings[0].host_id = cli->box_first + box;
	l->gid_mappings[0].host_id = cli->box_first + box;
}
