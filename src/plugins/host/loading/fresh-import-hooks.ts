/**
 * Module resolution hooks (registered with node:module's register() the first time an npm plugin is reloaded).
 * Native ESM is cached by URL for the life of the process, so a reload imports the entry as
 * `<entry>?cao-reload=<n>&cao-root=<package dir URL>`; this hook gives every file *of that package* the entry's query
 * too, so the package's own modules are evaluated afresh as well. Its dependencies (outside the package directory)
 * keep their cached instance. Imports of anything else pass through untouched.
 */
const RELOAD = "cao-reload";
const ROOT = "cao-root";

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

type NextResolve = (specifier: string, context: { parentURL?: string }) => Promise<ResolveResult>;

export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (
    parent === undefined ||
    !parent.includes(`${RELOAD}=`) ||
    !result.url.startsWith("file:") ||
    result.url.includes("?")
  )
    return result;
  const query = new URL(parent).searchParams;
  const generation = query.get(RELOAD);
  const root = query.get(ROOT);
  if (!generation || !root || !result.url.startsWith(root)) return result;
  return { ...result, url: `${result.url}?${RELOAD}=${generation}&${ROOT}=${encodeURIComponent(root)}` };
}
