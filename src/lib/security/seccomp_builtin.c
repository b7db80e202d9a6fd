/*
 * cell — the default seccomp profile, compiled when cell is built.
 *
 * libseccomp takes milliseconds to turn the default profile (some 370
 * syscalls on three architectures) into BPF: longer than the rest of a
 * start's security setup. tools/seccomp_gen.c compiles the same table at
 * build time, for the bounding
 * sets cell's defaults give, and emits the instructions included here. A
 * spec whose linux.seccomp is the default profile for one of those sets gets
 * that filter; the default profile for another set is compiled at run time
 * by seccomp_tree.c, any other filter by libseccomp. The filters are
 * seccomp_tree.c's compact ones: the kernel's load time follows a filter's
 * length and path lengths (see there). tests/unit/test_seccomp_tree.c runs
 * them against libseccomp's in a BPF interpreter: the same decisions.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_default_bpf.h"
#include "security.h"

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
	int i = builtin_index(s), r;
	uint64_t applied;

	/* The default profile for another bounding set: the compact filter,
	 * which the unit tests compare with libseccomp's for such sets. */
	if (i < 0 && cell_seccomp_default_match(s, &applied)) {
		r = cell_seccomp_compile_tree(s, prog, err);
		prog->is_default = r == 0;
		if (r != -EOPNOTSUPP)
			return r;
	}
	/* Only a user's profile can refuse execve: the default one allows it. */
	if (i < 0 && (r = cell_seccomp_compile(s, prog, err)) == 0 &&
	    (r = cell_seccomp_check_exec(prog, err)) < 0)
		cell_seccomp_prog_free(prog);
	if (i < 0)
		return r;
	memset(prog, 0, sizeof(*prog));
	prog->filter = malloc(builtin_filters[i].len * sizeof(*prog->filter));
	if (!prog->filter)
		return cell_error_set(err, ENOMEM, "seccomp filter");
	memcpy(prog->filter, builtin_filters[i].filter,
	       builtin_filters[i].len * sizeof(*prog->filter));
	prog->len = builtin_filters[i].len;
	prog->flags = builtin_filters[i].flags;
	prog->is_default = true;
	return 0;
}

int cell_seccomp_prepared_new(const struct cell_spec *spec, struct cell_seccomp_prog **out,
			      struct cell_error *err)
{
	struct cell_seccomp_prog *prog;
	int r;

	*out = NULL;
	if (!spec->linux.seccomp.present)
		return 0;
	if (!(prog = calloc(1, sizeof(*prog))))
		return cell_error_set(err, ENOMEM, "linux.seccomp");
	if ((r = cell_seccomp_prepare(&spec->linux.seccomp, prog, err)) < 0) {
		free(prog);
		return r;
	}
	*out = prog;
	return 0;
}

void cell_seccomp_prepared_free(struct cell_seccomp_prog *prog)
{
	if (!prog)
		return;
	cell_seccomp_prog_free(prog);
	free(prog);
}
