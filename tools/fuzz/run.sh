#!/usr/bin/env bash
# Mutation fuzzing of the component layer (Component.load + every export with default arguments
# under small fuel), RELEASE build. The fuzzer is Tests/DifferentialTests/MutationFuzzTests.swift;
# this script runs it in chunks under a watchdog so that a crash or a hang is caught and pinned
# to a mutant index, then replays that window to name the exact mutant and print its stack.
#
#   tools/fuzz/run.sh [MUTANTS=100000] [SEED=1592192034] [CHUNK=25000]
#
# A mutant is a pure function of (seed, index): replay one with
#   cd /tmp/enclave-diff-pkg && ENCLAVE_FUZZ_ONLY=<index> ENCLAVE_FUZZ_SEED=<seed> \
#     swift test -c release --skip-build --filter MutationFuzzTests     (writes it to /tmp/enclave-fuzz-<index>.wasm)
set -uo pipefail
cd "$(dirname "$0")/../.."
MUTANTS="${1:-100000}"
SEED="${2:-1592192034}"
CHUNK="${3:-25000}"
# Built in an isolated package (tools/fuzz/isolated-package.sh): Components + DifferentialTests only,
# so unrelated targets neither slow the release build down nor break it.
PKG="$(tools/fuzz/isolated-package.sh "${FUZZ_PACKAGE:-/tmp/enclave-diff-pkg}")"
cd "$PKG"
SCRATCH="${FUZZ_SCRATCH:-.build}"
CHUNK_TIMEOUT="${FUZZ_CHUNK_TIMEOUT:-3600}"
PROGRESS="$(mktemp)"
trap 'rm -f "$PROGRESS"' EXIT

swift build -c release --scratch-path "$SCRATCH" --build-tests || exit 1
export ENCLAVE_FUZZ_SEED="$SEED" ENCLAVE_FUZZ_PROGRESS="$PROGRESS"
start=0
failures=0
began=$(date +%s)
while [ "$start" -lt "$MUTANTS" ]; do
  n=$(( MUTANTS - start < CHUNK ? MUTANTS - start : CHUNK ))
  echo "== mutants $start..$((start + n - 1)) (seed $SEED)"
  ENCLAVE_FUZZ_START="$start" ENCLAVE_FUZZ_MUTANTS="$n" timeout "$CHUNK_TIMEOUT" \
    swift test -c release --skip-build --scratch-path "$SCRATCH" --filter MutationFuzzTests 2>&1 \
    | grep -E "^FUZZ|error|passed|failed|Fatal|Crash|signal" 
  status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    failures=$((failures + 1))
    last="$(cat "$PROGRESS" 2>/dev/null || echo "$start")"
    kind=$([ "$status" -eq 124 ] && echo "HANG (chunk timeout)" || echo "CRASH or failure (exit $status)")
    echo "!! $kind after mutant ~$last; replaying mutants $last..$((last + 63)) one by one"
    for i in $(seq "$last" $((last + 63))); do
      if ! ENCLAVE_FUZZ_ONLY="$i" timeout 60 swift test -c release --skip-build --scratch-path "$SCRATCH" \
          --filter MutationFuzzTests > "/tmp/enclave-fuzz-$i.log" 2>&1; then
        echo "!! mutant $i reproduces: input /tmp/enclave-fuzz-$i.wasm, log /tmp/enclave-fuzz-$i.log"
        break
      fi
      rm -f "/tmp/enclave-fuzz-$i.wasm" "/tmp/enclave-fuzz-$i.log"
    done
  fi
  start=$((start + n))
done
echo "fuzz: $MUTANTS mutants, seed $SEED, $(( $(date +%s) - began )) s, $failures failing chunk(s)"
[ "$failures" -eq 0 ]
