/*
 * cell — what both halves of the child side (process.c, then command.c)
 * share: telling a failure to whoever listens, and running the hooks that
 * run from inside the container. Split from process.c so that command.c,
 * which process.c starts, does not call back into it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run.h"
#include "spec.h"
#include "utils.h"

/*
 * Until READY the parent reads the sync socket. Once `cell create` has
 * returned nobody does: `cell start` reads the start result fifo
 * (a->status_fd) instead, so an error goes to both. Only when neither takes
 * it does the container's stderr, the last witness, get it.
 */
__attribute__((noreturn)) void cell_child_fail(const struct cell_child_args *a,
					       const struct cell_error *err)
{
	int sent = cell_sync_send_error(a->sync_fd, err);
	bool written = a->status_fd >= 0 && cell_sync_write_error(a->status_fd, err) == 0;

	/* EPIPE: the parent has left, the fifo has it; anything else (a seccomp
	 * filter refusing sendmsg) leaves a listening parent without a word */
	if (sent < 0 && (sent != -EPIPE || !written))
		dprintf(STDERR_FILENO, "cell: %s\n", err->msg);
	syscall(SYS_exit_group, cell_error_exit_status(err));
	/* A filter refused exit_group too: a fault ends the process all the
	 * same, and its fds close, so `cell start` sees the start result's end. */
	__builtin_trap();
}

int cell_child_hooks_run(const struct cell_child_args *a, enum cell_hook_kind kind, pid_t host_pid,
			 struct cell_error *err)
{
	cleanup_free char *state = cell_hook_state_json(
		a->id, host_pid, kind == CELL_HOOK_START_CONTAINER ? "created" : "creating",
		a->bundle, a->spec);

	if (!state)
		return cell_error_set(err, ENOMEM, "hooks.%s", cell_hook_kind_name(kind));
	return cell_hooks_run(a->spec, kind, state, a->bundle, err);
}
