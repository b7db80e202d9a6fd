/*
 * cell — config.json -> struct cell_spec.
 *
 * Every value is type- and range-checked against the runtime spec's schema
 * (config-schema.json, defs.json, defs-linux.json, v1.3.0); an error names
 * the JSON path of the value ("linux.resources.memory.limit: expected an
 * integer"). Unknown properties are ignored, as config.md's "Extensibility"
 * requires of runtimes.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "spec.h"
#include "utils.h"

/* The JSON path of the value being read, and where errors go. */
struct jp {
	char path[512];
	size_t len;
	struct cell_error *err;
};

static void jp_push(struct jp *p, const char *key)
{
	int n = snprintf(p->path + p->len, sizeof(p->path) - p->len, "%s%s",
			 p->len ? "." : "", key);

	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->path) ? p->len + (size_t)n
							     : sizeof(p->path) - 1;
}

static void jp_push_index(struct jp *p, size_t i)
{
	int n = snprintf(p->path + p->len, sizeof(p->path) - p->len, "[%zu]", i);

	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->path) ? p->len + (size_t)n
							     : sizeof(p->path) - 1;
}

static void jp_pop(struct jp *p, size_t len)
{
	p->len = len;
	p->path[len] = '\0';
}

__attribute__((format(printf, 2, 3))) static int jp_fail(struct jp *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cell_error_set(p->err, 0, "%s: %s", p->path[0] ? p->path : "config", what);
}
/* Negative as cell_error_set's, at each call: clang's analyzer does not follow a
 * variadic function, so it would not see it through jp_fail (error.h). */
#define jp_fail(p, ...) cell_error_negative(jp_fail(p, __VA_ARGS__))

static int jp_nomem(struct jp *p)
{
	return cell_error_set(p->err, ENOMEM, "%s", p->path);
}

/* Look up @key of @obj and push it onto the path; NULL (path unchanged) if absent. */
static json_t *jp_get(struct jp *p, json_t *obj, const char *key, size_t *saved)
{
	json_t *v = json_object_get(obj, key);

	*saved = p->len;
	if (v && !json_is_null(v))
		jp_push(p, key);
	else
		v = NULL;
	return v;
}

/* ---- scalar readers: 1 when read, 0 when absent, -errno on error ---- */

static int read_string(struct jp *p, json_t *obj, const char *key, char **out)
{
	size_t saved;
	json_t *v = jp_get(p, obj, key, &saved);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return jp_fail(p, "expected a string");
	char *s = strdup(json_string_value(v));
	if (!s)
		return jp_nomem(p);
	free(*out);
	*out = s;
	jp_pop(p, saved);
	return 1;
}

static int read_bool(struct jp *p, json_t *obj, const char *key, bool *out)
{
	size_t saved;
	json_t *v = jp_get(p, obj, key, &saved);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return jp_fail(p, "expected true or false");
	*out = json_is_true(v);
	jp_pop(p, saved);
	return 1;
}

static int read_int(struct jp *p, json_t *obj, const char *key, int64_t min, int64_t max,
		    int64_t *out)
{
	size_t saved;
	json_t *v = jp_get(p, obj, key, &saved);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return jp_fail(p, "expected an integer");
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return jp_fail(p, "%lld is out of range (%lld..%lld)", (long long)n,
			       (long long)min, (long long)max);
	*out = n;
	jp_pop(p, saved);
	return 1;
}

/* An unsigned 64-bit value; jansson holds integers as long long. */
static int read_u64(struct jp *p, json_t *obj, const char *key, uint64_t *out)
{
	int64_t n;
	int r = read_int(p, obj, key, 0, INT64_MAX, &n);

	if (r > 0)
		*out = (uint64_t)n;
	return r;
}

static int read_u32(struct jp *p, json_t *obj, const char *key, uint32_t *out)
{
	int64_t n;
	int r = read_int(p, obj, key, 0, UINT32_MAX, &n);

	if (r > 0)
		*out = (uint32_t)n;
	return r;
}

static int read_strv(struct jp *p, json_t *obj, const char *key, char ***out)
{
	size_t saved, i;
	json_t *v = jp_get(p, obj, key, &saved), *e;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jp_fail(p, "expected an array of strings");
	cell_strv_free(*out);
	*out = NULL;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			jp_push_index(p, i);
			return jp_fail(p, "expected a string");
		}
		if (cell_strv_append(out, json_string_value(e)) < 0)
			return jp_nomem(p);
	}
	if (!*out && !(*out = calloc(1, sizeof(char *))))
		return jp_nomem(p);
	jp_pop(p, saved);
	return 1;
}

static int expect_object(struct jp *p, json_t *v)
{
	return json_is_object(v) ? 0 : jp_fail(p, "expected an object");
}

/* Arrays of objects: call @fn on each element with the path at "key[i]". */
typedef int (*elem_fn)(struct jp *p, json_t *elem, void *arr, size_t i);

static int read_array(struct jp *p, json_t *obj, const char *key, void **arr, size_t *n,
		      size_t elem_size, elem_fn fn)
{
	size_t saved, i;
	json_t *v = jp_get(p, obj, key, &saved), *e;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jp_fail(p, "expected an array");
	size_t count = json_array_size(v);
	void *a = calloc(count ? count : 1, elem_size);
	if (!a)
		return jp_nomem(p);
	free(*arr);
	*arr = a;
	*n = 0;
	json_array_foreach(v, i, e) {
		size_t here = p->len;
		int r;

		jp_push_index(p, i);
		if ((r = expect_object(p, e)) < 0)
			return r;
		/* counted first: what fn allocated before failing is freed with the spec */
		(*n)++;
		if ((r = fn(p, e, a, i)) < 0)
			return r;
		jp_pop(p, here);
	}
	jp_pop(p, saved);
	return 1;
}

/* Objects keyed by a name (rdma, netDevices): @fn gets each value at "key.NAME". */
typedef int (*keyed_fn)(struct jp *p, const char *name, json_t *value, void *arr, size_t i);

static int read_keyed(struct jp *p, json_t *obj, const char *key, void **arr, size_t *n,
		      size_t elem_size, keyed_fn fn)
{
	size_t saved;
	json_t *v = jp_get(p, obj, key, &saved), *e;
	const char *name;
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if (!(*arr = calloc(json_object_size(v) + 1, elem_size)))
		return jp_nomem(p);
	json_object_foreach(v, name, e) {
		size_t here = p->len;

		jp_push(p, name);
		if ((r = expect_object(p, e)) < 0)
			return r;
		/* counted first: what fn allocated before failing is freed with the spec */
		if ((r = fn(p, name, e, *arr, (*n)++)) < 0)
			return r;
		jp_pop(p, here);
	}
	jp_pop(p, saved);
	return 0;
}

/* An object of string values (annotations, sysctl, unified). */
static int read_string_map(struct jp *p, json_t *obj, const char *key, struct cell_kv **out,
			   size_t *n)
{
	size_t saved;
	json_t *v = jp_get(p, obj, key, &saved), *e;
	const char *k;

	if (!v)
		return 0;
	if (expect_object(p, v) < 0)
		return -EINVAL;
	struct cell_kv *kv = calloc(json_object_size(v) + 1, sizeof(*kv));
	if (!kv)
		return jp_nomem(p);
	*out = kv;
	*n = 0;
	json_object_foreach(v, k, e) {
		if (!json_is_string(e)) {
			jp_push(p, k);
			return jp_fail(p, "expected a string");
		}
		kv[*n].key = strdup(k);
		kv[*n].value = strdup(json_string_value(e));
		(*n)++;
		if (!kv[*n - 1].key || !kv[*n - 1].value)
			return jp_nomem(p);
	}
	jp_pop(p, saved);
	return 1;
}

/* A string that must be one of @names; *out gets its index. */
static int read_enum(struct jp *p, json_t *obj, const char *key, const char *const *names,
		     size_t n_names, int *out)
{
	cleanup_free char *s = NULL;
	size_t saved = p->len;
	int r = read_string(p, obj, key, &s);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < n_names; i++)
		if (names[i] && !strcmp(s, names[i])) {
			*out = (int)i;
			return 1;
		}
	jp_push(p, key);
	r = jp_fail(p, "unknown value '%s'", s);
	jp_pop(p, saved);
	return r;
}

/* ---- process ---- */

static int read_id_map(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_id_map *m = (struct cell_id_map *)arr + i;
	int r;

	if ((r = read_u32(p, e, "containerID", &m->container_id)) == 0 ||
	    (r > 0 && (r = read_u32(p, e, "hostID", &m->host_id)) == 0) ||
	    (r > 0 && (r = read_u32(p, e, "size", &m->size)) == 0))
		return jp_fail(p, "containerID, hostID and size are required");
	return r < 0 ? r : 0;
}

static int read_rlimit(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_rlimit *rl = (struct cell_rlimit *)arr + i;
	int type = -1, r;

	if ((r = read_enum(p, e, "type", cell_rlimit_names, RLIM_NLIMITS, &type)) <= 0 ||
	    (r = read_u64(p, e, "soft", &rl->soft)) <= 0 ||
	    (r = read_u64(p, e, "hard", &rl->hard)) <= 0)
		return r < 0 ? r : jp_fail(p, "type, soft and hard are required");
	rl->resource = type;
	if (rl->soft > rl->hard)
		return jp_fail(p, "soft limit %llu is above the hard limit %llu",
			       (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	return 0;
}

static int read_cap_set(struct jp *p, json_t *caps, const char *key, uint64_t *set)
{
	cleanup_strv char **names = NULL;
	size_t saved = p->len;
	int r = read_strv(p, caps, key, &names);

	if (r <= 0)
		return r;
	*set = 0;
	for (size_t i = 0; names[i]; i++) {
		int cap = cell_cap_from_name(names[i]);

		if (cap < 0) {
			jp_push(p, key);
			jp_push_index(p, i);
			r = jp_fail(p, "unknown capability '%s'", names[i]);
			jp_pop(p, saved);
			return r;
		}
		*set |= 1ULL << cap;
	}
	return 1;
}

static int read_capabilities(struct jp *p, json_t *proc, struct cell_capabilities *c)
{
	size_t saved;
	json_t *v = jp_get(p, proc, "capabilities", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	memset(c, 0, sizeof(*c));
	c->present = true;
	if ((r = read_cap_set(p, v, "bounding", &c->bounding)) < 0 ||
	    (r = read_cap_set(p, v, "effective", &c->effective)) < 0 ||
	    (r = read_cap_set(p, v, "inheritable", &c->inheritable)) < 0 ||
	    (r = read_cap_set(p, v, "permitted", &c->permitted)) < 0 ||
	    (r = read_cap_set(p, v, "ambient", &c->ambient)) < 0)
		return r;
	jp_pop(p, saved);
	return 0;
}

static int read_user(struct jp *p, json_t *proc, struct cell_process *pr)
{
	size_t saved, i;
	json_t *u = jp_get(p, proc, "user", &saved), *e, *gids;
	int r;

	if (!u)
		return 0;
	if ((r = expect_object(p, u)) < 0)
		return r;
	if ((r = read_u32(p, u, "uid", &pr->uid)) < 0 || (r = read_u32(p, u, "gid", &pr->gid)) < 0)
		return r;
	if ((r = read_u32(p, u, "umask", &pr->umask)) < 0)
		return r;
	pr->has_umask = r > 0;
	if ((gids = json_object_get(u, "additionalGids")) && !json_is_null(gids)) {
		jp_push(p, "additionalGids");
		if (!json_is_array(gids))
			return jp_fail(p, "expected an array of integers");
		free(pr->additional_gids);
		pr->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
		if (!pr->additional_gids)
			return jp_nomem(p);
		pr->n_additional_gids = 0;
		json_array_foreach(gids, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 0 ||
			    json_integer_value(e) > UINT32_MAX) {
				jp_push_index(p, i);
				return jp_fail(p, "expected a gid (0..4294967295)");
			}
			pr->additional_gids[pr->n_additional_gids++] =
				(uint32_t)json_integer_value(e);
		}
	}
	jp_pop(p, saved);
	return 0;
}

static int read_scheduler(struct jp *p, json_t *proc, struct cell_scheduler *s)
{
	static const char *const policies[] = {
		[SCHED_OTHER] = "SCHED_OTHER", [SCHED_FIFO] = "SCHED_FIFO",
		[SCHED_RR] = "SCHED_RR",       [SCHED_BATCH] = "SCHED_BATCH",
		[SCHED_IDLE] = "SCHED_IDLE",   [6] = "SCHED_DEADLINE",
	};
	static const char *const flags[] = {
		"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
		"SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
		"SCHED_FLAG_UTIL_CLAMP_MAX",
	};
	cleanup_strv char **fl = NULL;
	size_t saved;
	json_t *v = jp_get(p, proc, "scheduler", &saved);
	int64_t n;
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	s->present = true;
	if ((r = read_enum(p, v, "policy", policies, 7, &s->policy)) <= 0)
		return r < 0 ? r : jp_fail(p, "policy is required");
	if ((r = read_int(p, v, "nice", -20, 19, &n)) < 0)
		return r;
	s->nice = r > 0 ? (int)n : 0;
	if ((r = read_int(p, v, "priority", 0, 99, &n)) < 0)
		return r;
	s->priority = r > 0 ? (int)n : 0;
	if ((r = read_u64(p, v, "runtime", &s->runtime)) < 0 ||
	    (r = read_u64(p, v, "deadline", &s->deadline)) < 0 ||
	    (r = read_u64(p, v, "period", &s->period)) < 0 ||
	    (r = read_strv(p, v, "flags", &fl)) < 0)
		return r;
	for (size_t i = 0; fl && fl[i]; i++) {
		size_t k = 0;

		while (k < sizeof(flags) / sizeof(flags[0]) && strcmp(fl[i], flags[k]))
			k++;
		if (k == sizeof(flags) / sizeof(flags[0])) {
			jp_push(p, "flags");
			jp_push_index(p, i);
			return jp_fail(p, "unknown scheduler flag '%s'", fl[i]);
		}
		s->flags |= 1ULL << k; /* SCHED_FLAG_* are 1 << index, in this order */
	}
	jp_pop(p, saved);
	return 0;
}

static int read_io_priority(struct jp *p, json_t *proc, struct cell_process *pr)
{
	static const char *const classes[] = {
		[IOPRIO_CLASS_RT] = "IOPRIO_CLASS_RT",
		[IOPRIO_CLASS_BE] = "IOPRIO_CLASS_BE",
		[IOPRIO_CLASS_IDLE] = "IOPRIO_CLASS_IDLE",
	};
	size_t saved;
	json_t *v = jp_get(p, proc, "ioPriority", &saved);
	int64_t prio = 0;
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_enum(p, v, "class", classes, 4, &pr->io_priority_class)) <= 0)
		return r < 0 ? r : jp_fail(p, "class is required");
	if ((r = read_int(p, v, "priority", 0, 7, &prio)) < 0)
		return r;
	pr->has_io_priority = true;
	pr->io_priority = (int)prio;
	jp_pop(p, saved);
	return 0;
}

static int read_process(struct jp *p, json_t *root, struct cell_process *pr)
{
	size_t saved, s2;
	json_t *v = jp_get(p, root, "process", &saved), *o;
	int64_t n;
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_bool(p, v, "terminal", &pr->terminal)) < 0)
		return r;
	if ((o = jp_get(p, v, "consoleSize", &s2))) {
		uint32_t h = 0, w = 0;

		if ((r = expect_object(p, o)) < 0 || (r = read_u32(p, o, "height", &h)) < 0 ||
		    (r = read_u32(p, o, "width", &w)) < 0)
			return r;
		if (h > USHRT_MAX || w > USHRT_MAX)
			return jp_fail(p, "height and width must be below 65536");
		pr->console_height = (unsigned short)h;
		pr->console_width = (unsigned short)w;
		jp_pop(p, s2);
	}
	if ((r = read_user(p, v, pr)) < 0)
		return r;
	if ((r = read_strv(p, v, "args", &pr->args)) < 0)
		return r;
	if (!pr->args || !pr->args[0]) {
		jp_push(p, "args");
		return jp_fail(p, "at least one argument is required");
	}
	if ((r = read_strv(p, v, "env", &pr->env)) < 0)
		return r;
	if ((r = read_string(p, v, "cwd", &pr->cwd)) <= 0) {
		if (r == 0)
			jp_push(p, "cwd");
		return r < 0 ? r : jp_fail(p, "required");
	}
	if (pr->cwd[0] != '/') {
		jp_push(p, "cwd");
		return jp_fail(p, "'%s' is not an absolute path", pr->cwd);
	}
	if ((r = read_capabilities(p, v, &pr->capabilities)) < 0)
		return r;
	if ((r = read_array(p, v, "rlimits", (void **)&pr->rlimits, &pr->n_rlimits,
			    sizeof(*pr->rlimits), read_rlimit)) < 0)
		return r;
	if ((r = read_bool(p, v, "noNewPrivileges", &pr->no_new_privileges)) < 0)
		return r;
	if ((r = read_int(p, v, "oomScoreAdj", -1000, 1000, &n)) < 0)
		return r;
	if (r > 0)
		pr->has_oom_score_adj = true, pr->oom_score_adj = (int)n;
	if ((r = read_string(p, v, "apparmorProfile", &pr->apparmor_profile)) < 0 ||
	    (r = read_string(p, v, "selinuxLabel", &pr->selinux_label)) < 0 ||
	    (r = read_io_priority(p, v, pr)) < 0 || (r = read_scheduler(p, v, &pr->scheduler)) < 0)
		return r;
	if ((o = jp_get(p, v, "execCPUAffinity", &s2))) {
		if ((r = expect_object(p, o)) < 0 ||
		    (r = read_string(p, o, "initial", &pr->exec_cpu_affinity_initial)) < 0 ||
		    (r = read_string(p, o, "final", &pr->exec_cpu_affinity_final)) < 0)
			return r;
		jp_pop(p, s2);
	}
	jp_pop(p, saved);
	return 0;
}

/* ---- root, mounts, hooks ---- */

static int read_mount(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_mount *m = (struct cell_mount *)arr + i;
	int r;

	if ((r = read_string(p, e, "destination", &m->destination)) <= 0)
		return r < 0 ? r : jp_fail(p, "destination is required");
	if ((r = read_string(p, e, "type", &m->type)) < 0 ||
	    (r = read_string(p, e, "source", &m->source)) < 0 ||
	    (r = read_strv(p, e, "options", &m->options)) < 0 ||
	    (r = read_array(p, e, "uidMappings", (void **)&m->uid_mappings, &m->n_uid_mappings,
			    sizeof(struct cell_id_map), read_id_map)) < 0 ||
	    (r = read_array(p, e, "gidMappings", (void **)&m->gid_mappings, &m->n_gid_mappings,
			    sizeof(struct cell_id_map), read_id_map)) < 0)
		return r;
	return 0;
}

static int read_hook(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_hook *h = (struct cell_hook *)arr + i;
	int64_t t;
	int r;

	if ((r = read_string(p, e, "path", &h->path)) <= 0)
		return r < 0 ? r : jp_fail(p, "path is required");
	if (h->path[0] != '/') {
		jp_push(p, "path");
		return jp_fail(p, "'%s' is not an absolute path", h->path);
	}
	if ((r = read_strv(p, e, "args", &h->args)) < 0 || (r = read_strv(p, e, "env", &h->env)) < 0)
		return r;
	if ((r = read_int(p, e, "timeout", 1, INT_MAX, &t)) < 0)
		return r;
	h->has_timeout = r > 0;
	h->timeout = r > 0 ? (int)t : 0;
	return 0;
}

static int read_hooks(struct jp *p, json_t *root, struct cell_hooks *h)
{
	size_t saved;
	json_t *v = jp_get(p, root, "hooks", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	for (int k = 0; k < CELL_HOOK_KIND_COUNT; k++)
		if ((r = read_array(p, v, cell_hook_names[k], (void **)&h->list[k], &h->n[k],
				    sizeof(struct cell_hook), read_hook)) < 0)
			return r;
	jp_pop(p, saved);
	return 0;
}

static int read_root(struct jp *p, json_t *root, struct cell_spec *spec)
{
	size_t saved;
	json_t *v = jp_get(p, root, "root", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_string(p, v, "path", &spec->root.path)) <= 0)
		return r < 0 ? r : jp_fail(p, "path is required");
	if ((r = read_bool(p, v, "readonly", &spec->root.readonly)) < 0)
		return r;
	jp_pop(p, saved);
	return 0;
}

/* ---- linux ---- */

static int read_namespaces(struct jp *p, json_t *lx, struct cell_linux *l)
{
	size_t saved, i;
	json_t *v = jp_get(p, lx, "namespaces", &saved), *e;
	int r;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jp_fail(p, "expected an array");
	json_array_foreach(v, i, e) {
		cleanup_free char *type = NULL;
		size_t here = p->len;
		int t;

		jp_push_index(p, i);
		if ((r = expect_object(p, e)) < 0)
			return r;
		if ((r = read_string(p, e, "type", &type)) <= 0)
			return r < 0 ? r : jp_fail(p, "type is required");
		/* only the OCI names; ns.c's table also knows the short ones */
		t = cell_ns_from_name(type);
		if (t < 0 || strcmp(cell_ns_info(t)->name, type)) {
			jp_push(p, "type");
			return jp_fail(p, "unknown namespace type '%s'", type);
		}
		if (l->namespaces[t].present) {
			jp_push(p, "type");
			return jp_fail(p, "namespace '%s' is listed twice", type);
		}
		l->namespaces[t].present = true;
		if ((r = read_string(p, e, "path", &l->namespaces[t].path)) < 0)
			return r;
		if (r > 0 && l->namespaces[t].path[0] != '/') {
			jp_push(p, "path");
			return jp_fail(p, "'%s' is not an absolute path", l->namespaces[t].path);
		}
		jp_pop(p, here);
	}
	jp_pop(p, saved);
	return 0;
}

static int read_time_offsets(struct jp *p, json_t *lx, struct cell_linux *l)
{
	size_t saved, s2;
	json_t *v = jp_get(p, lx, "timeOffsets", &saved), *o;
	static const char *const clocks[] = { "monotonic", "boottime" };
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	for (int c = 0; c < 2; c++) {
		struct cell_time_offset *t = c ? &l->boottime : &l->monotonic;
		int64_t n = 0;

		if (!(o = jp_get(p, v, clocks[c], &s2)))
			continue;
		if ((r = expect_object(p, o)) < 0 ||
		    (r = read_int(p, o, "secs", INT64_MIN, INT64_MAX, &t->secs)) < 0 ||
		    (r = read_int(p, o, "nanosecs", 0, 999999999, &n)) < 0)
			return r;
		t->nanosecs = (uint32_t)n;
		t->present = true;
		jp_pop(p, s2);
	}
	jp_pop(p, saved);
	return 0;
}

static int read_device(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_device *d = (struct cell_device *)arr + i;
	cleanup_free char *type = NULL;
	int r;

	if ((r = read_string(p, e, "path", &d->path)) <= 0 ||
	    (r = read_string(p, e, "type", &type)) <= 0)
		return r < 0 ? r : jp_fail(p, "path and type are required");
	if (d->path[0] != '/') {
		jp_push(p, "path");
		return jp_fail(p, "'%s' is not an absolute path", d->path);
	}
	if (strlen(type) != 1 || !strchr("cbup", type[0])) {
		jp_push(p, "type");
		return jp_fail(p, "'%s' is not one of c, b, u, p", type);
	}
	d->type = type[0];
	d->major = d->minor = 0;
	if ((r = read_int(p, e, "major", 0, UINT32_MAX, &d->major)) < 0 ||
	    (r == 0 && d->type != 'p' && jp_fail(p, "major is required for type %c", d->type)) ||
	    (r = read_int(p, e, "minor", 0, UINT32_MAX, &d->minor)) < 0 ||
	    (r == 0 && d->type != 'p' && jp_fail(p, "minor is required for type %c", d->type)))
		return -EINVAL;
	if ((r = read_u32(p, e, "fileMode", &d->file_mode)) < 0)
		return r;
	d->has_file_mode = r > 0;
	if ((r = read_u32(p, e, "uid", &d->uid)) < 0)
		return r;
	d->has_uid = r > 0;
	if ((r = read_u32(p, e, "gid", &d->gid)) < 0)
		return r;
	d->has_gid = r > 0;
	return 0;
}

static int read_seccomp_arg(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_seccomp_arg *a = (struct cell_seccomp_arg *)arr + i;
	int64_t idx;
	int op = 0, r;

	if ((r = read_int(p, e, "index", 0, 5, &idx)) <= 0 ||
	    (r = read_u64(p, e, "value", &a->value)) <= 0 ||
	    (r = read_enum(p, e, "op", cell_seccomp_op_names, CELL_SECCOMP_N_OPS, &op)) <= 0)
		return r < 0 ? r : jp_fail(p, "index, value and op are required");
	a->index = (uint32_t)idx;
	a->op = (enum cell_seccomp_op)op;
	return read_u64(p, e, "valueTwo", &a->value_two) < 0 ? -EINVAL : 0;
}

static int read_seccomp_rule(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_seccomp_rule *s = (struct cell_seccomp_rule *)arr + i;
	int action = 0, r;

	if ((r = read_strv(p, e, "names", &s->names)) <= 0 ||
	    (r = read_enum(p, e, "action", cell_seccomp_action_names, CELL_SECCOMP_N_ACTIONS,
			   &action)) <= 0)
		return r < 0 ? r : jp_fail(p, "names and action are required");
	s->action = (enum cell_seccomp_action)action;
	if ((r = read_u32(p, e, "errnoRet", &s->errno_ret)) < 0)
		return r;
	s->has_errno_ret = r > 0;
	return read_array(p, e, "args", (void **)&s->args, &s->n_args, sizeof(*s->args),
			  read_seccomp_arg) < 0 ? -EINVAL : 0;
}

/* The linux.seccomp object @v itself (also a --seccomp profile's top level). */
static int read_seccomp_object(struct jp *p, json_t *v, struct cell_seccomp *s)
{
	int action = 0, r;

	if ((r = expect_object(p, v)) < 0)
		return r;
	s->present = true;
	if ((r = read_enum(p, v, "defaultAction", cell_seccomp_action_names,
			   CELL_SECCOMP_N_ACTIONS, &action)) <= 0)
		return r < 0 ? r : jp_fail(p, "defaultAction is required");
	s->default_action = (enum cell_seccomp_action)action;
	if ((r = read_u32(p, v, "defaultErrnoRet", &s->default_errno_ret)) < 0)
		return r;
	s->has_default_errno_ret = r > 0;
	if ((r = read_strv(p, v, "architectures", &s->architectures)) < 0 ||
	    (r = read_strv(p, v, "flags", &s->flags)) < 0 ||
	    (r = read_string(p, v, "listenerPath", &s->listener_path)) < 0 ||
	    (r = read_string(p, v, "listenerMetadata", &s->listener_metadata)) < 0 ||
	    (r = read_array(p, v, "syscalls", (void **)&s->syscalls, &s->n_syscalls,
			    sizeof(*s->syscalls), read_seccomp_rule)) < 0)
		return r;
	return 0;
}

static int read_seccomp(struct jp *p, json_t *lx, struct cell_seccomp *s)
{
	size_t saved;
	json_t *v = jp_get(p, lx, "seccomp", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = read_seccomp_object(p, v, s)) < 0)
		return r;
	jp_pop(p, saved);
	return 0;
}

int cell_seccomp_read_json(void *obj, const char *path, struct cell_seccomp *s,
			   struct cell_error *err)
{
	struct jp p = { .err = err };

	jp_push(&p, path);
	return read_seccomp_object(&p, obj, s);
}

static int read_personality(struct jp *p, json_t *lx, struct cell_linux *l)
{
	static const char *const domains[] = { "LINUX", "LINUX32" };
	cleanup_strv char **flags = NULL;
	size_t saved;
	json_t *v = jp_get(p, lx, "personality", &saved);
	int domain = 0, r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_enum(p, v, "domain", domains, 2, &domain)) <= 0)
		return r < 0 ? r : jp_fail(p, "domain is required");
	if ((r = read_strv(p, v, "flags", &flags)) < 0)
		return r;
	/* config-linux.md defines no flag values yet: any given is refused, not dropped */
	if (flags && flags[0]) {
		jp_push(p, "flags");
		return jp_fail(p, "unknown personality flag '%s'", flags[0]);
	}
	l->has_personality = true;
	l->personality = domain ? PER_LINUX32 : PER_LINUX;
	jp_pop(p, saved);
	return 0;
}

/* linux.memoryPolicy: { "mode": "MPOL_BIND", "nodes": "0-1", "flags": [...] } */
static int read_memory_policy(struct jp *p, json_t *lx, struct cell_memory_policy *m)
{
	cleanup_strv char **flags = NULL;
	size_t saved, n_modes = 0;
	json_t *v = jp_get(p, lx, "memoryPolicy", &saved);
	int r;

	if (!v)
		return 0;
	while (cell_mpol_mode_names[n_modes])
		n_modes++;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_enum(p, v, "mode", cell_mpol_mode_names, n_modes, &m->mode)) <= 0)
		return r < 0 ? r : jp_fail(p, "mode is required");
	if ((r = read_string(p, v, "nodes", &m->nodes)) < 0 ||
	    (r = read_strv(p, v, "flags", &flags)) < 0)
		return r;
	for (size_t i = 0; flags && flags[i]; i++) {
		unsigned flag;

		if (cell_mpol_flag_from_name(flags[i], &flag) < 0) {
			jp_push(p, "flags");
			jp_push_index(p, i);
			return jp_fail(p, "unknown flag '%s' (known: MPOL_F_NUMA_BALANCING, "
				       "MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES)", flags[i]);
		}
		m->flags |= flag;
	}
	m->present = true;
	jp_pop(p, saved);
	return 0;
}

static int read_propagation(struct jp *p, json_t *lx, struct cell_linux *l)
{
	static const char *const names[] = { "private", "rprivate", "slave", "rslave",
					     "shared", "rshared", "unbindable", "runbindable" };
	static const unsigned long flags[] = {
		MS_PRIVATE, MS_PRIVATE | MS_REC, MS_SLAVE, MS_SLAVE | MS_REC,
		MS_SHARED, MS_SHARED | MS_REC, MS_UNBINDABLE, MS_UNBINDABLE | MS_REC,
	};
	int i = 0, r = read_enum(p, lx, "rootfsPropagation", names, 8, &i);

	if (r > 0)
		l->rootfs_propagation = flags[i];
	return r < 0 ? r : 0;
}

/* ---- linux.resources ---- */

/* An optional signed value with its has_* flag. */
static int read_opt_int(struct jp *p, json_t *obj, const char *key, int64_t min, bool *has,
			int64_t *out)
{
	int r = read_int(p, obj, key, min, INT64_MAX, out);

	if (r > 0)
		*has = true;
	return r < 0 ? r : 0;
}

static int read_opt_u64(struct jp *p, json_t *obj, const char *key, bool *has, uint64_t *out)
{
	int r = read_u64(p, obj, key, out);

	if (r > 0)
		*has = true;
	return r < 0 ? r : 0;
}

static int read_opt_bool(struct jp *p, json_t *obj, const char *key, bool *has, bool *out)
{
	int r = read_bool(p, obj, key, out);

	if (r > 0)
		*has = true;
	return r < 0 ? r : 0;
}

static int read_memory(struct jp *p, json_t *res, struct cell_resources *r)
{
	size_t saved;
	json_t *v = jp_get(p, res, "memory", &saved);
	int64_t ignored;
	bool has_ignored = false;
	int e;

	if (!v)
		return 0;
	if ((e = expect_object(p, v)) < 0 ||
	    (e = read_opt_int(p, v, "limit", -1, &r->has_memory_limit, &r->memory_limit)) < 0 ||
	    (e = read_opt_int(p, v, "reservation", -1, &r->has_memory_reservation,
			      &r->memory_reservation)) < 0 ||
	    (e = read_opt_int(p, v, "swap", -1, &r->has_memory_swap, &r->memory_swap)) < 0 ||
	    /* "kernel" is deprecated: read for its type, then ignored, as runc does */
	    (e = read_opt_int(p, v, "kernel", -1, &has_ignored, &ignored)) < 0 ||
	    (e = read_opt_int(p, v, "kernelTCP", -1, &r->has_memory_kernel_tcp,
			      &r->memory_kernel_tcp)) < 0 ||
	    (e = read_opt_u64(p, v, "swappiness", &r->has_memory_swappiness,
			      &r->memory_swappiness)) < 0 ||
	    (e = read_opt_bool(p, v, "disableOOMKiller", &r->has_disable_oom_killer,
			       &r->disable_oom_killer)) < 0 ||
	    (e = read_opt_bool(p, v, "useHierarchy", &r->has_use_hierarchy,
			       &r->use_hierarchy)) < 0 ||
	    (e = read_bool(p, v, "checkBeforeUpdate", &r->check_before_update)) < 0)
		return e;
	if (r->has_memory_swappiness && r->memory_swappiness > 100) {
		jp_push(p, "swappiness");
		return jp_fail(p, "%llu is out of range (0..100)",
			       (unsigned long long)r->memory_swappiness);
	}
	jp_pop(p, saved);
	return 0;
}

static int read_cpu(struct jp *p, json_t *res, struct cell_resources *r)
{
	size_t saved;
	json_t *v = jp_get(p, res, "cpu", &saved);
	int e;

	if (!v)
		return 0;
	if ((e = expect_object(p, v)) < 0 ||
	    (e = read_opt_u64(p, v, "shares", &r->has_cpu_shares, &r->cpu_shares)) < 0 ||
	    (e = read_opt_int(p, v, "quota", -1, &r->has_cpu_quota, &r->cpu_quota)) < 0 ||
	    (e = read_opt_u64(p, v, "burst", &r->has_cpu_burst, &r->cpu_burst)) < 0 ||
	    (e = read_opt_u64(p, v, "period", &r->has_cpu_period, &r->cpu_period)) < 0 ||
	    (e = read_opt_int(p, v, "realtimeRuntime", -1, &r->has_cpu_realtime_runtime,
			      &r->cpu_realtime_runtime)) < 0 ||
	    (e = read_opt_u64(p, v, "realtimePeriod", &r->has_cpu_realtime_period,
			      &r->cpu_realtime_period)) < 0 ||
	    (e = read_string(p, v, "cpus", &r->cpuset_cpus)) < 0 ||
	    (e = read_string(p, v, "mems", &r->cpuset_mems)) < 0 ||
	    (e = read_opt_int(p, v, "idle", INT64_MIN, &r->has_cpu_idle, &r->cpu_idle)) < 0)
		return e;
	jp_pop(p, saved);
	return 0;
}

static int read_device_rate(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_device_rate *d = (struct cell_device_rate *)arr + i;
	int r;

	if ((r = read_u32(p, e, "major", &d->major)) <= 0 ||
	    (r = read_u32(p, e, "minor", &d->minor)) <= 0 ||
	    (r = read_u64(p, e, "rate", &d->rate)) <= 0)
		return r < 0 ? r : jp_fail(p, "major, minor and rate are required");
	return 0;
}

static int read_weight(struct jp *p, json_t *obj, const char *key, bool *has, uint16_t *out)
{
	int64_t n;
	int r = read_int(p, obj, key, 10, 1000, &n);

	if (r > 0)
		*has = true, *out = (uint16_t)n;
	return r < 0 ? r : 0;
}

static int read_device_weight(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_device_weight *d = (struct cell_device_weight *)arr + i;
	int r;

	if ((r = read_u32(p, e, "major", &d->major)) <= 0 ||
	    (r = read_u32(p, e, "minor", &d->minor)) <= 0)
		return r < 0 ? r : jp_fail(p, "major and minor are required");
	if ((r = read_weight(p, e, "weight", &d->has_weight, &d->weight)) < 0 ||
	    (r = read_weight(p, e, "leafWeight", &d->has_leaf_weight, &d->leaf_weight)) < 0)
		return r;
	return 0;
}

static int read_block_io(struct jp *p, json_t *res, struct cell_resources *r)
{
	size_t saved;
	json_t *v = jp_get(p, res, "blockIO", &saved);
	const size_t rs = sizeof(struct cell_device_rate);
	int e;

	if (!v)
		return 0;
	if ((e = expect_object(p, v)) < 0 ||
	    (e = read_weight(p, v, "weight", &r->has_blkio_weight, &r->blkio_weight)) < 0 ||
	    (e = read_weight(p, v, "leafWeight", &r->has_blkio_leaf_weight,
			     &r->blkio_leaf_weight)) < 0 ||
	    (e = read_array(p, v, "weightDevice", (void **)&r->weight_devices,
			    &r->n_weight_devices, sizeof(struct cell_device_weight),
			    read_device_weight)) < 0 ||
	    (e = read_array(p, v, "throttleReadBpsDevice", (void **)&r->read_bps, &r->n_read_bps,
			    rs, read_device_rate)) < 0 ||
	    (e = read_array(p, v, "throttleWriteBpsDevice", (void **)&r->write_bps,
			    &r->n_write_bps, rs, read_device_rate)) < 0 ||
	    (e = read_array(p, v, "throttleReadIOPSDevice", (void **)&r->read_iops,
			    &r->n_read_iops, rs, read_device_rate)) < 0 ||
	    (e = read_array(p, v, "throttleWriteIOPSDevice", (void **)&r->write_iops,
			    &r->n_write_iops, rs, read_device_rate)) < 0)
		return e;
	jp_pop(p, saved);
	return 0;
}

static int read_device_rule(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_device_rule *d = (struct cell_device_rule *)arr + i;
	cleanup_free char *type = NULL, *access = NULL;
	int r;

	if ((r = read_bool(p, e, "allow", &d->allow)) <= 0)
		return r < 0 ? r : jp_fail(p, "allow is required");
	if ((r = read_string(p, e, "type", &type)) < 0)
		return r;
	d->type = type ? type[0] : 'a';
	if (type && (strlen(type) != 1 || !strchr("acb", type[0]))) {
		jp_push(p, "type");
		return jp_fail(p, "'%s' is not one of a, c, b", type);
	}
	d->major = d->minor = -1;
	if ((r = read_int(p, e, "major", -1, UINT32_MAX, &d->major)) < 0 ||
	    (r = read_int(p, e, "minor", -1, UINT32_MAX, &d->minor)) < 0 ||
	    (r = read_string(p, e, "access", &access)) < 0)
		return r;
	if (!access) {
		strcpy(d->access, "rwm");
	} else if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access)) {
		jp_push(p, "access");
		return jp_fail(p, "'%s' is not a combination of r, w and m", access);
	} else {
		strcpy(d->access, access);
	}
	return 0;
}

static int read_hugepage(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_hugepage_limit *h = (struct cell_hugepage_limit *)arr + i;
	int r;

	if ((r = read_string(p, e, "pageSize", &h->page_size)) <= 0 ||
	    (r = read_u64(p, e, "limit", &h->limit)) <= 0)
		return r < 0 ? r : jp_fail(p, "pageSize and limit are required");
	/* defs-linux.json: ^[1-9][0-9]*[KMG]B$ */
	size_t n = strspn(h->page_size, "0123456789");
	if (h->page_size[0] < '1' || h->page_size[0] > '9' || !h->page_size[n] ||
	    !strchr("KMG", h->page_size[n]) || strcmp(h->page_size + n + 1, "B")) {
		jp_push(p, "pageSize");
		return jp_fail(p, "'%s' is not a page size like 2MB or 1GB", h->page_size);
	}
	return 0;
}

static int read_net_priority(struct jp *p, json_t *e, void *arr, size_t i)
{
	struct cell_net_priority *n = (struct cell_net_priority *)arr + i;
	int r;

	if ((r = read_string(p, e, "name", &n->name)) <= 0 ||
	    (r = read_u32(p, e, "priority", &n->priority)) <= 0)
		return r < 0 ? r : jp_fail(p, "name and priority are required");
	return 0;
}

static int read_network(struct jp *p, json_t *res, struct cell_resources *r)
{
	size_t saved;
	json_t *v = jp_get(p, res, "network", &saved);
	int e;

	if (!v)
		return 0;
	if ((e = expect_object(p, v)) < 0 || (e = read_u32(p, v, "classID", &r->net_class_id)) < 0)
		return e;
	r->has_net_class_id = e > 0;
	if ((e = read_array(p, v, "priorities", (void **)&r->net_priorities, &r->n_net_priorities,
			    sizeof(struct cell_net_priority), read_net_priority)) < 0)
		return e;
	jp_pop(p, saved);
	return 0;
}

static int read_rdma(struct jp *p, const char *device, json_t *e, void *arr, size_t i)
{
	struct cell_rdma_limit *l = (struct cell_rdma_limit *)arr + i;
	int x;

	if (!(l->device = strdup(device)))
		return jp_nomem(p);
	if ((x = read_u32(p, e, "hcaHandles", &l->hca_handles)) < 0)
		return x;
	l->has_hca_handles = x > 0;
	if ((x = read_u32(p, e, "hcaObjects", &l->hca_objects)) < 0)
		return x;
	l->has_hca_objects = x > 0;
	return 0;
}

static int read_resources(struct jp *p, json_t *lx, struct cell_resources *r)
{
	size_t saved, s2;
	json_t *v = jp_get(p, lx, "resources", &saved), *o;
	int e;

	if (!v)
		return 0;
	if ((e = expect_object(p, v)) < 0 ||
	    (e = read_array(p, v, "devices", (void **)&r->devices, &r->n_devices,
			    sizeof(struct cell_device_rule), read_device_rule)) < 0 ||
	    (e = read_memory(p, v, r)) < 0 || (e = read_cpu(p, v, r)) < 0 ||
	    (e = read_block_io(p, v, r)) < 0 ||
	    (e = read_array(p, v, "hugepageLimits", (void **)&r->hugepage_limits,
			    &r->n_hugepage_limits, sizeof(struct cell_hugepage_limit),
			    read_hugepage)) < 0 ||
	    (e = read_network(p, v, r)) < 0 ||
	    (e = read_keyed(p, v, "rdma", (void **)&r->rdma, &r->n_rdma, sizeof(*r->rdma),
			    read_rdma)) < 0 ||
	    (e = read_string_map(p, v, "unified", &r->unified, &r->n_unified)) < 0)
		return e;
	if ((o = jp_get(p, v, "pids", &s2))) {
		if ((e = expect_object(p, o)) < 0 ||
		    (e = read_opt_int(p, o, "limit", INT64_MIN, &r->has_pids_limit,
				      &r->pids_limit)) < 0)
			return e;
		/* runc: 0 and below mean unlimited */
		if (r->has_pids_limit && r->pids_limit <= 0)
			r->pids_limit = -1;
		jp_pop(p, s2);
	}
	jp_pop(p, saved);
	return 0;
}

/* linux.netDevices: { "HOSTNAME": { "name": "NAME INSIDE" } } */
static int read_net_device(struct jp *p, const char *host_name, json_t *e, void *arr, size_t i)
{
	struct cell_net_device *d = (struct cell_net_device *)arr + i;

	if (!(d->name = strdup(host_name)))
		return jp_nomem(p);
	return read_string(p, e, "name", &d->new_name) < 0 ? -EINVAL : 0;
}

static int read_linux(struct jp *p, json_t *root, struct cell_linux *l)
{
	size_t saved;
	json_t *v = jp_get(p, root, "linux", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	if ((r = read_namespaces(p, v, l)) < 0 ||
	    (r = read_array(p, v, "uidMappings", (void **)&l->uid_mappings, &l->n_uid_mappings,
			    sizeof(struct cell_id_map), read_id_map)) < 0 ||
	    (r = read_array(p, v, "gidMappings", (void **)&l->gid_mappings, &l->n_gid_mappings,
			    sizeof(struct cell_id_map), read_id_map)) < 0 ||
	    (r = read_time_offsets(p, v, l)) < 0 ||
	    (r = read_array(p, v, "devices", (void **)&l->devices, &l->n_devices,
			    sizeof(struct cell_device), read_device)) < 0 ||
	    (r = read_string(p, v, "cgroupsPath", &l->cgroups_path)) < 0 ||
	    (r = read_resources(p, v, &l->resources)) < 0 ||
	    (r = read_propagation(p, v, l)) < 0 ||
	    (r = read_seccomp(p, v, &l->seccomp)) < 0 ||
	    (r = read_string_map(p, v, "sysctl", &l->sysctl, &l->n_sysctl)) < 0 ||
	    (r = read_strv(p, v, "maskedPaths", &l->masked_paths)) < 0 ||
	    (r = read_strv(p, v, "readonlyPaths", &l->readonly_paths)) < 0 ||
	    (r = read_string(p, v, "mountLabel", &l->mount_label)) < 0 ||
	    (r = read_personality(p, v, l)) < 0 ||
	    (r = read_memory_policy(p, v, &l->memory_policy)) < 0 ||
	    (r = read_keyed(p, v, "netDevices", (void **)&l->net_devices, &l->n_net_devices,
			    sizeof(*l->net_devices), read_net_device)) < 0)
		return r;
	l->has_intel_rdt = json_object_get(v, "intelRdt") != NULL;
	jp_pop(p, saved);
	return 0;
}

/* ---- entry points ---- */

/* cell's own settings travel as annotations (cell_spec_to_json writes them). */
static void read_cell_annotations(struct cell_spec *spec)
{
	for (size_t i = 0; i < spec->n_annotations; i++) {
		const struct cell_kv *a = &spec->annotations[i];
		bool on = !strcmp(a->value, "true");

		if (!strcmp(a->key, "run.cell.init"))
			spec->cell.init = on;
		else if (!strcmp(a->key, "run.cell.cwd-optional"))
			spec->cell.cwd_optional = on;
		else if (!strcmp(a->key, "run.cell.env-exact"))
			spec->cell.env_exact = on;
		else if (!strcmp(a->key, "run.cell.nested-userns"))
			spec->cell.nested_userns = on;
	}
}

/*
 * One dot-separated identifier of SemVer 2.0.0 (semver.org, its BNF):
 * [0-9A-Za-z-]+, and a number without leading zeros where @numeric (the
 * version's three numbers) or where it is all digits in a pre-release.
 * Return: the character after it, or NULL.
 */
static const char *semver_identifier(const char *s, bool numeric, bool pre_release)
{
	size_t n = strspn(s, "0123456789");
	size_t len = numeric ? n
			     : strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ-");

	if (!len || ((numeric || (pre_release && n == len)) && n > 1 && s[0] == '0'))
		return NULL;
	return s + len;
}

/* Identifiers separated by dots: a pre-release's or build metadata's. */
static const char *semver_dotted(const char *s, bool pre_release)
{
	while ((s = semver_identifier(s, false, pre_release)) && *s == '.')
		s++;
	return s;
}

/* config.md: ociVersion "MUST be in SemVer v2.0.0 format" (1.0.2, 1.1.0-rc.1+dev). */
static bool is_semver(const char *s)
{
	for (int i = 0; i < 3; i++)
		if ((i && *s++ != '.') || !(s = semver_identifier(s, true, false)))
			return false;
	if (*s == '-' && !(s = semver_dotted(s + 1, true)))
		return false;
	if (*s == '+' && !(s = semver_dotted(s + 1, false)))
		return false;
	return !*s;
}

int cell_spec_from_json(struct cell_spec *spec, const char *text, size_t len, const char *name,
			struct cell_error *err)
{
	struct jp p = { .err = err };
	json_error_t jerr;
	json_t *root;
	int r;

	memset(spec, 0, sizeof(*spec));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cell_error_set(err, 0, "%s: line %d column %d: %s", name, jerr.line,
				      jerr.column, jerr.text);
	if (!json_is_object(root)) {
		r = cell_error_set(err, 0, "%s: expected a JSON object", name);
		goto out;
	}
	if ((r = read_string(&p, root, "ociVersion", &spec->oci_version)) <= 0) {
		if (r == 0)
			r = cell_error_set(err, 0, "ociVersion: required");
		goto out;
	}
	if (!is_semver(spec->oci_version)) {
		r = cell_error_set(err, 0, "ociVersion: \"%.64s\" is not a semantic version "
				   "(MAJOR.MINOR.PATCH, semver.org 2.0.0)", spec->oci_version);
		goto out;
	}
	if ((r = read_root(&p, root, spec)) < 0 || (r = read_process(&p, root, &spec->process)) < 0 ||
	    (r = read_string(&p, root, "hostname", &spec->hostname)) < 0 ||
	    (r = read_string(&p, root, "domainname", &spec->domainname)) < 0 ||
	    (r = read_array(&p, root, "mounts", (void **)&spec->mounts, &spec->n_mounts,
			    sizeof(struct cell_mount), read_mount)) < 0 ||
	    (r = read_hooks(&p, root, &spec->hooks)) < 0 ||
	    (r = read_string_map(&p, root, "annotations", &spec->annotations,
				 &spec->n_annotations)) < 0 ||
	    (r = read_linux(&p, root, &spec->linux)) < 0)
		goto out;
	read_cell_annotations(spec);
	r = 0;
out:
	json_decref(root);
	if (r < 0)
		cell_spec_free(spec);
	return r < 0 ? r : 0;
}

int cell_spec_load(struct cell_spec *spec, const char *bundle, struct cell_error *err)
{
	return cell_spec_load_config(spec, bundle, NULL, err);
}

int cell_spec_load_config(struct cell_spec *spec, const char *bundle, const char *config,
			  struct cell_error *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	if (!config)
		config = "config.json";
	/* crun's --config: a relative name is the bundle's, as config.json is */
	if (snprintf(path, sizeof(path), "%s%s%s", config[0] == '/' ? "" : bundle,
		     config[0] == '/' ? "" : "/", config) >= (int)sizeof(path))
		return cell_error_set(err, ENAMETOOLONG, "bundle %s: %s", bundle, config);
	if ((r = cell_read_file(path, &text, &len, err)) < 0)
		return r;
	if ((r = cell_spec_from_json(spec, text, len, path, err)) < 0)
		return r;
	if (!spec->root.path) {
		cell_spec_free(spec);
		return cell_error_set(err, 0, "%s: root.path: required on Linux", path);
	}
	/* root.path is relative to the bundle (config.md "Root") */
	if (spec->root.path[0] != '/') {
		char *abs = NULL;

		if (asprintf(&abs, "%s/%s", bundle, spec->root.path) < 0) {
			cell_spec_free(spec);
			return cell_error_set(err, ENOMEM, "root.path");
		}
		free(spec->root.path);
		spec->root.path = abs;
	}
	return 0;
}
