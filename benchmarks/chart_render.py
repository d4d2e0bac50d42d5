"""What each lesson's charts cost the browser, and what parts of them cost the most.

    python benchmarks/chart_render.py                      # every lesson, 6 steps each, about a minute
    python benchmarks/chart_render.py --pages training --steps 8

Walks each lesson with one protocol-level student (benchmarks/load.py) and keeps the Plotly figure
specs the server sends at each step (exactly the JSON Streamlit's frontend receives). Then, in headless
Chromium with plotly.js (the copy shipped with the plotly package: same major version as Streamlit's),
draws each chart as a step change does (Plotly.react from the previous step's figure, then one frame),
and again with parts removed: contour traces (contour lines are computed in the browser), annotations,
shapes. The differences say which part of a figure the browser pays for. Streamlit's own theme is not
applied here, so the absolute times are a little lower than in the app.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly  # noqa: E402

from benchmarks import load  # noqa: E402
from benchmarks.servers import CHROMIUM, CHROMIUM_ARGS, RESULTS, machine, streamlit  # noqa: E402

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class Collector(load.Student):
    """Keeps the Plotly specs of every run, in page order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.charts: list[tuple[tuple[int, ...], str]] = []

    async def _run(self, msg):
        self.charts = []
        return await super()._run(msg)

    def _delta(self, fwd, fresh, run, t0):
        delta = fwd.delta
        if delta.WhichOneof("type") == "new_element" and delta.new_element.WhichOneof("type") == "plotly_chart":
            self.charts.append((tuple(fwd.metadata.delta_path), delta.new_element.plotly_chart.spec))
        super()._delta(fwd, fresh, run, t0)


async def collect(url: str, lesson: str, steps: int) -> list[list[str]]:
    """Per step, the specs of the charts inside the stepper's stage (those a Next click redraws)."""
    s = Collector(url, lesson, "")
    await s.connect()
    per_step = []
    try:
        await s.load()
        for _ in range(steps):
            run = await s.click("next")
            per_step.append([spec for _, spec in sorted(s.charts)])
            if run.k >= run.n:
                break
    finally:
        await s.close()
    return per_step


RENDER = r"""
async ([previous, current, variant, width]) => {
  const strip = (fig) => {
    fig = JSON.parse(fig);
    if (variant === 'no contour') fig.data = fig.data.filter(t => t.type !== 'contour');
    if (variant === 'no annotations' && fig.layout) fig.layout.annotations = [];
    if (variant === 'no shapes' && fig.layout) fig.layout.shapes = [];
    if (variant === 'no heatmap') fig.data = fig.data.filter(t => t.type !== 'heatmap' && t.type !== 'contour');
    if (variant === 'labels as text trace' && fig.layout && fig.layout.annotations) {
      // every arrowless data-anchored annotation becomes a point of one scatter trace in text mode
      const keep = [], text = {type: 'scatter', mode: 'text', x: [], y: [], text: [], hoverinfo: 'skip',
                               showlegend: false, textfont: {size: 12}};
      for (const a of fig.layout.annotations) {
        if (a.showarrow === false && (a.xref || 'x') === 'x' && (a.yref || 'y') === 'y') {
          text.x.push(a.x); text.y.push(a.y); text.text.push(a.text);
        } else keep.push(a);
      }
      fig.layout.annotations = keep; fig.data.push(text);
    }
    return fig;
  };
  let box = document.getElementById('chart');
  if (!box) {     // --in-app: a chart of our own at the end of the lesson's main column
    box = document.createElement('div'); box.id = 'chart';
    document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(box);
  }
  Plotly.purge(box);
  box.style.width = width + 'px';
  const a = strip(previous), b = strip(current);
  await Plotly.newPlot(box, a.data, a.layout || {}, {displayModeBar: false, staticPlot: true});
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const t0 = performance.now();
  await Plotly.react(box, b.data, b.layout || {}, {displayModeBar: false, staticPlot: true});
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}
"""


def describe(spec: str) -> dict:
    fig = json.loads(spec)
    layout = fig.get("layout", {})
    return {"traces": sorted({t.get("type", "scatter") for t in fig.get("data", [])}),
            "annotations": len(layout.get("annotations", [])), "shapes": len(layout.get("shapes", [])),
            "kb": round(len(spec) / 1024, 1)}


def main(argv=None) -> dict:
    from playwright.sync_api import sync_playwright

    from pages.ui.lessons import LESSONS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=1000, help="chart width in px (a wide-layout main column)")
    parser.add_argument("--in-app", action="store_true",
                        help="draw inside the lesson's own page (its DOM, KaTeX and charts around), not a blank one")
    args = parser.parse_args(argv)
    lessons = [lesson.url_path for lesson in LESSONS if not args.pages or lesson.url_path in args.pages]

    results: dict = {"machine": machine(), "pages": {}, "in_app": args.in_app}
    with streamlit("app.py") as app:
        specs = {lesson: asyncio.run(collect(app.url, lesson, args.steps)) for lesson in lessons}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            if not args.in_app:
                page.set_content('<div id="chart"></div>')
                page.add_script_tag(path=str(PLOTLY_JS))
            for lesson, steps in specs.items():
                if args.in_app:
                    from benchmarks import bench_browser
                    _, page = bench_browser.new_page(browser, require_math=True)
                    bench_browser.open_page(page, f"{app.url}/{lesson}")
                    page.add_script_tag(path=str(PLOTLY_JS))
                charts = max((len(s) for s in steps), default=0)
                rows = []
                for c in range(charts):
                    pairs = [(a[c], b[c]) for a, b in zip(steps, steps[1:]) if len(a) > c and len(b) > c]
                    if not pairs:
                        continue
                    info = describe(pairs[-1][1])
                    variants = ["as sent"]
                    variants += ["no contour"] if "contour" in info["traces"] else []
                    variants += ["no heatmap"] if "heatmap" in info["traces"] else []
                    variants += ["no annotations", "labels as text trace"] if info["annotations"] else []
                    variants += ["no shapes"] if info["shapes"] else []
                    for variant in variants:
                        times = [page.evaluate(RENDER, [a, b, variant, args.width])
                                 for _ in range(args.repeat) for a, b in pairs]
                        info[variant] = round(statistics.median(times), 1)
                    rows.append(info)
                results["pages"][lesson] = rows
            browser.close()

    out = RESULTS / ("charts-in-app.json" if args.in_app else "charts.json")
    out.write_text(json.dumps(results, indent=2))
    print("ms for Plotly.react from one step's figure to the next, then a frame (median); kB of JSON")
    for lesson, rows in results["pages"].items():
        total = sum(r["as sent"] for r in rows)
        print(f"{lesson}: {len(rows)} chart(s) redrawn per step, {total:.0f} ms in all")
        for r in rows:
            extra = ", ".join(f"{k} {r[k]:.0f}" for k in ("no contour", "no heatmap", "no annotations",
                                                           "labels as text trace", "no shapes") if k in r)
            print(f"   {'+'.join(r['traces']):28} {r['kb']:6.1f} kB  {r['annotations']:3d} annotations "
                  f"{r['shapes']:3d} shapes"
                  f"  {r['as sent']:6.1f} ms" + (f"  ({extra})" if extra else ""))
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
