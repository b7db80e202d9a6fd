/* cell — error object. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cell/error.h"

static void append_errno(struct cell_error *err, int errnum)
{
	size_t len = strlen(err->msg);

	if (errnum > 0 && len < sizeof(err->msg) - 1)
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
}

/* In parentheses: the name, not the macro of error.h that wraps the calls. */
int(cell_error_set)(struct cell_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		err->errnum = errnum;
		err->kind = CELL_ERR_GENERIC;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		append_errno(err, errnum);
	}
	return errnum ? -errnum : -EINVAL;
}

int cell_error_prefix(struct cell_error *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the front: the outermost context matters most. */
	int n = snprintf(err->msg, sizeof(err->msg), "%s: ", prefix);
	if (n >= 0 && (size_t)n < sizeof(err->msg)) {
		size_t room = sizeof(err->msg) - (size_t)n - 1, len = strnlen(old, room);

		memcpy(err->msg + n, old, len);
		err->msg[(size_t)n + len] = '\0';
	}
	return err->errnum ? -err->errnum : -EINVAL;
}

void cell_error_reset(struct cell_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int cell_error_exit_status(const struct cell_error *err)
{
	switch (err->kind) {
	case CELL_ERR_EXEC_NOT_FOUND:
		return CELL_EXIT_NOT_FOUND;
	case CELL_ERR_EXEC_DENIED:
		return CELL_EXIT_CANNOT_EXEC;
	case CELL_ERR_GENERIC:
		break;
	}
	return CELL_EXIT_FAILURE;
}

int cell_error_set_exec(struct cell_error *err, int errnum, const char *cmd)
{
	int r = cell_error_set(err, errnum, "exec %s", cmd);

	if (err)
		err->kind = errnum == ENOENT ? CELL_ERR_EXEC_NOT_FOUND : CELL_ERR_EXEC_DENIED;
	return r;
}
