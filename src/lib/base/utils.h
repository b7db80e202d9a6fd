/*
 * cell — base/: what every folder of the library uses (internal).
 *
 * error.c     cell_error_set, _prefix, _reset (include/cell/error.h)
 * utils.c     cleanup attributes, string vectors, reading and writing files
 *             (also atomically), sizes and rates, random ids, rootless and
 *             user namespace facts
 * prefault.c  mapping cell's own image before clone3
 *
 * Uses nothing of cell but include/cell.
 */
#ifndef CELL_UTILS_H
#define CELL_UTILS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "cell/cell.h"

/* Built with AddressSanitizer (gcc defines the first, clang has the feature test). */
#if defined(__SANITIZE_ADDRESS__)
#define CELL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CELL_ASAN 1
#endif
#endif
#ifndef CELL_ASAN
#define CELL_ASAN 0
#endif

static inline void cell_freep(void *p)
{
	free(*(void **)p);
}

static inline void cell_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd); /* close(2): never retry on EINTR on Linux */
}

void cell_strv_freep(char ***v);

#define cleanup_free __attribute__((cleanup(cell_freep)))
#define cleanup_strv __attribute__((cleanup(cell_strv_freep)))
#define cleanup_close __attribute__((cleanup(cell_closep)))

/** take_fd() - hand ownership of *@fd to the caller: `return take_fd(&fd);` */
static inline int take_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/** safe_close() - close @fd if valid and return -1: `fd = safe_close(fd);` */
static inline int safe_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -1;
}

/* NULL-terminated string vectors. */
size_t cell_strv_len(char *const *v);
void cell_strv_free(char **v);
char **cell_strv_dup(char *const *v);
/** cell_strv_append() - append a copy of @s; returns 0 or -ENOMEM. */
int cell_strv_append(char ***v, const char *s);

/** cell_write_all() - all of @buf to @fd, over EINTR and short writes; 0 or -errno. */
int cell_write_all(int fd, const char *buf, size_t len);
/** cell_write_at() - write all of @buf to @name under @dirfd (AT_FDCWD ok), O_WRONLY|O_TRUNC. */
int cell_write_at(int dirfd, const char *name, const char *buf, size_t len, struct cell_error *err);
/** cell_read_at() - read up to @size-1 bytes of @name, NUL-terminate; returns length or -errno. */
ssize_t cell_read_at(int dirfd, const char *name, char *buf, size_t size, struct cell_error *err);

/** cell_read_file() - all of @path into a malloc'd NUL-terminated *@out (length in *@len). */
int cell_read_file(const char *path, char **out, size_t *len, struct cell_error *err);
/** cell_read_fd() - the rest of @fd, as cell_read_file(); @what names it in errors. */
int cell_read_fd(int fd, const char *what, char **out, size_t *len, struct cell_error *err);
/** cell_write_file_atomic() - write @buf to a temporary file beside @path, then rename it over @path. */
int cell_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
			   struct cell_error *err);

/** cell_parse_size() - "256M", "1g", "512k", "4096" (1024-based) to bytes; "-1" if @allow_unlimited. */
int cell_parse_size(const char *s, bool allow_unlimited, int64_t *out, struct cell_error *err);
/** cell_parse_rate() - "10mbit", "1.5gbit", "500kbps" (tc's SI units) to bytes per second. */
int cell_parse_rate(const char *s, uint64_t *bytes_per_sec, struct cell_error *err);
/**
 * cell_prefault_image() - map all of cell's code and read-only data now, in
 * one madvise(MADV_POPULATE_READ), instead of a page fault per 64 KiB on
 * first touch; fork(2) does not copy those mappings, so a child calls it too.
 * Best effort (Linux >= 5.14).
 */
void cell_prefault_image(void);
/** cell_set_non_dumpable() - close /proc/self/exe and ptrace to the container until execve. */
int cell_set_non_dumpable(struct cell_error *err);
/** cell_fds_cloexec_from() - mark every fd >= @first close-on-exec (close_range(2)). */
int cell_fds_cloexec_from(unsigned int first, struct cell_error *err);
/** cell_chdir_inside() - chdir(@path), refused if that leads outside the root; @what names it. */
int cell_chdir_inside(const char *path, const char *what, struct cell_error *err);
/** cell_in_initial_userns() - is /proc/self/uid_map the initial namespace's identity map? */
bool cell_in_initial_userns(void);

/**
 * cell_rootless() - no privilege over the host: euid != 0, or uid 0 of a
 * user namespace other than the initial one; cell_rootless_force() (0 or 1,
 * -1 to detect again) is --rootless false|true|auto.
 */
bool cell_rootless(void);
void cell_rootless_force(int on);

/** cell_hex() - @len bytes of @in as 2 * @len lowercase hex digits and a NUL in @out. */
void cell_hex(const void *in, size_t len, char *out);
/** cell_random_id() - 12 lowercase hex digits from getrandom(2), for container ids. */
int cell_random_id(char out[13], struct cell_error *err);

#endif
