/**
 * A real listening cao-server for the DESIGN §13 tests (config.yaml, `${VAR}`s, schemas, enabled: write-back, the
 * management routes): its own CAO_HOME with the given drop-ins and config.yaml, its own tmux server, the config file
 * watched by default. The drop-ins of config-plugins.ts record their own account of their config, which `record` reads;
 * the packages they import are linked into `<CAO_HOME>/node_modules`, where a user would have installed them.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PluginInfo } from "../../src/plugins/host/index.js";
import { createServer, type CaoServer } from "../../src/server.js";
import { FIXTURE_DEPENDENCIES } from "./config-plugins.js";
import { tempDir, writeFile } from "./fs-fixtures.js";
import { captureLogs, type CapturedLogs } from "./log-capture.js";

export interface ConfigServer {
  home: string;
  url: string;
  server: CaoServer;
  logs: CapturedLogs;
  configFile: string;
  http(method: string, route: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** What the plugin `name` recorded: one entry per setup ("setup", config) and teardown. */
  record(name: string): Array<{ at: string; config?: unknown }>;
  /** The plugin's row of the registry's list, undefined when it is not listed. */
  row(name: string): PluginInfo | undefined;
}

export interface ConfigServerOptions {
  /** Drop-ins written into `<home>/plugins`: file name → source. */
  plugins?: Record<string, string>;
  /** config.yaml's text (none when absent). */
  config?: string;
  /** Added to the server's environment (CAO_HOME and PATH). */
  env?: Record<string, string>;
  /** Watch config.yaml and the drop-ins (default true). */
  watch?: boolean;
  /** Reuse a CAO_HOME (a restart on the same state); default a fresh temp dir. */
  home?: string;
}

/** A config.yaml as a person writes it: comments, a key CAO does not use; plugin `a` at level 1. */
export const COMMENTED_CONFIG = `# CAO settings, edited by hand
server_note: keep me   # a key CAO does not use
plugins:
  # the one that talks to Slack
  a:
    config:
      level: 1   # verbose
`;

const running: CaoServer[] = [];
let counter = 0;

export async function startConfigServer(options: ConfigServerOptions): Promise<ConfigServer> {
  const home = options.home ?? tempDir("cao-config-");
  for (const [file, source] of Object.entries(options.plugins ?? {}))
    writeFile(path.join(home, "plugins", file), source);
  linkDependencies(home);
  const configFile = path.join(home, "config.yaml");
  if (options.config !== undefined) writeFile(configFile, options.config);
  const logs = captureLogs("info");
  const server = createServer({
    env: { CAO_HOME: home, PATH: process.env.PATH, ...options.env },
    port: 0,
    watch: options.watch ?? true,
    logger: logs.logger,
    tmux: { socketName: `cao-config-${process.pid}-${++counter}` },
    plugins: { reloadDebounceMs: 50 },
  });
  running.push(server);
  const url = await server.listen();
  return {
    home,
    url,
    server,
    logs,
    configFile,
    async http(method, route, headers = {}) {
      const response = await fetch(new URL(route, url), { method, headers });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    record(name) {
      const file = path.join(home, "out", `${name}.jsonl`);
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    row(name) {
      return server.registry.list().find((p) => p.name === name);
    },
  };
}

/** Closes every server startConfigServer() started and ends its tmux server (call in afterEach). */
export async function stopConfigServers(): Promise<void> {
  for (const server of running.splice(0)) {
    await server.close();
    await server.tmux.killServer();
  }
}

/** `<home>/node_modules/<name>` → this checkout's copy, for each package the fixtures import (kept when it exists). */
function linkDependencies(home: string): void {
  const own = fileURLToPath(new URL("../../node_modules/", import.meta.url));
  for (const name of FIXTURE_DEPENDENCIES) {
    const link = path.join(home, "node_modules", name);
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(own, name), link, "dir");
  }
}
