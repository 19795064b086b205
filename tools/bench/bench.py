#!/usr/bin/python3
"""`make bench`: inflight beside the tools users would otherwise pick.

usage: tools/bench/bench.py BUILD      (tools/bench/run.sh BUILD calls it)

Environment (all optional):
  SIZE=256M       NDJSON object to generate (producer suffixes K, M, G)
  ROUNDS=5        rounds; each runs every tool of a row group once, in
                  the same order (A B C D, A B C D, ...)
  SEED=42         producer seed: same seed, same bytes
  BIG=1           the peak-memory row over BIG_SIZE piped from the
                  producer; BIG=0 skips it
  BIG_SIZE=1G
  DOCS=2000       single-document objects for the objects/s row
  STARTUP_RUNS=50 execs per start-up measurement
  KEEP=0          KEEP=1 keeps the data and outputs under BUILD/bench

Every tool writes its output to a file under BUILD/bench, removed before
each run, and what earlier runs left to write back is synced first
(untimed), so that no run pays for another tool's output. Each output is checked once (first round) record by record
against the input minus `price` and `discount`, and later rounds must
give the same bytes (SHA-256): a fast wrong answer fails the bench (exit
1). Targets missed do not fail it; they are printed as MISS.

Peak RSS comes from /usr/bin/time, not from wait4() here: the kernel
folds the pre-exec memory of a spawned child (this Python process's) into
the child's ru_maxrss, which would hide a 10 MiB program behind the
driver's own size.
"""
import hashlib
import hmac
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIME = "/usr/bin/time"
PY = "/usr/bin/python3"
MB = 1e6  # throughput is in MB/s, 10^6 bytes per second


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def env_int(name, default, lo, hi):
    text = os.environ.get(name, "") or str(default)
    try:
        v = int(text)
    except ValueError:
        die("%s=%s: not an integer" % (name, text))
    if not lo <= v <= hi:
        die("%s=%d: out of range %d..%d" % (name, v, lo, hi))
    return v


def parse_size(text):
    """The producer's --size syntax: digits, then K, M or G (powers of 1024)."""
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper()
    k = mult.get(t[-1:], 1)
    digits = t[:-1] if t[-1:] in mult else t
    if not digits.isdigit():
        die("size %r: expected digits and K, M or G" % text)
    return int(digits) * k


# ---- running things ----------------------------------------------------

class Run:
    """One finished process: wall seconds, peak RSS in KiB, user and
    system CPU seconds (None when not measured), exit status."""

    def __init__(self, secs, rss_kib, status, cpu=(None, None)):
        self.secs, self.rss_kib, self.status = secs, rss_kib, status
        self.user, self.sys = cpu


class Bench:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.dir = os.path.join(self.build, "bench")
        self.logs = os.path.join(self.dir, "logs")
        os.makedirs(self.logs, exist_ok=True)
        for exe in (os.path.join(self.build, "bin", "runtime"),
                    os.path.join(self.build, "bin", "producer"), TIME, PY):
            if not os.access(exe, os.X_OK):
                die("%s is missing (make all; apt-get install time python3)" % exe)
        self.snapshot()
        self.policy = os.path.join(ROOT, "policies", "store-events.cfg")
        self.size_text = os.environ.get("SIZE", "") or "256M"
        self.size = parse_size(self.size_text)
        self.rounds = env_int("ROUNDS", 5, 1, 100)
        self.seed = env_int("SEED", 42, 0, 2**64 - 1)  # the producer's --seed range
        self.big = env_int("BIG", 1, 0, 1)
        self.big_text = os.environ.get("BIG_SIZE", "") or "1G"
        self.big_size = parse_size(self.big_text)
        self.ndocs = env_int("DOCS", 2000, 1, 100000)
        self.startup_runs = env_int("STARTUP_RUNS", 50, 1, 1000)
        self.keep = env_int("KEEP", 0, 0, 1)
        self.timeout = 60 + self.size / (2 * MB)  # nothing here is slower than 2 MB/s
        self.rows = []      # (group, tool, value text, rss text, ratio text, note)
        self.targets = []   # lines "what = value (target ...): PASS|MISS"
        self.server = None

    def snapshot(self):
        """Copies the binaries and plugins under BUILD/bench, so that one run
        measures one build even when BUILD is rebuilt meanwhile."""
        snap = os.path.join(self.dir, "snapshot")
        shutil.rmtree(snap, ignore_errors=True)
        os.makedirs(os.path.join(snap, "bin"))
        shutil.copytree(os.path.join(self.build, "plugins"), os.path.join(snap, "plugins"))
        for exe in ("runtime", "producer"):
            shutil.copy2(os.path.join(self.build, "bin", exe), os.path.join(snap, "bin", exe))
        self.runtime = os.path.join(snap, "bin", "runtime")
        self.producer = os.path.join(snap, "bin", "producer")
        self.plugins = os.path.join(snap, "plugins")
        self.build_id = sha256(self.runtime)[:12]

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, stdin=None, stdout=None, log=None, env=None,
              fds=()):
        """Starts argv in its own process group with stdin and stdout
        redirected (files, or fds given as (fd, target) pairs); returns
        the pid."""
        acts = []
        if stdin is not None:
            acts.append((os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0))
        if stdout is not None:
            acts.append((os.POSIX_SPAWN_OPEN, 1, stdout,
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        for fd, target in fds:
            acts.append((os.POSIX_SPAWN_DUP2, fd, target))
        acts.append((os.POSIX_SPAWN_OPEN, 2, log or os.devnull,
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        return os.posix_spawn(argv[0], argv, env or os.environ,
                              file_actions=acts, setpgroup=0)

    def wait(self, pid, timeout):
        """Waits for pid, killing its process group after timeout seconds;
        returns the exit status (negative: signal)."""
        timer = threading.Timer(timeout, os.killpg, (pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, _ = os.wait4(pid, 0)
        finally:
            timer.cancel()
        return os.waitstatus_to_exitcode(status)

    def settle(self, *reads):
        """Writes back what earlier runs left dirty in the page cache,
        untimed: a 300 MB output being written back while the next tool
        runs slowed that tool by up to 3 x in the first round. Then reads
        the files `reads` into the page cache, so that the next run finds
        its input there: this VM's host takes the guest's cache back
        (after a bench the cache held 0.2 GiB of its 1.5 GiB of files),
        and a 256 MiB input read from the disk took 0.43 s against 0.05 s
        from the cache."""
        os.sync()
        for path in reads:
            with open(path, "rb", buffering=0) as f:
                while f.read(1 << 20):
                    pass

    def run(self, name, argv, stdin=None, stdout=None, env=None, rss=True,
            ok=(0,)):
        """Runs argv once, timed from spawn to exit; with rss, through
        /usr/bin/time for the peak RSS. Fails the bench on a bad status."""
        log = os.path.join(self.logs, name + ".err")
        tfile = os.path.join(self.logs, name + ".time")
        full = [TIME, "-f", "%M %U %S", "-o", tfile] + argv if rss else argv
        t0 = time.perf_counter()
        pid = self.spawn(full, stdin=stdin, stdout=stdout, log=log, env=env)
        status = self.wait(pid, self.timeout)
        secs = time.perf_counter() - t0
        if status not in ok:
            self.fail_run(name, argv, status, log)
        if not rss:
            return Run(secs, None, status)
        with open(tfile) as f:  # the last line: time's own
            kib, user, sys_ = f.read().split("\n")[-2].split()
        return Run(secs, int(kib), status, (float(user), float(sys_)))

    def fail_run(self, name, argv, status, log):
        tail = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                tail = f.read()[-2000:]
        what = "killed (timeout %.0f s)" % self.timeout if status == -9 else \
            "exit status %d" % status
        die("%s failed, %s: %s\n%s" % (name, what, " ".join(argv), tail))

    def inflight(self, policy, ap, inp, out):
        return [self.runtime, "--policy", policy, "--plugins", self.plugins,
                "--access-point", ap, inp, "-o", out]

    def stop_server(self):
        if self.server:
            try:
                os.kill(self.server, signal.SIGTERM)
                self.wait(self.server, 10)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.server = None

    # ---- rows ----------------------------------------------------------

    def add(self, group, tool, value, rss_kib=None, ratio=None, note=""):
        rss = "%.1f" % (rss_kib / 1024) if rss_kib is not None else "–"
        r = "%.2f" % ratio if ratio is not None else "–"
        self.rows.append((group, tool, value, rss, r, note))

    def target(self, what, value, goal, passed, unit=""):
        if value is None:
            self.targets.append("%s = n/a (%s)" % (what, goal))
        else:
            self.targets.append("%s = %s%s (target %s): %s" % (
                what, fmt_num(value), unit, goal, "PASS" if passed else "MISS"))


def fmt_num(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def sha256(path, limit=None):
    h = hashlib.sha256()
    left = limit if limit is not None else float("inf")
    with open(path, "rb") as f:
        while left > 0:
            chunk = f.read(int(min(1 << 20, left)))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# ---- record checks -----------------------------------------------------

def ndjson_records(path):
    """Raw records of an NDJSON file, blank lines skipped."""
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                yield line.rstrip(b"\r\n")


def array_records(path):
    """Raw records of the bench's array layout: '[', one record per line
    with a trailing comma but the last, ']'. The transformed output keeps
    that layout because inflight copies the bytes between records."""
    with open(path, "rb") as f:
        first = f.readline().strip()
        if first != b"[":
            yield b"<array output does not start with '['>"
            return
        closed = False
        for line in f:
            s = line.strip()
            if not s:
                continue
            if s == b"]":
                closed = True
                continue
            yield s[:-1] if s.endswith(b",") else s
        if not closed:
            yield b"<array output does not end with ']'>"


def drop_expected(raw):
    rec = json.loads(raw)
    rec.pop("price", None)
    rec.pop("discount", None)
    return rec


def check_records(what, inp, outputs, expect=drop_expected, extra=None):
    """Compares, record by record and in order, every output (name ->
    iterator of raw records) with expect(input record): same members, same
    order, same values after json.loads. Byte-identical records are parsed
    once. extra(name, record, expected) may check more. Dies on the first
    difference; returns the number of records."""
    n = 0
    for raw in ndjson_records(inp):
        n += 1
        exp = expect(raw)
        exp_items = list(exp.items())
        seen = set()
        for name, it in outputs.items():
            got = next(it, None)
            if got is None:
                die("%s: %s: output ends at record %d of the input" % (what, name, n))
            if got in seen:
                continue
            try:
                rec = json.loads(got)
            except ValueError as e:
                die("%s: %s: record %d is not JSON (%s): %.300r" % (what, name, n, e, got))
            if extra:
                rec = extra(name, rec, exp)
            if list(rec.items()) != exp_items:
                die("%s: %s: record %d differs from the expected record\n"
                    "  input:    %.400s\n  expected: %.400s\n  got:      %.400s"
                    % (what, name, n, raw.decode(errors="replace"),
                       json.dumps(exp), got.decode(errors="replace")))
            seen.add(got)
    for name, it in outputs.items():
        if next(it, None) is not None:
            die("%s: %s: more records than the input's %d" % (what, name, n))
    return n


# ---- the groups --------------------------------------------------------

# hand-specialised programs for the drop, under BUILD/bench/ref (run.sh)
REFS = ("ref_simdjson", "ref_jsmn")
# not a filter: simdjson validating every record and writing nothing
# (ref_validate.cpp), a yardstick for the part of the drop's work no
# transform can remove (a floor once; the drop now takes its user time)
FLOOR = "ref_validate"

CHAIN_KEY_ENV = "INFLIGHT_BENCH_HMAC_KEY"
CHAIN_KEY = "bench-secret-key"
CHAIN_PLUGINS = ("drop_fields", "mask_fields", "enrich")
ENRICH_FIELD, ENRICH_VALUE = "pipeline", "inflight-bench"  # as in chain.cfg


def make_array(src, dst):
    """Writes the NDJSON records of src as one JSON array, streaming."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        out.write(b"[\n")
        first = True
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            if not first:
                out.write(b",\n")
            out.write(line)
            first = False
        out.write(b"\n]\n")


def chain_checker():
    """extra() for the chain row: cust_id must be the lowercase hex of
    HMAC-SHA256(key, its JSON text) (mask_fields op hmac; a string's
    unescaped text) and enrich's field present; the rest must equal the
    drop row's record. Returns the record with both undone so that the
    common comparison applies."""
    key = CHAIN_KEY.encode()

    def extra(name, rec, exp):
        if "cust_id" in exp:
            v = exp["cust_id"]
            text = v.encode() if isinstance(v, str) else json.dumps(v).encode()
            want = hmac.new(key, text, hashlib.sha256).hexdigest()
            if rec.get("cust_id") != want:
                die("chain: cust_id %s: got %r, want HMAC-SHA256 %s"
                    % (text.decode(), rec.get("cust_id"), want))
            rec["cust_id"] = v
        got = rec.pop(ENRICH_FIELD, None)
        if got != ENRICH_VALUE:
            die("chain: enrich's field %s = %r: got %r" % (ENRICH_FIELD, ENRICH_VALUE, got))
        return rec

    return extra


def group_ndjson(b):
    """Drop price and discount from one NDJSON object: inflight, the Python
    reference, jq, the simdjson and jsmn programs, cat; the three-step
    chain and the JSON array in the same rounds."""
    inp = b.path("store-events.ndjson")
    arr = b.path("store-events.json")
    print("== data: producer --ndjson %s --size %s --seed %d" % (inp, b.size_text, b.seed),
          flush=True)
    b.run("producer", [b.producer, "--ndjson", inp, "--size", b.size_text,
                       "--seed", str(b.seed), "--quiet"],
          stdout=b.path("logs", "producer.out"), rss=False)
    make_array(inp, arr)
    nbytes = os.path.getsize(inp)
    abytes = os.path.getsize(arr)
    out = lambda name: b.path("out-%s" % name)  # noqa: E731

    tools = []  # (name, argv, stdout file or None, env, input bytes)
    tools.append(("inflight", b.inflight(b.policy, "lambda-consumer", inp, out("inflight")),
                  None, None, nbytes))
    tools.append(("inflight-1", b.inflight(b.policy, "lambda-consumer", inp, out("inflight-1")),
                  None, dict(os.environ, INFLIGHT_THREADS="1"), nbytes))
    tools.append(("python", [PY, os.path.join(HERE, "reference.py"), inp, out("python")],
                  None, None, nbytes))
    jq = shutil.which("jq")
    if jq:
        tools.append(("jq", [jq, "-c", "del(.price,.discount)", inp], out("jq"), None, nbytes))
    for ref in REFS:  # built by run.sh when their libraries are installed
        exe = os.path.join(b.build, "bench", "ref", ref)
        if os.access(exe, os.X_OK):
            tools.append((ref, [exe, inp, out(ref)], None, None, nbytes))
    exe = os.path.join(b.build, "bench", "ref", FLOOR)
    if os.access(exe, os.X_OK):
        tools.append((FLOOR, [exe, inp, out(FLOOR)], None, None, nbytes))
    tools.append(("cat", [shutil.which("cat") or "/bin/cat", inp], out("cat"), None, nbytes))

    chain_missing = [p for p in CHAIN_PLUGINS
                     if not os.path.exists(os.path.join(b.plugins, p + ".so"))]
    chain_cfg = os.path.join(HERE, "chain.cfg")
    chain_env = dict(os.environ, **{CHAIN_KEY_ENV: CHAIN_KEY})
    chain_note = ""
    if chain_missing:
        chain_note = "n/a (plugin missing: %s)" % ", ".join(chain_missing)
    else:
        log = b.path("logs", "chain-check.out")
        r = subprocess.run([b.runtime, "--check-policy", chain_cfg, "--plugins", b.plugins],
                           env=chain_env, capture_output=True, text=True, timeout=60)
        if r.returncode:
            chain_note = "n/a (chain.cfg does not load: %s)" % (
                (r.stdout + r.stderr).strip().splitlines() or ["?"])[0]
            with open(log, "w") as f:
                f.write(r.stdout + r.stderr)
    if chain_note:
        print("   3-step chain: " + chain_note, flush=True)
    else:
        tools.append(("chain", b.inflight(chain_cfg, "bench-chain", inp, out("chain")),
                      None, chain_env, nbytes))
    tools.append(("array", b.inflight(b.policy, "lambda-consumer", arr, out("array")),
                  None, None, abytes))

    runs = {t[0]: [] for t in tools}
    digests = {}
    for rnd in range(b.rounds):
        for name, argv, stdout, env, _ in tools:
            dst = stdout or out(name)
            remove(dst)
            b.settle(arr if name == "array" else inp)
            runs[name].append(b.run(name, argv, stdout=stdout, env=env))
            if rnd == 0:
                continue
            if sha256(dst) != digests[name]:
                die("%s: round %d output differs from round 1's" % (name, rnd + 1))
        if rnd == 0:
            print("   round 1 done; checking every output record by record", flush=True)
            n = check_records("drop", inp, {
                name: ndjson_records(out(name))
                for name in ("inflight", "inflight-1", "python", "jq") + REFS if name in runs})
            if sha256(out("cat")) != sha256(inp):
                die("cat: output differs from its input")
            if FLOOR in runs:
                with open(out(FLOOR)) as f:
                    seen = f.read().strip()
                if seen != str(n):
                    die("%s: validated %s records, the input has %d" % (FLOOR, seen, n))
            check_records("array", inp, {"array": array_records(out("array"))})
            if "chain" in runs:
                check_records("chain", inp, {"chain": ndjson_records(out("chain"))},
                              extra=chain_checker())
            digests = {name: sha256(out(name)) for name in runs}
            print("   %d records, outputs agree" % n, flush=True)
        print("   round %d/%d: %s" % (rnd + 1, b.rounds, ", ".join(
            "%s %.2f s" % (name, runs[name][-1].secs) for name in runs)), flush=True)

    med = {name: statistics.median(r.secs for r in rs) for name, rs in runs.items()}
    peak = {name: max(r.rss_kib for r in rs) for name, rs in runs.items()}
    mbps = {name: t[4] / med[name] / MB for name, t in zip(runs, tools)}
    best = {name: t[4] / min(r.secs for r in runs[name]) / MB for name, t in zip(runs, tools)}
    cpu = {name: (statistics.median(r.user for r in rs), statistics.median(r.sys for r in rs))
           for name, rs in runs.items()}
    inf = mbps["inflight"]
    group = "Drop price, discount: NDJSON, %s" % human(nbytes)
    labels = {"inflight": "inflight (filter mode, `lambda-consumer`)",
              "inflight-1": "inflight, one thread (`INFLIGHT_THREADS=1`)",
              "python": "Python reference (`reference.py`)",
              "jq": "`jq -c 'del(.price,.discount)'`",
              "ref_simdjson": "hand-written simdjson On-Demand program (`ref_simdjson.cpp`)",
              "ref_jsmn": "hand-written jsmn loop (`ref_jsmn.c`)",
              FLOOR: "reference, not a filter: simdjson's DOM parser validating every "
                     "record on every core, no output (`ref_validate.cpp`)",
              "cat": "`cat in > out` (I/O limit)"}
    for name in ("inflight", "inflight-1", "python", "jq") + REFS + (FLOOR, "cat"):
        if name in runs:
            b.add(group, labels[name], "%s MB/s" % fmt_num(mbps[name]), peak[name],
                  mbps[name] / inf, "best round %s MB/s; CPU %.2f user + %.2f system s" % (
                      fmt_num(best[name]), cpu[name][0], cpu[name][1]))
    if "jq" not in runs:
        b.add(group, "`jq`", "n/a (jq not installed)")
    for ref in REFS + (FLOOR,):
        if ref not in runs:
            b.add(group, labels[ref], "n/a (not built: see the start of the bench's output)")
    chain_group = "3-step chain (drop, mask hmac, enrich): NDJSON"
    if "chain" in runs:
        b.add(chain_group, "inflight (`tools/bench/chain.cfg`)",
              "%s MB/s" % fmt_num(mbps["chain"]), peak["chain"], mbps["chain"] / inf,
              "best round %s MB/s; CPU %.2f user + %.2f system s" % (
                  fmt_num(best["chain"]), cpu["chain"][0], cpu["chain"][1]))
    else:
        b.add(chain_group, "inflight (`tools/bench/chain.cfg`)", chain_note)
    b.add("Same records as one JSON array, %s" % human(abytes), "inflight (format auto → array)",
          "%s MB/s" % fmt_num(mbps["array"]), peak["array"], mbps["array"] / inf,
          "best round %s MB/s; CPU %.2f user + %.2f system s" % (
              fmt_num(best["array"]), cpu["array"][0], cpu["array"][1]))

    b.target("inflight / cat", inf / mbps["cat"], "≥ 0.8", inf / mbps["cat"] >= 0.8)
    # what a target leaves: the wall time it allows on every core, less
    # the system time the row's reads and writes took in this run
    ncpu = os.cpu_count() or 1

    def budget(ratio, name, what):
        wall = nbytes / (ratio * mbps["cat"] * MB)
        left = wall * ncpu - cpu[name][1]
        return ("at %s × cat %s may take %.3f s: %.3f CPU s on %d cores, %.3f s of it "
                "left for user space after its %.3f s of system time; it used %.3f s" % (
                    "%g" % ratio, what, wall, wall * ncpu, ncpu, left, cpu[name][1],
                    cpu[name][0]), left)

    text, left = budget(0.8, "inflight", "the drop")
    if FLOOR in runs:
        text += ", and simdjson validating alone (its reference row) used %.3f s: %s what is left" % (
            cpu[FLOOR][0], "%.1f ×" % (cpu[FLOOR][0] / left) if left > 0 else "more than")
    b.budgets = [text]
    if "chain" in runs:
        b.budgets.append(budget(0.5, "chain", "the 3-step chain")[0])
    b.target("inflight / python", inf / mbps["python"], "≥ 25", inf / mbps["python"] >= 25)
    if "chain" in runs:
        b.target("3-step chain / cat", mbps["chain"] / mbps["cat"], "≥ 0.5",
                 mbps["chain"] / mbps["cat"] >= 0.5)
    else:
        b.targets.append("3-step chain / cat = %s (target ≥ 0.5)" % chain_note)
    b.python_rss_ratio = peak["python"] * 1024 / nbytes
    b.inflight_mbps = inf
    return inp, out("inflight"), nbytes


def human(n):
    if n >= 1 << 30:
        return "%.1f GiB" % (n / (1 << 30))
    return "%.0f MiB" % (n / (1 << 20))


def group_docs(b):
    """Single-document objects, one exec per object as a shell loop would;
    `cat` per object is the exec floor."""
    root = b.path("docs")
    shutil.rmtree(root, ignore_errors=True)
    b.run("producer-docs", [b.producer, "--count", str(b.ndocs), "--seed", str(b.seed),
                            "--dir", root, "--quiet"],
          stdout=b.path("logs", "producer-docs.out"), rss=False)
    files = []
    for d, _, names in os.walk(root):
        files += [os.path.join(d, n) for n in names]
    files.sort()
    if len(files) != b.ndocs:
        die("docs: producer wrote %d objects, wanted %d" % (len(files), b.ndocs))
    outdir = b.path("docs-out")
    os.makedirs(outdir, exist_ok=True)
    cat = shutil.which("cat") or "/bin/cat"
    loops = {"inflight": [], "cat": []}
    each = {"inflight": [], "cat": []}
    print("== single documents: %d objects, %d rounds" % (len(files), b.rounds), flush=True)
    for rnd in range(b.rounds):
        for name in loops:
            b.settle(*files)
            t0 = time.perf_counter()
            for i, f in enumerate(files):
                dst = os.path.join(outdir, "%s-%d.json" % (name, i))
                remove(dst)
                if name == "inflight":
                    r = b.run(name, b.inflight(b.policy, "lambda-consumer", f, dst), rss=False)
                else:
                    r = b.run(name, [cat, f], stdout=dst, rss=False)
                each[name].append(r.secs)
            loops[name].append(time.perf_counter() - t0)
        if rnd == 0:
            for i, f in enumerate(files):
                with open(f, "rb") as fp:
                    raw = fp.read()
                exp = list(drop_expected(raw).items())
                with open(os.path.join(outdir, "inflight-%d.json" % i), "rb") as fp:
                    got = fp.read()
                if list(json.loads(got).items()) != exp:
                    die("docs: %s: output differs: %.300r" % (f, got))
                with open(os.path.join(outdir, "cat-%d.json" % i), "rb") as fp:
                    if fp.read() != raw:
                        die("docs: cat changed %s" % f)
    rss_inf = b.run("inflight-doc", b.inflight(b.policy, "lambda-consumer", files[0],
                                               os.path.join(outdir, "rss.json"))).rss_kib
    rss_cat = b.run("cat-doc", [cat, files[0]], stdout=os.path.join(outdir, "rss.json")).rss_kib
    ops = {n: len(files) / statistics.median(v) for n, v in loops.items()}
    ms = {n: statistics.median(v) * 1000 for n, v in each.items()}
    group = "Single-document objects (%d), one exec each" % len(files)
    b.add(group, "inflight filter mode", "%s objects/s" % fmt_num(ops["inflight"]), rss_inf, 1.0,
          "%.2f ms per object (exec to exit)" % ms["inflight"])
    b.add(group, "`cat` (exec floor)", "%s objects/s" % fmt_num(ops["cat"]), rss_cat,
          ops["cat"] / ops["inflight"], "%.2f ms per object" % ms["cat"])
    if not b.keep:
        shutil.rmtree(outdir, ignore_errors=True)


def group_event(b, inp, inflight_out, nbytes):
    """`runtime --event` fetching the object over http from 127.0.0.1
    (libcurl end to end), beside `curl -o` from the same server."""
    www = b.path("www")
    key = "store_events/bench.ndjson"
    obj = os.path.join(www, key)
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    remove(obj)
    try:
        os.link(inp, obj)
    except OSError:
        shutil.copyfile(inp, obj)
    port_file = b.path("server.port")
    remove(port_file)
    b.server = b.spawn([PY, os.path.join(HERE, "static_server.py"), "--root", www,
                        "--port-file", port_file], log=b.path("logs", "server.err"))
    for _ in range(200):  # at most 10 s
        if os.path.exists(port_file):
            break
        pid, _ = os.waitpid(b.server, os.WNOHANG)
        if pid:
            b.server = None
            die("static_server.py exited; see %s" % b.path("logs", "server.err"))
        time.sleep(0.05)
    else:
        die("static_server.py did not start in 10 s")
    with open(port_file) as f:
        url = "http://127.0.0.1:%s/%s" % (f.read().strip(), key)
    ev = b.path("event.json")
    b.run("make-event", [b.runtime, "--make-event", "--access-point", "lambda-consumer",
                         "--url", url, "--key", key, "-o", ev], rss=False)
    curl = shutil.which("curl")
    tools = [("event", [b.runtime, "--event", ev, "--policy", b.policy, "--plugins",
                        b.plugins, "-o", b.path("out-event")], None)]
    if curl:
        tools.append(("curl", [curl, "-sS", "-o", b.path("out-curl"), url], None))
    want = {"event": sha256(inflight_out), "curl": sha256(inp)}
    runs = {t[0]: [] for t in tools}
    print("== runtime --event over http://127.0.0.1 (%d rounds)" % b.rounds, flush=True)
    for _ in range(b.rounds):
        for name, argv, stdout in tools:
            remove(b.path("out-" + name))
            b.settle(obj)
            runs[name].append(b.run(name, argv, stdout=stdout))
            if sha256(b.path("out-" + name)) != want[name]:
                die("%s: output differs from %s" % (
                    name, "filter mode's" if name == "event" else "the object"))
    b.stop_server()
    remove(obj)
    med = {n: statistics.median(r.secs for r in rs) for n, rs in runs.items()}
    mbps = {n: nbytes / med[n] / MB for n in runs}
    group = "`runtime --event`, object over http from 127.0.0.1 (sendfile server)"
    b.add(group, "inflight event mode (libcurl → chain → file)",
          "%s MB/s" % fmt_num(mbps["event"]),
          max(r.rss_kib for r in runs["event"]), mbps["event"] / b.inflight_mbps,
          "same bytes as filter mode")
    if curl:
        b.add(group, "`curl -o` (I/O limit of this path)", "%s MB/s" % fmt_num(mbps["curl"]),
              max(r.rss_kib for r in runs["curl"]), mbps["curl"] / b.inflight_mbps)


def startup_policy(path, n):
    fields = ["price", "discount", "qty", "sku", "gift_wrap", "contact_me"]
    with open(path, "w") as f:
        f.write("# %d access points, generated by tools/bench/bench.py\nversion = 1;\n"
                "access_points = (\n" % n)
        for i in range(n):
            paths = ", ".join('"%s"' % p for p in (fields[i % 6], fields[(i + 1) % 6]))
            f.write('  { name = "ap-%d"; prefixes = [ "store_events/" ]; format = "auto";\n'
                    '    chain = ( { plugin = "drop_fields"; paths = [ %s ]; } ); }%s\n'
                    % (i, paths, "," if i + 1 < n else ""))
        f.write(");\n")


def group_startup(b):
    """Exec to exit on an empty input: the whole start-up (policy parse,
    dlopen, path compilation) and nothing else."""
    pol = b.path("startup-50.cfg")
    startup_policy(pol, 50)
    r = subprocess.run([b.runtime, "--check-policy", pol, "--plugins", b.plugins],
                       capture_output=True, text=True, timeout=60)
    if r.returncode:
        die("startup-50.cfg does not load:\n" + r.stdout + r.stderr)
    empty = b.path("empty.ndjson")
    open(empty, "w").close()
    true = shutil.which("true") or "/bin/true"
    tools = [
        ("true", [true]),
        ("startup-1", b.inflight(b.policy, "lambda-consumer", empty, b.path("out-startup"))),
        ("startup-50", b.inflight(pol, "ap-0", empty, b.path("out-startup"))),
    ]
    secs = {n: [] for n, _ in tools}
    print("== start-up: %d execs each" % b.startup_runs, flush=True)
    for _ in range(b.startup_runs):
        for name, argv in tools:
            secs[name].append(b.run(name, argv, rss=False).secs)
    ms = {n: statistics.median(v) * 1000 for n, v in secs.items()}
    rss = {n: b.run(n + "-rss", argv).rss_kib for n, argv in tools}
    group = "Start-up: exec to exit, empty input (median of %d)" % b.startup_runs
    b.add(group, "inflight, policy of 50 access points", "%.2f ms" % ms["startup-50"],
          rss["startup-50"], 1.0)
    b.add(group, "inflight, `store-events.cfg` (1 access point)", "%.2f ms" % ms["startup-1"],
          rss["startup-1"], ms["startup-1"] / ms["startup-50"])
    b.add(group, "`true` (exec floor)", "%.2f ms" % ms["true"], rss["true"],
          ms["true"] / ms["startup-50"])
    b.target("start-up with 50 access points", ms["startup-50"], "< 10 ms",
             ms["startup-50"] < 10, " ms")


def group_big(b, inflight_out):
    """Peak memory over BIG_SIZE piped from the producer."""
    if not b.big:
        b.targets.append("peak RSS over %s = skipped (BIG=0) (target < 16 MiB)" % b.big_text)
        return
    out = b.path("out-big")
    remove(out)
    print("== peak memory: producer --ndjson - --size %s | runtime" % b.big_text, flush=True)
    rfd, wfd = os.pipe()
    tfile = b.path("logs", "big.time")
    b.settle()
    t0 = time.perf_counter()
    try:
        prod = b.spawn([b.producer, "--ndjson", "-", "--size", b.big_text, "--seed",
                        str(b.seed), "--quiet"], fds=[(wfd, 1)],
                       log=b.path("logs", "big-producer.err"))
        inf = b.spawn([TIME, "-f", "%M", "-o", tfile] +
                      b.inflight(b.policy, "lambda-consumer", "-", out),
                      fds=[(rfd, 0)], log=b.path("logs", "big.err"))
    finally:
        os.close(rfd)
        os.close(wfd)
    timeout = 60 + b.big_size / (2 * MB)
    st_inf = b.wait(inf, timeout)
    secs = time.perf_counter() - t0
    st_prod = b.wait(prod, timeout)
    if st_prod:
        b.fail_run("producer (big)", ["producer", "--ndjson", "-"], st_prod,
                   b.path("logs", "big-producer.err"))
    if st_inf:
        b.fail_run("inflight (big)", ["runtime", "-"], st_inf, b.path("logs", "big.err"))
    with open(tfile) as f:
        rss = int(f.read().split()[-1])
    # Same seed: the SIZE object is the start of this stream, so filter
    # mode's output of it must start this output.
    if b.big_size >= b.size:
        n = os.path.getsize(inflight_out)
        if sha256(out, n) != sha256(inflight_out):
            die("big: output does not start with the %s run's output" % b.size_text)
    remove(out)
    mbps = b.big_size / secs / MB
    b.add("Peak memory: %s piped from the producer" % human(b.big_size),
          "inflight filter mode (stdin → file)", "%s MB/s" % fmt_num(mbps), rss,
          mbps / b.inflight_mbps,
          "Python reference: %.1f × the object size" % b.python_rss_ratio)
    b.target("peak RSS over %s" % human(b.big_size), rss / 1024, "< 16 MiB",
             rss / 1024 < 16, " MiB")


# ---- report ------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def tree_state():
    """HEAD's short hash, with '+ changes' when the work tree differs."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + (" + uncommitted changes" if dirty else "")


def report(b, load_before):
    cmd = "make bench"
    envs = ["%s=%s" % (k, os.environ[k]) for k in
            ("SIZE", "ROUNDS", "SEED", "BIG", "BIG_SIZE", "DOCS", "STARTUP_RUNS")
            if os.environ.get(k)]
    if envs:
        cmd = " ".join(envs) + " " + cmd
    lines = [
        "`%s` — %s UTC, %s, %d cores, Linux %s; SIZE=%s, ROUNDS=%d, SEED=%d; "
        "tree %s, runtime sha256 %s; load average %.2f before, %.2f after." % (
            cmd, time.strftime("%Y-%m-%d %H:%M", time.gmtime()), cpu_model(),
            os.cpu_count() or 0, platform.release(), b.size_text, b.rounds, b.seed,
            tree_state(), b.build_id, load_before, os.getloadavg()[0]),
        "",
        "| row | tool | median throughput (or time) | peak RSS MiB | ratio to inflight | note |",
        "|---|---|---|---|---|---|",
    ]
    last = None
    for group, tool, value, rss, ratio, note in b.rows:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            group if group != last else "", tool, value, rss, ratio, note))
        last = group
    lines += [
        "",
        "MB/s = input bytes / median wall seconds (10^6 bytes); every tool writes "
        "a file on the same filesystem; tools alternate within each round; the best "
        "round is the least disturbed by other load. Ratio: "
        "the row's throughput over inflight's drop on NDJSON (start-up: time over "
        "the 50-access-point time; documents: objects/s over inflight's).",
        "",
    ]
    lines += ["- " + t for t in b.targets]
    for text in getattr(b, "budgets", []):
        lines += ["", "Budget: " + text + "."]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    with open(b.path("results.md"), "w") as f:
        f.write(text)
    print("written to %s" % b.path("results.md"))


def main():
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(sys.argv) != 2:
        die("usage: bench.py BUILD")
    b = Bench(sys.argv[1])
    load_before = os.getloadavg()[0]
    try:
        inp, inf_out, nbytes = group_ndjson(b)
        group_docs(b)
        group_event(b, inp, inf_out, nbytes)
        group_startup(b)
        group_big(b, inf_out)
    finally:
        b.stop_server()
    report(b, load_before)
    if not b.keep:  # every run generates its data again
        for name in os.listdir(b.dir):
            if name.startswith("out-") or name.startswith("store-events."):
                remove(b.path(name))
        shutil.rmtree(b.path("docs"), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
