# Cordon: the two commands a fresh Debian 12 machine with Swift 6.3 needs are
#   make demo    build the CLI and run the main job on the embedded default (./cordon.db)
#   make test    build and run every test
# Both install the system libraries they need when missing.

SWIFT ?= swift
CORDON := .build/debug/cordon

.PHONY: deps build demo test bench sample-kml clean

# libgeos-dev (GEOS C API), libsqlite3-dev (GRDB's system SQLite), zlib1g-dev (gzip trip logs),
# pkg-config (finds GEOS), curl (the demo talks to the HTTP service).
deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	[ -f /usr/include/geos_c.h ] || missing="$$missing libgeos-dev"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	[ -f /usr/include/zlib.h ] || missing="$$missing zlib1g-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build --product cordon

demo: build
	@CORDON=$(CORDON) bash scripts/demo.sh

test: deps
	$(SWIFT) build --product cordon
	$(SWIFT) build --product vehicle-logger-example
	.build/debug/vehicle-logger-example | tail -1 | grep -q "enters: 1," || { echo "vehicle-logger-example: unexpected output"; exit 1; }
	$(SWIFT) test

# Import benchmark of the shared zone set (release build); see docs/benchmarks.md.
# The HTTP load test is `bash Benchmarks/http-load.sh`.
bench: deps
	bash Benchmarks/import.sh

# Regenerate the KML twin of the sample zone set with Cordon's own writer.
sample-kml: build
	@rm -f /tmp/cordon-sample.db*
	$(CORDON) zones import zones/sample.geojson --db /tmp/cordon-sample.db --set sample --activate >/dev/null
	$(CORDON) zones export --db /tmp/cordon-sample.db --set sample --format kml --out zones/sample.kml
	@rm -f /tmp/cordon-sample.db*

clean:
	rm -rf .build Benchmarks/.build
