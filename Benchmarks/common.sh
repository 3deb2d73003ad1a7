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

# callgrind_instructions PATTERN NAME ARGS...: runs `cordon ARGS...` under callgrind with
# collection toggled on the first global symbol matching the awk PATTERN, and prints the
# instructions counted. valgrind cannot read Swift's DWARF, so it runs a copy of CORDON
# without debug info (symbols kept); NAME names its output files in WORK.
callgrind_instructions() {
  local pattern=$1 name=$2
  shift 2
  strip --strip-debug -o "$WORK/cordon-nodebug" "$CORDON"
  local symbol
  symbol=$(nm "$WORK/cordon-nodebug" | awk -v p="$pattern" '$2 == "T" && $3 ~ p { if (!s) s = $3 } END { print s }')
  valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.callgrind" --toggle-collect="$symbol" \
    "$WORK/cordon-nodebug" "$@" > /dev/null 2> "$WORK/$name.log"
  awk '/^summary:|^totals:/ { print $2; exit }' "$WORK/$name.callgrind"
}
