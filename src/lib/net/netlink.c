/*
 * cell — rtnetlink through libmnl: links (bridge, veth), addresses, routes
 * and a token-bucket qdisc. One request, one ACK; no shelling out to ip(8)
 * or tc(8) (rtnetlink(7), tc-tbf(8)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "net.h"
#include "utils.h"

#define NL_BUF 32768 /* a dump message may be up to a page; MNL_SOCKET_DUMP_SIZE */
#define NL_REQ 4096  /* one request; MNL_SOCKET_BUFFER_SIZE is not a constant */

int cell_nl_open(int nsfd, struct mnl_socket **out, struct cell_error *err)
{
	cleanup_close int self = -1;
	struct mnl_socket *nl;
	int e;

	/* A netlink socket belongs to the netns it was made in: enter the
	 * container's for the socket() call only, then come back. */
	if (nsfd >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return cell_error_set(err, errno, "open /proc/self/ns/net");
		if (setns(nsfd, CLONE_NEWNET) < 0)
			return cell_error_set(err, errno,
					      "enter the container's network namespace");
	}
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	e = errno;
	if (nsfd >= 0 && setns(self, CLONE_NEWNET) < 0) {
		e = errno;
		if (nl)
			mnl_socket_close(nl);
		return cell_error_set(err, e, "return to cell's network namespace");
	}
	if (!nl)
		return cell_error_set(err, e, "netlink socket");
	/* The parent waits here with its signals blocked: never forever. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 10 }, sizeof(struct timeval));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		return cell_error_set(err, e, "bind netlink socket");
	}
	*out = nl;
	return 0;
}

void cell_nl_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

/* Send @nlh and read the answer to the end: the ACK, or every part of a dump. */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static unsigned int seq;
	char *buf = malloc(NL_BUF);
	unsigned int portid = mnl_socket_get_portid(nl);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	nlh->nlmsg_seq = seq = seq ? seq + 1 : (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, NL_BUF);

		if (n < 0) {
			r = -errno;
			break;
		}
		n = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
		if (n <= MNL_CB_STOP) {
			r = n < 0 ? -errno : 0;
			break;
		}
	}
out:
	free(buf);
	return r;
}

static struct nlmsghdr *nl_request(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	*(int *)data = ifm->ifi_index;
	return MNL_CB_OK;
}

int cell_nl_link_index(struct mnl_socket *nl, const char *name)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_GETLINK, NLM_F_ACK);
	int index = -ENODEV, r;

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(nl, nlh, link_index_cb, &index);
	return r < 0 ? r : index;
}

static struct ifinfomsg *link_header(struct nlmsghdr *nlh)
{
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	return ifm;
}

int cell_nl_bridge_add(struct mnl_socket *nl, const char *name, struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifm = link_header(nlh);
	struct nlattr *info;
	int r;

	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "create bridge %s", name);
	return 0;
}

int cell_nl_veth_add(struct mnl_socket *nl, const char *host, int master, const char *peer,
		     int peer_nsfd, struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifm = link_header(nlh);
	struct nlattr *info, *data, *peer_attr;
	int r;

	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries a whole ifinfomsg, then the peer's attributes. */
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	link_header(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "create veth pair %s/%s", host, peer);
	return 0;
}

int cell_nl_link_del(struct mnl_socket *nl, const char *name, struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_DELLINK, NLM_F_ACK);
	int r;

	link_header(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0 && r != -ENODEV)
		return cell_error_set(err, -r, "delete link %s", name);
	return 0;
}

int cell_nl_link_set(struct mnl_socket *nl, int index, bool up, const char *name, int nsfd,
		     struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = link_header(nlh);
	int r;

	ifm->ifi_index = index;
	if (up)
		ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "configure link %d%s%s", index, name ? " as " : "",
				      name ? name : "");
	return 0;
}

int cell_nl_addr_add(struct mnl_socket *nl, int index, int family, const void *addr, int prefix,
		     struct cell_error *err)
{
	char buf[NL_REQ], text[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t len = family == AF_INET ? 4 : 16;
	int r;

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_index = (uint32_t)index;
	/* No duplicate address detection: the lease file already made the
	 * address unique, and DAD would keep it unusable for a second. */
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, len, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, addr);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "add address %s/%d",
				      inet_ntop(family, addr, text, sizeof(text)), prefix);
	return 0;
}

int cell_nl_route_default(struct mnl_socket *nl, int family, const void *gateway, int index,
			  struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	int r;

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? 4 : 16, gateway);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "add default route (%s)",
				      family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

int cell_nl_tbf(struct mnl_socket *nl, int index, uint64_t rate, struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh =
		nl_request(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	/* tc-tbf(8): a burst of 20 ms of traffic (at least a 64 KiB GSO
	 * packet, which tbf segments) and a queue of 50 ms beyond it. */
	uint64_t burst = rate / 50 > 65536 ? rate / 50 : 65536;
	uint64_t limit = burst + rate / 20;
	struct tc_tbf_qopt q = {
		.rate = { .rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate,
			  .linklayer = TC_LINKLAYER_ETHERNET },
		.limit = limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit,
		/* in psched ticks (64 ns); TCA_TBF_BURST below makes it exact */
		.buffer = (uint32_t)(burst * 1000000000ULL / rate / 64),
	};
	struct nlattr *opts;
	int r;

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = index;
	tcm->tcm_handle = 0x10000; /* 1: */
	tcm->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, (uint32_t)(burst > UINT32_MAX ? UINT32_MAX : burst));
	if (rate > UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, rate);
	mnl_attr_nest_end(nlh, opts);
	if ((r = nl_talk(nl, nlh, NULL, NULL)) < 0)
		return cell_error_set(err, -r, "token-bucket qdisc on link %d", index);
	return 0;
}

struct overlap {
	uint32_t net, mask;
	char *what;
	size_t size;
	int found;
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= RTA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int route_overlap_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct overlap *o = data;
	uint32_t dst, mask;
	char text[INET_ADDRSTRLEN];
	struct in_addr a;

	if (rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_dst_len == 0 || o->found)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb);
	if (!tb[RTA_DST])
		return MNL_CB_OK;
	memcpy(&a, mnl_attr_get_payload(tb[RTA_DST]), 4);
	dst = ntohl(a.s_addr);
	mask = rtm->rtm_dst_len >= 32 ? ~0U : ~(~0U >> rtm->rtm_dst_len);
	/* Two prefixes overlap when they agree on the shorter one's bits. */
	if (((dst ^ o->net) & mask & o->mask) == 0) {
		o->found = 1;
		snprintf(o->what, o->size, "%s/%u", inet_ntop(AF_INET, &a, text, sizeof(text)),
			 rtm->rtm_dst_len);
	}
	return MNL_CB_OK;
}

int cell_nl_route_overlap(struct mnl_socket *nl, uint32_t net, int len, char *what, size_t size,
			  struct cell_error *err)
{
	char buf[NL_REQ];
	struct nlmsghdr *nlh = nl_request(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct overlap o = {
		.net = net, .mask = len >= 32 ? ~0U : ~(~0U >> len), .what = what, .size = size
	};
	int r;

	rtm->rtm_family = AF_INET;
	if ((r = nl_talk(nl, nlh, route_overlap_cb, &o)) < 0)
		return cell_error_set(err, -r, "list IPv4 routes");
	return o.found;
}
