"""Where a lesson's Next click spends its time on the server, and what it sends to the browser.

    python benchmarks/profile_page.py matrix_network           # 12 Next clicks, top 25 functions
    python benchmarks/profile_page.py chain_rule_graph --clicks 20 --top 40

Starts the app under a launcher that wraps every script run in cProfile (the profile covers only the
fragment runs, i.e. the Next clicks: the page's own code, Streamlit's element marshalling and Plotly), drives the lesson
with one protocol-level student (benchmarks/load.py) through a first load and --clicks Next clicks, then
prints: per click, when each delta arrived (ms after the click) and how big it was, so that the slow
element stands out; the largest messages by kind; and the functions with the most cumulative time
under the page, read from the profile. cProfile slows Python code down (about 1.5-2x), so read the
profile for proportions and the delta timeline (measured without the profiler: --no-profile) for times.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import load  # noqa: E402
from benchmarks.servers import RESULTS, free_port, stop, streamlit_command, wait_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the server process: wrap ScriptRunner._run_script in one shared cProfile.Profile and dump
# the stats after each run. Script runs are serialised per session and this tool drives one session.
LAUNCHER = r"""
import cProfile, sys
from streamlit.runtime.scriptrunner import script_runner as sr
profile = cProfile.Profile()
stats_file = sys.argv[1]
original = sr.ScriptRunner._run_script
FULL = sys.argv.pop(2) == "full"
def profiled(self, rerun_data, *args, **kwargs):
    if bool(rerun_data.fragment_id_queue) == FULL:   # profile Next clicks (fragment runs) or full runs
        return original(self, rerun_data, *args, **kwargs)
    profile.enable()
    try:
        return original(self, rerun_data, *args, **kwargs)
    finally:
        profile.disable()
        profile.dump_stats(stats_file)     # after every run: the server's own signal handlers win at exit
sr.ScriptRunner._run_script = profiled
from streamlit.web import cli
sys.argv = ["streamlit"] + sys.argv[2:]
cli.main()
"""


class Timeline(load.Student):
    """A student that also notes when each delta arrived and how large it was."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.events: list[tuple[float, str, int]] = []
        self._t0 = 0.0

    async def _run(self, msg):
        self.events = []
        self._t0 = time.perf_counter()
        return await super()._run(msg)

    def _delta(self, fwd, fresh, run, t0):
        delta = fwd.delta
        which = delta.WhichOneof("type")
        kind = delta.new_element.WhichOneof("type") if which == "new_element" else which
        if kind == "markdown" and delta.new_element.markdown.element_type == load.LATEX:
            kind = "latex"
        self.events.append(((time.perf_counter() - self._t0) * 1e3, kind, fwd.ByteSize()))
        super()._delta(fwd, fresh, run, t0)


async def drive(url: str, lesson: str, clicks: int, inputs: int) -> tuple[list, list]:
    """Timelines of `clicks` Next clicks, then of `inputs` moves of the first slider (one step each)."""
    student = Timeline(url, lesson, "")
    await student.connect()
    timelines, changes = [], []
    try:
        first = await student.load()
        k, n = first.k, first.n
        for _ in range(clicks):
            if k >= n:
                k = (await student.click("first")).k
            run = await student.click("next")
            k = run.k
            timelines.append(student.events + [(run.done_s * 1e3, "script_finished", 0)])
        sliders = student.sliders()
        for i in range(inputs if sliders else 0):
            param = sliders[0]
            step = next(el.step for _, _, (kind, el) in student.widgets.values()
                        if kind == "slider" and el.query_param_key == param)
            run = await student.change(param, step)
            changes.append(student.events + [(run.done_s * 1e3, "script_finished", 0)])
    finally:
        await student.close()
    return timelines, changes


def report_timelines(timelines, what: str = "Next click") -> None:
    done = [t[-1][0] for t in timelines]
    print(f"{what} -> script_finished: median {statistics.median(done):.0f} ms over {len(done)} clicks "
          f"(min {min(done):.0f}, max {max(done):.0f})")
    slowest = max(timelines, key=lambda t: t[-1][0])
    median_click = sorted(timelines, key=lambda t: t[-1][0])[len(timelines) // 2]
    for title, tl in (("median click", median_click), ("slowest click", slowest)):
        print(f"\n{title}: ms after the click, gap since the previous message, element, bytes")
        previous = 0.0
        for at, kind, size in tl:
            flag = "  <--" if at - previous > 15 else ""
            print(f"  {at:7.1f}  +{at - previous:6.1f}  {kind:18} {size:7d}{flag}")
            previous = at
    sizes: dict[str, list[int]] = {}
    for tl in timelines:
        for _, kind, size in tl:
            sizes.setdefault(kind, []).append(size)
    print("\nper click, by element kind: count, total bytes (median click)")
    for kind, values in sorted(sizes.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {kind:18} {len(values) / len(timelines):5.1f}  {sum(values) / len(timelines):9.0f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lesson", help="url path, e.g. matrix_network")
    parser.add_argument("--clicks", type=int, default=12)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--inputs", type=int, default=0, help="then move the first slider this many times")
    parser.add_argument("--profile-inputs", action="store_true",
                        help="profile the full reruns (first load and slider moves) instead of the Next clicks")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit option for the server, e.g. runner.postScriptGC=false")
    parser.add_argument("--no-profile", action="store_true", help="timeline only, without cProfile's overhead")
    args = parser.parse_args(argv)

    port = free_port()
    stats_file = RESULTS / f"profile-{args.lesson}.pstats"
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = streamlit_command("app.py", port, *(f"--{o}" for o in args.option))
    if not args.no_profile:
        mode = "full" if args.profile_inputs else "next"
        command = [sys.executable, "-c", LAUNCHER, str(stats_file), mode] + command[3:]  # not "python -m streamlit"
    with open(RESULTS / f"profile-{args.lesson}.log", "wb") as log:
        process = __import__("subprocess").Popen(command, cwd=ROOT, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process)
            timelines, changes = asyncio.run(drive(url, args.lesson, args.clicks, args.inputs))
        finally:
            stop(process)
    report_timelines(timelines)
    if changes:
        print("\n== slider moves (full reruns, new input values: cold caches)")
        report_timelines(changes, what="Slider move")
    if args.no_profile:
        return
    out = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=out)
    stats.sort_stats("cumulative").print_stats(args.top)
    text = out.getvalue()
    print("\n" + text[text.index("   ncalls"):] if "   ncalls" in text else text)
    runs = "full reruns" if args.profile_inputs else "Next clicks"
    print(f"profile: {stats_file} ({runs} only; open with python -m pstats)")


if __name__ == "__main__":
    main()
