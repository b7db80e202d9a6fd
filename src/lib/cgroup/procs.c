/*
 * cell — the processes of a container's cgroup: listing them (`ps`) and
 * signalling all of them (`kill --all`, `delete --force`).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "utils.h"

#define KILL_ROUNDS 100 /* without a freezer: rounds until no new process shows up */

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

static int pid_list_add(struct pid_list *l, pid_t pid)
{
	size_t i;

	for (i = 0; i < l->n; i++) /* v1 threads' cgroup.procs may repeat a pid */
		if (l->pids[i] == pid)
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		pid_t *p = realloc(l->pids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->pids = p;
		l->cap = cap;
	}
	l->pids[l->n++] = pid;
	return 0;
}

struct procs_walk {
	struct pid_list *l;
	struct cell_error *err;
};

/* add_procs() - the pids in @dir/cgroup.procs. */
static int add_procs(const char *dir, void *ctx)
{
	struct procs_walk *w = ctx;
	char path[PATH_MAX];
	long pid;
	FILE *f;
	int r = cgroup_file_path(path, sizeof(path), dir, "cgroup.procs", w->err);

	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return cell_error_set(w->err, errno, "cannot read %s", path);
	while (r == 0 && fscanf(f, "%ld", &pid) == 1)
		r = pid_list_add(w->l, (pid_t)pid);
	fclose(f);
	return r < 0 ? cell_error_set(w->err, -r, "%s", path) : 0;
}

/*
 * read_procs() - the pids in @dir/cgroup.procs, then those of its
 * subdirectories: the container may have made cgroups of its own (a nested
 * runtime).
 */
static int read_procs(const char *dir, struct pid_list *l, struct cell_error *err)
{
	struct procs_walk w = { .l = l, .err = err };
	int r = add_procs(dir, &w);

	return r < 0 ? r : cgroup_for_each_below(dir, false, add_procs, &w, 0, err);
}

/*
 * procs_dir() - a directory that holds every process of the container: on v1
 * each hierarchy does (the container joined all of them); the pids or
 * freezer one is preferred, since nothing else is moved in or out there.
 */
static const char *procs_dir(const struct cell_cgroup *cg)
{
	static const int prefer[] = { CELL_CG_PIDS, CELL_CG_FREEZER };
	size_t i;
	int c;

	if (cg->mode == CELL_CGROUP_V2)
		return cg->dirs[0];
	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++)
		if (cg->dirs[prefer[i]])
			return cg->dirs[prefer[i]];
	for (c = 0; c < CELL_CG_COUNT; c++)
		if (cg->dirs[c])
			return cg->dirs[c];
	return NULL;
}

int cell_cgroup_pids(const struct cell_cgroup *cg, pid_t **pids, size_t *n, struct cell_error *err)
{
	struct pid_list l = { 0 };
	const char *dir = cg->ops ? procs_dir(cg) : NULL;
	int r;

	*pids = NULL;
	*n = 0;
	if (!dir)
		return cell_error_set(err, EINVAL, "no cgroup: neither created nor opened");
	r = read_procs(dir, &l, err);
	if (r < 0) {
		free(l.pids);
		return r;
	}
	*pids = l.pids;
	*n = l.n;
	return 0;
}

/* signal_all() - @sig to each process; one that exited meanwhile (ESRCH) is fine. */
static int signal_all(const struct pid_list *l, int sig, struct cell_error *err)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (kill(l->pids[i], sig) < 0 && errno != ESRCH)
			return cell_error_set(err, errno, "cannot send signal %d to process %d",
					      sig, (int)l->pids[i]);
	return 0;
}

static const char *freezer_dir(const struct cell_cgroup *cg)
{
	return cg->dirs[cg->mode == CELL_CGROUP_V2 ? 0 : CELL_CG_FREEZER];
}

static bool has_freezer(const struct cell_cgroup *cg)
{
	if (cg->mode == CELL_CGROUP_V2)
		return cgroup_has_file(cg->dirs[0], "cgroup.freeze");
	return freezer_dir(cg) != NULL;
}

struct thaw_walk {
	const struct cell_cgroup *cg;
	struct cell_error *err;
};

static int thaw_one(const char *dir, void *ctx)
{
	const struct thaw_walk *w = ctx;

	if (w->cg->mode == CELL_CGROUP_V2)
		return cgroup_write(dir, "cgroup.freeze", "0", w->err);
	return cgroup_write(dir, "freezer.state", "THAWED", w->err);
}

/*
 * thaw_below() - thaw the cgroups the container made and froze itself:
 * thawing its own cgroup does not thaw a child that is frozen on its own
 * (freezer-subsystem.rst: "self-freezing"), and a frozen v1 task does not die
 * of SIGKILL until it is thawed.
 */
static int thaw_below(const struct cell_cgroup *cg, struct cell_error *err)
{
	struct thaw_walk w = { .cg = cg, .err = err };

	return cgroup_for_each_below(freezer_dir(cg), false, thaw_one, &w, 0, err);
}

/*
 * kill_frozen() - freeze, signal every process, thaw (also when signalling
 * failed); after SIGKILL, thaw also what the container froze itself.
 */
static int kill_frozen(struct cell_cgroup *cg, int sig, struct cell_error *err)
{
	struct pid_list l = { 0 };
	int r, r2;

	r = cg->ops->freeze(cg, true, err);
	if (r < 0)
		return r;
	r = read_procs(procs_dir(cg), &l, err);
	if (r == 0)
		r = signal_all(&l, sig, err);
	free(l.pids);
	r2 = cg->ops->freeze(cg, false, r < 0 ? NULL : err);
	if (r2 == 0 && sig == SIGKILL)
		r2 = thaw_below(cg, r < 0 ? NULL : err);
	return r < 0 ? r : r2;
}

/*
 * kill_rounds() - no freezer: a process may fork between the read and the
 * kill, so read again until a round finds nothing it has not signalled.
 */
static int kill_rounds(const struct cell_cgroup *cg, int sig, struct cell_error *err)
{
	struct pid_list seen = { 0 }, now = { 0 }, fresh;
	int round, r = 0;
	size_t i, before;

	for (round = 0; r == 0 && round < KILL_ROUNDS; round++) {
		now.n = 0;
		r = read_procs(procs_dir(cg), &now, err);
		before = seen.n;
		for (i = 0; r == 0 && i < now.n; i++)
			if (pid_list_add(&seen, now.pids[i]) < 0)
				r = cell_error_set(err, ENOMEM, "cgroup process list");
		if (r < 0 || seen.n == before)
			break;
		fresh = (struct pid_list){ .pids = seen.pids + before, .n = seen.n - before };
		r = signal_all(&fresh, sig, err);
	}
	free(seen.pids);
	free(now.pids);
	return r;
}

/* move_into() - each of @l into @dir; one that exited meanwhile (ESRCH) is fine. */
static int move_into(const char *dir, const struct pid_list *l, struct cell_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = cgroup_writef(dir, "cgroup.procs", NULL, "%d", (int)l->pids[i]);

		if (r < 0 && r != -ESRCH)
			return cell_error_set(err, -r, "move process %d into cgroup %s",
					      (int)l->pids[i], dir);
	}
	return 0;
}

int cgroup_move_procs(struct cell_cgroup *cg, unsigned controllers, struct cell_error *err)
{
	struct pid_list l = { 0 };
	bool frozen = false, freezer = has_freezer(cg);
	int r = 0, r2 = 0, c;

	/* frozen, nothing forks between the listing and the moves (a child of a
	 * process not yet moved would stay behind) */
	if (freezer && (r = cg->ops->frozen(cg, &frozen, err)) == 0 && !frozen)
		r = cg->ops->freeze(cg, true, err);
	if (r < 0)
		return r;
	r = read_procs(procs_dir(cg), &l, err);
	for (c = 0; r == 0 && c < CELL_CG_COUNT; c++) {
		int o;

		if (!(controllers & CG_BIT(c)) || !cg->dirs[c])
			continue;
		for (o = 0; o < c && !(cg->dirs[o] && (controllers & CG_BIT(o)) &&
				       !strcmp(cg->dirs[o], cg->dirs[c]));
		     o++)
			;
		if (o == c) /* co-mounted: one directory, moved into once */
			r = move_into(cg->dirs[c], &l, err);
	}
	free(l.pids);
	if (freezer && !frozen)
		r2 = cg->ops->freeze(cg, false, r < 0 ? NULL : err);
	return r < 0 ? r : r2;
}

int cell_cgroup_kill(struct cell_cgroup *cg, int sig, struct cell_error *err)
{
	if (!cg->ops || !procs_dir(cg))
		return cell_error_set(err, EINVAL, "no cgroup: neither created nor opened");
	/* cgroup-v2.rst, "cgroup.kill": SIGKILL to the whole subtree, forks included. */
	if (cg->mode == CELL_CGROUP_V2 && sig == SIGKILL &&
	    cgroup_has_file(cg->dirs[0], "cgroup.kill"))
		return cgroup_write(cg->dirs[0], "cgroup.kill", "1", err);
	if (has_freezer(cg))
		return kill_frozen(cg, sig, err);
	return kill_rounds(cg, sig, err);
}
