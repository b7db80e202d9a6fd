/* cell — `cell judge`'s verdict and report: JSON, and isolate's meta format. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "judge.h"

const char *cell_judge_status_name(enum cell_judge_status s)
{
	static const char *const names[] = { "OK", "RE", "SG", "TO", "ML", "OL", "XX" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "XX";
}

static bool over(double used, double limit)
{
	return limit > 0 && used > limit;
}

/*
 * What ended the run, first cause first: the supervisor's own kill; a time
 * used beyond its limit (isolate: TO even when the program finished within
 * --extra-time); the kernel's RLIMIT_CPU backstop (SIGXCPU, or SIGKILL at the
 * hard limit); the cgroup's OOM killer; then the program's own end.
 */
enum cell_judge_status cell_judge_verdict(const struct cell_judge_report *rep,
					  const struct cell_judge_limits *lim)
{
	int ws = rep->wait_status;

	if (!rep->have_wait_status)
		return CELL_JUDGE_XX;
	if (rep->killed == CELL_JUDGE_KILL_STOP)
		return CELL_JUDGE_XX;
	if (rep->killed == CELL_JUDGE_KILL_OUTPUT)
		return CELL_JUDGE_OL;
	if (rep->killed != CELL_JUDGE_KILL_NONE || over(rep->cpu_time, lim->time) ||
	    over(rep->wall_time, lim->wall_time))
		return CELL_JUDGE_TO;
	if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGXCPU && lim->time > 0)
		return CELL_JUDGE_TO;
	if (rep->oom_killed)
		return CELL_JUDGE_ML;
	if (WIFSIGNALED(ws))
		return CELL_JUDGE_SG;
	if (WIFEXITED(ws) && WEXITSTATUS(ws))
		return CELL_JUDGE_RE;
	return CELL_JUDGE_OK;
}

/* Which time limit a TO is for (isolate's meta says "Time limit exceeded (wall clock)"). */
static const char *time_limit_name(const struct cell_judge_report *rep)
{
	if (rep->status != CELL_JUDGE_TO)
		return NULL;
	return rep->killed == CELL_JUDGE_KILL_WALL ? "wall" : "cpu";
}

static int set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *report_json(const struct cell_judge_report *rep)
{
	json_t *o = json_object();
	const char *which = time_limit_name(rep);
	int ws = rep->wait_status, r = 0;

	if (!o)
		return NULL;
	r |= set(o, "status", json_string(cell_judge_status_name(rep->status)));
	r |= set(o, "time_limit", which ? json_string(which) : json_null());
	r |= set(o, "exitcode",
		 rep->have_wait_status && WIFEXITED(ws) ? json_integer(WEXITSTATUS(ws))
							: json_null());
	r |= set(o, "signal",
		 rep->have_wait_status && WIFSIGNALED(ws) ? json_integer(WTERMSIG(ws))
							  : json_null());
	r |= set(o, "cpu_time", json_real(rep->cpu_time));
	r |= set(o, "user_time", json_real(rep->user_time));
	r |= set(o, "sys_time", json_real(rep->sys_time));
	r |= set(o, "wall_time", json_real(rep->wall_time));
	r |= set(o, "max_rss", json_integer((json_int_t)rep->max_rss));
	r |= set(o, "memory_peak",
		 rep->has_memory_peak ? json_integer((json_int_t)rep->memory_peak) : json_null());
	r |= set(o, "oom_killed", json_boolean(rep->oom_killed));
	r |= set(o, "output_truncated", json_boolean(rep->output_truncated));
	r |= set(o, "processes_peak",
		 rep->has_processes_peak ? json_integer((json_int_t)rep->processes_peak)
					 : json_null());
	r |= set(o, "voluntary_context_switches", json_integer(rep->csw_voluntary));
	r |= set(o, "involuntary_context_switches", json_integer(rep->csw_involuntary));
	r |= set(o, "accounting", json_string(rep->accounting ? rep->accounting : "none"));
	r |= set(o, "message", rep->message[0] ? json_string(rep->message) : json_null());
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cell_judge_write_json(FILE *f, const struct cell_judge_report *rep)
{
	json_t *o = report_json(rep);
	int r;

	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, f, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (r < 0 || fputc('\n', f) == EOF || fflush(f) == EOF)
		return -EIO;
	return 0;
}

char *cell_judge_batch_json(const struct cell_judge_report *rep, unsigned long lineno, json_t *id)
{
	json_t *o = json_object(), *r = report_json(rep);
	char *text = NULL, *line = NULL;

	if (o && r && set(o, "line", json_integer((json_int_t)lineno)) == 0 &&
	    set(o, "id", id ? json_incref(id) : json_null()) == 0 && json_object_update(o, r) == 0)
		text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	json_decref(r);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	return line;
}

/* isolate(1), "META-FILES": time and time-wall in seconds, memories in KiB. */
int cell_judge_write_meta(FILE *f, const struct cell_judge_report *rep)
{
	int ws = rep->wait_status;

	fprintf(f, "time:%.3f\ntime-wall:%.3f\nmax-rss:%llu\n", rep->cpu_time, rep->wall_time,
		(unsigned long long)(rep->max_rss / 1024));
	if (rep->has_memory_peak)
		fprintf(f, "cg-mem:%llu\n", (unsigned long long)(rep->memory_peak / 1024));
	if (rep->oom_killed)
		fputs("cg-oom-killed:1\n", f);
	fprintf(f, "csw-voluntary:%ld\ncsw-forced:%ld\n", rep->csw_voluntary, rep->csw_involuntary);
	if (rep->have_wait_status && WIFEXITED(ws))
		fprintf(f, "exitcode:%d\n", WEXITSTATUS(ws));
	if (rep->have_wait_status && WIFSIGNALED(ws))
		fprintf(f, "exitsig:%d\n", WTERMSIG(ws));
	if (rep->killed != CELL_JUDGE_KILL_NONE)
		fputs("killed:1\n", f);
	if (rep->status != CELL_JUDGE_OK)
		fprintf(f, "status:%s\n", cell_judge_status_name(rep->status));
	if (rep->message[0])
		fprintf(f, "message:%s\n", rep->message);
	return fflush(f) == EOF ? -EIO : 0;
}
