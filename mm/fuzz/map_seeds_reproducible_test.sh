#!/usr/bin/env bash
# The committed map_fuzz corpus is exactly what make_map_seeds writes from testdata/memmaps today: a change to
# the maps or the parser that changes the seeds fails here until `./bazelw run //mm/fuzz:make_map_seeds` is run
# and its output committed.
set -euo pipefail
out="${TEST_TMPDIR:-$(mktemp -d)}/seeds"
mm/fuzz/make_map_seeds . "$out" > /dev/null
diff -r mm/fuzz/corpus/map "$out/mm/fuzz/corpus/map"
diff mm/fuzz/corpus/map.list "$out/mm/fuzz/corpus/map.list"
echo "map_fuzz corpus matches make_map_seeds"
