/*
 * cell — the network lease database: which bridges cell made, which address
 * each container holds and which host ports it published.
 *
 * One text file (DIR/leases) guarded by flock(2) on DIR/lock, so concurrent
 * runs never take the same address. A lease names the cell process that
 * owns it by PID and start time: when that process is gone (SIGKILL skips
 * every teardown), a sweep frees the lease, and the port rules, which are
 * rebuilt from this file, go with it.
 *
 *   forward 0 0          (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding before)
 *   bridge cell0 10.88.0.0/16 10.88.0.1 fd63:656c:6c00::/64
 *   lease cell0 cv1234 2 ID OWNER_PID OWNER_START tcp:*:8080:80,udp:127.0.0.1:53:53
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "net.h"
#include "utils.h"

int cell_parse_cidr(const char *s, int family, void *addr, int *len)
{
	char copy[INET6_ADDRSTRLEN + 8], *slash, *end;
	int max = family == AF_INET ? 32 : 128;
	long n;

	if (strlen(s) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, s);
	slash = strchr(copy, '/');
	if (!slash)
		return -EINVAL;
	*slash++ = '\0';
	errno = 0;
	n = strtol(slash, &end, 10);
	if (errno || end == slash || *end || n < 0 || n > max)
		return -EINVAL;
	if (inet_pton(family, copy, addr) != 1)
		return -EINVAL;
	*len = (int)n;
	return 0;
}

unsigned long long cell_net_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), NULL) < 0)
		return 0;
	/* after "pid (comm) ": field 3 on; the comm may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &state, &start) != 2)
		return 0;
	/* a zombie has exited: a detached container's first process waits to be
	 * reaped by whoever adopted it, which may take its time */
	return state == 'Z' || state == 'X' ? 0 : start;
}

/* mkdir -p for the few levels under /run or $XDG_RUNTIME_DIR; private. */
static int make_dirs(const char *dir, struct cell_error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return cell_error_set(err, errno, "mkdir %s", path);
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return cell_error_set(err, errno, "mkdir %s", path);
	return 0;
}

/*
 * The file is cell's own, written whole and renamed into place, so anything
 * it would not write is damage: the parser refuses it rather than guess. Each
 * field is a whitespace-separated token checked whole (sscanf's "%15s" would
 * cut a long name and read its tail as the next field, "%u" takes "-2").
 */

/* @s is a decimal number in [@min, @max], nothing else. */
static int parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* @s into @dst[@size], refused when it does not fit (never cut). */
static int copy_field(char *dst, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (len >= size)
		return -EINVAL;
	memcpy(dst, s, len + 1);
	return 0;
}

/* One published port: PROTO:HOSTIP:HOSTPORT:PORT, HOSTIP "*" for every address. */
static int parse_port(char *s, struct cell_port *p)
{
	char *proto, *ip, *host_port, *port, *save = NULL;
	struct in_addr a;
	long long n;

	proto = strtok_r(s, ":", &save);
	ip = strtok_r(NULL, ":", &save);
	host_port = strtok_r(NULL, ":", &save);
	port = strtok_r(NULL, "", &save);
	if (!port || (strcmp(proto, "tcp") && strcmp(proto, "udp")))
		return -EINVAL;
	p->udp = !strcmp(proto, "udp");
	if (strcmp(ip, "*")) {
		if (inet_pton(AF_INET, ip, &a) != 1 ||
		    copy_field(p->host_ip, sizeof(p->host_ip), ip))
			return -EINVAL;
	}
	if (parse_number(host_port, 1, UINT16_MAX, &n) < 0)
		return -EINVAL;
	p->host_port = (uint16_t)n;
	if (parse_number(port, 1, UINT16_MAX, &n) < 0)
		return -EINVAL;
	p->port = (uint16_t)n;
	return 0;
}

/* "-" or PORT[,PORT...]; an empty entry (",,", a trailing ",") is damage. */
static int parse_ports(const char *s, struct cell_net_lease *l)
{
	cleanup_free char *copy = NULL;
	char *tok, *next;

	if (!strcmp(s, "-"))
		return 0;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	for (tok = copy; tok; tok = next) {
		struct cell_port p = { 0 }, *grown;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (parse_port(tok, &p) < 0)
			return -EINVAL;
		grown = realloc(l->ports, (l->n_ports + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		grown[l->n_ports++] = p;
		l->ports = grown;
	}
	return 0;
}

/* forward V4 V6: the forwarding sysctls before the first bridge (-1: not read). */
static int parse_forward(struct cell_net_db *db, char **f, size_t n)
{
	long long v4, v6;

	if (n != 3 || db->forward_before >= 0 || parse_number(f[1], -1, INT32_MAX, &v4) < 0 ||
	    parse_number(f[2], -1, INT32_MAX, &v6) < 0 || v4 < 0)
		return -EINVAL;
	db->forward_before = (int)v4;
	db->forward6_before = (int)v6;
	return 0;
}

/* bridge NAME NET4/LEN GW4 NET6/LEN|- */
static int parse_bridge(struct cell_net_db *db, char **f, size_t n)
{
	struct cell_net_bridge b = { 0 }, *grown;
	struct in_addr a;

	if (n != 5 || copy_field(b.name, sizeof(b.name), f[1]) < 0 ||
	    cell_net_db_bridge(db, b.name))
		return -EINVAL;
	if (cell_parse_cidr(f[2], AF_INET, &a, &b.len4) < 0)
		return -EINVAL;
	b.net4 = ntohl(a.s_addr);
	if (inet_pton(AF_INET, f[3], &a) != 1)
		return -EINVAL;
	b.gw4 = ntohl(a.s_addr);
	b.has6 = strcmp(f[4], "-") != 0;
	if (b.has6 && cell_parse_cidr(f[4], AF_INET6, &b.net6, &b.len6) < 0)
		return -EINVAL;
	grown = realloc(db->bridges, (db->n_bridges + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[db->n_bridges++] = b;
	db->bridges = grown;
	return 0;
}

/* A second lease of one veth, address or container: one would outlive its teardown. */
static bool lease_taken(const struct cell_net_db *db, const struct cell_net_lease *l)
{
	for (size_t i = 0; i < db->n_leases; i++) {
		const struct cell_net_lease *o = &db->leases[i];

		/* "-": a user-mode network's lease has no veth and no bridge
		 * address, so any number of them may say so */
		if (!strcmp(o->id, l->id) || (strcmp(l->veth, "-") && !strcmp(o->veth, l->veth)) ||
		    (strcmp(l->bridge, "-") && !strcmp(o->bridge, l->bridge) && o->host == l->host))
			return true;
	}
	return false;
}

/* lease BRIDGE VETH HOST ID OWNER_PID OWNER_START PORTS */
static int parse_lease(struct cell_net_db *db, char **f, size_t n)
{
	struct cell_net_lease l = { 0 }, *grown;
	long long v;
	int r;

	if (n != 8 || copy_field(l.bridge, sizeof(l.bridge), f[1]) < 0 ||
	    copy_field(l.veth, sizeof(l.veth), f[2]) < 0 ||
	    copy_field(l.id, sizeof(l.id), f[4]) < 0)
		return -EINVAL;
	/* host 0 only without a bridge: a user-mode network's lease (net.c, lease_add) */
	if (parse_number(f[3], strcmp(l.bridge, "-") ? 1 : 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	l.host = (uint32_t)v;
	if (parse_number(f[5], 1, INT32_MAX, &v) < 0)
		return -EINVAL;
	l.owner = (pid_t)v;
	/* the start time in clock ticks: 0 when the owner had none to read */
	if (parse_number(f[6], 0, LLONG_MAX, &v) < 0)
		return -EINVAL;
	l.start = (unsigned long long)v;
	if (lease_taken(db, &l))
		return -EINVAL;
	if ((r = parse_ports(f[7], &l)) < 0) {
		free(l.ports);
		return r;
	}
	grown = realloc(db->leases, (db->n_leases + 1) * sizeof(*grown));
	if (!grown) {
		free(l.ports);
		return -ENOMEM;
	}
	grown[db->n_leases++] = l;
	db->leases = grown;
	return 0;
}

/* One line, without its newline: split into fields, then by its first word. */
static int parse_line(struct cell_net_db *db, char *line)
{
	char *f[9], *save = NULL;
	size_t n = 0;

	for (char *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n == sizeof(f) / sizeof(f[0]))
			return -EINVAL;
		f[n++] = tok;
	}
	if (n == 0)
		return -EINVAL;
	if (!strcmp(f[0], "forward"))
		return parse_forward(db, f, n);
	if (!strcmp(f[0], "bridge"))
		return parse_bridge(db, f, n);
	if (!strcmp(f[0], "lease"))
		return parse_lease(db, f, n);
	return -EINVAL;
}

/* The line as the error message shows it: one line, printable, bounded. */
static void quote_line(char *dst, size_t size, const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < size - 1; i++)
		dst[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	dst[i] = '\0';
}

static int db_load(struct cell_net_db *db, struct cell_error *err)
{
	char path[PATH_MAX], shown[128];
	cleanup_free char *line = NULL;
	size_t size = 0;
	unsigned lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/leases", db->dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "open %s", path);
	/* getline: a lease with many published ports is one long line, read whole */
	errno = 0;
	while ((len = getline(&line, &size, f)) > 0) {
		lineno++;
		quote_line(shown, sizeof(shown), line, (size_t)len - (line[len - 1] == '\n'));
		/* every line cell writes ends in one: without it the file was cut short */
		if (line[len - 1] != '\n') {
			fclose(f);
			return cell_error_set(err, EINVAL, "%s: damaged at line %u, cut short (%s)",
					      path, lineno, shown);
		}
		line[len - 1] = '\0';
		if ((size_t)len - 1 != strlen(line))
			r = -EINVAL; /* a NUL byte inside */
		else
			r = parse_line(db, line);
		if (r < 0) {
			fclose(f);
			if (r == -ENOMEM)
				return cell_error_set(err, ENOMEM, "%s: line %u", path, lineno);
			return cell_error_set(err, EINVAL, "%s: damaged at line %u (%s)", path,
					      lineno, shown);
		}
		errno = 0;
	}
	r = ferror(f) ? -(errno ? errno : EIO) : 0;
	fclose(f);
	if (r < 0)
		return cell_error_set(err, -r, "read %s", path);
	return 0;
}

int cell_net_db_open(struct cell_net_db *db, const char *dir, struct cell_error *err)
{
	char path[PATH_MAX];
	int r;

	memset(db, 0, sizeof(*db));
	db->forward_before = db->forward6_before = -1;
	snprintf(db->dir, sizeof(db->dir), "%s", dir);
	if ((r = make_dirs(dir, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lock", dir);
	db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (db->lock_fd < 0)
		return cell_error_set(err, errno, "open %s", path);
	while ((r = flock(db->lock_fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = cell_error_set(err, errno, "lock %s", path);
		db->lock_fd = safe_close(db->lock_fd);
		return r;
	}
	if ((r = db_load(db, err)) < 0)
		cell_net_db_close(db);
	return r;
}

/* Every port, unbounded: a fixed buffer would cut the last one short (a wrong port). */
static void write_ports(FILE *f, const struct cell_net_lease *l)
{
	if (!l->n_ports)
		fputs("-", f);
	for (size_t i = 0; i < l->n_ports; i++) {
		const struct cell_port *p = &l->ports[i];

		fprintf(f, "%s%s:%s:%u:%u", i ? "," : "", p->udp ? "udp" : "tcp",
			p->host_ip[0] ? p->host_ip : "*", p->host_port, p->port);
	}
}

static void write_bridge(FILE *f, const struct cell_net_bridge *b)
{
	char net4[INET_ADDRSTRLEN], gw4[INET_ADDRSTRLEN], net6[INET6_ADDRSTRLEN];
	struct in_addr n = { htonl(b->net4) }, g = { htonl(b->gw4) };

	inet_ntop(AF_INET, &n, net4, sizeof(net4));
	inet_ntop(AF_INET, &g, gw4, sizeof(gw4));
	if (b->has6)
		fprintf(f, "bridge %s %s/%d %s %s/%d\n", b->name, net4, b->len4, gw4,
			inet_ntop(AF_INET6, &b->net6, net6, sizeof(net6)), b->len6);
	else
		fprintf(f, "bridge %s %s/%d %s -\n", b->name, net4, b->len4, gw4);
}

int cell_net_db_save(struct cell_net_db *db, struct cell_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/leases", db->dir);
	if (!db->n_bridges && !db->n_leases) {
		if (unlink(path) < 0 && errno != ENOENT)
			return cell_error_set(err, errno, "remove %s", path);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s/leases.new", db->dir);
	f = fopen(tmp, "we");
	if (!f)
		return cell_error_set(err, errno, "create %s", tmp);
	if (db->forward_before >= 0)
		fprintf(f, "forward %d %d\n", db->forward_before, db->forward6_before);
	for (size_t i = 0; i < db->n_bridges; i++)
		write_bridge(f, &db->bridges[i]);
	for (size_t i = 0; i < db->n_leases; i++) {
		const struct cell_net_lease *l = &db->leases[i];

		fprintf(f, "lease %s %s %u %s %d %llu ", l->bridge, l->veth, l->host, l->id,
			(int)l->owner, l->start);
		write_ports(f, l);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;

		fclose(f);
		unlink(tmp);
		return cell_error_set(err, e, "write %s", tmp);
	}
	if (fclose(f) != 0) {
		int e = errno;

		unlink(tmp);
		return cell_error_set(err, e, "write %s", tmp);
	}
	if (rename(tmp, path) < 0)
		return cell_error_set(err, errno, "rename %s", tmp);
	return 0;
}

void cell_net_db_close(struct cell_net_db *db)
{
	for (size_t i = 0; i < db->n_leases; i++)
		free(db->leases[i].ports);
	free(db->leases);
	free(db->bridges);
	safe_close(db->lock_fd); /* releases the flock */
	db->leases = NULL;
	db->bridges = NULL;
	db->n_leases = db->n_bridges = 0;
	db->lock_fd = -1;
}

struct cell_net_bridge *cell_net_db_bridge(struct cell_net_db *db, const char *name)
{
	for (size_t i = 0; i < db->n_bridges; i++)
		if (!strcmp(db->bridges[i].name, name))
			return &db->bridges[i];
	return NULL;
}

bool cell_net_bridge_used(const struct cell_net_db *db, const char *name)
{
	for (size_t i = 0; i < db->n_leases; i++)
		if (!strcmp(db->leases[i].bridge, name))
			return true;
	return false;
}

/*
 * (Its comm is "pasta", or "passt.avx2" once it re-executed itself for AVX2.)
 * pasta's daemon outlives a SIGKILLed cell: given a PID rather than a netns
 * path, it has no way to notice that the namespace is gone. Its pid file
 * says which process to stop, if that is still a pasta of ours.
 */
static void stop_stale_pasta(int dirfd)
{
	char text[32], path[64], comm[32];
	int pid;

	if (cell_read_at(dirfd, "pasta.pid", text, sizeof(text), NULL) < 0 ||
	    (pid = atoi(text)) <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (cell_read_at(AT_FDCWD, path, comm, sizeof(comm), NULL) < 0 ||
	    (strncmp(comm, "pasta", 5) && strncmp(comm, "passt", 5)))
		return;
	/* pasta makes itself non-dumpable, so /proc shows root as its owner;
	 * kill(2) itself refuses a process that is not ours */
	kill(pid, SIGKILL);
}

/* The container's state directory holds only plain files cell wrote. */
static void remove_state_dir(const char *dir, const char *id)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!id[0] || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	d = opendir(path);
	if (d)
		stop_stale_pasta(dirfd(d));
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(path);
}

void cell_net_db_drop_lease(struct cell_net_db *db, size_t i)
{
	remove_state_dir(db->dir, db->leases[i].id);
	free(db->leases[i].ports);
	memmove(&db->leases[i], &db->leases[i + 1], (db->n_leases - i - 1) * sizeof(*db->leases));
	db->n_leases--;
}

void cell_net_db_drop_bridge(struct cell_net_db *db, const char *name)
{
	struct cell_net_bridge *b = cell_net_db_bridge(db, name);

	if (!b)
		return;
	memmove(b, b + 1, (size_t)(db->bridges + db->n_bridges - b - 1) * sizeof(*b));
	db->n_bridges--;
}
