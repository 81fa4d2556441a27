#!/usr/bin/env bash
# The prepared GPU check: runs the self-contained app packed in .device/ (../shared/device/pack.sh
# Training/Training.csproj mnist cifar10) on a machine with an NVIDIA driver and no .NET, each step
# under its own time limit so one slow step cannot use up the window (≤ 8 minutes in all), and writes
# report.md and report.json into OUT. Exit status: 0 when every step passed, 1 otherwise, 2 on usage.
#
#   scripts/device-check.sh OUT [--device cuda|opencl] [--dry-run] [--app DIR]
#
#   --device opencl  rehearse on OpenCL in place of CUDA
#   --dry-run        small epochs (--limit-train/--limit-test), compared with their own expected values;
#                    PyTorch is skipped where it is absent
#   --app DIR        use an unpacked app folder (holding `activations`) instead of .device/app.tar.xz
#
# Steps: devices; verify; bench (matmul % of cuBLAS, activations % of copy bandwidth); an MNIST MLP
# epoch and an MNIST CNN epoch, their losses against scripts/device-check.expected (the same runs on
# the CPU side); CIFAR-10 vgg (BatchNorm) for as many epochs as fit in its limit; the same three nets
# in PyTorch on the same GPU (scripts/torch_baseline.py) for the ratio.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

usage() { echo "usage: scripts/device-check.sh OUT [--device cuda|opencl] [--dry-run] [--app DIR]" >&2; exit 2; }
out=""; device=cuda; dry=0; appdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) [ $# -ge 2 ] || usage; device=$2; shift 2 ;;
    --device=*) device=${1#--device=}; shift ;;
    --dry-run) dry=1; shift ;;
    --app) [ $# -ge 2 ] || usage; appdir=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "error: unknown option '$1'" >&2; usage ;;
    *) [ -z "$out" ] || { echo "error: more than one OUT folder ('$out', '$1')" >&2; usage; }; out=$1; shift ;;
  esac
done
[ -n "$out" ] || usage
case "$device" in cuda|opencl|cpu) ;; *) echo "error: --device '$device': expected cuda, opencl or cpu" >&2; exit 2 ;; esac
mkdir -p "$out" || { echo "error: cannot create OUT folder '$out'" >&2; exit 2; }
out=$(cd "$out" && pwd)
# OUT receives three files (report.md, report.json, logs.tar.gz): the device tool brings back at most 8.
work=$(mktemp -d /tmp/device-check.XXXXXX)
logs="$work/logs"; mkdir -p "$logs"

# Seconds for all steps together: the GPU window is 8 minutes; a dry run must fit CI's ~4. A dry vgg
# epoch of 512 images takes 20-40 s on 2 shared cores after ~15 s of kernel compilation, hence 90 s.
budget=470; vgg_limit=180; vgg_epochs=100
[ "$dry" = 1 ] && { budget=210; vgg_limit=90; vgg_epochs=2; }
# DEVICE_CHECK_TIME_SCALE=N multiplies every limit: for rehearsals on the (slow) CPU accelerator.
scale=${DEVICE_CHECK_TIME_SCALE:-1}
[[ "$scale" =~ ^[1-9][0-9]*$ ]] || { echo "error: DEVICE_CHECK_TIME_SCALE '$scale': expected a whole number ≥ 1" >&2; exit 2; }
budget=$((budget * scale))
t0=$(date +%s)
results="$work/results"; : > "$results"
failures=0

# ---- the app: unpacked from .device/app.tar.xz, with libcuda findable (as .device/run.sh does) ----
dev="$root/.device"
if [ -z "$appdir" ]; then
  [ -f "$dev/app.tar.xz" ] || { echo "error: $dev/app.tar.xz is missing: run ../shared/device/pack.sh Training/Training.csproj mnist cifar10 first" >&2; exit 2; }
  appdir=$(mktemp -d /tmp/device-check-app.XXXXXX)
  tar -C "$appdir" -xJf "$dev/app.tar.xz" || { echo "error: cannot unpack $dev/app.tar.xz" >&2; exit 1; }
  appdir="$appdir/app"
fi
app="$appdir/activations"
[ -x "$app" ] || { echo "error: no executable 'activations' in $appdir" >&2; exit 2; }
real=$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 /{print $NF; exit}')
[ -z "$real" ] && real=$(ls /usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null | head -1)
if [ -n "$real" ]; then
  mkdir -p /tmp/cudalib && ln -sf "$real" /tmp/cudalib/libcuda.so && export LD_LIBRARY_PATH=/tmp/cudalib:${LD_LIBRARY_PATH:-}
fi
[ -d /usr/local/cuda ] && export CUDA_HOME=/usr/local/cuda CUDA_PATH=/usr/local/cuda
export DOTNET_gcServer=0
# Data: $DATASETS_DIR, else the packed .device/datasets, else the repository's datasets/; missing files
# are copied from $DATASETS_MIRROR, else the packed datasets, else ../shared/datasets beside the project.
data=${DATASETS_DIR:-}
[ -z "$data" ] && { [ -d "$dev/datasets" ] && data="$dev/datasets" || data="$root/datasets"; }
mirror=${DATASETS_MIRROR:-}
[ -z "$mirror" ] && for m in "$dev/datasets" "$root/../shared/datasets"; do [ -d "$m" ] && { mirror=$m; break; }; done
export DATASETS_DIR="$data"
[ -n "$mirror" ] && export DATASETS_MIRROR="$mirror"

if [ "$dry" = 1 ]; then
  mnist_limits=(--limit-train 3200 --limit-test 1000); cifar_limits=(--limit-train 512 --limit-test 256); mode=dry
else
  mnist_limits=(); cifar_limits=(); mode=full
fi

# record KEY VALUE: one result line (values are single words or quoted text without tabs)
record() { printf '%s\t%s\n' "$1" "$2" >> "$results"; }
left() { echo $(( budget - ($(date +%s) - t0) )); }

# step NAME LIMIT CMD...: runs CMD under min(LIMIT, what is left of the budget), logs to logs/NAME.log
step() {
  local name=$1 limit=$(($2 * scale)); shift 2
  local rest; rest=$(left)
  [ "$rest" -lt "$limit" ] && limit=$rest
  if [ "$limit" -lt 5 ]; then
    record "$name.status" "skipped (time budget used up)"; echo "== $name: skipped, the time budget is used up"; return 124
  fi
  echo "== $name (limit ${limit} s): $*"
  local s; s=$(date +%s.%N)
  timeout -k 10 -s INT "$limit" "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  local secs; secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  record "$name.seconds" "$secs"; record "$name.rc" "$rc"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then record "$name.status" "timed out after ${limit} s"
  elif [ "$rc" -eq 0 ]; then record "$name.status" "ok"
  else record "$name.status" "failed (exit $rc)"; fi
  tail -3 "$logs/$name.log" | sed 's/^/   /'
  return "$rc"
}
fail() { failures=$((failures + 1)); record "$1.failure" "$2"; echo "   FAILED: $2"; }

# ---- 1. devices ----
step devices 20 "$app" devices || fail devices "the app did not start (see logs/devices.log)"
grep -E "^$device" "$logs/devices.log" | head -3 | while IFS= read -r l; do record devices.line "$l"; done
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  | head -1 | while IFS= read -r l; do record gpu "$l"; done

# ---- 2. verify ----
step verify 90 "$app" verify --device "$device" || fail verify "$(grep -E 'FAIL|error' "$logs/verify.log" | head -3 | tr '\n' ' ')"
grep -E '^  (ok|FAIL)  ' "$logs/verify.log" | while IFS= read -r l; do record verify.family "$(echo "$l" | sed 's/^ *//')"; done
grep -E '^        [^ ]' "$logs/verify.log" | head -20 | while IFS= read -r l; do record verify.detail "$(echo "$l" | sed 's/^ *//')"; done
grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/verify.log" | tail -1 | while IFS= read -r l; do record verify.summary "$l"; done

# ---- 3. bench ----
if [ "$dry" = 1 ]; then bench_args=(--matmul 256 --elements 1048576); else bench_args=(--matmul 1024,4096 --elements 16777216); fi
step bench 60 "$app" bench --device "$device" "${bench_args[@]}" || fail bench "bench failed (see logs/bench.log)"
grep -E '^\| ' "$logs/bench.log" | while IFS= read -r l; do record bench.row "$l"; done
grep -E '^(no cuBLAS|cuBLAS .*disagrees|skip )' "$logs/bench.log" | while IFS= read -r l; do record bench.note "$l"; done

# ---- 4-5. MNIST MLP and CNN epochs, losses against the CPU side ----
expected="$here/device-check.expected"
mnist() {
  local model=$1 limit=$2
    step "mnist-$model" "$limit" "$app" train --dataset mnist --model "$model" --epochs 1 --device "$device" --seed 0 \
      "${mnist_limits[@]}" --out "$work/runs/$model" || { fail "mnist-$model" "training did not finish (see logs/mnist-$model.log)"; return; }
  local csv; csv=$(ls "$work"/runs/"$model"/*/metrics.csv 2>/dev/null | head -1)
  [ -n "$csv" ] || { fail "mnist-$model" "no metrics.csv written"; return; }
  # epoch,train_loss,test_loss,test_accuracy,seconds,images_per_sec,lr
  IFS=, read -r _ tl vl acc secs ips _ < <(sed -n 2p "$csv")
  record "mnist-$model.train_loss" "$tl"; record "mnist-$model.test_loss" "$vl"
  record "mnist-$model.accuracy" "$acc"; record "mnist-$model.epoch_seconds" "$secs"; record "mnist-$model.images_per_sec" "$ips"
  local want; want=$(awk -v m="$model" -v mode="$mode" '$1 == m && $2 == mode {print $3, $4, $5}' "$expected")
  # A row not stored yet is reported, not failed: the device's numbers are still worth having.
  if [ -z "$want" ]; then record "mnist-$model.loss_check" "not-compared (no $model $mode row in device-check.expected)"; return; fi
  read -r etl evl eacc <<< "$want"
  record "mnist-$model.expected" "$etl $evl $eacc"
  local verdict
  verdict=$(awk -v a="$tl" -v b="$etl" -v c="$vl" -v d="$evl" 'BEGIN{x=a-b; if(x<0)x=-x; y=c-d; if(y<0)y=-y;
      printf "%s %.6f %.6f", (x <= 1e-3 && y <= 1e-3) ? "agree" : "DIFFER", x, y}')
  record "mnist-$model.loss_check" "$verdict"
  case "$verdict" in agree*) ;; *) fail "mnist-$model" "losses differ from the CPU side by more than 1e-3: $verdict" ;; esac
}
mnist mlp 35
mnist cnn 45

# ---- 6. CIFAR-10 vgg for as many epochs as fit ----
if [ "$dry" = 1 ] && [ "$device" = cpu ]; then
  # One batch of vgg takes minutes on the CPU simulator: a CPU rehearsal skips it, saying so.
  record cifar10-vgg.status "skipped: vgg on the CPU accelerator takes minutes per batch (dry run)"
  echo "== cifar10-vgg: skipped on the CPU accelerator (dry run)"
else
  step cifar10-vgg "$vgg_limit" "$app" train --dataset cifar10 --model vgg --epochs "$vgg_epochs" --device "$device" --seed 0 "${cifar_limits[@]}" \
    --out "$work/runs/vgg"
  vrc=$?
  csv=$(ls "$work"/runs/vgg/*/metrics.csv 2>/dev/null | head -1)
  epochs=0
  if [ -n "$csv" ]; then
    epochs=$(( $(wc -l < "$csv") - 1 ))
    tail -n +2 "$csv" | while IFS=, read -r e tl vl acc secs ips _; do record cifar10-vgg.epoch "$e $tl $vl $acc $secs $ips"; done
  fi
  record cifar10-vgg.epochs "$epochs"
  # Stopped by its limit is the expected end; no finished epoch, or a crash, is a failure.
  if [ "$epochs" -lt 1 ] || { [ "$vrc" -ne 0 ] && [ "$vrc" -ne 124 ] && [ "$vrc" -ne 137 ] && [ "$vrc" -ne 130 ]; }; then
    fail cifar10-vgg "no epoch finished (exit $vrc; see logs/cifar10-vgg.log)"
  fi
fi

# ---- 7. PyTorch, same nets, same GPU ----
torch_ok=0
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  torch_ok=1
elif [ "$dry" = 1 ]; then
  record torch.status "skipped: PyTorch is not installed here (dry run)"; echo "== torch: skipped, PyTorch is not installed here (dry run)"
else
  record torch.status "skipped: PyTorch is not installed here"; fail torch "PyTorch is not installed here"
fi
if [ "$torch_ok" = 1 ]; then
  tdev=cuda; [ "$device" != cuda ] && tdev=cpu
  targs=(--device "$tdev" --data "$data" --out "$logs/torch.json")
  [ "$dry" = 1 ] && targs+=(--limit-train 3200 --limit-test 1000 --cifar-images 512)
  step torch 60 python3 "$here/torch_baseline.py" "${targs[@]}" || fail torch "torch_baseline.py failed (see logs/torch.log)"
  grep -E '^torch ' "$logs/torch.log" | while IFS= read -r l; do record torch.line "$l"; done
fi

record total.seconds "$(( $(date +%s) - t0 ))"
record failures "$failures"
record device "$device"; record mode "$mode"

# ---- report.md and report.json ----
awk -F'\t' -v md="$out/report.md" -v json="$out/report.json" -f "$here/device-check-report.awk" "$results"
tar -C "$work" -czf "$out/logs.tar.gz" logs
rm -rf "$work"
cat "$out/report.md"
echo "== report: $out/report.md, $out/report.json, logs in $out/logs.tar.gz ($failures failed, $(( $(date +%s) - t0 )) s)"
[ "$failures" -eq 0 ]
