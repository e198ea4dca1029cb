/** A plugin found on disk, before anything of it is imported. */
export interface PluginSource {
  /** npm package name, or drop-in file / folder name without extension. */
  name: string;
  source: "npm" | "dir";
  /** The file that gets imported. */
  entry: string;
  /** The package directory (npm) or the drop-in file / folder (dir): what `list()` shows as `path`. */
  path: string;
  version?: string;
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
