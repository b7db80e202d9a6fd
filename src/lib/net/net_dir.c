/* cell — where the network state of this network namespace lives (net.c and its loader). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"

/*
 * One database per network namespace (by its inode): bridges and rules live
 * in a netns, and a run inside `ip netns exec` must not see, or sweep, the
 * bridges of another.
 */
void cell_net_state_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st = { 0 };

	stat("/proc/self/ns/net", &st);
	if (geteuid() == 0)
		snprintf(buf, size, "%s/%lu", CELL_NET_DIR, (unsigned long)st.st_ino);
	else if (xdg && xdg[0] == '/')
		snprintf(buf, size, "%s/cell/net/%lu", xdg, (unsigned long)st.st_ino);
	else
		snprintf(buf, size, "/tmp/cell-%u/net/%lu", (unsigned)geteuid(),
			 (unsigned long)st.st_ino);
}

void cell_net_leases_path(char *buf, size_t size)
{
	char dir[PATH_MAX / 4];

	cell_net_state_dir(dir, sizeof(dir));
	snprintf(buf, size, "%s/leases", dir);
}
