/* test_limit.c: per-address entries, the failed-token window, the
 * bound on entries kept for failures, the descriptor clamp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "limit.h"
#include "server.h"

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, text, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 v6(const char *text)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
	return a;
}

/* An entry as a connection takes it: counted at once. */
static struct peer *take(const void *sa)
{
	struct peer *p = limit_peer_get_addr(sa);

	assert_non_null(p);
	p->conns++;
	return p;
}

static void drop(struct peer *p, int64_t now)
{
	p->conns--;
	limit_peer_put(p, now);
}

static int setup(void **state)
{
	(void)state;
	config_defaults(&server.cfg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	limit_free();
	return 0;
}

static void test_keys(void **state)
{
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");
	struct sockaddr_in6 m = v6("::ffff:192.0.2.1");
	struct sockaddr_in6 x = v6("2001:db8:1:2::1"), y = v6("2001:db8:1:2:ffff:1:2:3");
	struct sockaddr_in6 z = v6("2001:db8:1:3::1");
	struct sockaddr un = { .sa_family = AF_UNIX };
	struct peer *pa, *pb, *pm, *px, *py, *pz;
	char name[64];

	(void)state;
	pa = take(&a);
	pb = take(&b);
	pm = take(&m);
	px = take(&x);
	py = take(&y);
	pz = take(&z);
	assert_ptr_not_equal(pa, pb);
	assert_ptr_equal(pa, pm);        /* IPv4-mapped is the IPv4 address */
	assert_ptr_equal(px, py);        /* one /64, one host */
	assert_ptr_not_equal(px, pz);
	assert_int_equal(pa->conns, 2);
	assert_int_equal(limit_count(), 4);
	assert_null(limit_peer_get_addr(&un));
	assert_string_equal(limit_peer_name(pa, name, sizeof name), "192.0.2.1");
	assert_string_equal(limit_peer_name(px, name, sizeof name), "2001:db8:1:2::/64");

	/* entries go with their last connection */
	drop(pa, 0);
	assert_int_equal(limit_count(), 4);
	drop(pm, 0);
	drop(pb, 0);
	drop(px, 0);
	drop(py, 0);
	drop(pz, 0);
	assert_int_equal(limit_count(), 0);
}

static void test_auth_window(void **state)
{
	struct sockaddr_in a = v4("198.51.100.7");
	struct peer *p;

	(void)state;
	server.cfg.auth_fail_limit = 3;
	server.cfg.auth_fail_window_s = 10;
	p = take(&a);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(limit_auth_failed(p, 1000 + i), 0);
		assert_int_equal(limit_auth_blocked(p, 1000 + i), 0);
	}
	assert_int_equal(limit_auth_failed(p, 2000), 1);
	assert_int_equal(p->logged, 1);
	assert_int_equal(limit_auth_blocked(p, 2000), 9);      /* the window ends at 11000 */
	assert_int_equal(limit_auth_blocked(p, 10999), 1);
	assert_int_equal(limit_auth_blocked(p, 11000), 0);

	/* the entry outlives its connection while its window lasts */
	drop(p, 5000);
	assert_int_equal(limit_count(), 1);
	p = take(&a);
	assert_int_equal(limit_auth_blocked(p, 6000), 5);
	drop(p, 6000);
	limit_sweep(10999);
	assert_int_equal(limit_count(), 1);
	limit_sweep(11000);
	assert_int_equal(limit_count(), 0);

	/* a new window starts afresh */
	p = take(&a);
	assert_int_equal(limit_auth_failed(p, 20000), 0);
	assert_int_equal(p->fails, 1);
	assert_int_equal(p->logged, 0);
	drop(p, 20000);
}

static void test_failures_alone_are_bounded(void **state)
{
	(void)state;
	server.cfg.auth_fail_limit = 1;
	server.cfg.auth_fail_window_s = 60;
	for (int i = 0; i < LIMIT_LINGER_MAX + 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		struct peer *p;
		a.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		p = take(&a);
		limit_auth_failed(p, 0);
		drop(p, 0);
	}
	assert_int_equal(limit_count(), LIMIT_LINGER_MAX);
	limit_sweep(60000);
	assert_int_equal(limit_count(), 0);
}

static void test_clamp(void **state)
{
	struct rlimit old, low = { 512, 0 };
	struct config c;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	config_defaults(&c);
	limit_clamp_connections(&c);
	assert_int_equal(c.max_connections, 512 - LIMIT_FD_RESERVE);
	c.max_connections = 100;
	limit_clamp_connections(&c);
	assert_int_equal(c.max_connections, 100);
	low.rlim_cur = 100;                  /* small limits keep half */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	limit_clamp_connections(&c);
	assert_int_equal(c.max_connections, 50);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

	/* the staff reserve is at most half of max-connections */
	c.max_connections = 16000;
	c.staff_reserve_connections = 512;
	assert_int_equal(limit_staff_reserve(&c), 512);
	c.max_connections = 600;
	assert_int_equal(limit_staff_reserve(&c), 300);
	c.staff_reserve_connections = 0;
	assert_int_equal(limit_staff_reserve(&c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_alone_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
