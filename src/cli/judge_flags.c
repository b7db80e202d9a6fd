/*
 * cell — `cell judge` flags. isolate's names and letters, so a judge can
 * switch; the box itself is `cell run`'s spec: the judge's defaults are `cell
 * run` flags handed to its parser (one start path, one set of checks), and the
 * limits no `cell run` flag has become process.rlimits here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "judge.h"
#include "utils.h"

const char cell_judge_usage[] =
	"Usage: cell judge [OPTIONS] [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND as an untrusted program: all namespaces (user too), no network, the\n"
	"host's root read-only (or --rootfs), a private writable /tmp (64m) as working directory,\n"
	"no capabilities, no_new_privs, the default seccomp filter, at most 64 processes,\n"
	"no core files, stdin reading EOF; then print one JSON report (--report FILE).\n"
	"\n"
	"Limits (isolate's names; sizes in bytes or with k, m, g):\n"
	"  -t, --time SECONDS        CPU time of the whole process tree\n"
	"  -w, --wall-time SECONDS   wall-clock time\n"
	"  -x, --extra-time SECONDS  grace after a time limit before the box is killed\n"
	"  -m, --mem SIZE            memory of the whole box (cgroup; rootless: RLIMIT_AS)\n"
	"  -k, --stack SIZE          stack of each process (RLIMIT_STACK)\n"
	"  -f, --fsize SIZE          size of each file written (RLIMIT_FSIZE)\n"
	"  -p, --processes N         processes and threads at once (default 64)\n"
	"  -n, --open-files N        open files of each process (default 64)\n"
	"  --output-limit SIZE       bytes kept of stdout and of stderr each (default 64m);\n"
	"                            more ends the run with status OL\n"
	"Files and box:\n"
	"  -i, --stdin FILE          stdin from FILE (default: reads EOF)\n"
	"  -o, --stdout FILE         write the program's stdout to FILE (default: dropped)\n"
	"  -r, --stderr FILE         write the program's stderr to FILE (default: dropped)\n"
	"  -d, --dir SRC=DST[:rw]    bind host directory SRC at DST, read-only unless :rw\n"
	"  -E, --env VAR[=VALUE]     set VAR (without a value: cell's own); nothing else is\n"
	"                            passed but PATH\n"
	"  -c, --chdir DIR           working directory inside (default /tmp)\n"
	"  --rootfs DIR              this root file system (read-only) instead of the host's\n"
	"  -b, --box-id N            root: take box N (a batch: N to N+jobs-1), which runs as\n"
	"                            host uid and gid FIRST+N; default: the first box free\n"
	"  --box-uids FIRST:COUNT    root: the host ids boxes run as (default 60000:1000,\n"
	"                            isolate's); no one else may use them\n"
	"Report:\n"
	"  --report FILE             the JSON report to FILE instead of stdout\n"
	"  -M, --meta FILE           isolate's meta file (key:value lines) too; - for stderr\n"
	"Batch (no COMMAND; the flags above are every line's defaults):\n"
	"  --batch FILE              run FILE's lines (- for stdin), one JSON object each:\n"
	"                            {\"id\":..., \"argv\":[...], \"stdin\":..., \"stdout\":...,\n"
	"                            \"stderr\":..., \"env\":[...], \"chdir\":..., and limits by\n"
	"                            their flag names: \"time\", \"mem\", \"output-limit\", ...};\n"
	"                            one report a line on stdout, in input order, with\n"
	"                            \"line\" and \"id\"; a bad line gets an XX report\n"
	"  -j, --jobs N              N boxes at once (default 1)\n"
	"  -h, --help\n"
	"\n"
	"Status: OK, RE (non-zero exit), SG (signal), TO (time limit; time_limit says cpu or\n"
	"wall), ML (memory limit), OL (output limit), XX (cell failed; message says why).\n"
	"Exit status: 0 for OK, 1 for another status, 125 for XX or no report. A batch: 0\n"
	"when every line got its report (whatever its status), 128+N when signal N stopped\n"
	"it, 125 when cell failed. See cell-judge(1).\n";

enum { OPT_OUTPUT_LIMIT = 1000, OPT_REPORT, OPT_ROOTFS, OPT_BATCH, OPT_BOX_UIDS };

static const struct option judge_options[] = {
	{ "time", required_argument, NULL, 't' },
	{ "wall-time", required_argument, NULL, 'w' },
	{ "extra-time", required_argument, NULL, 'x' },
	{ "mem", required_argument, NULL, 'm' },
	{ "stack", required_argument, NULL, 'k' },
	{ "fsize", required_argument, NULL, 'f' },
	{ "processes", required_argument, NULL, 'p' },
	{ "open-files", required_argument, NULL, 'n' },
	{ "output-limit", required_argument, NULL, OPT_OUTPUT_LIMIT },
	{ "stdin", required_argument, NULL, 'i' },
	{ "stdout", required_argument, NULL, 'o' },
	{ "stderr", required_argument, NULL, 'r' },
	{ "dir", required_argument, NULL, 'd' },
	{ "env", required_argument, NULL, 'E' },
	{ "chdir", required_argument, NULL, 'c' },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "meta", required_argument, NULL, 'M' },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "jobs", required_argument, NULL, 'j' },
	{ "box-id", required_argument, NULL, 'b' },
	{ "box-uids", required_argument, NULL, OPT_BOX_UIDS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define JUDGE_DEFAULT_PROCESSES 64
#define JUDGE_DEFAULT_OPEN_FILES 64
#define JUDGE_DEFAULT_OUTPUT (64LL << 20)
#define JUDGE_MAX_JOBS 256
#define JUDGE_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

/* The `cell run` argv the box is built from, and the strings it owns. */
struct run_argv {
	char **v;
	size_t n, cap;
	char **owned;
};

static int argv_add(struct run_argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
	return 0;
}

static int argv_addf(struct run_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int argv_addf(struct run_argv *a, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (cell_strv_append(&a->owned, s) < 0) {
		free(s);
		return -ENOMEM;
	}
	free(s);
	return argv_add(a, a->owned[cell_strv_len(a->owned) - 1]);
}

static void argv_free(struct run_argv *a)
{
	free(a->v);
	cell_strv_free(a->owned);
}

static int parse_seconds(const char *flag, const char *s, double *out, struct cell_error *err)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < 0 || *out > 1e6)
		return cell_error_set(err, 0, "%s '%s': expected seconds, e.g. 1.5", flag, s);
	return 0;
}

static int parse_count(const char *flag, const char *s, long *out, struct cell_error *err)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < 1 || *out > 1L << 22)
		return cell_error_set(err, 0, "%s '%s': expected a whole number from 1 to %ld",
				      flag, s, 1L << 22);
	return 0;
}

static int parse_bytes(const char *flag, const char *s, int64_t *out, struct cell_error *err)
{
	int r = cell_parse_size(s, false, out, err);

	if (r == 0 && *out <= 0)
		r = cell_error_set(err, 0, "%s '%s': expected a positive size", flag, s);
	return r < 0 ? cell_error_prefix(err, "%s", flag) : 0;
}

/* --dir SRC=DST[:rw] as `cell run -v SRC:DST:ro|rw`. */
static int add_dir(struct run_argv *a, const char *arg, struct cell_error *err)
{
	const char *eq = strchr(arg, '='), *mode;
	size_t dst_len;

	if (!eq || eq == arg || !eq[1] || eq[1] != '/' || strchr(eq + 1, '='))
		return cell_error_set(err, 0,
				      "--dir '%s': expected SRC=DST[:rw] with DST an "
				      "absolute path",
				      arg);
	mode = strchr(eq + 1, ':');
	if (mode && strcmp(mode, ":rw"))
		return cell_error_set(err, 0, "--dir '%s': the only option is :rw", arg);
	dst_len = mode ? (size_t)(mode - eq - 1) : strlen(eq + 1);
	if (memchr(arg, ':', (size_t)(eq - arg)))
		return cell_error_set(err, 0, "--dir '%s': SRC may not hold ':'", arg);
	if (argv_add(a, "-v") < 0 || argv_addf(a, "%.*s:%.*s:%s", (int)(eq - arg), arg,
					       (int)dst_len, eq + 1, mode ? "rw" : "ro") < 0)
		return cell_error_set(err, ENOMEM, "--dir");
	return 0;
}

/* --env VAR=VALUE, or VAR alone: cell's own value (isolate's meaning). */
static int add_env(char ***env, const char *arg, struct cell_error *err)
{
	const char *value;
	char *kv;

	if (!arg[0] || arg[0] == '=')
		return cell_error_set(err, 0, "--env '%s': expected VAR[=VALUE]", arg);
	if (strchr(arg, '='))
		return cell_strv_append(env, arg) < 0 ? cell_error_set(err, ENOMEM, "--env") : 0;
	value = getenv(arg);
	if (!value)
		return 0;
	if (asprintf(&kv, "%s=%s", arg, value) < 0)
		return cell_error_set(err, ENOMEM, "--env");
	int r = cell_strv_append(env, kv);

	free(kv);
	return r < 0 ? cell_error_set(err, ENOMEM, "--env") : 0;
}

struct judge_parse {
	struct run_argv box; /* --dir, --rootfs, --chdir: `cell run` flags */
	char **env;
	const char *chdir;
};

static int judge_option(struct cell_judge_cli *cli, struct judge_parse *jp, int opt,
			const char *flag, const char *arg, struct cell_error *err)
{
	struct cell_judge_limits *l = &cli->lim;

	switch (opt) {
	case 't':
		return parse_seconds(flag, arg, &l->time, err);
	case 'w':
		return parse_seconds(flag, arg, &l->wall_time, err);
	case 'x':
		return parse_seconds(flag, arg, &l->extra_time, err);
	case 'm':
		return parse_bytes(flag, arg, &l->mem, err);
	case 'k':
		return parse_bytes(flag, arg, &l->stack, err);
	case 'f':
		return parse_bytes(flag, arg, &l->fsize, err);
	case OPT_OUTPUT_LIMIT:
		return parse_bytes(flag, arg, &l->output_limit, err);
	case 'p':
		return parse_count(flag, arg, &l->processes, err);
	case 'n':
		return parse_count(flag, arg, &l->open_files, err);
	case 'i':
		cli->stdin_file = arg;
		return 0;
	case 'o':
		cli->stdout_file = arg;
		return 0;
	case 'r':
		cli->stderr_file = arg;
		return 0;
	case 'c':
		jp->chdir = arg;
		return 0;
	case 'M':
		cli->meta_file = arg;
		return 0;
	case OPT_REPORT:
		cli->report_file = arg;
		return 0;
	case 'd':
		return add_dir(&jp->box, arg, err);
	case 'E':
		return add_env(&jp->env, arg, err);
	case OPT_ROOTFS:
		if (argv_add(&jp->box, "--rootfs") < 0 || argv_add(&jp->box, arg) < 0 ||
		    argv_add(&jp->box, "--read-only") < 0)
			return cell_error_set(err, ENOMEM, "--rootfs");
		return 0;
	case 'h':
		cli->help = true;
		return 0;
	case OPT_BATCH:
		cli->batch_file = arg;
		return 0;
	case 'b':
		return cell_judge_box_id(flag, arg, cli, err);
	case OPT_BOX_UIDS:
		return cell_judge_box_ids(flag, arg, cli, err);
	case 'j':
		return parse_count(flag, arg, &cli->jobs, err) < 0 ? -EINVAL
		       : cli->jobs > JUDGE_MAX_JOBS ? cell_error_set(err, 0, "%s '%s': at most %d",
								     flag, arg, JUDGE_MAX_JOBS)
						    : 0;
	}
	return cell_error_set(err, EINVAL, "%s", flag);
}

static int parse_judge_flags(int argc, char **argv, struct cell_judge_cli *cli,
			     struct judge_parse *jp, struct cell_error *err)
{
	optind = 1;
	opterr = 0;
	for (;;) {
		int idx = -1, r;
		char flag[64];
		int opt = getopt_long(argc, argv, "+:t:w:x:m:k:f:p:n:i:o:r:d:E:c:M:j:b:h",
				      judge_options, &idx);

		if (opt == -1)
			return 0;
		for (size_t i = 0; idx < 0 && optopt >= 256 && judge_options[i].name; i++)
			if (judge_options[i].val == optopt)
				idx = (int)i;
		if (idx >= 0)
			snprintf(flag, sizeof(flag), "--%s", judge_options[idx].name);
		else if (optopt || (opt != '?' && opt != ':'))
			snprintf(flag, sizeof(flag), "-%c", optopt ? optopt : opt);
		else
			snprintf(flag, sizeof(flag), "%s", argv[optind - 1]);
		if (opt == '?')
			return cell_error_set(err, 0, "unknown option '%s' (see cell judge --help)",
					      flag);
		if (opt == ':')
			return cell_error_set(err, 0, "option '%s' needs an argument", flag);
		if ((r = judge_option(cli, jp, opt, flag, optarg, err)) < 0)
			return r;
	}
}

/*
 * The judge's defaults as `cell run` flags: every namespace (a user namespace
 * too; root's box runs as a host uid of its own), no capability, a private
 * tmpfs /tmp as the working directory; as root, the pids and memory limits
 * in the box's cgroup (memory+swap too, or swap would hide a hog). Rootless,
 * where no cgroup is delegated, those become rlimits (judge_rlimits).
 */
static int box_argv(const struct cell_judge_cli *cli, struct judge_parse *jp, struct run_argv *a,
		    char **cmd)
{
	const struct cell_judge_limits *l = &cli->lim;
	int r = 0;

	r |= argv_add(a, "run");
	r |= argv_add(a, "--unshare-all");
	if (!cli->rootless) {
		/* box 0's ids until one is taken (cell_judge_box_use): an
		 * unprivileged uid of its own, as isolate's, so a --dir
		 * SRC=DST:rw of root's stays root's */
		r |= argv_add(a, "--uidmap");
		r |= argv_addf(a, "0:%" PRIu32 ":1", cli->box_first);
		r |= argv_add(a, "--gidmap");
		r |= argv_addf(a, "0:%" PRIu32 ":1", cli->box_first);
		r |= argv_add(a, "--pids-limit");
		r |= argv_addf(a, "%ld", l->processes + 1); /* + the box's init */
		if (l->mem > 0) {
			r |= argv_add(a, "--memory");
			r |= argv_addf(a, "%lld", (long long)l->mem);
			r |= argv_add(a, "--memory-swap");
			r |= argv_addf(a, "%lld", (long long)l->mem);
		}
	}
	r |= argv_add(a, "--cap-drop");
	r |= argv_add(a, "ALL");
	r |= argv_add(a, "--tmpfs");
	r |= argv_add(a, "/tmp:size=64m,mode=1777");
	r |= argv_add(a, "-w");
	r |= argv_add(a, jp->chdir ? jp->chdir : "/tmp");
	for (size_t i = 0; i < jp->box.n; i++)
		r |= argv_add(a, jp->box.v[i]);
	r |= argv_add(a, "--");
	for (size_t i = 0; cmd[i]; i++)
		r |= argv_add(a, cmd[i]);
	return r ? -ENOMEM : 0;
}

static int set_rlimit(struct cell_process *p, int resource, uint64_t soft, uint64_t hard,
		      struct cell_error *err)
{
	struct cell_rlimit *grown;

	for (size_t i = 0; i < p->n_rlimits; i++) {
		if (p->rlimits[i].resource == resource) {
			p->rlimits[i].soft = soft;
			p->rlimits[i].hard = hard;
			return 0;
		}
	}
	grown = realloc(p->rlimits, (p->n_rlimits + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "process.rlimits");
	p->rlimits = grown;
	p->rlimits[p->n_rlimits++] = (struct cell_rlimit){ resource, soft, hard };
	return 0;
}

/*
 * Rootless, every box is the caller's uid on the host, in a user namespace
 * the caller made: the kernel charges what boxes hold of its per-user counts
 * to the caller, against the caller's limits (cell-judge(1) BUGS). So that
 * no box can take them all from the boxes beside it, each may hold at most a
 * share, 1 / (2 x jobs) of what the caller may: the counts its user
 * namespace limits itself (user.max_inotify_*, user.max_fanotify_*: sysctls
 * of the box's own namespace), and those that rlimits bound per namespace
 * and uid (message queue bytes, pending signals, locked memory).
 */
static const char *const share_sysctls[] = { "max_inotify_instances", "max_inotify_watches",
					     "max_fanotify_groups", "max_fanotify_marks" };
static const int share_rlimits[] = { RLIMIT_MSGQUEUE, RLIMIT_SIGPENDING, RLIMIT_MEMLOCK };

static int add_sysctl(struct cell_spec *spec, const char *key, uint64_t value,
		      struct cell_error *err)
{
	struct cell_linux *l = &spec->linux;
	struct cell_kv *grown = realloc(l->sysctl, (l->n_sysctl + 1) * sizeof(*grown));
	char kbuf[64], vbuf[24], *k, *v;

	if (grown)
		l->sysctl = grown;
	snprintf(kbuf, sizeof(kbuf), "user.%s", key);
	snprintf(vbuf, sizeof(vbuf), "%" PRIu64, value);
	k = grown ? strdup(kbuf) : NULL;
	v = k ? strdup(vbuf) : NULL;
	if (!v) { /* strdup, not asprintf(3), whose pointer is undefined on failure */
		free(k);
		return cell_error_set(err, ENOMEM, "linux.sysctl");
	}
	l->sysctl[l->n_sysctl++] = (struct cell_kv){ k, v };
	return 0;
}

static int judge_shares(struct cell_judge_cli *cli, struct cell_error *err)
{
	uint64_t parts = 2 * (uint64_t)(cli->batch_file ? cli->jobs : 1);
	char path[96];
	int r;

	if (!cli->rootless)
		return 0;
	for (size_t i = 0; i < sizeof(share_sysctls) / sizeof(share_sysctls[0]); i++) {
		char buf[32], *end;
		unsigned long long v;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/sys/user/%s", share_sysctls[i]);
		if ((n = cell_read_at(AT_FDCWD, path, buf, sizeof(buf), NULL)) == -ENOENT)
			continue; /* not in this kernel: nothing to count */
		if (n < 0)
			return cell_error_set(err, (int)-n, "read %s", path);
		v = strtoull(buf, &end, 10);
		if (end == buf)
			return cell_error_set(err, EINVAL, "%s: not a number", path);
		if ((r = add_sysctl(&cli->run.spec, share_sysctls[i], v / parts ? v / parts : 1,
				    err)) < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(share_rlimits) / sizeof(share_rlimits[0]); i++) {
		struct rlimit rl;

		if (getrlimit(share_rlimits[i], &rl) < 0)
			return cell_error_set(err, errno, "getrlimit");
		/* unlimited (or as much as unlimited): the kernel's count has no end to reach */
		if (rl.rlim_cur != RLIM_INFINITY) {
			cli->share_rlimit[i] = rl.rlim_cur / parts;
			cli->has_share_rlimit[i] = true;
		}
	}
	return 0;
}

/*
 * Per-process limits (setrlimit(2)). RLIMIT_NPROC counts the processes of
 * the box's user namespace alone (Linux 5.14 ucounts), so in a fresh one it
 * is a per-box limit, root or rootless. RLIMIT_CPU is only the backstop of
 * the supervisor, which counts the whole tree: one second past the grace.
 */
static int judge_rlimits(const struct cell_judge_cli *cli, struct cell_process *p,
			 struct cell_error *err)
{
	const struct cell_judge_limits *l = &cli->lim;
	uint64_t nproc = (uint64_t)l->processes + 1;
	int r = 0;

	r = set_rlimit(p, RLIMIT_CORE, 0, 0, err);
	if (r == 0)
		r = set_rlimit(p, RLIMIT_NOFILE, (uint64_t)l->open_files, (uint64_t)l->open_files,
			       err);
	if (r == 0)
		r = set_rlimit(p, RLIMIT_NPROC, nproc, nproc, err);
	if (r == 0 && l->fsize > 0)
		r = set_rlimit(p, RLIMIT_FSIZE, (uint64_t)l->fsize, (uint64_t)l->fsize, err);
	if (r == 0 && l->stack > 0)
		r = set_rlimit(p, RLIMIT_STACK, (uint64_t)l->stack, (uint64_t)l->stack, err);
	if (r == 0 && l->mem > 0 && cli->rootless)
		r = set_rlimit(p, RLIMIT_AS, (uint64_t)l->mem, (uint64_t)l->mem, err);
	if (r == 0 && l->time > 0) {
		uint64_t cpu = (uint64_t)ceil(l->time + l->extra_time) + 1;

		r = set_rlimit(p, RLIMIT_CPU, cpu, cpu + 1, err);
	}
	for (size_t i = 0; r == 0 && i < sizeof(share_rlimits) / sizeof(share_rlimits[0]); i++)
		if (cli->has_share_rlimit[i])
			r = set_rlimit(p, share_rlimits[i], cli->share_rlimit[i],
				       cli->share_rlimit[i], err);
	return r;
}

/* Only PATH and what --env names: the caller's environment stays outside (isolate). */
static int judge_env(struct cell_process *p, char **env, struct cell_error *err)
{
	char **fresh = NULL;

	if (cell_strv_append(&fresh, JUDGE_PATH) < 0)
		return cell_error_set(err, ENOMEM, "process.env");
	cell_strv_free(p->env);
	p->env = fresh;
	for (size_t i = 0; env && env[i]; i++) {
		struct cell_spec tmp = { .process = *p };
		int r = cell_spec_set_env(&tmp, env[i], err);

		p->env = tmp.process.env;
		if (r < 0)
			return r;
	}
	return 0;
}

static void judge_defaults(struct cell_judge_cli *cli, uid_t euid)
{
	cli->rootless = euid != 0;
	cli->lim.processes = JUDGE_DEFAULT_PROCESSES;
	cli->lim.open_files = JUDGE_DEFAULT_OPEN_FILES;
	cli->lim.output_limit = JUDGE_DEFAULT_OUTPUT;
	cli->jobs = 1;
	cli->box_id = -1;
	cli->box_first = JUDGE_FIRST_BOX_UID;
	cli->box_count = JUDGE_BOXES;
}

/* ---- batch ---- */

/* The command a batch's template is parsed with; every line replaces it. */
static char *batch_placeholder[] = { "true", NULL };

/*
 * What a batch's flags gave, parsed once: each line starts from it. Its
 * spec is cli->run.spec, of which a line changes only the process (args,
 * env, cwd, rlimits) and, as root, the pids and memory limits: the mounts,
 * namespaces, capabilities and seccomp filter are the batch's, which is
 * what lets one filter serve every run (cell_judge_shared).
 */
struct cell_judge_template {
	struct cell_judge_limits lim;
	const char *stdin_file, *stdout_file, *stderr_file;
	char **env; /* the batch's --env, before a line's */
	char *cwd;
	struct cell_rlimit *rlimits; /* `cell run`'s, before the judge's */
	size_t n_rlimits;
};

static void template_free(struct cell_judge_template *t)
{
	if (!t)
		return;
	cell_strv_free(t->env);
	free(t->cwd);
	free(t->rlimits);
	free(t);
}

static int check_batch_flags(const struct cell_judge_cli *cli, int ncmd, struct cell_error *err)
{
	if (cli->batch_file && ncmd > 0)
		return cell_error_set(err, 0,
				      "--batch takes the commands from its file, not from "
				      "the command line");
	if (cli->batch_file && (cli->report_file || cli->meta_file))
		return cell_error_set(err, 0,
				      "--batch writes its reports to stdout (no --report "
				      "or --meta)");
	if (!cli->batch_file && cli->jobs != 1)
		return cell_error_set(err, 0, "--jobs is for --batch");
	if (!cli->batch_file && ncmd <= 0)
		return cell_error_set(err, 0, "no command given (see cell judge --help)");
	return 0;
}

static int save_template(struct cell_judge_cli *cli, struct judge_parse *jp, struct cell_error *err)
{
	const struct cell_process *p = &cli->run.spec.process;
	struct cell_judge_template *t = calloc(1, sizeof(*t));

	if (!t)
		return cell_error_set(err, ENOMEM, "--batch");
	cli->tpl = t;
	t->lim = cli->lim;
	t->stdin_file = cli->stdin_file;
	t->stdout_file = cli->stdout_file;
	t->stderr_file = cli->stderr_file;
	t->env = jp->env;
	jp->env = NULL;
	if ((p->cwd && !(t->cwd = strdup(p->cwd))) ||
	    (p->n_rlimits && !(t->rlimits = malloc(p->n_rlimits * sizeof(*t->rlimits)))))
		return cell_error_set(err, ENOMEM, "--batch");
	if (p->n_rlimits)
		memcpy(t->rlimits, p->rlimits, p->n_rlimits * sizeof(*t->rlimits));
	t->n_rlimits = p->n_rlimits;
	return 0; /* the template's env is rebuilt for each line (cell_judge_fit) */
}

/* A line's field by its flag's long name ("time", "mem", "stdin", ...). */
int cell_judge_set(struct cell_judge_cli *cli, const char *name, const char *value,
		   const char *what, struct cell_error *err)
{
	static const char *const per_line[] = { "time",	     "wall-time",  "extra-time",
						"mem",	     "stack",	   "fsize",
						"processes", "open-files", "output-limit",
						"stdin",     "stdout",	   "stderr" };
	struct judge_parse none = { 0 };

	for (size_t i = 0; i < sizeof(per_line) / sizeof(per_line[0]); i++) {
		if (strcmp(name, per_line[i]))
			continue;
		for (size_t k = 0; judge_options[k].name; k++)
			if (!strcmp(judge_options[k].name, name))
				return judge_option(cli, &none, judge_options[k].val, what, value,
						    err);
	}
	return cell_error_set(err, 0, "%s: unknown field", what);
}

/* Back to the batch's own limits and files, before a line changes them. */
void cell_judge_reset(struct cell_judge_cli *cli)
{
	const struct cell_judge_template *t = cli->tpl;

	cli->lim = t->lim;
	cli->stdin_file = t->stdin_file;
	cli->stdout_file = t->stdout_file;
	cli->stderr_file = t->stderr_file;
}

static int fit_process(struct cell_judge_cli *cli, char **args, char **env, const char *chdir,
		       struct cell_error *err)
{
	const struct cell_judge_template *t = cli->tpl;
	struct cell_process *p = &cli->run.spec.process;
	char **all = NULL, *cwd = strdup(chdir ? chdir : t->cwd ? t->cwd : "/tmp");
	char **argv = cell_strv_dup(args);
	int r = 0;

	for (size_t i = 0; t->env && t->env[i] && r == 0; i++)
		r = cell_strv_append(&all, t->env[i]);
	for (size_t i = 0; env && env[i] && r == 0; i++)
		r = cell_strv_append(&all, env[i]);
	if (!cwd || !argv || r < 0) {
		free(cwd);
		cell_strv_free(argv);
		cell_strv_free(all);
		return cell_error_set(err, ENOMEM, "process");
	}
	cell_strv_free(p->args);
	p->args = argv;
	free(p->cwd);
	p->cwd = cwd;
	r = judge_env(p, all, err);
	cell_strv_free(all);
	return r;
}

/*
 * @cli's spec for one line: the template's process with the line's program,
 * env and chdir, the rlimits of the limits in force, and, as root, the
 * cgroup's pids and memory limits (as box_argv gives them).
 */
int cell_judge_fit(struct cell_judge_cli *cli, char **args, char **env, const char *chdir,
		   struct cell_error *err)
{
	const struct cell_judge_template *t = cli->tpl;
	struct cell_process *p = &cli->run.spec.process;
	struct cell_resources *res = &cli->run.spec.linux.resources;
	int r;

	if ((r = fit_process(cli, args, env, chdir, err)) < 0)
		return r;
	p->n_rlimits = 0;
	for (size_t i = 0; i < t->n_rlimits && r == 0; i++)
		r = set_rlimit(p, t->rlimits[i].resource, t->rlimits[i].soft, t->rlimits[i].hard,
			       err);
	if (r < 0 || (r = judge_rlimits(cli, p, err)) < 0 || cli->rootless)
		return r;
	res->has_pids_limit = true;
	res->pids_limit = cli->lim.processes + 1; /* + the box's init */
	res->has_memory_limit = res->has_memory_swap = cli->lim.mem > 0;
	res->memory_limit = res->memory_swap = cli->lim.mem > 0 ? cli->lim.mem : -1;
	return 0;
}

#define JUDGE_HOLDER_SIZE "16k" /* a tmpfs that holds only mount points and links */

/* Does a mount of @spec other than @self lie on @dir or below it? */
static bool mounts_on(const struct cell_spec *spec, const char *dir, const struct cell_mount *self)
{
	size_t n = strlen(dir);

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const char *d = spec->mounts[i].destination;

		if (&spec->mounts[i] != self && !strncmp(d, dir, n) && (!d[n] || d[n] == '/'))
			return true;
	}
	return false;
}

/*
 * A judged box's data goes to its 64 MiB /tmp and /dev/shm (and --dir's
 * :rw), as isolate's goes to its box: a tmpfs's pages are memory that,
 * rootless, no memory cgroup counts and RLIMIT_AS does not either. So the
 * writable 1 GiB tmpfs that `cell run` puts over the host's /run, /var/run
 * and /var/tmp (hide_host_dirs: they hold its sockets) become masked paths
 * here, empty and read-only, sharing the one tmpfs that every masked
 * directory of the box shares.
 * One that another mount lies on or below (a --dir into /run) stays a tmpfs, of
 * JUDGE_HOLDER_SIZE; so does /dev, which the box's uid 0 owns: they hold
 * only mount points, device nodes' among them, directories and symlinks.
 */
static int judge_bound_tmpfs(struct cell_spec *spec, struct cell_error *err)
{
	static const char *const dirs[] = { "/run", "/var/run", "/var/tmp", "/dev" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct cell_mount *m = NULL;

		for (size_t j = 0; j < spec->n_mounts && !m; j++)
			if (!strcmp(spec->mounts[j].destination, dirs[i]) && spec->mounts[j].type &&
			    !strcmp(spec->mounts[j].type, "tmpfs"))
				m = &spec->mounts[j];
		if (!m)
			continue;
		if (!strcmp(dirs[i], "/dev") || mounts_on(spec, dirs[i], m)) {
			if (cell_strv_append(&m->options, "size=" JUDGE_HOLDER_SIZE) < 0)
				return cell_error_set(err, ENOMEM, "mount %s", dirs[i]);
			continue;
		}
		cell_spec_remove_mount(spec, dirs[i]);
		if (cell_strv_append(&spec->linux.masked_paths, dirs[i]) < 0)
			return cell_error_set(err, ENOMEM, "linux.maskedPaths");
	}
	return 0;
}

int cell_judge_parse(int argc, char **argv, uid_t euid, gid_t egid, struct cell_judge_cli *cli,
		     struct cell_error *err)
{
	struct judge_parse jp = { 0 };
	struct run_argv box = { 0 };
	int r;

	judge_defaults(cli, euid);
	if ((r = parse_judge_flags(argc, argv, cli, &jp, err)) < 0 || cli->help)
		goto out;
	if ((r = check_batch_flags(cli, argc - optind, err)) < 0 ||
	    (r = cell_judge_box_check(cli, err)) < 0)
		goto out;
	if (box_argv(cli, &jp, &box, cli->batch_file ? batch_placeholder : argv + optind) < 0) {
		r = cell_error_set(err, ENOMEM, "judge");
		goto out;
	}
	if ((r = cell_run_parse((int)box.n, box.v, euid, egid, &cli->run, err)) < 0 ||
	    (r = judge_bound_tmpfs(&cli->run.spec, err)) < 0 || (r = judge_shares(cli, err)) < 0)
		goto out;
	if (cli->batch_file && (r = save_template(cli, &jp, err)) < 0)
		goto out;
	cli->run.spec.process.no_new_privileges = true;
	/* isolate's rule: the program sees only the environment the judge gives */
	cli->run.spec.cell.env_exact = true;
	if ((r = judge_rlimits(cli, &cli->run.spec.process, err)) == 0)
		r = judge_env(&cli->run.spec.process, jp.env, err);
out:
	argv_free(&box);
	argv_free(&jp.box);
	cell_strv_free(jp.env);
	return r;
}

void cell_judge_cli_free(struct cell_judge_cli *cli)
{
	template_free(cli->tpl);
	if (cli->have_box_lock)
		close(cli->box_lock_fd);
	cell_run_cli_free(&cli->run);
	memset(cli, 0, sizeof(*cli));
}
