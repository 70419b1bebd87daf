"""CPU use by other processes, for dropping contended benchmark samples
(the same measure as benchmarks/swift/Sources/PlinthBench/Contention.swift)."""
import os

HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.sysconf("SC_NPROCESSORS_ONLN")


def sys_busy():
    """Busy jiffies of the whole machine: user nice system irq softirq steal."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def self_busy():
    """utime + stime of this process (all threads), jiffies."""
    with open("/proc/self/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])
