/* cell — error object: an errno plus one message naming the object that failed. */
#ifndef CELL_ERROR_H
#define CELL_ERROR_H

#include <stdarg.h>

/*
 * Why an error happened, beyond errno: the CLI maps these to exit statuses
 * (125 for a cell failure, 126 when the command cannot be executed, 127 when
 * it does not exist).
 */
enum cell_error_kind {
	CELL_ERR_GENERIC = 0,
	CELL_ERR_EXEC_NOT_FOUND,
	CELL_ERR_EXEC_DENIED,
};

/* The exit statuses of every front end when the container's own is not there (README). */
enum {
	CELL_EXIT_FAILURE = 125,     /* cell itself failed */
	CELL_EXIT_CANNOT_EXEC = 126, /* the command exists but cannot be executed */
	CELL_EXIT_NOT_FOUND = 127,   /* the command does not exist */
};

struct cell_error {
	int errnum; /* positive errno, 0 if none applies */
	enum cell_error_kind kind;
	char msg[1024]; /* "OBJECT: what failed: strerror" */
};

/**
 * cell_error_set() - record a failure and return -errnum.
 * @err: the error object (may be NULL: the message is dropped)
 * @errnum: positive errno, or 0 when no system error applies
 * @fmt: printf format naming the object; ": strerror(errnum)" is appended
 *
 * Return: -errnum, or -EINVAL when errnum is 0, so callers can
 * `return cell_error_set(err, errno, "open %s", path);`.
 */
int cell_error_set(struct cell_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * What cell_error_set() returns is negative, said where the compiler and the
 * static analyzers (scan-build, cppcheck: scripts/analyze) see it at each
 * call: `return cell_error_set(...)` in a function whose callers test `< 0`
 * is then never followed down a path on which it looked like success (and
 * so read an output the failed call never set).
 */
static inline int cell_error_negative(int r)
{
	if (r >= 0)
		__builtin_unreachable();
	return r;
}
/* A macro does not expand inside itself: this calls the function. */
#define cell_error_set(err, errnum, ...)                                                           \
	cell_error_negative(cell_error_set(err, errnum, __VA_ARGS__))

/** cell_error_prefix() - add context in front of an existing message. */
int cell_error_prefix(struct cell_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * cell_error_exit_status() - the exit status for a failure: 127 when the
 * command does not exist, 126 when it cannot be executed, else 125 (runc's
 * and the shell's convention, README "Exit status").
 */
int cell_error_exit_status(const struct cell_error *err);

/**
 * cell_error_set_exec() - record that execve of @cmd failed with @errnum:
 * "exec CMD: strerror", kind EXEC_NOT_FOUND for ENOENT, else EXEC_DENIED.
 * Return: -errnum.
 */
int cell_error_set_exec(struct cell_error *err, int errnum, const char *cmd);

/** cell_error_reset() - clear @err for reuse. */
void cell_error_reset(struct cell_error *err);

#endif
