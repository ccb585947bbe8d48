#!/usr/bin/env python3
"""Runs a hotplug event script in a real Linux guest under QEMU (TCG).

Boots the kernel with the oracle's initramfs (build_initramfs.sh) in one of
the configurations below, captures /proc/iomem at boot, then performs each
event of the script the way a user would on real hardware (cxl/ndctl/daxctl
in the guest, pc-dimm hotplug through the QEMU monitor) and captures
/proc/iomem and the device state after every event. Writes into OUTDIR:

  qemu-cmdline.txt   the QEMU command line
  script.events      the script as run
  boot.iomem         /proc/iomem after the modules loaded
  NN.iomem           /proc/iomem after event NN (1-based, event lines only)
  NN.state           cxl/nd/dax devices and memory block states after it
  NN.log             the guest commands and their output for event NN
  console.log        the guest's serial console (kernel log)

Exit 0 when every event ran as written (a line after `expect error` must
fail in the guest), 1 when an event failed or the guest died, 2 on a usage
or script error. The comparison with `restree apply` is tools/qemu_oracle.sh.
Only the event kinds that have a guest counterpart are accepted; anything
else is a script error naming the line.
"""

import argparse
import itertools
import os
import re
import shlex
import socket
import subprocess
import sys
import time

# QEMU 7.2's type-3 device has only `memdev` (persistent capacity); volatile
# capacity (`volatile-memdev`) arrived in QEMU 8.0, so no CXL ram region can
# be made with Debian 12's QEMU.
_CXL_PMEM = [
    "-object", "memory-backend-ram,id=cxl-pmem{i}-mem,size={size}",
    "-object", "memory-backend-ram,id=cxl-pmem{i}-lsa,size=1M",
    "-device", "cxl-type3,bus={bus},memdev=cxl-pmem{i}-mem,"
               "lsa=cxl-pmem{i}-lsa,id=cxl-pmem{i}",
]


def _pmem(i, bus, size="256M"):
    return [a.format(i=i, bus=bus, size=size) for a in _CXL_PMEM]


_ONE_HB = (["-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
            "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2"]
           + _pmem(0, "rp0")
           + ["-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"])

_TWO_HB = (["-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
            "-device", "pxb-cxl,bus_nr=222,bus=pcie.0,id=cxl.2",
            "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
            "-device", "cxl-rp,port=0,bus=cxl.2,id=rp1,chassis=0,slot=3"]
           + _pmem(0, "rp0") + _pmem(1, "rp1")
           + ["-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.2,"
                    "cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k"])

_SWITCH = (["-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
            "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=0",
            "-device", "cxl-upstream,bus=rp0,id=us0",
            "-device", "cxl-downstream,port=0,bus=us0,id=swport0,"
                       "chassis=0,slot=4",
            "-device", "cxl-downstream,port=1,bus=us0,id=swport1,"
                       "chassis=0,slot=5"]
           + _pmem(0, "swport0") + _pmem(1, "swport1")
           + ["-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"])

# name: (extra QEMU arguments, extra kernel command line, memdevs, what).
# Guest RAM is -m 2G (all below 4 GiB) unless the name is in _MEMORY.
CONFIGS = {
    "cxl-1hb-pmem": (_ONE_HB, "", ["mem0"],
                     "one host bridge, one root port, one 256 MiB type-3 "
                     "pmem device, one 4 GiB CFMWS"),
    "cxl-2hb-interleave": (_TWO_HB, "", ["mem0", "mem1"],
                           "two host bridges, one pmem device each, one "
                           "2-way 4 GiB CFMWS across both (granularity 8K)"),
    "cxl-1hb-pcdimm": (_ONE_HB, "", ["mem0"],
                       "cxl-1hb-pmem plus pc-dimm slots (memory add/remove "
                       "through the QEMU monitor)"),
    "cxl-switch": (_SWITCH, "", ["mem0", "mem1"],
                   "one host bridge, one root port, a switch with two "
                   "downstream ports, one pmem device on each"),
    "nocxl-pcdimm": ([], "", [], "no CXL; pc-dimm slots"),
    "legacy-pmem": ([], "memmap=512M!0x140000000", [],
                    "legacy persistent memory (e820 type 12) at 5 GiB"),
    # memmap=SIZE%START+TYPE adds an e820 entry of any type (x86
    # parse_memmap_one); 0xefffffff is E820_TYPE_SOFT_RESERVED, so this
    # makes a Soft Reserved range without EFI (no OVMF, no efi_fake_mem).
    "softres-hmem": ([], "memmap=512M%0x140000000+0xefffffff", [],
                     "a 512 MiB Soft Reserved range at 5 GiB "
                     "(memmap=512M%0x140000000+0xefffffff): hmem, dax, kmem"),
    "softres-in-window": (_ONE_HB, "memmap=256M%0x390000000+0xefffffff",
                          ["mem0"],
                          "cxl-1hb-pmem with a 256 MiB Soft Reserved range "
                          "at the start of the CXL window (hmem and CXL "
                          "claim the same range)"),
    "softres-in-2hb-window": (_TWO_HB, "memmap=256M%0x390000000+0xefffffff",
                              ["mem0", "mem1"],
                              "cxl-2hb-interleave with a 256 MiB Soft "
                              "Reserved range at the start of the window: "
                              "where a 512 MiB region goes shows "
                              "get_free_mem_region's step (6.1: the size, "
                              "6.12: 256 MiB)"),
}

# Configurations whose kernel command line carves a range out of RAM above
# 4 GiB: with -m 4G, QEMU puts 2 GiB at 0x100000000-0x17fffffff, so
# 0x140000000 is backed by guest RAM (kmem onlines memory that exists).
_MEMORY = {
    "legacy-pmem": "4G,maxmem=8G,slots=4",
    "softres-hmem": "4G,maxmem=8G,slots=4",
}

# The events Runner.do can perform in the guest.
GUEST_EVENTS = {
    "region create", "region destroy", "namespace create",
    "namespace destroy", "dax create",
    "kmem online", "kmem offline", "memory add", "memory online",
    "memory offline", "memory remove",
}

SIZE_RE = re.compile(r"^(0x[0-9a-fA-F]+|[0-9]+)([KMGTkmgt]?)$")


def parse_size(text):
    m = SIZE_RE.match(text)
    if not m:
        raise ValueError(f"bad size '{text}'")
    n = int(m.group(1), 0)
    return n << {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(2).lower()]


class ScriptError(Exception):
    pass


class Event:
    """One event line: its words and key=value pairs."""

    def __init__(self, lineno, text):
        self.lineno = lineno
        self.text = text
        self.words = []
        self.keys = {}
        for tok in shlex.split(text, comments=True):
            if "=" in tok:
                k, v = tok.split("=", 1)
                self.keys[k] = v
            else:
                self.words.append(tok)

    def key(self, name, default=None):
        if name in self.keys:
            return self.keys[name]
        if default is None:
            raise ScriptError(f"line {self.lineno}: needs {name}=")
        return default


MEMHP_STATES = ("offline", "online", "online_kernel", "online_movable")


def read_script(path):
    """Returns (memhp_default_state, events); `expect error` marks the next
    event. The state is the script's `config memhp-default-state=`, offline
    when absent; the guest boots with it on the kernel command line."""
    events = []
    expect = None
    memhp = "offline"
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        ev = Event(n, body)
        if ev.words[0] == "config":
            for word in ev.words[1:]:
                if word.startswith("memhp-default-state="):
                    memhp = word.split("=", 1)[1]
                    if memhp not in MEMHP_STATES:
                        raise ScriptError(f"line {n}: memhp-default-state "
                                          f"takes {', '.join(MEMHP_STATES)}")
            continue
        if ev.words[0] == "assert":
            continue  # restree checks asserts; the guest has nothing to do
        if ev.words[:2] == ["expect", "error"]:
            expect = ev.words[2]
            continue
        if " ".join(ev.words[:2]) not in GUEST_EVENTS:
            raise ScriptError(f"line {n}: '{' '.join(ev.words[:2])}' has no "
                              "guest counterpart in the oracle (it does: "
                              + ", ".join(sorted(GUEST_EVENTS)) + ")")
        ev.expect = expect
        expect = None
        events.append(ev)
    return memhp, events


class Guest:
    """A running QEMU with a command channel (ttyS1) and the HMP monitor."""

    def __init__(self, args, outdir, timeout):
        self.outdir = outdir
        self.cmd_path = os.path.join(outdir, "cmd.sock")
        self.mon_path = os.path.join(outdir, "monitor.sock")
        for p in (self.cmd_path, self.mon_path):
            if os.path.exists(p):
                os.unlink(p)
        qemu = (["nice", "-n", "5", "qemu-system-x86_64"] + args + [
            "-serial", "file:" + os.path.join(outdir, "console.log"),
            "-serial", f"unix:{self.cmd_path},server=on,wait=off",
            "-monitor", f"unix:{self.mon_path},server=on,wait=off"])
        self.proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.cmd = self._connect(self.cmd_path)
        self.mon = self._connect(self.mon_path)
        self.buf = b""
        self.mon_buf = b""
        self._read_until(self.mon, b"(qemu) ", 30, monitor=True)
        line = self._read_until(self.cmd, b"\n", timeout, start=b"@@READY")
        self.kernel = line.decode().split()[-1]

    def _connect(self, path):
        deadline = time.time() + 30
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    out = self.proc.stdout.read().decode(errors="replace")
                    raise RuntimeError(f"qemu did not start: {out}")
                time.sleep(0.1)

    def _read_until(self, sock, end, timeout, start=None, monitor=False):
        """Reads until `end` (after `start`, if given); returns the part."""
        deadline = time.time() + timeout
        buf = self.mon_buf if monitor else self.buf
        while True:
            i = buf.find(start) if start else 0
            if i >= 0:
                j = buf.find(end, i + (len(start) if start else 0))
                if j >= 0:
                    part, rest = buf[i:j], buf[j + len(end):]
                    if monitor:
                        self.mon_buf = rest
                    else:
                        self.buf = rest
                    return part
            left = deadline - time.time()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError(
                    f"guest: no '{(start or end).decode()}' within {timeout}"
                    " s (see console.log)")
            sock.settimeout(min(left, 1.0))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise RuntimeError("guest closed the channel")
            buf += data

    def monitor(self, command):
        self.mon.sendall(command.encode() + b"\n")
        out = self._read_until(self.mon, b"(qemu) ", 30, monitor=True)
        # HMP echoes the command; the rest is its answer.
        text = out.decode(errors="replace").replace("\r", "")
        return text.split("\n", 1)[1].strip() if "\n" in text else ""

    def close(self):
        try:
            self.mon.sendall(b"quit\n")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def guest_run(guest, command, timeout=120):
    """Runs `command` in the guest; returns (status, output text)."""
    guest.cmd.sendall(command.encode() + b"\n")
    part = guest._read_until(guest.cmd, b"\n@@END ", timeout,
                             start=b"@@BEGIN\n")
    status = guest._read_until(guest.cmd, b"\n", 10)
    out = part[len(b"@@BEGIN\n"):].decode(errors="replace")
    return int(status), (out + "\n" if out else "")


class Runner:
    def __init__(self, guest, memdevs, log):
        self.guest = guest
        self.memdevs = memdevs
        self.log = log
        self.dimms = {}  # address -> (device id, backend id)
        self.used = {}  # memdev -> the region that uses it
        self.next_dimm = 1

    def sh(self, command, timeout=120):
        status, out = guest_run(self.guest, command, timeout)
        self.log.append(f"$ {command}\n{out}[exit {status}]\n")
        return status, out

    def pick_memdevs(self, ways, size):
        """The first `ways` memdevs without a region, each with room for
        size / ways of pmem (in the order of the configuration's list)."""
        chosen = []
        for m in self.memdevs:
            if m in self.used or len(chosen) == ways:
                continue
            status, out = self.sh(f"cat /sys/bus/cxl/devices/{m}/pmem/size")
            if status == 0 and int(out.strip(), 0) >= size // ways:
                chosen.append(m)
        return chosen

    def iomem(self):
        status, out = guest_run(self.guest, "cat /proc/iomem")
        if status != 0:
            raise RuntimeError("cat /proc/iomem failed")
        return out

    def wait_iomem(self, before, want_change=True, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            now = self.iomem()
            if (now != before) == want_change:
                return now
            time.sleep(0.5)
        return None

    def do(self, ev):
        """Performs one event; returns the guest's exit status (0 = done)."""
        w = ev.words
        kind = " ".join(w[:2])
        if kind == "region create":
            mode = ev.key("mode")
            window = int(ev.key("window"))
            ways = int(ev.key("ways", "1"))
            size = parse_size(ev.key("size"))
            devs = self.pick_memdevs(ways, size)
            cmd = (f"cxl create-region -d decoder0.{window} -t {mode} "
                   f"-s {size} -w {ways}")
            if "gran" in ev.keys:
                cmd += f" -g {parse_size(ev.keys['gran'])}"
            # The targets must be given in interleave position order, which
            # follows the host bridges' order in the window and the memdevs'
            # probe order; try the orders until one is accepted. `cxl
            # create-region` can exit 0 having created nothing, so success is
            # the region's JSON.
            for order in itertools.permutations(devs):
                status, out = self.sh(cmd + " -m " + " ".join(order))
                m = re.search(r'"region":"(region[0-9]+)"', out)
                if m:
                    for d in devs:
                        self.used[d] = m.group(1)
                    return 0
            return status or 1
        if kind == "region destroy":
            status = self.sh(f"cxl destroy-region -f {w[2]}")[0]
            if status == 0:
                self.used = {d: r for d, r in self.used.items() if r != w[2]}
            return status
        if kind == "namespace create":
            region = ev.key("region")
            mode = ev.key("mode")
            align = ev.keys.get("align")
            opts = f"-m {mode}" + (f" -a {align}" if align else "")
            if "size" in ev.keys:
                opts += f" -s {parse_size(ev.keys['size'])}"
            # An IO-type region (legacy pmem) already has namespaceK.0:
            # reconfigure it as `ndctl create-namespace -f -e` does.
            status, out = self.sh(
                f"ls /sys/bus/nd/devices/{region}/ 2>/dev/null | grep -x "
                f"'namespace[0-9]*\\.0' | head -1")
            ns = out.strip()
            st, sz = self.sh(f"cat /sys/bus/nd/devices/{region}/{ns}/size"
                             if ns else "echo 0")
            if ns and sz.strip() not in ("", "0"):
                return self.sh(f"ndctl create-namespace -f -e {ns} {opts}")[0]
            return self.sh(f"ndctl create-namespace -r {region} {opts}")[0]
        if kind == "namespace destroy":
            return self.sh(f"ndctl destroy-namespace -f {ev.words[2]}")[0]
        if kind == "dax create":
            region = ev.key("region")
            k = region[len("region"):]
            return self.sh(f"wait_for '[ -e /sys/bus/dax/devices/dax{k}.0 ]'"
                           " 30")[0]
        if kind == "kmem online":
            opts = ""
            if ev.keys.get("zone") == "normal":
                opts = " --no-movable"
            return self.sh(f"daxctl reconfigure-device -m system-ram{opts} "
                           f"{w[2]}")[0]
        if kind == "kmem offline":
            return self.sh(f"daxctl reconfigure-device -m devdax -f {w[2]}")[0]
        if kind in ("memory online", "memory offline"):
            addr = int(w[2], 16)
            size = parse_size(ev.key("size"))
            state = "online_movable" if (
                w[1] == "online" and ev.keys.get("zone") == "movable") else (
                "online_kernel" if w[1] == "online" and
                ev.keys.get("zone") == "normal" else w[1])
            return self.sh(f"ev_memory_state {state} {addr} {size}")[0]
        if kind == "memory add":
            addr = int(w[2], 16)
            size = parse_size(ev.key("size"))
            n = self.next_dimm
            self.next_dimm += 1
            mem, dev = f"hpmem{n}", f"dimm{n}"
            before = self.iomem()
            out1 = self.guest.monitor(
                f"object_add memory-backend-ram,id={mem},size={size}")
            out2 = self.guest.monitor(
                f"device_add pc-dimm,id={dev},memdev={mem},addr={addr:#x}")
            self.log.append(f"(qemu) object_add {mem} size={size}: {out1}\n"
                            f"(qemu) device_add {dev} addr={addr:#x}: {out2}\n")
            if out1 or out2:
                return 1
            self.dimms[addr] = (dev, mem)
            return 0 if self.wait_iomem(before) is not None else 1
        if kind == "memory remove":
            addr = int(w[2], 16)
            if addr not in self.dimms:
                raise ScriptError(f"line {ev.lineno}: no dimm was added at "
                                  f"{addr:#x} by this script")
            dev, mem = self.dimms[addr]
            before = self.iomem()
            out = self.guest.monitor(f"device_del {dev}")
            self.log.append(f"(qemu) device_del {dev}: {out}\n")
            if out:
                return 1
            if self.wait_iomem(before, timeout=15) is None:
                self.log.append("device_del: /proc/iomem did not change "
                                "(the guest refused the eject)\n")
                return 1
            self.guest.monitor(f"object_del {mem}")
            del self.dimms[addr]
            return 0
        raise ScriptError(f"line {ev.lineno}: '{kind}' has no guest "
                          "counterpart in the oracle")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("script")
    ap.add_argument("--config", required=True, choices=sorted(CONFIGS))
    ap.add_argument("--kernel-image", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--qemu-arg", action="append", default=[],
                    help="one more QEMU argument (repeatable)")
    ap.add_argument("--append", default="",
                    help="more kernel command line (after the config's)")
    a = ap.parse_args()

    try:
        memhp, events = read_script(a.script)
    except (ScriptError, ValueError, OSError) as e:
        print(f"qemu_oracle: {a.script}: {e}", file=sys.stderr)
        return 2
    qargs, append, memdevs, _ = CONFIGS[a.config]
    os.makedirs(a.out, exist_ok=True)
    args = ["-machine", "q35,cxl=on", "-accel", "tcg", "-smp", "1",
            "-m", _MEMORY.get(a.config, "2G,maxmem=8G,slots=4"), "-kernel", a.kernel_image,
            "-initrd", a.initrd, "-append",
            " ".join(x for x in ("console=ttyS0 nokaslr panic=-1 "
                                 "log_buf_len=1M",
                                 f"memhp_default_state={memhp}", append,
                                 a.append) if x),
            "-display", "none", "-nic", "none", "-no-reboot"] + a.qemu_arg + qargs
    with open(os.path.join(a.out, "qemu-cmdline.txt"), "w") as f:
        f.write("qemu-system-x86_64 " + " ".join(shlex.quote(x) for x in args)
                + " -serial file:console.log -serial unix:cmd.sock,server=on,"
                "wait=off -monitor unix:monitor.sock,server=on,wait=off\n")
    with open(a.script, encoding="utf-8") as src, \
            open(os.path.join(a.out, "script.events"), "w") as dst:
        dst.write(src.read())

    t0 = time.time()
    guest = Guest(args, a.out, a.boot_timeout)
    rc = 0
    try:
        print(f"qemu_oracle: {guest.kernel} booted in {time.time() - t0:.0f} s",
              file=sys.stderr)
        log = []
        runner = Runner(guest, memdevs, log)
        # The CXL memdevs probe asynchronously after cxl_pci loads.
        for m in memdevs:
            runner.sh(f"wait_for '[ -e /sys/bus/cxl/devices/{m} ] && "
                      f"ls /sys/bus/cxl/devices | grep -q endpoint' 60")
        runner.sh("sleep 2")
        with open(os.path.join(a.out, "boot.iomem"), "w") as f:
            f.write(runner.iomem())
        with open(os.path.join(a.out, "boot.state"), "w") as f:
            f.write(runner.sh("state")[1])
        with open(os.path.join(a.out, "boot.log"), "w") as f:
            f.write("".join(log))
        for n, ev in enumerate(events, 1):
            log.clear()
            t1 = time.time()
            status = runner.do(ev)
            ok = (status == 0) if ev.expect is None else (status != 0)
            stem = os.path.join(a.out, f"{n:02d}")
            with open(stem + ".iomem", "w") as f:
                f.write(runner.iomem())
            with open(stem + ".state", "w") as f:
                f.write(runner.sh("state")[1])
            with open(stem + ".log", "w") as f:
                f.write(f"# line {ev.lineno}: {ev.text}\n" + "".join(log))
            print(f"qemu_oracle: event {n} (line {ev.lineno}) "
                  f"{ev.text!r}: guest exit {status}"
                  f"{'' if ok else ' UNEXPECTED'} ({time.time() - t1:.0f} s)",
                  file=sys.stderr)
            if not ok:
                rc = 1
                break
    except ScriptError as e:
        print(f"qemu_oracle: {a.script}: {e}", file=sys.stderr)
        rc = 2
    except RuntimeError as e:
        print(f"qemu_oracle: {e}", file=sys.stderr)
        rc = 1
    finally:
        guest.close()
        for p in (guest.cmd_path, guest.mon_path):
            if os.path.exists(p):
                os.unlink(p)
    print(f"qemu_oracle: done in {time.time() - t0:.0f} s", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
