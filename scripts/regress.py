#!/usr/bin/env python3
"""Regression runner: `make regress [LIST=smoke|nightly|full]`.

Reads a test list (regress/<list>.yaml, schema in docs/verification.md,
"Regression runner"), expands every entry into jobs (configurations x seeds),
runs them in parallel on local processes or as a Slurm job array, and writes
build/regress/<list>/{junit.xml,summary.html,results.json,logs/}.
Exit status: 0 all passed, 1 a job failed, 2 bad list or usage.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import html
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# Test lists
# --------------------------------------------------------------------------

class ListError(Exception):
    """A malformed test list: message names file:line and field."""


ENTRY_KEYS = {"name", "ctest", "command", "configurations", "seeds", "seed_start",
              "timeout", "labels", "waves_arg"}
TOP_KEYS = {"name", "description", "include", "defaults", "tests"}
DEFAULT_KEYS = {"timeout", "seeds", "seed_start", "labels"}


@dataclass
class Entry:
    name: str
    kind: str                 # "ctest" or "command"
    spec: str                 # CTest regex or shell command
    configurations: list      # [None] when the entry has no configuration dimension
    seeds: list               # [None] = the test's own seed list (NPU_SEED unset)
    timeout: float
    labels: list
    waves_arg: str | None
    where: str                # file:line


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    keys = set()
    for k, _ in node.value:
        if k.value in keys:
            raise ListError(f"{loader.name}:{k.start_mark.line + 1}: duplicate key '{k.value}'")
        keys.add(k.value)
    m = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    m["__line__"] = node.start_mark.line + 1
    return m


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path):
    try:
        text = path.read_text()
    except OSError as e:
        raise ListError(f"{path}: cannot read: {e.strerror}")
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ListError(f"{path}{line}: malformed YAML: {e.problem or e.context}")
    except yaml.YAMLError as e:
        raise ListError(f"{path}: malformed YAML: {e}")
    finally:
        loader.dispose()


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_seeds(v, where):
    if _is_int(v):
        if v < 0:
            raise ListError(f"{where}: field 'seeds': must be >= 0, got {v}")
        return v
    if isinstance(v, list) and v and all(_is_int(s) and s >= 0 for s in v):
        if len(set(v)) != len(v):
            raise ListError(f"{where}: field 'seeds': duplicate seed in {v}")
        return v
    raise ListError(f"{where}: field 'seeds': a count (int >= 0) or a non-empty list of "
                    f"seeds (ints >= 0), got {v!r}")


def _check_timeout(v, where):
    if (_is_int(v) or isinstance(v, float)) and v > 0:
        return float(v)
    raise ListError(f"{where}: field 'timeout': seconds > 0, got {v!r}")


def _check_labels(v, where):
    if isinstance(v, list) and all(isinstance(s, str) and s for s in v):
        return v
    raise ListError(f"{where}: field 'labels': a list of strings, got {v!r}")


def load_list(path: Path, configs_dir: Path, _seen=None) -> tuple[str, list[Entry]]:
    """Validates `path` strictly; returns (list name, entries), includes expanded."""
    path = path.resolve()
    seen = set() if _seen is None else _seen
    if path in seen:
        raise ListError(f"{path}: include cycle")
    seen = seen | {path}
    doc = _load_yaml(path)
    if not isinstance(doc, dict):
        raise ListError(f"{path}:1: the list must be a mapping with a 'tests' (and/or 'include') key")
    top = f"{path}:{doc['__line__']}"
    for k in doc:
        if k != "__line__" and k not in TOP_KEYS:
            raise ListError(f"{top}: unknown top-level field '{k}' (allowed: {', '.join(sorted(TOP_KEYS))})")
    name = doc.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ListError(f"{top}: field 'name': letters, digits, '_', '.', '-', got {name!r}")
    defaults = doc.get("defaults", {"__line__": doc["__line__"]})
    if not isinstance(defaults, dict):
        raise ListError(f"{top}: field 'defaults': must be a mapping")
    dwhere = f"{path}:{defaults['__line__']}"
    for k in defaults:
        if k != "__line__" and k not in DEFAULT_KEYS:
            raise ListError(f"{dwhere}: unknown field 'defaults.{k}' (allowed: {', '.join(sorted(DEFAULT_KEYS))})")
    d_timeout = _check_timeout(defaults.get("timeout", 600), dwhere)
    d_seeds = _check_seeds(defaults.get("seeds", 0), dwhere)
    d_seed_start = defaults.get("seed_start", 1)
    d_labels = _check_labels(defaults.get("labels", []), dwhere)

    entries: list[Entry] = []
    inc = doc.get("include", [])
    if not isinstance(inc, list) or not all(isinstance(i, str) for i in inc):
        raise ListError(f"{top}: field 'include': a list of list names (e.g. [smoke, nightly])")
    for i in inc:
        ipath = (path.parent / (i if i.endswith(".yaml") else i + ".yaml"))
        if not ipath.is_file():
            raise ListError(f"{top}: field 'include': no list {ipath}")
        for e in load_list(ipath, configs_dir, seen)[1]:
            if any(o.name == e.name for o in entries):
                raise ListError(f"{top}: field 'include': entry '{e.name}' ({e.where}) is in two included lists")
            entries.append(e)

    tests = doc.get("tests", [])
    if not isinstance(tests, list):
        raise ListError(f"{top}: field 'tests': must be a list of entries")
    if not tests and not inc:
        raise ListError(f"{top}: the list has no 'tests' and no 'include'")
    names = {e.name for e in entries}
    for t in tests:
        if not isinstance(t, dict):
            raise ListError(f"{path}: field 'tests': every entry must be a mapping, got {t!r}")
        where = f"{path}:{t['__line__']}"
        for k in t:
            if k != "__line__" and k not in ENTRY_KEYS:
                raise ListError(f"{where}: unknown field '{k}' (allowed: {', '.join(sorted(ENTRY_KEYS))})")
        tname = t.get("name")
        if not isinstance(tname, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]+", tname):
            raise ListError(f"{where}: field 'name': required, letters, digits, '_', '.', ':', '-', got {tname!r}")
        if tname in names:
            raise ListError(f"{where}: field 'name': '{tname}' appears twice")
        names.add(tname)
        kinds = [k for k in ("ctest", "command") if k in t]
        if len(kinds) != 1:
            raise ListError(f"{where}: entry '{tname}': exactly one of 'ctest' (a CTest name regex) "
                            f"or 'command' (a shell command) is required")
        kind = kinds[0]
        spec = t[kind]
        if not isinstance(spec, str) or not spec.strip():
            raise ListError(f"{where}: field '{kind}': a non-empty string, got {spec!r}")
        if kind == "ctest":
            try:
                re.compile(spec)
            except re.error as e:
                raise ListError(f"{where}: field 'ctest': bad regex: {e}")
        confs = t.get("configurations")
        if confs is None:
            if kind == "command" and "{config}" in spec:
                raise ListError(f"{where}: field 'configurations': required, the command uses {{config}}")
            confs = [None]
        else:
            if kind == "ctest":
                raise ListError(f"{where}: field 'configurations': CTest entries have no configuration "
                                f"dimension (each testbench binary is built for one configuration); "
                                f"use a 'command' entry with {{config}}")
            if "{config}" not in spec:
                raise ListError(f"{where}: field 'configurations': the command does not use {{config}}")
            if not isinstance(confs, list) or not confs or not all(isinstance(c, str) for c in confs):
                raise ListError(f"{where}: field 'configurations': a non-empty list of names, got {confs!r}")
            if len(set(confs)) != len(confs):
                raise ListError(f"{where}: field 'configurations': duplicate in {confs}")
            for c in confs:
                if not (configs_dir / f"{c}.yaml").is_file():
                    have = sorted(p.stem for p in configs_dir.glob("*.yaml"))
                    raise ListError(f"{where}: field 'configurations': no configs/{c}.yaml (have: {', '.join(have)})")
        seeds = _check_seeds(t.get("seeds", d_seeds), where)
        start = t.get("seed_start", d_seed_start)
        if not _is_int(start) or start < 0:
            raise ListError(f"{where}: field 'seed_start': an int >= 0, got {start!r}")
        seed_list = [None] if seeds == 0 else (seeds if isinstance(seeds, list)
                                                else list(range(start, start + seeds)))
        waves_arg = t.get("waves_arg")
        if waves_arg is not None and (kind != "command" or not isinstance(waves_arg, str)
                                      or "{waves}" not in waves_arg):
            raise ListError(f"{where}: field 'waves_arg': only for 'command' entries, a string "
                            f"containing {{waves}} (e.g. '--waves {{waves}}')")
        for ph in re.findall(r"\{(\w+)\}", spec if kind == "command" else ""):
            if ph not in ("config", "seed", "root", "build"):
                raise ListError(f"{where}: field 'command': unknown placeholder {{{ph}}} "
                                f"(have {{config}}, {{seed}}, {{root}}, {{build}})")
        entries.append(Entry(tname, kind, spec, confs, seed_list,
                             _check_timeout(t.get("timeout", d_timeout), where),
                             _check_labels(t.get("labels", d_labels), where), waves_arg, where))
    return name, entries


# --------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------

@dataclass
class Job:
    index: int
    entry: Entry
    config: str | None
    seed: int | None
    argv: list               # what runs (through bash -c for commands)
    display: str             # the command line as a user would type it
    env: dict
    log: Path
    status: str = "pending"  # pending running pass fail timeout error
    rc: int | None = None
    start: float = 0.0
    duration: float = 0.0
    message: str = ""
    rerun: list = field(default_factory=list)

    @property
    def id(self):
        parts = [self.entry.name]
        if self.config:
            parts.append(self.config)
        parts.append(f"s{self.seed}" if self.seed is not None else "sdefault")
        return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(parts))

    @property
    def case_name(self):
        p = []
        if self.config:
            p.append(f"config={self.config}")
        p.append(f"seed={self.seed if self.seed is not None else 'default'}")
        return f"{self.entry.name}[{','.join(p)}]"


def expand(entries, build: Path, out: Path) -> list[Job]:
    jobs = []
    for e in entries:
        for c in e.configurations:
            for s in e.seeds:
                env = {}
                if s is not None:
                    env["NPU_SEED"] = str(s)
                if e.kind == "ctest":
                    argv = ["ctest", "--test-dir", str(build), "-R", e.spec, "--output-on-failure",
                            "--timeout", str(int(e.timeout)), "--no-tests=error"]
                    display = shlex.join(argv)
                else:
                    cmd = e.spec.format(config=c or "", seed=s if s is not None else "",
                                        root=str(ROOT), build=str(build))
                    argv = ["bash", "-c", cmd]
                    display = cmd
                j = Job(len(jobs), e, c, s, argv, display, env, Path())
                j.log = out / "logs" / f"{j.id}.log"
                jobs.append(j)
    return jobs


def env_prefix(env):
    return " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())


def rerun_commands(job: Job, build: Path, out: Path) -> list[str]:
    """One command per failure that reruns it with waves (NPU_SEED, NPU_WAVES)."""
    waves = out / "waves" / f"{job.id}.fst"
    env = dict(job.env)
    env["NPU_WAVES"] = str(waves)
    cmds = []
    if job.entry.kind == "ctest":
        failed = []
        try:
            text = job.log.read_text(errors="replace")
            m = re.search(r"The following tests FAILED:\n(.*?)(?:\n\n|\nErrors while|\Z)", text, re.S)
            if m:
                for line in m.group(1).splitlines():
                    mm = re.match(r"\s*\d+ - (.*) \((.*)\)\s*$", line)
                    if mm:
                        failed.append(mm.group(1))
        except OSError:
            pass
        for name in failed[:20]:
            exact = "^" + re.sub(r"([\^$.\[\]|()*+?\\])", r"\\\1", name) + "$"  # CMake regex syntax
            line = f"{env_prefix(env)} ctest --test-dir {shlex.quote(str(build))} -R {shlex.quote(exact)} -V"
            binary = _ctest_command(build, exact)
            if binary:
                line += f"\n  # or directly: {env_prefix(env)} {binary}"
            cmds.append(line)
        if not cmds:
            cmds.append(f"{env_prefix(env)} {job.display}")
    else:
        cmd = job.display
        if job.entry.waves_arg:
            cmd += " " + job.entry.waves_arg.format(waves=shlex.quote(str(waves)))
        if re.search(r"[;&|<>$`(){}\n*?\[\]]", cmd):
            cmd = "bash -c " + shlex.quote(cmd)   # the variables must reach every part
        cmds.append(f"cd {shlex.quote(str(ROOT))} && {env_prefix(env)} {cmd}")
    return cmds


def _ctest_command(build: Path, exact: str) -> str | None:
    try:
        p = subprocess.run(["ctest", "--test-dir", str(build), "--show-only=json-v1", "-R", exact],
                           capture_output=True, text=True, timeout=30)
        tests = json.loads(p.stdout).get("tests", [])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if len(tests) != 1 or "command" not in tests[0]:
        return None
    cmd = shlex.join(tests[0]["command"])
    for prop in tests[0].get("properties", []):
        if prop.get("name") == "WORKING_DIRECTORY":
            cmd = f"(cd {shlex.quote(prop['value'])} && {cmd})"
    return cmd


def ctest_failure_summary(job: Job) -> str:
    try:
        text = job.log.read_text(errors="replace")
    except OSError:
        return ""
    m = re.search(r"The following tests FAILED:\n(.*?)(?:\n\n|\nErrors while|\Z)", text, re.S)
    if m:
        return "failed CTest tests:\n" + m.group(1).rstrip()
    m = re.search(r"No tests were found.*", text)
    return m.group(0) if m else ""


def tail(path: Path, n=30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------

def fmt_t(s):
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class Progress:
    def __init__(self, name, jobs, stream=sys.stdout, tty=None):
        self.name, self.jobs, self.stream = name, jobs, stream
        self.tty = stream.isatty() if tty is None else tty
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.width = shutil.get_terminal_size((100, 20)).columns
        self.nfinished = 0

    def counts(self):
        done = sum(j.status not in ("pending", "running") for j in self.jobs)
        failed = sum(j.status in ("fail", "timeout", "error") for j in self.jobs)
        running = sum(j.status == "running" for j in self.jobs)
        return done, failed, running

    def line(self):
        done, failed, running = self.counts()
        el = time.monotonic() - self.t0
        total = len(self.jobs)
        if done and done < total:
            eta = fmt_t(el / done * (total - done))
        else:
            eta = "--:--" if done < total else fmt_t(0)
        return (f"[regress {self.name}] {done}/{total} done, {failed} failed, {running} running, "
                f"{fmt_t(el)} elapsed, ETA {eta}")

    def refresh(self):
        if self.tty:
            with self.lock:
                self.stream.write("\r" + self.line()[: self.width - 1] + "\x1b[K")
                self.stream.flush()

    def finished(self, job: Job):
        with self.lock:
            self.nfinished += 1
            done = self.nfinished
        word = {"pass": "PASS", "fail": "FAIL", "timeout": "TIMEOUT", "error": "ERROR"}[job.status]
        msg = f"[{done:>{len(str(len(self.jobs)))}}/{len(self.jobs)}] {word:7} {job.case_name} ({job.duration:.1f}s)"
        with self.lock:
            if self.tty:
                if job.status == "pass":
                    pass  # the live line says it
                else:
                    self.stream.write("\r\x1b[K" + msg + f"  log: {job.log}\n")
            else:
                self.stream.write(msg + ("" if job.status == "pass" else f"  log: {job.log}") + "\n")
            self.stream.flush()
        self.refresh()

    def close(self):
        if self.tty:
            with self.lock:
                self.stream.write("\r" + self.line() + "\x1b[K\n")
                self.stream.flush()


# --------------------------------------------------------------------------
# Local launcher
# --------------------------------------------------------------------------

def _kill_group(p: subprocess.Popen, grace=2.0):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            p.wait(timeout=grace)
            if sig == signal.SIGTERM:
                # the leader is gone; make sure nothing of its group lingers
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            return
        except subprocess.TimeoutExpired:
            continue


def run_local(jobs, njobs, progress: Progress, stop: threading.Event):
    def one(job: Job):
        if stop.is_set():
            job.status, job.message = "error", "not run (interrupted)"
            return job
        job.log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop("NPU_SEED", None)
        env.pop("NPU_WAVES", None)
        env.update(job.env)
        job.start = time.time()
        t0 = time.monotonic()
        job.status = "running"
        progress.refresh()
        with open(job.log, "wb") as log:
            log.write(f"# {(env_prefix(job.env) + ' ' + job.display).strip()}\n# cwd {ROOT}\n".encode())
            log.flush()
            try:
                p = subprocess.Popen(job.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as e:
                job.status, job.message, job.duration = "error", f"cannot start: {e}", 0.0
                return job
            try:
                job.rc = p.wait(timeout=job.entry.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(p)
                job.rc = p.returncode
                job.status = "timeout"
                job.message = f"timeout after {job.entry.timeout:g} s: process group killed"
            else:
                try:  # leftovers of the job's session
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        job.duration = time.monotonic() - t0
        if job.status != "timeout":
            job.status = "pass" if job.rc == 0 else "fail"
            if job.rc != 0:
                job.message = f"exit code {job.rc}"
        return job

    with cf.ThreadPoolExecutor(max_workers=njobs) as ex:
        futs = [ex.submit(one, j) for j in jobs]
        pending = set(futs)
        while pending:
            doneset, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for f in doneset:
                progress.finished(f.result())
            progress.refresh()


# --------------------------------------------------------------------------
# Slurm launcher (job array)
# --------------------------------------------------------------------------

def _slurm_time(seconds):
    m = int(seconds // 60) + 2   # the job's own timeout fires first
    return f"{m // 60:d}:{m % 60:02d}:00"


def run_slurm(jobs, args, out: Path, progress: Progress):
    sdir = out / "slurm"
    shutil.rmtree(sdir, ignore_errors=True)
    for d in ("tasks", "rc", "out"):
        (sdir / d).mkdir(parents=True)
    for j in jobs:
        j.log.parent.mkdir(parents=True, exist_ok=True)
        envs = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in j.env.items())
        script = (
            "#!/bin/bash\n"
            f"cd {shlex.quote(str(ROOT))} || exit 97\n"
            "unset NPU_SEED NPU_WAVES\n" + envs +
            f"log={shlex.quote(str(j.log))}\n"
            f"printf '# %s\\n# host %s\\n' {shlex.quote(env_prefix(j.env) + ' ' + j.display)} \"$(hostname)\" > \"$log\"\n"
            "t0=$(date +%s.%N)\n"
            f"timeout -s TERM -k 5 {int(max(1, j.entry.timeout))} {shlex.join(j.argv)} >> \"$log\" 2>&1 < /dev/null\n"
            "rc=$?\n"
            "t1=$(date +%s.%N)\n"
            f"echo \"$rc $t0 $t1\" > {shlex.quote(str(sdir / 'rc' / str(j.index)))}.tmp && "
            f"mv {shlex.quote(str(sdir / 'rc' / str(j.index)))}.tmp {shlex.quote(str(sdir / 'rc' / str(j.index)))}\n"
            "exit $rc\n")
        (sdir / "tasks" / f"{j.index}.sh").write_text(script)
    throttle = f"%{args.jobs}" if args.jobs_given else ""
    array = sdir / "array.sh"
    array.write_text(
        "#!/bin/bash\n"
        f"#SBATCH --job-name=regress-{progress.name}\n"
        f"#SBATCH --array=0-{len(jobs) - 1}{throttle}\n"
        f"#SBATCH --output={sdir}/out/%a.out\n"
        f"#SBATCH --time={_slurm_time(max(j.entry.timeout for j in jobs))}\n"
        "#SBATCH --cpus-per-task=1\n"
        f"exec bash {shlex.quote(str(sdir / 'tasks'))}/$SLURM_ARRAY_TASK_ID.sh\n")
    cmd = ["sbatch", "--parsable", *args.sbatch_arg, str(array)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f"regress: sbatch failed: {e}")
    if p.returncode != 0:
        raise SystemExit(f"regress: {shlex.join(cmd)} failed (exit {p.returncode}): {p.stderr.strip()}")
    jobid = p.stdout.strip().split(";")[0]
    print(f"[regress {progress.name}] submitted Slurm job array {jobid} ({len(jobs)} tasks): {array}",
          flush=True)
    t_submit = time.time()
    reported = set()
    squeue_fail = 0
    gone_since = None
    while True:
        q = subprocess.run(["squeue", "-h", "-r", "-j", jobid, "-o", "%K %T"],
                           capture_output=True, text=True)
        states = {}
        if q.returncode == 0:
            squeue_fail = 0
            for line in q.stdout.split("\n"):
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit():
                    states[int(parts[0])] = parts[1]
        else:
            # after a job leaves the queue squeue may say "Invalid job id"
            if "Invalid job id" not in q.stderr:
                squeue_fail += 1
                if squeue_fail >= 10:
                    raise SystemExit(f"regress: squeue keeps failing: {q.stderr.strip()}")
        for j in jobs:
            if j.index in reported:
                continue
            rcf = sdir / "rc" / str(j.index)
            if rcf.is_file():
                _finish_from_rc(j, rcf)
                reported.add(j.index)
                progress.finished(j)
            elif states.get(j.index) == "RUNNING":
                j.status = "running"
            elif j.status == "running" and j.index not in states:
                pass  # finishing; its rc file appears shortly
        progress.refresh()
        if len(reported) == len(jobs):
            break
        if not states and q.returncode in (0, 1):
            gone_since = gone_since or time.monotonic()
            if time.monotonic() - gone_since > args.slurm_grace:
                break
        else:
            gone_since = None
        time.sleep(args.poll)
    missing = [j for j in jobs if j.index not in reported]
    if missing:
        acct = _slurm_task_states(jobid)
        for j in missing:
            st = acct.get(j.index)
            j.status = "error"
            j.message = (f"Slurm task {jobid}_{j.index} left no exit code"
                         + (f": state {st[0]}, ExitCode {st[1]}" if st else " (no accounting record)"))
            j.duration = 0.0
            outf = sdir / "out" / f"{j.index}.out"
            if outf.is_file():
                with open(j.log, "a") as log:
                    log.write("\n# slurm output:\n" + outf.read_text(errors="replace"))
            progress.finished(j)
    return jobid, time.time() - t_submit


def _finish_from_rc(j: Job, rcf: Path):
    try:
        rc, t0, t1 = rcf.read_text().split()
        j.rc, j.start, j.duration = int(rc), float(t0), float(t1) - float(t0)
    except (OSError, ValueError):
        j.status, j.message = "error", f"unreadable exit-code file {rcf}"
        return
    if j.rc == 0:
        j.status = "pass"
    elif j.rc in (124, 137) and j.duration >= j.entry.timeout - 0.5:
        j.status = "timeout"
        j.message = f"timeout after {j.entry.timeout:g} s: process group killed (Slurm task)"
    else:
        j.status, j.message = "fail", f"exit code {j.rc}"


def _slurm_task_states(jobid) -> dict:
    """{task: (state, exitcode)} from sacct, or scontrol when accounting is off."""
    res = {}
    p = subprocess.run(["sacct", "-n", "-P", "-X", "-j", jobid, "-o", "JobID,State,ExitCode"],
                       capture_output=True, text=True)
    if p.returncode == 0 and p.stdout.strip():
        for line in p.stdout.splitlines():
            f = line.split("|")
            m = re.fullmatch(rf"{jobid}_(\d+)", f[0]) if f else None
            if m and len(f) >= 3:
                res[int(m.group(1))] = (f[1], f[2])
        return res
    p = subprocess.run(["scontrol", "-o", "show", "job", jobid], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        t = re.search(r"ArrayTaskId=(\d+)", line)
        s = re.search(r"JobState=(\S+)", line)
        e = re.search(r"ExitCode=(\S+)", line)
        if t and s:
            res[int(t.group(1))] = (s.group(1), e.group(1) if e else "?")
    return res


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------

def write_junit(path: Path, name, jobs, elapsed):
    suites = ET.Element("testsuites", name=name, tests=str(len(jobs)),
                        failures=str(sum(j.status in ("fail", "timeout") for j in jobs)),
                        errors=str(sum(j.status == "error" for j in jobs)), time=f"{elapsed:.3f}")
    by_entry = {}
    for j in jobs:
        by_entry.setdefault(j.entry.name, []).append(j)
    for ename, js in by_entry.items():
        s = ET.SubElement(suites, "testsuite", name=f"{name}.{ename}", tests=str(len(js)),
                          failures=str(sum(j.status in ("fail", "timeout") for j in js)),
                          errors=str(sum(j.status == "error" for j in js)),
                          time=f"{sum(j.duration for j in js):.3f}")
        for j in js:
            c = ET.SubElement(s, "testcase", classname=f"{name}.{ename}", name=j.case_name,
                              time=f"{j.duration:.3f}")
            props = ET.SubElement(c, "properties")
            for k, v in (("config", j.config or ""), ("seed", "" if j.seed is None else str(j.seed)),
                         ("labels", ",".join(j.entry.labels)), ("log", str(j.log))):
                ET.SubElement(props, "property", name=k, value=v)
            if j.status in ("fail", "timeout", "error"):
                tag = "error" if j.status == "error" else "failure"
                body = "\n".join(filter(None, [ctest_failure_summary(j) if j.entry.kind == "ctest" else "",
                                               "rerun with waves:", *j.rerun, "", "log tail:", tail(j.log)]))
                f = ET.SubElement(c, tag, message=j.message, type=j.status)
                f.text = body
            ET.SubElement(c, "system-out").text = f"log: {j.log}"
    ET.indent(suites)
    path.write_bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))


CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:3px 8px;font-size:90%}th{background:#eee}
.pass{background:#c8f0c8}.fail,.timeout,.error{background:#f6b8b8}.none{background:#f4f4f4}
pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}a{color:inherit}"""


def coverage_html(cov: Path, out: Path):
    """The per-unit table of `make coverage` (cov/units.md, a Markdown table) as HTML, with a
    link to its lcov report; nothing when there is no table."""
    e = html.escape
    units = cov / "units.md"
    if not units.is_file():
        return []
    h = ["<h2>Coverage (<code>make coverage</code>)</h2>",
         f"<p>From <code>{e(str(units))}</code>; lcov report: "
         f"<a href='{e(os.path.relpath(cov / 'html' / 'index.html', out))}'>html/index.html</a>.</p>"]
    rows, rest = [], []
    for line in units.read_text().splitlines():
        if line.startswith("|"):
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):  # not the separator row
                rows.append(cells)
        elif line.strip():
            rest.append(line)
    if rows:
        h.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr>")
        for r in rows[1:]:
            h.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
        h.append("</table>")
    if rest:
        h.append("<pre>" + e("\n".join(rest)) + "</pre>")
    return h


def report_html(rep: Path, out: Path):
    """The plots of `make report` (rep/report.html and its PNGs), when it has run."""
    e = html.escape
    if not (rep / "report.html").is_file():
        return []
    h = ["<h2>Benchmark report (<code>make report</code>)</h2>",
         f"<p>From <a href='{e(os.path.relpath(rep / 'report.html', out))}'>{e(str(rep / 'report.html'))}</a>.</p>"]
    for png in ("breakdown.png", "utilization.png", "roofline.png"):
        if (rep / png).is_file():
            h.append(f"<p><img src='{e(os.path.relpath(rep / png, out))}' alt='{png}' style='max-width:100%'></p>")
    return h


def write_html(path: Path, name, jobs, elapsed, launcher, out: Path, cov: Path = None, rep: Path = None):
    e = html.escape
    failed = [j for j in jobs if j.status in ("fail", "timeout", "error")]
    seeds = []
    for j in jobs:
        k = "default" if j.seed is None else j.seed
        if k not in seeds:
            seeds.append(k)
    rows = {}
    for j in jobs:
        rows.setdefault((j.entry.name, j.config or "—"), {})["default" if j.seed is None else j.seed] = j
    h = [f"<!doctype html><html><head><meta charset='utf-8'><title>regress {e(name)}</title>"
         f"<style>{CSS}</style></head><body>",
         f"<h1>Regression <code>{e(name)}</code>: "
         f"{'PASS' if not failed else 'FAIL'}</h1>",
         f"<p>{len(jobs)} jobs, {len(jobs) - len(failed)} passed, {len(failed)} failed; "
         f"{fmt_t(elapsed)} wall clock on {e(launcher)}; "
         f"{e(time.strftime('%Y-%m-%d %H:%M:%S'))}. JUnit: <a href='junit.xml'>junit.xml</a>.</p>",
         "<h2>Test × configuration × seed</h2><table><tr><th>test</th><th>configuration</th><th>labels</th>"
         + "".join(f"<th>seed {e(str(s))}</th>" for s in seeds) + "<th>total s</th></tr>"]
    for (tname, conf), cells in rows.items():
        any_j = next(iter(cells.values()))
        h.append(f"<tr><td>{e(tname)}</td><td>{e(conf)}</td><td>{e(', '.join(any_j.entry.labels))}</td>")
        for s in seeds:
            j = cells.get(s)
            if not j:
                h.append("<td class='none'></td>")
                continue
            rel = os.path.relpath(j.log, out)
            word = {"pass": "pass", "fail": "FAIL", "timeout": "TIMEOUT", "error": "ERROR"}.get(j.status, j.status)
            anchor = f"#{j.id}" if j in failed else rel
            h.append(f"<td class='{e(j.status)}'><a href='{e(anchor)}'>{word}</a> {j.duration:.1f}s "
                     f"<a href='{e(rel)}'>log</a></td>")
        h.append(f"<td>{sum(j.duration for j in cells.values()):.1f}</td></tr>")
    h.append("</table>")
    if failed:
        h.append("<h2>Failures: rerun with waves</h2>")
        for j in failed:
            h.append(f"<h3 id='{e(j.id)}'>{e(j.case_name)}: {e(j.message)}</h3>")
            summ = ctest_failure_summary(j) if j.entry.kind == "ctest" else ""
            if summ:
                h.append(f"<pre>{e(summ)}</pre>")
            h.append("<p>Rerun with waves:</p><pre>" + e("\n".join(j.rerun)) + "</pre>")
            h.append(f"<p>Log: <a href='{e(os.path.relpath(j.log, out))}'>{e(str(j.log))}</a>; last lines:</p>"
                     f"<pre>{e(tail(j.log, 20))}</pre>")
    if cov is not None:
        h += coverage_html(cov, out)
    if rep is not None:
        h += report_html(rep, out)
    h.append("</body></html>")
    path.write_text("\n".join(h))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Run a regression test list (regress/<list>.yaml).")
    ap.add_argument("list", nargs="?", default="smoke",
                    help="list name in regress/ (smoke, nightly, full) or a path to a .yaml file")
    ap.add_argument("-j", "--jobs", type=int, default=None,
                    help="parallel jobs (default: cores; Slurm: array throttle, default none)")
    ap.add_argument("--build", default=str(ROOT / "build"), help="CMake build directory (default build/)")
    ap.add_argument("--coverage", default=None,
                    help="make coverage's output directory, whose per-unit table goes into the HTML summary "
                         "(default <build>-cov/coverage, when it exists)")
    ap.add_argument("--out", default=None, help="output directory (default <build>/regress/<list>)")
    ap.add_argument("--report", default=None,
                    help="make report's output directory, whose plots go into the HTML summary "
                         "(default <build>/report, when it exists)")
    ap.add_argument("--launcher", choices=("local", "slurm"), default="local")
    ap.add_argument("--sbatch-arg", action="append", default=[],
                    help="extra sbatch argument (repeatable), e.g. --sbatch-arg=--partition=sim")
    ap.add_argument("--poll", type=float, default=5.0, help="Slurm poll interval in seconds (default 5)")
    ap.add_argument("--slurm-grace", type=float, default=30.0,
                    help="seconds to wait for exit-code files once the array left the queue (default 30)")
    ap.add_argument("-L", "--label", action="append", default=[], help="only entries with this label")
    ap.add_argument("-R", "--filter", default=None, help="only entries whose name matches this regex")
    ap.add_argument("--dry-run", action="store_true", help="print the jobs and exit")
    ap.add_argument("--check", action="store_true", help="validate the list and exit")
    args = ap.parse_args(argv)
    args.jobs_given = args.jobs is not None
    if args.jobs is None:
        args.jobs = os.cpu_count() or 1
    if args.jobs < 1:
        ap.error("-j must be >= 1")

    lpath = Path(args.list)
    if not (args.list.endswith(".yaml") or args.list.endswith(".yml")):
        lpath = ROOT / "regress" / f"{args.list}.yaml"
    if not lpath.is_file():
        have = ", ".join(sorted(p.stem for p in (ROOT / "regress").glob("*.yaml")))
        print(f"regress: no list {lpath} (have: {have})", file=sys.stderr)
        return 2
    try:
        name, entries = load_list(lpath, ROOT / "configs")
    except ListError as e:
        print(f"regress: {e}", file=sys.stderr)
        return 2
    if args.label:
        entries = [en for en in entries if set(args.label) & set(en.labels)]
    if args.filter:
        entries = [en for en in entries if re.search(args.filter, en.name)]
    build = Path(args.build).resolve()
    out = Path(args.out).resolve() if args.out else build / "regress" / name
    jobs = expand(entries, build, out)
    if args.check:
        print(f"regress: {lpath}: OK, {len(entries)} entries, {len(jobs)} jobs")
        return 0
    if not jobs:
        print("regress: no jobs selected", file=sys.stderr)
        return 2
    if args.dry_run:
        for j in jobs:
            print(f"{j.case_name}: {env_prefix(j.env)} {j.display}  (timeout {j.entry.timeout:g}s)")
        return 0
    if any(j.entry.kind == "ctest" for j in jobs) and not (build / "CTestTestfile.cmake").is_file():
        print(f"regress: {build} is not a configured build (run `make build` first)", file=sys.stderr)
        return 2
    shutil.rmtree(out / "logs", ignore_errors=True)
    shutil.rmtree(out / "waves", ignore_errors=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)

    progress = Progress(name, jobs)
    print(f"[regress {name}] {len(jobs)} jobs from {lpath.relative_to(ROOT) if lpath.is_relative_to(ROOT) else lpath}"
          f", launcher {args.launcher}" + (f", -j {args.jobs}" if args.launcher == "local" else "")
          + f"; output {out}", flush=True)
    t0 = time.monotonic()
    stop = threading.Event()
    launcher = args.launcher
    try:
        if args.launcher == "local":
            run_local(jobs, args.jobs, progress, stop)
        else:
            jobid, _ = run_slurm(jobs, args, out, progress)
            launcher = f"Slurm (job array {jobid})"
    except KeyboardInterrupt:
        stop.set()
        progress.close()
        print("regress: interrupted", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - t0
    progress.close()
    for j in jobs:
        if j.status in ("fail", "timeout", "error"):
            j.rerun = rerun_commands(j, build, out)
    write_junit(out / "junit.xml", name, jobs, elapsed)
    cov = Path(args.coverage) if args.coverage else Path(str(build) + "-cov") / "coverage"
    rep = Path(args.report) if args.report else build / "report"
    write_html(out / "summary.html", name, jobs, elapsed, launcher, out, cov, rep)
    (out / "results.json").write_text(json.dumps([
        {"test": j.entry.name, "config": j.config, "seed": j.seed, "status": j.status, "rc": j.rc,
         "duration": round(j.duration, 3), "message": j.message, "log": str(j.log), "rerun": j.rerun}
        for j in jobs], indent=1))
    failed = [j for j in jobs if j.status in ("fail", "timeout", "error")]
    for j in failed:
        print(f"FAILED {j.case_name}: {j.message}\n  rerun: " + "\n  rerun: ".join(j.rerun))
    print(f"[regress {name}] {len(jobs) - len(failed)}/{len(jobs)} passed in {fmt_t(elapsed)}; "
          f"{out / 'junit.xml'}, {out / 'summary.html'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
