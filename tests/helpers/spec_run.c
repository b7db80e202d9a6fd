/*
 * cell-spec-run — a test driver: `cell run` plus the spec fields no flag
 * sets yet (mounts with any options, idmapped mounts, linux.devices, masked
 * and read-only paths, mountLabel, no_pivot), for the integration tests.
 *
 *   cell-spec-run [EDIT...] run [cell run flags] -- CMD [ARG...]
 *   cell-spec-run --bundle DIR      run DIR/config.json from DIR, as runc run does
 *
 *   --mount TYPE:SOURCE:DEST[:OPT,OPT...]   append to mounts[] (SOURCE may be empty)
 *   --mount-uidmap C:H:N / --mount-gidmap C:H:N   mappings of the last --mount
 *   --device PATH:TYPE:MAJOR:MINOR[:MODE[:UID:GID]]   MODE in octal
 *   --masked PATH / --readonly-path PATH    append to linux.maskedPaths / readonlyPaths
 *   --no-default-paths                      empty both lists first
 *   --mount-label LABEL / --no-pivot
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns_internal.h"
#include "run_flags.h"
#include "utils.h"

static int add_map(struct cell_id_map **maps, size_t *n, const char *arg, struct cell_error *err)
{
	struct cell_id_map *grown = realloc(*maps, (*n + 1) * sizeof(**maps));

	if (!grown)
		return cell_error_set(err, ENOMEM, "map");
	*maps = grown;
	return cell_parse_id_map(arg, &(*maps)[(*n)++], err);
}

static int add_mount(struct cell_spec *spec, char *arg, struct cell_error *err)
{
	char *type = strsep(&arg, ":"), *src = strsep(&arg, ":"), *dst = strsep(&arg, ":");
	char **opts = NULL;
	int r;

	if (!dst)
		return cell_error_set(err, EINVAL, "--mount TYPE:SOURCE:DEST[:OPTS]");
	for (char *o = arg ? strsep(&arg, ",") : NULL; o; o = arg ? strsep(&arg, ",") : NULL)
		if (cell_strv_append(&opts, o) < 0)
			return cell_error_set(err, ENOMEM, "--mount");
	r = cell_spec_add_mount(spec, dst, type, src[0] ? src : NULL, (const char *const *)opts,
				err);
	cell_strv_free(opts);
	return r;
}

static int add_device(struct cell_linux *l, char *arg, struct cell_error *err)
{
	struct cell_device *grown = realloc(l->devices, (l->n_devices + 1) * sizeof(*grown));
	struct cell_device *d;
	char *f[7] = { 0 };

	if (!grown)
		return cell_error_set(err, ENOMEM, "--device");
	l->devices = grown;
	d = memset(&l->devices[l->n_devices], 0, sizeof(*d));
	for (int i = 0; i < 7 && arg; i++)
		f[i] = strsep(&arg, ":");
	if (!f[3])
		return cell_error_set(err, EINVAL,
				      "--device PATH:TYPE:MAJOR:MINOR[:MODE[:UID:GID]]");
	d->path = strdup(f[0]);
	l->n_devices++;
	d->type = f[1][0];
	d->major = strtoll(f[2], NULL, 10);
	d->minor = strtoll(f[3], NULL, 10);
	if ((d->has_file_mode = f[4] != NULL))
		d->file_mode = (uint32_t)strtoul(f[4], NULL, 8);
	if ((d->has_uid = d->has_gid = f[6] != NULL)) {
		d->uid = (uint32_t)strtoul(f[5], NULL, 10);
		d->gid = (uint32_t)strtoul(f[6], NULL, 10);
	}
	return d->path ? 0 : cell_error_set(err, ENOMEM, "--device");
}

static int apply_edit(struct cell_spec *spec, const char *opt, char *arg, struct cell_error *err)
{
	struct cell_mount *last = spec->n_mounts ? &spec->mounts[spec->n_mounts - 1] : NULL;
	struct cell_linux *l = &spec->linux;

	if (!strcmp(opt, "--mount"))
		return add_mount(spec, arg, err);
	if (!strcmp(opt, "--mount-uidmap") && last)
		return add_map(&last->uid_mappings, &last->n_uid_mappings, arg, err);
	if (!strcmp(opt, "--mount-gidmap") && last)
		return add_map(&last->gid_mappings, &last->n_gid_mappings, arg, err);
	if (!strcmp(opt, "--device"))
		return add_device(l, arg, err);
	if (!strcmp(opt, "--masked"))
		return cell_strv_append(&l->masked_paths, arg) < 0 ? -ENOMEM : 0;
	if (!strcmp(opt, "--readonly-path"))
		return cell_strv_append(&l->readonly_paths, arg) < 0 ? -ENOMEM : 0;
	if (!strcmp(opt, "--mount-label")) {
		free(l->mount_label);
		return (l->mount_label = strdup(arg)) ? 0 : -ENOMEM;
	}
	return cell_error_set(err, EINVAL, "unknown edit %s", opt);
}

static int run_spec(struct cell_spec *spec)
{
	struct cell_run_options opts = { .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
	struct cell_run_result result;
	struct cell_error err = { 0 };

	fflush(NULL);
	if (cell_run(spec, &opts, &result, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return 125;
	}
	return cell_exit_status(result.wait_status);
}

static int run_bundle(const char *dir)
{
	struct cell_spec spec;
	struct cell_error err = { 0 };
	char abs[4096];
	int status;

	/* runc runs in the bundle: relative mount sources start there. */
	if (!realpath(dir, abs) || chdir(abs) < 0) {
		fprintf(stderr, "cell: bundle %s: %s\n", dir, strerror(errno));
		return 125;
	}
	if (cell_spec_load(&spec, abs, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg);
		return 125;
	}
	status = run_spec(&spec);
	cell_spec_free(&spec);
	return status;
}

int main(int argc, char **argv)
{
	struct cell_run_cli cli = { 0 };
	struct cell_error err = { 0 };
	bool no_pivot = false;
	int first = 1, r;

	if (argc == 3 && !strcmp(argv[1], "--bundle"))
		return run_bundle(argv[2]);

	while (first < argc && strcmp(argv[first], "run"))
		first += !strcmp(argv[first], "--no-pivot") ||
					 !strcmp(argv[first], "--no-default-paths")
				 ? 1
				 : 2;
	if (first >= argc ||
	    cell_run_parse(argc - first, argv + first, geteuid(), getegid(), &cli, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err.msg[0] ? err.msg : "usage: see spec_run.c");
		return 125;
	}
	for (int i = 1; i < first; i++) {
		if (!strcmp(argv[i], "--no-pivot")) {
			no_pivot = true;
		} else if (!strcmp(argv[i], "--no-default-paths")) {
			cell_strv_free(cli.spec.linux.masked_paths);
			cell_strv_free(cli.spec.linux.readonly_paths);
			cli.spec.linux.masked_paths = cli.spec.linux.readonly_paths = NULL;
		} else if ((r = apply_edit(&cli.spec, argv[i], argv[i + 1], &err)) < 0) {
			fprintf(stderr, "cell: %s: %s\n", argv[i],
				err.msg[0] ? err.msg : strerror(-r));
			return 125;
		} else {
			i++;
		}
	}
	cli.spec.cell.no_pivot = no_pivot;
	r = run_spec(&cli.spec);
	cell_run_cli_free(&cli);
	return r;
}
