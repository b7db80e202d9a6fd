/*
 * cell run — the working directory a flags-built sandbox starts in.
 *
 * Without -w, `cell run` starts in the caller's directory when the container
 * has it (spec.c's default, cell.cwd_optional). Where it does not (under
 * the /tmp or /run tmpfs, outside --rootfs), the child falls back to / in
 * silence, and `python3 hello.py` then fails on //hello.py; the state would
 * also keep the host's directory for `cell exec`. So the CLI looks where the
 * directory would come from, says so once, and the spec (and the state)
 * carries the / that is really used.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "run_flags.h"

static bool is_bind(const struct cell_mount *m)
{
	if (m->type && !strcmp(m->type, "bind"))
		return true;
	for (size_t i = 0; m->options && m->options[i]; i++)
		if (!strcmp(m->options[i], "bind") || !strcmp(m->options[i], "rbind"))
			return true;
	return false;
}

/* Does @dest (no trailing slash but "/") cover @path? Length of @dest if so, else -1. */
static long covers(const char *dest, const char *path)
{
	size_t len = strlen(dest);

	while (len > 1 && dest[len - 1] == '/')
		len--;
	if (len == 1 && dest[0] == '/')
		return 0;
	if (strncmp(dest, path, len) || (path[len] && path[len] != '/'))
		return -1;
	return (long)len;
}

/* Where the host keeps what @cwd names inside; false if a new file system hides it. */
static bool cwd_source(const struct cell_spec *spec, const char *cwd, char *out, size_t size)
{
	const struct cell_mount *top = NULL;
	long top_len = -1;
	int n;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		long len = covers(spec->mounts[i].destination, cwd);

		if (len >= top_len && len >= 0) {
			top = &spec->mounts[i];
			top_len = len;
		}
	}
	if (top && !is_bind(top)) { /* a new file system: only its mount point exists */
		out[0] = '\0';
		return cwd[top_len] == '\0';
	}
	if (top && top->source)
		n = snprintf(out, size, "%s%s", top->source, cwd + top_len);
	else
		n = snprintf(out, size, "%s%s", strcmp(spec->root.path, "/") ? spec->root.path : "",
			     cwd);
	return n > 0 && (size_t)n < size;
}

int cell_run_settle_cwd(const struct cell_global *g, struct cell_spec *spec)
{
	char host[PATH_MAX * 2], msg[PATH_MAX + 128];
	struct stat st;
	char *root;

	if (!spec->cell.cwd_optional || !spec->process.cwd || !strcmp(spec->process.cwd, "/"))
		return 0;
	if (cwd_source(spec, spec->process.cwd, host, sizeof(host)) &&
	    (!host[0] || (stat(host, &st) == 0 && S_ISDIR(st.st_mode))))
		return 0;
	snprintf(msg, sizeof(msg),
		 "the working directory %s does not exist in the container; using / "
		 "(give -w DIR, or --bind it)",
		 spec->process.cwd);
	cell_cli_warn(g, msg);
	if (!(root = strdup("/")))
		return -1;
	free(spec->process.cwd);
	spec->process.cwd = root;
	return 0;
}
