/*
 * cell judge --batch — many runs, one supervisor.
 *
 * The supervisor reads the whole file, parses the batch's flags into one
 * template and compiles the seccomp filter once, then forks -j N workers: a
 * worker is this same process (no exec), so each inherits the template, the
 * filter and the lines, and pays per run only for what must be fresh: the
 * box's namespaces, mounts and cgroup. Each worker runs one box at a time
 * through cell_judge_run(), which is `cell judge`'s own path; two workers'
 * boxes share nothing (every namespace, its own /tmp, /dev/shm and cgroup).
 *
 * Supervisor and worker talk over a SOCK_SEQPACKET pair: a line's index
 * down, its report (one JSON line) up; a worker gets its next line when it
 * hands in a report. The pair is also the worker's lifeline: while a box
 * runs, the worker's end becomes readable only at end-of-file, when the
 * supervisor shut it down (SIGTERM, SIGINT, SIGHUP) or died (SIGKILL: the
 * kernel closes its end), and the worker then kills the box (XX), tears it
 * down as after any run and exits. So a killed supervisor leaves nothing
 * behind; only a SIGKILL of a worker itself skips a teardown (see
 * cell-judge(1)).
 *
 * Reports are printed in input order (the lines' own), each with its "line"
 * and "id": a finished run waits until those before it are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "judge.h"
#include "utils.h"

#define REPORT_MAX 65536 /* bytes of one report message: an id of ID_MAX escaped fits */

struct batch_line {
	const char *text;
	size_t len;
	unsigned long lineno;
};

struct worker {
	pid_t pid;
	int fd;	  /* the supervisor's end; -1 once the worker is gone */
	long job; /* the line it runs, -1 when idle */
};

struct batch {
	const struct cell_global *g; /* --log */
	struct cell_judge_cli *cli;
	struct cell_cgroup parent; /* root: every box's cgroup is made below it */
	char parent_path[64];	   /* "" when none (rootless) */
	char *text;		   /* the whole file */
	struct batch_line *lines;
	size_t n, next, printed; /* lines; the next to hand out; printed so far */
	char **reports;		 /* by line, until printed */
	struct worker *w;
	size_t nw;
	uint32_t *boxes; /* root: worker k's box (judge_box.c) */
	int sigfd;
	sigset_t oldmask;
	int stop_sig;	  /* the signal that stopped the batch, 0 */
	bool worker_died; /* a worker ended during a run: its box may outlive it */
	bool out_failed;  /* stdout is gone: stop too */
};

/* ---- the input ---- */

static int read_all(int fd, char **text, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	for (;;) {
		ssize_t r;

		if (!buf)
			return -ENOMEM;
		if (n + 1 >= cap) {
			char *b = realloc(buf, cap *= 2);

			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Every non-blank line, with its number in the file (blank ones get no report). */
static int split_lines(struct batch *b, size_t len)
{
	unsigned long lineno = 0;

	for (char *p = b->text, *end = b->text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (!blank(p, l)) {
			struct batch_line *g = realloc(b->lines, (b->n + 1) * sizeof(*g));

			if (!g)
				return -ENOMEM;
			b->lines = g;
			b->lines[b->n++] = (struct batch_line){ p, l, lineno };
		}
		p += l + 1;
	}
	return 0;
}

static int load(struct batch *b, const char *path, struct cell_error *err)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : 0;
	size_t len = 0;
	int r;

	if (fd < 0)
		return cell_error_set(err, errno, "--batch %s", path);
	r = read_all(fd, &b->text, &len);
	if (fd > 0)
		close(fd);
	if (r < 0)
		return cell_error_set(err, -r, "--batch %s", path);
	if (split_lines(b, len) < 0 || !(b->reports = calloc(b->n + 1, sizeof(*b->reports))))
		return cell_error_set(err, ENOMEM, "--batch %s", path);
	return 0;
}

/* ---- a worker ---- */

/* The box's cgroup below the batch's: named by its line, unique in the batch. */
static int box_cgroup(struct batch *b, unsigned long lineno, struct cell_error *err)
{
	char **path = &b->cli->run.spec.linux.cgroups_path;

	if (!b->parent_path[0])
		return 0;
	free(*path);
	if (asprintf(path, "%s/%lu", b->parent_path, lineno) < 0) {
		*path = NULL;
		return cell_error_set(err, ENOMEM, "linux.cgroupsPath");
	}
	return 0;
}

/* One line judged: its report, XX when the line itself was wrong. */
static char *judge_line(struct batch *b, const struct cell_judge_shared *sh, size_t i)
{
	const struct batch_line *l = &b->lines[i];
	struct cell_judge_report rep = { 0 };
	struct cell_error err = { 0 };
	json_t *doc = NULL, *id = NULL;
	char *text;

	if (cell_judge_line(b->cli, l->text, l->len, l->lineno, &doc, &id, &err) < 0 ||
	    box_cgroup(b, l->lineno, &err) < 0) {
		rep.status = CELL_JUDGE_XX;
		snprintf(rep.message, sizeof(rep.message), "%s", err.msg);
	} else {
		cell_judge_run(b->cli, sh, &rep);
	}
	text = cell_judge_batch_json(&rep, l->lineno, id);
	json_decref(doc);
	return text;
}

static __attribute__((noreturn)) void worker_main(struct batch *b, int fd,
						  const struct cell_judge_shared *shared)
{
	struct cell_judge_shared sh = *shared;

	sh.stop_fd = fd;
	for (;;) {
		uint32_t i;
		ssize_t n = recv(fd, &i, sizeof(i), 0);
		char *report;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(i) || i >= b->n)
			_exit(n == 0 ? 0 : CELL_EXIT_FAILURE); /* 0: the supervisor said stop */
		if (!(report = judge_line(b, &sh, i)))
			_exit(CELL_EXIT_FAILURE);
		n = send(fd, report, strlen(report), MSG_NOSIGNAL);
		free(report);
		if (n < 0)
			_exit(0); /* the supervisor is gone; the box is torn down */
	}
}

/*
 * Worker @k: its own process group, so a terminal's Ctrl-C reaches only the
 * supervisor, which stops the batch in order; none of the supervisor's other
 * ends, or a supervisor's death would not reach every worker as EOF.
 */
static int start_worker(struct batch *b, size_t k, const struct cell_judge_shared *sh,
			struct cell_error *err)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_set(err, errno, "socketpair");
	fflush(NULL);
	if ((pid = fork()) < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		return cell_error_set(err, e, "fork (a batch worker)");
	}
	if (pid == 0) {
		setpgid(0, 0);
		for (size_t i = 0; i < k; i++)
			safe_close(b->w[i].fd);
		close(sv[0]);
		close(b->sigfd);
		sigprocmask(SIG_SETMASK, &b->oldmask, NULL);
		cell_judge_box_use(b->cli, b->boxes[k]);
		worker_main(b, sv[1], sh);
	}
	close(sv[1]);
	b->w[k] = (struct worker){ .pid = pid, .fd = sv[0], .job = -1 };
	return 0;
}

/* ---- the supervisor ---- */

/*
 * Root: one cgroup for the batch, made once, with every box's below it
 * (cell-judge-PID-RANDOM/LINE). The batch's processes are in one subtree, and
 * what a SIGKILLed worker leaves there the supervisor removes at the end, or
 * `cell gc` when the supervisor is gone too (its PID in the name).
 */
static int make_parent(struct batch *b, struct cell_error *err)
{
	/*
	 * In every hierarchy a box joins, devices too (which no limit of ours
	 * asks for): a box that made a missing parent would remove it, and its
	 * siblings' cgroups with it, at its teardown. Allowing all is what a
	 * new v1 devices cgroup does anyway; each box narrows its own.
	 */
	struct cell_device_rule all = {
		.allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm"
	};
	struct cell_resources res = { .devices = &all, .n_devices = 1 };
	struct cell_cgroup_params params;
	char rnd[13];
	int r;

	if (b->cli->rootless)
		return 0;
	if ((r = cell_random_id(rnd, err)) < 0)
		return r;
	snprintf(b->parent_path, sizeof(b->parent_path), "/%s%d-%s", CELL_JUDGE_CGROUP_PREFIX,
		 (int)getpid(), rnd);
	params = cell_cgroup_host_params(b->parent_path, false);
	params.accounting = true; /* the hierarchies a box joins (cell_judge_run) */
	if ((r = cell_cgroup_create(&b->parent, &params, &res, err)) < 0)
		b->parent_path[0] = '\0';
	return r;
}

/*
 * A SIGKILLed worker's box dies of its parent-death signal, but dying takes
 * a while (a large process unmaps its memory first), and a cgroup with a
 * process in it cannot be removed: wait for the batch's to empty, 2 s at most.
 */
static void wait_parent_empty(struct batch *b)
{
	for (int i = 0; i < 200; i++) {
		struct cell_error err = { 0 };
		pid_t *pids = NULL;
		size_t n = 0;
		int r = cell_cgroup_pids(&b->parent, &pids, &n, &err);

		free(pids);
		if (r < 0 || n == 0)
			return;
		usleep(10000);
	}
}

static void remove_parent(struct batch *b)
{
	struct cell_error err = { 0 };

	if (b->parent_path[0] && b->worker_died)
		wait_parent_empty(b);
	if (b->parent_path[0] && cell_cgroup_destroy(&b->parent, &err) < 0)
		cell_judge_fail(b->g, &err);
}

/* A report the supervisor writes itself: for a line whose worker died. */
static char *lost_report(const struct batch *b, size_t i, const char *why)
{
	const struct batch_line *l = &b->lines[i];
	struct cell_judge_report rep = { .status = CELL_JUDGE_XX };
	json_t *doc = json_loadb(l->text, l->len, 0, NULL);
	json_t *id = json_is_object(doc) ? json_object_get(doc, "id") : NULL;
	char *text;

	snprintf(rep.message, sizeof(rep.message), "%s", why);
	text = cell_judge_batch_json(&rep, l->lineno,
				     json_is_integer(id) || json_is_string(id) ? id : NULL);
	json_decref(doc);
	return text;
}

/* Print the reports that are next in input order. */
static void flush_in_order(struct batch *b)
{
	while (b->printed < b->n && b->reports[b->printed] && !b->out_failed) {
		char *r = b->reports[b->printed];

		if (cell_write_all(STDOUT_FILENO, r, strlen(r)) < 0)
			b->out_failed = true;
		free(r);
		b->reports[b->printed++] = NULL;
	}
}

static bool stopping(const struct batch *b)
{
	return b->stop_sig || b->out_failed;
}

/* The next line to @w, or the end: shutting our end down is the worker's "stop". */
static void hand_out(struct batch *b, struct worker *w)
{
	uint32_t i = (uint32_t)b->next;

	w->job = -1;
	if (!stopping(b) && b->next < b->n &&
	    send(w->fd, &i, sizeof(i), MSG_NOSIGNAL) == (ssize_t)sizeof(i)) {
		w->job = (long)b->next++;
		return;
	}
	shutdown(w->fd, SHUT_WR);
}

static void worker_gone(struct batch *b, struct worker *w)
{
	if (w->job >= 0)
		b->worker_died = true;
	if (w->job >= 0 && !b->reports[w->job])
		b->reports[w->job] = lost_report(b, (size_t)w->job,
						 "the batch worker running it died (its box dies "
						 "with it; see cell-judge(1))");
	w->fd = safe_close(w->fd);
	w->job = -1;
}

static void on_worker(struct batch *b, struct worker *w)
{
	char *buf = malloc(REPORT_MAX + 1);
	ssize_t n = buf ? recv(w->fd, buf, REPORT_MAX, 0) : -1;

	if (n < 0 && errno == EINTR) {
		free(buf);
		return;
	}
	if (n <= 0 || w->job < 0) {
		free(buf);
		worker_gone(b, w);
		return;
	}
	buf[n] = '\0';
	b->reports[w->job] = buf;
	hand_out(b, w);
}

static void on_signal(struct batch *b)
{
	struct signalfd_siginfo si;

	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (b->stop_sig)
			continue;
		b->stop_sig = (int)si.ssi_signo;
		/* every worker's lifeline reads EOF: its box is killed, its report XX */
		for (size_t k = 0; k < b->nw; k++)
			if (b->w[k].fd >= 0)
				shutdown(b->w[k].fd, SHUT_WR);
	}
}

static void supervise(struct batch *b)
{
	struct pollfd *p = calloc(b->nw + 1, sizeof(*p));

	if (!p) {
		b->out_failed = true; /* nothing can be watched: stop as cleanly as we can */
		for (size_t k = 0; k < b->nw; k++)
			shutdown(b->w[k].fd, SHUT_WR);
		return;
	}
	for (size_t k = 0; k < b->nw; k++)
		hand_out(b, &b->w[k]);
	for (;;) {
		size_t alive = 0;

		for (size_t k = 0; k < b->nw; k++) {
			p[k] = (struct pollfd){ .fd = b->w[k].fd, .events = POLLIN };
			alive += b->w[k].fd >= 0;
		}
		if (!alive)
			break;
		p[b->nw] = (struct pollfd){ .fd = b->sigfd, .events = POLLIN };
		if (poll(p, b->nw + 1, -1) < 0 && errno != EINTR)
			break;
		if (p[b->nw].revents)
			on_signal(b);
		for (size_t k = 0; k < b->nw; k++)
			if (p[k].revents && b->w[k].fd >= 0)
				on_worker(b, &b->w[k]);
		flush_in_order(b);
	}
	free(p);
}

/* Lines no worker could take (every worker died) still get their report. */
static void report_the_rest(struct batch *b)
{
	for (size_t i = b->next; !stopping(b) && i < b->n; i++)
		if (!b->reports[i])
			b->reports[i] = lost_report(b, i, "no batch worker was left to run it");
	b->next = b->n;
	flush_in_order(b);
	/* stopped: what did end is still worth its report, gaps and all */
	for (size_t i = b->printed; i < b->n && !b->out_failed; i++) {
		if (b->reports[i] &&
		    cell_write_all(STDOUT_FILENO, b->reports[i], strlen(b->reports[i])) < 0)
			b->out_failed = true;
	}
}

static void reap_workers(struct batch *b)
{
	for (size_t k = 0; k < b->nw; k++) {
		safe_close(b->w[k].fd);
		while (waitpid(b->w[k].pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

static int block_stop_signals(struct batch *b, struct cell_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, &b->oldmask) < 0)
		return cell_error_set(err, errno, "sigprocmask");
	if ((b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return cell_error_set(err, errno, "signalfd");
	return 0;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; b->reports && i < b->n; i++)
		free(b->reports[i]);
	free(b->reports);
	free(b->lines);
	free(b->text);
	free(b->w);
	free(b->boxes);
	safe_close(b->sigfd);
}

static int start_workers(struct batch *b, const struct cell_judge_shared *sh,
			 struct cell_error *err)
{
	size_t want = (size_t)b->cli->jobs < b->n ? (size_t)b->cli->jobs : b->n;
	int r = 0;

	if (!(b->w = calloc(want ? want : 1, sizeof(*b->w))) ||
	    !(b->boxes = calloc(want ? want : 1, sizeof(*b->boxes))))
		return cell_error_set(err, ENOMEM, "--jobs");
	/* a box each, taken before any worker starts: none may run short */
	if ((r = cell_judge_boxes_take(b->cli, b->boxes, want, err)) < 0)
		return r;
	while (b->nw < want && (r = start_worker(b, b->nw, sh, err)) == 0)
		b->nw++;
	/* the workers that did start run the batch; none: cell failed */
	return b->nw || !want ? 0 : r;
}

int cell_judge_batch(const struct cell_global *g, struct cell_judge_cli *cli)
{
	struct batch b = { .g = g, .cli = cli, .sigfd = -1 };

	cell_cgroup_init(&b.parent);
	struct cell_judge_shared sh = { .stop_fd = -1, .ncpu = sysconf(_SC_NPROCESSORS_ONLN) };
	struct cell_seccomp_prog *filter = NULL;
	struct cell_error err = { 0 };
	int status = 0;

	signal(SIGPIPE, SIG_IGN); /* a closed stdout stops the batch (out_failed) */
	if (load(&b, cli->batch_file, &err) < 0 ||
	    cell_seccomp_prepared_new(&cli->run.spec, &filter, &err) < 0 ||
	    block_stop_signals(&b, &err) < 0 || make_parent(&b, &err) < 0)
		goto fail;
	sh.seccomp = filter;
	if (start_workers(&b, &sh, &err) < 0)
		goto fail;
	supervise(&b);
	report_the_rest(&b);
	reap_workers(&b);
	status = b.stop_sig ? 128 + b.stop_sig : b.out_failed ? CELL_EXIT_FAILURE : 0;
	goto out;
fail:
	cell_judge_fail(g, &err);
	reap_workers(&b);
	status = CELL_EXIT_FAILURE;
out:
	remove_parent(&b);
	if (b.sigfd >= 0)
		sigprocmask(SIG_SETMASK, &b.oldmask, NULL);
	cell_seccomp_prepared_free(filter);
	batch_free(&b);
	return status;
}
