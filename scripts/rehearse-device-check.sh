#!/usr/bin/env bash
# CI's rehearsal of scripts/device-check.sh: publishes the app self-contained for linux-x64 (the same
# publish ../shared/device/pack.sh makes), then runs the check as a dry run with dotnet removed from
# PATH, on OpenCL in place of CUDA (on the CPU accelerator where no OpenCL device is usable), so a
# runtime file missing from the publish fails here rather than on the GPU machine.
#   scripts/rehearse-device-check.sh OUT
set -uo pipefail
out=${1:?usage: scripts/rehearse-device-check.sh OUT}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tmp=$(mktemp -d /tmp/rehearse-device-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if ! dotnet publish Training/Training.csproj -c Release -r linux-x64 --self-contained true -p:DebugType=none \
     -o "$tmp/app" > "$tmp/publish.log" 2>&1; then
  echo "error: self-contained publish failed:"; tail -5 "$tmp/publish.log"; exit 1
fi
# A PATH of its own: every command on PATH but dotnet (linked into one folder, first match wins, since
# dotnet may share /usr/bin with bash), and no DOTNET_ROOT: the app must not need either.
mkdir -p "$tmp/bin"
printf '%s\n' "${PATH//:/$'\n'}" | while IFS= read -r d; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    [ "$n" = dotnet ] || [ -e "$tmp/bin/$n" ] || { [ -x "$f" ] && [ ! -d "$f" ] && ln -s "$f" "$tmp/bin/$n"; }
  done
done
clean="$tmp/bin"
if env PATH="$clean" bash -c 'command -v dotnet' >/dev/null; then echo "error: dotnet is still on PATH"; exit 1; fi
device=opencl
env -u DOTNET_ROOT PATH="$clean" "$tmp/app/activations" devices 2>/dev/null | awk '$1 ~ /^opencl/ && $2 == "yes" {found = 1} END {exit !found}' \
  || { device=cpu; export DEVICE_CHECK_TIME_SCALE=${DEVICE_CHECK_TIME_SCALE:-4}
       echo "rehearsal: no usable OpenCL device here, rehearsing on the CPU accelerator with limits ×$DEVICE_CHECK_TIME_SCALE"; }
env -u DOTNET_ROOT PATH="$clean" bash scripts/device-check.sh "$out" --device "$device" --dry-run --app "$tmp/app"
