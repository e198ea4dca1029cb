import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** A file of the built dashboard, held in memory: the whole page is a few tens of KB and never changes while the server runs. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
};

/**
 * Reads every file under `root` once, keyed by its URL path (`/assets/index-3f2a.js`). Serving from this map, and
 * never from a path built out of the request, leaves no room for `..` tricks. Missing root: an empty map.
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const body = fs.readFileSync(full);
        const urlPath = `/${path.relative(root, full).split(path.sep).join("/")}`;
        files.set(urlPath, {
          body,
          contentType: TYPES[path.extname(entry.name)] ?? "application/octet-stream",
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
        });
      }
    }
  };
  walk(root);
  return files;
}
