#!/usr/bin/env bash
# Torch 2.x API check: compiles (-fsyntax-only) every translation unit of ours that includes LibTorch headers,
# directly or through our own headers, against Debian trixie's LibTorch 2.6 headers instead of the installed 1.13
# ones, so that code written here (1.13) also builds against the GPU machine's torch 2.x.
#
#   scripts/check-torch2-api.sh [BUILD_DIR]     # BUILD_DIR (default build/release) supplies the compile flags
#
# The headers are fetched once (curl, deb.debian.org) and unpacked with dpkg -x into $TORCH2_ROOT
# (default /work/torch26, outside the repository). Flags come from BUILD_DIR/compile_commands.json with the torch
# include folders swapped; a file the build does not know yet gets the flags of a file in the same folder.
# Prints one line per failing file (first errors) and the warnings our own code raises (deprecations: they
# may be removed in later torch versions). Exit status 1 when any file fails. JOBS sets the parallelism;
# CHECK_STD=gnu++20 compiles as C++20 (torch 2.13+ headers require it); CHECK_FILTER=REGEX checks only matching files.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
ROOT=${TORCH2_ROOT:-/work/torch26}
JOBS=${JOBS:-$(nproc)}
MIRROR=${DEBIAN_MIRROR:-https://deb.debian.org/debian}
LOGS=${CHECK_LOGS:-build/cudaprep-api}

if [ ! -f "$ROOT/usr/include/torch/csrc/api/include/torch/version.h" ]; then
  echo "fetching trixie's libtorch-dev into $ROOT"
  dl=$(mktemp -d)
  trap 'rm -rf "$dl"' EXIT
  curl -sSf "$MIRROR/dists/trixie/main/binary-amd64/Packages.xz" | xz -dc >"$dl/Packages"
  deb=$(awk '/^Package: /{p=$2} p=="libtorch-dev" && /^Filename: /{print $2; exit}' "$dl/Packages")
  [ -n "$deb" ] || { echo "libtorch-dev not found in trixie's Packages" >&2; exit 1; }
  curl -sSf -o "$dl/libtorch-dev.deb" "$MIRROR/$deb"
  mkdir -p "$ROOT"
  dpkg -x "$dl/libtorch-dev.deb" "$ROOT"
fi
version=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH)/{printf "%s%s", sep, $3; sep="."}' \
  "$ROOT/usr/include/torch/csrc/api/include/torch/version.h")
[ -f "$BUILD/compile_commands.json" ] || { echo "$BUILD/compile_commands.json missing: configure first" >&2; exit 2; }
mkdir -p "$LOGS"

# One shell command per translation unit, written by Python (flags from compile_commands.json).
/usr/bin/python3 - "$BUILD/compile_commands.json" "$ROOT/usr/include" "$LOGS" "${CHECK_STD:-}" "${CHECK_FILTER:-}" \
  >"$LOGS/commands.txt" <<'EOF'
import json, os, re, shlex, sys, glob

cc_path, inc, logs, std, only = sys.argv[1:6]
root = os.getcwd()
folders = ["src/network", "src/training", "src/inference", "src/cli", "bench"]
torch_re = re.compile(r'^\s*#\s*include\s*<(torch|ATen|c10)/')
local_re = re.compile(r'^\s*#\s*include\s*"([^"]+)"')

def includes_torch(path, seen):
    if path in seen or not os.path.isfile(path):
        return False
    seen.add(path)
    with open(path, errors="replace") as f:
        text = f.read().splitlines()
    for line in text:
        if torch_re.match(line):
            return True
        m = local_re.match(line)
        if m:
            for base in (os.path.dirname(path), os.path.join(root, "src")):
                cand = os.path.normpath(os.path.join(base, m.group(1)))
                if os.path.isfile(cand):
                    if includes_torch(cand, seen):
                        return True
                    break
    return False

def swap(args):
    out = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-o",):
            i += 2
            continue
        if a == "-c":
            i += 2
            continue
        if a == "-Werror":
            i += 1
            continue
        if std and a.startswith("-std="):
            out.append("-std=" + std)
            i += 1
            continue
        if a == "-isystem" and args[i + 1].startswith("/usr/include/torch"):
            out += ["-isystem", inc + "/torch/csrc/api/include", "-isystem", inc]
            i += 2
            continue
        out.append(a)
        i += 1
    return out

entries = {}
for e in json.load(open(cc_path)):
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    if not any(a.startswith("/usr/include/torch") for a in args):
        continue
    entries[os.path.normpath(os.path.join(e["directory"], e["file"]))] = swap(args)

files = set(entries)
for d in folders:
    pattern = "cmd_*.cpp" if d == "src/cli" else "*.cpp"
    files.update(os.path.join(root, p) for p in glob.glob(os.path.join(d, pattern)))
for f in sorted(files):
    rel = os.path.relpath(f, root)
    if not os.path.isfile(f) or not includes_torch(f, set()) or (only and not re.search(only, rel)):
        continue
    args = entries.get(f)
    if args is None:  # new file: flags of a sibling (a test program's for *_test.cpp)
        is_test = f.endswith("_test.cpp")
        same_kind = [k for k in entries if k.endswith("_test.cpp") == is_test]
        sib = [k for k in same_kind if os.path.dirname(k) == os.path.dirname(f)] or same_kind or list(entries)
        args = [a for a in entries[sorted(sib)[0]] if not a.endswith(".cpp")]
    else:
        args = [a for a in args if os.path.normpath(os.path.join(root, a)) != f]
    log = os.path.join(logs, rel.replace("/", "__") + ".log")
    script = log[:-4] + ".sh"
    with open(script, "w") as out:  # the log's last line records the status
        out.write(f"if {shlex.join(args + ['-fsyntax-only', f])} >{log} 2>&1; then echo @@ok >>{log}; "
                  f"else echo @@fail >>{log}; fi\n")
    print(f"{rel}\t{log}\t{script}")
EOF

total=$(wc -l <"$LOGS/commands.txt")
echo "torch $version headers from $ROOT: checking $total translation units ($JOBS jobs, logs in $LOGS)"
cut -f3 "$LOGS/commands.txt" | xargs -d '\n' -P "$JOBS" -n1 bash

fails=0
warned=0
ours="^($PWD/)?(src|bench)/[^:]*:[0-9]+:[0-9]+: warning"
while IFS=$'\t' read -r rel log _; do
  if [ "$(tail -n1 "$log")" = "@@fail" ]; then
    fails=$((fails + 1))
    echo "FAIL $rel"
    grep -E 'error' "$log" | head -n 8 | sed 's/^/    /'
  elif grep -qE "$ours" "$log"; then
    warned=$((warned + 1))
    echo "WARN $rel"
    grep -E "$ours" "$log" | sort -u | head -n 6 | sed 's/^/    /'
  fi
done <"$LOGS/commands.txt"
echo "torch $version: $((total - fails))/$total translation units compile ($fails failing, $warned with warnings in our code)"
[ "$fails" -eq 0 ]
