/*
 * cell ns tree — how namespaces nest. User namespaces are the trunk
 * (NS_GET_PARENT); under each, the namespaces it owns (NS_GET_USERNS), its
 * pid namespaces nested by NS_GET_PARENT with the processes in each, and its
 * child user namespaces.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ns_cli.h"
#include "utils.h"

static const char tree_usage[] =
	"Usage: cell ns tree [OPTIONS]\n"
	"\n"
	"Show the namespaces the caller can see as a tree: user namespaces as the trunk,\n"
	"each with the namespaces it owns, its pid namespaces nested as the kernel nests\n"
	"them with the processes in each, and its child user namespaces.\n"
	"\n"
	"Options:\n"
	"  -J, --json       JSON: {\"tree\": [USERNS...]}, each {\"ns\", \"type\", \"owneruid\",\n"
	"                   \"nprocs\", \"namespaces\", \"pid_namespaces\", \"children\"}\n"
	"  --no-processes   leave out the processes of each pid namespace\n"
	"  -h, --help       show this help\n";

/* A child of a tree node: a namespace, or a process of a pid namespace. */
struct node {
	const struct cell_ns_entry *ns;
	const struct cell_ns_proc *proc;
};

struct tree {
	const struct cell_ns_list *list;
	bool procs;
};

static bool listed(const struct tree *t, enum cell_ns_type type, uint64_t ino)
{
	return ino && cell_ns_list_find(t->list, type, ino);
}

/* A pid namespace hangs under its parent when both have the same owner. */
static bool nested_pid(const struct tree *t, const struct cell_ns_entry *e)
{
	const struct cell_ns_entry *p =
		e->parent ? cell_ns_list_find(t->list, CELL_NS_PID, e->parent) : NULL;

	return p && p->owner == e->owner;
}

static size_t user_children(const struct tree *t, const struct cell_ns_entry *u, struct node *out)
{
	size_t n = 0;

	for (size_t pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < t->list->n; i++) {
			const struct cell_ns_entry *e = &t->list->ns[i];
			bool mine = u ? e->owner == u->ino : !listed(t, CELL_NS_USER, e->owner);

			if (!mine || e == u)
				continue;
			if ((pass == 0 && e->type != CELL_NS_USER && e->type != CELL_NS_PID) ||
			    (pass == 1 && e->type == CELL_NS_PID && !nested_pid(t, e)) ||
			    (pass == 2 && e->type == CELL_NS_USER && u))
				out[n++] = (struct node){ .ns = e };
		}
	return n;
}

static size_t pid_children(const struct tree *t, const struct cell_ns_entry *p, struct node *out)
{
	size_t n = 0;

	for (size_t i = 0; t->procs && i < t->list->n_procs; i++)
		if (t->list->procs[i].ns[CELL_NS_PID] == p->ino)
			out[n++] = (struct node){ .proc = &t->list->procs[i] };
	for (size_t i = 0; i < t->list->n; i++) {
		const struct cell_ns_entry *e = &t->list->ns[i];

		if (e->type == CELL_NS_PID && e->parent == p->ino && nested_pid(t, e))
			out[n++] = (struct node){ .ns = e };
	}
	return n;
}

static size_t children(const struct tree *t, const struct cell_ns_entry *e, struct node *out)
{
	if (!e || e->type == CELL_NS_USER)
		return user_children(t, e, out);
	if (e->type == CELL_NS_PID)
		return pid_children(t, e, out);
	return 0;
}

/* ---- text --------------------------------------------------------------- */

static void print_ns_line(const struct tree *t, const struct cell_ns_entry *e)
{
	printf("%s %llu", cell_ns_info(e->type)->proc_name, (unsigned long long)e->ino);
	if (e->type == CELL_NS_USER && e->has_owner_uid)
		printf(" uid %u", e->owner_uid);
	printf(", %u process%s", e->nprocs, e->nprocs == 1 ? "" : "es");
	if (e->pid && e->type != CELL_NS_PID)
		printf(" (%d %s)", e->pid, e->command ? e->command : "");
	if (e->type == CELL_NS_PID && e->parent && !nested_pid(t, e))
		printf(", parent pid %llu", (unsigned long long)e->parent);
	for (size_t i = 0; e->mounts && e->mounts[i]; i++)
		printf("%s%s", i ? ", " : ", pinned at ", e->mounts[i]);
	if (e->holders == CELL_NS_HELD_FD)
		printf(", held by an open fd");
	putchar('\n');
}

static void print_node(const struct tree *t, const struct node *nd, char *prefix, size_t len,
		       size_t cap)
{
	struct node *kids;
	size_t n;

	if (nd->proc) {
		printf("%d %s\n", nd->proc->pid, nd->proc->comm);
		return;
	}
	print_ns_line(t, nd->ns);
	kids = calloc(t->list->n + t->list->n_procs + 1, sizeof(*kids));
	if (!kids)
		return;
	n = children(t, nd->ns, kids);
	for (size_t i = 0; i < n; i++) {
		bool last = i + 1 == n;

		printf("%s%s", prefix, last ? "└── " : "├── ");
		if (len + 8 < cap) {
			snprintf(prefix + len, cap - len, "%s", last ? "    " : "│   ");
			print_node(t, &kids[i], prefix, strlen(prefix), cap);
			prefix[len] = '\0';
		}
	}
	free(kids);
}

static int tree_text(const struct tree *t, struct node *roots, size_t n)
{
	char prefix[1024] = "";

	for (size_t i = 0; i < n; i++)
		print_node(t, &roots[i], prefix, 0, sizeof(prefix));
	return 0;
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *json_node(const struct tree *t, const struct node *nd);

static json_t *json_ns(const struct tree *t, const struct cell_ns_entry *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "ns", json_integer((json_int_t)e->ino));
	json_object_set_new(o, "type", json_string(cell_ns_info(e->type)->proc_name));
	json_object_set_new(o, "nprocs", json_integer(e->nprocs));
	json_object_set_new(o, "pid", e->pid ? json_integer(e->pid) : json_null());
	json_object_set_new(o, "owneruid",
			    e->has_owner_uid ? json_integer(e->owner_uid) : json_null());
	json_object_set_new(o, "parent",
			    e->parent ? json_integer((json_int_t)e->parent) : json_null());
	json_t *mounts = json_array();
	for (size_t i = 0; e->mounts && e->mounts[i]; i++)
		json_array_append_new(mounts, json_string(e->mounts[i]));
	json_object_set_new(o, "nsfs", mounts);
	return o;
}

/* User namespaces: "namespaces", "pid_namespaces", "children"; pid: "processes", "children". */
static void json_children(const struct tree *t, const struct cell_ns_entry *e, json_t *o)
{
	struct node *kids = calloc(t->list->n + t->list->n_procs + 1, sizeof(*kids));
	bool user = e->type == CELL_NS_USER;
	json_t *owned = json_array(), *pids = json_array(), *procs = json_array(),
	       *sub = json_array();
	size_t n = kids ? children(t, e, kids) : 0;

	for (size_t i = 0; i < n; i++) {
		json_t *child = json_node(t, &kids[i]);

		if (kids[i].proc)
			json_array_append_new(procs, child);
		else if (user && kids[i].ns->type == CELL_NS_PID)
			json_array_append_new(pids, child);
		else if (user && kids[i].ns->type != CELL_NS_USER)
			json_array_append_new(owned, child);
		else
			json_array_append_new(sub, child);
	}
	free(kids);
	if (user) {
		json_object_set_new(o, "namespaces", owned);
		json_object_set_new(o, "pid_namespaces", pids);
		json_decref(procs);
	} else {
		json_object_set_new(o, "processes", procs);
		json_decref(owned);
		json_decref(pids);
	}
	json_object_set_new(o, "children", sub);
}

static json_t *json_node(const struct tree *t, const struct node *nd)
{
	json_t *o;

	if (nd->proc) {
		o = json_object();
		json_object_set_new(o, "pid", json_integer(nd->proc->pid));
		json_object_set_new(o, "command", json_string(nd->proc->comm));
		return o;
	}
	o = json_ns(t, nd->ns);
	if (nd->ns->type == CELL_NS_USER || nd->ns->type == CELL_NS_PID)
		json_children(t, nd->ns, o);
	return o;
}

static int tree_json(const struct tree *t, struct node *roots, size_t n)
{
	json_t *root = json_object(), *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_node(t, &roots[i]));
	json_object_set_new(root, "tree", a);
	return cell_ns_print_json(root);
}

/* The trunk: user namespaces whose parent the caller cannot see (the host's has none). */
static size_t roots_of(const struct tree *t, struct node *out)
{
	size_t n = 0;

	for (size_t i = 0; i < t->list->n; i++) {
		const struct cell_ns_entry *e = &t->list->ns[i];

		if (e->type == CELL_NS_USER && !listed(t, CELL_NS_USER, e->parent))
			out[n++] = (struct node){ .ns = e };
	}
	/* Namespaces whose owner is not visible hang under no user namespace. */
	return n + user_children(t, NULL, out + n);
}

int cell_ns_cmd_tree(const struct cell_global *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "no-processes", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cell_ns_scan_options scan = { 0 };
	struct cell_error err = { 0 };
	struct cell_ns_list list;
	struct tree t = { .list = &list, .procs = true };
	bool json = false;
	struct node *roots;
	int opt, r;

	optind = 0; /* 0: glibc starts over, permuting options after arguments too */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":Jh", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(tree_usage, stdout);
			return 0;
		} else if (opt == 'J') {
			json = true;
		} else if (opt == 'P') {
			t.procs = false;
		} else {
			cell_ns_option_error(opt, argv, "tree", &err);
			return cell_ns_fail(g, &err);
		}
	}
	if (optind < argc) {
		cell_error_set(&err, 0, "unexpected argument '%s' (see cell ns tree --help)",
			       argv[optind]);
		return cell_ns_fail(g, &err);
	}
	if (cell_ns_scan(&scan, &list, &err) < 0)
		return cell_ns_fail(g, &err);
	roots = calloc(list.n + 1, sizeof(*roots));
	if (!roots) {
		cell_ns_list_free(&list);
		cell_error_set(&err, ENOMEM, "namespace tree");
		return cell_ns_fail(g, &err);
	}
	size_t n = roots_of(&t, roots);
	r = json ? tree_json(&t, roots, n) : tree_text(&t, roots, n);
	free(roots);
	cell_ns_list_free(&list);
	return r;
}
