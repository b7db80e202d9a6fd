/* cell — the state directory of OCI containers (internal to cell's commands). */
#ifndef CELL_STATE_H
#define CELL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cell/cell.h"

#define CELL_OCI_VERSION "1.3.0"

enum cell_status {
	CELL_STATUS_CREATING,
	CELL_STATUS_CREATED,
	CELL_STATUS_RUNNING,
	CELL_STATUS_PAUSED,
	CELL_STATUS_STOPPED,
};

/* state.json: the OCI state and what later commands need to find the container. */
struct cell_state {
	char *id;
	pid_t pid;
	unsigned long long start_time; /* of pid, /proc/PID/stat field 22 */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339, UTC */
	uid_t owner;
	char *cgroups_path; /* as the cgroup was made; NULL: none */
	char *cgroup;	    /* cell_cgroup_save()'s text ("cellCgroup"); NULL:
					   none recorded, find cgroups_path instead */
	bool rootless;
	/* the `cell run` (foreground) waiting for it: when that process is gone
	 * and so is the container, nobody will delete the state but cell gc */
	pid_t runner; /* 0: none (cell create, run -d) */
	unsigned long long runner_start;
	struct cell_kv *annotations;
	size_t n_annotations;
};

/** cell_state_root() - --root, else /run/cell (root) or $XDG_RUNTIME_DIR/cell. */
int cell_state_root(const char *given, char *out, size_t size, struct cell_error *err);
int cell_state_check_id(const char *id, struct cell_error *err);
/** cell_state_path() - ROOT/ID/FILE. */
int cell_state_path(const char *root, const char *id, const char *file, char *out, size_t size,
		    struct cell_error *err);
/** cell_state_create() - make ROOT/ID (EEXIST: the id is taken); returns its locked fd. */
int cell_state_create(const char *root, const char *id, struct cell_error *err);
/** cell_state_lock() - flock ROOT/ID; returns the fd holding the lock. */
int cell_state_lock(const char *root, const char *id, struct cell_error *err);
int cell_state_save(const char *root, const struct cell_state *st, struct cell_error *err);
int cell_state_load(const char *root, const char *id, struct cell_state *st,
		    struct cell_error *err);
void cell_state_free(struct cell_state *st);
/** cell_state_remove() - remove ROOT/ID and the files cell keeps there. */
int cell_state_remove(const char *root, const char *id, struct cell_error *err);
/** cell_state_list() - the ids under @root, sorted (NULL-terminated, malloc'd). */
int cell_state_list(const char *root, char ***ids, struct cell_error *err);
/** cell_state_pid_alive() - the container's first process still runs (not a reused PID). */
bool cell_state_pid_alive(const struct cell_state *st);
/** cell_state_runner_gone() - a foreground `cell run` recorded itself and has exited. */
bool cell_state_runner_gone(const struct cell_state *st);
enum cell_status cell_state_status(const char *root, const struct cell_state *st, bool frozen);
const char *cell_status_name(enum cell_status s);
int cell_proc_start_time(pid_t pid, unsigned long long *start, char *state_char);
/**
 * cell_state_time() - @ts in RFC 3339, UTC, with nanoseconds (runc's
 * "created"). Not gmtime_r(3) or strftime(3): glibc loads the time zone
 * (/etc/localtime) on their first call, even for UTC, on the start path.
 */
void cell_state_time(char *buf, size_t size, const struct timespec *ts);
/** cell_state_now() - cell_state_time() of CLOCK_REALTIME. */
void cell_state_now(char *buf, size_t size);

#endif
