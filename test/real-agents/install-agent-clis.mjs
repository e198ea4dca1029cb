#!/usr/bin/env node
// Installs the real agent CLIs at the versions pinned in agent-clis.json, each into its own npm prefix
// <cache>/<provider>-<version>/, so the tests can run them. They are not devDependencies: a user's `npm install`
// must not pull ~1.5 GB of agent CLIs. `npm test` runs this first; a run that finds everything in place takes
// well under a second. Plain Node with no dependencies, so it runs before (and without) the project's build.
//
// Where things go: $CAO_AGENT_CLI_CACHE, else <repo>/.cache/agent-clis (git-ignored).
// The rules for "installed" and the cache path are repeated in agent-clis.ts (the tests' side): keep them in step.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "../..");
const CACHE_DIR = process.env.CAO_AGENT_CLI_CACHE
  ? path.resolve(process.env.CAO_AGENT_CLI_CACHE)
  : path.join(REPO_ROOT, ".cache", "agent-clis");
const PINS = JSON.parse(fs.readFileSync(path.join(HERE, "agent-clis.json"), "utf8"));

// Three at a time: the downloads overlap, and two cores unpacking hundreds of MB each do not get swamped.
const PARALLEL_INSTALLS = 3;
const VERSION_CHECK_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 20;
// Written last, once the CLI is installed and has answered --version: without it a prefix is a partial install.
const MARKER = ".installed";

const prefixOf = (pin) => path.join(CACHE_DIR, `${pin.provider}-${pin.version}`);
const binPathOf = (pin) => path.join(prefixOf(pin), "node_modules", ".bin", pin.bin);

function isInstalled(pin) {
  const prefix = prefixOf(pin);
  try {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(prefix, "node_modules", pin.package, "package.json"), "utf8"),
    );
    return (
      manifest.version === pin.version && fs.existsSync(binPathOf(pin)) && fs.existsSync(path.join(prefix, MARKER))
    );
  } catch {
    return false;
  }
}

/**
 * Runs npm in a CLI's prefix with its output appended to the prefix's install.log; resolves to the exit code (or a
 * signal name). --prefix is explicit because under `npm test` the environment carries the project's npm settings.
 */
function runNpm(prefix, args) {
  const logPath = path.join(prefix, "install.log");
  fs.appendFileSync(logPath, `\n$ npm ${args.join(" ")}\n`);
  const log = fs.openSync(logPath, "a");
  return new Promise((resolve) => {
    const child = spawn("npm", [...args, "--prefix", prefix], { cwd: prefix, stdio: ["ignore", log, log] });
    child.on("error", (err) => resolve(`spawn error: ${err.message}`));
    child.on("close", (code, signal) => resolve(signal ?? code));
  }).finally(() => fs.closeSync(log));
}

async function installInto(pin) {
  const prefix = prefixOf(pin);
  // Whatever a failed or interrupted run left behind goes: npm would otherwise build on a half-unpacked tree.
  fs.rmSync(prefix, { recursive: true, force: true });
  fs.mkdirSync(prefix, { recursive: true });
  const manifest = { name: `cao-agent-cli-${pin.provider.replace(/_/g, "-")}`, private: true };
  fs.writeFileSync(path.join(prefix, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(prefix, "install.log"), `${pin.package}@${pin.version} into ${prefix}\n`);

  // Dependencies' install scripts are skipped (npm 11 runs them with a warning, npm 12 will block them): here they
  // are only optional native add-ons (Gemini's node-pty and keytar) that would compile with node-gyp or try to
  // download prebuilt binaries from outside the npm registry, and the CLIs run without them.
  const spec = `${pin.package}@${pin.version}`;
  const installed = await runNpm(prefix, ["install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts", spec]);
  if (installed !== 0) return `npm install exited with ${installed}`;

  // The CLI's own install script does run: Claude Code's and OpenCode's postinstall copy the platform's native
  // binary over the small placeholder their bin points to (without it `claude` only prints "native binary not
  // installed"). `npm rebuild <name>` runs that one package's scripts, so allowing all scripts allows nothing else;
  // it keeps npm's allowScripts policy (advisory in npm 11, enforced from npm 12) from blocking them.
  const rebuilt = await runNpm(prefix, [
    "rebuild",
    pin.package,
    "--ignore-scripts=false",
    "--foreground-scripts",
    "--dangerously-allow-all-scripts",
  ]);
  if (rebuilt !== 0) return `npm rebuild ${pin.package} exited with ${rebuilt}`;

  // Qwen Code's tarball carries its ripgrep without the exec bit, and nothing in its install sets it.
  const qwenRipgrep = path.join(prefix, "node_modules", pin.package, "vendor", "ripgrep", "x64-linux", "rg");
  if (fs.existsSync(qwenRipgrep)) fs.chmodSync(qwenRipgrep, 0o755);

  if (!fs.existsSync(binPathOf(pin))) return `npm installed no ${pin.bin} in node_modules/.bin`;
  return undefined;
}

/** Environment that keeps every CLI from checking for or fetching updates while it prints its version. */
function noUpdateEnv(home) {
  return {
    ...process.env,
    HOME: home,
    DISABLE_AUTOUPDATER: "1",
    COPILOT_OFFLINE: "true",
    COPILOT_AUTO_UPDATE: "false",
    // Copilot unpacks ~235 MB on first use; one shared place means once for all runs and tests.
    COPILOT_PKG_CACHE_HOME: path.join(CACHE_DIR, "copilot-pkg"),
  };
}

function checkVersion(pin, home) {
  return new Promise((resolve) => {
    const child = spawn(binPathOf(pin), ["--version"], {
      cwd: home,
      env: noUpdateEnv(home),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: VERSION_CHECK_TIMEOUT_MS,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (err) => resolve(`could not run ${pin.bin}: ${err.message}`));
    child.on("close", (code, signal) => {
      if (output.includes(pin.version)) return resolve(undefined);
      const how = signal ? `was killed by ${signal} (timeout ${VERSION_CHECK_TIMEOUT_MS / 1000} s?)` : `exited ${code}`;
      resolve(
        `${pin.bin} --version ${how} without printing ${pin.version}: ${JSON.stringify(output.trim().slice(0, 300))}`,
      );
    });
  });
}

/** Disk use in bytes, each hard-linked file once (Claude's and OpenCode's binaries are linked into place). */
function diskUse(dir) {
  const seen = new Set();
  let bytes = 0;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const stat = fs.lstatSync(full);
      if (seen.has(stat.ino)) continue;
      seen.add(stat.ino);
      bytes += stat.size;
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return bytes;
}

function logTail(pin) {
  try {
    const lines = fs
      .readFileSync(path.join(prefixOf(pin), "install.log"), "utf8")
      .trimEnd()
      .split("\n");
    return lines
      .slice(-LOG_TAIL_LINES)
      .map((line) => `    ${line}`)
      .join("\n");
  } catch {
    return "    (no install.log)";
  }
}

async function installAndVerify(pin, home) {
  const label = `[agent-clis] ${pin.provider}`;
  const started = Date.now();
  console.log(`${label}: installing ${pin.package}@${pin.version}`);
  const failure = (await installInto(pin)) ?? (await checkVersion(pin, home));
  if (failure) {
    console.log(
      `${label}: FAILED: ${failure}\n  last lines of ${path.join(prefixOf(pin), "install.log")}:\n${logTail(pin)}`,
    );
    return false;
  }
  fs.writeFileSync(path.join(prefixOf(pin), MARKER), `${pin.package}@${pin.version} ${new Date().toISOString()}\n`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const megabytes = Math.round(diskUse(prefixOf(pin)) / 1e6);
  console.log(`${label}: done in ${seconds} s, ${megabytes} MB`);
  return true;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * Runs fn while holding <cache>/.install.lock, so two test runs that share a cache (CAO_AGENT_CLI_CACHE) do not
 * remove each other's half-done installs. A lock whose process is gone is stale and taken over.
 */
async function withInstallLock(fn) {
  const lock = path.join(CACHE_DIR, ".install.lock");
  // Linked into place whole, so whoever finds the lock also finds the holder's pid in it.
  const myLock = `${lock}.${process.pid}`;
  fs.writeFileSync(myLock, String(process.pid));
  let toldWaiting = false;
  for (;;) {
    try {
      fs.linkSync(myLock, lock);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(lock, "utf8"));
    } catch {
      continue; // released meanwhile
    }
    if (!isAlive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (!toldWaiting) console.log(`[agent-clis] waiting for another install (pid ${holder}) to finish`);
    toldWaiting = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  fs.rmSync(myLock);
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function installMissing() {
  // Asked again under the lock: another run may have installed some while this one waited.
  const missing = PINS.filter((pin) => !isInstalled(pin));
  if (missing.length === 0) return [];
  const firstTime =
    missing.length === PINS.length ? "; ~1.8 GB: half a minute on a fast link, minutes on a slow one" : "";
  console.log(
    `[agent-clis] installing ${missing.length} of ${PINS.length} into ${CACHE_DIR} ` +
      `(${missing.map((pin) => pin.provider).join(", ")}${firstTime})`,
  );
  // A throwaway HOME for the version checks, so no CLI reads or writes the user's own settings.
  const home = fs.mkdtempSync(path.join(CACHE_DIR, "verify-home-"));
  const failed = [];
  try {
    const queue = [...missing];
    const worker = async () => {
      for (let pin = queue.shift(); pin; pin = queue.shift()) {
        if (!(await installAndVerify(pin, home))) failed.push(pin.provider);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_INSTALLS, missing.length) }, worker));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  return failed;
}

async function main() {
  // The common case, everything in place, reads a few files and takes no lock.
  if (PINS.every(isInstalled)) {
    console.log(`[agent-clis] all ${PINS.length} present in ${CACHE_DIR}`);
    return 0;
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const failed = await withInstallLock(installMissing);
  if (failed.length > 0) {
    console.error(
      `[agent-clis] ${failed.length} agent CLI(s) failed to install or run: ${failed.join(", ")}. ` +
        `See install.log in their folders under ${CACHE_DIR}; rerun node test/real-agents/install-agent-clis.mjs.`,
    );
    return 1;
  }
  console.log(`[agent-clis] all ${PINS.length} present in ${CACHE_DIR}`);
  return 0;
}

process.exitCode = await main();
