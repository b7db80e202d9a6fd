/*
 * User and group names as a container knows them: cell exec -u NAME[:GROUP]
 * reads the running container's /etc/passwd and /etc/group (docker exec's
 * meaning); cell run -u NAME shares the group walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell/ns.h"
#include "cli.h"
#include "spec.h"
#include "mounts.h"
#include "run_flags.h"
#include "utils.h"

/*
 * The container's file @path, read through its root: /proc/PID/root with
 * RESOLVE_IN_ROOT, so a symlink the container planted (/etc/passwd ->
 * /etc/shadow) resolves inside it, never on the host.
 */
static FILE *open_in_container(pid_t pid, const char *path, struct cell_error *err)
{
	int rootfd, fd;
	FILE *f;

	if ((rootfd = cell_ns_root_open(pid, err)) < 0) {
		cell_error_prefix(err, "exec: --user: ");
		return NULL;
	}
	fd = cell_openat2_in_root(rootfd, path, O_RDONLY);
	close(rootfd);
	if (fd < 0) {
		cell_error_set(err, -fd, "exec: --user: the container's %s", path);
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		cell_error_set(err, errno, "exec: --user: the container's %s", path);
		close(fd);
	}
	return f;
}

static bool all_digits(const char *s)
{
	return s[0] && strspn(s, "0123456789") == strlen(s);
}

int cell_member_groups(FILE *f, const char *name, gid_t primary, struct cell_process *p,
		       struct cell_error *err)
{
	struct group *gr;

	while (f && (gr = fgetgrent(f))) {
		bool member = false;

		for (char **m = gr->gr_mem; m && *m && !member; m++)
			member = !strcmp(*m, name);
		if (!member || gr->gr_gid == primary)
			continue;
		uint32_t *grown =
			realloc(p->additional_gids, (p->n_additional_gids + 1) * sizeof(*grown));
		if (!grown)
			return cell_error_set(err, ENOMEM, "--user %s: groups", name);
		grown[p->n_additional_gids++] = gr->gr_gid;
		p->additional_gids = grown;
	}
	return 0;
}

/* The groups that list @name (docker's supplementary groups), but @primary. */
static int add_member_groups(pid_t pid, const char *name, gid_t primary, struct cell_process *p,
			     struct cell_error *err)
{
	FILE *f = open_in_container(pid, "/etc/group", err);
	int r;

	if (!f)
		return err->errnum == ENOENT ? (cell_error_reset(err), 0) : -err->errnum;
	r = cell_member_groups(f, name, primary, p, err);
	fclose(f);
	return r;
}

static int lookup_user(struct cell_spec *s, pid_t pid, const char *name, struct cell_error *err)
{
	struct cell_process *p = &s->process;
	FILE *f = open_in_container(pid, "/etc/passwd", err);
	struct passwd *pw = NULL;
	char home[PATH_MAX + 8];
	int r;

	if (!f)
		return -err->errnum;
	while ((pw = fgetpwent(f)) && strcmp(pw->pw_name, name))
		;
	if (!pw) {
		fclose(f);
		return cell_error_set(err, 0,
				      "exec: --user '%s': no such user in the container's "
				      "/etc/passwd",
				      name);
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(home, sizeof(home), "HOME=%s", pw->pw_dir);
	fclose(f);
	free(p->additional_gids);
	p->additional_gids = NULL;
	p->n_additional_gids = 0;
	if ((r = cell_spec_set_env(s, home, err)) < 0)
		return r;
	return add_member_groups(pid, name, p->gid, p, err);
}

static int lookup_group(pid_t pid, const char *name, uint32_t *gid, struct cell_error *err)
{
	FILE *f = open_in_container(pid, "/etc/group", err);
	struct group *gr;

	if (!f)
		return -err->errnum;
	while ((gr = fgetgrent(f)) && strcmp(gr->gr_name, name))
		;
	if (gr)
		*gid = gr->gr_gid;
	fclose(f);
	return gr ? 0
		  : cell_error_set(err, 0,
				   "exec: --user: no group '%s' in the container's "
				   "/etc/group",
				   name);
}

int cell_exec_user(struct cell_spec *s, pid_t pid, const char *arg, struct cell_error *err)
{
	struct cell_process *p = &s->process;
	char user[256], *group;
	int r;

	if (snprintf(user, sizeof(user), "%s", arg) >= (int)sizeof(user))
		return cell_error_set(err, ENAMETOOLONG, "exec: --user '%s'", arg);
	if ((group = strchr(user, ':')))
		*group++ = '\0';
	if (!user[0] || (group && !group[0]))
		return cell_error_set(err, 0,
				      "exec: --user '%s': expected USER[:GROUP] (numbers or "
				      "names)",
				      arg);
	if (all_digits(user))
		r = cell_cli_parse_u32(user, &p->uid) < 0
			    ? cell_error_set(err, ERANGE, "exec: --user '%s'", arg)
			    : 0;
	else
		r = lookup_user(s, pid, user, err);
	if (r < 0 || !group)
		return r;
	if (all_digits(group))
		return cell_cli_parse_u32(group, &p->gid) < 0
			       ? cell_error_set(err, ERANGE, "exec: --user '%s'", arg)
			       : 0;
	return lookup_group(pid, group, &p->gid, err);
}
