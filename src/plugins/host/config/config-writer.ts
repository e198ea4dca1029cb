import fs from "node:fs";
import path from "node:path";
import { isMap, parseDocument } from "yaml";
import { safeRealpath } from "../../../util/real-path.js";

export class ConfigWriteError extends Error {}

/**
 * Writes `plugins.<name>.enabled: <enabled>` into config.yaml, keeping every comment and every other key as they
 * are (yaml's Document API edits the parsed tree, not a re-serialised object); creates the file when missing.
 * A file that does not parse is not touched (ConfigWriteError): rewriting it would lose what the user was typing.
 * Written to a temporary file and renamed over, so a reader (or the watcher) never sees half a file.
 */
export function writeEnabled(file: string, name: string, enabled: boolean): void {
  // A config.yaml that is a symlink (dotfiles kept in a repository) stays one: its target is what gets replaced.
  const target = safeRealpath(file);
  let text = "";
  let mode = 0o644;
  try {
    text = fs.readFileSync(target, "utf8");
    mode = fs.statSync(target).mode & 0o7777; // it may hold secrets: keep its permissions
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new ConfigWriteError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new ConfigWriteError(`${file} is not valid YAML, so enabled: was not written: ${doc.errors[0]!.message}`);
  if (doc.contents !== null && !isMap(doc.contents))
    throw new ConfigWriteError(`${file}: the top level must be a mapping, so enabled: was not written`);
  const plugins = doc.get("plugins");
  if (plugins !== undefined && plugins !== null && !isMap(plugins))
    throw new ConfigWriteError(`${file}: \`plugins\` must be a mapping, so enabled: was not written`);
  const section = doc.getIn(["plugins", name]);
  if (section !== undefined && section !== null && !isMap(section))
    throw new ConfigWriteError(`${file}: plugins.${name} must be a mapping, so enabled: was not written`);
  if (section === null) doc.setIn(["plugins", name], doc.createNode({ enabled }));
  else doc.setIn(["plugins", name, "enabled"], enabled);
  const out = doc.toString();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, out, { mode });
    fs.chmodSync(temp, mode); // writeFileSync's mode is filtered by the umask
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new ConfigWriteError(`cannot write ${file}: ${(error as Error).message}`);
  }
}
