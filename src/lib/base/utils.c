/* cell — small helpers shared by the library: string vectors, kernel file I/O, parsers. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

/* ---- string vectors ---------------------------------------------------- */

size_t cell_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void cell_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void cell_strv_freep(char ***v)
{
	cell_strv_free(*v);
}

/*
 * NULL in gives NULL out, as does running out of memory: callers that may
 * pass NULL tell the two apart by their input.
 */
char **cell_strv_dup(char *const *v)
{
	size_t n = cell_strv_len(v);
	char **copy;

	if (!v)
		return NULL;
	copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(v[i]);
		if (!copy[i]) {
			cell_strv_free(copy); /* copy[i] == NULL ends the vector */
			return NULL;
		}
	}
	return copy;
}

/* *@v may be NULL (an empty vector); on failure it is left as it was. */
int cell_strv_append(char ***v, const char *s)
{
	size_t n = cell_strv_len(*v);
	char *copy = strdup(s);
	char **grown;

	if (!copy)
		return -ENOMEM;
	grown = reallocarray(*v, n + 2, sizeof(*grown));
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*v = grown;
	return 0;
}

/* ---- kernel files ------------------------------------------------------ */

/*
 * The directory to put in front of @name in a message: "uid_map" alone does
 * not say of which process, so ask /proc what @dirfd is. Empty when @name
 * stands on its own or /proc cannot tell.
 */
static void dir_prefix(int dirfd, const char *name, char *buf, size_t size)
{
	char link[64];
	ssize_t len;

	buf[0] = '\0';
	if (dirfd == AT_FDCWD || name[0] == '/')
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	len = readlink(link, buf, size - 2); /* room for '/' and NUL */
	if (len <= 0) {
		buf[0] = '\0';
		return;
	}
	if (buf[len - 1] != '/')
		buf[len++] = '/';
	buf[len] = '\0';
}

int cell_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0) /* would loop forever; no kernel file does this */
			return -EIO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * No O_CREAT: the targets are kernel files (/proc/PID/uid_map, cgroup
 * controls), and a missing one must fail rather than leave a regular file
 * behind. For those files the kernel acts on each write(2) separately, so
 * callers keep buffers whole; the loop only finishes a short write.
 */
int cell_write_at(int dirfd, const char *name, const char *buf, size_t len, struct cell_error *err)
{
	char dir[PATH_MAX];
	int fd, r;

	fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		dir_prefix(dirfd, name, dir, sizeof(dir));
		return cell_error_set(err, r, "open %s%s for writing", dir, name);
	}
	r = cell_write_all(fd, buf, len);
	/* close(2) reports deferred write errors on some file systems. */
	if (close(fd) < 0 && errno != EINTR && r == 0)
		r = -errno;
	if (r < 0) {
		dir_prefix(dirfd, name, dir, sizeof(dir));
		return cell_error_set(err, -r, "write %s%s", dir, name);
	}
	return 0;
}

int cell_read_file(const char *path, char **out, size_t *len, struct cell_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return cell_error_set(err, errno, "open %s", path);
	return cell_read_fd(fd, path, out, len, err);
}

int cell_read_fd(int fd, const char *what, char **out, size_t *len, struct cell_error *err)
{
	size_t size = 4096, n = 0;
	char *buf = NULL;

	for (;;) {
		if (n + 1 >= size || !buf) {
			char *grown = realloc(buf, size *= 2);

			if (!grown) {
				free(buf);
				return cell_error_set(err, ENOMEM, "read %s", what);
			}
			buf = grown;
		}
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return cell_error_set(err, e, "read %s", what);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Readers of @path see the old content or the new, never a part (rename(2)). */
int cell_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
			   struct cell_error *err)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return cell_error_set(err, ENAMETOOLONG, "%s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return cell_error_set(err, errno, "create %s", tmp);
	r = cell_write_all(fd, buf, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return cell_error_set(err, -r, "write %s", path);
	}
	return 0;
}

/* Reads to EOF or a full buffer: /proc files may hand out less per read(2). */
ssize_t cell_read_at(int dirfd, const char *name, char *buf, size_t size, struct cell_error *err)
{
	char dir[PATH_MAX];
	size_t len = 0;
	int fd, r = 0;

	if (size == 0)
		return cell_error_set(err, 0, "read %s: no room in a buffer of 0 bytes", name);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		dir_prefix(dirfd, name, dir, sizeof(dir));
		return cell_error_set(err, r, "open %s%s", dir, name);
	}
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (r) {
		dir_prefix(dirfd, name, dir, sizeof(dir));
		return cell_error_set(err, r, "read %s%s", dir, name);
	}
	return (ssize_t)len;
}

/* ---- sizes ------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1024-based multiplier of a unit letter, 0 if @c is none. */
static uint64_t size_unit(char c)
{
	switch (c | 0x20) { /* ASCII lower case */
	case 'b':
		return 1;
	case 'k':
		return 1ULL << 10;
	case 'm':
		return 1ULL << 20;
	case 'g':
		return 1ULL << 30;
	case 't':
		return 1ULL << 40;
	default:
		return 0;
	}
}

/*
 * floor(@unit * 0.DIGITS) for the @n digits at @frac, exactly: Horner's rule
 * from the last digit, v = (d * unit + v) / 10. Dropping v's fraction at each
 * step does not change the floor, and v stays below @unit, so nothing
 * overflows however many digits there are.
 */
static uint64_t size_fraction(const char *frac, size_t n, uint64_t unit)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = ((uint64_t)(frac[n] - '0') * unit + v) / 10;
	return v;
}

static int size_syntax_error(const char *s, bool allow_unlimited, struct cell_error *err)
{
	return cell_error_set(
		err, 0,
		"invalid size '%s': expected a number with an optional unit b, k, m, g "
		"or t%s",
		s, allow_unlimited ? ", or -1 for unlimited" : "");
}

/*
 * Grammar: DIGITS [ "." DIGITS ] [ UNIT [ "b" ] ], UNIT one of bkmgt in
 * either case. Docker accepts fractions and the "mb" spelling, so we do too;
 * fractions round down to whole bytes. No sign, no blanks.
 */
int cell_parse_size(const char *s, bool allow_unlimited, int64_t *out, struct cell_error *err)
{
	const char *p = s, *frac = NULL;
	uint64_t whole = 0, unit = 1, frac_bytes;
	size_t n_frac = 0;
	bool too_big = false;

	if (!s)
		return cell_error_set(err, 0, "invalid size: expected a number, got nothing");
	if (s[0] == '-') {
		if (strcmp(s, "-1") != 0 || !allow_unlimited)
			return cell_error_set(
				err, 0, "invalid size '%s': must not be negative%s", s,
				allow_unlimited ? " (only -1, unlimited, is allowed)" : "");
		*out = -1;
		return 0;
	}
	if (!is_digit(*p))
		return size_syntax_error(s, allow_unlimited, err);
	for (; is_digit(*p); p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (whole > (UINT64_MAX - digit) / 10)
			too_big = true; /* keep scanning: bad syntax is the clearer error */
		else
			whole = whole * 10 + digit;
	}
	if (*p == '.') {
		frac = ++p;
		while (is_digit(*p))
			p++;
		n_frac = (size_t)(p - frac);
		if (n_frac == 0)
			return size_syntax_error(s, allow_unlimited, err);
	}
	if (*p) {
		unit = size_unit(*p++);
		if (unit > 1 && (*p | 0x20) == 'b')
			p++;
		if (!unit || *p)
			return size_syntax_error(s, allow_unlimited, err);
	}
	frac_bytes = size_fraction(frac, n_frac, unit);
	/* whole * unit + frac_bytes <= INT64_MAX, without computing an overflow */
	if (too_big || whole > (INT64_MAX - frac_bytes) / unit)
		return cell_error_set(err, ERANGE, "invalid size '%s': more than %" PRId64 " bytes",
				      s, INT64_MAX);
	*out = (int64_t)(whole * unit + frac_bytes);
	return 0;
}

/* ---- random ids ------------------------------------------------------ */

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (!is_digit(*s))
			return false;
	return true;
}

/*
 * The id often becomes the hostname, and an all-digit hostname confuses
 * resolvers and tools that take it for a number; Docker redraws those ids
 * for the same reason (moby/moby#3869). That happens once in ~280 draws.
 */
void cell_hex(const void *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = in;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int cell_random_id(char out[13], struct cell_error *err)
{
	unsigned char bytes[6];

	do {
		size_t got = 0;

		while (got < sizeof(bytes)) {
			ssize_t r = getrandom(bytes + got, sizeof(bytes) - got, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return cell_error_set(err, errno, "getrandom for a container id");
			got += (size_t)r;
		}
		cell_hex(bytes, sizeof(bytes), out);
	} while (all_digits(out));
	return 0;
}

int cell_parse_rate(const char *s, uint64_t *bytes_per_sec, struct cell_error *err)
{
	/* tc(8)'s units: SI multiples of bits, or of bytes ("bps") per second */
	static const struct {
		const char *name;
		double bytes;
	} units[] = {
		{ "bit", 0.125 }, { "kbit", 125.0 }, { "mbit", 125e3 }, { "gbit", 125e6 },
		{ "bps", 1.0 },	  { "kbps", 1e3 },   { "mbps", 1e6 },	{ "gbps", 1e9 },
	};
	char *end;
	double v;

	errno = 0;
	v = s ? strtod(s, &end) : 0;
	if (!s || errno || end == s || !(v > 0) || v > 1e15)
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].name))
			continue;
		v *= units[i].bytes;
		if (v < 1 || v > 1e13)
			goto bad;
		*bytes_per_sec = (uint64_t)v;
		return 0;
	}
bad:
	return cell_error_set(err, 0,
			      "rate '%s': expected a positive number and a unit: "
			      "bit kbit mbit gbit (per second) or bps kbps mbps gbps (bytes)",
			      s ? s : "");
}

/*
 * CVE-2019-5736: until execve a process that enters a container runs cell's
 * own binary. A process of the container that may ptrace it can open
 * /proc/PID/exe and write the host's cell through it, or seize it and run
 * code as cell. Non-dumpable, both need CAP_SYS_PTRACE in the user namespace
 * cell was started in (ptrace(2), "Ptrace access mode checking"); execve of
 * the command makes a fresh, dumpable mm.
 */
int cell_set_non_dumpable(struct cell_error *err)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_DUMPABLE, 0)");
	return 0;
}

/*
 * Only stdio and fds 3 .. @first-1 may reach the command: an inherited fd of
 * a host directory or file would be the container's way out (CVE-2024-21626).
 * Close-on-exec rather than closed: cell's own fds stay usable until execve.
 */
int cell_fds_cloexec_from(unsigned int first, struct cell_error *err)
{
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return cell_error_set(err, errno,
				      "close_range(%u, ~0, CLOSE_RANGE_CLOEXEC): "
				      "mark inherited fds close-on-exec",
				      first);
	return 0;
}

/*
 * CVE-2024-21626: a working directory through /proc/self/fd/N follows the
 * magic link to whatever fd N names when chdir(2) runs — a host directory
 * cell inherited or holds open — and the container starts outside its root,
 * even after its mounts. Such a directory is not reachable from the
 * process's root: the getcwd syscall says so with a path that starts with
 * "(unreachable)" (getcwd(3)). runc makes the same check after chdir. The
 * raw syscall and a stack buffer: this runs in the CLONE_VM child.
 */
int cell_chdir_inside(const char *path, const char *what, struct cell_error *err)
{
	char buf[PATH_MAX];

	if (chdir(path) < 0)
		return cell_error_set(err, errno, "%s %s", what, path);
	if (syscall(SYS_getcwd, buf, sizeof(buf)) < 0 || buf[0] != '/')
		return cell_error_set(err, EPERM,
				      "%s %s: outside the container's root "
				      "(CVE-2024-21626)",
				      what, path);
	return 0;
}

/*
 * Rootless is "no privilege over the host", not "euid != 0": inside a user
 * namespace that rootless Podman (or `unshare -r`) made, the euid is 0 but
 * /run, the cgroup tree and the host's devices are as out of reach as for
 * the user outside. runc and crun ask the same question (runc's
 * userns.RunningInUserNS): the initial user namespace is the only one whose
 * uid_map is "0 0 4294967295" (user_namespaces(7)). A fact about the process,
 * read once; --rootless true|false overrides it (cell_rootless_force).
 */
static int rootless_forced = -1;

void cell_rootless_force(int on)
{
	rootless_forced = on;
}

static bool is_identity_map(const char *map)
{
	unsigned long inside, outside, count;
	const char *nl = strchr(map, '\n');

	return sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
	       outside == 0 && count == 4294967295UL && (!nl || !nl[1]);
}

bool cell_in_initial_userns(void)
{
	static int initial = -1;
	char buf[256];

	/* Without /proc, assume the host's: the old euid rule then decides. */
	if (initial < 0)
		initial =
			cell_read_at(AT_FDCWD, "/proc/self/uid_map", buf, sizeof(buf), NULL) <= 0 ||
			is_identity_map(buf);
	return initial;
}

bool cell_rootless(void)
{
	if (rootless_forced >= 0)
		return rootless_forced;
	return geteuid() != 0 || !cell_in_initial_userns();
}
