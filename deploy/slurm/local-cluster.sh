#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing the job files in deploy/slurm without an
# HPC site: munge, slurmctld and slurmd from Debian's slurm-wlm, all run as root, with
# proctrack/linuxproc and task/none so that no cgroups are needed (it runs inside a container).
#
#   deploy/slurm/local-cluster.sh start    install (apt-get) when missing, configure, start; idempotent
#   deploy/slurm/local-cluster.sh stop     stop the daemons this script started
#   deploy/slurm/local-cluster.sh status   sinfo, or why not
#
# Needs root and apt (Debian/Ubuntu). It writes /etc/slurm/slurm.conf only when that file is
# missing or was written by this script; a site's own configuration is never touched.
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker="# written by activations deploy/slurm/local-cluster.sh"
state=/var/lib/activations-slurm
log=/var/log/activations-slurm

die() { echo "local-cluster: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons)"; }

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; then
    return
  fi
  command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and there is no apt-get to install them"
  echo "local-cluster: installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

configure() {
  if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
    die "$conf exists and was not written by this script; refusing to replace a site's configuration"
  fi
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  mkdir -p /etc/slurm "$state/ctld" "$state/d" "$log"
  cat > "$conf.new" <<CONF
$marker
ClusterName=activations
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$log/slurmctld.log
SlurmdLogFile=$log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$conf.new" "$conf"
  # munge: a key (the package makes one; make sure), and its run/log folders owned by its user.
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

start() {
  need_root
  install
  configure
  if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n </dev/null | unmunge >/dev/null || die "munged did not start (see /var/log/munge/munged.log)"
  fi
  running "$state/slurmctld.pid" || slurmctld
  running "$state/slurmd.pid" || slurmd
  local host; host=$(hostname -s)
  for _ in $(seq 60); do
    if sinfo -h -n "$host" -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "local-cluster: up ($(sinfo -h -o '%P %D node(s) %c CPUs %t' | head -1))"
      return
    fi
    # A node left down by an earlier stop comes back once told so.
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  die "the node did not become idle within 30 s: $(sinfo 2>&1 | tail -1); see $log/"
}

stop() {
  need_root
  for d in slurmd slurmctld; do
    if running "$state/$d.pid"; then
      kill "$(cat "$state/$d.pid")"
      for _ in $(seq 50); do running "$state/$d.pid" || break; sleep 0.1; done
    fi
  done
  if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    kill "$(cat /run/munge/munged.pid)"
  fi
  echo "local-cluster: stopped"
}

status() {
  command -v sinfo >/dev/null || die "slurm is not installed"
  sinfo
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
