/*
 * cell — a container's cgroup seen from a later command (kill --all, delete,
 * state, pause, update...): reopened from the cell_cgroup_save() text that
 * state.json keeps, so exactly the directories the container has, and of
 * them only the ones cell made are removed, on v1, v2 and hybrid hosts alike,
 * wherever a relative (rootless) cgroupsPath led. A state without that text
 * names the recorded cgroupsPath in every hierarchy where it exists.
 */
#include <errno.h>

#include "cgroup.h"
#include "cli.h"
#include "state.h"

int cell_cli_cgroup_open(const struct cell_state *st, struct cell_cgroup *cg,
			 struct cell_error *err)
{
	struct cell_cgroup_params p = cell_cgroup_host_params(st->cgroups_path, st->rootless);

	cell_cgroup_init(cg);
	if (!st->cgroups_path && !st->cgroup)
		return cell_error_set(err, ENOTSUP,
				      "container %s has no cgroup (rootless without "
				      "a delegated cgroup)",
				      st->id);
	return cell_cgroup_open(cg, &p, st->cgroup, err);
}

int cell_cli_cgroup_signal(const struct cell_state *st, int sig, struct cell_error *err)
{
	struct cell_cgroup cg;
	int r = cell_cli_cgroup_open(st, &cg, err);

	if (r < 0)
		return r;
	r = cell_cgroup_kill(&cg, sig, err);
	cell_cgroup_forget(&cg);
	return r;
}

int cell_cli_cgroup_remove(const struct cell_state *st, struct cell_error *err)
{
	struct cell_cgroup cg;
	int r = cell_cli_cgroup_open(st, &cg, err);

	return r < 0 ? r : cell_cgroup_destroy(&cg, err);
}

bool cell_cli_cgroup_frozen(const struct cell_state *st)
{
	struct cell_error ignored = { 0 };
	struct cell_cgroup cg;
	bool frozen = false;

	if (cell_cli_cgroup_open(st, &cg, &ignored) < 0)
		return false;
	if (cell_cgroup_frozen(&cg, &frozen, &ignored) < 0)
		frozen = false;
	cell_cgroup_forget(&cg);
	return frozen;
}
