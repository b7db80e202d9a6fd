/*
 * cell — net/: networking internals: netlink primitives (netlink.c), the lease
 * database (lease.c), cell's nftables table (nft.c), user-mode networking
 * (usernet.c) and the start/stop path that ties them together (net.c);
 * net_module.c opens cell-net.so in the static build, net_dir.c names the
 * state directory. Uses base/ only.
 */
#ifndef CELL_NET_H
#define CELL_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell/cell.h"

#define CELL_NET_DIR "/run/cell/net" /* root's; rootless: $XDG_RUNTIME_DIR/cell/net */
#define CELL_NET_DEFAULT_BRIDGE "cell0"
#define CELL_NET_SUBNET "10.88.0.0/16"
#define CELL_NET_SUBNET6 "fd63:656c:6c00::/64"

/* ---- netlink.c: rtnetlink through libmnl ---- */

struct mnl_socket;

/** cell_nl_open() - a bound NETLINK_ROUTE socket; in the netns @nsfd unless it is -1. */
int cell_nl_open(int nsfd, struct mnl_socket **nl, struct cell_error *err);
void cell_nl_close(struct mnl_socket *nl);
/** cell_nl_link_index() - the ifindex of @name, or -ENODEV. */
int cell_nl_link_index(struct mnl_socket *nl, const char *name);
int cell_nl_bridge_add(struct mnl_socket *nl, const char *name, struct cell_error *err);
/** cell_nl_veth_add() - @host on bridge @master, up; its peer @peer in netns @peer_nsfd. */
int cell_nl_veth_add(struct mnl_socket *nl, const char *host, int master, const char *peer,
		     int peer_nsfd, struct cell_error *err);
/** cell_nl_link_del() - delete @name; 0 when it is already gone. */
int cell_nl_link_del(struct mnl_socket *nl, const char *name, struct cell_error *err);
/** cell_nl_link_set() - bring @index up, rename it (@name) and/or move it to netns @nsfd. */
int cell_nl_link_set(struct mnl_socket *nl, int index, bool up, const char *name, int nsfd,
		     struct cell_error *err);
int cell_nl_addr_add(struct mnl_socket *nl, int index, int family, const void *addr, int prefix,
		     struct cell_error *err);
int cell_nl_route_default(struct mnl_socket *nl, int family, const void *gateway, int index,
			  struct cell_error *err);
/** cell_nl_tbf() - a token-bucket root qdisc on @index: @rate bytes/s. */
int cell_nl_tbf(struct mnl_socket *nl, int index, uint64_t rate, struct cell_error *err);
/**
 * cell_nl_route_overlap() - is there a route in the main table (other than a
 * default route) that overlaps @net/@len (host order)? 1 and @what set if so.
 */
int cell_nl_route_overlap(struct mnl_socket *nl, uint32_t net, int len, char *what, size_t size,
			  struct cell_error *err);

/* ---- lease.c: bridges and leases, one flock'd file under the state dir ---- */

struct cell_net_bridge {
	char name[IFNAMSIZ];
	uint32_t net4, gw4; /* host order */
	int len4;
	bool has6;
	struct in6_addr net6;
	int len6;
};

struct cell_net_lease {
	char bridge[IFNAMSIZ];
	char veth[IFNAMSIZ];
	uint32_t host; /* host part: address = net4 + host (and net6 + host) */
	char id[64];
	pid_t owner;		  /* the cell process that tears it down */
	unsigned long long start; /* its start time (/proc/PID/stat field 22) */
	struct cell_port *ports;
	size_t n_ports;
};

struct cell_net_db {
	char dir[PATH_MAX - 64];
	int lock_fd;
	int forward_before;  /* net.ipv4.ip_forward before the first bridge; -1 unknown */
	int forward6_before; /* net.ipv6.conf.all.forwarding, the same way */
	struct cell_net_bridge *bridges;
	size_t n_bridges;
	struct cell_net_lease *leases;
	size_t n_leases;
};

/** cell_net_state_dir() - root's /run/cell/net or the rootless one. */
void cell_net_state_dir(char *buf, size_t size);
/** cell_net_db_open() - lock the database in @dir (made if missing) and load it. */
int cell_net_db_open(struct cell_net_db *db, const char *dir, struct cell_error *err);
/** cell_net_db_save() - write it back (or remove the file when it is empty). */
int cell_net_db_save(struct cell_net_db *db, struct cell_error *err);
/** cell_net_db_close() - unlock and free. */
void cell_net_db_close(struct cell_net_db *db);
struct cell_net_bridge *cell_net_db_bridge(struct cell_net_db *db, const char *name);
/** cell_net_db_drop_lease() - remove lease @i and the container's state directory. */
void cell_net_db_drop_lease(struct cell_net_db *db, size_t i);
/** cell_net_db_drop_bridge() - forget bridge @name (the caller deletes the link). */
void cell_net_db_drop_bridge(struct cell_net_db *db, const char *name);
/** cell_net_bridge_used() - does any lease name bridge @name? */
bool cell_net_bridge_used(const struct cell_net_db *db, const char *name);
/** cell_net_proc_start_time() - field 22 of /proc/PID/stat, 0 if @pid is gone. */
unsigned long long cell_net_proc_start_time(pid_t pid);
/** cell_parse_cidr() - "A.B.C.D/N" or an IPv6 CIDR into @addr (in*_addr) and @len. */
int cell_parse_cidr(const char *s, int family, void *addr, int *len);

/* ---- nft.c: the table `inet cell`, rebuilt from the database ---- */

/** cell_nft_apply() - replace table inet cell by what @db says, atomically. */
int cell_nft_apply(const struct cell_net_db *db, struct cell_error *err);

/* ---- usernet.c: pasta / slirp4netns ---- */

struct cell_usernet {
	pid_t pid; /* the helper (slirp4netns: our child; pasta: its daemon) */
	int pidfd;
	int exit_fd; /* slirp4netns --exit-fd: closing it stops it */
};

int cell_usernet_start(struct cell_usernet *u, const struct cell_network *net, pid_t pid,
		       const char *dir, struct cell_error *err);
void cell_usernet_stop(struct cell_usernet *u);

/* ---- net.c: the start path ---- */

struct cell_net_run {
	const struct cell_network *cfg;
	const struct cell_spec *base_spec; /* the caller's */
	char id[64];
	char dir[PATH_MAX / 2]; /* this container's state directory (hosts, resolv.conf, pid) */
	bool dir_made;
	bool leased;
	char bridge[IFNAMSIZ];
	char veth[IFNAMSIZ];
	struct in_addr ip4, gw4;
	int len4;
	bool has6;
	struct in6_addr ip6, gw6;
	int len6;
	int nsfd;	/* the container's netns, held until the devices are back */
	int self_nsfd;	/* ours, where moved devices return */
	size_t n_moved; /* linux.netDevices moved in so far */
	struct cell_usernet usernet;
	struct cell_spec spec; /* the caller's spec plus /etc/hosts and /etc/resolv.conf */
	struct cell_mount *mounts;
	size_t base_mounts; /* the caller's; those after it are ours */
	bool spec_extended;
};

/** cell_net_needs_parent() - does the parent configure networking before GO? */
static inline bool cell_net_needs_parent(const struct cell_spec *spec)
{
	return spec->cell.net.mode != CELL_NET_NAMESPACE || spec->linux.n_net_devices > 0;
}

/** cell_net_configured() - does the spec ask for anything of net.c (even a wrong thing)? */
static inline bool cell_net_configured(const struct cell_spec *spec)
{
	const struct cell_network *n = &spec->cell.net;

	return cell_net_needs_parent(spec) || n->n_ports || n->rate || n->ip || n->subnet ||
	       n->gateway || n->ipv6 || n->subnet6 || n->bridge;
}
/**
 * cell_net_prepare() - before clone3: lease an address, write /etc/hosts and
 * /etc/resolv.conf; *@use is the spec the container gets (with their mounts).
 */
int cell_net_prepare(struct cell_net_run *n, const struct cell_spec *spec, const char *id,
		     const struct cell_spec **use, struct cell_error *err);
/** cell_net_setup() - after clone3, before GO: the veth, addresses, routes, qdiscs, helpers. */
int cell_net_setup(struct cell_net_run *n, pid_t pid, const struct cell_spec *spec,
		   struct cell_error *err);
/** cell_net_teardown() - undo all of it; -errno if something stayed. */
int cell_net_teardown(struct cell_net_run *n, struct cell_error *err);
/**
 * cell_net_hand_on() - cell_create succeeded: the lease becomes @pid's (the
 * container's first process), so it lives as long as the container, not as
 * cell; @n then forgets the veth, lease and directory (teardown keeps them).
 */
int cell_net_hand_on(struct cell_net_run *n, pid_t pid, struct cell_error *err);
/** cell_net_sweep_stale() - a stat when nothing is leased; else free dead owners' leases. */
void cell_net_sweep_stale(void);
/** cell_net_leases_path() - the lease file of this netns (whose existence the sweep checks). */
void cell_net_leases_path(char *buf, size_t size);

#endif
