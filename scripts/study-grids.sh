#!/bin/bash
# The study's fair rerun (docs/study/README.md): grids 1–4, one after another; each `compare`
# resumes where it stopped, so the script can be stopped and run again at any time.
# Usage: scripts/study-grids.sh [GRID ...]   (default: all; OUT=runs/study, APP=activations)
set -u
APP=${APP:-activations}; OUT=${OUT:-runs/study}
COMMON="--device ${DEVICE:-opencl} --val 5000"
MNIST="--seeds 0-4 --epochs 5 --batch 64 --optimizer sgd --lr 0.01 --momentum 0.9 --schedule constant"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# A grid that a machine left unfinished keeps its finished runs' logs (no checkpoints) in docs/study/<grid>;
# a new machine starts from them, so compare trains only the runs that are not done.
seed() { local from="$ROOT/docs/study/$1"; [ -e "$OUT/$1" ] || ! compgen -G "$from/*/done.json" >/dev/null || { mkdir -p "$OUT"; cp -r "$from" "$OUT/$1"; echo "resuming $1 from $from"; }; }
run() { local name=$1; shift; seed "$name"; echo "$(date -u +%T) start $name"; $APP compare "$@" $COMMON --out "$OUT/$name"; echo "$(date -u +%T) end $name rc=$?"; }
for g in "${@:-grid1-mnist-mlp grid1-mnist-cnn grid2-fashion-mlp grid2-fashion-cnn grid3-cifar10-lenet grid4-cifar10-lenetbn}"; do
  for one in $g; do
    case $one in
      grid1-mnist-mlp) run $one --dataset mnist --model mlp --activations relu,talu,scaledtalu,exlu:0.2 $MNIST ;;
      grid1-mnist-cnn) run $one --dataset mnist --model cnn --activations relu,talu,scaledtalu,exlu:0.2 $MNIST ;;
      grid2-fashion-mlp) run $one --dataset fashion-mnist --model mlp --activations relu,talu,exlu:0.2,tanhlu $MNIST ;;
      grid2-fashion-cnn) run $one --dataset fashion-mnist --model cnn --activations relu,talu,exlu:0.2,tanhlu $MNIST ;;
      grid3-cifar10-lenet) run $one --dataset cifar10 --model lenet --activations relu,talu:1,exlu:0.2 --seeds 0-4 --epochs 15 --batch 32 --optimizer sgd --lr 0.01 --momentum 0.9 --schedule cosine --augment ;;
      grid4-cifar10-lenetbn) run $one --dataset cifar10 --model lenet-bn --activations relu,talu:1,exlu:0.2 --seeds 0-2 --epochs 10 --batch 64 --optimizer sgd --lr 0.05 --momentum 0.9 --schedule cosine --augment ;;
      *) echo "error: unknown grid '$one' (grid1-mnist-mlp, grid1-mnist-cnn, grid2-fashion-mlp, grid2-fashion-cnn, grid3-cifar10-lenet, grid4-cifar10-lenetbn)" >&2; exit 2 ;;
    esac
  done
done
