/**
 * `cao install <name|path|url>` (docs/profiles.md, "Installing"): puts a profile into `$CAO_HOME/agent-store/`, after
 * checking that it parses, so later launches find it first. Every check runs before anything is written.
 */
import fs from "node:fs";
import path from "node:path";
import type { Env } from "../util/env.js";
import { CaoPaths } from "../util/paths.js";
import { NAME, ValidationError } from "../util/validate.js";
import { ENV_KEY, writeEnvFile } from "./env-file.js";
import { unsetVariables } from "./expand-vars.js";
import { parseProfile, splitProfile } from "./parse-profile.js";
import { ProfileStore } from "./profiles.js";

export interface InstallRequest {
  /** A profile name (any directory of the lookup), a `.md` file path, or an https URL. */
  source: string;
  caoHome: string;
  env: Env;
  /** Variables to store in `$CAO_HOME/.env` first, for `${VAR}` in profiles. */
  variables?: Record<string, string>;
  /** How a URL is fetched (tests and embedders may pass their own). */
  fetch?: typeof fetch;
}

export interface InstallResult {
  name: string;
  kind: "name" | "file" | "url";
  /** The profile's path in `$CAO_HOME/agent-store/`. */
  file: string;
  /** False when the name was found in `$CAO_HOME/agent-store/` already (nothing to copy). */
  copied: boolean;
  /** The front matter's `provider`, if any. */
  provider?: string;
  /** `${VAR}` the profile uses that are set neither here nor in a `.env` file: launches fail until they are. */
  unset: string[];
}

/** Hosts a profile may be downloaded from (CAO_PROFILE_ALLOWED_HOSTS replaces the list, as in the Python CAO). */
const DEFAULT_ALLOWED_HOSTS = ["github.com", "raw.githubusercontent.com"];
const SAFE_URL_PATH = /^(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+\.md$/;
const DOWNLOAD_TIMEOUT_MS = 30_000;

export function parseEnvAssignment(assignment: string): [string, string] {
  const eq = assignment.indexOf("=");
  const key = eq < 0 ? "" : assignment.slice(0, eq);
  if (!ENV_KEY.test(key))
    throw new ValidationError(`--env ${JSON.stringify(assignment)}: expected KEY=VALUE with KEY letters, digits and _`);
  return [key, assignment.slice(eq + 1)];
}

const isUrl = (source: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(source);

/** Whether the source names a file rather than a profile (a `.md` name, or anything with a path separator). */
const isPath = (source: string) => source.endsWith(".md") || source.includes("/") || source.includes(path.sep);

async function download(source: string, env: Env, fetchImpl: typeof fetch): Promise<{ name: string; text: string }> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new ValidationError(`${source} is not a valid URL`);
  }
  if (url.protocol !== "https:") throw new ValidationError(`profile URLs must use https:// (got ${url.protocol}//)`);
  const allowed = (env.CAO_PROFILE_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const hosts = allowed.length ? allowed : DEFAULT_ALLOWED_HOSTS;
  if (!hosts.includes(url.hostname.toLowerCase()))
    throw new ValidationError(
      `host ${url.hostname} is not allowed for profile downloads (allowed: ${hosts.join(", ")}; set CAO_PROFILE_ALLOWED_HOSTS to change)`,
    );
  if (url.search || url.hash || url.username || url.password)
    throw new ValidationError("profile URLs must not have a query, fragment or user info");
  if (!SAFE_URL_PATH.test(url.pathname))
    throw new ValidationError(`the URL's path must be /segment/.../<name>.md without '..' (got ${url.pathname})`);
  const name = path.posix.basename(url.pathname, ".md");
  if (!NAME.test(name))
    throw new ValidationError(`the URL's file name must be 1-64 letters, digits, '-' or '_' plus .md`);
  let response: Response;
  try {
    response = await fetchImpl(`https://${url.hostname}${url.pathname}`, {
      redirect: "manual",
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ValidationError(`cannot download ${source}: ${(error as Error).message}`);
  }
  if (response.status >= 300 && response.status < 400)
    throw new ValidationError(`cannot download ${source}: redirects are not followed (${response.status})`);
  if (!response.ok) throw new ValidationError(`cannot download ${source}: HTTP ${response.status}`);
  return { name, text: await response.text() };
}

function readSourceFile(source: string): { name: string; text: string } {
  const file = path.resolve(source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ValidationError(`file not found: ${source}`);
  }
  if (!stat.isFile()) throw new ValidationError(`${source} is not a file`);
  if (!file.endsWith(".md")) throw new ValidationError(`${source}: a profile file must end in .md`);
  const name = path.basename(file, ".md");
  if (!NAME.test(name))
    throw new ValidationError(
      `${source}: the file name must be 1-64 letters, digits, '-' or '_' plus .md (the profile's name)`,
    );
  return { name, text: fs.readFileSync(file, "utf8") };
}

export async function installProfile(request: InstallRequest): Promise<InstallResult> {
  const { source, caoHome, env } = request;
  const store = new ProfileStore(caoHome, { env });
  const paths = CaoPaths.of(caoHome);
  let kind: InstallResult["kind"];
  let name: string;
  let text: string;
  let copied = true;
  if (isUrl(source)) {
    kind = "url";
    ({ name, text } = await download(source, env, request.fetch ?? fetch));
  } else if (isPath(source)) {
    kind = "file";
    ({ name, text } = readSourceFile(source));
  } else {
    kind = "name";
    if (!NAME.test(source))
      throw new ValidationError(
        `${JSON.stringify(source)} is neither a profile name (1-64 letters, digits, '-' or '_'), a .md file nor an https URL`,
      );
    const found = store.find(source);
    if (!found)
      throw new ValidationError(
        `unknown agent profile "${source}"; available: ${store.names().join(", ") || "(none)"}`,
      );
    name = source;
    text = fs.readFileSync(found.file, "utf8");
    copied = found.dir.dir !== path.resolve(paths.agentStore);
  }
  const where = kind === "name" ? name : source;
  // Checked before anything is written: the structure with placeholders as written, then which variables are unset.
  const profile = parseProfile(name, text, where);
  const variables = request.variables ?? {};
  const lookup = store.variables();
  const unset = unsetVariables(splitProfile(text, where).meta, (key) => variables[key] ?? lookup(key));
  if (Object.keys(variables).length) writeEnvFile(paths.envFile, variables);
  const file = path.join(paths.agentStore, `${name}.md`);
  if (copied) {
    fs.mkdirSync(paths.agentStore, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  }
  return { name, kind, file, copied, ...(profile.provider ? { provider: profile.provider } : {}), unset };
}
