import type { PluginSourceKind } from "../../../contract/vocabulary.js";
/**
 * Where a plugin comes from, before anything of it is imported: an npm package, a drop-in file or folder, or (for
 * embedders and tests) an object handed to `registry.add()`.
 */
export interface PluginSource {
  /** npm package name, drop-in file / folder name without extension, or the name given to add(). */
  name: string;
  source: PluginSourceKind;
  /** The file that gets imported ("" for a plugin added in memory). */
  entry: string;
  /** The package directory (npm), the drop-in file / folder (dir), or "(memory)": what `list()` shows as `path`. */
  path: string;
  version?: string;
}

export function memorySource(name: string): PluginSource {
  return { name, source: "memory", entry: "", path: "(memory)" };
}

/** A problem met while discovering, reported by the registry as one WARN. */
export interface DiscoveryProblem {
  path: string;
  reason: string;
}

export interface DiscoveryResult {
  sources: PluginSource[];
  problems: DiscoveryProblem[];
}
