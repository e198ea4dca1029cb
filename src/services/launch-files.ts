import fs from "node:fs";
import path from "node:path";
import type { LaunchFile, LaunchLink } from "../providers/provider.js";

const EXTERNAL_LIST = "external-files.json";

/**
 * Writes a provider's launch files (mode 0600: they hold the terminal's MCP environment). Files outside the
 * terminal's runtime directory are listed inside it, so they can be removed with the terminal even after a restart.
 * Links go inside the runtime directory only: removing it removes them, and never what they point to.
 */
export function writeLaunchFiles(
  runtimeDir: string,
  files: readonly LaunchFile[],
  links: readonly LaunchLink[] = [],
): void {
  fs.mkdirSync(runtimeDir, { recursive: true });
  const external: string[] = [];
  for (const file of files) {
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(file.path, file.content, { mode: 0o600 });
    const rel = path.relative(runtimeDir, file.path);
    if (rel.startsWith("..") || path.isAbsolute(rel)) external.push(file.path);
  }
  if (external.length > 0) fs.writeFileSync(path.join(runtimeDir, EXTERNAL_LIST), JSON.stringify(external));
  for (const link of links) {
    const rel = path.relative(runtimeDir, link.path);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel))
      throw new Error(`launch link ${link.path} is outside ${runtimeDir}`);
    fs.mkdirSync(path.dirname(link.path), { recursive: true });
    fs.symlinkSync(link.target, link.path);
  }
}

/** Removes a terminal's runtime directory and every external launch file it lists. */
export function removeLaunchFiles(runtimeDir: string): void {
  try {
    const listed: unknown = JSON.parse(fs.readFileSync(path.join(runtimeDir, EXTERNAL_LIST), "utf8"));
    if (Array.isArray(listed))
      for (const file of listed) if (typeof file === "string") fs.rmSync(file, { force: true });
  } catch {
    // no external files (the usual case), or the list is unreadable: nothing more to remove
  }
  fs.rmSync(runtimeDir, { recursive: true, force: true });
}
