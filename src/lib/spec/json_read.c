/*
 * cell — config.json -> struct cell_spec.
 *
 * Every value is type- and range-checked against the runtime spec's schema
 * (config-schema.json, defs.json, defs-linux.json, v1.3.0); an error names
 * the JSON path of the value ("linux.resources.memory.limit: expected an
 * integer"). Unknown properties are ignored, as config.md's "Extensibility"
 * requires of runtimes.
 *
 * Each object is a table of its properties (name, type, offsetof, flags)
 * that read_fields() walks in order, so the first error found is the one a
 * reader going down the file meets; what no type says (cwd must be absolute,
 * soft <= hard) is a custom entry or the table's check.
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
	int n = snprintf(p->path + p->len, sizeof(p->path) - p->len, "%s%s", p->len ? "." : "",
			 key);

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
		return jp_fail(p, "%lld is out of range (%lld..%lld)", (long long)n, (long long)min,
			       (long long)max);
	*out = n;
	jp_pop(p, saved);
	return 1;
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
	/* sized once: a seccomp rule names hundreds of syscalls */
	if (!(*out = calloc(json_array_size(v) + 1, sizeof(char *))))
		return jp_nomem(p);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			jp_push_index(p, i);
			return jp_fail(p, "expected a string");
		}
		if (!((*out)[i] = strdup(json_string_value(e))))
			return jp_nomem(p);
	}
	jp_pop(p, saved);
	return 1;
}

static int expect_object(struct jp *p, json_t *v)
{
	return json_is_object(v) ? 0 : jp_fail(p, "expected an object");
}

/* Arrays of objects: call @fn on each element with the path at "key[i]". */
typedef int (*elem_fn)(struct jp *p, json_t *elem, void *arr, size_t i);
struct obj_table;
static int read_fields(struct jp *p, json_t *obj, void *base, const struct obj_table *t);

/* Arrays of objects, each read by @fn or, without one, by the table @of. */
static int read_array(struct jp *p, json_t *obj, const char *key, void **arr, size_t *n,
		      size_t elem_size, elem_fn fn, const struct obj_table *of)
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
	json_array_foreach(v, i, e)
	{
		size_t here = p->len;
		int r;

		jp_push_index(p, i);
		if ((r = expect_object(p, e)) < 0)
			return r;
		/* counted first: what fn allocated before failing is freed with the spec */
		(*n)++;
		r = fn ? fn(p, e, a, i) : read_fields(p, e, (char *)a + i * elem_size, of);
		if (r < 0)
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
	json_object_foreach(v, name, e)
	{
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
	json_object_foreach(v, k, e)
	{
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

/* ---- the dispatch table: the properties of an object, read in order ---- */

enum field_type {
	FT_STRING, /* char * */
	FT_BOOL,   /* bool */
	FT_INT,	   /* int, in min..max */
	FT_I64,	   /* int64_t, in min..max */
	FT_U16,	   /* uint16_t, in min..max */
	FT_U32,	   /* uint32_t, in min..max; both 0: the whole range */
	FT_U64,	   /* uint64_t up to INT64_MAX: jansson holds integers as long long */
	FT_STRV,   /* char **, NULL-terminated */
	FT_ENUM,   /* int: the index of the string in names[n_names] */
	FT_MAP,	   /* struct cell_kv *, of string values; its size_t count at .count */
	FT_ARRAY,  /* an array of objects, each read by .elem or the table .of */
	FT_KEYED,  /* an object of objects by name, each read by .keyed */
	FT_STRUCT, /* an object read by the table .of into the struct at .offset */
	FT_CUSTOM, /* what no type says: .custom reads it from the parent object */
};

enum {
	F_REQUIRED = 1 << 0, /* absent: the table's .required message, at the object's path */
	F_HAS = 1 << 1,	     /* given: the bool at .has becomes true */
	F_IGNORED = 1 << 2,  /* integers: read for the type check, then dropped */
};

struct field {
	const char *name;
	enum field_type type;
	size_t offset; /* of the value in the struct being filled */
	unsigned flags;
	size_t has; /* F_HAS: offset of its has_* flag */
	int64_t min, max;
	const char *const *names; /* FT_ENUM */
	size_t n_names;
	size_t count; /* FT_MAP, FT_ARRAY, FT_KEYED: offset of the element count */
	size_t elem_size;
	elem_fn elem;
	keyed_fn keyed;
	const struct obj_table *of;
	int (*custom)(struct jp *p, json_t *parent, void *at);
};

/* An object's properties, and what is checked once all are read (its path still pushed). */
struct obj_table {
	const struct field *fields;
	size_t n;
	const char *required; /* the message when an F_REQUIRED property is absent */
	int (*check)(struct jp *p, void *base);
};

#define TABLE(f, ...)                                                                              \
	{                                                                                          \
		.fields = (f), .n = sizeof(f) / sizeof((f)[0]), __VA_ARGS__                        \
	}

static int read_integer(struct jp *p, json_t *obj, const struct field *f, void *at)
{
	int64_t min = f->min, max = f->max, n;
	int r;

	if (f->type == FT_U64)
		min = 0, max = INT64_MAX;
	else if (f->type == FT_U32 && !min && !max)
		max = UINT32_MAX;
	if ((r = read_int(p, obj, f->name, min, max, &n)) <= 0)
		return r;
	switch (f->type) {
	case FT_INT:
		*(int *)at = (int)n;
		break;
	case FT_U16:
		*(uint16_t *)at = (uint16_t)n;
		break;
	case FT_U32:
		*(uint32_t *)at = (uint32_t)n;
		break;
	case FT_U64:
		*(uint64_t *)at = (uint64_t)n;
		break;
	default:
		*(int64_t *)at = n;
		break;
	}
	return 1;
}

static int read_struct(struct jp *p, json_t *parent, const char *key, void *base,
		       const struct obj_table *t);

/* One property: 1 when read, 0 when absent, -errno on error (the scalar readers' rule). */
static int read_field(struct jp *p, json_t *obj, void *base, const struct field *f)
{
	void *at = (char *)base + f->offset;
	size_t *count = (size_t *)((char *)base + f->count);

	/* an ignored field is an integer read for its type check only: nothing
	 * else may land in a scratch variable, where it would leak */
	if (f->flags & F_IGNORED) {
		int64_t ignored = 0;

		return read_integer(p, obj, f, &ignored);
	}
	switch (f->type) {
	case FT_STRING:
		return read_string(p, obj, f->name, at);
	case FT_BOOL:
		return read_bool(p, obj, f->name, at);
	case FT_STRV:
		return read_strv(p, obj, f->name, at);
	case FT_ENUM:
		return read_enum(p, obj, f->name, f->names, f->n_names, at);
	case FT_MAP:
		return read_string_map(p, obj, f->name, at, count);
	case FT_ARRAY:
		return read_array(p, obj, f->name, at, count, f->elem_size, f->elem, f->of);
	case FT_KEYED:
		return read_keyed(p, obj, f->name, at, count, f->elem_size, f->keyed);
	case FT_STRUCT:
		return read_struct(p, obj, f->name, at, f->of);
	case FT_CUSTOM:
		return f->custom(p, obj, at);
	default:
		return read_integer(p, obj, f, at);
	}
}

/* The properties of @obj in @t's order into @base: the first error stops the walk. */
static int read_fields(struct jp *p, json_t *obj, void *base, const struct obj_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct field *f = &t->fields[i];
		int r = read_field(p, obj, base, f);

		if (r < 0)
			return r;
		if (r == 0 && (f->flags & F_REQUIRED))
			return jp_fail(p, "%s", t->required);
		if (r > 0 && (f->flags & F_HAS))
			*(bool *)((char *)base + f->has) = true;
	}
	return t->check ? t->check(p, base) : 0;
}

/* The object at @key of @parent, read by @t into @base: 1 when read, 0 when absent. */
static int read_struct(struct jp *p, json_t *parent, const char *key, void *base,
		       const struct obj_table *t)
{
	size_t saved;
	json_t *v = jp_get(p, parent, key, &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0 || (r = read_fields(p, v, base, t)) < 0)
		return r;
	jp_pop(p, saved);
	return 1;
}

/* The offset of a member, in the tables below. */
#define AT(type, member) offsetof(struct type, member)

/* ---- process ---- */

static const struct field id_map_fields[] = {
	{ .name = "containerID",
	  .type = FT_U32,
	  .offset = AT(cell_id_map, container_id),
	  .flags = F_REQUIRED },
	{ .name = "hostID",
	  .type = FT_U32,
	  .offset = AT(cell_id_map, host_id),
	  .flags = F_REQUIRED },
	{ .name = "size", .type = FT_U32, .offset = AT(cell_id_map, size), .flags = F_REQUIRED },
};
static const struct obj_table id_map_table =
	TABLE(id_map_fields, .required = "containerID, hostID and size are required");

static int check_rlimit(struct jp *p, void *base)
{
	const struct cell_rlimit *rl = base;

	if (rl->soft > rl->hard)
		return jp_fail(p, "soft limit %llu is above the hard limit %llu",
			       (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	return 0;
}

static const struct field rlimit_fields[] = {
	{ .name = "type",
	  .type = FT_ENUM,
	  .offset = AT(cell_rlimit, resource),
	  .flags = F_REQUIRED,
	  .names = cell_rlimit_names,
	  .n_names = RLIM_NLIMITS },
	{ .name = "soft", .type = FT_U64, .offset = AT(cell_rlimit, soft), .flags = F_REQUIRED },
	{ .name = "hard", .type = FT_U64, .offset = AT(cell_rlimit, hard), .flags = F_REQUIRED },
};
static const struct obj_table rlimit_table =
	TABLE(rlimit_fields, .required = "type, soft and hard are required", .check = check_rlimit);

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

static int read_capabilities(struct jp *p, json_t *proc, void *at)
{
	struct cell_capabilities *c = at;
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

static int read_additional_gids(struct jp *p, json_t *u, void *at)
{
	struct cell_process *pr = at;
	size_t saved, i;
	json_t *gids = jp_get(p, u, "additionalGids", &saved), *e;

	if (!gids)
		return 0;
	if (!json_is_array(gids))
		return jp_fail(p, "expected an array of integers");
	free(pr->additional_gids);
	pr->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
	if (!pr->additional_gids)
		return jp_nomem(p);
	pr->n_additional_gids = 0;
	json_array_foreach(gids, i, e)
	{
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) > UINT32_MAX) {
			jp_push_index(p, i);
			return jp_fail(p, "expected a gid (0..4294967295)");
		}
		pr->additional_gids[pr->n_additional_gids++] = (uint32_t)json_integer_value(e);
	}
	jp_pop(p, saved);
	return 1;
}

/* process.user: into struct cell_process itself */
static const struct field user_fields[] = {
	{ .name = "uid", .type = FT_U32, .offset = AT(cell_process, uid) },
	{ .name = "gid", .type = FT_U32, .offset = AT(cell_process, gid) },
	{ .name = "umask",
	  .type = FT_U32,
	  .offset = AT(cell_process, umask),
	  .flags = F_HAS,
	  .has = AT(cell_process, has_umask) },
	{ .name = "additionalGids", .type = FT_CUSTOM, .custom = read_additional_gids },
};
static const struct obj_table user_table = TABLE(user_fields);

static const char *const sched_policies[] = {
	[SCHED_OTHER] = "SCHED_OTHER", [SCHED_FIFO] = "SCHED_FIFO", [SCHED_RR] = "SCHED_RR",
	[SCHED_BATCH] = "SCHED_BATCH", [SCHED_IDLE] = "SCHED_IDLE", [6] = "SCHED_DEADLINE",
};

static int read_sched_flags(struct jp *p, json_t *v, void *at)
{
	static const char *const flags[] = {
		"SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
		"SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
		"SCHED_FLAG_UTIL_CLAMP_MAX",
	};
	struct cell_scheduler *s = at;
	cleanup_strv char **fl = NULL;
	int r;

	if ((r = read_strv(p, v, "flags", &fl)) <= 0)
		return r;
	for (size_t i = 0; fl[i]; i++) {
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
	return 1;
}

/* the structs read with mark_present have `bool present` first */
_Static_assert(offsetof(struct cell_scheduler, present) == 0, "present first");
_Static_assert(offsetof(struct cell_time_offset, present) == 0, "present first");

static int mark_present(struct jp *p, void *base)
{
	(void)p;
	*(bool *)base = true;
	return 0;
}

static const struct field scheduler_fields[] = {
	{ .name = "policy",
	  .type = FT_ENUM,
	  .offset = AT(cell_scheduler, policy),
	  .flags = F_REQUIRED,
	  .names = sched_policies,
	  .n_names = 7 },
	{ .name = "nice",
	  .type = FT_INT,
	  .offset = AT(cell_scheduler, nice),
	  .min = -20,
	  .max = 19 },
	{ .name = "priority", .type = FT_INT, .offset = AT(cell_scheduler, priority), .max = 99 },
	{ .name = "runtime", .type = FT_U64, .offset = AT(cell_scheduler, runtime) },
	{ .name = "deadline", .type = FT_U64, .offset = AT(cell_scheduler, deadline) },
	{ .name = "period", .type = FT_U64, .offset = AT(cell_scheduler, period) },
	{ .name = "flags", .type = FT_CUSTOM, .custom = read_sched_flags },
};
static const struct obj_table scheduler_table =
	TABLE(scheduler_fields, .required = "policy is required", .check = mark_present);

static const char *const io_classes[] = {
	[IOPRIO_CLASS_RT] = "IOPRIO_CLASS_RT",
	[IOPRIO_CLASS_BE] = "IOPRIO_CLASS_BE",
	[IOPRIO_CLASS_IDLE] = "IOPRIO_CLASS_IDLE",
};

static int io_priority_given(struct jp *p, void *base)
{
	(void)p;
	((struct cell_process *)base)->has_io_priority = true;
	return 0;
}

/* process.ioPriority: into struct cell_process itself */
static const struct field io_priority_fields[] = {
	{ .name = "class",
	  .type = FT_ENUM,
	  .offset = AT(cell_process, io_priority_class),
	  .flags = F_REQUIRED,
	  .names = io_classes,
	  .n_names = 4 },
	{ .name = "priority", .type = FT_INT, .offset = AT(cell_process, io_priority), .max = 7 },
};
static const struct obj_table io_priority_table =
	TABLE(io_priority_fields, .required = "class is required", .check = io_priority_given);

static int read_console_size(struct jp *p, json_t *proc, void *at)
{
	struct cell_process *pr = at;
	size_t saved;
	json_t *o = jp_get(p, proc, "consoleSize", &saved);
	uint32_t h = 0, w = 0;
	int r;

	if (!o)
		return 0;
	if ((r = expect_object(p, o)) < 0 || (r = read_u32(p, o, "height", &h)) < 0 ||
	    (r = read_u32(p, o, "width", &w)) < 0)
		return r;
	if (h > USHRT_MAX || w > USHRT_MAX)
		return jp_fail(p, "height and width must be below 65536");
	pr->console_height = (unsigned short)h;
	pr->console_width = (unsigned short)w;
	jp_pop(p, saved);
	return 1;
}

static int read_args(struct jp *p, json_t *proc, void *at)
{
	char ***args = at;
	int r;

	if ((r = read_strv(p, proc, "args", args)) < 0)
		return r;
	if (!*args || !(*args)[0]) {
		jp_push(p, "args");
		return jp_fail(p, "at least one argument is required");
	}
	return 1;
}

static int read_cwd(struct jp *p, json_t *proc, void *at)
{
	char **cwd = at;
	int r;

	if ((r = read_string(p, proc, "cwd", cwd)) <= 0) {
		if (r == 0)
			jp_push(p, "cwd");
		return r < 0 ? r : jp_fail(p, "required");
	}
	if ((*cwd)[0] != '/') {
		jp_push(p, "cwd");
		return jp_fail(p, "'%s' is not an absolute path", *cwd);
	}
	return 1;
}

/* process.execCPUAffinity: into struct cell_process itself */
static const struct field affinity_fields[] = {
	{ .name = "initial",
	  .type = FT_STRING,
	  .offset = AT(cell_process, exec_cpu_affinity_initial) },
	{ .name = "final", .type = FT_STRING, .offset = AT(cell_process, exec_cpu_affinity_final) },
};
static const struct obj_table affinity_table = TABLE(affinity_fields);

static const struct field process_fields[] = {
	{ .name = "terminal", .type = FT_BOOL, .offset = AT(cell_process, terminal) },
	{ .name = "consoleSize", .type = FT_CUSTOM, .custom = read_console_size },
	{ .name = "user", .type = FT_STRUCT, .of = &user_table },
	{ .name = "args",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_process, args),
	  .custom = read_args },
	{ .name = "env", .type = FT_STRV, .offset = AT(cell_process, env) },
	{ .name = "cwd", .type = FT_CUSTOM, .offset = AT(cell_process, cwd), .custom = read_cwd },
	{ .name = "capabilities",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_process, capabilities),
	  .custom = read_capabilities },
	{ .name = "rlimits",
	  .type = FT_ARRAY,
	  .offset = AT(cell_process, rlimits),
	  .count = AT(cell_process, n_rlimits),
	  .elem_size = sizeof(struct cell_rlimit),
	  .of = &rlimit_table },
	{ .name = "noNewPrivileges",
	  .type = FT_BOOL,
	  .offset = AT(cell_process, no_new_privileges) },
	{ .name = "oomScoreAdj",
	  .type = FT_INT,
	  .offset = AT(cell_process, oom_score_adj),
	  .flags = F_HAS,
	  .has = AT(cell_process, has_oom_score_adj),
	  .min = -1000,
	  .max = 1000 },
	{ .name = "apparmorProfile",
	  .type = FT_STRING,
	  .offset = AT(cell_process, apparmor_profile) },
	{ .name = "selinuxLabel", .type = FT_STRING, .offset = AT(cell_process, selinux_label) },
	{ .name = "ioPriority", .type = FT_STRUCT, .of = &io_priority_table },
	{ .name = "scheduler",
	  .type = FT_STRUCT,
	  .offset = AT(cell_process, scheduler),
	  .of = &scheduler_table },
	{ .name = "execCPUAffinity", .type = FT_STRUCT, .of = &affinity_table },
};
static const struct obj_table process_table = TABLE(process_fields);

/* ---- root, mounts, hooks ---- */

static const struct field mount_fields[] = {
	{ .name = "destination",
	  .type = FT_STRING,
	  .offset = AT(cell_mount, destination),
	  .flags = F_REQUIRED },
	{ .name = "type", .type = FT_STRING, .offset = AT(cell_mount, type) },
	{ .name = "source", .type = FT_STRING, .offset = AT(cell_mount, source) },
	{ .name = "options", .type = FT_STRV, .offset = AT(cell_mount, options) },
	{ .name = "uidMappings",
	  .type = FT_ARRAY,
	  .offset = AT(cell_mount, uid_mappings),
	  .count = AT(cell_mount, n_uid_mappings),
	  .elem_size = sizeof(struct cell_id_map),
	  .of = &id_map_table },
	{ .name = "gidMappings",
	  .type = FT_ARRAY,
	  .offset = AT(cell_mount, gid_mappings),
	  .count = AT(cell_mount, n_gid_mappings),
	  .elem_size = sizeof(struct cell_id_map),
	  .of = &id_map_table },
};
static const struct obj_table mount_table =
	TABLE(mount_fields, .required = "destination is required");

static int read_hook_path(struct jp *p, json_t *e, void *at)
{
	char **path = at;
	int r;

	if ((r = read_string(p, e, "path", path)) <= 0)
		return r < 0 ? r : jp_fail(p, "path is required");
	if ((*path)[0] != '/') {
		jp_push(p, "path");
		return jp_fail(p, "'%s' is not an absolute path", *path);
	}
	return 1;
}

static const struct field hook_fields[] = {
	{ .name = "path",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_hook, path),
	  .custom = read_hook_path },
	{ .name = "args", .type = FT_STRV, .offset = AT(cell_hook, args) },
	{ .name = "env", .type = FT_STRV, .offset = AT(cell_hook, env) },
	{ .name = "timeout",
	  .type = FT_INT,
	  .offset = AT(cell_hook, timeout),
	  .flags = F_HAS,
	  .has = AT(cell_hook, has_timeout),
	  .min = 1,
	  .max = INT_MAX },
};
static const struct obj_table hook_table = TABLE(hook_fields);

static int read_hooks(struct jp *p, json_t *root, void *at)
{
	struct cell_hooks *h = at;
	size_t saved;
	json_t *v = jp_get(p, root, "hooks", &saved);
	int r;

	if (!v)
		return 0;
	if ((r = expect_object(p, v)) < 0)
		return r;
	for (int k = 0; k < CELL_HOOK_KIND_COUNT; k++)
		if ((r = read_array(p, v, cell_hook_names[k], (void **)&h->list[k], &h->n[k],
				    sizeof(struct cell_hook), NULL, &hook_table)) < 0)
			return r;
	jp_pop(p, saved);
	return 0;
}

static const struct field root_fields[] = {
	{ .name = "path",
	  .type = FT_STRING,
	  .offset = AT(cell_spec, root.path),
	  .flags = F_REQUIRED },
	{ .name = "readonly", .type = FT_BOOL, .offset = AT(cell_spec, root.readonly) },
};
static const struct obj_table root_table = TABLE(root_fields, .required = "path is required");

/* ---- linux ---- */

static int read_namespaces(struct jp *p, json_t *lx, void *at)
{
	struct cell_linux *l = at;
	size_t saved, i;
	json_t *v = jp_get(p, lx, "namespaces", &saved), *e;
	int r;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jp_fail(p, "expected an array");
	json_array_foreach(v, i, e)
	{
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

static const struct field time_offset_fields[] = {
	{ .name = "secs",
	  .type = FT_I64,
	  .offset = AT(cell_time_offset, secs),
	  .min = INT64_MIN,
	  .max = INT64_MAX },
	{ .name = "nanosecs",
	  .type = FT_U32,
	  .offset = AT(cell_time_offset, nanosecs),
	  .max = 999999999 },
};
static const struct obj_table time_offset_table = TABLE(time_offset_fields, .check = mark_present);

/* linux.timeOffsets: into struct cell_linux itself */
static const struct field time_offsets_fields[] = {
	{ .name = "monotonic",
	  .type = FT_STRUCT,
	  .offset = AT(cell_linux, monotonic),
	  .of = &time_offset_table },
	{ .name = "boottime",
	  .type = FT_STRUCT,
	  .offset = AT(cell_linux, boottime),
	  .of = &time_offset_table },
};
static const struct obj_table time_offsets_table = TABLE(time_offsets_fields);

static const struct field device_owner_fields[] = {
	{ .name = "fileMode",
	  .type = FT_U32,
	  .offset = AT(cell_device, file_mode),
	  .flags = F_HAS,
	  .has = AT(cell_device, has_file_mode) },
	{ .name = "uid",
	  .type = FT_U32,
	  .offset = AT(cell_device, uid),
	  .flags = F_HAS,
	  .has = AT(cell_device, has_uid) },
	{ .name = "gid",
	  .type = FT_U32,
	  .offset = AT(cell_device, gid),
	  .flags = F_HAS,
	  .has = AT(cell_device, has_gid) },
};
static const struct obj_table device_owner_table = TABLE(device_owner_fields);

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
	return read_fields(p, e, d, &device_owner_table);
}

/* FT_ENUM writes an int: the enums it fills must be ints */
_Static_assert(sizeof(enum cell_seccomp_op) == sizeof(int), "seccomp op is an int");
_Static_assert(sizeof(enum cell_seccomp_action) == sizeof(int), "seccomp action is an int");

static const struct field seccomp_arg_fields[] = {
	{ .name = "index",
	  .type = FT_U32,
	  .offset = AT(cell_seccomp_arg, index),
	  .flags = F_REQUIRED,
	  .max = 5 },
	{ .name = "value",
	  .type = FT_U64,
	  .offset = AT(cell_seccomp_arg, value),
	  .flags = F_REQUIRED },
	{ .name = "op",
	  .type = FT_ENUM,
	  .offset = AT(cell_seccomp_arg, op),
	  .flags = F_REQUIRED,
	  .names = cell_seccomp_op_names,
	  .n_names = CELL_SECCOMP_N_OPS },
	{ .name = "valueTwo", .type = FT_U64, .offset = AT(cell_seccomp_arg, value_two) },
};
static const struct obj_table seccomp_arg_table =
	TABLE(seccomp_arg_fields, .required = "index, value and op are required");

static const struct field seccomp_rule_fields[] = {
	{ .name = "names",
	  .type = FT_STRV,
	  .offset = AT(cell_seccomp_rule, names),
	  .flags = F_REQUIRED },
	{ .name = "action",
	  .type = FT_ENUM,
	  .offset = AT(cell_seccomp_rule, action),
	  .flags = F_REQUIRED,
	  .names = cell_seccomp_action_names,
	  .n_names = CELL_SECCOMP_N_ACTIONS },
	{ .name = "errnoRet",
	  .type = FT_U32,
	  .offset = AT(cell_seccomp_rule, errno_ret),
	  .flags = F_HAS,
	  .has = AT(cell_seccomp_rule, has_errno_ret) },
	{ .name = "args",
	  .type = FT_ARRAY,
	  .offset = AT(cell_seccomp_rule, args),
	  .count = AT(cell_seccomp_rule, n_args),
	  .elem_size = sizeof(struct cell_seccomp_arg),
	  .of = &seccomp_arg_table },
};
static const struct obj_table seccomp_rule_table =
	TABLE(seccomp_rule_fields, .required = "names and action are required");

static const struct field seccomp_fields[] = {
	{ .name = "defaultAction",
	  .type = FT_ENUM,
	  .offset = AT(cell_seccomp, default_action),
	  .flags = F_REQUIRED,
	  .names = cell_seccomp_action_names,
	  .n_names = CELL_SECCOMP_N_ACTIONS },
	{ .name = "defaultErrnoRet",
	  .type = FT_U32,
	  .offset = AT(cell_seccomp, default_errno_ret),
	  .flags = F_HAS,
	  .has = AT(cell_seccomp, has_default_errno_ret) },
	{ .name = "architectures", .type = FT_STRV, .offset = AT(cell_seccomp, architectures) },
	{ .name = "flags", .type = FT_STRV, .offset = AT(cell_seccomp, flags) },
	{ .name = "listenerPath", .type = FT_STRING, .offset = AT(cell_seccomp, listener_path) },
	{ .name = "listenerMetadata",
	  .type = FT_STRING,
	  .offset = AT(cell_seccomp, listener_metadata) },
	{ .name = "syscalls",
	  .type = FT_ARRAY,
	  .offset = AT(cell_seccomp, syscalls),
	  .count = AT(cell_seccomp, n_syscalls),
	  .elem_size = sizeof(struct cell_seccomp_rule),
	  .of = &seccomp_rule_table },
};
static const struct obj_table seccomp_table =
	TABLE(seccomp_fields, .required = "defaultAction is required");

/* The linux.seccomp object @v itself (also a --seccomp profile's top level). */
static int read_seccomp_object(struct jp *p, json_t *v, struct cell_seccomp *s)
{
	int r;

	if ((r = expect_object(p, v)) < 0)
		return r;
	s->present = true;
	return read_fields(p, v, s, &seccomp_table);
}

static int read_seccomp(struct jp *p, json_t *lx, void *at)
{
	struct cell_seccomp *s = at;
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

static int read_personality(struct jp *p, json_t *lx, void *at)
{
	struct cell_linux *l = at;
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
static int read_memory_policy(struct jp *p, json_t *lx, void *at)
{
	struct cell_memory_policy *m = at;
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
			return jp_fail(p,
				       "unknown flag '%s' (known: MPOL_F_NUMA_BALANCING, "
				       "MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES)",
				       flags[i]);
		}
		m->flags |= flag;
	}
	m->present = true;
	jp_pop(p, saved);
	return 0;
}

static int read_propagation(struct jp *p, json_t *lx, void *at)
{
	struct cell_linux *l = at;
	static const char *const names[] = { "private", "rprivate", "slave",	  "rslave",
					     "shared",	"rshared",  "unbindable", "runbindable" };
	static const unsigned long flags[] = {
		MS_PRIVATE, MS_PRIVATE | MS_REC, MS_SLAVE,	MS_SLAVE | MS_REC,
		MS_SHARED,  MS_SHARED | MS_REC,	 MS_UNBINDABLE, MS_UNBINDABLE | MS_REC,
	};
	int i = 0, r = read_enum(p, lx, "rootfsPropagation", names, 8, &i);

	if (r > 0)
		l->rootfs_propagation = flags[i];
	return r < 0 ? r : 0;
}

/* ---- linux.resources ---- */

static int check_memory(struct jp *p, void *base)
{
	const struct cell_resources *r = base;

	if (r->has_memory_swappiness && r->memory_swappiness > 100) {
		jp_push(p, "swappiness");
		return jp_fail(p, "%llu is out of range (0..100)",
			       (unsigned long long)r->memory_swappiness);
	}
	return 0;
}

/* linux.resources.memory, .cpu, .blockIO, .network, .pids: into struct cell_resources */
static const struct field memory_fields[] = {
	{ .name = "limit",
	  .type = FT_I64,
	  .offset = AT(cell_resources, memory_limit),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_memory_limit),
	  .min = -1,
	  .max = INT64_MAX },
	{ .name = "reservation",
	  .type = FT_I64,
	  .offset = AT(cell_resources, memory_reservation),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_memory_reservation),
	  .min = -1,
	  .max = INT64_MAX },
	{ .name = "swap",
	  .type = FT_I64,
	  .offset = AT(cell_resources, memory_swap),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_memory_swap),
	  .min = -1,
	  .max = INT64_MAX },
	/* "kernel" is deprecated: read for its type, then ignored, as runc does */
	{ .name = "kernel", .type = FT_I64, .flags = F_IGNORED, .min = -1, .max = INT64_MAX },
	{ .name = "kernelTCP",
	  .type = FT_I64,
	  .offset = AT(cell_resources, memory_kernel_tcp),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_memory_kernel_tcp),
	  .min = -1,
	  .max = INT64_MAX },
	{ .name = "swappiness",
	  .type = FT_U64,
	  .offset = AT(cell_resources, memory_swappiness),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_memory_swappiness) },
	{ .name = "disableOOMKiller",
	  .type = FT_BOOL,
	  .offset = AT(cell_resources, disable_oom_killer),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_disable_oom_killer) },
	{ .name = "useHierarchy",
	  .type = FT_BOOL,
	  .offset = AT(cell_resources, use_hierarchy),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_use_hierarchy) },
	{ .name = "checkBeforeUpdate",
	  .type = FT_BOOL,
	  .offset = AT(cell_resources, check_before_update) },
};
static const struct obj_table memory_table = TABLE(memory_fields, .check = check_memory);

static const struct field cpu_fields[] = {
	{ .name = "shares",
	  .type = FT_U64,
	  .offset = AT(cell_resources, cpu_shares),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_shares) },
	{ .name = "quota",
	  .type = FT_I64,
	  .offset = AT(cell_resources, cpu_quota),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_quota),
	  .min = -1,
	  .max = INT64_MAX },
	{ .name = "burst",
	  .type = FT_U64,
	  .offset = AT(cell_resources, cpu_burst),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_burst) },
	{ .name = "period",
	  .type = FT_U64,
	  .offset = AT(cell_resources, cpu_period),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_period) },
	{ .name = "realtimeRuntime",
	  .type = FT_I64,
	  .offset = AT(cell_resources, cpu_realtime_runtime),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_realtime_runtime),
	  .min = -1,
	  .max = INT64_MAX },
	{ .name = "realtimePeriod",
	  .type = FT_U64,
	  .offset = AT(cell_resources, cpu_realtime_period),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_realtime_period) },
	{ .name = "cpus", .type = FT_STRING, .offset = AT(cell_resources, cpuset_cpus) },
	{ .name = "mems", .type = FT_STRING, .offset = AT(cell_resources, cpuset_mems) },
	{ .name = "idle",
	  .type = FT_I64,
	  .offset = AT(cell_resources, cpu_idle),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_cpu_idle),
	  .min = INT64_MIN,
	  .max = INT64_MAX },
};
static const struct obj_table cpu_table = TABLE(cpu_fields);

static const struct field device_rate_fields[] = {
	{ .name = "major",
	  .type = FT_U32,
	  .offset = AT(cell_device_rate, major),
	  .flags = F_REQUIRED },
	{ .name = "minor",
	  .type = FT_U32,
	  .offset = AT(cell_device_rate, minor),
	  .flags = F_REQUIRED },
	{ .name = "rate",
	  .type = FT_U64,
	  .offset = AT(cell_device_rate, rate),
	  .flags = F_REQUIRED },
};
static const struct obj_table device_rate_table =
	TABLE(device_rate_fields, .required = "major, minor and rate are required");

static const struct field device_weight_fields[] = {
	{ .name = "major",
	  .type = FT_U32,
	  .offset = AT(cell_device_weight, major),
	  .flags = F_REQUIRED },
	{ .name = "minor",
	  .type = FT_U32,
	  .offset = AT(cell_device_weight, minor),
	  .flags = F_REQUIRED },
	{ .name = "weight",
	  .type = FT_U16,
	  .offset = AT(cell_device_weight, weight),
	  .flags = F_HAS,
	  .has = AT(cell_device_weight, has_weight),
	  .min = 10,
	  .max = 1000 },
	{ .name = "leafWeight",
	  .type = FT_U16,
	  .offset = AT(cell_device_weight, leaf_weight),
	  .flags = F_HAS,
	  .has = AT(cell_device_weight, has_leaf_weight),
	  .min = 10,
	  .max = 1000 },
};
static const struct obj_table device_weight_table =
	TABLE(device_weight_fields, .required = "major and minor are required");

/* the four throttle*Device arrays of linux.resources.blockIO */
#define RATES(key, member)                                                                         \
	{                                                                                          \
		.name = key, .type = FT_ARRAY, .offset = AT(cell_resources, member),               \
		.count = AT(cell_resources, n_##member),                                           \
		.elem_size = sizeof(struct cell_device_rate), .of = &device_rate_table             \
	}

static const struct field block_io_fields[] = {
	{ .name = "weight",
	  .type = FT_U16,
	  .offset = AT(cell_resources, blkio_weight),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_blkio_weight),
	  .min = 10,
	  .max = 1000 },
	{ .name = "leafWeight",
	  .type = FT_U16,
	  .offset = AT(cell_resources, blkio_leaf_weight),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_blkio_leaf_weight),
	  .min = 10,
	  .max = 1000 },
	{ .name = "weightDevice",
	  .type = FT_ARRAY,
	  .offset = AT(cell_resources, weight_devices),
	  .count = AT(cell_resources, n_weight_devices),
	  .elem_size = sizeof(struct cell_device_weight),
	  .of = &device_weight_table },
	RATES("throttleReadBpsDevice", read_bps),
	RATES("throttleWriteBpsDevice", write_bps),
	RATES("throttleReadIOPSDevice", read_iops),
	RATES("throttleWriteIOPSDevice", write_iops),
};
static const struct obj_table block_io_table = TABLE(block_io_fields);

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

static int check_hugepage(struct jp *p, void *base)
{
	const struct cell_hugepage_limit *h = base;
	/* defs-linux.json: ^[1-9][0-9]*[KMG]B$ */
	size_t n = strspn(h->page_size, "0123456789");

	if (h->page_size[0] < '1' || h->page_size[0] > '9' || !h->page_size[n] ||
	    !strchr("KMG", h->page_size[n]) || strcmp(h->page_size + n + 1, "B")) {
		jp_push(p, "pageSize");
		return jp_fail(p, "'%s' is not a page size like 2MB or 1GB", h->page_size);
	}
	return 0;
}

static const struct field hugepage_fields[] = {
	{ .name = "pageSize",
	  .type = FT_STRING,
	  .offset = AT(cell_hugepage_limit, page_size),
	  .flags = F_REQUIRED },
	{ .name = "limit",
	  .type = FT_U64,
	  .offset = AT(cell_hugepage_limit, limit),
	  .flags = F_REQUIRED },
};
static const struct obj_table hugepage_table = TABLE(
	hugepage_fields, .required = "pageSize and limit are required", .check = check_hugepage);

static const struct field net_priority_fields[] = {
	{ .name = "name",
	  .type = FT_STRING,
	  .offset = AT(cell_net_priority, name),
	  .flags = F_REQUIRED },
	{ .name = "priority",
	  .type = FT_U32,
	  .offset = AT(cell_net_priority, priority),
	  .flags = F_REQUIRED },
};
static const struct obj_table net_priority_table =
	TABLE(net_priority_fields, .required = "name and priority are required");

static const struct field network_fields[] = {
	{ .name = "classID",
	  .type = FT_U32,
	  .offset = AT(cell_resources, net_class_id),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_net_class_id) },
	{ .name = "priorities",
	  .type = FT_ARRAY,
	  .offset = AT(cell_resources, net_priorities),
	  .count = AT(cell_resources, n_net_priorities),
	  .elem_size = sizeof(struct cell_net_priority),
	  .of = &net_priority_table },
};
static const struct obj_table network_table = TABLE(network_fields);

static const struct field rdma_fields[] = {
	{ .name = "hcaHandles",
	  .type = FT_U32,
	  .offset = AT(cell_rdma_limit, hca_handles),
	  .flags = F_HAS,
	  .has = AT(cell_rdma_limit, has_hca_handles) },
	{ .name = "hcaObjects",
	  .type = FT_U32,
	  .offset = AT(cell_rdma_limit, hca_objects),
	  .flags = F_HAS,
	  .has = AT(cell_rdma_limit, has_hca_objects) },
};
static const struct obj_table rdma_table = TABLE(rdma_fields);

static int read_rdma(struct jp *p, const char *device, json_t *e, void *arr, size_t i)
{
	struct cell_rdma_limit *l = (struct cell_rdma_limit *)arr + i;

	if (!(l->device = strdup(device)))
		return jp_nomem(p);
	return read_fields(p, e, l, &rdma_table);
}

static int check_pids(struct jp *p, void *base)
{
	struct cell_resources *r = base;

	(void)p;
	/* runc: 0 and below mean unlimited */
	if (r->has_pids_limit && r->pids_limit <= 0)
		r->pids_limit = -1;
	return 0;
}

static const struct field pids_fields[] = {
	{ .name = "limit",
	  .type = FT_I64,
	  .offset = AT(cell_resources, pids_limit),
	  .flags = F_HAS,
	  .has = AT(cell_resources, has_pids_limit),
	  .min = INT64_MIN,
	  .max = INT64_MAX },
};
static const struct obj_table pids_table = TABLE(pids_fields, .check = check_pids);

static const struct field resources_fields[] = {
	{ .name = "devices",
	  .type = FT_ARRAY,
	  .offset = AT(cell_resources, devices),
	  .count = AT(cell_resources, n_devices),
	  .elem_size = sizeof(struct cell_device_rule),
	  .elem = read_device_rule },
	{ .name = "memory", .type = FT_STRUCT, .of = &memory_table },
	{ .name = "cpu", .type = FT_STRUCT, .of = &cpu_table },
	{ .name = "blockIO", .type = FT_STRUCT, .of = &block_io_table },
	{ .name = "hugepageLimits",
	  .type = FT_ARRAY,
	  .offset = AT(cell_resources, hugepage_limits),
	  .count = AT(cell_resources, n_hugepage_limits),
	  .elem_size = sizeof(struct cell_hugepage_limit),
	  .of = &hugepage_table },
	{ .name = "network", .type = FT_STRUCT, .of = &network_table },
	{ .name = "rdma",
	  .type = FT_KEYED,
	  .offset = AT(cell_resources, rdma),
	  .count = AT(cell_resources, n_rdma),
	  .elem_size = sizeof(struct cell_rdma_limit),
	  .keyed = read_rdma },
	{ .name = "unified",
	  .type = FT_MAP,
	  .offset = AT(cell_resources, unified),
	  .count = AT(cell_resources, n_unified) },
	{ .name = "pids", .type = FT_STRUCT, .of = &pids_table },
};
static const struct obj_table resources_table = TABLE(resources_fields);

/* linux.netDevices: { "HOSTNAME": { "name": "NAME INSIDE" } } */
static int read_net_device(struct jp *p, const char *host_name, json_t *e, void *arr, size_t i)
{
	struct cell_net_device *d = (struct cell_net_device *)arr + i;

	if (!(d->name = strdup(host_name)))
		return jp_nomem(p);
	return read_string(p, e, "name", &d->new_name) < 0 ? -EINVAL : 0;
}

/* Intel RDT is refused (spec.c): only whether it is there matters */
static int read_intel_rdt(struct jp *p, json_t *lx, void *at)
{
	(void)p;
	((struct cell_linux *)at)->has_intel_rdt = json_object_get(lx, "intelRdt") != NULL;
	return 0;
}

static const struct field linux_fields[] = {
	{ .name = "namespaces", .type = FT_CUSTOM, .custom = read_namespaces },
	{ .name = "uidMappings",
	  .type = FT_ARRAY,
	  .offset = AT(cell_linux, uid_mappings),
	  .count = AT(cell_linux, n_uid_mappings),
	  .elem_size = sizeof(struct cell_id_map),
	  .of = &id_map_table },
	{ .name = "gidMappings",
	  .type = FT_ARRAY,
	  .offset = AT(cell_linux, gid_mappings),
	  .count = AT(cell_linux, n_gid_mappings),
	  .elem_size = sizeof(struct cell_id_map),
	  .of = &id_map_table },
	{ .name = "timeOffsets", .type = FT_STRUCT, .of = &time_offsets_table },
	{ .name = "devices",
	  .type = FT_ARRAY,
	  .offset = AT(cell_linux, devices),
	  .count = AT(cell_linux, n_devices),
	  .elem_size = sizeof(struct cell_device),
	  .elem = read_device },
	{ .name = "cgroupsPath", .type = FT_STRING, .offset = AT(cell_linux, cgroups_path) },
	{ .name = "resources",
	  .type = FT_STRUCT,
	  .offset = AT(cell_linux, resources),
	  .of = &resources_table },
	{ .name = "rootfsPropagation", .type = FT_CUSTOM, .custom = read_propagation },
	{ .name = "seccomp",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_linux, seccomp),
	  .custom = read_seccomp },
	{ .name = "sysctl",
	  .type = FT_MAP,
	  .offset = AT(cell_linux, sysctl),
	  .count = AT(cell_linux, n_sysctl) },
	{ .name = "maskedPaths", .type = FT_STRV, .offset = AT(cell_linux, masked_paths) },
	{ .name = "readonlyPaths", .type = FT_STRV, .offset = AT(cell_linux, readonly_paths) },
	{ .name = "mountLabel", .type = FT_STRING, .offset = AT(cell_linux, mount_label) },
	{ .name = "personality", .type = FT_CUSTOM, .custom = read_personality },
	{ .name = "memoryPolicy",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_linux, memory_policy),
	  .custom = read_memory_policy },
	{ .name = "netDevices",
	  .type = FT_KEYED,
	  .offset = AT(cell_linux, net_devices),
	  .count = AT(cell_linux, n_net_devices),
	  .elem_size = sizeof(struct cell_net_device),
	  .keyed = read_net_device },
	{ .name = "intelRdt", .type = FT_CUSTOM, .custom = read_intel_rdt },
};
static const struct obj_table linux_table = TABLE(linux_fields);

/* ---- entry points ---- */

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One {"op", "path", "after", "mode"[, "data", "readonly"]} of run.cell.symlinks. */
static int read_path_op(struct cell_spec *spec, json_t *o, size_t i, struct cell_error *err)
{
	static const char *const kinds[] = { [CELL_PATH_DIR] = "dir",
					     [CELL_PATH_FILE] = "file",
					     [CELL_PATH_CHMOD] = "chmod",
					     [CELL_PATH_REMOUNT_RO] = "remount-ro" };
	const char *kind = NULL, *path = NULL, *hex = "", *problem;
	json_int_t after = -1, mode = -1;
	int readonly = 0, r;
	struct cell_path_op op = { .kind = CELL_PATH_SYMLINK };
	size_t len;

	if (json_unpack(o, "{s:s,s:s,s:I,s:I,s?s,s?b}", "op", &kind, "path", &path, "after", &after,
			"mode", &mode, "data", &hex, "readonly", &readonly) < 0 ||
	    after < 0 || (size_t)after > spec->n_mounts || mode < 0 || mode > 07777)
		return cell_error_set(err, 0,
				      "annotations.run.cell.symlinks[%zu]: expected {\"op\": "
				      "string, \"path\": string, \"after\": 0..%zu (mounts[]), "
				      "\"mode\": 0..07777}",
				      i, spec->n_mounts);
	for (size_t k = CELL_PATH_DIR; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(kind, kinds[k]))
			op.kind = (enum cell_path_op_kind)k;
	len = strlen(hex);
	if (op.kind == CELL_PATH_SYMLINK || len % 2)
		return cell_error_set(err, 0, "annotations.run.cell.symlinks[%zu]: %s", i,
				      op.kind == CELL_PATH_SYMLINK
					      ? "op is none of dir, file, chmod, remount-ro"
					      : "data is no hex string");
	op.path = (char *)path;
	op.mode = (mode_t)mode;
	op.readonly = readonly;
	op.len = len / 2;
	if (op.len && !(op.data = malloc(op.len)))
		return cell_error_set(err, ENOMEM, "annotations.run.cell.symlinks[%zu]", i);
	for (size_t k = 0; k < op.len; k++) {
		int hi = hex_value(hex[2 * k]), lo = hex_value(hex[2 * k + 1]);

		if (hi < 0 || lo < 0) {
			free(op.data);
			return cell_error_set(err, 0,
					      "annotations.run.cell.symlinks[%zu]: data is no hex "
					      "string",
					      i);
		}
		op.data[k] = (char)(hi << 4 | lo);
	}
	r = (problem = cell_path_op_problem(&op))
		    ? cell_error_set(err, 0, "annotations.run.cell.symlinks[%zu] (%s): %s", i, path,
				     problem)
		    : cell_spec_add_path_op(spec, &op, err);
	free(op.data);
	if (r < 0)
		return r;
	spec->cell.path_ops[spec->cell.n_path_ops - 1].after = (size_t)after;
	return 0;
}

/* One {"target", "link", "after"} of run.cell.symlinks, or another path op. */
static int read_symlink(struct cell_spec *spec, json_t *o, size_t i, struct cell_error *err)
{
	const char *target = NULL, *link = NULL, *problem;
	json_int_t after = -1;
	int r;

	if (json_is_object(o) && json_object_get(o, "op"))
		return read_path_op(spec, o, i, err);
	if (json_unpack(o, "{s:s,s:s,s:I}", "target", &target, "link", &link, "after", &after) <
		    0 ||
	    after < 0 || (size_t)after > spec->n_mounts)
		return cell_error_set(err, 0,
				      "annotations.run.cell.symlinks[%zu]: expected {\"target\": "
				      "string, \"link\": string, \"after\": 0..%zu (mounts[])}",
				      i, spec->n_mounts);
	if ((problem = cell_symlink_problem(target, link)))
		return cell_error_set(err, 0, "annotations.run.cell.symlinks[%zu] (%s): %s", i,
				      link, problem);
	if ((r = cell_spec_add_symlink(spec, target, link, err)) < 0)
		return r;
	spec->cell.path_ops[spec->cell.n_path_ops - 1].after = (size_t)after;
	return 0;
}

/* run.cell.symlinks: --symlink's links, a JSON array as text (json_write.c). */
static int read_symlinks(struct cell_spec *spec, const char *text, struct cell_error *err)
{
	json_error_t jerr;
	json_t *a = json_loads(text, 0, &jerr);
	int r = 0;

	if (!json_is_array(a))
		r = cell_error_set(
			err, 0, "annotations.run.cell.symlinks: expected a JSON array as text%s%s",
			a ? "" : ": ", a ? "" : jerr.text);
	for (size_t i = 0; r == 0 && i < json_array_size(a); i++)
		r = read_symlink(spec, json_array_get(a, i), i, err);
	json_decref(a);
	return r;
}

/* cell's own settings travel as annotations (cell_spec_to_json writes them). */
static int read_cell_annotations(struct cell_spec *spec, struct cell_error *err)
{
	for (size_t i = 0; i < spec->n_annotations; i++) {
		const struct cell_kv *a = &spec->annotations[i];
		bool on = !strcmp(a->value, "true");
		int r;

		if (!strcmp(a->key, "run.cell.symlinks") &&
		    (r = read_symlinks(spec, a->value, err)) < 0)
			return r;
		if (!strcmp(a->key, "run.cell.init"))
			spec->cell.init = on;
		else if (!strcmp(a->key, "run.cell.cwd-optional"))
			spec->cell.cwd_optional = on;
		else if (!strcmp(a->key, "run.cell.env-exact"))
			spec->cell.env_exact = on;
		else if (!strcmp(a->key, "run.cell.nested-userns"))
			spec->cell.nested_userns = on;
	}
	return 0;
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

/* config.json after ociVersion */
static const struct field spec_fields[] = {
	{ .name = "root", .type = FT_STRUCT, .of = &root_table },
	{ .name = "process",
	  .type = FT_STRUCT,
	  .offset = AT(cell_spec, process),
	  .of = &process_table },
	{ .name = "hostname", .type = FT_STRING, .offset = AT(cell_spec, hostname) },
	{ .name = "domainname", .type = FT_STRING, .offset = AT(cell_spec, domainname) },
	{ .name = "mounts",
	  .type = FT_ARRAY,
	  .offset = AT(cell_spec, mounts),
	  .count = AT(cell_spec, n_mounts),
	  .elem_size = sizeof(struct cell_mount),
	  .of = &mount_table },
	{ .name = "hooks",
	  .type = FT_CUSTOM,
	  .offset = AT(cell_spec, hooks),
	  .custom = read_hooks },
	{ .name = "annotations",
	  .type = FT_MAP,
	  .offset = AT(cell_spec, annotations),
	  .count = AT(cell_spec, n_annotations) },
	{ .name = "linux", .type = FT_STRUCT, .offset = AT(cell_spec, linux), .of = &linux_table },
};
static const struct obj_table spec_table = TABLE(spec_fields);

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
		r = cell_error_set(err, 0,
				   "ociVersion: \"%.64s\" is not a semantic version "
				   "(MAJOR.MINOR.PATCH, semver.org 2.0.0)",
				   spec->oci_version);
		goto out;
	}
	if ((r = read_fields(&p, root, spec, &spec_table)) < 0)
		goto out;
	if ((r = read_cell_annotations(spec, err)) < 0)
		goto out;
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
