/*
 * cell — the process's privileges: user and groups, capabilities,
 * no_new_privs, rlimits, oom_score_adj, personality and the LSM labels
 * (AppArmor, SELinux). Raw capset(2) keeps libcap off the start path: five
 * 64-bit masks are all cell needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security.h"
#include "spec.h"
#include "utils.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* The highest capability this kernel knows (capabilities(7)). */
int cell_cap_last(void)
{
	static int last = -1;
	char buf[16];

	if (last < 0) {
		last = CAP_LAST_CAP;
		if (cell_read_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", buf, sizeof(buf),
				 NULL) > 0)
			last = atoi(buf);
	}
	return last;
}

/* The calling thread's sets, one capget(2) instead of a prctl per capability. */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capget, &hdr, data);
}

/* Nothing outside the permitted set can be given to the container without a
 * user namespace. */
uint64_t cell_caps_permitted(void)
{
	struct __user_cap_data_struct data[2] = { 0 };

	if (caps_get(data) < 0)
		return ~0ULL; /* let capset report what is wrong */
	return data[0].permitted | (uint64_t)data[1].permitted << 32;
}

uint64_t cell_caps_effective(void)
{
	struct __user_cap_data_struct data[2] = { 0 };

	if (caps_get(data) < 0)
		return 0;
	return data[0].effective | (uint64_t)data[1].effective << 32;
}

static int capset_masks(uint64_t eff, uint64_t perm, uint64_t inh, struct cell_error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};

	if (syscall(SYS_capset, &hdr, data) < 0)
		return cell_error_set(err, errno, "capset (process.capabilities)");
	return 0;
}

/* EINVAL marks the first capability this kernel does not know: no need to
 * read /proc/sys/kernel/cap_last_cap on the start path. */
static int drop_bounding(uint64_t keep, struct cell_error *err)
{
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		return cell_error_set(err, errno, "drop capability %s from the bounding set",
				      cell_cap_name(cap) ?: "?");
	}
	return 0;
}

/* The bounding set limits only what execve can grant: init never execs. */
int cell_caps_keep_only(uint64_t keep, struct cell_error *err)
{
	return capset_masks(keep, keep, 0, err);
}

static int check_rlimits(const struct cell_process *proc, struct cell_error *err)
{
	unsigned int seen = 0;

	for (size_t i = 0; i < proc->n_rlimits; i++) {
		const struct cell_rlimit *rl = &proc->rlimits[i];

		if (rl->resource < 0 || rl->resource >= RLIM_NLIMITS)
			return cell_error_set(err, 0, "process.rlimits[%zu]: unknown resource %d",
					      i, rl->resource);
		if (seen & (1U << rl->resource))
			return cell_error_set(err, 0,
					      "process.rlimits[%zu]: resource %d given "
					      "twice",
					      i, rl->resource);
		seen |= 1U << rl->resource;
		if (rl->soft > rl->hard)
			return cell_error_set(err, 0,
					      "process.rlimits[%zu]: soft %llu above "
					      "hard %llu",
					      i, (unsigned long long)rl->soft,
					      (unsigned long long)rl->hard);
	}
	return 0;
}

/*
 * cell stays non-dumpable until execve (CVE-2019-5736, see process.c), which
 * gives the files under /proc/self to the host root. In a user namespace the
 * container's root is not, so each own-file write briefly lifts it.
 */
int cell_proc_self_write(const char *file, const char *buf, struct cell_error *err)
{
	char path[64];
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), r;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_DUMPABLE) for %s", path);
	r = cell_write_at(AT_FDCWD, path, buf, strlen(buf), err);
	if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && r == 0)
		r = cell_error_set(err, errno, "prctl(PR_SET_DUMPABLE)");
	return r;
}

bool cell_apparmor_enabled(void)
{
	char buf[4];

	return cell_read_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", buf, sizeof(buf),
			    NULL) > 0 &&
	       buf[0] == 'Y';
}

static bool selinux_enabled(void)
{
	/* selinuxfs is mounted there exactly when SELinux runs (selinux(8)). */
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static int check_lsm(const struct cell_spec *spec, struct cell_error *err)
{
	const char *selinux_field = spec->process.selinux_label ? "process.selinuxLabel"
				    : spec->linux.mount_label	? "linux.mountLabel"
								: NULL;

	if (spec->process.apparmor_profile && !cell_apparmor_enabled())
		return cell_error_set(err, 0,
				      "process.apparmorProfile '%s': this host has no "
				      "AppArmor (/sys/module/apparmor/parameters/enabled is not Y)",
				      spec->process.apparmor_profile);
	if (selinux_field && !selinux_enabled())
		return cell_error_set(err, 0,
				      "%s: this host has no SELinux (no selinuxfs at "
				      "/sys/fs/selinux)",
				      selinux_field);
	return 0;
}

/* The labels take effect at the next execve (proc(5), /proc/pid/attr). */
int cell_lsm_apply(const struct cell_process *proc, struct cell_error *err)
{
	char buf[4096];
	int r;

	if (proc->apparmor_profile) {
		snprintf(buf, sizeof(buf), "exec %s", proc->apparmor_profile);
		/* Since Linux 5.8 AppArmor has its own directory; the shared file is older. */
		r = cell_proc_self_write("attr/apparmor/exec", buf, err);
		if (r == -ENOENT)
			r = cell_proc_self_write("attr/exec", buf, err);
		if (r < 0)
			return cell_error_prefix(err, "process.apparmorProfile");
	}
	if (proc->selinux_label) {
		/* keycreate labels the keys the process makes, as runc does. */
		if (cell_proc_self_write("attr/keycreate", proc->selinux_label, err) < 0 ||
		    cell_proc_self_write("attr/exec", proc->selinux_label, err) < 0)
			return cell_error_prefix(err, "process.selinuxLabel");
	}
	return 0;
}

static int check_personality(const struct cell_linux *l, struct cell_error *err)
{
	unsigned long domain = l->personality & PER_MASK;

	if (l->has_personality && domain != PER_LINUX && domain != PER_LINUX32)
		return cell_error_set(err, 0,
				      "linux.personality.domain 0x%lx: expected LINUX or "
				      "LINUX32",
				      domain);
	return 0;
}

/* personality(2) survives execve: LINUX32 makes uname(2) report i686. */
int cell_personality_apply(const struct cell_linux *l, struct cell_error *err)
{
	if (l->has_personality && personality(l->personality) < 0)
		return cell_error_set(err, errno, "linux.personality 0x%lx", l->personality);
	return 0;
}

int cell_security_check(const struct cell_spec *spec, struct cell_error *err)
{
	int r;

	if ((r = check_rlimits(&spec->process, err)) < 0 || (r = check_lsm(spec, err)) < 0 ||
	    (r = check_personality(&spec->linux, err)) < 0 ||
	    (r = cell_sched_check(&spec->process, err)) < 0 ||
	    (r = cell_sysctl_check(spec, err)) < 0 ||
	    (r = cell_seccomp_check(&spec->linux.seccomp, err)) < 0)
		return r;
	return 0;
}

/* "RLIMIT_NPROC", not 6: what config.json and getrlimit(2) call it. */
static const char *rlimit_label(int resource)
{
	const char *name = cell_rlimit_name(resource);

	return name ? name : "(unknown resource)";
}

static int apply_rlimits(const struct cell_process *proc, struct cell_error *err)
{
	for (size_t i = 0; i < proc->n_rlimits; i++) {
		const struct cell_rlimit *rl = &proc->rlimits[i];
		struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };

		if (setrlimit(rl->resource, &lim) < 0)
			return cell_error_set(err, errno,
					      "process.rlimits[%zu]: setrlimit %s (soft "
					      "%llu, hard %llu)",
					      i, rlimit_label(rl->resource),
					      (unsigned long long)rl->soft,
					      (unsigned long long)rl->hard);
	}
	return 0;
}

/*
 * Before the user changes: rlimits, oom_score_adj (lowering it needs
 * CAP_SYS_RESOURCE), I/O priority and scheduler (CAP_SYS_NICE, CAP_SYS_ADMIN
 * for the RT class), LSM labels and the bounding set (dropping needs
 * CAP_SETPCAP).
 */
int cell_security_prepare(const struct cell_process *proc, struct cell_error *err)
{
	int r;

	if ((r = apply_rlimits(proc, err)) < 0)
		return r;
	if (proc->has_oom_score_adj) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%d", proc->oom_score_adj);
		/* lowering it needs CAP_SYS_RESOURCE in the host's user namespace: EACCES */
		if ((r = cell_proc_self_write("oom_score_adj", buf, err)) < 0)
			return cell_error_prefix(err, "process.oomScoreAdj %d",
						 proc->oom_score_adj);
	}
	if ((r = cell_sched_apply(proc, err)) < 0 || (r = cell_lsm_apply(proc, err)) < 0)
		return r;
	if (proc->capabilities.present)
		return drop_bounding(proc->capabilities.bounding, err);
	return 0;
}

/*
 * A change of uid or gid sets the dumpable flag to fs.suid_dumpable (prctl(2),
 * PR_SET_DUMPABLE): on a host where that is 1 the process entering a
 * container would open itself to it again (CVE-2019-5736).
 */
static int keep_non_dumpable(int was, struct cell_error *err)
{
	if (was != 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
		return 0;
	return cell_set_non_dumpable(err);
}

int cell_security_change_user(const struct cell_process *proc, bool setgroups_allowed,
			      struct cell_error *err)
{
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), r;

	/* Keep the permitted set across setuid so capset can pick from it (as runc). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (setgroups_allowed &&
	    setgroups(proc->n_additional_gids, (const gid_t *)proc->additional_gids) < 0)
		return cell_error_set(err, errno, "setgroups (process.user.additionalGids)");
	if (!setgroups_allowed && proc->n_additional_gids)
		return cell_error_set(err, EPERM,
				      "process.user.additionalGids: setgroups is "
				      "denied in this user namespace");
	if (setresgid(proc->gid, proc->gid, proc->gid) < 0)
		return cell_error_set(err, errno, "setresgid %u (process.user.gid)", proc->gid);
	if (setresuid(proc->uid, proc->uid, proc->uid) < 0)
		return cell_error_set(err, errno, "setresuid %u (process.user.uid)", proc->uid);
	if ((r = keep_non_dumpable(dumpable, err)) < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

/* After the user change: the capability sets, ambient ones, then no_new_privs. */
int cell_security_finish(const struct cell_process *proc, struct cell_error *err)
{
	const struct cell_capabilities *c = &proc->capabilities;
	int r;

	if (c->present) {
		if ((r = capset_masks(c->effective, c->permitted, c->inheritable, err)) < 0)
			return r;
		for (int cap = 0; cap < 64; cap++) {
			if (!(c->ambient & (1ULL << cap)))
				continue;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				/* EPERM: not in permitted and inheritable (capabilities(7)) */
				return cell_error_set(err, errno,
						      "process.capabilities.ambient: "
						      "raise %s",
						      cell_cap_name(cap) ?: "?");
		}
	}
	if (proc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cell_error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

/*
 * A session keyring of its own (keyrings(7)): the caller's session keyring
 * holds the host's keys (Kerberos tickets, file system keys), and a process
 * inside that shares it reads them and plants its own where the host's
 * processes search. The name is NULL: with a name the kernel joins an
 * existing keyring of that name the caller can search, and a container
 * without a user namespace can make one for a container that starts later
 * (keyctl_join_session_keyring(3)). ENOSYS: the kernel has no keyrings.
 */
int cell_session_keyring_new(struct cell_error *err)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return cell_error_set(err, errno, "join a new session keyring%s",
				      errno == EDQUOT ? " (the user's key quota is spent: "
							"/proc/sys/kernel/keys/maxkeys)"
						      : "");
	return 0;
}
