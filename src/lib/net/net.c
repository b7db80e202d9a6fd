/*
 * cell — the network of one run: a veth pair whose host end sits on a
 * bridge with NAT (--net bridge), user-mode networking (pasta,
 * slirp4netns), and host devices moved in (linux.netDevices).
 *
 *   prepare  (before clone3)  lease an address under the lock, make the
 *                             bridge on first use, rebuild the nft table,
 *                             write /etc/hosts and /etc/resolv.conf
 *   setup    (before GO)      veth into the child's netns, addresses,
 *                             routes and qdiscs on both ends (the container
 *                             end through a netlink socket made inside it)
 *   teardown (every path)     the reverse; a bridge goes with its last lease
 *
 * What a SIGKILLed cell leaves (a lease, its port rules, an unused bridge)
 * is freed by the next run's sweep or `cell gc`: the kernel deletes the veth
 * itself when the container's netns dies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "net.h"
#include "utils.h"

static const char *bridge_name(const struct cell_network *cfg)
{
	return cfg->bridge ? cfg->bridge : CELL_NET_DEFAULT_BRIDGE;
}

/* ---------------------------------------------------------------- sysctls */

static int sysctl_write(const char *path, const char *value, struct cell_error *err)
{
	return cell_write_at(AT_FDCWD, path, value, strlen(value), err);
}

static int sysctl_read(const char *path)
{
	char buf[16];

	if (cell_read_at(AT_FDCWD, path, buf, sizeof(buf), NULL) < 0)
		return -1;
	return atoi(buf);
}

/* ip_forward goes on with the first bridge and back to what it was with the last. */
static int forwarding_on(struct cell_net_db *db, bool v6, struct cell_error *err)
{
	static const char v4_path[] = "/proc/sys/net/ipv4/ip_forward";
	static const char v6_path[] = "/proc/sys/net/ipv6/conf/all/forwarding";
	int r;

	if (db->forward_before < 0)
		db->forward_before = sysctl_read(v4_path);
	if ((r = sysctl_write(v4_path, "1", err)) < 0)
		return r;
	if (!v6)
		return 0;
	if (db->forward6_before < 0)
		db->forward6_before = sysctl_read(v6_path);
	return sysctl_write(v6_path, "1", err);
}

static void forwarding_restore(struct cell_net_db *db)
{
	if (db->n_bridges)
		return;
	if (db->forward_before == 0)
		sysctl_write("/proc/sys/net/ipv4/ip_forward", "0", NULL);
	if (db->forward6_before == 0)
		sysctl_write("/proc/sys/net/ipv6/conf/all/forwarding", "0", NULL);
	db->forward_before = db->forward6_before = -1;
}

/* ----------------------------------------------------------------- bridge */

static int bridge_config(const struct cell_network *cfg, struct cell_net_bridge *b,
			 struct cell_error *err)
{
	const char *subnet = cfg->subnet ? cfg->subnet : CELL_NET_SUBNET;
	const char *subnet6 = cfg->subnet6 ? cfg->subnet6 : CELL_NET_SUBNET6;
	struct in_addr a;
	uint32_t mask;

	snprintf(b->name, sizeof(b->name), "%s", bridge_name(cfg));
	if (cell_parse_cidr(subnet, AF_INET, &a, &b->len4) < 0 || b->len4 < 8 || b->len4 > 30)
		return cell_error_set(err, 0,
				      "--subnet '%s': expected an IPv4 network, "
				      "e.g. 10.88.0.0/16 (prefix 8 to 30)",
				      subnet);
	mask = ~(~0U >> b->len4);
	b->net4 = ntohl(a.s_addr) & mask;
	b->gw4 = b->net4 + 1;
	if (cfg->gateway) {
		if (inet_pton(AF_INET, cfg->gateway, &a) != 1 ||
		    (ntohl(a.s_addr) & mask) != b->net4 || ntohl(a.s_addr) == b->net4 ||
		    ntohl(a.s_addr) == (b->net4 | ~mask))
			return cell_error_set(err, 0,
					      "--gateway '%s': expected a host address "
					      "inside %s",
					      cfg->gateway, subnet);
		b->gw4 = ntohl(a.s_addr);
	}
	b->has6 = cfg->ipv6;
	if (b->has6 && (cell_parse_cidr(subnet6, AF_INET6, &b->net6, &b->len6) < 0 ||
			b->len6 < 48 || b->len6 > 96))
		return cell_error_set(err, 0,
				      "--subnet6 '%s': expected an IPv6 network, "
				      "e.g. fd63:656c:6c00::/64 (prefix 48 to 96)",
				      subnet6);
	return 0;
}

static void addr6(const struct in6_addr *net, uint32_t host, struct in6_addr *out)
{
	uint32_t last;

	*out = *net;
	memcpy(&last, &out->s6_addr[12], 4);
	last = htonl(ntohl(last) + host);
	memcpy(&out->s6_addr[12], &last, 4);
}

/* The bridge link: addresses, up, forwarding; no check here that it is new. */
static int bridge_make(struct mnl_socket *nl, struct cell_net_db *db,
		       const struct cell_net_bridge *b, struct cell_error *err)
{
	struct in_addr gw = { htonl(b->gw4) };
	struct in6_addr gw6;
	char path[128];
	int index, r;

	if ((r = cell_nl_bridge_add(nl, b->name, err)) < 0)
		return r;
	if ((index = cell_nl_link_index(nl, b->name)) < 0)
		return cell_error_set(err, -index, "bridge %s", b->name);
	if ((r = cell_nl_addr_add(nl, index, AF_INET, &gw, b->len4, err)) < 0)
		return r;
	addr6(&b->net6, 1, &gw6);
	if (b->has6 && (r = cell_nl_addr_add(nl, index, AF_INET6, &gw6, b->len6, err)) < 0)
		return r;
	/* -p on 127.0.0.1: DNAT'd packets keep their loopback source on the bridge */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", b->name);
	if ((r = sysctl_write(path, "1", err)) < 0)
		return r;
	return forwarding_on(db, b->has6, err);
}

/* Is the bridge cell's, and does it have the subnet this run asked for? */
static int bridge_check(struct mnl_socket *nl, const struct cell_net_bridge *want,
			const struct cell_net_bridge *have, const struct cell_network *cfg,
			struct cell_error *err)
{
	char what[64];
	struct in_addr a = { htonl(want->net4) };
	int r;

	if (have) {
		if (cfg->subnet && (have->net4 != want->net4 || have->len4 != want->len4))
			return cell_error_set(err, 0,
					      "--subnet %s: bridge %s is in use with "
					      "another subnet",
					      cfg->subnet, have->name);
		if (cfg->ipv6 && !have->has6)
			return cell_error_set(err, 0, "--ipv6: bridge %s is in use without IPv6",
					      have->name);
		return 0;
	}
	if (cell_nl_link_index(nl, want->name) >= 0)
		return cell_error_set(err, EEXIST,
				      "bridge %s: a link of that name exists and "
				      "cell did not make it",
				      want->name);
	if ((r = cell_nl_route_overlap(nl, want->net4, want->len4, what, sizeof(what), err)) < 0)
		return r;
	if (r > 0)
		return cell_error_set(err, 0, "--subnet %s/%d overlaps the route to %s",
				      inet_ntoa(a), want->len4, what);
	return 0;
}

/* Delete the links of bridges no lease uses any more; true if one went. */
static bool bridges_prune(struct mnl_socket *nl, struct cell_net_db *db, struct cell_error *err)
{
	bool pruned = false;

	for (size_t i = db->n_bridges; i-- > 0;) {
		char name[IFNAMSIZ];

		if (cell_net_bridge_used(db, db->bridges[i].name))
			continue;
		snprintf(name, sizeof(name), "%s", db->bridges[i].name);
		if (nl)
			cell_nl_link_del(nl, name, err);
		cell_net_db_drop_bridge(db, name);
		pruned = true;
	}
	forwarding_restore(db);
	return pruned;
}

/* Save the database and make the nft table match it. */
static int db_commit(struct cell_net_db *db, bool rules, struct cell_error *err)
{
	int r = cell_net_db_save(db, err);

	if (r == 0 && rules && geteuid() == 0)
		r = cell_nft_apply(db, err);
	return r;
}

static bool lease_owner_gone(const struct cell_net_lease *l)
{
	return !l->start || cell_net_proc_start_time(l->owner) != l->start;
}

/*
 * Drop lease @i and its veth. The kernel deletes a veth with its netns, but
 * not at once (netns cleanup is a workqueue), and not at all while something
 * else holds the netns open (a pin, a process that joined it).
 */
static void drop_lease(struct mnl_socket *nl, struct cell_net_db *db, size_t i)
{
	struct cell_error ignored = { 0 };
	const char *veth = db->leases[i].veth;

	if (nl && veth[0] && strcmp(veth, "-"))
		cell_nl_link_del(nl, veth, &ignored);
	cell_net_db_drop_lease(db, i);
}

/* Free the leases @drop picks, and what only they used; rebuild the rules once. */
static int drop_leases(struct cell_net_db *db,
		       bool (*drop)(const struct cell_net_lease *l, const void *arg),
		       const void *arg, unsigned *removed, struct cell_error *err)
{
	struct mnl_socket *nl = NULL;
	bool had_bridges = db->n_bridges > 0, any = false;
	int r;

	for (size_t i = 0; i < db->n_leases && !any; i++)
		any = drop(&db->leases[i], arg);
	if (removed)
		*removed = 0;
	if (!any)
		return 0;
	if (had_bridges && (r = cell_nl_open(-1, &nl, err)) < 0)
		return r;
	for (size_t i = db->n_leases; i-- > 0;) {
		if (!drop(&db->leases[i], arg))
			continue;
		drop_lease(nl, db, i);
		if (removed)
			(*removed)++;
	}
	bridges_prune(nl, db, err);
	cell_nl_close(nl);
	return db_commit(db, had_bridges, err);
}

static bool stale(const struct cell_net_lease *l, const void *arg)
{
	(void)arg;
	return lease_owner_gone(l);
}

/* Free leases whose cell (or handed-on container) is gone, and what only they used. */
static int sweep(struct cell_net_db *db, unsigned *removed, struct cell_error *err)
{
	return drop_leases(db, stale, NULL, removed, err);
}

/* ------------------------------------------------------------------ lease */

static int pick_host(const struct cell_net_db *db, const struct cell_net_bridge *b,
		     const struct cell_network *cfg, uint32_t *host, struct cell_error *err)
{
	uint32_t size = b->len4 >= 32 ? 1 : 1U << (32 - b->len4);
	struct in_addr a;

	if (cfg->ip) {
		if (inet_pton(AF_INET, cfg->ip, &a) != 1)
			return cell_error_set(err, 0, "--ip '%s': expected an IPv4 address",
					      cfg->ip);
		*host = ntohl(a.s_addr) - b->net4;
		if ((ntohl(a.s_addr) & ~(size - 1)) != b->net4 || *host == 0 || *host == size - 1 ||
		    b->net4 + *host == b->gw4)
			return cell_error_set(err, 0,
					      "--ip %s: not a free host address of %s's "
					      "subnet",
					      cfg->ip, b->name);
	}
	for (uint32_t h = cfg->ip ? *host : 2; h < size - 1; h++) {
		bool taken = b->net4 + h == b->gw4;

		for (size_t i = 0; i < db->n_leases && !taken; i++)
			taken = db->leases[i].host == h && !strcmp(db->leases[i].bridge, b->name);
		if (!taken) {
			*host = h;
			return 0;
		}
		if (cfg->ip)
			return cell_error_set(err, EADDRINUSE, "--ip %s", cfg->ip);
	}
	return cell_error_set(err, ENOSPC, "bridge %s: no free address", b->name);
}

static bool port_clash(const struct cell_port *a, const struct cell_port *b)
{
	return a->udp == b->udp && a->host_port == b->host_port &&
	       (!a->host_ip[0] || !b->host_ip[0] || !strcmp(a->host_ip, b->host_ip));
}

static int ports_check(const struct cell_net_db *db, const struct cell_network *cfg,
		       struct cell_error *err)
{
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct cell_port *p = &cfg->ports[i];

		for (size_t j = 0; j < i; j++)
			if (port_clash(p, &cfg->ports[j]))
				goto clash;
		for (size_t l = 0; l < db->n_leases; l++)
			for (size_t j = 0; j < db->leases[l].n_ports; j++)
				if (port_clash(p, &db->leases[l].ports[j]))
					goto clash;
		continue;
clash:
		return cell_error_set(err, EADDRINUSE, "-p %s%s%u/%s: host port already published",
				      p->host_ip, p->host_ip[0] ? ":" : "", p->host_port,
				      p->udp ? "udp" : "tcp");
	}
	return 0;
}

static int lease_add(struct cell_net_run *n, struct cell_net_db *db, const char *bridge,
		     uint32_t host, struct cell_error *err)
{
	struct cell_net_lease l = { .host = host, .owner = getpid() }, *grown;
	const struct cell_network *cfg = n->cfg;

	l.start = cell_net_proc_start_time(l.owner);
	snprintf(l.bridge, sizeof(l.bridge), "%s", bridge);
	snprintf(l.veth, sizeof(l.veth), "%s", n->veth[0] ? n->veth : "-");
	snprintf(l.id, sizeof(l.id), "%s", n->id);
	if (cfg->n_ports) {
		l.ports = malloc(cfg->n_ports * sizeof(*l.ports));
		if (!l.ports)
			return cell_error_set(err, ENOMEM, "lease");
		memcpy(l.ports, cfg->ports, cfg->n_ports * sizeof(*l.ports));
		l.n_ports = cfg->n_ports;
	}
	grown = realloc(db->leases, (db->n_leases + 1) * sizeof(*grown));
	if (!grown) {
		free(l.ports);
		return cell_error_set(err, ENOMEM, "lease");
	}
	grown[db->n_leases++] = l;
	db->leases = grown;
	return 0;
}

/* Under the lock: the bridge (made on first use), an address, the port rules. */
static int bridge_lease(struct cell_net_run *n, struct cell_net_db *db, struct cell_error *err)
{
	struct cell_net_bridge want = { 0 }, *b;
	struct mnl_socket *nl = NULL;
	char veth_id[13];
	uint32_t host = 0;
	int r;

	if ((r = bridge_config(n->cfg, &want, err)) < 0 || (r = ports_check(db, n->cfg, err)) < 0 ||
	    (r = cell_random_id(veth_id, err)) < 0 || (r = cell_nl_open(-1, &nl, err)) < 0)
		return r;
	snprintf(n->veth, sizeof(n->veth), "cv%.12s", veth_id);
	b = cell_net_db_bridge(db, want.name);
	if ((r = bridge_check(nl, &want, b, n->cfg, err)) < 0)
		goto out;
	if (!b) {
		/* Recorded before it is made: a crash in between is swept. */
		struct cell_net_bridge *grown =
			realloc(db->bridges, (db->n_bridges + 1) * sizeof(*grown));
		if (!grown) {
			r = cell_error_set(err, ENOMEM, "bridge %s", want.name);
			goto out;
		}
		db->bridges = grown;
		b = &db->bridges[db->n_bridges++];
		*b = want;
	}
	if ((r = pick_host(db, b, n->cfg, &host, err)) < 0 ||
	    (r = lease_add(n, db, b->name, host, err)) < 0)
		goto out;
	n->leased = true;
	if ((r = cell_net_db_save(db, err)) < 0)
		goto out;
	if (cell_nl_link_index(nl, b->name) < 0 && (r = bridge_make(nl, db, b, err)) < 0)
		goto out;
	r = db_commit(db, true, err);
	n->ip4.s_addr = htonl(b->net4 + host);
	n->gw4.s_addr = htonl(b->gw4);
	n->len4 = b->len4;
	n->has6 = b->has6;
	n->len6 = b->len6;
	addr6(&b->net6, host, &n->ip6);
	addr6(&b->net6, 1, &n->gw6);
	snprintf(n->bridge, sizeof(n->bridge), "%s", b->name);
out:
	cell_nl_close(nl);
	return r;
}

/* Give back this run's lease (and a bridge nobody else uses). */
static int lease_release(struct cell_net_run *n, struct cell_error *err)
{
	struct cell_net_db db;
	struct mnl_socket *nl = NULL;
	char dir[PATH_MAX / 4];
	bool had_bridges;
	int r;

	cell_net_state_dir(dir, sizeof(dir));
	if ((r = cell_net_db_open(&db, dir, err)) < 0)
		return r;
	had_bridges = db.n_bridges > 0;
	for (size_t i = db.n_leases; i-- > 0;)
		if (!strcmp(db.leases[i].id, n->id) && db.leases[i].owner == getpid())
			cell_net_db_drop_lease(&db, i);
	if (had_bridges && cell_nl_open(-1, &nl, err) == 0) {
		bridges_prune(nl, &db, err);
		cell_nl_close(nl);
	}
	r = db_commit(&db, had_bridges, err);
	cell_net_db_close(&db);
	n->leased = false;
	return r;
}

static int lease_take(struct cell_net_run *n, struct cell_error *err)
{
	struct cell_net_db db;
	char dir[PATH_MAX / 4];
	int r;

	cell_net_state_dir(dir, sizeof(dir));
	if ((r = cell_net_db_open(&db, dir, err)) < 0)
		return r;
	if ((r = sweep(&db, NULL, err)) < 0)
		goto out;
	for (size_t i = 0; i < db.n_leases; i++)
		if (!strcmp(db.leases[i].id, n->id)) {
			r = cell_error_set(err, EEXIST, "container %s", n->id);
			goto out;
		}
	if (n->cfg->mode == CELL_NET_BRIDGE) {
		r = bridge_lease(n, &db, err);
	} else if ((r = lease_add(n, &db, "-", 0, err)) == 0) {
		n->leased = true;
		r = cell_net_db_save(&db, err);
	}
out:
	cell_net_db_close(&db);
	return r;
}

/* -------------------------------------------------- /etc/hosts, resolv.conf */

/* A new regular file in the state directory (cell_write_at never creates). */
static int create_file(const char *path, const char *buf, size_t len, struct cell_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return cell_error_set(err, errno, "create %s", path);
	close(fd);
	return cell_write_at(AT_FDCWD, path, buf, len, err);
}

static int write_hosts(struct cell_net_run *n, const struct cell_spec *spec, struct cell_error *err)
{
	char path[PATH_MAX], buf[1024], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	const char *name = spec->hostname ? spec->hostname : "cell";
	int len;

	len = snprintf(buf, sizeof(buf),
		       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
		       "ip6-loopback\n%s\t%s\n",
		       inet_ntop(AF_INET, &n->ip4, a4, sizeof(a4)), name);
	if (n->has6)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s\t%s\n",
				inet_ntop(AF_INET6, &n->ip6, a6, sizeof(a6)), name);
	snprintf(path, sizeof(path), "%s/hosts", n->dir);
	return create_file(path, buf, (size_t)len, err);
}

/* The host's resolv.conf, less loopback name servers, which do not exist inside. */
static int write_resolv(struct cell_net_run *n, struct cell_error *err)
{
	char path[PATH_MAX], line[512], buf[4096];
	size_t len = 0;
	FILE *f = fopen("/etc/resolv.conf", "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "nameserver 127.", 15) || !strncmp(line, "nameserver ::1", 14))
			continue;
		if (len + strlen(line) < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s", line);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/resolv.conf", n->dir);
	return create_file(path, buf, len, err);
}

static bool has_mount(const struct cell_spec *spec, const char *destination)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].destination, destination))
			return true;
	return false;
}

/*
 * The spec the container gets: the caller's, which is const, plus bind
 * mounts of the two files (unless the caller mounts something there).
 */
static int extend_spec(struct cell_net_run *n, const struct cell_spec *spec, struct cell_error *err)
{
	static const char *const files[] = { "hosts", "resolv.conf" };
	static char *opts[] = { "rbind", "ro", NULL };

	n->spec = *spec;
	n->mounts = calloc(spec->n_mounts + 2, sizeof(*n->mounts));
	if (!n->mounts)
		return cell_error_set(err, ENOMEM, "mounts");
	memcpy(n->mounts, spec->mounts, spec->n_mounts * sizeof(*n->mounts));
	n->spec.mounts = n->mounts;
	n->base_mounts = spec->n_mounts;
	n->spec_extended = true;
	for (size_t i = 0; i < 2; i++) {
		struct cell_mount *m = &n->mounts[n->spec.n_mounts];
		char dst[64], src[PATH_MAX];

		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		if (has_mount(spec, dst))
			continue;
		snprintf(src, sizeof(src), "%s/%s", n->dir, files[i]);
		m->destination = strdup(dst);
		m->source = strdup(src);
		m->type = strdup("bind");
		m->options = opts;
		n->spec.n_mounts++;
		if (!m->destination || !m->source || !m->type)
			return cell_error_set(err, ENOMEM, "mount %s", dst);
	}
	return 0;
}

static void free_spec(struct cell_net_run *n)
{
	if (!n->spec_extended)
		return;
	for (size_t i = n->base_mounts; i < n->spec.n_mounts; i++) {
		free(n->mounts[i].destination);
		free(n->mounts[i].source);
		free(n->mounts[i].type);
	}
	free(n->mounts);
	n->spec_extended = false;
}

/* -------------------------------------------------------------- start path */

static int check_devices(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;

	for (size_t i = 0; i < l->n_net_devices; i++) {
		const struct cell_net_device *d = &l->net_devices[i];

		if (!d->name || !if_nametoindex(d->name))
			return cell_error_set(err, ENODEV, "linux.netDevices: %s",
					      d->name ? d->name : "(no name)");
		if (strlen(d->new_name ? d->new_name : d->name) >= IFNAMSIZ)
			return cell_error_set(err, ENAMETOOLONG, "linux.netDevices: %s", d->name);
	}
	if (l->n_net_devices && !l->namespaces[CELL_NS_NET].present)
		return cell_error_set(err, 0, "linux.netDevices: need a network namespace");
	return 0;
}

static int check_mode(const struct cell_spec *spec, struct cell_error *err)
{
	const struct cell_network *cfg = &spec->cell.net;

	if (cfg->mode != CELL_NET_BRIDGE &&
	    (cfg->ip || cfg->subnet || cfg->gateway || cfg->ipv6 || cfg->bridge || cfg->rate))
		return cell_error_set(err, 0,
				      "--ip, --subnet, --gateway, --ipv6 and --net-rate "
				      "need --net bridge");
	if (cfg->mode == CELL_NET_NAMESPACE) {
		if (cfg->n_ports)
			return cell_error_set(err, 0,
					      "-p needs --net bridge, pasta or slirp4netns");
		return 0;
	}
	if (!spec->linux.namespaces[CELL_NS_NET].present ||
	    spec->linux.namespaces[CELL_NS_NET].path)
		return cell_error_set(err, 0,
				      "--net: bridge, pasta and slirp4netns need a new "
				      "network namespace");
	if (cfg->mode != CELL_NET_BRIDGE && !spec->linux.namespaces[CELL_NS_USER].present)
		return cell_error_set(err, 0,
				      "--net %s: for a container in a user namespace "
				      "(rootless); root uses --net bridge",
				      cfg->mode == CELL_NET_PASTA ? "pasta" : "slirp4netns");
	if (cfg->mode == CELL_NET_BRIDGE && geteuid() != 0)
		return cell_error_set(err, EPERM,
				      "--net bridge: only root can make host links "
				      "(use --net pasta)");
	return 0;
}

int cell_net_prepare(struct cell_net_run *n, const struct cell_spec *spec, const char *id,
		     const struct cell_spec **use, struct cell_error *err)
{
	char dir[PATH_MAX / 4];
	int r;

	memset(n, 0, sizeof(*n));
	n->cfg = &spec->cell.net;
	n->base_spec = spec;
	n->nsfd = n->self_nsfd = n->usernet.pidfd = n->usernet.exit_fd = -1;
	*use = spec;
	if ((r = check_mode(spec, err)) < 0)
		return r;
	if (!cell_net_needs_parent(spec))
		return 0;
	if ((r = check_devices(spec, err)) < 0)
		return r;
	if (id)
		snprintf(n->id, sizeof(n->id), "%s", id);
	else if ((r = cell_random_id(n->id, err)) < 0)
		return r;
	if (n->cfg->mode == CELL_NET_NAMESPACE)
		return 0; /* devices only: nothing to lease */
	if (strchr(n->id, '/') || n->id[0] == '.')
		return cell_error_set(err, EINVAL, "container id '%s'", n->id);
	cell_net_state_dir(dir, sizeof(dir));
	snprintf(n->dir, sizeof(n->dir), "%s/%s", dir, n->id);
	if ((r = lease_take(n, err)) < 0)
		return r;
	if (mkdir(n->dir, 0755) < 0 && errno != EEXIST)
		return cell_error_set(err, errno, "mkdir %s", n->dir);
	n->dir_made = true;
	if (n->cfg->mode != CELL_NET_BRIDGE)
		return 0;
	if ((r = write_hosts(n, spec, err)) < 0 || (r = write_resolv(n, err)) < 0 ||
	    (r = extend_spec(n, spec, err)) < 0)
		return r;
	*use = &n->spec;
	return 0;
}

/* The container end, from inside its netns: address, up, default route, qdisc. */
static int veth_inside(struct cell_net_run *n, struct cell_error *err)
{
	struct mnl_socket *nl;
	int index, r;

	if ((r = cell_nl_open(n->nsfd, &nl, err)) < 0)
		return r;
	if ((index = cell_nl_link_index(nl, "eth0")) < 0) {
		r = cell_error_set(err, -index, "eth0 in the container");
		goto out;
	}
	if ((r = cell_nl_addr_add(nl, index, AF_INET, &n->ip4, n->len4, err)) < 0 ||
	    (n->has6 && (r = cell_nl_addr_add(nl, index, AF_INET6, &n->ip6, n->len6, err)) < 0) ||
	    (r = cell_nl_link_set(nl, index, true, NULL, -1, err)) < 0 ||
	    (r = cell_nl_route_default(nl, AF_INET, &n->gw4, index, err)) < 0 ||
	    (n->has6 && (r = cell_nl_route_default(nl, AF_INET6, &n->gw6, index, err)) < 0))
		goto out;
	/* what the container sends: egress of its own end */
	if (n->cfg->rate)
		r = cell_nl_tbf(nl, index, n->cfg->rate, err);
out:
	cell_nl_close(nl);
	return r;
}

static int veth_setup(struct cell_net_run *n, struct cell_error *err)
{
	struct mnl_socket *nl;
	int master, index, r;

	if ((r = cell_nl_open(-1, &nl, err)) < 0)
		return r;
	if ((master = cell_nl_link_index(nl, n->bridge)) < 0) {
		r = cell_error_set(err, -master, "bridge %s", n->bridge);
		goto out;
	}
	if ((r = cell_nl_veth_add(nl, n->veth, master, "eth0", n->nsfd, err)) < 0)
		goto out;
	/* what the container receives: egress of the host end */
	if (n->cfg->rate) {
		if ((index = cell_nl_link_index(nl, n->veth)) < 0)
			r = cell_error_set(err, -index, "veth %s", n->veth);
		else
			r = cell_nl_tbf(nl, index, n->cfg->rate, err);
	}
out:
	cell_nl_close(nl);
	return r < 0 ? r : veth_inside(n, err);
}

/* linux.netDevices: move each in (renamed), and count it for the way back. */
static int devices_move_in(struct cell_net_run *n, const struct cell_spec *spec,
			   struct cell_error *err)
{
	const struct cell_linux *l = &spec->linux;
	struct mnl_socket *host = NULL, *inside = NULL;
	int r = 0;

	if (!l->n_net_devices)
		return 0;
	if ((r = cell_nl_open(-1, &host, err)) < 0 || (r = cell_nl_open(n->nsfd, &inside, err)) < 0)
		goto out;
	for (size_t i = 0; i < l->n_net_devices; i++) {
		const struct cell_net_device *d = &l->net_devices[i];
		int index = cell_nl_link_index(host, d->name);

		if (index < 0) {
			r = cell_error_set(err, -index, "linux.netDevices: %s", d->name);
			break;
		}
		if ((r = cell_nl_link_set(host, index, false, NULL, n->nsfd, err)) < 0)
			break;
		n->n_moved++;
		/* the ifindex stays unless it is taken in the new netns: ask again */
		if ((index = cell_nl_link_index(inside, d->name)) < 0) {
			r = cell_error_set(err, -index, "linux.netDevices: %s inside", d->name);
			break;
		}
		if ((r = cell_nl_link_set(inside, index, true, d->new_name, -1, err)) < 0)
			break;
	}
out:
	cell_nl_close(host);
	cell_nl_close(inside);
	return r;
}

static int devices_move_out(struct cell_net_run *n, const struct cell_spec *spec,
			    struct cell_error *err)
{
	struct mnl_socket *inside;
	int r = 0, first = 0;

	if (!n->n_moved || (r = cell_nl_open(n->nsfd, &inside, err)) < 0)
		return n->n_moved ? r : 0;
	for (size_t i = 0; i < n->n_moved; i++) {
		const struct cell_net_device *d = &spec->linux.net_devices[i];
		int index = cell_nl_link_index(inside, d->new_name ? d->new_name : d->name);

		if (index < 0)
			index = cell_nl_link_index(inside, d->name);
		if (index < 0)
			r = cell_error_set(err, -index, "linux.netDevices: %s to return", d->name);
		else
			r = cell_nl_link_set(inside, index, false, d->name, n->self_nsfd, err);
		if (r < 0 && !first)
			first = r;
	}
	cell_nl_close(inside);
	n->n_moved = 0;
	return first;
}

static int write_pid(struct cell_net_run *n, pid_t pid, struct cell_error *err)
{
	char path[PATH_MAX], buf[64];
	int len = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, cell_net_proc_start_time(pid));

	snprintf(path, sizeof(path), "%s/pid", n->dir);
	return create_file(path, buf, (size_t)len, err);
}

int cell_net_setup(struct cell_net_run *n, pid_t pid, const struct cell_spec *spec,
		   struct cell_error *err)
{
	char path[64];
	int r;

	if (!cell_net_needs_parent(spec))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	/* Held until teardown: moved devices need the netns to come back from. */
	n->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (n->nsfd < 0)
		return cell_error_set(err, errno, "open %s", path);
	n->self_nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->self_nsfd < 0)
		return cell_error_set(err, errno, "open /proc/self/ns/net");
	if (n->dir_made && (r = write_pid(n, pid, err)) < 0)
		return r;
	if ((r = devices_move_in(n, spec, err)) < 0)
		return r;
	switch (n->cfg->mode) {
	case CELL_NET_BRIDGE:
		return veth_setup(n, err);
	case CELL_NET_PASTA:
	case CELL_NET_SLIRP4NETNS:
		return cell_usernet_start(&n->usernet, n->cfg, pid, n->dir, err);
	default:
		return 0;
	}
}

int cell_net_teardown(struct cell_net_run *n, struct cell_error *err)
{
	struct cell_error e = { 0 };
	struct mnl_socket *nl;
	int r = 0;

	if (!n->cfg)
		return 0;
	cell_usernet_stop(&n->usernet);
	if (n->n_moved && n->base_spec)
		r = devices_move_out(n, n->base_spec, &e);
	/* The kernel deletes the veth with the netns; we hold the netns open. */
	if (n->veth[0] && n->nsfd >= 0 && cell_nl_open(-1, &nl, &e) == 0) {
		if (cell_nl_link_del(nl, n->veth, &e) < 0)
			r = -e.errnum;
		cell_nl_close(nl);
	}
	n->nsfd = safe_close(n->nsfd);
	n->self_nsfd = safe_close(n->self_nsfd);
	if (n->leased && lease_release(n, &e) < 0)
		r = r ? r : -EIO;
	if (n->dir_made) {
		/* lease_release removed it with the lease; this is for the no-lease paths */
		rmdir(n->dir);
		n->dir_made = false;
	}
	free_spec(n);
	if (r < 0 && !err->msg[0])
		*err = e;
	return r;
}

int cell_net_hand_on(struct cell_net_run *n, pid_t pid, struct cell_error *err)
{
	struct cell_net_db db;
	char dir[PATH_MAX / 4];
	unsigned long long start = cell_net_proc_start_time(pid);
	int r;

	if (!n->leased)
		return 0;
	if (!start)
		return cell_error_set(err, ESRCH, "network of %s: its process %d is gone", n->id,
				      (int)pid);
	cell_net_state_dir(dir, sizeof(dir));
	if ((r = cell_net_db_open(&db, dir, err)) < 0)
		return r;
	r = cell_error_set(err, ENOENT, "network of %s: its lease is gone", n->id);
	for (size_t i = 0; i < db.n_leases; i++) {
		struct cell_net_lease *l = &db.leases[i];

		if (strcmp(l->id, n->id) || l->owner != getpid())
			continue;
		l->owner = pid;
		l->start = start;
		cell_error_reset(err);
		r = cell_net_db_save(&db, err);
		break;
	}
	cell_net_db_close(&db);
	if (r < 0)
		return r;
	/* the container's now: teardown must not take them back */
	n->leased = false;
	n->dir_made = false;
	n->veth[0] = '\0';
	return 0;
}

struct release_of {
	const char *id;
	pid_t pid;
};

static bool released(const struct cell_net_lease *l, const void *arg)
{
	const struct release_of *of = arg;

	return !strcmp(l->id, of->id) && (l->owner == of->pid || lease_owner_gone(l));
}

int cell_net_release(const char *id, pid_t pid, struct cell_error *err)
{
	const struct release_of of = { .id = id, .pid = pid };
	char dir[PATH_MAX / 4];
	struct cell_net_db db;
	int r;

	cell_net_state_dir(dir, sizeof(dir));
	if (access(dir, F_OK) < 0)
		return 0;
	if ((r = cell_net_db_open(&db, dir, err)) < 0)
		return r;
	r = drop_leases(&db, released, &of, NULL, err);
	cell_net_db_close(&db);
	return r;
}

/* ------------------------------------------------------------------ sweeps */

void cell_net_sweep_stale(void)
{
	char dir[PATH_MAX / 4], path[PATH_MAX];
	struct cell_net_db db;
	struct stat st;

	cell_net_leases_path(path, sizeof(path));
	if (stat(path, &st) < 0) /* nothing leased, nothing stale: the common case */
		return;
	cell_net_state_dir(dir, sizeof(dir));
	if (cell_net_db_open(&db, dir, NULL) < 0)
		return;
	sweep(&db, NULL, NULL);
	cell_net_db_close(&db);
}

int cell_net_gc(unsigned *removed, struct cell_error *err)
{
	char dir[PATH_MAX / 4];
	struct cell_net_db db;
	int r;

	if (removed)
		*removed = 0;
	cell_net_state_dir(dir, sizeof(dir));
	if (access(dir, F_OK) < 0)
		return 0;
	if ((r = cell_net_db_open(&db, dir, err)) < 0)
		return r;
	r = sweep(&db, removed, err);
	cell_net_db_close(&db);
	return r;
}

int cell_net_container_path(const char *id, char *buf, size_t size, struct cell_error *err)
{
	char dir[PATH_MAX / 4], path[PATH_MAX], text[64];
	unsigned long long start = 0;
	int pid = 0;

	cell_net_state_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s/pid", dir, id);
	if (strchr(id, '/') || cell_read_at(AT_FDCWD, path, text, sizeof(text), NULL) < 0 ||
	    sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 0 ||
	    cell_net_proc_start_time(pid) != start)
		return cell_error_set(err, ESRCH,
				      "container '%s' (only containers with --net "
				      "bridge, pasta or slirp4netns can be joined)",
				      id);
	snprintf(buf, size, "/proc/%d/ns/net", pid);
	return 0;
}
