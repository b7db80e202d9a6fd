/*
 * Unit tests for the lease file parser (src/lib/net/lease.c): what
 * cell_net_db_open() accepts, what it refuses as damaged, and that what
 * cell_net_db_save() writes reads back the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include "net.h"

/* A scratch state directory per test: the database makes its lock file there. */
static int scratch_setup(void **state)
{
	char *dir = strdup("/tmp/cell-test-lease-XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int scratch_teardown(void **state)
{
	scratch_rmtree(*state);
	free(*state);
	return 0;
}

/* Writes @len bytes of @text as DIR/leases. */
static void write_leases_len(const char *dir, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/leases", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_leases(const char *dir, const char *text)
{
	write_leases_len(dir, text, strlen(text));
}

/* The database must refuse the file as damaged, naming it and @what. */
static void expect_damaged(const char *dir, const char *what)
{
	struct cell_net_db db;
	struct cell_error err = { 0 };

	assert_int_equal(cell_net_db_open(&db, dir, &err), -EINVAL);
	if (!strstr(err.msg, "/leases: damaged") || !strstr(err.msg, what))
		fail_msg("expected \"%s/leases: damaged ... %s\", got \"%s\"", dir, what, err.msg);
	assert_null(strchr(err.msg, '\n'));
	/* refused means closed: the lock is free for the next one */
	assert_int_equal(db.lock_fd, -1);
}

static void expect_damaged_text(const char *dir, const char *text, const char *what)
{
	write_leases(dir, text);
	expect_damaged(dir, what);
}

#define VALID_FILE                                                                                 \
	"forward 0 1\n"                                                                            \
	"bridge cell0 10.88.0.0/16 10.88.0.1 fd63:656c:6c00::/64\n"                                \
	"bridge br1 192.168.7.0/24 192.168.7.254 -\n"                                              \
	"lease cell0 cv0123456789ab 2 web 4242 987654321 tcp:*:8080:80,udp:127.0.0.1:53:53\n"      \
	"lease br1 cv2 9 db 77 12 -\n"

static void test_valid_file_reads_every_field(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };
	struct in6_addr net6;

	write_leases(dir, VALID_FILE);
	if (cell_net_db_open(&db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db.forward_before, 0);
	assert_int_equal(db.forward6_before, 1);
	assert_int_equal(db.n_bridges, 2);
	assert_string_equal(db.bridges[0].name, "cell0");
	assert_int_equal(db.bridges[0].net4, 0x0a580000);
	assert_int_equal(db.bridges[0].len4, 16);
	assert_int_equal(db.bridges[0].gw4, 0x0a580001);
	assert_true(db.bridges[0].has6);
	assert_int_equal(inet_pton(AF_INET6, "fd63:656c:6c00::", &net6), 1);
	assert_memory_equal(&db.bridges[0].net6, &net6, sizeof(net6));
	assert_int_equal(db.bridges[0].len6, 64);
	assert_string_equal(db.bridges[1].name, "br1");
	assert_int_equal(db.bridges[1].gw4, 0xc0a807fe);
	assert_false(db.bridges[1].has6);

	assert_int_equal(db.n_leases, 2);
	assert_string_equal(db.leases[0].bridge, "cell0");
	assert_string_equal(db.leases[0].veth, "cv0123456789ab");
	assert_int_equal(db.leases[0].host, 2);
	assert_string_equal(db.leases[0].id, "web");
	assert_int_equal(db.leases[0].owner, 4242);
	assert_true(db.leases[0].start == 987654321ULL);
	assert_int_equal(db.leases[0].n_ports, 2);
	assert_false(db.leases[0].ports[0].udp);
	assert_string_equal(db.leases[0].ports[0].host_ip, "");
	assert_int_equal(db.leases[0].ports[0].host_port, 8080);
	assert_int_equal(db.leases[0].ports[0].port, 80);
	assert_true(db.leases[0].ports[1].udp);
	assert_string_equal(db.leases[0].ports[1].host_ip, "127.0.0.1");
	assert_int_equal(db.leases[0].ports[1].host_port, 53);
	assert_int_equal(db.leases[1].n_ports, 0);
	assert_null(db.leases[1].ports);
	assert_true(cell_net_bridge_used(&db, "br1"));
	cell_net_db_close(&db);
}

static void test_missing_or_empty_file_is_an_empty_database(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };

	assert_int_equal(cell_net_db_open(&db, dir, &err), 0);
	assert_int_equal(db.n_bridges + db.n_leases, 0);
	assert_int_equal(db.forward_before, -1);
	cell_net_db_close(&db);
	write_leases(dir, "");
	assert_int_equal(cell_net_db_open(&db, dir, &err), 0);
	assert_int_equal(db.n_bridges + db.n_leases, 0);
	cell_net_db_close(&db);
}

static void test_saved_database_reads_back_the_same(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };
	char path[256], text[1024];
	FILE *f;
	size_t n;

	write_leases(dir, VALID_FILE);
	assert_int_equal(cell_net_db_open(&db, dir, &err), 0);
	assert_int_equal(cell_net_db_save(&db, &err), 0);
	cell_net_db_close(&db);
	snprintf(path, sizeof(path), "%s/leases", dir);
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(text, VALID_FILE);
}

/*
 * Every proper prefix of a valid file that does not end at a line's end is
 * a file cut short (a full disk, a crash outside cell's rename): refused, not
 * read as a lease with a shorter port or PID.
 */
static void test_truncated_file_is_damaged(void **state)
{
	const char *dir = *state;
	const char *text = VALID_FILE;

	for (size_t len = 1; len < strlen(text); len++) {
		if (text[len - 1] == '\n')
			continue;
		write_leases_len(dir, text, len);
		expect_damaged(dir, "line");
	}
}

static void test_garbage_is_damaged_and_named(void **state)
{
	const char *dir = *state;

	expect_damaged_text(dir, "hello world\n", "hello world");
	expect_damaged_text(dir, "\n", "line 1");
	expect_damaged_text(dir, "forward 0 1\n\x01\xff\xfe\n", "line 2");
	expect_damaged_text(dir, "forward zero one\n", "forward zero one");
	expect_damaged_text(dir, "bridge cell0 10.88.0.0/33 10.88.0.1 -\n", "10.88.0.0/33");
	expect_damaged_text(dir, "bridge cell0 10.88.0.0/16 10.88.0.300 -\n", "10.88.0.300");
	expect_damaged_text(dir, "bridge cell0 10.88.0.0/16 10.88.0.1 - extra\n", "extra");
	expect_damaged_text(dir, "lease cell0 cv1 -2 id 1 1 -\n", "-2");
	expect_damaged_text(dir, "lease cell0 cv1 2x id 1 1 -\n", "2x");
	expect_damaged_text(dir, "lease cell0 cv1 2 id -5 1 -\n", "-5");
	expect_damaged_text(dir, "lease cell0 cv1 2 id 1 1 sctp:*:1:2\n", "sctp");
	expect_damaged_text(dir, "lease cell0 cv1 2 id 1 1 tcp:*:70000:80\n", "70000");
	expect_damaged_text(dir, "lease cell0 cv1 2 id 1 1 tcp:*:80:80x\n", "80x");
	expect_damaged_text(dir, "lease cell0 cv1 2 id 1 1 tcp:nohost:80:80\n", "nohost");
	expect_damaged_text(dir, "lease cell0 cv1 2 id 1 1 tcp:*:80:80,\n", "tcp:*:80:80,");
}

/*
 * A field longer than its buffer is refused whole: sscanf's %15s would cut
 * it and read its tail as the next field.
 */
static void test_overlong_fields_are_damaged(void **state)
{
	const char *dir = *state;

	expect_damaged_text(dir, "bridge cell0123456789abcdef 10.88.0.0/16 10.88.0.1 -\n",
			    "cell0123456789abcdef");
	expect_damaged_text(dir, "lease cell0 cv0123456789abcd2 2 id 1 1 -\n", "cv0123456789abcd2");
	expect_damaged_text(
		dir,
		"lease cell0 cv1 2 "
		"id0123456789012345678901234567890123456789012345678901234567890123456789"
		" 1 1 -\n",
		"id0123456789");
}

/* A long line (many published ports) is one line: never cut, never split in two. */
static void test_overlong_lines_read_whole(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };
	size_t size = 64 * 1024, used;
	char *text = malloc(size);

	assert_non_null(text);
	used = (size_t)snprintf(text, size,
				"bridge cell0 10.88.0.0/16 10.88.0.1 -\n"
				"lease cell0 cv1 2 id 1 1 ");
	for (unsigned port = 1; port <= 1000; port++)
		used += (size_t)snprintf(text + used, size - used, "%sudp:255.255.255.255:%u:%u",
					 port > 1 ? "," : "", 64535 + port % 1000, port);
	snprintf(text + used, size - used, "\n");
	write_leases(dir, text);
	if (cell_net_db_open(&db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db.n_leases, 1);
	assert_int_equal(db.leases[0].n_ports, 1000);
	assert_int_equal(db.leases[0].ports[999].port, 1000);
	/* and cell writes it back whole */
	assert_int_equal(cell_net_db_save(&db, &err), 0);
	cell_net_db_close(&db);
	assert_int_equal(cell_net_db_open(&db, dir, &err), 0);
	assert_int_equal(db.leases[0].n_ports, 1000);
	assert_int_equal(db.leases[0].ports[999].host_port, 64535);
	cell_net_db_close(&db);
	free(text);
}

/*
 * cell never writes an entry twice: a second bridge of one name, a second
 * lease of one veth, address or container, or a second forward line would
 * make one of them outlive its teardown. Refused, naming the line.
 */
static void test_duplicate_entries_are_damaged(void **state)
{
	const char *dir = *state;

	expect_damaged_text(dir, "forward 0 0\nforward 1 1\n", "line 2");
	expect_damaged_text(dir,
			    "bridge cell0 10.88.0.0/16 10.88.0.1 -\n"
			    "bridge cell0 10.89.0.0/16 10.89.0.1 -\n",
			    "line 2");
	expect_damaged_text(dir,
			    "lease cell0 cv1 2 a 1 1 -\n"
			    "lease cell0 cv1 3 b 1 1 -\n",
			    "line 2");
	expect_damaged_text(dir,
			    "lease cell0 cv1 2 a 1 1 -\n"
			    "lease cell0 cv2 2 b 1 1 -\n",
			    "line 2");
	expect_damaged_text(dir,
			    "lease cell0 cv1 2 a 1 1 -\n"
			    "lease cell0 cv2 3 a 1 1 -\n",
			    "line 2");
}

/* The same host number on two bridges is two addresses, not a duplicate. */
static void test_same_host_on_two_bridges_is_no_duplicate(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };

	write_leases(dir, "lease cell0 cv1 2 a 1 1 -\nlease br1 cv2 2 b 1 1 -\n");
	if (cell_net_db_open(&db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db.n_leases, 2);
	cell_net_db_close(&db);
}

/*
 * A user-mode network (pasta, slirp4netns) leases no veth and no address:
 * net.c writes "lease - - 0 ID ...", and any number of them are no
 * duplicates; host 0 on a bridge still is damage.
 */
static void test_user_mode_leases_read_back(void **state)
{
	const char *dir = *state;
	struct cell_net_db db;
	struct cell_error err = { 0 };

	write_leases(dir,
		     "lease - - 0 a 10714 1737513 -\nlease - - 0 b 10715 1737514 tcp:*:8080:80\n"
		     "lease cell0 cv1 2 c 1 1 -\n");
	if (cell_net_db_open(&db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db.n_leases, 3);
	assert_int_equal(db.leases[0].host, 0);
	assert_string_equal(db.leases[1].veth, "-");
	cell_net_db_close(&db);
	expect_damaged_text(dir, "lease cell0 cv1 0 a 1 1 -\n", "line 1");
	expect_damaged_text(dir, "lease - - 0 a 1 1 -\nlease - - 0 a 2 2 -\n", "line 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, scratch_setup, scratch_teardown)
		T(test_valid_file_reads_every_field),
		T(test_missing_or_empty_file_is_an_empty_database),
		T(test_saved_database_reads_back_the_same),
		T(test_truncated_file_is_damaged),
		T(test_garbage_is_damaged_and_named),
		T(test_overlong_fields_are_damaged),
		T(test_overlong_lines_read_whole),
		T(test_duplicate_entries_are_damaged),
		T(test_same_host_on_two_bridges_is_no_duplicate),
		T(test_user_mode_leases_read_back),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
