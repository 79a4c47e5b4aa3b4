// Page-side instruments of benchmarks/run.py, installed as a Playwright init
// script (so it runs before JupyterLab's own code on every page load).
//
// * Every WebSocket to a kernel's /channels endpoint logs each frame it sends
//   or receives: [performance.now(), direction (0 received, 1 sent), socket id,
//   bytes]. run.py pairs these entries, by order, with the frames Playwright
//   reports through page.on("websocket") (which give the content), so each
//   frame gets a page-clock timestamp.
// * window.__B holds helpers run.py calls with page.evaluate: run a cell and
//   wait for the first complete paint, wait for a refresh, a requestAnimationFrame
//   recorder. Every wait has a timeout; nothing here can hang a call.
(() => {
  if (window.__B) return;
  const log = [];
  const urls = {};
  const isKernel = (u) => /\/api\/kernels\/[^/?]+\/channels/.test(u);
  const enc = new TextEncoder();
  const size = (d) => (typeof d === "string" ? enc.encode(d).length : (d && (d.byteLength ?? d.size)) || 0);
  const Orig = window.WebSocket;
  let nextId = 0;
  class BenchWebSocket extends Orig {
    constructor(url, protocols) {
      super(url, protocols);
      const u = String(url);
      if (isKernel(u)) {
        const id = ++nextId;
        this.__benchId = id;
        urls[id] = this.url || u;
        this.addEventListener("message", (e) => {
          log.push([performance.now(), 0, id, size(e.data)]);
        });
      }
    }
    send(data) {
      if (this.__benchId) log.push([performance.now(), 1, this.__benchId, size(data)]);
      return super.send(data);
    }
  }
  window.WebSocket = BenchWebSocket;

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const B = {
    log,
    urls,
    afterRender: [],
    pokers: new Set(),
  };
  window.__B = B;

  // plotly's FigureWidget announces each finished newPlot on the document.
  document.addEventListener("plotlywidget-after-render", () => {
    B.afterRender.push(performance.now());
    for (const p of B.pokers) p();
  });

  B.logSince = (k) => ({ entries: log.slice(k), urls: { ...urls } });
  B.now = () => performance.now();
  B.timeOrigin = () => performance.timeOrigin;

  /**
   * Resolve when check() first holds, at the first task after the next
   * animation frame (the frame that shows it has been painted), or on timeout.
   * check() runs on every animation frame, on DOM mutations and on pokes.
   */
  B.waitFor = (check, timeoutMs) =>
    new Promise((resolve) => {
      let done = false;
      let tCond = 0;
      let raf = 0;
      const finish = (r) => {
        if (done) return;
        done = true;
        cancelAnimationFrame(raf);
        mo.disconnect();
        clearTimeout(timer);
        B.pokers.delete(test);
        resolve(r);
      };
      const test = () => {
        if (done || tCond) return;
        let ok = false;
        try {
          ok = !!check();
        } catch (e) {
          ok = false;
        }
        if (ok) {
          tCond = performance.now();
          requestAnimationFrame(() => setTimeout(() => finish({ tCond, tPaint: performance.now() }), 0));
        }
      };
      const loop = () => {
        test();
        if (!done && !tCond) raf = requestAnimationFrame(loop);
      };
      const mo = new MutationObserver(test);
      mo.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-source", "data-replies", "data-requests"],
      });
      const timer = setTimeout(() => finish({ timeout: true, tCond: tCond || null }), timeoutMs);
      B.pokers.add(test);
      loop();
    });

  const notebook = () => window.jupyterapp.shell.currentWidget;

  /** Run code cell `idx` of the current notebook; resolves when it has run (or timeout). */
  B.runCell = async (idx, timeoutMs) => {
    const nb = notebook();
    nb.content.activeCellIndex = idx;
    nb.content.deselectAll();
    const t0 = performance.now();
    const r = await Promise.race([
      window.jupyterapp.commands.execute("notebook:run-cell").then(
        () => "done",
        (e) => "failed: " + e,
      ),
      sleep(timeoutMs).then(() => "timeout"),
    ]);
    return { status: r, ms: performance.now() - t0 };
  };

  B.clearOutputs = async () => {
    await window.jupyterapp.commands.execute("notebook:clear-all-cell-outputs");
  };

  B.kernelIdle = () => {
    const nb = notebook();
    const k = nb && nb.sessionContext.session && nb.sessionContext.session.kernel;
    return !!k && k.status === "idle";
  };

  const tsvParts = () => {
    const root = document.querySelector('.jp-Notebook [data-part="root"]');
    if (!root) return null;
    const det = root.querySelector('[data-part="detail"]');
    const ov = root.querySelector('[data-part="overview"]');
    return { root, det, ov, dc: det && det.querySelector("canvas"), oc: ov && ov.querySelector("canvas") };
  };
  const plotDiv = () => document.querySelector(".jp-Notebook .js-plotly-plot");

  /**
   * Run cell `idx` (which constructs and displays the widget) and wait for the
   * first complete paint. tsvideo: overview and detail canvases present and
   * the detail's data-source is "detail" (the kernel's detail arrived and was
   * drawn). plotly-resampler: FigureWidget finished its newPlot with all
   * `nch` traces holding data.
   */
  B.runAndPaint = async ({ idx, tool, nch, timeoutMs }) => {
    const nb = notebook();
    nb.content.activeCellIndex = idx;
    nb.content.deselectAll();
    B.afterRender = [];
    const res = { phases: {} };
    const P = res.phases;
    let check;
    if (tool === "tsvideo") {
      check = () => {
        const p = tsvParts();
        if (!p) return false;
        const now = performance.now() - res.t0;
        if (P.root == null) P.root = now;
        if (p.oc && p.oc.width > 0 && P.overviewCanvas == null) P.overviewCanvas = now;
        if (p.det && Number(p.det.dataset.requests) >= 1 && P.requestSeen == null) P.requestSeen = now;
        if (p.det && Number(p.det.dataset.replies) >= 1 && P.replySeen == null) P.replySeen = now;
        return !!(p.oc && p.dc && p.oc.width > 0 && p.dc.width > 0 && p.det.dataset.source === "detail");
      };
    } else {
      check = () => {
        const gd = plotDiv();
        if (!gd) return false;
        const now = performance.now() - res.t0;
        if (P.plotDiv == null) P.plotDiv = now;
        if (B.afterRender.length && P.afterRender == null) P.afterRender = B.afterRender[0] - res.t0;
        return (
          B.afterRender.length > 0 &&
          Array.isArray(gd.data) &&
          gd.data.length === nch &&
          gd._fullData &&
          gd._fullData.length === nch &&
          gd.data.every((t) => t.x && t.x.length > 0)
        );
      };
    }
    res.t0 = performance.now();
    res.wall0 = performance.timeOrigin + res.t0;
    window.jupyterapp.commands.execute("notebook:run-cell").then(
      () => {
        res.tCellDone = performance.now();
      },
      (e) => {
        res.runError = String(e);
      },
    );
    const out = await B.waitFor(check, timeoutMs);
    Object.assign(res, out);
    if (!out.timeout && tool === "tsvideo") {
      const p = tsvParts();
      res.dataset = { ...p.det.dataset };
      res.overviewInk = B.inked(p.oc);
    }
    if (!out.timeout && tool !== "tsvideo") {
      const gd = plotDiv();
      res.points = gd.data.map((t) => t.x.length);
      res.glCanvas = !!gd.querySelector("canvas.gl-canvas-context, canvas.gl-canvas");
      res.noWebglNotice = !!gd.querySelector(".no-webgl");
    }
    return res;
  };

  /** True when a 2-D canvas has at least one non-transparent pixel in its middle row band. */
  B.inked = (c) => {
    try {
      const ctx = c.getContext("2d");
      const h = c.height;
      const data = ctx.getImageData(0, Math.floor(h * 0.1), c.width, Math.max(1, Math.floor(h * 0.8))).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    } catch (e) {
      return null;
    }
  };

  B.box = (sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  };

  B.scrollIntoView = (sel) => {
    const el = document.querySelector(sel);
    if (el) el.scrollIntoView({ block: "center", inline: "nearest" });
    return !!el;
  };

  B.tsvDataset = () => {
    const p = tsvParts();
    return p && p.det ? { ...p.det.dataset } : null;
  };

  // ---- tsvideo refreshes: a pointerdown on the page starts a record that
  // completes when the detail shows kernel data (data-source="detail").
  B.tsvRecs = [];
  B.tsvOn = false;
  B.tsvTimeout = 20000;
  window.addEventListener("pointerdown", (e) => {
    if (!B.tsvOn) return;
    const p = tsvParts();
    if (!p || !p.det) return;
    const now = performance.now();
    const ds = p.det.dataset;
    // Bubble phase on window: the widget's own handler has run, so the
    // dataset tells whether the new window was drawn from the cache.
    const rec = {
      tEvent: e.timeStamp,
      tAfter: now,
      src0: ds.source,
      req0: Number(ds.requests),
      rep0: Number(ds.replies),
      cached: ds.source === "detail",
      done: false,
    };
    rec.tDown = now - e.timeStamp >= 0 && now - e.timeStamp < 1000 ? e.timeStamp : now;
    const det = p.det;
    rec.promise = B.waitFor(() => det.dataset.source === "detail", B.tsvTimeout).then((r) => {
      Object.assign(rec, r);
      rec.req1 = Number(det.dataset.requests);
      rec.rep1 = Number(det.dataset.replies);
      rec.done = true;
      return rec;
    });
    B.tsvRecs.push(rec);
  });
  B.tsvWaitLast = async (n, timeoutMs) => {
    const t0 = performance.now();
    while (B.tsvRecs.length < n && performance.now() - t0 < timeoutMs) await sleep(5);
    const rec = B.tsvRecs[n - 1];
    if (!rec) return { missing: true };
    await Promise.race([rec.promise, sleep(Math.max(0, timeoutMs - (performance.now() - t0)))]);
    const { promise, ...plain } = rec;
    return plain;
  };

  /** Wait until the tsvideo detail shows kernel data and no request is in flight. */
  B.tsvQuiet = async (timeoutMs) => {
    const t0 = performance.now();
    while (performance.now() - t0 < timeoutMs) {
      const p = tsvParts();
      if (p && p.det && p.det.dataset.source === "detail" && p.det.dataset.requests === p.det.dataset.replies) return true;
      await sleep(20);
    }
    return false;
  };

  // ---- plotly-resampler refreshes: relayout the x range from the page (what
  // a zoom or pan does) and wait until every trace's data was replaced.
  B.plotlyChange = async (a, b, timeoutMs) => {
    const gd = plotDiv();
    if (!gd || !window.Plotly) return { error: "no plot div or no window.Plotly" };
    const refs = gd.data.map((t) => t.x);
    const rec = {};
    rec.t0 = performance.now();
    const p = window.Plotly.relayout(gd, { "xaxis.range": [a, b] });
    rec.tCall = performance.now();
    const r = await B.waitFor(() => gd.data.length === refs.length && gd.data.every((t, i) => t.x !== refs[i]), timeoutMs);
    try {
      await Promise.race([p, sleep(1000)]);
    } catch (e) {
      rec.relayoutError = String(e);
    }
    Object.assign(rec, r);
    rec.points = gd.data.map((t) => (t.x ? t.x.length : 0));
    return rec;
  };

  // ---- frame recorder for drags
  B.pmoves = 0;
  window.addEventListener(
    "pointermove",
    () => {
      if (B.framesOn) B.pmoves++;
    },
    true,
  );
  B.framesStart = () => {
    B.frames = [];
    B.framesOn = true;
    B.pmoves = 0;
    const f = (t) => {
      if (!B.framesOn) return;
      B.frames.push(t);
      requestAnimationFrame(f);
    };
    requestAnimationFrame(f);
    return performance.now();
  };
  B.framesStop = () => {
    B.framesOn = false;
    return { t: performance.now(), frames: B.frames, pmoves: B.pmoves };
  };
})();
