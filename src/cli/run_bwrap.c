/*
 * cell run — bubblewrap's command line (bwrap(1)): the flags a bwrap script,
 * or a program that builds bwrap's argv (flatpak, pressure-vessel), passes,
 * each the spec edit it means there. What cell does anyway is accepted
 * (--proc /proc, --dev /dev, --disable-userns); what needs a user namespace
 * of bwrap's making needs one of cell's (--uid, --gid); --args FD,
 * --info-fd and --json-status-fd speak bwrap's formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run_flags.h"
#include "spec.h"
#include "utils.h"

/* bwrap's MAX_ARGS: what --args may grow a command line to */
#define BWRAP_MAX_ARGS 9000

/* An fd the caller passed: a number, and open. */
static int parse_fd(const char *flag, const char *s, int *fd, struct cell_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return cell_error_set(err, 0, "%s '%s': expected a file descriptor number", flag,
				      s);
	if (fcntl((int)v, F_GETFD) < 0)
		return cell_error_set(err, errno, "%s %ld", flag, v);
	*fd = (int)v;
	return 0;
}

/* --perms: an octal mode of at most 07777, as chmod(1) takes it. */
static int parse_mode(const char *flag, const char *s, mode_t *mode, struct cell_error *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || s[0] == '-' || v > 07777)
		return cell_error_set(err, 0, "%s '%s': expected an octal mode up to 07777", flag,
				      s);
	*mode = (mode_t)v;
	return 0;
}

static int parse_id(const char *flag, const char *s, uint32_t *id, struct cell_error *err)
{
	if (cell_cli_parse_u32(s, id) < 0)
		return cell_error_set(err, 0, "%s '%s': expected a number below 4294967295", flag,
				      s);
	return 0;
}

/* --bind-try and its kin: a source that does not exist (or a dangling link) is skipped. */
static bool source_missing(const char *src)
{
	struct stat st;

	return stat(src, &st) < 0 && errno == ENOENT;
}

int cell_run_bwrap_modifiers(struct cell_run_cli *cli, int opt, bool is_tmpfs,
			     struct cell_error *err)
{
	const struct cell_run_bwrap *b = &cli->bwrap;
	bool modifier = opt == CELL_OPT_PERMS || opt == CELL_OPT_SIZE;
	bool takes_perms = is_tmpfs || opt == CELL_OPT_DIR || opt == CELL_OPT_FILE ||
			   opt == CELL_OPT_BIND_DATA || opt == CELL_OPT_RO_BIND_DATA;

	if (b->perms_set && !takes_perms && !modifier)
		return cell_error_set(err, 0,
				      "--perms must be followed by --tmpfs, --dir, --file, "
				      "--bind-data or --ro-bind-data");
	if (b->size_set && !is_tmpfs && !modifier)
		return cell_error_set(err, 0, "--size must be followed by --tmpfs");
	return 0;
}

int cell_run_bwrap_tmpfs(struct cell_run_cli *cli, const char *arg, struct cell_error *err)
{
	struct cell_run_bwrap *b = &cli->bwrap;
	char full[PATH_MAX + 64];
	char sep = strchr(arg, ':') ? ',' : ':';
	int n;

	if (strlen(arg) >= PATH_MAX)
		return cell_error_set(err, ENAMETOOLONG, "--tmpfs %.64s...", arg);
	n = snprintf(full, sizeof(full), "%s", arg);
	if (b->perms_set)
		n += snprintf(full + n, sizeof(full) - (size_t)n, "%cmode=%04o", sep,
			      (unsigned)b->perms);
	if (b->size_set)
		n += snprintf(full + n, sizeof(full) - (size_t)n, "%csize=%lld",
			      b->perms_set ? ',' : sep, (long long)b->size);
	if ((size_t)n >= sizeof(full))
		return cell_error_set(err, ENAMETOOLONG, "--tmpfs %s", arg);
	b->perms_set = b->size_set = false;
	return cell_run_add_tmpfs(&cli->spec, full, err);
}

/* --proc DEST: cell mounts /proc anyway; another DEST gets a procfs of its own. */
static int bwrap_mount(struct cell_run_cli *cli, const char *flag, const char *type,
		       const char *dst, struct cell_error *err)
{
	static const char *const opts[] = { "nosuid", "noexec", "nodev", NULL };

	if (dst[0] != '/')
		return cell_error_set(err, 0, "%s '%s': expected an absolute path", flag, dst);
	if (!strcmp(type, "proc") && !strcmp(dst, "/proc"))
		return 0;
	return cell_spec_add_mount(&cli->spec, dst, type, type, opts, err);
}

/* A namespace type the kernel has, for the -try flags. */
static bool kernel_has(const char *proc_name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", proc_name);
	return access(path, F_OK) == 0;
}

/* --unshare-user-try: and the kernel lets this caller make one (a sysctl may not). */
static bool can_make_userns(void)
{
	char buf[32];

	if (!kernel_has("user"))
		return false;
	if (cell_read_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", buf, sizeof(buf), NULL) >
		    0 &&
	    atol(buf) == 0)
		return false;
	return true;
}

/*
 * --dir, --file, --bind-data, --ro-bind-data, --chmod, --remount-ro: made in
 * their turn among the mounts (rootfs/path_ops.c). A data flag's FD is read
 * to its end now and closed, as bwrap does; the mode is --perms's, else
 * bwrap's default @mode.
 */
static int add_path_op(struct cell_run_cli *cli, enum cell_path_op_kind kind, const char *flag,
		       const char *fdarg, const char *path, mode_t mode, struct cell_error *err)
{
	struct cell_run_bwrap *b = &cli->bwrap;
	struct cell_path_op op = { .kind = kind,
				   .path = (char *)path,
				   .mode = b->perms_set ? b->perms : mode,
				   .readonly = !strcmp(flag, "--ro-bind-data") };
	const char *problem;
	int fd, r;

	b->perms_set = false;
	if ((problem = cell_path_op_problem(&op)))
		return cell_error_set(err, 0, "%s '%s': %s", flag, path, problem);
	if (fdarg) {
		if ((r = parse_fd(flag, fdarg, &fd, err)) < 0)
			return r;
		r = cell_read_fd(fd, flag, &op.data, &op.len, err);
		close(fd);
		if (r < 0)
			return r;
	}
	r = cell_spec_add_path_op(&cli->spec, &op, err);
	free(op.data);
	return r;
}

int cell_run_bwrap_option(struct cell_run_cli *cli, int opt, const char *flag, char **argv,
			  int argc, struct cell_error *err)
{
	struct cell_run_bwrap *b = &cli->bwrap;
	const char *second;
	mode_t mode;
	int r;

	switch (opt) {
	case CELL_OPT_BIND_TRY: /* bwrap's two-argument flags: FLAG SRC DEST */
	case CELL_OPT_RO_BIND_TRY:
	case CELL_OPT_DEV_BIND_TRY:
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: SRC DEST", flag);
		second = argv[optind++];
		if (source_missing(optarg))
			return 0;
		if (opt == CELL_OPT_DEV_BIND_TRY)
			return cell_run_dev_bind(cli, optarg, second, err);
		return cell_run_add_bind(cli, optarg, second, opt == CELL_OPT_RO_BIND_TRY, err);
	case CELL_OPT_AS_PID_1:
		cli->spec.cell.init = false;
		return 0;
	case CELL_OPT_CHDIR:
		if (optarg[0] != '/')
			return cell_error_set(err, 0, "--chdir '%s': expected an absolute path",
					      optarg);
		cli->spec.cell.cwd_optional = false;
		free(cli->spec.process.cwd);
		if (!(cli->spec.process.cwd = strdup(optarg)))
			return cell_error_set(err, ENOMEM, "--chdir");
		return 0;
	case CELL_OPT_PROC:
		return bwrap_mount(cli, flag, "proc", optarg, err);
	case CELL_OPT_MQUEUE:
		return bwrap_mount(cli, flag, "mqueue", optarg, err);
	case CELL_OPT_DEV:
		if (strcmp(optarg, "/dev"))
			return cell_error_set(err, ENOTSUP,
					      "--dev %s: cell makes the container's /dev itself, "
					      "on /dev alone",
					      optarg);
		return 0;
	case CELL_OPT_PERMS:
		if ((r = parse_mode(flag, optarg, &b->perms, err)) < 0)
			return r;
		b->perms_set = true;
		return 0;
	case CELL_OPT_SIZE:
		if ((r = cell_parse_size(optarg, false, &b->size, err)) < 0)
			return cell_error_prefix(err, "--size");
		b->size_set = true;
		return 0;
	case CELL_OPT_UNSHARE_USER_TRY:
		if (can_make_userns())
			cli->spec.linux.namespaces[CELL_NS_USER].present = true;
		return 0;
	case CELL_OPT_UNSHARE_CGROUP_TRY:
		if (kernel_has("cgroup"))
			cli->spec.linux.namespaces[CELL_NS_CGROUP].present = true;
		return 0;
	case CELL_OPT_DISABLE_USERNS:
		b->disable_userns = true;
		return 0;
	case CELL_OPT_ASSERT_USERNS_DISABLED:
		b->assert_userns_disabled = true;
		return 0;
	case CELL_OPT_UID:
		b->uid_set = true;
		return parse_id(flag, optarg, &b->uid, err);
	case CELL_OPT_GID:
		b->gid_set = true;
		return parse_id(flag, optarg, &b->gid, err);
	case CELL_OPT_DIR:
		return add_path_op(cli, CELL_PATH_DIR, flag, NULL, optarg, 0755, err);
	case CELL_OPT_FILE: /* bwrap's FLAG FD DEST */
	case CELL_OPT_BIND_DATA:
	case CELL_OPT_RO_BIND_DATA:
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: FD DEST", flag);
		second = argv[optind++];
		return add_path_op(cli, CELL_PATH_FILE, flag, optarg, second,
				   opt == CELL_OPT_FILE ? 0666 : 0600, err);
	case CELL_OPT_CHMOD:
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: OCTAL PATH", flag);
		second = argv[optind++];
		if ((r = parse_mode(flag, optarg, &mode, err)) < 0)
			return r;
		return add_path_op(cli, CELL_PATH_CHMOD, flag, NULL, second, mode, err);
	case CELL_OPT_REMOUNT_RO:
		return add_path_op(cli, CELL_PATH_REMOUNT_RO, flag, NULL, optarg, 0, err);
	case CELL_OPT_INFO_FD:
	case CELL_OPT_JSON_STATUS_FD:
	case CELL_OPT_SYNC_FD: {
		int fd;

		if ((r = parse_fd(flag, optarg, &fd, err)) < 0)
			return r;
		/* none reaches a hook: the container's process gets no fd it was not given */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			return cell_error_set(err, errno, "%s %d", flag, fd);
		/* --sync-fd: cell holds it while the container runs, and closes it at the end */
		*(opt == CELL_OPT_INFO_FD	   ? &b->info_fd
		  : opt == CELL_OPT_JSON_STATUS_FD ? &b->json_status_fd
						   : &b->sync_fd) = fd + 1;
		return 0;
	}
	default:
		return cell_error_set(err, EINVAL, "%s: not a bubblewrap flag", flag);
	}
}

int cell_run_bwrap_args(struct cell_run_cli *cli, const char *flag, const char *fdarg, int *argc,
			char ***argv, struct cell_error *err)
{
	struct cell_run_bwrap *b = &cli->bwrap;
	char *data, **grown, **v;
	size_t len, n = 0;
	int fd, r;

	if ((r = parse_fd(flag, fdarg, &fd, err)) < 0)
		return r;
	r = cell_read_fd(fd, flag, &data, &len, err);
	close(fd); /* read to its end: bwrap closes it too */
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i += strlen(data + i) + 1)
		n++;
	if ((size_t)*argc + n > BWRAP_MAX_ARGS) {
		free(data);
		return cell_error_set(err, E2BIG, "%s %s: more than %d arguments", flag, fdarg,
				      BWRAP_MAX_ARGS);
	}
	grown = realloc(b->buffers, (b->n_buffers + 2) * sizeof(*grown));
	v = calloc((size_t)*argc + n + 1, sizeof(*v));
	if (!grown || !v) {
		if (grown)
			b->buffers = grown;
		free(v);
		free(data);
		return cell_error_set(err, ENOMEM, "%s", flag);
	}
	b->buffers = grown;
	/* FD's arguments stand where --args FD stood; getopt goes on from there */
	memcpy(v, *argv, (size_t)optind * sizeof(*v));
	for (size_t i = 0, k = (size_t)optind; i < len; i += strlen(data + i) + 1)
		v[k++] = data + i;
	memcpy(v + optind + n, *argv + optind, (size_t)(*argc - optind) * sizeof(*v));
	b->buffers[b->n_buffers++] = data;
	b->buffers[b->n_buffers++] = (char *)v;
	*argc += (int)n;
	*argv = v;
	return 0;
}

/* Who is who in a user namespace of cell's making: --uid and --gid. */
static int check_ids(struct cell_run_cli *cli, struct cell_error *err)
{
	const struct cell_run_bwrap *b = &cli->bwrap;
	const struct cell_namespace *user = &cli->spec.linux.namespaces[CELL_NS_USER];
	const char *flag = b->uid_set ? "--uid" : "--gid";

	if (!b->uid_set && !b->gid_set)
		return 0;
	if (!user->present || user->path)
		return cell_error_set(err, 0,
				      "%s needs a user namespace of cell's making (--unshare-user; "
				      "or -u UID:GID)",
				      flag);
	if (cli->user)
		return cell_error_set(err, 0, "%s and --user both name the user: give one", flag);
	if (cli->userns_mode != CELL_USERNS_DEFAULT)
		return cell_error_set(
			err, 0, "%s and --%s both pick the ids inside: give one", flag,
			cli->userns_mode == CELL_USERNS_KEEP_ID ? "keep-id" : "subids");
	return 0;
}

int cell_run_bwrap_finish(struct cell_run_cli *cli, struct cell_error *err)
{
	const struct cell_run_bwrap *b = &cli->bwrap;
	const struct cell_namespace *user = &cli->spec.linux.namespaces[CELL_NS_USER];
	int r;

	if ((r = cell_run_bwrap_modifiers(cli, 0, false, err)) < 0)
		return r;
	if (cli->from_bundle && (b->uid_set || b->gid_set))
		return cell_error_set(err, 0,
				      "%s: a bundle brings its own id maps and process.user",
				      b->uid_set ? "--uid" : "--gid");
	if ((r = check_ids(cli, err)) < 0)
		return r;
	/* bwrap's: the id not given is the caller's own, as without either */
	if (b->uid_set != b->gid_set) {
		cli->bwrap.uid = b->uid_set ? b->uid : cli->euid;
		cli->bwrap.gid = b->gid_set ? b->gid : cli->egid;
		cli->bwrap.uid_set = cli->bwrap.gid_set = true;
	}
	/* cell's own: a user namespace of the container's own allows none below it */
	if ((b->disable_userns || b->assert_userns_disabled) && cli->spec.cell.nested_userns)
		return cell_error_set(err, 0, "%s and --nested-userns say the opposite",
				      b->disable_userns ? "--disable-userns"
							: "--assert-userns-disabled");
	if ((b->disable_userns || b->assert_userns_disabled) && (!user->present || user->path))
		return cell_error_set(
			err, 0, "%s needs a user namespace of cell's making (--unshare-user)",
			b->disable_userns ? "--disable-userns" : "--assert-userns-disabled");
	if ((b->info_fd || b->json_status_fd || b->sync_fd) && cli->detach)
		return cell_error_set(err, 0,
				      "%s with --detach: the container outlives cell, which "
				      "holds it",
				      b->info_fd	  ? "--info-fd"
				      : b->json_status_fd ? "--json-status-fd"
							  : "--sync-fd");
	return 0;
}

/*
 * bwrap's info: the host PID of the container's first process and the
 * inodes of the namespaces cell made for it, named as bwrap names them.
 */
static int info_json(const struct cell_run_cli *cli, const struct cell_run_box *box, bool pretty,
		     char *buf, size_t size)
{
	static const char *const order[] = { "cgroup", "ipc", "mnt", "net", "pid", "uts" };
	const char *sep = pretty ? ",\n    " : ", ";
	int n = snprintf(buf, size, pretty ? "{\n    \"child-pid\": %d" : "{ \"child-pid\": %d",
			 (int)box->pid);

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int t = cell_ns_from_name(order[i]);
		const struct cell_namespace *ns = &cli->spec.linux.namespaces[t];

		if (!ns->present || ns->path || !box->ns_ids || !box->ns_ids[t])
			continue;
		n += snprintf(buf + n, size - (size_t)n, "%s\"%s-namespace\": %ju", sep, order[i],
			      (uintmax_t)box->ns_ids[t]);
	}
	n += snprintf(buf + n, size - (size_t)n, pretty ? "\n}\n" : " }\n");
	return n;
}

static int on_start(void *ctx, const struct cell_run_box *box, struct cell_error *err)
{
	struct cell_run_cli *cli = ctx;
	struct cell_run_bwrap *b = &cli->bwrap;
	char buf[1024];
	int n, r;

	if (b->info_fd) {
		n = info_json(cli, box, true, buf, sizeof(buf));
		r = cell_write_all(b->info_fd - 1, buf, (size_t)n);
		close(b->info_fd - 1); /* the reader sees its end, as bwrap's does */
		b->info_fd = 0;
		if (r < 0)
			return cell_error_set(err, -r, "--info-fd");
	}
	if (b->json_status_fd) {
		n = info_json(cli, box, false, buf, sizeof(buf));
		if ((r = cell_write_all(b->json_status_fd - 1, buf, (size_t)n)) < 0)
			return cell_error_set(err, -r, "--json-status-fd");
	}
	return 0;
}

void cell_run_bwrap_options(struct cell_run_cli *cli, struct cell_run_watch *w,
			    struct cell_run_options *opts)
{
	if (!cli->bwrap.info_fd && !cli->bwrap.json_status_fd)
		return;
	*w = (struct cell_run_watch){ .fd = -1, .on_start = on_start, .ctx = cli };
	opts->watch = w;
	opts->ns_ids = true;
}

void cell_run_bwrap_exited(struct cell_run_cli *cli, int wait_status)
{
	struct cell_run_bwrap *b = &cli->bwrap;
	char buf[64];
	int n;

	if (!b->json_status_fd)
		return;
	n = snprintf(buf, sizeof(buf), "{ \"exit-code\": %d }\n", cell_exit_status(wait_status));
	(void)cell_write_all(b->json_status_fd - 1, buf, (size_t)n);
	close(b->json_status_fd - 1);
	b->json_status_fd = 0;
}

void cell_run_bwrap_free(struct cell_run_bwrap *b)
{
	for (size_t i = 0; i < b->n_buffers; i++)
		free(b->buffers[i]);
	free(b->buffers);
	if (b->info_fd)
		close(b->info_fd - 1);
	if (b->json_status_fd)
		close(b->json_status_fd - 1);
	if (b->sync_fd)
		close(b->sync_fd - 1);
	memset(b, 0, sizeof(*b));
}
