/*
 * cgdriver — drives src/lib/cgroup*.c on the real host for the integration
 * tests (tests/integration/test_cgroup_api.py), one lifecycle step per run,
 * as the OCI commands will: each step reopens the cgroup from the state file
 * the `create` step saved.
 *
 *   cgdriver [--root DIR] create STATE CGPATH [LIMITS] [-- CMD ARGS...]
 *   cgdriver [--root DIR] run CGPATH [LIMITS] -- CMD ARGS...
 *   cgdriver [--root DIR] {freeze|thaw|frozen|pids|stats|oom|destroy} STATE
 *   cgdriver [--root DIR] kill STATE SIGNAL
 *   cgdriver [--root DIR] update STATE [LIMITS]
 *
 * `create` with a command starts it inside the cgroup and leaves it running
 * (prints "pid N"); `run` waits for it, prints "status N" and removes the
 * cgroup. LIMITS are a few flags that fill struct cell_resources, see
 * parse_limit().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

#define MAX_ITEMS 16

static struct cell_device_rule rules[MAX_ITEMS];
static struct cell_hugepage_limit huge[MAX_ITEMS];
static struct cell_kv unified[MAX_ITEMS];
static struct cell_device_rate iops[MAX_ITEMS];

static int64_t num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	if (*end) {
		fprintf(stderr, "cgdriver: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* "allow c 1 3 rw" (-1: any number) */
static void parse_rule(struct cell_resources *res, const char *s)
{
	struct cell_device_rule *d = &rules[res->n_devices];
	char verdict[8], type;
	long long major, minor;

	if (res->n_devices == MAX_ITEMS ||
	    sscanf(s, "%7s %c %lld %lld %3s", verdict, &type, &major, &minor, d->access) != 5) {
		fprintf(stderr, "cgdriver: bad rule: %s\n", s);
		exit(2);
	}
	d->allow = strcmp(verdict, "allow") == 0;
	d->type = type;
	d->major = major;
	d->minor = minor;
	res->devices = rules;
	res->n_devices++;
}

/* "SIZE=LIMIT" and "KEY=VALUE" */
static char *split(char *s)
{
	char *eq = strchr(s, '=');

	if (!eq) {
		fprintf(stderr, "cgdriver: expected KEY=VALUE: %s\n", s);
		exit(2);
	}
	*eq = '\0';
	return eq + 1;
}

/* parse_limit() - one "--flag value" pair; returns 1 when it was a limit flag. */
static int parse_limit(struct cell_resources *res, const char *flag, char *v)
{
#define SET(name, field)                                                                           \
	if (strcmp(flag, name) == 0) {                                                             \
		res->has_##field = true;                                                           \
		res->field = num(v);                                                               \
		return 1;                                                                          \
	}
	SET("--memory", memory_limit)
	SET("--memory-swap", memory_swap)
	SET("--memory-reservation", memory_reservation)
	SET("--kernel-tcp", memory_kernel_tcp)
	SET("--swappiness", memory_swappiness)
	SET("--cpu-shares", cpu_shares)
	SET("--cpu-quota", cpu_quota)
	SET("--cpu-period", cpu_period)
	SET("--cpu-burst", cpu_burst)
	SET("--cpu-idle", cpu_idle)
	SET("--rt-runtime", cpu_realtime_runtime)
	SET("--rt-period", cpu_realtime_period)
	SET("--pids", pids_limit)
	SET("--blkio-weight", blkio_weight)
#undef SET
	if (strcmp(flag, "--oom-kill-disable") == 0) {
		res->has_disable_oom_killer = true;
		res->disable_oom_killer = num(v) != 0;
	} else if (strcmp(flag, "--check-before-update") == 0) {
		res->check_before_update = num(v) != 0;
	} else if (strcmp(flag, "--device") == 0) {
		parse_rule(res, v);
	} else if (strcmp(flag, "--hugetlb") == 0 && res->n_hugepage_limits < MAX_ITEMS) {
		huge[res->n_hugepage_limits].limit = (uint64_t)num(split(v));
		huge[res->n_hugepage_limits++].page_size = v;
		res->hugepage_limits = huge;
	} else if (strcmp(flag, "--unified") == 0 && res->n_unified < MAX_ITEMS) {
		unified[res->n_unified].value = split(v);
		unified[res->n_unified++].key = v;
		res->unified = unified;
	} else if (strcmp(flag, "--read-iops") == 0 && res->n_read_iops < MAX_ITEMS) {
		struct cell_device_rate *d = &iops[res->n_read_iops++];

		if (sscanf(v, "%" SCNu32 ":%" SCNu32 ":%" SCNu64, &d->major, &d->minor, &d->rate) !=
		    3)
			exit(2);
		res->read_iops = iops;
	} else {
		return 0;
	}
	return 1;
}

/* parse_limits() - limit flags from @argv; returns the index after them (and a "--"). */
static int parse_limits(struct cell_resources *res, int argc, char **argv, int i)
{
	for (; i < argc; i += 2) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (i + 1 >= argc || !parse_limit(res, argv[i], argv[i + 1])) {
			fprintf(stderr, "cgdriver: unknown limit %s\n", argv[i]);
			exit(2);
		}
	}
	return i;
}

static int fail(const char *what, const struct cell_error *err)
{
	fprintf(stderr, "cgdriver %s: %s\n", what, err->msg);
	return 1;
}

/*
 * start() - fork @argv into the cgroup: the child waits until it has been
 * moved. @detach: stdio on /dev/null, so the caller's pipes see EOF when the
 * driver exits and the command lives on.
 */
static pid_t start(struct cell_cgroup *cg, char **argv, bool detach, struct cell_error *err)
{
	int go[2];
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return cell_error_set(err, errno, "fork");
	if (pid == 0) {
		close(go[1]);
		if (detach) {
			int null = open("/dev/null", O_RDWR);

			if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
				_exit(125);
		}
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(go[0]);
	if (cell_cgroup_enter(cg, pid, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	if (write(go[1], "g", 1) != 1)
		return cell_error_set(err, errno, "pipe");
	close(go[1]);
	return pid;
}

static int save(const struct cell_cgroup *cg, const char *file, struct cell_error *err)
{
	cleanup_free char *text = NULL;
	int r = cell_cgroup_save(cg, &text, err);
	FILE *f;

	if (r < 0)
		return r;
	f = fopen(file, "we");
	if (!f)
		return cell_error_set(err, errno, "%s", file);
	fputs(text, f);
	return fclose(f) == 0 ? 0 : cell_error_set(err, errno, "%s", file);
}

/* reopen() - what a later OCI command does: the cgroup from the state file. */
static int reopen(struct cell_cgroup *cg, const struct cell_cgroup_params *p, const char *file,
		  struct cell_error *err)
{
	char text[8192];
	ssize_t n = cell_read_at(AT_FDCWD, file, text, sizeof(text), err);

	return n < 0 ? (int)n : cell_cgroup_open(cg, p, text, err);
}

static void print_stats(const struct cell_cgroup_stats *st)
{
	size_t i;

	printf("cpu.total %" PRIu64 "\ncpu.user %" PRIu64 "\ncpu.kernel %" PRIu64 "\n",
	       st->cpu.total, st->cpu.user, st->cpu.kernel);
	printf("cpu.percpu %zu\n", st->cpu.n_percpu);
	printf("memory.usage %" PRIu64 "\nmemory.limit %" PRIu64 "\nmemory.max %" PRIu64 "\n",
	       st->memory.usage.usage, st->memory.usage.limit, st->memory.usage.max);
	printf("memory.raw %zu\n", st->memory.n_raw);
	printf("pids.current %" PRIu64 "\npids.limit %" PRIu64 "\n", st->pids.current,
	       st->pids.limit);
	for (i = 0; i < st->n_hugetlb; i++)
		printf("hugetlb.%s.usage %" PRIu64 "\n", st->hugetlb[i].page_size,
		       st->hugetlb[i].usage);
}

static int step(struct cell_cgroup *cg, const char *cmd, int argc, char **argv,
		struct cell_error *err)
{
	struct cell_resources res = { 0 };
	bool frozen;

	if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0)
		return cell_cgroup_freeze(cg, strcmp(cmd, "freeze") == 0, err);
	if (strcmp(cmd, "frozen") == 0) {
		if (cell_cgroup_frozen(cg, &frozen, err) < 0)
			return -1;
		printf("%s\n", frozen ? "frozen" : "running");
	} else if (strcmp(cmd, "pids") == 0) {
		cleanup_free pid_t *pids = NULL;
		size_t n, i;

		if (cell_cgroup_pids(cg, &pids, &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++)
			printf("%d\n", (int)pids[i]);
	} else if (strcmp(cmd, "kill") == 0 && argc == 1) {
		return cell_cgroup_kill(cg, (int)num(argv[0]), err);
	} else if (strcmp(cmd, "stats") == 0) {
		struct cell_cgroup_stats st;

		if (cell_cgroup_stats(cg, &st, err) < 0)
			return -1;
		print_stats(&st);
		cell_cgroup_stats_free(&st);
	} else if (strcmp(cmd, "oom") == 0) {
		struct cell_cgroup_oom oom;

		if (cell_cgroup_oom_count(cg, &oom, err) < 0)
			return -1;
		printf("oom %" PRIu64 "\noom_kill %" PRIu64 "\n", oom.oom, oom.oom_kill);
	} else if (strcmp(cmd, "update") == 0) {
		parse_limits(&res, argc, argv, 0);
		return cell_cgroup_update(cg, &res, err);
	} else if (strcmp(cmd, "destroy") == 0) {
		return cell_cgroup_destroy(cg, err);
	} else {
		return cell_error_set(err, EINVAL, "unknown step %s", cmd);
	}
	return 0;
}

static int create(struct cell_cgroup_params *p, bool run, int argc, char **argv)
{
	struct cell_resources res = { 0 };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	const char *state = run ? NULL : argv[0];
	int i, status;
	pid_t pid = 0;

	p->cgroups_path = argv[run ? 0 : 1];
	i = parse_limits(&res, argc, argv, run ? 1 : 2);
	if (cell_cgroup_create(&cg, p, &res, &err) < 0)
		return fail("create", &err);
	if (i < argc && (pid = start(&cg, argv + i, !run, &err)) < 0) {
		cell_cgroup_destroy(&cg, NULL);
		return fail("start", &err);
	}
	if (!run) {
		if (save(&cg, state, &err) < 0) {
			if (pid > 0)
				kill(pid, SIGKILL), waitpid(pid, NULL, 0);
			cell_cgroup_destroy(&cg, NULL);
			return fail("save", &err);
		}
		printf("pid %d\n", (int)pid);
		cell_cgroup_forget(&cg); /* the cgroup stays for the later steps */
		return 0;
	}
	waitpid(pid, &status, 0);
	printf("status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fflush(stdout);
	return cell_cgroup_destroy(&cg, &err) < 0 ? fail("destroy", &err) : 0;
}

int main(int argc, char **argv)
{
	struct cell_cgroup_params p = { .fs_root = "/sys/fs/cgroup",
					.self_cgroup = "/proc/self/cgroup" };
	struct cell_error err = { 0 };
	struct cell_cgroup cg;
	int i = 1, r;

	if (argc > 2 && strcmp(argv[1], "--root") == 0) {
		p.fs_root = argv[2];
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: see tests/helpers/cgdriver.c\n");
		return 2;
	}
	if (strcmp(argv[i], "create") == 0 || strcmp(argv[i], "run") == 0)
		return create(&p, strcmp(argv[i], "run") == 0, argc - i - 1, argv + i + 1);
	if (reopen(&cg, &p, argv[i + 1], &err) < 0)
		return fail("open", &err);
	r = step(&cg, argv[i], argc - i - 2, argv + i + 2, &err);
	if (strcmp(argv[i], "destroy") != 0)
		cell_cgroup_forget(&cg);
	return r < 0 ? fail(argv[i], &err) : 0;
}
