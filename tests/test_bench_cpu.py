"""The CPU accounting of the shard benchmark (bench/shards.py): /proc parsing and whole process trees."""

from __future__ import annotations

import subprocess
import sys

from bench.shards import TICKS, CpuUse, own_cpu_seconds, parse_stat, tree_cpu_seconds

BURN = "import time\nwhile time.process_time() < 0.3:\n    pass\n"
BURN_THEN_WAIT = BURN + "print('burnt', flush=True)\ninput()\n"
# A parent that lets one child burn 0.3 s of CPU and exit (reaped), then keeps a second one alive after its burn.
PARENT = f"""
import subprocess, sys
subprocess.run([sys.executable, "-c", {BURN!r}], check=True)
live = subprocess.Popen([sys.executable, "-c", {BURN_THEN_WAIT!r}],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
live.stdout.readline()
print("ready", flush=True)
input()
live.communicate(bytes([10]))
"""


def test_a_stat_line_whose_command_name_holds_spaces_and_parentheses() -> None:
    fields = ["S", "17", *["0"] * 9, str(3 * TICKS), str(TICKS), str(2 * TICKS), str(TICKS), "20", "0"]
    times = parse_stat("4242 (web (worker) 1) " + " ".join(fields))
    assert (times.pid, times.ppid, times.own, times.reaped_children) == (4242, 17, 4.0, 3.0)


def test_a_tree_counts_live_and_exited_descendants_but_a_process_alone_does_not() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == b"ready"
        tree, alone = tree_cpu_seconds(parent.pid), own_cpu_seconds(parent.pid)
    finally:
        parent.communicate(b"\n", timeout=30)
    assert tree >= 0.58  # the two burns, one reaped and one alive (clock ticks of 10 ms)
    assert alone < 0.3  # the parent itself only started them
    assert tree_cpu_seconds(parent.pid) == 0.0  # gone


def test_cpu_per_vote_and_the_ceiling_it_sets() -> None:
    use = CpuUse({"bot0": 0.6, "postgres": 0.4, "emulator": 1.0}, votes=1000, wall=1.25)
    assert use.per_vote_ms == 2.0 and use.share_ms("bot") == 0.6
    assert use.ceiling_rate(2) == 1000.0  # 2 cores at 2 ms per vote
    assert use.ceiling_rate(2, leaving_out="emulator") == 2000.0  # 1 ms per vote once Discord's share is out
