/*
 * cell — its own nftables table, `inet cell`, through libnftables (not the
 * nft program). The table is rebuilt from the lease database in one
 * transaction every time a lease comes or goes, so a sweep that frees a
 * dead container's lease takes its port rules with it, and no rule can
 * outlive the database.
 *
 * libnftables is opened with dlopen(3) on first use: it brings libnftnl,
 * libxtables, libjansson and libgmp, which every `cell run` would otherwise
 * pay for at start even without a network.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "utils.h"

/* The header's prototypes type the pointers. */
static struct {
	void *handle;
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_error_buffer) *error_buffer;
	__typeof__(nft_run_cmd_from_buffer) *run;
} nft;

static int nft_load(struct cell_error *err)
{
	if (nft.handle)
		return 0;
	nft.handle = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!nft.handle)
		return cell_error_set(err, ENOPKG, "load libnftables.so.1 (%s)", dlerror());
	/* POSIX's way to assign a data pointer from dlsym to a function pointer */
	*(void **)&nft.ctx_new = dlsym(nft.handle, "nft_ctx_new");
	*(void **)&nft.ctx_free = dlsym(nft.handle, "nft_ctx_free");
	*(void **)&nft.buffer_output = dlsym(nft.handle, "nft_ctx_buffer_output");
	*(void **)&nft.buffer_error = dlsym(nft.handle, "nft_ctx_buffer_error");
	*(void **)&nft.error_buffer = dlsym(nft.handle, "nft_ctx_get_error_buffer");
	*(void **)&nft.run = dlsym(nft.handle, "nft_run_cmd_from_buffer");
	if (!nft.ctx_new || !nft.ctx_free || !nft.buffer_output || !nft.buffer_error ||
	    !nft.error_buffer || !nft.run) {
		dlclose(nft.handle);
		nft.handle = NULL;
		return cell_error_set(err, ENOSYS,
				      "libnftables.so.1 lacks the functions cell uses");
	}
	return 0;
}

/* A growing text buffer; a failed append leaves ok false. */
struct text {
	char *buf;
	size_t len, cap;
	bool ok;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!t->ok)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->ok = false;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		char *grown = realloc(t->buf, t->cap * 2 + (size_t)n);
		if (!grown) {
			t->ok = false;
			return;
		}
		t->buf = grown;
		t->cap = t->cap * 2 + (size_t)n;
	}
}

static const char *ip4(uint32_t host_order, char *buf)
{
	struct in_addr a = { htonl(host_order) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* DNAT for -p: to a local address (incl. loopback and the host's own) on HOSTPORT. */
static void add_port_rules(struct text *t, const struct cell_net_db *db)
{
	char cip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < db->n_leases; i++) {
		const struct cell_net_lease *l = &db->leases[i];
		const struct cell_net_bridge *b =
			cell_net_db_bridge((struct cell_net_db *)db, l->bridge);

		for (size_t j = 0; b && j < l->n_ports; j++) {
			const struct cell_port *p = &l->ports[j];
			const char *proto = p->udp ? "udp" : "tcp";

			ip4(b->net4 + l->host, cip);
			if (p->host_ip[0])
				add(t, "\t\tip daddr %s %s dport %u dnat ip to %s:%u\n", p->host_ip,
				    proto, p->host_port, cip, p->port);
			else
				add(t,
				    "\t\tmeta nfproto ipv4 fib daddr type local %s dport %u "
				    "dnat ip to %s:%u\n",
				    proto, p->host_port, cip, p->port);
		}
	}
}

static void add_bridge_rules(struct text *t, const struct cell_net_bridge *b)
{
	char net[INET_ADDRSTRLEN], net6[INET6_ADDRSTRLEN];

	ip4(b->net4, net);
	/* outbound: the host's address instead of the container's */
	add(t, "\t\tip saddr %s/%d oifname != \"%s\" masquerade\n", net, b->len4, b->name);
	if (b->has6)
		add(t, "\t\tip6 saddr %s/%d oifname != \"%s\" masquerade\n",
		    inet_ntop(AF_INET6, &b->net6, net6, sizeof(net6)), b->len6, b->name);
	/* -p reached through 127.0.0.1 (route_localnet), or from a container on
	 * the same bridge (hairpin): the reply must come back through the host */
	add(t, "\t\tip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n", b->name);
	add(t, "\t\tip saddr %s/%d oifname \"%s\" ct status dnat masquerade\n", net, b->len4,
	    b->name);
}

static void build_table(struct text *t, const struct cell_net_db *db)
{
	/* "add, delete, define": replaces the table whether or not it exists. */
	add(t, "table inet cell\ndelete table inet cell\n");
	if (!db->n_bridges)
		return;
	add(t, "table inet cell {\n");
	add(t, "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; "
	       "policy accept;\n");
	add_port_rules(t, db);
	add(t, "\t}\n\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n");
	add_port_rules(t, db);
	add(t, "\t}\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; "
	       "policy accept;\n");
	for (size_t i = 0; i < db->n_bridges; i++)
		add_bridge_rules(t, &db->bridges[i]);
	/* Forwarding for cell's bridges only: if cell had to turn ip_forward
	 * on, everything else that would now be forwarded is dropped. */
	add(t,
	    "\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; "
	    "policy %s;\n",
	    db->forward_before == 0 ? "drop" : "accept");
	for (size_t i = 0; i < db->n_bridges; i++)
		add(t, "\t\tiifname \"%s\" accept\n\t\toifname \"%s\" accept\n",
		    db->bridges[i].name, db->bridges[i].name);
	add(t, "\t}\n}\n");
}

int cell_nft_apply(const struct cell_net_db *db, struct cell_error *err)
{
	struct text t = { .buf = malloc(4096), .cap = 4096, .ok = true };
	struct nft_ctx *ctx;
	int r = 0;

	if (!t.buf)
		return cell_error_set(err, ENOMEM, "nftables table inet cell");
	t.buf[0] = '\0';
	build_table(&t, db);
	if (!t.ok) {
		free(t.buf);
		return cell_error_set(err, ENOMEM, "nftables table inet cell");
	}
	if ((r = nft_load(err)) < 0) {
		free(t.buf);
		return r;
	}
	ctx = nft.ctx_new(0);
	if (!ctx) {
		free(t.buf);
		return cell_error_set(err, ENOMEM, "nftables context");
	}
	nft.buffer_output(ctx);
	nft.buffer_error(ctx);
	if (nft.run(ctx, t.buf) != 0) {
		const char *msg = nft.error_buffer(ctx);
		size_t n = msg ? strcspn(msg, "\n") : 0;

		r = cell_error_set(err, EINVAL, "nftables table inet cell: %.*s", (int)n,
				   n ? msg : "rejected");
	}
	nft.ctx_free(ctx);
	free(t.buf);
	return r;
}
