/*
 * cell — what the host has: the cgroup mode (v1, v2, hybrid) and where this
 * process's own cgroup is, hence where a new cgroup goes (cgroups_path).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

/* ---- detection ---- */

/*
 * is_cgroup2() - is @path the root of a cgroup2 file system? statfs answers on
 * a real host. Failing that the content answers: the kernel puts
 * cgroup.controllers in every cgroup2 directory (cgroup-v2.rst, "Core
 * Interface Files") and never in a v1 hierarchy or the tmpfs holding them, so
 * the answer is the same on a real host and the only one the unit tests'
 * trees on an ordinary file system can give.
 */
static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return true;
	return cgroup_has_file(path, "cgroup.controllers");
}

int cell_cgroup_detect(const char *fs_root, enum cell_cgroup_mode *mode, struct cell_error *err)
{
	char unified[PATH_MAX];
	struct statfs sfs;
	int r;

	if (statfs(fs_root, &sfs) < 0)
		return cell_error_set(err, errno, "cannot inspect cgroup file system %s", fs_root);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC || cgroup_has_file(fs_root, "cgroup.controllers")) {
		*mode = CELL_CGROUP_V2;
		return 0;
	}
	r = cgroup_file_path(unified, sizeof(unified), fs_root, "unified", err);
	if (r < 0)
		return r;
	*mode = is_cgroup2(unified) ? CELL_CGROUP_HYBRID : CELL_CGROUP_V1;
	return 0;
}

/* ---- where the cgroup goes ---- */

/* list_has_controller() - is @name in the comma-joined list of a /proc/PID/cgroup line? */
static bool list_has_controller(const char *list, const char *name)
{
	return cgroup_has_word(list, name, ",");
}

/*
 * self_cgroup_path() - the caller's cgroup in the hierarchy of @controller, or
 * the v2 one ("0::PATH") when @controller is NULL, from @file in the format of
 * /proc/PID/cgroup (cgroups(7)): "ID:CONTROLLER,...:PATH". Named hierarchies
 * ("name=systemd") never match a controller.
 */
static int self_cgroup_path(const char *file, const char *controller, char **out,
			    struct cell_error *err)
{
	cleanup_free char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = -ENOENT;

	f = fopen(file, "re");
	if (!f)
		return cell_error_set(err, errno, "cannot open %s", file);
	while (r == -ENOENT && getline(&line, &cap, f) > 0) {
		char *list = strchr(line, ':'), *path = list ? strchr(list + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (controller ? !list_has_controller(list + 1, controller)
			       : strcmp(line, "0:") != 0)
			continue;
		*out = strdup(path);
		r = *out ? 0 : -ENOMEM;
	}
	fclose(f);
	if (r == -ENOENT)
		return cell_error_set(err, ENOENT, "%s: no line for the %s hierarchy", file,
				      controller ? controller : "cgroup v2");
	if (r < 0)
		return cell_error_set(err, -r, "%s", file);
	if (!cgroup_check_components(*out, true)) {
		r = cell_error_set(err, EINVAL, "%s: cgroup \"%s\" is outside this namespace", file,
				   *out);
		free(*out);
		*out = NULL;
	}
	return r;
}

/*
 * cgroup_rel_path() - the cgroup's path below a hierarchy root: cgroups_path
 * as is when absolute, else below the caller's own cgroup in that hierarchy
 * (@controller, NULL for v2).
 */
int cgroup_rel_path(const struct cell_cgroup_params *params, const char *controller, char **out,
		    struct cell_error *err)
{
	cleanup_free char *self = NULL;
	const char *self_file = params->self_cgroup ? params->self_cgroup : CG_DEFAULT_SELF;
	int r;

	if (params->cgroups_path[0] == '/') {
		*out = strdup(params->cgroups_path);
		return *out ? 0 : cell_error_set(err, ENOMEM, "cgroups path");
	}
	r = self_cgroup_path(self_file, controller, &self, err);
	if (r < 0)
		return r;
	if (asprintf(out, "%s/%s", self, params->cgroups_path) < 0) {
		*out = NULL;
		return cell_error_set(err, ENOMEM, "cgroups path");
	}
	return 0;
}
