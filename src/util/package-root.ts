import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: every module of this package lives in src/<dir>/ or dist/<dir>/, two levels below it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
