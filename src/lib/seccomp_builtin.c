/*
 * cell — the default seccomp profile, compiled when cell is built.
 *
 * libseccomp takes milliseconds to turn the default profile (some 370
 * syscalls on three architectures) into BPF: longer than the rest of a
 * start's security setup. tools/seccomp_gen.c runs the same table through
 * the same compiler (cell_seccomp_compile) at build time, for the bounding
 * sets cell's defaults give, and emits the instructions included here. A
 * spec whose linux.seccomp is the default profile for one of those sets gets
 * that filter; any other filter is compiled at run time. The unit tests
 * check that both ways give the same instructions.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "seccomp_default_bpf.h"

/* The filter built in for @s, or -1. */
static int builtin_index(const struct cell_seccomp *s)
{
	uint64_t applied;

	if (!cell_seccomp_default_match(s, &applied))
		return -1;
	for (size_t i = 0; i < sizeof(builtin_filters) / sizeof(builtin_filters[0]); i++)
		if (builtin_filters[i].applied == applied && builtin_filters[i].len)
			return (int)i;
	return -1;
}

bool cell_seccomp_is_builtin(const struct cell_seccomp *s)
{
	return builtin_index(s) >= 0;
}

int cell_seccomp_prepare(const struct cell_seccomp *s, struct cell_seccomp_prog *prog,
			 struct cell_error *err)
{
	int i = builtin_index(s);

	if (i < 0)
		return cell_seccomp_compile(s, prog, err);
	memset(prog, 0, sizeof(*prog));
	prog->filter = malloc(builtin_filters[i].len * sizeof(*prog->filter));
	if (!prog->filter)
		return cell_error_set(err, ENOMEM, "seccomp filter");
	memcpy(prog->filter, builtin_filters[i].filter,
	       builtin_filters[i].len * sizeof(*prog->filter));
	prog->len = builtin_filters[i].len;
	prog->flags = builtin_filters[i].flags;
	return 0;
}
