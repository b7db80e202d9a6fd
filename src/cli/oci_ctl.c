/*
 * cell pause, resume, ps, update, events — the commands that act on a
 * running container's cgroup, with runc's flags and output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "state.h"
#include "utils.h"

/* The container's state and its cgroup, reopened by the path state.json recorded. */
struct target {
	struct cell_state st;
	struct cell_cgroup cg;
	bool has_cg;
};

static int open_target(const struct cell_global *g, const char *id, struct target *t,
		       struct cell_error *err)
{
	int r;

	memset(t, 0, sizeof(*t));
	cell_cgroup_init(&t->cg);
	if ((r = cell_state_check_id(id, err)) < 0 ||
	    (r = cell_state_load(g->root, id, &t->st, err)) < 0 ||
	    (r = cell_cli_cgroup_open(&t->st, &t->cg, err)) < 0)
		return r;
	t->has_cg = true;
	return 0;
}

static void close_target(struct target *t)
{
	if (t->has_cg)
		cell_cgroup_forget(&t->cg);
	cell_state_free(&t->st);
}

static bool help_asked(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return true;
		}
	return false;
}

static int one_id(int argc, char **argv, struct cell_error *err)
{
	if (argc != 2 || argv[1][0] == '-')
		return cell_error_set(err, 0,
				      "%s: expected exactly one container id (see cell %s "
				      "--help)",
				      argv[0], argv[0]);
	return 0;
}

static int freeze(const struct cell_global *g, int argc, char **argv, bool frozen)
{
	struct cell_error err = { 0 };
	struct target t = { 0 };
	int r;

	if ((r = one_id(argc, argv, &err)) < 0 || (r = open_target(g, argv[1], &t, &err)) < 0) {
		close_target(&t);
		return cell_cli_fail(g, &err);
	}
	enum cell_status s = cell_state_status(g->root, &t.st, cell_cli_frozen(&t.st));
	if (frozen ? s != CELL_STATUS_RUNNING : s != CELL_STATUS_PAUSED)
		r = cell_error_set(&err, 0, "%s: container %s is %s, not %s", argv[0], argv[1],
				   cell_status_name(s), frozen ? "running" : "paused");
	else if ((r = cell_cgroup_freeze(&t.cg, frozen, &err)) == 0)
		cell_cli_debug(g, "%s %s", frozen ? "paused" : "resumed", argv[1]);
	close_target(&t);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}

int cell_cmd_pause(const struct cell_global *g, int argc, char **argv)
{
	if (help_asked(argc, argv,
		       "Usage: cell pause CONTAINER-ID\n\nFreeze every process "
		       "of the container (the cgroup freezer).\n"))
		return 0;
	return freeze(g, argc, argv, true);
}

int cell_cmd_resume(const struct cell_global *g, int argc, char **argv)
{
	if (help_asked(argc, argv,
		       "Usage: cell resume CONTAINER-ID\n\nThaw a paused "
		       "container.\n"))
		return 0;
	return freeze(g, argc, argv, false);
}

/* ---- ps ---- */

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* runc's ps: run ps(1) with the given options and keep the container's rows. */
static int ps_table(pid_t *pids, size_t n, char **ps_args, struct cell_error *err)
{
	char *argv[64] = { "ps" }, line[4096];
	int fds[2], pid_col = -1, argc = 1;
	FILE *f;
	pid_t child;

	for (size_t i = 0; ps_args && ps_args[i] && argc < 62; i++)
		argv[argc++] = ps_args[i];
	if (argc == 1)
		argv[argc++] = "-ef";
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "ps: pipe");
	if ((child = fork()) < 0)
		return cell_error_set(err, errno, "ps: fork");
	if (child == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	for (bool header = true; f && fgets(line, sizeof(line), f); header = false) {
		char copy[4096], *tok, *save;
		int col = 0;

		if (header) {
			snprintf(copy, sizeof(copy), "%s", line);
			for (tok = strtok_r(copy, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(tok, "PID"))
					pid_col = col;
			fputs(line, stdout);
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok && col < pid_col;
		     tok = strtok_r(NULL, " \t\n", &save))
			col++;
		if (tok && has_pid(pids, n, strtol(tok, NULL, 10)))
			fputs(line, stdout);
	}
	if (f)
		fclose(f);
	int status;
	waitpid(child, &status, 0);
	if (pid_col < 0)
		return cell_error_set(err, 0, "ps: its output has no PID column");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0
		       ? 0
		       : cell_error_set(err, 0, "ps: ps(1) failed (exit %d)", WEXITSTATUS(status));
}

int cell_cmd_ps(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell ps [--format table|json] CONTAINER-ID [PS OPTIONS...]\n\n"
		"The container's processes: ps(1)'s rows for them (default ps -ef), or their\n"
		"host PIDs as a JSON array.\n";
	struct cell_error err = { 0 };
	struct target t = { 0 };
	pid_t *pids = NULL;
	size_t n = 0;
	bool json = false;
	int i = 1, r;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *fmt = NULL;

		if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc)
			fmt = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			fmt = argv[i] + 9;
		if (!fmt || (strcmp(fmt, "json") && strcmp(fmt, "table"))) {
			cell_error_set(&err, 0, "ps: unknown option '%s'", argv[i]);
			return cell_cli_fail(g, &err);
		}
		json = !strcmp(fmt, "json");
	}
	if (i >= argc) {
		cell_error_set(&err, 0, "ps: a container id is required");
		return cell_cli_fail(g, &err);
	}
	if ((r = open_target(g, argv[i], &t, &err)) < 0 ||
	    (r = cell_cgroup_pids(&t.cg, &pids, &n, &err)) < 0) {
		close_target(&t);
		return cell_cli_fail(g, &err);
	}
	if (json) {
		printf("[");
		for (size_t k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", (int)pids[k]);
		printf("]\n");
	} else {
		r = ps_table(pids, n, argv + i + 1, &err);
	}
	free(pids);
	close_target(&t);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}

/* ---- update ---- */

enum {
	U_BLKIO = 1000,
	U_PERIOD,
	U_QUOTA,
	U_SHARES,
	U_RT_PERIOD,
	U_RT_RUNTIME,
	U_CPUS,
	U_MEMS,
	U_MEMORY,
	U_RESERVATION,
	U_SWAP,
	U_PIDS,
	U_L3,
	U_MEMBW
};

static int update_flag(struct cell_resources *r, int opt, const char *arg, struct cell_error *err)
{
	int64_t n;
	char *end;
	long long v;

	if (opt == U_MEMORY || opt == U_RESERVATION || opt == U_SWAP) {
		if (cell_parse_size(arg, true, &n, err) < 0)
			return -EINVAL;
		if (opt == U_MEMORY)
			r->has_memory_limit = true, r->memory_limit = n;
		else if (opt == U_RESERVATION)
			r->has_memory_reservation = true, r->memory_reservation = n;
		else
			r->has_memory_swap = true, r->memory_swap = n;
		return 0;
	}
	if (opt == U_CPUS || opt == U_MEMS) {
		char **dst = opt == U_CPUS ? &r->cpuset_cpus : &r->cpuset_mems;

		free(*dst);
		return (*dst = strdup(arg)) ? 0 : cell_error_set(err, ENOMEM, "update");
	}
	if (opt == U_L3 || opt == U_MEMBW)
		return cell_error_set(err, ENOTSUP, "update: Intel RDT is not supported by cell");
	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!arg[0] || *end || errno)
		return cell_error_set(err, 0, "update: '%s' is not a number", arg);
	switch (opt) {
	case U_BLKIO:
		r->has_blkio_weight = true, r->blkio_weight = (uint16_t)v;
		break;
	case U_PERIOD:
		r->has_cpu_period = true, r->cpu_period = (uint64_t)v;
		break;
	case U_QUOTA:
		r->has_cpu_quota = true, r->cpu_quota = v;
		break;
	case U_SHARES:
		r->has_cpu_shares = true, r->cpu_shares = (uint64_t)v;
		break;
	case U_RT_PERIOD:
		r->has_cpu_realtime_period = true, r->cpu_realtime_period = (uint64_t)v;
		break;
	case U_RT_RUNTIME:
		r->has_cpu_realtime_runtime = true, r->cpu_realtime_runtime = v;
		break;
	case U_PIDS:
		r->has_pids_limit = true, r->pids_limit = v > 0 ? v : -1;
		break;
	}
	return 0;
}

/* -r FILE: linux.resources as JSON, read by the config.json parser. */
static int resources_file(const char *file, struct cell_spec *holder, struct cell_error *err)
{
	cleanup_free char *text = NULL, *wrapped = NULL;
	size_t len;
	int r;

	if (!strcmp(file, "-")) {
		if ((r = cell_read_file("/dev/stdin", &text, &len, err)) < 0)
			return r;
	} else if ((r = cell_read_file(file, &text, &len, err)) < 0) {
		return r;
	}
	if (asprintf(&wrapped, "{\"ociVersion\":\"1.3.0\",\"linux\":{\"resources\":%s}}", text) < 0)
		return cell_error_set(err, ENOMEM, "%s", file);
	return cell_spec_from_json(holder, wrapped, strlen(wrapped), file, err);
}

/* Objects merge key by key (memory.limit beside memory.swap); anything else is replaced. */
static int merge_json(json_t *into, json_t *from)
{
	const char *key;
	json_t *v;

	json_object_foreach(from, key, v)
	{
		json_t *old = json_object_get(into, key);

		if (json_is_object(old) && json_is_object(v)) {
			if (merge_json(old, v) < 0)
				return -1;
		} else if (json_object_set(into, key, v) < 0) {
			return -1;
		}
	}
	return 0;
}

/*
 * The saved config.json follows the cgroup: exec and a later update read
 * their limits from it, and `state` of a bundle shows what now applies.
 */
static int save_updated_config(const struct cell_global *g, const char *id,
			       const struct cell_spec *update, struct cell_error *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL, *emitted = NULL, *out = NULL;
	json_t *cfg = NULL, *upd = NULL, *linux_o, *res;
	json_error_t jerr;
	size_t len;
	int r;

	if ((r = cell_state_path(g->root, id, "config.json", path, sizeof(path), err)) < 0 ||
	    (r = cell_read_file(path, &text, &len, err)) < 0)
		return r;
	if (!(emitted = cell_spec_to_json(update, err)))
		return -ENOMEM;
	r = -EINVAL;
	if (!(cfg = json_loadb(text, len, 0, &jerr)) || !(upd = json_loads(emitted, 0, &jerr))) {
		cell_error_set(err, 0, "%s: line %d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	res = json_object_get(json_object_get(upd, "linux"), "resources");
	if (!json_is_object(res)) {
		r = 0; /* nothing given */
		goto out;
	}
	if (!json_is_object(linux_o = json_object_get(cfg, "linux")))
		json_object_set_new(cfg, "linux", linux_o = json_object());
	if (!json_is_object(json_object_get(linux_o, "resources")))
		json_object_set_new(linux_o, "resources", json_object());
	if (merge_json(json_object_get(linux_o, "resources"), res) < 0 ||
	    !(out = json_dumps(cfg, JSON_INDENT(2)))) {
		r = cell_error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	r = cell_write_file_atomic(path, out, strlen(out), 0600, err);
out:
	json_decref(cfg);
	json_decref(upd);
	return r;
}

/* state.json's cellCgroup follows the cgroup: delete removes what update made. */
static int save_cgroup(const struct cell_global *g, struct target *t, struct cell_error *err)
{
	char *text = NULL;
	int r = cell_cgroup_save(&t->cg, &text, err);

	if (r < 0)
		return r;
	free(t->st.cgroup);
	t->st.cgroup = text;
	return cell_state_save(g->root, &t->st, err);
}

/*
 * A cpuset or blkio limit on a container made without one: join those v1
 * hierarchies now (cell_cgroup_join_missing), as joining them at every
 * start costs each container its start (README, "update").
 */
static int join_missing(const struct cell_global *g, struct target *t,
			const struct cell_resources *res, struct cell_error *err)
{
	struct cell_cgroup_params p = cell_cgroup_host_params(t->st.cgroups_path, t->st.rootless);
	struct cell_error ignored = { 0 };
	unsigned before = t->cg.controllers;
	char self[64];
	int r, r2 = 0;

	if (!cell_state_pid_alive(&t->st))
		return 0; /* nothing to move; the update says what the cgroup lacks */
	/* a relative cgroupsPath is below the cgroup the container was started in */
	snprintf(self, sizeof(self), "/proc/%d/cgroup", (int)t->st.pid);
	p.self_cgroup = self;
	r = cell_cgroup_join_missing(&t->cg, &p, res, err);
	if (t->cg.controllers != before)
		r2 = save_cgroup(g, t, r < 0 ? &ignored : err);
	return r < 0 ? r : r2;
}

int cell_cmd_update(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell update [OPTIONS] CONTAINER-ID\n\n"
		"Change a running container's limits; only what is given changes.\n\n"
		"  -r, --resources FILE      linux.resources as JSON (- for stdin)\n"
		"  --memory, --memory-reservation, --memory-swap SIZE\n"
		"  --cpu-period, --cpu-quota, --cpu-share, --cpu-rt-period, --cpu-rt-runtime N\n"
		"  --cpuset-cpus, --cpuset-mems LIST\n"
		"  --pids-limit N, --blkio-weight N\n";
	static const struct option longs[] = {
		{ "resources", required_argument, NULL, 'r' },
		{ "blkio-weight", required_argument, NULL, U_BLKIO },
		{ "cpu-period", required_argument, NULL, U_PERIOD },
		{ "cpu-quota", required_argument, NULL, U_QUOTA },
		{ "cpu-share", required_argument, NULL, U_SHARES },
		{ "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
		{ "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
		{ "cpuset-cpus", required_argument, NULL, U_CPUS },
		{ "cpuset-mems", required_argument, NULL, U_MEMS },
		{ "memory", required_argument, NULL, U_MEMORY },
		{ "memory-reservation", required_argument, NULL, U_RESERVATION },
		{ "memory-swap", required_argument, NULL, U_SWAP },
		{ "pids-limit", required_argument, NULL, U_PIDS },
		{ "l3-cache-schema", required_argument, NULL, U_L3 },
		{ "mem-bw-schema", required_argument, NULL, U_MEMBW },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cell_spec holder = { 0 };
	struct cell_error err = { 0 };
	struct target t = { 0 };
	const char *file = NULL;
	int opt, lock = -1, r = 0;

	if (help_asked(argc, argv, usage))
		return 0;
	optind = 1;
	opterr = 0;
	bool flags = false; /* a resource flag given */

	while ((opt = getopt_long(argc, argv, "+:r:h", longs, NULL)) != -1 && r == 0) {
		if (opt == 'r')
			file = optarg;
		else if (opt == '?' || opt == ':')
			r = cell_error_set(&err, 0, "update: bad option '%s'", argv[optind - 1]);
		else if ((r = update_flag(&holder.linux.resources, opt, optarg, &err)) == 0)
			flags = true;
	}
	/* runc reads the file and drops the flags; said, not done in silence */
	if (r == 0 && file && flags)
		r = cell_error_set(
			&err, 0,
			"update: resource flags beside -r %s: the file gives every value "
			"(put them there, or give flags alone)",
			file);
	if (r == 0 && optind + 1 != argc)
		r = cell_error_set(&err, 0, "update: expected exactly one container id");
	if (r == 0 && file) {
		struct cell_spec from_file;

		if ((r = resources_file(file, &from_file, &err)) == 0) {
			cell_spec_free(&holder);
			holder = from_file;
		}
	}
	/* one update at a time: the cgroup and the saved config.json agree */
	if (r == 0 && (lock = cell_state_lock(g->root, argv[optind], &err)) < 0)
		r = lock;
	if (r == 0 && (r = open_target(g, argv[optind], &t, &err)) == 0 &&
	    (r = join_missing(g, &t, &holder.linux.resources, &err)) == 0 &&
	    (r = cell_cgroup_update(&t.cg, &holder.linux.resources, &err)) == 0)
		r = save_updated_config(g, argv[optind], &holder, &err);
	if (r == 0)
		cell_cli_debug(g, "updated %s's limits", argv[optind]);
	close_target(&t);
	safe_close(lock);
	cell_spec_free(&holder);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}

/* ---- events ---- */

static json_t *mem_entry(const struct cell_cgroup_mem_entry *m)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "limit", (json_int_t)m->limit, "usage",
			 (json_int_t)m->usage, "max", (json_int_t)m->max, "failcnt",
			 (json_int_t)m->failcnt);
}

static json_t *blkio_list(const struct cell_cgroup_blkio_entry *e, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:I}", "major", (int)e[i].major,
						   "minor", (int)e[i].minor, "op", e[i].op, "value",
						   (json_int_t)e[i].value));
	return a;
}

/* runc's types.Stats */
static json_t *stats_json(const struct cell_cgroup_stats *s)
{
	json_t *percpu = json_array(), *raw = json_object(), *huge = json_object();

	for (size_t i = 0; percpu && i < s->cpu.n_percpu; i++)
		json_array_append_new(percpu, json_integer((json_int_t)s->cpu.percpu[i]));
	for (size_t i = 0; raw && i < s->memory.n_raw; i++)
		json_object_set_new(raw, s->memory.raw[i].key,
				    json_integer((json_int_t)s->memory.raw[i].value));
	for (size_t i = 0; huge && i < s->n_hugetlb; i++)
		json_object_set_new(huge, s->hugetlb[i].page_size,
				    json_pack("{s:I,s:I,s:I}", "usage",
					      (json_int_t)s->hugetlb[i].usage, "max",
					      (json_int_t)s->hugetlb[i].max, "failcnt",
					      (json_int_t)s->hugetlb[i].failcnt));
	return json_pack(
		"{s:{s:{s:I,s:o,s:I,s:I},s:{s:I,s:I,s:I}},s:{s:I,s:o,s:o,s:o,s:o,s:o},"
		"s:{s:I,s:I},s:{s:o,s:o},s:o}",
		"cpu", "usage", "total", (json_int_t)s->cpu.total, "percpu", percpu, "kernel",
		(json_int_t)s->cpu.kernel, "user", (json_int_t)s->cpu.user, "throttling", "periods",
		(json_int_t)s->cpu.periods, "throttledPeriods",
		(json_int_t)s->cpu.throttled_periods, "throttledTime",
		(json_int_t)s->cpu.throttled_time, "memory", "cache", (json_int_t)s->memory.cache,
		"usage", mem_entry(&s->memory.usage), "swap", mem_entry(&s->memory.swap), "kernel",
		mem_entry(&s->memory.kernel), "kernelTCP", mem_entry(&s->memory.kernel_tcp), "raw",
		raw, "pids", "current", (json_int_t)s->pids.current, "limit",
		(json_int_t)s->pids.limit, "blkio", "ioServiceBytesRecursive",
		blkio_list(s->blkio.service_bytes, s->blkio.n_service_bytes), "ioServicedRecursive",
		blkio_list(s->blkio.serviced, s->blkio.n_serviced), "hugetlb", huge);
}

static int print_event(const char *type, const char *id, json_t *data)
{
	json_t *o = json_pack("{s:s,s:s,s:o?}", "type", type, "id", id, "data", data);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (!text)
		return -ENOMEM;
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	return 0;
}

static int emit_stats(struct target *t, struct cell_error *err)
{
	struct cell_cgroup_stats s = { 0 };
	int r;

	if ((r = cell_cgroup_stats(&t->cg, &s, err)) < 0)
		return r;
	r = print_event("stats", t->st.id, stats_json(&s));
	cell_cgroup_stats_free(&s);
	return r < 0 ? cell_error_set(err, -r, "events") : 0;
}

int cell_cmd_events(const struct cell_global *g, int argc, char **argv)
{
	static const char usage[] =
		"Usage: cell events [--stats] [--interval SECONDS] CONTAINER-ID\n\n"
		"Print the container's resource usage as runc's JSON events: once with --stats,\n"
		"else every interval (default 5s) until the container stops, with an \"oom\"\n"
		"event whenever the OOM killer acts.\n";
	struct cell_error err = { 0 };
	struct target t = { 0 };
	bool once = false;
	double interval = 5;
	int i = 1, r;

	if (help_asked(argc, argv, usage))
		return 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--stats")) {
			once = true;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			char *end;

			interval = strtod(argv[++i], &end);
			if (*end == 's')
				end++;
			if (*end || interval <= 0) {
				cell_error_set(&err, 0, "events: --interval '%s': expected seconds",
					       argv[i]);
				return cell_cli_fail(g, &err);
			}
		} else {
			cell_error_set(&err, 0, "events: unknown option '%s'", argv[i]);
			return cell_cli_fail(g, &err);
		}
	}
	if (i + 1 != argc) {
		cell_error_set(&err, 0, "events: expected exactly one container id");
		return cell_cli_fail(g, &err);
	}
	if ((r = open_target(g, argv[i], &t, &err)) < 0)
		goto out;
	if (once) {
		r = emit_stats(&t, &err);
		goto out;
	}
	struct cell_cgroup_oom last = { 0 }, now;
	cell_cgroup_oom_count(&t.cg, &last, &err);
	while (cell_state_pid_alive(&t.st)) {
		if ((r = emit_stats(&t, &err)) < 0)
			goto out;
		for (double slept = 0; slept < interval && cell_state_pid_alive(&t.st);
		     slept += 0.1) {
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
			if (cell_cgroup_oom_count(&t.cg, &now, &err) == 0 &&
			    now.oom_kill > last.oom_kill) {
				print_event("oom", t.st.id, NULL);
				last = now;
			}
		}
	}
	r = 0;
out:
	close_target(&t);
	return r < 0 ? cell_cli_fail(g, &err) : 0;
}
