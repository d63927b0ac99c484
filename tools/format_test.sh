#!/usr/bin/env bash
# format_test.sh: tools/format.sh --check lists exactly the tracked C/C++ files clang-format-19 would change,
# exits 1 and changes nothing; without --check it fixes them and the check then passes; third_party/ and
# untracked files are never looked at. Runs on a scratch git repository with its own .clang-format.
set -uo pipefail
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
command -v clang-format-19 >/dev/null || fail "clang-format-19 missing (./bazelw --install-only installs it)"
command -v git >/dev/null || fail "git missing"

repo="${TEST_TMPDIR:-$(mktemp -d)}/repo"
rm -rf "$repo"
mkdir -p "$repo/tools" "$repo/src" "$repo/third_party"
cp tools/format.sh "$repo/tools/format.sh"
cd "$repo"
printf 'BasedOnStyle: Google\nColumnLimit: 120\nPointerAlignment: Right\nDerivePointerAlignment: false\n' >.clang-format
printf 'int add(int a, int b) { return a + b; }\n' >src/good.c
printf 'int  sub(int a,int b){return a-b;}\n' >src/bad.c
printf 'int  *p;\n' >src/bad.h
printf 'void f( ) { }\n' >src/bad_test.cc
printf 'int  vendored(int a){return a;}\n' >third_party/vendored.c
git init -q . && git add . && git -c user.email=t@t -c user.name=t commit -qm fixture || fail "git fixture"
printf 'int  untracked(int a){return a;}\n' >src/untracked.c

before="$(cat src/bad.c)"
out="$(./tools/format.sh --check 2>/dev/null)"
status=$?
[[ $status == 1 ]] || fail "--check on unformatted files exited $status, want 1"
[[ "$out" == $'src/bad.c\nsrc/bad.h\nsrc/bad_test.cc' ]] || fail "--check listed [$out], want the three bad files"
[[ "$(cat src/bad.c)" == "$before" ]] || fail "--check changed src/bad.c"

./tools/format.sh --check src/good.c 2>/dev/null || fail "--check src/good.c (formatted) failed"
./tools/format.sh --check src/nonexistent.c 2>/dev/null
[[ $? == 2 ]] || fail "--check on a missing file did not exit 2"
./tools/format.sh --frobnicate 2>/dev/null
[[ $? == 2 ]] || fail "an unknown option did not exit 2"

./tools/format.sh || fail "fixing exited non-zero"
[[ "$(cat src/bad.c)" == "int sub(int a, int b) { return a - b; }" ]] || fail "src/bad.c not fixed: $(cat src/bad.c)"
./tools/format.sh --check 2>/dev/null || fail "--check after fixing still fails"
[[ "$(cat third_party/vendored.c)" == "int  vendored(int a){return a;}" ]] || fail "third_party/ was reformatted"
[[ "$(cat src/untracked.c)" == "int  untracked(int a){return a;}" ]] || fail "an untracked file was reformatted"
echo PASS
