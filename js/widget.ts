/**
 * anywidget entry point: `initialize` sets up per-model state (shared by all
 * views of one widget), `render` builds one view and returns its cleanup.
 */

import type { AnyModel, Initialize, Render } from "@anywidget/types";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type { BufferLike } from "./buffers";
import { ModelState } from "./state";
import { View } from "./view";

/*
 * Per-model state, keyed by the model's `_uid` trait: anywidget hands `render`
 * a proxy of the model (so it can drop a view's listeners), not the object
 * `initialize` got, so the model object itself cannot be the key.
 */
const STATES = new Map<string, ModelState>();

function stateOf(model: AnyModel): ModelState {
  const uid = model.get("_uid") as string;
  let st = STATES.get(uid);
  if (!st) {
    st = new ModelState(model);
    STATES.set(uid, st);
  }
  return st;
}

const initialize: Initialize = ({ model }) => {
  const st = stateOf(model);
  const onMsg = (msg: Record<string, unknown>, buffers: BufferLike[]) => st.onMessage(msg, buffers);
  const onOverview = () => st.onOverview();
  const onStoreKey = () => st.edits.storeKeyChanged();
  model.on("msg:custom", onMsg);
  model.on("change:_overview", onOverview);
  model.on("change:_store_key", onStoreKey);
  return () => {
    model.off("msg:custom", onMsg);
    model.off("change:_overview", onOverview);
    model.off("change:_store_key", onStoreKey);
    st.dispose();
    STATES.delete(model.get("_uid") as string);
  };
};

const render: Render = ({ model, el }) => {
  const view = new View(model, el, stateOf(model));
  return () => view.destroy();
};

export default { initialize, render };
