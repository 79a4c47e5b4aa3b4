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

const STATES = new WeakMap<AnyModel, ModelState>();

function stateOf(model: AnyModel): ModelState {
  let st = STATES.get(model);
  if (!st) {
    st = new ModelState(model);
    STATES.set(model, st);
  }
  return st;
}

const initialize: Initialize = ({ model }) => {
  const st = stateOf(model);
  const onMsg = (msg: Record<string, unknown>, buffers: BufferLike[]) => st.onMessage(msg, buffers);
  const onOverview = () => st.onOverview();
  model.on("msg:custom", onMsg);
  model.on("change:_overview", onOverview);
  return () => {
    model.off("msg:custom", onMsg);
    model.off("change:_overview", onOverview);
    st.dispose();
    STATES.delete(model);
  };
};

const render: Render = ({ model, el }) => {
  const view = new View(model, el, stateOf(model));
  return () => view.destroy();
};

export default { initialize, render };
