/* cell ns — the namespace API as tools: dispatch, `ls` and `limits`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ns_cli.h"
#include "run_flags.h"
#include "utils.h"

static const char ns_usage[] =
	"Usage: cell ns COMMAND [OPTIONS]\n"
	"\n"
	"The kernel's namespaces, as tools.\n"
	"\n"
	"Commands:\n"
	"  ls       list namespaces: type, id, processes, owner, parent, what holds them\n"
	"  tree     user namespaces as the trunk, what each owns, nested pid namespaces\n"
	"  pin      keep namespaces of a process alive with bind mounts on files\n"
	"  unpin    remove such a pin\n"
	"  enter    run a command inside the namespaces of a process or container\n"
	"  limits   /proc/sys/user/max_*_namespaces beside how many exist, per user\n"
	"\n"
	"See cell ns COMMAND --help and cell-ns(1).\n";

static const char ls_usage[] =
	"Usage: cell ns ls [OPTIONS]\n"
	"\n"
	"List every namespace the caller can see: those of processes, of open file\n"
	"descriptors and of nsfs bind mounts (pins).\n"
	"\n"
	"Options:\n"
	"  -p, --task PID|CONTAINER  only the namespaces of this process\n"
	"  -t, --type TYPE[,TYPE]    only these types (cgroup ipc mnt net pid time user uts)\n"
	"  -o, --output COLS         columns to show, comma-separated (+COLS adds to the default)\n"
	"  -J, --json                JSON: {\"namespaces\": [{\"ns\": ..., ...}]}, all columns\n"
	"  -n, --noheadings          no header line\n"
	"      --root DIR            container state directory (default /run/cell, rootless\n"
	"                            $XDG_RUNTIME_DIR/cell)\n"
	"  -h, --help                show this help\n"
	"\n"
	"Columns (default: NS TYPE NPROCS PID USER OWNER OWNERUID PARENT HELD COMMAND):\n"
	"  NS        namespace id (the inode of its nsfs file)\n"
	"  TYPE      cgroup ipc mnt net pid time user uts\n"
	"  NPROCS    processes in it\n"
	"  PID       the lowest of them\n"
	"  USER      the user of that process\n"
	"  OWNER     the owning user namespace (NS_GET_USERNS; user: the parent)\n"
	"  OWNERUID  uid that created that user namespace (NS_GET_OWNER_UID)\n"
	"  PARENT    pid and user: the parent namespace (NS_GET_PARENT)\n"
	"  HELD      what keeps it alive: procs, fd, mount\n"
	"  NSFS      nsfs mount points (pins) of it\n"
	"  PATH      a path that opens it\n"
	"  COMMAND   command line of PID\n";

static const char limits_usage[] =
	"Usage: cell ns limits [OPTIONS]\n"
	"\n"
	"For each type: the per-user limit of /proc/sys/user/max_TYPE_namespaces, how many\n"
	"namespaces of it the caller can see now, and how many of those each user owns\n"
	"(the OWNERUID of `cell ns ls`).\n"
	"\n"
	"Options:\n"
	"  -J, --json   JSON: {\"limits\": [{\"type\", \"max\", \"count\", \"users\": {UID: N}}]}\n"
	"  -h, --help   show this help\n";

int cell_ns_fail(const struct cell_global *g, const struct cell_error *err)
{
	return cell_cli_fail(g, err);
}

const char *cell_ns_global_root(const struct cell_global *g)
{
	return g->root[0] ? g->root : NULL;
}

int cell_ns_print_json(json_t *json)
{
	char *text = json ? json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(json);
	if (!text) {
		fputs("cell: out of memory for JSON output\n", stderr);
		return CELL_EXIT_FAILURE;
	}
	puts(text);
	free(text);
	return 0;
}

/* ---- user names --------------------------------------------------------- */

/* Names of the owners of many processes: one /etc/passwd read per uid. */
static void user_name(uid_t uid, char *buf, size_t size)
{
	static struct {
		uid_t uid;
		char name[32];
	} cache[64];
	static size_t n_cache;

	for (size_t i = 0; i < n_cache; i++)
		if (cache[i].uid == uid) {
			snprintf(buf, size, "%s", cache[i].name);
			return;
		}
	cell_user_name(uid, buf, size);
	if (n_cache < sizeof(cache) / sizeof(cache[0])) {
		cache[n_cache].uid = uid;
		snprintf(cache[n_cache++].name, sizeof(cache[0].name), "%s", buf);
	}
}

/* ---- ls ----------------------------------------------------------------- */

struct ls_cli {
	struct cell_ns_scan_options scan;
	enum cell_ns_column cols[CELL_NS_MAX_COLUMNS];
	size_t n_cols;
	bool json, no_headings, help;
	const char *task, *root;
};

static void held_text(unsigned held, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", held & CELL_NS_HELD_PROCESS ? "procs" : "",
		 (held & CELL_NS_HELD_PROCESS) && (held & ~CELL_NS_HELD_PROCESS) ? "," : "",
		 held & CELL_NS_HELD_FD ? "fd" : "",
		 (held & CELL_NS_HELD_FD) && (held & CELL_NS_HELD_MOUNT) ? "," : "",
		 held & CELL_NS_HELD_MOUNT ? "mount" : "");
}

/* One cell of the table as text; "" for what is unknown or does not apply. */
static void cell_text(const struct cell_ns_entry *e, enum cell_ns_column c, char *buf, size_t size)
{
	buf[0] = '\0';
	switch (c) {
	case CELL_NS_COL_NS:
		snprintf(buf, size, "%llu", (unsigned long long)e->ino);
		break;
	case CELL_NS_COL_TYPE:
		snprintf(buf, size, "%s", cell_ns_info(e->type)->proc_name);
		break;
	case CELL_NS_COL_NPROCS:
		snprintf(buf, size, "%u", e->nprocs);
		break;
	case CELL_NS_COL_PID:
		if (e->pid)
			snprintf(buf, size, "%d", e->pid);
		break;
	case CELL_NS_COL_USER:
		if (e->pid)
			user_name(e->pid_uid, buf, size);
		break;
	case CELL_NS_COL_OWNER:
		if (e->owner)
			snprintf(buf, size, "%llu", (unsigned long long)e->owner);
		break;
	case CELL_NS_COL_OWNERUID:
		if (e->has_owner_uid)
			snprintf(buf, size, "%u", e->owner_uid);
		break;
	case CELL_NS_COL_PARENT:
		if (e->parent)
			snprintf(buf, size, "%llu", (unsigned long long)e->parent);
		break;
	case CELL_NS_COL_HELD:
		held_text(e->holders, buf, size);
		break;
	case CELL_NS_COL_NSFS:
		for (size_t i = 0, len = 0; e->mounts && e->mounts[i] && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
						e->mounts[i]);
		break;
	case CELL_NS_COL_PATH:
		snprintf(buf, size, "%s", e->path);
		break;
	case CELL_NS_COL_COMMAND:
		snprintf(buf, size, "%s", e->command ? e->command : "");
		break;
	case CELL_NS_COL_COUNT:
		break;
	}
}

static json_t *json_id(uint64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

static json_t *json_strv(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *json_held(unsigned held)
{
	json_t *a = json_array();

	if (held & CELL_NS_HELD_PROCESS)
		json_array_append_new(a, json_string("procs"));
	if (held & CELL_NS_HELD_FD)
		json_array_append_new(a, json_string("fd"));
	if (held & CELL_NS_HELD_MOUNT)
		json_array_append_new(a, json_string("mount"));
	return a;
}

static json_t *json_cell(const struct cell_ns_entry *e, enum cell_ns_column c)
{
	char buf[64];

	switch (c) {
	case CELL_NS_COL_NS:
		return json_id(e->ino);
	case CELL_NS_COL_NPROCS:
		return json_integer(e->nprocs);
	case CELL_NS_COL_PID:
		return e->pid ? json_integer(e->pid) : json_null();
	case CELL_NS_COL_USER:
		if (!e->pid)
			return json_null();
		user_name(e->pid_uid, buf, sizeof(buf));
		return json_string(buf);
	case CELL_NS_COL_OWNER:
		return json_id(e->owner);
	case CELL_NS_COL_OWNERUID:
		return e->has_owner_uid ? json_integer(e->owner_uid) : json_null();
	case CELL_NS_COL_PARENT:
		return json_id(e->parent);
	case CELL_NS_COL_HELD:
		return json_held(e->holders);
	case CELL_NS_COL_NSFS:
		return json_strv(e->mounts);
	case CELL_NS_COL_COMMAND:
		return e->command ? json_string(e->command) : json_null();
	case CELL_NS_COL_TYPE:
		return json_string(cell_ns_info(e->type)->proc_name);
	case CELL_NS_COL_PATH:
		return json_string(e->path);
	case CELL_NS_COL_COUNT:
		break;
	}
	return json_null();
}

static int ls_json(const struct ls_cli *cli, const struct cell_ns_list *list)
{
	json_t *root = json_object(), *a = json_array();
	char key[16];

	for (size_t i = 0; i < list->n; i++) {
		json_t *o = json_object();

		for (size_t c = 0; c < cli->n_cols; c++) {
			size_t k = 0;

			for (const char *s = cell_ns_column_name(cli->cols[c]); *s; s++)
				key[k++] = (char)(*s | 0x20); /* lower case: the names are A-Z */
			key[k] = '\0';
			json_object_set_new(o, key, json_cell(&list->ns[i], cli->cols[c]));
		}
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "namespaces", a);
	return cell_ns_print_json(root);
}

static void print_row(const struct ls_cli *cli, char (*cells)[512], const size_t *widths)
{
	for (size_t c = 0; c < cli->n_cols; c++) {
		bool last = c + 1 == cli->n_cols;

		printf("%-*s%s", last ? 0 : (int)widths[c], cells[c], last ? "\n" : " ");
	}
}

static int ls_table(const struct ls_cli *cli, const struct cell_ns_list *list)
{
	size_t widths[CELL_NS_MAX_COLUMNS] = { 0 };
	char cells[CELL_NS_MAX_COLUMNS][512];

	for (size_t c = 0; c < cli->n_cols; c++)
		widths[c] = strlen(cell_ns_column_name(cli->cols[c]));
	for (size_t i = 0; i < list->n; i++)
		for (size_t c = 0; c < cli->n_cols; c++) {
			cell_text(&list->ns[i], cli->cols[c], cells[c], sizeof(cells[c]));
			if (strlen(cells[c]) > widths[c])
				widths[c] = strlen(cells[c]);
		}
	if (!cli->no_headings) {
		for (size_t c = 0; c < cli->n_cols; c++)
			snprintf(cells[c], sizeof(cells[c]), "%s",
				 cell_ns_column_name(cli->cols[c]));
		print_row(cli, cells, widths);
	}
	for (size_t i = 0; i < list->n; i++) {
		for (size_t c = 0; c < cli->n_cols; c++)
			cell_text(&list->ns[i], cli->cols[c], cells[c], sizeof(cells[c]));
		print_row(cli, cells, widths);
	}
	return 0;
}

enum { OPT_ROOT = 1000 };

static const struct option ls_options[] = {
	{ "task", required_argument, NULL, 'p' },   { "type", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'J' },
	{ "noheadings", no_argument, NULL, 'n' },   { "root", required_argument, NULL, OPT_ROOT },
	{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
};

int cell_ns_option_error(int opt, char **argv, const char *cmd, struct cell_error *err)
{
	if (opt == ':')
		return cell_error_set(err, 0, "option '%s' needs an argument", argv[optind - 1]);
	return cell_error_set(
		err, 0, "unknown option '%s' (see cell ns %s --help)",
		optopt && optopt < 256 ? (char[]){ '-', (char)optopt, 0 } : argv[optind - 1], cmd);
}

static int ls_parse(int argc, char **argv, struct ls_cli *cli, struct cell_error *err)
{
	int opt, r;

	optind = 0; /* 0: glibc starts over, permuting options after arguments too */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:t:o:Jnh", ls_options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			cli->task = optarg;
			break;
		case 't':
			if ((r = cell_ns_parse_types(optarg, &cli->scan.types, err)) < 0)
				return r;
			break;
		case 'o':
			if ((r = cell_ns_parse_columns(optarg, cli->cols, &cli->n_cols, err)) < 0)
				return r;
			break;
		case 'J':
			cli->json = true;
			break;
		case 'n':
			cli->no_headings = true;
			break;
		case OPT_ROOT:
			cli->root = optarg;
			break;
		case 'h':
			cli->help = true;
			break;
		default:
			return cell_ns_option_error(opt, argv, "ls", err);
		}
	}
	if (optind < argc)
		return cell_error_set(err, 0, "unexpected argument '%s' (see cell ns ls --help)",
				      argv[optind]);
	return 0;
}

int cell_ns_cmd_ls(const struct cell_global *g, int argc, char **argv)
{
	struct ls_cli cli = { .root = cell_ns_global_root(g) };
	struct cell_ns_list list;
	struct cell_error err = { 0 };
	char buf[4096];
	int r;

	if (ls_parse(argc, argv, &cli, &err) < 0)
		return cell_ns_fail(g, &err);
	if (cli.help) {
		fputs(ls_usage, stdout);
		return 0;
	}
	if (!cli.n_cols && cli.json) { /* scripts get every column */
		for (int c = 0; c < CELL_NS_COL_COUNT; c++)
			cli.cols[cli.n_cols++] = (enum cell_ns_column)c;
	} else if (!cli.n_cols) {
		memcpy(cli.cols, cell_ns_default_columns,
		       cell_ns_n_default_columns * sizeof(cli.cols[0]));
		cli.n_cols = cell_ns_n_default_columns;
	}
	if (cli.task && cell_ns_resolve_target(
				cli.task, cell_ns_state_root(cli.root, geteuid(), buf, sizeof(buf)),
				&cli.scan.pid, &err) < 0)
		return cell_ns_fail(g, &err);
	if (cell_ns_scan(&cli.scan, &list, &err) < 0)
		return cell_ns_fail(g, &err);
	r = cli.json ? ls_json(&cli, &list) : ls_table(&cli, &list);
	cell_ns_list_free(&list);
	return r;
}

/* ---- limits ------------------------------------------------------------- */

struct user_count {
	uid_t uid;
	unsigned n;
};

/* Namespaces of @type by the uid charged for them: the creator of their user namespace. */
static size_t count_by_user(const struct cell_ns_list *list, enum cell_ns_type type,
			    struct user_count *out, size_t max, unsigned *total)
{
	size_t n = 0;

	*total = 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct cell_ns_entry *e = &list->ns[i];
		size_t j;

		if (e->type != type)
			continue;
		(*total)++;
		if (!e->has_owner_uid)
			continue;
		for (j = 0; j < n && out[j].uid != e->owner_uid; j++)
			;
		if (j == n && n < max)
			out[n++] = (struct user_count){ e->owner_uid, 0 };
		if (j < n)
			out[j].n++;
	}
	return n;
}

static long long read_max(enum cell_ns_type type)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/sys/user/max_%s_namespaces",
		 cell_ns_info(type)->proc_name);
	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), NULL) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

static int limits_print(const struct cell_ns_list *list, bool json)
{
	json_t *root = json_object(), *a = json_array();
	struct user_count users[64];

	if (!json)
		printf("%-7s %8s %6s  %s\n", "TYPE", "MAX", "COUNT", "BY OWNERUID");
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		unsigned total;
		size_t n = count_by_user(list, t, users, 64, &total);
		long long max = read_max(t);
		json_t *o = json_object(), *u = json_object();

		if (!json)
			printf("%-7s %8lld %6u ", cell_ns_info(t)->proc_name, max, total);
		for (size_t i = 0; i < n; i++) {
			char key[16];

			snprintf(key, sizeof(key), "%u", users[i].uid);
			json_object_set_new(u, key, json_integer(users[i].n));
			if (!json)
				printf(" %u:%u", users[i].uid, users[i].n);
		}
		if (!json)
			putchar('\n');
		json_object_set_new(o, "type", json_string(cell_ns_info(t)->proc_name));
		json_object_set_new(o, "max", max < 0 ? json_null() : json_integer(max));
		json_object_set_new(o, "count", json_integer(total));
		json_object_set_new(o, "users", u);
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "limits", a);
	if (json)
		return cell_ns_print_json(root);
	json_decref(root);
	return 0;
}

int cell_ns_cmd_limits(const struct cell_global *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cell_ns_scan_options scan = { 0 };
	struct cell_error err = { 0 };
	struct cell_ns_list list;
	bool json = false;
	int opt, r;

	optind = 0; /* 0: glibc starts over, permuting options after arguments too */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":Jh", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(limits_usage, stdout);
			return 0;
		}
		if (opt != 'J') {
			cell_ns_option_error(opt, argv, "limits", &err);
			return cell_ns_fail(g, &err);
		}
		json = true;
	}
	if (optind < argc) {
		cell_error_set(&err, 0, "unexpected argument '%s' (see cell ns limits --help)",
			       argv[optind]);
		return cell_ns_fail(g, &err);
	}
	if (cell_ns_scan(&scan, &list, &err) < 0)
		return cell_ns_fail(g, &err);
	r = limits_print(&list, json);
	cell_ns_list_free(&list);
	return r;
}

/* ---- dispatch ----------------------------------------------------------- */

int cell_cmd_ns(const struct cell_global *g, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct cell_global *g, int argc, char **argv);
	} subs[] = {
		{ "ls", cell_ns_cmd_ls },	  { "list", cell_ns_cmd_ls },
		{ "tree", cell_ns_cmd_tree },	  { "pin", cell_ns_cmd_pin },
		{ "unpin", cell_ns_cmd_unpin },	  { "enter", cell_ns_cmd_enter },
		{ "limits", cell_ns_cmd_limits },
	};
	struct cell_error err = { 0 };

	if (argc < 2) {
		fputs(ns_usage, stderr);
		return CELL_EXIT_FAILURE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(ns_usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(g, argc - 1, argv + 1);
	cell_error_set(&err, 0, "unknown command 'ns %s' (see cell ns --help)", argv[1]);
	return cell_cli_fail(g, &err);
}
