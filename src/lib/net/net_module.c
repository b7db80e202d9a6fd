/*
 * cell — the network code as a module, for the static binary.
 *
 * Debian ships libmnl (and libnftables) as shared objects only, and linking
 * cell dynamically costs every `cell run` the dynamic loader: +1.7 ms and
 * +1 MiB peak RSS on a 12 ms start (bench/, hyperfine). So in the static
 * build net.c, lease.c, nft.c, usernet.c and netlink.c live in cell-net.so,
 * which this file opens with dlopen(3) only when a spec asks for networking;
 * a run without it pays nothing (the sweep's check is two stat(2) calls).
 *
 * glibc supports dlopen from a static program when the same glibc is
 * installed; the module then runs on its own copy of libc (malloc uses mmap
 * there, errno is its own), so nothing crosses the boundary but plain data:
 * the spec, struct cell_net_run and struct cell_error.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "utils.h"

#ifndef CELL_MODULE_DIR
#define CELL_MODULE_DIR "/usr/local/lib/cell"
#endif

static void *module;

/* Beside the binary first (a build tree), then where it is installed. */
static int module_load(struct cell_error *err)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if (module)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%s/cell-net.so", exe);
		if (access(path, F_OK) == 0)
			module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!module) {
		snprintf(path, sizeof(path), "%s/cell-net.so", CELL_MODULE_DIR);
		module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!module)
		return cell_error_set(err, ENOPKG, "cell's network module (%s)", dlerror());
	return 0;
}

/* The module's function of the same name (POSIX: dlsym's pointer via void **). */
#define MODULE_FN(fn, name)                                                                        \
	__typeof__(name) *fn;                                                                      \
	*(void **)&fn = dlsym(module, #name);                                                      \
	if (!fn)                                                                                   \
	return cell_error_set(err, ENOSYS, "cell's network module lacks " #name)

int cell_net_prepare(struct cell_net_run *n, const struct cell_spec *spec, const char *id,
		     const struct cell_spec **use, struct cell_error *err)
{
	int r;

	memset(n, 0, sizeof(*n));
	*use = spec;
	if (!cell_net_configured(spec))
		return 0;
	if ((r = module_load(err)) < 0)
		return r;
	MODULE_FN(fn, cell_net_prepare);
	return fn(n, spec, id, use, err);
}

int cell_net_setup(struct cell_net_run *n, pid_t pid, const struct cell_spec *spec,
		   struct cell_error *err)
{
	if (!module || !n->cfg)
		return 0;
	MODULE_FN(fn, cell_net_setup);
	return fn(n, pid, spec, err);
}

int cell_net_teardown(struct cell_net_run *n, struct cell_error *err)
{
	if (!module || !n->cfg)
		return 0;
	MODULE_FN(fn, cell_net_teardown);
	return fn(n, err);
}

int cell_net_gc(unsigned *removed, struct cell_error *err)
{
	int r = module_load(err);

	if (r < 0)
		return r;
	MODULE_FN(fn, cell_net_gc);
	return fn(removed, err);
}

int cell_net_hand_on(struct cell_net_run *n, pid_t pid, struct cell_error *err)
{
	if (!module || !n->cfg)
		return 0;
	MODULE_FN(fn, cell_net_hand_on);
	return fn(n, pid, err);
}

int cell_net_release(const char *id, pid_t pid, struct cell_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	/* nothing leased in this netns: no module to open (delete's common case) */
	cell_net_leases_path(path, sizeof(path));
	if (stat(path, &st) < 0)
		return 0;
	if ((r = module_load(err)) < 0)
		return r;
	MODULE_FN(fn, cell_net_release);
	return fn(id, pid, err);
}

int cell_net_container_path(const char *id, char *buf, size_t size, struct cell_error *err)
{
	int r = module_load(err);

	if (r < 0)
		return r;
	MODULE_FN(fn, cell_net_container_path);
	return fn(id, buf, size, err);
}

void cell_net_sweep_stale(void)
{
	char path[PATH_MAX];
	struct stat st;
	void (*fn)(void);

	cell_net_leases_path(path, sizeof(path));
	if (stat(path, &st) < 0 || module_load(NULL) < 0)
		return;
	*(void **)&fn = dlsym(module, "cell_net_sweep_stale");
	if (fn)
		fn();
}
