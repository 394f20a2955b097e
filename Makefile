# Copyright (C) sockerless contributors
#
# make deps | make | make run | make test | make bench | make asan

SHELL      := /bin/bash
NGX_SRC    ?= /usr/share/nginx/src
BUILD      := $(CURDIR)/build
MODULE     := $(BUILD)/ngx_http_sockerless_module.so
AGENT      := agent/sockerless-agent
NGINX      ?= /usr/sbin/nginx
RUN        := $(CURDIR)/run

DEB_PKGS   := nginx-light nginx-dev liblmdb-dev libwslay-dev libcjson-dev \
              libarchive-dev \
              libcurl4-openssl-dev libssl-dev libpcre2-dev zlib1g-dev \
              busybox-static tmux wrk gcc make perl python3 docker.io \
              docker-registry docker-compose iproute2

MOD_SRCS   := config $(wildcard ngx_sockerless/*.[ch] backends/*.[ch])

.PHONY: all deps deps-fuzz module agent run test unit fuzz e2e bench clean \
        asan

all: module agent

deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing >/dev/null; \
	fi
	@# dockerode for t/dockerode.t, from the npm registry, as locked
	@if [ ! -d t/js/node_modules/dockerode ]; then \
	    echo "installing: dockerode (npm, into t/js)"; \
	    cd t/js && npm ci --no-audit --no-fund --silent; \
	fi

module: $(MODULE)

$(BUILD)/nginx/objs/Makefile: config
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	cp -r $(NGX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="-g -O2 -fPIC -Wall -Wextra -Wno-unused-parameter" \
	        --with-ld-opt="-fPIC" \
	        --add-dynamic-module=$(CURDIR) >$(BUILD)/configure.log 2>&1 \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(MOD_SRCS)
	$(MAKE) -s -C $(BUILD)/nginx -f objs/Makefile modules
	cp $(BUILD)/nginx/objs/ngx_http_sockerless_module.so $(MODULE).tmp
	mv -f $(MODULE).tmp $(MODULE)

agent: $(AGENT)

# the module under AddressSanitizer, for e2e tests (not part of make test):
#   make asan
#   SOCKERLESS_MODULE=$PWD/build/asan/ngx_http_sockerless_module.so \
#   TEST_NGINX_BINARY=$PWD/build/asan/nginx-asan prove t/pull.t
# build/asan/nginx-asan runs Debian's nginx with libasan preloaded; reports
# land in the error log, where the harness fails on them. -Werror goes:
# with ASan gcc sees format truncations it does not see otherwise.
ASAN_DIR   := $(BUILD)/asan

asan: $(ASAN_DIR)/ngx_http_sockerless_module.so $(ASAN_DIR)/nginx-asan

$(ASAN_DIR)/nginx/objs/Makefile: config
	rm -rf $(ASAN_DIR)/nginx
	mkdir -p $(ASAN_DIR)
	cp -r $(NGX_SRC) $(ASAN_DIR)/nginx
	cd $(ASAN_DIR)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="-g -O1 -fPIC -fsanitize=address \
	                       -fno-omit-frame-pointer -Wall" \
	        --with-ld-opt="-fPIC -fsanitize=address" \
	        --add-dynamic-module=$(CURDIR) >$(ASAN_DIR)/configure.log 2>&1 \
	    || { tail -20 $(ASAN_DIR)/configure.log; exit 1; }
	sed -i 's/ -Werror//' $@

$(ASAN_DIR)/ngx_http_sockerless_module.so: $(ASAN_DIR)/nginx/objs/Makefile \
        $(MOD_SRCS)
	$(MAKE) -s -C $(ASAN_DIR)/nginx -f objs/Makefile modules
	cp $(ASAN_DIR)/nginx/objs/ngx_http_sockerless_module.so $@

$(ASAN_DIR)/nginx-asan: Makefile
	mkdir -p $(ASAN_DIR)
	printf '%s\n' '#!/bin/sh' \
	    'LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \' \
	    'ASAN_OPTIONS=detect_leaks=0 exec $(NGINX) "$$@"' > $@.tmp
	chmod +x $@.tmp
	mv -f $@.tmp $@

$(AGENT): $(wildcard agent/*.[ch] ngx_sockerless/sls_*.[ch])
	$(MAKE) -s -C agent

include t/unit/Makefile.inc
include t/fuzz/Makefile.inc

# clang and its libFuzzer runtime (only recommended by clang, and deps
# installs without recommends) for make fuzz only: make test needs neither
deps-fuzz:
	@$(MAKE) --no-print-directory deps \
	    DEB_PKGS="$(DEB_PKGS) clang libclang-rt-14-dev"

fuzz: deps-fuzz

# nginx starts in run/, where the relative "listen unix:docker.sock" lands
run: deps all
	mkdir -p $(RUN)/data $(RUN)/client_body
	@echo "sockerless: DOCKER_HOST=tcp://127.0.0.1:2375" \
	      "or unix://$(RUN)/docker.sock"
	cd $(RUN) && $(NGINX) -p $(RUN)/ -c $(CURDIR)/conf/sockerless.conf \
	    -e stderr -g "daemon off; load_module $(MODULE);"

test: deps all unit e2e

e2e: all
	prove -r t/

bench: deps all
	t/bench/run
	t/bench/cloud

clean:
	rm -rf $(BUILD)
	$(MAKE) -s -C agent clean
