"""A class at once: N simulated students on one server (or behind nginx), each stepping through a lesson.

    python benchmarks/load.py                    # 30 students, one server, about 1.5 minutes
    python benchmarks/load.py --burst            # every student clicks Next at the same instant
    python benchmarks/load.py --deploy           # the same through deploy/local.py: nginx + 2 replicas
    python benchmarks/load.py --students 60 --clicks 20 --think 1.0 --time-limit 240
    python benchmarks/load.py --soak 600         # 10 minutes of 30 students coming and going: errors, memory

Students are simulated at the protocol level: each is one websocket to /_stcore/stream speaking
Streamlit's own protobufs (BackMsg out, ForwardMsg in), exactly what the browser sends on a click
(rerun_script with the button's trigger, its fragment id and every widget's state). A browser page per
student would put thirty Chromium renderers on the same two cores as the server and time the
renderers' contention, not the server; the single-user repaint cost in a real browser is what
benchmarks/bench_browser.py measures. Each student first fetches the page over HTTP (as a browser does,
which also gives it nginx's sticky cookie), then opens the websocket.

Reported: the single-student median Next latency (measured first, alone, on the same server), then with
N students: p50/p95 of Next latency (click sent -> the rerun's script_finished received: the whole new
step delivered; also -> the new "Step k of n" received), first-load latency, and the server's RSS
(/proc) fresh, before (after one warm-up session), during (peak), right after the sessions close (Streamlit
keeps a closed session for reconnection for server.disconnectedSessionTTL, here --ttl seconds), and after
that TTL. Isolation: student i opens the lesson with its own input value in the URL (--param, default
cg-x on the chain-rule lesson), checks that every slider value the server sends it is its own and that
every step's value is the one bp_core computes for its input (chain-rule lesson), or, on another lesson,
that the two students sharing a value saw the same numbers. Bounded by --time-limit.

--soak SECONDS: instead of one class, --students places that students keep coming to and leaving for that
long: each student opens the lesson (its own cg-x), clicks Next 3 to 8 times (--think apart), checks its
numbers and closes; another takes its place at once. Reports every error, the Next latency, and the
server's RSS every minute, with its drift from the end of the second minute to the end (memory is
"flat" when that is small), and after the sessions close and their TTL passes.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets  # noqa: E402  (a dependency of streamlit itself)
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks.servers import RESULTS, machine, rss_mb, streamlit  # noqa: E402

COUNTER = re.compile(r"\*\*Step (\d+) of (\d+)\*\*")
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
LATEX = 4  # Markdown.Type.LATEX
RUN_TIMEOUT = 60.0


def widget_value(kind: str, el, state) -> bool:
    """Set ``state`` (a WidgetState) to what the browser would send for this widget; False if not a value widget."""
    if kind == "checkbox":
        state.bool_value = el.value if el.set_value else el.default
    elif kind in ("selectbox", "radio"):
        if el.set_value:
            state.string_value = el.raw_value
        elif len(el.options) > el.default >= 0:
            state.string_value = el.options[el.default]
        else:
            return False
    elif kind == "slider":
        values = list(el.value) if el.set_value else list(el.default)
        if el.type == el.Type.Value("SELECT_SLIDER"):
            state.string_array_value.data.extend(el.options[int(v)] for v in values)
        else:
            state.double_array_value.data.extend(values)
    elif kind == "number_input":
        value = el.value if el.set_value else el.default
        if el.data_type == el.DataType.Value("INT"):
            state.int_value = int(value)
        else:
            state.double_value = value
    else:
        return False
    return True


@dataclass
class Run:
    """What one rerun delivered."""

    counter_s: float | None = None      # send -> the message with the new "Step k of n"
    done_s: float | None = None         # send -> script_finished
    k: int | None = None
    n: int | None = None
    sliders: dict[str, float] = field(default_factory=dict)   # query key -> value the server set
    exception: str | None = None


class Student:
    def __init__(self, base: str, lesson: str, query: str):
        self.base, self.lesson, self.query = base, lesson, query
        self.ws = None
        self.widgets: dict[str, tuple[str, str, object]] = {}   # user key -> (id, fragment id, element)
        self.tree: dict[tuple[int, ...], object] = {}           # delta path -> element or block
        self.stage: tuple[int, ...] | None = None               # path of the stepper's stage block
        self.replica = ""
        self.seen: dict[int, str] = {}                          # step k -> the panel's value LaTeX

    async def connect(self) -> None:
        url = f"{self.base}/{self.lesson}" + (f"?{self.query}" if self.query else "")
        cookie, _ = await asyncio.to_thread(_http_get, url)
        headers = {"Cookie": cookie} if cookie else {}
        host = self.base.split("://", 1)[1]
        self.ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                           origin=self.base, additional_headers=headers, max_size=None,
                                           open_timeout=RUN_TIMEOUT, ping_interval=None)
        self.replica = self.ws.response.headers.get("X-Backprop-Replica", "")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def load(self) -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = self.lesson
        state.context_info.url = f"{self.base}/{self.lesson}?{self.query}"
        return await self._run(msg)

    async def click(self, name: str) -> Run:
        """Press one of the stepper's buttons (key <code>-<name>), sending every widget's state like a browser."""
        key = next(k for k in self.widgets if k.endswith(f"-{name}") and k.count("-") == 1)
        button_id, fragment, _ = self.widgets[key]
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name = self.lesson
        state.fragment_id = fragment
        state.context_info.url = f"{self.base}/{self.lesson}?{self.query}"
        for user_key, (wid, _, (kind, el)) in self.widgets.items():
            if wid == button_id:
                continue
            w = state.widget_states.widgets.add()
            w.id = wid
            if not widget_value(kind, el, w):
                del state.widget_states.widgets[-1]
        w = state.widget_states.widgets.add()
        w.id = button_id
        w.trigger_value = True
        return await self._run(msg)

    async def change(self, param: str, delta: float) -> Run:
        """Move the slider bound to URL parameter `param` by `delta`, like a keyboard step: a full rerun."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name = self.lesson
        state.context_info.url = f"{self.base}/{self.lesson}?{self.query}"
        for user_key, (wid, _, (kind, el)) in self.widgets.items():
            w = state.widget_states.widgets.add()
            w.id = wid
            if not widget_value(kind, el, w):
                del state.widget_states.widgets[-1]
            elif kind == "slider" and el.query_param_key == param:
                values = list(w.double_array_value.data)
                w.double_array_value.ClearField("data")
                w.double_array_value.data.extend(min(el.max, max(el.min, v + delta)) for v in values)
        return await self._run(msg)

    def sliders(self) -> list[str]:
        """URL parameters of the numeric sliders on the page, in the order they came."""
        return [el.query_param_key for _, _, (kind, el) in self.widgets.values()
                if kind == "slider" and el.query_param_key and el.type == el.Type.Value("SLIDER") and not el.disabled]

    async def _run(self, msg: BackMsg) -> Run:
        run = Run()
        fresh: dict[tuple[int, ...], object] = {}
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            data = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                fresh.clear()
            elif kind == "delta":
                self._delta(fwd, fresh, run, t0)
            elif kind == "script_finished" and fwd.script_finished != EARLY:
                run.done_s = time.perf_counter() - t0
                break
        # A fragment run replaces the fragment's subtree; a full run replaces everything.
        if fresh:
            root = min(fresh, key=len) if msg.rerun_script.fragment_id else ()
            self.tree = {p: e for p, e in self.tree.items() if p[:len(root)] != root}
            self.tree.update(fresh)
        if run.k is not None and self.stage is not None:
            latex = [e for p, e in sorted(self.tree.items()) if p[:len(self.stage)] == self.stage
                     and isinstance(e, tuple) and e[0] == "latex"]
            if latex:
                self.seen[run.k] = latex[-1][1]
        return run

    def _delta(self, fwd: ForwardMsg, fresh: dict, run: Run, t0: float) -> None:
        path = tuple(fwd.metadata.delta_path)
        delta = fwd.delta
        which = delta.WhichOneof("type")
        if which == "add_block":
            fresh[path] = ("block", delta.add_block.id)
            if delta.add_block.id.endswith("-bp-stage"):
                self.stage = path
            return
        if which != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        el = getattr(element, kind)
        if kind == "markdown":
            body = el.body
            fresh[path] = ("latex", body.strip("$\n ")) if el.element_type == LATEX else ("md", body)
            match = COUNTER.search(body)
            if match:
                run.k, run.n = int(match[1]), int(match[2])
                run.counter_s = time.perf_counter() - t0
        elif kind == "exception":
            run.exception = f"{el.type}: {el.message}"
        else:
            fresh[path] = (kind, None)
        wid = getattr(el, "id", "")
        if isinstance(wid, str) and wid.startswith("$$ID-"):
            user_key = wid.split("-", 2)[2] if wid.count("-") >= 2 else wid
            self.widgets[user_key] = (wid, delta.fragment_id, (kind, el))
            if kind == "slider" and el.query_param_key and el.set_value and len(el.value) == 1:
                run.sliders[el.query_param_key] = el.value[0]


def _http_get(url: str) -> tuple[str, str]:
    """Fetch the page as a browser would; return nginx's sticky cookie (if any) and the replica that answered."""
    with urllib.request.urlopen(url, timeout=RUN_TIMEOUT) as response:
        response.read()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        sticky = "; ".join(c for c in cookies if c.startswith("bplab_replica="))
        return sticky, response.headers.get("X-Backprop-Replica", "")


# -- what each student should see ---------------------------------------------------------------------------
def expected_values(lesson: str, param: str, value: float) -> list[str] | None:
    """The value LaTeX of every step for this input, from bp_core (chain-rule lesson, first example)."""
    if lesson != "chain_rule_graph" or not param.startswith("cg-") or param.count("-") != 1:
        return None
    from bp_core import graph_examples
    from bp_core import presets as P
    from bp_core.step import value_latex
    values = dict(P.GRAPHS["sum_times"], **{param[3:]: value})
    output = graph_examples.build("sum_times", values)
    steps = [s.value for s in output.forward_steps()] + [s.product for s in output.backward()]
    return [value_latex(v).strip("$\n ") for v in steps]


async def walk(student: Student, clicks: int, think: float, rng: random.Random, barrier=None, loaded=None) -> dict:
    """Load the lesson, wait for the others to have loaded too (`loaded`), then click Next `clicks` times
    (First, untimed, at the last step)."""
    t = time.perf_counter()
    await student.connect()
    first = await student.load()
    result = {"load_s": time.perf_counter() - t, "runs": [first], "next": []}
    if loaded is not None:
        await loaded.wait()
    k, n = first.k, first.n
    if k is None:
        raise RuntimeError(f"no 'Step k of n' on {student.lesson}: {first.exception or 'no stepper'}")
    for _ in range(clicks):
        if barrier is not None:
            await barrier.wait()
        elif think:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        if k >= n:
            r = await student.click("first")
            result["runs"].append(r)
            k = r.k
        r = await student.click("next")
        result["runs"].append(r)
        result["next"].append(r)
        if r.k != k + 1:
            raise RuntimeError(f"Next from step {k} showed step {r.k}")
        k = r.k
    return result


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


async def session_poke(base: str, lesson: str) -> None:
    """One short session: Streamlit drops expired closed sessions when it stores a new one."""
    s = Student(base, lesson, "")
    await s.connect()
    await s.load()
    await s.close()


async def measure(base: str, pids: list[int], args, replicas: list[str] | None = None) -> dict:
    rng = random.Random(args.seed)
    mem = lambda: round(sum(rss_mb(p) for p in pids), 1)  # noqa: E731
    out: dict = {"rss_mb": {"fresh": mem()}}

    # Warm-up of every replica (directly, not through nginx): imports and the lesson's default traces, as
    # after the first student of the day.
    for url in replicas or [base]:
        await session_poke(url, args.lesson)
    out["rss_mb"]["before"] = mem()

    # One student alone: the reference for the p95 target.
    solo = Student(base, args.lesson, f"{args.param}={args.value0 - args.spacing:g}")
    try:
        alone = await walk(solo, args.clicks, args.think, rng)
    finally:
        await solo.close()
    single = [r.done_s for r in alone["next"]]
    out["single"] = {"next_p50_ms": round(1e3 * statistics.median(single), 1),
                     "next_counter_p50_ms": round(1e3 * statistics.median(r.counter_s for r in alone["next"]), 1),
                     "load_ms": round(1e3 * alone["load_s"], 1)}
    out["rss_mb"]["after_single"] = mem()

    # The class.
    values = [round(args.value0 + args.spacing * (i if args.lesson == "chain_rule_graph" else i // 2), 6)
              for i in range(args.students)]
    students = [Student(base, args.lesson, f"{args.param}={v:g}") for v in values]
    barrier = asyncio.Barrier(args.students) if args.burst else None
    loaded = asyncio.Barrier(args.students)   # the class opens the page together, then steps
    peak = [out["rss_mb"]["before"]]
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            peak.append(mem())
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    t = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(*(walk(s, args.clicks, args.think, random.Random(args.seed + i), barrier, loaded)
                         for i, s in enumerate(students)), return_exceptions=True),
        args.time_limit)
    wall = time.perf_counter() - t
    connected_rss = mem()
    stop.set()
    await sampler
    for s in students:
        await s.close()
    out["rss_mb"]["during_peak"] = max(peak)
    out["rss_mb"]["all_connected_end"] = connected_rss
    await asyncio.sleep(1.0)
    out["rss_mb"]["after_close"] = mem()
    errors = [f"student {i}: {r!r}" for i, r in enumerate(results) if isinstance(r, BaseException)]
    ok = [r for r in results if not isinstance(r, BaseException)]

    # Isolation.
    problems = []
    for i, (s, r, v) in enumerate(zip(students, results, values)):
        if isinstance(r, BaseException):
            continue
        for run in r["runs"]:
            if run.exception:
                problems.append(f"student {i}: exception {run.exception}")
            for key, got in run.sliders.items():
                if key == args.param and abs(got - v) > 1e-9:
                    problems.append(f"student {i} ({args.param}={v}) was sent {key}={got}")
        expected = expected_values(args.lesson, args.param, v)
        if expected is not None:
            for k, shown in s.seen.items():
                if shown != expected[k - 1]:
                    problems.append(f"student {i} ({args.param}={v}) step {k}: shown {shown}, "
                                    f"bp_core {expected[k - 1]}")
    if expected_values(args.lesson, args.param, values[0]) is None:   # pairs that share a value see the same
        for i in range(0, len(students) - 1, 2):
            a, b = students[i].seen, students[i + 1].seen
            for k in a.keys() & b.keys():
                if a[k] != b[k]:
                    problems.append(f"students {i} and {i + 1} share {args.param}={values[i]} but differ at step {k}")
    checked = sum(len(s.seen) for s in students)

    # After the TTL the closed sessions can go; a new session makes Streamlit drop them.
    await asyncio.sleep(args.ttl + 1.5)
    await session_poke(base, args.lesson)
    await asyncio.sleep(1.5)
    out["rss_mb"]["after_ttl"] = mem()

    nexts = [run for r in ok for run in r["next"]]
    done = [run.done_s for run in nexts]
    counter = [run.counter_s for run in nexts]
    loads = [r["load_s"] for r in ok]
    replicas: dict[str, int] = {}
    for s in students:
        replicas[s.replica or "single"] = replicas.get(s.replica or "single", 0) + 1
    out["load"] = {
        "students": args.students, "completed": len(ok), "clicks_each": args.clicks, "wall_s": round(wall, 1),
        "next_p50_ms": round(1e3 * statistics.median(done), 1) if done else None,
        "next_p95_ms": round(1e3 * percentile(done, 0.95), 1) if done else None,
        "next_max_ms": round(1e3 * max(done), 1) if done else None,
        "next_counter_p50_ms": round(1e3 * statistics.median(counter), 1) if counter else None,
        "next_counter_p95_ms": round(1e3 * percentile(counter, 0.95), 1) if counter else None,
        "first_load_p50_ms": round(1e3 * statistics.median(loads), 1) if loads else None,
        "first_load_p95_ms": round(1e3 * percentile(loads, 0.95), 1) if loads else None,
        "clicks_per_s": round(len(nexts) / wall, 1),
        "sessions_per_replica": replicas,
    }
    r = out["rss_mb"]
    out["load"]["p95_over_single_p50"] = (round(out["load"]["next_p95_ms"] / out["single"]["next_p50_ms"], 2)
                                          if done else None)
    out["memory"] = {
        "per_session_mb": round((r["during_peak"] - r["after_single"]) / args.students, 2),
        "after_ttl_over_before": round(r["after_ttl"] / r["before"], 3),
    }
    out["isolation"] = {"steps_checked": checked,
                        "bp_core_checked": expected_values(args.lesson, args.param, 0.0) is not None,
                        "problems": problems[:20], "n_problems": len(problems), "errors": errors[:10]}
    return out


async def soak(base: str, pids: list[int], args) -> dict:
    """Students coming and going for args.soak seconds; see the module's docstring."""
    mem = lambda: round(sum(rss_mb(p) for p in pids), 1)  # noqa: E731
    out: dict = {"rss_mb": {"fresh": mem()}}
    await session_poke(base, args.lesson)
    out["rss_mb"]["before"] = mem()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    timeline: list[tuple[float, float]] = [(0.0, out["rss_mb"]["before"])]
    latencies: list[float] = []
    errors: list[str] = []
    problems: list[str] = []
    visits = [0]

    async def visit(n: int) -> None:
        value = round(args.value0 + args.spacing * (n % 60), 6)
        student = Student(base, args.lesson, f"{args.param}={value:g}")
        try:
            result = await walk(student, rng.randint(3, 8), args.think, random.Random(args.seed + n))
            latencies.extend(run.done_s for run in result["next"])
            expected = expected_values(args.lesson, args.param, value)
            for run in result["runs"]:
                if run.exception:
                    problems.append(f"visit {n}: exception {run.exception}")
            for k, shown in student.seen.items():
                if expected is not None and shown != expected[k - 1]:
                    problems.append(f"visit {n} ({args.param}={value}) step {k}: shown {shown}, "
                                    f"bp_core {expected[k - 1]}")
        except Exception as error:  # noqa: BLE001 (every failure is counted and reported)
            errors.append(f"visit {n}: {error!r}"[:300])
        finally:
            await student.close()
            visits[0] += 1

    async def place(i: int) -> None:
        await asyncio.sleep(i * args.think / args.students)   # arrivals spread over the first second
        n = i
        while time.perf_counter() - start < args.soak:
            await visit(n)
            n += args.students

    async def sample() -> None:
        while time.perf_counter() - start < args.soak:
            await asyncio.sleep(5.0)
            timeline.append((round(time.perf_counter() - start, 1), mem()))

    await asyncio.wait_for(asyncio.gather(*(place(i) for i in range(args.students)), sample()),
                           args.soak + 2 * RUN_TIMEOUT)
    wall = time.perf_counter() - start
    out["rss_mb"]["end"] = mem()
    await asyncio.sleep(args.ttl + 1.5)
    await session_poke(base, args.lesson)
    await asyncio.sleep(1.5)
    out["rss_mb"]["after_ttl"] = mem()
    per_minute = {}
    for t, rss in timeline:
        per_minute[int(t // 60)] = rss   # the last sample of each minute
    late = [(t, rss) for t, rss in timeline if t >= 120]
    slope = None
    if len(late) >= 3:
        ts, rs = [t for t, _ in late], [r for _, r in late]
        mt, mr = statistics.fmean(ts), statistics.fmean(rs)
        slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rs)) / sum((t - mt) ** 2 for t in ts) * 60
    out["soak"] = {
        "seconds": round(wall), "places": args.students, "visits": visits[0], "next_clicks": len(latencies),
        "errors": len(errors), "error_samples": errors[:10],
        "problems": len(problems), "problem_samples": problems[:10],
        "next_p50_ms": round(1e3 * statistics.median(latencies), 1) if latencies else None,
        "next_p95_ms": round(1e3 * percentile(latencies, 0.95), 1) if latencies else None,
        "rss_mb_by_minute": per_minute,
        "rss_mb_min_max_after_2_min": [min(r for _, r in late), max(r for _, r in late)] if late else None,
        "rss_mb_per_minute_after_2_min": round(slope, 2) if slope is not None else None,
        "rss_timeline": timeline,
    }
    return out


def report_soak(out: dict) -> None:
    s, r = out["soak"], out["rss_mb"]
    where = "nginx + %d replicas" % len(out["pids"]) if out["deploy"] else "one server"
    print(f"\nsoak: {s['seconds']} s on {where}, {s['places']} places, {s['visits']} visits, {s['next_clicks']} Next "
          f"clicks; {s['errors']} errors, {s['problems']} wrong numbers or exceptions")
    print(f"  Next p50 {s['next_p50_ms']} ms, p95 {s['next_p95_ms']} ms")
    print(f"  RSS MB: fresh {r['fresh']}, before {r['before']}, by minute {s['rss_mb_by_minute']}, end {r['end']}, "
          f"after TTL {r['after_ttl']}")
    print(f"  after the second minute: RSS {s['rss_mb_min_max_after_2_min']} MB (min, max), "
          f"trend {s['rss_mb_per_minute_after_2_min']} MB per minute")
    for line in s["error_samples"][:5] + s["problem_samples"][:5]:
        print("   ", line)


def report(out: dict) -> None:
    s, c, r, m, iso = out["single"], out["load"], out["rss_mb"], out["memory"], out["isolation"]
    where = "nginx + %d replicas" % len(out["pids"]) if out["deploy"] else "one server"
    pace = "burst" if out["settings"]["burst"] else "think ~%.1f s" % out["settings"]["think"]
    print(f"\n{c['students']} students ({pace}) "
          f"on {where}, lesson {out['settings']['lesson']}, {c['clicks_each']} Next clicks each, {c['wall_s']} s")
    print(f"  single student: Next {s['next_p50_ms']} ms (median; counter {s['next_counter_p50_ms']} ms), "
          f"first load {s['load_ms']} ms")
    print(f"  with the class: Next p50 {c['next_p50_ms']} ms, p95 {c['next_p95_ms']} ms "
          f"(= {c['p95_over_single_p50']}x the single median), max {c['next_max_ms']} ms; "
          f"counter p50/p95 {c['next_counter_p50_ms']}/{c['next_counter_p95_ms']} ms")
    print(f"  first load p50/p95 {c['first_load_p50_ms']}/{c['first_load_p95_ms']} ms; "
          f"{c['clicks_per_s']} clicks/s served; sessions per replica {c['sessions_per_replica']}")
    print(f"  RSS MB: fresh {r['fresh']}, before {r['before']}, after one student {r['after_single']}, peak "
          f"{r['during_peak']}, after close {r['after_close']}, after TTL {r['after_ttl']} "
          f"-> {m['per_session_mb']} MB per session, after/before {m['after_ttl_over_before']}")
    print(f"  isolation: {iso['steps_checked']} step values checked "
          f"({'against bp_core' if iso['bp_core_checked'] else 'between students sharing a value'}), "
          f"{iso['n_problems']} problems, {len(iso['errors'])} errors")
    for line in iso["problems"][:5] + iso["errors"][:5]:
        print("   ", line)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--clicks", type=int, default=15, help="Next clicks per student (default 15)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds between a student's clicks, +-50%% at random (default 1.0)")
    parser.add_argument("--burst", action="store_true", help="all students click at the same instant, every time")
    parser.add_argument("--lesson", default="chain_rule_graph", help="url path of the lesson")
    parser.add_argument("--param", default="cg-x", help="URL parameter each student sets to its own value")
    parser.add_argument("--value0", type=float, default=-2.9, help="student i gets value0 + i*spacing")
    parser.add_argument("--spacing", type=float, default=0.1)
    parser.add_argument("--ttl", type=int, default=10, help="server.disconnectedSessionTTL for the run (default 10 s)")
    parser.add_argument("--deploy", action="store_true", help="through nginx + replicas (deploy/local.py)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=240, help="seconds for the class phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit option for the server(s), e.g. runner.postScriptGC=false (to try a setting)")
    parser.add_argument("--soak", type=float, metavar="SECONDS",
                        help="students coming and going for this long instead of one class (see above)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    name = ("soak" if args.soak else "load") + ("-deploy" if args.deploy else "")
    out_path = args.out or RESULTS / f"{name}.json"
    extra = ("--server.disconnectedSessionTTL", str(args.ttl), *(f"--{o}" for o in args.option))

    if args.deploy:
        from benchmarks.servers import free_port
        from deploy.local import cluster
        context = cluster(args.replicas, free_port(), extra=extra)
    else:
        context = streamlit("app.py", *extra)
    with context as server:
        pids = server.pids if args.deploy else [server.pid]
        replicas = [r.url for r in server.replicas] if args.deploy else None
        out = asyncio.run(soak(server.url, pids, args) if args.soak else measure(server.url, pids, args, replicas))
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    out |= {"machine": machine(), "settings": settings,
            "deploy": args.deploy, "pids": pids}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=2))
    (report_soak if args.soak else report)(out)
    print(f"wrote {out_path}")
    return out


if __name__ == "__main__":
    main()
