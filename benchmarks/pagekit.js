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
   * If check() already holds now, that is the next painted frame.
   */
  B.waitFor = (check, timeoutMs, ctl) =>
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
      // ctl (optional): ctl.cancel() ends the wait at once (a newer gesture event superseded it).
      if (ctl) ctl.cancel = () => finish({ cancelled: true });
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

  /** Resolve after `n` animation frames (layout caused by a hover has been done). */
  B.afterFrames = (n) =>
    new Promise((resolve) => {
      const f = (k) => (k <= 0 ? resolve(performance.now()) : requestAnimationFrame(() => f(k - 1)));
      f(n);
    });

  B.scrollIntoView = (sel) => {
    const el = document.querySelector(sel);
    if (el) el.scrollIntoView({ block: "center", inline: "nearest" });
    return !!el;
  };

  B.tsvDataset = () => {
    const p = tsvParts();
    return p && p.det ? { ...p.det.dataset } : null;
  };

  // ---- window changes. run.py arms a record, then makes the gesture with
  // page.mouse. The record starts at the gesture's last event of type `event`
  // (pointerdown: a jump, the window is final at the press; pointerup: the end
  // of a drag; wheel: a zoom, each wheel event restarts it) and completes at
  // the first frame painted after the full-resolution data is drawn:
  //   tsvideo: [data-part=detail] has data-source="detail" (if it already has it
  //     right after the event, the window came from data the browser holds and
  //     the record completes at the next painted frame);
  //   plotly-resampler: every trace's x array was replaced (by the kernel's update).
  // The event is seen on window in the capture phase (its timestamp) and read in
  // the bubble phase, after the widget's own handler has run, so data-source
  // tells whether the new window was drawn at once from the browser's data.
  B.armed = null;
  const startRecord = (a, e) => {
    if (a.started === e) return;
    a.started = e;
    if (a.rec && a.rec.ctl.cancel) a.rec.ctl.cancel();
    const now = performance.now();
    const tEvent = now - e.timeStamp >= 0 && now - e.timeStamp < 1000 ? e.timeStamp : now;
    // tCapture: when the page first saw the event (capture phase, before the widget's handler).
    const rec = { event: e.type, tEvent, tCapture: a.pendingT ?? now, tAfter: now, done: false, ctl: {} };
    const tg = e.target;
    rec.target = tg && tg.dataset ? tg.dataset.part || String(tg.className || tg.tagName).slice(0, 40) : null;
    rec.clientX = e.clientX;
    let check;
    if (a.tool === "tsvideo") {
      const p = tsvParts();
      if (!p || !p.det) return;
      const det = p.det;
      const ds = det.dataset;
      rec.src0 = ds.source;
      rec.req0 = Number(ds.requests);
      rec.rep0 = Number(ds.replies);
      check = () => det.dataset.source === "detail";
      rec.finish = () => {
        rec.src1 = det.dataset.source;
        rec.req1 = Number(det.dataset.requests);
        rec.rep1 = Number(det.dataset.replies);
      };
    } else {
      const gd = plotDiv();
      const refs = a.refs;
      check = () => gd.data.length === refs.length && gd.data.every((t, i) => t.x !== refs[i]);
      rec.finish = () => {
        rec.points = gd.data.map((t) => (t.x ? t.x.length : 0));
        const r = gd.layout && gd.layout.xaxis && gd.layout.xaxis.range;
        rec.range1 = r ? [Number(r[0]), Number(r[1])] : null;
      };
    }
    a.rec = rec;
    rec.promise = B.waitFor(check, a.timeoutMs, rec.ctl).then((r) => {
      Object.assign(rec, r);
      rec.finish();
      rec.done = true;
      return rec;
    });
  };
  const onCapture = (e) => {
    const a = B.armed;
    if (!a || e.type !== a.event) return;
    a.seen++;
    a.pending = e;
    a.pendingT = performance.now();
    // Fallback when nothing reaches the bubble phase (a handler stopped it).
    setTimeout(() => {
      if (a.pending === e) startRecord(a, e);
    }, 0);
  };
  const onBubble = (e) => {
    const a = B.armed;
    if (!a || a.pending !== e) return;
    a.pending = null;
    startRecord(a, e);
  };
  for (const type of ["pointerdown", "pointerup", "wheel"]) {
    window.addEventListener(type, onCapture, { capture: true, passive: true });
    window.addEventListener(type, onBubble, { passive: true });
  }

  /** Arm a record for the next gesture (see above); plotly: the traces' data are noted now. */
  B.arm = ({ tool, event, timeoutMs }) => {
    const a = { tool, event, timeoutMs, seen: 0, rec: null, pending: null, started: null };
    if (tool !== "tsvideo") {
      const gd = plotDiv();
      if (!gd) return { error: "no plot div" };
      a.refs = gd.data.map((t) => t.x);
    }
    B.armed = a;
    return { t: performance.now() };
  };

  /** Wait for the armed record (waits up to timeoutMs for its event, then for its end); disarms. */
  B.armWait = async (timeoutMs) => {
    const a = B.armed;
    if (!a) return { missing: true, error: "not armed" };
    const t0 = performance.now();
    const left = () => Math.max(0, timeoutMs - (performance.now() - t0));
    while (!a.rec && left() > 0) await sleep(5);
    // A queued event (e.g. a coalesced wheel) may still restart it: settle on the last one.
    await sleep(0);
    let rec = a.rec;
    while (rec) {
      await Promise.race([rec.promise, sleep(left())]);
      if (a.rec === rec || left() <= 0) break;
      rec = a.rec;
    }
    if (B.armed === a) B.armed = null;
    if (!rec) return { missing: true, seen: a.seen };
    const { promise, ctl, finish, ...plain } = rec;
    plain.seen = a.seen;
    if (!rec.done) plain.timeout = true;
    return plain;
  };

  /** What a press at (x, y) would hit on the tsvideo overview: the data-part of the topmost element. */
  B.partAt = (x, y) => {
    const el = document.elementFromPoint(x, y);
    return el ? el.dataset.part || el.className || el.tagName : null;
  };

  /** tsvideo: the window the view shows, from the range's position on the overview (px). */
  B.tsvRange = () => {
    const p = tsvParts();
    const r = p && p.ov && p.ov.querySelector('[data-part="range"]');
    const over = p && p.ov && p.ov.querySelector(".u-over");
    if (!r || !over) return null;
    return { left: parseFloat(r.style.left), width: parseFloat(r.style.width), over: over.clientWidth };
  };

  /** plotly: the x range shown now. */
  B.plotlyRange = () => {
    const gd = plotDiv();
    const r = gd && gd.layout && gd.layout.xaxis && gd.layout.xaxis.range;
    return r ? [Number(r[0]), Number(r[1])] : null;
  };

  /** Time of the last frame on a kernel websocket (either direction), and now. */
  B.lastFrame = () => ({ last: log.length ? log[log.length - 1][0] : 0, now: performance.now() });

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

  // ---- plotly-resampler zoom and jump: relayout the x range from the page
  // (what a zoom ends with) and wait until every trace's data was replaced.
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
