/*
 * cell — mounts[].options to system call arguments: one table, as runc and
 * crun accept them.
 *
 * Plain flags (ro, nosuid, noatime...) go to mount(2) for a new file system;
 * on a bind they change the top mount only, as runc's remount does. The r*
 * variants (rro, rnosuid...) go to mount_setattr(2) with AT_RECURSIVE and
 * reach every mount of the tree. Later options override earlier ones.
 */
#include <errno.h>
#include <linux/mount.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "mounts.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum option_kind {
	OPT_FLAG,	 /* MS_* */
	OPT_RECURSIVE,	 /* MOUNT_ATTR_* with AT_RECURSIVE */
	OPT_REC_ATIME,	 /* MOUNT_ATTR_* of the atime field (one value, not bits) */
	OPT_PROPAGATION, /* MS_SHARED... | MS_REC */
	OPT_BIND,	 /* MS_REC for rbind */
	OPT_IDMAP,	 /* 1 for ridmap */
	OPT_TMPCOPYUP,
	OPT_IGNORED,	 /* defaults, notmpcopyup */
	OPT_UNSUPPORTED, /* crun extensions cell does not carry out */
};

struct mount_option {
	const char *name;
	enum option_kind kind;
	bool clear;
	unsigned long value;
};

#define FLAG(n, v)                                                                                 \
	{                                                                                          \
		n, OPT_FLAG, false, v                                                              \
	}
#define UNFLAG(n, v)                                                                               \
	{                                                                                          \
		n, OPT_FLAG, true, v                                                               \
	}
#define REC(n, v)                                                                                  \
	{                                                                                          \
		n, OPT_RECURSIVE, false, v                                                         \
	}
#define UNREC(n, v)                                                                                \
	{                                                                                          \
		n, OPT_RECURSIVE, true, v                                                          \
	}

/* mount(8)'s file-system independent options and the runtimes' additions. */
static const struct mount_option options[] = {
	FLAG("ro", MS_RDONLY),
	UNFLAG("rw", MS_RDONLY),
	FLAG("nosuid", MS_NOSUID),
	UNFLAG("suid", MS_NOSUID),
	FLAG("nodev", MS_NODEV),
	UNFLAG("dev", MS_NODEV),
	FLAG("noexec", MS_NOEXEC),
	UNFLAG("exec", MS_NOEXEC),
	FLAG("sync", MS_SYNCHRONOUS),
	UNFLAG("async", MS_SYNCHRONOUS),
	FLAG("dirsync", MS_DIRSYNC),
	FLAG("remount", MS_REMOUNT),
	FLAG("mand", MS_MANDLOCK),
	UNFLAG("nomand", MS_MANDLOCK),
	FLAG("noatime", MS_NOATIME),
	UNFLAG("atime", MS_NOATIME),
	FLAG("nodiratime", MS_NODIRATIME),
	UNFLAG("diratime", MS_NODIRATIME),
	FLAG("relatime", MS_RELATIME),
	UNFLAG("norelatime", MS_RELATIME),
	FLAG("strictatime", MS_STRICTATIME),
	UNFLAG("nostrictatime", MS_STRICTATIME),
	FLAG("lazytime", MS_LAZYTIME),
	UNFLAG("nolazytime", MS_LAZYTIME),
	FLAG("nosymfollow", MS_NOSYMFOLLOW),
	UNFLAG("symfollow", MS_NOSYMFOLLOW),
	FLAG("silent", MS_SILENT),
	UNFLAG("loud", MS_SILENT),
	FLAG("iversion", MS_I_VERSION),
	UNFLAG("noiversion", MS_I_VERSION),
	REC("rro", MOUNT_ATTR_RDONLY),
	UNREC("rrw", MOUNT_ATTR_RDONLY),
	REC("rnosuid", MOUNT_ATTR_NOSUID),
	UNREC("rsuid", MOUNT_ATTR_NOSUID),
	REC("rnodev", MOUNT_ATTR_NODEV),
	UNREC("rdev", MOUNT_ATTR_NODEV),
	REC("rnoexec", MOUNT_ATTR_NOEXEC),
	UNREC("rexec", MOUNT_ATTR_NOEXEC),
	REC("rnodiratime", MOUNT_ATTR_NODIRATIME),
	UNREC("rdiratime", MOUNT_ATTR_NODIRATIME),
	REC("rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW),
	UNREC("rsymfollow", MOUNT_ATTR_NOSYMFOLLOW),
	/* The atime field holds one value: "ratime" (not noatime) is the kernel's
	 * default, relatime; "rnorelatime" leaves strictatime. */
	{ "rnoatime", OPT_REC_ATIME, false, MOUNT_ATTR_NOATIME },
	{ "ratime", OPT_REC_ATIME, false, MOUNT_ATTR_RELATIME },
	{ "rrelatime", OPT_REC_ATIME, false, MOUNT_ATTR_RELATIME },
	{ "rnorelatime", OPT_REC_ATIME, false, MOUNT_ATTR_STRICTATIME },
	{ "rstrictatime", OPT_REC_ATIME, false, MOUNT_ATTR_STRICTATIME },
	{ "private", OPT_PROPAGATION, false, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, false, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, false, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC },
	{ "bind", OPT_BIND, false, 0 },
	{ "rbind", OPT_BIND, false, MS_REC },
	{ "idmap", OPT_IDMAP, false, 0 },
	{ "ridmap", OPT_IDMAP, false, 1 },
	{ "tmpcopyup", OPT_TMPCOPYUP, false, 0 },
	{ "notmpcopyup", OPT_IGNORED, false, 0 },
	{ "defaults", OPT_IGNORED, false, 0 },
	{ "copy-symlink", OPT_UNSUPPORTED, false, 0 },
	{ "src-nofollow", OPT_UNSUPPORTED, false, 0 },
};

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

/* A start parses each mount's options a few times: no strcmp(3) that cannot match. */
static const struct mount_option *find_option(const char *name)
{
	if (strchr(name, '=')) /* size=, mode=...: the file system's; no name here has one */
		return NULL;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].name[0] == name[0] && !strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

static void apply_flag(struct cell_mount_opts *o, const struct mount_option *opt)
{
	if (opt->clear) {
		o->flags &= ~opt->value;
		o->cleared |= opt->value;
		return;
	}
	/* noatime, relatime and strictatime exclude each other: the last wins. */
	if (opt->value & ATIME_FLAGS)
		o->flags &= ~(unsigned long)ATIME_FLAGS;
	o->flags |= opt->value;
	o->cleared &= ~opt->value;
}

static void apply_recursive(struct cell_mount_opts *o, const struct mount_option *opt)
{
	switch (opt->kind) {
	case OPT_RECURSIVE:
		if (opt->clear) {
			o->rec_clr |= opt->value;
			o->rec_set &= ~(uint64_t)opt->value;
		} else {
			o->rec_set |= opt->value;
			o->rec_clr &= ~(uint64_t)opt->value;
		}
		break;
	case OPT_REC_ATIME:
		/* mount_setattr(2): changing the atime field needs all of it in attr_clr. */
		o->rec_set = (o->rec_set & ~(uint64_t)MOUNT_ATTR__ATIME) | opt->value;
		o->rec_clr |= MOUNT_ATTR__ATIME;
		break;
	default:
		break;
	}
}

static int append_data(struct cell_mount_opts *o, const char *opt, const char *dest,
		       struct cell_error *err)
{
	size_t len = strlen(o->data), sep = len > 0, add = strlen(opt);

	if (len + sep + add >= sizeof(o->data))
		return cell_error_set(err, E2BIG, "mounts[%s].options: longer than %zu bytes", dest,
				      sizeof(o->data) - 1);
	if (sep)
		o->data[len] = ',';
	memcpy(o->data + len + sep, opt, add + 1);
	return 0;
}

static int apply_option(struct cell_mount_opts *o, const char *name, const char *dest,
			struct cell_error *err)
{
	const struct mount_option *opt = find_option(name);

	/* mount(8): x-* options are for user space; the kernel never sees them. */
	if (!strncasecmp(name, "x-", 2))
		return 0;
	if (!opt)
		return append_data(o, name, dest, err);
	switch (opt->kind) {
	case OPT_FLAG:
		apply_flag(o, opt);
		break;
	case OPT_RECURSIVE:
	case OPT_REC_ATIME:
		apply_recursive(o, opt);
		break;
	case OPT_PROPAGATION:
		o->propagation = opt->value;
		break;
	case OPT_BIND:
		o->bind = true;
		o->recursive |= opt->value == MS_REC;
		break;
	case OPT_IDMAP:
		o->idmap = true;
		o->idmap_recursive |= opt->value == 1;
		break;
	case OPT_TMPCOPYUP:
		o->tmpcopyup = true;
		break;
	case OPT_IGNORED:
		break;
	case OPT_UNSUPPORTED:
		return cell_error_set(err, EOPNOTSUPP,
				      "mounts[%s].options: '%s' is a crun "
				      "extension cell does not carry out",
				      dest, name);
	}
	return 0;
}

static int check_idmap(const struct cell_mount *m, struct cell_mount_opts *o,
		       struct cell_error *err)
{
	if (!m->n_uid_mappings != !m->n_gid_mappings)
		return cell_error_set(err, EINVAL,
				      "mounts[%s]: uidMappings and gidMappings "
				      "go together",
				      m->destination);
	/* Mappings alone ask for an idmapped mount too (runc). */
	o->idmap |= m->n_uid_mappings > 0;
	if (o->idmap && !o->bind)
		return cell_error_set(err, EINVAL,
				      "mounts[%s]: an idmapped mount must be a bind "
				      "mount",
				      m->destination);
	if (o->tmpcopyup && (!m->type || strcmp(m->type, "tmpfs")))
		return cell_error_set(err, EINVAL, "mounts[%s].options: tmpcopyup needs a tmpfs",
				      m->destination);
	return 0;
}

int cell_mount_options_parse(const struct cell_mount *m, struct cell_mount_opts *o,
			     struct cell_error *err)
{
	const char *dest = m->destination ? m->destination : "";
	int r;

	memset(o, 0, offsetof(struct cell_mount_opts, data)); /* data: a string, 1 KiB */
	o->data[0] = '\0';
	o->bind = m->type && !strcmp(m->type, "bind");
	for (size_t i = 0; m->options && m->options[i]; i++)
		if ((r = apply_option(o, m->options[i], dest, err)) < 0)
			return r;
	return check_idmap(m, o, err);
}

static const struct {
	unsigned long flag;
	uint64_t attr;
} flag_attrs[] = {
	{ MS_RDONLY, MOUNT_ATTR_RDONLY },	  { MS_NOSUID, MOUNT_ATTR_NOSUID },
	{ MS_NODEV, MOUNT_ATTR_NODEV },		  { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
	{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
};

/*
 * A bind shares its source's superblock: of the flags, only the per-mount
 * ones (mount_setattr(2)) can differ; sync, dirsync, mand and lazytime
 * belong to the superblock and stay as the source has them.
 */
void cell_mount_attrs(const struct cell_mount_opts *o, uint64_t *set, uint64_t *clr)
{
	*set = *clr = 0;
	for (size_t i = 0; i < sizeof(flag_attrs) / sizeof(flag_attrs[0]); i++) {
		if (o->flags & flag_attrs[i].flag)
			*set |= flag_attrs[i].attr;
		else if (o->cleared & flag_attrs[i].flag)
			*clr |= flag_attrs[i].attr;
	}
	if (o->flags & MS_NOATIME)
		*set |= MOUNT_ATTR_NOATIME;
	else if (o->flags & MS_STRICTATIME || o->cleared & MS_RELATIME)
		*set |= MOUNT_ATTR_STRICTATIME;
	else if (!(o->flags & MS_RELATIME) && !(o->cleared & (MS_NOATIME | MS_STRICTATIME)))
		return; /* no atime option: the source's stays */
	*clr |= MOUNT_ATTR__ATIME;
}
