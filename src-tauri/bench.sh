#!/usr/bin/env bash
# Start-up and idle-memory benchmark of the desktop app: starts it RUNS
# times on a fresh data folder (no speech model, so none is loaded), prints
# the time from launch to the first screen shown and the resident memory
# of the app with its WebKit processes after IDLE seconds.
#
# usage: bash src-tauri/bench.sh APP [RUNS] [IDLE]   (needs a display; see `cargo xtask bench-app`)
set -euo pipefail
app=${1:?usage: bench.sh APP [RUNS] [IDLE]}
runs=${2:-5}
idle=${3:-10}

# Resident memory in kB of a process and all its descendants.
tree_rss() {
    local pid=$1 total=0 child
    total=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    for child in $(pgrep -P "$pid" || true); do
        total=$((total + $(tree_rss "$child")))
    done
    echo "$total"
}

starts=()
rss_app=()
rss_all=()
for run in $(seq "$runs"); do
    home=$(mktemp -d)
    report="$home/startup-ms"
    begin=$(date +%s%N)
    VOICE_LEDGER_NO_KEYRING=1 VOICE_LEDGER_PASSPHRASE=bench VOICE_LEDGER_HOME="$home" VOICE_LEDGER_STARTUP_REPORT="$report" "$app" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        [ -s "$report" ] && break
        sleep 0.01
    done
    if [ ! -s "$report" ]; then
        kill "$pid" 2>/dev/null || true
        echo "run $run: the app showed no screen within 6 s" >&2
        exit 1
    fi
    ms=$(( ($(date +%s%N) - begin) / 1000000 ))
    sleep "$idle"
    app_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    all_kb=$(tree_rss "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$home"
    echo "run $run: first screen after $ms ms (app's own clock: $(cat "$report" 2>/dev/null || echo '?') ms); idle RSS app $((app_kb / 1024)) MB, with WebKit processes $((all_kb / 1024)) MB"
    starts+=("$ms")
    rss_app+=("$app_kb")
    rss_all+=("$all_kb")
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median of $runs runs: start-up to first screen $(median "${starts[@]}") ms (target ≤ 1500 ms);" \
    "idle RSS $(( $(median "${rss_app[@]}") / 1024 )) MB app," \
    "$(( $(median "${rss_all[@]}") / 1024 )) MB with WebKit processes (target ≤ 200 MB)"
