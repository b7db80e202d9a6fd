/*
 * cell — what the command's process gets beyond process.*: HOME from the
 * container's /etc/passwd when process.env lacks it, as runc
 * (libcontainer/init_linux.go) and crun do; POSIX says HOME is there
 * (environ(7)), and programs that build paths from it break without it.
 *
 * Runs in the child once its root is the container's (after pivot_root, or
 * the chroot of cell exec), before the command's process is split off: it
 * may allocate here. It reads the file itself: a static binary's getpwuid(3)
 * would load NSS modules from the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "utils.h"

static bool env_has(char *const *env, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, n) && env[i][n] == '=')
			return true;
	return false;
}

/*
 * The home directory of @uid in passwd(5) lines, or "/" (runc's and crun's
 * fallback) when none names it. O_NONBLOCK and the S_ISREG check: the
 * container's /etc/passwd may be a fifo, which would hang the start.
 */
static char *passwd_home(uid_t uid)
{
	cleanup_close int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	char *line = NULL, *home = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *f;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r")))
		return strdup("/");
	fd = -1; /* the stream owns it */
	while (!home && getline(&line, &cap, f) > 0) {
		/* name:passwd:uid:gid:gecos:dir:shell */
		char *field[7], *s = line, *end;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		for (; n < 7 && s; n++) {
			field[n] = s;
			if ((s = strchr(s, ':')))
				*s++ = '\0';
		}
		if (n < 6 || !field[2][0])
			continue;
		errno = 0;
		unsigned long id = strtoul(field[2], &end, 10);
		if (!errno && !*end && id == uid && field[5][0])
			home = strdup(field[5]);
	}
	free(line);
	fclose(f);
	return home ? home : strdup("/");
}

int cell_command_env(const struct cell_process *p, char ***out, struct cell_error *err)
{
	cleanup_free char *home = NULL, *kv = NULL;
	size_t n = cell_strv_len(p->env);
	char **env;

	*out = NULL;
	if (env_has(p->env, "HOME"))
		return 0;
	if (!(home = passwd_home(p->uid)) || asprintf(&kv, "HOME=%s", home) < 0) {
		kv = NULL;
		return cell_error_set(err, ENOMEM, "process.env HOME");
	}
	if (!(env = calloc(n + 2, sizeof(*env))))
		return cell_error_set(err, ENOMEM, "process.env HOME");
	/* the strings stay the spec's; the child never frees the array */
	if (n)
		memcpy(env, p->env, n * sizeof(*env));
	env[n] = kv;
	kv = NULL;
	*out = env;
	return 0;
}
