#!/usr/bin/env bash
# coverage.sh: line coverage of mm/ and boot/ by the host tests (clang source-based coverage), offline.
#
#   ./tools/coverage.sh [--functions] [TARGET_PATTERN...]      (patterns default to //...)
#
# Runs the host tests (tags boot, bench and fuzz excluded) under .bazelrc's --config=coverage, which compiles
# with -fprofile-instr-generate -fcoverage-mapping into its own output directory; each test process (and each
# tool a test runs, such as mmreplay) writes a raw profile into bazel-out/coverage/profiles. llvm-profdata-19
# merges them and llvm-cov-19 reports, for every source under mm/ and boot/ that is not a test, a test harness
# (testing/) or a fuzzer: one line per file (lines covered/total), a total per directory, and the sources that
# no host test compiles. --functions also lists each file's functions that never ran. HTML with the lines
# marked: bazel-out/coverage/html/index.html. Exit status: the tests' status (the report is printed anyway,
# from whatever ran), 2 when nothing could be measured.
set -uo pipefail
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
# From the workspace root (also under `./bazelw run //tools:coverage`, which starts in the runfiles tree).
cd "${BUILD_WORKSPACE_DIRECTORY:-$(dirname "${BASH_SOURCE[0]}")/..}"

functions=()
patterns=()
for arg in "$@"; do
  case "$arg" in
    --functions) functions=(--functions) ;;
    -h | --help)
      sed -n '2,13p' "$self" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "coverage.sh: unknown option $arg (see --help)" >&2
      exit 2
      ;;
    *) patterns+=("$arg") ;;
  esac
done
((${#patterns[@]})) || patterns=(//...)

# bazelw installs llvm-19 (llvm-profdata, llvm-cov) with the rest of the toolchain; `info` is enough to do that.
out="$(./bazelw info output_path)/coverage" || {
  echo "coverage.sh: bazel info failed" >&2
  exit 2
}
bin="$(./bazelw info --config=coverage bazel-bin 2>/dev/null)"
llvm=/usr/lib/llvm-19/bin
for tool in llvm-profdata llvm-cov; do
  [[ -x "$llvm/$tool" ]] || {
    echo "coverage.sh: $llvm/$tool missing (Debian package llvm-19)" >&2
    exit 2
  }
done

rm -rf "$out"
mkdir -p "$out/profiles"

# %p (process id) keeps concurrent processes of one binary apart, %m (the binary's signature) keeps binaries
# apart; the sandbox lets tests write there and nowhere else. No cached results: a cached test writes nothing.
./bazelw test --config=coverage --nocache_test_results \
  --test_env="LLVM_PROFILE_FILE=$out/profiles/%p-%m.profraw" \
  --sandbox_writable_path="$out/profiles" \
  "${patterns[@]}"
status=$?

shopt -s nullglob
raw=("$out"/profiles/*.profraw)
if ((${#raw[@]} == 0)); then
  echo "coverage.sh: no test wrote a profile (bazel test exit $status)" >&2
  exit 2
fi
"$llvm/llvm-profdata" merge -sparse -o "$out/merged.profdata" "${raw[@]}" || exit 2

# The instrumented executables: the host tests just run (the same tag filter as --config=coverage) and every
# cc_binary they depend on (tools they run). Asked of the build graph rather than found on disk, so binaries
# left over from targets that no longer exist do not count as unexecuted code.
union="$(printf ' + %s' "${patterns[@]}")"
union="${union# + }"
host_tests="tests($union) except attr(tags, '\\b(boot|bench|fuzz)\\b', tests($union))"
objects=()
while read -r label; do
  [[ "$label" == //* ]] || continue
  path="${label#//}"
  path="$bin/${path%%:*}/${path#*:}"
  [[ -f "$path" ]] && objects+=(-object "$path")
done < <(./bazelw query --noimplicit_deps "kind('cc_(test|binary) rule', deps($host_tests))" 2>/dev/null)
if ((${#objects[@]} == 0)); then
  echo "coverage.sh: no instrumented binary found under $bin" >&2
  exit 2
fi

# Test code, harnesses and fuzzers are not the code under measurement.
ignore='(^|/)(external|third_party|tests|tools|arch|bench)/|(^|/)(testing|fuzz)/|_test\.(c|cc)$|^/usr/'
# llvm-cov warns "N functions have mismatched data" when one function name has different code in two binaries
# (seen: C++ inline helpers of mm/testing/ headers, and main); those copies are skipped, so the warning is kept
# in a log and summed up in one line rather than repeated.
"$llvm/llvm-cov" export -instr-profile="$out/merged.profdata" -ignore-filename-regex="$ignore" \
  "${objects[@]}" >"$out/coverage.json" 2>"$out/llvm-cov.log" || { cat "$out/llvm-cov.log" >&2; exit 2; }
"$llvm/llvm-cov" show -format=html -output-dir="$out/html" -instr-profile="$out/merged.profdata" \
  -ignore-filename-regex="$ignore" -show-line-counts-or-regions "${objects[@]}" >/dev/null 2>>"$out/llvm-cov.log" ||
  { cat "$out/llvm-cov.log" >&2; exit 2; }
if [[ -s "$out/llvm-cov.log" ]]; then
  echo "coverage.sh: llvm-cov: $(head -1 "$out/llvm-cov.log" | sed 's/^warning: //') (same name, different code in" \
    "two binaries: those copies are not counted; $out/llvm-cov.log)" >&2
fi

echo
echo "Line coverage by the host tests, $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo ' + local changes'), ${#raw[@]} profiles:"
python3 tools/coverage_report.py "${functions[@]}" --json="$out/coverage.json" \
  --sources="$(git ls-files -- 'mm/*.c' 'mm/*.h' 'boot/*.c' 'boot/*.h' | tr '\n' ' ')" mm boot || exit 2
echo "HTML: $out/html/index.html (also bazel-out/coverage/html/index.html)"
exit "$status"
