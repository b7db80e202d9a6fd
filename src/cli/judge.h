/* cell — `cell judge`: one untrusted program in a fresh box, limits, and a verdict. */
#ifndef CELL_JUDGE_H
#define CELL_JUDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/resource.h>

#include "run_flags.h"

struct cell_global;

/* isolate's limits; 0 (or -1 for sizes) means "not given". */
struct cell_judge_limits {
	double time;	      /* --time: CPU seconds of the whole tree */
	double wall_time;     /* --wall-time */
	double extra_time;    /* --extra-time: grace before a time limit kills */
	int64_t mem;	      /* --mem: bytes (cgroup memory; rootless: RLIMIT_AS) */
	int64_t stack;	      /* --stack: RLIMIT_STACK */
	int64_t fsize;	      /* --fsize: RLIMIT_FSIZE */
	long processes;	      /* --processes: the program's own, init not counted */
	long open_files;      /* --open-files: RLIMIT_NOFILE */
	int64_t output_limit; /* --output-limit: bytes kept of stdout and of stderr each */
};

struct cell_judge_cli {
	struct cell_run_cli run; /* the spec, built by `cell run`'s parser */
	struct cell_judge_limits lim;
	const char *stdin_file, *stdout_file, *stderr_file;
	const char *report_file; /* --report: JSON there instead of stdout */
	const char *meta_file;	 /* --meta: isolate's key:value lines there ("-": stderr) */
	bool help;
	bool rootless;
	const char *batch_file; /* --batch: the runs, one JSON object a line ("-": stdin) */
	long jobs;		/* -j: boxes at once in a batch */
	struct cell_judge_template *tpl; /* --batch: what each line starts from */
	/* root: box N runs as host uid and gid box_first + N (judge_box.c) */
	long box_id;		       /* --box-id: the first box to take; -1: any free */
	uint32_t box_first, box_count; /* --box-uids FIRST:COUNT */
	bool box_ids_given;	       /* --box-uids was given */
	bool have_box_lock;	       /* box_lock_fd holds the boxes taken */
	int box_lock_fd;
	/* rootless: a box's share of the caller's per-user counts (judge_shares) */
	uint64_t share_rlimit[3]; /* RLIMIT_MSGQUEUE, _SIGPENDING, _MEMLOCK */
	bool has_share_rlimit[3]; /* false: the caller's is unlimited, so is the box's */
};

#define JUDGE_FIRST_BOX_UID 60000 /* isolate's first_uid and first_gid */
#define JUDGE_BOXES 1000	  /* isolate's num_boxes */
#define JUDGE_MAX_BOXES 65536

/* A batch's cgroup: cell-judge-PID-RANDOM, the supervisor's PID (cell gc). */
#define CELL_JUDGE_CGROUP_PREFIX "cell-judge-"

/* What every run of a batch shares, set up once before the first. */
struct cell_judge_shared {
	const struct cell_seccomp_prog *seccomp; /* linux.seccomp compiled once; NULL: per run */
	long ncpu;   /* CPUs online: how often to poll near a CPU limit */
	int stop_fd; /* readable (EOF) once the batch stops: the box is
					   killed and the run is XX. -1: none */
};

enum cell_judge_status {
	CELL_JUDGE_OK,
	CELL_JUDGE_RE, /* non-zero exit */
	CELL_JUDGE_SG, /* died of a signal */
	CELL_JUDGE_TO, /* a time limit (which: cpu or wall) */
	CELL_JUDGE_ML, /* the memory limit (OOM-killed) */
	CELL_JUDGE_OL, /* the output limit */
	CELL_JUDGE_XX, /* cell failed: message says why */
};

enum cell_judge_kill {
	CELL_JUDGE_KILL_NONE,
	CELL_JUDGE_KILL_CPU,
	CELL_JUDGE_KILL_WALL,
	CELL_JUDGE_KILL_OUTPUT,
	CELL_JUDGE_KILL_STOP, /* the batch was stopped (its supervisor ended): XX */
};

/* What a run measured, and what the supervisor did. */
struct cell_judge_report {
	enum cell_judge_status status;
	enum cell_judge_kill killed; /* the supervisor ended the box, and why */
	int wait_status;	     /* the program's; valid unless status is XX */
	bool have_wait_status;
	double cpu_time, user_time, sys_time, wall_time; /* seconds */
	uint64_t max_rss; /* bytes: the largest process (getrusage(2)) */
	bool has_memory_peak;
	uint64_t memory_peak; /* bytes: the cgroup's peak */
	bool oom_killed;
	bool output_truncated;
	bool has_processes_peak;
	uint64_t processes_peak; /* init not counted */
	long csw_voluntary, csw_involuntary;
	const char *accounting; /* "cgroup v1", "cgroup v2" or "rusage" */
	char message[1280];	/* XX: the error; else what could not be measured */
};

/**
 * cell_judge_parse() - `cell judge` arguments (argv[0] "judge") into @cli:
 * judge flags, then the spec from `cell run`'s parser with the judge's
 * defaults, then the judge's own edits (rlimits, environment).
 */
int cell_judge_parse(int argc, char **argv, uid_t euid, gid_t egid, struct cell_judge_cli *cli,
		     struct cell_error *err);
void cell_judge_cli_free(struct cell_judge_cli *cli);
extern const char cell_judge_usage[];

/** cell_judge_verdict() - the status from what was measured and the limits. */
enum cell_judge_status cell_judge_verdict(const struct cell_judge_report *rep,
					  const struct cell_judge_limits *lim);
/** cell_judge_status_name() - "OK", "RE", ... */
const char *cell_judge_status_name(enum cell_judge_status s);
/** cell_judge_write_json() - the report as one JSON object and a newline. */
int cell_judge_write_json(FILE *f, const struct cell_judge_report *rep);
/** cell_judge_write_meta() - isolate's meta file: key:value lines. */
int cell_judge_write_meta(FILE *f, const struct cell_judge_report *rep);

/**
 * cell_judge_run() - run @cli's box once and fill @rep: XX, with the
 * message, when cell failed.
 */
void cell_judge_run(struct cell_judge_cli *cli, const struct cell_judge_shared *shared,
		    struct cell_judge_report *rep);

/* ---- batch: each line starts from the template the batch's flags made ---- */

/** cell_judge_reset() - the batch's own limits and files back in @cli. */
void cell_judge_reset(struct cell_judge_cli *cli);
/**
 * cell_judge_set() - one field of a line by its flag's long name ("time",
 * "mem", "stdin", ...) and its value as the flag takes it; @what names the
 * field in errors. Only the limits and files: -EINVAL for any other name.
 */
int cell_judge_set(struct cell_judge_cli *cli, const char *name, const char *value,
		   const char *what, struct cell_error *err);
/**
 * cell_judge_fit() - the spec for one line: the template's, with @args, the
 * batch's and the line's @env, @chdir (NULL: the batch's), and the rlimits
 * and cgroup limits of @cli->lim.
 */
int cell_judge_fit(struct cell_judge_cli *cli, char **args, char **env, const char *chdir,
		   struct cell_error *err);
/**
 * cell_judge_line() - one line of a batch (JSON text, @lineno counted from
 * 1) into @cli: cell_judge_reset(), then the line's fields, then
 * cell_judge_fit(). *@doc: the parsed line, which @cli's file names point
 * into: json_decref() it after the run (NULL when it was no JSON). *@id:
 * its "id", borrowed from *@doc, or NULL; set also when the line is wrong
 * elsewhere. -errno with @err naming the line and field.
 */
int cell_judge_line(struct cell_judge_cli *cli, const char *text, size_t len, unsigned long lineno,
		    json_t **doc, json_t **id, struct cell_error *err);
/**
 * cell_judge_batch_json() - the report with "line" and "id" (NULL: null)
 * first, as one line of JSON text with its newline (malloc'd; NULL: ENOMEM).
 */
char *cell_judge_batch_json(const struct cell_judge_report *rep, unsigned long lineno, json_t *id);
/** cell_judge_batch() - `cell judge --batch FILE`: its exit status. */
int cell_judge_batch(const struct cell_global *g, struct cell_judge_cli *cli);

int cell_cmd_judge(const struct cell_global *g, int argc, char **argv);
/** cell_judge_fail() - print "cell: judge: MESSAGE" (stderr and --log); returns 125. */
int cell_judge_fail(const struct cell_global *g, struct cell_error *err);

/* judge_box.c: root's boxes, a host uid and gid each */
int cell_judge_box_id(const char *flag, const char *arg, struct cell_judge_cli *cli,
		      struct cell_error *err);
int cell_judge_box_ids(const char *flag, const char *arg, struct cell_judge_cli *cli,
		       struct cell_error *err);
/** cell_judge_box_check() - --box-id and --box-uids fit together, and root's. */
int cell_judge_box_check(const struct cell_judge_cli *cli, struct cell_error *err);
/**
 * cell_judge_boxes_take() - as root, lock @n boxes no other judge has
 * (--box-id N: N to N+@n-1) until this process and its children end;
 * their numbers in @boxes. Rootless: nothing to take.
 */
int cell_judge_boxes_take(struct cell_judge_cli *cli, uint32_t *boxes, size_t n,
			  struct cell_error *err);
/** cell_judge_box_use() - the next boxes run as @box's host uid and gid. */
void cell_judge_box_use(struct cell_judge_cli *cli, uint32_t box);

#endif
