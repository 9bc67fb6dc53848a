# antre: plain GNU make.  `make run` and `make test` are the two commands.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc

PKGS      = libevent hiredis libqrencode libcjson libpng libcrypto zlib
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

# The daemon's modules, one concern a file (main.c is kept out of the core
# library so that unit tests can link every module).
CORE_SRC = \
	daemon/log.c \
	daemon/config.c \
	daemon/event.c \
	daemon/nik.c \
	daemon/server.c \
	daemon/store.c \
	daemon/http.c \
	daemon/queue.c \
	daemon/sign.c \
	daemon/route_health.c \
	daemon/route_board.c \
	daemon/route_tickets.c \
	daemon/route_stations.c \
	daemon/route_print.c \
	daemon/route_public.c \
	daemon/route_stream.c \
	daemon/route_stats.c \
	daemon/route_metrics.c \
	daemon/metrics.c \
	daemon/route_report.c \
	daemon/stats.c \
	daemon/sse.c \
	daemon/follow.c \
	daemon/qr.c \
	daemon/font.c \
	daemon/ticket_print.c \
	protocol/protocol.c

SCRIPTS = $(wildcard daemon/scripts/*.lua)

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/scripts.o

# The command line client: desk, station and organiser work, and the boards.
CLI_SRC  = $(wildcard clients/*.c)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/protocol/protocol.o
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
	sh tools/embed-scripts.sh $(SCRIPTS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/scripts.o: $(BUILD)/gen/scripts.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(BUILD)/daemon/main.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# antred-test: antred whose scripts may take the time from Redis (the key
# test:clock), so that tests can check time-based figures exactly.  Only
# config.c and event.c differ; the tests use it, nobody installs it.
$(BUILD)/testclock/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DANTRE_TEST_CLOCK -c $< -o $@

$(DAEMON)-test: $(BUILD)/daemon/main.o $(BUILD)/testclock/daemon/config.o \
		$(BUILD)/testclock/daemon/event.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

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

test: deps-check
	$(MAKE) all
	$(MAKE) SAN=1 all
	sh tests/run.sh build build/san

bench: deps-check
	$(MAKE) all $(BUILD)/tests/bench-hello $(BUILD)/tests/bench-sse
	sh tests/bench/bench.sh

$(BUILD)/tests/bench-hello: $(BUILD)/tests/bench/hello.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench-sse: $(BUILD)/tests/bench/sse_load.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# --- install ----------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/antred
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/antre
	install -d $(DESTDIR)$(PREFIX)/share/doc/antre/examples
	install -m 0644 tools/demo/antred.conf tools/demo/events/demo.json \
		$(DESTDIR)$(PREFIX)/share/doc/antre/examples/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
