# antre: plain GNU make.  `make run` and `make test` are the two commands.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc

PKGS      = libevent hiredis libqrencode libcjson libpng libcrypto zlib libsystemd espeak-ng
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN     = -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wshadow
ifneq ($(CI),)
WARN    += -Werror
endif
OPT     ?= -O2
CFLAGS  ?= -g $(OPT)
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) \
	     -Idaemon -Iprotocol -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

# `make SAN=1` builds everything with clang, AddressSanitizer and UBSan into
# build/san: the suite runs once on each, so both compilers see every file.
ifneq ($(SAN),)
CC        = clang
BUILD     = build/san
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT       = -O1
endif

# The daemons allocate with jemalloc: glibc's malloc took a third of
# antred's instructions on an issue (its reply, headers and JSON are many
# small blocks; tests/bench/antred_cost.sh).  Not under the sanitizers,
# which replace the allocator themselves.
ifeq ($(SAN),)
ALLOC_LIBS := $(shell pkg-config --libs jemalloc 2>/dev/null)
endif

# The daemon's modules, one concern a file (main.c is kept out of the core
# library so that unit tests can link every module).
CORE_SRC = \
	daemon/log.c \
	daemon/config.c \
	daemon/event.c \
	daemon/event_clock.c \
	daemon/nik.c \
	daemon/server.c \
	daemon/workers.c \
	daemon/sentinel.c \
	daemon/redis_events.c \
	daemon/store.c \
	daemon/store_script.c \
	daemon/http.c \
	daemon/http_conn.c \
	daemon/http_reply.c \
	daemon/routes.c \
	daemon/http_guard.c \
	daemon/limit.c \
	daemon/queue.c \
	daemon/queue_batch.c \
	daemon/record.c \
	daemon/coverage_store.c \
	daemon/sign.c \
	daemon/route_health.c \
	daemon/route_whoami.c \
	daemon/route_board.c \
	daemon/route_tickets.c \
	daemon/route_stations.c \
	daemon/route_print.c \
	daemon/route_public.c \
	daemon/route_stream.c \
	daemon/route_stats.c \
	daemon/route_metrics.c \
	daemon/metrics.c \
	daemon/notify.c \
	daemon/route_report.c \
	daemon/route_plan.c \
	daemon/route_speech.c \
	daemon/route_coverage.c \
	daemon/route_geometry.c \
	daemon/route_areas.c \
	daemon/areas.c \
	daemon/stats.c \
	daemon/stats_counters.c \
	daemon/stats_fetch.c \
	daemon/stats_model.c \
	daemon/stats_advice.c \
	daemon/stats_plan.c \
	daemon/coverage.c \
	daemon/sse.c \
	daemon/sse_refresh.c \
	daemon/sse_replay.c \
	daemon/sse_sub.c \
	daemon/follow.c \
	daemon/qr.c \
	daemon/font.c \
	daemon/ticket_print.c \
	daemon/speech.c \
	$(PROTO_SRC)

# The wire types and their codecs, shared by the daemon and the client.
PROTO_SRC = \
	protocol/protocol.c \
	protocol/proto_json.c \
	protocol/proto_ticket.c \
	protocol/proto_board.c \
	protocol/proto_board_delta.c \
	protocol/proto_stats.c \
	protocol/proto_plan.c \
	protocol/proto_print.c

SCRIPTS = $(wildcard daemon/scripts/*.lua)

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/scripts.o

# The command line client: desk, station and organiser work, and the boards.
CLI_SRC  = $(wildcard clients/*.c)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o) $(PROTO_SRC:%.c=$(BUILD)/%.o)
DAEMON   = $(BUILD)/antred
CLI      = $(BUILD)/antre

UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run test bench install clean deps deps-check
.SECONDARY:
all: $(DAEMON) $(DAEMON)-test $(if $(CLI_SRC),$(CLI)) $(UNIT_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/gen/scripts.c: $(SCRIPTS) tools/embed-scripts.sh
	@mkdir -p $(dir $@)
	sh tools/embed-scripts.sh $(EMBED_FLAGS) $(SCRIPTS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/scripts.o: $(BUILD)/gen/scripts.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(BUILD)/daemon/main.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(ALLOC_LIBS) -lm

# antred-test: antred whose scripts may take the time from Redis (the key
# test:clock), so that tests can check time-based figures exactly.  Only
# config.c and event_clock.c differ; the tests use it, nobody installs it.
$(BUILD)/testclock/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DANTRE_TEST_CLOCK -c $< -o $@

$(DAEMON)-test: $(BUILD)/daemon/main.o $(BUILD)/testclock/daemon/config.o \
		$(BUILD)/testclock/daemon/event_clock.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(ALLOC_LIBS) -lm

$(CLI): $(CLI_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lm

# --- the two commands -------------------------------------------------------

deps:
	sh tools/deps.sh install

deps-check:
	@sh tools/deps.sh check

run: deps-check
	$(MAKE) all
	REDIS_URL='$(REDIS_URL)' sh tools/run.sh

# make test compiles one file a core: CI runs a plain `make test`, and its
# builds one file at a time took 9 of its 20 minutes
CORES := $(shell nproc 2>/dev/null || echo 1)

test: deps-check
	$(MAKE) -j$(CORES) all
	$(MAKE) -j$(CORES) SAN=1 all
	sh tests/run.sh build build/san

bench:
	@sh tools/deps.sh check bench
	$(MAKE) all $(BUILD)/tests/bench-hello $(BUILD)/tests/bench-sse $(BUILD)/tests/bench-phone
	sh tests/bench/bench.sh

$(BUILD)/tests/bench-hello: $(BUILD)/tests/bench/hello.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench-sse: $(BUILD)/tests/bench/sse_load.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench-phone: $(BUILD)/tests/bench/phone_load.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# --- fuzz -------------------------------------------------------------------

# `make fuzz` builds the libFuzzer targets tests/fuzz/fuzz_*.c with clang,
# ASan and UBSan into build/fuzz (the core modules too, with the same flags)
# and runs each for FUZZ_SECONDS (default 20) from its seed corpus.
FUZZ_BUILD   = build/fuzz
FUZZ_CC      = clang
FUZZ_SAN     = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
FUZZ_CFLAGS  = -std=c17 -D_GNU_SOURCE $(WARN) -g -O1 $(FUZZ_SAN) \
	       -Idaemon -Iprotocol -I$(FUZZ_BUILD)/gen $(PKG_CFLAGS) -MMD -MP
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_CORE_OBJ = $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/scripts.o

.PHONY: fuzz fuzz-build
fuzz: deps-check fuzz-build
	sh tests/fuzz/run.sh

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/gen/scripts.c: $(SCRIPTS) tools/embed-scripts.sh
	@mkdir -p $(dir $@)
	sh tools/embed-scripts.sh $(SCRIPTS) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/gen/scripts.o: $(FUZZ_BUILD)/gen/scripts.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libcore.a: $(FUZZ_CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libcore.a
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(PKG_LIBS) -lm

# --- coverage and mutation --------------------------------------------------

# `make coverage` builds everything with gcc --coverage (-O0) into build/cov,
# its Lua scripts with a line probe before every statement
# (tools/coverage_lua.py), runs the unit and black-box tests on it
# (COV_BROWSER=1: the browser tests too) and prints the line coverage of
# daemon/ and protocol/ (gcovr) and of daemon/scripts/*.lua.
# `make mutate` applies each deliberate bug of tests/mutate/mutations.txt
# to a copy of the tree in build/mutate, runs the tests that concern it on
# the plain build there and prints which test caught it.
COV_BUILD = build/cov

.PHONY: coverage coverage-build mutate mutate-check
coverage: deps-check
	@sh tools/deps.sh check coverage
	$(MAKE) coverage-build
	sh tools/coverage.sh $(COV_BUILD)

# (the scripts are embedded first, and again whenever the probes change:
# they come from a tool the usual rule does not depend on)
coverage-build:
	@mkdir -p $(COV_BUILD)/gen
	sh tools/embed-scripts.sh --coverage $(SCRIPTS) > $(COV_BUILD)/gen/scripts.c.new
	cmp -s $(COV_BUILD)/gen/scripts.c.new $(COV_BUILD)/gen/scripts.c && \
		rm $(COV_BUILD)/gen/scripts.c.new || \
		mv $(COV_BUILD)/gen/scripts.c.new $(COV_BUILD)/gen/scripts.c
	$(MAKE) BUILD=$(COV_BUILD) OPT=-O0 SAN_FLAGS=--coverage \
		EMBED_FLAGS=--coverage all

# `make simulate`: a normal and an overloaded vaccination day played
# against antred-test on its test clock (tools/simulate.py), the server's
# estimates and forecasts beside the truth.
.PHONY: simulate
simulate: all
	ANTRED=$(CURDIR)/$(BUILD)/antred python3 tools/simulate.py --scenario normal
	ANTRED=$(CURDIR)/$(BUILD)/antred python3 tools/simulate.py --scenario overloaded

# `make check-shape`: no cycle among the daemon's modules (includes or
# calls), every edge down the layers, files and functions within bounds
# (tools/check_shape.py; daemon/README tells the layers).
.PHONY: check-shape
check-shape: all
	python3 tools/check_shape.py $(BUILD)

mutate: deps-check
	python3 tools/mutate.py tests/mutate/mutations.txt build/mutate

# after a merge: do the list's snippets still match the sources?
mutate-check:
	@python3 tools/mutate.py --check tests/mutate/mutations.txt

# --- install ----------------------------------------------------------------

# PREFIX=/usr is a distribution's layout: it also puts the example
# configuration and event under /etc/antre (never over files already there)
# and the systemd files under /usr/lib.  Any other PREFIX leaves /etc alone:
# copy share/doc/antre/examples by hand.  Run as root without DESTDIR, it
# also creates the antre user and sets antred.conf's mode (sysusers.d,
# tmpfiles.d) when systemd is there.
install: EXAMPLES = $(DESTDIR)$(PREFIX)/share/doc/antre/examples
install: ETC = $(DESTDIR)/etc/antre
install: SYSTEMD_LIB = $(DESTDIR)$(PREFIX)/lib
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/antre/web $(EXAMPLES) \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(SYSTEMD_LIB)/systemd/system \
		$(SYSTEMD_LIB)/sysusers.d $(SYSTEMD_LIB)/tmpfiles.d
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/antred
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/antre
	install -m 0644 clients/web/* $(DESTDIR)$(PREFIX)/share/antre/web/
	sed 's|^web-root .*|web-root $(PREFIX)/share/antre/web|' tools/demo/antred.conf \
		> $(EXAMPLES)/antred.conf
	chmod 0644 $(EXAMPLES)/antred.conf
	install -m 0644 tools/demo/events/demo.json $(EXAMPLES)/demo.json
	install -m 0644 systemd/antre-redis.conf $(EXAMPLES)/antre-redis.conf
	install -m 0644 clients/antre.1 $(DESTDIR)$(PREFIX)/share/man/man1/antre.1
	install -m 0644 daemon/antred.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/antred.conf.5
	install -m 0644 daemon/antred.8 $(DESTDIR)$(PREFIX)/share/man/man8/antred.8
	sed 's|/usr/sbin/antred|$(PREFIX)/sbin/antred|g' systemd/antred.service \
		> $(SYSTEMD_LIB)/systemd/system/antred.service
	chmod 0644 $(SYSTEMD_LIB)/systemd/system/antred.service
	install -m 0644 systemd/antred.sysusers.conf $(SYSTEMD_LIB)/sysusers.d/antred.conf
	install -m 0644 systemd/antred.tmpfiles.conf $(SYSTEMD_LIB)/tmpfiles.d/antred.conf
	if [ "$(PREFIX)" = /usr ]; then \
		install -d -m 0755 $(ETC) $(ETC)/events && \
		{ [ -e $(ETC)/antred.conf ] || install -m 0640 $(EXAMPLES)/antred.conf $(ETC)/antred.conf; } && \
		{ [ -e $(ETC)/redis.conf ] || install -m 0644 systemd/antre-redis.conf $(ETC)/redis.conf; } && \
		{ [ -e $(ETC)/events/demo.json ] || install -m 0644 tools/demo/events/demo.json $(ETC)/events/demo.json; }; \
	fi
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSTEMD_LIB)/sysusers.d/antred.conf && \
		systemd-tmpfiles --create $(SYSTEMD_LIB)/tmpfiles.d/antred.conf; \
	fi

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
