/*
 * cell — statistics of a container's cgroup for `events --stats`, in the
 * shape of runc's types.Stats (cpu, memory, pids, blkio, hugetlb). A file a
 * kernel lacks leaves its numbers at 0, as runc does; a file that exists but
 * cannot be read is an error.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

#define STAT_BUF 16384
#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_SEC 1000000000ULL

/* read_num() - one number; "max" (unlimited) reads as UINT64_MAX, a missing file as 0. */
static int read_num(const char *dir, const char *file, uint64_t *out, struct cell_error *err)
{
	char buf[64];
	int r = cgroup_read_opt(dir, file, buf, sizeof(buf), err);

	*out = 0;
	return r < 0 || !buf[0] ? r : cgroup_parse_u64(dir, file, buf, out, err);
}

static int read_key(const char *dir, const char *file, const char *key, uint64_t *out,
		    struct cell_error *err)
{
	char buf[STAT_BUF];
	int r = cgroup_read_opt(dir, file, buf, sizeof(buf), err);

	*out = 0;
	if (r == 0)
		cgroup_keyed_value(buf, key, out);
	return r;
}

/* raw_stat() - every "key N" line of @file (memory.stat) as it is. */
static int raw_stat(const char *dir, const char *file, struct cell_cgroup_stats *st,
		    struct cell_error *err)
{
	char buf[STAT_BUF], *line, *save = NULL;
	int r = cgroup_read_opt(dir, file, buf, sizeof(buf), err);
	size_t cap = 0;

	for (line = strtok_r(buf, "\n", &save); r == 0 && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		struct cell_cgroup_kv64 *kv;

		if (!sp || (size_t)(sp - line) >= sizeof(kv->key))
			continue;
		if (st->memory.n_raw == cap) {
			cap = cap ? 2 * cap : 64;
			kv = realloc(st->memory.raw, cap * sizeof(*kv));
			if (!kv)
				return cell_error_set(err, ENOMEM, "%s/%s", dir, file);
			st->memory.raw = kv;
		}
		kv = &st->memory.raw[st->memory.n_raw++];
		snprintf(kv->key, sizeof(kv->key), "%.*s", (int)(sp - line), line);
		kv->value = strtoull(sp + 1, NULL, 10);
	}
	return r;
}

static uint64_t raw_value(const struct cell_cgroup_stats *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->memory.n_raw; i++)
		if (strcmp(st->memory.raw[i].key, key) == 0)
			return st->memory.raw[i].value;
	return 0;
}

static int add_blkio(struct cell_cgroup_blkio_entry **list, size_t *n, uint32_t major,
		     uint32_t minor, const char *op, uint64_t value)
{
	struct cell_cgroup_blkio_entry *p = realloc(*list, (*n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	*list = p;
	p += (*n)++;
	p->major = major;
	p->minor = minor;
	snprintf(p->op, sizeof(p->op), "%s", op);
	p->value = value;
	return 0;
}

/* ---- hugetlb: one entry per size the kernel has ---- */

typedef int (*hugetlb_reader)(const char *dir, const char *size, struct cell_cgroup_hugetlb_stat *h,
			      struct cell_error *err);

static int hugetlb_stats(const struct cell_cgroup *cg, const char *dir, hugetlb_reader reader,
			 struct cell_cgroup_stats *st, struct cell_error *err)
{
	const char *pages = cg->hugepages_dir ? cg->hugepages_dir : CG_DEFAULT_HUGEPAGES;
	struct dirent *e;
	uint64_t kib;
	DIR *d;
	int r = 0;

	if (!dir || !(d = opendir(pages)))
		return 0; /* no huge pages in this kernel */
	while (r == 0 && (e = readdir(d))) {
		struct cell_cgroup_hugetlb_stat *h;
		char kb[32], size[16];

		if (sscanf(e->d_name, "hugepages-%" SCNu64 "kB", &kib) != 1)
			continue;
		snprintf(kb, sizeof(kb), "%" PRIu64 "kB", kib);
		if (cgroup_hugetlb_name(kb, size, sizeof(size), &kib) < 0)
			continue;
		h = realloc(st->hugetlb, (st->n_hugetlb + 1) * sizeof(*h));
		if (!h) {
			r = cell_error_set(err, ENOMEM, "hugetlb statistics");
			break;
		}
		st->hugetlb = h;
		h += st->n_hugetlb++;
		memset(h, 0, sizeof(*h));
		snprintf(h->page_size, sizeof(h->page_size), "%s", size);
		r = reader(dir, size, h, err);
	}
	closedir(d);
	return r;
}

static int hugetlb_v1(const char *dir, const char *size, struct cell_cgroup_hugetlb_stat *h,
		      struct cell_error *err)
{
	char file[64];
	int r;

	snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", size);
	r = read_num(dir, file, &h->usage, err);
	snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
	if (r == 0)
		r = read_num(dir, file, &h->max, err);
	snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
	return r < 0 ? r : read_num(dir, file, &h->failcnt, err);
}

/* cgroup-v2.rst "HugeTLB": current, and events "max" = allocations refused. */
static int hugetlb_v2(const char *dir, const char *size, struct cell_cgroup_hugetlb_stat *h,
		      struct cell_error *err)
{
	char file[64];
	int r;

	snprintf(file, sizeof(file), "hugetlb.%s.current", size);
	r = read_num(dir, file, &h->usage, err);
	snprintf(file, sizeof(file), "hugetlb.%s.events", size);
	return r < 0 ? r : read_key(dir, file, "max", &h->failcnt, err);
}

/* ---- v1 ---- */

static int mem_entry_v1(const char *dir, const char *prefix, struct cell_cgroup_mem_entry *m,
			struct cell_error *err)
{
	static const char *const names[] = { "usage_in_bytes", "max_usage_in_bytes",
					     "limit_in_bytes", "failcnt" };
	uint64_t *fields[] = { &m->usage, &m->max, &m->limit, &m->failcnt };
	char file[96];
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < 4; i++) {
		snprintf(file, sizeof(file), "%s%s", prefix, names[i]);
		r = read_num(dir, file, fields[i], err);
	}
	return r;
}

/* cpuacct.usage_percpu: one number per possible CPU. */
static int percpu_v1(const char *dir, struct cell_cgroup_stats *st, struct cell_error *err)
{
	char buf[STAT_BUF], *p, *end;
	int r = cgroup_read_opt(dir, "cpuacct.usage_percpu", buf, sizeof(buf), err);

	for (p = buf; r == 0;) {
		uint64_t v = strtoull(p, &end, 10), *list;

		if (end == p)
			break;
		list = realloc(st->cpu.percpu, (st->cpu.n_percpu + 1) * sizeof(*list));
		if (!list)
			return cell_error_set(err, ENOMEM, "%s/cpuacct.usage_percpu", dir);
		st->cpu.percpu = list;
		list[st->cpu.n_percpu++] = v;
		p = end;
	}
	return r;
}

static int cpu_v1(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		  struct cell_error *err)
{
	const char *acct = cg->dirs[CELL_CG_CPUACCT], *cpu = cg->dirs[CELL_CG_CPU];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t user = 0, system = 0;
	int r;

	r = read_num(acct, "cpuacct.usage", &st->cpu.total, err);
	/* nanoseconds (Linux 4.7), where cpuacct.stat has only ticks */
	if (r == 0)
		r = read_num(acct, "cpuacct.usage_user", &st->cpu.user, err);
	if (r == 0)
		r = read_num(acct, "cpuacct.usage_sys", &st->cpu.kernel, err);
	if (r == 0)
		r = percpu_v1(acct, st, err);
	/* cpuacct.stat counts USER_HZ ticks (cgroup-v1/cpuacct.rst). */
	if (r == 0)
		r = read_key(acct, "cpuacct.stat", "user", &user, err);
	if (r == 0)
		r = read_key(acct, "cpuacct.stat", "system", &system, err);
	if (hz > 0 && !st->cpu.user && !st->cpu.kernel) {
		st->cpu.user = user * (NSEC_PER_SEC / (uint64_t)hz);
		st->cpu.kernel = system * (NSEC_PER_SEC / (uint64_t)hz);
	}
	if (r == 0)
		r = read_key(cpu, "cpu.stat", "nr_periods", &st->cpu.periods, err);
	if (r == 0)
		r = read_key(cpu, "cpu.stat", "nr_throttled", &st->cpu.throttled_periods, err);
	if (r == 0)
		r = read_key(cpu, "cpu.stat", "throttled_time", &st->cpu.throttled_time, err);
	return r;
}

/* blkio.throttle.*_recursive: "MAJ:MIN Op N" lines, then "Total N". */
static int blkio_v1_file(const char *dir, const char *file, struct cell_cgroup_blkio_entry **list,
			 size_t *n, struct cell_error *err)
{
	char buf[STAT_BUF], *line, *save = NULL, op[16];
	int r = cgroup_read_opt(dir, file, buf, sizeof(buf), err);
	uint32_t major, minor;
	uint64_t v;

	for (line = strtok_r(buf, "\n", &save); r == 0 && line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%" SCNu32 ":%" SCNu32 " %15s %" SCNu64, &major, &minor, op, &v) ==
			    4 &&
		    add_blkio(list, n, major, minor, op, v) < 0)
			r = cell_error_set(err, ENOMEM, "%s/%s", dir, file);
	return r;
}

int cgroup_v1_stats(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		    struct cell_error *err)
{
	const char *mem = cg->dirs[CELL_CG_MEMORY], *blk = cg->dirs[CELL_CG_BLKIO];
	int r = cpu_v1(cg, st, err);

	if (r == 0)
		r = raw_stat(mem, "memory.stat", st, err);
	st->memory.cache = raw_value(st, "cache");
	if (r == 0)
		r = mem_entry_v1(mem, "memory.", &st->memory.usage, err);
	if (r == 0)
		r = mem_entry_v1(mem, "memory.memsw.", &st->memory.swap, err);
	if (r == 0)
		r = mem_entry_v1(mem, "memory.kmem.", &st->memory.kernel, err);
	if (r == 0)
		r = mem_entry_v1(mem, "memory.kmem.tcp.", &st->memory.kernel_tcp, err);
	if (r == 0)
		r = read_num(cg->dirs[CELL_CG_PIDS], "pids.current", &st->pids.current, err);
	if (r == 0)
		r = read_num(cg->dirs[CELL_CG_PIDS], "pids.max", &st->pids.limit, err);
	if (r == 0)
		r = read_num(cg->dirs[CELL_CG_PIDS], "pids.peak", &st->pids.peak, err);
	if (st->pids.limit == UINT64_MAX)
		st->pids.limit = 0;
	if (r == 0)
		r = blkio_v1_file(blk, "blkio.throttle.io_service_bytes_recursive",
				  &st->blkio.service_bytes, &st->blkio.n_service_bytes, err);
	if (r == 0)
		r = blkio_v1_file(blk, "blkio.throttle.io_serviced_recursive", &st->blkio.serviced,
				  &st->blkio.n_serviced, err);
	if (r == 0)
		r = hugetlb_stats(cg, cg->dirs[CELL_CG_HUGETLB],
				  cg->unified & CG_BIT(CELL_CG_HUGETLB) ? hugetlb_v2 : hugetlb_v1,
				  st, err);
	return r;
}

/* ---- v2 ---- */

static int cpu_v2(const char *dir, struct cell_cgroup_stats *st, struct cell_error *err)
{
	char buf[STAT_BUF];
	uint64_t v = 0;
	int r = cgroup_read_opt(dir, "cpu.stat", buf, sizeof(buf), err);

	if (r < 0)
		return r;
	/* cpu.stat counts microseconds (cgroup-v2.rst, "CPU Interface Files"). */
	if (cgroup_keyed_value(buf, "usage_usec", &v))
		st->cpu.total = v * NSEC_PER_USEC;
	if (cgroup_keyed_value(buf, "user_usec", &v))
		st->cpu.user = v * NSEC_PER_USEC;
	if (cgroup_keyed_value(buf, "system_usec", &v))
		st->cpu.kernel = v * NSEC_PER_USEC;
	if (cgroup_keyed_value(buf, "throttled_usec", &v))
		st->cpu.throttled_time = v * NSEC_PER_USEC;
	cgroup_keyed_value(buf, "nr_periods", &st->cpu.periods);
	cgroup_keyed_value(buf, "nr_throttled", &st->cpu.throttled_periods);
	return 0;
}

static int memory_v2(const char *dir, struct cell_cgroup_stats *st, struct cell_error *err)
{
	struct cell_cgroup_mem_entry *m = &st->memory.usage, *s = &st->memory.swap;
	int r = raw_stat(dir, "memory.stat", st, err);

	st->memory.cache = raw_value(st, "file");
	if (r == 0)
		r = read_num(dir, "memory.current", &m->usage, err);
	if (r == 0)
		r = read_num(dir, "memory.max", &m->limit, err);
	if (r == 0) /* memory.peak: Linux 5.19 */
		r = read_num(dir, "memory.peak", &m->max, err);
	if (r == 0) /* "max": times the limit was hit, v1's failcnt */
		r = read_key(dir, "memory.events", "max", &m->failcnt, err);
	if (r == 0)
		r = read_num(dir, "memory.swap.current", &s->usage, err);
	if (r == 0)
		r = read_num(dir, "memory.swap.max", &s->limit, err);
	if (r == 0)
		r = read_num(dir, "memory.swap.peak", &s->max, err);
	return r;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
static int io_v2(const char *dir, struct cell_cgroup_stats *st, struct cell_error *err)
{
	char buf[STAT_BUF], *line, *save = NULL;
	uint64_t rb, wb, ri, wi;
	uint32_t major, minor;
	int r = cgroup_read_opt(dir, "io.stat", buf, sizeof(buf), err);

	for (line = strtok_r(buf, "\n", &save); r == 0 && line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line,
			   "%" SCNu32 ":%" SCNu32 " rbytes=%" SCNu64 " wbytes=%" SCNu64
			   " rios=%" SCNu64 " wios=%" SCNu64,
			   &major, &minor, &rb, &wb, &ri, &wi) != 6)
			continue;
		if (add_blkio(&st->blkio.service_bytes, &st->blkio.n_service_bytes, major, minor,
			      "Read", rb) < 0 ||
		    add_blkio(&st->blkio.service_bytes, &st->blkio.n_service_bytes, major, minor,
			      "Write", wb) < 0 ||
		    add_blkio(&st->blkio.serviced, &st->blkio.n_serviced, major, minor, "Read",
			      ri) < 0 ||
		    add_blkio(&st->blkio.serviced, &st->blkio.n_serviced, major, minor, "Write",
			      wi) < 0)
			r = cell_error_set(err, ENOMEM, "%s/io.stat", dir);
	}
	return r;
}

int cgroup_v2_stats(const struct cell_cgroup *cg, struct cell_cgroup_stats *st,
		    struct cell_error *err)
{
	const char *dir = cg->dirs[0];
	int r = cpu_v2(dir, st, err);

	if (r == 0)
		r = memory_v2(dir, st, err);
	if (r == 0)
		r = read_num(dir, "pids.current", &st->pids.current, err);
	if (r == 0)
		r = read_num(dir, "pids.max", &st->pids.limit, err);
	if (r == 0)
		r = read_num(dir, "pids.peak", &st->pids.peak, err);
	if (st->pids.limit == UINT64_MAX)
		st->pids.limit = 0;
	if (r == 0)
		r = io_v2(dir, st, err);
	if (r == 0)
		r = hugetlb_stats(cg, dir, hugetlb_v2, st, err);
	return r;
}

int cell_cgroup_poll_usage(const struct cell_cgroup *cg, struct cell_cgroup_usage *u,
			   struct cell_error *err)
{
	uint64_t usec = 0;
	int r;

	if (cg->mode != CELL_CGROUP_V2) {
		r = read_num(cg->dirs[CELL_CG_CPUACCT], "cpuacct.usage", &u->cpu_ns, err);
		return r < 0 ? r : read_num(cg->dirs[CELL_CG_PIDS], "pids.current", &u->pids, err);
	}
	r = read_key(cg->dirs[0], "cpu.stat", "usage_usec", &usec, err);
	u->cpu_ns = usec * NSEC_PER_USEC;
	return r < 0 ? r : read_num(cg->dirs[0], "pids.current", &u->pids, err);
}

int cell_cgroup_cpu_split(const struct cell_cgroup *cg, uint64_t *user_ns, uint64_t *sys_ns,
			  struct cell_error *err)
{
	int r;

	*user_ns = *sys_ns = 0;
	if (cg->mode != CELL_CGROUP_V2) {
		r = read_num(cg->dirs[CELL_CG_CPUACCT], "cpuacct.usage_user", user_ns, err);
		return r < 0 ? r
			     : read_num(cg->dirs[CELL_CG_CPUACCT], "cpuacct.usage_sys", sys_ns,
					err);
	}
	struct cell_cgroup_stats st = { 0 };

	/* cpu.stat read once, as cell_cgroup_stats() reads it */
	if ((r = cpu_v2(cg->dirs[0], &st, err)) < 0)
		return r;
	*user_ns = st.cpu.user;
	*sys_ns = st.cpu.kernel;
	return 0;
}

int cell_cgroup_peaks(const struct cell_cgroup *cg, struct cell_cgroup_peaks *p,
		      struct cell_error *err)
{
	uint64_t usec = 0;
	int r;

	memset(p, 0, sizeof(*p));
	if (cg->mode != CELL_CGROUP_V2) {
		r = read_num(cg->dirs[CELL_CG_CPUACCT], "cpuacct.usage", &p->cpu_ns, err);
		if (r == 0)
			r = read_num(cg->dirs[CELL_CG_MEMORY], "memory.max_usage_in_bytes",
				     &p->memory_peak, err);
		return r < 0 ? r
			     : read_num(cg->dirs[CELL_CG_PIDS], "pids.peak", &p->pids_peak, err);
	}
	r = read_key(cg->dirs[0], "cpu.stat", "usage_usec", &usec, err);
	p->cpu_ns = usec * NSEC_PER_USEC;
	if (r == 0) /* memory.peak: Linux 5.19 */
		r = read_num(cg->dirs[0], "memory.peak", &p->memory_peak, err);
	return r < 0 ? r : read_num(cg->dirs[0], "pids.peak", &p->pids_peak, err);
}
