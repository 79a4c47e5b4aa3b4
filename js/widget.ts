/**
 * anywidget entry point: `initialize` sets up per-model state (shared by all
 * views of one widget), `render` builds one view and returns its cleanup.
 */

import type { AnyModel, Initialize, Render } from "@anywidget/types";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type { BufferLike } from "./buffers";
import { detectHost } from "./hosts";
import type { Host } from "./hosts/host";
import { MemoryPersistence } from "./persist";
import type { Transport } from "./requests";
import { ModelState } from "./state";
import { mountAll } from "./staticpage";
import { View } from "./view";

/*
 * Per-model state, keyed by the model's `_uid` trait: anywidget hands `render`
 * a proxy of the model (so it can drop a view's listeners), not the object
 * `initialize` got, so the model object itself cannot be the key.
 */
const STATES = new Map<string, ModelState>();

function stateOf(model: AnyModel, host: Host): ModelState {
  const uid = model.get("_uid") as string;
  let st = STATES.get(uid);
  if (!st) {
    // No kernel (a static page): edits are never made, and nothing is kept in IndexedDB.
    st = new ModelState(model, host.kernel ? undefined : new MemoryPersistence());
    STATES.set(uid, st);
  }
  return st;
}

/** The page's host, found once (the page does not change under a widget). */
let pageHost: Host | null = null;
function hostOfPage(): Host {
  pageHost ??= detectHost();
  return pageHost;
}

/** Set up the per-model state of `model` in `host`; returns its cleanup. */
export function initializeIn(model: AnyModel, host: Host): () => void {
  const st = stateOf(model, host);
  const onMsg = (msg: Record<string, unknown>, buffers: BufferLike[]) => st.onMessage(msg, buffers);
  const onOverview = () => st.onOverview();
  const onStoreKey = () => st.edits.storeKeyChanged();
  const onTransport = () => st.setTransport(model.get("transport") as Transport | undefined);
  model.on("msg:custom", onMsg);
  model.on("change:_overview", onOverview);
  model.on("change:_store_key", onStoreKey);
  model.on("change:transport", onTransport);
  return () => {
    model.off("change:transport", onTransport);
    model.off("msg:custom", onMsg);
    model.off("change:_overview", onOverview);
    model.off("change:_store_key", onStoreKey);
    st.dispose();
    STATES.delete(model.get("_uid") as string);
  };
}

/** Build one view of `model` in `el` for `host`; returns its cleanup. */
export function renderIn(model: AnyModel, el: HTMLElement, host: Host): () => void {
  const view = new View(model, el, stateOf(model, host), host);
  return () => view.destroy();
}

/** Render the widgets of a static HTML export (`w.to_html`) in `doc`; returns their cleanup. */
export function mountStatic(doc: Document): () => void {
  return mountAll(doc, { initialize: initializeIn, render: renderIn });
}

const initialize: Initialize = ({ model }) => initializeIn(model, hostOfPage());

const render: Render = ({ model, el }) => renderIn(model, el, hostOfPage());

export default { initialize, render };
