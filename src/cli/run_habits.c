/*
 * cell run — flags that docker, podman and bubblewrap users type out of
 * habit: each becomes the spec edit it means there, or is accepted where it
 * names what cell does anyway (--rm, -i, --new-session), so that muscle
 * memory does not end in "unknown option".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "run_flags.h"
#include "spec.h"
#include "utils.h"

/* docker's --ulimit names: "nofile" is RLIMIT_NOFILE. */
static int rlimit_by_docker_name(const char *name, size_t len)
{
	char upper[32];

	if (len >= sizeof(upper) - 7)
		return -1;
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		const char *full = cell_rlimit_name(res);

		snprintf(upper, sizeof(upper), "RLIMIT_%.*s", (int)len, name);
		for (char *c = upper + 7; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		if (full && !strcmp(full, upper))
			return res;
	}
	return -1;
}

static int parse_limit(const char *s, uint64_t *out)
{
	char *end;

	if (!strcmp(s, "-1") || !strcmp(s, "unlimited")) {
		*out = RLIM_INFINITY;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' ? -1 : 0;
}

/* --ulimit NAME=SOFT[:HARD] (docker's): one process.rlimits entry, replacing NAME's. */
static int add_ulimit(struct cell_process *p, const char *arg, struct cell_error *err)
{
	const char *eq = strchr(arg, '=');
	char soft[32], *colon;
	struct cell_rlimit rl, *grown;
	int res = eq ? rlimit_by_docker_name(arg, (size_t)(eq - arg)) : -1;

	if (res < 0 || snprintf(soft, sizeof(soft), "%s", eq + 1) >= (int)sizeof(soft))
		return cell_error_set(err, 0,
				      "--ulimit '%s': expected NAME=SOFT[:HARD], NAME one "
				      "of nofile, nproc, core, stack, memlock, ... (getrlimit(2))",
				      arg);
	if ((colon = strchr(soft, ':')))
		*colon++ = '\0';
	rl.resource = res;
	if (parse_limit(soft, &rl.soft) < 0 || parse_limit(colon ? colon : soft, &rl.hard) < 0 ||
	    rl.soft > rl.hard)
		return cell_error_set(err, 0,
				      "--ulimit '%s': SOFT and HARD are numbers (or -1: "
				      "unlimited), SOFT not above HARD",
				      arg);
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (p->rlimits[i].resource == res) {
			p->rlimits[i] = rl;
			return 0;
		}
	if (!(grown = realloc(p->rlimits, (p->n_rlimits + 1) * sizeof(*grown))))
		return cell_error_set(err, ENOMEM, "--ulimit");
	grown[p->n_rlimits++] = rl;
	p->rlimits = grown;
	return 0;
}

/* KEY=VALUE, or KEY alone: the caller's value, if it has one (docker's --env-file). */
static int set_env_line(struct cell_spec *spec, const char *line, struct cell_error *err)
{
	const char *value;
	char *kv;
	int r;

	if (strchr(line, '='))
		return cell_spec_set_env(spec, line, err);
	if (!(value = getenv(line)))
		return 0;
	if (asprintf(&kv, "%s=%s", line, value) < 0)
		return cell_error_set(err, ENOMEM, "environment");
	r = cell_spec_set_env(spec, kv, err);
	free(kv);
	return r;
}

static int env_file(struct cell_spec *spec, const char *path, struct cell_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	int r, n = 0;

	if ((r = cell_read_file(path, &text, &len, err)) < 0)
		return cell_error_prefix(err, "--env-file");
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		line[strcspn(line, "\r")] = '\0';
		line += strspn(line, " \t");
		if (!line[0] || line[0] == '#')
			continue;
		if (line[0] == '=')
			return cell_error_set(err, 0, "--env-file %s: line %d: no variable name",
					      path, n);
		if ((r = set_env_line(spec, line, err)) < 0)
			return r;
	}
	return 0;
}

static void unset_env(struct cell_process *p, const char *key)
{
	size_t klen = strlen(key), j = 0;

	for (size_t i = 0; p->env && p->env[i]; i++) {
		if (!strncmp(p->env[i], key, klen) && p->env[i][klen] == '=')
			free(p->env[i]);
		else
			p->env[j++] = p->env[i];
	}
	if (p->env)
		p->env[j] = NULL;
}

/* docker's --security-opt: seccomp=unconfined|FILE, no-new-privileges[=true|false]. */
static int security_opt(struct cell_run_cli *cli, const char *arg, struct cell_error *err)
{
	size_t key = strcspn(arg, "=:");
	const char *value = arg[key] ? arg + key + 1 : NULL;

	if (key == 7 && !strncmp(arg, "seccomp", 7) && value && value[0]) {
		cli->seccomp = value;
		return 0;
	}
	if (key == 17 && !strncmp(arg, "no-new-privileges", 17) &&
	    (!value || !strcmp(value, "true") || !strcmp(value, "false"))) {
		cli->spec.process.no_new_privileges = !value || !strcmp(value, "true");
		return 0;
	}
	return cell_error_set(err, 0,
			      "--security-opt '%s': cell run takes seccomp=unconfined|"
			      "FILE and no-new-privileges[=true|false] (AppArmor and SELinux "
			      "labels: in a bundle's config.json)",
			      arg);
}

/* An allow rule for device @st (rwm), unless the spec has that one already. */
static int allow_device(struct cell_resources *res, const struct stat *st, struct cell_error *err)
{
	struct cell_device_rule rule = { .allow = true,
					 .type = S_ISBLK(st->st_mode) ? 'b' : 'c',
					 .major = major(st->st_rdev),
					 .minor = minor(st->st_rdev),
					 .access = "rwm" },
				*grown;

	for (size_t i = 0; i < res->n_devices; i++)
		if (!memcmp(&res->devices[i], &rule, sizeof(rule)))
			return 0;
	grown = realloc(res->devices, (res->n_devices + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "--dev-bind: linux.resources.devices");
	grown[res->n_devices++] = rule;
	res->devices = grown;
	return 0;
}

/*
 * The device nodes at and below @path, each allowed in the device cgroup.
 * Nodes made later (hot-plug, new ptys of another devpts) are not: the
 * allow-list is fixed when the container starts.
 */
static int allow_devices_below(struct cell_resources *res, int at, const char *path, int depth,
			       struct cell_error *err)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_set(err, errno, "--dev-bind %s", path);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return allow_device(res, &st, err);
	/* /dev is four levels deep at most (/dev/disk/by-id/...) */
	if (!S_ISDIR(st.st_mode) || depth > 8)
		return 0;
	if ((fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(fd))) {
		r = cell_error_set(err, errno, "--dev-bind %s", path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = allow_devices_below(res, dirfd(d), e->d_name, depth + 1, err);
	closedir(d);
	return r;
}

/*
 * bubblewrap's --dev-bind SRC DEST: a bind mount whose device nodes can be
 * opened. bwrap has no device cgroup to open; cell's root containers do, so
 * every node SRC holds is allowed there too (linux.resources.devices: the
 * bundle `cell spec` writes carries them).
 */
int cell_run_dev_bind(struct cell_run_cli *cli, const char *src, const char *dst,
		      struct cell_error *err)
{
	static const char *const opts[] = { "rbind", "rw", NULL };
	char abs[PATH_MAX];
	int r;

	if (!realpath(src, abs))
		return cell_error_set(err, errno, "--dev-bind source %s", src);
	/* on / it is the root (cell_run_add_bind), whose /dev is cell's */
	if (dst[0] == '/' && dst[strspn(dst, "/")] == '\0')
		return cell_run_add_bind(cli, src, dst, false, err);
	if (dst[0] != '/')
		return cell_error_set(err, 0,
				      "--dev-bind destination '%s': expected an absolute "
				      "path",
				      dst);
	if ((r = allow_devices_below(&cli->spec.linux.resources, AT_FDCWD, abs, 0, err)) < 0)
		return r;
	return cell_spec_add_mount(&cli->spec, dst, "bind", abs, opts, err);
}

/*
 * bubblewrap's --symlink TARGET LINK: TARGET is the link's content as given
 * (symlink(2) resolves nothing); the link is made in its turn among the
 * mounts (rootfs/symlinks.c), never on the host's root or a --rootfs DIR.
 */
static int add_symlink(struct cell_spec *spec, const char *target, const char *link,
		       struct cell_error *err)
{
	const char *problem = cell_symlink_problem(target, link);

	if (problem)
		return cell_error_set(err, 0, "--symlink '%s' '%s': %s", target, link, problem);
	return cell_spec_add_symlink(spec, target, link, err);
}

int cell_run_habit_option(struct cell_run_cli *cli, int opt, const char *flag, char **argv,
			  int argc, struct cell_error *err)
{
	struct cell_process *p = &cli->spec.process;
	char *kv;
	int r;

	switch (opt) {
	case CELL_OPT_RM:	   /* a foreground run leaves nothing behind anyway */
	case CELL_OPT_INTERACTIVE: /* stdin always reaches the command */
	case CELL_OPT_NEW_SESSION: /* the command always starts a new session (setsid) */
		return 0;
	case CELL_OPT_DIE_WITH_PARENT:
		cli->die_with_parent = true;
		return 0;
	case CELL_OPT_ENV_FILE:
		return env_file(&cli->spec, optarg, err);
	case CELL_OPT_ULIMIT:
		return add_ulimit(p, optarg, err);
	case CELL_OPT_SECURITY_OPT:
		return security_opt(cli, optarg, err);
	case CELL_OPT_CLEARENV:
		cell_strv_free(p->env);
		p->env = NULL;
		return 0;
	case CELL_OPT_UNSETENV:
		unset_env(p, optarg);
		return 0;
	case CELL_OPT_SETENV: /* bubblewrap's two-argument form: --setenv VAR VALUE */
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: VAR VALUE", flag);
		if (asprintf(&kv, "%s=%s", optarg, argv[optind++]) < 0)
			return cell_error_set(err, ENOMEM, "%s", flag);
		r = cell_spec_set_env(&cli->spec, kv, err);
		free(kv);
		return r;
	case CELL_OPT_DEV_BIND: /* bubblewrap's two-argument form: --dev-bind SRC DEST */
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: SRC DEST", flag);
		return cell_run_dev_bind(cli, optarg, argv[optind++], err);
	case CELL_OPT_SYMLINK: /* bubblewrap's --symlink TARGET LINK */
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: TARGET LINK", flag);
		return add_symlink(&cli->spec, optarg, argv[optind++], err);
	default:
		return cell_error_set(err, EINVAL, "%s: not a habit flag", flag);
	}
}

/* Levenshtein distance, for "did you mean"; names are short. */
static size_t distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = a[i - 1] == b[j - 1]
					 ? prev
					 : 1 + (prev < row[j]
							? (prev < row[j - 1] ? prev : row[j - 1])
							: (row[j] < row[j - 1] ? row[j]
									       : row[j - 1]));
			prev = tmp;
		}
	}
	return row[lb];
}

const char *cell_run_suggest(const struct option *options, const char *given)
{
	const char *name = given + strspn(given, "-"), *best = NULL;
	size_t len = strcspn(name, "="), best_d = len / 3 > 2 ? len / 3 : 2;

	for (size_t i = 0; options[i].name; i++) {
		size_t d = distance(name, len, options[i].name);

		if (d <= best_d && (!best || d < best_d)) {
			best = options[i].name;
			best_d = d;
		}
	}
	return best;
}

/* Is @name a program in the container's PATH (looked up on the host side of its root)? */
static bool in_path(const struct cell_spec *spec, const char *name)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *root = strcmp(spec->root.path, "/") ? spec->root.path : "";
	char file[4096];

	for (size_t i = 0; spec->process.env && spec->process.env[i]; i++)
		if (!strncmp(spec->process.env[i], "PATH=", 5))
			path = spec->process.env[i] + 5;
	size_t root_len = strlen(root), name_len = strlen(name);

	for (const char *dir = path; *dir; dir += strcspn(dir, ":"), dir += *dir == ':') {
		size_t len = strcspn(dir, ":");

		/* Built by hand: "%.*s" of @dir makes gcc's UBSan build see a NULL. */
		if (root_len + len + 1 + name_len >= sizeof(file))
			continue;
		memcpy(file, root, root_len);
		memcpy(file + root_len, dir, len);
		file[root_len + len] = '/';
		memcpy(file + root_len + len + 1, name, name_len + 1);
		if (access(file, F_OK) == 0)
			return true;
	}
	return false;
}

int cell_run_check_lone_id(const struct cell_run_cli *cli, int argc, char **argv,
			   struct cell_error *err)
{
	char cwd[4096];
	char *const *args = cli->spec.process.args;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return 0;
	/* runc's `run ID` without -- and without ./config.json: say so, not "exec ID: ENOENT" */
	if (cli->from_bundle || cli->spec_mode || !args || !args[0] || args[1] ||
	    strchr(args[0], '/') || in_path(&cli->spec, args[0]))
		return 0;
	cell_error_set(err, ENOENT,
		       "'%s' is no command, and %s/config.json does not exist for a "
		       "container of that name (cell run -- CMD, or cell run --bundle DIR ID; "
		       "cell spec writes a config.json)",
		       args[0], getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	err->kind = CELL_ERR_EXEC_NOT_FOUND;
	return -ENOENT;
}
