/* cell — `cell run` network flags: --net, -p, --netdev (parsing only; net.c does the work). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_flags.h"
#include "state.h"
#include "utils.h"

/* *@dst becomes a copy of @src. */
static int set_copy(char **dst, const char *src, struct cell_error *err)
{
	free(*dst);
	*dst = strdup(src);
	return *dst ? 0 : cell_error_set(err, ENOMEM, "--net %s", src);
}

/* --net MODE: the namespace flags and cell.net.mode together. */
/* A container in the state directory (OCI, or cell run --name) that still runs. */
static int registered_container_net(const char *id, char *buf, size_t size)
{
	struct cell_error ignored = { 0 };
	struct cell_state st;
	char root[PATH_MAX];
	int r = -ESRCH;

	if (cell_state_root(NULL, root, sizeof(root), &ignored) < 0 ||
	    cell_state_load(root, id, &st, &ignored) < 0)
		return -ESRCH;
	if (cell_state_pid_alive(&st) &&
	    snprintf(buf, size, "/proc/%d/ns/net", (int)st.pid) < (int)size)
		r = 0;
	cell_state_free(&st);
	return r;
}

int cell_net_flag_mode(struct cell_spec *spec, const char *mode, struct cell_error *err)
{
	struct cell_namespace *ns = &spec->linux.namespaces[CELL_NS_NET];
	struct cell_network *net = &spec->cell.net;
	char path[PATH_MAX];
	int r;

	free(ns->path);
	ns->path = NULL;
	ns->present = true;
	net->mode = CELL_NET_NAMESPACE;
	if (!strcmp(mode, "none"))
		return 0;
	if (!strcmp(mode, "host")) {
		ns->present = false;
		return 0;
	}
	if (!strcmp(mode, "pasta") || !strcmp(mode, "slirp4netns")) {
		net->mode = mode[0] == 'p' ? CELL_NET_PASTA : CELL_NET_SLIRP4NETNS;
		return 0;
	}
	if (!strcmp(mode, "bridge") || !strncmp(mode, "bridge=", 7)) {
		net->mode = CELL_NET_BRIDGE;
		if (!mode[6])
			return 0;
		if (!mode[7] || strlen(mode + 7) >= IFNAMSIZ || strpbrk(mode + 7, "/: \t"))
			return cell_error_set(err, 0,
					      "--net '%s': a bridge name has 1 to 15 "
					      "characters, no '/', ':' or space",
					      mode);
		return set_copy(&net->bridge, mode + 7, err);
	}
	if (!strncmp(mode, "ns:", 3)) {
		/* not realpath(3): /proc/PID/ns/net is a link to no path */
		if (mode[3] != '/' || access(mode + 3, F_OK) < 0)
			return cell_error_set(err, mode[3] != '/' ? 0 : errno,
					      "--net %s: expected "
					      "the absolute path of a network namespace",
					      mode);
		return set_copy(&ns->path, mode + 3, err);
	}
	if (!strncmp(mode, "container:", 10)) {
		if ((r = registered_container_net(mode + 10, path, sizeof(path))) < 0 &&
		    (r = cell_net_container_path(mode + 10, path, sizeof(path), err)) < 0)
			return cell_error_prefix(err, "--net");
		return set_copy(&ns->path, path, err);
	}
	return cell_error_set(err, 0,
			      "--net '%s': expected none, host, bridge[=NAME], pasta, "
			      "slirp4netns, ns:PATH or container:ID",
			      mode);
}

static int parse_port_number(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535 || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* -p [HOSTIP:]HOSTPORT:PORT[/tcp|udp] */
int cell_net_flag_publish(struct cell_network *net, const char *arg, struct cell_error *err)
{
	char copy[128], *proto, *fields[3];
	struct cell_port p = { 0 }, *grown;
	struct in_addr a;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", arg);
	proto = strchr(copy, '/');
	if (proto)
		*proto++ = '\0';
	for (char *tok = copy, *colon; tok && n < 3; tok = colon ? colon + 1 : NULL, n++) {
		colon = strchr(tok, ':');
		if (colon)
			*colon = '\0';
		fields[n] = tok;
		if (colon && n == 2)
			n = 4; /* too many fields */
	}
	if (n < 2 || n > 3 || (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    parse_port_number(fields[n - 2], &p.host_port) < 0 ||
	    parse_port_number(fields[n - 1], &p.port) < 0 ||
	    (n == 3 &&
	     (inet_pton(AF_INET, fields[0], &a) != 1 || strlen(fields[0]) >= sizeof(p.host_ip))))
		return cell_error_set(err, 0,
				      "-p '%s': expected [HOSTIP:]HOSTPORT:PORT[/tcp|udp] "
				      "with ports 1 to 65535 and an IPv4 HOSTIP",
				      arg);
	if (n == 3)
		snprintf(p.host_ip, sizeof(p.host_ip), "%s", fields[0]);
	p.udp = proto && !strcmp(proto, "udp");
	grown = realloc(net->ports, (net->n_ports + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "-p");
	grown[net->n_ports++] = p;
	net->ports = grown;
	return 0;
}

/* --netdev HOSTDEV[:NAME] -> linux.netDevices */
int cell_net_flag_netdev(struct cell_linux *l, const char *arg, struct cell_error *err)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	struct cell_net_device *grown;

	if (len == 0 || len >= IFNAMSIZ || (colon && (!colon[1] || strlen(colon + 1) >= IFNAMSIZ)))
		return cell_error_set(err, 0,
				      "--netdev '%s': expected HOSTDEV[:NAME], names of "
				      "1 to 15 characters",
				      arg);
	grown = realloc(l->net_devices, (l->n_net_devices + 1) * sizeof(*grown));
	if (!grown)
		return cell_error_set(err, ENOMEM, "--netdev");
	l->net_devices = grown;
	grown[l->n_net_devices] =
		(struct cell_net_device){ strndup(arg, len), colon ? strdup(colon + 1) : NULL };
	if (!grown[l->n_net_devices].name || (colon && !grown[l->n_net_devices].new_name)) {
		free(grown[l->n_net_devices].name);
		free(grown[l->n_net_devices].new_name);
		return cell_error_set(err, ENOMEM, "--netdev");
	}
	l->n_net_devices++;
	return 0;
}

int cell_net_from_annotations(struct cell_spec *spec, struct cell_error *err)
{
	struct cell_network *n = &spec->cell.net;
	int r = 0;

	for (size_t i = 0; i < spec->n_annotations && r == 0; i++) {
		const char *k = spec->annotations[i].key, *v = spec->annotations[i].value;

		if (strncmp(k, "run.cell.net", 12))
			continue;
		if (!strcmp(k, "run.cell.net"))
			r = cell_net_flag_mode(spec, v, err);
		else if (!strcmp(k, "run.cell.net.ip"))
			r = set_copy(&n->ip, v, err);
		else if (!strcmp(k, "run.cell.net.subnet"))
			r = set_copy(&n->subnet, v, err);
		else if (!strcmp(k, "run.cell.net.gateway"))
			r = set_copy(&n->gateway, v, err);
		else if (!strcmp(k, "run.cell.net.subnet6"))
			r = set_copy(&n->subnet6, v, err);
		else if (!strcmp(k, "run.cell.net.ipv6"))
			n->ipv6 = !strcmp(v, "true");
		else if (!strcmp(k, "run.cell.net.rate"))
			r = cell_parse_rate(v, &n->rate, err);
		else if (!strcmp(k, "run.cell.net.publish")) {
			char copy[4096], *save, *tok;

			snprintf(copy, sizeof(copy), "%s", v);
			for (tok = strtok_r(copy, ",", &save); tok && r == 0;
			     tok = strtok_r(NULL, ",", &save))
				r = cell_net_flag_publish(n, tok, err);
		}
		if (r < 0)
			cell_error_prefix(err, "annotations.%s", k);
	}
	return r;
}
