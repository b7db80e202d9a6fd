/* cell — `cell judge`: one untrusted program in a fresh box, limits, and a verdict. */
#ifndef CELL_JUDGE_H
#define CELL_JUDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "run_flags.h"

/* isolate's limits; 0 (or -1 for sizes) means "not given". */
struct cell_judge_limits {
	double time;		/* --time: CPU seconds of the whole tree */
	double wall_time;	/* --wall-time */
	double extra_time;	/* --extra-time: grace before a time limit kills */
	int64_t mem;		/* --mem: bytes (cgroup memory; rootless: RLIMIT_AS) */
	int64_t stack;		/* --stack: RLIMIT_STACK */
	int64_t fsize;		/* --fsize: RLIMIT_FSIZE */
	long processes;		/* --processes: the program's own, init not counted */
	long open_files;	/* --open-files: RLIMIT_NOFILE */
	int64_t output_limit;	/* --output-limit: bytes kept of stdout and of stderr each */
};

struct cell_judge_cli {
	struct cell_run_cli run;	/* the spec, built by `cell run`'s parser */
	struct cell_judge_limits lim;
	const char *stdin_file, *stdout_file, *stderr_file;
	const char *report_file;	/* --report: JSON there instead of stdout */
	const char *meta_file;		/* --meta: isolate's key:value lines there ("-": stderr) */
	bool help;
	bool rootless;
};

enum cell_judge_status {
	CELL_JUDGE_OK,
	CELL_JUDGE_RE,	/* non-zero exit */
	CELL_JUDGE_SG,	/* died of a signal */
	CELL_JUDGE_TO,	/* a time limit (which: cpu or wall) */
	CELL_JUDGE_ML,	/* the memory limit (OOM-killed) */
	CELL_JUDGE_OL,	/* the output limit */
	CELL_JUDGE_XX,	/* cell failed: message says why */
};

enum cell_judge_kill {
	CELL_JUDGE_KILL_NONE,
	CELL_JUDGE_KILL_CPU,
	CELL_JUDGE_KILL_WALL,
	CELL_JUDGE_KILL_OUTPUT,
};

/* What a run measured, and what the supervisor did. */
struct cell_judge_report {
	enum cell_judge_status status;
	enum cell_judge_kill killed;	/* the supervisor ended the box, and why */
	int wait_status;		/* the program's; valid unless status is XX */
	bool have_wait_status;
	double cpu_time, user_time, sys_time, wall_time; /* seconds */
	uint64_t max_rss;		/* bytes: the largest process (getrusage(2)) */
	bool has_memory_peak;
	uint64_t memory_peak;		/* bytes: the cgroup's peak */
	bool oom_killed;
	bool output_truncated;
	bool has_processes_peak;
	uint64_t processes_peak;	/* init not counted */
	long csw_voluntary, csw_involuntary;
	const char *accounting;		/* "cgroup v1", "cgroup v2" or "rusage" */
	char message[1280];		/* XX: the error; else what could not be measured */
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

int cell_cmd_judge(int argc, char **argv);

#endif
