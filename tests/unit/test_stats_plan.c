/*
 * test_stats_plan.c: unit tests for the planner's queue model
 * (daemon/stats_plan.c): known Erlang C figures, the people for a target,
 * desks monotonic in the target, the service time and the wait allowed,
 * chairs for a timed wait, an infeasible site and absurd inputs bounded.
 * Also run under ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "stats_plan.h"

/* The demo site: 08:00 to 15:00, a registration, a screening, the dose
 * desks and a half-hour observation; a morning peak. */
static void demo(struct plan_in *in, int target)
{
	static const double curve[] = { 120, 190, 170, 150, 130, 100, 60 };

	memset(in, 0, sizeof *in);
	in->open_min = 8 * 60;
	in->close_min = 15 * 60;
	in->target = target;
	in->max_wait_s = 15 * 60;
	in->no_show = 0.02;
	in->nhours = 7;
	memcpy(in->curve, curve, sizeof curve);
	in->nstages = 4;
	in->st[0] = (struct plan_stage_in){ 25, 0, 4 };
	in->st[1] = (struct plan_stage_in){ 30, 0, 4 };
	in->st[2] = (struct plan_stage_in){ 58, 0, 6 };
	in->st[3] = (struct plan_stage_in){ 0, 30, 2 };
	in->dose_stage = 2;
}

static void test_erlang_c_known(void **state)
{
	(void)state;
	/* two desks, one Erlang: 1/3 (the textbook M/M/2 at rho 0.5) */
	assert_float_equal(plan_erlang_c(2, 1.0), 1.0 / 3, 1e-12);
	/* one desk: the chance to wait is rho */
	assert_float_equal(plan_erlang_c(1, 0.7), 0.7, 1e-12);
	/* 10 Erlangs on 11 desks: 0.6821 (the call-centre tables) */
	assert_float_equal(plan_erlang_c(11, 10.0), 0.6821, 5e-4);
	assert_float_equal(plan_erlang_c(3, 3.0), 1.0, 0);
	assert_float_equal(plan_erlang_c(5, 0.0), 0.0, 0);
	/* a thousand desks: finite, in (0, 1) */
	double big = plan_erlang_c(1000, 990.0);
	assert_true(big > 0 && big < 1);
}

static void test_people(void **state)
{
	(void)state;
	assert_int_equal(plan_people(1000, 0.02), 1021);
	assert_int_equal(plan_people(1000, 0), 1000);
	assert_int_equal(plan_people(98, 0.02), 100);     /* exact: no extra person */
	assert_int_equal(plan_people(100000, 0.5), 200000);
}

static void test_demo_day(void **state)
{
	struct plan_in in;
	struct plan_out out;
	long long sum = 0;

	(void)state;
	demo(&in, 1000);
	plan_solve(&in, &out);
	assert_int_equal(out.people, 1021);
	for (int h = 0; h < in.nhours; h++)
		sum += out.per_hour[h];
	assert_int_equal(sum, 1021);
	assert_int_equal(out.peak_per_hour, out.per_hour[1]);
	for (int k = 0; k < 3; k++) {
		assert_true(out.st[k].stations >= 1);
		assert_true(out.st[k].p90_wait_s <= 15 * 60);
		assert_int_equal(out.st[k].chairs, -1);
		/* not wasteful: busy at the peak */
		assert_true(out.st[k].utilisation > 0.5);
	}
	assert_int_equal(out.st[3].stations, -1);
	assert_true(out.st[3].utilisation < 0);
	/* about a hundred in observation at the peak (~190/h x 0.5 h + margin) */
	assert_in_range(out.st[3].chairs, 80, 130);
	assert_true(out.feasible);
	assert_int_equal(out.short_stage, -1);
	assert_int_equal(out.doses_possible, 1000);
}

/* A minute's wait needs more desks somewhere; a site one desk
 * short of the plan at the dose stage is reported infeasible there. */
static void test_one_fewer_is_short(void **state)
{
	struct plan_in in, lax;
	struct plan_out out, out2;

	(void)state;
	demo(&in, 1000);
	plan_solve(&in, &out);
	lax = in;
	lax.max_wait_s = 60;
	plan_solve(&lax, &out2);
	int more = 0;
	for (int k = 0; k < 3; k++) {
		assert_true(out2.st[k].stations >= out.st[k].stations);
		more += out2.st[k].stations > out.st[k].stations;
	}
	assert_true(more > 0);
	in.st[2].max_stations = out.st[2].stations - 1;
	plan_solve(&in, &out2);
	assert_false(out2.feasible);
	assert_int_equal(out2.short_stage, 2);
	assert_int_equal(out2.st[2].stations, out.st[2].stations);
	assert_true(out2.doses_possible <= 1000);
}

static void test_monotonic_in_target(void **state)
{
	struct plan_in in;
	struct plan_out out;
	int last[PROTO_MAX_STAGES] = { 0 };
	long long chairs = 0;

	(void)state;
	for (int t = 50; t <= 5000; t += 50) {
		demo(&in, t);
		plan_solve(&in, &out);
		for (int k = 0; k < 3; k++) {
			assert_true(out.st[k].stations >= last[k]);
			last[k] = out.st[k].stations;
		}
		assert_true(out.st[3].chairs >= chairs);
		chairs = out.st[3].chairs;
	}
	assert_true(last[2] > 5);
}

static void test_monotonic_in_service(void **state)
{
	struct plan_in in;
	struct plan_out out;
	int last = 0;

	(void)state;
	for (int s = 5; s <= 600; s += 5) {
		demo(&in, 1000);
		in.st[2].service_s = s;
		plan_solve(&in, &out);
		assert_true(out.st[2].stations >= last);
		last = out.st[2].stations;
	}
	assert_true(last >= 20);
}

static void test_stricter_wait_never_fewer(void **state)
{
	struct plan_in in;
	struct plan_out out;
	int last[PROTO_MAX_STAGES] = { 0 };

	(void)state;
	for (int w = 240; w >= 1; w--) {
		demo(&in, 1000);
		in.max_wait_s = w * 60.0;
		plan_solve(&in, &out);
		for (int k = 0; k < 3; k++) {
			assert_true(out.st[k].stations >= last[k]);
			last[k] = out.st[k].stations;
			assert_true(out.st[k].p90_wait_s <= w * 60.0 + 1e-9);
		}
	}
}

/* A constant 60 people an hour in a 30-minute hold: 30 inside on average,
 * 30 + 2.326 sqrt(30) = 42.7 -> 43 chairs. */
static void test_chairs(void **state)
{
	struct plan_in in;
	struct plan_out out;

	(void)state;
	memset(&in, 0, sizeof in);
	in.open_min = 8 * 60;
	in.close_min = 12 * 60;
	in.target = 240;
	in.max_wait_s = 600;
	in.nhours = 4;
	for (int h = 0; h < 4; h++)
		in.curve[h] = 1;
	in.nstages = 1;
	in.st[0] = (struct plan_stage_in){ 0, 30, 1 };
	in.dose_stage = 0;
	plan_solve(&in, &out);
	assert_int_equal(out.people, 240);
	assert_int_equal(out.st[0].chairs, 43);
	assert_int_equal(out.doses_possible, 240);
}

/* Absurd inputs: the biggest target in one hour, an hour's service:
 * bounded (a thousand desks searched at most), reported infeasible, and
 * quick. */
static void test_bounds(void **state)
{
	struct plan_in in;
	struct plan_out out;
	clock_t t0 = clock();

	(void)state;
	demo(&in, 100000);
	in.close_min = in.open_min + 1;     /* one minute open */
	in.nhours = 1;
	in.no_show = 0.5;
	in.max_wait_s = 60;
	for (int k = 0; k < 3; k++)
		in.st[k].service_s = 3600;
	plan_solve(&in, &out);
	assert_int_equal(out.people, 200000);
	assert_int_equal(out.st[0].stations, PLAN_MAX_DESKS);
	assert_false(out.feasible);
	assert_int_equal(out.short_stage, 0);
	assert_true(out.doses_possible >= 0 && out.doses_possible < 100000);
	assert_true(out.st[3].chairs > 0);
	/* the whole day, every hour of it, a light load: one desk each */
	demo(&in, 1);
	in.open_min = 0;
	in.close_min = 23 * 60 + 59;
	in.nhours = 24;
	for (int h = 0; h < 24; h++)
		in.curve[h] = h == 23 ? 1000 : 0;
	plan_solve(&in, &out);
	for (int k = 0; k < 3; k++)
		assert_int_equal(out.st[k].stations, 1);
	assert_int_equal(out.per_hour[23], out.people);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5);
}

/* The answer's codec: what is encoded decodes back the same, and a
 * member of the wrong kind is refused with a reason. */
static void test_codec(void **state)
{
	static struct plan p, q;
	char err[PROTO_ERR_MAX] = "";
	cJSON *j;

	(void)state;
	memset(&p, 0, sizeof p);
	strcpy(p.event, "demo");
	p.target = 1000;
	p.max_wait_min = 15;
	strcpy(p.open, "08:00");
	strcpy(p.close, "15:00");
	p.no_show_pct = 2.5;
	strcpy(p.no_show_source, "given");
	p.people = 1026;
	strcpy(p.curve.source, "typical");
	p.curve.nhours = 2;
	p.curve.per_hour[0] = 600;
	p.curve.per_hour[1] = 426;
	p.peak_per_hour = 600;
	p.nstages = 2;
	p.stages[0] = (struct plan_stage){ "registration", "Pendaftaran", 25, "measured", -1,
		3, 4, 0.66, 120, -1 };
	p.stages[1] = (struct plan_stage){ "observation", "Observasi", -1, "", 30, -1, -1,
		-1, -1, 105 };
	p.feasible = true;
	p.doses_possible = 1000;
	strcpy(p.summary, "Untuk 1000 dosis.");
	assert_non_null(j = proto_plan_encode(&p));
	assert_int_equal(proto_plan_decode(j, &q, err), 0);
	assert_memory_equal(&p, &q, sizeof p);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(j, "stages"), 1), "stations")));
	cJSON_ReplaceItemInObject(j, "people", cJSON_CreateString("many"));
	assert_int_equal(proto_plan_decode(j, &q, err), -1);
	assert_non_null(strstr(err, "people"));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erlang_c_known),
		cmocka_unit_test(test_people),
		cmocka_unit_test(test_demo_day),
		cmocka_unit_test(test_one_fewer_is_short),
		cmocka_unit_test(test_monotonic_in_target),
		cmocka_unit_test(test_monotonic_in_service),
		cmocka_unit_test(test_stricter_wait_never_fewer),
		cmocka_unit_test(test_chairs),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_codec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
