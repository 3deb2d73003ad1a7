# Sourced by the benchmark scripts (run from the repository root): the work directory, the
# release `cordon`, the shared data unpacked there, the benchmark database.
WORK=/tmp/cordon-bench
mkdir -p "$WORK"

# Builds the release `cordon` and sets CORDON to it.
build_cordon() {
  swift build -c release --product cordon
  CORDON="$(swift build -c release --show-bin-path)/cordon"
}

# unpack NAME: ../shared/data/NAME.gz to $WORK/NAME, once.
unpack() {
  [ -f "$WORK/$1" ] || gunzip -c "../shared/data/$1.gz" > "$WORK/$1"
}

# The shared zone set imported into $WORK/bench.db (set "bench", active), once. Needs CORDON.
ensure_bench_db() {
  if [ ! -f "$WORK/bench.db" ]; then
    unpack zones.geojson
    "$CORDON" zones import "$WORK/zones.geojson" --db "$WORK/bench.db" --set bench --activate
  fi
}

# apt_install COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
apt_install() {
  command -v "$1" >/dev/null && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$2"
}
