/*
 * cell — the state directory: one directory per container under the root
 * (/run/cell, or $XDG_RUNTIME_DIR/cell when rootless), holding state.json
 * (the OCI state plus what later commands need), config.json (the spec the
 * container was made from) and, between create and start, exec.fifo.
 *
 * Commands on one container serialise on a flock(2) of its directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "utils.h"

int cell_state_root(const char *given, char *out, size_t size, struct cell_error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (given)
		n = snprintf(out, size, "%s", given);
	else if (!cell_rootless())
		n = snprintf(out, size, "/run/cell");
	else if (xdg && xdg[0] == '/')
		n = snprintf(out, size, "%s/cell", xdg);
	else
		return cell_error_set(err, 0,
				      "no state directory: XDG_RUNTIME_DIR is not set "
				      "(give --root DIR)");
	if (n < 0 || (size_t)n >= size)
		return cell_error_set(err, ENAMETOOLONG, "--root %s", given ? given : "");
	return 0;
}

/* runc's rule: ids are file names, so nothing that could walk out of the root. */
int cell_state_check_id(const char *id, struct cell_error *err)
{
	size_t len = strlen(id);

	if (len == 0 || len > 1024 || !strcmp(id, ".") || !strcmp(id, "..") ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != len)
		return cell_error_set(err, 0,
				      "invalid container id '%s': use letters, digits and "
				      "_ + - . only",
				      id);
	return 0;
}

static int state_dir(const char *root, const char *id, char *out, size_t size,
		     struct cell_error *err)
{
	int r;

	if ((r = cell_state_check_id(id, err)) < 0)
		return r;
	if (snprintf(out, size, "%s/%s", root, id) >= (int)size)
		return cell_error_set(err, ENAMETOOLONG, "state of %s", id);
	return 0;
}

int cell_state_path(const char *root, const char *id, const char *file, char *out, size_t size,
		    struct cell_error *err)
{
	char dir[PATH_MAX];
	int r;

	if ((r = state_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	if (snprintf(out, size, "%s/%s", dir, file) >= (int)size)
		return cell_error_set(err, ENAMETOOLONG, "%s/%s", dir, file);
	return 0;
}

static int mkdir_p(const char *path, mode_t mode, struct cell_error *err)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return cell_error_set(err, ENAMETOOLONG, "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return cell_error_set(err, errno, "create %s", buf);
		if (!c)
			return 0;
		*p = c;
	}
}

int cell_state_lock(const char *root, const char *id, struct cell_error *err)
{
	char dir[PATH_MAX];
	int fd, r;

	if ((r = state_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? cell_error_set(err, ENOENT, "container '%s' does not exist", id)
			       : cell_error_set(err, errno, "open %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		r = errno;
		close(fd);
		return cell_error_set(err, r, "lock %s", dir);
	}
	return fd;
}

int cell_state_create(const char *root, const char *id, struct cell_error *err)
{
	char dir[PATH_MAX];
	int r;

	if ((r = state_dir(root, id, dir, sizeof(dir), err)) < 0 ||
	    (r = mkdir_p(root, 0711, err)) < 0)
		return r;
	if (mkdir(dir, 0711) < 0)
		return errno == EEXIST
			       ? cell_error_set(err, EEXIST, "container '%s' already exists", id)
			       : cell_error_set(err, errno, "create %s", dir);
	return cell_state_lock(root, id, err);
}

/* Field 22 of /proc/PID/stat: tells a PID from its reuse by another process. */
int cell_proc_start_time(pid_t pid, unsigned long long *start, char *state_char)
{
	char path[64], buf[1024];
	struct cell_error ignored = { 0 };
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((n = cell_read_at(AT_FDCWD, path, buf, sizeof(buf), &ignored)) < 0)
		return (int)n;
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* after ") ": state is field 3; starttime is field 22 */
	char st;
	if (sscanf(p + 2,
		   "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &st, start) != 2)
		return -EINVAL;
	if (state_char)
		*state_char = st;
	return 0;
}

void cell_state_free(struct cell_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroups_path);
	free(st->cgroup);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	memset(st, 0, sizeof(*st));
}

int cell_state_save(const char *root, const struct cell_state *st, struct cell_error *err)
{
	char path[PATH_MAX];
	json_t *o, *ann;
	char *text;
	int r;

	if ((r = cell_state_path(root, st->id, "state.json", path, sizeof(path), err)) < 0)
		return r;
	ann = json_object();
	for (size_t i = 0; ann && i < st->n_annotations; i++)
		json_object_set_new(ann, st->annotations[i].key,
				    json_string(st->annotations[i].value));
	o = json_pack("{s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:i,s:o,s:s?,s:s?,s:b,s:b}", "ociVersion",
		      CELL_OCI_VERSION, "id", st->id, "pid", (int)st->pid, "pidStartTime",
		      (json_int_t)st->start_time, "bundle", st->bundle ? st->bundle : "", "rootfs",
		      st->rootfs ? st->rootfs : "", "created", st->created ? st->created : "",
		      "owner", (int)st->owner, "annotations", ann, "cgroupsPath", st->cgroups_path,
		      "cellCgroup", st->cgroup, "rootless", st->rootless, "systemdCgroup", false);
	if (o && st->runner &&
	    json_object_set_new(o, "cellRunner",
				json_pack("{s:i,s:I}", "pid", (int)st->runner, "startTime",
					  (json_int_t)st->runner_start)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		return cell_error_set(err, ENOMEM, "%s", path);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return cell_error_set(err, ENOMEM, "%s", path);
	r = cell_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

int cell_state_load(const char *root, const char *id, struct cell_state *st, struct cell_error *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	json_error_t jerr;
	json_t *o, *ann, *v;
	const char *k;
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = cell_state_path(root, id, "state.json", path, sizeof(path), err)) < 0)
		return r;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return cell_error_set(err, ENOENT, "container '%s' does not exist", id);
	if ((r = cell_read_file(path, &text, &len, err)) < 0)
		return r;
	if (!(o = json_loadb(text, len, 0, &jerr)))
		return cell_error_set(err, 0, "%s: line %d: %s", path, jerr.line, jerr.text);
	st->id = dup_str(o, "id");
	st->bundle = dup_str(o, "bundle");
	st->rootfs = dup_str(o, "rootfs");
	st->created = dup_str(o, "created");
	st->cgroups_path = dup_str(o, "cgroupsPath");
	st->cgroup = dup_str(o, "cellCgroup");
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->start_time = (unsigned long long)json_integer_value(json_object_get(o, "pidStartTime"));
	st->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
	st->rootless = json_is_true(json_object_get(o, "rootless"));
	v = json_object_get(o, "cellRunner");
	st->runner = (pid_t)json_integer_value(json_object_get(v, "pid"));
	st->runner_start = (unsigned long long)json_integer_value(json_object_get(v, "startTime"));
	ann = json_object_get(o, "annotations");
	st->annotations = calloc(json_object_size(ann) + 1, sizeof(*st->annotations));
	json_object_foreach(ann, k, v)
	{
		if (!st->annotations || !json_is_string(v))
			continue;
		st->annotations[st->n_annotations].key = strdup(k);
		st->annotations[st->n_annotations].value = strdup(json_string_value(v));
		st->n_annotations++;
	}
	json_decref(o);
	if (!st->id || !st->annotations) {
		cell_state_free(st);
		return cell_error_set(err, ENOMEM, "%s", path);
	}
	return 0;
}

bool cell_state_pid_alive(const struct cell_state *st)
{
	unsigned long long start;
	char c;

	if (st->pid <= 0 || cell_proc_start_time(st->pid, &start, &c) < 0)
		return false;
	return start == st->start_time && c != 'Z' && c != 'X';
}

bool cell_state_runner_gone(const struct cell_state *st)
{
	unsigned long long start;
	char c;

	if (st->runner <= 0)
		return false;
	if (cell_proc_start_time(st->runner, &start, &c) < 0)
		return true;
	return start != st->runner_start || c == 'Z' || c == 'X';
}

enum cell_status cell_state_status(const char *root, const struct cell_state *st, bool frozen)
{
	char fifo[PATH_MAX];
	struct cell_error ignored = { 0 };

	if (!cell_state_pid_alive(st))
		return CELL_STATUS_STOPPED;
	if (cell_state_path(root, st->id, "exec.fifo", fifo, sizeof(fifo), &ignored) == 0 &&
	    access(fifo, F_OK) == 0)
		return CELL_STATUS_CREATED;
	return frozen ? CELL_STATUS_PAUSED : CELL_STATUS_RUNNING;
}

const char *cell_status_name(enum cell_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused",
					     "stopped" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int cell_state_remove(const char *root, const char *id, struct cell_error *err)
{
	static const char *const files[] = { "state.json",  "config.json", "exec.fifo",
					     "exec.result", "exec.report", "exit.status",
					     "log" };
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int r;

	if ((r = state_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return cell_error_set(err, errno, "remove %s", path);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return cell_error_set(err, errno, "remove %s", dir);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cell_state_list(const char *root, char ***ids, struct cell_error *err)
{
	DIR *d = opendir(root);
	struct dirent *e;

	*ids = calloc(1, sizeof(char *));
	if (!*ids)
		return cell_error_set(err, ENOMEM, "list %s", root);
	if (!d)
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "open %s", root);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (cell_strv_append(ids, e->d_name) < 0) {
			closedir(d);
			return cell_error_set(err, ENOMEM, "list %s", root);
		}
	}
	closedir(d);
	qsort(*ids, cell_strv_len(*ids), sizeof(char *), cmp_str);
	return 0;
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date (the "civil from days"
 * algorithm: eras of 400 years, March-based years so leap days come last).
 */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);			      /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		      /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;				      /* [0, 11] */

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void cell_state_time(char *buf, size_t size, const struct timespec *ts)
{
	int64_t days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400, y;
	unsigned m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%09ldZ", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), ts->tv_nsec);
}

void cell_state_now(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cell_state_time(buf, size, &ts);
}
