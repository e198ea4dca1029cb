import type { ResolvedOptions } from "../options.js";
import { discoverDropIns } from "./dir.js";
import { discoverNpmPlugins } from "./npm.js";
import { npmRoots } from "./npm-roots.js";
import type { DiscoveryProblem, PluginSource } from "./source.js";

/** Two plugins of one name: the first found is kept (npm before drop-ins, roots in order), the other skipped. */
export interface NameClash {
  name: string;
  kept: string;
  skipped: string;
}

export interface Discovered {
  sources: PluginSource[];
  problems: DiscoveryProblem[];
  clashes: NameClash[];
}

/**
 * Every plugin the options point at (docs/contract.md#plugin-api): npm packages tagged `cao-plugin` in the scanned node_modules, then
 * drop-ins. Names are unique in the result; `taken` holds names already in use (plugins added in memory), which win.
 */
export function discoverPlugins(
  options: ResolvedOptions,
  taken: ReadonlyMap<string, PluginSource> = new Map(),
): Discovered {
  const npm = discoverNpmPlugins(npmRoots(options));
  const dir = discoverDropIns(options.pluginsDir);
  const byName = new Map<string, PluginSource>(taken);
  const clashes: NameClash[] = [];
  const sources: PluginSource[] = [];
  for (const source of [...npm.sources, ...dir.sources]) {
    const first = byName.get(source.name);
    if (first) {
      clashes.push({ name: source.name, kept: first.path, skipped: source.path });
      continue;
    }
    byName.set(source.name, source);
    sources.push(source);
  }
  return { sources, problems: [...npm.problems, ...dir.problems], clashes };
}
