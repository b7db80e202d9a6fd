/* cell — `cell run` flags to spec edits. Parsing only: nothing here touches the system
 * beyond reading files named on the command line (/etc/passwd of the root, devices). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cell/ns.h"
#include "net_flags.h"
#include "ns_internal.h"
#include "rootfs.h"
#include "run_flags.h"
#include "security.h"
#include "spec.h"
#include "utils.h"

const char cell_run_usage[] =
	"Usage: cell run [OPTIONS] [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND isolated: new pid, mount, network (loopback only), uts, ipc and cgroup\n"
	"namespaces (and a user namespace when unprivileged), the host's root file system\n"
	"read-only, a fresh /proc, a minimal /dev, a writable /tmp, and an init as PID 1.\n"
	"\n"
	"Namespaces:\n"
	"  --unshare-TYPE            create a new TYPE namespace (user pid net ipc uts cgroup time all)\n"
	"  --share-TYPE              use the host's TYPE namespace (user pid net ipc uts cgroup time)\n"
	"Network:\n"
	"  --net MODE                none: a new network namespace with lo only (default)\n"
	"                            host: the host's network\n"
	"                            bridge[=NAME]: a veth on bridge NAME (default cell0) with NAT\n"
	"                            pasta, slirp4netns: user-mode networking (rootless)\n"
	"                            ns:PATH: join a pinned network namespace\n"
	"                            container:ID: join a running container's network\n"
	"  -p, --publish [HOSTIP:]HOSTPORT:PORT[/tcp|udp]  publish a container port on the host\n"
	"  --ip ADDR                 bridge: this IPv4 address (default: the next free one)\n"
	"  --subnet CIDR             bridge: its subnet when cell makes it (default 10.88.0.0/16)\n"
	"  --gateway ADDR            bridge: its address (default: the subnet's first)\n"
	"  --ipv6                    bridge: IPv6 too (ULA subnet, default fd63:656c:6c00::/64)\n"
	"  --subnet6 CIDR            bridge: the IPv6 subnet (implies --ipv6)\n"
	"  --net-rate RATE           bridge: limit bandwidth each way, e.g. 10mbit, 1gbit, 5mbps\n"
	"  --netdev HOSTDEV[:NAME]   move a host interface in (as NAME), and back at the end\n"
	"  --ns TYPE=PATH            join the TYPE namespace pinned at PATH (cell ns pin)\n"
	"  --pin TYPE=PATH           pin the new TYPE namespace on PATH: it outlives the run\n"
	"User namespace:\n"
	"  --uidmap C:H:N            map N uids from host H to container C (repeatable)\n"
	"  --gidmap C:H:N            the same for gids\n"
	"  --keep-id                 rootless: keep your uid inside instead of becoming 0\n"
	"  --subids                  rootless: map 0 to you and 1..N to your /etc/subuid range\n"
	"  --nested-userns           let the container make user namespaces of its own\n"
	"  -u, --user UID[:GID]      run COMMAND as this user (a number or a name in the root's\n"
	"                            /etc/passwd)\n"
	"PID 1:\n"
	"  --init                    built-in init as PID 1, COMMAND its child (default)\n"
	"  --no-init                 COMMAND itself is PID 1\n"
	"File system:\n"
	"  --rootfs DIR              use DIR as the root file system (pivot_root)\n"
	"  --read-only               mount the root read-only (the host's root always is)\n"
	"  --bind SRC DST            bind-mount host SRC on DST, read-write\n"
	"  --ro-bind SRC DST         bind-mount host SRC on DST, read-only\n"
	"  -v, --volume SRC:DST[:ro|rw]  the same, docker's way\n"
	"  --tmpfs DST[:OPTS]        a tmpfs on DST (OPTS e.g. size=64m,mode=1777; without size=,\n"
	"                            as /tmp's; without nr_inodes=, one per 16k; size=0: unbounded)\n"
	"  --tmp-size SIZE           size of /tmp (default: a quarter of RAM, at most 1g and\n"
	"                            at most half --memory; /var/tmp too)\n"
	"  --shm-size SIZE           size of /dev/shm (default 64m)\n"
	"  --propagation MODE        private rprivate slave rslave shared rshared (default rprivate)\n"
	"UTS and time:\n"
	"  --hostname NAME           host name inside (default cell)\n"
	"  --domainname NAME         NIS domain name inside\n"
	"  --monotonic-offset SECS   shift CLOCK_MONOTONIC inside (implies --unshare-time)\n"
	"  --boottime-offset SECS    shift CLOCK_BOOTTIME and /proc/uptime (implies --unshare-time)\n"
	"Limits (cgroups v1, v2 or hybrid):\n"
	"  --memory SIZE             memory limit (b, k, m, g)\n"
	"  --memory-swap SIZE        memory plus swap limit, -1 for unlimited swap\n"
	"  --cpus N                  CPU quota in CPUs, e.g. 1.5\n"
	"  --cpu-shares N            relative CPU weight (2..262144)\n"
	"  --cpu-quota US            CPU time per period, in microseconds\n"
	"  --cpu-period US           the period, in microseconds (default 100000)\n"
	"  --cpuset-cpus LIST        CPUs allowed, e.g. 0-1,3\n"
	"  --cpuset-mems LIST        memory nodes allowed\n"
	"  --pids-limit N            at most N tasks (-1 unlimited)\n"
	"  --blkio-weight N          block I/O weight (10..1000)\n"
	"  --device-read-bps DEV:RATE   read bandwidth limit on block device DEV\n"
	"  --device-write-bps DEV:RATE  write bandwidth limit on block device DEV\n"
	"Process:\n"
	"  -e, --env KEY[=VALUE]     set an environment variable (KEY alone copies cell's)\n"
	"  -w, --workdir DIR         working directory inside (default: yours if it exists, else /)\n"
	"  -t, --tty                 give COMMAND a new terminal relayed to yours\n"
	"  --cap-add CAP             add a capability (e.g. NET_ADMIN, or ALL)\n"
	"  --cap-drop CAP            drop a capability (or ALL)\n"
	"  --seccomp unconfined|FILE  no seccomp filter, or FILE's (Docker's JSON profile format\n"
	"                            or an OCI linux.seccomp object); default: cell's profile,\n"
	"                            Docker's semantics (EPERM for what it does not allow)\n"
	"  --name NAME               container name (default: a random id)\n"
	"  --env-file FILE           KEY=VALUE lines (KEY alone: the caller's value; # comments)\n"
	"  --ulimit NAME=SOFT[:HARD] an rlimit by docker's name (nofile, nproc, core...; -1)\n"
	"  --security-opt seccomp=unconfined|FILE, --security-opt no-new-privileges[=false]\n"
	"  --clearenv, --setenv VAR VALUE, --unsetenv VAR   as bubblewrap's\n"
	"  --dev-bind SRC DST        as --bind, and SRC's device nodes may be opened (bwrap's)\n"
	"  --symlink TARGET LINK     a symlink LINK -> TARGET inside, in order with the mounts\n"
	"                            (bwrap's; the host's root and --rootfs DIR stay unwritten)\n"
	"  --die-with-parent         end cell and the container when cell's parent ends\n"
	"  --rm, -i/--interactive, --new-session   accepted: what cell does anyway in the\n"
	"                            foreground (-d keeps the container for cell wait and\n"
	"                            logs until cell delete, its stdin /dev/null)\n"
	"\n"
	"bubblewrap's (bwrap(1)); a --bind, --ro-bind or --dev-bind on / is the root:\n"
	"  --bind-try, --ro-bind-try, --dev-bind-try SRC DST   skipped when SRC is missing\n"
	"  --proc DST, --mqueue DST  a procfs or mqueue on DST (--proc /proc: cell's own)\n"
	"  --dev /dev                accepted: cell's /dev (no other DST)\n"
	"  --dir DST                 a directory (bwrap: 0755), its parents too\n"
	"  --file, --bind-data, --ro-bind-data FD DST   a file holding FD's bytes bound\n"
	"                            on DST (0666, 0600, 0600 and read-only)\n"
	"  --chmod OCTAL PATH, --remount-ro DST   in their turn among the mounts\n"
	"  --perms OCTAL             the mode of the --dir, --file, --*-data or --tmpfs after it\n"
	"  --size SIZE               the size of the --tmpfs after it\n"
	"  --as-pid-1                as --no-init\n"
	"  --chdir DIR               as -w\n"
	"  --uid UID, --gid GID      the ids inside a user namespace of cell's (rootless: yours\n"
	"                            as UID; the one not given stays yours)\n"
	"  --unshare-user-try, --unshare-cgroup-try   made where the kernel allows\n"
	"  --disable-userns, --assert-userns-disabled  no user namespace inside (cell's way\n"
	"                            in a user namespace of its own; needs one)\n"
	"  --args FD                 NUL-separated arguments read from FD, in place\n"
	"  --info-fd FD              {\"child-pid\": PID, \"TYPE-namespace\": INODE...} once it runs\n"
	"  --json-status-fd FD       the same on one line, then {\"exit-code\": N}\n"
	"  --sync-fd FD              held open (never passed in) until the container ends\n"
	"\n"
	"From an OCI bundle (runc's flags; BUNDLE/config.json is the base spec that\n"
	"the flags above edit; `cell run [flags] ID [-- CMD]`):\n"
	"  -b, --bundle DIR          the bundle (default: . when ./config.json exists)\n"
	"  -f, --config FILE         the bundle's config by another name (relative to it)\n"
	"  -d, --detach              start the container and return (from flags: its output\n"
	"                            goes to `cell logs NAME`; `cell wait NAME` gives its status)\n"
	"  --pid-file FILE           write the container's host PID there\n"
	"  --console-socket PATH     send process.terminal's pty master to this socket\n"
	"  --preserve-fds N          pass fds 3..3+N-1 on to the container\n"
	"  --no-pivot, --no-new-keyring, --keep, --no-subreaper  as runc's\n"
	"  -h, --help                show this help\n"
	"\n"
	"Exit status: COMMAND's own; 128+N if it died by signal N; 125 if cell failed;\n"
	"126 if COMMAND could not be executed; 127 if it was not found.\n";

enum {
	OPT_UNSHARE = 1000,
	OPT_SHARE = 1100,
	OPT_NET = 1200,
	OPT_UIDMAP,
	OPT_GIDMAP,
	OPT_KEEP_ID,
	OPT_SUBIDS,
	OPT_INIT,
	OPT_NO_INIT,
	OPT_ROOTFS,
	OPT_READ_ONLY,
	OPT_BIND,
	OPT_RO_BIND,
	OPT_TMPFS,
	OPT_PROPAGATION,
	OPT_HOSTNAME,
	OPT_DOMAINNAME,
	OPT_MONOTONIC,
	OPT_BOOTTIME,
	OPT_MEMORY,
	OPT_MEMORY_SWAP,
	OPT_CPUS,
	OPT_CPU_SHARES,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_PIDS_LIMIT,
	OPT_BLKIO_WEIGHT,
	OPT_READ_BPS,
	OPT_WRITE_BPS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_NAME,
	OPT_UNSHARE_ALL,
	OPT_NS,
	OPT_PIN,
	OPT_IP,
	OPT_IPV6,
	OPT_SUBNET,
	OPT_SUBNET6,
	OPT_GATEWAY,
	OPT_NET_RATE,
	OPT_NETDEV,
	OPT_NESTED_USERNS,
	OPT_SECCOMP,
	OPT_TMP_SIZE,
	OPT_SHM_SIZE,
	/* runc's run flags: they do not edit the spec */
	OPT_OCI_FIRST = 2000,
	OPT_PID_FILE = OPT_OCI_FIRST,
	OPT_CONSOLE_SOCKET,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_PRESERVE_FDS,
	OPT_KEEP,
	OPT_NO_SUBREAPER,
	OPT_BUNDLE = 'b',
	OPT_DETACH = 'd',
	OPT_CONFIG = 'f',
};

#define NS_OPTS(type, name)                                                                        \
	{ "unshare-" name, no_argument, NULL, OPT_UNSHARE + (type) },                              \
	{                                                                                          \
		"share-" name, no_argument, NULL, OPT_SHARE + (type)                               \
	}

static const struct option long_options[] = {
	NS_OPTS(CELL_NS_USER, "user"),
	NS_OPTS(CELL_NS_PID, "pid"),
	NS_OPTS(CELL_NS_NET, "net"),
	NS_OPTS(CELL_NS_IPC, "ipc"),
	NS_OPTS(CELL_NS_UTS, "uts"),
	NS_OPTS(CELL_NS_CGROUP, "cgroup"),
	NS_OPTS(CELL_NS_TIME, "time"),
	{ "unshare-all", no_argument, NULL, OPT_UNSHARE_ALL },
	{ "net", required_argument, NULL, OPT_NET },
	{ "ns", required_argument, NULL, OPT_NS },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "publish", required_argument, NULL, 'p' },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "ipv6", no_argument, NULL, OPT_IPV6 },
	{ "subnet", required_argument, NULL, OPT_SUBNET },
	{ "subnet6", required_argument, NULL, OPT_SUBNET6 },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "net-rate", required_argument, NULL, OPT_NET_RATE },
	{ "netdev", required_argument, NULL, OPT_NETDEV },
	{ "uidmap", required_argument, NULL, OPT_UIDMAP },
	{ "gidmap", required_argument, NULL, OPT_GIDMAP },
	{ "keep-id", no_argument, NULL, OPT_KEEP_ID },
	{ "subids", no_argument, NULL, OPT_SUBIDS },
	{ "nested-userns", no_argument, NULL, OPT_NESTED_USERNS },
	{ "user", required_argument, NULL, 'u' },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "no-init", no_argument, NULL, OPT_NO_INIT },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "ro-bind", required_argument, NULL, OPT_RO_BIND },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "tmp-size", required_argument, NULL, OPT_TMP_SIZE },
	{ "shm-size", required_argument, NULL, OPT_SHM_SIZE },
	{ "propagation", required_argument, NULL, OPT_PROPAGATION },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "domainname", required_argument, NULL, OPT_DOMAINNAME },
	{ "monotonic-offset", required_argument, NULL, OPT_MONOTONIC },
	{ "boottime-offset", required_argument, NULL, OPT_BOOTTIME },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
	{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
	{ "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
	{ "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
	{ "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
	{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
	{ "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
	{ "device-read-bps", required_argument, NULL, OPT_READ_BPS },
	{ "device-write-bps", required_argument, NULL, OPT_WRITE_BPS },
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "tty", no_argument, NULL, 't' },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
	CELL_RUN_HABIT_OPTIONS,
	CELL_RUN_BWRAP_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int replace_string(char **dst, const char *src, struct cell_error *err)
{
	char *copy = strdup(src);

	if (!copy)
		return cell_error_set(err, ENOMEM, "%s", src);
	free(*dst);
	*dst = copy;
	return 0;
}

static int parse_long(const char *flag, const char *s, long long min, long long max, long long *out,
		      struct cell_error *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return cell_error_set(err, errno == ERANGE ? ERANGE : 0,
				      "%s '%s': expected a whole number from %lld to %lld", flag, s,
				      min, max);
	return 0;
}

/* The first --uidmap (--gidmap) replaces the default map; later ones add to it. */
static int add_map(struct cell_id_map **maps, size_t *n, bool *given, const char *s,
		   struct cell_error *err)
{
	struct cell_id_map m, *grown;
	int r = cell_parse_id_map(s, &m, err);

	if (r < 0)
		return r;
	if (!*given)
		*n = 0;
	*given = true;
	grown = realloc(*maps, (*n + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "id map %s", s);
	grown[(*n)++] = m;
	*maps = grown;
	return 0;
}

int cell_run_add_bind(struct cell_run_cli *cli, const char *src, const char *dst, bool ro,
		      struct cell_error *err)
{
	/* "ro" alone would leave the source's submounts writable (runc's meaning). */
	const char *opts[] = { "rbind", ro ? "ro" : "rw", ro ? "rro" : NULL, NULL };
	char abs[PATH_MAX];

	if (!realpath(src, abs))
		return cell_error_set(err, errno, "bind source %s", src);
	if (dst[0] != '/')
		return cell_error_set(err, 0, "bind destination '%s': expected an absolute path",
				      dst);
	/*
	 * A bind on / (bwrap's --ro-bind / /) is the root: SRC's tree, under
	 * every mount, cell's own (/proc, /dev, /tmp) and the flags' alike. A
	 * mount stacked on the root would be out of every path's reach, and make
	 * the container's root a chroot, where no user namespace can be made.
	 */
	if (dst[strspn(dst, "/")] == '\0') {
		cli->root_bound = true;
		cli->root_bound_ro = ro;
		cli->rootfs_given = strcmp(abs, "/") != 0;
		return replace_string(&cli->spec.root.path, abs, err);
	}
	return cell_spec_add_mount(&cli->spec, dst, "bind", abs, opts, err);
}

static int add_volume(struct cell_run_cli *cli, const char *arg, struct cell_error *err)
{
	cleanup_free char *copy = strdup(arg);
	char *dst, *mode;

	if (!copy)
		return cell_error_set(err, ENOMEM, "--volume");
	dst = strchr(copy, ':');
	if (!dst || copy[0] != '/')
		return cell_error_set(err, 0,
				      "--volume '%s': expected /HOST/PATH:/CONTAINER/PATH"
				      "[:ro|rw]",
				      arg);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))
		return cell_error_set(err, 0, "--volume '%s': mode '%s' is not ro or rw", arg,
				      mode);
	return cell_run_add_bind(cli, copy, dst, mode && !strcmp(mode, "ro"), err);
}

int cell_run_add_tmpfs(struct cell_spec *spec, const char *arg, struct cell_error *err)
{
	cleanup_free char *copy = strdup(arg);
	char **opts = NULL;
	char *colon, *tok, *save = NULL;
	int r;

	if (!copy)
		return cell_error_set(err, ENOMEM, "--tmpfs");
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (copy[0] != '/')
		return cell_error_set(err, 0, "--tmpfs '%s': expected an absolute path", arg);
	if (cell_strv_append(&opts, "nosuid") < 0 || cell_strv_append(&opts, "nodev") < 0)
		goto nomem;
	for (tok = colon ? strtok_r(colon, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save))
		if (cell_strv_append(&opts, tok) < 0)
			goto nomem;
	cell_spec_remove_mount(spec, copy);
	r = cell_spec_add_mount(spec, copy, "tmpfs", "tmpfs", (const char *const *)opts, err);
	cell_strv_free(opts);
	return r;
nomem:
	cell_strv_free(opts);
	return cell_error_set(err, ENOMEM, "--tmpfs");
}

static bool has_mount(const struct cell_spec *spec, const char *destination);

static int parse_tmpfs_size(const char *flag, const char *arg, int64_t *out, struct cell_error *err)
{
	if (cell_parse_size(arg, false, out, err) < 0)
		return cell_error_prefix(err, "%s", flag);
	if (*out == 0)
		return cell_error_set(err, 0, "%s '%s': expected a size above 0", flag, arg);
	return 0;
}

/* --tmp-size, --shm-size: the tmpfs mounted last on @dst (the one seen) gets @size. */
static int resize_tmpfs(struct cell_spec *spec, const char *flag, const char *dst, int64_t size,
			struct cell_error *err)
{
	for (size_t i = spec->n_mounts; i-- > 0;) {
		struct cell_mount *m = &spec->mounts[i];
		int r;

		if (strcmp(m->destination, dst))
			continue;
		if (!m->type || strcmp(m->type, "tmpfs"))
			return cell_error_set(err, 0, "%s: %s is a %s mount, not a tmpfs", flag,
					      dst, m->type ? m->type : "bind");
		if ((r = cell_tmpfs_set_size(m, (uint64_t)size, err)) < 0)
			return r;
		return cell_tmpfs_bound(m, (uint64_t)size, err);
	}
	return cell_error_set(err, ENOENT, "%s: no tmpfs on %s", flag, dst);
}

/*
 * Bounded writable space (issue 11): the size flags first, then every
 * writable tmpfs `cell run` made without a size gets one (tmpfs_bounds.c).
 * A bundle's mounts are its own: only the flags change them.
 */
static int bound_tmpfs(struct cell_run_cli *cli, struct cell_error *err)
{
	struct cell_spec *spec = &cli->spec;
	int r;

	if (cli->tmp_size) {
		if ((r = resize_tmpfs(spec, "--tmp-size", "/tmp", cli->tmp_size, err)) < 0)
			return r;
		/* the host root's other scratch directory (hide_host_dirs) follows /tmp */
		if (!cli->from_bundle && has_mount(spec, "/var/tmp") &&
		    (r = resize_tmpfs(spec, "--tmp-size", "/var/tmp", cli->tmp_size, err)) < 0)
			return r;
	}
	if (cli->shm_size &&
	    (r = resize_tmpfs(spec, "--shm-size", "/dev/shm", cli->shm_size, err)) < 0)
		return r;
	return cli->from_bundle ? 0 : cell_spec_bound_tmpfs(spec, err);
}

static int parse_offset(const char *flag, const char *s, struct cell_time_offset *t,
			struct cell_error *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || fabs(v) > 1e12)
		return cell_error_set(err, 0, "%s '%s': expected seconds, e.g. 86400 or -1.5", flag,
				      s);
	t->present = true;
	t->secs = (int64_t)floor(v);
	t->nanosecs = (uint32_t)((v - floor(v)) * 1e9);
	return 0;
}

static int add_device_rate(struct cell_device_rate **list, size_t *n, const char *flag,
			   const char *arg, struct cell_error *err)
{
	cleanup_free char *copy = strdup(arg);
	struct cell_device_rate *grown;
	struct stat st;
	int64_t rate;
	char *colon;
	int r;

	if (!copy)
		return cell_error_set(err, ENOMEM, "%s", flag);
	colon = strrchr(copy, ':');
	if (!colon)
		return cell_error_set(err, 0, "%s '%s': expected DEVICE:RATE", flag, arg);
	*colon = '\0';
	if ((r = cell_parse_size(colon + 1, false, &rate, err)) < 0)
		return cell_error_prefix(err, "%s", flag);
	if (stat(copy, &st) < 0)
		return cell_error_set(err, errno, "%s: device %s", flag, copy);
	if (!S_ISBLK(st.st_mode))
		return cell_error_set(err, ENOTBLK, "%s: %s", flag, copy);
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "%s", flag);
	grown[(*n)++] =
		(struct cell_device_rate){ major(st.st_rdev), minor(st.st_rdev), (uint64_t)rate };
	*list = grown;
	return 0;
}

static int set_propagation(struct cell_spec *spec, const char *mode, struct cell_error *err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} modes[] = {
		{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
		{ "slave", MS_SLAVE },	   { "rslave", MS_SLAVE | MS_REC },
		{ "shared", MS_SHARED },   { "rshared", MS_SHARED | MS_REC },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(mode, modes[i].name)) {
			spec->linux.rootfs_propagation = modes[i].flags;
			return 0;
		}
	}
	return cell_error_set(err, 0,
			      "--propagation '%s': expected private, rprivate, slave, "
			      "rslave, shared or rshared",
			      mode);
}

static int edit_caps(struct cell_run_cli *cli, const char *name, bool add, struct cell_error *err)
{
	struct cell_spec *spec = &cli->spec;
	struct cell_capabilities *c = &spec->process.capabilities;
	uint64_t all = cell_cap_last() >= 63 ? ~0ULL : (1ULL << (cell_cap_last() + 1)) - 1;
	uint64_t mask;
	int cap;

	if (!strcasecmp(name, "ALL")) {
		mask = all;
		cli->cap_add_all |= add;
	} else if ((cap = cell_cap_from_name(name)) >= 0 && cap <= cell_cap_last()) {
		mask = 1ULL << cap;
	} else {
		return cell_error_set(err, 0, "--cap-%s '%s': not a capability this kernel knows",
				      add ? "add" : "drop", name);
	}
	if (!c->present) /* rootless: it started from the full set */
		*c = (struct cell_capabilities){
			.present = true, .bounding = all, .effective = all, .permitted = all
		};
	if (add) {
		c->bounding |= mask;
		c->effective |= mask;
		c->permitted |= mask;
	} else {
		c->bounding &= ~mask;
		c->effective &= ~mask;
		c->permitted &= ~mask;
		c->inheritable &= ~mask;
		c->ambient &= ~mask;
	}
	return 0;
}

static int set_ns(struct cell_run_cli *cli, int type, bool present)
{
	cli->spec.linux.namespaces[type].present = present;
	return 0;
}

/* --ns TYPE=PATH and --pin TYPE=PATH: the type, and PATH in *@path. */
static int ns_path_arg(const char *flag, const char *arg, const char **path, struct cell_error *err)
{
	const char *eq = strchr(arg, '=');
	char name[32];
	int type;

	if (!eq || !eq[1] || eq - arg >= (long)sizeof(name))
		return cell_error_set(err, 0, "%s '%s': expected TYPE=PATH", flag, arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	type = cell_ns_from_name(name);
	if (type < 0)
		return cell_error_set(err, 0,
				      "%s '%s': namespace type '%s' is not one of cgroup, "
				      "ipc, mnt, net, pid, time, user, uts",
				      flag, arg, name);
	*path = eq + 1;
	return type;
}

/* The file must be a namespace of that type now, not when the container starts. */
static int join_ns_path(struct cell_run_cli *cli, const char *arg, struct cell_error *err)
{
	const char *path;
	int type = ns_path_arg("--ns", arg, &path, err), fd;
	struct cell_namespace *ns;

	if (type < 0)
		return type;
	if ((fd = cell_ns_open_path(path, type, NULL, err)) < 0)
		return cell_error_prefix(err, "--ns");
	close(fd);
	ns = &cli->spec.linux.namespaces[type];
	if (replace_string(&ns->path, path, err) < 0)
		return -ENOMEM;
	ns->present = true;
	/* a pinned mount namespace is entered as it is, not made a container root */
	if (type == CELL_NS_MNT)
		cli->spec.cell.keep_joined_mounts = true;
	return 0;
}

static int add_pin(struct cell_run_cli *cli, const char *arg, struct cell_error *err)
{
	const char *path;
	int type = ns_path_arg("--pin", arg, &path, err);

	if (type < 0)
		return type;
	cli->pin[type] = path;
	return 0;
}

/* Pins are taken by the parent right after clone3: only what clone3 makes. */
static int check_pins(struct cell_run_cli *cli, struct cell_error *err)
{
	for (int t = 0; t < CELL_NS_COUNT; t++) {
		const struct cell_namespace *ns = &cli->spec.linux.namespaces[t];
		const char *name = cell_ns_info(t)->proc_name;

		if (!cli->pin[t])
			continue;
		if (!ns->present || ns->path)
			return cell_error_set(err, 0,
					      "--pin %s: the container's %s namespace is "
					      "not a new one",
					      name, name);
		if (t == CELL_NS_TIME)
			return cell_error_set(err, 0,
					      "--pin time: the time namespace is made "
					      "inside the container; pin it with cell ns pin");
	}
	return 0;
}

static int set_resource(struct cell_resources *res, int opt, const char *flag, const char *arg,
			struct cell_error *err)
{
	int64_t size;
	long long n;
	int r = 0;

	switch (opt) {
	case OPT_MEMORY:
		if ((r = cell_parse_size(arg, true, &size, err)) == 0)
			res->has_memory_limit = true, res->memory_limit = size;
		break;
	case OPT_MEMORY_SWAP:
		if ((r = cell_parse_size(arg, true, &size, err)) == 0)
			res->has_memory_swap = true, res->memory_swap = size;
		break;
	case OPT_CPUS: {
		char *end;
		double cpus = strtod(arg, &end);

		if (end == arg || *end || !isfinite(cpus) || cpus <= 0 || cpus > 4096)
			return cell_error_set(err, 0,
					      "--cpus '%s': expected a positive number of "
					      "CPUs, e.g. 1.5",
					      arg);
		res->has_cpu_period = true;
		res->cpu_period = 100000;
		res->has_cpu_quota = true;
		res->cpu_quota = (int64_t)(cpus * 100000 + 0.5);
		break;
	}
	case OPT_CPU_SHARES:
		if ((r = parse_long(flag, arg, 2, 262144, &n, err)) == 0)
			res->has_cpu_shares = true, res->cpu_shares = (uint64_t)n;
		break;
	case OPT_CPU_QUOTA:
		if ((r = parse_long(flag, arg, -1, INT64_MAX, &n, err)) == 0)
			res->has_cpu_quota = true, res->cpu_quota = n;
		break;
	case OPT_CPU_PERIOD:
		if ((r = parse_long(flag, arg, 1000, 1000000, &n, err)) == 0)
			res->has_cpu_period = true, res->cpu_period = (uint64_t)n;
		break;
	case OPT_CPUSET_CPUS:
		return replace_string(&res->cpuset_cpus, arg, err);
	case OPT_CPUSET_MEMS:
		return replace_string(&res->cpuset_mems, arg, err);
	case OPT_PIDS_LIMIT:
		if ((r = parse_long(flag, arg, -1, INT64_MAX, &n, err)) == 0)
			res->has_pids_limit = true, res->pids_limit = n;
		break;
	case OPT_BLKIO_WEIGHT:
		if ((r = parse_long(flag, arg, 10, 1000, &n, err)) == 0)
			res->has_blkio_weight = true, res->blkio_weight = (uint16_t)n;
		break;
	case OPT_READ_BPS:
		return add_device_rate(&res->read_bps, &res->n_read_bps, flag, arg, err);
	case OPT_WRITE_BPS:
		return add_device_rate(&res->write_bps, &res->n_write_bps, flag, arg, err);
	}
	if (r < 0 && !strstr(err->msg, flag))
		cell_error_prefix(err, "%s", flag);
	return r;
}

static int handle_oci_option(struct cell_run_cli *cli, int opt, struct cell_error *err)
{
	char *end;
	unsigned long n;

	switch (opt) {
	case OPT_BUNDLE:
	case OPT_CONFIG:
		return 0; /* read before the spec: see load_base() */
	case OPT_DETACH:
		cli->detach = true;
		return 0;
	case OPT_PID_FILE:
		cli->pid_file = optarg;
		return 0;
	case OPT_CONSOLE_SOCKET:
		cli->console_socket = optarg;
		return 0;
	case OPT_NO_PIVOT:
		cli->no_pivot = true;
		return 0;
	case OPT_NO_NEW_KEYRING:
		cli->no_new_keyring = true;
		return 0;
	case OPT_KEEP:
		cli->keep = true;
		return 0;
	case OPT_NO_SUBREAPER:
		cli->no_subreaper = true;
		return 0;
	case OPT_PRESERVE_FDS:
		errno = 0;
		n = strtoul(optarg, &end, 10);
		if (!optarg[0] || *end || errno || n > 65536)
			return cell_error_set(
				err, 0, "--preserve-fds '%s': expected a number of fds", optarg);
		cli->preserve_fds = (unsigned)n;
		return 0;
	}
	return cell_error_set(err, EINVAL, "option %d", opt);
}

static int set_net_option(struct cell_network *net, int opt, const char *flag, const char *arg,
			  struct cell_error *err)
{
	switch (opt) {
	case OPT_IP:
		return replace_string(&net->ip, arg, err);
	case OPT_IPV6:
		net->ipv6 = true;
		return 0;
	case OPT_SUBNET:
		return replace_string(&net->subnet, arg, err);
	case OPT_SUBNET6:
		net->ipv6 = true;
		return replace_string(&net->subnet6, arg, err);
	case OPT_GATEWAY:
		return replace_string(&net->gateway, arg, err);
	default: /* OPT_NET_RATE */
		if (cell_parse_rate(arg, &net->rate, err) < 0)
			return cell_error_prefix(err, "%s", flag);
		return 0;
	}
}

static int handle_option(struct cell_run_cli *cli, int opt, const char *flag, char **argv, int argc,
			 struct cell_error *err)
{
	struct cell_spec *spec = &cli->spec;
	struct cell_linux *l = &spec->linux;
	int r;

	/* bubblewrap's --perms and --size: for the very next flag, a --tmpfs */
	if ((r = cell_run_bwrap_modifiers(cli, opt, opt == OPT_TMPFS, err)) < 0)
		return r;
	if ((opt >= OPT_OCI_FIRST && opt < OPT_OCI_FIRST + 100) || opt == OPT_BUNDLE ||
	    opt == OPT_DETACH || opt == OPT_CONFIG)
		return handle_oci_option(cli, opt, err);
	cli->any_flag = true;
	if ((opt >= CELL_OPT_HABIT_FIRST && opt < CELL_OPT_HABIT_END) ||
	    opt == CELL_OPT_INTERACTIVE)
		return cell_run_habit_option(cli, opt, flag, argv, argc, err);
	if (opt >= CELL_OPT_BWRAP_FIRST && opt < CELL_OPT_BWRAP_END)
		return cell_run_bwrap_option(cli, opt, flag, argv, argc, err);

	if (opt >= OPT_UNSHARE && opt < OPT_UNSHARE + CELL_NS_COUNT)
		return set_ns(cli, opt - OPT_UNSHARE, true);
	if (opt >= OPT_SHARE && opt < OPT_SHARE + CELL_NS_COUNT)
		return set_ns(cli, opt - OPT_SHARE, false);
	switch (opt) {
	case OPT_UNSHARE_ALL:
		for (int i = 0; i < CELL_NS_COUNT; i++)
			l->namespaces[i].present = true;
		return 0;
	case OPT_NET:
		return cell_net_flag_mode(spec, optarg, err);
	case 'p':
		return cell_net_flag_publish(&spec->cell.net, optarg, err);
	case OPT_NETDEV:
		return cell_net_flag_netdev(l, optarg, err);
	case OPT_UIDMAP: /* a map implies a user namespace, as in podman */
		l->namespaces[CELL_NS_USER].present = true;
		return add_map(&l->uid_mappings, &l->n_uid_mappings, &cli->uidmap_given, optarg,
			       err);
	case OPT_GIDMAP:
		l->namespaces[CELL_NS_USER].present = true;
		return add_map(&l->gid_mappings, &l->n_gid_mappings, &cli->gidmap_given, optarg,
			       err);
	case OPT_KEEP_ID:
		cli->userns_mode = CELL_USERNS_KEEP_ID;
		return 0;
	case OPT_SUBIDS:
		cli->userns_mode = CELL_USERNS_SUBIDS;
		return 0;
	case 'u':
		cli->user = optarg;
		return 0;
	case OPT_NESTED_USERNS:
		spec->cell.nested_userns = true;
		return 0;
	case OPT_INIT:
	case OPT_NO_INIT:
		spec->cell.init = opt == OPT_INIT;
		return 0;
	case OPT_ROOTFS: {
		char abs[PATH_MAX];

		if (!realpath(optarg, abs))
			return cell_error_set(err, errno, "--rootfs %s", optarg);
		cli->rootfs_given = true;
		cli->root_bound = false; /* the last of --rootfs and a bind on / is the root */
		return replace_string(&spec->root.path, abs, err);
	}
	case OPT_READ_ONLY:
		cli->read_only = true;
		return 0;
	case OPT_BIND:
	case OPT_RO_BIND:
		/* bubblewrap's two-argument form: --bind SRC DST */
		if (optind >= argc)
			return cell_error_set(err, 0, "%s needs two arguments: SRC DST", flag);
		return cell_run_add_bind(cli, optarg, argv[optind++], opt == OPT_RO_BIND, err);
	case 'v':
		return add_volume(cli, optarg, err);
	case OPT_TMPFS:
		return cell_run_bwrap_tmpfs(cli, optarg, err);
	case OPT_TMP_SIZE:
	case OPT_SHM_SIZE:
		return parse_tmpfs_size(flag, optarg,
					opt == OPT_TMP_SIZE ? &cli->tmp_size : &cli->shm_size, err);
	case OPT_PROPAGATION:
		return set_propagation(spec, optarg, err);
	case OPT_HOSTNAME:
		return replace_string(&spec->hostname, optarg, err);
	case OPT_DOMAINNAME:
		return replace_string(&spec->domainname, optarg, err);
	case OPT_MONOTONIC:
	case OPT_BOOTTIME:
		l->namespaces[CELL_NS_TIME].present = true;
		return parse_offset(flag, optarg,
				    opt == OPT_MONOTONIC ? &l->monotonic : &l->boottime, err);
	case 'e':
		if (!strchr(optarg, '=')) {
			const char *v = getenv(optarg);
			char buf[8192];

			if (!v)
				return 0; /* docker: an unset KEY is left out */
			snprintf(buf, sizeof(buf), "%s=%s", optarg, v);
			return cell_spec_set_env(spec, buf, err);
		}
		return cell_spec_set_env(spec, optarg, err);
	case 'w':
		if (optarg[0] != '/')
			return cell_error_set(err, 0, "--workdir '%s': expected an absolute path",
					      optarg);
		spec->cell.cwd_optional = false;
		return replace_string(&spec->process.cwd, optarg, err);
	case 't':
		spec->process.terminal = true;
		return 0;
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
		return edit_caps(cli, optarg, opt == OPT_CAP_ADD, err);
	case OPT_NAME:
		return replace_string(&cli->name, optarg, err);
	case OPT_SECCOMP:
		cli->seccomp = optarg;
		return 0;
	case OPT_NS:
		return join_ns_path(cli, optarg, err);
	case OPT_PIN:
		return add_pin(cli, optarg, err);
	case 'h':
		cli->help = true;
		return 0;
	}
	if (opt >= OPT_IP && opt <= OPT_NET_RATE)
		return set_net_option(&spec->cell.net, opt, flag, optarg, err);
	return set_resource(&l->resources, opt, flag, optarg, err);
}

/*
 * The caller's name from /etc/passwd, read directly: getpwuid(3) would load
 * NSS modules, which a static binary cannot do reliably.
 */
void cell_user_name(uint32_t uid, char *buf, size_t size)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	snprintf(buf, size, "%u", uid);
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid) {
			snprintf(buf, size, "%s", pw->pw_name);
			break;
		}
	if (f)
		fclose(f);
}

static int subid_maps(const char *file, uint32_t self, const char *flag, struct cell_id_map **maps,
		      size_t *n, struct cell_error *err)
{
	cleanup_free struct cell_id_map *ranges = NULL;
	size_t n_ranges = 0;
	uint32_t next = 1;
	char name[256];
	int r;

	cell_user_name(self, name, sizeof(name));
	r = cell_subid_ranges(file, name, self, &ranges, &n_ranges, err);
	if (r < 0)
		return r;
	if (n_ranges == 0)
		return cell_error_set(err, 0, "%s: %s has no subordinate ids for %s (uid %u)", flag,
				      file, name, self);
	*maps = calloc(n_ranges + 1, sizeof(**maps));
	if (!*maps)
		return cell_error_set(err, ENOMEM, "%s", flag);
	(*maps)[0] = (struct cell_id_map){ 0, self, 1 };
	for (size_t i = 0; i < n_ranges; i++) {
		(*maps)[i + 1] = (struct cell_id_map){ next, ranges[i].host_id, ranges[i].size };
		next += ranges[i].size;
	}
	*n = n_ranges + 1;
	return 0;
}

static int set_one_map(struct cell_id_map **maps, size_t *n, struct cell_id_map m,
		       struct cell_error *err)
{
	struct cell_id_map *one = calloc(1, sizeof(*one));

	if (!one)
		return cell_error_set(err, ENOMEM, "id map");
	*one = m;
	free(*maps);
	*maps = one;
	*n = 1;
	return 0;
}

/*
 * The spec's default stands (rootless: the caller is 0, a single id) unless a
 * flag says otherwise: --uidmap/--gidmap, --subids, --keep-id, or root asking
 * for a user namespace, which gets the identity map so host files keep
 * their owners.
 */
static int override_maps(struct cell_run_cli *cli, bool uid, struct cell_error *err)
{
	struct cell_linux *l = &cli->spec.linux;
	struct cell_id_map **maps = uid ? &l->uid_mappings : &l->gid_mappings;
	size_t *n = uid ? &l->n_uid_mappings : &l->n_gid_mappings;
	uint32_t self = uid ? cli->euid : cli->egid;

	if (uid ? cli->uidmap_given : cli->gidmap_given)
		return 0;
	if (cli->userns_mode == CELL_USERNS_SUBIDS) {
		free(*maps);
		*maps = NULL;
		*n = 0;
		return subid_maps(uid ? cli->subuid_file : cli->subgid_file, self, "--subids", maps,
				  n, err);
	}
	/* uid 0 of a user namespace (unshare -r) has no 4294967295 ids to map */
	if (cli->euid == 0 && cell_in_initial_userns())
		return set_one_map(maps, n, (struct cell_id_map){ 0, 0, UINT32_MAX }, err);
	if (cli->userns_mode == CELL_USERNS_KEEP_ID)
		return set_one_map(maps, n, (struct cell_id_map){ self, self, 1 }, err);
	/* bubblewrap's --uid and --gid: the caller's id is that one inside */
	if (uid ? cli->bwrap.uid_set : cli->bwrap.gid_set)
		return set_one_map(
			maps, n,
			(struct cell_id_map){ uid ? cli->bwrap.uid : cli->bwrap.gid, self, 1 },
			err);
	return 0;
}

/* A file of the container's root file system, as a host path. */
static void root_file(const struct cell_spec *spec, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", strcmp(spec->root.path, "/") ? spec->root.path : "", file);
}

/* docker's --user NAME: the groups that list NAME in the root's /etc/group. */
static int add_supplementary_groups(struct cell_run_cli *cli, const char *name, gid_t primary,
				    struct cell_error *err)
{
	char path[PATH_MAX];
	FILE *f;
	int r;

	root_file(&cli->spec, "/etc/group", path, sizeof(path));
	f = fopen(path, "re");
	r = cell_member_groups(f, name, primary, &cli->spec.process, err);
	if (f)
		fclose(f);
	return r;
}

/* A user name, looked up in the container's /etc/passwd, not the host's. */
static int lookup_user(struct cell_run_cli *cli, const char *name, struct cell_error *err)
{
	struct cell_process *p = &cli->spec.process;
	char path[PATH_MAX], home[PATH_MAX + 8];
	struct passwd *pw = NULL;
	FILE *f;
	int r;

	root_file(&cli->spec, "/etc/passwd", path, sizeof(path));
	f = fopen(path, "re");
	while (f && (pw = fgetpwent(f)) && strcmp(pw->pw_name, name))
		;
	if (!pw) {
		if (f)
			fclose(f);
		return cell_error_set(err, 0, "--user '%s': no such user in %s", name, path);
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(home, sizeof(home), "HOME=%s", pw->pw_dir);
	fclose(f);
	if ((r = cell_spec_set_env(&cli->spec, home, err)) < 0)
		return r;
	return add_supplementary_groups(cli, name, p->gid, err);
}

static int resolve_user(struct cell_run_cli *cli, struct cell_error *err)
{
	struct cell_process *p = &cli->spec.process;
	char name[256], *colon, *end;
	unsigned long id;
	int r;

	snprintf(name, sizeof(name), "%s", cli->user);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	id = strtoul(name, &end, 10);
	if (!name[0] || *end) {
		if ((r = lookup_user(cli, name, err)) < 0)
			return r;
	} else if (id > UINT32_MAX - 1) {
		return cell_error_set(err, ERANGE, "--user '%s'", cli->user);
	} else {
		p->uid = p->gid = (uint32_t)id;
	}
	if (!colon)
		return 0;
	id = strtoul(colon, &end, 10);
	if (!colon[0] || *end || id > UINT32_MAX - 1)
		return cell_error_set(err, 0,
				      "--user '%s': expected UID[:GID] with numbers or a "
				      "user name",
				      cli->user);
	p->gid = (uint32_t)id;
	return 0;
}

static int finish_process(struct cell_run_cli *cli, struct cell_error *err)
{
	struct cell_spec *spec = &cli->spec;
	struct cell_process *p = &spec->process;
	char buf[512];
	int r;

	if (cli->userns_mode == CELL_USERNS_KEEP_ID &&
	    spec->linux.namespaces[CELL_NS_USER].present) {
		p->uid = cli->euid;
		p->gid = cli->egid;
	}
	if (cli->bwrap.uid_set)
		p->uid = cli->bwrap.uid;
	if (cli->bwrap.gid_set)
		p->gid = cli->bwrap.gid;
	if (cli->user && (r = resolve_user(cli, err)) < 0)
		return r;
	/*
	 * --cap-add ALL means all that can be had: without a user namespace,
	 * cell's own permitted set; a new user namespace starts with a full one.
	 */
	if (cli->cap_add_all && !spec->linux.namespaces[CELL_NS_USER].present) {
		uint64_t bset = cell_caps_permitted();
		struct cell_capabilities *c = &p->capabilities;

		c->bounding &= bset;
		c->effective &= bset;
		c->permitted &= bset;
		c->inheritable &= bset;
		c->ambient &= bset;
	}
	/* docker: a non-root user starts with no effective capabilities. */
	if (p->uid != 0 && p->capabilities.present) {
		p->capabilities.effective = p->capabilities.permitted = 0;
		p->capabilities.inheritable = p->capabilities.ambient = 0;
	}
	if (p->terminal) {
		const char *term = getenv("TERM");

		snprintf(buf, sizeof(buf), "TERM=%s", term && term[0] ? term : "xterm");
		if ((r = cell_spec_set_env(spec, buf, err)) < 0)
			return r;
	}
	if (spec->hostname) {
		snprintf(buf, sizeof(buf), "HOSTNAME=%s", spec->hostname);
		if ((r = cell_spec_set_env(spec, buf, err)) < 0)
			return r;
	}
	return 0;
}

static bool has_mount(const struct cell_spec *spec, const char *destination)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].destination, destination))
			return true;
	return false;
}

/* Mount @type on @dst ahead of the flags' mounts (index *@at), unless a flag mounts there. */
static int add_early_mount(struct cell_spec *spec, size_t *at, const char *dst, const char *type,
			   const char *src, const char *const *opts, struct cell_error *err)
{
	int r;

	if (has_mount(spec, dst))
		return 0;
	if ((r = cell_spec_add_mount(spec, dst, type, src, opts, err)) < 0)
		return r;
	cell_spec_move_mount(spec, spec->n_mounts - 1, (*at)++);
	return 0;
}

/*
 * The host's own root keeps its sockets out of reach: root inside has
 * CAP_DAC_OVERRIDE and connects to any socket it can see, 0600 or not
 * (docker.sock, containerd's, D-Bus's and systemd's in /run); a rootless
 * one reaches its user's session bus in /run/user/UID. So empty tmpfs go
 * over /run, /var/run when it is a directory and not Debian's link to /run,
 * and /var/tmp (/tmp has its own already), ahead of every --bind, which
 * brings back what the user names (--bind /run/x.sock /run/x.sock). A
 * /etc/resolv.conf that leads into /run (systemd-resolved's stub file) is
 * bound back read-only, so names still resolve with --net host or bridge.
 */
static int hide_host_dirs(struct cell_run_cli *cli, struct cell_error *err)
{
	static const char *const tmpfs_opts[] = { "nosuid", "nodev", "mode=755", NULL };
	static const char *const tmp_opts[] = { "nosuid", "nodev", "mode=1777", NULL };
	static const char *const ro_bind[] = { "bind", "ro", NULL };
	struct cell_spec *spec = &cli->spec;
	char resolv[PATH_MAX];
	struct stat st;
	size_t at = 0;
	int r;

	if ((r = add_early_mount(spec, &at, "/run", "tmpfs", "tmpfs", tmpfs_opts, err)) < 0 ||
	    (r = add_early_mount(spec, &at, "/var/tmp", "tmpfs", "tmpfs", tmp_opts, err)) < 0)
		return r;
	if (lstat("/var/run", &st) == 0 && S_ISDIR(st.st_mode) &&
	    (r = add_early_mount(spec, &at, "/var/run", "tmpfs", "tmpfs", tmpfs_opts, err)) < 0)
		return r;
	if (realpath(cli->resolv_conf, resolv) && !strncmp(resolv, "/run/", 5))
		return add_early_mount(spec, &at, resolv, "bind", resolv, ro_bind, err);
	return 0;
}

/*
 * linux.seccomp: cell's default profile unless --seccomp says otherwise; a
 * bundle keeps its own (none is none: the runtime spec) unless the flag is
 * given. Entries conditional on a capability are resolved against the
 * bounding set. A rootless spec without capabilities keeps the full set, but
 * only inside its user namespace; there, as Podman does, the profile is the
 * one of the default set: a process inside must not make a user namespace
 * of its own, where it would be root over new mounts (issue 18).
 */
static int apply_seccomp(struct cell_run_cli *cli, struct cell_error *err)
{
	const struct cell_capabilities *c = &cli->spec.process.capabilities;
	struct cell_seccomp *s = &cli->spec.linux.seccomp;
	uint64_t caps = c->present ? c->bounding : cell_caps_default();
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	if (!cli->seccomp)
		return cli->from_bundle ? 0 : cell_seccomp_default(caps, s, err);
	if (!strcmp(cli->seccomp, "unconfined")) {
		cell_seccomp_free(s);
		return 0;
	}
	if ((r = cell_read_file(cli->seccomp, &text, &len, err)) < 0)
		return cell_error_prefix(err, "--seccomp");
	return cell_seccomp_from_profile(text, len, cli->seccomp, caps, s, err);
}

static int finish(struct cell_run_cli *cli, bool hostname_given, struct cell_error *err)
{
	struct cell_spec *spec = &cli->spec;
	struct cell_linux *l = &spec->linux;
	int r;

	if ((r = cell_run_bwrap_finish(cli, err)) < 0)
		return r;
	if (cli->rootfs_given)
		spec->root.readonly = cli->read_only || (cli->root_bound && cli->root_bound_ro);
	else if (cli->root_bound) /* --bind / /: the host's root, writable */
		spec->root.readonly = cli->read_only || cli->root_bound_ro;
	if (!cli->rootfs_given && (r = hide_host_dirs(cli, err)) < 0)
		return r;
	if ((r = check_pins(cli, err)) < 0)
		return r;
	if (l->namespaces[CELL_NS_USER].path) { /* a joined user namespace has its maps */
		free(l->uid_mappings);
		free(l->gid_mappings);
		l->uid_mappings = l->gid_mappings = NULL;
		l->n_uid_mappings = l->n_gid_mappings = 0;
	}
	if (!l->namespaces[CELL_NS_UTS].present && !hostname_given) {
		free(spec->hostname);
		spec->hostname = NULL;
	}
	if (l->namespaces[CELL_NS_USER].present && l->namespaces[CELL_NS_USER].path) {
		/* --ns user=PATH: its maps exist already; whether gid 5 is mapped there
		 * is unknown, so devpts goes without gid=5 */
		free(l->uid_mappings);
		free(l->gid_mappings);
		l->uid_mappings = l->gid_mappings = NULL;
		l->n_uid_mappings = l->n_gid_mappings = 0;
		cell_spec_fit_devpts_gid(spec);
	} else if (l->namespaces[CELL_NS_USER].present) {
		if ((r = override_maps(cli, true, err)) < 0 ||
		    (r = override_maps(cli, false, err)) < 0)
			return r;
		cell_spec_fit_devpts_gid(spec);
	} else if (cli->userns_mode != CELL_USERNS_DEFAULT) {
		return cell_error_set(err, 0, "--%s needs a user namespace (drop --share-user)",
				      cli->userns_mode == CELL_USERNS_KEEP_ID ? "keep-id"
									      : "subids");
	}
	if ((r = finish_process(cli, err)) < 0 || (r = bound_tmpfs(cli, err)) < 0)
		return r;
	return apply_seccomp(cli, err);
}

/*
 * runc's filepath.Abs: the working directory joined and "." and ".." removed
 * by name, without resolving symlinks (realpath(3) costs a readlink per
 * component on the start path).
 */
static int absolute_path(const char *in, char *out, size_t size)
{
	char buf[PATH_MAX];
	size_t len = 0;

	errno = 0;
	if (in[0] == '/')
		buf[0] = '\0';
	else if (!getcwd(buf, sizeof(buf)))
		return -1;
	if (strlen(buf) + strlen(in) + 2 > sizeof(buf) || size < 2)
		return -1;
	strcat(buf, "/");
	strcat(buf, in);
	out[0] = '\0';
	for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *slash = strrchr(out, '/');

			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
			continue;
		}
		if (len + strlen(c) + 2 > size)
			return -1;
		out[len++] = '/';
		strcpy(out + len, c);
		len += strlen(c);
	}
	if (!len)
		strcpy(out, "/");
	return 0;
}

/* @argv[*i] is --NAME VALUE, --NAME=VALUE or -SHORT VALUE: its value, else NULL. */
static const char *base_option(char **argv, int argc, int *i, const char *name, char shrt)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (!a || a[0] != '-')
		return NULL;
	if (((a[1] == shrt && !a[2]) || (a[1] == '-' && !strcmp(a + 2, name))) && *i + 1 < argc)
		return argv[++*i];
	if (a[1] == '-' && !strncmp(a + 2, name, n) && a[2 + n] == '=')
		return a + 3 + n;
	return NULL;
}

/*
 * The base spec: BUNDLE/config.json (or crun's --config FILE, relative to the
 * bundle) when --bundle or --config is given or ./config.json exists (runc's
 * run), else cell's defaults. Found before the flags are parsed, since they
 * edit it.
 */
static int load_base(struct cell_run_cli *cli, int argc, char **argv, struct cell_error *err)
{
	const char *bundle = NULL, *v;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if ((v = base_option(argv, argc, &i, "bundle", 'b')))
			bundle = v;
		else if ((v = base_option(argv, argc, &i, "config", 'f')))
			cli->config = v;
	}
	if (cli->config && !cli->config[0])
		return cell_error_set(err, EINVAL, "--config: an empty file name");
	if (!bundle && !cli->spec_mode && (cli->config || access("config.json", F_OK) == 0))
		bundle = ".";
	if (!bundle || cli->spec_mode)
		return cell_spec_default(&cli->spec, cli->euid, cli->egid, err);
	char abs[PATH_MAX];
	if (absolute_path(bundle, abs, sizeof(abs)) < 0)
		return cell_error_set(err, errno ? errno : ENAMETOOLONG, "--bundle %s", bundle);
	if (!(cli->bundle = strdup(abs)))
		return cell_error_set(err, ENOMEM, "--bundle");
	cli->from_bundle = true;
	int r = cell_spec_load_config(&cli->spec, abs, cli->config, err);
	return r < 0 ? r : cell_net_from_annotations(&cli->spec, err);
}

/* Bundle mode: `ID [-- CMD...]`; CMD, when given, replaces process.args. */
static int bundle_args(struct cell_run_cli *cli, int argc, char **argv, struct cell_error *err)
{
	int r;

	if (optind < argc && strcmp(argv[optind - 1], "--")) {
		free(cli->name);
		if (!(cli->name = strdup(argv[optind++])))
			return cell_error_set(err, ENOMEM, "container id");
		if (optind < argc && !strcmp(argv[optind], "--"))
			optind++;
	}
	if (optind < argc) {
		cell_strv_free(cli->spec.process.args);
		if (!(cli->spec.process.args = cell_strv_dup(argv + optind)))
			return cell_error_set(err, ENOMEM, "process.args");
	}
	if (!cli->spec.process.args)
		return cell_error_set(err, 0, "%s/%s: process: required to run", cli->bundle,
				      cli->config ? cli->config : "config.json");
	/* the id maps are the bundle's (linux.uidMappings), which --uidmap edits */
	if (cli->userns_mode != CELL_USERNS_DEFAULT)
		return cell_error_set(err, 0,
				      "--%s: a bundle brings its own id maps (linux.uidMappings "
				      "and gidMappings; --uidmap and --gidmap edit them)",
				      cli->userns_mode == CELL_USERNS_KEEP_ID ? "keep-id"
									      : "subids");
	if (cli->read_only || (cli->root_bound && cli->root_bound_ro))
		cli->spec.root.readonly = true;
	if ((r = cell_run_bwrap_finish(cli, err)) < 0 ||
	    (cli->user && (r = resolve_user(cli, err)) < 0) || (r = bound_tmpfs(cli, err)) < 0)
		return r;
	return apply_seccomp(cli, err);
}

int cell_run_parse(int argc, char **argv, uid_t euid, gid_t egid, struct cell_run_cli *cli,
		   struct cell_error *err)
{
	bool hostname_given = false;
	int opt, r;

	cli->euid = euid;
	cli->egid = egid;
	if (!cli->subuid_file)
		cli->subuid_file = "/etc/subuid";
	if (!cli->subgid_file)
		cli->subgid_file = "/etc/subgid";
	if (!cli->resolv_conf)
		cli->resolv_conf = "/etc/resolv.conf";
	if ((r = load_base(cli, argc, argv, err)) < 0)
		return r;
	optind = 1;
	opterr = 0;
	for (;;) {
		int idx = -1;
		char flag[64];

		opt = getopt_long(argc, argv, "+:u:v:e:w:tihb:dp:f:", long_options, &idx);
		if (opt == -1)
			break;
		/* getopt_long reports a long option's missing argument only by its val. */
		for (size_t i = 0; idx < 0 && optopt >= 256 && long_options[i].name; i++)
			if (long_options[i].val == optopt)
				idx = (int)i;
		if (idx >= 0)
			snprintf(flag, sizeof(flag), "--%s", long_options[idx].name);
		else if (optopt || (opt != '?' && opt != ':'))
			snprintf(flag, sizeof(flag), "-%c", optopt ? optopt : opt);
		else /* an unknown or argument-less long option: getopt names it nowhere else */
			snprintf(flag, sizeof(flag), "%s", argv[optind - 1]);
		if (opt == '?' && idx < 0 && flag[1] == '-' && cell_run_suggest(long_options, flag))
			return cell_error_set(err, 0,
					      "unknown option '%s'; did you mean '--%s'? (see "
					      "cell run --help)",
					      flag, cell_run_suggest(long_options, flag));
		if (opt == '?')
			return cell_error_set(err, 0, "unknown option '%s' (see cell run --help)",
					      flag);
		if (opt == ':')
			return cell_error_set(err, 0, "option '%s' needs an argument", flag);
		if (opt == OPT_HOSTNAME || opt == OPT_DOMAINNAME)
			hostname_given = true;
		if (opt == CELL_OPT_ARGS) { /* bubblewrap's: parsing goes on in FD's arguments */
			if ((r = cell_run_bwrap_args(cli, flag, optarg, &argc, &argv, err)) < 0)
				return r;
			continue;
		}
		if ((r = handle_option(cli, opt, flag, argv, argc, err)) < 0)
			return r;
	}
	if (cli->help)
		return 0;
	if (cli->from_bundle)
		return bundle_args(cli, argc, argv, err);
	if (optind >= argc && cli->spec_mode && !cli->spec.process.args) {
		char *sh[] = { "sh", NULL };

		if (!(cli->spec.process.args = cell_strv_dup(sh)))
			return cell_error_set(err, ENOMEM, "process.args");
		return finish(cli, hostname_given, err);
	}
	if (optind >= argc)
		return cell_error_set(err, 0, "no command given (see cell run --help)");
	cli->spec.process.args = cell_strv_dup(argv + optind);
	if (!cli->spec.process.args)
		return cell_error_set(err, ENOMEM, "process.args");
	return finish(cli, hostname_given, err);
}

void cell_run_cli_free(struct cell_run_cli *cli)
{
	cell_spec_free(&cli->spec);
	free(cli->name);
	free(cli->bundle);
	cell_run_bwrap_free(&cli->bwrap);
	memset(cli, 0, sizeof(*cli));
}
