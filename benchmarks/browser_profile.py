"""Where the browser spends a lesson's Next click or slider move: a JavaScript CPU profile over a few.

    python benchmarks/browser_profile.py chain_rule_graph            # 6 clicks
    python benchmarks/browser_profile.py deep_networks --inputs      # 6 slider moves instead
    python benchmarks/browser_profile.py training --clicks 4 --option runner.postScriptGC=false

Opens the lesson in headless Chromium (as benchmarks/bench_browser.py does), clicks Next once to warm
up, then records Chrome's sampling profiler (CDP Profiler domain) over --clicks timed clicks (with
--inputs, ArrowRight on the sidebar's first slider, a full rerun with new numbers). Prints the
repaint times and main-thread long tasks per click, the self time per script file and per function, and
the inclusive time of the heaviest call paths (minified names: read them with the file they come from;
PlotlyChart*.js is plotly.js, react-dom*.js is React, StreamlitMarkdown*.js renders markdown and KaTeX).
Builtins such as getTotalLength or getBoundingClientRect include the style and layout they force.
"""
from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_browser as B  # noqa: E402
from benchmarks.servers import CHROMIUM, CHROMIUM_ARGS, streamlit  # noqa: E402


def main(argv=None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lesson")
    parser.add_argument("--clicks", type=int, default=6)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--inputs", action="store_true", help="move the sidebar's first slider instead")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    with streamlit("app.py", *(f"--{o}" for o in args.option)) as app, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = B.new_page(browser, require_math=True)
        B.open_page(page, f"{app.url}/{args.lesson}")
        code = B.stepper_code(page)
        B.click(page, code)
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        runs = [B.slider_key(page) if args.inputs else B.click(page, code) for _ in range(args.clicks)]
        profile = cdp.send("Profiler.stop")["profile"]
        browser.close()

    action = "slider" if args.inputs else "Next"
    print(f"{action} -> done ms:", [round(r["done"]) for r in runs], " long tasks ms:",
          [round(r.get("long_tasks") or 0) for r in runs], " last message ms:",
          [round(r["last_message"] or 0) for r in runs])
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    self_time = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        self_time[sample] += delta / 1e3 / args.clicks          # ms per click
    by_file, by_function, inclusive = collections.Counter(), collections.Counter(), collections.Counter()
    for node_id, ms in self_time.items():
        frame = nodes[node_id]["callFrame"]
        file = frame["url"].rsplit("/", 1)[-1] or f"({frame['functionName'] or 'native'})"
        by_file[file] += ms
        by_function[f"{frame['functionName'] or '(anonymous)'}  {file}"] += ms
        seen, walk = set(), node_id
        while walk is not None:
            f = nodes[walk]["callFrame"]
            key = f"{f['functionName'] or '(anonymous)'}  {f['url'].rsplit('/', 1)[-1]}"
            if key not in seen:
                inclusive[key] += ms
                seen.add(key)
            walk = parent.get(walk)
    for title, counter in (("self time by file", by_file), ("self time by function", by_function),
                           ("inclusive time", inclusive)):
        print(f"\n{title} (ms per click)")
        for name, ms in counter.most_common(args.top):
            print(f"  {ms:7.1f}  {name[:120]}")


if __name__ == "__main__":
    main()
