/*
 * cell — a container's cgroup seen from a later command (kill --all, delete,
 * state): found by the path state.json recorded, in every hierarchy where
 * that directory exists. Only directories cell made are ever named there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "utils.h"

#define CG_ROOT "/sys/fs/cgroup"

/* Call @fn(dir, ctx) for each hierarchy's directory of @path; stops on a negative result. */
static int each_dir(const char *path, int (*fn)(const char *dir, void *ctx), void *ctx)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int r = 0;

	/* a pure v2 host: the container's directory is right under the root */
	if (snprintf(dir, sizeof(dir), "%s/%s/cgroup.procs", CG_ROOT, path) < (int)sizeof(dir) &&
	    access(dir, F_OK) == 0) {
		snprintf(dir, sizeof(dir), "%s/%s", CG_ROOT, path);
		return fn(dir, ctx);
	}
	if (!(d = opendir(CG_ROOT)))
		return -errno;
	while ((e = readdir(d)) && r >= 0) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s/%s", CG_ROOT, e->d_name, path) >=
		    (int)sizeof(dir))
			continue;
		if (access(dir, F_OK) == 0)
			r = fn(dir, ctx);
	}
	closedir(d);
	return r;
}

static int signal_dir(const char *dir, void *ctx)
{
	char path[PATH_MAX + 16], buf[65536];
	struct cell_error ignored = { 0 };
	int sig = *(int *)ctx;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &ignored) < 0)
		return 0;
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, sig);
		p = end + (*end == '\n');
	}
	return 0;
}

int cell_cli_cgroup_signal(const char *path, int sig, struct cell_error *err)
{
	int r = each_dir(path, signal_dir, &sig);

	return r < 0 ? cell_error_set(err, -r, "signal the cgroup %s", path) : 0;
}

static int remove_dir(const char *dir, void *ctx)
{
	/* the last processes may still be leaving: EBUSY for a little while */
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
	return -EBUSY;
}

int cell_cli_cgroup_remove(const char *path)
{
	return each_dir(path, remove_dir, NULL);
}

static int frozen_dir(const char *dir, void *ctx)
{
	char path[PATH_MAX + 16], buf[32];
	struct cell_error ignored = { 0 };

	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &ignored) > 0 &&
	    !strncmp(buf, "FROZEN", 6))
		*(bool *)ctx = true;
	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &ignored) > 0 && buf[0] == '1')
		*(bool *)ctx = true;
	return 0;
}

bool cell_cli_cgroup_frozen(const char *path)
{
	bool frozen = false;

	each_dir(path, frozen_dir, &frozen);
	return frozen;
}
