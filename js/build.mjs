// Bundles js/widget.ts (with uPlot and the CSS) into tsvideo_widget/static/.
import { build } from "esbuild";

await build({
  entryPoints: { widget: "js/widget.ts" },
  bundle: true,
  format: "esm",
  minify: process.argv.includes("--minify") || process.env.CI === "true",
  sourcemap: false,
  target: ["es2022"],
  outdir: "tsvideo_widget/static",
  logLevel: "info",
});
