/* cell — `cell run` network flags to spec edits (net_flags.c). */
#ifndef CELL_NET_FLAGS_H
#define CELL_NET_FLAGS_H

#include "cell/cell.h"

/** cell_net_flag_mode() - --net none|host|bridge[=NAME]|pasta|slirp4netns|ns:PATH|container:ID */
int cell_net_flag_mode(struct cell_spec *spec, const char *mode, struct cell_error *err);
/** cell_net_flag_publish() - -p [HOSTIP:]HOSTPORT:PORT[/tcp|udp] */
int cell_net_flag_publish(struct cell_network *net, const char *arg, struct cell_error *err);
/** cell_net_flag_netdev() - --netdev HOSTDEV[:NAME] into linux.netDevices */
int cell_net_flag_netdev(struct cell_linux *l, const char *arg, struct cell_error *err);

/** cell_net_from_annotations() - a bundle's run.cell.net* annotations (cell spec wrote them). */
int cell_net_from_annotations(struct cell_spec *spec, struct cell_error *err);

#endif
