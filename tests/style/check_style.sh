#!/usr/bin/env bash
# The names-and-layout rules of docs/writing-modules.md ("Names and layout"), checked:
#   1. every C/C++ source is laid out as .clang-format says (clang-format --dry-run);
#   2. file names are snake_case (lower-case letters, digits, underscores);
#   3. namespaces are codestats::... (the host's is codestats::host), never codestatsd.
# Not checked: the frozen ABI headers (their bytes are hashed: sdk/abi-hashes.txt) and
# frontend/ (JavaScript, its own tools).
#   check_style.sh SOURCE_DIR
set -euo pipefail
src="$1"
cd "$src"
command -v clang-format >/dev/null || { echo "FAIL: clang-format is not installed (scripts/deps.sh --test)"; exit 1; }

mapfile -t files < <(find host modules sdk tests bench fuzz -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
  -not -path '*/node_modules/*' -not -name module_abi.h -not -path 'tests/fixtures/abi_1_*' | sort)
[ "${#files[@]}" -gt 100 ] || { echo "FAIL: found only ${#files[@]} sources under $src"; exit 1; }
status=0

# The check must be able to fail: a file with two spaces where one belongs is reported.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
cp .clang-format "$probe/"
printf 'int  x = 1;\n' >"$probe/probe.cpp"
if clang-format --dry-run --Werror "$probe/probe.cpp" >/dev/null 2>&1; then
  echo "FAIL: clang-format accepts a misformatted file: the check below would prove nothing"; exit 1
fi

if ! out="$(clang-format --dry-run --Werror "${files[@]}" 2>&1)"; then
  echo "FAIL: not formatted as .clang-format says (run: clang-format -i FILE):"
  grep -oE '^[^:]+\.(cpp|hpp|h):' <<<"$out" | sort -u | sed 's/:$//; s/^/  /'
  status=1
fi

bad_names="$(printf '%s\n' "${files[@]}" | awk -F/ '$NF !~ /^[a-z0-9_]+\.(cpp|hpp|h)$/')"
if [ -n "$bad_names" ]; then
  echo "FAIL: file names that are not snake_case:"; sed 's/^/  /' <<<"$bad_names"; status=1
fi

bad_ns="$(grep -lE '^\s*namespace\s+codestatsd\b' "${files[@]}" || true)"
if [ -n "$bad_ns" ]; then
  echo "FAIL: namespace codestatsd (the host's namespace is codestats::host):"; sed 's/^/  /' <<<"$bad_ns"; status=1
fi

[ "$status" = 0 ] && echo "ok: ${#files[@]} sources formatted, snake_case, in codestats::"
exit "$status"
