/*
 * cell — OCI hooks (config.md "POSIX-platform Hooks"): each hook runs with
 * the container's state JSON on its stdin, its own args and env (cell's
 * environment when it has none), in the bundle directory, and is
 * killed when its timeout passes. A hook that fails or times out fails the
 * operation (except poststart and poststop, whose failures the caller only
 * reports, as runtime.md says).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "spec.h"
#include "utils.h"

char *cell_hook_state_json(const char *id, pid_t pid, const char *status, const char *bundle,
			   const struct cell_spec *spec)
{
	json_t *ann = json_object(), *o;
	char *text;

	for (size_t i = 0; ann && i < spec->n_annotations; i++)
		json_object_set_new(ann, spec->annotations[i].key,
				    json_string(spec->annotations[i].value));
	o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:o}", "ociVersion", "1.3.0", "id", id ? id : "",
		      "status", status, "pid", (int)pid, "bundle", bundle ? bundle : "",
		      "annotations", ann);
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* Wait for @pid at most @timeout seconds (0: no limit); kill it when time is up. */
static int wait_hook(pid_t pid, int timeout, int *status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int r = 0;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		do
			r = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
		while (r < 0 && errno == EINTR);
		close(pidfd);
		if (r == 0) {
			kill(-pid, SIGKILL);
			r = -ETIMEDOUT;
		}
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return r < 0 && r != -ETIMEDOUT ? 0 : r;
}

/*
 * The hook's working directory: the bundle, as runc and crun run hooks from
 * it (createContainer too, which runs in the container's mount namespace
 * before pivot_root, where the bundle is still reachable).
 */
static void hook_cwd(posix_spawn_file_actions_t *fa, const char *bundle)
{
	if (bundle && bundle[0] && access(bundle, X_OK) == 0)
		posix_spawn_file_actions_addchdir_np(fa, bundle);
}

static int run_one(const struct cell_hook *h, const char *state, const char *bundle,
		   const char *kind, size_t i, struct cell_error *err)
{
	char *const default_args[] = { h->path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int in[2], status = 0, r;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return cell_error_set(err, errno, "hooks.%s[%zu]: pipe", kind, i);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	hook_cwd(&fa, bundle);
	/* cell blocks signals for its signalfd and ignores SIGPIPE: the hook must not inherit that */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	/* its own process group: a timeout kills what the hook started too */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETPGROUP);
	r = posix_spawn(&pid, h->path, &fa, &attr, h->args && h->args[0] ? h->args : default_args,
			h->env ? h->env : environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	if (r) {
		close(in[1]);
		return cell_error_set(err, r, "hooks.%s[%zu]: run %s", kind, i, h->path);
	}
	/* The state is small (one pipe buffer); a hook that does not read it gets EPIPE. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	(void)!write(in[1], state, strlen(state));
	close(in[1]);
	struct timespec zero = { 0 };
	sigtimedwait(&pipe_set, NULL, &zero); /* drop a SIGPIPE we caused */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	r = wait_hook(pid, h->has_timeout ? h->timeout : 0, &status);
	if (r == -ETIMEDOUT)
		return cell_error_set(err, ETIMEDOUT,
				      "hooks.%s[%zu] %s: killed after its timeout of "
				      "%d s",
				      kind, i, h->path, h->timeout);
	if (r < 0)
		return cell_error_set(err, -r, "hooks.%s[%zu] %s: wait", kind, i, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return cell_error_set(err, 0, "hooks.%s[%zu] %s: killed by signal %d", kind, i,
				      h->path, WTERMSIG(status));
	return cell_error_set(err, 0, "hooks.%s[%zu] %s: exited with status %d", kind, i, h->path,
			      WEXITSTATUS(status));
}

int cell_hooks_run(const struct cell_spec *spec, enum cell_hook_kind kind, const char *state,
		   const char *bundle, struct cell_error *err)
{
	const struct cell_hooks *h = &spec->hooks;
	int r;

	for (size_t i = 0; i < h->n[kind]; i++)
		if ((r = run_one(&h->list[kind][i], state, bundle, cell_hook_kind_name(kind), i,
				 err)) < 0)
			return r;
	return 0;
}

/*
 * config.md, poststart and poststop: "If the hook returns an error, the
 * runtime MUST log a warning, but the remaining hooks and lifecycle continue
 * as if the hook had succeeded."
 */
size_t cell_hooks_run_all(const struct cell_spec *spec, enum cell_hook_kind kind, const char *state,
			  const char *bundle, cell_warn_fn warn, void *ctx)
{
	const struct cell_hooks *h = &spec->hooks;
	size_t failed = 0;

	for (size_t i = 0; i < h->n[kind]; i++) {
		struct cell_error e = { 0 };

		if (run_one(&h->list[kind][i], state, bundle, cell_hook_kind_name(kind), i, &e) <
		    0) {
			failed++;
			if (warn)
				warn(ctx, &e);
		}
	}
	return failed;
}
