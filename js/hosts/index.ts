/**
 * Pick the host a view runs in. The static export passes its own host; every
 * other page is recognised here, most specific first.
 */

import { FallbackHost } from "./fallback";
import type { Host } from "./host";
import { JupyterHost } from "./jupyter";
import { MarimoHost } from "./marimo";

export type { Host, MediaRoute } from "./host";

/** The host of the current page: Jupyter (page config), marimo, else the fallback. */
export function detectHost(doc: Document = document): Host {
  return JupyterHost.detect(doc) ?? MarimoHost.detect(doc) ?? new FallbackHost();
}
