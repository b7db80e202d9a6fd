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
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &state, &start) != 2)
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

static int parse_ports(const char *s, struct cell_net_lease *l)
{
	cleanup_free char *copy = strdup(s);
	char *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	if (!strcmp(s, "-"))
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct cell_port p = { 0 }, *grown;
		char proto[4], ip[16];
		unsigned hp, cp;

		if (sscanf(tok, "%3[a-z]:%15[0-9.*]:%u:%u", proto, ip, &hp, &cp) != 4)
			return -EINVAL;
		p.udp = !strcmp(proto, "udp");
		snprintf(p.host_ip, sizeof(p.host_ip), "%s", strcmp(ip, "*") ? ip : "");
		p.host_port = (uint16_t)hp;
		p.port = (uint16_t)cp;
		grown = realloc(l->ports, (l->n_ports + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		grown[l->n_ports++] = p;
		l->ports = grown;
	}
	return 0;
}

static int parse_bridge(struct cell_net_db *db, const char *line)
{
	struct cell_net_bridge b = { 0 }, *grown;
	char name[IFNAMSIZ], net4[32], gw4[32], net6[64];
	struct in_addr a;

	if (sscanf(line, "bridge %15s %31s %31s %63s", name, net4, gw4, net6) != 4)
		return -EINVAL;
	snprintf(b.name, sizeof(b.name), "%s", name);
	if (cell_parse_cidr(net4, AF_INET, &a, &b.len4) < 0)
		return -EINVAL;
	b.net4 = ntohl(a.s_addr);
	if (inet_pton(AF_INET, gw4, &a) != 1)
		return -EINVAL;
	b.gw4 = ntohl(a.s_addr);
	b.has6 = strcmp(net6, "-") != 0;
	if (b.has6 && cell_parse_cidr(net6, AF_INET6, &b.net6, &b.len6) < 0)
		return -EINVAL;
	grown = realloc(db->bridges, (db->n_bridges + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[db->n_bridges++] = b;
	db->bridges = grown;
	return 0;
}

static int parse_lease(struct cell_net_db *db, const char *line)
{
	struct cell_net_lease l = { 0 }, *grown;
	char ports[1024];
	int owner;

	if (sscanf(line, "lease %15s %15s %u %63s %d %llu %1023s", l.bridge, l.veth, &l.host,
		   l.id, &owner, &l.start, ports) != 7)
		return -EINVAL;
	l.owner = owner;
	if (parse_ports(ports, &l) < 0) {
		free(l.ports);
		return -EINVAL;
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

static int db_load(struct cell_net_db *db, struct cell_error *err)
{
	char path[PATH_MAX], line[2048];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/leases", db->dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : cell_error_set(err, errno, "open %s", path);
	while (r == 0 && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "bridge ", 7))
			r = parse_bridge(db, line);
		else if (!strncmp(line, "lease ", 6))
			r = parse_lease(db, line);
		else if (sscanf(line, "forward %d %d", &db->forward_before, &db->forward6_before) != 2)
			r = -EINVAL;
	}
	fclose(f);
	if (r < 0)
		return cell_error_set(err, -r, "%s: damaged (%s)", path, line);
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

static void format_ports(const struct cell_net_lease *l, char *buf, size_t size)
{
	size_t used = 0;

	snprintf(buf, size, "-");
	for (size_t i = 0; i < l->n_ports && used < size; i++) {
		const struct cell_port *p = &l->ports[i];

		used += (size_t)snprintf(buf + used, size - used, "%s%s:%s:%u:%u", i ? "," : "",
					 p->udp ? "udp" : "tcp", p->host_ip[0] ? p->host_ip : "*",
					 p->host_port, p->port);
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
	char path[PATH_MAX], tmp[PATH_MAX], ports[1024];
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

		format_ports(l, ports, sizeof(ports));
		fprintf(f, "lease %s %s %u %s %d %llu %s\n", l->bridge, l->veth, l->host, l->id,
			(int)l->owner, l->start, ports);
	}
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;

		fclose(f);
		unlink(tmp);
		return cell_error_set(err, e, "write %s", tmp);
	}
	fclose(f);
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
