#!/usr/bin/env bash
# Checks the Swift sources against the formatter configuration (.swift-format) and the 140-column
# limit. Code must fit in 140 columns; a line longer only because of a string literal (one-line
# error messages are kept whole so they can be searched for) is allowed.
# `Tools/scripts/check-format.sh --fix` rewrites the files with `swift format` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Generated code (Sources/ONNX/Generated) is left as protoc-gen-swift writes it.
files=$(git ls-files '*.swift' ':!:Sources/ONNX/Generated/*'; git ls-files --others --exclude-standard '*.swift' ':!:Sources/ONNX/Generated/*')
if [ "${1:-}" = "--fix" ]; then swift format --configuration .swift-format -i $files; fi
status=0
unformatted=()
for f in $files; do
    if ! swift format --configuration .swift-format "$f" | cmp -s - "$f"; then unformatted+=("$f"); fi
done
if [ ${#unformatted[@]} -gt 0 ]; then
    echo "not formatted with .swift-format (run Tools/scripts/check-format.sh --fix):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    status=1
fi
python3 - $files <<'PY' || status=1
import re, sys
limit, bad = 140, []
literal = re.compile(r'#+".*?"#+|"(?:\\.|[^"\\])*"')
for path in sys.argv[1:]:
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if len(line) > limit and len(literal.sub('""', line)) > limit:
            bad.append(f"{path}:{number}: {len(line)} columns")
if bad:
    print(f"{len(bad)} lines of code exceed {limit} columns:", *bad[:40], sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
exit $status
