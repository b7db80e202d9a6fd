/*
 * cell — cgroups whose owner is gone: `cell judge --batch` makes one cgroup
 * for its boxes, named PREFIX<supervisor PID>-<random>. Its workers remove
 * their boxes' cgroups and the supervisor the batch's, but a SIGKILL skips
 * a teardown: this finds such a cgroup whose PID no longer runs and removes
 * it with the empty box cgroups below it. A cgroup that still holds a
 * process is left alone (rmdir(2) says EBUSY); a PID that was reused keeps
 * its cgroup until that process ends: gc errs on the side of keeping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

/* The PID in PREFIX<PID>-<random>, or 0 when @name is not such a cgroup. */
static pid_t owner_pid(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, n))
		return 0;
	pid = strtol(name + n, &end, 10);
	return end != name + n && *end == '-' && pid > 0 && pid < (1L << 22) ? (pid_t)pid : 0;
}

static bool owner_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* @dir's child cgroups (directories), then @dir; the first error kept in @err. */
static int remove_batch(const char *dir, struct cell_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return cell_error_set(err, errno, "cgroup %s", dir);
	while ((de = readdir(d))) {
		char sub[4096];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub))
			continue;
		if (cell_cgroup_rmdir_hook(sub) < 0 && errno != ENOENT && r == 0)
			r = cell_error_set(err, errno, "cgroup %s", sub);
	}
	closedir(d);
	if (cell_cgroup_rmdir_hook(dir) < 0 && errno != ENOENT && r == 0)
		r = cell_error_set(err, errno, "cgroup %s", dir);
	return r;
}

/* One hierarchy's top level (@root): the stale batch cgroups in it. */
static int gc_hierarchy(const char *root, const char *prefix, unsigned *removed,
			struct cell_error *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "cgroup %s", root);
	while ((de = readdir(d))) {
		char dir[4096];
		pid_t pid = de->d_type == DT_DIR ? owner_pid(de->d_name, prefix) : 0;
		struct cell_error later = { 0 }; /* only the first failure is reported */

		if (!pid || !owner_gone(pid))
			continue;
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name) >= sizeof(dir))
			continue;
		if (remove_batch(dir, r < 0 ? &later : err) < 0)
			r = -EBUSY;
		else
			(*removed)++;
	}
	closedir(d);
	return r;
}

int cell_cgroup_gc_owned(const char *fs_root, const char *prefix, unsigned *removed,
			 struct cell_error *err)
{
	char probe[4096];
	DIR *d;
	struct dirent *de;
	int r = 0, rr;

	*removed = 0;
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", fs_root);
	if (access(probe, F_OK) == 0) /* v2: one hierarchy */
		return gc_hierarchy(fs_root, prefix, removed, err);
	if (!(d = opendir(fs_root)))
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "cgroup %s", fs_root);
	/* v1 and hybrid: one hierarchy a directory; "cpu" -> "cpu,cpuacct" links skipped */
	while ((de = readdir(d))) {
		struct cell_error later = { 0 }; /* only the first failure is reported */

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(probe, sizeof(probe), "%s/%s", fs_root, de->d_name) >=
		    sizeof(probe))
			continue;
		rr = gc_hierarchy(probe, prefix, removed, r < 0 ? &later : err);
		if (rr < 0 && r == 0)
			r = rr;
	}
	closedir(d);
	return r;
}
