# Thin front door; the build is CMake + Ninja.
.PHONY: all build run test bench clean deps

all: build

deps:
	@scripts/install-deps --build-only

build: deps
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C build

run: build
	@scripts/install-deps --run
	./build/travloc import-osm data/osm/monaco-latest.osm.pbf --if-empty
	./build/travloc serve

test:
	@scripts/test

bench: build
	@bench/run.sh

clean:
	rm -rf build build-test
