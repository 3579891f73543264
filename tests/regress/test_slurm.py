#!/usr/bin/env python3
"""CTest regress.slurm (nightly): scripts/regress.py --launcher slurm against a
real single-node Slurm (Debian's slurm-wlm). Starts munged, slurmctld and
slurmd on localhost from a generated slurm.conf in a temporary directory,
runs a small list (fake commands and a real CTest subset with seeds) as a job
array, checks exit code, JUnit and HTML, and stops the daemons.
Anything that keeps Slurm from running here is a failure with the reason."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "scripts" / "regress.py"
BUILD = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "build"
fails = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        fails.append(what)


def blocked(reason, tmp=None):
    print(f"FAIL regress.slurm: Slurm cannot run here: {reason}", flush=True)
    if tmp:
        for f in sorted((tmp / "log").glob("*.log")):
            print(f"--- {f.name} (last lines)")
            print("\n".join(f.read_text(errors="replace").splitlines()[-15:]))
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    for b in ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sacct", "scontrol", "sinfo"):
        if not shutil.which(b) and not Path(f"/usr/sbin/{b}").exists():
            blocked(f"'{b}' not found: install Debian's slurm-wlm and munge "
                    f"(apt-get install -y slurm-wlm munge; scripts/setup.sh does it)")
    if os.geteuid() != 0:
        blocked("slurmd must run as root to launch jobs (this test runs as uid "
                f"{os.geteuid()}); run the nightly as root or on a machine with Slurm")
    sbin = lambda b: shutil.which(b) or f"/usr/sbin/{b}"
    tmp = Path(tempfile.mkdtemp(prefix="regress_slurm_"))
    os.chmod(tmp, 0o755)   # munge wants the socket directory reachable
    for d in ("state", "spool", "log"):
        (tmp / d).mkdir()
    procs_pidfiles = []
    env = dict(os.environ)
    env["SLURM_CONF"] = str(tmp / "slurm.conf")
    sock = tmp / "munge.sock"
    try:
        key = tmp / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o600)
        p = subprocess.run([sbin("munged"), "--force", f"--socket={sock}", f"--key-file={key}",
                            f"--log-file={tmp}/log/munged.log", f"--pid-file={tmp}/munged.pid",
                            f"--seed-file={tmp}/munged.seed"], capture_output=True, text=True)
        if p.returncode != 0:
            blocked(f"munged failed to start (exit {p.returncode}): {p.stderr.strip()}", tmp)
        procs_pidfiles.append(tmp / "munged.pid")
        p = subprocess.run(f"munge -S {sock} -n | unmunge -S {sock}", shell=True, capture_output=True, text=True)
        if p.returncode != 0:
            blocked(f"munge credential round trip failed: {p.stderr.strip()}", tmp)

        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        (tmp / "slurm.conf").write_text(f"""\
ClusterName=npuregress
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/log/slurmctld.log
SlurmdLogFile={tmp}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=regress Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        for daemon, pidf in (("slurmctld", "slurmctld.pid"), ("slurmd", "slurmd.pid")):
            p = subprocess.run([sbin(daemon), "-f", str(tmp / "slurm.conf")], env=env,
                               capture_output=True, text=True)
            if p.returncode != 0:
                blocked(f"{daemon} failed to start (exit {p.returncode}): {p.stderr.strip()}", tmp)
            procs_pidfiles.append(tmp / pidf)
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            p = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True)
            state = (p.stdout.strip() or p.stderr.strip())
            if p.returncode == 0 and state.split() and state.split()[0].rstrip("*") in ("idle", "mixed"):
                break
            time.sleep(0.5)
        else:
            blocked(f"the node did not become idle within 30 s (sinfo: {state!r})", tmp)
        print(f"ok   single-node Slurm up: node {host}, {cpus} CPUs, {tmp}/slurm.conf", flush=True)

        lst = tmp / "slurm.yaml"
        lst.write_text("""\
name: slurm
defaults: {timeout: 120}
tests:
  - name: pass
    command: "hostname; true"
  - name: fail
    command: "echo the-failure-output; false"
  - name: hang
    command: "sleep 60"
    timeout: 2
  - name: seeded
    command: "test $(( $NPU_SEED % 2 )) -eq 1"
    seeds: 2
  - name: csr
    ctest: "^csr: "
    seeds: 2
    labels: [rtl, csr]
""")
        out = tmp / "out"
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, str(RUNNER), str(lst), "--launcher", "slurm", "--build", str(BUILD),
                            "--out", str(out), "--poll", "1", "--slurm-grace", "15"],
                           env=env, capture_output=True, text=True, timeout=400)
        print(p.stdout[-4000:], p.stderr[-2000:], sep="\n", flush=True)
        check(p.returncode == 1, f"exit code 1 (fail, hang, seeded[seed=2] fail) (got {p.returncode}), "
                                 f"{time.monotonic() - t0:.0f} s")
        check("submitted Slurm job array" in p.stdout, "submitted with sbatch --parsable")
        junit = out / "junit.xml"
        if not junit.is_file():
            check(False, "junit.xml written")
        else:
            root = ET.parse(junit).getroot()
            check(root.get("tests") == "7", f"JUnit tests=7 (got {root.get('tests')})")
            check(root.get("failures") == "3", f"JUnit failures=3 (got {root.get('failures')})")
            check(root.get("errors") == "0", f"JUnit errors=0 (got {root.get('errors')})")
            cases = {c.get("name"): c for c in root.iter("testcase")}
            for name, msg in {"pass[seed=default]": None, "fail[seed=default]": "exit code 1",
                              "hang[seed=default]": "timeout", "seeded[seed=1]": None,
                              "seeded[seed=2]": "exit code 1", "csr[seed=1]": None, "csr[seed=2]": None}.items():
                c = cases.get(name)
                f = None if c is None else c.find("failure")
                ok = c is not None and ((f is None) if msg is None else (f is not None and msg in f.get("message", "")))
                check(ok, f"{name}: {'pass' if msg is None else msg}"
                          f" (got {None if c is None else (f.get('message') if f is not None else 'pass')})")
        html = (out / "summary.html").read_text() if (out / "summary.html").is_file() else ""
        check("Slurm (job array" in html and "NPU_SEED=2 NPU_WAVES=" in html,
              "summary.html names the job array and has the rerun commands")
        log = out / "logs" / "pass-sdefault.log"
        check(log.is_file() and "# host " in log.read_text(), "per-task log collected from the shared directory")
    finally:
        subprocess.run(["scontrol", "shutdown"], env=env, capture_output=True, timeout=30)
        time.sleep(1)
        for pidf in reversed(procs_pidfiles):
            try:
                pid = int(pidf.read_text().split()[0])
                os.kill(pid, 15)
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(0.5)
        if not fails:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"daemon logs kept in {tmp}/log")
    if fails:
        print(f"{len(fails)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
