#!/usr/bin/env bash
# A throwaway one-node Slurm cluster on localhost, for the Slurm export test
# (tests/cli/export.rs) and .ci/run. Everything lives in DIR: munge's key,
# socket and logs, slurm.conf, the daemons' state, spool, pid and log files,
# so it never touches a system-wide munge or Slurm.
#
#   testing/slurm-cluster.sh start DIR   # prints the slurm.conf path (SLURM_CONF)
#   testing/slurm-cluster.sh stop DIR    # stops the daemons it started, by pid
#
# Needs Debian's `slurm-wlm` and `munge` packages and root (slurmd starts
# jobs as their user). The settings below are what a working one-node
# cluster needed (README, "Beyond one machine"); CPUs=2 as in CI.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

# Stops every daemon whose pid file is in DIR (munged last: Slurm needs it
# to shut down cleanly). Only the recorded pids are signalled.
stop() {
  for name in slurmd slurmctld munged; do
    pidfile="$dir/pids/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

case "$action" in
  stop) stop; exit 0 ;;
  start) ;;
  *) usage ;;
esac

for tool in munged mungekey slurmctld slurmd sinfo python3; do
  command -v "$tool" >/dev/null || { echo "slurm-cluster: \`$tool\` not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm-cluster: must run as root (slurmd starts jobs as their user)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/munge" "$dir/pids" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"

# A failed start leaves nothing running.
on_exit() {
  code=$?
  [ "$code" -eq 0 ] || stop
  exit "$code"
}
trap on_exit EXIT

# munge: its own key and socket in DIR.
key="$dir/munge/munge.key"
[ -f "$key" ] || mungekey --create --keyfile="$key" >/dev/null
chmod 600 "$key"
socket="$dir/munge/munge.socket.2"
setsid munged --foreground --force --key-file="$key" --socket="$socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/munged.out" 2>&1 &
echo $! >"$dir/pids/munged.pid"
for _ in $(seq 100); do
  [ -S "$socket" ] && munge --socket="$socket" -n >/dev/null 2>&1 && break
  sleep 0.1
done
munge --socket="$socket" -n >/dev/null || { echo "slurm-cluster: munged did not start; see $dir/log/munged.log" >&2; exit 1; }

# Two free TCP ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ports = []
sockets = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
    ports.append(s.getsockname()[1])
print(*ports)
')

host=$(hostname -s)
# Real memory as slurmd sees it, so `--mem` requests fit the node.
memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
memory=${memory:-1024}
conf="$dir/slurm.conf"
cat >"$conf" <<EOF
# Written by testing/slurm-cluster.sh: a one-node test cluster.
ClusterName=nexus-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=10
MinJobAge=300
NodeName=$host CPUs=2 RealMemory=$((memory * 9 / 10)) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$conf"
setsid slurmctld -D -i -f "$conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
echo $! >"$dir/pids/slurmctld.pid"
setsid slurmd -D -f "$conf" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
echo $! >"$dir/pids/slurmd.pid"

for _ in $(seq 300); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.1
done
if [ "$state" != idle ]; then
  echo "slurm-cluster: the node is \`${state:-unknown}\`, not idle, after 30 s; logs in $dir/log" >&2
  exit 1
fi
echo "$conf"
