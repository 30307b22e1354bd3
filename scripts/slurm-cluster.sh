#!/usr/bin/env bash
# A one-node Slurm cluster started by hand, for tests and for trying the batch
# scripts in slurm/ on one machine: munged, slurmctld and slurmd with every
# file (key, config, state, spool, logs, PIDs) under DIR. No systemd, no
# cgroups (proctrack/linuxproc, task/none), no accounting database.
#
#   scripts/slurm-cluster.sh start DIR    # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-cluster.sh status DIR   # daemons, PIDs, sinfo; exit 1 when not running
#   scripts/slurm-cluster.sh stop DIR     # cancels the cluster's jobs, stops the daemons
#
#   eval "$(scripts/slurm-cluster.sh start /tmp/ff-slurm)"
#   sbatch --wait -n 2 slurm/framefarm.sbatch jobs/demo.toml call.mp4 out/call.mp4
#   scripts/slurm-cluster.sh stop /tmp/ff-slurm
#
# Environment:
#   SLURM_CLUSTER_PORT   slurmctld's TCP port (slurmd uses the next one), default 6817
#   SLURM_CLUSTER_WAIT_S seconds to wait for the node to become idle, default 60
#
# Both start and stop are harmless to repeat. The daemons run as the calling
# user; as root they can start jobs for any user (SlurmUser=root). Messages go
# to stderr; start's only stdout line is the export, so eval works.
set -euo pipefail

prog=slurm-cluster.sh
die() {
  echo "$prog: $*" >&2
  exit 1
}
say() { echo "$prog: $*" >&2; }

usage() {
  echo "usage: scripts/$prog start|stop|status DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
case "$cmd" in start | stop | status) ;; *) usage ;; esac
dir=$(realpath -m -- "$2")

conf=$dir/slurm.conf
munge_socket=$dir/munge/munge.socket
port=${SLURM_CLUSTER_PORT:-6817}
wait_s=${SLURM_CLUSTER_WAIT_S:-60}
node=$(hostname -s)
daemons=(munged slurmctld slurmd) # start order; stop runs it backwards

need() {
  local b
  for b in "$@"; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
      die "$b not found; install slurm-wlm munge: scripts/setup.sh"
  done
}

bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# PID of a daemon we started, when that process is still alive and still
# the same program (a recycled PID is ignored).
alive_pid() {
  local name=$1 pid comm
  [ -r "$dir/run/$name.pid" ] || return 1
  pid=$(<"$dir/run/$name.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [ "$comm" = "$name" ] || return 1
  echo "$pid"
}

# Whether the process we launched is still there (during start, before it
# has exec'ed its program, its name may still be the shell's).
launched() {
  local pid
  pid=$(cat "$dir/run/$1.pid" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

node_state() { SLURM_CONF=$conf sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1; }

log_tail() {
  local f=$1
  [ -s "$f" ] && {
    echo "--- last lines of $f:" >&2
    tail -n 15 "$f" >&2
  }
  return 0
}

# Starts one daemon in the foreground mode, detached in its own session, and
# records its PID (the daemon's own PID: setsid does not fork here).
launch() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/run/$name.pid"
}

write_conf() {
  local spec cpus mem mpi=none user
  # slurmd -C prints the node line slurmd will register with (CPUs, cores,
  # RealMemory in MiB), so the config matches the machine exactly.
  spec=$("$(bin slurmd)" -C | head -n 1)
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$spec")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$spec")
  if [ -z "$cpus" ] || [ -z "$mem" ]; then
    die "slurmd -C printed no CPUs/RealMemory ('$spec'); check that slurmd runs on this machine"
  fi
  for d in /usr/lib/x86_64-linux-gnu/slurm-wlm /usr/lib/slurm-wlm /usr/lib64/slurm /usr/lib/slurm; do
    [ -e "$d/mpi_pmix.so" ] && mpi=pmix && break
  done
  user=$(id -un)
  cat >"$conf" <<EOF
# One-node cluster written by scripts/$prog; every path is under $dir.
# Loopback addresses: the cluster works even where the host name does not resolve.
ClusterName=framefarm
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.daemon.pid
SlurmdPidFile=$dir/run/slurmd.daemon.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: processes are tracked through /proc, tasks are not bound.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd, so no sacct; every finished job is one line in JobCompLoc
# (JobState, ExitCode), and scontrol show job keeps it for MinJobAge seconds.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MinJobAge=600
MpiDefault=$mpi
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
ReturnToService=2
SlurmctldTimeout=10
SlurmdTimeout=30
KillWait=10
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=farm Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  need munged munge unmunge slurmctld slurmd sinfo
  if alive_pid slurmctld >/dev/null && alive_pid slurmd >/dev/null && alive_pid munged >/dev/null; then
    say "already running in $dir"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  # A partial cluster (one daemon died) is stopped first, then started again.
  stop_daemons quiet
  mkdir -p "$dir"/{munge,state,spool,log,run}
  # Others may reach the socket (to submit as another user) but not list the
  # directory; the key itself is 0400.
  chmod 0711 "$dir/munge"
  local key=$dir/munge/munge.key
  if [ ! -s "$key" ]; then
    dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
  fi
  chmod 0400 "$key"
  write_conf

  local force=()
  [ "$(id -u)" -ne 0 ] || force=(--force) # munged refuses root without it
  launch munged "$(bin munged)" --foreground "${force[@]}" --socket="$munge_socket" \
    --key-file="$key" --pid-file="$dir/run/munged.daemon.pid" \
    --seed-file="$dir/munge/munged.seed"
  local i
  for ((i = 0; i < 50; i++)); do
    munge -n -S "$munge_socket" 2>/dev/null | unmunge -S "$munge_socket" >/dev/null 2>&1 && break
    launched munged || break
    sleep 0.2
  done
  if ! munge -n -S "$munge_socket" 2>/dev/null | unmunge -S "$munge_socket" >/dev/null 2>&1; then
    log_tail "$dir/log/munged.out"
    stop_daemons quiet
    die "munged did not start (socket $munge_socket); see $dir/log/munged.out"
  fi

  # -c on a fresh state directory (nothing to recover), else recover the
  # saved jobs and nodes (-i: ignore unreadable state files).
  local fresh=()
  [ -n "$(ls -A "$dir/state")" ] || fresh=(-c)
  launch slurmctld "$(bin slurmctld)" -D -i "${fresh[@]}" -f "$conf"
  launch slurmd "$(bin slurmd)" -D -f "$conf"

  local state="" t0=$SECONDS
  while ((SECONDS - t0 < wait_s)); do
    state=$(node_state || true)
    case "$state" in
      idle*) break ;;
    esac
    for d in slurmctld slurmd; do
      if ! launched "$d"; then
        log_tail "$dir/log/$d.log"
        log_tail "$dir/log/$d.out"
        stop_daemons quiet
        die "$d exited during start; see $dir/log/$d.log"
      fi
    done
    sleep 0.5
  done
  if [[ $state != idle* ]]; then
    log_tail "$dir/log/slurmctld.log"
    log_tail "$dir/log/slurmd.log"
    stop_daemons quiet
    die "node $node not idle after ${wait_s} s (state '${state:-none}'); see $dir/log/slurmctld.log and slurmd.log"
  fi
  say "node $node idle, partition farm, MpiDefault $(sed -n 's/^MpiDefault=//p' "$conf"), logs in $dir/log"
  echo "export SLURM_CONF=$conf"
}

# Sends TERM to each daemon we recorded, newest first, waits up to 15 s for
# it to exit, then KILL.
stop_daemons() {
  local quiet=${1:-} i name pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    name=${daemons[i]}
    pid=$(alive_pid "$name") || {
      rm -f "$dir/run/$name.pid"
      continue
    }
    kill -TERM "$pid" 2>/dev/null || true
    local t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null && ((SECONDS - t0 < 15)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name ($pid) ignored TERM for 15 s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/run/$name.pid"
    [ -n "$quiet" ] || say "stopped $name ($pid)"
  done
}

stop() {
  [ -d "$dir" ] || {
    say "nothing to stop: $dir does not exist"
    return 0
  }
  # Jobs first: slurmstepd and the job's processes outlive slurmd otherwise.
  if alive_pid slurmctld >/dev/null && alive_pid slurmd >/dev/null; then
    local jobs t0=$SECONDS
    jobs=$(SLURM_CONF=$conf squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      say "cancelling jobs: $(tr '\n' ' ' <<<"$jobs")"
      # shellcheck disable=SC2086
      SLURM_CONF=$conf scancel $jobs 2>/dev/null || true
      while [ -n "$(SLURM_CONF=$conf squeue -h -o %A 2>/dev/null)" ] && ((SECONDS - t0 < 30)); do
        sleep 0.5
      done
    fi
  fi
  stop_daemons
}

status() {
  local name pid rc=0
  for name in "${daemons[@]}"; do
    if pid=$(alive_pid "$name"); then
      echo "$name: running (pid $pid)"
    else
      echo "$name: not running"
      rc=1
    fi
  done
  if [ "$rc" -eq 0 ]; then
    echo "export SLURM_CONF=$conf"
    SLURM_CONF=$conf sinfo -N -o '%N %P %T %c %m' || rc=1
    SLURM_CONF=$conf squeue || rc=1
  fi
  return "$rc"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
esac
