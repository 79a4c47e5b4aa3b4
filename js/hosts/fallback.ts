/**
 * Any other anywidget host (VS Code, Colab, JupyterLite...): no notebook
 * server the page can reach, so local files and bytes stream from the kernel;
 * the theme follows the OS colour scheme unless the page says otherwise
 * (VS Code's `vscode-dark` body class).
 */

import { prefersDark, ServerlessHost, watchPageTheme, type Host } from "./host";

export class FallbackHost extends ServerlessHost implements Host {
  readonly name = "fallback" as const;
  readonly themeVars = {
    fg: ["--vscode-editor-foreground", "--colab-primary-text-color"],
    fgMuted: ["--vscode-descriptionForeground", "--colab-secondary-text-color"],
    grid: ["--vscode-editorWidget-border", "--colab-border-color"],
    bg: ["--vscode-editor-background", "--colab-primary-surface-color"],
  };

  isDark(): boolean {
    const body = document.body;
    if (body?.classList.contains("vscode-dark") || body?.classList.contains("vscode-high-contrast")) return true;
    if (body?.classList.contains("vscode-light")) return false;
    return prefersDark();
  }

  onThemeChange(fn: () => void): () => void {
    return watchPageTheme(fn, ["class"]);
  }

  prepareRoot(root: HTMLElement): void {
    root.dataset.host = this.name;
  }
}
