/**
 * Whether this server is in a fleet, and how it reaches NATS (docs/fleet.md): the `fleet:` section of config.yaml,
 * overridden by CAO_FLEET_NATS_URL and CAO_FLEET_HOST. This module is the only part of the fleet that loads with
 * every server: it reads no YAML unless the file has a `fleet:` key or the variable is set, and it imports no NATS.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseDocument } from "yaml";
import { FLEET_HOST_PATTERN } from "../contract/fleet.js";
import type { Env } from "../util/env.js";
import { interpolate } from "../plugins/host/config/interpolate.js";

export interface FleetSettings {
  /** NATS server URLs (`nats://host:4222`, `tls://…`), tried in turn. */
  servers: string[];
  /** This server's name in the fleet: one subject token. */
  host: string;
  user?: string;
  password?: string;
  token?: string;
  /** A NATS `.creds` file (user JWT and seed). */
  creds?: string;
  /** TLS: a CA to trust, and a client certificate and key for servers that verify clients. */
  tls?: { ca?: string; cert?: string; key?: string };
}

export type FleetSettingsRead = { settings: FleetSettings } | { error: string } | undefined;

const KEYS = new Set(["nats", "host", "user", "password", "token", "creds", "tls"]);
const TLS_KEYS = new Set(["ca", "cert", "key"]);

/**
 * The fleet settings in force, `undefined` when this server is in no fleet, or an error saying what is wrong (the
 * caller logs it once and serves without the fleet). `configFile` is config.yaml (CAO_CONFIG).
 */
export function fleetSettingsFrom(env: Env, configFile: string): FleetSettingsRead {
  let text = "";
  try {
    text = fs.readFileSync(configFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" && env.CAO_FLEET_NATS_URL)
      return { error: `cannot read ${configFile}: ${(error as Error).message}` };
  }
  // The common case, no fleet at all, costs one file read and a regular expression.
  if (!env.CAO_FLEET_NATS_URL && !/^fleet[ \t]*:/m.test(text)) return undefined;
  let section: unknown;
  try {
    section = fleetSection(text);
  } catch (error) {
    return { error: `${configFile}: ${(error as Error).message}` };
  }
  if (section === undefined && !env.CAO_FLEET_NATS_URL) return undefined;
  try {
    return { settings: settingsOf(section ?? {}, env, path.dirname(configFile)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function fleetSection(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]!.message}`);
  const root: unknown = doc.toJS();
  if (!isObject(root)) return undefined;
  return root.fleet === null ? undefined : root.fleet;
}

function settingsOf(raw: unknown, env: Env, baseDir: string): FleetSettings {
  if (!isObject(raw)) throw new Error("fleet must be a mapping (nats, host, user, password, token, creds, tls)");
  for (const key of Object.keys(raw))
    if (!KEYS.has(key)) throw new Error(`fleet.${key} is not a setting (known: ${[...KEYS].join(", ")})`);
  // ${VAR} in values, as in the plugins' sections: secrets stay out of the file.
  const section = interpolate(raw, env, "fleet") as Record<string, unknown>;

  const urls = env.CAO_FLEET_NATS_URL ? env.CAO_FLEET_NATS_URL.split(",") : stringList(section.nats, "fleet.nats");
  const servers = urls.map((url) => url.trim()).filter(Boolean);
  if (servers.length === 0) throw new Error("fleet.nats (or CAO_FLEET_NATS_URL) names no NATS server");
  for (const url of servers) {
    if (!/^(nats|tls):\/\/[^/\s]+\/?$|^[^:/\s]+:\d+$/.test(url))
      throw new Error(`${JSON.stringify(url)} is not a NATS URL (nats://host:port or tls://host:port)`);
  }

  const named = env.CAO_FLEET_HOST || optionalString(section.host, "fleet.host");
  const host = named ?? defaultHostName();
  if (!FLEET_HOST_PATTERN.test(host))
    throw new Error(
      `${env.CAO_FLEET_HOST ? "CAO_FLEET_HOST" : "fleet.host"} ${JSON.stringify(host)} is not a host name for the fleet: letters, digits, - and _, at most 64`,
    );

  const settings: FleetSettings = { servers, host };
  const user = optionalString(section.user, "fleet.user");
  const password = optionalString(section.password, "fleet.password");
  const token = optionalString(section.token, "fleet.token");
  const creds = optionalString(section.creds, "fleet.creds");
  if ((user === undefined) !== (password === undefined))
    throw new Error("fleet.user and fleet.password go together: give both or neither");
  const ways = [user !== undefined, token !== undefined, creds !== undefined].filter(Boolean).length;
  if (ways > 1) throw new Error("give one way to authenticate to NATS: user/password, token or creds");
  if (user !== undefined) Object.assign(settings, { user, password });
  if (token !== undefined) settings.token = token;
  if (creds !== undefined) settings.creds = path.resolve(baseDir, creds);

  if (section.tls !== undefined && section.tls !== null) {
    if (!isObject(section.tls)) throw new Error("fleet.tls must be a mapping (ca, cert, key)");
    const tls: NonNullable<FleetSettings["tls"]> = {};
    for (const [key, value] of Object.entries(section.tls)) {
      if (!TLS_KEYS.has(key)) throw new Error(`fleet.tls.${key} is not a setting (known: ca, cert, key)`);
      tls[key as "ca" | "cert" | "key"] = path.resolve(baseDir, optionalString(value, `fleet.tls.${key}`) ?? "");
    }
    if ((tls.cert === undefined) !== (tls.key === undefined))
      throw new Error("fleet.tls.cert and fleet.tls.key go together: give both or neither");
    settings.tls = tls;
  }
  return settings;
}

/** The machine's host name up to its first dot, other characters a subject token cannot hold made `-`. */
export function defaultHostName(): string {
  const short = os.hostname().split(".")[0] ?? "";
  const cleaned = short.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
  return cleaned || "cao";
}

function stringList(value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value.split(",");
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  throw new Error(`${at} must be a URL or a list of URLs`);
}

function optionalString(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return String(value); // `password: 1234` in YAML
  if (typeof value !== "string" || value === "") throw new Error(`${at} must be a non-empty string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
