/*
 * cell — seccomp profiles in Docker's JSON format (moby profiles/seccomp,
 * containers-common pkg/seccomp): the format users already have. It is an
 * OCI linux.seccomp object plus three things resolved when the spec is built:
 *
 * - "archMap": [{architecture, subArchitectures}]: the entry whose
 *   architecture is this machine's gives linux.seccomp.architectures;
 * - syscalls[].includes / .excludes: {caps, arches, minKernel}: an entry
 *   applies when all of includes.caps are in the bounding set, none of
 *   excludes.caps are, this architecture (Go's name: amd64, arm64) is in
 *   includes.arches (when given) and not in excludes.arches, and the kernel
 *   is at least includes.minKernel;
 * - "name" (one syscall) beside "names", and "comment", ignored.
 *
 * An OCI object has none of these and reads the same way.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "security.h"
#include "spec.h"
#include "utils.h"

/* This build's architecture: the runtime spec's name and Go's (Docker's). */
static const struct {
	const char *scmp, *go;
} native =
#if defined(__x86_64__) && defined(__ILP32__)
	{ "SCMP_ARCH_X32", "x32" };
#elif defined(__x86_64__)
	{ "SCMP_ARCH_X86_64", "amd64" };
#elif defined(__i386__)
	{ "SCMP_ARCH_X86", "386" };
#elif defined(__aarch64__)
	{ "SCMP_ARCH_AARCH64", "arm64" };
#elif defined(__arm__)
	{ "SCMP_ARCH_ARM", "arm" };
#elif defined(__s390x__)
	{ "SCMP_ARCH_S390X", "s390x" };
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{ "SCMP_ARCH_PPC64LE", "ppc64le" };
#elif defined(__riscv) && __riscv_xlen == 64
	{ "SCMP_ARCH_RISCV64", "riscv64" };
#elif defined(__loongarch64)
	{ "SCMP_ARCH_LOONGARCH64", "loong64" };
#else
	{ NULL, "unknown" };
#endif

const char *cell_seccomp_native_arch(void)
{
	return native.scmp;
}

const char *cell_seccomp_native_goarch(void)
{
	return native.go;
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

bool cell_seccomp_cond_holds(const struct cell_seccomp_cond *c, uint64_t caps, const char *arch)
{
	if (c->excludes_arches && in_list(c->excludes_arches, arch))
		return false;
	if (c->excludes_caps & caps)
		return false;
	if (c->includes_arches && !in_list(c->includes_arches, arch))
		return false;
	return (c->includes_caps & caps) == c->includes_caps;
}

/* ---- Docker's JSON ---- */

struct reader {
	const char *name; /* the file, for errors */
	struct cell_error *err;
};

static int strings(const struct reader *rd, json_t *list, const char *where, char ***out)
{
	size_t i;
	json_t *v;

	*out = NULL;
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return cell_error_set(rd->err, 0, "%s: %s: expected an array", rd->name, where);
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v))
			return cell_error_set(rd->err, 0, "%s: %s[%zu]: expected a string",
					      rd->name, where, i);
		if (cell_strv_append(out, json_string_value(v)) < 0)
			return cell_error_set(rd->err, ENOMEM, "%s", rd->name);
	}
	return 0;
}

/* Capability names to bits; one this cell does not know is bit 63 (never held). */
static int caps_mask(const struct reader *rd, json_t *list, const char *where, uint64_t *mask)
{
	cleanup_strv char **names = NULL;
	int r;

	*mask = 0;
	if ((r = strings(rd, list, where, &names)) < 0)
		return r;
	for (size_t i = 0; names && names[i]; i++) {
		int cap = cell_cap_from_name(names[i]);

		*mask |= 1ULL << (cap < 0 || cap > 62 ? 63 : cap);
	}
	return 0;
}

/* "5.8" <= the running kernel? */
static int kernel_at_least(const struct reader *rd, json_t *v, const char *where, bool *ok)
{
	static struct utsname u;
	unsigned int want_major, want_minor = 0, major = 0, minor = 0;

	*ok = true;
	if (!v)
		return 0;
	if (!json_is_string(v) ||
	    sscanf(json_string_value(v), "%u.%u", &want_major, &want_minor) < 1)
		return cell_error_set(rd->err, 0, "%s: %s: expected a kernel version like \"4.8\"",
				      rd->name, where);
	if (!u.release[0] && uname(&u) < 0)
		return cell_error_set(rd->err, errno, "uname");
	sscanf(u.release, "%u.%u", &major, &minor);
	*ok = major > want_major || (major == want_major && minor >= want_minor);
	return 0;
}

/* @obj.@key of syscalls[@i], its path in @where for errors. */
static json_t *field(json_t *obj, const char *obj_name, const char *key, size_t i, char *where,
		     size_t size)
{
	snprintf(where, size, "syscalls[%zu].%s.%s", i, obj_name, key);
	return obj ? json_object_get(obj, key) : NULL;
}

/* Does syscalls[@i] apply for @caps here? */
static int entry_applies(const struct reader *rd, json_t *e, size_t i, uint64_t caps, bool *applies)
{
	json_t *inc = json_object_get(e, "includes"), *exc = json_object_get(e, "excludes");
	cleanup_strv char **inc_arches = NULL, **exc_arches = NULL;
	struct cell_seccomp_cond c = { 0 };
	char w[96];
	bool kernel_ok;
	int r;

	*applies = true;
	if ((inc && !json_is_object(inc)) || (exc && !json_is_object(exc)))
		return cell_error_set(rd->err, 0,
				      "%s: syscalls[%zu]: includes and excludes must "
				      "be objects",
				      rd->name, i);
	if ((r = caps_mask(rd, field(inc, "includes", "caps", i, w, sizeof(w)), w,
			   &c.includes_caps)) < 0 ||
	    (r = caps_mask(rd, field(exc, "excludes", "caps", i, w, sizeof(w)), w,
			   &c.excludes_caps)) < 0 ||
	    (r = strings(rd, field(inc, "includes", "arches", i, w, sizeof(w)), w, &inc_arches)) <
		    0 ||
	    (r = strings(rd, field(exc, "excludes", "arches", i, w, sizeof(w)), w, &exc_arches)) <
		    0 ||
	    (r = kernel_at_least(rd, field(inc, "includes", "minKernel", i, w, sizeof(w)), w,
				 &kernel_ok)) < 0)
		return r;
	c.includes_arches = (const char *const *)inc_arches;
	c.excludes_arches = (const char *const *)exc_arches;
	/* An unknown capability (bit 63) in includes is never held; in excludes it never matters. */
	c.excludes_caps &= ~(1ULL << 63);
	*applies = kernel_ok &&
		   cell_seccomp_cond_holds(&c, caps & ~(1ULL << 63), cell_seccomp_native_goarch());
	return 0;
}

/* archMap: the entry for this machine gives the architectures. */
static int arch_map(const struct reader *rd, json_t *root, struct cell_seccomp *s)
{
	json_t *map = json_object_get(root, "archMap"), *e;
	size_t i;

	if (!map || json_is_null(map))
		return 0;
	if (!json_is_array(map))
		return cell_error_set(rd->err, 0, "%s: archMap: expected an array", rd->name);
	json_array_foreach(map, i, e)
	{
		json_t *arch = json_object_get(e, "architecture");
		cleanup_strv char **subs = NULL;
		char where[64];
		int r;

		if (!json_is_string(arch))
			return cell_error_set(rd->err, 0,
					      "%s: archMap[%zu].architecture: expected "
					      "a string",
					      rd->name, i);
		if (!native.scmp || strcmp(json_string_value(arch), native.scmp))
			continue;
		snprintf(where, sizeof(where), "archMap[%zu].subArchitectures", i);
		if ((r = strings(rd, json_object_get(e, "subArchitectures"), where, &subs)) < 0)
			return r;
		cell_strv_free(s->architectures);
		s->architectures = NULL;
		if (cell_strv_append(&s->architectures, native.scmp) < 0)
			return cell_error_set(rd->err, ENOMEM, "%s", rd->name);
		for (size_t j = 0; subs && subs[j]; j++)
			if (cell_strv_append(&s->architectures, subs[j]) < 0)
				return cell_error_set(rd->err, ENOMEM, "%s", rd->name);
	}
	return 0;
}

/* Docker's "name": one syscall, where OCI has "names". */
static int legacy_names(const struct reader *rd, json_t *syscalls)
{
	json_t *e;
	size_t i;

	json_array_foreach(syscalls, i, e)
	{
		json_t *name = json_object_get(e, "name");

		if (!name || json_object_get(e, "names"))
			continue;
		if (json_object_set_new(e, "names", json_pack("[O]", name)) < 0)
			return cell_error_set(rd->err, ENOMEM, "%s", rd->name);
	}
	return 0;
}

/* Drop the rules that do not apply; @s->syscalls[i] was read from syscalls[i]. */
static int keep_applicable(const struct reader *rd, json_t *syscalls, uint64_t caps,
			   struct cell_seccomp *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->n_syscalls; i++) {
		bool applies;
		int r = entry_applies(rd, json_array_get(syscalls, i), i, caps, &applies);

		if (r < 0)
			return r;
		if (!applies) {
			cell_strv_free(s->syscalls[i].names);
			free(s->syscalls[i].args);
			continue;
		}
		s->syscalls[kept++] = s->syscalls[i];
	}
	s->n_syscalls = kept;
	return 0;
}

int cell_seccomp_from_profile(const char *text, size_t len, const char *name, uint64_t caps,
			      struct cell_seccomp *out, struct cell_error *err)
{
	struct reader rd = { .name = name, .err = err };
	char path[512];
	json_error_t jerr;
	json_t *root, *syscalls;
	int r;

	cell_seccomp_free(out);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cell_error_set(err, 0, "%s: line %d column %d: %s", name, jerr.line,
				      jerr.column, jerr.text);
	syscalls = json_object_get(root, "syscalls");
	snprintf(path, sizeof(path), "%s: seccomp", name);
	if (!json_is_object(root))
		r = cell_error_set(err, 0, "%s: expected a JSON object", name);
	else if ((r = json_is_array(syscalls) ? legacy_names(&rd, syscalls) : 0) < 0 ||
		 (r = cell_seccomp_read_json(root, path, out, err)) < 0 ||
		 (r = arch_map(&rd, root, out)) < 0 ||
		 (r = keep_applicable(&rd, syscalls, caps, out)) < 0)
		;
	else
		r = cell_seccomp_check(out, err);
	json_decref(root);
	if (r < 0)
		cell_seccomp_free(out);
	return r;
}
