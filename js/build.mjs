// Bundles js/widget.ts (with uPlot and the CSS) into tsvideo_widget/static/.
import { build } from "esbuild";

await build({
  entryPoints: { widget: "js/widget.ts" },
  bundle: true,
  format: "esm",
  // Minified by default: anywidget sends the bundle with every widget it opens.
  minify: !process.argv.includes("--dev"),
  sourcemap: false,
  target: ["es2022"],
  outdir: "tsvideo_widget/static",
  logLevel: "info",
});
