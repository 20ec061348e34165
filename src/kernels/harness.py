#!/usr/bin/env python3
"""numgil bench harness.

    python harness.py --kernels DIR [--rule NG101 ...] [--threads 1,2,4]
                      [--quick] [--check-only]

Loads every DIR/<CODE>.kernel.py (and nothing else: no user code), checks that
each kernel's `before` (the flagged pattern) and `after` (the suggested fix)
agree, times both inside ThreadPoolExecutor workers, and streams the results
to stdout as JSON lines. Protocol and method: README.md next to this file.
Runs on CPython 3.8+ with numpy; numgil bundles it into its binary.
"""
import os
import sys

# The pool supplies the parallelism: pin BLAS to one thread before numpy loads
# it (numgil sets these too; respect whatever the caller chose).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Never import from the user's working directory (python -c / stdin put it on
# sys.path); the harness's own directory stays.
_HERE = os.path.dirname(os.path.abspath(__file__))
_CWD = os.getcwd()
sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") != _CWD or _CWD == _HERE]

# stdout carries the protocol and nothing else: keep a private handle on it
# and point fd 1 (prints in kernels, messages from C libraries) at stderr.
try:
    _PROTO = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
except OSError:
    _PROTO = sys.stdout

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402


def _clean(v):
    """JSON has no NaN/inf: map them to null."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def emit(obj):
    try:
        _PROTO.write(json.dumps(_clean(obj), allow_nan=False) + "\n")
        _PROTO.flush()
    except BrokenPipeError:  # numgil went away: nobody is listening
        os._exit(0)


# --------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------
class Settings:
    """Repetitions and target durations; --quick trades precision for time."""

    TASK_S = 0.002       # one pool task lasts at least this long
    MAX_FOREIGN = 0.5    # busy cores of other processes tolerated per sample

    def __init__(self, quick):
        self.quick = quick
        if quick:
            self.single_reps, self.single_rep_s = 3, 0.02
            self.pool_reps, self.pool_rep_s = 3, 0.06
            self.probe_pairs, self.probe_window_s = 2, 0.05
            self.retries = 1
        else:
            self.single_reps, self.single_rep_s = 7, 0.05
            self.pool_reps, self.pool_rep_s = 5, 0.2
            self.probe_pairs, self.probe_window_s = 5, 0.1
            self.retries = 5


# --------------------------------------------------------------------------
# foreign load: busy cores used by other processes (Linux; 0 elsewhere)
# --------------------------------------------------------------------------
try:
    _HZ = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    _HZ = 100


def _busy_ticks():
    try:
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
        return sum(v) - v[3] - v[4]  # all but idle and iowait
    except (OSError, ValueError, IndexError):
        return None


class LoadLog:
    """Every timed block's foreign load, for the `done` line: how busy the
    machine was while it measured, and how many samples were retaken."""
    samples = []
    retaken = 0


def loadavg():
    """The 1, 5 and 15 minute load averages, or None where the OS has none."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _own_cpu():
    """CPU seconds used by this process and its live worker processes (a
    kernel may run its `before` in a process pool, as NG301's does: those
    workers are our load, not a neighbour's)."""
    own = time.process_time()
    try:
        import multiprocessing
        children = multiprocessing.active_children()
    except Exception:
        return own
    for child in children:
        try:
            with open("/proc/%d/stat" % child.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            own += (int(fields[11]) + int(fields[12])) / _HZ  # utime, stime
        except (OSError, ValueError, IndexError, TypeError):
            pass
    return own


class LoadMeter:
    """`with LoadMeter() as m: ...` sets m.foreign: the busy cores, averaged
    over the block, that other processes used (machine busy minus our own CPU).
    Samples taken while the machine was busy are retaken (see Settings)."""

    def __enter__(self):
        self.t0, self.b0, self.c0 = time.perf_counter(), _busy_ticks(), _own_cpu()
        return self

    def __exit__(self, *exc):
        dt = max(time.perf_counter() - self.t0, 1e-9)
        b1, own = _busy_ticks(), _own_cpu() - self.c0
        if b1 is None or self.b0 is None:
            self.foreign = 0.0
        else:
            self.foreign = max(0.0, ((b1 - self.b0) / _HZ - own) / dt)
        LoadLog.samples.append(self.foreign)
        return False


def _sample(measure, want, retries, max_foreign):
    """Median of `want` samples of measure() (which returns (value, foreign
    load)); samples taken under foreign load are retaken up to `retries` times."""
    good, every = [], []
    while len(good) < want and len(every) < want + retries:
        value, foreign = measure()
        every.append(value)
        if foreign <= max_foreign:
            good.append(value)
        else:
            LoadLog.retaken += 1
    return statistics.median(good or every)


# --------------------------------------------------------------------------
# measurements; everything runs inside pool workers (README: "Why workers")
# --------------------------------------------------------------------------
class Pools:
    """One warm ThreadPoolExecutor per thread count, reused for all kernels."""

    def __init__(self):
        self._pools = {}

    def get(self, n):
        ex = self._pools.get(n)
        if ex is None:
            ex = self._pools[n] = ThreadPoolExecutor(n, thread_name_prefix="numgil-bench")
            self.on_each_thread(n, lambda: None)  # start all n threads now
        return ex

    def on_each_thread(self, n, fn):
        """Run fn once on each of the n threads of pool n: a barrier keeps a
        thread that finished from taking a second item."""
        barrier = threading.Barrier(n)

        def item():
            try:
                fn()
            finally:
                barrier.wait(timeout=60)

        for fut in [self.get(n).submit(item) for _ in range(n)]:
            fut.result()

    def in_worker(self, fn, *args):
        """Run fn(*args) in the 1-thread pool and return its result."""
        return self.get(1).submit(fn, *args).result()

    def close(self):
        for ex in self._pools.values():
            ex.shutdown(wait=True)


def _seconds_per_call(fn, x, reps, rep_s):
    """Median seconds per call of fn(x) (run this in a worker): warm up,
    calibrate `inner` so one repetition lasts rep_s, then time `reps` reps."""
    fn(x)
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn(x)
        dt = time.perf_counter() - t0
        if dt >= rep_s / 4 or inner >= 1 << 20:
            break
        inner *= 4
    inner = max(1, math.ceil(inner * rep_s / max(dt, 1e-9)))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn(x)
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def _lcm(values):
    out = 1
    for v in values:
        out = out * v // math.gcd(out, v)
    return out


def _throughput(pools, fns, x, t_call, threads, cfg):
    """Calls per second of each fn in fns ({name: fn}) through an n-thread
    pool, for each n in threads: {name: {n: calls/s}}.

    A submitted task makes `inner` calls so that it lasts >= TASK_S (pool
    overhead stays negligible for tiny calls); K tasks, a multiple of every n,
    make one repetition of about pool_rep_s at one thread. Repetitions of all
    (fn, n) combinations are interleaved so slow drift hits them alike."""
    step = _lcm(threads)
    jobs = []
    for name, fn in fns.items():
        inner = max(1, math.ceil(cfg.TASK_S / max(t_call[name], 1e-9)))
        k = max(step, math.ceil(cfg.pool_rep_s / (inner * t_call[name])))
        k = step * math.ceil(k / step)

        def task(fn=fn, inner=inner):
            for _ in range(inner):
                fn(x)

        for n in threads:
            pools.on_each_thread(n, task)  # warm: per-thread state, allocator arenas
            jobs.append((name, n, task, inner, k))

    good = {(name, n): [] for name, n, _, _, _ in jobs}
    every = {key: [] for key in good}
    order = list(jobs)
    while True:
        pending = [j for j in order if len(good[j[:2]]) < cfg.pool_reps
                   and len(every[j[:2]]) < cfg.pool_reps + cfg.retries]
        if not pending:
            break
        for name, n, task, inner, k in pending:
            ex = pools.get(n)
            with LoadMeter() as m:
                t0 = time.perf_counter()
                for fut in [ex.submit(task) for _ in range(k)]:
                    fut.result()
                rate = k * inner / (time.perf_counter() - t0)
            every[(name, n)].append(rate)
            if m.foreign <= cfg.MAX_FOREIGN:
                good[(name, n)].append(rate)
            else:
                LoadLog.retaken += 1
        order = order[1:] + order[:1]
    return {name: {n: statistics.median(good[(name, n)] or every[(name, n)]) for n in threads}
            for name in fns}


def _bystander(fn, x, t_call, cfg):
    """GIL probe (run this in a worker): a pure-Python counter thread spins
    while this thread first sleeps, then calls fn(x) in a loop, for equal
    windows. Returns counter progress during the calls / progress while idle:
    ~1.0 means fn releases the GIL, <= ~0.5 means it holds it.

    Caveat (measured): a kernel that holds the GIL but releases it briefly once
    per call (an object-array allocation, a BLAS call per row) reads 0.7-0.95,
    since each release hands the waiting counter the GIL for a whole switch
    interval (5 ms) while the kernel starves; pool scaling is the authority on
    whether the kernel itself runs in parallel."""
    count = [0]
    stop = [False]

    def spin():
        while not stop[0]:
            count[0] += 1

    window = max(cfg.probe_window_s, 3 * t_call)
    counter = threading.Thread(target=spin, name="numgil-bystander", daemon=True)
    counter.start()
    time.sleep(0.01)

    def pair():
        with LoadMeter() as m:
            c0, t0 = count[0], time.perf_counter()
            time.sleep(window)
            idle = (count[0] - c0) / (time.perf_counter() - t0)
            c0, t0 = count[0], time.perf_counter()
            while time.perf_counter() - t0 < window:
                fn(x)
            busy = (count[0] - c0) / (time.perf_counter() - t0)
        return min(1.0, busy / max(idle, 1e-9)), m.foreign

    try:
        return _sample(pair, cfg.probe_pairs, cfg.retries, cfg.MAX_FOREIGN)
    finally:
        stop[0] = True
        counter.join()


def _sig(v, digits=4):
    return float("%.*g" % (digits, v)) if isinstance(v, float) and math.isfinite(v) else v


def measure(pools, mod, x, threads, cfg):
    """All timings of one kernel at one size (the "result" fields)."""
    fns = {"before": mod.before, "after": mod.after}
    single = {name: pools.in_worker(_seconds_per_call, fn, x, cfg.single_reps, cfg.single_rep_s)
              for name, fn in fns.items()}
    pool = _throughput(pools, fns, x, single, threads, cfg)
    probe = {name: pools.in_worker(_bystander, fn, x, single[name], cfg)
             for name, fn in fns.items()}
    return {
        "single": {"before_s": _sig(single["before"]), "after_s": _sig(single["after"])},
        "pool": {name: {str(n): _sig(pool[name][n]) for n in threads} for name in fns},
        "speedup": {str(n): _sig(pool["after"][n] / pool["before"][n]) for n in threads},
        "scaling": {name: {str(n): _sig(pool[name][n] / pool[name][1]) for n in threads if n != 1}
                    for name in fns},
        "bystander": {name: round(probe[name], 3) for name in fns},
    }


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
SUFFIX = ".kernel.py"


def _describe(exc, where):
    text = "%s: %s: %s" % (where, type(exc).__name__, exc)
    return text if len(text) <= 2000 else text[:2000] + " ..."


def _installed(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class Kernel:
    """One rules/<CODE>.kernel.py. After load(): sizes/quick_size, or
    missing (modules in REQUIRES that are not installed), or error."""

    def __init__(self, rule, path):
        self.rule, self.path = rule, path
        self.mod, self.sizes, self.quick_size = None, [], None
        self.missing, self.error = [], None

    def load(self):
        try:
            spec = importlib.util.spec_from_file_location("numgil_kernel_" + self.rule, self.path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        except ModuleNotFoundError as exc:  # an unguarded optional import
            if exc.name and exc.name.split(".")[0] != "numpy":
                self.missing = [exc.name]
            else:
                self.error = _describe(exc, "load")
            return
        except BaseException as exc:  # SystemExit or worse from a kernel: report it
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.error = _describe(exc, "load")
            return
        self.missing = [m for m in getattr(mod, "REQUIRES", []) if not _installed(m)]
        absent = [f for f in ("setup", "before", "after", "check")
                  if not callable(getattr(mod, f, None))]
        sizes = getattr(mod, "SIZES", None)
        if absent:
            self.error = "load: missing function(s): " + ", ".join(absent)
        elif (not isinstance(sizes, (list, tuple)) or not sizes
              or not all(isinstance(n, int) and n > 0 for n in sizes)):
            self.error = "load: SIZES must be a non-empty list of positive ints"
        else:
            self.mod, self.sizes = mod, list(sizes)
            quick = getattr(mod, "QUICK_SIZE", None)
            if not (isinstance(quick, int) and quick > 0):
                quick = next((n for n in self.sizes if n > 500), self.sizes[0])
            self.quick_size = quick


def find_kernels(directory, rules):
    """Kernels in directory, sorted by rule; with rules, only those (unknown
    rules are returned separately)."""
    found = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(SUFFIX) and not name.startswith("."):
            found[name[:-len(SUFFIX)]] = os.path.join(directory, name)
    if not rules:
        return [Kernel(r, p) for r, p in found.items()], []
    # A rule's code selects its pattern kernels too (`NG101` -> `NG101`, `NG101-minmax`);
    # ids compare without case.
    wanted = list(dict.fromkeys(r.upper() for r in rules))
    chosen, unknown = [], []
    for r in wanted:
        hits = [k for k in found if k.upper() == r or k.upper().startswith(r + "-")]
        if not hits:
            unknown.append(r)
        chosen.extend(k for k in hits if k not in chosen)
    return [Kernel(k, found[k]) for k in sorted(chosen)], unknown


# A pool of n threads cannot run more than n times (nor more than the cores)
# as fast as one thread; a little above is timer noise, more is a disturbed
# measurement (frequency scaling, a neighbour's load ending mid-run).
SCALING_TOLERANCE = 1.15


def implausible(result, cores):
    """Why a measured result cannot be true, or None: thread scaling above the
    thread count (or the core count)."""
    for name, per_n in result.get("scaling", {}).items():
        for n, s in per_n.items():
            bound = min(int(n), cores or int(n))
            if s is not None and s > bound * SCALING_TOLERANCE:
                return ("%s scaled %.2fx on %s threads (%d cores): more than the pool "
                        "can run in parallel; the machine's load changed during the "
                        "measurement" % (name, s, n, cores or 0))
    return None


def run_size(pools, k, n, threads, cfg, check_only):
    line = {"type": "result", "rule": k.rule, "size": n}
    try:
        x = k.mod.setup(n)
    except Exception as exc:
        return dict(line, check="error", error=_describe(exc, "setup"))
    try:
        k.mod.check(x)
    except Exception as exc:
        return dict(line, check="failed", error=_describe(exc, "check"))
    if check_only:
        return dict(line, check="ok")
    for name in ("before", "after"):  # one untimed call each, so an error names its side
        try:
            pools.in_worker(getattr(k.mod, name), x)
        except Exception as exc:
            return dict(line, check="error", error=_describe(exc, name))
    try:
        result = measure(pools, k.mod, x, threads, cfg)
    except Exception as exc:
        return dict(line, check="error", error=_describe(exc, "timing"))
    why = implausible(result, os.cpu_count())
    if why:
        return dict(line, check="implausible", error=why, **result)
    return dict(line, check="ok", **result)


# --------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------
def _blas(np):
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return " ".join(str(deps[k]) for k in ("name", "version") if deps.get(k)) or "unknown"
    except Exception:
        return "unknown"


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for row in f:
                key, _, value = row.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def env_line(np):
    return {"type": "env", "python": platform.python_version(), "numpy": np.__version__,
            "blas": _blas(np), "cpu": _cpu(), "cores": os.cpu_count(),
            "platform": platform.platform(), "loadavg": loadavg()}


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def _threads(text):
    try:
        values = {int(t) for t in text.split(",") if t.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated thread counts, e.g. 1,2,4")
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("thread counts must be >= 1")
    return sorted(values | {1})


def _default_threads():
    cores, n, out = os.cpu_count() or 2, 1, []
    while n <= max(2, cores):
        out.append(n)
        n *= 2
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="harness.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", required=True, metavar="DIR", help="directory of *.kernel.py")
    ap.add_argument("--rule", action="append", default=[], metavar="CODE",
                    help="only this rule (repeatable, or comma-separated)")
    ap.add_argument("--threads", type=_threads, default=None, metavar="N,N,...",
                    help="pool sizes (1 is always included); default 1,2,4,... up to the cores")
    ap.add_argument("--quick", action="store_true", help="QUICK_SIZE only, fewer repetitions")
    ap.add_argument("--check-only", action="store_true", help="setup + check only, no timings")
    args = ap.parse_args(argv)

    try:
        import numpy as np
    except Exception as exc:
        emit({"type": "fatal",
              "message": "numpy is not installed for %s: %s" % (sys.executable, exc)})
        return 3
    if not os.path.isdir(args.kernels):
        emit({"type": "fatal", "message": "kernel directory not found: %s" % args.kernels})
        return 2

    rules = [r.strip().upper() for spec in args.rule for r in spec.split(",") if r.strip()]
    threads = args.threads or _default_threads()
    cfg = Settings(args.quick)
    kernels, unknown = find_kernels(args.kernels, rules)

    emit(env_line(np))
    for rule in unknown:
        emit({"type": "skipped", "rule": rule, "reason": "no kernel for this rule"})
    pools = Pools()
    try:
        for i, k in enumerate(kernels):
            k.load()
            sizes = [k.quick_size] if (args.quick and k.mod) else k.sizes
            emit({"type": "start", "rule": k.rule, "sizes": sizes, "total": len(kernels),
                  "index": i})
            if k.missing:
                emit({"type": "skipped", "rule": k.rule,
                      "reason": ", ".join(k.missing) + " not installed"})
            elif k.error:
                emit({"type": "result", "rule": k.rule, "size": None, "check": "error",
                      "error": k.error})
            else:
                for n in sizes:
                    emit(run_size(pools, k, n, threads, cfg, args.check_only))
    finally:
        pools.close()
    foreign = LoadLog.samples
    emit({"type": "done", "loadavg": loadavg(), "samples": len(foreign),
          "retaken": LoadLog.retaken,
          "foreign_mean": round(statistics.mean(foreign), 3) if foreign else None,
          "foreign_max": round(max(foreign), 3) if foreign else None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
