/*
 * cell — the parent <-> child channel. A SOCK_SEQPACKET socketpair keeps
 * message boundaries, so the container's init and the command it forks can
 * both report on one socket without framing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"

int cell_sync_send(int fd, enum cell_sync_type type, int value, const char *text, int pass_fd)
{
	struct cell_sync_msg msg = { .type = type, .value = value };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (text)
		strncpy(msg.text, text, sizeof(msg.text) - 1);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int cell_sync_recv(int fd, struct cell_sync_msg *msg, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	*fd_out = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd_out, CMSG_DATA(c), sizeof(int));
	if ((size_t)n != sizeof(*msg)) {
		if (*fd_out >= 0)
			close(*fd_out);
		*fd_out = -1;
		return -EPROTO;
	}
	msg->text[sizeof(msg->text) - 1] = '\0';
	return 1;
}

static void error_message(struct cell_sync_msg *msg, const struct cell_error *err)
{
	_Static_assert(sizeof(msg->text) == sizeof(err->msg), "one message size");
	*msg = (struct cell_sync_msg){ .type = CELL_SYNC_ERROR,
				       .value = err->errnum,
				       .kind = err->kind };
	memcpy(msg->text, err->msg, sizeof(msg->text));
}

int cell_sync_send_error(int fd, const struct cell_error *err)
{
	struct cell_sync_msg msg;

	error_message(&msg, err);
	return send(fd, &msg, sizeof(msg), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* One message is below PIPE_BUF: the write is atomic (pipe(7)). */
int cell_sync_write_error(int fd, const struct cell_error *err)
{
	struct cell_sync_msg msg;

	_Static_assert(sizeof(msg) <= PIPE_BUF, "an atomic fifo write");
	error_message(&msg, err);
	return write(fd, &msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : -EIO;
}

void cell_sync_store_error(void *report, const struct cell_error *err)
{
	_Static_assert(sizeof(struct cell_sync_msg) <= CELL_START_REPORT_SIZE, "one report");
	error_message(report, err);
}

/* A message of the process: its error into @err. */
static int take_error(struct cell_sync_msg *msg, struct cell_error *err)
{
	/* the text has its strerror already */
	msg->text[sizeof(msg->text) - 1] = '\0';
	err->errnum = msg->value;
	err->kind = (enum cell_error_kind)msg->kind;
	snprintf(err->msg, sizeof(err->msg), "%s", msg->text);
	return msg->value ? -msg->value : -EINVAL;
}

/* The file is all zeros unless the process stored an error there. */
static int read_report(int fd, struct cell_error *err)
{
	struct cell_sync_msg msg;
	ssize_t n = pread(fd, &msg, sizeof(msg), 0);

	if (n < 0)
		return cell_error_set(err, errno, "read the start report");
	if (n != (ssize_t)sizeof(msg) || msg.type != CELL_SYNC_ERROR)
		return 0;
	return take_error(&msg, err);
}

int cell_start_result(int fd, int report_fd, struct cell_error *err)
{
	struct cell_sync_msg msg;
	size_t got = 0;

	while (got < sizeof(msg)) {
		ssize_t n = read(fd, (char *)&msg + got, sizeof(msg) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_set(err, errno, "read the start result");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* closed by execve (the command runs), or by the end of a process whose
	 * filter refused the write: then the report file has its word */
	if (got == 0)
		return report_fd >= 0 ? read_report(report_fd, err) : 0;
	if (got != sizeof(msg) || msg.type != CELL_SYNC_ERROR)
		return cell_error_set(err, EPROTO, "the start result: a message of %zu bytes", got);
	return take_error(&msg, err);
}
