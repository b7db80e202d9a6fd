/*
 * cell judge — one untrusted program through cell_run() (the one start path),
 * with a supervisor beside its wait (struct cell_run_watch): a timerfd that
 * polls the whole tree's CPU time and the wall clock, the collector of its
 * stdout and stderr, and the kill of the whole box when a limit is passed.
 *
 * Accounting. As root the box has a cgroup: CPU time (cpuacct.usage, v2
 * cpu.stat), the memory peak (memory.max_usage_in_bytes, v2 memory.peak),
 * OOM kills and pids.peak are the cgroup's, so they cover every process the
 * program made, also those that exited long before. Rootless, this host has
 * no delegated cgroup: the figures come from getrusage(2) of the box's PID 1,
 * which, being the pid namespace's init, reaps every process of the box, so
 * its RUSAGE_CHILDREN counts the tree (pid_namespaces(7)) but for processes
 * the kernel kills when PID 1 exits: those count from the supervisor's last
 * walk of the box's process tree in /proc, which also enforces the CPU
 * limit. The memory peak of the box as a whole and OOM kills cannot be
 * measured and are null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "judge.h"
#include "utils.h"

#define NSEC 1000000000LL
#define POLL_MIN_NS (2 * 1000000LL)  /* 2 ms: near a CPU limit */
#define POLL_MAX_NS (20 * 1000000LL) /* 20 ms: wall time and the process count */
#define READ_CHUNK 65536
#define TREE_MAX 8192 /* processes walked in /proc at most */

/* CPU time (ns) of a box's processes as /proc shows it, and their thread count. */
struct tree_usage {
	int64_t user, sys;
	uint64_t tasks;
};

/* One output stream: the pipe's read end and what the collector keeps. */
struct collected {
	int fd; /* read end, -1 at EOF */
	char *buf;
	size_t len, cap;
	bool truncated;
};

struct judge_run {
	const struct cell_judge_limits *lim;
	int stop_fd; /* cell_judge_shared.stop_fd, -1 when none */
	struct cell_judge_report *rep;
	int epfd, timerfd;
	int child_out, child_err; /* the box's ends, closed once it has them */
	struct collected out, err;
	struct timespec start;
	long ncpu;
	struct tree_usage polled; /* rootless: the largest CPU time /proc showed */
	/* a killed box: the cgroup's user/system split, for PID 1 may have died
	 * before it reaped (and so counted) the command; both 0 when unread */
	uint64_t cg_user_ns, cg_sys_ns;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * NSEC + t.tv_nsec;
}

static int64_t since_start_ns(const struct judge_run *j)
{
	return now_ns() - (j->start.tv_sec * NSEC + j->start.tv_nsec);
}

/* ---- the whole box ---- */

static void kill_box(struct judge_run *j, const struct cell_run_box *box, enum cell_judge_kill why)
{
	struct cell_error e = { 0 };

	if (j->rep->killed == CELL_JUDGE_KILL_NONE)
		j->rep->killed = why;
	if (why == CELL_JUDGE_KILL_STOP)
		snprintf(j->rep->message, sizeof(j->rep->message),
			 "the batch was stopped before this run ended");
	/*
	 * PID 1's death ends every process of its pid namespace, and no fork
	 * there succeeds once it began (pid_namespaces(7); the kernel's
	 * zap_pid_ns_processes disables PID allocation first): no fork escapes,
	 * so a judged box needs no v1 freezer (cell_cgroup_params.accounting).
	 * The cgroup's kill (cgroup.kill on v2, rounds of signals on v1) after
	 * it only hastens the rest.
	 */
	syscall(SYS_pidfd_send_signal, box->pidfd, SIGKILL, NULL, 0);
	if (box->cgroup && cell_cgroup_kill(box->cgroup, SIGKILL, &e) < 0)
		snprintf(j->rep->message, sizeof(j->rep->message), "kill: %s", e.msg);
	timerfd_settime(j->timerfd, 0, &(struct itimerspec){ 0 }, NULL);
}

/* Add /proc/PID/stat's utime+cutime and stime+cstime, and its threads, to @u. */
static void proc_usage(pid_t pid, struct tree_usage *u)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, cut, cst;
	long tk = sysconf(_SC_CLK_TCK), nthreads;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || tk <= 0)
		return;
	buf[n] = '\0';
	/* proc_pid_stat(5): after the ")" of comm, field 3 on; 14-17 are the times,
	 * 20 the thread count */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu "
		   "%*d %*d %ld",
		   &ut, &st, &cut, &cst, &nthreads) != 5)
		return;
	u->tasks += (uint64_t)nthreads;
	u->user += (int64_t)(ut + cut) * (NSEC / tk);
	u->sys += (int64_t)(st + cst) * (NSEC / tk);
}

/* The children of every thread of @pid, appended to @list. */
static void proc_children(pid_t pid, pid_t *list, size_t *n)
{
	char path[320], buf[4096];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d)) && *n < TREE_MAX) {
		char *p, *end;
		ssize_t len;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		for (p = buf; *n < TREE_MAX; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			list[(*n)++] = (pid_t)c;
		}
	}
	closedir(d);
}

/*
 * Rootless: the CPU time of the box's tree from /proc (clock ticks): each
 * live process's own time and that of the children it reaped. A process
 * reaped between two reads may be missed once.
 */
static struct tree_usage tree_usage(pid_t pid1)
{
	static pid_t list[TREE_MAX];
	struct tree_usage u = { 0 };
	size_t n = 1;

	list[0] = pid1;
	for (size_t i = 0; i < n; i++) {
		proc_usage(list[i], &u);
		proc_children(list[i], list, &n);
	}
	return u;
}

/* ---- the supervisor ---- */

static void arm(struct judge_run *j, int64_t ns)
{
	struct itimerspec t = { .it_value = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC } };

	timerfd_settime(j->timerfd, 0, &t, NULL);
}

/*
 * The next poll: soon enough that the box cannot spend much more than its
 * CPU limit on all CPUs between two polls, and never past the wall deadline.
 */
static int64_t next_poll(const struct judge_run *j, int64_t cpu_ns, int64_t wall_ns)
{
	const struct cell_judge_limits *l = j->lim;
	int64_t next = POLL_MAX_NS;

	if (l->time > 0) {
		int64_t left = (int64_t)((l->time + l->extra_time) * NSEC) - cpu_ns;

		next = left / (j->ncpu > 0 ? j->ncpu : 1);
	}
	if (l->wall_time > 0) {
		int64_t left = (int64_t)((l->wall_time + l->extra_time) * NSEC) - wall_ns;

		if (left < next)
			next = left;
	}
	if (next < POLL_MIN_NS)
		next = POLL_MIN_NS;
	return next > POLL_MAX_NS ? POLL_MAX_NS : next;
}

static void note_tasks(struct judge_run *j, uint64_t tasks)
{
	/* the box's init is not the program's */
	uint64_t program = tasks > 0 ? tasks - 1 : 0;

	if (program > j->rep->processes_peak)
		j->rep->processes_peak = program;
}

static void on_tick(struct judge_run *j, const struct cell_run_box *box)
{
	const struct cell_judge_limits *l = j->lim;
	struct cell_cgroup_usage u = { 0 };
	struct cell_error e = { 0 };
	int64_t wall = since_start_ns(j), cpu;
	uint64_t expirations;

	if (read(j->timerfd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	if (box->cgroup && cell_cgroup_poll_usage(box->cgroup, &u, &e) == 0) {
		cpu = (int64_t)u.cpu_ns;
		note_tasks(j, u.pids);
	} else {
		struct tree_usage t = tree_usage(box->pid);

		cpu = t.user + t.sys;
		note_tasks(j, t.tasks);
		if (cpu > j->polled.user + j->polled.sys)
			j->polled = t;
	}
	if (l->time > 0 && cpu >= (int64_t)((l->time + l->extra_time) * NSEC))
		kill_box(j, box, CELL_JUDGE_KILL_CPU);
	else if (l->wall_time > 0 && wall >= (int64_t)((l->wall_time + l->extra_time) * NSEC))
		kill_box(j, box, CELL_JUDGE_KILL_WALL);
	else
		arm(j, next_poll(j, cpu, wall));
}

/* Keep what fits in the output limit; more than that ends the box (OL). */
static bool collect(struct judge_run *j, struct collected *c)
{
	char chunk[READ_CHUNK];
	size_t limit = (size_t)j->lim->output_limit;

	for (;;) {
		ssize_t n = read(c->fd, chunk, sizeof(chunk));
		size_t keep;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				epoll_ctl(j->epfd, EPOLL_CTL_DEL, c->fd, NULL);
				c->fd = safe_close(c->fd);
			}
			return true;
		}
		keep = limit - c->len < (size_t)n ? limit - c->len : (size_t)n;
		if (keep && c->len + keep > c->cap) {
			size_t cap = c->cap ? c->cap : READ_CHUNK;
			char *b;

			while (cap < c->len + keep)
				cap *= 2;
			if (cap > limit)
				cap = limit;
			if (!(b = realloc(c->buf, cap)))
				keep = 0, c->truncated = true;
			else
				c->buf = b, c->cap = cap;
		}
		memcpy(c->buf + c->len, chunk, keep);
		c->len += keep;
		if (keep < (size_t)n) {
			c->truncated = true;
			return false;
		}
	}
}

static void on_ready(void *ctx, const struct cell_run_box *box)
{
	struct judge_run *j = ctx;
	struct epoll_event ev[4];
	int n = epoll_wait(j->epfd, ev, 4, 0);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == j->timerfd) {
			on_tick(j, box);
			continue;
		}
		if (ev[i].data.fd == j->stop_fd) {
			/* level-triggered: once is enough */
			epoll_ctl(j->epfd, EPOLL_CTL_DEL, j->stop_fd, NULL);
			kill_box(j, box, CELL_JUDGE_KILL_STOP);
			continue;
		}
		struct collected *c = ev[i].data.fd == j->out.fd ? &j->out : &j->err;

		if (c->fd >= 0 && !collect(j, c))
			kill_box(j, box, CELL_JUDGE_KILL_OUTPUT);
	}
}

static int on_start(void *ctx, const struct cell_run_box *box, struct cell_error *err)
{
	struct judge_run *j = ctx;

	clock_gettime(CLOCK_MONOTONIC, &j->start);
	/* the box has its copies: ours would keep the pipes from ever reaching EOF */
	j->child_out = safe_close(j->child_out);
	j->child_err = safe_close(j->child_err);
	arm(j, next_poll(j, 0, 0));
	return 0;
}

/* Every process of the box is gone: the cgroup's figures are final now. */
static void on_exited(void *ctx, const struct cell_run_box *box)
{
	struct judge_run *j = ctx;
	struct cell_judge_report *rep = j->rep;
	struct cell_cgroup_peaks pk = { 0 };
	struct cell_cgroup_oom oom = { 0 };
	struct cell_error e = { 0 };

	rep->wall_time = (double)since_start_ns(j) / NSEC;
	timerfd_settime(j->timerfd, 0, &(struct itimerspec){ 0 }, NULL);
	if (j->out.fd >= 0 && !collect(j, &j->out) && !rep->killed)
		rep->killed = CELL_JUDGE_KILL_OUTPUT;
	if (j->err.fd >= 0 && !collect(j, &j->err) && !rep->killed)
		rep->killed = CELL_JUDGE_KILL_OUTPUT;
	if (!box->cgroup)
		return;
	/* only what the report needs: a run's teardown is on a batch's hot path */
	if (cell_cgroup_peaks(box->cgroup, &pk, &e) < 0 ||
	    cell_cgroup_oom_count(box->cgroup, &oom, &e) < 0) {
		snprintf(rep->message, sizeof(rep->message), "cgroup: %s", e.msg);
		return;
	}
	if (rep->killed != CELL_JUDGE_KILL_NONE &&
	    cell_cgroup_cpu_split(box->cgroup, &j->cg_user_ns, &j->cg_sys_ns, &e) < 0)
		j->cg_user_ns = j->cg_sys_ns = 0; /* PID 1's rusage it is, then */
	rep->accounting = box->cgroup->mode == CELL_CGROUP_V2 ? "cgroup v2" : "cgroup v1";
	rep->cpu_time = (double)pk.cpu_ns / NSEC;
	rep->has_memory_peak = pk.memory_peak > 0;
	rep->memory_peak = pk.memory_peak;
	rep->oom_killed = oom.oom_kill > 0;
	rep->has_processes_peak = true;
	if (pk.pids_peak > 0) /* else: what the polls saw */
		rep->processes_peak = pk.pids_peak - 1;
}

/* ---- files ---- */

/*
 * An output file may lie in a directory the program could write (--dir
 * :rw): never follow a symlink on the way (openat2(2) RESOLVE_NO_SYMLINKS),
 * never open a fifo or a device there (O_PATH first: no open side effects),
 * never write through a second hard link. The box is empty by now, so
 * nothing inside can swap the file between the check and the open; the
 * fstat after the open makes sure of it anyway.
 */
/* openat2(2) that follows no symlink on the way; the fd or -errno. */
static int open_no_symlinks(const char *path, uint64_t flags, uint64_t mode)
{
	struct open_how how = { .flags = flags,
				.mode = mode,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static bool plain_file(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

static int open_output(const char *path, struct cell_error *err)
{
	struct stat before, after;
	int fd = open_no_symlinks(path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	bool existed = fd >= 0;

	if (!existed && fd != -ENOENT)
		return cell_error_set(err, -fd, "output file %s", path);
	if (existed) {
		int r = fstat(fd, &before) < 0 ? -errno : 0;

		close(fd);
		if (r < 0)
			return cell_error_set(err, -r, "output file %s", path);
		if (!plain_file(&before))
			return cell_error_set(err, EPERM,
					      "output file %s: not a regular file of "
					      "one link; refused",
					      path);
	}
	fd = open_no_symlinks(
		path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return cell_error_set(err, -fd, "output file %s", path);
	if (fstat(fd, &after) < 0 || !plain_file(&after) ||
	    (existed && (after.st_dev != before.st_dev || after.st_ino != before.st_ino))) {
		close(fd);
		return cell_error_set(err, EPERM, "output file %s: changed while opened; refused",
				      path);
	}
	if (ftruncate(fd, 0) < 0) {
		int e = errno;

		close(fd);
		return cell_error_set(err, e, "output file %s", path);
	}
	return fd;
}

static int save_output(const char *path, const struct collected *c, struct cell_error *err)
{
	int fd;
	size_t done = 0;

	if (!path)
		return 0;
	if ((fd = open_output(path, err)) < 0)
		return fd;
	while (done < c->len) {
		ssize_t n = write(fd, c->buf + done, c->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return cell_error_set(err, e, "write %s", path);
		}
		done += (size_t)n;
	}
	if (close(fd) < 0)
		return cell_error_set(err, errno, "write %s", path);
	return 0;
}

/* ---- one run ---- */

static int make_pipe(int *rd, int *wr, struct cell_error *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "pipe");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*rd = p[0];
	*wr = p[1];
	return 0;
}

static int epoll_add(int epfd, int fd, struct cell_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return cell_error_set(err, errno, "epoll_ctl");
	return 0;
}

static int judge_prepare(struct judge_run *j, struct cell_error *err)
{
	int r;

	if ((j->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return cell_error_set(err, errno, "epoll_create1");
	if ((j->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
		return cell_error_set(err, errno, "timerfd_create");
	if ((r = make_pipe(&j->out.fd, &j->child_out, err)) < 0 ||
	    (r = make_pipe(&j->err.fd, &j->child_err, err)) < 0 ||
	    (r = epoll_add(j->epfd, j->timerfd, err)) < 0 ||
	    (r = epoll_add(j->epfd, j->out.fd, err)) < 0 ||
	    (r = epoll_add(j->epfd, j->err.fd, err)) < 0 ||
	    (j->stop_fd >= 0 && (r = epoll_add(j->epfd, j->stop_fd, err)) < 0))
		return r;
	return 0;
}

static void judge_release(struct judge_run *j)
{
	safe_close(j->epfd);
	safe_close(j->timerfd);
	safe_close(j->child_out);
	safe_close(j->child_err);
	safe_close(j->out.fd);
	safe_close(j->err.fd);
	free(j->out.buf);
	free(j->err.buf);
}

/* The figures every box has, from PID 1's rusage; the cgroup's replace the CPU times. */
static void from_rusage(struct cell_judge_report *rep, const struct rusage *ru,
			const struct judge_run *j)
{
	const struct tree_usage *polled = &j->polled;
	double user = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6;
	double sys = (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;

	if (j->cg_user_ns + j->cg_sys_ns > 0) {
		user = (double)j->cg_user_ns / NSEC;
		sys = (double)j->cg_sys_ns / NSEC;
	}

	rep->max_rss = (uint64_t)ru->ru_maxrss * 1024;
	rep->csw_voluntary = ru->ru_nvcsw;
	rep->csw_involuntary = ru->ru_nivcsw;
	if (rep->accounting) {
		/*
		 * The cgroup's total is exact (scheduler nanoseconds); its user/system
		 * split (cpuacct.usage_user, cpuacct.stat) is sampled at ticks and
		 * may exceed the total. rusage's split is the same runtime scaled by
		 * sampled ticks (task_cputime_adjusted): its ratio, applied to the
		 * cgroup's total, keeps user + sys == cpu_time.
		 */
		double share = user + sys > 0 ? user / (user + sys) : 1;

		rep->user_time = rep->cpu_time * share;
		rep->sys_time = rep->cpu_time - rep->user_time;
		return;
	}
	rep->accounting = "rusage";
	/*
	 * Processes still alive when PID 1 exits are killed and reaped by the
	 * kernel with SIGCHLD ignored (zap_pid_ns_processes), so their times
	 * never reach PID 1's rusage: the last poll may know more.
	 */
	if ((double)(polled->user + polled->sys) / NSEC > user + sys) {
		user = (double)polled->user / NSEC;
		sys = (double)polled->sys / NSEC;
	}
	rep->cpu_time = user + sys;
	rep->user_time = user;
	rep->sys_time = sys;
	rep->has_processes_peak = true; /* polled: a short-lived process may be missed */
	if (!rep->processes_peak)
		rep->processes_peak = 1;
	snprintf(rep->message + strlen(rep->message), sizeof(rep->message) - strlen(rep->message),
		 "%sno cgroup (none delegated to this user): memory_peak and oom_killed unknown, "
		 "processes_peak polled",
		 rep->message[0] ? "; " : "");
}

static int open_stdin(const char *file, struct cell_error *err)
{
	int fd = open(file ? file : "/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? cell_error_set(err, errno, "--stdin %s", file ? file : "/dev/null") : fd;
}

void cell_judge_run(struct cell_judge_cli *cli, const struct cell_judge_shared *shared,
		    struct cell_judge_report *rep)
{
	struct judge_run j = { .lim = &cli->lim,
			       .rep = rep,
			       .epfd = -1,
			       .timerfd = -1,
			       .child_out = -1,
			       .child_err = -1,
			       .out.fd = -1,
			       .err.fd = -1,
			       .stop_fd = shared->stop_fd,
			       .ncpu = shared->ncpu };
	struct cell_run_watch watch = {
		.on_start = on_start, .on_ready = on_ready, .on_exited = on_exited, .ctx = &j
	};
	struct cell_run_options opts = { .start_fd = -1,
					 .console_socket = -1,
					 .cgroup_always = !cli->rootless,
					 .judge_box = true,
					 .watch = &watch,
					 .seccomp_prepared = shared->seccomp };
	struct cell_run_result result;
	struct cell_error err = { 0 };
	cleanup_close int in = -1;

	memset(rep, 0, sizeof(*rep));
	if (judge_prepare(&j, &err) < 0 || (in = open_stdin(cli->stdin_file, &err)) < 0)
		goto fail;
	watch.fd = j.epfd;
	opts.stdin_fd = in;
	opts.stdout_fd = j.child_out;
	opts.stderr_fd = j.child_err;
	fflush(NULL);
	if (cell_run(&cli->run.spec, &opts, &result, &err) < 0)
		goto fail;
	rep->have_wait_status = true;
	rep->wait_status = result.wait_status;
	rep->output_truncated = j.out.truncated || j.err.truncated;
	from_rusage(rep, &result.rusage, &j);
	if (result.teardown_failed)
		snprintf(rep->message, sizeof(rep->message), "teardown: %s", err.msg);
	rep->status = cell_judge_verdict(rep, &cli->lim);
	if (save_output(cli->stdout_file, &j.out, &err) < 0 ||
	    save_output(cli->stderr_file, &j.err, &err) < 0)
		goto fail;
	judge_release(&j);
	return;
fail:
	rep->status = CELL_JUDGE_XX;
	snprintf(rep->message, sizeof(rep->message), "%s", err.msg);
	judge_release(&j);
}

static FILE *open_report(const char *path, const char *dash)
{
	if (!path)
		return stdout;
	if (!strcmp(path, "-"))
		return !strcmp(dash, "stderr") ? stderr : stdout;
	return fopen(path, "we");
}

static int write_reports(const struct cell_global *g, const struct cell_judge_cli *cli,
			 const struct cell_judge_report *rep)
{
	FILE *f = open_report(cli->report_file, "stdout");
	struct cell_error err = { 0 };
	int r;

	if (!f) {
		cell_error_set(&err, errno, "judge: --report %s", cli->report_file);
		cell_cli_fail(g, &err);
		return -1;
	}
	r = cell_judge_write_json(f, rep);
	if (f != stdout && fclose(f) == EOF)
		r = -EIO;
	if (r == 0 && cli->meta_file) {
		if (!(f = open_report(cli->meta_file, "stderr")))
			r = -errno;
		else if ((r = cell_judge_write_meta(f, rep)) == 0 && f != stderr && f != stdout &&
			 fclose(f) == EOF)
			r = -EIO;
	}
	if (r < 0) {
		cell_error_set(&err, -r, "judge: cannot write the report");
		cell_cli_fail(g, &err);
		return -1;
	}
	return 0;
}

int cell_judge_fail(const struct cell_global *g, struct cell_error *err)
{
	cell_error_prefix(err, "judge");
	return cell_cli_fail(g, err);
}

int cell_cmd_judge(const struct cell_global *g, int argc, char **argv)
{
	struct cell_judge_cli cli = { 0 };
	struct cell_judge_report rep;
	struct cell_judge_shared shared = { .stop_fd = -1, .ncpu = sysconf(_SC_NPROCESSORS_ONLN) };
	struct cell_error err = { 0 };
	int status;

	/* its boxes are measured through their cgroups where it may make them */
	if (g->cgroups_disabled) {
		cell_error_set(&err, 0,
			       "judge: --cgroup-manager disabled: a judge measures and limits "
			       "its boxes through the cgroups it makes (drop the option)");
		return cell_cli_fail(g, &err);
	}
	if (cell_judge_parse(argc, argv, geteuid(), getegid(), &cli, &err) < 0) {
		cell_judge_fail(g, &err);
		cell_judge_cli_free(&cli);
		return CELL_EXIT_FAILURE;
	}
	if (cli.help) {
		fputs(cell_judge_usage, stdout);
		cell_judge_cli_free(&cli);
		return 0;
	}
	if (cli.batch_file) {
		status = cell_judge_batch(g, &cli);
		cell_judge_cli_free(&cli);
		return status;
	}
	uint32_t box = 0; /* rootless: none is taken, none is used */

	if (cell_judge_boxes_take(&cli, &box, 1, &err) < 0) {
		cell_judge_fail(g, &err);
		cell_judge_cli_free(&cli);
		return CELL_EXIT_FAILURE;
	}
	cell_judge_box_use(&cli, box);
	cell_judge_run(&cli, &shared, &rep);
	status = rep.status == CELL_JUDGE_OK   ? 0
		 : rep.status == CELL_JUDGE_XX ? CELL_EXIT_FAILURE
					       : 1;
	if (write_reports(g, &cli, &rep) < 0)
		status = CELL_EXIT_FAILURE;
	cell_judge_cli_free(&cli);
	return status;
}
