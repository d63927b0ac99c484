#!/usr/bin/env bash
# format.sh: clang-format-19 with the root's .clang-format over the tracked C and C++ sources (*.c *.h *.cc),
# third_party/ excluded.
#
#   ./tools/format.sh                  reformat them in place
#   ./tools/format.sh --check          change nothing; list the files that are not formatted (exit 1 if any)
#   ./tools/format.sh [--check] FILE...  only these files (paths from the workspace root)
#
# Exit status: 0 formatted (or reformatted), 1 --check found unformatted files, 2 usage or tool error.
# clang-format-19 comes from Debian's clang-format-19 package; when it is missing, bazelw installs it.
# .ci/run runs the check first. Also `./bazelw run //tools:format -- --check`.
set -euo pipefail
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cd "${BUILD_WORKSPACE_DIRECTORY:-$(dirname "$self")/..}"

check=0
files=()
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h | --help)
      sed -n '2,11p' "$self" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "format.sh: unknown option $arg (see --help)" >&2
      exit 2
      ;;
    *) files+=("$arg") ;;
  esac
done

clang_format=clang-format-19
if ! command -v "$clang_format" >/dev/null; then
  [[ -x ./bazelw ]] && ./bazelw --install-only >&2
  command -v "$clang_format" >/dev/null || {
    echo "format.sh: $clang_format not found (Debian package clang-format-19)" >&2
    exit 2
  }
fi
[[ -f .clang-format ]] || {
  echo "format.sh: no .clang-format in $PWD" >&2
  exit 2
}

if ((${#files[@]} == 0)); then
  while IFS= read -r -d '' f; do
    [[ "$f" == third_party/* ]] || files+=("$f")
  done < <(git ls-files -z -- '*.c' '*.h' '*.cc')
fi
((${#files[@]})) || exit 0

if ((check == 0)); then
  "$clang_format" -i --style=file -- "${files[@]}"
  exit 0
fi

# --dry-run --Werror reports "FILE:LINE:COL: error: code should be clang-formatted" for each change; one line
# per file is enough to act on.
unformatted=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || {
    echo "format.sh: no such file: $f" >&2
    exit 2
  }
  if ! out="$("$clang_format" --dry-run --Werror --style=file -- "$f" 2>&1)"; then
    if [[ "$out" == *"code should be clang-formatted"* ]]; then
      unformatted+=("$f")
    else
      echo "$out" >&2
      exit 2
    fi
  fi
done
if ((${#unformatted[@]})); then
  printf '%s\n' "${unformatted[@]}"
  echo "format.sh: ${#unformatted[@]} of ${#files[@]} files are not formatted; fix with ./tools/format.sh" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files formatted" >&2
