/*
 * cell — one line of `cell judge --batch`: a JSON object whose fields are the
 * judge's flags by their long names, plus the program ("argv") and an "id"
 * the report echoes. Checked as strictly as the flags: a field cell does not
 * know, or a value of the wrong type, fails the line (named with its number
 * and field), never silently the batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "utils.h"

#define ID_MAX 1024 /* bytes of a string id: the report travels in one message */

/* The fields a line has beside the limits and files. */
struct line_fields {
	char **argv, **env;
	const char *chdir;
};

/* A limit or file as the flag's text: numbers as JSON has them, strings as given. */
static int scalar_text(json_t *v, char *buf, size_t size, const char **text)
{
	if (json_is_string(v)) {
		*text = json_string_value(v);
		return 0;
	}
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.9g", json_real_value(v));
	else
		return -EINVAL;
	*text = buf;
	return 0;
}

/* A non-empty array of strings, as a NULL-terminated vector that borrows them. */
static int string_array(json_t *v, bool non_empty, char ***out)
{
	size_t i, n = json_is_array(v) ? json_array_size(v) : 0;
	char **a;

	if (!json_is_array(v) || (non_empty && n == 0))
		return -EINVAL;
	if (!(a = calloc(n + 1, sizeof(*a))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);

		if (!json_is_string(s) || !*json_string_value(s)) {
			free(a);
			return -EINVAL;
		}
		a[i] = (char *)json_string_value(s);
	}
	free(*out); /* NULL: JSON_REJECT_DUPLICATES gives each key once */
	*out = a;
	return 0;
}

static int line_field(struct cell_judge_cli *cli, struct line_fields *f, const char *key, json_t *v,
		      unsigned long lineno, struct cell_error *err)
{
	char what[128], num[64];
	const char *text;
	int r;

	snprintf(what, sizeof(what), "line %lu: \"%.64s\"", lineno, key);
	if (!strcmp(key, "id"))
		return 0;
	if (!strcmp(key, "argv") || !strcmp(key, "env")) {
		bool is_argv = key[0] == 'a';

		r = string_array(v, is_argv, is_argv ? &f->argv : &f->env);
		if (r == -EINVAL)
			return cell_error_set(err, 0, "%s: expected an array of %sstrings", what,
					      is_argv ? "one or more " : "");
		return r < 0 ? cell_error_set(err, -r, "%s", what) : 0;
	}
	if (!strcmp(key, "chdir")) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/')
			return cell_error_set(err, 0, "%s: expected an absolute path", what);
		f->chdir = json_string_value(v);
		return 0;
	}
	if (!strcmp(key, "dir") || !strcmp(key, "rootfs"))
		return cell_error_set(err, 0, "%s: the batch's, not a line's (give it as a flag)",
				      what);
	if (scalar_text(v, num, sizeof(num), &text) < 0)
		return cell_error_set(err, 0, "%s: expected a string or a number", what);
	return cell_judge_set(cli, key, text, what, err);
}

static int line_id(json_t *o, unsigned long lineno, json_t **id, struct cell_error *err)
{
	json_t *v = json_object_get(o, "id");

	if (!v)
		return 0;
	if (json_is_integer(v) || (json_is_string(v) && json_string_length(v) <= ID_MAX)) {
		*id = v;
		return 0;
	}
	/* the report must carry it whole: an id it cannot echo is none */
	return cell_error_set(err, 0,
			      "line %lu: \"id\": expected an integer or a string of at "
			      "most %d bytes",
			      lineno, ID_MAX);
}

int cell_judge_line(struct cell_judge_cli *cli, const char *text, size_t len, unsigned long lineno,
		    json_t **doc, json_t **id, struct cell_error *err)
{
	struct line_fields f = { 0 };
	json_error_t jerr;
	json_t *o, *v;
	const char *key;
	int r;

	*id = NULL;
	cell_judge_reset(cli);
	*doc = o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return cell_error_set(err, 0, "line %lu: column %d: %s", lineno, jerr.column,
				      jerr.text);
	if (!json_is_object(o))
		return cell_error_set(err, 0, "line %lu: expected a JSON object", lineno);
	if ((r = line_id(o, lineno, id, err)) < 0)
		goto out;
	json_object_foreach(o, key,
			    v) if ((r = line_field(cli, &f, key, v, lineno, err)) < 0) goto out;
	if (!f.argv) {
		r = cell_error_set(err, 0, "line %lu: no \"argv\" (the program and its arguments)",
				   lineno);
		goto out;
	}
	if ((r = cell_judge_fit(cli, f.argv, f.env, f.chdir, err)) < 0)
		cell_error_prefix(err, "line %lu", lineno);
out:
	free(f.argv);
	free(f.env);
	return r;
}
