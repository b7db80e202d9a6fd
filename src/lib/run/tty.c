/*
 * cell — the caller's side of `-t`: the pty master made inside the container
 * is relayed to the caller's terminal, which is put in raw mode so that
 * every key (Ctrl-C too) reaches the container's line discipline.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "run.h"

void cell_tty_relay_resize(struct cell_tty_relay *r)
{
	struct winsize ws;

	if (r->master < 0)
		return;
	if (ioctl(r->in_fd, TIOCGWINSZ, &ws) == 0 || ioctl(r->out_fd, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(r->master, TIOCSWINSZ, &ws);
}

int cell_tty_relay_start(struct cell_tty_relay *r, int master, int in_fd, int out_fd,
			 struct cell_error *err)
{
	struct termios raw;

	r->master = master;
	r->in_fd = in_fd;
	r->out_fd = out_fd;
	r->in_open = true;
	r->mid_line = false;
	r->raw_set = false;
	cell_tty_relay_resize(r);
	if (isatty(in_fd)) {
		if (tcgetattr(in_fd, &r->saved) < 0)
			return cell_error_set(err, errno, "tcgetattr on the caller's terminal");
		raw = r->saved;
		cfmakeraw(&raw);
		/* Keep output processing: the container's tty already did it, but
		 * a raw host terminal without OPOST would not break lines of
		 * anything cell itself prints afterwards. */
		raw.c_oflag = r->saved.c_oflag;
		if (tcsetattr(in_fd, TCSANOW, &raw) < 0)
			return cell_error_set(err, errno, "tcsetattr on the caller's terminal");
		r->raw_set = true;
	}
	return 0;
}

/*
 * The caller's stdin ended (a pipe or file, not a terminal, since a
 * terminal never reads 0 bytes): a pty has no end of file to pass on, so
 * type what a user would, the slave's VEOF character (termios(3): at the
 * start of a line a read then returns 0; after a partial line the first
 * one only ends the line). Without it, `echo ls | cell run` with
 * process.terminal waits for input forever. A slave in raw mode gets the
 * byte as data, as it would from a keyboard.
 */
static void relay_eof(struct cell_tty_relay *r)
{
	struct termios t;
	char eof;

	if (r->master < 0 || tcgetattr(r->master, &t) < 0 || !(t.c_lflag & ICANON))
		return;
	eof = (char)t.c_cc[VEOF];
	if (r->mid_line)
		(void)cell_write_all(r->master, &eof, 1);
	(void)cell_write_all(r->master, &eof, 1);
}

int cell_tty_relay_pump(struct cell_tty_relay *r, int fd)
{
	char buf[8192];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (fd == r->in_fd) {
		if (n <= 0) {
			r->in_open = false;
			relay_eof(r);
			return 1;
		}
		r->mid_line = buf[n - 1] != '\n';
		(void)cell_write_all(r->master, buf, (size_t)n);
		return 1;
	}
	/* EIO from the master: every slave fd is closed, the command is done. */
	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 1 : 0;
	(void)cell_write_all(r->out_fd, buf, (size_t)n);
	return 1;
}

void cell_tty_relay_drain(struct cell_tty_relay *r)
{
	int flags;

	if (r->master < 0)
		return;
	flags = fcntl(r->master, F_GETFL);
	if (flags >= 0)
		(void)fcntl(r->master, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		char buf[8192];
		ssize_t n = read(r->master, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || cell_write_all(r->out_fd, buf, (size_t)n) < 0)
			break;
	}
}

void cell_tty_relay_stop(struct cell_tty_relay *r)
{
	if (r->raw_set)
		(void)tcsetattr(r->in_fd, TCSADRAIN, &r->saved);
	r->raw_set = false;
	if (r->master >= 0)
		close(r->master);
	r->master = -1;
}
