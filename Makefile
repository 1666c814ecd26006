# PassLedger — the two commands that matter:
#   make run    install dependencies, build (Release) and run the demo
#   make test   install dependencies, build (Debug + ASan/UBSan) and run every test
# Other targets: make bench, make bench-http, make bench-push, make bench-mail, make bench-admin, make bench-web, make build, make format, make clean.

JOBS        ?= $(shell nproc)
DEBUG_DIR   ?= build/debug
RELEASE_DIR ?= build/release
FUZZ_DIR    ?= build/fuzz
FUZZ_SECONDS ?= 20
DATA        ?= ./data
CMAKE_GEN   := -G Ninja

.PHONY: all deps build build-debug build-release build-fuzz run test fuzz bench bench-http bench-push bench-mail bench-admin bench-web format clean

all: build

deps:
	tools/install-deps.sh
	tools/install-npm.sh

$(DEBUG_DIR)/build.ninja:
	cmake -S . -B $(DEBUG_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DPASSLEDGER_SANITIZE=ON

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DPASSLEDGER_BUILD_TESTS=OFF

$(FUZZ_DIR)/build.ninja:
	cmake -S . -B $(FUZZ_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
	  -DPASSLEDGER_FUZZ=ON -DPASSLEDGER_BUILD_TESTS=OFF

build-debug: $(DEBUG_DIR)/build.ninja
	cmake --build $(DEBUG_DIR) -j $(JOBS)

build-release: $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

build-fuzz: $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers

build: build-release

# The PassKit web service on 127.0.0.1:8080 with the demo roster imported into an empty log.
run: deps build-release
	$(RELEASE_DIR)/tools/passledger --data $(DATA) serve --demo

# The Boost.Test suites and end-to-end tests under ASan/UBSan, then every fuzzer briefly.
test: deps build-debug
	cd $(DEBUG_DIR) && ctest --output-on-failure -j 2
	$(MAKE) fuzz

fuzz: deps build-fuzz
	tools/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: deps build-release
	$(RELEASE_DIR)/tools/passledger bench append
	$(RELEASE_DIR)/tools/passledger bench sign

# The HTTP server against nginx with wrk (tools/bench/http.sh; --rss-1m for the memory figure).
bench-http: deps build-release
	tools/bench/http.sh --bin $(RELEASE_DIR)/tools/passledger

# One change pushed to 100,000 devices over HTTP/2, against h2load on the same nginx.
bench-push: deps build-release
	tools/bench/push.sh --bin $(RELEASE_DIR)/tools/passledger

# The e-mail dispatcher against a minimal libcurl loop, both to aiosmtpd (tools/bench/mail.sh).
bench-mail: deps build-release
	tools/bench/mail.sh --bin $(RELEASE_DIR)/tools/passledger

# Admin API: member search and dashboard over HTTP at ~1M members; a 131 MiB upload's memory.
bench-admin: deps build-release
	tools/bench/admin.sh --bin $(RELEASE_DIR)/tools/passledger

# The staff app in chromium at ~1M members: dashboard and members page ready, search results.
bench-web: deps build-release
	tools/bench/web.sh --bin $(RELEASE_DIR)/tools/passledger

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf build
