import fs from "node:fs";
import path from "node:path";
import { isMap, parseDocument } from "yaml";

export class ConfigWriteError extends Error {}

/**
 * Writes `plugins.<name>.enabled: <enabled>` into config.yaml, keeping every comment and every other key as they
 * are (yaml's Document API edits the parsed tree, not a re-serialised object); creates the file when missing.
 * A file that does not parse is not touched (ConfigWriteError): rewriting it would lose what the user was typing.
 * Written to a temporary file and renamed over, so a reader (or the watcher) never sees half a file.
 */
export function writeEnabled(file: string, name: string, enabled: boolean): void {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new ConfigWriteError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigWriteError(`${file} is not valid YAML, so enabled: was not written: ${doc.errors[0]!.message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new ConfigWriteError(`${file}: the top level must be a mapping, so enabled: was not written`);
  const plugins = doc.get("plugins");
  if (plugins !== undefined && plugins !== null && !isMap(plugins)) throw new ConfigWriteError(`${file}: \`plugins\` must be a mapping, so enabled: was not written`);
  const section = doc.getIn(["plugins", name]);
  if (section !== undefined && section !== null && !isMap(section)) throw new ConfigWriteError(`${file}: plugins.${name} must be a mapping, so enabled: was not written`);
  if (section === null) doc.setIn(["plugins", name], doc.createNode({ enabled }));
  else doc.setIn(["plugins", name, "enabled"], enabled);
  const out = doc.toString();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, out);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new ConfigWriteError(`cannot write ${file}: ${(error as Error).message}`);
  }
}
