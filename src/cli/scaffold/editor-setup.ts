import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PACKAGE_ROOT } from "../../util/package-root.js";

/**
 * What an editor (and `tsc --noEmit -p <plugins dir>`) needs to type-check drop-ins where they live: a tsconfig.json,
 * and a node_modules/ beside them in which `cli-agent-orchestrator` and `zod` resolve — links to this installation's
 * copies, so the types are those of the server that runs the plugins. At run time the server hands drop-ins its own
 * `cli-agent-orchestrator/plugins` whatever is here; `zod` (the template's schema library) loads through the link.
 * The server's discovery and watcher skip node_modules.
 */

const TSCONFIG = `{
  // Written by \`cao plugins new\` so that editors and \`npx tsc --noEmit -p <this folder>\` type-check the plugins here.
  // node_modules/ holds links to the installed cli-agent-orchestrator (its types) and zod; \`cao plugins new\` renews
  // them. The server never reads this file.
  "compilerOptions": {
    "target": "ES2022",
    "module": "preserve",
    "moduleResolution": "bundler",
    "lib": ["ES2023", "DOM"],
    "types": [],
    "strict": true,
    "noEmit": true,
    "allowJs": true,
    "checkJs": true,
    "isolatedModules": true,
    "skipLibCheck": true
  },
  "include": ["*.ts", "*.mts", "*.cts", "*.js", "*.mjs", "*.cjs", "*/**/*"],
  "exclude": ["node_modules", "**/node_modules"]
}
`;

export interface EditorSetupResult {
  /** Files and links written or renewed, for the command's output. */
  written: string[];
}

/** Writes tsconfig.json (unless one exists: it may be the user's) and (re)links node_modules/<package> → ours. */
export function setUpEditorSupport(pluginsDir: string): EditorSetupResult {
  const written: string[] = [];
  const tsconfig = path.join(pluginsDir, "tsconfig.json");
  if (!fs.existsSync(tsconfig)) {
    fs.writeFileSync(tsconfig, TSCONFIG, { flag: "wx" });
    written.push(tsconfig);
  }
  const modules = path.join(pluginsDir, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  for (const [name, target] of linkTargets()) {
    if (link(path.join(modules, name), target)) written.push(path.join(modules, name));
  }
  return { written };
}

/** This package and the schema library of the template, as installed beside this copy of the server. */
function linkTargets(): [string, string][] {
  const require = createRequire(path.join(PACKAGE_ROOT, "package.json"));
  const targets: [string, string][] = [["cli-agent-orchestrator", PACKAGE_ROOT]];
  try {
    targets.push(["zod", path.dirname(require.resolve("zod/package.json"))]);
  } catch {
    // zod is a dependency of this package, so this only happens in a broken installation; the plugin's import of
    // zod then fails with Node's own clear message.
  }
  return targets;
}

/**
 * Points `at` to `target`. An existing link is renewed when it points elsewhere (the package moved or was upgraded);
 * a real file or directory there is the user's and is left alone. Returns whether it wrote the link.
 */
function link(at: string, target: string): boolean {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(at);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isSymbolicLink()) return false;
  if (existing) {
    if (path.resolve(path.dirname(at), fs.readlinkSync(at)) === target) return false;
    fs.unlinkSync(at);
  }
  // "junction" is what Windows allows without privileges; elsewhere the type is ignored.
  fs.symlinkSync(target, at, "junction");
  return true;
}
