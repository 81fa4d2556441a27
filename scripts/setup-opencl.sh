#!/usr/bin/env bash
# Makes an ILGPU-usable OpenCL CPU device available on Debian/Ubuntu (optional fast-CPU path).
#
# ILGPU's OpenCL backend needs OpenCL 2.0+/3.0 with the generic address space. Debian 12's own
# runtimes (PoCL 3.1, Mesa rusticl) lack it; PoCL 6.0 has it. This script:
#   1. does nothing when this script's current build is registered, or when some other device
#      with generic address space is (e.g. Debian 13 / Ubuntu 24.04 `pocl-opencl-icd`);
#   2. otherwise installs the build dependencies from Debian's packages, fetches the upstream
#      tarball inside Debian's `pocl` 6.0 source package (a deb-src entry for the next release,
#      reusing the archive URI already configured), applies pocl-6.0-vectorizer-target.patch
#      (without it PoCL 6.0 never vectorises a kernel; see the patch), builds it for the CPU target
#      that the CPU's feature flags call for (pocl_target below) into $PREFIX and registers the ICD.
#      $PREFIX names the patch level and the target: a build from an older version of this script,
#      or for another target, is left where it is and replaced in the ICD registry.
# Idempotent and quiet on success; a second run takes seconds. Needs root (apt-get, /etc/OpenCL).
#   --print-target  print the chosen LLVM CPU name and $PREFIX, and change nothing
# POCL_CPU_FLAGS (a /proc/cpuinfo flags line) and POCL_LLVM_HOST_CPU (LLVM's name for the host) stand
# in for this machine's, to check the choice for another CPU.
set -euo pipefail

# AVX-512 (F, CD, BW, DQ, VL: Skylake-SP's set, which every AVX-512 x86 since has) needs a name that
# LLVM 15 builds with AVX-512; Zen 4 is not one it knows (it calls it znver3, AVX2 only), and a
# virtual machine may hide AVX-512 from a CPU whose name has it, so the flags decide.
# LaunchPlan.CompilesForAvx512 reads these names back from PoCL's device name: keep the two lists in step.
AVX512_NAMES=" skylake-avx512 cascadelake cooperlake cannonlake icelake-client icelake-server tigerlake rocketlake sapphirerapids "
has_flags() { local f; for f in "$@"; do grep -qw -- "$f" <<<"$flags" || return 1; done; }
# pocl_target: the LLVM CPU name to build PoCL for: LLVM's own name for the host when it has the
# vector width the flags offer, else an LLVM 15 name with it (skylake-avx512, haswell, x86-64).
pocl_target() {
  local llvm=$1
  if has_flags avx512f avx512cd avx512bw avx512dq avx512vl; then
    if [[ "$AVX512_NAMES" == *" $llvm "* ]]; then echo "$llvm"; else echo skylake-avx512; fi
  elif has_flags avx2 fma bmi2; then
    if [ "$llvm" = "(unknown)" ] || [ -z "$llvm" ] || [[ "$AVX512_NAMES" == *" $llvm "* ]] || \
       [[ " x86-64 generic " == *" $llvm "* ]]; then echo haswell; else echo "$llvm"; fi
  else
    echo x86-64
  fi
}
flags=${POCL_CPU_FLAGS:-$(grep -m1 '^flags' /proc/cpuinfo || true)}
llvm_host() { [ -n "${POCL_LLVM_HOST_CPU:-}" ] && echo "$POCL_LLVM_HOST_CPU" || \
  llc-15 --version 2>/dev/null | sed -n 's/^ *Host CPU: *//p' | head -1; }
# The patch level of pocl-6.0-vectorizer-target.patch: raised with each change to the patch, so that a
# machine holding an older build gets a new prefix and rebuilds.
PATCH_LEVEL=vec3
# choose_target: sets CPU and PREFIX. A target other than the one LLVM names (which is what PoCL
# picks by itself, and what builds before this choice used) gets a prefix of its own.
choose_target() {
  local llvm; llvm=$(llvm_host || true)
  CPU=$(pocl_target "$llvm")
  if [ -n "${POCL_PREFIX:-}" ]; then PREFIX=$POCL_PREFIX
  elif [ -z "$llvm" ] || [ "$llvm" = "(unknown)" ] || [ "$CPU" = "$llvm" ]; then PREFIX=/opt/pocl-6.0-$PATCH_LEVEL
  else PREFIX=/opt/pocl-6.0-$PATCH_LEVEL-$CPU; fi
}
choose_target
if [ "${1:-}" = --print-target ]; then echo "$CPU $PREFIX"; exit 0; fi
[ $# -eq 0 ] || { echo "error: unknown argument '$1' (expected --print-target or nothing)" >&2; exit 2; }

PATCH=$(cd "$(dirname "$0")" && pwd)/pocl-6.0-vectorizer-target.patch
POCL_VERSION=6.0-6
ICD_FILE=/etc/OpenCL/vendors/pocl6-activations.icd
LOG=${POCL_BUILD_LOG:-/tmp/pocl-build.log}

fail() { echo "setup-opencl: $*" >&2; exit 1; }
say()  { [ -n "${VERBOSE:-}" ] && echo "setup-opencl: $*" >&2 || true; }

# A usable device: clinfo lists one whose generic address space support says Yes.
has_usable_device() {
  command -v clinfo >/dev/null 2>&1 || return 1
  [ -e /usr/lib/x86_64-linux-gnu/libOpenCL.so ] || [ -e /usr/lib/libOpenCL.so ] || \
    ldconfig -p | grep -q 'libOpenCL\.so ' || return 1
  local info
  info=$(clinfo 2>/dev/null || true)
  grep -Eq 'Generic address space support +Yes' <<<"$info"
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

apt_install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@" >>"$LOG" 2>&1 \
    || fail "apt-get install $* failed (see $LOG)"
}

: >"$LOG"
if ! command -v clinfo >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libOpenCL\.so '; then
  $SUDO apt-get update -q >>"$LOG" 2>&1 || fail "apt-get update failed (see $LOG)"
  apt_install clinfo ocl-icd-opencl-dev ocl-icd-libopencl1
fi
# Our build, current and registered: done. Another usable runtime, and none of ours registered: use it.
if [ -e "$PREFIX/lib/libpocl.so" ] && [ "$(cat "$ICD_FILE" 2>/dev/null)" = "$PREFIX/lib/libpocl.so" ] && has_usable_device; then
  say "PoCL from $PREFIX is registered"; exit 0
fi
if [ ! -e "$ICD_FILE" ] && has_usable_device; then say "a usable OpenCL device is already present"; exit 0; fi

# A newer distribution ships a usable PoCL as a binary package: prefer it.
. /etc/os-release
if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-0}" -ge 13 ] 2>/dev/null; then
  apt_install pocl-opencl-icd || true
  has_usable_device && exit 0
fi

# Build PoCL 6.0 from Debian's source package against Debian 12's LLVM 15.
if [ ! -e "$PREFIX/lib/libpocl.so" ]; then
  $SUDO apt-get update -q >>"$LOG" 2>&1 || true
  apt_install llvm-15-dev libclang-15-dev clang-15 libclang-cpp15-dev libhwloc-dev ocl-icd-dev \
    ocl-icd-opencl-dev cmake ninja-build pkg-config dpkg-dev make g++ xz-utils ca-certificates patch
  # LLVM's name for the host is known only now that llc-15 is installed.
  choose_target

  src_list=/etc/apt/sources.list.d/activations-pocl-src.sources
  if [ ! -e "$src_list" ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || fail "no Debian archive URI found in /etc/apt/sources.list(.d); cannot fetch pocl source"
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" | $SUDO tee "$src_list" >/dev/null
    $SUDO apt-get update -q >>"$LOG" 2>&1 || fail "apt-get update with the trixie deb-src entry failed (see $LOG)"
  fi

  work=$(mktemp -d /tmp/pocl-src.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source --download-only "pocl=$POCL_VERSION" >>"$LOG" 2>&1) \
    || fail "apt-get source pocl=$POCL_VERSION failed (see $LOG)"
  tar -C "$work" -xzf "$work"/pocl_6.0.orig.tar.gz || fail "cannot unpack pocl_6.0.orig.tar.gz"
  srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'pocl-*' | head -1)
  [ -n "$srcdir" ] || fail "pocl source tree not found after unpacking"
  command -v patch >/dev/null 2>&1 || apt_install patch
  patch -d "$srcdir" -p1 -s <"$PATCH" >>"$LOG" 2>&1 || fail "cannot apply $PATCH to pocl 6.0 (see $LOG)"
  echo "setup-opencl: building PoCL 6.0 for $CPU into $PREFIX (a few minutes; log: $LOG)" >&2
  # (cmake is run from the scratch folder: PoCL's configure checks write compile_test_* files into the cwd)
  cd "$work"
  cmake -S "$srcdir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DWITH_LLVM_CONFIG=/usr/bin/llvm-config-15 \
    -DENABLE_ICD=ON -DENABLE_TESTS=OFF -DENABLE_EXAMPLES=OFF -DENABLE_POCLCC=OFF -DLLC_HOST_CPU="$CPU" >>"$LOG" 2>&1 || fail "cmake configure of pocl failed (see $LOG)"
  ninja -C "$work/build" >>"$LOG" 2>&1 || fail "pocl build failed (see $LOG)"
  $SUDO ninja -C "$work/build" install >>"$LOG" 2>&1 || fail "pocl install failed (see $LOG)"
fi

lib=$(find "$PREFIX" -name libpocl.so -print -quit 2>/dev/null || true)
[ -n "$lib" ] || fail "libpocl.so not found under $PREFIX"
$SUDO mkdir -p /etc/OpenCL/vendors
echo "$lib" | $SUDO tee "$ICD_FILE" >/dev/null
has_usable_device || fail "PoCL installed at $PREFIX but no OpenCL device with generic address space is listed (run clinfo)"
say "PoCL ready: $lib"
