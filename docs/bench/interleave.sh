#!/bin/sh
# interleave.sh ROUNDS OUTFILE [THREADS]: the MNIST and Yale B step, ssdgm (pure Go
# and OpenBLAS builds) and the PyTorch peers, interleaved round by round,
# on THREADS threads (default 1), as CPU milliseconds per step (process CPU time, so that
# other work on the machine moves the figures less than wall time would).
# Needs ./ssdgm and ./ssdgm-openblas (README, Building), Debian's
# python3-torch and the peers in ../shared/reference. Run from the
# repository root: sh docs/bench/interleave.sh 5 bench.txt (or ... 5 bench2.txt 2).
# With 2 threads CPU time would add both threads' time, so the peers
# report wall time and summary.py reads ssdgm's wall ms_step.
# PEER_THREADS=N gives the PyTorch peers N OpenMP threads (--threads N)
# instead, while OPENBLAS_NUM_THREADS stays THREADS for both: Debian's
# PyTorch is at its best with one OpenMP thread and OpenBLAS on both cores,
# so PEER_THREADS=1 sh docs/bench/interleave.sh 5 best.txt 2 puts each
# engine at its best setting in the same rounds. The peers' timer then reads
# wall time unless both counts are 1.
# SHARDS="1 2" also runs ssdgm's step in 2 data-parallel parts (--set
# batch.shards=2, README Speed) in every round, as engines ssdgm-go-s2 and
# ssdgm-openblas-s2; the default, SHARDS=1, runs one part only.
# Then: python3 docs/bench/summary.py bench.txt [--wall]
set -e
rounds=${1:-5}
out=${2:-bench.txt}
ref=${REF:-../shared/reference}
t=${3:-1}
pt=${PEER_THREADS:-$t}
export GOMAXPROCS=$t OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$pt
shards=${SHARDS:-1}
mnist="specs/mnist.ssdgm --set batch.labelled=128 --set batch.unlabelled=128 --steps 4 --runs 3 --warmup 1 --json"
faces="specs/faces.ssdgm --set discrete.default=relax --set batch.labelled=32 --set batch.unlabelled=32 --steps 2 --runs 2 --warmup 1 --json"
# One thread: the peers' timer reads process CPU time; more: wall time.
py() { if [ "$t" = 1 ] && [ "$pt" = 1 ]; then /usr/bin/python3 docs/bench/cputime.py "$@"; else /usr/bin/python3 "$@"; fi; }
: > "$out"
# rec TASK ENGINE CMD...: runs CMD and appends its last line as one record;
# a command that prints nothing (a peer whose python3-torch is missing, a
# failed build) stops the script instead of leaving an empty record.
rec() {
  task=$1 engine=$2; shift 2
  o=$("$@" 2>>"$out.err" | tail -1)
  if [ -z "$o" ]; then
    echo "interleave.sh: round $r $task $engine printed no result; its errors are in $out.err" >&2
    exit 1
  fi
  echo "round $r $task $engine $o" >> "$out"
}
# sfx N: the engine-name suffix of N parts ("" for one).
sfx() { if [ "$1" = 1 ]; then echo ""; else echo "-s$1"; fi; }
for r in $(seq "$rounds"); do
  for n in $shards; do
    rec mnist ssdgm-go$(sfx $n) ./ssdgm bench $mnist --set batch.shards=$n
    rec mnist m2_torch py $ref/m2_torch.py --threads $pt --hidden 256 --zdim 50 --batch 128 --unl 128
    rec mnist ssdgm-openblas$(sfx $n) ./ssdgm-openblas bench $mnist --set batch.shards=$n
    rec mnist m2_fast py $ref/m2_fast.py --threads $pt --batch 128 --unl 128
  done
done
for r in $(seq "$rounds"); do
  for n in $shards; do
    rec faces ssdgm-go$(sfx $n) ./ssdgm bench $faces --set batch.shards=$n
    rec faces faces_torch py $ref/faces_torch.py --threads $pt --batch 32 --unl 32
    rec faces ssdgm-openblas$(sfx $n) ./ssdgm-openblas bench $faces --set batch.shards=$n
    rec faces faces_torch py $ref/faces_torch.py --threads $pt --batch 32 --unl 32
  done
done
