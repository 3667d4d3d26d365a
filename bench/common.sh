# What bench/run and bench/cosockets share: wrk's summary, peak memory, medians.

wrk_summary() {  # wrk's output on standard input → "requests/s p99-ms"; errors reported on stderr
  awk '/Requests\/sec/ {rps = $2}
       /^ +99%/ {v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v);
                 p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : v}
       /Non-2xx|Socket errors/ {print "bench: " $0 > "/dev/stderr"}
       END {print rps + 0, p99 + 0}'
}

peak_mib() {  # peak_mib PID: the peak resident memory of the process and its descendants, in MiB
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); parent = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        parent[int(pid)] = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1])
    except OSError:
        pass
tree, grew = {root}, True
while grew:
    grew = False
    for pid, ppid in parent.items():
        if ppid in tree and pid not in tree:
            tree.add(pid); grew = True
total = 0
for pid in tree:
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    except OSError:
        pass
print("%.1f" % (total / 1024))
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
